"""Wait until a Delta table has a commit newer than a given time (deferrable)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from coinstream.airflow.arguments import non_empty
from coinstream.airflow.hooks.delta import DeltaCommit, DeltaTableHook
from coinstream.airflow.triggers.delta_commit import DeltaCommitTrigger

from airflow.sdk import BaseSensorOperator, Context, PokeReturnValue
from airflow.sdk.exceptions import AirflowException

log = structlog.get_logger(__name__)


def parse_moment(value: datetime | str, name: str = "newer_than") -> datetime:
    """An aware datetime from a datetime or an ISO string (naive means UTC)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{name}={value!r} is not an ISO date-time like 2026-01-31T12:00:00+00:00") from None
    if not isinstance(value, datetime):
        raise ValueError(f"{name}={value!r} must be a datetime or an ISO date-time string")
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _commit_payload(table: str, commit: DeltaCommit) -> dict[str, Any]:
    return {"status": "success", "table": table, "version": commit.version,
            "timestamp": commit.timestamp.isoformat(), "operation": commit.operation}


class DeltaCommitSensor(BaseSensorOperator):
    """Succeed once ``table`` has a commit newer than ``newer_than``; the XCom is that commit.

    Deferrable by default: the wait happens in the triggerer (:class:`DeltaCommitTrigger`), not in a
    worker slot. With ``deferrable=False`` it pokes like any sensor.

    :param table: table URI (``s3a://bucket/trades`` or a local path); templated.
    :param newer_than: a datetime or ISO string, templated, e.g. ``{{ data_interval_end }}``.
    """

    template_fields: Sequence[str] = ("table", "newer_than")
    ui_color = "#d9d2e9"

    def __init__(self, *, table: str, newer_than: datetime | str, aws_conn_id: str | None = None,
                 deferrable: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        non_empty(table, "table", "the table's URI, e.g. s3a://coinstream/trades")
        if isinstance(newer_than, datetime) or "{{" not in str(newer_than):
            parse_moment(newer_than)
        self.table = table
        self.newer_than = newer_than
        self.aws_conn_id = aws_conn_id
        self.deferrable = deferrable

    def _threshold(self) -> datetime:
        return parse_moment(self.newer_than)

    def poke(self, context: Context) -> PokeReturnValue:
        commit = DeltaTableHook(self.aws_conn_id).latest_commit(self.table)
        done = commit is not None and commit.timestamp > self._threshold()
        log.info("delta_commit_checked", table=self.table, newer_than=self._threshold().isoformat(),
                 version=commit.version if commit else None,
                 timestamp=commit.timestamp.isoformat() if commit else None, done=done)
        payload = _commit_payload(self.table, commit) if done and commit else None
        return PokeReturnValue(is_done=done, xcom_value=payload)

    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        first = self.poke(context)
        if first.is_done:
            return first.xcom_value
        self.defer(
            trigger=DeltaCommitTrigger(table=self.table, newer_than=self._threshold().isoformat(),
                                       aws_conn_id=self.aws_conn_id, poll_interval=self.poke_interval),
            method_name="execute_complete", timeout=timedelta(seconds=self.timeout))

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        if event.get("status") != "success":
            raise AirflowException(f"waiting for a commit of {self.table} failed: {event.get('message')}")
        return event
