"""coinstream-sink-s3: the Spark sinks that write the lake (Delta on S3, CSV export).

The JVM-free half (the [s3] section, table locations, the reader, maintenance) lives in coinstream-lake;
its names stay importable from here for code written before the split.
"""

from coinstream.lake import LakeReader, S3Settings, S3SetupError, TableLocationError, TableNotFoundError
from coinstream.s3.__about__ import __version__

__all__ = ["LakeReader", "S3SetupError", "S3Settings", "TableLocationError", "TableNotFoundError", "__version__"]  # noqa: RUF022
