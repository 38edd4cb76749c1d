"""Wars between a power and a third party (docs/pair-wars.md §5, §6; step 3, ``model/pair_wars``).

A listed pair (``war.pairs``: one power and one third party, perhaps with the other power as the
third party's patron) is at war or at peace in each replication; the power attacks, chooses its
intensity, fights battles that move the pair's front, agrees a ceasefire where a route is open,
and the patron may join (a direct war between the powers). Three tiers:

* reproducibility: a scenario with listed pairs gives the same outcome frames on both faces (the
  mesa model and ``run_batch``), and the same frames whatever the chunking of the replications;
* invariants under any seed and parameters (hypothesis, ``strategies.pair_war_scenarios``): the
  front in [0, 1], moved only in a pair at war since before the round; the power's intensity the
  war rung at peace and at or above it at war, a nuclear rung only for a nuclear-armed power and
  never the strategic rung; rounds of battle only at war; a ceasefire leaves the pair at peace
  on the frozen line; nuclear use only where some war is fought; an exchange ends the run; the
  calm rule and a core agreement never end a run while a pair fights; the outcome columns agree
  with one another;
* known answers, on small hand-built scenarios whose powers hold (so only the pair acts): the
  front's mean after t battles ``p + (1 − σ)^t (q₀ − p)`` with ``p = K_i/(K_i + K_j + s K_P)``
  (4 standard errors of 4,000 runs); an attack in round 1 exactly where ``bg.pair_war_value`` at
  the status quo beats the settlement held there (hand-computed both ways); a ceasefire only
  through a route (a private line between the pair's sides, or an agreement on an item that ends
  the pair's war); the patron's intervention exactly where ``bg.patron_values`` says so; and a
  field that matters with common random numbers (support for the client lowers the power's
  front); and the war's spillover incidents (step 4): their rate, their explanation by a
  deconfliction line (all, none, or fewer with a weaker line, under common random numbers) and
  their misattribution (the share the pair's power did not fire).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalsim.agents import EscalationModel
from escalsim.batch import run_batch
from escalsim.core import bargaining as bg
from escalsim.core.params import schedule
from escalsim.core.streams import BlockLayout
from escalsim.model import pair_wars
from escalsim.model.rounds import Crisis, Streams
from escalsim.scenario import Scenario, load_text
from strategies import pair_war_scenarios

#: The hand-built scenario's discount, front step and the power's and client's capabilities.
DELTA, SIGMA = 0.9, 0.1
HOLD: dict[str, Any] = {"name": "scripted", "moves": [], "then": "hold"}


def pair_war(
    *,
    rounds: int = 20,
    capability: tuple[float, float, float] = (3.0, 2.0, 1.0),
    cost: tuple[float, float] = (0.1, 0.1),
    at_start: bool = True,
    front: float = 0.5,
    patron: bool = False,
    support: float = 0.0,
    stake: float = 0.0,
    line: bool = False,
    agenda: list[dict[str, Any]] | None = None,
    policy_a: dict[str, Any] | None = None,
) -> Scenario:
    """Powers A and B and a third party T; the listed pair A-T, perhaps with B as T's patron.

    Everyone holds (scripted), the powers at the bottom rung with no war risk there, so the
    powers never fight unless the patron joins; nobody offers; no calm rule. A's share of the
    pair's stakes at the status quo is 1/2; δ = 0.9, σ = 0.1; no nuclear rung. ``at_start``: A
    and T at war at round 1 at the war rung, the front at ``front``. ``line``: a private line
    between A and T (a route for a ceasefire).
    """
    pair: dict[str, Any] = {
        "pair": ["A", "T"],
        "stakes": {"status_quo": {"A": 0.5}},
        "cost": {"A": cost[0], "T": cost[1]},
    }
    if patron:
        pair.update(patron={"T": "B"}, support=support, patron_stake=stake)
    data: dict[str, Any] = {
        "schema_version": 3,
        "id": "pair-war",
        "name": "A war between a power and a third party",
        "run": {"rounds": rounds, "time_unit": "week", "replications": 10, "seed": 1},
        "stakes": {"discount": DELTA},
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
        "war": {"ends_run": False, "front_step": SIGMA, "pairs": [pair]},
        "actors": [
            {
                "id": "A",
                "name": "A",
                "role": "power",
                "capability": capability[0],
                "war_cost": 0.1,
                "policy": policy_a or HOLD,
            },
            {
                "id": "B",
                "name": "B",
                "role": "power",
                "capability": capability[1],
                "war_cost": 0.1,
                "policy": HOLD,
            },
            {
                "id": "T",
                "name": "T",
                "role": "third_party",
                "capability": capability[2],
                "resolve": 0.5,
                "alignment": {"B": 1.0},
                "policy": HOLD,
            },
        ],
        "channels": [{"id": "public", "kind": "public", "noise": 0.0}],
    }
    if at_start:
        data["war"]["at_start"] = [
            {"pair": ["A", "T"], "intensity": {"A": "war", "T": "war"}, "front": {"A": front}}
        ]
    if line:
        data["channels"].append(
            {"id": "line", "kind": "hotline", "between": ["A", "T"], "noise": 0.0}
        )
    if agenda is not None:
        data["agenda"] = agenda
    return load_text(json.dumps(data), "pair-war.yaml")


def _stepped(spec: Scenario, seed: int, n: int, *, detail: bool = False) -> Crisis:
    """A crisis of ``n`` replications of its own streams, to step (rows never compacted)."""
    sched = schedule(spec)
    reps = np.arange(n, dtype=np.int64)
    streams = Streams(seed, reps, BlockLayout.of(spec), spec.run.rounds)
    return Crisis(spec, sched, streams, reps, np.full(n, detail), False, solo=True, compact=False)


def _retired(crisis: Crisis) -> dict[str, Any]:
    """The outcome columns of every replication as written when it ended (a crisis that is not
    compacted keeps stepping its ended rows, unseen: their state drifts after the outcome)."""
    done = crisis._done
    return {k: np.concatenate([part[k] for part in done]) for k in done[0]}


def _annuity() -> tuple[float, float]:
    """``1/(1 − δ)`` and ``1/(1 − δ(1 − σ))``: the weights of the share and of the front's gap."""
    return 1.0 / (1.0 - DELTA), 1.0 / (1.0 - DELTA * (1.0 - SIGMA))


