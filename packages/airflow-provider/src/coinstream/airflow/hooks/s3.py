"""S3 through the standard AWS connection (``aws``), read without the Amazon provider installed.

Fields, as the Amazon provider defines them: login = access key id, password = secret access
key, extra ``region_name``, ``endpoint_url`` (or ``service_config.s3.endpoint_url``) and
``aws_session_token``. An extra ``delta_storage_options`` dict is passed to deltalake unchanged
(e.g. ``{"AWS_S3_ALLOW_UNSAFE_RENAME": "true"}`` or a locking provider for concurrent writers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from coinstream.core import register_secret
from coinstream.lake import AwsCredentials, delta_rs_options

from airflow.sdk import BaseHook
from airflow.sdk.log import mask_secret


@dataclass(frozen=True)
class S3Access:
    """Credentials and endpoint of an S3 store; all None means the ambient AWS credential chain."""

    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)
    region: str | None = None
    endpoint_url: str | None = None
    delta_options: dict[str, str] = field(default_factory=dict)

    def delta_storage_options(self) -> dict[str, str]:
        """``storage_options`` for deltalake: coinstream-lake's for this endpoint and these keys, then the
        connection's ``delta_storage_options`` over them. Unset keys and region are left to the ambient chain."""
        credentials = None
        if self.access_key_id or self.secret_access_key or self.session_token:
            credentials = AwsCredentials(self.access_key_id or "", self.secret_access_key or "", self.session_token,
                                         "connection")
        # Path-style addressing: what delta-rs did here before it was spelled out, and what local S3 servers
        # (the stack's S3Proxy) need; AWS S3 serves it too.
        options = delta_rs_options(endpoint_url=self.endpoint_url, region=self.region, path_style=True,
                                   credentials=credentials)
        return {**options, **self.delta_options}

    def environment(self) -> dict[str, str]:
        """The variables a coinstream command (Spark's S3A, boto3, core's [s3] overrides) reads."""
        pairs = {"AWS_ACCESS_KEY_ID": self.access_key_id, "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
                 "AWS_SESSION_TOKEN": self.session_token, "AWS_REGION": self.region,
                 "AWS_DEFAULT_REGION": self.region, "COINSTREAM_S3_REGION": self.region,
                 "COINSTREAM_S3_ENDPOINT_URL": self.endpoint_url, "AWS_ENDPOINT_URL_S3": self.endpoint_url}
        return {key: value for key, value in pairs.items() if value}

    def arrow_filesystem(self) -> Any:
        """A ``pyarrow.fs.S3FileSystem`` with these credentials (for reading checkpoints)."""
        from pyarrow import fs

        options: dict[str, Any] = {"access_key": self.access_key_id, "secret_key": self.secret_access_key,
                                   "session_token": self.session_token, "region": self.region or "us-east-1"}
        if self.endpoint_url:
            scheme, _, rest = self.endpoint_url.partition("://")
            options.update(endpoint_override=rest.rstrip("/"), scheme=scheme)
        return fs.S3FileSystem(**{key: value for key, value in options.items() if value is not None})


def access_from_connection(conn: Any) -> S3Access:
    """Read an ``aws`` connection into S3Access; its secrets are masked and registered first."""
    extra: dict[str, Any] = conn.extra_dejson
    secret, token = conn.password or None, extra.get("aws_session_token") or None
    for value in (secret, token):
        if value:
            mask_secret(value)
            register_secret(value)
    endpoint = extra.get("endpoint_url") or (extra.get("service_config") or {}).get("s3", {}).get("endpoint_url")
    options = extra.get("delta_storage_options") or {}
    return S3Access(access_key_id=conn.login or None, secret_access_key=secret, session_token=token,
                    region=extra.get("region_name") or None, endpoint_url=endpoint or None,
                    delta_options={str(k): str(v) for k, v in options.items()})


def s3_access(aws_conn_id: str | None) -> S3Access:
    """The S3 access of an ``aws`` connection (None: the ambient AWS credential chain)."""
    return S3Access() if aws_conn_id is None else access_from_connection(BaseHook.get_connection(aws_conn_id))


async def as3_access(aws_conn_id: str | None) -> S3Access:
    """:func:`s3_access` for async code (the triggerer)."""
    if aws_conn_id is None:
        return S3Access()
    return access_from_connection(await BaseHook.aget_connection(aws_conn_id))
