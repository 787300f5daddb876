"""The ``coinstream_kafka`` connection: brokers, security protocol, SASL and the schema registry.

Why a connection type of our own rather than the official Kafka provider's ``kafka``: a pipeline
needs the schema registry together with the brokers, and the official connection cannot carry it
(its extra is handed verbatim to librdkafka, which rejects unknown keys); it would also add a
provider dependency for what is five fields. A ``kafka`` connection of the official provider is
still accepted: its librdkafka keys (bootstrap.servers, security.protocol, sasl.*) are read.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient

from airflow.sdk import BaseHook
from airflow.sdk.log import mask_secret
from coinstream.airflow.hooks.form_fields import extra_field
from coinstream.airflow.provider_info import KAFKA_CONN_TYPE, SASL_MECHANISMS, SECURITY_PROTOCOLS
from coinstream.core import register_secret
from coinstream.core.kafka import watermark_offsets

OFFICIAL_KAFKA_CONN_TYPE = "kafka"


class KafkaConnectionError(ValueError):
    """The connection's fields cannot describe a Kafka cluster (the message names the field)."""


@dataclass(frozen=True)
class KafkaEndpoint:
    """A cluster as a connection describes it."""

    bootstrap_servers: str
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: str | None = field(default=None, repr=False)
    schema_registry_url: str | None = None
    schema_registry_username: str | None = None
    schema_registry_password: str | None = field(default=None, repr=False)

    def environment(self) -> dict[str, str]:
        """core's [kafka] env overrides, for a coinstream command or ``load_pipeline(environ=...)``."""
        env = {"COINSTREAM_KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
               "COINSTREAM_KAFKA_SECURITY_PROTOCOL": self.security_protocol}
        optional = {"COINSTREAM_KAFKA_SASL_USERNAME": self.sasl_username,
                    "COINSTREAM_KAFKA_SASL_PASSWORD": self.sasl_password,
                    "COINSTREAM_SCHEMA_REGISTRY_URL": self.schema_registry_url,
                    "COINSTREAM_SCHEMA_REGISTRY_USERNAME": self.schema_registry_username,
                    "COINSTREAM_SCHEMA_REGISTRY_PASSWORD": self.schema_registry_password}
        env.update({name: value for name, value in optional.items() if value})
        return env

    def client_config(self) -> dict[str, Any]:
        """librdkafka settings for an admin client or a consumer."""
        config: dict[str, Any] = {"bootstrap.servers": self.bootstrap_servers,
                                  "security.protocol": self.security_protocol}
        if self.security_protocol.startswith("SASL"):
            config.update({"sasl.mechanism": self.sasl_mechanism or "PLAIN", "sasl.username": self.sasl_username or "",
                           "sasl.password": self.sasl_password or ""})
        return config


def _bootstrap(host: str | None, port: int | None) -> str:
    if not host:
        raise KafkaConnectionError(
            "the Kafka connection has no host: set it to the bootstrap servers, e.g. broker-1:9092,broker-2:9092")
    if port and "," not in host and ":" not in host:
        return f"{host}:{port}"
    return host


def endpoint_from_connection(conn: Any) -> KafkaEndpoint:
    """Read a ``coinstream_kafka`` connection (or an official ``kafka`` one) into a KafkaEndpoint."""
    extra = conn.extra_dejson
    if conn.conn_type == OFFICIAL_KAFKA_CONN_TYPE:
        servers = extra.get("bootstrap.servers")
        if not servers:
            raise KafkaConnectionError(f"kafka connection {conn.conn_id!r} has no bootstrap.servers in its extra")
        return KafkaEndpoint(str(servers), str(extra.get("security.protocol", "PLAINTEXT")).upper(),
                             extra.get("sasl.mechanism"), extra.get("sasl.username"), extra.get("sasl.password"),
                             extra.get("schema.registry.url"))
    protocol = str(extra_field(extra, KAFKA_CONN_TYPE, "security_protocol") or "PLAINTEXT").upper()
    if protocol not in SECURITY_PROTOCOLS:
        raise KafkaConnectionError(f"connection {conn.conn_id!r}: security_protocol={protocol!r} is not one of "
                                   f"{', '.join(SECURITY_PROTOCOLS)}")
    mechanism = extra_field(extra, KAFKA_CONN_TYPE, "sasl_mechanism") or None
    if mechanism is not None and str(mechanism).upper() not in SASL_MECHANISMS:
        raise KafkaConnectionError(f"connection {conn.conn_id!r}: sasl_mechanism={mechanism!r} is not one of "
                                   f"{', '.join(SASL_MECHANISMS)}")
    if protocol.startswith("SASL") and not (conn.login and conn.password):
        raise KafkaConnectionError(f"connection {conn.conn_id!r}: security_protocol={protocol} needs the SASL "
                                   "username (login) and password")
    return KafkaEndpoint(
        bootstrap_servers=_bootstrap(conn.host, conn.port), security_protocol=protocol,
        sasl_mechanism=str(mechanism).upper() if mechanism else None, sasl_username=conn.login or None,
        sasl_password=conn.password or None,
        schema_registry_url=extra_field(extra, KAFKA_CONN_TYPE, "schema_registry_url") or None,
        schema_registry_username=extra_field(extra, KAFKA_CONN_TYPE, "schema_registry_username") or None,
        schema_registry_password=extra_field(extra, KAFKA_CONN_TYPE, "schema_registry_password") or None)


