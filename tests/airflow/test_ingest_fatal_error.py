"""The ingest operator fails its task for good on a source error that retrying cannot fix (core's
SourceFatalError), against the real stack and the Tiingo simulator."""

from __future__ import annotations

import pytest

from coinstream.core import SourceFatalError

from ..conftest import ingest_pipeline_toml, unique_kafka_settings

pytestmark = [pytest.mark.airflow, pytest.mark.stack]


def test_a_key_the_feed_rejects_fails_the_ingest_task_without_retry_and_without_the_key(local_stack, simulator,
                                                                                        tmp_path, monkeypatch):
    from airflow.sdk.exceptions import AirflowFailException

    from coinstream.airflow.operators.ingest import CoinstreamIngestOperator

    kafka = unique_kafka_settings(local_stack, "airflow.fatal", partitions=1)
    path = tmp_path / "pipeline.toml"
    path.write_text(ingest_pipeline_toml("fatal", kafka, tmp_path / "spool", simulator, source="metadata = false\n"))
    wrong = "rejected-key-4b7e0a"
    monkeypatch.setenv("COINSTREAM_TIINGO_API_KEY", wrong)
    operator = CoinstreamIngestOperator(task_id="ingest", pipeline=str(path), duration=30, tiingo_conn_id=None)

    with pytest.raises(AirflowFailException) as raised:
        operator.execute({})

    assert "COINSTREAM_TIINGO_API_KEY" in str(raised.value) and wrong not in str(raised.value)
    assert isinstance(raised.value.__context__, SourceFatalError)
    assert simulator.stats.rejected == 1
