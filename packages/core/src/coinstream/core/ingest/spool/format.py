"""How one outbound message is laid out in a spool segment file.

    record  = length:u32  crc32(body):u32  body
    body    = kind:u8  timestamp_ms:i64  key_length:u32  value_length:u32  key  value  headers
    headers = (name_length:u32  value_length:u32  name  value)*   up to the end of the body

Little-endian. The length and the CRC make a torn record (a write cut short by a crash) or a
damaged one detectable: reading stops there. The value is stored as produced (for a trade the
Confluent-framed Avro with its schema id), so a re-send is byte for byte the first send.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from zlib import crc32

from coinstream.core.kafka.producer import DEAD_LETTER, Headers, OutboundMessage

_PREFIX = struct.Struct("<II")
_META = struct.Struct("<BqII")
_HEADER = struct.Struct("<II")
PREFIX_BYTES = _PREFIX.size
_MAX_BODY_BYTES = 0xFFFF_FFFF


class SpoolFormatError(ValueError):
    """A message cannot be stored (over 4 GiB)."""


def frame(message: OutboundMessage, parts: list[bytes]) -> int:
    """Append the parts of the message's record to ``parts`` (to be joined and written at once);
    return the record's size in bytes."""
    kind, key, value, timestamp_ms, headers = message
    head = _META.pack(kind, timestamp_ms, len(key), len(value)) + key
    if headers:
        tail = b"".join(_HEADER.pack(len(name), len(data)) + name + data
                        for name, data in ((name.encode(), data) for name, data in headers))
        size = len(head) + len(value) + len(tail)
        if size > _MAX_BODY_BYTES:
            raise SpoolFormatError(f"a record of {size:,} bytes cannot be spooled (at most 4 GiB)")
        parts += (_PREFIX.pack(size, crc32(tail, crc32(value, crc32(head)))), head, value, tail)
    else:
        size = len(head) + len(value)
        if size > _MAX_BODY_BYTES:
            raise SpoolFormatError(f"a record of {size:,} bytes cannot be spooled (at most 4 GiB)")
        parts += (_PREFIX.pack(size, crc32(value, crc32(head))), head, value)
    return PREFIX_BYTES + size


def frame_size(message: OutboundMessage) -> int:
    """Return the size in bytes of the message's record (what :func:`frame` writes)."""
    _kind, key, value, _timestamp, headers = message
    tail = sum(_HEADER.size + len(name.encode()) + len(data) for name, data in headers) if headers else 0
    return PREFIX_BYTES + _META.size + len(key) + len(value) + tail


def _decode_body(body: memoryview) -> OutboundMessage:
    kind, timestamp_ms, key_length, value_length = _META.unpack_from(body)
    start = _META.size
    key = bytes(body[start:start + key_length])
    start += key_length
    value = bytes(body[start:start + value_length])
    start += value_length
    headers: Headers | None = None
    if kind == DEAD_LETTER or start < len(body):
        headers = []
        while start < len(body):
            name_length, data_length = _HEADER.unpack_from(body, start)
            start += _HEADER.size
            name = bytes(body[start:start + name_length]).decode()
            start += name_length
            headers.append((name, bytes(body[start:start + data_length])))
            start += data_length
    return kind, key, value, timestamp_ms, headers


@dataclass(slots=True)
class ReadResult:
    """Whole records read from the start of a buffer, and where and why reading stopped early."""

    messages: list[OutboundMessage] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)  # of each decoded message, from the buffer's start
    records: int = 0
    consumed: int = 0  # bytes the records read take
    cut: bool = False  # the buffer ends inside a record (torn, or a chunk that ends too early)
    problem: str | None = None  # what is wrong at ``consumed``, when reading stopped before the end


def read_records(data: bytes, limit: int | None = None, decode: bool = True) -> ReadResult:
    """Read whole records from the start of ``data`` (at most ``limit``); decode them unless told not to."""
    view = memoryview(data)
    size = len(data)
    result = ReadResult()
    offset = count = 0
    while offset < size and (limit is None or count < limit):
        if size - offset < PREFIX_BYTES:
            result.cut, result.problem = True, f"{size - offset} bytes, shorter than a record's 8-byte prefix"
            break
        length, checksum = _PREFIX.unpack_from(view, offset)
        end = offset + PREFIX_BYTES + length
        if end > size:
            left = size - offset - PREFIX_BYTES
            result.cut, result.problem = True, f"a record of {length:,} bytes with {left:,} there"
            break
        body = view[offset + PREFIX_BYTES:end]
        if length < _META.size or crc32(body) != checksum:
            result.problem = f"a record of {length:,} bytes whose CRC does not match"
            break
        if decode:
            result.messages.append(_decode_body(body))
            result.offsets.append(offset)
        count += 1
        offset = end
    result.records, result.consumed = count, offset
    return result
