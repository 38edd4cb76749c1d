"""Fields matter: whole crises, run by the batch engine, that differ in one field only.

Every comparison here runs the same scenario twice with ``run_batch`` on the same root seed and
layout (common random numbers: the same round uniforms and the same type draws, replication by
replication), changing one field, and compares the two runs replication by replication. The
policy-level versions of these properties are in ``tests/test_bargaining_policy.py`` (a more
resolved adversary is offered more; a crossed red line; a higher drawn resolve concedes less)
and ``tests/test_policies.py::TestDeterrer``; here the round, the other power's answers and the
endings take part.

* **Resolve.** Raising power A's resolve (or lowering its cost of war, as a point or a private
  grid of types) does not lower A's mean realised share of the stakes
  (:func:`escalsim.batch.run_shares`: an accepted offer at its share, a capitulation 1 to the
  winner, a war at its lottery's annuity ``p - c``, an unresolved run or a settlement without an
  offer at the status quo). Hypothesis, over a family of two-power bargaining disputes.
* **Red lines.** A red line that the adversary has crossed makes the ``deterrer`` climb, and
  the default ``bargaining`` policy climb more often per round, than the same actor with its
  red line on the war rung, which no adversary reaches while the crisis goes on.

Both failed when first written, and were strict xfails until the bargaining policy changed
(docs/decision-v2.md §11, "Fields matter", gives the findings and the fixes): a power's
fallback is now the best rung it can hold once its offer is refused, war included, not the
rungs it holds; and a standing offer that is the best option is accepted as a best response,
not by removing the options tied with it from the logit. Nothing was tuned to make them pass.

**Open finding (4 December 2026), and its repair as a switch (5 December).** The resolve
property at scale (40 examples of 2,000 runs) fails on a generated example,
:data:`COUNTEREXAMPLE` (it reproduces at every commit back to fbeac99): in that dispute a more
resolved A settles for 0.15 of the stakes instead of 0.53. The mechanism (docs/decision-v2.md
§3.7, "Open finding"): the look-ahead's quit term compares the other's quitting with holding
its current rung for ever, so at a rung that costs more than its share each power expects the
other to concede everything; ``scripts/resolve_counterexample.py`` measures it. With
``beliefs.continuation: best`` the quit term compares quitting with the other's best
continuation instead, and the example holds (+0.179); the property at scale held on the 40
examples of the first draw, but the draw of the test with the repaired term (another name,
another derandomized draw) found a smaller violation, :data:`COUNTEREXAMPLE_BEST` (−0.029,
paired SE 0.003; −0.036 since the repairs of 5 December 2026; both powers at use_of_force, the
channel closed). **``best`` is the default
since 5 December 2026** (generic-crisis refitted under it, docs/calibration.md): the property's
tests run under it, :data:`COUNTEREXAMPLE` under ``hold`` is an open finding (the old term is
kept to reproduce older results), :data:`COUNTEREXAMPLE_BEST` under the default another.
A full test run's generated draw then found :data:`COUNTEREXAMPLE_BEST_2` under the default
(−0.093, now −0.104; +0.113 under ``hold``, now +0.106), also pinned, and the slow test
in CI :data:`COUNTEREXAMPLE_BEST_3` (−0.148; +0.218 under ``hold``): the property fails under
either term, and under the level-2 term ``mutual`` too (−0.036, −0.043 and −0.080;
``scripts/resolve_counterexample.py`` prints every pinned case under the three terms). The
default tier checks it on the explicit examples only (hypothesis's draws change with the code
loaded, so a generated default-tier version was not reproducible from run to run), and the
property over generated disputes is the slow test. Its draw derandomised from the test's
source found :data:`COUNTEREXAMPLE_BEST_3` in CI; since then the draw is seeded with the
module's seed (hypothesis's ``@seed``), so that it no longer changes when the test's text
does, and it asserts that none of its disputes violates the property by more than the draw's
own worst (:data:`WORST_IN_DRAW`).

Tolerances. Each comparison is a mean of N paired differences ``d_r`` (one per replication);
its standard error is ``sd(d)/sqrt(N)``. A one-sided bound of 4 standard errors fails by chance
with probability about 3 x 10⁻⁵ per comparison under the normal approximation. When only a few
replications differ, the estimated SE is crude, but then the bound is hard to cross by chance:
k differences, all of one sign and equal size, sit ``sqrt(k)`` SE from 0, so at least 16 of
them must agree before a bound of 4 SE can be crossed. 10⁻⁹ of slack covers rounding where
every difference is equal (SE 0). The root seed, 17, was chosen before the first run and never
changed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, event, example, given, seed, settings
from hypothesis import strategies as st

from escalsim.batch import drawn_war_costs, realised_shares, run_batch, run_shares
from escalsim.core.params import compile_params, win_probabilities
from escalsim.scenario import Scenario, load_scenario, with_condition
from escalsim.scenario.load import with_settings
from test_round_bargaining import bargaining_dispute, crisis

#: The root seed of every run here (chosen before the first run, never changed).
SEED = 17
#: One-sided bound, in paired standard errors (module docstring).
BOUND = 4.0
#: Rounding slack where every paired difference is equal.
SLACK = 1e-9
#: generic-dispute's rungs below war, where a crisis can start.
RUNGS = ("normal", "threat", "display", "use_of_force")

#: The property's examples are generated, never shrunk: shrinking a failure of runs of 300
#: replications takes minutes, and a failure's example is printed as generated.
PROPERTY = settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    database=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def paired(values: np.ndarray, baseline: np.ndarray) -> tuple[float, float]:
    """Mean of the paired differences ``values - baseline`` and its standard error."""
    d = np.asarray(values, dtype=float) - np.asarray(baseline, dtype=float)
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))


# -- the realised share ---------------------------------------------------------------------------
def test_realised_shares_follow_the_outcome_table():
    outcome = ["settlement", "settlement", "capitulation_a", "capitulation_b", "war", "unresolved"]
    settled = [0.3, np.nan, np.nan, np.nan, np.nan, np.nan]
    a, b = realised_shares(outcome, settled, 0.4, 0.5 - 0.2, 0.5 - 0.1)
    np.testing.assert_allclose(a, [0.3, 0.4, 0.0, 1.0, 0.3, 0.4])
    np.testing.assert_allclose(b, [0.7, 0.6, 1.0, 0.0, 0.4, 0.6])
    with pytest.raises(ValueError, match="unknown outcome"):
        realised_shares(["truce"], [np.nan], 0.5, 0.0, 0.0)


def test_the_drawn_costs_are_the_rounds_draws():
    """:func:`drawn_war_costs` recomputes the draw ``Crisis._draw_types`` makes: the same cost in
    every replication (generic-dispute with both powers bargaining, five types each)."""
    spec = bargaining_dispute()
    reps = np.arange(60)
    c = crisis(spec, 3, reps)
    np.testing.assert_array_equal(drawn_war_costs(spec, 3, reps), c.war_cost)
    assert len(np.unique(c.war_cost[:, 1])) > 1  # the check sees several types


def test_fearons_game_shares_are_its_terms():
    """``fearon`` (p = 0.25, c_A = 0.0625, x* = 0.53125): A gets x* wherever B accepts and
    ``p - c_A = 0.1875`` at war; B gets 1 - x* when it accepts and ``0.75 - c_B`` at war, which
    is more than 1 - x* exactly because B fights only when ``c_B < x* - p`` (Fearon 1995)."""
    spec = load_scenario("fearon")
    cond = spec.condition_names[0]
    out = run_batch(spec, seed=SEED, replications=400, keep=0, condition=cond).outcome
    shares = run_shares(out, spec)
    war = out["war"].to_numpy()
    assert 0 < war.sum() < len(war)
    np.testing.assert_allclose(shares["share_a"][~war], 0.53125, rtol=0, atol=1e-12)
    np.testing.assert_allclose(shares["share_b"][~war], 0.46875, rtol=0, atol=1e-12)
    np.testing.assert_allclose(shares["share_a"][war], 0.1875, rtol=0, atol=1e-12)
    cost_b = drawn_war_costs(with_condition(spec, cond), SEED, out["replication"])[:, 1]
    np.testing.assert_allclose(shares["share_b"][war], 0.75 - cost_b[war], rtol=0, atol=1e-12)
    assert (shares["share_b"][war] > 0.46875).all()


def test_run_shares_reads_each_rows_condition():
    """A frame of two conditions: each row's status quo and costs are its condition's."""
    spec = with_settings(
        bargaining_dispute(),
        {"run.rounds": 3, "conditions.channel_closed.set": {"stakes.status_quo": {"A": 0.7}}},
    )
    frames = [
        run_batch(spec, seed=SEED, replications=50, keep=0, condition=c).outcome
        for c in spec.condition_names
    ]
    both = pd.concat(frames, ignore_index=True)
    shares = run_shares(both, spec)
    for frame, cond in zip(frames, spec.condition_names, strict=True):
        alone = run_shares(frame, spec)
        rows = both["condition"] == cond
        np.testing.assert_array_equal(shares[rows].to_numpy(), alone.to_numpy())
        params = compile_params(with_condition(spec, cond))
        unsettled = frame["outcome"].eq("unresolved").to_numpy()
        np.testing.assert_array_equal(alone["share_a"][unsettled], params.status_quo[0])
    assert win_probabilities(spec) == (0.5, 0.5)


# -- resolve: the property ------------------------------------------------------------------------
@st.composite
def resolve_pairs(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A two-power bargaining dispute and power A's type in it, less and more resolved.

    generic-dispute with both powers ``bargaining``, 12 rounds, and drawn: A's capability, the
    status quo, the war risk of a use of force, both initial rungs, the condition, B's private
    cost of war (a uniform prior over 3 types) and A's type in one of three forms, each given
    twice (the second more resolved): a point ``resolve`` raised, a point ``war_cost`` lowered,
    or a private ``war_cost`` grid shifted down (the same type index is drawn in both runs, so
    every replication's drawn cost is lower).
    """
    lo_b = draw(st.floats(0.02, 0.4))
    common: dict[str, Any] = {
        "run.rounds": 12,
        "stakes.status_quo": {"A": round(draw(st.floats(0.2, 0.8)), 2)},
        "actors.A.capability": draw(st.floats(5.0, 20.0)),
        "ladder.rungs.use_of_force.war_risk": draw(st.floats(0.0, 0.1)),
        "actors.A.initial_rung": draw(st.sampled_from(RUNGS)),
        "actors.B.initial_rung": draw(st.sampled_from(RUNGS)),
        "actors.B.war_cost": {"uniform": [lo_b, lo_b + draw(st.floats(0.05, 0.5))], "types": 3},
        "actors.B.resolve": None,
    }
    form = draw(st.sampled_from(("resolve", "war_cost", "war_cost_grid")))
    event(form)
    if form == "resolve":
        rho = draw(st.floats(0.2, 0.9))
        higher = min(0.99, rho + draw(st.floats(0.05, 0.3)))
        less, more = ({"actors.A.resolve": r, "actors.A.war_cost": None} for r in (rho, higher))
    elif form == "war_cost":
        c = draw(st.floats(0.02, 0.6))
        lower = max(0.0, c - draw(st.floats(0.02, 0.3)))
        less, more = ({"actors.A.war_cost": x, "actors.A.resolve": None} for x in (c, lower))
    else:
        lo = draw(st.floats(0.05, 0.4))
        width = draw(st.floats(0.05, 0.4))
        shift = draw(st.floats(0.02, lo))
        less, more = (
            {"actors.A.war_cost": {"uniform": [x, x + width], "types": 3}, "actors.A.resolve": None}
            for x in (lo, lo - shift)
        )
    common["condition"] = draw(st.sampled_from(("channel_open", "channel_closed")))
    return common, less, more


