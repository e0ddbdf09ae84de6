"""Outside powers that choose whether, whom and how to challenge (docs/ODD.md, 7.3).

An adversary is a Mesa agent outside the group. It has means it can bring to bear on the
group (``defence_budget_usd_bn * reach``), aims (the members it may challenge, each with a
stake that sets how often it seeks occasions against them), ways of challenging (threat
types, each with a gain if it succeeds, a cost of challenging, and the share of its means
it ties up), and a risk appetite. Occasions arrive at random; at each, the adversary
reckons, for every way open to it, the chance that the response will not defeat the
challenge: the target's own free means plus the help it expects the group to send, read
from the rule (how far the group is committed to act on that kind of threat) and the
group's record of honouring calls for help. Its payoff from each way is that chance times
what success is worth, minus what challenging costs it; it chooses between letting the
occasion pass and each way of challenging by a multinomial logit of the payoffs
(``uncertainty`` is the noise in its reckoning), so that a way with a poor payoff is rare,
not impossible.

So deterrence emerges from the rule and the record, and so do the costs of commitment:
members deployed against an adversary become targets of its retaliation, allies are drawn
into its wars, and where the rule covers armed attack only, the adversary turns to the
grey zone the rule leaves open.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import TYPE_CHECKING

from mesa import Agent

from sim import rules, threats
from sim.config import AdversaryConfig

if TYPE_CHECKING:
    from sim.model import CollectiveDefenceModel
    from sim.states import MemberState
    from sim.threats import Threat


class Adversary(Agent):
    """An outside power.

    Attributes:
        name: its name.
        config: its scenario entry.
        budget_usd_bn: its military spending a year (grows with the economy).
        tied_usd_bn: means tied up in its challenges still under way.
        challenges: challenges it has made, by target name.
    """

    def __init__(self, model: CollectiveDefenceModel, config: AdversaryConfig):
        super().__init__(model)
        self.name = config.name
        self.config = config
        self.budget_usd_bn = config.defence_budget_usd_bn
        self.tied_usd_bn = 0.0
        self.challenges: Counter[str] = Counter()
        self.stream = model.streams[f"adversary:{config.name}"]

    @property
    def means_usd_bn(self) -> float:
        """What it can bring to bear on the group, US$ bn a year."""
        return self.budget_usd_bn * self.config.reach

    @property
    def available_usd_bn(self) -> float:
        """Means not tied up in challenges under way."""
        return max(0.0, self.means_usd_bn - self.tied_usd_bn)

    def stakes(self, model: CollectiveDefenceModel) -> dict[MemberState, float]:
        """The members it may challenge now, with how much it cares about each: its
        declared targets, and members deployed against it, worth ``retaliation`` times the
        share of their military means they have committed against it."""
        out = {model.by_name[name]: stake for name, stake in self.config.targets.items()}
        if self.config.retaliation > 0:
            against: dict[MemberState, float] = {}
            for threat in model.active_threats():
                if threat.adversary is self:
                    for helper, d in threat.helpers.items():
                        against[helper] = against.get(helper, 0.0) + d.means["military"]
            for helper, means in against.items():
                have = helper.means("military")
                if helper not in out and means > 0 and have > 0:
                    out[helper] = self.config.retaliation * min(1.0, means / have)
        return out

    def reckon(
        self, model: CollectiveDefenceModel, target: MemberState, kind: str, record: float
    ) -> tuple[float, float, float]:
        """(means it would commit, its chance of success, its expected payoff) for a
        challenge of type ``kind`` against ``target``.

        Its chance of success is one minus the response strength it expects to meet (the
        target's free means of the right kind plus :func:`expected_help`, against the
        target's scale and the means it commits, as in :meth:`Threat.strength`). The payoff
        is that chance times the mode's gain, minus the mode's cost divided by its risk
        appetite. (The target's stake sets how often occasions arise, not the payoff.)
        """
        mode = self.config.modes[kind]
        cfg = model.config.threats[kind]
        force = mode.force * self.available_usd_bn
        means = target.available("military" if cfg.military else "civil")
        means += expected_help(model, target, kind, record)
        scale = target.half_strength_usd_bn + force
        success = scale / (means + scale)
        payoff = success * mode.gain - mode.cost / self.config.risk_appetite
        return force, success, payoff

    def choose(self, payoffs: list[float], u: float) -> int | None:
        """Which way of challenging it takes at an occasion (an index into ``payoffs``), or
        None to let it pass: a multinomial logit over not challenging (payoff 0) and every
        way open to it, with ``uncertainty`` as its scale (its reckoning is noisy), decided
        by the uniform draw ``u``."""
        scale = self.config.uncertainty
        weights = [math.exp(min(p / scale, 700.0)) for p in payoffs]
        total = 1.0 + sum(weights)
        edge = 1.0 / total  # the chance of letting the occasion pass
        if u < edge:
            return None
        for i, w in enumerate(weights):
            edge += w / total
            if u < edge:
                return i
        return len(weights) - 1

    def end_campaign(self, threat: Threat) -> None:
        """It stops pressing a challenge (or the challenge is over): its means are free
        again, and the threat, no longer sustained, winds down (:attr:`Threat.growth`)."""
        self.tied_usd_bn = max(0.0, self.tied_usd_bn - threat.force)
        threat.force = 0.0
        threat.sustained = False


def expected_help(
    model: CollectiveDefenceModel, target: MemberState, kind: str, record: float
) -> float:
    """The help (effective means, US$ bn a year) an outside power expects the group to send
    ``target`` against a challenge of type ``kind``: the group's free means of the kinds the
    rule allows, each times the type's effect for it and interoperability with the target,
    times how far the rule commits the group to act on that threat (:attr:`Terms.level`)
    and the group's record (:func:`rules.credibility`). Nothing for a former member."""
    if not target.is_member:
        return 0.0
    cfg = model.config.threats[kind]
    terms = rules.terms(model.rule, kind, cfg.internal_affair, kind == "aggression")
    level = terms.level
    if level == 0:
        return 0.0
    interop = model.relations.interoperability[target.index]
    effect = {
        "military": cfg.military_help_effect if "military" in terms.allowed_help else 0.0,
        "civil": cfg.non_military_help_effect if "non_military" in terms.allowed_help else 0.0,
    }
    total = 0.0
    for ally in model.current_members():
        if ally is target:
            continue
        means = effect["military"] * ally.available("military")
        means += effect["civil"] * ally.available("civil")
        total += means * (0.5 + 0.5 * interop[ally.index])
    return level * record * total


def challenge(model: CollectiveDefenceModel) -> None:
    """Every adversary, in scenario order, takes its occasions to challenge this step.

    For each target, ``opportunities_per_year`` times its stake occasions arrive a year
    (Poisson); at each the
    adversary reckons the payoff of every way of challenging (:meth:`Adversary.reckon`) and
    chooses one, or none (:meth:`Adversary.choose`). A
    challenge is a threat of that type at the target, sustained by the means the adversary
    ties up in it, and sized by the adversary's edge over the target alone.
    """
    rec = model.record
    years = model.months_per_step / 12.0
    record = rules.credibility(rec.total["help_given"], rec.total["help_refused"])
    growth = (1.0 + model.config.economy.gdp_growth_pct / 100.0) ** years
    for adversary in model.adversaries:
        rng = adversary.stream
        cfg = adversary.config
        for threat in model.active_threats():
            if threat.adversary is adversary and threat.sustained:
                months = cfg.modes[threat.kind].months
                if rng.random() < -math.expm1(-model.months_per_step / months):
                    adversary.end_campaign(threat)
                    rec.event("campaign ended", threat.host, partner=adversary, threat=threat)
        for target, stake in adversary.stakes(model).items():
            for _ in range(rng.poisson(cfg.opportunities_per_year * stake * years)):
                options = []
                for kind in cfg.modes:
                    force, success, payoff = adversary.reckon(model, target, kind, record)
                    if force > 0:
                        options.append((payoff, kind, force, success))
                chosen = adversary.choose([o[0] for o in options], rng.random())
                if chosen is None:
                    continue
                _, kind, force, success = options[chosen]
                tcfg = model.config.threats[kind]
                alone = target.available("military" if tcfg.military else "civil")
                scale = target.half_strength_usd_bn + force
                edge = scale / (alone + scale)  # its chance against the target alone
                size = rng.gamma(2.0, tcfg.initial_size / 2.0) * 2.0 * edge
                adversary.tied_usd_bn += force
                adversary.challenges[target.name] += 1
                target.challenged_by[adversary.name] += 1
                rec.count("challenges")
                if kind == "aggression":
                    rec.count("armed_challenges")
                elif kind == "coercion":
                    rec.count("grey_zone_challenges")
                threat = threats.spawn(model, kind, target, size, adversary=adversary, force=force)
                rec.event(
                    "challenged", target, partner=adversary, threat=threat,
                    detail=f"{kind}: expected success {success:.2f}",
                )  # fmt: skip
        adversary.budget_usd_bn *= growth  # its spending grows with the economy
