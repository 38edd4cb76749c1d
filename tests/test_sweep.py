"""Sweeps: definition and errors, samplers, identical results whatever runs them, resume."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading

import numpy as np
import pandas as pd
import pytest

from conftest import geneva_short, run_cli, run_cli_in_process, wait_until
from escalsim.experiment.sweep import (
    Sweep,
    load_sweep,
    make_executor,
    missing_parts,
    parse_vary,
    run_sweep,
)
from escalsim.scenario import ScenarioError, load_scenario, load_text, with_settings


@pytest.fixture(scope="module")
def geneva():
    """geneva-2022 over its first 8 weeks (``geneva_short``): at 26 this module was the test
    run's longest."""
    return geneva_short()


def small(spec, **kw) -> Sweep:
    varies = (
        parse_vary("channels.hotline.noise=0:0.4:3", spec),
        parse_vary("actors.RUS.war_cost=1.0,3.0", spec),
    )
    return Sweep(spec, varies, replications=kw.pop("replications", 24), seed=5, **kw)


# -- definition ---------------------------------------------------------------------------------
def test_specs_parse_to_values_or_bounds(geneva):
    assert parse_vary("channels.hotline.noise=0:0.5:11", geneva).values[1] == 0.05
    assert parse_vary("channels.hotline.noise=0.1,0.3", geneva).values == (0.1, 0.3)
    bounds = parse_vary("channels.hotline.noise=uniform(0, 0.5)", geneva)
    assert (bounds.values, bounds.low, bounds.high) == ((), 0.0, 0.5)
    latency = parse_vary("channels.backchannel.latency=0:4:5", geneva)
    assert latency.integer
    assert latency.values == (0, 1, 2, 3, 4)


def test_a_field_left_at_its_default_can_be_varied(geneva, root, tmp_path):
    """A path whose field the file does not set (it keeps its default) is varied like any other,
    whole-number fields keep whole values, and parsing leaves the scenario's own data alone."""
    text = (root / "src/escalsim/scenarios/geneva-2022.yaml").read_text(encoding="utf-8")
    # Since its rebuild (issue 19) geneva-2022 sets both powers' policy: the United States' is
    # cut here, so that its precision is the default policy's, as the backchannel's latency is.
    policy = "    policy: {name: bargaining, precision: 12.03}  # generic-crisis's precision;"
    at = text.index(policy)
    cut = text[:at] + text[text.index("\n", at) + 1 :]
    cut = cut.replace("    latency: 1     # meetings must be arranged and reported back\n", "")
    assert cut.count("\n") == text.count("\n") - 2
    (tmp_path / "g.yaml").write_text(cut, encoding="utf-8")
    spec = load_scenario(tmp_path / "g.yaml")
    assert "policy" not in spec._raw["actors"][0]
    before = json.dumps(spec._raw, sort_keys=True)
    precision = parse_vary("actors.USA.policy.precision=1:3:3", spec)
    assert precision.values == (1.0, 2.0, 3.0)
    assert json.dumps(spec._raw, sort_keys=True) == before
    latency = parse_vary("channels.backchannel.latency=0:2:3", spec)
    assert latency.integer
    assert latency.values == (0, 1, 2)


def test_a_whole_number_in_a_float_field_is_a_float(geneva):
    """``noise=0,0.1,0.5`` puts the int 0 into a float field; the scenario's own sweep: block
    ("0:0.5:6" on that field) is checked again with it, and read the field as whole numbers."""
    noise = parse_vary("channels.hotline.noise=0,0.1,0.5", geneva)
    assert not noise.integer
    assert noise.values == (0, 0.1, 0.5)


@pytest.mark.parametrize(
    ("text", "where", "says"),
    [
        ("channels.hotlin.noise=0:1:3", "channels.hotlin.noise", "did you mean 'hotline'"),
        ("channels.hotline.noise=0:1.5:4", "noise", "<= 1"),
        ("channels.hotline.noise=normal(0,1)", "channels.hotline.noise", "expected START:STOP"),
        ("channels.hotline.noise=0.5:0.1", "channels.hotline.noise", "LOW must be below HIGH"),
        ("channels.backchannel.latency=0:1:3", "latency", "whole numbers"),
        ("noise", "--vary", "expected PATH=SPEC"),
    ],
)
def test_bad_specs_are_located_and_explained(geneva, text, where, says):
    with pytest.raises(ScenarioError) as err:
        parse_vary(text, geneva)
    problem = err.value.problems[0]
    assert where in ".".join(str(x) for x in problem.loc)
    assert says in problem.message


def test_grid_is_every_combination_in_order(geneva):
    sweep = small(geneva)
    assert len(sweep.points) == 6
    assert sweep.points[1] == {"channels.hotline.noise": 0.0, "actors.RUS.war_cost": 3.0}
    assert sweep.points[2]["channels.hotline.noise"] == 0.2


