"""The dashboard's figures from a known lake: top exchanges, ticker statistics, exchange view, candles."""

from __future__ import annotations

import pyarrow as pa
import pytest

from coinstream.dashboard.lake import LakeLocation, LakeUnavailableError, read_snapshot
from coinstream.dashboard.views import build_views


def test_top_10_exchanges_by_trade_count(lake):
    views = build_views(read_snapshot(lake))
    ranked = [(e["exchange"], e["trades"]) for e in views["top_exchanges"]]
    assert len(ranked) == 10
    assert ranked[:3] == [("kucoin", 8), ("poloniex", 7), ("okex", 6)]
    assert ("huobi", 4) in ranked and ("binance", 3) in ranked
    assert "curvefi3" not in dict(ranked)  # no trades: not an exchange of the data
    assert views["totals"]["trades"] == 9 + sum(range(1, 9))


def test_ticker_statistics_are_vwap_min_max_last_not_sums(lake):
    tickers = {t["ticker"]: t for t in build_views(read_snapshot(lake))["top_tickers"]}
    btc = tickers["btcusdt"]
    assert btc["trades"] == 4
    assert btc["volume"] == pytest.approx(7.0)
    assert btc["vwap"] == pytest.approx((100 * 1 + 110 * 3 + 90 * 1 + 105 * 2) / 7)
    assert (btc["min_price"], btc["max_price"]) == (90.0, 110.0)
    assert btc["last_price"] == 90.0  # the latest trade_time, not the largest price
    assert tickers["solusdc"]["vwap"] == pytest.approx(1e-9)  # dust prices keep their magnitude
    assert tickers["btcidr"]["last_price"] == pytest.approx(1.5e9)


def test_one_exchange_view_has_total_shares_and_ticker_stats(lake):
    huobi = build_views(read_snapshot(lake))["exchanges"]["huobi"]
    assert huobi["trades"] == 4
    shares = {t["ticker"]: t["share"] for t in huobi["tickers"]}
    assert shares == pytest.approx({"ethusdt": 0.75, "btcusdt": 0.25})
    eth = next(t for t in huobi["tickers"] if t["ticker"] == "ethusdt")
    assert eth["vwap"] == pytest.approx((10 * 5 + 12 * 5 + 11 * 10) / 20)
    assert eth["last_price"] == 11.0


def test_health_and_candles_come_out_in_utc(lake):
    views = build_views(read_snapshot(lake))
    assert views["time_zone"] == "UTC"
    first_minute = views["health"][0]
    assert first_minute["minute"].startswith("2026-09-06T03:55:00") and first_minute["minute"].endswith("+00:00")
    assert first_minute["ingest_latency_p50_ms"] == pytest.approx(250.0)
    bars = views["candles"]["btcusdt"]
    assert bars["exchange"] == "binance"
    assert [(b["open"], b["high"], b["low"], b["close"]) for b in bars["bars"]] == [(100, 110, 100, 110), (90, 90, 90, 90)]


def test_a_missing_table_says_to_run_the_pipeline(tmp_path):
    with pytest.raises(LakeUnavailableError, match=r"no Delta table at .*trades yet; run the pipeline"):
        read_snapshot(LakeLocation(root=str(tmp_path / "empty")))


def test_s3_storage_options_take_credentials_from_the_environment_only():
    location = LakeLocation(root="s3a://coinstream/lake", endpoint_url="http://127.0.0.1:19000",
                            environ={"AWS_ACCESS_KEY_ID": "coinstream", "AWS_SECRET_ACCESS_KEY": "coinstream-secret"})
    assert location.table_uri("trades") == "s3://coinstream/lake/trades"
    assert location.storage_options() == {
        "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:19000", "AWS_ALLOW_HTTP": "true",
        "AWS_VIRTUAL_HOSTED_STYLE_REQUEST": "false", "AWS_ACCESS_KEY_ID": "coinstream",
        "AWS_SECRET_ACCESS_KEY": "coinstream-secret"}


def test_the_static_report_is_self_contained(lake, tmp_path):
    from coinstream.dashboard.command import write_report

    out = tmp_path / "report.html"
    views = write_report(lake, out)
    html = out.read_text(encoding="utf-8")
    assert views["totals"]["trades"] == 45
    assert '<script src="' not in html  # plotly.js is inline: the file opens with no network
    assert "Plotly" in html and '"kucoin"' in html
    assert "const REFRESH_SECONDS = 0;" in html


def test_quarantine_is_counted_by_failed_check_and_the_run_books_are_embedded(lake, tmp_path):
    from deltalake import write_deltalake

    from coinstream.dashboard.command import write_report

    reasons = ["trade_time 2026-09-04 is 172,800 s before ingest_time (limit 1 day)",
               "trade_time 2026-09-06 is 1,800 s after ingest_time (limit 5 minutes)",
               "exchange 'Bad Exchange!' does not match ^[a-z0-9][a-z0-9_.-]{0,63}$"]
    write_deltalake(lake.root + "/quarantine", pa.table({"trade_id": ["q1", "q2", "q3"], "reason": reasons}))
    books = [{"where": "sent by the feed", "frames": 12}, {"where": "dead letters (dead-letter topic)", "frames": 2}]

    views = write_report(lake, tmp_path / "report.html", books)

    assert views["quality"]["quarantined"] == 3
    assert [(c["check"], c["trades"]) for c in views["quality"]["checks"]] == [("trade_time", 2), ("exchange", 1)]
    assert views["quality"]["checks"][0]["example"] == reasons[0]
    assert views["run_books"] == books
    assert "dead letters (dead-letter topic)" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_without_a_quarantine_table_the_quality_view_is_empty(lake):
    assert build_views(read_snapshot(lake))["quality"] == {"quarantined": 0, "checks": []}
