"""Secrets never reach the output: URLs, headers, nested dicts, exceptions, stdlib and structlog."""

from __future__ import annotations

import io
import json
import logging

import pytest
import structlog

from coinstream.core.logs import configure_logging, redact, redact_text, register_secret

TOKEN = "tok_9f8e7d6c5b4a39281706"
AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"


@pytest.fixture
def json_output():
    stream = io.StringIO()
    configure_logging("debug", "json", stream=stream)
    yield stream
    structlog.reset_defaults()
    logging.getLogger().handlers.clear()


def test_token_in_a_url_query_is_redacted():
    text = redact_text(f"GET https://api.tiingo.com/tiingo/crypto?tickers=btcusd&token={TOKEN} failed")
    assert TOKEN not in text
    assert "tickers=btcusd&token=***" in text


def test_authorization_headers_are_redacted():
    assert TOKEN not in redact_text(f"Authorization: Token {TOKEN}")
    assert redact_text(f"Authorization: Bearer {TOKEN}") == "Authorization: Bearer ***"
    headers = redact({"Authorization": f"Token {TOKEN}", "Accept": "application/json"})
    assert headers == {"Authorization": "***", "Accept": "application/json"}


def test_nested_secrets_are_redacted_by_key_and_siblings_kept():
    event = {"source": {"url": "wss://api.tiingo.com/crypto", "api_key": TOKEN,
                        "subscribe": [{"authorization": TOKEN, "eventName": "subscribe"}]},
             "s3": {"aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG", "bucket": "lake"}}
    cleaned = redact(event)
    assert TOKEN not in json.dumps(cleaned)
    assert cleaned["source"]["url"] == "wss://api.tiingo.com/crypto"
    assert cleaned["source"]["subscribe"][0] == {"authorization": "***", "eventName": "subscribe"}
    assert cleaned["s3"] == {"aws_secret_access_key": "***", "bucket": "lake"}


def test_json_subscribe_frame_text_is_redacted():
    frame = '{"eventName": "subscribe", "authorization": "' + TOKEN + '", "eventData": {"thresholdLevel": 5}}'
    cleaned = redact_text(frame)
    assert TOKEN not in cleaned and '"thresholdLevel": 5' in cleaned


def test_aws_access_key_ids_and_url_passwords_are_redacted():
    text = redact_text(f"key {AWS_KEY_ID} for https://admin:hunter2secret@registry.local/subjects")
    assert AWS_KEY_ID not in text and "hunter2secret" not in text
    assert "https://admin:***@registry.local/subjects" in text


def test_registered_secret_is_redacted_anywhere_even_without_a_hint():
    register_secret("plainvalue-4242-registered")
    assert redact_text("weird place plainvalue-4242-registered here") == "weird place *** here"


def test_structlog_event_with_secret_values_and_exception(json_output):
    log = structlog.get_logger("coinstream.test")
    try:
        raise ConnectionError(f"handshake to wss://host/crypto?token={TOKEN} refused")
    except ConnectionError:
        log.exception("connect_failed", api_key=TOKEN, headers={"Authorization": f"Token {TOKEN}"}, attempt=3)

    output = json_output.getvalue()
    assert TOKEN not in output
    record = json.loads(output.splitlines()[-1])
    assert record["event"] == "connect_failed"
    assert record["attempt"] == 3
    assert record["api_key"] == "***"
    assert "ConnectionError" in record["exception"]


def test_stdlib_logger_messages_and_args_are_redacted(json_output):
    logging.getLogger("botocore.endpoint").warning("retrying %s", f"https://s3/x?X-Amz-Signature={TOKEN}")
    logging.getLogger("thirdparty").error("login with password=%s", TOKEN)

    output = json_output.getvalue()
    assert TOKEN not in output
    assert "thirdparty" in output  # the message itself still arrives


def test_console_format_is_redacted_too():
    stream = io.StringIO()
    configure_logging("info", "console", stream=stream)
    try:
        structlog.get_logger("x").info("subscribed", url=f"wss://h/c?token={TOKEN}")
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers.clear()
    assert TOKEN not in stream.getvalue()
    assert "subscribed" in stream.getvalue()


