"""The policy contract: what every policy must satisfy to run in cdsim, as a check you can
call from your own tests.

::

    from sim.testing import check_policy, PolicyContract

    def test_my_policy():
        check_policy(MyPolicy(amount=0.3))      # raises ContractError listing every failure

    class TestMyPolicy(PolicyContract):          # or: one pytest test per property
        policy = MyPolicy(amount=0.3)

:func:`self_view` and :func:`threat_view` build the snapshots a policy sees, for tests of
its behaviour. The checks, each also a function of its own:

- :func:`check_interface`: a frozen dataclass subclassing :class:`~sim.policies.Policy`, with
  a ``name`` and a ``description``, decision methods taking one context, and every
  parameter documented in a ``Parameters:`` block.
- :func:`check_outputs`: on a spread of contexts for every decision, each method returns
  what the model expects (a bool, a :class:`~sim.policies.Contribution`, a finite
  non-negative budget) without raising.
- :func:`check_determinism`: the same context and generator seed give the same decision,
  and the policy never draws from Python's or NumPy's global random generators.
- :func:`check_many_at_once`: where the policy has a many-at-once form of a decision
  that the model uses (``share_all``), it answers, and draws from the generator, exactly
  as the one-decision method asked once per partner would.
- :func:`check_picklable`: the policy survives pickling (as batch workers receive it) and
  decides the same afterwards.
- :func:`check_isolation`: deciding leaves the policy unchanged and holding no context,
  generator, model or agent, and its module does not import the model or Mesa.
- :func:`check_in_model`: named in a scenario (as a registered name or ``module:Class``), it
  runs for every member of a small group under non-intervention and collective commitment,
  with amendments and suspensions put to the vote, and the same seed gives the same run.
"""

from __future__ import annotations

import copy
import dataclasses
import gc
import inspect
import json
import math
import pickle
import random
import sys
import types
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from sim.config import ConfigError
from sim.policies import (
    BudgetContext,
    Contribution,
    ExerciseContext,
    LearnContext,
    PeerView,
    Policy,
    RequestContext,
    ResponseContext,
    SelfView,
    ShareContext,
    ThreatView,
    VoteContext,
    registry,
)
from sim.policies.base import ByName, NameSet, ShareAllContext, has_share_all, share_many

#: decision -> (method, what it must return)
METHODS: dict[str, tuple[str, str]] = {
    "share": ("share", "bool"),
    "exercise": ("join_exercise", "bool"),
    "request": ("request_help", "bool"),
    "respond": ("respond", "Contribution"),
    "budget": ("set_budget", "float"),
    "vote": ("vote", "bool"),
    "learn": ("learn", "memory"),
}

_SMALL_GROUP = {
    "name": "contract",
    "seed": 11,
    "steps": 36,
    "members": [
        {"name": "Alpha", "gdp_usd_bn": 900, "defence_pct_gdp": 2.0},
        {"name": "Beta", "gdp_usd_bn": 300, "defence_pct_gdp": 1.2},
        {"name": "Gamma", "gdp_usd_bn": 60, "defence_pct_gdp": 1.5},
        {"name": "Delta", "gdp_usd_bn": 15, "defence_pct_gdp": 0.8},
    ],
    "borders": [
        {"between": ["Alpha", "Beta"], "kind": "land"},
        {"between": ["Beta", "Gamma"], "kind": "sea"},
        {"between": ["Gamma", "Delta"], "kind": "land"},
    ],
    # questions put to the vote, so that the policy's vote is exercised too
    "amendment": {
        "tighten_on": ["damage"],
        "damage_pct_gdp": 0.3,
        "vote": "majority",
        "cooldown_months": 12,
    },  # fmt: skip
    "membership": {"suspend_below_trust": 0.45, "rejoin_after_months": 12},
}


class ContractError(AssertionError):
    """A policy breaks the contract; the message lists every failure found."""


# ------------------------------------------------------------------ sample contexts


