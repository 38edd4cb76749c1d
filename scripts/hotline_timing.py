"""How hotline-1963 was rebuilt, step by step, and when it settles: docs/calibration.md.

Prints, for hotline-1963 as hand-set before the rebuild (the row "shipped": the file
``scripts/data/hotline-1963-handset.yaml``), the variants below, which encode documented facts
of the case step by step, and the rebuilt shipped file, under both conditions (2,000 runs each,
seed 1): the share of runs settled, the quartiles of the settlement round (round 1 = 16 Oct
1962; the record: round 13 = 28 Oct), the chance of a settlement within a round of the
record's date, and P(war). The variants:

- ``private channels closed until used``: the letter channel (``embassy_cable``) opens with
  Kennedy's letter of 22 Oct (round 7), Robert Kennedy's channel to Dobrynin (``rfk_dobrynin``)
  on 23 Oct (round 8), as the scenario's own events and sources date them;
- ``... and no mediation before U Thant's appeal``: besides, ``may_mediate: false``, so U Thant's
  channel opens only with the scenario's own event of 24 Oct (round 9); as shipped, the
  mediation rule opens it at the end of round 1;
- ``... and no proposal before Khrushchev's first letter``: besides, the talks closed
  (``stakes.talks_open: false``) until his letter of 26 Oct (round 11) opens them;
- ``both powers only hold``: a check, not a fact: both powers scripted to hold their rungs;
- the rebuild's first steps, all with the three facts above: generic-crisis's rung risks made
  daily (``scripts/port_generic.py hotline-1963``); all its values (risks, costs, discount,
  precision, audience costs); and each of the three with the repaired quit term
  (``beliefs.continuation: best``, docs/decision-v2.md §3.7); and two checks of what drives
  the wars with all values: no red lines (both on the war rung) and a quieter public channel;
- the missiles as the stakes (``held_missiles``): all values, the repaired quit term, and the
  Soviet deployment holding the missiles, ``stakes.held_at`` (docs/decision-v2.md §3.10); and
  four checks of what sets its terms: no audience costs; no red lines; generic-crisis's
  costs of war for both powers instead of the case's resolve grids; those costs with
  their lower end at 1 (``generic_costs``); and the quarantine and the strike imposing costs on
  the power facing them (``quarantine_imposes``, docs/decision-v2.md §3.11); and the crisis
  starting on 22 October with the United States at DEFCON 3 (``from_22_october``: the
  settlement's column then counts 27-29 October, rounds 6-8);
- the rebuilt file (``superpower``): the missiles held, with superpower-crisis's per-day rung
  risks and costs of war (docs/calibration.md, "Third round"); two checks of it (from 22
  October; the missiles not held); and the shipped file itself, which must give the rebuilt
  variant's row exactly.

Besides the timing, each row gives the wars by cause, the United States' median share of
the stakes in the runs settled by an accepted offer, and, where the missiles are held by the
Soviet deployment (a fait accompli), the share of runs that ended with them withdrawn (the
record: the missiles went home).

Run: ``.venv/bin/python scripts/hotline_timing.py`` (about two minutes on 2 busy cores).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from port_generic import (
    GENERIC,
    SUPERPOWER,
    probability,
    superpower_cost,
    superpower_risk,
    weeks_per_round,
)
from ruamel.yaml import YAML

from escalsim.batch import run_batch
from escalsim.scenario import load_scenario, load_text

#: The hand-set file the rebuild started from (hotline-1963 as shipped until 5 December 2026,
#: kept so that every row of the table can be measured again): the variants change it.
SOURCE = Path(__file__).resolve().parent / "data" / "hotline-1963-handset.yaml"
#: The shipped file, rebuilt from the variant "missiles held, superpower-crisis's risks and
#: costs of war" (its row and the row "shipped (rebuilt)" agree run for run).
SHIPPED = Path(__file__).resolve().parents[1] / "scenarios" / "hotline-1963.yaml"
RECORD_ROUND = 13
RUNS = 2000


def _replace(text: str, old: str, new: str) -> str:
    if old not in text:
        raise SystemExit(f"hotline_timing: the scenario no longer has {old!r}; update the script")
    return text.replace(old, new, 1)


def _close(text: str, channel: str) -> str:
    start = text.index(f"  - id: {channel}\n")
    at = text.index("    open: true", start)
    end = text.index("\n", at)
    return text[:at] + "    open: false" + text[end:]


def private_closed(text: str) -> str:
    """The private channels closed until their first documented use."""
    text = _close(_close(text, "embassy_cable"), "rfk_dobrynin")
    events = (
        "  - {id: kennedy_letter, round: 7, kind: channel, channel: embassy_cable, open: true,\n"
        "     description: Kennedy's letter to Khrushchev is handed over (22 Oct).}\n"
        "  - {id: rfk_meets_dobrynin, round: 8, kind: channel, channel: rfk_dobrynin, open: true,\n"
        "     description: Robert Kennedy meets Dobrynin (23 Oct).}\n"
    )
    return _replace(text, "  - id: us_midterms\n", events + "  - id: us_midterms\n")


def no_early_mediation(text: str) -> str:
    """U Thant's channel opens with his appeal only."""
    return _replace(private_closed(text), "    may_mediate: true\n", "    may_mediate: false\n")


