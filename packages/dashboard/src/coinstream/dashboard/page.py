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


def embedded_json(data: dict[str, Any] | None) -> str:
    """``data`` as JSON to place inside the page's ``<script type="application/json">``: no ``<``, ``>`` or ``&``
    (written ``\\u003c`` ...), so a feed's label holding ``</script>`` or ``<!--`` cannot end or bend the element."""
    # "<" occurs only inside JSON strings, where \u003c is the same character to JSON.parse.
    return strict_dumps(data).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_static(data: dict[str, Any]) -> str:
    """Return a self-contained page: plotly.js and the data inline, no refresh, opens from a file."""
    return _template().substitute(plotly_script=f"<script>{plotly_js()}</script>", data_json=embedded_json(data),
                                  refresh_seconds=0)


def render_served(refresh_seconds: float, data: dict[str, Any] | None = None) -> str:
    """Return the served page: it loads plotly.js from the server and refreshes data.json."""
    return _template().substitute(plotly_script='<script src="plotly.min.js"></script>', data_json=embedded_json(data),
                                  refresh_seconds=refresh_seconds)