def shares_of(settings_: dict[str, Any], n: int) -> np.ndarray:
    """A's realised share in each of n replications of the dispute with ``settings_``."""
    values = dict(settings_)
    cond = values.pop("condition")
    spec = with_settings(bargaining_dispute(), values)
    out = run_batch(spec, seed=SEED, replications=n, keep=0, condition=cond).outcome
    return run_shares(out, spec)["share_a"].to_numpy()


def resolve_difference(pair: tuple[dict[str, Any], ...], n: int) -> tuple[float, float, str]:
    """A's expected share with more resolve less with less, paired over n replications: the
    mean, its standard error, and both arms' means (for a failure's message)."""
    common, less, more = pair
    base = shares_of({**common, **less}, n)
    raised = shares_of({**common, **more}, n)
    mean, se = paired(raised, base)
    return mean, se, f"less resolved {base.mean():.4f}, more resolved {raised.mean():.4f}"


def check_resolve_property(pair: tuple[dict[str, Any], ...], n: int) -> float:
    """Assert the property for one pair over n replications; return the paired mean."""
    mean, se, arms = resolve_difference(pair, n)
    assert mean >= -BOUND * se - SLACK, (mean, se, arms)
    return mean


def sign(mean: float) -> str:
    """The direction of an example's paired mean, for hypothesis's statistics."""
    return "A's share rose" if mean > SLACK else "A's share fell" if mean < -SLACK else "equal"


