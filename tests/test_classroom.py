"""The live classroom game (``escalsim classroom``) through its HTTP API, without a browser.

Starlette's TestClient drives the app in this process; time is the test's own clock
(:class:`Clock`), so the round timer runs out when a test says so, never by sleeping.
"""

from __future__ import annotations

import re
import threading

import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import run_cli_in_process
from escalsim.agents.model import EscalationModel
from escalsim.cli import cli
from escalsim.scenario import load_scenario, with_settings
from escalsim.teaching.classroom import Classroom, create_app
from escalsim.teaching.game import Game
from escalsim.teaching.replay import load_moves

testclient = pytest.importorskip("starlette.testclient", reason="the classroom extra installs it")

SECRET = "instructor-secret-for-tests"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def hotline():
    return load_scenario("hotline-1963")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def room(hotline, clock, tmp_path) -> Classroom:
    return Classroom(
        hotline,
        condition="hotline",
        seed=3,
        round_seconds=60,
        clock=clock,
        secret=SECRET,
        replications=40,
        out=tmp_path / "saved",
        background_saves=False,
    )


@pytest.fixture
def client(room):
    with testclient.TestClient(create_app(room, ticker=False)) as c:
        yield c


INSTRUCTOR = {"X-Instructor-Secret": SECRET}


def team(token: str) -> dict[str, str]:
    return {"X-Team-Token": token}


def open_game(client, **body) -> dict:
    r = client.post("/api/instructor/games", json=body, headers=INSTRUCTOR)
    assert r.status_code == 200, r.text
    return r.json()


def join(client, code: str, actor: str | None = None) -> dict:
    r = client.post("/api/join", json={"code": code} | ({"actor": actor} if actor else {}))
    assert r.status_code == 200, r.text
    return r.json()


def state(client, token: str) -> dict:
    r = client.get("/api/team", headers=team(token))
    assert r.status_code == 200, r.text
    return r.json()


def choose(client, token: str, **body):
    return client.post("/api/team/choice", json=body, headers=team(token))


@pytest.fixture
def pair(client):
    """An open game with both teams joined: (game, USA token, SUN token)."""
    g = open_game(client)
    usa = join(client, g["code"], "USA")
    sun = join(client, g["code"], "SUN")
    return g, usa["token"], sun["token"]


def usa_choice(k: int, view: dict) -> dict:
    can = view["situation"]["can_message"]
    return {"move": "hold", "message": "reassure" if can else "none"} | (
        {"offer": 0.3} if k == 2 else {}
    )


def sun_choice(k: int, view: dict) -> dict:
    can = view["situation"]["can_message"]
    return {"move": "step_down" if k % 2 else "hold", "message": "warn" if can else "none"}


def play_out(client, usa: str, sun: str, *, close_hotline_at: int | None = None, gid="g1"):
    """Play both teams to the end; the instructor closes the hotline in ``close_hotline_at``."""
    k = 0
    while True:
        a, b = state(client, usa), state(client, sun)
        if a["status"] == "over":
            return a, b
        k += 1
        if k == close_hotline_at:
            r = client.post(
                f"/api/instructor/games/{gid}/channel",
                json={"channel": "hotline", "open": False},
                headers=INSTRUCTOR,
            )
            assert r.status_code == 200, r.text
        assert choose(client, usa, round=a["round"], **usa_choice(k, a)).status_code == 200
        assert choose(client, sun, round=b["round"], **sun_choice(k, b)).status_code == 200


def model_of(game: Game) -> EscalationModel:
    """The model run with the game's seed, every team's choices and the instructor's events."""
    lists = game._lists
    thirds = {k: game.third_choices_of(k) for k in game.thirds}
    spec = with_settings(game.replay_spec(), {})
    return EscalationModel(
        scenario=spec,
        seed=game.seed,
        human_moves={a: list(v.moves) for a, v in lists.items()}
        | {k: [c.move for c in cs] for k, cs in thirds.items()},
        human_messages={a: list(v.messages) for a, v in lists.items()},
        human_offers={a: list(v.offers) for a, v in lists.items()},
        human_claims={a: list(v.claims) for a, v in lists.items()},
        human_joins={k: [c.join for c in cs] for k, cs in thirds.items()},
        human_mediations={k: [c.mediate for c in cs] for k, cs in thirds.items()},
    ).run()


# -- a whole game ----------------------------------------------------------------------------------
def test_two_teams_play_to_the_end_and_the_outcome_is_the_models(client, room, pair):
    """Same seed, same moves, same instructor's events: the model's very run (every frame)."""
    _g, usa, sun = pair
    a, b = play_out(client, usa, sun, close_hotline_at=3)
    game = room.get("g1").game
    assert [(e.kind, e.round) for e in game.events] == [("channel", 4)]
    model = model_of(game)
    assert (model.outcome_name, model.end_round) == (game.outcome, game.model.end_round)
    pd.testing.assert_frame_equal(model.timeseries, game.model.timeseries)
    pd.testing.assert_frame_equal(model.events, game.model.events)
    assert a["outcome"] == b["outcome"]
    assert a["debrief"]
    assert b["debrief"]
    assert a["debrief"] != b["debrief"]
    # Saved as it ended: a moves file that replays it and a handout.
    saved = room.get("g1").saved
    assert saved["moves"].exists()
    assert saved["handout"].exists()
    moves = load_moves(saved["moves"])
    assert moves.others
    assert moves.events
    again = Game(
        "hotline-1963",
        moves.actor or "",
        seed=moves.seed,
        condition=moves.condition,
        teams=list(moves.others),
        scripted=moves.others,
        events=moves.events,
    )
    for mv, msg, off, cl in moves.choices():
        again.play(mv, msg, offer=off, claim=cl)
    pd.testing.assert_frame_equal(again.model.timeseries, game.model.timeseries)


def test_escalsim_play_replays_a_saved_classroom_game(client, room, pair):
    _g, usa, sun = pair
    play_out(client, usa, sun, close_hotline_at=2)
    entry = room.get("g1")
    result = CliRunner().invoke(
        cli, ["play", "hotline-1963", "--moves", str(entry.saved["moves"])], input=""
    )
    assert result.exit_code == 0, result.output
    assert f"The crisis ended in round {entry.game.model.end_round}" in result.output


