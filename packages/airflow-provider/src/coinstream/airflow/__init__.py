"""airflow-provider-coinstream: Airflow hooks, operators and sensors for coinstream pipelines."""

from coinstream.airflow.__about__ import __version__

__all__ = ["__version__"]
