"""Scenario format version 3 (docs/pair-wars.md §10; docs/scenario-format.md, "Version 3").

* The fields parse and compile into Params (``V3_FIELDS``); a version-2 scenario compiles them
  to their defaults, and every shipped scenario (version 2) and its migration to version 3
  compile to equal Params and have one scenario hash.
* Every cross-field check is a positioned error: the line and column of the offending key or
  value (found in the text by the line that holds it), the field path, and what was expected;
  exit 2 through the command line.
* A version-3 field in a version-2 (or version-1) file is a positioned error saying so, in the
  file, a condition, a sweep or a set event.
* ``escalsim migrate`` rewrites version 2 as 3 keeping every other byte, and version 1 as 3.
"""

from __future__ import annotations

import difflib
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import cli_in_process as cli
from escalsim.core.params import V3_FIELDS, Params, compile_params, schedule
from escalsim.errors import ScenarioMigrationWarning
from escalsim.experiment.provenance import canonical_scenario, scenario_hash
from escalsim.scenario import ScenarioError, load_scenario, load_text, shipped, with_condition
from escalsim.scenario.errors import format_loc
from escalsim.scenario.migrate import migrate_text
from escalsim.scenario.yamlio import parse_yaml

V1 = Path(__file__).parent / "corpus" / "v1"

#: Shipped scenarios written in version 2 (the version-3 ones have no version-2 meaning to keep).
V2_SHIPPED = [
    n
    for n in shipped.names()
    if "\nschema_version: 2\n" in shipped.path_of(n).read_text(encoding="utf-8")
]

BASE = """\
schema_version: 3
id: pair-wars
name: Pair wars
run:
  rounds: 20
  time_unit: day
  replications: 10
ladder:
  rungs:
    - name: normal
      cost: 0.0
    - name: crisis
      cost: 0.2
    - name: war
      cost: 1.0
    - name: wider_war
      cost: 2.0
      war_advantage: 0.2
    - name: limited_nuclear
      cost: 4.0
      war_advantage: 0.5
      exchange_hazard: 0.02
    - name: strategic_exchange
      cost: 10.0
  war_rung: war
  nuclear_rung: limited_nuclear
  strategic_rung: strategic_exchange
war:
  ends_run: false
  front_step: 0.05
  exchange_value: -40.0
  pairs:
    - pair: [RUS, UKR]
      stakes:
        status_quo: {UKR: 0.8}
      patron: {UKR: USA}
      support: 0.3
      cost: {UKR: 0.2}
      patron_stake: 0.5
      spillover:
        rate: 0.02
        touches: POL
        description: a missile lands in Poland
  at_start:
    - pair: [UKR, RUS]
      intensity: {RUS: wider_war, UKR: war}
      front: {UKR: 0.7}
      since: "2022-02-24"
actors:
  - id: USA
    name: United States
    role: power
    capability: 10.0
    resolve: 0.6
    nuclear: true
  - id: RUS
    name: Russia
    role: power
    capability: 8.0
    resolve: 0.7
    nuclear: true
    exchange_risk_scale: 0.5
  - id: UKR
    name: Ukraine
    role: third_party
    capability: 2.0
    resolve: 0.9
    alignment: {USA: 1.0}
  - id: POL
    name: Poland
    role: third_party
    capability: 2.0
    resolve: 0.5
    alignment: {USA: 1.0}
channels:
  - id: public
    kind: public
    noise: 0.1
agenda:
  - id: peace
    name: Peace in Ukraine
    core: true
    salience: {USA: 0.5, RUS: 0.5, UKR: 1.0}
    names: [UKR]
    ends_war: [RUS, UKR]
conditions:
  base: {}
  supplied:
    set:
      war.pairs.RUS-UKR.support: 0.6
sweep:
  vary:
    war.pairs.UKR-RUS.support: "0:1:3"
"""


def edit(*pairs: tuple[str, str], text: str = BASE) -> str:
    """``text`` with each ``old`` (which must occur once) replaced by ``new``."""
    for old, new in pairs:
        assert text.count(old) == 1, (old, text.count(old))
        text = text.replace(old, new)
    return text


def where(text: str, line_has: str, token: str | None = None) -> tuple[int, int]:
    """(line, column), 1-based, of ``token`` on the one line that holds ``line_has``."""
    lines = [i for i, line in enumerate(text.splitlines()) if line_has in line]
    assert len(lines) == 1, (line_has, lines)
    line = text.splitlines()[lines[0]]
    return lines[0] + 1, (line.rindex(token) if token is not None else line.index(line_has)) + 1


def problems_of(text: str) -> list:
    with pytest.raises(ScenarioError) as info:
        load_text(text, "v3.yaml")
    return info.value.problems


def assert_problem(text: str, at: tuple[int, int], loc: tuple, fragment: str) -> None:
    found = problems_of(text)
    report = "\n".join(str(p) for p in found)
    hits = [p for p in found if (p.line, p.column) == at and p.loc == loc]
    assert hits, f"expected a problem at {at} {format_loc(loc)}; got:\n{report}"
    assert any(fragment in p.message for p in hits), report
    assert all(str(p).startswith("v3.yaml:") for p in found)


