"""The JVM jars the processor hands to Spark as ``spark.jars``, and the Maven coordinates they have.

The Kafka source, spark-avro, Delta Lake and hadoop-aws must match the installed pyspark (and
delta-spark): :func:`installed_coordinates` derives their versions from it. Where the jar files
come from, in this order:

1. ``[spark] jars_dir``: a folder that holds them (the processor lists it; nothing is fetched).
2. a jar provider: a function registered under the entry-point group ``coinstream.spark_jars``,
   called with the coordinates, returning the jar files or None when it cannot provide them here.
   coinstream-devstack registers one: inside a coinstream checkout, Maven fetches them once into
   ``<checkout>/.cache/jars/spark`` (``./dev setup`` does it first).
3. otherwise :func:`ensure_jars` stops with an error naming the coordinates and both ways out.

A fetched folder should lose the jars whose artifact pyspark already bundles
(:func:`drop_bundled`): pyspark's own copy wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

JAR_PROVIDERS = "coinstream.spark_jars"
"""The entry-point group of jar providers: ``name = "module:function"``, the function taking a
:class:`JarCoordinates` and returning ``list[Path]`` (or None when it has no jars to offer here)."""
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


def listed_jars(folder: Path) -> list[Path]:
    """The jar files in a folder, sorted by name."""
    return sorted(folder.glob("*.jar"))


def ensure_jars(coordinates: JarCoordinates | None = None) -> list[Path]:
    """Return the jars for ``spark.jars`` (used when ``[spark] jars_dir`` is not set): the first
    registered jar provider that has them (it may fetch them first).

    Raises :class:`SparkJarsError` naming the coordinates when no provider offers any.
    """
    coordinates = coordinates or installed_coordinates()
    for entry_point in sorted(metadata.entry_points(group=JAR_PROVIDERS), key=lambda e: e.name):
        jars = entry_point.load()(coordinates)
        if jars is not None:
            return list(jars)
    raise SparkJarsError(
        f"no jars for Spark's Kafka source, Avro, Delta and S3A ({', '.join(coordinates.artifacts())}): set "
        "[spark] jars_dir to a folder holding them and their dependencies (see coinstream-spark-transforms' "
        "README, \"Jars\"), or work inside the coinstream checkout with coinstream-devstack installed "
        "(`./dev setup` fetches them)")


def drop_bundled(folder: Path, bundled: Path) -> list[str]:
    """Delete the jars in ``folder`` whose artifact pyspark already ships; return their names."""
    shipped = {jar_artifact(p.name) for p in bundled.glob("*.jar")} - {None}
    dropped = []
    for jar in listed_jars(folder):
        if jar_artifact(jar.name) in shipped:
            jar.unlink()
            dropped.append(jar.name)
    return dropped
