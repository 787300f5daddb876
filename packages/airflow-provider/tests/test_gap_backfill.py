"""The backfill's gaps mode: open gaps read from a feed_gaps Delta table, their windows filled with REST bars
from the simulator, each gap recorded in feed_gap_backfills so that it is backfilled once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException
from coinstream.airflow.feed_gaps import OpenGap, backfills_table_beside, merged_windows
from coinstream.airflow.operators.backfill import TiingoBackfillOperator
from coinstream.airflow.operators.quality import DeltaQualityCheckOperator
from deltalake import DeltaTable, write_deltalake

TS = pa.timestamp("us", tz="UTC")
FEED_GAPS = pa.schema([  # the lake table the processor writes
    pa.field("gap_id", pa.string()), pa.field("source", pa.string()), pa.field("session_id", pa.string()),
    pa.field("gap_start", TS), pa.field("gap_end", TS), pa.field("seconds", pa.float64()),
    pa.field("reason", pa.string()), pa.field("missing_trades", pa.int64()), pa.field("recorded_time", TS),
])


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def gap_row(gap_id: str, start: str, end: str, reason: str = "connection lost", source: str = "tiingo") -> dict:
    begin, finish = at(start), at(end)
    return {"gap_id": gap_id, "source": source, "session_id": "s-1", "gap_start": begin, "gap_end": finish,
            "seconds": (finish - begin).total_seconds(), "reason": reason, "missing_trades": None,
            "recorded_time": finish}


def write_gaps(path: str, *rows: dict, mode: str = "append") -> None:
    write_deltalake(path, pa.Table.from_pylist(list(rows), schema=FEED_GAPS), mode=mode)


@pytest.fixture
def lake(tmp_path):
    """A feed_gaps table: one hole told twice (a reconnect and a full spool), a gap written twice, a gap across
    midnight, another source's gap, and one that ended a moment ago."""
    gaps = str(tmp_path / "feed_gaps")
    now = datetime.now(UTC)
    write_gaps(gaps, gap_row("a" * 32, "2026-01-05T10:00:30", "2026-01-05T10:02:10"),
               gap_row("b" * 32, "2026-01-05T10:01:00", "2026-01-05T10:02:30", reason="spool full"),
               gap_row("c" * 32, "2026-01-06T23:59:30", "2026-01-07T00:00:20", reason="ingestor killed"),
               gap_row("d" * 32, "2026-01-05T12:00:00", "2026-01-05T12:05:00", source="acme"))
    write_gaps(gaps, gap_row("a" * 32, "2026-01-05T10:00:30", "2026-01-05T10:02:10"),  # re-sent, written again
               {**gap_row("e" * 32, "2026-01-05T00:00:00", "2026-01-05T00:00:01"),
                "gap_start": now - timedelta(minutes=2), "gap_end": now - timedelta(minutes=1)})
    return {"gaps": gaps, "bars": str(tmp_path / "ohlcv_backfill"), "backfills": str(tmp_path / "feed_gap_backfills")}


def gap_backfill(lake: dict, ticker: str, **kwargs) -> TiingoBackfillOperator:
    return TiingoBackfillOperator(task_id="gaps", tickers=[ticker], mode="gaps", gaps_table=lake["gaps"],
                                  table=lake["bars"], resample_freq="1min", **kwargs)


def test_open_gaps_are_backfilled_with_the_bars_of_their_windows_and_recorded_once(tiingo_connection, simulator,
                                                                                   lake):
    ticker = simulator.market.tickers[0].name
    result = gap_backfill(lake, ticker).execute({})

    assert (result["mode"], result["gaps"], result["rows"], result["version"]) == ("gaps", 3, 5, 0)
    assert result["gap_ids"] == ["a" * 32, "b" * 32, "c" * 32]  # not acme's, not the one still settling
    assert result["backfills_table"] == lake["backfills"]
    bars = DeltaTable(lake["bars"]).to_pyarrow_dataset().to_table(use_threads=False).sort_by("window_start").to_pylist()
    assert [bar["window_start"] for bar in bars] == [
        at("2026-01-05T10:00"), at("2026-01-05T10:01"), at("2026-01-05T10:02"),  # both descriptions of one hole
        at("2026-01-06T23:59"), at("2026-01-07T00:00")]
    assert [bar["bar_date"] for bar in bars] == ["2026-01-05"] * 3 + ["2026-01-06", "2026-01-07"]
    assert {(bar["ticker"], bar["source"], bar["resample_freq"]) for bar in bars} == {(ticker, "tiingo_rest", "1min")}
    assert all(bar["window_end"] - bar["window_start"] == timedelta(minutes=1) for bar in bars)

    done = DeltaTable(lake["backfills"]).to_pyarrow_dataset().to_table(use_threads=False).sort_by("gap_id").to_pylist()
    assert [(row["gap_id"], row["bars"], row["window_start"], row["window_end"]) for row in done] == [
        ("a" * 32, 3, at("2026-01-05T10:00"), at("2026-01-05T10:03")),
        ("b" * 32, 2, at("2026-01-05T10:01"), at("2026-01-05T10:03")),
        ("c" * 32, 2, at("2026-01-06T23:59"), at("2026-01-07T00:01"))]
    assert {(row["tickers"], row["exchange"], row["bars_table"]) for row in done} == {(ticker, "*", lake["bars"])}
    assert done[0]["backfilled_at"].isoformat() == result["backfilled_at"]

    with pytest.raises(AirflowSkipException, match=r"no open gap of 'tiingo' .*\(3 backfilled already\)"):
        gap_backfill(lake, ticker).execute({})


