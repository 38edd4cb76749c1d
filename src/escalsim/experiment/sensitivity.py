"""How robust is the channel effect: global sensitivity of closed − open over the guessed values.

The *channel effect* of a scenario is the paired difference between a condition with its
channels closed and one with them open (``closed − open``) on P(direct war), P(any war) and
the miscalculation rate. Almost every number behind it is a hand-set guess. This module asks
which groups of guesses the effect depends on, and whether it keeps its sign over the space of
plausible values:

- **Groups** (:data:`DEFAULT_GROUPS`, at most 12): each a list of field-path patterns
  (``channels.*.noise``, ``actors.{power}.honesty``, ``ladder.rungs.*.war_risk``) expanded
  against the scenario (:func:`expand_groups`: only fields the scenario has, and only where the
  group's transform can change them), each field with a documented range, multiplicative
  around the scenario's own value (a factor on a log scale, on the odds for probabilities, on
  the shadow of the future ``1/(1 − δ)`` for the discount), or a switch between two options.
- **The design** (:class:`Design`): SALib's Morris trajectories with ``groups`` (one step moves
  every field of a group; Campolongo et al. 2007's μ* per group), or Saltelli's design with
  groups for Sobol' indices (the longer recipe). Each field has its own unit value in [0, 1];
  fields of one group move together.
- **Runs**: at every design point, and at the scenario as it is (the *baseline* point), both
  conditions run over the same replication indices 0..R-1 (common random numbers: the effect
  is a paired difference, far less noisy than the difference of two independent estimates).
  They run through the one pipeline of every experiment (:mod:`escalsim.experiment.tasks`,
  :mod:`~escalsim.experiment.executors`, :mod:`~escalsim.experiment.loop`,
  :mod:`~escalsim.experiment.store`): resumable, on this process, local processes or Dask, and
  identical whatever the executor or chunking.
- **Analysis** (:func:`analyze_folder`): per point the paired effect and its 95% CI
  (:func:`escalsim.experiment.stats.paired_difference`); per group and metric Morris μ*, μ, σ
  (or Sobol' S1, ST) with SALib's bootstrap CIs; the share of points where the effect keeps the
  sign of the baseline effect, among the points whose CI excludes 0; a figure.

See docs/sensitivity.md for the method, the default ranges and the measured results.
"""

from __future__ import annotations

import copy
import math
import os
import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from escalsim.errors import UsageError
from escalsim.experiment.provenance import request_hash, scenario_hash
from escalsim.experiment.tasks import Job, Point, Task
from escalsim.scenario import Scenario
from escalsim.scenario.errors import Problem
from escalsim.scenario.schema import DEFAULT_DISCOUNT

#: The kind of a sensitivity folder's store.
KIND = "escalsim-sensitivity"
#: The effect metrics, in order (``p_war_any`` only where the scenario's runs have ``war_any``).
EFFECT_METRICS = ("p_war_direct", "p_war_any", "miscalculation_rate")
#: Samplers: Morris screening (default) or Saltelli's design for Sobol' indices.
SAMPLERS = ("morris", "sobol")
#: The transforms a group may use (see :func:`transform`).
SCALES = ("log", "odds", "shadow", "temper", "switch")
#: At most this many groups (Morris costs R (G + 1) runs per trajectory and condition).
MAX_GROUPS = 12
#: Resamples of SALib's bootstrap CIs.
RESAMPLES = 1000
#: Replications per task by default (a whole point and condition at the default 300: the
#: fixed cost of a task, building its scenario and the batch engine's rounds, is then ~5%).
DEFAULT_CHUNK = 300


def _problem(message: str, loc: tuple[str, ...] = ()) -> UsageError:
    return UsageError([Problem(0, 0, loc, message, "sensitivity")])


# -- groups -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GroupSpec:
    """A group of guessed values, moved together by the design.

    Attributes
    ----------
    name : str
        The group's name (an identifier).
    paths : tuple of str
        Field-path patterns: ``*`` is every item of a list (by its id or name) or every key of
        a mapping; ``{power}`` is each of the two powers. A path may end in ``:grid`` or
        ``:prior`` for a type prior's values or weights (resolve or war_cost): ``grid`` moves
        every type's value (a grid's values, a uniform prior's two ends, or a point value, one
        type), ``prior`` tempers a grid's weights.
    low, high : float or str
        The factor's range (``log``, ``odds``, ``shadow``, ``temper``), or the two options of a
        ``switch`` (the unit value < 0.5 picks ``low``).
    scale : str
        ``log``: value × f; ``odds``: a probability's odds × f (0 and 1 stay); ``shadow``: a
        discount's shadow of the future 1/(1 − δ) × f; ``temper``: prior weights ∝ wᶠ (f < 1
        flatter, f > 1 more peaked); ``switch``: one of two options. f runs from ``low`` to
        ``high`` on a log scale. A cost (:data:`_COST_FIELDS`) in an ``odds`` group is moved
        on the ``log`` scale by the same factor.
    why : str
        Why this range (the documentation's table quotes it).
    """

    name: str
    paths: tuple[str, ...]
    low: float | str
    high: float | str
    scale: str = "log"
    why: str = ""


