"""Three combined broker+controller KRaft nodes on loopback, from the Maven jars.

Node n (1..3) listens for clients on ``broker_ports[n-1]`` (PLAINTEXT) and ``sasl_ssl_ports[n-1]`` (TLS with
SCRAM-SHA-512 logins, see :func:`sasl_ssl_listener`) and for the Raft quorum on ``controller_ports[n-1]``;
the quorum is static (``controller.quorum.voters``). The cluster id is made once and kept in
``<state>/kafka/cluster-id``; each node's data folder is formatted once with ``kafka.tools.StorageTool format``.
"""

from __future__ import annotations

import base64
import logging
import os
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import structlog
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import (
    AdminClient,
    NewTopic,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialUpsertion,
)

from coinstream.core import KafkaSettings
from coinstream.core.kafka import admin_config
from coinstream.devstack import jars
from coinstream.devstack.endpoints import NODE_IDS, StackEndpoints
from coinstream.devstack.errors import StackError
from coinstream.devstack.paths import StackPaths
from coinstream.devstack.process import ProcessRecord, java_executable, start_jvm
from coinstream.devstack.readiness import wait_until
from coinstream.devstack.tls import stack_tls

log = structlog.get_logger(__name__)

PROBE_TOPIC = "_coinstream_probe"
PROBE_PARTITIONS = 3
REPLICATION_FACTOR = 3
MIN_INSYNC_REPLICAS = 2
HEAP = ("-Xms256m", "-Xmx512m")
SCRAM_MECHANISM = "SCRAM-SHA-512"
SCRAM_ITERATIONS = 8192

# librdkafka reports every refused connection while the nodes start; keep that out of the user's
# logs unless the application routes this logger somewhere.
_librdkafka_log = logging.getLogger(f"{__name__}.librdkafka")
_librdkafka_log.addHandler(logging.NullHandler())
_librdkafka_log.propagate = False


def node_part(node_id: int) -> str:
    return f"kafka-{node_id}"


def node_dir(paths: StackPaths, node_id: int) -> Path:
    return paths.part_dir(node_part(node_id))


def ensure_cluster_id(paths: StackPaths) -> str:
    """The cluster id kept in the state folder, made on first use."""
    id_file = paths.state / "kafka" / "cluster-id"
    if id_file.is_file():
        return id_file.read_text().strip()
    id_file.parent.mkdir(parents=True, exist_ok=True)
    cluster_id = new_cluster_id()
    id_file.write_text(cluster_id + "\n")
    log.info("kafka_cluster_id_created", cluster_id=cluster_id)
    return cluster_id


def server_properties(paths: StackPaths, endpoints: StackEndpoints, node_id: int) -> str:
    host = endpoints.host
    voters = ",".join(f"{n}@{host}:{endpoints.controller_port(n)}" for n in NODE_IDS)
    plaintext = f"PLAINTEXT://{host}:{endpoints.broker_port(node_id)}"
    sasl_ssl = f"SASL_SSL://{host}:{endpoints.sasl_ssl_port(node_id)}"
    settings = {
        "process.roles": "broker,controller",
        "node.id": node_id,
        "controller.quorum.voters": voters,
        "listeners": f"{plaintext},{sasl_ssl},CONTROLLER://{host}:{endpoints.controller_port(node_id)}",
        "advertised.listeners": f"{plaintext},{sasl_ssl}",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT",
        **sasl_ssl_listener(paths),
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "log.dirs": str(node_dir(paths, node_id) / "data"),
        "num.partitions": 6,
        "default.replication.factor": REPLICATION_FACTOR,
        "min.insync.replicas": MIN_INSYNC_REPLICAS,
        "unclean.leader.election.enable": "false",
        # Topics are created by the pipeline with their settings; a misspelled topic name must
        # fail instead of silently creating a topic with the broker defaults.
        "auto.create.topics.enable": "false",
        "offsets.topic.replication.factor": REPLICATION_FACTOR,
        # Fewer internal partitions than the default 50: 2 cores, three nodes on one machine.
        "offsets.topic.num.partitions": 12,
        "transaction.state.log.replication.factor": REPLICATION_FACTOR,
        "transaction.state.log.min.isr": MIN_INSYNC_REPLICAS,
        "transaction.state.log.num.partitions": 12,
        "share.coordinator.state.topic.replication.factor": REPLICATION_FACTOR,
        "share.coordinator.state.topic.min.isr": MIN_INSYNC_REPLICAS,
        "group.initial.rebalance.delay.ms": 0,
        "num.network.threads": 2,
        "num.io.threads": 4,
        "num.recovery.threads.per.data.dir": 1,
        "log.retention.hours": 168,
    }
    lines = ["# Written by coinstream.devstack.kafka_cluster; rewritten on every `stack up`."]
    lines += [f"{key}={value}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def sasl_ssl_listener(paths: StackPaths) -> dict[str, str]:
    """The SASL_SSL listener's settings: TLS with the stack's broker certificate, SCRAM-SHA-512 logins.

    The brokers talk to each other over PLAINTEXT; the users the listener accepts are SCRAM credentials in
    the cluster's metadata (``coinstream stack up`` adds the stack's user, see :func:`upsert_scram_user`).
    """
    prefix = "listener.name.sasl_ssl."
    return {
        f"{prefix}ssl.keystore.type": "PEM",
        f"{prefix}ssl.keystore.location": str(stack_tls(paths).broker_keystore),
        f"{prefix}ssl.client.auth": "none",
        f"{prefix}sasl.enabled.mechanisms": SCRAM_MECHANISM,
        f"{prefix}{SCRAM_MECHANISM.lower()}.sasl.jaas.config":
            "org.apache.kafka.common.security.scram.ScramLoginModule required;",
    }


def upsert_scram_user(endpoints: StackEndpoints) -> None:
    """Give the stack's SCRAM user its password (created or reset; through the PLAINTEXT listener)."""
    admin = admin_client(endpoints)
    upsert = UserScramCredentialUpsertion(
        endpoints.scram_username, ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS),
        endpoints.scram_password.encode())
    for future in admin.alter_user_scram_credentials([upsert], request_timeout=30).values():
        future.result()
    log.info("kafka_scram_user_set", user=endpoints.scram_username, mechanism=SCRAM_MECHANISM)


