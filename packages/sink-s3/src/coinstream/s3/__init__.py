"""coinstream-sink-s3: Delta Lake on S3 sinks, CSV export and table maintenance."""

from coinstream.s3.__about__ import __version__
from coinstream.s3.settings import S3Settings

__all__ = ["S3Settings", "__version__"]
