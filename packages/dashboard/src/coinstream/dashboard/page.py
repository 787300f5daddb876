"""The dashboard page: one HTML template, drawn in the browser with Plotly from the views' data."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path
from string import Template
from typing import Any

import plotly

from coinstream.dashboard.strict_json import strict_dumps


@cache
def plotly_js() -> str:
    """Return the plotly.js bundle shipped with the plotly package (no CDN: works offline)."""
    return (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text(encoding="utf-8")


def _template() -> Template:
    return Template(files("coinstream.dashboard").joinpath("assets/dashboard.html").read_text(encoding="utf-8"))


def _embed(data: dict[str, Any] | None) -> str:
    # Inside <script>, "</" would end the element early.
    return strict_dumps(data).replace("</", "<\\/")


def render_static(data: dict[str, Any]) -> str:
    """Return a self-contained page: plotly.js and the data inline, no refresh, opens from a file."""
    return _template().substitute(plotly_script=f"<script>{plotly_js()}</script>", data_json=_embed(data),
                                  refresh_seconds=0)


def render_served(refresh_seconds: float, data: dict[str, Any] | None = None) -> str:
    """Return the served page: it loads plotly.js from the server and refreshes data.json."""
    return _template().substitute(plotly_script='<script src="plotly.min.js"></script>', data_json=_embed(data),
                                  refresh_seconds=refresh_seconds)