# -- joining ---------------------------------------------------------------------------------------
def test_joining_refuses_a_wrong_code_a_taken_seat_and_a_missing_power(client):
    g = open_game(client)
    r = client.post("/api/join", json={"code": "NOPE42", "actor": "USA"})
    assert r.status_code == 404
    assert "no game has the code" in r.json()["error"]
    r = client.post("/api/join", json={"code": g["code"]})
    assert r.status_code == 422
    assert "USA, SUN" in r.json()["error"]
    join(client, g["code"], "USA")
    r = client.post("/api/join", json={"code": g["code"], "actor": "USA"})
    assert r.status_code == 409
    assert "team code" in r.json()["error"]
    assert client.post("/api/join", content=b"not json").status_code == 400


def test_a_team_that_lost_its_page_rejoins_with_its_team_code(client, room, pair):
    _g, usa, _sun = pair
    view = state(client, usa)
    assert choose(client, usa, round=view["round"], move="hold").status_code == 200
    again = join(client, view["team_code"].lower())  # as typed, in lower case
    assert again["actor"] == "USA"
    assert again["token"] != usa
    mine = state(client, again["token"])
    assert mine["chosen"]
    assert mine["round"] == view["round"]
    r = client.get("/api/team", headers=team(usa))  # the old page no longer acts
    assert r.status_code == 403
    assert "rejoin with your team code" in r.json()["error"]


# -- bad input changes nothing ---------------------------------------------------------------------
def _snapshot(room, gid="g1"):
    entry = room.get(gid)
    return (
        entry.game.round,
        {a: s.pending for a, s in entry.seats.items()},
        len(entry.game.moves),
        entry.status,
    )


def test_a_second_late_early_or_forged_choice_is_refused_and_changes_nothing(client, room, pair):
    _g, usa, sun = pair
    t = state(client, usa)["round"]
    assert choose(client, usa, round=t, move="hold").status_code == 200
    before = _snapshot(room)
    cases = [
        (usa, {"round": t, "move": "step_up"}, 409, "already chosen"),
        (usa, {"round": t + 1, "move": "hold"}, 409, "has not begun"),
        ("forged-token", {"round": t, "move": "hold"}, 403, "not known"),
        (sun, {"round": t, "move": "fly"}, 422, "move 'fly'"),
        (sun, {"round": t, "move": "accept"}, 422, "no offer"),
        (sun, {"round": t, "move": "hold", "offer": 1.5}, 422, "from 0 to 1"),
        (sun, {"round": "one", "move": "hold"}, 422, "round"),
        (sun, {"round": t, "move": "hold", "message": "shout"}, 422, "message 'shout'"),
    ]
    for token, body, status, words in cases:
        r = choose(client, token, **body)
        assert r.status_code == status, (body, r.text)
        assert words in r.json()["error"], r.json()
        assert _snapshot(room) == before
    assert choose(client, sun, round=t, move="hold").status_code == 200
    r = choose(client, sun, round=t, move="hold")  # the round has been played: late
    assert r.status_code == 409
    assert "too late" in r.json()["error"]


def test_a_choice_after_the_game_ended_is_refused(client, room, pair):
    _g, usa, _sun = pair
    assert client.post("/api/instructor/games/g1/end", headers=INSTRUCTOR).status_code == 200
    before = _snapshot(room)
    r = choose(client, usa, round=state(client, usa)["round"], move="hold")
    assert r.status_code == 409
    assert "has ended" in r.json()["error"]
    assert _snapshot(room) == before


def test_the_console_needs_the_instructors_secret(client, room):
    open_game(client)
    for method, url in [
        ("get", "/api/instructor"),
        ("post", "/api/instructor/games"),
        ("post", "/api/instructor/games/g1/pause"),
        ("post", "/api/instructor/games/g1/end"),
    ]:
        for headers in ({}, {"X-Instructor-Secret": "guess"}):
            if method == "get":
                r = client.get(url, headers=headers)
            else:
                r = client.post(url, headers=headers, json={})
            assert r.status_code == 403
            assert "instructor's secret" in r.json()["error"]
    assert room.get("g1").status == "waiting"
    assert len(room.games) == 1
    r = client.post("/api/instructor/games/g9/pause", headers=INSTRUCTOR)
    assert r.status_code == 404
    assert "no game 'g9'" in r.json()["error"]
    r = client.post(
        "/api/instructor/games/g1/channel",
        json={"channel": "telegraph", "open": False},
        headers=INSTRUCTOR,
    )
    assert r.status_code == 422
    assert "no channel 'telegraph'" in r.json()["error"]
    assert room.get("g1").game.events == []


# -- the timer, pause and resume -------------------------------------------------------------------
def test_when_the_timer_runs_out_a_team_that_has_not_chosen_holds(client, room, clock, pair):
    _g, usa, sun = pair
    t = state(client, usa)["round"]
    assert state(client, usa)["seconds_left"] == 60
    assert choose(client, usa, round=t, move="step_down").status_code == 200
    clock.now += 59
    assert state(client, usa)["round"] == t  # not yet
    clock.now += 2
    after = state(client, sun)  # any request ticks the clock
    assert after["round"] == t + 1
    assert after["timeouts"] == 1
    last = next(h for h in after["history"] if h["round"] == t)
    assert last["default"]
    assert "hold" in last["chosen"]
    assert "default" in last["chosen"]
    game = room.get("g1").game
    assert game.choices_of("SUN")[-1].move == "hold"
    assert game.choices_of("USA")[-1].move == "step_down"
    console = client.get("/api/instructor", headers=INSTRUCTOR).json()["games"][0]
    assert {x["actor"]: x["timeouts"] for x in console["teams"]} == {"USA": 0, "SUN": 1}
    assert any("did not choose in time" in x for x in console["log"])


