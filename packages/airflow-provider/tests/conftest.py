"""The provider's unit tests: no Airflow metadata database, no JVM, no local stack.

Airflow reads AIRFLOW_HOME when it is first imported, so a throwaway one is set here, before any
test module imports the provider. Connections come from AIRFLOW_CONN_* variables.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator

import pytest

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="coinstream-airflow-home-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")

from coinstream.tiingo.simulator import Simulator, SimulatorConfig, simulator_in_thread

API_KEY = "tiingo-key-7f3a9c1e5b"


@pytest.fixture
def api_key() -> str:
    """The Tiingo key the simulator requires (and that must never show in a log)."""
    return API_KEY


@pytest.fixture
def simulator() -> Iterator[Simulator]:
    """The Tiingo simulator on a free port, requiring API_KEY, served from a thread of its own.

    The hook calls ``asyncio.run`` like a task does, so the simulator cannot share the test's loop.
    """
    with simulator_in_thread(SimulatorConfig(port=0, rate=200, tickers=200, api_key=API_KEY)) as sim:
        yield sim


@pytest.fixture
def tiingo_connection(simulator: Simulator, monkeypatch: pytest.MonkeyPatch) -> str:
    """``tiingo_default`` pointing at the simulator, with the key it requires."""
    monkeypatch.setenv("AIRFLOW_CONN_TIINGO_DEFAULT", json.dumps(
        {"conn_type": "tiingo", "host": simulator.rest_url, "password": API_KEY}))
    return "tiingo_default"
