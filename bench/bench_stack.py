"""The local stack a benchmark runs against: the [kafka] and [s3] sections `coinstream stack up` wrote.

Kept apart from end_to_end.py so that the peer baseline can read them without importing Spark.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from coinstream.core import STACK_UP_HINT, ServiceUnreachableError
from coinstream.devstack import LocalStack

CHECKOUT = Path(__file__).resolve().parents[1]


def stack_sections() -> tuple[dict[str, Any], dict[str, Any]]:
    """[kafka] and [s3] of the pipeline file ``coinstream stack up`` wrote; the stack's S3 keys into os.environ."""
    stack = LocalStack()  # its state folder (COINSTREAM_STACK_DIR or the checkout's .stack) and its saved keys
    pipeline_file, credentials = stack.paths.pipeline_file, stack.paths.credentials_file
    if not pipeline_file.is_file() or not credentials.is_file():
        raise ServiceUnreachableError(
            "the local stack", str(stack.paths.state), f"reading {pipeline_file.name} and {credentials.name}: "
            "not there", f"{STACK_UP_HINT} (or set COINSTREAM_STACK_DIR)")
    os.environ["AWS_ACCESS_KEY_ID"] = stack.endpoints.s3_access_key
    os.environ["AWS_SECRET_ACCESS_KEY"] = stack.endpoints.s3_secret_key
    document = tomllib.loads(pipeline_file.read_text())
    return document["kafka"], document["s3"]
