"""Labels from the feed (tickers, exchanges) reach the page as text, never as markup."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from importlib.resources import files

import pytest

from coinstream.dashboard.page import embedded_json, render_static

HOSTILE = "<img src=x onerror=alert(1)>"
TEMPLATE = files("coinstream.dashboard").joinpath("assets/dashboard.html").read_text(encoding="utf-8")


def test_a_label_that_would_end_the_script_element_is_embedded_as_escaped_json():
    label = "</script><script>alert(1)</script><!-- & " + HOSTILE
    text = embedded_json({"top_tickers": [{"ticker": label}]})

    assert "<" not in text and ">" not in text and "&" not in text
    assert "\\u003c/script\\u003e" in text
    assert json.loads(text) == {"top_tickers": [{"ticker": label}]}
    page = render_static({"top_tickers": [{"ticker": label}]})
    assert "<script>alert(1)" not in page and HOSTILE not in page


def test_plotly_text_writes_markup_as_entities():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the page's plotlyText is checked in the browser tier")
    source = "\n".join(line for line in TEMPLATE.splitlines()
                       if line.startswith(("const ENTITIES", "function plotlyText")))
    script = source + "\nprocess.stdout.write(JSON.stringify([plotlyText(process.argv[1]), plotlyText(\"a&b'\\\"\")]));"
    done = subprocess.run([node, "-e", script, HOSTILE], capture_output=True, text=True, timeout=30, check=True)

    assert json.loads(done.stdout) == ["&#60;img src=x onerror=alert(1)&#62;", "a&#38;b&#39;&#34;"]


def test_every_feed_label_a_chart_draws_goes_through_plotly_text():
    charts = re.findall(r"Plotly\.react\(.*?config\);", TEMPLATE, re.S)
    assert len(charts) == 5
    for chart in charts:
        labels = re.findall(r"[\w.]+\.(?:ticker|exchange)\b", chart)
        wrapped = re.findall(r"plotlyText\(([\w.]+\.(?:ticker|exchange))\b", chart)
        assert labels == wrapped, chart
    # the pie's labels are mapped before its call
    assert "view.tickers.map(t => plotlyText(t.ticker))" in TEMPLATE
