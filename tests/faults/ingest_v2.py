"""An ingestor release whose Trade schema has one more field, optional (null by default): case j rolls it
out mid-stream. The real Ingestor, source and spool; only its producer's codec writes the new schema.

Run: python ingest_v2.py PIPELINE_FILE. Logs JSON to stdout, as ``coinstream --log-format json ingest``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from coinstream.core import PluginHost, load_pipeline, trade_schema_str
from coinstream.core.ingest import IngestOptions, Ingestor
from coinstream.core.kafka import TradeAvroCodec, TradeProducer
from coinstream.core.logs.setup import configure_logging

NEW_FIELD = "venue_trade_id"


def schema_v2() -> str:
    """Trade with ``venue_trade_id``: ["null", "string"], default null: a BACKWARD-compatible change."""
    schema = json.loads(trade_schema_str())
    schema["fields"].append({"name": NEW_FIELD, "type": ["null", "string"], "default": None,
                             "doc": "The exchange's own trade id, when a feed carries one."})
    return json.dumps(schema)


def main() -> None:
    configure_logging("info", "json")
    host = PluginHost()
    pipeline = load_pipeline(Path(sys.argv[1]), host.registry)
    kafka = pipeline.config.kafka
    codec = TradeAvroCodec.for_kafka(kafka, schema_str=schema_v2())
    producer = TradeProducer(kafka, codec, spooled=pipeline.config.ingest.spool_enabled)
    ingestor = Ingestor(pipeline, host.hook, IngestOptions(metrics_interval_s=1.0), producer=producer)
    asyncio.run(ingestor.run())


if __name__ == "__main__":
    main()