def test_the_timer_waits_for_both_teams_to_join(client, room, clock):
    g = open_game(client)
    usa = join(client, g["code"], "USA")["token"]
    clock.now += 1000
    assert state(client, usa)["round"] == 1
    assert state(client, usa)["status"] == "waiting"


def test_pause_stops_the_timer_and_choices_and_resume_gives_back_the_time_left(
    client, room, clock, pair
):
    _g, usa, _sun = pair
    t = state(client, usa)["round"]
    clock.now += 20
    assert client.post("/api/instructor/games/g1/pause", headers=INSTRUCTOR).status_code == 200
    r = client.post("/api/instructor/games/g1/pause", headers=INSTRUCTOR)
    assert r.status_code == 409
    assert "paused already" in r.json()["error"]
    clock.now += 500
    view = state(client, usa)
    assert view["round"] == t
    assert view["status"] == "paused"
    assert view["seconds_left"] == 40
    r = choose(client, usa, round=t, move="hold")
    assert r.status_code == 409
    assert "paused" in r.json()["error"]
    assert client.post("/api/instructor/games/g1/resume", headers=INSTRUCTOR).status_code == 200
    assert state(client, usa)["seconds_left"] == 40
    clock.now += 39
    assert state(client, usa)["round"] == t
    clock.now += 2
    assert state(client, usa)["round"] == t + 1


def test_the_instructor_sets_the_round_timer(client, room, clock, pair):
    _g, usa, _sun = pair
    r = client.post("/api/instructor/games/g1/timer", json={"seconds": 0}, headers=INSTRUCTOR)
    assert r.status_code == 200
    clock.now += 10_000
    assert state(client, usa)["round"] == 1
    assert state(client, usa)["seconds_left"] is None
    r = client.post("/api/instructor/games/g1/timer", json={"seconds": -5}, headers=INSTRUCTOR)
    assert r.status_code == 422


# -- the instructor's interventions ----------------------------------------------------------------
def test_closing_a_channel_takes_effect_the_next_round(client, room, pair):
    _g, usa, sun = pair

    def hotline_open(token):
        chans = state(client, token)["situation"]["channels"]
        return next(c["open"] for c in chans if c["id"] == "hotline")

    assert hotline_open(usa)
    assert hotline_open(sun)
    t = state(client, usa)["round"]
    r = client.post(
        "/api/instructor/games/g1/channel",
        json={"channel": "hotline", "open": False},
        headers=INSTRUCTOR,
    )
    assert r.status_code == 200
    assert hotline_open(usa)  # this round's channels are as they were when it began
    assert choose(client, usa, round=t, move="hold").status_code == 200
    assert choose(client, sun, round=t, move="hold").status_code == 200
    assert not hotline_open(usa)
    assert not hotline_open(sun)
    news = state(client, usa)["situation"]["news"]
    assert any("hotline" in x.lower() for x in news), news


def test_an_injected_incident_happens_the_next_round(client, room, pair):
    _g, usa, sun = pair
    t = state(client, usa)["round"]
    r = client.post(
        "/api/instructor/games/g1/incident", json={"actor": "SUN", "rungs": 1}, headers=INSTRUCTOR
    )
    assert r.status_code == 200
    assert choose(client, usa, round=t, move="hold").status_code == 200
    assert choose(client, sun, round=t, move="hold").status_code == 200
    log = room.get("g1").game.model.event_log()
    forced = [
        e for e in log if e["kind"] == "incident" and e["actor"] == "SUN" and e["round"] == t + 1
    ]
    assert forced
    assert forced[0]["cause"] == "scheduled"
    r = client.post(
        "/api/instructor/games/g1/incident", json={"actor": "XYZ", "rungs": 1}, headers=INSTRUCTOR
    )
    assert r.status_code == 422
    assert "no actor 'XYZ'" in r.json()["error"]


def test_ending_a_game_saves_it_and_its_handout_opens_for_its_teams(client, room, pair):
    _g, usa, sun = pair
    t = state(client, usa)["round"]
    choose(client, usa, round=t, move="hold")
    choose(client, sun, round=t, move="hold")
    key = room.get("g1").handout_key
    assert client.get("/handout/g1", params={"key": key}).status_code == 409  # not yet
    assert client.post("/api/instructor/games/g1/end", headers=INSTRUCTOR).status_code == 200
    view = state(client, usa)
    assert view["status"] == "over"
    assert "ended by the instructor" in view["outcome"]
    assert client.get("/handout/g1").status_code == 403
    for wrong in ("guess", usa, sun, SECRET):  # what acts does not open handouts
        assert client.get("/handout/g1", params={"key": wrong}).status_code == 403
    console = client.get("/api/instructor", headers=INSTRUCTOR).json()["games"][0]
    for link in (view["handout"], state(client, sun)["handout"], console["handout"]):
        r = client.get(link)
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/html")
    page = r.text
    assert "Debrief" in page
    assert "United States: its team's debrief" in page
    assert "<script" not in page
    assert not re.search(r"(src|href)=['\"]?https?:", page)
    saved = room.get("g1").saved
    assert saved["handout"].read_text() == page
    assert len(load_moves(saved["moves"]).moves) == 1


def test_the_handout_is_self_contained(client, room, pair):
    _g, usa, sun = pair
    play_out(client, usa, sun)
    page = client.get(state(client, usa)["handout"]).text
    assert "<svg" in page
    assert "<style>" in page
    assert "Round by round" in page
    assert "The model's ensemble" in page
    assert "escalsim play hotline-1963 --moves" in page
    assert "<link" not in page
    assert "<script" not in page


