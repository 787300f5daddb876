"""Wait until a reader of a Kafka topic is at most ``max_lag`` records behind."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import structlog
from coinstream.airflow.arguments import non_empty, whole_number
from coinstream.airflow.hooks.kafka import CoinstreamKafkaHook, ConsumerLag
from coinstream.airflow.hooks.s3 import s3_access
from coinstream.airflow.spark_checkpoint import CheckpointError, committed_offsets

from airflow.sdk import BaseSensorOperator, Context, PokeReturnValue

log = structlog.get_logger(__name__)


class ConsumerLagSensor(BaseSensorOperator):
    """Succeed once the lag on ``topic`` is at most ``max_lag``; the XCom is the lag per partition.

    The reader is either a consumer ``group_id`` (committed offsets in Kafka) or a Spark query's
    ``checkpoint`` folder: the processor keeps its offsets there, not in a group, so its lag is
    measured from the checkpoint's last committed batch (local path or ``s3a://``, with
    ``aws_conn_id``). A checkpoint without a committed batch counts as "not there yet".

    :param topic: the topic read, e.g. ``crypto.trades.v1``; templated.
    :param max_lag: records behind, summed over partitions, that still count as caught up.
    """

    template_fields: Sequence[str] = ("topic", "group_id", "checkpoint")
    ui_color = "#fff2cc"

    def __init__(self, *, topic: str, max_lag: int, group_id: str | None = None, checkpoint: str | None = None,
                 kafka_conn_id: str = CoinstreamKafkaHook.default_conn_name, aws_conn_id: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        non_empty(topic, "topic", "the topic the reader consumes, e.g. crypto.trades.v1")
        whole_number(max_lag, "max_lag", minimum=0, unit="records behind", optional=False)
        if (group_id is None) == (checkpoint is None):
            raise ValueError("pass exactly one reader: group_id= (a consumer group) or checkpoint= (a Spark "
                             f"query's checkpoint folder); got group_id={group_id!r}, checkpoint={checkpoint!r}")
        self.topic = topic
        self.max_lag = max_lag
        self.group_id = group_id
        self.checkpoint = checkpoint
        self.kafka_conn_id = kafka_conn_id
        self.aws_conn_id = aws_conn_id

    def measure(self) -> ConsumerLag | None:
        """The reader's current lag, or None when a checkpoint has no committed batch yet."""
        kafka = CoinstreamKafkaHook(self.kafka_conn_id)
        if self.group_id is not None:
            return kafka.group_lag(self.group_id, self.topic)
        assert self.checkpoint is not None
        s3 = s3_access(self.aws_conn_id) if self.checkpoint.startswith(("s3a://", "s3://")) else None
        try:
            batch, offsets = committed_offsets(self.checkpoint, s3)
        except CheckpointError as error:
            log.info("checkpoint_not_committed", checkpoint=self.checkpoint, detail=str(error))
            return None
        if self.topic not in offsets:
            raise ValueError(f"the checkpoint {self.checkpoint} reads {sorted(offsets)}, not {self.topic!r}; "
                             "check topic= and checkpoint=")
        return kafka.lag_from_offsets(self.topic, offsets[self.topic], f"checkpoint {self.checkpoint} batch {batch}")

    def poke(self, context: Context) -> PokeReturnValue:
        lag = self.measure()
        if lag is None:
            return PokeReturnValue(is_done=False)
        log.info("consumer_lag_measured", reader=lag.reader, topic=self.topic, lag=lag.total, max_lag=self.max_lag,
                 partitions={p.partition: p.lag for p in lag.partitions})
        payload = {"topic": self.topic, "reader": lag.reader, "lag": lag.total,
                   "partitions": {str(p.partition): p.lag for p in lag.partitions}}
        return PokeReturnValue(is_done=lag.total <= self.max_lag, xcom_value=payload)
