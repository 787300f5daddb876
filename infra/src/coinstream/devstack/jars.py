"""Fetch the stack's jars from Maven Central into the cache, once per version of each pom.

Each part is a small Maven project under ``infra/maven/<part>``. ``kafka`` and ``s3`` are copied
with ``dependency:copy-dependencies``; ``registry`` is a Quarkus application built with
``package``. The result lands in ``<cache>/jars/<part>/`` with a ``.stamp`` holding the hash of
the project's files: a matching stamp skips the fetch, a changed pom fetches again.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import structlog

from coinstream.devstack.errors import StackError
from coinstream.devstack.maven import MavenError, jar_cache_lock, run_maven
from coinstream.devstack.paths import StackPaths

log = structlog.get_logger(__name__)

PARTS = ("kafka", "registry", "s3")
REGISTRY_RUNNER = "stack-registry-0-runner.jar"
_STAMP = ".stamp"


def project_hash(paths: StackPaths, part: str) -> str:
    """sha256 over the part's Maven project files and the shared settings.xml."""
    project = paths.maven / part
    if not (project / "pom.xml").is_file():
        raise StackError(f"{project / 'pom.xml'} is missing; the checkout's infra/maven/{part} is incomplete")
    digest = hashlib.sha256()
    sources = sorted(p for p in project.rglob("*") if p.is_file() and "target" not in p.parts)
    files = [paths.maven_settings, *sources]
    for file in files:
        digest.update(str(file.relative_to(paths.maven)).encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def is_fetched(paths: StackPaths, part: str) -> bool:
    stamp = paths.jars(part) / _STAMP
    return stamp.is_file() and stamp.read_text().strip() == project_hash(paths, part)


def classpath(paths: StackPaths, part: str) -> str:
    """The ``-cp`` value for a part fetched with copy-dependencies."""
    return str(paths.jars(part) / "*")


def registry_runner(paths: StackPaths) -> Path:
    return paths.jars("registry") / REGISTRY_RUNNER


def fetch(paths: StackPaths, part: str) -> bool:
    """Make ``<cache>/jars/<part>`` current; return True when Maven ran, False when it was skipped."""
    if part not in PARTS:
        raise StackError(f"unknown stack part {part!r}; the parts with jars are {', '.join(PARTS)}")
    with _cache_lock(paths):
        if is_fetched(paths, part):
            log.debug("jars_up_to_date", part=part, folder=str(paths.jars(part)))
            return False
        started = time.monotonic()
        staging = paths.jars(part).with_name(f"{part}.staging")
        shutil.rmtree(staging, ignore_errors=True)
        if part == "registry":
            _build_registry(paths, staging)
        else:
            _copy_dependencies(paths, part, staging)
        (staging / _STAMP).write_text(project_hash(paths, part) + "\n")
        shutil.rmtree(paths.jars(part), ignore_errors=True)
        staging.rename(paths.jars(part))
        log.info("jars_fetched", part=part, jars=sum(1 for _ in paths.jars(part).rglob("*.jar")),
                 seconds=round(time.monotonic() - started, 1))
        return True


def fetch_all(paths: StackPaths) -> list[str]:
    """Fetch every part (one Maven at a time: Maven 3.8 does not lock its local repository)."""
    return [part for part in PARTS if fetch(paths, part)]


def _copy_dependencies(paths: StackPaths, part: str, output: Path) -> None:
    _run_maven(paths, part, [
        "dependency:copy-dependencies", "-DincludeScope=runtime", f"-DoutputDirectory={output}",
    ])
    if not any(output.glob("*.jar")):
        raise StackError(f"Maven copied no jar for {part} into {output}; see {paths.maven_log(part)}")


def _build_registry(paths: StackPaths, output: Path) -> None:
    build_dir = paths.cache / "build" / "registry"
    shutil.rmtree(build_dir, ignore_errors=True)
    _run_maven(paths, "registry", ["-DskipTests", f"-Dstack.build.directory={build_dir}", "package"])
    runner = build_dir / REGISTRY_RUNNER
    if not runner.is_file() or not (build_dir / "lib").is_dir():
        raise StackError(
            f"the registry build made no {runner} with lib/ beside it; see {paths.maven_log('registry')}"
        )
    output.mkdir(parents=True)
    # The runner's manifest names lib/<jar> relative to itself: move both together.
    runner.rename(output / REGISTRY_RUNNER)
    (build_dir / "lib").rename(output / "lib")
    shutil.rmtree(build_dir, ignore_errors=True)


def _run_maven(paths: StackPaths, part: str, goals: list[str]) -> None:
    try:
        run_maven(paths.maven / part / "pom.xml", goals, settings=paths.maven_settings,
                  local_repository=paths.maven_repo, log_path=paths.maven_log(part), what=f"the {part} jars")
    except MavenError as error:
        raise StackError(str(error)) from None


@contextmanager
def _cache_lock(paths: StackPaths) -> Iterator[None]:
    """One fetch at a time across processes (two pytest sessions may start the stack together)."""
    with jar_cache_lock(paths.cache / "jars"):
        yield
