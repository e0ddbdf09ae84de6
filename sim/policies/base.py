"""The policy interface: what a member state decides, and what it may know when it does.

A policy makes six kinds of decision, one method each (a small interface per decision):

=================  =========================  ==========================================
decision           method(s)                  returns
=================  =========================  ==========================================
share              ``share(ctx)``             bool: pass this month's intelligence to
                                              ``ctx.partner``
exercise           ``join_exercise(ctx)``     bool: take part in the scheduled exercise
respond            ``request_help(ctx)``      bool: ask the group for help with a threat
                   ``respond(ctx)``           :class:`Contribution` to another's threat
budget             ``set_budget(ctx)``        float: next year's defence spending, % GDP
vote               ``vote(ctx)``              bool: for an amendment of the rule, or a
                                              member's suspension or admission
learn              ``learn(ctx)``             the member's new memory, or None to keep it
=================  =========================  ==========================================

Every method receives a frozen *context*: a read-only snapshot of what the deciding state may
know, never the model itself, plus ``ctx.rng``, the state's own random generator. A policy
must draw randomness only from ``ctx.rng`` and must not keep references to contexts.

A policy is a frozen dataclass: its fields are its parameters, set from a scenario file, and
it keeps no state of its own. What a member learns lives in its *memory*, plain data (a
mapping of names to numbers, text, lists and mappings) that the model keeps for it: every
decision sees it as ``ctx.me.memory``, and once a year ``learn`` may return a new one. The
base class gives each decision a neutral default, so a policy overrides only what it changes.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from pydantic import TypeAdapter, ValidationError

from sim.vocabulary import PctGdp, Share, between  # noqa: F401  (the policies' names for them)

DECISIONS = ("share", "exercise", "respond", "budget", "vote", "learn")

#: The methods of each decision (every one takes one argument, the context).
DECISION_METHODS: dict[str, tuple[str, ...]] = {
    "share": ("share",),
    "exercise": ("join_exercise",),
    "respond": ("request_help", "respond"),
    "budget": ("set_budget",),
    "vote": ("vote",),
    "learn": ("learn",),
}


@dataclass(frozen=True)
class Contribution:
    """A member's answer to a request for help.

    Attributes:
        support: its vote for collective action (a consensus needs every vote).
        military: share of its available military power committed, in [0, 1].
        non_military: share of its civil capacity (relief, medical, information) committed,
            in [0, 1].
    """

    support: bool
    military: float = 0.0
    non_military: float = 0.0

    def __post_init__(self) -> None:
        for name in ("military", "non_military"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
                raise ValueError(f"Contribution.{name} must be in [0, 1], got {value!r}")

    @property
    def total(self) -> float:
        """Military plus non-military effort."""
        return self.military + self.non_military


#: Vote against collective action and give nothing (a veto under consensus).
NO_HELP = Contribution(support=False)
#: Let the group act, but give nothing oneself.
STAND_ASIDE = Contribution(support=True)


class ByName(Mapping[str, float]):
    """A read-only mapping from other members' names to values (trust, interoperability),
    backed by a snapshot of one row of the model's matrix: built in constant time, looked
    up like a dict (``dict(view.trust)`` or ``view.trust.copy()`` gives a plain one).
    ``index`` maps every current member's name to its column; ``me`` is left out."""

    __slots__ = ("_index", "_row", "_me")

    def __init__(self, index: Mapping[str, int], row: np.ndarray, me: str):
        self._index = index
        self._row = row
        self._me = me

    def __getitem__(self, name: str) -> float:
        if name == self._me:
            raise KeyError(name)
        return float(self._row[self._index[name]])

    def __iter__(self):
        return (name for name in self._index if name != self._me)

    def __len__(self) -> int:
        return len(self._index) - (self._me in self._index)

    def __repr__(self) -> str:
        return f"ByName({dict(self)!r})"

    def __reduce__(self):  # pickles as the plain dict it stands for
        return (dict, (dict(self),))

    def copy(self) -> dict[str, float]:
        """A plain dict of the same items."""
        return dict(self)

    def __or__(self, other: Mapping[str, float]) -> dict[str, float]:
        return {**self, **other}

    def __ror__(self, other: Mapping[str, float]) -> dict[str, float]:
        return {**other, **self}


