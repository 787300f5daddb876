"""The core sections of a pipeline TOML file: [pipeline], [kafka], [logging], [ingest] and the components."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from coinstream.core.config.env import env_override, env_variable_of
from coinstream.core.config.producer_overrides import ProducerValue, weakening_overrides
from coinstream.core.config.tls_files import TLS_FILE_KEYS, unreadable_file_problem

LOCAL_BOOTSTRAP_SERVERS = "127.0.0.1:19092,127.0.0.1:19093,127.0.0.1:19094"
LOCAL_SCHEMA_REGISTRY_URL = "http://127.0.0.1:18081/apis/ccompat/v7"


class StrictModel(BaseModel):
    """Base for every settings model: unknown keys and wrong types are errors, never coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class PipelineMeta(StrictModel):
    """[pipeline]: the pipeline's identity."""

    name: str = Field("coinstream", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                      description="Names the pipeline in logs, metrics and consumer groups.")


class KafkaSettings(StrictModel):
    """[kafka]: the cluster, the schema registry, the topics and the producer."""

    bootstrap_servers: str = Field(LOCAL_BOOTSTRAP_SERVERS, min_length=1,
                                   json_schema_extra=env_override("COINSTREAM_KAFKA_BOOTSTRAP_SERVERS"),
                                   description="Comma-separated host:port list of brokers.")
    schema_registry_url: str = Field(LOCAL_SCHEMA_REGISTRY_URL, pattern=r"^https?://",
                                     json_schema_extra=env_override("COINSTREAM_SCHEMA_REGISTRY_URL"),
                                     description="Confluent-compatible schema registry REST URL.")
    schema_registry_username: str | None = Field(
        None, json_schema_extra=env_override("COINSTREAM_SCHEMA_REGISTRY_USERNAME"))
    schema_registry_password: SecretStr | None = Field(
        None, json_schema_extra=env_override("COINSTREAM_SCHEMA_REGISTRY_PASSWORD"))
    schema_registry_ssl_ca_location: str | None = Field(
        None, min_length=1, json_schema_extra=env_override("COINSTREAM_SCHEMA_REGISTRY_SSL_CA_LOCATION"),
        description="PEM file of the CA(s) an https:// registry's certificate is checked against; unset: the "
                    "registry client's default CA bundle.")
    trades_topic: str = Field("crypto.trades.v1", min_length=1)
    dead_letter_topic: str = Field("crypto.trades.dlq", min_length=1)
    feed_gaps_topic: str = Field("crypto.feed_gaps.v1", min_length=1, description=(
        "Where the ingestor sends a FeedGap record for every interval in which the feed was not read "
        "(Avro, key = source, one partition)."))
    partitions: int = Field(6, ge=1, le=10_000)
    replication_factor: int = Field(3, ge=1, le=32)
    min_insync_replicas: int = Field(2, ge=1, le=32)
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", json_schema_extra=env_override("COINSTREAM_KAFKA_SECURITY_PROTOCOL"))
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = Field(
        None, json_schema_extra=env_override("COINSTREAM_KAFKA_SASL_MECHANISM"))
    sasl_username: str | None = Field(None, json_schema_extra=env_override("COINSTREAM_KAFKA_SASL_USERNAME"))
    sasl_password: SecretStr | None = Field(None, json_schema_extra=env_override("COINSTREAM_KAFKA_SASL_PASSWORD"))
    ssl_ca_location: str | None = Field(
        None, min_length=1, json_schema_extra=env_override("COINSTREAM_KAFKA_SSL_CA_LOCATION"), description=(
            "PEM file of the CA(s) that signed the brokers' certificates (SSL and SASL_SSL); unset: the system's."))
    ssl_certificate_location: str | None = Field(
        None, min_length=1, json_schema_extra=env_override("COINSTREAM_KAFKA_SSL_CERTIFICATE_LOCATION"),
        description="PEM file of the client's certificate (chain), for brokers that ask for one (mutual TLS).")
    ssl_key_location: str | None = Field(
        None, min_length=1, json_schema_extra=env_override("COINSTREAM_KAFKA_SSL_KEY_LOCATION"),
        description="PEM file of the client certificate's private key (PKCS#8 for Spark's Java client).")
    ssl_key_password: SecretStr | None = Field(
        None, json_schema_extra=env_override("COINSTREAM_KAFKA_SSL_KEY_PASSWORD"),
        description="Password of an encrypted ssl_key_location.")
    ssl_endpoint_identification: bool = Field(
        True, json_schema_extra=env_override("COINSTREAM_KAFKA_SSL_ENDPOINT_IDENTIFICATION"), description=(
            "Check that the broker's certificate names the host connected to; false only for certificates "
            "without the right names, never on a network others share."))
    compression: Literal["lz4", "zstd", "snappy", "gzip", "none"] = "lz4"
    linger_ms: int = Field(100, ge=0, le=60_000, description=(
        "How long the producer waits to fill a batch. Every produce request costs each replica a fetch: on "
        "the local 3-node stack at 2,000 trades/s, 100 ms instead of 20 ms cut the brokers' CPU from 0.55 to "
        "0.15 cores for 36 ms more acknowledgement latency (p50 57 ms)."))
    producer: dict[str, ProducerValue] = Field(default_factory=dict, description=(
        "Extra librdkafka producer properties, passed through unchanged; those that would weaken delivery "
        "(idempotence off, acks other than all, more than 5 requests in flight, no retries) are refused."))

    @field_validator("producer")
    @classmethod
    def _keep_delivery_guarantee(cls, producer: dict[str, ProducerValue]) -> dict[str, ProducerValue]:
        refused = weakening_overrides(producer)
        if refused:
            # one error per override, located at it: kafka.producer.acks, kafka.producer."max.in.flight" (TOML quoting)
            raise ValidationError.from_exception_data("producer", [InitErrorDetails(
                type=PydanticCustomError("producer_override_refused", override.reason),
                loc=(f'"{override.key}"' if "." in override.key else override.key,),
                input=override.value) for override in refused])
        return producer

    @field_validator(*TLS_FILE_KEYS, "schema_registry_ssl_ca_location")
    @classmethod
    def _readable_pem_file(cls, location: str | None, info: ValidationInfo) -> str | None:
        key = str(info.field_name)
        if location is None:
            return None
        problem = unreadable_file_problem(key, location, env_variable_of(cls, key))
        if problem:
            raise ValueError(problem)
        # The path that was checked (~ expanded) is the one every client gets: librdkafka does not expand ~.
        return str(Path(location).expanduser())

    @model_validator(mode="after")
    def _check_combinations(self) -> KafkaSettings:
        if self.min_insync_replicas > self.replication_factor:
            raise ValueError(
                f"min_insync_replicas={self.min_insync_replicas} is larger than "
                f"replication_factor={self.replication_factor}: no write could ever succeed; "
                "set min_insync_replicas to at most replication_factor (2 of 3 is the usual choice)"
            )
        topics = {"trades_topic": self.trades_topic, "dead_letter_topic": self.dead_letter_topic,
                  "feed_gaps_topic": self.feed_gaps_topic}
        if len(set(topics.values())) < len(topics):
            named = ", ".join(f"{key}={value!r}" for key, value in topics.items())
            raise ValueError(f"{named}: each kind of record needs a topic of its own (each has its own schema); "
                             "give them different names")
        if self.security_protocol.startswith("SASL") and not (self.sasl_username and self.sasl_password):
            raise ValueError(
                f"security_protocol={self.security_protocol} needs sasl_username and sasl_password; "
                "set COINSTREAM_KAFKA_SASL_USERNAME and COINSTREAM_KAFKA_SASL_PASSWORD"
            )
        self._check_tls()
        return self

    def _check_tls(self) -> None:
        if self.schema_registry_ssl_ca_location is not None and not self.schema_registry_url.startswith("https://"):
            raise ValueError(
                f"schema_registry_ssl_ca_location is set but schema_registry_url={self.schema_registry_url!r} does "
                "not use TLS; give the registry's https:// URL, or remove schema_registry_ssl_ca_location")
        tls_set = [key for key in (*TLS_FILE_KEYS, "ssl_key_password") if getattr(self, key) is not None]
        if tls_set and not self.security_protocol.endswith("SSL"):
            raise ValueError(
                f"{', '.join(tls_set)} set but security_protocol={self.security_protocol} does not use TLS, so "
                "they would be ignored; set security_protocol to SSL or SASL_SSL, or remove them")
        if (self.ssl_certificate_location is None) != (self.ssl_key_location is None):
            given, missing = (("ssl_certificate_location", "ssl_key_location") if self.ssl_key_location is None
                              else ("ssl_key_location", "ssl_certificate_location"))
            raise ValueError(f"{given} is set but {missing} is not: a client certificate needs both; "
                             f"set {missing} too, or remove {given}")
        if self.ssl_key_password is not None and self.ssl_key_location is None:
            raise ValueError("ssl_key_password is set but ssl_key_location is not: set the key's file too, "
                             "or remove ssl_key_password")


