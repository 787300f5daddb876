"""Environment-variable overrides for configuration fields (secrets and endpoints).

A model field opts in with ``Field(..., json_schema_extra=env_override("COINSTREAM_X"))``. When
that variable is set, its value replaces what the TOML says, before validation. This is how API
keys and passwords reach a pipeline without being written into its file.
"""

from __future__ import annotations

import os
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, SecretStr, TypeAdapter, ValidationError

_ENV_KEY = "coinstream_env"


def env_override(variable: str) -> dict[str, str]:
    """Return the json_schema_extra that binds a field to an environment variable."""
    return {_ENV_KEY: variable}


def env_variable_of(model: type[BaseModel], field_name: str) -> str | None:
    """Return the environment variable bound to a model field, or None."""
    extra = model.model_fields[field_name].json_schema_extra
    if isinstance(extra, Mapping):
        value = extra.get(_ENV_KEY)
        return value if isinstance(value, str) else None
    return None


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    candidates = [annotation, *typing.get_args(annotation)]
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _convert(annotation: Any, text: str) -> Any:
    """Turn an environment string into the field's type (lists are comma-separated)."""
    origin = typing.get_origin(annotation)
    if origin in (list, tuple) or annotation in (list, tuple):
        return [part.strip() for part in text.split(",") if part.strip()]
    if annotation in (str, SecretStr) or origin is None and annotation is Any:
        return text
    try:
        return TypeAdapter(annotation).validate_python(text, strict=False)
    except ValidationError:
        return text  # let strict validation report it, with the variable named in the message


def apply_env_overrides(
    model: type[BaseModel], raw: dict[str, Any], environ: Mapping[str, str] | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return ``raw`` with bound environment variables applied, and {key path: variable} used.

    Nested models are followed, so ``[kafka] sasl_password`` can be bound too.
    """
    environ = os.environ if environ is None else environ
    result = dict(raw)
    used: dict[str, str] = {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        variable = env_variable_of(model, name)
        if variable and environ.get(variable, "") != "":
            result[key] = _convert(field.annotation, environ[variable])
            used[key] = variable
        nested = _nested_model(field.annotation)
        if nested is not None and isinstance(result.get(key, {}), dict):
            inner, inner_used = apply_env_overrides(nested, result.get(key, {}), environ)
            if inner_used or key in result:
                result[key] = inner
            used.update({f"{key}.{path}": var for path, var in inner_used.items()})
    return result, used
