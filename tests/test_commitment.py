"""Step 7 of docs/decision-v2.md §12: war that information cannot prevent (§3.9).

The commitment problem (a declining power values a settlement by what the rising side can
promise after a scheduled shift of power) and indivisible stakes (offers are bundles of whole
agenda items). Three tiers:

* the pure functions by hand and against :func:`escalsim.core.bargaining.commitment_gap`;
* invariants (hypothesis): without a shift scheduled, the promised value is the face value and
  the bargaining policy's values and offers are exactly today's; the reservation inverts the
  value;
* known answers: the shipped ``preventive-war`` scenario (complete information, no noise, no
  accidents: every run is determined, so the answers are exact, 0 or 1 in every replication,
  and N = 200 replications per condition suffices to see any departure: a per-run error rate of
  1.5% would show in at least one of them with probability 1 - 0.985^200 > 0.95); and
  indivisibility on a two-item variant of ``fearon`` where no bundle lies in the bargaining
  range (war) or one does (a settlement at that bundle).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalsim.batch import run_batch
from escalsim.core import bargaining as bg
from escalsim.core.params import compile_params, schedule
from escalsim.core.streams import BlockLayout
from escalsim.model.rounds import Crisis, Streams
from escalsim.policies.bargaining import Bargaining
from escalsim.policies.base import Actor, Observation
from escalsim.scenario import Scenario, load_scenario, with_condition

SPEC = load_scenario("preventive-war")
N = 200

probability = st.floats(0.0, 1.0)
discount = st.floats(0.0, 0.99)


# -- the pure functions --------------------------------------------------------------------------
def test_promised_value_by_hand():
    # p = 0.6, p' = 0.2, c = 0.1, δ = 0.8, k = 1: w' = 0.1; s = 0.7 is worth 0.7 + 0.8 × 0.1 / 0.2.
    assert bg.promised_settlement_value(0.7, 0.6, 0.2, 0.1, 0.8, 1) == pytest.approx(1.1)
    # k = 2: 0.7 (1 - 0.64)/0.2 + 0.64 × 0.1/0.2
    assert bg.promised_settlement_value(0.7, 0.6, 0.2, 0.1, 0.8, 2) == pytest.approx(1.26 + 0.32)
    # a share below w' is kept whole; a rising power and no shift get the face value
    assert bg.promised_settlement_value(0.05, 0.6, 0.2, 0.1, 0.8, 1) == pytest.approx(0.25)
    assert bg.promised_settlement_value(0.7, 0.2, 0.6, 0.1, 0.8, 1) == pytest.approx(3.5)
    assert bg.promised_settlement_value(0.7, 0.6, math.nan, 0.1, 0.8, math.nan) == pytest.approx(
        3.5
    )
    # k = 0: the shift is under way
    assert bg.promised_settlement_value(0.7, 0.6, 0.2, 0.1, 0.8, 0) == pytest.approx(0.5)


@given(probability, probability, st.floats(0.0, 1.0), discount)
def test_the_whole_stakes_one_round_before_the_shift_is_the_commitment_gap(p, later, c, d):
    war = float(bg.war_value(p, c, d))
    value = float(bg.promised_settlement_value(1.0, p, later, c, d, 1))
    if later < p - bg.DECLINE_TOLERANCE:
        assert war - value == pytest.approx(float(bg.commitment_gap(p, later, c, d)), abs=1e-9)
    elif later >= p:
        assert value == pytest.approx(1.0 / (1.0 - d))


@given(probability, probability, probability, st.floats(0.0, 0.5), discount, st.integers(1, 6))
def test_the_reservation_inverts_the_promised_value(s, p, later, c, d, k):
    value = bg.promised_settlement_value(s, p, later, c, d, k)
    r = float(bg.promised_reservation(value, p, later, c, d, k))
    if d**k < 1.0:
        assert r == pytest.approx(s, abs=1e-9)


def test_rows_without_a_decline_get_the_same_numbers_and_shape_as_beside_one():
    """Where no row declines, the values (and reservations) are those the rows get beside a
    declining row, bit for bit and in the shape the whole computation gives: the functions skip
    the decline's terms only when no row needs them."""
    share, cost = np.array([[0.7], [0.2], [0.5]]), np.array([0.1, 0.3])  # [3, 1] x [2]
    p_now, d = np.array([[0.6], [0.5], [0.4]]), 0.8
    p_later = np.array([[math.nan], [0.7], [0.2]])  # none, rising, declining
    rounds = np.array([[math.nan], [2.0], [1.0]])
    for f, first in ((bg.promised_settlement_value, share), (bg.promised_reservation, share + 2)):
        beside = f(first, p_now, p_later, cost, d, rounds)
        alone = f(first[:2], p_now[:2], p_later[:2], cost, d, rounds[:2])
        assert beside.shape == (3, 2)
        assert alone.shape == (2, 2)
        np.testing.assert_array_equal(alone, beside[:2])


