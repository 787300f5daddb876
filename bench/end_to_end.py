"""End-to-end benchmark: simulator -> ingestor -> Kafka -> Spark -> Delta on S3, all on this machine.

Two scenarios, each on a fresh topic and a fresh table prefix (``bench/<id>/``) on the local stack:

``volume``  the reference's whole 10-minute volume (113,125 trades) is produced to Kafka first, then
            the processor (validate, deduplicate, enrich -> Delta ``trades``) drains it with the
            availableNow trigger. Reports the time from the query's start to the last commit (the
            target: under 15 s) and the same including the Spark session's start.
``volume --compare``  what users run against a plain consumer: the demo's full pipeline (every table of
            ``coinstream demo``), the same pipeline writing trades alone, and ``peer_baseline.py``, each in
            a fresh process draining the reference volume from one topic (cold: process start -> first
            and last Delta commit) and then the same volume again from a second topic into the running
            process (warm: query start -> last Delta commit), printed side by side with ratios to the peer.
``live``    the Tiingo-protocol simulator at ``--rate`` trades/s, the ingestor (``coinstream ingest``)
            and the processor (trigger ``--trigger``) run together for ``--seconds``. Afterwards every
            row of the table is matched to the Delta commit that added its file: latency = commit
            timestamp - ingest_time (p50/p99/max), and the sustained rate = rows committed / seconds
            between the first and the last commit. Targets: p99 < 5 s at 2,000 trades/s; 20,000
            trades/s sustained.

Run from the checkout with the stack up (``coinstream stack up``); S3 credentials are read from
``.stack/s3-credentials.env`` into this process's environment (the AWS chain), never printed:

    .venv/bin/python bench/end_to_end.py volume
    .venv/bin/python bench/end_to_end.py volume --compare
    .venv/bin/python bench/end_to_end.py live --rate 2000 --seconds 60
    .venv/bin/python bench/end_to_end.py live --rate 20000 --seconds 60
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import tomli_w
from bench_stack import CHECKOUT, stack_sections
from bench_topics import delete_bench_topics
from comparison import LegTimes, comparison_table
from lock_id import print_lock
from unreachable import ensure_bench_topics, run_or_exit

from coinstream.core import KafkaSettings, PluginHost, Trade, parse_pipeline
from coinstream.core.kafka import TradeAvroCodec, TradeProducer
from coinstream.devstack.demo.checkpoints import committed_offsets, reached
from coinstream.devstack.demo.kafka_range import end_offsets
from coinstream.devstack.demo.pipeline_file import TABLES as DEMO_TABLES
from coinstream.devstack.demo.pipeline_file import demo_pipeline, topic_of
from coinstream.lake.bucket import s3_client
from coinstream.lake.credentials import resolve_credentials
from coinstream.lake.errors import TableNotFoundError
from coinstream.lake.reader import LakeReader
from coinstream.lake.settings import S3Settings
from coinstream.s3.spark_conf import session_conf
from coinstream.spark.jars import ensure_jars
from coinstream.spark.processor import Processor, ProcessorOptions
from coinstream.spark.session import build_session
from coinstream.spark.settings import SparkSettings

REFERENCE_TRADES = 113_125
RESULT = "LEG "  # marks a leg's result line among whatever else it prints
TRANSFORMS = [{"name": "validate"}, {"name": "deduplicate", "watermark": "10 minutes"}, {"name": "enrich"}]
TICKERS = ("btcusdt", "ethusdt", "solusdc", "xrpusdt", "dogeusdt", "adausdt", "bnbusdt", "ltcbtc")
EXCHANGES = ("binance", "coinbase", "kraken", "okx")


# -- the stack -----------------------------------------------------------------------------------
def fresh_kafka(kafka: dict[str, Any], partitions: int) -> KafkaSettings:
    suffix = uuid.uuid4().hex[:8]
    return KafkaSettings(**{**kafka, "trades_topic": f"bench.e2e.{suffix}", "dead_letter_topic": f"bench.e2e.dlq.{suffix}",
                            "feed_gaps_topic": f"bench.e2e.gaps.{suffix}", "partitions": partitions})


def pipeline_document(kafka: KafkaSettings, s3: S3Settings, checkpoints: Path, spark: dict[str, Any],
                      source: dict[str, Any] | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "pipeline": {"name": "bench"},
        "kafka": kafka.model_dump(mode="json", exclude_none=True),
        "s3": s3.model_dump(mode="json", exclude_none=True),
        "spark": {"master": "local[2]", "checkpoint_location": str(checkpoints), **spark},
        "transforms": TRANSFORMS,
        "sinks": [{"name": "delta", "input": "trades"}],
    }
    if source:
        document["source"] = source
    return document


def start_session(s3: S3Settings) -> Any:
    started = time.monotonic()
    conf = session_conf(s3, resolve_credentials(), on_s3=True)
    spark = build_session(SparkSettings(master="local[2]", driver_memory="2g"), ensure_jars(), conf)
    print(f"spark session started in {time.monotonic() - started:.1f} s", flush=True)
    return spark


# -- reading the result: each row's commit -----------------------------------------------------
def delta_commits(s3: S3Settings, table: str) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """Yield each commit of the table's Delta log that has a timestamp: the timestamp (ms) and its actions."""
    client = s3_client(s3)
    log_prefix = f"{s3.prefix}{table}/_delta_log/"
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=s3.bucket, Prefix=log_prefix):
        for item in page.get("Contents", []):
            if not item["Key"].endswith(".json"):
                continue
            actions = [json.loads(line) for line in
                       client.get_object(Bucket=s3.bucket, Key=item["Key"])["Body"].read().decode().splitlines()
                       if line.strip()]
            stamp = next((a["commitInfo"]["timestamp"] for a in actions if "commitInfo" in a), None)
            if stamp is not None:
                yield int(stamp), actions


