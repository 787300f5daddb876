"""The SparkSession the processor runs in: local, a cluster master, or Spark Connect."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from coinstream.spark.settings import SparkSettings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = structlog.get_logger(__name__)

# S3A renames are copy + delete and some S3 servers do not list S3A's folder markers: checkpoint
# through the plain FileSystem API instead (verified against S3Proxy, see jvm-matrix notes).
_S3A_CHECKPOINT_MANAGER = (
    "org.apache.spark.sql.execution.streaming.checkpointing.FileSystemBasedCheckpointFileManager")


def session_conf(settings: SparkSettings, jars: Sequence[Path], extra: Mapping[str, str] = ()) -> dict[str, str]:
    """Return the Spark configuration for a processor session (settings.conf wins over the defaults)."""
    conf = {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": str(settings.shuffle_partitions),
        "spark.ui.enabled": "false",
        # The processor reports its own progress (structlog, the batch_committed hook): no stage bars in its logs.
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.memory": settings.driver_memory,
        # Small micro-batches on few cores: do not let adaptive execution re-plan each one.
        "spark.sql.adaptive.enabled": "false",
        "spark.sql.streaming.metricsEnabled": "false",
        # Deduplication keeps every trade id of the watermark's span (10 min x 50k/s = 30M keys): RocksDB
        # holds it off the JVM heap, and a changelog per batch (instead of a full snapshot) keeps batches short.
        "spark.sql.streaming.stateStore.providerClass":
            "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider",
        "spark.sql.streaming.stateStore.rocksdb.changelogCheckpointing.enabled": "true",
        # Counting the state's rows costs a RocksDB read per write (measured: 1.3x the deduplication
        # throughput without it); the batch metric state_rows is then 0.
        "spark.sql.streaming.stateStore.rocksdb.trackTotalNumberOfRows": "false",
    }
    if jars:
        conf["spark.jars"] = ",".join(str(jar) for jar in jars)
    if settings.checkpoint_location.startswith("s3a://"):
        conf["spark.sql.streaming.checkpointFileManagerClass"] = _S3A_CHECKPOINT_MANAGER
    conf.update(extra)
    conf.update(settings.conf)
    return conf


def build_session(settings: SparkSettings, jars: Sequence[Path], extra: Mapping[str, str] = ()) -> SparkSession:
    """Start (or attach to) the SparkSession: Spark Connect when connect_url is set, else ``master``."""
    from pyspark.sql import SparkSession

    conf = session_conf(settings, jars, extra)
    builder = SparkSession.builder.appName(settings.app_name)
    if settings.connect_url:
        builder = builder.remote(settings.connect_url)
        # The server owns the JVM: only session-level settings can be sent.
        conf = {k: v for k, v in conf.items() if k.startswith("spark.sql.")}
    else:
        builder = builder.master(settings.master)
        warn_unshared_checkpoint(settings)
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    if not settings.connect_url:
        spark.sparkContext.setLogLevel(settings.log_level)
    log.info("spark_session_started", master=settings.connect_url or settings.master, jars=len(jars),
             spark_version=spark.version)
    return spark


def warn_unshared_checkpoint(settings: SparkSettings) -> None:
    """Warn when a cluster's executors may not reach the checkpoint: the state store (deduplication,
    windows) is written by the executors, so a local folder only works when they run on the driver's machine."""
    local_master = settings.master.startswith("local")
    if not local_master and "://" not in settings.checkpoint_location:
        log.warning("checkpoint_not_shared", master=settings.master, checkpoint=settings.checkpoint_location,
                    hint="executors on other machines cannot write the state store there; set [spark] "
                         "checkpoint_location to shared storage (s3a://BUCKET/checkpoints, hdfs://...)")


def apply_runtime_conf(spark: SparkSession, conf: Mapping[str, str]) -> None:
    """Set what can still be set on a running session (a session the caller passed in)."""
    for key, value in conf.items():
        try:
            spark.conf.set(key, value)
        except Exception:  # static settings (spark.jars, extensions) cannot change after start-up
            log.debug("spark_conf_not_applied", key=key)
