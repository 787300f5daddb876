"""Schema ids are kept in the registry's file database: they survive a registry restart."""

from __future__ import annotations

import json
import uuid

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

pytestmark = pytest.mark.stack


def _record_schema(name: str, field: str) -> Schema:
    return Schema(json.dumps({"type": "record", "name": name, "namespace": "coinstream.test",
                              "fields": [{"name": field, "type": "long"}]}), "AVRO")


def test_schema_id_resolves_to_the_same_schema_after_a_registry_restart(local_stack) -> None:
    suffix = uuid.uuid4().hex[:8]
    subject = f"stack-test-{suffix}-value"
    schema = _record_schema(f"Probe{suffix}", "trade_time")
    schema_id = SchemaRegistryClient({"url": local_stack.schema_registry_url}).register_schema(subject, schema)

    local_stack.restart_registry()

    # A fresh client: nothing may come from the first client's cache.
    client = SchemaRegistryClient({"url": local_stack.schema_registry_url})
    resolved = client.get_schema(schema_id)
    assert json.loads(resolved.schema_str)["name"] == f"Probe{suffix}"
    assert json.loads(resolved.schema_str)["fields"] == [{"name": "trade_time", "type": "long"}]
    assert client.get_latest_version(subject).schema_id == schema_id
    assert subject in client.get_subjects()

    # The id sequence is durable too: a new schema gets a new id, never a reused one.
    other_id = client.register_schema(f"stack-test-{suffix}-other-value", _record_schema(f"Other{suffix}", "price"))
    assert other_id != schema_id
    assert json.loads(client.get_schema(schema_id).schema_str)["name"] == f"Probe{suffix}"
