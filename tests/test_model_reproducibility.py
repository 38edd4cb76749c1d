"""Tier 1, reproducibility: the same seed gives identical frames; another seed differs."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from escalsim.agents import EscalationModel
from escalsim.core.params import schedule
from escalsim.core.streams import BlockLayout, draw_blocks, replication_generator
from escalsim.scenario import load_scenario, shipped


def _frames(model: EscalationModel) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return model.timeseries, model.events, model.outcome


@pytest.mark.parametrize("name", [n for n in shipped.names() if n != "ipd-noise"])
def test_same_seed_same_frames(name):
    first = _frames(EscalationModel(scenario=name, seed=11, replication=3).run())
    second = _frames(EscalationModel(scenario=name, seed=11, replication=3).run())
    for a, b in zip(first, second, strict=True):
        pd.testing.assert_frame_equal(a, b)


def test_different_seed_or_replication_differs():
    base = EscalationModel(scenario="geneva-2022", seed=11, replication=0).run().events
    other_seed = EscalationModel(scenario="geneva-2022", seed=12, replication=0).run().events
    other_rep = EscalationModel(scenario="geneva-2022", seed=11, replication=1).run().events
    assert not base.equals(other_seed)
    assert not base.equals(other_rep.assign(replication=0))


def test_replication_stream_does_not_depend_on_how_many_run():
    """Replication r draws from SeedSequence(seed, spawn_key=(r,)): the same as spawn(n)[r]."""
    spawned = np.random.SeedSequence(5).spawn(10)[7]
    a = np.random.Generator(np.random.PCG64(spawned)).random(20)
    b = replication_generator(5, 7).random(20)
    assert np.array_equal(a, b)


def test_blocks_drawn_at_once_equal_blocks_drawn_per_round():
    layout = BlockLayout.of(load_scenario("able-archer-1983"))
    at_once = draw_blocks(9, [0, 1], rounds=5, size=layout.size)
    for r in (0, 1):
        gen = replication_generator(9, r)
        per_round = np.stack([gen.random(layout.size) for _ in range(5)])
        assert np.array_equal(at_once[r], per_round)


def test_layout_slots_tile_the_block_exactly():
    """Every uniform of the block is one slot's, at one place of the crisis's index space."""
    spec = load_scenario("hotline-1963")
    p = schedule(spec).params_at[0]
    layout = BlockLayout.of(spec)
    at = layout.bind(layout.structure, p)
    seen = np.concatenate([at[n][at[n] >= 0].ravel() for n in at])
    assert np.array_equal(np.sort(seen), np.arange(layout.size))


def test_twin_consumes_the_same_stream():
    """The perfect-information twin draws the same blocks: scripted moves give the same path."""
    model = EscalationModel(scenario="brinkmanship", seed=3, condition="channel_open")
    twin = EscalationModel(
        scenario="brinkmanship", seed=3, condition="channel_open", perfect_information=True
    )
    assert np.array_equal(model.stream.random(8), twin.stream.random(8))


def test_mesa_randomness_is_never_used():
    model = EscalationModel(scenario="geneva-2022", seed=4)
    mesa_state = model.random.getstate()
    mesa_rng = model.rng.bit_generator.state
    model.run()
    assert model.random.getstate() == mesa_state
    assert model.rng.bit_generator.state == mesa_rng


# -- numerics: what "the same machine" means --------------------------------------------------
def _numerics_in_a_fresh_process(disabled: str | None) -> str:
    """A fresh process's numerics: with this one's environment, or with ``disabled`` as
    ``NPY_DISABLE_CPU_FEATURES`` (numpy's switch for its CPU-specific code)."""
    env = dict(os.environ)
    if disabled is not None:
        env["NPY_DISABLE_CPU_FEATURES"] = disabled
    code = "from escalsim.experiment.provenance import numerics; print(numerics())"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def _has(group: str) -> bool:
    """Whether numpy runs its code for ``group`` here (false where it is switched off)."""
    from numpy._core._multiarray_umath import __cpu_features__

    return bool(__cpu_features__.get(group))


def test_numerics_are_the_same_in_every_process_of_a_machine():
    """A fingerprint of 16 hex digits, the same in a fresh process (workers compare it)."""
    from escalsim.experiment.provenance import numerics, versions

    assert len(numerics()) == 16
    assert int(numerics(), 16) >= 0
    assert versions()["numerics"] == numerics()
    assert _numerics_in_a_fresh_process(None) == numerics()


@pytest.mark.skipif(not _has("X86_V4"), reason="numpy's AVX-512 code is not running here")
def test_numerics_tell_apart_the_code_numpy_chooses_for_the_cpu():
    """AVX-512, AVX2 and neither give three fingerprints, as they give three sets of numbers.

    ``tests/test_golden.py`` failed on 41 of its 158 default cases with AVX-512 switched off
    before the master held each regime's digests (docs/reliability.md): the fingerprint must
    change with the regime.
    """
    from escalsim.experiment.provenance import LOWER_REGIMES, numerics

    lower = [_numerics_in_a_fresh_process(d) for d in LOWER_REGIMES.values()]
    assert len({numerics(), *lower}) == 3


@pytest.mark.skipif(not _has("X86_V3"), reason="numpy runs no CPU-specific code here to switch off")
def test_a_spawned_worker_whose_numpy_computes_otherwise_refuses_the_task(monkeypatch):
    """A worker process started with numpy's code for this CPU switched off (as on an older
    machine of a cluster) refuses the task with :class:`NumericsError`, which reaches this
    process whole."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from escalsim.errors import NumericsError
    from escalsim.experiment.provenance import LOWER_REGIMES, numerics
    from escalsim.experiment.tasks import Job, Point, Task, run_task

    lower = LOWER_REGIMES["avx2" if _has("X86_V4") else "baseline"]
    job = Job(load_scenario("brinkmanship"), (Point("channel_open"),), seed=1, twin=False)
    monkeypatch.setenv("NPY_DISABLE_CPU_FEATURES", lower)  # read by the child only
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=spawn) as pool, pytest.raises(NumericsError) as caught:
        pool.submit(run_task, job, Task(0, 0, 1)).result()
    assert f"the client computes with numerics {numerics()}" in str(caught.value)
    assert caught.value.exit_code == 2
