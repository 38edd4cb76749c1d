"""Moves files: a seminar game saved so that it can be replayed (``escalsim play --moves``).

A moves file is YAML 1.2::

    # saved by escalsim play
    scenario: hotline-1963
    actor: USA
    seed: 7
    condition: no_hotline        # optional
    rounds: 10                   # optional: a shorter game
    settings: {}                 # optional field-path settings, as the app's controls
    moves:
      - {move: hold, message: reassure}
      - step_up                  # a move alone: no message, the standing offer kept
      - {move: hold, offer: 0.4} # post (or revise) a standing offer: 0.4 of the stakes
      - {move: hold, offer: withdraw}
      - {move: hold, claim: 0.5} # claim a cost of war of 0.5 (where the powers exchange claims)
      - accept                   # accept the other side's standing offer

``offer`` is ``keep`` (the default), ``withdraw`` or a share of the stakes from 0 to 1;
``claim`` a cost of war (a number, 0 or more), honest or not.

A game of the live classroom (``escalsim classroom``), where a team played each power and the
instructor acted on the crisis, saves two more keys: the other teams' choices, played for them
on replay (past their end they hold), and the instructor's events, as a scenario's::

    others:
      SUN: [hold, {move: step_down, message: reassure}]
    events:
      - {kind: channel, round: 4, channel: hotline, open: false}
      - {kind: incident, round: 6, actor: USA, rungs: 1}

and ``stopped: true`` where the instructor ended the game before the crisis resolved (a replay
plays the rounds saved, then goes on as ``escalsim play`` does); and, where teams played third
parties, their choices (a move, ``join`` its side, ``mediate``)::

    thirds:
      CUB: [hold, {move: hold, join: true}, step_up]
      UN: [{move: hold, mediate: true}]

Every problem is reported at its line and column (:class:`~escalsim.scenario.ScenarioError`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError
from ruamel.yaml import YAML

from escalsim.model.constants import MESSAGE_CHOICES
from escalsim.scenario.errors import Problem, ScenarioError, did_you_mean
from escalsim.scenario.schema import ChannelEvent, Event, IncidentEvent
from escalsim.scenario.yamlio import parse_yaml, read_text
from escalsim.teaching.game import MOVES, OFFER_CHOICES, THIRD_MOVES

__all__ = ["MovesFile", "dump_moves", "load_moves"]

_KEYS = (
    "scenario",
    "actor",
    "seed",
    "condition",
    "rounds",
    "settings",
    "moves",
    "others",
    "events",
    "thirds",
    "stopped",
)


@dataclass
class MovesFile:
    """A saved game: what to replay, and the moves with their messages."""

    scenario: str | None = None
    actor: str | None = None
    seed: int | None = None
    condition: str | None = None
    rounds: int | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    moves: list[tuple[str, str]] = field(default_factory=list)
    #: The offer chosen with each move: ``'keep'``, ``'withdraw'`` or a share of the stakes.
    offers: list[str | float] = field(default_factory=list)
    #: The cost of war claimed with each move (None: as its message implies).
    claims: list[float | None] = field(default_factory=list)
    #: Other teams' choices (a classroom game): actor id -> ``(move, message, offer, claim)``.
    others: dict[str, list[tuple[str, str, str | float, float | None]]] = field(
        default_factory=dict
    )
    #: Events the instructor added (channel and incident events).
    events: list[Event] = field(default_factory=list)
    #: Third-party teams' choices (a classroom game): actor id -> ``(move, join, mediate)``.
    thirds: dict[str, list[tuple[str, bool, bool]]] = field(default_factory=dict)
    #: The instructor ended the game before the crisis resolved (a classroom game).
    stopped: bool = False
    source: str = "<moves>"
    #: Position of each top-level key's value, for errors found later (e.g. a wrong actor).
    where: dict[str, tuple[int, int]] = field(default_factory=dict)

    def choices(self) -> list[tuple[str, str, str | float, float | None]]:
        """Each round's ``(move, message, offer, claim)``, as :meth:`Game.play` takes them."""
        return [
            (mv, msg, off, cl)
            for (mv, msg), off, cl in zip(self.moves, self.offers, self.claims, strict=True)
        ]

    def problem(self, key: str, message: str) -> ScenarioError:
        """An error positioned at ``key``'s value in the file."""
        line, col = self.where.get(key, (1, 1))
        return ScenarioError([Problem(line, col, (key,), message, self.source)])


