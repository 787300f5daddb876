"""Split a Tiingo ticker (``btcusdt``) into base and quote currency, and say which rule decided.

Order: the REST metadata (``/tiingo/crypto`` baseCurrency/quoteCurrency), then a table of known
quote currencies matched as a suffix, longest first. A ticker neither rule splits keeps
base/quote ``None``: it is still a trade, never dropped. Results are cached per ticker because
the lookup runs once per trade.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

RULE_METADATA = "metadata"
RULE_QUOTE_SUFFIX = "quote_suffix"

# Quote currencies seen on Tiingo's crypto feed. Deliberately absent: codes that are also the
# tail of a common base (``tusd`` would split ``usdtusd`` into usd/tusd instead of usdt/usd).
KNOWN_QUOTES: tuple[str, ...] = (
    "fdusd", "usdt", "usdc", "busd", "usdd", "pyusd",
    "usd", "eur", "gbp", "jpy", "krw", "idr", "try", "brl", "aud", "cad", "chf", "rub", "uah", "ngn",
    "inr", "zar", "mxn", "ars", "pln", "thb", "vnd", "php", "myr", "sgd", "hkd", "twd",
    "btc", "eth", "bnb", "sol", "trx", "xrp", "dai", "eurt", "eurc", "weth", "wbtc",
)
_MIN_BASE_LENGTH = 2

PairSplit = tuple[str | None, str | None, str | None]
_UNSPLIT: PairSplit = (None, None, None)


class PairResolver:
    """Base/quote lookup with metadata first, then the quote-suffix table; cached per ticker."""

    def __init__(self, quotes: Iterable[str] = KNOWN_QUOTES) -> None:
        self._quotes = sorted({quote.lower() for quote in quotes}, key=len, reverse=True)
        self._metadata: dict[str, tuple[str, str]] = {}
        self._cache: dict[str, PairSplit] = {}

    @property
    def metadata_size(self) -> int:
        """How many tickers the loaded metadata covers."""
        return len(self._metadata)

    def load_metadata(self, pairs: Mapping[str, tuple[str, str]]) -> None:
        """Add {ticker: (base, quote)} from the REST metadata; it wins over the suffix rule."""
        for ticker, (base, quote) in pairs.items():
            if base and quote:
                self._metadata[ticker.lower()] = (base.lower(), quote.lower())
        self._cache.clear()

    def split(self, ticker: str) -> PairSplit:
        """Return (base, quote, rule) for a ticker; (None, None, None) when no rule applies."""
        found = self._cache.get(ticker)
        if found is None:
            found = self._resolve(ticker)
            self._cache[ticker] = found
        return found

    def _resolve(self, ticker: str) -> PairSplit:
        lowered = ticker.lower()
        meta = self._metadata.get(lowered)
        if meta is not None:
            return meta[0], meta[1], RULE_METADATA
        for quote in self._quotes:
            if lowered.endswith(quote) and len(lowered) - len(quote) >= _MIN_BASE_LENGTH:
                return lowered[: -len(quote)], quote, RULE_QUOTE_SUFFIX
        return _UNSPLIT
