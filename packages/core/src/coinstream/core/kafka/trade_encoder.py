"""A hand-written Avro binary encoder for the Trade schema: the ingestor's hot path.

fastavro's generic ``schemaless_writer`` spent about 45 us per trade in the ingest profile (43 %
of the ingestor's CPU); this encoder writes the same bytes for the one schema it knows, several
times faster. The codec uses it only when its schema is the package's own Trade schema, and a
test compares its output with fastavro's byte for byte.
"""

from __future__ import annotations

import struct

from coinstream.core.records.trade import Trade

_pack_double = struct.Struct("<d").pack
_NULL_BRANCH = b"\x00"  # union index 0 ("null"), zigzag-encoded
_STRING_BRANCH = b"\x02"  # union index 1 ("string"), zigzag-encoded


def encode_long(value: int) -> bytes:
    """Avro ``long``: zigzag, then base-128 varint."""
    value = (value << 1) ^ (value >> 63)
    if value < 0x80:
        return bytes((value,))
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


_SHORT_LENGTHS = tuple(bytes((2 * n,)) for n in range(64))  # zigzag(n) < 128: one byte


def encode_string(text: str) -> bytes:
    """Avro ``string``: the UTF-8 length as a long, then the bytes."""
    data = text.encode()
    size = len(data)
    return (_SHORT_LENGTHS[size] if size < 64 else encode_long(size)) + data


def _optional_string(text: str | None) -> bytes:
    return _NULL_BRANCH if text is None else _STRING_BRANCH + encode_string(text)


def encode_trade(trade: Trade) -> bytes:
    """Return the Avro body of a trade, in the field order of schemas/trade.avsc."""
    return b"".join((
        encode_string(trade.trade_id),
        encode_string(trade.ticker),
        _optional_string(trade.base_currency),
        _optional_string(trade.quote_currency),
        encode_string(trade.exchange),
        _pack_double(trade.price),
        _pack_double(trade.size),
        encode_long(trade.trade_time),
        encode_long(trade.ingest_time),
        encode_string(trade.source),
        _optional_string(trade.pair_rule),
    ))