def test_a_reservation_above_one_means_no_offer_is_accepted():
    # large_shift's numbers: W = 2.5; D needs 2.5 - 4 × (3/11 - 0.1) = 1.809 > 1
    w = 3.0 / 11.0 - 0.1
    r = float(bg.promised_reservation(2.5, 0.6, 3.0 / 11.0, 0.1, 0.8, 1))
    assert r == pytest.approx(2.5 - 4.0 * w)
    assert r > 1.0
    offer = bg.best_offer(np.array([r]), np.array(0.3), np.array([1.0]))
    assert offer.accept == 0.0


def test_bundle_shares_by_hand():
    received, kept = bg.bundle_shares([[1.0, 3.0], [1.0, 1.0]])
    np.testing.assert_allclose(received, [[0.0, 0.25, 0.75, 1.0], [0.0, 0.5, 0.5, 1.0]])
    np.testing.assert_allclose(kept, 1.0 - received)
    with pytest.raises(ValueError, match="bundles of 1 to 12 items"):
        bg.bundle_shares(np.ones((2, 13)))


def test_bundle_candidates_pool_the_divisible_items():
    # one indivisible item worth 0.5 to both, one divisible worth 0.5: a receiver needing 0.7
    # is offered the item and 0.4 of the pool
    give, keep = bg.bundle_candidates([[1.0, 1.0], [1.0, 1.0]], [False, True], np.array([0.7]))
    assert 0.7 in np.round(give, 12)
    np.testing.assert_allclose(give + keep, 1.0)
    offer, _ = bg.best_bundle(np.array([0.7]), np.array(0.0), np.array([1.0]), give, keep)
    assert float(offer.share) == pytest.approx(0.7)


@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=6), probability, probability)
def test_the_best_bundle_is_best_among_the_bundles(items, r, f):
    weights = np.array([items, items]) + 1e-3
    received, kept = bg.bundle_shares(weights)
    offer, pick = bg.best_bundle(np.array([r]), np.array(f), np.array([1.0]), received[1], kept[0])
    values = np.where(received[1] >= r, kept[0], f)
    assert float(offer.value) == pytest.approx(values.max())
    assert float(offer.share) == received[1][pick]


# -- invariants: off, or no shift, changes nothing -----------------------------------------------
def _observation(params, *, x, y, offer, own, cost, win, later, rounds) -> Observation:
    d = float(params.discount)
    return Observation(
        round=1,
        x=np.array([x]),
        y=np.array([y]),
        y_move=np.array([0]),
        own_move=np.array([0]),
        trust=np.array([0.5]),
        committed=np.array([False]),
        capability_ratio=np.array([1.0]),
        cumulative_risk=np.array([0.0]),
        adversary_resolve=np.array([math.nan]),
        pressure=np.array([0.0]),
        audience=np.array([0.0]),
        posterior=np.array([[0.5, 0.5]]),
        offer_received=np.array([offer]),
        own_offer=np.array([own]),
        public_demand=np.array([math.nan]),
        war_value=bg.war_value(np.array([win]), cost, d),
        war_cost=np.array([cost]),
        shift_win=np.array([later]),
        shift_rounds=np.array([rounds]),
    )


