"""The historical scenarios against the record: a posterior-predictive check (issue 19).

No crisis between the United States and the Soviet Union or Russia has reached war between
them. This module holds what that statement is checked with:

- :data:`COMPARABLE_CRISES`: the list of comparable crises, fixed (with its length n = 12)
  before any run, each with its standard citation and the shipped scenario(s) that describe it;
- :func:`zero_event_upper_bound`: the one-sided upper confidence bound on a per-crisis
  probability after 0 events in n crises (the "rule of three" generalised);
- :func:`monotone_interval` and :func:`record_probability`: a function of several independent
  simulated proportions that is monotone in each (the product of ``1 - p`` over the shipped
  scenarios, the model's probability of the record's "no war"), with a confidence interval;
- :func:`quantile_interval`: a distribution-free interval for a quantile (the round of
  settlement or of war);
- :data:`HISTORICAL` and :func:`measure`: each shipped historical scenario's record (what
  happened, and in which round) and the measurement of its historical condition: P(direct war),
  P(war of any pair), P(nuclear use), P(settlement) and the settlement terms, the timing of
  settlement and of war, and how probable the model makes what happened, when it happened.

Nothing runs at import. The checks that use this are ``record-<scenario>`` and ``record-joint``
in :mod:`escalsim.validation.checks`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from escalsim.experiment.stats import mean_interval, summary, wilson_interval

if TYPE_CHECKING:
    from escalsim.scenario import Scenario


# -- The comparable crises ---------------------------------------------------------------------
@dataclass(frozen=True)
class Crisis:
    """One crisis of the record.

    Attributes
    ----------
    number : int
        Its place in :data:`COMPARABLE_CRISES` (1-based).
    name : str
        What it is.
    years : str
        When.
    citation : str
        A standard account of it.
    hostility : int
        The highest level of hostility between the two powers in the crisis on the MID scale
        (2 a threat to use force, 3 a display of force, 4 a use of force, 5 war; Jones, Bremer &
        Singer 1996's coding rules), coded by this project from the cited account, not taken
        from the MID data (whose dyadic codes are not shipped): the target ``superpowers12``
        counts these (:func:`hostility_counts`).
    coding : str
        The act that sets ``hostility``, as the cited account reports it.
    alternative : int or None
        The other level a careful coder could defend, where the act is ambiguous (the
        calibration is refitted under the alternative coding, docs/calibration.md); None where
        there is none.
    weeks : float
        How long the crisis lasted between the powers, from the first threat or display to the
        end the cited account dates, in weeks (a crisis still open at the account's end: to
        the account's end).
    scenarios : tuple of str
        The shipped scenarios that describe it (or an episode of it); empty when none does.
    """

    number: int
    name: str
    years: str
    citation: str
    hostility: int
    coding: str
    alternative: int | None
    weeks: float
    scenarios: tuple[str, ...] = ()


#: The rule that selected :data:`COMPARABLE_CRISES` (fixed by the lead before any run).
SELECTION_RULE = (
    "crises since 1945 in which US and Soviet or Russian forces were put on alert against each "
    "other or faced each other directly, or one threatened the other with force over the crisis"
)

#: The comparable crises, fixed with their number n = 12 before any simulation was run. None
#: ended in war between the United States and the Soviet Union or Russia.
COMPARABLE_CRISES: tuple[Crisis, ...] = (
    Crisis(
        1,
        "Berlin blockade",
        "June 1948 - May 1949",
        "Gaddis, J. L. (2005). *The Cold War*.",
        4,
        "the Soviet blockade of the land routes to West Berlin (a blockade is a use of force)",
        None,
        46.0,  # 24 June 1948 to 12 May 1949, when the blockade was lifted
    ),
    Crisis(
        2,
        "Berlin deadline (Khrushchev's ultimatum)",
        "Nov 1958 - 1959",
        "Trachtenberg, M. (1999). *A Constructed Peace*.",
        2,
        "Khrushchev's six-month ultimatum of 27 November 1958 (a threat to use force)",
        4,  # the Soviet detentions of US Army convoys on the autobahn in 1959, if a seizure
        43.0,  # 27 November 1958 to Camp David (September 1959), where the deadline was lifted
    ),
    Crisis(
        3,
        "Berlin Wall and the Checkpoint Charlie tank standoff",
        "1961",
        "Kempe, F. (2011). *Berlin 1961*.",
        3,
        "the US call-up of reserves and the tanks facing each other at Checkpoint Charlie "
        "(27-28 October 1961) without a shot (displays of force)",
        None,
        21.0,  # Khrushchev's ultimatum at Vienna (4 June 1961) to the tanks' withdrawal (28 Oct)
    ),
    Crisis(
        4,
        "Cuban missile crisis",
        "October 1962",
        "Allison, G., & Zelikow, P. (1999). *Essence of Decision* (2nd ed.).",
        4,
        "the US naval quarantine of Cuba (a blockade) and the U-2 shot down on 27 October",
        None,
        2.0,  # 16 October to 28 October 1962 (Khrushchev's acceptance): 12 days
        ("hotline-1963",),
    ),
    Crisis(
        5,
        "Six-Day War (Soviet threat to intervene, hotline messages)",
        "June 1967",
        "Parker, R. B. (1993). *The Politics of Miscalculation in the Middle East*.",
        3,
        "Kosygin's hotline threat of 10 June and the Sixth Fleet turned east (a threat answered "
        "by a display of force)",
        None,
        1.0,  # 5 to 10 June 1967
    ),
    Crisis(
        6,
        "Cienfuegos submarine base",
        "1970",
        "Garthoff, R. L. (1994). *Détente and Confrontation* (rev. ed.).",
        2,
        "US warnings, public and private, against a Soviet submarine base in Cuba (a threat)",
        None,
        4.0,  # 16 September (the photographs) to 13 October 1970 (the Soviet assurance)
    ),
    Crisis(
        7,
        "October (Yom Kippur) War: US DEFCON 3",
        "1973",
        "Garthoff, R. L. (1994). *Détente and Confrontation* (rev. ed.).",
        3,
        "the Soviet airborne divisions alerted and the US forces at DEFCON 3 (24-25 October "
        "1973): displays of force",
        None,
        1.0,  # Brezhnev's letter of 24 October to the stand-down of 26 October 1973
    ),
    Crisis(
        8,
        "The 1983 war scare / Able Archer 83",
        "1983",
        "Jones, N. (Ed.) (2016). *Able Archer 83*.",
        3,
        "Soviet nuclear-capable aircraft in East Germany and Poland put on alert during the "
        "exercise (a display of force, unseen by Washington at the time)",
        None,
        1.0,  # the exercise, 7 to 11 November 1983
        ("able-archer-1983",),
    ),
    Crisis(
        9,
        "Kosovo: the Pristina airport standoff",
        "June 1999",
        "Jackson, M. (2007). *Soldier*.",
        3,
        "Russian paratroopers at Pristina airport and NATO forces sent to face them (a display "
        "of force; General Jackson refused the order to block the runways)",
        None,
        1.0,  # 12 June to the Helsinki agreement of 18 June 1999
    ),
    Crisis(
        10,
        "Crimea",
        "2014",
        "Charap, S., & Colton, T. J. (2017). *Everyone Loses*.",
        3,
        "the seizure of Crimea (a use of force against Ukraine, not the United States) and US "
        "aircraft sent to Poland and the Baltic states (a display of force between the powers)",
        None,
        3.0,  # 27 February (the Crimean parliament seized) to 18 March 2014 (the annexation)
    ),
    Crisis(
        11,
        "Syria, incl. the Deir ez-Zor clash of 7 Feb 2018 (the deconfliction line)",
        "2015 - 2018",
        "Charap, S., et al. (2019). RAND Corporation.",
        4,
        "US air and artillery strikes on a force that included Russian military contractors "
        "near Khasham, 7 February 2018 (a clash)",
        3,  # the contractors were not Russia's state forces: displays of force only
        125.0,  # from the Russian intervention (30 September 2015) to Khasham (February 2018)
    ),
    Crisis(
        12,
        "Ukraine, from the crisis of December 2021 through the war",
        "Dec 2021 - 2025",
        "The sources of geneva-2022 and ukraine-talks-2022 (docs/ukraine-talks-2022.md §1.8).",
        4,
        "a Russian Su-27 brought down a US MQ-9 drone over the Black Sea, 14 March 2023 (a use "
        "of force)",
        3,  # if the collision is read as an accident during an intercept: displays of force only
        185.0,  # from December 2021 to June 2025, the sources' end, still open
        ("geneva-2022", "ukraine-talks-2022"),
    ),
)

#: n, the number of comparable crises (fixed before any run).
N_CRISES = len(COMPARABLE_CRISES)
#: Wars between the powers among them.
WARS_IN_RECORD = 0


def hostility_counts(*, alternative: bool = False) -> dict[int, int]:
    """How many of the comparable crises peaked at each MID hostility level, 2-5.

    The counts of the calibration target ``superpowers12`` (the file
    ``escalsim/calibration/data/superpowers12_highest_hostility.csv``, which a test keeps equal
    to these): each crisis's :attr:`Crisis.hostility`, or with ``alternative`` its
    :attr:`Crisis.alternative` where it has one (the other defensible coding, for the fit's
    robustness to the coder). The codes were added on 5 December 2026, from the cited accounts,
    before any fit to them was run (docs/calibration.md, "Third round").

    Returns
    -------
    dict
        ``{level: count}`` for the levels 2, 3, 4 and 5 (every level present, 0 where none).
    """
    counts = dict.fromkeys(range(2, 6), 0)
    for c in COMPARABLE_CRISES:
        level = c.alternative if alternative and c.alternative is not None else c.hostility
        counts[level] += 1
    return counts


def exposure_weeks() -> float:
    """The record's weeks of crisis at a display of force or above, summed over the crises.

    ``E = Σ weeks`` over the crises whose :attr:`Crisis.hostility` is at least 3 (a display of
    force): the time the powers stood at postures that carry a risk of war in the model, with
    no war between them. An upper estimate: a crisis's whole length is counted, though not all
    of it was spent at its highest posture (Berlin 1961 was a threat from June to August), so a
    rate of war per week estimated from it is, if anything, too low. 386 weeks.
    """
    return float(sum(c.weeks for c in COMPARABLE_CRISES if c.hostility >= 3))


def zero_event_rate(exposure: float, confidence: float = 0.5) -> float:
    """Upper confidence bound on a Poisson rate after 0 events in ``exposure`` units of time.

    ``λ_u = -ln(1 - confidence) / exposure``: the largest rate under which 0 events in that
    exposure still have probability at least ``1 - confidence`` (``P(0) = exp(-λ E)``). At
    ``confidence = 0.5`` it is the median-unbiased estimate, ``ln 2 / E`` (the rate at which the
    record's zero is an even chance); at 0.95, ``2.996 / E`` (the rule of three for a rate).
    Hanley & Lippman-Hand (1983) as :func:`zero_event_upper_bound`, for a rate instead of a
    proportion. Valid for ``exposure > 0`` and ``0 < confidence < 1``, under a constant rate.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    if not exposure > 0.0 or not math.isfinite(exposure):
        raise ValueError(f"exposure must be a positive finite number, got {exposure!r}")
    return -math.log(1.0 - confidence) / exposure


def crises_lasting(at_most: float | None = None, more_than: float | None = None) -> int:
    """How many of the comparable crises lasted at most, or more than, so many weeks.

    Exactly one of ``at_most`` and ``more_than`` (weeks, ≥ 0) is given.
    """
    if (at_most is None) == (more_than is None):
        raise ValueError("give exactly one of at_most and more_than")
    if at_most is not None:
        return sum(c.weeks <= at_most for c in COMPARABLE_CRISES)
    assert more_than is not None
    return sum(c.weeks > more_than for c in COMPARABLE_CRISES)


def zero_event_upper_bound(n: int, confidence: float = 0.95) -> float:
    """One-sided upper confidence bound on a per-trial probability after 0 events in n trials.

    ``p_u = 1 - (1 - confidence)^(1/n)``: the largest p for which 0 events in n independent
    trials still has probability at least ``1 - confidence``, since ``P(0 events) = (1 - p)^n``
    (the exact Clopper-Pearson bound for k = 0). For large n it is about ``-ln(1 - confidence)
    / n``, which at 95% is the "rule of three", ``3/n`` (``-ln 0.05 = 2.996``): Hanley, J. A.,
    & Lippman-Hand, A. (1983). If nothing goes wrong, is everything all right? Interpreting
    zero numerators. *JAMA*, 249(13), 1743-1745. At n = 1 the bound is ``confidence``; at
    n = 12 and 95%, 0.2209.

    Valid for any n ≥ 1 and 0 < confidence < 1, under the assumptions the bound makes: the n
    trials are independent and share one probability p (for crises of different kinds, read p
    as a typical crisis's). ``3/n`` always exceeds the exact bound (by about ``1.5/n``
    relatively: 13% at n = 12, under 10% from n = 16, under 2% from n = 100), so the rule of
    three is a conservative approximation for large n only; the exact formula is used here.

    Parameters
    ----------
    n : int
        Number of trials, ``n ≥ 1``.
    confidence : float
        One-sided level in (0, 1).

    Returns
    -------
    float
        The bound, in (0, 1).
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    if n < 1 or int(n) != n:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    return 1.0 - (1.0 - confidence) ** (1.0 / n)


#: The record's bound: 95% upper bound on a typical crisis's P(war between the powers).
RECORD_BOUND = zero_event_upper_bound(N_CRISES)


def exposure_upper_bound(
    weeks: float, exposure: float | None = None, confidence: float = 0.95
) -> float:
    """Upper bound on P(war) in a crisis of ``weeks``, from the record's zero per week of exposure.

    ``p_u(w) = 1 - exp(-λ_u w) = 1 - (1 - confidence)^(w / E)``, with ``λ_u =
    -ln(1 - confidence) / E`` the :func:`zero_event_rate` bound on a constant weekly rate of
    war after 0 wars in the record's ``E`` weeks at a display of force or above
    (:func:`exposure_weeks`, 386). It reads the record's zero per week where
    :func:`zero_event_upper_bound` reads it per crisis: the two agree for a crisis of the
    record's mean length ``E / n`` (32 weeks), and for a longer crisis this bound is the larger
    (ukraine-talks-2022's 174 weeks: 0.741 against 0.2209), for a shorter one the smaller
    (hotline-1963's 4.3 weeks: 0.033). Which reading is right depends on whether the risk of war
    comes with a crisis or with its weeks; the record (12 crises, 0 wars) cannot tell.

    Valid for ``weeks ≥ 0``, ``exposure > 0`` and ``0 < confidence < 1``, under a constant rate
    of war per week across the record's crises and the scenario.

    Parameters
    ----------
    weeks : float
        The crisis's length in weeks.
    exposure : float, optional
        The record's weeks of exposure; default :func:`exposure_weeks`.
    confidence : float
        One-sided level in (0, 1).

    Returns
    -------
    float
        The bound, in [0, 1).
    """
    if not weeks >= 0.0 or not math.isfinite(weeks):
        raise ValueError(f"weeks must be a finite number >= 0, got {weeks!r}")
    rate = zero_event_rate(exposure_weeks() if exposure is None else exposure, confidence)
    return 1.0 - math.exp(-rate * weeks)


# -- Intervals ---------------------------------------------------------------------------------
def monotone_interval(
    f: Callable[[np.ndarray], float],
    counts: Sequence[tuple[int, int]],
    confidence: float = 0.95,
) -> tuple[float, float, float]:
    """A function of independent proportions, monotone in each, with a confidence interval.

    ``f`` maps the vector of proportions ``p = (p_1, ..., p_k)`` to a number and is monotone in
    every argument in the same direction (all non-decreasing, or all non-increasing). Each
    ``p_i`` is estimated by ``k_i / n_i`` from its own independent simulation. The interval is
    the image of the box of per-proportion Wilson intervals, each at level
    ``confidence^(1/k)`` (Šidák's adjustment): by independence all k intervals cover their
    ``p_i`` together with probability ``confidence`` (to the accuracy of Wilson's coverage), and
    whenever they do, ``f(p)`` lies between ``f`` at the box's two extreme corners. So the
    interval is conservative (it is a simultaneous box, wider than a delta-method interval
    where that one is valid), and, unlike the delta method, it stays valid when an estimate is 0
    or 1 (where the delta method's variance vanishes and its interval has zero width).

    Parameters
    ----------
    f : callable
        ``f(p) -> float`` for an array of k proportions.
    counts : sequence of (int, int)
        ``(k_i, n_i)`` for each proportion.
    confidence : float
        Two-sided level in (0, 1).

    Returns
    -------
    tuple of float
        ``(estimate, lo, hi)`` with ``lo ≤ estimate ≤ hi``.
    """
    if not counts:
        raise ValueError("monotone_interval needs at least one proportion")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    each = confidence ** (1.0 / len(counts))
    p = np.array([k / n for k, n in counts], dtype=float)
    bounds = np.array([wilson_interval(k, n, each) for k, n in counts], dtype=float)
    corners = (float(f(bounds[:, 0])), float(f(bounds[:, 1])))
    estimate = float(f(p))
    return estimate, min(*corners, estimate), max(*corners, estimate)


def no_event_probability(p: ArrayLike) -> float:
    """``Π (1 - p_i)``: the probability that none of independent events happens."""
    return float(np.prod(1.0 - np.asarray(p, dtype=float)))


def record_probability(
    counts: Sequence[tuple[int, int]], confidence: float = 0.95
) -> tuple[float, float, float]:
    """The model's probability of "no event in any of these episodes", with its interval.

    ``Π (1 - p_i)`` over independent simulated proportions ``p_i = k_i / n_i`` (one per
    scenario), with the :func:`monotone_interval` of it (the product decreases in every
    ``p_i``). Treating the episodes as independent is the model's statement only when the
    scenarios are separate crises; for successive episodes of one crisis it is an approximation.

    Parameters
    ----------
    counts : sequence of (int, int)
        ``(events, runs)`` per scenario.
    confidence : float
        Two-sided level in (0, 1).

    Returns
    -------
    tuple of float
        ``(estimate, lo, hi)``.
    """
    return monotone_interval(no_event_probability, counts, confidence)


def quantile_interval(
    values: ArrayLike, q: float, confidence: float = 0.95
) -> tuple[float, float, float]:
    """A sample quantile with a distribution-free confidence interval from order statistics.

    The estimate is the order statistic ``x_(⌈nq⌉)`` (numpy's ``inverted_cdf``, a value the
    data take: a round). The interval is ``[x_(l), x_(u)]`` with the ranks
    ``l = ⌊nq - z√(nq(1 - q))⌋`` and ``u = ⌈nq + z√(nq(1 - q))⌉ + 1``, clipped to ``[1, n]``:
    the normal approximation to the binomial count of values below the true quantile
    (Conover, W. J. (1999). *Practical Nonparametric Statistics*, 3rd ed., §3.2). It needs no
    assumption on the distribution; for discrete values (rounds) its coverage is at least
    nominal, and for ``nq(1 - q)`` below about 5 the approximation is rough (read it as
    indicative).

    Parameters
    ----------
    values : array_like
        Finite values.
    q : float
        The quantile, in (0, 1).
    confidence : float
        Two-sided level in (0, 1).

    Returns
    -------
    tuple of float
        ``(estimate, lo, hi)``; NaN for no values.
    """
    if not 0.0 < q < 1.0:
        raise ValueError(f"q must lie strictly between 0 and 1, got {q!r}")
    x = np.sort(np.asarray(values, dtype=float).ravel())
    n = x.size
    if n == 0:
        return math.nan, math.nan, math.nan
    estimate = float(np.quantile(x, q, method="inverted_cdf"))
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
    half = z * math.sqrt(n * q * (1.0 - q))
    lo = min(max(math.floor(n * q - half), 1), n)
    hi = min(max(math.ceil(n * q + half) + 1, 1), n)
    return estimate, min(float(x[lo - 1]), estimate), max(float(x[hi - 1]), estimate)


# -- Estimates ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Estimate:
    """One measured quantity with its 95% confidence interval.

    Attributes
    ----------
    label : str
        What it is.
    estimate : float
        The value.
    ci : tuple of float
        Its 95% confidence interval.
    n : int
        Sample size behind it (runs, or the runs in which the event happened).
    count : int or None
        For a proportion: the number of runs with the event (``estimate = count / n``).
    note : str
        How it was computed, in Markdown.
    """

    label: str
    estimate: float
    ci: tuple[float, float]
    n: int
    count: int | None = None
    note: str = ""


def proportion(label: str, hits: ArrayLike, note: str = "") -> Estimate:
    """The share of runs where ``hits`` is true, with its Wilson 95% interval."""
    h = np.asarray(hits, dtype=bool)
    k, n = int(h.sum()), int(h.size)
    return Estimate(label, k / n if n else math.nan, wilson_interval(k, n), n, k, note)


@dataclass(frozen=True)
class Timing:
    """When an event happened, over the runs in which it did.

    Attributes
    ----------
    what : str
        The event (``"settlement"``, ``"Russia's invasion (war RUS-UKR)"``).
    rounds : numpy.ndarray
        The round of the event in each run that had it.
    runs : int
        All runs (the denominator of ``P(by round t)``).
    """

    what: str
    rounds: np.ndarray
    runs: int

    def quartiles(self) -> list[Estimate]:
        """Median and quartiles of the event's round, each with its order-statistic 95% CI."""
        out = []
        for q, name in ((0.5, "median"), (0.25, "lower quartile"), (0.75, "upper quartile")):
            est, lo, hi = quantile_interval(self.rounds, q)
            out.append(
                Estimate(
                    f"round of {self.what}: {name}",
                    est,
                    (lo, hi),
                    int(self.rounds.size),
                    note="among the runs with it; order-statistic interval (Conover 1999)",
                )
            )
        return out

    def cumulative(self, horizon: int) -> tuple[list[int], list[float], list[float], list[float]]:
        """P(the event by round t) for t = 0..horizon over all runs, with Wilson 95% bounds.

        Returns ``(rounds, estimate, lo, hi)``.
        """
        rounds = list(range(horizon + 1))
        counts = [int((self.rounds <= t).sum()) for t in rounds]
        bounds = [wilson_interval(k, self.runs) for k in counts]
        return (
            rounds,
            [k / self.runs for k in counts],
            [b[0] for b in bounds],
            [b[1] for b in bounds],
        )

    def by(self, last: int, first: int = 1, *, label: str = "") -> Estimate:
        """P(the event happened in a round from ``first`` to ``last``), over all runs."""
        k = int(((self.rounds >= first) & (self.rounds <= last)).sum())
        span = f"by round {last}" if first <= 1 else f"in rounds {first}-{last}"
        return Estimate(
            label or f"P({self.what} {span})",
            k / self.runs,
            wilson_interval(k, self.runs),
            self.runs,
            k,
            "over all runs; Wilson interval",
        )


# -- The historical scenarios ------------------------------------------------------------------
@dataclass(frozen=True)
class HistoricalRecord:
    """A shipped historical scenario and what the record says happened in it.

    Attributes
    ----------
    scenario : str
        The shipped scenario.
    crisis : int
        Its crisis in :data:`COMPARABLE_CRISES`.
    condition : str
        Its historical condition (the setting as it was).
    calendar : str
        What a round is and when round 1 and the horizon are.
    record : str
        What happened, in Markdown.
    provenance : str
        Which of its numbers come from a source and which are guesses, in Markdown.
    settlement_round : int or None
        The round the crisis was settled in the record (hotline-1963: 13, 28 Oct 1962).
    onset : tuple of (str, int) or None
        A war of a listed pair that began in the record: the pair's column tag and its round
        (geneva-2022: ``("RUS_UKR", 12)``, the invasion of 24 Feb 2022).
    ending : callable or None
        The record's ending as a predicate on the outcome frame (per run: True where the run
        ends as the record did), with ``ending_text`` saying what it is.
    ending_text : str
        The record's ending in words.
    window : int
        The rounds either side of a record date that count as "at the record's date".
    open_finding : str
        Where the scenario's record check is known to fail: why, and what would fix it, in
        Markdown (the report prints it beside a failed verdict).
    """

    scenario: str
    crisis: int
    condition: str
    calendar: str
    record: str
    provenance: str
    settlement_round: int | None = None
    onset: tuple[str, int] | None = None
    ending: Callable[[pd.DataFrame], np.ndarray] | None = field(default=None, compare=False)
    ending_text: str = ""
    window: int = 1
    open_finding: str = ""


def _unresolved(frame: pd.DataFrame) -> np.ndarray:
    return np.asarray(frame["outcome"] == "unresolved")


def _no_settlement_no_war(frame: pd.DataFrame) -> np.ndarray:
    """Per run: no direct war, nuclear use or end of the powers' crisis; the pairs fight on.

    Each listed pair's war had no ceasefire and is still on at the end (ukraine-talks-2022's
    record, docs/ukraine-talks-2022.md §8 checks 1-3).
    """
    ok = ~np.asarray(frame["war"], dtype=bool) & ~np.asarray(frame["nuclear"], dtype=bool)
    ended = ("settlement", "ceasefire", "capitulation_a", "capitulation_b", "exchange")
    ok &= ~np.isin(frame["outcome"].to_numpy(), ended)
    for column in frame.columns:
        if column.startswith("ceasefires_"):
            ok &= np.asarray(frame[column]) == 0
        if column.startswith("at_war_"):  # and the pair's war still on at the horizon
            ok &= np.asarray(frame[column], dtype=bool)
    return ok


#: The shipped historical scenarios, in report order, with their records.
HISTORICAL: tuple[HistoricalRecord, ...] = (
    HistoricalRecord(
        scenario="hotline-1963",
        crisis=4,
        condition="no_hotline",
        calendar="daily rounds: round 1 = Tue 16 Oct 1962, round 13 = 28 Oct, horizon round 30 "
        "(14 Nov)",
        record="no war between the powers and no nuclear use; the crisis was settled on 28 "
        "October 1962 (round 13), when Khrushchev accepted and Radio Moscow broadcast it "
        "(withdrawal of the missiles against a pledge not to invade Cuba and, secretly, the "
        "Jupiters in Turkey).",
        provenance="**Ported and sourced; the channels and third parties guessed.** Rebuilt on 5 "
        'December 2026 (docs/calibration.md, "hotline-1963 rebuilt"): the rungs\' per-day war '
        "risks and costs by MID level and both powers' costs of war (a prior on [1.0, 3.114] "
        "per day of the stakes) from `superpower-crisis`, whose rate of war comes from the "
        "weeks the 12 crises of this record's list spent at a display of force without a war "
        "and whose costs are fitted to their peaks (so this check is partly in-sample: the "
        "Cuban crisis is one of the 12); the rungs' incident risks, the discount, the audience "
        "costs and the precision from `generic-crisis`, fitted to MID 5.0 and ICB (the "
        "incidents, which make most of the wars, are not fitted to nuclear dyads); from the "
        "record: the dates, the missiles "
        "as the stakes held by the Soviet deployment, the private channels closed until their "
        "first use (22-23 Oct), U Thant's from his appeal (24 Oct), no proposal before "
        "Khrushchev's first letter (26 Oct). Guesses: the channels' noise, latency and "
        "reliability, the incidents' sizes, the third parties' values, honesty, domestic "
        "pressure, the friction of standing down.",
        settlement_round=13,
    ),
    HistoricalRecord(
        scenario="able-archer-1983",
        crisis=8,
        condition="historical",
        calendar="weekly rounds: round 1 = week of 29 Aug 1983, round 11 = Able Archer 83 "
        "(7-11 Nov), horizon round 26 (20 Feb 1984)",
        record="no war and no nuclear use; the scare eased over the winter without anything "
        "being agreed (the scenario codes the record's ending as `unresolved`).",
        provenance="**Ported and sourced; the rest guessed.** Rebuilt on 5 December 2026 "
        '(docs/calibration.md, "able-archer-1983 rebuilt"): the rungs\' weekly war risks and '
        "costs below war by MID level and both powers' costs of war from `superpower-crisis` "
        "(its rate of war from the 12 crises' weeks at a display of force without a war, its "
        "costs fitted to their peaks: partly in-sample, as the 1983 scare is one of the 12); "
        "the incident risks, the audience costs (the case's ratios kept) and the precision from "
        "`generic-crisis`; from the record: the dates, the hotline unused, the talks closed by "
        "the Soviet walk-out of 23 November 1983. Guesses: the war and nuclear rungs' values, "
        "capabilities, honesty, domestic pressure, red lines and initial rungs (both powers at "
        "a display of force from 29 August), the channels' qualities, the third parties, the "
        "agenda, friction and implementation error, the sizes of the events' effects.",
        ending=_unresolved,
        ending_text="unresolved at the horizon (no war, no settlement)",
    ),
    HistoricalRecord(
        scenario="geneva-2022",
        crisis=12,
        condition="dialogue_open",
        calendar="weekly rounds: round 1 = week of 6 Dec 2021, round 12 = week of 21 Feb 2022 "
        "(invasion, 24 Feb), horizon round 26 (30 May 2022)",
        record="no war between the powers and no nuclear use; Russia invaded Ukraine on 24 "
        "February 2022 (round 12: the pair RUS-UKR's war); no US-Russian settlement by May "
        "2022.",
        provenance="**Ported and sourced; the rest guessed.** Rebuilt on 5 December 2026 "
        '(docs/calibration.md, "The second fit: the result"): the rungs\' weekly war risks and '
        "costs below war by MID level and both powers' costs of war from `superpower-crisis` "
        "(its rate of war from the 12 crises' weeks at a display of force without a war, among "
        "them this crisis's own 185: partly in-sample; its costs fitted to their peaks); the "
        "incident risks, the audience costs (the case's ratios kept) and the precision from "
        "`generic-crisis`. Sourced: the dates; the front's step σ = 0.013 a week (territory held "
        "before the invasion and on 2 Jun 2022); Ukraine's pre-war share of its territory "
        "(0.93); US pre-war support s = 0.006 (2021 aid against Ukraine's SIPRI military "
        "spending); the 10:1 ratio of the pair's costs of war (SIPRI military burdens). Russia's "
        "cost of war with Ukraine is ukraine-talks-2022's, set there by that scenario's record; "
        "the rungs above war and the exchange value are ukraine-talks-2022's judgements. "
        "Guesses: noise, latency, the channels' values, alignments, the third parties, "
        "friction, the sizes of the events' effects.",
        onset=("RUS_UKR", 12),
    ),
    HistoricalRecord(
        scenario="ukraine-talks-2022",
        crisis=12,
        condition="channels_open",
        calendar="monthly rounds: round 1 = March 2022, horizon round 40 (June 2025)",
        record="no war between the powers, no nuclear use, no US-Russian settlement and no "
        "Russia-Ukraine ceasefire by June 2025 (docs/ukraine-talks-2022.md §8, checks 1-3).",
        provenance="**Ported and sourced; the rest guessed.** Rebuilt on 5 December 2026 "
        '(docs/calibration.md, "ukraine-talks-2022 rebuilt"), as geneva-2022 was: the rungs\' '
        "monthly war risks and costs below war by MID level and both powers' costs of a direct "
        "war from `superpower-crisis` (its rate of war from the 12 crises' weeks at a display of "
        "force without a war, among them this crisis's own 185: partly in-sample; its costs "
        "fitted to their peaks), made monthly; the incident risks, the discount, the audience "
        "costs (the case's ratios kept) and the precision from `generic-crisis`. Sourced "
        "(docs/ukraine-talks-2022.md, S1-S50): the dates and scripted events; third parties' "
        "alignments (UN votes, S34); the patron's support (aid shares, S28-S31) and the "
        "states' capabilities (SIPRI spending, S33); the spillover incident rate (0.05 a month, "
        "S21-S24); the defence channel's reliability (0.75); when channels open. Set *by the "
        "record* this check reads, so in-sample here: Russia's cost of the war with Ukraine "
        "(0.01 a month, low enough that its war goes on past June 2025). Guesses: the rungs at "
        "and above war, the exchange value, the front's step, noise and latency, the third "
        "parties' values, honesty, domestic pressure, red lines, friction. Its P(direct war) "
        "comes from a rate per week held for 174 weeks: above the per-crisis bound, within the "
        "bound per week of exposure (the row 'against the record's rate').",
        ending=_no_settlement_no_war,
        ending_text="no direct war, no nuclear use, no settlement or ceasefire of the powers, "
        "and the Russia-Ukraine war without a ceasefire and still on at round 40",
        open_finding="P(direct war) is the record's own rate of war (0.0018 a week at a display "
        "of force or above) held for 174 weeks, nearly all of it after the powers settled near "
        "the status quo in round 1 (docs/pair-wars.md §3.4: a settlement stands no posture "
        "down), a settlement the record does not have. The per-crisis bound reads the record "
        "as 12 alike crises; this one is the longest, and read per week of exposure the same "
        "probability is within the record (the row 'against the record's rate'). What would "
        "fix it is a model decision, to be taken with every scenario refitted: a reason for "
        "the powers not to settle at once (the over-settlement of `out-of-sample` O1 and "
        "`superpower-out-of-sample` N2: a commitment problem, a deadline, a crisis left open "
        "without an agreement), postures that stand down after a settlement, or a rate of war "
        'that falls as a standoff lasts (docs/calibration.md, "ukraine-talks-2022 rebuilt").',
    ),
)


def historical(name: str) -> HistoricalRecord:
    """The :class:`HistoricalRecord` of a shipped scenario."""
    for h in HISTORICAL:
        if h.scenario == name:
            return h
    raise KeyError(
        f"no historical record for {name!r}; expected one of {[h.scenario for h in HISTORICAL]}"
    )


# -- Measurement -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Measurement:
    """What the historical condition of a scenario gives over its runs.

    Attributes
    ----------
    record : HistoricalRecord
        The scenario and its record.
    runs : int
        Replications run.
    seed : int
        Root seed of the runs.
    horizon : int
        The scenario's last round.
    weeks : float
        The scenario's length in weeks (its rounds times its time unit's length).
    outcomes : dict of str to Estimate
        ``p_war_direct``, ``p_war_any``, ``p_nuclear``, ``p_settlement`` (``escalsim run``'s
        metric names), each with its Wilson 95% interval.
    terms : tuple of Estimate
        The settlement terms: each power's mean realised share of the stakes over the runs that
        ended in settlement (:func:`escalsim.batch.run_shares`), with a t interval.
    timings : tuple of Timing
        The rounds of settlement, of the powers' first war, and of the record's pair war.
    history : tuple of Estimate
        How probable the model makes what happened, when it happened.
    outcome_counts : dict of str to int
        Runs by outcome.
    """

    record: HistoricalRecord
    runs: int
    seed: int
    horizon: int
    weeks: float
    outcomes: dict[str, Estimate]
    terms: tuple[Estimate, ...]
    timings: tuple[Timing, ...]
    history: tuple[Estimate, ...]
    outcome_counts: dict[str, int]

    def count(self, metric: str) -> tuple[int, int]:
        """``(runs with the event, runs)`` of a proportion in :attr:`outcomes`."""
        e = self.outcomes[metric]
        assert e.count is not None
        return e.count, e.n


def _settlement_rounds(frame: pd.DataFrame, events: pd.DataFrame, pairs: bool) -> np.ndarray:
    settled = frame["outcome"] == "settlement"
    if not pairs:
        # Without listed pairs a settlement ends the run: its round is the run's last.
        return frame.loc[settled, "end_round"].to_numpy(dtype=float)
    # With listed pairs the run goes on to the horizon; the powers' crisis ended when it logged
    # `crisis_end` (docs/pair-wars.md §3.4). The last such event is the one the run kept.
    ends = events[(events["kind"] == "crisis_end")].groupby("replication")["round"].last()
    reps = frame.loc[settled, "replication"]
    return ends.reindex(reps).to_numpy(dtype=float)


def _war_rounds(frame: pd.DataFrame, pairs: bool) -> np.ndarray:
    war = frame["war"].to_numpy(dtype=bool)
    column = "war_start_round" if "war_start_round" in frame.columns else "end_round"
    # Where the first war ends the run (no `war_start_round`), its round is the run's last.
    return frame.loc[war, column].to_numpy(dtype=float)


def scenario_weeks(spec: Scenario) -> float:
    """A scenario's length in weeks: ``run.rounds × DAYS_PER_UNIT[run.time_unit] / 7``.

    hotline-1963 (30 days) 4.29, able-archer-1983 and geneva-2022 (26 weeks) 26,
    ukraine-talks-2022 (40 months) 173.9.
    """
    from escalsim.scenario.schema import DAYS_PER_UNIT

    return float(spec.run.rounds) * DAYS_PER_UNIT[spec.run.time_unit] / DAYS_PER_UNIT["week"]


@functools.lru_cache(maxsize=16)
def measure(name: str, seed: int, runs: int) -> Measurement:
    """Run a historical scenario's historical condition and measure it against its record.

    ``runs`` replications on the batch engine, root seed ``seed``. Cached (the per-scenario
    checks and the joint check share one run per scenario, seed and size).

    Parameters
    ----------
    name : str
        A scenario of :data:`HISTORICAL`.
    seed : int
        Root seed.
    runs : int
        Replications.

    Returns
    -------
    Measurement
    """
    from escalsim.batch import run_batch, run_shares
    from escalsim.scenario import load_scenario

    rec = historical(name)
    spec = load_scenario(name)
    pairs = bool(spec.war.pairs)
    batch = run_batch(
        spec,
        condition=rec.condition,
        seed=seed,
        replications=runs,
        keep=runs if pairs else 0,
    )
    frame = batch.outcome
    runs_frame = frame.copy()
    if "war_direct" not in runs_frame.columns:
        # No listed pair: the only war is the powers' (docs/pair-wars.md §8: `war` = war_direct).
        runs_frame["war_direct"] = runs_frame["war"]
        runs_frame["war_any"] = runs_frame["war"]
    table = summary(
        runs_frame, metrics=["p_war_direct", "p_war_any", "p_nuclear", "p_settlement"]
    ).set_index("metric")
    notes = {
        "p_war_direct": "war between the powers began",
        "p_war_any": "any war began (the powers' or a listed pair's)"
        + (
            "; a war under way at round 1 is not an onset"
            if pairs
            else "; no listed pairs, so = P(direct war)"
        ),
        "p_nuclear": "a nuclear intensity was used",
        "p_settlement": "the run's outcome is `settlement`",
    }
    outcomes = {}
    for metric, row in table.iterrows():
        n = int(row["n"])
        outcomes[str(metric)] = Estimate(
            str(metric),
            float(row["estimate"]),
            (float(row["lo"]), float(row["hi"])),
            n,
            round(float(row["estimate"]) * n),
            notes[str(metric)],
        )
    shares = run_shares(frame, spec)
    settled = (frame["outcome"] == "settlement").to_numpy()
    powers = [a.id for a in spec.powers]
    terms = []
    for column, power in zip(("share_a", "share_b"), powers, strict=True):
        values = shares.loc[settled, column].to_numpy(dtype=float)
        est, lo, hi = mean_interval(values) if values.size else (math.nan,) * 3
        terms.append(
            Estimate(
                f"{power}'s share of the stakes in a settlement (mean)",
                est,
                (lo, hi),
                int(values.size),
                note="realised share (`batch.run_shares`) over the settled runs; t interval",
            )
        )
    events = batch.events
    timings = [Timing("settlement", _settlement_rounds(frame, events, pairs), runs)]
    timings.append(Timing("the powers' first war", _war_rounds(frame, pairs), runs))
    history: list[Estimate] = []
    w = rec.window
    if rec.settlement_round is not None:
        t = rec.settlement_round
        history += [
            timings[0].by(t),
            timings[0].by(t + w, t - w),
        ]
    if rec.onset is not None:
        tag, t = rec.onset
        onset = frame[f"start_round_{tag}"].to_numpy(dtype=float)
        began = frame[f"war_{tag}"].to_numpy(dtype=bool)
        pair = Timing(f"war {tag.replace('_', '-')}", onset[began], runs)
        timings.append(pair)
        history += [pair.by(t), pair.by(t + w, t - w)]
    if rec.ending is not None:
        history.append(proportion(f"P(the record's ending: {rec.ending_text})", rec.ending(frame)))
    return Measurement(
        record=rec,
        runs=runs,
        seed=seed,
        horizon=int(spec.run.rounds),
        weeks=scenario_weeks(spec),
        outcomes=outcomes,
        terms=tuple(terms),
        timings=tuple(timings),
        history=tuple(history),
        outcome_counts={str(k): int(v) for k, v in frame["outcome"].value_counts().items()},
    )


__all__ = [
    "COMPARABLE_CRISES",
    "HISTORICAL",
    "N_CRISES",
    "RECORD_BOUND",
    "SELECTION_RULE",
    "WARS_IN_RECORD",
    "Crisis",
    "Estimate",
    "HistoricalRecord",
    "Measurement",
    "Timing",
    "exposure_upper_bound",
    "historical",
    "measure",
    "monotone_interval",
    "no_event_probability",
    "proportion",
    "quantile_interval",
    "record_probability",
    "scenario_weeks",
    "zero_event_upper_bound",
]
