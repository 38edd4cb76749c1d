"""The teaching app in a real browser: Playwright driving Debian's Chromium (never a download).

``escalsim app`` is started as a user would start it, on a free localhost port; each test opens
its own page (its own Solara session). Screenshots of every step are saved as test artefacts in
``results/test-artifacts/browser/`` (or ``$ESCALSIM_ARTIFACTS/browser``).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

playwright_api = pytest.importorskip("playwright.sync_api", reason="the dev extras install it")

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("ESCALSIM_ARTIFACTS", ROOT / "results" / "test-artifacts"))
SHOTS = ARTIFACTS / "browser"
# Flags for a headless Chromium on a machine with no network beyond localhost: without the
# background-networking ones it keeps trying (and failing) to reach Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 60_000


def _chromium() -> str:
    found = os.environ.get("ESCALSIM_CHROMIUM") or shutil.which("chromium")
    if not found:
        pytest.fail(
            "Chromium is missing: the test command's `scripts/setup.sh --browser` installs "
            "Debian's chromium (or set ESCALSIM_CHROMIUM)"
        )
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = _free_port()
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
        )
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"escalsim app did not serve {url}:\n{log.read_text()}")
            time.sleep(0.3)
        try:
            yield url
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
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
    assert page.get_by_text("True against perceived postures").count() == 0  # a figure title
    assert _network_image(page).startswith("data:image/png")
    _shot(page, "01-app-loaded")


def test_a_step_advances_the_round_and_feeds_events(page, server):
    page.goto(server)
    page.get_by_text("Round 0 of 30").wait_for()
    page.get_by_role("button", name="Step").click()
    page.get_by_text("Round 1 of 30").wait_for()
    feed = page.locator(".v-card", has_text="What happened").first
    assert "Nothing yet" not in feed.inner_text()
    _shot(page, "02-after-one-step")


def test_closing_a_channel_changes_the_network_view(page, server):
    page.goto(server)
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
    page.get_by_role("tab", name="Page 1").click()
    page.get_by_role("button", name="Run ensemble").click()
    page.get_by_text("P(war) [95% CI]").wait_for()
    text = page.locator(".v-card", has_text="Ensemble").first.inner_text()
    for label in ("your settings", "condition no_hotline", "condition hotline"):
        assert label in text
    _shot(page, "04-ensemble")


def test_seminar_mode_plays_three_rounds_and_shows_the_debrief(page, server):
    page.goto(server + "seminar")
    page.get_by_role("button", name="Start the crisis").click()
    for n, move in enumerate(("hold", "step_down", "concede"), start=1):
        page.get_by_text(f"Round {n} of 30").wait_for()
        page.get_by_role("button", name=move, exact=True).click()
        if n == 1:
            page.get_by_role("button", name="reassure", exact=True).click()
            _shot(page, "05-seminar-round-1")
        page.get_by_role("button", name="Play this round").click()
    page.get_by_text("Debrief", exact=True).wait_for()
    text = page.locator(".v-card", has_text="Debrief").first.inner_text()
    assert "same seed, same moves of yours" in text or "No private channel" in text
    assert "intended" in text
    assert "perceived_by_other" in text
    _shot(page, "06-seminar-debrief")
