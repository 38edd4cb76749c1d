"""Seminar mode: a student plays one state, round by round, then reads a debrief.

The game wraps one run of :class:`~escalsim.agents.model.EscalationModel` in which the
student's actor has the ``human`` policy. Each round:

1. :meth:`Game.situation` -- the model has run phases 1-5 (events, accidents, channels,
   talks, messages, perception, beliefs) and the student sees what *their* state knows: its own
   rung, the adversary's rung *as perceived*, its posterior's mean of the adversary's cost of war
   and its trust (the posterior probability of an honest type), the messages that arrived,
   the news;
2. :meth:`Game.play` -- the student chooses a move and, where a private channel to the
   adversary is open, a message (``reassure``, ``warn`` or ``none``), and what to do with their
   standing offer (keep it, withdraw it, or post a share of the stakes); the model runs phases
   6-9 and the next round's phases 1-5.

The bargain (:meth:`Game.bargain`): the player sees the other side's standing offer as they read
it and the channel it came over, and may accept it (the move ``accept``: the crisis is settled
on the terms its maker truly offered, as the bargaining policy's ``ACCEPT``), refuse it (any
other move), or concede where the scenario's ``endings.capitulation`` lets a concession end the
crisis. The player's own offer goes out with the next round's talks, as any policy's offer of
that round, over their best channel then: exactly over a private channel; in public it is read
with noise and commits them (docs/decision-v2.md §3.6).

The other actors follow their policies. A message is sent with the next round's messages (it
travels while the move is carried out) and arrives after the channel's latency; it is honest
when its claim matches the move (a reassurance after a step up is a lie). It is sent only to
an adversary whose policy reads what it states (the resolve: ``brinkmanship``); the default
``bargaining`` adversary reads claims and offers, not these messages.

:meth:`Game.debrief` then shows, round by round, what each side intended, did, signalled and
perceived, where a miscalculation happened, and how the same crisis ran, on the same seed and
with the student's same moves and messages, with the channels the other way: every private
channel between the two powers that was open at the start closed and every closed one open,
except the channels that scheduled events open, close or convene (summits, fora, a mediator's
appeal), which keep their history. After the played game's last round the replay holds.

Several games can run at once (one per browser tab, or per terminal); a game shares nothing.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypedDict

import numpy as np
import pandas as pd

from escalsim.agents.model import MESSAGE_CHOICES, EscalationModel
from escalsim.core import dynamics as dx
from escalsim.errors import GameError
from escalsim.policies import POLICIES
from escalsim.scenario import Scenario, load_scenario
from escalsim.scenario.load import with_settings
from escalsim.scenario.schema import ChannelEvent, Event, IncidentEvent, SummitEvent
from escalsim.teaching.narrate import Narrator, _join

__all__ = [
    "MOVES",
    "OFFER_CHOICES",
    "Bargain",
    "Choice",
    "Debrief",
    "Game",
    "GameError",
    "Situation",
    "ThirdChoice",
    "ThirdSeat",
    "ThirdSituation",
]

#: The moves a player can choose, in menu order (``accept`` only with an offer standing,
#: ``concede`` only where it ends the crisis: :meth:`Game.moves_available`).
MOVES = ("step_down", "hold", "step_up", "jump", "concede", "accept")
#: One-line explanations of the moves and messages, for menus and help.
MOVE_HELP = {
    "step_down": "step down one rung",
    "hold": "stay where you are",
    "step_up": "step up one rung",
    "jump": "jump up the ladder (the scenario's jump)",
    "concede": "back down and accept the other side's terms (ends the crisis)",
    "accept": "accept the other side's standing offer as you read it (settles the crisis on "
    "the terms it truly offered)",
}
#: What a player may do with their standing offer, besides posting a share of the stakes.
OFFER_CHOICES = ("keep", "withdraw")
#: One-line explanations of the offer choices, for menus and help.
OFFER_HELP = {
    "keep": "leave your standing offer as it is (none if you have made none)",
    "withdraw": "withdraw your standing offer",
    "a share from 0 to 1": "offer the other side that share of the stakes (e.g. 0.4); it goes "
    "out with the next round's talks: exactly over a private channel, read with noise over "
    "public statements, where it also commits you (backing down from it costs face)",
}
MESSAGE_HELP = {
    "reassure": "tell them your intentions are benign",
    "warn": "warn them you are resolved and will not back down",
    "none": "send nothing",
}


class Choice(NamedTuple):
    """One player's choice for one round, as :meth:`Game.play` takes it.

    ``offer`` is ``'keep'``, ``'withdraw'`` or a share of the stakes from 0 to 1; ``claim`` a cost
    of war claimed (None: as the message implies).
    """

    move: str = "hold"
    message: str = "none"
    offer: str | float = "keep"
    claim: float | None = None


#: What a player who does not choose in time (or whose saved moves have run out) does: hold,
#: say nothing, leave the standing offer as it is.
DEFAULT_CHOICE = Choice()

#: The moves a third party's team can make once its state has joined a side (before: hold).
THIRD_MOVES = ("step_down", "hold", "step_up", "jump")


class ThirdChoice(NamedTuple):
    """A third party's team's choice for one round (:class:`ThirdSeat`).

    ``move`` is one of :data:`THIRD_MOVES` (``hold`` until the state has joined a side);
    ``join`` joins the side it leans to at the end of the round (where it ``may_join``);
    ``mediate`` offers its mediation, opening its mediated channels at the end of the round
    (where it ``may_mediate``).
    """

    move: str = "hold"
    join: bool = False
    mediate: bool = False


#: What a third party's team that does not choose in time does: hold, stay out, no mediation.
DEFAULT_THIRD_CHOICE = ThirdChoice()


@dataclass
class _Lists:
    """One player's choices so far, as the model reads them (``human_moves`` etc.)."""

    moves: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    offers: list[float] = field(default_factory=list)  # standing offer after each choice
    offer_choices: list[str | float] = field(default_factory=list)
    claims: list[float] = field(default_factory=list)  # claimed cost (NaN: none)
    claim_choices: list[float | None] = field(default_factory=list)


@dataclass
class _ThirdLists:
    """A third party's team's choices so far, as the model reads them."""

    moves: list[str] = field(default_factory=list)
    joins: list[bool] = field(default_factory=list)
    mediations: list[bool] = field(default_factory=list)


#: Event kinds every actor learns of (the rest only the actors concerned).
_PUBLIC_NEWS = frozenset(
    {
        "scheduled",
        "channel_open",
        "channel_closed",
        "summit",
        "summit_end",
        "agreement",
        "mediation",
        "involvement",
    }
)


@dataclass(frozen=True)
class Situation:
    """What the player's state knows when it must decide (nothing it could not know).

    Attributes
    ----------
    round, horizon : int
        This round and the last one.
    actor, adversary : str
        Ids of the player's state and of the power it faces.
    own_rung, perceived_rung : int
        The player's true rung, and the adversary's rung as the player perceives it.
    perceived_move : str
        The adversary's last move as perceived.
    expected_cost, trust : float
        What the player's posterior over the adversary's types says: the mean of its cost of
        war (a share of the stakes), and the probability that it is an honest type (trust).
    can_message : bool
        A private channel to the adversary is open (a message may still find it down).
    private_channels : list of tuple
        ``(channel id, kind, open)`` for the private channels between the player and the
        adversary.
    news : list of str
        What the player learnt this round, in plain language: messages that arrived, scheduled
        events, channels opening or closing, its own forces' incidents, agreements.
    rung_names : list of str
        The ladder, bottom first.
    """

    round: int
    horizon: int
    actor: str
    adversary: str
    own_rung: int
    perceived_rung: int
    perceived_move: str
    expected_cost: float
    trust: float
    can_message: bool
    private_channels: list[tuple[str, str, bool]]
    news: list[str]
    rung_names: list[str]


