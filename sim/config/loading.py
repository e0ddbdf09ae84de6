"""Scenario files -> validated :class:`~sim.config.schema.Scenario`.

Loading runs in this order: read the YAML (checked for size, encoding and depth first);
merge the data files it names (``data:`` section, CSV paths relative to the scenario file)
into ``members``, ``borders`` and members' ``exposure``; apply ``--set key=value``
overrides; fill the rule preset; validate everything. Every failure raises
:class:`~sim.config.schema.ConfigError` naming the file and the field, one problem per line.
"""

from __future__ import annotations

import csv
import difflib
import io
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sim import shipped
from sim.config.overrides import apply_overrides
from sim.config.schema import ConfigError, FieldError, Scenario, check_known, field_names


def load_scenario(path: str | Path, overrides: Iterable[str] = ()) -> Scenario:
    """Read, merge, override and validate a scenario file.

    Args:
        path: the YAML file.
        overrides: ``key=value`` strings; keys are dotted paths (``rules.decision``,
            ``threats.aggression.rate``, ``members.Laos.policy`` or ``members.3.policy``),
            values are parsed as YAML.

    Raises:
        ConfigError: one line naming the file and the field.
    """
    path = shipped.locate(path)
    raw = read_yaml(path)
    add_import_paths(path.parent)
    return from_mapping(raw, overrides, path.parent, str(path))


#: Input files larger than this are refused before they are read (bytes): the largest
#: shipped file is a few kB; a generated scenario of a thousand members is under 1 MB.
MAX_FILE_BYTES = 10_000_000
#: YAML nested deeper than this is refused before it is built (the deepest shipped file
#: nests 5 levels).
MAX_DEPTH = 50