def test_latin_hypercube_has_one_point_per_stratum(geneva):
    varies = (
        parse_vary("channels.hotline.noise=0:0.5", geneva),
        # Russia's cost of war (its type since geneva-2022's rebuild; resolve was swept before
        # it): not above 20, for war.exchange_value (-20) must stay below every type's value of
        # war, p - c (a sweep that breaks it stops with the loader's message:
        # test_cli_bad_inputs_exit_2_with_a_location's kind).
        parse_vary("actors.RUS.war_cost=uniform(0.3,9)", geneva),
    )
    sweep = Sweep(geneva, varies, sampler="lhs", samples=10, replications=2, seed=3)
    noise = np.array([p["channels.hotline.noise"] for p in sweep.points])
    assert sorted(np.floor(noise / 0.05).astype(int)) == list(range(10))
    again = Sweep(geneva, varies, sampler="lhs", samples=10, replications=2, seed=3)
    assert again.points == sweep.points  # the sampler is seeded by the sweep's seed


def test_sampler_needs_match_the_specs(geneva):
    listed = (parse_vary("channels.hotline.noise=0.1,0.2", geneva),)
    with pytest.raises(ScenarioError, match="needs bounds"):
        Sweep(geneva, listed, sampler="lhs")
    bounds = (parse_vary("channels.hotline.noise=0:0.5", geneva),)
    with pytest.raises(ScenarioError, match="grid sampler needs values"):
        Sweep(geneva, bounds)
    with pytest.raises(ScenarioError, match="power of two"):
        Sweep(geneva, bounds, sampler="sobol", samples=10)


def test_sobol_and_morris_designs_have_the_saltelli_and_trajectory_sizes(geneva):
    pytest.importorskip("SALib")
    two = (
        parse_vary("channels.hotline.noise=0:0.5", geneva),
        parse_vary("actors.RUS.war_cost=uniform(1.0,3.114)", geneva),
    )
    assert len(Sweep(geneva, two, sampler="sobol", samples=8).points) == 8 * (2 + 2)
    assert len(Sweep(geneva, two, sampler="morris", samples=3).points) == 3 * (2 + 1)


@pytest.mark.parametrize("sampler", ["sobol", "morris"])
def test_without_salib_the_message_names_the_extra(geneva, sampler, monkeypatch):
    monkeypatch.setitem(sys.modules, "SALib", None)
    monkeypatch.setitem(sys.modules, "SALib.sample", None)
    monkeypatch.setitem(sys.modules, f"SALib.sample.{sampler}", None)
    bounds = (parse_vary("channels.hotline.noise=0:0.5", geneva),)
    with pytest.raises(ScenarioError, match=r"pip install 'escalsim\[sa\]'"):
        Sweep(geneva, bounds, sampler=sampler, samples=4)


# -- execution and storage ----------------------------------------------------------------------
def test_results_are_identical_whatever_the_workers_and_chunks(geneva, tmp_path):
    sweep = small(geneva)
    one = run_sweep(sweep, tmp_path / "a", chunk=7, workers=1)
    two = run_sweep(sweep, tmp_path / "b", chunk=13, workers=2)
    assert (one.executor, two.executor) == ("in-process", "2 local processes")
    a, b = load_sweep(tmp_path / "a")[1], load_sweep(tmp_path / "b")[1]
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert len(a) == 6 * 24
    # Common random numbers: replication r is the same stream at every point, so a point
    # that changes nothing gives the very same runs.
    assert a["replication"].tolist()[:24] == list(range(24))


def test_a_part_is_one_point_and_chunk_and_the_manifest_sits_beside_runs(geneva, tmp_path):
    sweep = small(geneva, replications=10)
    run_sweep(sweep, tmp_path, chunk=4, workers=1)
    names = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert names[0] == "point-000000_reps-0000000-0000004.parquet"
    assert len(names) == 6 * 3
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["request_sha256"] == sweep.digest()
    assert manifest["chunk"] == 4
    assert manifest["request"]["points"] == sweep.points
    assert {"escalsim", "numpy", "pandas", "python", "mesa"} <= set(manifest["versions"])


def test_resume_runs_only_what_is_missing_and_refuses_a_changed_sweep(geneva, tmp_path):
    sweep = small(geneva, replications=10)
    run_sweep(sweep, tmp_path, chunk=5, workers=1)
    whole = load_sweep(tmp_path)[1]
    for part in sorted((tmp_path / "runs").iterdir())[::3]:
        part.unlink()
    (tmp_path / "runs" / ".point-000001_reps-0000000-0000005.parquet.x.tmp").write_text("half")
    assert len(missing_parts(tmp_path)) == 4
    report = run_sweep(sweep, tmp_path, chunk=99, workers=1, resume=True)
    assert (report.ran, report.done_before) == (4, 8)  # the manifest's chunk size is kept
    pd.testing.assert_frame_equal(load_sweep(tmp_path)[1], whole, check_exact=True)
    assert not list((tmp_path / "runs").glob(".*"))
    with pytest.raises(ScenarioError, match="add --resume"):
        run_sweep(sweep, tmp_path, workers=1)
    changed = small(geneva, replications=11)
    with pytest.raises(ScenarioError, match=r"different sweep \(changed: replications"):
        run_sweep(changed, tmp_path, workers=1, resume=True)