def commits_by_file(s3: S3Settings, table: str) -> dict[str, int]:
    """Map each data file's name to the timestamp (ms) of the Delta commit that added it."""
    return {action["add"]["path"].rsplit("/", 1)[-1]: stamp for stamp, actions in delta_commits(s3, table)
            for action in actions if "add" in action}


def latencies(s3: S3Settings, table: str = "trades", ingested_from_us: int = 0) -> tuple[list[float], list[int], int]:
    """Per row ingested from ``ingested_from_us`` on: commit time - ingest_time (s); the timestamps (ms) of
    the commits holding those rows; the first of their ingest_times (µs)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    commits = commits_by_file(s3, table)
    dataset = LakeReader(s3).table(table).to_pyarrow_dataset()
    values: list[float] = []
    holding: set[int] = set()
    first_ingest = 2**62
    for fragment in dataset.get_fragments():
        stamp = commits[fragment.path.rsplit("/", 1)[-1]]
        ingest = fragment.to_table(columns=["ingest_time"], use_threads=False).column("ingest_time")
        micros = [m for m in pc.cast(pc.cast(ingest, pa.timestamp("us", tz="UTC")), pa.int64()).to_pylist()
                  if m >= ingested_from_us]
        if not micros:
            continue
        values.extend((stamp * 1000 - m) / 1e6 for m in micros)
        holding.add(stamp)
        first_ingest = min(first_ingest, min(micros))
    return values, sorted(holding), first_ingest


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


# -- volume ----------------------------------------------------------------------------------------
def make_trades(count: int, prefix: str = "vol") -> list[Trade]:
    now = int(time.time() * 1_000_000)
    base = now - 600 * 1_000_000  # ten minutes of event time, like the reference's window
    return [Trade(trade_id=f"{prefix}-{i}", ticker=TICKERS[i % len(TICKERS)], exchange=EXCHANGES[i % 4],
                  price=100.0 + (i % 1000) / 10, size=0.001 * (1 + i % 50),
                  trade_time=base + int(i * 600_000_000 / count), ingest_time=now, source="bench")
            for i in range(count)]


def produce_volume(producer: TradeProducer, count: int, prefix: str) -> float:
    started = time.monotonic()
    producer.send(make_trades(count, prefix))
    assert producer.flush(300) == 0 and producer.stats.failed == 0
    return time.monotonic() - started


def last_commit_ms(s3: S3Settings, table: str = "trades") -> int:
    return max(commits_by_file(s3, table).values())


def drain(spark: Any, kafka: KafkaSettings, s3: S3Settings, checkpoints: Path) -> dict[str, Any]:
    """Run the processor with availableNow on what the topic holds; time it to the last Delta commit."""
    host = PluginHost()
    pipeline = parse_pipeline(pipeline_document(kafka, s3, checkpoints, {}), host.registry)
    processor = Processor(pipeline, host.hook, ProcessorOptions(available_now=True), spark=spark)
    started_wall, started = time.time(), time.monotonic()
    report = processor.run()
    return {"landed_s": round(last_commit_ms(s3) / 1000 - started_wall, 1),
            "query_stopped_s": round(time.monotonic() - started, 1),
            "data_batches": sum(1 for m in report.metrics if m.rows > 0), "reason": report.reason}


def volume(args: argparse.Namespace) -> dict[str, Any]:
    """The reference's volume, twice: into a fresh JVM (cold), then into the same running session (warm)."""
    kafka_raw, s3_raw = stack_sections()
    kafka = fresh_kafka(kafka_raw, args.partitions)
    s3 = S3Settings(**{**s3_raw, "prefix": f"bench/{uuid.uuid4().hex[:8]}/"})
    ensure_bench_topics(kafka)
    producer = TradeProducer(kafka, TradeAvroCodec.for_kafka(kafka))
    checkpoints = Path(args.workdir) / "chk-volume"
    try:
        produce_s = produce_volume(producer, args.trades, "cold")
        print(f"produced {args.trades:,} trades in {produce_s:.1f} s", flush=True)
        session_started = time.monotonic()
        spark = start_session(s3)
        session_s = time.monotonic() - session_started
        cold = drain(spark, kafka, s3, checkpoints)
        print(f"cold: {cold}", flush=True)
        produce_volume(producer, args.trades, "warm")
        warm = drain(spark, kafka, s3, checkpoints)  # the same checkpoint: only the new trades
        print(f"warm: {warm}", flush=True)
        rows = LakeReader(s3).read("trades", columns=["trade_id"]).num_rows
        spark.stop()
    finally:
        delete_bench_topics(kafka)
    return {"scenario": "volume", "trades_per_run": args.trades, "rows_in_table": rows,
            "expected_rows": 2 * args.trades, "produce_s": round(produce_s, 1), "session_start_s": round(session_s, 1),
            "cold_jvm": {**cold, "landed_incl_session_s": round(cold["landed_s"] + session_s, 1)},
            "warm_jvm": warm, "table": f"s3a://{s3.bucket}/{s3.prefix}trades"}


