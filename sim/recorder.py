"""The books of a run: step counters, declared once, and the event log.

Phases change the model's state and report what happened to a :class:`Recorder`: counts and
sums for the step (``rec.count("help_given")``, ``rec.add("damage", x)``) and events for the
log (``rec.event("helped", member, partner=host, threat=t)``). The per-step table's columns
and their descriptions (:data:`COUNTERS`) are this one list; the model's reporters and the
plots' labels are built from it, so a counter cannot be added in one place and forgotten in
another.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Series:
    """A column of the per-step table.

    Attributes:
        column: its name in ``steps.csv`` and ``series/``.
        meaning: what it counts, in a few words (plots use it as a label).
        unit: its unit.
        counter: the counter a phase reports it under (``None``: read from the state).
    """

    column: str
    meaning: str
    unit: str
    counter: str | None = None


#: Step counters: what phases report, summed over one step.
COUNTERS: tuple[Series, ...] = (
    Series("damage_usd_bn", "damage in the step", "US$ bn", "damage"),
    Series("threats_new", "threats emerging", "threats", "threats_new"),
    Series("threats_detected", "threats detected", "threats", "threats_detected"),
    Series("threats_resolved", "threats resolved", "threats", "threats_resolved"),
    Series("spillovers", "spill-overs", "threats", "spillovers"),
    Series("challenges", "challenges by outside powers", "challenges", "challenges"),
    Series("armed_challenges", "armed attacks by outside powers", "challenges", "armed_challenges"),
    Series("grey_zone_challenges", "grey-zone challenges (coercion)", "challenges",
           "grey_zone_challenges"),
    Series("help_requests", "requests for help", "requests", "help_requests"),
    Series("decisions", "collective decisions taken", "decisions", "decisions"),
    Series("help_given", "contributions to others' threats", "contributions", "help_given"),
    Series("help_refused", "refusals", "refusals", "help_refused"),
    Series("abandonments", "abandonments", "abandonments", "abandonments"),
    Series("obligations_honoured", "obligations honoured", "contributions",
           "obligations_honoured"),
    Series("entrapments", "entrapments", "entrapments", "entrapments"),
    Series("leaks", "leaks", "leaks", "leaks"),
    Series("sharing_links", "intelligence sharing links", "links", "sharing_links"),
    Series("exercise_participants", "exercise participants", "members", "exercise_participants"),
    Series("meetings", "ministers' meetings and consultations", "meetings", "meetings"),
    Series("withdrawals", "withdrawals", "members", "withdrawals"),
    Series("joined", "members joining or rejoining", "members", "joined"),
    Series("suspensions", "members suspended", "members", "suspensions"),
    Series("readmissions", "suspended members readmitted", "members", "readmissions"),
    Series("unanswered_attacks", "outside powers' armed attacks the group did not answer",
           "challenges", "unanswered_attacks"),
    Series("unanswered_challenges", "outside powers' challenges the group did not answer",
           "challenges", "unanswered_challenges"),
    Series("amendments_proposed", "amendments of the rule put to the vote", "proposals",
           "amendments_proposed"),
    Series("amendments_tightening", "amendments adopted towards more commitment",
           "amendments", "amendments_tightening"),
    Series("amendments_loosening", "amendments adopted towards less commitment",
           "amendments", "amendments_loosening"),
    Series("requests_declined", "requests declined by vote", "requests", "requests_declined"),
    Series("requests_blocked", "requests ruled out by the rule", "requests", "requests_blocked"),
    Series("defence_spending_usd_bn", "defence spending in the step", "US$ bn",
           "defence_spending"),
    Series("exercise_cost_usd_bn", "exercise cost in the step", "US$ bn", "exercise_cost"),
    Series("meeting_cost_usd_bn", "meeting cost in the step", "US$ bn", "meeting_cost"),
    Series("help_cost_usd_bn", "cost of helping in the step", "US$ bn", "help_cost"),
    Series("overextension", "share of forces abroad while hit at home, summed over members",
           "force shares", "overextension"),
)  # fmt: skip

#: State read at the end of each step (reporters in sim/model.py).
STATE: tuple[Series, ...] = (
    Series("threats_active", "threats active", "threats"),
    Series("forces_abroad_share", "share of members' military means deployed abroad", "share"),
    Series("mean_trust", "mean trust between members", "0-1"),
    Series("mean_interoperability", "mean interoperability", "0-1"),
    Series("mean_readiness", "mean readiness", "0-1"),
    Series("mean_defence_pct_gdp", "mean defence spending", "% GDP"),
    Series("gdp_usd_bn", "the group's GDP", "US$ bn a year"),
    Series("members_remaining", "members taking part in the group", "members"),
    Series("rule_level", "the rule in force: position on the spectrum of presets", "0-5"),
)

COUNTER_NAMES = frozenset(s.counter for s in COUNTERS)

#: How far back the recorder keeps step counts and notes (amendment triggers look back 12
#: months, or to the previous meeting).
KEEP_MONTHS = 36

EVENT_COLUMNS = ["month", "event", "member", "partner", "threat_id", "threat_type", "detail"]


class _Named(Protocol):
    name: str


class _ThreatLike(Protocol):
    unique_id: int
    kind: str


class Recorder:
    """Counts of the current step, totals of the run, and the event log.

    Args:
        log: where event rows go (the DataCollector's ``add_table_row`` for the events
            table), or None to keep no log.
    """

    def __init__(self, log=None):
        self.month = 0
        self.tick: Counter[str] = Counter()
        self.total: Counter[str] = Counter()
        self.past: deque[tuple[int, Counter[str]]] = deque()  # (month, tick), 36 months
        self.notes: deque[tuple[int, str, str]] = deque()  # (month, what, who), 36 months
        self._log = log

    def new_step(self, month: int) -> None:
        """Start counting a new step."""
        self.month = month
        self.tick = Counter()
        self.past.append((month, self.tick))
        for kept in (self.past, self.notes):  # what later phases look back on: 36 months
            while kept and kept[0][0] <= month - KEEP_MONTHS:
                kept.popleft()

    def since(self, name: str, month: float) -> float:
        """Counter ``name`` summed over the steps after ``month`` (this one included)."""
        return sum(tick[name] for m, tick in self.past if m > month)

    def note(self, what: str, who: str) -> None:
        """Note an event later phases weigh (e.g. a grievance that may trigger an
        amendment): ``what`` happened to member ``who`` this step."""
        self.notes.append((self.month, what, who))

    def notes_since(self, what: str, month: float) -> list[str]:
        """The members ``what`` happened to after ``month``, oldest first."""
        return [who for m, w, who in self.notes if w == what and m > month]

    def count(self, name: str, n: float = 1) -> None:
        """Add ``n`` to counter ``name`` (one of :data:`COUNTERS`)."""
        if name not in COUNTER_NAMES:
            raise KeyError(f"undeclared step counter {name!r}: declare it in sim/recorder.py")
        self.tick[name] += n
        self.total[name] += n

    add = count

    def event(
        self,
        event: str,
        member: _Named | None = None,
        partner: _Named | None = None,
        threat: _ThreatLike | None = None,
        detail: str = "",
    ) -> None:
        """Append a row to the event log."""
        if self._log is None:
            return
        row: dict[str, Any] = {
            "month": self.month,
            "event": event,
            "member": member.name if member is not None else "",
            "partner": partner.name if partner is not None else "",
            "threat_id": threat.unique_id if threat is not None else -1,
            "threat_type": threat.kind if threat is not None else "",
            "detail": detail,
        }
        self._log("events", row)