def self_view(**changes: Any) -> SelfView:
    """A :class:`SelfView` for tests: a mid-sized member "Me" bordering "Near", with a
    distant partner "Far", moderate trust, no history; ``changes`` replace any field."""
    partners = ("Near", "Far")
    base: dict[str, Any] = dict(
        name="Me", month=24, months_per_step=1, gdp_usd_bn=100.0, defence_pct_gdp=1.5,
        capability_usd_bn=15.0, military_strength=0.4, readiness=0.5, resilience=0.5,
        intel_capacity=0.5, is_member=True, neighbours=frozenset({"Near"}),
        sharing_group=frozenset(), trust=dict.fromkeys(partners, 0.5),
        interoperability=dict.fromkeys(partners, 0.2), shared_with_me=frozenset(),
        help_received={}, help_given={}, refused_by={}, damage_last_year_pct_gdp=0.0,
        active_threats=0,
    )  # fmt: skip
    return SelfView(**{**base, **changes})


def threat_view(**changes: Any) -> ThreatView:
    """A :class:`ThreatView` for tests: a detected aggression against "Near", below its
    overt size; ``changes`` replace any field."""
    base: dict[str, Any] = dict(
        id=1, type="aggression", host="Near", size=1.5, overt_size=2.0, months_active=2,
        military=True, internal_affair=False, public_benefit=0.8, spill_risk=0.0,
    )  # fmt: skip
    return ThreatView(**{**base, **changes})


def in_model_form(view: SelfView) -> SelfView:
    """``view`` with its partner fields in the types the model gives them: ``trust`` and
    ``interoperability`` as read-only mappings over a matrix row, ``shared_with_me`` as a
    read-only set over a mask (so a policy's tests see what it will see in a run)."""
    partners = sorted({*view.trust, *view.interoperability} - {view.name})
    index = {name: k for k, name in enumerate([view.name, *partners])}
    row = {field: np.zeros(len(index)) for field in ("trust", "interoperability")}
    for field, values in row.items():
        values[0] = 1.0
        for name, value in getattr(view, field).items():
            values[index[name]] = value
    known = sorted({*index, *view.shared_with_me})
    names = np.array(known, dtype=object)
    mask = np.array([name in view.shared_with_me for name in known], dtype=bool)
    return dataclasses.replace(
        view,
        trust=ByName(index, row["trust"], view.name),
        interoperability=ByName(index, row["interoperability"], view.name),
        shared_with_me=NameSet(names, {n: k for k, n in enumerate(known)}, mask),
    )


def _selves() -> list[SelfView]:
    """Members in different situations: large and small, trusted or not, helped or not."""
    partners = ("Near", "Far", "Other")
    base = dict(
        sharing_group=frozenset({"Me", "Near"}),
        trust=dict.fromkeys(partners, 0.5),
        interoperability=dict.fromkeys(partners, 0.2),
    )
    variants = [
        {},
        dict(month=0, trust=dict.fromkeys(partners, 0.9), shared_with_me=frozenset(partners)),
        dict(gdp_usd_bn=2000.0, defence_pct_gdp=3.5, military_strength=0.9, readiness=0.9),
        dict(gdp_usd_bn=5.0, defence_pct_gdp=0.0, capability_usd_bn=0.0, military_strength=0.0),
        dict(
            trust=dict.fromkeys(partners, 0.05),
            refused_by=dict.fromkeys(partners, 4),
            help_given=dict.fromkeys(partners, 3),
            damage_last_year_pct_gdp=4.0,
            active_threats=3,
        ),
        dict(help_received={"Near": 5}, help_given={"Far": 2}, refused_by={"Other": 1}),
        dict(is_member=False, trust={}, interoperability={}, neighbours=frozenset()),
        dict(
            memory={"follows": "committed_ally", "since": 12, "imitated": "Near"},
            forces_abroad_share=0.4,
            challenged_by={"Rival": 2},
        ),
    ]
    return [in_model_form(self_view(**{**base, **v})) for v in variants]


