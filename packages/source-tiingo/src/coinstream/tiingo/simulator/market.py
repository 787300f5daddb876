"""A synthetic crypto market shaped like the real Tiingo firehose (docs: feed-profile.md).

Thousands of tickers with Zipf-like popularity, the feed's exchanges with their observed trade
shares, prices from DEX dust (1e-13) to btcidr (~1e9) walking randomly, identical back-to-back
trades now and then, and timestamps a little out of order (DEX trades up to ~10 s late).

Speed matters (the simulator must outrun a 50k trades/s ingestor on one core): random draws
use precomputed tables indexed by ``getrandbits``, dates reuse a per-second prefix, and frames
are produced as text that the server encodes once per chunk.
"""

from __future__ import annotations

import math
import random
from bisect import bisect
from dataclasses import dataclass, field
from itertools import accumulate

from coinstream.tiingo.timestamps import format_iso_micros

# Trades per exchange in a 10-minute capture of the whole firehose (feed-profile.md); the
# "others seen" share the remaining 9,297 trades in proportions of our choosing.
EXCHANGE_WEIGHTS: dict[str, int] = {
    "huobi": 36_602, "binance": 22_622, "mexc": 15_801, "kucoin": 6_585, "poloniex": 5_991, "okex": 5_347,
    "bybit": 3_692, "gdax": 3_422, "indodax": 2_183, "bibox": 1_583,
    "kraken": 3_500, "meteora": 2_000, "uniswapv3polygon": 1_500, "balancer": 800, "balancerarbitrum": 500,
    "curvefi3": 600, "curvefiarbitrum": 397,
}
DEX_EXCHANGES = frozenset({"meteora", "uniswapv3polygon", "balancer", "balancerarbitrum", "curvefi3",
                           "curvefiarbitrum"})
CEX_EXCHANGES = tuple(name for name in EXCHANGE_WEIGHTS if name not in DEX_EXCHANGES and name != "indodax")

# USD value of well-known bases, and of quotes (how many USD one unit is worth).
KNOWN_BASES: dict[str, float] = {
    "btc": 60_000.0, "eth": 2_500.0, "sol": 140.0, "bnb": 550.0, "xrp": 0.55, "doge": 0.1, "shib": 1.4e-5,
    "trx": 0.15, "wld": 1.7, "1inch": 0.25, "ada": 0.35, "dot": 4.2, "link": 11.0, "ltc": 65.0, "avax": 25.0,
    "pepe": 8e-6, "usdt": 1.0, "usdc": 1.0, "ton": 5.2, "near": 4.0, "apt": 6.5, "arb": 0.55, "op": 1.4,
    "matic": 0.4, "atom": 4.3, "fil": 3.4, "etc": 18.0, "bch": 320.0, "uni": 6.5, "aave": 140.0, "sui": 1.0,
    "floki": 1.3e-4, "bonk": 2e-5, "wif": 1.6, "inj": 19.0, "sei": 0.3, "tia": 4.5, "ordi": 30.0,
}
QUOTE_USD: dict[str, float] = {
    "usdt": 1.0, "usd": 1.0, "usdc": 1.0, "eur": 1.1, "try": 1 / 34, "btc": 60_000.0, "eth": 2_500.0,
    "idr": 1 / 16_000, "fdusd": 1.0, "brl": 0.18, "jpy": 1 / 145,
}
QUOTE_WEIGHTS: dict[str, int] = {"usdt": 60, "usd": 10, "usdc": 8, "btc": 7, "eth": 4, "eur": 3, "try": 3,
                                 "fdusd": 2, "brl": 1, "jpy": 1}
ZIPF_EXPONENT = 0.6
DUPLICATE_SHARE = 0.004
_TABLE_BITS = 12
_TABLE = 1 << _TABLE_BITS
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
TRADE_PREFIX = '{"messageType":"A","service":"crypto_data","data":["T","'


