"""Validation with kagent-adk's own types, strict about names: pydantic ignores a field a model does not
declare, so a misspelt or unsupported field would pass `model_validate` and silently do nothing in the
runtime. `unknown_fields` lists every key of the input that did not land in a declared field."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def unknown_fields(model: BaseModel, given: Any, by_alias: bool = False, path: str = "") -> list[str]:
    """Keys of `given` (the JSON that was validated into `model`) that no field of the model took."""
    kept = model.model_dump(mode="json", exclude_unset=True, by_alias=by_alias)
    return _compare(given, kept, path)


def _compare(given: Any, kept: Any, path: str) -> list[str]:
    problems: list[str] = []
    if isinstance(given, dict):
        for key, value in given.items():
            where = f"{path}.{key}" if path else key
            if not isinstance(kept, dict) or key not in kept:
                problems.append(where)
            else:
                problems += _compare(value, kept[key], where)
    elif isinstance(given, list) and isinstance(kept, list):
        for index, (item, kept_item) in enumerate(zip(given, kept)):
            problems += _compare(item, kept_item, f"{path}[{index}]")
    return problems
