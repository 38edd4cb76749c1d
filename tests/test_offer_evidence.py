"""Offers are evidence about their maker's type (issue 17, step 5c; decision-v2 §3.6, last bullet).

docs/decision-v2.md §3.6 and "As built: offers as evidence" at the end of §4. Two parts:

* the likelihood, ``bg.offer_likelihood``: known values over a private path (the indicator of
  the read offer's bracket) and in public (the share of the read noise's interval in the
  bracket, with the mass ``clip`` puts at 0 and 1 in the end brackets, checked against the read
  of ``Crisis._offers`` by quadrature), no offer (NaN), the floor, vectorisation; and a property
  (hypothesis): before the floor it sums to 1 over the outcomes, after it every value is in
  (0, 1] and the sum stays 1;
* the round: with both powers ``bargaining`` at Fearon's ultimatum (refusal is war), each
  type's modelled offer is Fearon's demand (``bg.fearon_demand``), an offer read over a
  noiseless private path puts all but the floor's share of the receiver's belief on the types
  that would have made it (Bayes by hand), the same offer read in public puts less on them in
  every replication; a rule-based maker's offers move nothing, to the bit; ``bargaining``'s
  fast ``offers_per_type`` gives its ``offer`` per type, to rounding.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from escalsim.core import bargaining as bg
from escalsim.policies import POLICIES
from escalsim.policies.base import Policy
from escalsim.scenario import Scenario, load_text
from test_offers import dispute
from test_round_bargaining import ROOT, bargaining_dispute, crisis

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


# -- the round -------------------------------------------------------------------------------
N_TYPES = 5


def fearon_both(private: bool, policy_a: dict | None = None) -> Scenario:
    """The shipped fearon scenario with both powers ``bargaining`` (A: ``policy_a`` if given),
    each with five strategic
    cost types (A: 0.05 … 0.45, B: 0.175 … 0.575; honesty 0), one round, the public channel's
    misread 0.2 (its noise stays 0: nobody misperceives a rung). ``private``: a direct channel,
    always up, with no noise and misread (C − 1)/C = 0.8: a claim as read is then any of the C
    categories with equal probability, so it says nothing and the perceived posterior moves by
    the offer alone (offers over a private path are read exactly, whatever the misread)."""
    data = yaml.safe_load((ROOT / "scenarios" / "fearon.yaml").read_text())
    data.pop("conditions")
    for actor, cost in zip(data["actors"], ([0.0, 0.5], [0.125, 0.625]), strict=True):
        actor["policy"] = {"name": "bargaining"}
        actor["war_cost"] = {"uniform": cost, "types": N_TYPES}
        actor["honesty"] = 0.0
    if policy_a is not None:
        data["actors"][0]["policy"] = policy_a
    data["channels"][0]["misread"] = 0.2
    if private:
        data["channels"].append(
            {
                "id": "direct",
                "kind": "hotline",
                "between": ["A", "B"],
                "noise": 0.0,
                "misread": (N_TYPES - 1) / N_TYPES,
                "latency": 0,
                "reliability": 1.0,
            }
        )
    return load_text(json.dumps(data), "fearon-both-bargaining.yaml")


def first_round(spec: Scenario, reps: int = 200):
    """A crisis after phases 1-5 of round 1, and its posteriors before."""
    c = crisis(spec, 1, range(reps))
    prior = c.posterior.copy()
    c.begin_round()
    return c, prior


def test_each_types_modelled_offer_is_fearons_demand():
    """At the ultimatum refusal is war, so a maker's fallback is its war annuity p − c and the
    other's reservation 1 − p − c_θ: type c's offer is ``bg.fearon_demand(p, c, ·, prior)``
    (p = 0.25 for A, 0.75 for B), in both worlds; the offer made is its true type's."""
    c, _ = first_round(fearon_both(private=True))
    assert c.offer_evidence
    p = c.params
    slot = 1 % c.ring
    for maker, p_win in ((0, 0.25), (1, 0.75)):
        costs = p.cost_types[maker]
        demand = bg.fearon_demand(
            np.full(N_TYPES, p_win),
            costs,
            p.cost_types[1 - maker],
            c.type_prior[1 - maker][:N_TYPES],
        ).share
        assert len(np.unique(demand)) >= 2  # the offers separate the types
        types = c.offer_due_types[:, slot, maker]  # [R, world, K]
        np.testing.assert_allclose(
            types[..., :N_TYPES],
            np.broadcast_to(demand, types[..., :N_TYPES].shape),
            rtol=0,
            atol=1e-12,
        )
        true = c.own_type[:, maker]
        np.testing.assert_allclose(c.offer[:, maker], demand[true % N_TYPES], rtol=0, atol=1e-12)


def test_a_private_offer_puts_the_belief_on_the_types_that_would_make_it():
    """Derived: with S the types whose Fearon demand is the offer made, n = 2 distinct offers
    among the five types with prior mass (each power's demand takes two values here), the
    likelihood is ``L' = (1 − η)[θ ∈ S] + η/n`` and round 1's redraw follows Bayes:
    ``π' = (1 − ε) π L'/Σ π L' + ε π⁰``. The claim as read is uniform over the categories (its
    likelihood equal for every type to 10⁻¹⁶: 1 − 0.8 and 0.8/4 differ in the last bit), so the
    tolerance is 10⁻¹². The mass on S is then at least 0.997 (π(S) >= 2/5: at most
    (η/2)/(2/5) + ε off it)."""
    c, prior = first_round(fearon_both(private=True))
    slot = 1 % c.ring
    for receiver in range(2):
        maker = 1 - receiver
        types = c.offer_due_types[:, slot, maker, 1]
        made = np.isclose(types, c.offer[:, maker][:, None], rtol=0, atol=1e-12)
        possible = c.type_prior[maker] > 0
        n = len(np.unique(types[0, possible]))
        assert n == 2
        lik = (1 - ETA) * made + ETA / n
        expected = prior[:, receiver] * lik
        expected /= expected.sum(axis=-1, keepdims=True)
        expected = (1 - bg.TYPE_REDRAW) * expected + bg.TYPE_REDRAW * c.type_base[receiver]
        np.testing.assert_allclose(c.posterior[:, receiver], expected, rtol=0, atol=1e-12)
        mass = (c.posterior[:, receiver] * made).sum(axis=-1)
        assert (mass > 0.997).all()


