"""Wars between the powers that last, and the ladder above war (docs/pair-wars.md §3, §4; step 2).

With ``war.ends_run: false`` a war between the powers is a state: both sides' rungs at or above
the war rung, battles that move a front, a ceasefire by an accepted offer, a concession, a
strategic exchange, or the horizon. Three tiers:

* reproducibility: a lasting-war scenario gives the same frames on both faces; a scenario whose
  first war ends the run keeps part 1's frames bit for bit (``tests/test_golden.py``), and here:
  with the front at the chances and no nuclear-armed side, the path to the first war is the
  same whether wars last or not (the same draws, the same decisions until the onset);
* invariants under any seed and parameters (hypothesis): the powers are at war exactly when both
  hold the war rung or above; a rung above war only at war; never a nuclear rung for a side
  without the weapons; a war starts at the war rung; the front moves only at war and stays in
  [0, 1]; an exchange ends the run; outcomes consistent with the columns;
* known answers: the front's mean after t battles, ``p + (1 − σ)^t (q₀ − p)`` (§3.3), and the
  chance of an exchange after a nuclear step, ``1 − (1 − h)^T``, at a tolerance of 4 standard
  errors; the risk assumed at the step, exactly; a concession at war is a capitulation; a field
  that matters (nuclear arms), with common random numbers.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalsim.agents import EscalationModel
from escalsim.batch import run_batch
from escalsim.core.params import schedule
from escalsim.core.streams import BlockLayout
from escalsim.errors import ScenarioError
from escalsim.model.rounds import Crisis, Streams
from escalsim.scenario import Scenario, load_text, with_condition
from strategies import lasting_scenarios

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from lasting_wars import geneva_at_war  # noqa: E402  (the probe's builder: docs/pair-wars.md, step 2)


def _shipped(name: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / "scenarios" / f"{name}.yaml").read_text())


def scripted_war(rounds: int = 20, capability: tuple[float, float] = (3.0, 1.0)) -> Scenario:
    """Two powers: A climbs to war in round 2 and holds; B holds. Nobody offers or accepts."""
    data = {
        "schema_version": 3,
        "id": "scripted-war",
        "name": "A scripted war",
        "run": {"rounds": rounds, "time_unit": "week", "replications": 100, "seed": 1},
        "ladder": {
            "rungs": [
                {"name": "peace", "cost": 0.0},
                {"name": "brink", "cost": 0.0},
                {"name": "war", "cost": 1.0, "war_risk": 1.0},
            ],
            "war_rung": "war",
            "jump": 1,
        },
        "endings": {"settlement_rounds": None, "core_agreement_settles": False},
        "war": {"ends_run": False, "front_step": 0.1},
        "actors": [
            {
                "id": "A",
                "name": "A",
                "role": "power",
                "capability": capability[0],
                "war_cost": 0.1,
                "policy": {"name": "scripted", "moves": ["step_up", "step_up"], "then": "hold"},
            },
            {
                "id": "B",
                "name": "B",
                "role": "power",
                "capability": capability[1],
                "war_cost": 0.1,
                "policy": {"name": "scripted", "moves": [], "then": "hold"},
            },
        ],
        "channels": [{"id": "public", "kind": "public", "noise": 0.0}],
    }
    return load_text(json.dumps(data), "scripted-war.yaml")


def _stepped(spec: Scenario, seed: int, n: int) -> list[Crisis]:
    """A crisis of ``n`` replications of its own streams, to step (rows never compacted)."""
    sched = schedule(spec)
    reps = np.arange(n, dtype=np.int64)
    streams = Streams(seed, reps, BlockLayout.of(spec), spec.run.rounds)
    crisis = Crisis(
        spec, sched, streams, reps, np.zeros(n, dtype=bool), False, solo=True, compact=False
    )
    return [crisis]


# -- invariants ----------------------------------------------------------------------------------
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**31),
    hazard=st.sampled_from([0.0, 0.002, 0.02, 0.2]),
    advantage=st.sampled_from([0.0, 0.5, 2.0]),
    exchange=st.sampled_from([-0.2, -2.0, -20.0]),
    nuclear_cost=st.sampled_from([6.0, 8.0]),
)
def test_a_war_between_the_powers_stays_consistent(
    seed: int, hazard: float, advantage: float, exchange: float, nuclear_cost: float
) -> None:
    """Every round, every row: at war exactly when both powers hold the war rung or above (and
    never again after the row ended); rungs above war only at war; a war starts at the war rung;
    the front in [0, 1], moved only at war; an exchange ends the run; nuclear use only at war."""
    spec = geneva_at_war(hazard, advantage, exchange, nuclear_cost)
    (crisis,) = _stepped(spec, seed, 60)
    front0 = float(crisis.params.status_quo[0])
    _consistent_every_round(crisis)
    out = pd.DataFrame({k: v for k, v in _retired(crisis).items() if np.ndim(v) == 1})
    assert (out["strategic"] == (out["outcome"] == "exchange")).all()
    assert out.loc[out["outcome"].isin(["ceasefire", "exchange"]), "war"].all()
    assert (out.loc[~out["war"], "front_a"] == front0).all()
    assert (
        out["war_rounds_direct"] <= np.maximum(out["end_round"] - out["war_start_round"], 0)
    ).all()
    if hazard == 0.0:
        assert not out["strategic"].any()


def test_a_side_without_nuclear_weapons_never_holds_a_nuclear_rung() -> None:
    """Only USA nuclear-armed: RUS's rung stays below nuclear_use in every row and round."""
    data = _shipped("geneva-2022")
    data["schema_version"] = 3
    data["war"] = {"ends_run": False, "exchange_value": -0.5}
    for rung in data["ladder"]["rungs"]:
        if rung["name"] == "nuclear_use":
            rung.update(cost=6.0, war_advantage=1.0, exchange_hazard=0.01)
    for actor in data["actors"]:
        if actor["role"] == "power":
            actor.pop("war_cost", None)  # geneva-2022's rebuilt type: replaced by the test's own
            actor["resolve"] = {"grid": [0.95, 0.97, 0.99]}
            actor["nuclear"] = actor["id"] == "USA"
    spec = load_text(json.dumps(data), "one-nuclear.yaml")
    (crisis,) = _stepped(spec, 7, 200)
    p = crisis.params
    rus = p.ids.index("RUS")
    nuclear = int(p.nuclear_rung)  # type: ignore[arg-type]
    while not crisis.over:
        crisis.step()
        assert (crisis.rung[:, rus] < nuclear).all()
    assert not crisis.strategic.any()  # an exchange needs two nuclear-armed sides


