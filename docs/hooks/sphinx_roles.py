"""Griffe extension for the API pages: the reStructuredText in docstrings, as Markdown.

The package's docstrings cross-reference with Sphinx roles (``:class:`~sim.config.Scenario```,
``:func:`register```), which Markdown would print as they stand. This turns each into the
code span Sphinx would show (``Scenario``, ``register()``), resolved in the docstring's own
scope and wrapped in an optional cross-reference: a link where the target has an API page,
plain code where it has none (no warning either way). reST simple tables (columns under
``===  ===`` rules) become Markdown tables, and a literal block's ``::`` goes (the indented
block under it is already a Markdown code block).
"""

from __future__ import annotations

import html
import re
from typing import Any

import griffe

LITERAL = re.compile(r"^( *)::$|(\S)::$", re.MULTILINE)
RULE = re.compile(r"^ *=+( +=+)+ *$")
ROLE = re.compile(r":(?:py:)?(class|func|meth|attr|mod|data|exc|obj|const):`(~?)([^`<>]+?)`")


def _resolve(obj: griffe.Object, target: str) -> str | None:
    """The full path of ``target`` as seen from ``obj``, or None."""
    if target == "sim" or target.startswith("sim."):
        return target
    head, _, rest = target.partition(".")
    scope: griffe.Object | None = obj
    while scope is not None:
        try:
            path = scope.resolve(head)
        except (griffe.NameResolutionError, griffe.AliasResolutionError, KeyError):
            scope = scope.parent
            continue
        return f"{path}.{rest}" if rest else path
    return None


def _convert(text: str, obj: griffe.Object) -> str:
    def repl(match: re.Match[str]) -> str:
        kind, short, target = match.groups()
        label = target.rsplit(".", 1)[-1] if short else target
        if kind in ("func", "meth"):
            label += "()"
        code = f"<code>{html.escape(label)}</code>"
        path = _resolve(obj, target)
        if path is None:
            return code
        return f'<autoref identifier="{html.escape(path)}" optional>{code}</autoref>'

    return ROLE.sub(repl, text)


def _cells(line: str, starts: list[int]) -> list[str]:
    ends = [*starts[1:], None]
    return [line[a:b].strip() for a, b in zip(starts, ends, strict=True)]


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def _tables(text: str) -> str:
    """Turn reST simple tables (rule, header, rule, rows, rule) into Markdown tables."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        rules = (
            [j for j in range(i, len(lines)) if RULE.match(lines[j])][:3]
            if RULE.match(lines[i])
            else []
        )
        if len(rules) < 3 or not all(lines[j].strip() for j in range(i, rules[-1])):
            out.append(lines[i])
            i += 1
            continue
        indent = " " * (len(lines[i]) - len(lines[i].lstrip()))
        starts = [m.start() for m in re.finditer(r"=+", lines[i])]
        head_lines = [_cells(x.ljust(starts[-1]), starts) for x in lines[i + 1 : rules[1]]]
        header = [" ".join(col).strip() for col in zip(*head_lines, strict=True)]
        rows: list[list[str]] = []
        for line in lines[rules[1] + 1 : rules[2]]:
            cells = _cells(line.ljust(starts[-1]), starts)
            if rows and not cells[0]:  # a continuation line: its first column is blank
                # a new entry in a middle column starts a new line in the cell, else text
                # runs on
                sep = "<br>" if any(cells[1:-1]) else " "
                rows[-1] = [
                    sep.join(filter(None, pair)) for pair in zip(rows[-1], cells, strict=True)
                ]
            else:
                rows.append(cells)
        out += [indent + _row(header), indent + _row(["---"] * len(starts))]
        out += [indent + _row(r) for r in rows]
        i = rules[2] + 1
    return "\n".join(out)


class SphinxRoles(griffe.Extension):
    """Rewrite the docstrings once the whole package is loaded (every name can be resolved)."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        seen: set[int] = set()
        stack: list[griffe.Object] = [pkg]
        while stack:
            obj = stack.pop()
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if obj.docstring is not None:
                text = LITERAL.sub(
                    lambda m: m[1] if m[2] is None else f"{m[2]}:", obj.docstring.value
                )
                obj.docstring.value = _convert(_tables(text), obj)
            stack.extend(m for m in obj.members.values() if not m.is_alias)
