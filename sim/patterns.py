"""Validation: patterns known from the real world, the experiments that test the model
against them, and the verdicts.

Each :class:`Pattern` names a reference value with its source, the experiment file (in
``experiments/patterns/``, runnable on its own with ``cdsim experiment``) whose runs measure
the model's value, the outcome metric (of the run, or of one member), and a tolerance band.
The model's value is the metric's mean, or, for a comparison, the relative reduction of its
mean in one variant against the experiment's baseline (the same seeds in both). :func:`check`
runs the experiments as ordinary batches (resumable, on all cores) and returns one row per
pattern: reference, model value with its 95 % confidence interval, and whether the value
falls in the band. docs/VALIDATION.md discusses each pattern and where the model departs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim import shipped
from sim.batch import run_batch
from sim.experiment import load_experiment, plan, with_command_line
from sim.metrics import metric_range, series_range
from sim.statistics import interval
from sim.store import read_detail

EXPERIMENTS = shipped.folder("experiments") / "patterns"


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
        member: read the metric from this member's row of the members table.
        reduction_in: the value is the relative reduction (%) of the metric's mean in this
            variant against the experiment's baseline, with a paired bootstrap interval.
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
    member: str | None = None
    reduction_in: str | None = None

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
        key="deterrence",
        title="deterrence: a commitment to defend members means fewer challenges",
        reference=18.0,
        source="Benson (2011), 'Unpacking Alliances', Journal of Politics 73(4): deterrent "
        "alliances contingent on an adversary's attack are associated with an 18 % lower "
        "likelihood that a third party initiates a conflict with a member (also Leeds 2003; "
        "Johnson and Leeds 2011); band 10-50 %",
        metric="challenges",
        low=10.0,
        high=50.0,
        unit="% fewer",
        reduction_in="collective_commitment",
    ),
    Pattern(
        key="entrapment",
        title="entrapment happens, but rarely",
        reference=0.7,
        source="Beckley (2015), 'The Myth of Entangling Alliances', International Security "
        "39(4): five arguable cases of US entanglement 1945-2015, 0.7 a decade for the most "
        "entangled ally there is; band: above zero, at most that",
        metric="entrapments",
        low=0.005,
        high=0.7,
        scale=1.0 / 11.0,  # eleven members, ten years: per member and decade
        unit="per member and decade",
    ),
    Pattern(
        key="disaster_losses",
        title="natural disasters cost the Philippines about 1 % of GDP a year",
        reference=0.85,
        source="Asian Development Bank (2021), 'Disaster Resilience in Asia': 0.7-1 % of GDP a "
        "year; NEDA with the World Bank/GFDRR method: asset losses of 1.2 % of GDP a year",
        metric="damage_pct_gdp_per_year",
        low=0.5,
        high=1.5,
        unit="% of GDP a year",
        member="Philippines",
    ),
    Pattern(
        key="cyber_losses",
        title="cybercrime costs about 0.8 % of GDP a year",
        reference=0.8,
        source="McAfee and CSIS (2018), 'Economic Impact of Cybercrime - No Slowing Down': "
        "about US$600 bn, 0.8 % of world GDP, in 2017 (just over 1 % in 2020)",
        metric="damage_pct_gdp_per_year",
        low=0.4,
        high=1.2,
        unit="% of GDP a year",
    ),
    Pattern(
        key="terrorism_losses",
        title="terrorism costs a few hundredths of a per cent of GDP a year",
        reference=0.03,
        source="Institute for Economics and Peace, Global Terrorism Index 2020: economic impact "
        "of terrorism US$26.4 bn in 2019, about 0.03 % of world GDP (ASEAN holds two of the "
        "twenty most affected countries, Myanmar and the Philippines: band up to 0.15 %)",
        metric="damage_pct_gdp_per_year",
        low=0.01,
        high=0.15,
        unit="% of GDP a year",
    ),
    Pattern(
        key="pandemic_losses",
        title="pandemics cost about 0.1 % of income a year, in rare severe events",
        reference=0.1,
        source="Fan, Jamison and Summers (2018), 'Pandemic risk: how large are the expected "
        "losses?', Bulletin of the WHO 96(2): expected losses of 0.6 % of global income a year "
        "with the value of lives lost, about 0.1 % in lost income alone; band up to the 0.6 %",
        metric="damage_pct_gdp_per_year",
        low=0.03,
        high=0.6,
        unit="% of GDP a year",
    ),
    Pattern(
        key="clash_rate",
        title="armed clashes involving members are rare",
        reference=0.06,
        source="Thailand-Cambodia border clashes 2008-2011 and 2025 (two rounds), Thailand-"
        "Myanmar 2001: three or four fatal episodes in ASEAN's 58 years; Kivimaki (2011), "
        "'East Asian relative peace and the ASEAN Way'",
        metric="threats_emerged",
        low=0.02,
        high=0.15,
        scale=0.1,  # ten years of runs: per year
        unit="per year",
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
    overrides: Sequence[str] = (),
    seed: int | None = None,
    scheduler: str | None = None,
    csv: bool = False,
) -> pd.DataFrame:
    """Run each pattern's experiment into ``folder/<key>`` and judge it.

    Returns one row per pattern: ``pattern``, ``title``, ``reference``, ``unit``, ``low``,
    ``high``, ``n`` (runs), ``model`` (mean, or relative reduction), ``ci_low``,
    ``ci_high``, ``within`` and ``source``. ``overrides``, ``seed`` and ``replications``
    change every pattern's experiment as the command line's ``--set``, ``--seed`` and
    ``--replications`` do (``sim.experiment.with_command_line``).
    """
    folder = Path(folder)
    rows = []
    for pattern in patterns:
        experiment = with_command_line(
            load_experiment(pattern.experiment), overrides, seed, replications
        )
        outcome = run_batch(plan(experiment), folder / pattern.key, workers=workers,
                            resume=resume, progress=progress, scheduler=scheduler,
                            csv=csv)  # fmt: skip
        members = read_detail(outcome.folder, "members") if pattern.member else None
        rows.append(judge(pattern, outcome.runs, members, experiment.baseline_variant))
    return pd.DataFrame(rows)


def judge(
    pattern: Pattern,
    runs: pd.DataFrame,
    members: pd.DataFrame | None = None,
    baseline: str | None = None,
) -> dict[str, object]:
    """The verdict on ``pattern`` from its runs table (and members table, for a member's
    metric; ``baseline`` is the variant a reduction is measured against)."""
    values = _values(pattern, runs, members)
    if pattern.reduction_in is not None:
        base = values[values["variant"] == baseline].set_index("replication")["value"]
        other = values[values["variant"] == pattern.reduction_in].set_index("replication")
        paired = pd.concat([base, other["value"]], axis=1, keys=["base", "other"]).dropna()
        model, low, high = reduction(paired["base"].to_numpy(), paired["other"].to_numpy())
        n = len(paired)
    else:
        data = values["value"].to_numpy()
        model = float(data.mean()) if len(data) else float("nan")
        bounds = series_range(pattern.metric) if pattern.member else metric_range(pattern.metric)
        bounds = sorted(b * pattern.scale for b in bounds) if pattern.scale else bounds
        low, high, _ = interval(data, *bounds)  # within the metric's possible values
        n = len(data)
    return {
        "pattern": pattern.key,
        "title": pattern.title,
        "reference": pattern.reference,
        "unit": pattern.unit,
        "low": pattern.low,
        "high": pattern.high,
        "n": n,
        "model": model,
        "ci_low": low,
        "ci_high": high,
        "within": bool(pattern.low <= model <= pattern.high),
        "source": pattern.source,
    }


def _values(pattern: Pattern, runs: pd.DataFrame, members: pd.DataFrame | None) -> pd.DataFrame:
    """One row per successful run: variant, replication and the (scaled) metric value."""
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    if pattern.member is not None:
        if members is None:
            raise ValueError(f"pattern {pattern.key!r} needs the members table of its runs")
        rows = members[members["member"] == pattern.member].set_index("run_id")[pattern.metric]
        ok = ok.assign(**{pattern.metric: ok["run_id"].map(rows)})
    out = pd.DataFrame(
        {
            "variant": ok.get("variant", "base"),
            "replication": ok["replication"] if "replication" in ok else range(len(ok)),
            "value": pd.to_numeric(ok[pattern.metric], errors="coerce") * pattern.scale,
        }
    )
    return out.dropna(subset=["value"]).reset_index(drop=True)


def reduction(
    base: np.ndarray, other: np.ndarray, draws: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """The relative reduction (%) of ``other``'s mean against ``base``'s, with a 95 %
    paired bootstrap interval (pairs resampled together; a fixed seed, so the same
    runs always give the same interval)."""
    if len(base) == 0 or base.mean() == 0:
        return float("nan"), float("nan"), float("nan")
    value = 100.0 * (1.0 - other.mean() / base.mean())
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(base), size=(draws, len(base)))
    b, o = base[picks].mean(axis=1), other[picks].mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        sampled = 100.0 * (1.0 - o / b)
    sampled = sampled[np.isfinite(sampled)]
    low, high = np.percentile(sampled, [2.5, 97.5]) if len(sampled) else (np.nan, np.nan)
    return float(value), float(low), float(high)
