"""The demo's reckoning after a run: read what it put in Kafka and in the lake, and balance the books."""

from __future__ import annotations

from pathlib import Path

import click

from coinstream.dashboard import LakeLocation
from coinstream.devstack.demo.accounting import FeedCounts, settle
from coinstream.devstack.demo.kafka_range import count_between, end_offsets, trades_between
from coinstream.devstack.demo.pipeline_file import TABLES
from coinstream.devstack.demo.run import PipelineRun, processed_offsets
from coinstream.devstack.demo.summary import DemoSummary, rows_per_table, trade_ids_since


def feed_counts(run: PipelineRun) -> FeedCounts:
    """The simulator's and the ingestor's counts, from their logs' last events."""
    finished = run.view.figures.ingest_finished
    if finished is None:
        raise click.ClickException("the ingestor wrote no ingest_finished report (it was killed?); see its log "
                                   f"{run.view.ingest_log.path}")
    sent = run.simulator_log.latest.get("simulator_stopped") if run.simulator_log is not None else None
    if run.simulator_log is not None and sent is None:
        raise click.ClickException(f"the simulator wrote no simulator_stopped event; see {run.simulator_log.path}")
    malformed = None if sent is None else int(sent.get("malformed_sent") or 0) + int(sent.get("oversized_sent") or 0)
    return FeedCounts(
        frames_sent=None if sent is None else int(sent["data_frames_sent"]),
        trades_received=int(finished.get("trades_received") or 0),
        dead_letters_received=int(finished.get("dead_letters_received") or 0),
        quotes_received=int((finished.get("source_counts") or {}).get("quotes") or 0),
        resent_on_start=int(finished.get("resent_on_start") or 0),
        malformed_sent=malformed, invalid_sent=None if sent is None else int(sent.get("invalid_sent") or 0))


def summarise(run: PipelineRun, run_dir: Path, location: LakeLocation, duration_s: float) -> DemoSummary:
    """Read what this run put in Kafka and the lake, and balance the books."""
    kafka, offsets = run.kafka, run.offsets
    ends = end_offsets(kafka, kafka.trades_topic)
    try:
        in_kafka = list(trades_between(kafka, offsets.trades, ends))
    except RuntimeError as error:
        raise click.ClickException(str(error)) from None
    processed = processed_offsets(run_dir, kafka)
    earlier = sum(max(0, min(processed.get(p, 0), end) - offsets.processed.get(p, 0))
                  for p, end in offsets.trades.items())
    account = settle(feed_counts(run), in_kafka,
                     count_between(offsets.dead_letters, end_offsets(kafka, kafka.dead_letter_topic)),
                     trade_ids_since(location, "trades", run.run_start),
                     trade_ids_since(location, "quarantine", run.run_start),
                     trade_ids_since(location, "late_trades", run.run_start),
                     processed, earlier)
    trades_commits = next(t for t in run.view.tables if t.table == "trades")
    return DemoSummary(
        duration_s=duration_s, account=account, rows_per_table=rows_per_table(location, TABLES),
        commit_p50_ms=trades_commits.histogram.percentile(0.50),
        commit_p99_ms=trades_commits.histogram.percentile(0.99),
        ack_p99_ms=run.view.figures.ack_p99_ms, pipeline_file=str(run.pipeline),
        feed_gaps_recorded=int((run.view.figures.ingest_finished or {}).get("feed_gaps_sent") or 0))
