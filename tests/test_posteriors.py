"""Types and posteriors over them, beside version 1's beliefs (issue 17, wiring step 4).

docs/decision-v2.md §3.3, §3.4, §4: each replication draws the powers' joint types (cost of
war, honesty) once from its type stream; each power holds a posterior over the other's types,
updated in phase 5 on the other's perceived move (``posterior``) and on its deliberate move
(``posterior_true``). In these scenarios the other's policy reads no type field (version 1's
policies, ``Crisis.move_choice``'s shortcut), so in a run the posterior stays at the prior; the
update itself is checked here with type-dependent choice probabilities handed to the crisis
directly (the round's own type-dependent choices: ``tests/test_round_bargaining.py``).

Three tiers:

* reproducibility: the same seed gives the same types and posteriors; a replication gives the
  same alone as inside an ensemble; the types are the same in every condition, twin and
  perfect-information run;
* invariants under any seed and scenario (hypothesis, tests/strategies.py): a posterior is a
  distribution (non-negative, sums to 1 within 1e-12, no NaN), a type without prior mass stays
  impossible, a type with prior mass stays possible, a point prior stays a point;
* known answers: the posterior after a sequence of moves is the hand-computed Bayes update, with
  and without noise, implementation error, friction, incidents and noisy attribution; the
  drawn types' frequencies match the prior.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalsim.batch import run_batch
from escalsim.core import bargaining as bg
from escalsim.core.params import schedule
from escalsim.core.streams import BlockLayout
from escalsim.model.rounds import Crisis, Streams
from escalsim.scenario import Scenario, load_scenario, load_text, with_condition
from escalsim.scenario.load import with_settings
from strategies import scenario_dicts

ETA, EPS = bg.LIKELIHOOD_FLOOR, bg.TYPE_REDRAW


def crisis(
    spec: Scenario,
    seed: int,
    reps: Any,
    perfect_information: bool = False,
    choice: np.ndarray | None = None,
) -> Crisis:
    """A crisis of its own streams (as the mesa face builds one), its rows never compacted."""
    sched = schedule(spec)
    reps = np.asarray(reps, dtype=np.int64)
    layout = BlockLayout.of(spec)
    streams = Streams(seed, reps, layout, spec.run.rounds)
    detail = np.ones(len(reps), dtype=bool)
    c = Crisis(spec, sched, streams, reps, detail, perfect_information, solo=True, compact=False)
    if choice is not None:
        c.move_choice = lambda *_: choice  # type: ignore[method-assign]
    return c


def run_to_end(c: Crisis) -> Crisis:
    while not c.over:
        c.step()
    return c


# -- a small scenario for the known answers ------------------------------------------------------
def two_powers(
    moves_a: list[str],
    moves_b: list[str],
    *,
    noise: float = 0.0,
    error: float = 0.0,
    friction: float = 0.0,
    incident: float = 0.0,
    attribution: str = "naive",
) -> Scenario:
    """Two scripted powers on a 13-rung ladder without war, starting in the middle.

    A's cost of war is a point (1.0) and its honesty 0.5; B's cost is 0.5 or 2.0 (prior 0.25,
    0.75) and B is never honest: B's joint types are (0.5, 2.0, honest 0.5, honest 2.0) with
    prior (0.25, 0.75, 0, 0); A's (1.0, its zero-mass pad, honest 1.0, pad), prior (.5, 0, .5, 0).
    """
    rounds = max(len(moves_a), len(moves_b)) + 1
    rungs = [
        {"name": f"r{k}", "cost": 0.0, "incident_risk": incident, "war_risk": 0.0}
        for k in range(13)
    ]

    def power(ident: str, moves: list[str], cost: Any, honesty: float) -> dict[str, Any]:
        return {
            "id": ident,
            "name": ident,
            "role": "power",
            "capability": 1.0,
            "war_cost": cost,
            "honesty": honesty,
            "initial_rung": 6,
            "policy": {"name": "scripted", "moves": moves},
        }

    data = {
        "schema_version": 2,
        "id": "known",
        "name": "known",
        "run": {"rounds": rounds, "time_unit": "day"},
        "ladder": {"rungs": rungs, "war_rung": None, "jump": 2, "deescalation_friction": friction},
        "endings": {"settlement_rounds": None, "capitulation": False},
        "accidents": {"implementation_error": error, "incident_scale": 1.0},
        "beliefs": {"attribution": attribution},
        "actors": [
            power("A", moves_a, 1.0, 0.5),
            power("B", moves_b, {"grid": [0.5, 2.0], "prior": [0.25, 0.75]}, 0.0),
        ],
        "channels": [{"id": "public", "kind": "public", "noise": noise, "misread": 0.0}],
    }
    return load_text(json.dumps(data), "known.yaml")


def type_dependent_choice() -> np.ndarray:
    """P(intended move | what it saw of the other's move, type) ``[S, K = 4, 3]``.

    Types 0 and 2 (the low cost) reciprocate: they climb after a climb (0.8), step down after a
    step down (0.6), mostly hold after a hold. Types 1 and 3 (the high cost) never climb.
    """
    recip = np.array([[0.6, 0.4, 0.0], [0.1, 0.8, 0.1], [0.0, 0.2, 0.8]])
    dove = np.array([0.5, 0.5, 0.0])
    choice = np.empty((3, 4, 3))
    for s in range(3):
        choice[s, [0, 2]] = recip[s]
        choice[s, [1, 3]] = dove
    return choice


def hand_matrices(e: float, phi: float, n: float, iota: float) -> tuple[np.ndarray, np.ndarray]:
    """M (intended -> made) and O (made -> perceived) written out from the design (§3.4).

    Inside the ladder: an intended step is reversed with probability e, a hold becomes a step
    either way with e/2; a made step down is held back with probability φ. The observation is
    one rung off with probability n (either way n/2), after an unexplained incident adds a rung
    with probability ι; the perceived move is the sign of the apparent change.
    """
    m = np.array(
        [
            [(1 - e) * (1 - phi), (1 - e) * phi, e],
            [e / 2 * (1 - phi), 1 - e + e / 2 * phi, e / 2],
            [e * (1 - phi), e * phi, 1 - e],
        ]
    )
    o0 = np.array([[1 - n / 2, n / 2, 0], [n / 2, 1 - n, n / 2], [0, n / 2, 1 - n / 2]])
    shifted = np.array([o0[1], o0[2], [0.0, 0.0, 1.0]])  # the change seen one rung higher
    return m, (1 - iota) * o0 + iota * shifted


def hand_posterior(
    prior: np.ndarray,
    choice: np.ndarray,
    seen: list[np.ndarray],
    observed: list[int],
    m: np.ndarray,
    o: np.ndarray,
) -> np.ndarray:
    """Bayes by hand: L(o|θ) = Σ_s w_s Σ_m P(m|θ,s) Σ_b M[m,b] O[b,o]; floor; redraw."""
    post = prior.copy()
    for w, obs in zip(seen, observed, strict=True):
        lik = np.zeros(len(prior))
        for k in range(len(prior)):
            for s in range(3):
                for a in range(3):
                    for b in range(3):
                        lik[k] += w[s] * choice[s, k, a] * m[a, b] * o[b, obs + 1]
        lik = (1 - ETA) * lik + ETA / 3
        post = post * lik / (post * lik).sum()
        post = (1 - EPS) * post + EPS * prior
    return post


def onehot(move: int) -> np.ndarray:
    return np.eye(3)[int(np.sign(move)) + 1]


# -- known answers ---------------------------------------------------------------------------------
def test_posterior_after_a_sequence_of_moves_is_hand_bayes_without_noise():
    """Quiet: every move is seen as made, so A's posterior about B is the product of the chosen
    moves' probabilities per type (with the floor and the redraw), round after round."""
    moves_b = ["step_up", "hold", "step_up", "step_down", "hold", "step_up"]
    spec = two_powers(["hold"] * 6, moves_b)
    choice = type_dependent_choice()
    c = crisis(spec, 3, [0], choice=choice)
    prior_b = np.array([0.25, 0.75, 0.0, 0.0])
    np.testing.assert_array_equal(c.type_prior[1], prior_b)
    np.testing.assert_array_equal(c.posterior[0, 0], prior_b)
    observed = []
    for t in range(1, len(moves_b) + 2):
        c.begin_round()
        if t >= 2:
            observed.append(int(c.perceived_move[0, 0, 1]))
        c.finish_round()
    # B's moves of rounds 1-6 are perceived in rounds 2-7, as made (no noise, no error).
    assert observed == [1, 0, 1, -1, 0, 1]
    seen = [onehot(0)] * len(observed)  # A always held: B saw A hold
    expected = hand_posterior(prior_b, choice, seen, observed, np.eye(3), np.eye(3))
    np.testing.assert_allclose(c.posterior[0, 0], expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(c.posterior_true[0, 0], c.posterior[0, 0])
    # Three climbs against one step down: the reciprocating (low-cost) types gained.
    assert expected[0] > prior_b[0]
    assert expected[2] == 0.0
    assert expected[3] == 0.0


@pytest.mark.parametrize("attribution", ["naive", "noisy"])
def test_posterior_with_noise_errors_friction_and_incidents_is_hand_bayes(attribution):
    """Noise 0.2, implementation error 0.1, friction 0.3, incidents 0.05: the likelihood runs
    through M and O (written out by hand here), and what B saw of A's move two rounds before
    the observation (naive: as made; noisy: through the noise). The truth posterior updates on
    B's deliberate move, with only friction between choice and move."""
    moves_a = ["step_up", "hold", "step_down", "hold", "step_up", "hold", "hold"]
    moves_b = ["hold", "step_up", "step_up", "hold", "step_down", "hold", "hold"]
    n, e, phi, iota = 0.2, 0.1, 0.3, 0.05
    spec = two_powers(
        moves_a, moves_b, noise=n, error=e, friction=phi, incident=iota, attribution=attribution
    )
    choice = type_dependent_choice()
    c = crisis(spec, 11, [0], choice=choice)
    a_rung, shown, shown_true, observed, observed_true = [6], [0], [0], [], []
    for t in range(1, len(moves_b) + 2):
        c.begin_round()
        if t >= 2:
            observed.append(int(c.perceived_move[0, 0, 1]))
            observed_true.append(int(np.sign(c.deliberate_change[0, 1])))
        c.finish_round()
        a_rung.append(int(c.rung[0, 0]))
        shown.append(int(np.sign(a_rung[-1] - a_rung[-2])))
        shown_true.append(int(np.sign(c.deliberate_change[0, 0])))
    m, o = hand_matrices(e, phi, n, iota)
    _, o_plain = hand_matrices(e, phi, n, 0.0)
    # Observation t (t = 2, 3, ...) is B's move of round t - 1, chosen on A's move of t - 2.
    rounds = range(2, len(moves_b) + 2)
    if attribution == "naive":
        seen = [onehot(shown[t - 2]) for t in rounds]
    else:
        seen = [o_plain[shown[t - 2] + 1] for t in rounds]
    prior_b = np.array([0.25, 0.75, 0.0, 0.0])
    expected = hand_posterior(prior_b, choice, seen, observed, m, o)
    np.testing.assert_allclose(c.posterior[0, 0], expected, rtol=1e-12, atol=1e-15)
    m_true, _ = hand_matrices(0.0, phi, 0.0, 0.0)
    seen_true = [onehot(shown_true[t - 2]) for t in rounds]
    expected_true = hand_posterior(prior_b, choice, seen_true, observed_true, m_true, np.eye(3))
    np.testing.assert_allclose(c.posterior_true[0, 0], expected_true, rtol=1e-12, atol=1e-15)
    # The noise made something of the run differ from the truth (else the test shows little).
    assert observed != observed_true or not np.allclose(expected, expected_true)


def test_with_point_types_the_posterior_never_moves():
    """A's cost is a point: whatever B sees, its mean of A's cost stays 1.0, and the mass of
    A's zero-prior padding stays 0; with honesty a point too (0 or 1), the whole belief stays,
    while A's belief about B (two possible costs) moves on the same kind of evidence."""
    choice = type_dependent_choice()
    spec = two_powers(["step_up", "step_down"] * 3, ["hold"] * 6, noise=0.3, error=0.2)
    c = run_to_end(crisis(spec, 5, range(4), choice=choice))
    np.testing.assert_allclose(bg.posterior_mean(c.posterior[:, 1], c.type_grid[0]), 1.0)
    assert (c.posterior[:, 1, [1, 3]] == 0.0).all()
    assert not np.allclose(c.posterior[:, 0], c.type_base[0])  # B's moves were informative
    degenerate = json.loads(json.dumps(spec.model_dump(mode="json")))
    degenerate["actors"][0]["honesty"] = 1.0
    d = run_to_end(crisis(load_text(json.dumps(degenerate), "d.yaml"), 5, range(4), choice=choice))
    np.testing.assert_allclose(d.posterior[:, 1], np.tile([0.0, 0.0, 1.0, 0.0], (4, 1)))
    assert (d.posterior[:, 1, [0, 1, 3]] == 0.0).all()


def test_a_run_leaves_the_posterior_at_the_prior():
    """Reciprocal powers read no type field, so their moves carry no information about their
    types and every posterior's cost marginal stays at the other's prior (to rounding), in the
    shipped scenarios with a prior over types (their powers given tit-for-tat); the timeseries
    column is the prior mean of the other's cost. Agreements concluded and broken are evidence
    about the honesty type only (step 6c): the posterior is the prior reweighted on honesty."""
    for name in ("geneva-2022", "hotline-1963"):
        spec = load_scenario(name)
        a, b = (x.id for x in spec.actors if x.role == "power")
        tft = {"name": "reciprocal"}
        spec = with_settings(spec, {f"actors.{a}.policy": tft, f"actors.{b}.policy": tft})
        c = run_to_end(crisis(spec, 1, range(8)))
        n = c.type_grid.shape[1] // 2
        base = np.broadcast_to(c.type_base, c.posterior.shape)
        for post in (c.posterior, c.posterior_true):
            np.testing.assert_allclose(
                post[..., :n] + post[..., n:], base[..., :n] + base[..., n:], atol=1e-12
            )
            for part in (slice(0, n), slice(n, None)):  # within each honesty class: the prior
                within = post[..., part] / post[..., part].sum(axis=-1, keepdims=True)
                prior = base[..., part] / base[..., part].sum(axis=-1, keepdims=True)
                np.testing.assert_allclose(within, prior, atol=1e-12)
        ts = run_batch(spec, seed=1, replications=3).timeseries
        powers = ts[ts.role == "power"]
        mean = bg.posterior_mean(c.type_prior, c.type_grid)  # each power's prior mean cost
        expected = np.where(powers.actor == c.params.ids[c.params.power_a], mean[1], mean[0])
        np.testing.assert_allclose(powers.posterior_mean_cost, expected, rtol=1e-12)
        assert ts[ts.role == "third_party"].posterior_mean_cost.isna().all()


def test_drawn_types_match_the_prior():
    """geneva-2022, 10,000 replications of seed 1: each joint type's share is within 4 binomial
    standard errors sqrt(π(1 - π)/N) of its prior π (at most 0.005 here; 12 cells, so a chance
    failure has probability about 12 × 6e-5), and a type without prior mass is never drawn."""
    n = 10_000
    c = crisis(load_scenario("geneva-2022"), 1, range(n))
    for k in range(2):
        share = np.bincount(c.own_type[:, k], minlength=c.type_prior.shape[1]) / n
        prior = c.type_prior[k]
        se = np.sqrt(prior * (1 - prior) / n)
        assert (np.abs(share - prior) <= 4 * se).all(), (share, prior)
        np.testing.assert_array_equal(c.war_cost[:, k], c.type_grid[k, c.own_type[:, k]])
        honest = c.type_honest[k, c.own_type[:, k]]
        assert abs(honest.mean() - c.params.honesty[c.powers[k]]) <= 4 * np.sqrt(0.25 / n)


# -- reproducibility -----------------------------------------------------------------------------
def test_same_seed_same_types_and_posteriors():
    spec = two_powers(["step_up", "hold"] * 3, ["hold", "step_down"] * 3, noise=0.2, error=0.1)
    choice = type_dependent_choice()
    one = run_to_end(crisis(spec, 9, range(6), choice=choice))
    two = run_to_end(crisis(spec, 9, range(6), choice=choice))
    for name in ("own_type", "war_cost", "posterior", "posterior_true"):
        np.testing.assert_array_equal(getattr(one, name), getattr(two, name), err_msg=name)


def test_a_replication_alone_equals_it_inside_an_ensemble():
    spec = two_powers(["step_up", "hold"] * 3, ["hold", "step_down"] * 3, noise=0.2, error=0.1)
    choice = type_dependent_choice()
    among = run_to_end(crisis(spec, 9, range(8), choice=choice))
    for r in (0, 5):
        alone = run_to_end(crisis(spec, 9, [r], choice=choice))
        for name in ("own_type", "war_cost", "posterior", "posterior_true"):
            np.testing.assert_array_equal(getattr(alone, name)[0], getattr(among, name)[r])


def test_types_are_the_same_in_every_condition_twin_and_perfect_information_run():
    base = load_scenario("geneva-2022")
    reps = np.arange(32)
    ref = crisis(base, 4, reps)
    runs = [crisis(with_condition(base, cond), 4, reps) for cond in base.condition_names]
    runs.append(crisis(base, 4, reps, perfect_information=True))
    # In the ensembles a twin shares its run's streams.
    sched = schedule(base)
    streams = Streams(4, reps, BlockLayout.of(base), 26)
    hidden = np.zeros(len(reps), dtype=bool)
    runs += [Crisis(base, sched, streams, reps, hidden, pi) for pi in (False, True)]
    for c in runs:
        np.testing.assert_array_equal(c.own_type, ref.own_type)
        np.testing.assert_array_equal(c.war_cost, ref.war_cost)
    assert len(np.unique(ref.own_type[:, 0])) > 1  # the draws differ between replications


def test_without_noise_the_run_believes_what_its_twin_does():
    """Quiet (no noise, errors or incidents), type-dependent choices: the run's posterior, its
    truth posterior and the perfect-information twin's are equal bit for bit (docs/validation.md
    compares a quiet run's timeseries with its twin's value for value)."""
    moves = ["step_up", "hold", "step_down", "step_up", "hold", "hold"]
    spec = two_powers(moves, moves[::-1], friction=0.4)
    choice = type_dependent_choice()
    run = run_to_end(crisis(spec, 2, range(5), choice=choice))
    twin = run_to_end(crisis(spec, 2, range(5), perfect_information=True, choice=choice))
    np.testing.assert_array_equal(run.posterior, run.posterior_true)
    np.testing.assert_array_equal(run.posterior, twin.posterior)
    np.testing.assert_array_equal(twin.posterior, twin.posterior_true)
    assert not np.allclose(run.posterior[:, 0], run.type_base[0])  # the moves were informative


def test_compaction_and_detach_carry_the_new_state():
    c = crisis(load_scenario("geneva-2022"), 3, range(6), choice=None)
    c.posterior[:, 0, 0] = np.arange(6)  # mark the rows
    frozen = c.detach(np.array([False, True, False, False, True, False]))
    np.testing.assert_array_equal(frozen.posterior[:, 0, 0], [1, 4])
    c.finished[[0, 2]] = True
    c._compact()
    np.testing.assert_array_equal(c.posterior[:, 0, 0], [1, 3, 4, 5])
    assert c.own_type.shape == (4, 2)
    assert c.other_rung_seen.shape == (4, 2, 2)
    per_row = c.state_nbytes() / 4
    k = c.type_prior.shape[1]
    assert per_row >= 2 * 2 * k * 8 + 2 * 2 * 8  # posterior, posterior_true, own_type, war_cost


# -- invariants (hypothesis) ---------------------------------------------------------------------
COST = st.floats(0.0, 5.0)


@st.composite
def typed_scenarios(draw: st.DrawFn) -> tuple[Scenario, np.ndarray]:
    """A generated scenario whose power A has a prior over types (point, uniform, a grid with
    zero weights, or a resolve prior), and type-dependent choice probabilities for it."""
    data = scenario_dicts()
    raw = draw(data)
    actor = raw["actors"][0]
    form = draw(st.sampled_from(["point", "uniform", "grid", "resolve"]))
    actor.pop("resolve")
    if form == "point":
        actor["war_cost"] = draw(COST)
    elif form == "uniform":
        lo = draw(COST)
        actor["war_cost"] = {"uniform": [lo, lo + draw(COST)], "types": draw(st.integers(1, 5))}
    elif form == "grid":
        grid = sorted(draw(st.lists(COST, min_size=1, max_size=5, unique=True)))
        weights = np.array(
            draw(st.lists(st.sampled_from([0, 1, 2, 3]), min_size=len(grid), max_size=len(grid))),
            dtype=float,
        )
        weights[draw(st.integers(0, len(grid) - 1))] = 1.0  # at least one type possible
        actor["war_cost"] = {"grid": grid, "prior": (weights / weights.sum()).tolist()}
    else:
        lo = draw(st.floats(0.0, 0.9))
        actor["resolve"] = {"uniform": [lo, draw(st.floats(lo, 1.0))], "types": 3}
    actor["honesty"] = draw(st.sampled_from([0.0, 1.0, draw(st.floats(0.0, 1.0))]))
    spec = load_text(json.dumps(raw), "generated.yaml")
    k = 2 * schedule(spec).params_at[0].cost_types.shape[1]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    choice = rng.dirichlet(np.full(3, 0.5), size=(3, k))
    choice[rng.random((3, k)) < 0.3] = np.eye(3)[rng.integers(0, 3)]  # some certain choices
    return spec, choice


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(case=typed_scenarios(), seed=st.integers(0, 2**32 - 1), perfect=st.booleans())
def test_posteriors_stay_distributions_under_any_scenario(case, seed, perfect):
    spec, choice = case
    for move_choice in (choice, None):  # type-dependent, and the run's own
        c = crisis(spec, seed, [0, 1], perfect_information=perfect, choice=move_choice)
        base = c.type_base
        point = (base > 0).sum(axis=1) == 1
        while not c.over:
            c.step()
            for post in (c.posterior, c.posterior_true):
                assert np.isfinite(post).all()
                assert (post >= 0).all()
                np.testing.assert_allclose(post.sum(axis=-1), 1.0, rtol=0, atol=1e-12)
                assert (post[:, base == 0] == 0).all()  # impossible types stay impossible
                # Possible ones stay possible, above the redraw's floor, where no agreement
                # (evidence about honesty, folded in when it happens, after the round's redraw)
                # was concluded.
                quiet = c.counts["agreements"] == 0
                assert (post[quiet] >= EPS * base * (1 - 1e-9)).all()
                for k in np.flatnonzero(point):  # a point prior stays the point
                    np.testing.assert_allclose(post[:, k], base[[k, k]], atol=1e-12)
        if move_choice is None:
            # The run's own choices: a holder whose other reads no type field (or has point
            # types) learns nothing from moves (step 5a: brinkmanship on a resolve grid does),
            # nor from claims where none are made (step 5c), nor from agreements where none was
            # concluded (step 6c).
            quiet = c.counts["agreements"] == 0
            for h in range(2):
                if not c._type_dependent(1 - h) and not c.claims:
                    np.testing.assert_allclose(
                        c.posterior[quiet, h],
                        np.broadcast_to(base[h], (int(quiet.sum()), base.shape[1])),
                        atol=1e-12,
                    )
