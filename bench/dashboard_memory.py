"""Dashboard memory: the peak RSS and time of the dashboard's lake read as the trades table grows.

For each size it writes a local Delta trades table (the real table's columns, ``trade_date``
partitioning and statistics columns, appended in commits of ``--commit-rows`` trades as the sink
appends), at ``--rate`` trades a second of trade time, so a window always holds the same number of
trades whatever the table's size. Then, each time in a fresh Python process, it runs the dashboard's
read (``read_snapshot``: the window's trades, the total from the Delta log) ``--runs`` times and, up to
``--whole-up-to`` trades, the read it replaced (every row of the trades table). Prints, per size and
read, each run's peak RSS (the child's VmHWM) and read seconds:

    ./dev bench dashboard_memory                       # 1M, 10M, 50M trades
    ./dev bench dashboard_memory --sizes 1M,10M --runs 3 --whole-up-to 10M

Needs no stack: the tables live in a temporary folder (``--dir``), removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from lock_id import print_lock

START = datetime(2026, 9, 1, tzinfo=UTC)
EXCHANGES = ["binance", "huobi", "kucoin", "okex", "bybit", "gdax", "kraken", "mexc", "poloniex", "gateio", "bitfinex",
             "bitstamp"]
BASES = ["btc", "eth", "sol", "xrp", "ada", "doge", "dot", "ltc", "link", "matic", "avax", "trx", "wld", "uni", "atom",
         "etc", "xlm", "near", "apt", "fil"]
QUOTES = ["usdt", "usd", "usdc", "eur", "btc"]
STATS_COLUMNS = "trade_time,ingest_time,ticker,exchange"  # coinstream-sink-s3's TRADE_TABLE_PROPERTIES
MIB = 1024 * 1024


def count(text: str) -> int:
    """``1M`` -> 1,000,000; ``20k`` -> 20,000; ``2500`` -> 2,500."""
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1:].lower(), 1)
    return int(float(text[:-1] if factor > 1 else text) * factor)


def whole(values: pa.Array) -> pa.Array:
    """Floats rounded down to int64."""
    return pc.cast(pc.floor(values), pa.int64())


def trades_chunk(first: int, rows: int, rate: float, seed: int) -> pa.Table:
    """``rows`` trades from the ``first``-th on, one every 1/``rate`` s of trade time, as the sink writes them."""
    index = pa.array(range(first, first + rows), pa.int64())
    start_us = int(START.timestamp() * 1_000_000)
    trade_us = pc.add(whole(pc.multiply(index, 1_000_000 / rate)), start_us)
    latency_ms = pc.add(pc.multiply(pc.random(rows, initializer=seed), 900.0), 50.0)
    ingest_us = pc.add(trade_us, whole(pc.multiply(latency_ms, 1000.0)))
    base = whole(pc.multiply(pc.random(rows, initializer=seed + 1), len(BASES)))
    quote = whole(pc.multiply(pc.random(rows, initializer=seed + 2), len(QUOTES)))
    exchange = whole(pc.multiply(pc.random(rows, initializer=seed + 3), len(EXCHANGES)))
    bases, quotes = pc.take(pa.array(BASES), base), pc.take(pa.array(QUOTES), quote)
    price = pc.multiply(pc.random(rows, initializer=seed + 4), 1000.0)
    size = pc.multiply(pc.random(rows, initializer=seed + 5), 10.0)
    trade_time = pc.cast(trade_us, pa.timestamp("us", tz="UTC"))
    return pa.table({
        "trade_id": pc.binary_join_element_wise("bench-", pc.cast(index, pa.string()), ""),
        "ticker": pc.binary_join_element_wise(bases, quotes, ""),
        "base_currency": bases, "quote_currency": quotes,
        "exchange": pc.take(pa.array(EXCHANGES), exchange),
        "price": price, "size": size,
        "trade_time": trade_time, "ingest_time": pc.cast(ingest_us, pa.timestamp("us", tz="UTC")),
        "source": pa.array(["tiingo"] * rows), "pair_rule": pa.array(["metadata"] * rows),
        "notional": pc.multiply(price, size), "ingest_latency_ms": latency_ms,
        "trade_date": pc.cast(trade_time, pa.date32()),
    })


def build_lake(root: Path, trades: int, rate: float, commit_rows: int) -> dict[str, object]:
    """Write a trades table of ``trades`` rows under ``root``; return what was written."""
    from deltalake import DeltaTable, write_deltalake

    began = time.perf_counter()
    uri = str(root / "trades")
    for first in range(0, trades, commit_rows):
        write_deltalake(uri, trades_chunk(first, min(commit_rows, trades - first), rate, seed=first),
                        mode="append", partition_by=["trade_date"],
                        configuration={"delta.dataSkippingStatsColumns": STATS_COLUMNS})
    table = DeltaTable(uri)
    files = pa.table(table.get_add_actions(flatten=True))
    return {"commits": table.version() + 1, "files": files.num_rows,
            "mib": pc.sum(files.column("size_bytes")).as_py() / MIB, "days": trades / rate / 86_400,
            "seconds": time.perf_counter() - began}


def peak_rss_kib() -> int:
    """This process's peak RSS in KiB: /proc's VmHWM (of this program's memory only), else ru_maxrss, which on
    Linux keeps the peak of the process that forked this one (the parent, which built the table)."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child_read(lake: str, read: str, window_minutes: float) -> None:
    """In a fresh process: one read of the lake; print its rows, seconds and this process's peak RSS."""
    from coinstream.dashboard.lake import TRADE_COLUMNS, LakeLocation, open_table, read_snapshot
    from coinstream.lake import table_rows

    location = LakeLocation(root=lake)
    imported_kib = peak_rss_kib()
    began = time.perf_counter()
    if read == "window":
        rows = read_snapshot(location, window_minutes).trades.num_rows
    else:  # what read_snapshot did before it read only its window
        rows = table_rows(open_table(location, "trades"), TRADE_COLUMNS).num_rows
    seconds = time.perf_counter() - began
    peak_kib = peak_rss_kib()
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_rss_mib": peak_kib / 1024,
                      "imports_rss_mib": imported_kib / 1024}), flush=True)