@dataclass(frozen=True)
class Bargain:
    """The bargain as the player's state knows it when it must decide (docs/decision-v2.md §3.6).

    Shares are of the disputed stakes; NaN: none.

    Attributes
    ----------
    own_offer : float
        The player's standing offer to the other side (the share offered), as posted.
    public_demand : float
        ``1 -`` the player's last offer made in public: a commitment (NaN: none).
    offer_read : float
        The other side's standing offer as the player read it: the share it offers the player.
    offer_channel : str or None
        The channel that offer came over (``None``: no offer read).
    offer_round : int or None
        The round that offer was sent in.
    status_quo : float
        The player's share of the stakes while the crisis is unresolved.
    can_accept : bool
        An offer stands as read and the talks are open: the move ``accept`` settles the crisis
        on it.
    concede_ends : bool
        A concession ends the crisis (the scenario's ``endings.capitulation``, with the talks
        open); otherwise the move ``concede`` is not available.
    other_accepts : bool
        The other side's policy may accept an offer (a ``hardliner`` or ``brinkmanship``
        power never does).
    claims : bool
        The powers exchange claims about their cost of war instead of version 1's messages
        (docs/decision-v2.md §3.5), and the player's power has more than one possible cost:
        the player's message is then a claim (:meth:`Game.play`).
    own_cost : float
        The player's own cost of war per round, relative to the stakes (its drawn type: only
        the player knows it).
    claimable : tuple of float
        The costs the player may claim (those its prior allows), lowest first.
    talks_open : bool
        Offers are posted, accepted and conceded to in the round to be played
        (``stakes.talks_open``, docs/decision-v2.md §3.6); while they are closed an offer the
        player makes waits, unposted, until they open.
    """

    own_offer: float
    public_demand: float
    offer_read: float
    offer_channel: str | None
    offer_round: int | None
    status_quo: float
    can_accept: bool
    concede_ends: bool
    other_accepts: bool
    claims: bool = False
    own_cost: float = float("nan")
    claimable: tuple[float, ...] = ()
    talks_open: bool = True


@dataclass(frozen=True)
class ThirdSituation:
    """What a third party's state knows when its team decides (docs/ODD.md 7.12).

    Attributes
    ----------
    round, horizon : int
        This round and the last one.
    actor : str
        The third party's id.
    powers : tuple of str
        The two powers, ``power_a`` first.
    own_rung : int
        Its posture on the ladder.
    perceived : dict
        Power id -> the rung at which the third party sees it this round.
    perceived_moves : dict
        Power id -> its last move as the third party saw it.
    alignment : dict
        Power id -> the third party's alignment with it (the two sum to 1); it re-aligns each
        round toward the power it sees as the less aggressive (7.12).
    leans_to : str
        The power it leans to now (alignment with ``power_a`` 0.5 or more: ``power_a``):
        its patron, beside whom it joins.
    joined : bool
        It has joined its patron's side: it moves on the ladder, and its capability counts on
        that side in a war.
    may_join, may_mediate : bool
        The scenario lets it join a side; lets it offer mediation.
    red_line : int
        The rung at which its rule joins: its patron's rival seen at or above it.
    mediated : list of tuple
        ``(channel id, open)`` for the channels it relays (opened by its mediation).
    news : list of str
        What it learnt this round, in plain language (public events, its own incidents).
    rung_names : list of str
        The ladder, bottom first.
    """

    round: int
    horizon: int
    actor: str
    powers: tuple[str, str]
    own_rung: int
    perceived: dict[str, int]
    perceived_moves: dict[str, str]
    alignment: dict[str, float]
    leans_to: str
    joined: bool
    may_join: bool
    may_mediate: bool
    red_line: int
    mediated: list[tuple[str, bool]]
    news: list[str]
    rung_names: list[str]

    @property
    def rule_would_join(self) -> bool:
        """Its rule (the model's, for a third party its policy plays) would join now."""
        foe = self.powers[1] if self.leans_to == self.powers[0] else self.powers[0]
        return self.may_join and not self.joined and self.perceived[foe] >= self.red_line


class _Before(TypedDict):
    """What a power knew at the start of a round (before the moves)."""

    rung_before: int
    perceived_other: int
    expected_cost: float
    trust: float


class RoundRecord(_Before):
    """One row of :attr:`Debrief.rounds`: one power in one round (see :class:`Debrief`)."""

    round: int
    actor: str
    player: bool
    perceived_by_other: int
    intended: str
    made: str
    rung_after: int
    signalled: str
    message_chosen: str
    miscalculation: bool
    misperception: bool


#: The columns of :meth:`Game.record`, in order (a game stopped before its first round has none).
_RECORD_COLUMNS = [
    "round",
    "actor",
    "player",
    "rung_before",
    "perceived_other",
    "expected_cost",
    "trust",
    "perceived_by_other",
    "intended",
    "made",
    "rung_after",
    "signalled",
    "message_chosen",
    "miscalculation",
    "misperception",
]


@dataclass
class Debrief:
    """The debrief of a finished game.

    Attributes
    ----------
    rounds : pandas.DataFrame
        One row per round × power: ``round, actor, player, rung_before, perceived_by_other,
        intended, made, rung_after, signalled, perceived_other, miscalculation,
        misperception``. ``signalled`` is what the actor said to the other (its messages'
        claims as sent, and "misread" when a channel flipped one); ``perceived_by_other`` is
        the rung at which the other power saw it this round; ``miscalculation`` is true when,
        with the true picture, its policy (or the same player's move: never) would have chosen
        otherwise.
    outcome : str
        How the played crisis ended.
    counterfactual : pandas.DataFrame
        The replay with the channels the other way: ``round, actor, rung`` for both powers.
    counterfactual_outcome : str
        How the replay ended.
    flipped : dict
        Channel id -> its open state at the start of the replay.
    summary : list of str
        The debrief in a few sentences.
    """

    rounds: pd.DataFrame
    outcome: str
    end_round: int | None
    counterfactual: pd.DataFrame
    counterfactual_outcome: str
    counterfactual_end_round: int | None
    flipped: dict[str, bool]
    summary: list[str] = field(default_factory=list)
    #: The player's share of the stakes in a settlement by an accepted offer (None: none).
    settled_share: float | None = None
    #: Every offer made: ``round, actor, offered, read, channel`` (``read``: as the other side
    #: read it; public statements read with noise).
    offers: pd.DataFrame = field(default_factory=pd.DataFrame)

    def records(self) -> list[RoundRecord]:
        """``rounds`` read back as typed records, one per row, in order."""
        return [
            RoundRecord(
                round=int(r["round"]),
                actor=str(r["actor"]),
                player=bool(r["player"]),
                rung_before=int(r["rung_before"]),
                perceived_other=int(r["perceived_other"]),
                expected_cost=float(r["expected_cost"]),
                trust=float(r["trust"]),
                perceived_by_other=int(r["perceived_by_other"]),
                intended=str(r["intended"]),
                made=str(r["made"]),
                rung_after=int(r["rung_after"]),
                signalled=str(r["signalled"]),
                message_chosen=str(r["message_chosen"]),
                miscalculation=bool(r["miscalculation"]),
                misperception=bool(r["misperception"]),
            )
            for r in self.rounds.to_dict("records")
        ]


def with_events(spec: Scenario, events: Sequence[Event]) -> Scenario:
    """``spec`` with ``events`` after its own (as if the file listed them last).

    Settings and conditions applied later (:func:`~escalsim.scenario.with_settings`) keep them.
    """
    if not events:
        return spec
    out = spec.model_copy(update={"events": [*spec.events, *events]})
    raw = spec._raw
    if raw is not None:
        raw = copy.deepcopy(raw)
        raw["events"] = [
            *(raw.get("events") or []),
            *(e.model_dump(mode="python", exclude_none=True) for e in events),
        ]
        out._raw = raw
    return out