SHAPES = [  # (line, the key name that must stay, the secret that must go)
    ("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG", "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG"),
    ('export COINSTREAM_TIINGO_API_KEY="tiingo0123456789"', "COINSTREAM_TIINGO_API_KEY", "tiingo0123456789"),
    ("COINSTREAM_KAFKA_SASL_PASSWORD: s3cr3t-pass", "COINSTREAM_KAFKA_SASL_PASSWORD", "s3cr3t-pass"),
    ("MINIO_ROOT_SECRET=minio-s3cr3t", "MINIO_ROOT_SECRET", "minio-s3cr3t"),
    ("GH_TOKEN=ghp_0123456789abcdef", "GH_TOKEN", "ghp_0123456789abcdef"),
    ("secret_key: wJalrXUtnFEMIK7MDENG", "secret_key", "wJalrXUtnFEMIK7MDENG"),
    ("password=hunter2hunter2", "password", "hunter2hunter2"),
    ("db.password=hunter2hunter2", "db.password", "hunter2hunter2"),
    ("sasl.password: hunter2hunter2", "sasl.password", "hunter2hunter2"),
    ("api_key=tiingo0123456789 tickers=btcusd", "api_key", "tiingo0123456789"),
    ("apikey: tiingo0123456789", "apikey", "tiingo0123456789"),
    ("token=tok0123456789", "token", "tok0123456789"),
    ("access_key: AKIDEXAMPLE0123", "access_key", "AKIDEXAMPLE0123"),
    ("credential=cred0123456789", "credential", "cred0123456789"),
    ('{"api_key": "tiingo0123456789", "tickers": ["btcusd"]}', '"api_key"', "tiingo0123456789"),
    ('{"aws_secret_access_key": "wJalrXUtnFEMIK7MDENG"}', '"aws_secret_access_key"', "wJalrXUtnFEMIK7MDENG"),
    ('{"access_key": "AKIDEXAMPLE0123"}', '"access_key"', "AKIDEXAMPLE0123"),
    ('{"token": "tok\\"0123456789"}', '"token"', "0123456789"),
    ("{'password': 'hunter2hunter2'}", "'password'", "hunter2hunter2"),
    ("basic.auth.user.info=alice:opensesame99", "basic.auth.user.info", "opensesame99"),
    ("basic.auth.user.info=alice:opensesame99", "basic.auth.user.info", "alice"),
    ("https://s3.local/b/k?X-Amz-Credential=AKIDEXAMPLE%2F20261202&X-Amz-Signature=deadbeef01",
     "X-Amz-Signature", "deadbeef01"),
    ("https://s3.local/b/k?X-Amz-Credential=AKIDEXAMPLE%2F20261202&X-Amz-Signature=deadbeef01",
     "X-Amz-Credential", "AKIDEXAMPLE"),
    ('sasl.jaas.config=PlainLoginModule required username="u" password="pa\\"ss0123";', "password", "ss0123"),
]


@pytest.mark.parametrize(("line", "key", "secret"), SHAPES)
def test_unregistered_secrets_in_common_shapes_are_redacted(line, key, secret):
    cleaned = redact_text(line)
    assert secret not in cleaned
    assert key in cleaned and "***" in cleaned


@pytest.mark.parametrize(("line", "key", "secret"), SHAPES)
def test_a_shape_inside_a_json_log_line_is_redacted_and_the_line_stays_json(line, key, secret):
    texts = [json.dumps({"event": "x", "detail": line})]
    if '\\"' not in line:
        # a log line relogged as a string; one holding an escaped quote is out of reach there (the patterns do
        # not count escape depth), only registered secrets are matched in every form
        texts.append(json.dumps({"event": "x", "line": json.dumps({"detail": line})}))
    for text in texts:
        cleaned = redact_text(text)
        assert secret not in cleaned
        assert json.loads(cleaned)["event"] == "x"


@pytest.mark.parametrize("line", [
    "schema_id=3 key=btcusd max_keys=4 partition_key=btcusd trades_per_s=5000 tokens: 5 session_id=s-1",
    "topic=crypto.trades.v1 spool_max_bytes=1073741824 feed_gaps_topic=crypto.feed_gaps.v1",
    "key=ticker primary_key=trade_id sort_key: trade_time secret_name=lake token_bucket=3 access_keys=2",
    '{"key": "ticker", "partition_key": "btcusd", "max_tokens": 5, "password_file": "/run/secrets/kafka"}',
    "DELTA_KEY_COLUMN=ticker KEYS=3",
    "password:\n  next: 1",
])
def test_lines_without_secrets_are_left_alone(line):
    assert redact_text(line) == line


@pytest.mark.parametrize(("line", "redacted"), [
    ("a." * 6_000, "a." * 6_000),  # every letter a word boundary
    ("x" * 24_000, "x" * 24_000),  # a base64 blob
    ('password="' + "\\\\" * 36 + "\\", 'password="***"'),  # backslashes, and no closing quote
])
@pytest.mark.timeout(30, method="thread")  # a few ms; minutes when a pattern backtracks (C code: no signal gets in)
def test_a_long_line_is_redacted_without_backtracking(line, redacted):
    assert redact_text(line) == redacted


def test_a_registered_secret_is_redacted_in_its_json_escaped_forms_too():
    secret = 'q"uo\\te-s\u00e9cret'
    register_secret(secret)
    line = json.dumps({"event": "connect_failed", "detail": f"refused {secret} here"})
    relogged = json.dumps({"event": "subprocess_line", "line": line}, ensure_ascii=False)
    for text in (line, json.dumps({"detail": secret}, ensure_ascii=False), relogged):
        cleaned = redact_text(text)
        assert "uo" not in cleaned and "te-s" not in cleaned and "cret" not in cleaned
    assert json.loads(redact_text(line))["detail"] == "refused *** here"


def test_a_json_log_line_ending_in_a_secret_stays_json(json_output):
    structlog.get_logger("x").info("login_failed", detail="login password=hunter2hunter2")
    logging.getLogger("thirdparty").warning("env AWS_SECRET_ACCESS_KEY=%s", "wJalrXUtnFEMI/K7MDENG")

    records = [json.loads(line) for line in json_output.getvalue().splitlines()]
    assert [record["event"] for record in records] == ["login_failed", "env AWS_SECRET_ACCESS_KEY=***"]
    assert records[0]["detail"] == "login password=***"


def test_cli_errors_are_redacted(capsys):
    from coinstream.core.cli.output import echo_error

    echo_error(ValueError("cannot use AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG for s3"))
    assert capsys.readouterr().err == "error: cannot use AWS_SECRET_ACCESS_KEY=*** for s3\n"
