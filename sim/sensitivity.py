"""Global sensitivity analysis: which parameters drive the key outcomes.

Morris elementary effects (a cheap screening: mu* ranks the parameters by influence, sigma
shows interactions and non-linearity) or Sobol indices (variance shares: S1 alone, ST with
interactions), both from SALib (``pip install 'cdsim[sensitivity]'``). The sample points run
as an ordinary batch (on all cores or Dask, resumable, one results folder); every point uses
the same replication seeds (common random numbers), so differences between points come from
the parameters, not from the threats drawn.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import shipped
from sim.batch import run_batch
from sim.config import ConfigError, add_import_paths, load_scenario, read_yaml
from sim.errors import InputError
from sim.experiment import ExperimentConfig, Plan, Run, replication_seeds, with_command_line
from sim.metrics import METRICS

METHODS = ("morris", "sobol")
#: Outcomes analysed by default.
OUTCOMES = (
    "damage_pct_gdp_per_year",
    "detected_early_share",
    "aggression_helped_share",
    "mean_trust",
    "members_remaining",
    "burden_rank_corr_final",
)


@dataclass(frozen=True)
class Parameter:
    """A scenario field (dotted path) varied over [low, high]; ``integer`` rounds values."""

    path: str
    low: float
    high: float
    integer: bool = False


#: Parameters varied by default: threat pressure, intelligence, response, relations, economy.
DEFAULT_PARAMETERS = (
    Parameter("threats.cyber_attack.rate", 0.5, 2.0),
    Parameter("threats.terrorism.rate", 0.15, 0.6),
    Parameter("intelligence.remote_reach", 0.2, 0.8),
    Parameter("intelligence.leak_probability", 0.0, 0.01),
    Parameter("exercises.readiness_gain", 0.05, 0.3),
    Parameter("response.counter_rate", 0.25, 1.0),
    Parameter("response.half_strength_pct_gdp", 0.4, 1.5),
    Parameter("response.deployment_cost", 0.5, 2.0),
    Parameter("relations.initial_trust", 0.3, 0.7),
    Parameter("economy.damage_persistence", 0.1, 0.5),
)


class SensitivityError(InputError):
    """A sensitivity analysis cannot be set up; the message says why, in one line."""


def parse_parameter(text: str) -> Parameter:
    """``path=low:high`` (integers on both sides: an integer parameter)."""
    path, sep, bounds = text.partition("=")
    low_text, sep2, high_text = bounds.partition(":")
    if not sep or not sep2 or not path.strip():
        raise SensitivityError(f"--param {text!r}: expected PATH=LOW:HIGH, e.g. "
                               "threats.aggression.rate=0.01:0.04")  # fmt: skip
    try:
        low, high = float(low_text), float(high_text)
    except ValueError:
        raise SensitivityError(f"--param {text!r}: LOW and HIGH must be numbers") from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise SensitivityError(f"--param {text!r}: LOW and HIGH must be finite numbers")
    if not low < high:
        raise SensitivityError(f"--param {text!r}: LOW must be below HIGH")
    integer = all(part.strip().lstrip("-").isdigit() for part in (low_text, high_text))
    return Parameter(path.strip(), low, high, integer)


def _salib(module: str) -> Any:
    try:
        return importlib.import_module(f"SALib.{module}")
    except ImportError:
        raise SensitivityError(
            "sensitivity analysis needs SALib: pip install 'cdsim[sensitivity]' (or SALib)"
        ) from None


def problem(parameters: Sequence[Parameter]) -> dict[str, Any]:
    """The SALib problem definition."""
    return {
        "num_vars": len(parameters),
        "names": [p.path for p in parameters],
        "bounds": [[p.low, p.high] for p in parameters],
    }


def sample(
    parameters: Sequence[Parameter],
    method: str,
    size: int,
    seed: int,
    second_order: bool = False,
) -> np.ndarray:
    """The sample points: Morris trajectories (``size`` of them, 4 levels) or Saltelli's
    scheme for Sobol (``size`` base samples, a power of 2: ``size * (D + 2)`` points for D
    parameters, ``size * (2 D + 2)`` with ``second_order``)."""
    spec = problem(parameters)
    if method == "morris":
        points = _salib("sample.morris").sample(spec, N=size, num_levels=4, seed=seed)
    elif method == "sobol":
        if size & (size - 1):
            raise SensitivityError(f"--samples {size}: Sobol needs a power of 2 (e.g. 64)")
        points = _salib("sample.sobol").sample(
            spec, N=size, calc_second_order=second_order, seed=seed
        )
    else:
        raise SensitivityError(f"unknown method {method!r} (methods: {', '.join(METHODS)})")
    for k, p in enumerate(parameters):
        if p.integer:
            points[:, k] = np.round(points[:, k])
    return points


def build_plan(
    scenario: str | Path,
    parameters: Sequence[Parameter],
    points: np.ndarray,
    replications: int = 1,
    seed: int = 0,
    steps: int | None = None,
    overrides: Sequence[str] = (),
) -> Plan:
    """A batch plan: every sample point, each with the same ``replications`` seeds.

    Every parameter is checked on the scenario at its low and high bound first, so a wrong
    path or range is one clear error before anything runs.
    """
    path = shipped.locate(scenario).resolve()
    add_import_paths(path.parent)
    load_scenario(path, overrides)
    for p in parameters:
        for value in (p.low, p.high):
            try:
                load_scenario(path, [*overrides, f"{p.path}={_value(p, value)}"])
            except ConfigError as err:
                raise SensitivityError(f"--param {p.path}: {err}") from None
    experiment = with_command_line(ExperimentConfig(
        name=f"sensitivity-{path.stem}", scenario=str(path), replications=replications,
        seed=seed, steps=steps,
    ), overrides)  # fmt: skip
    seeds = replication_seeds(seed, replications)
    runs = []
    for row in points:
        point = tuple((p.path, _value(p, v)) for p, v in zip(parameters, row, strict=True))
        for rep, run_seed in enumerate(seeds):
            runs.append(Run(len(runs), "base", point, rep, run_seed))
    keys = tuple(p.path for p in parameters)
    return Plan(experiment, read_yaml(path), str(path.parent), tuple(runs), keys,
                (str(path.parent),))  # fmt: skip


def _value(p: Parameter, value: float) -> float | int:
    return int(round(value)) if p.integer else float(value)


def analyse(
    runs: pd.DataFrame,
    parameters: Sequence[Parameter],
    points: np.ndarray,
    method: str,
    metrics: Sequence[str] = OUTCOMES,
    seed: int = 0,
    second_order: bool = False,
) -> tuple[pd.DataFrame, list[str], pd.DataFrame]:
    """Sensitivity indices of each metric to each parameter, notes on metrics left out, and
    (Sobol with ``second_order``) the second-order indices of each pair of parameters.

    Returns a long table: ``metric``, ``parameter`` and, for Morris, ``mu``, ``mu_star``,
    ``mu_star_conf``, ``sigma``; for Sobol, ``S1``, ``S1_conf``, ``ST``, ``ST_conf``. The
    pairs table has ``metric``, ``parameter_a``, ``parameter_b``, ``S2``, ``S2_conf`` (empty
    without second-order indices).
    """
    spec = problem(parameters)
    replications = len(runs) // len(points)
    ordered = runs.sort_values("run_id")
    notes, frames, pairs = [], [], []
    for metric in metrics:
        values = pd.to_numeric(ordered[metric], errors="coerce").to_numpy(float)
        y = values.reshape(len(points), replications).mean(axis=1)
        if np.isnan(y).any() or np.ptp(y) == 0:
            why = "undefined at some points" if np.isnan(y).any() else "constant"
            notes.append(f"{metric} left out: {why}")
            continue
        if method == "morris":
            res = _salib("analyze.morris").analyze(spec, points, y, num_levels=4, seed=seed)
            cols = {"mu": res["mu"], "mu_star": res["mu_star"],
                    "mu_star_conf": res["mu_star_conf"], "sigma": res["sigma"]}  # fmt: skip
        else:
            res = _salib("analyze.sobol").analyze(
                spec, y, calc_second_order=second_order, seed=seed
            )
            cols = {"S1": res["S1"], "S1_conf": res["S1_conf"], "ST": res["ST"],
                    "ST_conf": res["ST_conf"]}  # fmt: skip
            if second_order:
                names = spec["names"]
                pairs += [
                    {"metric": metric, "parameter_a": names[a], "parameter_b": names[b],
                     "S2": res["S2"][a, b], "S2_conf": res["S2_conf"][a, b]}
                    for a in range(len(names)) for b in range(a + 1, len(names))
                ]  # fmt: skip
        frames.append(pd.DataFrame({"metric": metric, "parameter": spec["names"], **cols}))
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return table, notes, pd.DataFrame(pairs, columns=PAIR_COLUMNS)


PAIR_COLUMNS = ["metric", "parameter_a", "parameter_b", "S2", "S2_conf"]


@dataclass
class SensitivityOutcome:
    """What :func:`run_sensitivity` produced."""

    folder: Path
    method: str
    table: pd.DataFrame
    notes: list[str]
    runs: int
    pairs: pd.DataFrame  # second-order Sobol indices (empty unless asked for)


def run_sensitivity(
    scenario: str | Path,
    folder: str | Path,
    *,
    method: str = "morris",
    size: int | None = None,
    parameters: Sequence[Parameter] = DEFAULT_PARAMETERS,
    metrics: Sequence[str] = OUTCOMES,
    replications: int = 1,
    seed: int = 0,
    steps: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool = True,
    second_order: bool = False,
    overrides: Sequence[str] = (),
) -> SensitivityOutcome:
    """Sample, run the points as a batch in ``folder``, and analyse; writes
    ``sensitivity.csv`` there.

    Args:
        scenario: the scenario file.
        folder: the results folder (a batch folder, plus sensitivity.csv).
        method: ``morris`` or ``sobol``.
        size: Morris trajectories (default 10) or Sobol base samples (default 64).
        parameters: what varies, and over which range.
        metrics: the outcomes analysed.
        replications: runs per sample point (averaged), with the same seeds at every point.
        seed: root seed of the sample, the runs and the bootstrap intervals.
        steps: steps per run (default: the scenario's).
        workers: local worker processes (default: all cores).
        scheduler: a Dask scheduler address, to run on a cluster instead.
        resume: complete a folder an interrupted analysis left.
        progress: show a progress bar.
        overrides: ``key=value`` changes of the scenario for every run (``--set``).
        second_order: Sobol only: also the second-order indices of every pair of parameters
            (``sensitivity_pairs.csv``; the sample grows from ``size * (D + 2)`` to
            ``size * (2 D + 2)`` points).

    Raises:
        SensitivityError: a bad parameter, metric, method or size, or failed runs.
    """
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise SensitivityError(
            f"unknown metric {unknown[0]!r}; see the columns of a results folder's runs.parquet"
        )
    size = size or (10 if method == "morris" else 64)
    if second_order and method != "sobol":
        raise SensitivityError("--second-order: only Sobol indices have a second order")
    points = sample(parameters, method, size, seed, second_order)
    the_plan = build_plan(scenario, parameters, points, replications, seed, steps, overrides)
    outcome = run_batch(the_plan, folder, workers=workers, scheduler=scheduler, resume=resume,
                        progress=progress)  # fmt: skip
    if outcome.failed:
        raise SensitivityError(
            f"{outcome.failed} runs failed (see {outcome.folder}/runs.parquet); the indices "
            "need every point"
        )
    table, notes, pairs = analyse(
        outcome.runs, parameters, points, method, metrics, seed, second_order
    )
    table.insert(0, "method", method)
    table.to_csv(Path(folder) / "sensitivity.csv", index=False)
    if second_order:
        pairs.to_csv(Path(folder) / "sensitivity_pairs.csv", index=False)
    return SensitivityOutcome(Path(folder), method, table, notes, len(outcome.runs), pairs)
