"""Processor benchmark: decode + validate + deduplicate + enrich on local[2], against the local stack.

Two figures, each on its own fresh topic (2 partitions):

1. sustained throughput: N trades are produced first, then the processor drains them with the
   availableNow trigger in micro-batches of at most --batch-size records; rows/s = rows / sum of
   batch durations (and rows / wall time of the drain, including query start-up).
2. latency at a steady rate: a producer paces --rate trades/s for --seconds while the processor runs
   with a --trigger interval; every micro-batch's duration (Spark's batchDuration: from the trigger
   to the commit) is collected; the target is every batch within 2 s.

The sink is Spark's ``noop`` format, registered here through ``register_sinks`` exactly as a third
party would, so the figures measure the processor, not a sink. Run from the checkout with the stack
up (``coinstream stack up``):

    .venv/bin/python bench/processor_throughput.py --trades 1000000 --rate 2000 --seconds 60
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from bench_topics import delete_bench_topics
from lock_id import print_lock
from unreachable import ensure_bench_topics, run_or_exit
from coinstream.core import ComponentContext, KafkaSettings, PluginHost, Provider, Trade, hookimpl, parse_pipeline
from coinstream.core.kafka import TradeAvroCodec, TradeProducer, require_brokers
from coinstream.spark import plugin as spark_plugin
from coinstream.spark.api import SinkContext, SinkSettings
from coinstream.spark.processor import Processor, ProcessorOptions, ProcessorReport

TICKERS = ("btcusdt", "ethusdt", "solusdc", "xrpusdt", "dogeusdt", "adausdt", "bnbusdt", "ltcbtc")
EXCHANGES = ("binance", "coinbase", "kraken", "okx")
TRANSFORMS = [{"name": "validate"}, {"name": "deduplicate", "watermark": "10 minutes"}, {"name": "enrich"}]


class NoopSink:
    """Runs the whole plan and discards the rows (Spark's noop format)."""

    def __init__(self, settings: SinkSettings, context: ComponentContext) -> None:
        self.settings = settings

    def start(self, stream: Any, context: SinkContext) -> Any:
        return context.writer(stream).format("noop").start()


class BenchPlugin:
    @hookimpl
    def register_sinks(self, register: Any) -> None:
        register("noop", NoopSink, engine="spark", settings=SinkSettings, description="discard rows (benchmark)")


def make_trades(count: int, start_index: int, rate: float) -> list[Trade]:
    """Trades whose event times advance at ``rate`` per second (so the watermark moves realistically)."""
    base = int(time.time() * 1_000_000) - int(count / rate * 1_000_000) - 5_000_000
    out = []
    for i in range(start_index, start_index + count):
        trade_time = base + int(i / rate * 1_000_000)
        out.append(Trade(trade_id=f"bench-{i}", ticker=TICKERS[i % len(TICKERS)], exchange=EXCHANGES[i % 4],
                         price=100.0 + (i % 1000) / 10, size=0.001 * (1 + i % 50), trade_time=trade_time,
                         ingest_time=trade_time + 20_000, source="bench"))
    return out


def kafka_settings(args: argparse.Namespace) -> KafkaSettings:
    suffix = uuid.uuid4().hex[:8]
    return KafkaSettings(bootstrap_servers=args.bootstrap_servers, schema_registry_url=args.schema_registry_url,
                         trades_topic=f"bench.processor.{suffix}", dead_letter_topic=f"bench.processor.dlq.{suffix}",
                         partitions=2, replication_factor=3, min_insync_replicas=2)


def producer_for(settings: KafkaSettings) -> TradeProducer:
    ensure_bench_topics(settings)
    codec = TradeAvroCodec.for_kafka(settings)
    return TradeProducer(settings, codec)


def run(host: PluginHost, spark: Any, settings: KafkaSettings, checkpoints: Path, spark_settings: dict[str, Any],
        options: ProcessorOptions) -> ProcessorReport:
    raw = {
        "pipeline": {"name": "bench"},
        "kafka": settings.model_dump(mode="json", exclude_none=True),
        "spark": {"master": "local[2]", "checkpoint_location": str(checkpoints), **spark_settings},
        "transforms": TRANSFORMS,
        "sinks": [{"name": "noop", "input": "trades"}],
    }
    pipeline = parse_pipeline(raw, host.registry)
    return Processor(pipeline, host.hook, options, spark=spark).run()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def sustained(args: argparse.Namespace, host: PluginHost, spark: Any, checkpoints: Path) -> dict[str, Any]:
    settings = kafka_settings(args)
    producer = producer_for(settings)
    started = time.monotonic()
    chunk = 50_000
    for start in range(0, args.trades, chunk):
        producer.send(make_trades(min(chunk, args.trades - start), start, rate=50_000))
        producer.poll(0)
    assert producer.flush(300) == 0 and producer.stats.failed == 0
    produce_s = time.monotonic() - started

    drain_started = time.monotonic()
    try:
        report = run(host, spark, settings, checkpoints / "sustained",
                     {"max_offsets_per_trigger": args.batch_size}, ProcessorOptions(available_now=True))
    finally:
        delete_bench_topics(settings)
    drain_s = time.monotonic() - drain_started
    data_batches = [m for m in report.metrics if m.rows > 0]
    rows = sum(m.rows for m in data_batches)
    busy_s = sum(m.duration_ms for m in data_batches) / 1000
    # The first batches run while the JVM's JIT compiles the plan's code: steady state is after them.
    steady = data_batches[args.warmup_batches:]
    steady_rate = (sum(m.rows for m in steady) / (sum(m.duration_ms for m in steady) / 1000)) if steady else None
    return {
        "trades": args.trades, "produce_seconds": round(produce_s, 1), "rows_processed": rows,
        "micro_batches": len(data_batches),
        f"rows_per_second_after_{args.warmup_batches}_warmup_batches": round(steady_rate) if steady_rate else None,
        "rows_per_second_in_all_batches": round(rows / busy_s),
        "rows_per_second_wall_including_start": round(rows / drain_s),
        "batch_duration_ms": [round(m.duration_ms) for m in data_batches],
        "batch_rows_per_second": [round(m.rows_per_second) for m in data_batches],
    }


def steady(args: argparse.Namespace, host: PluginHost, spark: Any, checkpoints: Path) -> dict[str, Any]:
    settings = kafka_settings(args)
    producer = producer_for(settings)
    producer.send(make_trades(1, 0, rate=args.rate))  # registers the schema before the processor starts
    assert producer.flush(30) == 0
    stop = threading.Event()
    sent = [1]

    def pace() -> None:
        index, tick = 1, 0.1
        per_tick = int(args.rate * tick)
        next_at = time.monotonic()
        while not stop.is_set():
            trades = make_trades(per_tick, index, rate=args.rate)
            now_micros = int(time.time() * 1_000_000)
            trades = [Trade(**{**t.to_avro_dict(), "trade_time": now_micros - 20_000, "ingest_time": now_micros})
                      for t in trades]
            producer.send(trades)
            producer.poll(0)
            index += per_tick
            sent[0] += per_tick
            next_at += tick
            time.sleep(max(0.0, next_at - time.monotonic()))
        producer.flush(30)

    thread = threading.Thread(target=pace, daemon=True)
    thread.start()
    try:
        report = run(host, spark, settings, checkpoints / "steady", {"trigger_interval": args.trigger},
                     ProcessorOptions(available_now=False, duration_s=args.seconds))
    finally:
        stop.set()
        thread.join(30)
        delete_bench_topics(settings)
    # Skip the first batches: they include the query's start-up and the backlog produced during it.
    batches = [m for m in report.metrics if m.batch_id >= 3]
    durations = [m.duration_ms for m in batches]
    return {
        "rate_per_second": args.rate, "seconds": args.seconds, "trigger": args.trigger, "trades_sent": sent[0],
        "rows_processed": sum(m.rows for m in report.metrics), "micro_batches_measured": len(batches),
        "batch_duration_ms_p50": round(percentile(durations, 0.5)) if durations else None,
        "batch_duration_ms_p99": round(percentile(durations, 0.99)) if durations else None,
        "batch_duration_ms_max": round(max(durations)) if durations else None,
        "batches_over_2s": sum(1 for d in durations if d > 2000),
        "kafka_lag_max": max((m.kafka_lag or 0) for m in batches) if batches else None,
        "rows_per_batch_median": statistics.median(m.rows for m in batches) if batches else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap-servers", default=KafkaSettings().bootstrap_servers)
    parser.add_argument("--schema-registry-url", default=KafkaSettings().schema_registry_url)
    parser.add_argument("--trades", type=int, default=2_000_000)
    parser.add_argument("--batch-size", type=int, default=200_000, help="maxOffsetsPerTrigger of the drain")
    parser.add_argument("--warmup-batches", type=int, default=3,
                        help="sustained: data batches left out of the steady-state rate (JIT warm-up)")
    parser.add_argument("--rate", type=int, default=2_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--trigger", default="1 second")
    parser.add_argument("--checkpoints", type=Path, default=Path(".cache/bench-checkpoints") / uuid.uuid4().hex[:8])
    parser.add_argument("--skip-sustained", action="store_true")
    parser.add_argument("--skip-steady", action="store_true")
    args = parser.parse_args()
    print_lock()
    # before the JVM starts: brokers that do not answer are one line and exit 2 in seconds
    require_brokers(KafkaSettings(bootstrap_servers=args.bootstrap_servers))

    from coinstream.spark.jars import ensure_jars
    from coinstream.spark.session import build_session
    from coinstream.spark.settings import SparkSettings

    host = PluginHost(autoload=False, plugins=[(spark_plugin, Provider("coinstream-spark-transforms", "bench")),
                                               (BenchPlugin(), Provider("bench", "0"))])
    # The processor's own session settings (RocksDB state with changelog checkpointing, UTC...).
    spark = build_session(SparkSettings(master="local[2]", driver_memory="2g"), ensure_jars())
    results: dict[str, Any] = {}
    try:
        if not args.skip_sustained:
            results["sustained"] = sustained(args, host, spark, args.checkpoints)
            print(json.dumps({"sustained": results["sustained"]}), flush=True)
        if not args.skip_steady:
            results["steady"] = steady(args, host, spark, args.checkpoints)
            print(json.dumps({"steady": results["steady"]}), flush=True)
    finally:
        spark.stop()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    run_or_exit(main)