class NameSet(AbstractSet[str]):
    """A read-only set of member names, backed by a boolean mask over all states (e.g.
    who shared with a member last month): built in constant time, used like a frozenset
    (``in``, ``==``, ``&``, ``|``, ``-``, ``union``, ``issubset``... give frozensets).
    ``names`` lists every state's name in index order."""

    __slots__ = ("_names", "_index", "_mask")

    def __init__(self, names: Sequence[str], index: Mapping[str, int], mask: np.ndarray):
        self._names = names
        self._index = index
        self._mask = mask

    def __contains__(self, name: object) -> bool:
        k = self._index.get(name)  # type: ignore[call-overload]
        return k is not None and bool(self._mask[k])

    def __iter__(self):
        return (self._names[k] for k in np.flatnonzero(self._mask))

    def __len__(self) -> int:
        return int(np.count_nonzero(self._mask))

    def __repr__(self) -> str:
        return f"NameSet({set(self)!r})"

    def __reduce__(self):  # pickles as the frozenset it stands for
        return (frozenset, (frozenset(self),))

    @classmethod
    def _from_iterable(cls, names):  # results of &, |, -, ^ are plain frozensets
        return frozenset(names)

    __hash__ = AbstractSet._hash

    def union(self, *others) -> frozenset[str]:
        return frozenset(self).union(*others)

    def intersection(self, *others) -> frozenset[str]:
        return frozenset(self).intersection(*others)

    def difference(self, *others) -> frozenset[str]:
        return frozenset(self).difference(*others)

    def symmetric_difference(self, other) -> frozenset[str]:
        return frozenset(self).symmetric_difference(other)

    def issubset(self, other) -> bool:
        return frozenset(self).issubset(other)

    def issuperset(self, other) -> bool:
        return frozenset(self).issuperset(other)

    def copy(self) -> frozenset[str]:
        return frozenset(self)


@dataclass(frozen=True)
class SelfView:
    """What a member knows about itself and its partners (all by member name).

    Attributes:
        name: the member's name.
        month: months elapsed since the start of the run.
        months_per_step: length of a time step, months.
        gdp_usd_bn: GDP, current US$ billion.
        defence_pct_gdp: defence spending this year, % of GDP.
        capability_usd_bn: accumulated military capability (capital stock), US$ billion.
        military_strength: the strength its ready forces give it against a threat at home,
            in [0, 1) (0.5 when they match ``response.half_strength_pct_gdp`` of its GDP).
        readiness: in [0, 1].
        resilience: resilience to non-military threats, in [0, 1].
        intel_capacity: own intelligence capacity, in [0, 1].
        is_member: whether it takes part in the group now (False for a state that has not
            joined yet, is suspended or has left).
        neighbours: members it shares a land or sea border with.
        sharing_group: the rule's intelligence sub-group (empty if none).
        trust: its trust in each other member, in [0, 1] (a read-only mapping).
        interoperability: with each other member, in [0, 1] (a read-only mapping).
        shared_with_me: partners that shared intelligence with it last month (a read-only
            set).
        help_received: times each partner helped it.
        help_given: times it helped each partner.
        refused_by: times each partner refused or abandoned it when asked.
        damage_last_year_pct_gdp: damage it suffered over the last 12 months, % of GDP.
        active_threats: detected threats currently hitting it.
        forces_abroad_share: share of its military means deployed to help others, in [0, 1].
        challenged_by: challenges by each outside power against it so far.
        memory: what it has learnt (plain data its ``learn`` decision returned; empty at
            first).
    """

    name: str
    month: int
    months_per_step: int
    gdp_usd_bn: float
    defence_pct_gdp: float
    capability_usd_bn: float
    military_strength: float
    readiness: float
    resilience: float
    intel_capacity: float
    is_member: bool
    neighbours: frozenset[str]
    sharing_group: frozenset[str]
    trust: Mapping[str, float]
    interoperability: Mapping[str, float]
    shared_with_me: AbstractSet[str]
    help_received: Mapping[str, int]
    help_given: Mapping[str, int]
    refused_by: Mapping[str, int]
    damage_last_year_pct_gdp: float
    active_threats: int
    forces_abroad_share: float = 0.0
    challenged_by: Mapping[str, int] = dataclasses.field(default_factory=dict)
    memory: Mapping[str, object] = dataclasses.field(default_factory=dict)

    @property
    def trust_in_group(self) -> float:
        """Mean trust in the other members (0.5 if there are none)."""
        return float(np.mean(list(self.trust.values()))) if len(self.trust) else 0.5