def talks_from_letter(text: str) -> str:
    """Besides, no proposal before Khrushchev's first letter (26 Oct): talks closed till then."""
    text = _replace(
        no_early_mediation(text), "  divisible: true\n", "  divisible: true\n  talks_open: false\n"
    )
    event = (
        "  - {id: first_letter, round: 11, kind: set, path: stakes.talks_open, value: true,\n"
        "     description: Khrushchev's first letter proposes a deal (26 Oct).}\n"
    )
    return _replace(text, "  - id: us_midterms\n", event + "  - id: us_midterms\n")


def _rung(text: str, name: str, **values: float) -> str:
    """Set fields of the rung ``name`` (each must be in its block already)."""
    start = text.index(f"    - name: {name}\n")
    nxt = text.find("    - name:", start + 5)
    end = nxt if nxt != -1 else text.index("  war_rung:", start)
    block = text[start:end]
    for key, value in values.items():
        at = block.index(f"      {key}: ")
        stop = block.index("\n", at)
        block = block[:at] + f"      {key}: {value}" + block[stop:]
    return text[:start] + block + text[end:]


#: hotline-1963's rungs and the generic-crisis rungs they take their values from
#: (``scripts/port_generic.py hotline-1963``): a strike is serious clashes (ICB violence 3).
GENERIC_RUNG = {
    "warning": "threat",
    "deployment": "display",
    "alert": "display",
    "quarantine": "clash",
    "strike": "serious",
    "war": "war",
}


def _ported() -> dict[str, dict[str, float]]:
    """Each rung's generic-crisis values made daily, to the four digits port_generic prints.

    Per-round risks by ``port_generic.probability`` (the war rung's are not read: at war the run
    ends); costs unchanged (per round over the stakes' flow).
    """
    rungs = {r.name: r for r in load_scenario(GENERIC).ladder.rungs}
    k = weeks_per_round("day")
    out = {}
    for name, generic in GENERIC_RUNG.items():
        g = rungs[generic]
        values = {"cost": g.cost, "incident_risk": float(f"{probability(g.incident_risk, k):.4g}")}
        if name != "war":
            values["war_risk"] = float(f"{probability(g.war_risk, k):.4g}")
        out[name] = values
    return out


def _set_rungs(text: str, fields: tuple[str, ...]) -> str:
    for name, values in _ported().items():
        text = _rung(text, name, **{f: v for f, v in values.items() if f in fields})
    return text


def ported_risks(text: str) -> str:
    """The facts above, and generic-crisis's rung risks made daily."""
    return _set_rungs(talks_from_letter(text), ("war_risk", "incident_risk"))


def generic_values() -> tuple[float, float, float]:
    """generic-crisis's discount, audience cost and precision, read from its file.

    Made daily: the discount ``δ^k``, the audience cost (a lump sum in rounds of the stakes)
    ``× 1/k``; the precision unchanged (``port_generic.py``'s conversions).
    """
    generic = load_scenario(GENERIC)
    k = weeks_per_round("day")
    power = generic.actors[0]
    assert generic.stakes.discount is not None
    return (
        generic.stakes.discount**k,
        power.audience_cost / k,
        float(power.policy.precision),  # type: ignore[union-attr]
    )


