"""The lifecycle hooks as the ingestor and the processor call them (typed, for those two callers).

``PluginHost.hook`` is such an object: pluggy's hook relay, on which each call reaches every
plugin's implementation (see :mod:`coinstream.core.hookspecs` for when each is called). Tests and
embedders may pass their own object with these three methods.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from coinstream.core.metrics import BatchMetrics
    from coinstream.core.pipeline import Pipeline

Role = Literal["ingestor", "processor"]
"""Which process a pipeline runs in: the ingestor (source -> Kafka) or the processor (Kafka -> sinks)."""


class LifecycleHooks(Protocol):
    """The three lifecycle hooks, called with keyword arguments; each returns the implementations' results."""

    def pipeline_started(self, *, pipeline: Pipeline, role: Role) -> object:
        """Call every ``pipeline_started`` implementation."""
        ...

    def batch_committed(self, *, metrics: BatchMetrics) -> object:
        """Call every ``batch_committed`` implementation."""
        ...

    def pipeline_stopped(self, *, pipeline: Pipeline, role: Role, reason: str) -> object:
        """Call every ``pipeline_stopped`` implementation."""
        ...
