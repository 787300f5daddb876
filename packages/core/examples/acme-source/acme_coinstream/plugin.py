"""Acme's trade export (JSON lines, one trade a line) as the coinstream source ``acme``."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import Field

from coinstream.core import (
    ComponentContext,
    ComponentRegistrar,
    DeadLetter,
    SourceRecord,
    SourceStats,
    StrictModel,
    Trade,
    derive_trade_id,
    hookimpl,
)

T = TypeVar("T", str, float, int)


class AcmeSettings(StrictModel):
    """[source] name = "acme"."""

    path: str = Field(description="The JSON-lines file Acme exported, one trade a line.")


class AcmeSource:
    """Yields each line of the export as a Trade, or as a DeadLetter naming what was wrong with it."""

    def __init__(self, settings: AcmeSettings, context: ComponentContext) -> None:
        self.path = Path(settings.path)
        # The file is the feed session: reading it again yields the same trade ids.
        self.stats = SourceStats(session_id=self.path.name)
        self._open = True

    async def batches(self) -> AsyncIterator[Sequence[SourceRecord]]:
        """One batch per line, until the file ends or close() is called."""
        with self.path.open("rb") as lines:
            for sequence, line in enumerate(lines, start=1):
                if not self._open:
                    return
                raw = line.rstrip(b"\r\n")
                received = time.time_ns() // 1_000              # ingest_time: UTC microseconds, set by the source
                self.stats.frames += 1
                try:
                    trade = self.parse(raw, sequence, received)
                except ValueError as error:
                    self.stats.dead_letters += 1
                    yield [DeadLetter(source="acme", reason=str(error), raw=raw, session_id=self.stats.session_id,
                                      frame_sequence=sequence, received_time=received)]
                    continue
                self.stats.trades += 1
                yield [trade]

    def parse(self, raw: bytes, sequence: int, received: int) -> Trade:
        """``{"pair": "BTCUSD", "venue": "Acme", "px": "64000.5", "qty": "0.25", "ts_us": 1790000000000000}``
        -> Trade; ValueError naming the field and the value otherwise."""
        try:
            frame = json.loads(raw)
        except ValueError:
            raise ValueError(f"not JSON: {raw[:80]!r}") from None
        if not isinstance(frame, dict):
            raise ValueError(f"not a JSON object: {raw[:80]!r}")
        return Trade(trade_id=derive_trade_id("acme", self.stats.session_id, sequence),
                     ticker=_field(frame, "pair", str).lower(), exchange=_field(frame, "venue", str).lower(),
                     price=_field(frame, "px", float), size=_field(frame, "qty", float),
                     trade_time=_field(frame, "ts_us", int), ingest_time=received, source="acme")

    async def close(self) -> None:
        """Stop reading: the iterator ends before the next line."""
        self._open = False


def _field(frame: dict[str, Any], name: str, kind: type[T]) -> T:
    """``frame[name]`` as ``kind``: ValueError ``"px: expected float, got 'abc'"`` otherwise."""
    if name not in frame:
        raise ValueError(f"{name}: missing")
    try:
        return kind(frame[name])
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected {kind.__name__}, got {frame[name]!r}") from None


def build_acme_source(settings: AcmeSettings, context: ComponentContext) -> AcmeSource:
    """The factory ``coinstream ingest`` calls once, when it starts."""
    return AcmeSource(settings, context)


@hookimpl
def register_sources(register: ComponentRegistrar) -> None:
    """Register the ``acme`` source (called once, when the plugin registry is built)."""
    register("acme", build_acme_source, settings=AcmeSettings, description="Acme's JSON-lines trade export")
