"""Schema version 2: its fields compiled into Params, and the migration of version-1 files.

* Every shipped scenario, as it was in version 1 (tests/corpus/v1, the files before this
  version) and as shipped now (version 2, migrated by hand with justified values), compiles to
  the same version-1 parameters but the decision rule (``DECISION_FIELDS``: the policies and
  the attribution, which version 2 replaced), in every condition and every round (but those
  written in version 2, ``BORN_V2``, which had no version 1).
* A version-1 file is migrated as it is read, with one notice (a ScenarioMigrationWarning in
  Python, a message on stderr from the CLI); ``escalsim migrate`` writes the same migration into
  the file, keeping every other byte.
* The version-2 fields compile with the equations of escalsim.core.bargaining; hostile inputs
  (the corpus, generated scenarios) get positioned errors, from ``migrate`` as from the loader.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuzzkit
from conftest import cli_in_process as cli
from escalsim.core import bargaining as bg
from escalsim.core.params import (
    RESOLVE_FLOOR,
    V2_FIELDS,
    V3_FIELDS,
    Params,
    compile_params,
    schedule,
    win_probabilities,
)
from escalsim.errors import ScenarioMigrationWarning
from escalsim.scenario import ScenarioError, load_scenario, load_text, shipped, with_condition
from escalsim.scenario.migrate import Migration, migrate_file, migrate_text
from escalsim.scenario.schema import DEFAULT_DISCOUNT
from escalsim.scenario.yamlio import parse_yaml
from strategies import scenario_dicts

V1 = Path(__file__).parent / "corpus" / "v1"
NAMES = shipped.names()
#: Shipped scenarios written after version 2, in fields version 1 cannot hold (a prior over
#: ``war_cost``, scripted offers): they never had a version-1 file, so they have no copy in
#: tests/corpus/v1 and nothing to compare before and after the migration.
BORN_V2 = {"fearon", "preventive-war", "generic-crisis", "superpower-crisis"}
#: Shipped scenarios written in version 3 (wars between pairs): no version-1 or version-2 file.
BORN_V3 = {"ukraine-talks-2022"}
#: Shipped scenarios that had a version-1 and a version-2 file and are now written in version 3
#: (docs/pair-wars.md §12 step 5): their version-1 copy still migrates, and what it shares with
#: the shipped file is compared, but not version 3's fields nor the ladder above the war rung,
#: which version 3 rewrote (geneva-2022: `nuclear_use` re-costed, wider war and a strategic
#: exchange added; every rung up to the war rung is compared).
MIGRATED_V3 = {"geneva-2022"}
#: Per-rung fields a version-3 rewrite re-set below the war rung, with the reason in the file:
#: geneva-2022's `war_risk` now prices a war between the powers only (in version 2 it was also
#: the invasion, now the pair's chosen war), and takes ukraine-talks-2022's values made weekly.
RESET_V3 = {"geneva-2022": {"war_risk"}}
#: Historical scenarios rebuilt for issue 19 from the calibrated models and their cases' facts
#: (docs/calibration.md): their numbers changed on purpose, so the migration is checked against
#: the hand-set file the rebuild started from, kept beside the script that measures the rebuild.
REBUILT = {
    "hotline-1963": Path(__file__).parents[1] / "scripts" / "data" / "hotline-1963-handset.yaml",
    "able-archer-1983": (
        Path(__file__).parents[1] / "scripts" / "data" / "able-archer-1983-handset.yaml"
    ),
    "geneva-2022": Path(__file__).parents[1] / "scripts" / "data" / "geneva-2022-handset.yaml",
}
#: Version-2 fields of ``stakes`` a rebuilt scenario may add (a fait accompli, talks opened
#: late: docs/decision-v2.md §3.6 and §3.10), beside the four every scenario sets.
STAKES_OPTIONAL = {"held_at", "talks_open"}
STAKES_REQUIRED = {"status_quo", "discount", "divisible", "commitment_problem"}
V1_NAMES = [n for n in NAMES if n not in BORN_V2 | BORN_V3]
V2_NAMES = [n for n in NAMES if n not in BORN_V3 | MIGRATED_V3]
V3_NAMES = sorted(BORN_V3 | MIGRATED_V3)
#: Known-answer scenarios whose δ is part of the answer, not the time unit's default:
#: preventive-war's commitment gap depends on δ (its header derives the numbers at δ = 0.8).
#: hotline-1963's δ is generic-crisis's weekly 0.95 made daily (its rebuild, docs/calibration.md).
GIVEN_DISCOUNT = {"preventive-war": 0.8, "hotline-1963": 0.9927}
#: ukraine-talks-2022's δ is generic-crisis's weekly 0.95 made monthly, 0.95^4.348 (its rebuild,
#: docs/calibration.md); geneva-2022's is generic-crisis's weekly 0.95.
GIVEN_DISCOUNT_V3 = {"ukraine-talks-2022": 0.80009, "geneva-2022": 0.95}
#: What version 2 changed of a version-1 file's meaning: the decision rule (quantal replaced by
#: the defaults by role) and how the actors read each other (the doctrines' attribution).
DECISION_FIELDS = {"policies", "attribution"}
V1_FIELDS = [
    f for f in Params.__dataclass_fields__ if f not in V2_FIELDS and f not in DECISION_FIELDS
]


def _quiet_load(path: Path | str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScenarioMigrationWarning)
        return load_scenario(path)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    return bool(a == b)


def _v1_differences(a: Params, b: Params) -> list[str]:
    return [f for f in V1_FIELDS if not _same(getattr(a, f), getattr(b, f))]


#: The ladder's per-rung fields of version 1, compared up to the war rung for MIGRATED_V3.
LADDER_ARRAYS = ("costs", "incident_risk", "war_risk", "rung_names")
#: What a ladder with rungs added above war changes of version 1's fields besides the arrays.
LADDER_ABOVE_WAR = ("n_rungs", "nuclear_rung")


def _v1_differences_kept(a: Params, b: Params, reset: frozenset[str] = frozenset()) -> list[str]:
    """Version-1 differences for a file rewritten in version 3: its fields and the rungs above
    war left out, the rungs up to the war rung compared but for the fields in ``reset``."""
    skip = set(V3_FIELDS) | set(LADDER_ARRAYS) | set(LADDER_ABOVE_WAR)
    out = [f for f in _v1_differences(a, b) if f not in skip]
    if a.war_rung != b.war_rung:
        return [*out, "war_rung"]
    top = int(a.war_rung) + 1
    for f in (f for f in LADDER_ARRAYS if f not in reset):
        if list(getattr(a, f))[:top] != list(getattr(b, f))[:top]:
            out.append(f)
    return out


# ------------------------------------------------------------------------------------------------
# The shipped scenarios: version 1 before, version 2 now, the same numbers for the round
# ------------------------------------------------------------------------------------------------
def test_the_version_1_copies_are_the_shipped_scenarios_of_version_1():
    assert set(NAMES) >= BORN_V2 | BORN_V3
    assert sorted(p.stem for p in V1.glob("*.yaml")) == V1_NAMES
    for name in V1_NAMES:
        assert "\nschema_version: 1\n" in (V1 / f"{name}.yaml").read_text(encoding="utf-8")
    for name in V2_NAMES:
        assert "\nschema_version: 2\n" in shipped.path_of(name).read_text(encoding="utf-8")
    for name in V3_NAMES:
        assert "\nschema_version: 3\n" in shipped.path_of(name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", V1_NAMES)
def test_shipped_scenario_compiles_to_the_same_version_1_parameters_before_and_after(name):
    """What the round reads, but the decision rule, is unchanged by the migration, in every
    condition and round; the decision rule is the same after the migration on load as in the
    file migrated by hand."""
    before = _quiet_load(V1 / f"{name}.yaml")
    after = _quiet_load(REBUILT[name]) if name in REBUILT else load_scenario(name)
    # Conditions written in version 2 (brinkmanship's private types) have no version 1.
    assert after.condition_names[: len(before.condition_names)] == before.condition_names
    for condition in before.condition_names:
        old, new = (
            schedule(with_condition(before, condition)),
            schedule(with_condition(after, condition)),
        )
        assert len(old.params_at) == len(new.params_at)
        reset = frozenset(RESET_V3.get(name, ()))
        for t, (a, b) in enumerate(zip(old.params_at, new.params_at, strict=True)):
            if name in MIGRATED_V3:
                assert _v1_differences_kept(a, b, reset) == [], (condition, t)
            else:
                assert _v1_differences(a, b) == [], (condition, t)
            assert [x.name for x in a.policies] == [x.name for x in b.policies], (condition, t)
        assert old.channel_events == new.channel_events
        assert old.summits == new.summits
        assert old.incidents == new.incidents
        assert old.descriptions == new.descriptions


@pytest.mark.parametrize("name", V2_NAMES)
def test_shipped_scenario_loads_without_a_notice_and_sets_every_version_2_block(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ScenarioMigrationWarning)
        load_scenario(name)
    data, _ = parse_yaml(shipped.path_of(name).read_text(encoding="utf-8"))
    # Each shipped scenario says whether it uses each option (docs/decision-v2.md §3.9).
    assert STAKES_REQUIRED <= set(data["stakes"]) <= STAKES_REQUIRED | STAKES_OPTIONAL
    assert set(data["war"]) == {"decisiveness"}
    # ... and the hand-set historical scenarios say which look-ahead they were set under.
    assert {"attribution"} <= set(data["beliefs"]) <= {"attribution", "continuation"}
    expected = GIVEN_DISCOUNT.get(name, DEFAULT_DISCOUNT[data["run"]["time_unit"]])
    assert data["stakes"]["discount"] == expected


def test_the_crisis_scenarios_have_private_types_and_the_known_answers_point_types():
    """geneva, hotline, able-archer and generic-dispute: priors over types whose mean is the
    version-1 resolve; brinkmanship, ipd-noise and preventive-war have point types (their known
    answers);
    fearon's answer is a known cost for A and a uniform grid of 100 for B."""
    for name in NAMES:
        p = compile_params(load_scenario(name))
        n_types = p.cost_types.shape[1]
        if name in ("brinkmanship", "ipd-noise", "preventive-war"):
            assert n_types == 1
        elif name == "fearon":
            assert n_types == 100
            assert p.cost_prior[0].tolist() == [1.0] + [0.0] * 99  # padded with no mass
            assert np.all(np.diff(p.cost_types[1]) > 0)
        else:
            assert n_types >= 3
            assert np.all(np.diff(p.cost_types, axis=1) > 0)
        np.testing.assert_allclose(p.cost_prior.sum(axis=1), 1.0)


