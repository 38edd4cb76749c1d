"""Seminar mode, the narrator, the app's controls and ensemble, and moves files (no browser)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from escalsim.agents.model import EscalationModel
from escalsim.experiment.runner import with_rounds
from escalsim.scenario import ScenarioError, load_scenario
from escalsim.scenario.load import with_settings
from escalsim.teaching import MOVES, Game, GameError, Narrator
from escalsim.teaching.explore import controls, ensemble, settings_from, variants_for
from escalsim.teaching.replay import dump_moves, load_moves

HOTLINE = load_scenario("hotline-1963")
GENEVA = load_scenario("geneva-2022")


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
    ).run()
    assert_frame_equal(model.timeseries, game.model.timeseries)
    assert_frame_equal(model.events, game.model.events)
    assert_frame_equal(model.outcome, game.model.outcome)


def test_a_player_who_says_nothing_sends_no_message():
    game = Game(HOTLINE, "USA", seed=2, rounds=5)
    _play(game, ["hold"] * 5, ["none"] * 5)
    events = game.model.events
    assert not ((events["kind"] == "message") & (events["actor"] == "USA")).any()


def test_a_reassurance_after_a_step_up_is_a_lie_and_a_warning_after_holding_too():
    # A player's messages go only to an adversary whose policy reads them (step 6c): the
    # brinkmanship policy reads the resolve they state; the default bargaining one does not.
    reader = with_settings(HOTLINE, {"actors.SUN.policy": {"name": "brinkmanship"}})
    game = Game(reader, "USA", seed=4, rounds=6)
    _play(game, ["step_up", "hold", "hold"], ["reassure", "warn", "reassure"])
    sent = game.model.events
    mine = sent[(sent["kind"] == "message") & (sent["actor"] == "USA")]
    by_round = {r: set(g["detail"]) for r, g in mine.groupby("round")}
    assert by_round  # the hotline carried some of them
    deaf = Game(HOTLINE, "USA", seed=4, rounds=6)
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


@pytest.mark.parametrize("name", ["hotline-1963", "geneva-2022", "generic-dispute"])
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


def test_a_misperception_names_the_closed_channels():
    narrator = Narrator(HOTLINE, closed_channels=lambda a, b: ["hotline"], emphasis="")
    text = narrator.sentence(
        {
            "kind": "misperception",
            "actor": "SUN",
            "target": "USA",
            "rung": 3,
            "detail": "true rung 2",
        }
    )
    assert text == (
        "Soviet Union read United States at alert (it was at deployment); the hotline was closed."
    )


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
    # scali_feklisov and u_thant are opened by events (rounds 9 and 11): they keep their history.
    assert game.debrief().flipped == {
        "embassy_cable": False,
        "rfk_dobrynin": False,
        "hotline": True,
    }
    hot = Game(HOTLINE, "USA", seed=1, rounds=3, settings={"channels.hotline.open": True})
    _play(hot, ["hold"] * 3, ["none"] * 3)
    assert hot.debrief().flipped["hotline"] is False


def test_a_game_ends_with_a_debrief_when_the_player_concedes():
    game = Game(HOTLINE, "USA", seed=1)
    game.play("concede")
    if game.over:
        assert game.outcome in {"capitulation_a", "settlement", "war"}
        assert game.debrief().rounds["round"].max() == game.model.end_round


# -- moves files ---------------------------------------------------------------------------------
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
