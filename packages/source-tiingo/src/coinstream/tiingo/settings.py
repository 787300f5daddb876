"""The ``[source.settings]`` of the ``tiingo`` source, validated strictly at start-up."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator

from coinstream.core import StrictModel, env_override

SIMULATOR_PORT = 18765
SIMULATOR_URL = f"ws://127.0.0.1:{SIMULATOR_PORT}/crypto"
SIMULATOR_REST_URL = f"http://127.0.0.1:{SIMULATOR_PORT}"
LIVE_URL = "wss://api.tiingo.com/crypto"
LIVE_REST_URL = "https://api.tiingo.com"
FIREHOSE = "*"
_TICKER = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_CLEAR_TEXT_SCHEMES = {"ws", "http"}
# The websocket client's cap on one message: a larger one ends the connection (close 1009, then a
# reconnect), since it is refused before it is read. Below it, max_frame_bytes turns frames into dead letters.
TRANSPORT_MAX_FRAME_BYTES = 4 * 1024 * 1024


class TiingoSettings(StrictModel):
    """Settings of the Tiingo source. Defaults point at the local simulator (``coinstream simulate``)."""

    api_key: SecretStr | None = Field(
        None, json_schema_extra=env_override("COINSTREAM_TIINGO_API_KEY"),
        description="Tiingo API token. Set it through COINSTREAM_TIINGO_API_KEY, never in the TOML. "
                    "Optional only for a loopback URL (the simulator).")
    url: str = Field(SIMULATOR_URL, pattern=r"^wss?://", json_schema_extra=env_override("COINSTREAM_TIINGO_URL"),
                     description=f"Websocket URL; {LIVE_URL} for the real feed.")
    rest_url: str = Field(SIMULATOR_REST_URL, pattern=r"^https?://",
                          json_schema_extra=env_override("COINSTREAM_TIINGO_REST_URL"),
                          description=f"REST base URL; {LIVE_REST_URL} for the real service.")
    threshold_level: Literal[5, 2] = Field(5, description="5: trades only; 2: trades and top-of-book quotes.")
    tickers: list[str] = Field(default_factory=lambda: [FIREHOSE],
                               description='Tickers to subscribe to, lower case; ["*"] is the whole firehose.')
    include_quotes: bool = Field(False, description="Yield Quote records too (needs threshold_level = 2).")
    heartbeat_timeout_s: float = Field(60.0, gt=0, le=3600,
                                       description="Reconnect when no frame of any kind arrived for this long.")
    connect_timeout_s: float = Field(10.0, gt=0, le=300, description="Timeout of one connection attempt.")
    reconnect_initial_s: float = Field(0.5, gt=0, le=600, description="First reconnect delay (doubles each try).")
    reconnect_max_s: float = Field(30.0, gt=0, le=3600, description="Cap of the reconnect delay.")
    rate_limited_s: float = Field(60.0, ge=0, le=3600,
                                  description="Minimum wait after the server answers 429 (rate limited).")
    metadata: bool = Field(True, description="Split tickers into base/quote with the REST metadata endpoint.")
    rest_timeout_s: float = Field(10.0, gt=0, le=300, description="Timeout of one REST request.")
    max_pending_frames: int = Field(200_000, ge=1_000, le=10_000_000,
                                    description="Stop reading the socket while this many frames wait to be decoded.")
    max_pending_bytes: int = Field(
        256 * 1024 * 1024, ge=1024 * 1024, le=16 * 1024 * 1024 * 1024,
        description="Stop reading the socket while frames of this many bytes in all wait to be decoded.")
    max_frame_bytes: int = Field(
        1_048_576, ge=1_024, le=TRANSPORT_MAX_FRAME_BYTES,
        description="A frame larger than this becomes a dead letter (its raw cut to the first 64 KiB). Frames over "
                    f"{TRANSPORT_MAX_FRAME_BYTES:,} bytes are refused by the websocket client: a reconnect.")
    record: str | None = Field(None, description="Append every received frame to this JSONL recording.")
    record_sync_interval_ms: int = Field(
        1_000, ge=0, le=3_600_000,
        description="fsync the recording at most this often (at a batch's flush); 0 = at every flush.")
    replay: str | None = Field(None, description="Replay this JSONL recording instead of connecting.")
    replay_speed: float = Field(0.0, ge=0, le=1_000_000,
                                description="Replay pace: 1 = original speed, 10 = ten times faster, 0 = no waiting.")
    allow_insecure_url: bool = Field(
        False, json_schema_extra=env_override("COINSTREAM_TIINGO_ALLOW_INSECURE_URL"),
        description="Accept a ws:// or http:// url/rest_url on another machine, where the API key would travel in "
                    "clear text (a TLS-terminating proxy you trust). Loopback URLs never need it.")

    @field_validator("tickers")
    @classmethod
    def _check_tickers(cls, tickers: list[str]) -> list[str]:
        if not tickers:
            raise ValueError('tickers is empty; list tickers such as ["btcusd"], or ["*"] for the firehose')
        if FIREHOSE in tickers and len(tickers) > 1:
            raise ValueError(f'tickers={tickers} mixes "*" with named tickers; use ["*"] alone or only names')
        for ticker in tickers:
            if ticker != FIREHOSE and not _TICKER.match(ticker):
                raise ValueError(f"tickers: {ticker!r} is not a Tiingo ticker; use lower case like 'btcusdt'")
        return tickers

    @model_validator(mode="after")
    def _check_combination(self) -> TiingoSettings:
        if self.include_quotes and self.threshold_level != 2:
            raise ValueError("include_quotes = true needs threshold_level = 2 (level 5 carries trades only)")
        if self.reconnect_initial_s > self.reconnect_max_s:
            raise ValueError(f"reconnect_initial_s={self.reconnect_initial_s} is larger than "
                             f"reconnect_max_s={self.reconnect_max_s}; lower it or raise the cap")
        for name, url in (("url", self.url), ("rest_url", self.rest_url)):
            if not self.allow_insecure_url and is_clear_text_remote(url):
                raise ValueError(
                    f"{name}={url} is not encrypted and its host {urlsplit(url).hostname} is not this machine: the "
                    f"API key would travel in clear text; use {_secure(url)}, or set allow_insecure_url = true in "
                    "[source] (COINSTREAM_TIINGO_ALLOW_INSECURE_URL=true) if a proxy you trust adds TLS")
        if self.api_key is None and self.replay is None and not is_loopback(self.url):
            raise ValueError(f"api_key is not set but url={self.url} is not the local simulator; "
                             "export COINSTREAM_TIINGO_API_KEY=<your Tiingo token>")
        return self

    @property
    def firehose(self) -> bool:
        """True when subscribing to every ticker."""
        return self.tickers == [FIREHOSE]

    def api_key_text(self) -> str:
        """Return the key as text ("" without one): only for the subscribe frame and REST header."""
        return self.api_key.get_secret_value() if self.api_key is not None else ""


def is_loopback(url: str) -> bool:
    """Return True when a URL points at this machine (the simulator): localhost, 127.0.0.0/8 or ::1."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def is_clear_text_remote(url: str) -> bool:
    """Return True when a URL is ws:// or http:// to another machine (what it carries can be read on the way)."""
    return urlsplit(url).scheme.lower() in _CLEAR_TEXT_SCHEMES and not is_loopback(url)


def _secure(url: str) -> str:
    """The URL with its encrypted scheme: ws://h/crypto -> wss://h/crypto, http://h -> https://h."""
    scheme, rest = url.split("://", 1)
    return f"{scheme.lower()}s://{rest}"
