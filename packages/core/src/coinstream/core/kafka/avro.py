"""Trade and FeedGap records as Avro in the Confluent wire format, with schemas in a schema registry.

Wire format: magic byte 0, the schema id as a 4-byte big-endian integer, then the Avro binary
body. A writer registers its schema under ``<topic>-value`` (TopicNameStrategy) once and encodes
directly (trades with a hand-written encoder, the rest with fastavro), which costs a fraction of
a generic serializer per record.
"""

from __future__ import annotations

import io
import json
import struct
from typing import Any, Self

import fastavro
import structlog
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from coinstream.core.config.models import KafkaSettings
from coinstream.core.kafka.trade_encoder import TradeEncoder
from coinstream.core.records.feed_gap import FeedGap, feed_gap_schema_str
from coinstream.core.records.trade import Trade, trade_schema_str
from coinstream.core.unreachable import STACK_UP_HINT, ServiceUnreachableError

log = structlog.get_logger(__name__)

MAGIC_BYTE = 0
_HEADER = struct.Struct(">bI")
_TRADE_FIELDS = tuple(f["name"] for f in json.loads(trade_schema_str())["fields"])
_PYTHON_FIELDS = tuple(Trade.__dataclass_fields__)


class SchemaRegistryUnavailableError(Exception):
    """The schema registry could not be reached or refused the schema (the message says which)."""


REGISTRY_FIX = (f"{STACK_UP_HINT}, or set [kafka] schema_registry_url / COINSTREAM_SCHEMA_REGISTRY_URL to a "
                "registry that answers")


class SchemaRegistryUnreachableError(SchemaRegistryUnavailableError, ServiceUnreachableError):
    """No schema registry answered at the URL (connection refused, DNS, timeout)."""

    def __init__(self, endpoint: str, tried: str, fix: str = REGISTRY_FIX) -> None:
        ServiceUnreachableError.__init__(self, "the schema registry", endpoint, tried, fix)


def trades_subject(topic: str) -> str:
    """Return the registry subject of a topic's values (TopicNameStrategy)."""
    return f"{topic}-value"


feed_gaps_subject = trades_subject  # the same strategy: "<feed_gaps_topic>-value"


def schema_registry_client(settings: KafkaSettings) -> SchemaRegistryClient:
    """Return a registry client for [kafka] schema_registry_url (see :func:`schema_registry_config`)."""
    return SchemaRegistryClient(schema_registry_config(settings))


def schema_registry_config(settings: KafkaSettings) -> dict[str, Any]:
    """The registry client's configuration: the URL, basic auth when configured, the CA of an https registry."""
    config: dict[str, Any] = {"url": settings.schema_registry_url}
    if settings.schema_registry_username and settings.schema_registry_password:
        config["basic.auth.user.info"] = (
            f"{settings.schema_registry_username}:{settings.schema_registry_password.get_secret_value()}")
    if settings.schema_registry_ssl_ca_location is not None:
        config["ssl.ca.location"] = settings.schema_registry_ssl_ca_location
    return config


def decode_wire_header(payload: bytes) -> int:
    """Return the schema id of a Confluent-framed payload; raise ValueError when it is not one."""
    if len(payload) < _HEADER.size:
        raise ValueError(f"payload of {len(payload)} bytes is too short for the Confluent wire format (5-byte header)")
    magic, schema_id = _HEADER.unpack_from(payload)
    if magic != MAGIC_BYTE:
        raise ValueError(f"payload starts with magic byte {magic}, expected {MAGIC_BYTE} (Confluent wire format)")
    return int(schema_id)


