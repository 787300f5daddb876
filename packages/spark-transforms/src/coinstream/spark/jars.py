"""The JVM jars the processor hands to Spark as ``spark.jars``: fetched once, then local files.

``infra/maven/spark/pom.xml`` names the Kafka source, spark-avro, Delta Lake and hadoop-aws. Their
versions come from what is INSTALLED on the Python side (:func:`installed_coordinates`) and are passed
to Maven as ``-D`` properties, so the jars always match pyspark and delta-spark. Maven copies the
runtime closure into ``<checkout>/.cache/jars/spark``; jars whose artifact pyspark already bundles are
dropped (pyspark's own copy wins); a ``.stamp`` holding a hash of the pom, the Maven settings and the
versions makes the next call a no-op.

This is a small sibling of core's stack jar fetch (``coinstream.core.stack.jars``), which is not part
of core's public API: it shares the same cache folders, the same settings.xml and the same lock file,
so two fetches never run Maven on one local repository at once.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import structlog

from coinstream.core.maven import MavenError, jar_cache_lock, run_maven

log = structlog.get_logger(__name__)

PART = "spark"
_STAMP = ".stamp"
# Delta releases whose JVM artifact is on Maven Central, per Spark line, for when delta-spark is not
# installed (coinstream-sink-s3 brings it; the processor alone does not need it).
_DELTA_FOR_SPARK_LINE = {"4.2": "4.4.0"}
_JAR_NAME = re.compile(r"^(?P<artifact>.+?)-(?P<version>\d+\.\d[^_]*)\.jar$")


class SparkJarsError(Exception):
    """The processor's jars could not be found or fetched (the message says what to do)."""


@dataclass(frozen=True, slots=True)
class JarCoordinates:
    """The versions that pick the Maven artifacts, as the installed Python packages require them."""

    spark_version: str
    scala_binary_version: str
    hadoop_version: str
    delta_version: str

    @property
    def spark_line(self) -> str:
        """Spark major.minor, part of the Delta artifact name (delta-spark_4.2_2.13)."""
        return ".".join(self.spark_version.split(".")[:2])

    def maven_properties(self) -> dict[str, str]:
        """The ``-D`` properties that override the pom's defaults."""
        return {
            "spark.version": self.spark_version,
            "scala.binary.version": self.scala_binary_version,
            "hadoop.version": self.hadoop_version,
            "delta.version": self.delta_version,
            "delta.spark.line": self.spark_line,
        }

    def artifacts(self) -> list[str]:
        """group:artifact:version of every artifact the pom asks for (for logs and errors)."""
        scala = self.scala_binary_version
        return [
            f"org.apache.spark:spark-sql-kafka-0-10_{scala}:{self.spark_version}",
            f"org.apache.spark:spark-avro_{scala}:{self.spark_version}",
            f"io.delta:delta-spark_{self.spark_line}_{scala}:{self.delta_version}",
            f"org.apache.hadoop:hadoop-aws:{self.hadoop_version}",
        ]


def jar_artifact(file_name: str) -> str | None:
    """Return the artifact name of a versioned jar file name (``kafka-clients-3.9.2.jar`` -> ``kafka-clients``)."""
    match = _JAR_NAME.match(file_name)
    return match.group("artifact") if match else None


def pyspark_jars_dir() -> Path:
    """The ``jars/`` folder inside the installed pyspark."""
    import pyspark

    return Path(pyspark.__file__).resolve().parent / "jars"


def installed_coordinates(bundled: Path | None = None) -> JarCoordinates:
    """Derive the Maven versions from the installed pyspark (and delta-spark, when installed)."""
    import pyspark

    folder = bundled or pyspark_jars_dir()
    names = [p.name for p in folder.glob("*.jar")]
    scala = _version_of(names, "scala-library")
    hadoop = _version_of(names, "hadoop-client-api")
    if scala is None or hadoop is None:
        raise SparkJarsError(
            f"cannot tell the Scala and Hadoop versions from the jars in {folder} (no scala-library or "
            "hadoop-client-api jar); reinstall pyspark (`pip install --force-reinstall pyspark`)"
        )
    spark_version = pyspark.__version__
    line = ".".join(spark_version.split(".")[:2])
    try:
        delta = metadata.version("delta-spark")
    except metadata.PackageNotFoundError:
        delta = _DELTA_FOR_SPARK_LINE.get(line, "")
        if not delta:
            raise SparkJarsError(
                f"no known Delta release for Spark {line}; install the delta-spark that matches pyspark "
                f"{spark_version}"
            ) from None
    return JarCoordinates(spark_version, ".".join(scala.split(".")[:2]), hadoop, delta)


def _version_of(names: list[str], artifact: str) -> str | None:
    for name in names:
        match = _JAR_NAME.match(name)
        if match and match.group("artifact") == artifact:
            return match.group("version")
    return None


