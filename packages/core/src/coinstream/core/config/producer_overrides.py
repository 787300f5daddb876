"""``[kafka] producer`` overrides that would weaken the pipeline's delivery guarantee, found before start-up.

coinstream's producer is idempotent with ``acks=all`` and at most 5 requests in flight: a trade the
ingestor sees acknowledged is on ``min_insync_replicas`` brokers, written once, in order per partition.
librdkafka refuses some conflicting overrides only when the producer is created, deep in ``coinstream
ingest``, and accepts the others silently once idempotence is off; both are caught with the config.
``enable.gapless.guarantee`` is not among them: coinstream leaves it at librdkafka's default (false).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

ProducerValue = str | int | float | bool

GUARANTEE = ("the pipeline's delivery guarantee (a trade acknowledged to the ingestor is on min_insync_replicas "
             "brokers, written once, in order)")
MAX_IN_FLIGHT = 5


@dataclass(frozen=True, slots=True)
class RefusedOverride:
    """One producer override coinstream will not run with, and why."""

    key: str
    value: ProducerValue
    reason: str


def _as_bool(value: ProducerValue) -> bool | None:
    """librdkafka's reading of a boolean property (true/false/t/f/1/0, any case); None when it is none."""
    return {"true": True, "t": True, "1": True, "false": False, "f": False, "0": False}.get(str(value).strip().lower())


def _as_int(value: ProducerValue) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _idempotence(value: ProducerValue) -> str | None:
    if _as_bool(value) is True:
        return None
    return (f"turns idempotence off: a retried send could be written twice or out of order, against {GUARANTEE}; "
            "remove it (coinstream sets enable.idempotence=true)")


def _acks(value: ProducerValue) -> str | None:
    if str(value).strip().lower() in ("all", "-1"):
        return None
    return (f"lets a send count as acknowledged before every in-sync replica has it: a broker failure could lose "
            f"acknowledged trades, against {GUARANTEE}; remove it (coinstream sets acks=all) or set it to \"all\"")


def _in_flight(value: ProducerValue) -> str | None:
    count = _as_int(value)
    if count is not None and 1 <= count <= MAX_IN_FLIGHT:
        return None
    return (f"must be an integer from 1 to {MAX_IN_FLIGHT}: with more requests in flight an idempotent producer "
            f"cannot keep sends in order, against {GUARANTEE}; remove it (coinstream sets {MAX_IN_FLIGHT}) or lower it")


def _retries(value: ProducerValue) -> str | None:
    count = _as_int(value)
    if count is not None and count >= 1:
        return None
    return (f"must be at least 1: without retries a send fails at its first transient error and idempotence "
            f"cannot work, against {GUARANTEE}; remove it or set it to 1 or more")


# Every spelling librdkafka accepts for a property: its aliases, and the "topic." prefix of topic properties.
_CHECKS: dict[str, Callable[[ProducerValue], str | None]] = {
    "enable.idempotence": _idempotence,
    **dict.fromkeys(("acks", "request.required.acks", "topic.acks", "topic.request.required.acks"), _acks),
    **dict.fromkeys(("max.in.flight.requests.per.connection", "max.in.flight"), _in_flight),
    **dict.fromkeys(("retries", "message.send.max.retries"), _retries),
}


def weakening_overrides(producer: Mapping[str, ProducerValue]) -> list[RefusedOverride]:
    """The overrides that would weaken delivery, each with the reason and the fix; empty when there are none."""
    refused = []
    for key, value in producer.items():
        check = _CHECKS.get(key.strip())
        reason = check(value) if check is not None else None
        if reason is not None:
            refused.append(RefusedOverride(key, value, reason))
    return refused
