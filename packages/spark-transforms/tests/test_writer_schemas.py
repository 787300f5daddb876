"""Whether coinstream's Trade schema can read each registered writer version (checked before Spark starts)."""

from __future__ import annotations

import json

import pytest

from coinstream.core import load_trade_schema, trade_schema_str
from coinstream.spark.writer_schemas import UnreadableSchemaError, WriterSchema, check_readable


def writer(schema: dict, version: int = 2, schema_id: int = 7) -> WriterSchema:
    return WriterSchema("crypto.trades.v1-value", version, schema_id, json.dumps(schema))


def test_the_shipped_schema_and_an_evolved_one_with_an_extra_field_are_readable():
    evolved = load_trade_schema()
    evolved["fields"].append({"name": "venue_region", "type": ["null", "string"], "default": None})
    check_readable([WriterSchema("s-value", 1, 1, trade_schema_str()), writer(evolved)])


def test_an_older_writer_without_a_defaulted_field_is_readable():
    older = load_trade_schema()
    older["fields"] = [f for f in older["fields"] if f["name"] != "pair_rule"]
    check_readable([writer(older)])


def test_a_writer_missing_a_required_field_is_refused_naming_subject_and_version():
    broken = load_trade_schema()
    broken["fields"] = [f for f in broken["fields"] if f["name"] != "exchange"]

    with pytest.raises(UnreadableSchemaError) as error:
        check_readable([writer(broken, version=3, schema_id=12)])
    assert str(error.value).startswith(
        "schema version 3 (id 12) of subject 'crypto.trades.v1-value' cannot be read as coinstream's Trade schema: "
        "field 'exchange' is missing and has no default in the reader.")


def test_a_type_change_that_avro_cannot_promote_is_refused():
    broken = load_trade_schema()
    for field in broken["fields"]:
        if field["name"] == "price":
            field["type"] = "string"

    with pytest.raises(UnreadableSchemaError, match="field 'price' is written as \"string\", read as \"double\""):
        check_readable([writer(broken)])


def test_a_promotable_type_change_is_accepted():
    older = load_trade_schema()
    for field in older["fields"]:
        if field["name"] == "size":
            field["type"] = "float"
    check_readable([writer(older)])
