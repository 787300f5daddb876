"""[kafka] TLS settings as the Java Kafka client's options (``kafka.ssl.*``) for Spark's Kafka source.

The Java client reads PEM directly (``ssl.truststore.type=PEM``, ``ssl.keystore.type=PEM``), so the same
files librdkafka uses serve Spark too: the CA file is the trust store; the client certificate and key are
passed as their PEM text (``ssl.keystore.certificate.chain``, ``ssl.keystore.key``) so that separate
certificate and key files work, as they do for librdkafka (the settings hold the paths, ~ expanded).
The key text (and each of its lines) is registered as a secret, so it is redacted wherever the options could be logged.
"""

from __future__ import annotations

from pathlib import Path

from coinstream.core import KafkaSettings, register_secret


def java_tls_options(kafka: KafkaSettings) -> dict[str, str]:
    """The ``kafka.ssl.*`` options for ``[kafka]``'s CA, client certificate and key and hostname verification."""
    options = {
        # The Java client's default is https already; "" turns hostname verification off.
        "kafka.ssl.endpoint.identification.algorithm": "https" if kafka.ssl_endpoint_identification else "",
    }
    if kafka.ssl_ca_location is not None:
        options["kafka.ssl.truststore.type"] = "PEM"
        options["kafka.ssl.truststore.location"] = kafka.ssl_ca_location
    if kafka.ssl_certificate_location is not None and kafka.ssl_key_location is not None:
        key = Path(kafka.ssl_key_location).read_text(encoding="ascii")
        for line in (key, *key.splitlines()):  # each base64 line too: a repr or a log line splits the text
            if not line.startswith("-----"):
                register_secret(line)
        options["kafka.ssl.keystore.type"] = "PEM"
        options["kafka.ssl.keystore.certificate.chain"] = \
            Path(kafka.ssl_certificate_location).read_text(encoding="ascii")
        options["kafka.ssl.keystore.key"] = key
        if kafka.ssl_key_password is not None:
            options["kafka.ssl.key.password"] = kafka.ssl_key_password.get_secret_value()
    return options
