"""What the feed sent and what the ingestor received, frame by frame, as trade ids and dead-letter keys.

The simulator's sent log has every frame it wrote: connection, position, kind. The ingestor's log
maps each connection to its feed session (``feed_subscribed`` names the subscription id the ``I``
frame carried) and says how many frames the session received (``feed_session_ended``). A trade's id
is ``derive_trade_id("tiingo", session_id, position)``, so the trades the pipeline owes the lake
are the trade frames below each session's received count. Frames above it were written by the
simulator but never read by the client (in flight when the connection dropped, or still in the
socket when the ingestor was killed): a feed gap, counted apart, not a pipeline loss.

An ingestor killed with SIGKILL cannot log its session's end. That session's received count is then
taken from what reached Kafka: one past the highest position the ingestor put there (a trade or a
dead letter). The frames after it were read into memory, if at all, and never spooled: the window
the issue's gap record covers, reported as ``unread_at_kill``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from coinstream.core import derive_trade_id
from coinstream.tiingo.simulator.sent_log import DEAD_LETTER_KINDS, TRADE_KINDS

SOURCE = "tiingo"

DeadLetterKey = tuple[str, int]
"""(session id, frame sequence): where a dead letter's frame sat in the feed."""


@dataclass
class Connection:
    """One websocket connection the simulator served: its data frames by position."""

    number: int
    subscription_id: int | None = None
    kinds: dict[int, str] = field(default_factory=dict)       # position -> kind, data frames only
    details: dict[int, dict] = field(default_factory=dict)    # position -> the log line, faulty frames only
    frames_written: int = 0
    ended_by: str | None = None                                # "drop" or "close" when the simulator ended it


@dataclass(frozen=True)
class Session:
    """The ingestor's side of one connection."""

    session_id: str
    subscription_id: int | None
    frames: int | None        # frames received, None when the ingestor was killed before it could say
    reason: str | None


def read_sent_log(path: Path) -> dict[int, Connection]:
    """Parse the simulator's sent log into connections (control frames only advance the positions)."""
    connections: dict[int, Connection] = {}
    for line in path.read_bytes().splitlines():
        entry = orjson.loads(line)
        number = entry["connection"]
        connection = connections.setdefault(number, Connection(number))
        if "event" in entry:
            connection.ended_by = entry["event"]
            continue
        position, kind = entry["position"], entry["kind"]
        connection.frames_written = max(connection.frames_written, position + 1)
        if kind == "I":
            connection.subscription_id = entry.get("subscription_id")
        elif kind in TRADE_KINDS or kind in DEAD_LETTER_KINDS:
            connection.kinds[position] = kind
            if kind != "T":
                connection.details[position] = entry
    return connections


def read_sessions(ingestor_logs: Iterable[Path]) -> list[Session]:
    """The feed sessions in the ingestors' JSON logs, in the order they subscribed."""
    subscribed: dict[str, int | None] = {}
    ended: dict[str, tuple[int, str]] = {}
    for path in ingestor_logs:
        if not path.exists():
            continue
        for line in path.read_bytes().splitlines():
            if b'"feed_' not in line:
                continue
            try:
                event = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue  # a line torn by a SIGKILL
            if event.get("event") == "feed_subscribed":
                subscribed[event["session_id"]] = event.get("subscription_id")
            elif event.get("event") == "feed_session_ended":
                ended[event["session_id"]] = (int(event["frames"]), str(event.get("reason")))
    return [Session(session_id, subscription_id, *(ended.get(session_id) or (None, None)))
            for session_id, subscription_id in subscribed.items()]


@dataclass
class FeedLedger:
    """Per case: the trades and dead letters the pipeline owes, and what the feed sent that no one read."""

    trades: dict[str, str] = field(default_factory=dict)                 # trade id -> kind
    dead_letters: dict[DeadLetterKey, dict] = field(default_factory=dict)  # key -> sent-log line (kind, index...)
    not_received: int = 0        # data frames written but never read by the client (in flight at a drop or stop)
    unread_at_kill: int = 0      # data frames after the last one a killed ingestor put in Kafka
    unreceived_ids: set[str] = field(default_factory=set)  # ids of trade frames never received: must land nowhere
    sessions: list[Session] = field(default_factory=list)
    data_frames_sent: int = 0

    @property
    def owed(self) -> int:
        """Frames the pipeline must account for: trades in the tables plus dead letters in their topic."""
        return len(self.trades) + len(self.dead_letters)


def settle_feed(connections: dict[int, Connection], sessions: list[Session],
                in_kafka: set[str], dead_letters_in_kafka: set[DeadLetterKey]) -> FeedLedger:
    """Match connections to sessions and split each one's data frames into owed and never received.

    ``in_kafka``/``dead_letters_in_kafka`` (this case's trade ids and dead-letter keys read back from
    Kafka) are used only for a session whose ingestor was killed before it logged its end.
    """
    by_subscription = {s.subscription_id: s for s in sessions if s.subscription_id is not None}
    ledger = FeedLedger(sessions=sessions)
    for connection in connections.values():
        ledger.data_frames_sent += len(connection.kinds)
        session = by_subscription.get(connection.subscription_id)
        if session is None:  # the client never read the I frame: nothing of this connection reached it
            ledger.not_received += len(connection.kinds)
            continue
        received = session.frames
        killed = received is None
        if killed:
            received = 1 + max((p for p, kind in connection.kinds.items()
                                if (kind in TRADE_KINDS and derive_trade_id(SOURCE, session.session_id, p) in in_kafka)
                                or (session.session_id, p) in dead_letters_in_kafka), default=0)
        for position, kind in connection.kinds.items():
            if position >= received:
                if killed:
                    ledger.unread_at_kill += 1
                else:
                    ledger.not_received += 1
                if kind in TRADE_KINDS:
                    ledger.unreceived_ids.add(derive_trade_id(SOURCE, session.session_id, position))
            elif kind in TRADE_KINDS:
                ledger.trades[derive_trade_id(SOURCE, session.session_id, position)] = kind
            else:
                ledger.dead_letters[(session.session_id, position)] = connection.details.get(position, {"kind": kind})
    return ledger
