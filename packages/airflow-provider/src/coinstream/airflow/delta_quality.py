"""Data-quality checks on a Delta table with deltalake's SQL engine (DataFusion; no JVM).

Each check reads only the columns it needs, and ``where`` narrows every check to a slice (a day's
partition, say) so a check of a big table stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:
    from deltalake import DeltaTable

SAMPLE_DUPLICATES = 5


class QualityConfigurationError(ValueError):
    """The expectations name columns the table does not have (the message lists the columns)."""


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
    rows: int = 0
    nulls: dict[str, int] = field(default_factory=dict)
    duplicate_keys: int = 0
    duplicate_sample: list[dict[str, Any]] = field(default_factory=list)
    newest: datetime | None = None
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def as_dict(self) -> dict[str, Any]:
        return {"table": self.table, "version": self.version, "rows": self.rows, "nulls": self.nulls,
                "duplicate_keys": self.duplicate_keys, "newest": self.newest.isoformat() if self.newest else None,
                "failures": self.failures}


def _quote(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _query(delta: DeltaTable, sql: str) -> pa.Table:
    """Run SQL over the table registered as ``t``; the answer as a pyarrow Table."""
    from deltalake import QueryBuilder

    return pa.table(QueryBuilder().register("t", delta).execute(sql).read_all())


def _scalar(delta: DeltaTable, sql: str) -> Any:
    table = _query(delta, sql)
    return table.column(0)[0].as_py() if table.num_rows else None


def check_table(delta: DeltaTable, table: str, expectations: QualityExpectations,
                now: datetime | None = None) -> QualityReport:
    """Measure the table against the expectations; never raises for a failed expectation."""
    available = [f.name for f in delta.schema().fields]
    unknown = sorted(expectations.columns() - set(available))
    if unknown:
        raise QualityConfigurationError(
            f"{table} has no column(s) {', '.join(unknown)}; its columns are: {', '.join(available)}")
    where = f" WHERE {expectations.where}" if expectations.where else ""
    slice_text = f" (where {expectations.where})" if expectations.where else ""
    report = QualityReport(table=table, version=delta.version())
    report.rows = int(_scalar(delta, f"SELECT count(*) FROM t{where}") or 0)
    if expectations.min_rows is not None and report.rows < expectations.min_rows:
        report.failures.append(f"row count: {report.rows} rows{slice_text}, expected at least {expectations.min_rows}")

    if expectations.not_null:
        sums = ", ".join(f"sum(CASE WHEN {_quote(c)} IS NULL THEN 1 ELSE 0 END)" for c in expectations.not_null)
        counts = _query(delta, f"SELECT {sums} FROM t{where}")
        for index, column in enumerate(expectations.not_null):
            nulls = int(counts.column(index)[0].as_py() or 0) if counts.num_rows else 0
            report.nulls[column] = nulls
            if nulls:
                report.failures.append(f"nulls: {column} is null in {nulls} of {report.rows} rows{slice_text}")

    if expectations.unique_key:
        keys = ", ".join(_quote(c) for c in expectations.unique_key)
        grouped = f"SELECT {keys}, count(*) AS copies FROM t{where} GROUP BY {keys} HAVING count(*) > 1"
        report.duplicate_keys = int(_scalar(delta, f"SELECT count(*) FROM ({grouped}) AS d") or 0)
        if report.duplicate_keys:
            sample = _query(delta, f"{grouped} ORDER BY copies DESC LIMIT {SAMPLE_DUPLICATES}")
            report.duplicate_sample = sample.to_pylist()
            report.failures.append(
                f"duplicates: {report.duplicate_keys} value(s) of ({', '.join(expectations.unique_key)}) occur more "
                f"than once{slice_text}, e.g. {report.duplicate_sample[0]}")

    if expectations.freshness_column and expectations.max_age is not None:
        newest = _scalar(delta, f"SELECT max({_quote(expectations.freshness_column)}) FROM t{where}")
        now = now or datetime.now(UTC)
        if isinstance(newest, datetime) and newest.tzinfo is None:
            newest = newest.replace(tzinfo=UTC)  # Delta timestamps without a zone are UTC by convention
        report.newest = newest if isinstance(newest, datetime) else None
        if report.newest is None:
            report.failures.append(f"freshness: {expectations.freshness_column} has no value{slice_text}")
        elif now - report.newest > expectations.max_age:
            report.failures.append(
                f"freshness: newest {expectations.freshness_column} is {report.newest.isoformat()}, "
                f"{_age(now - report.newest)} old, more than the allowed {_age(expectations.max_age)}")
    return report


def _age(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    hours, rest = divmod(seconds, 3600)
    return f"{hours} h {rest // 60} min" if hours else f"{rest // 60} min {rest % 60} s"