def wait_for_sasl_ssl(endpoints: StackEndpoints, ca_file: Path, *, timeout: float = 60.0) -> float:
    """Wait until every broker's SASL_SSL listener accepts the stack's user (SCRAM credentials reach each
    broker through the metadata log, a moment after they are set)."""
    def probe() -> bool:
        for port in endpoints.sasl_ssl_ports:
            # The client a pipeline on this listener gets (core's admin_config), quiet while the user propagates.
            settings = KafkaSettings(bootstrap_servers=f"{endpoints.host}:{port}", security_protocol="SASL_SSL",
                                     sasl_mechanism=SCRAM_MECHANISM, sasl_username=endpoints.scram_username,
                                     sasl_password=endpoints.scram_password, ssl_ca_location=str(ca_file))
            admin = AdminClient({**admin_config(settings), "socket.connection.setup.timeout.ms": 2000,
                                 "logger": _librdkafka_log, "error_cb": lambda error: None})
            try:
                admin.describe_cluster(request_timeout=3).result()
            except KafkaException:
                return False
        return True

    return wait_until(probe, what="kafka: the SASL_SSL listeners accepting the stack's SCRAM user", timeout=timeout)


def log4j2_properties() -> str:
    """Console logging (the part's log file): warnings, plus the nodes' lifecycle lines."""
    level = os.environ.get("COINSTREAM_STACK_KAFKA_LOG_LEVEL", "WARN").upper()
    return "\n".join([
        "status = warn",
        "appender.out.type = Console",
        "appender.out.name = OUT",
        "appender.out.layout.type = PatternLayout",
        "appender.out.layout.pattern = [%d] %p %m (%c)%n",
        f"rootLogger.level = {level}",
        "rootLogger.appenderRef.out.ref = OUT",
        "logger.raftserver.name = kafka.server.KafkaRaftServer",
        "logger.raftserver.level = INFO",
        "logger.broker.name = kafka.server.BrokerServer",
        "logger.broker.level = INFO",
        "logger.controller.name = kafka.server.ControllerServer",
        "logger.controller.level = INFO",
        "",
    ])


def write_node_config(paths: StackPaths, endpoints: StackEndpoints, node_id: int) -> Path:
    folder = node_dir(paths, node_id)
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "log4j2.properties").write_text(log4j2_properties())
    config = folder / "server.properties"
    config.write_text(server_properties(paths, endpoints, node_id))
    return config


