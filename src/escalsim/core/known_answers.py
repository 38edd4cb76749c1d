"""Analytic answers that special cases of the model must reproduce (tests and validation).

Each function states its derivation; the tests compare simulations with them at tolerances
justified by the sample size.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike


def tft_mutual_restraint() -> float:
    """Long-run share of mutual restraint for tit-for-tat against tit-for-tat under noise.

    With implementation noise at any rate e in (0, 1), the four-state Markov chain on
    (own, other) in {CC, CD, DC, DD} is doubly stochastic -- each player copies the other's last
    choice and the noise flips each copy independently -- so its stationary distribution is
    uniform and the share of CC is exactly 1/4 (Axelrod 1984; Wu & Axelrod 1995).
    """
    return 0.25


def gtft_mutual_restraint(e: float, g: float = 1 / 3) -> float:
    """Long-run share of mutual restraint for generous tit-for-tat against itself.

    A GTFT player restrains after the other restrained, and with probability g after the other
    escalated; implementation noise e flips the played choice. The probability of playing C is
    ``a = 1 - e`` after the other's C and ``b = g(1 - 2e) + e`` after its D. Each player's
    choice is a two-state chain on the *other's* previous choice, and in the symmetric
    stationary state each player cooperates with probability ``s = b / (1 - (a - b))``; the two
    players' choices in a round depend on disjoint earlier choices, so they are independent and
    the share of mutual restraint is ``s²`` (DESIGN.md §2; Wu & Axelrod 1995). Valid for
    e in [0, 1/2], g in [0, 1], except e = g = 0 (then the chain is not ergodic).
    """
    a = 1.0 - e
    b = g * (1.0 - 2.0 * e) + e
    s = b / (1.0 - (a - b))
    return s * s


def brinkmanship_war_probability(r: float, resolves: tuple[float, float]) -> float:
    """P(war) in the brinkmanship special case with private resolves (a closed channel).

    Both powers step onto a brink rung with per-round war risk r in round 1 and hold it; each
    holds while its cumulative risk ``1 - (1 - r)^n`` stays within its resolve. The less
    resolved side concedes in round ``n* + 1`` with ``n* = floor(log(1 - ρ_min) / log(1 - r))``,
    and a concession ends the crisis before that round's draw, so war happens with the
    probability of not surviving ``n*`` rounds: ``P(war) = 1 - (1 - r)^n*``. Valid for r in
    (0, 1) and resolves in [0, 1). (See :class:`escalsim.policies.Brinkmanship`.)
    """
    weakest = min(resolves)
    n_star = math.floor(math.log(1.0 - weakest) / math.log(1.0 - r) + 1e-12)
    return 1.0 - (1.0 - r) ** n_star


def wilson_interval(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (Wilson 1927).

    ``(p̂ + z²/2n ± z sqrt(p̂(1-p̂)/n + z²/4n²)) / (1 + z²/n)``; valid for n >= 1.
    """
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return float(centre - half), float(centre + half)


# -- The noisy prisoner's dilemma as a four-state Markov chain -----------------------------------
#
# A round's state is the pair of actions (A's, B's), each C (restraint, rung 0) or D (escalation,
# rung 1), in the order CC, CD, DC, DD (A's action first: state index ``2 a + b`` with C = 0 and
# D = 1). A memory-one strategy is the four probabilities of restraint after each state *from
# its own point of view*, own action first: ``p = (p[C, C], p[C, D], p[D, C], p[D, D])`` --
# the ``memory_one`` policy's ``p`` (``escalsim.policies.MemoryOne``: cell
# ``2 (own > 0) + (other > 0)``). So A, in state (a, b), reads cell ``2 a + b`` of its p, and
# B reads cell ``2 b + a`` of its own.

#: The states of a round, A's action first.
PD_STATES = ("CC", "CD", "DC", "DD")
#: Tit-for-tat as a memory-one strategy: restrain iff the other restrained.
TFT = (1.0, 0.0, 1.0, 0.0)
#: Win-stay, lose-shift (Pavlov): restrain iff both made the same choice last round.
WSLS = (1.0, 0.0, 0.0, 1.0)

