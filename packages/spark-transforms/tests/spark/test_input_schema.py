"""The Spark tier's input rows have the columns the processor decodes from the trades topic (no JVM)."""

from __future__ import annotations

import json

from coinstream.core import trade_schema_str

from .conftest import TRADE_COLUMNS


def test_the_tier_feeds_the_columns_of_the_trade_avro_schema_in_its_order():
    assert list(TRADE_COLUMNS) == [field["name"] for field in json.loads(trade_schema_str())["fields"]]
