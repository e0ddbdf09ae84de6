"""Scenario discovery: the regions of the input space where an outcome of interest occurs.

Sensitivity analysis says which inputs matter on average; scenario discovery answers a
policy question instead: *under which conditions* does something happen, e.g. does
non-intervention cost less than collective commitment? Each case (a run, or a pair of runs
at the same point and seed) is labelled of interest or not by an expression, and PRIM
(Friedman and Fisher 1999, as used by Bryant and Lempert 2010) peels the input space down
to boxes where cases of interest are dense. PRIM is the EMA Workbench's
(``pip install 'cdsim[discovery]'``).

The outcome expression is a pandas condition over the runs table's columns; a dotted input
can be written as is (``threats.terrorism.rate > 0.5``) or backquoted. ``metric[variant]``
is that metric in the named variant's run at the same point and replication, so
``total_cost_pct_gdp_per_year[non_intervention] < total_cost_pct_gdp_per_year[
collective_commitment]`` makes the cases pairs of runs with common random numbers.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib.util
import logging
import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.resultset import ResultSet

INSTALL_HINT = "pip install 'cdsim[discovery]'"
#: Columns of the runs table that are bookkeeping, not something to condition on.
_HIDDEN = {"status", "error", "traceback", "duration_s", "run_id", "setting"}
#: Words of pandas expressions that are not column names.
_KEYWORDS = {"and", "or", "not", "in", "True", "False", "None"}
_TOKEN = re.compile(
    r"""(?P<string>'[^']*'|"[^"]*")
    |(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
    |`(?P<quoted>[^`]+)`
    |(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)""",
    re.X,
)
_VARIANT = re.compile(r"""\s*\[\s*(?:'(?P<q1>[^']*)'|"(?P<q2>[^"]*)"|(?P<bare>[^\]'"]*?))\s*\]""")


class DiscoveryError(InputError):
    """Scenario discovery cannot run as asked; the message says why, in one line."""


@dataclass
class Cases:
    """What PRIM is given: the inputs of each case and whether it is of interest."""

    x: pd.DataFrame
    y: np.ndarray
    unit: str  # what one case is, for people: "runs" or "pairs of runs ..."
    notes: list[str] = field(default_factory=list)


@dataclass
class Box:
    """One box PRIM found, at the step of its peeling trajectory chosen by the threshold.

    ``limits`` has one row per restricted input: ``dimension``, ``low`` and ``high`` (for a
    categorical input, ``low`` lists the values kept and ``high`` is empty), the full range
    ``full_low``/``full_high``, and ``qp``, the quasi-p value of the restriction (Bryant and
    Lempert 2010; above about 0.05 the restriction may be noise).
    """

    number: int
    step: int
    coverage: float
    density: float
    mass: float
    n: int
    k: int
    meets_threshold: bool
    limits: pd.DataFrame


@dataclass
class Discovery:
    """The outcome of :func:`discover`: the cases, the boxes and their trajectories."""

    outcome: str
    unit: str
    cases: int
    of_interest: int
    inputs: list[str]
    threshold: float
    boxes: list[Box]
    trajectory: pd.DataFrame  # box, step, coverage, density, mass, res_dim, n, k, chosen
    notes: list[str] = field(default_factory=list)

    @property
    def share(self) -> float:
        """Share of the cases that are of interest (the density of the whole space)."""
        return self.of_interest / self.cases

    def boxes_table(self) -> pd.DataFrame:
        """The boxes as one long table (a row per box and restricted input), for CSV."""
        rows = []
        for box in self.boxes:
            stats = {
                "box": box.number, "coverage": box.coverage, "density": box.density,
                "mass": box.mass, "n": box.n, "k": box.k, "step": box.step,
                "meets_threshold": box.meets_threshold,
            }  # fmt: skip
            limits = box.limits.to_dict("records") or [{"dimension": ""}]
            rows += [{**stats, **limit} for limit in limits]
        columns = ["box", "coverage", "density", "mass", "n", "k", "step", "meets_threshold",
                   "dimension", "low", "high", "full_low", "full_high", "qp"]  # fmt: skip
        return pd.DataFrame(rows).reindex(columns=columns)


def require() -> None:
    """Raise a one-line error naming the extra to install if the EMA Workbench is missing."""
    if importlib.util.find_spec("ema_workbench") is None:
        raise DiscoveryError(f"scenario discovery needs the EMA Workbench: {INSTALL_HINT}")


def cases(rs: ResultSet, outcome: str, inputs: Sequence[str] | None = None) -> Cases:
    """Label each case of ``rs`` by the boolean expression ``outcome``.

    Args:
        rs: the results.
        outcome: a pandas condition over the runs table's columns; ``metric[variant]`` makes
            the cases (point, replication) pairs of runs (see the module's docstring).
        inputs: the inputs PRIM may restrict (default: every varied parameter); ``variant``
            is allowed when the cases are runs.

    Raises:
        DiscoveryError: an unknown name or variant, an expression that is not a condition,
            no varied inputs, or an outcome true in all cases or in none.
    """
    if "@" in outcome:
        raise DiscoveryError(f"--outcome {outcome!r}: '@' names are not supported")
    expr, refs, bare = _translate(outcome, rs)
    paired = bool(refs)
    inputs = _check_inputs(rs, inputs, paired)
    notes: list[str] = []
    if paired:
        frame, unit = _pairs(rs, refs, [*inputs, *bare], notes)
    else:
        frame, unit = rs.runs.copy(), "runs"
    for name, safe in bare.items():
        frame[safe] = frame[name]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = frame.eval(expr, engine="python")
    except Exception as err:  # noqa: BLE001  (pandas raises many kinds for a bad expression)
        text = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise DiscoveryError(f"--outcome {outcome!r}: cannot evaluate it ({text})") from None
    if not isinstance(result, pd.Series) or len(result) != len(frame):
        raise DiscoveryError(f"--outcome {outcome!r}: does not depend on the cases")
    if not pd.api.types.is_bool_dtype(result):
        raise DiscoveryError(
            f"--outcome {outcome!r}: must be a condition, true or false per case (e.g. "
            "'damage_pct_gdp_per_year > 1', or --above/--below a value)"
        )
    referenced = [*refs.values(), *bare.values()]
    missing = (frame[referenced].isna().any(axis=1) if referenced
               else pd.Series(False, index=frame.index))  # fmt: skip
    if missing.any():
        notes.append(
            f"{int(missing.sum())} of {len(frame)} cases lack a value the outcome names "
            "(NaN): they count as not of interest"
        )
    x, kept = _input_frame(frame, inputs, notes)
    interest = result.to_numpy(dtype=bool, na_value=False) & ~missing.to_numpy(dtype=bool)
    y = interest[kept]
    k = int(y.sum())
    if k == 0 or k == len(y):
        which = "none" if k == 0 else "all"
        raise DiscoveryError(
            f"--outcome {outcome!r}: true in {which} of the {len(y)} cases: nothing to discover"
        )
    return Cases(x=x, y=y, unit=unit, notes=notes)


def prim(
    x: pd.DataFrame,
    y: np.ndarray,
    threshold: float = 0.8,
    peel_alpha: float = 0.05,
    mass_min: float = 0.05,
    boxes: int = 1,
) -> tuple[list[Box], pd.DataFrame, list[str]]:
    """PRIM boxes for the cases of interest ``y`` over the inputs ``x``.

    On each box's peeling trajectory, the step chosen is the one of highest coverage (then
    density) among those of density at least ``threshold``. The first box is kept even if
    no step reaches the threshold (its densest step, flagged), and then no more are sought;
    later boxes are kept only if they reach it.

    Returns:
        The boxes, the trajectory of every box (``box``, ``step``, ``coverage``,
        ``density``, ``mass``, ``res_dim``, ``n``, ``k``, ``chosen``), and notes.
    """
    _check_options(threshold, peel_alpha, mass_min, boxes)
    prim_class = _prim_class()
    found: list[Box] = []
    trajectories = []
    notes: list[str] = []
    with _quiet():
        algorithm = prim_class(x, y.astype(int), peel_alpha=peel_alpha, mass_min=mass_min)
        for number in range(1, boxes + 1):
            try:
                box = algorithm.find_box()
            except Exception as err:  # the workbench's own failure: one line, not its trace
                raise DiscoveryError(
                    f"PRIM failed on box {number}: {type(err).__name__}: {err}"
                ) from None
            if box is None:
                notes.append(f"no cases left for box {number}")
                break
            steps = box.peeling_trajectory.reset_index(drop=True)
            meets = steps[steps["density"] >= threshold - 1e-12]
            if meets.empty and number > 1:
                notes.append(f"no further box reaches density {threshold:g}: stopped at "
                             f"{number - 1}")  # fmt: skip
                break
            ranked = meets if not meets.empty else steps
            order = ["coverage", "density"] if not meets.empty else ["density", "coverage"]
            step = int(ranked.sort_values(order, ascending=False, kind="stable").index[0])
            if meets.empty:
                notes.append(
                    f"no box reaches density {threshold:g}; box 1 is the densest PRIM found "
                    f"({steps.loc[step, 'density']:.2f}): lower --threshold or read it with care"
                )
            if step == 0:
                if number > 1:
                    notes.append(f"box {number} would restrict no input: stopped at {number - 1}")
                    break
                notes.append(
                    f"the outcome occurs in at least {threshold:g} of all cases: the whole "
                    "input space is the box"
                    if not meets.empty
                    else "PRIM found no box denser than the whole input space"
                )
            box.select(step)
            found.append(_box(number, step, box, algorithm, meets_threshold=not meets.empty))
            trajectories.append(steps.assign(box=number, step=steps.index, chosen=False))
            trajectories[-1].loc[step, "chosen"] = True
            if meets.empty or step == 0:
                break  # what is left after an impure or empty box is no clearer
    columns = ["box", "step", "coverage", "density", "mass", "res_dim", "n", "k", "chosen"]
    if not trajectories:
        return found, pd.DataFrame(columns=columns), notes
    trajectory = pd.concat(trajectories, ignore_index=True)[columns]
    trajectory = trajectory.astype({"res_dim": int, "n": int, "k": int, "chosen": bool})
    return found, trajectory, notes


def discover(
    rs: ResultSet,
    outcome: str,
    inputs: Sequence[str] | None = None,
    threshold: float = 0.8,
    peel_alpha: float = 0.05,
    mass_min: float = 0.05,
    boxes: int = 1,
) -> Discovery:
    """The boxes of ``rs``'s input space where ``outcome`` holds (see :func:`cases` and
    :func:`prim`)."""
    require()
    _check_options(threshold, peel_alpha, mass_min, boxes)
    labelled = cases(rs, outcome, inputs)
    found, trajectory, notes = prim(
        labelled.x, labelled.y, threshold=threshold, peel_alpha=peel_alpha,
        mass_min=mass_min, boxes=boxes,
    )  # fmt: skip
    return Discovery(
        outcome=outcome,
        unit=labelled.unit,
        cases=len(labelled.y),
        of_interest=int(labelled.y.sum()),
        inputs=list(labelled.x.columns),
        threshold=threshold,
        boxes=found,
        trajectory=trajectory,
        notes=[*labelled.notes, *notes],
    )


def markdown(result: Discovery) -> str:
    """The cases and each box as Markdown: a table of its restricted inputs."""
    code = f"`` {result.outcome} ``" if "`" in result.outcome else f"`{result.outcome}`"
    lines = [
        f"Outcome: {code}",
        "",
        f"{result.cases} cases ({result.unit}); of interest: {result.of_interest} "
        f"({100 * result.share:.1f} %). Inputs: {', '.join(result.inputs)}.",
        "",
        "Coverage: share of all cases of interest inside the box. Density: share of the "
        "box's cases that are of interest. Mass: share of all cases inside the box.",
    ]
    for box in result.boxes:
        flag = "" if box.meets_threshold else f" (below the threshold {result.threshold:g})"
        lines += [
            "",
            f"## Box {box.number}: coverage {box.coverage:.2f}, density {box.density:.2f}"
            f"{flag}, mass {box.mass:.2f} ({box.n} cases, {box.k} of interest)",
            "",
        ]
        if box.limits.empty:
            lines.append("No input is restricted: the box is the whole input space.")
            continue
        table = pd.DataFrame({
            "input": box.limits["dimension"],
            "low": box.limits["low"].map(_fmt),
            "high": box.limits["high"].map(_fmt),
            "full range": [f"{_fmt(a)} to {_fmt(b)}" if b != "" else _fmt(a)
                           for a, b in zip(box.limits["full_low"], box.limits["full_high"],
                                           strict=True)],
            "quasi-p": box.limits["qp"].map(lambda p: f"{p:.2g}" if pd.notna(p) else ""),
        })  # fmt: skip
        lines.append(table.to_markdown(index=False, disable_numparse=True))
        free = [d for d in result.inputs if d not in set(box.limits["dimension"])]
        if free:
            lines += ["", f"Unrestricted: {', '.join(free)}."]
    return "\n".join(lines) + "\n"


