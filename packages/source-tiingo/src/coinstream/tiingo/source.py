"""The ``tiingo`` source: what the ingestor builds from ``[source] name = "tiingo"``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import structlog
from coinstream.core import ComponentContext, FeedGap, SourceStats, register_secret
from coinstream.tiingo.client import TiingoFeed
from coinstream.tiingo.errors import TiingoAuthError, TiingoError
from coinstream.tiingo.pairs import PairResolver
from coinstream.tiingo.protocol import FrameDecoder
from coinstream.tiingo.recording import Recorder
from coinstream.tiingo.replay import ReplayFeed
from coinstream.tiingo.rest import TiingoRest
from coinstream.tiingo.settings import TiingoSettings

log = structlog.get_logger(__name__)

SOURCE_NAME = "tiingo"
_METADATA_ATTEMPTS = 3

__all__ = ["SOURCE_NAME", "FeedGap", "TiingoSource", "build_source"]


class TiingoSource:
    """The Tiingo crypto feed as a coinstream Source.

    ``batches()`` yields lists of :class:`coinstream.core.Trade` and :class:`coinstream.core.DeadLetter`
    (and :class:`coinstream.tiingo.Quote` when ``include_quotes``), one list per wake-up with
    everything received meanwhile; the first batch after a reconnect starts with the
    :class:`coinstream.core.FeedGap` of the interval the feed was not read. It runs until
    :meth:`close` (or the end of a replay) and raises :class:`TiingoAuthError` /
    :class:`TiingoSubscriptionError` when retrying cannot help.
    """

    def __init__(self, settings: TiingoSettings, context: ComponentContext | None = None) -> None:
        register_secret(settings.api_key)
        self.settings = settings
        self.context = context
        self.stats = SourceStats()
        self.pairs = PairResolver()
        self.decoder = FrameDecoder(SOURCE_NAME, self.pairs, self.stats, include_quotes=settings.include_quotes,
                                    max_frame_bytes=settings.max_frame_bytes)
        self.recorder = (Recorder(settings.record, sync_interval_ms=settings.record_sync_interval_ms)
                         if settings.record else None)
        self.feed: TiingoFeed | ReplayFeed
        if settings.replay:
            self.feed = ReplayFeed(settings.replay, settings.replay_speed, self.decoder, self.stats)
        else:
            self.feed = TiingoFeed(settings, self.decoder, self.stats, self.recorder)

    @property
    def gaps(self) -> list[FeedGap]:
        """The latest reconnect gaps (at most ``client.RECENT_GAPS``), each already yielded as a record."""
        return list(self.feed.gaps) if isinstance(self.feed, TiingoFeed) else []

    def rest(self) -> TiingoRest:
        """Return a REST client for this source's settings (the caller closes it)."""
        return TiingoRest(self.settings.rest_url, self.settings.api_key_text(), timeout_s=self.settings.rest_timeout_s)

    async def batches(self) -> AsyncIterator[list[Any]]:
        """Yield record batches; see the class docstring."""
        if self.settings.metadata:
            await self.load_metadata()
        try:
            async for batch in self.feed.batches():
                yield batch
        finally:
            if self.recorder is not None:
                self.recorder.close()

    async def load_metadata(self) -> int:
        """Load base/quote of every ticker from REST; on failure, log and keep the suffix rule."""
        settings = self.settings
        tickers = None if settings.firehose else list(settings.tickers)
        rest = TiingoRest(settings.rest_url, settings.api_key_text(), timeout_s=settings.rest_timeout_s,
                          max_attempts=_METADATA_ATTEMPTS, backoff_initial_s=settings.reconnect_initial_s,
                          backoff_max_s=settings.reconnect_max_s)
        try:
            async with rest:
                rows = await rest.metadata(tickers)
        except TiingoAuthError:
            if settings.replay:
                log.warning("pair_metadata_unavailable", reason="API key rejected by REST", rest_url=settings.rest_url)
                return 0
            raise
        except TiingoError as error:
            log.warning("pair_metadata_unavailable", reason=str(error), rest_url=settings.rest_url,
                        fallback="quote_suffix")
            return 0
        self.pairs.load_metadata({row.ticker: (row.base_currency, row.quote_currency) for row in rows})
        log.info("pair_metadata_loaded", tickers=self.pairs.metadata_size, rest_url=settings.rest_url)
        return self.pairs.metadata_size

    async def close(self) -> None:
        """Stop reading; the batch iterator still yields what was already received, then ends. Safe to call twice."""
        await self.feed.close()


def build_source(settings: TiingoSettings | Mapping[str, Any], context: ComponentContext | None = None) -> TiingoSource:
    """The ``tiingo`` factory: ``factory(settings, context) -> Source``.

    The ingestor passes the validated settings and the context; a dict of settings and no context
    are accepted for building a source by hand (scripts, tests).
    """
    if not isinstance(settings, TiingoSettings):
        settings = TiingoSettings.model_validate(dict(settings))
    return TiingoSource(settings, context)