def _refusing_scheduler(*_args, **_kwargs):
    """make_executor as it fails when a Dask scheduler cannot be reached."""
    from escalsim.errors import UsageError
    from escalsim.scenario.errors import Problem

    raise UsageError([Problem(0, 0, ("--scheduler",), "cannot reach it", "experiment")])


def test_a_refused_scheduler_leaves_no_half_begun_folder(geneva, tmp_path, monkeypatch):
    """The store is begun before the executor is made: a refusal takes its manifest back.

    A new folder is not left behind; a folder with parts keeps them, to be resumed.
    """
    import escalsim.experiment.runner as runner
    import escalsim.experiment.sweep as sweep_module

    monkeypatch.setattr(sweep_module, "make_executor", _refusing_scheduler)
    monkeypatch.setattr(runner, "make_executor", _refusing_scheduler)
    sweep = small(geneva, replications=2)
    with pytest.raises(ScenarioError, match="cannot reach it"):
        run_sweep(sweep, tmp_path / "new", chunk=1, scheduler="tcp://127.0.0.1:9")
    assert not (tmp_path / "new").exists()
    with pytest.raises(ScenarioError, match="cannot reach it"):
        runner.run("brinkmanship", replications=4, seed=1, out=tmp_path / "run", plots=False)
    assert not list(tmp_path.iterdir())  # neither the run folder nor its .run.partial
    # A folder with parts stored keeps them, and its manifest, for --resume.
    monkeypatch.undo()
    run_sweep(sweep, tmp_path / "kept", chunk=1, workers=1)
    first = sorted((tmp_path / "kept" / "runs").iterdir())[0]
    first.unlink()
    monkeypatch.setattr(sweep_module, "make_executor", _refusing_scheduler)
    with pytest.raises(ScenarioError, match="cannot reach it"):
        run_sweep(sweep, tmp_path / "kept", chunk=1, resume=True, scheduler="tcp://127.0.0.1:9")
    assert (tmp_path / "kept" / "manifest.json").exists()
    assert missing_parts(tmp_path / "kept") == [first.name]


def _sweep_command(out, *extra: str) -> list[str]:
    """A sweep of 24 parts (6 points x 4 chunks of 5 replications) to stop and resume."""
    return [
        sys.executable,
        "-m",
        "escalsim",
        "sweep",
        "geneva-2022",
        "--vary",
        "channels.hotline.noise=0:0.4:3",
        "--vary",
        "actors.RUS.war_cost=1.0,3.0",
        "-n",
        "20",
        "--seed",
        "5",
        "--chunk",
        "5",
        "--out",
        str(out),
        "--quiet",
        *extra,
    ]


def _parts(out) -> int:
    runs = out / "runs"
    return len(list(runs.glob("point-*.parquet"))) if runs.exists() else 0


@pytest.fixture(scope="module")
def reference_sweep(root, tmp_path_factory):
    """The sweep of :func:`_sweep_command`, uninterrupted (in this process), for the module.

    The killed and the interrupted sweep resume to it; ``analyze`` reads a copy of it.
    """
    reference = tmp_path_factory.mktemp("reference") / "sweep"
    done = run_cli_in_process(*_sweep_command(reference, "--workers", "1")[3:], cwd=root)
    assert done.returncode == 0, done.stderr
    return reference


def test_killed_at_a_random_point_and_resumed_gives_the_same_results(
    root, tmp_path, spawn, reference_sweep
):
    # The killed sweep is a real process group (SIGKILL, no clean-up); the resume is the same
    # command, run in this process.
    out = tmp_path / "killed"
    child = spawn(*_sweep_command(out, "--workers", "2")[3:], stdout=subprocess.DEVNULL)
    # Any point of the 24 parts: not a seed searched for, a fresh random one each run.
    count = random.SystemRandom().randint(1, 18)
    child.wait_for(lambda: _parts(out) >= count, f"{count} parts were written")
    child.send(signal.SIGKILL, group=True)  # the sweep and its workers, no clean-up at all
    child.communicate()
    assert missing_parts(out), "killed too late to test anything"
    again = run_cli_in_process(*_sweep_command(out, "--workers", "1", "--resume")[3:], cwd=root)
    assert again.returncode == 0, again.stderr
    pd.testing.assert_frame_equal(
        load_sweep(out)[1], load_sweep(reference_sweep)[1], check_exact=True
    )