def _threats() -> list[ThreatView]:
    """Detected threats of different kinds and sizes, against 'Near'."""
    kinds = [
        ("aggression", True, False, 0.8, 1.0),
        ("terrorism", False, True, 0.4, 1.0),
        ("cyber_attack", False, False, 0.3, 1.0),
        ("natural_disaster", False, False, 0.2, 1.0),
    ]
    out = []
    for k, (kind, military, internal, benefit, overt) in enumerate(kinds):
        for size in (0.1, overt, 3 * overt):
            out.append(
                ThreatView(
                    id=k * 10 + len(out),
                    type=kind,
                    host="Near",
                    size=size,
                    overt_size=overt,
                    months_active=1 + 3 * k,
                    military=military,
                    internal_affair=internal,
                    public_benefit=benefit,
                    spill_risk=0.05 * k,
                )  # fmt: skip
            )
    # Challenges by an outside power: an armed attack and grey-zone coercion.
    for kind, size in (("aggression", 2.5), ("coercion", 0.4)):
        out.append(
            ThreatView(
                id=100 + len(out),
                type=kind,
                host="Near",
                size=size,
                overt_size=0.3,
                months_active=2,
                military=True,
                internal_affair=False,
                public_benefit=0.6,
                spill_risk=0.0,
                adversary="Rival",
                armed_attack=kind == "aggression",
            )  # fmt: skip
        )
    return out


def sample_contexts(seed: int = 0) -> Iterator[tuple[str, Any]]:
    """(decision, context) pairs covering every decision in varied situations.

    Each context carries its own generator seeded from ``seed`` and its position, so the
    same call always yields the same contexts.
    """
    k = 0

    def rng() -> np.random.Generator:
        nonlocal k
        k += 1
        return np.random.default_rng([seed, k])

    selves, threats = _selves(), _threats()
    for me in selves:
        for partner, arrangement in (
            ("Near", "subgroup"),
            ("Far", "pooled"),
            ("Other", "bilateral"),
        ):
            yield "share", ShareContext(me=me, partner=partner, arrangement=arrangement, rng=rng())
        for kind, cost in (("non_combat", 0.01), ("combat", 0.5)):
            yield "exercise", ExerciseContext(me=me, kind=kind, cost_usd_bn=cost, rng=rng())
        yield "budget", BudgetContext(
            me=me, allies_capability_usd_bn=300.0, allies_mean_defence_pct_gdp=1.8,
            expected_support=0.5 if me.is_member else 0.0, depreciation=0.08,
            max_defence_pct_gdp=10.0, rng=rng(),
        )  # fmt: skip
        yield "budget", BudgetContext(
            me=me, allies_capability_usd_bn=0.0, allies_mean_defence_pct_gdp=me.defence_pct_gdp,
            expected_support=1.0, depreciation=0.02, max_defence_pct_gdp=5.0, rng=rng(),
        )  # fmt: skip
        for kind, direction, trigger in (
            ("amendment", 1, "armed_attack"), ("amendment", -1, "entrapment"),
            ("suspension", 0, "low trust"), ("admission", 0, "applies to rejoin"),
        ):  # fmt: skip
            for victim, subject, trust in (
                ("Me", "", 0.5),
                ("Near", "Far", 0.1),
                ("", "Near", 0.9),
            ):
                if kind != "amendment" and not subject:
                    continue
                yield "vote", VoteContext(
                    me=me, kind=kind, current="non_intervention",
                    proposed="flexible_engagement" if kind == "amendment" else "non_intervention",
                    direction=direction, changes={"decision": ("consensus", "majority")},
                    trigger=trigger, victim=victim if kind == "amendment" else "",
                    subject=subject if kind != "amendment" else "", my_trust_in_subject=trust,
                    rng=rng(),
                )  # fmt: skip
        peers = {
            name: PeerView(
                policy=policy,
                damage_last_year_pct_gdp=damage,
                cost_last_year_pct_gdp=cost,
                trust=trust,
            )  # fmt: skip
            for name, policy, damage, cost, trust in (
                ("Near", "committed_ally", 0.2, 1.8, 0.8),
                ("Far", "free_rider", 0.5, 0.6, 0.6),
                ("Other", "sovereignty_first", 3.0, 1.5, 0.2),
            )
        }
        for my_cost, seen in ((2.5, peers), (0.1, peers), (2.0, {})):
            yield "learn", LearnContext(
                me=me, my_policy="self_interested", my_cost_last_year_pct_gdp=my_cost,
                peers=seen, rng=rng(),
            )  # fmt: skip
    for me in selves[:3]:
        for threat in threats:
            for months in (2.0, 30.0, math.inf):
                yield "request", RequestContext(
                    me=me, threat=threat, own_power=0.2, rng=rng(), months_to_contain=months,
                    horizon_months=6.0,
                )  # fmt: skip
            for obligated, allowed in (
                (False, frozenset({"military", "non_military"})),
                (True, frozenset({"military", "non_military"})),
                (True, frozenset({"non_military"})),
                (False, frozenset()),
            ):
                yield "respond", ResponseContext(
                    me=me, threat=threat, obligated=obligated, allowed=allowed,
                    host_is_neighbour=threat.id % 2 == 0, host_trust=me.trust.get("Near", 0.5),
                    cost_per_step_usd_bn=0.2, rng=rng(),
                    available_military_usd_bn=2.0 * me.readiness,
                    available_civil_usd_bn=0.5 * me.resilience,
                    adversary_targets_me=threat.id % 3 == 0, deploy_months=1.5,
                )  # fmt: skip


