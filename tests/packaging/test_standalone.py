"""Each package stands alone: coinstream-core in a venv of its own, without the other packages and without
the development stack (coinstream-devstack); coinstream-lake with only core; the dashboard without the demo."""

from __future__ import annotations

import json
import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]

pytestmark = pytest.mark.slow


def run(*command: str | Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_core_alone_installs_and_lists_only_itself(tmp_path):
    environment = tmp_path / "core-only"
    venv.EnvBuilder(with_pip=True).create(environment)
    python = environment / "bin" / "python"
    run(python, "-m", "pip", "install", "-q", "--disable-pip-version-check", ROOT / "packages" / "core")

    report = json.loads(run(environment / "bin" / "coinstream", "plugins", "--json",
                            env={"PATH": f"{environment / 'bin'}", "HOME": str(tmp_path)}))

    assert [d["distribution"] for d in report["distributions"]] == ["coinstream-core"]
    assert report["failed"] == []
    installed = run(python, "-m", "pip", "list", "--format=json")
    names = {package["name"] for package in json.loads(installed)}
    assert "coinstream-core" in names
    assert not names & {"coinstream-source-tiingo", "coinstream-spark-transforms", "coinstream-lake",
                        "coinstream-sink-s3", "coinstream-devstack", "pyspark", "delta-spark", "apache-airflow",
                        "pytest"}
    # no development tooling in core's wheel: the stack, the Maven runner and the pytest plugin are devstack's
    core_folder = Path(run(python, "-c", "import coinstream.core, os; print(os.path.dirname(coinstream.core.__file__))")
                       .strip())
    shipped = sorted(p.relative_to(core_folder).as_posix() for p in core_folder.rglob("*.py"))
    assert "cli/main.py" in shipped and "ingest/runner.py" in shipped
    assert [p for p in shipped if p.startswith("stack/") or p in ("maven.py", "cli/stack_command.py")
            or "pytest" in p] == []
    # a command of a package that is not installed is a usage error naming only core's commands
    missing = subprocess.run([environment / "bin" / "coinstream", "process", "x.toml"], capture_output=True,
                             text=True, env={"PATH": f"{environment / 'bin'}", "HOME": str(tmp_path)})
    assert missing.returncode == 2
    assert "No such command 'process'." in missing.stderr
    assert "Installed commands: config, ingest, plugins." in missing.stderr


def test_the_lake_alone_reads_and_maintains_a_table_without_spark(tmp_path):
    environment = tmp_path / "lake-only"
    venv.EnvBuilder(with_pip=True).create(environment)
    python, coinstream = environment / "bin" / "python", environment / "bin" / "coinstream"
    run(python, "-m", "pip", "install", "-q", "--disable-pip-version-check", ROOT / "packages" / "core",
        ROOT / "packages" / "lake")
    env = {"PATH": f"{environment / 'bin'}", "HOME": str(tmp_path)}

    report = json.loads(run(coinstream, "plugins", "--json", env=env))
    assert sorted(d["distribution"] for d in report["distributions"]) == ["coinstream-core", "coinstream-lake"]
    assert report["failed"] == []
    names = {package["name"] for package in json.loads(run(python, "-m", "pip", "list", "--format=json"))}
    assert {"deltalake", "pyarrow", "boto3"} <= names
    assert not names & {"coinstream-sink-s3", "coinstream-spark-transforms", "pyspark", "delta-spark", "py4j"}

    table = tmp_path / "lake" / "trades"
    rows = run(python, "-c", (
        "import sys, pyarrow as pa; from deltalake import write_deltalake; from coinstream.lake import LakeReader; "
        f"write_deltalake({str(table)!r}, pa.table({{'trade_id': ['a', 'b'], 'price': [1.5, 2.5]}})); "
        f"print(LakeReader().read('trades', path={str(table)!r}, filters=[('price', '>', 2)]).to_pylist()); "
        "assert not [m for m in sys.modules if m.startswith(('pyspark', 'coinstream.s3', 'coinstream.spark'))]"),
        env=env)
    assert rows.strip() == "[{'trade_id': 'b', 'price': 2.5}]"
    history = json.loads(run(coinstream, "delta", "history", str(table), "--json", env=env))
    assert [commit["version"] for commit in history] == [0]


def test_dashboard_alone_installs_without_the_demo_and_what_it_runs(tmp_path):
    environment = tmp_path / "dashboard-only"
    venv.EnvBuilder(with_pip=True).create(environment)
    python = environment / "bin" / "python"
    run(python, "-m", "pip", "install", "-q", "--disable-pip-version-check", ROOT / "packages" / "core",
        ROOT / "packages" / "lake", ROOT / "packages" / "dashboard")
    cli_env = {"PATH": f"{environment / 'bin'}", "HOME": str(tmp_path)}

    report = json.loads(run(environment / "bin" / "coinstream", "plugins", "--json", env=cli_env))

    commands = {d["distribution"]: d["commands"] for d in report["distributions"]}
    assert commands == {"coinstream-core": ["config", "ingest", "plugins"], "coinstream-lake": ["delta"],
                        "coinstream-dashboard": ["dashboard"]}
    assert report["failed"] == []
    names = {package["name"] for package in json.loads(run(python, "-m", "pip", "list", "--format=json"))}
    assert not names & {"coinstream-devstack", "coinstream-source-tiingo", "coinstream-spark-transforms",
                        "coinstream-sink-s3", "pyspark", "delta-spark"}
    # the demo is coinstream-devstack's: without it `coinstream demo` is a usage error naming what is installed
    missing = subprocess.run([environment / "bin" / "coinstream", "demo"], capture_output=True, text=True,
                             env=cli_env)
    assert missing.returncode == 2
    assert "Installed commands: config, dashboard, delta, ingest, plugins." in missing.stderr