# -- invariants ----------------------------------------------------------------------------------
#: How a run's end is worded when the calm rule or a core agreement ends it (``Crisis.moves``).
CALM = ("settlement: agreement on a core agenda item", "rounds at the lowest rungs")


def _calm_ends(crisis: Crisis, start: int) -> set[int]:
    """The replications whose run the calm rule or a core agreement ended, in events logged
    from index ``start`` on (every row kept in detail)."""
    rows: set[int] = set()
    for reps, kind, values in crisis._events[start:]:
        if kind != "end":
            continue
        detail = values["detail"]
        texts = detail if isinstance(detail, list) else [detail] * len(reps)
        rows.update(
            int(r) for r, text in zip(reps, texts, strict=True) if any(c in text for c in CALM)
        )
    return rows


def _pairs_consistent_every_round(crisis: Crisis) -> None:
    """Step ``crisis`` to its end, checking the listed pairs' record in every running row.

    Over the rows running when the round began: the front in [0, 1] and moved only in a pair at
    war since before the round; at peace the front is the pair's status quo (the frozen line);
    the power's intensity the war rung at peace, at or above it at war, a nuclear rung only for
    a nuclear-armed power, never the strategic rung; the peak at least the intensity; a round of
    battle only where the pair was at war, and one in every such row still running; an onset
    only at peace, at the war rung, from the status quo; a ceasefire only at war, leaving the
    pair at peace on the line it froze; nuclear use only where some war is fought; an exchange
    ends the run; no run ended by the calm rule or a core agreement in a round a pair began at
    war.
    """
    p = crisis.params
    w = int(p.war_rung)  # type: ignore[arg-type]
    sides = p.pair_sides
    powers = sides[:, 0]
    nuclear_ok = np.array(
        [p.nuclear_rung is None or bool(p.nuclear[int(i)]) for i in powers], dtype=bool
    )
    top = np.array([pair_wars._top_intensity(p, int(i)) for i in powers])
    fought = crisis.at_war.copy()  # a war between the powers at round 1 is fought too
    while not crisis.over:
        alive = ~crisis.ended
        was = crisis.pair_war.copy()
        front = crisis.pair_front.copy()
        rounds = crisis.pair_rounds.copy()
        onsets = crisis.pair_onsets.copy()
        ceasefires = crisis.pair_ceasefires.copy()
        peak = crisis.pair_peak.copy()
        events = len(crisis._events)
        crisis.step()
        live = alive & ~crisis.ended
        run = alive[:, None]
        war, z = crisis.pair_war, crisis.pair_intensity
        assert ((crisis.pair_front >= 0.0) & (crisis.pair_front <= 1.0)).all()
        assert not ((crisis.pair_front != front) & ~(was & run)).any()
        np.testing.assert_array_equal(crisis.pair_front[~war], crisis.pair_quo[~war])
        assert (z[run & ~war] == w).all()
        assert (z[run & war] >= w).all()
        assert (z <= top[None, :]).all()
        if p.nuclear_rung is not None:
            assert not ((z >= p.nuclear_rung) & ~nuclear_ok[None, :]).any()
        if p.strategic_rung is not None:
            assert (z < p.strategic_rung).all()
        assert (crisis.pair_peak >= peak).all()
        assert (crisis.pair_peak[run & war] >= z[run & war]).all()
        more = crisis.pair_rounds - rounds
        assert set(np.unique(more)) <= {0, 1}
        assert not ((more > 0) & ~(was & run)).any()
        np.testing.assert_array_equal(more[live], was[live].astype(more.dtype))
        begun = crisis.pair_onsets - onsets
        assert not ((begun > 0) & (was | ~run)).any()
        assert (z[begun > 0] == w).all()
        assert war[begun > 0].all()
        frozen = crisis.pair_ceasefires - ceasefires
        assert not ((frozen > 0) & ~(was & run)).any()
        assert not war[frozen > 0].any()
        np.testing.assert_array_equal(crisis.pair_quo[frozen > 0], crisis.pair_front[frozen > 0])
        assert not (crisis.pair_intervened & ~(crisis.war_onsets > 0)[:, None]).any()
        fought |= crisis.at_war | (crisis.war_onsets > 0) | (crisis.pair_rounds > 0).any(axis=1)
        assert (crisis.nuclear <= fought).all()
        assert not (crisis.strategic & ~crisis.ended).any()
        calm = _calm_ends(crisis, events)
        assert not calm & set(np.flatnonzero(was.any(axis=1)).tolist())