# -- live ------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cli(*arguments: str, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "coinstream.core.cli.main", "--log-level", "warning", *arguments],
                            stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)


def wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        if process.poll() is not None:
            break
        time.sleep(0.1)
    raise SystemExit(f"the simulator did not listen on {port}; see {log}")


def live(args: argparse.Namespace) -> dict[str, Any]:
    kafka_raw, s3_raw = stack_sections()
    kafka = fresh_kafka(kafka_raw, args.partitions)
    s3 = S3Settings(**{**s3_raw, "prefix": f"bench/{uuid.uuid4().hex[:8]}/"})
    ensure_bench_topics(kafka)
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    spark = start_session(s3)

    port = free_port()
    source = {"name": "tiingo", "url": f"ws://127.0.0.1:{port}/crypto", "rest_url": f"http://127.0.0.1:{port}"}
    spark_settings = {"trigger_interval": args.trigger}
    if args.max_offsets:
        spark_settings["max_offsets_per_trigger"] = args.max_offsets
    document = pipeline_document(kafka, s3, workdir / "chk-live", spark_settings, source)
    pipeline_file = workdir / "pipeline.toml"
    pipeline_file.write_bytes(tomli_w.dumps(document).encode())
    host = PluginHost()
    pipeline = parse_pipeline({k: v for k, v in document.items() if k != "source"}, host.registry)
    processor = Processor(pipeline, host.hook, ProcessorOptions(available_now=False), spark=spark)
    # Register the Trade schema (as the ingestor will) so the queries run, waiting, before the first trade.
    TradeAvroCodec.for_kafka(kafka).encode(make_trades(1)[0])
    host.hook.pipeline_started(pipeline=pipeline, role="processor")  # what Processor.run() does first
    processor.start()
    warm_started = time.monotonic()
    while processor.queries[0].lastProgress is None:  # the first (empty) batch: plans, state store, Python worker
        time.sleep(0.5)
    print(f"first (empty) micro-batch done {time.monotonic() - warm_started:.1f} s after the query started", flush=True)

    simulator_log, ingest_log = workdir / "simulator.log", workdir / "ingest.log"
    simulator = cli("simulate", "--port", str(port), "--rate", str(args.rate), "--duration", str(args.seconds + 60),
                    log=simulator_log)
    ingestor: subprocess.Popen[bytes] | None = None
    try:
        wait_listening(port, simulator, simulator_log)
        ingestor = cli("ingest", str(pipeline_file), "--duration", str(args.seconds), "--no-progress", log=ingest_log)
        measured_from_us = int((time.time() + args.warmup) * 1_000_000)
        stop = threading.Event()

        def report_progress() -> None:  # the batch_committed hook, as `coinstream process` would call it
            while not stop.wait(1.0):
                processor.watcher.poll()

        threading.Thread(target=report_progress, daemon=True).start()
        ingestor.wait(args.seconds + 120)
        time.sleep(args.drain)  # let the last micro-batches commit
        stop.set()
    finally:
        processor.stop()
        for process in (ingestor, simulator):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(30)
    spark.stop()
    delete_bench_topics(kafka)

    ingested = next((line for line in ingest_log.read_text().splitlines() if line.startswith("ingested")), "?")
    return {"scenario": "live", "rate": args.rate, "seconds": args.seconds, "trigger": args.trigger,
            "ingestor": ingested, "micro_batches": batch_phases(processor.watcher.history), "all_rows": analyse(s3),
            f"after_{args.warmup:g}s_warmup": analyse(s3, measured_from_us)}


