"""Record contracts that travel through Kafka: the Trade and the dead letter."""

from coinstream.core.records.dead_letter import DeadLetter
from coinstream.core.records.trade import TRADE_SCHEMA_PATH, Trade, load_trade_schema, trade_schema_str
from coinstream.core.records.trade_id import derive_trade_id

__all__ = [
    "DeadLetter",
    "TRADE_SCHEMA_PATH",
    "Trade",
    "derive_trade_id",
    "load_trade_schema",
    "trade_schema_str",
]
