"""Tiingo's crypto REST API: metadata, price bars and top of book.

aiohttp, not httpx: the ingestor is asyncio end to end and aiohttp's C-accelerated client is the
mature asyncio choice with pooled keep-alive connections; REST traffic is small (metadata once,
bars to fill gaps), so the choice is about robustness, not speed. The token goes in the
``Authorization: Token`` header only; errors name the path, never the key.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Self

import aiohttp
import orjson
import structlog
from coinstream.tiingo.backoff import Backoff
from coinstream.tiingo.errors import TiingoAuthError, TiingoRequestError

log = structlog.get_logger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class CryptoMeta:
    """One ticker of ``/tiingo/crypto``."""

    ticker: str
    base_currency: str
    quote_currency: str
    name: str = ""


class TiingoRest:
    """Async client of the REST endpoints; use as ``async with TiingoRest(...) as rest``."""

    def __init__(self, base_url: str, api_key: str, *, timeout_s: float = 10.0, max_attempts: int = 4,
                 backoff_initial_s: float = 0.5, backoff_max_s: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Token {api_key}", "Accept": "application/json"} if api_key else {
            "Accept": "application/json"}
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._max_attempts = max_attempts
        self._backoff_initial_s = backoff_initial_s
        self._backoff_max_s = backoff_max_s
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the pooled connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def metadata(self, tickers: list[str] | None = None) -> list[CryptoMeta]:
        """Return ``/tiingo/crypto`` for some tickers, or for all when ``tickers`` is None."""
        params = {"tickers": ",".join(tickers)} if tickers else {}
        rows = await self.get_json("/tiingo/crypto", params)
        found = []
        for row in rows if isinstance(rows, list) else []:
            if isinstance(row, dict) and row.get("ticker") and row.get("baseCurrency") and row.get("quoteCurrency"):
                found.append(CryptoMeta(str(row["ticker"]).lower(), str(row["baseCurrency"]).lower(),
                                        str(row["quoteCurrency"]).lower(), str(row.get("name") or "")))
        return found

    async def prices(self, tickers: list[str], start_date: str, end_date: str | None = None,
                     resample_freq: str = "1min", exchanges: list[str] | None = None) -> list[dict[str, Any]]:
        """Return ``/tiingo/crypto/prices``: per ticker its ``priceData`` bars (OHLCV, not trades)."""
        params = {"tickers": ",".join(tickers), "startDate": start_date, "resampleFreq": resample_freq}
        if end_date:
            params["endDate"] = end_date
        if exchanges:
            params["exchanges"] = ",".join(exchanges)
        rows = await self.get_json("/tiingo/crypto/prices", params)
        return rows if isinstance(rows, list) else []

    async def top(self, tickers: list[str]) -> list[dict[str, Any]]:
        """Return ``/tiingo/crypto/top``: the latest top of book per ticker."""
        rows = await self.get_json("/tiingo/crypto/top", {"tickers": ",".join(tickers)})
        return rows if isinstance(rows, list) else []

    async def get_json(self, path: str, params: dict[str, str]) -> Any:
        """GET a path with retries on 429/5xx/connection errors; clear errors on 401/403/404."""
        backoff = Backoff(self._backoff_initial_s, self._backoff_max_s)
        session = self._ensure_session()
        url = self.base_url + path
        for attempt in range(1, self._max_attempts + 1):
            try:
                async with session.get(url, params=params, headers=self._headers) as response:
                    body = await response.read()
                    status = response.status
                    retry_after = response.headers.get("Retry-After", "")
            except (TimeoutError, aiohttp.ClientError) as error:
                status, body, retry_after = None, str(error).encode(), ""
            if status == 200:
                try:
                    return orjson.loads(body)
                except orjson.JSONDecodeError:
                    raise TiingoRequestError(f"Tiingo REST GET {path} answered 200 with a body that is not JSON: "
                                             f"{body[:120]!r}", 200) from None
            if status in (401, 403):
                raise TiingoAuthError(f"Tiingo REST GET {path} answered HTTP {status} ({_detail(body)}): the API "
                                      "key was rejected or is not entitled; check COINSTREAM_TIINGO_API_KEY")
            if status == 404:
                raise TiingoRequestError(f"Tiingo REST GET {path} answered 404 ({_detail(body)}); check "
                                         f"rest_url={self.base_url} and the tickers", 404)
            if status is not None and status not in RETRY_STATUSES:
                raise TiingoRequestError(f"Tiingo REST GET {path} answered HTTP {status} ({_detail(body)})", status)
            if attempt == self._max_attempts:
                break
            delay = backoff.next_delay(floor=_seconds(retry_after))
            log.warning("rest_retry", path=path, status=status, attempt=attempt, delay_s=round(delay, 3),
                        error=None if status else body.decode(errors="replace"))
            await asyncio.sleep(delay)
        raise TiingoRequestError(f"Tiingo REST GET {path} failed {self._max_attempts} times (last: "
                                 f"{status or 'no connection'}); the service is down or rate-limiting: try later",
                                 status)

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session


def _detail(body: bytes) -> str:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body[:120].decode(errors="replace")
    if isinstance(parsed, dict) and "detail" in parsed:
        return str(parsed["detail"])[:200]
    return body[:120].decode(errors="replace")


def _seconds(retry_after: str) -> float:
    try:
        return min(float(retry_after), 600.0)
    except ValueError:
        return 0.0