NOISE_KINDS = ("implementation", "perception")


def gtft(g: float = 1 / 3) -> tuple[float, float, float, float]:
    """Generous tit-for-tat as a memory-one strategy: restrain after C, and w.p. g after D."""
    return (1.0, g, 1.0, g)


def restraint_probability(p: ArrayLike, own: int, other: int, e: float, noise: str) -> float:
    """P(a memory-one player restrains next round | own action, other's action), under noise e.

    Implementation noise: the intended choice (restrain w.p. ``p[own, other]``) comes out
    flipped w.p. e, so ``q = p[own, other] (1 - e) + (1 - p[own, other]) e``. Perception noise:
    the player knows its own action but sees the other's flipped w.p. e, and chooses on what it
    sees: ``q = (1 - e) p[own, other] + e p[own, 1 - other]``.
    """
    cells = np.asarray(p, dtype=float)
    if noise == "implementation":
        c = cells[2 * own + other]
        return float(c * (1.0 - e) + (1.0 - c) * e)
    if noise == "perception":
        return float((1.0 - e) * cells[2 * own + other] + e * cells[2 * own + 1 - other])
    raise ValueError(f"noise must be one of {NOISE_KINDS}, got {noise!r}")


def memory_one_transition_matrix(
    p_a: ArrayLike, p_b: ArrayLike, e: float, noise: str = "implementation"
) -> np.ndarray:
    """The 4×4 transition matrix of two memory-one players under noise e.

    ``M[s, s'] = P(s' | s)`` over the states :data:`PD_STATES`. In state s = (a, b), A restrains
    with probability ``q_A = restraint_probability(p_a, a, b, e, noise)`` and B with
    ``q_B = restraint_probability(p_b, b, a, e, noise)``; the two draws (noise and choice) are
    independent, so ``M[s, (a', b')] = P_A(a') P_B(b')``. Each row sums to 1.

    Parameters
    ----------
    p_a, p_b : array_like
        The players' memory-one probabilities of restraint, own action first.
    e : float
        Noise rate in [0, 1].
    noise : {"implementation", "perception"}
        Which noise: the made choice flipped, or the other's action seen flipped.

    Returns
    -------
    numpy.ndarray
        Shape (4, 4), rows the state now, columns the state next round.
    """
    matrix = np.zeros((4, 4))
    for s in range(4):
        a, b = divmod(s, 2)
        q_a = restraint_probability(p_a, a, b, e, noise)
        q_b = restraint_probability(p_b, b, a, e, noise)
        for t in range(4):
            a2, b2 = divmod(t, 2)
            matrix[s, t] = (q_a if a2 == 0 else 1.0 - q_a) * (q_b if b2 == 0 else 1.0 - q_b)
    return matrix


def stationary_distribution(matrix: ArrayLike) -> np.ndarray:
    """The stationary distribution π of an ergodic chain: ``π M = π``, ``Σ π = 1``.

    Solved as the least-squares solution of the stacked linear system ``(Mᵀ - I) π = 0``,
    ``1ᵀ π = 1`` (exact, to rounding, when the chain has one recurrent class).
    """
    m = np.asarray(matrix, dtype=float)
    n = m.shape[0]
    system = np.vstack([m.T - np.eye(n), np.ones((1, n))])
    rhs = np.concatenate([np.zeros(n), [1.0]])
    pi = np.linalg.lstsq(system, rhs, rcond=None)[0]
    return np.clip(pi, 0.0, 1.0) / np.clip(pi, 0.0, 1.0).sum()


def memory_one_stationary(
    p_a: ArrayLike, p_b: ArrayLike, e: float, noise: str = "implementation"
) -> np.ndarray:
    """Long-run shares of CC, CD, DC, DD for two memory-one players under noise e.

    The stationary distribution of :func:`memory_one_transition_matrix`. Valid when the chain
    is ergodic, e.g. for any strategies when 0 < e < 1.
    """
    return stationary_distribution(memory_one_transition_matrix(p_a, p_b, e, noise))