def test_ctrl_c_exits_130_and_leaves_a_resumable_sweep(root, tmp_path, spawn, reference_sweep):
    out = tmp_path / "sweep"
    child = spawn(*_sweep_command(out, "--workers", "1")[3:])
    child.wait_for(lambda: _parts(out) >= 2, "2 parts were written")
    child.send(signal.SIGINT)
    _, err = child.communicate()
    assert child.returncode == 130
    assert "--resume" in err
    assert "Traceback" not in err
    assert missing_parts(out)
    again = run_cli_in_process(*_sweep_command(out, "--workers", "1", "--resume")[3:], cwd=root)
    assert again.returncode == 0, again.stderr
    assert not missing_parts(out)
    pd.testing.assert_frame_equal(
        load_sweep(out)[1], load_sweep(reference_sweep)[1], check_exact=True
    )


def test_cli_bad_inputs_exit_2_with_a_location(root, tmp_path):
    bad = run_cli_in_process("sweep", "geneva-2022", "--vary", "channels.hotlin.noise=0:1:3", "-q")
    assert bad.returncode == 2
    assert "channels.hotlin.noise" in bad.stderr
    assert "did you mean 'hotline'" in bad.stderr
    assert "Traceback" not in bad.stderr
    none = run_cli_in_process("sweep", "hotline-1963", "--out", str(tmp_path / "x"), "-q")
    assert none.returncode == 2
    assert "at least one --vary" in none.stderr
    assert "sweep: block" in none.stderr
    not_a_sweep = run_cli_in_process("analyze", str(tmp_path))
    assert not_a_sweep.returncode == 2
    assert "not a sweep folder" in not_a_sweep.stderr


def test_vary_is_checked_under_the_sweeps_condition(tmp_path):
    """The points set their values under ``--condition``: a field the condition removes is
    refused before anything runs, at ``--vary``, naming the condition (it was found at the
    first point, located at the field alone); under a condition that keeps it, it runs."""
    out = tmp_path / "sweep"
    vary = ["--vary", "events.ssd_geneva.round=3,4", "-n", "2", "--no-twin", "-q"]
    removed = run_cli_in_process(
        "sweep", "geneva-2022", "--condition", "dialogue_closed", *vary, "--out", str(out)
    )
    assert removed.returncode == 2, removed.stderr
    assert (
        "sweep: --vary.events.ssd_geneva.round: under --condition dialogue_closed: events has "
        "no item 'ssd_geneva'" in removed.stderr
    )
    assert "Traceback" not in removed.stderr
    assert not out.exists()
    kept = run_cli_in_process(
        "sweep", "geneva-2022", "--condition", "dialogue_open", *vary, "--out", str(out)
    )
    assert kept.returncode == 0, kept.stderr
    assert not missing_parts(out)


def test_varying_a_policy_name_the_file_parameterises_says_why_and_what_to_do():
    """geneva-2022 sets ``policy: {name: bargaining, precision: 12.03}``: a --vary that changes
    only the name to a policy without ``precision`` is refused in the user's terms (the option and
    value given, the parameter the file sets, what the new policy takes, what to do instead), not
    as an unknown key under a path the user never wrote; the file's parameter is not dropped."""
    bad = run_cli_in_process(
        "sweep", "geneva-2022", "--vary", "actors.USA.policy.name=bargaining,reciprocal",
        "-n", "2", "--dry-run",
    )  # fmt: skip
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    assert bad.stderr.startswith("sweep: --vary: actors.USA.policy.name=reciprocal: "), bad.stderr
    assert "the scenario file sets actors.USA.policy.precision (12.03)" in bad.stderr
    assert "policy 'reciprocal' does not take precision (it takes no parameters)" in bad.stderr
    assert "--vary actors.USA.policy.precision=V1,V2,..." in bad.stderr
    assert "set: {actors.USA.policy: {name: reciprocal}}" in bad.stderr
    assert "--condition NAME" in bad.stderr
    assert "unknown key" not in bad.stderr
    # Any parameter the new policy lacks, not only precision; what the new policy takes is named.
    spec = load_scenario("geneva-2022")
    with pytest.raises(ScenarioError) as err:
        parse_vary("actors.RUS.policy.name=generous", spec)
    assert "policy 'generous' does not take precision (it takes generosity)" in str(err.value)


def test_varying_a_policy_name_a_doctrine_parameterises_is_accepted():
    """generic-crisis's powers take their policy from a doctrine; the loader applies a doctrine's
    policy parameters only to the policy of the same name, so varying the name is valid there
    (as the sweep's own settings show), and --vary accepts it."""
    spec = load_scenario("generic-crisis")
    vary = parse_vary("actors.A.policy.name=bargaining,reciprocal,generous", spec)
    assert vary.values == ("bargaining", "reciprocal", "generous")
    assert with_settings(spec, {"actors.A.policy.name": "reciprocal"}).actors[0].policy.name == (
        "reciprocal"
    )


# -- Dask ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as local:
        yield local


