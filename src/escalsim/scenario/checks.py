"""Cross-field checks of a typed scenario.

Pydantic checks each field on its own; this module checks what only the whole scenario can
say: ids unique, references resolvable (actors, channels, rungs), roles consistent, schedules
inside the horizon. Each finding names the field path of the offending value (or mapping key),
so the loader can put it at its line and column.

``set`` events are checked by the loader, which applies each one and runs these same checks on
the result (:func:`escalsim.scenario.load._set_event_problems`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import NamedTuple

from escalsim.core.bargaining import MAX_BUNDLE_ITEMS
from escalsim.policies import DEFAULT_POLICY, POLICIES
from escalsim.scenario.errors import Loc, did_you_mean, format_loc
from escalsim.scenario.schema import Actor, CostTypes, ResolveTypes, Scenario

#: Fields a ``set`` event may not change: identities, structure, and the run itself. (Nor a
#: power's type, drawn once per replication: the loader refuses a path to ``war_cost`` or into
#: a prior over ``resolve``; a point ``resolve`` may change, as version 1 reads it.)
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


def check(s: Scenario, *, round0: bool = True) -> list[Finding]:
    """Return every cross-field problem of a scenario.

    Parameters
    ----------
    s : Scenario
        A scenario whose fields are individually valid.
    round0 : bool
        Whether ``s`` is the scenario as it starts. False for the trials of ``set`` events (the
        scenario as an event leaves it, validated without its events): the checks of the
        schedule and of the round-0 types (drawn once, from the round-0 values) are skipped.

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
    _check_stakes(c, round0=round0)
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
        policy = POLICIES[a.policy.name]
        for below, message in policy.problems(a.policy, s):
            c.add((*loc, "policy", *below), message)
        if policy.powers_only and a.role != "power":
            c.add(
                (*loc, "policy", "name"),
                f"the {a.policy.name} policy is for the two powers (it decides on their bargain: "
                f"the other power's types and offers); a third party needs another, such as "
                f"{DEFAULT_POLICY['third_party']} (its default when 'policy' is not given)",
            )
        _check_type_fields(c, i, a)
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


# ------------------------------------------------------------------------------------------------
# Version 2: types, stakes
# ------------------------------------------------------------------------------------------------
def _check_type_fields(c: _Checker, i: int, a: Actor) -> None:
    """Who has which type field, and each prior on its own."""
    loc: Loc = ("actors", i)
    for fld in ("resolve", "war_cost"):
        spec = getattr(a, fld)
        if isinstance(spec, (ResolveTypes, CostTypes)):
            _check_prior(c, (*loc, fld), spec)
    if a.role != "power":
        if a.war_cost is not None:
            c.add(
                (*loc, "war_cost"),
                "'war_cost' is for the powers (their type); a third party has none",
                key=True,
            )
        if a.resolve is None:
            c.add(loc, "missing required field 'resolve'")
        return
    if a.resolve is None and a.war_cost is None:
        c.add(
            loc,
            "a power needs its type: 'resolve' (the largest risk of war it will run, 0 to 1) or "
            "'war_cost' (its cost of war per round, relative to the stakes)",
        )


def _check_prior(c: _Checker, loc: Loc, t: ResolveTypes | CostTypes) -> None:
    """A prior over types: one form, bounds in order, an increasing grid, weights summing to 1."""
    if (t.uniform is None) == (t.grid is None):
        # At a form written as null, if there is one: that is where the reader should look.
        written = [f for f in ("uniform", "grid") if f in t.model_fields_set]
        c.add(
            (*loc, written[0]) if t.grid is None and written else loc,
            "a prior over types is either 'uniform: [lo, hi]' with 'types: n', or 'grid: "
            f"[...]' with an optional 'prior: [...]'; got {'both' if t.grid else 'neither'}",
        )
        return
    if t.uniform is not None:
        if t.types is None:  # at 'types: null', or else at the prior
            c.add((*loc, "types"), "a uniform prior needs 'types': how many types, e.g. types: 5")
        if t.prior is not None:
            c.add((*loc, "prior"), "'prior' goes with 'grid'; a uniform prior has equal weights")
        lo, hi = t.uniform
        if lo > hi:
            for k in (0, 1):
                c.add((*loc, "uniform", k), f"expected [lo, hi] with lo <= hi, got [{lo}, {hi}]")
        return
    assert t.grid is not None
    if t.types is not None:
        c.add((*loc, "types"), "'types' goes with 'uniform'; a grid has one type per value")
    for k in range(1, len(t.grid)):
        if t.grid[k] <= t.grid[k - 1]:
            for j in (k - 1, k):
                c.add(
                    (*loc, "grid", j),
                    f"a grid's types increase; {t.grid[k]} follows {t.grid[k - 1]}",
                )
    if t.prior is None:
        return
    if len(t.prior) != len(t.grid):
        c.add(
            (*loc, "prior"),
            f"expected {len(t.grid)} weights, one per grid value; got {len(t.prior)}",
        )
        return
    from escalsim.core.params import PRIOR_TOLERANCE

    total = math.fsum(t.prior)
    if abs(total - 1.0) > PRIOR_TOLERANCE:
        c.add((*loc, "prior"), f"the weights of a prior sum to 1; they sum to {total:.6g}")


