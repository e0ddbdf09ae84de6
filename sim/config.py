"""Scenario files: YAML -> validated, frozen :class:`Scenario`.

Loading runs in this order: read the YAML; merge the data files it names (``data:``
section, CSV paths relative to the scenario file) into ``members``, ``borders`` and members'
``exposure``; apply ``--set key=value`` overrides; fill the rule preset; validate everything.
Every failure raises :class:`ConfigError` with one line naming the file and the field.

Units: money in current US$ billion, defence spending in % of GDP, time in months, rates
"per month" unless a field says "per year"; trust, readiness and similar shares in [0, 1].
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim import outcomes, rules, shipped
from sim.policies import registry
from sim.recorder import COUNTERS, STATE

#: Bounds the model's arithmetic needs (docs/scenarios.md, "Limits"): far beyond any real
#: figure, they keep a typo like 1e308 from overflowing a run.
MAX_GDP_USD_BN = 1e6  # a thousand trillion US$: ten times the world's GDP
MAX_RATE = 1000.0  # threat arrivals per member per year (after exposure)
MAX_STEPS = 100_000  # steps of a run


def _name(value: str) -> str:
    if not value.strip():
        raise ValueError("a name needs at least one visible character")
    if not value.isprintable():
        raise ValueError(f"a name must not hold line breaks or control characters ({value!r})")
    return value


#: Names label tables and figures: some visible character, no line breaks, at most 200.
Name = Annotated[str, Field(max_length=200), AfterValidator(_name)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]
Months = Annotated[int, Field(ge=1)]

THREAT_TYPES = (
    "aggression",
    "coercion",
    "terrorism",
    "cyber_attack",
    "transnational_crime",
    "natural_disaster",
    "pandemic",
)


class ConfigError(Exception):
    """A scenario cannot be used; ``str(err)`` is one line naming the file and the field."""


class _FieldError(Exception):
    """Raised inside validators to report a precise location (not wrapped by pydantic)."""

    def __init__(self, loc: tuple[str | int, ...], msg: str):
        super().__init__(msg)
        self.loc = loc
        self.msg = msg


class _Config(BaseModel):
    # inf and nan are refused in every number: no arithmetic of the model survives them
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class ThreatTypeConfig(_Config):
    """One type of threat. A threat's size is measured against its host's own scale (see
    ``response.half_strength_pct_gdp``), so the same size means the same burden for a small
    and a large member; ``overt_size`` is the size at which everybody sees it.
    """

    rate: Annotated[float, Field(ge=0.0, le=MAX_RATE)] = 0.1  # arrivals per member per year
    # (Poisson), times exposure
    initial_size: Positive = 0.5  # mean size at emergence (gamma, shape 2); spill-overs: exact
    growth: Annotated[float, Field(gt=-1.0)] = 0.05  # size growth per month, before response
    max_size: Positive = 5.0  # size never exceeds this (exhaustion of the threat's means)
    overt_size: Positive = 1.0  # at this size the threat is evident: detected by its host
    resolved_below: Positive = 0.05  # below this size the threat is over
    detectability: NonNegative = 0.3  # detection hazard/month per unit capacity x size/overt_size
    spillover: Share = 0.02  # monthly chance to spread to a land neighbour when overt
    internal_affair: bool = False  # whether non-interference forbids others to touch it
    public_benefit: Share = 0.5  # share of the benefit of countering it that goes to others
    military: bool = True  # countered by military means (else by civil means)
    military_help_effect: NonNegative = 1.0  # effect of a US$ of allies' military means
    non_military_help_effect: NonNegative = 0.5  # effect of a US$ of allies' civil means
    damage_rate: NonNegative = 0.001  # host's annual GDP lost per month per unit size
    lifetime_months: Annotated[float, Field(ge=1.0, le=1200.0)] | None = None  # mean time
    # before it burns out and declines by itself (None: never); challenges by an outside
    # power last as long as the power presses them instead

    @model_validator(mode="after")
    def _sizes(self) -> ThreatTypeConfig:
        if self.resolved_below >= self.overt_size:
            raise ValueError("resolved_below must be smaller than overt_size")
        if self.overt_size > self.max_size:
            raise ValueError("overt_size must not exceed max_size")
        return self


#: Default threat catalogue; a scenario's ``threats:`` entries override it field by field.
#: Rates and damage are calibrated against the base rates in docs/VALIDATION.md.
DEFAULT_THREATS: dict[str, dict[str, Any]] = {
    # Armed attack across a border. Rare between members (Thailand-Cambodia 2008-2011 and
    # 2025 are ASEAN's cases); outside adversaries add their own challenges.
    "aggression": dict(
        rate=0.004, initial_size=1.0, growth=0.08, max_size=6.0, overt_size=1.0,
        detectability=0.5, spillover=0.01, internal_affair=False, public_benefit=0.8,
        military=True, military_help_effect=1.0, non_military_help_effect=0.2,
        damage_rate=0.004,
        lifetime_months=12.0,
    ),
    # Grey-zone pressure below the threshold of armed attack: coast-guard and militia
    # harassment, blockades of outposts. Only outside adversaries bring it (rate 0).
    "coercion": dict(
        rate=0.0, initial_size=0.5, growth=0.05, max_size=3.0, overt_size=0.3,
        detectability=1.0, spillover=0.0, internal_affair=False, public_benefit=0.5,
        military=True, military_help_effect=0.6, non_military_help_effect=0.4,
        damage_rate=0.0003,
        lifetime_months=None,
    ),
    "terrorism": dict(
        rate=0.3, initial_size=0.4, growth=0.05, max_size=3.0, overt_size=1.0,
        detectability=0.3, spillover=0.02, internal_affair=True, public_benefit=0.4,
        military=True, military_help_effect=0.6, non_military_help_effect=0.5,
        damage_rate=0.0006,
        lifetime_months=36.0,
    ),
    "cyber_attack": dict(
        rate=1.0, initial_size=0.3, growth=0.1, max_size=1.5, overt_size=1.0,
        detectability=0.2, spillover=0.04, internal_affair=False, public_benefit=0.5,
        military=False, military_help_effect=0.5, non_military_help_effect=0.8,
        damage_rate=0.0045,
        lifetime_months=6.0,
    ),
    "transnational_crime": dict(
        rate=0.4, initial_size=0.4, growth=0.03, max_size=3.0, overt_size=1.0,
        detectability=0.4, spillover=0.04, internal_affair=True, public_benefit=0.6,
        military=False, military_help_effect=0.8, non_military_help_effect=0.6,
        damage_rate=0.0003,
        lifetime_months=36.0,
    ),
    "natural_disaster": dict(
        rate=0.4, initial_size=2.0, growth=-0.25, max_size=6.0, overt_size=1.0,
        detectability=1.0, spillover=0.02, internal_affair=False, public_benefit=0.3,
        military=False, military_help_effect=0.8, non_military_help_effect=1.0,
        damage_rate=0.0018,
        lifetime_months=None,
    ),
    "pandemic": dict(
        rate=0.02, initial_size=0.3, growth=0.2, max_size=5.0, overt_size=1.5,
        detectability=0.3, spillover=0.15, internal_affair=False, public_benefit=0.9,
        military=False, military_help_effect=0.2, non_military_help_effect=1.0,
        damage_rate=0.004,
        lifetime_months=24.0,
    ),
}  # fmt: skip


class PolicyRef(_Config):
    """A policy by registered name or ``module:Class``, with its parameters."""

    name: str
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"name": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _resolve(self) -> PolicyRef:
        registry.make(self.name, self.params)  # raises PolicyError (a ValueError) if unusable
        return self


class PolicySpec(PolicyRef):
    """A member's policy: one for all decisions, optionally another for some decisions.

    ``policy: reciprocal`` uses Reciprocal for everything; ``policy: {name: reciprocal,
    respond: free_rider}`` uses FreeRider's ``request_help``/``respond`` and Reciprocal's rest.
    """

    share: PolicyRef | None = None
    exercise: PolicyRef | None = None
    respond: PolicyRef | None = None
    budget: PolicyRef | None = None
    vote: PolicyRef | None = None
    learn: PolicyRef | None = None

    def for_decision(self, decision: str) -> PolicyRef:
        """The policy that makes ``decision`` (one of ``share``, ``exercise``, ``respond``,
        ``budget``, ``vote``, ``learn``).
        """
        # model_construct: self is validated already, so its main policy needs no new check
        return getattr(self, decision) or PolicyRef.model_construct(
            name=self.name, params=self.params
        )


class MemberConfig(_Config):
    """A member state. Optional capacities left empty are derived (see docs/ODD.md)."""

    name: Name
    gdp_usd_bn: Annotated[float, Field(gt=0.0, le=MAX_GDP_USD_BN)]
    defence_pct_gdp: Annotated[float, Field(ge=0.0, le=100.0)]
    intel_capacity: Share | None = None
    resilience: Share | None = None
    readiness: Share | None = None
    exposure: dict[str, Annotated[float, Field(ge=0.0, le=MAX_RATE)]] = Field(
        default_factory=dict
    )  # threat type -> multiplier of its rate
    policy: PolicySpec | None = None  # None: the scenario's default_policy (or policy_mix)
    joins_month: Annotated[int, Field(ge=0)] | None = None  # outside the group until then
    sources: dict[str, str] = Field(default_factory=dict)  # provenance of the figures


class BorderConfig(_Config):
    """A shared land or sea border between two members."""

    between: tuple[str, str]
    kind: Literal["land", "sea"] = "land"
    source: str = ""


class PairConfig(_Config):
    """Starting trust and interoperability of one pair (symmetric), overriding the defaults."""

    between: tuple[str, str]
    trust: Share | None = None
    interoperability: Share | None = None


class RulesConfig(_Config):
    """The group's rule, knob by knob; ``preset`` fills every knob not given."""

    preset: str = "non_intervention"
    decision: Literal["none", "consensus", "majority", "coalition", "automatic"]
    requires_request: bool  # help only when the member hit asks (else also once overt)
    covered_threats: list[str] | Literal["all"]  # threat types the collective mechanism covers
    internal_affairs_off_limits: bool  # no collective help for a host's internal affairs
    allowed_help: list[Literal["military", "non_military"]]
    obligated: bool  # once the group acts, members who give nothing abandon the host
    mutual_defence: bool  # an outside power's armed attack on one is an attack on all
    intelligence_sharing: Literal["none", "bilateral", "subgroup", "pooled"]
    sharing_group: list[str] = Field(default_factory=list)  # members of the sub-group
    exercise_kinds: list[Literal["combat", "non_combat"]]
    withdrawal_allowed: bool

    @model_validator(mode="before")
    @classmethod
    def _fill_preset(cls, data: Any) -> Any:
        if isinstance(data, str):
            data = {"preset": data}
        if not isinstance(data, Mapping):
            return data
        name = data.get("preset", "non_intervention")
        if name not in rules.PRESETS:
            close = difflib.get_close_matches(str(name), list(rules.PRESETS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise _FieldError(
                ("rules", "preset"),
                f"unknown preset {name!r}{hint} (known: {', '.join(rules.PRESETS)})",
            )
        return {**rules.PRESETS[name], **data, "preset": name}

    def covers(self, threat_type: str) -> bool:
        """Whether the collective mechanism covers ``threat_type``."""
        return self.covered_threats == "all" or threat_type in self.covered_threats


class IntelligenceConfig(_Config):
    """Detection and intelligence sharing."""

    bilateral_trust: Share = 0.5  # 'bilateral' sharing needs mutual trust at least this high
    remote_reach: Share = 0.5  # a partner's sensing of a non-neighbour's threats, relative
    leak_probability: Share = 0.002  # chance per sharing link per month of a leak
    leak_trust_penalty: Share = 0.1  # trust the sharer loses in the leaker
    leak_compromise: Share = 0.3  # share of the sharer's detection lost when its sources leak
    compromise_recovery: Share = 0.05  # share of the loss recovered per month
    sharing_trust_gain: Share = 0.002  # share of the gap closed per month in a partner sharing


class ExercisesConfig(_Config):
    """Joint exercises, held on a schedule (ASEX, Cobra Gold...)."""

    interval_months: Months = 12
    kind: Literal["combat", "non_combat"] = "non_combat"  # downgraded if the rule forbids it
    cost_share: Share = 0.02  # each participant's cost, share of its annual defence budget
    readiness_gain: Share = 0.15  # share of the gap to full readiness closed
    interoperability_gain: Share = 0.08  # share of the gap closed, per participating pair
    trust_gain: Share = 0.03  # share of the gap closed, per participating pair


ProcedureMonths = Annotated[float, Field(ge=0.0, le=120.0)]


class DecisionMonths(_Config):
    """Months from a request to the group's decision, by procedure. A consensus waits for
    the next ministers' meeting or an extraordinary consultation, whichever comes first."""

    automatic: ProcedureMonths = 0.0
    coalition: ProcedureMonths = 1.0
    majority: ProcedureMonths = 1.0
    consensus: ProcedureMonths = 2.0  # the extraordinary consultation; a meeting may be sooner

    @model_validator(mode="after")
    def _order(self) -> DecisionMonths:
        if not self.automatic <= self.coalition <= self.majority <= self.consensus:
            raise ValueError(
                "procedures must not get faster as they need more agreement: "
                "automatic <= coalition <= majority <= consensus"
            )
        return self


class ResponseConfig(_Config):
    """Countering threats with finite means, procedures that take time, and what help does
    to relations. Means are in US$ bn a year (see docs/ODD.md, 7.9)."""

    counter_rate: Positive = 0.5  # size removed per month at full response strength
    half_strength_pct_gdp: Positive = 0.75  # means (% of the host's GDP a year) for strength 0.5
    horizon_months: Positive = 6  # hosts ask for help if their own means need longer
    decision_months: DecisionMonths = DecisionMonths()
    deploy_months: Annotated[float, Field(ge=0.0, le=120.0)] = 2.0  # to arrive with no interop.
    deployment_cost: NonNegative = 1.0  # extra cost a year per US$ of means deployed abroad
    help_trust_gain: Share = 0.05  # share of the gap closed in the host's trust in a helper
    abandonment_trust_penalty: Share = 0.15  # host's trust lost in an obligated non-helper
    reputation_penalty: Share = 0.03  # every other member's trust lost in that non-helper
    protracted_months: Months = 12  # deployments longer than this erode the helper's support
    protracted_trust_penalty: Share = 0.01  # helper's trust lost in the host per month beyond


class RelationsConfig(_Config):
    """Trust and interoperability between members, meetings, withdrawal."""

    initial_trust: Share = 0.5
    initial_interoperability: Share = 0.2
    pairs: list[PairConfig] = Field(default_factory=list)
    meeting_interval_months: Months = 12  # ministers' meetings (ADMM), months apart
    meeting_trust_gain: Share = 0.03  # share of the gap to full trust closed per meeting
    meeting_cost_usd_bn: NonNegative = 0.002  # each attending member's cost of a meeting
    withdrawal_threshold: Share = 0.2  # a member leaves when its trust in the group falls below


class EconomyConfig(_Config):
    """Economy, capability, readiness and civil means."""

    gdp_growth_pct: Annotated[float, Field(ge=-50.0, le=100.0)] = 3.0  # per year
    depreciation: Annotated[float, Field(gt=0.0, le=1.0)] = 0.1  # of capability, per year
    max_defence_pct_gdp: Annotated[float, Field(gt=0.0, le=100.0)] = 10.0
    max_budget_change_pct: NonNegative = 0.5  # percentage points of GDP per year at most
    initial_readiness: Share = 0.5
    readiness_floor: Share = 0.3  # readiness decays towards this without exercises
    readiness_decay: Share = 0.03  # share of the gap to the floor lost per month
    default_resilience: Share = 0.5
    civil_capacity_pct_gdp: NonNegative = 1.0  # civil means a year at full resilience, % of GDP
    damage_persistence: Share = 0.3  # share of damage that lowers the level of GDP for good


class ModeConfig(_Config):
    """How an outside power values one way of challenging a member (a threat type)."""

    gain: Positive = 0.3  # value of success
    cost: NonNegative = 1.0  # cost of challenging (escalation, sanctions, face), same units
    force: Share = 0.1  # share of its free means (not tied up elsewhere) one challenge ties up
    months: Annotated[float, Field(ge=1.0, le=1200.0)] = 12.0  # mean length of a campaign


#: Default modes by threat type; an adversary's ``modes:`` entries override them.
DEFAULT_MODES: dict[str, dict[str, float]] = {
    "aggression": dict(gain=1.0, cost=2.5, force=0.5, months=6.0),
    "coercion": dict(gain=0.45, cost=0.56, force=0.05, months=24.0),
    "cyber_attack": dict(gain=0.3, cost=0.47, force=0.02, months=3.0),
    "terrorism": dict(gain=0.2, cost=0.6, force=0.02, months=12.0),
}


class AdversaryConfig(_Config):
    """An outside power that may challenge members (docs/ODD.md, 7.3)."""

    name: Name
    defence_budget_usd_bn: Positive  # military spending a year (e.g. SIPRI)
    reach: Share = 0.2  # share of its means it can bring to bear on the group
    targets: dict[str, Positive]  # member -> stake: how often it seeks occasions against it
    modes: dict[str, ModeConfig] = Field(default_factory=dict)  # threat type -> how it values it
    opportunities_per_year: NonNegative = 2.0  # occasions a year against a target of stake 1
    risk_appetite: Positive = 1.0  # divides the cost of challenging: >1 is bolder
    uncertainty: Positive = 0.3  # noise in its reckoning (the logit's scale, in gain units)
    retaliation: NonNegative = 0.5  # stake of a member with all its forces deployed against it
    sources: dict[str, str] = Field(default_factory=dict)  # provenance of the figures

    @model_validator(mode="before")
    @classmethod
    def _default_modes(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        modes = data.get("modes", ["aggression", "coercion", "cyber_attack"])
        if isinstance(modes, list | tuple):
            modes = {m: {} for m in modes}
        if isinstance(modes, Mapping):
            modes = {
                k: {**DEFAULT_MODES.get(str(k), {}), **v} if isinstance(v, Mapping) else v
                for k, v in modes.items()
            }
        return {**data, "modes": modes}

    @property
    def means_usd_bn(self) -> float:
        """What it can bring to bear on the group a year."""
        return self.defence_budget_usd_bn * self.reach


TRIGGERS = ("armed_attack", "challenge", "damage", "abandonment", "entrapment")
Trigger = Literal["armed_attack", "challenge", "damage", "abandonment", "entrapment"]
Vote = Literal["consensus", "majority"]


class AmendmentConfig(_Config):
    """How the group may amend its rule (docs/ODD.md, 7.14). At each ministers' meeting, if a
    trigger has fired since the last one, the group votes on one notch along the spectrum of
    presets (or on the named ``knobs``, when tightening).

    Triggers: ``armed_attack``, an outside power's armed attack on a member that the group
    ruled out or declined to answer; ``challenge``, any such challenge; ``damage``, a member
    lost more than ``damage_pct_gdp`` of its GDP in 12 months; ``abandonment``, at least
    ``abandonments`` abandonments in 12 months; ``entrapment``, a member was entrapped.
    """

    tighten_on: list[Trigger] = Field(default_factory=lambda: ["armed_attack", "damage"])
    loosen_on: list[Trigger] = Field(default_factory=lambda: ["entrapment"])
    damage_pct_gdp: Positive = 3.0  # the 'damage' trigger: a member's loss in 12 months
    abandonments: Months = 3  # the 'abandonment' trigger: abandonments in 12 months
    knobs: dict[str, Any] = Field(default_factory=dict)  # tightening sets these knobs instead
    vote: Vote = "consensus"  # every member, or more than half, in favour
    cooldown_months: Months = 36  # after any proposal, before the next can be put

    @model_validator(mode="after")
    def _knobs(self) -> AmendmentConfig:
        for key in self.knobs:
            if key == "preset":
                raise _FieldError(
                    ("amendment", "knobs", key),
                    "the preset is not a knob: amendments without knobs move it one notch",
                )
            if key not in RulesConfig.model_fields:
                close = difflib.get_close_matches(key, list(RulesConfig.model_fields), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise _FieldError(("amendment", "knobs", key), f"unknown rule knob{hint}")
        both = set(self.tighten_on) & set(self.loosen_on)
        if both:
            raise ValueError(f"{sorted(both)[0]!r} cannot both tighten and loosen the rule")
        return self


class MembershipProposal(_Config):
    """A membership question put to the group at the first meeting from ``month``."""

    month: Annotated[int, Field(ge=0)]
    action: Literal["suspend", "readmit"]
    member: str


class MembershipConfig(_Config):
    """Suspension, readmission and rejoining (docs/ODD.md, 7.12)."""

    vote: Vote = "majority"  # of the other current members
    suspend_below_trust: Share | None = None  # proposed for suspension below the others' trust
    readmit_after_months: Months | None = None  # a suspended member is proposed again then
    rejoin_after_months: Months | None = None  # a member that left applies to rejoin then
    proposals: list[MembershipProposal] = Field(default_factory=list)  # scheduled questions


def check_finite(data: Any, loc: tuple[str | int, ...] = ()) -> None:
    """Raise at the first infinite or NaN number in nested data (YAML's ``.inf``, ``.nan``),
    naming where it is. Numbers read as text (a CSV's ``inf``) are refused by the fields'
    own validation (``allow_inf_nan=False``)."""
    stack = [(loc, data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            raise _FieldError(where or ("value",), f"{value} is not a finite number")
        if isinstance(value, Mapping):
            stack += [((*where, k), v) for k, v in value.items()]
        elif isinstance(value, list | tuple):
            stack += [((*where, i), v) for i, v in enumerate(value)]


#: Beyond these a run is far larger than any shipped scenario (the longest runs 120 months,
#: the largest has 200 members): worth a warning, as it may take long or much memory.
LONG_RUN_MONTHS = 2_400
LARGE_GROUP = 500


def scale_warnings(scenario: Scenario, steps: int | None = None) -> list[str]:
    """What makes a run far larger than the shipped scenarios (empty if nothing)."""
    out = []
    months = (steps or scenario.steps) * scenario.months_per_step
    if months > LONG_RUN_MONTHS:
        out.append(f"{months:,} months ({months / 12:,.0f} years) is far longer than the shipped "
                   f"scenarios (120 months): this run may take long")  # fmt: skip
    if len(scenario.members) > LARGE_GROUP:
        out.append(f"{len(scenario.members):,} members is far more than the shipped scenarios "
                   "(at most 200): a step grows with the square of the group")  # fmt: skip
    return out


def finite_error(data: Any) -> str | None:
    """Where nested data holds an infinite or NaN number, and what (None if nowhere)."""
    try:
        check_finite(data)
    except _FieldError as err:
        return f"{'.'.join(str(part) for part in err.loc)}: {err.msg}"
    return None


class OutcomeSpec(_Config):
    """A user's own outcome metric: ``module:function`` taking a run's tables (sim.outcomes),
    with what it measures and its unit for figures and reports."""

    function: str
    description: str = ""
    unit: str = ""


#: Columns of the per-step table a stop condition may name.
STEP_COLUMNS = ("month", *(s.column for s in (*COUNTERS, *STATE)))


class Scenario(_Config):
    """A complete, validated scenario: everything a run needs besides its seed."""

    name: str
    description: str = ""
    seed: Annotated[int, Field(ge=0, strict=True)] | None = None  # None: a fresh one, recorded
    steps: Annotated[int, Field(ge=1, le=MAX_STEPS, strict=True)] = 120  # not true, not "7"
    months_per_step: Months = 1
    members: list[MemberConfig] = Field(min_length=1)
    borders: list[BorderConfig] = Field(default_factory=list)
    threats: dict[str, ThreatTypeConfig] = Field(default_factory=dict)
    rules: RulesConfig = Field(default_factory=lambda: RulesConfig.model_validate({}))
    intelligence: IntelligenceConfig = IntelligenceConfig()
    exercises: ExercisesConfig = ExercisesConfig()
    response: ResponseConfig = ResponseConfig()
    relations: RelationsConfig = RelationsConfig()
    economy: EconomyConfig = EconomyConfig()
    adversaries: list[AdversaryConfig] = Field(default_factory=list)
    amendment: AmendmentConfig | None = None  # None: the rule never changes
    membership: MembershipConfig = MembershipConfig()
    default_policy: PolicySpec = PolicySpec(name="committed_ally")
    policy_mix: dict[str, Share] = Field(default_factory=dict)  # policy -> share of members
    outcomes: dict[str, OutcomeSpec] = Field(default_factory=dict)  # users' own (sim.outcomes)
    stop_when: str | None = None  # ends a run early: an expression on step columns, or a function

    @model_validator(mode="before")
    @classmethod
    def _finite(cls, data: Any) -> Any:
        """No infinite or NaN number anywhere, policy parameters included."""
        check_finite(data)
        return data

    @model_validator(mode="before")
    @classmethod
    def _outcome_shorthand(cls, data: Any) -> Any:
        """``name: module:function`` is short for ``name: {function: module:function}``."""
        if isinstance(data, Mapping) and isinstance(data.get("outcomes"), Mapping):
            given = data["outcomes"]
            full = {k: {"function": v} if isinstance(v, str) else v for k, v in given.items()}
            return {**data, "outcomes": full}
        return data

    @model_validator(mode="before")
    @classmethod
    def _default_threats(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        given = data.get("threats") or {}
        if not isinstance(given, Mapping):
            return data
        merged = {k: dict(v) for k, v in DEFAULT_THREATS.items()}
        for key, value in given.items():
            if key not in merged and isinstance(value, Mapping):
                missing = [f for f in ThreatTypeConfig.model_fields if f not in value]
                if missing:  # most likely a typo of a known type: do not invent a new one
                    close = difflib.get_close_matches(str(key), list(DEFAULT_THREATS), n=1)
                    hint = f"did you mean {close[0]!r}? " if close else ""
                    raise _FieldError(
                        ("threats", key),
                        f"unknown threat type; {hint}(a new type must set every field; "
                        f"missing: {', '.join(missing)})",
                    )
            merged[key] = {**merged.get(key, {}), **value} if isinstance(value, Mapping) else value
        return {**data, "threats": merged}

    @model_validator(mode="after")
    def _user_code(self) -> Scenario:
        for name, spec in self.outcomes.items():
            if not outcomes.NAME.match(name):
                raise _FieldError(("outcomes", name), "a name of letters, digits and _")
            try:
                outcomes.load_function(spec.function)
            except ValueError as err:
                raise _FieldError(("outcomes", name, "function"), str(err)) from None
        if self.stop_when is not None:
            try:
                outcomes.StopCondition(self.stop_when, STEP_COLUMNS)
            except ValueError as err:
                raise _FieldError(("stop_when",), str(err)) from None
        return self

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        names = [m.name for m in self.members]
        seen: set[str] = set()
        for i, name in enumerate(names):
            if name in seen:
                raise _FieldError(("members", i, "name"), f"duplicate member {name!r}")
            seen.add(name)
        for i, member in enumerate(self.members):
            for threat in member.exposure:
                _known(threat, self.threats, ("members", i, "exposure", threat), "threat type")
            for kind, threat in self.threats.items():
                rate = threat.rate * member.exposure.get(kind, 1.0)
                if rate > MAX_RATE:
                    raise _FieldError(
                        ("members", i, "exposure", kind),
                        f"rate x exposure is {rate:g} {kind} threats a year; at most {MAX_RATE:g}",
                    )
        pairs: set[frozenset[str]] = set()
        for i, border in enumerate(self.borders):
            for j, name in enumerate(border.between):
                _known(name, names, ("borders", i, "between", j), "border partner")
            if border.between[0] == border.between[1]:
                raise _FieldError(("borders", i, "between"), "a member cannot border itself")
            pair = frozenset(border.between)
            if pair in pairs:
                raise _FieldError(("borders", i, "between"), "this border is listed twice")
            pairs.add(pair)
        for i, pair in enumerate(self.relations.pairs):
            for j, name in enumerate(pair.between):
                _known(name, names, ("relations", "pairs", i, "between", j), "member")
        _check_rule(self.rules, names, self.threats, ("rules",))
        adversaries: set[str] = set()
        for i, adversary in enumerate(self.adversaries):
            if adversary.name in adversaries or adversary.name in seen:
                raise _FieldError(
                    ("adversaries", i, "name"), f"{adversary.name!r} is already a name here"
                )
            adversaries.add(adversary.name)
            for name in adversary.targets:
                _known(name, names, ("adversaries", i, "targets", name), "member")
            for kind in adversary.modes:
                _known(kind, self.threats, ("adversaries", i, "modes", kind), "threat type")
        for i, proposal in enumerate(self.membership.proposals):
            _known(proposal.member, names, ("membership", "proposals", i, "member"), "member")
        if self.amendment is not None and self.amendment.knobs:
            try:
                amended = RulesConfig.model_validate(
                    {**self.rules.model_dump(), **self.amendment.knobs}
                )
            except ValidationError as err:
                first = err.errors(include_url=False)[0]
                where = ("amendment", "knobs", *[p for p in first["loc"] if p != "rules"])
                raise _FieldError(where, first["msg"].removeprefix("Value error, ")) from None
            _check_rule(amended, names, self.threats, ("amendment", "knobs"))
        for name in self.policy_mix:
            try:
                registry.resolve(name)
            except registry.PolicyError as err:
                raise _FieldError(("policy_mix", name), str(err)) from None
        if sum(self.policy_mix.values()) > 1.0 + 1e-9:
            raise _FieldError(("policy_mix",), "shares add up to more than 1")
        return self

    @property
    def member_names(self) -> list[str]:
        """Member names in file order (the order of agents and matrices)."""
        return [m.name for m in self.members]


def _check_rule(
    rule: RulesConfig, names: list[str], threats: Mapping[str, Any], loc: tuple[str, ...]
) -> None:
    """A rule's references: covered threat types and the sharing group's members exist, and
    'subgroup' sharing has a group."""
    if rule.covered_threats != "all":
        for i, threat in enumerate(rule.covered_threats):
            _known(threat, threats, (*loc, "covered_threats", i), "threat type")
    for i, name in enumerate(rule.sharing_group):
        _known(name, names, (*loc, "sharing_group", i), "member")
    if rule.intelligence_sharing == "subgroup" and not rule.sharing_group:
        raise _FieldError(
            (*loc, "sharing_group"), "'subgroup' sharing needs a non-empty sharing_group"
        )


def _known(name: str, known: Iterable[str], loc: tuple[str | int, ...], what: str) -> None:
    known = list(known)
    if name not in known:
        close = difflib.get_close_matches(str(name), known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise _FieldError(loc, f"unknown {what} {name!r}{hint}")


# --------------------------------------------------------------------------- loading


def load_scenario(path: str | Path, overrides: Iterable[str] = ()) -> Scenario:
    """Read, merge, override and validate a scenario file.

    Args:
        path: the YAML file.
        overrides: ``key=value`` strings; keys are dotted paths (``rules.decision``,
            ``threats.aggression.rate``, ``members.Laos.policy`` or ``members.3.policy``),
            values are parsed as YAML.

    Raises:
        ConfigError: one line naming the file and the field.
    """
    path = shipped.locate(path)
    raw = read_yaml(path)
    add_import_paths(path.parent)
    return from_mapping(raw, overrides, path.parent, str(path))


#: Input files larger than this are refused before they are read (bytes): the largest
#: shipped file is a few kB; a generated scenario of a thousand members is under 1 MB.
MAX_FILE_BYTES = 10_000_000
#: YAML nested deeper than this is refused before it is built (the deepest shipped file
#: nests 5 levels).
MAX_DEPTH = 50


def read_text(path: Path) -> str:
    """An input file's text: UTF-8, with or without a byte-order mark, at most
    :data:`MAX_FILE_BYTES` (ConfigError naming the file otherwise)."""
    label = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ConfigError(
                f"{label}: {size / 1e6:.1f} MB is larger than the {MAX_FILE_BYTES // 1_000_000} "
                "MB an input file may be"
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{label}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{label}: a folder, not a file") from None
    except OSError as err:
        raise ConfigError(f"{label}: cannot read ({err.strerror})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        byte = data[err.start : err.start + 1]
        raise ConfigError(
            f"{label}: not a UTF-8 text file (byte {err.start}: {byte!r}); save it as UTF-8"
        ) from None
    if "\x00" in text:
        raise ConfigError(f"{label}: not a text file (it holds NUL bytes)")
    return text


def parse_yaml(text: str, label: str) -> Any:
    """YAML text as Python data; nesting deeper than :data:`MAX_DEPTH` is refused before
    anything is built (ConfigError naming the file and line)."""
    try:
        depth = 0
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    line = event.start_mark.line + 1
                    raise ConfigError(f"{label}:{line}: nested deeper than {MAX_DEPTH} levels")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ConfigError(f"{label}{where}: malformed YAML: {problem}") from None


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML file's top-level mapping (raises ConfigError naming the file and line)."""
    label = str(path)
    raw = parse_yaml(read_text(path), label)
    if not isinstance(raw, dict):
        raise ConfigError(f"{label}: expected a mapping of settings at the top level")
    return raw


def from_mapping(
    raw: Mapping[str, Any],
    overrides: Iterable[str] = (),
    folder: Path | None = None,
    label: str = "<scenario>",
) -> Scenario:
    """Override, merge the data files (relative to ``folder``, default the working
    directory) and validate a scenario mapping. Overrides of ``data`` come first, so that
    they choose the files merged; the others apply to the merged scenario.
    """
    folder = folder if folder is not None else Path.cwd()
    overrides = list(overrides)
    early = [o for o in overrides if o.strip().split("=", 1)[0].split(".")[0] == "data"]
    try:
        raw = apply_overrides(raw, early)
        raw = merge_data_files(raw, folder)
        raw = apply_overrides(raw, [o for o in overrides if o not in early])
    except _FieldError as err:
        raise ConfigError(f"{label}: {format_loc(err.loc)}: {err.msg}") from None
    return validate(raw, label)


def validate(raw: Mapping[str, Any], label: str = "<scenario>") -> Scenario:
    """Validate an already merged scenario mapping (raises :class:`ConfigError`)."""
    try:
        return Scenario.model_validate(raw)
    except _FieldError as err:
        raise ConfigError(f"{label}: {format_loc(err.loc, raw)}: {err.msg}") from None
    except ValidationError as err:
        raise ConfigError(describe_error(err, raw, label)) from None


def describe_error(err: ValidationError, raw: Mapping[str, Any], label: str) -> str:
    """Every validation error, one ``label: location: message`` line each."""
    lines = [f"{label}: {line}" for line in _error_lines(err, raw)]
    return "\n".join(dict.fromkeys(lines))


def _error_lines(err: ValidationError, raw: Mapping[str, Any]) -> list[str]:
    out = []
    for error in err.errors(include_url=False):
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
        kind = error["type"]
        if kind == "extra_forbidden":
            field = loc[-1]
            others = [name for name in _FIELD_NAMES if name != field]
            close = difflib.get_close_matches(str(field), others, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            where = format_loc(loc[:-1], raw)
            msg = f"unknown field {field!r}{hint}"
            out.append(f"{where}: {msg}" if where else msg)
            continue
        msg = error["msg"].removeprefix("Value error, ")
        if kind == "missing":
            msg = "required field is missing"
        elif "input" in error and kind not in ("value_error", "assertion_error"):
            shown = repr(error["input"])
            msg = f"{msg} (got {shown[:60]})"
        where = format_loc(loc, raw)
        out.append(f"{where}: {msg}" if where else msg)
    return out


def format_loc(loc: Iterable[str | int], raw: Mapping[str, Any] | None = None) -> str:
    """``('members', 3, 'policy')`` -> ``members[3] (Laos).policy``."""
    out = ""
    node: Any = raw
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            name = node.get("name") if isinstance(node, Mapping) else None
            if isinstance(name, str) and name.strip() and name.isprintable():
                out += f" ({name})"
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, Mapping) else None
    return out


def _all_field_names() -> list[str]:
    names: set[str] = set()
    for model in _Config.__subclasses__() + [PolicySpec]:
        names.update(model.model_fields)
    return sorted(names)


def add_import_paths(folder: Path) -> None:
    """Let scenarios name policies in ``module:Class`` form from their own folder or cwd."""
    for entry in (str(folder.resolve()), str(Path.cwd())):
        if entry not in sys.path:
            sys.path.append(entry)


# --------------------------------------------------------------------------- data files

_MEMBER_NUMBERS = ("gdp_usd_bn", "defence_pct_gdp", "intel_capacity", "resilience", "readiness")


def merge_data_files(raw: Mapping[str, Any], folder: Path) -> dict[str, Any]:
    """Merge the data files named under ``data:`` into members, borders, exposure and
    adversaries.

    ``data.members``: one row per member (columns ``name``, ``gdp_usd_bn``,
    ``defence_pct_gdp``, optional capacities; any other column is kept as provenance in
    ``sources``). ``data.borders``: ``a,b,kind,source``. ``data.exposure``:
    ``name,threat,multiplier``. ``data.adversaries``: a YAML file with a list of adversaries
    (put before those written in the scenario). Members listed in the YAML itself override
    the file's fields.
    """
    raw = dict(raw)
    data = raw.pop("data", None)
    if data is None:
        return raw
    if not isinstance(data, Mapping):
        raise _FieldError(
            ("data",), "expected a mapping with members/borders/exposure/adversaries files"
        )
    unknown = set(data) - {"members", "borders", "exposure", "adversaries"}
    if unknown:
        raise _FieldError(("data", sorted(unknown)[0]), "unknown data file kind")
    members: list[dict[str, Any]] = []
    if "members" in data:
        for row in _read_csv(folder, data["members"], ("data", "members"), ("name",)):
            member: dict[str, Any] = {"name": row.pop("name"), "sources": {}}
            for key, value in row.items():
                if key in _MEMBER_NUMBERS:
                    if value != "":
                        member[key] = value
                elif value != "":
                    member["sources"][key] = value
            members.append(member)
    # Members written in the YAML extend the file's rows (same name) or add new members.
    inline = raw.get("members") or []
    if members and isinstance(inline, list):
        by_name = {m["name"]: m for m in members}
        for i, entry in enumerate(inline):
            if isinstance(entry, Mapping) and entry.get("name") in by_name:
                target = by_name[entry["name"]]
                for key, value in entry.items():
                    if key == "exposure" and isinstance(value, Mapping):
                        target.setdefault("exposure", {}).update(value)
                    else:
                        target[key] = value
            elif isinstance(entry, Mapping) and "gdp_usd_bn" not in entry:
                _known(str(entry.get("name")), by_name, ("members", i, "name"), "member")
            else:
                members.append(dict(entry))
        raw["members"] = members
    elif members:
        raw["members"] = members
    if "exposure" in data:
        listed = raw.get("members") if isinstance(raw.get("members"), list) else []
        by_name = {m.get("name"): m for m in listed if isinstance(m, dict)}
        rows = _read_csv(
            folder, data["exposure"], ("data", "exposure"), ("name", "threat", "multiplier")
        )
        for i, row in enumerate(rows):
            if row["name"] not in by_name:
                where = ("data", "exposure", f"row {i + 2}", "name")
                _known(row["name"], [n for n in by_name if isinstance(n, str)], where, "member")
            member = by_name[row["name"]]
            if member.get("exposure") is None:
                member["exposure"] = {}
            if isinstance(member["exposure"], dict):  # else validation reports the YAML's value
                member["exposure"].setdefault(row["threat"], row["multiplier"])  # YAML wins
    if "adversaries" in data:
        listed = _read_yaml_list(folder, data["adversaries"], ("data", "adversaries"))
        raw["adversaries"] = listed + list(raw.get("adversaries") or [])
    if "borders" in data:
        rows = _read_csv(folder, data["borders"], ("data", "borders"), ("a", "b", "kind"))
        borders = [
            {"between": [r["a"], r["b"]], "kind": r["kind"], "source": r.get("source", "")}
            for r in rows
        ]
        raw["borders"] = borders + list(raw.get("borders") or [])
    return raw


def _read_yaml_list(folder: Path, name: Any, loc: tuple[str, ...]) -> list[Any]:
    """A YAML data file holding a list (e.g. of adversaries), relative to ``folder``."""
    if not isinstance(name, str):
        raise _FieldError(loc, "expected a YAML file path")
    path = folder / name
    try:
        data = parse_yaml(read_text(path), str(path))
    except ConfigError as err:
        raise _FieldError(loc, str(err)) from None
    if not isinstance(data, list):
        raise _FieldError(loc, f"{path.name}: expected a list")
    return data


def _read_csv(
    folder: Path, name: Any, loc: tuple[str, ...], required: tuple[str, ...]
) -> list[dict[str, str]]:
    if not isinstance(name, str):
        raise _FieldError(loc, "expected a CSV file path")
    path = folder / name
    try:
        reader = csv.reader(io.StringIO(read_text(path), newline=""))
        lines = list(reader)
    except ConfigError as err:
        raise _FieldError(loc, str(err)) from None
    except csv.Error as err:
        raise _FieldError(loc, f"cannot read {str(path)!r}: {err}") from None
    if not lines:
        raise _FieldError(loc, f"{path.name}: empty (expected a header row)")
    header = [h.strip() for h in lines[0]]
    rows = []
    for number, cells in enumerate(lines[1:], start=2):
        if not any(c.strip() for c in cells):
            continue  # a blank line
        if len(cells) != len(header):
            raise _FieldError(
                loc, f"{path.name} row {number}: {len(cells)} cells, the header has {len(header)}"
            )
        rows.append({k: v.strip() for k, v in zip(header, cells, strict=True)})
    for i, row in enumerate(rows):
        for column in required:
            if not row.get(column):
                raise _FieldError(loc, f"{path.name} row {i + 2}: column {column!r} is empty")
    return rows


# --------------------------------------------------------------------------- overrides


def override_text(key: str, value: Any) -> str:
    """A ``key=value`` override carrying a Python value as YAML (mapping order kept: it
    matters, e.g. for ties in ``policy_mix``)."""
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=1_000_000)
    text = text.strip().removesuffix("...").strip()
    return f"{key}={text}"


def apply_overrides(raw: Mapping[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """Apply ``key=value`` overrides to a raw scenario mapping (a deep copy is returned).

    List items are addressed by index or, for lists of named entries such as ``members``,
    by name. A ``null`` value removes the key, so the default (or the rule preset) applies.
    A policy written as a bare name becomes ``{name: ...}`` when a key below it is set, so
    ``members.Laos.policy.params.effort=0.2`` works on ``policy: reciprocal``.
    """
    import copy

    out = copy.deepcopy(dict(raw))
    for item in overrides:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise _FieldError(("--set",), f"expected key=value, got {item!r}")
        try:
            value = yaml.safe_load(text) if text.strip() else None
        except yaml.YAMLError:
            value = text
        parts = key.split(".")
        node: Any = out
        for depth, part in enumerate(parts[:-1]):
            node = _descend(node, part, parts[: depth + 1], parts[depth + 1])
        _assign(node, parts[-1], value, parts)
    return out


def _descend(node: Any, part: str, path: list[str], next_part: str) -> Any:
    if isinstance(node, list):
        index = _index(node, part, path)
        if isinstance(node[index], str):
            node[index] = {"name": node[index]}
        return node[index]
    if not isinstance(node, dict):
        raise _FieldError(tuple(path), "cannot set a key below a plain value")
    child = node.get(part)
    if child is None:
        child = [] if next_part.isdigit() else {}
        node[part] = child
    elif isinstance(child, str):
        child = node[part] = {"preset" if part == "rules" else "name": child}
    return child


def _assign(node: Any, part: str, value: Any, path: list[str]) -> None:
    if isinstance(node, list):
        node[_index(node, part, path)] = value
    elif isinstance(node, dict):
        if value is None:
            node.pop(part, None)  # null: back to the default (or the rule preset's value)
        else:
            node[part] = value
    else:
        raise _FieldError(tuple(path), "cannot set a key below a plain value")


def _index(node: list[Any], part: str, path: list[str]) -> int:
    if part.lstrip("-").isdigit():
        index = int(part)
        if not -len(node) <= index < len(node):
            raise _FieldError(tuple(path), f"index {index} out of range (length {len(node)})")
        return index
    names = [e.get("name") for e in node if isinstance(e, Mapping)]
    if part in names:
        return names.index(part)
    _known(part, [n for n in names if isinstance(n, str)], tuple(path), "entry")
    raise AssertionError  # unreachable: _known raised


_FIELD_NAMES = _all_field_names()
