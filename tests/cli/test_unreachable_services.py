"""A service that does not answer ends every command in one line: which service, at which endpoint, what was
tried and the fix (`coinstream stack up`, the setting), exit 2, no traceback (#17 item 6).

Each test runs the installed ``coinstream`` executable, with every plugin, against a loopback port that
nothing listens on: no stack is needed and nothing answers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from coinstream.core import EXIT_SERVICE_UNREACHABLE

from ..ports import unused_port

COINSTREAM = Path(sys.executable).with_name("coinstream")


def coinstream(*arguments: str, environment: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``coinstream ARGUMENTS`` with none of the caller's COINSTREAM_/AWS_ settings, logs as JSON."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(("COINSTREAM_", "AWS_"))}
    env.update({"COINSTREAM_LOG_FORMAT": "json", "AWS_ACCESS_KEY_ID": "test-key",
                "AWS_SECRET_ACCESS_KEY": "test-secret", **(environment or {})})
    return subprocess.run([str(COINSTREAM), *arguments], capture_output=True, text=True, env=env, timeout=60,
                          check=False)


def assert_unreachable(result: subprocess.CompletedProcess[str], service: str, endpoint: str, setting: str) -> str:
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert not [line for line in output.splitlines() if line.startswith("%")]  # librdkafka's own reconnect lines
    assert result.returncode == EXIT_SERVICE_UNREACHABLE, output
    [line] = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert line.startswith(f"error: cannot reach {service} at {endpoint} ("), line
    assert "`coinstream stack up`" in line and setting in line
    return line


def pipeline_file(tmp_path: Path, *, bootstrap_servers: str, schema_registry_url: str, rest: str) -> Path:
    path = tmp_path / "pipeline.toml"
    path.write_text(f"""[pipeline]
name = "unreachable"

[kafka]
bootstrap_servers = "{bootstrap_servers}"
schema_registry_url = "{schema_registry_url}"
replication_factor = 1
min_insync_replicas = 1
{rest}""")
    return path


def test_ingest_with_brokers_that_do_not_answer_names_them_and_exits_2(tmp_path):
    brokers = f"127.0.0.1:{unused_port()}"
    registry = f"http://127.0.0.1:{unused_port()}"
    pipeline = pipeline_file(tmp_path, bootstrap_servers=brokers, schema_registry_url=registry, rest=f"""
[ingest]
spool_dir = "{tmp_path / 'spool'}"

[source]
name = "tiingo"
url = "ws://127.0.0.1:{unused_port()}"
""")

    result = coinstream("ingest", str(pipeline), "--no-progress", environment={"COINSTREAM_TIINGO_API_KEY": "k"})

    line = assert_unreachable(result, "Kafka", brokers, "COINSTREAM_KAFKA_BOOTSTRAP_SERVERS")
    assert "no broker answered a metadata request in 5 s" in line


def test_process_with_a_registry_that_does_not_answer_names_it_and_exits_2(tmp_path):
    registry = f"http://127.0.0.1:{unused_port()}"
    pipeline = pipeline_file(tmp_path, bootstrap_servers=f"127.0.0.1:{unused_port()}", schema_registry_url=registry,
                             rest='\n[[sinks]]\nname = "console"\n')

    result = coinstream("process", str(pipeline), "--available-now")

    line = assert_unreachable(result, "the schema registry", registry, "COINSTREAM_SCHEMA_REGISTRY_URL")
    assert "reading the writer schemas of subject 'crypto.trades.v1-value'" in line


def test_delta_on_an_s3_endpoint_that_does_not_answer_names_it_and_exits_2():
    endpoint = f"http://127.0.0.1:{unused_port()}"

    result = coinstream("delta", "history", "s3a://coinstream/lake/trades",
                        environment={"COINSTREAM_S3_ENDPOINT_URL": endpoint})

    line = assert_unreachable(result, "S3", endpoint, "COINSTREAM_S3_ENDPOINT_URL")
    assert "TCP connection to 127.0.0.1:" in line


@pytest.mark.parametrize("serve", [False, True], ids=["report", "serve"])
def test_dashboard_on_an_s3_endpoint_that_does_not_answer_names_it_and_exits_2(tmp_path, serve):
    endpoint = f"http://127.0.0.1:{unused_port()}"
    where = ["--port", "0", "--seconds", "1"] if serve else ["--out", str(tmp_path / "report.html")]

    result = coinstream("dashboard", "--lake", "s3a://coinstream/lake", "--s3-endpoint", endpoint, *where)

    assert_unreachable(result, "S3", endpoint, "COINSTREAM_S3_ENDPOINT_URL")
    assert not (tmp_path / "report.html").exists()
