"""Redaction of secrets in log events, log lines and error messages.

Three nets, applied together: values under secret-looking keys (``api_key``, ``password``,
``authorization``...) at any depth; secret-looking patterns inside text (``token=`` in URLs,
``Authorization:`` headers, ``"authorization": "..."`` in JSON, ``secret_key: ...`` and
``password=...`` unquoted, environment variables named ``*_KEY``/``*_SECRET``/``*_PASSWORD``/
``*_TOKEN``, ``basic.auth.user.info=user:pass``, ``X-Amz-Credential``/``X-Amz-Signature``, AWS
access key ids, passwords in URLs); and every secret value the configuration loaded, wherever it
appears, also in its JSON-escaped form.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Mapping, MutableMapping
from typing import Any

from pydantic import SecretStr

REDACTED = "***"
_MIN_REGISTERED_SECRET = 4

_SECRET_KEY = re.compile(
    r"(api[_-]?key|apikey|token|secret|passw(or)?d|passphrase|authori[sz]ation|credential|"
    r"sasl[_.]password|private[_-]?key|access[_-]?key|session[_-]?key|cookie)",
    re.IGNORECASE,
)
# Key names whose value is secret: api_key, AWS's secret_access_key, db.password, sasl.password...
_SECRET_WORD = (r"(?:api[_-]?key|apikey|token|secret|secret[_-]?(?:access[_-]?)?key|access[_-]?key|private[_-]?key|"
                r"password|passwd|passphrase|credentials?)")
# A quote around a key, also as it appears escaped inside a JSON string (\", \\\" one level deeper).
_KEY_QUOTE = r"(?:\\*['\"])?"
# A quoted value with its escapes ("a\"b", and \"a\\\"b\" inside a JSON string); the quote is group 2.
# An unclosed quote runs to the end of the line: a cut-off line must not leak what it has. Atomic and
# possessive: a line of backslashes must not make the match backtrack for ever.
_QUOTED = r"(\\*['\"])(?:(?!\2)(?>\\\\\\.|\\.|[^\\\n]))*+(?:\2|\\?(?=\n)|\\?\Z)"
# An unquoted value: up to a blank, a separator, a quote (escaped or not: the end of a string inside a JSON
# string) or a closing brace, so a JSON line stays JSON.
_BARE = r"(?:\\[^'\"]|[^\s,;&}'\"\\])+"

_TEXT_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # ?token=abc / &api_key=abc / &password=abc in URLs and query strings
    (re.compile(r"(?i)([?&;](?:token|api[_-]?key|apikey|key|secret|password|passwd|signature|"
                r"x-amz-signature|x-amz-credential|x-amz-security-token)=)[^&#\s'\"\\]+"), r"\1" + REDACTED),
    # Authorization: Token abc / Bearer abc / Basic abc / AWS4-HMAC-SHA256 Credential=...
    (re.compile(r"(?i)(authori[sz]ation" + _KEY_QUOTE + r"\s*[:=]\s*" + _KEY_QUOTE + r")(?:(token|bearer|basic)\s+)?"
                r"[^'\",\s}\\]+(?:[^'\"}\n\\]*)"), r"\1\2 " + REDACTED),
    # "api_key": "abc" / 'password': 'abc' / password="a\"b" in JSON, dict reprs, JAAS and key=value text
    (re.compile(r"(?i)(" + _KEY_QUOTE + _SECRET_WORD + _KEY_QUOTE + r"\s*[:=]\s*)" + _QUOTED),
     r"\1\2" + REDACTED + r"\2"),
    # user:password@host in URLs (the scheme read from its start only: trying every letter of a long word is
    # quadratic)
    (re.compile(r"(?i)(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*://[^:/\s@]+:)[^@\s/]+(@)"), r"\1" + REDACTED + r"\2"),
    # AWS access key ids
    (re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{16}\b"), REDACTED),
    # Environment variables named like secrets: AWS_SECRET_ACCESS_KEY=..., COINSTREAM_TIINGO_API_KEY="..."
    (re.compile(r"\b([A-Z][A-Z0-9_]*_(?:KEY|SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIALS?)[ \t]*[=:][ \t]*)"
                r"(?:" + _QUOTED + r"|(?!\*\*\*)" + _BARE + ")"), r"\1\2" + REDACTED + r"\2"),
    # key: value and key=value, unquoted, for keys that end in a secret word (secret_key: ..., db.password=...);
    # what precedes the word stays as it is, so it is not matched (a long word would make that quadratic)
    (re.compile(r"(?i)(" + _SECRET_WORD + r"[ \t]*[:=][ \t]*)(?![\s'\"*\\])" + _BARE), r"\1" + REDACTED),
    # Confluent's basic.auth.user.info=user:password, the user too
    (re.compile(r"(?i)(user\.info" + _KEY_QUOTE + r"[ \t]*[:=][ \t]*)(?:" + _QUOTED + r"|(?!\*\*\*)" + _BARE + ")"),
     r"\1\2" + REDACTED + r"\2"),
    # Presigned-URL credentials wherever they appear
    (re.compile(r"(?i)\b(x-amz-(?:credential|signature|security-token)=)[^&\s'\"\\]+"), r"\1" + REDACTED),
)

_registered: set[str] = set()
_registered_pattern: re.Pattern[str] | None = None
_lock = threading.Lock()


def register_secret(value: str | SecretStr | None) -> None:
    """Remember a secret value so it is redacted wherever it appears from now on.

    The configuration loader registers every ``SecretStr`` it loads; sources register the keys
    they are handed. Values shorter than 4 characters are ignored (they would redact noise).
    """
    global _registered_pattern
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    if not text or len(text) < _MIN_REGISTERED_SECRET:
        return
    with _lock:
        if text in _registered:
            return
        _registered.update(_as_written(text))
        alternatives = sorted(_registered, key=len, reverse=True)
        _registered_pattern = re.compile("|".join(re.escape(secret) for secret in alternatives))


def _as_written(secret: str) -> set[str]:
    """Every form a secret takes in a line: as is, inside a JSON string, inside a JSON line logged as a string.

    A secret holding ``"``, ``\\`` or non-ASCII text is written escaped there; redacting only the raw form
    would leak its tail.
    """
    once = {json.dumps(secret, ensure_ascii=ascii_only)[1:-1] for ascii_only in (True, False)}
    twice = {json.dumps(form)[1:-1] for form in once}
    return {secret, *once, *twice}


def is_secret_key(key: object) -> bool:
    """Return True when a mapping key or config key names something secret."""
    return isinstance(key, str) and _SECRET_KEY.search(key) is not None


def redact_text(text: str) -> str:
    """Return ``text`` with registered secrets and secret-looking patterns replaced by ***."""
    pattern = _registered_pattern
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    for regex, replacement in _TEXT_PATTERNS:
        text = regex.sub(replacement, text)
    return text


def redact(value: Any, key: object = None) -> Any:
    """Return a redacted copy of a value: mappings and sequences are walked, text is scrubbed."""
    if key is not None and is_secret_key(key) and value not in (None, "", b""):
        return REDACTED
    if isinstance(value, SecretStr):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, bytes):
        return redact_text(value.decode("utf-8", "replace"))
    if isinstance(value, Mapping):
        return {k: redact(v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact(item) for item in value)
    if isinstance(value, (set, frozenset)):
        return [redact(item) for item in value]
    if isinstance(value, BaseException):
        return redact_text(f"{type(value).__name__}: {value}")
    return value


def redact_event_dict(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: redact every value of the event, including rendered exceptions.

    Place it after ``format_exc_info`` so tracebacks are scrubbed too.
    """
    return {key: redact(value, key) for key, value in event_dict.items()}


class RedactingFormatter(logging.Formatter):
    """A stdlib formatter that scrubs the whole formatted line (message, args and traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_text(super().format(record))
