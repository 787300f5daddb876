"""``coinstream demo`` end to end on the local stack: the summary's lines add up, and "lost" means lost.

Two short runs in a row, as a user would make them. The first stops its processor as soon as the
ingestor has flushed (``--catch-up-timeout 0``): its last trades are still in Kafka, and the summary
must say so ("not yet landed", with how to land them) instead of calling them lost. The second run
lands them and shows them apart from its own trades.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from coinstream.devstack.demo.run import SIMULATOR_API_KEY

pytestmark = [pytest.mark.stack, pytest.mark.spark, pytest.mark.slow, pytest.mark.timeout(1200)]

# What may reach the terminal besides the live view and the summary: none of these log shapes.
LOG_LINE = re.compile(r'^\{".*"event"|\[(info|debug)\s*\]|HTTP Request:|^\d\d/\d\d/\d\d \d\d:\d\d:\d\d (INFO|WARN)')


def run_demo(*options: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any], Path]:
    """Run the demo; return the finished process, its summary's figures and its run folder."""
    command = [sys.executable, "-m", "coinstream.core.cli.main", "demo", "--duration", "20", "--rate", "500",
               "--serve-seconds", "0", "--keep-stack", *options]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
    output = finished.stdout + finished.stderr
    match = re.search(r"figures: (\S+summary\.json)", output.replace("\n", ""))
    assert match, f"the demo printed no summary (exit {finished.returncode}):\n{output[-4000:]}"
    summary = Path(match.group(1))
    return finished, json.loads(summary.read_text(encoding="utf-8")), summary.parent


def assert_books_balance(figures: dict[str, Any]) -> None:
    ended = (figures["landed"] + figures["quarantined"] + figures["late"] + figures["dead_letters_in_kafka"]
             + figures["not_yet_landed"] + figures["lost"])
    assert figures["frames_sent"] == ended
    assert figures["balanced"] is True
    assert figures["frames_sent"] == figures["trades_received"] + figures["dead_letters_received"]


def assert_no_secret_leaked(secrets: dict[str, str], terminal: str, run_dir: Path, stack_logs: Path) -> None:
    """None of ``secrets`` (name -> value) in what the demo printed, in any file of its logs folder (every
    child's log: ingestor, processor with Spark's own lines, simulator; both runs) or in the stack's logs."""
    texts = {"the terminal": terminal}
    for folder in (run_dir / "logs", stack_logs):
        texts.update({str(path): path.read_text(errors="replace") for path in sorted(folder.rglob("*"))
                      if path.is_file()})
    logged = {Path(where).name for where, text in texts.items() if where != "the terminal" and text}
    assert {"simulator.log", "ingestor.log", "processor.log", "kafka-1.log", "s3.log"} <= logged  # real logs
    leaks = [f"{name} in {where}" for name, secret in secrets.items() for where, text in texts.items()
             if secret in text]
    assert leaks == []


def test_two_demo_runs_account_for_every_frame_and_report_no_false_loss(local_stack):
    local_stack.ensure_all_running()

    behind, first, _ = run_demo("--catch-up-timeout", "0")
    first_output = behind.stdout + behind.stderr

    assert behind.returncode == 0, first_output[-4000:]
    assert_books_balance(first)
    assert first["lost"] == 0 and first["duplicates"] == 0
    assert first["not_yet_landed"] > 0  # the processor was stopped behind: these are safe in Kafka, not lost
    assert "not yet landed" in first_output and "--available-now" in first_output
    assert first["dead_letters_in_kafka"] == first["malformed_sent"] > 0
    # 500/s for 20 s sends 10,000 (fewer on a loaded machine); enough for both fault kinds (every 1,000th, 997th frame)
    assert first["frames_sent"] > 2_000

    caught_up, second, run_dir = run_demo()
    second_output = caught_up.stdout + caught_up.stderr

    assert caught_up.returncode == 0, second_output[-4000:]
    assert_books_balance(second)
    assert (second["lost"], second["duplicates"], second["not_yet_landed"]) == (0, 0, 0)
    assert second["dead_letters_in_kafka"] == second["malformed_sent"] > 0
    assert second["quarantined"] == second["invalid_sent"] > 0
    assert second["landed"] == second["trades_received"] - second["quarantined"] - second["late"]
    assert second["earlier_runs_landed"] >= first["not_yet_landed"]  # the first run's leftovers, shown apart
    assert second["commit_p99_ms"] is not None and second["commit_p99_ms"] > 0
    noise = [line for line in second_output.splitlines() if LOG_LINE.search(line)]
    assert noise == []
    # The keys the demo knows: the simulator's API key (the ingestor sends it on every connection), this
    # stack's generated S3 secret (every child reads and writes the lake with it) and its SCRAM password.
    secrets = {"the Tiingo API key": SIMULATOR_API_KEY, "the S3 secret key": local_stack.s3_secret_key,
               "the SCRAM password": local_stack.stack.endpoints.scram_password}
    assert_no_secret_leaked(secrets, first_output + second_output, run_dir, local_stack.stack.paths.logs)
