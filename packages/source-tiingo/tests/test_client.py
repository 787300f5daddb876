"""The source against the in-process simulator: every message type and every fault."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
import structlog
from coinstream.core import DeadLetter, FeedGap, SourceFatalError, SourceRecord, Trade
from coinstream.tiingo import Quote, TiingoAuthError, TiingoSubscriptionError
from coinstream.tiingo.simulator import MALFORMED, FaultPlan
from structlog.testing import capture_logs


def trades(records: list[SourceRecord]) -> list[Trade]:
    return [r for r in records if isinstance(r, Trade)]


def feed_gaps(records: list[SourceRecord]) -> list[FeedGap]:
    return [r for r in records if isinstance(r, FeedGap)]


async def test_firehose_trades_flow_with_unique_ids_and_metadata_pairs(simulator_factory, collect, make_source) -> None:
    sim = await simulator_factory()
    source = make_source(sim)
    records = await collect(source, lambda rs: len(rs) >= 500)
    got = trades(records)
    assert len(got) == len(records)  # no dead letters, no quotes at level 5
    assert len({t.trade_id for t in got}) == len(got)
    assert {t.exchange for t in got} <= {
        "huobi",
        "binance",
        "mexc",
        "kucoin",
        "poloniex",
        "okex",
        "bybit",
        "gdax",
        "indodax",
        "bibox",
        "kraken",
        "meteora",
        "uniswapv3polygon",
        "balancer",
        "balancerarbitrum",
        "curvefi3",
        "curvefiarbitrum",
    }
    rules = {t.pair_rule for t in got}
    assert "metadata" in rules
    for trade in got:
        if trade.pair_rule == "metadata":
            assert sim.market.by_name[trade.ticker].base == trade.base_currency
            assert sim.market.by_name[trade.ticker].quote == trade.quote_currency
    assert list(sim.stats.subscribe_requests) == [
        {"eventName": "subscribe", "authorized": True, "eventData": {"thresholdLevel": 5, "tickers": ["*"]}}
    ]
    assert (source.stats.trades, source.stats.dead_letters, source.stats.reconnects) == (len(records), 0, 0)


async def test_ticker_filter_is_sent_and_honoured(simulator_factory, collect, make_source) -> None:
    sim = await simulator_factory()
    wanted = ["btcusdt", "ethusdt"]
    records = await collect(make_source(sim, tickers=wanted), lambda rs: len(rs) >= 100)
    assert {t.ticker for t in trades(records)} <= set(wanted)
    assert {t.ticker for t in trades(records)} == set(wanted)
    assert sim.stats.subscribe_requests[0]["eventData"] == {"thresholdLevel": 5, "tickers": wanted}


async def test_level_two_quotes_are_yielded_only_with_include_quotes(simulator_factory, collect, make_source) -> None:
    sim = await simulator_factory()
    records = await collect(
        make_source(sim, threshold_level=2, include_quotes=True),
        lambda rs: sum(isinstance(r, Quote) for r in rs) >= 20 and len(trades(rs)) >= 20,
    )
    quotes = [r for r in records if isinstance(r, Quote)]
    assert all(q.bid_price <= q.mid_price <= q.ask_price for q in quotes)
    source = make_source(sim, threshold_level=2)
    records = await collect(source, lambda rs: len(rs) >= 50)
    assert not any(isinstance(r, Quote) for r in records)
    assert source.stats.extra["quotes"] > 0


async def test_heartbeats_are_counted_and_keep_a_quiet_connection_alive(simulator_factory, make_source) -> None:
    # 10 trades, then only heartbeats every 50 ms: with a 0.5 s silence limit the connection must live
    sim = await simulator_factory(tickers=50, heartbeat_interval_s=0.05, max_frames=10)
    source = make_source(sim, heartbeat_timeout_s=0.5)
    records: list[SourceRecord] = []

    async def read() -> None:
        async for batch in source.batches():
            records.extend(batch)

    reader = asyncio.create_task(read())
    deadline = time.monotonic() + 10
    while source.stats.extra.get("heartbeats", 0) < 20 and time.monotonic() < deadline and not reader.done():
        await asyncio.sleep(0.02)
    await source.close()
    await asyncio.wait_for(reader, 5)
    assert source.stats.extra["heartbeats"] >= 20  # about a second of heartbeats, twice the silence limit
    assert (source.stats.reconnects, sim.stats.connections, len(trades(records))) == (0, 1, 10)


async def test_a_drop_reconnects_resubscribes_and_yields_the_gap_as_a_record(simulator_factory, make_source) -> None:
    sim = await simulator_factory(faults=FaultPlan(drop_after=200, fault_connections=1))
    source = make_source(sim)
    batches: list[list[SourceRecord]] = []

    async def read() -> None:
        async for batch in source.batches():
            batches.append(batch)
            if sum(map(len, batches)) >= 400:
                return

    with capture_logs() as logs:
        try:
            await asyncio.wait_for(read(), 15)
        finally:
            await source.close()
    assert (sim.stats.drops, sim.stats.subscriptions, source.stats.reconnects, source.stats.gaps) == (1, 2, 1, 1)
    assert sim.stats.subscribe_requests[0] == sim.stats.subscribe_requests[1]
    records = [record for batch in batches for record in batch]
    (gap,) = feed_gaps(records)
    # At the head of the first batch read after the reconnect, from the last frame before the drop
    # (a trade: the 200th data frame) to the first frame after it (the new session's I frame).
    after = next(index for index, batch in enumerate(batches) if batch[0] is gap)
    before = [record for batch in batches[:after] for record in batch]
    first_session, second_session = [e["session_id"] for e in logs if e["event"] == "feed_connected"]
    assert (gap.source, gap.session_id, gap.reason, gap.missing_trades) == (
        "tiingo", first_session, "connection lost", None)
    assert gap.gap_start == before[-1].ingest_time and 0 < len(before) <= 200
    first_after = next(record for batch in batches[after:] for record in batch if isinstance(record, Trade))
    assert gap.gap_start < gap.gap_end <= first_after.ingest_time and gap.gap_end <= gap.recorded_time
    assert source.gaps == [gap] and source.stats.session_id == second_session
    events = [e for e in logs if e["event"] == "feed_gap"]
    assert len(events) == 1 and events[0]["gap_id"] == gap.gap_id and events[0]["reason"] == "connection lost"
    # Frame positions restart in the new session, yet no id repeats: the session id differs.
    got = trades(records)
    assert len({t.trade_id for t in got}) == len(got)
    assert len(got) == len(records) - 1


async def test_polite_close_reconnects_too(simulator_factory, collect, make_source) -> None:
    sim = await simulator_factory(faults=FaultPlan(close_after=50, fault_connections=1))
    source = make_source(sim)
    await collect(source, lambda rs: len(rs) >= 100)
    assert (sim.stats.subscriptions, source.stats.reconnects, source.stats.gaps) == (2, 1, 1)


async def test_heartbeat_silence_triggers_a_reconnect(simulator_factory, collect, make_source) -> None:
    sim = await simulator_factory(heartbeat_interval_s=60, faults=FaultPlan(silence_after=50, fault_connections=1))
    source = make_source(sim, heartbeat_timeout_s=0.3)
    with capture_logs() as logs:
        await collect(source, lambda rs: len(rs) >= 100)
    assert (sim.stats.subscriptions, source.stats.reconnects, source.stats.gaps) == (2, 1, 1)
    assert [e["seconds"] for e in logs if e["event"] == "feed_silent"] == [0.3]
    assert source.gaps[0].reason == "no frame for 0.3 s (heartbeat timeout)"


async def test_rate_limited_subscription_backs_off_then_streams(simulator_factory, collect, make_source) -> None:
    sim = await simulator_factory(faults=FaultPlan(reject_first=1, reject_code=429))
    source = make_source(sim, rate_limited_s=0.05)
    records = await collect(source, lambda rs: len(rs) >= 50)
    assert (sim.stats.rejected, sim.stats.subscriptions) == (1, 2)
    (gap,) = feed_gaps(records)  # from the refusal to the next subscription
    assert gap.reason.startswith("error frame 429") and records[0] is gap
    assert len(trades(records)) == len(records) - 1


async def test_refused_subscription_stops_with_a_clear_error(simulator_factory, collect, make_source) -> None:
    sim = await simulator_factory(faults=FaultPlan(reject_first=5, reject_code=400))
    with pytest.raises(TiingoSubscriptionError, match="refused the subscription .*threshold_level=5") as raised:
        await collect(make_source(sim), lambda rs: False)
    assert isinstance(raised.value, SourceFatalError)
    assert sim.stats.subscriptions == 1


@pytest.mark.parametrize("metadata", [False, True], ids=["e-frame-401", "rest-http-401"])
async def test_rejected_key_stops_at_once_without_showing_the_key(
    simulator_factory, metadata: bool, collect, make_source
) -> None:
    sim = await simulator_factory(api_key="the-right-key")
    wrong = "wrong-key-7c1e2d"
    with pytest.raises(TiingoAuthError) as raised:
        await collect(make_source(sim, api_key=wrong, metadata=metadata), lambda rs: False)
    message = str(raised.value)
    assert "COINSTREAM_TIINGO_API_KEY" in message and wrong not in message
    assert isinstance(raised.value, SourceFatalError)  # what tells a scheduler not to retry
    assert sim.stats.connections == (0 if metadata else 1)
    assert sim.stats.rejected == (0 if metadata else 1)


async def test_right_key_is_accepted_and_never_in_a_url(simulator_factory, collect, make_source) -> None:
    key = "the-right-key-93b1"
    sim = await simulator_factory(api_key=key)
    records = await collect(make_source(sim, api_key=key), lambda rs: len(rs) >= 20)
    assert len(trades(records)) == len(records)
    assert sim.stats.subscribe_requests[0]["authorized"] is True
    assert sim.stats.request_targets and all(key not in target for target in sim.stats.request_targets)


async def test_malformed_frames_become_dead_letters_and_the_stream_goes_on(
    simulator_factory, collect, make_source
) -> None:
    every = 7
    sim = await simulator_factory(faults=FaultPlan(malformed_every=every))
    source = make_source(sim, threshold_level=5)
    kinds = list(MALFORMED)
    records = await collect(
        source, lambda rs: sum(isinstance(r, DeadLetter) for r in rs) >= len(kinds) and len(trades(rs)) >= 100
    )
    letters = [r for r in records if isinstance(r, DeadLetter)]
    for kind, letter in zip(kinds, letters, strict=False):
        malformed = MALFORMED[kind]
        assert letter.raw == malformed.payload
        assert letter.reason.startswith(malformed.field + ":") and malformed.shown in letter.reason, letter.reason
    # frame 0 is the I frame, so the n-th data frame sits at sequence n
    assert [letter.frame_sequence for letter in letters[:3]] == [every, 2 * every, 3 * every]
    assert source.stats.dead_letters == len(letters) and source.stats.reconnects == 0


async def test_api_key_never_reaches_the_logs(
    simulator_factory, caplog: pytest.LogCaptureFixture, collect, make_source
) -> None:
    key = "secret-key-d41d8cd9"
    sim = await simulator_factory(api_key=key, faults=FaultPlan(drop_after=30, fault_connections=1, malformed_every=10))
    caplog.set_level(logging.DEBUG)
    structlog.configure(
        processors=[structlog.processors.format_exc_info, structlog.processors.KeyValueRenderer()],
        logger_factory=structlog.stdlib.LoggerFactory(),
    )
    try:
        with capture_logs() as logs:
            await collect(make_source(sim, api_key=key), lambda rs: len(rs) >= 60)
            with pytest.raises(TiingoAuthError) as raised:
                await collect(make_source(sim, api_key=key + "-wrong", metadata=False), lambda rs: False)
    finally:
        structlog.reset_defaults()
    assert any(e["event"] == "feed_gap" for e in logs)
    assert all(key not in repr(event) for event in logs)
    assert key not in caplog.text and key not in str(raised.value)


async def test_a_backlog_is_decoded_in_bounded_batches_without_losing_frames(simulator_factory, make_source) -> None:
    """Frames that piled up while the consumer was busy come out in batches of at most 5,000."""
    from coinstream.tiingo.client import _FRAMES_PER_BATCH

    sim = await simulator_factory(rate=0)  # as fast as it can
    source = make_source(sim)
    sizes: list[int] = []

    async def consume() -> None:
        async for batch in source.batches():
            sizes.append(len(batch))
            if len(sizes) == 1:
                await asyncio.sleep(1.0)  # a slow consumer: frames pile up in the client's inbox
            if len(sizes) > 1 and sizes[-1] < _FRAMES_PER_BATCH:
                return  # the backlog is drained

    try:
        await asyncio.wait_for(consume(), 30)
    finally:
        await source.close()
    backlog = sizes[1:]
    assert sum(backlog) > _FRAMES_PER_BATCH, f"no backlog built up: {sizes}"
    assert max(backlog) == _FRAMES_PER_BATCH
    assert source.stats.trades == sum(sizes) and source.stats.dead_letters == 0


async def test_close_stops_reading_but_yields_the_backlog_already_received(
    simulator_factory, make_source, tmp_path
) -> None:
    """Frames in the inbox when close() is called are decoded, yielded and recorded, not dropped."""
    from coinstream.tiingo.recording import RecordedFrame, read_recording

    sim = await simulator_factory(rate=0)
    path = tmp_path / "drain.jsonl"
    source = make_source(sim, record=str(path), metadata=False)
    before: list[SourceRecord] = []
    after: list[SourceRecord] = []
    backlog = 0

    async def consume() -> None:
        nonlocal backlog
        async for batch in source.batches():
            (after if backlog else before).extend(batch)
            if not backlog:
                await asyncio.sleep(0.3)  # frames pile up in the inbox meanwhile
                backlog = len(source.feed._inbox.frames)
                await source.close()

    await asyncio.wait_for(consume(), 15)
    assert backlog > 1_000, "no backlog built up"
    assert len(after) == backlog  # every queued frame is a trade here: all of them came out
    stats = source.stats
    assert stats.trades == len(before) + len(after) and stats.dead_letters == 0
    assert stats.frames == stats.trades + stats.extra["quotes"] + stats.extra["control_frames"] + stats.dead_letters
    recorded = [e for e in read_recording(path) if isinstance(e, RecordedFrame)]
    assert len(recorded) == stats.frames


async def test_a_client_reading_until_the_simulator_stops_gets_every_frame_it_counted(
    simulator_factory, make_source
) -> None:
    """Stopping the simulator flushes what it wrote before closing: sent and received counts agree exactly."""
    plan = FaultPlan(malformed_every=7, invalid_every=5, extra_items_every=11)
    sim = await simulator_factory(rate=0, faults=plan)
    source = make_source(sim, metadata=False, reconnect_initial_s=0.05, max_pending_frames=1_000)
    records: list[SourceRecord] = []

    async def consume() -> None:
        async for batch in source.batches():
            records.extend(batch)
            await asyncio.sleep(0.02)  # a consumer slower than the simulator: frames wait in the buffers

    reader = asyncio.create_task(consume())
    try:
        deadline = time.monotonic() + 15
        # wait until frames queue in the simulator itself (past the kernel's socket buffers): a stop
        # that dropped what was written but not yet flushed would lose them
        while sim.unsent_bytes() < 1_000_000 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        in_flight = sim.stats.data_frames_sent - source.stats.trades - source.stats.dead_letters
        with capture_logs() as logs:
            await sim.stop()  # frames in flight: written, not yet read
        # the server is gone: a reconnect attempt fails only after the first session was read to its end
        while source.stats.extra["connect_failures"] == 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    finally:
        await source.close()
        await asyncio.wait_for(reader, 10)

    sent = sim.stats
    positions = range(1, sent.data_frames_sent + 1)
    malformed = sum(1 for p in positions if p % 7 == 0)
    invalid = sum(1 for p in positions if p % 5 == 0 and p % 7)  # malformed wins a shared position
    assert (sent.malformed_sent, sent.invalid_sent, sent.quotes_sent, sent.oversized_sent) == (malformed, invalid, 0, 0)
    assert sent.trades_sent == sent.data_frames_sent - malformed - invalid
    assert in_flight > 5_000, "nothing was in flight when the simulator stopped"
    assert sent.frames_sent == sent.data_frames_sent + sent.control_frames_sent

    got = source.stats
    assert got.trades + got.dead_letters == sent.trades_sent + sent.malformed_sent + sent.invalid_sent
    assert (got.trades, got.dead_letters) == (sent.trades_sent + sent.invalid_sent, sent.malformed_sent)
    assert got.frames == sent.frames_sent and got.extra["control_frames"] == sent.control_frames_sent
    assert sum(1 for r in records if isinstance(r, Trade) and r.exchange == "Bad Exchange!") == sum(
        1 for p in positions if p % 5 == 0 and p % 7 and (p // 5 - 1) % 4 == 2)
    [stopped] = [e for e in logs if e["event"] == "simulator_stopped"]
    assert {k: stopped[k] for k in ("frames_sent", "trades_sent", "malformed_sent", "invalid_sent", "quotes_sent")} == {
        "frames_sent": sent.frames_sent, "trades_sent": sent.trades_sent, "malformed_sent": malformed,
        "invalid_sent": invalid, "quotes_sent": 0}


async def test_a_frame_over_max_frame_bytes_is_a_dead_letter_and_the_stream_goes_on(
    simulator_factory, collect, make_source
) -> None:
    sim = await simulator_factory(faults=FaultPlan(oversized_every=40, oversized_bytes=3 * 1024 * 1024))
    source = make_source(sim, metadata=False)
    records = await collect(source, lambda rs: len(rs) >= 130)
    letters = [r for r in records if isinstance(r, DeadLetter)]
    assert len(letters) >= 3 and len(trades(records)) == len(records) - len(letters)
    for letter in letters:
        assert letter.reason == "frame: 3,145,728 bytes, over max_frame_bytes=1,048,576; raw truncated to 65,536"
        assert letter.details == {"original_size": "3145728"} and len(letter.raw) == 65_536
        assert letter.raw.startswith(b'{"messageType":"A","service":"crypto_data","data":["T","btcusd",')
    assert [letter.frame_sequence for letter in letters[:3]] == [40, 80, 120]
    assert (source.stats.reconnects, source.stats.extra["frames_over_cap"]) == (0, 0)


async def test_a_frame_over_the_transport_cap_is_a_recorded_reconnect(simulator_factory, collect, make_source) -> None:
    sim = await simulator_factory(faults=FaultPlan(oversized_every=30, oversized_bytes=5 * 1024 * 1024))
    source = make_source(sim, metadata=False)
    with capture_logs() as logs:
        records = await collect(source, lambda rs: len(rs) >= 60)  # needs a second connection
    gaps = feed_gaps(records)
    assert len(trades(records)) == len(records) - len(gaps) and gaps
    assert source.stats.extra["frames_over_cap"] >= 1 and source.stats.reconnects >= 1
    reason = ("a message over the 4,194,304-byte transport cap (Received frame with payload size exceeding max "
              "allowed size, 5242880 > 4194304)")
    assert source.gaps[0].reason == gaps[0].reason == reason
    assert [e["reason"] for e in logs if e["event"] == "feed_reconnecting"][0] == reason


def _fragments(payload: bytes, parts: int) -> bytes:
    """``payload`` as a text message in ``parts`` websocket frames (unmasked, as a server sends them)."""
    from coinstream.tiingo.simulator.wire import OP_CONTINUATION, OP_TEXT, frame

    size = -(-len(payload) // parts)
    out = b""
    for index in range(parts):
        framed = frame(payload[index * size:(index + 1) * size], OP_TEXT if index == 0 else OP_CONTINUATION)
        fin = index == parts - 1
        out += bytes([framed[0] if fin else framed[0] & 0x7F]) + framed[1:]
    return out


async def test_a_fragmented_message_is_joined_and_one_over_the_transport_cap_is_a_reconnect(collect) -> None:
    from coinstream.tiingo import build_source
    from coinstream.tiingo.simulator.faults import extra_items_text, oversized_text
    from coinstream.tiingo.simulator.wire import parse_request, upgrade_response

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = parse_request((await reader.readuntil(b"\r\n\r\n"))[:-4])
        writer.write(upgrade_response(request.headers["sec-websocket-key"]))
        writer.write(_fragments(extra_items_text(time.time_ns() // 1000).encode(), 3))
        writer.write(_fragments(oversized_text(5 * 1024 * 1024, 0).encode(), 5))
        await writer.drain()
        await reader.read()  # until the client goes
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    source = build_source({"url": f"ws://127.0.0.1:{port}/crypto", "metadata": False, "reconnect_initial_s": 0.02,
                           "reconnect_max_s": 0.1})
    try:
        records = await collect(source, lambda rs: len(rs) >= 2)
    finally:
        server.close()
    gaps = feed_gaps(records)
    assert [(r.ticker, r.exchange) for r in trades(records)] == [("btcusd", "bitfinex")] * (len(records) - len(gaps))
    assert source.stats.extra["frames_over_cap"] >= 1 and source.stats.dead_letters == 0
    assert source.gaps[0].reason == ("a message over the 4,194,304-byte transport cap (fragmented message over "
                                     "4,194,304 bytes (at least 5,242,880))")
