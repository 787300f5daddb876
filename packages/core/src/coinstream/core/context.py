"""What a component factory receives besides its own settings: the pipeline around it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from coinstream.core.config.models import KafkaSettings
from coinstream.core.registry import ComponentKind


@dataclass(frozen=True, slots=True)
class ComponentContext:
    """The second argument of every ``factory(settings, context)``: sources, transforms and sinks alike.

    Built by the ingestor (for the source) and by the processor (for each transform and sink), one
    per component, right before its factory is called.

    - ``pipeline_name``: ``[pipeline] name``.
    - ``kind``, ``name``, ``key``: the component's kind, registered name and place in the file
      (``"source"``, ``"transforms[0]"``, ``"sinks[1]"``), for messages.
    - ``kafka``: the pipeline's validated ``[kafka]`` section.
    - ``sections``: every section the installed plugins own, validated (``[spark]``, ``[s3]``; a
      section the file leaves out holds its defaults); read one with :meth:`section`.
    - ``base_dir``: the pipeline file's folder (the working directory for a pipeline parsed from a
      dict): where a relative path in the file is relative to; :meth:`resolve_path` applies it.
    """

    pipeline_name: str
    kind: ComponentKind
    name: str
    key: str
    kafka: KafkaSettings = field(default_factory=KafkaSettings)
    sections: Mapping[str, BaseModel] = field(default_factory=dict)
    base_dir: Path = field(default_factory=Path.cwd)

    @property
    def source_name(self) -> str:
        """The component's registered name (the name ``SourceContext`` had for it)."""
        return self.name

    def section(self, name: str) -> BaseModel | None:
        """Return a plugin-owned section's validated settings (``section("s3")``), or None when no plugin owns it."""
        return self.sections.get(name)

    def resolve_path(self, path: str | Path) -> Path:
        """Return ``path`` made absolute against :attr:`base_dir` (an absolute path is returned as it is)."""
        path = Path(path).expanduser()
        return path if path.is_absolute() else self.base_dir / path


SourceContext = ComponentContext
"""The former name of a source's context, kept so existing sources keep importing it."""