def read_text(path: Path) -> str:
    """An input file's text: UTF-8, with or without a byte-order mark, at most
    :data:`MAX_FILE_BYTES` (ConfigError naming the file otherwise)."""
    label = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ConfigError(
                f"{label}: {size / 1e6:.1f} MB is larger than the {MAX_FILE_BYTES // 1_000_000} "
                "MB an input file may be"
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{label}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{label}: a folder, not a file") from None
    except OSError as err:
        raise ConfigError(f"{label}: cannot read ({err.strerror})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        byte = data[err.start : err.start + 1]
        raise ConfigError(
            f"{label}: not a UTF-8 text file (byte {err.start}: {byte!r}); save it as UTF-8"
        ) from None
    if "\x00" in text:
        raise ConfigError(f"{label}: not a text file (it holds NUL bytes)")
    return text


def parse_yaml(text: str, label: str) -> Any:
    """YAML text as Python data; nesting deeper than :data:`MAX_DEPTH` is refused before
    anything is built (ConfigError naming the file and line)."""
    try:
        depth = 0
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    line = event.start_mark.line + 1
                    raise ConfigError(f"{label}:{line}: nested deeper than {MAX_DEPTH} levels")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ConfigError(f"{label}{where}: malformed YAML: {problem}") from None


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML file's top-level mapping (raises ConfigError naming the file and line)."""
    label = str(path)
    raw = parse_yaml(read_text(path), label)
    if not isinstance(raw, dict):
        raise ConfigError(f"{label}: expected a mapping of settings at the top level")
    return raw


def from_mapping(
    raw: Mapping[str, Any],
    overrides: Iterable[str] = (),
    folder: Path | None = None,
    label: str = "<scenario>",
) -> Scenario:
    """Override, merge the data files (relative to ``folder``, default the working
    directory) and validate a scenario mapping. Overrides of ``data`` come first, so that
    they choose the files merged; the others apply to the merged scenario.
    """
    folder = folder if folder is not None else Path.cwd()
    overrides = list(overrides)
    early = [o for o in overrides if o.strip().split("=", 1)[0].split(".")[0] == "data"]
    try:
        raw = apply_overrides(raw, early)
        raw = merge_data_files(raw, folder)
        raw = apply_overrides(raw, [o for o in overrides if o not in early])
    except FieldError as err:
        raise ConfigError(f"{label}: {format_loc(err.loc)}: {err.msg}") from None
    return validate(raw, label)


def validate(raw: Mapping[str, Any], label: str = "<scenario>") -> Scenario:
    """Validate an already merged scenario mapping (raises :class:`ConfigError`)."""
    try:
        return Scenario.model_validate(raw)
    except FieldError as err:
        raise ConfigError(f"{label}: {format_loc(err.loc, raw)}: {err.msg}") from None
    except ValidationError as err:
        raise ConfigError(describe_error(err, raw, label)) from None


def describe_error(err: ValidationError, raw: Mapping[str, Any], label: str) -> str:
    """Every validation error, one ``label: location: message`` line each."""
    lines = [f"{label}: {line}" for line in _error_lines(err, raw)]
    return "\n".join(dict.fromkeys(lines))


def _error_lines(err: ValidationError, raw: Mapping[str, Any]) -> list[str]:
    out = []
    for error in err.errors(include_url=False):
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
        kind = error["type"]
        if kind == "extra_forbidden":
            field = loc[-1]
            others = [name for name in _FIELD_NAMES if name != field]
            close = difflib.get_close_matches(str(field), others, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            where = format_loc(loc[:-1], raw)
            msg = f"unknown field {field!r}{hint}"
            out.append(f"{where}: {msg}" if where else msg)
            continue
        msg = error["msg"].removeprefix("Value error, ")
        if kind == "missing":
            msg = "required field is missing"
        elif "input" in error and kind not in ("value_error", "assertion_error"):
            shown = repr(error["input"])
            msg = f"{msg} (got {shown[:60]})"
        where = format_loc(loc, raw)
        out.append(f"{where}: {msg}" if where else msg)
    return out


def format_loc(loc: Iterable[str | int], raw: Mapping[str, Any] | None = None) -> str:
    """``('members', 3, 'policy')`` -> ``members[3] (Laos).policy``."""
    out = ""
    node: Any = raw
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            name = node.get("name") if isinstance(node, Mapping) else None
            if isinstance(name, str) and name.strip() and name.isprintable():
                out += f" ({name})"
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, Mapping) else None
    return out


def add_import_paths(folder: Path) -> None:
    """Let scenarios name policies in ``module:Class`` form from their own folder or cwd."""
    for entry in (str(folder.resolve()), str(Path.cwd())):
        if entry not in sys.path:
            sys.path.append(entry)


# --------------------------------------------------------------------------- data files

_MEMBER_NUMBERS = ("gdp_usd_bn", "defence_pct_gdp", "intel_capacity", "resilience", "readiness")
_MEMBER_NUMBERS += ("capital_lat", "capital_lon")  # where figures place the member


def merge_data_files(raw: Mapping[str, Any], folder: Path) -> dict[str, Any]:
    """Merge the data files named under ``data:`` into members, borders, exposure and
    adversaries.

    ``data.members``: one row per member (columns ``name``, ``gdp_usd_bn``,
    ``defence_pct_gdp``, optional capacities and ``capital_lat``/``capital_lon``; any other
    column is kept as provenance in ``sources``). ``data.borders``: ``a,b,kind,source``.
    ``data.exposure``: ``name,threat,multiplier``. ``data.adversaries``: a YAML file with a
    list of adversaries (put before those written in the scenario). Members listed in the
    YAML itself override the file's fields.
    """
    raw = dict(raw)
    data = raw.pop("data", None)
    if data is None:
        return raw
    if not isinstance(data, Mapping):
        raise FieldError(
            ("data",), "expected a mapping with members/borders/exposure/adversaries files"
        )
    unknown = set(data) - {"members", "borders", "exposure", "adversaries"}
    if unknown:
        raise FieldError(("data", sorted(unknown)[0]), "unknown data file kind")
    members: list[dict[str, Any]] = []
    if "members" in data:
        for row in _read_csv(folder, data["members"], ("data", "members"), ("name",)):
            member: dict[str, Any] = {"name": row.pop("name"), "sources": {}}
            for key, value in row.items():
                if key in _MEMBER_NUMBERS:
                    if value != "":
                        member[key] = value
                elif value != "":
                    member["sources"][key] = value
            members.append(member)
    # Members written in the YAML extend the file's rows (same name) or add new members.
    inline = raw.get("members") or []
    if members and isinstance(inline, list):
        by_name = {m["name"]: m for m in members}
        for i, entry in enumerate(inline):
            if isinstance(entry, Mapping) and entry.get("name") in by_name:
                target = by_name[entry["name"]]
                for key, value in entry.items():
                    if key == "exposure" and isinstance(value, Mapping):
                        target.setdefault("exposure", {}).update(value)
                    else:
                        target[key] = value
            elif isinstance(entry, Mapping) and "gdp_usd_bn" not in entry:
                check_known(str(entry.get("name")), by_name, ("members", i, "name"), "member")
            else:
                members.append(dict(entry))
        raw["members"] = members
    elif members:
        raw["members"] = members
    if "exposure" in data:
        listed = raw.get("members") if isinstance(raw.get("members"), list) else []
        by_name = {m.get("name"): m for m in listed if isinstance(m, dict)}
        rows = _read_csv(
            folder, data["exposure"], ("data", "exposure"), ("name", "threat", "multiplier")
        )
        for i, row in enumerate(rows):
            if row["name"] not in by_name:
                where = ("data", "exposure", f"row {i + 2}", "name")
                check_known(
                    row["name"], [n for n in by_name if isinstance(n, str)], where, "member"
                )
            member = by_name[row["name"]]
            if member.get("exposure") is None:
                member["exposure"] = {}
            if isinstance(member["exposure"], dict):  # else validation reports the YAML's value
                member["exposure"].setdefault(row["threat"], row["multiplier"])  # YAML wins
    if "adversaries" in data:
        listed = _read_yaml_list(folder, data["adversaries"], ("data", "adversaries"))
        raw["adversaries"] = listed + list(raw.get("adversaries") or [])
    if "borders" in data:
        rows = _read_csv(folder, data["borders"], ("data", "borders"), ("a", "b", "kind"))
        borders = [
            {"between": [r["a"], r["b"]], "kind": r["kind"], "source": r.get("source", "")}
            for r in rows
        ]
        raw["borders"] = borders + list(raw.get("borders") or [])
    return raw


def _read_yaml_list(folder: Path, name: Any, loc: tuple[str, ...]) -> list[Any]:
    """A YAML data file holding a list (e.g. of adversaries), relative to ``folder``."""
    if not isinstance(name, str):
        raise FieldError(loc, "expected a YAML file path")
    path = folder / name
    try:
        data = parse_yaml(read_text(path), str(path))
    except ConfigError as err:
        raise FieldError(loc, str(err)) from None
    if not isinstance(data, list):
        raise FieldError(loc, f"{path.name}: expected a list")
    return data


def _read_csv(
    folder: Path, name: Any, loc: tuple[str, ...], required: tuple[str, ...]
) -> list[dict[str, str]]:
    if not isinstance(name, str):
        raise FieldError(loc, "expected a CSV file path")
    path = folder / name
    try:
        reader = csv.reader(io.StringIO(read_text(path), newline=""))
        lines = list(reader)
    except ConfigError as err:
        raise FieldError(loc, str(err)) from None
    except csv.Error as err:
        raise FieldError(loc, f"cannot read {str(path)!r}: {err}") from None
    if not lines:
        raise FieldError(loc, f"{path.name}: empty (expected a header row)")
    header = [h.strip() for h in lines[0]]
    rows = []
    for number, cells in enumerate(lines[1:], start=2):
        if not any(c.strip() for c in cells):
            continue  # a blank line
        if len(cells) != len(header):
            raise FieldError(
                loc, f"{path.name} row {number}: {len(cells)} cells, the header has {len(header)}"
            )
        rows.append({k: v.strip() for k, v in zip(header, cells, strict=True)})
    for i, row in enumerate(rows):
        for column in required:
            if not row.get(column):
                raise FieldError(loc, f"{path.name} row {i + 2}: column {column!r} is empty")
    return rows


_FIELD_NAMES = field_names()
