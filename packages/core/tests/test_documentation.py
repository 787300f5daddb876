"""The README documents every hook with its arguments, the component context and every core
configuration key (datasette's rule)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from pydantic import BaseModel

from coinstream.core import ComponentContext, PluginHost, hookspecs
from coinstream.core.config.env import env_variable_of
from coinstream.core.config.models import PipelineConfig

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
HOOKS = sorted(name for name in dir(hookspecs)
               if callable(getattr(hookspecs, name)) and hasattr(getattr(hookspecs, name), "coinstream_spec"))


def _keys(model: type[BaseModel], prefix: str = "") -> list[tuple[str, str | None]]:
    keys = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys.extend(_keys(annotation, f"{prefix}{name}."))
        else:
            keys.append((f"{prefix}{name}", env_variable_of(model, name)))
    return keys


def test_the_hook_list_is_not_empty():
    assert {"register_sources", "register_transforms", "register_sinks", "batch_committed"} <= set(HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented_in_the_readme_with_its_arguments_and_has_a_docstring(hook):
    # The arguments as pluggy calls the hook, so a renamed or added argument fails here until documented.
    arguments = PluginHost(autoload=False).manager.hook.__dict__[hook].spec.argnames
    assert arguments, f"hook {hook} takes no argument"
    documented = f"`{hook}({', '.join(arguments)})`"
    assert documented in README, f"the README's hook table lacks {documented}"
    assert "called" in (getattr(hookspecs, hook).__doc__ or "").lower()


@pytest.mark.parametrize("field", [field.name for field in dataclasses.fields(ComponentContext)])
def test_every_field_of_the_component_context_is_documented(field):
    assert f"| `{field}` |" in README


@pytest.mark.parametrize(("key", "variable"), _keys(PipelineConfig))
def test_every_core_config_key_and_its_variable_is_documented(key, variable):
    assert f"`{key}`" in README
    if variable:
        assert f"`{variable}`" in README


def test_the_readme_quotes_the_example_source_as_it_is():
    """The README's source example is the file a test runs (tests/plugins/test_example_source.py), not a copy."""
    example = Path(__file__).parents[1] / "examples" / "acme-source" / "acme_coinstream" / "plugin.py"
    assert f"```python\n{example.read_text(encoding='utf-8')}```\n" in README
