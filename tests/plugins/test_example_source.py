"""The example source of core's README ("Writing a source") works as a third party's plugin does:
installed as a distribution with a ``coinstream`` entry point, listed by ``coinstream plugins``, and
run by ``coinstream ingest`` into the local stack's Kafka, bad lines as dead letters."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import tomli_w

from coinstream.core import derive_trade_id
from coinstream.core.kafka import TradeAvroCodec

from ..conftest import unique_kafka_settings
from ..kafka.topic_reader import read_topic

EXAMPLE = Path(__file__).resolve().parents[2] / "packages" / "core" / "examples" / "acme-source"
T0_US = 1_790_000_000_000_000

LINES = [
    {"pair": "BTCUSD", "venue": "Acme", "px": "64000.5", "qty": "0.25", "ts_us": T0_US},
    {"pair": "ETHUSD", "venue": "Acme", "px": 3100, "qty": 2, "ts_us": T0_US + 1_000},
    "not json at all",
    {"pair": "BTCUSD", "venue": "Acme", "qty": "1", "ts_us": T0_US + 2_000},                 # no price
    {"pair": "SOLUSD", "venue": "Acme", "px": "abc", "qty": "1", "ts_us": T0_US + 3_000},    # a price that is no number
    {"pair": "BTCUSD", "venue": "Acme", "px": "64001", "qty": "0.5", "ts_us": T0_US + 4_000},
]


def install_example(site: Path) -> None:
    """Lay the example out as pip installs its wheel: the package, and a dist-info naming its entry point."""
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    shutil.copytree(EXAMPLE / "acme_coinstream", site / "acme_coinstream")
    dist_info = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n", encoding="utf-8")
    entry_points = project["entry-points"]["coinstream"]
    (dist_info / "entry_points.txt").write_text(
        "[coinstream]\n" + "".join(f"{name} = {target}\n" for name, target in entry_points.items()), encoding="utf-8")
    (dist_info / "RECORD").write_text("", encoding="utf-8")


@pytest.fixture
def acme_environment(tmp_path: Path) -> dict[str, str]:
    """The environment of a shell where the example is pip-installed, and only it may load (plus core)."""
    site = tmp_path / "site-packages"
    site.mkdir()
    install_example(site)
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])),
            "COINSTREAM_PLUGINS": "acme-coinstream"}


def coinstream(*arguments: str, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "coinstream.core.cli.main", *arguments]
    return subprocess.run(command, env=environment, capture_output=True, text=True, timeout=300)


def test_coinstream_plugins_lists_the_example_source_and_its_distribution(acme_environment):
    listed = coinstream("plugins", "--json", environment=acme_environment)

    assert listed.returncode == 0, listed.stderr
    report = json.loads(listed.stdout)
    acme = next(dist for dist in report["distributions"] if dist["distribution"] == "acme-coinstream")
    assert (acme["version"], acme["plugins"], acme["sources"]) == ("0.1.0", ["acme"], ["acme"])
    assert report["failed"] == []


@pytest.mark.stack
def test_the_example_source_ingests_its_lines_into_kafka_and_bad_lines_as_dead_letters(local_stack, tmp_path,
                                                                                      acme_environment):
    feed = tmp_path / "acme-2026-12-01.jsonl"
    raw_lines = [line if isinstance(line, str) else json.dumps(line) for line in LINES]
    feed.write_text("\n".join(raw_lines) + "\n", encoding="utf-8")
    kafka = unique_kafka_settings(local_stack, "acme", partitions=1)
    pipeline = tmp_path / "acme.toml"
    pipeline.write_bytes(tomli_w.dumps({
        "pipeline": {"name": "acme-example"},
        "kafka": kafka.model_dump(mode="json", exclude_none=True),
        "ingest": {"spool_dir": str(tmp_path / "spool")},
        "source": {"name": "acme", "path": str(feed)},
    }).encode())

    ingested = coinstream("ingest", str(pipeline), "--no-progress", environment=acme_environment)

    assert ingested.returncode == 0, ingested.stdout + ingested.stderr
    assert "ingested 3 trades" in ingested.stdout and "3 dead letters" in ingested.stdout, ingested.stdout
    codec = TradeAvroCodec.for_kafka(kafka)
    trades = [codec.decode(message.value())
              for message in read_topic(kafka.bootstrap_servers, kafka.trades_topic, 3).messages]
    assert [(t.trade_id, t.ticker, t.exchange, t.price, t.size, t.trade_time, t.source) for t in trades] == [
        (derive_trade_id("acme", feed.name, 1), "btcusd", "acme", 64000.5, 0.25, T0_US, "acme"),
        (derive_trade_id("acme", feed.name, 2), "ethusd", "acme", 3100.0, 2.0, T0_US + 1_000, "acme"),
        (derive_trade_id("acme", feed.name, 6), "btcusd", "acme", 64001.0, 0.5, T0_US + 4_000, "acme"),
    ]
    assert all(t.ingest_time > T0_US for t in trades)   # set by the source when it read the line: now
    letters = read_topic(kafka.bootstrap_servers, kafka.dead_letter_topic, 3).messages
    assert [(letter.value().decode(), dict(letter.headers())["coinstream.reason"].decode(),
             dict(letter.headers())["coinstream.frame_sequence"]) for letter in letters] == [
        (raw_lines[2], "not JSON: b'not json at all'", b"3"),
        (raw_lines[3], "px: missing", b"4"),
        (raw_lines[4], "px: expected float, got 'abc'", b"5"),
    ]
