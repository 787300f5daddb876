"""The processor killed (e): once at a random moment (SIGKILL, driver and JVM), then exactly between a
Delta commit and its checkpoint commit: restarted with ``COINSTREAM_FAULT_POINT=after_delta_commit:trades``
(a fault point the Delta sink honours), it SIGKILLs itself right after its first commit; restarted
without the variable, it lands every trade once. Two JVM starts, one case."""

from __future__ import annotations

import random
import time

import pytest

from .feed_run import FeedRun
from .reckoning import assert_exactly_once
from .suite import kill_group

pytestmark = [pytest.mark.faults, pytest.mark.stack, pytest.mark.spark, pytest.mark.slow, pytest.mark.timeout(900)]

RATE = 3_000
# After a commit to trades: the quarantine and late_trades queries commit nothing while no row goes there.
FAULT_POINT = {"COINSTREAM_FAULT_POINT": "after_delta_commit:trades"}
SELF_KILL_S = 300.0  # a JVM start (20-60 s here) and the trades query's first batch, a backlog on a busy machine


def test_e_processor_killed_after_a_delta_commit_and_at_a_random_moment(fault_suite, fault_report):
    pytest.importorskip("coinstream.s3.sinks.fault_point", reason="the Delta sink's fault point "
                        "COINSTREAM_FAULT_POINT (issue 15 point 7e) is not installed")
    processor = fault_suite.processor
    run = FeedRun(fault_suite, "e-processor-sigkill", RATE)
    try:
        run.start()
        run.stream(random.uniform(5, 20))
        kill_group(processor.child)  # a random moment: mid-batch, mid-commit or idle
        processor.start(FAULT_POINT, wait=False)
        deadline = time.monotonic() + SELF_KILL_S
        while processor.running():
            run.assert_alive()
            assert time.monotonic() < deadline, (
                f"{FAULT_POINT}: the processor did not kill itself in {SELF_KILL_S:.0f} s")
            time.sleep(0.2)
        assert processor.child.process.returncode == -9, processor.tail()  # SIGKILL, by its own hand
        processor.start()
        figures = fault_report(run.recover_then_finish())
    finally:
        run.close()
        if not processor.running():  # a failed case leaves the next ones a processor
            processor.start()
    assert_exactly_once(figures)