@settings(max_examples=60, deadline=None)
@given(
    st.floats(0.0, 1.0) | st.just(math.nan),
    st.floats(0.0, 1.0) | st.just(math.nan),
    st.floats(0.05, 0.95),
    st.floats(0.0, 0.5),
    st.floats(0.0, 1.0),
    st.sampled_from([0, 1]),
)
def test_without_a_shift_the_policy_values_are_todays(offer, own, win, cost, later, rung):
    """No shift scheduled (NaN, as the round leaves it with the problem off), or none in p."""
    params = compile_params(with_condition(SPEC, "no_commitment_problem"))
    policy = Bargaining()
    for index in (params.power_a, params.power_b):
        actor = Actor(index=index, resolve=0.5, red_line=99)
        base = _observation(
            params,
            x=rung,
            y=0,
            offer=offer,
            own=own,
            cost=cost,
            win=win,
            later=math.nan,
            rounds=math.nan,
        )
        same = dataclasses.replace(base, shift_win=np.array([win]), shift_rounds=np.array([1.0]))
        unscheduled = dataclasses.replace(base, shift_win=np.array([later]))
        util0, avail0, _war0 = policy.utilities(base, actor, params)
        offer0 = policy.offer(base, actor, params, None, ())
        for obs in (same, unscheduled):
            util1, avail1, _war1 = policy.utilities(obs, actor, params)
            np.testing.assert_array_equal(util0, util1)
            np.testing.assert_array_equal(avail0, avail1)
            np.testing.assert_array_equal(offer0, policy.offer(obs, actor, params, None, ()))


def test_the_round_fills_the_shift_only_with_the_commitment_problem():
    for condition, expected in (("large_shift", 3.0 / 11.0), ("no_commitment_problem", None)):
        spec = with_condition(SPEC, condition)
        streams = Streams(1, np.arange(3), BlockLayout.of(spec), spec.run.rounds)
        crisis = Crisis(
            spec, schedule(spec), streams, np.arange(3), np.ones(3, bool), False, solo=True
        )
        crisis.begin_round()
        d = crisis.params.ids.index("D")
        obs = crisis.observation(d, truth=False, pressure=0.0)
        if expected is None:
            assert math.isnan(obs.shift_win)
            assert math.isnan(obs.shift_rounds)
        else:
            np.testing.assert_allclose(obs.shift_win, expected)
            assert obs.shift_rounds == 1.0
            # the other power's is the complement (two powers, no third parties)
            r = crisis.observation(crisis.params.ids.index("R"), truth=False, pressure=0.0)
            np.testing.assert_allclose(r.shift_win, 1.0 - expected)


def test_a_bargaining_rising_power_finds_no_offer_the_declining_one_accepts():
    """R bargaining: its best offer against D's promised reservation is refused (large shift)."""
    for condition, accepted in (("large_shift", False), ("small_shift", True)):
        params = compile_params(with_condition(SPEC, condition))
        r_idx = params.ids.index("R")
        d_idx = params.ids.index("D")
        shift = 3.0 / 11.0 if condition == "large_shift" else 3.0 / 5.2
        rising = _observation(
            params,
            x=0,
            y=0,
            offer=math.nan,
            own=math.nan,
            cost=0.2,
            win=0.4,
            later=1.0 - shift,
            rounds=1.0,
        )
        rising = dataclasses.replace(rising, posterior=np.array([[1.0, 0.0]]))
        policy = Bargaining()
        reservation, _ = policy.reservations(rising, Actor(r_idx, 0.5, 99), params)
        share = float(np.asarray(policy.offer(rising, Actor(r_idx, 0.5, 99), params, None, ()))[0])
        declining = _observation(
            params, x=0, y=0, offer=share, own=math.nan, cost=0.1, win=0.6, later=shift, rounds=1.0
        )
        declining = dataclasses.replace(declining, posterior=np.array([[1.0, 0.0]]))
        util, available, _ = policy.utilities(declining, Actor(d_idx, 0.5, 99), params)
        best = int(np.argmax(np.where(available, util, -np.inf)[0]))
        assert (float(reservation[0, 0]) <= 1.0) is accepted
        assert (best == bg.ACCEPT_OPTION) is accepted


