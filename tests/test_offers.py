"""Offers: posted in the talks phase, read over the path, accepted (issue 17, wiring step 5b).

docs/decision-v2.md §3.6, §5 and "As built in step 5b". Three tiers:

* reproducibility: a replication alone equals it inside an ensemble with offers made; both faces
  give the same frames (``tests/test_round_bargaining.py::test_both_faces_agree`` runs the
  bargaining powers, which now make offers);
* invariants: a settlement by an accepted offer is the only row with ``settled_share_a``, a share
  in [0, 1]; an offer read in public is within the public channel's misread of the offer made,
  exactly the offer made over a private path or in the perfect-information twin; no offer, no
  ``offer_read`` slot and version 1's core agreement route wherever no policy opens the
  bargaining;
* known answers: a scripted offer over a private path of latency L is accepted in round 1 + L
  at exactly its share; a public offer of 0.5 read with noise ``μ(2u − 1)`` by a responder that
  accepts at least 0.5 is accepted in round 1 with probability 1/2 (the tolerance is 4 standard
  errors of a proportion over 2,000 replications, 0.045).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from escalsim.batch import run_batch
from escalsim.core.params import compile_params
from escalsim.core.streams import BlockLayout
from escalsim.scenario import Scenario, load_scenario
from escalsim.scenario.load import with_settings
from test_round_bargaining import bargaining_dispute

HOLD = {"name": "scripted", "moves": [], "then": "hold"}


def dispute(a: dict[str, Any], b: dict[str, Any], **settings: Any) -> Scenario:
    """generic-dispute with the powers' policies ``a`` and ``b`` (doctrines replaced)."""
    spec = load_scenario("generic-dispute")
    return with_settings(
        spec,
        {
            "id": "generic-dispute-offers",
            "actors.A.doctrine": None,
            "actors.B.doctrine": None,
            "actors.A.policy": a,
            "actors.B.policy": b,
            **settings,
        },
    )


def test_bargaining_powers_settle_by_accepted_offers_at_shares_in_the_unit_interval():
    out = run_batch(bargaining_dispute(), seed=2, replications=40).outcome
    settled = out[out.settled_share_a.notna()]
    assert len(settled) > 0
    assert (settled.outcome == "settlement").all()
    assert ((settled.settled_share_a >= 0) & (settled.settled_share_a <= 1)).all()
    assert out[out.outcome != "settlement"].settled_share_a.isna().all()


def test_without_an_opener_no_offer_is_made_and_the_core_item_settles_as_before():
    """Two deterrers (no policy that opens the bargaining): no offer, and the core item still
    settles by agreement (version 1's route, where no offer can settle the crisis)."""
    spec = dispute({"name": "deterrer"}, {"name": "deterrer"})
    run = run_batch(spec, seed=2, replications=60)
    assert run.outcome.settled_share_a.isna().all()
    assert not (run.events.kind == "offer").any()
    assert run.timeseries[["offer", "offer_read"]].isna().all().all()
    assert (run.events.kind == "agreement").any()
    assert not compile_params(spec).opens_bargaining


def test_the_offer_read_slot_does_not_depend_on_the_policies():
    """The layout by structure draws offer_read for the two ordered pairs of powers whatever
    their policies, so a condition that gives a power an opener keeps every draw."""
    base = dispute({"name": "deterrer"}, HOLD)
    opener = dispute({"name": "bargaining"}, HOLD)
    assert BlockLayout.of(base) == BlockLayout.of(opener)
    assert BlockLayout.of(base).count("offer_read") == 2
    p = compile_params(opener)
    at = BlockLayout.of(opener).bind(BlockLayout.of(opener).structure, p)
    a, b = p.power_a, p.power_b
    assert at["offer_read"][a, b] >= 0
    assert at["offer_read"][b, a] >= 0
    assert at["offer_read"][a, b] != at["offer_read"][b, a]


@pytest.mark.parametrize("latency", [0, 2])
def test_a_private_offer_is_read_exactly_after_the_latency_and_settles_at_its_share(latency):
    """A offers B 0.3 from round 1 over the always-up direct channel; B accepts at least 0.3:
    B reads it in round 1 + latency and accepts then, A keeping 0.7."""
    spec = dispute(
        {**HOLD, "offers": [{"round": 1, "share": 0.3}]},
        {**HOLD, "accept_at_least": 0.3},
        **{"channels.direct.reliability": 1.0, "channels.direct.latency": latency},
    )
    run = run_batch(spec, seed=4, replications=30)
    out = run.outcome
    assert (out.outcome == "settlement").all()
    assert (out.end_round == 1 + latency).all()
    np.testing.assert_array_equal(out.settled_share_a, 0.7)
    played = run.timeseries[run.timeseries["round"] >= 1]  # round 0: the initial state
    a = played[played.actor == "A"]
    b = played[played.actor == "B"]
    assert (a.offer == 0.3).all()
    # B's reading: nothing before the offer arrives, then exactly the offer.
    arrived = b["round"] >= 1 + latency
    assert b.loc[~arrived, "offer_read"].isna().all()
    assert (b.loc[arrived, "offer_read"] == 0.3).all()
    offers = run.events[run.events.kind == "offer"]
    assert set(offers.channel) == {"direct"}
    assert (offers["round"] == 1).all()
    accepts = run.events[run.events.kind == "accept"]
    assert (accepts.actor == "B").all()
    assert len(accepts) == len(out)


