"""Seminar mode, the narrator, the app's controls and ensemble, and moves files (no browser)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from conftest import ROOT
from escalsim.agents.model import EscalationModel
from escalsim.experiment.runner import with_rounds
from escalsim.scenario import ScenarioError, load_scenario
from escalsim.scenario.load import with_settings
from escalsim.teaching import MOVES, Game, GameError, Narrator
from escalsim.teaching.explore import controls, ensemble, settings_from, variants_for
from escalsim.teaching.replay import dump_moves, load_moves

HOTLINE = load_scenario("hotline-1963")
GENEVA = load_scenario("geneva-2022")
#: hotline-1963 with its two private channels open from round 1, as they were before its rebuild
#: (issue 19 closes them until rounds 7 and 8): for tests of what the words between the powers
#: do in the first rounds, which need a private channel to carry them.
HOTLINE_SPEAKING_SETTINGS = {
    "channels.embassy_cable.open": True,
    "channels.rfk_dobrynin.open": True,
}
HOTLINE_SPEAKING = with_settings(HOTLINE, HOTLINE_SPEAKING_SETTINGS)
#: hotline-1963 with the talks open from round 1 (the rebuild opens them in round 11, with
#: Khrushchev's first letter): for tests of offers in the first rounds.
HOTLINE_TALKS = with_settings(HOTLINE, {"stakes.talks_open": True})


def _play(game: Game, moves: list[str], messages: list[str]) -> None:
    for move, message in zip(moves, messages, strict=False):
        if game.over:
            break
        game.play(move, message if game.situation().can_message else "none")


# -- tier 1: reproducibility --------------------------------------------------------------------
def test_same_seed_and_choices_give_the_same_game():
    moves = ["hold", "step_up", "hold", "step_down", "hold", "hold"]
    says = ["reassure", "warn", "none", "reassure", "none", "warn"]
    a, b = Game(HOTLINE, "USA", seed=11), Game(HOTLINE, "USA", seed=11)
    _play(a, moves, says)
    _play(b, moves, says)
    assert_frame_equal(a.record(), b.record())
    assert a.feed == b.feed


def test_a_game_is_the_model_run_with_the_same_moves():
    """Stepping in two halves (seminar mode) runs the very same rounds as ``step``."""
    game = Game(HOTLINE, "SUN", seed=5, rounds=8)
    _play(game, ["hold"] * 3 + ["step_down"] * 5, ["reassure"] * 8)
    spec = with_settings(with_rounds(HOTLINE, 8), {"actors.SUN.policy": {"name": "human"}})
    model = EscalationModel(
        scenario=spec,
        seed=5,
        human_moves={"SUN": list(game.moves)},
        human_messages={"SUN": list(game.messages)},
        human_offers={"SUN": list(game.offers)},
        human_claims={"SUN": list(game.claims)},
    ).run()
    assert_frame_equal(model.timeseries, game.model.timeseries)
    assert_frame_equal(model.events, game.model.events)
    assert_frame_equal(model.outcome, game.model.outcome)


def test_a_player_who_says_nothing_sends_no_message():
    game = Game(HOTLINE, "USA", seed=2, rounds=5)
    _play(game, ["hold"] * 5, ["none"] * 5)
    events = game.model.events
    assert not (events["kind"].isin(["message", "claim"]) & (events["actor"] == "USA")).any()


#: hotline-1963 with the Soviet Union on brinkmanship, a policy that reads version 1's messages:
#: between the powers the words stay version 1's messages (claims need two powers that
#: bargain and read none of them, a player aside).
HOTLINE_V1_WORDS = with_settings(HOTLINE_SPEAKING, {"actors.SUN.policy": {"name": "brinkmanship"}})


def test_a_reassurance_after_a_step_up_is_a_lie_and_a_warning_after_holding_too():
    game = Game(HOTLINE_V1_WORDS, "USA", seed=4, rounds=6)
    assert not game.bargain().claims
    _play(game, ["step_up", "hold", "hold"], ["reassure", "warn", "reassure"])
    sent = game.model.events
    mine = sent[(sent["kind"] == "message") & (sent["actor"] == "USA")]
    by_round = {r: set(g["detail"]) for r, g in mine.groupby("round")}
    assert by_round  # the private channels carried some of them
    deaf = Game(HOTLINE_SPEAKING, "USA", seed=4, rounds=6)
    _play(deaf, ["step_up", "hold", "hold"], ["reassure", "warn", "reassure"])
    heard = deaf.model.events
    assert not ((heard["kind"] == "message") & (heard["actor"] == "USA")).any()
    # Round 2 carries round 1's reassurance (after a step up): dishonest.
    assert all("dishonest" in d for d in by_round.get(2, {"dishonest"}))
    # Round 3 carries round 2's warning (after holding): dishonest too (claims hostility).
    assert all("dishonest" in d for d in by_round.get(3, {"dishonest"}))
    # Round 4 carries round 3's reassurance (after holding): honest.
    assert all("dishonest" not in d for d in by_round.get(4, set()))


# -- tier 2: invariants --------------------------------------------------------------------------
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    actor=st.sampled_from(["USA", "SUN"]),
    choices=st.lists(
        st.tuples(st.sampled_from(MOVES[:4]), st.sampled_from(["reassure", "warn", "none"])),
        min_size=1,
        max_size=8,
    ),
)
def test_any_game_has_a_consistent_record_and_debrief(seed, actor, choices):
    game = Game(HOTLINE, actor, seed=seed, rounds=8)
    for move, message in choices:
        if game.over:
            break
        situation = game.situation()
        assert 0 <= situation.perceived_rung < len(situation.rung_names)
        assert situation.expected_cost >= 0.0
        assert 0.0 <= situation.trust <= 1.0
        game.play(move, message if situation.can_message else "none")
    while not game.over:
        game.play("hold")
    record = game.record()
    assert len(record) == 2 * game.model.end_round
    mine = record[record["player"]]
    assert list(mine["intended"][: len(choices)]) == [m for m, _ in choices][: len(mine)]
    assert not mine["miscalculation"].any()  # a player's move is never "miscalculated"
    debrief = game.debrief()
    assert debrief.outcome == game.outcome
    assert set(debrief.flipped) <= {c.id for c in HOTLINE.channels}
    assert debrief.counterfactual["rung"].between(0, len(HOTLINE.ladder.rungs) - 1).all()
    assert debrief.summary
    assert all(isinstance(line, str) for line in debrief.summary)


@pytest.mark.parametrize(
    "name", ["hotline-1963", "geneva-2022", "generic-dispute", "ukraine-talks-2022"]
)
def test_every_event_of_a_run_reads_as_a_sentence(name):
    spec = load_scenario(name)
    narrator = Narrator(spec)
    seen = set()
    for replication in range(6):
        model = EscalationModel(scenario=spec, seed=3, replication=replication).run()
        for row in model.event_log():
            text = narrator.sentence(row)
            seen.add(row["kind"])
            assert text[:1].isupper(), text
            assert text.endswith((".", ")")), text
            assert "None" not in text, text
            assert "nan" not in text, text
            assert not text.startswith(f"{row['kind']}:"), f"no sentence for {row['kind']}"
    assert {"escalation", "end"} <= seen
    assert seen & {"message", "claim"}  # words between the powers: claims where both bargain


def test_a_language_models_answers_read_as_sentences():
    """``llm`` events (docs/llm.md), replayed from the notebook's shipped recording: the
    decision on what the state perceived gives its move, rationale and message; the answer on
    the truth says it was asked on the true picture; a fallback says no valid answer came."""
    import escalsim

    data = Path(__file__).resolve().parents[1] / "notebooks" / "data"
    spec = load_scenario(data / "generic-crisis-llm.yaml")
    replay = {"replay": [data / "generic-crisis-llm.calls.jsonl.gz"], "cache": False}
    events = escalsim.run(spec, replications=2, seed=1, llm=replay).events
    narrator = Narrator(spec)
    said = events[events.kind == "llm"]
    assert len(said) > 0
    texts = [narrator.sentence(row) for row in said.to_dict("records")]
    for text in texts:
        assert text.startswith("State A (challenger)'s language model"), text
        assert text.endswith("."), text
        assert "None" not in text, text
    assert any("asked on the true picture" in t for t in texts)
    assert any(t.startswith("State A (challenger)'s language model chose to ") for t in texts)
    assert any('("They climbed; we answer one rung, no more")' in t for t in texts)
    fallback = {"kind": "llm_fallback", "actor": "A", "move": "hold", "detail": '{"repairs": 2}'}
    assert narrator.sentence(fallback) == (
        "State A (challenger)'s language model gave no valid answer in 3 tries; it played the "
        "fallback move, hold."
    )
    # The question asked without the patrons' pressure is a counterfactual, named as one.
    calm = json.dumps({"view": "calm", "rationale": "No push, no climb", "message": "Hello"})
    assert narrator.sentence({"kind": "llm", "actor": "A", "move": "hold", "detail": calm}) == (
        "State A (challenger)'s language model, asked what it would do without its patrons' "
        'pressure, would have chosen to hold ("No push, no climb").'
    )


def test_a_misperception_says_what_was_seen_and_what_was_true_and_nothing_more():
    """No closed channel beside it: "...; the hotline was closed" read as the misreading's
    cause, which it need not be (issue 21)."""
    narrator = Narrator(HOTLINE, emphasis="")
    text = narrator.sentence(
        {
            "kind": "misperception",
            "actor": "SUN",
            "target": "USA",
            "rung": 3,
            "detail": "true rung 2",
        }
    )
    assert text == "Soviet Union misread United States: saw it at alert when it was at deployment."


# -- choices and errors ---------------------------------------------------------------------------
def test_a_player_takes_a_power():
    with pytest.raises(GameError, match="expected one of USA, SUN"):
        Game(HOTLINE, "CUB")


def test_bad_choices_are_refused_with_the_choices():
    game = Game(HOTLINE, "USA", seed=1)
    with pytest.raises(GameError, match="expected one of step_down"):
        game.play("escalate")
    with pytest.raises(GameError, match="expected one of reassure, warn, none"):
        game.play("hold", "threaten")
    closed = Game(
        HOTLINE,
        "USA",
        seed=1,
        settings={"channels.embassy_cable.open": False, "channels.rfk_dobrynin.open": False},
    )
    if not closed.situation().can_message:
        with pytest.raises(GameError, match="no private channel"):
            closed.play("hold", "reassure")
    with pytest.raises(GameError, match="when the crisis has ended"):
        game.debrief()


def test_the_replay_flips_every_channel_that_no_event_schedules():
    game = Game(HOTLINE, "USA", seed=1, rounds=12)
    while not game.over:
        game.play("hold")
    # The rebuilt file (issue 19) opens embassy_cable, rfk_dobrynin, u_thant and scali_feklisov
    # by events (rounds 7, 8, 9 and 11): they keep their history; only the hotline flips.
    assert game.debrief().flipped == {"hotline": True}
    # The hand-set file before the rebuild has the two private channels open from the start and
    # no event for them: they flip closed, beside the hotline open.
    handset = load_scenario(str(ROOT / "scripts" / "data" / "hotline-1963-handset.yaml"))
    game = Game(handset, "USA", seed=1, rounds=12)
    while not game.over:
        game.play("hold")
    assert game.debrief().flipped == {
        "embassy_cable": False,
        "rfk_dobrynin": False,
        "hotline": True,
    }
    hot = Game(HOTLINE, "USA", seed=1, rounds=3, settings={"channels.hotline.open": True})
    _play(hot, ["hold"] * 3, ["none"] * 3)
    assert hot.debrief().flipped["hotline"] is False


def test_a_game_ends_with_a_debrief_when_the_player_concedes():
    """A concession is a bargaining move: not offered while the talks are closed (hotline-1963's
    open with Khrushchev's first letter, round 11), and once they are open it ends the game."""
    # No friction on stepping down, so a concession is carried out as ordered.
    game = Game(with_settings(HOTLINE, {"ladder.deescalation_friction": 0.0}), "USA", seed=1)
    assert not game.bargain().talks_open
    assert "concede" not in game.moves_available()
    assert any("No talks yet" in line for line in game.bargain_lines())
    with pytest.raises(GameError, match="talks are not open yet"):
        game.play("concede")
    while not game.over and "concede" not in game.moves_available():
        game.play("hold")
    assert not game.over, "the talks open in round 11, before the horizon"
    assert game.bargain().talks_open
    game.play("concede")
    assert game.over
    # a concession ends the crisis before the round's war draw (both backing down: settlement)
    assert game.outcome in {"capitulation_a", "settlement"}
    assert game.model.end_round == 11  # Khrushchev's first letter opens the talks in round 11
    assert game.debrief().rounds["round"].max() == game.model.end_round


# -- the bargain: offers made, accepted and refused ------------------------------------------------
def _hold_until_an_offer_stands(game: Game) -> None:
    while not game.over and not game.bargain().can_accept:
        game.play("hold")


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), actor=st.sampled_from(["USA", "SUN"]))
def test_accepting_the_others_offer_settles_on_its_terms(seed, actor):
    """The other power (bargaining) opens; whenever its offer stands as read, ``accept`` ends
    the game in a settlement at the share it truly offered: over a private channel exactly
    the share read, in public within the public channel's misread of it."""
    game = Game(HOTLINE, actor, seed=seed, rounds=8)
    _hold_until_an_offer_stands(game)
    if game.over:
        return
    bargain = game.bargain()
    assert "accept" in game.moves_available()
    assert 0.0 <= bargain.offer_read <= 1.0
    assert bargain.offer_channel in {c.id for c in HOTLINE.channels}
    game.play("accept")
    assert game.over
    assert game.outcome == "settlement"
    debrief = game.debrief()
    if bargain.offer_channel != "public":
        # Exactly the share read, to rounding: the debrief takes the second power's share as
        # 1 - share_a, and share_a = 1 - its offer (1 - (1 - x) can differ from x by an ulp).
        assert debrief.settled_share == pytest.approx(bargain.offer_read, abs=1e-12)
    else:
        misread = next(c.misread for c in HOTLINE.channels if c.id == "public")
        assert abs(debrief.settled_share - bargain.offer_read) <= misread + 1e-12
    assert any("You accepted" in line and "of the stakes" in line for line in debrief.summary)
    mine = debrief.offers[debrief.offers["actor"] == game.adversary]
    assert len(mine) >= 1


