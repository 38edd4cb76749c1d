"""The mesa face of the escalation model: one crisis, round by round, as a mesa 3 model.

The rules of a round are not written here: :class:`EscalationModel` drives the model's one
implementation, :class:`escalsim.model.rounds.Crisis`, for a single replication (one row of its
state arrays), and its agents (:class:`~escalsim.agents.agents.StateAgent`) read and write that row.
What a student reads on an agent is therefore exactly what the ensembles compute.

One round runs these phases, in this order (docs/ODD.md, "Process overview and scheduling";
each is one method of ``Crisis``):

1. ``scheduled_events``: channels open or close, summits, injected incidents, parameter changes;
2. ``accidents``: incidents make an actor's observable posture jump although it did not intend
   it;
3. ``talks_and_messages``: over private channels that are up, agenda talks may yield
   agreements, and every actor sends each partner a message (honest or not; delayed; misread);
4. ``perception``: each actor observes every other through the best path available, with that
   path's noise; incidents are explained with the channel's deconfliction probability;
5. ``beliefs_and_trust``: Bayes on perceived moves and on messages; trust from words against
   deeds;
6. ``decisions``: each deciding actor's policy, evaluated twice with the same draw -- on what it
   perceives and on the truth -- to find miscalculations;
7. ``moves``: implementation errors and de-escalation friction, then all moves at once; war at
   the war rung or by the brinkmanship risk of the rungs held; settlement and capitulation;
8. ``third_parties``: re-alignment toward the side seen as less aggressive, mediation offers,
   involvement beside a patron;
9. ``data_collection``.

Randomness comes from one ``SeedSequence`` stream per replication (:mod:`escalsim.core.streams`);
mesa's own ``random``/``rng`` are never used.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np
import pandas as pd

from escalsim.agents.agents import StateAgent
from escalsim.core.params import Params, schedule
from escalsim.core.streams import BlockLayout
from escalsim.model.constants import (
    CAUSES,
    COUNTS,
    EVENT_COLUMNS,
    MESSAGE_CHOICES,
    OUTCOMES,
    typed_events,
)
from escalsim.model.rounds import Crisis, Streams, events_frame, outcome_frame, series_frame
from escalsim.scenario import Scenario, load_scenario, with_condition

# Re-exported: callers import the vocabulary from here as well as from escalsim.model.
__all__ = [
    "CAUSES",
    "COUNTS",
    "EVENT_COLUMNS",
    "MESSAGE_CHOICES",
    "OUTCOMES",
    "EscalationModel",
    "typed_events",
]


class EscalationModel(mesa.Model):
    """One crisis, as a mesa model.

    Parameters
    ----------
    scenario : Scenario or str
        A validated scenario, a scenario file, or the name of a shipped scenario.
    seed : int
        Root seed of the run (default: the scenario's ``run.seed``).
    replication : int
        Which replication of the run this is; with ``seed`` it fixes the random stream.
    condition : str, optional
        A condition of the scenario to apply (default: the base scenario).
    perfect_information : bool
        Run the perfect-information twin: every actor sees the truth.
    human_moves : dict, optional
        For actors with the ``human`` policy: actor id -> list of move names by round.
    human_messages : dict, optional
        For actors with the ``human`` policy: actor id -> list of messages by round, each
        ``'reassure'``, ``'warn'`` or ``'none'``, chosen with that round's move and sent in the
        next round's message phase. An actor listed here sends exactly these messages instead of
        the honesty draw (seminar mode); actors not listed behave as usual.

    Notes
    -----
    Construction is keyword-only so that a viewer can rebuild the model from its parameters.
    ``model.timeseries``, ``model.events`` and ``model.outcome`` give the three tidy frames.
    The state lives in ``model.crisis`` (a :class:`~escalsim.model.rounds.Crisis` of one row);
    the model's and agents' attributes read and write that row.
    """

    def __init__(
        self,
        *,
        scenario: Scenario | str,
        seed: int | None = None,
        replication: int = 0,
        condition: str | None = None,
        perfect_information: bool = False,
        human_moves: dict[str, list[str]] | None = None,
        human_messages: dict[str, list[str]] | None = None,
    ) -> None:
        spec = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        if condition is not None:
            spec = with_condition(spec, condition)
        root = spec.run.seed if seed is None else int(seed)
        # mesa's own generators get the plain seed and are never used: all randomness comes
        # from the replication's stream.
        super().__init__(rng=root)
        self.spec = spec
        self.condition = condition or spec.condition_names[0]
        self.seed_root = root
        self.replication = int(replication)
        self.perfect_information = perfect_information
        self.human_moves = human_moves if human_moves is not None else {}
        self.human_messages = human_messages if human_messages is not None else {}
        self.sched = schedule(spec)
        p0 = self.sched.params_at[0]
        reps = np.array([self.replication], dtype=np.int64)
        layout = BlockLayout(p0.n_actors, p0.n_channels, p0.n_agenda)
        self.crisis = Crisis(
            spec,
            self.sched,
            Streams(root, reps, layout, spec.run.rounds),
            reps,
            np.ones(1, dtype=bool),
            perfect_information,
            self.human_moves,
            self.human_messages,
            all_pairs=True,
            compact=False,
            solo=True,
        )
        self.row = 0  # the crisis's row this model shows
        self.horizon = spec.run.rounds
        self.actor_list = [StateAgent(self, i) for i in range(p0.n_actors)]
        self._event_rows: list[dict[str, Any]] = []
        self._records_read = 0

    # -- the state, as views of the crisis's row ----------------------------------------------
    @property
    def params(self) -> Params:
        """The parameters that hold in the current round."""
        return self.crisis.params

    @property
    def stream(self) -> np.random.Generator:
        """The replication's random stream (blocks are drawn from it a few rounds ahead)."""
        return self.crisis.streams.gens[self.row]

    @property
    def round(self) -> int:
        """The last round begun (0 before the first)."""
        return self.crisis.round

    @property
    def channel_open(self) -> np.ndarray:
        """Whether each channel is open (a view: writing to it opens or closes the channel)."""
        return self.crisis.channel_open[self.row]

    @property
    def channel_up(self) -> np.ndarray:
        """Whether each channel is up this round (open and working)."""
        return self.crisis.channel_up[self.row]

    @property
    def agreed(self) -> np.ndarray:
        """Per agenda item: the round it was agreed, -1 not agreed, -2 broken."""
        return self.crisis.agreed[self.row]

    @property
    def summits(self) -> list[tuple[int, int, float]]:
        """The summits running: channel, end round, talks boost."""
        return self.crisis.summits

    @property
    def outcome_name(self) -> str:
        """How the crisis ended (``unresolved`` while it runs)."""
        code = int(self.crisis.outcome_code[self.row])
        return OUTCOMES[code] if code >= 0 else "unresolved"

    @property
    def end_round(self) -> int | None:
        """The round the crisis ended in (None while it runs)."""
        return int(self.crisis.end_round[self.row]) if self.crisis.ended[self.row] else None

    @property
    def war_cause(self) -> str | None:
        """What made the war (None: no war)."""
        return self.crisis.war_cause[self.row]

    @property
    def nuclear(self) -> bool:
        """Whether the nuclear rung was reached."""
        return bool(self.crisis.nuclear[self.row])

    @property
    def peak_rung(self) -> int:
        """The highest rung either power held."""
        return int(self.crisis.peak_rung[self.row])

    # -- lookups --------------------------------------------------------------------------------
    def actor(self, index: int) -> StateAgent:
        """The agent at ``index`` (scenario order)."""
        return self.actor_list[index]

    def best_path(self, i: int, j: int) -> int:
        """The channel i and j talk and see each other through now.

        The first of :meth:`Params.private_channels` (least noisy, fastest, first in the
        file) that is up; otherwise the public channel.
        """
        p = self.params
        up = self.channel_up
        return next((c for c in p.private_channels(i, j) if up[c]), p.public)

    def deconfliction_of(self, channel: int) -> float:
        """A channel's deconfliction, with what agreements added, capped at 1."""
        bonus = self.crisis.deconfliction_bonus[self.row, channel]
        return min(1.0, float(self.params.deconfliction[channel] + bonus))

    def side_capability(self, index: int) -> float:
        """Capability of an actor plus that of the third parties that joined its side."""
        return float(np.atleast_1d(self.crisis._side_capability(index))[self.row])

    def pressure_on(self, index: int) -> float:
        """Net pressure of third parties on a power: > 0 asks restraint, < 0 firmness."""
        return float(np.atleast_1d(self.crisis._pressure_on(index))[self.row])

    # -- the round ------------------------------------------------------------------------------
    def step(self) -> None:
        """Run one round (a no-op once the crisis has ended)."""
        if not self.running:
            return
        self.begin_round()
        self.finish_round()

    def begin_round(self) -> None:
        """Phases 1-5 of the next round: up to the moment the actors decide.

        Seminar mode stops here so that a player decides on the same information as a policy
        (what they perceive this round); :meth:`finish_round` runs phases 6-9. ``step`` runs
        both, so a model stepped either way runs the very same round.
        """
        if not self.running or self.crisis._u is not None:
            raise RuntimeError("begin_round: the crisis has ended or a round is under way")
        self.crisis.begin_round()

    def finish_round(self) -> None:
        """Phases 6-9 of the round that :meth:`begin_round` started: decide, move, record."""
        if self.crisis._u is None:
            raise RuntimeError("finish_round: no round under way (call begin_round first)")
        self.crisis.finish_round()
        self.running = not bool(self.crisis.ended[self.row])

    def run(self) -> EscalationModel:
        """Step until the crisis ends or the horizon is reached; return the model."""
        while self.running:
            self.step()
        return self

    # -- events ---------------------------------------------------------------------------------
    def _log(self, t: int, kind: str, **fields: Any) -> None:
        """Record an event from outside the round (an instructor's switch in the app)."""
        reps = self.crisis.reps[[self.row]]
        self.crisis._events.append((reps, kind, {"round": t, **fields}))

    def event_log(self) -> list[dict[str, Any]]:
        """The events so far, one dict per event (the live log; :attr:`events` frames a copy)."""
        records = self.crisis._events
        for _reps, kind, values in records[self._records_read :]:
            row = dict.fromkeys(EVENT_COLUMNS)
            for name, given in values.items():
                value = given[0] if isinstance(given, (list, np.ndarray)) else given
                row[name] = value.item() if isinstance(value, np.generic) else value
            row["kind"] = kind
            self._event_rows.append(row)
        self._records_read = len(records)
        return self._event_rows

    # -- frames ---------------------------------------------------------------------------------
    @property
    def timeseries(self) -> pd.DataFrame:
        """One row per round × actor: posture, apparent posture, perception, belief, trust."""
        return series_frame(self.crisis._series, self.sched.params_at[0], self.condition)

    @property
    def events(self) -> pd.DataFrame:
        """One row per event: message, incident, misperception, miscalculation, move, ending."""
        if not self.crisis._events:
            frame = typed_events(pd.DataFrame(columns=list(EVENT_COLUMNS)))
            frame.insert(0, "replication", self.replication)
            frame.insert(0, "condition", self.condition)
            return frame
        return events_frame(self.crisis._events, self.condition)

    @property
    def outcome(self) -> pd.DataFrame:
        """One row for the run: outcome, when, peak and final rung, and every run metric."""
        crisis = self.crisis
        rows = np.zeros(len(crisis.reps), dtype=bool)
        rows[self.row] = True
        columns = crisis._outcome_columns(rows)
        ended = bool(crisis.ended[self.row])
        if not ended:
            columns["outcome"] = np.array(["unresolved"], dtype=object)
            columns["end_round"] = np.zeros(1, dtype=np.int64)
        frame = outcome_frame([columns], self.condition, self.seed_root, self.perfect_information)
        if not ended:
            frame["end_round"] = pd.Series([None], dtype=object)
        return frame
