"""Plugin discovery and the plugin host.

Plugins are found through the entry-point group ``coinstream``. A plugin that fails to import is
reported with its distribution and error, and the others still load. Misspelled hooks fail at
start-up (pluggy's ``check_pending``), not silently.

Environment variables:

- ``COINSTREAM_DISABLE_PLUGIN_AUTOLOAD=1``: load no entry point (tests pass plugins explicitly);
- ``COINSTREAM_PLUGINS=a,b``: load only these entry points (by entry-point or distribution name).
"""

from __future__ import annotations

import difflib
import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType
from typing import Any, cast

import pluggy
import structlog

from coinstream.core import builtin_plugin, hookspecs
from coinstream.core.__about__ import __version__ as core_version
from coinstream.core.lifecycle import LifecycleHooks
from coinstream.core.registry import COMPONENT_KINDS, Provider, Registry

ENTRY_POINT_GROUP = "coinstream"
ENV_DISABLE_AUTOLOAD = "COINSTREAM_DISABLE_PLUGIN_AUTOLOAD"
ENV_ALLOWED_PLUGINS = "COINSTREAM_PLUGINS"
CORE_PROVIDER = Provider("coinstream-core", core_version)
_TRUE_WORDS = {"1", "true", "yes", "on"}

log = structlog.get_logger(__name__)


class PluginLoadWarning(UserWarning):
    """A plugin distribution could not be imported; the other plugins still load."""


class PluginError(Exception):
    """A plugin implements an unknown hook or breaks the registration contract."""


@dataclass(frozen=True, slots=True)
class LoadedPlugin:
    """A plugin object registered with the host, and where it came from."""

    name: str
    provider: Provider
    plugin: Any


@dataclass(frozen=True, slots=True)
class FailedPlugin:
    """An entry point that could not be loaded, with the error."""

    name: str
    provider: Provider
    error: str


def autoload_enabled() -> bool:
    """Return False when COINSTREAM_DISABLE_PLUGIN_AUTOLOAD asks to load no entry point."""
    return os.environ.get(ENV_DISABLE_AUTOLOAD, "").strip().lower() not in _TRUE_WORDS


def allowed_plugins() -> frozenset[str] | None:
    """Return the allow-list from COINSTREAM_PLUGINS, or None when every plugin may load."""
    raw = os.environ.get(ENV_ALLOWED_PLUGINS, "").strip()
    if not raw:
        return None
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


def _provider_of(entry_point: EntryPoint) -> Provider:
    dist = entry_point.dist
    if dist is None:
        return Provider(f"<unknown distribution of {entry_point.value}>", "?")
    return Provider(dist.metadata["Name"], dist.version)


class PluginHost:
    """Loads plugins into a pluggy manager and builds the registry from their hooks."""

    def __init__(
        self,
        *,
        autoload: bool | None = None,
        allowed: Iterable[str] | None = None,
        plugins: Sequence[tuple[Any, Provider]] = (),
    ) -> None:
        self.manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.manager.add_hookspecs(hookspecs)
        self.loaded: list[LoadedPlugin] = []
        self.failed: list[FailedPlugin] = []
        self._providers: dict[int, Provider] = {}
        self._registry: Registry | None = None
        self._add(builtin_plugin, "core", CORE_PROVIDER)
        for plugin, provider in plugins:
            self._add(plugin, getattr(plugin, "__name__", repr(plugin)), provider)
        if autoload if autoload is not None else autoload_enabled():
            allow = frozenset(allowed) if allowed is not None else allowed_plugins()
            self._load_entry_points(allow)
        self._check_hooks()

    # -- loading ---------------------------------------------------------------------------
    def _add(self, plugin: Any, name: str, provider: Provider) -> None:
        self.manager.register(plugin, name=f"{provider.distribution}:{name}")
        self._providers[id(plugin)] = provider
        self.loaded.append(LoadedPlugin(name, provider, plugin))

    def _load_entry_points(self, allow: frozenset[str] | None) -> None:
        for entry_point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name):
            provider = _provider_of(entry_point)
            if allow is not None and entry_point.name not in allow and provider.distribution not in allow:
                log.debug("plugin_skipped", plugin=entry_point.name, distribution=provider.distribution)
                continue
            try:
                plugin = entry_point.load()
            except Exception as error:  # any import failure of a third-party plugin
                message = f"{type(error).__name__}: {error}"
                self.failed.append(FailedPlugin(entry_point.name, provider, message))
                warnings.warn(
                    f"coinstream plugin {entry_point.name!r} from {provider} failed to load and is "
                    f"skipped ({message}). Reinstall or upgrade {provider.distribution}, or leave it "
                    f"out with {ENV_ALLOWED_PLUGINS}.",
                    PluginLoadWarning,
                    stacklevel=2,
                )
                continue
            self._add(plugin, entry_point.name, provider)

    def _check_hooks(self) -> None:
        known = [name for name in dir(hookspecs) if self.manager.parse_hookspec_opts(hookspecs, name)]
        for loaded in self.loaded:
            plugin = loaded.plugin
            for attribute in dir(plugin):
                if self.manager.parse_hookimpl_opts(plugin, attribute) is None or attribute in known:
                    continue
                close = difflib.get_close_matches(attribute, known, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else f" Known hooks: {', '.join(sorted(known))}."
                raise PluginError(
                    f"plugin {loaded.name!r} from {loaded.provider} implements {attribute!r}, "
                    f"which is not a coinstream hook.{hint}"
                )
        self.manager.check_pending()

    # -- the registry ----------------------------------------------------------------------
    @property
    def hook(self) -> LifecycleHooks:
        """The pluggy hook relay, for lifecycle hooks: ``host.hook.pipeline_started(...)``."""
        return cast(LifecycleHooks, self.manager.hook)

    def provider_of(self, plugin: Any) -> Provider:
        """Return the distribution a registered plugin object came from."""
        return self._providers.get(id(plugin), Provider("<unknown>", "?"))

    @property
    def registry(self) -> Registry:
        """The registry built from every plugin's registration hooks (built on first use)."""
        if self._registry is None:
            self._registry = self._build_registry()
        return self._registry

    def _build_registry(self) -> Registry:
        registry = Registry()
        for kind in COMPONENT_KINDS:
            self._call_each(f"register_{kind}s", lambda provider, k=kind: registry.component_registrar(k, provider))
        self._call_each("register_config_sections", registry.section_registrar)
        self._call_each("register_commands", registry.command_registrar)
        return registry

    def _call_each(self, hook_name: str, registrar_for: Any) -> None:
        # Each implementation is called on its own so that what it registers is attributed to
        # its distribution: duplicate-name errors can then name both distributions.
        caller = getattr(self.manager.hook, hook_name)
        for impl in reversed(caller.get_hookimpls()):
            provider = self.provider_of(impl.plugin)
            impl.function(**{name: registrar_for(provider) for name in impl.argnames})


def plugin_module_name(plugin: Any) -> str:
    """Return a readable name for a plugin object (its module name when it is a module)."""
    return plugin.__name__ if isinstance(plugin, ModuleType) else type(plugin).__qualname__