def memory_one_expected_shares(
    p_a: ArrayLike,
    p_b: ArrayLike,
    e: float,
    noise: str,
    *,
    burn_in: int,
    rounds: int,
    start: int = 0,
) -> np.ndarray:
    """Expected shares of the states over rounds ``burn_in + 1 .. rounds`` of a finite game.

    The exact expectation of the share a simulation measures, from state ``start`` (index in
    :data:`PD_STATES`; 0 = CC, both start by restraining) at round 0:
    ``(1 / (T - B)) Σ_{t = B+1..T} e_start Mᵗ``. Its distance from the stationary shares is the
    start-up bias of that estimator.
    """
    matrix = memory_one_transition_matrix(p_a, p_b, e, noise)
    mu = np.zeros(4)
    mu[start] = 1.0
    total = np.zeros(4)
    for t in range(1, rounds + 1):
        mu = mu @ matrix
        if t > burn_in:
            total += mu
    return total / (rounds - burn_in)


def tft_mutual_restraint_perception(e: float) -> float:
    """Share of mutual restraint for tit-for-tat against itself under *perception* noise e.

    Each player knows its own last action and sees the other's flipped with probability e, and
    TFT restrains iff it saw restraint. So A restrains w.p. 1 - e after B's C and w.p. e after
    B's D: the transition matrix is *the same* as under implementation noise (where TFT copies
    B's action and the copy comes out flipped w.p. e). With ē = 1 - e::

                 CC     CD     DC     DD
            CC [ ē²     ēe     eē     e² ]
            CD [ eē     e²     ē²     ēe ]
            DC [ eē     ē²     e²     ēe ]
            DD [ e²     eē     ēe     ē² ]

    Every column sums to 1 (doubly stochastic), so π is uniform and the share is 1/4 for any
    e in (0, 1). The two kinds of noise give the same chain for every deterministic strategy
    that always answers a change in the other's action by changing its own
    (p[a, C] = 1 - p[a, D] in {0, 1} for a = C, D): a misperceived action then flips the choice
    exactly as an implementation error does. TFT and WSLS are such strategies; GTFT is not
    (:func:`gtft_mutual_restraint_perception`).
    """
    if not 0.0 < e < 1.0:
        raise ValueError(f"e must lie in (0, 1), got {e!r}")
    return 0.25


def gtft_mutual_restraint_perception(e: float, g: float = 1 / 3) -> float:
    """Share of mutual restraint for generous TFT against itself under *perception* noise e.

    GTFT restrains after a C it saw, and w.p. g after a D it saw; it sees the other's action
    flipped w.p. e and its choice is made as chosen. So it restrains w.p.
    ``a' = (1 - e) + e g`` after the other's actual C and ``b' = (1 - e) g + e`` after its D.
    Against implementation noise (``a = 1 - e``, ``b = g(1 - 2e) + e``,
    :func:`gtft_mutual_restraint`) both are higher by ``e g``: a misperceived defection is
    still forgiven with probability g, while an implementation error is never undone. The
    difference ``a' - b' = (1 - 2e)(1 - g) = a - b`` is the same. As there, each player's action
    depends only on the other's previous one, so its cooperation rate is the stationary state
    of a two-state chain, ``s' = b' / (1 - (a' - b')) = (g + e - e g) / (g + 2e - 2e g)``, and
    the two players' actions in a round come from disjoint chains (A's from B's, B's from A's
    previous ones), so they are independent and the share of CC is ``s'²``. Valid for
    e in (0, 1/2], g in [0, 1].
    """
    a = 1.0 - e + e * g
    b = (1.0 - e) * g + e
    s = b / (1.0 - (a - b))
    return s * s