#: The reproduction: by hand, with point costs of war, the first failing example hypothesis
#: found before the fallback changed
#: (A's cost lowered from 0.4 to 0.3).
REPRODUCTION = {
    "run.rounds": 12,
    "stakes.status_quo": {"A": 0.25},
    "actors.A.capability": 12.0,  # p_A = 12/22 = 0.545
    "ladder.rungs.use_of_force.war_risk": 0.0,
    "actors.A.initial_rung": "use_of_force",  # holding it costs 1.501 a round, q_A = 0.25
    "actors.B.initial_rung": "threat",
    "actors.B.war_cost": {"uniform": [0.25, 0.75], "types": 3},
    "actors.B.resolve": None,
    "actors.A.resolve": None,
}
#: The reproduction as examples of the property, in both conditions.
FOUND = [
    ({**REPRODUCTION, "condition": c}, {"actors.A.war_cost": 0.4}, {"actors.A.war_cost": 0.3})
    for c in ("channel_open", "channel_closed")
]


@pytest.mark.parametrize("pair", FOUND, ids=["channel_open", "channel_closed"])
def test_more_resolve_does_not_lower_a_powers_expected_share(pair):
    """Paired over N = 1,000 replications, A's mean realised share with more resolve is not
    below its share with less by more than 4 paired standard errors (module docstring). In
    Fearon's (1995) game the same holds exactly: A's expected utility falls with its cost of
    war at rate P(war) (an envelope argument); here the round's look-ahead, offers, beliefs and
    endings take part, so the claim is tested, not derived.

    Failed when first written, on its explicit examples (:data:`REPRODUCTION` at N = 1,000,
    seed 17): A lost 0.0107 of the stakes (paired SE 0.0015) open and 0.0158 (SE 0.0020)
    closed, because its offer was made on its fallback at the rungs held (A at a costly
    use_of_force offered B 0.987 whatever its cost). With the fallback at its best rung, war
    included (``policies.bargaining.fallback``), A gains 0.0939 (SE 0.0008) open and 0.0883
    (SE 0.0010) closed (under ``hold``, then the only term). The property over generated
    disputes is the slow test below: it is known to fail under either term (the counterexamples
    below), and which disputes hypothesis draws changes with the code it has loaded (it draws
    constants from the loaded modules' source), so a generated default-tier version failed in
    one full run and passed in another at the same commit."""
    check_resolve_property(pair, 1000)