#: The default groups, their fields and ranges (docs/sensitivity.md gives the table).
DEFAULT_GROUPS: tuple[GroupSpec, ...] = (
    GroupSpec(
        "precision",
        ("actors.{power}.policy.precision",),
        0.25,
        4.0,
        "log",
        "the logit precision (default 20) is a first guess fixed by one acceptance test; "
        "×1/4 to ×4 spans near-random to near-best-response choice",
    ),
    GroupSpec(
        "types",
        ("actors.{power}.resolve:grid", "actors.{power}.war_cost:grid"),
        0.5,
        2.0,
        "odds",
        "each power's types (its private cost of war): resolves' odds ×1/2 to ×2, costs ×1/2 "
        "to ×2 (a grid's every value, a uniform prior's both ends, or a point value) keeps the "
        "order of the types (a resolve of 0.5 becomes 0.33 to 0.67)",
    ),
    GroupSpec(
        "type_priors",
        ("actors.{power}.resolve:prior", "actors.{power}.war_cost:prior"),
        0.5,
        2.0,
        "temper",
        "the prior weights over the types are judgement; w^f with f in [1/2, 2] makes the "
        "prior flatter or more peaked around the same mode",
    ),
    GroupSpec(
        "posture_costs",
        ("ladder.rungs.*.cost",),
        0.5,
        2.0,
        "log",
        "per-round costs of holding each rung are utility guesses: ×1/2 to ×2",
    ),
    GroupSpec(
        "war_risk",
        ("ladder.rungs.*.war_risk",),
        0.5,
        2.0,
        "odds",
        "per-rung chances of war by accident are guesses of order of magnitude: odds ×1/2 to ×2",
    ),
    GroupSpec(
        "accidents",
        ("accidents.incident_scale", "accidents.implementation_error"),
        0.5,
        2.0,
        "log",
        "how often incidents (every rung's incident_risk, through incident_scale) and "
        "unintended moves happen: ×1/2 to ×2 (implementation error kept ≤ 0.5)",
    ),
    GroupSpec(
        "channel_noise",
        ("channels.*.noise", "channels.*.misread"),
        0.5,
        2.0,
        "odds",
        "perception noise and misreading of every channel: odds ×1/2 to ×2",
    ),
    GroupSpec(
        "channel_service",
        ("channels.*.reliability", "channels.*.deconfliction"),
        0.5,
        2.0,
        "odds",
        "how often a channel is up and explains an accident: odds ×1/2 to ×2",
    ),
    GroupSpec(
        "honesty",
        ("actors.{power}.honesty",),
        0.5,
        2.0,
        "odds",
        "the prior chance that a power is an honest type: odds ×1/2 to ×2",
    ),
    GroupSpec(
        "friction",
        ("ladder.deescalation_friction",),
        0.5,
        2.0,
        "odds",
        "the chance a chosen step down does not happen: odds ×1/2 to ×2",
    ),
    GroupSpec(
        "discount",
        ("stakes.discount",),
        0.5,
        2.0,
        "shadow",
        "the shadow of the future 1/(1 − δ) ×1/2 to ×2 (weekly 0.95: 0.90 to 0.975)",
    ),
    GroupSpec(
        "attribution",
        ("beliefs.attribution",),
        "naive",
        "noisy",
        "switch",
        "a structural switch: naïve (Jervis) or noisy attribution of the other's moves",
    ),
)

#: Upper limits of fields whose schema range is narrower than the transform's.
_UPPER = {"implementation_error": 0.5, "war_cost": 1000.0}
#: The scale of a path's last segment, where a user group's scale is ``auto``.
_ODDS_FIELDS = {
    "noise",
    "misread",
    "reliability",
    "deconfliction",
    "honesty",
    "war_risk",
    "incident_risk",
    "deescalation_friction",
    "implementation_error",
    "exchange_hazard",
}
#: Fields that are costs, not probabilities: a group that moves probabilities on their odds
#: (``types``: resolves and costs of war) moves these on a log scale, value × f.
_COST_FIELDS = {"war_cost"}


def _field_scale(scale: str, path: str) -> str:
    """The scale a group of scale ``scale`` moves the field at ``path`` on."""
    if scale == "odds" and path.rsplit(".", 1)[-1] in _COST_FIELDS:
        return "log"
    return scale


@dataclass(frozen=True)
class Field:
    """One field of a group: its path, the part of its value moved, and its range.

    Attributes
    ----------
    group : str
        The group.
    path : str
        The field path (as conditions and ``set`` events write it).
    part : str or None
        ``grid`` or ``prior`` for a type prior's values or weights; None for the value.
    scale : str
        As :class:`GroupSpec`, for this field (a cost in an ``odds`` group: ``log``).
    low, high
        As :class:`GroupSpec`.
    base : object
        The value in the scenario as it is (for the record).
    """

    group: str
    path: str
    part: str | None
    scale: str
    low: float | str
    high: float | str
    base: Any

    @property
    def name(self) -> str:
        """The field's name in the design: ``path`` or ``path:part``."""
        return f"{self.path}:{self.part}" if self.part else self.path

    def canonical(self) -> dict[str, Any]:
        """The field as JSON-able data."""
        return {
            "group": self.group,
            "path": self.path,
            "part": self.part,
            "scale": self.scale,
            "low": self.low,
            "high": self.high,
            "base": self.base,
        }


def factor(low: float, high: float, u: float) -> float:
    """The factor at unit value ``u``: ``low·(high/low)^u`` (log-uniform from low to high)."""
    return float(low) * (float(high) / float(low)) ** float(u)


def _round(x: float) -> float:
    return float(f"{x:.12g}")


def _odds(p: float, f: float) -> float:
    # odds × f; 0 and 1 stay where they are
    if p <= 0.0 or p >= 1.0:
        return float(p)
    return p * f / (1.0 - p + p * f)


#: The keys of a type prior whose numbers are the types' values (``:grid`` moves them).
_TYPE_VALUES = ("grid", "uniform")


def transform(fld: Field, value: Any, u: float) -> Any:
    """The value of ``fld`` at unit value ``u``, from its value ``value`` in a condition.

    Numbers inside a type prior (``grid`` values, ``uniform`` bounds, or a point value: one
    type) are moved one by one; ``prior`` weights are tempered (a prior without weights, such
    as a condition's point value, stays); results are rounded to 12 significant digits and
    clipped to the field's range.
    """
    if fld.scale == "switch":
        return fld.low if u < 0.5 else fld.high
    f = factor(float(fld.low), float(fld.high), u)
    last = fld.path.rsplit(".", 1)[-1]
    upper = _UPPER.get(last, 1.0 if fld.scale == "odds" else math.inf)

    def one(x: float) -> float:
        if fld.scale == "log":
            y = x * f
        elif fld.scale == "odds":
            y = _odds(x, f)
        elif fld.scale == "shadow":
            y = 1.0 - (1.0 - x) / f
        else:  # pragma: no cover - checked when the group is read
            raise ValueError(fld.scale)
        return _round(min(max(y, 0.0), upper))

    if fld.part == "prior":
        if not isinstance(value, dict) or value.get("prior") is None:
            return value  # no weights to temper
        out = copy.deepcopy(value)
        w = np.asarray(out["prior"], dtype=float) ** f
        w = w / w.sum()
        rounded = [_round(x) for x in w[:-1]]
        out["prior"] = [*rounded, _round(1.0 - sum(rounded))]
        return out
    if not isinstance(value, dict):  # the value, or a type prior's point value (one type)
        return one(float(value))
    out = copy.deepcopy(value)
    for key in _TYPE_VALUES:
        if out.get(key) is not None:
            out[key] = [one(x) for x in out[key]]
    return out


