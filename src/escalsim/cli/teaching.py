"""Commands for teaching: ``play``, ``app`` and ``classroom``.

``play`` is seminar mode in the terminal, ``app`` the browser app, ``classroom`` the live
classroom game in which teams play the powers against each other.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import Any

import click

from escalsim.cli.options import seed_option
from escalsim.errors import EXIT_BAD_INPUT


@click.command()
@click.argument("scenario", metavar="SCENARIO")
@click.option(
    "--as",
    "actor",
    default=None,
    metavar="ACTOR",
    help="The power you play (its id) [default: the moves file's actor].",
)
@seed_option("the moves file's, else the scenario's run.seed")
@click.option(
    "--condition",
    default=None,
    metavar="NAME",
    help="Play under this condition [default: the moves file's, else the baseline].",
)
@click.option(
    "--rounds",
    type=click.IntRange(1, 10_000),
    default=None,
    help="A shorter game: this many rounds [default: the moves file's, else the scenario's].",
)
@click.option(
    "--moves",
    "moves_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Replay a saved game: its moves are played first, then you are asked.",
)
@click.option(
    "--save",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Save the game as a moves file (after every round).",
)
def play(
    scenario: str,
    actor: str | None,
    seed: int | None,
    condition: str | None,
    rounds: int | None,
    moves_file: Path | None,
    save: Path | None,
) -> None:
    """Seminar mode in the terminal: play one power of SCENARIO, round by round.

    Each round you see what your state knows (your posture, the other side as you perceive it,
    your belief and trust, messages that arrived) and the bargain (the other side's standing
    offer as you read it, and your own), and choose a move (accept takes the other side's
    offer; any other move refuses it), where a private channel is open a message or a claimed
    cost of war, and what to do with your standing offer (keep, withdraw, or a share from 0 to
    1). The other actors follow their policies. At the end, a debrief: what each side intended,
    signalled and perceived, the miscalculations, any settlement and its terms, every offer, and
    the same crisis with the channels the other way (same seed, your same moves).
    """
    from rich.console import Console

    from escalsim.scenario import load_scenario
    from escalsim.teaching.game import Game, GameError
    from escalsim.teaching.replay import load_moves
    from escalsim.teaching.terminal import play as play_game

    try:
        spec = load_scenario(scenario)
        saved = load_moves(moves_file) if moves_file is not None else None
        if saved is not None and saved.scenario not in (None, spec.id):
            raise saved.problem(
                "scenario", f"this game was played on {saved.scenario!r}, not {spec.id!r}"
            )
        actor = actor or (saved.actor if saved else None)
        if actor is None:
            raise click.UsageError("say which power you play with --as ACTOR")
        if saved is not None and saved.actor not in (None, actor):
            raise saved.problem(
                "actor", f"this game was played as {saved.actor!r}, not {actor!r} (--as)"
            )
        condition = condition or (saved.condition if saved else None)
        if condition is not None and condition not in spec.condition_names:
            raise click.BadParameter(
                f"no condition {condition!r}; expected one of {', '.join(spec.condition_names)}",
                param_hint="--condition",
            )
        if saved is not None:
            _check_classroom_keys(spec, actor, saved)
        game = Game(
            spec,
            actor,
            seed=seed if seed is not None else (saved.seed if saved else None),
            condition=condition,
            settings=saved.settings if saved else None,
            rounds=rounds if rounds is not None else (saved.rounds if saved else None),
            emphasis="",
            teams=list(saved.others) if saved else (),
            scripted={**saved.others, **saved.thirds} if saved else None,
            events=saved.events if saved else (),
            thirds=list(saved.thirds) if saved else (),
        )
    except GameError as exc:
        # Game's refusal of --as names the option itself; shown as click shows option errors.
        raise click.BadParameter(
            str(exc).removeprefix(f"--as {actor}: "), param_hint="--as"
        ) from None
    console = Console(highlight=False)
    try:
        play_game(game, console, moves=iter(saved.choices()) if saved else None, save=save)
    except EOFError:
        # stdin closed (Ctrl-D, or piped answers that ran out) before the last round: the game
        # is incomplete, so this is bad input (exit 2), not an interruption.
        kept = (
            f"the moves so far are saved in {save} (go on with --moves {shlex.quote(str(save))})"
            if save is not None and save.exists()
            else "no moves were saved"
        )
        click.echo(f"\nescalsim: end of input before the game ended; {kept}", err=True)
        sys.exit(EXIT_BAD_INPUT)


def _check_classroom_keys(spec: Any, actor: str, saved: Any) -> None:
    """Refuse a classroom game's ``others``, ``thirds`` and ``events`` that do not fit.

    Raises
    ------
    ScenarioError
        At the key, naming what was expected.
    """
    powers = [a.id for a in spec.actors if a.role == "power"]
    for other in saved.others:
        if other not in powers or other == actor:
            expected = ", ".join(p for p in powers if p != actor)
            raise saved.problem("others", f"{other!r} is not the other power; expected {expected}")
    others = [a.id for a in spec.actors if a.role != "power"]
    for third in saved.thirds:
        if third not in others:
            raise saved.problem(
                "thirds", f"{third!r} is not a third party; expected one of {', '.join(others)}"
            )
    ids = {a.id for a in spec.actors}
    channels = {c.id for c in spec.channels}
    for event in saved.events:
        known = event.channel in channels if event.kind == "channel" else event.actor in ids
        if not known or event.round > spec.run.rounds:
            raise saved.problem(
                "events", f"event {event.model_dump(mode='json')} does not fit {spec.id!r}"
            )


@click.command()
@click.argument("scenario", metavar="[SCENARIO]", required=False, default="hotline-1963")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. The default serves this machine only; 0.0.0.0 serves a "
    "classroom network.",
)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="Port."
)
@click.option("--open/--no-open", "open_browser", default=False, help="Open a browser tab.")
def app(scenario: str, host: str, port: int, open_browser: bool) -> None:
    """Serve the teaching app for SCENARIO (default hotline-1963) in the browser.

    The explorer is at http://HOST:PORT/ and seminar mode at http://HOST:PORT/seminar; each
    browser tab is its own game. Needs the 'app' extra (pip install 'escalsim[app]').
    """
    import importlib.util

    from escalsim.scenario import load_scenario
    from escalsim.scenario import shipped as shipped_scenarios

    missing = [m for m in ("solara", "mesa.visualization") if importlib.util.find_spec(m) is None]
    if missing or importlib.util.find_spec("solara_assets") is None:
        click.echo(
            "escalsim app needs the 'app' extra: pip install 'escalsim[app]' "
            "(scripts/setup.sh installs it)",
            err=True,
        )
        sys.exit(EXIT_BAD_INPUT)
    load_scenario(scenario)
    name = scenario
    if not shipped_scenarios.is_shipped(scenario) or Path(scenario).exists():
        name = str(Path(scenario).resolve())
    # Solara's telemetry calls home (refused offline, a failing thread in the log) and its
    # "runs on Solara" banner covers the explorer's feed: both off, unless the user says
    # otherwise in the environment (solara.server.settings: Telemetry, ThemeSettings).
    env = {
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
        "SOLARA_THEME_SHOW_BANNER": "False",
        **os.environ,
        "ESCALSIM_APP_SCENARIO": name,
    }
    args = [
        sys.executable,
        "-m",
        "solara",
        "run",
        "escalsim.teaching.app",
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--open" if open_browser else "--no-open",
    ]
    click.echo(
        f"escalsim app: serving {scenario} at http://{host}:{port}/ (Ctrl-C stops)", err=True
    )
    if not _is_loopback(host):
        click.echo(
            f"escalsim app: warning: --host {host} serves the app beyond this machine: anyone "
            f"who can reach port {port} can use it and upload scenarios (there is no login). "
            "Use it on a classroom network you trust; the default 127.0.0.1 serves this "
            "machine only.",
            err=True,
        )
    os.execve(sys.executable, args, env)


@click.command()
@click.argument("scenario", metavar="SCENARIO")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; 0.0.0.0 serves the classroom network.",
)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8770, show_default=True, help="Port."
)
@click.option(
    "--condition",
    default=None,
    metavar="NAME",
    help="The condition the games are played under [default: the baseline].",
)
@seed_option("the scenario's run.seed; game k plays SEED + k - 1")
@click.option(
    "--games",
    type=click.IntRange(0, 50),
    default=1,
    show_default=True,
    help="Games opened at the start (one per pair of teams); the console opens more.",
)
@click.option(
    "--round-seconds",
    type=click.FloatRange(0, 3600),
    default=120.0,
    show_default=True,
    help="The round timer (0: none); a team that has not chosen when it runs out holds.",
)
@click.option(
    "--rounds",
    type=click.IntRange(1, 10_000),
    default=None,
    help="Shorter games: this many rounds [default: the scenario's].",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where finished games are saved (moves file, handout) "
    "[default: results/classroom/SCENARIO-TIME].",
)
@click.option(
    "--load",
    "load_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A saved game (moves file) to show on the class board; repeatable.",
)
@click.option(
    "--replications",
    type=click.IntRange(10, 100_000),
    default=300,
    show_default=True,
    help="Runs of the model's ensemble each game is compared with on the class board.",
)
@click.option(
    "--third",
    "thirds",
    multiple=True,
    metavar="ACTOR",
    help="A third party played by a team in each game (e.g. CUB, UN); repeatable "
    "[default: none, the third parties follow their policies].",
)
def classroom(
    scenario: str,
    host: str,
    port: int,
    condition: str | None,
    seed: int | None,
    games: int,
    round_seconds: float,
    rounds: int | None,
    out: Path | None,
    load_files: tuple[Path, ...],
    replications: int,
    thirds: tuple[str, ...],
) -> None:
    """The live classroom game: teams play the powers of SCENARIO against each other.

    The instructor's console (its address, with the instructor's secret, is printed here) opens
    games, each with a join code for one pair of teams, shows the true state, opens and closes
    channels, injects incidents, pauses, resumes and ends games. Teams open the served address
    in a browser, type the join code and choose their power; each round they see what their
    state perceives and choose a move, an offer and a message (with --third, teams play third
    parties too: each round whether to join a side, offer mediation, and its move once joined).
    The class board compares the
    games with the model's ensemble. Finished games are saved in --out (a moves file that
    `escalsim play --moves` replays, and a handout). Needs the 'classroom' extra.
    """
    import importlib.util

    if any(importlib.util.find_spec(m) is None for m in ("starlette", "uvicorn")):
        click.echo(
            "escalsim classroom needs the 'classroom' extra: pip install 'escalsim[classroom]' "
            "(scripts/setup.sh installs it)",
            err=True,
        )
        sys.exit(EXIT_BAD_INPUT)
    from escalsim.experiment.folders import stamp
    from escalsim.scenario import load_scenario
    from escalsim.teaching.classroom import Classroom, create_app

    spec = load_scenario(scenario)
    if condition is not None and condition not in spec.condition_names:
        raise click.BadParameter(
            f"no condition {condition!r}; expected one of {', '.join(spec.condition_names)}",
            param_hint="--condition",
        )
    folder = out if out is not None else Path("results") / "classroom" / f"{spec.id}-{stamp()}"
    others = [a.id for a in spec.actors if a.role != "power"]
    for third in thirds:
        if third not in others:
            raise click.BadParameter(
                f"{third!r} is not a third party of {spec.id}; expected one of "
                f"{', '.join(others) or 'none'}",
                param_hint="--third",
            )
    room = Classroom(
        spec,
        condition=condition,
        seed=seed,
        round_seconds=round_seconds,
        rounds=rounds,
        out=folder,
        replications=replications,
        thirds=thirds,
    )
    for path in load_files:
        room.load_game(path)
    opened = [room.new_game() for _ in range(games)]
    base = f"http://{host}:{port}"
    lines = [
        f"escalsim classroom: {spec.id} ({condition or spec.condition_names[0]}), seed "
        f"{room.seed}, round timer {round_seconds:g} s (Ctrl-C stops)",
        f"  teams open           {base}/",
        f"  class board          {base}/board",
        f"  instructor's console {base}/instructor#{room.secret}   (keep this address to "
        "yourself: it is the instructor's secret)",
        *(f"  game {g.gid}: join code {g.code}" for g in opened),
        f"  finished games are saved in {folder}",
    ]
    click.echo("\n".join(lines), err=True)
    if not _is_loopback(host):
        click.echo(
            f"escalsim classroom: --host {host} serves beyond this machine: anyone who can reach "
            f"port {port} can open the pages; joining needs a game code, acting for a team its "
            "token, and the console the instructor's secret. Use it on a classroom network you "
            "trust (the traffic is plain HTTP).",
            err=True,
        )
    import uvicorn

    uvicorn.run(create_app(room), host=host, port=port, log_level="warning")


def _is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.0/8, ::1 or localhost)."""
    import ipaddress

    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
