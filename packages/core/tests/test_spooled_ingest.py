"""The ingestor with its spool against a stand-in for librdkafka (no Kafka): Kafka down, a full
local queue, a full spool, failed and refused deliveries, a restart that re-sends the spool, and
the feed gaps the ingestor records itself (its absence after a stop or a kill, a full spool)."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException
from structlog.testing import capture_logs

from coinstream.core import DeadLetter, FeedGap, Pipeline, PipelineConfig, SourceStats, Trade, derive_trade_id
from coinstream.core.config import IngestSettings, KafkaSettings
from coinstream.core.ingest import IngestOptions, Ingestor
from coinstream.core.kafka import FeedGapAvroCodec, TradeAvroCodec, TradeProducer
from coinstream.core.plugins import PluginHost


class FakeMessage:
    def __init__(self, topic: str, key: bytes, value: bytes, timestamp: int,
                 headers: list[tuple[str, bytes]] | None) -> None:
        self._topic, self._key, self._value, self._timestamp, self._headers = topic, key, value, timestamp, headers

    def topic(self) -> str:
        return self._topic

    def key(self) -> bytes:
        return self._key

    def value(self) -> bytes:
        return self._value

    def timestamp(self) -> tuple[int, int]:
        return 1, self._timestamp

    def headers(self) -> list[tuple[str, bytes]] | None:
        return self._headers


class FakeKafka:
    """``down``: nothing is delivered; ``capacity``: librdkafka's queue size; ``max_bytes``: the
    size limit; ``fail_next``: that many deliveries fail with ``failure``."""

    def __init__(self, capacity: int = 1_000_000, max_bytes: int = 1_000_000) -> None:
        self.down = False
        self.capacity = capacity
        self.max_bytes = max_bytes
        self.fail_next = 0
        self.failure = KafkaError._MSG_TIMED_OUT
        self.queue: list[tuple[FakeMessage, Callable[..., None]]] = []
        self.delivered: list[FakeMessage] = []
        self.produced: list[FakeMessage] = []
        self.purged = 0

    def produce(self, topic: str, value: bytes, key: bytes, timestamp: int, headers: Any,
                on_delivery: Callable[..., None]) -> None:
        if len(value) > self.max_bytes:
            raise KafkaException(KafkaError(KafkaError.MSG_SIZE_TOO_LARGE))
        if len(self.queue) >= self.capacity:
            raise BufferError("Local: Queue full")
        message = FakeMessage(topic, key, value, timestamp, headers)
        self.produced.append(message)
        self.queue.append((message, on_delivery))

    def poll(self, timeout: float = 0.0) -> int:
        if self.down or not self.queue:
            if timeout:
                time.sleep(timeout)
            return 0
        served, self.queue = self.queue, []
        for message, callback in served:
            if self.fail_next:
                self.fail_next -= 1
                callback(KafkaError(self.failure), message)
            else:
                self.delivered.append(message)
                callback(None, message)
        return len(served)

    def flush(self, timeout: float = 0.0) -> int:
        self.poll()
        return len(self.queue)

    def purge(self, in_queue: bool = True, in_flight: bool = True, blocking: bool = True) -> None:
        self.purged += len(self.queue)
        for message, callback in self.queue:
            callback(KafkaError(KafkaError._PURGE_QUEUE), message)
        self.queue = []


class FakeRegistry:
    def register_schema(self, subject: str, schema: Any) -> int:
        return 7


def make_trades(count: int, start: int = 0, session: str = "s") -> list[Trade]:
    now = 1_788_000_000_000_000
    return [Trade(derive_trade_id("unit", session, index), "btcusdt", "binance", 1.0, float(index), now, now, "unit")
            for index in range(start, start + count)]


class ListSource:
    """Yields the given batches, then waits until closed (or ends at once when ``end``)."""

    def __init__(self, batches: Sequence[Sequence[object]], end: bool = True, pause_s: float = 0.0) -> None:
        self.stats = SourceStats()
        self._batches = list(batches)
        self._end = end
        self._pause_s = pause_s
        self._closed = False
        self.yielded = 0

    async def batches(self) -> AsyncIterator[Sequence[object]]:
        for batch in self._batches:
            if self._closed:
                return
            self.yielded += 1
            yield batch
            await asyncio.sleep(self._pause_s)
        while not self._end and not self._closed:
            await asyncio.sleep(0.01)

    async def close(self) -> None:
        self._closed = True


def pipeline_for(spool_dir: str, **ingest: Any) -> Pipeline:
    kafka = KafkaSettings(trades_topic="unit.trades", dead_letter_topic="unit.dlq")
    return Pipeline(config=PipelineConfig(kafka=kafka, ingest=IngestSettings(spool_dir=spool_dir, **ingest)))


def producer_on(kafka: FakeKafka, spooled: bool = True) -> TradeProducer:
    settings = KafkaSettings(trades_topic="unit.trades", dead_letter_topic="unit.dlq")
    return TradeProducer(settings, TradeAvroCodec(FakeRegistry(), "unit.trades-value"), kafka, spooled=spooled)


class DrainingSource(ListSource):
    """Yields a batch every 10 ms until closed, then the ``inbox`` batches it still holds, then ends."""

    def __init__(self, inbox: int) -> None:
        super().__init__([])
        self.inbox = inbox
        self.sent: list[str] = []

    async def batches(self) -> AsyncIterator[Sequence[object]]:
        index = 0
        while not self._closed or self.inbox:
            if self._closed:
                self.inbox -= 1
            batch = make_trades(50, index)
            index += 50
            self.sent.extend(t.trade_id for t in batch)
            yield batch
            await asyncio.sleep(0.01)


def ids(kafka: FakeKafka, codec: TradeAvroCodec, topic: str = "unit.trades") -> list[str]:
    return [codec.decode(m.value()).trade_id for m in kafka.delivered if m.topic() == topic]


def codec() -> TradeAvroCodec:
    return TradeAvroCodec(FakeRegistry(), "unit.trades-value")


async def ingest(pipeline: Pipeline, kafka: FakeKafka, source: ListSource, *, spooled: bool = True,
                 on_metrics: Callable[[dict[str, Any]], None] | None = None, stop_budget_s: float = 3.0, **options: Any):
    ingestor = Ingestor(pipeline, PluginHost(autoload=False).hook,
                        IngestOptions(metrics_interval_s=0.05, tune_gc=False, ensure_topics=False,
                                      on_metrics=on_metrics, stop_budget_s=stop_budget_s, **options),
                        source=source, producer=producer_on(kafka, spooled=spooled))
    return await ingestor.run()


@pytest.mark.parametrize("sync", ["batch", "interval"])
@pytest.mark.timeout(60)  # stopping waits for no flush (120 s): what Kafka did not take stays spooled
async def test_with_kafka_down_the_loop_stays_free_and_the_next_start_resends_the_spool_byte_for_byte(tmp_path, sync):
    spool_dir = str(tmp_path / "spool")
    kafka = FakeKafka(capacity=300)
    kafka.down = True
    source = ListSource([make_trades(100, start) for start in range(0, 2_000, 100)], end=False)
    ticks: list[dict[str, Any]] = []

    report = await ingest(pipeline_for(spool_dir, spool_sync=sync), kafka, source, on_metrics=ticks.append,
                          stop_budget_s=0.5, duration_s=0.5)

    assert source.yielded == 20  # every batch read although librdkafka's queue held 300
    assert len(ticks) >= 3 and ticks[-1]["spool_records"] == 2_000  # metrics flowed meanwhile
    assert report.trades_acked == 0 and report.failed == 0
    assert report.spool_records == 2_000 and report.pending == 2_000
    first_attempt = [(m.key(), m.value(), m.timestamp()) for m in kafka.produced]
    assert len(first_attempt) == 300 and kafka.purged == 300

    again = FakeKafka()
    report = await ingest(pipeline_for(spool_dir, spool_sync=sync), again, ListSource([]))

    assert report.resent_on_start == 2_000 and report.trades_acked == 2_000 and report.clean
    assert ids(again, codec()) == [t.trade_id for batch in source._batches for t in batch]  # in order
    assert [(m.key(), m.value(), m.timestamp()) for m in again.delivered[:300]] == first_attempt
    # All acknowledged: no segment left behind, only the read mark for the next start's gap.
    assert [path.name for path in (tmp_path / "spool").iterdir()] == ["read_mark"]


async def test_a_full_spool_stops_reading_the_feed_until_kafka_acknowledges_with_one_warning(tmp_path):
    kafka = FakeKafka()
    kafka.down = True
    batches = [make_trades(500, start) for start in range(0, 20_000, 500)]  # about 2.6 MiB spooled
    source = ListSource(batches)

    with capture_logs() as logs:
        run = asyncio.create_task(ingest(pipeline_for(str(tmp_path), spool_max_bytes=1 << 20), kafka, source))
        await asyncio.sleep(1.0)
        read_while_down = source.yielded
        kafka.down = False
        report = await run

    assert read_while_down < len(batches) // 2  # the feed was not read while the spool was full
    # One episode, measured (how long it lasted depends on how fast this machine filled the spool: not asserted)
    assert report.spool_full_episodes == 1 and report.spool_full_s > 0 and report.gaps == 1
    assert report.trades_acked == 20_000 and report.clean
    assert ids(kafka, codec()) == [t.trade_id for batch in batches for t in batch]
    full = [entry for entry in logs if entry["event"] == "spool_full"]
    assert len(full) == 1 and full[0]["spool_bytes"] <= (1 << 20) and full[0]["max_bytes"] == 1 << 20
    # The episode is a gap, sent after the batch that was read before the spool filled.
    (gap,) = feed_gaps(kafka)
    assert (gap.reason, gap.source, gap.gap_start) == ("spool full", "unit", batches[0][-1].ingest_time)
    assert gap.gap_end > gap.gap_start and report.feed_gaps_acked == 1


async def test_failed_deliveries_stay_in_the_spool_are_sent_again_and_logged_once_per_outage(tmp_path):
    kafka = FakeKafka()
    kafka.fail_next = 500
    trades = make_trades(1_000)

    with capture_logs() as logs:
        report = await ingest(pipeline_for(str(tmp_path)), kafka, ListSource([trades[:500], trades[500:]]))

    assert report.trades_acked == 1_000 and report.failed == 0 and report.retried == 500 and report.clean
    assert sorted(ids(kafka, codec())) == sorted(t.trade_id for t in trades)  # each once, none lost
    events = [entry["event"] for entry in logs]
    assert events.count("kafka_unavailable") == 1 and events.count("kafka_available") == 1
    assert "delivery_failed" not in events
    assert report.kafka_outages == 1


async def test_a_message_kafka_refuses_as_too_large_becomes_a_truncated_dead_letter_and_the_run_goes_on(tmp_path):
    kafka = FakeKafka(max_bytes=100_000)
    letter = DeadLetter(source="unit", reason="frame: not JSON", raw=b"x" * 200_000, session_id="s-1",
                        frame_sequence=3)
    huge_trade = Trade(derive_trade_id("unit", "s", 99), "x" * 150_000, "binance", 1.0, 1.0, 1, 1, "unit")
    trades = make_trades(10)

    report = await ingest(pipeline_for(str(tmp_path)), kafka, ListSource([[trades[0], letter, huge_trade],
                                                                          trades[1:]]))

    assert report.trades_acked == 10 and report.dead_letters_acked == 2 and report.truncated == 2
    assert report.failed == 0 and report.clean
    letters = [m for m in kafka.delivered if m.topic() == "unit.dlq"]
    by_kind = {dict(m.headers())["coinstream.original_kind"]: m for m in letters}
    cut = by_kind[b"dead_letter"]
    headers = dict(cut.headers())
    assert cut.value() == letter.raw[:65_536]
    assert headers["coinstream.original_size"] == b"200000"
    assert b"refused by Kafka" in headers["coinstream.reason"]
    assert headers["coinstream.reason"].endswith(b"original reason: frame: not JSON")
    assert headers["coinstream.session_id"] == b"s-1"
    assert len(by_kind[b"trade"].value()) == 65_536


async def test_without_the_spool_a_full_queue_waits_without_blocking_the_loop(tmp_path):
    kafka = FakeKafka(capacity=100)
    kafka.down = True
    source = ListSource([make_trades(100, start) for start in range(0, 1_000, 100)])
    ticks: list[dict[str, Any]] = []

    run = asyncio.create_task(ingest(pipeline_for(str(tmp_path), spool_enabled=False), kafka, source,
                                     spooled=False, on_metrics=ticks.append))
    await asyncio.sleep(0.5)
    assert source.yielded == 2 and len(ticks) >= 3  # waiting on the second batch, metrics still flowing
    kafka.down = False
    report = await run

    assert report.trades_acked == 1_000 and report.clean and not report.spooled
    assert not (tmp_path / "spool").exists() and not list(tmp_path.iterdir())


class EndlessSource(ListSource):
    """Ignores close(): yields a batch at every turn of the loop until cancelled."""

    def __init__(self) -> None:
        super().__init__([])
        self.sent: list[str] = []

    async def batches(self) -> AsyncIterator[Sequence[object]]:
        index = 0
        while True:
            batch = make_trades(20, index)
            index += 20
            self.sent.extend(t.trade_id for t in batch)
            yield batch
            await asyncio.sleep(0)


async def test_a_source_that_never_ends_is_cut_off_and_every_batch_it_yielded_is_still_sent(tmp_path):
    kafka = FakeKafka()
    source = EndlessSource()

    with capture_logs() as logs:
        report = await ingest(pipeline_for(str(tmp_path)), kafka, source, duration_s=0.2, stop_budget_s=1.0)

    assert "source_drain_timeout" in [entry["event"] for entry in logs]
    # Cut off in the middle of a batch's fsync or not, each batch it yielded went to Kafka in this run.
    assert report.spool_records == 0 and report.clean
    assert set(ids(kafka, codec())) == set(source.sent[:report.trades_acked]) and report.trades_acked >= 20


async def test_every_batch_the_source_yields_after_close_is_spooled_and_sent(tmp_path):
    kafka = FakeKafka()
    source = DrainingSource(inbox=5)

    report = await ingest(pipeline_for(str(tmp_path)), kafka, source, duration_s=0.2)

    assert source.inbox == 0  # it handed over what it still held
    assert ids(kafka, codec()) == source.sent
    assert report.trades_acked == len(source.sent) and report.clean


GAPS_TOPIC = "crypto.feed_gaps.v1"
T0 = 1_788_000_000_000_000


def feed_gaps(kafka: FakeKafka) -> list[FeedGap]:
    gap_codec = FeedGapAvroCodec(FakeRegistry(), f"{GAPS_TOPIC}-value")
    return [gap_codec.decode(m.value()) for m in kafka.delivered if m.topic() == GAPS_TOPIC]


def trades_read_at(first_us: int, count: int, session: str) -> list[Trade]:
    """Trades read one microsecond apart from ``first_us``."""
    return [Trade(derive_trade_id("unit", session, index), "btcusdt", "binance", 1.0, 1.0, first_us + index,
                  first_us + index, "unit") for index in range(count)]


def source_of(session: str, *batches: list[Trade]) -> ListSource:
    source = ListSource(list(batches))
    source.stats.session_id = session
    return source


async def test_a_start_after_a_clean_stop_sends_the_gap_of_the_ingestors_absence_before_its_first_batch(tmp_path):
    spool_dir = str(tmp_path / "spool")
    before = trades_read_at(T0, 100, "s-1")
    await ingest(pipeline_for(spool_dir), FakeKafka(), source_of("s-1", before[:50], before[50:]))

    kafka = FakeKafka()
    after = trades_read_at(T0 + 90_000_000, 100, "s-2")
    report = await ingest(pipeline_for(spool_dir), kafka, source_of("s-2", after))

    (gap,) = feed_gaps(kafka)
    assert kafka.delivered[0].topic() == GAPS_TOPIC  # before the first batch of this run
    assert (gap.source, gap.session_id, gap.reason) == ("unit", "s-1", "ingestor stopped")
    assert (gap.gap_start, gap.gap_end) == (before[-1].ingest_time, after[0].ingest_time)
    assert gap.seconds == pytest.approx(89.999901)
    assert report.feed_gaps_acked == 1 and report.gaps == 1 and report.trades_acked == 100 and report.clean


def _killed_run(spool_dir: str) -> None:
    """A child process: an ingestor that reads two batches and is killed with SIGKILL in the middle."""

    class KilledSource(ListSource):
        async def batches(self):
            async for batch in super().batches():
                yield batch
            os.kill(os.getpid(), signal.SIGKILL)

    source = KilledSource([trades_read_at(T0, 50, "s-killed"), trades_read_at(T0 + 1_000, 50, "s-killed")])
    source.stats.session_id = "s-killed"
    asyncio.run(ingest(pipeline_for(spool_dir), FakeKafka(), source, stop_budget_s=30.0))


def test_a_start_after_a_kill_sends_an_ingestor_killed_gap_and_a_gap_left_in_the_spool_is_sent_again(tmp_path):
    spool_dir = str(tmp_path / "spool")
    child = multiprocessing.get_context("fork").Process(target=_killed_run, args=(spool_dir,))
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL
    assert (tmp_path / "spool" / "read_mark").exists()  # the spool folder, without a clean stop

    down = FakeKafka()
    down.down = True
    after = trades_read_at(T0 + 30_000_000, 10, "s-new")
    report = asyncio.run(ingest(pipeline_for(spool_dir), down, source_of("s-new", after), stop_budget_s=0.3))
    assert report.feed_gaps_sent == 1 and report.feed_gaps_acked == 0 and report.spool_records >= 11

    kafka = FakeKafka()
    asyncio.run(ingest(pipeline_for(spool_dir), kafka, ListSource([])))  # re-sends the spool, reads nothing
    (gap,) = feed_gaps(kafka)
    assert (gap.source, gap.session_id, gap.reason) == ("unit", "s-killed", "ingestor killed")
    assert (gap.gap_start, gap.gap_end) == (T0 + 1_049, after[0].ingest_time)
    first_send = [m.value() for m in down.produced if m.topic() == GAPS_TOPIC]
    assert first_send == [m.value() for m in kafka.delivered if m.topic() == GAPS_TOPIC]  # byte for byte
