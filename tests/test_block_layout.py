"""The random block laid out by the scenario's structure, and the type stream (issue 17, step 2).

docs/decision-v2.md §9. These tests check what the layout must keep: one layout for every
condition, twin and sweep point of a scenario (common random numbers), the design's sizes, both
faces giving the same frames, and the type stream's independence. (Version 1's layout went with
version 1's decision rule, step 6 of docs/decision-v2.md §12.)
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from conftest import ESCALSIM, run_process
from escalsim.agents import EscalationModel
from escalsim.batch import run_batch
from escalsim.core.params import schedule
from escalsim.core.streams import (
    BlockLayout,
    Draws,
    display_generator,
    replication_generator,
    type_uniforms,
)
from escalsim.experiment.limits import Shape
from escalsim.experiment.sweep import define_sweep
from escalsim.model import rounds
from escalsim.model.rounds import Crisis, Streams
from escalsim.scenario import Scenario, load_scenario, load_text, with_condition
from escalsim.scenario.load import with_settings

sys.path.insert(0, str(Path(__file__).parent / "golden"))
from golden_cases import batch_digests

from test_golden import _AGENT_CASES, _agent_digests, params

#: Uniforms per round: the layout by structure (docs/decision-v2.md §9's table, counted over each
#: shipped scenario's conditions): step 5b added ``offer_read`` for the two ordered pairs of
#: powers, and step 6c moved a message's honesty to the sender's type (the ``honesty`` slot,
#: drawn per message over the linked pairs until then, is gone: 79, 56, 50, 26, 24 and 17
#: before). Version 1's layout had 474, 227, 165, 37, 35 and 34. geneva-2022 in schema version 3
#: (docs/pair-wars.md §12 step 5) adds 6: its wars last (``battle``, ``exchange``) and it lists
#: the pair Russia-Ukraine (``pair_battle``, ``pair_exchange``, ``spillover``,
#: ``spillover_source``): 77 in version 2.
SIZES = {
    "geneva-2022": 83,
    "hotline-1963": 54,
    "able-archer-1983": 48,
    "generic-dispute": 24,
    "brinkmanship": 22,
    "ipd-noise": 17,
}


def _variants(spec: Scenario) -> list[Scenario]:
    return [with_condition(spec, c) for c in spec.conditions] or [spec]


def _with_condition(spec: Scenario, name: str, settings: dict[str, Any]) -> Scenario:
    """``spec`` with one more condition, ``name``, setting ``settings``."""
    raw = json.loads(json.dumps(spec._raw, default=str))
    raw["conditions"][name] = {"description": "added by the test", "set": settings}
    return load_text(json.dumps(raw), "test.yaml")


# -- the layout -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", SIZES)
def test_the_block_has_the_designs_size_for_every_shipped_scenario(name):
    """83 for geneva-2022 (77 in version 2), …: docs/decision-v2.md §9's counts."""
    spec = load_scenario(name)
    layout = BlockLayout.of(spec)
    assert layout.size == SIZES[name]
    # No per-message honesty (a message's honesty is its sender's type, from the type stream);
    # offer_read for the two ordered pairs of powers (step 5b), whatever their policies.
    assert layout.count("honesty") == 0
    assert layout.count("offer_read") == 2
    assert layout.count("third_party") == 0


@pytest.mark.parametrize("name", SIZES)
def test_every_condition_of_a_shipped_scenario_draws_in_one_layout(name):
    """The scenario as loaded and each condition applied give the same layout."""
    spec = load_scenario(name)
    layout = BlockLayout.of(spec)
    for variant in _variants(spec):
        assert BlockLayout.of(variant) == layout
        p = schedule(variant).params_at[0]
        streams = Streams(1, np.arange(2), layout, variant.run.rounds)
        crisis = Crisis(variant, schedule(variant), streams, np.arange(2), np.ones(2, bool), False)
        assert crisis.layout is layout
        # Reading slots by id: the incident of every actor is at the same place everywhere.
        assert [int(crisis._at["incident"][i]) for i in range(p.n_actors)] == [
            layout.position("incident", a) for a in p.ids
        ]


