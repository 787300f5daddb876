"""coinstream-source-tiingo: the Tiingo crypto source and a Tiingo-protocol simulator.

The ingestor builds the source through the ``tiingo`` component registered in
:mod:`coinstream.tiingo.plugin`; tests, tools and other packages (the Airflow provider's Tiingo hook)
use the names below, and only those.
"""

from typing import TYPE_CHECKING

from coinstream.core import lazy_exports
from coinstream.tiingo.__about__ import __version__
from coinstream.tiingo.errors import TiingoAuthError, TiingoError, TiingoRequestError, TiingoSubscriptionError
from coinstream.tiingo.protocol import Quote
from coinstream.tiingo.settings import LIVE_REST_URL, TiingoSettings
from coinstream.tiingo.source import FeedGap, TiingoSource, build_source

if TYPE_CHECKING:
    from coinstream.tiingo.rest import CryptoMeta, TiingoRest

# The REST client imports aiohttp: loaded when first used, not by the plugin entry point.
__getattr__ = lazy_exports(__name__, {"CryptoMeta": "coinstream.tiingo.rest", "TiingoRest": "coinstream.tiingo.rest"})

__all__ = [
    "LIVE_REST_URL",
    "CryptoMeta",
    "FeedGap",
    "Quote",
    "TiingoAuthError",
    "TiingoError",
    "TiingoRequestError",
    "TiingoRest",
    "TiingoSettings",
    "TiingoSource",
    "TiingoSubscriptionError",
    "__version__",
    "build_source",
]
