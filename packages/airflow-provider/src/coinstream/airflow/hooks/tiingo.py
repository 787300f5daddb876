"""The ``tiingo`` connection: REST metadata and price bars, and the key the ingestor needs.

The API key lives in the connection's password field (labelled "API key"): Airflow masks it in
the UI and in task logs, and the hook also registers it with core's redaction so a coinstream
command started by a task scrubs it from its own output.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar
from urllib.parse import urlsplit

import structlog
from coinstream.airflow.hooks.form_fields import extra_field
from coinstream.airflow.provider_info import TIINGO_CONN_TYPE
from coinstream.core import register_secret
from coinstream.tiingo import LIVE_REST_URL, CryptoMeta, TiingoRest

from airflow.sdk import BaseHook
from airflow.sdk.log import mask_secret

log = structlog.get_logger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class TiingoCredentials:
    """Where Tiingo is and the key to use (``api_key`` is "" for a loopback simulator without one)."""

    rest_url: str
    websocket_url: str
    api_key: str = field(repr=False)
    timeout_s: float = 10.0

    def environment(self) -> dict[str, str]:
        """The variables the ``tiingo`` source reads (core's env overrides), for a coinstream command."""
        env = {"COINSTREAM_TIINGO_REST_URL": self.rest_url, "COINSTREAM_TIINGO_URL": self.websocket_url}
        if self.api_key:
            env["COINSTREAM_TIINGO_API_KEY"] = self.api_key
        return env


def _rest_url(host: str | None, port: int | None) -> str:
    if not host:
        return LIVE_REST_URL
    url = host if "://" in host else f"https://{host}"
    parts = urlsplit(url)
    if port and parts.port is None:
        url = f"{parts.scheme}://{parts.hostname}:{port}{parts.path}"
    return url.rstrip("/")


def websocket_url_for(rest_url: str) -> str:
    """The feed URL beside a REST URL: https://api.tiingo.com -> wss://api.tiingo.com/crypto."""
    return "ws" + rest_url.removeprefix("http") + "/crypto"


class TiingoHook(BaseHook):
    """Talks to Tiingo's crypto REST API with the key of a ``tiingo`` connection."""

    conn_name_attr = "tiingo_conn_id"
    default_conn_name = "tiingo_default"
    conn_type = TIINGO_CONN_TYPE
    hook_name = "Tiingo"

    def __init__(self, tiingo_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.tiingo_conn_id = tiingo_conn_id

    @cached_property
    def credentials(self) -> TiingoCredentials:
        """The connection's URLs and key; the key is masked and registered for redaction first."""
        conn = self.get_connection(self.tiingo_conn_id)
        extra = conn.extra_dejson
        api_key = conn.password or ""
        if api_key:
            mask_secret(api_key, "tiingo_api_key")
            register_secret(api_key)
        rest_url = _rest_url(conn.host, conn.port)
        websocket_url = extra_field(extra, TIINGO_CONN_TYPE, "websocket_url") or websocket_url_for(rest_url)
        timeout = extra_field(extra, TIINGO_CONN_TYPE, "timeout_s")
        return TiingoCredentials(rest_url=rest_url, websocket_url=str(websocket_url), api_key=api_key,
                                 timeout_s=float(timeout) if timeout not in (None, "") else 10.0)

    def _call(self, request: Callable[[TiingoRest], Awaitable[T]]) -> T:
        credentials = self.credentials

        async def run() -> T:
            async with TiingoRest(credentials.rest_url, credentials.api_key, timeout_s=credentials.timeout_s) as rest:
                return await request(rest)

        return asyncio.run(run())

    def metadata(self, tickers: list[str] | None = None) -> list[CryptoMeta]:
        """Return ``/tiingo/crypto``: base and quote currency per ticker (all tickers when None)."""
        return self._call(lambda rest: rest.metadata(tickers))

    def prices(self, tickers: list[str], start_date: str, end_date: str | None = None, resample_freq: str = "1min",
               exchanges: list[str] | None = None) -> list[dict[str, Any]]:
        """Return ``/tiingo/crypto/prices``: per ticker its OHLCV ``priceData`` bars."""
        return self._call(lambda rest: rest.prices(tickers, start_date, end_date, resample_freq, exchanges))

    def test_connection(self) -> tuple[bool, str]:
        """Ask for one ticker's metadata; say what failed without ever showing the key."""
        try:
            found = self.metadata(["btcusd"])
        except Exception as error:  # the UI shows the message; TiingoRest never puts the key in it
            return False, f"{type(error).__name__}: {error}"
        return True, f"Tiingo REST at {self.credentials.rest_url} answered ({len(found)} ticker(s) for btcusd)"
