"""Checks of the PEM files the [kafka] TLS settings name (the registry's CA too): each must exist and be readable
when the pipeline is loaded."""

from __future__ import annotations

import os
from pathlib import Path

TLS_FILE_KEYS = ("ssl_ca_location", "ssl_certificate_location", "ssl_key_location")
"""The [kafka] settings that name a PEM file."""


def unreadable_file_problem(key: str, location: str, variable: str | None) -> str | None:
    """Why ``[kafka] <key> = location`` cannot be used (with the fix, naming the environment ``variable`` that sets
    it too), or None when it is a readable file."""
    path = Path(location).expanduser()
    fix = f"point [kafka] {key}{f' (or {variable})' if variable else ''} at an existing PEM file"
    if not path.exists():
        return f"{key}={location!r}: no such file; {fix}"
    if not path.is_file():
        return f"{key}={location!r} is not a file; {fix}"
    if not os.access(path, os.R_OK):
        return f"{key}={location!r} is not readable by this user; give it read permission (chmod u+r) or {fix}"
    return None
