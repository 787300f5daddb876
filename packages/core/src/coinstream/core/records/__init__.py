"""Record contracts that travel through Kafka: the Trade, the dead letter and the feed gap."""

from coinstream.core.records.dead_letter import DeadLetter
from coinstream.core.records.feed_gap import (
    FEED_GAP_SCHEMA_PATH,
    FeedGap,
    derive_gap_id,
    feed_gap_schema_str,
    load_feed_gap_schema,
)
from coinstream.core.records.trade import TRADE_SCHEMA_PATH, Trade, load_trade_schema, trade_schema_str
from coinstream.core.records.trade_id import derive_trade_id

__all__ = [
    "DeadLetter",
    "FEED_GAP_SCHEMA_PATH",
    "FeedGap",
    "TRADE_SCHEMA_PATH",
    "Trade",
    "derive_gap_id",
    "derive_trade_id",
    "feed_gap_schema_str",
    "load_feed_gap_schema",
    "load_trade_schema",
    "trade_schema_str",
]
