"""Just enough HTTP/1.1 and RFC 6455 for the simulator: request heads, upgrades, frames.

Server frames are never masked, so a chunk of many frames is built as one latin-1 string
(header characters are bytes < 256, payloads are ASCII) and encoded once.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
MAX_HEAD = 16 * 1024
MAX_CLIENT_FRAME = 1024 * 1024


@dataclass
class Request:
    """A parsed HTTP request head."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def wants_websocket(self) -> bool:
        return self.headers.get("upgrade", "").lower() == "websocket"


def parse_request(head: bytes) -> Request:
    """Parse ``METHOD target HTTP/1.1`` and the headers (names lower-cased)."""
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    parts = urlsplit(target)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    return Request(method, parts.path, query, headers)


def http_response(status: int, body: bytes, *, content_type: str = "application/json",
                  extra: dict[str, str] | None = None) -> bytes:
    """Return a complete keep-alive HTTP/1.1 response."""
    reasons = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
               429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}
    headers = {"Content-Type": content_type, "Content-Length": str(len(body)), "Connection": "keep-alive",
               **(extra or {})}
    head = f"HTTP/1.1 {status} {reasons.get(status, 'Status')}\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
    return head.encode("latin-1") + body


def upgrade_response(key: str) -> bytes:
    """Return the 101 response accepting a websocket upgrade."""
    accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
    return ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode()


def frame_header(length: int, opcode: int = OP_TEXT) -> str:
    """Return the header of an unmasked final frame as latin-1 text."""
    first = chr(0x80 | opcode)
    if length < 126:
        return first + chr(length)
    if length < 65_536:
        return first + "\x7e" + chr(length >> 8) + chr(length & 0xFF)
    return first + "\x7f" + "".join(chr((length >> shift) & 0xFF) for shift in range(56, -1, -8))


def text_frames(payloads: list[str]) -> bytes:
    """Return many ASCII text payloads as consecutive websocket frames, in one bytes object."""
    parts = []
    append = parts.append
    for payload in payloads:
        length = len(payload)
        if length < 126:
            append("\x81" + chr(length))
        else:
            append(frame_header(length))
        append(payload)
    return "".join(parts).encode("latin-1")


def frame(payload: bytes, opcode: int = OP_TEXT) -> bytes:
    """Return one unmasked frame around arbitrary bytes (for malformed and binary payloads)."""
    return frame_header(len(payload), opcode).encode("latin-1") + payload


class ClientFrameReader:
    """Parses the masked frames a client sends (subscribe, close, ping); fragments are joined."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self._fragments = bytearray()
        self._fragment_opcode = OP_TEXT

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        """Add received bytes; return the complete (opcode, payload) messages."""
        self.buffer += data
        messages = []
        while True:
            parsed = self._next()
            if parsed is None:
                return messages
            messages.append(parsed)

    def _next(self) -> tuple[int, bytes] | None:
        while True:
            buffer = self.buffer
            if len(buffer) < 2:
                return None
            fin, opcode = buffer[0] & 0x80, buffer[0] & 0x0F
            masked, length = buffer[1] & 0x80, buffer[1] & 0x7F
            offset = 2
            if length == 126:
                if len(buffer) < 4:
                    return None
                length, offset = int.from_bytes(buffer[2:4], "big"), 4
            elif length == 127:
                if len(buffer) < 10:
                    return None
                length, offset = int.from_bytes(buffer[2:10], "big"), 10
            if length > MAX_CLIENT_FRAME:
                raise ValueError(f"client frame of {length} bytes is larger than {MAX_CLIENT_FRAME}")
            mask = b""
            if masked:
                mask = bytes(buffer[offset:offset + 4])
                offset += 4
            if len(buffer) < offset + length:
                return None
            payload = bytes(buffer[offset:offset + length])
            del buffer[:offset + length]
            if mask:
                payload = _unmask(payload, mask)
            if opcode >= OP_CLOSE:
                return opcode, payload
            if opcode != OP_CONTINUATION:
                self._fragment_opcode = opcode
            self._fragments += payload
            if fin:
                message = bytes(self._fragments)
                self._fragments.clear()
                return self._fragment_opcode, message


def _unmask(payload: bytes, mask: bytes) -> bytes:
    repeated = (mask * (len(payload) // 4 + 1))[: len(payload)]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(repeated, "little")).to_bytes(len(payload), "little")
