"""Policy registry: stable names for policy classes, and ``module:Class`` for a user's own.

Register a class once with :func:`register`; scenario files then name it. A user's own
policy needs no registration: ``my_module:MyPolicy`` imports it (the scenario's folder and
the working directory are on the import path while the scenario loads).
"""

from __future__ import annotations

import dataclasses
import difflib
import inspect
import sys
from collections.abc import Mapping
from typing import Any

from pydantic import TypeAdapter, ValidationError

from sim import usercode
from sim.errors import InputError
from sim.policies.base import (
    DECISION_METHODS,
    Policy,
    check_parameters,
    parameter_hints,
    parameter_ranges,
    range_text,
)

_REGISTRY: dict[str, type[Policy]] = {}


class PolicyError(InputError, ValueError):
    """A policy name, class or parameter is not usable; the message says why."""


def register[P: type[Policy]](cls: P) -> P:
    """Class decorator: make ``cls`` available by ``cls.name`` in scenario files."""
    if not (isinstance(cls, type) and issubclass(cls, Policy)):
        raise TypeError(f"{cls!r} is not a subclass of sim.policies.Policy")
    if not cls.name:
        raise TypeError(f"{cls.__qualname__} needs a class attribute 'name' to be registered")
    problem = interface_problem(cls)
    if problem:
        raise TypeError(f"{cls.__qualname__}: {problem}")
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise TypeError(f"policy name {cls.name!r} is already registered")
    _REGISTRY[cls.name] = cls
    return cls


def registered() -> dict[str, type[Policy]]:
    """All registered policies by name, sorted."""
    return dict(sorted(_REGISTRY.items()))


def resolve(name: str) -> type[Policy]:
    """The policy class a scenario names: a registered name or ``module:Class``."""
    if ":" in name:
        return _import(name)
    if name not in _REGISTRY:
        load_entry_points()  # an installed package's policy, named in a scenario
    try:
        return _REGISTRY[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(_REGISTRY), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        known = ", ".join(sorted(_REGISTRY))
        raise PolicyError(f"unknown policy {name!r}{hint} (known: {known})") from None


def make(name: str, params: Mapping[str, Any] | None = None) -> Policy:
    """An instance of the named policy with ``params``, every parameter checked."""
    cls = resolve(name)
    params = dict(params or {})
    fields = (
        {f.name: f for f in dataclasses.fields(cls) if f.init}
        if dataclasses.is_dataclass(cls)
        else {}
    )
    for key in params:
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            known = ", ".join(fields) or "none"
            raise PolicyError(
                f"policy {name!r} has no parameter {key!r}{hint} (parameters: {known})"
            )
    hints = parameter_hints(cls)
    ranges = parameter_ranges(cls)
    values = {}
    for key, value in params.items():
        try:
            values[key] = TypeAdapter(hints.get(key) or Any).validate_python(value)
        except ValidationError as err:
            wanted = (f"must be a number {range_text(*ranges[key])}" if key in ranges
                      else err.errors()[0]["msg"])  # fmt: skip
            raise PolicyError(
                f"policy {name!r}: parameter {key!r} {wanted}, got {value!r}"
            ) from None
        except Exception:  # an annotation pydantic cannot read: pass the value through unchecked
            values[key] = value
    try:
        policy = cls(**values)
        check_parameters(policy)  # also when the class's own __post_init__ skipped them
    except (TypeError, ValueError) as err:
        raise PolicyError(f"policy {name!r}: {err}") from None
    return policy


def _import(spec: str) -> type[Policy]:
    try:
        cls = usercode.load(spec, "Class")
    except ValueError as err:
        raise PolicyError(str(err)) from None
    if not (isinstance(cls, type) and issubclass(cls, Policy)):
        raise PolicyError(f"{spec!r} is not a policy (a subclass of sim.policies.Policy)")
    problem = interface_problem(cls)
    if problem:
        raise PolicyError(f"{spec!r}: {problem}")
    return cls


def interface_problem(cls: type[Policy]) -> str:
    """What is wrong with a policy class's decision methods ('' if nothing): each must take
    exactly one argument, the context."""
    for method in (m for methods in DECISION_METHODS.values() for m in methods):
        function = getattr(cls, method, None)
        if not callable(function):
            return f"{method} is not a method"
        try:
            params = list(inspect.signature(function).parameters.values())[1:]  # after self
        except (TypeError, ValueError):
            continue
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        required = [p for p in params if p.default is p.empty and p.kind is not p.VAR_POSITIONAL
                    and p.kind is not p.VAR_KEYWORD]  # fmt: skip
        if len(positional) < 1 or len(required) > 1:
            return f"{method}() must take exactly one argument, the context (ctx)"
    return ""


_LOADED: set[str] = set()


def load_entry_points() -> None:
    """Register policies published by installed packages (entry point group
    ``cdsim.policies``, each entry naming a Policy subclass). Each entry loads once.
    """
    from importlib.metadata import entry_points

    for entry in entry_points(group="cdsim.policies"):
        if entry.value in _LOADED:
            continue
        _LOADED.add(entry.value)
        try:
            cls = entry.load()
            if isinstance(cls, type) and issubclass(cls, Policy):
                problem = interface_problem(cls)
                if problem:
                    print(f"warning: policy plug-in {entry.name!r}: {problem}; left out",
                          file=sys.stderr)  # fmt: skip
                    continue
                if not cls.name:
                    cls.name = entry.name
                _REGISTRY.setdefault(cls.name, cls)
            else:
                print(f"warning: policy plug-in {entry.name!r} ({entry.value}) is not a "
                      "subclass of sim.policies.Policy; left out", file=sys.stderr)  # fmt: skip
        except Exception as err:  # a broken plug-in must not break the built-ins
            print(f"warning: policy plug-in {entry.name!r} failed to load: {err}", file=sys.stderr)
