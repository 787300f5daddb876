"""The JVM-free names moved to coinstream-lake stay importable from their old homes in coinstream.s3."""

from __future__ import annotations

import importlib

import pytest

import coinstream.lake
import coinstream.s3

MOVED = ["settings", "errors", "credentials", "location", "reader", "maintenance", "bucket", "cli"]


def test_the_package_still_exports_the_reader_and_its_errors():
    for name in ("LakeReader", "S3SetupError", "S3Settings", "TableLocationError", "TableNotFoundError"):
        assert getattr(coinstream.s3, name) is getattr(coinstream.lake, name)


@pytest.mark.parametrize("module", MOVED)
def test_an_old_module_path_gives_the_lake_objects(module):
    old, new = importlib.import_module(f"coinstream.s3.{module}"), importlib.import_module(f"coinstream.lake.{module}")
    assert old.__all__, f"coinstream.s3.{module} re-exports nothing"
    for name in old.__all__:
        assert getattr(old, name) is getattr(new, name), f"coinstream.s3.{module}.{name}"
