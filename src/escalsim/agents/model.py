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
   agreements, claims and offers pass between the powers, and an actor sends a message to a
   partner that reads it (honest or not, by the sender's honesty type; delayed; misread);
4. ``perception``: each actor observes every other through the best path available, with that
   path's noise; incidents are explained with the channel's deconfliction probability;
5. ``beliefs_and_trust``: each power's posterior over the other's types, on its perceived move,
   claims and offers; trust is the posterior's honest mass; words checked against deeds;
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

from collections.abc import Sequence
from typing import Any

import mesa
import numpy as np
import pandas as pd
from numpy.typing import NDArray

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
    """One crisis, as a mesa model: one replication, or several for a viewer of an ensemble.

    Parameters
    ----------
    scenario : Scenario or str
        A validated scenario, a scenario file, or the name of a shipped scenario.
    seed : int
        Root seed of the run (default: the scenario's ``run.seed``).
    replication : int, optional
        Which replication of the run this is (default 0); with ``seed`` it fixes the random
        stream. With ``replications``: the one shown first (default: the first of them).
    replications : int or sequence of int, optional
        Step several replications at once, as :func:`escalsim.batch.run_batch` does: how many
        (0..k-1), or which replication indices (distinct, non-negative). Default: only
        ``replication``.
    condition : str, optional
        A condition of the scenario to apply (default: the base scenario).
    perfect_information : bool
        Run the perfect-information twin: every actor sees the truth.
    complete_information : bool
        Run the complete-information twin: the perfect-information twin in which each power
        knows the other's drawn type too (docs/decision-v2.md §7); implies
        ``perfect_information``.
    human_moves : dict, optional
        For actors with the ``human`` policy: actor id -> list of move names by round. With
        several replications a player's move of a round is made in every replication.
    human_messages : dict, optional
        For actors with the ``human`` policy: actor id -> list of messages by round, each
        ``'reassure'``, ``'warn'`` or ``'none'``, chosen with that round's move and sent in the
        next round's message phase. An actor listed here sends exactly these messages instead of
        its honesty type's (seminar mode), in every replication; actors not listed behave as usual.
    human_offers : dict, optional
        For powers with the ``human`` policy: actor id -> the standing offer chosen with each
        round's move (a share of the stakes offered to the other power, NaN: none), posted in
        the next round's talks (:class:`~escalsim.model.rounds.Crisis`).
    human_claims : dict, optional
        For powers with the ``human`` policy, where the powers exchange claims about their
        types: actor id -> the cost of war claimed with each round's move (NaN: none), sent in
        the next round's claims.
    human_joins, human_mediations : dict, optional
        For third parties with the ``human`` policy (the classroom's third-party teams): actor
        id -> by round, whether the player joins its patron's side (where it may join) or
        offers its mediation (where it may mediate), instead of the rules (docs/ODD.md 7.12).
    layout : BlockLayout, optional
        The random block's layout (default: ``BlockLayout.of(scenario)``, the scenario as given,
        before ``condition``), as :func:`escalsim.batch.run_batch` takes it.

    Raises
    ------
    ValueError
        For no replications, indices that repeat or are negative, or a ``replication`` to show
        that is not among ``replications``.

    Notes
    -----
    Construction is keyword-only so that a viewer can rebuild the model from its parameters.
    ``model.timeseries``, ``model.events`` and ``model.outcome`` give the three tidy frames of
    every replication (for those that ran to the end, equal to ``run_batch``'s for the same
    replications); :meth:`ensemble` and :meth:`tally` give a viewer the ensemble round by round.

    The state lives in ``model.crisis`` (a :class:`~escalsim.model.rounds.Crisis` with a row
    per replication still running). The agents and the model's attributes (``channel_open``,
    ``outcome_name``, ...) are views of the *shown* replication's row (:meth:`show`). A
    replication that ends while others run is detached from ``model.crisis``
    (:meth:`Crisis.detach <escalsim.model.rounds.Crisis.detach>`) and kept, frozen as it was
    when its crisis ended, so its agents never drift; ``model.state`` and ``model.row`` say
    where the shown replication lives. The model runs until every replication has ended.

    Examples
    --------
    >>> from escalsim.agents import EscalationModel
    >>> model = EscalationModel(scenario="geneva-2022", seed=1, replications=20)
    >>> model.step()  # one round of all twenty
    >>> int(model.tally().iloc[-1]["running"])  # replications still running after round 1
    20
    >>> model.show(7).actor(0).rung  # the agents now view replication 7
    3
    >>> frames = model.run()  # until every replication has ended
    >>> len(frames.outcome)  # one row each, as run_batch(..., replications=20) gives them
    20
    """

    def __init__(
        self,
        *,
        scenario: Scenario | str,
        seed: int | None = None,
        replication: int | None = None,
        replications: int | Sequence[int] | None = None,
        condition: str | None = None,
        perfect_information: bool = False,
        human_moves: dict[str, list[str]] | None = None,
        human_messages: dict[str, list[str]] | None = None,
        layout: BlockLayout | None = None,
        complete_information: bool = False,
        human_offers: dict[str, list[float]] | None = None,
        human_claims: dict[str, list[float]] | None = None,
        human_joins: dict[str, list[bool]] | None = None,
        human_mediations: dict[str, list[bool]] | None = None,
    ) -> None:
        perfect_information = perfect_information or complete_information
        spec = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        if layout is None:
            layout = BlockLayout.of(spec)
        if condition is not None:
            spec = with_condition(spec, condition)
        root = spec.run.seed if seed is None else int(seed)
        # mesa's own generators get the plain seed and are never used: all randomness comes
        # from the replications' streams.
        super().__init__(rng=root)
        reps = _replications(replication, replications)
        shown = int(reps[0]) if replication is None else int(replication)
        self.spec = spec
        self.condition = condition or spec.condition_names[0]
        self.seed_root = root
        self.replications: tuple[int, ...] = tuple(int(r) for r in reps)
        self.perfect_information = perfect_information
        self.human_moves = human_moves if human_moves is not None else {}
        self.human_messages = human_messages if human_messages is not None else {}
        self.sched = schedule(spec)
        p0 = self.sched.params_at[0]
        self.crisis = Crisis(
            spec,
            self.sched,
            Streams(root, reps, layout, spec.run.rounds),
            reps,
            np.ones(len(reps), dtype=bool),
            perfect_information,
            self.human_moves,
            self.human_messages,
            all_pairs=True,
            compact=False,
            solo=True,
            complete_information=complete_information,
            human_offers=human_offers,
            human_claims=human_claims,
            human_joins=human_joins,
            human_mediations=human_mediations,
        )
        # Replications that ended while others ran: frozen one-row copies of their state.
        self._frozen: dict[int, Crisis] = {}
        self.horizon = spec.run.rounds
        self._event_rows: list[dict[str, Any]] = []
        self._records_read = 0
        self.show(shown)
        self.actor_list = [StateAgent(self, i) for i in range(p0.n_actors)]

    # -- which replication the agents show ----------------------------------------------------
    def show(self, replication: int) -> EscalationModel:
        """Make the agents (and the model's attributes) views of ``replication``; return self.

        Raises
        ------
        ValueError
            If ``replication`` is not one of :attr:`replications`.
        """
        r = int(replication)
        if r not in self.replications:
            steps = _span(self.replications)
            raise ValueError(f"replication {r} is not stepped by this model (it steps {steps})")
        self.replication = r  # the shown replication
        self._event_rows, self._records_read = [], 0
        self._locate()
        return self

    def _locate(self) -> None:
        """Find the shown replication: a running row of ``crisis``, or its frozen copy."""
        frozen = self._frozen.get(self.replication)
        if frozen is not None:
            self.state, self.row = frozen, 0
        else:
            self.state = self.crisis
            self.row = int(np.flatnonzero(self.crisis.reps == self.replication)[0])

    # -- the state, as views of the shown replication's row --------------------------------------
    @property
    def params(self) -> Params:
        """The parameters that hold in the current round (for an ended replication, its last)."""
        return self.state.params

    @property
    def stream(self) -> np.random.Generator:
        """The replication's random stream (blocks are drawn from it a few rounds ahead)."""
        return self.state.streams.gens[int(self.state.srow[self.row])]

    @property
    def round(self) -> int:
        """The last round begun (0 before the first)."""
        return self.crisis.round

    @property
    def channel_open(self) -> np.ndarray:
        """Whether each channel is open (a view: writing to it opens or closes the channel)."""
        return self.state.channel_open[self.row]

    @property
    def channel_up(self) -> np.ndarray:
        """Whether each channel is up this round (open and working)."""
        return self.state.channel_up[self.row]

    @property
    def agreed(self) -> np.ndarray:
        """Per agenda item: the round it was agreed, -1 not agreed, -2 broken."""
        return self.state.agreed[self.row]

    @property
    def summits(self) -> list[tuple[int, int, float]]:
        """The summits running: channel, end round, talks boost."""
        return self.state.summits

    @property
    def outcome_name(self) -> str:
        """How the crisis ended (``unresolved`` while it runs)."""
        code = int(self.state.outcome_code[self.row])
        return OUTCOMES[code] if code >= 0 else "unresolved"

    @property
    def end_round(self) -> int | None:
        """The round the crisis ended in (None while it runs)."""
        return int(self.state.end_round[self.row]) if self.state.ended[self.row] else None

    @property
    def war_cause(self) -> str | None:
        """What made the war (None: no war)."""
        return self.state.war_cause[self.row]

    @property
    def nuclear(self) -> bool:
        """Whether the nuclear rung was reached."""
        return bool(self.state.nuclear[self.row])

    @property
    def peak_rung(self) -> int:
        """The highest rung either power held."""
        return int(self.state.peak_rung[self.row])

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
        bonus = self.state.deconfliction_bonus[self.row, channel]
        return min(1.0, float(self.params.deconfliction[channel] + bonus))

    def side_capability(self, index: int) -> float:
        """Capability of an actor plus that of the third parties that joined its side."""
        return float(np.atleast_1d(self.state._side_capability(index))[self.row])

    def pressure_on(self, index: int) -> float:
        """Net pressure of third parties on a power: > 0 asks restraint, < 0 firmness."""
        return float(self.state._pressure_on(index)[self.row])

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
        crisis = self.crisis
        crisis.finish_round()
        ended = crisis.ended
        if ended.any() and not ended.all():
            # Freeze the replications that ended and stop stepping them, as the ensembles'
            # compaction does (there only now and then): the agents of a finished crisis must
            # not drift. When the last ones end, nothing is stepped any more, so they stay.
            for row in np.flatnonzero(ended):
                mask = np.zeros(len(ended), dtype=bool)
                mask[row] = True
                self._frozen[int(crisis.reps[row])] = crisis.detach(mask)
            crisis._compact()
            self._locate()
        self.running = not bool(crisis.ended.all())

    def run(self) -> EscalationModel:
        """Step until the crisis ends or the horizon is reached; return the model."""
        while self.running:
            self.step()
        return self

    # -- events ---------------------------------------------------------------------------------
    def _log(self, t: int, kind: str, **fields: Any) -> None:
        """Record an event from outside the round (an instructor's switch in the app)."""
        reps = np.array([self.replication], dtype=np.int64)
        self.crisis._events.append((reps, kind, {"round": t, **fields}))

    def event_log(self) -> list[dict[str, Any]]:
        """The shown replication's events so far, one dict per event (the live log).

        :attr:`events` frames every replication's.
        """
        records = self.crisis._events
        shown = self.replication
        for reps, kind, values in records[self._records_read :]:
            for k in np.flatnonzero(reps == shown):
                row = dict.fromkeys(EVENT_COLUMNS)
                for name, given in values.items():
                    value = given[k] if isinstance(given, (list, np.ndarray)) else given
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
        """One row per replication, in the order of :attr:`replications`: outcome and metrics.

        How it ended, when, peak and final rung, and every run metric; while it runs
        ``unresolved`` with ``end_round`` None; for an ended replication, its row as written
        when it ended.
        """
        crisis = self.crisis
        parts = list(crisis._done)
        running = ~crisis.ended
        if running.any():
            live = crisis._outcome_columns(running)
            live["outcome"] = np.full(int(running.sum()), "unresolved", dtype=object)
            live["end_round"] = np.zeros(int(running.sum()), dtype=np.int64)
            parts.append(live)
        columns = {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}
        at = {int(r): k for k, r in enumerate(columns["replication"])}
        order = np.array([at[r] for r in self.replications], dtype=np.int64)
        columns = {k: v[order] for k, v in columns.items()}
        frame = outcome_frame([columns], self.condition, self.seed_root, self.perfect_information)
        if running.any():
            still = set(crisis.reps[running].tolist())
            frame["end_round"] = pd.Series(
                [
                    None if r in still else int(e)
                    for r, e in zip(self.replications, frame["end_round"], strict=True)
                ],
                dtype=object,
            )
        return frame

    # -- the ensemble, for a viewer --------------------------------------------------------------
    def ensemble(self) -> pd.DataFrame:
        """Each replication's powers' rungs and status, round by round, so far.

        Returns
        -------
        pandas.DataFrame
            One row per replication and round from 0 to the round it ended (or the last round
            run), in the order of :attr:`replications`: ``replication``, ``round``, the rung of
            each power (``rung_a``, ``rung_b``: the scenario's first and second power),
            ``top_rung`` (the higher), and ``status``: ``running``, or from its last round on
            the outcome (``war``, ``settlement``, ``capitulation_a``, ``capitulation_b``,
            ``unresolved`` at the horizon).
        """
        p = self.sched.params_at[0]
        parts = self.crisis._series
        rep = np.concatenate([part["replication"] for part in parts])
        actor = np.concatenate([part["actor_index"] for part in parts])
        rnd = np.concatenate([part["round"] for part in parts])
        rung = np.concatenate([part["rung"] for part in parts]).astype(np.int64)
        a, b = actor == p.power_a, actor == p.power_b
        frame = pd.DataFrame(
            {"replication": rep[a], "round": rnd[a], "rung_a": rung[a], "rung_b": rung[b]}
        )
        frame["top_rung"] = np.maximum(frame["rung_a"], frame["rung_b"])
        out = self.outcome
        ended = out["end_round"].notna().to_numpy()
        end = dict(zip(out["replication"][ended], out["end_round"][ended], strict=True))
        how = dict(zip(out["replication"][ended], out["outcome"][ended], strict=True))
        final = frame["round"].to_numpy() == frame["replication"].map(end).to_numpy(float)
        frame["status"] = np.where(final, frame["replication"].map(how), "running")
        position = {r: k for k, r in enumerate(self.replications)}
        frame["_at"] = frame["replication"].map(position)
        frame = frame.sort_values(["_at", "round"], kind="stable", ignore_index=True)
        return frame.drop(columns="_at")

    def tally(self) -> pd.DataFrame:
        """How many replications run and how many have ended, and how, after each round.

        Returns
        -------
        pandas.DataFrame
            One row per round from 0 to the last round run (``round``), with the count of
            replications ``running`` and of those ended by then with each outcome
            (:data:`~escalsim.model.constants.OUTCOMES`); each row sums to the replications.
        """
        out = self.outcome
        ended = out["end_round"].notna().to_numpy()
        end = out["end_round"][ended].astype(np.int64).to_numpy()
        how = out["outcome"][ended].to_numpy()
        rounds = np.arange(self.round + 1)
        table = {"round": rounds}
        for name in OUTCOMES:
            table[name] = ((end[None, :] <= rounds[:, None]) & (how == name)[None, :]).sum(axis=1)
        frame = pd.DataFrame(table)
        frame.insert(1, "running", len(self.replications) - frame[list(OUTCOMES)].sum(axis=1))
        return frame


def _replications(
    replication: int | None, replications: int | Sequence[int] | None
) -> NDArray[np.int64]:
    """The replication indices a model steps (as :func:`escalsim.batch.run_batch` reads them)."""
    if replications is None:
        reps = np.array([0 if replication is None else int(replication)], dtype=np.int64)
    elif isinstance(replications, (int, np.integer)):
        reps = np.arange(int(replications), dtype=np.int64)
    else:
        reps = np.asarray(list(replications), dtype=np.int64)
    if len(reps) == 0:
        raise ValueError("a model needs at least one replication")
    if (reps < 0).any() or len(np.unique(reps)) != len(reps):
        raise ValueError("replication indices must be distinct and non-negative")
    return reps


def _span(reps: tuple[int, ...]) -> str:
    if reps == tuple(range(reps[0], reps[0] + len(reps))):
        return f"replications {reps[0]}..{reps[-1]}" if len(reps) > 1 else f"replication {reps[0]}"
    return "replications " + ", ".join(map(str, reps))
