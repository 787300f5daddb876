"""A testing hook: kill the processor exactly between a Delta commit and Spark's checkpoint commit.

``COINSTREAM_FAULT_POINT=after_delta_commit[:<table>[:<batch_id>]]`` makes the Delta sink's
``foreachBatch`` function SIGKILL its own process right after the Delta commit of a micro-batch
(of ``<table>``, from batch ``<batch_id>`` on; any table and batch when left out). The function never
returns, so Spark never writes that batch's file in the checkpoint's ``commits/`` folder: on restart it
runs the batch again, and the sink must find it already in the table. This is the one crash that
exactly-once hinges on; a kill at a random moment lands there only by chance.

The variable is read when the sink starts; a malformed value stops the start with the accepted form.
Never set it outside tests.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass

import structlog

log = structlog.get_logger(__name__)

FAULT_POINT_VARIABLE = "COINSTREAM_FAULT_POINT"
AFTER_DELTA_COMMIT = "after_delta_commit"


@dataclass(frozen=True, slots=True)
class FaultPoint:
    """Where to kill: after the Delta commit of ``table`` (None: any), from batch ``first_batch`` on."""

    table: str | None = None
    first_batch: int = 0

    def reached(self, table: str, batch_id: int) -> bool:
        """True when the commit of ``batch_id`` to ``table`` is the point."""
        return (self.table is None or self.table == table) and batch_id >= self.first_batch


def fault_point_from_env(environ: dict[str, str] | None = None) -> FaultPoint | None:
    """The fault point ``COINSTREAM_FAULT_POINT`` names, None when unset; ValueError when malformed."""
    value = (os.environ if environ is None else environ).get(FAULT_POINT_VARIABLE, "").strip()
    if not value:
        return None
    point, _, rest = value.partition(":")
    table, _, batch = rest.partition(":")
    if point != AFTER_DELTA_COMMIT or (batch and not batch.isdigit()):
        raise ValueError(f"{FAULT_POINT_VARIABLE}={value!r} is not a fault point; write "
                         f"{AFTER_DELTA_COMMIT}[:<table>[:<batch_id>]], e.g. {AFTER_DELTA_COMMIT}:trades:2, "
                         "or unset it")
    return FaultPoint(table or None, int(batch) if batch else 0)


def after_delta_commit(point: FaultPoint | None, table: str, batch_id: int,
                       committed: Callable[[], bool] = lambda: True) -> None:
    """SIGKILL this process when ``point`` is this commit (see the module docstring); else return.

    ``committed()`` says whether the batch did make a commit (an empty batch makes none); it is asked only
    at the fault point.
    """
    if point is None or not point.reached(table, batch_id) or not committed():
        return
    log.warning("fault_point_reached", point=AFTER_DELTA_COMMIT, table=table, batch_id=batch_id, pid=os.getpid())
    sys.stdout.flush()
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)
