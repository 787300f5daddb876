"""A loaded, validated pipeline: core settings, plugin sections and the resolved components."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
from pydantic import BaseModel

from coinstream.core.config.models import PipelineConfig
from coinstream.core.context import ComponentContext
from coinstream.core.registry import Component

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ConfiguredComponent:
    """A registered component with the settings the pipeline gives it, already validated.

    ``settings`` is always an instance of the component's settings model; a component that
    registered none gets :class:`coinstream.core.NoSettings`, which keeps the keys it was given as
    extra attributes.
    """

    component: Component
    settings: BaseModel
    key: str

    @property
    def name(self) -> str:
        """The component's registered name."""
        return self.component.name

    def build(self, context: ComponentContext) -> Any:
        """Call the component's factory with its settings and ``context``; return what it returns.

        A factory registered with the old one-argument signature, ``factory(settings)``, is called
        without the context and a ``component_factory_without_context`` warning is logged.
        """
        if self.component.takes_context:
            return self.component.factory(self.settings, context)
        log.warning("component_factory_without_context", kind=self.component.kind, component=self.name,
                    distribution=self.component.provider.distribution,
                    fix="make the factory take (settings, context); the one-argument form is deprecated")
        return self.component.factory(self.settings)


@dataclass(frozen=True, slots=True)
class Pipeline:
    """Everything a pipeline file says, validated against the installed plugins."""

    config: PipelineConfig
    path: Path | None = None
    source: ConfiguredComponent | None = None
    transforms: tuple[ConfiguredComponent, ...] = ()
    sinks: tuple[ConfiguredComponent, ...] = ()
    sections: dict[str, BaseModel] = field(default_factory=dict)
    env_overrides: dict[str, str] = field(default_factory=dict)
    #: Parts of the file a command that uses only some of it left unvalidated ("transforms", "[s3]").
    unchecked: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The pipeline's name from [pipeline] name."""
        return self.config.pipeline.name

    def section(self, name: str) -> BaseModel | None:
        """Return a plugin-owned section's validated settings, or None when absent."""
        return self.sections.get(name)

    def context_of(self, component: ConfiguredComponent) -> ComponentContext:
        """Return the context ``component``'s factory gets: this pipeline's name, [kafka], sections and folder."""
        base_dir = self.path.resolve().parent if self.path is not None else Path.cwd()
        return ComponentContext(pipeline_name=self.name, kind=component.component.kind, name=component.name,
                                key=component.key, kafka=self.config.kafka, sections=dict(self.sections),
                                base_dir=base_dir)

    def build(self, component: ConfiguredComponent) -> Any:
        """Build one of this pipeline's components: ``factory(settings, context_of(component))``."""
        return component.build(self.context_of(component))
