"""The simulator's sent log: one JSON line per frame written to a connection, so a test can tell
exactly which trades the feed sent and where each one must end.

A client derives a trade's id from its session and the frame's position on the connection (every
frame counts, control frames included), so each line says the connection, the position and the
kind; the ``I`` frame carries the subscription id the client logs with its session id, which
maps each connection to the client's session::

    {"connection":1,"position":0,"kind":"I","subscription_id":49792869}
    {"connection":1,"position":1,"kind":"T","frame":"{\\"messageType\\":\\"A\\",...}"}
    {"connection":1,"position":2,"kind":"malformed","fault":"bad_date"}
    {"connection":1,"position":3,"kind":"injected","index":0}
    {"connection":1,"event":"drop","frames":4}

Kinds: ``I``, ``H``, ``E`` (control), ``T`` (a valid trade), ``Q`` (a quote), ``extra_items`` (a
valid trade with trailing items), ``invalid`` (a trade ``validate`` quarantines), ``late`` (a valid
trade dated minutes before it was sent), ``malformed``,
``oversized`` (its ``bytes``), ``injected`` (the ``index`` of the frame in the injected list).
Trade kinds carry the frame's text. A line is written once the frame is written to the socket's
buffer, as the stats count it: a frame in flight when the connection drops is logged and never
received, which is why the client's count of frames per session matters too.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

import orjson

TRADE_KINDS = frozenset({"T", "extra_items", "invalid", "late"})
"""Kinds of frames a source turns into a Trade."""
DEAD_LETTER_KINDS = frozenset({"malformed", "oversized", "injected"})
"""Kinds of frames a source turns into a dead letter (injected frames: when they are malformed)."""


class SentLog:
    """Appends one JSON line per frame the simulator wrote; flushed after every write of frames."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[bytes] | None = self.path.open("ab")

    def frames(self, connection: int, first_position: int, kinds: list[str], texts: list[str],
               details: dict[int, dict[str, Any]] | None = None) -> None:
        """Log frames written at consecutive positions from ``first_position``; ``details`` adds
        fields to the frame at an index of ``kinds``."""
        if self._file is None:
            return
        lines = []
        for index, kind in enumerate(kinds):
            line: dict[str, Any] = {"connection": connection, "position": first_position + index, "kind": kind}
            if kind in TRADE_KINDS:
                line["frame"] = texts[index]
            if details and index in details:
                line.update(details[index])
            lines.append(orjson.dumps(line))
        self._file.write(b"\n".join(lines) + b"\n")
        self._file.flush()

    def event(self, connection: int, event: str, **fields: Any) -> None:
        """Log something that happened to a connection (``drop``, ``close``) with its frame count."""
        if self._file is None:
            return
        self._file.write(orjson.dumps({"connection": connection, "event": event, **fields}) + b"\n")
        self._file.flush()

    def close(self) -> None:
        """Flush and close; later writes are ignored."""
        if self._file is not None:
            self._file.close()
            self._file = None
