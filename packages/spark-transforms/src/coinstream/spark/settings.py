"""The [spark] section of a pipeline file: where and how the processor runs."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from coinstream.core import StrictModel, env_override


class SparkSettings(StrictModel):
    """[spark]: the Spark master (or Spark Connect endpoint), triggers and the checkpoint."""

    master: str = Field("local[*]", json_schema_extra=env_override("COINSTREAM_SPARK_MASTER"),
                        description="Spark master URL: local[*], local[2], spark://host:7077, yarn, k8s://...")
    connect_url: str | None = Field(None, pattern=r"^sc://",
                                    json_schema_extra=env_override("COINSTREAM_SPARK_CONNECT_URL"),
                                    description="Spark Connect endpoint (sc://host:15002); replaces master when set.")
    app_name: str = "coinstream-processor"
    trigger_interval: str = Field("2 seconds", pattern=r"^\d+(\.\d+)? *(milliseconds?|ms|seconds?|s|minutes?|min)$",
                                  description="Micro-batch trigger interval, e.g. '2 seconds'.")
    max_offsets_per_trigger: int | None = Field(None, ge=1, description="Upper bound of Kafka records per micro-batch.")
    starting_offsets: Literal["earliest", "latest"] = "earliest"
    on_undecodable: Literal["quarantine", "stop"] = Field("quarantine", description=(
        "A trades record that cannot be decoded (not Confluent-framed, unknown schema id, corrupt Avro): "
        "'quarantine' writes it to the quarantine stream (bytes, offset, reason) and goes on; 'stop' stops "
        "the query naming its offset."))
    checkpoint_location: str = Field("checkpoints", min_length=1,
                                     json_schema_extra=env_override("COINSTREAM_SPARK_CHECKPOINT_LOCATION"),
                                     description="Folder or s3a:// URL of the streaming checkpoints.")
    shuffle_partitions: int = Field(2, ge=1, le=10_000)
    available_now: bool = Field(False, description="Process what the topic holds now, then stop (availableNow trigger).")
    driver_memory: str = Field("1g", pattern=r"^\d+[kmgt]$",
                               description="spark.driver.memory when the processor starts the JVM itself.")
    jars_dir: str | None = Field(None, description=(
        "Folder holding the Kafka/Avro/Delta/S3A jars; default: a registered jar provider's (in a "
        "checkout, <checkout>/.cache/jars/spark, fetched once with Maven). Not used with connect_url (the "
        "server has its own jars)."))
    log_level: Literal["ERROR", "WARN", "INFO", "DEBUG"] = Field("WARN", description="Spark's own (log4j) level.")
    conf: dict[str, str] = Field(default_factory=dict, description="Extra Spark configuration, passed unchanged.")
    kafka_options: dict[str, str] = Field(default_factory=dict, description=(
        "Extra options of Spark's Kafka source (e.g. \"kafka.max.partition.fetch.bytes\", \"minPartitions\"), "
        "passed unchanged over the processor's own."))

    @model_validator(mode="after")
    def _master_or_connect(self) -> SparkSettings:
        if self.connect_url and self.master not in ("local[*]",):
            raise ValueError(
                f"connect_url={self.connect_url!r} and master={self.master!r} are both set; a Spark Connect "
                "session has its master on the server: remove master or connect_url"
            )
        return self
