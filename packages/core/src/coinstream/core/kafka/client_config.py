"""librdkafka configuration dicts built from [kafka] settings (secrets unwrapped only here)."""

from __future__ import annotations

from typing import Any

from coinstream.core.config.models import KafkaSettings
from coinstream.core.kafka.refusals import refusal_recorder


def _common(settings: KafkaSettings) -> dict[str, Any]:
    config: dict[str, Any] = {
        "bootstrap.servers": settings.bootstrap_servers,
        "security.protocol": settings.security_protocol,
    }
    if settings.security_protocol.startswith("SASL"):
        config["sasl.mechanism"] = settings.sasl_mechanism or "PLAIN"
        config["sasl.username"] = settings.sasl_username
        config["sasl.password"] = settings.sasl_password.get_secret_value() if settings.sasl_password else ""
    if settings.security_protocol.endswith("SSL"):
        config.update(_tls(settings))
    return config


def _tls(settings: KafkaSettings) -> dict[str, Any]:
    """librdkafka's ssl.* for SSL and SASL_SSL: the CA, the client certificate and key, hostname verification."""
    config: dict[str, Any] = {
        "ssl.endpoint.identification.algorithm": "https" if settings.ssl_endpoint_identification else "none",
    }
    locations = {"ssl.ca.location": settings.ssl_ca_location,
                 "ssl.certificate.location": settings.ssl_certificate_location,
                 "ssl.key.location": settings.ssl_key_location}
    config.update({key: value for key, value in locations.items() if value is not None})
    if settings.ssl_key_password is not None:
        config["ssl.key.password"] = settings.ssl_key_password.get_secret_value()
    return config


def admin_config(settings: KafkaSettings) -> dict[str, Any]:
    """Return the AdminClient configuration."""
    # An admin call's failure comes back as an exception that says what to do (KafkaUnreachableError,
    # TopicMismatchError); librdkafka would also print a FAIL line on every reconnect, some twenty a
    # second while no broker answers, burying that one line. Critical messages are still printed.
    # error_cb: a refused login or TLS handshake is remembered, for the error that says which setting to fix.
    return {**_common(settings), "log_level": 2, "error_cb": refusal_recorder(settings.bootstrap_servers)}


def producer_config(settings: KafkaSettings, *, spooled: bool = False) -> dict[str, Any]:
    """Return the producer configuration: idempotent, acks=all, compressed, batched.

    Idempotence with acks=all means a retried send is written once, in order, and a send is
    acknowledged only when min.insync.replicas replicas have it. ``[kafka] producer`` entries
    override these defaults.

    ``spooled``: the caller keeps every record until it is acknowledged (the ingestor's spool), so
    librdkafka retries for ever (``message.timeout.ms`` 0) instead of failing messages after 120 s.
    A timed-out message would only come back to be produced again, and with idempotence a timeout
    also forces a new producer epoch; holding it in librdkafka's bounded queue costs neither.
    """
    config = _common(settings)
    config.update({
        "enable.idempotence": True,
        "acks": "all",
        "max.in.flight.requests.per.connection": 5,
        "compression.type": settings.compression,
        "linger.ms": settings.linger_ms,
        "batch.num.messages": 10_000,
        "batch.size": 1_000_000,
        "queue.buffering.max.messages": 1_000_000,
        "queue.buffering.max.kbytes": 1_048_576,
        "message.timeout.ms": 0 if spooled else 120_000,
        "delivery.report.only.error": False,
    })
    config.update(settings.producer)
    return config


def consumer_config(settings: KafkaSettings, group_id: str) -> dict[str, Any]:
    """Return a read-committed consumer configuration for a group, starting at the earliest offset."""
    config = _common(settings)
    config.update({
        "group.id": group_id,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "isolation.level": "read_committed",
    })
    return config
