"""Benchmark: simulator -> ingestor -> Kafka (3 brokers, replication 3, acks=all) on loopback.

Prints sustained trades/s (acknowledged by the cluster, after a warm-up) and the p50/p99 latency
from the ingestor receiving a frame to the broker acknowledging its record, with the spool on
(the default: every record appended to local disk and fsynced per batch before it is produced)
and, with ``--spool both``, again with the spool off in the same run, plus the bytes a trade takes
on disk. The simulator runs in its own process (its own core); the ingestor runs in this process.

    ./dev bench ingest_throughput                       # max rate, 30 s, spool on
    ./dev bench ingest_throughput --rate 50000 --seconds 30 --spool both
    ./dev bench ingest_throughput --rate 2000 --seconds 20 --spool off --sync interval
    ./dev bench ingest_throughput --profile             # where the ingestor's time goes

Needs the local stack: it is started if it is not running (and then stopped again).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import itertools
import pstats
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench_topics import delete_bench_topics
from lock_id import print_lock
from unreachable import run_or_exit
from coinstream.core import PluginHost, parse_pipeline
from coinstream.core.ingest import IngestOptions, Ingestor
from coinstream.devstack.stack import LocalStack

# Where a profile's time goes, by the file a function lives in.
CATEGORIES = (
    ("websocket (picows)", ("picows",)),
    ("frame parsing (tiingo protocol, orjson)", ("tiingo/protocol", "tiingo/timestamps", "tiingo/pairs", "orjson")),
    ("trade id + Trade", ("records/trade", "trade_id", "blake2b")),
    ("Avro encoding (trade_encoder)", ("kafka/trade_encoder", "kafka/avro", "fastavro",
                                                          "of 'bytearray' objects")),
    ("Kafka producer (librdkafka calls, callbacks)", ("kafka/producer", "cimpl", "confluent_kafka")),
    ("source batching (tiingo client)", ("tiingo/client", "tiingo/source")),
    ("event loop (asyncio)", ("asyncio",)),
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_simulator(port: int, rate: float, seconds: float) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "coinstream.core.cli.main", "--log-level", "warning", "simulate",
               "--port", str(port), "--rate", str(rate), "--duration", str(seconds + 30), "--heartbeat", "5"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.1)
    process.kill()
    raise SystemExit(f"the simulator did not listen on {port}: {process.stderr.read().decode() if process.stderr else ''}")


def categorize(profile: cProfile.Profile) -> list[tuple[str, float]]:
    stats = pstats.Stats(profile)
    totals: dict[str, float] = {}
    for (filename, _line, function), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{filename}:{function}"
        label = next((name for name, needles in CATEGORIES if any(n in where for n in needles)), "other")
        totals[label] = totals.get(label, 0.0) + tottime
    total = sum(totals.values()) or 1.0
    return sorted(((label, seconds / total) for label, seconds in totals.items()), key=lambda item: -item[1])


@dataclass
class Leg:
    """One measured run: the spool on or off."""

    spool: bool
    report: object
    samples: list[tuple[float, int, int]]  # (monotonic time, trades acknowledged, spool bytes)
    profile: cProfile.Profile | None


def run_leg(args: argparse.Namespace, stack: LocalStack, spool: bool) -> Leg:
    port = free_port()
    simulator = start_simulator(port, args.rate, args.warmup + args.seconds)
    spool_dir = tempfile.mkdtemp(prefix="coinstream-bench-spool-")
    pipeline = None
    try:
        suffix = uuid.uuid4().hex[:8]
        host = PluginHost()
        pipeline = parse_pipeline({
            "pipeline": {"name": "bench-ingest"},
            "kafka": {"bootstrap_servers": stack.endpoints.bootstrap_servers,
                      "schema_registry_url": stack.endpoints.schema_registry_url,
                      "trades_topic": f"bench.trades.{suffix}", "dead_letter_topic": f"bench.dlq.{suffix}",
                      "partitions": args.partitions},
            "ingest": {"spool_enabled": spool, "spool_dir": spool_dir, "spool_sync": args.sync},
            "source": {"name": "tiingo", "url": f"ws://127.0.0.1:{port}/crypto",
                       "rest_url": f"http://127.0.0.1:{port}", "api_key": "bench-key"},
        }, host.registry)
        samples: list[tuple[float, int, int]] = []
        options = IngestOptions(duration_s=args.warmup + args.seconds, metrics_interval_s=1.0,
                                on_metrics=lambda f: samples.append((time.monotonic(), int(f["trades_acked"] or 0),
                                                                     int(f.get("spool_bytes") or 0))))
        ingestor = Ingestor(pipeline, host.hook, options)
        profile = cProfile.Profile() if args.profile else None
        if profile:
            profile.enable()
        report = asyncio.run(ingestor.run())
        if profile:
            profile.disable()
    finally:
        simulator.terminate()
        simulator.wait(timeout=30)
        shutil.rmtree(spool_dir, ignore_errors=True)
        if pipeline is not None:
            delete_bench_topics(pipeline.config.kafka)
    return Leg(spool, report, samples, profile)


def print_leg(leg: Leg, args: argparse.Namespace) -> float:
    report, samples = leg.report, leg.samples
    warm = [s for s in samples if s[0] - samples[0][0] >= args.warmup] if samples else []
    sustained = (warm[-1][1] - warm[0][1]) / (warm[-1][0] - warm[0][0]) if len(warm) >= 2 else 0.0
    # Metrics ticks are ~1 s apart, further at the ceiling (the loop drains a backlog first): per-second rates.
    per_second = [(b[1] - a[1]) / (b[0] - a[0]) for a, b in itertools.pairwise(warm) if b[0] > a[0]]
    print(f"-- spool {'on (' + args.sync + ' fsync)' if leg.spool else 'off'}")
    print(f"simulator rate          : {'max' if args.rate <= 0 else f'{args.rate:,.0f}/s'}")
    print(f"trades acknowledged     : {report.trades_acked:,} in {report.duration_s:.1f} s "
          f"(failed {report.failed}, unacknowledged {report.pending}, dead letters {report.dead_letters_acked})")
    print(f"sustained trades/s      : {sustained:,.0f} (after {args.warmup:.0f} s warm-up; "
          f"median of metrics intervals {statistics.median(per_second) if per_second else 0:,.0f}/s)")
    print(f"receive -> ack latency  : p50 {report.ack_latency_p50_ms or 0:.1f} ms, p99 {report.ack_latency_p99_ms or 0:.1f} ms")
    if leg.spool and report.spool_written_records:
        peak = max((s[2] for s in samples), default=0)
        print(f"spool on disk           : {report.spool_written_bytes / report.spool_written_records:,.1f} bytes a "
              f"record ({report.spool_written_records:,} records, {report.spool_written_bytes / 2**20:,.0f} MiB "
              f"written); at most {peak / 2**20:,.1f} MiB at a metrics tick; {report.spool_records:,} left")
    if leg.profile:
        print("where the ingestor's time goes (share of profiled CPU time):")
        for label, share in categorize(leg.profile):
            print(f"  {share:6.1%}  {label}")
        buffer = io.StringIO()
        name = f"bench/last-ingest-profile-spool-{'on' if leg.spool else 'off'}.txt"
        pstats.Stats(leg.profile, stream=buffer).sort_stats("tottime").print_stats(12)
        Path(name).write_text(buffer.getvalue())
        print(f"  (top functions: {name})")
    return sustained


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=0.0, help="simulator trades/s; 0 = as fast as it can")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured seconds (after the warm-up)")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--spool", choices=("on", "off", "both"), default="on",
                        help="the ingestor's spool ([ingest] spool_enabled); both: on, then off, in one run")
    parser.add_argument("--sync", choices=("batch", "interval"), default="batch", help="[ingest] spool_sync")
    parser.add_argument("--profile", action="store_true", help="profile the ingestor and group its time")
    args = parser.parse_args()
    print_lock()

    stack = LocalStack()
    started = stack.up().started
    legs = {"on": (True,), "off": (False,), "both": (True, False)}[args.spool]
    try:
        results = [run_leg(args, stack, spool) for spool in legs]
    finally:
        if started:
            stack.down(started)
    sustained = [print_leg(leg, args) for leg in results]
    if len(sustained) == 2 and sustained[1]:
        print(f"-- spool on / off       : {sustained[0] / sustained[1]:.1%} of the throughput without it")


if __name__ == "__main__":
    run_or_exit(main)
