"""Soak benchmark: the demo's whole pipeline for a long run at a steady rate, each process's memory over time.

The Tiingo-protocol simulator at ``--rate`` trades/s, ``coinstream ingest`` and ``coinstream process``
(the demo's pipeline: every transform, every table) run as a user runs them, as separate processes, on
fresh topics and a fresh lake prefix (``bench/soak-<id>/``) of the local stack. Every ``--interval``
seconds the resident memory (VmRSS) of each is read from /proc: the simulator, the ingestor, the
processor's Python driver and its JVM. It prints a line per reading, then per process its first,
median, last and largest figure and how much it grew over the run's second half (after warm-up):
``flat`` when that is under 10 % of its median. Figures are printed, never judged by a test.

Run from the checkout with the stack up (``coinstream stack up``):

    .venv/bin/python bench/soak.py                       # 30 minutes at 5,000 trades/s (#17 item 5)
    .venv/bin/python bench/soak.py --minutes 5 --rate 1000 --interval 10
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from bench_stack import stack_sections
from bench_topics import delete_bench_topics
from lock_id import print_lock
from process_memory import MIB, Sample, descendants, rss_bytes, trends
from unreachable import ensure_bench_topics, run_or_exit

from coinstream.core import KafkaSettings
from coinstream.devstack.demo.pipeline_file import demo_pipeline, write_pipeline
from coinstream.devstack.demo.schema_wait import wait_for_trade_schema


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(name: str, arguments: list[str], workdir: Path) -> subprocess.Popen[bytes]:
    """``coinstream ARGUMENTS`` in a session of its own, its output in ``<workdir>/<name>.log``."""
    log = (workdir / f"{name}.log").open("ab")
    return subprocess.Popen([sys.executable, "-m", "coinstream.core.cli.main", "--log-level", "warning", *arguments],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen[bytes], timeout_s: float = 60.0) -> None:
    """SIGTERM its process group (the processor's JVM with it), SIGKILL what is left after ``timeout_s``."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(30)


def read_memory(processes: dict[str, subprocess.Popen[bytes]]) -> dict[str, float]:
    """MiB per process; the processor's JVM (the driver's child) under its own name."""
    mib: dict[str, float] = {}
    for name, process in processes.items():
        own = rss_bytes(process.pid)
        if own is not None:
            mib[name] = own / MIB
        if name == "processor":
            jvm = sum(rss_bytes(pid) or 0 for pid in descendants(process.pid))
            if jvm:
                mib["processor-jvm"] = jvm / MIB
    return mib


def soak(args: argparse.Namespace) -> None:
    kafka_raw, s3_raw = stack_sections()
    suffix = uuid.uuid4().hex[:8]
    kafka = KafkaSettings(**{**kafka_raw, "trades_topic": f"bench.soak.{suffix}",
                             "dead_letter_topic": f"bench.soak.dlq.{suffix}",
                             "feed_gaps_topic": f"bench.soak.gaps.{suffix}"})
    ensure_bench_topics(kafka)
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    document = demo_pipeline(bootstrap_servers=kafka.bootstrap_servers, schema_registry_url=kafka.schema_registry_url,
                             s3_endpoint_url=s3_raw.get("endpoint_url", ""), bucket=s3_raw["bucket"],
                             feed_url=f"ws://127.0.0.1:{port}/crypto", feed_rest_url=f"http://127.0.0.1:{port}",
                             checkpoints=workdir / "checkpoints")
    document["pipeline"]["name"] = f"soak-{suffix}"
    document["kafka"] = kafka.model_dump(mode="json", exclude_none=True)
    document["s3"] = {**s3_raw, "prefix": f"bench/soak-{suffix}/"}
    pipeline = write_pipeline(document, workdir / "pipeline.toml")
    seconds = args.minutes * 60
    print(f"soak: {args.minutes:g} min at {args.rate:,.0f} trades/s, the demo's pipeline ({pipeline}), "
          f"a reading every {args.interval:g} s; logs in {workdir}", flush=True)

    environ_key = "COINSTREAM_TIINGO_API_KEY"
    os.environ.setdefault(environ_key, "soak-simulator-key")  # the simulator takes any key; never printed
    processes: dict[str, subprocess.Popen[bytes]] = {}
    samples: list[Sample] = []
    try:
        processes["simulator"] = start("simulator", ["simulate", "--port", str(port), "--rate", str(args.rate),
                                                     "--duration", str(seconds + 300)], workdir)
        time.sleep(2)
        processes["ingestor"] = start("ingestor", ["ingest", str(pipeline), "--duration", str(seconds),
                                                   "--no-progress"], workdir)
        # As the demo does: the processor reads the trades subject's writer schemas when it starts, and the
        # ingestor registers the schema with its first trade.
        if not wait_for_trade_schema(kafka, lambda: processes["ingestor"].poll() is None):
            raise SystemExit(f"the ingestor registered no Trade schema: see {workdir}/ingestor.log")
        processes["processor"] = start("processor", ["process", str(pipeline)], workdir)
        began = time.monotonic()
        print("seconds  " + "  ".join(f"{name:>14}" for name in ("simulator", "ingestor", "processor",
                                                                  "processor-jvm")) + "   (MiB)", flush=True)
        while time.monotonic() - began < seconds:
            stopped = [name for name, process in processes.items() if process.poll() is not None]
            if stopped:
                raise SystemExit(f"{', '.join(stopped)} stopped before the end: see {workdir}/<name>.log")
            sample = Sample(time.monotonic() - began, read_memory(processes))
            samples.append(sample)
            print(f"{sample.seconds:7.0f}  " + "  ".join(f"{sample.mib.get(name, float('nan')):14.1f}" for name in
                                                          ("simulator", "ingestor", "processor", "processor-jvm")),
                  flush=True)
            time.sleep(args.interval)
        processes["ingestor"].wait(120)
    finally:
        for name in ("ingestor", "simulator", "processor"):
            if name in processes:
                stop(processes[name])
        delete_bench_topics(kafka)
    ingested = [line for line in (workdir / "ingestor.log").read_text(errors="replace").splitlines()
                if line.startswith("ingested")]
    print(f"ingestor: {ingested[-1] if ingested else '(no summary line: see ingestor.log)'}")
    print(f"memory over {len(samples)} readings (second half: after warm-up):")
    for trend in trends(samples):
        print("  " + trend.line())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30.0, help="how long the ingestor runs")
    parser.add_argument("--rate", type=float, default=5000.0, help="simulator trades/s")
    parser.add_argument("--interval", type=float, default=30.0, help="seconds between two readings")
    parser.add_argument("--workdir", default=f"/tmp/coinstream-soak-{uuid.uuid4().hex[:6]}")
    args = parser.parse_args()
    print_lock()
    soak(args)


if __name__ == "__main__":
    run_or_exit(main)