def _why_not(value: Any, part: str) -> str | None:
    """Why a type prior's ``part`` cannot be moved (None when it can).

    ``grid``: the types' values are a point value, a grid or a uniform prior's ends; ``prior``:
    the weights of a grid of two or more types.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, dict)):
        return "not a type prior"
    if part == "grid":
        if isinstance(value, dict) and all(value.get(k) is None for k in _TYPE_VALUES):
            return "no types' values"
        return None
    if not isinstance(value, dict):
        return "a point value has no weights to temper"
    if value.get("prior") is None:
        if value.get("uniform") is not None:
            return "a uniform prior has no weights to temper"
        return "a grid's default equal weights stay equal"
    if len(value["prior"]) < 2:
        return "one type has no weights to temper"
    return None


def _inert(fld: Field, value: Any) -> bool:
    """Whether the transform cannot change this value (then the field is left out)."""
    if fld.scale == "switch":
        return False
    lo = transform(fld, value, 0.0)
    hi = transform(fld, value, 1.0)
    return bool(lo == value and hi == value)


def _items(node: Any) -> list[tuple[str, Any]]:
    if isinstance(node, dict):
        return list(node.items())
    if isinstance(node, list):
        out = []
        for k, item in enumerate(node):
            key = next(
                (str(item[k2]) for k2 in ("id", "name") if isinstance(item, dict) and k2 in item),
                str(k),
            )
            out.append((key, item))
        return out
    return []


def _child(node: Any, seg: str) -> Any:
    for key, item in _items(node):
        if key == seg:
            return item
    return None


def lookup(data: dict[str, Any], path: str) -> Any:
    """The value at a concrete field path in a scenario's data (None when absent)."""
    node: Any = data
    for seg in path.split("."):
        node = _child(node, seg)
        if node is None:
            return None
    return node


def _expand(data: dict[str, Any], pattern: str, powers: Sequence[str]) -> list[str]:
    """The concrete paths a pattern names in ``data`` (in the data's order)."""
    found = [("", data)]
    for seg in pattern.split("."):
        nxt: list[tuple[str, Any]] = []
        for prefix, node in found:
            if seg == "*":
                choices = _items(node)
            elif seg == "{power}":
                choices = [(k, v) for k, v in _items(node) if k in powers]
            else:
                child = _child(node, seg)
                choices = [(seg, child)] if child is not None else []
            nxt.extend((f"{prefix}.{k}" if prefix else k, v) for k, v in choices)
        found = nxt
    return [p for p, v in found if v is not None]


def _data(spec: Scenario) -> dict[str, Any]:
    data = spec.model_dump(mode="json")
    stakes = data.get("stakes")
    if isinstance(stakes, dict) and stakes.get("discount") is None:
        # the default by time unit, written out so that it can be moved
        stakes["discount"] = DEFAULT_DISCOUNT[spec.run.time_unit]
    return data


@dataclass(frozen=True)
class Expansion:
    """The groups expanded against a scenario.

    Attributes
    ----------
    fields : tuple of Field
        Every field varied, group by group.
    groups : tuple of str
        The groups kept (in order), each with at least one field.
    dropped : dict
        Groups left out, with the reason (no field of theirs in this scenario, or none that
        the transform can change).
    """

    fields: tuple[Field, ...]
    groups: tuple[str, ...]
    dropped: dict[str, str]


def expand_groups(spec: Scenario, groups: Sequence[GroupSpec] = DEFAULT_GROUPS) -> Expansion:
    """Expand group patterns into the fields the scenario has (and the transform can move).

    Raises
    ------
    UsageError
        Two groups with one name, a field in two groups, or more than :data:`MAX_GROUPS`
        groups left.
    """
    data = _data(spec)
    powers = [a.id for a in spec.actors if a.role == "power"]
    fields: list[Field] = []
    kept: list[str] = []
    dropped: dict[str, str] = {}
    seen: dict[str, str] = {}
    names = [g.name for g in groups]
    for g in groups:
        if names.count(g.name) > 1:
            raise _problem(f"group '{g.name}' is given twice", ("--group", g.name))
        found = 0
        unmoved: dict[str, list[str]] = {}  # why a type prior's part cannot be moved: paths
        for pattern in g.paths:
            path_pattern, _, part = pattern.partition(":")
            for path in _expand(data, path_pattern, powers):
                value = lookup(data, path)
                if part:
                    why = _why_not(value, part)
                    if why is not None:
                        unmoved.setdefault(why, []).append(path)
                        continue
                    # resolve and war_cost describe the same types: move resolve's only
                    if (
                        part == "grid"
                        and path.endswith("war_cost")
                        and lookup(data, path[: -len("war_cost")] + "resolve") is not None
                    ):
                        continue
                elif isinstance(value, (dict, list)) or (
                    g.scale != "switch" and isinstance(value, (bool, str))
                ):
                    continue
                scale = _field_scale(g.scale, path)
                fld = Field(g.name, path, part or None, scale, g.low, g.high, value)
                if _inert(fld, value):
                    continue
                if fld.name in seen:
                    raise _problem(
                        f"field {fld.name} is in groups '{seen[fld.name]}' and '{g.name}'",
                        ("--group", g.name),
                    )
                seen[fld.name] = g.name
                fields.append(fld)
                found += 1
        if found:
            kept.append(g.name)
        else:
            why = "no field of this group in the scenario can be moved by it"
            notes = "; ".join(f"{k} ({', '.join(v)})" for k, v in unmoved.items())
            dropped[g.name] = f"{why}: {notes}" if notes else why
    if not kept:
        raise _problem("no group has a field in this scenario", ("--group",))
    if len(kept) > MAX_GROUPS:
        raise _problem(f"{len(kept)} groups; at most {MAX_GROUPS} (merge some)", ("--group",))
    return Expansion(tuple(fields), tuple(kept), dropped)