# ------------------------------------------------------------------ the checks


def check_interface(policy: Policy) -> list[str]:
    """Problems with the policy's form (empty if none)."""
    cls = type(policy)
    problems = []
    if not isinstance(policy, Policy):
        return [f"{cls.__qualname__} is not a subclass of sim.policies.Policy"]
    if not dataclasses.is_dataclass(cls):
        problems.append(
            f"{cls.__qualname__} is not a dataclass: decorate it @dataclass(frozen=True)"
        )
    elif not cls.__dataclass_params__.frozen:
        problems.append(f"{cls.__qualname__} is not frozen: use @dataclass(frozen=True)")
    for attr in ("name", "description"):
        value = getattr(cls, attr, "")
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{cls.__qualname__}.{attr} must be a non-empty string")
    problem = registry.interface_problem(cls)
    if problem:
        problems.append(problem)
    docs = cls.parameter_docs()
    missing = [p for p in cls.parameters() if p not in docs]
    if missing:
        problems.append(
            f"parameters not documented in a 'Parameters:' block of the class docstring: "
            f"{', '.join(missing)}"
        )
    return problems


def check_outputs(policy: Policy, seed: int = 0) -> list[str]:
    """Problems with what the policy returns on :func:`sample_contexts`."""
    problems: list[str] = []
    for decision, ctx in sample_contexts(seed):
        method, _ = METHODS[decision]
        try:
            value = getattr(policy, method)(ctx)
        except Exception as err:  # report it as a contract failure, with the situation
            problems.append(f"{method}() raised {type(err).__name__}: {err} ({_where(ctx)})")
            continue
        problem = _valid(decision, value)
        if problem:
            problems.append(f"{method}() returned {value!r}: {problem} ({_where(ctx)})")
    return _dedupe(problems)


def _valid(decision: str, value: Any) -> str:
    kind = METHODS[decision][1]
    if kind == "bool" and not isinstance(value, bool | np.bool_):
        return "expected True or False"
    if kind == "Contribution" and not isinstance(value, Contribution):
        return "expected a sim.policies.Contribution (e.g. effort(ctx, 0.5), NO_HELP)"
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
            return "expected a number (% of GDP)"
        if not math.isfinite(value) or value < 0:
            return "expected a finite, non-negative % of GDP"
    if kind == "memory" and value is not None:
        if not isinstance(value, Mapping):
            return "expected None (keep the memory) or a mapping (the new memory)"
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            return "expected plain data in the memory (numbers, text, lists, mappings)"
    return ""


