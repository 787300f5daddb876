"""The schema versions a topic's records were written with, from the schema registry.

The processor reads each topic with ONE reader schema, the one this coinstream-core ships (Trade for
the trades topic, FeedGap for the feed gaps topic). Every version registered under ``<topic>-value``
is a possible writer schema; each is checked here, before Spark starts, for whether the reader
schema can read it (Avro schema resolution), so a schema the processor cannot read stops the
start-up with the subject and version named.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, NoReturn

import structlog

from coinstream.core import KafkaSettings, feed_gap_schema_str, trade_schema_str
from coinstream.core.kafka import (
    SchemaRegistryUnreachableError,
    feed_gaps_subject,
    schema_registry_client,
    trades_subject,
)

log = structlog.get_logger(__name__)

# Avro's promotions: a reader of the key type reads writers of the listed types.
_PROMOTIONS = {
    "long": {"int"}, "float": {"int", "long"}, "double": {"int", "long", "float"},
    "string": {"bytes"}, "bytes": {"string"},
}


class UnreadableSchemaError(Exception):
    """A registered writer schema cannot be read with coinstream's reader schema (the message names subject and
    version), or the registry cannot say which there are."""


@dataclass(frozen=True, slots=True)
class WriterSchema:
    """One registered version of a subject."""

    subject: str
    version: int
    schema_id: int
    schema_str: str


def fetch_writer_schemas(kafka: KafkaSettings) -> list[WriterSchema]:
    """Return every registered version of ``<trades_topic>-value``, oldest first.

    Raises :class:`UnreadableSchemaError` when the subject has no version yet (nothing was ever
    produced) and a plain error message when the registry cannot be reached.
    """
    return _registered_versions(kafka, trades_subject(kafka.trades_topic), kafka.trades_topic)


def fetch_feed_gap_writer_schemas(kafka: KafkaSettings) -> list[WriterSchema]:
    """Register this core's FeedGap schema under ``<feed_gaps_topic>-value`` (a no-op when it is there), then
    return every registered version, oldest first.

    Registering first means the subject has a version before the first gap is ever recorded, so the
    processor can start (and read the first gap) on a pipeline that never had one: the ingestor
    registers the same schema and gets the same id.
    """
    from confluent_kafka.schema_registry import Schema

    subject = feed_gaps_subject(kafka.feed_gaps_topic)
    try:
        schema_registry_client(kafka).register_schema(subject, Schema(feed_gap_schema_str(), "AVRO"))
    except Exception as error:  # noqa: BLE001 - reported with the registry's address below
        _registry_failure(kafka, subject, error)
    return _registered_versions(kafka, subject, kafka.feed_gaps_topic)


def _registered_versions(kafka: KafkaSettings, subject: str, topic: str) -> list[WriterSchema]:
    from confluent_kafka.schema_registry.error import SchemaRegistryError

    client = schema_registry_client(kafka)
    try:
        versions = client.get_versions(subject)
        found = []
        for version in versions:
            registered = client.get_version(subject, version)
            found.append(WriterSchema(subject, int(registered.version), int(registered.schema_id),
                                      registered.schema.schema_str))
    except SchemaRegistryError as error:
        if error.http_status_code == 404:
            raise UnreadableSchemaError(
                f"subject {subject!r} has no schema in the registry at {kafka.schema_registry_url}: nothing was "
                f"produced to {topic!r} yet; start the ingestor first (`coinstream ingest PIPELINE`), "
                "it registers the schema"
            ) from None
        _registry_failure(kafka, subject, error)
    except Exception as error:  # connection refused, DNS, timeouts
        _registry_failure(kafka, subject, error)
    log.info("writer_schemas_loaded", subject=subject, versions=[w.version for w in found],
             schema_ids=[w.schema_id for w in found])
    return found


def _registry_failure(kafka: KafkaSettings, subject: str, error: Exception) -> NoReturn:
    from confluent_kafka.schema_registry.error import SchemaRegistryError

    if isinstance(error, SchemaRegistryError):
        raise UnreadableSchemaError(
            f"the schema registry at {kafka.schema_registry_url} answered HTTP {error.http_status_code} for "
            f"subject {subject!r}: {error.error_message}"
        ) from None
    raise SchemaRegistryUnreachableError(
        kafka.schema_registry_url, f"reading the writer schemas of subject {subject!r}: {type(error).__name__}"
    ) from None


def check_readable(writers: list[WriterSchema], reader_schema_str: str | None = None) -> None:
    """Raise :class:`UnreadableSchemaError` unless the reader schema (default: the Trade schema) can read every
    writer version."""
    reader = json.loads(reader_schema_str or trade_schema_str())
    for writer in writers:
        problems = _record_problems(reader, json.loads(writer.schema_str))
        if problems:
            raise UnreadableSchemaError(
                f"schema version {writer.version} (id {writer.schema_id}) of subject {writer.subject!r} cannot be "
                f"read as coinstream's {reader.get('name', 'record')} schema: {'; '.join(problems)}. "
                "Upgrade coinstream-core to the release "
                "that ships this schema, or delete that version if it was registered by mistake"
            )


def _record_problems(reader: dict[str, Any], writer: dict[str, Any]) -> list[str]:
    if writer.get("type") != "record":
        return [f"the writer schema is a {writer.get('type')!r}, not a record"]
    written = {f["name"]: f for f in writer.get("fields", [])}
    for field in writer.get("fields", []):
        for alias in field.get("aliases", []):
            written.setdefault(alias, field)
    problems = []
    for field in reader["fields"]:
        name = field["name"]
        source = written.get(name)
        if source is None:
            for alias in field.get("aliases", []):
                source = written.get(alias)
                if source is not None:
                    break
        if source is None:
            if "default" not in field:
                problems.append(f"field {name!r} is missing and has no default in the reader")
            continue
        if not _type_readable(field["type"], source["type"]):
            problems.append(f"field {name!r} is written as {_show(source['type'])}, read as {_show(field['type'])}")
    return problems


def _type_readable(reader: Any, writer: Any) -> bool:
    if isinstance(writer, list):  # every branch the writer may use must be readable
        return all(_type_readable(reader, branch) for branch in writer)
    if isinstance(reader, list):
        return any(_type_readable(branch, writer) for branch in reader)
    reader_name, writer_name = _base(reader), _base(writer)
    if reader_name == writer_name:
        if reader_name == "record":
            return not _record_problems(reader, writer)
        return True
    return writer_name in _PROMOTIONS.get(reader_name, set())


def _base(avro_type: Any) -> str:
    return str(avro_type["type"]) if isinstance(avro_type, dict) else str(avro_type)


def _show(avro_type: Any) -> str:
    return json.dumps(avro_type, separators=(",", ":"))
