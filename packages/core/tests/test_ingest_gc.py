"""The ingest run's garbage-collector settings are applied for the run and then restored."""

from __future__ import annotations

import gc

import pytest

from coinstream.core.ingest.gc_tuning import INGEST_GC_THRESHOLDS, ingest_gc_settings


def test_settings_apply_inside_and_are_restored_after() -> None:
    before = gc.get_threshold()
    with ingest_gc_settings():
        assert gc.get_threshold() == INGEST_GC_THRESHOLDS
        assert gc.get_freeze_count() > 0  # start-up objects are out of every collection
        assert gc.isenabled()  # collection is tuned, never switched off
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_settings_are_restored_when_the_run_fails() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), ingest_gc_settings((1_000, 5, 5)):
        raise RuntimeError("the source failed")
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
