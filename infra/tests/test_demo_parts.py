"""The demo's parts that need no stack: its pipeline file, log following, catch-up accounting."""

from __future__ import annotations

import json

from coinstream.core import PluginHost, parse_pipeline
from coinstream.devstack.demo.log_follower import LogFollower
from coinstream.devstack.demo.pipeline_file import TABLES, demo_pipeline, write_pipeline


def test_the_demo_pipeline_is_valid_against_the_installed_plugins(tmp_path):
    # coinstream-devstack depends on the tiingo, spark and s3 packages: their components are always there.
    document = demo_pipeline(bootstrap_servers="127.0.0.1:19092", schema_registry_url="http://127.0.0.1:18081/x",
                             s3_endpoint_url="http://127.0.0.1:19000", bucket="coinstream",
                             feed_url="ws://127.0.0.1:1/crypto", feed_rest_url="http://127.0.0.1:1",
                             checkpoints=tmp_path / "chk")
    path = write_pipeline(document, tmp_path / "pipeline.toml")

    import tomllib

    pipeline = parse_pipeline(tomllib.loads(path.read_text()), PluginHost().registry, environ={})
    assert pipeline.source is not None and pipeline.source.name == "tiingo"
    assert [t.name for t in pipeline.transforms] == ["validate", "deduplicate", "enrich", "ohlcv", "exchange_stats"]
    assert [s.settings.input for s in pipeline.sinks] == list(TABLES)
    assert pipeline.section("s3").prefix == "lake/"


def test_log_follower_returns_only_new_complete_json_lines(tmp_path):
    log = tmp_path / "child.log"
    log.write_text('{"event": "ingest_metrics", "trades_acked": 5}\nnot json\n{"event": "half')
    follower = LogFollower(log)

    first = follower.poll()
    with log.open("a") as handle:
        handle.write('", "x": 1}\n' + json.dumps({"event": "ingest_metrics", "trades_acked": 9}) + "\n")
    second = follower.poll()

    assert [e["trades_acked"] for e in first] == [5]
    assert [e["event"] for e in second] == ["half", "ingest_metrics"]
    assert follower.latest["ingest_metrics"]["trades_acked"] == 9
    assert follower.counts == {"ingest_metrics": 2, "half": 1}


