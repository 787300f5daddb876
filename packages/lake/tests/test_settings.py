"""The [s3] section: registered by the plugin, validated at start-up, credentials never in it."""

from __future__ import annotations

import pytest

from coinstream.core import ConfigError, PluginHost, parse_pipeline
from coinstream.lake import S3Settings


@pytest.fixture
def registry():
    return PluginHost(allowed=["lake"]).registry


def test_the_plugin_registers_the_s3_section(registry):
    section = registry.section("s3")
    assert section is not None
    assert section.model is S3Settings
    assert section.provider.distribution == "coinstream-lake"


def test_a_local_endpoint_section_validates(registry):
    pipeline = parse_pipeline({"s3": {"endpoint_url": "http://127.0.0.1:19000", "bucket": "coinstream",
                                      "path_style": True}}, registry, environ={})
    settings = pipeline.section("s3")
    assert settings.endpoint_url == "http://127.0.0.1:19000"
    assert settings.path_style is True
    assert settings.region == "us-east-1"


def test_credentials_in_the_file_are_refused(registry):
    with pytest.raises(ConfigError) as raised:
        parse_pipeline({"s3": {"aws_secret_access_key": "wJalrXUtnFEMI"}}, registry, environ={})
    assert "s3.aws_secret_access_key: unknown key" in str(raised.value)
    assert "wJalrXUtnFEMI" not in str(raised.value)


def test_an_invalid_bucket_name_is_reported(registry):
    with pytest.raises(ConfigError, match=r"s3.bucket: string should match pattern"):
        parse_pipeline({"s3": {"bucket": "My_Bucket"}}, registry, environ={})


def test_the_endpoint_can_come_from_the_environment(registry):
    pipeline = parse_pipeline({"s3": {}}, registry, environ={"COINSTREAM_S3_ENDPOINT_URL": "http://minio:9000"})
    assert pipeline.section("s3").endpoint_url == "http://minio:9000"
