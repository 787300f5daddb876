"""A broker killed (SIGKILL) while producing and consuming: nothing lost, and it comes back."""

from __future__ import annotations

import threading
import time

import pytest
from confluent_kafka.admin import AdminClient

from coinstream.core.kafka import TradeAvroCodec, TradeProducer, admin_config, ensure_topics, pipeline_topics

from ..trades import sequenced_trades

pytestmark = [pytest.mark.stack, pytest.mark.faults]

TOTAL = 60_000
VICTIM = 2


def test_sigkill_of_one_broker_loses_no_acknowledged_record(local_stack, kafka_settings, read_back):
    ensure_topics(AdminClient(admin_config(kafka_settings)), pipeline_topics(kafka_settings))
    codec = TradeAvroCodec.for_kafka(kafka_settings)
    producer = TradeProducer(kafka_settings, codec)
    trades = sequenced_trades(TOTAL, session="broker-kill")
    consumed: list = []

    def consume() -> None:
        consumed.extend(read_back(kafka_settings.bootstrap_servers, kafka_settings.trades_topic, TOTAL,
                                  timeout_s=240).messages)

    consumer_thread = threading.Thread(target=consume)
    consumer_thread.start()
    try:
        for index, start in enumerate(range(0, TOTAL, 1_000)):
            producer.send(trades[start:start + 1_000])
            if index == 20:  # a third of the way in
                local_stack.kill_broker(VICTIM)
            time.sleep(0.01)
        assert producer.flush(180) == 0
    finally:
        local_stack.start_broker(VICTIM, wait=True)
        consumer_thread.join(timeout=300)

    assert producer.stats.failed == 0
    assert producer.stats.trades_acked == TOTAL
    ids = {codec.decode(m.value()).trade_id for m in consumed}
    assert ids == {t.trade_id for t in trades}
    # the restarted broker is back in the ISR of every partition of the test topic
    metadata = AdminClient(admin_config(kafka_settings)).list_topics(kafka_settings.trades_topic, timeout=30)
    deadline = time.monotonic() + 120
    while True:
        partitions = metadata.topics[kafka_settings.trades_topic].partitions.values()
        if all(VICTIM in p.isrs for p in partitions) or time.monotonic() > deadline:
            break
        time.sleep(2)
        metadata = AdminClient(admin_config(kafka_settings)).list_topics(kafka_settings.trades_topic, timeout=30)
    assert all(set(p.isrs) == {1, 2, 3} for p in partitions)
