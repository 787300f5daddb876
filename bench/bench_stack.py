"""The local stack a benchmark runs against: the [kafka] and [s3] sections `coinstream stack up` wrote.

Kept apart from end_to_end.py so that the peer baseline can read them without importing Spark.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from coinstream.core import STACK_UP_HINT, ServiceUnreachableError

CHECKOUT = Path(__file__).resolve().parents[1]
STATE = Path(os.environ.get("COINSTREAM_STACK_DIR", CHECKOUT / ".stack"))


def stack_sections() -> tuple[dict[str, Any], dict[str, Any]]:
    """[kafka] and [s3] of the pipeline file ``coinstream stack up`` wrote; the S3 keys into os.environ."""
    pipeline_file, credentials = STATE / "pipeline.toml", STATE / "s3-credentials.env"
    if not pipeline_file.is_file() or not credentials.is_file():
        raise ServiceUnreachableError(
            "the local stack", str(STATE), f"reading {pipeline_file.name} and {credentials.name}: not there",
            f"{STACK_UP_HINT} (or set COINSTREAM_STACK_DIR)")
    for line in credentials.read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            os.environ[key.strip()] = value.strip()
    document = tomllib.loads(pipeline_file.read_text())
    return document["kafka"], document["s3"]