# -- reproducibility ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "front_at_chances", "stakes"),
    [
        # Capabilities equal: p = 0.5. With the front at the chances its disputes settle at
        # once (1 war in 1,000 runs, seed 5, under the default look-ahead), so the talks are
        # closed and both powers start at the use of force (war risk 0.0074 a week): nobody
        # can quit, so neither climbs to coerce, and some runs end in war by the risk of the
        # rungs held, others settle or stay unresolved.
        ("generic-dispute", {"A": 0.5}, {"talks_open": False}),
        ("fearon", {"A": 0.25}, {}),  # p = 1/4 (the known answer's); the file's status quo 1/2
        ("brinkmanship", None, {}),  # status quo 1/2, p = 1/2 already
        ("preventive-war", {"R": 0.4}, {}),  # p = 0.4 before the shift
    ],
)
def test_the_path_to_the_first_war_does_not_depend_on_whether_wars_last(
    name: str, front_at_chances: dict[str, float] | None, stakes: dict[str, Any]
) -> None:
    """With the front at the chances (the status quo set to p, so V(q₀) = W) and no nuclear
    rung, every decision before the first war is part 1's: under one layout (the same draws), each
    run's first war starts in the round part 1's run ended in war, with the same cause, and a run
    without war ends as part 1's did. So the known answers of part 1 (generic-dispute's MID fit,
    Fearon's bargain, brinkmanship, preventive war: ``escalsim verify``) are the first war's
    answers when wars last too (docs/pair-wars.md §11)."""
    data = _shipped(name)
    data["schema_version"] = 3
    if front_at_chances is not None:
        data["stakes"] = {**data.get("stakes", {}), "status_quo": front_at_chances}
    data["stakes"] = {**data.get("stakes", {}), **stakes}
    if stakes.get("talks_open") is False:
        for actor in data["actors"]:
            if actor.get("role") == "power":
                actor["initial_rung"] = "use_of_force"
    ends = load_text(json.dumps(data), "ends.yaml")
    data["war"] = {**data.get("war", {}), "ends_run": False}
    lasts = load_text(json.dumps(data), "lasts.yaml")
    layout = BlockLayout.of(lasts)
    assert layout.structure.lasting
    wars = 0
    for cond in lasts.condition_names:
        first = run_batch(with_condition(ends, cond), seed=5, replications=300, layout=layout)
        second = run_batch(with_condition(lasts, cond), seed=5, replications=300, layout=layout)
        one, two = first.outcome, second.outcome
        war = one["outcome"] == "war"
        wars += int(war.sum())
        np.testing.assert_array_equal(one["war"], two["war"])
        np.testing.assert_array_equal(one.loc[war, "end_round"], two.loc[war, "war_start_round"])
        np.testing.assert_array_equal(one.loc[war, "war_cause"], two.loc[war, "war_cause"])
        calm = ~war
        np.testing.assert_array_equal(one.loc[calm, "outcome"], two.loc[calm, "outcome"])
        np.testing.assert_array_equal(one.loc[calm, "end_round"], two.loc[calm, "end_round"])
    assert wars > 0, "no war to compare: the test would say nothing"


