"""A fait accompli: a power that holds its share of the stakes by a posture (``stakes.held_at``).

docs/decision-v2.md §3.10. Three tiers:

* known answers: :func:`escalsim.core.bargaining.held_stakes` for the holder, the other and
  neither, written out;
* invariants (hypothesis): whatever the shares, costs, rung and postures, the two sides' shares
  of the stakes sum to 1 at the holder's rung, and the holder's flow at a rung is its share
  there less the ladder's cost; without a holder nothing changes;
* behaviour: in generic-crisis with the target B starting on the display rung and the talks
  closed, B steps below the display rung in round 1 in 0.78 of 400 runs when the stakes do not
  depend on its posture, and in 0.29 when it holds them there (seed 3). The test asks for a
  drop of at least 0.2: the standard error of the difference of two proportions over 400 runs
  each is at most 0.035, so 0.2 is more than 5 of them below the measured 0.49;
* the outcome frame records whether the holder still held at the end (``stakes_held``), only
  where a fait accompli is declared, and a run not divided by an offer leaves the holder
  nothing where it ended below its rung (``batch.shares.run_shares``);
* bad input: a third party, an unknown rung, a rung at or above the war rung and two holders
  are refused with the field's location.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalsim.batch import run_batch
from escalsim.batch.shares import run_shares
from escalsim.core import bargaining as bg
from escalsim.core import dynamics as dx
from escalsim.errors import ScenarioError
from escalsim.scenario import load_scenario
from escalsim.scenario.load import with_settings

COSTS = np.array([0.0, 0.1, 0.2, 0.5, 1.0])


def test_held_stakes_known_answers():
    # The deciding side holds 0.8 at rung 2: below it, 0.8 is a cost; the other's share is
    # 0.2 while the holder stands at 2 or above, 1.0 below.
    mine = bg.held_stakes(0.8, 0.2, COSTS, 1, 2, np.array([1, 2]), np.array([0, 0]))
    np.testing.assert_allclose(mine.posture, [0.8, 0.9, 0.2, 0.5, 1.0])
    np.testing.assert_allclose(mine.posture_j, COSTS)
    np.testing.assert_allclose(mine.share, [0.8, 0.8])
    np.testing.assert_allclose(mine.share_j, [1.0, 0.2])
    # The other holds 0.8 at rung 2: the deciding side's share is read at the other's rung.
    other = bg.held_stakes(0.2, 0.8, COSTS, -1, 2, np.array([0, 0]), np.array([3, 1]))
    np.testing.assert_allclose(other.posture, COSTS)
    np.testing.assert_allclose(other.posture_j, [0.8, 0.9, 0.2, 0.5, 1.0])
    np.testing.assert_allclose(other.share, [0.2, 1.0])
    np.testing.assert_allclose(other.share_j, [0.8, 0.8])


@given(
    q=st.floats(0.0, 1.0),
    rung=st.integers(0, 4),
    x=st.lists(st.integers(0, 4), min_size=1, max_size=6),
    costs=st.lists(st.floats(0.0, 10.0), min_size=5, max_size=5),
    holds=st.sampled_from([1, -1]),
)
def test_the_stakes_are_conserved_at_the_holders_rung(q, rung, x, costs, holds):
    k = np.array(costs)
    held = np.array(x)
    if holds > 0:  # the deciding side holds q and stands at x
        h = bg.held_stakes(q, 1.0 - q, k, 1, rung, held, np.zeros_like(held))
        holder_share = h.share - (h.posture[held] - k[held])
        np.testing.assert_allclose(holder_share + h.share_j, 1.0, atol=1e-12)
    else:  # the other holds q and stands at x
        h = bg.held_stakes(1.0 - q, q, k, -1, rung, np.zeros_like(held), held)
        holder_share = h.share_j - (h.posture_j[held] - k[held])
        np.testing.assert_allclose(holder_share + h.share, 1.0, atol=1e-12)
    np.testing.assert_allclose(holder_share, np.where(held >= rung, q, 0.0), atol=1e-12)


@given(q=st.floats(0.0, 1.0), x=st.integers(0, 4), y=st.integers(0, 4))
def test_without_a_holder_nothing_changes(q, x, y):
    h = bg.held_stakes(q, 1.0 - q, COSTS, 0, 3, np.array(x), np.array(y))
    assert h.posture is h.posture_j
    np.testing.assert_array_equal(h.posture, COSTS)
    assert float(h.share) == q
    assert float(h.share_j) == 1.0 - q


def _holding(held: dict[str, str] | None):
    settings: dict[str, object] = {"actors.B.initial_rung": "display", "stakes.talks_open": False}
    if held is not None:
        settings["stakes.held_at"] = held
    return with_settings(load_scenario("generic-crisis"), settings)


def _below_in_round_1(held: dict[str, str] | None) -> float:
    ts = run_batch(_holding(held), seed=3, replications=400, keep=400).timeseries
    first = ts[(ts.actor == "B") & (ts["round"] == 1)]
    assert len(first) == 400
    return float((first.rung < 2).mean())


def test_a_holder_steps_below_its_rung_far_less_often():
    """Stepping down gives the stakes up, so the holder keeps its posture (module docstring)."""
    free, holding = _below_in_round_1(None), _below_in_round_1({"B": "display"})
    assert free - holding >= 0.2, (free, holding)


def test_the_outcome_frame_says_who_still_held_and_the_shares_follow():
    spec = _holding({"B": "display"})
    run = run_batch(spec, seed=5, replications=200, keep=200)
    out = run.outcome
    assert "stakes_held" in out.columns
    assert "stakes_held" not in run_batch(_holding(None), seed=5, replications=5).outcome.columns
    ts = run.timeseries
    last = ts[ts.actor == "B"].sort_values("round").groupby("replication").rung.last()
    np.testing.assert_array_equal(out.set_index("replication").stakes_held, last >= 2)
    shares = run_shares(out, spec)
    undivided = out.outcome.isin(["unresolved"]) | (
        (out.outcome == "settlement") & out.settled_share_a.isna()
    )
    assert undivided.any()
    expected_b = np.where(out.stakes_held, 0.8, 0.0)
    np.testing.assert_allclose(shares.share_b[undivided], expected_b[undivided])


@pytest.mark.parametrize(
    ("held", "field", "words"),
    [
        ({"C": "display"}, "stakes.held_at.C", "no power 'C'"),
        ({"B": "displya"}, "stakes.held_at.B", "no rung named 'displya'"),
        ({"B": "war"}, "stakes.held_at.B", "below the war rung"),
        ({"B": "normal"}, "stakes.held_at.B", "above the lowest rung"),
        ({"A": "threat", "B": "display"}, "stakes.held_at", "one power holds"),
    ],
)
def test_bad_holders_are_refused_with_their_location(held, field, words):
    with pytest.raises(ScenarioError) as info:
        _holding(held)
    text = str(info.value)
    assert field in text, text
    assert words in text, text


def test_a_holders_withdrawal_is_quitting_even_with_the_talks_closed():
    """docs/decision-v2.md §3.10, "Withdrawing is quitting": the other holds the stakes at rung
    2, stands at rung 3, and cannot quit by the talks (quit value −∞); its every type does better
    below rung 2 than at or above it (its posture costs there are ruinous), and it best-responds
    (λ = ∞). So it withdraws next round for certain, and each of i's moves is worth this round's
    war draw and flow, at the risk of the rungs held now, then holding with the whole stakes at
    the risk of i's rung against the holder's below 2 (rung 1):
    ``r W + (1 − r)(f + δ H(f + q_h, r_w))``, ``r = r(x′, 3)``, ``r_w = r(x′, 1)``."""
    costs = np.array([0.0, 0.0, 5.0, 5.0, 5.0, 0.0])  # the holder's: staying is ruinous
    risk = np.array([0.0, 0.0, 0.0, 0.01, 0.05, 1.0])
    delta, share, gain, war = 0.9, 0.2, 0.8, bg.war_value(0.5, 1.0, 0.9)
    value = bg.ladder_utilities(
        1, 3.0, np.zeros(6), risk, 5, 2, share, war, bg.settlement_value(1.0, delta), delta,
        np.array([0.5, 0.5]), bg.war_value(0.5, np.array([0.5, 2.0]), delta), 0.0,
        np.full(2, -np.inf), np.inf,
        best_of_share=0.8, costs_j=costs + 0.8 * (np.arange(6) < 2),
        withdrawal=bg.Withdrawal(rung=2, gain=np.array(gain)),
    )  # fmt: skip
    xp = dx.target_rung(np.array([1])[..., None], dx.CANDIDATE_MOVES, 2, 6)[0]
    r = dx.war_probability(risk, xp, 3.0, 5)
    r_w = dx.war_probability(risk, xp, 1.0, 5)
    assert (r_w < r).any()  # the two risks differ here, so the test tells them apart
    f = share - np.zeros(6)[xp]
    expected = r * war + (1 - r) * (f + delta * bg.hold_value(f + gain, r_w, war, delta))
    np.testing.assert_allclose(value, expected, rtol=1e-12)


def test_without_a_fait_accompli_the_withdrawal_term_is_off():
    """No holder, no withdrawal term: the policy passes none (the default path, to the bit)."""
    from escalsim.core.params import compile_params
    from escalsim.policies.bargaining import withdrawal

    params = compile_params(load_scenario("generic-crisis"))
    assert withdrawal(params, params.power_a, 2) is None
    held = compile_params(_holding({"B": "display"}))
    assert withdrawal(held, held.power_a, 2) is None  # A does not hold
    got = withdrawal(held, held.power_b, np.array([1, 2, 3]))
    assert got is not None
    assert got.rung == 2
    np.testing.assert_array_equal(got.gain, [0.0, 0.8, 0.8])


def test_a_fait_accompli_runs_beside_wars_between_a_power_and_a_third_party():
    """geneva-2022 lists the pair Russia-Ukraine (docs/pair-wars.md); with Russia holding its
    share by its sanctions posture the round runs (the pair's war values read the other's share
    per row), and the holder's rung at the end is recorded."""
    spec = with_settings(load_scenario("geneva-2022"), {"stakes.held_at": {"RUS": "sanctions"}})
    out = run_batch(spec, seed=2, replications=6, condition="dialogue_open").outcome
    assert len(out) == 6
    assert out["stakes_held"].dtype == bool
