"""Run the ingestor (the pipeline's source -> Avro -> Kafka) for a bounded window."""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from coinstream.airflow.hooks.kafka import CoinstreamKafkaHook
from coinstream.airflow.hooks.tiingo import TiingoHook
from coinstream.airflow.arguments import duration_seconds, non_empty, whole_number
from coinstream.core import (
    INGEST_COMPONENTS,
    ConfigError,
    IngestOptions,
    Ingestor,
    PluginHost,
    SourceFatalError,
    load_pipeline,
)
from coinstream.core.kafka import TopicMismatchError

from airflow.sdk import BaseOperator, Context
from airflow.sdk.exceptions import AirflowException, AirflowFailException

log = structlog.get_logger(__name__)


class CoinstreamIngestOperator(BaseOperator):
    """Ingest for ``duration`` and/or up to ``max_trades`` trades, then flush and stop.

    The ingestor runs inside the task (core's ``Ingestor``), so its report is the task's XCom. The
    Tiingo key comes from ``tiingo_conn_id``; the brokers and registry from ``kafka_conn_id`` when
    set, else from the pipeline file. The run fails when a trade was not acknowledged by Kafka.

    :param pipeline: path of the pipeline TOML (templated).
    :param duration: seconds or a timedelta.
    :param max_trades: stop after this many trades were sent.
    """

    template_fields: Sequence[str] = ("pipeline",)
    ui_color = "#d9ead3"

    def __init__(self, *, pipeline: str, duration: float | timedelta | None = None, max_trades: int | None = None,
                 tiingo_conn_id: str | None = TiingoHook.default_conn_name, kafka_conn_id: str | None = None,
                 metrics_interval: float = 5.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        non_empty(pipeline, "pipeline", "the path of the pipeline TOML, e.g. /opt/coinstream/local.toml")
        self.duration_s = duration_seconds(duration)
        whole_number(max_trades, "max_trades")
        if self.duration_s is None and max_trades is None:
            raise ValueError("the ingestor would never stop: an Airflow task must end, so pass duration= "
                             "(seconds or a timedelta) and/or max_trades=")
        self.pipeline = pipeline
        self.max_trades = max_trades
        self.tiingo_conn_id = tiingo_conn_id
        self.kafka_conn_id = kafka_conn_id
        self.metrics_interval = metrics_interval

    def connection_environment(self) -> dict[str, str]:
        """The env overrides the connections give the pipeline (secrets included: never logged)."""
        env: dict[str, str] = {}
        if self.tiingo_conn_id:
            env.update(TiingoHook(self.tiingo_conn_id).credentials.environment())
        if self.kafka_conn_id:
            env.update(CoinstreamKafkaHook(self.kafka_conn_id).endpoint.environment())
        return env

    def execute(self, context: Context) -> dict[str, Any]:
        environ = {**os.environ, **self.connection_environment()}
        host = PluginHost()
        try:
            # like `coinstream ingest`: [source], [kafka] and the core sections, not the processor's parts
            pipeline = load_pipeline(self.pipeline, host.registry, environ=environ, components=INGEST_COMPONENTS)
        except ConfigError as error:
            raise AirflowFailException(f"pipeline {self.pipeline} is not valid: {error}") from None
        options = IngestOptions(duration_s=self.duration_s, max_trades=self.max_trades,
                                metrics_interval_s=self.metrics_interval)
        started_at = datetime.now(UTC)
        try:
            report = asyncio.run(Ingestor(pipeline, host.hook, options).run())
        except (TopicMismatchError, SourceFatalError) as error:
            # retrying cannot help: the topics, or what the source refused (a key, a subscription), must be fixed first
            raise AirflowFailException(str(error)) from None
        summary = {**dataclasses.asdict(report), "started_at": started_at.isoformat()}
        log.info("ingest_task_finished", **summary)
        if not report.clean:
            raise AirflowException(
                f"the ingestor sent {report.trades_sent} trades but {report.failed} failed and {report.pending} "
                f"were not acknowledged (stopped by {report.reason}); check the brokers (`coinstream stack status` "
                "locally) and retry: the trade ids make a replay idempotent downstream")
        return summary