def _columns_agree(cols: dict[str, Any], p: Any) -> None:
    """The outcome columns of the listed pairs agree with one another and with the powers'."""
    names = [f"{p.ids[int(i)]}_{p.ids[int(j)]}" for i, j in p.pair_sides]
    w = int(p.war_rung)
    direct, any_ = cols["war_direct"], cols["war_any"]
    assert (any_ >= direct).all()
    np.testing.assert_array_equal(direct, cols["war"])
    pair_wars_begun = sum(cols[f"war_{n}"].astype(int) for n in names)
    assert (cols["wars"] >= direct.astype(int) + pair_wars_begun).all()
    rounds = sum(cols[f"war_rounds_{n}"] for n in names)
    np.testing.assert_array_equal(cols["war_rounds_any"], cols["war_rounds_direct"] + rounds)
    np.testing.assert_array_equal(any_, direct | (pair_wars_begun > 0))
    # The powers never start at war here: a ceasefire, an exchange (a pair's only while the
    # patron fights) and a war at the horizon all need a direct war begun in the run.
    assert direct[np.isin(cols["outcome"], ["ceasefire", "exchange", "war"])].all()
    for n in names:
        began = cols[f"war_{n}"]
        assert (any_ >= began).all()
        cause = cols[f"cause_{n}"]
        np.testing.assert_array_equal(began, np.array([c is not None for c in cause]))
        assert set(cause[began]) <= {"deliberate", "miscalculated"}
        start = cols[f"start_round_{n}"]
        assert (start[~began] == 0).all()  # the round of the first onset, 0 where none
        assert ((start[began] >= 1) & (start[began] <= cols["end_round"][began])).all()
        assert (direct >= cols[f"intervention_{n}"]).all()
        assert ((cols[f"front_{n}"] >= 0) & (cols[f"front_{n}"] <= 1)).all()
        assert (cols[f"peak_{n}"] >= w).all()
        if p.strategic_rung is not None:
            assert (cols[f"peak_{n}"] < p.strategic_rung).all()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=pair_war_scenarios(), seed=st.integers(0, 2**31))
def test_generated_pair_wars_stay_consistent(spec: Scenario, seed: int) -> None:
    """Any generated scenario with listed pairs (some at war at round 1, some with a patron, a
    support and a stake, a private line or an item that ends the war; a nuclear rung or not,
    nuclear-armed powers or not; any policies, channels, events and accidents): the pairs'
    record holds in every running row and round, and the outcome columns agree."""
    crisis = _stepped(spec, seed, 20, detail=True)
    _pairs_consistent_every_round(crisis)
    _columns_agree(_retired(crisis), crisis.params)


# -- reproducibility ------------------------------------------------------------------------------
@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(spec=pair_war_scenarios())
def test_generated_pair_wars_give_the_same_frames_on_both_faces(spec: Scenario) -> None:
    """The mesa model of 6 replications gives run_batch's outcome rows, with listed pairs."""
    batch = run_batch(spec, seed=11, replications=6).outcome
    model = EscalationModel(scenario=spec, seed=11, replications=range(6)).run().outcome
    pd.testing.assert_frame_equal(
        model.drop(columns=["end_round"]), batch.drop(columns=["end_round"]), check_dtype=False
    )


@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(spec=pair_war_scenarios())
def test_generated_pair_wars_are_reproducible_whatever_the_chunking(spec: Scenario) -> None:
    """One seed, one frame: run twice, and in chunks of 3 or of 64 replications."""
    one = run_batch(spec, seed=5, replications=24, chunk=3).outcome
    two = run_batch(spec, seed=5, replications=24, chunk=3).outcome
    big = run_batch(spec, seed=5, replications=24, chunk=64).outcome
    pd.testing.assert_frame_equal(one, two)
    pd.testing.assert_frame_equal(one, big)


