"""The Spark processor's jars in a checkout: the pom is found where the stack finds its own, names every
artifact with versions the installed pyspark overrides, and the fetch is the registered jar provider."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest

from coinstream.devstack import StackError, resolve_paths
from coinstream.devstack.spark_jars import PART, checkout_jars, spark_pom
from coinstream.spark import JAR_PROVIDERS, JarCoordinates


def test_the_pom_is_found_in_the_checkout_and_a_missing_one_is_explained(tmp_path):
    paths = resolve_paths(environ={}, cwd=Path(__file__).parent)
    assert spark_pom(paths).is_file() and spark_pom(paths).parts[-3:] == ("maven", "spark", "pom.xml")
    assert paths.jars(PART) == paths.cache / "jars" / "spark"

    with pytest.raises(StackError, match="has no maven/ folder; point it at the checkout's infra/ folder"):
        resolve_paths(environ={"COINSTREAM_INFRA_DIR": str(tmp_path)})


def test_the_pom_names_every_artifact_with_overridable_versions():
    pom = spark_pom(resolve_paths(environ={}, cwd=Path(__file__).parent)).read_text()
    for fragment in ("spark-sql-kafka-0-10_${scala.binary.version}", "spark-avro_${scala.binary.version}",
                     "delta-spark_${delta.spark.line}_${scala.binary.version}", "<artifactId>hadoop-aws</artifactId>"):
        assert fragment in pom
    for prop in JarCoordinates("4.2.0", "2.13", "3.5.0", "4.4.0").maven_properties():
        assert f"<{prop}>" in pom


def test_the_checkout_fetch_is_the_processors_jar_provider():
    providers = {e.name: e.value for e in metadata.entry_points(group=JAR_PROVIDERS)}
    assert providers == {"checkout": "coinstream.devstack.spark_jars:checkout_jars"}
    assert metadata.entry_points(group=JAR_PROVIDERS)["checkout"].load() is checkout_jars
