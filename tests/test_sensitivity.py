"""The sensitivity analysis of the channel effect (escalsim.experiment.sensitivity, issue 19).

Tiny settings on hotline-1963 (about 1 ms a run): groups expand only to fields the scenario
has, every design value lies in its documented range, the same seed gives the same files
whatever the executor or the chunking, paired CIs hold their estimates, a group the model never
reads has μ* = 0 exactly, and bad input exits 2 with a positioned message.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT
from conftest import cli_in_process as cli
from escalsim.errors import UsageError
from escalsim.experiment import sensitivity as sa
from escalsim.scenario import load_scenario, with_settings

pytest.importorskip("SALib")

#: Two groups the model reads (the hotline's noise, the public channel's noise) and two it
#: never reads (a third party's honesty: docs/scenario-reference.md, Actor.honesty).
TINY = (
    sa.GroupSpec(
        "hotline", ("channels.hotline.noise", "channels.hotline.misread"), 0.5, 2.0, "odds"
    ),
    sa.GroupSpec("inert_tur", ("actors.TUR.honesty",), 0.5, 1.0, "log"),
    sa.GroupSpec("public", ("channels.public.noise",), 0.5, 2.0, "odds"),
    sa.GroupSpec("inert_gbr", ("actors.GBR.honesty",), 0.5, 1.0, "log"),
)


@pytest.fixture(scope="module")
def hotline():
    return load_scenario("hotline-1963")


@pytest.fixture(scope="module")
def design(hotline):
    return sa.define(hotline, groups=TINY, trajectories=3, replications=24, seed=7)


@pytest.fixture(scope="module")
def analysed(design, tmp_path_factory):
    out = tmp_path_factory.mktemp("sa") / "a"
    sa.run(design, out, workers=1, chunk=24)
    sa.analyze_folder(out)
    return out


def test_default_groups_expand_only_to_fields_the_scenario_has(hotline):
    spec = hotline
    expansion = sa.expand_groups(spec)
    data = spec.model_dump(mode="json")
    assert 1 <= len(expansion.groups) <= sa.MAX_GROUPS
    for f in expansion.fields:
        assert f.group in expansion.groups
        if f.path != "stakes.discount":  # written out from its default by time unit
            assert sa.lookup(data, f.path) is not None, f.path
    # hotline-1963's powers are USA and SUN only (a third party's honesty is never a field of
    # the honesty group); their types are uniform war_cost priors, moved by the types group
    types = {f.name for f in expansion.fields if f.group == "types"}
    assert types == {"actors.USA.war_cost:grid", "actors.SUN.war_cost:grid"}
    honesty = {f.path for f in expansion.fields if f.group == "honesty"}
    assert honesty == {"actors.USA.honesty", "actors.SUN.honesty"}
    # war_risk 0 (normal, warning) and 1 (war, nuclear) cannot be moved on the odds: left out
    risks = {f.path for f in expansion.fields if f.group == "war_risk"}
    assert "ladder.rungs.normal.war_risk" not in risks
    assert "ladder.rungs.war.war_risk" not in risks
    assert "ladder.rungs.strike.war_risk" in risks


def test_a_group_without_fields_is_dropped_and_reported(hotline):
    ghost = sa.GroupSpec("ghost", ("channels.nowhere.noise", "war.pairs.*.support"), 0.5, 2.0)
    expansion = sa.expand_groups(hotline, (*TINY, ghost))
    assert "ghost" not in expansion.groups
    assert "ghost" in expansion.dropped


def test_every_design_value_lies_in_its_documented_range(design):
    fields = design.fields
    for point in design.points()[2:]:
        for f in fields:
            if f.path not in point.settings:
                continue
            value = point.settings[f.path]
            ends = [sa.transform(f, f.base, u) for u in (0.0, 1.0)]
            assert min(ends) <= value <= max(ends), (f.path, value, ends)
            assert 0.0 <= value <= 1.0
    levels = np.array([0.0, 1 / 3, 2 / 3, 1.0])  # the 4-level grid
    assert np.isclose(design.unit[..., None], levels).any(axis=-1).all()


def test_transforms_keep_values_valid():
    prob = sa.Field("g", "channels.x.noise", None, "odds", 0.5, 2.0, 0.3)
    for u in np.linspace(0, 1, 7):
        assert 0.0 < sa.transform(prob, 0.3, u) < 1.0
        assert sa.transform(prob, 0.0, u) == 0.0
        assert sa.transform(prob, 1.0, u) == 1.0
    assert sa.transform(prob, 0.3, 0.5) == pytest.approx(0.3)  # f = 1 in the middle
    shadow = sa.Field("g", "stakes.discount", None, "shadow", 0.5, 2.0, 0.95)
    assert sa.transform(shadow, 0.95, 0.0) == pytest.approx(0.9)
    assert sa.transform(shadow, 0.95, 1.0) == pytest.approx(0.975)
    grid = {"grid": [0.2, 0.4, 0.6], "prior": [0.25, 0.5, 0.25]}
    types = sa.Field("g", "actors.USA.resolve", "grid", "odds", 0.5, 2.0, grid)
    moved = sa.transform(types, grid, 1.0)["grid"]
    assert all(a < b for a, b in itertools.pairwise(moved))
    temper = sa.Field("g", "actors.USA.resolve", "prior", "temper", 0.5, 2.0, grid)
    for u in (0.0, 1.0):
        prior = sa.transform(temper, grid, u)["prior"]
        assert math.isclose(sum(prior), 1.0)
    assert (
        sa.transform(temper, grid, 1.0)["prior"][1]
        > 0.5
        > sa.transform(temper, grid, 0)["prior"][1]
    )
    switch = sa.Field("g", "beliefs.attribution", None, "switch", "naive", "noisy", "noisy")
    assert sa.transform(switch, "noisy", 0.2) == "naive"
    assert sa.transform(switch, "noisy", 0.7) == "noisy"


def test_default_conditions(hotline):
    assert sa._default_conditions(hotline) == ("hotline", "no_hotline")
    geneva = load_scenario("geneva-2022")
    assert sa._default_conditions(geneva) == ("dialogue_open", "dialogue_closed")


def test_every_point_builds_in_both_conditions(design, hotline):
    for point in design.points()[:6]:
        from escalsim.scenario.transforms import under_condition

        with_settings(under_condition(hotline, point.condition), point.settings, source="t")


def test_paired_cis_hold_their_estimates_and_the_sign_share_is_a_share(analysed):
    points = pd.read_csv(analysed / "points.csv")
    assert (points["lo"] <= points["estimate"] + 1e-12).all()
    assert (points["estimate"] <= points["hi"] + 1e-12).all()
    assert set(points["metric"]) == {"p_war_direct", "miscalculation_rate"}  # no pairs here
    summary = pd.read_json(analysed / "summary.json", typ="series")
    for sign in summary["sign"]:
        assert 0 <= sign["counted"] <= sign["points"]
        assert sign["same_sign"] <= sign["counted"]
        assert sign["positive"] + sign["negative"] == sign["counted"]
        if sign["share"] is not None:
            assert 0.0 <= sign["share"] <= 1.0
    assert any("p_war_any omitted" in n for n in summary["notes"])
    assert (analysed / "sensitivity.png").stat().st_size > 0


def test_a_group_the_model_never_reads_has_mu_star_zero_exactly(analysed):
    table = pd.read_csv(analysed / "sensitivity.csv")
    mu_star = table[table["index"] == "mu_star"].set_index(["metric", "group"])["estimate"]
    for metric in ("p_war_direct", "miscalculation_rate"):
        assert mu_star[(metric, "inert_tur")] == 0.0
        assert mu_star[(metric, "inert_gbr")] == 0.0
    # both channels' noise moves the miscalculations: the hotline's in the open condition, the
    # public channel's wherever no private channel is up (in the rebuilt hotline-1963 the
    # letters and the back-channel open only on 22-23 October, so for the first week the
    # powers read each other through it): the two rank above the inert groups
    ranked = mu_star["miscalculation_rate"].sort_values(ascending=False)
    assert set(ranked.index[:2]) == {"hotline", "public"}
    assert ranked["hotline"] > 0.0
    assert ranked["public"] > 0.0


def test_only_one_group_matters_ranks_it_first(hotline, tmp_path):
    groups = (TINY[0], TINY[1], TINY[3])
    design = sa.define(hotline, groups=groups, trajectories=2, replications=16, seed=3)
    sa.run(design, tmp_path / "b", workers=1)
    sa.analyze_folder(tmp_path / "b")
    table = pd.read_csv(tmp_path / "b" / "sensitivity.csv")
    mu = table[(table["index"] == "mu_star") & (table["metric"] == "miscalculation_rate")]
    assert mu.sort_values("estimate")["group"].iloc[-1] == "hotline"
    assert (mu[mu["group"] != "hotline"]["estimate"] == 0.0).all()


def test_same_seed_same_files_whatever_the_executor_and_chunking(design, analysed, tmp_path):
    other = tmp_path / "c"
    sa.run(design, other, workers=2, chunk=7)
    sa.analyze_folder(other)
    for name in ("points.csv", "sensitivity.csv"):
        assert (other / name).read_bytes() == (analysed / name).read_bytes(), name


def test_resume_runs_only_the_missing_parts(design, analysed, tmp_path):
    out = tmp_path / "r"
    seen = []

    def stop(task):
        seen.append(task)
        if len(seen) == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sa.run(design, out, workers=1, chunk=24, on_part=stop)
    # the part that finished with the interruption is stored too
    done = len(list((out / "runs").glob("point-*.parquet")))
    assert done >= 5
    report = sa.run(design, out, workers=1, chunk=24, resume=True)
    assert report.ran == report.tasks - done
    sa.analyze_folder(out)
    assert (out / "points.csv").read_bytes() == (analysed / "points.csv").read_bytes()


def test_sobol_recipe_runs_with_groups(hotline, tmp_path):
    groups = (TINY[0], TINY[1])
    design = sa.define(
        hotline, groups=groups, sampler="sobol", trajectories=4, replications=8, seed=2
    )
    assert design.n_points == 4 * (2 + 2)
    sa.run(design, tmp_path / "s", workers=1)
    sa.analyze_folder(tmp_path / "s")
    table = pd.read_csv(tmp_path / "s" / "sensitivity.csv")
    assert set(table["index"]) == {"S1", "ST"}
    assert set(table["group"]) == {"hotline", "inert_tur"}


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("nonsense", "--group: 'nonsense': expected NAME=PATH"),
        ("g=channels.hotline.noise:2:1", "--group.g: factors 2:1"),
        ("g=channels.hotline.noise:0.5:2:cubic", "--group.g: unknown scale 'cubic'"),
        ("g=channels.hotline.noise:a:b", "--group.g: 'a:b': LOW and HIGH must be numbers"),
        ("g=channels.nowhere.noise:0.5:2", "--group: no group has a field in this scenario"),
    ],
)
def test_bad_groups_exit_2_with_a_positioned_message(text, where):
    code, _, err = cli("sensitivity", "hotline-1963", "--group", text, "--dry-run")
    assert code == 2, err
    assert f"sensitivity: {where}" in err, err
    assert "Traceback" not in err


def test_a_range_the_scenario_refuses_is_positioned_at_the_group():
    code, _, err = cli(
        "sensitivity", "hotline-1963", "--group", "g=channels.hotline.noise:0.5:40:log", "--dry-run"
    )
    assert code == 2, err
    assert "sensitivity: --group.g" in err, err
    assert "noise" in err, err


def test_bad_conditions_exit_2():
    code, _, err = cli("sensitivity", "hotline-1963", "--closed", "nope", "--dry-run")
    assert code == 2
    assert "sensitivity: --closed: scenario hotline-1963 has no condition 'nope'" in err
    code, _, err = cli(
        "sensitivity", "hotline-1963", "--open", "hotline", "--closed", "hotline", "--dry-run"
    )
    assert code == 2
    assert "--closed" in err


def test_sobol_needs_a_power_of_two():
    code, _, err = cli(
        "sensitivity", "hotline-1963", "--sampler", "sobol", "--samples", "6", "--dry-run"
    )
    assert code == 2
    assert "power of two" in err


def test_dry_run_says_points_runs_and_time():
    code, out, err = cli("sensitivity", "hotline-1963", "--dry-run", "--trajectories", "2")
    assert code == 0, err
    assert "runs" in out
    assert "min on" in out
    assert "no_hotline − hotline" in out


def test_the_command_writes_its_files(tmp_path):
    out = tmp_path / "cli"
    args = (
        "--group",
        "hotline=channels.hotline.noise:0.5:2",
        "--group",
        "public=channels.public.noise:0.5:2",
        "--trajectories",
        "2",
        "--workers",
        "1",
    )
    code, _, err = cli(
        "sensitivity", "hotline-1963", *args, "-n", "6", "--out", str(out), "--seed", "4"
    )
    assert code == 0, err
    assert "mu_star" in err
    for name in ("points.csv", "sensitivity.csv", "summary.json", "sensitivity.png"):
        assert (out / name).is_file(), name
    summary = pd.read_json(out / "summary.json", typ="series")
    assert summary["seed"] == 4
    assert summary["command"].startswith("escalsim sensitivity hotline-1963")
    assert len(summary["scenario_sha256"]) == 64
    assert set(summary["noise_floor"]) == {"p_war_direct", "miscalculation_rate"}
    # the same folder again: refused without --resume; with it, only the same analysis
    code, _, err = cli("sensitivity", "hotline-1963", *args, "--out", str(out), "--seed", "4")
    assert code == 2, err
    assert "already holds a sensitivity analysis" in err
    code, _, err = cli(
        "sensitivity",
        "hotline-1963",
        *args,
        "-n",
        "7",
        "--out",
        str(out),
        "--seed",
        "4",
        "--resume",
    )
    assert code == 2, err
    assert "holds a different sensitivity analysis (changed: replications" in err


def test_help_is_there():
    code, out, _ = cli("sensitivity", "--help")
    assert code == 0
    assert "closed − open" in out
    code, out, _ = cli("--help")
    assert "sensitivity" in out


def test_expansion_refuses_a_field_in_two_groups(hotline):
    twice = (TINY[0], sa.GroupSpec("again", ("channels.hotline.noise",), 0.5, 2.0, "odds"))
    with pytest.raises(UsageError, match="in groups 'hotline' and 'again'"):
        sa.expand_groups(hotline, twice)


#: The types group alone (moved as the default screening moves it).
TYPES = tuple(g for g in sa.DEFAULT_GROUPS if g.name == "types")


def test_a_uniform_war_cost_prior_is_moved_at_both_ends(hotline):
    # both powers' war_cost is {uniform: [1.0, 3.114], types: 8}: the costs are moved on a log
    # scale (a cost is not a probability), both ends by the group's factor, types kept
    design = sa.define(hotline, groups=TYPES, trajectories=3, levels=4, seed=5)
    assert [(f.name, f.scale) for f in design.fields] == [
        ("actors.USA.war_cost:grid", "log"),
        ("actors.SUN.war_cost:grid", "log"),
    ]
    seen = set()
    for row, point in zip(design.unit, design.points()[2::2], strict=True):
        for f, u in zip(design.fields, row, strict=True):
            assert f.base["uniform"] == [1.0, 3.114]
            f_u = 0.5 * 4.0**u  # ×1/2 .. ×2 on a log scale
            moved = point.settings[f.path]
            assert moved["uniform"] == pytest.approx([1.0 * f_u, 3.114 * f_u], rel=1e-11)
            assert moved["types"] == 8
            seen.add(round(u * 3))
    assert seen == {0, 1, 2, 3}  # every level of the 4-level grid: ×1/2, ×2^(-1/3), ×2^(1/3), ×2
    f0 = design.fields[0]
    assert sa.transform(f0, f0.base, 0.0)["uniform"] == [0.5, 1.557]
    assert sa.transform(f0, f0.base, 1.0)["uniform"] == [2.0, 6.228]
    from escalsim.scenario.transforms import under_condition

    for point in design.points()[:6]:  # the moved priors are valid scenarios
        with_settings(under_condition(hotline, point.condition), point.settings, source="t")


def test_a_point_war_cost_is_moved_and_a_point_value_has_no_weights():
    # a point value is one type: moved by the factor on a log scale; a prior without weights
    # (a point value a condition sets) is not tempered
    cost = sa.Field("types", "actors.A.war_cost", "grid", "log", 0.5, 2.0, 0.2)
    assert sa.transform(cost, 0.2, 0.0) == 0.1
    assert sa.transform(cost, 0.2, 1.0) == 0.4
    temper = sa.Field("type_priors", "actors.A.war_cost", "prior", "temper", 0.5, 2.0, 0.2)
    assert sa.transform(temper, 0.375, 1.0) == 0.375
    preventive = load_scenario("preventive-war")
    expansion = sa.expand_groups(preventive, (*TYPES, TINY[1]))
    assert [(f.name, f.scale) for f in expansion.fields if f.group == "types"] == [
        ("actors.R.war_cost:grid", "log"),
        ("actors.D.war_cost:grid", "log"),
    ]


def test_resolve_grids_are_moved_exactly_as_before():
    # geneva-2022's powers gave resolve grids: moved on the odds, each value as
    # p f / (1 - p + p f) rounded to 12 digits, the prior kept: the values of the screening
    # before war_cost priors were moved too. The rebuilt geneva-2022 (issue 19) gives war_cost
    # priors instead, so its hand-set file, kept with its grids, is the one screened here.
    geneva = load_scenario(str(ROOT / "scripts" / "data" / "geneva-2022-handset.yaml"))
    expansion = sa.expand_groups(geneva)
    types = [f for f in expansion.fields if f.group == "types"]
    assert [(f.name, f.scale) for f in types] == [
        ("actors.USA.resolve:grid", "odds"),
        ("actors.RUS.resolve:grid", "odds"),
    ]
    assert [f.name for f in expansion.fields if f.group == "type_priors"] == [
        "actors.USA.resolve:prior",
        "actors.RUS.resolve:prior",
    ]
    assert "types" in expansion.groups
    assert not expansion.dropped
    for f in types:
        for u in (0.0, 1 / 3, 2 / 3, 1.0):
            fu = 0.5 * 4.0**u
            moved = sa.transform(f, f.base, u)
            expected = [float(f"{p * fu / (1 - p + p * fu):.12g}") for p in f.base["grid"]]
            assert moved["grid"] == expected
            assert moved["prior"] == f.base["prior"]
    usa = types[0]
    assert sa.transform(usa, usa.base, 1.0)["grid"] == [
        0.333333333333,
        0.518518518519,
        0.666666666667,
    ]


def test_dry_run_lists_the_types_of_hotline_1963():
    code, out, err = cli("sensitivity", "hotline-1963", "--dry-run", "--trajectories", "2")
    assert code == 0, err
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")}
    assert lines["types"].split()[1:] == ["log", "×0.5..×2.0", "2", "field(s)"]
    assert "types" not in {k for k, v in lines.items() if "dropped" in v}
    assert "a uniform prior has no weights to temper" in lines["type_priors"]
    assert "dropped" in lines["type_priors"]