def share_all_contexts(seed: int = 0) -> Iterator[ShareAllContext]:
    """Many-at-once sharing contexts, one per sample member and arrangement, each
    consistent with its member's view (partners it trusts and does not know, neighbours
    and not, inside the sharing group and not, who shared with it last month and who did
    not). Each carries its own generator seeded from ``seed`` and its position."""
    k = 0
    for me in _selves():
        partners = [*me.trust, "Stranger"]  # a partner missing from me.trust counts as 0
        names = np.array(partners, dtype=object)
        for arrangement in ("subgroup", "pooled", "bilateral"):
            k += 1
            yield ShareAllContext(
                me=me,
                partners=names,
                arrangement=arrangement,
                rng=np.random.default_rng([seed, 1000 + k]),
                trust=np.array([me.trust.get(p, 0.0) for p in partners]),
                shared_with_me=np.array([p in me.shared_with_me for p in partners]),
                neighbour=np.array([p in me.neighbours for p in partners]),
                in_sharing_group=np.array([p in me.sharing_group for p in partners]),
            )


def check_many_at_once(policy: Policy, seed: int = 0) -> list[str]:
    """Problems with the policy's many-at-once form of a decision (``share_all``): where
    the model uses it, it must give the answers, and leave the generator in the state,
    that asking ``share`` once per partner in order would."""
    if not has_share_all(policy):
        return []  # the model asks share() once per partner: nothing to compare
    problems = []
    for ctx in share_all_contexts(seed):
        one_by_one = dataclasses.replace(ctx, rng=copy.deepcopy(ctx.rng))
        where = f"me={ctx.me.name!r} month={ctx.me.month} arrangement={ctx.arrangement!r}"
        try:
            many = share_many(policy, ctx)  # as the model asks it
        except Exception as err:
            problems.append(f"share_all() raised {type(err).__name__}: {err} ({where})")
            continue
        try:
            single = [bool(policy.share(one_by_one.one(k))) for k in range(len(ctx.partners))]
        except Exception:  # check_outputs reports these
            continue
        if many.tolist() != single:
            problems.append(f"share_all() gave {many.tolist()!r} but share() one partner at a "
                            f"time gave {single!r} ({where})")  # fmt: skip
        elif ctx.rng.bit_generator.state != one_by_one.rng.bit_generator.state:
            problems.append(f"share_all() drew a different number of random numbers from "
                            f"ctx.rng than share() one partner at a time ({where})")  # fmt: skip
    return _dedupe(problems)


def check_determinism(policy: Policy, seed: int = 0) -> list[str]:
    """Problems with reproducibility: different decisions for the same context and seed, or
    draws from the global random generators."""
    problems: list[str] = []
    py_state, np_state = random.getstate(), np.random.get_state()
    for decision, ctx in sample_contexts(seed):
        method = getattr(policy, METHODS[decision][0])
        try:
            first, second = method(_replay(ctx)), method(_replay(ctx))
        except Exception:  # check_outputs reports these
            continue
        if first != second:
            problems.append(
                f"{METHODS[decision][0]}() gave {first!r}, then {second!r} for the same context "
                f"and seed ({_where(ctx)}): draw randomness only from ctx.rng"
            )
    if random.getstate() != py_state:
        problems.append("it drew from Python's global 'random' module: use ctx.rng instead")
        random.setstate(py_state)
    if not _same_np_state(np.random.get_state(), np_state):
        problems.append("it drew from numpy.random's global generator: use ctx.rng instead")
        np.random.set_state(np_state)
    return _dedupe(problems)


def check_picklable(policy: Policy, seed: int = 0) -> list[str]:
    """Problems sending the policy to a worker process: it must pickle, and the copy must
    equal the original and decide the same."""
    try:
        clone = pickle.loads(pickle.dumps(policy))
    except Exception as err:
        return [f"cannot be pickled ({type(err).__name__}: {err}); batch workers need it"]
    problems = []
    if clone != policy:
        problems.append("a pickled copy does not compare equal to the original")
    for decision, ctx in sample_contexts(seed):
        method = METHODS[decision][0]
        try:
            a, b = getattr(policy, method)(_replay(ctx)), getattr(clone, method)(_replay(ctx))
        except Exception:  # check_outputs reports these
            continue
        if a != b:
            problems.append(f"a pickled copy decides differently: {method}() {a!r} vs {b!r}")
            break
    return problems


