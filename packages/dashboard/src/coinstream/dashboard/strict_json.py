"""JSON a browser's ``JSON.parse`` always accepts: no NaN or Infinity, whatever the lake holds.

A price just under the float maximum passes the parser and ``validate``, and its notional becomes
``inf``; Python's ``json.dumps`` would write ``Infinity``, which ``JSON.parse`` rejects, and the whole
page would stop drawing. Non-finite numbers become ``null`` (Plotly leaves a gap), everything else that
JSON has no type for (timestamps, decimals) becomes its ``str``.
"""

from __future__ import annotations

import json
import math
from typing import Any


def finite_only(value: Any) -> Any:
    """Return ``value`` with every non-finite float, at any depth of dicts, lists and tuples, made None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite_only(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite_only(item) for item in value]
    return value


def strict_dumps(value: Any) -> str:
    """Serialise ``value`` as strict JSON (see the module's docstring)."""
    return json.dumps(finite_only(value), default=str, allow_nan=False)
