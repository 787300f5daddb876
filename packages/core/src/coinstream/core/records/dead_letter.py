"""The dead letter: what could not become a record, with the reason, kept instead of dropped."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A raw input that could not be turned into a record.

    ``reason`` names the field and the value that failed (``"price: expected a positive number,
    got -3.0"``); ``raw`` is the input exactly as received, so it can be replayed once fixed.
    """

    source: str
    reason: str
    raw: bytes
    session_id: str = ""
    frame_sequence: int = -1
    received_time: int = 0
    details: dict[str, str] = field(default_factory=dict)

    def headers(self) -> list[tuple[str, bytes]]:
        """Return the Kafka headers the dead-letter topic carries for this record."""
        headers = [
            ("coinstream.reason", self.reason.encode()),
            ("coinstream.source", self.source.encode()),
            ("coinstream.session_id", self.session_id.encode()),
            ("coinstream.frame_sequence", str(self.frame_sequence).encode()),
            ("coinstream.received_time", str(self.received_time).encode()),
        ]
        headers.extend((f"coinstream.{key}", value.encode()) for key, value in sorted(self.details.items()))
        return headers
