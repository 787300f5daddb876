"""Apicurio Registry 2.4.2 (Confluent-compatible API) with its H2 database in a file.

The registry's default storage is an in-memory H2 database: every schema id would be lost on a
restart while records already in Kafka carry those ids. ``REGISTRY_DATASOURCE_URL`` (read by the
registry's own application.properties) points it at ``<state>/registry/db.mv.db`` instead.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import structlog

from coinstream.devstack import jars
from coinstream.devstack.endpoints import StackEndpoints
from coinstream.devstack.paths import StackPaths
from coinstream.devstack.process import ProcessRecord, start_jvm
from coinstream.devstack.readiness import http_status, wait_until

log = structlog.get_logger(__name__)

PART = "registry"


def datasource_url(paths: StackPaths) -> str:
    return f"jdbc:h2:file:{paths.part_dir(PART) / 'db'}"


def start(paths: StackPaths, endpoints: StackEndpoints) -> ProcessRecord:
    folder = paths.part_dir(PART)
    folder.mkdir(parents=True, exist_ok=True)
    jvm_args = [
        "-Xms64m", "-Xmx256m", "-XX:+UseSerialGC", "-Djava.awt.headless=true",
        f"-Dquarkus.http.host={endpoints.host}", f"-Dquarkus.http.port={endpoints.registry_port}",
        "-Dquarkus.banner.enabled=false",
        # Sentry is compiled in but unconfigured: it warns at every start otherwise.
        '-Dquarkus.log.category."io.sentry".level=ERROR',
        # The registry's production profile opens 20 connections up front; one client needs few.
        "-Dquarkus.datasource.jdbc.initial-size=2", "-Dquarkus.datasource.jdbc.min-size=2",
        "-Dquarkus.datasource.jdbc.max-size=10",
        "-jar", str(jars.registry_runner(paths)),
    ]
    env = {"REGISTRY_DATASOURCE_URL": datasource_url(paths), "LOG_LEVEL": "WARN", "REGISTRY_LOG_LEVEL": "WARN"}
    return start_jvm(paths, PART, jvm_args, cwd=folder, ports=(endpoints.registry_port,), env=env)


def subjects_url(endpoints: StackEndpoints) -> str:
    return f"{endpoints.schema_registry_url}/subjects"


def wait_ready(
    endpoints: StackEndpoints,
    *,
    timeout: float = 120.0,
    alive: Callable[[], bool] | None = None,
    log_file: str | Path | None = None,
) -> float:
    """Wait until the Confluent-compatible API answers 200 on /subjects."""
    waited = wait_until(lambda: http_status(subjects_url(endpoints)) == 200, what="schema registry",
                        timeout=timeout, alive=alive, log_file=log_file)
    log.info("schema_registry_ready", url=endpoints.schema_registry_url, seconds=round(waited, 1))
    return waited
