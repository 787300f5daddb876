"""Packages reach each other only through public APIs (#16 item 4).

A package's public API is what ``coinstream.<package>`` lists in ``__all__``; core adds
``coinstream.core.kafka``. Every module under packages/*/src and infra/src is parsed (imports inside
functions and ``TYPE_CHECKING`` blocks count too) and each import of another coinstream package must
name a public module and names in its ``__all__``. Public names load lazily where they are heavy, so
importing a package's public API (what its plugin entry point does on every ``coinstream`` call)
imports no pyspark, deltalake, duckdb, pyarrow or aiohttp.
"""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
SOURCE_ROOTS = sorted(ROOT.glob("packages/*/src/coinstream")) + [ROOT / "infra" / "src" / "coinstream"]
EXTRA_PUBLIC_MODULES = ("coinstream.core.kafka",)


def package_folders() -> dict[str, Path]:
    """``coinstream.<name>`` -> its folder, for every package of the workspace."""
    return {f"coinstream.{folder.name}": folder for root in SOURCE_ROOTS for folder in root.iterdir()
            if (folder / "__init__.py").is_file()}


def exported_names(init: Path) -> set[str]:
    """The names a module's ``__all__`` lists (read with ast: nothing is imported)."""
    for node in ast.parse(init.read_text()).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return set(ast.literal_eval(node.value))
    raise AssertionError(f"{init.relative_to(ROOT)} has no __all__: list the package's public names in it")


def public_modules() -> dict[str, set[str]]:
    folders = package_folders()
    public = {name: exported_names(folder / "__init__.py") for name, folder in folders.items()}
    for module in EXTRA_PUBLIC_MODULES:
        package, _, rest = module.rpartition(".")
        public[module] = exported_names(folders[package] / rest / "__init__.py")
    return public


def owning_package(module: str) -> str:
    return ".".join(module.split(".")[:2])


def imported(node: ast.AST) -> list[tuple[str, list[str]]]:
    """(module, names) an import statement reads from coinstream; no names for ``import module``."""
    if isinstance(node, ast.Import):
        return [(alias.name, []) for alias in node.names if alias.name.startswith("coinstream.")]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("coinstream."):
        return [(node.module or "", [alias.name for alias in node.names])]
    return []


def violations(module: str, names: list[str], public: dict[str, set[str]]) -> list[str]:
    """Why importing ``names`` from ``module`` (of another package) reaches past its public API."""
    package = owning_package(module)
    if module not in public:
        statement = f"from {module} import {', '.join(names)}" if names else f"import {module}"
        return [f"{statement} ({module} is not public; export the names from {package}'s __init__ and import "
                f"them from {package})"]
    return [f"from {module} import {name} ({name!r} is not in {module}.__all__; add it there or do not use it)"
            for name in names if name not in public[module]]


def cross_package_violations() -> list[str]:
    """Every import, anywhere in a module (functions and TYPE_CHECKING blocks too), past another package's API."""
    public = public_modules()
    found = []
    for package, folder in package_folders().items():
        for path in sorted(folder.rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                for module, names in imported(node):
                    if owning_package(module) != package:
                        found += [f"{path.relative_to(ROOT)}:{node.lineno}: {why}"
                                  for why in violations(module, names, public)]
    return found


def test_every_package_declares_its_public_names():
    public = public_modules()

    assert {"coinstream.core", "coinstream.core.kafka", "coinstream.lake", "coinstream.spark", "coinstream.s3",
            "coinstream.tiingo", "coinstream.dashboard", "coinstream.airflow", "coinstream.devstack"} <= set(public)
    assert {"Ingestor", "IngestOptions", "cli_main"} <= public["coinstream.core"]


def test_packages_import_each_other_only_through_public_apis():
    assert cross_package_violations() == []


def test_the_checker_names_a_private_import(tmp_path, monkeypatch):
    folder = tmp_path / "packages" / "demo" / "src" / "coinstream" / "demo"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text('__all__ = ["run"]\n')
    (folder / "run.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                   "    from coinstream.core.ingest import Ingestor\n"
                                   "def go():\n    from coinstream.core import not_exported\n")
    monkeypatch.setattr(sys.modules[__name__], "SOURCE_ROOTS", [*SOURCE_ROOTS, folder.parent])
    monkeypatch.setattr(sys.modules[__name__], "ROOT", Path("/"))

    found = [v for v in cross_package_violations() if "packages/demo/" in v]

    assert len(found) == 2
    assert found[0].endswith("run.py:3: from coinstream.core.ingest import Ingestor (coinstream.core.ingest is not "
                             "public; export the names from coinstream.core's __init__ and import them from "
                             "coinstream.core)")
    assert found[1].endswith("run.py:5: from coinstream.core import not_exported ('not_exported' is not in "
                             "coinstream.core.__all__; add it there or do not use it)")


def test_every_public_name_resolves():
    missing = []
    for module, names in public_modules().items():
        imported = importlib.import_module(module)
        missing += [f"{module}.{name}" for name in sorted(names) if not hasattr(imported, name)]

    assert missing == []


def heavy_modules_after(code: str) -> list[str]:
    """The top-level heavy packages a fresh interpreter has imported after running ``code``."""
    script = (f"{code}\nimport json, sys\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & "
              "{'pyspark', 'deltalake', 'duckdb', 'pyarrow', 'aiohttp'})))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_importing_a_public_api_imports_nothing_heavy():
    # the plugin entry points import these on every `coinstream` call; their heavy names load when first used
    for module in ("coinstream.core", "coinstream.core.kafka", "coinstream.lake", "coinstream.spark", "coinstream.s3",
                   "coinstream.dashboard", "coinstream.airflow", "coinstream.devstack"):
        assert (module, heavy_modules_after(f"import {module}")) == (module, [])


def test_loading_the_plugins_imports_no_pyspark():
    loaded = heavy_modules_after("from coinstream.core import PluginHost\nPluginHost().registry")

    assert "pyspark" not in loaded
    assert "deltalake" in heavy_modules_after("import coinstream.dashboard.lake")  # the probe sees a heavy import
