"""``--set KEY=VALUE`` overrides: dotted paths into a scenario's raw mapping.

Keys name fields (``rules.decision``), list items by position or by name
(``members.Laos.policy``, ``threats.terrorism.rate``); values are YAML. Applied before
validation, so an override is checked like any field written in the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from sim.config.schema import FieldError, check_known


def override_text(key: str, value: Any) -> str:
    """A ``key=value`` override carrying a Python value as YAML (mapping order kept: it
    matters, e.g. for ties in ``policy_mix``)."""
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=1_000_000)
    text = text.strip().removesuffix("...").strip()
    return f"{key}={text}"


def apply_overrides(raw: Mapping[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """Apply ``key=value`` overrides to a raw scenario mapping (a deep copy is returned).

    List items are addressed by index or, for lists of named entries such as ``members``,
    by name. A ``null`` value removes the key, so the default (or the rule preset) applies.
    A policy written as a bare name becomes ``{name: ...}`` when a key below it is set, so
    ``members.Laos.policy.params.effort=0.2`` works on ``policy: reciprocal``.
    """
    import copy

    out = copy.deepcopy(dict(raw))
    for item in overrides:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise FieldError(("--set",), f"expected key=value, got {item!r}")
        try:
            value = yaml.safe_load(text) if text.strip() else None
        except yaml.YAMLError:
            value = text
        parts = key.split(".")
        node: Any = out
        for depth, part in enumerate(parts[:-1]):
            node = _descend(node, part, parts[: depth + 1], parts[depth + 1])
        _assign(node, parts[-1], value, parts)
    return out


def _descend(node: Any, part: str, path: list[str], next_part: str) -> Any:
    if isinstance(node, list):
        index = _index(node, part, path)
        if isinstance(node[index], str):
            node[index] = {"name": node[index]}
        return node[index]
    if not isinstance(node, dict):
        raise FieldError(tuple(path), "cannot set a key below a plain value")
    child = node.get(part)
    if child is None:
        child = [] if next_part.isdigit() else {}
        node[part] = child
    elif isinstance(child, str):
        child = node[part] = {"preset" if part == "rules" else "name": child}
    return child


def _assign(node: Any, part: str, value: Any, path: list[str]) -> None:
    if isinstance(node, list):
        node[_index(node, part, path)] = value
    elif isinstance(node, dict):
        if value is None:
            node.pop(part, None)  # null: back to the default (or the rule preset's value)
        else:
            node[part] = value
    else:
        raise FieldError(tuple(path), "cannot set a key below a plain value")


def _index(node: list[Any], part: str, path: list[str]) -> int:
    if part.lstrip("-").isdigit():
        index = int(part)
        if not -len(node) <= index < len(node):
            raise FieldError(tuple(path), f"index {index} out of range (length {len(node)})")
        return index
    names = [e.get("name") for e in node if isinstance(e, Mapping)]
    if part in names:
        return names.index(part)
    check_known(part, [n for n in names if isinstance(n, str)], tuple(path), "entry")
    raise AssertionError  # unreachable: check_known raised