def wsls_stationary(e: float) -> np.ndarray:
    """Long-run shares of CC, CD, DC, DD for win-stay-lose-shift (Pavlov) against itself.

    WSLS is the memory-one strategy ``p = (1, 0, 0, 1)`` (own action first): it restrains iff
    both made the same choice last round -- it stays after CC (reward) and DC (temptation),
    shifts after CD (sucker) and DD (punishment) (Nowak & Sigmund 1993). In the memory_one
    policy's cells, p[C, C] = 1, p[C, D] = 0, p[D, C] = 0, p[D, D] = 1; B reads cell (b, a), and
    ``a = b`` is symmetric, so B too restrains iff a = b.

    *Implementation noise e*: both intend C in CC and DD and both intend D in CD and DC, and
    each choice comes out flipped independently w.p. e. With ē = 1 - e, the transition matrix
    over (CC, CD, DC, DD) is::

                 CC     CD     DC     DD
            CC [ ē²     ēe     eē     e² ]
            CD [ e²     eē     eē     ē² ]
            DC [ e²     eē     eē     ē² ]
            DD [ ē²     ēe     eē     e² ]

    Solving ``π M = π`` with ``Σ π = 1``: the CD column gives ``π_CD = eē (π_CC + π_CD + π_DC +
    π_DD) = eē``, and likewise ``π_DC = eē``, so ``π_CC + π_DD = 1 - 2eē``. The CC column gives
    ``π_CC = ē² (π_CC + π_DD) + e² (π_CD + π_DC) = ē² (1 - 2eē) + 2e³ē``, that is::

            π_CC = ē² - 2eē (ē² - e²) = (1 - e)² - 2e (1 - e)(1 - 2e)
            π_CD = π_DC = e (1 - e)
            π_DD = e² + 2e (1 - e)(1 - 2e)

    (0.9607 at e = 0.01, 0.817 at e = 0.05, 0.666 at e = 0.1; ``π_CC ≈ 1 - 4e`` for small e:
    each error costs two rounds, the CD or DC where it happened and the DD that follows, before
    WSLS is back at CC.)

    *Perception noise e* (own action known, the other's seen flipped w.p. e): A restrains iff
    ``a = b̂``, so w.p. 1 - e if a = b and e otherwise -- the same row probabilities as above,
    so the same matrix and the same π (see :func:`tft_mutual_restraint_perception` for why).

    Valid for e in [0, 1]; at e = 0 the chain is not ergodic from CD or DC, and π is the one
    reached from CC, (1, 0, 0, 0).
    """
    eb = 1.0 - e
    cc = eb * eb - 2.0 * e * eb * (1.0 - 2.0 * e)
    cd = e * eb
    dd = e * e + 2.0 * e * eb * (1.0 - 2.0 * e)
    return np.array([cc, cd, cd, dd])


def wsls_mutual_restraint(e: float) -> float:
    """Share of mutual restraint for WSLS against itself, under implementation or perception noise.

    ``(1 - e)² - 2e(1 - e)(1 - 2e)``, the same for both kinds of noise; the derivation (the
    4×4 transition matrix and its stationary distribution) is in :func:`wsls_stationary`.
    """
    return float(wsls_stationary(e)[0])


# -- Crisis bargaining (the decision model, version 2; docs/decision-v2.md) ---------------------
#
# Units: the stakes are worth 1 per round to each side and every payoff below is an *annuity*
# (a discounted value times 1 - δ), so δ cancels out of these one-shot answers: a settlement
# that gives B the share s is worth s, war is worth p - c_A to A and 1 - p - c_B to B
# (escalsim.core.bargaining.war_value, settlement_value).


def _check_fearon(p: float, c_a: float, lo: float, hi: float) -> None:
    if not (0.0 <= p <= 1.0 and c_a >= 0.0 and 0.0 <= lo <= hi):
        raise ValueError(f"need p in [0, 1], c_A >= 0, 0 <= lo <= hi; got {p}, {c_a}, [{lo}, {hi}]")


