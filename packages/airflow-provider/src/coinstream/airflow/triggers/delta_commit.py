"""Waits in the triggerer until a Delta table has a commit newer than a given time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import structlog
from coinstream.airflow.hooks.delta import latest_commit
from coinstream.airflow.hooks.s3 import as3_access
from coinstream.lake import is_s3_uri

from airflow.triggers.base import BaseTrigger, TriggerEvent

log = structlog.get_logger(__name__)


class DeltaCommitTrigger(BaseTrigger):
    """Polls the table's log every ``poll_interval`` seconds; fires once a commit is newer than ``newer_than``.

    The event payload: ``status`` ("success" or "error"), and ``version``, ``timestamp``,
    ``operation`` of the commit found (or ``message`` on error).
    """

    def __init__(self, table: str, newer_than: str, aws_conn_id: str | None = None,
                 poll_interval: float = 30.0) -> None:
        super().__init__()
        self.table = table
        self.newer_than = newer_than
        self.aws_conn_id = aws_conn_id
        self.poll_interval = poll_interval

    def serialize(self) -> tuple[str, dict[str, Any]]:
        # Only the connection id is stored, never its secrets: they are read again in the triggerer.
        return (f"{type(self).__module__}.{type(self).__qualname__}",
                {"table": self.table, "newer_than": self.newer_than, "aws_conn_id": self.aws_conn_id,
                 "poll_interval": self.poll_interval})

    async def run(self) -> AsyncIterator[TriggerEvent]:
        threshold = datetime.fromisoformat(self.newer_than)
        try:
            options = None
            if is_s3_uri(self.table):
                options = (await as3_access(self.aws_conn_id)).delta_storage_options()
            while True:
                commit = await asyncio.to_thread(latest_commit, self.table, options)
                if commit is not None and commit.timestamp > threshold:
                    yield TriggerEvent({"status": "success", "table": self.table, "version": commit.version,
                                        "timestamp": commit.timestamp.isoformat(), "operation": commit.operation})
                    return
                log.info("delta_commit_waiting", table=self.table, newer_than=self.newer_than,
                         latest=commit.timestamp.isoformat() if commit else None)
                await asyncio.sleep(self.poll_interval)
        except Exception as error:  # reported to the task, which fails with the message
            yield TriggerEvent({"status": "error", "table": self.table, "message": f"{type(error).__name__}: {error}"})
