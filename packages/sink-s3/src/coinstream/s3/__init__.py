"""coinstream-sink-s3: Delta Lake on S3 sinks, CSV export, table maintenance and a JVM-free reader."""

from coinstream.s3.__about__ import __version__
from coinstream.s3.errors import S3SetupError, TableLocationError, TableNotFoundError
from coinstream.s3.reader import LakeReader
from coinstream.s3.settings import S3Settings

__all__ = ["LakeReader", "S3SetupError", "S3Settings", "TableLocationError", "TableNotFoundError", "__version__"]  # noqa: RUF022
