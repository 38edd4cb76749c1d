"""Old scenario files: version 1 migrated as it is read, versions 1 and 2 rewritten on disk.

Version 3 (docs/pair-wars.md §10; docs/scenario-format.md, "Version 3") adds fields whose
defaults are exactly version 2's meaning, so a version-2 file reads unchanged and silently; a
version-2 file that uses a version-3 field gets a positioned error at it (:func:`too_new`), as a
version-1 file that uses a version-2 field does. ``escalsim migrate`` rewrites a version-2 file
as version 3 (:func:`migrate_text`): the version's value, and ``war: {ends_run: true}`` written
explicitly (into the ``war`` block, or as a new block), every other byte kept. A version-1 file
migrates to version 3 in one step: version 2's migration below, with ``ends_run: true`` in the
``war`` block it adds.

The rest of this docstring is version 1's migration (to version 2, then the version line says
the current version).

Version 2 of the format (docs/decision-v2.md §10; docs/scenario-format.md, "Version 2") adds the
blocks ``stakes``, ``war`` and ``beliefs``, a power's type as ``war_cost`` or ``resolve`` (a point
value or a prior over types) and ``divisible`` on agenda items, and removes version 1's decision
rule: the ``quantal`` policy (its weights have no counterpart: the default is now ``bargaining``
for a power, ``reciprocal`` for a third party) and ``risk_tolerance`` (the risk of war an actor
runs is its type). A version-1 file therefore migrates by adding the three blocks with their
defaults (the discount from ``run.time_unit``), removing ``risk_tolerance`` and a ``quantal``
policy from its actors and doctrines (each named in the notice), and writing
``schema_version: 2``:

* :func:`upgrade` does it on the parsed data, before validation (the loader calls it), and
  returns a :class:`Migration` whose :attr:`~Migration.notice` the loader emits once, as a
  :class:`~escalsim.errors.ScenarioMigrationWarning`, when the file has loaded;
* :func:`migrate_text` does the same to the text, for ``escalsim migrate``: the version's value
  is replaced and the blocks are inserted before ``doctrines`` or ``actors`` (with the comment
  lines just above that key), so every other byte of the file, comments and layout included,
  is kept. ruamel.yaml's composer, the one the reader uses, gives the positions; the result is
  checked to parse to exactly the data :func:`upgrade` makes.

A condition, sweep or event that sets a removed field gets the loader's positioned error,
whose hint says what replaced it: what it meant cannot be translated.

A version-1 file that holds a version-2 field (``stakes``, ``war_cost``, a prior over types...)
is not migrated: it gets a positioned error at that field, since the file's version and its
content disagree. An unknown version (3, ``"two"``, 2.0) gets a positioned error too.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from escalsim.errors import ScenarioMigrationWarning
from escalsim.policies.registry import default_policies_text, default_policy
from escalsim.scenario.errors import Loc, Problem, ScenarioError
from escalsim.scenario.schema import DEFAULT_DISCOUNT, SCHEMA_VERSION
from escalsim.scenario.yamlio import Positions, parse_yaml

__all__ = [
    "V2_ONLY",
    "V3_ONLY",
    "Migration",
    "ScenarioMigrationWarning",
    "migrate_file",
    "migrate_text",
    "strip_v3_defaults",
    "too_new",
    "unmigratable",
    "upgrade",
    "v2_form",
    "v3_field_at",
]

#: The version-2 fields, where they live: top-level keys, actor keys, agenda item keys.
V2_ONLY: dict[str, tuple[str, ...]] = {
    "top": ("stakes", "war", "beliefs"),
    "actor": ("war_cost",),
    "agenda": ("divisible",),
}
#: The version-3 fields, by the model that holds them (docs/pair-wars.md §10). Their defaults are
#: version 2's meaning: a scenario with all of them at their defaults is a version-2 scenario.
V3_ONLY: dict[str, tuple[str, ...]] = {
    "actor": ("nuclear", "exchange_risk_scale"),
    "ladder": ("strategic_rung",),
    "rung": ("war_advantage", "exchange_hazard"),
    "war": ("ends_run", "front_step", "exchange_value", "pairs", "at_start"),
    "agenda": ("names", "ends_war"),
}
#: Where the new blocks go in a file: before the first of these top-level keys (else at the end).
_ANCHORS = ("doctrines", "actors")


def v3_field_at(loc: Loc) -> str | None:
    """The version-3 field a data path goes through (its name), or None.

    ``('war', 'pairs', 0, 'support')`` -> ``'pairs'``; ``('actors', 2, 'nuclear')`` ->
    ``'nuclear'``; a doctrine's keys count as an actor's.
    """
    n = len(loc)
    head = loc[0] if n else None
    if head in ("actors", "doctrines") and n >= 3 and loc[2] in V3_ONLY["actor"]:
        return str(loc[2])
    if head == "ladder" and n >= 2:
        if loc[1] in V3_ONLY["ladder"]:
            return str(loc[1])
        if loc[1] == "rungs" and n >= 4 and loc[3] in V3_ONLY["rung"]:
            return str(loc[3])
    if head == "war" and n >= 2 and loc[1] in V3_ONLY["war"]:
        return str(loc[1])
    if head == "agenda" and n >= 3 and loc[2] in V3_ONLY["agenda"]:
        return str(loc[2])
    return None


def v3_locs(data: dict[str, Any]) -> list[Loc]:
    """The paths of the version-3 fields written in ``data`` (raw or dumped), in file order."""
    out: list[Loc] = []

    def keys(loc: Loc, item: Any, fields: tuple[str, ...]) -> None:
        if isinstance(item, dict):
            out.extend((*loc, k) for k in item if k in fields)

    for key, value in data.items():
        if key in ("actors", "agenda") and isinstance(value, list):
            kind = "actor" if key == "actors" else "agenda"
            for i, item in enumerate(value):
                keys((key, i), item, V3_ONLY[kind])
        elif key == "doctrines" and isinstance(value, dict):
            for name, item in value.items():
                keys((key, name), item, V3_ONLY["actor"])
        elif key == "ladder" and isinstance(value, dict):
            keys((key,), value, V3_ONLY["ladder"])
            rungs = value.get("rungs")
            for i, rung in enumerate(rungs if isinstance(rungs, list) else []):
                keys((key, "rungs", i), rung, V3_ONLY["rung"])
        elif key == "war" and isinstance(value, dict):
            keys((key,), value, V3_ONLY["war"])
    return out


@functools.cache
def _v3_defaults() -> dict[str, dict[str, Any]]:
    """Each version-3 field's default, by the kind of model that holds it (JSON form)."""
    from escalsim.scenario.schema import Actor, AgendaItem, Ladder, Rung, War

    models: dict[str, type[BaseModel]] = {
        "actor": Actor,
        "ladder": Ladder,
        "rung": Rung,
        "war": War,
        "agenda": AgendaItem,
    }
    return {
        kind: {f: models[kind].model_fields[f].get_default(call_default_factory=True) for f in fs}
        for kind, fs in V3_ONLY.items()
    }