# ------------------------------------------------------------------------------------------------
# Migration as a file is read
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", V1_NAMES)
def test_a_version_1_file_is_migrated_on_load_with_one_notice(name):
    path = V1 / f"{name}.yaml"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scenario = load_scenario(path)
        for condition in scenario.condition_names:  # conditions re-run no migration
            with_condition(scenario, condition)
    notices = [w for w in caught if issubclass(w.category, ScenarioMigrationWarning)]
    assert len(notices) == 1
    text = str(notices[0].message)
    assert text.startswith(f"{path}: schema_version 1, migrated to 3 as it was read")
    assert f"escalsim migrate {path} --in-place" in text
    for what in ("stakes added", "war added", "beliefs added", "resolve kept", "honesty kept"):
        assert what in text
    assert "now runs under decision model version 2" in text
    # The warning is attributed to the caller (this file), not to escalsim's own code.
    assert notices[0].filename == __file__
    assert scenario.schema_version == 3
    assert scenario.war.ends_run is True  # written by the migration: version 2's ending
    assert scenario._raw is not None
    assert scenario._raw["schema_version"] == 3


def test_the_migrated_defaults_follow_the_time_unit():
    text = (V1 / "brinkmanship.yaml").read_text(encoding="utf-8")
    for unit, delta in DEFAULT_DISCOUNT.items():
        variant = text.replace("time_unit: day", f"time_unit: {unit}")
        with pytest.warns(ScenarioMigrationWarning, match=f"discount {delta} "):
            s = load_text(variant, "b.yaml")
        p = compile_params(s)
        assert p.discount == delta
        assert p.status_quo.tolist() == [0.5, 0.5]
        assert (p.divisible, p.commitment_problem) == (True, False)
        assert p.decisiveness == 1.0
        assert set(p.attribution) == {"naive"}


