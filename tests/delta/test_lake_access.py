"""One way to reach a Delta table on S3 without a JVM: the reader, the dashboard and the Airflow provider
open the same table on the stack's S3 through coinstream-lake's storage options and URI rewrite."""

from __future__ import annotations

import os

import pyarrow as pa
import pytest

from coinstream.lake import delta_rs_uri, resolve_credentials, storage_options

pytestmark = pytest.mark.stack

ROWS = {"trade_id": ["a", "b", "c"], "ticker": ["btcusdt", "ethusdt", "btcusdt"], "price": [1.5, 2.5, 3.5]}


@pytest.fixture
def trades_uri(lake_s3, aws_environment) -> str:
    """A trades table written by delta-rs under this test's prefix, as Spark names it (s3a://)."""
    from deltalake import write_deltalake

    uri = f"s3a://{lake_s3.bucket}/{lake_s3.prefix}trades"
    options = {**storage_options(lake_s3, resolve_credentials()), "AWS_S3_ALLOW_UNSAFE_RENAME": "true"}
    write_deltalake(delta_rs_uri(uri), pa.table(ROWS), storage_options=options)
    return uri


def test_the_reader_opens_the_table_by_name(lake, trades_uri):
    assert lake.read("trades", columns=["trade_id", "price"]).sort_by("trade_id").to_pydict() == {
        "trade_id": ROWS["trade_id"], "price": ROWS["price"]}


def test_the_dashboard_opens_it_under_its_lake_root(lake_s3, trades_uri, aws_environment):
    pytest.importorskip("coinstream.dashboard")
    from coinstream.dashboard.lake import LakeLocation, open_table

    location = LakeLocation(root=f"s3a://{lake_s3.bucket}/{lake_s3.prefix}", endpoint_url=lake_s3.endpoint_url,
                            region=lake_s3.region, environ=aws_environment)
    table = open_table(location, "trades")
    assert table is not None
    rows = table.to_pyarrow_dataset().to_table(use_threads=False)
    assert sorted(rows.column("trade_id").to_pylist()) == ROWS["trade_id"]
    assert open_table(location, "no_such_table") is None


def test_the_airflow_provider_sees_its_commit(lake_s3, trades_uri, aws_environment, monkeypatch, tmp_path):
    if "AIRFLOW_HOME" not in os.environ:  # Airflow reads it once, at its first import: not the user's home
        monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    pytest.importorskip("airflow")
    from coinstream.airflow.hooks.delta import latest_commit
    from coinstream.airflow.hooks.s3 import S3Access

    access = S3Access(access_key_id=aws_environment["AWS_ACCESS_KEY_ID"],
                      secret_access_key=aws_environment["AWS_SECRET_ACCESS_KEY"], region=lake_s3.region,
                      endpoint_url=lake_s3.endpoint_url)
    commit = latest_commit(trades_uri, access.delta_storage_options())
    assert commit is not None and commit.version == 0