_GROUP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.+)")


def parse_group(text: str) -> GroupSpec:
    """Parse ``NAME=PATH[,PATH...]:LOW:HIGH[:SCALE]`` (``--group``).

    SCALE is one of :data:`SCALES` (default: ``odds`` when every path names a probability
    field such as ``noise``, else ``log``). For ``switch``, LOW and HIGH are the two options.
    A path may end in ``:grid`` or ``:prior`` only through the default groups (write such a
    path as ``actors.{power}.resolve`` with scale ``temper`` to move a prior's weights).

    Raises
    ------
    UsageError
        At ``--group.NAME``, saying what is wrong.
    """
    match = _GROUP.fullmatch(text.strip())
    if not match:
        raise _problem(
            f"'{text}': expected NAME=PATH[,PATH...]:LOW:HIGH[:SCALE], e.g. "
            "noise=channels.*.noise,channels.*.misread:0.5:2:odds",
            ("--group",),
        )
    name, rest = match[1], match[2]
    bits = rest.split(":")
    scale = "auto"
    if len(bits) == 4:
        scale = bits.pop()
    if len(bits) != 3:
        raise _problem(f"'{rest}': expected PATH[,PATH...]:LOW:HIGH[:SCALE]", ("--group", name))
    paths_text, low_text, high_text = bits
    paths = tuple(p.strip() for p in paths_text.split(",") if p.strip())
    if not paths:
        raise _problem("no path given", ("--group", name))
    if scale not in (*SCALES, "auto"):
        raise _problem(
            f"unknown scale '{scale}'; expected one of: {', '.join(SCALES)}", ("--group", name)
        )
    if scale == "temper":
        paths = tuple(p if ":" in p else f"{p}:prior" for p in paths)
    if scale == "switch":
        return GroupSpec(name, paths, low_text.strip(), high_text.strip(), "switch")
    try:
        low, high = float(low_text), float(high_text)
    except ValueError:
        raise _problem(
            f"'{low_text}:{high_text}': LOW and HIGH must be numbers (factors)",
            ("--group", name),
        ) from None
    if not (math.isfinite(low) and math.isfinite(high) and 0.0 < low < high):
        raise _problem(
            f"factors {low_text}:{high_text}: need 0 < LOW < HIGH, finite", ("--group", name)
        )
    if scale == "auto":
        last = {p.split(":")[0].rsplit(".", 1)[-1] for p in paths}
        scale = "odds" if last <= _ODDS_FIELDS else "log"
    return GroupSpec(name, paths, low, high, scale, "given with --group")


# -- the design ---------------------------------------------------------------------------------
def _default_conditions(spec: Scenario) -> tuple[str, str]:
    """(open, closed): the conditions with the most and the fewest channels open at round 1."""
    names = list(spec.conditions or {})
    if len(names) < 2:
        raise _problem(
            f"scenario {spec.id} has {len(names)} condition(s); the channel effect needs two "
            "(give them with --open NAME --closed NAME)",
            ("--closed",),
        )
    counts = {n: sum(ch.open for ch in _condition_scenario(spec, n).channels) for n in names}
    open_ = max(names, key=lambda n: counts[n])  # the first of the most open
    closed = min(reversed(names), key=lambda n: counts[n])  # the last of the least open
    if counts[open_] == counts[closed]:
        raise _problem(
            f"the conditions of {spec.id} open as many channels each ({counts[open_]}): "
            "say which is which with --open NAME --closed NAME",
            ("--closed",),
        )
    return open_, closed


@dataclass(frozen=True)
class Design:
    """A sensitivity analysis: the groups' fields, the design, and what runs at each point.

    Build it with :func:`define`. Job points: 0 and 1 are the baseline (the scenario as it
    is) under the open and the closed condition; design point i is job points 2i + 2 (open)
    and 2i + 3 (closed).
    """

    scenario: Scenario
    expansion: Expansion
    open: str
    closed: str
    sampler: str = "morris"
    trajectories: int = 10
    levels: int = 4
    replications: int = 300
    seed: int = 1
    unit: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), compare=False, repr=False)

    @property
    def fields(self) -> tuple[Field, ...]:
        """The varied fields."""
        return self.expansion.fields

    @property
    def n_points(self) -> int:
        """Design points (the baseline not counted)."""
        return int(self.unit.shape[0])

    @property
    def runs(self) -> int:
        """Runs in all: (points + baseline) × 2 conditions × replications."""
        return (self.n_points + 1) * 2 * self.replications

    def problem(self) -> dict[str, Any]:
        """SALib's problem: one variable per field on [0, 1], grouped by group."""
        return {
            "num_vars": len(self.fields),
            "names": [f.name for f in self.fields],
            "bounds": [[0.0, 1.0]] * len(self.fields),
            "groups": [f.group for f in self.fields],
        }

    def settings(self, row: np.ndarray | None, condition: str) -> dict[str, Any]:
        """The field settings of a design row (None: the baseline, no settings) in a condition.

        Each value is moved from the field's value *in that condition*, so a condition that
        sets a field keeps its own meaning.
        """
        if row is None:
            return {}
        data = _condition_data(self.scenario, condition)
        out: dict[str, Any] = {}
        for fld, u in zip(self.fields, row, strict=True):
            current = out.get(fld.path, lookup(data, fld.path))
            if current is None:
                continue  # the condition removed it
            out[fld.path] = transform(fld, current, float(u))
        return out

    def points(self) -> list[Point]:
        """The job's points: the baseline, then each design row, open then closed."""
        rows: list[np.ndarray | None] = [None, *list(self.unit)]
        return [
            Point(condition=c, settings=self.settings(row, c))
            for row in rows
            for c in (self.open, self.closed)
        ]

    def canonical(self) -> dict[str, Any]:
        """Everything that determines the results, as JSON-able data (hashed for resume)."""
        return {
            "scenario_id": self.scenario.id,
            "scenario_sha256": scenario_hash(self.scenario),
            "open": self.open,
            "closed": self.closed,
            "fields": [f.canonical() for f in self.fields],
            "groups": list(self.expansion.groups),
            "dropped": self.expansion.dropped,
            "sampler": self.sampler,
            "trajectories": self.trajectories,
            "levels": self.levels,
            "replications": self.replications,
            "seed": self.seed,
            "unit": [[float(x) for x in row] for row in self.unit],
        }

    def digest(self) -> str:
        """sha256 of :meth:`canonical`."""
        return request_hash(self.canonical())

    def job(self) -> Job:
        """The job of the analysis' tasks (batch engine, no twins, common random numbers)."""
        from escalsim.core.streams import BlockLayout

        return Job(
            self.scenario,
            tuple(self.points()),
            self.seed,
            twin=False,
            keep=0,
            engine="batch",
            labels="condition",
            key=self.digest(),
            layout=BlockLayout.of(self.scenario),
        )