def test_a_patron_war_is_reproducible_whatever_the_chunking() -> None:
    """A patron with a stake and a support, the war under way at round 1: 300 runs, chunked
    by 7 or all at once, the same frame, and the pairs' columns are there."""
    spec = pair_war(patron=True, support=0.5, stake=2.0)
    one = run_batch(spec, seed=9, replications=300, chunk=7).outcome
    two = run_batch(spec, seed=9, replications=300).outcome
    pd.testing.assert_frame_equal(one, two)
    assert {"war_A_T", "front_A_T", "intervention_A_T", "war_any"} <= set(one.columns)


# -- known answers --------------------------------------------------------------------------------
def test_the_pairs_front_drifts_to_the_chances_as_the_closed_form_says() -> None:
    """A and T at war from round 1 (front 1/2), no route for a ceasefire and no stake for the
    patron, so the war lasts: after the battles of rounds 1-20 (t = 20) the front's mean is
    ``p + (1 − σ)^t (q₀ − p)`` with ``p = K_A/(K_A + K_T + s K_B) = 3/(3 + 1 + 0.5·2) = 0.6``
    (decisiveness 1), within 4 standard errors of the mean of 4,000 runs (a false alarm with
    probability about 6e-5)."""
    spec = pair_war(patron=True, support=0.5)
    out = run_batch(spec, seed=21, replications=4000).outcome
    assert out["at_war_A_T"].all()
    assert (out["war_rounds_A_T"] == 20).all()
    assert not out["war_A_T"].any()  # a war under way at round 1 is not an onset
    assert not out["war_any"].any()
    assert not out["intervention_A_T"].any()
    p, q0, t = 0.6, 0.5, 20
    expected = p + (1 - SIGMA) ** t * (q0 - p)
    front = out["front_A_T"].to_numpy()
    se = front.std(ddof=1) / np.sqrt(len(front))
    assert abs(front.mean() - expected) < 4 * se


@pytest.mark.parametrize(("cost", "attacks"), [(0.1, True), (0.3, False)])
def test_an_attack_comes_exactly_where_the_war_beats_the_status_quo(
    cost: float, attacks: bool
) -> None:
    """A and T at peace at the status quo q = 1/2, no patron (π = 0): A's war is worth
    ``V = (p − c)/(1 − δ) + (q − p)/(1 − δ(1 − σ))`` with p = 3/4, against the settlement
    ``q/(1 − δ) = 5``. At c = 0.1, V = 6.5 − 1.316 = 5.184 > 5: A attacks in round 1 in every
    run (cause deliberate: with no patron the truth changes nothing) and fights every round
    after; at c = 0.3, V = 4.5 − 1.316 = 3.184 < 5: never."""
    share, gap = _annuity()
    p, q = 0.75, 0.5
    by_hand = (p - cost) * share + (q - p) * gap
    value = bg.pair_war_value(q, p, p, cost, 0.0, 0.0, -1.0, DELTA, SIGMA, 0.0, 0.0)
    assert float(value) == pytest.approx(by_hand)
    peace = q * share
    assert float(bg.settlement_value(q, DELTA)) == pytest.approx(peace)
    assert (by_hand > peace) is attacks

    spec = pair_war(at_start=False, cost=(cost, 0.1), rounds=12)
    crisis = _stepped(spec, 3, 200)
    crisis.step()
    assert (crisis.pair_war[:, 0] == attacks).all()
    assert (crisis.pair_start[:, 0] == (1 if attacks else 0)).all()
    assert (crisis.pair_rounds[:, 0] == 0).all()  # a war begun this round fights from the next
    out = run_batch(spec, seed=3, replications=200).outcome
    assert (out["war_A_T"] == attacks).all()
    assert (out["war_any"] == attacks).all()
    assert not out["war_direct"].any()
    assert (out["wars"] == int(attacks)).all()
    assert (out["start_round_A_T"] == (1 if attacks else 0)).all()
    if attacks:
        assert (out["cause_A_T"] == "deliberate").all()
        assert (out["war_rounds_A_T"] == 11).all()  # rounds 2-12, no route to a ceasefire
        assert out["at_war_A_T"].all()
    else:
        assert out["cause_A_T"].isna().all()
        assert (out["front_A_T"] == 0.5).all()


def _both_freeze(q: float, p: float, c: tuple[float, float]) -> bool:
    """Both sides prefer a freeze at front q to the war (no hazard, no patron): each side's
    settlement on the front at least ``(p − c)/(1 − δ) + (q − p)/(1 − δ(1 − σ))``, its own."""
    share, gap = _annuity()
    power = q * share >= (p - c[0]) * share + (q - p) * gap
    client = (1 - q) * share >= (1 - p - c[1]) * share + (p - q) * gap
    return bool(power and client)