def fearon_acceptance(x: ArrayLike, p: float, lo: float, hi: float) -> np.ndarray:
    """P(B accepts A's demand x) when B's cost of war is uniform on [lo, hi] and private.

    B keeps ``1 - x`` if it accepts and gets ``1 - p - c_B`` from war, so it accepts iff
    ``c_B >= x - p`` (ties accept, a null event): ``P = clip((p + hi - x) / (hi - lo), 0, 1)``,
    and for ``lo == hi`` (complete information) ``P = [x <= p + lo]``.
    """
    x = np.asarray(x, dtype=float)
    if hi == lo:
        return (x <= p + lo).astype(float)
    return np.clip((p + hi - x) / (hi - lo), 0.0, 1.0)


def fearon_expected_utility(x: ArrayLike, p: float, c_a: float, lo: float, hi: float) -> np.ndarray:
    """A's expected annuity from demanding x: ``P(x) x + (1 - P(x)) (p - c_A)``.

    ``P`` is :func:`fearon_acceptance`: accepted, A keeps x; refused, it is war, worth
    ``p - c_A``. Exact for every x in [0, 1] (the brute-force check of
    :func:`fearon_demand_uniform` maximises it on a grid).
    """
    acc = fearon_acceptance(x, p, lo, hi)
    return acc * np.asarray(x, dtype=float) + (1.0 - acc) * (p - c_a)


def fearon_demand_uniform(p: float, c_a: float, lo: float, hi: float) -> float:
    """A's optimal take-it-or-leave-it demand when B's cost of war is private, ~ U[lo, hi].

    Fearon (1995, "War due to private information and incentives to misrepresent"): A proposes
    a division, keeping x; B accepts or fights. War is
    won by A with probability p and costs A ``c_A`` (known) and B ``c_B`` (B's private type).
    With :func:`fearon_acceptance` and :func:`fearon_expected_utility`:

    * below ``x = p + lo`` every type accepts and ``EU = x`` rises, so A demands at least
      ``p + lo`` (the *safe* demand, which buys off every type);
    * on ``[p + lo, p + hi]``, ``(hi - lo) EU(x) = (p + hi - x) x + (x - p - lo)(p - c_A)``, so
      ``(hi - lo) EU'(x) = 2p + hi - c_A - 2x`` and ``(hi - lo) EU'' = -2 < 0``: the unique
      maximum is ``x̂ = p + (hi - c_A) / 2`` (note ``x̂ <= p + hi`` since ``c_A >= 0``);
    * above ``p + hi`` every type fights and ``EU = p - c_A = EU(p + hi)``: never better;
    * A cannot demand more than everything: ``x <= 1``, and EU is concave on the interval.

    Hence ``x* = min(1, p + max(lo, (hi - c_A) / 2))``. Three cases:

    1. *interior*, ``2 lo <= hi - c_A`` and ``p + (hi - c_A)/2 <= 1``:
       ``x* = p + (hi - c_A)/2``;
    2. *safe corner*, ``hi - c_A < 2 lo``: ``x* = p + lo`` (or 1 if that exceeds 1): war is
       costly enough to A that it buys off every type;
    3. *upper corner*, ``p + max(lo, (hi - c_A)/2) > 1``: ``x* = 1``, A demands everything.

    Complete information (``lo == hi``) gives ``x* = min(1, p + c_B)``, accepted for sure.
    Valid for p in [0, 1], ``c_A >= 0`` and ``0 <= lo <= hi``.
    """
    _check_fearon(p, c_a, lo, hi)
    if hi == lo:
        return min(1.0, p + lo)
    return min(1.0, p + max(lo, 0.5 * (hi - c_a)))