@dataclass(slots=True)
class Ticker:
    """One ticker of the universe, with its starting price (in its quote currency)."""

    name: str
    base: str
    quote: str
    price: float
    size: float
    exchanges: tuple[str, ...]
    popularity: float
    has_metadata: bool = True


@dataclass
class Market:
    """The ticker universe; :meth:`view` gives a per-subscription trade generator."""

    seed: int = 7
    ticker_count: int = 2_000
    tickers: list[Ticker] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.tickers:
            self.tickers = _universe(random.Random(self.seed), self.ticker_count)
        self.by_name = {ticker.name: ticker for ticker in self.tickers}

    def view(self, names: list[str] | None, seed: int) -> MarketView:
        """Return a generator of trades over some tickers (None or ["*"]: all of them)."""
        if names is None or "*" in names:
            chosen = self.tickers
        else:
            chosen = [self.by_name[name] for name in dict.fromkeys(names) if name in self.by_name]
        return MarketView(chosen, random.Random(seed))


def _universe(rng: random.Random, count: int) -> list[Ticker]:
    quotes = list(QUOTE_WEIGHTS)
    quote_cum = list(accumulate(QUOTE_WEIGHTS.values()))
    names: dict[str, Ticker] = {}

    def add(base: str, quote: str, usd: float, exchanges: tuple[str, ...], metadata: bool = True) -> None:
        name = base + quote
        if name in names or base == quote:
            return
        price = usd / QUOTE_USD.get(quote, 1.0)
        size = max(1e-13, min(1e9, rng.lognormvariate(math.log(200.0 / usd), 1.0)))
        names[name] = Ticker(name, base, quote, price, size, exchanges, 0.0, metadata)

    add("btc", "idr", KNOWN_BASES["btc"], ("indodax",))  # the busiest ticker of the capture
    for base, usd in KNOWN_BASES.items():
        for quote in ("usdt", "usd", "usdc", "eur", "btc", "eth", "try", "idr"):
            if len(names) >= count // 4:
                break
            exchanges = ("indodax",) if quote == "idr" else _cex_set(rng, 2, 7)
            add(base, quote, usd, exchanges)
    while len(names) < count:
        if rng.random() < 0.25:  # a DEX token: odd long names, dust prices, often no metadata
            length = rng.randint(5, 12)
            base = ("tngo" if rng.random() < 0.3 else "") + "".join(rng.choice(_LETTERS) for _ in range(length))
            usd = 10 ** rng.uniform(-13.0, 3.0)
            dexes = tuple(rng.sample(sorted(DEX_EXCHANGES), rng.randint(1, 2)))
            add(base, rng.choice(("eth", "usdc", "usdt", "sol")), usd, dexes, metadata=rng.random() > 0.3)
        else:
            base = "".join(rng.choice(_LETTERS) for _ in range(rng.randint(3, 6)))
            quote = rng.choices(quotes, cum_weights=quote_cum)[0]
            add(base, quote, 10 ** rng.uniform(-9.0, 3.5), _cex_set(rng, 1, 4), metadata=rng.random() > 0.03)
    tickers = list(names.values())
    for rank, ticker in enumerate(tickers):
        ticker.popularity = 1.0 / (rank + 1) ** ZIPF_EXPONENT
    return tickers


def _cex_set(rng: random.Random, low: int, high: int) -> tuple[str, ...]:
    return tuple(rng.sample(CEX_EXCHANGES, rng.randint(low, min(high, len(CEX_EXCHANGES)))))


