"""The classroom game in a real browser: Playwright driving Debian's Chromium (never a download).

``escalsim classroom`` is started as an instructor would start it, on a free localhost port.
Three browser contexts (three machines, as far as the server can tell): the instructor's
console, and a team for each power of ``hotline-1963`` (under its ``hotline`` condition). The
teams play to the end while the instructor closes the hotline mid-game; the outcome must be the
model's run with the same moves, events and seed, and the handout must open.

Screenshots go to ``results/test-artifacts/browser/``; with ``ESCALSIM_SCREENSHOTS=1`` the
console, a team's view and the class board are also written to ``docs/images/`` (the
screenshots the docs show).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from chromium import CHROMIUM_ARGS, chromium_path, free_port, wait_served
from conftest import TIMEOUT, kill_group, stop_group, wait_until

playwright_api = pytest.importorskip("playwright.sync_api", reason="the dev extras install it")
pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("ESCALSIM_ARTIFACTS", ROOT / "results" / "test-artifacts"))
SHOTS = ARTIFACTS / "browser"
DOCS_IMAGES = ROOT / "docs" / "images"
TIMEOUT_MS = 60_000
SEED = 3


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    if os.environ.get("ESCALSIM_SCREENSHOTS") == "1":
        shutil.copy(path, DOCS_IMAGES / f"{name}.png")


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[dict[str, object]]:
    port = free_port()
    out = tmp_path_factory.mktemp("classroom")
    log = ARTIFACTS / "classroom-server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "escalsim",
                "classroom",
                "hotline-1963",
                "--condition",
                "hotline",
                "--seed",
                str(SEED),
                "--games",
                "1",
                "--round-seconds",
                "0",
                "--replications",
                "100",
                "--port",
                str(port),
                "--out",
                str(out / "saved"),
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        if not wait_served(url + "/", proc, TIMEOUT):
            kill_group(proc)
            pytest.fail(f"escalsim classroom did not serve {url}:\n{log.read_text()}")
        text = log.read_text()
        secret = re.search(r"/instructor#(\S+)", text)
        code = re.search(r"game g1: join code (\S+)", text)
        assert secret, text
        assert code, text
        try:
            yield {"url": url, "secret": secret[1], "code": code[1], "out": out / "saved"}
        finally:
            stop_group(proc)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _context_page(browser, width=1400, height=1000):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return context, page


def _join(page, url: str, code: str, actor: str) -> None:
    page.goto(url + "/")
    page.fill("#code", code)
    page.check(f"input[name=actor][value={actor}]")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/team#"))
    page.wait_for_selector("#send")


def _round_of(page) -> int:
    text = page.inner_text("#round")
    return int(text.split()[1])


def _choose(page, move: str, message: str) -> None:
    page.wait_for_selector("#send:not([disabled])")
    page.check(f"input[name=move][value={move}]")
    if page.locator(f"input[name=message][value={message}]").count():
        page.check(f"input[name=message][value={message}]")
    page.click("#send")


def test_two_teams_play_hotline_1963_while_the_instructor_closes_the_hotline(served, browser):
    from escalsim.agents.model import EscalationModel
    from escalsim.scenario import load_scenario, with_condition
    from escalsim.teaching.game import Game
    from escalsim.teaching.replay import load_moves

    url, secret, code = served["url"], served["secret"], served["code"]
    contexts = []
    try:
        ctx, console = _context_page(browser)
        contexts.append(ctx)
        console.goto(f"{url}/instructor#{secret}")
        console.wait_for_selector("text=Join code")
        ctx, usa = _context_page(browser)
        contexts.append(ctx)
        ctx, sun = _context_page(browser)
        contexts.append(ctx)
        _join(usa, str(url), str(code), "USA")
        _join(sun, str(url), str(code), "SUN")
        k = 0
        while "over" not in usa.inner_text("#status"):
            k += 1
            t = _round_of(usa)
            if k == 2:
                usa.wait_for_selector("#status .playing")
                _shot(usa, "classroom-team")
            if k == 3:  # the instructor closes the hotline mid-game
                console.click("button[data-act=channel][data-channel=hotline]")
                console.wait_for_selector("text=closes next round")
                _shot(console, "classroom-console")
            _choose(usa, "hold", "reassure")
            usa.wait_for_selector(f"text=Chosen for round {t}")
            _choose(sun, "step_down" if k % 2 else "hold", "warn")
            usa.wait_for_function(
                f"() => !document.querySelector('#round').innerText.includes('Round {t} ')"
                " || document.querySelector('#status').innerText.includes('over')"
            )
        usa.wait_for_selector("#handout")
        outcome = usa.inner_text(".notice")
        # The outcome equals the model's run with the same moves, the instructor's event, seed.
        saved = Path(str(served["out"])) / "g1-moves.yaml"
        wait_until(saved.exists, "the finished game saved")
        moves = load_moves(saved)
        assert [(e.kind, e.round, getattr(e, "open", None)) for e in moves.events] == [
            ("channel", 4, False)
        ]
        game = Game(
            "hotline-1963",
            "USA",
            seed=SEED,
            condition="hotline",
            teams=["SUN"],
            scripted=moves.others,
            events=moves.events,
        )
        for mv, msg, off, cl in moves.choices():
            game.play(mv, msg, offer=off, claim=cl)
        lists = game._lists
        model = EscalationModel(
            scenario=game.replay_spec(),
            seed=SEED,
            human_moves={a: list(v.moves) for a, v in lists.items()},
            human_messages={a: list(v.messages) for a, v in lists.items()},
            human_offers={a: list(v.offers) for a, v in lists.items()},
            human_claims={a: list(v.claims) for a, v in lists.items()},
        ).run()
        assert len(moves.moves) == k
        assert model.outcome_name == game.outcome
        assert f"in round {model.end_round}" in outcome
        assert game.narrator.outcome(model.outcome_name) in outcome
        assert with_condition(load_scenario("hotline-1963"), "hotline").id == moves.scenario
        # The handout opens in the browser, from the team's page.
        with usa.context.expect_page() as opened:
            usa.click("#handout")
        handout = opened.value
        handout.wait_for_load_state()
        assert "Debrief" in handout.title()
        assert handout.locator("svg").count() == 1
        assert (Path(str(served["out"])) / "g1-handout.html").exists()
        # The class board: this game beside the model's ensemble.
        ctx, board = _context_page(browser, 1400, 800)
        contexts.append(ctx)
        board.goto(f"{url}/board")
        board.wait_for_selector("text=games finished")
        assert "1 of 1 games finished" in board.inner_text("#groups")
        _shot(board, "classroom-board")
        console.wait_for_selector("text=Outcome:")
    finally:
        for ctx in contexts:
            ctx.close()


def test_a_team_plays_cuba_in_a_game_the_console_opens_with_its_seat(served, browser):
    """The console opens a game with Cuba's seat; Cuba's team joins its side from its page."""
    import json

    url, secret = str(served["url"]), str(served["secret"])
    contexts = []
    try:
        ctx, console = _context_page(browser)
        contexts.append(ctx)
        console.goto(f"{url}/instructor#{secret}")
        console.wait_for_selector("input.third[value=CUB]")
        console.check("input.third[value=CUB]")
        before = console.locator("#games > .card").count()
        console.click("#new button[type=submit]")
        console.wait_for_function(
            f"() => document.querySelectorAll('#games > .card').length > {before}"
        )
        request = urllib.request.Request(
            url + "/api/instructor", headers={"X-Instructor-Secret": secret}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            game = json.loads(response.read())["games"][-1]
        assert [t["actor"] for t in game["teams"]] == ["USA", "SUN", "CUB"]
        pages = {}
        for actor in ("USA", "SUN", "CUB"):
            ctx, page = _context_page(browser)
            contexts.append(ctx)
            _join(page, url, game["code"], actor)
            pages[actor] = page
        cuba = pages["CUB"]
        cuba.wait_for_selector("#status .playing")
        assert "What your state may do" in cuba.inner_text("#bargain-title")
        assert "Soviet Union" in cuba.inner_text("#situation")
        assert cuba.locator("input[name=move]").count() == 1  # hold only, before joining
        cuba.check("#join")
        cuba.click("#send")
        cuba.wait_for_selector("text=Chosen for round 1")
        _choose(pages["USA"], "hold", "none")
        _choose(pages["SUN"], "hold", "none")
        cuba.wait_for_selector("text=you have joined its side")
        cuba.wait_for_selector("input[name=move][value=step_up]")
        _shot(cuba, "classroom-third-party")
    finally:
        for ctx in contexts:
            ctx.close()