def test_an_invalid_version_1_file_gets_its_problems_and_no_notice():
    text = (V1 / "ipd-noise.yaml").read_text(encoding="utf-8").replace("noise: 0.0", "noise: 2")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ScenarioMigrationWarning)
        with pytest.raises(ScenarioError) as info:
            load_text(text, "bad.yaml")
    (problem,) = info.value.problems
    assert problem.loc == ("channels", 0, "noise")
    line = text.splitlines()[problem.line - 1]
    assert line.strip().startswith("noise: 2")  # the position in the file as written


# ------------------------------------------------------------------------------------------------
# Migration of the text: escalsim migrate
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", V1_NAMES)
def test_migrate_text_keeps_every_line_and_gives_what_loading_gives(name):
    text = (V1 / f"{name}.yaml").read_text(encoding="utf-8")
    out, migration = migrate_text(text, f"{name}.yaml")
    assert isinstance(migration, Migration)
    old, new = text.splitlines(), out.splitlines()
    ops = [op for op in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()]
    changed = [(tag, old[i1:i2], new[j1:j2]) for tag, i1, i2, j1, j2 in ops if tag != "equal"]
    assert ("replace", ["schema_version: 1"], ["schema_version: 3"]) in changed
    # Nothing removed but version 1's decision fields (risk_tolerance, a quantal policy).
    assert all(tag in ("insert", "delete") for tag, *_ in changed if tag != "replace")
    removed = [line for tag, lines, _ in changed if tag == "delete" for line in lines]
    assert all("risk_tolerance:" in line or "name: quantal" in line for line in removed)
    assert len(removed) == len(migration.removed)
    # Every comment of the file is still there, and the file loads without a notice, to the
    # same scenario as the migration on load.
    comments = [line for line in old if line.lstrip().startswith("#")]
    assert not any(
        "risk_tolerance:" in line or "quantal," in line for line in new if line not in comments
    )
    assert all(line in new for line in comments)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ScenarioMigrationWarning)
        migrated = load_text(out, name)
    on_load = _quiet_load(V1 / f"{name}.yaml")
    assert migrated.model_dump() == on_load.model_dump()
    assert migrate_text(out, name) == (out, None)  # version 3: nothing to do


