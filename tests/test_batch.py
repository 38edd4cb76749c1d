"""The ensembles (``run_batch``): chunking, detail, twins, a player, bad inputs.

That the ensembles and the mesa face give the frames of the model as it was is
``tests/test_golden.py``'s (tier 1, reproducibility): both run the one implementation of the
round, ``escalsim.model.rounds.Crisis``.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

import escalsim
from conftest import geneva_short
from escalsim.agents import EscalationModel
from escalsim.batch import run_batch
from escalsim.policies import HumanMoveRequiredError
from escalsim.scenario import Scenario, load_scenario, with_condition
from escalsim.scenario.load import with_settings


def agent_frames(
    spec: Scenario, seed: int, reps: list[int], **kwargs: object
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    models = [
        EscalationModel(scenario=spec, seed=seed, replication=r, **kwargs).run() for r in reps
    ]
    return (
        pd.concat([m.outcome for m in models], ignore_index=True),
        pd.concat([m.timeseries for m in models], ignore_index=True),
        pd.concat([m.events for m in models], ignore_index=True),
    )


# The two drivers' equality tests (every shipped scenario and condition, the twins, generated
# scenarios, a human player) are gone: there is one implementation of the round now
# (escalsim.model.rounds.Crisis), and tests/test_golden.py holds both faces to the frames of
# the two drivers taken before they became one.


@pytest.mark.parametrize("name", ["hotline-1963", "geneva-2022"])
def test_twins_run_beside_the_runs_give_the_rows_they_give_alone(name):
    spec = load_scenario(name)
    spec = with_condition(spec, spec.condition_names[-1])
    reps = list(range(12))
    together = run_batch(spec, seed=5, replications=reps, twin=True, chunk=5)
    alone = run_batch(spec, seed=5, replications=reps)
    twins = run_batch(spec, seed=5, replications=reps, perfect_information=True)
    pd.testing.assert_frame_equal(together.twin_outcome, twins.outcome, check_exact=True)
    pd.testing.assert_frame_equal(together.outcome, alone.outcome, check_exact=True)


def test_a_players_messages_are_sent_by_both_faces_alike():
    """A player's messages (once only in the agent driver) run in the ensembles too."""
    # SUN's policy reads the resolve messages state, so USA's messages are sent (step 6c), over
    # the two private channels, open from round 1 as before the rebuild (issue 19 closes them
    # until rounds 7 and 8).
    spec = with_settings(
        load_scenario("hotline-1963"),
        {
            "actors.USA.policy": {"name": "human"},
            "actors.SUN.policy": {"name": "brinkmanship"},
            "channels.embassy_cable.open": True,
            "channels.rfk_dobrynin.open": True,
        },
    )
    moves = {"USA": ["step_up", "hold", "step_down"] * 20}
    said = {"USA": ["warn", "reassure", "none"] * 20}
    batch = run_batch(spec, seed=2, replications=4, human_moves=moves, human_messages=said)
    outcome, series, events = agent_frames(
        spec, 2, list(range(4)), human_moves=moves, human_messages=said
    )
    pd.testing.assert_frame_equal(batch.outcome, outcome, check_exact=True)
    pd.testing.assert_frame_equal(batch.timeseries, series, check_exact=True)
    pd.testing.assert_frame_equal(batch.events, events, check_exact=True)
    usa = batch.events[(batch.events["kind"] == "message") & (batch.events["actor"] == "USA")]
    # Round 2 carries round 1's warning, round 4 round 3's silence.
    assert set(usa["round"]) <= {r for r in range(2, 61) if r % 3 != 1}
    assert (usa["round"] == 2).any()
    assert usa[usa["round"] == 2]["detail"].str.startswith(("hostile", "benign")).all()
    silent = run_batch(spec, seed=2, replications=4, human_moves=moves, human_messages={"USA": []})
    assert not ((silent.events["kind"] == "message") & (silent.events["actor"] == "USA")).any()


def test_a_message_that_is_not_a_choice_is_refused():
    spec = with_settings(load_scenario("hotline-1963"), {"actors.USA.policy": {"name": "human"}})
    with pytest.raises(ValueError, match="not a message"):
        run_batch(
            spec,
            seed=1,
            replications=1,
            human_moves={"USA": ["hold"]},
            human_messages={"USA": ["shout"]},
        )