#: hotline-1963 with the talks and the private channels open from round 1 and the Soviet Union
#: scripted to hold and to accept any offer of at least 0.3 read: it accepts the player's offer
#: by construction (the rebuilt Soviet Union, holding 0.8 of the stakes, refuses 0.3 to 0.7).
#: Public statements are read exactly too: an offer that goes public when no private channel is
#: up that round was misread there (seed 2,992,462,692: 0.300 read as 0.132) and never accepted.
HOTLINE_ACCEPTING = with_settings(
    HOTLINE_TALKS,
    {
        **HOTLINE_SPEAKING_SETTINGS,
        "channels.public.misread": 0.0,
        "actors.SUN.policy": {"name": "scripted", "moves": ["hold"], "accept_at_least": 0.3},
    },
)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), share=st.sampled_from([0.3, 0.5, 0.7]))
@example(seed=2_992_462_692, share=0.3)  # the offer goes public in round 2 (HOTLINE_ACCEPTING)
@pytest.mark.parametrize("other", ["bargaining", "accepting"])
def test_an_offer_the_other_accepts_settles_at_its_terms_and_the_debrief_says_so(
    other, seed, share
):
    """The offer stands until the crisis ends; the bargaining Soviet Union (talks open from
    round 1) may refuse it, the scripted one accepts it as soon as it is read."""
    spec = HOTLINE_TALKS if other == "bargaining" else HOTLINE_ACCEPTING
    game = Game(spec, "USA", seed=seed, rounds=8)
    game.play("hold", offer=share)
    while not game.over:
        assert game.bargain().own_offer == share  # a standing offer stands
        game.play("hold")  # refuses the other's offer, keeps its own
    debrief = game.debrief()
    accepted = game.model.events
    accepted = accepted[(accepted["kind"] == "accept") & (accepted["actor"] == "SUN")]
    if other == "accepting":  # unless the crisis ended before the offer could be read
        assert len(accepted) or game.model.end_round < 2
    if len(accepted):
        assert debrief.settled_share == pytest.approx(1.0 - share, abs=1e-15)
        assert any("accepted your offer" in line for line in debrief.summary)
    mine = debrief.offers[debrief.offers["actor"] == "USA"]
    assert list(mine["offered"]) == [share]  # sent once, in round 2
    assert list(mine["round"]) == [2]


