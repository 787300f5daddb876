"""Fail the task when a Delta table breaks its data-quality expectations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog

from airflow.sdk import BaseOperator, Context
from airflow.sdk.exceptions import AirflowFailException
from coinstream.airflow.arguments import duration_seconds, non_empty, whole_number
from coinstream.airflow.delta_quality import QualityConfigurationError, QualityExpectations, check_table
from coinstream.airflow.hooks.delta import DeltaTableHook, DeltaTableNotFoundError
from coinstream.airflow.quality_window import DEFAULT_WINDOW_COLUMN, parse_bound, window_for

log = structlog.get_logger(__name__)


class DeltaQualityCheckOperator(BaseOperator):
    """Check row count, nulls, freshness and duplicates of a Delta table (deltalake, no JVM).

    Every failed expectation is listed in the task's error, with the measured values and the window
    checked; the measurements are the XCom when all pass.

    With ``window_start`` and/or ``window_end`` every expectation applies only to the rows whose
    ``window_column`` is in [window_start, window_end), read with the predicate pushed into the scan
    (and a date partition of that column bounded too), so the check costs what the window holds.
    ``min_rows`` then counts the window's rows: an empty window fails ``min_rows=1``. Duplicates are
    looked for within the window; freshness is measured against the window's end (or now, when
    earlier). Without either bound the whole table is checked.

    :param table: table URI (``s3a://bucket/trades`` or a local path); templated.
    :param window_start: first instant of the window (ISO 8601 or a datetime; naive means UTC), e.g.
        ``"{{ data_interval_start }}"``; templated. None or "": no lower bound.
    :param window_end: end of the window, excluded, e.g. ``"{{ data_interval_end }}"``; templated.
        None or "": no upper bound.
    :param window_column: the timestamp column the window applies to (default ``trade_time``: trades,
        quarantine, late_trades; ``window_start`` for ohlcv_1m, exchange_stats and backfilled bars); templated.
    :param min_rows: at least this many rows (in the window and the ``where`` slice).
    :param not_null: columns that must never be null.
    :param unique_key: columns that together identify a row (e.g. ``["trade_id"]``).
    :param freshness_column: timestamp column whose newest value must be recent ...
    :param max_age: ... younger than this (seconds or a timedelta).
    :param where: SQL predicate narrowing every check, e.g. ``ticker = 'btcusd'``; templated. It runs on
        deltalake's SQL engine, so prefer the window for time: only the window is pushed into the scan.
    """

    template_fields: Sequence[str] = ("table", "where", "window_start", "window_end", "window_column")
    ui_color = "#ead1dc"

    def __init__(self, *, table: str, min_rows: int | None = None, not_null: Sequence[str] = (),
                 unique_key: Sequence[str] = (), freshness_column: str | None = None,
                 max_age: float | timedelta | None = None, where: str | None = None,
                 window_start: str | datetime | None = None, window_end: str | datetime | None = None,
                 window_column: str = DEFAULT_WINDOW_COLUMN, aws_conn_id: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        non_empty(table, "table", "the table's URI, e.g. s3a://coinstream/trades")
        non_empty(window_column, "window_column", "the timestamp column the window applies to, e.g. trade_time")
        for bound, name in ((window_start, "window_start"), (window_end, "window_end")):
            if not (isinstance(bound, str) and "{{" in bound):  # a template is checked when the task runs
                parse_bound(bound, name)
        whole_number(min_rows, "min_rows", minimum=0)
        seconds = duration_seconds(max_age, "max_age")
        if (freshness_column is None) != (seconds is None):
            raise ValueError("freshness needs both freshness_column= (a timestamp column) and max_age= "
                             f"(got freshness_column={freshness_column!r}, max_age={max_age!r})")
        if isinstance(not_null, str) or isinstance(unique_key, str):
            raise ValueError("not_null and unique_key take a list of column names, e.g. ['trade_id']")
        if min_rows is None and not not_null and not unique_key and freshness_column is None:
            raise ValueError("no expectation given: set min_rows, not_null, unique_key and/or "
                             "freshness_column with max_age")
        self.table = table
        self.min_rows = min_rows
        self.not_null = list(not_null)
        self.unique_key = list(unique_key)
        self.freshness_column = freshness_column
        self.max_age_s = seconds
        self.where = where
        self.window_start = window_start
        self.window_end = window_end
        self.window_column = window_column
        self.aws_conn_id = aws_conn_id

    def expectations(self) -> QualityExpectations:
        return QualityExpectations(
            min_rows=self.min_rows, not_null=tuple(self.not_null), unique_key=tuple(self.unique_key),
            freshness_column=self.freshness_column,
            max_age=timedelta(seconds=self.max_age_s) if self.max_age_s is not None else None,
            where=self.where or None)

    def execute(self, context: Context) -> dict[str, Any]:
        try:
            delta = DeltaTableHook(self.aws_conn_id).open(self.table)
            window = window_for(delta, self.table, self.window_column, self.window_start, self.window_end)
            report = check_table(delta, self.table, self.expectations(), window=window)
        except (DeltaTableNotFoundError, QualityConfigurationError) as error:
            raise AirflowFailException(str(error)) from None
        log.info("quality_measured", **report.as_dict())
        if not report.passed:
            failures = "\n".join(f"  - {failure}" for failure in report.failures)
            checked = ", ".join(report.scope()) or "whole table"
            raise AirflowFailException(
                f"data quality check of {self.table} (version {report.version}, {checked}) failed "
                f"{len(report.failures)} expectation(s):\n{failures}")
        return report.as_dict()
