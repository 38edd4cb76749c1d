"""A player's offers in the round (docs/decision-v2.md §12 step 10, "seminar offers").

A power with the ``human`` policy takes part in the offers phase as any policy does: the
player's standing offer (``human_offers``) stands in for ``Policy.offer`` and is sent, read and
accepted by the one implementation of ``Crisis._offers`` and ``Crisis._settle_accepted``; the
player accepts the other's offer with the move ``accept``. Known answers, run on the mesa face
(a player's moves are made in every replication):

* an offer the player posts over an always-up private channel of latency 0 is read exactly in
  the next round, and where the bargaining power accepts it the settlement gives ``power_a``
  exactly ``1 -`` the offer as read; in public it is read with noise, and the settlement is at the
  offer made, not as read;
* the player accepting the bargaining power's offer in round 1 settles every replication then,
  at the share that power offered.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from escalsim.agents.model import EscalationModel
from escalsim.batch import run_batch
from escalsim.core.params import compile_params
from escalsim.scenario.load import with_settings
from test_offers import dispute

PLAYER = {"name": "human"}
AI = {"name": "bargaining"}
REPS = 60


def _run(spec, moves, offers, seed=3):
    return EscalationModel(
        scenario=spec,
        seed=seed,
        replications=REPS,
        human_moves={"A": moves},
        human_offers={"A": offers},
    ).run()


def test_a_player_opens_and_accepts_so_a_player_and_a_bargainer_settle_by_offers():
    params = compile_params(dispute(PLAYER, AI))
    assert params.opens_bargaining
    assert params.settles_by_offers


@pytest.mark.parametrize("share", [0.6, 0.9])
def test_a_players_private_offer_accepted_settles_at_the_offer_as_read(share):
    """A offers ``share`` with its round-1 move; it goes out in round 2 over the direct channel
    (always up, latency 0), and B reads it exactly then."""
    spec = dispute(PLAYER, AI, **{"channels.direct.reliability": 1.0})
    frames = _run(spec, ["hold"] * spec.run.rounds, [share])
    ts, out = frames.timeseries, frames.outcome
    b = ts[(ts.actor == "B") & (ts["round"] >= 2)]
    assert (b.offer_read.dropna() == share).all()
    a = ts[(ts.actor == "A") & (ts["round"] == 2)]
    assert (a.offer == share).all()
    offers = frames.events[(frames.events.kind == "offer") & (frames.events.actor == "A")]
    assert set(offers.channel) == {"direct"}
    assert (offers["round"] == 2).all()
    accepted = frames.events[(frames.events.kind == "accept") & (frames.events.actor == "B")]
    settled = out[out.replication.isin(accepted.replication)]
    assert len(settled) > 0  # a generous offer is accepted somewhere
    assert (settled.outcome == "settlement").all()
    read = b.set_index("replication").groupby(level=0).offer_read.last()
    np.testing.assert_array_equal(
        settled.settled_share_a, 1.0 - read.loc[settled.replication].to_numpy()
    )


def test_a_players_public_offer_is_read_with_noise_and_settles_at_the_offer_made():
    spec = dispute(PLAYER, AI)
    spec = with_settings(spec, {"channels.direct.open": False, "channels.public.misread": 0.2})
    frames = _run(spec, ["hold"] * spec.run.rounds, [0.9])
    ts, out = frames.timeseries, frames.outcome
    read = ts[(ts.actor == "B") & (ts["round"] == 2)].offer_read
    assert ((read - 0.9).abs() <= 0.2 + 1e-12).all()
    assert (read != 0.9).any()
    a = ts[(ts.actor == "A") & (ts["round"] >= 2)]
    # A public offer commits its maker: A's public demand is 1 - 0.9 (not in the frames; the
    # settlement shows it is the offer made that counts).
    assert (a.offer == 0.9).all()
    accepted = frames.events[(frames.events.kind == "accept") & (frames.events.actor == "B")]
    settled = out[out.replication.isin(accepted.replication)]
    assert len(settled) > 0
    np.testing.assert_allclose(settled.settled_share_a, 0.1, rtol=0, atol=1e-15)


def test_a_player_accepting_the_bargainers_offer_settles_at_its_share():
    """B (bargaining) opens in round 1; the public channel's latency is 0, so A reads B's offer
    in round 1 whatever the direct channel does, and A's ``accept`` settles every replication
    in round 1 at the share B offered (before any concession or war draw)."""
    spec = dispute(PLAYER, AI)
    frames = _run(spec, ["accept"], [])
    ts, out = frames.timeseries, frames.outcome
    assert (out.outcome == "settlement").all()
    assert (out.end_round == 1).all()
    b = ts[(ts.actor == "B") & (ts["round"] == 1)].set_index("replication")
    np.testing.assert_array_equal(
        out.set_index("replication").settled_share_a, b.offer.loc[out.replication]
    )
    assert (frames.events[frames.events.kind == "accept"].actor == "A").all()


def test_a_players_offer_outside_the_unit_interval_is_refused():
    spec = dispute(PLAYER, AI)
    with pytest.raises(ValueError, match="human_offers"):
        _run(spec, ["hold"], [1.5])
    # NaN is a withdrawal: A's offer stands in round 2 only.
    frames = _run(spec, ["hold"] * spec.run.rounds, [0.4, math.nan])
    a = frames.timeseries[frames.timeseries.actor == "A"]
    assert (a[a["round"] == 2].offer == 0.4).all()
    assert a[a["round"] >= 3].offer.isna().all()


def test_a_player_facing_a_bargainer_exchanges_claims_and_claims_what_they_choose():
    """Claims replace version 1's messages between a player and a bargaining power (the player
    decides what to claim): a chosen cost is sent as the nearest cost of the player's grid in
    the next round, over the private channel, a lie where it is not the drawn cost; NaN sends
    nothing; the bargaining power's claims reach the player."""
    spec = dispute(PLAYER, AI, **{"channels.direct.reliability": 1.0})
    rounds = spec.run.rounds
    model = EscalationModel(
        scenario=spec,
        seed=3,
        replications=REPS,
        human_moves={"A": ["hold"] * rounds},
        human_claims={"A": [0.0, math.nan, 100.0]},
    )
    crisis = model.crisis
    assert crisis.claims
    grid = crisis.type_grid[0][: crisis.type_grid.shape[1] // 2]
    own = crisis.war_cost[:, 0].copy()
    frames = model.run()
    ev = frames.events
    mine = ev[(ev.kind == "claim") & (ev.actor == "A")]
    assert set(mine["round"]) <= {2, 4}  # round 3 carries the NaN: nothing
    assert set(mine.channel) == {"direct"}
    for rnd, cost in ((2, grid.min()), (4, grid.max())):
        sent = mine[mine["round"] == rnd]
        assert len(sent) > 0
        for rep, detail in zip(sent.replication, sent.detail, strict=True):
            assert detail.startswith(f"claims a cost of war of {cost:.3g}")
            assert ("(a lie" in detail) == (cost != own[rep])
    assert ((ev.kind == "claim") & (ev.actor == "B")).any()
    assert not (
        (ev.kind == "message") & ev.actor.isin(["A", "B"]) & ev.target.isin(["A", "B"])
    ).any()


def test_both_faces_play_a_players_offers_and_claims_alike():
    """run_batch and the mesa face take the same offers and claims and give the same frames."""
    spec = dispute(PLAYER, AI)
    rounds = spec.run.rounds
    player = {
        "human_moves": {"A": ["hold", "step_up"] + ["hold"] * (rounds - 2)},
        "human_offers": {"A": [0.2, 0.3, math.nan, 0.45]},
        "human_claims": {"A": [0.0, math.nan, 10.0]},
    }
    batch = run_batch(spec, seed=8, replications=12, **player)
    mesa = EscalationModel(scenario=spec, seed=8, replications=12, **player).run()
    for name in ("outcome", "timeseries", "events"):
        pd.testing.assert_frame_equal(
            getattr(mesa, name), getattr(batch, name), check_exact=True, obj=name
        )
    assert (batch.events.kind == "offer").any()
