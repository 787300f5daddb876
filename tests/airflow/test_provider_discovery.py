"""Airflow finds the provider, its connection forms, and every example DAG imports cleanly."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from coinstream.airflow import example_dags
from coinstream.airflow.__about__ import __version__ as provider_version

from .conftest import BIN

pytestmark = pytest.mark.airflow

EXAMPLE_DAGS = Path(example_dags.__file__).parent


def airflow_json(env: dict[str, str], *arguments: str) -> list[dict]:
    result = subprocess.run([str(BIN / "airflow"), *arguments, "-o", "json"], env=env, capture_output=True,
                            text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def test_the_provider_is_listed_with_its_hooks_and_form_fields(airflow_db, airflow_env):
    env = airflow_env()
    providers = {p["package_name"]: p for p in airflow_json(env, "providers", "list")}
    assert providers["airflow-provider-coinstream"]["version"] == provider_version
    hooks = {h["connection_type"]: h["class"] for h in airflow_json(env, "providers", "hooks")
             if h["package_name"] == "airflow-provider-coinstream"}
    assert hooks == {"tiingo": "coinstream.airflow.hooks.tiingo.TiingoHook",
                     "coinstream_kafka": "coinstream.airflow.hooks.kafka.CoinstreamKafkaHook"}
    widgets = {w["connection_parameter_name"] for w in airflow_json(env, "providers", "widgets")
               if w["package_name"] == "airflow-provider-coinstream"}
    assert {"extra__tiingo__websocket_url", "extra__coinstream_kafka__security_protocol",
            "extra__coinstream_kafka__schema_registry_url"} <= widgets


def test_every_example_dag_imports_without_errors(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(EXAMPLE_DAGS))
    assert bag.import_errors == {}
    assert sorted(bag.dag_ids) == ["coinstream_backfill", "coinstream_pipeline"]
    pipeline = bag.get_dag("coinstream_pipeline")
    assert [t.task_id for t in pipeline.topological_sort()][:2] == ["ingest", "process"]
    assert pipeline.get_task("quality").upstream_task_ids == {"vacuum"}
