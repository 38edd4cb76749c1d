"""The noisy prisoner's dilemma as the model runs it: scenario variants and measured shares.

Every variant is the shipped ``ipd-noise`` scenario (two rungs: restraint = C, escalation = D;
no war rung, no settlement, no incidents, no friction, only the public channel, so no messages)
with its conditions removed and these settings: the horizon, the noise (implementation noise is
``accidents.implementation_error``; perception noise is the public channel's ``noise``, which
on two rungs flips the perceived rung, :func:`escalsim.core.dynamics.observe_rung`), and the
two policies. Nothing else in the model touches a PD round: the reciprocal, generous and
memory_one policies read only their own rung and the other's perceived rung, so beliefs, trust
and messages play no part, and the variant is the textbook game.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from escalsim.batch import run_batch
from escalsim.core.known_answers import NOISE_KINDS, memory_one_expected_shares
from escalsim.experiment.stats import mean_interval
from escalsim.scenario import Scenario, load_scenario
from escalsim.scenario.load import with_settings

#: The shipped policies behind the textbook strategies (TFT and GTFT are the scenario's own).
TFT_POLICY: dict[str, Any] = {"name": "reciprocal"}
GTFT_POLICY: dict[str, Any] = {"name": "generous", "generosity": 1 / 3}
WSLS_POLICY: dict[str, Any] = {"name": "memory_one", "p": [1.0, 0.0, 0.0, 1.0]}

#: Replications run together per batch call (bounds the memory of the timeseries frames).
CHUNK = 250


@dataclass(frozen=True)
class Design:
    """How long the simulated games are and how many there are.

    Attributes
    ----------
    replications : int
        Independent games (each its own random stream).
    rounds : int
        Rounds per game.
    burn_in : int
        Rounds left out at the start (the games start at CC).
    """

    replications: int
    rounds: int
    burn_in: int


FULL = Design(replications=400, rounds=2000, burn_in=200)
QUICK = Design(replications=100, rounds=1000, burn_in=100)


def pd_scenario(
    policy_a: dict[str, Any], policy_b: dict[str, Any], e: float, noise: str, rounds: int
) -> Scenario:
    """The ``ipd-noise`` game with these policies, noise kind and rate, and horizon.

    Parameters
    ----------
    policy_a, policy_b : dict
        The players' policies, as in a scenario file.
    e : float
        Noise rate.
    noise : {"implementation", "perception"}
        Implementation noise (the made choice flipped) or perception noise (the other's rung
        seen flipped; own rung known).
    rounds : int
        Horizon.

    Returns
    -------
    Scenario
        The validated variant, without conditions.
    """
    if noise not in NOISE_KINDS:
        raise ValueError(f"noise must be one of {NOISE_KINDS}, got {noise!r}")
    settings = {
        "conditions": {},
        "run.rounds": int(rounds),
        "accidents.implementation_error": float(e) if noise == "implementation" else 0.0,
        "channels.public.noise": float(e) if noise == "perception" else 0.0,
        "actors.A.policy": policy_a,
        "actors.B.policy": policy_b,
    }
    return with_settings(load_scenario("ipd-noise"), settings, source="validation")


def state_shares(spec: Scenario, seed: int, design: Design) -> np.ndarray:
    """Per-replication shares of CC, CD, DC, DD over rounds ``burn_in + 1 .. rounds``.

    Returns
    -------
    numpy.ndarray
        Shape ``(replications, 4)``, states in the order of
        :data:`escalsim.core.known_answers.PD_STATES` (A's action first).
    """
    shares = []
    for start in range(0, design.replications, CHUNK):
        reps = range(start, min(start + CHUNK, design.replications))
        ts = run_batch(spec, seed=seed, replications=reps).timeseries
        ts = ts[ts["round"] > design.burn_in].sort_values(["replication", "round", "actor"])
        rungs = ts["rung"].to_numpy().reshape(len(reps), design.rounds - design.burn_in, 2)
        state = 2 * rungs[:, :, 0] + rungs[:, :, 1]
        counts = np.stack([(state == s).sum(axis=1) for s in range(4)], axis=1)
        shares.append(counts / state.shape[1])
    return np.concatenate(shares)


@dataclass(frozen=True)
class Estimate:
    """A simulated long-run share against its known answer.

    Attributes
    ----------
    mean : float
        Mean over replications of the per-replication share.
    ci95 : tuple of float
        Student-t 95% interval of the mean.
    tolerance : float
        Half-width allowed around the known answer (see :func:`estimate`).
    bias : float
        Exact start-up bias of the estimator (its expectation minus the stationary share).
    n : int
        Replications.
    """

    mean: float
    ci95: tuple[float, float]
    tolerance: float
    bias: float
    n: int

    def passes(self, expected: float) -> bool:
        """Whether ``|mean - expected| ≤ tolerance``."""
        return abs(self.mean - expected) <= self.tolerance


def estimate(
    values: np.ndarray,
    *,
    stationary: float,
    finite_mean: float,
    family_size: int,
    alpha: float = 0.001,
) -> Estimate:
    """Mean of per-replication shares, its 95% CI and the tolerance of the pass rule.

    The tolerance is the half-width of the Student-t interval at level ``1 - alpha /
    family_size`` (a Bonferroni share of a 0.1% false-failure rate per check) plus the exact
    start-up bias ``|finite_mean - stationary|``. Replications are independent streams, so
    the t interval of their mean is valid whatever the autocorrelation within a game.
    """
    values = np.asarray(values, dtype=float)
    n = len(values)
    mean, lo, hi = mean_interval(values, confidence=0.95)
    se = float(values.std(ddof=1)) / math.sqrt(n) if n > 1 else math.inf
    from scipy import stats as sps

    t = float(sps.t.ppf(1.0 - alpha / family_size / 2.0, n - 1))
    bias = finite_mean - stationary
    return Estimate(
        mean=float(mean), ci95=(float(lo), float(hi)), tolerance=t * se + abs(bias), bias=bias, n=n
    )


def finite_share(p_a: Any, p_b: Any, e: float, noise: str, design: Design, state: int = 0) -> float:
    """Exact expectation of the simulated share of ``state`` (from CC at round 0)."""
    shares = memory_one_expected_shares(
        p_a, p_b, e, noise, burn_in=design.burn_in, rounds=design.rounds
    )
    return float(shares[state])
