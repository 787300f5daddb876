"""Airflow 3 integration tests of airflow-provider-coinstream."""
