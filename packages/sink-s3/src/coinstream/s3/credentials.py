"""Moved to :mod:`coinstream.lake.credentials` (coinstream-lake, no JVM); this module keeps the old import working."""

from coinstream.lake.credentials import NO_CREDENTIALS_HINT, AwsCredentials, resolve_credentials

__all__ = ["NO_CREDENTIALS_HINT", "AwsCredentials", "resolve_credentials"]
