"""Run the Spark processor (Kafka -> transforms -> sinks) for a bounded window or until caught up."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar, Literal

from coinstream.airflow import spark_driver
from coinstream.airflow.command_runner import CommandResult, CommandRunner, coinstream_executable
from coinstream.airflow.hooks.kafka import CoinstreamKafkaHook
from coinstream.airflow.hooks.s3 import s3_access
from coinstream.airflow.arguments import duration_seconds, non_empty
from coinstream.core import UNREACHABLE_MARKER

from airflow.sdk import BaseOperator, Context
from airflow.sdk.exceptions import AirflowException, AirflowFailException

# `coinstream process` exit codes (coinstream.spark.command)
EXIT_CONFIG_ERROR = 2
_QUERY_LINE = re.compile(r"^(?P<query>\S+): (?P<batches>[\d,]+) micro-batches, (?P<rows>[\d,]+) input rows$")
_STOPPED_LINE = re.compile(r"^stopped by (?P<reason>.+) after (?P<seconds>[\d.]+) s$")


def processor_summary(result: CommandResult) -> dict[str, Any]:
    """Parse the summary ``coinstream process`` prints: per query its batches and rows, and why it stopped."""
    queries: dict[str, dict[str, int]] = {}
    stopped: dict[str, Any] = {}
    for line in result.lines:
        text = line.strip()
        if match := _QUERY_LINE.match(text):
            queries[match["query"]] = {"batches": int(match["batches"].replace(",", "")),
                                       "rows": int(match["rows"].replace(",", ""))}
        elif match := _STOPPED_LINE.match(text):
            stopped = {"stopped_by": match["reason"], "seconds": float(match["seconds"])}
    return {"queries": queries, **stopped}


class CoinstreamProcessOperator(BaseOperator):
    """Run ``coinstream process PIPELINE`` until caught up (``--available-now``) and/or for ``duration``.

    Locally the processor starts its own Spark (``[spark] master`` of the pipeline). With
    ``spark_master`` set it goes through ``spark-submit`` instead (a standalone, YARN or Kubernetes
    cluster); ``COINSTREAM_SPARK_MASTER`` is set to the same master so the session agrees.
    Brokers/registry come from ``kafka_conn_id`` and S3 from ``aws_conn_id`` when set.

    :param pipeline: path of the pipeline TOML (templated; on the driver's machine).
    :param until_caught_up: process what the topic holds now, then stop.
    :param duration: stop after this long (seconds or a timedelta); with until_caught_up, a cap.
    """

    template_fields: Sequence[str] = ("pipeline", "spark_submit_conf")
    template_fields_renderers: ClassVar[dict[str, str]] = {"spark_submit_conf": "json"}
    ui_color = "#fce5cd"

    def __init__(self, *, pipeline: str, until_caught_up: bool = False, duration: float | timedelta | None = None,
                 kafka_conn_id: str | None = None, aws_conn_id: str | None = None, spark_master: str | None = None,
                 deploy_mode: Literal["client", "cluster"] = "client", spark_submit_conf: dict[str, str] | None = None,
                 spark_submit_bin: str = "spark-submit", coinstream_bin: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        non_empty(pipeline, "pipeline", "the path of the pipeline TOML")
        self.duration_s = duration_seconds(duration)
        if not until_caught_up and self.duration_s is None:
            raise ValueError("the processor would never stop: an Airflow task must end, so pass until_caught_up=True "
                             "and/or duration= (seconds or a timedelta)")
        if deploy_mode not in ("client", "cluster"):
            raise ValueError(f"deploy_mode={deploy_mode!r} must be 'client' or 'cluster'")
        if spark_master is not None and not re.match(r"^(local(\[[\d*]+\])?|spark://.+|yarn|k8s://.+|mesos://.+)$",
                                                     spark_master):
            raise ValueError(f"spark_master={spark_master!r} is not a Spark master URL such as spark://host:7077, "
                             "yarn or k8s://https://host:443")
        self.pipeline = pipeline
        self.until_caught_up = until_caught_up
        self.kafka_conn_id = kafka_conn_id
        self.aws_conn_id = aws_conn_id
        self.spark_master = spark_master
        self.deploy_mode = deploy_mode
        self.spark_submit_conf = spark_submit_conf or {}
        self.spark_submit_bin = spark_submit_bin
        self.coinstream_bin = coinstream_bin
        self._runner = CommandRunner()

    def command(self) -> list[str]:
        """The command line (no secrets in it: they travel in the environment)."""
        arguments = ["process", self.pipeline]
        if self.until_caught_up:
            arguments.append("--available-now")
        if self.duration_s is not None:
            arguments += ["--duration", f"{self.duration_s:g}"]
        if self.spark_master is None:
            return [coinstream_executable(self.coinstream_bin), *arguments]
        submit = [self.spark_submit_bin, "--master", self.spark_master, "--deploy-mode", self.deploy_mode,
                  "--name", f"coinstream-{self.task_id}"]
        for key, value in sorted(self.spark_submit_conf.items()):
            submit += ["--conf", f"{key}={value}"]
        return [*submit, str(Path(spark_driver.__file__)), *arguments]

    def environment(self) -> dict[str, str]:
        """Connection settings as core's env overrides (secrets only here, never on the command line)."""
        env: dict[str, str] = {}
        if self.kafka_conn_id:
            env.update(CoinstreamKafkaHook(self.kafka_conn_id).endpoint.environment())
        if self.aws_conn_id:
            env.update(s3_access(self.aws_conn_id).environment())
        if self.spark_master:
            env["COINSTREAM_SPARK_MASTER"] = self.spark_master
        return env

    def execute(self, context: Context) -> dict[str, Any]:
        result = self._runner.run(self.command(), self.environment())
        # Exit 2 is also a service that did not answer ("error: cannot reach ..."): worth a retry, unlike a
        # pipeline file that must be fixed first.
        if result.returncode == EXIT_CONFIG_ERROR and f"error: {UNREACHABLE_MARKER}" not in result.tail:
            raise AirflowFailException(f"`coinstream process {self.pipeline}` refused to start (exit 2: its pipeline "
                                       "file, or the command itself when coinstream-spark-transforms is not installed "
                                       f"on this worker; its last lines say which):\n{result.tail}")
        if result.returncode != 0:
            raise AirflowException(f"`coinstream process {self.pipeline}` failed with exit code {result.returncode}; "
                                   f"its last lines:\n{result.tail}")
        return processor_summary(result)

    def on_kill(self) -> None:
        self._runner.stop()
