"""The teaching app in a real browser: Playwright driving Debian's Chromium (never a download).

``escalsim app`` is started as a user would start it, on a free localhost port; each test opens
its own page (its own Solara session). Screenshots of every step are saved as test artefacts in
``results/test-artifacts/browser/`` (or ``$ESCALSIM_ARTIFACTS/browser``).

The server runs with ``ESCALSIM_APP_TEST_HOOKS=1``, which lets a page opened as ``/?fail=step``
raise an error on its next step (the crash isolation test uses it) and one opened as
``/?slow=step`` wait before each step (the test of clicks made while Steps are busy uses it);
the app ignores the queries without the variable. Uploads are dropped on the page's drop zone
by a script (:data:`_DROP`) that hands the drop zone a real browser ``File``, as a drag from the
desktop would, or chosen in its file picker through Playwright's file chooser.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chromium import CHROMIUM_ARGS, chromium_path, free_port, wait_served
from conftest import TIMEOUT, kill_group, stop_group

playwright_api = pytest.importorskip("playwright.sync_api", reason="the dev extras install it")
#: The browser tier: a Chromium driven through the served app (`-m "not browser"` leaves it out).
pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("ESCALSIM_ARTIFACTS", ROOT / "results" / "test-artifacts"))
SHOTS = ARTIFACTS / "browser"
TIMEOUT_MS = 60_000
#: The round hotline-1963's talks open (event first_letter: Khrushchev's first letter, 26 Oct).
TALKS = 11


@dataclass
class Served:
    """The running ``escalsim app``: its URL, port and process."""

    url: str
    port: int
    proc: subprocess.Popen[bytes]


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    port = free_port()
    log = ARTIFACTS / "app-server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "escalsim",
                "app",
                "hotline-1963",
                "--port",
                str(port),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "ESCALSIM_APP_TEST_HOOKS": "1"},
        )
        url = f"http://127.0.0.1:{port}/"
        if not wait_served(url, proc, TIMEOUT):  # until the server answers, however loaded
            kill_group(proc)
            pytest.fail(f"escalsim app did not serve {url}:\n{log.read_text()}")
        try:
            yield Served(url, port, proc)
        finally:
            stop_group(proc)


@pytest.fixture(scope="module")
def server(served: Served) -> str:
    return served.url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    context.close()


def _shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


_PIXELS = """() => {
  const card = [...document.querySelectorAll('.v-card')]
    .find(e => e.innerText.includes('Channel network'));
  const img = card && card.querySelector('img');
  if (!img || !img.complete || !img.naturalWidth) return '';
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  canvas.getContext('2d').drawImage(img, 0, 0);
  return canvas.toDataURL('image/png');
}"""


def _network_image(page) -> str:
    """The network figure's pixels (as a PNG data URL), so that a change is a real change."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        pixels = page.evaluate(_PIXELS)
        if pixels:
            return pixels
        time.sleep(0.2)
    pytest.fail("the network figure never loaded")


def _channels_line(page) -> str:
    card = page.locator(".v-card", has_text="Channels: live switches").first
    return card.get_by_text("Closed now:").first.inner_text()


def test_the_app_loads(page, server):
    page.goto(server)
    page.get_by_text("Round 0 of 30").wait_for()
    assert page.get_by_text("Channel network").is_visible()
    assert page.get_by_role("button", name="Step").is_visible()
    postures = page.locator(".v-card", has_text="True against perceived postures")
    assert postures.locator("svg.escalsim-postures path").count() == 4  # 2 powers x true, seen
    assert _network_image(page).startswith("data:image/png")
    _shot(page, "01-app-loaded")


def test_a_step_advances_the_round_and_feeds_events(page, server):
    page.goto(server)
    page.get_by_text("Round 0 of 30").wait_for()
    page.get_by_role("button", name="Step").click()
    page.get_by_text("Round 1 of 30").wait_for()
    # The feed may render after the round's counter: wait for it (a loaded machine is slow)
    # rather than read it at once.
    feed = page.locator(".v-card", has_text="What happened").first
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while "Nothing yet" in feed.inner_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "Nothing yet" not in feed.inner_text()
    _shot(page, "02-after-one-step")


