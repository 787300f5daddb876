"""The errors coinstream-lake raises; each message says what happened and what to do."""

from __future__ import annotations

from coinstream.core import STACK_UP_HINT, ServiceUnreachableError


class S3SetupError(Exception):
    """The S3 endpoint, bucket or credentials are not usable (wrong endpoint, missing bucket, denied)."""


class TableLocationError(Exception):
    """A table's location cannot be worked out from the sink's settings and the [s3] section."""


class TableNotFoundError(Exception):
    """No Delta table exists at the location a reader or a maintenance command was given."""


S3_FIX = (f"{STACK_UP_HINT} (S3 on http://127.0.0.1:19000), or set [s3] endpoint_url / COINSTREAM_S3_ENDPOINT_URL "
          "to an endpoint that answers (unset for AWS)")


class S3UnreachableError(S3SetupError, ServiceUnreachableError):
    """The S3 endpoint did not answer (connection refused, DNS, timeout)."""

    def __init__(self, endpoint: str, tried: str, fix: str = S3_FIX) -> None:
        ServiceUnreachableError.__init__(self, "S3", endpoint, tried, fix)
