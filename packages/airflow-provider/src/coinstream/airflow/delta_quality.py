"""Data-quality checks on a Delta table, read without a JVM through ``coinstream.lake.table_rows``.

The check reads only the columns its expectations need, and only the rows of its window (a
predicate pushed into the scan, see :mod:`coinstream.airflow.quality_window`), so the cost of a
windowed check follows the window, not the lake. ``where`` (a SQL predicate) is the older way to
narrow a check: it runs on deltalake's SQL engine and the window is then applied to what it selects.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from coinstream.airflow.quality_window import QualityConfigurationError, Window
from coinstream.lake import table_rows

if TYPE_CHECKING:
    from deltalake import DeltaTable

__all__ = ["QualityConfigurationError", "QualityExpectations", "QualityReport", "check_table"]

SAMPLE_DUPLICATES = 5


@dataclass(frozen=True)
class QualityExpectations:
    """What a table must satisfy; a None or empty expectation is not checked."""

    min_rows: int | None = None
    not_null: tuple[str, ...] = ()
    unique_key: tuple[str, ...] = ()
    freshness_column: str | None = None
    max_age: timedelta | None = None
    where: str | None = None

    def columns(self) -> set[str]:
        return {*self.not_null, *self.unique_key, *([self.freshness_column] if self.freshness_column else [])}


@dataclass
class QualityReport:
    """What was measured and which expectations failed (each failure a sentence with the values)."""

    table: str
    version: int
    window: Window | None = None
    where: str | None = None
    rows: int = 0
    nulls: dict[str, int] = field(default_factory=dict)
    duplicate_keys: int = 0
    duplicate_sample: list[dict[str, Any]] = field(default_factory=list)
    newest: datetime | None = None
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def scope(self) -> list[str]:
        """What was checked, for messages: ``["window trade_time in [...)", "where ..."]``; empty: the whole table."""
        return ([f"window {self.window.describe()}"] if self.window else []) + (
            [f"where {self.where}"] if self.where else [])

    def as_dict(self) -> dict[str, Any]:
        return {"table": self.table, "version": self.version,
                "window": self.window.as_dict() if self.window else None, "where": self.where,
                "rows": self.rows, "nulls": self.nulls, "duplicate_keys": self.duplicate_keys,
                "newest": self.newest.isoformat() if self.newest else None, "failures": self.failures}


def _quote(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _rows(delta: DeltaTable, columns: list[str], window: Window | None, where: str | None) -> pa.Table:
    """The rows the expectations are measured on: ``columns`` of the rows in the window (and ``where``)."""
    schema = pa.schema(delta.schema().to_arrow())
    if not where:
        return table_rows(delta, columns, window.expression(schema) if window else None)
    from deltalake import QueryBuilder

    selected = ", ".join(_quote(column) for column in columns)
    rows = pa.table(QueryBuilder().register("t", delta).execute(f"SELECT {selected} FROM t WHERE {where}").read_all())
    if window is None:
        return rows
    # DataFusion answers with string_view columns, which pyarrow's filter cannot take yet.
    plain = pa.schema([pa.field(column.name, pa.string() if pa.types.is_string_view(column.type) else column.type)
                       for column in rows.schema])
    return rows.cast(plain).filter(replace(window, date_partition=None).expression(schema))  # read: its columns only


def _columns_read(delta: DeltaTable, expectations: QualityExpectations, window: Window | None) -> list[str]:
    """The columns to read: those the expectations name and the window's (one column to count rows by)."""
    named = sorted(expectations.columns() | ({window.column} if window else set()))
    return named or [delta.schema().fields[0].name]


def check_table(delta: DeltaTable, table: str, expectations: QualityExpectations,
                now: datetime | None = None, window: Window | None = None) -> QualityReport:
    """Measure the rows in ``window`` (None: the whole table) against the expectations.

    Every expectation applies to the window alone: ``min_rows`` counts the window's rows (an empty
    window fails ``min_rows`` and has no newest value for freshness, but no null or duplicate),
    ``unique_key`` finds duplicates within the window, and freshness measures the newest value in
    the window against the window's end, or ``now`` when that is earlier or there is no end.
    Never raises for a failed expectation; QualityConfigurationError for a column the table lacks.
    """
    available = [f.name for f in delta.schema().fields]
    unknown = sorted(expectations.columns() - set(available))
    if unknown:
        raise QualityConfigurationError(
            f"{table} has no column(s) {', '.join(unknown)}; its columns are: {', '.join(available)}")
    report = QualityReport(table=table, version=delta.version(), window=window, where=expectations.where)
    scope = "".join(f" ({text})" for text in report.scope())
    rows = _rows(delta, _columns_read(delta, expectations, window), window, expectations.where)
    report.rows = rows.num_rows
    if expectations.min_rows is not None and report.rows < expectations.min_rows:
        report.failures.append(f"row count: {report.rows} rows{scope}, expected at least {expectations.min_rows}")

    for column in expectations.not_null:
        report.nulls[column] = rows.column(column).null_count
        if report.nulls[column]:
            report.failures.append(f"nulls: {column} is null in {report.nulls[column]} of {report.rows} rows{scope}")

    if expectations.unique_key:
        _measure_duplicates(rows, expectations.unique_key, report, scope)

    if expectations.freshness_column and expectations.max_age is not None:
        now = now or datetime.now(UTC)
        reference = min(now, window.end) if window and window.end else now
        newest = pc.max(rows.column(expectations.freshness_column)).as_py() if report.rows else None
        if isinstance(newest, datetime) and newest.tzinfo is None:
            newest = newest.replace(tzinfo=UTC)  # Delta timestamps without a zone are UTC by convention
        report.newest = newest if isinstance(newest, datetime) else None
        if report.newest is None:
            report.failures.append(f"freshness: {expectations.freshness_column} has no value{scope}")
        elif reference - report.newest > expectations.max_age:
            age = f"{_age(reference - report.newest)} " + ("old" if reference == now else "before the window's end")
            report.failures.append(
                f"freshness: newest {expectations.freshness_column} is {report.newest.isoformat()}, {age}, "
                f"more than the allowed {_age(expectations.max_age)}{scope}")
    return report


def _measure_duplicates(rows: pa.Table, keys: tuple[str, ...], report: QualityReport, scope: str) -> None:
    """Count the key values that occur more than once; keep the most repeated few as a sample."""
    counts = rows.select(list(keys)).group_by(list(keys)).aggregate([([], "count_all")])
    repeated = counts.filter(pc.greater(counts.column("count_all"), 1))
    report.duplicate_keys = repeated.num_rows
    if not report.duplicate_keys:
        return
    sample = repeated.sort_by([("count_all", "descending")]).slice(0, SAMPLE_DUPLICATES)
    report.duplicate_sample = [{**{key: row[key] for key in keys}, "copies": row["count_all"]}
                               for row in sample.to_pylist()]
    report.failures.append(
        f"duplicates: {report.duplicate_keys} value(s) of ({', '.join(keys)}) occur more than once{scope}, "
        f"e.g. {report.duplicate_sample[0]}")


def _age(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    hours, rest = divmod(seconds, 3600)
    return f"{hours} h {rest // 60} min" if hours else f"{rest // 60} min {rest % 60} s"
