"""A service the command needs did not answer: Kafka, the schema registry or S3.

Every command and benchmark raises :class:`ServiceUnreachableError` (or a subclass) when a service
does not answer; the ``coinstream`` group prints it on one redacted line and exits with
:data:`EXIT_SERVICE_UNREACHABLE`, the exit status of every error the user fixes before running again.
"""

from __future__ import annotations

EXIT_SERVICE_UNREACHABLE = 2
"""Exit status of a command whose service did not answer (the same as a configuration error)."""

UNREACHABLE_MARKER = "cannot reach "
"""How every :class:`ServiceUnreachableError` message starts: callers of the CLI (the Airflow operators)
tell an unreachable service, worth a retry, from a configuration error by it."""

STACK_UP_HINT = "start the local stack with `coinstream stack up`"


class ServiceUnreachableError(Exception):
    """``service`` did not answer at ``endpoint``: ``tried`` says what was attempted, ``fix`` what to do."""

    def __init__(self, service: str, endpoint: str, tried: str, fix: str) -> None:
        super().__init__(service, endpoint, tried, fix)
        self.service = service
        self.endpoint = endpoint
        self.tried = tried
        self.fix = fix

    def __str__(self) -> str:
        return f"{UNREACHABLE_MARKER}{self.service} at {self.endpoint} ({self.tried}); {self.fix}"