def _at_default(data: dict[str, Any]) -> list[Loc] | None:
    """The paths of the version-3 fields in dumped ``data``; None if one is not at its default."""
    defaults = _v3_defaults()
    kinds = {"actors": "actor", "agenda": "agenda", "ladder": "ladder", "war": "war"}
    locs = [loc for loc in v3_locs(data) if loc[0] != "doctrines"]
    for loc in locs:
        node: Any = data
        for part in loc:
            node = node[part]
        kind = "rung" if loc[:2] == ("ladder", "rungs") else kinds[str(loc[0])]
        if node != defaults[kind][str(loc[-1])]:
            return None
    return locs


def _drop(data: dict[str, Any], locs: Iterable[Loc]) -> None:
    for loc in locs:
        node: Any = data
        for part in loc[:-1]:
            node = node[part]
        node.pop(loc[-1], None)


def strip_v3_defaults(data: dict[str, Any]) -> None:
    """Remove, in place, the version-3 fields of dumped ``data`` that are at their defaults.

    A version-2 scenario dumps so (:class:`~escalsim.scenario.schema.Scenario`'s serializer):
    its data is what version 2 dumped, which reads back as a version-2 file.
    """
    defaults = _v3_defaults()
    kinds = {"actors": "actor", "agenda": "agenda", "ladder": "ladder", "war": "war"}
    for loc in [loc for loc in v3_locs(data) if loc[0] != "doctrines"]:
        node: Any = data
        for part in loc:
            node = node[part]
        kind = "rung" if loc[:2] == ("ladder", "rungs") else kinds[str(loc[0])]
        if node == defaults[kind][str(loc[-1])]:
            _drop(data, [loc])