def test_a_public_offer_is_read_with_noise_and_accepted_half_the_time():
    """The direct channel closed: A's offer of 0.5 goes public, read as 0.5 + μ(2u − 1) with
    μ = 0.2; B accepts at least 0.5, so in round 1 exactly when u >= 1/2: P = 1/2 (4 standard
    errors over 2,000 replications: 0.045). The settlement is at the offer made, 0.5, whatever
    B read; A's public demand is 0.5."""
    spec = dispute(
        {**HOLD, "offers": [{"round": 1, "share": 0.5}]},
        {**HOLD, "accept_at_least": 0.5},
    )
    spec = with_settings(spec, {"channels.direct.open": False, "channels.public.misread": 0.2})
    run = run_batch(spec, seed=5, replications=2000)
    out = run.outcome
    first = (out.outcome == "settlement") & (out.end_round == 1)
    assert abs(first.mean() - 0.5) < 0.045
    np.testing.assert_array_equal(out.loc[first, "settled_share_a"], 0.5)
    read = run.timeseries[(run.timeseries.actor == "B") & (run.timeseries["round"] == 1)]
    assert ((read.offer_read - 0.5).abs() <= 0.2 + 1e-12).all()
    assert (read.offer_read != 0.5).mean() > 0.99
    # The offer is sent once (it never changes): what B read in round 1 stands.
    later = run.timeseries[(run.timeseries.actor == "B") & (run.timeseries["round"] > 1)]
    assert (later.offer_read < 0.5).all()


def test_the_perfect_information_twin_reads_every_offer_exactly():
    spec = dispute(
        {**HOLD, "offers": [{"round": 1, "share": 0.5}]},
        {**HOLD, "accept_at_least": 0.5},
    )
    spec = with_settings(spec, {"channels.direct.open": False, "channels.public.misread": 0.2})
    twin = run_batch(spec, seed=5, replications=200, perfect_information=True).outcome
    assert (twin.outcome == "settlement").all()
    assert (twin.end_round == 1).all()


def test_a_reciprocator_answers_and_accepts_an_offer_that_keeps_its_status_quo():
    """B (reciprocal, status quo 0.6) offered 0.6 by A's script accepts at once. Offered 0.5,
    it answers from round 2 (both post at once: in round 1 it has read nothing) with the mirror
    offer 1 − (0.6 + 0.5)/2 = 0.45, which stays while A's offer stays, and never accepts."""
    meets = dispute(
        {**HOLD, "offers": [{"round": 1, "share": 0.6}]},
        {"name": "reciprocal"},
        **{"channels.direct.reliability": 1.0},
    )
    out = run_batch(meets, seed=1, replications=20).outcome
    assert (out.outcome == "settlement").all()
    assert (out.end_round == 1).all()
    np.testing.assert_allclose(out.settled_share_a, 0.4)
    stingy = dispute(
        {**HOLD, "offers": [{"round": 1, "share": 0.5}]},
        {"name": "reciprocal"},
        **{"channels.direct.reliability": 1.0},
    )
    run = run_batch(stingy, seed=1, replications=20)
    assert run.outcome.settled_share_a.isna().all()
    b = run.timeseries[(run.timeseries.actor == "B") & (run.timeseries["round"] >= 1)]
    assert b.loc[b["round"] == 1, "offer"].isna().all()
    np.testing.assert_allclose(b.loc[b["round"] >= 2, "offer"], 1 - (0.6 + 0.5) / 2)


def test_grit_against_a_policy_that_cannot_accept_keeps_the_core_route():
    """An opener facing a policy that cannot accept (hardliner) cannot settle by an offer, so
    version 1's agreement route for the core item stays (docs/decision-v2.md §12, 5b)."""
    spec = load_scenario("hotline-1963")
    grit = with_settings(
        spec, {"actors.SUN.policy": {"name": "grit"}, "actors.USA.policy": {"name": "hardliner"}}
    )
    p = compile_params(grit)
    assert p.opens_bargaining
    assert not p.settles_by_offers
    both = dispute({"name": "grit"}, {"name": "deterrer"})
    assert compile_params(both).settles_by_offers