def _translate(outcome: str, rs: ResultSet) -> tuple[str, dict[tuple[str, str], str], dict]:
    """``outcome`` with every name replaced by a safe identifier.

    Returns:
        The expression, ``(metric, variant) -> identifier`` for ``metric[variant]``
        references, and ``column -> identifier`` for bare names.
    """
    columns = [c for c in rs.runs.columns if c not in _HIDDEN]
    metrics = rs.metrics
    refs: dict[tuple[str, str], str] = {}
    bare: dict[str, str] = {}
    parts, pos, scan = [], 0, 0
    while (match := _TOKEN.search(outcome, scan)) is not None:
        scan = end = match.end()
        name = match.group("name") or match.group("quoted")
        if name is None:
            continue  # a string or a number
        ref = _VARIANT.match(outcome, end)
        follows = outcome[end:].lstrip()[:1]
        if ref is None and (follows == "(" or (match.group("name") and name in _KEYWORDS)):
            continue  # a function or a keyword
        parts.append(outcome[pos : match.start()])
        if ref is not None:
            variant = next(g for g in ref.group("q1", "q2", "bare") if g is not None)
            key = (_known(name, metrics, "metric", outcome), _variant(variant, rs, outcome))
            safe = refs.setdefault(key, f"_ref{len(refs)}")
            scan = end = ref.end()
        else:
            known = _known(name, columns, "name", outcome, rs)
            safe = bare.setdefault(known, f"_col{len(bare)}")
        parts.append(safe)
        pos = end
    parts.append(outcome[pos:])
    if refs:
        for name in bare:
            if name not in rs.inputs and name not in ("sample", "replication"):
                raise DiscoveryError(
                    f"--outcome {outcome!r}: {name!r} is ambiguous in a comparison of "
                    f"variants: write {name}[VARIANT] (variants: {', '.join(rs.variants)})"
                )
    return "".join(parts), refs, bare


