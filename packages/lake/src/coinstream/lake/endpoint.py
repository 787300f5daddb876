"""Whether the [s3] endpoint answers at all, asked in seconds before delta-rs or boto3 touch it.

delta-rs (object_store) retries a refused connection with back-off for minutes before it fails, and
then with a message that does not say which setting is wrong; one TCP connection says it at once.
Called by :class:`~coinstream.lake.reader.LakeReader` before it opens its first table on S3.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from coinstream.lake.errors import S3UnreachableError

CONNECT_TIMEOUT_S = 3.0


def check_endpoint(endpoint_url: str | None, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """Raise :class:`S3UnreachableError` unless a TCP connection to ``endpoint_url`` opens within ``timeout_s``.

    None (AWS, found through the region) is not checked: its endpoint depends on the bucket's region.
    """
    if not endpoint_url:
        return
    parts = urlsplit(endpoint_url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise S3UnreachableError(endpoint_url, f"TCP connection to {host}:{port}: {reason}") from None
