"""Load a scenario: YAML -> doctrines -> typed models -> cross-field checks -> conditions.

Every stage reports positioned :class:`~escalsim.scenario.errors.Problem` objects, and a file's
problems are all reported together in one :class:`~escalsim.scenario.errors.ScenarioError`.
"""

from __future__ import annotations

import copy
import json
import os
import re
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple, get_args, get_origin

from pydantic import BaseModel, ValidationError

from escalsim.errors import ScenarioMigrationWarning
from escalsim.scenario import migrate, shipped
from escalsim.scenario.checks import (
    FROZEN_DURING_RUN,
    FROZEN_INSIDE,
    FROZEN_SECTIONS,
    Finding,
    check,
)
from escalsim.scenario.errors import Loc, Problem, ScenarioError, did_you_mean, format_loc
from escalsim.scenario.paths import PathError, Target, _union_member, _unwrap, resolve
from escalsim.scenario.schema import POLICY_MODELS, READ_VERSIONS, REMOVED, Event, Scenario
from escalsim.scenario.yamlio import Positions, parse_yaml, read_text

#: Built-in doctrines: named presets that fill the actor fields an actor does not set
#: (docs/decision-v2.md §6: the doctrines are type presets). A doctrine's resolve is a point type
#: (the largest risk of war the actor runs rather than concede, mapped to its cost of war, §3.3),
#: its attribution how it reads the other's moves (§3.4: naive as in Jervis's spiral, noisy
#: allowing for the channel's noise), its audience cost what backing down from a public
#: commitment costs it. Values are starting points for calibration, not estimates
#: (docs/scenario-format.md).
BUILTIN_DOCTRINES: dict[str, dict[str, Any]] = {
    "hawk": {"resolve": 0.7, "audience_cost": 1.0, "attribution": "naive"},
    "dove": {"resolve": 0.3, "audience_cost": 0.2, "attribution": "noisy"},
    "pragmatist": {"resolve": 0.5, "audience_cost": 0.5},
}

#: The values of each discriminator, for messages (pydantic does not always give them).
_TAGS = {
    "name": list(POLICY_MODELS),
    "kind": [get_args(m.model_fields["kind"].annotation)[0] for m in get_args(get_args(Event)[0])],
}
_YAML11_BOOLS = {"yes", "no", "on", "off", "y", "n"}
_RUNG_FIELDS = {
    "war_rung",
    "crisis_rung",
    "nuclear_rung",
    "strategic_rung",
    "red_line",
    "initial_rung",
    "settlement_rung",
}
#: Fields that take a number or a prior over types (a mapping).
_TYPE_FIELDS = {"resolve", "war_cost"}


class _Context:
    """Positions and provenance for mapping a field path to a line and column."""

    def __init__(self, source: str, pos: Positions) -> None:
        self.source = source
        self.pos = pos
        # Field path (index form) -> (position, note, path to report) for values that came from
        # elsewhere: a doctrine (reported at the actor's path) or a condition overlay (reported
        # at the overlay's own path).
        self.origin: dict[Loc, tuple[tuple[int, int], str, Loc | None]] = {}
        self.prefix = ""

    def at(self, loc: Loc, message: str, *, key: bool = False) -> Problem:
        for n in range(len(loc), 0, -1):
            if loc[:n] in self.origin:
                (line, col), note, where = self.origin[loc[:n]]
                if where is not None:  # a value a condition set: report it there
                    inside = (*where, *loc[n:])
                    line, col = self.pos.key(inside) if key else self.pos.value(inside)
                    return Problem(line, col, inside, message, self.source)
                return Problem(line, col, loc, f"{self.prefix}{message}{note}", self.source)
        line, col = self.pos.key(loc) if key else self.pos.value(loc)
        return Problem(line, col, loc, f"{self.prefix}{message}", self.source)


# ------------------------------------------------------------------------------------------------
# Doctrines
# ------------------------------------------------------------------------------------------------
def _apply_doctrines(data: dict[str, Any], ctx: _Context) -> list[Problem]:
    problems: list[Problem] = []
    given = data.get("doctrines")
    custom: dict[str, Any] = given if isinstance(given, dict) else {}
    actors = data.get("actors")
    if not isinstance(actors, list):
        return problems
    for i, actor in enumerate(actors):
        if not isinstance(actor, dict) or not isinstance(actor.get("doctrine"), str):
            continue
        name = actor["doctrine"]
        if name in custom:
            if not isinstance(custom[name], dict):
                continue  # the schema reports the doctrine itself as not a mapping
            preset, where = custom[name], ("doctrines", name)
        elif name in BUILTIN_DOCTRINES:
            preset, where = BUILTIN_DOCTRINES[name], None
        else:
            known = sorted({*custom, *BUILTIN_DOCTRINES})
            problems.append(
                ctx.at(
                    ("actors", i, "doctrine"),
                    f"no doctrine '{name}'{did_you_mean(name, known)}; expected one "
                    f"of: {', '.join(known)}",
                )
            )
            continue
        for key, value in preset.items():
            if key == "doctrine":
                continue
            if (
                key == "policy"
                and isinstance(actor.get("policy"), dict)
                and isinstance(value, dict)
            ):
                mine = actor["policy"]
                if mine.get("name", value.get("name")) == value.get("name"):
                    for pkey, pval in value.items():
                        if pkey not in mine:
                            mine[pkey] = copy.deepcopy(pval)
                            ctx.origin[("actors", i, "policy", pkey)] = _doctrine_origin(
                                ctx, where, ("policy", pkey), i, name
                            )
                continue
            if key in _TYPE_FIELDS and _TYPE_FIELDS & set(actor):
                continue  # the actor gives its type (resolve or war_cost): a preset's is not its
            if key not in actor:
                actor[key] = copy.deepcopy(value)
                ctx.origin[("actors", i, key)] = _doctrine_origin(ctx, where, (key,), i, name)
    return problems


