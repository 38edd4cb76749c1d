"""Offers are evidence about their maker's type (issue 17, step 5c; decision-v2 §3.6, last bullet).

docs/decision-v2.md §3.6. The likelihood, ``bg.offer_likelihood``: known values over a private
path (the indicator of the read offer's bracket) and in public (the share of the read noise's
interval in the bracket, with the mass ``clip`` puts at 0 and 1 in the end brackets, checked
against the read of ``Crisis._offers`` by quadrature), no offer (NaN), the floor,
vectorisation; and a property (hypothesis): before the floor it sums to 1 over the outcomes,
after it every value is in (0, 1] and the sum stays 1.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalsim.core import bargaining as bg

ETA = bg.LIKELIHOOD_FLOOR


# -- the likelihood ---------------------------------------------------------------------------
def test_over_a_private_path_the_likelihood_is_the_bracket_of_the_offer_read():
    """Offers 0.25, 0.5, 0.5, 0.75: three brackets cut at 0.375 and 0.625 (exact in binary). A
    read offer belongs to the bracket of the offer it is nearest to (a midpoint to the upper)."""
    offers = np.array([0.25, 0.5, 0.5, 0.75])
    cases = {0.5: [0, 1, 1, 0], 0.4: [0, 1, 1, 0], 0.375: [0, 1, 1, 0], 0.37: [1, 0, 0, 0]}
    for read, expected in cases.items():
        lik = bg.offer_likelihood(read, offers, 0.0, floor=0.0)
        np.testing.assert_array_equal(lik, expected)
        floored = bg.offer_likelihood(read, offers, 0.0)
        np.testing.assert_allclose(floored, (1 - ETA) * np.array(expected) + ETA / 3, rtol=1e-15)


def test_in_public_the_likelihood_is_the_share_of_the_noise_in_the_bracket():
    """Offers 0.1 and 0.5, μ = 0.3: brackets (−∞, 0.3) and [0.3, ∞). Type 0.1's read is
    uniform on [−0.2, 0.4] before the clip, 5/6 of it below 0.3 (a third clipped to 0, in the
    first bracket); type 0.5's on [0.2, 0.8], 1/6 below 0.3. A read of 0 or 1 (an atom of the
    clip) is in the end bracket."""
    offers = np.array([0.1, 0.5])
    for read in (0.0, 0.15, 0.2999):
        np.testing.assert_allclose(
            bg.offer_likelihood(read, offers, 0.3, floor=0.0), [5 / 6, 1 / 6], rtol=1e-12
        )
    for read in (0.3001, 0.7, 1.0):
        np.testing.assert_allclose(
            bg.offer_likelihood(read, offers, 0.3, floor=0.0), [1 / 6, 5 / 6], rtol=1e-12
        )
    # Noise that cannot leave a bracket reads like a private path, a subnormal μ too (its
    # quotients overflow to infinity, which the clip takes to 0 or 1, without a warning).
    np.testing.assert_array_equal(bg.offer_likelihood(0.12, offers, 0.05, floor=0.0), [1, 0])
    np.testing.assert_array_equal(bg.offer_likelihood(0.0, offers, 1e-310, floor=0.0), [1, 0])


@pytest.mark.parametrize("mu", [0.05, 0.2, 0.45])
def test_the_likelihood_is_what_the_rounds_clipped_read_gives(mu):
    """``Crisis._offers`` reads ``ô = clip(o + μ(2u − 1), 0, 1)``. Over N = 100,000 evenly
    spaced u, the share of reads of each type's offer that land in each bracket (the offer
    nearest to ô, found here independently) is the likelihood, within 2/N: each bracket has two
    edges, and evenly spaced points count an interval's share within 1/N per edge."""
    offers = np.array([0.0, 0.08, 0.3, 0.31, 0.9, 0.95])
    n = 100_000
    u = (np.arange(n) + 0.5) / n
    distinct = np.unique(offers)
    for o in offers:
        read = np.clip(o + mu * (2.0 * u - 1.0), 0.0, 1.0)
        nearest = np.abs(read[:, None] - distinct).argmin(axis=1)
        for b, value in enumerate(distinct):
            share = (nearest == b).mean()
            # The likelihood of type o for the bracket of ``value``, with all offers cutting.
            lik = bg.offer_likelihood(value, offers, mu, floor=0.0)[list(offers).index(o)]
            assert abs(share - lik) <= 2.0 / n + 1e-12, (o, value, share, lik)