def check_isolation(policy: Policy, seed: int = 0) -> list[str]:
    """Problems with the policy reaching beyond its context: changing itself while deciding,
    keeping contexts, generators, models or agents, or importing the model or Mesa."""
    problems = []
    before = _snapshot(policy)
    for decision, ctx in sample_contexts(seed):
        try:
            getattr(policy, METHODS[decision][0])(ctx)
        except Exception:  # check_outputs reports these
            continue
    if before is not None and _snapshot(policy) != before:
        problems.append(
            "deciding changed the policy's own state: a policy keeps no state of its own (what "
            "it needs to remember is in its context, e.g. ctx.me.refused_by, or in its memory: "
            "return the new memory from learn(), read it as ctx.me.memory)"
        )
    held = _forbidden_references(policy)
    if held:
        problems.append(f"it holds references to {', '.join(sorted(held))}: it must not keep "
                        "contexts, generators, models or agents")  # fmt: skip
    module = sys.modules.get(type(policy).__module__)
    if module is not None and not module.__name__.startswith("sim.policies"):
        imported = _model_imports(module)
        if imported:
            problems.append(
                f"its module {module.__name__!r} imports {', '.join(sorted(imported))}: a policy "
                "decides from its context only, never from the model"
            )
    return problems


def check_in_model(policy: Policy, seed: int = 11) -> list[str]:
    """Problems running the policy in a model: named in a scenario, every member of a small
    group uses it under non-intervention and collective commitment, twice with one seed."""
    from sim.config import from_mapping
    from sim.results import run

    try:
        spec = policy_spec(policy)
    except ValueError as err:
        return [str(err)]
    problems = []
    for preset in ("non_intervention", "collective_commitment"):
        raw = {**_SMALL_GROUP, "default_policy": spec, "rules": {"preset": preset}}
        try:
            config = from_mapping(raw, [], label="<contract scenario>")
            first = run(config, seed=seed)
            second = run(config, seed=seed)
        except ConfigError as err:
            problems.append(f"cannot be named in a scenario: {err}")
            break
        except Exception as err:  # a failure inside the model, e.g. a bad return value
            problems.append(f"a run under {preset} failed: {type(err).__name__}: {err}")
            continue
        if not first.steps.equals(second.steps) or not first.threats.equals(second.threats):
            problems.append(f"two runs with the same seed differ under {preset}")
    return problems


CHECKS: dict[str, Callable[[Policy], list[str]]] = {
    "interface": check_interface,
    "outputs": check_outputs,
    "determinism": check_determinism,
    "many_at_once": check_many_at_once,
    "picklable": check_picklable,
    "isolation": check_isolation,
    "in_model": check_in_model,
}


def check_policy(policy: Policy, *, in_model: bool = True) -> None:
    """Run every check on ``policy``; raise :class:`ContractError` listing all failures.

    Args:
        policy: an instance, with the parameters to check.
        in_model: also run it in a small model (the slowest check, about a second).
    """
    if not isinstance(policy, Policy):
        raise ContractError(f"{policy!r} is not a policy (a subclass of sim.policies.Policy)")
    failures = []
    for name, check in CHECKS.items():
        if name == "in_model" and not in_model:
            continue
        failures += [f"[{name}] {problem}" for problem in check(policy)]
    if failures:
        lines = "\n  ".join(failures)
        raise ContractError(f"{type(policy).__qualname__} breaks the policy contract:\n  {lines}")


class PolicyContract:
    """Subclass in a test module and set ``policy``: pytest then runs one test per check.

    ::

        class TestMyPolicy(PolicyContract):
            policy = MyPolicy(amount=0.3)
    """

    policy: Policy

    def _check(self, name: str) -> None:
        problems = CHECKS[name](self.policy)
        if problems:
            raise ContractError(f"{type(self.policy).__qualname__}: " + "; ".join(problems))

    def test_interface(self) -> None:
        self._check("interface")

    def test_outputs(self) -> None:
        self._check("outputs")

    def test_determinism(self) -> None:
        self._check("determinism")

    def test_many_at_once(self) -> None:
        self._check("many_at_once")

    def test_picklable(self) -> None:
        self._check("picklable")

    def test_isolation(self) -> None:
        self._check("isolation")

    def test_in_model(self) -> None:
        self._check("in_model")