def test_a_value_never_changes_the_layout_and_a_sweeps_boolean_is_taken_both_ways():
    """A noise of 0 or 0.5 keeps the layout; may_join false/true lays out the join's slots."""
    spec = load_scenario("geneva-2022")
    layout = BlockLayout.of(spec)
    # (0.0, not 0: an int 0 makes the scenario's own sweep: block fail its check, "holds whole
    # numbers", a loader matter outside this test.)
    sweep, _ = define_sweep(spec, ["channels.hotline.noise=0.0,0.1,0.5"], replications=2)
    assert sweep.layout() == layout
    assert sweep.job().layout == layout
    for point in sweep.points:
        assert BlockLayout.of(with_settings(spec, point)) == layout
    # geneva's own sweep: block varies TUR.may_mediate, a boolean that is not structure.
    assert define_sweep(spec)[0].layout() == layout

    joins, _ = define_sweep(spec, ["actors.CHN.may_join=false,true"], replications=2)
    both = joins.layout()
    assert joins.job().layout == both
    assert layout.position("choice", "CHN") is None
    assert both.position("choice", "CHN") is not None
    assert both.size == layout.size + 4  # implementation, direction, friction, choice
    # Every point runs in the sweep's layout; a point's own would lack CHN's slots.
    never = with_settings(spec, {"actors.CHN.may_join": False})
    assert BlockLayout.of(never) == layout
    joined = with_settings(spec, {"actors.CHN.may_join": True})
    with pytest.raises(ValueError, match="does not draw"):
        run_batch(joined, replications=1, layout=layout)
    assert Shape.of(spec, both).block == both.size


def test_a_condition_that_changes_structure_widens_the_layout_of_every_condition():
    spec = _with_condition(
        load_scenario("geneva-2022"), "china_joins", {"actors.CHN.may_join": True}
    )
    layout = BlockLayout.of(spec)
    assert layout.position("choice", "CHN") is not None
    for variant in _variants(spec):
        assert BlockLayout.of(variant) == layout


def test_limits_size_memory_by_the_layout_the_runs_use():
    spec = load_scenario("geneva-2022")
    assert Shape.of(spec).block == BlockLayout.of(spec).size == SIZES["geneva-2022"]


def test_a_slot_the_layout_does_not_draw_cannot_be_read():
    spec = load_scenario("geneva-2022")
    p = schedule(spec).params_at[0]
    layout = BlockLayout.of(spec)
    u = Draws(np.random.default_rng(0).random((3, layout.size)), layout.bind(layout.structure, p))
    ukr, deu = p.ids.index("UKR"), p.ids.index("DEU")
    assert u.take("noise", ukr, p.power_a).shape == (3,)
    assert u.take("noise", np.array([ukr]), np.array([p.power_b])).shape == (3, 1)
    for name, index in [
        ("noise", (ukr, deu)),  # a third party's view of another: the display stream's
        ("choice", (deu,)),  # cannot decide: it never joins
        ("channel_up", (p.public,)),  # always up
        ("misread", (ukr, p.power_a)),  # no private channel between them
    ]:
        with pytest.raises(LookupError, match="not drawn"):
            u.take(name, *index)


# -- common random numbers ----------------------------------------------------------------------
Book = dict[tuple[int, int, tuple[str, tuple[str, ...]]], float]


@pytest.fixture
def draws_read(monkeypatch) -> Callable[[Callable[[], Any]], Book]:
    """``draws_read(run)``: every uniform the crises of ``run()`` read, by (rep, round, slot).

    A crisis and its twin must read the same number wherever they read the same slot.
    """
    current: dict[str, Crisis] = {}
    begin, finish = Crisis.begin_round, Crisis.finish_round

    def begin_round(self: Crisis) -> None:
        current["crisis"] = self
        begin(self)

    def finish_round(self: Crisis) -> None:
        current["crisis"] = self
        finish(self)

    book: Book = {}

    class Recording(Draws):
        def take(self, name: str, *index: Any) -> Any:
            out = super().take(name, *index)
            crisis = current["crisis"]
            where = np.broadcast_to(self.at[name][index], out.shape[1:]).ravel()
            values = out.reshape(len(out), -1)
            for row in np.flatnonzero(~crisis.finished):
                for k, pos in enumerate(where):
                    key = (int(crisis.reps[row]), crisis.round, crisis.layout.slots[pos])
                    assert book.setdefault(key, values[row, k]) == values[row, k], key
            return out

    monkeypatch.setattr(Crisis, "begin_round", begin_round)
    monkeypatch.setattr(Crisis, "finish_round", finish_round)
    monkeypatch.setattr(rounds, "Draws", Recording)

    def read(run: Callable[[], Any]) -> Book:
        book.clear()
        run()
        return dict(book)

    return read