def _known(
    name: str, known: Sequence[str], what: str, outcome: str, rs: ResultSet | None = None
) -> str:
    if name in known:
        return name
    hint = _hint(name, known)
    if rs is None:
        listing = f"metrics: {', '.join(known)}"
    else:
        listing = (f"inputs: {', '.join(rs.inputs) or 'none'}; metrics: {', '.join(rs.metrics)}; "
                   f"metric[VARIANT] with variants: {', '.join(rs.variants)}")  # fmt: skip
    raise DiscoveryError(f"--outcome {outcome!r}: unknown {what} {name!r}; {hint}({listing})")


def _hint(name: str, known: Sequence[str]) -> str:
    """``did you mean ...? `` for a misspelt or shortened name, else nothing."""
    close = [k for k in known if k.startswith(name)] or difflib.get_close_matches(name, known, n=1)
    return f"did you mean {close[0]!r}? " if close else ""


def _variant(name: str, rs: ResultSet, outcome: str) -> str:
    if name in rs.variants:
        return name
    raise DiscoveryError(
        f"--outcome {outcome!r}: unknown variant {name!r} (variants: {', '.join(rs.variants)})"
    )


def _check_inputs(rs: ResultSet, inputs: Sequence[str] | None, paired: bool) -> list[str]:
    if inputs is None:
        if not rs.inputs:
            raise DiscoveryError(
                "discovery needs varied inputs: a grid or sampled design (these results vary none)"
            )
        return list(rs.inputs)
    allowed = [*rs.inputs, *([] if paired else ["variant"])]
    for name in inputs:
        if name == "variant" and paired:
            raise DiscoveryError(
                "--inputs variant: an outcome comparing variants (metric[variant]) has one "
                "case per point and replication, so variant cannot be an input"
            )
        if name not in allowed:
            hint = _hint(name, allowed)
            raise DiscoveryError(
                f"--inputs: unknown input {name!r}; {hint}(inputs: {', '.join(allowed) or 'none'})"
            )
    if not inputs:
        raise DiscoveryError("discovery needs varied inputs: a grid or sampled design")
    return list(dict.fromkeys(inputs))


