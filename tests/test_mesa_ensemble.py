"""The mesa face stepping several replications at once (issue 15: a viewer of an ensemble).

``EscalationModel(..., replications=k)`` drives one ``Crisis`` of k rows. Its three frames are
``run_batch``'s for the same replications, bit for bit; its agents view one shown replication,
and a replication that ended while others run is frozen as it ended (never shows drift); a
player's moves are made in every replication.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from escalsim.agents import EscalationModel
from escalsim.batch import run_batch
from escalsim.model.constants import OUTCOMES
from escalsim.scenario import Scenario, load_scenario, with_condition
from escalsim.scenario.load import with_settings
from strategies import scenarios

sys.path.insert(0, str(Path(__file__).parent / "golden"))
from golden_cases import build, expected_digests, frame_digest

FRAMES = ("outcome", "timeseries", "events")
#: Scattered, unsorted replication numbers: the model keeps the order it was given.
REPS = [6, 0, 11, 3, 9]
#: A shipped scenario whose runs end at different rounds (when the powers' crisis ends).
ENDING = "able-archer-1983"


def assert_same_frames(model: EscalationModel, batch: Any) -> None:
    for name in FRAMES:
        pd.testing.assert_frame_equal(
            getattr(model, name), getattr(batch, name), check_exact=True, obj=name
        )


def agent_state(model: EscalationModel) -> dict[str, Any]:
    """Everything a viewer reads on the shown replication's agents and model."""
    state: dict[str, Any] = {
        "outcome_name": model.outcome_name,
        "end_round": model.end_round,
        "war_cause": model.war_cause,
        "peak_rung": model.peak_rung,
        "channel_open": model.channel_open.copy(),
        "channel_up": model.channel_up.copy(),
        "agreed": model.agreed.copy(),
    }
    for agent in model.actor_list:
        for name in (
            "rung",
            "apparent",
            "incident",
            "last_move",
            "committed",
            "cumulative_risk",
            "alignment_a",
            "joined",
            "memory",
        ):
            state[f"{agent.actor_id}.{name}"] = getattr(agent, name)
        for name in ("perceived", "perceived_move", "adversary_resolve"):
            state[f"{agent.actor_id}.{name}"] = getattr(agent, name).copy()
        if agent.role == "power":
            state[f"{agent.actor_id}.trust"] = agent.trust
            state[f"{agent.actor_id}.posterior"] = agent.posterior.copy()
            state[f"{agent.actor_id}.war_cost"] = agent.war_cost
            state[f"{agent.actor_id}.offers"] = np.array([agent.offer, agent.offer_read])
        if agent.decides:  # what its policy would read (repr: NaN equals NaN)
            for truth in (False, True):
                state[f"{agent.actor_id}.observation.{truth}"] = repr(
                    agent.observation(truth=truth)
                )
        state[f"{agent.actor_id}.side_capability"] = model.side_capability(agent.index)
    return state


def assert_same_state(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a.keys() == b.keys()
    for key, value in a.items():
        if isinstance(value, np.ndarray):
            assert np.array_equal(value, b[key], equal_nan=True), key
        else:
            assert value == b[key], key


def spec_of(name: str, last: bool) -> Scenario:
    spec = load_scenario(name)
    return with_condition(spec, spec.condition_names[-1]) if last else spec


# -- the frames are run_batch's ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "last"),
    [
        ("geneva-2022", False),
        ("hotline-1963", True),
        ("able-archer-1983", True),
        ("brinkmanship", False),
    ],
)
def test_k_replications_give_run_batchs_frames(name: str, last: bool) -> None:
    spec = spec_of(name, last)
    batch = run_batch(spec, seed=5, replications=REPS, twin=True)
    model = EscalationModel(scenario=spec, seed=5, replications=REPS).run()
    twins = EscalationModel(scenario=spec, seed=5, replications=REPS, perfect_information=True)
    twins.run()
    assert_same_frames(model, batch)
    pd.testing.assert_frame_equal(twins.outcome, batch.twin_outcome, check_exact=True)
    perfect = run_batch(spec, seed=5, replications=REPS, perfect_information=True)
    assert_same_frames(twins, perfect)


def test_a_count_of_replications_means_0_to_k_minus_1_as_in_run_batch() -> None:
    model = EscalationModel(scenario="hotline-1963", seed=3, replications=4).run()
    assert model.replications == (0, 1, 2, 3)
    assert_same_frames(model, run_batch("hotline-1963", seed=3, replications=4))