def test_migrate_text_of_a_flow_document_a_crlf_file_and_a_file_without_a_final_newline():
    s = _quiet_load(V1 / "generic-dispute.yaml")
    raw = json.loads(json.dumps(s._raw))
    for key in ("stakes", "war", "beliefs"):
        raw.pop(key)
    raw["schema_version"] = 1
    flow = json.dumps(raw)  # JSON is YAML 1.2: a flow mapping at the root
    out, migration = migrate_text(flow, "flow.yaml")
    assert migration is not None
    assert json.loads(out)["stakes"]["discount"] == 0.95
    crlf = (V1 / "ipd-noise.yaml").read_text(encoding="utf-8").replace("\n", "\r\n")
    out, _ = migrate_text(crlf, "crlf.yaml")
    assert "\n" not in out.replace("\r\n", "")
    bare = (V1 / "ipd-noise.yaml").read_text(encoding="utf-8").rstrip("\n")
    out, _ = migrate_text(bare, "bare.yaml")
    for migrated in (json.loads(migrate_text(flow, "f")[0]), parse_yaml(out)[0]):
        assert migrated["schema_version"] == 3
        assert migrated["war"]["ends_run"] is True


def test_migrate_text_refuses_what_it_cannot_rewrite_in_place():
    """The version's value through an anchor that is reused: a positioned problem, no guess."""
    text = (V1 / "brinkmanship.yaml").read_text(encoding="utf-8")
    text = text.replace("schema_version: 1", "schema_version: &one 1").replace(
        "  jump: 1", "  jump: *one"
    )
    with pytest.warns(ScenarioMigrationWarning):
        load_text(text, "anchor.yaml")  # it loads: migration on load needs no rewriting
    with pytest.raises(ScenarioError) as info:
        migrate_text(text, "anchor.yaml")
    (problem,) = info.value.problems
    assert problem.loc == ("schema_version",)
    assert "escalsim migrate rewrites a plain 'schema_version: 1'" in problem.message