@dataclass(frozen=True)
class ThreatView:
    """What is known about one threat once it has been detected.

    Attributes:
        id: the threat's identifier.
        type: the threat type's name (e.g. ``"aggression"``).
        host: the member it hits.
        size: current size (intensity units; ``overt_size`` is when it becomes evident).
        overt_size: the size at which the threat type is evident to all.
        months_active: months since it emerged.
        military: whether it is countered by military means (else civil).
        internal_affair: whether it counts as the host's internal affair.
        public_benefit: how much of the benefit of countering it goes to others, in [0, 1].
        spill_risk: monthly probability that it spills into a given neighbour, now.
        adversary: the outside power behind it (None for threats that just happen).
        armed_attack: an armed attack by an outside power (what ``mutual_defence`` covers).
    """

    id: int
    type: str
    host: str
    size: float
    overt_size: float
    months_active: int
    military: bool
    internal_affair: bool
    public_benefit: float
    spill_risk: float
    adversary: str | None = None
    armed_attack: bool = False


@dataclass(frozen=True)
class ShareContext:
    """Whether to pass this month's intelligence to ``partner`` (the rule already allows it)."""

    me: SelfView
    partner: str
    arrangement: str
    rng: np.random.Generator


@dataclass(frozen=True, eq=False)
class ShareAllContext:
    """Whether to pass this month's intelligence to each of ``partners`` (all the partners
    the rule lets ``me`` share with), decided at once: the many-at-once form of
    :class:`ShareContext`, for policies that answer with an array (``Policy.share_all``).

    Attributes:
        partners: the partners, by name (a NumPy array of names).
        trust: ``me``'s trust in each partner (aligned with ``partners``; 0 for a member
            ``me.trust`` does not list).
        shared_with_me: whether each partner shared with ``me`` last month.
        neighbour: whether each partner borders ``me``.
        in_sharing_group: whether each partner is in the rule's sharing sub-group.
    """

    me: SelfView
    partners: Sequence[str]
    arrangement: str
    rng: np.random.Generator
    trust: np.ndarray
    shared_with_me: np.ndarray
    neighbour: np.ndarray
    in_sharing_group: np.ndarray

    @classmethod
    def deferred(cls, view: Callable[[], SelfView], **fields: object) -> ShareAllContext:
        """The context with every field but ``me``, which ``view()`` gives when a policy
        first reads it: most array answers never need the member's view, and in a large
        group taking it is most of the cost of the decision."""
        ctx = snapshot(cls, me=None, **fields)
        del ctx.__dict__["me"]
        ctx.__dict__["_view"] = view
        return ctx

    def __getattr__(self, name: str) -> object:
        # reached only for ``me`` on a deferred context, at its first reading
        if name != "me" or "_view" not in self.__dict__:
            raise AttributeError(name)
        self.__dict__["me"] = view = self.__dict__.pop("_view")()
        return view

    def one(self, k: int) -> ShareContext:
        """The single-decision context for partner ``k`` (same generator)."""
        return ShareContext(
            me=self.me, partner=str(self.partners[k]), arrangement=self.arrangement, rng=self.rng
        )

    def subset(self, mask: np.ndarray) -> ShareAllContext:
        """The same decision restricted to the partners selected by ``mask``."""
        return dataclasses.replace(
            self,
            partners=np.asarray(self.partners, dtype=object)[mask],
            trust=self.trust[mask],
            shared_with_me=self.shared_with_me[mask],
            neighbour=self.neighbour[mask],
            in_sharing_group=self.in_sharing_group[mask],
        )


@dataclass(frozen=True)
class ExerciseContext:
    """Whether to join this month's joint exercise of kind ``kind``."""

    me: SelfView
    kind: str
    cost_usd_bn: float
    rng: np.random.Generator


@dataclass(frozen=True)
class RequestContext:
    """Whether to ask the group for help with a threat hitting ``me``.

    Attributes:
        own_power: the size ``me``'s own means remove per month (with its other threats
            taking their share).
        months_to_contain: months ``me``'s own means need to end the threat (inf: never).
        horizon_months: the horizon members plan over (``response.horizon_months``).
    """

    me: SelfView
    threat: ThreatView
    own_power: float
    rng: np.random.Generator
    months_to_contain: float = math.inf
    horizon_months: float = 6.0