@pytest.mark.slow  # 2 × 1,000 rounds one replication at a time: ~5 s; CI's slow tier runs it
def test_the_ipd_many_rounds() -> None:
    model = EscalationModel(scenario="ipd-noise", seed=11, replications=[2, 0]).run()
    assert_same_frames(model, run_batch("ipd-noise", seed=11, replications=[2, 0]))


@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(spec=scenarios())
def test_generated_scenarios_give_run_batchs_frames(spec: Scenario) -> None:
    batch = run_batch(spec, seed=11, replications=REPS, twin=True)
    model = EscalationModel(scenario=spec, seed=11, replications=REPS).run()
    assert_same_frames(model, batch)
    twins = EscalationModel(scenario=spec, seed=11, replications=REPS, perfect_information=True)
    pd.testing.assert_frame_equal(twins.run().outcome, batch.twin_outcome, check_exact=True)


_MASTER = json.loads((Path(__file__).parent / "golden" / "frames.json").read_text())
GOLDEN = _MASTER["cases"]


@pytest.mark.parametrize(
    "case",
    [c for i, c in enumerate(GOLDEN) if c.get("human_moves") or ("raw" in c and i % 10 == 3)]
    + [
        c
        for c in GOLDEN
        if c.get("scenario") in ("geneva-2022", "able-archer-1983") and c["condition"] is not None
    ][:6],
    ids=lambda c: f"{c.get('scenario', 'generated')}-{c.get('condition')}-{c['mode']}",
)
def test_one_model_of_k_replications_reproduces_the_golden_master(case: dict[str, Any]) -> None:
    """The stored digests (taken before the two drivers became one), from one model of k rows."""
    expected = expected_digests(_MASTER, GOLDEN.index(case))  # first: it may skip
    extra = {"human_moves": case["human_moves"]} if case.get("human_moves") else {}

    def model(perfect: bool, complete: bool = False) -> EscalationModel:
        return EscalationModel(
            scenario=build(case),
            seed=case["seed"],
            replications=case["replications"],
            perfect_information=perfect,
            complete_information=complete,
            **extra,
        ).run()

    run = model(case["mode"] == "perfect_information")
    got = {name: frame_digest(getattr(run, name)) for name in FRAMES}
    if case["mode"] == "twin":
        got["twin_outcome"] = frame_digest(model(True).outcome)
        got["complete_twin_outcome"] = frame_digest(model(True, complete=True).outcome)
    assert got == expected


# -- ended replications are frozen -----------------------------------------------------------------
def test_an_ended_replication_is_shown_as_it_ended_while_the_others_run() -> None:
    """The trap: the engine keeps stepping a finished row; the mesa face must not show it.

    On able-archer-1983, whose runs end when the powers' crisis does (geneva-2022's go on to the
    horizon while Russia and Ukraine may fight: docs/pair-wars.md §3.4)."""
    model = EscalationModel(scenario=ENDING, seed=1, replications=20)
    seen: dict[int, dict[str, Any]] = {}
    while model.running:
        model.step()
        for r in model.replications:
            model.show(r)
            if model.end_round == model.round:
                seen[r] = agent_state(model)  # as it was when its crisis ended
            elif r in seen:
                assert_same_state(agent_state(model), seen[r])  # and so it stays
    assert len(seen) == 20
    ends = model.outcome["end_round"]
    assert ends.min() < ends.max()  # some ended while others ran: the case under test
    for r in model.replications:
        alone = EscalationModel(scenario=ENDING, seed=1, replication=r).run()
        assert_same_state(agent_state(model.show(r)), agent_state(alone))
        assert model.event_log() == alone.event_log()
        assert model.show(r).stream.random(3).tolist() == alone.stream.random(3).tolist()


def test_ended_replications_leave_the_rows_that_are_stepped() -> None:
    model = EscalationModel(scenario=ENDING, seed=1, replications=20)
    while model.running:
        model.step()
        running = int(model.tally().iloc[-1]["running"])
        if running:  # only the replications still running are stepped
            assert len(model.crisis.reps) == running
            assert not model.crisis.ended.any()
        else:  # the last to end stay: nothing is stepped any more
            assert model.crisis.ended.all()


def test_frames_mid_run_are_the_rounds_so_far() -> None:
    # In able-archer-1983's historical condition about 0.2 of the runs settle in round 1 (offers
    # accepted) and the rest later.
    spec = with_condition(load_scenario(ENDING), "historical")
    batch = run_batch(spec, seed=1, replications=REPS)
    model = EscalationModel(scenario=spec, seed=1, replications=REPS)
    model.step()  # round 1: some replications settle at once (an offer accepted), not all
    t = model.round
    for name in ("timeseries", "events"):
        frame = getattr(batch, name)
        expected = frame[frame["round"] <= t].reset_index(drop=True)
        pd.testing.assert_frame_equal(getattr(model, name), expected, check_exact=True, obj=name)
    outcome = model.outcome
    assert outcome["replication"].tolist() == REPS
    done = outcome["end_round"].notna().to_numpy()
    assert 0 < done.sum() < len(REPS)
    pd.testing.assert_frame_equal(
        outcome[done].reset_index(drop=True).astype({"end_round": "int64"}),
        batch.outcome[done].reset_index(drop=True),
        check_exact=True,
    )
    assert (outcome.loc[~done, "outcome"] == "unresolved").all()