def load_moves(path: str | Path) -> MovesFile:
    """Read and check a moves file.

    Raises
    ------
    ScenarioError
        With every problem, each at its line and column.
    """
    source = str(path)
    data, pos = parse_yaml(read_text(source), source)
    problems: list[Problem] = []

    def bad(loc: tuple[str | int, ...], message: str) -> None:
        line, col = pos.value(loc)
        problems.append(Problem(line, col, loc, message, source))

    if not isinstance(data, dict):
        raise ScenarioError(
            [Problem(1, 1, (), "expected a mapping with a 'moves' list (a moves file)", source)]
        )
    out = MovesFile(source=source)
    out.where = {str(k): pos.value((k,)) for k in data}
    for key in data:
        if key not in _KEYS:
            line, col = pos.key((key,))
            problems.append(
                Problem(
                    line,
                    col,
                    (key,),
                    f"unknown key{did_you_mean(str(key), _KEYS)}; expected one of "
                    f"{', '.join(_KEYS)}",
                    source,
                )
            )
    for key in ("scenario", "actor", "condition"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            bad((key,), f"expected a string, got {value!r}")
        else:
            setattr(out, key, value)
    seed = data.get("seed")
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63
    ):
        bad(("seed",), f"expected a whole number from 0 to 2**63 - 1, got {seed!r}")
    else:
        out.seed = seed
    rounds = data.get("rounds")
    if rounds is not None and (
        isinstance(rounds, bool) or not isinstance(rounds, int) or not 1 <= rounds <= 10_000
    ):
        bad(("rounds",), f"expected a whole number from 1 to 10000, got {rounds!r}")
    else:
        out.rounds = rounds
    settings = data.get("settings")
    if settings is not None and not isinstance(settings, dict):
        bad(("settings",), "expected a mapping of field paths to values")
    elif settings:
        out.settings = {str(k): v for k, v in settings.items()}
    moves = data.get("moves")
    if moves is None:
        problems.append(Problem(1, 1, ("moves",), "missing required key 'moves'", source))
    elif not isinstance(moves, list):
        bad(("moves",), "expected a list of moves")
    else:
        for mv, msg, off, cl in _choices(moves, ("moves",), bad):
            out.moves.append((mv, msg))
            out.offers.append(off)
            out.claims.append(cl)
    others = data.get("others")
    if others is not None and not isinstance(others, dict):
        bad(("others",), "expected a mapping of actor ids to lists of moves")
    elif others:
        for actor, listed in others.items():
            if not isinstance(listed, list):
                bad(("others", actor), "expected a list of moves")
                continue
            out.others[str(actor)] = _choices(listed, ("others", str(actor)), bad)
    thirds = data.get("thirds")
    if thirds is not None and not isinstance(thirds, dict):
        bad(("thirds",), "expected a mapping of third parties' ids to lists of choices")
    elif thirds:
        for actor, listed in thirds.items():
            if not isinstance(listed, list):
                bad(("thirds", actor), "expected a list of choices")
                continue
            out.thirds[str(actor)] = _third_choices(listed, ("thirds", str(actor)), bad)
    stopped = data.get("stopped", False)
    if not isinstance(stopped, bool):
        bad(("stopped",), f"expected true or false, got {stopped!r}")
    else:
        out.stopped = stopped
    events = data.get("events")
    if events is not None and not isinstance(events, list):
        bad(("events",), "expected a list of events")
    elif events:
        for n, item in enumerate(events):
            try:
                event = _EVENT.validate_python(item)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = tuple(str(x) for x in first["loc"] if not str(x).startswith("function"))
                bad(("events", n), f"not an event: {'.'.join(where) or 'event'}: {first['msg']}")
                continue
            if not isinstance(event, ChannelEvent | IncidentEvent):
                bad(("events", n, "kind"), "expected a channel or an incident event")
                continue
            out.events.append(event)
    if problems:
        raise ScenarioError(problems)
    return out


_EVENT: TypeAdapter[Event] = TypeAdapter(Event)