def test_accept_needs_an_offer_and_concede_a_scenario_where_it_ends_the_crisis():
    # With the talks open from round 1 (hotline-1963 opens them in round 11).
    talks = with_settings(HOTLINE, {"stakes.talks_open": True})
    # A Soviet Union that makes no offer, so none stands.
    quiet = with_settings(talks, {"actors.SUN.policy": {"name": "scripted", "moves": ["hold"]}})
    game = Game(quiet, "USA", seed=1)
    assert not game.bargain().can_accept  # nothing has arrived before round 1's decision
    with pytest.raises(GameError, match="no offer from SUN stands"):
        game.play("accept")
    assert "concede" in game.moves_available()
    firm = Game(with_settings(talks, {"endings.capitulation": False}), "USA", seed=1)
    assert not firm.bargain().concede_ends
    assert "concede" not in firm.moves_available()
    with pytest.raises(GameError, match=r"endings\.capitulation is false"):
        firm.play("concede")


@pytest.mark.parametrize("offer", [1.5, -0.1, "maybe"])
def test_an_offer_outside_the_choices_is_refused(offer):
    game = Game(HOTLINE, "USA", seed=1)
    with pytest.raises(GameError, match="offer"):
        game.play("hold", offer=offer)
    assert game.moves == []  # nothing was played