def test_migrate_command_writes_stdout_out_and_in_place(tmp_path):
    source = tmp_path / "crisis.yaml"
    source.write_text((V1 / "hotline-1963.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    source.chmod(0o640)
    code, out, err = cli("migrate", str(source))
    assert code == 0, err
    assert out.startswith("# yaml-language-server")
    assert "\nschema_version: 3\n" in out
    assert err.startswith(f"{source}: schema_version 1 -> 3; what changed:\n  - ")
    assert "discount 0.99" in err
    assert "schema_version: 1" in source.read_text(encoding="utf-8")  # untouched
    target = tmp_path / "v2.yaml"
    code, _, err = cli("migrate", str(source), "--out", str(target))
    assert code == 0, err
    assert target.read_text(encoding="utf-8") == out
    assert f"wrote {target}" in err
    link = tmp_path / "link.yaml"
    link.symlink_to(source)
    code, _, err = cli("migrate", str(link), "--in-place")
    assert code == 0, err
    assert link.is_symlink()  # the file it points to was rewritten, not the link
    assert source.read_text(encoding="utf-8") == out
    assert source.stat().st_mode & 0o777 == 0o640
    code, _, err = cli("migrate", str(source), "--in-place")  # again: nothing to do
    assert code == 0
    assert "already schema_version 3; nothing to migrate" in err
    assert source.read_text(encoding="utf-8") == out
    code, _, err = cli("validate", str(source))
    assert code == 0
    assert "migrated" not in err


def test_migrate_command_refuses_bad_input_with_positions_and_writes_nothing(tmp_path):
    target = tmp_path / "out.yaml"
    code, out, err = cli("migrate", str(V1 / "ipd-noise.yaml"), "--out", str(target), "--in-place")
    assert code == 2
    assert "--out FILE or --in-place, not both" in err
    assert out == ""
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (V1 / "ipd-noise.yaml").read_text(encoding="utf-8").replace("rounds: 2000", "rounds: 0"),
        encoding="utf-8",
    )
    code, out, err = cli("migrate", str(bad), "--out", str(target))
    assert (code, out) == (2, "")
    assert f"{bad}:" in err
    assert "run.rounds: expected a number >= 1, got 0" in err
    assert not target.exists()
    code, _, err = cli("migrate", str(tmp_path / "missing.yaml"))
    assert code == 2
    assert "no such file" in err


# The corpus: every hostile file gets, from `escalsim migrate`, the problem it gets from the
# loader, at the same place, and nothing is written.
@pytest.mark.parametrize("case", fuzzkit.hostile_cases(), ids=lambda c: c.name)
def test_migrate_refuses_every_hostile_file_at_its_position(case, tmp_path):
    with pytest.raises(ScenarioError) as info:
        migrate_file(str(case.path))
    at = [p for p in info.value.problems if (p.line, p.column) == (case.line, case.column)]
    assert any(case.fragment in p.message for p in at), str(info.value)


def test_migrate_command_on_hostile_files_exits_2_with_positions(tmp_path):
    for case in fuzzkit.hostile_cases()[::15]:
        target = tmp_path / f"{case.name}.out"
        code, out, err = cli("migrate", str(case.path), "--out", str(target))
        assert (code, out) == (2, ""), err
        assert f"{case.path}:{case.line}:{case.column}: " in err
        assert "Traceback" not in err
        assert not target.exists()


# ------------------------------------------------------------------------------------------------
# The notice through the command line
# ------------------------------------------------------------------------------------------------
def test_the_cli_prints_the_notice_once_on_stderr():
    path = V1 / "brinkmanship.yaml"
    code, _, err = cli("validate", str(path), str(path))
    assert code == 0, err
    assert err.count("schema_version 1, migrated to 3 as it was read") == 2  # once per file read
    assert "ScenarioMigrationWarning" not in err  # a message, not a Python warning
    assert "ok: " in err
    code, _out, err = cli("run", str(path), "--dry-run")
    assert err.count("migrated to 3 as it was read") == 1, err


# ------------------------------------------------------------------------------------------------
# The version-2 fields, compiled
# ------------------------------------------------------------------------------------------------
TYPES = (fuzzkit.CORPUS / "types.yaml").read_text(encoding="utf-8")


def test_types_compile_with_the_equations_of_bargaining():
    s = load_text(TYPES, "types.yaml")
    p = compile_params(s)
    p_a, p_b = win_probabilities(s)
    # Strengths: A 1 + 0.8 * 0.5 (C may join, aligned 0.8 with A), B 1 + 0.2 * 0.5; m = 2.
    assert p_a == pytest.approx(1.4**2 / (1.4**2 + 1.1**2))
    assert p_a + p_b == pytest.approx(1.0)
    rho = bg.type_grid(0.2, 0.6, 4)
    np.testing.assert_allclose(p.cost_types[0], np.sort(bg.cost_from_resolve(rho, p_a)))
    np.testing.assert_allclose(p.cost_prior[0], [0.25] * 4)
    # B's war_cost grid, padded to A's four types with its last cost at prior 0.
    np.testing.assert_allclose(p.cost_types[1], [0.25, 0.5, 1.0, 1.0])
    np.testing.assert_allclose(p.cost_prior[1], [0.2, 0.5, 0.3, 0.0])
    # What version 1 reads as resolve: the prior mean (A: the uniform's midpoint; B, given by
    # its cost, the mean of min(1, 1/(1 - p + c)); C, a third party, its grid's mean).
    expected_b = sum(
        w * min(1.0, 1 / (1 - p_b + c))
        for w, c in zip([0.2, 0.5, 0.3], [0.25, 0.5, 1.0], strict=True)
    )
    assert p.resolve.tolist() == pytest.approx([0.4, expected_b, 0.5])
    assert p.status_quo.tolist() == [0.3, 0.7]
    assert p.agenda_divisible.tolist() == [True, False]
    assert (p.discount, p.divisible, p.commitment_problem) == (0.9, False, True)
    assert p.decisiveness == 2.0
    assert set(p.attribution) == {"naive"}


def test_types_are_drawn_once_so_every_round_has_the_round_0_types():
    s = load_text(TYPES, "types.yaml")  # A's capability doubles in round 5
    plan = schedule(s)
    assert plan.params_at[5].capability[0] == 2.0
    for params in plan.params_at:
        np.testing.assert_array_equal(params.cost_types, plan.params_at[0].cost_types)


def test_a_status_quo_share_for_one_power_gives_the_other_the_rest():
    s = load_text(TYPES.replace("    A: 0.3\n    B: 0.7\n", "    B: 0.65\n"), "t.yaml")
    assert compile_params(s).status_quo.tolist() == pytest.approx([0.35, 0.65])
    s = load_text(TYPES.replace("  status_quo:\n    A: 0.3\n    B: 0.7\n", ""), "t.yaml")
    assert compile_params(s).status_quo.tolist() == [0.5, 0.5]


def test_resolve_and_war_cost_that_agree_are_accepted_and_war_cost_is_used():
    costs = [0.5, 1.0, 2.0]  # above B's chance of winning, so each has a resolve below 1
    text = TYPES.replace("grid: [0.25, 0.5, 1.0]", f"grid: {costs}")
    p_b = win_probabilities(load_text(text, "types.yaml"))[1]
    rho = [round(1.0 / (1.0 - p_b + c), 6) for c in costs]  # 6 decimals, as a user writes them
    both = text.replace(
        "    war_cost:\n",
        f"    resolve: {{grid: {sorted(rho)}, prior: [0.3, 0.5, 0.2]}}\n    war_cost:\n",
    )
    p = compile_params(load_text(both, "agree.yaml"))
    np.testing.assert_allclose(p.cost_types[1][:3], costs)
    with pytest.raises(ScenarioError, match="describe different types"):
        load_text(both.replace("prior: [0.3, 0.5, 0.2]", "prior: [0.2, 0.5, 0.3]"), "x.yaml")


def test_a_resolve_of_0_is_a_finite_cost():
    s = load_text(TYPES.replace("      uniform: [0.2, 0.6]", "      uniform: [0.0, 0.0]"), "t")
    p = compile_params(s)
    assert p.cost_types[0, 0] == pytest.approx(1 / RESOLVE_FLOOR - 1 + win_probabilities(s)[0])
    assert np.isfinite(p.cost_types).all()


def test_conditions_and_sweeps_reach_into_priors_and_set_events_cannot():
    text = TYPES + (
        "conditions:\n"
        "  base: {}\n"
        "  sure: {set: {actors.A.resolve: 0.5, actors.B.war_cost.prior: [0.0, 1.0, 0.0]}}\n"
        "  finer: {set: {actors.A.resolve.types: 40}}\n"
    )
    s = load_text(text, "c.yaml")
    assert compile_params(with_condition(s, "sure")).cost_types.shape == (2, 3)
    assert compile_params(with_condition(s, "finer")).cost_types.shape == (2, 40)
    event = "  - {round: 2, kind: set, path: actors.A.resolve.types, value: 2}\n"
    with pytest.raises(ScenarioError, match="cannot change during a run"):
        load_text(TYPES.replace("events:\n", "events:\n" + event), "e.yaml")
    # A point resolve may change (version 1 reads it); the types stay the round-0 ones.
    point = TYPES.replace("      uniform: [0.2, 0.6]\n      types: 4", "      grid: [0.4]")
    point = point.replace(
        "events:\n", "events:\n  - {round: 2, kind: set, path: actors.A.resolve, value: 0.9}\n"
    )
    plan = schedule(load_text(point, "p.yaml"))
    assert (plan.params_at[1].resolve[0], plan.params_at[2].resolve[0]) == (0.4, 0.9)
    np.testing.assert_array_equal(plan.params_at[2].cost_types, plan.params_at[0].cost_types)


# ------------------------------------------------------------------------------------------------
# Generated inputs
# ------------------------------------------------------------------------------------------------
GENERATED = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@GENERATED
@given(raw=scenario_dicts())
def test_a_generated_version_1_scenario_migrates_in_text_as_on_load(raw):
    """Migration on load and by text agree, and keep every version-1 parameter."""
    raw = {**raw, "schema_version": 1}
    text = json.dumps(raw)
    v2 = load_text(json.dumps({**raw, "schema_version": 2}), "v2.yaml")
    with pytest.warns(ScenarioMigrationWarning):
        v1 = load_text(text, "v1.yaml")
    out, _ = migrate_text(text, "v1.yaml")
    assert load_text(out, "out.yaml").model_dump() == v1.model_dump()
    assert _v1_differences(compile_params(v1), compile_params(v2)) == []


PRIOR = st.lists(st.floats(0.0, 1.0), min_size=1, max_size=8)


@GENERATED
@given(
    grid=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=8, unique=True),
    weights=PRIOR,
    lo=st.floats(0.0, 1.0),
    width=st.floats(0.0, 1.0),
    n=st.integers(1, 100),
)
def test_any_valid_prior_compiles_to_sorted_finite_types_whose_weights_sum_to_1(
    grid, weights, lo, width, n
):
    grid = sorted(grid)
    weights = (weights * len(grid))[: len(grid)]
    total = math.fsum(weights)
    if total == 0:
        weights, total = [1.0] * len(grid), float(len(grid))
    prior = [w / total for w in weights]
    prior[-1] = 1.0 - math.fsum(prior[:-1])
    if not 0.0 <= prior[-1] <= 1.0:
        return
    hi = min(1.0, lo + width)
    text = TYPES.replace(
        "      uniform: [0.2, 0.6]\n      types: 4",
        f"      uniform: [{lo!r}, {hi!r}]\n      types: {n}",
    ).replace(
        "      grid: [0.25, 0.5, 1.0]\n      prior: [0.2, 0.5, 0.3]",
        f"      grid: {grid!r}\n      prior: {prior!r}",
    )
    p = compile_params(load_text(text, "gen.yaml"))
    assert np.isfinite(p.cost_types).all()
    assert (p.cost_types >= 0).all()
    assert np.all(np.diff(p.cost_types, axis=1) >= 0)
    np.testing.assert_allclose(p.cost_prior.sum(axis=1), 1.0, atol=1e-6)
    assert 0.0 <= p.resolve[1] <= 1.0


