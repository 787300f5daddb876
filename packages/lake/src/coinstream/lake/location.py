"""Where a table (or a CSV export) lives: ``s3a://<bucket>/<prefix><table>`` from the [s3] section, or an
explicit ``path`` (``s3a://...`` or a local folder).

Called by the sinks when they start, by the JVM-free reader and by ``coinstream delta``; returns a
:class:`TableLocation` that gives the URI each engine wants (Spark: ``s3a://``, delta-rs: ``s3://``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from coinstream.lake.errors import TableLocationError
from coinstream.lake.settings import S3Settings
from coinstream.lake.storage import S3_SCHEMES


@dataclass(frozen=True, slots=True)
class TableLocation:
    """A table's storage location; ``bucket``/``key`` are set only for S3."""

    spark_uri: str
    bucket: str | None = None
    key: str | None = None

    @property
    def on_s3(self) -> bool:
        """True for an S3 location (bucket checks and S3 credentials apply)."""
        return self.bucket is not None

    @property
    def delta_rs_uri(self) -> str:
        """The URI delta-rs (``deltalake``) opens: ``s3://bucket/key`` or the local folder."""
        return f"s3://{self.bucket}/{self.key}" if self.on_s3 else self.spark_uri

    def __str__(self) -> str:
        return self.spark_uri


def parse_location(path: str) -> TableLocation:
    """Return the location of an explicit ``path``: an S3 URI (any of s3a/s3/s3n) or a local folder."""
    for scheme in S3_SCHEMES:
        if path.startswith(scheme):
            bucket, _, key = path[len(scheme):].partition("/")
            key = key.strip("/")
            if not bucket or not key:
                raise TableLocationError(
                    f"path {path!r} names no key inside the bucket; write it as s3a://BUCKET/FOLDER/TABLE")
            return TableLocation(f"s3a://{bucket}/{key}", bucket, key)
    if "://" in path:
        raise TableLocationError(
            f"path {path!r} has a scheme coinstream cannot write to; use s3a://BUCKET/KEY or a local folder")
    return TableLocation(str(Path(path).expanduser().resolve()))


def table_location(table: str, path: str | None, s3: S3Settings | None) -> TableLocation:
    """Return where ``table`` lives: the explicit ``path`` when given, else the [s3] bucket and prefix."""
    if path:
        return parse_location(path)
    if s3 is None:
        raise TableLocationError(
            f"table {table!r} has no path and the pipeline has no [s3] section: add [s3] bucket = \"...\" "
            f"(the table then lives at s3a://BUCKET/PREFIX{table}) or set path = \"s3a://...\" or a local folder "
            "on the sink")
    key = f"{s3.prefix}{table}"
    return TableLocation(f"s3a://{s3.bucket}/{key}", s3.bucket, key)
