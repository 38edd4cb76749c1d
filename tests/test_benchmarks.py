"""The benchmark script runs and prints its tables (a smoke test; speed targets are not tested)."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _quick(root, script: str, *more: str) -> str:  # type: ignore[no-untyped-def]
    """What ``benchmarks/SCRIPT --quick [MORE]`` prints on stdout (it must exit 0)."""
    command = [sys.executable, str(root / "benchmarks" / script), "--quick", *more]
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=600).stdout


@pytest.mark.slow
def test_bench_drivers_quick_prints_both_drivers_and_the_pd_ratio(root):
    out = _quick(root, "bench_drivers.py")
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    for name in ("geneva-2022", "hotline-1963", "ipd-noise"):
        drivers = {r.split("|")[2].strip() for r in rows if r.split("|")[1].strip() == name}
        assert {"agents", "batch"} <= drivers, out
    assert any("×" in r for r in rows), out  # the batch / agents ratio
    assert "axelrod / escalsim" in out
    assert "mutual restraint (CC share of turns" in out  # the same game, checked beside the speed


@pytest.mark.slow
def test_bench_fixed_cost_quick_prints_the_steps_and_the_fit(root):
    out = _quick(root, "bench_fixed_cost.py")
    rows = [line.split("|") for line in out.splitlines() if line.startswith("| after ")]
    assert [r[2].strip() for r in rows[:3]] == ["1", "20", "100"], out
    assert len(rows) == 4, out  # three sizes, then the fit
    assert "Fit per step = a + b·R" in out, out


@pytest.mark.slow
def test_bench_fixed_cost_splits_a_step_between_the_run_and_its_twins(root):
    out = _quick(
        root, "bench_fixed_cost.py", "--twin", "--by-run", "--scenario", "ipd-noise",
        "--condition", "tft_e05",
    )  # fmt: skip
    assert "ipd-noise (tft_e05, with twins)" in out, out
    batch = {
        int(r[2].replace(",", "")): float(r[7])
        for r in (line.split("|") for line in out.splitlines() if line.startswith("| after "))
        if r[2].strip().replace(",", "").isdigit()
    }
    assert sorted(batch) == [1, 20, 100], out
    header = next(line for line in out.splitlines() if line.startswith("| R | run |"))
    assert header.split("|")[2:6] == [" run ", " perception ", " complete ", " all "], out
    split = [
        line.split("|") for line in out.splitlines() if line.startswith("| ") and "---" not in line
    ]
    for r in (1, 20, 100):
        row = next(c for c in split if c[1].strip() == f"{r:,}" and len(c) == 7)
        run, perception, complete, total = (float(c) for c in row[2:6])
        assert min(run, perception, complete) > 0, out
        assert abs(run + perception + complete - total) < 0.02, out
        # The runs' steps are part of the batch, which also builds its frames.
        assert total <= batch[r] + 0.01, out
    fits = {c[1].strip() for c in split if len(c) == 5}
    assert {"run", "perception", "complete", "all"} <= fits, out


@pytest.mark.slow
def test_bench_main_job_quick_prints_before_and_after(root):
    out = _quick(root, "bench_main_job.py")
    table = ("| before", "| after")
    rows = [line.split("|") for line in out.splitlines() if line.startswith(table)]
    assert [r[1].strip() for r in rows] == ["before", "after"], out
    assert "load average before" in out


@pytest.mark.slow
def test_bench_timeline_quick_stamps_the_command_its_tasks_and_its_end(root):
    out = _quick(root, "bench_timeline.py")
    rows = [line.split("|") for line in out.splitlines() if line.startswith("| ")]
    stamped = {r[3].strip() for r in rows if len(r) == 5 and r[1].strip()[:1].isdigit()}
    for what in ("interpreter up", "task starts", "task ends", "figures ends", "process ended"):
        assert what in stamped, out
    assert "| the whole run, as a user waits for it |" in out, out


@pytest.mark.slow
def test_bench_time_model_quick_prints_each_scenario_and_the_fit(root):
    out = _quick(root, "bench_time_model.py")
    rows = [line.split("|") for line in out.splitlines() if line.startswith("| ")]
    assert {r[1].strip() for r in rows} >= {"geneva-2022", "brinkmanship"}, out
    assert "BARGAIN_U = " in out, out
    assert "BARGAIN_OD = " in out, out
    assert "in the tree" in out, out


@pytest.mark.slow
def test_bench_work_count_quick_prints_the_leaves_and_the_floor(root):
    out = _quick(root, "bench_work_count.py")
    assert "`hold_value`" in out, out  # the largest leaf of a geneva-2022 round
    assert "a floor" in out, out
    assert "the batch engine now" in out, out


@pytest.mark.slow
def test_bench_compiled_probe_quick_prints_numpys_side_without_numba(root):
    """numba is no dependency: without ``--numba-path`` only numpy's chain is measured."""
    out = _quick(root, "bench_compiled_probe.py")
    assert "| numpy (escalsim's functions) |" in out, out
    # The same chain with the replications last: its own timing, and how many results differ.
    last = next(line for line in out.splitlines() if line.startswith("| numpy, the replications"))
    cells = [c.strip() for c in last.split("|")[2:7]]
    assert float(cells[0]) > 0, out
    assert cells[3].endswith("%"), out
    assert "numba is not importable here" in out or "| numba |" in out, out


@pytest.mark.slow
def test_bench_elementary_gives_one_result_in_every_numerics_regime(root):
    """escalsim's own tanh and exp: the same bits under numpy's three regimes, within 4 ulp.

    Not a timing: the digests and errors are properties of the arithmetic. numpy's own tanh and
    exp may differ between regimes (they do on a machine with AVX-512); the fixed ones must not.
    """
    out = _quick(root, "bench_elementary.py")
    line = next(x for x in out.splitlines() if x.startswith("distinct digests over the regimes"))
    counts = dict(item.rsplit(" ", 1) for item in line.split(": ", 1)[1].split(", "))
    assert counts["tanh_fixed"] == "1", out
    assert counts["exp_fixed"] == "1", out
    errors = {
        c[1].strip(): float(c[2])
        for c in (x.split("|") for x in out.splitlines() if x.startswith("| "))
        if len(c) == 7 and c[1].strip() in ("tanh_fixed", "exp_fixed")
    }
    assert set(errors) == {"tanh_fixed", "exp_fixed"}, out
    assert max(errors.values()) < 4.0, out
