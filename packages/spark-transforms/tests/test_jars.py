"""The Maven coordinates follow the installed pyspark; jars pyspark already bundles are dropped; without
[spark] jars_dir the jars come from a registered provider, or the error says how to get them."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from coinstream.spark.jars import (
    JarCoordinates,
    SparkJarsError,
    drop_bundled,
    ensure_jars,
    installed_coordinates,
    jar_artifact,
)


@pytest.mark.parametrize(("name", "artifact"), [
    ("kafka-clients-3.9.2.jar", "kafka-clients"),
    ("spark-sql-kafka-0-10_2.13-4.2.0.jar", "spark-sql-kafka-0-10_2.13"),
    ("delta-spark_4.2_2.13-4.4.0.jar", "delta-spark_4.2_2.13"),
    ("zstd-jni-1.5.7-3.jar", "zstd-jni"),
    ("guava-33.6.0-jre.jar", "guava"),
    ("wildfly-openssl-2.2.5.Final.jar", "wildfly-openssl"),
])
def test_jar_artifact_names(name, artifact):
    assert jar_artifact(name) == artifact


def test_the_installed_pyspark_gives_the_verified_coordinates():
    coordinates = installed_coordinates()
    assert coordinates == JarCoordinates("4.2.0", "2.13", "3.5.0", "4.4.0")
    assert coordinates.artifacts() == [
        "org.apache.spark:spark-sql-kafka-0-10_2.13:4.2.0",
        "org.apache.spark:spark-avro_2.13:4.2.0",
        "io.delta:delta-spark_4.2_2.13:4.4.0",
        "org.apache.hadoop:hadoop-aws:3.5.0",
    ]
    assert coordinates.maven_properties()["delta.spark.line"] == "4.2"


def test_coordinates_come_from_the_bundled_jar_names(tmp_path):
    for name in ("scala-library-2.13.99.jar", "hadoop-client-api-3.9.1.jar"):
        (tmp_path / name).write_bytes(b"")
    coordinates = installed_coordinates(tmp_path)
    assert (coordinates.scala_binary_version, coordinates.hadoop_version) == ("2.13", "3.9.1")


def test_a_pyspark_without_its_jars_is_reported(tmp_path):
    with pytest.raises(SparkJarsError, match="cannot tell the Scala and Hadoop versions"):
        installed_coordinates(tmp_path)


def test_bundled_artifacts_are_dropped_whatever_their_version(tmp_path):
    fetched, bundled = tmp_path / "fetched", tmp_path / "bundled"
    fetched.mkdir()
    bundled.mkdir()
    for name in ("kafka-clients-3.9.2.jar", "jackson-core-2.13.5.jar", "commons-pool-1.6.jar",
                 "commons-pool2-2.13.1.jar"):
        (fetched / name).write_bytes(b"")
    for name in ("jackson-core-2.21.2.jar", "commons-pool-1.5.4.jar"):
        (bundled / name).write_bytes(b"")

    assert drop_bundled(fetched, bundled) == ["commons-pool-1.6.jar", "jackson-core-2.13.5.jar"]
    assert sorted(p.name for p in fetched.iterdir()) == ["commons-pool2-2.13.1.jar", "kafka-clients-3.9.2.jar"]


COORDINATES = JarCoordinates("4.2.0", "2.13", "3.5.0", "4.4.0")


def _providers(monkeypatch, *providers):
    """Stand-ins for the entry points of the group coinstream.spark_jars, in this order."""
    points = [SimpleNamespace(name=f"p{i}", load=lambda provider=provider: provider)
              for i, provider in enumerate(providers)]
    monkeypatch.setattr("coinstream.spark.jars.metadata.entry_points", lambda group: points)


def test_the_first_provider_that_has_jars_gives_them(monkeypatch, tmp_path):
    jar = tmp_path / "spark-avro_2.13-4.2.0.jar"
    asked = []
    _providers(monkeypatch, lambda c: asked.append(c), lambda c: [jar], lambda c: [tmp_path / "never.jar"])

    assert ensure_jars(COORDINATES) == [jar]
    assert asked == [COORDINATES]


def test_without_a_provider_the_error_names_the_artifacts_and_the_ways_out(monkeypatch):
    _providers(monkeypatch, lambda c: None)

    with pytest.raises(SparkJarsError) as raised:
        ensure_jars(COORDINATES)
    message = str(raised.value)
    assert "io.delta:delta-spark_4.2_2.13:4.4.0" in message and "org.apache.hadoop:hadoop-aws:3.5.0" in message
    assert "set [spark] jars_dir" in message and "./dev setup" in message
