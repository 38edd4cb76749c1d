"""The Shapley paths of a condition difference (issue 17, wiring step 9).

docs/decision-v2.md §8. A pair of conditions that differ only in channel state runs 8 times on
common random numbers, once per switch set (bit k: path ``bg.PATHS[k]`` reads the other
condition's channel state); per replication, ``bg.shapley_paths`` splits the difference into
perception, messages and offers, and agreements. Three tiers:

* reproducibility: switch set 0 is the base condition's run and 7 the other's, frame for frame;
  the decomposition does not depend on the chunk size; ``run(paths=True)`` gives the table
  ``decompose`` gives and stores it in the run folder;
* invariants: over generated scenarios and any change of one channel's values, switch sets 0
  and 7 are the two conditions' runs and the shares add up to the difference (hypothesis); a
  path that reads nothing the pair changes gets exactly 0 in every replication;
* the command line: ``run --paths`` prints the table and ``--format json`` carries it; one
  condition, or a pair that differs in more than its channels, exits 2 with a message.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, geneva_short, run_cli_in_process
from escalsim.batch import run_batch
from escalsim.core import bargaining as bg
from escalsim.core.streams import BlockLayout
from escalsim.errors import UsageError
from escalsim.experiment.paths import TERMS, decompose, paths_pair
from escalsim.experiment.runner import run
from escalsim.scenario import Scenario, load_scenario, load_text
from strategies import scenario_dicts

SCENARIOS = ROOT / "src" / "escalsim" / "scenarios"


def _frames_equal(a: Any, b: Any) -> None:
    """The outcome and timeseries frames of two runs are equal but for the condition's name."""
    for name in ("outcome", "timeseries"):
        x = getattr(a, name).drop(columns=["condition"])
        y = getattr(b, name).drop(columns=["condition"])
        pd.testing.assert_frame_equal(x, y, check_exact=True)


def _generic_with(conditions: dict[str, Any]) -> Scenario:
    """generic-dispute with these conditions instead of its own."""
    data = yaml.safe_load((SCENARIOS / "generic-dispute.yaml").read_text(encoding="utf-8"))
    data["conditions"] = conditions
    data.pop("sweep", None)
    return load_text(json.dumps(data), "paths.yaml")


# -- reproducibility ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "base", "other"),
    [
        ("geneva-2022", "dialogue_open", "dialogue_closed"),
        ("hotline-1963", "no_hotline", "hotline"),
    ],
)
def test_switch_sets_0_and_7_are_the_two_conditions(name: str, base: str, other: str) -> None:
    spec = load_scenario(name)
    layout = BlockLayout.of(spec)
    kw: dict[str, Any] = dict(seed=5, replications=60, layout=layout, keep=10)
    none = run_batch(spec, condition=base, paths=(other, 0), **kw)
    every = run_batch(spec, condition=base, paths=(other, 7), **kw)
    _frames_equal(none, run_batch(spec, condition=base, **kw))
    _frames_equal(every, run_batch(spec, condition=other, **kw))


def test_the_decomposition_does_not_depend_on_the_chunk_size() -> None:
    kw: dict[str, Any] = dict(seed=2, replications=50)
    whole = decompose(geneva_short(), "dialogue_open", "dialogue_closed", **kw)
    parts = decompose(geneva_short(), "dialogue_open", "dialogue_closed", chunk=7, **kw)
    pd.testing.assert_frame_equal(whole.table, parts.table, check_exact=True)
    for m, v in whole.values.items():
        assert np.array_equal(v, parts.values[m])


def test_run_with_paths_stores_the_decomposition(tmp_path: Path) -> None:
    out = tmp_path / "r"
    results = run(
        "generic-dispute", replications=40, seed=3, workers=1, out=out, plots=False, paths=True
    )
    direct = decompose("generic-dispute", "channel_open", "channel_closed", seed=3, replications=40)
    assert results.paths is not None
    pd.testing.assert_frame_equal(results.paths, direct.table, check_exact=True)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["files"]["paths"] == "paths.csv"
    assert manifest["paths"] == {
        "base": "channel_open",
        "other": "channel_closed",
        "runs": 8,
        "replications": 40,
    }
    stored = pd.read_csv(out / "paths.csv")
    pd.testing.assert_frame_equal(stored, direct.table, check_dtype=False)
    # The run's own conditions are switch sets 0 and 7 (run() checks it; so does this).
    direct.check(results.runs)