def _pairs(
    rs: ResultSet, refs: dict[tuple[str, str], str], carry: list[str], notes: list[str]
) -> tuple[pd.DataFrame, str]:
    """One row per (point, replication) with each referenced variant's metrics side by side."""
    if not rs.paired:
        raise DiscoveryError(
            "metric[variant] pairs runs by replication, but these folders ran different "
            "seeds: compare folders run with the same seeds"
        )
    point = ["sample"] if rs.sampled_keys and "sample" in rs.runs else list(rs.grid_keys)
    keys = [*point, "replication"]
    carry = [c for c in dict.fromkeys(carry) if c not in keys]
    variants = [v for v in rs.variants if any(v == ref[1] for ref in refs)]
    table = None
    runs = 0
    for variant in variants:
        part = rs.runs[rs.runs["variant"] == variant]
        runs += len(part)
        if part[keys].duplicated().any():
            raise DiscoveryError(
                f"variant {variant!r} has several runs at the same point and replication: "
                "metric[variant] cannot pair them"
            )
        names = {metric: safe for (metric, v), safe in refs.items() if v == variant}
        cols = [*keys, *(carry if table is None else []), *names]
        part = part[cols].rename(columns=names)
        table = part if table is None else table.merge(part, on=keys, how="inner")
    assert table is not None  # refs is not empty
    unmatched = runs - len(table) * len(variants)
    if unmatched:
        notes.append(
            f"{unmatched} runs have no partner in every variant named (failed runs?): left out"
        )
    unit = "runs of " + " and ".join(variants) + " paired by point and replication"
    if len(variants) == 1:
        unit = f"runs of {variants[0]}"
    return table.reset_index(drop=True), unit


