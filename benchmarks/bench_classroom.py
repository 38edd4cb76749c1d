"""How long a round of the classroom game takes with 8 games at once: submission to next view.

Starts ``escalsim classroom hotline-1963`` (condition ``hotline``, 8 games, no timer) as an
instructor would, then plays 16 teams at once over HTTP, each in its own thread, as the team
page does: poll ``/api/team`` every ``POLL`` s, post the choice. For each round of each game it
times, from the moment the second team's choice is posted, until the answer arrives with that
team's view of the next round (or of the end), and prints the median, the 90th percentile and
the largest. The first team sees the next round on its next poll, at most ``POLL`` later.

Run::

    .venv/bin/python benchmarks/bench_classroom.py            # 8 games, poll every 0.25 s
    .venv/bin/python benchmarks/bench_classroom.py --games 4
    .venv/bin/python benchmarks/bench_classroom.py --sessions 5   # 5 sessions, pooled

Each session is a fresh server; ``--sessions`` pools the rounds of several (a session's games
settle in about 4-5 rounds, so one session times only about 36 rounds).

The teams poll while they wait, as the page does, so the server is as busy as in class. Not a
test: no timed assertion anywhere (docs/teaching/classroom.md quotes it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from source_trees import machine  # noqa: E402

from chromium import free_port, wait_served  # noqa: E402
from conftest import stop_group  # noqa: E402


def _call(url: str, token: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        url,
        data=data,
        headers={"X-Team-Token": token, "Content-Type": "application/json"},
        method="GET" if body is None else "POST",
    )
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=8)
    parser.add_argument("--poll", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--sessions", type=int, default=1, help="sessions to pool (seed + k)")
    args = parser.parse_args()
    timings: list[float] = []
    walls: list[float] = []
    for k in range(args.sessions):
        rounds, wall = session(args, args.seed + k)
        timings += rounds
        walls.append(wall)
    timings.sort()
    p90 = timings[int(0.9 * (len(timings) - 1))]
    print(machine())
    print(
        f"{args.games} games at once, {args.sessions} session(s), {len(timings)} rounds, teams "
        f"polling every {args.poll} s, {os.cpu_count()} cores: submission to the next round's "
        f"view median {statistics.median(timings):.3f} s, 90th percentile {p90:.3f} s, "
        f"largest {timings[-1]:.3f} s (each session's games over in "
        f"{min(walls):.1f}-{max(walls):.1f} s)"
    )


def session(args: argparse.Namespace, seed: int) -> tuple[list[float], float]:
    """Serve one session of ``args.games`` games and play it; the rounds' times, the wall time."""
    port = free_port()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-classroom-{port}.log"
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
                str(seed),
                "--games",
                str(args.games),
                "--round-seconds",
                "0",
                "--port",
                str(port),
                "--out",
                str(log.with_suffix("")),
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        if not wait_served(base + "/", proc, 300):
            raise SystemExit(f"escalsim classroom did not serve {base}:\n{log.read_text()}")
        codes = re.findall(r"join code (\S+)", log.read_text())
        tokens = []
        for code in codes:
            pair = []
            for actor in ("USA", "SUN"):
                req = urllib.request.Request(
                    base + "/api/join",
                    data=json.dumps({"code": code, "actor": actor}).encode(),
                    headers={"Content-Type": "application/json"},
                )
                with urllib.request.urlopen(req, timeout=30) as r:
                    pair.append(json.loads(r.read())["token"])
            tokens.append(pair)
        timings: list[float] = []
        lock = threading.Lock()
        barrier = threading.Barrier(2 * len(tokens))

        def team(token: str, k: int, first: bool) -> None:
            barrier.wait()
            n = 0
            while True:
                view = _call(base + "/api/team", token)
                if view["status"] == "over":
                    return
                if view["chosen"]:
                    time.sleep(args.poll)
                    continue
                n += 1
                move = "hold" if first else ("step_down" if n % 2 else "hold")
                t = view["round"]
                posted = time.perf_counter()
                answer = _call(
                    base + "/api/team/choice", token, {"round": t, "move": move, "message": "none"}
                )
                if not answer["played"]:
                    continue  # the other team will post second and time the round
                # The answer to the round's last choice carries the next round's view.
                assert answer["state"]["round"] != t or answer["state"]["status"] == "over"
                with lock:
                    timings.append(time.perf_counter() - posted)

        threads = [
            threading.Thread(target=team, args=(tok, k, i == 0))
            for k, pair in enumerate(tokens)
            for i, tok in enumerate(pair)
        ]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - start
    finally:
        stop_group(proc)
    return timings, wall


if __name__ == "__main__":
    main()