def _same_where_shared(books: list[Book]) -> set[Any]:
    shared = set(books[0]).intersection(*books[1:])
    for key in shared:
        assert len({b[key] for b in books}) == 1, key
    return shared


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("generic-dispute", None),
        ("geneva-2022", None),
        ("geneva-2022", {"actors.CHN.may_join": True, "actors.CHN.red_line": 1}),
    ],
    ids=["generic-dispute", "geneva-2022", "geneva-2022-china-joins"],
)
def test_conditions_and_twins_read_the_same_numbers_for_the_same_slots(name, extra, draws_read):
    """Common random numbers: conditions that differ in a channel's openness (or in whether a
    third party may join) read the same incident, noise, choice, … draws of each replication."""
    spec = load_scenario(name)
    if extra is not None:
        spec = _with_condition(spec, "china_joins", extra)
    books = [
        draws_read(lambda c=c: run_batch(spec, condition=c, seed=3, replications=12, twin=True))
        for c in spec.condition_names
    ]
    shared = _same_where_shared(books)
    first = {(r, slot) for r, t, slot in shared if t == 1}
    p = schedule(spec).params_at[0]
    for r in range(12):  # round 1 is run by every replication of every condition
        assert all((r, ("incident", (a,))) in first for a in p.ids)
        assert (r, ("choice", (p.ids[p.power_a],))) in first
    if extra is not None:
        # CHN reads its choice only where it joined; the draws are there all the same.
        assert any(slot == ("choice", ("CHN",)) for _, _, slot in books[-1])


def test_the_points_of_a_sweep_over_a_structural_boolean_share_their_draws(draws_read):
    spec = load_scenario("geneva-2022")
    sweep, _ = define_sweep(spec, ["actors.CHN.may_join=false,true"], replications=8)
    job = sweep.job()
    books = [
        draws_read(
            lambda i=i: run_batch(
                job.scenario_at(i), seed=sweep.seed, replications=8, twin=True, layout=job.layout
            )
        )
        for i in range(len(sweep.points))
    ]
    assert len(_same_where_shared(books)) > 8 * 40


# -- both faces ---------------------------------------------------------------------------------
@pytest.mark.slow  # the default layout's faces: tests/test_golden.py in the default run
@pytest.mark.parametrize("case", params(_AGENT_CASES, mesa=True))
def test_both_faces_give_the_same_frames_in_the_layout_by_structure(case):
    """The golden master's cases (both faces), under the layout by structure: identical."""
    assert _agent_digests(case) == batch_digests(case)


@pytest.mark.parametrize("name", ["geneva-2022", "hotline-1963"])
def test_one_mesa_model_of_k_replications_gives_run_batchs_frames(name):
    reps = [6, 0, 11, 3, 9]
    spec = load_scenario(name)
    condition = spec.condition_names[-1]
    model = EscalationModel(scenario=spec, seed=4, replications=reps, condition=condition).run()
    batch = run_batch(spec, seed=4, replications=reps, condition=condition)
    for frame in ("outcome", "timeseries", "events"):
        pd.testing.assert_frame_equal(getattr(model, frame), getattr(batch, frame), obj=frame)


def test_the_pairs_only_the_mesa_face_shows_come_from_the_display_stream():
    """A third party's view of another: the same alone or among other replications."""
    alone = EscalationModel(scenario="geneva-2022", seed=2, replication=3)
    among = EscalationModel(scenario="geneva-2022", seed=2, replications=[0, 3, 5]).show(3)
    assert alone.crisis.display is not None
    for _ in range(4):
        alone.step()
        among.step()
    ukr, deu = alone.params.ids.index("UKR"), alone.params.ids.index("DEU")
    assert alone.state.perceived[alone.row, ukr, deu] == among.state.perceived[among.row, ukr, deu]
    assert np.array_equal(alone.state.perceived[alone.row], among.state.perceived[among.row])
    assert np.array_equal(alone.state.posterior[alone.row], among.state.posterior[among.row])


def test_the_display_stream_is_apart_from_the_round_and_type_streams():
    shown = display_generator(5, 2).random(64)
    assert not np.isin(shown, replication_generator(5, 2).random(10_000)).any()
    assert not np.isin(shown, type_uniforms(5, [2], actors=32).ravel()).any()