def test_a_ceasefire_needs_a_route() -> None:
    """A and T at war from round 1 with the front at the chances (q₀ = p = 3/4) and costs 0.1:
    after the first battle the front is 0.775 or 0.675 and both sides prefer a freeze there
    (checked by hand). With a private line between A and T, every run freezes in round 1 at the
    front of its first battle, and A does not attack again (it preferred the freeze); without
    any route, no run ever does."""
    won, lost = 0.75 + SIGMA * 0.25, 0.75 * (1 - SIGMA)
    assert _both_freeze(won, 0.75, (0.1, 0.1))
    assert _both_freeze(lost, 0.75, (0.1, 0.1))
    line = run_batch(pair_war(front=0.75, line=True), seed=4, replications=300).outcome
    assert (line["ceasefires_A_T"] == 1).all()
    assert (line["war_rounds_A_T"] == 1).all()
    assert not line["at_war_A_T"].any()
    assert not line["war_A_T"].any()
    assert np.isin(line["front_A_T"].round(12), [round(won, 12), round(lost, 12)]).all()
    assert not line["war_any"].any()
    closed = run_batch(pair_war(front=0.75), seed=4, replications=300).outcome
    assert (closed["ceasefires_A_T"] == 0).all()
    assert closed["at_war_A_T"].all()
    assert (closed["war_rounds_A_T"] == 20).all()


def test_an_agreement_that_ends_the_pairs_war_is_a_route() -> None:
    """The same war with no line between A and T, but a hotline between the powers over which
    they may agree an item: where the item ends the pair's war (``ends_war: [A, T]``, naming T)
    and its base probability is high, runs freeze, each no earlier than its agreement; the same
    item without ``ends_war`` opens no route and no run freezes."""
    item: dict[str, Any] = {
        "id": "peace",
        "name": "Peace",
        "core": False,
        "salience": {"A": 1.0, "B": 1.0},
        "names": ["T"],
        "ends_war": ["A", "T"],
        "agreement": {"kind": "deconfliction", "base_probability": 0.9},
    }
    data = json.loads(
        pair_war(front=0.75, agenda=[item]).model_dump_json(by_alias=True, exclude_unset=True)
    )
    data["channels"].append({"id": "hot", "kind": "hotline", "between": ["A", "B"], "noise": 0.0})
    ends = load_text(json.dumps(data), "ends.yaml")
    del data["agenda"][0]["ends_war"]
    talks_only = load_text(json.dumps(data), "talks.yaml")

    crisis = _stepped(ends, 6, 300)
    first_agreed = np.full(300, -1)
    first_freeze = np.full(300, -1)
    while not crisis.over:
        crisis.step()
        agreed = crisis.agreed[:, 0] >= 0
        first_agreed = np.where((first_agreed < 0) & agreed, crisis.round, first_agreed)
        frozen = crisis.pair_ceasefires[:, 0] > 0
        first_freeze = np.where((first_freeze < 0) & frozen, crisis.round, first_freeze)
    froze = first_freeze > 0
    assert froze.sum() > 0
    assert (first_agreed[froze] > 0).all()
    assert (first_freeze[froze] >= first_agreed[froze]).all()
    out = run_batch(talks_only, seed=6, replications=300).outcome
    assert out["agreements"].sum() > 0  # the talks did agree: only the route is missing
    assert (out["ceasefires_A_T"] == 0).all()


@pytest.mark.parametrize(("stake", "joins"), [(10.0, True), (0.5, False), (0.0, False)])
def test_the_patron_joins_exactly_where_its_values_say_so(stake: float, joins: bool) -> None:
    """A and T at war from round 1, B T's patron with no support (p_s = 3/4, p_j = 3/6 for A):
    B joins in round 1 where ``bg.patron_values`` gives ``V_int > V_out``, that is
    ``w (p_cj − p_cs)(1/(1 − δ) − 1/(1 − δ(1 − σ))) + D_B > 0`` whatever the front (the client's
    chances 1/4 supplied, 1/2 joined; D_B = −1.474 B's value of the direct war less its
    settlement, by hand and as the engine reads it in that round). At w = 10 it joins in every
    run: the intervention is recorded, the powers' war begins (cause ``third_party``, round 1);
    at w = 0.5 the stake is too small for D_B, and at w = 0 the patron never joins."""
    spec = pair_war(patron=True, stake=stake)
    crisis = _stepped(spec, 8, 200)
    crisis.begin_round()
    d_b = pair_wars._Direct(crisis, crisis.params.ids.index("B")).own[0]
    crisis.finish_round()
    share, gap = _annuity()
    # By hand: B's war with A over the powers' stakes (p_B = 2/5, c_B = 0.1, from x_B = 1/2,
    # no nuclear rung) less its settlement x_B/(1 − δ): 3 + 0.526 − 5 = −1.474.
    np.testing.assert_allclose(d_b, (0.4 - 0.1) * share + (0.5 - 0.4) * gap - 0.5 * share)
    front = crisis.pair_front[:, 0]  # after round 1's battle, where the patron decides
    v_int, v_out = bg.patron_values(stake, 1.0 - front, 0.25, 0.5, DELTA, SIGMA, d_b)
    np.testing.assert_allclose(
        np.asarray(v_int) - np.asarray(v_out), stake * 0.25 * (share - gap) + d_b
    )
    expected = (np.asarray(v_int) > np.asarray(v_out)) & (stake > 0)
    assert (expected == joins).all()
    np.testing.assert_array_equal(crisis.pair_intervened[:, 0], expected)
    np.testing.assert_array_equal(crisis.at_war, expected)
    out = run_batch(spec, seed=8, replications=200).outcome
    assert (out["intervention_A_T"] == joins).all()
    assert (out["war_direct"] == joins).all()
    if joins:
        assert (out["war_cause"] == "third_party").all()
        assert (out["war_start_round"] == 1).all()
    else:
        assert out["war_cause"].isna().all()


