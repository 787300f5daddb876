"""Errors the Tiingo source raises when retrying cannot help. Messages never contain the key."""

from __future__ import annotations

from coinstream.core import SourceFatalError


class TiingoError(Exception):
    """Base class of the Tiingo source's errors."""


class TiingoAuthError(TiingoError, SourceFatalError):
    """Tiingo (or the simulator) rejected the API key: 401 or 403. Retrying cannot fix it."""


class TiingoSubscriptionError(TiingoError, SourceFatalError):
    """The server refused the subscription itself (E 400: bad thresholdLevel or tickers). Retrying cannot fix it."""


class TiingoRequestError(TiingoError):
    """A REST request failed for good: 404, a bad request, or retries exhausted."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
