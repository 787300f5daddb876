"""A wrong endpoint, a missing bucket or a wrong secret: the sink stops at start-up with a clear error
(boto3 checks the bucket before Spark's S3A would retry for minutes)."""

from __future__ import annotations

import uuid

import pytest

from coinstream.lake.bucket import ensure_bucket, s3_client
from coinstream.lake.credentials import AwsCredentials
from coinstream.lake.errors import S3SetupError
from coinstream.spark.processor import ProcessorError

from ..ports import unused_port

pytestmark = [pytest.mark.stack]


def test_a_wrong_endpoint_says_which_and_how_to_start_the_stack(stack_s3, aws_environment):
    wrong = stack_s3.model_copy(update={"endpoint_url": f"http://127.0.0.1:{unused_port()}"})
    with pytest.raises(S3SetupError) as raised:
        ensure_bucket(wrong)
    message = str(raised.value)
    assert f"cannot reach S3 at {wrong.endpoint_url} (" in message
    assert "coinstream stack up" in message


def test_a_missing_bucket_is_named_with_the_fix(stack_s3, aws_environment):
    missing = stack_s3.model_copy(update={"bucket": f"missing-{uuid.uuid4().hex[:8]}"})
    with pytest.raises(S3SetupError) as raised:
        ensure_bucket(missing)
    assert f"bucket {missing.bucket!r} does not exist at {stack_s3.endpoint_url}" in str(raised.value)
    assert "create_bucket = true" in str(raised.value)


def test_create_bucket_creates_a_missing_bucket(stack_s3, aws_environment):
    new = stack_s3.model_copy(update={"bucket": f"created-{uuid.uuid4().hex[:8]}", "create_bucket": True})
    ensure_bucket(new)
    client = s3_client(new)
    try:
        assert new.bucket in {b["Name"] for b in client.list_buckets()["Buckets"]}
    finally:
        client.delete_bucket(Bucket=new.bucket)


def test_a_wrong_secret_is_denied_without_showing_it(stack_s3, local_stack):
    wrong = AwsCredentials(local_stack.s3_access_key, "not-the-secret-123", None, "env")
    with pytest.raises(S3SetupError) as raised:
        ensure_bucket(stack_s3, wrong)
    message = str(raised.value)
    assert "denied access" in message and repr(stack_s3.bucket) in message
    assert "AWS_SECRET_ACCESS_KEY" in message
    assert "not-the-secret-123" not in message


@pytest.mark.spark
def test_the_processor_stops_with_the_bucket_error_before_any_query(run_pipeline, produce, stack_s3):
    from ..trades import valid_trades

    produce(valid_trades(5))
    missing = stack_s3.model_copy(update={"bucket": f"missing-{uuid.uuid4().hex[:8]}"})
    with pytest.raises(ProcessorError) as raised:
        run_pipeline([], [{"name": "delta", "input": "trades"}], s3=missing)
    assert f"bucket {missing.bucket!r} does not exist" in str(raised.value)