def ported_all(text: str) -> str:
    """The rung risks above, and generic-crisis's other values made daily.

    Its costs, discount, precision and audience costs (:func:`generic_values`, read from the
    file: at generic-crisis's fit under ``best``, 0.95 a week = 0.9927 a day, 1.356 weeks of the
    stakes = 9.49 days, precision 12.03; the case keeps its ratios of audience costs: the Soviet
    Union's half the United States', doubled by Kennedy's address).
    """
    discount, audience, precision = generic_values()
    text = _set_rungs(ported_risks(text), ("cost",))
    text = _replace(text, "  discount: 0.99\n", f"  discount: {discount:.4f}\n")
    text = _replace(text, "    audience_cost: 1.0 ", f"    audience_cost: {audience:.4g} ")
    text = _replace(text, "    audience_cost: 0.5 ", f"    audience_cost: {audience / 2:.4g} ")
    text = _replace(text, "    value: 2.0\n", f"    value: {2 * audience:.4g}\n")
    for capability in ("100.0", "60.0"):
        text = _replace(
            text,
            f"    doctrine: pragmatist\n    capability: {capability}",
            "    doctrine: pragmatist\n"
            f"    policy: {{name: bargaining, precision: {precision:g}}}\n"
            f"    capability: {capability}",
        )
    return text


def held_missiles(change: Callable[[str], str]) -> Callable[[str], str]:
    """``change`` with the missiles as the stakes, held by the Soviet deployment (a fait accompli).

    ``stakes.held_at: {SUN: deployment}`` (docs/decision-v2.md §3.10): while the Soviet Union
    stands on the deployment rung it holds the missiles in Cuba, and stepping below it is
    withdrawing them; the shares while the crisis lasts are generic-crisis's challenger's and
    target's (0.2 and 0.8), the United States the challenger. The record: the missiles were on
    the island and being readied when the crisis began (Allison & Zelikow 1999; Dobbs 2008).
    """

    def changed(text: str) -> str:
        text = _replace(
            change(text),
            "  status_quo: {USA: 0.5, SUN: 0.5}\n",
            "  status_quo: {USA: 0.2, SUN: 0.8}\n",
        )
        return _replace(
            text, "  divisible: true\n", "  divisible: true\n  held_at: {SUN: deployment}\n"
        )

    return changed


def best(change: Callable[[str], str]) -> Callable[[str], str]:
    """``change`` with the repaired quit term (``beliefs.continuation: best``)."""

    def changed(text: str) -> str:
        return _replace(change(text), "  continuation: hold\n", "  continuation: best\n")

    return changed


def no_red_lines(change: Callable[[str], str]) -> Callable[[str], str]:
    """``change`` with both powers' red lines moved to the war rung (a check, not a fact)."""

    def changed(text: str) -> str:
        text = _replace(change(text), "    red_line: deployment ", "    red_line: war ")
        return _replace(text, "    red_line: strike ", "    red_line: war ")

    return changed


def quiet_public(change: Callable[[str], str]) -> Callable[[str], str]:
    """``change`` with the public channel's noise 0.1 instead of 0.35 (a check, not a fact)."""

    def changed(text: str) -> str:
        return _replace(change(text), "    noise: 0.35 ", "    noise: 0.1 ")

    return changed


def no_audience_costs(change: Callable[[str], str]) -> Callable[[str], str]:
    """``change`` (one with :func:`ported_all`) with every audience cost 0 (a check, not a fact).

    Both powers' and the value Kennedy's address sets.
    """

    def changed(text: str) -> str:
        _, audience, _ = generic_values()
        text = change(text)
        text = _replace(text, f"    audience_cost: {audience:.4g} ", "    audience_cost: 0 ")
        text = _replace(text, f"    audience_cost: {audience / 2:.4g} ", "    audience_cost: 0 ")
        return _replace(text, f"    value: {2 * audience:.4g}\n", "    value: 0.0\n")

    return changed


def generic_costs(change: Callable[[str], str], floor: float | None = None) -> Callable[[str], str]:
    """``change`` with generic-crisis's cost-of-war types for both powers (a check, not a fact).

    Instead of the case's hand-set resolve grids (whose war values ``1 - 1/ρ`` do not depend on
    the chances of winning), generic-crisis's fitted prior, uniform over 8 types on
    [0.02555, 3.114] per round of the stakes, read from its file; with ``floor``, its lower end
    raised to ``floor`` (1: no type of either power would fight for the whole stakes, the
    nuclear revolution's claim, Jervis 1989).
    """

    def changed(text: str) -> str:
        return _costs_of_war(change(text), GENERIC, "disputant", floor)

    return changed


