"""Field paths into a scenario: ``channels.hotline.noise``, ``actors.RUS.resolve``.

One resolver serves condition overlays, ``set`` events and (later) sweep variables, so that all
three accept exactly the same paths and give the same errors. A path is dotted; a segment that
meets a list selects the item whose ``id`` (for rungs: ``name``) equals it, or an item by
0-based index; an item that is a pair of actors (``war.pairs``, ``war.at_start``: a ``pair`` of two
ids) is selected by the two ids joined by '-', in either order (``war.pairs.RUS-UKR.support``). A
path is valid when it names a field of the schema -- it need not be written in
the file (a default can be overridden).
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from escalsim.policies.registry import default_policy
from escalsim.scenario.errors import Loc, did_you_mean
from escalsim.scenario.schema import REMOVED, Actor, Scenario

_ITEM_KEYS = ("id", "name")


class PathError(ValueError):
    """A field path does not name a field of the scenario."""


@dataclass(frozen=True)
class Target:
    """Where a path points in the raw scenario data.

    Attributes
    ----------
    container : dict or list
        The mapping or list that holds the value.
    key : str or int
        Its key (or list index) in ``container``.
    loc : tuple
        Field path in index form, e.g. ``('channels', 2, 'noise')``.
    annotation : object
        The schema type of the value.
    """

    container: dict[str, Any] | list[Any]
    key: str | int
    loc: Loc
    annotation: Any

    @property
    def integer(self) -> bool:
        """Whether the field holds whole numbers.

        From the schema type; from the value only where the type does not say (a union of
        kinds, such as the value of a ``set`` event). A float field that holds a whole number
        (``0`` after ``--vary noise=0,0.1``) still holds floats: reading the value there made
        the scenario's own ``sweep:`` block ("0:0.5:6") fail as "not whole".
        """
        kind = numeric_kind(self.annotation)
        if kind != "other":
            return kind == "int"
        if isinstance(self.container, dict):
            present = self.key in self.container
        else:
            present = 0 <= int(self.key) < len(self.container)
        if present:
            current = self.container[self.key]  # type: ignore[index]
            return isinstance(current, int) and not isinstance(current, bool)
        return False


def _unwrap(annotation: Any) -> Any:
    """Strip ``Annotated`` and ``Optional`` from a type."""
    while True:
        origin = get_origin(annotation)
        if origin is typing.Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) == 1:
                annotation = args[0]
            else:
                return annotation
        else:
            return annotation


def numeric_kind(annotation: Any) -> str:
    """``"float"``, ``"int"`` or ``"other"`` for a schema type (a union with float is float)."""
    ann = _unwrap(annotation)
    members = get_args(ann) if get_origin(ann) in (Union, types.UnionType) else (ann,)
    kinds = {_unwrap(m) for m in members}
    if float in kinds:
        return "float"
    if int in kinds and bool not in kinds:
        return "int"
    return "other"


def _union_member(annotation: Any, value: Any) -> Any:
    """For a union with models, the member model that a mapping ``value`` is validated as.

    A discriminated union of models (policies, events): the member matching the value's tag. A
    union of a number and one model (a type given as a point or a prior, ``resolve``): the model.
    """
    if get_origin(annotation) not in (Union, types.UnionType):
        return annotation
    members = [
        _unwrap(a)
        for a in get_args(annotation)
        if isinstance(_unwrap(a), type) and issubclass(_unwrap(a), BaseModel)
    ]
    if not members or not isinstance(value, dict):
        return annotation
    for tag in ("name", "kind"):
        if tag in members[0].model_fields:
            for m in members:
                literal = get_args(_unwrap(m.model_fields[tag].annotation))
                if value.get(tag) in literal:
                    return m
    if len(members) == 1:
        return members[0]
    return annotation


def resolve(data: dict[str, Any], path: str) -> Target:
    """Resolve a dotted field path against raw scenario data and the schema.

    Parameters
    ----------
    data : dict
        Raw scenario data (as read from YAML).
    path : str
        A dotted path such as ``channels.hotline.noise``.

    Returns
    -------
    Target
        The container and key to read or assign.

    Raises
    ------
    PathError
        When a segment names no field or no list item; the message says what was expected.
    """
    segments = path.split(".")
    if not path or any(s == "" for s in segments):
        raise PathError(f"'{path}' is not a field path; expected e.g. 'channels.hotline.noise'")
    annotation: Any = Scenario
    node: Any = data
    loc: list[str | int] = []
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        ann = _unwrap(annotation)
        where = ".".join(segments[:i]) or "the scenario"
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            fields = list(ann.model_fields)
            if seg not in ann.model_fields:
                if seg in REMOVED:
                    raise PathError(f"'{seg}' is not a field of {where}: {REMOVED[seg]}")
                raise PathError(
                    f"'{seg}' is not a field of {where}{did_you_mean(seg, fields)}; expected one "
                    f"of: {', '.join(fields)}"
                )
            info = ann.model_fields[seg]
            annotation = _unwrap(info.annotation)
            if not isinstance(node, dict):
                raise PathError(f"{where} is not a mapping in this scenario")
            if last:
                # Keep the field's constraints (ranges) with its type.
                return Target(node, seg, (*loc, seg), Annotated[info.annotation, info])
            loc.append(seg)
            if seg not in node or node[seg] is None:
                node[seg] = _default_stub(info, node, seg)
            node = node[seg]
            annotation = _union_member(annotation, node)
        elif get_origin(ann) is list:
            (item_ann,) = get_args(ann)
            if not isinstance(node, list):
                raise PathError(f"{where} is not a list in this scenario")
            index = _find_item(node, seg, where)
            if last:
                return Target(node, index, (*loc, index), item_ann)
            loc.append(index)
            node = node[index]
            annotation = _union_member(_unwrap(item_ann), node)
        elif get_origin(ann) is dict:
            _, value_ann = get_args(ann)
            if not isinstance(node, dict):
                raise PathError(f"{where} is not a mapping in this scenario")
            if last:
                return Target(node, seg, (*loc, seg), value_ann)
            if seg not in node:
                raise PathError(f"{where} has no entry '{seg}'{did_you_mean(seg, list(node))}")
            loc.append(seg)
            node = node[seg]
            annotation = _union_member(_unwrap(value_ann), node)
            if loc == ["doctrines", seg]:
                # A doctrine is a preset of actor fields: below it, paths are an actor's
                # (doctrines.disputant.war_cost.uniform), so a fit can tie both powers' values.
                annotation = Actor
        else:
            raise PathError(f"{where} is a single value; '{seg}' cannot go below it")
    raise PathError(f"'{path}' is not a field path")  # pragma: no cover - loop always returns


def _default_stub(info: Any, parent: dict[str, Any], seg: str) -> dict[str, Any]:
    """An absent sub-mapping, to descend into: the default's tag when the field is a union.

    An actor without ``policy`` has its role's default policy (``bargaining`` for a power,
    ``reciprocal`` for a third party; :data:`~escalsim.policies.registry.DEFAULT_POLICY`), so
    ``actors.X.policy.precision`` must resolve inside that policy's model; the stub
    ``{'name': 'bargaining'}`` says so.
    """
    if seg == "policy" and "role" in parent:
        return {"name": default_policy(parent["role"])}
    default = info.get_default(call_default_factory=True)
    if isinstance(default, BaseModel):
        for tag in ("name", "kind"):
            if tag in type(default).model_fields:
                return {tag: getattr(default, tag)}
    return {}


def _find_item(items: list[Any], seg: str, where: str) -> int:
    names: list[str] = []
    for idx, item in enumerate(items):
        if isinstance(item, dict):
            for key in _ITEM_KEYS:
                if isinstance(item.get(key), str):
                    names.append(item[key])
                    if item[key] == seg:
                        return idx
                    break
            else:
                pair = item.get("pair")
                if (
                    isinstance(pair, list)
                    and len(pair) == 2
                    and all(isinstance(p, str) for p in pair)
                ):
                    names.append(f"{pair[0]}-{pair[1]}")
                    if seg in (f"{pair[0]}-{pair[1]}", f"{pair[1]}-{pair[0]}"):
                        return idx
    if seg.isdigit() and int(seg) < len(items):
        return int(seg)
    hint = did_you_mean(seg, names)
    listed = ", ".join(names) if names else f"0 to {len(items) - 1}"
    raise PathError(f"{where} has no item '{seg}'{hint}; expected one of: {listed}")