def test_the_mesa_face_gives_the_ensembles_frames_with_wars_that_last() -> None:
    """Replication by replication, the mesa model's outcome rows are run_batch's."""
    spec = with_condition(geneva_at_war(), "dialogue_open")
    batch = run_batch(spec, seed=3, replications=range(12)).outcome
    for r in range(12):
        row = EscalationModel(scenario=spec, seed=3, replication=r).run().outcome
        got = row.drop(columns=["end_round"]).reset_index(drop=True)
        want = batch.iloc[[r]].drop(columns=["end_round"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(got, want, check_dtype=False)


# -- known answers --------------------------------------------------------------------------------
def test_the_front_drifts_to_the_chances_as_the_closed_form_says() -> None:
    """A scripted war from round 2 (A climbs twice, B holds, nobody offers): after the battles of
    rounds 3-20 (t = 18) the front's mean is ``p + (1 − σ)^t (q₀ − p)`` with p = 3/4, q₀ = 1/2,
    σ = 0.1 (docs/pair-wars.md §3.3), within 4 standard errors of the mean of 4,000 runs."""
    spec = scripted_war()
    out = run_batch(spec, seed=18, replications=4000).outcome
    assert (out["outcome"] == "war").all()  # at war at the horizon
    assert (out["war_start_round"] == 2).all()
    assert (out["war_rounds_direct"] == 18).all()
    p, q0, sigma, t = 0.75, 0.5, 0.1, 18
    expected = p + (1 - sigma) ** t * (q0 - p)
    front = out["front_a"].to_numpy()
    se = front.std(ddof=1) / np.sqrt(len(front))
    assert abs(front.mean() - expected) < 4 * se


def test_a_concession_at_war_is_a_capitulation() -> None:
    """A concedes in round 5, at war since round 2: capitulation_a, after 2 rounds of battle."""
    data = json.loads(scripted_war().model_dump_json())
    data["actors"][0]["policy"] = {
        "name": "scripted",
        "moves": ["step_up", "step_up", "hold", "hold", "concede"],
    }
    spec = load_text(json.dumps(data), "concede.yaml")
    out = run_batch(spec, seed=1, replications=50).outcome
    assert (out["outcome"] == "capitulation_a").all()
    assert (out["end_round"] == 5).all()
    assert (out["war_rounds_direct"] == 2).all()


def test_nuclear_use_needs_nuclear_arms() -> None:
    """Fields matter (docs/pair-wars.md §11), with common random numbers: the same 2,000 runs
    with both powers nuclear-armed use a nuclear intensity in some runs (and some end in an
    exchange), and with neither, in none.

    *Not* tested at the level of runs: that a worse exchange lowers P(nuclear use). It lowers
    the value of a nuclear step with the other's quitting held fixed
    (``tests/test_war_values.py``), but it also makes the other's types quit sooner, which is
    what brinkmanship counts on (Powell 1990); measured on this scenario (docs/pair-wars.md,
    "As built: step 2") P(nuclear use) is not monotone in the exchange value."""
    armed = with_condition(geneva_at_war(exchange=-2.0), "dialogue_open")
    data = json.loads(armed.model_dump_json(by_alias=True, exclude_unset=True))
    for actor in data["actors"]:
        actor["nuclear"] = False
    unarmed = load_text(json.dumps(data), "unarmed.yaml")
    layout = BlockLayout.of(armed)
    one = run_batch(armed, seed=2, replications=2000, layout=layout).outcome
    two = run_batch(unarmed, seed=2, replications=2000, layout=layout).outcome
    d = one["nuclear"].to_numpy(dtype=float) - two["nuclear"].to_numpy(dtype=float)
    se = d.std(ddof=1) / np.sqrt(len(d))
    assert d.mean() > 4 * se > 0
    assert not two["nuclear"].any()
    assert not two["strategic"].any()
    assert one["strategic"].any()


def test_a_war_under_way_at_round_one_is_not_an_onset() -> None:
    """war.at_start with the powers' pair: at war from round 1 at the intensities given, the front
    where the scenario puts it; it is not counted as a war begun in the run (docs/pair-wars.md
    §6), and the run ends only by a ceasefire, a concession, an exchange or the horizon."""
    data = json.loads(geneva_at_war().model_dump_json(by_alias=True, exclude_unset=True))
    data["war"]["at_start"] = [
        {
            "pair": ["USA", "RUS"],
            "intensity": {"USA": "conventional_war", "RUS": "conventional_war"},
            "front": {"USA": 0.7},
            "since": "2022-02-24",
        }
    ]
    for actor in data["actors"]:
        if actor["role"] == "power":
            actor["initial_rung"] = "conventional_war"
    spec = with_condition(load_text(json.dumps(data), "at-start.yaml"), "dialogue_open")
    (crisis,) = _stepped(spec, 4, 300)
    assert crisis.at_war.all()
    assert np.allclose(crisis.front, 0.7)
    out = run_batch(spec, seed=4, replications=300).outcome
    assert set(out["outcome"]) <= {
        "ceasefire",
        "capitulation_a",
        "capitulation_b",
        "exchange",
        "war",
    }
    assert not out["war"].any()  # no onset in the run
    # A battle every round at war from round 1: a ceasefire or a concession ends the run before
    # its round's battle, an exchange or the horizon after it.
    before = out["outcome"].isin(["ceasefire", "capitulation_a", "capitulation_b"])
    battles = np.where(before, out["end_round"] - 1, out["end_round"])
    np.testing.assert_array_equal(out["war_rounds_direct"], battles)


def test_the_exchange_hazard_and_the_risk_assumed_at_a_nuclear_step() -> None:
    """A scripted war with a nuclear rung: A climbs to war in round 2 and onto the nuclear rung in
    round 3, then holds; B holds. The exchange draws of rounds 3-20 (T = 18) give
    P(exchange) = 1 − (1 − h)^T with h = 0.02 (within 4 standard errors of 4,000 runs), and every
    run records A's assumed chance at its step, 1 − (1 − s h)^T with its exchange_risk_scale
    s = 2 (docs/pair-wars.md §4, assumed and simulated risk); p_exchange_given_nuclear is the
    simulated one."""
    data = json.loads(scripted_war().model_dump_json(by_alias=True, exclude_unset=True))
    data["ladder"]["rungs"].append(
        {"name": "nuclear", "cost": 1.0, "war_advantage": 0.5, "exchange_hazard": 0.02}
    )
    data["ladder"]["nuclear_rung"] = "nuclear"
    data["war"]["exchange_value"] = -1.0
    data["actors"][0]["policy"]["moves"] = ["step_up", "step_up", "step_up"]
    data["actors"][0].update(nuclear=True, exchange_risk_scale=2.0)
    data["actors"][1]["nuclear"] = True
    spec = load_text(json.dumps(data), "nuclear-war.yaml")
    out = run_batch(spec, seed=20, replications=4000).outcome
    assert out["nuclear"].all()
    h, t = 0.02, 18
    np.testing.assert_allclose(out["assumed_exchange"], 1 - (1 - 2 * h) ** t)
    expected = 1 - (1 - h) ** t
    hit = out["strategic"].to_numpy(dtype=float)
    se = np.sqrt(expected * (1 - expected) / len(hit))
    assert abs(hit.mean() - expected) < 4 * se
    np.testing.assert_array_equal(out["exchange_given_nuclear"], hit)
    assert set(out["outcome"]) == {"exchange", "war"}


def test_the_other_side_moved_onto_the_war_rung_is_not_read_as_a_step_up() -> None:
    """A's climb starts the war in round 2 and moves B onto the war rung: with a noise-free
    channel no one reads B's forced move as a step up (no false alarm, no perception error), and
    the peak rung counts it."""
    out = run_batch(scripted_war(), seed=3, replications=200).outcome
    assert (out["false_alarms"] == 0).all()
    assert (out["perception_errors"] == 0).all()
    assert (out["peak_rung"] == 2).all()


def test_a_concession_at_war_steps_both_back_below_the_war_rung() -> None:
    """A concedes at war: the run ends with both powers on the rung below the war rung (§3.4)."""
    data = json.loads(scripted_war().model_dump_json())
    data["actors"][0]["policy"] = {
        "name": "scripted",
        "moves": ["step_up", "step_up", "hold", "hold", "concede"],
    }
    out = run_batch(load_text(json.dumps(data), "concede.yaml"), seed=1, replications=20).outcome
    assert (out["final_rung"] == 1).all()


def test_a_war_at_start_needs_lasting_wars_in_its_condition() -> None:
    """A condition that keeps part 1's ending with a war under way at round 1 is refused at run
    time; the file is valid because another condition lets wars last (the loader's rule)."""
    data = json.loads(geneva_at_war().model_dump_json(by_alias=True, exclude_unset=True))
    data["war"]["at_start"] = [
        {
            "pair": ["USA", "RUS"],
            "intensity": {"USA": "conventional_war", "RUS": "conventional_war"},
        }
    ]
    for actor in data["actors"]:
        if actor["role"] == "power":
            actor["initial_rung"] = "conventional_war"
    data["war"]["ends_run"] = True
    data["conditions"]["lasting"] = {"set": {"war.ends_run": False}}
    spec = load_text(json.dumps(data), "at-start-ends.yaml")  # valid: one condition lets it last
    run_batch(with_condition(spec, "lasting"), seed=1, replications=2)
    with pytest.raises(ScenarioError, match=r"war\.at_start: a war under way at round 1 needs"):
        run_batch(with_condition(spec, "dialogue_open"), seed=1, replications=2)


def test_an_exchange_hazard_at_the_war_rung_is_simulated_between_nuclear_armed_powers() -> None:
    """exchange_hazard on the war rung (inadvertent escalation of a conventional war between
    nuclear-armed sides) is valid on a ladder with a nuclear rung, and the model draws it: a war
    held at the war rung by two nuclear-armed powers ends in an exchange with the hazard h a
    round, so the share of runs that has not ended after t rounds of battle is (1 - h)^t within
    4 standard errors; between powers that are not both nuclear-armed, never."""
    data = json.loads(scripted_war().model_dump_json(by_alias=True, exclude_unset=True))
    data["ladder"]["rungs"][2]["exchange_hazard"] = 0.05
    data["ladder"]["rungs"].append({"name": "nuclear", "cost": 9.0, "war_advantage": 0.5})
    data["ladder"]["nuclear_rung"] = "nuclear"
    data["war"]["exchange_value"] = -50.0
    for actor in data["actors"]:
        actor["nuclear"] = True
    spec = load_text(json.dumps(data), "inadvertent.yaml")
    out = run_batch(spec, seed=3, replications=4000).outcome
    battles = 20 - 2  # the war begins in round 2 and is fought from round 3
    survived = (out["outcome"] != "exchange").mean()
    expected = (1 - 0.05) ** battles
    se = math.sqrt(expected * (1 - expected) / len(out))
    assert abs(survived - expected) < 4 * se
    assert not out["nuclear"].any()  # the scripted powers hold the war rung
    for actor in data["actors"]:
        actor["nuclear"] = actor["id"] == "A"
    one_armed = run_batch(load_text(json.dumps(data), "one.yaml"), seed=3, replications=200)
    assert not (one_armed.outcome["outcome"] == "exchange").any()


def _retired(crisis: Crisis) -> dict[str, Any]:
    """The outcome columns of every replication as written when it ended (a crisis that is not
    compacted keeps stepping its ended rows, unseen: their state drifts after the outcome)."""
    done = crisis._done
    return {k: np.concatenate([part[k] for part in done]) for k in done[0]}


def _consistent_every_round(crisis: Crisis) -> None:
    """Step ``crisis`` to its end, checking the war's record in every live row and round.

    At war exactly when both powers hold the war rung or above; a rung above war only at war; a
    war starts at the war rung; no nuclear rung for a side without the weapons; a third party
    below the war rung; the front in [0, 1], moved only at war; an exchange ends the run;
    nuclear use only after a war began (no scenario here starts at war).
    """
    p = crisis.params
    a, b, w = p.power_a, p.power_b, int(p.war_rung)  # type: ignore[arg-type]
    nuclear = p.nuclear_rung
    was = crisis.at_war.copy()
    while not crisis.over:
        alive = ~crisis.ended
        front = crisis.front.copy()
        crisis.step()
        live = alive & ~crisis.ended
        ra, rb = crisis.rung[:, a], crisis.rung[:, b]
        np.testing.assert_array_equal(((ra >= w) & (rb >= w))[live], crisis.at_war[live])
        assert not ((np.maximum(ra, rb) > w) & ~crisis.at_war)[live].any()
        for i, r in ((a, ra), (b, rb)):
            if nuclear is not None and not p.nuclear[i]:
                assert (r < nuclear).all()
        thirds = [k for k in range(crisis.A) if not p.is_power[k]]
        assert (crisis.rung[:, thirds] < w).all()  # a third party's posture is not a war
        started = live & crisis.at_war & ~was  # a war starts at intensity 0
        assert (ra[started] == w).all()
        assert (rb[started] == w).all()
        assert not ((crisis.front != front) & ~was).any()
        assert ((crisis.front >= 0.0) & (crisis.front <= 1.0)).all()
        assert not (crisis.strategic & ~crisis.ended).any()
        assert (crisis.nuclear <= (crisis.war_onsets > 0)).all()
        was = crisis.at_war.copy()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=lasting_scenarios(), seed=st.integers(0, 2**31))
def test_generated_wars_that_last_stay_consistent(spec: Scenario, seed: int) -> None:
    """Any generated scenario with lasting wars (any policies, ladders, channels, events and
    accidents; a nuclear rung or not, nuclear-armed powers or not): the war's record holds in
    every row and round, and the outcome columns agree with it."""
    for cond in spec.condition_names:
        (crisis,) = _stepped(with_condition(spec, cond) if spec.conditions else spec, seed, 20)
        _consistent_every_round(crisis)
        cols = _retired(crisis)
        outcome, war = cols["outcome"], cols["war"]
        assert (cols["strategic"] == (outcome == "exchange")).all()
        assert war[np.isin(outcome, ["ceasefire", "exchange"])].all()
        assert (np.isnan(cols["assumed_exchange"]) == ~cols["nuclear"]).all()
        assert (cols["war_rounds_direct"] <= cols["end_round"]).all()


@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(spec=lasting_scenarios())
def test_generated_wars_that_last_give_the_same_frames_on_both_faces(spec: Scenario) -> None:
    """The mesa model of 6 replications gives run_batch's outcome rows, with lasting wars."""
    batch = run_batch(spec, seed=11, replications=6).outcome
    model = EscalationModel(scenario=spec, seed=11, replications=range(6)).run().outcome
    pd.testing.assert_frame_equal(
        model.drop(columns=["end_round"]), batch.drop(columns=["end_round"]), check_dtype=False
    )


def test_a_rung_seen_outside_what_a_side_at_war_can_hold_is_read_within_it() -> None:
    """policies.bargaining.war_moves: a side at war holds at least the war rung and, without
    nuclear weapons, less than the nuclear rung (common knowledge); a noisy channel's one-rung
    error can show it outside that band, which is read at the band's edge, so the side still
    has moves (found by hypothesis: every move NaN, an all-NaN maximum). Seen one rung above
    its highest, or one below the war rung, it is valued as at that edge, exactly."""
    from escalsim.core.params import compile_params
    from escalsim.policies import bargaining as pb

    data = json.loads(scripted_war().model_dump_json(by_alias=True, exclude_unset=True))
    data["ladder"]["rungs"].append({"name": "nuclear", "cost": 9.0, "war_advantage": 0.5})
    data["ladder"]["nuclear_rung"] = "nuclear"
    p = compile_params(load_text(json.dumps(data), "band.yaml"))
    w, nuclear = int(p.war_rung), int(p.nuclear_rung)

    def moves(x: int, y: float) -> np.ndarray:
        return pb.war_moves(
            np.array([x]),
            np.array([y]),
            np.array([0.5]),
            1.0,
            np.array([0.1]),
            np.array([5.0]),
            np.array([1.0]),
            np.array([0.1]),
            np.array([[0.0]]),
            p.power_a,
            p.power_b,
            p,
        )

    edge = moves(w, float(w))
    assert np.isfinite(edge).any()
    np.testing.assert_array_equal(moves(nuclear, float(w)), edge)  # above its highest
    np.testing.assert_array_equal(moves(w - 1, float(w - 1)), edge)  # below the war rung


def test_the_war_ladder_on_the_rows_at_war_alone_gives_every_rows_numbers_to_the_bit() -> None:
    """policies.bargaining._at_war_rows (issue 20): ``own_war_ladder`` values only the rows at
    war; on those rows its values are war_moves' over every row, to the bit (broadcast inputs,
    types on the last axis, NaN for closed nuclear rungs among them), and the other rows are 0."""
    from escalsim.policies import bargaining as pb

    p = schedule(with_condition(geneva_at_war(), "dialogue_open")).params_at[0]
    rng = np.random.default_rng(3)
    shape, k = (4, 3, 5), len(p.cost_types[0])
    rows = (
        rng.integers(int(p.war_rung), p.n_rungs, size=shape),
        rng.uniform(int(p.war_rung), p.n_rungs - 1, size=(4, 1, 5)),
        rng.uniform(0.0, 1.0, size=shape),
        rng.uniform(0.5, 2.0, size=(1, 3, 1)),
        rng.uniform(0.0, 0.3, size=shape),
        rng.uniform(-1.0, 5.0, size=shape),
    )
    typed = (
        rng.dirichlet(np.ones(k), size=shape),
        rng.uniform(0.0, 0.5, size=(1, 1, 1, k)),
        rng.uniform(-2.0, 6.0, size=(*shape, k)),
    )
    at_war = rng.random(shape) < 0.3
    at_war[0, 0, 0] = True

    def values(*a: Any) -> np.ndarray:
        return pb.war_moves(*a, p.power_a, p.power_b, p)

    whole = np.broadcast_to(values(*rows, *typed), (*shape, 4))
    some = pb._at_war_rows(values, at_war, rows, typed)
    assert some.shape == whole.shape
    np.testing.assert_array_equal(some[at_war], whole[at_war])
    assert not some[~at_war].any()