# -- the ensemble view ---------------------------------------------------------------------
def test_tally_and_ensemble_agree_with_the_outcome() -> None:
    model = EscalationModel(scenario="geneva-2022", seed=1, replications=20)
    model.step()
    tally = model.tally()
    assert tally["round"].tolist() == [0, 1]
    assert (tally[["running", *OUTCOMES]].sum(axis=1) == 20).all()
    model.run()
    tally, ensemble, outcome = model.tally(), model.ensemble(), model.outcome
    assert len(tally) == model.round + 1
    assert (tally[["running", *OUTCOMES]].sum(axis=1) == 20).all()
    assert tally["running"].is_monotonic_decreasing
    last = tally.iloc[-1]
    assert last["running"] == 0
    counts = outcome["outcome"].value_counts()
    assert all(last[name] == counts.get(name, 0) for name in OUTCOMES)
    ends = ensemble.groupby("replication", sort=False).tail(1)
    final = ends.reset_index(drop=True)
    assert final["replication"].tolist() == list(model.replications)
    assert final["status"].tolist() == outcome["outcome"].tolist()
    assert final["round"].tolist() == outcome["end_round"].tolist()
    assert (ensemble.drop(ends.index)["status"] == "running").all()
    series = model.timeseries
    usa = series[series["actor"] == "USA"]
    assert ensemble.sort_values(["replication", "round"])["rung_a"].tolist() == usa["rung"].tolist()


# -- seminar mode and the default ------------------------------------------------------------------
def test_a_players_moves_and_messages_are_made_in_every_replication() -> None:
    spec = with_settings(load_scenario("hotline-1963"), {"actors.USA.policy": {"name": "human"}})
    moves: list[str] = []
    said: list[str] = []
    model = EscalationModel(
        scenario=spec,
        seed=2,
        replications=REPS,
        human_moves={"USA": moves},
        human_messages={"USA": said},
    )
    plan = ["step_up", "hold", "step_down"] * 20
    talk = ["warn", "reassure", "none"] * 20
    while model.running:
        model.begin_round()
        moves.append(plan[model.round - 1])
        said.append(talk[model.round - 1])
        model.finish_round()
    batch = run_batch(
        spec, seed=2, replications=REPS, human_moves={"USA": plan}, human_messages={"USA": talk}
    )
    assert_same_frames(model, batch)


def test_one_replication_named_in_a_list_is_the_default_model() -> None:
    a = EscalationModel(scenario="hotline-1963", seed=4, replication=3).run()
    b = EscalationModel(scenario="hotline-1963", seed=4, replications=[3]).run()
    for name in FRAMES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    assert a.replications == b.replications == (3,)
    assert a.crisis.reps.tolist() == [3]  # one row, never compacted away


def test_the_shown_replication_is_chosen_and_checked() -> None:
    model = EscalationModel(scenario="hotline-1963", seed=4, replications=[2, 5], replication=5)
    assert model.replication == 5
    assert model.show(2) is model
    assert model.replication == 2
    with pytest.raises(ValueError, match="not stepped by this model"):
        model.show(3)
    with pytest.raises(ValueError, match="not stepped"):
        EscalationModel(scenario="hotline-1963", replications=[1, 2], replication=0)
    with pytest.raises(ValueError, match="distinct and non-negative"):
        EscalationModel(scenario="hotline-1963", replications=[1, 1])
    with pytest.raises(ValueError, match="at least one"):
        EscalationModel(scenario="hotline-1963", replications=[])


def test_pressure_on_a_third_party_is_zero_in_every_row() -> None:
    """A third party has no pressure on it (only powers are pressed), in whichever replication
    the model shows: the round returned a scalar for it, which failed for any row but the
    first."""
    model = EscalationModel(scenario="geneva-2022", seed=1, replications=3)
    p = model.params
    third = [k for k in range(len(p.ids)) if not p.is_power[k]]
    assert third
    for r in model.replications:
        model.show(r)
        for k in third:
            assert model.pressure_on(k) == 0.0
        for k in (p.power_a, p.power_b):
            assert isinstance(model.pressure_on(k), float)
