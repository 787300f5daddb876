"""Getting a sink's storage ready: its location, the bucket check, and S3A settings on the session.

Shared by the Delta and CSV sinks, which build it from their settings and the pipeline's [s3]
section (``context.section("s3")``). :meth:`SinkStorage.spark_conf` is called before the processor
builds the session; :meth:`SinkStorage.prepare` when the sink's query starts, and returns the
:class:`TableLocation` to write to (after the bucket answered).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog

from coinstream.core import ComponentContext
from coinstream.lake import (
    S3Settings,
    TableLocation,
    TableLocationError,
    ensure_bucket,
    resolve_credentials,
    table_location,
)
from coinstream.s3.spark_conf import runtime_s3a_conf, session_conf

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = structlog.get_logger(__name__)


def s3_section(context: ComponentContext) -> S3Settings | None:
    """Return the pipeline's [s3] section from a sink's context, or None when the pipeline has none."""
    section = context.section("s3")
    return section if isinstance(section, S3Settings) else None


@dataclass(frozen=True, slots=True)
class SinkStorage:
    """A sink's table (or export folder) name, optional explicit path, and the pipeline's [s3] (None without one)."""

    table: str
    path: str | None
    s3: S3Settings | None = None

    def location(self) -> tuple[TableLocation, S3Settings | None]:
        """Return the location and the [s3] settings that apply to its bucket (None for a local folder)."""
        s3 = self.s3
        location = table_location(self.table, self.path, s3)
        if not location.on_s3:
            return location, None
        s3 = s3 or S3Settings()
        if location.bucket != s3.bucket:  # an explicit path into another bucket on the same endpoint
            s3 = s3.model_copy(update={"bucket": location.bucket})
        return location, s3

    def spark_conf(self) -> dict[str, str]:
        """Return the session settings (Delta, and S3A when the location is on S3).

        An unresolvable location yields Delta's settings only: ``prepare`` reports it when the query starts,
        where the processor turns it into its start-up error.
        """
        try:
            location, s3 = self.location()
        except TableLocationError:
            return session_conf(None, None, on_s3=False)
        credentials = resolve_credentials() if s3 is not None else None
        return session_conf(s3, credentials, location.on_s3)

    def prepare(self, spark: SparkSession) -> TableLocation:
        """Check the bucket (creating it when [s3] create_bucket), set S3A on the session; return the location."""
        location, s3 = self.location()
        if s3 is not None:
            credentials = resolve_credentials()
            ensure_bucket(s3, credentials)
            for key, value in runtime_s3a_conf(s3, credentials).items():
                spark.conf.set(key, value)
        log.info("sink_location_ready", table=self.table, location=location.spark_uri, on_s3=location.on_s3)
        return location