@dataclass(frozen=True)
class ResponseContext:
    """What to contribute when the group considers helping ``threat.host``.

    Attributes:
        obligated: the rule binds ``me`` to take part (refusing then counts as abandonment).
        allowed: kinds of help the rule allows (``"military"``, ``"non_military"``).
        host_is_neighbour: ``me`` borders the member hit.
        host_trust: ``me``'s trust in the member hit.
        cost_per_step_usd_bn: what sending all its available means would cost ``me`` per
            step; a contribution of ``x`` costs at most ``x`` times that, for as long as the
            forces stay deployed (the group sends only what the threat needs).
        available_military_usd_bn: its military means not yet deployed, US$ bn a year.
        available_civil_usd_bn: its civil means not yet deployed, US$ bn a year.
        adversary_targets_me: the outside power behind the threat also threatens ``me``.
        deploy_months: months its help would take to arrive (falls with interoperability).
    """

    me: SelfView
    threat: ThreatView
    obligated: bool
    allowed: frozenset[str]
    host_is_neighbour: bool
    host_trust: float
    cost_per_step_usd_bn: float
    rng: np.random.Generator
    available_military_usd_bn: float = 0.0
    available_civil_usd_bn: float = 0.0
    adversary_targets_me: bool = False
    deploy_months: float = 0.0


@dataclass(frozen=True)
class BudgetContext:
    """Next year's defence budget.

    Attributes:
        allies_capability_usd_bn: summed capability of the other (remaining) members.
        allies_mean_defence_pct_gdp: their mean defence spending, % of GDP.
        expected_support: how far ``me`` can count on allies' capability, in [0, 1]: the
            rule's commitment level times the group's observed reliability so far.
        depreciation: yearly depreciation of capability (to convert stock into spending).
        max_defence_pct_gdp: the scenario's ceiling.
    """

    me: SelfView
    allies_capability_usd_bn: float
    allies_mean_defence_pct_gdp: float
    expected_support: float
    depreciation: float
    max_defence_pct_gdp: float
    rng: np.random.Generator


@dataclass(frozen=True)
class VoteContext:
    """A vote of the group: on amending its rule, or on suspending or admitting a member.

    Attributes:
        kind: ``"amendment"``, ``"suspension"`` or ``"admission"``.
        current: the rule in force (its preset's name).
        proposed: for an amendment, the rule proposed (a preset's name); else the current.
        direction: +1 towards more commitment, -1 towards less, 0 for membership votes.
        changes: for an amendment, each knob that would change: (now, proposed).
        trigger: what put the question on the table (e.g. ``"armed_attack"``,
            ``"entrapment"``, ``"low trust"``, ``"scheduled"``).
        victim: the member the triggering event hit (empty if none).
        subject: for a membership vote, the member voted on (empty for an amendment).
        my_trust_in_subject: ``me``'s trust in ``subject`` (0.5 if there is none).
    """

    me: SelfView
    kind: str
    current: str
    proposed: str
    direction: int
    changes: Mapping[str, tuple[object, object]]
    trigger: str
    victim: str
    subject: str
    my_trust_in_subject: float
    rng: np.random.Generator


@dataclass(frozen=True)
class PeerView:
    """What a member sees of another when it reflects on the year (``learn``).

    Attributes:
        policy: the behaviour the peer follows now (its policy's label).
        damage_last_year_pct_gdp: its damage over the last 12 months, % of its GDP.
        cost_last_year_pct_gdp: its defence, exercise, meeting and help costs over the last
            12 months, % of its GDP.
        trust: the learner's trust in it.
    """

    policy: str
    damage_last_year_pct_gdp: float
    cost_last_year_pct_gdp: float
    trust: float


@dataclass(frozen=True)
class LearnContext:
    """Once a year: what the member experienced, and what it sees of its partners.

    Attributes:
        my_policy: the behaviour it follows now (its policy's label).
        my_cost_last_year_pct_gdp: its own costs over the last 12 months, % of its GDP.
        peers: the other current members, by name.
    """

    me: SelfView
    my_policy: str
    my_cost_last_year_pct_gdp: float
    peers: Mapping[str, PeerView]
    rng: np.random.Generator


