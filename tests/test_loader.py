"""The loader's mechanisms: doctrines, field paths, conditions, YAML 1.2 reading."""

from __future__ import annotations

import pytest

from escalsim.scenario import BUILTIN_DOCTRINES, ScenarioError, load_text, with_condition
from escalsim.scenario.errors import Problem, format_loc
from escalsim.scenario.paths import PathError, resolve
from escalsim.scenario.yamlio import parse_yaml

BASE = """\
schema_version: 2
id: t
name: Test
run: {rounds: 10, time_unit: day}
ladder:
  rungs:
    - {name: calm, cost: 0}
    - {name: tense, cost: 0.5}
    - {name: war, cost: 2}
  war_rung: war
actors:
  - {id: A, name: Aland, role: power, capability: 1, resolve: 0.5, doctrine: hawk}
  - id: NO
    name: Norway
    role: power
    capability: 1
    resolve: 0.5
    doctrine: dove
    audience_cost: 0.9
    policy: {name: bargaining, precision: 9}
channels:
  - {id: public, kind: public, noise: 0.2}
  - {id: hot, kind: hotline, between: [A, "NO"], noise: 0.0}
events:
  - {id: cut, round: 3, kind: channel, channel: hot, open: false}
conditions:
  as_is: {}
  shut: {set: {channels.hot.open: false}, remove: [events.cut]}
"""


def test_yaml12_country_code_no_stays_a_string():
    s = load_text(BASE)
    assert s.actors[1].id == "NO"
    assert s.channels[1].between == ["A", "NO"]


def test_builtin_doctrine_fills_unset_fields_only():
    s = load_text(BASE)
    hawk = BUILTIN_DOCTRINES["hawk"]
    assert s.actors[0].audience_cost == hawk["audience_cost"]
    assert s.actors[0].attribution == hawk["attribution"] == "naive"
    assert s.actors[0].resolve == 0.5  # explicit value wins (the doctrine's is 0.7)
    assert s.actors[0].policy.name == "bargaining"  # a doctrine sets no policy: the default
    dove = s.actors[1]
    assert dove.audience_cost == 0.9  # explicit value wins
    assert dove.attribution == BUILTIN_DOCTRINES["dove"]["attribution"] == "noisy"  # filled
    assert dove.policy.precision == 9
    # A doctrine's resolve is not used by an actor that gives its type as war_cost.
    text = BASE.replace("resolve: 0.5, doctrine: hawk", "war_cost: 0.2, doctrine: hawk")
    assert load_text(text).actors[0].resolve is None


def test_custom_doctrine_and_a_different_policy_replaces_the_doctrines():
    text = BASE.replace("doctrine: hawk", "doctrine: cautious, policy: {name: reciprocal}")
    text = text.replace("channels:", "doctrines:\n  cautious: {audience_cost: 0.1}\nchannels:", 1)
    s = load_text(text)
    assert s.actors[0].audience_cost == 0.1
    assert s.actors[0].policy.name == "reciprocal"


def test_error_in_a_doctrine_value_points_at_the_doctrine():
    text = BASE.replace("channels:", "doctrines:\n  odd: {honesty: 3}\nchannels:", 1)
    text = text.replace("doctrine: hawk", "doctrine: odd")
    with pytest.raises(ScenarioError) as err:
        load_text(text, "x.yaml")
    (p,) = err.value.problems
    assert (p.line, p.column) == (22, 18)  # the 3 in "  odd: {honesty: 3}"
    assert "set by doctrine 'odd'" in p.message


def test_conditions_apply_set_and_remove():
    s = load_text(BASE)
    assert s.condition_names == ["as_is", "shut"]
    shut = with_condition(s, "shut")
    assert shut.channels[1].open is False
    assert shut.events == []
    assert with_condition(s, "as_is") == s
    # the base is untouched
    assert s.channels[1].open is True
    assert len(s.events) == 1


def test_with_condition_unknown_name_suggests():
    s = load_text(BASE)
    with pytest.raises(KeyError, match="did you mean 'shut'"):
        with_condition(s, "shot")


def test_no_conditions_means_a_single_base_condition():
    s = load_text(BASE.split("conditions:", maxsplit=1)[0])
    assert s.condition_names == ["base"]
    assert with_condition(s, "base") is s


def test_with_condition_on_a_scenario_built_in_python():
    s = load_text(BASE)
    rebuilt = type(s).model_validate(s.model_dump())
    assert with_condition(rebuilt, "shut").channels[1].open is False


@pytest.mark.parametrize(
    ("path", "loc"),
    [
        ("channels.hot.noise", ("channels", 1, "noise")),
        ("channels.1.noise", ("channels", 1, "noise")),
        ("actors.NO.policy.precision", ("actors", 1, "policy", "precision")),
        ("ladder.rungs.tense.cost", ("ladder", "rungs", 1, "cost")),
        ("channels.hot.latency", ("channels", 1, "latency")),  # not in the file: a default
        ("run.rounds", ("run", "rounds")),
    ],
)
def test_paths_resolve_by_id_name_and_index(path, loc):
    data, _ = parse_yaml(BASE)
    assert resolve(data, path).loc == loc


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("channels.hott.noise", "did you mean 'hot'?"),
        ("channels.hot.nosie", "did you mean 'noise'?"),
        ("actors.A.resolve.x", "single value"),
        ("", "not a field path"),
        ("run..rounds", "not a field path"),
        ("colour", "not a field of the scenario"),
    ],
)
def test_bad_paths_say_what_was_expected(path, fragment):
    data, _ = parse_yaml(BASE)
    with pytest.raises(PathError, match=fragment.replace("?", r"\?")):
        resolve(data, path)


def test_positions_are_one_based_and_point_at_keys_and_values():
    _, pos = parse_yaml(BASE)
    assert pos.key(("run",)) == (4, 1)
    assert pos.value(("run", "rounds")) == (4, 15)
    assert pos.key(("actors", 1, "resolve")) == (17, 5)
    assert pos.value(("actors", 1, "resolve")) == (17, 14)


def test_merge_keys_fill_without_overriding():
    data, _ = parse_yaml("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n")
    assert data["other"] == {"x": 1, "y": 3}


def test_problem_formats():
    assert str(Problem(3, 4, ("a", 0, "b"), "bad", "f.yaml")) == "f.yaml:3:4: a[0].b: bad"
    assert str(Problem(1, 1, (), "empty", "f.yaml")) == "f.yaml:1:1: empty"
    assert str(Problem(0, 0, (), "no such file", "f.yaml")) == "f.yaml: no such file"
    assert format_loc(()) == "<root>"


def test_all_problems_come_sorted_by_position():
    text = BASE.replace("rounds: 10", "rounds: -1").replace("noise: 0.2", "noise: 7")
    text = text.replace("capability: 1, resolve", "capability: x, resolve")
    with pytest.raises(ScenarioError) as err:
        load_text(text)
    lines = [p.line for p in err.value.problems]
    assert lines == sorted(lines)
    assert len(lines) == 3