def test_the_shipped_json_schema_accepts_every_form_of_the_new_fields():
    import jsonschema
    from ruamel.yaml import YAML

    from escalsim.scenario.jsonschema import scenario_schema

    raw = YAML(typ="safe", pure=True).load(TYPES)
    jsonschema.Draft7Validator(scenario_schema()).validate(raw)
    raw["schema_version"] = 1
    assert list(jsonschema.Draft7Validator(scenario_schema()).iter_errors(raw))
    assert os.path.getsize(shipped.schema_path()) > 0


@pytest.mark.parametrize("name", V3_NAMES)
def test_a_shipped_version_3_scenario_loads_without_a_notice_and_sets_its_blocks(name):
    """A scenario written in version 3 says whether it uses each version-2 option, as the
    others do, and that its wars last (docs/pair-wars.md §3.6)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ScenarioMigrationWarning)
        load_scenario(name)
    data, _ = parse_yaml(shipped.path_of(name).read_text(encoding="utf-8"))
    assert STAKES_REQUIRED <= set(data["stakes"]) <= STAKES_REQUIRED | STAKES_OPTIONAL
    # ... and the hand-set historical scenarios say which look-ahead they were set under.
    assert {"attribution"} <= set(data["beliefs"]) <= {"attribution", "continuation"}
    assert data["war"]["ends_run"] is False
    assert data["stakes"]["discount"] == GIVEN_DISCOUNT_V3[name]
