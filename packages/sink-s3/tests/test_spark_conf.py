"""The AWS chain's keys reach Spark's S3A (static keys explicitly, rotating ones left to S3A's own chain)."""

from __future__ import annotations

from coinstream.lake import AwsCredentials, S3Settings
from coinstream.s3.spark_conf import s3a_conf, session_conf

LOCAL = S3Settings(endpoint_url="http://127.0.0.1:19000", path_style=True)


def test_static_keys_go_to_s3a_with_the_simple_provider_and_local_endpoint_settings():
    conf = s3a_conf(LOCAL, AwsCredentials("AKID", "SECRET", None, "env"))
    assert conf["fs.s3a.endpoint"] == "http://127.0.0.1:19000"
    assert conf["fs.s3a.path.style.access"] == "true"
    assert conf["fs.s3a.connection.ssl.enabled"] == "false"
    assert conf["fs.s3a.multiobjectdelete.enable"] == "false"
    assert (conf["fs.s3a.access.key"], conf["fs.s3a.secret.key"]) == ("AKID", "SECRET")
    assert conf["fs.s3a.aws.credentials.provider"].endswith("SimpleAWSCredentialsProvider")


def test_session_tokens_use_the_temporary_provider_and_roles_are_left_to_s3a():
    temporary = s3a_conf(LOCAL, AwsCredentials("ASIA", "S", "TOKEN", "env"))
    assert temporary["fs.s3a.session.token"] == "TOKEN"
    assert temporary["fs.s3a.aws.credentials.provider"].endswith("TemporaryAWSCredentialsProvider")
    role = s3a_conf(S3Settings(), AwsCredentials("ASIA", "S", "TOKEN", "iam-role"))
    assert not any(key.startswith(("fs.s3a.access", "fs.s3a.secret", "fs.s3a.aws.credentials")) for key in role)
    assert "fs.s3a.endpoint" not in role  # AWS itself: no endpoint override, no multi-delete workaround
    assert "fs.s3a.multiobjectdelete.enable" not in role


def test_the_session_gets_delta_always_and_s3a_only_for_s3_tables():
    local = session_conf(LOCAL, AwsCredentials("A", "S", None, "env"), on_s3=False)
    assert local["spark.sql.extensions"] == "io.delta.sql.DeltaSparkSessionExtension"
    assert not any(key.startswith("spark.hadoop.") for key in local)
    on_s3 = session_conf(LOCAL, AwsCredentials("A", "S", None, "env"), on_s3=True)
    assert on_s3["spark.hadoop.fs.s3a.endpoint"] == "http://127.0.0.1:19000"
    assert on_s3["spark.sql.streaming.checkpointFileManagerClass"].endswith("FileSystemBasedCheckpointFileManager")
