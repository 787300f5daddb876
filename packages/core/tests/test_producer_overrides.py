"""[kafka] producer overrides that would weaken delivery are refused with the config, each named with its fix."""

from __future__ import annotations

import pytest

from coinstream.core import ConfigError, PluginHost, load_pipeline
from coinstream.core.kafka.client_config import producer_config


def load(tmp_path, producer_table: str):
    path = tmp_path / "pipeline.toml"
    path.write_text(f"[kafka.producer]\n{producer_table}\n", encoding="utf-8")
    return load_pipeline(path, registry=PluginHost(autoload=False).registry, environ={})


@pytest.mark.parametrize(("line", "problem", "fix"), [
    ('"enable.idempotence" = false', 'kafka.producer."enable.idempotence": turns idempotence off',
     "remove it (coinstream sets enable.idempotence=true), got False (bool)"),
    ('"enable.idempotence" = "0"', 'kafka.producer."enable.idempotence": turns idempotence off', "got '0' (str)"),
    ("acks = 1", "kafka.producer.acks: lets a send count as acknowledged before every in-sync replica has it",
     'remove it (coinstream sets acks=all) or set it to "all", got 1 (int)'),
    ('acks = "0"', "kafka.producer.acks: lets a send count as acknowledged", "got '0' (str)"),
    ('"request.required.acks" = 1', 'kafka.producer."request.required.acks": lets a send count', "got 1 (int)"),
    ('"topic.acks" = "1"', 'kafka.producer."topic.acks": lets a send count', "got '1' (str)"),
    ('"max.in.flight.requests.per.connection" = 10',
     'kafka.producer."max.in.flight.requests.per.connection": must be an integer from 1 to 5',
     "remove it (coinstream sets 5) or lower it, got 10 (int)"),
    ('"max.in.flight" = 6', 'kafka.producer."max.in.flight": must be an integer from 1 to 5', "got 6 (int)"),
    ("retries = 0", "kafka.producer.retries: must be at least 1", "set it to 1 or more, got 0 (int)"),
    ('"message.send.max.retries" = 0', 'kafka.producer."message.send.max.retries": must be at least 1',
     "got 0 (int)"),
])
def test_an_override_that_weakens_delivery_is_refused_with_the_key_the_value_and_the_fix(
        tmp_path, line, problem, fix):
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, line)
    message = str(raised.value)
    assert problem in message
    assert fix in message
    assert "against the pipeline's delivery guarantee" in message


def test_every_refused_override_is_listed_at_once(tmp_path):
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, '"enable.idempotence" = false\nacks = 1\n"linger.ms" = 5')
    message = str(raised.value)
    assert message.startswith("invalid pipeline configuration (2 problems):")
    assert 'kafka.producer."enable.idempotence"' in message and "kafka.producer.acks" in message
    assert "linger.ms" not in message


@pytest.mark.parametrize("line", [
    'acks = "all"', "acks = -1", 'acks = "ALL"', '"enable.idempotence" = true', '"enable.idempotence" = "true"',
    '"max.in.flight.requests.per.connection" = 1', '"max.in.flight" = "5"', "retries = 10",
    '"enable.gapless.guarantee" = false',  # coinstream does not set it: false is librdkafka's default
    '"queue.buffering.max.messages" = 5000', '"linger.ms" = 5',
])
def test_an_override_that_keeps_the_guarantee_reaches_the_producer(tmp_path, line):
    pipeline = load(tmp_path, line)
    key, value = next(iter(pipeline.config.kafka.producer.items()))
    config = producer_config(pipeline.config.kafka)
    assert config[key] == value
    assert config["enable.idempotence"] in (True, "true")
