"""Errors the Tiingo source raises when retrying cannot help. Messages never contain the key."""

from __future__ import annotations


class TiingoError(Exception):
    """Base class of the Tiingo source's errors."""


class TiingoAuthError(TiingoError):
    """Tiingo (or the simulator) rejected the API key: 401 or 403. Retrying cannot fix it."""


class TiingoSubscriptionError(TiingoError):
    """The server refused the subscription itself (E 400: bad thresholdLevel or tickers)."""


class TiingoRequestError(TiingoError):
    """A REST request failed for good: 404, a bad request, or retries exhausted."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