# ------------------------------------------------------------------------------------------------
# The fields, compiled
# ------------------------------------------------------------------------------------------------
def test_the_version_3_example_loads_with_its_conditions_and_sweep_and_compiles():
    s = load_text(BASE, "v3.yaml")
    p = compile_params(s)
    assert (p.ends_run, p.front_step, p.exchange_value) == (False, 0.05, -40.0)
    assert p.nuclear.tolist() == [True, True, False, False]
    assert p.exchange_risk_scale.tolist() == [1.0, 0.5, 1.0, 1.0]
    assert p.war_advantage.tolist() == [0.0, 0.0, 0.0, 0.2, 0.5, 0.0]
    assert p.exchange_hazard.tolist() == [0.0, 0.0, 0.0, 0.0, 0.02, 0.0]
    assert p.strategic_rung == 5
    # The pair's power first (RUS = 1), then its other side (UKR = 2).
    assert p.pair_sides.tolist() == [[1, 2]]
    assert p.pair_status_quo.tolist() == [[pytest.approx(0.2), 0.8]]
    assert p.pair_patron.tolist() == [0]
    assert p.pair_support.tolist() == [0.3]
    # RUS not named: the default cost; UKR's as written.
    assert p.pair_cost.tolist() == [[0.1, 0.2]]
    assert p.pair_patron_stake.tolist() == [0.5]
    assert p.pair_spillover_rate.tolist() == [0.02]
    assert p.pair_spillover_touches.tolist() == [3]
    assert p.pair_spillover_description == ("a missile lands in Poland",)
    # Written [UKR, RUS]: compiled power first.
    assert p.at_start_sides.tolist() == [[1, 2]]
    assert p.at_start_intensity.tolist() == [[3, 2]]
    assert p.at_start_front.tolist() == [[pytest.approx(0.3), 0.7]]
    assert p.at_start_since == ("2022-02-24",)
    assert p.agenda_names[:, 0].tolist() == [False, False, True, False]
    assert p.agenda_ends_war.tolist() == [[1, 2]]
    supplied = compile_params(with_condition(s, "supplied"))
    assert supplied.pair_support.tolist() == [0.6]


def test_a_front_not_given_starts_at_the_pairs_status_quo_and_the_powers_at_theirs():
    text = edit(
        ("      front: {UKR: 0.7}\n", ""),
        (
            '      since: "2022-02-24"\n',
            '      since: "2022-02-24"\n    - pair: [RUS, USA]\n'
            "      intensity: {USA: war, RUS: war}\n",
        ),
        ("actors:\n", "stakes:\n  status_quo: {USA: 0.6}\nactors:\n"),
        ("    resolve: 0.6\n", "    resolve: 0.6\n    initial_rung: war\n"),
        ("    resolve: 0.7\n", "    resolve: 0.7\n    initial_rung: war\n"),
    )
    p = compile_params(load_text(text, "v3.yaml"))
    assert p.at_start_front.tolist() == [[pytest.approx(0.2), 0.8], [0.6, pytest.approx(0.4)]]
    assert p.at_start_sides.tolist() == [[1, 2], [0, 1]]  # the powers' pair: power_a first
    assert p.at_start_since == ("2022-02-24", None)


@pytest.mark.parametrize("name", V2_SHIPPED)
def test_a_version_2_scenario_compiles_the_version_3_fields_to_their_defaults(name):
    s = load_scenario(name)
    p = compile_params(s)
    assert s.schema_version == 2
    assert (p.ends_run, p.front_step, p.exchange_value, p.strategic_rung) == (True, 0.1, None, None)
    assert not p.nuclear.any()
    assert (p.exchange_risk_scale == 1.0).all()
    assert not p.war_advantage.any()
    assert not p.exchange_hazard.any()
    for f in ("pair_sides", "pair_status_quo", "at_start_sides", "at_start_front"):
        assert getattr(p, f).shape == (0, 2)
    assert p.pair_spillover_description == ()
    assert p.at_start_since == ()
    assert not p.agenda_names.any()
    assert (p.agenda_ends_war == -1).all()
    # Its data is version 2's: no version-3 field is dumped.
    dumped = s.model_dump(mode="json")
    assert "ends_run" not in dumped["war"]
    assert all("nuclear" not in a for a in dumped["actors"])


def test_the_compiled_fields_are_documented_in_params():
    doc = Params.__doc__ or ""
    for f in V3_FIELDS:
        assert f"``{f}" in doc, f
        assert f in Params.__dataclass_fields__


