"""Waiting for a part to answer, and failing fast (with its log) when it dies instead."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from coinstream.devstack.errors import StackError


def port_listening(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def http_status(url: str, timeout: float = 2.0) -> int | None:
    """The HTTP status of a GET on ``url``, or None when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback URL we built)
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, OSError):
        return None


def log_tail(log_file: str | Path, lines: int = 20) -> str:
    try:
        text = Path(log_file).read_text(errors="replace")
    except OSError:
        return "(no log file)"
    return "\n".join(text.splitlines()[-lines:])


def wait_until(
    check: Callable[[], bool],
    *,
    what: str,
    timeout: float,
    alive: Callable[[], bool] | None = None,
    log_file: str | Path | None = None,
    interval: float = 0.5,
) -> float:
    """Poll ``check`` until it returns True; return the seconds waited.

    Raises StackError when ``timeout`` passes, or at once when ``alive`` says the process died,
    with the end of ``log_file`` in the message.
    """
    started = time.monotonic()
    deadline = started + timeout
    while True:
        if check():
            return time.monotonic() - started
        if alive is not None and not alive():
            raise StackError(_failure(f"{what}: the process exited before it was ready", log_file))
        if time.monotonic() >= deadline:
            raise StackError(_failure(f"{what}: not ready after {timeout:.0f} s", log_file))
        time.sleep(interval)


def _failure(message: str, log_file: str | Path | None) -> str:
    if log_file is None:
        return message
    return f"{message}; see {log_file} (or `coinstream stack logs`). Last lines:\n{log_tail(log_file)}"