#: A counterexample the property at scale found (4 December 2026; it reproduces at every commit
#: back to fbeac99): A at a capability of 12.5 against 10, holding 0.33, both at a threat, B's
#: cost private in [0.35, 0.85]. Raising A's resolve from 0.245 to 0.521 lowers its mean realised
#: share from 0.158 to 0.006 over 2,000 runs (seed 17): its settlements fall from 0.53 of the
#: stakes to 0.15, and more of its runs end in war (289 against 200). (Since the repairs of 5
#: December 2026, from 0.142 to 0.010: paired −0.132, SE 0.020, under ``hold``.) An open
#: finding of the bargaining policy (issue 19's note), not a tolerance to widen.
COUNTEREXAMPLE = (
    {
        "run.rounds": 12,
        "stakes.status_quo": {"A": 0.33},
        "actors.A.capability": 12.52507613078371,
        "ladder.rungs.use_of_force.war_risk": 0.08187527036555538,
        "actors.A.initial_rung": "threat",
        "actors.B.initial_rung": "threat",
        "actors.B.war_cost": {"uniform": [0.35, 0.85], "types": 3},
        "actors.B.resolve": None,
        "condition": "channel_open",
    },
    {"actors.A.resolve": 0.24521853722613335, "actors.A.war_cost": None},
    {"actors.A.resolve": 0.5205379935964763, "actors.A.war_cost": None},
)


#: The pairs with the old quit term (``beliefs.continuation: hold``) in common.
HOLD = {"beliefs.continuation": "hold"}


def with_hold(pair: tuple[dict[str, Any], ...]) -> tuple[dict[str, Any], ...]:
    """The pair with ``beliefs.continuation: hold`` in its common settings."""
    common, less, more = pair
    return {**common, **HOLD}, less, more


