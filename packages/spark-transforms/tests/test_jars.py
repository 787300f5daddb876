"""The Maven coordinates follow the installed pyspark; jars pyspark already bundles are dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from coinstream.spark.jars import (
    JarCoordinates,
    SparkJarsError,
    drop_bundled,
    installed_coordinates,
    jar_artifact,
    resolve_folders,
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


def test_the_pom_is_found_in_the_checkout_and_a_missing_one_is_explained(tmp_path):
    folders = resolve_folders(environ={}, cwd=Path(__file__).parent)
    assert folders.pom.is_file() and folders.pom.parts[-3:] == ("maven", "spark", "pom.xml")
    assert folders.jars == folders.cache / "jars" / "spark"

    with pytest.raises(SparkJarsError, match="set COINSTREAM_INFRA_DIR=<checkout>/infra"):
        resolve_folders(environ={"COINSTREAM_INFRA_DIR": str(tmp_path)})


def test_the_pom_names_every_artifact_with_overridable_versions():
    pom = resolve_folders(environ={}, cwd=Path(__file__).parent).pom.read_text()
    for fragment in ("spark-sql-kafka-0-10_${scala.binary.version}", "spark-avro_${scala.binary.version}",
                     "delta-spark_${delta.spark.line}_${scala.binary.version}", "<artifactId>hadoop-aws</artifactId>"):
        assert fragment in pom
    for prop in JarCoordinates("4.2.0", "2.13", "3.5.0", "4.4.0").maven_properties():
        assert f"<{prop}>" in pom