def fearon_war_probability(p: float, c_a: float, lo: float, hi: float) -> float:
    """P(war) in Fearon's take-it-or-leave-it bargain with B's cost private, ~ U[lo, hi].

    War happens when B refuses the optimal demand x* (:func:`fearon_demand_uniform`):
    ``P(war) = P(c_B < x* - p) = clip((x* - p - lo) / (hi - lo), 0, 1)``. By case:

    1. *interior*: ``P(war) = (hi - c_A - 2 lo) / (2 (hi - lo))``, independent of p and of the
       stakes' discount: with ``lo = 0`` it is ``1/2 - c_A / (2 hi)``, one half when war costs
       the proposer nothing (Fearon's risk-return trade-off);
    2. *safe corner* (``hi - c_A <= 2 lo``): 0;
    3. *upper corner* (``x* = 1``): ``clip((1 - p - lo) / (hi - lo), 0, 1)``, the types for
       whom war beats getting nothing.

    Complete information (``lo == hi``): 0. Tested against a Monte Carlo of B's draws and a
    brute-force maximisation of A's expected utility (``tests/test_bargaining.py``), and
    against :func:`escalsim.core.bargaining.fearon_demand` on a fine type grid.
    """
    _check_fearon(p, c_a, lo, hi)
    if hi == lo:
        return 0.0
    # x* - p, computed without forming x* so that the safe corner gives exactly 0.
    margin = min(1.0 - p, max(lo, 0.5 * (hi - c_a)))
    return float(np.clip((margin - lo) / (hi - lo), 0.0, 1.0))


def brinkmanship_war_probability_private(
    r: float,
    resolves_a: ArrayLike,
    prior_a: ArrayLike,
    resolves_b: ArrayLike,
    prior_b: ArrayLike,
    *,
    channel: str = "closed",
    horizon: int | None = None,
) -> float:
    """P(war) in the brinkmanship special case when resolves are private types.

    Each power's resolve is drawn once per replication from its prior over a grid (its own
    random stream, independent of the other's), and both play the ``brinkmanship`` policy on
    the brink of per-round risk r. Given the two draws, the point answer holds
    (:func:`brinkmanship_war_probability`): the side that gives way first holds
    ``n_k = floor(log(1 - ρ_k) / log(1 - r))`` rounds, n is non-decreasing in ρ, so
    ``n*(min ρ) = min(n_a, n_b)`` and ``P(war | ρ_a, ρ_b) = 1 - (1 - r)^min(n_a, n_b, T)`` (a
    horizon T cuts a war of nerves that nobody has lost by then; the crisis is unresolved).

    *Closed channel*: nothing reveals a resolve (the policy reads only a resolve learnt from an
    honest message), so P(war) is the average over the independent draws::

        P(war) = 1 - Σ_a Σ_b π_a π_b (1 - r)^min(n_a, n_b, T)

    *Honest open channel*: each side learns the other's resolve in round 1 before deciding, and
    the less resolved concedes at once (P = 0) -- except on a *tie*, where neither is
    outmatched, both hold the brink for ``n`` rounds and back down together (a settlement):
    ``P(war) = Σ_{ρ_a = ρ_b} π_a π_b (1 - (1 - r)^min(n, T))``. It is 0 when the two grids
    share no value (and for continuous types); the shipped ``brinkmanship`` scenario's point
    resolves 0.25 and 0.60 give 0.

    Valid for r in (0, 1), resolves in [0, 1) and priors on the simplex.
    """
    if channel not in ("closed", "open"):
        raise ValueError(f"channel must be 'closed' or 'open', got {channel!r}")
    ra, pa = np.asarray(resolves_a, dtype=float), np.asarray(prior_a, dtype=float)
    rb, pb = np.asarray(resolves_b, dtype=float), np.asarray(prior_b, dtype=float)
    total = 0.0
    for rho_a, w_a in zip(ra, pa, strict=True):
        for rho_b, w_b in zip(rb, pb, strict=True):
            if channel == "open" and rho_a != rho_b:
                continue
            if horizon is None:
                point = brinkmanship_war_probability(r, (float(rho_a), float(rho_b)))
            else:
                held = min(_brink_rounds(float(rho_a), r), _brink_rounds(float(rho_b), r), horizon)
                point = 1.0 - (1.0 - r) ** held
            total += float(w_a * w_b) * point
    return total


def _brink_rounds(resolve: float, r: float) -> int:
    """``floor(log(1 - ρ) / log(1 - r))``, as in :func:`brinkmanship_war_probability`."""
    return math.floor(math.log(1.0 - resolve) / math.log(1.0 - r) + 1e-12)