class MarketView:
    """Generates trade and quote payloads (JSON text) for one subscription, reproducibly per seed."""

    def __init__(self, tickers: list[Ticker], rng: random.Random) -> None:
        self.rng = rng
        self.tickers = tickers
        self.prices = [ticker.price for ticker in tickers]
        self.anchors = list(self.prices)
        self.sizes = [ticker.size for ticker in tickers]
        per_exchange: dict[str, list[int]] = {}
        for index, ticker in enumerate(tickers):
            for exchange in ticker.exchanges:
                per_exchange.setdefault(exchange, []).append(index)
        self.exchanges = [name for name in EXCHANGE_WEIGHTS if name in per_exchange]
        self.exchange_cum = list(accumulate(EXCHANGE_WEIGHTS[name] for name in self.exchanges))
        self.exchange_tickers: list[tuple[list[int], list[float], list[str]]] = []
        for name in self.exchanges:
            indexes = per_exchange[name]
            cum = list(accumulate(tickers[i].popularity for i in indexes))
            head = [f'{TRADE_PREFIX}{tickers[i].name}","' for i in indexes]
            self.exchange_tickers.append((indexes, cum, head))
        self.middles = [f'","{name}",' for name in self.exchanges]
        self.dex = [name in DEX_EXCHANGES for name in self.exchanges]
        self.steps = [math.exp(rng.gauss(0.0, 0.0008)) for _ in range(_TABLE)]
        self.size_factors = [rng.lognormvariate(0.0, 1.5) for _ in range(_TABLE)]
        self.lags = [int(rng.expovariate(1 / 15_000)) for _ in range(_TABLE)]  # CEX: tens of ms
        self.last_trade = ""

    @property
    def empty(self) -> bool:
        """True when no subscribed ticker exists in the market."""
        return not self.exchanges

    def trade_texts(self, count: int, now_us: int) -> list[str]:
        """Return ``count`` trade frames (JSON text) stamped around ``now_us``."""
        rng = self.rng
        random_ = rng.random
        bits = rng.getrandbits
        prices, anchors, sizes, steps, factors, lags = (self.prices, self.anchors, self.sizes, self.steps,
                                                         self.size_factors, self.lags)
        exchange_cum, exchange_total = self.exchange_cum, self.exchange_cum[-1]
        per_exchange, middles, dex = self.exchange_tickers, self.middles, self.dex
        out: list[str] = []
        append = out.append
        last_second = -1
        prefix = ""
        last = self.last_trade
        for offset in range(count):
            if last and random_() < DUPLICATE_SHARE:
                append(last)  # an identical genuine trade, as bybit sends them
                continue
            e = bisect(exchange_cum, random_() * exchange_total)
            indexes, cum, heads = per_exchange[e]
            k = bisect(cum, random_() * cum[-1])
            i = indexes[k]
            price = prices[i] * steps[bits(_TABLE_BITS)]
            anchor = anchors[i]
            if not anchor * 0.2 < price < anchor * 5:  # keep each ticker near its magnitude
                price = anchor
            prices[i] = price
            lag = lags[bits(_TABLE_BITS)]
            if dex[e] and random_() < 0.05:
                lag += 10_000_000  # a DEX trade indexed ~10 s after it happened
            stamp = now_us + offset - lag
            second = stamp // 1_000_000
            if second != last_second:
                last_second = second
                prefix = format_iso_micros(second * 1_000_000)[:20]
            last = (f"{heads[k]}{prefix}{stamp % 1_000_000:06d}+00:00{middles[e]}"
                    f"{sizes[i] * factors[bits(_TABLE_BITS)]:.6g},{price:.8g}]}}")
            append(last)
        self.last_trade = last
        return out

    def quote_texts(self, count: int, now_us: int) -> list[str]:
        """Return ``count`` top-of-book frames (thresholdLevel 2)."""
        rng = self.rng
        out = []
        for _ in range(count):
            e = bisect(self.exchange_cum, rng.random() * self.exchange_cum[-1])
            indexes, cum, _heads = self.exchange_tickers[e]
            i = indexes[bisect(cum, rng.random() * cum[-1])]
            price = self.prices[i]
            spread = price * 0.0002 * rng.random()
            bid, ask = price - spread, price + spread
            size = self.sizes[i]
            out.append(f'{{"messageType":"A","service":"crypto_data","data":["Q","{self.tickers[i].name}",'
                       f'"{format_iso_micros(now_us)}","{self.exchanges[e]}",{size * rng.random():.6g},{bid:.8g},'
                       f'{(bid + ask) / 2:.9g},{size * rng.random():.6g},{ask:.8g}]}}')
        return out
