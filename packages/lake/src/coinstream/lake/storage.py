"""How delta-rs reaches a table: the ONE place that spells its ``storage_options`` and its URIs.

Spark writes ``s3a://bucket/key``; delta-rs (``deltalake``, object_store underneath) opens the same
table as ``s3://bucket/key`` with the endpoint, region, addressing and keys as ``AWS_*`` options.
Called by the reader, the maintenance commands, the dashboard and the Airflow provider whenever they
open a table; each function returns plain strings or a plain dict.
"""

from __future__ import annotations

from coinstream.lake.credentials import AwsCredentials
from coinstream.lake.settings import S3Settings

S3_SCHEMES = ("s3a://", "s3://", "s3n://")
"""The URI schemes of an S3 location, as Spark (``s3a``, ``s3n``) and delta-rs (``s3``) spell them."""


def is_s3_uri(uri: str) -> bool:
    """True for an S3 location in any of its spellings (``s3a://``, ``s3://``, ``s3n://``), False for a folder."""
    return uri.startswith(S3_SCHEMES)


def delta_rs_uri(uri: str) -> str:
    """Return the URI delta-rs opens: an S3 location as ``s3://``; anything else (a local folder) unchanged."""
    for scheme in S3_SCHEMES:
        if uri.startswith(scheme):
            return "s3://" + uri.removeprefix(scheme)
    return uri


def delta_rs_options(*, endpoint_url: str | None = None, region: str | None = None, path_style: bool = True,
                     credentials: AwsCredentials | None = None) -> dict[str, str]:
    """Return delta-rs ``storage_options`` for an S3 endpoint.

    ``region`` None leaves the region to the environment (``AWS_REGION``); ``credentials`` None leaves
    the keys to delta-rs' own AWS chain. The addressing is always set, so that no caller depends on
    delta-rs' default: path-style (what local S3 servers need) unless ``path_style`` is False.
    """
    options: dict[str, str] = {}
    if region:
        options["AWS_REGION"] = region
    if endpoint_url:
        options["AWS_ENDPOINT_URL"] = endpoint_url
        options["AWS_ALLOW_HTTP"] = str(endpoint_url.startswith("http://")).lower()
    options["AWS_VIRTUAL_HOSTED_STYLE_REQUEST"] = str(not path_style).lower()
    if credentials is not None:
        keys = {"AWS_ACCESS_KEY_ID": credentials.access_key, "AWS_SECRET_ACCESS_KEY": credentials.secret_key,
                "AWS_SESSION_TOKEN": credentials.session_token}
        options.update({name: value for name, value in keys.items() if value})
    return options


def storage_options(s3: S3Settings, credentials: AwsCredentials | None) -> dict[str, str]:
    """Return delta-rs ``storage_options`` for the [s3] endpoint (keys from ``credentials``)."""
    return delta_rs_options(endpoint_url=s3.endpoint_url, region=s3.region, path_style=s3.path_style,
                            credentials=credentials)
