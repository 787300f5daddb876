"""Delta table maintenance: ``coinstream delta optimize|vacuum TABLE`` (coinstream-lake's CLI).

The maintenance itself is coinstream-lake's job (it knows the tables' locations, default Z-order and
deltalake settings); the operator runs its command with the connections' settings and reads the
table's version before and after with deltalake, so the XCom says what changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import structlog
from coinstream.airflow.arguments import non_empty, whole_number
from coinstream.airflow.command_runner import CommandRunner, coinstream_executable
from coinstream.airflow.hooks.delta import DeltaTableHook
from coinstream.airflow.hooks.s3 import s3_access

from airflow.sdk import BaseOperator, Context
from airflow.sdk.exceptions import AirflowException, AirflowFailException

log = structlog.get_logger(__name__)

# Delta's own guard: vacuuming files younger than this can break readers and time travel.
MIN_RETENTION_HOURS = 168


class DeltaMaintenanceOperator(BaseOperator):
    """Base of the maintenance operators: run ``coinstream delta <action> TABLE [arguments]``.

    :param table: a table URI (``s3a://bucket/trades`` or a local folder), or a table name (``trades``)
        located through ``pipeline``'s [s3] section; templated.
    :param pipeline: pipeline TOML passed as ``--pipeline`` (needed for a table name).
    :param arguments: further arguments for the command, passed unchanged.
    """

    action: ClassVar[str] = ""
    template_fields: Sequence[str] = ("table", "pipeline", "arguments")
    ui_color = "#d0e0e3"

    def __init__(self, *, table: str, pipeline: str | None = None, arguments: list[str] | None = None,
                 aws_conn_id: str | None = None, coinstream_bin: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        non_empty(table, "table", "the table's URI, e.g. s3a://coinstream/trades")
        self.table = table
        self.pipeline = pipeline
        self.arguments = list(arguments or [])
        self.aws_conn_id = aws_conn_id
        self.coinstream_bin = coinstream_bin
        self._runner = CommandRunner()

    def command(self) -> list[str]:
        """``coinstream delta <action> TABLE`` with the options of this action."""
        command = [coinstream_executable(self.coinstream_bin), "delta", self.action, self.table]
        if self.pipeline:
            command += ["--pipeline", self.pipeline]
        return [*command, *self.action_arguments(), *self.arguments]

    def action_arguments(self) -> list[str]:
        return []

    def _version(self) -> int | None:
        if "://" not in self.table and not self.table.startswith("/"):
            return None  # a table name: only the sink's CLI knows where it lives
        commit = DeltaTableHook(self.aws_conn_id).latest_commit(self.table)
        return commit.version if commit else None

    def execute(self, context: Context) -> dict[str, Any]:
        before = self._version()
        environment = s3_access(self.aws_conn_id).environment() if self.aws_conn_id else {}
        result = self._runner.run(self.command(), environment)
        if result.returncode != 0:
            error = AirflowFailException if "pip install" in result.tail else AirflowException
            raise error(f"`coinstream delta {self.action} {self.table}` failed with exit code {result.returncode}; "
                        f"its last lines:\n{result.tail}")
        after = self._version()
        log.info("delta_maintenance_finished", action=self.action, table=self.table, version_before=before,
                 version_after=after)
        return {"action": self.action, "table": self.table, "version_before": before, "version_after": after}

    def on_kill(self) -> None:
        self._runner.stop()


class DeltaOptimizeOperator(DeltaMaintenanceOperator):
    """Compact a table's small files (``coinstream delta optimize``), Z-ordered by default.

    :param zorder_by: Z-order columns; None keeps the CLI's default for the table (trades: ticker),
        an empty list compacts without Z-order.
    :param target_size_mb: target file size (the CLI's default: 100 MB).
    """

    action = "optimize"
    template_fields: Sequence[str] = (*DeltaMaintenanceOperator.template_fields, "zorder_by")

    def __init__(self, *, zorder_by: list[str] | None = None, target_size_mb: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        whole_number(target_size_mb, "target_size_mb", unit="megabytes")
        self.zorder_by = None if zorder_by is None else list(zorder_by)
        self.target_size_mb = target_size_mb

    def action_arguments(self) -> list[str]:
        arguments = [] if self.zorder_by is None else (
            [a for column in self.zorder_by for a in ("--zorder", column)] or ["--no-zorder"])
        if self.target_size_mb is not None:
            arguments += ["--target-size-mb", str(self.target_size_mb)]
        return arguments


class DeltaVacuumOperator(DeltaMaintenanceOperator):
    """Delete files no version within the retention needs (``coinstream delta vacuum --delete``).

    :param retention_hours: keep files removed more recently than this (>= 168; default: the CLI's 168).
    :param dry_run: only list the files.
    """

    action = "vacuum"

    def __init__(self, *, retention_hours: int | None = None, dry_run: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        whole_number(retention_hours, "retention_hours", minimum=MIN_RETENTION_HOURS, refusal=(
            f"retention_hours={retention_hours!r} is below Delta's safe minimum of {MIN_RETENTION_HOURS} h "
            "(7 days): readers and time travel could lose files; pass at least 168, or None for the table's "
            "own delta.deletedFileRetentionDuration"))
        self.retention_hours = retention_hours
        self.dry_run = dry_run

    def action_arguments(self) -> list[str]:
        # the CLI only lists files unless told --delete: the operator deletes unless dry_run
        arguments = ["--dry-run" if self.dry_run else "--delete"]
        if self.retention_hours is not None:
            arguments += ["--retention-hours", str(self.retention_hours)]
        return arguments
