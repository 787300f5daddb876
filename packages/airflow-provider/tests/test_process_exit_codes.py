"""How CoinstreamProcessOperator reads `coinstream process`'s exit 2: a pipeline file to fix (no retry), or a
service that did not answer (a retry can help)."""

from __future__ import annotations

import pytest
from coinstream.airflow.command_runner import CommandResult
from coinstream.airflow.operators.process import CoinstreamProcessOperator

from airflow.sdk.exceptions import AirflowException, AirflowFailException


class FinishedRunner:
    def __init__(self, result: CommandResult) -> None:
        self.result = result

    def run(self, command: list[str], environment: dict[str, str]) -> CommandResult:
        return self.result


def process_ending(*lines: str) -> CoinstreamProcessOperator:
    operator = CoinstreamProcessOperator(task_id="process", pipeline="pipeline.toml", until_caught_up=True)
    operator._runner = FinishedRunner(CommandResult(2, lines))  # type: ignore[assignment]
    return operator


def test_exit_2_for_a_pipeline_file_fails_without_retries():
    operator = process_ending("error: pipeline.toml: kafka.partitions: must be at least 1")
    with pytest.raises(AirflowFailException, match="refused to start"):
        operator.execute({})  # type: ignore[arg-type]


def test_exit_2_for_a_registry_that_did_not_answer_is_retried():
    line = ("error: cannot reach the schema registry at http://registry:8081 (reading the writer schemas of subject "
            "'crypto.trades.v1-value': ConnectError); start the local stack with `coinstream stack up`, ...")
    with pytest.raises(AirflowException) as raised:
        process_ending(line).execute({})  # type: ignore[arg-type]
    assert not isinstance(raised.value, AirflowFailException)
    assert "cannot reach the schema registry at http://registry:8081" in str(raised.value)
