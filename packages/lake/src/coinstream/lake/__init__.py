"""coinstream-lake: the Delta tables on S3 without a JVM: where each table lives, how delta-rs reaches it
(storage options, ``s3a://`` -> ``s3://``), the reader, the bucket check, maintenance and the [s3] section."""

from coinstream.lake.__about__ import __version__
from coinstream.lake.bucket import ensure_bucket, s3_client
from coinstream.lake.credentials import AwsCredentials, credentials_from_environment, resolve_credentials
from coinstream.lake.errors import S3SetupError, TableLocationError, TableNotFoundError
from coinstream.lake.location import TableLocation, parse_location, table_location
from coinstream.lake.reader import LakeReader
from coinstream.lake.settings import S3Settings
from coinstream.lake.storage import delta_rs_options, delta_rs_uri, is_s3_uri, storage_options

__all__ = [  # noqa: RUF022
    "AwsCredentials", "LakeReader", "S3SetupError", "S3Settings", "TableLocation", "TableLocationError",
    "TableNotFoundError", "credentials_from_environment", "delta_rs_options", "delta_rs_uri", "ensure_bucket",
    "is_s3_uri", "parse_location", "resolve_credentials", "s3_client", "storage_options", "table_location",
    "__version__",
]
