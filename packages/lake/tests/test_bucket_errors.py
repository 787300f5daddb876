"""The bucket check's errors without any server: a closed port, and no credentials at all."""

from __future__ import annotations

import socket

import pytest

from coinstream.lake.bucket import ensure_bucket
from coinstream.lake.credentials import AwsCredentials
from coinstream.lake.errors import S3SetupError
from coinstream.lake.settings import S3Settings


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_nothing_listening_at_the_endpoint_is_reported_with_the_fix():
    endpoint = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(S3SetupError) as raised:
        ensure_bucket(S3Settings(endpoint_url=endpoint, path_style=True), AwsCredentials("a", "b", None, "env"))
    assert f"cannot reach S3 at {endpoint} (checking bucket" in str(raised.value)
    assert "[s3] endpoint_url" in str(raised.value)


def test_no_credentials_says_how_to_provide_them(no_aws_credentials):
    with pytest.raises(S3SetupError, match=r"export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"):
        ensure_bucket(S3Settings(endpoint_url="http://127.0.0.1:1"))
