"""Credentials come from the AWS chain (or a given environment) and reach delta-rs, never a log line."""

from __future__ import annotations

import pytest

from coinstream.core import redact_text
from coinstream.lake.credentials import AwsCredentials, credentials_from_environment, resolve_credentials
from coinstream.lake.settings import S3Settings
from coinstream.lake.storage import storage_options

LOCAL = S3Settings(endpoint_url="http://127.0.0.1:19000", path_style=True)


@pytest.fixture
def env_keys(no_aws_credentials, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLEUNIT")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "unit-secret-value-42")


def test_environment_keys_are_found_and_the_secret_is_redacted_everywhere(env_keys):
    credentials = resolve_credentials()
    assert credentials is not None
    assert (credentials.access_key, credentials.method) == ("AKIDEXAMPLEUNIT", "env")
    assert "unit-secret-value-42" not in repr(credentials)
    assert redact_text("s3 said unit-secret-value-42 is wrong") == "s3 said *** is wrong"


def test_no_credentials_anywhere_gives_none(no_aws_credentials):
    assert resolve_credentials() is None


def test_delta_rs_storage_options_for_a_local_endpoint():
    options = storage_options(LOCAL, AwsCredentials("AKID", "SECRET", None, "env"))
    assert options == {"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:19000",
                       "AWS_ALLOW_HTTP": "true", "AWS_VIRTUAL_HOSTED_STYLE_REQUEST": "false",
                       "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "SECRET"}


def test_a_given_environment_yields_its_keys_and_the_secret_is_redacted():
    credentials = credentials_from_environment({"AWS_ACCESS_KEY_ID": "AKIDENV",
                                                "AWS_SECRET_ACCESS_KEY": "env-secret-77",
                                                "AWS_SESSION_TOKEN": "env-token-88"})
    assert credentials is not None
    assert (credentials.access_key, credentials.session_token, credentials.method) == ("AKIDENV", "env-token-88", "env")
    assert redact_text("env-secret-77 and env-token-88") == "*** and ***"
    assert credentials_from_environment({"AWS_ACCESS_KEY_ID": "AKIDENV"}) is None
