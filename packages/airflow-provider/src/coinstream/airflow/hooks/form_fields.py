"""Reading a connection's form fields (declared as ``conn-fields`` in the provider manifest)."""

from __future__ import annotations

from typing import Any


def extra_field(extra: dict[str, Any], conn_type: str, name: str) -> Any:
    """Return a form field from a connection's extra, stored plain or as ``extra__<type>__<name>``.

    The React UI stores declared fields under their plain name; connections written for older
    Airflow forms (or by hand from their docs) use the prefixed one.
    """
    value = extra.get(name)
    return extra.get(f"extra__{conn_type}__{name}") if value in (None, "") else value