# -- the class board -------------------------------------------------------------------------------
def test_the_class_board_sets_each_game_beside_its_configurations_ensemble(client, room):
    codes = [open_game(client)["code"] for _ in range(3)]
    tokens = [(join(client, c, "USA")["token"], join(client, c, "SUN")["token"]) for c in codes]
    play_out(client, *tokens[0], gid="g1")
    play_out(client, *tokens[1], gid="g2")
    play_out(client, *tokens[2], close_hotline_at=2, gid="g3")
    board = client.get("/api/board").json()
    groups = {tuple(x["id"] for x in g["games"]): g for g in board["groups"]}
    assert set(groups) == {("g1", "g2"), ("g3",)}
    same, closed = groups["g1", "g2"], groups["g3",]
    assert "hotline closed in round 3" in closed["config"]
    for g in (same, closed):
        ens = g["ensemble"]
        assert ens["replications"] == 40
        assert sum(v["p"] for v in ens["outcomes"].values()) == pytest.approx(1.0)
        for v in ens["outcomes"].values():
            assert v["lo"] <= v["p"] <= v["hi"]
    assert same["class"]["finished"] == 2
    outcome = room.get("g1").game.outcome
    assert same["class"]["outcomes"][outcome]["k"] >= 1
    # The ensemble is the model's: the run API on the shipped scenario, its condition applied
    # once, every power following its policy (computed here without the classroom's code).
    from escalsim import run

    runs = run(
        load_scenario("hotline-1963"),
        replications=40,
        seed=3,
        conditions=["hotline"],
        twin=False,
        workers=1,
    ).runs
    for outcome, v in same["ensemble"]["outcomes"].items():
        assert v["p"] == pytest.approx((runs.outcome == outcome).mean()), outcome
    assert same["ensemble"]["end_round"]["mean"] == pytest.approx(runs.end_round.mean())
    assert same["ensemble"]["replications"] == len(runs) == 40
    # Computed once per configuration.
    assert len(room._ensembles) == 2


def test_a_saved_game_is_loaded_onto_the_board(client, room, pair, tmp_path):
    _g, usa, sun = pair
    play_out(client, usa, sun)
    text = room.get("g1").saved["moves"].read_bytes()
    r = client.post("/api/instructor/load?name=g1-moves.yaml", content=text, headers=INSTRUCTOR)
    assert r.status_code == 200, r.text
    loaded = room.get(r.json()["game"])
    assert loaded.loaded
    assert loaded.game.outcome == room.get("g1").game.outcome
    board = client.get("/api/board").json()
    assert [x["id"] for x in board["groups"][0]["games"]] == ["g1", r.json()["game"]]
    r = client.post("/api/instructor/load", content=b"moves: [fly]", headers=INSTRUCTOR)
    assert r.status_code == 422
    assert "not a move" in r.json()["error"]


# -- one game's failure stays in that game ---------------------------------------------------------
def test_a_game_that_raises_stops_alone_and_the_others_go_on(client, room):
    codes = [open_game(client)["code"] for _ in range(2)]
    (u1, s1), (u2, s2) = [
        (join(client, c, "USA")["token"], join(client, c, "SUN")["token"]) for c in codes
    ]

    def broken(_choices):
        raise RuntimeError("a callback failed")

    room.get("g1").game.play_round = broken  # type: ignore[method-assign]
    assert choose(client, u1, round=1, move="hold").status_code == 200
    r = choose(client, s1, round=1, move="hold")
    assert r.status_code == 500
    assert "the other games go on" in r.json()["error"]
    assert room.get("g1").status == "errored"
    r = choose(client, u1, round=1, move="hold")
    assert r.status_code == 409
    assert "stopped on an error" in r.json()["error"]
    # The other game, the console and the board carry on.
    assert choose(client, u2, round=1, move="hold").status_code == 200
    assert choose(client, s2, round=1, move="hold").status_code == 200
    assert state(client, u2)["round"] == 2
    console = client.get("/api/instructor", headers=INSTRUCTOR).json()
    assert [g["status"] for g in console["games"]] == ["errored", "playing"]
    assert client.get("/api/board").status_code == 200


def test_eight_games_played_at_once_each_equal_the_model(hotline, clock):
    """8 pairs of teams, each in its own thread, all at once (correctness only, no timing)."""
    room = Classroom(hotline, condition="hotline", seed=11, clock=clock, secret=SECRET)
    app = create_app(room, ticker=False)
    with testclient.TestClient(app) as c:
        games = [open_game(c) for _ in range(8)]
        tokens = [
            (join(c, g["code"], "USA")["token"], join(c, g["code"], "SUN")["token"]) for g in games
        ]
    errors: list[BaseException] = []

    def play(k: int) -> None:
        try:
            with testclient.TestClient(app) as own:
                play_out(own, *tokens[k], close_hotline_at=2 + k % 3, gid=games[k]["game"])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=play, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not errors, errors
    for g in games:
        game = room.get(g["game"]).game
        assert game.over
        model = model_of(game)
        pd.testing.assert_frame_equal(model.timeseries, game.model.timeseries)


# -- the command line ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["nosuch-scenario"], "no shipped scenario"),
        (["hotline-1963", "--condition", "nope"], "no condition 'nope'"),
        (["hotline-1963", "--round-seconds", "-1"], "--round-seconds"),
        (["hotline-1963", "--round-seconds", "nan"], "round timer nan"),
        (["hotline-1963", "--load", "MISSING.yaml"], "MISSING.yaml"),
    ],
)
def test_bad_command_lines_exit_2_with_a_sentence_and_no_traceback(args, words, tmp_path):
    result = run_cli_in_process("classroom", *args, "--out", str(tmp_path / "o"))
    assert result.returncode == 2, result
    assert words in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_moves_file_is_refused_at_its_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "scenario: hotline-1963\nactor: USA\nmoves: [hold]\nothers: {SUN: [fly]}\n"
        "events:\n  - {kind: channel, round: 2, channel: hotline}\n"
    )
    result = run_cli_in_process("classroom", "hotline-1963", "--load", str(path))
    assert result.returncode == 2, result
    assert "bad.yaml:4" in result.stderr
    assert "'fly' is not a move" in result.stderr
    assert "bad.yaml:6" in result.stderr
    assert "open" in result.stderr
    assert "Traceback" not in result.stderr


# -- third parties played by teams -----------------------------------------------------------------
@pytest.fixture
def four(client):
    """A game whose teams play the powers, Cuba and the UN: (game, tokens by actor)."""
    g = open_game(client, thirds=["CUB", "UN"])
    return g, {a: join(client, g["code"], a)["token"] for a in ("USA", "SUN", "CUB", "UN")}