def batch_phases(history: list[Any]) -> dict[str, Any]:
    """Median and max of each micro-batch phase (Spark's durationMs) over the data batches."""
    data = [m for m in history if m.rows > 0]
    phases = sorted({key for m in data for key in m.extra if str(key).endswith("_ms")})
    out: dict[str, Any] = {"count": len(data), "rows_median": statistics.median(m.rows for m in data) if data else None}
    for phase in phases:
        values = [float(m.extra[phase]) for m in data if phase in m.extra]
        out[phase] = {"p50": round(statistics.median(values)), "max": round(max(values))}
    return out


def analyse(s3: S3Settings, ingested_from_us: int = 0) -> dict[str, Any]:
    """Latency per row and two rates, for the rows ingested from ``ingested_from_us`` on: end to end,
    rows / (last commit - first ingest), which a steady lag L lowers by L / (span + L); and landed,
    rows / (last commit - first commit holding them), the lake's intake while the lag stays steady
    (then compare the latency of the window's two halves: equal means keeping pace, growing means not)."""
    values, commits, first_ingest = latencies(s3, ingested_from_us=ingested_from_us)
    span_s = (commits[-1] * 1000 - first_ingest) / 1e6 if values else float("nan")
    commit_span_s = (commits[-1] - commits[0]) / 1000 if len(commits) > 1 else float("nan")
    half = len(values) // 2
    return {"rows_in_table": len(values), "commits": len(commits),
            "end_to_end_rows_per_s": round(len(values) / span_s) if values and span_s > 0 else None,
            "landed_rows_per_s": round(len(values) / commit_span_s) if commit_span_s > 0 else None,
            "latency_p50_s": round(statistics.median(values), 2) if values else None,
            "latency_p99_s": round(percentile(values, 0.99), 2) if values else None,
            "latency_max_s": round(max(values), 2) if values else None,
            "latency_p50_first_half_s": round(statistics.median(values[:half]), 2) if half else None,
            "latency_p50_second_half_s": round(statistics.median(values[half:]), 2) if half else None,
            "table": f"s3a://{s3.bucket}/{s3.prefix}trades"}


# -- volume --compare: the demo's full pipeline, trades alone and the peer baseline, side by side ----
LEGS = ("peer", "trades", "full")


def demo_document(kafka: KafkaSettings, s3: S3Settings, checkpoints: Path, tables: tuple[str, ...]) -> dict[str, Any]:
    """The pipeline `coinstream demo` runs (its transforms, sinks and [spark]) on the bench's topics and
    prefix, keeping the sinks of ``tables``; no source or ingest: the volume is in Kafka already."""
    document = demo_pipeline(bootstrap_servers=kafka.bootstrap_servers, schema_registry_url=kafka.schema_registry_url,
                             s3_endpoint_url=s3.endpoint_url or "", bucket=s3.bucket, feed_url=None,
                             feed_rest_url=None, checkpoints=checkpoints)
    for section in ("source", "ingest"):
        document.pop(section)
    document["kafka"] = kafka.model_dump(mode="json", exclude_none=True)
    document["s3"] = s3.model_dump(mode="json", exclude_none=True)
    document["sinks"] = [sink for sink in document["sinks"] if sink["input"] in tables]
    return document