def test_more_support_for_the_client_lowers_the_powers_front() -> None:
    """Fields matter (docs/pair-wars.md §11), with common random numbers: the same 2,000 runs of
    the war from round 1 with B's support for T at 0 and at 0.8 (no stake: B never joins). A's
    chance of a battle falls from 3/4 to 3/5.6, so with the same battle draws A's front is never
    higher with support (the front step is monotone in the battle's result) and its mean at the
    horizon is lower by more than 4 paired standard errors."""
    low = pair_war(patron=True, support=0.0)
    high = pair_war(patron=True, support=0.8)
    layout = BlockLayout.of(low)
    one = run_batch(low, seed=13, replications=2000, layout=layout).outcome
    two = run_batch(high, seed=13, replications=2000, layout=layout).outcome
    d = one["front_A_T"].to_numpy() - two["front_A_T"].to_numpy()
    assert (d >= 0).all()
    se = d.std(ddof=1) / np.sqrt(len(d))
    assert d.mean() > 4 * se > 0


def _edited(spec: Scenario, edit: Any) -> Scenario:
    """``spec`` with its data changed by ``edit`` (a function of the data), reloaded."""
    data = json.loads(spec.model_dump_json(by_alias=True, exclude_unset=True))
    edit(data)
    return load_text(json.dumps(data), "edited.yaml")


@pytest.mark.parametrize("armed", [True, False])
def test_a_nuclear_intensity_in_a_pair_war_needs_nuclear_arms(armed: bool) -> None:
    """A nuclear rung above war that triples A's strength (war_advantage 2) at the
    war rung's posture cost, and a strategic rung above it that would multiply it by 6. Against
    a client without a patron no exchange can happen (the hazard's π is 0), so holding the
    nuclear rung is strictly better: a nuclear-armed A steps onto it in round 1 and holds it
    (nuclear use recorded, never an exchange, never the strategic rung); an A without the
    weapons stays at the war rung in every run and round."""

    def edit(data: dict[str, Any]) -> None:
        data["ladder"]["rungs"] += [
            {"name": "nuclear", "cost": 1.0, "war_advantage": 2.0, "exchange_hazard": 0.05},
            {"name": "strategic", "cost": 1.0, "war_advantage": 5.0},
        ]
        data["ladder"]["nuclear_rung"] = "nuclear"
        data["ladder"]["strategic_rung"] = "strategic"
        data["war"]["exchange_value"] = -5.0
        data["actors"][0]["nuclear"] = armed

    spec = _edited(pair_war(), edit)
    crisis = _stepped(spec, 12, 200)
    while not crisis.over:
        crisis.step()
        assert (crisis.pair_intensity[:, 0] == (3 if armed else 2)).all()
        assert (crisis.rung[:, :2] == 0).all()  # the powers' own ladder is untouched
    out = run_batch(spec, seed=12, replications=200).outcome
    assert (out["nuclear"] == armed).all()
    assert not out["strategic"].any()
    assert (out["peak_A_T"] == (3 if armed else 2)).all()
    assert (out["war_rounds_A_T"] == 20).all()