#: Caches by (id of the scenario, condition); each entry keeps its scenario, so that an id
#: reused by a later scenario is not mistaken for it.
_CONDITION_DATA: dict[tuple[int, str], tuple[Scenario, dict[str, Any]]] = {}


def _condition_data(spec: Scenario, condition: str) -> dict[str, Any]:
    key = (id(spec), condition)
    cached = _CONDITION_DATA.get(key)
    if cached is None or cached[0] is not spec:
        if len(_CONDITION_DATA) > 8:
            _CONDITION_DATA.clear()
        cached = (spec, _data(_condition_scenario(spec, condition)))
        _CONDITION_DATA[key] = cached
    return cached[1]


def unit_design(
    problem: dict[str, Any], sampler: str, trajectories: int, levels: int, seed: int
) -> np.ndarray:
    """SALib's design on the unit cube: Morris trajectories or Saltelli's, with groups."""
    if sampler == "morris":
        from SALib.sample import morris

        return np.asarray(morris.sample(problem, trajectories, num_levels=levels, seed=seed))
    from SALib.sample import sobol

    m = round(math.log2(trajectories))
    if 2**m != trajectories:
        raise _problem(
            f"the sobol sampler needs a power of two base samples (got {trajectories}; "
            f"nearest: {2 ** max(m, 0)})",
            ("--samples",),
        )
    return np.asarray(sobol.sample(problem, trajectories, calc_second_order=False, seed=seed))


def define(
    scenario: Scenario,
    *,
    groups: Sequence[GroupSpec] | None = None,
    open_condition: str | None = None,
    closed_condition: str | None = None,
    sampler: str = "morris",
    trajectories: int | None = None,
    levels: int = 4,
    replications: int = 300,
    seed: int | None = None,
) -> Design:
    """The sensitivity analysis of the channel effect for these options.

    Parameters
    ----------
    scenario : Scenario
        The scenario (with at least two conditions).
    groups : sequence of GroupSpec, optional
        The groups (default :data:`DEFAULT_GROUPS`).
    open_condition, closed_condition : str, optional
        The conditions compared (closed − open); default: the conditions with the most and
        the fewest channels open at round 1.
    sampler : {"morris", "sobol"}
        Morris screening, or Saltelli's design for Sobol' indices.
    trajectories : int, optional
        Morris trajectories (default 10), or Sobol' base samples N (a power of two; default 64).
    levels : int
        Morris grid levels (even; default 4).
    replications : int
        Replications per point and condition (the same indices everywhere).
    seed : int, optional
        Root seed of the replications and of the design (default: the scenario's run.seed).

    Raises
    ------
    UsageError
        Unknown conditions, bad options, bad groups (positioned at the option), or settings
        the scenario refuses (at ``--group.NAME``).
    LLMError
        A scenario with language-model actors (they run with ``escalsim run``).
    """
    from escalsim.llm.run import refuse_llm

    refuse_llm(scenario, "a sensitivity analysis (escalsim sensitivity)")
    if sampler not in SAMPLERS:
        raise _problem(
            f"unknown sampler '{sampler}'; expected one of: {', '.join(SAMPLERS)}",
            ("--sampler",),
        )
    if replications < 2:
        raise _problem("at least 2 replications per point are needed", ("--replications",))
    if levels < 2 or levels % 2:
        raise _problem(f"--levels must be even and at least 2 (got {levels})", ("--levels",))
    names = list(scenario.conditions or {})
    for option, given in (("--open", open_condition), ("--closed", closed_condition)):
        if given is not None and given not in names:
            raise _problem(
                f"scenario {scenario.id} has no condition '{given}'; it has: "
                + (", ".join(names) or "none"),
                (option,),
            )
    if open_condition is None or closed_condition is None:
        guessed_open, guessed_closed = _default_conditions(scenario)
        open_condition = open_condition or guessed_open
        closed_condition = closed_condition or guessed_closed
    if open_condition == closed_condition:
        raise _problem(f"--open and --closed are both '{open_condition}'", ("--closed",))
    expansion = expand_groups(scenario, DEFAULT_GROUPS if groups is None else groups)
    if trajectories is None:
        trajectories = 10 if sampler == "morris" else 64
    if trajectories < 2:
        raise _problem("at least 2 trajectories (or base samples) are needed", ("--trajectories",))
    root = scenario.run.seed if seed is None else int(seed)
    draft = Design(
        scenario,
        expansion,
        open_condition,
        closed_condition,
        sampler,
        trajectories,
        levels,
        replications,
        root,
    )
    unit = unit_design(draft.problem(), sampler, trajectories, levels, _design_seed(root))
    design = replace(draft, unit=unit)
    _check_extremes(design)
    return design


def _design_seed(root: int) -> int:
    # SALib's seeds go to numpy's legacy RandomState (< 2**32)
    return int(root % (2**32 - 1))