@pytest.mark.cluster
def test_a_dask_cluster_gives_the_same_results(geneva, tmp_path, cluster):
    sweep = small(geneva)
    run_sweep(sweep, tmp_path / "local", chunk=7, workers=1)
    report = run_sweep(sweep, tmp_path / "dask", chunk=10, scheduler=cluster.scheduler_address)
    assert report.executor.startswith("Dask at tcp://127.0.0.1")
    pd.testing.assert_frame_equal(
        load_sweep(tmp_path / "dask")[1], load_sweep(tmp_path / "local")[1], check_exact=True
    )


@pytest.mark.cluster
@pytest.mark.parametrize("engine", ["agents", "batch"])
def test_a_run_on_a_dask_cluster_gives_the_same_results(tmp_path, cluster, engine):
    """Runs go through the sweeps' executors: Dask too, with the same results as in-process."""
    from escalsim.experiment.runner import run

    kw = dict(replications=30, seed=11, engine=engine, keep=5)
    here = run("brinkmanship", workers=1, chunk=30, **kw)
    there = run(
        "brinkmanship",
        scheduler=cluster.scheduler_address,
        chunk=7,
        checkpoint=tmp_path / "r",
        **kw,
    )
    for name in ("runs", "timeseries", "events"):
        pd.testing.assert_frame_equal(getattr(there, name), getattr(here, name), check_exact=True)


@pytest.mark.cluster
def test_a_dask_worker_of_other_numerics_is_refused_at_connect(tmp_path, monkeypatch):
    """A cluster whose worker computes numpy's elementary functions otherwise (started here
    with numpy's code for this CPU switched off, as an older machine would compute) is refused
    before any task runs: its numbers would differ in their last bits."""
    distributed = pytest.importorskip("distributed")
    from numpy._core._multiarray_umath import __cpu_features__

    from escalsim.errors import NumericsError
    from escalsim.experiment.provenance import LOWER_REGIMES
    from escalsim.experiment.runner import run

    if not __cpu_features__.get("X86_V3"):
        pytest.skip("numpy runs no CPU-specific code here to switch off")
    lower = LOWER_REGIMES["avx2" if __cpu_features__.get("X86_V4") else "baseline"]
    # This process's numpy is imported already: only the workers it starts read the switch.
    monkeypatch.setenv("NPY_DISABLE_CPU_FEATURES", lower)
    with (
        distributed.LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",  # a free port: the module's cluster may hold 8787
        ) as other,
        pytest.raises(NumericsError) as caught,
    ):
        run("brinkmanship", replications=4, seed=1, scheduler=other.scheduler_address)
    message = str(caught.value)
    assert message.startswith("numerics: --scheduler: Dask worker tcp://127.0.0.1:")
    assert "NPY_DISABLE_CPU_FEATURES" in message


@pytest.mark.cluster
def test_cli_run_takes_a_dask_scheduler(root, tmp_path, cluster):
    args = ["run", "brinkmanship", "-n", "20", "--seed", "4", "--no-plots", "-q", "--format"]
    local = run_cli(*args, "csv", "--out", str(tmp_path / "a"), "--workers", "1", cwd=root)
    dask = run_cli(
        *args,
        "csv",
        "--out",
        str(tmp_path / "b"),
        "--scheduler",
        cluster.scheduler_address,
        cwd=root,
    )
    assert local.returncode == 0, local.stderr
    assert dask.returncode == 0, dask.stderr
    assert dask.stdout == local.stdout


@pytest.mark.slow  # 43 s on the reference machine: CI's slow tier runs it
@pytest.mark.cluster
def test_losing_a_dask_worker_mid_sweep_loses_nothing(geneva, tmp_path, cluster):
    from distributed import Client

    sweep = small(geneva, replications=60)
    run_sweep(sweep, tmp_path / "local", chunk=20, workers=1)
    client = Client(cluster.scheduler_address)
    pids = client.run(os.getpid)
    killed = threading.Event()

    def kill_one(_task) -> None:
        if not killed.is_set():
            killed.set()
            os.kill(next(iter(pids.values())), signal.SIGKILL)

    run_sweep(
        sweep,
        tmp_path / "dask",
        chunk=3,
        scheduler=cluster.scheduler_address,
        on_part=kill_one,
    )
    assert killed.is_set()
    pd.testing.assert_frame_equal(
        load_sweep(tmp_path / "dask")[1], load_sweep(tmp_path / "local")[1], check_exact=True
    )
    client.close()


@pytest.mark.cluster
def test_a_cluster_running_another_escalsim_is_refused(cluster, monkeypatch):
    import escalsim

    monkeypatch.setattr(escalsim, "__version__", "0.0.0-not-this-one")
    with pytest.raises(ScenarioError, match="another escalsim"):
        make_executor(scheduler=cluster.scheduler_address)


