"""Which locked dependency versions a benchmark ran with: printed first by every benchmark, so a figure
can be traced to the lock it was measured with (see the README, "Locked versions")."""

from __future__ import annotations

import hashlib
from pathlib import Path

LOCK = Path(__file__).resolve().parents[1] / "requirements.lock"


def lock_fingerprint(lock: Path = LOCK) -> str:
    """``requirements.lock sha256:<first 12 hex digits>`` (``requirements.lock missing`` without one)."""
    if not lock.is_file():
        return f"{lock.name} missing"
    return f"{lock.name} sha256:{hashlib.sha256(lock.read_bytes()).hexdigest()[:12]}"


def print_lock() -> None:
    """Print the lock line every benchmark starts with."""
    print(f"-- dependencies: {lock_fingerprint()}", flush=True)
