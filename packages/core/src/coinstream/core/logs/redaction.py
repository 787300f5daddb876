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
_TEXT_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # ?token=abc / &api_key=abc / &password=abc in URLs and query strings
    (re.compile(r"(?i)([?&;](?:token|api[_-]?key|apikey|key|secret|password|passwd|signature|"
                r"x-amz-signature|x-amz-credential|x-amz-security-token)=)[^&#\s'\"]+"), r"\1" + REDACTED),
    # Authorization: Token abc / Bearer abc / Basic abc / AWS4-HMAC-SHA256 Credential=...
    (re.compile(r"(?i)(authori[sz]ation['\"]?\s*[:=]\s*['\"]?)(?:(token|bearer|basic)\s+)?[^'\",\s}]+"
                r"(?:[^'\"}\n]*)"), r"\1\2 " + REDACTED),
    # "api_key": "abc" / 'password': 'abc' / secret=abc in JSON, dict reprs and key=value text
    (re.compile(r"(?i)(['\"]?(?:api[_-]?key|apikey|token|secret[_-]?(?:access[_-]?)?key|secret|password|"
                r"passwd|sasl[_.]password)['\"]?\s*[:=]\s*)(['\"])(?:\\.|(?!\2)[^\\])*\2"), r"\1\2" + REDACTED + r"\2"),
    (re.compile(r"(?i)\b((?:api[_-]?key|apikey|token|secret|password|passwd)=)(?!['\"])[^\s&,;]+"),
     r"\1" + REDACTED),
    # user:password@host in URLs
    (re.compile(r"(?i)([a-z][a-z0-9+.-]*://[^:/\s@]+:)[^@\s/]+(@)"), r"\1" + REDACTED + r"\2"),
    # AWS access key ids
    (re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{16}\b"), REDACTED),
    # Environment variables named like secrets: AWS_SECRET_ACCESS_KEY=..., COINSTREAM_TIINGO_API_KEY="..."
    (re.compile(r"\b([A-Z][A-Z0-9_]*_(?:KEY|SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIALS?)\s*[=:]\s*)"
                r"(?:\"[^\"]*\"|'[^']*'|(?!\*\*\*)[^\s,;&]+)"), r"\1" + REDACTED),
    # key: value and key=value, unquoted, for keys that end in a secret word (secret_key: ..., db.password=...)
    (re.compile(r"(?i)(\b[\w.-]*?(?:api[_-]?key|apikey|token|secret|secret[_-]?(?:access[_-]?)?key|access[_-]?key|"
                r"password|passwd|passphrase|credentials?)\s*[:=]\s*)(?![\s'\"*])[^\s,;&}'\"]+"), r"\1" + REDACTED),
    # Confluent's basic.auth.user.info=user:password
    (re.compile(r"(?i)(user\.info['\"]?\s*[:=]\s*['\"]?)[^\s'\",;}]+"), r"\1" + REDACTED),
    # Presigned-URL credentials wherever they appear
    (re.compile(r"(?i)\b(x-amz-(?:credential|signature|security-token)=)[^&\s'\"]+"), r"\1" + REDACTED),
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
        _registered.add(text)
        escaped = json.dumps(text)[1:-1]  # as it appears inside a JSON log line ("a\"b" -> a\\"b)
        if escaped != text:
            _registered.add(escaped)
        alternatives = sorted(_registered, key=len, reverse=True)
        _registered_pattern = re.compile("|".join(re.escape(secret) for secret in alternatives))


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