def test_closing_a_channel_changes_the_network_view(page, server):
    page.goto(server)
    page.get_by_text("Round 0 of 30").wait_for()
    # hotline-1963 opens rfk_dobrynin in round 8 (an event): the Settings' checkbox opens it at
    # the start, on Reset, so that there is a channel to close in round 1.
    page.get_by_label("rfk_dobrynin (backchannel) open", exact=True).click(force=True)
    page.get_by_role("button", name="Reset").click()
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while "rfk_dobrynin" in _channels_line(page).split("Closed now:")[1]:
        assert time.monotonic() < deadline, "the checkbox and Reset did not open the channel"
        time.sleep(0.2)
    page.get_by_text("Round 0 of 30").wait_for()
    before = _network_image(page)
    assert "rfk_dobrynin" not in _channels_line(page).split("Closed now:")[1]
    page.get_by_label("rfk_dobrynin", exact=True).click(force=True)
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while "rfk_dobrynin" not in _channels_line(page).split("Closed now:")[1]:
        assert time.monotonic() < deadline, "the switch did not close the channel"
        time.sleep(0.2)
    after = _network_image(page)
    while after == before and time.monotonic() < deadline:
        time.sleep(0.2)
        after = _network_image(page)
    assert after != before, "the network figure did not change"
    page.get_by_role("button", name="Step").click()
    page.get_by_text("Round 1 of 30").wait_for()
    feed = page.locator(".v-card", has_text="What happened").first.inner_text()
    assert "rfk_dobrynin' closed" in feed
    _shot(page, "03-channel-closed")


def _ukraine_text() -> str:
    return (ROOT / "src" / "escalsim" / "scenarios" / "ukraine-talks-2022.yaml").read_text("utf-8")


def _round_line(page) -> str:
    return page.locator(".v-card", has_text="Run the crisis").first.inner_text()


def test_every_click_on_step_advances_one_round(page, server):
    """Clicks made while a Step is busy are queued, not lost: N clicks, N rounds.

    The test hook ``?slow=step`` makes each Step wait first, so that the clicks land while the
    first Steps run; the test waits on the page's state (the busy line, the round, "Ready").
    ukraine-talks-2022 (uploaded) runs its 40 rounds, where hotline-1963 settles in round 2.
    """
    clicks = 8
    page.goto(server + "?slow=step")
    page.get_by_text("Round 0 of 30").wait_for()
    _drop(page, "ukraine.yaml", _ukraine_text())
    page.get_by_text("Round 0 of 40").wait_for()
    step = page.get_by_role("button", name="Step", exact=True)
    for _ in range(clicks):
        # force: no waiting for the button to be enabled, as a person clicks; a click on a
        # disabled or replaced button would be lost, and the rounds below would fall short.
        step.click(force=True)
    busy = page.locator(".escalsim-busy")
    busy.wait_for()  # the Steps in hand are shown while they run
    assert "Step" in busy.inner_text()
    _shot(page, "11-steps-queued")
    page.get_by_text(f"Round {clicks} of 40").wait_for()
    page.locator(".escalsim-ready").wait_for()
    assert f"Round {clicks} of 40" in _round_line(page)
    feed = page.locator(".v-card", has_text="What happened").first.inner_text()
    assert f"\n{clicks} " in "\n" + feed  # the last round's events are in the feed
    # Play runs on to the next rounds; Pause stops it.
    page.get_by_role("button", name="Play").click()
    page.get_by_text(f"Round {clicks + 2} of 40").wait_for()
    page.get_by_role("button", name="Pause").click()
    page.locator(".escalsim-ready").wait_for()
    stopped = int(_round_line(page).split("Round ")[1].split(" of")[0])
    step.click()
    page.get_by_text(f"Round {stopped + 1} of 40").wait_for()
    page.locator(".escalsim-ready").wait_for()
    assert f"Round {stopped + 1} of 40" in _round_line(page)


