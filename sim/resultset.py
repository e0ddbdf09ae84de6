"""Results folders read back as tables: one run's, a batch's or an experiment's.

Plots and reports read folders only through this module. Every table gets a ``setting``
column (the variant, plus the grid point when there is a grid), the unit that figures
compare and colour. A folder written by an earlier version of the same layout still loads:
tables it lacks (e.g. ``members/`` and ``pairs/`` before layout version 2) are None, and
:attr:`ResultSet.notes` says what is missing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from sim import statistics, store
from sim.errors import InputError
from sim.metrics import METRICS


class ResultsError(InputError):
    """A folder cannot be read as results; the message says why, in one line."""


@dataclass
class ResultSet:
    """The tables of a results folder (or of several, combined for comparison).

    Attributes:
        name: the experiment's (or scenario's) name.
        question: the experiment's question, if it states one.
        kind: ``run`` (one ``cdsim run``), ``batch`` or ``comparison``.
        variants: variant names in the experiment's order.
        baseline: the variant differences are measured against.
        grid_keys: the swept parameters (dotted paths), in grid order.
        runs: one row per successful run: ids, ``setting``, grid values, outcome metrics.
        series: one row per run and step (None if the folder has no per-step table).
        members: one row per run and member at the end (None in older folders).
        pairs: one row per run and pair of members (None in older folders).
        info: what the report shows about how the results were made (experiment,
            scenario, seeds, versions, times).
        notes: what a reader should know: failed or missing runs, missing tables.
        paired: whether runs with the same seed can be compared pairwise.
        policy_mix: one row per run, step and behaviour followed: how many members follow
            it (None in older folders).
        own_metrics: users' own outcomes (sim.outcomes) in these runs: column ->
            (description, unit).
        sampled_keys: the parameters of a sampled design (columns of ``runs``, with the
            point's number in ``sample``); settings are then the variants alone, and
            statistics pool the points.
    """

    name: str
    question: str
    kind: str
    variants: list[str]
    baseline: str
    grid_keys: list[str]
    runs: pd.DataFrame
    series: pd.DataFrame | None
    members: pd.DataFrame | None
    pairs: pd.DataFrame | None
    info: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    paired: bool = True
    policy_mix: pd.DataFrame | None = None
    sampled_keys: list[str] = field(default_factory=list)
    own_metrics: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def inputs(self) -> list[str]:
        """Every varied parameter: the grid's and the sampled design's."""
        return [*self.grid_keys, *self.sampled_keys]

    @property
    def settings(self) -> list[str]:
        """Setting labels in plan order (variant-major, then grid point)."""
        return list(dict.fromkeys(self.runs["setting"]))

    @property
    def key_metrics(self) -> list[str]:
        """The metrics the experiment names as its key outcomes (present in these runs)."""
        experiment = self.info.get("experiment") if isinstance(self.info, dict) else None
        named = experiment.get("key_metrics", []) if isinstance(experiment, dict) else []
        return [m for m in named if m in self.runs.columns]

    @cached_property
    def crossovers(self) -> pd.DataFrame:
        """Where the key metrics' differences from the baseline change sign across the grid
        (see :func:`statistics.crossovers`)."""
        return statistics.crossovers(self.differences, self.key_metrics, self.grid_keys)

    @property
    def metrics(self) -> list[str]:
        """The outcome metrics these runs have (an older folder may lack newer ones), then
        the users' own."""
        own = [m for m in self.own_metrics if m in self.runs.columns]
        return [m for m in METRICS if m in self.runs.columns] + own

    @property
    def setting_table(self) -> pd.DataFrame:
        """One row per setting: ``setting``, ``variant`` and the grid values."""
        cols = ["setting", "variant", *self.grid_keys]
        return self.runs[cols].drop_duplicates("setting").reset_index(drop=True)

    @cached_property
    def summary(self) -> pd.DataFrame:
        """Statistics of every outcome metric per setting (see :func:`statistics.describe`)."""
        by = ["setting", "variant", *self.grid_keys]
        return statistics.describe(self.runs, self.metrics, by=by)

    @cached_property
    def differences(self) -> pd.DataFrame:
        """Every setting against the baseline variant at the same grid point: paired by
        seed where the runs share seeds, unpaired (Welch) otherwise. Empty with one variant.
        """
        if len(self.variants) < 2:
            return pd.DataFrame()
        if self.paired:
            pair_on = ["sample", "seed"] if self.sampled_keys else "seed"
            table = statistics.paired_differences(
                self.runs, self.metrics, self.baseline, pair_on=pair_on, by=self.grid_keys
            )
        else:
            table = statistics.unpaired_differences(
                self.runs, self.metrics, self.baseline, by=self.grid_keys
            )
        table.insert(0, "setting", _labels(table, self.grid_keys, len(self.variants)))
        return table


def load(folder: str | Path) -> ResultSet:
    """Read a results folder written by ``cdsim run``, ``batch`` or ``experiment`` (one
    layout, :mod:`sim.store`).

    Raises:
        ResultsError: the folder does not exist, is not a results folder, or was written by
            a newer version of the layout.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ResultsError(f"{folder}: no such folder")
    try:
        manifest = store.read_manifest(folder)
    except ValueError as err:
        raise ResultsError(str(err)) from None
    if manifest is None:
        if (folder / "summary.json").exists() and (folder / "steps.csv").exists():
            raise ResultsError(
                f"{folder}: a single run written as CSV files by cdsim 0.2 or earlier; run it "
                f"again (cdsim run {folder / 'config.yaml'} --out NEW_FOLDER) to read it"
            )
        raise ResultsError(
            f"{folder}: not a results folder (no manifest.json; 'cdsim run', 'cdsim batch' and "
            "'cdsim experiment' write one)"
        )
    experiment = manifest.get("experiment")
    if not isinstance(experiment, dict):
        raise ResultsError(f"{folder / store.MANIFEST}: unreadable (no experiment)")
    version = manifest.get("format", 1)
    if version > store.FORMAT:
        raise ResultsError(
            f"{folder}: written in results format {version}; this cdsim reads formats up to "
            f"{store.FORMAT}: upgrade cdsim"
        )
    all_runs = store.read_runs(folder)
    if all_runs.empty:
        raise ResultsError(f"{folder}: holds no finished runs yet")
    notes = []
    total = manifest.get("runs_total", len(all_runs))
    if len(all_runs) < total:
        notes.append(
            f"incomplete batch ({manifest.get('status', 'unknown')}): {len(all_runs)} of "
            f"{total} runs saved; complete it with --resume"
        )
    failed = all_runs["status"] != "ok"
    if failed.any():
        notes.append(f"{int(failed.sum())} failed runs left out (see runs.parquet)")
    variants = list(experiment.get("variants") or {"base": {}})
    grid_keys = list(manifest.get("grid", []))
    sampled_keys = list(manifest.get("sampled", []))
    runs = all_runs[~failed].reset_index(drop=True)
    name = experiment.get("name", folder.name)
    if variants == ["base"]:  # `cdsim batch`: call the one variant after the scenario
        variants = [name]
        runs["variant"] = name
    runs.insert(1, "setting", _labels(runs, grid_keys, len(variants)))
    keep = set(runs["run_id"])
    series = _with_setting(store.read_detail(folder, store.SERIES_DIR), runs, keep)
    if series is not None:
        series = _add_cumulative(series)
    members = _with_setting(store.read_detail(folder, store.MEMBERS_DIR), runs, keep)
    pairs = _with_setting(store.read_detail(folder, store.PAIRS_DIR), runs, keep)
    mix = _with_setting(store.read_detail(folder, store.MIX_DIR), runs, keep)
    if members is None or pairs is None:
        notes.append(
            "no per-member tables in this folder (written before they were saved): "
            "member and network figures are left out"
        )
    if series is None:
        notes.append("no per-step series in this folder: time-series figures are left out")
    baseline = experiment.get("baseline") or variants[0]
    kind = "run" if manifest.get("kind") == "run" else "batch"
    info = {
        "folder": str(folder),
        "experiment": experiment,
        "status": manifest.get("status"),
        "runs": f"{len(runs)} ok of {total}",
        "root seed": manifest.get("root_seed"),
        "backend": manifest.get("backend"),
        "started": manifest.get("started"),
        "finished": manifest.get("finished"),
        "git commit": manifest.get("git_commit"),
        "versions": manifest.get("versions"),
        "command": " ".join(manifest.get("command", [])),
    }
    return ResultSet(
        name=name,
        question=(experiment.get("question") or "").strip(),
        kind=kind,
        variants=variants,
        baseline=variants[0] if baseline == "base" else baseline,
        grid_keys=grid_keys,
        runs=runs,
        series=series,
        members=members,
        pairs=pairs,
        policy_mix=mix,
        info=info,
        notes=notes,
        sampled_keys=sampled_keys,
        own_metrics={k: tuple(v) for k, v in manifest.get("outcomes", {}).items()},
    )


def combine(sets: list[ResultSet], labels: list[str]) -> ResultSet:
    """Several result sets as one, for comparison: each variant becomes ``label: variant``
    (just ``label`` for a set with one variant); the baseline is the first set's.

    Runs are compared pairwise only if every set ran the same seeds; otherwise the
    differences are unpaired.
    """
    if len(labels) != len(sets):
        raise ResultsError(f"{len(labels)} labels given for {len(sets)} results folders")
    if len(set(labels)) != len(labels):
        raise ResultsError(f"labels must differ from each other, got {labels}")
    grid_keys = list(dict.fromkeys(k for s in sets for k in s.grid_keys))
    frames: dict[str, list[pd.DataFrame]] = {
        "runs": [], "series": [], "members": [], "pairs": [], "policy_mix": []
    }  # fmt: skip
    variants, notes, offset = [], [], 0
    for rs, label in zip(sets, labels, strict=True):
        rename = {v: label if len(rs.variants) == 1 else f"{label}: {v}" for v in rs.variants}
        variants += list(rename.values())
        notes += [f"{label}: {note}" for note in rs.notes]
        for key in frames:
            table = getattr(rs, key)
            if table is None:
                continue
            table = table.assign(
                run_id=table["run_id"] + offset, variant=table["variant"].map(rename)
            )
            frames[key].append(table)
        offset += int(rs.runs["run_id"].max()) + 1
    runs = pd.concat(frames["runs"], ignore_index=True)
    runs["setting"] = _labels(runs, grid_keys, len(variants))
    settings = runs.set_index("run_id")["setting"]

    def joined(key: str) -> pd.DataFrame | None:
        if len(frames[key]) < len(sets):
            return None
        table = pd.concat(frames[key], ignore_index=True)
        return table.assign(setting=table["run_id"].map(settings))

    seeds = [frozenset(rs.runs["seed"]) for rs in sets]
    first = sets[0]
    return ResultSet(
        name="comparison of " + ", ".join(labels),
        question="; ".join(dict.fromkeys(s.question for s in sets if s.question)),
        kind="comparison",
        variants=variants,
        baseline=labels[0] if len(first.variants) == 1 else f"{labels[0]}: {first.baseline}",
        grid_keys=grid_keys,
        runs=runs,
        series=joined("series"),
        members=joined("members"),
        pairs=joined("pairs"),
        policy_mix=joined("policy_mix"),
        info={label: rs.info for label, rs in zip(labels, sets, strict=True)},
        notes=notes,
        paired=all(s == seeds[0] for s in seeds) and _same_points(sets),
        sampled_keys=list(first.sampled_keys),
        own_metrics={k: v for s in sets for k, v in s.own_metrics.items()},
    )


def _same_points(sets: list[ResultSet]) -> bool:
    """Whether sampled designs drew the same value of every input at every point (runs of
    different designs share point numbers, not points, and must not be paired)."""
    first = sets[0]
    if not any(s.sampled_keys for s in sets):
        return True
    if any(s.sampled_keys != first.sampled_keys for s in sets):
        return False
    cols = ["sample", *first.sampled_keys]

    def points(rs: ResultSet) -> pd.DataFrame:
        return rs.runs[cols].drop_duplicates("sample").sort_values("sample").reset_index(drop=True)

    return all(points(s).astype(str).equals(points(first).astype(str)) for s in sets)


def _labels(table: pd.DataFrame, grid_keys: list[str], n_variants: int) -> pd.Series:
    """Setting labels: the variant, then ``key=value`` for each grid value it has."""
    with_variant = n_variants > 1 or not grid_keys

    def label(row: pd.Series) -> str:
        parts = [str(row["variant"])] if with_variant else []
        for key in grid_keys:
            value = row[key]
            if not (isinstance(value, float) and math.isnan(value)):
                parts.append(f"{key.rsplit('.', 1)[-1]}={_text(value)}")
        return ", ".join(parts) or str(row["variant"])

    if table.empty:
        return pd.Series([], dtype=str, index=table.index)
    return table.apply(label, axis=1).astype(str)


def _text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _with_setting(
    table: pd.DataFrame | None, runs: pd.DataFrame, keep: set[int]
) -> pd.DataFrame | None:
    """``table`` restricted to the runs kept, with their setting and variant labels."""
    if table is None:
        return None
    table = table[table["run_id"].isin(keep)]
    labels = runs.set_index("run_id")
    return table.assign(
        setting=table["run_id"].map(labels["setting"]),
        variant=table["run_id"].map(labels["variant"]),
    ).reset_index(drop=True)


def _add_cumulative(series: pd.DataFrame | None) -> pd.DataFrame | None:
    """Add ``damage_cumulative_usd_bn``, the running sum of damage within each run."""
    if series is None or "damage_usd_bn" not in series:
        return series
    cumulative = series.groupby("run_id", sort=False)["damage_usd_bn"].cumsum()
    return series.assign(damage_cumulative_usd_bn=cumulative)