def _costs_of_war(text: str, source: str, doctrine: str, floor: float | None = None) -> str:
    """Both powers' hand-set resolve grids replaced by ``source``'s cost-of-war prior.

    The prior (uniform over types) is read from ``source``'s ``doctrine``; with ``floor``, its
    lower end raised to ``floor``.
    """
    spec = load_scenario(source).doctrines[doctrine]["war_cost"]
    low, high = spec["uniform"]
    prior = f"{{uniform: [{low if floor is None else floor}, {high}], types: {spec['types']}}}"
    for grid in ("[0.2, 0.4, 0.6]", "[0.1, 0.3, 0.5]"):
        old = f"    resolve: {{grid: {grid}, prior: [0.25, 0.5, 0.25]}}\n"
        text = _replace(text, old, f"    war_cost: {prior}\n")
    return text


def quarantine_imposes(change: Callable[[str], str]) -> Callable[[str], str]:
    """``change`` with the quarantine and the strike imposing costs on the other (a check).

    ``imposed_cost`` (docs/decision-v2.md §3.11): the quarantine 1.0 and the strike 2.0 of the
    stakes' flow a day on the power facing them (guesses, large on purpose: the shipments
    stopped at sea, the missile sites bombed), to see whether coercion by cost moves the terms.
    """

    def changed(text: str) -> str:
        text = _replace(
            change(text),
            "    - name: quarantine\n",
            "    - name: quarantine\n      imposed_cost: 1.0\n",
        )
        return _replace(
            text, "    - name: strike\n", "    - name: strike\n      imposed_cost: 2.0\n"
        )

    return changed


#: How many days the variant "from 22 October" starts later than the file (16 October).
LATER = 6


def from_22_october(change: Callable[[str], str]) -> Callable[[str], str]:
    """``change``, with the crisis starting on 22 October, the United States at DEFCON 3.

    Until Kennedy's address of 22 October the crisis was Washington's secret (Allison &
    Zelikow 1999): Moscow did not know its missiles had been seen, so the six days before were
    no bargaining between the powers. Round 1 is then 22 October (the record's settlement, 28
    October, is round 7), every event comes 6 rounds earlier (those before 22 October at round
    1: Gromyko's denial of 18 October), the horizon is 14 November as before, and the United
    States starts at the alert rung: US forces went to DEFCON 3 with the address (DEFCON 2 on 24
    October; Sagan 1993, *The Limits of Safety*, ch. 2).
    """

    def changed(text: str) -> str:
        yaml = YAML()
        data = yaml.load(change(text))
        data["run"]["rounds"] = int(data["run"]["rounds"]) - LATER
        for event in data["events"]:
            event["round"] = max(1, int(event["round"]) - LATER)
        for actor in data["actors"]:
            if actor["id"] == "USA":
                actor["initial_rung"] = "alert"
        out = io.StringIO()
        yaml.dump(data, out)
        return out.getvalue()

    return changed


def superpower(change: Callable[[str], str]) -> Callable[[str], str]:
    """``change`` with superpower-crisis's rungs and costs of war (the rebuilt file).

    Each rung below war takes the per-day war risk and the cost of its MID level from
    superpower-crisis (``port_generic.superpower_risk`` and ``superpower_cost``: the warning a
    threat, the deployment and the alert a display of force, the quarantine and the strike a
    use of force; the risks set from the 12 US-Soviet/Russian crises' exposure, the costs
    fitted to their peaks), the incident risks staying generic-crisis's; both
    powers' hand-set resolve grids give way to its cost-of-war prior (uniform on [1.0, 3.114]
    over eight types, read from its file: Jervis 1989's claim, no type would fight for the
    stakes). docs/calibration.md, "Third round".
    """
    mid = {"warning": 2, "deployment": 3, "alert": 3, "quarantine": 4, "strike": 4}

    def changed(text: str) -> str:
        text = change(text)
        for name, level in mid.items():
            text = _rung(
                text,
                name,
                war_risk=superpower_risk(level, "day"),
                cost=superpower_cost(level),
            )
        return _costs_of_war(text, SUPERPOWER, "nuclear_power")

    return changed


def shipped(text: str) -> str:
    """The shipped (rebuilt) file, whatever ``text`` is."""
    del text
    return SHIPPED.read_text(encoding="utf-8")


def only_hold(text: str) -> str:
    """Both powers hold their rungs (a check of the quiet-days rule)."""
    for anchor in ("    initial_rung: warning\n", "    initial_rung: deployment"):
        at = text.index(anchor)
        end = text.index("\n", at) + 1
        text = text[:end] + "    policy: {name: scripted, moves: [hold]}\n" + text[end:]
    return text


