"""How delta-rs reaches a table: the URI it opens and the storage options, the same for every caller."""

from __future__ import annotations

import pytest

from coinstream.lake import AwsCredentials, delta_rs_options, delta_rs_uri, is_s3_uri


@pytest.mark.parametrize(("uri", "opened"), [
    ("s3a://coinstream/lake/trades", "s3://coinstream/lake/trades"),
    ("s3n://coinstream/lake/trades/", "s3://coinstream/lake/trades/"),
    ("s3://coinstream/trades", "s3://coinstream/trades"),
    ("/var/lake/trades", "/var/lake/trades"),
    ("lake/s3a://odd", "lake/s3a://odd"),
])
def test_spark_s3_uris_are_opened_as_s3_and_folders_are_left_alone(uri, opened):
    assert delta_rs_uri(uri) == opened
    assert is_s3_uri(uri) == opened.startswith("s3://")


def test_the_addressing_is_always_spelled_out():
    assert delta_rs_options(path_style=True) == {"AWS_VIRTUAL_HOSTED_STYLE_REQUEST": "false"}
    assert delta_rs_options(path_style=False) == {"AWS_VIRTUAL_HOSTED_STYLE_REQUEST": "true"}


def test_an_https_endpoint_and_a_session_token_with_no_region_given():
    options = delta_rs_options(endpoint_url="https://s3.example.net",
                               credentials=AwsCredentials("ASIA", "SECRET", "TOKEN", "env"))
    assert options == {"AWS_ENDPOINT_URL": "https://s3.example.net", "AWS_ALLOW_HTTP": "false",
                       "AWS_VIRTUAL_HOSTED_STYLE_REQUEST": "false", "AWS_ACCESS_KEY_ID": "ASIA",
                       "AWS_SECRET_ACCESS_KEY": "SECRET", "AWS_SESSION_TOKEN": "TOKEN"}
