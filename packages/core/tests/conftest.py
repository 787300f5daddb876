"""Fixtures for core's tests: real installed distributions for plugin discovery tests, a stand-in registry."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Iterator
from importlib import invalidate_caches
from pathlib import Path
from typing import Any

import pytest

InstallDistribution = Callable[..., Path]


@pytest.fixture
def site_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh site-packages folder on sys.path, gone after the test."""
    site = tmp_path / "site-packages"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    yield site
    for name in [m for m in sys.modules if m.startswith("acme_")]:
        del sys.modules[name]
    invalidate_caches()


@pytest.fixture
def install_distribution(site_dir: Path) -> InstallDistribution:
    """Install a distribution the way pip lays it out (modules + .dist-info with entry points).

    ``install_distribution("acme-sources", "1.2.3", {"acme_sources": "code"}, {"acme": "acme_sources"})``
    """

    def install(name: str, version: str, modules: dict[str, str], entry_points: dict[str, str]) -> Path:
        for module, code in modules.items():
            (site_dir / f"{module}.py").write_text(textwrap.dedent(code), encoding="utf-8")
        dist_info = site_dir / f"{name.replace('-', '_')}-{version}.dist-info"
        dist_info.mkdir()
        (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        lines = ["[coinstream]", *(f"{ep} = {target}" for ep, target in entry_points.items())]
        (dist_info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        (dist_info / "RECORD").write_text("")
        invalidate_caches()
        return dist_info

    return install


@pytest.fixture(autouse=True)
def _plugin_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests start with autoload on and no allow-list, whatever the developer's shell says."""
    monkeypatch.delenv("COINSTREAM_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    monkeypatch.delenv("COINSTREAM_PLUGINS", raising=False)


class RecordingRegistry:
    """A schema registry stand-in: keeps the schema registered under each subject; ids count from 1."""

    def __init__(self) -> None:
        self.subjects: dict[str, str] = {}

    def register_schema(self, subject: str, schema: Any) -> int:
        self.subjects[subject] = schema.schema_str
        return len(self.subjects)


@pytest.fixture
def registry() -> RecordingRegistry:
    """A RecordingRegistry with nothing registered."""
    return RecordingRegistry()
