"""Where a table lives: [s3] bucket + prefix + table, or an explicit s3a:// or local path."""

from __future__ import annotations

import pytest

from coinstream.lake.errors import TableLocationError
from coinstream.lake.location import parse_location, table_location
from coinstream.lake.settings import S3Settings


def test_a_table_name_lands_under_the_bucket_and_prefix():
    location = table_location("trades", None, S3Settings(bucket="lake", prefix="prod/"))
    assert location.spark_uri == "s3a://lake/prod/trades"
    assert location.delta_rs_uri == "s3://lake/prod/trades"
    assert (location.bucket, location.key) == ("lake", "prod/trades")


def test_an_explicit_s3_path_wins_and_any_s3_scheme_becomes_s3a():
    location = table_location("trades", "s3://other/x/y/", S3Settings(bucket="lake"))
    assert location.spark_uri == "s3a://other/x/y"
    assert location.bucket == "other"


def test_a_local_path_is_made_absolute_and_is_not_s3(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    location = parse_location("lake/trades")
    assert location.spark_uri == str(tmp_path / "lake" / "trades")
    assert not location.on_s3 and location.delta_rs_uri == location.spark_uri


def test_no_path_and_no_s3_section_says_what_to_add():
    with pytest.raises(TableLocationError, match=r"add \[s3\] bucket"):
        table_location("ohlcv_1m", None, None)


@pytest.mark.parametrize("path", ["s3a://bucket-only", "s3a://", "gs://bucket/t"])
def test_unusable_paths_are_refused(path):
    with pytest.raises(TableLocationError, match=repr(path).replace("/", "/")):
        parse_location(path)


def test_a_prefix_must_end_with_a_slash():
    with pytest.raises(ValueError, match="prefix"):
        S3Settings(prefix="lake")
