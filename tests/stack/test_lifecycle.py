"""`stack up` twice is idempotent, writes the pipeline file, and `stack down` leaves no port open.

Runs a second, separate stack (its own state folder and ports) through the CLI, so the session
stack the other tests share is never taken down.
"""

from __future__ import annotations

import json
import os
import stat
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from coinstream.devstack.readiness import port_listening
from coinstream.devstack.stack_command import stack

pytestmark = [pytest.mark.stack, pytest.mark.slow]

BROKERS = (29092, 29093, 29094)
CONTROLLERS = (29192, 29193, 29194)
REGISTRY, S3 = 28081, 29000
ALL_PORTS = (*BROKERS, *CONTROLLERS, REGISTRY, S3)


@pytest.fixture
def isolated_env(tmp_path: Path) -> dict[str, str]:
    busy = [port for port in ALL_PORTS if port_listening(port)]
    if busy:
        pytest.fail(f"ports {busy} are already in use; this test needs them free for its own stack")
    return {
        "COINSTREAM_STACK_DIR": str(tmp_path / "stack"),
        "COINSTREAM_STACK_BROKER_PORTS": ",".join(map(str, BROKERS)),
        "COINSTREAM_STACK_CONTROLLER_PORTS": ",".join(map(str, CONTROLLERS)),
        "COINSTREAM_STACK_REGISTRY_PORT": str(REGISTRY),
        "COINSTREAM_STACK_S3_PORT": str(S3),
    }


def _pids(runner: CliRunner, env: dict[str, str]) -> dict[str, int]:
    result = runner.invoke(stack, ["status", "--json"], env=env)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    return {row["part"]: row["pid"] for row in rows}


def test_up_twice_then_down(isolated_env: dict[str, str]) -> None:
    runner = CliRunner()
    state = Path(isolated_env["COINSTREAM_STACK_DIR"])
    try:
        first = runner.invoke(stack, ["up"], env=isolated_env)
        assert first.exit_code == 0, first.output
        assert "127.0.0.1:29092,127.0.0.1:29093,127.0.0.1:29094" in first.output
        assert "started: kafka-1, kafka-2, kafka-3, registry, s3" in first.output
        pids = _pids(runner, isolated_env)
        assert sorted(pids) == ["kafka-1", "kafka-2", "kafka-3", "registry", "s3"]
        assert len(set(pids.values())) == 5

        second = runner.invoke(stack, ["up"], env=isolated_env)
        assert second.exit_code == 0, second.output
        assert "started: none" in second.output
        assert _pids(runner, isolated_env) == pids

        pipeline = tomllib.loads((state / "pipeline.toml").read_text())
        assert pipeline == {
            "pipeline": {"name": "local"},
            "kafka": {"bootstrap_servers": "127.0.0.1:29092,127.0.0.1:29093,127.0.0.1:29094",
                      "schema_registry_url": "http://127.0.0.1:28081/apis/ccompat/v7",
                      "replication_factor": 3, "min_insync_replicas": 2},
            "s3": {"endpoint_url": "http://127.0.0.1:29000", "bucket": "coinstream", "region": "us-east-1",
                   "path_style": True},
        }
        credentials = state / "s3-credentials.env"
        assert stat.S_IMODE(os.stat(credentials).st_mode) == 0o600
        assert credentials.read_text().splitlines() == [
            "AWS_ACCESS_KEY_ID=coinstream", "AWS_SECRET_ACCESS_KEY=coinstream-secret"]
        assert "coinstream-secret" not in first.output
    finally:
        down = runner.invoke(stack, ["down"], env=isolated_env)
    assert down.exit_code == 0, down.output
    assert [port for port in ALL_PORTS if port_listening(port)] == []
    assert all(not os.path.exists(f"/proc/{pid}") for pid in pids.values())
    status = runner.invoke(stack, ["status"], env=isolated_env)
    assert status.exit_code == 1
