"""How long the explorer takes to render one Step in a real browser (issue 21).

Usage::

    .venv/bin/python benchmarks/bench_app_step.py                    # this checkout, 10 Steps
    .venv/bin/python benchmarks/bench_app_step.py --src /work/main/src --steps 10
    .venv/bin/python benchmarks/bench_app_step.py --quick            # a smoke run (3 Steps)

``escalsim app SCENARIO`` (default ukraine-talks-2022, which runs its 40 rounds) is started as
the browser tests start it, in a fresh process whose ``PYTHONPATH`` is ``--src`` (default this
checkout's ``src``), and Debian's Chromium (``ESCALSIM_CHROMIUM`` or ``chromium`` on the PATH)
opens the explorer through Playwright at 1400 x 1000. The seed is the scenario's, so both trees
play the same crisis.

Each Step is one click on the *Step* button, then a wait until the page shows the next round
(``Round k of 40``) and the page has been quiet (no change to the document) for ``--quiet`` ms.
Its latency is the time from the click to the *last* change to the document that followed it,
measured in the page (``performance.now()``, a ``MutationObserver``): the round's counter, the
figures and the feed, all drawn. Vuetify's click ripple is ignored.

A Step's time is printed per Step, with the median and the largest; the load average is
printed before and after, because a shared machine slows everything down. Nothing is
asserted: the figure is for reading (the project's rule: no timed assertions).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the browser tests' Chromium flags: one home

from source_trees import machine  # noqa: E402

from chromium import CHROMIUM_ARGS, free_port, wait_served  # noqa: E402
from conftest import stop_group  # noqa: E402

#: The default scenario: the main job's, which runs its 40 rounds with the default seed (with
#: its seed, hotline-1963 settles in round 2: too few Steps to time).
SCENARIO = "ukraine-talks-2022"

#: Installed in the page: the time of the last change to the document, ripples aside.
_OBSERVE = """() => {
  window.__lastChange = performance.now();
  const inRipple = (node) => {
    const el = node.nodeType === 1 ? node : node.parentElement;
    return !!(el && el.closest && el.closest('.v-ripple__container, .v-ripple__animation'));
  };
  new MutationObserver((records) => {
    if (records.some((r) => !inRipple(r.target)
        && ![...r.addedNodes, ...r.removedNodes].every(inRipple))) {
      window.__lastChange = performance.now();
    }
  }).observe(document.body, {subtree: true, childList: true, attributes: true,
                             characterData: true});
}"""


def _serve(src: Path, scenario: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "escalsim", "app", scenario, "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
        )
    url = f"http://127.0.0.1:{port}/"
    if wait_served(url, proc, 300):
        return proc
    os.killpg(proc.pid, signal.SIGKILL)
    raise SystemExit(f"escalsim app did not serve {url}:\n{log.read_text()}")


def _settled(page, quiet_ms: float) -> float:  # type: ignore[no-untyped-def]
    """Wait until the document has not changed for ``quiet_ms``; the last change's time."""
    while True:
        last, now = page.evaluate("() => [window.__lastChange, performance.now()]")
        if now - last >= quiet_ms:
            return float(last)
        time.sleep(0.05)


def measure(src: Path, scenario: str, steps: int, quiet_ms: float) -> list[float]:
    """The latency of each of ``steps`` Steps of ``scenario``, in seconds, served from ``src``."""
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("ESCALSIM_CHROMIUM") or shutil.which("chromium")
    if not chromium:
        raise SystemExit("Chromium is missing (scripts/setup.sh --browser installs it)")
    port = free_port()
    log = ROOT / "results" / "test-artifacts" / "bench-app-server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    proc = _serve(src, scenario, port, log)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(300_000)
            page.goto(f"http://127.0.0.1:{port}/")
            status = page.get_by_text(re.compile(r"Round 0 of \d+")).first
            status.wait_for()
            horizon = int(status.inner_text().split(" of ")[1].split()[0].strip("*"))
            page.evaluate(_OBSERVE)
            _settled(page, quiet_ms)
            out = []
            for k in range(1, steps + 1):
                start = float(page.evaluate("() => performance.now()"))
                page.get_by_role("button", name="Step", exact=True).click()
                page.get_by_text(f"Round {k} of {horizon}").first.wait_for()
                last = _settled(page, quiet_ms)
                out.append((last - start) / 1000)
                print(f"step {k:2d}: {out[-1]:.3f} s", flush=True)
            browser.close()
            return out
    finally:
        stop_group(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="the tree to serve")
    parser.add_argument(
        "--scenario", default=SCENARIO, help=f"the scenario served (default {SCENARIO})"
    )
    parser.add_argument("--steps", type=int, default=10, help="Steps to time (default 10)")
    parser.add_argument(
        "--quiet", type=float, default=1000.0, help="ms without a change that end a Step"
    )
    parser.add_argument("--quick", action="store_true", help="3 Steps (a smoke run)")
    args = parser.parse_args()
    steps = 3 if args.quick else args.steps
    print(f"src: {args.src.resolve()}")
    print(machine())
    print(f"load average before: {os.getloadavg()[0]:.2f} (cores: {os.cpu_count()})")
    print(f"scenario: {args.scenario}")
    times = measure(args.src.resolve(), args.scenario, steps, args.quiet)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print(
        f"Step latency over {len(times)} Steps: median {statistics.median(times):.3f} s, "
        f"largest {max(times):.3f} s"
    )


if __name__ == "__main__":
    main()
