"""Hypothesis strategies: random valid scenarios, small enough to run in milliseconds."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from escalsim.scenario import Scenario, load_text

PROB = st.floats(0.0, 1.0, allow_nan=False)
SMALL = st.floats(0.0, 0.3, allow_nan=False)


@st.composite
def scenario_dicts(draw: st.DrawFn, *, quiet: bool = False) -> dict[str, Any]:
    """A valid scenario as data. ``quiet``: no noise, no misreading, no accidents at all."""
    n_rungs = draw(st.integers(2, 6))
    war = draw(st.one_of(st.none(), st.integers(1, n_rungs - 1)))
    top_start = (war if war is not None else n_rungs) - 1
    rungs = [
        {
            "name": f"r{k}",
            "cost": draw(st.floats(0.0, 3.0)),
            "incident_risk": 0.0 if quiet else draw(SMALL),
            "war_risk": draw(st.floats(0.0, 0.2)),
        }
        for k in range(n_rungs)
    ]
    policies = [
        "reciprocal",
        "generous",
        "grit",
        "hardliner",
        "deterrer",
        "brinkmanship",
        "scripted",
    ] + (["memory_one"] if n_rungs == 2 else [])
    rounds = draw(st.integers(1, 25))

    def policy(power: bool) -> dict[str, Any]:
        name = draw(st.sampled_from(["bargaining", *policies] if power else policies))
        spec: dict[str, Any] = {"name": name}
        if name == "bargaining":
            spec["precision"] = draw(st.floats(0.0, 40.0))
        elif name == "generous":
            spec["generosity"] = draw(PROB)
        elif name == "memory_one":
            spec["p"] = [draw(PROB) for _ in range(4)]
        elif name == "scripted":
            spec["moves"] = draw(
                st.lists(
                    st.sampled_from(["step_down", "hold", "step_up", "jump", "concede"]),
                    max_size=rounds,
                )
            )
        return spec

    actors = []
    for ident in ("A", "B"):
        actors.append(
            {
                "id": ident,
                "name": ident,
                "role": "power",
                "capability": draw(st.floats(0.1, 10.0)),
                "resolve": draw(PROB),
                "attribution": draw(st.sampled_from(["naive", "noisy"])),
                "audience_cost": draw(st.floats(0.0, 2.0)),
                "honesty": draw(PROB),
                "domestic_pressure": draw(st.floats(-1.0, 1.0)),
                "initial_rung": draw(st.integers(0, top_start)),
                "red_line": draw(st.integers(0, n_rungs - 1)),
                "policy": policy(power=True),
            }
        )
    for k in range(draw(st.integers(0, 2))):
        share = draw(PROB)
        actors.append(
            {
                "id": f"T{k}",
                "name": f"T{k}",
                "role": "third_party",
                "capability": draw(st.floats(0.1, 2.0)),
                "resolve": draw(PROB),
                "alignment": {"A": share, "B": 1.0 - share},
                "influence": {"A": draw(PROB), "B": draw(PROB)},
                "may_mediate": draw(st.booleans()),
                "may_join": draw(st.booleans()),
                "red_line": draw(st.integers(0, n_rungs - 1)),
                "initial_rung": draw(st.integers(0, top_start)),
                "policy": policy(power=False),
            }
        )

    def noise() -> float:
        return 0.0 if quiet else draw(PROB)

    channels: list[dict[str, Any]] = [
        {"id": "public", "kind": "public", "noise": noise(), "misread": noise()}
    ]
    for c in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["hotline", "summit", "ministerial", "backchannel"]))
        channels.append(
            {
                "id": f"c{c}",
                "kind": kind,
                "between": ["A", "B"],
                "noise": noise(),
                "misread": noise(),
                "latency": draw(st.integers(0, 3)),
                "reliability": draw(PROB),
                "deconfliction": draw(PROB),
                "open": draw(st.booleans()),
            }
        )
    thirds = [a["id"] for a in actors if a["role"] == "third_party"]
    if thirds and draw(st.booleans()):
        channels.append(
            {
                "id": "med",
                "kind": "mediated",
                "between": ["A", "B"],
                "via": thirds[0],
                "noise": noise(),
                "open": draw(st.booleans()),
            }
        )
    if thirds and draw(st.booleans()):
        # A private line between a power and a third party: messages among more than one pair.
        channels.append(
            {
                "id": "side",
                "kind": "ministerial",
                "between": [draw(st.sampled_from(["A", "B"])), thirds[-1]],
                "noise": noise(),
                "misread": noise(),
                "latency": draw(st.integers(0, 2)),
                "reliability": draw(PROB),
                "open": draw(st.booleans()),
            }
        )
    agenda = [
        {
            "id": f"g{g}",
            "name": f"g{g}",
            "core": draw(st.booleans()),
            "salience": {"A": draw(PROB), "B": draw(PROB)},
            "agreement": {
                "kind": "deconfliction",
                "base_probability": draw(PROB),
                "effects": {
                    "trust": draw(st.floats(-0.5, 0.5)),
                    "deconfliction": draw(st.floats(-0.5, 0.5)),
                    "incident_risk_factor": draw(st.floats(0.0, 2.0)),
                    "clarifies_red_lines": draw(st.booleans()),
                },
            },
        }
        for g in range(draw(st.integers(0, 2)))
    ]
    events: list[dict[str, Any]] = []
    private = [c["id"] for c in channels if c["kind"] != "public"]
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["channel", "summit", "election", "incident", "set"]))
        t = draw(st.integers(1, rounds))
        if kind in ("channel", "summit") and private:
            ev = {"round": t, "kind": kind, "channel": draw(st.sampled_from(private))}
            if kind == "channel":
                ev["open"] = draw(st.booleans())
            else:
                ev["duration"] = draw(st.integers(1, rounds - t + 1))
            events.append(ev)
        elif kind == "election":
            events.append(
                {
                    "round": t,
                    "kind": "election",
                    "actor": draw(st.sampled_from(["A", "B"])),
                    "domestic_pressure": draw(st.floats(-1.0, 1.0)),
                }
            )
        elif kind == "set":
            # Parameters that change mid-crisis: a resolve, the friction, and (when noise is
            # allowed) a private channel's noise, which can change which path is best.
            paths = ["actors.B.resolve", "ladder.deescalation_friction"]
            if not quiet and len(private) > 0 and private[0] != "med":
                paths.append(f"channels.{private[0]}.noise")
            events.append(
                {
                    "round": t,
                    "kind": "set",
                    "path": draw(st.sampled_from(paths)),
                    "value": draw(PROB),
                }
            )
        elif kind == "incident" and not quiet:
            events.append(
                {"round": t, "kind": "incident", "actor": draw(st.sampled_from(["A", "B"]))}
            )
    return {
        "schema_version": 2,
        "id": "generated",
        "name": "generated",
        "run": {"rounds": rounds, "time_unit": "day"},
        "ladder": {
            "rungs": rungs,
            "war_rung": war,
            "jump": draw(st.integers(1, 3)),
            "deescalation_friction": draw(PROB),
        },
        "endings": {
            "settlement_rounds": draw(st.one_of(st.none(), st.integers(1, 5))),
            "capitulation": draw(st.booleans()),
        },
        "accidents": {
            "implementation_error": 0.0 if quiet else draw(st.floats(0.0, 0.5)),
            "incident_scale": 0.0 if quiet else draw(st.floats(0.0, 2.0)),
        },
        "actors": actors,
        "channels": channels,
        "agenda": agenda,
        "events": events,
    }


def scenarios(*, quiet: bool = False) -> st.SearchStrategy[Scenario]:
    """Validated scenarios (through the same loader users go through: JSON is YAML 1.2)."""
    return scenario_dicts(quiet=quiet).map(lambda d: load_text(json.dumps(d), "generated.yaml"))


@st.composite
def lasting_scenario_dicts(draw: st.DrawFn, *, quiet: bool = False) -> dict[str, Any]:
    """A valid scenario with wars that last (schema version 3, docs/pair-wars.md §3-§4).

    :func:`scenario_dicts` with a war rung, ``war.ends_run: false`` and a random front step;
    where rungs lie above the war rung, perhaps a nuclear rung among them (a random
    ``war_advantage`` on every intensity, an ``exchange_hazard`` from the nuclear rung up,
    perhaps a strategic rung on top) and each power nuclear-armed or not. The value after an
    exchange is below any type's war value (costs are at most 1,000 a round).
    """
    data = draw(scenario_dicts(quiet=quiet).filter(lambda d: d["ladder"]["war_rung"] is not None))
    war = data["ladder"]["war_rung"]
    rungs = data["ladder"]["rungs"]
    data["schema_version"] = 3
    data["war"] = {"ends_run": False, "front_step": draw(st.floats(0.01, 1.0))}
    above = len(rungs) - 1 - war
    if above and draw(st.booleans()):
        nuclear = war + draw(st.integers(1, above))
        data["ladder"]["nuclear_rung"] = nuclear
        for k in range(war + 1, len(rungs)):
            rungs[k]["war_advantage"] = draw(st.floats(0.0, 2.0))
            if k >= nuclear:
                rungs[k]["exchange_hazard"] = draw(SMALL)
        if nuclear < len(rungs) - 1 and draw(st.booleans()):
            data["ladder"]["strategic_rung"] = len(rungs) - 1
        data["war"]["exchange_value"] = draw(st.floats(-2000.0, -1001.0))
        for actor in data["actors"]:
            if actor["role"] == "power":
                actor["nuclear"] = draw(st.booleans())
    return data


def lasting_scenarios(*, quiet: bool = False) -> st.SearchStrategy[Scenario]:
    """Validated scenarios with wars that last (:func:`lasting_scenario_dicts`)."""
    return lasting_scenario_dicts(quiet=quiet).map(
        lambda d: load_text(json.dumps(d), "lasting.yaml")
    )


@st.composite
def pair_war_scenario_dicts(draw: st.DrawFn, *, quiet: bool = False) -> dict[str, Any]:
    """A valid scenario with listed pairs that can fight (docs/pair-wars.md §5, §6; step 3).

    :func:`lasting_scenario_dicts` with at least one third party, and for each third party
    perhaps a listed pair with one of the powers (always for the first): its own status quo and
    costs of war, perhaps the other power as the third party's patron (a support and a stake in
    its client), perhaps at war at round 1 (at an intensity open to the power: a nuclear rung only
    for a nuclear-armed one, never the strategic rung), perhaps a private line between the pair's
    sides and an agenda item that ends the pair's war.
    """
    data = draw(lasting_scenario_dicts(quiet=quiet))
    actors = data["actors"]
    ladder = data["ladder"]
    rungs, war = ladder["rungs"], ladder["war_rung"]
    if not any(a["role"] == "third_party" for a in actors):
        actors.append(
            {
                "id": "T0",
                "name": "T0",
                "role": "third_party",
                "capability": draw(st.floats(0.1, 2.0)),
                "resolve": draw(PROB),
                "alignment": {"A": 0.5, "B": 0.5},
                "initial_rung": 0,
                "policy": {"name": "hardliner"},
            }
        )
    nuclear = {a["id"]: bool(a.get("nuclear", False)) for a in actors}
    top = ladder.get("strategic_rung", len(rungs)) - 1
    pairs: list[dict[str, Any]] = []
    at_start: list[dict[str, Any]] = []
    thirds = [a["id"] for a in actors if a["role"] == "third_party"]
    for n, third in enumerate(thirds):
        if n > 0 and not draw(st.booleans()):
            continue
        power = draw(st.sampled_from(["A", "B"]))
        other = "B" if power == "A" else "A"
        sides = [power, third] if draw(st.booleans()) else [third, power]
        pair: dict[str, Any] = {
            "pair": sides,
            "stakes": {"status_quo": {power: draw(PROB)}},
            "cost": {power: draw(st.floats(0.0, 2.0)), third: draw(st.floats(0.0, 2.0))},
        }
        if draw(st.booleans()):
            pair["patron"] = {third: other}
            pair["support"] = draw(PROB)
            pair["patron_stake"] = draw(st.sampled_from([0.0, 0.5, 5.0, 10.0]))
        pairs.append(pair)
        if draw(st.booleans()):
            highest = top
            if "nuclear_rung" in ladder and not nuclear[power]:
                highest = min(highest, ladder["nuclear_rung"] - 1)
            start: dict[str, Any] = {
                "pair": sides,
                "intensity": {
                    power: rungs[draw(st.integers(war, max(war, highest)))]["name"],
                    third: rungs[war]["name"],
                },
            }
            if draw(st.booleans()):
                start["front"] = {power: draw(PROB)}
            at_start.append(start)
        if draw(st.booleans()):
            data["channels"].append(
                {
                    "id": f"line{n}",
                    "kind": "ministerial",
                    "between": [power, third],
                    "noise": 0.0 if quiet else draw(PROB),
                    "reliability": draw(PROB),
                    "open": draw(st.booleans()),
                }
            )
        if draw(st.booleans()):
            data["agenda"].append(
                {
                    "id": f"end{n}",
                    "name": f"end{n}",
                    "core": False,
                    "salience": {"A": draw(PROB), "B": draw(PROB)},
                    "names": [third],
                    "ends_war": [power, third],
                    "agreement": {"kind": "deconfliction", "base_probability": draw(PROB)},
                }
            )
    data["war"]["pairs"] = pairs
    if at_start:
        data["war"]["at_start"] = at_start
    return data


def pair_war_scenarios(*, quiet: bool = False) -> st.SearchStrategy[Scenario]:
    """Validated scenarios with listed pairs that can fight (:func:`pair_war_scenario_dicts`)."""
    return pair_war_scenario_dicts(quiet=quiet).map(
        lambda d: load_text(json.dumps(d), "pairs.yaml")
    )