def test_the_explorer_names_its_parts_and_shows_every_value(page, server):
    page.goto(server)
    page.get_by_text("Round 0 of 30").wait_for()
    body = page.locator("body").inner_text()
    # Tabs named for what they hold; mesa's controls that mean nothing to a student are gone.
    assert page.get_by_role("tab", name="Crisis", exact=True).is_visible()
    assert page.get_by_role("tab", name="Many runs").is_visible()
    assert page.get_by_role("tab", name="Seminar").is_visible()
    for gone in ("Page 0", "Page 1", "Use Threads", "Render Interval", "Play Interval"):
        assert gone not in body, gone
    # Every slider shows its value, and shows the new one when it moves.
    settings = page.locator(".v-card", has_text="Settings").first
    for shown in ("Seed: 16", "Noise of public statements: 0.35", "incident scale): 1.0"):
        assert shown in settings.inner_text(), shown
    settings.get_by_role("slider").first.focus()
    page.keyboard.press("ArrowRight")
    settings.get_by_text("Seed: 17").wait_for()
    # The event feed is beside the network, above the fold.
    page.get_by_role("button", name="Step", exact=True).click()
    page.get_by_text("Round 1 of 30").wait_for()
    feed = page.locator(".v-card", has_text="What happened").first.bounding_box()
    assert feed is not None
    assert feed["y"] < 1000 - 100, feed
    _shot(page, "12-explorer-named")


def test_a_scenario_can_be_chosen_in_a_file_picker(page, server):
    page.goto(server)
    page.get_by_text("Round 0 of 30").wait_for()
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Choose a file").click()
    chooser.value.set_files(
        {"name": "picked.yaml", "mimeType": "application/x-yaml", "buffer": _my_crisis().encode()}
    )
    page.get_by_text("Round 0 of 28").wait_for()
    # The page was rebuilt for the upload: wait for its new upload panel before choosing again.
    page.get_by_text("Using the uploaded scenario picked.yaml").wait_for()
    _shot(page, "13-file-picked")
    # A refused file, chosen the same way, says why and changes nothing.
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Choose a file").click()
    chooser.value.set_files(
        {"name": "bad.yaml", "mimeType": "application/x-yaml", "buffer": b"id: [unclosed\n"}
    )
    page.locator(".escalsim-upload-problems").wait_for()
    assert "bad.yaml:" in page.locator(".escalsim-upload-problems").inner_text()
    assert page.get_by_text("Round 0 of 28").is_visible()


def test_two_tabs_are_two_independent_sessions(browser, server):
    a = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    b = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    for p in (a, b):
        p.set_default_timeout(TIMEOUT_MS)
        p.goto(server)
        p.get_by_text("Round 0 of 30").wait_for()
    a.get_by_role("button", name="Step").click()
    a.get_by_role("button", name="Step").click()
    a.get_by_text("Round 2 of 30").wait_for()
    assert b.get_by_text("Round 0 of 30").is_visible()
    # Seminar games too: one student's game is not another's.
    a.goto(server + "seminar")
    b.goto(server + "seminar")
    a.get_by_role("button", name="Start the crisis").click()
    a.get_by_role("button", name="Play this round").click()
    a.get_by_text("Round 2 of 30").wait_for()
    assert b.get_by_role("button", name="Start the crisis").is_visible()
    a.context.close()
    b.context.close()


def test_the_ensemble_panel_shows_cis_against_the_conditions(page, server):
    page.goto(server)
    page.get_by_text("Round 0 of 30").wait_for()
    page.get_by_role("tab", name="Many runs").click()
    page.get_by_role("button", name="Run ensemble").click()
    page.get_by_text("P(war) [95% CI]").wait_for()
    text = page.locator(".v-card", has_text="Ensemble").first.inner_text()
    for label in ("your settings", "condition no_hotline", "condition hotline"):
        assert label in text
    assert "Replications: 300" in text  # the slider shows its value
    # The table has the page's width beside the sidebar, not half of it.
    table = page.locator("table", has_text="P(war) [95% CI]").first.bounding_box()
    assert table is not None
    assert table["width"] > 700, table  # of 1400 pixels, the sidebar's 300 or so aside
    _shot(page, "04-ensemble")


