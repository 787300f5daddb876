"""A benchmark whose service does not answer ends like a ``coinstream`` command: one line, exit 2.

The line names the service, its endpoint, what was tried and the fix (`coinstream stack up`, the
setting); a traceback from deep inside the set-up would say none of it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from confluent_kafka.admin import AdminClient

from coinstream.core import EXIT_SERVICE_UNREACHABLE, KafkaSettings, ServiceUnreachableError, echo_error
from coinstream.core.kafka import (
    KafkaUnreachableError,
    TopicReport,
    admin_config,
    ensure_topics,
    kafka_unreachable,
    pipeline_topics,
)


def ensure_bench_topics(settings: KafkaSettings) -> list[TopicReport]:
    """Create ``settings``' topics; brokers that do not answer raise an error naming the bootstrap servers."""
    try:
        return ensure_topics(AdminClient(admin_config(settings)), pipeline_topics(settings))
    except KafkaUnreachableError as error:
        raise kafka_unreachable(settings, error) from None


def run_or_exit(main: Callable[[], None]) -> None:
    """Run a benchmark's ``main``; an unreachable service is printed on one line and exits 2."""
    try:
        main()
    except ServiceUnreachableError as error:
        echo_error(error)
        sys.exit(EXIT_SERVICE_UNREACHABLE)