def format_storage(paths: StackPaths, node_id: int, cluster_id: str) -> bool:
    """Format the node's data folder once; return True when it was formatted now."""
    meta = node_dir(paths, node_id) / "data" / "meta.properties"
    if meta.is_file():
        found = _meta_cluster_id(meta)
        if found != cluster_id:
            raise StackError(
                f"{meta} belongs to cluster {found}, not {cluster_id} from {paths.state / 'kafka' / 'cluster-id'}; "
                f"the state folder is mixed up: run `coinstream stack down` and delete {paths.state} to start afresh"
            )
        return False
    folder = node_dir(paths, node_id)
    command = [
        java_executable(), "-Xmx128m", f"-Dlog4j2.configurationFile={folder / 'log4j2.properties'}",
        "-cp", jars.classpath(paths, "kafka"), "kafka.tools.StorageTool", "format",
        "--cluster-id", cluster_id, "--config", str(folder / "server.properties"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=180, check=False)
    if result.returncode != 0:
        raise StackError(
            f"formatting {node_part(node_id)}'s storage failed (exit {result.returncode}): "
            f"{(result.stderr or result.stdout).strip()[-2000:]}"
        )
    log.info("kafka_storage_formatted", part=node_part(node_id), cluster_id=cluster_id)
    return True


def start_node(paths: StackPaths, endpoints: StackEndpoints, node_id: int) -> ProcessRecord:
    folder = node_dir(paths, node_id)
    jvm_args = [
        *HEAP, "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:+ExplicitGCInvokesConcurrent",
        "-Djava.awt.headless=true", f"-Dlog4j2.configurationFile={folder / 'log4j2.properties'}",
        "-cp", jars.classpath(paths, "kafka"), "kafka.Kafka", str(folder / "server.properties"),
    ]
    return start_jvm(paths, node_part(node_id), jvm_args, cwd=folder,
                     ports=node_ports(endpoints, node_id))


def node_ports(endpoints: StackEndpoints, node_id: int) -> tuple[int, ...]:
    """The node's client (PLAINTEXT), controller and SASL_SSL ports."""
    return (endpoints.broker_port(node_id), endpoints.controller_port(node_id), endpoints.sasl_ssl_port(node_id))


def admin_client(endpoints: StackEndpoints) -> AdminClient:
    return AdminClient({
        "bootstrap.servers": endpoints.bootstrap_servers,
        "socket.connection.setup.timeout.ms": 2000,
        "reconnect.backoff.max.ms": 1000,
        "logger": _librdkafka_log,
        "error_cb": lambda error: None,  # refused connections while nodes start are expected
    })


def wait_for_full_isr(
    endpoints: StackEndpoints,
    *,
    timeout: float = 180.0,
    alive: Callable[[], bool] | None = None,
    log_file: str | Path | None = None,
) -> float:
    """Wait until all three brokers serve and every partition of the probe topic has all three in its ISR."""
    admin = admin_client(endpoints)
    expected = sorted(NODE_IDS)

    def probe() -> bool:
        try:
            metadata = admin.list_topics(timeout=3)
        except KafkaException:
            return False
        if sorted(metadata.brokers) != expected:
            return False
        topic = metadata.topics.get(PROBE_TOPIC)
        if topic is None or topic.error is not None:
            _create_probe_topic(admin)
            return False
        partitions = topic.partitions.values()
        return len(partitions) == PROBE_PARTITIONS and all(
            partition.leader in expected and sorted(partition.isrs) == expected for partition in partitions
        )

    waited = wait_until(probe, what="kafka: all three brokers in the ISR of " + PROBE_TOPIC,
                        timeout=timeout, alive=alive, log_file=log_file)
    log.info("kafka_cluster_ready", bootstrap_servers=endpoints.bootstrap_servers, seconds=round(waited, 1))
    return waited


def _create_probe_topic(admin: AdminClient) -> None:
    topic = NewTopic(PROBE_TOPIC, num_partitions=PROBE_PARTITIONS, replication_factor=REPLICATION_FACTOR,
                     config={"min.insync.replicas": str(MIN_INSYNC_REPLICAS)})
    future = admin.create_topics([topic], operation_timeout=10, request_timeout=15)[PROBE_TOPIC]
    try:
        future.result()
    except KafkaException as error:
        if error.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
            log.debug("kafka_probe_topic_not_created_yet", error=str(error.args[0]))


def _meta_cluster_id(meta: Path) -> str | None:
    for line in meta.read_text().splitlines():
        if line.startswith("cluster.id="):
            return line.split("=", 1)[1].strip()
    return None


def new_cluster_id() -> str:
    """A Kafka-style id: 16 random bytes, URL-safe base64 without padding, never starting with '-'."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text
