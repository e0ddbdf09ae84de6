"""Defence budgets, set once a year by each member's policy."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from sim import rules
from sim.policies import BudgetContext

if TYPE_CHECKING:
    from sim.model import CollectiveDefenceModel


def expected_support(model: CollectiveDefenceModel) -> float:
    """How far members can count on allies against an armed attack, in [0, 1].

    What the rule promises against aggression by an outside power (:attr:`Terms.level`:
    the procedure's commitment, zero unless allies may bring military help: civil help is
    no substitute for one's own forces) times the group's record of honouring calls for
    help (:func:`rules.credibility`).
    """
    internal = model.config.threats["aggression"].internal_affair
    terms = rules.terms(model.rule, "aggression", internal, armed_attack=True)
    if "military" not in terms.allowed_help:
        return 0.0
    total = model.record.total
    return terms.level * rules.credibility(total["help_given"], total["help_refused"])


def set_budgets(model: CollectiveDefenceModel) -> None:
    """Every state sets next year's defence spending (% of GDP) on one shared snapshot.

    The policy's answer is clipped to [0, max_defence_pct_gdp] and to a change of at most
    ``max_budget_change_pct`` percentage points (budgets have inertia). Members that left
    the group count on no allies.
    """
    economy = model.config.economy
    support = expected_support(model)
    members = model.current_members()
    decisions = []
    for state in model.states:
        allies = [m for m in members if m is not state] if state.is_member else []
        ctx = BudgetContext(
            me=state.view(),
            allies_capability_usd_bn=sum(m.capability_usd_bn for m in allies),
            allies_mean_defence_pct_gdp=(
                sum(m.defence_pct_gdp for m in allies) / len(allies)
                if allies
                else state.defence_pct_gdp
            ),
            expected_support=support if state.is_member else 0.0,
            depreciation=economy.depreciation,
            max_defence_pct_gdp=economy.max_defence_pct_gdp,
            rng=state.policy_rng,
        )
        wanted = float(state.policy.by_decision["budget"].set_budget(ctx))
        if not math.isfinite(wanted):
            raise ValueError(f"policy of {state.name}: set_budget() returned {wanted!r}")
        step = economy.max_budget_change_pct
        new = min(max(wanted, state.defence_pct_gdp - step), state.defence_pct_gdp + step)
        decisions.append(min(max(new, 0.0), economy.max_defence_pct_gdp))
    for state, pct in zip(model.states, decisions, strict=True):
        state.defence_pct_gdp = pct