def data_commits_ms(s3: S3Settings, table: str) -> list[int]:
    """Timestamps of the table's commits that added data files."""
    return sorted(stamp for stamp, actions in delta_commits(s3, table) if any("add" in action for action in actions))


def leg(args: argparse.Namespace) -> dict[str, Any]:
    """One Spark leg in this (fresh) process: drain the cold topic, then the warm one in the same JVM.

    Done = Processor.run() returned (availableNow: every query drained the end offsets of its start);
    ``caught_up`` checks it as the demo does, each query's committed offsets against the topic's end."""
    _, s3_raw = stack_sections()
    tables = DEMO_TABLES if args.leg == "full" else ("trades",)
    spark, out = None, {}
    for phase, topics in (("cold", args.cold), ("warm", args.warm)):
        # Each phase its own tables: the Delta sink makes a batch idempotent by (query name, batch id), so
        # a fresh checkpoint's batch 0 into the cold phase's tables would be skipped as already written.
        s3 = S3Settings(**{**s3_raw, "prefix": f"{args.prefix}{phase}/"})
        kafka = KafkaSettings.model_validate_json(Path(topics).read_text())
        checkpoints = Path(args.workdir) / f"chk-{args.leg}-{phase}"
        host = PluginHost()
        pipeline = parse_pipeline(demo_document(kafka, s3, checkpoints, tables), host.registry)
        processor = Processor(pipeline, host.hook, ProcessorOptions(available_now=True), spark=spark)
        started = time.time()
        report = processor.run()  # cold: builds the session from the demo's [spark], as `coinstream process` does
        stopped, spark = time.time(), processor.spark
        stamps = [stamp for table in tables for stamp in data_commits_ms(s3, table)]
        folders = {table: Path(processor.checkpoint_of(f"delta-{table}")) for table in tables}
        out[phase] = {"started_at": started, "stopped_at": stopped, "reason": report.reason,
                      "first_commit_at": min(stamps) / 1000 if stamps else None,
                      "last_commit_at": max(stamps) / 1000 if stamps else None,
                      "caught_up": all(reached(committed_offsets(folder, topic_of(table, kafka)),
                                               end_offsets(kafka, topic_of(table, kafka)))
                                       for table, folder in folders.items()),
                      "rows": {table: row_count(s3, table) for table in tables}}
    return out


def row_count(s3: S3Settings, table: str) -> int:
    """How many rows ``table`` holds (0 when the leg wrote none)."""
    try:
        return LakeReader(s3).table(table).to_pyarrow_dataset().count_rows()
    except TableNotFoundError:
        return 0


def run_leg(name: str, command: list[str], log: Path) -> tuple[float, list[dict[str, Any]]]:
    """Start ``command``; return when it started (wall clock) and the JSON lines it printed."""
    launched = time.time()
    with log.open("ab") as stderr:
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=stderr, timeout=1800, check=False)
    lines = [json.loads(line.removeprefix(RESULT)) for line in done.stdout.decode().splitlines()
             if line.startswith((RESULT, "{"))]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"the {name} leg failed (exit {done.returncode}); see {log}")
    return launched, lines


def leg_times(name: str, launched: float, lines: list[dict[str, Any]]) -> tuple[LegTimes, dict[str, Any]]:
    if name == "peer":
        cold, warm = lines
        times = LegTimes(name, 1, warm["seconds"], cold["first_commit_at"] - launched,
                         cold["last_commit_at"] - launched)
        return times, {"rows": {"trades": cold["rows"] + warm["rows"]}, "cold": cold, "warm": warm}
    (result,) = lines
    cold, warm = result["cold"], result["warm"]
    since = lambda at, start: None if at is None else at - start  # noqa: E731
    times = LegTimes(name, len(cold["rows"]), since(warm["last_commit_at"], warm["started_at"]),
                     since(cold["first_commit_at"], launched), since(cold["last_commit_at"], launched))
    return times, result