# -- invariants --------------------------------------------------------------------------------
def test_shares_add_up_to_the_difference_on_a_real_scenario() -> None:
    d = decompose(geneva_short(), "dialogue_open", "dialogue_closed", seed=1, replications=200)
    for m, v in d.values.items():
        shares = sum(d.term(m, path)[0] for path in bg.PATHS)
        total = d.term(m, "total")[0]
        assert total == pytest.approx(float(np.mean(v[:, 7] - v[:, 0])), abs=1e-12)
        assert shares == pytest.approx(total, abs=1e-12)
    # Closing the dialogue moves settlement (a Russian climb-down instead), so the shares are not
    # all zero by construction.
    assert d.term("p_settlement", "total")[0] != 0.0


@pytest.mark.parametrize(
    ("change", "untouched"),
    [
        # The public channel's noise: only what is seen in public (perception) reads it.
        ({"channels.public.noise": 0.45}, ("messages_and_offers", "agreements")),
        # The direct channel's misread: only messages, claims and offers read it.
        ({"channels.direct.misread": 0.4}, ("perception", "agreements")),
    ],
)
def test_a_path_that_reads_nothing_changed_gets_exactly_zero(
    change: dict[str, Any], untouched: tuple[str, ...]
) -> None:
    spec = _generic_with({"base": {}, "changed": {"set": change}})
    d = decompose(spec, "base", "changed", seed=4, replications=150)
    for m, v in d.values.items():
        phi, interaction = bg.shapley_paths(v)
        for path in untouched:
            assert np.all(phi[:, bg.PATHS.index(path)] == 0.0), (m, path)
        assert np.all(interaction == 0.0)
    # The path that does read the change carries the whole difference, replication by
    # replication; and the change matters for some metric at this N.
    moved = next(p for p in bg.PATHS if p not in untouched)
    for v in d.values.values():
        phi, _ = bg.shapley_paths(v)
        assert np.array_equal(phi[:, bg.PATHS.index(moved)], v[:, 7] - v[:, 0])
    assert any(np.any(v[:, 7] != v[:, 0]) for v in d.values.values())


_FIELDS = st.sampled_from(["noise", "misread", "reliability", "deconfliction", "latency", "open"])


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=scenario_dicts(), which=st.integers(0, 20), field=_FIELDS, u=st.floats(0.0, 0.5))
def test_any_channel_change_splits_exactly(
    data: dict[str, Any], which: int, field: str, u: float
) -> None:
    channels = data["channels"]
    private = [c for c in channels if c.get("kind") != "public"]
    if field == "open":
        if not private:
            return
        chan = private[which % len(private)]
        value: Any = not chan.get("open", True)
    else:
        chan = channels[which % len(channels)]
        value = int(u * 4) if field == "latency" else (1.0 - u if field == "reliability" else u)
        if chan.get("kind") == "public" and field in ("reliability", "deconfliction"):
            field, value = "noise", u
    changed = {f"channels.{chan['id']}.{field}": value}
    data = {**data, "conditions": {"a": {}, "b": {"set": changed}}}
    data.pop("sweep", None)
    spec = load_text(json.dumps(data), "generated.yaml")
    layout = BlockLayout.of(spec)
    kw: dict[str, Any] = dict(seed=11, replications=6, layout=layout, keep=6)
    runs = [run_batch(spec, condition="a", paths=("b", b), **kw) for b in range(8)]
    _frames_equal(runs[0], run_batch(spec, condition="a", **kw))
    _frames_equal(runs[7], run_batch(spec, condition="b", **kw))
    v = np.stack([(r.outcome["outcome"] == "war").to_numpy(float) for r in runs], axis=1)
    phi, interaction = bg.shapley_paths(v)
    assert np.allclose(phi.sum(axis=1), v[:, 7] - v[:, 0], rtol=0, atol=1e-12)
    alone = sum(v[:, 1 << k] - v[:, 0] for k in range(3))
    assert np.allclose(interaction, v[:, 7] - v[:, 0] - alone, rtol=0, atol=1e-12)


