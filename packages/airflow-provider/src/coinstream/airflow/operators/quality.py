"""Fail the task when a Delta table breaks its data-quality expectations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import structlog
from coinstream.airflow.delta_quality import QualityConfigurationError, QualityExpectations, check_table
from coinstream.airflow.hooks.delta import DeltaTableHook, DeltaTableNotFoundError
from coinstream.airflow.arguments import duration_seconds, non_empty, whole_number

from airflow.sdk import BaseOperator, Context
from airflow.sdk.exceptions import AirflowFailException

log = structlog.get_logger(__name__)


class DeltaQualityCheckOperator(BaseOperator):
    """Check row count, nulls, freshness and duplicates of a Delta table (deltalake, no JVM).

    Every failed expectation is listed in the task's error, with the measured values; the
    measurements are the XCom when all pass.

    :param table: table URI (``s3a://bucket/trades`` or a local path); templated.
    :param min_rows: at least this many rows (in the ``where`` slice).
    :param not_null: columns that must never be null.
    :param unique_key: columns that together identify a row (e.g. ``["trade_id"]``).
    :param freshness_column: timestamp column whose newest value must be recent ...
    :param max_age: ... younger than this (seconds or a timedelta).
    :param where: SQL predicate narrowing every check, e.g. ``trade_date = '{{ ds }}'``; templated.
    """

    template_fields: Sequence[str] = ("table", "where")
    ui_color = "#ead1dc"

    def __init__(self, *, table: str, min_rows: int | None = None, not_null: Sequence[str] = (),
                 unique_key: Sequence[str] = (), freshness_column: str | None = None,
                 max_age: float | timedelta | None = None, where: str | None = None,
                 aws_conn_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        non_empty(table, "table", "the table's URI, e.g. s3a://coinstream/trades")
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
            report = check_table(delta, self.table, self.expectations())
        except (DeltaTableNotFoundError, QualityConfigurationError) as error:
            raise AirflowFailException(str(error)) from None
        log.info("quality_measured", **report.as_dict())
        if not report.passed:
            failures = "\n".join(f"  - {failure}" for failure in report.failures)
            raise AirflowFailException(
                f"data quality check of {self.table} (version {report.version}) failed "
                f"{len(report.failures)} expectation(s):\n{failures}")
        return report.as_dict()
