"""The idempotent producer against the real cluster: volume, order per key, dead letters."""

from __future__ import annotations

from collections import defaultdict

import pytest
from confluent_kafka.admin import AdminClient

from coinstream.core import DeadLetter
from coinstream.core.kafka import TradeAvroCodec, TradeProducer, admin_config, ensure_topics, pipeline_topics

from ..trades import sequenced_trades

pytestmark = pytest.mark.stack


def make_producer(settings) -> tuple[TradeProducer, TradeAvroCodec]:
    ensure_topics(AdminClient(admin_config(settings)), pipeline_topics(settings))
    codec = TradeAvroCodec.for_kafka(settings)
    return TradeProducer(settings, codec), codec


def test_100k_trades_are_all_acknowledged_and_read_back_in_order_per_key(kafka_settings, read_back):
    producer, codec = make_producer(kafka_settings)
    trades = sequenced_trades(100_000)

    for start in range(0, len(trades), 5_000):
        producer.send(trades[start:start + 5_000])
    assert producer.flush(120) == 0

    assert producer.stats.trades_acked == 100_000
    assert producer.stats.failed == 0 and producer.stats.pending == 0
    messages = read_back(kafka_settings.bootstrap_servers, kafka_settings.trades_topic, 100_000).messages
    decoded = [(m.key().decode(), m.partition(), m.offset(), codec.decode(m.value())) for m in messages]
    assert len(decoded) == 100_000
    assert {trade.trade_id for *_, trade in decoded} == {t.trade_id for t in trades}
    by_key: dict[str, list[tuple[int, int, float]]] = defaultdict(list)
    for key, partition, offset, trade in decoded:
        assert key == trade.ticker
        by_key[key].append((partition, offset, trade.size))
    for key, rows in by_key.items():
        assert len({partition for partition, _, _ in rows}) == 1, f"{key} spread over partitions"
        sequence = [size for _, _, size in sorted(rows)]
        assert sequence == sorted(sequence), f"{key} out of order"


def test_dead_letters_carry_the_raw_input_and_the_reason_in_headers(kafka_settings, read_back):
    producer, _ = make_producer(kafka_settings)
    letter = DeadLetter(source="tiingo", reason="price: expected a positive number, got -3.0",
                        raw=b'{"messageType":"A","data":["T","btcusd","2026-09-06T03:55:54+00:00","gdax",1,-3.0]}',
                        session_id="s-42", frame_sequence=17, received_time=1_788_000_000_000_000)

    producer.send([letter, *sequenced_trades(2)])
    assert producer.flush(60) == 0

    assert producer.stats.dead_letters_acked == 1 and producer.stats.trades_acked == 2
    messages = read_back(kafka_settings.bootstrap_servers, kafka_settings.dead_letter_topic, 1).messages
    assert len(messages) == 1
    message = messages[0]
    headers = {key: value for key, value in message.headers()}
    assert message.value() == letter.raw
    assert message.key() == b"tiingo"
    assert headers["coinstream.reason"] == b"price: expected a positive number, got -3.0"
    assert headers["coinstream.source"] == b"tiingo"
    assert headers["coinstream.session_id"] == b"s-42"
    assert headers["coinstream.frame_sequence"] == b"17"