def test_the_calm_rule_waits_for_the_pairs_war_to_end() -> None:
    """With ``settlement_rounds: 1`` the powers, holding the bottom rung, are calm every round;
    while A and T fight no round counts. Without a route the war lasts and the run reaches the
    horizon (unresolved, the pair still at war); with a line between A and T the pair freezes in
    round 1 (as in the ceasefire test) and the calm rule ends the powers' crisis in round 2: a
    settlement, kept (logged once as ``crisis_end``) while the run goes on to the horizon, since
    the pair could go back to war (docs/pair-wars.md §3.4)."""

    def calm(data: dict[str, Any]) -> None:
        data["endings"]["settlement_rounds"] = 1

    closed = run_batch(_edited(pair_war(front=0.75), calm), seed=5, replications=100).outcome
    assert (closed["outcome"] == "unresolved").all()
    assert (closed["end_round"] == 20).all()
    assert closed["at_war_A_T"].all()
    line = _edited(pair_war(front=0.75, line=True), calm)
    result = run_batch(line, seed=5, replications=100, keep=100)
    out = result.outcome
    assert (out["outcome"] == "settlement").all()
    assert (out["end_round"] == 20).all()
    assert (out["ceasefires_A_T"] == 1).all()
    assert not out["at_war_A_T"].any()
    assert not out["war_A_T"].any()  # at these values the freeze holds: no war begun again
    events = result.events
    ended = events[events["kind"] == "crisis_end"]
    assert sorted(ended["replication"]) == sorted(out["replication"])  # once per run
    assert (ended["round"] == 2).all()
    assert ended["detail"].str.contains("settlement while a pair is at peace").all()


def test_a_concession_does_not_end_the_run_while_a_pair_fights() -> None:
    """A concedes in round 3 while A and T are at war (from round 1, no route): by §3.4 the
    powers' crisis ends but the run goes on, recording how the pair's war ends (here: it
    outlasts the horizon, 20 rounds of battle), and ends with the crisis's outcome."""
    spec = pair_war(policy_a={"name": "scripted", "moves": ["hold", "hold", "concede"]})
    out = run_batch(spec, seed=2, replications=20).outcome
    assert (out["war_rounds_A_T"] == 20).all()
    assert (out["end_round"] == 20).all()
    assert (out["outcome"] == "capitulation_a").all()


def _spilling(condition: str, replications: int, seed: int) -> pd.DataFrame:
    """The pair A-T at war from round 1 (no route), its war spilling onto B (the other power)
    at 0.2 a round, fired by A half the time, and a private A-B line, the pair's only and so best
    path, explaining an incident with probability 1 (``sure``), 0.9 (``strong``) or 0.3
    (``weak``), or closed (``none``): conditions of one scenario, so common random numbers."""
    data = json.loads(pair_war().model_dump_json(by_alias=True, exclude_unset=True))
    data["war"]["pairs"][0]["spillover"] = {"rate": 0.2, "touches": "B", "from_power": 0.5}
    data["channels"].append(
        {"id": "line", "kind": "hotline", "between": ["A", "B"], "noise": 0.0, "deconfliction": 1.0}
    )
    data["conditions"] = {
        "sure": {},
        "strong": {"set": {"channels.line.deconfliction": 0.9}},
        "weak": {"set": {"channels.line.deconfliction": 0.3}},
        "none": {"set": {"channels.line.open": False}},
    }
    spec = load_text(json.dumps(data), "spilling.yaml")
    return run_batch(spec, condition=condition, seed=seed, replications=replications).outcome


def test_spillover_incidents_come_at_their_rate_and_a_deconfliction_line_explains_them() -> None:
    """pair-wars §7 (step 4): an incident a round with probability ``rate`` while the pair is at
    war (its mean count over 20 rounds within 4 standard errors of 2,000 runs); with a line that
    always explains (deconfliction 1) every incident is explained and none misattributed; with
    the line closed, none is explained, and the misattributed ones are those A did not fire
    (half, 4 SE); with common random numbers the incidents are the same draws either way."""
    n, rounds, rate = 2000, 20, 0.2
    none = _spilling("none", n, 4)
    sure = _spilling("sure", n, 4)
    mean, se = rate * rounds, np.sqrt(rate * (1 - rate) * rounds / n)
    assert abs(none["spillovers"].mean() - mean) < 4 * se
    np.testing.assert_array_equal(none["spillovers"], sure["spillovers"])
    assert (sure["spillovers_explained"] == sure["spillovers"]).all()
    assert (sure["spillovers_misattributed"] == 0).all()
    assert (none["spillovers_explained"] == 0).all()
    share = none["spillovers_misattributed"].sum() / none["spillovers"].sum()
    assert abs(share - 0.5) < 4 * np.sqrt(0.25 / none["spillovers"].sum())


def test_a_weaker_deconfliction_line_explains_fewer_spillovers() -> None:
    """A field that matters, with common random numbers: a line that explains with probability
    0.3 explains no more incidents than one at 0.9 in any run, and fewer on average (by more
    than 4 paired standard errors over 1,000 runs)."""
    weak, strong = _spilling("weak", 1000, 6), _spilling("strong", 1000, 6)
    diff = strong["spillovers_explained"] - weak["spillovers_explained"]
    assert (diff >= 0).all()
    assert diff.mean() > 4 * diff.std(ddof=1) / np.sqrt(len(diff))


