"""One contract for every component: ``factory(settings, context)``, settings always a validated model."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from coinstream.core import (
    ComponentContext,
    NoSettings,
    PluginHost,
    Provider,
    SourceContext,
    StrictModel,
    hookimpl,
    load_pipeline,
    parse_pipeline,
    redact_text,
)

CORE_SOURCE = Path(__file__).parents[1] / "src" / "coinstream" / "core"


class FeedSettings(StrictModel):
    url: str = "wss://feed.invalid"


class EngineSettings(StrictModel):
    cores: int = 2


def built(settings: Any, context: ComponentContext) -> tuple[Any, ComponentContext]:
    return settings, context


class ContractPlugin:
    """A source, a transform and a sink of the current form, one transform of the old form, one with no model."""

    @hookimpl
    def register_sources(self, register):
        register("feed", built, settings=FeedSettings)

    @hookimpl
    def register_transforms(self, register):
        register("tidy", built, engine="spark")
        register("legacy", lambda settings: ("legacy", settings), engine="spark")

    @hookimpl
    def register_sinks(self, register):
        register("lake", built, engine="spark", settings=FeedSettings)

    @hookimpl
    def register_config_sections(self, register):
        register("engine", EngineSettings)


@pytest.fixture
def registry():
    return PluginHost(autoload=False, plugins=[(ContractPlugin(), Provider("contract-plugin", "1.0"))]).registry


def test_every_kind_of_factory_gets_its_settings_and_the_pipeline_around_it(tmp_path, registry):
    folder = tmp_path / "pipelines"
    folder.mkdir()
    path = folder / "prod.toml"
    path.write_text("""
[pipeline]
name = "prod"
[kafka]
trades_topic = "prod.trades"
[engine]
cores = 8
[source]
name = "feed"
url = "wss://prod.invalid"
[[transforms]]
name = "tidy"
[[sinks]]
name = "lake"
""", encoding="utf-8")
    pipeline = load_pipeline(path, registry, environ={})

    components = [pipeline.source, *pipeline.transforms, *pipeline.sinks]
    settings, contexts = zip(*(pipeline.build(component) for component in components), strict=True)

    assert settings[0].url == "wss://prod.invalid" and settings[2].url == "wss://feed.invalid"
    assert [(c.kind, c.name, c.key) for c in contexts] == [
        ("source", "feed", "source"), ("transform", "tidy", "transforms[0]"), ("sink", "lake", "sinks[0]")]
    for context in contexts:
        assert context.pipeline_name == "prod"
        assert context.kafka.trades_topic == "prod.trades"
        assert context.section("engine") == EngineSettings(cores=8)
        assert context.section("s3") is None
        assert context.base_dir == folder.resolve()
        assert context.resolve_path("replays/day.jsonl") == folder.resolve() / "replays" / "day.jsonl"
        assert context.resolve_path("/var/replay.jsonl") == Path("/var/replay.jsonl")


def test_a_pipeline_without_a_file_resolves_relative_paths_against_the_working_directory(registry, monkeypatch,
                                                                                         tmp_path):
    monkeypatch.chdir(tmp_path)
    pipeline = parse_pipeline({"source": {"name": "feed"}}, registry, environ={})

    _, context = pipeline.build(pipeline.source)

    assert context.base_dir == tmp_path
    assert context.source_name == "feed"  # what SourceContext called it
    assert SourceContext is ComponentContext


def test_a_component_without_a_settings_model_gets_an_empty_model_keeping_its_keys(registry):
    pipeline = parse_pipeline({"transforms": [{"name": "tidy", "columns": ["price"], "api_token": "tok-93d1"}]},
                              registry, environ={})

    settings, _ = pipeline.build(pipeline.transforms[0])

    assert isinstance(settings, NoSettings)
    assert settings.model_extra == {"columns": ["price"], "api_token": "tok-93d1"}
    assert settings.columns == ["price"]
    assert redact_text("token tok-93d1 in a log line") == "token *** in a log line"


def test_a_factory_of_the_old_one_argument_form_still_builds_with_a_deprecation_warning(registry):
    pipeline = parse_pipeline({"transforms": [{"name": "legacy"}]}, registry, environ={})

    with capture_logs() as logs:
        component = pipeline.build(pipeline.transforms[0])

    assert component[0] == "legacy" and isinstance(component[1], NoSettings)
    warnings = [entry for entry in logs if entry["event"] == "component_factory_without_context"]
    assert len(warnings) == 1
    assert warnings[0]["log_level"] == "warning"
    assert (warnings[0]["component"], warnings[0]["distribution"]) == ("legacy", "contract-plugin")
    assert "(settings, context)" in warnings[0]["fix"]


def _module_name(path: Path) -> str:
    parts = path.relative_to(CORE_SOURCE.parents[1]).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports_at_import_time(tree: ast.Module, modules: set[str]) -> list[str]:
    """Modules imported when the module is: top-level and try/if blocks, not functions or TYPE_CHECKING.

    ``from package import submodule`` needs the submodule only; the parent packages' ``__init__``
    (which re-export) are left out: Python runs them first, before any of their submodules.
    """
    found: list[str] = []

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, ast.ImportFrom) and node.module:
                submodules = [f"{node.module}.{alias.name}" for alias in node.names]
                found.extend(name for name in submodules if name in modules)
                if not all(name in modules for name in submodules):
                    found.append(node.module)
            elif isinstance(node, ast.Import):
                found.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)

    visit(tree.body)
    return found


def test_the_plugin_host_is_not_imported_back_by_what_it_imports():
    modules = {_module_name(path): path for path in CORE_SOURCE.rglob("*.py")}
    graph = {name: {target for target in _imports_at_import_time(ast.parse(path.read_text(encoding="utf-8")),
                                                                 set(modules))
                    if target in modules and target != name}
             for name, path in modules.items()}

    reached, todo = set(), ["coinstream.core.plugins"]
    while todo:
        for target in graph[todo.pop()]:
            if target not in reached:
                reached.add(target)
                todo.append(target)

    assert "coinstream.core.builtin_plugin" in reached  # core's commands come through the same door
    assert "coinstream.core.plugins" not in reached