def with_channels_open(spec: Scenario, states: Mapping[str, bool]) -> Scenario:
    """``spec`` with the channels ``states`` names open or closed at the start.

    What ``with_settings(spec, {"channels.ID.open": state, ...})`` gives, without writing the
    scenario out and reading it back (a tenth of a second, which the debrief's replay paid on
    every finished game): a channel's initial state is a plain flag that no other field's
    validity depends on.
    """
    if not states:
        return spec
    channels = [
        c.model_copy(update={"open": bool(states[c.id])}) if c.id in states else c
        for c in spec.channels
    ]
    out = spec.model_copy(update={"channels": channels})
    raw = spec._raw
    if raw is not None:
        raw = copy.deepcopy(raw)
        for c in raw.get("channels") or []:
            if isinstance(c, dict) and c.get("id") in states:
                c["open"] = bool(states[c["id"]])
        out._raw = raw
    return out


class Game:
    """One seminar game: a player takes ``actor``; the others follow their policies.

    Parameters
    ----------
    scenario : Scenario or str
        A validated scenario, a file, or a shipped scenario's name.
    actor : str
        The power the player takes (an id of one of the two powers).
    seed : int, optional
        Root seed (default: the scenario's ``run.seed``). Same seed, same choices: same game.
    condition : str, optional
        A condition of the scenario to play under (default: the baseline).
    settings : dict, optional
        Field-path settings applied on top (as in a condition), e.g.
        ``{"channels.hotline.open": False}``; the app's controls arrive here.
    replication : int
        Which replication's random stream to play (default 0).
    rounds : int, optional
        A shorter (or longer) game: the horizon, with later events dropped (as ``--rounds``).
    emphasis : str
        Around rung names in sentences: ``"*"`` (Markdown, for the app) or ``""`` (terminal).
    teams : sequence of str
        Other powers played by people too (the classroom game: a team per power). Each round
        their choices come with the player's (:meth:`play_round`), or from ``scripted``.
    thirds : sequence of str
        Third parties played by teams (the classroom game): each takes the ``human`` policy and
        its team's :class:`ThirdChoice` each round (:meth:`third_seat`); the others follow
        their policies.
    scripted : dict, optional
        Actor id of a team -> its choices by round (:class:`Choice` or tuples; for a
        third-party team :class:`ThirdChoice`), played for it when :meth:`play` is not given
        its choice (a saved classroom game replayed by ``escalsim play --moves``); past their
        end, :data:`DEFAULT_CHOICE` (hold; a third party: :data:`DEFAULT_THIRD_CHOICE`).
    events : sequence of Event, optional
        Events added to the scenario's (the instructor's: a channel closed, an incident
        injected); more can be added while the game runs (:meth:`add_event`).

    Raises
    ------
    GameError
        When ``actor`` or a team is not one of the two powers, a third-party team not one of
        the scenario's third parties, or an event names an unknown actor or channel.

    Notes
    -----
    With ``teams``, :meth:`seat` gives each team's view (its :meth:`situation`,
    :meth:`bargain`, :meth:`debrief` ...) of the one shared crisis.
    """

    def __init__(
        self,
        scenario: Scenario | str,
        actor: str,
        *,
        seed: int | None = None,
        condition: str | None = None,
        settings: Mapping[str, Any] | None = None,
        replication: int = 0,
        rounds: int | None = None,
        emphasis: str = "*",
        teams: Sequence[str] = (),
        scripted: Mapping[str, Sequence[Choice | ThirdChoice | tuple[Any, ...]]] | None = None,
        events: Sequence[Event] = (),
        thirds: Sequence[str] = (),
    ) -> None:
        spec = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        if rounds is not None:
            if rounds < 1:
                raise GameError(f"rounds {rounds}: expected at least 1")
            from escalsim.experiment.runner import with_rounds

            spec = with_rounds(spec, rounds)
        if condition is not None:
            # Applied once, its conditions block dropped: the settings below (the teams' seats,
            # the instructor's events) re-validate the scenario, and a condition that removes
            # an element (``remove:``) would no longer find it in the changed scenario.
            from escalsim.scenario.transforms import under_condition

            spec = under_condition(spec, condition)
        powers = [a.id for a in spec.actors if a.role == "power"]
        if actor not in powers:
            raise GameError(
                f"--as {actor}: a player takes one of the two powers; expected one of "
                f"{', '.join(powers)}"
            )
        for team in teams:
            if team not in powers or team == actor:
                raise GameError(
                    f"team {team}: a team takes the other power; expected "
                    f"{', '.join(p for p in powers if p != actor)}"
                )
        others = [a.id for a in spec.actors if a.role != "power"]
        for third in thirds:
            if third not in others:
                raise GameError(
                    f"third party {third}: a third-party team takes one of "
                    f"{', '.join(others) or 'none (this scenario has no third parties)'}"
                )
        self.base = spec
        self.settings = dict(settings or {})
        self.players: tuple[str, ...] = (actor, *dict.fromkeys(teams))
        #: Third parties played by teams (:meth:`third_seat`).
        self.thirds: tuple[str, ...] = tuple(dict.fromkeys(thirds))
        humans = {f"actors.{a}.policy": {"name": "human"} for a in (*self.players, *self.thirds)}
        played = with_settings(spec, {**self.settings, **humans})
        self.spec = played
        self.actor = actor
        self.adversary = powers[1] if actor == powers[0] else powers[0]
        self.condition = condition
        self.rounds = rounds
        self.replication = replication
        self._lists = {a: _Lists() for a in self.players}
        mine = self._lists[actor]
        self.moves: list[str] = mine.moves
        self.messages: list[str] = mine.messages
        # The player's standing offer after each round's choice (NaN: none), and the choices.
        self.offers: list[float] = mine.offers
        self.offer_choices: list[str | float] = mine.offer_choices
        # The cost of war claimed with each round's move (NaN: none), and the explicit claims.
        self.claims: list[float] = mine.claims
        self.claim_choices: list[float | None] = mine.claim_choices
        self._third_lists = {k: _ThirdLists() for k in self.thirds}
        self.scripted: dict[str, list[Any]] = {
            a: [ThirdChoice(*c) if a in self.thirds else Choice(*c) for c in cs]
            for a, cs in (scripted or {}).items()
        }
        self.events: list[Event] = []
        for event in events:
            self._check_event(event)
            self.events.append(event)
        self.stopped = False
        self.model = EscalationModel(
            scenario=self.replay_spec(),
            seed=seed,
            replication=replication,
            human_moves={a: v.moves for a, v in self._lists.items()}
            | {k: v.moves for k, v in self._third_lists.items()},
            human_messages={a: v.messages for a, v in self._lists.items()},
            human_offers={a: v.offers for a, v in self._lists.items()},
            human_claims={a: v.claims for a, v in self._lists.items()},
            human_joins={k: v.joins for k, v in self._third_lists.items()},
            human_mediations={k: v.mediations for k, v in self._third_lists.items()},
        )
        self.seed = self.model.seed_root
        self.narrator = Narrator(played, emphasis=emphasis)
        self._records: list[RoundRecord] = []
        self._third_records: list[dict[str, Any]] = []
        # What a finished game computes once (its debriefs, its replay): shared by the seats.
        self._cache: dict[tuple[Any, ...], Any] = {}
        self._before: dict[str, _Before] = {}
        self._third_seen: dict[str, dict[str, int]] = {}
        self._seen_events = 0
        self.feed: list[tuple[int, str]] = []  # (round, sentence) for every event so far
        self._begin()

    # -- state ------------------------------------------------------------------------------------
    @property
    def over(self) -> bool:
        """The crisis has ended (or the game was stopped: :meth:`stop`)."""
        return self.stopped or not self.model.running

    def stop(self) -> None:
        """End the game where it stands (the instructor ends it): no more rounds are played.

        The crisis stays ``unresolved``; the debrief covers the rounds played.
        """
        self.stopped = True

    # -- several players, the instructor's events -------------------------------------------------
    def seat(self, actor: str) -> Game:
        """The game as ``actor``'s team sees it: a view sharing this game's crisis.

        Its :meth:`situation`, :meth:`bargain`, :meth:`bargain_lines`, :meth:`moves_available`,
        :meth:`debrief` and :meth:`replay_file` are that team's. A view is read only and holds
        until the next round is played: take a new one each round.

        Raises
        ------
        GameError
            When ``actor`` is not one of :attr:`players`.
        """
        if actor not in self.players:
            raise GameError(f"{actor!r} is not played by a team here ({', '.join(self.players)})")
        if actor == self.actor:
            return self
        view = copy.copy(self)
        view.actor, view.adversary = actor, self.actor
        view.players = (actor, *[a for a in self.players if a != actor])
        mine = self._lists[actor]
        view.moves, view.messages, view.offers = mine.moves, mine.messages, mine.offers
        view.offer_choices, view.claims = mine.offer_choices, mine.claims
        view.claim_choices = mine.claim_choices
        view.scripted = {}
        return view

    def third_seat(self, actor: str) -> ThirdSeat:
        """The game as the team playing the third party ``actor`` sees it (:class:`ThirdSeat`).

        Raises
        ------
        GameError
            When ``actor`` is not one of :attr:`thirds`.
        """
        if actor not in self.thirds:
            raise GameError(
                f"{actor!r} is not a third party played by a team here "
                f"({', '.join(self.thirds) or 'none'})"
            )
        return ThirdSeat(self, actor)

    def third_choices_of(self, actor: str) -> list[ThirdChoice]:
        """The choices the team playing the third party ``actor`` made so far, round by round."""
        v = self._third_lists[actor]
        return [
            ThirdChoice(mv, j, md) for mv, j, md in zip(v.moves, v.joins, v.mediations, strict=True)
        ]

    def choices_of(self, actor: str) -> list[Choice]:
        """The choices ``actor``'s player made so far, round by round."""
        v = self._lists[actor]
        return [
            Choice(mv, msg, off, cl)
            for mv, msg, off, cl in zip(
                v.moves, v.messages, v.offer_choices, v.claim_choices, strict=True
            )
        ]

    def replay_spec(self) -> Scenario:
        """The scenario as played: the players' policies set, and the added events in it."""
        return with_events(self.spec, self.events)

    def _check_event(self, event: Event) -> None:
        ids = [a.id for a in self.spec.actors]
        channels = [c.id for c in self.spec.channels]
        if not isinstance(event, ChannelEvent | IncidentEvent):
            raise GameError(f"event {event.kind!r}: only channel and incident events can be added")
        if isinstance(event, ChannelEvent) and event.channel not in channels:
            raise GameError(
                f"event: no channel {event.channel!r}; expected one of {', '.join(channels)}"
            )
        if isinstance(event, IncidentEvent) and event.actor not in ids:
            raise GameError(f"event: no actor {event.actor!r}; expected one of {', '.join(ids)}")
        if event.round > self.spec.run.rounds:
            last = self.spec.run.rounds
            raise GameError(f"event: round {event.round} is after the last ({last})")

    def add_event(self, event: Event) -> None:
        """Add an event to the crisis from the next round on (the instructor's intervention).

        The event must fall in a round not yet begun; it then happens as the same event in the
        scenario would (:meth:`replay_spec` holds it, so replays agree).

        Raises
        ------
        GameError
            When the game is over, the event's round has begun, or it names an unknown actor or
            channel.
        """
        if self.over:
            raise GameError(f"the crisis has ended ({self.outcome}); nothing more can happen")
        self._check_event(event)
        if event.round <= self.model.round:
            raise GameError(
                f"event: round {event.round} has begun; the earliest is {self.model.round + 1}"
            )
        p, sched = self.model.params, self.model.sched
        if isinstance(event, ChannelEvent):
            c = p.channel_ids.index(event.channel)
            sched.channel_events.setdefault(event.round, []).append((c, event.open))
        elif isinstance(event, IncidentEvent):
            i = p.ids.index(event.actor)
            sched.incidents.setdefault(event.round, []).append((i, event.rungs))
        if event.description:
            sched.descriptions.setdefault(event.round, []).append(event.description)
        self.events.append(event)

    @property
    def round(self) -> int:
        """The round being decided (the last round once the game is over)."""
        return self.model.round

    @property
    def outcome(self) -> str:
        """How the crisis ended (``unresolved`` while it runs)."""
        return self.model.outcome_name

    def _agent(self, actor_id: str) -> Any:
        return self.model.actor(self.model.params.ids.index(actor_id))

    def _private_channels(self, a: str, b: str) -> list[int]:
        p = self.model.params
        ia, ib = p.ids.index(a), p.ids.index(b)
        return sorted(p.private_channels(ia, ib))  # in file order, as the player reads them

    def situation(self) -> Situation:
        """What the player's state knows now (see :class:`Situation`)."""
        m = self.model
        p = m.params
        me, other = self._agent(self.actor), self._agent(self.adversary)
        j = other.index
        channels = [
            (p.channel_ids[c], str(p.channel_kind[c]), bool(m.channel_open[c]))
            for c in self._private_channels(self.actor, self.adversary)
        ]
        return Situation(
            round=m.round,
            horizon=m.horizon,
            actor=self.actor,
            adversary=self.adversary,
            own_rung=int(me.rung),
            perceived_rung=int(me.perceived[j]),
            perceived_move=dx.MOVE_NAMES[int(me.perceived_move[j])],
            expected_cost=float(me.posterior_mean_cost),
            trust=float(me.trust),
            can_message=any(is_open for _, _, is_open in channels),
            private_channels=channels,
            news=self._news(m.round),
            rung_names=[r.name for r in self.spec.ladder.rungs],
        )

    # -- the bargain ------------------------------------------------------------------------------
    def _power_slot(self, actor_id: str) -> int:
        """The power's column in the crisis's offer arrays (0: ``power_a``)."""
        state = self.model.state
        return int(np.flatnonzero(state.powers == self.model.params.ids.index(actor_id))[0])

    def bargain(self) -> Bargain:
        """The bargain as the player's state knows it now (see :class:`Bargain`)."""
        m = self.model
        state, row, p = m.state, m.row, m.params
        h = self._power_slot(self.actor)
        # ``offer_read[:, h]``: the other power's offer as power h (the reader) read it.
        read = float(state.offer_read[row, h])
        sent = int(state.offer_read_sent[row, h])
        channel = None
        if not np.isnan(read):
            channel = next(
                (
                    str(r["channel"])
                    for r in m.event_log()
                    if r["kind"] == "offer"
                    and r["actor"] == self.adversary
                    and int(r["round"]) == sent
                ),
                None,
            )
        other = p.policies[p.ids.index(self.adversary)]
        # The round being decided has begun: its parameters (a ``set`` event may have opened
        # or closed the talks in it) are the ones its moves are carried out under.
        talks = bool(p.talks_open)
        c = state.type_grid.shape[1] // 2
        possible, _ = state._claimable(h, c)
        claimable = tuple(sorted(float(x) for x in state.type_grid[h][:c][possible]))
        return Bargain(
            own_offer=float(state.offer[row, h]),
            public_demand=float(state.public_demand[row, h]),
            offer_read=read,
            offer_channel=channel,
            offer_round=sent if sent >= 0 else None,
            status_quo=float(p.status_quo[h]),
            can_accept=talks and not np.isnan(read),
            concede_ends=talks and bool(p.capitulation),
            other_accepts=POLICIES[other.name].accepts_offers(other),
            claims=bool(state.claims) and len(claimable) > 1,
            own_cost=float(state.war_cost[row, h]),
            claimable=claimable,
            talks_open=talks,
        )

    def bargain_lines(self, bold: Callable[[str], str] = str) -> list[str]:
        """The bargain as the player knows it, in sentences (the terminal's panel, the app's card).

        Parameters
        ----------
        bold : callable, optional
            Marks up a phrase to stand out (rich's ``[bold]…[/]``, markdown's ``**…**``).

        Returns
        -------
        list of str
            One sentence per fact: the player's standing offer, its public demand, the other
            side's offer as read (and what accepting it does), whether the other side's policy
            ever accepts, and the share held while the crisis lasts.
        """
        b = self.bargain()
        n = self.narrator
        other = n.actor(self.adversary)

        def share(x: float) -> str:
            return "none" if math.isnan(x) else f"{x:.0%} of the stakes"

        lines = []
        if not b.talks_open:
            lines.append(
                "No talks yet: neither side makes, accepts or concedes to an offer until they "
                "open; an offer you make now waits until then."
            )
        lines.append(f"Your standing offer to {other}: {share(b.own_offer)}.")
        if not math.isnan(b.public_demand):
            lines.append(
                f"You demanded {b.public_demand:.0%} in public: settling for less costs you face."
            )
        if b.can_accept:
            via = n.channel(b.offer_channel) if b.offer_channel else "a channel"
            lines.append(
                f"{other}'s standing offer, as you read it: {bold(f'{b.offer_read:.0%}')} of the "
                f"stakes for you (sent in round {b.offer_round} through {via}). "
                f"{bold('accept')} settles on it; any other move refuses it."
            )
        else:
            lines.append(f"{other} has no offer standing.")
        if not b.other_accepts:
            lines.append(f"{other}'s policy never accepts an offer.")
        ends = (
            "a concession ends it."
            if b.concede_ends
            else "a concession does not end it now (no concede)."
        )
        lines.append(f"While the crisis lasts you hold {b.status_quo:.0%} of the stakes; {ends}")
        return lines

    def _claim_of(self, message: str, claim: float | None) -> float:
        """The cost of war the player claims (NaN: none), from ``claim`` or the message.

        Where the powers exchange claims (:attr:`Bargain.claims`), a reassurance claims the
        highest cost the player may have ("my cost is high: I will settle"), a warning the
        lowest ("my cost is low: I will not back down"), unless ``claim`` names one.
        """
        b = self.bargain()
        if claim is not None and not math.isnan(claim):
            if not b.claims:
                raise GameError(
                    f"claim {claim!r}: the powers do not exchange claims about their cost of "
                    "war here (or yours is known); send a message instead"
                )
            if claim < 0:
                raise GameError(f"claim {claim!r}: a cost of war is 0 or more")
            if not self.situation().can_message:
                raise GameError(
                    f"claim {claim!r}: no private channel to {self.adversary} is open (public "
                    "statements carry no claims)"
                )
            return float(claim)
        if claim is not None or not b.claims:
            return math.nan
        return {"reassure": b.claimable[-1], "warn": b.claimable[0]}.get(message, math.nan)

    def moves_available(self) -> tuple[str, ...]:
        """The moves the player may choose now: :data:`MOVES` less those that do not apply.

        ``accept`` needs the other side's offer standing as read; ``concede`` a scenario whose
        ``endings.capitulation`` lets a concession end the crisis.
        """
        b = self.bargain()
        return tuple(
            mv
            for mv in MOVES
            if (mv != "accept" or b.can_accept) and (mv != "concede" or b.concede_ends)
        )

    def _standing_after(self, offer: str | float) -> float:
        """The player's standing offer after choosing ``offer`` (see :meth:`play`)."""
        if isinstance(offer, str):
            if offer == "keep":
                return self.offers[-1] if self.offers else float("nan")
            if offer == "withdraw":
                return float("nan")
            raise GameError(
                f"offer {offer!r}: expected {' or '.join(OFFER_CHOICES)}, or a share of the "
                "stakes from 0 to 1"
            )
        share = float(offer)
        if not 0.0 <= share <= 1.0:
            raise GameError(f"offer {offer!r}: a share of the stakes is from 0 to 1")
        return share

    def _news(self, t: int, actor: str | None = None) -> list[str]:
        """Sentences for this round's events that the player's state (``actor``'s) could know."""
        who = self.actor if actor is None else actor
        out = []
        for row in self.model.event_log():
            if row["round"] != t:
                continue
            kind = row["kind"]
            mine = row["actor"] == who
            to_me = row["target"] == who
            if (
                (kind == "message" and to_me)
                or kind in _PUBLIC_NEWS
                or (kind in {"incident", "agreement_broken"} and mine)
            ):
                out.append(self.narrator.sentence(row))
        return out

    # -- playing ----------------------------------------------------------------------------------
    def _begin(self) -> None:
        """Run phases 1-5 of the next round and note what each power knows."""
        m = self.model
        m.begin_round()
        self._before = {}
        for a, b in ((self.actor, self.adversary), (self.adversary, self.actor)):
            agent, other = self._agent(a), self._agent(b)
            self._before[a] = {
                "rung_before": int(agent.rung),
                "perceived_other": int(agent.perceived[other.index]),
                "expected_cost": float(agent.posterior_mean_cost),
                "trust": float(agent.trust),
            }
        self._third_seen = {}
        for k in self.thirds:
            agent = self._agent(k)
            self._third_seen[k] = {
                a: int(agent.perceived[self._agent(a).index]) for a in self._powers
            }
            self._before[k] = {
                "rung_before": int(agent.rung),
                "perceived_other": -1,
                "expected_cost": math.nan,
                "trust": math.nan,
            }
        self._narrate_new()

    def play(
        self,
        move: str,
        message: str = "none",
        *,
        offer: str | float = "keep",
        claim: float | None = None,
    ) -> list[str]:
        """Make the player's move (and send a message with it); run on to the next decision.

        Parameters
        ----------
        move : str
            One of :data:`MOVES`.
        message : str
            ``'reassure'``, ``'warn'`` or ``'none'``; sent with the next round's messages over
            the best private channel to each partner. Without an open private channel it must be
            ``'none'``.
        offer : str or float
            The player's standing offer: ``'keep'`` (as it stands, or none), ``'withdraw'``, or
            a share of the stakes offered to the other side, from 0 to 1. It goes out with the
            next round's talks (as a message does), over the best channel then.
        claim : float, optional
            Where the powers exchange claims (:attr:`Bargain.claims`): the cost of war the
            player claims, honest or not (sent as the nearest cost they may have; NaN: none).
            Without it a reassurance claims the highest such cost and a warning the lowest.

        Returns
        -------
        list of str
            This round's events in plain language (what everyone did, as the debrief will show).

        Raises
        ------
        GameError
            When the game is over, or the move, message or offer is not one of the choices
            (``accept`` with no offer standing; ``concede`` where a concession does not end the
            crisis).
        """
        choices: dict[str, Choice | ThirdChoice] = {self.actor: Choice(move, message, offer, claim)}
        for team in self.players[1:]:
            script = self.scripted.get(team, [])
            k = len(self._lists[team].moves)
            choices[team] = script[k] if k < len(script) else DEFAULT_CHOICE
        for third in self.thirds:
            script = self.scripted.get(third, [])
            k = len(self._third_lists[third].moves)
            choices[third] = script[k] if k < len(script) else DEFAULT_THIRD_CHOICE
        return self.play_round(choices)

    def check(self, choice: Choice) -> tuple[float, float]:
        """Check the player's ``choice`` for this round; change nothing.

        Returns
        -------
        standing, claimed : float
            The standing offer after it (NaN: none) and the cost of war claimed (NaN: none).

        Raises
        ------
        GameError
            As :meth:`play`.
        """
        move, message, offer, claim = choice
        if self.over:
            raise GameError(f"the crisis has ended ({self.outcome}); start a new game")
        if move not in MOVES:
            raise GameError(f"move {move!r}: expected one of {', '.join(MOVES)}")
        if move not in self.moves_available():
            if not self.bargain().talks_open:
                why = (
                    "the talks are not open yet (stakes.talks_open): no offer is accepted and "
                    "no concession made until they open; step down or hold instead"
                )
            elif move == "accept":
                why = f"no offer from {self.adversary} stands as you read it"
            else:
                why = (
                    "in this scenario a concession does not end the crisis "
                    "(endings.capitulation is false); step down instead"
                )
            raise GameError(f"move {move!r}: {why}")
        standing = self._standing_after(offer)
        claimed = self._claim_of(message, claim)
        if message not in MESSAGE_CHOICES:
            raise GameError(f"message {message!r}: expected one of {', '.join(MESSAGE_CHOICES)}")
        if message != "none" and not self.situation().can_message:
            raise GameError(
                f"message {message!r}: no private channel to {self.adversary} is open; "
                "only 'none' (public statements carry no private message)"
            )
        return standing, claimed

    def play_round(
        self, choices: Mapping[str, Choice | ThirdChoice | tuple[Any, ...]]
    ) -> list[str]:
        """Play one round with every player's choice (a team per power); run on to the next.

        Parameters
        ----------
        choices : dict
            Actor id -> that player's :class:`Choice` (or a ``(move, message, offer, claim)``
            tuple), one for each of :attr:`players`, and a :class:`ThirdChoice` (or a
            ``(move, join, mediate)`` tuple) for each of :attr:`thirds`.

        Returns
        -------
        list of str
            This round's events in plain language.

        Raises
        ------
        GameError
            When a player's choice is missing or not allowed (as :meth:`play`); every choice is
            checked before any is made, so a refusal changes nothing.
        """
        seats = (*self.players, *self.thirds)
        missing = [a for a in seats if a not in choices]
        extra = [a for a in choices if a not in seats]
        if missing or extra:
            raise GameError(
                f"a round needs one choice from each of {', '.join(seats)}"
                + (f"; missing {', '.join(missing)}" if missing else "")
                + (f"; {', '.join(extra)} not played by a team" if extra else "")
            )
        made = {a: Choice(*choices[a]) for a in self.players}
        checked = {a: self.seat(a).check(c) for a, c in made.items()}
        third_made = {k: ThirdChoice(*choices[k]) for k in self.thirds}
        for k, tc in third_made.items():
            self.third_seat(k).check(tc)
        t = self.model.round
        for k, tc in third_made.items():
            w = self._third_lists[k]
            w.moves.append(tc.move)
            w.joins.append(bool(tc.join))
            w.mediations.append(bool(tc.mediate))
        said: dict[str, str] = {}
        for a, c in made.items():
            standing, claimed = checked[a]
            v = self._lists[a]
            v.moves.append(c.move)
            v.messages.append(c.message)
            v.offers.append(standing)
            v.offer_choices.append(c.offer)
            v.claims.append(claimed)
            v.claim_choices.append(c.claim)
            said[a] = c.message if math.isnan(claimed) else f"claim {claimed:.3g}"
        first = len(self.feed)
        self.model.finish_round()
        self._narrate_new()
        self._record(t, said)
        self._record_thirds(t, third_made)
        if not self.over:
            self._begin()
        return [text for r, text in self.feed[first:] if r == t]

    def _narrate_new(self) -> None:
        rows = self.model.event_log()
        for row in rows[self._seen_events :]:
            self.feed.append((int(row["round"]), self.narrator.sentence(row)))
        self._seen_events = len(rows)

    def _record(self, t: int, chosen: Mapping[str, str]) -> None:
        rows = [r for r in self.model.event_log() if r["round"] == t]
        for a, b in ((self.actor, self.adversary), (self.adversary, self.actor)):
            agent = self._agent(a)
            said = [
                str(r["detail"])
                for r in rows
                if r["kind"] == "message" and r["actor"] == a and r["target"] == b
            ]
            miscalc = [r for r in rows if r["kind"] == "miscalculation" and r["actor"] == a]
            misperc = [r for r in rows if r["kind"] == "misperception" and r["actor"] == a]
            self._records.append(
                {
                    "round": t,
                    "actor": a,
                    "player": a in self.players,
                    **self._before[a],
                    "perceived_by_other": self._before[b]["perceived_other"],
                    "intended": dx.MOVE_NAMES[int(agent.intended_move)],
                    "made": dx.MOVE_NAMES[int(agent.last_move)],
                    "rung_after": int(agent.rung),
                    "signalled": "; ".join(said) if said else "",
                    "message_chosen": chosen.get(a, ""),
                    "miscalculation": bool(miscalc),
                    "misperception": bool(misperc),
                }
            )

    def _record_thirds(self, t: int, made: Mapping[str, ThirdChoice]) -> None:
        rows = [r for r in self.model.event_log() if r["round"] == t]
        for k, tc in made.items():
            agent = self._agent(k)
            self._third_records.append(
                {
                    "round": t,
                    "actor": k,
                    "rung_before": self._before[k]["rung_before"],
                    "perceived": self._third_seen.get(k, {}),
                    "truth": {a: self._before[a]["rung_before"] for a in self._powers},
                    "chose": tc,
                    "made": dx.MOVE_NAMES[int(agent.last_move)],
                    "rung_after": int(agent.rung),
                    "joined": any(r["kind"] == "involvement" and r["actor"] == k for r in rows),
                    "mediated": [
                        str(r["channel"])
                        for r in rows
                        if r["kind"] == "mediation" and r["actor"] == k
                    ],
                }
            )

    # -- after the game ---------------------------------------------------------------------------
    def record(self) -> pd.DataFrame:
        """The rounds played so far, one row per round × power (see :class:`Debrief`)."""
        return pd.DataFrame(self._records, columns=_RECORD_COLUMNS)

    def replay_file(self) -> dict[str, Any]:
        """A ``--moves`` file's content that replays this game exactly.

        With other teams, their choices are under ``others`` (played for them on replay); the
        events added while the game ran under ``events``.
        """

        def listed(choices: list[Choice]) -> list[dict[str, Any]]:
            return [
                {"move": c.move, "message": c.message}
                | ({} if c.offer == "keep" else {"offer": c.offer})
                | ({} if c.claim is None else {"claim": c.claim})
                for c in choices
            ]

        out: dict[str, Any] = {
            "scenario": self.spec.id,
            "actor": self.actor,
            "seed": self.seed,
            "condition": self.condition,
            "rounds": self.rounds,
            "settings": self.settings,
            "moves": listed(self.choices_of(self.actor)),
        }
        if len(self.players) > 1:
            out["others"] = {a: listed(self.choices_of(a)) for a in self.players[1:]}
        if self.thirds:
            out["thirds"] = {
                k: [
                    {"move": c.move}
                    | ({"join": True} if c.join else {})
                    | ({"mediate": True} if c.mediate else {})
                    for c in self.third_choices_of(k)
                ]
                for k in self.thirds
            }
        if self.stopped and self.model.end_round is None:
            out["stopped"] = True  # ended by the instructor before the crisis resolved
        if self.events:
            out["events"] = [
                {k: v for k, v in e.model_dump(mode="json").items() if v not in (None, "")}
                for e in self.events
            ]
        return out

    def flipped_channels(self) -> dict[str, bool]:
        """The channels the replay sets the other way, with their state at its start.

        Every private channel between the two powers flips (open at the start -> closed, closed
        -> open), except those that scheduled events open, close or convene (summits, fora, a
        mediator's appeal, the instructor's switches): they keep their history, which the
        replay shares.
        """
        p = self.model.params
        start = self.model.sched.params_at[0].channel_open0
        scheduled = {
            e.channel
            for e in self.replay_spec().events
            if isinstance(e, ChannelEvent | SummitEvent)
        }
        out: dict[str, bool] = {}
        for c in self._private_channels(self.actor, self.adversary):
            cid = p.channel_ids[c]
            if cid not in scheduled:
                out[cid] = not bool(start[c])
        return out

    def debrief(self) -> Debrief:
        """The debrief: round-by-round record, and the replay with the channels the other way.

        Raises
        ------
        GameError
            While the game is still running.
        """
        if not self.over:
            raise GameError("the debrief comes when the crisis has ended")
        # A finished game never changes: each seat's debrief is made once, and the seats share
        # the replay (the same pair's channels flip for both).
        done = self._cache.get(("debrief", self.actor))
        if done is not None:
            return done
        flipped = self.flipped_channels()
        key = ("replay", tuple(sorted(flipped.items())))
        replay = self._cache.get(key)
        if replay is None:
            replay = self._cache[key] = self._replay(flipped)
        ts = replay.timeseries
        counter = ts[ts["role"] == "power"][["round", "actor", "rung"]].reset_index(drop=True)
        rounds = self.record()
        share = self._player_share(self.model)
        out = self._cache[("debrief", self.actor)] = Debrief(
            rounds=rounds,
            outcome=self.outcome,
            end_round=self.model.end_round,
            counterfactual=counter,
            counterfactual_outcome=replay.outcome_name,
            counterfactual_end_round=replay.end_round,
            flipped=flipped,
            summary=self._summary(rounds, replay, flipped),
            settled_share=share,
            offers=self.offers_made(),
        )
        return out

    def _replay(self, flipped: Mapping[str, bool]) -> EscalationModel:
        """The finished game replayed with the channels ``flipped`` (same seed, same choices)."""
        replay_spec = with_channels_open(self.replay_spec(), flipped)
        pad = {a: self.model.horizon - len(v.moves) for a, v in self._lists.items()}
        third_pad = {
            k: ["hold"] * (self.model.horizon - len(v.moves)) for k, v in self._third_lists.items()
        }
        replay = EscalationModel(
            scenario=replay_spec,
            seed=self.seed,
            replication=self.replication,
            human_moves={a: [*v.moves, *(["hold"] * pad[a])] for a, v in self._lists.items()}
            | {k: [*v.moves, *third_pad[k]] for k, v in self._third_lists.items()},
            human_messages={a: [*v.messages, *(["none"] * pad[a])] for a, v in self._lists.items()},
            human_offers={a: list(v.offers) for a, v in self._lists.items()},
            human_claims={a: list(v.claims) for a, v in self._lists.items()},
            human_joins={k: list(v.joins) for k, v in self._third_lists.items()},
            human_mediations={k: list(v.mediations) for k, v in self._third_lists.items()},
        ).run()
        return replay

    def _outcome_row(self, model: EscalationModel) -> pd.Series:
        """``model.outcome``'s row, made once per finished model (a frame is built per call)."""
        key = ("outcome", id(model))
        row = self._cache.get(key)
        if row is None:
            row = model.outcome.iloc[0]
            if self.over:
                self._cache[key] = row
        return row

    def _player_share(self, model: EscalationModel) -> float | None:
        """The player's share of the stakes in ``model``'s settlement by an offer (None: none)."""
        share_a = float(self._outcome_row(model)["settled_share_a"])
        if np.isnan(share_a):
            return None
        return share_a if self._power_slot(self.actor) == 0 else 1.0 - share_a

    def offers_made(self) -> pd.DataFrame:
        """Every offer made so far: ``round, actor, offered, read, channel`` (:class:`Debrief`)."""
        rows = []
        for r in self.model.event_log():
            if r["kind"] != "offer":
                continue
            # "offers 0.523 of the stakes[, read as 0.543]" (Crisis._offers)
            made, _, read = str(r["detail"]).removeprefix("offers ").partition(", read as ")
            offered = float(made.removesuffix(" of the stakes"))
            rows.append(
                {
                    "round": int(r["round"]),
                    "actor": str(r["actor"]),
                    "offered": offered,
                    "read": float(read) if read else offered,
                    "channel": str(r["channel"]),
                }
            )
        return pd.DataFrame(rows, columns=["round", "actor", "offered", "read", "channel"])

    def _settlement_lines(self, replay: EscalationModel) -> list[str]:
        """What the debrief says about offers and a settlement by one (empty: no offers)."""
        n = self.narrator
        offers = self.offers_made()
        out = []
        if len(offers):
            counts = [
                f"{'you' if a == self.actor else n.actor(a)} {int((offers['actor'] == a).sum())}"
                for a in (self.actor, self.adversary)
            ]
            out.append(f"Offers made: {_join(counts)}.")
        accepted = [r for r in self.model.event_log() if r["kind"] == "accept"]
        share = self._player_share(self.model)
        if accepted and share is not None:
            who = str(accepted[-1]["actor"])
            whose = "your" if who != self.actor else f"{n.actor(self.adversary)}'s"
            by = "You" if who == self.actor else n.actor(who)
            q = self.bargain().status_quo
            out.append(
                f"{by} accepted {whose} offer in round {self.model.end_round}: you get "
                f"{share:.0%} of the stakes and {n.actor(self.adversary)} {1 - share:.0%} "
                f"(you held {q:.0%} while the crisis lasted)."
            )
        other = self._player_share(replay)
        if other is not None:
            out.append(
                f"In the replay with the channels the other way the crisis was settled by an "
                f"offer: you would get {other:.0%} of the stakes."
            )
        return out

    def _pair_lines(self, model: EscalationModel, replay: EscalationModel) -> list[str]:
        """What the debrief says of each listed pair's war (docs/pair-wars.md §5).

        Its length, the front held at the end, a ceasefire, the patron's entry, and the rounds
        of the war in the replay with the channels flipped (empty: no pair fought).
        """
        n = self.narrator
        row, other = self._outcome_row(model), self._outcome_row(replay)
        out = []
        for pair in self.spec.war.pairs:
            ids = sorted(pair.pair, key=lambda x: x not in self._powers)
            name = f"{ids[0]}_{ids[1]}"
            if f"war_rounds_{name}" not in row:
                continue
            rounds = int(row[f"war_rounds_{name}"])
            if rounds == 0:
                continue
            power, side = n.actor(ids[0]), n.actor(ids[1])
            held = float(row[f"front_{name}"])
            text = f"{power} fought {side} for {rounds} rounds and ended holding {held:.0%} of "
            text += "what they fight over"
            if int(row[f"ceasefires_{name}"]):
                text += " after a ceasefire"
            elif bool(row[f"at_war_{name}"]):
                text += ", still at war"
            if bool(row[f"intervention_{name}"]):
                text += f"; {n.actor(self._patron(pair))} entered that war"
            text += f" (with the channels flipped: {int(other[f'war_rounds_{name}'])} rounds)."
            out.append(text)
        return out

    @property
    def _powers(self) -> list[str]:
        return [a.id for a in self.spec.actors if a.role == "power"]

    @staticmethod
    def _patron(pair: Any) -> str:
        return next(iter(pair.patron.values())) if pair.patron else "?"

    def _summary(
        self, rounds: pd.DataFrame, replay: EscalationModel, flipped: dict[str, bool]
    ) -> list[str]:
        n = self.narrator
        if self.model.end_round is None and self.stopped:
            out = [f"The game was stopped in round {self.model.round}, the crisis unresolved."]
        else:
            out = [f"The crisis ended in round {self.model.end_round}: {n.outcome(self.outcome)}."]
        out += self._pair_lines(self.model, replay)
        out += self._settlement_lines(replay)
        for a in (self.actor, self.adversary):
            mine = rounds[rounds["actor"] == a]
            who = "You" if a == self.actor else n.actor(a)
            mp = int(mine["misperception"].sum())
            mc = int(mine["miscalculation"].sum())
            wrong = mine[mine["perceived_by_other"] != mine["rung_before"]]
            text = f"{who} misperceived the other side in {mp} of {len(mine)} rounds"
            if a not in self.players:
                text += f" and miscalculated in {mc}"
            text += f"; the other side saw {'you' if a == self.actor else 'it'} at the wrong"
            text += f" rung in {len(wrong)}."
            out.append(text)
        changes = _join(
            [f"{n.channel(c)} {'open' if state else 'closed'}" for c, state in flipped.items()]
        )
        yours = "yours" if len(self.players) == 1 else "both teams"
        if changes:
            out.append(
                f"With {changes} (same seed, same moves of {yours}), the crisis ended in round "
                f"{replay.end_round}: {n.outcome(replay.outcome_name)}."
            )
        else:
            out.append("No private channel links the two powers, so there is no replay to compare.")
        return out