def cub_choice(k: int, view: dict) -> dict:
    """Cuba joins in round 2, then steps up every other round."""
    if not view["situation"]["joined"]:
        return {"move": "hold", "join": k == 2}
    return {"move": "step_up" if k % 2 else "hold"}


def test_third_party_teams_play_and_the_game_is_the_models(client, room, four):
    """Cuba joins when its team says; the UN may not mediate before U Thant's appeal (the
    rebuilt hotline-1963 opens his channel with it): the model's run."""
    _g, tokens = four
    cub = state(client, tokens["CUB"])
    assert cub["role"] == "third_party"
    s = cub["situation"]
    assert [p["id"] for p in s["powers"]] == ["USA", "SUN"]
    assert s["leans_to"] == "Soviet Union"
    assert (s["may_join"], s["may_mediate"], s["joined"]) == (True, False, False)
    assert [m["value"] for m in cub["moves"]] == ["hold"]
    assert cub["can_join"]
    assert not cub["can_mediate"]
    un = state(client, tokens["UN"])
    assert not un["can_mediate"]
    assert not un["can_join"]
    assert [c["id"] for c in un["situation"]["channels"]] == ["u_thant"]
    k = 0
    while True:
        views = {a: state(client, t) for a, t in tokens.items()}
        if views["USA"]["status"] == "over":
            break
        k += 1
        t = views["USA"]["round"]
        r = choose(client, tokens["USA"], round=t, **usa_choice(k, views["USA"]))
        assert r.status_code == 200, r.text
        r = choose(client, tokens["SUN"], round=t, **sun_choice(k, views["SUN"]))
        assert r.status_code == 200, r.text
        r = choose(client, tokens["CUB"], round=t, **cub_choice(k, views["CUB"]))
        assert r.status_code == 200, r.text
        r = choose(client, tokens["UN"], round=t, move="hold")
        assert r.status_code == 200, r.text
    game = room.get("g1").game
    assert game.thirds == ("CUB", "UN")
    log = game.model.events
    joined = log[(log["kind"] == "involvement") & (log["actor"] == "CUB")]
    assert joined["round"].tolist() == [2]
    assert log[(log["kind"] == "mediation") & (log["actor"] == "UN")].empty
    ts = game.model.timeseries
    cuba = ts[ts["actor"] == "CUB"].set_index("round")["rung"]
    assert [c.move for c in game.third_choices_of("CUB")][2] == "step_up"
    assert cuba[3] == cuba[2] + 1  # its move once joined, made in round 3
    model = model_of(game)
    assert (model.outcome_name, model.end_round) == (game.outcome, game.model.end_round)
    pd.testing.assert_frame_equal(model.timeseries, game.model.timeseries)
    pd.testing.assert_frame_equal(model.events, game.model.events)
    end = state(client, tokens["CUB"])
    assert "You joined Soviet Union's side in round 2." in end["debrief"]
    # The handout has the third parties' debriefs; the moves file replays the whole game.
    saved = room.get("g1").saved
    assert "Cuba (a third party)" in saved["handout"].read_text()
    moves = load_moves(saved["moves"])
    assert set(moves.thirds) == {"CUB", "UN"}
    result = CliRunner().invoke(cli, ["play", "hotline-1963", "--moves", str(saved["moves"])])
    assert result.exit_code == 0, result.output
    assert f"The crisis ended in round {game.model.end_round}" in result.output


def test_a_mediator_team_offers_mediation_when_it_says_and_the_game_is_the_models(
    hotline, clock, tmp_path
):
    """A third party that may mediate (here the UN of hotline-1963 allowed to from the first
    day, a counterfactual an instructor can set up) mediates in the round its team says."""
    spec = with_settings(hotline, {"actors.UN.may_mediate": True})
    room = Classroom(
        spec, condition="hotline", seed=3, clock=clock, secret=SECRET, out=tmp_path / "saved"
    )
    with testclient.TestClient(create_app(room, ticker=False)) as c:
        g = open_game(c, thirds=["UN"])
        tokens = {a: join(c, g["code"], a)["token"] for a in ("USA", "SUN", "UN")}
        assert state(c, tokens["UN"])["can_mediate"]
        k = 0
        while True:
            views = {a: state(c, t) for a, t in tokens.items()}
            if views["USA"]["status"] == "over":
                break
            k += 1
            t = views["USA"]["round"]
            assert (
                choose(c, tokens["USA"], round=t, **usa_choice(k, views["USA"])).status_code == 200
            )
            assert (
                choose(c, tokens["SUN"], round=t, **sun_choice(k, views["SUN"])).status_code == 200
            )
            r = choose(c, tokens["UN"], round=t, move="hold", mediate=k == 2)
            assert r.status_code == 200, r.text
        game = room.get(g["game"]).game
        log = game.model.events
        assert log[(log["kind"] == "mediation") & (log["actor"] == "UN")]["round"].tolist() == [2]
        model = model_of(game)
        pd.testing.assert_frame_equal(model.timeseries, game.model.timeseries)
        pd.testing.assert_frame_equal(model.events, game.model.events)
        un_debrief = state(c, tokens["UN"])["debrief"]
        assert any("offered mediation in round(s) 2" in x for x in un_debrief)


