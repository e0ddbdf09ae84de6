"""Users' own outcomes and stop conditions, named in a scenario or experiment file.

As BehaviorSpace users add reporters, a user adds an outcome as a function in a module of
their own, named ``module:function`` (the module next to the scenario or experiment file, or
on the Python path). It takes a run's tables (a :class:`sim.results.RunResult`: ``steps``,
``members``, ``threats``, ``pairs``, ``policy_mix``, ``config``) and returns a number, or a
mapping of names to numbers (columns ``NAME_KEY``). The numbers become columns of the runs
table beside the built-in metrics, and flow into statistics, figures and reports.

A stop condition ends a run early: an expression on the per-step table's columns
(``threats_active > 40 and month >= 24``: names, numbers, comparisons, ``and``/``or``/
``not``, arithmetic), or ``module:function`` taking the model and returning true to stop.
It is checked at the end of every step; the month it stopped is the ``stopped_month``
metric.

User code that fails is reported with the function's name and the run's seed: in a batch
the run is recorded as failed with its traceback, and the others go on.
"""

from __future__ import annotations

import ast
import math
import numbers
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sim import usercode

#: An outcome's name: a column of the runs table.
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class UserCodeError(Exception):
    """A user's outcome or stop condition failed in a run (the message names it and the
    run's seed; the user's exception is chained, with its traceback)."""


def load_function(spec: str) -> Callable[..., Any]:
    """The function ``module:function`` names (ValueError saying why not)."""
    function = usercode.load(spec, "function")
    if not callable(function):
        raise ValueError(f"{spec!r}: {spec.partition(':')[2]!r} is not a function")
    return function


def compute(
    specs: Mapping[str, str], result: Any, seed: int | None, reserved: Iterable[str] = ()
) -> dict[str, float]:
    """Every user outcome of one run, by column name (none may take a column of
    ``reserved``, the built-in metrics, or of another outcome). NaN means undefined.

    Raises:
        UserCodeError: a function raised (or exited), or returned something other than a
            number or a mapping of names to numbers.
    """
    out: dict[str, float] = {}
    reserved = set(reserved)
    for name, spec in specs.items():
        try:
            value = load_function(spec)(result)
        except BaseException as err:  # noqa: BLE001  (sys.exit in user code is a failure too)
            if isinstance(err, KeyboardInterrupt):
                raise
            raise UserCodeError(
                f"outcome {name!r} ({spec}) failed in the run with seed {seed}: "
                f"{type(err).__name__}: {err}"
            ) from err
        if isinstance(value, Mapping):
            items = {f"{name}_{key}": v for key, v in value.items()}
        else:
            items = {name: value}
        for column, v in items.items():
            if isinstance(v, bool) or not isinstance(v, numbers.Real):
                raise UserCodeError(
                    f"outcome {name!r} ({spec}) returned {type(v).__name__} {v!r} for "
                    f"{column!r} in the run with seed {seed}: expected a number"
                )
            if math.isinf(v):
                raise UserCodeError(
                    f"outcome {name!r} ({spec}) returned {v} for {column!r} in the run with "
                    f"seed {seed}: expected a finite number (or NaN where it is undefined)"
                )
            if column in out or column in reserved:
                owner = "a built-in metric" if column in reserved else "another outcome"
                raise UserCodeError(
                    f"outcome {name!r} ({spec}) returned {column!r} in the run with seed "
                    f"{seed}, a column {owner} already has: rename it"
                )
            out[column] = float(v)
    return out


def labels(columns: Iterable[str], specs: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """Each own outcome column's (description, unit) for figures and reports, from the
    specs that name them (``name -> {function, description, unit}`` as a scenario dumps
    them); a column ``NAME_KEY`` of a mapping outcome adds ``(KEY)`` to its description."""
    out = {}
    for column in columns:
        name = next((n for n in specs if column == n or column.startswith(f"{n}_")), None)
        spec = specs.get(name) if name is not None else None
        spec = spec if isinstance(spec, Mapping) else {}
        what = spec.get("description") or column.replace("_", " ")
        if name is not None and column != name:
            what += f" ({column.removeprefix(name + '_')})"
        out[column] = (what, spec.get("unit", ""))
    return out


# ---------------------------------------------------------------------- stop conditions

_OPERATORS: dict[type, Callable[..., Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.USub: operator.neg, ast.UAdd: operator.pos,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Not: operator.not_,
}  # fmt: skip


class StopCondition:
    """When a run ends early: an expression on the step's columns, or a user's function.

    Called with the model and the step's row (column -> value) at the end of each step;
    true ends the run.
    """

    def __init__(self, text: str, columns: Iterable[str]):
        self.text = text.strip()
        self._function: Callable[..., Any] | None = None
        self._tree: ast.expr | None = None
        if usercode.NAMED.fullmatch(self.text):
            self._function = load_function(self.text)
            return
        try:
            self._tree = ast.parse(self.text, mode="eval").body
        except SyntaxError as err:
            raise ValueError(f"{self.text!r}: not an expression ({err.msg})") from None
        known = set(columns)
        for node in ast.walk(self._tree):
            if isinstance(node, ast.Name) and node.id not in known:
                raise ValueError(
                    f"{self.text!r}: unknown column {node.id!r} (the per-step table's columns: "
                    f"{', '.join(sorted(known))})"
                )
            allowed = (ast.Name, ast.Constant, ast.Compare, ast.BoolOp, ast.BinOp, ast.UnaryOp,
                       ast.Load, ast.And, ast.Or, *_OPERATORS)  # fmt: skip
            if not isinstance(node, allowed):
                raise ValueError(
                    f"{self.text!r}: {type(node).__name__} is not allowed (use column names, "
                    "numbers, comparisons, and/or/not, + - * /)"
                )
            if isinstance(node, ast.Constant) and not isinstance(node.value, int | float):
                raise ValueError(f"{self.text!r}: only numbers may be written as values")

    def __call__(self, model: Any, row: Mapping[str, Any]) -> bool:
        """Whether the run stops now (UserCodeError if the user's function fails)."""
        if self._function is None:
            return bool(_evaluate(self._tree, row))
        try:
            return bool(self._function(model))
        except BaseException as err:  # noqa: BLE001
            if isinstance(err, KeyboardInterrupt):
                raise
            raise UserCodeError(
                f"stop condition {self.text} failed in the run with seed "
                f"{getattr(model, 'seed', None)}: {type(err).__name__}: {err}"
            ) from err


def _evaluate(node: ast.expr, row: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        value = row[node.id]
        return math.nan if value is None else value
    if isinstance(node, ast.UnaryOp):
        return _OPERATORS[type(node.op)](_evaluate(node.operand, row))
    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left, row), _evaluate(node.right, row)
        if isinstance(node.op, ast.Div) and right == 0:
            return math.nan
        return _OPERATORS[type(node.op)](left, right)
    if isinstance(node, ast.BoolOp):
        values = (_evaluate(v, row) for v in node.values)
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.Compare):
        left = _evaluate(node.left, row)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _evaluate(comparator, row)
            if not _OPERATORS[type(op)](left, right):
                return False
            left = right
        return True
    raise ValueError(f"cannot evaluate {ast.dump(node)}")  # excluded by the constructor
