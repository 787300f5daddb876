"""Objects on the local S3 server are files on disk: they survive a server restart; keys are checked."""

from __future__ import annotations

import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

pytestmark = pytest.mark.stack

# S3Proxy does not implement the default checksums that boto3 >= 1.36 sends (PutObject answers
# NotImplemented without this).
_S3PROXY_CONFIG = Config(request_checksum_calculation="when_required",
                         response_checksum_validation="when_required",
                         s3={"addressing_style": "path"}, retries={"max_attempts": 2})


def _client(local_stack, secret_key: str | None = None):  # noqa: ANN202 (boto3 client)
    return boto3.client(
        "s3", endpoint_url=local_stack.s3_endpoint_url, region_name=local_stack.s3_region,
        aws_access_key_id=local_stack.s3_access_key,
        aws_secret_access_key=secret_key or local_stack.s3_secret_key, config=_S3PROXY_CONFIG,
    )


def test_bucket_exists_after_up(local_stack) -> None:
    names = [b["Name"] for b in _client(local_stack).list_buckets()["Buckets"]]
    assert local_stack.s3_bucket in names


def test_object_survives_an_s3_server_restart(local_stack) -> None:
    key = f"stack-test/{uuid.uuid4().hex}.json"
    body = b'{"ticker": "btcusd", "price": 97000.5}'
    _client(local_stack).put_object(Bucket=local_stack.s3_bucket, Key=key, Body=body)

    local_stack.restart_s3()

    fetched = _client(local_stack).get_object(Bucket=local_stack.s3_bucket, Key=key)["Body"].read()
    assert fetched == body


def test_a_wrong_secret_key_is_refused(local_stack) -> None:
    with pytest.raises(ClientError) as refused:
        _client(local_stack, secret_key="not-the-secret").list_objects_v2(Bucket=local_stack.s3_bucket)
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
