"""Reading the lake without a JVM: delta-rs (``deltalake``) and pyarrow, for dashboards, reports and Airflow.

    from coinstream.lake.reader import LakeReader
    lake = LakeReader(S3Settings(endpoint_url="http://127.0.0.1:19000", path_style=True))
    trades = lake.read("trades", columns=["trade_id", "price"], filters=[("trade_date", "=", "2026-11-25")])
    # DuckDB over the Arrow table (its own delta/httpfs extensions download at run time; not needed):
    duckdb.sql("select ticker, count(*) from trades group by ticker")

Credentials come from the standard AWS chain, as everywhere in coinstream. Each call opens the
table's latest version; hold the :class:`deltalake.DeltaTable` from :meth:`LakeReader.table` to
read one version consistently.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from coinstream.lake.credentials import NO_CREDENTIALS_HINT, AwsCredentials, resolve_credentials
from coinstream.lake.endpoint import check_endpoint
from coinstream.lake.errors import S3SetupError, TableNotFoundError
from coinstream.lake.location import TableLocation, table_location
from coinstream.lake.settings import S3Settings
from coinstream.lake.storage import storage_options

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.dataset as ds
    from deltalake import DeltaTable

Filters = Sequence[tuple[str, str, Any]]
"""delta-rs partition/row filters in DNF-conjunction form: ``[("trade_date", "=", "2026-11-25")]``."""


class LakeReader:
    """Opens coinstream's Delta tables by name ([s3] bucket/prefix) or by explicit path, without a JVM."""

    def __init__(self, s3: S3Settings | None = None, credentials: AwsCredentials | None = None) -> None:
        self.s3 = s3
        self._credentials = credentials
        self._endpoint_checked = False

    def location(self, table: str, path: str | None = None) -> TableLocation:
        """Where ``table`` lives (an explicit ``path`` wins over [s3])."""
        return table_location(table, path, self.s3)

    def storage_options(self, location: TableLocation) -> dict[str, str]:
        """delta-rs options for ``location`` (empty for a local folder)."""
        if not location.on_s3:
            return {}
        s3 = self.s3 or S3Settings(bucket=location.bucket or "coinstream")
        if not self._endpoint_checked:
            check_endpoint(s3.endpoint_url)
            self._endpoint_checked = True
        credentials = self._credentials or resolve_credentials()
        if credentials is None:
            raise S3SetupError(f"cannot read {location}: {NO_CREDENTIALS_HINT}")
        return storage_options(s3, credentials)

    def table(self, table: str, path: str | None = None, version: int | None = None) -> DeltaTable:
        """Open the table (its latest version, or ``version``); raise TableNotFoundError when there is none."""
        from deltalake import DeltaTable
        from deltalake.exceptions import TableNotFoundError as DeltaRsTableNotFound

        location = self.location(table, path)
        try:
            return DeltaTable(location.delta_rs_uri, version=version, storage_options=self.storage_options(location))
        except DeltaRsTableNotFound:
            raise TableNotFoundError(
                f"no Delta table at {location} (table {table!r}): has the processor written it yet? Check [s3] "
                "bucket/prefix or the path") from None

    def read(self, table: str, path: str | None = None, columns: Sequence[str] | None = None,
             filters: Filters | None = None, version: int | None = None) -> pa.Table:
        """Return the table's rows as a pyarrow Table (only ``columns``, only rows matching ``filters``)."""
        import pyarrow.dataset as ds

        delta = self.table(table, path, version)
        expression = None
        for column, op, value in filters or ():
            term = _compare(ds.field(column), op, value)
            expression = term if expression is None else expression & term
        return table_rows(delta, columns, expression)


def table_rows(delta: DeltaTable, columns: Sequence[str] | None = None, expression: ds.Expression | None = None
               ) -> pa.Table:
    """The rows of an open Delta table (only ``columns``, only rows matching the pyarrow ``expression``).

    Every coinstream read of a Delta table into Arrow goes through here, instead of ``to_pyarrow_table()``
    or a threaded ``dataset.to_table()``: with deltalake 1.6 and pyarrow 25/26, a read that used pyarrow's
    scanner threads over delta-rs's filesystem aborts the process as it exits ("terminate called without
    an active exception", one run in three on this machine; delta-io/delta-rs#2184). A single-threaded
    scan exits cleanly; the decoding cost is small next to the object-store reads of the windows we read.
    """
    return delta.to_pyarrow_dataset().to_table(columns=list(columns) if columns else None, filter=expression,
                                               use_threads=False)


def _compare(field: Any, op: str, value: Any) -> Any:
    operations = {"=": field.__eq__, "==": field.__eq__, "!=": field.__ne__, "<": field.__lt__,
                  "<=": field.__le__, ">": field.__gt__, ">=": field.__ge__}
    if op == "in":
        return field.isin(list(value))
    if op not in operations:
        raise ValueError(f"filter operator {op!r} is not supported; use one of =, !=, <, <=, >, >=, in")
    return operations[op](value)
