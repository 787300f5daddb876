"""The lag sensor against the real Kafka cluster of the local stack: a group, and a Spark checkpoint."""

from __future__ import annotations

import json
import uuid

import pytest
from coinstream.airflow.sensors.consumer_lag import ConsumerLagSensor
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

pytestmark = [pytest.mark.airflow, pytest.mark.stack]


@pytest.fixture
def topic(local_stack, monkeypatch) -> str:
    """A 2-partition topic holding 10 records on partition 0 and 4 on partition 1."""
    monkeypatch.setenv("AIRFLOW_CONN_COINSTREAM_KAFKA_DEFAULT", json.dumps(
        {"conn_type": "coinstream_kafka", "host": local_stack.bootstrap_servers}))
    name = f"test.airflow.lag.{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": local_stack.bootstrap_servers})
    admin.create_topics([NewTopic(name, num_partitions=2, replication_factor=3)])[name].result(30)
    producer = Producer({"bootstrap.servers": local_stack.bootstrap_servers, "acks": "all"})
    for index in range(14):
        producer.produce(name, value=f"record {index}".encode(), partition=0 if index < 10 else 1)
    assert producer.flush(30) == 0
    return name


def commit(bootstrap_servers: str, group: str, topic: str, offsets: dict[int, int]) -> None:
    consumer = Consumer({"bootstrap.servers": bootstrap_servers, "group.id": group, "enable.auto.commit": False})
    consumer.commit(offsets=[TopicPartition(topic, p, o) for p, o in offsets.items()], asynchronous=False)
    consumer.close()


def test_the_sensor_waits_until_the_group_is_close_enough(local_stack, topic):
    group = f"test-airflow-{uuid.uuid4().hex[:6]}"
    sensor = ConsumerLagSensor(task_id="lag", topic=topic, group_id=group, max_lag=3)
    first = sensor.poke({})
    assert (first.is_done, first.xcom_value["lag"], first.xcom_value["partitions"]) == (False, 14, {"0": 10, "1": 4})
    commit(local_stack.bootstrap_servers, group, topic, {0: 8, 1: 3})
    caught_up = sensor.poke({})
    assert (caught_up.is_done, caught_up.xcom_value["lag"]) == (True, 3)


def test_the_sensor_reads_a_spark_checkpoint(local_stack, topic, tmp_path):
    checkpoint = tmp_path / "delta-trades"
    sensor = ConsumerLagSensor(task_id="lag", topic=topic, checkpoint=str(checkpoint), max_lag=0)
    assert sensor.poke({}).is_done is False  # no committed batch yet
    (checkpoint / "offsets").mkdir(parents=True)
    (checkpoint / "commits").mkdir()
    (checkpoint / "offsets" / "0").write_text(f'v1\n{{"batchWatermarkMs":0}}\n{{"{topic}":{{"0":10,"1":4}}}}')
    (checkpoint / "commits" / "0").write_text('v1\n{"nextBatchWatermarkMs":0}')
    result = sensor.poke({})
    assert (result.is_done, result.xcom_value["lag"]) == (True, 0)
    assert result.xcom_value["reader"] == f"checkpoint {checkpoint} batch 0"
