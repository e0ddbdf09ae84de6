"""The built-in policies: five ideal types of member-state behaviour in an alliance."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import numpy as np

from sim.policies.base import (
    NO_HELP,
    STAND_ASIDE,
    BudgetContext,
    Contribution,
    ExerciseContext,
    LearnContext,
    PctGdp,
    Policy,
    RequestContext,
    ResponseContext,
    Share,
    ShareAllContext,
    ShareContext,
    VoteContext,
    between,
    effort,
    share_many,
)
from sim.policies.registry import make, register, registered


def _towards(current: float, target: float, rate: float) -> float:
    """Move a fraction ``rate`` of the way from ``current`` to ``target``."""
    return current + rate * (target - current)


@register
@dataclass(frozen=True)
class CommittedAlly(Policy):
    """Honours every commitment: shares, trains, helps when asked, spends to a benchmark.

    The loyal ally of alliance theory (Snyder 1984, "The Security Dilemma in Alliance
    Politics"): it accepts the risk of entrapment to avoid abandoning its partners. Its budget
    converges on NATO's 2 % of GDP guideline (Wales Summit, 2014) whatever its allies do.

    Parameters:
        effort: share of its power committed to a partner's threat.
        target_pct_gdp: defence spending it converges on, % of GDP.
        adjust: fraction of the gap to the target closed each year.
    """

    name = "committed_ally"
    description = "shares, trains and helps whenever asked; spends towards 2 % of GDP"
    effort: Share = 0.5
    target_pct_gdp: PctGdp = 2.0
    adjust: Share = 0.3

    def respond(self, ctx: ResponseContext) -> Contribution:
        return effort(ctx, self.effort)

    def set_budget(self, ctx: BudgetContext) -> float:
        return _towards(ctx.me.defence_pct_gdp, self.target_pct_gdp, self.adjust)

    def vote(self, ctx: VoteContext) -> bool:
        # for a firmer commitment, against a looser one; suspends only the deeply
        # distrusted, admits anyone
        if ctx.kind == "amendment":
            return ctx.direction > 0
        if ctx.kind == "suspension":
            return ctx.my_trust_in_subject < 0.2
        return True


@register
@dataclass(frozen=True)
class FreeRider(Policy):
    """Takes the alliance's benefits and pays as little as it can.

    Olson and Zeckhauser (1966), "An Economic Theory of Alliances": when defence is a public
    good, members gain from others' spending and under-provide their own. It votes for
    collective action (cheap talk), asks for help readily, seldom shares, skips costly
    exercises, contributes a token, and cuts its budget as far as allies can be counted on.

    Parameters:
        token: share of its power it contributes when it helps.
        share_probability: chance it passes intelligence to a partner in a month.
        join_probability: chance it joins an exercise.
        floor_pct_gdp: the lowest defence spending it goes to, % of GDP.
        cut: fraction of the way to the floor it cuts each year, times expected support.
    """

    name = "free_rider"
    description = "asks and votes yes, but shares, trains, helps and spends as little as it can"
    token: Share = 0.0
    share_probability: Share = 0.2
    join_probability: Share = 0.3
    floor_pct_gdp: PctGdp = 0.5
    cut: Share = 0.5

    def share(self, ctx: ShareContext) -> bool:
        return bool(ctx.rng.random() < self.share_probability)

    def share_all(self, ctx: ShareAllContext) -> np.ndarray:
        return ctx.rng.random(len(ctx.partners)) < self.share_probability

    def join_exercise(self, ctx: ExerciseContext) -> bool:
        return bool(ctx.rng.random() < self.join_probability)

    def request_help(self, ctx: RequestContext) -> bool:
        return True

    def respond(self, ctx: ResponseContext) -> Contribution:
        return Contribution(support=True) if self.token == 0 else effort(ctx, self.token)

    def set_budget(self, ctx: BudgetContext) -> float:
        floor = min(self.floor_pct_gdp, ctx.me.defence_pct_gdp)
        return _towards(ctx.me.defence_pct_gdp, floor, self.cut * ctx.expected_support)

    def vote(self, ctx: VoteContext) -> bool:
        # more commitment means more help for it and costs for others; it suspends nobody
        if ctx.kind == "amendment":
            return ctx.direction > 0
        return ctx.kind == "admission"


@register
@dataclass(frozen=True)
class Reciprocal(Policy):
    """Tit for tat: cooperates with those who cooperate with it, and starts by cooperating.

    Axelrod (1984), "The Evolution of Cooperation". It shares with partners who shared with
    it last month (or whom it trusts, to open the exchange), helps members who have helped it
    at least as often as they refused it (it stands aside, without a veto, for the others),
    and matches its allies' average defence effort
    (reciprocity in burden sharing). With probability ``forgiveness`` it cooperates anyway,
    which breaks echoes of mutual defection (generous tit for tat, Nowak and Sigmund 1992).

    Parameters:
        effort: share of its power committed when it helps.
        trust_to_open: trust above which it shares with a partner who has not shared yet.
        forgiveness: chance of cooperating with a partner who has defected.
        adjust: fraction of the gap to allies' mean spending closed each year.
    """

    name = "reciprocal"
    description = "tit for tat: shares with and helps those who shared with and helped it"
    effort: Share = 0.5
    trust_to_open: Share = 0.5
    forgiveness: Share = 0.1
    adjust: Share = 0.3

    def share(self, ctx: ShareContext) -> bool:
        me = ctx.me
        if ctx.partner in me.shared_with_me:
            return True
        first_step = me.month <= me.months_per_step
        if first_step and me.trust.get(ctx.partner, 0.0) >= self.trust_to_open:
            return True
        return bool(ctx.rng.random() < self.forgiveness)

    def share_all(self, ctx: ShareAllContext) -> np.ndarray:
        first_step = ctx.me.month <= ctx.me.months_per_step
        answers = ctx.shared_with_me | (first_step & (ctx.trust >= self.trust_to_open))
        undecided = ~answers
        answers[undecided] = ctx.rng.random(int(undecided.sum())) < self.forgiveness
        return answers

    def join_exercise(self, ctx: ExerciseContext) -> bool:
        return ctx.me.trust_in_group >= self.trust_to_open or bool(
            ctx.rng.random() < self.forgiveness
        )

    def respond(self, ctx: ResponseContext) -> Contribution:
        host = ctx.threat.host
        helped = ctx.me.help_received.get(host, 0)
        refused = ctx.me.refused_by.get(host, 0)
        if helped >= refused or ctx.rng.random() < self.forgiveness:
            return effort(ctx, self.effort)
        return STAND_ASIDE

    def set_budget(self, ctx: BudgetContext) -> float:
        return _towards(ctx.me.defence_pct_gdp, ctx.allies_mean_defence_pct_gdp, self.adjust)

    def vote(self, ctx: VoteContext) -> bool:
        me = ctx.me
        if ctx.kind == "amendment":
            # binds itself closer to a group that has been there for it, looser otherwise
            kept_faith = sum(me.help_received.values()) >= sum(me.refused_by.values())
            return kept_faith if ctx.direction > 0 else not kept_faith
        helped = me.help_received.get(ctx.subject, 0)
        refused = me.refused_by.get(ctx.subject, 0)
        if ctx.kind == "suspension":
            return refused > helped
        return helped >= refused


@register
@dataclass(frozen=True)
class SelfInterested(Policy):
    """A realist: acts when its own security is at stake, and buys only the defence it needs.

    Helps when the threat is on its border or may spill over to it, in proportion to its
    stake (the threat's public benefit times its spill risk, or proximity), and otherwise
    stands aside without blocking the group; when bound by the
    rule it gives at least a token, since abandonment costs reputation. It fears
    entrapment (Snyder 1984): it votes against taking on an outside power over a member it
    does not border when that power does not threaten it too (a veto under consensus, as
    Cambodia's over the South China Sea in 2012). Its budget is the
    best response of Olson and Zeckhauser (1966) in the joint-product form of Sandler and
    Hartley (1995, "The Economics of Defense"): it wants capability in proportion to what it
    has to protect (its GDP, scaled up by recent damage); of that, the public share can be
    replaced by the allies' capability it can expect to receive, with diminishing returns
    (allies' forces are imperfect substitutes for its own: Murdoch and Sandler 1984,
    "Complementarity, Free Riding, and the Military Expenditure of NATO Allies"), the
    private share (forces for its own, local purposes) cannot; it spends to maintain what it
    must provide itself. Deterrence has scale economies (a subsistence level of military
    spending every state bears; Alesina and Spolaore 2003, "The Size of Nations"): the public
    part of what it wants is a larger share of a small economy than of a large one.

    Parameters:
        effort: share of its power committed at full stake.
        stake_threshold: smallest stake at which it helps unbound.
        obligated_minimum: the token it gives when bound and its stake is low.
        ally_substitution: share of the allies' expected capability it counts as its own.
        public_share: share of its wanted capability that allies' forces can replace.
        protection_pct_gdp: the capability it wants, as steady-state spending in % of GDP.
        damage_sensitivity: how much each 1 % of GDP of damage last year raises that want.
        adjust: fraction of the gap to the desired spending closed each year.
        entrapment_veto: whether it votes against confronting an outside power that does
            not threaten it over a member it does not border.
        scale_economies: how much smaller a share of GDP a larger state needs for a deterrent
            of its own: the public part of its want scales with (GDP / US$100 bn) to the
            power of minus this.
    """

    name = "self_interested"
    description = "helps when the threat is near or may spill over; buys only what it needs"
    effort: Share = 0.6
    stake_threshold: Share = 0.2
    obligated_minimum: Share = 0.1
    ally_substitution: Share = 0.5
    public_share: Share = 0.5
    protection_pct_gdp: PctGdp = 1.5
    damage_sensitivity: between(0.0, 100.0) = 0.2
    adjust: Share = 0.3
    entrapment_veto: bool = True
    scale_economies: Share = 0.03

    def stake(self, ctx: ResponseContext) -> float:
        """How much countering this threat is worth to the deciding member, in [0, 1]."""
        near = 1.0 if ctx.host_is_neighbour else 0.3
        spill = min(1.0, 10.0 * ctx.threat.spill_risk) if ctx.host_is_neighbour else 0.0
        return min(1.0, ctx.threat.public_benefit * near + spill)

    def share(self, ctx: ShareContext) -> bool:
        return ctx.partner in ctx.me.neighbours or ctx.me.trust.get(ctx.partner, 0.0) >= 0.6

    def share_all(self, ctx: ShareAllContext) -> np.ndarray:
        return ctx.neighbour | (ctx.trust >= 0.6)

    def join_exercise(self, ctx: ExerciseContext) -> bool:
        return ctx.me.active_threats > 0 or ctx.me.damage_last_year_pct_gdp > 0.0

    def respond(self, ctx: ResponseContext) -> Contribution:
        stake = self.stake(ctx)
        if stake >= self.stake_threshold:
            answer = effort(ctx, max(self.effort * stake, self.obligated_minimum * ctx.obligated))
        else:
            answer = effort(ctx, self.obligated_minimum) if ctx.obligated else STAND_ASIDE
        if self.fears_entrapment(ctx):
            return dataclasses.replace(answer, support=False)
        return answer

    def vote(self, ctx: VoteContext) -> bool:
        me = ctx.me
        if ctx.kind != "amendment":
            return super().vote(ctx)
        # weighs its own exposure: for a firmer commitment when the crisis hit it or a
        # neighbour, or it faces an outside power itself; for a looser one when its forces
        # are tied up abroad
        exposed = (
            ctx.victim == me.name
            or ctx.victim in me.neighbours
            or bool(me.challenged_by)
            or me.damage_last_year_pct_gdp > 1.0
        )
        return exposed if ctx.direction > 0 else me.forces_abroad_share > 0.1

    def fears_entrapment(self, ctx: ResponseContext) -> bool:
        """Whether helping would draw it into an outside power's quarrel that is not its own."""
        return (
            self.entrapment_veto
            and ctx.threat.adversary is not None
            and not ctx.adversary_targets_me
            and not ctx.host_is_neighbour
        )

    def set_budget(self, ctx: BudgetContext) -> float:
        me = ctx.me
        want_pct = self.protection_pct_gdp * (
            1.0 + self.damage_sensitivity * me.damage_last_year_pct_gdp
        )
        base = me.gdp_usd_bn * want_pct / 100.0 / ctx.depreciation
        # deterrence has scale economies: a smaller state needs a larger share of its
        # output for a credible force of its own (the public part of its want)
        scale = (me.gdp_usd_bn / 100.0) ** (-self.scale_economies)
        public = self.public_share * base * scale
        wanted_capability = (1.0 - self.public_share) * base + public
        spill_in = self.ally_substitution * ctx.expected_support * ctx.allies_capability_usd_bn
        # allies' forces replace its own with diminishing returns (imperfect substitutes):
        # fully when they dwarf its needs, hardly when it is the one the others rely on
        replaced = public * spill_in / (spill_in + public) if spill_in + public > 0 else 0.0
        own_needed = wanted_capability - replaced
        target = 100.0 * own_needed * ctx.depreciation / me.gdp_usd_bn
        return _towards(me.defence_pct_gdp, target, self.adjust)


@register
@dataclass(frozen=True)
class SovereigntyFirst(Policy):
    """The ASEAN Way as a policy: self-reliance, consultation, no interference.

    Acharya (2001), "Constructing a Security Community in Southeast Asia": sovereignty and
    non-interference come first. It shares only with its sub-group or partners it trusts
    highly, joins only non-combat exercises, never asks others into its internal affairs
    and asks for help at all only when its own means would need far longer than the
    planning horizon, votes against any intervention in another's internal affairs (a veto
    under consensus), and offers civil help (relief, medical teams, information) rather than
    troops. Its budget follows its own exposure only (national resilience), ignoring what
    allies provide.

    Parameters:
        effort: share of its civil capacity offered.
        trust_to_share: trust above which it shares outside its sub-group.
        overwhelmed_ratio: it asks for help only when its own means would need this many times
            the planning horizon to end the threat (or could never end it).
        base_pct_gdp: its defence spending when unthreatened, % of GDP.
        damage_sensitivity: rise in spending per 1 % of GDP of damage last year.
        adjust: fraction of the gap closed each year.
    """

    name = "sovereignty_first"
    description = "non-interference: civil help only, vetoes action in internal affairs"
    effort: Share = 0.4
    trust_to_share: Share = 0.7
    overwhelmed_ratio: between(0.0, 1000.0) = 2.0
    base_pct_gdp: PctGdp = 1.5
    damage_sensitivity: between(0.0, 100.0) = 0.5
    adjust: Share = 0.2

    def share(self, ctx: ShareContext) -> bool:
        me = ctx.me
        return (
            ctx.partner in me.sharing_group or me.trust.get(ctx.partner, 0.0) >= self.trust_to_share
        )

    def share_all(self, ctx: ShareAllContext) -> np.ndarray:
        return ctx.in_sharing_group | (ctx.trust >= self.trust_to_share)

    def join_exercise(self, ctx: ExerciseContext) -> bool:
        return ctx.kind == "non_combat"

    def request_help(self, ctx: RequestContext) -> bool:
        if ctx.threat.internal_affair:
            return False
        return ctx.months_to_contain > self.overwhelmed_ratio * ctx.horizon_months

    def respond(self, ctx: ResponseContext) -> Contribution:
        if ctx.threat.internal_affair:
            return NO_HELP
        if "non_military" not in ctx.allowed:
            return Contribution(support=True)
        return Contribution(support=True, non_military=self.effort)

    def set_budget(self, ctx: BudgetContext) -> float:
        target = self.base_pct_gdp * (
            1.0 + self.damage_sensitivity * ctx.me.damage_last_year_pct_gdp
        )
        return _towards(ctx.me.defence_pct_gdp, target, self.adjust)

    def vote(self, ctx: VoteContext) -> bool:
        # resists any move towards commitment and welcomes any away from it; will not sit
        # in judgement on a member's conduct (no suspension), admits any state
        if ctx.kind == "amendment":
            return ctx.direction < 0
        return ctx.kind == "admission"


@functools.cache
def _behaviour(name: str) -> Policy:
    """A registered policy with its default parameters (one instance per name)."""
    return make(name)


@register
@dataclass(frozen=True)
class Adaptive(Policy):
    """Learns by imitation: follows a behaviour, and once a year copies a better one.

    Axelrod (1984) and the evolutionary game theory after him: agents imitate the strategy
    of successful others, so behaviours spread by success, not by design. The member follows
    ``start`` at first. Once a year it compares its losses (damage plus costs, % of GDP,
    over the last year) with those of the members it trusts at least ``trust_to_imitate``;
    if the most trusted of those doing better by more than ``margin`` follows a different
    registered behaviour, it adopts it (with that behaviour's default parameters). What it
    follows is its memory (``{"follows": name}``), so the policy itself stays frozen.

    Parameters:
        start: the behaviour it follows at first (a registered policy's name).
        trust_to_imitate: it imitates only members it trusts at least this much.
        margin: how much lower (damage plus costs, % of GDP a year) another member's losses
            must be for it to be imitated.
    """

    name = "adaptive"
    description = "follows a behaviour; once a year imitates the better-off member it trusts most"
    start: str = "self_interested"
    trust_to_imitate: Share = 0.5
    margin: PctGdp = 0.2

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.start == self.name or self.start not in registered():
            known = ", ".join(n for n in registered() if n != self.name)
            raise ValueError(f"parameter 'start' must name a registered policy ({known})")

    def follows(self, memory) -> Policy:
        """The behaviour it follows, given its memory."""
        name = memory.get("follows", self.start) if memory else self.start
        return _behaviour(name if name in registered() and name != self.name else self.start)

    def label(self, memory) -> str:
        return self.follows(memory).name

    def share(self, ctx: ShareContext) -> bool:
        return self.follows(ctx.me.memory).share(ctx)

    def share_all(self, ctx: ShareAllContext) -> np.ndarray:
        return share_many(self.follows(ctx.me.memory), ctx)

    def join_exercise(self, ctx: ExerciseContext) -> bool:
        return self.follows(ctx.me.memory).join_exercise(ctx)

    def request_help(self, ctx: RequestContext) -> bool:
        return self.follows(ctx.me.memory).request_help(ctx)

    def respond(self, ctx: ResponseContext) -> Contribution:
        return self.follows(ctx.me.memory).respond(ctx)

    def set_budget(self, ctx: BudgetContext) -> float:
        return self.follows(ctx.me.memory).set_budget(ctx)

    def vote(self, ctx: VoteContext) -> bool:
        return self.follows(ctx.me.memory).vote(ctx)

    def learn(self, ctx: LearnContext):
        mine = ctx.me.damage_last_year_pct_gdp + ctx.my_cost_last_year_pct_gdp
        better = [
            (peer.trust, -(peer.damage_last_year_pct_gdp + peer.cost_last_year_pct_gdp), name)
            for name, peer in sorted(ctx.peers.items())
            if peer.trust >= self.trust_to_imitate
            and peer.damage_last_year_pct_gdp + peer.cost_last_year_pct_gdp < mine - self.margin
            and peer.policy in registered()
            and peer.policy != self.name
        ]
        if not better:
            return None
        _, _, model_member = max(better)
        adopted = ctx.peers[model_member].policy
        if adopted == self.label(ctx.me.memory):
            return None
        return {"follows": adopted, "since": ctx.me.month, "imitated": model_member}