def measure(lake: Path, read: str, window_minutes: float, runs: int) -> list[dict[str, float]]:
    """Run ``read`` in ``runs`` fresh processes; return each one's figures."""
    results = []
    for _ in range(runs):
        done = subprocess.run([sys.executable, __file__, "--child", read, "--lake", str(lake),
                               "--window-minutes", str(window_minutes)],
                              capture_output=True, text=True, timeout=3600, check=False)
        if done.returncode != 0:
            raise SystemExit(f"the {read} read of {lake} failed (exit {done.returncode}): "
                             f"{done.stderr.strip()[-2000:]}")
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return results


def figures_line(trades: int, read: str, results: list[dict[str, float]]) -> str:
    """One line of figures: ``size=... read=... rows=... peak_rss_mib=max ... seconds=median ...`` and the
    peak RSS before the read (the imports), to tell the read's own share."""
    rss = [r["peak_rss_mib"] for r in results]
    seconds = [r["seconds"] for r in results]
    return (f"size={trades:,} read={read} rows={int(results[0]['rows']):,} "
            f"peak_rss_mib={max(rss):.0f} (runs: {', '.join(f'{v:.0f}' for v in rss)}) "
            f"seconds={statistics.median(seconds):.2f} (runs: {', '.join(f'{v:.2f}' for v in seconds)}) "
            f"imports_rss_mib={max(r['imports_rss_mib'] for r in results):.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1M,10M,50M", help="table sizes in trades, comma-separated (k, M)")
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per size and read")
    parser.add_argument("--rate", type=float, default=100.0,
                        help="trades a second of trade time (100: 8.64M a day; a 60-minute window holds 360,000)")
    parser.add_argument("--window-minutes", type=float, default=60.0, help="the dashboard's window")
    parser.add_argument("--commit-rows", type=count, default=count("250k"), help="trades per append commit")
    parser.add_argument("--whole-up-to", type=count, default=count("10M"),
                        help="also time the old whole-table read for sizes up to this many trades")
    parser.add_argument("--dir", type=Path, default=None, help="where to write the tables (default: a temp folder)")
    parser.add_argument("--child", choices=["window", "whole"], help=argparse.SUPPRESS)
    parser.add_argument("--lake", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_read(args.lake, args.child, args.window_minutes)
        # Its figures are printed and flushed; leave without the interpreter's teardown, where delta-rs can
        # still abort now and then under load (delta-io/delta-rs#2184, see coinstream.lake.table_rows).
        os._exit(0)
    print_lock()
    sizes = [count(size) for size in args.sizes.split(",")]
    print(f"-- {args.rate:g} trades/s of trade time, window {args.window_minutes:g} min, "
          f"{args.commit_rows:,} trades a commit, {args.runs} fresh processes per read", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="dashboard-memory-", dir=args.dir))
    try:
        for trades in sizes:
            lake = workdir / f"lake-{trades}"
            built = build_lake(lake, trades, args.rate, args.commit_rows)
            print(f"lake: {trades:,} trades over {built['days']:.2f} days, {built['commits']} commits, "
                  f"{built['files']} files, {built['mib']:,.0f} MiB, written in {built['seconds']:.1f} s", flush=True)
            reads = ["window"] + (["whole"] if trades <= args.whole_up_to else [])
            for read in reads:
                print(figures_line(trades, read, measure(lake, read, args.window_minutes, args.runs)), flush=True)
            shutil.rmtree(lake)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
