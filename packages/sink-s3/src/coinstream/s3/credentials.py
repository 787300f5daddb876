"""Moved to :mod:`coinstream.lake.credentials` (coinstream-lake, no JVM); this module keeps the old import working,
through coinstream-lake's public API."""

from coinstream.lake import NO_CREDENTIALS_HINT, AwsCredentials, resolve_credentials

__all__ = ["NO_CREDENTIALS_HINT", "AwsCredentials", "resolve_credentials"]