def compare(args: argparse.Namespace) -> dict[str, Any]:
    """The reference volume in two topics (cold, warm); each leg in a fresh process drains both."""
    kafka_raw, _ = stack_sections()
    workdir, run_id = Path(args.workdir), uuid.uuid4().hex[:8]
    workdir.mkdir(parents=True, exist_ok=True)
    topics = {phase: fresh_kafka(kafka_raw, args.partitions) for phase in ("cold", "warm")}
    legs: list[LegTimes] = []
    details: dict[str, Any] = {}
    try:
        for phase, kafka in topics.items():
            ensure_bench_topics(kafka)
            (workdir / f"kafka-{phase}.json").write_text(kafka.model_dump_json())
            produce_s = produce_volume(TradeProducer(kafka, TradeAvroCodec.for_kafka(kafka)), args.trades, phase)
            print(f"produced {args.trades:,} trades to {kafka.trades_topic} ({phase}) in {produce_s:.1f} s", flush=True)
        for name in args.legs:
            prefix = f"bench/{run_id}/{name}/"
            if name == "peer":
                command = [sys.executable, str(CHECKOUT / "bench" / "peer_baseline.py"), topics["cold"].trades_topic,
                           topics["warm"].trades_topic, "--prefix", prefix]
            else:
                command = [sys.executable, __file__, "leg", "--leg", name, "--prefix", prefix,
                           "--workdir", str(workdir), "--cold", str(workdir / "kafka-cold.json"),
                           "--warm", str(workdir / "kafka-warm.json")]
            times, details[name] = leg_times(name, *run_leg(name, command, workdir / f"{name}.log"))
            legs.append(times)
            print(f"{name}: {times}", flush=True)
    finally:
        for kafka in topics.values():
            delete_bench_topics(kafka)
    print(comparison_table(legs), flush=True)
    return {"scenario": "volume --compare", "trades_per_topic": args.trades, "legs": [asdict(leg) for leg in legs],
            "details": details, "logs": str(workdir)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", choices=["volume", "live", "analyse", "leg"])
    parser.add_argument("--compare", action="store_true", help="volume: the demo's full pipeline, trades alone and "
                        "the peer baseline, each in a fresh process, cold then warm, side by side")
    parser.add_argument("--legs", nargs="+", choices=LEGS, default=list(LEGS), help="volume --compare: which legs")
    parser.add_argument("--leg", choices=LEGS[1:], help=argparse.SUPPRESS)  # leg: run by --compare
    parser.add_argument("--cold", help=argparse.SUPPRESS)
    parser.add_argument("--warm", help=argparse.SUPPRESS)
    parser.add_argument("--prefix", help="analyse: the table prefix of an earlier run, e.g. bench/db76e300/")
    parser.add_argument("--trades", type=int, default=REFERENCE_TRADES, help="volume: trades produced first")
    parser.add_argument("--rate", type=float, default=2000.0, help="live: simulator trades/s (0 = as fast as it can)")
    parser.add_argument("--seconds", type=float, default=180.0, help="live: how long the ingestor runs")
    parser.add_argument("--trigger", default="1 second", help="live: the processor's trigger interval")
    parser.add_argument("--max-offsets", type=int, default=None, help="live: max_offsets_per_trigger")
    parser.add_argument("--warmup", type=float, default=90.0, help="live: seconds of ingest left out of the "
                        "'after warm-up' figures (the JVM's JIT needs a minute or two on 2 cores: batches "
                        "shrink from ~3 s to ~1.3 s)")
    parser.add_argument("--drain", type=float, default=15.0, help="live: seconds to wait after the ingestor stops")
    parser.add_argument("--partitions", type=int, default=2, help="partitions of the bench topic")
    parser.add_argument("--workdir", default=f"/tmp/coinstream-bench-{uuid.uuid4().hex[:6]}")
    args = parser.parse_args()
    if args.scenario != "leg":  # a leg's output is read by its parent, which printed the lock already
        print_lock()
    if args.scenario == "analyse":
        _, s3_raw = stack_sections()
        result = analyse(S3Settings(**{**s3_raw, "prefix": args.prefix}))
    elif args.scenario == "leg":
        print(RESULT + json.dumps(leg(args)), flush=True)
        return
    elif args.scenario == "volume":
        result = compare(args) if args.compare else volume(args)
    else:
        result = live(args)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    run_or_exit(main)
