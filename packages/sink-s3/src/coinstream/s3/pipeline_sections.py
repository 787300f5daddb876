"""The [s3] section of the pipeline the processor is running, for the sinks.

A sink's factory receives only its own settings, yet the Delta and CSV sinks need the pipeline's
[s3] section (bucket, prefix, endpoint). The plugin's ``pipeline_started`` hook records it here
(the processor calls that hook after building the sinks and before starting them); the sinks look it
up by pipeline name when their query starts. Replace this with the section handed to the sink once
the processor API passes it (see the package README, "Open points").
"""

from __future__ import annotations

import threading

from coinstream.core import Pipeline
from coinstream.lake import S3Settings

_lock = threading.Lock()
_by_pipeline: dict[str, S3Settings | None] = {}
_latest: list[S3Settings | None] = []


def remember_pipeline(pipeline: Pipeline) -> None:
    """Record the [s3] section (or its absence) of a pipeline that is starting."""
    section = pipeline.section("s3")
    settings = section if isinstance(section, S3Settings) else None
    with _lock:
        _by_pipeline[pipeline.name] = settings
        _latest[:] = [settings]


def s3_settings_of(pipeline_name: str | None = None) -> S3Settings | None:
    """Return the [s3] section of that pipeline (default: the one that started last), or None."""
    with _lock:
        if pipeline_name is not None and pipeline_name in _by_pipeline:
            return _by_pipeline[pipeline_name]
        return _latest[0] if _latest else None


def forget_pipelines() -> None:
    """Forget every recorded pipeline (tests)."""
    with _lock:
        _by_pipeline.clear()
        _latest.clear()
