"""Cross-field checks of a typed scenario.

Pydantic checks each field on its own; this module checks what only the whole scenario can
say: ids unique, references resolvable (actors, channels, rungs), roles consistent, schedules
inside the horizon. Each problem names the field path of the offending value, so the loader can
put it at its line and column.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from pydantic import TypeAdapter, ValidationError

from escalsim.scenario.errors import Loc, did_you_mean, format_loc
from escalsim.scenario.paths import PathError, resolve
from escalsim.scenario.schema import Scenario, SetEvent

#: (field path, message) pairs.
Found = list[tuple[Loc, str]]


def _unique(items: Iterable[tuple[int, str]], where: Loc, what: str, out: Found) -> None:
    seen: dict[str, int] = {}
    for i, ident in items:
        if ident in seen:
            first = format_loc((*where, seen[ident]))
            out.append(((*where, i, what), f"duplicate {what} '{ident}' (also {first})"))
        else:
            seen[ident] = i


def _rung_ref(s: Scenario, ref: Any, loc: Loc, out: Found) -> int | None:
    names = [r.name for r in s.ladder.rungs]
    if isinstance(ref, int):
        if ref >= len(names):
            out.append(
                (loc, f"rung index {ref} is outside the ladder; expected 0 to {len(names) - 1}")
            )
            return None
        return ref
    if ref not in names:
        out.append(
            (
                loc,
                f"no rung named '{ref}'{did_you_mean(ref, names)}; expected one of: "
                f"{', '.join(names)}",
            )
        )
        return None
    return names.index(ref)


def _actor_ref(ref: str, ids: list[str], loc: Loc, out: Found, what: str = "actor") -> bool:
    if ref not in ids:
        listed = ", ".join(dict.fromkeys(ids))
        out.append((loc, f"no {what} '{ref}'{did_you_mean(ref, ids)}; expected one of: {listed}"))
        return False
    return True


def check(s: Scenario, raw: dict[str, Any] | None = None) -> Found:
    """Return every cross-field problem of a scenario.

    Parameters
    ----------
    s : Scenario
        A scenario whose fields are individually valid.
    raw : dict, optional
        The data it was validated from; used to check the paths of ``set`` events.

    Returns
    -------
    list of (loc, message)
        Empty when the scenario is consistent.
    """
    out: Found = []
    ids = [a.id for a in s.actors]
    powers = [a.id for a in s.actors if a.role == "power"]
    channel_ids = [c.id for c in s.channels]
    horizon = s.run.rounds

    # -- ids -------------------------------------------------------------------------------------
    _unique(enumerate(ids), ("actors",), "id", out)
    _unique(((i, r.name) for i, r in enumerate(s.ladder.rungs)), ("ladder", "rungs"), "name", out)
    _unique(enumerate(channel_ids), ("channels",), "id", out)
    _unique(((i, a.id) for i, a in enumerate(s.agenda)), ("agenda",), "id", out)
    _unique(((i, e.id) for i, e in enumerate(s.events) if e.id), ("events",), "id", out)

    # -- ladder ------------------------------------------------------------------------------------
    war = _rung_ref(s, s.ladder.war_rung, ("ladder", "war_rung"), out)
    if war == 0:
        out.append((("ladder", "war_rung"), "the war rung cannot be rung 0 (normal relations)"))
    if s.ladder.nuclear_rung is not None:
        nuc = _rung_ref(s, s.ladder.nuclear_rung, ("ladder", "nuclear_rung"), out)
        if nuc is not None and war is not None and nuc < war:
            out.append(
                (("ladder", "nuclear_rung"), "the nuclear rung must be at or above the war rung")
            )
    settle = _rung_ref(s, s.endings.settlement_rung, ("endings", "settlement_rung"), out)
    if settle is not None and war is not None and settle >= war:
        out.append(
            (("endings", "settlement_rung"), "the settlement rung must be below the war rung")
        )

    # -- actors ------------------------------------------------------------------------------------
    if len(powers) != 2:
        out.append(
            (
                ("actors",),
                f"a scenario needs exactly two actors with role 'power'; found {len(powers)}",
            )
        )
    two_rungs = len(s.ladder.rungs) == 2
    for i, a in enumerate(s.actors):
        loc: Loc = ("actors", i)
        init = _rung_ref(s, a.initial_rung, (*loc, "initial_rung"), out)
        if init is not None and war is not None and init >= war:
            out.append(((*loc, "initial_rung"), "an actor cannot start at or above the war rung"))
        if a.red_line is not None:
            _rung_ref(s, a.red_line, (*loc, "red_line"), out)
        if a.policy.name == "memory_one" and not two_rungs:
            out.append(
                (
                    (*loc, "policy", "name"),
                    "policy 'memory_one' needs a ladder of exactly "
                    f"two rungs; this one has {len(s.ladder.rungs)}",
                )
            )
        if a.role == "power":
            for fld in ("alignment", "influence"):
                if getattr(a, fld) is not None:
                    out.append(((*loc, fld), f"'{fld}' is for third parties; a power has none"))
            for fld in ("may_mediate", "may_join"):
                if getattr(a, fld):
                    out.append(((*loc, fld), f"'{fld}' is for third parties"))
            continue
        if a.alignment is None:
            out.append(
                (
                    (*loc, "role"),
                    "a third party needs 'alignment': its share with each power, e.g. "
                    + "{"
                    + ", ".join(f"{p}: 0.5" for p in (powers or ["A", "B"])[:2])
                    + "}",
                )
            )
        for fld in ("alignment", "influence"):
            table = getattr(a, fld) or {}
            for key in table:
                _actor_ref(key, powers, (*loc, fld, key), out, what="power")
        if a.alignment is not None and abs(sum(a.alignment.values()) - 1.0) > 1e-6:
            out.append(
                (
                    (*loc, "alignment"),
                    f"alignment shares must sum to 1; they sum to {sum(a.alignment.values()):.6g}",
                )
            )

    # -- channels ----------------------------------------------------------------------------------
    publics = [i for i, c in enumerate(s.channels) if c.kind == "public"]
    if len(publics) != 1:
        out.append(
            (
                ("channels",),
                "a scenario needs exactly one channel of kind 'public' (public "
                f"statements and observed actions, always open); found {len(publics)}",
            )
        )
    for i, c in enumerate(s.channels):
        loc = ("channels", i)
        if c.kind == "public":
            if c.between is not None:
                out.append(
                    ((*loc, "between"), "the public channel joins every actor; omit 'between'")
                )
            if not c.open:
                out.append(((*loc, "open"), "the public channel is always open"))
            if c.via is not None:
                out.append(((*loc, "via"), "only a 'mediated' channel has 'via'"))
            continue
        if c.between is None:
            out.append(((*loc, "kind"), f"a '{c.kind}' channel needs 'between': its two actor ids"))
        else:
            for j, end in enumerate(c.between):
                _actor_ref(end, ids, (*loc, "between", j), out)
            if c.between[0] == c.between[1]:
                out.append(((*loc, "between", 1), "a channel joins two different actors"))
        if c.kind == "mediated":
            if c.via is None:
                out.append(
                    ((*loc, "kind"), "a 'mediated' channel needs 'via': the relaying third party")
                )
            elif _actor_ref(c.via, ids, (*loc, "via"), out):
                if s.actors[ids.index(c.via)].role != "third_party":
                    out.append(
                        ((*loc, "via"), f"'{c.via}' is a power; a mediator is a third party")
                    )
                elif c.between and c.via in c.between:
                    out.append(((*loc, "via"), "the mediator cannot be one of the endpoints"))
        elif c.via is not None:
            out.append(((*loc, "via"), "only a 'mediated' channel has 'via'"))

    # -- agenda ------------------------------------------------------------------------------------
    for i, item in enumerate(s.agenda):
        for key in item.salience:
            _actor_ref(key, ids, ("agenda", i, "salience", key), out)

    # -- events ------------------------------------------------------------------------------------
    public_ids = {s.channels[i].id for i in publics}
    for i, e in enumerate(s.events):
        loc = ("events", i)
        if e.round > horizon:
            out.append(
                ((*loc, "round"), f"round {e.round} is after the horizon (run.rounds = {horizon})")
            )
        if e.kind in ("channel", "summit"):
            known = _actor_ref(e.channel, channel_ids, (*loc, "channel"), out, what="channel")
            if known and e.channel in public_ids:
                out.append(
                    (
                        (*loc, "channel"),
                        "the public channel is always open; events cannot change it",
                    )
                )
            if e.kind == "summit" and e.round + e.duration - 1 > horizon:
                out.append(
                    (
                        (*loc, "duration"),
                        f"the summit runs past the horizon (run.rounds = {horizon})",
                    )
                )
        elif e.kind in ("election", "incident"):
            _actor_ref(e.actor, ids, (*loc, "actor"), out)
        elif e.kind == "set":
            _check_set_event(e, raw if raw is not None else s.model_dump(), loc, out)
    return out


def _check_set_event(e: SetEvent, raw: dict[str, Any], loc: Loc, out: Found) -> None:
    try:
        target = resolve(copy.deepcopy(raw), e.path)
    except PathError as exc:
        out.append(((*loc, "path"), str(exc)))
        return
    if target.loc[:1] in (("run",), ("conditions",), ("events",), ("schema_version",), ("id",)):
        out.append(((*loc, "path"), f"'{e.path}' cannot change during a run"))
        return
    try:
        TypeAdapter(target.annotation).validate_python(e.value, strict=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        msg = first["msg"][0].lower() + first["msg"][1:]
        out.append(((*loc, "value"), f"not a valid value for '{e.path}': {msg}"))
    except Exception:
        out.append(
            ((*loc, "path"), f"'{e.path}' is not a single parameter; name a field inside it")
        )
