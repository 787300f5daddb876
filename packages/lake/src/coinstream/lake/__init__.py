"""coinstream-lake: the Delta tables on S3 without a JVM: where each table lives, how delta-rs reaches it
(storage options, ``s3a://`` -> ``s3://``), the reader, the bucket check, maintenance and the [s3] section.

Other packages use the names below, and only those. None imports deltalake or pyarrow when this
module is imported; the ``coinstream delta`` command group loads when first used."""

from typing import TYPE_CHECKING

from coinstream.core import lazy_exports
from coinstream.lake.__about__ import __version__
from coinstream.lake.bucket import ensure_bucket, s3_client
from coinstream.lake.credentials import (
    NO_CREDENTIALS_HINT,
    AwsCredentials,
    credentials_from_environment,
    resolve_credentials,
)
from coinstream.lake.endpoint import check_endpoint
from coinstream.lake.errors import (
    S3SetupError,
    S3UnreachableError,
    TableLocationError,
    TableNotFoundError,
)
from coinstream.lake.location import TableLocation, parse_location, table_location
from coinstream.lake.maintenance import (
    DEFAULT_RETENTION_HOURS,
    DEFAULT_ZORDER,
    MaintenanceResult,
    history,
    optimize,
    vacuum,
)
from coinstream.lake.reader import Filters, LakeReader, table_rows
from coinstream.lake.settings import S3Settings
from coinstream.lake.storage import delta_rs_options, delta_rs_uri, is_s3_uri, storage_options

if TYPE_CHECKING:
    from coinstream.lake.cli import EXIT_CONFIG_ERROR, EXIT_FAILED, delta_command

__getattr__ = lazy_exports(__name__, {name: "coinstream.lake.cli" for name in ("EXIT_CONFIG_ERROR", "EXIT_FAILED",
                                                                              "delta_command")})

__all__ = [  # noqa: RUF022
    "DEFAULT_RETENTION_HOURS", "DEFAULT_ZORDER", "EXIT_CONFIG_ERROR", "EXIT_FAILED", "NO_CREDENTIALS_HINT",
    "AwsCredentials", "Filters", "LakeReader", "MaintenanceResult", "S3SetupError", "S3Settings", "S3UnreachableError",
    "TableLocation", "TableLocationError", "TableNotFoundError", "check_endpoint", "credentials_from_environment",
    "delta_command", "delta_rs_options", "delta_rs_uri", "ensure_bucket", "history", "is_s3_uri", "optimize",
    "parse_location", "resolve_credentials", "s3_client", "storage_options", "table_location", "table_rows", "vacuum",
    "__version__",
]