def test_a_standing_offer_can_be_revised_and_withdrawn():
    """Each choice is posted with the next round's talks: the bargain shows it standing then
    (until the crisis ends); ``keep`` leaves it, ``withdraw`` takes it back."""
    # The United States scripted to hold and never to accept: the offers stand by construction
    # (the rebuilt United States, holding 0.2 of the stakes, would take 0.25 and end the game).
    never = {"actors.USA.policy": {"name": "scripted", "moves": ["hold"]}}
    game = Game(with_settings(HOTLINE_TALKS, never), "SUN", seed=3, rounds=6)
    steps = [(0.2, 0.2), (0.25, 0.25), ("keep", 0.25), ("withdraw", np.nan), ("keep", np.nan)]
    for offer, standing in steps:
        if game.over:
            break
        game.play("hold", offer=offer)
        if not game.over:
            np.testing.assert_equal(game.bargain().own_offer, standing)
    np.testing.assert_equal(game.offers, [s for _, s in steps][: len(game.offers)])
    assert len(game.offers) == len(steps)  # every step was played


def test_between_bargaining_powers_a_players_message_is_a_claim_honest_or_not():
    """The Soviet Union bargains, so the powers exchange claims about their cost of war: a
    reassurance claims the highest cost the player may have, a warning the lowest, a number
    the nearest cost; each is sent with the next round's claims, a lie where it is not the
    player's own cost (the event says so; the other side is not told)."""
    game = Game(HOTLINE_SPEAKING, "USA", seed=4, rounds=6)
    b = game.bargain()
    assert b.claims
    assert len(b.claimable) == HOTLINE_SPEAKING.actors[0].war_cost.types  # the player's types
    assert b.own_cost in b.claimable
    chosen = [("reassure", None), ("warn", None), ("none", b.own_cost + 0.01)]
    for message, claim in chosen:
        if game.over or not game.situation().can_message:
            break
        game.play("hold", message, claim=claim)
    expected = [b.claimable[-1], b.claimable[0], b.own_cost][: len(game.claims)]
    assert game.claims[:2] == expected[:2]
    if len(game.claims) == 3:
        assert game.claims[2] == pytest.approx(b.own_cost + 0.01)
    events = game.model.events
    mine = events[(events["kind"] == "claim") & (events["actor"] == "USA")]
    for rnd, claimed in zip((2, 3, 4), expected, strict=False):
        row = mine[mine["round"] == rnd]
        if not len(row):  # no private channel up that round: the claim is not sent
            continue
        detail = str(row["detail"].iloc[0])
        assert detail.startswith(f"claims a cost of war of {claimed:.3g}")
        assert ("(a lie" in detail) == (claimed != b.own_cost)
    record = game.record()
    assert record[record["player"]]["message_chosen"].iloc[0] == f"claim {b.claimable[-1]:.3g}"


