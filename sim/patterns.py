"""Validation: patterns known from the real world, the experiments that test the model
against them, and the verdicts.

Each :class:`Pattern` names a reference value with its source, the experiment file (in
``experiments/patterns/``, runnable on its own with ``cdsim experiment``) whose runs measure
the model's value, the outcome metric, and a tolerance band. :func:`check` runs the
experiments as ordinary batches (resumable, on all cores) and returns one row per pattern:
reference, model mean with its 95 % confidence interval, and whether the mean falls in the
band. docs/VALIDATION.md discusses each pattern and where the model departs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.batch import run_batch
from sim.experiment import load_experiment, plan
from sim.statistics import mean_ci

EXPERIMENTS = Path(__file__).resolve().parent.parent / "experiments" / "patterns"


@dataclass(frozen=True)
class Pattern:
    """A real-world pattern the model should reproduce.

    Attributes:
        key: short name; also the experiment file's stem.
        title: the pattern in a few words.
        reference: the real-world value.
        source: where the reference comes from.
        metric: the outcome metric (a column of the runs table) that measures it.
        low, high: the tolerance band the model's mean must fall in.
        scale: multiplies the metric (e.g. to turn a count over ten years into a yearly one).
        unit: of the reference and the model's value.
    """

    key: str
    title: str
    reference: float
    source: str
    metric: str
    low: float
    high: float
    scale: float = 1.0
    unit: str = ""

    @property
    def experiment(self) -> Path:
        """The experiment file whose runs measure the pattern."""
        return EXPERIMENTS / f"{self.key}.yaml"


PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        key="burden_public_good",
        title="burden sharing: large members carry more under a common defence",
        reference=0.49,
        source="Olson and Zeckhauser (1966), 'An Economic Theory of Alliances': Spearman "
        "rank correlation of GNP with defence budget as % of GNP, NATO 1964",
        metric="burden_rank_corr_final",
        low=0.29,
        high=0.69,
        unit="Spearman",
    ),
    Pattern(
        key="burden_local",
        title="no burden-sharing pattern when members face their own threats alone",
        reference=-0.50,
        source="SIPRI Military Expenditure Database (1949-2023 edition): ASEAN members, Spearman "
        "rank correlation of GDP with military expenditure as % of GDP, mean of 2019-2023 "
        "(yearly -0.62, -0.63, -0.33, -0.42, -0.50; nine members with data)",
        metric="burden_rank_corr_final",
        low=-0.70,
        high=-0.30,
        unit="Spearman",
    ),
    Pattern(
        key="reliability",
        title="alliance reliability: share of commitments honoured when called on",
        reference=0.745,
        source="Leeds, Long and Mitchell (2000), 'Reevaluating Alliance Reliability', "
        "Journal of Conflict Resolution 44(5): 74.5 % of alliance commitments honoured, "
        "1816-1944",
        metric="reliability",
        low=0.645,
        high=0.845,
        unit="share",
    ),
    Pattern(
        key="crime_base_rate",
        title="maritime and transnational crime: campaigns a year in ASEAN",
        reference=100.0,
        source="ReCAAP ISC Annual Report 2023: 100 armed-robbery incidents against ships in "
        "Asia (84 in 2022, 82 in 2021); a model threat is a campaign of one or more incidents, "
        "so the band is 100 incidents in campaigns of 1 to 20 incidents",
        metric="threats_emerged",
        low=5.0,
        high=100.0,
        scale=0.1,  # ten years of runs: per year
        unit="per year",
    ),
)


def find(keys: Sequence[str] | None) -> list[Pattern]:
    """The patterns named (all if None); unknown names raise ValueError."""
    if not keys:
        return list(PATTERNS)
    known = {p.key: p for p in PATTERNS}
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise ValueError(f"unknown pattern {unknown[0]!r} (patterns: {', '.join(known)})")
    return [known[k] for k in keys]


def check(
    patterns: Sequence[Pattern],
    folder: str | Path,
    replications: int | None = None,
    workers: int | None = None,
    resume: bool = False,
    progress: bool = True,
) -> pd.DataFrame:
    """Run each pattern's experiment into ``folder/<key>`` and judge it.

    Returns one row per pattern: ``pattern``, ``title``, ``reference``, ``unit``, ``low``,
    ``high``, ``n`` (runs), ``model`` (mean), ``ci_low``, ``ci_high``, ``within`` and
    ``source``.
    """
    folder = Path(folder)
    rows = []
    for pattern in patterns:
        experiment = load_experiment(pattern.experiment)
        if replications:
            experiment = experiment.model_copy(update={"replications": replications})
        outcome = run_batch(plan(experiment), folder / pattern.key, workers=workers,
                            resume=resume, progress=progress)  # fmt: skip
        rows.append(judge(pattern, outcome.runs))
    return pd.DataFrame(rows)


def judge(pattern: Pattern, runs: pd.DataFrame) -> dict[str, object]:
    """The verdict on ``pattern`` from its runs table."""
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    values = pd.to_numeric(ok[pattern.metric], errors="coerce").dropna() * pattern.scale
    mean = float(values.mean()) if len(values) else float("nan")
    low, high = mean_ci(values.to_numpy())
    return {
        "pattern": pattern.key,
        "title": pattern.title,
        "reference": pattern.reference,
        "unit": pattern.unit,
        "low": pattern.low,
        "high": pattern.high,
        "n": len(values),
        "model": mean,
        "ci_low": low,
        "ci_high": high,
        "within": bool(pattern.low <= mean <= pattern.high),
        "source": pattern.source,
    }
