"""Where the local stack listens and with which local-only credentials.

Every port is on 127.0.0.1. The defaults can be moved with environment variables (set them for
every ``coinstream stack`` command, not only for ``up``):

- ``COINSTREAM_STACK_BROKER_PORTS`` (three ports, comma-separated), ``COINSTREAM_STACK_CONTROLLER_PORTS``,
  ``COINSTREAM_STACK_SASL_SSL_PORTS`` (the brokers' SASL_SSL listeners: TLS with SCRAM-SHA-512; by default
  the broker ports + 200, so a stack moved with the broker ports alone does not clash on them)
- ``COINSTREAM_STACK_REGISTRY_PORT``, ``COINSTREAM_STACK_S3_PORT``
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from coinstream.devstack.errors import StackError

HOST = "127.0.0.1"
NODE_IDS = (1, 2, 3)
SASL_SSL_PORT_OFFSET = 200


@dataclass(frozen=True)
class StackEndpoints:
    """Ports, bucket and credentials of one local stack."""

    broker_ports: tuple[int, ...] = (19092, 19093, 19094)
    controller_ports: tuple[int, ...] = (19192, 19193, 19194)
    sasl_ssl_ports: tuple[int, ...] = (19292, 19293, 19294)
    registry_port: int = 18081
    s3_port: int = 19000
    bucket: str = "coinstream"
    region: str = "us-east-1"
    s3_access_key: str = "coinstream"
    # Local-only, but still a secret: kept out of repr so it never reaches a log line.
    s3_secret_key: str = field(default="coinstream-secret", repr=False)
    scram_username: str = "coinstream"
    scram_password: str = field(default="coinstream-scram", repr=False)
    host: str = HOST

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(f"{self.host}:{port}" for port in self.broker_ports)

    @property
    def sasl_ssl_bootstrap_servers(self) -> str:
        """The brokers' SASL_SSL listeners (the broker certificate names 127.0.0.1 and localhost)."""
        return ",".join(f"{self.host}:{port}" for port in self.sasl_ssl_ports)

    @property
    def schema_registry_url(self) -> str:
        return f"http://{self.host}:{self.registry_port}/apis/ccompat/v7"

    @property
    def s3_endpoint_url(self) -> str:
        return f"http://{self.host}:{self.s3_port}"

    def broker_port(self, node_id: int) -> int:
        return self.broker_ports[NODE_IDS.index(node_id)]

    def controller_port(self, node_id: int) -> int:
        return self.controller_ports[NODE_IDS.index(node_id)]

    def sasl_ssl_port(self, node_id: int) -> int:
        return self.sasl_ssl_ports[NODE_IDS.index(node_id)]

    def all_ports(self) -> tuple[int, ...]:
        return (*self.broker_ports, *self.controller_ports, *self.sasl_ssl_ports, self.registry_port, self.s3_port)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> StackEndpoints:
        """Defaults, moved by the ``COINSTREAM_STACK_*_PORT(S)`` variables when they are set."""
        env = os.environ if environ is None else environ
        defaults = cls()
        broker_ports = _ports(env, "COINSTREAM_STACK_BROKER_PORTS", defaults.broker_ports, len(NODE_IDS))
        endpoints = cls(
            broker_ports=broker_ports,
            controller_ports=_ports(
                env, "COINSTREAM_STACK_CONTROLLER_PORTS", defaults.controller_ports, len(NODE_IDS)
            ),
            sasl_ssl_ports=_ports(env, "COINSTREAM_STACK_SASL_SSL_PORTS",
                                  tuple(port + SASL_SSL_PORT_OFFSET for port in broker_ports), len(NODE_IDS)),
            registry_port=_ports(env, "COINSTREAM_STACK_REGISTRY_PORT", (defaults.registry_port,), 1)[0],
            s3_port=_ports(env, "COINSTREAM_STACK_S3_PORT", (defaults.s3_port,), 1)[0],
        )
        if max(endpoints.sasl_ssl_ports) > 65535:
            raise StackError(
                f"the SASL_SSL ports {list(endpoints.sasl_ssl_ports)} (broker ports + {SASL_SSL_PORT_OFFSET}) are "
                "beyond 65535; set COINSTREAM_STACK_SASL_SSL_PORTS to three free ports")
        ports = endpoints.all_ports()
        if len(set(ports)) != len(ports):
            raise StackError(
                f"the stack's ports overlap: {list(ports)}; give each COINSTREAM_STACK_*_PORT(S) "
                "variable ports no other one uses"
            )
        return endpoints


def _ports(env: Mapping[str, str], name: str, default: tuple[int, ...], count: int) -> tuple[int, ...]:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        ports = tuple(int(part) for part in raw.split(","))
    except ValueError:
        ports = ()
    if len(ports) != count or not all(1024 <= port <= 65535 for port in ports):
        raise StackError(
            f"{name}={raw!r} is not {count} comma-separated port number(s) between 1024 and 65535; "
            f"fix it or unset it to use {','.join(map(str, default))}"
        )
    return ports
