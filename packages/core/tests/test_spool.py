"""The spool's segment files on their own, no Kafka: append, acknowledge, delete, reopen, torn tails."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from coinstream.core.ingest.spool import Spool, SpoolLockedError, default_spool_dir, frame, read_records
from coinstream.core.kafka import DEAD_LETTER, TRADE, OutboundMessage


def trade_message(index: int, value_bytes: int = 90) -> OutboundMessage:
    value = b"\x00\x00\x00\x00\x07" + index.to_bytes(8, "big") + b"v" * (value_bytes - 13)
    return TRADE, b"btcusdt", value, 1_788_000_000_000 + index, None


def dead_letter_message(index: int) -> OutboundMessage:
    return (DEAD_LETTER, b"tiingo", b'{"not": "a trade"}' + str(index).encode(), 1_788_000_000_000,
            [("coinstream.reason", b"price: expected a number, got 'x'"), ("coinstream.session_id", b"s-1")])


def append(spool: Spool, messages: list[OutboundMessage]):
    parts: list[bytes] = []
    for message in messages:
        frame(message, parts)
    return spool.append(b"".join(parts), len(messages))


def read_all(spool: Spool) -> list[OutboundMessage]:
    messages: list[OutboundMessage] = []
    segment = spool.first()
    while segment is not None:
        offset = 0
        while offset < spool.readable_end(segment):
            result = spool.read(segment, offset, 1_000)
            messages.extend(result.messages)
            offset += result.consumed
            if not result.records:
                break
        segment = spool.after(segment)
    return messages


def segment_files(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.glob("*.spool"))


def test_records_read_back_byte_for_byte_with_their_headers(tmp_path):
    spool = Spool(tmp_path, 1 << 20).open()
    messages = [trade_message(0), dead_letter_message(1), trade_message(2, value_bytes=5_000)]
    segment, start = append(spool, messages)
    spool.sync()

    assert start == 0 and segment.records == 3 and spool.records == 3
    assert read_all(spool) == messages
    assert spool.bytes == os.path.getsize(segment.path)


def test_a_segment_file_is_deleted_once_every_record_is_acknowledged_and_it_is_no_longer_active(tmp_path):
    spool = Spool(tmp_path, 1 << 20, roll_after_s=0.0).open()
    first, _ = append(spool, [trade_message(i) for i in range(3)])
    second, _ = append(spool, [trade_message(i) for i in range(3, 5)])  # older than 0 s: a new segment

    assert first is not second and first.closed and not second.closed
    spool.acknowledge(first, 2)
    assert first.path.exists()  # one record of it is still out
    spool.acknowledge(second, 2)
    assert second.path.exists()  # acknowledged, but still the active segment
    spool.acknowledge(first)  # acknowledgements come in any order across partitions
    assert not first.path.exists()
    assert spool.records == 0 and spool.bytes == os.path.getsize(second.path)


def test_a_reopened_spool_resends_what_was_not_acknowledged_in_the_order_it_was_written(tmp_path):
    spool = Spool(tmp_path, 1 << 20, roll_after_s=0.0).open()
    batches = [[trade_message(i) for i in range(start, start + 4)] for start in range(0, 12, 4)]
    segments = [append(spool, batch)[0] for batch in batches]
    spool.acknowledge(segments[0], 4)  # the first batch is in Kafka: its file goes
    spool.close()  # as after a stop with Kafka down: the rest stays

    reopened = Spool(tmp_path, 1 << 20).open()

    assert reopened.recovered_records == 8 and reopened.records == 8
    assert read_all(reopened) == batches[1] + batches[2]


def test_closing_a_fully_acknowledged_spool_leaves_no_file_behind(tmp_path):
    folder = tmp_path / "spool"
    spool = Spool(folder, 1 << 20).open()
    segment, _ = append(spool, [trade_message(0)])
    spool.acknowledge(segment)
    spool.close()

    assert not folder.exists()


@pytest.mark.parametrize("cut", [3, 20, 60])  # inside the prefix, inside the body, one byte short
def test_a_torn_last_record_is_skipped_with_a_warning_and_the_records_before_it_are_kept(tmp_path, cut):
    spool = Spool(tmp_path, 1 << 20).open()
    segment, _ = append(spool, [trade_message(0), trade_message(1)])
    spool.close()
    parts: list[bytes] = []
    size = frame(trade_message(2), parts)
    with open(segment.path, "ab") as file:  # what a SIGKILL in the middle of write() leaves
        file.write(b"".join(parts)[:min(cut, size - 1)])

    with capture_logs() as logs:
        reopened = Spool(tmp_path, 1 << 20).open()

    assert read_all(reopened) == [trade_message(0), trade_message(1)]
    warnings = [entry for entry in logs if entry["event"] == "spool_record_skipped"]
    assert len(warnings) == 1 and warnings[0]["bytes_skipped"] == min(cut, size - 1)
    assert warnings[0]["segment"] == segment.path.name


def test_a_damaged_record_stops_reading_its_segment_with_a_warning(tmp_path):
    spool = Spool(tmp_path, 1 << 20).open()
    segment, _ = append(spool, [trade_message(0), trade_message(1), trade_message(2)])
    spool.close()
    data = bytearray(segment.path.read_bytes())
    second = len(data) // 3
    data[second + 30] ^= 0xFF  # a flipped bit inside the second record's body
    segment.path.write_bytes(bytes(data))

    with capture_logs() as logs:
        reopened = Spool(tmp_path, 1 << 20).open()

    assert read_all(reopened) == [trade_message(0)]
    assert "CRC" in next(entry for entry in logs if entry["event"] == "spool_record_skipped")["problem"]


def test_a_segment_with_nothing_whole_in_it_is_removed_at_open(tmp_path):
    (tmp_path / f"{1:020d}.spool").write_bytes(b"\x10\x00")

    spool = Spool(tmp_path, 1 << 20).open()

    assert spool.recovered_records == 0 and spool.first() is not None and spool.first().sequence == 2
    assert segment_files(tmp_path) == [f"{2:020d}.spool"]


def test_the_size_bound_counts_bytes_on_disk_and_an_acknowledged_active_segment_can_make_room(tmp_path):
    spool = Spool(tmp_path, 1 << 20).open()
    segment, _ = append(spool, [trade_message(i, value_bytes=100_000) for i in range(10)])

    assert spool.full(100_000)
    assert not Spool(tmp_path / "empty", 1 << 20).open().full(5 << 20)  # an empty spool takes any batch
    spool.acknowledge(segment, 10)
    spool.make_room()  # the active segment is all acknowledged: closed, and its file deleted
    assert not spool.full(100_000) and spool.bytes == 0 and not segment.path.exists()


def test_reads_see_only_fsynced_records_when_the_sync_policy_is_per_batch(tmp_path):
    spool = Spool(tmp_path, 1 << 20, durable_reads=True).open()
    segment, _ = append(spool, [trade_message(0)])
    assert spool.read(segment, 0, 10).records == 0
    spool.sync()
    assert spool.read(segment, 0, 10).messages == [trade_message(0)]


def test_a_second_process_cannot_open_the_same_spool(tmp_path):
    Spool(tmp_path, 1 << 20).open()
    with pytest.raises(SpoolLockedError, match=rf"in use by another ingestor \(pid {os.getpid()}\).*spool_dir"):
        Spool(tmp_path, 1 << 20).open()


def test_records_over_a_read_chunk_are_read_whole(tmp_path):
    spool = Spool(tmp_path, 64 << 20).open()
    messages = [trade_message(0, value_bytes=3 << 20), trade_message(1)]
    append(spool, messages)
    spool.sync()
    assert read_all(spool) == messages


def test_read_records_reports_a_cut_buffer_apart_from_a_damaged_one():
    parts: list[bytes] = []
    frame(trade_message(0), parts)
    data = b"".join(parts)
    assert read_records(data[:-1]).cut
    damaged = bytearray(data)
    damaged[-1] ^= 1
    result = read_records(bytes(damaged))
    assert not result.cut and result.problem is not None and result.records == 0


def test_the_default_folder_is_per_pipeline_under_the_state_folder(tmp_path):
    assert default_spool_dir("local", {"XDG_STATE_HOME": str(tmp_path)}) == tmp_path / "coinstream/spool/local"
    assert default_spool_dir("local", {}) == Path.home() / ".local/state/coinstream/spool/local"
