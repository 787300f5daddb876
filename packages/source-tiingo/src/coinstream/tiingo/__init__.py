"""coinstream-source-tiingo: the Tiingo crypto source and a Tiingo-protocol simulator.

The ingestor builds the source through the ``tiingo`` component registered in
:mod:`coinstream.tiingo.plugin`; tests and tools can use the names below directly.
"""

from coinstream.tiingo.__about__ import __version__
from coinstream.tiingo.errors import TiingoAuthError, TiingoError, TiingoRequestError, TiingoSubscriptionError
from coinstream.tiingo.protocol import Quote
from coinstream.tiingo.settings import TiingoSettings
from coinstream.tiingo.source import FeedGap, TiingoSource, build_source

__all__ = [
    "FeedGap",
    "Quote",
    "TiingoAuthError",
    "TiingoError",
    "TiingoRequestError",
    "TiingoSettings",
    "TiingoSource",
    "TiingoSubscriptionError",
    "__version__",
    "build_source",
]
