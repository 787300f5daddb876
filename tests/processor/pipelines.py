"""The full pipeline of the processor tests, as its TOML would parse."""

from __future__ import annotations

FULL_TRANSFORMS = [
    {"name": "validate"},
    {"name": "deduplicate", "watermark": "10 minutes"},
    {"name": "enrich"},
    {"name": "ohlcv"},             # trades -> ohlcv_1m
    {"name": "exchange_stats"},    # trades -> exchange_stats
]
