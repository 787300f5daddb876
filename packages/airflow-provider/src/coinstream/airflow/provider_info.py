"""The provider manifest Airflow reads through the ``apache_airflow_provider`` entry point.

It lists everything the provider offers, so the package's surface is readable in one place.
"""

from __future__ import annotations

from typing import Any

from coinstream.airflow.__about__ import __version__

DISTRIBUTION = "airflow-provider-coinstream"


def get_provider_info() -> dict[str, Any]:
    """Return the provider's manifest (package name, versions, integrations and components)."""
    return {
        "package-name": DISTRIBUTION,
        "name": "coinstream",
        "description": "Run, watch and maintain coinstream's Tiingo -> Kafka -> Spark -> Delta Lake pipeline.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": "coinstream",
                "external-doc-url": "https://github.com/coinstream/coinstream",
                "tags": ["software"],
            }
        ],
    }