VARIANTS: dict[str, Callable[[str], str]] = {
    "shipped": lambda text: text,
    "private channels closed until used": private_closed,
    "... and no mediation before U Thant's appeal": no_early_mediation,
    "... and no proposal before Khrushchev's first letter": talks_from_letter,
    "both powers only hold (a check)": only_hold,
    "facts, and generic-crisis's rung risks": ported_risks,
    "facts, and all of generic-crisis's values": ported_all,
    "facts, with the repaired quit term": best(talks_from_letter),
    "facts, rung risks, repaired quit term": best(ported_risks),
    "facts, all values, repaired quit term": best(ported_all),
    "facts, all values, no red lines (a check)": no_red_lines(ported_all),
    "facts, all values, public noise 0.1 (a check)": quiet_public(ported_all),
    "facts, all values, repaired quit term, missiles held (fait accompli)": held_missiles(
        best(ported_all)
    ),
    "missiles held, no audience costs (a check)": no_audience_costs(
        held_missiles(best(ported_all))
    ),
    "missiles held, no red lines (a check)": no_red_lines(held_missiles(best(ported_all))),
    "missiles held, generic-crisis's costs of war (a check)": generic_costs(
        held_missiles(best(ported_all))
    ),
    "missiles held, those costs from 1 (a check)": generic_costs(
        held_missiles(best(ported_all)), floor=1.0
    ),
    "missiles held, the quarantine and the strike imposing costs (a check)": quarantine_imposes(
        held_missiles(best(ported_all))
    ),
    "missiles held, from 22 October (the United States at DEFCON 3)": from_22_october(
        held_missiles(best(ported_all))
    ),
    "missiles held, superpower-crisis's risks and costs of war (the rebuilt file)": superpower(
        held_missiles(best(ported_all))
    ),
    "the rebuilt file, from 22 October (a check)": from_22_october(
        superpower(held_missiles(best(ported_all)))
    ),
    "the rebuilt file, missiles not held (a check)": superpower(best(ported_all)),
    "shipped (rebuilt, 5 December 2026)": shipped,
}
#: The round of 28 October in each variant (13 where it starts on 16 October).
RECORD = {
    "missiles held, from 22 October (the United States at DEFCON 3)": RECORD_ROUND - LATER,
    "the rebuilt file, from 22 October (a check)": RECORD_ROUND - LATER,
}


def main() -> None:
    """Print the table."""
    text = SOURCE.read_text(encoding="utf-8")
    header = ["variant", "condition", "P(settled)", "settlement round Q1/median/Q3"]
    header += ["P(settled within a day of 28 Oct)", "P(war)"]
    header += ["wars deliberate/miscalculated/brinkmanship/accident"]
    header += ["US share settled (median)", "P(missiles withdrawn)"]
    print("| " + " | ".join(header) + " |")
    print("|" + " --- |" * len(header))
    for name, change in VARIANTS.items():
        spec = load_text(change(text), source=f"hotline-1963 ({name})")
        for condition in ("no_hotline", "hotline"):
            out = run_batch(spec, seed=1, replications=RUNS, condition=condition, keep=0).outcome
            settled = out["outcome"] == "settlement"
            q1, med, q3 = out.loc[settled, "end_round"].quantile([0.25, 0.5, 0.75]).tolist()
            record = RECORD.get(name, RECORD_ROUND)
            window = settled & out["end_round"].between(record - 1, record + 1)
            causes = out.loc[out["war"], "war_cause"].value_counts()
            kinds = ("deliberate", "miscalculated", "brinkmanship", "accident")
            why = "/".join(str(int(causes.get(c, 0))) for c in kinds)
            terms = out.loc[settled, "settled_share_a"].dropna()
            us = f"{terms.median():.2f}" if len(terms) else "-"
            # A fait accompli: the runs that ended with the Soviet Union below its rung.
            gone = f"{(~out['stakes_held']).mean():.3f}" if "stakes_held" in out else "-"
            print(
                f"| {name} | {condition} | {settled.mean():.3f} | {q1:.0f}/{med:.0f}/{q3:.0f} | "
                f"{window.mean():.4f} | {out['war'].mean():.4f} | {why} | {us} | {gone} |"
            )


if __name__ == "__main__":
    main()