def _doctrine_origin(
    ctx: _Context, where: Loc | None, sub: Loc, actor: int, name: str
) -> tuple[tuple[int, int], str, None]:
    if where is not None:
        return ctx.pos.value((*where, *sub)), f" (set by doctrine '{name}')", None
    return (
        ctx.pos.value(("actors", actor, "doctrine")),
        f" (set by built-in doctrine '{name}')",
        None,
    )


# ------------------------------------------------------------------------------------------------
# Pydantic errors -> positioned problems
# ------------------------------------------------------------------------------------------------
def _is_model_union(annotation: Any) -> bool:
    args = get_args(annotation)
    return len(args) > 1 and all(isinstance(a, type) and issubclass(a, BaseModel) for a in args)


def _data_path(data: Any, loc: tuple[Any, ...]) -> Loc:
    """Map pydantic's error location onto the data path.

    Pydantic puts a discriminated union's tag into the location right after the union's own
    place (``('events', 0, 'channel', 'open')`` for an event of kind ``channel``); it is skipped
    by position, not by name, because a tag can equal a field name. Type names of plain unions
    (``'str'``, ``'int'``) and validator names are skipped because the data has no such key.
    """
    path: list[str | int] = []
    node: Any = data
    ann: Any = Scenario
    skip_tag = False
    for part in loc:
        if skip_tag:
            skip_tag = False
            continue
        u = _unwrap(ann)
        if isinstance(u, type) and issubclass(u, BaseModel) and part in u.model_fields:
            nxt = _unwrap(u.model_fields[part].annotation)
        elif get_origin(u) is list and isinstance(part, int):
            nxt = _unwrap(get_args(u)[0])
        elif get_origin(u) is dict and isinstance(part, str):
            nxt = _unwrap(get_args(u)[1])
        elif isinstance(node, dict) and part in node:
            nxt = None  # a key the schema does not know (an 'extra_forbidden' error)
        else:
            continue  # a type name ('int') or a validator name: not in the data
        path.append(part)
        node = _child(node, part)
        skip_tag = _is_model_union(nxt) and isinstance(node, dict)
        ann = _union_member(nxt, node)
    return tuple(path)


def _model_for(data: Any, path: Loc) -> type[BaseModel] | None:
    ann: Any = Scenario
    node: Any = data
    for part in path:
        u = _unwrap(ann)
        if isinstance(u, type) and issubclass(u, BaseModel) and isinstance(part, str):
            if part not in u.model_fields:
                return None
            ann = u.model_fields[part].annotation
        elif get_origin(u) is list:
            ann = get_args(u)[0]
        elif get_origin(u) is dict:
            ann = get_args(u)[1]
        else:
            return None
        node = _child(node, part)
        ann = _union_member(_unwrap(ann), node)
    u = _unwrap(ann)
    return u if isinstance(u, type) and issubclass(u, BaseModel) else None


def _child(node: Any, part: str | int) -> Any:
    """``node[part]`` when ``node`` is a mapping with that key or a list with that index."""
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the string '{shown}'"
    if isinstance(value, (int, float)):
        return f"{value!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


_TYPE_WORDS = {
    "float_type": "a number",
    "float_parsing": "a number",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "a string",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
}


