"""The Spark processor's jars inside a checkout: Maven fetches ``infra/maven/spark/pom.xml`` once.

``infra/maven/spark/pom.xml`` names the Kafka source, spark-avro, Delta Lake and hadoop-aws. Their
versions come from what is INSTALLED on the Python side (``coinstream.spark.installed_coordinates``)
and are passed to Maven as ``-D`` properties, so the jars always match pyspark and delta-spark.
Maven copies the runtime closure into ``<cache>/jars/spark``; jars whose artifact pyspark already
bundles are dropped (pyspark's own copy wins); a ``.stamp`` holding a hash of the pom, the Maven
settings and the versions makes the next call a no-op. The fetch shares the stack's Maven runner,
local repository and lock, so two fetches never run Maven on one repository at once.

:func:`checkout_jars` is registered under the entry-point group ``coinstream.spark_jars``: the
processor calls it when ``[spark] jars_dir`` is not set (``./dev setup`` calls it first).
"""

from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path

import structlog

from coinstream.devstack.errors import StackError
from coinstream.devstack.maven import MavenError, jar_cache_lock, run_maven
from coinstream.devstack.paths import StackPaths, resolve_paths
from coinstream.spark import JarCoordinates, SparkJarsError, drop_bundled, listed_jars, pyspark_jars_dir

log = structlog.get_logger(__name__)

PART = "spark"
_STAMP = ".stamp"


def spark_pom(paths: StackPaths) -> Path:
    """The Maven project naming the processor's jars."""
    return paths.maven / PART / "pom.xml"


def _fingerprint(paths: StackPaths, coordinates: JarCoordinates) -> str:
    digest = hashlib.sha256()
    for file in (paths.maven_settings, spark_pom(paths)):
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    for key, value in sorted(coordinates.maven_properties().items()):
        digest.update(f"{key}={value}\n".encode())
    return digest.hexdigest()


def fetch_spark_jars(paths: StackPaths, coordinates: JarCoordinates) -> list[Path]:
    """Return the jars for ``spark.jars``, running Maven first when they are missing or stale.

    Idempotent: a stamp matching the pom, settings and versions skips Maven entirely.
    """
    if not spark_pom(paths).is_file():
        raise SparkJarsError(f"{spark_pom(paths)} is missing; the checkout's infra/maven/{PART} is incomplete")
    fingerprint = _fingerprint(paths, coordinates)
    folder = paths.jars(PART)
    stamp = folder / _STAMP
    if stamp.is_file() and stamp.read_text().strip() == fingerprint:
        return listed_jars(folder)
    with jar_cache_lock(paths.cache / "jars"):
        if stamp.is_file() and stamp.read_text().strip() == fingerprint:
            return listed_jars(folder)
        started = time.monotonic()
        staging = folder.with_name(f"{PART}.staging")
        shutil.rmtree(staging, ignore_errors=True)
        _copy_dependencies(paths, coordinates, staging)
        dropped = drop_bundled(staging, pyspark_jars_dir())
        (staging / _STAMP).write_text(fingerprint + "\n")
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)
        jars = listed_jars(folder)
        log.info("spark_jars_fetched", folder=str(folder), jars=len(jars), dropped_bundled=len(dropped),
                 artifacts=coordinates.artifacts(), seconds=round(time.monotonic() - started, 1))
        return jars


def checkout_jars(coordinates: JarCoordinates) -> list[Path] | None:
    """The ``coinstream.spark_jars`` provider: called by the processor when ``[spark] jars_dir`` is unset.

    Returns the checkout's fetched jars (fetching them first when missing or stale), or None when
    no checkout is found from here (then the processor explains how else to get them).
    """
    try:
        paths = resolve_paths()
    except StackError:
        return None
    return fetch_spark_jars(paths, coordinates)


def _copy_dependencies(paths: StackPaths, coordinates: JarCoordinates, output: Path) -> None:
    maven_log = paths.maven_log(PART)
    log.info("spark_jars_fetching", artifacts=coordinates.artifacts(), maven_log=str(maven_log))
    try:
        run_maven(spark_pom(paths), ["dependency:copy-dependencies", "-DincludeScope=runtime",
                                     f"-DoutputDirectory={output}"],
                  settings=paths.maven_settings, local_repository=paths.maven_repo, log_path=maven_log,
                  properties=coordinates.maven_properties(), what=f"Spark jars ({', '.join(coordinates.artifacts())})")
    except MavenError as error:
        raise SparkJarsError(
            f"{error}\n(delta-spark 4.4.1's jar is not on Maven Central: pin delta-spark==4.4.0; or set "
            "[spark] jars_dir to a folder that already holds the jars)") from None
    if not any(output.glob("*.jar")):
        raise SparkJarsError(f"Maven copied no jar into {output}; see {maven_log}")