# ------------------------------------------------------------------------------------------------
# Cross-field checks, each at its line and column
# ------------------------------------------------------------------------------------------------
WAR_RUNG = "    - name: war\n      cost: 1.0\n"
CHECKS = [
    (
        "war_advantage at the war rung",
        [(WAR_RUNG, WAR_RUNG + "      war_advantage: 0.25\n")],
        ("war_advantage: 0.25", "0.25"),
        ("ladder", "rungs", 2, "war_advantage"),
        "it is 0 on rungs at and below the war rung ('war')",
    ),
    (
        "exchange_hazard below the war rung",
        [("      cost: 0.2\n", "      cost: 0.2\n      exchange_hazard: 0.125\n")],
        ("exchange_hazard: 0.125", "0.125"),
        ("ladder", "rungs", 1, "exchange_hazard"),
        "'exchange_hazard' describes a war, at the war rung or above; it is 0 on rungs below "
        "the war rung ('war')",
    ),
    (
        "exchange_hazard without a nuclear rung",
        [
            ("  nuclear_rung: limited_nuclear\n", ""),
            ("strategic_rung: strategic_exchange", "strategic_rung: wider_war"),
        ],
        ("exchange_hazard: 0.02", "0.02"),
        ("ladder", "rungs", 4, "exchange_hazard"),
        "an exchange needs nuclear weapons: 'exchange_hazard' is 0 on every rung of a ladder "
        "without a nuclear rung",
    ),
    (
        "strategic rung at the nuclear rung",
        [("strategic_rung: strategic_exchange", "strategic_rung: limited_nuclear")],
        ("strategic_rung: limited_nuclear", "limited_nuclear"),
        ("ladder", "strategic_rung"),
        "must be above the nuclear rung ('limited_nuclear')",
    ),
    (
        "strategic rung at the war rung without a nuclear rung",
        [
            ("  nuclear_rung: limited_nuclear\n", ""),
            ("strategic_rung: strategic_exchange", "strategic_rung: war"),
        ],
        ("strategic_rung: war", "war"),
        ("ladder", "strategic_rung"),
        "must be above the war rung ('war')",
    ),
    (
        "strategic rung unknown",
        [("strategic_rung: strategic_exchange", "strategic_rung: strategic")],
        ("strategic_rung: strategic", "strategic"),
        ("ladder", "strategic_rung"),
        "no rung named 'strategic'",
    ),
    (
        "exchange value missing",
        [("  exchange_value: -40.0\n", "")],
        ("exchange_hazard: 0.02", "0.02"),
        ("ladder", "rungs", 4, "exchange_hazard"),
        "an exchange hazard needs war.exchange_value",
    ),
    (
        "exchange value missing with only a strategic rung",
        [("  exchange_value: -40.0\n", ""), ("      exchange_hazard: 0.02\n", "")],
        ("strategic_rung: strategic_exchange", "strategic_exchange"),
        ("ladder", "strategic_rung"),
        "a strategic rung needs war.exchange_value",
    ),
    (
        "exchange value not below every war",
        [("exchange_value: -40.0", "exchange_value: -0.5")],
        ("exchange_value: -0.5", "-0.5"),
        ("war", "exchange_value"),
        "an exchange must be worse than any war: exchange_value must be below every power's "
        "value of war p - c (in units of 1/(1 - δ)); the lowest is -0.666667 (USA's",
    ),
    (
        "pair of an unknown actor",
        [("    - pair: [RUS, UKR]", "    - pair: [RUS, UKX]")],
        ("- pair: [RUS, UKX]", "UKX"),
        ("war", "pairs", 0, "pair", 1),
        "no actor 'UKX' (did you mean 'UKR'?)",
    ),
    (
        "pair of one actor",
        [("    - pair: [RUS, UKR]", "    - pair: [RUS,  RUS]")],
        ("- pair: [RUS,  RUS]", "RUS]"),
        ("war", "pairs", 0, "pair", 1),
        "a pair is two different actors",
    ),
    (
        "pair without a power",
        [("    - pair: [RUS, UKR]", "    - pair: [POL, UKR]")],
        ("- pair: [POL, UKR]", "[POL"),
        ("war", "pairs", 0, "pair"),
        "a listed pair has exactly one power (USA or RUS) as a side; [POL, UKR] has none",
    ),
    (
        "the powers' pair listed",
        [("    - pair: [RUS, UKR]", "    - pair: [RUS, USA]")],
        ("- pair: [RUS, USA]", "[RUS"),
        ("war", "pairs", 0, "pair"),
        "the powers' pair is not listed in war.pairs",
    ),
    (
        "pair listed twice",
        [("  at_start:\n", "    - pair: [UKR,RUS]\n  at_start:\n")],
        ("    - pair: [UKR,RUS]", "[UKR"),
        ("war", "pairs", 1, "pair"),
        "pair [UKR, RUS] is already listed (war.pairs[0])",
    ),
    (
        "patron not the other power",
        [("patron: {UKR: USA}", "patron: {UKR: POL}")],
        ("patron: {UKR: POL}", "POL"),
        ("war", "pairs", 0, "patron", "UKR"),
        "the patron is the other power, 'USA' (the power outside the pair); got 'POL'",
    ),
    (
        "patron of the pair's power",
        [("patron: {UKR: USA}", "patron: {RUS: USA}")],
        ("patron: {RUS: USA}", "RUS"),
        ("war", "pairs", 0, "patron", "RUS"),
        "a patron backs the pair's third party ('UKR'), not the power 'RUS'",
    ),
    (
        "patron's client not in the pair",
        [("patron: {UKR: USA}", "patron: {POL: USA}")],
        ("patron: {POL: USA}", "POL"),
        ("war", "pairs", 0, "patron", "POL"),
        "no side 'POL'; expected one of: RUS, UKR",
    ),
    (
        "support without a patron",
        [("      patron: {UKR: USA}\n", "")],
        ("support: 0.3", "0.3"),
        ("war", "pairs", 0, "support"),
        "support is what a patron supplies its client; this pair has no 'patron' "
        "(e.g. patron: {UKR: USA})",
    ),
    (
        "a cost for an actor outside the pair",
        [("cost: {UKR: 0.2}", "cost: {POL: 0.2}")],
        ("cost: {POL: 0.2}", "POL"),
        ("war", "pairs", 0, "cost", "POL"),
        "no side 'POL'; expected one of: RUS, UKR",
    ),
    (
        "patron_stake without a patron",
        [("      patron: {UKR: USA}\n", ""), ("      support: 0.3\n", "")],
        ("patron_stake: 0.5", "0.5"),
        ("war", "pairs", 0, "patron_stake"),
        "patron_stake is what the patron values in its client's holdings; this pair has no "
        "'patron' (e.g. patron: {UKR: USA})",
    ),
    (
        "spillover touching a side",
        [("touches: POL", "touches: UKR")],
        ("touches: UKR", "UKR"),
        ("war", "pairs", 0, "spillover", "touches"),
        "a spillover touches an actor outside the pair; 'UKR' is a side of it",
    ),
    (
        "spillover touching nobody known",
        [("touches: POL", "touches: PLO")],
        ("touches: PLO", "PLO"),
        ("war", "pairs", 0, "spillover", "touches"),
        "no actor 'PLO' (did you mean 'POL'?)",
    ),
    (
        "pair status quo of an outsider",
        [("status_quo: {UKR: 0.8}", "status_quo: {POL: 0.8}")],
        ("status_quo: {POL: 0.8}", "POL"),
        ("war", "pairs", 0, "stakes", "status_quo", "POL"),
        "no side 'POL'; expected one of: RUS, UKR",
    ),
    (
        "pair status quo not summing to 1",
        [("status_quo: {UKR: 0.8}", "status_quo: {UKR: 0.8, RUS: 0.8}")],
        ("status_quo: {UKR: 0.8, RUS: 0.8}", "{UKR"),
        ("war", "pairs", 0, "stakes", "status_quo"),
        "the two sides' shares sum to 1; they sum to 1.6",
    ),
    (
        "war at start of a pair not listed",
        [("    - pair: [UKR, RUS]", "    - pair: [POL, RUS]")],
        ("- pair: [POL, RUS]", "[POL"),
        ("war", "at_start", 0, "pair"),
        "[POL, RUS] is not a pair that can be at war: expected the powers' pair [USA, RUS] or a "
        "pair listed in war.pairs",
    ),
    (
        "war at start twice",
        [
            (
                '      since: "2022-02-24"\n',
                '      since: "2022-02-24"\n    - pair: [RUS,UKR]\n'
                "      intensity: {RUS: war, UKR: war}\n",
            )
        ],
        ("    - pair: [RUS,UKR]", "[RUS"),
        ("war", "at_start", 1, "pair"),
        "pair [RUS, UKR] is already at war (war.at_start[0])",
    ),
    (
        "intensity below the war rung",
        [("intensity: {RUS: wider_war, UKR: war}", "intensity: {RUS: crisis, UKR: war}")],
        ("intensity: {RUS: crisis", "crisis"),
        ("war", "at_start", 0, "intensity", "RUS"),
        "an intensity in a war is a rung at or above the war rung ('war'); got 'crisis'",
    ),
    (
        "nuclear intensity for a side without nuclear weapons",
        [("intensity: {RUS: wider_war, UKR: war}", "intensity: {RUS: war, UKR: limited_nuclear}")],
        ("UKR: limited_nuclear}", "limited_nuclear"),
        ("war", "at_start", 0, "intensity", "UKR"),
        "'limited_nuclear' is at or above the nuclear rung ('limited_nuclear'): open only to a "
        "nuclear-armed side; 'UKR' has nuclear: false",
    ),
    (
        "intensity of an outsider",
        [("intensity: {RUS: wider_war, UKR: war}", "intensity: {RUS: wider_war, POL: war}")],
        ("POL: war}", "POL"),
        ("war", "at_start", 0, "intensity", "POL"),
        "no side 'POL'",
    ),
    (
        "intensity missing for a side",
        [("intensity: {RUS: wider_war, UKR: war}", "intensity: {RUS: wider_war, POL: war}")],
        ("intensity: {RUS: wider_war, POL", "{RUS"),
        ("war", "at_start", 0, "intensity"),
        "each side's intensity is needed; 'UKR' has none (e.g. UKR: war)",
    ),
    (
        "front not summing to 1",
        [("front: {UKR: 0.7}", "front: {UKR: 0.7, RUS: 0.7}")],
        ("front: {UKR: 0.7, RUS: 0.7}", "{UKR"),
        ("war", "at_start", 0, "front"),
        "the two sides' shares sum to 1; they sum to 1.4",
    ),
    (
        "since not a calendar date",
        [('since: "2022-02-24"', 'since: "2022-02-30"')],
        ('since: "2022-02-30"', '"2022'),
        ("war", "at_start", 0, "since"),
        "expected a date YYYY-MM-DD, got '2022-02-30'",
    ),
    (
        "since not a date",
        [('since: "2022-02-24"', 'since: "24 Feb 2022"')],
        ('since: "24 Feb 2022"', '"24'),
        ("war", "at_start", 0, "since"),
        "expected a date YYYY-MM-DD, got '24 Feb 2022'",
    ),
    (
        "a power at war at start without the powers' pair at start",
        [
            (
                "    nuclear: true\n  - id: RUS",
                "    nuclear: true\n    initial_rung: war\n  - id: RUS",
            )
        ],
        ("initial_rung: war", "war"),
        ("actors", 0, "initial_rung"),
        "a power starts at or above the war rung only in a war at round 1: declare it in "
        "war.at_start (schema_version 3), e.g. {pair: [USA, RUS], intensity: {...}}",
    ),
    (
        "a third party at war at start",
        [("    resolve: 0.9\n", "    resolve: 0.9\n    initial_rung: war\n")],
        ("initial_rung: war", "war"),
        ("actors", 2, "initial_rung"),
        "a third party cannot start at or above the war rung; a war at round 1 is declared in "
        "war.at_start",
    ),
    (
        "an agenda item ending the war of a pair not listed",
        [("ends_war: [RUS, UKR]", "ends_war: [USA, UKR]")],
        ("ends_war: [USA, UKR]", "[USA"),
        ("agenda", 0, "ends_war"),
        "[USA, UKR] is not a pair that can be at war: expected the powers' pair [USA, RUS] or a "
        "pair listed in war.pairs",
    ),
    (
        "an agenda item ending the war of an unknown actor",
        [("ends_war: [RUS, UKR]", "ends_war: [RUS, UKX]")],
        ("ends_war: [RUS, UKX]", "UKX"),
        ("agenda", 0, "ends_war", 1),
        "no actor 'UKX'",
    ),
    (
        "an agenda item naming an unknown actor",
        [("names: [UKR]", "names: [UKX]")],
        ("names: [UKX]", "UKX"),
        ("agenda", 0, "names", 0),
        "no actor 'UKX' (did you mean 'UKR'?)",
    ),
    (
        "pairs with wars that end the run",
        [("  ends_run: false\n", "  ends_run: true\n"), ("  supplied:\n", "  other:\n")],
        ("  pairs:", "pairs"),
        ("war", "pairs"),
        "war.pairs needs lasting wars: with war.ends_run true (the default) the first war between "
        "the powers ends the run",
    ),
    (
        "a war at start with wars that end the run",
        [
            ("  ends_run: false\n", ""),
            ("    - pair: [RUS, UKR]\n", "    - pair: [RUS, POL]\n"),
            ("  pairs:\n", "  pairs: []\n  listed:\n"),
            ("touches: POL", "touches: UKR"),
            ("war.pairs.RUS-UKR.support", "war.pairs.RUS-POL.support"),
            ("war.pairs.UKR-RUS.support", "war.pairs.RUS-POL.support"),
            ("ends_war: [RUS, UKR]", "ends_war: [RUS, POL]"),
            ("    - pair: [UKR, RUS]", "    - pair: [USA, RUS]"),
            ("{RUS: wider_war, UKR: war}", "{RUS: wider_war, USA: war}"),
            ("front: {UKR: 0.7}", "front: {USA: 0.7}"),
        ],
        ("  at_start:", "at_start"),
        ("war", "at_start"),
        "war.at_start needs lasting wars",
    ),
]


