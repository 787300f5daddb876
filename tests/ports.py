"""Loopback ports for the end-to-end tests."""

from __future__ import annotations

import socket


def unused_port() -> int:
    """A loopback port nothing listens on once this returns: for a server to start on, or to find closed."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
