"""What the served dashboard answers, and to whom: its own host names only, and JSON a browser parses."""

from __future__ import annotations

import json
import re

import aiohttp
import pytest

from coinstream.dashboard.page import render_static
from coinstream.dashboard.server import DashboardServer, allowed_host_names, host_name
from coinstream.dashboard.strict_json import strict_dumps


def strict_loads(text: str):
    """json.loads that refuses NaN and Infinity, as a browser's JSON.parse does."""
    def refuse(constant: str):
        raise ValueError(f"not JSON: {constant}")
    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize(("header", "name"), [
    ("localhost:8050", "localhost"), ("127.0.0.1:8050", "127.0.0.1"), ("[::1]:8050", "::1"),
    ("Dash.Example.COM", "dash.example.com"), ("evil.example:80", "evil.example"), ("", ""),
])
def test_the_name_of_a_host_header(header, name):
    assert host_name(header) == name


def test_bound_to_loopback_it_answers_the_loopback_names_and_those_allowed():
    assert allowed_host_names("127.0.0.1") == {"127.0.0.1", "localhost", "::1"}
    assert allowed_host_names("0.0.0.0", ["Dash.Example"]) == {"0.0.0.0", "dash.example"}


def test_non_finite_numbers_become_null_and_the_json_stays_strict():
    views = {"top_tickers": [{"ticker": "btcusd", "notional": float("inf"), "vwap": float("nan"), "trades": 3}],
             "totals": (float("-inf"), 1.5)}

    assert strict_loads(strict_dumps(views)) == {
        "top_tickers": [{"ticker": "btcusd", "notional": None, "vwap": None, "trades": 3}], "totals": [None, 1.5]}
    embedded = re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>',
                         render_static(views), re.S)
    assert embedded is not None
    assert strict_loads(embedded.group(1))["top_tickers"][0]["notional"] is None


@pytest.mark.asyncio
async def test_a_request_for_another_host_name_is_refused_and_ours_is_served(lake):
    async with DashboardServer(lake, port=0) as server, aiohttp.ClientSession() as session:
        async with session.get(server.url, headers={"Host": f"localhost:{server.port}"}) as ours:
            assert ours.status == 200
            assert "<script" in await ours.text()
        # a DNS-rebinding page: its own name, our address
        async with session.get(f"{server.url}data.json", headers={"Host": "evil.example"}) as theirs:
            assert theirs.status == 421
            assert "does not answer for host 'evil.example'" in await theirs.text()
            assert "--allowed-host" in await theirs.text()
