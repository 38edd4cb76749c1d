"""Cross-field checks of a typed scenario.

Pydantic checks each field on its own; this module checks what only the whole scenario can
say: ids unique, references resolvable (actors, channels, rungs), roles consistent, schedules
inside the horizon. Each finding names the field path of the offending value (or mapping key),
so the loader can put it at its line and column.

``set`` events are checked by the loader, which applies each one and runs these same checks on
the result (:func:`escalsim.scenario.load._set_event_problems`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from escalsim.policies import POLICIES
from escalsim.scenario.errors import Loc, did_you_mean, format_loc
from escalsim.scenario.schema import Scenario

#: Fields a ``set`` event may not change: identities, structure, and the run itself.
FROZEN_DURING_RUN = frozenset(
    {"id", "name", "role", "kind", "between", "via", "open", "initial_rung", "policy"}
)
FROZEN_SECTIONS = frozenset(
    {
        "schema_version",
        "id",
        "name",
        "description",
        "sources",
        "run",
        "doctrines",
        "events",
        "conditions",
        "sweep",
    }
)


class Finding(NamedTuple):
    """One cross-field problem: where, what, and whether ``loc`` names a mapping key."""

    loc: Loc
    message: str
    key: bool = False


class _Checker:
    def __init__(self, s: Scenario) -> None:
        self.s = s
        self.out: list[Finding] = []
        self.ids = [a.id for a in s.actors]
        self.powers = [a.id for a in s.actors if a.role == "power"]
        self.rung_names = [r.name for r in s.ladder.rungs]

    def add(self, loc: Loc, message: str, *, key: bool = False) -> None:
        self.out.append(Finding(loc, message, key))

    def unique(self, items: Iterable[tuple[int, str]], where: Loc, what: str) -> None:
        seen: dict[str, int] = {}
        for i, ident in items:
            if ident in seen:
                first = format_loc((*where, seen[ident]))
                self.add((*where, i, what), f"duplicate {what} '{ident}' (also {first})")
            else:
                seen[ident] = i

    def rung(self, ref: str | int | None, loc: Loc) -> int | None:
        if ref is None:
            return None
        names = self.rung_names
        if isinstance(ref, int):
            if ref >= len(names):
                self.add(
                    loc, f"rung index {ref} is outside the ladder; expected 0 to {len(names) - 1}"
                )
                return None
            return ref
        if ref not in names:
            self.add(
                loc,
                f"no rung named '{ref}'{did_you_mean(ref, names)}; expected one of: "
                f"{', '.join(names)}",
            )
            return None
        return names.index(ref)

    def ref(self, ref: str, known: list[str], loc: Loc, what: str, *, key: bool = False) -> bool:
        if ref in known:
            return True
        listed = ", ".join(dict.fromkeys(known))
        self.add(
            loc, f"no {what} '{ref}'{did_you_mean(ref, known)}; expected one of: {listed}", key=key
        )
        return False


def check(s: Scenario) -> list[Finding]:
    """Return every cross-field problem of a scenario.

    Parameters
    ----------
    s : Scenario
        A scenario whose fields are individually valid.

    Returns
    -------
    list of Finding
        Empty when the scenario is consistent.
    """
    c = _Checker(s)
    c.unique(enumerate(c.ids), ("actors",), "id")
    c.unique(enumerate(c.rung_names), ("ladder", "rungs"), "name")
    c.unique(((i, ch.id) for i, ch in enumerate(s.channels)), ("channels",), "id")
    c.unique(((i, a.id) for i, a in enumerate(s.agenda)), ("agenda",), "id")
    c.unique(((i, e.id) for i, e in enumerate(s.events) if e.id), ("events",), "id")
    war = _check_ladder(c)
    _check_actors(c, war)
    _check_channels(c)
    for i, item in enumerate(s.agenda):
        for key in item.salience:
            c.ref(key, c.ids, ("agenda", i, "salience", key), "actor", key=True)
    _check_events(c)
    return c.out


def _check_ladder(c: _Checker) -> int | None:
    s = c.s
    war = c.rung(s.ladder.war_rung, ("ladder", "war_rung"))
    if war == 0:
        c.add(("ladder", "war_rung"), "the war rung cannot be rung 0 (normal relations)")
        war = None  # the checks that compare with the war rung would only repeat this
    nuclear = c.rung(s.ladder.nuclear_rung, ("ladder", "nuclear_rung"))
    if s.ladder.nuclear_rung is not None and s.ladder.war_rung is None:
        c.add(("ladder", "nuclear_rung"), "a ladder without a war rung cannot have a nuclear rung")
    if nuclear is not None and war is not None and nuclear < war:
        c.add(("ladder", "nuclear_rung"), "the nuclear rung must be at or above the war rung")
    settle = c.rung(s.endings.settlement_rung, ("endings", "settlement_rung"))
    if settle is not None and war is not None and settle >= war:
        c.add(("endings", "settlement_rung"), "the settlement rung must be below the war rung")
    return war


def _check_actors(c: _Checker, war: int | None) -> None:
    s = c.s
    if len(c.powers) != 2:
        c.add(
            ("actors",),
            f"a scenario needs exactly two actors with role 'power'; found {len(c.powers)}",
        )
    example = "{" + ", ".join(f"{p}: 0.5" for p in (c.powers or ["A", "B"])[:2]) + "}"
    for i, a in enumerate(s.actors):
        loc: Loc = ("actors", i)
        start = c.rung(a.initial_rung, (*loc, "initial_rung"))
        if start is not None and war is not None and start >= war:
            c.add((*loc, "initial_rung"), "an actor cannot start at or above the war rung")
        c.rung(a.red_line, (*loc, "red_line"))
        for below, message in POLICIES[a.policy.name].problems(a.policy, s):
            c.add((*loc, "policy", *below), message)
        if a.role == "power":
            for fld in ("alignment", "influence"):
                if getattr(a, fld) is not None:
                    c.add((*loc, fld), f"'{fld}' is for third parties; a power has none")
            for fld in ("may_mediate", "may_join"):
                if getattr(a, fld):
                    c.add((*loc, fld), f"'{fld}' is for third parties")
            continue
        if a.alignment is None:
            c.add(
                (*loc, "role"),
                f"a third party needs 'alignment': its share with each power, e.g. {example}",
            )
        for fld in ("alignment", "influence"):
            for key in getattr(a, fld) or {}:
                c.ref(key, c.powers, (*loc, fld, key), "power", key=True)
        if a.alignment is not None and abs(sum(a.alignment.values()) - 1.0) > 1e-6:
            c.add(
                (*loc, "alignment"),
                f"alignment shares must sum to 1; they sum to {sum(a.alignment.values()):.6g}",
            )


def _check_channels(c: _Checker) -> None:
    s = c.s
    publics = [i for i, ch in enumerate(s.channels) if ch.kind == "public"]
    if not publics:
        c.add(
            ("channels",),
            "a scenario needs one channel of kind 'public' (public statements "
            "and observed actions, always open); found none",
        )
    for extra in publics[1:]:
        c.add(
            ("channels", extra, "kind"),
            "a scenario has exactly one 'public' channel; "
            f"channels[{publics[0]}] is already public",
        )
    for i, ch in enumerate(s.channels):
        loc: Loc = ("channels", i)
        if ch.kind == "public":
            if ch.between is not None:
                c.add((*loc, "between"), "the public channel joins every actor; omit 'between'")
            if not ch.open:
                c.add((*loc, "open"), "the public channel is always open")
            if ch.via is not None:
                c.add((*loc, "via"), "only a 'mediated' channel has 'via'")
            continue
        if ch.between is None:
            c.add((*loc, "kind"), f"a '{ch.kind}' channel needs 'between': its two actor ids")
        else:
            for j, end in enumerate(ch.between):
                c.ref(end, c.ids, (*loc, "between", j), "actor")
            if ch.between[0] == ch.between[1]:
                c.add((*loc, "between", 1), "a channel joins two different actors")
        if ch.kind != "mediated":
            if ch.via is not None:
                c.add((*loc, "via"), "only a 'mediated' channel has 'via'")
        elif ch.via is None:
            c.add((*loc, "kind"), "a 'mediated' channel needs 'via': the relaying third party")
        elif c.ref(ch.via, c.ids, (*loc, "via"), "actor"):
            if s.actors[c.ids.index(ch.via)].role != "third_party":
                c.add((*loc, "via"), f"'{ch.via}' is a power; a mediator is a third party")
            elif ch.between and ch.via in ch.between:
                c.add((*loc, "via"), "the mediator cannot be one of the endpoints")


def _check_events(c: _Checker) -> None:
    s = c.s
    horizon = s.run.rounds
    channel_ids = [ch.id for ch in s.channels]
    public_ids = {ch.id for ch in s.channels if ch.kind == "public"}
    for i, e in enumerate(s.events):
        loc: Loc = ("events", i)
        if e.round > horizon:
            c.add((*loc, "round"), f"round {e.round} is after the horizon (run.rounds = {horizon})")
        if e.kind in ("channel", "summit"):
            known = c.ref(e.channel, channel_ids, (*loc, "channel"), "channel")
            if known and e.channel in public_ids:
                c.add(
                    (*loc, "channel"), "the public channel is always open; events cannot change it"
                )
            if e.kind == "summit" and e.round + e.duration - 1 > horizon:
                c.add(
                    (*loc, "duration"), f"the summit runs past the horizon (run.rounds = {horizon})"
                )
        elif e.kind in ("election", "incident"):
            c.ref(e.actor, c.ids, (*loc, "actor"), "actor")
