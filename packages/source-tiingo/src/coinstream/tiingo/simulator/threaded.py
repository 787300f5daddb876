"""The simulator served from a thread with its own event loop, for callers that run their own
``asyncio.run`` (Airflow tasks, synchronous tests)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from coinstream.tiingo.simulator.server import STOP_FLUSH_TIMEOUT_S, Simulator, SimulatorConfig

_START_TIMEOUT_S = 10.0
_STOP_TIMEOUT_S = STOP_FLUSH_TIMEOUT_S + 5.0  # stop() waits up to STOP_FLUSH_TIMEOUT_S for slow clients


@contextmanager
def simulator_in_thread(config: SimulatorConfig) -> Iterator[Simulator]:
    """Start a simulator on a background thread's loop; yield it running; stop it and the thread."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    simulator = Simulator(config)
    asyncio.run_coroutine_threadsafe(simulator.start(), loop).result(_START_TIMEOUT_S)
    try:
        yield simulator
    finally:
        asyncio.run_coroutine_threadsafe(simulator.stop(), loop).result(_STOP_TIMEOUT_S)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