class Policy:
    """Base class of all policies: neutral defaults for every decision.

    Subclasses are frozen dataclasses whose fields are parameters; they set ``name`` (the
    registered name) and ``description`` (one line), and override the decisions they change.
    Defaults: share with every partner the rule allows, join every exercise, ask for help when
    one's own means cannot end the threat within the planning horizon, never block the
    group's decision but help (with a moderate effort) only when bound, keep the budget
    unchanged, vote for the status quo unless hurt (see :meth:`vote`), learn nothing.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    decisions: ClassVar[tuple[str, ...]] = DECISIONS

    def __post_init__(self) -> None:
        """Check every parameter against the range its annotation declares (:data:`Share`,
        :data:`PctGdp`, :func:`between`); a subclass with its own ``__post_init__`` calls
        ``super().__post_init__()``."""
        check_parameters(self)

    def share(self, ctx: ShareContext) -> bool:
        """Share this month's intelligence with ``ctx.partner``?"""
        return True

    def share_all(self, ctx: ShareAllContext) -> np.ndarray:
        """Optional: every answer of :meth:`share` for ``ctx.partners`` at once, as a boolean
        array, drawing from ``ctx.rng`` exactly as calling :meth:`share` on each partner in
        order would. The model uses it when the class that defines it also defines (or
        inherits from the same class) :meth:`share`; otherwise it asks :meth:`share` once
        per partner. A policy that overrides only :meth:`share` needs nothing more.
        """
        return np.ones(len(ctx.partners), dtype=bool)

    def join_exercise(self, ctx: ExerciseContext) -> bool:
        """Join the exercise?"""
        return True

    def request_help(self, ctx: RequestContext) -> bool:
        """Ask the group for help with ``ctx.threat``?"""
        return ctx.months_to_contain > ctx.horizon_months

    def respond(self, ctx: ResponseContext) -> Contribution:
        """What to contribute to the member hit by ``ctx.threat``: by default it does not
        block the group, and gives only when bound.
        """
        return effort(ctx, 0.3) if ctx.obligated else STAND_ASIDE

    def set_budget(self, ctx: BudgetContext) -> float:
        """Defence spending for next year, % of GDP."""
        return ctx.me.defence_pct_gdp

    def vote(self, ctx: VoteContext) -> bool:
        """Vote on a question put to the group. By default a member keeps the status quo
        (amending a rule is slow and biased towards what is) unless it is hurt: it votes
        for more commitment when it was the victim or lost more than 1 % of its GDP last
        year, for less when it has forces abroad; it votes to suspend a member it distrusts
        (trust below 0.3) and to admit one it trusts (0.4 or more).
        """
        me = ctx.me
        if ctx.kind == "amendment":
            if ctx.direction > 0:
                return ctx.victim == me.name or me.damage_last_year_pct_gdp > 1.0
            return me.forces_abroad_share > 0.0
        if ctx.kind == "suspension":
            return ctx.my_trust_in_subject < 0.3
        return ctx.my_trust_in_subject >= 0.4

    def learn(self, ctx: LearnContext) -> Mapping[str, object] | None:
        """Once a year, return the member's new memory (plain data), or None to keep it."""
        return None

    def label(self, memory: Mapping[str, object]) -> str:
        """The behaviour it follows, for tables (a learning policy may follow another's)."""
        return self.name

    @classmethod
    def parameter_docs(cls) -> dict[str, str]:
        """Each parameter's one-line meaning, from the ``Parameters:`` block of the docstring."""
        docs: dict[str, str] = {}
        lines = (cls.__doc__ or "").splitlines()
        inside = False
        current = None
        for line in lines:
            text = line.strip()
            if text == "Parameters:":
                inside = True
                continue
            if not inside:
                continue
            if not text:
                break
            name, sep, rest = text.partition(":")
            if sep and name.isidentifier() and name in cls.parameters():
                current = name
                docs[name] = rest.strip()
            elif current:
                docs[current] += " " + text
        return docs

    @classmethod
    def parameters(cls) -> dict[str, object]:
        """Parameter names and defaults, for listings and docs."""
        if not dataclasses.is_dataclass(cls):
            return {}
        return {
            f.name: (f.default if f.default is not dataclasses.MISSING else None)
            for f in dataclasses.fields(cls)
            if f.init
        }


def snapshot[T](cls: type[T], **fields: object) -> T:
    """An instance of the frozen dataclass ``cls`` from every one of its fields, built
    without the generated ``__init__`` (which sets each field through
    ``object.__setattr__``, ten times slower): the model builds thousands of views and
    contexts per run. Still frozen once built."""
    expected = cls.__dataclass_fields__.keys()  # type: ignore[attr-defined]
    if fields.keys() != expected:
        raise TypeError(f"{cls.__name__}: expected exactly the fields {sorted(expected)}, "
                        f"got {sorted(fields)}")  # fmt: skip
    obj = object.__new__(cls)
    obj.__dict__.update(fields)
    return obj


def _definer(cls: type, method: str) -> type:
    """The class in ``cls``'s method resolution order that defines ``method``."""
    return next(k for k in cls.__mro__ if method in vars(k))