def _check_extremes(design: Design) -> None:
    """Build the scenario at every group's two ends (others at the base): refuse bad ranges."""
    from escalsim.errors import ScenarioError
    from escalsim.scenario import with_settings

    for group in design.expansion.groups:
        for u in (0.0, 1.0):
            row = np.array([u if f.group == group else math.nan for f in design.fields])
            for condition in (design.open, design.closed):
                settings = {
                    k: v
                    for k, v in design.settings(np.nan_to_num(row, nan=0.0), condition).items()
                    if any(f.path == k and f.group == group for f in design.fields)
                }
                try:
                    with_settings(
                        _condition_scenario(design.scenario, condition), settings, source="x"
                    )
                except ScenarioError as exc:
                    raise UsageError(
                        [
                            Problem(0, 0, ("--group", group, *p.loc), p.message, "sensitivity")
                            for p in exc.problems
                        ]
                    ) from None


_CONDITION_SCENARIO: dict[tuple[int, str], tuple[Scenario, Scenario]] = {}


def _condition_scenario(spec: Scenario, condition: str) -> Scenario:
    """The scenario under a condition, its conditions dropped (cached: ~0.1 s to build)."""
    from escalsim.scenario.transforms import under_condition

    key = (id(spec), condition)
    cached = _CONDITION_SCENARIO.get(key)
    if cached is None or cached[0] is not spec:
        if len(_CONDITION_SCENARIO) > 8:
            _CONDITION_SCENARIO.clear()
        cached = (spec, under_condition(spec, condition))
        _CONDITION_SCENARIO[key] = cached
    return cached[1]


# -- running ------------------------------------------------------------------------------------
def default_folder(design: Design) -> Path:
    """``results/<scenario>/sensitivity-<time>-s<seed>``."""
    from escalsim.experiment.folders import default_folder as folder

    return folder(design.scenario.id, design.seed, "sensitivity")


@dataclass
class Report:
    """What :func:`run` did."""

    out: Path
    points: int
    runs: int
    tasks: int
    ran: int
    executor: str
    seconds: float


def run(
    design: Design,
    out: str | os.PathLike[str] | None = None,
    *,
    chunk: int = DEFAULT_CHUNK,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool = False,
    on_part: Callable[[Task], None] | None = None,
) -> Report:
    """Run every point of the design, both conditions, into ``out`` (resumable).

    The folder rules are a sweep's (:func:`escalsim.experiment.folders.prepare_sweep_folder`);
    the parts are the sweep store's; the result set is identical whatever ``workers``,
    ``scheduler`` or ``chunk``.
    """
    from escalsim.experiment.folders import prepare_sweep_folder
    from escalsim.experiment.store import locked
    from escalsim.experiment.sweep import run_parts

    started = time.perf_counter()
    folder = default_folder(design) if out is None else Path(out)
    prepare_sweep_folder(folder, resume=resume)
    with locked(folder):
        done = run_parts(
            folder,
            design.job(),
            kind=KIND,
            hint="escalsim sensitivity ... --resume",
            canonical=design.canonical(),
            replications=design.replications,
            seed=design.seed,
            chunk=chunk,
            resume=resume,
            workers=workers,
            scheduler=scheduler,
            progress=progress,
            label="sensitivity",
            on_part=on_part,
        )
    return Report(
        folder,
        design.n_points,
        design.runs,
        done.tasks,
        done.ran,
        done.executor,
        time.perf_counter() - started,
    )


def load_runs(out: str | os.PathLike[str]) -> tuple[dict[str, Any], pd.DataFrame]:
    """The manifest and every run of a sensitivity folder, sorted by point and replication.

    The ``point`` column is the job's point (0, 1: the baseline; 2i + 2, 2i + 3: design point i).

    Raises
    ------
    StoreError
        No sensitivity folder, or a damaged part (naming the file).
    """
    from escalsim.experiment.store import read_manifest, read_part

    folder = Path(out)
    manifest = read_manifest(folder, KIND)
    if manifest is None:
        raise _problem(f"{folder} is not a sensitivity folder (no manifest.json)", ("--out",))
    frames = []
    for path in sorted((folder / "runs").glob("point-*.parquet")):
        task = Task.parse(path.name)
        if task is None:
            continue
        part = read_part(path, "escalsim sensitivity ... --resume")
        frames.append(part.assign(point=task.point))
    if not frames:
        return manifest, pd.DataFrame()
    runs = pd.concat(frames, ignore_index=True)
    runs = runs.sort_values(["point", "replication"], kind="stable", ignore_index=True)
    return manifest, runs