def v2_form(data: dict[str, Any]) -> bool:
    """Rewrite dumped version-3 ``data`` in place as version 2 when it means the same.

    When every version-3 field is at its default the scenario is a version-2 scenario: the
    fields go and ``schema_version`` becomes 2, so that a version-2 file and its migration to
    version 3 have one canonical form (and one hash,
    :func:`escalsim.experiment.provenance.canonical_scenario`). Returns whether it did.
    """
    if data.get("schema_version") != 3:
        return False
    locs = _at_default(data)
    if locs is None:
        return False
    _drop(data, locs)
    data["schema_version"] = 2
    return True


def too_new(data: dict[str, Any], pos: Positions, source: str) -> list[Problem]:
    """Problems of a version-1 or version-2 file that holds version-3 fields, each at its key."""
    version = data.get("schema_version")
    out = []
    for loc in v3_locs(data):
        line, col = pos.key(loc)
        out.append(Problem(line, col, loc, v3_message(str(loc[-1]), version), source))
    return out


def v3_message(field: str, version: object) -> str:
    """The message for a version-3 field used where the file says an older version."""
    return (
        f"'{field}' is a schema_version 3 field, and the file says schema_version: {version}; "
        "write schema_version: 3 to use it (docs/scenario-format.md, 'Version 3')"
    )


@dataclass(frozen=True)
class Migration:
    """What migrating one version-1 file to version 2 changes.

    Attributes
    ----------
    source : str
        The file's name, as in its problems.
    blocks : dict
        The top-level blocks added, in file order: ``stakes``, ``war``, ``beliefs``.
    changes : tuple of str
        What changed, one line each (the notice lists them).
    removed : tuple of Loc
        The version-1 decision fields removed (``risk_tolerance``, a ``quantal`` policy), by
        their paths in the data.
    """

    source: str
    blocks: dict[str, dict[str, Any]]
    changes: tuple[str, ...]
    removed: tuple[Loc, ...] = ()
    from_version: int = 1

    @property
    def notice(self) -> str:
        """The one notice of the migration: the file, what changed, and how to rewrite it."""
        rewrite = (
            f" (`escalsim migrate {shlex.quote(self.source)} --in-place` rewrites the file)"
            if not self.source.startswith("<")
            else ""
        )
        return "\n".join(
            [
                f"{self.source}: schema_version 1, migrated to {SCHEMA_VERSION} as it was "
                f"read{rewrite}; what changed:",
                self.listing,
            ]
        )

    @property
    def listing(self) -> str:
        """What changed, one indented line each, and what it means for a run."""
        if self.from_version == 2:
            return "\n".join(
                [
                    *(f"  - {change}" for change in self.changes),
                    "  Nothing a run computes changes: version 3's defaults are version 2's "
                    "meaning (docs/scenario-format.md, 'Version 3').",
                ]
            )
        return "\n".join(
            [
                *(f"  - {change}" for change in self.changes),
                "  The file now runs under decision model version 2 (docs/decision-v2.md): its "
                "results are not version 1's (docs/scenario-format.md, 'Version 2').",
            ]
        )


