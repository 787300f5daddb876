"""A BACKWARD-compatible schema change rolled out mid-stream (j): old and new records land."""

from __future__ import annotations

from pathlib import Path

import pytest

from coinstream.core.kafka import TradeAvroCodec

from .feed_run import FeedRun
from .ingest_v2 import schema_v2
from .reckoning import assert_exactly_once

pytestmark = [pytest.mark.faults, pytest.mark.stack, pytest.mark.spark, pytest.mark.slow, pytest.mark.timeout(900)]

RATE = 3_000
INGEST_V2 = Path(__file__).with_name("ingest_v2.py")


def test_j_a_new_optional_field_rolled_out_mid_stream(fault_suite, fault_report):
    """The rollout the processor's README prescribes: register the new version (the registry checks it
    is compatible), restart the processor so it knows the version, then replace the ingestor by the new
    release. Trades written with both versions land."""
    kafka = fault_suite.kafka
    with FeedRun(fault_suite, "j-schema-change", RATE) as run:
        run.start()
        run.stream(10)
        v1 = TradeAvroCodec.for_kafka(kafka).schema_id
        v2 = TradeAvroCodec.for_kafka(kafka, schema_str=schema_v2()).schema_id
        fault_suite.processor.stop()
        fault_suite.processor.start()
        run.ingestor.stop(timeout_s=60)  # the old release flushes; the new one starts a new feed session
        run.start_ingestor("spool-2", script=INGEST_V2)
        figures = fault_report(run.recover_then_finish(stream_s=10))
    assert v2 != v1
    schema_ids = run.readback.schema_ids
    assert set(schema_ids) == {v1, v2} and min(schema_ids.values()) > RATE * 5, schema_ids
    assert len(run.ledger.sessions) == 2
    assert_exactly_once(figures)