# -- known answers -----------------------------------------------------------------------------
def _outcomes(spec: Scenario):
    """The runs' outcomes, with the complete-information twin's outcome beside them."""
    result = run_batch(spec, seed=7, replications=N, keep=0, twin=True)
    out = result.outcome.sort_values("replication").reset_index(drop=True)
    twin = result.complete_twin_outcome.sort_values("replication").reset_index(drop=True)
    out["complete_twin_outcome"] = twin["outcome"]
    return out


def test_preventive_war_known_answer():
    p, c, d = 0.6, 0.1, 0.8
    for condition, later in (("large_shift", 3.0 / 11.0), ("small_shift", 3.0 / 5.2)):
        gap = float(bg.commitment_gap(p, later, c, d))
        out = _outcomes(with_condition(SPEC, condition))
        if gap > 0:
            assert d * (p - later) > (1 - d) * (1 - p + c)
            assert out["war"].all()
            assert (out["end_round"] == 1).all()
            assert (out["war_cause"] == "deliberate").all()
            assert (out["complete_twin_outcome"] == "war").all()
        else:
            assert not out["war"].any()
            assert (out["outcome"] == "settlement").all()
            assert np.allclose(out["settled_share_a"], 0.3)  # R, first in the file, keeps 0.3
    out = _outcomes(with_condition(SPEC, "no_commitment_problem"))
    assert not out["war"].any()
    assert (out["outcome"] == "settlement").all()


def _two_items(salience_a: dict[str, float], salience_b: dict[str, float], divisible: bool):
    """``fearon`` with complete information, p = 0.5 and c = 0.1 for both, and two agenda items.

    Both bargain at an ultimatum (refusing is war), so the bargaining range of B's share is
    [0.4, 0.6] (each side's war annuity 0.4).
    """
    data = load_scenario("fearon").model_dump(mode="python", exclude_none=True)
    data["conditions"] = {}
    a, b = data["actors"]
    a["capability"] = b["capability"] = 1.0
    a["war_cost"] = b["war_cost"] = 0.1
    a["policy"] = b["policy"] = {"name": "bargaining", "precision": 100000.0}
    data["stakes"]["divisible"] = divisible
    data["agenda"] = [
        {"id": "x", "name": "Item x", "salience": {"A": salience_a["x"], "B": salience_b["x"]}},
        {"id": "y", "name": "Item y", "salience": {"A": salience_a["y"], "B": salience_b["y"]}},
    ]
    return Scenario.model_validate(data)


def test_indivisible_stakes_with_no_bundle_in_the_range_go_to_war():
    # bundles give B 0, 0.3, 0.7 or 1: none in [0.4, 0.6]
    w = {"x": 0.7, "y": 0.3}
    out = run_batch(_two_items(w, w, False), seed=3, replications=N, keep=0).outcome
    assert out["war"].all()
    divisible = run_batch(_two_items(w, w, True), seed=3, replications=N, keep=0).outcome
    assert not divisible["war"].any()
    assert np.allclose(divisible["settled_share_a"], 0.6)  # A's offer, B's war annuity 0.4


def test_indivisible_stakes_settle_at_a_bundle_in_the_range():
    # bundles give B 0, 0.5, 0.5 or 1: 0.5 lies in [0.4, 0.6]
    w = {"x": 0.5, "y": 0.5}
    out = run_batch(_two_items(w, w, False), seed=3, replications=N, keep=0).outcome
    assert not out["war"].any()
    assert (out["outcome"] == "settlement").all()
    assert np.allclose(out["settled_share_a"], 0.5)


def test_more_than_twelve_indivisible_items_get_a_positioned_error():
    import yaml

    from escalsim.scenario.errors import ScenarioError
    from escalsim.scenario.load import load_text

    data = load_scenario("fearon").model_dump(mode="python", exclude_none=True)
    data["stakes"]["divisible"] = False
    data["agenda"] = [
        {"id": f"i{k}", "name": f"Item {k}", "salience": {"A": 0.5}} for k in range(13)
    ]
    with pytest.raises(ScenarioError, match=r"t\.yaml:\d+:\d+: stakes\.divisible: .*at most 12"):
        load_text(yaml.safe_dump(data, sort_keys=False), "t.yaml")
    data["agenda"][0]["divisible"] = True  # 12 whole items: enumerated
    load_text(yaml.safe_dump(data, sort_keys=False), "t.yaml")
