"""The ``local_stack`` session fixture: the real local stack for integration tests.

Load it from a conftest with ``pytest_plugins = ["coinstream.devstack.pytest_plugin"]``.
It reuses a stack that is already fully up (and then leaves it running), otherwise starts the
missing parts and, at the end of the session, stops only the parts it started.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from coinstream.devstack import kafka_cluster
from coinstream.devstack.endpoints import NODE_IDS
from coinstream.devstack.leases import StackLeases
from coinstream.devstack.stack import KAFKA_PARTS, LocalStack


@dataclass
class LocalStackHandle:
    """Endpoints of the running local stack, and the levers fault tests pull."""

    stack: LocalStack
    started: tuple[str, ...]
    bootstrap_servers: str = field(init=False)
    schema_registry_url: str = field(init=False)
    s3_endpoint_url: str = field(init=False)
    s3_bucket: str = field(init=False)
    s3_region: str = field(init=False)
    s3_access_key: str = field(init=False)
    s3_secret_key: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        endpoints = self.stack.endpoints
        self.bootstrap_servers = endpoints.bootstrap_servers
        self.schema_registry_url = endpoints.schema_registry_url
        self.s3_endpoint_url = endpoints.s3_endpoint_url
        self.s3_bucket = endpoints.bucket
        self.s3_region = endpoints.region
        self.s3_access_key = endpoints.s3_access_key
        self.s3_secret_key = endpoints.s3_secret_key

    @property
    def broker_ids(self) -> tuple[int, ...]:
        return NODE_IDS

    def stop_broker(self, node_id: int) -> None:
        """Stop one Kafka node gracefully (SIGTERM); its ports close."""
        self.stack.stop_part(kafka_cluster.node_part(node_id))

    def kill_broker(self, node_id: int) -> None:
        """Crash one Kafka node (SIGKILL)."""
        self.stack.stop_part(kafka_cluster.node_part(node_id), kill=True)

    def start_broker(self, node_id: int, *, wait: bool = True) -> None:
        """Start a stopped node; with ``wait`` return once all three are back in the probe topic's ISR."""
        self.stack.start_part(kafka_cluster.node_part(node_id), wait=wait)

    def wait_for_full_isr(self, timeout: float = 180.0) -> None:
        kafka_cluster.wait_for_full_isr(self.stack.endpoints, timeout=timeout)

    def restart_registry(self) -> None:
        self.stack.restart_part("registry")

    def restart_s3(self) -> None:
        self.stack.restart_part("s3")

    def ensure_all_running(self) -> None:
        """Bring back any part a test left stopped (a no-op when all run)."""
        self.stack.up()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "stack: needs the local stack (three Kafka nodes, schema registry, S3)")


@pytest.fixture(scope="session")
def local_stack() -> Iterator[LocalStackHandle]:
    """The running local stack. Parts this session started are stopped at its end, unless
    another test session still holds a lease on the stack: then the last one out stops them."""
    stack = LocalStack()
    leases = StackLeases(stack.paths.state)
    result = stack.up()
    leases.acquire(result.started)
    handle = LocalStackHandle(stack=stack, started=result.started)
    try:
        yield handle
    finally:
        to_stop = leases.release()
        if to_stop:
            # A fault test may have left a part of a reused stack stopped: still stop only ours.
            stack.down(tuple(to_stop))


__all__ = ["KAFKA_PARTS", "LocalStackHandle", "local_stack"]