#: A counterexample the property at scale found under the repaired term (5 December 2026):
#: both powers at use_of_force (war risk 0.033), A holding 0.46 at a capability of 18.6
#: against 10, B's cost private in [0.33, 0.68], the channel closed; lowering A's cost of war
#: from 0.537 to 0.434 lowers its mean realised share from 0.708 to 0.679 (paired −0.029,
#: SE 0.003, 2,000 runs, seed 17; −0.036 since 5 December 2026). Smaller than
#: :data:`COUNTEREXAMPLE`'s −0.153 (−0.132), and open.
COUNTEREXAMPLE_BEST = (
    {
        "run.rounds": 12,
        "stakes.status_quo": {"A": 0.46},
        "actors.A.capability": 18.648268164376198,
        "ladder.rungs.use_of_force.war_risk": 0.03272575053013892,
        "actors.A.initial_rung": "use_of_force",
        "actors.B.initial_rung": "use_of_force",
        "actors.B.war_cost": {"uniform": [0.3333333333333333, 0.6775706619684432], "types": 3},
        "actors.B.resolve": None,
        "condition": "channel_closed",
    },
    {"actors.A.war_cost": 0.5370732993929958, "actors.A.resolve": None},
    {"actors.A.war_cost": 0.4337242431732121, "actors.A.resolve": None},
)


#: A second counterexample under the default term (5 December 2026), found by the default-tier
#: property in a full test run (then shrunk by hypothesis): both powers at use_of_force (war
#: risk 0.088), A at a capability of 7.5 against 10 holding 0.34, B's cost private in
#: [0.354, 0.615]; shifting A's private cost grid down by 0.161 lowers its mean realised share
#: from 0.496 to 0.402 (paired −0.093, SE 0.007, 2,000 runs, seed 17; −0.104 since 5 December
#: 2026). Under ``hold`` the same pair gains +0.113 (SE 0.005; +0.106): the repaired term
#: removes one counterexample and has one of its own, both open (docs/decision-v2.md §3.7).
COUNTEREXAMPLE_BEST_2 = (
    {
        "run.rounds": 12,
        "stakes.status_quo": {"A": 0.34},
        "actors.A.capability": 7.5,
        "ladder.rungs.use_of_force.war_risk": 0.08808359691041392,
        "actors.A.initial_rung": "use_of_force",
        "actors.B.initial_rung": "use_of_force",
        "actors.B.war_cost": {"uniform": [0.35386178812602903, 0.6150386564477368], "types": 3},
        "actors.B.resolve": None,
        "condition": "channel_open",
    },
    {
        "actors.A.war_cost": {"uniform": [0.35, 0.6929443373847572], "types": 3},
        "actors.A.resolve": None,
    },
    {
        "actors.A.war_cost": {"uniform": [0.1888939738278886, 0.5318383112126459], "types": 3},
        "actors.A.resolve": None,
    },
)


#: A third counterexample under the default term, found by the slow property at scale in CI
#: (5 December 2026): both powers at use_of_force (war risk 0.029), A weak (capability 5 against
#: 10) holding 0.31, B's cost private in [0.307, 0.703], the channel open; lowering A's point
#: cost of war from 0.396 to 0.125 lowers its mean realised share from 0.607 to 0.459 (paired
#: −0.148, SE 0.005, 2,000 runs, seed 17). The mechanism, from the event logs: the two offers
#: of round 1 are posted at once (A asks 0.645, B offers A 0.000 or 0.208); B's offer to the less
#: resolved A is nothing, so that A waits and B accepts A's demand (94% of runs); the more
#: resolved A is offered 0.208, and where B's claim reveals a low cost A takes that offer before
#: B answers A's demand (40% of runs), though a B of that cost accepts the demand in the other
#: arm. So A's model of B's acceptance is too pessimistic and being offered something costs A.
#: Under ``hold`` the pair gains +0.218 (SE 0.002); under ``mutual`` it loses −0.080 (0.004).
COUNTEREXAMPLE_BEST_3 = (
    {
        "run.rounds": 12,
        "stakes.status_quo": {"A": 0.31},
        "actors.A.capability": 5.0,
        "ladder.rungs.use_of_force.war_risk": 0.028960155205820567,
        "actors.A.initial_rung": "use_of_force",
        "actors.B.initial_rung": "use_of_force",
        "actors.B.war_cost": {"uniform": [0.307051191783551, 0.7031943452783173], "types": 3},
        "actors.B.resolve": None,
        "condition": "channel_open",
    },
    {"actors.A.war_cost": 0.39614315349476625, "actors.A.resolve": None},
    {"actors.A.war_cost": 0.12520393948713526, "actors.A.resolve": None},
)