# ------------------------------------------------------------------------------------------------
# The data
# ------------------------------------------------------------------------------------------------
def _flow(value: Any) -> str:
    """A short YAML rendering of a block's value for the notice and the file (flow style)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _key(key: str) -> str:
    """A mapping key as YAML 1.2 reads it back as the same string (ids are plain words)."""
    return json.dumps(key) if key.lower() in ("null", "true", "false", "~") else key


def _powers(data: dict[str, Any]) -> list[tuple[str, Any]]:
    """(id, resolve) of the actors with role power and a string id, in file order."""
    actors = data.get("actors")
    return [
        (a["id"], a.get("resolve"))
        for a in (actors if isinstance(actors, list) else [])
        if isinstance(a, dict) and a.get("role") == "power" and isinstance(a.get("id"), str)
    ]


def _decision_fields(data: dict[str, Any]) -> tuple[list[Loc], list[str]]:
    """Version 1's decision fields in the actors and doctrines: their paths, and the changes.

    ``risk_tolerance`` is dropped; a ``quantal`` policy is removed, so the actor gets its role's
    default (a doctrine's actors get theirs). Actors that gave no policy had ``quantal`` by
    default, and the built-in doctrines set it: both are said too.
    """
    removed: list[Loc] = []
    changes: list[str] = []
    defaults = default_policies_text()

    def scan(loc: Loc, item: Any, label: str, role: object) -> None:
        if not isinstance(item, dict):
            return
        if "risk_tolerance" in item:
            removed.append((*loc, "risk_tolerance"))
            changes.append(
                f"{label}: risk_tolerance {_flow(item['risk_tolerance'])} dropped (the risk of "
                "war it runs is now its type: resolve or war_cost)"
            )
        policy = item.get("policy")
        if isinstance(policy, dict) and policy.get("name") == "quantal":
            removed.append((*loc, "policy"))
            now = default_policy(role) if role is not None else f"its actors' default ({defaults})"
            weights = [str(k) for k in policy if k != "name"]
            changes.append(
                f"{label}: policy quantal replaced by {now}"
                + (f"; {', '.join(weights)} dropped (no counterpart)" if weights else "")
            )

    actors = data.get("actors")
    actors = actors if isinstance(actors, list) else []
    doctrines = data.get("doctrines")
    doctrines = doctrines if isinstance(doctrines, dict) else {}
    for i, actor in enumerate(actors):
        if isinstance(actor, dict):
            scan(("actors", i), actor, f"actor {actor.get('id', i)}", actor.get("role"))
    for name, doctrine in doctrines.items():
        scan(("doctrines", name), doctrine, f"doctrine {name}", None)
    unset = [
        str(a.get("id", i))
        for i, a in enumerate(actors)
        if isinstance(a, dict)
        and "policy" not in a
        and not (
            isinstance(doctrines.get(a.get("doctrine")), dict)
            and "policy" in doctrines[a["doctrine"]]
        )
    ]
    if unset:
        changes.append(
            f"actors {', '.join(unset)} give no policy: the default is now by role ({defaults}), "
            "not quantal"
        )
    from escalsim.scenario.load import BUILTIN_DOCTRINES  # the loader imports this module

    builtin = sorted(
        {
            str(a["doctrine"])
            for a in actors
            if isinstance(a, dict)
            and a.get("doctrine") in BUILTIN_DOCTRINES
            and a.get("doctrine") not in doctrines
        }
    )
    if builtin:
        changes.append(
            f"built-in doctrines {', '.join(builtin)} are now type presets (resolve, attribution, "
            "audience cost; docs/scenario-format.md), with no policy and no risk_tolerance"
        )
    return removed, changes


def _plan(data: dict[str, Any], source: str) -> Migration:
    """The migration of version-1 ``data``.

    The data need not be valid: what cannot be worked out from invalid data is left to its
    default, and validation reports the invalid data.
    """
    powers = _powers(data)
    run = data.get("run")
    unit = run.get("time_unit") if isinstance(run, dict) else None
    stakes: dict[str, Any] = {}
    changes = [f"schema_version: 1 -> {SCHEMA_VERSION}"]
    described = []
    ids = [p for p, _ in powers]
    if len(ids) == 2 and ids[0] != ids[1]:
        stakes["status_quo"] = {p: 0.5 for p in ids}
        described.append(f"status_quo {_flow(stakes['status_quo'])} (equal shares)")
    if isinstance(unit, str) and unit in DEFAULT_DISCOUNT:
        stakes["discount"] = DEFAULT_DISCOUNT[unit]
        described.append(f"discount {stakes['discount']} (the default for time_unit {unit})")
    stakes["divisible"] = True
    stakes["commitment_problem"] = False
    described += ["divisible true", "commitment_problem false"]
    blocks = {
        "stakes": stakes,
        "war": {"decisiveness": 1.0, "ends_run": True},
        "beliefs": {"attribution": "naive"},
    }
    changes.append("stakes added: " + ", ".join(described))
    changes.append(
        "war added: decisiveness 1.0 (the chance of winning is the ratio of strengths), ends_run "
        "true (the first war between the powers ends the run)"
    )
    changes.append(
        "beliefs added: attribution naive (a power assumes its own moves were seen as they were)"
    )
    points = [f"{p} {r}" for p, r in powers if isinstance(r, (int, float))]
    if points:
        changes.append(
            f"resolve kept ({', '.join(points)}): a power's type is its resolve, one type known "
            "to both, its cost of war c = 1/resolve - 1 + p (p: its chance of winning at round 0)"
        )
    changes.append("honesty kept: for a power it is also the prior probability of an honest type")
    removed, decisions = _decision_fields(data)
    return Migration(source, blocks, tuple(changes + decisions), tuple(removed))


def unmigratable(data: dict[str, Any], pos: Positions, source: str) -> list[Problem]:
    """Problems of a version-1 file that holds version-2 fields: it cannot be migrated.

    Each is at the field: its key, or for a prior over types, its value.
    """
    out: list[Problem] = []

    def field(loc: Loc, key: str) -> None:
        line, col = pos.key(loc)
        out.append(
            Problem(
                line,
                col,
                loc,
                f"'{key}' is a schema_version 2 field, and the file says schema_version: 1; "
                "write schema_version: 2 to use it (docs/scenario-format.md, 'Version 2')",
                source,
            )
        )

    def prior(loc: Loc) -> None:
        line, col = pos.value(loc)
        out.append(
            Problem(
                line,
                col,
                loc,
                "a prior over types is a schema_version 2 form, and the file says "
                "schema_version: 1, where resolve is a number; write schema_version: 2 to use it",
                source,
            )
        )

    for key in V2_ONLY["top"]:
        if key in data:
            field((key,), key)
    out += [p for p in too_new(data, pos, source) if p.loc[:1] != ("war",)]

    def actor_like(items: Iterable[tuple[Loc, Any]]) -> None:
        for loc, item in items:
            if not isinstance(item, dict):
                continue
            for key in V2_ONLY["actor"]:
                if key in item:
                    field((*loc, key), key)
            if isinstance(item.get("resolve"), (dict, list)):
                prior((*loc, "resolve"))

    actors, doctrines, agenda = data.get("actors"), data.get("doctrines"), data.get("agenda")
    actor_like((("actors", i), a) for i, a in enumerate(actors if isinstance(actors, list) else []))
    actor_like(
        (("doctrines", k), d) for k, d in (doctrines if isinstance(doctrines, dict) else {}).items()
    )
    for i, item in enumerate(agenda if isinstance(agenda, list) else []):
        if isinstance(item, dict):
            for key in V2_ONLY["agenda"]:
                if key in item:
                    field(("agenda", i, key), key)
    return out


def _apply(data: dict[str, Any], migration: Migration) -> None:
    """Migrate ``data`` in place: the version, and the blocks before the first anchor key."""
    data["schema_version"] = SCHEMA_VERSION
    for loc in migration.removed:
        parent: Any = data
        for key in loc[:-1]:
            parent = parent[key]
        parent.pop(loc[-1], None)
    anchor = next((k for k in data if k in _ANCHORS), None)
    items = list(data.items())
    data.clear()
    for key, value in items:
        if key == anchor:
            data.update(migration.blocks)
        data[key] = value
    if anchor is None:
        data.update(migration.blocks)


def upgrade(data: dict[str, Any], pos: Positions, source: str) -> Migration | None:
    """Migrate parsed version-1 data to the current version in place; None for any other.

    (A version-2 file is not migrated as it is read: it means what it meant.)

    The version itself is checked by the loader (a version other than 1 or 2 never gets here
    as 1). Positions are unchanged: the blocks added have none of their own, and hold only
    valid values.

    Raises
    ------
    ScenarioError
        When the file holds version-2 fields (:func:`unmigratable`).
    """
    version = data.get("schema_version")
    if type(version) is not int or version != 1:
        return None
    problems = unmigratable(data, pos, source)
    if problems:
        raise ScenarioError(problems)
    migration = _plan(data, source)
    _apply(data, migration)
    return migration


# ------------------------------------------------------------------------------------------------
# The text
# ------------------------------------------------------------------------------------------------
def _block_text(migration: Migration, indent: str, unit: str | None, nl: str) -> str:
    """The blocks as block-style YAML, with a comment saying where they came from."""
    where = f"the discount for time_unit {unit}" if unit else "the default discount"
    lines = [
        f"# Added by `escalsim migrate` (schema_version 1 -> {SCHEMA_VERSION}) with version 2's "
        "defaults: equal",
        f"# status-quo shares and {where} (docs/scenario-format.md, 'Version 2'); war.ends_run "
        "true: version 2's ending.",
    ]
    for key, block in migration.blocks.items():
        lines.append(f"{key}:")
        lines += [f"  {_key(k)}: {_flow(v)}" for k, v in block.items()]
    return "".join(f"{indent}{line}{nl}" for line in lines) + nl


def migrate_text(text: str, source: str = "<string>") -> tuple[str, Migration | None]:
    """Migrate a version-1 or version-2 scenario's text to version 3, keeping every other byte.

    Parameters
    ----------
    text : str
        The YAML document.
    source : str
        Name used in problems and in the notice.

    Returns
    -------
    text : str
        The version-3 text (``text`` itself when it is already version 3).
    migration : Migration or None
        What changed; None when there was nothing to migrate.

    Raises
    ------
    ScenarioError
        When the text does not parse, or holds version-2 fields while saying version 1. (Whether
        the result is a valid scenario is the loader's to say: ``escalsim migrate`` loads the
        file first.)
    """
    data, pos = parse_yaml(text, source)  # the reader's checks (size, aliases, tags) first
    if not isinstance(data, dict):
        return text, None
    migration = upgrade(data, pos, source)
    if migration is None:
        version = data.get("schema_version")
        if type(version) is int and version == 2:
            return _migrate_v2_text(text, data, pos, source)
        return text, None
    root, keys, version = _composed(text, pos, source, 1)
    anchor = next((keys[k][0] for k in keys if k in _ANCHORS), None)
    nl = "\r\n" if "\r\n" in text else "\n"
    edits: list[tuple[int, int, str]] = [
        (version.start_mark.index, version.end_mark.index, str(SCHEMA_VERSION))
    ]
    if root.flow_style:
        # A flow (or JSON) document: the blocks as JSON, which YAML 1.2 reads, before the anchor.
        added = "".join(f"{json.dumps(k)}: {json.dumps(v)}, " for k, v in migration.blocks.items())
        if anchor is not None:
            edits.append((anchor.start_mark.index, anchor.start_mark.index, added))
        else:
            at = root.end_mark.index - 1  # the closing brace
            edits.append((at, at, ", " + added.removesuffix(", ")))
    else:
        run = data.get("run")
        unit = run.get("time_unit") if isinstance(run, dict) else None
        block = _block_text(migration, " " * root.start_mark.column, unit, nl)
        edits.append(_new_block(text, anchor, block, nl))
    edits += [_deletion(root, text, loc, pos, source) for loc in migration.removed]
    out = _edited(text, edits)
    # The text must say exactly what the migrated data says (an anchor on the version's value,
    # reused elsewhere, would not).
    try:
        again, _ = parse_yaml(out, source)
    except ScenarioError:
        again = None
    if again != data:
        raise ScenarioError([_by_hand(pos, source)])
    return out, migration


def _migrate_v2_text(
    text: str, data: dict[str, Any], pos: Positions, source: str
) -> tuple[str, Migration]:
    """Rewrite a version-2 text as version 3: the version line and ``war: {ends_run: true}``.

    ``ends_run: true`` goes at the end of the ``war`` block (after its last entry's line, at its
    entries' indentation; into a flow mapping before its closing brace), or, when the file has
    no ``war`` block, as a new block before ``doctrines`` or ``actors`` (as version 1's blocks).
    Every other byte is kept. Version-3 fields in the file were refused by the loader.
    """
    from ruamel.yaml.nodes import MappingNode

    problems = too_new(data, pos, source)
    if problems:
        raise ScenarioError(problems)
    root, keys, version = _composed(text, pos, source, 2)
    nl = "\r\n" if "\r\n" in text else "\n"
    edits: list[tuple[int, int, str]] = [
        (version.start_mark.index, version.end_mark.index, str(SCHEMA_VERSION))
    ]
    war = keys.get("war", (None, None))[1]
    anchor = next((keys[k][0] for k in keys if k in _ANCHORS), None)
    added = "war: {ends_run: true} written (version 2's ending: the first war between the powers "
    if war is not None:
        if not isinstance(war, MappingNode):
            raise ScenarioError([_by_hand(pos, source, 2, ("war",))])
        if war.flow_style or not war.value:
            at = war.end_mark.index - 1  # the closing brace
            if text[at] != "}":
                raise ScenarioError([_by_hand(pos, source, 2, ("war",))])
            entry = '"ends_run": true' if root.flow_style else "ends_run: true"  # JSON stays JSON
            edits.append((at, at, (", " if war.value else "") + entry))
        else:
            first_key, _ = war.value[0]
            _, last = war.value[-1]
            end = last.end_mark.index
            if last.end_mark.column != 0:  # else the value ended at the start of the next line
                newline = text.find("\n", end)
                end = len(text) if newline < 0 else newline + 1
            line = " " * first_key.start_mark.column + "ends_run: true" + nl
            if end == len(text) and text and not text.endswith("\n"):
                line = nl + line
            edits.append((end, end, line))
    elif root.flow_style:
        new = '"war": {"ends_run": true}'
        if anchor is not None:
            edits.append((anchor.start_mark.index, anchor.start_mark.index, new + ", "))
        else:
            at = root.end_mark.index - 1
            edits.append((at, at, ", " + new))
    else:
        indent = " " * root.start_mark.column
        block = "".join(
            f"{indent}{line}{nl}"
            for line in (
                "# Added by `escalsim migrate` (schema_version 2 -> 3): version 2's ending "
                "(docs/scenario-format.md, 'Version 3').",
                "war:",
                "  ends_run: true",
            )
        )
        edits.append(_new_block(text, anchor, block, nl))
    out = _edited(text, edits)
    expected = copy.deepcopy(data)
    expected["schema_version"] = SCHEMA_VERSION
    if isinstance(expected.get("war"), dict):
        expected["war"]["ends_run"] = True
    else:
        expected["war"] = {"ends_run": True}
    try:
        again, _ = parse_yaml(out, source)
    except ScenarioError:
        again = None
    if again != expected:
        raise ScenarioError([_by_hand(pos, source, 2)])
    migration = Migration(
        source,
        {"war": {"ends_run": True}},
        (f"schema_version: 2 -> {SCHEMA_VERSION}", added + "ends the run)"),
        from_version=2,
    )
    return out, migration


def _deletion(root: Any, text: str, loc: Loc, pos: Positions, source: str) -> tuple[int, int, str]:
    """The edit that deletes the mapping entry at ``loc`` (a removed version-1 field) from the text.

    The entry's lines go, from the start of its key's line to the end of its value's (the
    comment at the end of that line with them); the entry must be in a block mapping and start
    its line, else the file is to be migrated by hand (a positioned problem at the key).
    """
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    node: Any = root
    key_node = value = None
    for step, key in enumerate(loc):
        if isinstance(node, SequenceNode) and isinstance(key, int):
            node = node.value[key]
            continue
        if not isinstance(node, MappingNode):
            break
        entry = next((kv for kv in node.value if str(kv[0].value) == str(key)), None)
        if entry is None:
            break
        if step == len(loc) - 1:
            key_node, value = entry
            if node.flow_style:
                key_node = None  # inside a flow mapping: not rewritten in place
            break
        node = entry[1]
    line_start = text.rfind("\n", 0, key_node.start_mark.index) + 1 if key_node else 0
    if key_node is None or value is None or text[line_start : key_node.start_mark.index].strip():
        line, col = pos.key(loc)
        raise ScenarioError(
            [
                Problem(
                    line,
                    col,
                    loc,
                    f"escalsim migrate removes '{loc[-1]}' (gone in schema_version 2) only where "
                    "it starts its own line of a block mapping; remove it by hand "
                    "(docs/scenario-format.md, 'Version 2')",
                    source,
                )
            ]
        )
    end = value.end_mark.index
    if value.end_mark.column != 0:  # else the value ended at the start of the next line
        newline = text.find("\n", end)
        end = len(text) if newline < 0 else newline + 1
    return line_start, end, ""


#: schema_version's value as a plain decimal 1 or 2 (the only forms rewritten in place).
_PLAIN_VERSION = {1: re.compile(r"^\+?0*1$"), 2: re.compile(r"^\+?0*2$")}


def _new_block(text: str, anchor: Any, block: str, nl: str) -> tuple[int, int, str]:
    """The edit that inserts a new top-level ``block`` into ``text``.

    Before ``anchor``'s key and the comment lines just above it (which belong to it), or, with
    no anchor, at the end of the text, after a newline.
    """
    if anchor is None:
        return len(text), len(text), (nl + block if text and not text.endswith("\n") else block)
    lines = text.splitlines(keepends=True)
    first = anchor.start_mark.line
    while first > 0 and lines[first - 1].lstrip().startswith("#"):
        first -= 1
    at = sum(len(line) for line in lines[:first])
    return at, at, block


def _edited(text: str, edits: list[tuple[int, int, str]]) -> str:
    """``text`` with each ``(start, end, new)`` edit applied (non-overlapping; last first)."""
    out = text
    for start, end, new in sorted(edits, reverse=True):
        out = out[:start] + new + out[end:]
    return out


def _composed(text: str, pos: Positions, source: str, version: int) -> tuple[Any, Any, Any]:
    """The text's node tree, its top-level keys (name -> (key, value) nodes) and the version node.

    The version must be written as a plain decimal ``version`` in the top-level mapping, the
    only form rewritten in place; otherwise the migration is by hand (:func:`_by_hand`).
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.nodes import MappingNode, ScalarNode

    yaml = YAML(typ="rt", pure=True)
    yaml.version = (1, 2)
    root = yaml.compose(text)
    assert isinstance(root, MappingNode)  # parse_yaml gave a mapping
    keys = {str(k.value): (k, v) for k, v in root.value if isinstance(k, ScalarNode)}
    node = keys.get("schema_version", (None, None))[1]
    if not isinstance(node, ScalarNode) or not _PLAIN_VERSION[version].match(
        text[node.start_mark.index : node.end_mark.index]
    ):
        raise ScenarioError([_by_hand(pos, source, version)])
    return root, keys, node


def _by_hand(
    pos: Positions, source: str, version: int = 1, loc: Loc = ("schema_version",)
) -> Problem:
    line, col = pos.value(loc)
    if loc != ("schema_version",):
        what = (
            f"escalsim migrate writes 'ends_run: true' into a '{loc[-1]}' block that is a "
            "mapping written in the file (block or flow style); write it so, or migrate by hand "
            "(docs/scenario-format.md, 'Version 3')"
        )
    else:
        what = (
            f"escalsim migrate rewrites a plain 'schema_version: {version}' written in the "
            "file's top-level mapping (not through an anchor, alias or merge key); write it so, "
            f"or migrate by hand (docs/scenario-format.md, 'Version {version + 1}')"
        )
    return Problem(line, col, loc, what, source)


def migrate_file(path: str, display: str | None = None) -> tuple[str, Migration | None]:
    """Read a scenario file, check it, and return its text in the current version.

    The file is loaded first, so that a file with problems gets them at their lines and columns
    in the file as written (and nothing is migrated); the migrated text is then loaded again,
    which must succeed without a migration.

    Parameters
    ----------
    path : str
        The file.
    display : str, optional
        Its name in problems and in the notice (default: ``path``).

    Returns
    -------
    text : str
        The text in the current version (the file's own text when it already is).
    migration : Migration or None
        What changed; None for a file already in the current version.

    Raises
    ------
    ScenarioError
        When the file cannot be read, is not a valid scenario, or cannot be migrated.
    """
    import warnings

    from escalsim.scenario.load import load_text
    from escalsim.scenario.yamlio import read_text

    name = display or path
    text = read_text(path, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScenarioMigrationWarning)  # the caller reports it
        load_text(text, name)
    out, migration = migrate_text(text, name)
    if migration is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("error", ScenarioMigrationWarning)
            load_text(out, name)
    return out, migration