# -- analysing ----------------------------------------------------------------------------------
def effect_metrics(runs: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(name, column, kind) of the effect metrics these runs allow.

    ``p_war_direct`` reads ``war_direct``, or ``war`` where runs have no ``war_direct`` (a
    version-2 scenario, whose first war between the powers ends the run, so that every war is
    direct); ``p_war_any`` needs ``war_any`` (a scenario where wars last).
    """
    out = [("p_war_direct", "war_direct" if "war_direct" in runs else "war", "proportion")]
    if "war_any" in runs:
        out.append(("p_war_any", "war_any", "proportion"))
    out.append(("miscalculation_rate", "miscalculation_rate", "mean"))
    return out


def point_effects(manifest: dict[str, Any], runs: pd.DataFrame) -> pd.DataFrame:
    """Per design point (and the baseline, point −1) and metric: the paired effect closed − open.

    Columns: ``point, metric, kind, estimate, lo, hi, n_pairs, excludes_zero, open, closed``
    and the unit value of every field; ``open`` and ``closed`` are the two conditions' means.
    """
    from escalsim.experiment.stats import paired_difference

    request = manifest["request"]
    unit = np.asarray(request["unit"], dtype=float).reshape(-1, len(request["fields"]))
    names = [f"{f['path']}:{f['part']}" if f.get("part") else f["path"] for f in request["fields"]]
    metrics = effect_metrics(runs)
    rows = []
    by_point = {int(str(k)): v for k, v in runs.groupby("point", sort=True)}
    for design_point in range(-1, unit.shape[0]):
        o, c = 2 * design_point + 2, 2 * design_point + 3
        if o not in by_point or c not in by_point:
            continue
        a = by_point[o].set_index("replication")
        b = by_point[c].set_index("replication")
        reps = a.index.intersection(b.index)
        a, b = a.loc[reps], b.loc[reps]
        for name, column, kind in metrics:
            x = pd.to_numeric(b[column].astype(float), errors="coerce").to_numpy(dtype=float)
            y = pd.to_numeric(a[column].astype(float), errors="coerce").to_numpy(dtype=float)
            keep = ~(np.isnan(x) | np.isnan(y))
            x, y = x[keep], y[keep]
            est, lo, hi = paired_difference(x, y, kind)  # type: ignore[arg-type]
            row: dict[str, Any] = {
                "point": design_point,
                "metric": name,
                "kind": kind,
                "estimate": float(est),
                "lo": float(lo),
                "hi": float(hi),
                "n_pairs": int(x.size),
                "excludes_zero": bool(lo > 0.0 or hi < 0.0),
                "open": float(y.mean()) if y.size else math.nan,
                "closed": float(x.mean()) if x.size else math.nan,
            }
            values = unit[design_point] if design_point >= 0 else [math.nan] * len(names)
            row.update(dict(zip(names, (float(v) for v in values), strict=True)))
            rows.append(row)
    return pd.DataFrame(rows)


def sign_share(effects: pd.DataFrame) -> pd.DataFrame:
    """Per metric: how often the effect keeps the baseline's sign, among resolved points.

    Only design points whose paired CI excludes 0 are counted. Columns ``metric, baseline,
    baseline_lo, baseline_hi, baseline_resolved, counted, points, positive, negative,
    same_sign, share`` (share =
    same_sign / counted, NaN when no point is counted; with an unresolved baseline effect, the
    sign of its estimate is used, and ``baseline_resolved`` says so; ``positive`` and
    ``negative`` count the counted points by sign).
    """
    rows = []
    for metric, sub in effects.groupby("metric", sort=False):
        base = sub[sub["point"] == -1]
        design = sub[sub["point"] >= 0]
        counted = design[design["excludes_zero"]]
        if base.empty:
            continue
        b = base.iloc[0]
        sign = np.sign(b["estimate"])
        same = int((np.sign(counted["estimate"]) == sign).sum()) if sign != 0 else 0
        rows.append(
            {
                "metric": metric,
                "baseline": float(b["estimate"]),
                "baseline_lo": float(b["lo"]),
                "baseline_hi": float(b["hi"]),
                "baseline_resolved": bool(b["excludes_zero"]),
                "counted": len(counted),
                "points": len(design),
                "positive": int((counted["estimate"] > 0).sum()),
                "negative": int((counted["estimate"] < 0).sum()),
                "same_sign": same,
                "share": same / len(counted) if len(counted) and sign != 0 else math.nan,
            }
        )
    return pd.DataFrame(rows)


def noise_floor(effects: pd.DataFrame, levels: int = 4) -> dict[str, float]:
    """Per metric: the μ* a group would get from Monte Carlo noise alone (a rough reference).

    A group that the model reads but that does not change the effect still moves the
    replications' random paths, so its elementary effects are differences of two noisy
    estimates: with s the typical standard error of a point's effect (its median 95% CI
    half-width / 1.96), E|N(0, 2s²)| / Δ = 2s / (√π Δ), with Δ = levels / (2 (levels − 1)) the
    Morris step. A group whose μ* is not clearly above this is not distinguishable from noise
    at these replications. (A group the model never reads has μ* = 0 exactly, by the common
    random numbers.)
    """
    delta = levels / (2.0 * (levels - 1))
    out = {}
    for metric, sub in effects.groupby("metric", sort=False):
        design = sub[sub["point"] >= 0]
        half = float(np.nanmedian((design["hi"] - design["lo"]) / 2.0)) if len(design) else 0.0
        out[str(metric)] = 2.0 * (half / 1.96) / (math.sqrt(math.pi) * delta)
    return out


def indices(
    manifest: dict[str, Any], effects: pd.DataFrame, confidence: float = 0.95
) -> pd.DataFrame:
    """Per metric and group: Morris μ*, μ, σ (or Sobol' S1, ST), with SALib's bootstrap CIs.

    μ* is in the metric's units per the whole documented range of the group (the design's
    unit cube). CIs: ``estimate ∓ conf`` (SALib's bootstrap, :data:`RESAMPLES` resamples,
    seeded by the root seed); μ and σ have none.

    Returns
    -------
    pandas.DataFrame
        Columns ``metric, group, index, estimate, lo, hi``.
    """
    request = manifest["request"]
    fields = request["fields"]
    problem: dict[str, Any] = {
        "num_vars": len(fields),
        "names": [f"{f['path']}:{f['part']}" if f.get("part") else f["path"] for f in fields],
        "bounds": [[0.0, 1.0]] * len(fields),
        "groups": [f["group"] for f in fields],
    }
    unit = np.asarray(request["unit"], dtype=float).reshape(-1, len(fields))
    seed = _design_seed(int(request["seed"]))
    rows = []
    for metric, sub in effects.groupby("metric", sort=False):
        design = sub[sub["point"] >= 0].set_index("point").reindex(range(unit.shape[0]))
        y = design["estimate"].to_numpy(dtype=float)
        if np.isnan(y).any():
            raise _problem("some points have no finished parts yet: --resume the analysis first")
        if request["sampler"] == "morris":
            from SALib.analyze import morris

            res = morris.analyze(
                problem,
                unit,
                y,
                num_resamples=RESAMPLES,
                conf_level=confidence,
                num_levels=int(request["levels"]),
                seed=seed,
            )
            for k, group in enumerate(res["names"]):
                est, conf = float(res["mu_star"][k]), float(res["mu_star_conf"][k])
                rows.append((metric, group, "mu_star", est, est - conf, est + conf))
                rows.append((metric, group, "mu", float(res["mu"][k]), math.nan, math.nan))
                rows.append((metric, group, "sigma", float(res["sigma"][k]), math.nan, math.nan))
        elif np.ptp(y) == 0.0:
            # no variance to share out (e.g. no war at any point): every index is 0
            for index in ("S1", "ST"):
                for group in dict.fromkeys(problem["groups"]):
                    rows.append((metric, group, index, 0.0, 0.0, 0.0))
        else:
            from SALib.analyze import sobol

            res = sobol.analyze(
                problem,
                y,
                calc_second_order=False,
                num_resamples=RESAMPLES,
                conf_level=confidence,
                seed=seed,
            )
            groups = list(dict.fromkeys(problem["groups"]))
            for index in ("S1", "ST"):
                for k, group in enumerate(groups):
                    est, conf = float(res[index][k]), float(res[f"{index}_conf"][k])
                    rows.append((metric, group, index, est, est - conf, est + conf))
    return pd.DataFrame(rows, columns=["metric", "group", "index", "estimate", "lo", "hi"])


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
    frame.to_csv(tmp, index=False, float_format="%.10g")
    os.replace(tmp, path)


def analyze_folder(
    out: str | os.PathLike[str], command: str | None = None, seconds: float | None = None
) -> dict[str, Any]:
    """Write ``points.csv``, ``sensitivity.csv``, ``summary.json`` and ``sensitivity.png``.

    Returns
    -------
    dict
        The summary (also in ``summary.json``).
    """
    from escalsim.experiment.provenance import versions
    from escalsim.experiment.results import write_json_atomic

    folder = Path(out)
    manifest, runs = load_runs(folder)
    if runs.empty:
        raise _problem(f"{folder} has no finished parts yet", ("--out",))
    effects = point_effects(manifest, runs)
    table = indices(manifest, effects)
    share = sign_share(effects)
    _write_csv(effects, folder / "points.csv")
    _write_csv(table, folder / "sensitivity.csv")
    request = manifest["request"]
    figure = folder / "sensitivity.png"
    from escalsim.viz.figures import save_figure, sensitivity_figure

    save_figure(sensitivity_figure(table, effects, request), figure)
    notes = []
    if "war_any" not in runs:
        notes.append(
            "p_war_any omitted: this scenario's runs have no war_any (no listed pairs; every "
            "war is between the powers, so it would equal p_war_direct)"
        )
    if "war_direct" not in runs:
        notes.append("p_war_direct read from 'war' (the first war between the powers ends a run)")
    summary = {
        "scenario_id": request["scenario_id"],
        "scenario_sha256": request["scenario_sha256"],
        "open": request["open"],
        "closed": request["closed"],
        "effect": f"{request['closed']} - {request['open']}",
        "sampler": request["sampler"],
        "trajectories": request["trajectories"],
        "levels": request["levels"],
        "points": int(np.asarray(request["unit"]).shape[0]),
        "replications": request["replications"],
        "runs": len(runs),
        "seed": request["seed"],
        "groups": {
            g: [
                f["path"] + (f":{f['part']}" if f.get("part") else "")
                for f in request["fields"]
                if f["group"] == g
            ]
            for g in request["groups"]
        },
        "dropped_groups": request["dropped"],
        "sign": share.to_dict(orient="records"),
        "indices": table.to_dict(orient="records"),
        "noise_floor": noise_floor(effects, int(request["levels"]))
        if request["sampler"] == "morris"
        else None,
        "notes": notes,
        "command": command,
        "seconds": seconds,
        "versions": versions(),
        "request_sha256": manifest.get("request_sha256"),
    }
    safe = _json_safe(summary)
    write_json_atomic(folder / "summary.json", safe, indent=2, sort_keys=True)
    return safe


def _json_safe(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_json_safe(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, np.generic):
        return _json_safe(x.item())
    return x


# -- estimates ----------------------------------------------------------------------------------
def seconds_per_run(design: Design, probe: int = 100) -> float:
    """Measured seconds per run of the baseline (both conditions, ``probe`` replications each).

    Used by ``--dry-run``; one core.
    """
    from escalsim.batch import run_batch

    total = 0.0
    for c in (design.open, design.closed):
        spec = _condition_scenario(design.scenario, c)
        run_batch(spec, seed=design.seed, replications=range(2), twin=False)  # warm up
        t = time.perf_counter()
        run_batch(spec, seed=design.seed, replications=range(probe), twin=False)
        total += time.perf_counter() - t
    return total / (2 * probe)


def describe(design: Design) -> str:
    """What the analysis is: groups, fields, points and runs (the dry run's text)."""
    lines = [
        f"sensitivity of {design.scenario.id}: {design.closed} − {design.open}",
        f"{len(design.expansion.groups)} groups, {len(design.fields)} fields "
        f"({design.sampler}, {design.trajectories} "
        f"{'trajectories' if design.sampler == 'morris' else 'base samples'})",
    ]
    for g in design.expansion.groups:
        fields = [f for f in design.fields if f.group == g]
        f0 = fields[0]
        rng = f"{f0.low}|{f0.high}" if f0.scale == "switch" else f"×{f0.low}..×{f0.high}"
        scales = "/".join(dict.fromkeys(f.scale for f in fields))  # odds/log: resolves, costs
        lines.append(f"  {g:<16} {scales:<6} {rng:<12} {len(fields)} field(s)")
    for g, why in design.expansion.dropped.items():
        lines.append(f"  {g:<16} dropped: {why}")
    lines.append(
        f"{design.n_points} points + the baseline, × 2 conditions × {design.replications} "
        f"replications = {design.runs:,} runs"
    )
    return "\n".join(lines)


__all__ = [
    "DEFAULT_GROUPS",
    "EFFECT_METRICS",
    "KIND",
    "MAX_GROUPS",
    "SAMPLERS",
    "SCALES",
    "Design",
    "Expansion",
    "Field",
    "GroupSpec",
    "Report",
    "analyze_folder",
    "default_folder",
    "define",
    "describe",
    "effect_metrics",
    "expand_groups",
    "factor",
    "indices",
    "load_runs",
    "lookup",
    "noise_floor",
    "parse_group",
    "point_effects",
    "run",
    "seconds_per_run",
    "sign_share",
    "transform",
    "unit_design",
]
