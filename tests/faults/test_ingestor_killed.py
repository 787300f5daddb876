"""The ingestor killed with SIGKILL mid-stream and restarted on the same spool (a)."""

from __future__ import annotations

import pytest

from .feed_run import FeedRun
from .reckoning import assert_exactly_once
from .suite import kill_group

pytestmark = [pytest.mark.faults, pytest.mark.stack, pytest.mark.spark, pytest.mark.slow, pytest.mark.timeout(900)]

RATE = 3_000
DOWN_S = 5


def test_a_ingestor_sigkilled_mid_stream_and_restarted(fault_suite, fault_report):
    """What the killed ingestor had spooled is re-sent by the restarted one, with the same trade ids; the
    deduplicate transform drops the copies Kafka already had. The frames it had read but not spooled,
    and those the simulator wrote while it was down, are the feed's gap: counted apart, and recorded by
    the restarted ingestor as a gap on the feed gaps topic."""
    with FeedRun(fault_suite, "a-ingestor-sigkill", RATE) as run:
        run.start()
        run.stream(15)
        kill_group(run.ingestor)
        run.stream_without_ingestor(DOWN_S)
        run.start_ingestor("spool-1")  # the same spool folder: it sends what the killed run left first
        figures = fault_report(run.recover_then_finish())
    killed = run.ledger.sessions[0]
    assert len(run.ledger.sessions) == 2 and killed.frames is None  # the killed one said nothing
    # the time it was away is one gap record, following the killed session
    assert [(g.session_id, g.reason) for g in run.readback.gaps] == [(killed.session_id, "ingestor killed")]
    assert figures.landed > RATE * 10
    assert_exactly_once(figures)
