"""Scenario transforms used by experiments: a different horizon, a condition made concrete."""

from __future__ import annotations

import copy
import json

from escalsim.errors import UsageError
from escalsim.scenario.errors import Problem, ScenarioError
from escalsim.scenario.load import load_text, with_condition
from escalsim.scenario.schema import Scenario


def with_rounds(spec: Scenario, rounds: int) -> Scenario:
    """The scenario with a different horizon; events after the new horizon are dropped.

    Summits are cut at the horizon, and conditions no longer remove events that are gone.

    Raises
    ------
    ScenarioError
        When the shorter scenario is invalid (located at ``--rounds``).
    """
    raw = copy.deepcopy(spec._raw if spec._raw is not None else spec.model_dump(mode="json"))
    raw["run"]["rounds"] = rounds
    kept, dropped = [], set()
    for event in raw.get("events") or []:
        if event.get("round", 0) > rounds:
            if event.get("id"):
                dropped.add(f"events.{event['id']}")
            continue
        if event.get("kind") == "summit":
            event["duration"] = min(event.get("duration", 1), rounds - event["round"] + 1)
        kept.append(event)
    raw["events"] = kept
    for cond in (raw.get("conditions") or {}).values():
        if isinstance(cond, dict) and cond.get("remove"):
            cond["remove"] = [p for p in cond["remove"] if p not in dropped]
    try:
        return load_text(json.dumps(raw), "--rounds")
    except ScenarioError as exc:
        raise UsageError(
            [Problem(0, 0, p.loc, p.message, "--rounds") for p in exc.problems]
        ) from None


def under_condition(spec: Scenario, condition: str) -> Scenario:
    """The scenario with ``condition`` applied and its conditions block dropped.

    A scenario with a condition applied is a concrete scenario: its other conditions describe
    changes to the *base*, and a condition that removes an element (``remove:``) no longer
    finds it in the changed scenario. Validating them again — as :func:`with_settings` does
    for a sweep's points — would refuse every such condition, so they go.

    Raises
    ------
    ScenarioError
        For an unknown condition.
    """
    try:
        applied = with_condition(spec, condition)
    except KeyError as exc:
        raise UsageError([Problem(0, 0, ("--condition",), str(exc.args[0]), spec.id)]) from None
    if not applied.conditions:
        return applied
    raw = copy.deepcopy(applied._raw if applied._raw is not None else applied.model_dump())
    raw.pop("conditions", None)
    raw.pop("sweep", None)  # a sweep: block may name a condition
    return load_text(json.dumps(raw, default=str), f"condition {condition}")