@pytest.mark.parametrize(
    ("edits", "at", "loc", "fragment"),
    [c[1:] for c in CHECKS if c[0] != "a war at start with wars that end the run"],
    ids=[c[0] for c in CHECKS if c[0] != "a war at start with wars that end the run"],
)
def test_each_check_is_a_positioned_error(edits, at, loc, fragment):
    text = edit(*edits)
    assert_problem(text, where(text, *at), loc, fragment)


def test_a_war_at_start_with_wars_that_end_the_run_is_a_positioned_error():
    text = edit(
        ("  ends_run: false\n", ""),
        ("      support: 0.3\n", ""),
        ("  at_start:\n    - pair: [UKR, RUS]", "  at_start:\n    - pair: [USA, RUS]"),
        ("{RUS: wider_war, UKR: war}", "{RUS: wider_war, USA: war}"),
        ("front: {UKR: 0.7}", "front: {USA: 0.7}"),
    )
    text = edit(
        (text[text.index("  pairs:\n") : text.index("  at_start:\n")], ""),
        ("    ends_war: [RUS, UKR]\n", ""),
        (text[text.index("conditions:") :], ""),
        text=text,
    )
    assert_problem(
        text,
        where(text, "  at_start:", "at_start"),
        ("war", "at_start"),
        ("war.at_start needs lasting wars"),
    )