def test_a_claim_is_refused_where_the_powers_exchange_no_claims():
    game = Game(HOTLINE_V1_WORDS, "USA", seed=4, rounds=6)
    with pytest.raises(GameError, match="do not exchange claims"):
        game.play("hold", claim=0.5)


# -- moves files ---------------------------------------------------------------------------------
def test_a_saved_game_with_offers_replays_exactly(tmp_path):
    # Talks and the private channels open from round 1, so the offers and claims are sent.
    spec = with_settings(HOTLINE_TALKS, HOTLINE_SPEAKING_SETTINGS)
    game = Game(spec, "USA", seed=4, rounds=6)
    choices = [
        ("hold", 0.35, None),
        ("hold", "keep", 2.1),
        ("step_down", 0.4, None),
        ("hold", "withdraw", None),
    ]
    for move, offer, claim in choices:
        if game.over:
            break
        can = game.situation().can_message
        game.play(move, "warn" if can else "none", offer=offer, claim=claim if can else None)
    path = tmp_path / "game.yaml"
    path.write_text(dump_moves(game.replay_file()), encoding="utf-8")
    assert "offer: 0.35" in path.read_text(encoding="utf-8")
    saved = load_moves(path)
    again = Game(spec, saved.actor, seed=saved.seed, rounds=saved.rounds)
    for move, message, offer, claim in saved.choices():
        again.play(move, message, offer=offer, claim=claim)
    assert_frame_equal(game.record(), again.record())
    np.testing.assert_equal(again.offers, game.offers)  # NaN where withdrawn, on both
    np.testing.assert_equal(again.claims, game.claims)
    assert again.feed == game.feed