# -- analysis -----------------------------------------------------------------------------------
def test_analyze_writes_the_tidy_table_and_a_heatmap(tmp_path, reference_sweep):
    out = tmp_path / "sweep"
    shutil.copytree(reference_sweep, out)  # what `escalsim sweep` made (the other tests' too)
    shown = run_cli_in_process("analyze", str(out), "--metric", "p_war", "--format", "csv")
    assert shown.returncode == 0, shown.stderr
    table = pd.read_csv(out / "analysis" / "summary.csv")
    assert list(table.columns[:4]) == [
        "point",
        "channels.hotline.noise",
        "actors.RUS.war_cost",
        "metric",
    ]
    assert set(table["metric"]) == {"p_war"}
    assert len(table) == 6
    assert ((table["lo"] <= table["estimate"]) & (table["estimate"] <= table["hi"])).all()
    assert (out / "analysis" / "heatmap-p_war.png").stat().st_size > 10_000


@pytest.mark.cluster
def test_cli_sweep_default_and_dask_give_the_same_results_and_heatmap(root, tmp_path, cluster):
    """The issue's acceptance run: direct-channel noise x third-party mediation, twice."""
    args = [
        "sweep",
        "geneva-2022",
        "--vary",
        "channels.hotline.noise=0:0.4:3",
        "--vary",
        "actors.TUR.may_mediate=false,true",
        "-n",
        "30",
        "--seed",
        "8",
        "--quiet",
    ]
    local = run_cli(*args, "--out", str(tmp_path / "local"), cwd=root)
    assert local.returncode == 0, local.stderr
    dask = run_cli(
        *args, "--out", str(tmp_path / "dask"), "--scheduler", cluster.scheduler_address, cwd=root
    )
    assert dask.returncode == 0, dask.stderr
    pd.testing.assert_frame_equal(
        load_sweep(tmp_path / "dask")[1], load_sweep(tmp_path / "local")[1], check_exact=True
    )
    for folder in ("local", "dask"):
        shown = run_cli("analyze", str(tmp_path / folder), "--format", "csv", cwd=root)
        assert shown.returncode == 0, shown.stderr
    for name in ("summary.csv", "heatmap-p_war.png", "heatmap-miscalculation_rate.png"):
        a = (tmp_path / "local" / "analysis" / name).read_bytes()
        assert a == (tmp_path / "dask" / "analysis" / name).read_bytes(), name


@pytest.mark.parametrize(
    ("sampler", "indices"),
    [
        ("sobol", {"S1", "ST"}),
        # Morris runs the same analysis path: the slow tier (CI) keeps it, the default run Sobol'.
        pytest.param("morris", {"mu_star", "sigma"}, marks=pytest.mark.slow),
    ],
)
def test_sensitivity_indices_average_replicates_and_come_with_cis(root, tmp_path, sampler, indices):
    pytest.importorskip("SALib")
    from escalsim.experiment.sweep import analyze, sensitivity

    spec = load_scenario("hotline-1963")
    varies = (
        parse_vary("channels.public.noise=0:0.4", spec),
        parse_vary("accidents.implementation_error=0:0.2", spec),
    )
    # The smallest Saltelli design (N = 4: 16 points) and 4 Morris trajectories: the properties
    # are the table's shape and that each CI is the estimate -+ SALib's bootstrap half-width.
    samples = 4
    sweep = Sweep(spec, varies, sampler=sampler, samples=samples, replications=20, seed=2)
    run_sweep(sweep, tmp_path, chunk=20, workers=1)
    manifest, runs = load_sweep(tmp_path)
    table = sensitivity(manifest, runs, "miscalculation_rate", resamples=200)
    assert set(table["index"]) == indices
    assert set(table["field"]) == {v.path for v in varies}
    ranged = table.dropna(subset=["lo"])
    assert ((ranged["lo"] <= ranged["estimate"]) & (ranged["estimate"] <= ranged["hi"])).all()
    _, figures = analyze(tmp_path)
    assert (tmp_path / "analysis" / "sensitivity.csv").exists()
    assert any(p.name == "sensitivity-p_war.png" for p in figures)
    grid = Sweep(spec, (parse_vary("channels.public.noise=0,0.2", spec),), replications=2)
    run_sweep(grid, tmp_path / "grid", workers=1)
    grid_manifest, grid_runs = load_sweep(tmp_path / "grid")
    with pytest.raises(ScenarioError, match="--sampler sobol or morris"):
        sensitivity(grid_manifest, grid_runs, "p_war")