def test_a_third_partys_bad_choices_are_refused_and_change_nothing(client, room, four):
    _g, tokens = four
    t = state(client, tokens["CUB"])["round"]
    before = _snapshot(room)
    cases = [
        ("CUB", {"round": t, "move": "step_up"}, "has not joined a side"),
        ("CUB", {"round": t, "move": "hold", "mediate": True}, "does not mediate"),
        ("UN", {"round": t, "move": "hold", "mediate": True}, "does not mediate"),
        ("CUB", {"round": t, "move": "hold", "message": "warn"}, "message: a third party"),
        ("CUB", {"round": t, "move": "hold", "join": "yes"}, "true or false"),
        ("UN", {"round": t, "move": "hold", "join": True}, "may not join"),
        ("UN", {"round": t, "move": "accept"}, "move 'accept'"),
    ]
    for actor, body, words in cases:
        r = choose(client, tokens[actor], **body)
        assert r.status_code == 422, (body, r.text)
        assert words in r.json()["error"], r.json()
        assert _snapshot(room) == before
    assert choose(client, tokens["CUB"], round=t, move="hold", join=True).status_code == 200
    r = choose(client, tokens["CUB"], round=t, move="hold")
    assert r.status_code == 409
    assert "already chosen" in r.json()["error"]
    for a in ("USA", "SUN", "UN"):
        assert choose(client, tokens[a], round=t, move="hold").status_code == 200
    cub = state(client, tokens["CUB"])
    assert cub["situation"]["joined"]
    assert "step_up" in [m["value"] for m in cub["moves"]]
    r = choose(client, tokens["CUB"], round=t + 1, move="hold", join=True)
    assert r.status_code == 422
    assert "joined a side already" in r.json()["error"]


def test_a_third_party_team_that_does_not_choose_in_time_holds_and_stays_out(
    client, room, clock, four
):
    _g, tokens = four
    t = state(client, tokens["USA"])["round"]
    for a in ("USA", "SUN", "UN"):
        assert choose(client, tokens[a], round=t, move="hold").status_code == 200
    assert state(client, tokens["CUB"])["round"] == t  # waits for Cuba's team
    clock.now += 61
    cub = state(client, tokens["CUB"])
    assert cub["round"] == t + 1
    assert cub["timeouts"] == 1
    assert not cub["situation"]["joined"]
    assert room.get("g1").game.third_choices_of("CUB") == [("hold", False, False)]


def test_a_game_waits_for_its_third_party_teams_and_refuses_an_unknown_one(client, room, clock):
    g = open_game(client, thirds=["CUB"])
    for a in ("USA", "SUN"):
        join(client, g["code"], a)
    assert room.get(g["game"]).status == "waiting"
    join(client, g["code"], "CUB")
    assert room.get(g["game"]).status == "playing"
    r = client.post("/api/instructor/games", json={"thirds": ["FRA"]}, headers=INSTRUCTOR)
    assert r.status_code == 422
    assert "third party 'FRA'" in r.json()["error"]
    r = client.post("/api/instructor/games", json={"thirds": "CUB"}, headers=INSTRUCTOR)
    assert r.status_code == 422
    assert len(room.games) == 1
    # A game opened without it has no Cuba seat.
    plain = open_game(client)
    r = client.post("/api/join", json={"code": plain["code"], "actor": "CUB"})
    assert r.status_code == 422
    assert "USA, SUN" in r.json()["error"]


# -- what a finished game computes once ------------------------------------------------------------
def test_the_debriefs_replay_flips_the_channels_as_settings_would(hotline):
    """The replay's scenario, made without re-reading the file, is ``with_settings``'s."""
    from escalsim.teaching.game import with_channels_open

    for seed, actor in ((1, "USA"), (2, "SUN")):
        game = Game(hotline, actor, seed=seed, condition="hotline", emphasis="")
        while not game.over:
            game.play("step_up")
        flipped = game.flipped_channels()
        assert flipped
        slow = with_settings(
            game.replay_spec(), {f"channels.{c}.open": v for c, v in flipped.items()}
        )
        fast = with_channels_open(game.replay_spec(), flipped)
        assert fast.model_dump() == slow.model_dump()
        assert fast._raw == slow._raw
        assert game.debrief() is game.debrief()  # made once


def test_a_teams_view_is_made_once_per_change_and_polls_see_the_time_left(
    client, room, clock, pair
):
    _g, usa, sun = pair
    entry = room.get("g1")
    first = state(client, usa)
    made = entry.views["USA"]
    clock.now += 10
    again = state(client, usa)
    assert entry.views["USA"] is made  # the same view, not made again
    assert again["seconds_left"] == first["seconds_left"] - 10
    assert choose(client, sun, round=first["round"], move="hold").status_code == 200
    after = state(client, usa)
    assert entry.views["USA"] is not made
    assert after["waiting_for"] == []
    assert client.post("/api/instructor/games/g1/pause", headers=INSTRUCTOR).status_code == 200
    assert state(client, usa)["status"] == "paused"


# -- guessing codes --------------------------------------------------------------------------------
def test_team_codes_have_40_random_bits(client, room):
    from escalsim.teaching.classroom import _CODE_ALPHABET

    open_game(client)
    for seat in room.get("g1").seats.values():
        actor, rest = seat.team_code.split("-")
        assert actor == seat.actor
        assert len(rest) >= 8
        assert set(rest) <= set(_CODE_ALPHABET)


def test_a_client_that_keeps_guessing_codes_is_refused_until_the_window_passes(client, room, clock):
    g = open_game(client)
    usa = join(client, g["code"], "USA")
    for k in range(10):
        r = client.post("/api/join", json={"code": f"USA-GUESS{k:03d}"})
        assert r.status_code == 404, r.text
    before = {a: s.token for a, s in room.get("g1").seats.items()}
    # Even the right team code is refused now: the guesser gains nothing by hitting it.
    r = client.post("/api/join", json={"code": usa["team_code"]})
    assert r.status_code == 429
    assert "too many wrong codes" in r.json()["error"]
    assert {a: s.token for a, s in room.get("g1").seats.items()} == before
    clock.now += 61  # the window moves on
    assert join(client, usa["team_code"])["actor"] == "USA"
    # Joins that succeed or hit a real game do not count.
    for _ in range(20):
        r = client.post("/api/join", json={"code": g["code"], "actor": "USA"})
        assert r.status_code == 409
    assert join(client, g["code"], "SUN")["actor"] == "SUN"