def test_a_saved_game_replays_exactly(tmp_path):
    game = Game(HOTLINE, "SUN", seed=9, rounds=6)
    _play(game, ["hold", "step_down", "hold", "hold", "step_up", "hold"], ["reassure"] * 6)
    path = tmp_path / "game.yaml"
    path.write_text(dump_moves(game.replay_file()), encoding="utf-8")
    saved = load_moves(path)
    again = Game(HOTLINE, saved.actor, seed=saved.seed, rounds=saved.rounds)
    for move, message in saved.moves:
        again.play(move, message)
    assert_frame_equal(game.record(), again.record())


@pytest.mark.parametrize(
    ("text", "where", "says"),
    [
        ("moves: [hold, escalate]\n", ":1:15:", "'escalate' is not a move"),
        ("moves:\n  - {move: hold, message: shout}\n", ":2:27:", "'shout' is not a message"),
        ("moves:\n  - {move: hold, offer: 2}\n", ":2:25:", "2 is not an offer"),
        ("moves:\n  - {move: hold, offer: all}\n", ":2:25:", "'all' is not an offer"),
        ("moves:\n  - {move: hold, claim: -1}\n", ":2:25:", "-1 is not a cost of war"),
        ("seed: -1\nmoves: []\n", ":1:7:", "expected a whole number"),
        ("moves: []\nplayer: USA\n", ":2:1:", "unknown key"),
        ("actor: USA\n", ":1:1:", "missing required key 'moves'"),
        ("moves: hold\n", ":1:8:", "expected a list of moves"),
        ("- hold\n", ":1:1:", "expected a mapping"),
    ],
)
def test_moves_file_errors_are_positioned(tmp_path, text, where, says):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_moves(path)
    message = str(info.value)
    assert f"{path}{where}" in message, message
    assert says in message, message