@functools.cache
def _share_all_answers_for_share(cls: type) -> bool:
    return issubclass(_definer(cls, "share_all"), _definer(cls, "share"))


def has_share_all(policy: Policy) -> bool:
    """Whether ``policy.share_all`` answers for its own ``share``: defined by the class
    that defines ``share`` or by a subclass of it (a subclass that overrides only
    ``share`` does not inherit its parent's many-at-once form)."""
    return _share_all_answers_for_share(type(policy))


def share_many(policy: Policy, ctx: ShareAllContext) -> np.ndarray:
    """``policy``'s answers for every partner in ``ctx``: its many-at-once form where it
    answers for its ``share`` (:func:`has_share_all`), else one ``share`` call per partner."""
    if len(ctx.partners) == 0:
        return np.zeros(0, dtype=bool)
    if has_share_all(policy):
        answers = np.asarray(policy.share_all(ctx))
        if answers.dtype != bool or answers.shape != (len(ctx.partners),):
            raise TypeError(
                f"{type(policy).__qualname__}.share_all() returned {answers.dtype} values of "
                f"shape {answers.shape}, not {len(ctx.partners)} booleans (one per partner)"
            )
        return answers
    return np.array([bool(policy.share(ctx.one(k))) for k in range(len(ctx.partners))])


def effort(ctx: ResponseContext, amount: float) -> Contribution:
    """A supporting contribution of ``amount`` in every kind of help the rule allows.

    How much each kind achieves against the threat is the threat type's business (its
    ``military_help_effect`` and ``non_military_help_effect``), not the policy's.
    """
    amount = min(max(float(amount), 0.0), 1.0)
    military = amount if "military" in ctx.allowed else 0.0
    civil = amount if "non_military" in ctx.allowed else 0.0
    return Contribution(support=True, military=military, non_military=civil)


def parameter_ranges(cls: type) -> dict[str, tuple[float, float]]:
    """The declared range of each parameter of a policy class that declares one (an open
    side is infinite)."""
    return {name: (low, high) for name, (_, low, high) in _checks(cls).items()}


def range_text(low: float, high: float) -> str:
    """A range as people write it: ``in [0, 1]``, ``>= 0``, ``<= 5``."""
    if math.isinf(low):
        return f"<= {high:g}"
    if math.isinf(high):
        return f">= {low:g}"
    return f"in [{low:g}, {high:g}]"


def check_parameters(policy: object) -> None:
    """Raise ValueError naming the first parameter outside its declared range."""
    for name, (adapter, low, high) in _checks(type(policy)).items():
        value = getattr(policy, name)
        try:
            adapter.validate_python(value, strict=True)
        except ValidationError:
            raise ValueError(
                f"parameter {name!r} must be a number {range_text(low, high)}, got {value!r}"
            ) from None


@functools.cache
def parameter_hints(cls: type) -> dict[str, Any]:
    """Each dataclass field's annotation, evaluated in the module that wrote it, with its
    declared constraints (``Annotated`` extras) kept; None where it cannot be evaluated
    (e.g. a name imported only for type checkers)."""
    if not dataclasses.is_dataclass(cls):
        return {}
    return {field.name: _hint(cls, field) for field in dataclasses.fields(cls)}


@functools.cache
def _checks(cls: type) -> dict[str, tuple[TypeAdapter, float, float]]:
    found = {}
    for name, hint in parameter_hints(cls).items():
        low, high, constrained = -math.inf, math.inf, False
        for meta in getattr(hint, "__metadata__", ()):
            for bound in getattr(meta, "metadata", [meta]):  # Field(...) holds its bounds
                for attr, is_low in (("ge", True), ("gt", True), ("le", False), ("lt", False)):
                    value = getattr(bound, attr, None)  # Ge, Gt, Le, Lt or an Interval
                    if isinstance(value, int | float) and not isinstance(value, bool):
                        constrained = True
                        low, high = (float(value), high) if is_low else (low, float(value))
        if constrained:
            found[name] = (TypeAdapter(hint), low, high)
    return found


def _hint(cls: type, field: dataclasses.Field) -> Any:
    if not isinstance(field.type, str):
        return field.type
    for klass in cls.__mro__:
        if field.name in vars(klass).get("__annotations__", {}):
            module = sys.modules.get(klass.__module__)
            try:
                return eval(field.type, vars(module) if module else {})  # noqa: S307
            except Exception:  # noqa: BLE001  (an annotation for type checkers only)
                return None
    return None
