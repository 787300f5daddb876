"""The lake's S3 endpoint (f) and the schema registry (g) stopped for 30 s mid-stream."""

from __future__ import annotations

import pytest

from .feed_run import FeedRun
from .reckoning import assert_exactly_once

pytestmark = [pytest.mark.faults, pytest.mark.stack, pytest.mark.spark, pytest.mark.slow, pytest.mark.timeout(900)]

RATE = 3_000
OUTAGE_S = 30


@pytest.mark.parametrize(("case", "part"), [("f-s3-stopped-30s", "s3"), ("g-registry-stopped-30s", "registry")])
def test_a_service_stopped_for_30_s(fault_suite, fault_report, local_stack, case, part):
    with FeedRun(fault_suite, case, RATE) as run:
        run.start()
        run.stream(10)
        local_stack.stack.stop_part(part)
        run.stream(OUTAGE_S)
        local_stack.stack.start_part(part)
        figures = fault_report(run.recover_then_finish())
    assert_exactly_once(figures)