class ThirdSeat:
    """A third party's team's view of a game (:meth:`Game.third_seat`): what it may decide.

    In this model a third party acts through its rules (docs/ODD.md 7.12): it re-aligns each
    round toward the power it sees as the less aggressive, may join the side it leans to, may
    offer mediation (opening the channel it relays), and once it has joined moves on the ladder.
    A team playing it decides exactly these, each round (:class:`ThirdChoice`): its move once
    joined (before, it holds: it makes no moves), whether to join (where the scenario lets it:
    ``may_join``; then at any round the team likes, instead of the rule's "when it sees its
    patron's rival at or above its red line"), and whether to offer its mediation (where
    ``may_mediate``; instead of the rule's "once a power stands at rung 2"). Its alignment
    stays the model's (it is the state's perception, not a choice), so its side is the one it
    leans to when it joins; and it sends no messages or offers: in this model messages and
    offers pass between the two powers only (a message is read only by the power its sender
    faces), so a third party has nothing to say that the model would hear.

    Parameters
    ----------
    game : Game
        The game.
    actor : str
        The third party (one of :attr:`Game.thirds`).
    """

    def __init__(self, game: Game, actor: str) -> None:
        self.game = game
        self.actor = actor

    @property
    def _index(self) -> int:
        return self.game.model.params.ids.index(self.actor)

    def situation(self) -> ThirdSituation:
        """What the third party's state knows now (see :class:`ThirdSituation`)."""
        g = self.game
        m = g.model
        p = m.params
        k = self._index
        me = g._agent(self.actor)
        a, b = p.ids[p.power_a], p.ids[p.power_b]
        share_a = float(me.alignment_a)
        perceived = {x: int(me.perceived[g._agent(x).index]) for x in (a, b)}
        return ThirdSituation(
            round=m.round,
            horizon=m.horizon,
            actor=self.actor,
            powers=(a, b),
            own_rung=int(me.rung),
            perceived=perceived,
            perceived_moves={
                x: dx.MOVE_NAMES[int(me.perceived_move[g._agent(x).index])] for x in (a, b)
            },
            alignment={a: share_a, b: 1.0 - share_a},
            leans_to=a if share_a >= 0.5 else b,
            joined=bool(me.joined),
            may_join=bool(p.may_join[k]),
            may_mediate=bool(p.may_mediate[k]),
            red_line=int(p.red_line[k]),
            mediated=[
                (p.channel_ids[c], bool(m.channel_open[c]))
                for c in range(p.n_channels)
                if p.channel_via[c] == k
            ],
            news=g._news(m.round, self.actor),
            rung_names=[r.name for r in g.spec.ladder.rungs],
        )

    def moves_available(self) -> tuple[str, ...]:
        """:data:`THIRD_MOVES` once joined; before, ``hold`` only."""
        return THIRD_MOVES if bool(self.game._agent(self.actor).joined) else ("hold",)

    def check(self, choice: ThirdChoice | tuple[Any, ...]) -> ThirdChoice:
        """Check the team's ``choice`` for this round; change nothing.

        Raises
        ------
        GameError
            When the game is over, the move is not one of :meth:`moves_available`, or it joins
            or mediates where the scenario does not let it (or joins twice).
        """
        c = ThirdChoice(*choice)
        g = self.game
        name = g.narrator.actor(self.actor)
        if g.over:
            raise GameError(f"the crisis has ended ({g.outcome}); start a new game")
        if c.move not in THIRD_MOVES:
            raise GameError(f"move {c.move!r}: expected one of {', '.join(THIRD_MOVES)}")
        if c.move not in self.moves_available():
            raise GameError(
                f"move {c.move!r}: {name} has not joined a side, and makes no moves until it "
                "does (join this round and move from the next); hold"
            )
        if not isinstance(c.join, bool) or not isinstance(c.mediate, bool):
            raise GameError("join and mediate: expected true or false")
        s = self.situation()
        if c.join and not s.may_join:
            raise GameError(f"join: {name} may not join a side in this scenario (may_join)")
        if c.join and s.joined:
            raise GameError(f"join: {name} has joined a side already")
        if c.mediate and not s.may_mediate:
            raise GameError(f"mediate: {name} does not mediate in this scenario (may_mediate)")
        return c

    def lines(self) -> list[str]:
        """The situation in sentences (the team's page, the terminal)."""
        s = self.situation()
        n = self.game.narrator
        names = s.rung_names
        a, b = s.powers
        out = [
            f"You stand at {names[s.own_rung]}"
            + (f", beside {n.actor(s.leans_to)} (you have joined its side)." if s.joined else ".")
        ]
        for x in (a, b):
            out.append(
                f"You see {n.actor(x)} at {names[s.perceived[x]]} (its last move as you saw it: "
                f"{s.perceived_moves[x].replace('_', ' ')})."
            )
        out.append(
            f"Your alignment: {s.alignment[a]:.0%} with {n.actor(a)}, {s.alignment[b]:.0%} with "
            f"{n.actor(b)}; you lean to {n.actor(s.leans_to)}. Each round it moves toward the "
            "side you see as the less aggressive."
        )
        if s.may_join and not s.joined:
            foe = b if s.leans_to == a else a
            out.append(
                f"You may join {n.actor(s.leans_to)}'s side (the side you lean to at the end of "
                f"the round): your forces then count on its side in a war, and you move on the "
                f"ladder. The rule a computer would follow joins when it sees {n.actor(foe)} at "
                f"or above {names[s.red_line]}"
                + (": it would join now." if s.rule_would_join else ": not yet.")
            )
        if s.may_mediate:
            state = ", ".join(f"{n.channel(c)} {'open' if o else 'closed'}" for c, o in s.mediated)
            out.append(
                f"You may offer your mediation: it opens the channel you relay ({state}) at the "
                "end of the round. The rule a computer would follow offers it once a power "
                "stands at the second rung or above."
            )
        return out

    def debrief(self) -> list[str]:
        """The team's debrief in sentences: what it chose, what it saw, how it ended."""
        g = self.game
        n = g.narrator
        rows = [r for r in g._third_records if r["actor"] == self.actor]
        names = [r.name for r in g.spec.ladder.rungs]
        if g.model.end_round is None and g.stopped:
            out = [f"The game was stopped in round {g.model.round}, the crisis unresolved."]
        else:
            out = [f"The crisis ended in round {g.model.end_round}: {n.outcome(g.outcome)}."]
        joined = [r for r in rows if r["joined"]]
        if joined:
            who = next(
                (
                    str(e["target"])
                    for e in g.model.event_log()
                    if e["kind"] == "involvement" and e["actor"] == self.actor
                ),
                "?",
            )
            out.append(f"You joined {n.actor(who)}'s side in round {joined[0]['round']}.")
        elif bool(g.model.params.may_join[self._index]):
            out.append("You stayed out: you never joined a side.")
        mediated = [r for r in rows if r["mediated"]]
        offered = [r["round"] for r in rows if r["chose"].mediate]
        if offered:
            text = f"You offered mediation in round(s) {', '.join(map(str, offered))}"
            if mediated:
                chans = _join(sorted({n.channel(c) for r in mediated for c in r["mediated"]}))
                text += f"; {chans} opened in round {mediated[0]['round']}"
            else:
                text += " (its channel was open already)"
            out.append(text + ".")
        moved = [r for r in rows if r["chose"].move != "hold"]
        if moved:
            made = [f"round {r['round']}: {r['chose'].move.replace('_', ' ')}" for r in moved]
            out.append(f"Your moves: {'; '.join(made)}.")
        if rows:
            out.append(f"You ended at {names[rows[-1]['rung_after']]}.")
        wrong = [
            r["round"]
            for r in rows
            if any(r["perceived"].get(x) != r["truth"][x] for x in r["truth"])
        ]
        out.append(
            f"You saw a power at the wrong rung in {len(wrong)} of {len(rows)} rounds"
            + (f" (round(s) {', '.join(map(str, wrong))})." if wrong else ".")
        )
        return out