def _choices(
    moves: list[Any], at: tuple[str | int, ...], bad: Any
) -> list[tuple[str, str, str | float, float | None]]:
    """A list of moves read as ``(move, message, offer, claim)``; problems reported to ``bad``."""
    out: list[tuple[str, str, str | float, float | None]] = []
    for n, item in enumerate(moves):
        loc: tuple[str | int, ...] = (*at, n)
        move: object  # as read from the file: checked below
        message: object
        offer: object = "keep"
        claim: object = None
        if isinstance(item, str):
            move, message = item, "none"
        elif isinstance(item, dict):
            extra = [k for k in item if k not in ("move", "message", "offer", "claim")]
            if extra:
                bad(
                    (*loc, extra[0]),
                    "unknown key; expected 'move', 'message', 'offer' and 'claim'",
                )
                continue
            move, message = item.get("move"), item.get("message", "none")
            offer = item.get("offer", "keep")
            claim = item.get("claim")
        else:
            bad(loc, f"expected a move name or {{move: ..., message: ...}}, got {item!r}")
            continue
        if not isinstance(move, str) or move not in MOVES:
            bad(
                (*loc, "move") if isinstance(item, dict) else loc,
                f"{move!r} is not a move{did_you_mean(str(move), MOVES)}; expected one of "
                f"{', '.join(MOVES)}",
            )
            continue
        if not isinstance(message, str) or message not in MESSAGE_CHOICES:
            bad(
                (*loc, "message"),
                f"{message!r} is not a message{did_you_mean(str(message), MESSAGE_CHOICES)}; "
                f"expected one of {', '.join(MESSAGE_CHOICES)}",
            )
            continue
        if not (
            offer in OFFER_CHOICES
            or (
                isinstance(offer, int | float)
                and not isinstance(offer, bool)
                and 0.0 <= float(offer) <= 1.0
            )
        ):
            bad(
                (*loc, "offer"),
                f"{offer!r} is not an offer; expected {' or '.join(OFFER_CHOICES)}, or a "
                "share of the stakes from 0 to 1",
            )
            continue
        if claim is not None and not (
            isinstance(claim, int | float)
            and not isinstance(claim, bool)
            and 0.0 <= float(claim) < float("inf")
        ):
            bad((*loc, "claim"), f"{claim!r} is not a cost of war; expected a number >= 0")
            continue
        out.append(
            (
                move,
                message,
                offer if isinstance(offer, str) else float(offer),
                None if claim is None else float(claim),
            )
        )
    return out


def _third_choices(
    listed: list[Any], at: tuple[str | int, ...], bad: Any
) -> list[tuple[str, bool, bool]]:
    """A third party's list read as ``(move, join, mediate)``; problems reported to ``bad``."""
    out: list[tuple[str, bool, bool]] = []
    for n, given in enumerate(listed):
        loc: tuple[str | int, ...] = (*at, n)
        item = {"move": given} if isinstance(given, str) else given
        if not isinstance(item, dict):
            bad(
                loc, f"expected a move name or {{move: ..., join: ..., mediate: ...}}, got {item!r}"
            )
            continue
        extra = [k for k in item if k not in ("move", "join", "mediate")]
        if extra:
            bad((*loc, extra[0]), "unknown key; expected 'move', 'join' and 'mediate'")
            continue
        move, join, mediate = (
            item.get("move", "hold"),
            item.get("join", False),
            item.get("mediate", False),
        )
        if not isinstance(move, str) or move not in THIRD_MOVES:
            bad(
                (*loc, "move"),
                f"{move!r} is not a third party's move{did_you_mean(str(move), THIRD_MOVES)}; "
                f"expected one of {', '.join(THIRD_MOVES)}",
            )
            continue
        if not isinstance(join, bool) or not isinstance(mediate, bool):
            bad(loc, "join and mediate: expected true or false")
            continue
        out.append((move, join, mediate))
    return out


def dump_moves(content: dict[str, Any]) -> str:
    """A moves file's text for :meth:`Game.replay_file`'s content."""
    yaml = YAML()
    yaml.default_flow_style = None
    body = {k: v for k, v in content.items() if v not in (None, {}, [])}
    body["moves"] = content["moves"]
    buffer = io.StringIO()
    buffer.write("# A seminar game saved by escalsim play; replay it with --moves.\n")
    yaml.dump(body, buffer)
    return buffer.getvalue()