def _check_stakes(c: _Checker, *, round0: bool) -> None:
    """Status quo shares, divisibility, the commitment problem; resolve and war_cost agreeing."""
    s = c.s
    quo = s.stakes.status_quo or {}
    known = [c.ref(k, c.powers, ("stakes", "status_quo", k), "power", key=True) for k in quo]
    if quo and all(known) and len(quo) == 2 and abs(math.fsum(quo.values()) - 1.0) > 1e-6:
        c.add(
            ("stakes", "status_quo"),
            "the two powers' status-quo shares sum to 1; they sum to "
            f"{math.fsum(quo.values()):.6g} (give one power's share and the other gets the rest)",
        )
    if not s.stakes.divisible and not s.agenda:
        c.add(
            ("stakes", "divisible"),
            "indivisible stakes are divided in whole agenda items, and the scenario has no "
            "'agenda'; add its items, or set divisible: true",
        )
    whole = [i for i, item in enumerate(s.agenda) if item.divisible is not True]
    if not s.stakes.divisible and len(whole) > MAX_BUNDLE_ITEMS:
        c.add(
            ("stakes", "divisible"),
            f"indivisible stakes are offered as bundles of whole items, every one of the 2^m "
            f"enumerated, for at most {MAX_BUNDLE_ITEMS} indivisible items; the agenda has "
            f"{len(whole)} (mark some 'divisible: true', or set stakes.divisible: true)",
        )
    for i, item in enumerate(s.agenda):
        if item.divisible is False and s.stakes.divisible:
            c.add(
                ("agenda", i, "divisible"),
                "an item is indivisible only when the stakes are (stakes.divisible: false); "
                "with divisible stakes an offer is any share of the whole",
            )
    if round0 and s.stakes.commitment_problem and not _capability_shifts(c):
        c.add(
            ("stakes", "commitment_problem"),
            "a commitment problem needs a scheduled shift in capabilities: a 'set' event on a "
            "power's capability (e.g. path: actors.<power id>.capability)",
        )
    if round0 and len(c.powers) == 2 and not c.out:
        _check_agreeing_types(c)


def _capability_shifts(c: _Checker) -> bool:
    """Whether a ``set`` event changes a power's capability."""
    powers = {a.id for a in c.s.actors if a.role == "power"}
    powers |= {str(i) for i, a in enumerate(c.s.actors) if a.role == "power"}
    paths = [e.path.split(".") for e in c.s.events if e.kind == "set"]
    return any(
        len(p) == 3 and p[0] == "actors" and p[1] in powers and p[2] == "capability" for p in paths
    )


def _check_agreeing_types(c: _Checker) -> None:
    """A power that gives both resolve and war_cost: the two describe the same types."""
    import numpy as np

    from escalsim.core.params import (
        COST_TOLERANCE,
        PRIOR_TOLERANCE,
        cost_types,
        costs_of_resolve,
        win_probabilities,
    )

    s = c.s
    powers = [i for i, a in enumerate(s.actors) if a.role == "power"]
    for i, p in zip(powers, win_probabilities(s), strict=True):
        a = s.actors[i]
        if a.resolve is None or a.war_cost is None:
            continue
        costs, weights = cost_types(a, p)
        mapped, rho_weights = costs_of_resolve(a.resolve, p)
        agree = (
            len(costs) == len(mapped)
            and bool(np.all(np.abs(costs - mapped) <= COST_TOLERANCE))
            and bool(np.all(np.abs(weights - rho_weights) <= PRIOR_TOLERANCE))
        )
        if not agree:
            shown = ", ".join(f"{x:.4g}" for x in mapped[:8]) + (", ..." if len(mapped) > 8 else "")
            c.add(
                ("actors", i, "war_cost"),
                f"'resolve' and 'war_cost' describe different types: this resolve means costs of "
                f"war [{shown}] (c = 1/resolve - 1 + p, p = {p:.4g} the chance of winning at "
                "round 0); give one of the two, or the same types",
            )