def test_no_link_carries_the_instructors_secret_or_a_teams_token(client, room, pair):
    """The handout links (team pages, console) carry the game's handout key only."""
    _g, usa, sun = pair
    assert client.post("/api/instructor/games/g1/end", headers=INSTRUCTOR).status_code == 200
    console = client.get("/api/instructor", headers=INSTRUCTOR).json()["games"][0]
    links = [state(client, usa)["handout"], state(client, sun)["handout"], console["handout"]]
    for link in links:
        assert link.startswith("/handout/g1?key=")
        for secret in (SECRET, usa, sun):
            assert secret not in link
    # The pages' scripts send the secret and tokens as headers only, never in an address.
    for page in ("/instructor", "/team", "/", "/board"):
        html = client.get(page).text
        assert not re.search(r"[?&][\w-]+=(\$\{|['\"`]\s*\+\s*)(secret|token)\b", html), page
    # A game's key opens its own handout only.
    assert client.post("/api/instructor/games", json={}, headers=INSTRUCTOR).status_code == 200
    r = client.get("/handout/g2", params={"key": room.get("g1").handout_key})
    assert r.status_code == 403


def test_an_uploads_name_is_never_used_as_a_path(client, room, pair, tmp_path):
    _g, usa, sun = pair
    play_out(client, usa, sun)
    text = room.get("g1").saved["moves"].read_bytes()
    target = tmp_path / "elsewhere" / "written.yaml"
    target.parent.mkdir()
    for name in (str(target), "sub/x-moves.yaml", "../../up.yaml", "a\\b.yaml"):
        r = client.post(
            "/api/instructor/load", params={"name": name}, content=text, headers=INSTRUCTOR
        )
        assert r.status_code == 200, (name, r.text)
        log = room.get(r.json()["game"]).log
        assert log[0] == f"loaded from {name.replace(chr(92), '/').rsplit('/', 1)[-1]}"
    assert not target.exists()
    assert not (tmp_path / "up.yaml").exists()
    r = client.post(
        "/api/instructor/load",
        params={"name": "/x/bad.yaml"},
        content=b"moves: [fly]",
        headers=INSTRUCTOR,
    )
    assert r.status_code == 422
    assert "bad.yaml" in r.json()["error"]
    assert "upload-moves" not in r.json()["error"]


def test_a_saved_game_is_never_overwritten_nor_a_loaded_one_saved_again(client, room, pair):
    out = room.out
    assert out is not None
    out.mkdir(parents=True)
    earlier = {"g1-moves.yaml": "an earlier session's g1\n", "g1-handout.html": "<p>earlier</p>"}
    for name, text in earlier.items():
        (out / name).write_text(text)
    _g, usa, sun = pair
    play_out(client, usa, sun)
    saved = room.get("g1").saved
    assert saved["moves"].name == "g1-2-moves.yaml"
    assert saved["handout"].name == "g1-2-handout.html"
    assert "--moves g1-2-moves.yaml" in saved["handout"].read_text()
    for name, text in earlier.items():
        assert (out / name).read_text() == text
    # Loaded onto the board, its handout opened: nothing is written.
    before = sorted((p.name, p.stat().st_mtime_ns) for p in out.iterdir())
    r = client.post("/api/instructor/load", content=saved["moves"].read_bytes(), headers=INSTRUCTOR)
    assert r.status_code == 200, r.text
    entry = room.get(r.json()["game"])
    console = {
        g["id"]: g for g in client.get("/api/instructor", headers=INSTRUCTOR).json()["games"]
    }
    assert client.get(console[entry.gid]["handout"]).status_code == 200
    assert client.get("/api/board").status_code == 200
    assert sorted((p.name, p.stat().st_mtime_ns) for p in out.iterdir()) == before
    assert entry.saved == {}


# -- malformed input: a 4xx, nothing changed, the game goes on -------------------------------------
def test_a_malformed_channel_or_actor_id_is_refused_and_the_game_goes_on(client, room, pair):
    _g, usa, sun = pair
    for action, body, words in [
        ("channel", {"channel": "no such channel!", "open": False}, "channel 'no such channel!'"),
        ("channel", {"channel": "", "open": True}, "channel ''"),
        ("incident", {"actor": "U S A", "rungs": 1}, "actor 'U S A'"),
    ]:
        r = client.post(f"/api/instructor/games/g1/{action}", json=body, headers=INSTRUCTOR)
        assert r.status_code == 422, r.text
        assert words in r.json()["error"]
    entry = room.get("g1")
    assert entry.status == "playing"
    assert entry.error is None
    assert entry.game.events == []
    t = state(client, usa)["round"]
    assert choose(client, usa, round=t, move="hold").status_code == 200
    assert choose(client, sun, round=t, move="hold").status_code == 200
    assert state(client, usa)["round"] == t + 1


def test_codes_tokens_and_keys_beyond_ascii_are_wrong_not_internal_errors(client, room, pair):
    odd = "Ünïcode-✓"
    r = client.get("/api/instructor", headers={"X-Instructor-Secret": odd.encode()})
    assert r.status_code == 403
    r = client.get("/api/team", headers={"X-Team-Token": odd.encode()})
    assert r.status_code == 403
    r = client.post("/api/join", json={"code": odd, "actor": "USA"})
    assert r.status_code == 404
    assert "no game has the code" in r.json()["error"]
    assert client.post("/api/instructor/games/g1/end", headers=INSTRUCTOR).status_code == 200
    r = client.get("/handout/g1", params={"key": odd})
    assert r.status_code == 403
    assert room.get("g1").status == "over"


@pytest.mark.parametrize("seconds", ["Infinity", "NaN", "-Infinity", "1e9", "-1"])
def test_a_new_games_round_timer_is_checked(client, room, seconds):
    body = f'{{"round_seconds": {seconds}}}'
    r = client.post(
        "/api/instructor/games",
        content=body,
        headers=INSTRUCTOR | {"Content-Type": "application/json"},
    )
    assert r.status_code == 422, r.text
    assert "round timer" in r.json()["error"]
    assert room.games == {}
    assert client.get("/api/instructor", headers=INSTRUCTOR).status_code == 200