def test_a_power_may_start_at_war_when_the_powers_pair_is_at_start():
    text = edit(
        (
            '      since: "2022-02-24"\n',
            '      since: "2022-02-24"\n    - pair: [RUS, USA]\n'
            "      intensity: {USA: war, RUS: limited_nuclear}\n",
        ),
        ("    nuclear: true\n  - id: RUS", "    nuclear: true\n    initial_rung: war\n  - id: RUS"),
        ("    exchange_risk_scale: 0.5\n", "    exchange_risk_scale: 0.5\n    initial_rung: 4\n"),
    )
    p = compile_params(load_text(text, "v3.yaml"))
    assert p.initial_rung[0] == 2
    assert p.at_start_sides[1].tolist() == [0, 1]  # the powers' pair: power_a first
    assert p.at_start_intensity[1].tolist() == [2, 4]


def test_lasting_wars_in_a_condition_or_a_sweep_allow_pairs_in_the_base():
    base = edit(("  ends_run: false\n", "  ends_run: true\n"))
    in_condition = edit(
        ("      war.pairs.RUS-UKR.support: 0.6\n", "      war.ends_run: false\n"), text=base
    )
    s = load_text(in_condition, "v3.yaml")
    assert compile_params(s).ends_run is True
    assert compile_params(with_condition(s, "supplied")).ends_run is False
    in_sweep = edit(
        ('    war.pairs.UKR-RUS.support: "0:1:3"\n', "    war.ends_run: [true, false]\n"),
        ("  supplied:\n    set:\n      war.pairs.RUS-UKR.support: 0.6\n", ""),
        text=base,
    )
    assert load_text(in_sweep, "v3.yaml").war.ends_run is True


