"""One run: build the model from a config, run it, and turn it into tidy tables."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from sim import metrics, outcomes, store
from sim.config import Scenario
from sim.model import CollectiveDefenceModel
from sim.states import MemberState


@dataclass
class RunResult:
    """Everything one run produced, as tables (README, "What a run produces").

    Attributes:
        config: the resolved scenario, with the seed used.
        steps: one row per step (``month`` 0 is the initial state).
        member_steps: one row per member and step.
        members: one row per member, at the end.
        threats: one row per threat.
        events: the event log.
        pairs: one row per pair of members at the end: border, trust both ways,
            interoperability.
        policy_mix: one row per step and behaviour: how many members follow it (learning
            policies may change what they follow).
    """

    config: Scenario
    steps: pd.DataFrame
    member_steps: pd.DataFrame
    members: pd.DataFrame
    threats: pd.DataFrame
    events: pd.DataFrame
    pairs: pd.DataFrame = field(default_factory=pd.DataFrame)
    policy_mix: pd.DataFrame = field(default_factory=pd.DataFrame)
    extra: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def summary(self) -> dict[str, float]:
        """Outcome metrics (see :func:`sim.metrics.summarise`), then the scenario's own
        (:mod:`sim.outcomes`; UserCodeError if one fails)."""
        own = {name: spec.function for name, spec in self.config.outcomes.items()}
        built_in = metrics.summarise(self.steps, self.members, self.threats, self.config)
        return {**built_in, **outcomes.compute(own, self, self.config.seed, reserved=built_in)}

    @cached_property
    def by_type(self) -> pd.DataFrame:
        """Threat outcomes by type."""
        return metrics.threats_by_type(self.threats, list(self.config.threats))

    def write(
        self,
        folder: str | Path,
        *,
        csv: bool = False,
        command: Sequence[str] = (),
        duration_s: float = math.nan,
        started: str | None = None,
    ) -> Path:
        """Write the run as a results folder of one run (see :mod:`sim.store`): Parquet
        tables and a manifest, ``scenario.yaml`` (the resolved scenario with its seed:
        ``cdsim run DIR/scenario.yaml`` repeats the run), and with ``csv`` every table as
        CSV too."""
        folder = Path(folder)
        name = self.config.name
        own = {key: spec.model_dump() for key, spec in self.config.outcomes.items()}
        own_columns = [k for k in self.summary if k not in metrics.METRICS]
        row = {"run_id": 0, "variant": name, "replication": 0, "seed": self.config.seed,
               "status": "ok", **self.summary, "duration_s": duration_s}  # fmt: skip
        tables = {
            store.SERIES_DIR: self.steps,
            store.MEMBERS_DIR: self.members,
            store.PAIRS_DIR: self.pairs,
            store.MIX_DIR: self.policy_mix,
            "member_steps": self.member_steps,
            "threats": self.threats,
            "events": self.events,
            "threats_by_type": self.by_type,
        }
        store.write_run(
            folder,
            row=row,
            tables=tables,
            scenario=self.config.model_dump(mode="json"),
            outcomes=outcomes.labels(own_columns, own),
            command=command,
            started=started,
            csv=csv,
        )
        return folder


def run(
    config: Scenario, seed: int | None = None, steps: int | None = None, detail: bool = True
) -> RunResult:
    """Run one scenario and return its tables.

    Args:
        config: a validated scenario.
        seed: the run seed; default the scenario's own (or a fresh one, recorded).
        steps: number of steps; default the scenario's.
        detail: also build the member-step table and the event log (batches, which keep
            only outcomes and the per-step table, skip them).
    """
    if steps is not None:
        config = config.model_copy(update={"steps": steps})
    seed = seed if seed is not None else config.seed  # None again: a fresh seed
    model = CollectiveDefenceModel(config, rng=seed, record_members=detail)
    for _ in range(model.config.steps):
        model.step()
        if not model.running:  # the scenario's length, or its stop condition
            break
    return collect(model, detail)


def collect(model: CollectiveDefenceModel, detail: bool = True) -> RunResult:
    """Turn a model (run or not) into a :class:`RunResult` (``detail``: see :func:`run`)."""
    dc = model.datacollector
    steps = dc.get_model_vars_dataframe().reset_index(drop=True)
    member_steps = events = pd.DataFrame()
    if detail:
        member_steps = dc.get_agenttype_vars_dataframe(MemberState).reset_index()
        member_steps["month"] = member_steps["Step"].round().astype(int) * model.months_per_step
        member_steps = member_steps.drop(columns=["Step", "AgentID"])
        member_steps = member_steps[["month"] + [c for c in member_steps if c != "month"]]
        events = dc.get_table_dataframe("events")
    threats = pd.DataFrame(model.threat_table_rows(), columns=THREAT_COLUMNS)
    return RunResult(
        config=model.config,
        steps=steps,
        member_steps=member_steps,
        members=members_table(model),
        threats=threats.sort_values("threat_id", kind="stable").reset_index(drop=True),
        events=events,
        pairs=pairs_table(model),
        policy_mix=dc.get_table_dataframe("policy_mix"),
    )


THREAT_COLUMNS = [
    "threat_id", "type", "host", "origin", "adversary", "emerged_month", "initial_size",
    "peak_size", "final_size", "overt_month", "detected_month", "detected_by",
    "lead_time_months", "request", "requested_month", "rule", "collective", "decided_month",
    "first_help_month", "helpers", "resolved_month", "damage_usd_bn",
]  # fmt: skip


def members_table(model: CollectiveDefenceModel) -> pd.DataFrame:
    """One row per member state at the end of the run (with its capital's coordinates, NaN
    when the scenario gives none)."""
    rows = []
    for s, cfg in zip(model.states, model.config.members, strict=True):
        rows.append(
            {
                "member": s.name,
                "policy": s.policy.label,
                "behaviour": s.behaviour,
                "status": s.status,
                "gdp_usd_bn": cfg.gdp_usd_bn,
                "gdp_final_usd_bn": s.gdp_usd_bn,
                "defence_pct_gdp_initial": s.initial_defence_pct_gdp,
                "defence_pct_gdp_final": s.defence_pct_gdp,
                "defence_pct_gdp_mean": s.mean_defence_pct_gdp(),
                "capability_usd_bn": s.capability_usd_bn,
                "military_strength": s.military_strength,
                "forces_abroad_share": s.forces_abroad_share,
                "readiness": s.readiness,
                "resilience": s.resilience,
                "intel_capacity": s.intel_capacity,
                "damage_usd_bn": s.damage_usd_bn,
                "damage_pct_gdp_per_year": (
                    100.0 * s.damage_usd_bn / s.gdp_years if s.gdp_years > 0 else 0.0
                ),
                "threats": s.counts["threats"],
                "threats_detected": s.counts["threats_detected"],
                "threats_resolved": s.counts["threats_resolved"],
                "help_requested": s.counts["help_requested"],
                "help_received": sum(s.help_received.values()),
                "help_given": s.counts["help_given"],
                "help_refused": s.counts["help_refused"],
                "abandonments": s.counts["abandonments"],
                "obligations_honoured": s.counts["obligations_honoured"],
                "entrapments": s.counts["entrapments"],
                "exercises": s.counts["exercises"],
                "defence_spent_usd_bn": s.defence_spent_usd_bn,
                "exercise_cost_usd_bn": s.exercise_cost_usd_bn,
                "meeting_cost_usd_bn": s.meeting_cost_usd_bn,
                "help_cost_usd_bn": s.help_cost_usd_bn,
                "challenges": sum(s.challenged_by.values()),
                "trust_in_group": s.trust_in_group(),
                "is_member": s.is_member,
                "left_month": s.left_month,
                # where figures place it (NaN: not given, they lay members out by borders)
                "capital_lat": math.nan if cfg.capital_lat is None else cfg.capital_lat,
                "capital_lon": math.nan if cfg.capital_lon is None else cfg.capital_lon,
            }
        )
    return pd.DataFrame(rows)


def pairs_table(model: CollectiveDefenceModel) -> pd.DataFrame:
    """One row per unordered pair of members at the end (member order of the scenario)."""
    rel = model.relations
    names = rel.names
    kinds = {frozenset(b.between): b.kind for b in model.config.borders}
    rows = []
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            rows.append(
                {
                    "member_a": names[i],
                    "member_b": names[j],
                    "border": kinds.get(frozenset((names[i], names[j])), "none"),
                    "trust_ab": float(rel.trust[i, j]),
                    "trust_ba": float(rel.trust[j, i]),
                    "trust": float(rel.trust[i, j] + rel.trust[j, i]) / 2.0,
                    "interoperability": float(rel.interoperability[i, j]),
                }
            )
    return pd.DataFrame(rows)