def test_no_offer_is_an_outcome_of_its_own():
    """A NaN read (no offer, or a withdrawal) has likelihood 1 under the types that would make
    none and 0 under the others; a type that makes none cannot be read as offering. Three
    outcomes here: none, the bracket of 0.3, that of 0.6."""
    offers = np.array([np.nan, 0.3, 0.6])
    np.testing.assert_array_equal(bg.offer_likelihood(np.nan, offers, 0.2, floor=0.0), [1, 0, 0])
    np.testing.assert_array_equal(bg.offer_likelihood(0.3, offers, 0.0, floor=0.0), [0, 1, 0])
    np.testing.assert_allclose(
        bg.offer_likelihood(np.nan, offers, 0.0), [1 - ETA + ETA / 3, ETA / 3, ETA / 3]
    )
    # Every type offers: a withdrawal is possible under none of them, and says nothing.
    lik = bg.offer_likelihood(np.nan, np.array([0.3, 0.6]), 0.0)
    np.testing.assert_allclose(lik, [ETA / 2, ETA / 2])


def test_one_outcome_says_nothing_and_impossible_types_do_not_cut():
    """Every possible type offering alike: L' = 1 for each. A type without prior mass does not
    make a bracket: offers 0.2, (0.5), 0.8 cut at 0.5 only."""
    np.testing.assert_allclose(bg.offer_likelihood(0.9, np.full(4, 0.4), 0.1), 1.0, rtol=1e-15)
    possible = np.array([True, False, True])
    lik = bg.offer_likelihood(0.45, np.array([0.2, 0.5, 0.8]), 0.0, possible, floor=0.0)
    np.testing.assert_array_equal(lik, [1, 0, 0])
    lik = bg.offer_likelihood(0.45, np.array([0.2, 0.5, 0.8]), 0.0, floor=0.0)
    np.testing.assert_array_equal(lik, [0, 1, 0])


def test_rows_are_independent():
    """Vectorised over rows: a batch gives each row's answer alone, to the bit."""
    rng = np.random.default_rng(5)
    offers = rng.choice([0.1, 0.25, 0.4, np.nan], size=(30, 6))
    read = np.where(rng.random(30) < 0.2, np.nan, rng.random(30))
    mu = rng.choice([0.0, 0.1, 0.3], size=30)
    possible = rng.random((30, 6)) < 0.8
    whole = bg.offer_likelihood(read, offers, mu, possible)
    for r in range(30):
        alone = bg.offer_likelihood(read[r], offers[r], mu[r], possible[r])
        np.testing.assert_array_equal(whole[r], alone)


OFFER = st.one_of(st.sampled_from([0.0, 0.2, 0.5, 1.0, np.nan]), st.floats(0.0, 1.0))


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(
    offers=st.lists(OFFER, min_size=1, max_size=8),
    mu=st.one_of(st.just(0.0), st.floats(0.0, 1.0)),
    data=st.data(),
)
def test_the_likelihood_is_a_distribution_over_the_outcomes(offers, mu, data):
    """For every possible type: over the outcomes (one read in each bracket, at its offer, and
    NaN if some possible type makes no offer) the likelihood sums to 1 before the floor; after
    it each value is in (0, 1] and the sum is still 1 (within 10⁻¹²)."""
    o = np.array(offers, dtype=float)
    k = len(o)
    possible = np.array(data.draw(st.lists(st.booleans(), min_size=k, max_size=k)))
    possible[data.draw(st.integers(0, k - 1))] = True
    outcomes = list(np.unique(o[possible & ~np.isnan(o)]))
    if (possible & np.isnan(o)).any():
        outcomes.append(np.nan)
    raw = np.array([bg.offer_likelihood(r, o, mu, possible, floor=0.0) for r in outcomes])
    floored = np.array([bg.offer_likelihood(r, o, mu, possible) for r in outcomes])
    assert ((raw >= 0) & (raw <= 1)).all()
    np.testing.assert_allclose(raw[:, possible].sum(axis=0), 1.0, rtol=0, atol=1e-12)
    assert ((floored > 0) & (floored <= 1 + 1e-15)).all()
    np.testing.assert_allclose(floored[:, possible].sum(axis=0), 1.0, rtol=0, atol=1e-12)