@dataclass(frozen=True, slots=True)
class JarFolders:
    """Where the pom is, where Maven keeps its repository and where the jars land."""

    infra: Path
    cache: Path

    @property
    def pom(self) -> Path:
        return self.infra / "maven" / PART / "pom.xml"

    @property
    def maven_settings(self) -> Path:
        return self.infra / "maven" / "settings.xml"

    @property
    def maven_repo(self) -> Path:
        return self.cache / "m2"

    @property
    def jars(self) -> Path:
        return self.cache / "jars" / PART

    @property
    def maven_log(self) -> Path:
        return self.cache / "jars" / f"{PART}.maven.log"


def resolve_folders(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> JarFolders:
    """Find the checkout's ``infra`` folder the way the stack does (same environment variables)."""
    env = os.environ if environ is None else environ
    explicit = env.get("COINSTREAM_INFRA_DIR")
    infra: Path | None = None
    if explicit:
        infra = Path(explicit).expanduser().resolve()
    else:
        for start in ((cwd or Path.cwd()).resolve(), Path(__file__).resolve().parent):
            infra = next((f / "infra" for f in (start, *start.parents) if (f / "infra" / "maven" / PART).is_dir()),
                         None)
            if infra is not None:
                break
    if infra is None or not (infra / "maven" / PART / "pom.xml").is_file():
        raise SparkJarsError(
            "no infra/maven/spark/pom.xml found (COINSTREAM_INFRA_DIR, then upwards from the current folder); "
            "run inside the coinstream checkout, set COINSTREAM_INFRA_DIR=<checkout>/infra, or set "
            "[spark] jars_dir to a folder that already holds the jars"
        )
    cache = Path(env.get("COINSTREAM_STACK_CACHE_DIR") or infra.parent / ".cache").expanduser().resolve()
    return JarFolders(infra=infra, cache=cache)


def _fingerprint(folders: JarFolders, coordinates: JarCoordinates) -> str:
    digest = hashlib.sha256()
    for file in (folders.maven_settings, folders.pom):
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    for key, value in sorted(coordinates.maven_properties().items()):
        digest.update(f"{key}={value}\n".encode())
    return digest.hexdigest()


def listed_jars(folder: Path) -> list[Path]:
    """The jar files in a folder, sorted by name."""
    return sorted(folder.glob("*.jar"))


def ensure_jars(folders: JarFolders | None = None, coordinates: JarCoordinates | None = None) -> list[Path]:
    """Return the jars for ``spark.jars``, running Maven first when they are missing or stale.

    Idempotent: a stamp matching the pom, settings and versions skips Maven entirely.
    """
    folders = folders or resolve_folders()
    coordinates = coordinates or installed_coordinates()
    fingerprint = _fingerprint(folders, coordinates)
    stamp = folders.jars / _STAMP
    if stamp.is_file() and stamp.read_text().strip() == fingerprint:
        return listed_jars(folders.jars)
    with _cache_lock(folders):
        if stamp.is_file() and stamp.read_text().strip() == fingerprint:
            return listed_jars(folders.jars)
        started = time.monotonic()
        staging = folders.jars.with_name(f"{PART}.staging")
        shutil.rmtree(staging, ignore_errors=True)
        _copy_dependencies(folders, coordinates, staging)
        dropped = drop_bundled(staging, pyspark_jars_dir())
        (staging / _STAMP).write_text(fingerprint + "\n")
        shutil.rmtree(folders.jars, ignore_errors=True)
        staging.rename(folders.jars)
        jars = listed_jars(folders.jars)
        log.info("spark_jars_fetched", folder=str(folders.jars), jars=len(jars), dropped_bundled=len(dropped),
                 artifacts=coordinates.artifacts(), seconds=round(time.monotonic() - started, 1))
        return jars


def drop_bundled(folder: Path, bundled: Path) -> list[str]:
    """Delete the jars in ``folder`` whose artifact pyspark already ships; return their names."""
    shipped = {jar_artifact(p.name) for p in bundled.glob("*.jar")} - {None}
    dropped = []
    for jar in listed_jars(folder):
        if jar_artifact(jar.name) in shipped:
            jar.unlink()
            dropped.append(jar.name)
    return dropped


def _copy_dependencies(folders: JarFolders, coordinates: JarCoordinates, output: Path) -> None:
    log.info("spark_jars_fetching", artifacts=coordinates.artifacts(), maven_log=str(folders.maven_log))
    try:
        run_maven(folders.pom, ["dependency:copy-dependencies", "-DincludeScope=runtime", f"-DoutputDirectory={output}"],
                  settings=folders.maven_settings, local_repository=folders.maven_repo, log_path=folders.maven_log,
                  properties=coordinates.maven_properties(), what=f"Spark jars ({', '.join(coordinates.artifacts())})")
    except MavenError as error:
        raise SparkJarsError(
            f"{error}\n(delta-spark 4.4.1's jar is not on Maven Central: pin delta-spark==4.4.0; or set "
            "[spark] jars_dir to a folder that already holds the jars)") from None
    if not any(output.glob("*.jar")):
        raise SparkJarsError(f"Maven copied no jar into {output}; see {folders.maven_log}")


@contextmanager
def _cache_lock(folders: JarFolders) -> Iterator[None]:
    """The stack's lock: one Maven at a time on the shared local repository."""
    with jar_cache_lock(folders.cache / "jars"):
        yield
