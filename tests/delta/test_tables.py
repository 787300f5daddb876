"""The Delta sink on the stack's S3: rows in = rows in each table, the schemas, MERGE for the aggregates,
and the JVM-free reader (delta-rs) seeing the same rows as Spark."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import duckdb
import pytest

from ..pipelines import FULL_TRANSFORMS
from ..trades import trade, valid_trades

pytestmark = [pytest.mark.spark, pytest.mark.stack]

ALL_TABLES = [{"name": "delta", "input": stream} for stream in ("trades", "ohlcv_1m", "exchange_stats", "quarantine")]

TRADE_TYPES = [("trade_id", "string"), ("ticker", "string"), ("base_currency", "string"),
               ("quote_currency", "string"), ("exchange", "string"), ("price", "double"), ("size", "double"),
               ("trade_time", "timestamp"), ("ingest_time", "timestamp"), ("source", "string"),
               ("pair_rule", "string")]
SCHEMAS = {
    "trades": [*TRADE_TYPES, ("notional", "double"), ("ingest_latency_ms", "double"), ("trade_date", "date")],
    "ohlcv_1m": [("window_start", "timestamp"), ("window_end", "timestamp"), ("ticker", "string"),
                 ("exchange", "string"), ("open", "double"), ("high", "double"), ("low", "double"),
                 ("close", "double"), ("volume", "double"), ("vwap", "double"), ("trade_count", "bigint")],
    "exchange_stats": [("window_start", "timestamp"), ("window_end", "timestamp"), ("exchange", "string"),
                       ("trade_count", "bigint"), ("notional", "double"), ("distinct_tickers", "int")],
    "quarantine": [*TRADE_TYPES, ("reason", "string"), ("quarantined_by", "string"), ("kafka_topic", "string"),
                   ("kafka_partition", "int"), ("kafka_offset", "bigint"), ("raw_value", "binary")],
}


def spark_schema(spark, uri: str) -> list[tuple[str, str]]:
    return [(field.name, field.dataType.simpleString()) for field in spark.read.format("delta").load(uri).schema]


def expected_bars(trades) -> dict[tuple, dict]:
    """OHLCV per (minute, ticker, exchange), worked out in Python."""
    groups = defaultdict(list)
    for t in trades:
        groups[(t.trade_time // 60_000_000, t.ticker, t.exchange)].append(t)
    bars = {}
    for (minute, ticker, exchange), rows in groups.items():
        ordered = sorted(rows, key=lambda r: (r.trade_time, r.trade_id))
        start = datetime.fromtimestamp(minute * 60, UTC).replace(tzinfo=None)
        bars[(start, ticker, exchange)] = {
            "open": ordered[0].price, "close": ordered[-1].price, "high": max(r.price for r in rows),
            "low": min(r.price for r in rows), "volume": sum(r.size for r in rows), "trade_count": len(rows)}
    return bars


def test_every_trade_lands_once_in_each_table_with_the_documented_schema(run_pipeline, produce, spark, lake,
                                                                          lake_s3):
    valid = valid_trades(400, spacing_s=0.5)                       # 200 s: four one-minute windows
    invalid = trade("bad-price", 10.0, price=-1.0)
    produce([*valid, invalid])

    report = run_pipeline(FULL_TRANSFORMS, ALL_TABLES, name="tables")

    assert report.reason == "completed"
    base = f"s3a://{lake_s3.bucket}/{lake_s3.prefix}"
    for table, schema in SCHEMAS.items():
        assert spark_schema(spark, base + table) == schema, table

    trades = spark.read.format("delta").load(base + "trades")
    ids = [row.trade_id for row in trades.select("trade_id").collect()]
    assert len(ids) == 400
    assert set(ids) == {t.trade_id for t in valid}
    assert lake.table("trades").metadata().partition_columns == ["trade_date"]
    # Trade tables keep file statistics of the filtered columns only; the others keep Delta's defaults.
    trade_properties = {"delta.dataSkippingStatsColumns": "trade_time,ingest_time,ticker,exchange"}
    assert lake.table("trades").metadata().configuration == trade_properties
    assert lake.table("quarantine").metadata().configuration == trade_properties
    assert lake.table("ohlcv_1m").metadata().configuration == {}
    files = lake.table("trades").get_add_actions(flatten=False)
    minimums = files.column("min")[0].as_py()
    assert {name for name, value in minimums.items() if value is not None} == {
        "trade_time", "ingest_time", "ticker", "exchange"}
    assert {row.trade_date.isoformat() for row in trades.select("trade_date").distinct().collect()} == \
        {datetime.fromtimestamp(t.trade_time / 1e6, UTC).date().isoformat() for t in valid}

    # JVM-free: delta-rs reads the same rows Spark does.
    arrow = lake.read("trades", columns=["trade_id", "price"])
    assert sorted(arrow.column("trade_id").to_pylist()) == sorted(ids)
    assert sum(arrow.column("price").to_pylist()) == pytest.approx(sum(t.price for t in valid))

    bars = {(r.window_start, r.ticker, r.exchange): r.asDict()
            for r in spark.read.format("delta").load(base + "ohlcv_1m").collect()}
    expected = expected_bars(valid)
    assert set(bars) == set(expected)
    for key, values in expected.items():
        got = bars[key]
        assert (got["open"], got["close"], got["high"], got["low"], got["trade_count"]) == (
            values["open"], values["close"], values["high"], values["low"], values["trade_count"]), key
        assert got["volume"] == pytest.approx(values["volume"])

    stats = lake.read("exchange_stats")
    assert sum(stats.column("trade_count").to_pylist()) == 400
    assert set(stats.column("exchange").to_pylist()) == {"binance", "kraken"}
    assert set(stats.column("distinct_tickers").to_pylist()) == {2}

    quarantine = lake.read("quarantine").to_pylist()
    assert [(row["trade_id"], row["quarantined_by"]) for row in quarantine] == [("bad-price", "validate")]
    assert "price must be a positive finite number, got -1.0" in quarantine[0]["reason"]

    # DuckDB over the Arrow data delta-rs returns (no DuckDB extension needed).
    connection = duckdb.connect()
    connection.register("ohlcv", lake.read("ohlcv_1m"))
    counted = connection.sql("select sum(trade_count) as n, count(*) as bars from ohlcv").fetchall()[0]
    assert counted == (400, len(expected))


def test_a_second_run_adds_only_the_new_trades_and_updates_the_open_bar(run_pipeline, produce, spark, lake):
    first = valid_trades(40, prefix="a", spacing_s=1.0)            # T0 .. T0+39 s: one window per ticker/exchange
    produce(first)
    run_pipeline(FULL_TRANSFORMS, ALL_TABLES[:2], name="rerun")
    later = [trade("b000001", 50.0, price=250.0, ticker="btcusdt", exchange="binance")]
    produce(later)
    run_pipeline(FULL_TRANSFORMS, ALL_TABLES[:2], name="rerun")

    ids = lake.read("trades", columns=["trade_id"]).column("trade_id").to_pylist()
    assert sorted(ids) == sorted([t.trade_id for t in first] + ["b000001"])
    bars = lake.read("ohlcv_1m").to_pylist()
    key = [bar for bar in bars if (bar["ticker"], bar["exchange"]) == ("btcusdt", "binance")]
    assert len(key) == 1, "MERGE must update the bar in place, not add a second row"
    binance_btc = [t for t in first if (t.ticker, t.exchange) == ("btcusdt", "binance")]
    assert key[0]["trade_count"] == len(binance_btc) + 1
    assert key[0]["high"] == 250.0 and key[0]["close"] == 250.0
    assert sum(bar["trade_count"] for bar in bars) == 41


def test_an_undecodable_record_lands_once_in_quarantine_and_the_query_goes_on(run_pipeline, produce, produce_raw,
                                                                              lake):
    produce([trade("before", 1.0)])
    produce_raw(b"\x00\x00\x01\x02\x03garbage")                   # an unknown schema id
    run_pipeline(FULL_TRANSFORMS, [ALL_TABLES[0], ALL_TABLES[3]], name="poison")
    produce([trade("after", 2.0)])
    run_pipeline(FULL_TRANSFORMS, [ALL_TABLES[0], ALL_TABLES[3]], name="poison")

    assert sorted(lake.read("trades", columns=["trade_id"]).column("trade_id").to_pylist()) == ["after", "before"]
    [poisoned] = lake.read("quarantine").to_pylist()
    assert poisoned["quarantined_by"] == "decode"
    assert poisoned["reason"].startswith("undecodable Kafka record: unknown schema id 66051 ")
    assert poisoned["raw_value"] == b"\x00\x00\x01\x02\x03garbage"
    assert poisoned["trade_id"] == (f"kafka:{poisoned['kafka_topic']}/{poisoned['kafka_partition']}/"
                                    f"{poisoned['kafka_offset']}")