def test_a_human_player_without_moves_is_an_error():
    spec = with_settings(load_scenario("hotline-1963"), {"actors.USA.policy": {"name": "human"}})
    with pytest.raises(HumanMoveRequiredError, match="USA"):
        run_batch(spec, seed=1, replications=2)


def test_chunking_and_the_set_of_replications_change_nothing():
    spec = geneva_short()
    whole = run_batch(spec, seed=9, replications=30)
    twins = run_batch(spec, seed=9, replications=30, perfect_information=True).outcome
    for chunk in (1, 7, 1000):
        part = run_batch(spec, seed=9, replications=30, chunk=chunk, twin=True)
        pd.testing.assert_frame_equal(part.outcome, whole.outcome, check_exact=True)
        pd.testing.assert_frame_equal(part.twin_outcome, twins, check_exact=True)
        pd.testing.assert_frame_equal(part.events, whole.events, check_exact=True)
        pd.testing.assert_frame_equal(part.timeseries, whole.timeseries, check_exact=True)
    some = run_batch(spec, seed=9, replications=[17, 3, 25])
    expected = whole.outcome.set_index("replication").loc[[17, 3, 25]].reset_index()
    pd.testing.assert_frame_equal(some.outcome, expected[whole.outcome.columns], check_exact=True)


def test_keep_limits_the_detail_not_the_outcomes():
    spec = load_scenario("hotline-1963")
    full = run_batch(spec, seed=4, replications=10)
    kept = run_batch(spec, seed=4, replications=10, keep=3)
    pd.testing.assert_frame_equal(kept.outcome, full.outcome, check_exact=True)
    assert sorted(kept.timeseries["replication"].unique()) == [0, 1, 2]
    pd.testing.assert_frame_equal(
        kept.events, full.events[full.events["replication"] < 3], check_exact=True
    )
    assert run_batch(spec, seed=4, replications=10, keep=0).events.empty


def test_the_runner_gives_identical_results_with_either_engine():
    agents = escalsim.run("generic-dispute", replications=8, seed=8, engine="agents", workers=1)
    batch = escalsim.run("generic-dispute", replications=8, seed=8, engine="batch", workers=1)
    for frame in ("runs", "timeseries", "events"):
        pd.testing.assert_frame_equal(
            getattr(batch, frame), getattr(agents, frame), check_exact=True
        )
    assert (agents.manifest["engine"], batch.manifest["engine"]) == ("agents", "batch")
    # "auto" is the batch engine for any ensemble: two replications are one (the frames above
    # already show that the engines agree, so the choice need not be paid for at 8).
    auto = escalsim.run("generic-dispute", replications=2, seed=8, workers=1)
    assert auto.manifest["engine"] == "batch"
    single = escalsim.run("generic-dispute", replications=1, seed=8, workers=1)
    assert single.manifest["engine"] == "agents"
    first = agents.runs[agents.runs["replication"] == 0]
    np.testing.assert_array_equal(single.runs["outcome"], first["outcome"])


def test_an_unknown_engine_is_a_clear_error():
    with pytest.raises(escalsim.ScenarioError, match="expected one of: auto, agents, batch"):
        escalsim.run("generic-dispute", replications=2, seed=1, engine="gpu")


@pytest.mark.parametrize("reps", [[], [1, 1], [-1]])
def test_bad_replication_lists_are_refused(reps):
    with pytest.raises(ValueError, match="replication"):
        run_batch("brinkmanship", seed=1, replications=reps)


def test_twins_beside_a_perfect_information_run_are_refused():
    with pytest.raises(ValueError, match="twin"):
        run_batch("brinkmanship", seed=1, replications=2, twin=True, perfect_information=True)


def test_the_allocator_is_tuned_once_where_glibc_allows_it():
    """``keep_freed_memory`` (called by the command line and its workers, not by ``run_batch``)
    sets glibc's thresholds once and says so; elsewhere it does nothing and says that. It
    changes no number (the golden master's runs pass with it and without it)."""
    import platform

    from escalsim.batch import keep_freed_memory

    first = keep_freed_memory()
    assert keep_freed_memory() is first
    glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert first is glibc
