"""Brokers that answered but refused the client: a failed SASL login or TLS handshake.

librdkafka reports these only through ``error_cb``; the metadata request that then times out says no more than
that no broker answered. The admin configuration routes ``error_cb`` here, so the error raised when no broker
answers can say what the brokers did say, and which setting to fix, instead of suggesting the stack is down.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from confluent_kafka import KafkaError

_lock = threading.Lock()
_last: dict[str, KafkaError] = {}

SASL_FIX = ("check [kafka] sasl_username and sasl_password (COINSTREAM_KAFKA_SASL_USERNAME / "
            "COINSTREAM_KAFKA_SASL_PASSWORD) and sasl_mechanism against the user the cluster knows")
TLS_FIX = ("check [kafka] ssl_ca_location (COINSTREAM_KAFKA_SSL_CA_LOCATION): it must hold the CA that signed the "
           "brokers' certificates, and the certificates must name the hosts in bootstrap_servers "
           "(ssl_endpoint_identification); a client certificate goes in ssl_certificate_location/ssl_key_location")


def refusal_recorder(bootstrap_servers: str) -> Callable[[KafkaError], None]:
    """An ``error_cb`` that keeps the last login or handshake refusal of the client of ``bootstrap_servers``
    (a new client forgets what an earlier one was told)."""
    with _lock:
        _last.pop(bootstrap_servers, None)

    def record(error: KafkaError) -> None:
        if fix_for(error) is not None:
            with _lock:
                _last[bootstrap_servers] = error

    return record


def last_refusal(bootstrap_servers: str) -> tuple[str, str] | None:
    """(what the brokers said, the fix) of the last refusal recorded for ``bootstrap_servers``, or None."""
    with _lock:
        error = _last.get(bootstrap_servers)
    if error is None:
        return None
    return error.str(), fix_for(error) or ""


def fix_for(error: KafkaError) -> str | None:
    """The fix for a login or handshake refusal; None for any other error."""
    text = error.str().lower()
    if error.code() == KafkaError._AUTHENTICATION or "sasl" in text and "authentication" in text:
        return TLS_FIX if "ssl" in text and "handshake" in text else SASL_FIX
    if error.code() == KafkaError._SSL or "ssl handshake failed" in text or "certificate verify failed" in text:
        return TLS_FIX
    return None
