"""The quality check on a time window: only the window's rows are measured, read with the window pushed into
the scan; a window that cannot be checked is a configuration error naming the setting; the example DAGs pass
their run's data interval."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from airflow.sdk.exceptions import AirflowFailException
from deltalake import DeltaTable, write_deltalake

from coinstream.airflow.delta_quality import QualityConfigurationError, QualityExpectations, check_table
from coinstream.airflow.operators.quality import DeltaQualityCheckOperator
from coinstream.airflow.quality_window import window_for

TS = pa.timestamp("us", tz="UTC")
START = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
END = datetime(2026, 3, 1, 11, 0, tzinfo=UTC)
TRADES = pa.schema([pa.field("trade_id", pa.string()), pa.field("ticker", pa.string()),
                    pa.field("price", pa.float64()), pa.field("trade_time", TS), pa.field("trade_date", pa.date32())])
CHECKS = {"min_rows": 1, "not_null": ["trade_id", "price"], "unique_key": ["trade_id"]}


def trade(trade_id: str, moment: datetime, price: float | None = 100.0) -> dict:
    return {"trade_id": trade_id, "ticker": "btcusd", "price": price, "trade_time": moment,
            "trade_date": moment.date()}


def append(path: str, *rows: dict) -> None:
    write_deltalake(path, pa.Table.from_pylist(list(rows), schema=TRADES), mode="append", partition_by=["trade_date"])


@pytest.fixture
def trades(tmp_path) -> str:
    """Good trades in [10:00, 11:00) on 2026-03-01; bad ones (a null price, a repeated trade_id) just before,
    at the excluded end, and the day before."""
    path = str(tmp_path / "trades")
    append(path, trade("in-1", START), trade("in-2", START + timedelta(minutes=30)),
           trade("before", START - timedelta(microseconds=1), price=None),
           trade("in-1", END),  # at the end, which the window excludes: a duplicate of a trade inside
           trade("yesterday", START - timedelta(days=1), price=None))
    return path


def check(path: str, **kwargs) -> DeltaQualityCheckOperator:
    return DeltaQualityCheckOperator(task_id="quality", table=path, **{**CHECKS, **kwargs})


def test_only_the_window_is_checked_so_bad_rows_outside_it_do_not_fail(trades):
    result = check(trades, window_start=START.isoformat(), window_end=END.isoformat()).execute({})

    assert (result["rows"], result["nulls"], result["duplicate_keys"]) == (2, {"trade_id": 0, "price": 0}, 0)
    assert result["window"] == {"column": "trade_time", "start": "2026-03-01T10:00:00+00:00",
                                "end": "2026-03-01T11:00:00+00:00", "date_partition": "trade_date"}
    with pytest.raises(AirflowFailException) as whole_table:  # the same check of the whole table
        check(trades).execute({})
    assert "(version 0, whole table) failed 2 expectation(s)" in str(whole_table.value)


def test_a_bad_row_inside_the_window_fails_and_the_message_names_the_window(trades):
    append(trades, trade("in-3", START + timedelta(minutes=59), price=None), trade("in-2", START + timedelta(hours=-1)))

    with pytest.raises(AirflowFailException) as raised:
        check(trades, window_start="2026-03-01 10:00:00+00:00", window_end="2026-03-01 11:00:00+00:00").execute({})

    window = "trade_time in [2026-03-01T10:00:00+00:00, 2026-03-01T11:00:00+00:00)"
    assert str(raised.value) == (
        f"data quality check of {trades} (version 1, window {window}) failed 1 expectation(s):\n"
        f"  - nulls: price is null in 1 of 3 rows (window {window})")  # in-2 at 09:00 is no duplicate of the window


def test_the_window_is_pushed_into_the_scan_so_other_days_files_are_never_opened(trades):
    for parquet in (Path(trades) / "trade_date=2026-02-28").glob("*.parquet"):
        parquet.unlink()  # a read of yesterday's partition would now fail

    assert check(trades, window_start=START, window_end=END).execute({})["rows"] == 2
    with pytest.raises(Exception, match="(?i)not found|no such file"):
        check(trades).execute({})


def test_an_empty_window_fails_min_rows_only_and_freshness_is_measured_at_the_windows_end(trades):
    delta = DeltaTable(trades)
    later = window_for(delta, trades, "trade_time", "2026-03-02T00:00:00Z", "2026-03-02T01:00:00Z")
    report = check_table(delta, trades, QualityExpectations(min_rows=1, not_null=("price",)), window=later)
    assert (report.rows, report.nulls) == (0, {"price": 0})
    assert report.failures == ["row count: 0 rows (window trade_time in [2026-03-02T00:00:00+00:00, "
                               "2026-03-02T01:00:00+00:00)), expected at least 1"]

    fresh = QualityExpectations(freshness_column="trade_time", max_age=timedelta(minutes=45))
    hour = window_for(delta, trades, "trade_time", START, END)
    a_day_later = END + timedelta(days=1)
    # 10:30 is 30 min before the window's end: fresh enough, though a day before now
    assert check_table(delta, trades, fresh, now=a_day_later, window=hour).failures == []
    strict = QualityExpectations(freshness_column="trade_time", max_age=timedelta(minutes=20))
    assert check_table(delta, trades, strict, now=a_day_later, window=hour).failures == [
        "freshness: newest trade_time is 2026-03-01T10:30:00+00:00, 30 min 0 s before the window's end, more than "
        "the allowed 20 min 0 s (window trade_time in [2026-03-01T10:00:00+00:00, 2026-03-01T11:00:00+00:00))"]


def test_one_bound_leaves_the_other_side_open_and_naive_times_are_utc(trades):
    with pytest.raises(AirflowFailException, match=r"1 value\(s\) of \(trade_id\) occur more than once \(window trade_"
                       r"time in \[2026-03-01T10:00:00\+00:00, \+inf\)\), e.g. \{'trade_id': 'in-1', 'copies': 2\}"):
        check(trades, window_start="2026-03-01T10:00:00").execute({})  # in-1 again at 11:00, now inside
    with pytest.raises(AirflowFailException, match=r"price is null in 2 of 2 rows \(window trade_time in \[-inf, "):
        check(trades, window_end="2026-03-01T10:00").execute({})  # before and yesterday


def test_where_and_the_window_narrow_the_check_together(trades):
    append(trades, {**trade("eth-1", START + timedelta(minutes=5), price=None), "ticker": "ethusd"},
           {**trade("eth-2", START - timedelta(hours=2), price=None), "ticker": "ethusd"})

    btc = check(trades, where="ticker = 'btcusd'", window_start=START, window_end=END).execute({})
    assert (btc["rows"], btc["where"], btc["window"]["start"]) == (2, "ticker = 'btcusd'", START.isoformat())
    with pytest.raises(AirflowFailException) as raised:
        check(trades, where="ticker = 'ethusd'", window_start=START, window_end=END).execute({})
    assert ("(version 1, window trade_time in [2026-03-01T10:00:00+00:00, 2026-03-01T11:00:00+00:00), "
            "where ticker = 'ethusd') failed 1 expectation(s):\n  - nulls: price is null in 1 of 1 rows") in str(
        raised.value)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"window_start": "yesterday"}, "window_start='yesterday' is not a timestamp; pass an ISO 8601 time"),
    ({"window_end": "2026-13-01"}, "window_end='2026-13-01' is not a timestamp"),
])
def test_an_unparsable_literal_bound_fails_the_dag_import(trades, kwargs, message):
    with pytest.raises(QualityConfigurationError, match=message):
        check(trades, **kwargs)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"window_start": "{{ params.start }}", "window_end": "2026-03-01T10:00:00+00:00"},
     r"window_end=2026-03-01T10:00:00\+00:00 is before window_start=2026-03-01T11:00:00\+00:00; the window is "
     r"\[window_start, window_end\): pass an end at or after the start"),
    ({"window_start": "{{ params.start }}", "window_column": "tradetime"},
     "window_column='tradetime': .*trades has no such column; its columns are: trade_id, ticker, price, "
     "trade_time, trade_date; name its event-time column"),
    ({"window_start": "{{ params.start }}", "window_column": "ticker"},
     "window_column='ticker' of .*trades is string, not a timestamp or date; name a time column"),
])
def test_a_window_that_cannot_be_checked_fails_the_task_naming_the_setting(trades, kwargs, message):
    operator = check(trades, **kwargs)
    operator.window_start = "2026-03-01T11:00:00+00:00"  # as rendered from the template
    with pytest.raises(AirflowFailException, match=message):
        operator.execute({})


def test_the_window_arguments_are_templated():
    assert {"window_start", "window_end", "window_column", "table", "where"} <= set(
        DeltaQualityCheckOperator.template_fields)


def test_a_bars_table_is_windowed_on_window_start_and_its_text_bar_date_partition(tmp_path):
    bars = str(tmp_path / "bars")
    rows = [{"bar_date": day.isoformat(), "window_start": datetime(day.year, day.month, day.day, 12, tzinfo=UTC)}
            for day in (date(2026, 3, 1), date(2026, 3, 2))]
    write_deltalake(bars, pa.Table.from_pylist(rows), partition_by=["bar_date"])
    window = window_for(DeltaTable(bars), bars, "window_start", "2026-03-02", "2026-03-03")
    assert window is not None and window.date_partition == "bar_date"
    for parquet in (Path(bars) / "bar_date=2026-03-01").glob("*.parquet"):
        parquet.unlink()  # skipped by the bar_date bound, so never opened
    assert check_table(DeltaTable(bars), bars, QualityExpectations(min_rows=1), window=window).rows == 1


@pytest.mark.airflow
def test_the_pipeline_dags_quality_task_checks_from_its_data_interval_on():
    from coinstream.airflow.example_dags.coinstream_pipeline import dag

    quality = dag.get_task("quality")
    assert (quality.window_column, quality.window_start, quality.window_end) == (
        "trade_time", "{{ data_interval_start }}", None)


@pytest.mark.airflow
@pytest.mark.parametrize(("mode", "window", "where"), [
    ("range", ("2026-03-01", "2026-03-02"), ""),
    ("gaps", ("", ""), "backfilled_at = '2026-03-02T01:00:05+00:00'"),
])
def test_the_backfill_dags_check_covers_the_runs_days_or_what_it_wrote(mode, window, where):
    from coinstream.airflow.example_dags.coinstream_backfill import dag

    check = dag.get_task("check")
    context = {"params": {"mode": mode, "from_date": None, "to_date": None},
               "data_interval_start": START.replace(hour=1), "data_interval_end": END.replace(day=2, hour=1),
               "ti": _TaskInstance({"backfilled_at": "2026-03-02T01:00:05+00:00"})}
    rendered = [check.render_template(getattr(check, name), context)
                for name in ("window_start", "window_end", "where")]
    assert (check.window_column, tuple(rendered[:2]), rendered[2]) == ("window_start", window, where)


class _TaskInstance:
    """What the templates ask of ``ti``: the backfill task's XCom."""

    def __init__(self, backfill: dict) -> None:
        self.backfill = backfill

    def xcom_pull(self, task_ids: str) -> dict:
        assert task_ids == "backfill"
        return self.backfill