class LoggingSettings(StrictModel):
    """[logging]: level and format of the CLI's logs."""

    level: Literal["debug", "info", "warning", "error"] = Field(
        "info", json_schema_extra=env_override("COINSTREAM_LOG_LEVEL"))
    format: Literal["auto", "json", "console"] = Field(
        "auto", json_schema_extra=env_override("COINSTREAM_LOG_FORMAT"),
        description="auto: readable on a terminal, JSON otherwise.")


SpoolSync = Literal["batch", "interval"]
GIB = 1 << 30


class IngestSettings(StrictModel):
    """[ingest]: the ingestor's durable spool between the source and Kafka."""

    spool_enabled: bool = Field(True, description=(
        "Append every record to a spool on local disk before producing it; it leaves the spool once Kafka "
        "acknowledged it and is re-sent at the next start otherwise. false keeps records in memory only."))
    spool_dir: str | None = Field(
        None, min_length=1, json_schema_extra=env_override("COINSTREAM_SPOOL_DIR"), description=(
            "The spool's folder; default $XDG_STATE_HOME/coinstream/spool/<pipeline name> "
            "(~/.local/state/... when XDG_STATE_HOME is unset). One ingestor at a time may use a folder."))
    spool_max_bytes: int = Field(GIB, ge=1 << 20, le=1 << 40, description=(
        "Bytes on disk at most; when full, the ingestor stops reading the feed until acknowledgements free room."))
    spool_sync: SpoolSync = Field("batch", description=(
        "batch: fsync each source batch before producing it; interval: fsync every spool_sync_interval_ms."))
    spool_sync_interval_ms: int = Field(200, ge=1, le=60_000,
                                        description='The fsync period of spool_sync = "interval".')


class ComponentSpec(StrictModel):
    """A component named in the pipeline ([source], [[transforms]], [[sinks]]) with its settings."""

    name: str
    settings: dict[str, Any] = Field(default_factory=dict)


class PipelineConfig(StrictModel):
    """The core sections of a pipeline file, validated."""

    pipeline: PipelineMeta = Field(default_factory=PipelineMeta)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)


CORE_SECTIONS = ("pipeline", "kafka", "logging", "ingest")
COMPONENT_SECTIONS = {"source": "source", "transforms": "transform", "sinks": "sink"}
