"""The scenarios, experiments and data files that ship with the package.

In a source checkout they are the top-level ``scenarios/`` and ``experiments/`` folders; an
installed package carries copies of them as package data (``sim/_shipped/``, found through
:mod:`importlib.resources`), so the defaults and the README's commands work from any folder.
A user's own files always resolve relative to the file that names them.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

#: The shipped folders, by the name users write them with.
FOLDERS = ("scenarios", "experiments")


def folder(name: str) -> Path:
    """The shipped folder ``scenarios`` or ``experiments``: the installed copy, else the
    source checkout's."""
    if name not in FOLDERS:
        raise ValueError(f"no shipped folder {name!r} (shipped: {', '.join(FOLDERS)})")
    installed = resources.files("sim") / "_shipped" / name
    if installed.is_dir():
        return Path(str(installed))
    return Path(__file__).resolve().parent.parent / name


def default_scenario() -> Path:
    """The scenario a run uses when none is named: ASEAN under the ASEAN Way."""
    return folder("scenarios") / "asean_way.yaml"


def locate(path: str | Path) -> Path:
    """``path`` as given if it exists (or is absolute); otherwise, for a relative path into
    a shipped folder (``scenarios/nato.yaml``, ``experiments/patterns/x.yaml``), the shipped
    file, so that the documented commands work from any folder."""
    return beside(Path(), path)


def beside(base: Path, name: str | Path) -> Path:
    """The file that a file in folder ``base`` names: relative to ``base`` if it is there;
    otherwise, for a name into a shipped folder (``scenarios/asean_way.yaml``), the shipped
    file, so an experiment of one's own can build on a shipped scenario from any folder."""
    here = base / name
    name = Path(name)
    if here.exists() or name.is_absolute() or not name.parts or name.parts[0] not in FOLDERS:
        return here
    shipped = folder(name.parts[0]).joinpath(*name.parts[1:])
    return shipped if shipped.exists() else here