def test_a_new_gap_replaces_only_its_window_and_the_dags_check_sees_what_the_run_wrote(tiingo_connection,
                                                                                       simulator, lake):
    ticker = simulator.market.tickers[0].name
    gap_backfill(lake, ticker).execute({})
    write_gaps(lake["gaps"], gap_row("f" * 32, "2026-01-05T10:02:50", "2026-01-05T10:04:05"))

    result = gap_backfill(lake, ticker).execute({})

    assert (result["gaps"], result["rows"], result["version"]) == (1, 3, 1)
    bars = DeltaTable(lake["bars"]).to_pyarrow_dataset().to_table(use_threads=False)
    starts = sorted(bar["window_start"] for bar in bars.to_pylist())
    assert starts == [at("2026-01-05T10:00"), at("2026-01-05T10:01"), at("2026-01-05T10:02"),
                      at("2026-01-05T10:03"), at("2026-01-05T10:04"), at("2026-01-06T23:59"),
                      at("2026-01-07T00:00")]  # 10:02 replaced, not doubled
    check = DeltaQualityCheckOperator(  # the example DAG's check in gaps mode
        task_id="check", table=lake["bars"], min_rows=1, not_null=["window_start", "ticker", "open", "close"],
        unique_key=["ticker", "exchange", "window_start"], where=f"backfilled_at = '{result['backfilled_at']}'")
    assert check.execute({})["rows"] == 3


def test_days_narrow_the_gaps_and_a_missing_table_or_column_says_so(tiingo_connection, simulator, lake, tmp_path):
    ticker = simulator.market.tickers[0].name
    result = gap_backfill(lake, ticker, from_date="2026-01-06", to_date="2026-01-07").execute({})
    assert result["gap_ids"] == ["c" * 32]

    with pytest.raises(AirflowSkipException, match="no feed_gaps table at .*nowhere yet"):
        gap_backfill({**lake, "gaps": str(tmp_path / "nowhere")}, ticker).execute({})
    broken = str(tmp_path / "broken")
    write_deltalake(broken, pa.table({"gap_id": ["x"], "gap_start": pa.array([at("2026-01-05T00:00")], TS)}))
    with pytest.raises(AirflowFailException, match="broken has no column\\(s\\) source, session_id, gap_end, reason"):
        gap_backfill({**lake, "gaps": broken}, ticker).execute({})


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"mode": "gaps"}, "mode='gaps' needs gaps_table"),
    ({"mode": "range", "to_date": None}, "mode='range' needs from_date and to_date"),
    ({"mode": "holes"}, "mode='holes' must be 'range' .* or 'gaps'"),
    ({"mode": "gaps", "gaps_table": "/g", "min_gap_age": 0}, "min_gap_age=0 must be positive"),
])
def test_the_mode_is_checked_with_what_it_needs(kwargs, message):
    arguments = {"tickers": ["btcusd"], "from_date": "2026-01-01", "to_date": "2026-01-02", "table": "/t", **kwargs}
    with pytest.raises(ValueError, match=message):
        TiingoBackfillOperator(task_id="backfill", **arguments)


def test_a_templated_mode_is_checked_when_the_task_runs(tmp_path):
    operator = TiingoBackfillOperator(task_id="b", tickers=["btcusd"], mode="{{ params.mode }}", table="/t")
    operator.mode = "gaps"  # as rendered
    with pytest.raises(AirflowFailException, match="mode='gaps' needs gaps_table"):
        operator.execute({})


def test_windows_cover_every_bar_a_gap_touches_and_overlapping_windows_merge():
    minute = timedelta(minutes=1)

    def window(start: str, end: str) -> tuple[datetime, datetime]:
        return OpenGap("g", "tiingo", "s", at(start), at(end), "r").window(minute)

    assert window("2026-01-05T10:00:30", "2026-01-05T10:02:10") == (at("2026-01-05T10:00"), at("2026-01-05T10:03"))
    assert window("2026-01-05T10:00:00", "2026-01-05T10:02:00") == (at("2026-01-05T10:00"), at("2026-01-05T10:02"))
    assert window("2026-01-05T10:00:05", "2026-01-05T10:00:05") == (at("2026-01-05T10:00"), at("2026-01-05T10:01"))
    assert merged_windows([(at("2026-01-05T10:02"), at("2026-01-05T10:04")),
                           (at("2026-01-05T10:00"), at("2026-01-05T10:02")),
                           (at("2026-01-05T11:00"), at("2026-01-05T11:01"))]) == [
        (at("2026-01-05T10:00"), at("2026-01-05T10:04")), (at("2026-01-05T11:00"), at("2026-01-05T11:01"))]
    assert backfills_table_beside("s3a://lake/feed_gaps/") == "s3a://lake/feed_gap_backfills"