# -- the app's controls and ensemble -------------------------------------------------------------
@pytest.mark.parametrize("name", ["hotline-1963", "geneva-2022", "brinkmanship"])
def test_default_controls_change_nothing_and_every_control_value_is_valid(name):
    spec = load_scenario(name)
    ctl = controls(spec)
    assert settings_from(spec, {k: v["value"] for k, v in ctl.items()}) == {}
    for key, options in ctl.items():
        if options["type"] == "Checkbox":
            values = [not options["value"]]
        elif options["type"] == "Select":
            values = options["values"]
        elif key == "seed":
            continue
        else:
            values = [options["min"], options["max"]]
        for value in values:
            with_settings(spec, settings_from(spec, {key: value}))  # validates like a file


def test_an_unknown_control_is_refused():
    with pytest.raises(KeyError, match="no control 'volume'"):
        settings_from(HOTLINE, {"volume": 11})


def test_the_ensemble_gives_estimates_inside_their_intervals():
    variants = variants_for(HOTLINE, {"channels.hotline.open": True})
    assert list(variants) == ["your settings", "condition no_hotline", "condition hotline"]
    frame = ensemble(variants, replications=40, seed=1)
    assert isinstance(frame, pd.DataFrame)
    assert len(frame) == 3
    assert (frame["replications"] == 40).all()
    assert (frame["p_war_low"] <= frame["p_war"]).all()
    assert (frame["p_war"] <= frame["p_war_high"]).all()
    assert (frame["miscalculation_low"] <= frame["miscalculation_rate"] + 1e-12).all()
    assert frame.loc[0, "d_p_war"] == 0.0
    assert (frame["d_p_war_low"] <= frame["d_p_war"]).all()
    assert (frame["d_p_war"] <= frame["d_p_war_high"]).all()
    # "your settings" (hotline open from the start) is the hotline condition: same runs.
    assert frame.loc[0, "p_war"] == frame.loc[2, "p_war"]
    assert frame.loc[2, "d_p_war"] == 0.0


def test_the_bargain_has_one_wording_in_the_terminal_and_the_app():
    """``Game.bargain_lines`` is the one wording of the bargain: the terminal's panel shows its
    sentences with rich's bold, the app's card with markdown's; an offer standing is named with
    its share as read and what ``accept`` does."""
    from rich.console import Console

    from escalsim.teaching.terminal import _bargain_panel

    seen_offer = False
    for seed in range(1, 5):  # several games: some end before an offer is read
        game = Game(HOTLINE_TALKS, "USA", seed=seed, rounds=8)
        while not game.over:
            b = game.bargain()
            plain = game.bargain_lines()
            assert plain[0].startswith("Your standing offer to ")
            assert plain[-1].startswith(f"While the crisis lasts you hold {b.status_quo:.0%}")
            if b.can_accept:
                seen_offer = True
                marked = "\n".join(game.bargain_lines(lambda text: f"**{text}**"))
                assert f"**{b.offer_read:.0%}**" in marked
                assert "**accept** settles on it" in marked
            console = Console(width=200, record=True)
            console.print(_bargain_panel(game))
            shown = " ".join(console.export_text().split())
            for line in plain:
                assert " ".join(line.split()) in shown
            game.play("hold")
    assert seen_offer