def _choose(page, label: str, value: str) -> None:
    """Choose ``value`` in the select labelled ``label`` (an option of its menu), and wait until
    the select shows it."""
    select = page.locator(".v-select", has_text=label).first
    select.click()
    page.get_by_role("option", name=value, exact=True).click()
    select.get_by_text(value, exact=True).wait_for()


def test_seminar_mode_plays_three_rounds_and_shows_the_debrief(page, server):
    page.goto(server + "seminar")
    # hotline-1963's private channels open from round 7 (events): under its condition hotline
    # the hotline is open from round 1, so there is a channel for round 1's claim.
    _choose(page, "Condition", "hotline")
    # A three-round game (the Rounds slider at its least), which ends after round 3: a
    # concession ends the crisis only once the talks are open (round 11), so round 3's is hold.
    rounds = page.locator(".v-input", has_text="Rounds (a shorter game").first
    rounds.get_by_role("slider").first.focus()
    rounds.get_by_role("slider").first.press("Home")
    page.get_by_text("Rounds (a shorter game for a short class): 3", exact=True).wait_for()
    page.get_by_role("button", name="Start the crisis").click()
    for n, move in enumerate(("hold", "step_down", "hold"), start=1):
        page.get_by_text(f"Round {n} of 3", exact=True).wait_for()
        page.get_by_role("button", name=move, exact=True).click()
        if n == 1:
            # Both powers bargain, so words between them are claims about one's cost of war:
            # claim the lowest cost the USA may have.
            from escalsim.teaching import Game

            lowest = Game("hotline-1963", "USA", condition="hotline").bargain().claimable[0]
            page.get_by_role("button", name=f"{lowest:.3g}", exact=True).click()
            _shot(page, "05-seminar-round-1")
        page.get_by_role("button", name="Play this round").click()
    page.get_by_text("Debrief", exact=True).wait_for()
    text = page.locator(".v-card", has_text="Debrief").first.inner_text()
    assert "same seed, same moves of yours" in text or "No private channel" in text
    assert "claim " in text  # the claim chosen in round 1, in the round-by-round table
    assert "intended" in text
    assert "perceived_by_other" in text
    _shot(page, "06-seminar-debrief")


def test_seminar_mode_makes_an_offer_and_accepts_the_other_sides(page, server):
    """Round 11, when the talks open (Khrushchev's first letter, 26 October): offer the other
    side a share (the slider's default, 50%); round 12: the bargain shows it standing and the
    Soviet Union's offer as read (its bargaining policy opens when the talks do and every
    channel's latency is at most a day), and ``accept`` settles on it; the debrief names the
    settlement and lists the offers."""
    page.goto(server + "seminar")
    page.get_by_role("button", name="Start the crisis").click()
    for n in range(1, TALKS):  # hold (the default move) while the talks are closed
        page.get_by_text(f"Round {n} of 30").wait_for()
        bargain = page.locator(".v-card", has_text="The bargain").first
        assert "has no offer standing" in bargain.inner_text()
        assert page.get_by_role("button", name="accept", exact=True).count() == 0
        page.get_by_role("button", name="Play this round").click()
    page.get_by_text(f"Round {TALKS} of 30").wait_for()
    bargain = page.locator(".v-card", has_text="The bargain").first
    assert "has no offer standing" in bargain.inner_text()
    assert page.get_by_role("button", name="accept", exact=True).count() == 0
    page.get_by_role("button", name="offer", exact=True).click()
    page.get_by_text("Share of the stakes you offer them: 50%").wait_for()  # its value shown
    _shot(page, "07-seminar-offer")
    page.get_by_role("button", name="Play this round").click()
    page.get_by_text(f"Round {TALKS + 1} of 30").wait_for()
    # The round's heading and the bargain card re-render separately: wait for the card to show
    # the standing offer (a loaded machine found it still showing round 1's) before reading it.
    page.locator(
        ".v-card", has_text="Your standing offer to Soviet Union: 50% of the stakes"
    ).first.wait_for()
    text = page.locator(".v-card", has_text="The bargain").first.inner_text()
    assert "Your standing offer to Soviet Union: 50% of the stakes" in text
    assert "standing offer, as you read it" in text
    page.get_by_role("button", name="accept", exact=True).click()
    page.get_by_role("button", name="Play this round").click()
    page.get_by_text("Debrief", exact=True).wait_for()
    page.locator(
        ".v-card", has_text=f"You accepted Soviet Union's offer in round {TALKS + 1}"
    ).first.wait_for()
    text = page.locator(".v-card", has_text="Debrief").first.inner_text()
    assert f"You accepted Soviet Union's offer in round {TALKS + 1}" in text
    assert "Offers" in text
    _shot(page, "08-seminar-settled")