def test_believed_chance_is_a_posterior_mean_whose_optimism_fades_in_expectation() -> None:
    """bg.believed_chance: before any battle, the chance plus the optimism; after n battles at
    the true chance p, its mean over 20,000 simulated wars is p + κo/(κ + n) within 4 standard
    errors (no clipping at these values); clipped to [0, 1]; no optimism and no surprise, the
    truth."""
    p, o, kappa, n = 0.4, 0.3, 5.0, 12
    assert bg.believed_chance(p, o, kappa, 0.0, 0) == pytest.approx(p + o)
    assert bg.believed_chance(p, 0.0, kappa, 0.0, 7) == pytest.approx(p)
    assert bg.believed_chance(0.9, 0.5, kappa, 0.0, 0) == 1.0
    rng = np.random.default_rng(8)
    wins = rng.binomial(n, p, size=20_000)
    believed = bg.believed_chance(p, o, kappa, wins - n * p, n)
    se = believed.std(ddof=1) / np.sqrt(len(believed))
    assert abs(believed.mean() - (p + kappa * o / (kappa + n))) < 4 * se


def _optimistic_client(prior_battles: float) -> Scenario:
    """test_a_ceasefire_needs_a_route's war with a line, T overestimating its chance by 0.4."""
    data = json.loads(
        pair_war(front=0.75, line=True).model_dump_json(by_alias=True, exclude_unset=True)
    )
    data["war"]["pairs"][0].update(optimism={"T": 0.4}, prior_battles=prior_battles)
    return load_text(json.dumps(data), "optimistic.yaml")


def test_an_optimistic_side_refuses_the_freeze_until_fighting_teaches_it() -> None:
    """Mutual optimism (Blainey 1973) and learning while fighting (Smith & Stam 2004): in the
    war where both sides take a freeze after the first battle (test_a_ceasefire_needs_a_route),
    T overestimating its chance by 0.4 refuses it: with a prior worth 1,000 battles its belief
    after one battle is at least 0.25 + (400 − 1)/1001 ≈ 0.649, and it fights on while its belief
    exceeds the front by more than c(1 − δ + δσ)/(δσ) = 0.211 (the front is 0.225 or 0.325),
    so no run freezes in round 1. With a prior worth 2 battles its optimism fades (by
    2·0.4/(2 + n) in expectation) and it takes a freeze: fewer runs are still at war at the
    horizon than with the stubborn prior, by more than 4 standard errors."""
    kappa_gap = SIGMA * DELTA / (1 - DELTA + DELTA * SIGMA)
    assert 0.1 / kappa_gap == pytest.approx(0.2111, abs=1e-4)
    stubborn = run_batch(_optimistic_client(1000.0), seed=9, replications=400).outcome
    assert (stubborn["war_rounds_A_T"] > 1).all()
    learning = run_batch(_optimistic_client(2.0), seed=9, replications=400).outcome
    still = stubborn["at_war_A_T"].astype(float) - learning["at_war_A_T"].astype(float)
    assert still.mean() > 4 * still.std(ddof=1) / np.sqrt(len(still))


@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(spec=pair_war_scenarios())
def test_a_quiet_pair_war_run_equals_its_perfect_information_twin(spec: Scenario) -> None:
    """Without noise, misreading or accidents (spillovers included), seeing and the truth
    coincide, so a run equals its twin frame for frame: the moves no one chose (a power moved
    onto the war rung by an onset or an intervention, both stepped back by a ceasefire) are
    common knowledge in the truth as in perception (found by the validation check
    quiet-equals-twin with ukraine-talks-2022)."""
    from escalsim.scenario import with_condition
    from escalsim.validation.checks import _differing, quiet

    for cond in spec.condition_names or [None]:
        one = quiet(with_condition(spec, cond) if cond else spec)
        run = run_batch(one, seed=12, replications=10)
        twin = run_batch(one, seed=12, replications=10, perfect_information=True)
        assert _differing(run, twin, drop=("perfect_information",)) == set()


def test_the_quiet_seed_scenario_equals_its_twin() -> None:
    """ukraine-talks-2022 made quiet, every condition, 60 runs at seed 1: each run equals its
    perfect-information twin (the default tier's instance of the validation check
    quiet-equals-twin, whose slow instance first found the moves no one chose read as moves)."""
    from escalsim.scenario import load_scenario, with_condition
    from escalsim.validation.checks import _differing, quiet

    base = load_scenario("ukraine-talks-2022")
    for cond in base.condition_names:
        one = quiet(with_condition(base, cond))
        run = run_batch(one, seed=1, replications=60)
        twin = run_batch(one, seed=1, replications=60, perfect_information=True)
        assert _differing(run, twin, drop=("perfect_information",)) == set(), cond
