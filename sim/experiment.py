"""Experiment files: a base scenario, variants, a parameter grid or a sampled design,
replications.

An experiment is data (as in the EMA Workbench): it expands into a plan of runs, one per
variant x point x replication, where the points are a full-factorial grid or a sample drawn
over parameter ranges (``sim.designs``). Replication *r* has the same seed in every variant
and point (common random numbers), so outcomes can be compared pairwise.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from sim import designs, shipped, usercode
from sim.config import (
    ConfigError,
    Scenario,
    add_import_paths,
    describe_error,
    finite_error,
    from_mapping,
    load_scenario,
    override_text,
    read_yaml,
)
from sim.designs import Design
from sim.metrics import METRICS, check_own_names

#: Scenario fields an experiment's plan sets itself: a grid or design may not vary them.
RESERVED = ("seed", "name")


class ExperimentConfig(BaseModel):
    """A validated experiment file."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: str
    question: str = ""  # what the experiment asks, in a sentence
    scenario: str  # the base scenario file, relative to the experiment file
    replications: Annotated[int, Field(ge=1, strict=True)] = 30
    seed: Annotated[int, Field(ge=0, strict=True)] = 0  # root seed of the replication seeds
    steps: Annotated[int, Field(ge=1, strict=True)] | None = None  # overrides the scenario's steps
    set: dict[str, Any] = Field(default_factory=dict)  # overrides applied to every run
    variants: dict[str, dict[str, Any]] = Field(default_factory=lambda: {"base": {}})
    baseline: str | None = None  # variant the others are compared with (default: the first)
    grid: dict[str, list[Any]] = Field(default_factory=dict)  # dotted path -> values
    design: Design | None = None  # or points sampled over ranges (not both)
    outcomes: dict[str, Any] = Field(default_factory=dict)  # users' own, as in a scenario
    stop_when: str | None = None  # ends every run early, as in a scenario
    key_metrics: list[str] = Field(default_factory=list)  # what reports say first, and where
    # the answer changes across the grid (e.g. total_cost_pct_gdp_per_year)
    #: the experiment file's folder: users' own policies (module:Class) may live there too
    _folder: str = PrivateAttr(default="")

    @model_validator(mode="before")
    @classmethod
    def _finite(cls, data: Any) -> Any:
        problem = finite_error(data)
        if problem:
            raise ValueError(problem)
        return data

    @model_validator(mode="after")
    def _check(self) -> ExperimentConfig:
        if not self.variants:
            raise ValueError("variants: at least one variant is needed")
        if self.baseline is not None and self.baseline not in self.variants:
            known = ", ".join(self.variants)
            raise ValueError(f"baseline {self.baseline!r} is not a variant (variants: {known})")
        for key, values in self.grid.items():
            if not values:
                raise ValueError(f"grid.{key}: needs at least one value")
        varied = [*self.grid, *(self.design.keys if self.design else ())]
        for key in varied:
            if key.split(".")[0] in RESERVED:
                raise ValueError(
                    f"{'grid' if key in self.grid else 'design.parameters'}.{key}: "
                    f"{key.split('.')[0]!r} is set by the plan for every run, not varied"
                )
            for name, overrides in self.variants.items():
                for path in overrides:
                    if key == path or key.startswith(f"{path}.") or path.startswith(f"{key}."):
                        raise ValueError(
                            f"{key}: varied across points and set by variant {name!r} "
                            f"({path}): the points would override the variant"
                        )
        if self.grid and self.design is not None:
            raise ValueError(
                "grid and design: give either a grid or a sampled design, not both (a "
                "design takes a list of values as categorical: [values])"
            )
        return self

    def check_key_metrics(self, own: Iterable[str] = ()) -> None:
        """Every key metric is a built-in metric or one of the scenario's own outcomes
        (``own``, or a column ``NAME_KEY`` of one returning several numbers)."""
        own = list(own)
        for metric in self.key_metrics:
            if metric in METRICS or any(metric == n or metric.startswith(f"{n}_") for n in own):
                continue
            close = difflib.get_close_matches(metric, [*METRICS, *own], n=1)
            hint = f"; did you mean {close[0]!r}?" if close and close[0] != metric else ""
            raise ConfigError(f"key_metrics: unknown metric {metric!r}{hint}")

    @property
    def baseline_variant(self) -> str:
        """The variant differences are measured against."""
        return self.baseline or next(iter(self.variants))