@pytest.mark.slow  # 52 s on the reference machine: CI's slow tier runs it
@pytest.mark.cluster
def test_the_multi_machine_recipe_on_loopback(root, tmp_path):
    """docs/sweeps.md's recipe, with `dask scheduler` and `dask worker` as separate commands."""
    distributed = pytest.importorskip("distributed")
    from pathlib import Path

    dask = str(Path(sys.executable).parent / "dask")  # the venv's `dask` command, as documented
    dask_cli = [dask, "scheduler"]
    worker_cli = [dask, "worker"]
    file = tmp_path / "scheduler.json"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": root}
    scheduler = subprocess.Popen(
        [
            *dask_cli,
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--no-dashboard",
            "--scheduler-file",
            str(file),
        ],
        **quiet,
    )
    worker = None
    try:
        wait_until(file.exists, "the scheduler wrote its file", scheduler)
        worker = subprocess.Popen(
            [
                *worker_cli,
                "--scheduler-file",
                str(file),
                "--nworkers",
                "2",
                "--nthreads",
                "1",
                "--no-dashboard",
            ],
            **quiet,
        )
        with distributed.Client(scheduler_file=str(file), timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
            address = client.scheduler.address
        args = _sweep_command(tmp_path / "remote")[3:]
        remote = run_cli(*args, "--scheduler", address, cwd=root)
        assert remote.returncode == 0, remote.stderr
        local = run_cli(*_sweep_command(tmp_path / "local", "--workers", "1")[3:], cwd=root)
        assert local.returncode == 0, local.stderr
        pd.testing.assert_frame_equal(
            load_sweep(tmp_path / "remote")[1], load_sweep(tmp_path / "local")[1], check_exact=True
        )
        manifest = json.loads((tmp_path / "remote" / "manifest.json").read_text())
        assert (
            manifest["request_sha256"]
            == json.loads((tmp_path / "local" / "manifest.json").read_text())["request_sha256"]
        )
    finally:
        for proc in (worker, scheduler):
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()


# Scenario discovery (PRIM, the EMA workbench extra) runs in the slow tier (CI): the Latin
# hypercube sweep it mines and the workbench's import cost about 17 s of the default run's CPU.
@pytest.fixture(scope="module")
def lhs_sweep(tmp_path_factory):
    # generic-dispute's powers playing tit-for-tat: their wars spiral from noise and errors, so
    # P(war) varies over the box (the shipped scenarios' bargaining powers settle in a round or
    # two, before the varied noise and errors can matter).
    spec = with_settings(
        load_scenario("generic-dispute"),
        {"actors.A.policy": {"name": "reciprocal"}, "actors.B.policy": {"name": "reciprocal"}},
    )
    varies = (
        parse_vary("channels.public.noise=0:0.5", spec),
        parse_vary("accidents.implementation_error=0:0.3", spec),
    )
    out = tmp_path_factory.mktemp("lhs")
    sweep = Sweep(spec, varies, sampler="lhs", samples=24, replications=20, seed=3)
    run_sweep(sweep, out, chunk=20, workers=1)
    return out


@pytest.mark.slow
def test_prim_finds_a_box_with_its_coverage_and_density(lhs_sweep):
    pytest.importorskip("ema_workbench")
    from escalsim.experiment.sweep import discover, point_table

    manifest, runs = load_sweep(lhs_sweep)
    estimates = point_table(manifest, runs, ["p_war"])["estimate"]
    # A condition that holds at about half the points, whatever the numbers turn out to be.
    condition = f"p_war > {float(np.median(estimates)):.4f}"
    found = discover(manifest, runs, condition)
    trajectory, box = found["trajectory"], found["box"]
    assert trajectory["chosen"].sum() == 1
    assert trajectory[["coverage", "density", "mass"]].apply(lambda c: c.between(0, 1)).all().all()
    assert set(box["field"]) == {"channels.public.noise", "accidents.implementation_error"}
    assert box["restricted"].any()
    assert (box["min"] <= box["max"]).all()
    shown = run_cli_in_process(
        "analyze", str(lhs_sweep), "--metric", "p_war", "--discover", condition
    )
    assert shown.returncode == 0, shown.stderr
    for name in ("prim-trajectory.csv", "prim-box.csv", "prim.png"):
        assert (lhs_sweep / "analysis" / name).exists()


@pytest.mark.parametrize(
    ("condition", "says"),
    [
        ("p_war >> 0.1", "expected METRIC OP VALUE"),
        ("p_wat > 0.1", "expected METRIC OP VALUE"),
        ("p_war > 2", "holds at no point"),
    ],
)
@pytest.mark.slow
def test_discovery_conditions_are_checked(lhs_sweep, condition, says):
    pytest.importorskip("ema_workbench")
    from escalsim.experiment.sweep import discover

    with pytest.raises(ScenarioError, match=says):
        discover(*load_sweep(lhs_sweep), condition)


@pytest.mark.slow
def test_without_the_ema_workbench_the_message_names_the_extra(lhs_sweep, monkeypatch):
    from escalsim.experiment.sweep import discover

    monkeypatch.setitem(sys.modules, "ema_workbench", None)
    monkeypatch.setitem(sys.modules, "ema_workbench.analysis", None)
    with pytest.raises(ScenarioError, match=r"pip install 'escalsim\[discovery\]'"):
        discover(*load_sweep(lhs_sweep), "p_war > 0.3")


def test_the_scenarios_sweep_block_defines_the_sweep(root, tmp_path):
    spec = load_scenario("geneva-2022")
    assert spec.sweep is not None
    out = tmp_path / "block"
    made = run_cli_in_process(
        "sweep", "geneva-2022", "-n", "6", "--out", str(out), "-q", "--workers", "1", cwd=root
    )
    assert made.returncode == 0, made.stderr
    sweep = json.loads((out / "manifest.json").read_text())["request"]
    assert [v["path"] for v in sweep["varies"]] == list(spec.sweep.vary)
    assert len(sweep["points"]) == 6 * 2
    assert sweep["replications"] == 6  # the command line takes precedence over the block
    assert sweep["condition"] == spec.sweep.condition


def test_a_bad_sweep_block_is_reported_at_its_lines(root, tmp_path):
    text = (root / "scenarios" / "geneva-2022.yaml").read_text(encoding="utf-8")
    bad = (
        text.replace('channels.hotline.noise: "0:0.5:6"', 'channels.hotlin.noise: "0:0.5:6"')
        .replace("actors.TUR.may_mediate: [false, true]", "actors.TUR.resolve: [0.5, 1.5]")
        .replace("  condition: dialogue_open\n", "  condition: dialog_open\n")
    )
    path = tmp_path / "bad.yaml"
    path.write_text(bad, encoding="utf-8")
    lines = bad.splitlines()
    row = {
        k: next(i for i, line in enumerate(lines, 1) if k in line)
        for k in ("hotlin.noise", "TUR.resolve", "dialog_open")
    }
    shown = run_cli_in_process("validate", str(path))
    assert shown.returncode == 2
    err = shown.stderr
    assert f"bad.yaml:{row['hotlin.noise']}:5: sweep.vary.channels.hotlin.noise" in err
    assert "did you mean 'hotline'" in err
    assert f"bad.yaml:{row['TUR.resolve']}:" in err
    assert "value 1.5" in err
    assert f"bad.yaml:{row['dialog_open']}:" in err
    assert "did you mean 'dialogue_open'" in err
    assert "Traceback" not in err


def test_a_sweep_block_varying_a_policy_name_the_file_parameterises_says_why(root, tmp_path):
    """geneva-2022's USA plays ``{name: bargaining, precision: 12.03}``: its own sweep: block
    varying the name to reciprocal (which takes no precision) is refused as --vary refuses it
    (the parameter the file sets, that the new policy does not take it, what to do), at the
    block's entry, not as an unknown key under a path the file never wrote."""
    text = (root / "scenarios" / "geneva-2022.yaml").read_text(encoding="utf-8")
    entry = "actors.USA.policy.name: [bargaining, reciprocal]"
    bad = text.replace("actors.TUR.may_mediate: [false, true]", entry)
    path = tmp_path / "bad.yaml"
    path.write_text(bad, encoding="utf-8")
    row = next(i for i, line in enumerate(bad.splitlines(), 1) if entry in line)
    shown = run_cli_in_process("validate", str(path))
    assert shown.returncode == 2
    err = shown.stderr
    assert f"bad.yaml:{row}:" in err
    assert "sweep.vary.actors.USA.policy.name: value 'reciprocal': " in err
    assert "the scenario file sets actors.USA.policy.precision (12.03)" in err
    assert "policy 'reciprocal' does not take precision (it takes no parameters)" in err
    assert "actors.USA.policy.precision: [V1, V2, ...]" in err
    assert "set: {actors.USA.policy: {name: reciprocal}}" in err
    assert "unknown key" not in err
    assert "Traceback" not in err


def test_a_sweep_block_varying_a_policy_name_a_doctrine_parameterises_is_accepted(root):
    """generic-crisis's powers take ``{name: bargaining, precision: ...}`` from a doctrine, whose
    policy parameters apply only to the policy of its name: a sweep: block varying a power's
    policy name is valid (the sweep would run it), as --vary accepts it."""
    text = (root / "scenarios" / "generic-crisis.yaml").read_text(encoding="utf-8")
    assert "\nsweep:" not in text
    swept = text + "\nsweep:\n  vary:\n    actors.A.policy.name: [bargaining, reciprocal, grit]\n"
    spec = load_text(swept, "swept.yaml")
    assert spec.sweep is not None
    assert spec.sweep.vary["actors.A.policy.name"] == ["bargaining", "reciprocal", "grit"]


def test_the_command_plans_a_sweep_once(tmp_path, monkeypatch):
    # The command plans first (to refuse or dry-run before making a folder) and hands the plan
    # to run_sweep, which would otherwise measure the model's arrays a second time.
    from escalsim.experiment import sweep as module

    calls: list[int] = []
    original = module.plan

    def counted(*args, **kwargs):
        calls.append(kwargs.get("chunk", 0))
        return original(*args, **kwargs)

    monkeypatch.setattr(module, "plan", counted)
    out = tmp_path / "s"
    args = ["sweep", "hotline-1963", "--vary", "channels.hotline.noise=0,0.2", "-n", "4"]
    args += ["--chunk", "2", "--seed", "3", "--workers", "1", "--out", str(out), "-q"]
    done = run_cli_in_process(*args)
    assert done.returncode == 0, done.stderr
    assert calls == [2]
    assert not missing_parts(out)
