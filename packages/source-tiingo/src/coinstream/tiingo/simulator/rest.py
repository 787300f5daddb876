"""The simulator's REST endpoints: /tiingo/crypto, /tiingo/crypto/prices, /tiingo/crypto/top."""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime, timedelta

import orjson
from coinstream.tiingo.simulator.faults import FaultPlan
from coinstream.tiingo.simulator.market import Market, Ticker
from coinstream.tiingo.simulator.wire import Request, http_response
from coinstream.tiingo.timestamps import format_iso_micros

_FREQUENCIES = {"min": 60, "hour": 3_600, "day": 86_400}
MAX_BARS = 10_000


def _json(status: int, value: object, extra: dict[str, str] | None = None) -> bytes:
    return http_response(status, orjson.dumps(value), extra=extra)


class RestApi:
    """Answers REST requests from the market's data, deterministically per seed."""

    def __init__(self, market: Market, api_key: str | None, faults: FaultPlan) -> None:
        self.market = market
        self.api_key = api_key
        self.faults = faults
        self.requests = 0

    def handle(self, request: Request) -> bytes:
        """Return the full HTTP response for a request."""
        self.requests += 1
        if self.requests <= self.faults.rest_fail_first:
            return _json(self.faults.rest_fail_code, {"detail": "Simulated failure."}, {"Retry-After": "0"})
        if self.api_key is not None:
            header = request.headers.get("authorization", "")
            token = header[6:].strip() if header.lower().startswith("token ") else request.query.get("token", "")
            if token != self.api_key:
                return _json(401, {"detail": "Invalid token."})
        if request.method != "GET":
            return _json(400, {"detail": f"Method {request.method} not allowed."})
        tickers = [t for t in request.query.get("tickers", "").lower().split(",") if t]
        if request.path == "/tiingo/crypto":
            return _json(200, [self._meta(t) for t in self._chosen(tickers) if t.has_metadata])
        if request.path == "/tiingo/crypto/prices":
            if not tickers:
                return _json(400, {"detail": "tickers is required."})
            return self._prices(request, tickers)
        if request.path == "/tiingo/crypto/top":
            return _json(200, [self._top(t) for t in self._chosen(tickers)])
        return _json(404, {"detail": "Not found."})

    def _chosen(self, tickers: list[str]) -> list[Ticker]:
        if not tickers:
            return self.market.tickers
        return [self.market.by_name[name] for name in tickers if name in self.market.by_name]

    @staticmethod
    def _meta(ticker: Ticker) -> dict[str, str]:
        return {"ticker": ticker.name, "name": f"{ticker.base.upper()}/{ticker.quote.upper()}",
                "description": "", "baseCurrency": ticker.base, "quoteCurrency": ticker.quote}

    def _prices(self, request: Request, tickers: list[str]) -> bytes:
        query = request.query
        try:
            start = _date(query.get("startDate", ""))
            end = _date(query["endDate"]) if "endDate" in query else start + timedelta(days=1)
            step = _frequency(query.get("resampleFreq", "1min"))
        except ValueError as error:
            return _json(400, {"detail": str(error)})
        exchanges = {e for e in query.get("exchanges", "").lower().split(",") if e}
        rows = []
        for ticker in self._chosen(tickers):
            if exchanges and not exchanges.intersection(ticker.exchanges):
                continue
            seed = int.from_bytes(hashlib.blake2b(f"{self.market.seed}|{ticker.name}|{start}".encode(),
                                                  digest_size=8).digest(), "big")
            rng = random.Random(seed)
            price, bars, moment = ticker.price, [], start
            while moment < end and len(bars) < MAX_BARS:
                open_ = price
                closes = [price := price * (1 + rng.gauss(0, 0.002)) for _ in range(4)]
                volume = ticker.size * rng.uniform(1, 50)
                bars.append({"date": moment.isoformat(), "open": open_, "high": max(open_, *closes),
                             "low": min(open_, *closes), "close": closes[-1], "volume": volume,
                             "volumeNotional": volume * closes[-1], "tradesDone": rng.randint(1, 400)})
                moment += step
            rows.append({"ticker": ticker.name, "baseCurrency": ticker.base, "quoteCurrency": ticker.quote,
                         "priceData": bars})
        return _json(200, rows)

    @staticmethod
    def _top(ticker: Ticker) -> dict[str, object]:
        now = format_iso_micros(int(datetime.now(UTC).timestamp() * 1_000_000))
        bid, ask = ticker.price * 0.9999, ticker.price * 1.0001
        exchange = ticker.exchanges[0]
        return {"ticker": ticker.name, "baseCurrency": ticker.base, "quoteCurrency": ticker.quote,
                "topOfBookData": [{"askSize": ticker.size, "bidSize": ticker.size, "lastSaleTimestamp": now,
                                   "lastPrice": ticker.price, "askPrice": ask, "quoteTimestamp": now,
                                   "bidExchange": exchange, "lastSizeNotional": ticker.size * ticker.price,
                                   "lastExchange": exchange, "askExchange": exchange, "bidPrice": bid,
                                   "lastSize": ticker.size}]}


def _date(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"startDate/endDate {text!r} is not a date like 2026-09-06") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _frequency(text: str) -> timedelta:
    for unit, seconds in _FREQUENCIES.items():
        if text.endswith(unit) and text[: -len(unit)].isdigit():
            return timedelta(seconds=int(text[: -len(unit)]) * seconds)
    raise ValueError(f"resampleFreq {text!r} is not like 1min, 5min, 1hour or 1day")
