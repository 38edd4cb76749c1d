"""Tier 1, reproducibility: the same seed gives identical frames; another seed differs."""

from __future__ import annotations

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