@dataclass(frozen=True)
class PartitionLag:
    """How far a reader is behind on one partition."""

    partition: int
    position: int | None
    end_offset: int
    lag: int


@dataclass(frozen=True)
class ConsumerLag:
    """A reader's lag on one topic: total and per partition."""

    topic: str
    reader: str
    partitions: tuple[PartitionLag, ...]

    @property
    def total(self) -> int:
        return sum(p.lag for p in self.partitions)


class CoinstreamKafkaHook(BaseHook):
    """Reads a Kafka connection for coinstream commands, and measures how far readers lag behind."""

    conn_name_attr = "kafka_conn_id"
    default_conn_name = "coinstream_kafka_default"
    conn_type = KAFKA_CONN_TYPE
    hook_name = "coinstream Kafka (brokers + schema registry)"

    def __init__(self, kafka_conn_id: str = default_conn_name, timeout_s: float = 10.0) -> None:
        super().__init__()
        self.kafka_conn_id = kafka_conn_id
        self.timeout_s = timeout_s

    @cached_property
    def endpoint(self) -> KafkaEndpoint:
        """The cluster of the connection; its passwords are masked and registered for redaction."""
        endpoint = endpoint_from_connection(self.get_connection(self.kafka_conn_id))
        for secret in (endpoint.sasl_password, endpoint.schema_registry_password):
            if secret:
                mask_secret(secret)
                register_secret(secret)
        return endpoint

    def end_offsets(self, topic: str) -> dict[int, tuple[int, int]]:
        """Return {partition: (low, high watermark)} of a topic; raise when the topic does not exist."""
        consumer = Consumer({**self.endpoint.client_config(), "group.id": "coinstream-airflow-probe",
                             "enable.auto.commit": False})
        try:
            metadata = consumer.list_topics(topic, timeout=self.timeout_s).topics.get(topic)
            if metadata is None or metadata.error is not None or not metadata.partitions:
                raise KafkaConnectionError(
                    f"topic {topic!r} does not exist on {self.endpoint.bootstrap_servers}; check the topic name "
                    "or run the ingestor once (it creates the topics)")
            return watermark_offsets(consumer, topic, metadata.partitions, self.timeout_s)
        finally:
            consumer.close()

    def group_lag(self, group_id: str, topic: str) -> ConsumerLag:
        """Lag of a consumer group: high watermark minus committed offset, per partition.

        A partition the group never committed counts from the partition's low watermark.
        """
        offsets = self.end_offsets(topic)
        consumer = Consumer({**self.endpoint.client_config(), "group.id": group_id, "enable.auto.commit": False})
        try:
            committed = _committed_with_retries(consumer, [TopicPartition(topic, p) for p in offsets], self.timeout_s)
        finally:
            consumer.close()
        positions = {tp.partition: (tp.offset if tp.offset >= 0 else None) for tp in committed}
        return ConsumerLag(topic, f"group {group_id}", tuple(
            PartitionLag(p, positions.get(p), high, max(0, high - (positions.get(p) if positions.get(p) is not None
                                                                      else low)))
            for p, (low, high) in offsets.items()))

    def lag_from_offsets(self, topic: str, positions: dict[int, int], reader: str) -> ConsumerLag:
        """Lag of a reader that keeps its own offsets (a Spark checkpoint): {partition: next offset}."""
        offsets = self.end_offsets(topic)
        return ConsumerLag(topic, reader, tuple(
            PartitionLag(p, positions.get(p), high, max(0, high - positions.get(p, low)))
            for p, (low, high) in offsets.items()))

    def test_connection(self) -> tuple[bool, str]:
        """List the cluster's brokers."""
        try:
            metadata = AdminClient(self.endpoint.client_config()).list_topics(timeout=self.timeout_s)
        except Exception as error:
            return False, f"{type(error).__name__}: {error}"
        return True, f"{len(metadata.brokers)} broker(s), {len(metadata.topics)} topic(s)"


_RETRIABLE_GROUP_ERRORS = {KafkaError.NOT_COORDINATOR, KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
                           KafkaError.COORDINATOR_NOT_AVAILABLE}
_GROUP_ATTEMPTS = 10


def _committed_with_retries(consumer: Consumer, partitions: list[TopicPartition], timeout_s: float) -> list[TopicPartition]:
    """Read a group's committed offsets, retrying while the group coordinator moves or loads (a fresh
    cluster creates __consumer_offsets on the first group request, and answers NOT_COORDINATOR meanwhile)."""
    for attempt in range(_GROUP_ATTEMPTS):
        try:
            return list(consumer.committed(partitions, timeout=timeout_s))
        except KafkaException as error:
            if error.args[0].code() not in _RETRIABLE_GROUP_ERRORS or attempt == _GROUP_ATTEMPTS - 1:
                raise
            time.sleep(min(0.2 * 2 ** attempt, 3.0))
    raise AssertionError("unreachable: the last attempt returns or raises")