# -- uploads, crash isolation, binding ---------------------------------------------------------
_DROP = """([name, text]) => {
  const zone = document.querySelector('.solara-file-drop');
  const file = new File([text], name, {type: 'application/x-yaml'});
  const entry = {isFile: true, file: (ok, _fail) => ok(file)};
  const drop = new Event('drop', {bubbles: true, cancelable: true});
  Object.defineProperty(drop, 'dataTransfer', {value: {items: [{webkitGetAsEntry: () => entry}]}});
  zone.dispatchEvent(drop);
}"""


def _drop(page, name: str, text: str) -> None:
    page.locator(".solara-file-drop").first.wait_for()
    page.evaluate(_DROP, [name, text])


def _hotline_text() -> str:
    return (ROOT / "src" / "escalsim" / "scenarios" / "hotline-1963.yaml").read_text("utf-8")


#: Markup in a scenario's description: Solara's Markdown would run the handler and evaluate the
#: Vue expression (measured on a bare Solara page: the handler ran and the text showed 42).
HOSTILE_DESCRIPTION = "Hostile text <img src=x onerror=document.title+=1234> sum {{ 40 + 2 }}"


def _my_crisis() -> str:
    """hotline-1963 renamed, with a 28-round horizon and markup in its description."""
    text = _hotline_text().replace(
        'description:\n  "', f'description:\n  "{HOSTILE_DESCRIPTION} ', 1
    )
    lines = text.splitlines()
    lines = [("name: A classroom crisis" if line.startswith("name:") else line) for line in lines]
    for i, line in enumerate(lines):
        if line.strip().startswith("rounds:"):
            lines[i] = line.split("rounds:")[0] + "rounds: 28"
            break
    return "\n".join(lines) + "\n"


def test_an_upload_switches_the_explorer_and_the_seminar(page, browser, server):
    page.goto(server)
    page.get_by_text("Round 0 of 30").wait_for()
    _drop(page, "my-crisis.yaml", _my_crisis())
    page.get_by_text("Round 0 of 28").wait_for()
    assert "A classroom crisis" in page.title()
    # Another student's page still serves the instructor's scenario.
    other = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    other.set_default_timeout(TIMEOUT_MS)
    other.goto(server)
    other.get_by_text("Round 0 of 30").wait_for()
    assert "Cuban missile crisis" in other.title()
    other.context.close()
    assert page.get_by_text("Using the uploaded scenario my-crisis.yaml").is_visible()
    page.get_by_role("button", name="Step").click()
    page.get_by_text("Round 1 of 28").wait_for()
    page.get_by_role("button", name="Reset").click()  # Reset rebuilds the upload
    page.get_by_text("Round 0 of 28").wait_for()
    _shot(page, "08-upload-used")
    # The seminar tab (same session) plays the uploaded scenario.
    page.get_by_role("tab", name="Seminar").click()
    page.get_by_text("Seminar: A classroom crisis").first.wait_for()
    # The description's markup is shown as text: no handler ran, no template was evaluated.
    shown = page.get_by_text("Hostile text").first.inner_text().replace("\u200b", "")
    assert "<img src=x onerror=document.title+=1234>" in shown
    assert "{{ 40 + 2 }}" in shown
    assert "1234" not in page.title()
    page.get_by_role("button", name="Start the crisis").click()
    page.get_by_text("Round 1 of 28").wait_for()
    _shot(page, "09-upload-seminar")


