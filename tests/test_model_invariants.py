"""Tier 2, invariants under any seed and any valid scenario (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
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
    assert ts["alignment_a"].between(0.0, 1.0).all()
    # Trust: a power's posterior probability that the other is an honest type; NaN exactly for
    # a third party (it holds no posterior).
    assert ts.loc[ts["role"] == "power", "trust"].between(0.0, 1.0).all()
    assert ts.loc[ts["role"] != "power", "trust"].isna().all()
    # A power's mean of the other's cost of war under its posterior; NaN exactly for a third
    # party (it holds no posterior over types).
    powers = ts["role"] == "power"
    assert (ts.loc[powers, "posterior_mean_cost"] >= 0.0).all()
    assert ts.loc[~powers, "posterior_mean_cost"].isna().all()
    # Offers: shares in [0, 1] where they stand (NaN: none), never for a third party.
    for column in ("offer", "offer_read"):
        standing = ts[column].dropna()
        assert standing.between(0.0, 1.0).all(), column
        assert ts.loc[~powers, column].isna().all(), column
    numeric = ts.drop(
        columns=["posterior_mean_cost", "trust", "offer", "offer_read"]
    ).select_dtypes("number")
    assert not numeric.isna().any().any()
    # A division agreed only in a settlement, and a share of the stakes.
    share = outcome["settled_share_a"]
    assert np.isnan(share) or (outcome["outcome"] == "settlement" and 0.0 <= share <= 1.0)
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
def test_a_war_is_never_misread(spec, seed):
    """Every misperception of the adversary happens below the war rung, on both sides of it.

    Each ``misperception`` event gives the rung seen and the true rung; a state short of war
    seen at war, or a state at war seen at any other rung, is what ``war_not_misread`` rules
    out (without it public noise showed a power at war one rung early).
    """
    war = spec.ladder.war_rung
    events = EscalationModel(scenario=spec, seed=seed).run().events
    wrong = events[events["kind"] == "misperception"]
    if war is None or wrong.empty:
        return
    seen = wrong["rung"].astype(int).to_numpy()
    truth = wrong["detail"].str.removeprefix("true rung ").astype(int).to_numpy()
    assert (seen != truth).all()
    assert (seen < war).all()
    assert (truth < war).all()


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
    assert a.timeseries.equals(b.timeseries)  # NaN equals NaN (third parties' posterior)


def _quiet(name: str):
    """A shipped scenario with every source of noise and accident switched off."""
    import json

    from escalsim.scenario import load_scenario, load_text

    data = json.loads(json.dumps(load_scenario(name).model_dump(mode="json")))
    for rung in data["ladder"]["rungs"]:
        rung["incident_risk"] = 0.0
    data["accidents"] = {"implementation_error": 0.0, "incident_scale": 0.0}
    for channel in data["channels"]:
        channel["noise"] = 0.0
        channel["misread"] = 0.0
    data["events"] = [
        e
        for e in data["events"]
        if e["kind"] != "incident" and not (e["kind"] == "set" and "noise" in e["path"])
    ]
    data["conditions"] = {}
    data.pop("sweep", None)  # its condition is gone with the conditions
    return load_text(json.dumps(data), f"{name}-quiet")


@pytest.mark.parametrize("name", ["geneva-2022", "hotline-1963", "generic-dispute"])
def test_shipped_scenarios_without_noise_have_no_miscalculation(name):
    """Found by review: words moved only the perceived belief, so beliefs drifted apart."""
    spec = _quiet(name)
    for rep in range(15):
        outcome = EscalationModel(scenario=spec, seed=1, replication=rep).run().outcome.iloc[0]
        assert outcome["miscalculations"] == 0, rep
        assert outcome["perception_errors"] == 0, rep


@pytest.mark.parametrize("latency", [0, 1, 3])
@pytest.mark.parametrize("reader", ["brinkmanship", "scripted"])
def test_honest_words_are_never_contradicted_whatever_the_latency(latency, reader):
    """Found by review: a delayed claim was checked against a later deed, so honest senders
    were counted as lying once latency was 1 or more.

    Messages go only where they are read (step 6c): to a receiver whose policy reads the
    claimed resolve (``brinkmanship``), none to one that does not (``scripted``).
    """
    from escalsim.scenario import load_text

    policy = (
        "{name: brinkmanship}"
        if reader == "brinkmanship"
        else "{name: scripted, moves: [], then: hold}"
    )
    text = f"""
schema_version: 2
id: words
name: words
run: {{rounds: 8, time_unit: day}}
ladder:
  rungs:
    - {{name: r0, cost: 0}}
    - {{name: r1, cost: 0}}
    - {{name: r2, cost: 0}}
    - {{name: r3, cost: 0}}
  war_rung: null
endings: {{settlement_rounds: null, capitulation: false}}
actors:
  - {{id: A, name: A, role: power, capability: 1, resolve: 0.5, honesty: 1.0,
      policy: {{name: scripted, moves: [hold, step_up, hold, step_up, hold, hold]}}}}
  - {{id: B, name: B, role: power, capability: 1, resolve: 0.5, honesty: 1.0,
      policy: {policy}}}
channels:
  - {{id: public, kind: public, noise: 0.0}}
  - {{id: hot, kind: hotline, between: [A, B], noise: 0.0, latency: {latency}}}
"""
    outcome = EscalationModel(scenario=load_text(text), seed=1).run().outcome.iloc[0]
    if reader == "scripted":
        assert outcome["messages_sent"] == 0
        return
    # A sends to B (B reads A's resolve); B sends nothing (A's policy reads no message).
    assert outcome["messages_sent"] == outcome["end_round"]
    assert outcome["signal_action_divergence"] == 0.0