def test_a_claim_that_is_not_finite_is_refused(client, room, pair):
    _g, usa, _sun = pair
    t = state(client, usa)["round"]
    before = _snapshot(room)
    for claim in ("Infinity", "NaN"):
        r = client.post(
            "/api/team/choice",
            content=f'{{"round": {t}, "move": "hold", "claim": {claim}}}',
            headers=team(usa) | {"Content-Type": "application/json"},
        )
        assert r.status_code == 422, r.text
        assert "claim" in r.json()["error"]
        assert _snapshot(room) == before


def test_a_saved_game_with_a_condition_the_scenario_lacks_is_refused(client, room, tmp_path):
    path = tmp_path / "other.yaml"
    path.write_text("scenario: hotline-1963\nactor: USA\ncondition: nowhere\nmoves: [hold]\n")
    r = client.post("/api/instructor/load", content=path.read_bytes(), headers=INSTRUCTOR)
    assert r.status_code == 422, r.text
    assert "no condition 'nowhere'" in r.json()["error"]
    assert room.games == {}
    result = run_cli_in_process("classroom", "hotline-1963", "--load", str(path))
    assert result.returncode == 2, result
    assert "other.yaml:3" in result.stderr
    assert "no condition 'nowhere'" in result.stderr
    assert "Traceback" not in result.stderr


class _Broken:
    """A crisis every look at which raises (a game whose view fails)."""

    def __getattr__(self, name):
        raise RuntimeError(f"cannot read {name}")


def test_a_game_whose_view_raises_shows_as_errored_and_the_pages_answer(client, room):
    for _ in range(2):
        open_game(client)
    room.get("g1").game = _Broken()  # type: ignore[assignment]
    r = client.get("/api/instructor", headers=INSTRUCTOR)
    assert r.status_code == 200, r.text
    rows = {g["id"]: g for g in r.json()["games"]}
    assert rows["g1"]["status"] == "errored"
    assert "cannot read" in rows["g1"]["error"]
    assert rows["g2"]["status"] == "waiting"
    assert room.get("g1").status == "errored"
    room.get("g1").error = None  # the board finds it as well
    r = client.get("/api/board")
    assert r.status_code == 200, r.text
    board = r.json()
    assert [x["id"] for x in board["errored"]] == ["g1"]
    assert [x["id"] for g in board["groups"] for x in g["games"]] == ["g2"]
    assert room.get("g1").status == "errored"
    assert client.get("/board").status_code == 200


def test_a_game_the_instructor_ended_is_not_counted_as_the_models_unresolved(client, room, pair):
    _g, usa, sun = pair
    t = state(client, usa)["round"]
    assert choose(client, usa, round=t, move="hold").status_code == 200
    assert choose(client, sun, round=t, move="hold").status_code == 200
    assert client.post("/api/instructor/games/g1/end", headers=INSTRUCTOR).status_code == 200
    group = client.get("/api/board").json()["groups"][0]
    assert group["class"]["finished"] == 0
    assert group["class"]["stopped"] == 1
    assert group["class"]["outcomes"]["unresolved"]["k"] == 0
    assert group["games"][0]["stopped"]
    # Saved with the flag, and loaded with it.
    saved = room.get("g1").saved["moves"]
    assert load_moves(saved).stopped
    r = client.post("/api/instructor/load", content=saved.read_bytes(), headers=INSTRUCTOR)
    assert r.status_code == 200, r.text
    assert room.get(r.json()["game"]).ended_by_instructor
    group = client.get("/api/board").json()["groups"][0]
    assert (group["class"]["finished"], group["class"]["stopped"]) == (0, 2)


# -- conditions that remove an element -------------------------------------------------------------
@pytest.mark.parametrize("condition", ["no_backchannel", "early_warning"])
def test_a_condition_that_removes_an_event_is_played_and_its_ensemble_is_the_models(
    clock, condition
):
    """able-archer-1983's conditions remove Gordievsky's report: playable, in class and alone."""
    from escalsim import run

    spec = load_scenario("able-archer-1983")
    powers = [a.id for a in spec.actors if a.role == "power"]
    game = Game(spec, powers[0], seed=5, condition=condition, emphasis="")
    for _ in range(3):
        if not game.over:
            game.play("hold")
    assert len(game.moves) >= 1
    room = Classroom(spec, condition=condition, seed=4, clock=clock, secret=SECRET, replications=20)
    with testclient.TestClient(create_app(room, ticker=False)) as c:
        g = open_game(c)
        tokens = [join(c, g["code"], a)["token"] for a in powers]
        for _ in range(2):
            t = state(c, tokens[0])["round"]
            for token in tokens:
                assert choose(c, token, round=t, move="hold").status_code == 200
        assert c.post("/api/instructor/games/g1/end", headers=INSTRUCTOR).status_code == 200
        board = c.get("/api/board")
        assert board.status_code == 200, board.text
    ensemble = board.json()["groups"][0]["ensemble"]
    runs = run(spec, replications=20, seed=4, conditions=[condition], twin=False, workers=1).runs
    for outcome, v in ensemble["outcomes"].items():
        assert v["p"] == pytest.approx((runs.outcome == outcome).mean()), outcome
    assert ensemble["end_round"]["mean"] == pytest.approx(runs.end_round.mean())


def test_opening_a_handout_computes_the_ensemble_without_the_games_lock(client, room, pair):
    _g, usa, _sun = pair
    assert client.post("/api/instructor/games/g1/end", headers=INSTRUCTOR).status_code == 200
    entry = room.get("g1")
    room._ensembles.clear()
    held: list[bool] = []
    ensemble = room.ensemble

    def spy(e):
        # An RLock held by another thread cannot be taken without blocking from here.
        done = threading.Event()
        free: list[bool] = []

        def probe() -> None:
            got = e.lock.acquire(blocking=False)
            free.append(got)
            if got:
                e.lock.release()
            done.set()

        threading.Thread(target=probe).start()
        done.wait()
        held.append(not free[0])
        return ensemble(e)

    room.ensemble = spy  # type: ignore[method-assign]
    assert client.get(state(client, usa)["handout"]).status_code == 200
    assert held == [False]
    assert entry.status == "over"
