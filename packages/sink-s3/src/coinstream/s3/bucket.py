"""Moved to :mod:`coinstream.lake.bucket` (coinstream-lake, no JVM); this module keeps the old import working."""

from coinstream.lake.bucket import ensure_bucket, s3_client

__all__ = ["ensure_bucket", "s3_client"]