def _message(err: Mapping[str, Any], data: Any, path: Loc) -> tuple[str, bool]:
    """Turn a pydantic error into one sentence; the flag says whether to point at the key."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value = err.get("input")
    field = path[-1] if path else ""
    if kind == "extra_forbidden":
        parent = _model_for(data, path[:-1])
        allowed = list(parent.model_fields) if parent else []
        if field in REMOVED:
            return f"unknown key '{field}': {REMOVED[str(field)]}", True
        return (
            f"unknown key '{field}'{did_you_mean(str(field), allowed)}; expected one of: "
            f"{', '.join(allowed)}",
            True,
        )
    if kind == "missing":
        return f"missing required field '{field}'", True
    if field in _RUNG_FIELDS and kind in (
        "string_type",
        "int_type",
        "string_pattern_mismatch",
        "greater_than_equal",
    ):
        return f"expected a rung name or a 0-based rung index, got {_describe(value)}", False
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tag = ctx.get("discriminator", "").strip("'")
        options = _TAGS.get(tag, [])
        if kind == "union_tag_not_found":
            return f"missing '{tag}'; expected one of: {', '.join(options)}", False
        got = str(ctx.get("tag"))
        noun = "policy" if tag == "name" else "event kind"
        if got in REMOVED:
            return f"unknown {noun} '{got}': {REMOVED[got]}", False
        return (
            f"unknown {noun} '{got}'{did_you_mean(got, options)}; expected one of: "
            f"{', '.join(options)}",
            False,
        )
    if kind == "literal_error":
        options = [
            o.strip().strip("'")
            for o in str(ctx.get("expected", "")).replace(" or ", ", ").split(",")
        ]
        hint = did_you_mean(value, options) if isinstance(value, str) else ""
        return f"expected one of: {', '.join(options)}; got {_describe(value)}{hint}", False
    if kind == "bool_type" and isinstance(value, str) and value.lower() in _YAML11_BOOLS:
        return (
            f"expected true or false, got the string '{value}' (YAML 1.2 reads yes/no/on/off "
            "as strings)",
            False,
        )
    if field in _TYPE_FIELDS and kind in _TYPE_WORDS:
        return (
            f"expected a number or a prior over types ({{uniform: [lo, hi], types: n}} or "
            f"{{grid: [...], prior: [...]}}), got {_describe(value)}",
            False,
        )
    if kind in _TYPE_WORDS:
        return f"expected {_TYPE_WORDS[kind]}, got {_describe(value)}", False
    if kind == "finite_number":
        return f"expected a finite number, got {_describe(value)}", False
    bounds = {
        "greater_than_equal": (">=", "ge"),
        "greater_than": (">", "gt"),
        "less_than_equal": ("<=", "le"),
        "less_than": ("<", "lt"),
    }
    if kind in bounds:
        sign, key = bounds[kind]
        return f"expected a number {sign} {ctx[key]}, got {_describe(value)}", False
    if kind == "string_pattern_mismatch":
        return (
            "expected an identifier (a letter, then letters, digits, '_' or '-', at most 64), "
            f"got {_describe(value)}"
        ), False
    if kind in ("too_short", "too_long"):
        n = ctx.get("min_length" if kind == "too_short" else "max_length")
        unit = "characters" if isinstance(value, str) else "items"
        word = "at least" if kind == "too_short" else "at most"
        # len(value) only when pydantic did not say: a default argument would be computed always.
        length = ctx["actual_length"] if "actual_length" in ctx else len(value or ())
        return f"expected {word} {n} {unit}, got {length}", False
    return err["msg"][0].lower() + err["msg"][1:], False


def _validation_problems(exc: ValidationError, data: Any, ctx: _Context) -> list[Problem]:
    out: dict[Loc, Problem] = {}
    errors = [(err, _data_path(data, tuple(err["loc"]))) for err in exc.errors(include_url=False)]
    # A union of a scalar and a container (a sweep value: a spec string or a list) given a
    # container fails both members; the container member's error inside it is the useful one
    # ('expected a finite number, got nan'), not the scalar's ('expected a string, got a list').
    # Likewise a number or a prior over types (resolve, war_cost) given a mapping: the error
    # inside the mapping is the useful one, and it has a longer data path.
    deepest: dict[Loc, int] = {}
    inside: set[Loc] = set()
    for err, path in errors:
        deepest[path] = max(deepest.get(path, 0), len(err["loc"]))
        inside.update(path[:n] for n in range(len(path)))
    errors = [
        (err, path)
        for err, path in errors
        if not (
            err["type"] in _TYPE_WORDS
            and isinstance(err.get("input"), (list, dict))
            and (deepest[path] > len(err["loc"]) + 1 or path in inside)
        )
    ]
    for err, where in errors:
        path = where
        if err["type"] == "union_tag_invalid":
            # Point at the tag's value ('name: quantl'), not at the whole mapping.
            tag = str((err.get("ctx") or {}).get("discriminator", "")).strip("'")
            path = (*path, tag)
            message, _ = _message(err, data, path)
            problem = ctx.at(path, message)
        elif err["type"] == "missing":
            message, _ = _message(err, data, path)
            problem = ctx.at(path[:-1], message)
        else:
            message, key = _message(err, data, path)
            problem = ctx.at(path, message, key=key)
        # A union (e.g. rung name or index) reports once per member; keep the first.
        out.setdefault((*path, err["type"] == "missing"), problem)
    # 'resolv' unknown (did you mean 'resolve'?) already says that 'resolve' is missing.
    hinted = {
        (*p.loc[:-1], m.group(1))
        for p in out.values()
        if (m := re.search(r"unknown key '.*?' \(did you mean '(.*?)'\?\)", p.message))
    }
    return [p for key, p in out.items() if not (key[-1] is True and key[:-1] in hinted)]


# ------------------------------------------------------------------------------------------------
# The pipeline
# ------------------------------------------------------------------------------------------------
def _version_gate(raw: dict[str, Any], ctx: _Context) -> list[Problem]:
    """Version-3 fields in a file that says an older version: each at its key.

    (A field a condition set is reported where the condition sets it.)
    """
    version = raw.get("schema_version")
    if type(version) is int and version >= 3:
        return []
    return [
        ctx.at(loc, migrate.v3_message(str(loc[-1]), version), key=True)
        for loc in migrate.v3_locs(raw)
    ]


def _too_new_path(data: dict[str, Any], loc: Loc) -> str | None:
    """The message when ``loc`` is a version-3 field and ``data`` says an older version."""
    version = data.get("schema_version")
    field = migrate.v3_field_at(loc)
    if field is None or (type(version) is int and version >= 3):
        return None
    return migrate.v3_message(field, version)


def _validate(raw: dict[str, Any], ctx: _Context) -> tuple[Scenario | None, list[Problem]]:
    gate = _version_gate(raw, ctx)
    if gate:
        return None, gate
    data = copy.deepcopy(raw)
    problems = _apply_doctrines(data, ctx)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        return None, problems + _validation_problems(exc, data, ctx)
    problems += [ctx.at(f.loc, f.message, key=f.key) for f in check(scenario)]
    if not problems:
        problems += _set_event_problems(data, ctx)
    if not problems:
        problems += _sweep_problems(raw, data, scenario, ctx)
    return (None if problems else scenario), problems


#: Sections a sweep may not vary: identities, documentation, and the scenario's own machinery.
_NOT_SWEPT = frozenset(
    {"schema_version", "id", "name", "description", "sources", "doctrines", "events"}
    | {"conditions", "sweep"}
)


def _sweep_problems(
    raw: dict[str, Any], data: dict[str, Any], scenario: Scenario, ctx: _Context
) -> list[Problem]:
    """Check the ``sweep:`` block: each path names a field, each value is valid there.

    Every value (or both bounds) is applied to the scenario and validated like the file, so a
    value the file would refuse is refused in the sweep, at its line and column. The values are
    tried as :func:`check_values` tries a ``--vary``'s (an actor's policy ``name`` before its
    doctrine), by the same code.

    Parameters
    ----------
    raw : dict
        The file's data before its doctrines were applied.
    data : dict
        The same data with its doctrines applied (as validated into ``scenario``).
    scenario : Scenario
        The validated scenario.
    ctx : _Context
        Locates each problem at the block's entry.

    Returns
    -------
    list of Problem
        Empty when the block is valid.
    """
    block = scenario.sweep
    if block is None:
        return []
    problems: list[Problem] = []
    names = list(scenario.conditions)
    if block.condition is not None and block.condition not in names:
        problems.append(
            ctx.at(
                ("sweep", "condition"),
                f"no condition '{block.condition}'{did_you_mean(block.condition, names)}; "
                f"expected one of: {', '.join(names) or '(none defined)'}",
            )
        )
    from escalsim.scenario.sweepspec import check_size, spec_values

    counts: list[int] = []
    for path, spec in block.vary.items():
        here: Loc = ("sweep", "vary", path)
        trial = copy.deepcopy(data)
        try:
            target = resolve(trial, path)
        except PathError as exc:
            problems.append(ctx.at(here, str(exc), key=True))
            continue
        if target.loc[0] in _NOT_SWEPT:
            problems.append(ctx.at(here, f"'{path}' cannot be swept", key=True))
            continue
        newer = _too_new_path(data, target.loc)
        if newer is not None:
            problems.append(ctx.at(here, newer, key=True))
            continue
        try:
            values = spec_values(path, spec, target.integer)
        except ScenarioError as exc:
            problems += [ctx.at(here, p.message) for p in exc.problems]
            continue
        counts.append(len(values))
        refused = _first_refused(raw, trial, path, target, values, block=True)
        if refused is None:
            continue
        if refused.kept is not None:
            problems.append(ctx.at(here, refused.kept))
        elif refused.invalid is not None:
            first = refused.invalid.errors()[0]
            at = _data_path(trial, tuple(first["loc"]))
            message, _ = _message(first, trial, at)
            problems.append(ctx.at(here, f"value {refused.value!r}: {format_loc(at)}: {message}"))
        else:
            found = refused.found[0]
            problems.append(
                ctx.at(here, f"value {refused.value!r}: {format_loc(found.loc)}: {found.message}")
            )
    if not problems:
        try:
            check_size(counts, block.sampler, block.samples)
        except ScenarioError as exc:
            problems.append(ctx.at(("sweep", "vary"), exc.problems[0].message, key=True))
    return problems


def _set_event_problems(data: dict[str, Any], ctx: _Context) -> list[Problem]:
    """Check ``set`` events by applying them, in round order, and validating the result.

    A ``set`` event must leave a valid scenario: the same types, ranges and cross-references as
    the file itself, so a value that would be refused in the file is refused in an event.
    """
    events = data.get("events") or []
    order = sorted(
        (i for i, e in enumerate(events) if e.get("kind") == "set"),
        key=lambda i: events[i]["round"],
    )
    problems: list[Problem] = []
    # Each trial copies only the top-level section its event changes, and the events are left
    # out of its validation: 'events' is a frozen section (no event can change another), and
    # what the checks compare an event with (the horizon, ids, channel kinds) is frozen too, so
    # the base validation has said all there is to say about them. Copying and validating the
    # whole scenario once per event made a file of n events take n² time (1,300 events: 80 s).
    state = {k: copy.deepcopy(v) for k, v in data.items() if k != "events"}
    state["events"] = events  # shared, never written: a path into 'events' is refused below
    for i in order:
        event = events[i]
        here: Loc = ("events", i, "value")
        trial = dict(state)
        head = str(event["path"]).split(".", 1)[0]
        if head in trial and head != "events":
            trial[head] = copy.deepcopy(trial[head])
        try:
            target = resolve(trial, event["path"])
        except PathError as exc:
            problems.append(ctx.at(("events", i, "path"), str(exc)))
            continue
        newer = _too_new_path(data, target.loc)
        if newer is not None:
            problems.append(ctx.at(("events", i, "path"), newer))
            continue
        if (
            target.loc[0] in FROZEN_SECTIONS
            or target.loc[-1] in FROZEN_DURING_RUN
            or (target.loc[0] in ("war", "agenda") and FROZEN_INSIDE & set(target.loc[1:]))
            or _inside_a_type(target.loc)
        ):
            problems.append(
                ctx.at(
                    ("events", i, "path"),
                    f"'{event['path']}' cannot change "
                    "during a run (identities, structure, initial states, run settings and "
                    "the powers' types are fixed; a 'channel' event opens or closes a channel)",
                )
            )
            continue
        target.container[target.key] = copy.deepcopy(event["value"])  # type: ignore[index]
        sub = _Context(ctx.source, ctx.pos)
        sub.origin[target.loc] = (ctx.pos.value(here), "", here)
        found: list[Problem]
        try:
            scenario = Scenario.model_validate({**trial, "events": []})
        except ValidationError as exc:
            found = _validation_problems(exc, trial, sub)
        else:
            found = [sub.at(f.loc, f.message, key=f.key) for f in check(scenario, round0=False)]
        if not found:
            state = trial
            continue
        line, col = ctx.pos.value(here)
        for p in found:
            if p.loc[:3] == here:
                problems.append(p)
            else:  # a consequence elsewhere (e.g. a rung that no longer exists)
                problems.append(
                    Problem(
                        line,
                        col,
                        here,
                        f"after this change: {format_loc(p.loc)}: {p.message}",
                        ctx.source,
                    )
                )
    return problems


def _inside_a_type(loc: Loc) -> bool:
    """Whether a path leads into a power's type: ``war_cost``, or inside a prior over resolve.

    Types are drawn once per replication, so a ``set`` event cannot change them; it may change
    a point ``resolve`` (what version 1 reads, e.g. the brinkmanship policy).
    """
    if len(loc) < 3 or loc[0] != "actors":
        return False
    return loc[2] == "war_cost" or (loc[2] == "resolve" and len(loc) > 3)


def _overlay(raw: dict[str, Any], name: str, ctx: _Context) -> list[Problem]:
    """Apply condition ``name`` to ``raw`` in place, recording where each value came from."""
    cond = raw["conditions"][name]
    problems: list[Problem] = []
    base: Loc = ("conditions", name)
    # Malformed 'set' or 'remove' (not a mapping, not a list of paths) are the schema's to
    # report; this runs on the raw data even when the base is invalid, so it must not trip.
    settings = cond.get("set")
    for path, value in (settings if isinstance(settings, dict) else {}).items():
        here = (*base, "set", path)
        try:
            target = resolve(raw, path)
        except PathError as exc:
            problems.append(ctx.at(here, str(exc), key=True))
            continue
        if target.loc[:1] in (("conditions",), ("schema_version",)):
            problems.append(ctx.at(here, f"a condition cannot change '{path}'", key=True))
            continue
        target.container[target.key] = copy.deepcopy(value)  # type: ignore[index]
        ctx.origin[target.loc] = (ctx.pos.value(here), "", here)
    removals: dict[tuple[int, int], tuple[list[Any], int]] = {}
    removes = cond.get("remove")
    for j, path in enumerate(removes if isinstance(removes, list) else []):
        if not isinstance(path, str):
            continue
        here = (*base, "remove", j)
        try:
            target = resolve(raw, path)
        except PathError as exc:
            problems.append(ctx.at(here, str(exc)))
            continue
        if not isinstance(target.container, list):
            problems.append(
                ctx.at(
                    here,
                    f"'{path}' is not a list item; 'remove' drops list items "
                    "such as 'events.hotline_installed'",
                )
            )
            continue
        slot = (id(target.container), int(target.key))
        if slot in removals:
            problems.append(ctx.at(here, f"'{path}' is already removed above"))
            continue
        removals[slot] = (target.container, int(target.key))
    for container, index in sorted(removals.values(), key=lambda r: -r[1]):
        del container[index]
    return problems


def _load(text: str, source: str) -> Scenario:
    data, pos = parse_yaml(text, source)
    ctx = _Context(source, pos)
    if not isinstance(data, dict):
        raise ScenarioError(
            [
                Problem(
                    1,
                    1,
                    (),
                    f"expected a scenario mapping at the top of the file, got {_describe(data)}",
                    source,
                )
            ]
        )
    unknown = _version_problem(data, pos, source)
    if unknown is not None:
        raise ScenarioError([unknown])  # nothing else is checked against an unknown format
    migration = migrate.upgrade(data, pos, source)
    scenario, problems = _validate(data, ctx)
    given = data.get("conditions")
    conditions: dict[str, Any] = given if isinstance(given, dict) else {}
    for name, overlay in conditions.items():
        if not isinstance(overlay, dict):
            continue  # reported by the schema
        if scenario is not None:
            problems += _condition_problems(data, pos, source, name)
        else:  # the paths can be checked on the raw data even when the base is invalid
            problems += _overlay(copy.deepcopy(data), name, _Context(source, pos))
    if problems:
        raise ScenarioError(_dedupe(problems))
    assert scenario is not None
    scenario._raw = data  # the pre-doctrine data, so conditions re-run the same pipeline
    if migration is not None:
        # One notice per file, attributed to the first caller outside escalsim.
        warnings.warn(migration.notice, ScenarioMigrationWarning, skip_file_prefixes=(_PACKAGE,))
    return scenario


#: The package's folder: the migration notice is attributed to the first frame outside it.
_PACKAGE = str(Path(__file__).resolve().parents[1])


def _version_problem(data: dict[str, Any], pos: Positions, source: str) -> Problem | None:
    """A problem when ``schema_version`` is given and is not a version the loader reads."""
    if "schema_version" not in data:
        return None  # the schema reports it missing
    version = data["schema_version"]
    if type(version) is int and version in READ_VERSIONS:
        return None
    line, col = pos.value(("schema_version",))
    known = ", ".join(str(v) for v in READ_VERSIONS[:-1]) + f" and {READ_VERSIONS[-1]}"
    if type(version) is int:
        from escalsim import __version__

        what = (
            f"unknown schema_version {version}; escalsim {__version__} reads versions {known} "
            "(a version-1 file is migrated as it is read)"
        )
    else:
        what = f"expected the integer {known.replace(' and ', ' or ')}, got {_describe(version)}"
    return Problem(line, col, ("schema_version",), what, source)


def _condition_problems(
    data: dict[str, Any], pos: Positions, source: str, name: str
) -> list[Problem]:
    """Validate the scenario with condition ``name`` applied; problems point into the condition."""
    ctx = _Context(source, pos)
    variant = copy.deepcopy(data)
    found = _overlay(variant, name, ctx)
    if found:
        return found
    ctx.prefix = f"in condition '{name}': "
    _, found = _validate(variant, ctx)
    out = []
    for p in found:
        if p.loc[:2] == ("conditions", name):
            out.append(p)  # at a value the condition set: already positioned there
        else:
            line, col = pos.key(("conditions", name))
            out.append(
                Problem(
                    line, col, ("conditions", name), f"{p.message} (at {format_loc(p.loc)})", source
                )
            )
    return out


def _dedupe(problems: Iterable[Problem]) -> list[Problem]:
    seen: set[str] = set()
    out = []
    for p in problems:
        if str(p) not in seen:
            seen.add(str(p))
            out.append(p)
    return out


def load_text(text: str, source: str = "<string>") -> Scenario:
    """Validate a scenario given as YAML text.

    Parameters
    ----------
    text : str
        The YAML document.
    source : str
        Name used in error messages.

    Returns
    -------
    Scenario
        The validated base scenario; :func:`with_condition` gives each condition.

    Raises
    ------
    ScenarioError
        With every problem of the document, each at its line and column.
    """
    return _load(text, source)


def load_scenario(file: str | os.PathLike[str]) -> Scenario:
    """Load and validate a scenario file, or a shipped scenario by name.

    Parameters
    ----------
    file : str or path
        A path to a YAML file, or the name of a shipped scenario (``escalsim scenarios``).

    Returns
    -------
    Scenario
        The validated base scenario.

    Raises
    ------
    ScenarioError
        With every problem of the file, each at its line and column.
    """
    path = Path(file)
    if not path.exists() and shipped.is_shipped(str(file)):
        path = shipped.path_of(str(file))
        display = str(file) + ".yaml"
    else:
        display = str(file)
    if not path.exists() and not path.is_symlink():
        raise ScenarioError([Problem(0, 0, (), shipped.missing(str(file)), display)])
    return _load(read_text(str(path), display), display)


def with_condition(scenario: Scenario, name: str) -> Scenario:
    """Return the scenario with condition ``name`` applied.

    Parameters
    ----------
    scenario : Scenario
        A scenario from :func:`load_scenario` or :func:`load_text`.
    name : str
        One of ``scenario.condition_names``; ``'base'`` when the scenario has no conditions.

    Returns
    -------
    Scenario
        The validated variant (the conditions were all validated when the file was loaded).

    Raises
    ------
    KeyError
        When the scenario has no such condition.
    """
    if name not in scenario.conditions:
        if name == "base" and not scenario.conditions:
            return scenario
        raise KeyError(
            f"no condition '{name}'{did_you_mean(name, scenario.conditions)}; "
            f"expected one of: {', '.join(scenario.condition_names)}"
        )
    raw = scenario._raw
    if raw is None:
        raw = scenario.model_dump(mode="python", exclude={"actors": {"__all__": {"doctrine"}}})
    ctx = _Context("<condition>", Positions())
    variant = copy.deepcopy(raw)
    problems = _overlay(variant, name, ctx)
    result, more = (None, problems) if problems else _validate(variant, ctx)
    if result is None:
        raise ScenarioError(more)
    result._raw = variant
    return result


def check_values(scenario: Scenario, path: str, values: Iterable[Any]) -> list[Problem]:
    """Problems of setting ``path`` to each value in turn, up to the first invalid value.

    The cheap half of a ``--vary`` check, fast enough for a thousand values: the value is put
    into the scenario's data (doctrines applied) and checked against the schema and the
    cross-field rules, as the loader checks a ``sweep:`` block; conditions are not re-run
    (:func:`with_settings` does that, for a few values). An actor's policy ``name`` goes into
    the actor's own data before its doctrine, as in :func:`with_settings`: a doctrine's policy
    parameters apply only to the policy of the doctrine's name.

    Parameters
    ----------
    scenario : Scenario
        A scenario from :func:`load_scenario` or :func:`load_text`.
    path : str
        A field path.
    values : iterable
        The values to try.

    Returns
    -------
    list of Problem
        Empty when every value is valid; else the first invalid value's problems (line 0, the
        field path as ``loc``). A policy's ``name`` whose new policy does not take a parameter
        the file gives that policy is one problem, at no field path, that names the path and
        value, the parameter, what the new policy takes, and what to do instead.
    """
    raw = scenario._raw if scenario._raw is not None else scenario.model_dump(mode="json")
    data = copy.deepcopy(raw)
    _apply_doctrines(data, _Context("<settings>", Positions()))
    try:
        target = resolve(data, path)
    except PathError as exc:
        return [Problem(0, 0, (path,), str(exc), "<settings>")]
    newer = _too_new_path(data, target.loc)
    if newer is not None:
        return [Problem(0, 0, (path,), newer, "<settings>")]
    refused = _first_refused(raw, data, path, target, values)
    if refused is None:
        return []
    if refused.kept is not None:
        return [Problem(0, 0, (), refused.kept, "<settings>")]
    if refused.invalid is not None:
        found = _validation_problems(refused.invalid, data, _Context("<settings>", Positions()))
    else:
        found = [Problem(0, 0, f.loc, f.message, "<settings>") for f in refused.found]
    return [Problem(0, 0, p.loc, p.message, "<settings>") for p in found]


class _Refused(NamedTuple):
    """The first value of a field path that cannot stand, and why (one of the last three)."""

    value: Any
    kept: str | None  # a policy's name whose policy does not take a parameter the file gives
    invalid: ValidationError | None  # the schema's refusal
    found: list[Finding]  # the cross-field checks' refusals


def _first_refused(
    raw: dict[str, Any],
    data: dict[str, Any],
    path: str,
    target: Target,
    values: Iterable[Any],
    *,
    block: bool = False,
) -> _Refused | None:
    """Put each value at ``path`` in turn and validate; the first value refused, or None.

    The one check of a field path's values, for ``--vary`` (:func:`check_values`) and for a
    file's ``sweep:`` block (:func:`_sweep_problems`). An actor's policy ``name`` goes into the
    actor's own data before its doctrine, as the loader (and :func:`with_settings`) does it: a
    doctrine's policy parameters apply only to the policy of the doctrine's name.

    Parameters
    ----------
    raw : dict
        The scenario's data before its doctrines.
    data : dict
        A copy of the data with its doctrines applied; changed in place, and left as the
        refused value made it (the refusals' locations are in its terms).
    path : str
        The field path as given.
    target : Target
        ``path`` resolved against ``data``.
    values : iterable
        The values to try, in order.
    block : bool
        Word a policy's refused name for a ``sweep:`` block rather than ``--vary``.

    Returns
    -------
    _Refused or None
        None when every value is valid.
    """
    naming = target.loc[-2:] == ("policy", "name")
    own: dict[str, Any] | None = None  # an actor as given, when its policy's name is set
    if naming and target.loc[0] == "actors":
        stubbed = copy.deepcopy(raw)
        resolve(stubbed, path)  # gives the actor without a policy its role's default
        own = stubbed["actors"][target.loc[1]]
    for value in values:
        policy: Any = target.container
        if own is not None:
            # As the loader (and with_settings) does it: the name goes into the actor's own
            # data, then the doctrine, whose policy parameters apply only to its policy's name.
            own["policy"]["name"] = value
            rebuilt: dict[str, Any] = copy.deepcopy(
                {"doctrines": raw.get("doctrines"), "actors": [own]}
            )
            _apply_doctrines(rebuilt, _Context("<settings>", Positions()))
            data["actors"][target.loc[1]] = rebuilt["actors"][0]
            policy = rebuilt["actors"][0]["policy"]
        else:
            target.container[target.key] = value  # type: ignore[index]
        if naming and isinstance(value, str) and value in POLICY_MODELS:
            kept = _policy_kept(path, value, policy, POLICY_MODELS[value], block=block)
            if kept is not None:
                return _Refused(value, kept, None, [])
        try:
            swept = Scenario.model_validate(data)
        except ValidationError as exc:
            return _Refused(value, None, exc, [])
        found = check(swept)
        if found:
            return _Refused(value, None, None, found)
    return None


def _policy_kept(
    path: str, name: str, policy: dict[str, Any], model: type[BaseModel], *, block: bool = False
) -> str | None:
    """Why setting ``path`` (a policy's ``name``) to ``name`` cannot stand, or None when it can.

    Changing a policy's name keeps the parameters the file gives the policy (``--vary``, and a
    ``sweep:`` block, change one field); when the policy called ``name`` does not take one of
    them, the message says so in the terms of the option (or of the block), and what to do
    instead.

    Parameters
    ----------
    path : str
        The field path as given (``actors.USA.policy.name``).
    name : str
        The new policy's name.
    policy : dict
        The policy's data with the new name in place.
    model : type
        The new policy's parameter model.
    block : bool
        Word the message for a file's ``sweep:`` block (located at the block's entry, so it
        names the value alone) rather than for ``--vary``.

    Returns
    -------
    str or None
        The message (one line), or None when the new policy takes every parameter given.
    """
    kept = [key for key in policy if key not in model.model_fields]
    if not kept:
        return None
    where = path.rsplit(".", 1)[0]
    given = " and ".join(f"{where}.{key} ({json.dumps(policy[key], default=str)})" for key in kept)
    takes = [field for field in model.model_fields if field != "name"]
    # A parameter the new policy requires (memory_one's p, scripted's moves) is left to fill in.
    whole = ", ".join(
        [f"name: {name}", *(f"{f}: ..." for f in takes if model.model_fields[f].is_required())]
    )
    refusal = (
        f"the scenario file sets {given}, and policy '{name}' does not take "
        f"{' or '.join(kept)} (it takes {', '.join(takes) or 'no parameters'})"
    )
    if block:
        return (
            f"value {name!r}: {refusal}; the sweep changes the name alone and keeps the file's "
            "parameters. Instead vary a parameter of the file's policy "
            f"({where}.{kept[0]}: [V1, V2, ...]), or add a condition that sets the whole policy "
            f"(set: {{{where}: {{{whole}}}}}) and sweep under it (condition: NAME in the sweep: "
            "block)"
        )
    return (
        f"{path}={name}: {refusal}; --vary changes "
        "the name alone and keeps the file's parameters. Instead vary a parameter of the file's "
        f"policy (--vary {where}.{kept[0]}=V1,V2,...), or give a copy of the scenario a condition "
        f"that sets the whole policy (set: {{{where}: {{{whole}}}}}) and compare it with "
        "escalsim run, or sweep under it with --condition NAME"
    )


def policy_names() -> list[str]:
    """Names of the policies a scenario can use."""
    return list(POLICY_MODELS)


def with_settings(
    scenario: Scenario, settings: dict[str, Any], source: str = "<settings>"
) -> Scenario:
    """Return the scenario with field-path settings applied (e.g. ``{'run.rounds': 10}``).

    The same paths as conditions and ``set`` events; the result is validated like a file,
    conditions included.

    Parameters
    ----------
    scenario : Scenario
        A scenario from :func:`load_scenario` or :func:`load_text`.
    settings : dict
        Field path -> value.
    source : str
        Name used in error messages (e.g. ``'--rounds'``).

    Raises
    ------
    ScenarioError
        When a path names no field, or a value makes the scenario invalid.
    """
    raw = copy.deepcopy(scenario._raw if scenario._raw is not None else scenario.model_dump())
    problems = []
    for path, value in settings.items():
        try:
            target = resolve(raw, path)
        except PathError as exc:
            problems.append(Problem(0, 0, (path,), str(exc), source))
            continue
        target.container[target.key] = value  # type: ignore[index]
    if problems:
        raise ScenarioError(problems)
    import json

    try:
        return load_text(json.dumps(raw), source)
    except ScenarioError as exc:
        raise ScenarioError(
            [Problem(0, 0, p.loc, p.message, source) for p in exc.problems]
        ) from None
