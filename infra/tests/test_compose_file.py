"""The compose file, for users who have Docker: every image pinned to a version, and the Spark and Airflow
images the versions the Python side is locked to (a driver and a cluster of different Spark versions fail)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "infra" / "compose" / "docker-compose.yml"
# image: name:tag, or image: name:${VARIABLE:-default tag}
IMAGE = re.compile(r"^\s*image:\s*(?P<name>[\w./-]+):(?:\$\{\w+:-(?P<default>[^}]+)\}|(?P<tag>\S+))\s*$", re.MULTILINE)


def images() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for match in IMAGE.finditer(COMPOSE.read_text(encoding="utf-8")):
        found.setdefault(match["name"], set()).add(match["default"] or match["tag"])
    return found


def locked_version(name: str) -> str:
    for file in ("constraints.txt", "requirements.lock"):
        for line in (ROOT / file).read_text(encoding="utf-8").splitlines():
            if line.lower().startswith(f"{name}=="):
                return line.split("==", 1)[1].strip()
    raise AssertionError(f"{name} is pinned in neither constraints.txt nor requirements.lock")


def test_every_image_is_pinned_to_a_version():
    lines = [line for line in COMPOSE.read_text(encoding="utf-8").splitlines() if line.strip().startswith("image:")]
    found = images()

    assert sum(len(tags) for tags in found.values()) >= 5 and len(lines) >= len(found)
    assert all(IMAGE.match(line) for line in lines), "an image without a tag"
    assert {name: tags for name, tags in found.items() if tags & {"latest", ""}} == {}


def test_spark_and_airflow_images_match_the_locked_python_versions():
    found = images()

    assert found["apache/spark"] == {f"{locked_version('pyspark')}-python3"}
    assert found["apache/airflow"] == {f"{locked_version('apache-airflow')}-python3.11"}
