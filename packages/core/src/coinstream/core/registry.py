"""The registry of named components, config sections and CLI commands that plugins register."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import click
from pydantic import BaseModel, ConfigDict

ComponentKind = Literal["source", "transform", "sink"]
COMPONENT_KINDS: tuple[ComponentKind, ...] = ("source", "transform", "sink")
_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_-]*$")


class NoSettings(BaseModel):
    """The settings of a component that registered no model: no keys of its own.

    The keys its pipeline table gives are kept, unvalidated, as extra attributes
    (``settings.model_extra``); register a model to have them checked at start-up.
    """

    model_config = ConfigDict(extra="allow", frozen=True)


class RegistryError(Exception):
    """A plugin registered something that cannot be accepted (a bad or duplicate name)."""


@dataclass(frozen=True, slots=True)
class Provider:
    """The distribution that registered something."""

    distribution: str
    version: str

    def __str__(self) -> str:
        return f"{self.distribution} {self.version}"


@dataclass(frozen=True, slots=True)
class Component:
    """A named source, transform or sink, with the factory that builds it.

    ``settings_model`` is the model registered (:class:`NoSettings` when none was);
    ``takes_context`` is False for a factory of the deprecated one-argument form ``factory(settings)``.
    """

    kind: ComponentKind
    name: str
    factory: Callable[..., Any]
    settings_model: type[BaseModel]
    engine: str | None
    description: str
    provider: Provider
    takes_context: bool = True


@dataclass(frozen=True, slots=True)
class ConfigSection:
    """A top-level pipeline TOML section owned by a plugin."""

    name: str
    model: type[BaseModel]
    provider: Provider


@dataclass(frozen=True, slots=True)
class RegisteredCommand:
    """A ``coinstream`` CLI sub-command contributed by a plugin."""

    command: click.Command
    provider: Provider


class ComponentRegistrar(Protocol):
    """The ``register`` callback passed to register_sources/transforms/sinks.

    ``factory`` is called as ``factory(settings, context)`` when the component is built: an instance
    of ``settings`` (:class:`NoSettings` when None) and a :class:`coinstream.core.ComponentContext`.
    """

    def __call__(
        self,
        name: str,
        factory: Callable[..., Any],
        *,
        settings: type[BaseModel] | None = None,
        engine: str | None = None,
        description: str = "",
    ) -> None: ...


class SectionRegistrar(Protocol):
    """The ``register`` callback passed to register_config_sections."""

    def __call__(self, name: str, model: type[BaseModel]) -> None: ...


class CommandRegistrar(Protocol):
    """The ``register`` callback passed to register_commands."""

    def __call__(self, command: click.Command) -> None: ...


def takes_context(factory: Callable[..., Any]) -> bool:
    """Return False when ``factory`` accepts only ``(settings)``, the contract before the context was passed."""
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):  # a callable without a signature: assume the current contract
        return True
    for arguments in ((None, None), (None,)):
        try:
            signature.bind(*arguments)
        except TypeError:
            continue
        return len(arguments) == 2
    return True


def _check_name(what: str, name: str, provider: Provider) -> None:
    if not isinstance(name, str) or not _NAME_PATTERN.match(name):
        raise RegistryError(
            f"{provider} registers a {what} named {name!r}; names are lower case letters, digits, "
            "'_' and '-', starting with a letter. Fix the name in the plugin's register call."
        )


class Registry:
    """Everything the installed plugins registered, by kind and name."""

    def __init__(self) -> None:
        self._components: dict[tuple[ComponentKind, str], Component] = {}
        self._sections: dict[str, ConfigSection] = {}
        self._commands: dict[str, RegisteredCommand] = {}

    # -- registration callbacks, bound to the registering distribution --------------------
    def component_registrar(self, kind: ComponentKind, provider: Provider) -> ComponentRegistrar:
        """Return the ``register`` callback a plugin's register_<kind>s hook receives."""

        def register(
            name: str,
            factory: Callable[..., Any],
            *,
            settings: type[BaseModel] | None = None,
            engine: str | None = None,
            description: str = "",
        ) -> None:
            _check_name(kind, name, provider)
            if not callable(factory):
                raise RegistryError(f"{provider} registers {kind} {name!r} with a factory that is not callable")
            if settings is not None and not (isinstance(settings, type) and issubclass(settings, BaseModel)):
                raise RegistryError(f"{provider} registers {kind} {name!r} with settings that are not a pydantic model")
            existing = self._components.get((kind, name))
            if existing is not None:
                raise RegistryError(
                    f"{kind} {name!r} is registered twice: by {existing.provider} and by {provider}. "
                    "Uninstall one of them, or allow only one with COINSTREAM_PLUGINS."
                )
            self._components[(kind, name)] = Component(kind, name, factory, settings or NoSettings, engine,
                                                       description, provider, takes_context(factory))

        return register

    def section_registrar(self, provider: Provider) -> SectionRegistrar:
        """Return the ``register`` callback of register_config_sections."""

        def register(name: str, model: type[BaseModel]) -> None:
            _check_name("config section", name, provider)
            existing = self._sections.get(name)
            if existing is not None:
                raise RegistryError(
                    f"config section [{name}] is registered twice: by {existing.provider} and by {provider}. "
                    "Uninstall one of them, or allow only one with COINSTREAM_PLUGINS."
                )
            self._sections[name] = ConfigSection(name, model, provider)

        return register

    def command_registrar(self, provider: Provider) -> CommandRegistrar:
        """Return the ``register`` callback of register_commands."""

        def register(command: click.Command) -> None:
            name = command.name or ""
            _check_name("command", name, provider)
            existing = self._commands.get(name)
            if existing is not None:
                raise RegistryError(
                    f"command `coinstream {name}` is registered twice: by {existing.provider} and by {provider}. "
                    "Uninstall one of them, or allow only one with COINSTREAM_PLUGINS."
                )
            self._commands[name] = RegisteredCommand(command, provider)

        return register

    # -- look-ups --------------------------------------------------------------------------
    def component(self, kind: ComponentKind, name: str) -> Component | None:
        """Return the component registered under (kind, name), or None."""
        return self._components.get((kind, name))

    def components(self, kind: ComponentKind | None = None) -> list[Component]:
        """Return the registered components, of one kind or all, sorted by kind and name."""
        found = [c for c in self._components.values() if kind is None or c.kind == kind]
        return sorted(found, key=lambda c: (COMPONENT_KINDS.index(c.kind), c.name))

    def names(self, kind: ComponentKind) -> list[str]:
        """Return the sorted names registered for a kind."""
        return [c.name for c in self.components(kind)]

    def section(self, name: str) -> ConfigSection | None:
        """Return the plugin-owned config section with that name, or None."""
        return self._sections.get(name)

    def sections(self) -> list[ConfigSection]:
        """Return every plugin-owned config section, sorted by name."""
        return [self._sections[name] for name in sorted(self._sections)]

    def command(self, name: str) -> RegisteredCommand | None:
        """Return the CLI command registered under that name, or None."""
        return self._commands.get(name)

    def commands(self) -> list[RegisteredCommand]:
        """Return every registered CLI command, sorted by name."""
        return [self._commands[name] for name in sorted(self._commands)]
