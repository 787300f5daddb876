"""Deterministic trade ids.

The Tiingo feed carries no exchange trade id and does send genuinely identical trades, so a
trade cannot be identified by its content. A trade is identified instead by where it sits in
the feed: the source, the feed session it arrived in, the frame's sequence number in that
session and the item's index inside the frame. Replaying a recorded session, or retrying the
produce of the same frame, gives the same ids; two identical trades in one session do not
collide because their frames have different positions.
"""

from __future__ import annotations

from hashlib import blake2b

_ID_BYTES = 16


def derive_trade_id(source: str, session_id: str, frame_sequence: int, item_index: int = 0) -> str:
    """Return a 32-hex-character id for the item at (frame_sequence, item_index) of a session.

    ``session_id`` must be stable for a feed session (for a live websocket: the id the source
    assigns when the connection starts and records with the session; for a replay: the recorded
    session's id). ``frame_sequence`` counts frames from 0 within the session.
    """
    if frame_sequence < 0 or item_index < 0:
        raise ValueError(
            f"frame_sequence={frame_sequence} and item_index={item_index} must be >= 0: "
            "they are positions in the feed session"
        )
    key = f"{source}\x1f{session_id}\x1f{frame_sequence}\x1f{item_index}".encode()
    return blake2b(key, digest_size=_ID_BYTES).hexdigest()
