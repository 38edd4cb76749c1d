"""Cross-field checks of a typed scenario.

Pydantic checks each field on its own; this module checks what only the whole scenario can
say: ids unique, references resolvable (actors, channels, rungs), roles consistent, schedules
inside the horizon. Each finding names the field path of the offending value (or mapping key),
so the loader can put it at its line and column.

``set`` events are checked by the loader, which applies each one and runs these same checks on
the result (:func:`escalsim.scenario.load._set_event_problems`).
"""

from __future__ import annotations

import datetime
import math
import re
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
    # version 3: who may fight, how a war ends, who is armed, and the state at round 1
    | {"ends_run", "pairs", "pair", "at_start", "patron", "touches", "nuclear", "strategic_rung"}
    | {"names", "ends_war"}
)
#: Version-3 fields a ``set`` event may not reach into at all (a war at start is an initial
#: state; who backs whom, who is named and which pair an item ends are structure).
FROZEN_INSIDE = frozenset({"at_start", "patron", "pair", "names", "ends_war"})
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
        #: Whether the powers' pair is at war at round 1 (``war.at_start``, version 3).
        self.powers_at_start = len(self.powers) == 2 and any(
            sorted(w.pair) == sorted(self.powers) for w in s.war.at_start
        )

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
    _check_wars(c, war, round0=round0)
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
    crisis = c.rung(s.ladder.crisis_rung, ("ladder", "crisis_rung"))
    if crisis == 0:
        c.add(("ladder", "crisis_rung"), "the crisis rung cannot be rung 0 (normal relations)")
    elif crisis is not None and war is not None and crisis > war:
        c.add(("ladder", "crisis_rung"), "the crisis rung must be at or below the war rung")
    if s.ladder.crisis_basic_values and s.ladder.crisis_rung is None:
        c.add(
            ("ladder", "crisis_basic_values"),
            "crisis_basic_values qualifies the crisis rung; set ladder.crisis_rung too",
        )
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
            if a.role != "power":
                c.add(
                    (*loc, "initial_rung"),
                    "a third party cannot start at or above the war rung; a war at round 1 is "
                    "declared in war.at_start, with each side's intensity (schema_version 3)",
                )
            elif not c.powers_at_start:
                c.add(
                    (*loc, "initial_rung"),
                    "a power starts at or above the war rung only in a war at round 1: declare "
                    f"it in war.at_start (schema_version 3), e.g. {{pair: "
                    f"[{', '.join(c.powers[:2]) or 'A, B'}], intensity: {{...}}}}, or start "
                    "below the war rung",
                )
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
    held = s.stakes.held_at or {}
    for k, rung in held.items():
        if c.ref(k, c.powers, ("stakes", "held_at", k), "power", key=True):
            at = c.rung(rung, ("stakes", "held_at", k))
            war_ref = s.ladder.war_rung  # checked in _check_ladder; read silently here
            names = c.rung_names
            war = (
                war_ref
                if isinstance(war_ref, int)
                else (names.index(war_ref) if war_ref in names else None)
            )
            if at == 0:
                c.add(
                    ("stakes", "held_at", k),
                    "a posture that holds the stakes is above the lowest rung (every power "
                    f"stands at or above {c.rung_names[0]}, so nothing would ever be given up)",
                )
            if at is not None and war is not None and at >= war:
                c.add(
                    ("stakes", "held_at", k),
                    "a posture that holds the stakes is below the war rung (at war the stakes "
                    f"are the war's); expected one of: {', '.join(c.rung_names[:war])}",
                )
    if len(held) > 1:
        c.add(
            ("stakes", "held_at"),
            f"one power holds its share by a posture (a fait accompli); {len(held)} are named "
            f"({', '.join(held)}): keep the one whose posture holds the stakes",
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


# ------------------------------------------------------------------------------------------------
# Version 3: wars between pairs and the ladder above war (docs/pair-wars.md §3.6, §4-§7, §10)
# ------------------------------------------------------------------------------------------------
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _index(c: _Checker, ref: str | int | None) -> int | None:
    """A rung's index, or None (an unknown rung is reported where it is written)."""
    if ref is None:
        return None
    if isinstance(ref, int):
        return ref if ref < len(c.rung_names) else None
    return c.rung_names.index(ref) if ref in c.rung_names else None


def _check_wars(c: _Checker, war: int | None, *, round0: bool) -> None:
    """The rungs above war, the listed pairs, the wars at start, and what an exchange is worth."""
    s = c.s
    nuclear = _index(c, s.ladder.nuclear_rung)
    # Intensities in a war: war_advantage only above the war rung; exchange_hazard from the war
    # rung up (a conventional war between nuclear-armed sides may escalate inadvertently:
    # Posen 1991; docs/pair-wars.md, "As built: step 3"), and only on a ladder with a nuclear rung.
    top_quiet = len(c.rung_names) - 1 if war is None else war
    where = "every rung (the ladder has no war rung)" if war is None else "rungs at and below "
    where += "" if war is None else f"the war rung ('{c.rung_names[war]}')"
    below = "every rung (the ladder has no war rung)" if war is None else "rungs below "
    below += "" if war is None else f"the war rung ('{c.rung_names[war]}')"
    hazards: list[int] = []
    for i, rung in enumerate(s.ladder.rungs):
        if rung.war_advantage != 0 and i <= top_quiet:
            c.add(
                ("ladder", "rungs", i, "war_advantage"),
                "'war_advantage' describes an intensity in a war, a rung above the war rung; it "
                f"is 0 on {where}",
            )
        if rung.exchange_hazard == 0:
            continue
        if war is None or i < war:
            c.add(
                ("ladder", "rungs", i, "exchange_hazard"),
                f"'exchange_hazard' describes a war, at the war rung or above; it is 0 on {below}",
            )
            continue
        hazards.append(i)
        if nuclear is None:
            c.add(
                ("ladder", "rungs", i, "exchange_hazard"),
                "an exchange needs nuclear weapons: 'exchange_hazard' is 0 on every rung of a "
                "ladder without a nuclear rung (docs/pair-wars.md §4)",
            )
    strategic = c.rung(s.ladder.strategic_rung, ("ladder", "strategic_rung"))
    if s.ladder.strategic_rung is not None and war is None and s.ladder.war_rung is None:
        c.add(
            ("ladder", "strategic_rung"),
            "a ladder without a war rung cannot have a strategic rung",
        )
    elif strategic is not None and war is not None:
        floor, what = (nuclear, "nuclear") if nuclear is not None else (war, "war")
        if strategic <= floor:
            c.add(
                ("ladder", "strategic_rung"),
                f"the strategic rung (reaching it is an exchange) must be above the {what} rung "
                f"('{c.rung_names[floor]}')",
            )
    _check_exchange_value(c, hazards, round0=round0)
    _check_pairs(c)
    _check_at_start(c, war, nuclear)
    for i, item in enumerate(s.agenda):
        for j, name in enumerate(item.names):
            c.ref(name, c.ids, ("agenda", i, "names", j), "actor")
        if item.ends_war is not None:
            loc: Loc = ("agenda", i, "ends_war")
            known = all(c.ref(x, c.ids, (*loc, k), "actor") for k, x in enumerate(item.ends_war))
            if known and not _is_war_pair(c, item.ends_war):
                c.add(
                    loc,
                    f"[{', '.join(item.ends_war)}] is not a pair that can be at war: "
                    f"expected the powers' pair [{', '.join(c.powers)}] or a pair listed in "
                    "war.pairs",
                )
    _check_ends_run(c)


def _is_war_pair(c: _Checker, pair: list[str]) -> bool:
    """Whether two ids are the powers' pair or a listed pair (in either order)."""
    key = sorted(pair)
    return key == sorted(c.powers) or any(sorted(p.pair) == key for p in c.s.war.pairs)


def _check_exchange_value(c: _Checker, hazards: list[int], *, round0: bool) -> None:
    """Required with an exchange hazard or a strategic rung; below every power's value of war."""
    s = c.s
    value = s.war.exchange_value
    if value is None:
        needs: list[tuple[Loc, str]] = [
            (("ladder", "rungs", i, "exchange_hazard"), "an exchange hazard") for i in hazards
        ]
        if s.ladder.strategic_rung is not None:
            needs.append((("ladder", "strategic_rung"), "a strategic rung"))
        for loc, what in needs[:1]:
            c.add(
                loc,
                f"{what} needs war.exchange_value: the value of the state after a strategic "
                "exchange, in units of 1/(1 - δ), below every power's value of war (e.g. "
                "exchange_value: -40.0)",
            )
        return
    if not round0 or len(c.powers) != 2 or c.out:
        return
    from escalsim.core.params import cost_types, win_probabilities

    worst: tuple[float, str, float, float] | None = None
    powers = [i for i, a in enumerate(s.actors) if a.role == "power"]
    for i, p in zip(powers, win_probabilities(s), strict=True):
        costs, _ = cost_types(s.actors[i], p)
        w = p - float(costs.max())  # the lowest value of war is the costliest type's
        if worst is None or w < worst[0]:
            worst = (w, s.actors[i].id, p, float(costs.max()))
    assert worst is not None
    if not value < worst[0]:
        w, who, p, cost = worst
        c.add(
            ("war", "exchange_value"),
            f"an exchange must be worse than any war: exchange_value must be below every power's "
            f"value of war p - c (in units of 1/(1 - δ)); the lowest is {w:.6g} ({who}'s "
            f"costliest type: p = {p:.4g}, c = {cost:.4g}); got {value:.6g}",
        )


def _check_pairs(c: _Checker) -> None:
    """Each listed pair: two distinct known actors, one a power, not the powers' pair, once."""
    s = c.s
    seen: dict[tuple[str, ...], int] = {}
    for j, wp in enumerate(s.war.pairs):
        loc: Loc = ("war", "pairs", j)
        if not all(c.ref(x, c.ids, (*loc, "pair", k), "actor") for k, x in enumerate(wp.pair)):
            continue
        a, b = wp.pair
        if a == b:
            c.add((*loc, "pair", 1), "a pair is two different actors")
            continue
        in_pair = [x for x in wp.pair if x in c.powers]
        if len(in_pair) == 2:
            c.add(
                (*loc, "pair"),
                "the powers' pair is not listed in war.pairs: its stakes are the scenario's "
                "(stakes) and its war is always possible; list pairs of a power and a third party",
            )
            continue
        if not in_pair:
            c.add(
                (*loc, "pair"),
                f"a listed pair has exactly one power ({' or '.join(c.powers)}) as a side; "
                f"[{a}, {b}] has none",
            )
            continue
        key = tuple(sorted(wp.pair))
        if key in seen:
            c.add((*loc, "pair"), f"pair [{a}, {b}] is already listed (war.pairs[{seen[key]}])")
            continue
        seen[key] = j
        power = in_pair[0]
        third = b if a == power else a
        quo = wp.stakes.status_quo or {}
        known = [c.ref(k, [a, b], (*loc, "stakes", "status_quo", k), "side", key=True) for k in quo]
        if quo and all(known) and len(quo) == 2 and abs(math.fsum(quo.values()) - 1.0) > 1e-6:
            c.add(
                (*loc, "stakes", "status_quo"),
                f"the two sides' shares sum to 1; they sum to {math.fsum(quo.values()):.6g} "
                "(give one side's share and the other gets the rest)",
            )
        other = [p for p in c.powers if p != power]
        if wp.patron is not None:
            ((client, patron),) = wp.patron.items()
            side = c.ref(client, [a, b], (*loc, "patron", client), "side", key=True)
            if side and client != third:
                c.add(
                    (*loc, "patron", client),
                    f"a patron backs the pair's third party ('{third}'), not the power '{power}'",
                    key=True,
                )
            if patron not in other:
                c.add(
                    (*loc, "patron", client),
                    f"the patron is the other power, '{other[0] if other else '?'}' (the power "
                    f"outside the pair); got '{patron}'",
                )
        elif wp.support > 0:
            c.add(
                (*loc, "support"),
                "support is what a patron supplies its client; this pair has no 'patron' "
                f"(e.g. patron: {{{third}: {other[0] if other else 'B'}}})",
            )
        for k in wp.cost or {}:
            c.ref(k, [a, b], (*loc, "cost", k), "side", key=True)
        for k in wp.optimism or {}:
            c.ref(k, [a, b], (*loc, "optimism", k), "side", key=True)
        if wp.patron_stake > 0 and wp.patron is None:
            c.add(
                (*loc, "patron_stake"),
                "patron_stake is what the patron values in its client's holdings; this pair "
                f"has no 'patron' (e.g. patron: {{{third}: {other[0] if other else 'B'}}})",
            )
        if wp.spillover is not None:
            t = wp.spillover.touches
            if c.ref(t, c.ids, (*loc, "spillover", "touches"), "actor") and t in wp.pair:
                c.add(
                    (*loc, "spillover", "touches"),
                    f"a spillover touches an actor outside the pair; '{t}' is a side of it",
                )


def _check_at_start(c: _Checker, war: int | None, nuclear: int | None) -> None:
    """Each war at start: a pair that can be at war, once, each side at a war intensity."""
    s = c.s
    seen: dict[tuple[str, ...], int] = {}
    nuclear_ids = {a.id for a in s.actors if a.nuclear}
    for j, ws in enumerate(s.war.at_start):
        loc: Loc = ("war", "at_start", j)
        if not all(c.ref(x, c.ids, (*loc, "pair", k), "actor") for k, x in enumerate(ws.pair)):
            continue
        a, b = ws.pair
        if a == b:
            c.add((*loc, "pair", 1), "a pair is two different actors")
            continue
        if not _is_war_pair(c, ws.pair):
            c.add(
                (*loc, "pair"),
                f"[{a}, {b}] is not a pair that can be at war: expected the powers' pair "
                f"[{', '.join(c.powers)}] or a pair listed in war.pairs",
            )
            continue
        key = tuple(sorted(ws.pair))
        if key in seen:
            c.add((*loc, "pair"), f"pair [{a}, {b}] is already at war (war.at_start[{seen[key]}])")
            continue
        seen[key] = j
        if war is None and s.ladder.war_rung is None:
            c.add((*loc, "pair"), "a ladder without a war rung has no war at start")
            continue
        for side in ws.intensity:
            c.ref(side, [a, b], (*loc, "intensity", side), "side", key=True)
        missing = [x for x in ws.pair if x not in ws.intensity]
        if missing:
            c.add(
                (*loc, "intensity"),
                f"each side's intensity is needed; '{missing[0]}' has none (e.g. "
                f"{missing[0]}: {c.rung_names[war] if war is not None else 'war'})",
            )
        for side, ref in ws.intensity.items():
            here: Loc = (*loc, "intensity", side)
            z = c.rung(ref, here)
            if z is None or war is None or side not in ws.pair:
                continue
            if z < war:
                c.add(
                    here,
                    f"an intensity in a war is a rung at or above the war rung "
                    f"('{c.rung_names[war]}'); got '{c.rung_names[z]}'",
                )
            elif nuclear is not None and z >= nuclear and side not in nuclear_ids:
                c.add(
                    here,
                    f"'{c.rung_names[z]}' is at or above the nuclear rung "
                    f"('{c.rung_names[nuclear]}'): open only to a nuclear-armed side; '{side}' "
                    "has nuclear: false",
                )
        if key == tuple(sorted(c.powers)) and war is not None:
            _check_powers_at_start(c, ws.intensity, loc)
        front = ws.front or {}
        known = [c.ref(k, [a, b], (*loc, "front", k), "side", key=True) for k in front]
        if front and all(known) and len(front) == 2 and abs(math.fsum(front.values()) - 1) > 1e-6:
            c.add(
                (*loc, "front"),
                f"the two sides' shares sum to 1; they sum to {math.fsum(front.values()):.6g} "
                "(give one side's share and the other gets the rest)",
            )
        if ws.since is not None:
            try:
                ok = bool(_DATE.match(ws.since)) and bool(datetime.date.fromisoformat(ws.since))
            except ValueError:
                ok = False
            if not ok:
                c.add((*loc, "since"), f"expected a date YYYY-MM-DD, got '{ws.since}'")


def _check_powers_at_start(c: _Checker, intensity: dict[str, str | int], loc: Loc) -> None:
    """The powers at war at start: each power's initial rung is its intensity.

    docs/pair-wars.md §3.1: the powers are at war exactly when both their rungs are at or above
    the war rung, and a power's rung above the war rung is its intensity; so the posture a
    power starts at and its intensity at start are one value, written in both places.
    """
    for i, actor in enumerate(c.s.actors):
        if actor.id not in c.powers or actor.id not in intensity:
            continue
        z = _index(c, intensity[actor.id])
        start = _index(c, actor.initial_rung)
        if z is None or start is None or z == start:
            continue
        c.add(
            ("actors", i, "initial_rung"),
            f"the powers are at war at start ({format_loc(loc)}), where {actor.id}'s intensity is "
            f"'{c.rung_names[z]}'; its initial_rung is that rung (a power's rung above the war "
            f"rung is its intensity): write initial_rung: {c.rung_names[z]}",
        )


def _check_ends_run(c: _Checker) -> None:
    """Listed pairs and wars at start need lasting wars somewhere in the scenario.

    With ``war.ends_run: true`` the first war between the powers ends the run, so a listed pair
    never fights and a war at start ends the run at once. They are allowed when the base, a
    condition (``set: {war.ends_run: false}``) or the sweep (``vary: {war.ends_run: [...,
    false]}``) has ``ends_run: false``: each condition's scenario is checked on its own, with
    the whole scenario's conditions and sweep, so one rule serves the base and every condition.
    """
    s = c.s
    if not s.war.ends_run or not (s.war.pairs or s.war.at_start):
        return
    if any(cond.set.get("war.ends_run") is False for cond in s.conditions.values()):
        return
    varied = s.sweep.vary.get("war.ends_run") if s.sweep is not None else None
    if isinstance(varied, list) and False in [v for v in varied if isinstance(v, bool)]:
        return
    what = "war.pairs" if s.war.pairs else "war.at_start"
    c.add(
        ("war", "pairs" if s.war.pairs else "at_start"),
        f"{what} needs lasting wars: with war.ends_run true (the default) the first war between "
        "the powers ends the run, so a listed pair never fights and a war at start ends the run "
        "at once; write war.ends_run: false, or set it false in a condition "
        "(set: {war.ends_run: false})",
        key=True,
    )
