"""The one error the stack manager raises: what went wrong, with the value, and what to do."""

from __future__ import annotations


class StackError(Exception):
    """The local stack could not be fetched, started, checked or stopped; the message says why."""
