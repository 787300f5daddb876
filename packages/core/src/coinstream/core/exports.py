"""Lazy public names: a package's ``__init__`` exports what other packages need without importing it yet.

A package's ``__init__`` runs whenever its plugin entry point loads, that is on every ``coinstream``
call, so a name whose module pulls in aiohttp, deltalake, pyarrow or confluent-kafka is exported
through a module ``__getattr__`` (PEP 562): the module is imported the first time the name is read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """Return a module ``__getattr__`` for ``package`` that imports ``exports[name]`` on first use.

    ``exports`` maps each public name to the module that defines it, or to ``"module:attribute"`` when
    the package exports it under another name.

    Called by Python when ``name`` is not yet an attribute of ``package``; returns the name's value and
    caches it in the package, or raises AttributeError naming the package and the name.
    """

    def __getattr__(name: str) -> Any:
        target = exports.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, _, attribute = target.partition(":")
        value = getattr(import_module(module), attribute or name)
        setattr(import_module(package), name, value)
        return value

    return __getattr__
