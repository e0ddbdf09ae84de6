"""Users' own code, named in scenario and experiment files as ``module:Name``.

Policies (``module:Class``), outcomes and stop conditions (``module:function``) are all
imported the same way, from the folder of the file that names them or the Python path; a
batch's fingerprint covers their source, so resuming after the code changed is refused.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path
from typing import Any

#: How users' code is named: ``module:Name`` (the module may be dotted).
NAMED = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")


def load(spec: str, kind: str = "function") -> Any:
    """The object ``module:Name`` names (ValueError saying why not, in one line).

    ``kind`` is what is expected (``function`` or ``Class``), for the messages.
    """
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ValueError(f"{spec!r}: expected 'module:{kind}'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ValueError(f"{spec!r}: cannot import module {module_name!r} ({err})") from None
    except Exception as err:  # the user's module raised while importing
        raise ValueError(f"{spec!r}: importing {module_name!r} failed: {err!r}") from None
    found = getattr(module, attr, None)
    if found is None:
        noun = "function " if kind == "function" else ""
        raise ValueError(f"{spec!r}: module {module_name!r} has no {noun}{attr!r}")
    return found


def sources(data: Any) -> dict[str, str]:
    """The source of every user's module that nested ``data`` names, by module (``""``
    where it cannot be read; the package's own modules by name only)."""
    names: set[str] = set()
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str) and NAMED.fullmatch(value.strip()):
            names.add(value.strip().partition(":")[0])
        elif isinstance(value, dict):
            stack += list(value.values())
        elif isinstance(value, list | tuple):
            stack += list(value)
    out = {}
    for name in sorted(names):
        try:
            spec = importlib.util.find_spec(name) if not name.startswith("sim.") else None
            origin = getattr(spec, "origin", None)
            out[name] = Path(origin).read_text(encoding="utf-8") if origin else ""
        except (ImportError, ValueError, OSError, UnicodeDecodeError):
            out[name] = ""
    return out