def test_a_replication_alone_equals_it_inside_an_ensemble_with_offers():
    spec = bargaining_dispute()
    whole = run_batch(spec, seed=7, replications=12).outcome
    for r in (0, 5, 11):
        alone = run_batch(spec, seed=7, replications=[r]).outcome
        pd.testing.assert_frame_equal(
            alone.reset_index(drop=True),
            whole[whole.replication == r].reset_index(drop=True),
            check_exact=True,
        )


def _talks_from(round_: int | None, **settings: Any) -> Scenario:
    """A offers B 0.3 from round 1 over the direct channel (latency 0), B accepts at least 0.3;
    talks closed at round 0, opened by a ``set`` event at ``round_`` (None: never)."""
    spec = dispute(
        {**HOLD, "offers": [{"round": 1, "share": 0.3}]},
        {**HOLD, "accept_at_least": 0.3},
        **{"channels.direct.reliability": 1.0, "stakes.talks_open": False, **settings},
    )
    if round_ is None:
        return spec
    event = {"id": "talks", "round": round_, "kind": "set", "path": "stakes.talks_open"}
    return with_settings(spec, {"events": [*spec.model_dump()["events"], {**event, "value": True}]})


@pytest.mark.parametrize("opens", [3, 7])
def test_closed_talks_post_nothing_and_the_offer_is_made_and_accepted_when_they_open(opens):
    """docs/decision-v2.md §3.6, stakes.talks_open: nothing is posted before the talks open; the
    scripted offer (due from round 1) is posted in the round they open and accepted then."""
    run = run_batch(_talks_from(opens), seed=4, replications=20)
    out = run.outcome
    assert (out.outcome == "settlement").all()
    assert (out.end_round == opens).all()
    np.testing.assert_array_equal(out.settled_share_a, 0.7)
    offers = run.events[run.events.kind == "offer"]
    assert len(offers) == len(out)
    assert (offers["round"] == opens).all()


def test_talks_never_opened_settle_nothing_by_offer_or_concession():
    """Closed throughout: no offer is posted, none accepted, and a conceding policy's concession
    does not end the crisis (the scripted concession is then the move it makes, to rung 0)."""
    run = run_batch(_talks_from(None), seed=4, replications=20)
    assert (run.events.kind != "offer").all()
    assert run.outcome.settled_share_a.isna().all()
    conceding = dispute(
        {**HOLD, "moves": ["concede"]},
        HOLD,
        **{"stakes.talks_open": False, "endings.settlement_rounds": None},
    )
    out = run_batch(conceding, seed=4, replications=20).outcome
    assert not out.outcome.str.startswith("capitulation").any()
    opened = run_batch(
        with_settings(conceding, {"stakes.talks_open": True}), seed=4, replications=20
    )
    assert (opened.outcome.outcome == "capitulation_a").all()


def test_bargaining_powers_with_the_talks_closed_make_no_offer_and_do_not_concede():
    """generic-crisis's bargaining powers (which settle ~90% of runs by offers when talks are
    open) with the talks closed: no offer, no accepted settlement, no concession; the crisis
    ends on the ladder (war, quiet rounds) or not at all."""
    spec = load_scenario("generic-crisis")
    shut = with_settings(spec, {"stakes.talks_open": False})
    assert compile_params(spec).concessions
    assert not compile_params(shut).concessions
    run = run_batch(shut, seed=3, replications=200)
    assert (run.events.kind != "offer").all()
    assert run.outcome.settled_share_a.isna().all()
    assert set(run.outcome.outcome) <= {"war", "settlement", "unresolved"}
    opened = run_batch(spec, seed=3, replications=200).outcome
    assert opened.settled_share_a.notna().mean() > 0.5


@pytest.mark.parametrize("line", ["threat", "display"])
def test_no_round_is_calm_while_a_red_line_stands_crossed(line):
    """The quiet-rounds settlement (``endings.settlement_rounds``) counts a round as calm only
    if neither power's declared red line stands crossed (docs/ODD.md 7.11): two powers that
    only hold, A at the threat rung, the settlement rung raised to the display of force. With
    B's red line at the threat, A stands across it and no run settles by quiet rounds; with it
    at the display, A does not, and every run settles after the three quiet rounds."""
    spec = dispute(
        HOLD,
        HOLD,
        **{
            "actors.A.initial_rung": "threat",
            "actors.B.red_line": line,
            "endings.settlement_rung": "display",
            "endings.core_agreement_settles": False,
            "accidents.implementation_error": 0.0,
        },
    )
    run = run_batch(spec, seed=3, replications=30)
    calm = run.events[run.events.detail.str.contains("rounds at the lowest rungs", na=False)]
    if line == "threat":
        assert calm.empty
    else:
        assert len(calm) == 30
        assert (run.outcome.end_round == 3).all()