def test_a_failure_in_one_page_leaves_the_others_and_the_server_working(browser, served, tmp_path):
    marker = tmp_path / "ran"
    a = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    b = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    a.set_default_timeout(TIMEOUT_MS)
    b.set_default_timeout(TIMEOUT_MS)
    a.goto(served.url + "?fail=step")  # the test hook: this page's next step raises
    b.goto(served.url)
    for p in (a, b):
        p.get_by_text("Round 0 of 30").wait_for()
    a.get_by_role("button", name="Step").click()
    a.get_by_text("Something went wrong in this page").wait_for()
    assert a.get_by_text("RuntimeError: test hook: a forced failure").is_visible()
    assert "Traceback" not in a.locator("body").inner_text()
    _shot(a, "10-error-card")
    # The other page goes on, and so does the server.
    b.get_by_role("button", name="Step").click()
    b.get_by_text("Round 1 of 30").wait_for()
    # Hostile uploads in the other page: positioned errors there, nothing runs, nothing changes.
    payload = f'id: x\nname: !!python/object/apply:os.system ["touch {marker}"]\n'
    _drop(b, "upload.yaml", payload)
    problems = b.locator(".escalsim-upload-problems")
    problems.wait_for()
    assert "upload.yaml:2:7: name: the tag '!!python/object/apply:os.system' is not" in (
        problems.inner_text()
    )
    assert b.get_by_text("The upload was refused").is_visible()
    _shot(b, "07-upload-refused")
    _drop(b, "upload.yaml", "a: &a [*a]\n")
    b.get_by_text("upload.yaml:1:4: a recursive alias").wait_for()
    _drop(b, "big.yaml", "# " + "x" * 1_000_010 + "\n")
    b.get_by_text("big.yaml:1:1: the upload is larger than 1 MB").wait_for()
    assert "Cuban missile crisis" in b.title()
    b.get_by_role("button", name="Step").click()
    b.get_by_text("Round 2 of 30").wait_for()
    assert not marker.exists()
    assert served.proc.poll() is None
    # The failed page starts again, fresh.
    a.get_by_role("button", name="Start this page again").click()
    a.get_by_text("Round 0 of 30").wait_for()
    with urllib.request.urlopen(served.url, timeout=10) as response:
        assert response.status == 200
    a.context.close()
    b.context.close()


def _listening(port: int) -> list[str]:
    """Local addresses of the sockets listening on ``port`` (from /proc/net/tcp and tcp6)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        with open(table) as fh:
            next(fh)
            for line in fh:
                local, state = line.split()[1], line.split()[3]
                addr, hexport = local.split(":")
                if state != "0A" or int(hexport, 16) != port:  # 0A = LISTEN
                    continue
                raw = bytes.fromhex(addr)
                if len(raw) == 4:
                    found.append(socket.inet_ntop(socket.AF_INET, raw[::-1]))
                else:  # four little-endian 32-bit words
                    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                    found.append(socket.inet_ntop(socket.AF_INET6, words))
    return found


@pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="needs Linux's /proc/net/tcp")
def test_the_app_listens_on_loopback_only_by_default(served):
    # The server fixture starts `escalsim app` without --host, as a user would.
    addresses = _listening(served.port)
    assert addresses, f"nothing listens on port {served.port}"
    assert set(addresses) == {"127.0.0.1"}, addresses


def test_the_step_benchmark_prints_each_steps_latency():
    """``benchmarks/bench_app_step.py --quick`` drives the explorer and prints its figures (the
    latency is for reading, never asserted: the project's rule on timings)."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_app_step.py"), "--quick"],
        capture_output=True,
        text=True,
        check=True,
        timeout=TIMEOUT,
    ).stdout
    steps = [line for line in out.splitlines() if line.startswith("step ")]
    assert len(steps) == 3, out
    assert all(line.endswith(" s") for line in steps), out
    assert "Step latency over 3 Steps: median" in out, out
