"""An example of a user's own policy, written outside the package (docs/policies.md).

Name it in a scenario as ``neighbours_first:NeighboursFirst`` with this folder (or the
working directory) on the import path: scenario and experiment files find modules next
to them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.policies import (
    NO_HELP,
    STAND_ASIDE,
    BudgetContext,
    Contribution,
    PctGdp,
    Policy,
    ResponseContext,
    Share,
    ShareContext,
    between,
    effort,
)


@dataclass(frozen=True)
class NeighboursFirst(Policy):
    """Guards its own neighbourhood: full help and intelligence for neighbours, little for
    the rest.

    Walt (1987), "The Origins of Alliances": states balance against threats, and a threat
    weighs more the closer it is. It helps a neighbour with ``near_effort``, a distant
    member only when the rule binds it (with ``far_effort``), and never votes to block the
    group. It shares with neighbours always and with others only if it trusts them. Its
    budget rises with the damage its neighbourhood suffered (its own, last year).

    Parameters:
        near_effort: share of its power committed to a neighbour's threat.
        far_effort: share committed to a distant member's threat when bound.
        trust_to_share: trust it needs to share with a member it does not border.
        base_pct_gdp: its defence spending when unthreatened, % of GDP.
        damage_sensitivity: rise in spending per 1 % of GDP of damage last year.
    """

    name = "neighbours_first"
    description = "full help and intelligence for neighbours, little for distant members"
    near_effort: Share = 0.8
    far_effort: Share = 0.1
    trust_to_share: Share = 0.6
    base_pct_gdp: PctGdp = 1.5
    damage_sensitivity: between(0.0, 100.0) = 0.5

    def share(self, ctx: ShareContext) -> bool:
        me = ctx.me
        return ctx.partner in me.neighbours or me.trust.get(ctx.partner, 0.0) >= self.trust_to_share

    def respond(self, ctx: ResponseContext) -> Contribution:
        if ctx.host_is_neighbour:
            return effort(ctx, self.near_effort)
        if ctx.obligated:
            return effort(ctx, self.far_effort) if self.far_effort > 0 else NO_HELP
        return STAND_ASIDE

    def set_budget(self, ctx: BudgetContext) -> float:
        damage = ctx.me.damage_last_year_pct_gdp
        target = self.base_pct_gdp * (1.0 + self.damage_sensitivity * damage)
        return ctx.me.defence_pct_gdp + 0.3 * (target - ctx.me.defence_pct_gdp)
