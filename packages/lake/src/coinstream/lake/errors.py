"""The errors coinstream-lake raises; each message says what happened and what to do."""

from __future__ import annotations


class S3SetupError(Exception):
    """The S3 endpoint, bucket or credentials are not usable (wrong endpoint, missing bucket, denied)."""


class TableLocationError(Exception):
    """A table's location cannot be worked out from the sink's settings and the [s3] section."""


class TableNotFoundError(Exception):
    """No Delta table exists at the location a reader or a maintenance command was given."""
