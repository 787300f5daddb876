"""The Tiingo hook against the simulator: metadata, prices, test_connection, the key's handling."""

from __future__ import annotations

import json

from coinstream.airflow.hooks.tiingo import TiingoHook
from coinstream.core import redact_text


def test_the_hook_reads_metadata_and_prices_with_the_key(tiingo_connection, simulator):
    hook = TiingoHook(tiingo_connection)
    ticker = simulator.market.tickers[0]
    (meta,) = hook.metadata([ticker.name])
    assert (meta.ticker, meta.base_currency, meta.quote_currency) == (ticker.name, ticker.base, ticker.quote)
    (prices,) = hook.prices([ticker.name], "2026-01-05", "2026-01-05T01:00:00", "5min")
    assert len(prices["priceData"]) == 12
    assert prices["priceData"][0]["date"].startswith("2026-01-05T00:00:00")


def test_test_connection_reports_success_and_a_rejected_key(tiingo_connection, simulator, monkeypatch):
    assert TiingoHook(tiingo_connection).test_connection()[0] is True
    monkeypatch.setenv("AIRFLOW_CONN_TIINGO_WRONG", json.dumps(
        {"conn_type": "tiingo", "host": simulator.rest_url, "password": "not-the-key"}))
    ok, message = TiingoHook("tiingo_wrong").test_connection()
    assert ok is False
    assert "HTTP 401" in message and "check COINSTREAM_TIINGO_API_KEY" in message
    assert "not-the-key" not in message


def test_the_key_is_registered_for_redaction_and_given_to_the_ingestor(tiingo_connection, simulator, api_key):
    credentials = TiingoHook(tiingo_connection).credentials
    assert api_key not in repr(credentials)
    assert redact_text(f"subscribing with {api_key}") == "subscribing with ***"
    assert credentials.environment() == {
        "COINSTREAM_TIINGO_API_KEY": api_key, "COINSTREAM_TIINGO_REST_URL": simulator.rest_url,
        "COINSTREAM_TIINGO_URL": simulator.url}


def test_a_bare_host_means_https_and_the_live_feed(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_TIINGO_LIVE", json.dumps(
        {"conn_type": "tiingo", "host": "api.tiingo.com", "password": "k-123456"}))
    credentials = TiingoHook("tiingo_live").credentials
    assert (credentials.rest_url, credentials.websocket_url) == ("https://api.tiingo.com",
                                                                 "wss://api.tiingo.com/crypto")