def test_a_pair_that_differs_beyond_its_channels_is_refused() -> None:
    spec = load_scenario("brinkmanship")
    with pytest.raises(UsageError, match="honesty"):
        paths_pair(spec, ["channel_closed", "channel_open"])
    with pytest.raises(ValueError, match="more than their channels"):
        run_batch(spec, condition="channel_closed", paths=("channel_open", 1), replications=2)


def test_the_pair_is_the_baseline_and_the_first_other_condition() -> None:
    spec = load_scenario("able-archer-1983")
    assert paths_pair(spec) == ("historical", "early_warning")
    assert paths_pair(spec, baseline="hotline_used") == ("hotline_used", "historical")
    assert paths_pair(spec, ["historical", "hotline_used"]) == ("historical", "hotline_used")
    with pytest.raises(UsageError, match="runs one"):
        paths_pair(spec, ["historical"])


# -- the command line ----------------------------------------------------------------------------
def test_run_paths_prints_the_table_with_its_cost(tmp_path: Path) -> None:
    out = run_cli_in_process(
        "run", "generic-dispute", "-n", "30", "--seed", "2", "--paths", "--no-plots",
        "--out", str(tmp_path / "r"), "--workers", "1", "--quiet",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    text = " ".join(out.stdout.split())
    assert "Shapley paths of channel_closed − channel_open: 8 runs of 30 replications" in text
    for label in ("perception", "messages and offers", "agreements", "interaction", "total"):
        assert label in out.stdout
    shown = run_cli_in_process("show", str(tmp_path / "r"))
    assert "Shapley paths of channel_closed − channel_open" in " ".join(shown.stdout.split())


def test_run_paths_json_carries_the_shares(tmp_path: Path) -> None:
    out = run_cli_in_process(
        "run", "geneva-2022", "-n", "30", "--seed", "2", "--paths", "--no-plots",
        "--format", "json", "--out", str(tmp_path / "r"), "--workers", "1", "--quiet",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    paths = body["paths"]
    assert (paths["base"], paths["other"], paths["runs"]) == ("dialogue_open", "dialogue_closed", 8)
    assert paths["metric"] == "p_war"
    assert set(TERMS) <= set(paths)
    for term in TERMS:
        assert set(paths[term]) == {"share", "ci"}
    diff = body["differences"]["dialogue_closed"]
    for m, block in paths["metrics"].items():
        shares = sum(block[p]["share"] for p in bg.PATHS)
        assert shares == pytest.approx(block["total"]["share"], abs=1e-12)
        assert block["total"]["share"] == pytest.approx(diff[m]["estimate"], abs=1e-12)
        assert block["total"]["ci"] == pytest.approx(diff[m]["ci"], abs=1e-12)


def test_run_paths_with_one_condition_exits_2(tmp_path: Path) -> None:
    out = run_cli_in_process(
        "run", "generic-dispute", "--condition", "channel_open", "-n", "5", "--paths",
        "--out", str(tmp_path / "r"),
    )  # fmt: skip
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert "--paths" in out.stderr
    assert "runs one" in out.stderr
    assert not (tmp_path / "r").exists()


def test_run_paths_for_a_pair_beyond_channels_exits_2(tmp_path: Path) -> None:
    out = run_cli_in_process(
        "run", "brinkmanship", "--condition", "channel_closed", "--condition", "channel_open",
        "-n", "5", "--paths", "--out", str(tmp_path / "r"),
    )  # fmt: skip
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert "differ in more than their channels" in out.stderr


def test_the_dry_run_estimate_includes_the_paths() -> None:
    """``run --paths --dry-run`` counts the 8 runs: more time and replication-rounds than the
    same dry run without them, and a memory part ``paths``; the pair is checked as the run
    checks it (exit 2 for a single condition)."""
    from escalsim.experiment.runner import estimate_run

    spec = load_scenario("generic-dispute")
    plain = estimate_run(spec, replications=400, seed=2, workers=1)
    both = estimate_run(spec, replications=400, seed=2, workers=1, paths=True)
    assert both.parts["paths"] > 0
    assert "paths" not in plain.parts
    after = plain.memory_bytes - plain.parts["tasks"] - plain.parts["workers"]
    assert both.memory_bytes == max(plain.memory_bytes, after + both.parts["paths"])
    assert both.seconds > plain.seconds
    # 8 runs of 400 replications of the pair, each no longer than the horizon.
    extra = both.replication_rounds - plain.replication_rounds
    assert 0 < extra <= 8 * 400 * spec.run.rounds
    out = run_cli_in_process("run", "generic-dispute", "-n", "400", "--paths", "--dry-run")
    assert out.returncode == 0, out.stderr
    assert "paths " in out.stdout
    assert "(included)" in out.stdout
    one = run_cli_in_process(
        "run", "generic-dispute", "--condition", "channel_open", "--paths", "--dry-run"
    )
    assert one.returncode == 2
    assert "Traceback" not in one.stderr


def test_a_run_whose_paths_do_not_fit_the_memory_budget_is_refused_before_it_runs(
    tmp_path: Path,
) -> None:
    """The budget covers the paths' 8 runs too: a budget the run alone fits (its dry run
    without --paths passes) but the run with its paths does not is refused with exit 2, naming
    --paths, and nothing is written. The paths run after the main run's tasks, so they raise
    the peak only where their 8 runs' outcome rows and task outweigh the main run's task with
    its twins: at 4,000 replications (the rows 32 MB; at 400 the main task, with decision-v2's
    temporaries, is the larger and the paths add nothing: limits.with_paths)."""
    from escalsim.experiment.runner import estimate_run

    spec = load_scenario("generic-dispute")
    with_paths = estimate_run(spec, replications=4000, seed=2, workers=1, paths=True)
    alone = estimate_run(spec, replications=4000, seed=2, workers=1)
    assert with_paths.memory_bytes > alone.memory_bytes
    budget = str((alone.memory_bytes + with_paths.memory_bytes) // 2)
    args = ("run", "generic-dispute", "-n", "4000", "--seed", "2", "--workers", "1")
    fits = run_cli_in_process(*args, "--max-memory", budget, "--dry-run")
    assert fits.returncode == 0, fits.stderr
    out = run_cli_in_process(*args, "--max-memory", budget, "--paths", "--out", str(tmp_path / "r"))
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert "--paths" in out.stderr
    assert not (tmp_path / "r").exists()


def test_a_doctrine_path_reaches_an_actor_field_of_the_preset_and_both_powers_get_it():
    """Paths below ``doctrines.NAME`` are an actor's fields, so one value ties every actor of
    the doctrine (the generic-crisis calibration fits both powers' cost prior at once)."""
    from escalsim.scenario import ScenarioError, load_scenario, with_settings

    spec = load_scenario("generic-crisis")
    changed = with_settings(
        spec,
        {
            "doctrines.disputant.war_cost.uniform.1": 2.0,
            "doctrines.disputant.policy.precision": 9.0,
            "doctrines.disputant.audience_cost": 1.5,
        },
    )
    low = spec.doctrines["disputant"]["war_cost"]["uniform"][0]
    for actor in changed.actors:
        assert actor.war_cost.uniform == [low, 2.0]
        assert actor.policy.precision == 9.0
        assert actor.audience_cost == 1.5
    with pytest.raises(ScenarioError, match=r"'colour' is not a field of doctrines\.disputant"):
        with_settings(spec, {"doctrines.disputant.colour": 1.0})