def test_a_public_offer_moves_less_belief_onto_the_types_that_would_make_it():
    """The direct channel gone, the same offers (the same draws of types; nothing in round 1's
    offer depends on the path) are read in public with μ = 0.2. A floored likelihood is at
    most ``1 − η + η/n`` on S and at least ``η/n`` off it, and the private read attains both
    bounds, so in every replication the public posterior puts no more on S than the private one
    (to rounding, 10⁻¹²). Measured (seed 1, 200 replications): mean mass on S 0.999 private,
    0.55 (A about B) and 0.53 (B about A) public."""
    private, _ = first_round(fearon_both(private=True))
    public, prior = first_round(fearon_both(private=False))
    slot = 1 % public.ring
    np.testing.assert_array_equal(public.offer, private.offer)
    assert (public.offer_due_mu[:, slot] == 0.2).all()
    assert (private.offer_due_mu[:, slot] == 0.0).all()
    for receiver in range(2):
        maker = 1 - receiver
        types = public.offer_due_types[:, slot, maker, 1]
        made = np.isclose(types, public.offer[:, maker][:, None], rtol=0, atol=1e-12)
        near = (public.posterior[:, receiver] * made).sum(axis=-1)
        exact = (private.posterior[:, receiver] * made).sum(axis=-1)
        assert (near <= exact + 1e-12).all()
        assert near.mean() < exact.mean()
        assert not np.allclose(public.posterior[:, receiver], prior[:, receiver])  # it moved


def test_a_rule_based_makers_offers_move_nothing():
    """A rule-based maker's offer reads no type field, so every type would have made it.
    (1) fearon with A ``scripted`` (its offer of 0.46875) over five cost types and B
    ``bargaining``, in public (no claims), round 1 (nobody has moved): A's offer is read, B's
    offer separates B's types and moves A's belief, and B's belief about A is its prior to the
    bit. (2) generic-dispute in public, A on ``grit`` over five cost types, B ``bargaining``:
    B's posteriors are bit for bit those of the same crisis with offers taken as no evidence at
    all (``offer_evidence`` off), every round of the run, and A's offers were read."""
    scripted = {"name": "scripted", "moves": ["hold"], "offers": [{"round": 1, "share": 0.46875}]}
    c, prior = first_round(fearon_both(private=False, policy_a=scripted))
    assert c.offer_evidence
    assert (c.offer_read_true[:, 1] == 0.46875).all()  # read (with the public noise)
    np.testing.assert_array_equal(c.posterior[:, 1], prior[:, 1])
    np.testing.assert_array_equal(c.posterior_true[:, 1], prior[:, 1])
    assert not np.allclose(c.posterior[:, 0], prior[:, 0])
    spec = dispute({"name": "grit"}, {"name": "bargaining"}, **{"channels.direct.open": False})
    on = crisis(spec, 2, range(20))
    off = crisis(spec, 2, range(20))
    assert on.offer_evidence
    off.offer_evidence = False
    read = False
    while not on.over:
        on.step()
        off.step()
        read |= bool((~np.isnan(on.offer_read[:, 1])).any())
        np.testing.assert_array_equal(on.posterior[:, 1], off.posterior[:, 1])
        np.testing.assert_array_equal(on.posterior_true[:, 1], off.posterior_true[:, 1])
    assert read


@pytest.mark.parametrize("which", ["fearon", "generic-dispute"])
def test_bargainings_offers_per_type_are_its_offer_per_type(which):
    """``Bargaining.offers_per_type`` computes the other's reservations once (they do not
    depend on the maker's type); ``offer`` on each type, the base class's way, gives the same
    offers, to rounding (10⁻¹²: the chance of winning is recovered from each type's war value
    and cost, which differ in the last bits). On the modelled situations the round builds:
    Fearon's ultimatum in round 1, and generic-dispute with both powers ``bargaining`` in round
    4 (offers standing, rungs moved)."""
    spec = fearon_both(private=True) if which == "fearon" else bargaining_dispute()
    c = crisis(spec, 3, range(30))
    for _ in range(1 if which == "fearon" else 4):
        c.begin_round()
        if c.round < (1 if which == "fearon" else 4):
            c.finish_round()
    n = c.type_grid.shape[1] // 2
    for h in range(2):
        i = int(c.powers[h])
        obs = c._modelled_situation(
            1 - h,
            [0, 1],
            x=np.stack([c.perceived[:, int(c.powers[1 - h]), i], c.rung[:, i]]),
            y=c.rung[:, int(c.powers[1 - h])],
            y_move=c.own_move_shown[:, :, 1 - h].T[:, :, None, None],
            risk=c.cumulative_risk[:, i],
            committed=c.committed[:, i],
            decided=c.round,
            costs=c.type_grid[h][:n],
        )
        spec_i = c.params.policies[i]
        policy = POLICIES[spec_i.name]
        args = (obs, c._traits(i), c.params, spec_i, c._modelled_memory(i, np.shape(obs.war_cost)))
        fast = policy.offers_per_type(*args)
        slow = Policy.offers_per_type(policy, *args)
        assert np.shape(fast) == np.shape(slow) == np.shape(obs.war_cost)
        np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-12)