@pytest.mark.parametrize(
    "pair",
    [
        pytest.param(with_hold(COUNTEREXAMPLE), id="COUNTEREXAMPLE-under-hold"),
        pytest.param(COUNTEREXAMPLE_BEST, id="COUNTEREXAMPLE_BEST"),
        pytest.param(COUNTEREXAMPLE_BEST_2, id="COUNTEREXAMPLE_BEST_2"),
        pytest.param(COUNTEREXAMPLE_BEST_3, id="COUNTEREXAMPLE_BEST_3"),
    ],
)
def test_the_counterexamples_of_the_resolve_property(pair):
    """Open findings (docs/decision-v2.md §3.7): more resolve lowers A's share in each of these
    disputes, under the term it was found under, beyond the property's bound, deterministically.
    A change that removes one fails here, so that it is noticed: its case then moves to the
    property's own list."""
    mean, se, arms = resolve_difference(pair, 2000)
    assert mean < -BOUND * se - SLACK, (mean, se, arms)


@pytest.mark.parametrize(
    "pair",
    [
        pytest.param(COUNTEREXAMPLE, id="COUNTEREXAMPLE-under-best"),
        pytest.param(with_hold(COUNTEREXAMPLE_BEST_2), id="COUNTEREXAMPLE_BEST_2-under-hold"),
        pytest.param(with_hold(COUNTEREXAMPLE_BEST_3), id="COUNTEREXAMPLE_BEST_3-under-hold"),
    ],
)
def test_the_counterexamples_hold_under_the_other_term(pair):
    """Under the other quit term the property holds on :data:`COUNTEREXAMPLE` (+0.179, paired
    SE 0.013, ``scripts/resolve_counterexample.py``), on :data:`COUNTEREXAMPLE_BEST_2`
    (+0.113, SE 0.005; +0.106 since 5 December 2026) and on :data:`COUNTEREXAMPLE_BEST_3`
    (+0.218, SE 0.002)."""
    assert check_resolve_property(pair, 2000) > 0.0


#: The worst example of the slow property's seeded draw (its 43 disputes, 5 December 2026):
#: paired −0.0075, SE 0.0014. The draw is fixed, so this is the regression bound: a change of
#: the model that makes one of its disputes violate the property more fails the test.
WORST_IN_DRAW = -0.0075


@pytest.mark.slow
@seed(SEED)
@settings(PROPERTY, max_examples=40)
@given(pair=resolve_pairs())
@example(pair=FOUND[0])
@example(pair=FOUND[1])
@example(pair=COUNTEREXAMPLE)
def test_more_resolve_does_not_lower_a_powers_expected_share_at_scale(pair):
    """As the default-tier property, over 40 examples of N = 2,000 replications each, against a
    weaker bound: the property is violated at scale (an open finding, pinned by the strict
    counterexample tests above), so what is asserted is that no example of this draw violates
    it by more than the draw's own worst (:data:`WORST_IN_DRAW`, −0.0075) beyond 4 paired SE:
    a change of the model that makes one of them worse fails here. (It was an xfail that could
    not fail; then, for a day, a bound at the worst known violation anywhere, −0.148, which a
    fixed draw whose worst is −0.0075 could hardly cross.) The draw is seeded with the
    module's seed, not derandomised from this source, whose every edit drew 40 other disputes:
    the draw that found :data:`COUNTEREXAMPLE_BEST_3` in CI was one of those."""
    common, less, more = pair
    mean, se = paired(shares_of({**common, **more}, 2000), shares_of({**common, **less}, 2000))
    event(sign(mean))
    assert mean >= WORST_IN_DRAW - BOUND * se - SLACK, (mean, se)


# -- red lines ------------------------------------------------------------------------------------
def climbs(spec: Scenario, n: int, condition: str = "channel_open") -> tuple[Any, np.ndarray]:
    """B's deliberate climbs per round it decided, per replication, and the run.

    B decides in every round until the crisis ends, so its decisions number ``end_round``.
    """
    run = run_batch(spec, seed=SEED, replications=n, condition=condition)
    ev = run.events
    up = ev[(ev["kind"] == "escalation") & (ev["actor"] == "B") & (ev["cause"] == "deliberate")]
    count = up.groupby("replication").size().reindex(range(n), fill_value=0).to_numpy()
    out = run.outcome.sort_values("replication")
    return run, count / out["end_round"].to_numpy()


