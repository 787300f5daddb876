"""The demo's pipeline file: the local stack's endpoints, the feed, every built-in transform and
a Delta table per stream."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tomli_w

from coinstream.core import KafkaSettings

LAKE_PREFIX = "lake/"
PIPELINE_NAME = "demo"
TABLES = ("trades", "ohlcv_1m", "exchange_stats", "quarantine", "late_trades", "feed_gaps")
ROW_TABLES = ("trades", "quarantine", "late_trades")
"""The tables that hold trades row by row: between them, every trade the processor routed."""
GAP_TABLE = "feed_gaps"
"""The one table not read from the trades topic: its query reads the feed gaps topic."""


def topic_of(table: str, kafka: KafkaSettings) -> str:
    """The topic the query writing ``table`` reads."""
    return kafka.feed_gaps_topic if table == GAP_TABLE else kafka.trades_topic


def demo_pipeline(*, bootstrap_servers: str, schema_registry_url: str, s3_endpoint_url: str, bucket: str,
                  feed_url: str | None, feed_rest_url: str | None, checkpoints: Path,
                  trigger_interval: str = "2 seconds") -> dict[str, Any]:
    """Return the demo pipeline as a TOML document (a dict). ``feed_url`` None means the real Tiingo
    feed (the tiingo source's defaults, the key from COINSTREAM_TIINGO_API_KEY)."""
    source: dict[str, Any] = {"name": "tiingo"}
    if feed_url is not None:
        source.update(url=feed_url, rest_url=feed_rest_url)
    return {
        "pipeline": {"name": PIPELINE_NAME},
        "kafka": {"bootstrap_servers": bootstrap_servers, "schema_registry_url": schema_registry_url,
                  "replication_factor": 3, "min_insync_replicas": 2},
        "s3": {"endpoint_url": s3_endpoint_url, "bucket": bucket, "region": "us-east-1", "path_style": True,
               "prefix": LAKE_PREFIX},
        # Checkpoints on local disk keep each micro-batch's bookkeeping off S3 (S3A renames are
        # copies); a production pipeline points this at storage that outlives the machine.
        "spark": {"master": "local[2]", "trigger_interval": trigger_interval, "checkpoint_location": str(checkpoints),
                  "shuffle_partitions": 2},
        # The ingestor's durable spool next to the run's other state (not in the user's home).
        "ingest": {"spool_dir": str(checkpoints.parent / "spool")},
        "source": source,
        "transforms": [{"name": "validate"}, {"name": "deduplicate"}, {"name": "enrich"}, {"name": "ohlcv"},
                       {"name": "exchange_stats"}],
        "sinks": [{"name": "delta", "input": table} for table in TABLES],
    }


def write_pipeline(document: dict[str, Any], path: Path) -> Path:
    """Write the pipeline TOML; return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# written by `coinstream demo`\n" + tomli_w.dumps(document), encoding="utf-8")
    return path