def test_a_set_event_cannot_change_how_wars_end_or_who_is_at_war():
    for path in (
        "war.ends_run",
        "war.pairs.RUS-UKR.pair",
        "war.pairs.RUS-UKR.patron.UKR",
        "war.at_start.RUS-UKR.front.UKR",
        "actors.RUS.nuclear",
    ):
        text = edit(
            (
                "conditions:\n",
                f"events:\n  - {{round: 2, kind: set, path: {path}, value: false}}\nconditions:\n",
            )
        )
        assert_problem(
            text,
            where(text, f"path: {path}", path),
            ("events", 0, "path"),
            "cannot change during a run",
        )
    text = edit(
        (
            "conditions:\n",
            "events:\n  - {round: 2, kind: set, path: war.pairs.RUS-UKR.support, value: 0.9}\n"
            "conditions:\n",
        )
    )
    assert load_text(text, "v3.yaml").events[0].path == "war.pairs.RUS-UKR.support"


def test_conditions_and_sweeps_address_pairs_by_their_ids_in_either_order():
    s = load_text(BASE, "v3.yaml")
    assert s.sweep is not None
    assert "war.pairs.UKR-RUS.support" in s.sweep.vary
    text = edit(("war.pairs.RUS-UKR.support: 0.6", "war.pairs.RUS-POL.support: 0.6"))
    assert_problem(
        text,
        where(text, "war.pairs.RUS-POL.support", "war.pairs"),
        ("conditions", "supplied", "set", "war.pairs.RUS-POL.support"),
        "war.pairs has no item 'RUS-POL'; expected one of: RUS-UKR",
    )
    text = edit(("war.pairs.RUS-UKR.support: 0.6", "war.pairs.RUS-UKR.support: 1.5"))
    assert_problem(
        text,
        where(text, "support: 1.5", "1.5"),
        ("conditions", "supplied", "set", "war.pairs.RUS-UKR.support"),
        "expected a number <= 1",
    )


def test_the_cli_refuses_a_bad_version_3_file_with_its_position_and_exit_2(tmp_path):
    text = edit(("touches: POL", "touches: UKR"))
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    code, _out, err = cli("validate", str(bad))
    line, col = where(text, "touches: UKR", "UKR")
    assert code == 2, err
    assert f"{bad}:{line}:{col}: war.pairs[0].spillover.touches: a spillover touches" in err
    assert "Traceback" not in err


# ------------------------------------------------------------------------------------------------
# Version-3 fields in older files
# ------------------------------------------------------------------------------------------------
V2_BASE = shipped.path_of("ipd-noise").read_text(encoding="utf-8")


def test_a_version_3_field_in_a_version_2_file_is_an_error_at_its_key():
    text = BASE.replace("schema_version: 3", "schema_version: 2")
    found = problems_of(text)
    assert {p.loc for p in found} >= {
        ("ladder", "rungs", 3, "war_advantage"),
        ("ladder", "strategic_rung"),
        ("war", "ends_run"),
        ("war", "pairs"),
        ("actors", 0, "nuclear"),
        ("agenda", 0, "names"),
    }
    assert_problem(
        text,
        where(text, "strategic_rung: strategic_exchange", "strategic_rung"),
        ("ladder", "strategic_rung"),
        "'strategic_rung' is a schema_version 3 field, and the file says schema_version: 2; "
        "write schema_version: 3 to use it (docs/scenario-format.md, 'Version 3')",
    )


def test_a_version_3_field_in_a_version_2_doctrine_condition_sweep_or_event_is_an_error():
    text = V2_BASE.replace(
        "conditions:\n", "conditions:\n  lasting:\n    set:\n      war.ends_run: false\n", 1
    )
    assert_problem(
        text,
        where(text, "war.ends_run: false", "war.ends_run"),
        ("conditions", "lasting", "set", "war.ends_run"),
        "'ends_run' is a schema_version 3 field, and the file says schema_version: 2",
    )
    doctrine = V2_BASE.replace("actors:\n", "doctrines:\n  armed:\n    nuclear: true\nactors:\n", 1)
    assert_problem(
        doctrine,
        where(doctrine, "    nuclear: true", "nuclear"),
        ("doctrines", "armed", "nuclear"),
        "'nuclear' is a schema_version 3 field",
    )
    event = V2_BASE.replace(
        "conditions:\n",
        "events:\n  - {round: 2, kind: set, path: war.front_step, value: 0.2}\nconditions:\n",
        1,
    )
    if "\nevents:" not in V2_BASE:
        assert_problem(
            event,
            where(event, "path: war.front_step", "war.front_step"),
            ("events", 0, "path"),
            "'front_step' is a schema_version 3 field",
        )
    swept = V2_BASE + "sweep:\n  vary:\n    war.front_step: [0.1, 0.2]\n"
    assert_problem(
        swept,
        where(swept, "war.front_step: [0.1", "war.front_step"),
        ("sweep", "vary", "war.front_step"),
        "'front_step' is a schema_version 3 field",
    )


