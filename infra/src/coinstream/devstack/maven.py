"""Running Maven for the jars coinstream needs (the local stack's, Spark's), one at a time.

The one Maven runner of the checkout: the stack's jars (:mod:`coinstream.devstack.jars`) and the
Spark processor's (:mod:`coinstream.devstack.spark_jars`) are fetched through it, under the same
lock, into the same local repository.
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)

_LOG_TAIL_LINES = 15


class MavenError(Exception):
    """Maven is missing or failed; the message has the fix and the tail of Maven's log."""


def run_maven(pom: Path, goals: Sequence[str], *, settings: Path, local_repository: Path, log_path: Path,
              properties: Mapping[str, str] | None = None, what: str = "jars") -> None:
    """Run ``mvn -B -q`` on ``pom`` with ``goals``; its output goes to ``log_path``.

    Raises :class:`MavenError` when ``mvn`` is not on PATH or exits non-zero (with the last lines
    of the log and a hint: only Maven Central is reachable, so a version it does not serve fails).
    """
    mvn = shutil.which("mvn")
    if mvn is None:
        raise MavenError(f"`mvn` is not on PATH; install Maven 3.8+ (e.g. `apt-get install maven`) to fetch the {what}")
    command = [mvn, "-B", "-q", "-s", str(settings), f"-Dmaven.repo.local={local_repository}", "-f", str(pom),
               *(f"-D{key}={value}" for key, value in (properties or {}).items()), *goals]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log.info("maven_running", what=what, pom=str(pom), maven_log=str(log_path))
    with log_path.open("wb") as out:
        result = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, check=False)
    if result.returncode != 0:
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-_LOG_TAIL_LINES:])
        raise MavenError(
            f"Maven failed (exit {result.returncode}) fetching the {what}; only Maven Central is reachable here, "
            f"so check that the versions in {pom} exist there. Full log: {log_path}\n{tail}")


@contextmanager
def jar_cache_lock(jars_folder: Path) -> Iterator[None]:
    """Hold the cache's lock: one fetch at a time across processes (Maven 3.8 does not lock its repository)."""
    jars_folder.mkdir(parents=True, exist_ok=True)
    with (jars_folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
