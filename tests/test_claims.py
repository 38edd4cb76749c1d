"""Claims about types between bargaining powers (issue 17, wiring step 5c; decision-v2 §3.5).

Three tiers:

* reproducibility: the crisis stepped alone equals the ensemble row (``tests/test_offers.py``
  and ``tests/test_round_bargaining.py`` run the bargaining powers, which now send claims);
* invariants: the perfect-information twin reads claims as sent (its two posteriors are one);
  trust between bargaining powers is the honest mass of the posterior; claims are sent only
  between powers whose policies read no version-1 belief, and only over a private path;
* known answers: an honest claim over a noiseless private path moves the receiver's posterior
  exactly as Bayes' rule with ``bg.message_likelihood`` (then the round's redraw) says; with a
  reputation worth more than the gain (a private path's detection ``1 - noise`` times
  ``δ/(1 - δ)`` above 1) no strategic type lies (Sartori 2005); with detection near 0 and no
  honest types, every strategic type that gains from the lie claims the favourable cost, and
  where all do the claim moves nothing (Crawford & Sobel 1982).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from escalsim.batch import run_batch
from escalsim.core import bargaining as bg
from escalsim.model.rounds import Crisis
from escalsim.scenario import load_scenario
from escalsim.scenario.load import with_settings
from test_round_bargaining import crisis, with_policy


def bargainers(honesty: float, **channel: Any) -> Any:
    """generic-dispute, both powers ``bargaining`` with five cost types, the direct channel
    always up and set by ``channel`` (noise, misread, latency)."""
    spec = with_policy("generic-dispute", {"name": "bargaining"}, honesty=honesty)
    settings = {"channels.direct.reliability": 1.0}
    settings |= {f"channels.direct.{k}": v for k, v in channel.items()}
    return with_settings(spec, settings)


def at_the_brink(spec: Any) -> Any:
    """Both powers start at use_of_force, next to war: there the other's cost of war changes
    what a bargaining power offers (lower on the ladder every type's reservation is its status
    quo, so no claim gains anything and none is a lie)."""
    return with_settings(
        spec, {"actors.A.initial_rung": "use_of_force", "actors.B.initial_rung": "use_of_force"}
    )


def one_round(spec: Any, reps: int = 40, perfect_information: bool = False) -> Any:
    c = crisis(spec, 3, range(reps), perfect_information=perfect_information)
    prior = c.posterior.copy()
    c.begin_round()
    c.finish_round()
    return c, prior


def test_an_honest_claim_moves_the_posterior_by_bayes_rule():
    c, prior = one_round(bargainers(1.0, noise=0.1, misread=0.0))
    assert c.claims
    n = c.type_grid.shape[1] // 2
    grid = np.arange(2 * n) % n
    for h in range(2):
        sent = c.claim_sent[:, 1 % c.ring, 1 - h]  # round 1's slot, sender 1 - h
        truthful = c.own_type[:, 1 - h] % n
        np.testing.assert_array_equal(sent, truthful)  # honest types tell the truth
        lik = (1 - bg.LIKELIHOOD_FLOOR) * (sent[:, None] == grid) + bg.LIKELIHOOD_FLOOR / n
        expected = prior[:, h] * lik
        expected /= expected.sum(axis=-1, keepdims=True)
        expected = (1 - bg.TYPE_REDRAW) * expected + bg.TYPE_REDRAW * c.type_base[h]
        np.testing.assert_allclose(c.posterior[:, h], expected, rtol=0, atol=1e-12)
        # The claimed cost now carries almost all the mass.
        mass = np.take_along_axis(c.posterior[:, h], (truthful + n)[:, None], axis=1)[:, 0]
        assert (mass > 0.99).all()


def test_a_reputation_worth_more_than_the_gain_keeps_strategic_types_honest():
    """Noise 0.1: detection 0.9, δ/(1 − δ) = 19 at generic-dispute's δ = 0.95: a lie never
    pays, though at the brink it would gain (the next test)."""
    c, _ = one_round(at_the_brink(bargainers(0.0, noise=0.1, misread=0.0)))
    n = c.type_grid.shape[1] // 2
    assert not c.claim_lies[:, 1 % c.ring].any()
    for h in range(2):
        np.testing.assert_array_equal(c.claim_sent[:, 1 % c.ring, h], c.own_type[:, h] % n)


def test_without_a_reputation_to_lose_strategic_types_claim_the_favourable_cost(monkeypatch):
    """Noise 0.999: detection 0.001, below (1 − δ)/δ = 0.053: a strategic type lies whenever
    the receiver would offer it more for the favourable claim. Where every type but the
    favourable one lies, the claim is the same whatever the type: the likelihood the round
    multiplies into the receiver's evidence for it (``Crisis._receive_claim`` →
    ``Crisis._evidence``) is flat over the types the receiver's prior allows, so it leaves that
    prior unchanged. (The posterior after the round also folds in the sender's offer, which
    depends on its cost, so the claim's own likelihood is what is checked.)"""
    claimed: list[tuple[int, np.ndarray, np.ndarray]] = []
    receive = Crisis._receive_claim

    def record(self, due, k, h, c):  # the claim likelihoods, as the round computes them
        evidence = self._evidence
        self._evidence = lambda r, d, seen, sent: (
            claimed.append((r, d.copy(), seen.copy())),
            evidence(r, d, seen, sent),
        )
        try:
            receive(self, due, k, h, c)
        finally:
            del self._evidence

    monkeypatch.setattr(Crisis, "_receive_claim", record)
    c, prior = one_round(at_the_brink(bargainers(0.0, noise=0.999, misread=0.0)), reps=60)
    n = c.type_grid.shape[1] // 2
    lies = c.claim_lies[:, 1 % c.ring]  # [R, sender, C]
    assert lies.any()
    favourable = int(np.argmin(c.type_grid[0][:n]))
    assert {r for r, _, _ in claimed} == {0, 1}
    pooling = []
    for h in range(2):
        sent = c.claim_sent[:, 1 % c.ring, h]
        truthful = c.own_type[:, h] % n
        lied = lies[np.arange(len(sent)), h, truthful]
        np.testing.assert_array_equal(sent, np.where(lied, favourable, truthful))
        pooled = np.delete(lies[:, h], favourable, axis=1).all(axis=1)
        # A sender that gains nothing by the favourable claim tells the truth (under the default
        # look-ahead, docs/decision-v2.md §3.7, B's offer to A at the brink does not move with
        # A's claim: measured, no type of A lies in 400 runs, every unfavourable type of B does).
        if not lies[:, h].any():
            np.testing.assert_array_equal(sent, truthful)
            continue
        assert pooled.any()
        pooling.append(h)
        for receiver, due, seen in claimed:
            if receiver != 1 - h:
                continue
            rows = due & pooled
            assert rows.any()
            moved = prior[rows, receiver] * seen[rows]
            moved /= moved.sum(axis=-1, keepdims=True)
            np.testing.assert_allclose(moved, prior[rows, receiver], atol=1e-12)
    assert pooling  # at least one sender's claims pooled: the check above was made


def test_the_twin_reads_claims_as_sent_and_trust_is_the_honest_mass():
    spec = bargainers(0.5, noise=0.1, misread=0.3)
    twin, _ = one_round(spec, perfect_information=True)
    np.testing.assert_array_equal(twin.posterior, twin.posterior_true)
    run, _ = one_round(spec)
    for h in range(2):
        np.testing.assert_allclose(
            run.trust()[:, h], bg.honest_mass(run.posterior[:, h], run.type_honest[1 - h])
        )
    out = run_batch(spec, seed=3, replications=30).outcome
    assert (out.messages_sent > 0).all()
    assert (out.messages_misread <= out.messages_sent).all()


def test_claims_only_between_powers_that_read_no_version_1_belief_and_only_in_private():
    assert crisis(load_scenario("geneva-2022"), 1, range(2)).claims  # both powers bargain
    brink = load_scenario("brinkmanship")  # brinkmanship reads the claimed resolve of version 1
    assert not crisis(brink, 1, range(2)).claims
    closed = bargainers(1.0, noise=0.1, misread=0.0)
    closed = with_settings(closed, {"channels.direct.open": False})
    c, prior = one_round(closed)
    assert c.claims
    assert (c.claim_due[:, 1 % c.ring] == -1).all()  # nothing sent in public
    np.testing.assert_array_equal(c.posterior, prior)
    events = run_batch(closed, seed=2, replications=10).events
    assert not (events.kind == "claim").any()


def test_agreements_and_breaches_are_evidence_about_the_honesty_type():
    """Step 6c: trust has one definition (the posterior's honest mass). An agreement concluded
    is evidence of strength ``effects.trust`` about both powers, folded into both posteriors
    (perceived and true) by ``bg.word_evidence``; a breach, of strength minus
    ``breach_trust_cost``, only about the power that broke it."""
    c = crisis(bargainers(0.5), 3, range(20))
    p = c.params
    g = next(k for k in range(c.G) if p.agreement_trust[k] > 0 and p.agreement_breach_cost[k] > 0)
    tau, cost = float(p.agreement_trust[g]), float(p.agreement_breach_cost[g])
    hit = np.arange(20) % 2 == 0
    before, before_true = c.posterior.copy(), c.posterior_true.copy()
    c._agree(g, hit, 1)
    for h in range(2):
        expected = bg.word_evidence(before[:, h], c.type_honest[1 - h], tau)
        np.testing.assert_allclose(c.posterior[hit, h], expected[hit])
        np.testing.assert_array_equal(c.posterior[~hit, h], before[~hit, h])
        expected = bg.word_evidence(before_true[:, h], c.type_honest[1 - h], tau)
        np.testing.assert_allclose(c.posterior_true[hit, h], expected[hit])
    assert (c.trust()[hit] > bg.honest_mass(before[hit], c.type_honest[::-1])).all()
    # power_a climbs two rungs above its rung at the agreement: it breaks it.
    a = p.power_a
    agreed = c.posterior.copy()
    c.rung[:, a] = c.agreement_rungs[:, g, 0] + 2
    climbed = np.zeros((20, c.A), dtype=bool)
    climbed[:, a] = True
    c._check_breaches(climbed)
    expected = bg.word_evidence(agreed[:, 1], c.type_honest[0], -cost)
    np.testing.assert_allclose(c.posterior[hit, 1], expected[hit])  # b's belief about a
    np.testing.assert_array_equal(c.posterior[:, 0], agreed[:, 0])  # a's about b: unmoved
    np.testing.assert_array_equal(c.posterior[~hit], agreed[~hit])  # no agreement, no breach