def test_a_version_3_field_in_a_version_1_file_cannot_be_migrated():
    text = (V1 / "ipd-noise.yaml").read_text(encoding="utf-8")
    text = text.replace("    role: power\n", "    role: power\n    nuclear: true\n", 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ScenarioMigrationWarning)
        found = problems_of(text)
    line, col = where(text, "nuclear: true", "nuclear")
    assert [(p.line, p.column, p.loc[-1]) for p in found] == [(line, col, "nuclear")]
    assert "'nuclear' is a schema_version 3 field, and the file says schema_version: 1" in (
        found[0].message
    )


# ------------------------------------------------------------------------------------------------
# Migration: 2 -> 3 and 1 -> 3
# ------------------------------------------------------------------------------------------------
def _equal_params(a: Params, b: Params) -> list[str]:
    out = []
    for f in Params.__dataclass_fields__:
        x, y = getattr(a, f), getattr(b, f)
        same = (
            x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y, equal_nan=True)
            if isinstance(x, np.ndarray)
            else x == y
        )
        if not same:
            out.append(f)
    return out


@pytest.mark.parametrize("name", V2_SHIPPED)
def test_a_shipped_scenario_and_its_migration_to_version_3_compile_and_hash_alike(name):
    text = shipped.path_of(name).read_text(encoding="utf-8")
    out, migration = migrate_text(text, f"{name}.yaml")
    assert migration is not None
    assert migration.from_version == 2
    old, new = text.splitlines(), out.splitlines()
    ops = difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()
    changed = [(tag, old[i1:i2], new[j1:j2]) for tag, i1, i2, j1, j2 in ops if tag != "equal"]
    assert changed == [
        ("replace", ["schema_version: 2"], ["schema_version: 3"]),
        ("insert", [], ["  ends_run: true"]),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ScenarioMigrationWarning)
        v3 = load_text(out, name)
    v2 = load_scenario(name)
    assert v3.schema_version == 3
    assert v3.war.ends_run is True
    assert scenario_hash(v3) == scenario_hash(v2)
    assert canonical_scenario(v3)[0] == canonical_scenario(v2)[0]
    for condition in v2.condition_names:
        a, b = with_condition(v2, condition), with_condition(v3, condition)
        assert _equal_params(compile_params(a), compile_params(b)) == [], condition
        sa, sb = schedule(a), schedule(b)
        for t, (pa, pb) in enumerate(zip(sa.params_at, sb.params_at, strict=True)):
            if t in (0, len(sa.params_at) - 1) or pa is not sa.params_at[t - 1]:
                assert _equal_params(pa, pb) == [], (condition, t)
    assert migrate_text(out, name) == (out, None)


def test_a_version_3_scenario_off_the_defaults_has_its_own_hash():
    text = shipped.path_of("hotline-1963").read_text(encoding="utf-8")
    out, _ = migrate_text(text, "h.yaml")
    changed = out.replace("  ends_run: true", "  ends_run: true\n  front_step: 0.2")
    assert scenario_hash(load_text(changed, "h")) != scenario_hash(load_text(out, "h"))
    data, _ = canonical_scenario(load_text(changed, "h"))
    assert data["schema_version"] == 3
    assert data["war"]["front_step"] == 0.2


def test_migrate_2_to_3_without_a_war_block_in_flow_style_and_with_crlf():
    text = V2_BASE
    start = text.index("\nwar:\n") + 1
    end = text.index("\n", text.index("decisiveness", start)) + 1
    no_war = text[:start] + text[end:]
    out, migration = migrate_text(no_war, "n.yaml")
    assert migration is not None
    assert "\nwar:\n  ends_run: true\n" in out
    assert parse_yaml(out)[0]["war"] == {"ends_run": True}
    load_text(out, "n.yaml")
    flow_war = text[:start] + "war: {decisiveness: 1.0}\n" + text[end:]
    out, _ = migrate_text(flow_war, "f.yaml")
    assert "war: {decisiveness: 1.0, ends_run: true}\n" in out
    empty_war = text[:start] + "war: {}\n" + text[end:]
    out, _ = migrate_text(empty_war, "e.yaml")
    assert "war: {ends_run: true}\n" in out
    import json

    data = parse_yaml(V2_BASE)[0]
    for doc in (json.dumps(data), json.dumps({k: v for k, v in data.items() if k != "war"})):
        out, _ = migrate_text(doc, "j.yaml")
        migrated = json.loads(out)
        assert migrated["schema_version"] == 3
        assert migrated["war"]["ends_run"] is True
    crlf = V2_BASE.replace("\n", "\r\n")
    out, _ = migrate_text(crlf, "c.yaml")
    assert "\n" not in out.replace("\r\n", "")
    assert "  ends_run: true\r\n" in out
    bare = V2_BASE.rstrip("\n")
    out, _ = migrate_text(bare, "b.yaml")
    assert parse_yaml(out)[0]["war"]["ends_run"] is True


