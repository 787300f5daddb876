"""Topic administration: create the pipeline's topics, and check that existing ones match."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import structlog
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic, ResourceType

from coinstream.core.config.models import KafkaSettings
from coinstream.core.kafka.client_config import admin_config
from coinstream.core.kafka.refusals import last_refusal
from coinstream.core.unreachable import STACK_UP_HINT, ServiceUnreachableError

log = structlog.get_logger(__name__)

# Trades must never be lost to an unclean election, nor deleted before the processor read them.
_TRADE_TOPIC_CONFIGS = {"unclean.leader.election.enable": "false", "retention.ms": str(7 * 24 * 3600 * 1000)}
_DEAD_LETTER_CONFIGS = {"unclean.leader.election.enable": "false", "retention.ms": str(30 * 24 * 3600 * 1000)}
# Feed gaps are few and each one matters (a window to backfill): kept like dead letters, with delete
# retention (not compaction: a gap is an event, and the lake's feed_gaps table is the record kept).
_FEED_GAP_CONFIGS = {"unclean.leader.election.enable": "false", "retention.ms": str(30 * 24 * 3600 * 1000),
                     "cleanup.policy": "delete"}
FEED_GAP_PARTITIONS = 1
# A broker that is up answers the first metadata request in well under a second, a remote SASL_SSL
# cluster in one or two; waiting longer only delays the message that nothing answers.
REACH_TIMEOUT_S = 5.0


class TopicMismatchError(Exception):
    """An existing topic differs from what the pipeline asks for (the message says what and how to fix)."""


KAFKA_FIX = (f"{STACK_UP_HINT}, or set [kafka] bootstrap_servers / COINSTREAM_KAFKA_BOOTSTRAP_SERVERS to brokers "
             "that answer")


class KafkaUnreachableError(ServiceUnreachableError):
    """No Kafka broker answered (the message names the bootstrap servers, what was tried and what to do)."""

    def __init__(self, endpoint: str, tried: str, fix: str = KAFKA_FIX) -> None:
        super().__init__("Kafka", endpoint, tried, fix)


def kafka_unreachable(settings: KafkaSettings, error: Exception) -> KafkaUnreachableError:
    """The error to raise when ``settings``' brokers did not answer: endpoint, cause and fix; when they refused
    the login or the TLS handshake, what they said and the setting to fix."""
    tried = error.tried if isinstance(error, ServiceUnreachableError) else str(error)
    refusal = last_refusal(settings.bootstrap_servers)
    if refusal is not None:
        return KafkaUnreachableError(settings.bootstrap_servers, f"{tried}; the brokers refused: {refusal[0]}",
                                     refusal[1])
    return KafkaUnreachableError(settings.bootstrap_servers, tried)


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """A topic the pipeline needs."""

    name: str
    partitions: int
    replication_factor: int
    min_insync_replicas: int
    configs: dict[str, str] = field(default_factory=dict)

    def all_configs(self) -> dict[str, str]:
        """Return the topic configs to create it with, min.insync.replicas included."""
        return {**self.configs, "min.insync.replicas": str(self.min_insync_replicas)}


@dataclass(frozen=True, slots=True)
class TopicReport:
    """What :func:`ensure_topics` found or did for one topic."""

    name: str
    created: bool
    partitions: int
    replication_factor: int
    min_insync_replicas: int
    differences: tuple[str, ...] = ()


def pipeline_topics(settings: KafkaSettings) -> list[TopicSpec]:
    """Return the trades, dead-letter and feed gaps topics as [kafka] describes them.

    The dead-letter topic gets fewer partitions and the feed gaps topic one: their traffic is a
    trickle (one partition keeps a source's gaps in order), and they keep the same durability settings.
    """
    return [
        TopicSpec(settings.trades_topic, settings.partitions, settings.replication_factor,
                  settings.min_insync_replicas, dict(_TRADE_TOPIC_CONFIGS)),
        TopicSpec(settings.dead_letter_topic, max(1, min(settings.partitions, 3)), settings.replication_factor,
                  settings.min_insync_replicas, dict(_DEAD_LETTER_CONFIGS)),
        TopicSpec(settings.feed_gaps_topic, FEED_GAP_PARTITIONS, settings.replication_factor,
                  settings.min_insync_replicas, dict(_FEED_GAP_CONFIGS)),
    ]


def cluster_broker_count(admin: AdminClient, timeout_s: float = 10.0) -> int:
    """Return the number of brokers the cluster reports; raise :class:`KafkaUnreachableError` when none
    answers a metadata request within ``timeout_s``."""
    try:
        return len(admin.list_topics(timeout=timeout_s).brokers)
    except KafkaException as error:
        admin.poll(0)  # serve the queued error_cb calls: a refused login or handshake is recorded (refusals.py)
        cause = error.args[0].str() if error.args and isinstance(error.args[0], KafkaError) else str(error)
        raise KafkaUnreachableError("the bootstrap servers",
                                    f"no broker answered a metadata request in {timeout_s:.0f} s: {cause}") from None


def require_brokers(settings: KafkaSettings, timeout_s: float = REACH_TIMEOUT_S) -> int:
    """Return the number of brokers ``settings``' cluster reports; raise :class:`KafkaUnreachableError` naming
    the bootstrap servers and the fix when none answers within ``timeout_s``."""
    try:
        return cluster_broker_count(AdminClient(admin_config(settings)), timeout_s)
    except KafkaUnreachableError as error:
        raise kafka_unreachable(settings, error) from None


def _describe(admin: AdminClient, name: str, timeout_s: float) -> tuple[int, int, int] | None:
    # Ask for the whole cluster's metadata: a metadata request naming one topic makes a broker
    # with auto.create.topics.enable create it, with the broker's defaults instead of ours.
    metadata = admin.list_topics(timeout=timeout_s).topics.get(name)
    if metadata is None or metadata.error is not None or not metadata.partitions:
        return None
    partitions = len(metadata.partitions)
    replication = min(len(p.replicas) for p in metadata.partitions.values())
    return partitions, replication, _min_insync_replicas(admin, name, timeout_s)


def _is_unknown_topic(error: KafkaException) -> bool:
    return bool(error.args) and isinstance(error.args[0], KafkaError) and \
        error.args[0].code() == KafkaError.UNKNOWN_TOPIC_OR_PART


def _min_insync_replicas(admin: AdminClient, name: str, timeout_s: float) -> int:
    """The topic's min.insync.replicas. The broker asked may not have applied the topic's metadata yet
    (it was just created, or the broker just restarted) and answers UNKNOWN_TOPIC_OR_PART for a
    moment, although the cluster's metadata lists the topic: ask again until ``timeout_s`` passed."""
    resource = ConfigResource(ResourceType.TOPIC, name)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            configs = admin.describe_configs([resource])[resource].result(timeout=timeout_s)
            return int(configs["min.insync.replicas"].value)
        except KafkaException as error:
            if not _is_unknown_topic(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _wait_until_visible(admin: AdminClient, specs: Sequence[TopicSpec], created: set[str], timeout_s: float) -> None:
    """Wait until the cluster's metadata shows every topic: the created ones with all their
    partitions and replicas, the others with at least one partition (so they can be described)."""
    deadline = time.monotonic() + timeout_s

    def visible(spec: TopicSpec, topics: dict) -> bool:  # type: ignore[type-arg]
        metadata = topics.get(spec.name)
        if metadata is None or not metadata.partitions:
            return False
        if spec.name not in created:
            return True
        return len(metadata.partitions) >= spec.partitions and all(
            len(p.replicas) >= spec.replication_factor for p in metadata.partitions.values())

    pending = list(specs)
    while pending:
        topics = admin.list_topics(timeout=timeout_s).topics
        pending = [spec for spec in pending if not visible(spec, topics)]
        if pending and time.monotonic() > deadline:
            raise TopicMismatchError(
                f"topics {[s.name for s in pending]} do not show in the cluster's metadata after {timeout_s:.0f} s; "
                "check the brokers with `coinstream stack status`")
        if pending:
            time.sleep(0.1)


def ensure_topics(admin: AdminClient, specs: Sequence[TopicSpec], timeout_s: float = 30.0,
                  strict: bool = True) -> list[TopicReport]:
    """Create the topics that are missing and check the ones that exist.

    Raises :class:`TopicMismatchError` when the cluster has fewer brokers than a replication
    factor, or (``strict``) when an existing topic differs in partitions, replication factor or
    min.insync.replicas; the message lists every difference and how to fix it. Raises
    :class:`KafkaUnreachableError` when no broker answers within :data:`REACH_TIMEOUT_S`.
    """
    brokers = cluster_broker_count(admin, min(timeout_s, REACH_TIMEOUT_S))
    for spec in specs:
        if spec.replication_factor > brokers:
            raise TopicMismatchError(
                f"kafka.replication_factor={spec.replication_factor} but the cluster has {brokers} "
                f"broker{'s' if brokers != 1 else ''}; start the 3-broker stack with `coinstream stack up` "
                f"or set replication_factor to at most {brokers}"
            )
    existing = {spec.name: _describe(admin, spec.name, timeout_s) for spec in specs}
    missing = [spec for spec in specs if existing[spec.name] is None]
    created: set[str] = set()
    if missing:
        futures = admin.create_topics(
            [NewTopic(s.name, num_partitions=s.partitions, replication_factor=s.replication_factor,
                      config=s.all_configs()) for s in missing],
            operation_timeout=timeout_s, request_timeout=timeout_s)
        for name, future in futures.items():
            try:
                future.result()
            except KafkaException as error:
                # Created a moment ago by someone else, and not yet in the metadata we read.
                if error.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    raise
                continue
            created.add(name)
            log.info("topic_created", topic=name)
        _wait_until_visible(admin, missing, created, timeout_s)
        existing.update({spec.name: _describe(admin, spec.name, timeout_s) for spec in missing
                         if spec.name not in created})

    reports: list[TopicReport] = []
    problems: list[str] = []
    for spec in specs:
        if spec.name in created:
            reports.append(TopicReport(spec.name, True, spec.partitions, spec.replication_factor,
                                       spec.min_insync_replicas))
            continue
        partitions, replication, min_isr = existing[spec.name]  # type: ignore[misc]
        differences = []
        if partitions != spec.partitions:
            differences.append(f"partitions is {partitions}, the pipeline asks for {spec.partitions}")
        if replication != spec.replication_factor:
            differences.append(f"replication factor is {replication}, the pipeline asks for {spec.replication_factor}")
        if min_isr != spec.min_insync_replicas:
            differences.append(
                f"min.insync.replicas is {min_isr}, the pipeline asks for {spec.min_insync_replicas}")
        reports.append(TopicReport(spec.name, False, partitions, replication, min_isr, tuple(differences)))
        if differences:
            log.warning("topic_differs", topic=spec.name, differences=differences)
            problems.append(f"topic {spec.name!r}: " + "; ".join(differences))
    if problems and strict:
        raise TopicMismatchError(
            "existing topics differ from the pipeline's [kafka] settings: " + " | ".join(problems)
            + ". Change [kafka] to match, or recreate the topics (their data would be lost)."
        )
    return reports


def delete_topics(admin: AdminClient, names: Sequence[str], timeout_s: float = 30.0) -> list[str]:
    """Delete the named topics that exist; return the deleted names once the cluster no longer lists them.

    A topic that is missing, or that someone else deletes meanwhile, is skipped; any other failure
    (the cluster unreachable, say) raises ``KafkaException``. The controller accepts a deletion before
    every broker has applied it; waiting until none lists the topics (up to ``timeout_s``, then a
    ``topics_still_listed`` warning) lets a caller recreate one at once without finding the old one.
    """
    existing = set(admin.list_topics(timeout=timeout_s).topics)
    wanted = [name for name in dict.fromkeys(names) if name in existing]
    deleted = []
    for name, future in (admin.delete_topics(wanted, operation_timeout=timeout_s).items() if wanted else ()):
        try:
            future.result()
        except KafkaException as error:
            if _is_unknown_topic(error):
                continue
            raise
        deleted.append(name)
    if deleted:
        _wait_until_unlisted(admin, deleted, timeout_s)
        log.info("topics_deleted", topics=deleted)
    return deleted


def _wait_until_unlisted(admin: AdminClient, names: Sequence[str], timeout_s: float) -> None:
    """Poll the cluster's metadata until it lists none of ``names``; warn when some still are after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while listed := sorted(set(names) & set(admin.list_topics(timeout=timeout_s).topics)):
        if time.monotonic() > deadline:
            log.warning("topics_still_listed", topics=listed, seconds=timeout_s,
                        hint="a broker has not applied the controller's deletion yet; it will")
            return
        time.sleep(0.2)
