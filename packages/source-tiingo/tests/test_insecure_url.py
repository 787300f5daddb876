"""A ws:// or http:// URL to another machine is refused (the key would travel in clear text), loopback is not."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from coinstream.core import ConfigError, PluginHost, Provider, parse_pipeline
from coinstream.tiingo import TiingoSettings, plugin
from coinstream.tiingo.settings import is_loopback

KEY = SecretStr("tiingo-key-0123456789")


@pytest.mark.parametrize(("setting", "url", "host", "fix"), [
    ("url", "ws://feed.example/crypto", "feed.example", "use wss://feed.example/crypto"),
    ("url", "ws://10.0.0.5:8080/crypto", "10.0.0.5", "use wss://10.0.0.5:8080/crypto"),
    ("url", "ws://[2001:db8::1]/crypto", "2001:db8::1", "use wss://[2001:db8::1]/crypto"),
    ("rest_url", "http://api.tiingo.com", "api.tiingo.com", "use https://api.tiingo.com"),
    ("rest_url", "http://0.0.0.0:18765", "0.0.0.0", "use https://0.0.0.0:18765"),
])
def test_a_clear_text_url_to_another_machine_is_refused_with_the_host_and_the_fix(setting, url, host, fix):
    with pytest.raises(ValidationError) as raised:
        TiingoSettings(api_key=KEY, **{setting: url})
    message = str(raised.value)
    assert f"{setting}={url} is not encrypted and its host {host} is not this machine" in message
    assert "the API key would travel in clear text" in message
    assert fix in message
    assert "set allow_insecure_url = true in [source] (COINSTREAM_TIINGO_ALLOW_INSECURE_URL=true)" in message


@pytest.mark.parametrize("url", [
    "ws://127.0.0.1:18765/crypto", "ws://127.0.0.2:9000/crypto", "ws://127.255.255.254/crypto",
    "ws://localhost:18765/crypto", "ws://[::1]:18765/crypto", "ws://[::ffff:127.0.0.1]:18765/crypto",
    "wss://api.tiingo.com/crypto", "wss://10.0.0.5/crypto",
])
def test_loopback_and_encrypted_urls_are_accepted(url):
    rest_url = url.replace("ws", "http", 1).removesuffix("/crypto")
    settings = TiingoSettings(api_key=KEY, url=url, rest_url=rest_url)
    assert (settings.url, settings.rest_url) == (url, rest_url)


def test_loopback_means_this_machine_only():
    assert is_loopback("ws://127.0.0.1:1/crypto") and is_loopback("http://[::1]:1")
    assert not is_loopback("ws://128.0.0.1/crypto")
    assert not is_loopback("ws://localhost.example/crypto")
    assert not is_loopback("ws://127.0.0.1.example/crypto")


def test_allow_insecure_url_lets_a_clear_text_url_through():
    settings = TiingoSettings(api_key=KEY, url="ws://feed.example/crypto", rest_url="http://feed.example",
                              allow_insecure_url=True)
    assert settings.url == "ws://feed.example/crypto"


def test_the_pipeline_error_names_the_setting_and_the_variable_allows_it():
    registry = PluginHost(autoload=False, plugins=[(plugin, Provider("coinstream-source-tiingo", "0.1.0"))]).registry
    source = {"name": "tiingo", "url": "ws://feed.example/crypto", "rest_url": "https://feed.example"}
    environ = {"COINSTREAM_TIINGO_API_KEY": KEY.get_secret_value()}
    with pytest.raises(ConfigError) as raised:
        parse_pipeline({"source": source}, registry, environ=environ)
    assert "source: url=ws://feed.example/crypto is not encrypted" in str(raised.value)

    allowed = parse_pipeline({"source": source}, registry,
                             environ={**environ, "COINSTREAM_TIINGO_ALLOW_INSECURE_URL": "true"})
    assert allowed.source is not None and allowed.source.settings.url == "ws://feed.example/crypto"