# -- the type stream ----------------------------------------------------------------------------
def test_the_type_stream_is_the_first_child_of_the_replications_sequence():
    """SeedSequence(root, spawn_key=(r, 0)): independent of the round stream (r,)."""
    drawn = type_uniforms(7, [0, 4], actors=3)
    assert drawn.shape == (2, 3, 2)
    for row, r in enumerate([0, 4]):
        child = np.random.SeedSequence(7).spawn(5)[r].spawn(1)[0]
        assert child.spawn_key == (r, 0)
        expected = np.random.Generator(np.random.PCG64(child)).random(6)
        assert np.array_equal(drawn[row].ravel(), expected)  # a's cost, a's honesty, b's, …
        assert not np.isin(drawn[row], replication_generator(7, r).random(100_000)).any()
    # The powers' draws do not depend on how many actors draw after them.
    assert np.array_equal(type_uniforms(7, [4], actors=2)[0], drawn[1, :2])


def _crises(
    spec: Scenario, layout: BlockLayout, reps: list[int], solo: bool = False
) -> tuple[Crisis, Crisis]:
    """A run and its twin on shared streams (``solo``: the run draws its own blocks)."""
    sched = schedule(spec)
    index = np.array(reps, dtype=np.int64)
    streams = Streams(5, index, layout, spec.run.rounds)
    hidden = np.zeros(len(reps), dtype=bool)
    return (
        Crisis(spec, sched, streams, index, hidden, False, solo=solo),
        Crisis(spec, sched, streams, index, hidden, True),
    )


def test_every_crisis_of_a_replication_sees_the_same_type_draws():
    """Identical across conditions, twins, chunks and compaction."""
    spec = load_scenario("geneva-2022")
    truth = type_uniforms(5, range(16), actors=2)
    for variant in _variants(spec):
        layout = BlockLayout.of(spec)
        for chunk in ([*range(16)], [9, 3, 12]):
            run, twin = _crises(variant, layout, chunk)
            assert np.array_equal(run.type_uniforms, truth[chunk])
            assert np.array_equal(twin.type_uniforms, truth[chunk])
        run, _ = _crises(variant, layout, [*range(16)], solo=True)
        while len(run.reps) == 16 and not run.over:
            run.step()
        assert np.array_equal(run.type_uniforms, truth[run.reps])


def test_drawing_the_types_moves_no_other_number(monkeypatch):
    spec = load_scenario("hotline-1963")
    plain = run_batch(spec, seed=9, replications=20, twin=True)
    begin = Crisis.begin_round

    def begin_round(self: Crisis) -> None:
        assert self.type_uniforms.shape == (len(self.reps), 2, 2)
        begin(self)

    monkeypatch.setattr(Crisis, "begin_round", begin_round)
    drawn = run_batch(spec, seed=9, replications=20, twin=True)
    pd.testing.assert_frame_equal(plain.runs(), drawn.runs())
    pd.testing.assert_frame_equal(plain.events, drawn.events)


def test_the_type_stream_is_the_same_in_another_process():
    code = "from escalsim.core.streams import type_uniforms as t; print(t(5, [3, 8], 2).tolist())"
    out = run_process([ESCALSIM[0], "-c", code])
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == type_uniforms(5, [3, 8], 2).tolist()


def test_the_experiments_layout_travels_to_its_worker_processes():
    """The runner builds the layout where the experiment is defined and sends it with each task:
    worker processes run every condition in it."""
    import escalsim

    spec = load_scenario("generic-dispute")
    pooled = escalsim.run(spec, replications=12, seed=8, workers=2, chunk=6, keep=3)
    for engine in ("batch", "agents"):
        local = escalsim.run(spec, replications=12, seed=8, workers=1, engine=engine, keep=3)
        for frame in ("runs", "timeseries", "events"):
            pd.testing.assert_frame_equal(getattr(pooled, frame), getattr(local, frame))
    for condition in spec.condition_names:
        alone = run_batch(spec, condition=condition, seed=8, replications=12, twin=True).runs()
        rows = pooled.runs[pooled.runs["condition"] == condition].reset_index(drop=True)
        pd.testing.assert_frame_equal(
            rows.drop(columns="condition"), alone.drop(columns="condition"), check_like=True
        )
