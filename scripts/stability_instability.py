"""The stability–instability pattern: wars below the top and direct war as nuclear war costs more.

Usage: ``.venv/bin/python scripts/stability_instability.py [REPLICATIONS] [SEED]`` (default 400, 1).

Snyder (1965) and Jervis (1984): the costlier a war between nuclear powers, the safer each feels
that the other will not fight it, and the freer to fight below it — stability at the top,
instability below. The issue asks how ``p_war_any − p_war_direct`` (the wars below the top)
moves as the cost of nuclear war rises; this probe measures it on two scenarios, at a grid of
``war.exchange_value`` (the value of the state after a strategic exchange, in units of the
stakes' present value; more negative: costlier), every point on the same seed (common random
numbers: the rows' differences are paired):

* :func:`stylised`: powers A (capability 3) and B (2), both nuclear-armed and holding their own
  crisis still (scripted), and a third party T (1), B's client (support 0.3, ``patron_stake``
  3): A may attack T, fight it up to a nuclear intensity (``war_advantage`` 1, ``exchange_hazard``
  0.05, posture cost 0.5 above war's), and B may join; every war is the pair's or B's entry;
  at each of :data:`INADVERTENT` (the war rung's ``exchange_hazard``: a conventional war
  between the two nuclear-armed powers may escalate, Posen 1991) — the cost of nuclear war is
  its value and its chance;
* :func:`at_peace`: ukraine-talks-2022 (channels as they were) with Russia and Ukraine at peace
  at round 1 on the pair's status quo (``war.at_start`` removed), the United States'
  ``patron_stake`` 5 (the file's 0.5 makes intervention worthless to it at every value).

``main`` prints, per value, ``p_war_any``, ``p_war_direct``, their difference, ``p_nuclear``
and the patron's intervention share, with 95% Wilson intervals (markdown);
docs/pair-wars.md ("As built: step 3", the stability–instability pattern) quotes it.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

import numpy as np

from escalsim.batch import run_batch
from escalsim.scenario import Scenario, load_scenario, load_text, with_condition

#: The values of war.exchange_value swept (each below every power's value of war; ukraine-talks
#: needs -4 or below).
EXCHANGE_VALUES = (-5.0, -10.0, -20.0, -40.0, -80.0, -160.0)
#: The war rung's exchange hazards of the stylised scenario (per round).
INADVERTENT = (0.0, 0.0002, 0.0005, 0.001)
HOLD = {"name": "scripted", "moves": [], "then": "hold"}


def stylised(exchange: float, inadvertent: float = 0.0) -> Scenario:
    """Three actors: A may attack B's client T (see the module); 20 weekly rounds, δ = 0.9.

    ``inadvertent``: the war rung's ``exchange_hazard``, the chance a round that a conventional
    war between the two nuclear-armed powers escalates to an exchange (Posen 1991).
    """
    costs = {"grid": [0.05, 0.1, 0.2]}
    data = {
        "schema_version": 3,
        "id": "stability-instability",
        "name": "An attack on a nuclear power's client",
        "run": {"rounds": 20, "time_unit": "week", "replications": 10, "seed": 1},
        "stakes": {"discount": 0.9},
        "ladder": {
            "rungs": [
                {"name": "peace", "cost": 0.0},
                {"name": "brink", "cost": 0.0},
                {"name": "war", "cost": 1.0, "war_risk": 1.0, "exchange_hazard": inadvertent},
                {"name": "nuclear", "cost": 1.5, "war_advantage": 1.0, "exchange_hazard": 0.05},
                {"name": "exchange", "cost": 2.0},
            ],
            "war_rung": "war",
            "nuclear_rung": "nuclear",
            "strategic_rung": "exchange",
            "jump": 1,
        },
        "endings": {"settlement_rounds": None, "core_agreement_settles": False},
        "war": {
            "ends_run": False,
            "front_step": 0.1,
            "exchange_value": exchange,
            "pairs": [
                {
                    "pair": ["A", "T"],
                    "stakes": {"status_quo": {"A": 0.3}},
                    "cost": {"A": 0.05, "T": 0.1},
                    "patron": {"T": "B"},
                    "support": 0.3,
                    "patron_stake": 3.0,
                }
            ],
        },
        "actors": [
            {
                "id": "A",
                "name": "A",
                "role": "power",
                "capability": 3.0,
                "war_cost": costs,
                "nuclear": True,
                "policy": HOLD,
            },
            {
                "id": "B",
                "name": "B",
                "role": "power",
                "capability": 2.0,
                "war_cost": costs,
                "nuclear": True,
                "policy": HOLD,
            },
            {
                "id": "T",
                "name": "T",
                "role": "third_party",
                "capability": 1.0,
                "resolve": 0.5,
                "alignment": {"B": 1.0},
                "policy": HOLD,
            },
        ],
        "channels": [{"id": "public", "kind": "public", "noise": 0.0}],
    }
    return load_text(json.dumps(data), "stability-instability.yaml")


def at_peace(
    exchange: float, stake: float, war_cost: float | None = None, nuclear_cost: float | None = None
) -> Scenario:
    """ukraine-talks-2022 with the Russia–Ukraine pair at peace at round 1 (see the module).

    ``war_cost``: the powers' costs of a war between them, three equally likely types (half, as
    given, double) instead of the file's resolve; ``nuclear_cost``: the limited nuclear rung's
    posture cost instead of the file's.
    """
    spec = with_condition(load_scenario("ukraine-talks-2022"), "channels_open")
    data: dict[str, Any] = json.loads(spec.model_dump_json(by_alias=True, exclude_unset=True))
    data["war"]["at_start"] = []
    data["war"]["exchange_value"] = exchange
    for pair in data["war"]["pairs"]:
        pair["patron_stake"] = stake
    for actor in data["actors"]:
        if war_cost is not None and actor["role"] == "power":
            actor.pop("resolve", None)
            actor["war_cost"] = {"grid": [war_cost / 2, war_cost, 2 * war_cost]}
    for rung in data["ladder"]["rungs"]:
        if nuclear_cost is not None and rung["name"] == "limited_nuclear":
            rung["cost"] = nuclear_cost
    data.pop("conditions", None)
    data.pop("sweep", None)
    return load_text(json.dumps(data), "stability-instability.yaml")


def wilson(k: int, n: int) -> tuple[float, float]:
    """The 95% Wilson interval of k successes in n."""
    z = 1.959964
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def cell(values: Any) -> str:
    """A share with its Wilson interval."""
    x = np.asarray(values, dtype=bool)
    lo, hi = wilson(int(x.sum()), len(x))
    return f"{x.mean():.3f} [{lo:.3f}, {hi:.3f}]"


def rows(build: Any, pair: str, replications: int, seed: int, label: str = "") -> None:
    """Print one scenario's rows (see the module); ``pair`` names its pair's columns."""
    for value in EXCHANGE_VALUES:
        out = run_batch(build(value), seed=seed, replications=replications).outcome
        below = out["war_any"] & ~out["war_direct"]
        print(
            f"| {label}{value:g} | {cell(out['war_any'])} | {cell(out['war_direct'])} | "
            f"{cell(below)} | {cell(out['nuclear'])} | {cell(out[f'intervention_{pair}'])} |"
        )


HEADER = (
    "| exchange_value | p_war_any | p_war_direct | p_war_any − p_war_direct | p_nuclear | "
    "intervention |\n| --- | --- | --- | --- | --- | --- |"
)


def main(replications: int = 400, seed: int = 1) -> None:
    """Print both tables (see the module)."""
    print(f"Stylised: A, B and B's client T; {replications} runs, seed {seed}\n")
    print(HEADER.replace("| exchange_value |", "| war rung's hazard, exchange_value |", 1))
    for hazard in INADVERTENT:
        rows(
            lambda value, h=hazard: stylised(value, h),
            "A_T",
            replications,
            seed,
            label=f"{hazard:g}, ",
        )
    print(
        f"\nukraine-talks-2022 at peace at round 1, patron_stake 5; {replications} runs, "
        f"seed {seed}\n"
    )
    print(HEADER)
    rows(lambda value: at_peace(value, 5.0), "RUS_UKR", replications, seed)


if __name__ == "__main__":
    args = sys.argv[1:]
    main(int(args[0]) if args else 400, int(args[1]) if len(args) > 1 else 1)