@dataclass(frozen=True)
class Run:
    """One run of the plan: which variant, point and replication, with its seed."""

    run_id: int
    variant: str
    point: tuple[tuple[str, Any], ...]  # grid or sampled values, in the file's order
    replication: int
    seed: int
    sample: int | None = None  # the point's number in a sampled design

    @property
    def point_dict(self) -> dict[str, Any]:
        """The grid point as a mapping."""
        return dict(self.point)


@dataclass(frozen=True)
class Plan:
    """An experiment expanded: the base scenario as plain data, and every run."""

    experiment: ExperimentConfig
    base: dict[str, Any]  # the base scenario file's mapping, as written (data files unmerged)
    scenario_dir: str  # its folder: data files and users' own policies (module:Class) are here
    runs: tuple[Run, ...]
    grid_keys: tuple[str, ...]  # the varied parameters: the grid's, or the design's
    import_dirs: tuple[str, ...] = ()  # where users' own policies are imported from

    @property
    def sampled(self) -> bool:
        """Whether the points are a sampled design (compared pooled over points, paired by
        point and replication) rather than a grid (compared point by point)."""
        return self.experiment.design is not None

    @property
    def group_keys(self) -> list[str]:
        """What statistics group runs by: each grid point, or (a design) none."""
        return [] if self.sampled else list(self.grid_keys)

    @property
    def pair_keys(self) -> list[str]:
        """What pairs a variant's run with the baseline's within a group."""
        return ["sample", "replication"] if self.sampled else ["replication"]

    def overrides(self, run: Run) -> list[str]:
        """The ``key=value`` overrides that make ``run``'s scenario from the base."""
        exp = self.experiment
        own = {f"outcomes.{name}": spec for name, spec in exp.outcomes.items()}  # beside the
        # scenario's own
        if exp.stop_when is not None:
            own["stop_when"] = exp.stop_when
        items = {**own, **exp.set, **exp.variants[run.variant], **dict(run.point)}
        if exp.steps is not None:
            items.setdefault("steps", exp.steps)
        return [override_text(k, v) for k, v in items.items()]

    def scenario_for(self, run: Run) -> Scenario:
        """The validated scenario of ``run``."""
        return from_mapping(self.base, self.overrides(run), Path(self.scenario_dir))

    def fingerprint(self) -> str:
        """A hash of everything that determines the results (for safe resuming)."""
        data = {
            "experiment": self.experiment.model_dump(mode="json"),
            "base": self.base,
            "runs": [
                (r.run_id, r.variant, repr(r.point), r.replication, r.seed) for r in self.runs
            ],
        }
        data["user code"] = usercode.sources(data)  # edited code: another experiment
        text = json.dumps(data, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def replication_seeds(root: int, n: int) -> list[int]:
    """``n`` independent run seeds from a root seed (numpy SeedSequence)."""
    state = np.random.SeedSequence(root).generate_state(n, dtype=np.uint64)
    return [int(s >> np.uint64(1)) for s in state]  # non-negative, fits a signed int64


def load_experiment(path: str | Path) -> ExperimentConfig:
    """Read and validate an experiment file (raises ConfigError with one line)."""
    path = shipped.locate(path)
    label = str(path)
    raw = read_yaml(path)
    raw = {**raw, "variants": _plain_variants(raw.get("variants"))}
    if raw["variants"] is None:
        raw.pop("variants")
    try:
        config = ExperimentConfig.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(describe_error(err, raw, label)) from None
    scenario_path = shipped.beside(path.parent, config.scenario).resolve()
    config = config.model_copy(update={"scenario": str(scenario_path)})
    config._folder = str(path.parent.resolve())
    add_import_paths(path.parent)
    return config


def _plain_variants(variants: Any) -> Any:
    """Variants written as a list of names (no overrides) become a mapping."""
    if isinstance(variants, list) and all(isinstance(v, str) for v in variants):
        return {v: {} for v in variants}
    return variants


def with_command_line(
    experiment: ExperimentConfig,
    overrides: Iterable[str] = (),
    seed: int | None = None,
    replications: int | None = None,
) -> ExperimentConfig:
    """``experiment`` with the command line's ``--set`` (applied to every run, after the
    file's ``set``), ``--seed`` (the root seed) and ``--replications``."""
    items = dict(experiment.set)
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set: expected key=value, got {item!r}")
        items[key.strip()] = yaml.safe_load(value) if value.strip() else None
    update: dict[str, Any] = {"set": items}
    if seed is not None:
        update["seed"] = seed
    if replications is not None:
        update["replications"] = replications
    folder = experiment._folder
    changed = experiment.model_copy(update=update)
    changed._folder = folder
    return changed


def single_scenario(
    path: str | Path, replications: int, overrides: list[str] | None = None, seed: int = 0
) -> ExperimentConfig:
    """The experiment of ``cdsim batch``: one scenario, one variant, ``replications`` runs."""
    items = {}
    for item in overrides or []:
        key, _, value = item.partition("=")
        items[key.strip()] = yaml.safe_load(value) if value.strip() else None
    return ExperimentConfig(
        name=Path(path).stem,
        scenario=str(shipped.locate(path).resolve()),
        replications=replications,
        seed=seed,
        set=items,
    )


def plan(experiment: ExperimentConfig, label: str = "") -> Plan:
    """Expand an experiment into its runs, validating every variant and grid point first."""
    base_path = Path(experiment.scenario)
    add_import_paths(base_path.parent)
    base = read_yaml(base_path)  # as written, so that a variant's preset fills the knobs
    load_scenario(base_path)  # the file itself must be valid
    where = label or experiment.name
    design = experiment.design
    if design is None:
        keys = tuple(experiment.grid)
        points = [tuple(zip(keys, values, strict=True)) for values in
                  itertools.product(*experiment.grid.values())]  # fmt: skip
        numbers: list[int | None] = [None] * len(points)
        probes = points
    else:
        keys = design.keys
        seed = experiment.seed if design.seed is None else design.seed
        try:
            points = designs.sample(design, seed)
        except ImportError as err:
            raise ConfigError(f"{where}: design: {err}") from None
        numbers = list(range(len(points)))
        # every parameter at each of its extremes (the others at the first point's values)
        probes = [points[0]] + [
            tuple((k, value if k == key else v) for k, v in points[0])
            for key, dist in design.parameters.items()
            for value in dist.extremes()
        ]
    seeds = replication_seeds(experiment.seed, experiment.replications)
    runs = []
    for variant in experiment.variants:
        for point, number in zip(points, numbers, strict=True):
            for rep, seed in enumerate(seeds):
                runs.append(Run(len(runs), variant, point, rep, seed, number))
    dirs = tuple(dict.fromkeys(d for d in (str(base_path.parent), experiment._folder) if d))
    result = Plan(experiment, base, str(base_path.parent), tuple(runs), keys, dirs)
    own: set[str] = set()  # the outcomes of the users' own that the runs will have
    for variant in experiment.variants:  # fail before the first run, naming the place
        for point in probes:
            probe = Run(-1, variant, point, 0, 0)
            try:
                own |= set(result.scenario_for(probe).outcomes)
            except ConfigError as err:
                kind = "grid point" if design is None else "design point"
                at = f"variant {variant!r}" + (f", {kind} {dict(point)}" if point else "")
                message = str(err).removeprefix("<scenario>: ")
                raise ConfigError(f"{where}: {at}: {message}") from None
    check_own_names(own, where)
    try:
        experiment.check_key_metrics(sorted(own))
    except ConfigError as err:
        raise ConfigError(f"{where}: {err}") from None
    return result
