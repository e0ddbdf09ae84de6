"""The browser view: watch a scenario run on Mesa's SolaraViz, move a control, see the effect.

An optional extra (``pip install 'cdsim[viz]'``). Start it with ``cdsim view [SCENARIO]``, or
``solara run app.py`` (the scenario then comes from the ``CDSIM_SCENARIO`` environment
variable, default the ASEAN Way). The page shows the member network, at the members'
capitals when the scenario gives them, else arranged by their borders (members coloured by
damage or readiness and sized by GDP, active threats marked on the member they hit, edges by
trust or interoperability), live plots of the key measures, and a feed of the
latest events; its controls set the rule, intelligence sharing, exercises, policies, threat
rates and the seed.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import solara
from matplotlib import colormaps
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz, make_plot_component
from mesa.visualization.utils import update_counter

from sim import shipped
from sim.config import ConfigError, Scenario, load_scenario
from sim.model import CollectiveDefenceModel
from sim.plots.network import CROWD, place, place_labels
from sim.policies import registry
from sim.presets import PRESETS
from sim.vocabulary import EXERCISE_KINDS, PROCEDURES, SHARING, VOTES

SCENARIO_ENV = "CDSIM_SCENARIO"
KEEP = "as in the scenario"
DEFAULT_SCENARIO = shipped.default_scenario()
COVERED = {"external aggression only": ["aggression"], "every threat type": None}


def default_scenario_file() -> str:
    """The scenario the page shows: ``$CDSIM_SCENARIO``, else the ASEAN Way."""
    return os.environ.get(SCENARIO_ENV) or str(DEFAULT_SCENARIO)


class ViewModel(CollectiveDefenceModel):
    """The model with flat, one-value parameters, as SolaraViz's controls set them.

    Every parameter left at ``KEEP`` (or 1.0 for ``threat_rates``) keeps the scenario file's
    value. Settings that do not make a valid scenario are reported in ``control_error`` and
    the file runs unchanged. Mesa passes its own ``scenario`` object when it resets a model;
    it is ignored here (this model's scenario is the file).
    """

    def __init__(
        self,
        scenario_file: str = "",
        preset: str = KEEP,
        decision: str = KEEP,
        covered_threats: str = KEEP,
        internal_affairs: str = KEEP,
        intelligence_sharing: str = KEEP,
        exercise_kind: str = KEEP,
        exercise_interval_months: str = KEEP,
        amendment: str = KEEP,
        policy: str = KEEP,
        member_policies: str = "",
        threat_rates: float = 1.0,
        seed: int = 0,
        scenario: Any = None,  # Mesa's scenario object on reset: not used
        rng: Any = None,
    ):
        path = scenario_file or default_scenario_file()
        self.control_error = ""
        try:
            overrides = view_overrides(
                path, preset=preset, decision=decision, covered_threats=covered_threats,
                internal_affairs=internal_affairs, intelligence_sharing=intelligence_sharing,
                exercise_kind=exercise_kind, exercise_interval_months=exercise_interval_months,
                amendment=amendment, policy=policy, member_policies=member_policies,
                threat_rates=threat_rates,
            )  # fmt: skip
            config = load_scenario(path, overrides)
        except ConfigError as err:  # shown on the page; the scenario runs as written
            self.control_error = f"These settings do not make a valid scenario: {err}"
            config = load_scenario(path)
        super().__init__(config, rng=int(seed))
        self.positions = member_positions(self.config)


def member_positions(config: Scenario) -> dict[str, np.ndarray]:
    """Where the page draws each member: at its capital when every member has one (as the
    network figure does), else by borders (neighbours together)."""
    lat = [m.capital_lat for m in config.members]
    lon = [m.capital_lon for m in config.members]
    return place(config.member_names, lat, lon, [tuple(b.between) for b in config.borders])


def view_overrides(path: str, **controls: Any) -> list[str]:
    """The ``--set`` overrides the controls stand for (a malformed control raises
    :class:`~sim.config.ConfigError`; the combination is checked when it is loaded)."""
    out = []
    if controls["preset"] != KEEP:
        out.append(f"rules.preset={controls['preset']}")
    if controls["decision"] != KEEP:
        out.append(f"rules.decision={controls['decision']}")
    if controls["covered_threats"] != KEEP:
        covered = COVERED[controls["covered_threats"]]
        out.append(f"rules.covered_threats={'null' if covered is None else covered}")
    if controls["internal_affairs"] != KEEP:
        off = controls["internal_affairs"] == "off limits"
        out.append(f"rules.internal_affairs_off_limits={str(off).lower()}")
    if controls["intelligence_sharing"] != KEEP:
        out.append(f"rules.intelligence_sharing={controls['intelligence_sharing']}")
    if controls["exercise_kind"] != KEEP:
        out.append(f"exercises.kind={controls['exercise_kind']}")
    if controls["exercise_interval_months"] != KEEP:
        out.append(f"exercises.interval_months={int(controls['exercise_interval_months'])}")
    if controls.get("amendment", KEEP) != KEEP:
        procedure = controls["amendment"]
        if procedure == "none":
            out.append("amendment=null")
        elif load_scenario(path).amendment is not None:  # keep the file's own triggers
            out.append(f"amendment.vote={procedure}")
        else:
            out.append(f"amendment={{vote: {procedure}}}")
    base = load_scenario(path, out)
    if controls["policy"] != KEEP:
        out += [f"members.{i}.policy={controls['policy']}" for i in range(len(base.members))]
    for item in filter(None, (p.strip() for p in controls["member_policies"].split(","))):
        member, sep, name = item.partition("=")
        if not sep:
            raise ConfigError(f"member policies: expected MEMBER=POLICY, got {item!r}")
        out.append(f"members.{member.strip()}.policy={name.strip()}")
    if controls["threat_rates"] != 1.0:
        factor = float(controls["threat_rates"])
        out += [f"threats.{t}.rate={c.rate * factor:g}" for t, c in base.threats.items()]
    return out


def model_params(path: str) -> dict[str, Any]:
    """SolaraViz controls: the rule and its main settings, intelligence, exercises,
    policies, threat rates and the seed."""
    base = load_scenario(path)

    def select(label: str, values: list[Any]) -> dict[str, Any]:
        return {"type": "Select", "value": KEEP, "values": [KEEP, *values], "label": label}

    return {
        "scenario_file": path,
        "preset": select(f"Rule preset (scenario: {base.rules.preset})", list(PRESETS)),
        "decision": select("Decision procedure", list(PROCEDURES)),
        "covered_threats": select("Threats the rule covers", list(COVERED)),
        "internal_affairs": select("Internal affairs", ["off limits", "open"]),
        "intelligence_sharing": select("Intelligence sharing", list(SHARING)),
        "exercise_kind": select("Exercise kind", list(EXERCISE_KINDS)),
        "exercise_interval_months": select("Exercises every (months)", ["6", "12", "24", "36"]),
        "amendment": select("Amending the rule after crises", ["none", *VOTES]),
        "policy": select("Policy of every member", list(registry.registered())),
        "member_policies": {"type": "InputText", "value": "",
                            "label": "Member policies (e.g. Laos=free_rider, Myanmar=reciprocal)"},
        "threat_rates": {"type": "SliderFloat", "value": 1.0, "min": 0.0, "max": 3.0,
                         "step": 0.1, "label": "Threat rates (x the scenario's)"},
        "seed": {"type": "SliderInt", "value": base.seed or 0, "min": 0, "max": 999, "step": 1,
                 "label": "Seed"},
    }  # fmt: skip


# ------------------------------------------------------------------ components

colour_by = solara.reactive("damage")
edges_by = solara.reactive("trust")


def network_figure(model: ViewModel, colour: str = "damage", edge: str = "trust") -> Figure:
    """The member network now: members at their capitals (else placed by their borders),
    coloured by damage (% of
    GDP) or readiness and sized by GDP; every pair a line by trust or interoperability, solid
    along a shared border; a red triangle with the number of active threats next to each
    member hit; members who left drawn hollow."""
    names = [s.name for s in model.states]
    xy = np.array([model.positions[n] for n in names])
    gdp = np.array([s.gdp_usd_bn for s in model.states])
    values = (
        np.array(
            [
                100 * s.damage_usd_bn / m.gdp_usd_bn
                for s, m in zip(model.states, model.config.members, strict=True)
            ]
        )
        if colour == "damage"
        else np.array([s.readiness for s in model.states])
    )
    matrix = model.relations.trust if edge == "trust" else model.relations.interoperability
    fig = Figure(figsize=(5.6, 3.9), layout="constrained")
    ax = fig.subplots()
    borders = {frozenset(b.between) for b in model.config.borders}
    segments, widths, shades, styles = [], [], [], []
    n = len(names)
    for i in range(n):
        for j in range(i + 1, n):
            v = float(matrix[i, j] + matrix[j, i]) / 2
            segments.append((xy[i], xy[j]))
            widths.append(0.3 + 3 * v)
            shades.append(v)
            styles.append("solid" if frozenset((names[i], names[j])) in borders else (0, (1, 2)))
    rgba = colormaps["Blues"](np.array(shades))
    rgba[:, 3] = [0.9 if style == "solid" else 0.35 for style in styles]  # borders stand out
    ax.add_collection(LineCollection(segments, linewidths=widths, colors=rgba, linestyles=styles,
                                     zorder=1))  # fmt: skip
    cmap = colormaps["Reds" if colour == "damage" else "Greens"]
    norm = Normalize(0, max(float(values.max()), 0.1) if colour == "damage" else 1.0)
    member = np.array([s.is_member for s in model.states])
    sizes = 60 + 900 / max(1.0, len(names) / CROWD) * np.sqrt(gdp / gdp.max())
    nodes = ax.scatter(xy[member, 0], xy[member, 1], s=sizes[member], c=values[member], cmap=cmap,
                       norm=norm, edgecolors="black", linewidths=0.6, zorder=2)  # fmt: skip
    if (~member).any():
        ax.scatter(xy[~member, 0], xy[~member, 1], s=sizes[~member], facecolors="none",
                   edgecolors="grey", linestyles="--", zorder=2)  # fmt: skip
    hits: dict[str, int] = {}
    for threat in model.active_threats():
        hits[threat.host.name] = hits.get(threat.host.name, 0) + 1
    for name, count in hits.items():
        x, y = model.positions[name]
        ax.scatter([x + 0.07], [y + 0.07], marker="^", s=90, color="crimson", zorder=3)
        ax.annotate(str(count), (x + 0.07, y + 0.07), xytext=(6, -3), textcoords="offset points",
                    fontsize=8, color="crimson", zorder=3)  # fmt: skip
    label = "damage so far (% of GDP)" if colour == "damage" else "readiness (0-1)"
    fig.colorbar(nodes, ax=ax, shrink=0.7, label=label)
    ax.set_title(f"Month {model.month}: members (size: GDP), active threats in red "
                 f"({sum(hits.values())})\nlines: {edge} between them, solid along a shared "
                 "border", fontsize=9)  # fmt: skip
    ax.set_aspect("equal")
    ax.margins(0.15)
    ax.set_axis_off()
    fig.draw_without_rendering()  # labels last, where they overlap least
    # below first: the threat marks sit up and to the right
    below_first = ((0, -1), (-1, 0), (-1, -1), (1, -1), (0, 1), (1, 0), (-1, 1), (1, 1))
    place_labels(ax, names, xy, np.sqrt(sizes) / 2, fontsize=8, spots=below_first)
    return fig


#: Events that change the rule or who takes part, shown as the group's history.
HISTORY_EVENTS = ("amended", "rejected", "joined", "left", "suspended", "admitted", "learnt")


def history(model: CollectiveDefenceModel, n: int = 8) -> list[str]:
    """The ``n`` latest changes of the rule or of membership (and what members learnt),
    newest first, as lines of text."""
    rows = model.datacollector.tables["events"]
    out = []
    for i in range(len(rows["month"]) - 1, -1, -1):
        if rows["event"][i] in HISTORY_EVENTS:
            who = rows["member"][i]
            out.append(f"month {rows['month'][i]}: {rows['event'][i]}"
                       + (f" {who}" if who else "") + f" ({rows['detail'][i]})")  # fmt: skip
            if len(out) == n:
                break
    return out


@solara.component
def StatusView(model: ViewModel) -> None:
    """What is running: month, rule (and its history), membership, sharing, exercises,
    policies; and the network's options."""
    update_counter.get()
    rule = model.rule
    policies = sorted({s.behaviour for s in model.states})
    outside = [f"{s.name} ({s.status})" for s in model.states if not s.is_member]
    procedure = model.config.amendment
    with solara.Column():
        if model.control_error:
            solara.Error(model.control_error)
        solara.Markdown(
            f"**{model.config.name}**, month {model.month}: rule `{rule.preset}` (decision "
            f"{rule.decision}), intelligence {rule.intelligence_sharing}, exercises "
            f"{model.config.exercises.kind} every {model.config.exercises.interval_months} "
            f"months; policies: {', '.join(policies)}. Amendments: "
            f"{'none' if procedure is None else procedure.vote}. Outside the group: "
            f"{', '.join(outside) or 'nobody'}."
        )
        lines = history(model)
        if lines:
            solara.Markdown("**Rule and membership history**\n\n" + "\n".join(
                f"- {line}" for line in lines))  # fmt: skip
        with solara.Row():
            solara.ToggleButtonsSingle(value=colour_by, values=["damage", "readiness"])
            solara.ToggleButtonsSingle(value=edges_by, values=["trust", "interoperability"])


@solara.component
def NetworkView(model: ViewModel) -> None:
    """The member network, redrawn after every step."""
    update_counter.get()
    solara.FigureMatplotlib(network_figure(model, colour_by.value, edges_by.value))


def latest_events(model: CollectiveDefenceModel, n: int = 12) -> list[dict[str, Any]]:
    """The ``n`` most recent events, newest first."""
    rows = model.datacollector.tables["events"]
    count = len(rows["month"])
    return [{k: rows[k][i] for k in rows} for i in range(count - 1, max(count - n, 0) - 1, -1)]


@solara.component
def EventFeed(model: ViewModel) -> None:
    """The latest events: who detected, shared, asked, helped, refused."""
    update_counter.get()
    lines = ["| month | event | member | partner | threat | detail |", "|---|---|---|---|---|---|"]
    for e in latest_events(model):
        tid = e["threat_id"]
        threat = f"{e['threat_type']} {tid}" if tid is not None and tid >= 0 else ""
        cells = [e["month"], e["event"], e["member"], e["partner"], threat, e["detail"]]
        lines.append("| " + " | ".join(str(c or "") for c in cells) + " |")
    solara.Markdown("**Latest events**\n\n" + "\n".join(lines))


def page(path: str | None = None) -> Any:
    """The SolaraViz page for a scenario file."""
    path = path or default_scenario_file()
    model = ViewModel(path, seed=load_scenario(path).seed or 0)
    return SolaraViz(
        model,
        components=[
            StatusView,
            NetworkView,
            make_plot_component({"threats_active": "crimson", "members_remaining": "black"}),
            make_plot_component({"mean_trust": "tab:blue", "mean_interoperability": "tab:green"}),
            make_plot_component({"damage_usd_bn": "tab:red"}),
            make_plot_component({"rule_level": "tab:purple"}),
            EventFeed,
        ],
        model_params=model_params(path),
        name=f"cdsim: {model.config.name}",
        play_interval=150,
    )


Page = page()
