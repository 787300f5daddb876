"""A loaded, validated pipeline: core settings, plugin sections and the resolved components."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from coinstream.core.config.models import PipelineConfig
from coinstream.core.registry import Component


@dataclass(frozen=True, slots=True)
class ConfiguredComponent:
    """A registered component with the settings the pipeline gives it, already validated.

    ``settings`` is an instance of the component's settings model, or the raw dict when the
    component declared no model.
    """

    component: Component
    settings: BaseModel | dict[str, Any]
    key: str

    @property
    def name(self) -> str:
        """The component's registered name."""
        return self.component.name

    def build(self, *args: Any) -> Any:
        """Call the component's factory with its settings (and any extra arguments)."""
        return self.component.factory(self.settings, *args)


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

    @property
    def name(self) -> str:
        """The pipeline's name from [pipeline] name."""
        return self.config.pipeline.name

    def section(self, name: str) -> BaseModel | None:
        """Return a plugin-owned section's validated settings, or None when absent."""
        return self.sections.get(name)
