"""``up``, ``down`` and ``status`` of the local stack: three Kafka nodes, the registry, S3.

``up`` is idempotent: a part whose pid file names a live JVM of ours is left alone. Parts are
started together and waited for together. ``down`` stops by recorded PID only and then checks
that no port of the stack still listens.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import structlog

from coinstream.devstack import jars, kafka_cluster, process, registry, s3_server
from coinstream.devstack.endpoints import NODE_IDS, StackEndpoints
from coinstream.devstack.errors import StackError
from coinstream.devstack.paths import StackPaths, resolve_paths
from coinstream.devstack.pipeline_file import write_credentials_file, write_pipeline_file
from coinstream.devstack.process import ProcessRecord
from coinstream.devstack.readiness import port_listening, wait_until

log = structlog.get_logger(__name__)

KAFKA_PARTS = tuple(kafka_cluster.node_part(n) for n in NODE_IDS)
PARTS = (*KAFKA_PARTS, registry.PART, s3_server.PART)


@dataclass(frozen=True)
class PartStatus:
    """One part as ``status`` sees it."""

    part: str
    pid: int | None
    ports: tuple[int, ...]
    alive: bool
    listening: bool
    rss_bytes: int | None
    log_file: Path


@dataclass(frozen=True)
class UpResult:
    """What ``up`` did: the parts it started, those it found running, and how long it took."""

    started: tuple[str, ...]
    already_running: tuple[str, ...]
    seconds: float
    pipeline_file: Path
    credentials_file: Path


class LocalStack:
    """The local stack of one state folder."""

    def __init__(self, paths: StackPaths | None = None, endpoints: StackEndpoints | None = None) -> None:
        self.paths = paths or resolve_paths()
        self.endpoints = endpoints or StackEndpoints.from_env()

    # -- queries -------------------------------------------------------------------------------

    def ports_of(self, part: str) -> tuple[int, ...]:
        if part in KAFKA_PARTS:
            node_id = NODE_IDS[KAFKA_PARTS.index(part)]
            return (self.endpoints.broker_port(node_id), self.endpoints.controller_port(node_id))
        if part == registry.PART:
            return (self.endpoints.registry_port,)
        if part == s3_server.PART:
            return (self.endpoints.s3_port,)
        raise StackError(f"unknown stack part {part!r}; the parts are {', '.join(PARTS)}")

    def live_record(self, part: str) -> ProcessRecord | None:
        """The part's pid-file record when that PID is still our live JVM, else None."""
        self.ports_of(part)  # validates the name
        record = process.read_record(self.paths, part)
        return record if record is not None and process.is_alive(record) else None

    def status(self) -> list[PartStatus]:
        statuses = []
        for part in PARTS:
            record = process.read_record(self.paths, part)
            alive = record is not None and process.is_alive(record)
            ports = record.ports if record else self.ports_of(part)
            statuses.append(PartStatus(
                part=part, pid=record.pid if record else None, ports=ports, alive=alive,
                listening=all(port_listening(port, self.endpoints.host) for port in ports),
                rss_bytes=process.rss_bytes(record.pid) if alive and record else None,
                log_file=self.paths.log_file(part),
            ))
        return statuses

    def is_up(self) -> bool:
        return all(s.alive and s.listening for s in self.status())

    # -- up ------------------------------------------------------------------------------------

    def up(self) -> UpResult:
        """Start every part not already running and wait until all of them serve."""
        started_at = time.monotonic()
        self.paths.state.mkdir(parents=True, exist_ok=True)
        with self._lock():
            jars.fetch_all(self.paths)
            running = {part for part in PARTS if self.live_record(part) is not None}
            to_start = [part for part in PARTS if part not in running]
            for part in to_start:
                process.forget(self.paths, part)
                self._check_ports_free(part)
            for part in sorted(running):
                log.info("stack_part_already_running", part=part, pid=self.live_record(part).pid)  # type: ignore[union-attr]
            started: list[str] = []
            try:
                self._prepare_kafka([p for p in to_start if p in KAFKA_PARTS])
                for part in to_start:
                    self._launch(part)
                    started.append(part)
                self._wait_all_ready()
            except BaseException:
                for part in started:
                    record = self.live_record(part)
                    if record is not None:
                        process.stop(record)
                        process.forget(self.paths, part)
                raise
            pipeline = write_pipeline_file(self.paths, self.endpoints)
            credentials = write_credentials_file(self.paths, self.endpoints)
        seconds = time.monotonic() - started_at
        log.info("stack_up", started=started, already_running=sorted(running), seconds=round(seconds, 1))
        return UpResult(tuple(started), tuple(p for p in PARTS if p in running), seconds, pipeline, credentials)

    def start_part(self, part: str, *, wait: bool = True) -> ProcessRecord:
        """Start one part (a no-op when it runs) and, by default, wait until it serves again."""
        with self._lock():
            record = self.live_record(part)
            if record is None:
                process.forget(self.paths, part)
                self._check_ports_free(part)
                if part in KAFKA_PARTS:
                    jars.fetch(self.paths, "kafka")
                    self._prepare_kafka([part])
                else:
                    jars.fetch(self.paths, part)
                record = self._launch(part)
            if wait:
                self._waiter(part)()
            return record

    # -- down ----------------------------------------------------------------------------------

    def stop_part(self, part: str, *, kill: bool = False) -> str:
        """Stop one part by its recorded PID (SIGKILL at once when ``kill``): stopped, killed or not_running."""
        record = process.read_record(self.paths, part)
        self.ports_of(part)
        if record is None:
            return "not_running"
        if kill:
            was_alive = process.is_alive(record)
            process.kill(record)
            outcome = "killed" if was_alive else "not_running"
        else:
            outcome = process.stop(record)
        process.forget(self.paths, part)
        self._wait_ports_closed(record)
        return outcome

    def restart_part(self, part: str) -> ProcessRecord:
        self.stop_part(part)
        return self.start_part(part)

    def down(self, parts: Iterable[str] | None = None) -> dict[str, str]:
        """Stop the given parts (all by default) and verify their ports no longer listen."""
        chosen = list(PARTS if parts is None else parts)
        with self._lock(), ThreadPoolExecutor(max_workers=len(chosen) or 1) as pool:
            outcomes = dict(zip(chosen, pool.map(self.stop_part, chosen), strict=True))
        still = [port for part in chosen for port in self.ports_of(part) if port_listening(port, self.endpoints.host)]
        if still:
            raise StackError(
                f"port(s) {still} still listen after `stack down` but no pid file of {self.paths.run} names "
                "their process, so it was not started by this stack; find it with `ss -ltnp` and stop it yourself"
            )
        log.info("stack_down", outcomes=outcomes)
        return outcomes

    # -- internals -----------------------------------------------------------------------------

    def _check_ports_free(self, part: str) -> None:
        for port in self.ports_of(part):
            if port_listening(port, self.endpoints.host):
                raise StackError(
                    f"port {port} (for {part}) is already in use by a process this stack did not start "
                    f"(no live pid file in {self.paths.run}); stop it (`ss -ltnp 'sport = :{port}'` shows it) "
                    "or move the stack with the COINSTREAM_STACK_*_PORT(S) variables"
                )

    def _prepare_kafka(self, kafka_parts: list[str]) -> None:
        if not kafka_parts:
            return
        cluster_id = kafka_cluster.ensure_cluster_id(self.paths)
        node_ids = [NODE_IDS[KAFKA_PARTS.index(p)] for p in kafka_parts]
        for node_id in node_ids:
            kafka_cluster.write_node_config(self.paths, self.endpoints, node_id)
        with ThreadPoolExecutor(max_workers=len(node_ids)) as pool:
            list(pool.map(lambda n: kafka_cluster.format_storage(self.paths, n, cluster_id), node_ids))

    def _launch(self, part: str) -> ProcessRecord:
        if part in KAFKA_PARTS:
            return kafka_cluster.start_node(self.paths, self.endpoints, NODE_IDS[KAFKA_PARTS.index(part)])
        if part == registry.PART:
            return registry.start(self.paths, self.endpoints)
        return s3_server.start(self.paths, self.endpoints)

    def _alive(self, parts: Iterable[str]) -> Callable[[], bool]:
        chosen = list(parts)
        return lambda: all(self.live_record(part) is not None for part in chosen)

    def _waiter(self, part: str) -> Callable[[], float]:
        if part in KAFKA_PARTS:
            return lambda: kafka_cluster.wait_for_full_isr(
                self.endpoints, alive=self._alive(KAFKA_PARTS), log_file=self.paths.log_file(part))
        if part == registry.PART:
            return lambda: registry.wait_ready(
                self.endpoints, alive=self._alive([part]), log_file=self.paths.log_file(part))
        return lambda: s3_server.wait_ready(
            self.endpoints, alive=self._alive([part]), log_file=self.paths.log_file(part))

    def _wait_all_ready(self) -> None:
        waiters = [self._waiter(KAFKA_PARTS[0]), self._waiter(registry.PART), self._waiter(s3_server.PART)]
        with ThreadPoolExecutor(max_workers=len(waiters)) as pool:
            futures = [pool.submit(waiter) for waiter in waiters]
            errors = [f.exception() for f in futures if f.exception() is not None]
        if errors:
            raise StackError("\n\n".join(str(e) for e in errors))

    def _wait_ports_closed(self, record: ProcessRecord) -> None:
        host = self.endpoints.host
        try:
            wait_until(lambda: not any(port_listening(p, host) for p in record.ports),
                       what=f"{record.part}: ports {list(record.ports)} closing", timeout=10)
        except StackError as error:
            raise StackError(f"{error}; pid {record.pid} is gone but something still listens there") from error

    @contextmanager
    def _lock(self) -> Iterator[None]:
        """One up/down/start at a time per state folder (re-entrant within this process)."""
        if getattr(self, "_lock_depth", 0):
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        self.paths.run.mkdir(parents=True, exist_ok=True)
        with (self.paths.run / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._lock_depth = 1
            try:
                yield
            finally:
                self._lock_depth = 0
                fcntl.flock(lock, fcntl.LOCK_UN)
