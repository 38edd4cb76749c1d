"""The live classroom game: teams play the powers against each other; the instructor runs it.

``escalsim classroom SCENARIO`` serves, on the classroom network, one session of several games
(one per pair of teams). Each game is one crisis (:class:`~escalsim.teaching.game.Game` with a
team per power) in which the third parties follow their policies. Each round every team sees
what *its* state perceives (the seminar game's situation and bargain) and chooses a move, what to
do with its standing offer and a message over the channels open to it; the round runs when both
teams have chosen, or when the round timer runs out (a team that has not chosen then holds, says
nothing and keeps its offer: :data:`~escalsim.teaching.game.DEFAULT_CHOICE`, counted and shown).
The instructor's console shows the true state, opens and closes channels and injects incidents
(from the next round on: they are events of the crisis, saved with it), pauses, resumes and ends
games. The class board shows every game's outcome beside the model's ensemble for the same
scenario, channels and events, with CIs. A finished game saves its moves file (``escalsim play
--moves`` replays it) and its debrief as a self-contained HTML handout.

Architecture (docs/teaching/classroom.md): the games live in this one server process, in a
:class:`Classroom` registry with a lock per game (and one for the registry), served by a plain
Starlette app; the pages are static HTML with a little vanilla JavaScript that polls a JSON
endpoint once a second and posts choices. Every mutating endpoint checks who is asking (the
instructor's secret, a team's token) and whether the request still makes sense (the round, the
game's state); a refusal is an HTTP 4xx with a sentence for a person and changes nothing. An
unexpected error in one game marks that game as errored and is logged; the others go on.

Time is read through an injectable clock (:class:`Classroom` ``clock``), so that tests drive
the round timer without sleeping.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import math
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from escalsim.errors import GameError
from escalsim.scenario import Scenario, with_settings
from escalsim.scenario.schema import ChannelEvent, Event, IncidentEvent
from escalsim.teaching.game import (
    DEFAULT_CHOICE,
    DEFAULT_THIRD_CHOICE,
    MESSAGE_HELP,
    MOVE_HELP,
    Choice,
    Game,
    ThirdChoice,
    with_events,
)
from escalsim.teaching.narrate import Narrator

__all__ = [
    "ENSEMBLE_REPLICATIONS",
    "ClassGame",
    "Classroom",
    "ClassroomError",
    "create_app",
    "handout_html",
]

_log = logging.getLogger(__name__)

#: Replications of the model's ensemble a game is compared with on the class board.
ENSEMBLE_REPLICATIONS = 300
#: The outcomes the class board counts, in its order.
BOARD_OUTCOMES = ("war", "settlement", "capitulation_a", "capitulation_b", "unresolved")
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
#: Random characters of a team code after its actor's id: 8 of 32, 40 bits.
TEAM_CODE_CHARS = 8
#: Failed joins (a code that is no game's and no team's) a client address may make in
#: :data:`JOIN_WINDOW` seconds; past them it is refused (429) until the window moves on.
JOIN_FAILURES = 10
JOIN_WINDOW = 60.0


class ClassroomError(Exception):
    """A request refused: ``status`` (an HTTP 4xx or 5xx) and a sentence for a person.

    Nothing has changed when it is raised.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _same(given: str, known: str) -> bool:
    """``given`` equals the secret ``known``, compared in constant time.

    As UTF-8 bytes, so that a code with characters beyond ASCII is just a wrong code.
    """
    return secrets.compare_digest(given.encode("utf-8"), known.encode("utf-8"))


def _timer_problem(seconds: float) -> str | None:
    """Why ``seconds`` is not a round timer (0: none, up to an hour), or None."""
    if not math.isfinite(seconds) or not 0 <= seconds <= 3600:
        return f"round timer {seconds}: expected 0 (none) to 3600 seconds"
    return None


def _event(
    make: type[ChannelEvent] | type[IncidentEvent], **fields: Any
) -> ChannelEvent | IncidentEvent:
    """An instructor's event, checked before anything is done with it (422 if malformed)."""
    from pydantic import ValidationError

    try:
        return make(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "event"
        raise ClassroomError(
            422, f"{where} {fields.get(where)!r} is not valid: {first['msg']}"
        ) from None


def _code(n: int = 6) -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(n))


@dataclass
class Seat:
    """A team's place in a game: the state it plays, its codes, what it chose this round.

    ``third`` marks a third party's seat (its choices are :class:`ThirdChoice`).
    """

    actor: str
    team_code: str
    token: str | None = None
    joined: bool = False
    pending: Choice | ThirdChoice | None = None
    timeouts: int = 0
    #: Round -> the news the team read that round (kept so the page shows its history).
    news: dict[int, list[str]] = field(default_factory=dict)
    #: Round -> what the team chose (and whether by default).
    chosen: dict[int, tuple[Choice | ThirdChoice, bool]] = field(default_factory=dict)
    third: bool = False


