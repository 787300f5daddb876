"""Load a pipeline TOML file, apply environment overrides and validate it against the plugins."""

from __future__ import annotations

import difflib
import tomllib
import typing
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationError

from coinstream.core.config.env import apply_env_overrides, env_variable_of
from coinstream.core.config.errors import ConfigError, ConfigProblem
from coinstream.core.config.models import COMPONENT_SECTIONS, CORE_SECTIONS, PipelineConfig
from coinstream.core.logs.redaction import is_secret_key, register_secret
from coinstream.core.pipeline import ConfiguredComponent, Pipeline
from coinstream.core.registry import ComponentKind, Registry

_HIDDEN = "<hidden>"

#: Every part of a pipeline file that names components: what `coinstream process` checks.
ALL_COMPONENTS: frozenset[str] = frozenset(COMPONENT_SECTIONS)
#: What the ingestor uses: the core sections, the installed plugins' sections and ``[source]``.
INGEST_COMPONENTS: frozenset[str] = frozenset({"source"})


def load_pipeline(path: Path | str, registry: Registry, environ: Mapping[str, str] | None = None, *,
                  components: Collection[str] = ALL_COMPONENTS) -> Pipeline:
    """Read and validate a pipeline file; raise :class:`ConfigError` listing every problem.

    ``components`` names the component parts a command uses (see :func:`parse_pipeline`).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, [ConfigProblem("", "file not found", fix=(
            "pass the path of an existing pipeline TOML; `coinstream stack up` writes one for the local stack"))]) from None
    except OSError as error:
        raise ConfigError(path, [ConfigProblem("", f"cannot read the file ({error.strerror})")]) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(path, [ConfigProblem("", f"not valid TOML: {error}", fix="fix the syntax at that line")]) from None
    return parse_pipeline(raw, registry, path=path, environ=environ, components=components)


def parse_pipeline(
    raw: Mapping[str, Any],
    registry: Registry,
    *,
    path: Path | None = None,
    environ: Mapping[str, str] | None = None,
    components: Collection[str] = ALL_COMPONENTS,
) -> Pipeline:
    """Validate an already parsed pipeline document (see :func:`load_pipeline`).

    ``components`` is the part of ``source``, ``transforms`` and ``sinks`` the calling command uses
    (default: all). The core sections and every section an installed plugin owns are always checked.
    Parts left out are not validated and not built; neither is a section no installed plugin owns,
    unless its name is close to a known one (then it is reported as a likely misspelling). What was
    left unchecked is in :attr:`Pipeline.unchecked`, for the command to say.
    """
    problems: list[ConfigProblem] = []
    env_used: dict[str, str] = {}
    unchecked: list[str] = [key for key in COMPONENT_SECTIONS if key in raw and key not in components]
    partial = bool(set(COMPONENT_SECTIONS) - set(components))
    unchecked += _check_top_level_keys(raw, registry, problems, report_unknown=not partial)

    core_raw = {key: raw[key] for key in CORE_SECTIONS if key in raw}
    config = _validate(PipelineConfig, core_raw, "", environ, problems, env_used)

    sections: dict[str, BaseModel] = {}
    for section in registry.sections():
        present = section.name in raw
        if present and not isinstance(raw[section.name], dict):
            problems.append(ConfigProblem(section.name, "must be a table", expected=f"[{section.name}] with keys"))
            continue
        section_problems: list[ConfigProblem] = []
        validated = _validate(section.model, raw.get(section.name, {}), section.name, environ, section_problems,
                              env_used)
        if present:
            problems.extend(section_problems)
        if validated is not None:
            sections[section.name] = validated

    source = None
    if "source" in raw and "source" in components:
        source = _component(raw["source"], "source", "source", registry, environ, problems, env_used)
    transforms: list[ConfiguredComponent] = []
    sinks: list[ConfiguredComponent] = []
    if "transforms" in components:
        transforms = _component_list(raw.get("transforms", []), "transforms", "transform", registry, environ,
                                     problems, env_used)
    if "sinks" in components:
        sinks = _component_list(raw.get("sinks", []), "sinks", "sink", registry, environ, problems, env_used)

    if problems or config is None:
        raise ConfigError(path, problems)
    _register_secrets([config, *sections.values()])
    _register_secrets([c.settings for c in (source, *transforms, *sinks) if c is not None])
    return Pipeline(config=config, path=path, source=source, transforms=tuple(transforms), sinks=tuple(sinks),
                    sections=sections, env_overrides=env_used, unchecked=tuple(unchecked))


def _check_top_level_keys(raw: Mapping[str, Any], registry: Registry, problems: list[ConfigProblem], *,
                          report_unknown: bool) -> list[str]:
    """Report unknown top-level sections; return those left unchecked (only when not ``report_unknown``)."""
    known = [*CORE_SECTIONS, *COMPONENT_SECTIONS, *(s.name for s in registry.sections())]
    unchecked: list[str] = []
    for key in raw:
        if key in known:
            continue
        close = difflib.get_close_matches(key, known, n=1)
        if not report_unknown and not close:
            unchecked.append(f"[{key}]")  # owned, presumably, by a plugin of a command that does not run here
            continue
        hint = f"did you mean [{close[0]}]?" if close else (
            "if a plugin owns this section, install it (`coinstream plugins` lists what is installed)")
        problems.append(ConfigProblem(key, "unknown section", expected=f"one of: {', '.join(sorted(known))}", fix=hint))
    return unchecked


def _component_list(
    raw: Any, key: str, kind: ComponentKind, registry: Registry, environ: Mapping[str, str] | None,
    problems: list[ConfigProblem], env_used: dict[str, str],
) -> list[ConfiguredComponent]:
    if not isinstance(raw, list):
        problems.append(ConfigProblem(key, f"must be an array of tables, got {type(raw).__name__}",
                                      expected=f"[[{key}]] blocks, each with a name"))
        return []
    found = [_component(item, f"{key}[{index}]", kind, registry, environ, problems, env_used)
             for index, item in enumerate(raw)]
    return [component for component in found if component is not None]


def _component(
    raw: Any, key: str, kind: ComponentKind, registry: Registry, environ: Mapping[str, str] | None,
    problems: list[ConfigProblem], env_used: dict[str, str],
) -> ConfiguredComponent | None:
    choices = registry.names(kind)
    choice_text = ", ".join(choices) if choices else f"none: no installed plugin registers a {kind}"
    if not isinstance(raw, dict):
        problems.append(ConfigProblem(key, f"must be a table, got {type(raw).__name__}", expected="a table with a name"))
        return None
    name = raw.get("name")
    if name is None:
        problems.append(ConfigProblem(f"{key}.name", "required value is missing", expected=f"a {kind} name: {choice_text}"))
        return None
    if not isinstance(name, str):
        problems.append(ConfigProblem(f"{key}.name", f"must be a string, got {name!r} ({type(name).__name__})",
                                      expected=f"one of: {choice_text}"))
        return None
    component = registry.component(kind, name)
    if component is None:
        close = difflib.get_close_matches(name, choices, n=1)
        fix = f"did you mean {close[0]!r}?" if close else (
            f"install the package that registers {kind} {name!r}; `coinstream plugins` lists what is installed")
        problems.append(ConfigProblem(f"{key}.name", f"no installed plugin registers a {kind} named {name!r}",
                                      expected=f"one of: {choice_text}", fix=fix))
        return None
    settings_raw = {k: v for k, v in raw.items() if k != "name"}
    settings = _validate(component.settings_model, settings_raw, key, environ, problems, env_used)
    return ConfiguredComponent(component, settings, key) if settings is not None else None


def _validate(
    model: type[BaseModel], raw: Any, prefix: str, environ: Mapping[str, str] | None,
    problems: list[ConfigProblem], env_used: dict[str, str],
) -> Any:
    if not isinstance(raw, dict):
        problems.append(ConfigProblem(prefix, f"must be a table, got {type(raw).__name__}"))
        return None
    raw, used = apply_env_overrides(model, raw, environ)
    env_used.update({_join(prefix, key): variable for key, variable in used.items()})
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        problems.extend(_problems_from(error, model, prefix, env_used))
        return None


def _join(prefix: str, key: str) -> str:
    if not key:
        return prefix
    if not prefix:
        return key
    return f"{prefix}{key}" if key.startswith("[") else f"{prefix}.{key}"


def _loc_to_key(loc: tuple[int | str, ...]) -> str:
    key = ""
    for part in loc:
        key = f"{key}[{part}]" if isinstance(part, int) else _join(key, str(part))
    return key


def _model_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    current: Any = model
    for part in loc:
        if not (isinstance(current, type) and issubclass(current, BaseModel)) or not isinstance(part, str):
            return None
        field = current.model_fields.get(part)
        if field is None:
            return None
        annotation = field.annotation
        current = next((a for a in (annotation, *getattr(annotation, "__args__", ()))
                        if isinstance(a, type) and issubclass(a, BaseModel)), None)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


_TYPE_WORDS = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}
_BOUND_WORDS = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<", "min_length": "length >=", "max_length": "length <=",
                "pattern": "matching"}


def _describe_field(model: type[BaseModel] | None, name: str) -> str:
    """Return what a field expects in words: "an integer >= 1 and <= 32: <description>"."""
    if model is None or name not in model.model_fields:
        return ""
    field = model.model_fields[name]
    annotation = field.annotation
    if annotation is SecretStr or "SecretStr" in str(annotation):
        text = "a secret string"
    elif typing.get_origin(annotation) is typing.Literal:
        text = "one of " + ", ".join(repr(choice) for choice in typing.get_args(annotation))
    else:
        text = _TYPE_WORDS.get(annotation, str(annotation).replace("typing.", ""))  # type: ignore[arg-type]
    bounds = []
    for constraint in field.metadata:
        for attribute, word in _BOUND_WORDS.items():
            value = getattr(constraint, attribute, None)
            if value is not None:
                bounds.append(f"{word} {value!r}" if attribute == "pattern" else f"{word} {value}")
    if bounds:
        text = f"{text} {' and '.join(bounds)}"
    if field.description:
        text = f"{text}: {field.description}"
    return text


def _problems_from(
    error: ValidationError, model: type[BaseModel], prefix: str, env_used: dict[str, str]
) -> list[ConfigProblem]:
    problems = []
    for detail in error.errors(include_url=False):
        loc = tuple(detail["loc"])
        key = _join(prefix, _loc_to_key(loc))
        parent = _model_at(model, loc[:-1]) if loc else model
        field_name = str(loc[-1]) if loc else ""
        kind = detail["type"]
        env_note = f" (from environment variable {env_used[key]})" if key in env_used else ""
        if kind == "extra_forbidden":
            allowed = sorted(parent.model_fields) if parent is not None else []
            close = difflib.get_close_matches(field_name, allowed, n=1)
            problems.append(ConfigProblem(
                key, "unknown key", expected=f"one of: {', '.join(allowed)}" if allowed else "",
                fix=f"did you mean {close[0]!r}?" if close else "remove it"))
        elif kind == "missing":
            variable = env_variable_of(parent, field_name) if parent is not None and field_name in parent.model_fields else None
            fix = f"add {field_name} to the file" + (f" or set {variable}" if variable else "")
            problems.append(ConfigProblem(key, "required value is missing",
                                          expected=_describe_field(parent, field_name), fix=fix))
        elif not loc:
            message = detail["msg"].removeprefix("Value error, ")
            problems.append(ConfigProblem(prefix or "<file>", message + env_note))
        else:
            value = detail.get("input")
            shown = _HIDDEN if is_secret_key(field_name) or is_secret_key(key) else repr(value)
            message = detail["msg"].removeprefix("Value error, ")
            message = message[:1].lower() + message[1:]
            problems.append(ConfigProblem(
                key, f"{message}, got {shown} ({type(value).__name__}){env_note}",
                expected=_describe_field(parent, field_name)))
    return problems


def _register_secrets(models: list[BaseModel]) -> None:
    for model in models:
        for name in type(model).model_fields:
            value = getattr(model, name)
            if isinstance(value, SecretStr):
                register_secret(value)
            elif isinstance(value, BaseModel):
                _register_secrets([value])
        # NoSettings keeps a model-less component's keys unvalidated: a secret-looking one is still a secret
        for key, value in (model.model_extra or {}).items():
            if is_secret_key(key) and isinstance(value, str):
                register_secret(value)
