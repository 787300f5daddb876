"""Moved to :mod:`coinstream.lake.bucket` (coinstream-lake, no JVM); this module keeps the old import working,
through coinstream-lake's public API."""

from coinstream.lake import ensure_bucket, s3_client

__all__ = ["ensure_bucket", "s3_client"]
