"""The round fills the bargaining fields of the powers' observations (issue 17, wiring step 5a).

docs/decision-v2.md §3.1, §3.3, §3.4, §12 step 5, "As built in step 5a": each power's
``Observation`` carries its posterior over the other's joint types (the truth's posterior in the
truth half), its drawn cost of war, its war value ``W = (p − c)/(1 − δ)`` with this round's win
probability, its resolve ``1/(1 − p + c)`` and whether its red line is crossed; third parties
keep the defaults. ``Crisis.move_choice`` evaluates the other power's policy per type, so a
policy whose moves depend on its type (``bargaining``, ``brinkmanship``) makes them informative.

Three tiers:

* reproducibility: a replication alone equals it inside an ensemble; the mesa face's frames are
  ``run_batch``'s; the stacked observation is the perceived and the true one;
* invariants: the fields are consistent with each other and with the crisis's state in every
  row and round; ``move_choice`` is a distribution over the three moves;
* known answers: a point resolve comes back as the scenario's resolve; the posterior stays at
  the prior when the other's policy does not read its type (exactly: the update is skipped for
  a type-independent distribution, which cancels in Bayes' rule) and moves when it does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from escalsim.agents import EscalationModel
from escalsim.batch import run_batch
from escalsim.core import bargaining as bg
from escalsim.core.params import schedule, win_probabilities
from escalsim.core.streams import BlockLayout
from escalsim.model.rounds import Crisis, Streams
from escalsim.scenario import Scenario, load_scenario, load_text, with_condition
from escalsim.scenario.load import with_settings

ROOT = Path(__file__).resolve().parents[1]
REPS = [6, 0, 11, 3, 9]


def with_policy(name: str, policy: dict[str, Any], **actor: Any) -> Scenario:
    """A shipped scenario with both powers given ``policy`` (doctrines dropped) and ``actor``."""
    data = yaml.safe_load((ROOT / "scenarios" / f"{name}.yaml").read_text())
    for a in data["actors"]:
        if a["role"] == "power":
            a.pop("doctrine", None)
            a["policy"] = policy
            a.update(actor)
    return load_text(json.dumps(data), f"{name}-{policy['name']}.yaml")


def bargaining_dispute() -> Scenario:
    """generic-dispute with both powers ``bargaining`` (five resolve types each)."""
    return with_policy("generic-dispute", {"name": "bargaining"})


def crisis(spec: Scenario, seed: int, reps: Any, perfect_information: bool = False) -> Crisis:
    """A crisis of its own streams (as the mesa face builds one), its rows never compacted."""
    sched = schedule(spec)
    reps = np.asarray(reps, dtype=np.int64)
    layout = BlockLayout.of(spec)
    streams = Streams(seed, reps, layout, spec.run.rounds)
    detail = np.ones(len(reps), dtype=bool)
    return Crisis(spec, sched, streams, reps, detail, perfect_information, solo=True, compact=False)


def test_the_fields_are_filled_and_consistent():
    """Every round of 40 replications: W(1 − δ) + c is the round's win probability (at round 1
    ``params.win_probabilities``, no ally has moved), resolve is 1/(1 − p + c), the posterior
    halves are the crisis's two posteriors, the red line is the perceived or true rung against
    it, unless the power has answered the crossing; the offers are the crisis's (none in
    geneva-2022, where no policy opens the bargaining); a third party keeps NaN."""
    for spec in (bargaining_dispute(), load_scenario("geneva-2022")):
        c = crisis(spec, 3, range(40))
        p = c.params
        delta = float(p.discount)
        p0 = win_probabilities(spec)
        while not c.over:
            c.begin_round()
            for h, i in enumerate(c.powers):
                o = c.observation(int(i), truth=None, pressure=0.0)
                np.testing.assert_array_equal(o.posterior[0], c.posterior[:, h])
                np.testing.assert_array_equal(o.posterior[1], c.posterior_true[:, h])
                np.testing.assert_array_equal(o.war_cost, c.war_cost[:, h])
                win = (1.0 - delta) * o.war_value + o.war_cost
                np.testing.assert_allclose(win, c._win_probabilities()[:, h], rtol=0, atol=1e-12)
                if c.round == 1:
                    np.testing.assert_allclose(win, p0[h], rtol=0, atol=1e-12)
                expected = np.clip(1.0 / (1.0 - win + o.war_cost), 0.0, 1.0)
                np.testing.assert_allclose(o.resolve, expected, rtol=1e-12)
                crossed = np.asarray(o.y) >= p.red_line[i]
                np.testing.assert_array_equal(o.line_crossed, crossed & ~c.line_answered[:, h])
                # The offers as the round holds them: the other's as read and as made.
                np.testing.assert_array_equal(o.own_offer, c.offer[:, h])
                np.testing.assert_array_equal(o.offer_received[0], c.offer_read[:, h])
                np.testing.assert_array_equal(o.offer_received[1], c.offer_read_true[:, h])
                np.testing.assert_array_equal(o.public_demand, c.public_demand[:, h])
                if not c.bargaining:  # geneva-2022: nobody opens, no offer is ever made
                    for name in ("offer_received", "own_offer", "public_demand"):
                        assert np.isnan(getattr(o, name)).all()
                truth = c.observation(int(i), truth=True, pressure=0.0)
                np.testing.assert_array_equal(truth.posterior, c.posterior_true[:, h])
            for k in np.flatnonzero(~np.asarray(p.is_power, dtype=bool)):
                o = c.observation(int(k), truth=None, pressure=0.0)
                assert np.isnan(o.posterior)
                assert np.isnan(o.war_value)
                assert np.isnan(o.resolve)
            c.finish_round()


def test_a_point_resolve_is_the_scenarios_resolve():
    """brinkmanship gives resolves 0.25 and 0.60 as points: the drawn type read back as resolve
    is the declared one (the inverse of ``bg.cost_from_resolve`` at round 0's p)."""
    c = crisis(load_scenario("brinkmanship"), 1, range(4))
    c.begin_round()
    for i, declared in zip(c.powers, (0.25, 0.60), strict=True):
        o = c.observation(int(i), truth=False, pressure=0.0)
        np.testing.assert_allclose(o.resolve, declared, rtol=1e-12)


def test_bargaining_runs_through_run_batch():
    """Both powers ``bargaining``: every replication ends with an outcome, twins too."""
    batch = run_batch(bargaining_dispute(), seed=2, replications=30, twin=True)
    assert len(batch.outcome) == 30
    assert batch.outcome.outcome.notna().all()
    assert len(batch.twin_outcome) == 30


def test_move_choice_is_a_distribution_that_depends_on_the_type():
    """The other power's modelled choices: per world, row, holder, what it saw and type, the
    probabilities of down, hold and up *with the crisis going on* (accepting or a concession
    under capitulation would have ended it): they sum to at most 1, and to 1 exactly where no
    offer stood for the other to accept and it could not have ended the crisis by conceding
    (the mass of ending it is left out, not spread over the moves); bargaining's differ
    between cost types with prior mass."""
    c = crisis(bargaining_dispute(), 4, range(20))
    c.begin_round()
    c.finish_round()
    c.begin_round()
    choice = c.move_choice()
    k = c.type_grid.shape[1]
    assert choice.shape == (2, 20, 2, 3, k, 3)
    assert (choice >= 0).all()
    total = choice.sum(axis=-1)
    assert (total <= 1.0 + 1e-12).all()
    # Not renormalised: where the other might have accepted an offer or conceded (generic-
    # dispute lets a concession end the crisis), the crisis going on is itself evidence.
    assert (total < 1.0 - 1e-9).any()
    # Five cost types (strategic 0-4): the cheapest and the dearest choose differently somewhere.
    assert not np.allclose(choice[..., 0, :], choice[..., 4, :])


def test_posterior_moves_when_the_other_reads_its_type_and_not_otherwise():
    """Both bargaining: some replication's posterior leaves the prior by more than 10⁻⁶ within
    its run (of 40). Two deterrers (generic-dispute's powers given the deterrer's rule) do not
    read their types: the posterior is the prior to the last bit. brinkmanship with point
    resolves: its types differ only in honesty, so its moves say nothing either."""
    moved = crisis(bargaining_dispute(), 5, range(40))
    moved_any = False
    while not moved.over:
        moved.step()
        prior = np.broadcast_to(moved.type_base, moved.posterior.shape)
        moved_any |= bool((np.abs(moved.posterior - prior) > 1e-6).any())
    assert moved_any
    deterrers = with_settings(
        load_scenario("generic-dispute"),
        {"actors.A.policy": {"name": "deterrer"}, "actors.B.policy": {"name": "deterrer"}},
    )
    for spec in (deterrers, load_scenario("brinkmanship")):
        c = crisis(spec, 5, range(40))
        while not c.over:
            c.step()
            for post in (c.posterior, c.posterior_true):
                np.testing.assert_allclose(
                    post, np.broadcast_to(c.type_base, post.shape), rtol=0, atol=1e-12
                )


def test_a_resolve_grid_makes_brinkmanship_informative():
    """brinkmanship now reads its drawn resolve (§6): with a grid of resolves the other's
    concession timing depends on the type, so the modelled choices differ between types."""
    spec = with_policy(
        "brinkmanship", {"name": "brinkmanship"}, resolve={"uniform": [0.1, 0.9], "types": 4}
    )
    c = crisis(spec, 1, range(10))
    informative = []
    while not c.over and c.round < 12:
        c.begin_round()
        if c.round >= 2:
            choice = c.move_choice()
            informative.append(not np.allclose(choice[..., 0, :], choice[..., 3, :]))
        c.finish_round()
    assert any(informative)


def test_a_replication_alone_equals_it_inside_an_ensemble():
    """Round by round while the replication runs (an ended row of an uncompacted crisis keeps
    being stepped, unread): its state alone is its row's among eight."""
    spec = bargaining_dispute()
    for r in (0, 5):
        among = crisis(spec, 9, range(8))
        alone = crisis(spec, 9, [r])
        while not alone.over:
            among.step()
            alone.step()
            for name in ("own_type", "posterior", "posterior_true", "rung", "cumulative_risk"):
                np.testing.assert_array_equal(getattr(alone, name)[0], getattr(among, name)[r])
        assert among.finished[r]


def test_both_faces_agree():
    """The mesa face's frames are run_batch's, bit for bit, with bargaining powers."""
    spec = bargaining_dispute()
    batch = run_batch(spec, seed=5, replications=REPS)
    model = EscalationModel(scenario=spec, seed=5, replications=REPS).run()
    for name in ("outcome", "timeseries", "events"):
        pd.testing.assert_frame_equal(
            getattr(model, name), getattr(batch, name), check_exact=True, obj=name
        )
    agent = model.actor_list[0]
    o = agent.observation(truth=False)
    assert np.shape(o.posterior) == (model.state.type_grid.shape[1],)
    assert isinstance(o.war_value, float)
    assert bg.posterior_mean(o.posterior, model.state.type_grid[1]) > 0


def test_without_noise_or_accidents_bargaining_powers_do_what_their_twin_does():
    """Offers are made in the talks phase, before the round's perception: the truth the twin
    offers on must be as old as what the run sees (the rungs and moves at the last perception),
    or a power that moved last round is seen where it is by the twin only, and a quiet run
    offers differently from its twin (found by `escalsim verify`'s quiet-equals-twin check:
    generic-dispute, seed 5, replication 20 offered 0.0 against the twin's 0.48 in round 3)."""
    from escalsim.validation.checks import quiet

    for condition in ("channel_open", "channel_closed"):
        spec = quiet(with_condition(load_scenario("generic-dispute"), condition))
        run = run_batch(spec, seed=5, replications=60)
        twin = run_batch(spec, seed=5, replications=60, perfect_information=True)
        for frame in ("outcome", "timeseries", "events"):
            a, b = getattr(run, frame), getattr(twin, frame)
            drop = [c for c in ("perfect_information",) if c in a.columns]
            pd.testing.assert_frame_equal(a.drop(columns=drop), b.drop(columns=drop), obj=frame)


def test_noisy_attribution_reads_a_misperceived_move_as_a_misperceived_rung():
    """§3.4: under noisy attribution the holder allows that the other saw its move through the
    channel's noise, and the other (a bargaining power, which reads the holder's rung) is
    modelled at the rung it would then have seen; so the posteriors differ from naive
    attribution's wherever a move is informative, and a noise-free channel makes the two
    identical (the weights are one-hot either way)."""

    def posteriors(attribution: str, noise: float) -> np.ndarray:
        spec = bargaining_dispute()
        spec = with_settings(
            spec,
            {
                "actors.A.attribution": attribution,
                "actors.B.attribution": attribution,
                "channels.public.noise": noise,
                "channels.direct.open": False,
            },
        )
        c = crisis(spec, 5, range(40))
        out = []
        while not c.over and c.round < 6:
            c.step()
            out.append(c.posterior.copy())
        return np.concatenate(out)

    assert not np.allclose(posteriors("naive", 0.3), posteriors("noisy", 0.3), atol=1e-9)
    np.testing.assert_array_equal(posteriors("naive", 0.0), posteriors("noisy", 0.0))


def test_a_red_line_is_answered_once_per_crossing():
    """docs/decision-v2.md §3.7: not answering the crossing of one's red line costs the audience
    cost once per crossing, not in every round the other stands across it. A starts at the
    display of force, across B's red line (display); B, scripted, steps up in round 2 and then
    holds. B's observation says the line is crossed (and unanswered) in rounds 1 and 2, and not
    from round 3 on, while A stays across it; where B has never climbed (it only holds), the
    line stays crossed and unanswered throughout."""
    for moves, unanswered_until in ((["hold", "step_up"], 2), ([], None)):
        spec = with_settings(
            bargaining_dispute(),
            {
                "actors.A.initial_rung": "display",
                "actors.A.policy": {"name": "scripted", "moves": [], "then": "hold"},
                "actors.B.policy": {"name": "scripted", "moves": moves, "then": "hold"},
                "actors.B.doctrine": None,
                "actors.A.doctrine": None,
                "channels.direct.noise": 0.0,
                "channels.public.noise": 0.0,
                "accidents.implementation_error": 0.0,
                "ladder.deescalation_friction": 0.0,
                "endings.settlement_rounds": None,
                "endings.core_agreement_settles": False,
                "ladder.rungs.display.war_risk": 0.0,
                "ladder.rungs.use_of_force.war_risk": 0.0,
            },
        )
        c = crisis(spec, 3, range(5))
        b = int(c.params.power_b)
        seen = []
        for _ in range(6):
            c.begin_round()
            seen.append(bool(c.observation(b, truth=False, pressure=0.0).line_crossed.all()))
            c.finish_round()
        if unanswered_until is None:
            assert seen == [True] * 6
        else:
            assert seen == [True] * unanswered_until + [False] * (6 - unanswered_until)
