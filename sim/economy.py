"""The economy phase: growth, the lasting cost of damage, defence spending, capability and
readiness (docs/ODD.md, 7.1)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.model import CollectiveDefenceModel


def advance(model: CollectiveDefenceModel) -> None:
    """One step of every state's economy.

    GDP grows at ``economy.gdp_growth_pct`` and loses, for good, ``damage_persistence`` of
    the damage the state suffered in the previous step (destroyed capital and lost years of
    growth: damage is not a passing loss). Spending builds capability, which depreciates;
    readiness decays towards its floor.
    """
    economy = model.config.economy
    rec = model.record
    months = model.months_per_step
    years = months / 12.0
    growth = (1.0 + economy.gdp_growth_pct / 100.0) ** years
    keep = (1.0 - economy.depreciation) ** years
    decay = 1.0 - (1.0 - economy.readiness_decay) ** months
    for state in model.states:
        spent = state.annual_budget_usd_bn * years
        state.defence_spent_usd_bn += spent
        rec.add("defence_spending", spent)
        state.pct_months += state.defence_pct_gdp * months
        state.capability_usd_bn = state.capability_usd_bn * keep + spent
        lasting = economy.damage_persistence * state.damage_step_usd_bn
        # GDP never falls below a tenth of itself in one step, whatever the damage.
        state.gdp_usd_bn = max(state.gdp_usd_bn - lasting, 0.1 * state.gdp_usd_bn) * growth
        state.gdp_years += state.gdp_usd_bn * years
        state.readiness += decay * (economy.readiness_floor - state.readiness)
