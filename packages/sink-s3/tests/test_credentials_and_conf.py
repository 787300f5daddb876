"""Credentials come from the AWS chain and reach S3A and delta-rs, never a log line."""

from __future__ import annotations

import pytest

from coinstream.core import redact_text
from coinstream.s3.credentials import AwsCredentials, resolve_credentials
from coinstream.s3.reader import storage_options
from coinstream.s3.settings import S3Settings
from coinstream.s3.spark_conf import s3a_conf, session_conf

LOCAL = S3Settings(endpoint_url="http://127.0.0.1:19000", path_style=True)


@pytest.fixture
def env_keys(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLEUNIT")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "unit-secret-value-42")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))


def test_environment_keys_are_found_and_the_secret_is_redacted_everywhere(env_keys):
    credentials = resolve_credentials()
    assert credentials is not None
    assert (credentials.access_key, credentials.method) == ("AKIDEXAMPLEUNIT", "env")
    assert "unit-secret-value-42" not in repr(credentials)
    assert redact_text("s3 said unit-secret-value-42 is wrong") == "s3 said *** is wrong"


def test_no_credentials_anywhere_gives_none(monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert resolve_credentials() is None


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


def test_delta_rs_storage_options_for_a_local_endpoint():
    options = storage_options(LOCAL, AwsCredentials("AKID", "SECRET", None, "env"))
    assert options == {"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:19000",
                       "AWS_ALLOW_HTTP": "true", "AWS_VIRTUAL_HOSTED_STYLE_REQUEST": "false",
                       "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "SECRET"}