def test_migrate_refuses_a_version_2_line_it_cannot_rewrite():
    text = V2_BASE.replace("schema_version: 2", "schema_version: &two 2").replace(
        "  jump: 1", "  jump: *two"
    )
    if text.count("*two") == 0:
        pytest.skip("no jump line to alias")
    with pytest.raises(ScenarioError) as info:
        migrate_text(text, "a.yaml")
    (problem,) = info.value.problems
    assert "escalsim migrate rewrites a plain 'schema_version: 2'" in problem.message


def test_the_migrate_command_rewrites_a_version_2_file_as_version_3(tmp_path):
    source = tmp_path / "crisis.yaml"
    # A shipped version-2 file (geneva-2022 was this test's until it was written in version 3).
    source.write_text(shipped.path_of("hotline-1963").read_text(encoding="utf-8"), encoding="utf-8")
    code, _out, err = cli("migrate", str(source), "--in-place")
    assert code == 0, err
    assert err.startswith(f"{source}: schema_version 2 -> 3; what changed:\n  - ")
    assert "Nothing a run computes changes" in err
    text = source.read_text(encoding="utf-8")
    assert "\nschema_version: 3\n" in text
    assert "\n  ends_run: true\n" in text
    code, _, err = cli("migrate", str(source))
    assert code == 0
    assert "already schema_version 3; nothing to migrate" in err


@pytest.mark.parametrize("name", ["ipd-noise", "hotline-1963"])
def test_a_version_1_file_migrates_to_version_3_as_on_load(name):
    text = (V1 / f"{name}.yaml").read_text(encoding="utf-8")
    out, migration = migrate_text(text, f"{name}.yaml")
    assert migration is not None
    assert migration.from_version == 1
    assert parse_yaml(out)[0]["war"] == {"decisiveness": 1.0, "ends_run": True}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScenarioMigrationWarning)
        on_load = load_scenario(V1 / f"{name}.yaml")
    migrated = load_text(out, name)
    assert migrated.model_dump() == on_load.model_dump()
    assert migrated.schema_version == 3
    assert _equal_params(compile_params(migrated), compile_params(on_load)) == []


# ------------------------------------------------------------------------------------------------
# Generated: an exchange is worse than any war
# ------------------------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(
    rho_a=st.floats(0.05, 1.0),
    rho_b=st.floats(0.05, 1.0),
    value=st.floats(-30.0, 1.0),
)
def test_exchange_value_is_accepted_exactly_below_every_powers_value_of_war(rho_a, rho_b, value):
    # c = 1/ρ - 1 + p (docs/decision-v2.md §3.3), so a power's value of war p - c is 1 - 1/ρ.
    bound = min(1 - 1 / rho_a, 1 - 1 / rho_b)
    if abs(value - bound) < 1e-9:
        return
    text = edit(
        ("    resolve: 0.6\n", f"    resolve: {rho_a!r}\n"),
        ("    resolve: 0.7\n", f"    resolve: {rho_b!r}\n"),
        ("exchange_value: -40.0", f"exchange_value: {value!r}"),
    )
    if value < bound:
        assert load_text(text, "v3.yaml").war.exchange_value == value
    else:
        assert_problem(
            text,
            where(text, f"exchange_value: {value!r}", f"{value!r}"),
            ("war", "exchange_value"),
            "an exchange must be worse than any war",
        )


def test_settings_and_sweep_values_on_a_version_2_scenario_refuse_version_3_fields():
    from escalsim.scenario import with_settings
    from escalsim.scenario.load import check_values

    v2 = load_scenario("ipd-noise")
    (problem,) = check_values(v2, "war.ends_run", [False])
    assert "'ends_run' is a schema_version 3 field" in problem.message
    with pytest.raises(ScenarioError) as info:
        with_settings(v2, {"actors.A.nuclear": True}, "--set")
    assert any("'nuclear' is a schema_version 3 field" in p.message for p in info.value.problems)
    v3 = load_text(BASE, "v3.yaml")
    assert check_values(v3, "war.pairs.RUS-UKR.support", [0.0, 0.5, 1.0]) == []
    assert with_settings(v3, {"war.front_step": 0.2}).war.front_step == 0.2


def test_a_power_at_war_at_start_starts_at_its_intensity():
    """pair-wars §3.1: a power's rung above the war rung is its intensity; the two must agree."""
    text = edit(
        (
            '      since: "2022-02-24"\n',
            '      since: "2022-02-24"\n    - pair: [RUS, USA]\n'
            "      intensity: {USA: war, RUS: limited_nuclear}\n",
        ),
        ("    nuclear: true\n  - id: RUS", "    nuclear: true\n    initial_rung: war\n  - id: RUS"),
        (
            "    exchange_risk_scale: 0.5\n",
            "    exchange_risk_scale: 0.5\n    initial_rung: wider_war\n",
        ),
    )
    assert_problem(
        text,
        where(text, "initial_rung: wider_war", "wider_war"),
        ("actors", 1, "initial_rung"),
        "the powers are at war at start (war.at_start[1]), where RUS's intensity is "
        "'limited_nuclear'; its initial_rung is that rung",
    )
    missing = edit(("    initial_rung: wider_war\n", ""), text=text)
    assert_problem(
        missing,
        where(missing, "  - id: RUS", "id"),
        ("actors", 1, "initial_rung"),
        "write initial_rung: limited_nuclear",
    )
