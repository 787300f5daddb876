"""The version of airflow-provider-coinstream (the single source hatch reads)."""

__version__ = "0.1.1"