def policy_spec(policy: Policy) -> dict[str, Any]:
    """How a scenario file names ``policy``: ``{name, params}``, the name registered or
    ``module:Class``."""
    cls = type(policy)
    registered = registry.registered().get(cls.name) if cls.name else None
    if registered is cls:
        name = cls.name
    else:
        if "<locals>" in cls.__qualname__:
            raise ValueError(
                f"{cls.__qualname__} is defined inside a function: define it at module level "
                "so that scenarios (and worker processes) can import it"
            )
        name = f"{cls.__module__}:{cls.__qualname__}"
    params = {
        f.name: _plain(getattr(policy, f.name))
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if f.init
    }
    return {"name": name, "params": params}


# ------------------------------------------------------------------ helpers


def _plain(value: Any) -> Any:
    """A parameter value as YAML-like data (tuples become lists)."""
    if isinstance(value, tuple | list | frozenset | set):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _replay(ctx: Any) -> Any:
    """``ctx`` with a fresh generator in the state its own started from."""
    return dataclasses.replace(ctx, rng=np.random.default_rng(ctx.rng.bit_generator.seed_seq))


def _where(ctx: Any) -> str:
    """A short description of a sample context, for messages."""
    me = ctx.me
    bits = [f"{type(ctx).__name__}: {me.name} GDP {me.gdp_usd_bn:g}, month {me.month}"]
    if hasattr(ctx, "threat"):
        bits.append(f"threat {ctx.threat.type} size {ctx.threat.size:g}")
    if hasattr(ctx, "partner"):
        bits.append(f"partner {ctx.partner}")
    return ", ".join(bits)


def _dedupe(problems: list[str], limit: int = 5) -> list[str]:
    """At most ``limit`` problems per method, so one bug does not flood the report."""
    out, counts = [], {}
    for p in problems:
        key = p.split("(", 1)[0]
        counts[key] = counts.get(key, 0) + 1
        if counts[key] <= limit:
            out.append(p)
    return out


def _same_np_state(a: tuple, b: tuple) -> bool:
    return a[0] == b[0] and np.array_equal(a[1], b[1]) and tuple(a[2:]) == tuple(b[2:])


def _snapshot(policy: Policy) -> bytes | None:
    try:
        return pickle.dumps(policy)
    except Exception:  # check_picklable reports it
        return None


def _forbidden_references(policy: Policy) -> set[str]:
    """Kinds of object the policy can reach that a policy must not keep."""
    import mesa

    context_types = (ShareContext, ExerciseContext, RequestContext, ResponseContext, BudgetContext,
                     VoteContext, LearnContext)  # fmt: skip
    skip = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, str, bytes,
            int, float, bool, complex)  # fmt: skip
    found: set[str] = set()
    seen: set[int] = set()
    stack: list[Any] = [policy]
    while stack and len(seen) < 20_000:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, skip):
            continue
        seen.add(id(obj))
        if isinstance(obj, context_types):
            found.add("a decision context")
        elif isinstance(obj, np.random.Generator | np.random.BitGenerator):
            found.add("a random generator")
        elif isinstance(obj, mesa.Model):
            found.add("a model")
        elif isinstance(obj, mesa.Agent):
            found.add("an agent")
        stack.extend(gc.get_referents(obj))
    return found


def _model_imports(module: types.ModuleType) -> set[str]:
    """The model-side modules a policy's module imports (from its source), or model and
    agent classes it holds."""
    import ast

    import mesa

    banned = ("mesa", "sim.model", "sim.states", "sim.response", "sim.intelligence")
    found: set[str] = set()
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError, SyntaxError):  # no source: look at what it holds only
        tree = None
    for node in ast.walk(tree) if tree is not None else ():
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            if any(name == b or name.startswith(b + ".") for b in banned):
                found.add(name)
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, mesa.Model | mesa.Agent):
            found.add(f"{value.__module__}.{value.__qualname__}")
    return found