def test_a_pair_wars_events_read_as_sentences():
    """The events of a war between a power and a third party (docs/pair-wars.md §5, §7)."""
    narrator = Narrator(load_scenario("ukraine-talks-2022"), emphasis="")
    say = narrator.sentence
    assert say({"kind": "war", "actor": "RUS", "target": "UKR", "cause": "deliberate"}) == (
        "War: Russian Federation attacked Ukraine (deliberate)."
    )
    assert say({"kind": "war", "actor": "USA", "rung": 6, "cause": "third_party"}) == (
        "War between the powers: United States entered its client's war."
    )
    assert say(
        {"kind": "escalation", "actor": "RUS", "target": "UKR", "rung": 8, "move": None}
    ).startswith("Russian Federation raised its war against Ukraine to ")
    text = say(
        {
            "kind": "incident",
            "actor": "RUS",
            "target": "POL",
            "rung": 7,
            "cause": "spillover",
            "detail": "a missile lands in Poland; fired by UKR",
        }
    )
    assert text.startswith(
        "A spillover of Russian Federation's war touched Poland: a missile lands"
    )
    assert "(fired by Ukraine)" in text
    assert say(
        {"kind": "ceasefire", "actor": "RUS", "target": "UKR", "detail": "a freeze at the front"}
    ) == ("Russian Federation and Ukraine agreed a ceasefire (a freeze at the front).")
    assert say({"kind": "crisis_end", "detail": "settlement while a pair is at war"}).startswith(
        "The powers' crisis ended (settlement while a pair is at war)"
    )


def test_the_debrief_tells_how_a_pairs_war_went():
    """A game of ukraine-talks-2022 (the player the United States, holding): the debrief has a
    line for Russia's war with Ukraine, with the rounds fought and the front as the run's
    outcome columns record them, and the rounds in the replay with the channels flipped."""
    spec = load_scenario("ukraine-talks-2022")
    game = Game(spec, "USA", seed=1)
    while not game.over:
        game.play("hold")
    row = game.model.outcome.iloc[0]
    line = next(t for t in game.debrief().summary if "fought Ukraine" in t)
    assert f"for {int(row['war_rounds_RUS_UKR'])} rounds" in line
    assert f"holding {float(row['front_RUS_UKR']):.0%}" in line
    assert "with the channels flipped:" in line


def test_the_apps_ladder_shows_a_pairs_war():
    """ukraine-talks-2022 at round 1: Russia at war with Ukraine, drawn over Ukraine at Russia's
    intensity in that war (docs/pair-wars.md §5); a scenario without pairs draws none."""
    from escalsim.teaching.app import ladder_figure, pair_wars_shown

    model = EscalationModel(scenario=load_scenario("ukraine-talks-2022"), seed=1, replication=0)
    spec = model.spec
    ids = [a.id for a in spec.actors]
    war = [r.name for r in spec.ladder.rungs].index(spec.ladder.war_rung)
    shown = pair_wars_shown(model)
    assert [(ids[a], ids[b]) for a, b, _ in shown] == [("RUS", "UKR")]
    assert shown[0][2] >= war
    texts = [t.get_text() for t in ladder_figure(model).axes[0].texts]
    assert "at war with RUS" in texts
    quiet = EscalationModel(scenario=load_scenario("hotline-1963"), seed=1, replication=0)
    assert pair_wars_shown(quiet) == []
