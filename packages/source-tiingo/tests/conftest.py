"""Shared fixtures: an in-process simulator and settings pointing at it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from coinstream.core import SourceRecord
from coinstream.tiingo import TiingoSettings, TiingoSource, build_source
from coinstream.tiingo.simulator import Simulator, SimulatorConfig

TEST_LIMIT_S = 15.0


@pytest.fixture
async def simulator_factory() -> AsyncIterator[Callable[..., Any]]:
    """Start simulators on free loopback ports; every one is stopped after the test."""
    started: list[Simulator] = []

    async def start(**config: Any) -> Simulator:
        config.setdefault("rate", 2_000)
        config.setdefault("tickers", 300)
        simulator = Simulator(SimulatorConfig(port=0, **config))
        await simulator.start()
        started.append(simulator)
        return simulator

    yield start
    for simulator in started:
        await simulator.stop()


def settings_for(simulator: Simulator, **overrides: Any) -> TiingoSettings:
    """Source settings aimed at an in-process simulator, with fast reconnects."""
    values: dict[str, Any] = {"url": simulator.url, "rest_url": simulator.rest_url, "reconnect_initial_s": 0.02,
                              "reconnect_max_s": 0.2, "rate_limited_s": 0.05, "heartbeat_timeout_s": 5.0}
    values.update(overrides)
    return TiingoSettings.model_validate(values)


async def collect_records(source: TiingoSource, until: Callable[[list[SourceRecord]], bool],
                          limit_s: float = TEST_LIMIT_S) -> list[SourceRecord]:
    """Read batches until ``until(records)`` holds; fail (not hang) after ``limit_s``."""
    records: list[SourceRecord] = []
    deadline = time.monotonic() + limit_s

    async def run() -> None:
        async for batch in source.batches():
            records.extend(batch)
            if until(records):
                return

    try:
        await asyncio.wait_for(run(), max(0.1, deadline - time.monotonic()))
    except TimeoutError:
        pytest.fail(f"condition not reached within {limit_s} s; got {len(records)} records, stats={source.stats}")
    finally:
        await source.close()
    return records


def source_for(simulator: Simulator, **overrides: Any) -> TiingoSource:
    """A source aimed at a simulator (settings as in :func:`settings_for`)."""
    return build_source(settings_for(simulator, **overrides))


# Tests reach the helpers as fixtures: the repository runs pytest with --import-mode=importlib,
# under which test modules cannot import conftest.
@pytest.fixture
def collect() -> Callable[..., Any]:
    """``await collect(source, until)``: read batches until ``until(records)``; fail after a limit."""
    return collect_records


@pytest.fixture
def make_source() -> Callable[..., TiingoSource]:
    """``make_source(simulator, **settings)``: a source aimed at a simulator."""
    return source_for
