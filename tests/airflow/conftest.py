"""Airflow 3 integration tests: a throwaway AIRFLOW_HOME with a SQLite metadata database.

Airflow reads AIRFLOW_HOME when it is first imported, so it is set here, before any test module
imports Airflow or the provider (the provider's own tests may have set it already: then it is
shared). ``airflow_db`` migrates the database once per session.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="coinstream-airflow-home-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")

from coinstream.tiingo.simulator import Simulator, SimulatorConfig, simulator_in_thread

API_KEY = "tiingo-key-5d2e8b4f19"
BIN = Path(sys.executable).parent


def airflow_environment(**extra: str) -> dict[str, str]:
    """This process's environment (AIRFLOW_HOME included) for an `airflow` or Python child."""
    return {**os.environ, "AIRFLOW__CORE__LOAD_EXAMPLES": "False", **extra}


@pytest.fixture
def airflow_env() -> Callable[..., dict[str, str]]:
    """``airflow_env(NAME=value, ...)``: the environment for an `airflow` or Python child process."""
    return airflow_environment


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """The metadata database, migrated (SQLite under AIRFLOW_HOME)."""
    result = subprocess.run([str(BIN / "airflow"), "db", "migrate"], env=airflow_environment(), capture_output=True,
                            text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return Path(os.environ["AIRFLOW_HOME"])


@pytest.fixture
def api_key() -> str:
    """The Tiingo key the simulator requires; it must never show in a task log."""
    return API_KEY


@pytest.fixture
def simulator() -> Iterator[Simulator]:
    """The Tiingo simulator on a free port requiring API_KEY, in a thread with its own event loop
    (tasks call ``asyncio.run`` themselves, so it cannot share a test's loop)."""
    with simulator_in_thread(SimulatorConfig(port=0, rate=500, tickers=200, api_key=API_KEY)) as sim:
        yield sim
