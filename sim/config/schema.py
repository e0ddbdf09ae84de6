"""The scenario schema: every field of a scenario, its type, range and default, as pydantic
models; a validated :class:`Scenario` is frozen.

Units: money in current US$ billion, defence spending in % of GDP, time in months, rates
"per month" unless a field says "per year"; trust, readiness and similar shares in [0, 1].
Lists of allowed values come from :mod:`sim.vocabulary`, rule presets from
:mod:`sim.presets`. Reading files is :mod:`sim.config.loading`'s business, ``--set``
:mod:`sim.config.overrides`'.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim import outcomes, presets
from sim.errors import InputError
from sim.policies import registry
from sim.recorder import COUNTERS, STATE
from sim.vocabulary import ExerciseKind, Help, Procedure, Share, Sharing, Trigger, Vote

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


class ConfigError(InputError):
    """A scenario or experiment cannot be used; ``str(err)`` names the file and the field,
    one problem per line."""


class FieldError(Exception):
    """A problem at a precise location of a scenario, raised inside validators and loaders
    (pydantic does not wrap it) and turned into a :class:`ConfigError` naming the file."""

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
    # Where its capital is (decimal degrees, WGS84), both or neither: only figures use it
    capital_lat: Annotated[float, Field(ge=-90.0, le=90.0)] | None = None
    capital_lon: Annotated[float, Field(ge=-180.0, le=180.0)] | None = None

    @model_validator(mode="after")
    def _capital_both_or_neither(self) -> MemberConfig:
        if (self.capital_lat is None) != (self.capital_lon is None):
            given, missing = (
                ("capital_lat", "capital_lon")
                if self.capital_lon is None
                else ("capital_lon", "capital_lat")
            )
            raise ValueError(f"{missing} is missing: give it with {given}, or neither")
        return self


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
    decision: Procedure
    requires_request: bool  # help only when the member hit asks (else also once overt)
    covered_threats: list[str] | Literal["all"]  # threat types the collective mechanism covers
    internal_affairs_off_limits: bool  # no collective help for a host's internal affairs
    allowed_help: list[Help]
    obligated: bool  # once the group acts, members who give nothing abandon the host
    mutual_defence: bool  # an outside power's armed attack on one is an attack on all
    intelligence_sharing: Sharing
    sharing_group: list[str] = Field(default_factory=list)  # members of the sub-group
    exercise_kinds: list[ExerciseKind]
    withdrawal_allowed: bool

    @model_validator(mode="before")
    @classmethod
    def _fill_preset(cls, data: Any) -> Any:
        if isinstance(data, str):
            data = {"preset": data}
        if not isinstance(data, Mapping):
            return data
        name = data.get("preset", "non_intervention")
        if name not in presets.PRESETS:
            close = difflib.get_close_matches(str(name), list(presets.PRESETS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise FieldError(
                ("rules", "preset"),
                f"unknown preset {name!r}{hint} (known: {', '.join(presets.PRESETS)})",
            )
        return {**presets.PRESETS[name], **data, "preset": name}

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
    kind: ExerciseKind = "non_combat"  # downgraded if the rule forbids it
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
                raise FieldError(
                    ("amendment", "knobs", key),
                    "the preset is not a knob: amendments without knobs move it one notch",
                )
            if key not in RulesConfig.model_fields:
                close = difflib.get_close_matches(key, list(RulesConfig.model_fields), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise FieldError(("amendment", "knobs", key), f"unknown rule knob{hint}")
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
            raise FieldError(where or ("value",), f"{value} is not a finite number")
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
    except FieldError as err:
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
                    raise FieldError(
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
                raise FieldError(("outcomes", name), "a name of letters, digits and _")
            try:
                outcomes.load_function(spec.function)
            except ValueError as err:
                raise FieldError(("outcomes", name, "function"), str(err)) from None
        if self.stop_when is not None:
            try:
                outcomes.StopCondition(self.stop_when, STEP_COLUMNS)
            except ValueError as err:
                raise FieldError(("stop_when",), str(err)) from None
        return self

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        names = [m.name for m in self.members]
        seen: set[str] = set()
        for i, name in enumerate(names):
            if name in seen:
                raise FieldError(("members", i, "name"), f"duplicate member {name!r}")
            seen.add(name)
        for i, member in enumerate(self.members):
            for threat in member.exposure:
                check_known(threat, self.threats, ("members", i, "exposure", threat), "threat type")
            for kind, threat in self.threats.items():
                rate = threat.rate * member.exposure.get(kind, 1.0)
                if rate > MAX_RATE:
                    raise FieldError(
                        ("members", i, "exposure", kind),
                        f"rate x exposure is {rate:g} {kind} threats a year; at most {MAX_RATE:g}",
                    )
        pairs: set[frozenset[str]] = set()
        for i, border in enumerate(self.borders):
            for j, name in enumerate(border.between):
                check_known(name, names, ("borders", i, "between", j), "border partner")
            if border.between[0] == border.between[1]:
                raise FieldError(("borders", i, "between"), "a member cannot border itself")
            pair = frozenset(border.between)
            if pair in pairs:
                raise FieldError(("borders", i, "between"), "this border is listed twice")
            pairs.add(pair)
        for i, pair in enumerate(self.relations.pairs):
            for j, name in enumerate(pair.between):
                check_known(name, names, ("relations", "pairs", i, "between", j), "member")
        _check_rule(self.rules, names, self.threats, ("rules",))
        adversaries: set[str] = set()
        for i, adversary in enumerate(self.adversaries):
            if adversary.name in adversaries or adversary.name in seen:
                raise FieldError(
                    ("adversaries", i, "name"), f"{adversary.name!r} is already a name here"
                )
            adversaries.add(adversary.name)
            for name in adversary.targets:
                check_known(name, names, ("adversaries", i, "targets", name), "member")
            for kind in adversary.modes:
                check_known(kind, self.threats, ("adversaries", i, "modes", kind), "threat type")
        for i, proposal in enumerate(self.membership.proposals):
            check_known(proposal.member, names, ("membership", "proposals", i, "member"), "member")
        if self.amendment is not None and self.amendment.knobs:
            try:
                amended = RulesConfig.model_validate(
                    {**self.rules.model_dump(), **self.amendment.knobs}
                )
            except ValidationError as err:
                first = err.errors(include_url=False)[0]
                where = ("amendment", "knobs", *[p for p in first["loc"] if p != "rules"])
                raise FieldError(where, first["msg"].removeprefix("Value error, ")) from None
            _check_rule(amended, names, self.threats, ("amendment", "knobs"))
        for name in self.policy_mix:
            try:
                registry.resolve(name)
            except registry.PolicyError as err:
                raise FieldError(("policy_mix", name), str(err)) from None
        if sum(self.policy_mix.values()) > 1.0 + 1e-9:
            raise FieldError(("policy_mix",), "shares add up to more than 1")
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
            check_known(threat, threats, (*loc, "covered_threats", i), "threat type")
    for i, name in enumerate(rule.sharing_group):
        check_known(name, names, (*loc, "sharing_group", i), "member")
    if rule.intelligence_sharing == "subgroup" and not rule.sharing_group:
        raise FieldError(
            (*loc, "sharing_group"), "'subgroup' sharing needs a non-empty sharing_group"
        )


def check_known(name: str, known: Iterable[str], loc: tuple[str | int, ...], what: str) -> None:
    """Raise FieldError at ``loc`` unless ``name`` is one of ``known`` (with a suggestion)."""
    known = list(known)
    if name not in known:
        close = difflib.get_close_matches(str(name), known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise FieldError(loc, f"unknown {what} {name!r}{hint}")


def field_names() -> list[str]:
    """Every field name of every part of a scenario (for did-you-mean suggestions)."""
    names: set[str] = set()
    for model in _Config.__subclasses__() + [PolicySpec]:
        names.update(model.model_fields)
    return sorted(names)
