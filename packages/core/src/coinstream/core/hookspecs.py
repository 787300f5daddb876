"""Every hook coinstream calls, in one file: the whole plugin contract.

A plugin is any object or module with functions marked ``@hookimpl`` whose names match the
specifications below; a distribution publishes it under the entry-point group ``coinstream``::

    [project.entry-points.coinstream]
    tiingo = "coinstream.tiingo.plugin"

Registration hooks receive a ``register`` callback (``register("tiingo", TiingoSource,
settings=TiingoSettings)``); coinstream checks the names and records which distribution
registered what. Hook implementations take only the arguments they need, without defaults.

Every component factory, whatever its kind, is called as ``factory(settings, context)``:
``settings`` an instance of the model it registered (:class:`coinstream.core.NoSettings` when it
registered none), ``context`` a :class:`coinstream.core.ComponentContext` (the pipeline's name,
``[kafka]``, its plugin sections such as ``[s3]``, and the pipeline file's folder).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from coinstream.core.lifecycle import Role
    from coinstream.core.metrics import BatchMetrics
    from coinstream.core.pipeline import Pipeline
    from coinstream.core.registry import CommandRegistrar, ComponentRegistrar, SectionRegistrar

PROJECT_NAME = "coinstream"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def register_sources(register: ComponentRegistrar) -> None:
    """Register sources: components that produce records for the ingestor.

    Called once when the plugin host builds its registry (at CLI start-up, or when a pipeline is
    loaded), for every plugin that implements it. Call ``register(name, factory, settings=Model,
    description=...)`` once per source. ``factory(settings, context)`` is called when an ingestor
    starts, with the source's validated settings and a :class:`coinstream.core.ComponentContext`;
    it returns a :class:`coinstream.core.Source`: an object with ``stats``
    (:class:`coinstream.core.SourceStats`), ``batches()`` returning an async iterator of record batches
    (sequences of :class:`Trade`, :class:`DeadLetter` and :class:`FeedGap`; a FeedGap for every
    interval in which the source did not read its feed), and ``async close()``; for an error
    retrying cannot fix it raises :class:`coinstream.core.SourceFatalError`. Returns nothing.
    """


@hookspec
def register_transforms(register: ComponentRegistrar) -> None:
    """Register transforms: named steps the processor applies in the order the pipeline lists them.

    Called once when the registry is built. Call ``register(name, factory, engine="spark",
    settings=Model)``; ``factory(settings, context)`` is called when the processor starts, with the
    transform's validated settings and a :class:`coinstream.core.ComponentContext`, and returns the
    engine's transform object (for Spark: DataFrame in, DataFrame out). Returns nothing.
    """


@hookspec
def register_sinks(register: ComponentRegistrar) -> None:
    """Register sinks: named outputs that start a streaming write for an engine.

    Called once when the registry is built. Call ``register(name, factory, engine="spark",
    settings=Model)``; ``factory(settings, context)`` is called when the processor starts, with the
    sink's validated settings and a :class:`coinstream.core.ComponentContext` (whose ``section("s3")``
    gives a sink the pipeline's ``[s3]``, for example), and returns the engine's sink object.
    Returns nothing.
    """


@hookspec
def register_config_sections(register: SectionRegistrar) -> None:
    """Register top-level pipeline TOML sections that a plugin owns (e.g. ``[spark]``, ``[s3]``).

    Called once when the registry is built. Call ``register("spark", SparkSettings)`` with a
    pydantic model; the loader validates the section against it at start-up and reports an
    unknown section together with the installed choices. Components read the validated section
    from their context (``context.section("spark")``). Returns nothing.
    """


@hookspec
def register_commands(register: CommandRegistrar) -> None:
    """Register ``coinstream`` CLI sub-commands (click commands or groups).

    Called once when the CLI starts. Call ``register(command)``; the command's name is its CLI
    name. Core's own commands (``plugins``, ``config``, ``stack``, ``ingest``) come through this
    same hook. Returns nothing.
    """


@hookspec
def pipeline_started(pipeline: Pipeline, role: Role) -> None:
    """Called when a pipeline process has started, before the first record is read.

    ``pipeline`` is the loaded :class:`coinstream.core.Pipeline`; ``role`` is ``"ingestor"`` or
    ``"processor"``. The processor calls it after building its transforms and sinks, before
    starting their queries. Use it to start metrics exporters or to send a notice (components get
    what they need from their context, not from here). Returns nothing; an exception here stops
    the start-up with that error.
    """


@hookspec
def batch_committed(metrics: BatchMetrics) -> None:
    """Called after each unit of work is durably committed, with its :class:`coinstream.core.BatchMetrics`.

    For the processor: each Spark micro-batch, after its sinks committed, with rows, rows/s,
    duration, Kafka lag and the watermark. For the ingestor: each metrics interval, with
    messages/s, produce latency and dead-letter counts. Returns nothing; must be quick.
    """


@hookspec
def pipeline_stopped(pipeline: Pipeline, role: Role, reason: str) -> None:
    """Called once when a pipeline process stops, after everything acknowledged was flushed.

    ``pipeline`` and ``role`` as for ``pipeline_started``; ``reason`` is ``"completed"``,
    ``"signal"`` or ``"error: <message>"``. Returns nothing.
    """
