"""Analytic answers that special cases of the model must reproduce (tests and validation).

Each function states its derivation; the tests compare simulations with them at tolerances
justified by the sample size.
"""

from __future__ import annotations

import math

import numpy as np


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
    (0, 1) and resolves in [0, 1). (See :class:`escalsim.core.policies.Brinkmanship`.)
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