class AvroValueCodec:
    """A record schema registered under a subject: encodes dicts to Confluent-framed Avro (fastavro)
    and decodes any registered version of the subject back to this schema."""

    record_name = "record"

    def __init__(self, registry: SchemaRegistryClient, subject: str, schema_str: str) -> None:
        self._registry = registry
        self.subject = subject
        self.schema_str = schema_str
        self._schema = fastavro.parse_schema(json.loads(self.schema_str))
        self.schema_id = self._register()
        self._header = _HEADER.pack(MAGIC_BYTE, self.schema_id)
        self._writer_schemas: dict[int, Any] = {self.schema_id: self._schema}

    @staticmethod
    def subject_of(settings: KafkaSettings) -> str:
        """The subject of this codec's record in a pipeline's Kafka settings (``<its topic>-value``)."""
        raise NotImplementedError("AvroValueCodec names no [kafka] topic; give its subject to the constructor")

    @classmethod
    def for_kafka(cls, settings: KafkaSettings, *, registry: SchemaRegistryClient | None = None,
                  schema_str: str | None = None) -> Self:
        """The codec of its record's topic in ``settings``, registered under ``subject_of(settings)``.

        ``TradeAvroCodec.for_kafka(kafka)`` is the codec of ``[kafka] trades_topic``,
        ``FeedGapAvroCodec.for_kafka(kafka)`` that of ``feed_gaps_topic``. The registry is
        ``schema_registry_client(settings)`` unless ``registry`` is given (to share one client with
        another codec); ``schema_str`` replaces the package's own schema of the record.
        """
        client = registry if registry is not None else schema_registry_client(settings)
        if schema_str is None:
            return cls(client, cls.subject_of(settings))  # type: ignore[call-arg]  # the record's own schema
        return cls(client, cls.subject_of(settings), schema_str)

    @property
    def registry(self) -> SchemaRegistryClient:
        """The registry client the schema was registered with."""
        return self._registry

    def _register(self) -> int:
        url = getattr(self._registry, "_rest_client", None)
        where = ", ".join(getattr(url, "base_urls", None) or ["the schema registry"])
        try:
            schema_id = self._registry.register_schema(self.subject, Schema(self.schema_str, "AVRO"))
        except SchemaRegistryError as error:
            if error.http_status_code == 409:
                existing = self._lookup()
                if existing is not None:
                    # Apicurio answers a repeated registration (a client retry after a slow first
                    # attempt) with 409 "already exists" where Confluent returns the id.
                    return existing
                raise SchemaRegistryUnavailableError(
                    f"the schema registry refused the {self.record_name} schema for subject {self.subject!r} as "
                    f"incompatible with the versions already registered ({error.error_message}); evolve the schema "
                    "BACKWARD-compatibly (new fields need a default) or use a new topic"
                ) from None
            raise SchemaRegistryUnavailableError(
                f"schema registry at {where} answered HTTP {error.http_status_code} for subject "
                f"{self.subject!r}: {error.error_message}"
            ) from None
        except Exception as error:  # connection refused, DNS, timeouts: requests/httpx errors
            raise SchemaRegistryUnreachableError(
                where, f"registering the {self.record_name} schema for subject {self.subject!r}: "
                f"{type(error).__name__}") from None
        log.info("schema_registered", subject=self.subject, schema_id=schema_id)
        return int(schema_id)

    def _lookup(self) -> int | None:
        try:
            return int(self._registry.lookup_schema(self.subject, Schema(self.schema_str, "AVRO")).schema_id)
        except SchemaRegistryError:
            return None

    def encode_dict(self, values: dict[str, Any]) -> bytes:
        """Return a record, as a dict of this schema's fields, as Confluent-framed Avro bytes."""
        buffer = io.BytesIO()
        buffer.write(self._header)
        fastavro.schemaless_writer(buffer, self._schema, values)
        return buffer.getvalue()

    def _writer_schema(self, schema_id: int) -> Any:
        schema = self._writer_schemas.get(schema_id)
        if schema is None:
            registered = self._registry.get_schema(schema_id)
            schema = fastavro.parse_schema(json.loads(registered.schema_str))
            self._writer_schemas[schema_id] = schema
        return schema

    def decode_record(self, payload: bytes) -> dict[str, Any]:
        """Return the record in a Confluent-framed payload, resolved from its writer schema (any
        registered version) to this codec's schema, as a dict."""
        schema_id = decode_wire_header(payload)
        buffer = io.BytesIO(payload)
        buffer.seek(_HEADER.size)
        record = fastavro.schemaless_reader(buffer, self._writer_schema(schema_id), self._schema)
        return dict(record)  # type: ignore[arg-type]


class TradeAvroCodec(AvroValueCodec):
    """Encodes Trades to Confluent-framed Avro and decodes them back (any registered version)."""

    record_name = "Trade"

    def __init__(self, registry: SchemaRegistryClient, subject: str, schema_str: str | None = None) -> None:
        super().__init__(registry, subject, schema_str or trade_schema_str())
        # The package's own schema has a hand-written encoder; any other schema goes through fastavro.
        self._fast_encoder = schema_str is None or schema_str == trade_schema_str()
        self._trade_encoder = TradeEncoder(self._header)

    @staticmethod
    def subject_of(settings: KafkaSettings) -> str:
        """``<[kafka] trades_topic>-value``."""
        return trades_subject(settings.trades_topic)

    def encode(self, trade: Trade) -> bytes:
        """Return the trade as Confluent-framed Avro bytes."""
        if self._fast_encoder:
            return self._trade_encoder.encode(trade)
        return self.encode_dict({name: getattr(trade, name) for name in _TRADE_FIELDS})

    def decode(self, payload: bytes) -> Trade:
        """Return the Trade in a Confluent-framed payload (fields newer than Trade are left out)."""
        record = self.decode_record(payload)
        return Trade.from_avro_dict({name: record[name] for name in _PYTHON_FIELDS})


class FeedGapAvroCodec(AvroValueCodec):
    """Encodes FeedGaps to Confluent-framed Avro (fastavro: gaps are few) and decodes them back."""

    record_name = "FeedGap"

    def __init__(self, registry: SchemaRegistryClient, subject: str, schema_str: str | None = None) -> None:
        super().__init__(registry, subject, schema_str or feed_gap_schema_str())

    @staticmethod
    def subject_of(settings: KafkaSettings) -> str:
        """``<[kafka] feed_gaps_topic>-value``."""
        return feed_gaps_subject(settings.feed_gaps_topic)

    def encode(self, gap: FeedGap) -> bytes:
        """Return the gap as Confluent-framed Avro bytes."""
        return self.encode_dict(gap.to_avro_dict())

    def decode(self, payload: bytes) -> FeedGap:
        """Return the FeedGap in a Confluent-framed payload (fields newer than FeedGap are left out)."""
        return FeedGap.from_avro_dict(self.decode_record(payload))