class ClassGame:
    """One game of the session: a crisis, its two teams, its timer and the instructor's log.

    Parameters
    ----------
    gid : str
        The game's id (``g1``, ``g2``, ...).
    game : Game
        The crisis, with a team per power.
    round_seconds : float
        The round timer (0: none; the round waits for both teams).
    clock : callable
        Returns the time in seconds (monotonic).
    """

    def __init__(
        self, gid: str, game: Game, round_seconds: float, clock: Callable[[], float]
    ) -> None:
        self.gid = gid
        self.code = _code()
        #: Opens this game's handout, and nothing else: the links on its teams' pages and the
        #: console carry it (never the instructor's secret or a team's token, which act).
        self.handout_key = secrets.token_urlsafe(16)
        self.game = game
        self.lock = threading.RLock()
        self.clock = clock
        self.round_seconds = float(round_seconds)
        self.seats = {a: Seat(a, f"{a}-{_code(TEAM_CODE_CHARS)}") for a in game.players} | {
            k: Seat(k, f"{k}-{_code(TEAM_CODE_CHARS)}", third=True) for k in game.thirds
        }
        self.deadline: float | None = None
        self.paused = False
        self.remaining: float | None = None
        self.ended_by_instructor = False
        self.error: str | None = None
        self.loaded = False  # read from a saved file: on the board only
        self.log: list[str] = []
        self.version = 0
        #: Actor -> (version, its team's view then): :meth:`Classroom.team_view`.
        self.views: dict[str, tuple[int, dict[str, Any]]] = {}
        self.saved: dict[str, Path] = {}
        self.saving = False
        self._note_news()

    # -- state -------------------------------------------------------------------------------------
    @property
    def all_joined(self) -> bool:
        """Every seat has a team."""
        return all(s.joined for s in self.seats.values())

    @property
    def status(self) -> str:
        """``waiting`` (for teams), ``playing``, ``paused``, ``over`` or ``errored``."""
        if self.error is not None:
            return "errored"
        if self.game.over:
            return "over"
        if self.paused:
            return "paused"
        return "playing" if self.all_joined else "waiting"

    def seconds_left(self) -> float | None:
        """Seconds left in this round (None: no timer running)."""
        if self.paused:
            return self.remaining
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - self.clock())

    def _start_timer(self) -> None:
        self.deadline = (
            self.clock() + self.round_seconds
            if self.round_seconds > 0 and self.all_joined and not self.game.over
            else None
        )

    def _note_news(self) -> None:
        if self.game.over:
            return
        t = self.game.round
        for actor, seat in self.seats.items():
            view = self.game.third_seat(actor) if seat.third else self.game.seat(actor)
            seat.news.setdefault(t, view.situation().news)

    def touch(self) -> None:
        """Something changed: views are stale."""
        self.version += 1

    # -- the round ---------------------------------------------------------------------------------
    def submit(self, actor: str, round_: int, choice: Choice | ThirdChoice) -> bool:
        """Take a team's choice for ``round_``; play the round once every team has chosen.

        Returns whether the round was played. Raises :class:`ClassroomError` (nothing changed).
        """
        self._check_playable()
        seat = self.seats[actor]
        t = self.game.round
        if round_ != t:
            if round_ < t:
                raise ClassroomError(
                    409, f"too late: round {round_} has been played; the game is at round {t}"
                )
            raise ClassroomError(409, f"round {round_} has not begun; the game is at round {t}")
        if seat.pending is not None:
            raise ClassroomError(
                409, f"your team has already chosen for round {t}; wait for the other team"
            )
        if self.status == "paused":
            raise ClassroomError(409, "the game is paused by the instructor; wait until it resumes")
        if seat.third != isinstance(choice, ThirdChoice):
            raise ClassroomError(
                422,
                "a third party's team chooses a move, join and mediate"
                if seat.third
                else "a power's team chooses a move, a message, an offer and a claim",
            )
        try:
            if isinstance(choice, ThirdChoice):
                self.game.third_seat(actor).check(choice)
            else:
                self.game.seat(actor).check(choice)
        except GameError as exc:
            raise ClassroomError(422, str(exc)) from None
        seat.pending = choice
        self.log.append(f"round {t}: {actor} chose")
        self.touch()
        if all(s.pending is not None for s in self.seats.values()):
            self._play(defaulted=())
            return True
        return False

    def _check_playable(self) -> None:
        if self.error is not None:
            raise ClassroomError(
                409, f"this game stopped on an error ({self.error}); tell the instructor"
            )
        if self.game.over:
            how = "the instructor ended it" if self.ended_by_instructor else self.game.outcome
            raise ClassroomError(409, f"the game has ended ({how}); nothing more can be played")

    def _play(self, defaulted: Iterable[str]) -> None:
        t = self.game.round
        late = set(defaulted)
        choices: dict[str, Choice | ThirdChoice] = {}
        for actor, seat in self.seats.items():
            default = DEFAULT_THIRD_CHOICE if seat.third else DEFAULT_CHOICE
            choice = seat.pending if seat.pending is not None else default
            if actor in late:
                seat.timeouts += 1
                self.log.append(
                    f"round {t}: {actor} did not choose in time: held (the default move)"
                )
                # The default must be allowed: a hold always is; a standing offer kept stands.
            seat.chosen[t] = (choice, actor in late)
            choices[actor] = choice
        self.game.play_round(choices)
        for seat in self.seats.values():
            seat.pending = None
        self._note_news()
        self._start_timer()
        self.touch()

    def due(self) -> bool:
        """The round's timer has run out (read without the lock: :meth:`tick` checks again)."""
        deadline = self.deadline
        return deadline is not None and not self.paused and self.clock() >= deadline

    def tick(self) -> bool:
        """Play the round if its timer has run out (missing teams hold). Returns whether it did."""
        if self.error is not None or self.game.over or self.paused or self.deadline is None:
            return False
        if self.clock() < self.deadline:
            return False
        late = [a for a, s in self.seats.items() if s.pending is None]
        self._play(defaulted=late)
        return True

    # -- the instructor ----------------------------------------------------------------------------
    def join(self, actor: str) -> Seat:
        """Seat a team as ``actor`` with a new token (an old one stops working)."""
        seat = self.seats[actor]
        seat.joined = True
        seat.token = secrets.token_urlsafe(24)
        if self.all_joined and self.deadline is None and not self.paused:
            self._start_timer()
        self.log.append(f"{actor}'s team joined")
        self.touch()
        return seat

    def pause(self) -> None:
        """Pause the game: the timer stops, no choice is taken until it resumes."""
        self._check_playable()
        if self.paused:
            raise ClassroomError(409, "the game is paused already")
        self.remaining = self.seconds_left()
        self.paused = True
        self.log.append(f"round {self.game.round}: paused")
        self.touch()

    def resume(self) -> None:
        """Resume a paused game; the timer goes on with the time that was left."""
        self._check_playable()
        if not self.paused:
            raise ClassroomError(409, "the game is not paused")
        self.paused = False
        if self.remaining is not None:
            self.deadline = self.clock() + self.remaining
        elif self.all_joined:
            self._start_timer()
        self.remaining = None
        self.log.append(f"round {self.game.round}: resumed")
        self.touch()

    def end(self) -> None:
        """End the game where it stands (the instructor ends it)."""
        self._check_playable()
        self.game.stop()
        self.ended_by_instructor = True
        self.deadline = None
        self.log.append(f"round {self.game.round}: the instructor ended the game")
        self.touch()

    def set_timer(self, seconds: float) -> None:
        """Set the round timer (0: none); it restarts for the round under way."""
        problem = _timer_problem(seconds)
        if problem is not None:
            raise ClassroomError(422, problem)
        self.round_seconds = float(seconds)
        if not self.paused:
            self._start_timer()
        self.touch()

    def add_event(self, event: Event, what: str) -> None:
        """Add the instructor's ``event`` (next round on); ``what`` goes to the log."""
        self._check_playable()
        try:
            self.game.add_event(event)
        except GameError as exc:
            raise ClassroomError(422, str(exc)) from None
        self.log.append(f"round {self.game.round}: {what} (from round {event.round})")
        self.touch()