def red_line(line: str, **settings_: Any) -> Scenario:
    """generic-dispute, both powers ``bargaining`` unless given, 20 rounds, B's red line at
    ``line``."""
    return with_settings(
        bargaining_dispute(), {"run.rounds": 20, "actors.B.red_line": line, **settings_}
    )


def test_a_crossed_red_line_makes_the_deterrer_answer():
    """B a ``deterrer``, A a ``hardliner`` (it climbs when it sees B climb or above it), N =
    1,000. With B's red line on the war rung B never climbs deliberately (the rule climbs only
    at or above the line, and A at war has ended the crisis; a climb on a misperceived war
    rung is not deliberate). With it at ``display``, which A reaches when it answers a
    misperceived climb, B answers: its climbs per round are higher by more than 4 paired SE
    (Schelling 1966's commitment, carried out). Measured at seed 17 (re-measured after step
    6c): 0 and 0.304 climbs per round (SE 0.0082); the answer spirals with the hardliner, 169
    wars in 1,000 runs become 596."""
    deterrer = {"actors.B.policy": {"name": "deterrer"}, "actors.A.policy": {"name": "hardliner"}}
    _, unreachable = climbs(red_line("war", **deterrer), 1000)
    _, crossed = climbs(red_line("display", **deterrer), 1000)
    assert (unreachable == 0).all()
    mean, se = paired(crossed, unreachable)
    assert mean > BOUND * se > 0, (mean, se)


def test_a_crossed_red_line_makes_the_bargaining_policy_climb_more_often():
    """Both powers ``bargaining``, B with audience cost 0.5; A opens the dispute with a threat,
    so a red line at ``threat`` is crossed from round 1, one on the war rung never (N = 2,000).
    Not answering a crossed line costs B its audience cost (Fearon 1997's tied hands,
    ``bg.ladder_utilities``), so over the run B climbs more often per round it decides: the
    paired difference exceeds 4 SE. Measured at seed 17: 0.153 climbs per round uncrossed,
    0.561 crossed, a difference of 0.408 (SE 0.0104); before the fallback and accepting
    changed (docs/decision-v2.md §11), 0.0662 and 0.0900."""
    _, unreachable = climbs(red_line("war", **{"actors.B.audience_cost": 0.5}), 2000)
    _, crossed = climbs(red_line("threat", **{"actors.B.audience_cost": 0.5}), 2000)
    mean, se = paired(crossed, unreachable)
    assert mean > BOUND * se > 0, (mean, se)


def test_a_crossed_red_line_is_answered_more_often_in_the_round_it_is_seen():
    """Round 1 of the previous test's dispute (N = 1,000): both runs see the same round, and
    the crossing lowers only holding's and stepping down's values, by B's audience cost. The
    logit's inverse CDF puts the climbs last (``bg.OPTIONS``), so with the same draw a
    replication in which B climbs with the line uncrossed climbs with it crossed, unless the
    crossing makes A's standing offer B's best option, which B then accepts (a best response):
    a red line ties hands against holding, not against settling. So every replication that
    climbs only uncrossed settles crossed, and B climbs more often. Measured at seed 17: 0.118
    uncrossed, 0.653 crossed (paired SE 0.0158); 535 replications climb only crossed, none only
    uncrossed, so the first assertion has no replication to check at this seed (it is stated
    because it is what the rule guarantees; the rule itself is tested at the policy level,
    ``tests/test_bargaining_policy.py::
    test_a_best_offer_is_accepted_as_a_best_response_and_a_worse_one_stays_in_the_logit``).
    It failed when first written (0.108 uncrossed, 0.080 crossed): accepting a best offer then
    removed only the options tied with it, and holding, lowered below the tie, re-entered the
    logit (docs/decision-v2.md §11)."""
    spec = {"run.rounds": 1, "actors.B.audience_cost": 0.5}
    _, unreachable = climbs(red_line("war", **spec), 1000)
    run, crossed = climbs(red_line("threat", **spec), 1000)
    only_uncrossed = (unreachable > 0) & (crossed == 0)
    outcome = run.outcome.sort_values("replication")["outcome"].to_numpy()
    assert (outcome[only_uncrossed] == "settlement").all()
    mean, se = paired(crossed, unreachable)
    assert mean > BOUND * se > 0, (mean, se)
