"""The served dashboard in a real headless Chromium: charts carry the top-10 data, the picker works."""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from coinstream.dashboard.server import DashboardServer

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parents[3] / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def served(lake) -> Iterator[DashboardServer]:
    """The dashboard served on a free loopback port from a background thread's event loop."""
    loop = asyncio.new_event_loop()
    server = DashboardServer(lake, port=0, refresh_seconds=1.0)
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(timeout=30)
    try:
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)


@pytest.fixture
def page():
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail("headless Chromium is missing: ./dev setup installs Debian's chromium package")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1280, "height": 1800})
        finally:
            browser.close()


def test_the_page_shows_the_top_10_and_the_exchange_picker_changes_the_view(served, page):
    page.goto(served.url)
    page.wait_for_function("Number(document.body.dataset.rendered || 0) >= 1", timeout=30_000)

    bars = page.evaluate("() => { const d = document.getElementById('top-exchanges').data[0]; return [d.x, d.y]; }")
    assert bars[0][:3] == ["kucoin", "poloniex", "okex"]
    assert bars[1][:3] == [8, 7, 6]
    assert len(bars[0]) == 10
    first_ticker_row = page.locator("#top-tickers tbody tr").first.locator("td").all_inner_texts()
    assert first_ticker_row[:2] == ["wldusdt", "36"]

    page.select_option("#exchange-picker", "huobi")
    assert page.locator("#exchange-total").inner_text() == "4"
    tickers = page.locator("#exchange-tickers tbody tr td:first-child").all_inner_texts()
    assert tickers == ["ethusdt", "btcusdt"]
    shares = page.evaluate("() => document.getElementById('exchange-shares').data[0].labels")
    assert shares == ["ethusdt", "btcusdt"]

    page.select_option("#exchange-picker", "binance")
    assert page.locator("#exchange-total").inner_text() == "3"
    candles = page.evaluate("() => document.getElementById('candles').data[0].close")
    assert candles == [110, 90]

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 10_000


def test_a_hostile_label_from_the_feed_shows_as_text(tmp_path, page):
    from deltalake import write_deltalake

    from coinstream.dashboard.command import write_report
    from coinstream.dashboard.lake import LakeLocation

    when = pa.array([datetime(2026, 9, 6, 3, 55, tzinfo=UTC)] * 2, pa.timestamp("us", tz="UTC"))
    write_deltalake(str(tmp_path / "lake" / "trades"), pa.table({
        "trade_id": ["a", "b"], "ticker": ["<b>ticker</b>"] * 2, "exchange": ["<img src=x onerror=alert(1)>"] * 2,
        "price": [1.0, 2.0], "size": [1.0, 1.0], "trade_time": when, "ingest_time": when}))
    report = tmp_path / "report.html"
    write_report(LakeLocation(root=str(tmp_path / "lake")), report)
    page.on("dialog", lambda dialog: pytest.fail(f"the page ran a feed label's script: {dialog.message}"))

    page.goto(report.as_uri())
    page.wait_for_function("Number(document.body.dataset.rendered || 0) >= 1", timeout=30_000)

    assert page.evaluate("() => document.querySelectorAll('img, b').length") == 0
    assert page.evaluate("() => document.getElementById('top-exchanges').data[0].x") == [
        "&#60;img src=x onerror=alert(1)&#62;"]
    assert page.locator("#exchange-picker option").first.inner_text() == "<img src=x onerror=alert(1)>"
    assert page.locator("#top-tickers tbody td").first.inner_text() == "<b>ticker</b>"
    assert page.locator("#exchange-shares text.slicetext").first.text_content().startswith("<b>ticker</b>")