class Classroom:
    """The session: its games, the instructor's secret, the ensembles, where games are saved.

    Parameters
    ----------
    scenario : Scenario
        The scenario every game plays.
    condition : str, optional
        Its condition (default: the baseline).
    settings : dict, optional
        Field-path settings on top (as ``escalsim play``'s moves files carry them).
    seed : int, optional
        The session's root seed: game ``k`` (from 1) plays seed ``seed + k - 1``, and the
        ensembles use ``seed`` (default: the scenario's ``run.seed``).
    round_seconds : float
        The round timer of new games (0: none).
    rounds : int, optional
        A shorter game (the horizon).
    out : path, optional
        Where finished games are saved (moves file and handout); None: not saved.
    secret : str, optional
        The instructor's secret (default: a fresh random one).
    clock : callable
        Returns the time in seconds (default :func:`time.monotonic`); tests inject their own.
    replications : int
        Replications of each ensemble on the class board.
    thirds : sequence of str
        Third parties played by teams in new games (default none: they follow their policies);
        a game's own list may differ (:meth:`new_game`).
    background_saves : bool
        Save a finished game (its debrief, replay and ensemble take a second or two) in a
        thread of its own, so that the round that ended it answers at once (default); tests
        pass False to find the files saved when the request returns.
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        condition: str | None = None,
        settings: Mapping[str, Any] | None = None,
        seed: int | None = None,
        round_seconds: float = 120.0,
        rounds: int | None = None,
        out: str | Path | None = None,
        secret: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        replications: int = ENSEMBLE_REPLICATIONS,
        background_saves: bool = True,
        thirds: Iterable[str] = (),
    ) -> None:
        powers = [a.id for a in scenario.actors if a.role == "power"]
        self.third_parties = [a.id for a in scenario.actors if a.role != "power"]
        self.thirds = list(dict.fromkeys(thirds))
        for k in self.thirds:
            if k not in self.third_parties:
                raise GameError(
                    f"--third {k}: expected one of the scenario's third parties: "
                    f"{', '.join(self.third_parties) or 'none'}"
                )
        if condition is not None and condition not in scenario.condition_names:
            raise GameError(
                f"--condition {condition}: expected one of {', '.join(scenario.condition_names)}"
            )
        self.spec = scenario
        self.powers = powers
        self.condition = condition
        self.settings = dict(settings or {})
        self.seed = scenario.run.seed if seed is None else int(seed)
        problem = _timer_problem(float(round_seconds))
        if problem is not None:
            raise GameError(problem)
        self.round_seconds = float(round_seconds)
        self.rounds = rounds
        self.out = Path(out) if out is not None else None
        self.secret = secret or secrets.token_urlsafe(18)
        self.clock = clock
        self.replications = int(replications)
        self.background_saves = background_saves
        self.games: dict[str, ClassGame] = {}
        self.lock = threading.Lock()
        self._ensembles: dict[str, dict[str, Any]] = {}
        self._ensemble_lock = threading.Lock()
        self._count = 0
        #: Client address -> the clock's times of its failed joins in the last window.
        self._failed_joins: dict[str, list[float]] = {}
        self._failed_lock = threading.Lock()

    # -- the registry ------------------------------------------------------------------------------
    def new_game(
        self,
        *,
        seed: int | None = None,
        condition: str | None = None,
        round_seconds: float | None = None,
        thirds: Iterable[str] | None = None,
    ) -> ClassGame:
        """Open a new game (its join code is ``game.code``).

        ``thirds``: the third parties its teams play (default: the session's).
        """
        condition = condition if condition is not None else self.condition
        played = self.thirds if thirds is None else list(dict.fromkeys(thirds))
        wrong = [k for k in played if k not in self.third_parties]
        if wrong:
            raise ClassroomError(
                422,
                f"third party {wrong[0]!r}: expected one of "
                f"{', '.join(self.third_parties) or 'none (this scenario has none)'}",
            )
        if condition is not None and condition not in self.spec.condition_names:
            raise ClassroomError(
                422,
                f"condition {condition!r}: expected one of {', '.join(self.spec.condition_names)}",
            )
        if round_seconds is not None:
            problem = _timer_problem(float(round_seconds))
            if problem is not None:
                raise ClassroomError(422, problem)
        with self.lock:
            self._count += 1
            gid = f"g{self._count}"
            k = self._count
        game = Game(
            self.spec,
            self.powers[0],
            seed=self.seed + k - 1 if seed is None else int(seed),
            condition=condition,
            settings=self.settings,
            rounds=self.rounds,
            emphasis="",
            teams=self.powers[1:],
            thirds=played,
        )
        seconds = self.round_seconds if round_seconds is None else float(round_seconds)
        entry = ClassGame(gid, game, seconds, self.clock)
        with self.lock:
            self.games[gid] = entry
        return entry

    def load_game(self, path: str | Path, name: str | None = None) -> ClassGame:
        """Load a saved game (a moves file) onto the class board, replayed to where it stopped.

        ``name``: the file's name as the console's log shows it (default: ``path``'s).

        Raises
        ------
        ScenarioError
            For a file that is not a moves file of this scenario.
        """
        from escalsim.teaching.replay import load_moves

        saved = load_moves(path)
        if saved.scenario not in (None, self.spec.id):
            raise saved.problem(
                "scenario", f"this game was played on {saved.scenario!r}, not {self.spec.id!r}"
            )
        if saved.actor not in self.powers:
            raise saved.problem("actor", f"expected one of {', '.join(self.powers)}")
        if saved.condition is not None and saved.condition not in self.spec.condition_names:
            raise saved.problem(
                "condition",
                f"no condition {saved.condition!r} in {self.spec.id!r}; expected one of "
                f"{', '.join(self.spec.condition_names)}",
            )
        teams = [a for a in saved.others if a in self.powers and a != saved.actor]
        wrong = [k for k in saved.thirds if k not in self.third_parties]
        if wrong:
            raise saved.problem("thirds", f"{wrong[0]!r} is not a third party of {self.spec.id!r}")
        game = Game(
            self.spec,
            saved.actor,
            seed=saved.seed,
            condition=saved.condition,
            settings=saved.settings,
            rounds=saved.rounds,
            emphasis="",
            teams=teams,
            scripted={**saved.others, **saved.thirds},
            events=saved.events,
            thirds=list(saved.thirds),
        )
        for move, message, offer, claim in saved.choices():
            if game.over:
                break
            game.play(move, message, offer=offer, claim=claim)
        if not game.over:
            game.stop()
        with self.lock:
            self._count += 1
            gid = f"g{self._count}"
        entry = ClassGame(gid, game, 0, self.clock)
        entry.loaded = True
        entry.ended_by_instructor = saved.stopped and game.model.end_round is None
        entry.log.append(f"loaded from {name or Path(path).name}")
        for seat in entry.seats.values():
            seat.joined = True
        with self.lock:
            self.games[gid] = entry
        return entry

    def get(self, gid: str) -> ClassGame:
        """The game ``gid``; a :class:`ClassroomError` (404) if there is none."""
        with self.lock:
            entry = self.games.get(gid)
        if entry is None:
            raise ClassroomError(404, f"there is no game {gid!r} in this session")
        return entry

    def all_games(self) -> list[ClassGame]:
        """Every game of the session, in the order opened."""
        with self.lock:
            return list(self.games.values())

    # -- who is asking -----------------------------------------------------------------------------
    def check_instructor(self, secret: str | None) -> None:
        """Refuse (403) anyone without the instructor's secret."""
        if not secret or not _same(secret, self.secret):
            raise ClassroomError(
                403,
                "this needs the instructor's secret (printed on the terminal where the "
                "classroom was started)",
            )

    def team(self, token: str | None) -> tuple[ClassGame, Seat]:
        """The game and seat of a team's token; :class:`ClassroomError` (403) for an unknown one."""
        if token:
            for entry in self.all_games():
                for seat in entry.seats.values():
                    if seat.token is not None and _same(token, seat.token):
                        return entry, seat
        raise ClassroomError(
            403,
            "this team token is not known (the page is out of date, or the team rejoined "
            "elsewhere): rejoin with your team code",
        )

    def join(
        self, code: str, actor: str | None = None, client: str | None = None
    ) -> tuple[ClassGame, Seat]:
        """Join a game with its code as ``actor``, or rejoin with a team code.

        A team code (``USA-7KQ2ABCD``) gives its team a new token (the old page stops working);
        a game code with a free power takes that seat. ``client`` (the asking address) may fail
        :data:`JOIN_FAILURES` times in :data:`JOIN_WINDOW` seconds; then it is refused (429)
        until the window moves on, so that codes cannot be guessed by trying them.
        """
        key = client or "unknown"
        with self._failed_lock:
            now = self.clock()
            recent = [t for t in self._failed_joins.get(key, []) if now - t < JOIN_WINDOW]
            self._failed_joins[key] = recent
            if len(recent) >= JOIN_FAILURES:
                wait = math.ceil(JOIN_WINDOW - (now - recent[0]))
                raise ClassroomError(
                    429,
                    f"too many wrong codes from this computer: wait {wait} s and check the "
                    "code with the instructor",
                )
        try:
            return self._join(code, actor)
        except ClassroomError as exc:
            if exc.status == 404:
                with self._failed_lock:
                    self._failed_joins.setdefault(key, []).append(self.clock())
            raise

    def _join(self, code: str, actor: str | None) -> tuple[ClassGame, Seat]:
        code = (code or "").strip().upper()
        for entry in self.all_games():
            with entry.lock:
                for seat in entry.seats.values():
                    if _same(code, seat.team_code.upper()):
                        if entry.loaded:
                            break
                        entry.join(seat.actor)
                        entry.log.append(f"{seat.actor}'s team rejoined with its team code")
                        return entry, seat
                if entry.loaded or not _same(code, entry.code):
                    continue
                if actor not in entry.seats:
                    free = [a for a, s in entry.seats.items() if not s.joined]
                    raise ClassroomError(
                        422,
                        f"choose the power your team plays: {', '.join(free) or 'none is free'}",
                    )
                seat = entry.seats[actor]
                if seat.joined:
                    raise ClassroomError(
                        409,
                        f"{actor} is already taken in this game; if that is your team, rejoin "
                        "with your team code",
                    )
                entry.join(actor)
                return entry, seat
        raise ClassroomError(404, f"no game has the code {code!r}: check it with the instructor")

    # -- the clock ---------------------------------------------------------------------------------
    def due(self) -> bool:
        """Some game's round timer has run out (a quick look, no game's lock taken)."""
        return any(entry.due() for entry in self.all_games())

    def tick(self) -> None:
        """Play every game's round whose timer ran out; one game's error stops that game only.

        Only the games whose timer has run out are locked: a request's tick does not wait for
        a game that is playing a round or being saved.
        """
        for entry in self.all_games():
            if entry.due():
                self.guarded(entry, entry.tick)

    def guarded(self, entry: ClassGame, action: Callable[[], Any]) -> Any:
        """Run ``action`` under ``entry``'s lock; an unexpected error marks that game errored.

        A :class:`ClassroomError` passes through; any other exception is logged, recorded as the
        game's error and answered with a :class:`ClassroomError` (500) for the person who asked.
        """
        with entry.lock:
            try:
                result = action()
            except ClassroomError:
                raise
            except Exception as exc:
                _log.exception("classroom game %s failed", entry.gid)
                entry.error = f"{type(exc).__name__}: {exc}"
                entry.deadline = None
                entry.touch()
                raise ClassroomError(
                    500,
                    f"game {entry.gid} stopped on an internal error ({entry.error}); the other "
                    "games go on; tell the instructor",
                ) from None
            # A loaded game was saved where it came from: it is never saved again.
            if entry.game.over and self.out is not None and not entry.saving and not entry.loaded:
                entry.saving = True
                if self.background_saves:
                    threading.Thread(
                        target=self._save_guarded, args=(entry,), name=f"save-{entry.gid}"
                    ).start()
                else:
                    self._save(entry)  # the lock is re-entrant
            return result

    def _failed(self, entry: ClassGame, exc: Exception) -> None:
        """Record an unexpected error in ``entry`` (logged; the game is errored from now on)."""
        _log.error("classroom game %s failed", entry.gid, exc_info=exc)
        if entry.error is None:
            entry.error = f"{type(exc).__name__}: {exc}"
        entry.deadline = None
        entry.touch()

    def _save_guarded(self, entry: ClassGame) -> None:
        try:
            self._save(entry)
        except Exception:  # a failed save is logged; the game and the server go on
            _log.exception("saving classroom game %s failed", entry.gid)

    def _save(self, entry: ClassGame) -> None:
        """Write a finished game's moves file and handout, never over an existing file.

        ``g1-moves.yaml`` and ``g1-handout.html``, or, where either exists already (an earlier
        session's game ``g1`` in the same folder), ``g1-2-...``, ``g1-3-...`` and so on; each
        file is created exclusively. The ensemble (the longest part) is computed without the
        game's lock: a finished game does not change, and its teams' pages go on being answered
        meanwhile.
        """
        from escalsim.teaching.replay import dump_moves

        assert self.out is not None
        ensemble = self.ensemble(entry)
        with entry.lock:
            content = dump_moves(entry.game.replay_file())
        self.out.mkdir(parents=True, exist_ok=True)
        k = 1
        while True:
            stem = entry.gid if k == 1 else f"{entry.gid}-{k}"
            k += 1
            moves = self.out / f"{stem}-moves.yaml"
            page = self.out / f"{stem}-handout.html"
            if page.exists():
                continue
            try:
                with moves.open("x", encoding="utf-8") as f:
                    f.write(content)
            except FileExistsError:
                continue
            with entry.lock:
                handout = handout_html(entry, ensemble, moves_name=moves.name)
            try:
                with page.open("x", encoding="utf-8") as f:
                    f.write(handout)
            except FileExistsError:  # made meanwhile by another process: try the next name
                moves.unlink()
                continue
            break
        entry.saved = {"moves": moves, "handout": page}
        _log.info("game %s saved: %s, %s", entry.gid, moves, page)

    # -- views -------------------------------------------------------------------------------------
    def team_view(self, entry: ClassGame, seat: Seat) -> dict[str, Any]:
        """What a team's page shows: its state's view of the crisis, and the round's state.

        Made once per change of the game (:meth:`ClassGame.touch`) and kept: a poll of an
        unchanged game copies it with the time left. Called under the game's lock.
        """
        cached = entry.views.get(seat.actor)
        if cached is None or cached[0] != entry.version:
            cached = (entry.version, self._team_view(entry, seat))
            entry.views[seat.actor] = cached
        return cached[1] | {"seconds_left": _rounded(entry.seconds_left())}

    def _team_view(self, entry: ClassGame, seat: Seat) -> dict[str, Any]:
        g = entry.game
        n = g.narrator
        out: dict[str, Any] = {
            "game": entry.gid,
            "role": "third_party" if seat.third else "power",
            "actor": seat.actor,
            "actor_name": n.actor(seat.actor),
            "team_code": seat.team_code,
            "status": entry.status,
            "round": g.round,
            "horizon": g.model.horizon,
            "seconds_left": _rounded(entry.seconds_left()),
            "round_seconds": entry.round_seconds,
            "chosen": seat.pending is not None,
            "waiting_for": [
                n.actor(a)
                for a, s in entry.seats.items()
                if s.pending is None and a != seat.actor and entry.status == "playing"
            ],
            "timeouts": seat.timeouts,
            "history": [
                {
                    "round": t,
                    "news": seat.news.get(t, []),
                    "chosen": _choice_text(c) if (c := seat.chosen.get(t)) else None,
                    "default": bool(seat.chosen.get(t, (None, False))[1]),
                }
                for t in sorted(seat.news)
            ],
            "error": entry.error,
        }
        if seat.third:
            return out | self._third_view(entry, seat)
        view = g.seat(seat.actor)
        out["adversary_name"] = n.actor(view.adversary)
        if not g.over:
            s = view.situation()
            out["situation"] = {
                "own_rung": s.rung_names[s.own_rung],
                "own_level": s.own_rung,
                "perceived_rung": s.rung_names[s.perceived_rung],
                "perceived_level": s.perceived_rung,
                "perceived_move": s.perceived_move.replace("_", " "),
                "expected_cost": round(s.expected_cost, 3),
                "trust": round(s.trust, 3),
                "ladder": s.rung_names,
                "channels": [
                    {"id": c, "name": n.channel(c), "kind": k, "open": o}
                    for c, k, o in s.private_channels
                ],
                "news": s.news,
                "can_message": s.can_message,
            }
            b = view.bargain()
            out["bargain"] = view.bargain_lines()
            out["moves"] = [{"value": m, "label": MOVE_HELP[m]} for m in view.moves_available()]
            out["messages"] = [
                {"value": m, "label": MESSAGE_HELP[m]}
                for m in (("none", "reassure", "warn") if s.can_message else ("none",))
            ]
            out["claims"] = list(b.claimable) if b.claims and s.can_message else []
            out["own_cost"] = None if math.isnan(b.own_cost) else round(b.own_cost, 3)
        else:
            out["outcome"] = _outcome_text(entry)
            if entry.error is None:
                out["debrief"] = view.debrief().summary
                out["handout"] = _handout_link(entry)
        return out

    def _third_view(self, entry: ClassGame, seat: Seat) -> dict[str, Any]:
        """The part of a third party's team's page that differs from a power's."""
        g = entry.game
        n = g.narrator
        view = g.third_seat(seat.actor)
        out: dict[str, Any] = {}
        if g.over:
            out["outcome"] = _outcome_text(entry)
            if entry.error is None:
                out["debrief"] = view.debrief()
                out["handout"] = _handout_link(entry)
            return out
        s = view.situation()
        out["situation"] = {
            "own_rung": s.rung_names[s.own_rung],
            "own_level": s.own_rung,
            "powers": [
                {
                    "id": a,
                    "name": n.actor(a),
                    "perceived_rung": s.rung_names[s.perceived[a]],
                    "perceived_level": s.perceived[a],
                    "perceived_move": s.perceived_moves[a].replace("_", " "),
                    "alignment": round(s.alignment[a], 3),
                }
                for a in s.powers
            ],
            "leans_to": n.actor(s.leans_to),
            "joined": s.joined,
            "may_join": s.may_join,
            "may_mediate": s.may_mediate,
            "rule_would_join": s.rule_would_join,
            "red_line": s.rung_names[s.red_line],
            "ladder": s.rung_names,
            "channels": [
                {"id": c, "name": n.channel(c), "kind": "mediated", "open": o}
                for c, o in s.mediated
            ],
            "news": s.news,
        }
        out["lines"] = view.lines()
        out["moves"] = [{"value": m, "label": MOVE_HELP[m]} for m in view.moves_available()]
        out["can_join"] = s.may_join and not s.joined
        out["can_mediate"] = s.may_mediate
        return out

    def console_view(self) -> dict[str, Any]:
        """What the instructor's console shows: every game's true state."""
        games = []
        for entry in self.all_games():
            with entry.lock:
                try:
                    games.append(self._console_game(entry))
                except Exception as exc:  # one game's failure: that game errored, the page answers
                    self._failed(entry, exc)
                    games.append(_errored_row(entry))
        return {
            "scenario": self.spec.id,
            "scenario_name": self.spec.name,
            "condition": self.condition,
            "seed": self.seed,
            "round_seconds": self.round_seconds,
            "conditions": self.spec.condition_names,
            "third_parties": [
                {"id": k, "name": Narrator(self.spec).actor(k), "default": k in self.thirds}
                for k in self.third_parties
            ],
            "games": games,
        }

    def _console_game(self, entry: ClassGame) -> dict[str, Any]:
        g = entry.game
        m = g.model
        p = m.params
        n = g.narrator
        rungs = [r.name for r in g.spec.ladder.rungs]
        # Channel switches made this round, in force from the next.
        pending = {
            e.channel: e.open for e in g.events if isinstance(e, ChannelEvent) and e.round > g.round
        }
        actors = []
        for i, a in enumerate(p.ids):
            agent = m.actor(i)
            actors.append(
                {
                    "id": a,
                    "name": n.actor(a),
                    "role": "team" if a in entry.seats else "policy",
                    "rung": rungs[int(agent.rung)],
                    "level": int(agent.rung),
                }
            )
        powers = []
        for a in g.players:
            view = g.seat(a)
            agent = view._agent(a)
            other = view._agent(view.adversary)
            powers.append(
                {
                    "id": a,
                    "perceives_other_at": rungs[int(agent.perceived[other.index])],
                    "trust": round(float(agent.trust), 3),
                    "expected_cost": round(float(agent.posterior_mean_cost), 3),
                    "own_cost": round(float(view.bargain().own_cost), 3),
                }
            )
        return {
            "id": entry.gid,
            "code": entry.code,
            "status": entry.status,
            "round": g.round,
            "horizon": m.horizon,
            "seed": g.seed,
            "condition": g.condition or self.spec.condition_names[0],
            "seconds_left": _rounded(entry.seconds_left()),
            "round_seconds": entry.round_seconds,
            "teams": [
                {
                    "actor": a,
                    "name": n.actor(a),
                    "team_code": s.team_code,
                    "joined": s.joined,
                    "chosen": s.pending is not None,
                    "timeouts": s.timeouts,
                    "third": s.third,
                }
                for a, s in entry.seats.items()
            ],
            "actors": actors,
            "powers": powers,
            "channels": [
                {
                    "id": c,
                    "name": n.channel(c),
                    "open": bool(m.channel_open[k]),
                    "next": pending.get(c),
                }
                for k, c in enumerate(p.channel_ids)
                if k != p.public
            ],
            "outcome": _outcome_text(entry) if g.over else None,
            "feed": [f"round {r}: {text}" for r, text in g.feed[-12:]],
            "log": entry.log[-12:],
            "error": entry.error,
            "loaded": entry.loaded,
            "saved": {k: str(v) for k, v in entry.saved.items()},
            "handout": _handout_link(entry) if g.over and entry.error is None else None,
        }

    # -- the class board ---------------------------------------------------------------------------
    def config(self, entry: ClassGame) -> tuple[str, Scenario, str, str]:
        """A game's configuration for the ensemble: key, scenario, condition, description.

        The scenario as the game was played (condition, settings and the instructor's events)
        with every power following its policy.
        """
        g = entry.game
        condition = g.condition or self.spec.condition_names[0]
        # The game's scenario has its condition applied already (once: its conditions block
        # dropped); the baseline's is the scenario as shipped, run as its first condition.
        spec = with_settings(g.base, g.settings) if g.settings else g.base
        spec = with_events(spec, g.events)
        events = [
            {k: v for k, v in e.model_dump(mode="json").items() if v not in (None, "")}
            for e in g.events
        ]
        body = json.dumps(
            {"condition": condition, "settings": g.settings, "events": events, "rounds": g.rounds},
            sort_keys=True,
            default=str,
        )
        key = hashlib.sha256(body.encode()).hexdigest()[:12]
        parts = [condition]
        if g.settings:
            parts.append(", ".join(f"{k} = {v}" for k, v in g.settings.items()))
        for e in g.events:
            if isinstance(e, ChannelEvent):
                parts.append(f"{e.channel} {'opened' if e.open else 'closed'} in round {e.round}")
            elif isinstance(e, IncidentEvent):
                parts.append(f"incident on {e.actor} in round {e.round}")
        return key, spec, condition, "; ".join(parts)

    def ensemble(self, entry: ClassGame) -> dict[str, Any]:
        """The model's ensemble for a game's configuration (computed once, then cached).

        ``replications`` runs with the session's seed, every power following its policy:
        P(each outcome) with Wilson 95% CIs, and the mean end round with its 95% CI.
        """
        key, spec, condition, text = self.config(entry)
        with self._ensemble_lock:
            cached = self._ensembles.get(key)
            if cached is not None:
                return cached
            from escalsim.experiment.runner import run

            results = run(
                spec,
                replications=self.replications,
                seed=self.seed,
                conditions=[condition] if entry.game.condition is None else None,
                twin=False,
                workers=1,
            )
            runs = results.runs
            out: dict[str, Any] = {
                "key": key,
                "config": text,
                "replications": len(runs),
                "seed": self.seed,
                "outcomes": {},
            }
            for outcome in BOARD_OUTCOMES:
                k = int((runs["outcome"] == outcome).sum())
                lo, hi = _wilson(k, len(runs))
                out["outcomes"][outcome] = {"p": k / len(runs), "lo": lo, "hi": hi}
            ends = runs["end_round"].astype(float)
            mean = float(ends.mean())
            half = 1.96 * float(ends.std(ddof=1)) / math.sqrt(len(ends)) if len(ends) > 1 else 0.0
            out["end_round"] = {"mean": mean, "lo": mean - half, "hi": mean + half}
            self._ensembles[key] = out
            return out

    def board(self) -> dict[str, Any]:
        """The class board: every game's outcome beside its configuration's ensemble."""
        groups: dict[str, dict[str, Any]] = {}
        #: Games the board cannot show (their row or their ensemble failed), with why.
        errored: list[dict[str, Any]] = []
        for entry in self.all_games():
            with entry.lock:
                try:
                    key, _, _, text = self.config(entry)
                    row = {
                        "id": entry.gid,
                        "status": entry.status,
                        "round": entry.game.round,
                        "outcome": entry.game.outcome if entry.game.over else None,
                        "outcome_text": _outcome_text(entry) if entry.game.over else None,
                        "end_round": entry.game.model.end_round,
                        "loaded": entry.loaded,
                        "stopped": _stopped(entry),
                    }
                except Exception as exc:  # that game errored; the board answers
                    self._failed(entry, exc)
                    errored.append({"id": entry.gid, "error": entry.error})
                    continue
            group = groups.setdefault(
                key, {"key": key, "config": text, "games": [], "entry": entry}
            )
            group["games"].append(row)
        out = []
        for group in groups.values():
            try:
                ensemble = self.ensemble(group.pop("entry"))
            except Exception as exc:
                _log.error("the ensemble of %s failed", group["config"], exc_info=exc)
                errored += [
                    {"id": r["id"], "error": f"its ensemble failed: {type(exc).__name__}: {exc}"}
                    for r in group["games"]
                ]
                continue
            # A game the instructor ended before its crisis resolved has no outcome of the
            # model's: it is counted apart, not with the model's "unresolved" (the horizon).
            ended = [
                r for r in group["games"] if r["outcome"] is not None and r["status"] != "errored"
            ]
            done = [r for r in ended if not r["stopped"]]
            counts = {}
            for outcome in BOARD_OUTCOMES:
                k = sum(r["outcome"] == outcome for r in done)
                lo, hi = _wilson(k, len(done)) if done else (math.nan, math.nan)
                counts[outcome] = {"k": k, "p": k / len(done) if done else None, "lo": lo, "hi": hi}
            group["class"] = {
                "finished": len(done),
                "outcomes": counts,
                "stopped": len(ended) - len(done),
            }
            group["ensemble"] = ensemble
            out.append(group)
        n = Narrator(self.spec)
        return {
            "scenario": self.spec.id,
            "labels": {o: n.outcome(o) for o in BOARD_OUTCOMES},
            "groups": _finite(out),
            "errored": errored,
        }


# ------------------------------------------------------------------------------------------------
# small helpers
# ------------------------------------------------------------------------------------------------
def _rounded(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def _wilson(k: int, n: int) -> tuple[float, float]:
    from escalsim.experiment.stats import wilson_interval

    lo, hi = wilson_interval(k, n)
    return float(lo), float(hi)


def _finite(x: Any) -> Any:
    """``x`` with NaN replaced by None (JSON has no NaN)."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_finite(v) for v in x]
    return x


def _parse_third_choice(data: Mapping[str, Any]) -> tuple[ThirdChoice, int]:
    """A third party's team's posted choice, shape-checked (the game checks what is allowed)."""
    round_ = data.get("round")
    if isinstance(round_, bool) or not isinstance(round_, int):
        raise ClassroomError(422, "round: say which round this choice is for (a whole number)")
    extra = sorted(set(data) - {"round", "move", "join", "mediate"})
    if extra:
        raise ClassroomError(
            422,
            f"{extra[0]}: a third party's team chooses a move, join and mediate only (in this "
            "model messages and offers pass between the powers)",
        )
    move = data.get("move", "hold")
    join, mediate = data.get("join", False), data.get("mediate", False)
    if not isinstance(move, str):
        raise ClassroomError(422, "move: expected its name")
    if not isinstance(join, bool) or not isinstance(mediate, bool):
        raise ClassroomError(422, "join and mediate: expected true or false")
    return ThirdChoice(move, join, mediate), round_


def _choice_text(chosen: tuple[Choice | ThirdChoice, bool]) -> str:
    c, by_default = chosen
    if isinstance(c, ThirdChoice):
        text = c.move.replace("_", " ")
        if c.join:
            text += ", joined its side"
        if c.mediate:
            text += ", offered mediation"
        return text + (" (no choice in time: the default)" if by_default else "")
    text = c.move.replace("_", " ")
    if c.message != "none":
        text += f", message: {c.message}"
    if c.offer != "keep":
        text += ", offer withdrawn" if c.offer == "withdraw" else f", offered {float(c.offer):.0%}"
    if c.claim is not None:
        text += f", claimed a cost of war of {c.claim:g}"
    if by_default:
        text += " (no choice in time: the default)"
    return text


def _display_name(name: str | None) -> str:
    """An uploaded file's name as the client gave it, cut to a short last part for a log line."""
    text = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(c for c in text if c.isprintable())[:80]
    return text or "game-moves.yaml"


def _stopped(entry: ClassGame) -> bool:
    """The instructor ended the game before its crisis resolved (no outcome of the model's)."""
    return entry.ended_by_instructor and entry.game.model.end_round is None


def _errored_row(entry: ClassGame) -> dict[str, Any]:
    """The console's row of a game whose own row failed: what is known without the crisis."""
    return {
        "id": entry.gid,
        "code": entry.code,
        "status": "errored",
        "round": None,
        "horizon": None,
        "seed": None,
        "condition": "",
        "seconds_left": None,
        "round_seconds": entry.round_seconds,
        "teams": [],
        "actors": [],
        "powers": [],
        "channels": [],
        "outcome": None,
        "feed": [],
        "log": entry.log[-12:],
        "error": entry.error,
        "loaded": entry.loaded,
        "saved": {k: str(v) for k, v in entry.saved.items()},
        "handout": None,
    }


def _handout_link(entry: ClassGame) -> str:
    """The address of a finished game's handout, with the game's handout key."""
    return f"/handout/{entry.gid}?key={entry.handout_key}"


def _outcome_text(entry: ClassGame) -> str:
    g = entry.game
    if entry.error is not None:
        return f"stopped on an error: {entry.error}"
    if _stopped(entry):
        return f"ended by the instructor in round {g.round}, unresolved"
    return f"{g.narrator.outcome(g.outcome)} in round {g.model.end_round}"


# ------------------------------------------------------------------------------------------------
# the handout
# ------------------------------------------------------------------------------------------------
def handout_html(
    entry: ClassGame, ensemble: Mapping[str, Any] | None = None, *, moves_name: str | None = None
) -> str:
    """A finished game's debrief as one self-contained HTML page (no scripts, no links out).

    ``moves_name``: the name of its saved moves file (default: the one it was saved as, or
    ``g1-moves.yaml``), in the command that replays it.

    Both teams' debriefs (what each intended, did, signalled and perceived, where each
    misperceived), the rounds as a table and a chart of both postures, the replay with the
    channels the other way, the instructor's interventions, the model's ensemble for the same
    configuration, and the command that replays the game.
    """
    g = entry.game
    n = g.narrator
    e = html.escape
    if moves_name is None:
        saved = entry.saved.get("moves")
        moves_name = saved.name if saved is not None else f"{entry.gid}-moves.yaml"
    rungs = [r.name for r in g.spec.ladder.rungs]
    debriefs = {a: g.seat(a).debrief() for a in g.players}
    first = debriefs[g.players[0]]
    rows = first.records()
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Debrief: {e(g.spec.name)} (game {e(entry.gid)})</title>",
        f"<style>{_HANDOUT_CSS}</style></head><body>",
        f"<h1>Debrief: {e(g.spec.name)}</h1>",
        f"<p class='meta'>Game {e(entry.gid)} · scenario <code>{e(g.spec.id)}</code> · condition "
        f"<code>{e(g.condition or g.spec.condition_names[0])}</code> · seed {g.seed} · "
        f"{len(g.moves)} rounds played</p>",
        f"<p class='outcome'><strong>Outcome:</strong> {e(_outcome_text(entry))}.</p>",
    ]
    for a, d in debriefs.items():
        parts.append(f"<h2>{e(n.actor(a))}: its team's debrief</h2><ul>")
        parts += [f"<li>{e(line)}</li>" for line in d.summary]
        parts.append("</ul>")
    for k in g.thirds:
        parts.append(f"<h2>{e(n.actor(k))} (a third party): its team's debrief</h2><ul>")
        parts += [f"<li>{e(line)}</li>" for line in g.third_seat(k).debrief()]
        parts.append("</ul>")
    parts.append("<h2>Postures</h2>")
    parts.append(_postures_svg(rows, first, g.players, rungs, n))
    if g.events:
        parts.append("<h2>What the instructor did</h2><ul>")
        for ev in g.events:
            if isinstance(ev, ChannelEvent):
                what = f"{n.channel(ev.channel)} {'opened' if ev.open else 'closed'}"
            else:
                assert isinstance(ev, IncidentEvent)
                what = f"an incident: {n.actor(ev.actor)} appears {ev.rungs} rung(s) higher"
            parts.append(f"<li>Round {ev.round}: {e(what)}</li>")
        parts.append("</ul>")
    parts.append(
        "<h2>Round by round</h2><table><thead><tr><th>round</th><th>state</th>"
        "<th>intended</th><th>did</th><th>rung after</th><th>signalled</th>"
        "<th>perceived the other at</th><th>seen by the other at</th>"
        "<th>misperceived</th><th>miscalculated</th></tr></thead><tbody>"
    )
    for r in rows:
        wrong = r["perceived_by_other"] != r["rung_before"]
        parts.append(
            "<tr>"
            f"<td>{r['round']}</td><td>{e(n.actor(r['actor']))}"
            f"{' (team)' if r['player'] else ''}</td>"
            f"<td>{e(r['intended'].replace('_', ' '))}</td>"
            f"<td>{e(r['made'].replace('_', ' '))}</td>"
            f"<td>{e(rungs[r['rung_after']])}</td>"
            f"<td>{e(r['signalled'] or r['message_chosen'] or '')}</td>"
            f"<td>{e(rungs[r['perceived_other']])}</td>"
            f"<td class='{'wrong' if wrong else ''}'>{e(rungs[r['perceived_by_other']])}</td>"
            f"<td>{'yes' if r['misperception'] else ''}</td>"
            f"<td>{'yes' if r['miscalculation'] else ''}</td></tr>"
        )
    parts.append("</tbody></table>")
    if len(first.offers):
        parts.append("<h2>Offers</h2><table><thead><tr><th>round</th><th>by</th>")
        parts.append("<th>offered</th><th>read as</th><th>channel</th></tr></thead><tbody>")
        for o in first.offers.to_dict("records"):
            parts.append(
                f"<tr><td>{o['round']}</td><td>{e(n.actor(str(o['actor'])))}</td>"
                f"<td>{o['offered']:.0%}</td><td>{o['read']:.0%}</td>"
                f"<td>{e(n.channel(str(o['channel'])))}</td></tr>"
            )
        parts.append("</tbody></table>")
    if ensemble:
        parts.append(
            f"<h2>The model's ensemble</h2><p>{ensemble['replications']} runs of the same "
            f"configuration ({e(str(ensemble['config']))}), every power following its policy, "
            f"seed {ensemble['seed']}:</p><table><thead><tr><th>outcome</th><th>share</th>"
            "<th>95% CI</th></tr></thead><tbody>"
        )
        for outcome, v in ensemble["outcomes"].items():
            parts.append(
                f"<tr><td>{e(n.outcome(outcome))}</td><td>{v['p']:.3f}</td>"
                f"<td>[{v['lo']:.3f}, {v['hi']:.3f}]</td></tr>"
            )
        end = ensemble["end_round"]
        parts.append(
            f"</tbody></table><p>Mean end round {end['mean']:.1f} "
            f"[{end['lo']:.1f}, {end['hi']:.1f}].</p>"
        )
    parts.append(
        "<h2>Replay</h2><p>Save this game's moves file and replay it with "
        f"<code>escalsim play {e(g.spec.id)} --moves {e(moves_name)}</code>.</p>"
        "<h2>Questions</h2><ol><li>Where did your team's reading of the other side differ from "
        "what it did? Which channel carried the difference?</li><li>Which of your messages or "
        "offers were read as you meant them?</li><li>Would the crisis have gone differently "
        "with the channels the other way (the replay above)? Why?</li><li>Was your outcome "
        "typical of the model's ensemble, or in its tail?</li></ol>"
    )
    parts.append("</body></html>")
    return "\n".join(parts)


def _postures_svg(
    rows: list[Any], first: Any, players: Iterable[str], rungs: list[str], n: Any
) -> str:
    """Both powers' rungs round by round, played (solid) and in the replay (dashed)."""
    width, height, left, top, bottom = 640, 260, 150, 16, 30
    series: dict[str, list[tuple[int, int]]] = {}
    for r in rows:
        series.setdefault(r["actor"], []).append((r["round"], r["rung_after"]))
    counter: dict[str, list[tuple[int, int]]] = {}
    for r in first.counterfactual.to_dict("records"):
        counter.setdefault(str(r["actor"]), []).append((int(r["round"]), int(r["rung"])))
    last = max([t for s in (*series.values(), *counter.values()) for t, _ in s] or [1])
    top_rung = len(rungs) - 1

    def x(t: float) -> float:
        return left + (width - left - 10) * (t - 1) / max(last - 1, 1)

    def y(k: float) -> float:
        return top + (height - top - bottom) * (1 - k / max(top_rung, 1))

    out = [f"<svg viewBox='0 0 {width} {height}' width='{width}' height='{height}' role='img'>"]
    for k, name in enumerate(rungs):
        out.append(
            f"<line x1='{left}' x2='{width - 10}' y1='{y(k):.1f}' y2='{y(k):.1f}' class='grid'/>"
            f"<text x='{left - 6}' y='{y(k) + 4:.1f}' text-anchor='end'>{html.escape(name)}</text>"
        )
    colours = ("#1f77b4", "#d62728")
    for a, c in zip(series, colours, strict=False):
        pts = " ".join(f"{x(t):.1f},{y(k):.1f}" for t, k in series[a])
        out.append(f"<polyline points='{pts}' fill='none' stroke='{c}' stroke-width='2.5'/>")
        if a in counter:
            pts = " ".join(f"{x(t):.1f},{y(k):.1f}" for t, k in counter[a])
            out.append(
                f"<polyline points='{pts}' fill='none' stroke='{c}' stroke-width='1.5' "
                "stroke-dasharray='5 4'/>"
            )
    legend = " · ".join(
        f"<tspan fill='{c}'>{html.escape(n.actor(a))}</tspan>"
        for a, c in zip(series, colours, strict=False)
    )
    out.append(
        f"<text x='{left}' y='{height - 8}'>{legend} (solid: played; dashed: the replay with "
        "the channels the other way)</text></svg>"
    )
    return "".join(out)


_HANDOUT_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:60rem;margin:2rem auto;
padding:0 1rem;color:#1b1b1b;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:1.6rem;
border-bottom:1px solid #ddd}
.meta{color:#555}.outcome{font-size:1.1rem;background:#f3f6fa;padding:.6rem;border-radius:6px}
table{border-collapse:collapse;width:100%;font-size:.85rem}th,td{border:1px solid #ddd;
padding:.25rem .4rem;text-align:left}th{background:#f3f3f3}td.wrong{background:#fde2e2}
svg text{font-size:11px;fill:#333}svg .grid{stroke:#e3e3e3}
@media print{body{margin:0}}
"""


# ------------------------------------------------------------------------------------------------
# the web app
# ------------------------------------------------------------------------------------------------
def _page(name: str) -> str:
    return (resources.files("escalsim.teaching") / "classroom_static" / name).read_text(
        encoding="utf-8"
    )


def create_app(classroom: Classroom, *, ticker: bool = True) -> Any:
    """The Starlette app serving ``classroom``.

    Parameters
    ----------
    classroom : Classroom
        The session.
    ticker : bool
        Run a background thread that plays rounds whose timer ran out (twice a second) while
        the app is served. Tests pass False and call :meth:`Classroom.tick` (every request
        ticks as well).

    Returns
    -------
    starlette.applications.Starlette
    """
    from contextlib import asynccontextmanager

    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, Response
    from starlette.routing import Route

    def refused(exc: ClassroomError) -> JSONResponse:
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    async def body_of(request: Request) -> dict[str, Any]:
        try:
            data = await request.json()
        except ValueError:
            raise ClassroomError(400, "the request's body is not JSON") from None
        if not isinstance(data, dict):
            raise ClassroomError(400, "the request's body must be a JSON object")
        return data

    def guard(handler: Callable[[Request], Any]) -> Callable[[Request], Any]:
        async def wrapped(request: Request) -> Response:
            try:
                if classroom.due():
                    await run_in_threadpool(classroom.tick)
                result = await handler(request)
            except ClassroomError as exc:
                return refused(exc)
            if isinstance(result, Response):
                return result
            return JSONResponse(result)

        return wrapped

    def static(name: str) -> Callable[[Request], Any]:
        async def serve(_request: Request) -> Response:
            return HTMLResponse(_page(name), headers={"Cache-Control": "no-store"})

        return serve

    def instructor(request: Request) -> None:
        classroom.check_instructor(request.headers.get("x-instructor-secret"))

    async def join(request: Request) -> dict[str, Any]:
        data = await body_of(request)
        code, actor = data.get("code"), data.get("actor")
        if not isinstance(code, str) or (actor is not None and not isinstance(actor, str)):
            raise ClassroomError(422, "give the game code (and the power your team plays)")
        client = request.client.host if request.client is not None else None
        entry, seat = classroom.join(code, actor, client)
        return {
            "game": entry.gid,
            "actor": seat.actor,
            "token": seat.token,
            "team_code": seat.team_code,
        }

    async def team_state(request: Request) -> dict[str, Any]:
        entry, seat = classroom.team(request.headers.get("x-team-token"))
        return await run_in_threadpool(
            classroom.guarded, entry, lambda: classroom.team_view(entry, seat)
        )

    async def team_submit(request: Request) -> dict[str, Any]:
        entry, seat = classroom.team(request.headers.get("x-team-token"))
        data = await body_of(request)
        choice, round_ = _parse_third_choice(data) if seat.third else _parse_choice(data)

        def submit() -> dict[str, Any]:
            played = entry.submit(seat.actor, round_, choice)
            return {"played": played, "state": classroom.team_view(entry, seat)}

        return await run_in_threadpool(classroom.guarded, entry, submit)

    async def console_state(request: Request) -> dict[str, Any]:
        instructor(request)
        return await run_in_threadpool(classroom.console_view)

    async def new_game(request: Request) -> dict[str, Any]:
        instructor(request)
        data = await body_of(request)
        seconds = data.get("round_seconds")
        if seconds is not None and not isinstance(seconds, int | float):
            raise ClassroomError(422, "round_seconds: expected a number of seconds")
        seed = data.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
            raise ClassroomError(422, "seed: expected a whole number, 0 or more")
        condition = data.get("condition")
        if condition is not None and not isinstance(condition, str):
            raise ClassroomError(422, "condition: expected a condition's name")
        thirds = data.get("thirds")
        if thirds is not None and (
            not isinstance(thirds, list) or not all(isinstance(k, str) for k in thirds)
        ):
            raise ClassroomError(422, "thirds: expected a list of third parties' ids")
        entry = await run_in_threadpool(
            lambda: classroom.new_game(
                seed=seed, condition=condition, round_seconds=seconds, thirds=thirds
            )
        )
        return {"game": entry.gid, "code": entry.code}

    async def act(request: Request) -> dict[str, Any]:
        instructor(request)
        entry = classroom.get(request.path_params["gid"])
        action = request.path_params["action"]
        data = await body_of(request) if action in ("channel", "incident", "timer") else {}

        def run() -> dict[str, Any]:
            g = entry.game
            if action == "pause":
                entry.pause()
            elif action == "resume":
                entry.resume()
            elif action == "end":
                entry.end()
            elif action == "timer":
                seconds = data.get("seconds")
                if isinstance(seconds, bool) or not isinstance(seconds, int | float):
                    raise ClassroomError(422, "seconds: expected a number of seconds (0: no timer)")
                entry.set_timer(float(seconds))
            elif action == "channel":
                cid, is_open = data.get("channel"), data.get("open")
                if not isinstance(cid, str) or not isinstance(is_open, bool):
                    raise ClassroomError(422, "give the channel's id and open: true or false")
                entry.add_event(
                    _event(
                        ChannelEvent, kind="channel", round=g.round + 1, channel=cid, open=is_open
                    ),
                    f"{cid} {'opened' if is_open else 'closed'}",
                )
            elif action == "incident":
                actor, rungs = data.get("actor"), data.get("rungs", 1)
                if (
                    not isinstance(actor, str)
                    or isinstance(rungs, bool)
                    or not isinstance(rungs, int)
                    or not 1 <= rungs <= 10
                ):
                    raise ClassroomError(422, "give the actor's id and rungs from 1 to 10")
                entry.add_event(
                    _event(
                        IncidentEvent, kind="incident", round=g.round + 1, actor=actor, rungs=rungs
                    ),
                    f"incident injected: {actor} appears {rungs} rung(s) up",
                )
            else:
                raise ClassroomError(404, f"no instructor action {action!r}")
            return {"ok": True, "game": classroom._console_game(entry)}

        if entry.game.round + 1 > entry.game.model.horizon and action in ("channel", "incident"):
            raise ClassroomError(409, "this is the last round: nothing can happen after it")
        return await run_in_threadpool(classroom.guarded, entry, run)

    async def board(_request: Request) -> dict[str, Any]:
        return await run_in_threadpool(classroom.board)

    async def handout(request: Request) -> Response:
        entry = classroom.get(request.path_params["gid"])
        key = request.query_params.get("key")
        if not key or not _same(key, entry.handout_key):
            raise ClassroomError(
                403,
                "the handout needs its game's handout key: open it from the team's page or the "
                "instructor's console",
            )
        if not entry.game.over or entry.error is not None:
            raise ClassroomError(409, "the handout comes when the game has ended")
        # The ensemble (the longest part) without the game's lock: a finished game does not
        # change, and its teams' pages go on being answered meanwhile.
        ensemble = await run_in_threadpool(classroom.ensemble, entry)
        page = await run_in_threadpool(
            classroom.guarded, entry, lambda: handout_html(entry, ensemble)
        )
        return HTMLResponse(page)

    async def load(request: Request) -> dict[str, Any]:
        instructor(request)
        import tempfile

        from escalsim.scenario import ScenarioError

        raw = await request.body()
        if len(raw) > 1_000_000:
            raise ClassroomError(413, "a moves file is at most 1 MB")
        # The client's file name is shown, never used as a path: the upload is written to a
        # fixed name in a fresh temporary folder.
        name = _display_name(request.query_params.get("name"))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "upload-moves.yaml"
            path.write_bytes(raw)
            try:
                entry = await run_in_threadpool(classroom.load_game, path, name)
            except (ScenarioError, GameError) as exc:
                raise ClassroomError(422, str(exc).replace(str(path), name)) from None
        return {"game": entry.gid}

    @asynccontextmanager
    async def lifespan(_app: Any) -> Any:
        stop = threading.Event()

        def tick_loop() -> None:
            while not stop.wait(0.5):
                try:
                    classroom.tick()
                except Exception:  # a game's error is the game's; this loop goes on
                    _log.exception("classroom tick")

        thread = threading.Thread(target=tick_loop, name="classroom-timer", daemon=True)
        if ticker:
            thread.start()
        yield
        stop.set()

    async def css(_request: Request) -> Response:
        return Response(_page("common.css"), media_type="text/css")

    async def session(_request: Request) -> dict[str, Any]:
        n = Narrator(classroom.spec)
        return {
            "scenario": classroom.spec.id,
            "name": classroom.spec.name,
            "powers": [{"id": a, "name": n.actor(a)} for a in classroom.powers],
            "thirds": [{"id": k, "name": n.actor(k)} for k in classroom.third_parties],
        }

    routes = [
        Route("/", static("join.html")),
        Route("/static/common.css", css),
        Route("/api/session", guard(session)),
        Route("/team", static("team.html")),
        Route("/instructor", static("console.html")),
        Route("/board", static("board.html")),
        Route("/api/join", guard(join), methods=["POST"]),
        Route("/api/team", guard(team_state)),
        Route("/api/team/choice", guard(team_submit), methods=["POST"]),
        Route("/api/instructor", guard(console_state)),
        Route("/api/instructor/games", guard(new_game), methods=["POST"]),
        Route("/api/instructor/load", guard(load), methods=["POST"]),
        Route("/api/instructor/games/{gid}/{action}", guard(act), methods=["POST"]),
        Route("/api/board", guard(board)),
        Route("/handout/{gid}", guard(handout)),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def _parse_choice(data: Mapping[str, Any]) -> tuple[Choice, int]:
    """A team's posted choice, shape-checked (the game checks what is allowed)."""
    round_ = data.get("round")
    if isinstance(round_, bool) or not isinstance(round_, int):
        raise ClassroomError(422, "round: say which round this choice is for (a whole number)")
    move = data.get("move")
    message = data.get("message", "none")
    if not isinstance(move, str) or not isinstance(message, str):
        raise ClassroomError(422, "move and message: expected their names")
    offer = data.get("offer", "keep")
    if isinstance(offer, bool) or not isinstance(offer, str | int | float):
        raise ClassroomError(
            422, "offer: expected keep, withdraw or a share of the stakes from 0 to 1"
        )
    if isinstance(offer, int | float) and not 0.0 <= float(offer) <= 1.0:
        raise ClassroomError(422, f"offer {offer}: a share of the stakes is from 0 to 1")
    claim = data.get("claim")
    if claim is not None and (
        isinstance(claim, bool) or not isinstance(claim, int | float) or not math.isfinite(claim)
    ):
        raise ClassroomError(422, "claim: expected a cost of war (a finite number) or nothing")
    share: str | float = offer if isinstance(offer, str) else float(offer)
    return Choice(move, message, share, None if claim is None else float(claim)), round_
