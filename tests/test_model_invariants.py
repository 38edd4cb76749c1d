"""Tier 2, invariants under any seed and any valid scenario (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalsim.agents import EscalationModel
from strategies import scenarios

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)
SEEDS = st.integers(0, 2**32 - 1)


@SETTINGS
@given(spec=scenarios(), seed=SEEDS, twin=st.booleans())
def test_state_stays_in_range(spec, seed, twin):
    model = EscalationModel(scenario=spec, seed=seed, perfect_information=twin).run()
    ts, outcome = model.timeseries, model.outcome.iloc[0]
    n_rungs = len(spec.ladder.rungs)
    assert ts["rung"].between(0, n_rungs - 1).all()
    assert ts["apparent"].between(0, n_rungs - 1).all()
    assert ts["perceived_adversary"].between(0, n_rungs - 1).all()
    for column in ("hostility", "trust", "alignment_a"):
        assert ts[column].between(0.0, 1.0).all(), column
    numeric = ts.select_dtypes("number")
    assert not numeric.isna().any().any()
    assert outcome["outcome"] in (
        "war",
        "settlement",
        "capitulation_a",
        "capitulation_b",
        "unresolved",
    )
    assert outcome["end_round"] >= 1
    assert outcome["end_round"] <= spec.run.rounds
    for rate in (
        "miscalculation_rate",
        "perception_error_rate",
        "signal_action_divergence",
        "final_trust",
        "polarisation",
    ):
        assert 0.0 <= outcome[rate] <= 1.0, rate
    assert (
        outcome["miscalculated_escalations"] <= outcome["miscalculations"] <= outcome["decisions"]
    )
    assert outcome["messages_delivered"] <= outcome["messages_sent"]
    assert outcome["messages_misread"] <= outcome["messages_sent"]
    assert outcome["peak_rung"] >= outcome["final_rung"] or outcome["outcome"] != "unresolved"


@SETTINGS
@given(spec=scenarios(quiet=True), seed=SEEDS)
def test_without_noise_or_accidents_nothing_is_miscalculated(spec, seed):
    """Zero noise, zero misreading, no accidents: no miscalculation, no perception error."""
    outcome = EscalationModel(scenario=spec, seed=seed).run().outcome.iloc[0]
    assert outcome["miscalculations"] == 0
    assert outcome["perception_errors"] == 0
    assert outcome["false_alarms"] == 0


@SETTINGS
@given(spec=scenarios(), seed=SEEDS)
def test_the_perfect_information_twin_never_miscalculates(spec, seed):
    outcome = EscalationModel(scenario=spec, seed=seed, perfect_information=True).run().outcome
    assert outcome.iloc[0]["miscalculations"] == 0
    assert outcome.iloc[0]["perception_errors"] == 0


@SETTINGS
@given(spec=scenarios(), seed=SEEDS)
def test_a_channel_closed_throughout_never_carries_a_message(spec, seed):
    model = EscalationModel(scenario=spec, seed=seed).run()
    reopened = {e.channel for e in spec.events if e.kind in ("channel", "summit")}
    mediators = {a.id for a in spec.actors if a.may_mediate}
    closed = {
        c.id
        for c in spec.channels
        if not c.open and c.id not in reopened and not (c.via and c.via in mediators)
    }
    messages = model.events[model.events["kind"] == "message"]
    assert not set(messages["channel"]) & closed
    assert (messages["channel"] != "public").all()


@SETTINGS
@given(spec=scenarios(), seed=SEEDS)
def test_same_seed_same_run_for_any_scenario(spec, seed):
    a = EscalationModel(scenario=spec, seed=seed).run()
    b = EscalationModel(scenario=spec, seed=seed).run()
    assert a.events.equals(b.events)
    assert np.array_equal(a.timeseries.to_numpy(), b.timeseries.to_numpy())
