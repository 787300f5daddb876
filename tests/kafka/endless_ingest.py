"""A producing process for the SIGTERM test: the real Ingestor over an endless synthetic source.

Run: python endless_ingest.py BOOTSTRAP REGISTRY_URL TOPIC DLQ. On exit it prints the
IngestReport as one JSON line on stdout.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict

from coinstream.core import KafkaSettings, Pipeline, PipelineConfig, SourceStats, Trade, derive_trade_id
from coinstream.core.ingest import IngestOptions, Ingestor
from coinstream.core.plugins import PluginHost


class EndlessSource:
    """Yields batches of 500 numbered trades every 10 ms until closed."""

    def __init__(self) -> None:
        self.stats = SourceStats()
        self._closed = False

    async def batches(self) -> AsyncIterator[Sequence[Trade]]:
        index = 0
        while not self._closed:
            # Current times: the Kafka timestamp is the ingest time, and records older than the
            # topic's 7-day retention would be deleted by the broker while the test reads them.
            now = time.time_ns() // 1000
            batch = [Trade(derive_trade_id("endless", "s", index + i), "btcusdt", "binance", 1.0, float(index + i),
                           now, now, "endless") for i in range(500)]
            index += 500
            self.stats.trades += 500
            yield batch
            await asyncio.sleep(0.01)

    async def close(self) -> None:
        self._closed = True


def main() -> None:
    bootstrap, registry, topic, dlq = sys.argv[1:5]
    kafka = KafkaSettings(bootstrap_servers=bootstrap, schema_registry_url=registry, trades_topic=topic,
                          dead_letter_topic=dlq, partitions=3)
    pipeline = Pipeline(config=PipelineConfig(kafka=kafka))
    host = PluginHost(autoload=False)
    ingestor = Ingestor(pipeline, host.hook, IngestOptions(metrics_interval_s=1.0), source=EndlessSource())
    print("ready", flush=True)
    report = asyncio.run(ingestor.run())
    print(json.dumps(asdict(report)), flush=True)


if __name__ == "__main__":
    main()