def _input_frame(
    frame: pd.DataFrame, inputs: list[str], notes: list[str]
) -> tuple[pd.DataFrame, np.ndarray]:
    """The inputs as PRIM takes them (numbers, or text for categories), and which cases
    are kept: those with every input known."""
    x = pd.DataFrame(index=frame.index)
    for name in inputs:
        column = frame[name]
        if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
            column = column.map(lambda v: v if pd.isna(v) else str(v)).astype(object)
        else:  # integers too: PRIM pastes boxes back out to limits between them
            column = column.astype("float64")
        x[name] = column
    keep = x.notna().all(axis=1).to_numpy()
    if not keep.all():
        notes.append(f"{int((~keep).sum())} cases lack a value of an input: left out")
    x = x[keep].reset_index(drop=True)
    constant = [c for c in x.columns if x[c].nunique() < 2]
    if constant:
        notes.append(f"the same in every case, so left out: {', '.join(constant)}")
        x = x.drop(columns=constant)
    if x.shape[1] == 0:
        raise DiscoveryError("discovery needs varied inputs: every input is the same in all cases")
    return x, keep


def _check_options(threshold: float, peel_alpha: float, mass_min: float, boxes: int) -> None:
    if not 0 < threshold <= 1:
        raise DiscoveryError(f"--threshold: a density in (0, 1], got {threshold:g}")
    if not 0 < peel_alpha < 0.5:
        raise DiscoveryError(f"--peel-alpha: a share in (0, 0.5), got {peel_alpha:g}")
    if not 0 < mass_min < 1:
        raise DiscoveryError(f"--mass-min: a share in (0, 1), got {mass_min:g}")
    if boxes < 1:
        raise DiscoveryError(f"--boxes: at least 1, got {boxes}")


def _prim_class() -> Any:
    """EMA Workbench's Prim, imported quietly and without touching matplotlib's settings
    (its plotting helpers set a seaborn palette when imported)."""
    require()
    import matplotlib as mpl

    try:
        with mpl.rc_context(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from ema_workbench.analysis.prim import Prim
    except ImportError as err:
        raise DiscoveryError(
            f"the EMA Workbench cannot be imported ({err}): {INSTALL_HINT}"
        ) from None
    return Prim


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence the EMA Workbench's log and its pandas deprecation warnings while PRIM runs."""
    logger = logging.getLogger("EMA")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            yield
    finally:
        logger.setLevel(level)


def _box(number: int, step: int, box: Any, algorithm: Any, meets_threshold: bool) -> Box:
    """A :class:`Box` from EMA Workbench's selected box: its statistics and limits."""
    limits = box.box_lims[step]
    full = algorithm.box_init
    p_values = box.p_values[step]
    rows = []
    for dim in limits.columns:
        low, high = limits.loc[0, dim], limits.loc[1, dim]
        full_low, full_high = full.loc[0, dim], full.loc[1, dim]
        if isinstance(low, set):
            if low == full_low:
                continue
            low, high = _values(low), ""
            full_low, full_high = _values(full_low), ""
        elif low == full_low and high == full_high:
            continue
        qps = [p for p in p_values.get(dim, []) if p is not None and p >= 0]
        rows.append({
            "dimension": dim, "low": _number(low), "high": _number(high),
            "full_low": _number(full_low), "full_high": _number(full_high),
            "qp": max(qps) if qps else np.nan,
        })  # fmt: skip
    columns = ["dimension", "low", "high", "full_low", "full_high", "qp"]
    row = box.peeling_trajectory.iloc[step]
    return Box(
        number=number,
        step=step,
        coverage=float(row["coverage"]),
        density=float(row["density"]),
        mass=float(row["mass"]),
        n=int(row["n"]),
        k=int(row["k"]),
        meets_threshold=meets_threshold,
        limits=pd.DataFrame(rows, columns=columns),
    )


def _values(values: set) -> str:
    return "{" + ", ".join(sorted(map(str, values))) + "}"


def _number(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _fmt(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return f"{value:.4g}"
    return str(value)
