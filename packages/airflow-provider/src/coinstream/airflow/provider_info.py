"""The provider manifest Airflow reads through the ``apache_airflow_provider`` entry point.

It lists everything the provider offers (hooks, operators, sensors, triggers, connection types
with their form fields), so the package's surface is readable in one place. Importing it imports
nothing from Airflow: ``airflow providers list`` and ``coinstream airflow info`` stay fast.
"""

from __future__ import annotations

from typing import Any

from coinstream.airflow.__about__ import __version__

DISTRIBUTION = "airflow-provider-coinstream"
INTEGRATION = "coinstream"
TIINGO_INTEGRATION = "Tiingo"
DELTA_INTEGRATION = "Delta Lake"
KAFKA_INTEGRATION = "Apache Kafka"

TIINGO_CONN_TYPE = "tiingo"
KAFKA_CONN_TYPE = "coinstream_kafka"

_PACKAGE = "coinstream.airflow"

SECURITY_PROTOCOLS = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SASL_MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]


def _modules(integration: str, *modules: str) -> dict[str, Any]:
    return {"integration-name": integration, "python-modules": [f"{_PACKAGE}.{m}" for m in modules]}


def _text(label: str, description: str, default: str | None = None, *, secret: bool = False,
          choices: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": ["string", "null"]}
    if default is not None:
        schema["default"] = default
    if secret:
        schema["format"] = "password"  # Airflow treats the field as sensitive: masked in the UI and in logs
    if choices:
        schema["enum"] = choices
    return {"label": label, "description": description, "schema": schema}


def _number(label: str, description: str, default: float) -> dict[str, Any]:
    return {"label": label, "description": description, "schema": {"type": ["number", "null"], "default": default}}


TIINGO_CONNECTION: dict[str, Any] = {
    "connection-type": TIINGO_CONN_TYPE,
    "hook-class-name": f"{_PACKAGE}.hooks.tiingo.TiingoHook",
    "hook-name": "Tiingo",
    "conn-fields": {
        "websocket_url": _text("Websocket URL", "The crypto feed the ingestor subscribes to.",
                               "wss://api.tiingo.com/crypto"),
        "timeout_s": _number("REST timeout (s)", "Timeout of one REST request.", 10.0),
    },
    "ui-field-behaviour": {
        "hidden-fields": ["schema", "login", "port"],
        "relabeling": {"host": "REST URL", "password": "API key"},
        "placeholders": {"host": "https://api.tiingo.com", "password": "your Tiingo API token"},
    },
}

KAFKA_CONNECTION: dict[str, Any] = {
    "connection-type": KAFKA_CONN_TYPE,
    "hook-class-name": f"{_PACKAGE}.hooks.kafka.CoinstreamKafkaHook",
    "hook-name": "coinstream Kafka (brokers + schema registry)",
    "conn-fields": {
        "security_protocol": _text("Security protocol", "How clients talk to the brokers.", "PLAINTEXT",
                                   choices=SECURITY_PROTOCOLS),
        "sasl_mechanism": _text("SASL mechanism", "With SASL_PLAINTEXT or SASL_SSL.", "PLAIN", choices=SASL_MECHANISMS),
        "schema_registry_url": _text("Schema registry URL", "Confluent-compatible REST URL of the schema registry.",
                                     "http://127.0.0.1:18081/apis/ccompat/v7"),
        "schema_registry_username": _text("Schema registry username", "Basic-auth user of the registry, if any."),
        "schema_registry_password": _text("Schema registry password", "Basic-auth password of the registry.",
                                          secret=True),
    },
    "ui-field-behaviour": {
        "hidden-fields": ["schema", "port"],
        "relabeling": {"host": "Bootstrap servers", "login": "SASL username", "password": "SASL password"},
        "placeholders": {"host": "broker-1:9092,broker-2:9092,broker-3:9092"},
    },
}


def get_provider_info() -> dict[str, Any]:
    """Return the provider's manifest (package name, versions, integrations and components)."""
    return {
        "package-name": DISTRIBUTION,
        "name": "coinstream",
        "description": "Run, watch and maintain coinstream's Tiingo -> Kafka -> Spark -> Delta Lake pipeline.",
        "versions": [__version__],
        "integrations": [
            {"integration-name": INTEGRATION, "external-doc-url": "https://github.com/coinstream/coinstream",
             "tags": ["software"]},
            {"integration-name": TIINGO_INTEGRATION, "external-doc-url": "https://www.tiingo.com/documentation/crypto",
             "tags": ["service"]},
            {"integration-name": KAFKA_INTEGRATION, "external-doc-url": "https://kafka.apache.org/",
             "tags": ["apache"]},
            {"integration-name": DELTA_INTEGRATION, "external-doc-url": "https://delta.io/", "tags": ["software"]},
        ],
        "hooks": [
            _modules(TIINGO_INTEGRATION, "hooks.tiingo"),
            _modules(KAFKA_INTEGRATION, "hooks.kafka"),
            _modules(DELTA_INTEGRATION, "hooks.delta"),
        ],
        "operators": [
            _modules(INTEGRATION, "operators.ingest", "operators.process"),
            _modules(TIINGO_INTEGRATION, "operators.backfill"),
            _modules(DELTA_INTEGRATION, "operators.delta_maintenance", "operators.quality"),
        ],
        "sensors": [
            _modules(DELTA_INTEGRATION, "sensors.delta_commit"),
            _modules(KAFKA_INTEGRATION, "sensors.consumer_lag"),
        ],
        "triggers": [
            _modules(DELTA_INTEGRATION, "triggers.delta_commit"),
        ],
        "connection-types": [TIINGO_CONNECTION, KAFKA_CONNECTION],
    }
