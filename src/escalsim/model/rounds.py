"""The escalation model: the nine phases of a round, written once, over replications.

:class:`Crisis` holds the state of R replications of one crisis as arrays shaped
``[R, actors, ...]`` and runs the phases of a round (docs/ODD.md, "Process overview and
scheduling") on all of them at once, one method per phase: :meth:`~Crisis.scheduled_events`,
:meth:`~Crisis.accidents`, :meth:`~Crisis.talks_and_messages`, :meth:`~Crisis.perception`,
:meth:`~Crisis.beliefs_and_trust`, :meth:`~Crisis.decisions`, :meth:`~Crisis.moves`,
:meth:`~Crisis.third_parties` and :meth:`~Crisis.data_collection`. Every equation is a function
of :mod:`escalsim.core.dynamics` and every decision rule a :mod:`escalsim.policies` class,
called with arrays. Both faces of the model run this class: the ensembles
(:func:`escalsim.batch.run_batch`: thousands of rows, in chunks) and the mesa model
(:class:`escalsim.agents.EscalationModel`: one row, whose agents' attributes are views of it).

Each replication draws from its own ``SeedSequence`` stream one fixed-shape block per round, in
the layout of :class:`escalsim.core.streams.BlockLayout`, and every phase reads its uniforms by
slot name (:class:`escalsim.core.streams.Draws`), so replication r gives the same frames
whichever face runs it, alone or among others, with or without its twin, in either layout.

How the sequential parts of a round become array operations:

* loops over actors, channels and agenda items stay Python loops (they are short), each step
  acting on all replications at once; anything that happens only in some replications is an
  ``np.where`` under a mask;
* the message inbox is an array indexed by the round a message was sent: messages due in a
  round are applied in the order they were sent (messages between different pairs touch
  different state, so only the order within a pair matters);
* replications that have ended are dropped from the working set now and then (``compact``);
* events are recorded in the order they happen (one record per log call, over the
  replications it concerns) and sorted stably by replication at the end.

This module does not import mesa: the ensembles and every worker start without it.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from escalsim.core import bargaining as bg
from escalsim.core import dynamics as dx
from escalsim.core.params import Params, Schedule
from escalsim.core.streams import (
    BlockLayout,
    DisplayStreams,
    Draws,
    Structure,
    replication_generator,
    type_uniforms,
)
from escalsim.errors import ScenarioError
from escalsim.model import pair_wars
from escalsim.model.channels import ChannelPaths
from escalsim.model.constants import (
    CAUSES,
    COUNTS,
    EVENT_COLUMNS,
    MESSAGE_CHOICES,
    OUTCOMES,
    typed_events,
)
from escalsim.policies import POLICIES, Actor, HumanMoveRequiredError, Observation
from escalsim.policies.bargaining import Bargaining, exchange_possible
from escalsim.policies.base import BRIEFING, TYPE_FIELDS, Briefing
from escalsim.scenario import Scenario
from escalsim.scenario.errors import Problem

#: Random numbers are drawn ahead, up to this many bytes per chunk and WINDOW_ROUNDS rounds at a
#: time: one generator call per replication per window instead of per round. Numbers drawn for
#: rounds after a replication ends are never used (its stream is its own).
WINDOW_BYTES = 16 * 2**20
WINDOW_ROUNDS = 8

_CAUSES = np.array(CAUSES, dtype=object)
DELIBERATE, MISCALCULATED, ACCIDENT, THIRD_PARTY = range(4)

Field = Any  # a scalar, an array over the working set, or a function of the rows logged

#: A context that does nothing (reusable): a phase that reads its own channel state, a policy
#: that is not briefed.
_UNCHANGED: AbstractContextManager[None] = nullcontext()


def _rows(value: Any, rows: NDArray[np.int64], n: int) -> Any:
    """``value[rows]`` for an array over the ``n`` replications; scalars pass through."""
    if isinstance(value, np.ndarray) and value.shape[:1] == (n,):
        return value[rows]
    return value


def _move_names(moves: NDArray[np.int64]) -> list[str]:
    return [dx.MOVE_NAMES[int(m)] for m in moves]


def _stack(*arrays: NDArray[Any], axis: int = 0) -> NDArray[Any]:
    """``np.stack(arrays, axis)`` of arrays of one shape (``axis`` 0 or more), made as np.stack.

    A new axis on each, then one concatenation, without np.stack's Python-level checks.
    """
    at = (slice(None),) * axis + (None,)
    return np.concatenate([a[at] for a in arrays], axis=axis)


def window_rounds(rounds_left: int, n: int, size: int) -> int:
    """Rounds of blocks drawn at a time for ``n`` streams of ``size`` uniforms per round.

    At most :data:`WINDOW_ROUNDS` and :data:`WINDOW_BYTES`, but at least one round.
    """
    return max(1, min(rounds_left, WINDOW_ROUNDS, WINDOW_BYTES // (8 * size * max(n, 1))))


class Streams:
    """The random streams of a chunk's replications, shared by the runs and their twins.

    Stream ``s`` is replication ``reps[s]``'s generator. Blocks are drawn a window of rounds
    at a time into one buffer (fresh memory costs a page fault per 4 KB on first touch, more
    than drawing the numbers), for the streams some run still needs; a run reads its rows.
    A stream gives the same numbers whether drawn round by round or rounds at a time, and a
    stream left out of a window is never needed again (runs only ever finish).

    ``layout`` is the blocks' layout, which every crisis reading these streams binds; the type
    stream's draws (:meth:`type_uniforms`) are made on first use.
    """

    def __init__(
        self, seed: int, reps: NDArray[np.int64], layout: BlockLayout, horizon: int
    ) -> None:
        self.seed = int(seed)
        self.reps = np.asarray(reps, dtype=np.int64).copy()
        self.layout = layout
        self.gens = [replication_generator(seed, int(r)) for r in reps]
        self._types: dict[int, NDArray[np.float64]] = {}
        self.size = layout.size
        self.horizon = horizon
        self.row = np.full(len(reps), -1, dtype=np.int64)  # stream -> row of the window
        self.buffer = np.empty(0)
        self.window = np.empty((0, 0, self.size))
        self.start = 1  # the round of the window's first block
        self.rounds = 0

    def due(self, t: int) -> bool:
        """Whether round ``t`` needs a new window."""
        return t - self.start >= self.rounds

    def refill(self, t: int, order: NDArray[np.int64]) -> None:
        """Draw blocks from round ``t`` on for the streams ``order``, in that row order."""
        n = len(order)
        rounds = window_rounds(self.horizon - t + 1, n, self.size)
        need = n * rounds * self.size
        if self.buffer.size < need:
            self.buffer = np.empty(need)
        self.window = self.buffer[:need].reshape(n, rounds, self.size)
        for k, s in enumerate(order):
            self.gens[int(s)].random(out=self.window[k])
        self.row[:] = -1
        self.row[order] = np.arange(n)
        self.start, self.rounds = t, rounds

    def block(self, t: int, streams: NDArray[np.int64], in_order: bool) -> NDArray[np.float64]:
        """Round ``t``'s blocks of ``streams`` (rows of finished runs may get any stream's)."""
        if in_order:
            return self.window[: len(streams), t - self.start]
        return self.window[self.row[streams], t - self.start]

    def type_uniforms(self, actors: int) -> NDArray[np.float64]:
        """The type stream's draws of every stream: ``[streams, actors, 2]`` (cost, honesty).

        :func:`escalsim.core.streams.type_uniforms`, drawn once (a run and its twin share
        them). The round stream is untouched.
        """
        drawn = self._types.get(actors)
        if drawn is None:
            drawn = self._types[actors] = type_uniforms(self.seed, self.reps, actors)
        return drawn


def _unlogged(*_args: Any, **_fields: Any) -> None:
    """Log nothing (the other condition's channel events, read by the Shapley paths)."""


def _powers_at_start(p: Params) -> int | None:
    """The index in ``war.at_start`` of the powers' war under way at round 1, if any."""
    for k, sides in enumerate(p.at_start_sides):
        if {int(sides[0]), int(sides[1])} == {p.power_a, p.power_b}:
            return k
    return None


def _refuse_unsimulated(spec: Scenario, p: Params) -> None:
    """Refuse a run this version cannot simulate as the scenario means it.

    A war under way at round 1 in a condition whose first war ends the run would be over before
    it began: it needs ``war.ends_run: false`` in that condition (a run that needs it is refused,
    exit 2, never run without it).
    """
    if len(p.at_start_sides) and p.ends_run:
        raise ScenarioError(
            [
                Problem(
                    0,
                    0,
                    ("war", "at_start"),
                    "a war under way at round 1 needs war.ends_run: false in this condition "
                    "(where the first war ends the run, a run that starts at war would be over "
                    "before it began)",
                    source=spec.id,
                )
            ]
        )


def linked_pairs(sched: Schedule) -> list[tuple[int, int]]:
    """The ordered pairs (sender, receiver) a private channel joins in some round, sorted."""
    pairs = {pair for q in sched.params_at for pair in q.private_links}
    return sorted(pairs | {(j, i) for i, j in pairs})


class Crisis:
    """The state of a set of replications of one crisis, and the nine phases of a round.

    This is the model: every phase of a round is written once, here, over state arrays whose
    first axis is the replication (``[R, actors, ...]``), and both faces run it -- the
    ensembles (:func:`escalsim.batch.run_batch`, thousands of rows at once) and the mesa model
    (:class:`escalsim.agents.EscalationModel`, whose agents are views of one row).

    Parameters
    ----------
    spec : Scenario
        The scenario (a condition already applied).
    sched : Schedule
        Its compiled schedule (:func:`escalsim.core.params.schedule`).
    streams : Streams
        The random streams of the replications (shared with a twin's crisis).
    reps : numpy.ndarray
        The replication indices, one per row.
    detail : numpy.ndarray
        Rows whose timeseries and events are recorded.
    perfect_information : bool
        Every actor sees the truth (the twin).
    human_moves, human_messages : dict, optional
        For actors with the ``human`` policy: actor id -> moves (messages) by round, the same in
        every row; read as the rounds come, so a player may append to the lists between rounds.
    human_offers : dict, optional
        For powers with the ``human`` policy: actor id -> the player's standing offer chosen
        with each round's move (the share of the stakes offered to the other power, in
        [0, 1]; NaN: none, a withdrawal), posted in the next round's talks as any policy's
        offer (:meth:`_human_offer`).
    human_claims : dict, optional
        For powers with the ``human`` policy, where the powers exchange claims: actor id -> the
        cost of war the player claims with each round's move (NaN: none), sent in the next
        round's claims as the nearest cost of its grid (:meth:`_human_claim`), honest or not
        as the player chose.
    human_joins, human_mediations : dict, optional
        For third parties with the ``human`` policy (a team plays it): actor id -> by round,
        whether the player joins its patron's side (where it ``may_join``) or offers its
        mediation, opening its mediated channels (where it ``may_mediate``), chosen with that
        round's move and done in that round's phase 8 instead of the rule's
        (:meth:`third_parties`); past the end of a list, no. A third party not listed follows
        the rules.
    all_pairs : bool
        Perceive and update beliefs for every ordered pair of actors, not only the pairs that
        reach a decision, a metric or a frame (what the ensembles need): the mesa face shows a
        student every actor's view of every other. The outputs are the same either way.
    compact : bool
        Drop finished rows from the arrays now and then (the ensembles); the mesa face keeps
        its rows, which its agents view.
    solo : bool
        This crisis alone reads ``streams`` and draws its own blocks (the mesa face); in the
        ensembles, the chunk's driver draws for a run and its twin together.
    complete_information : bool
        The complete-information twin (docs/decision-v2.md §7): the perfect-information twin
        (``perfect_information`` must be true) in which each power's posterior is the point
        mass on the other's true joint type, never updated.
    paths : tuple of (Schedule, int), optional
        The Shapley paths (docs/decision-v2.md §8): the other condition of a pair, compiled,
        which must differ from ``sched`` only in channel state
        (:func:`escalsim.model.channels.beyond_channels`), and a switch set 0-7 (bit k: path
        ``bg.PATHS[k]`` reads the other condition's channel state). Default: none, every phase
        reads this condition's.

    Raises
    ------
    ValueError
        For a player's message that is not one of :data:`MESSAGE_CHOICES`, a player's offer
        outside [0, 1], or a negative claimed cost.
    """

    def __init__(
        self,
        spec: Scenario,
        sched: Schedule,
        streams: Streams,
        reps: NDArray[np.int64],
        detail: NDArray[np.bool_],
        perfect_information: bool,
        human_moves: dict[str, list[str]] | None = None,
        human_messages: dict[str, list[str]] | None = None,
        *,
        all_pairs: bool = False,
        compact: bool = True,
        solo: bool = False,
        complete_information: bool = False,
        paths: tuple[Schedule, int] | None = None,
        human_offers: dict[str, list[float]] | None = None,
        human_claims: dict[str, list[float]] | None = None,
        human_joins: dict[str, list[bool]] | None = None,
        human_mediations: dict[str, list[bool]] | None = None,
    ) -> None:
        p: Params = sched.params_at[0]
        self.spec, self.sched, self.params = spec, sched, p
        _refuse_unsimulated(spec, p)
        if complete_information and not perfect_information:
            raise ValueError("complete_information needs perfect_information (types known too)")
        self.perfect_information = perfect_information
        self.complete_information = complete_information
        self.human_moves = human_moves if human_moves is not None else {}
        self.human_messages = human_messages if human_messages is not None else {}
        for actor_id, said in self.human_messages.items():
            wrong = [m for m in said if m not in MESSAGE_CHOICES]
            if wrong:
                raise ValueError(
                    f"human_messages[{actor_id!r}]: {wrong[0]!r} is not a message; "
                    f"expected one of {', '.join(MESSAGE_CHOICES)}"
                )
        self.human_offers = human_offers if human_offers is not None else {}
        for actor_id, offered in self.human_offers.items():
            wrong_share = [o for o in offered if not (math.isnan(o) or 0.0 <= o <= 1.0)]
            if wrong_share:
                raise ValueError(
                    f"human_offers[{actor_id!r}]: {wrong_share[0]!r} is not a share of the "
                    "stakes; expected a number in [0, 1] or NaN (no offer)"
                )
        # A claim is a cost of war: any non-negative number, or NaN (say nothing).
        self.human_claims = human_claims if human_claims is not None else {}
        for actor_id, claimed in self.human_claims.items():
            wrong_claim = [c for c in claimed if not (math.isnan(c) or c >= 0.0)]
            if wrong_claim:
                raise ValueError(
                    f"human_claims[{actor_id!r}]: {wrong_claim[0]!r} is not a cost of war; "
                    "expected a number >= 0 or NaN (no claim)"
                )
        self.human_joins = human_joins if human_joins is not None else {}
        self.human_mediations = human_mediations if human_mediations is not None else {}
        self.compact, self.solo = compact, solo
        self.horizon = spec.run.rounds
        A, C, G = p.n_actors, p.n_channels, p.n_agenda  # noqa: N806 - sizes
        self.A, self.C, self.G = A, C, G
        # The block's layout (shared with the twin through the streams) and, over this crisis's
        # index space, where each slot it may read lies in the block: checked once, here.
        self.layout = streams.layout
        own = Structure.of_schedule(sched)
        self._at = self.layout.bind(own, p)
        # Actors that can decide in some round: the only ones whose moves use their draws.
        self.deciders = np.array([p.ids.index(a) for a in own.deciders], dtype=np.int64)
        self.reps = reps.copy()
        self.detail = detail.copy()
        # Some row is kept in detail (``detail.any()``, kept up to date where ``detail`` changes):
        # where none is, nothing is logged or recorded, and work done only for a record is not.
        self.logged = bool(self.detail.any())
        n = len(reps)
        self.streams = streams
        self.srow = np.arange(len(reps))  # each row's stream
        self.in_order = False  # rows are the window's first rows, in order (the lead run)
        self.detached = False  # a frozen copy of ended rows (:meth:`detach`), never stepped
        self.round = 0
        self._u: Draws | None = None  # the draws of a round under way
        # A war between the powers under way at round 1 (war.at_start): each side at its
        # intensity, the front where the scenario puts it (docs/pair-wars.md §6).
        start = _powers_at_start(p)
        initial = p.initial_rung.copy()
        if start is not None:
            initial[[p.power_a, p.power_b]] = p.at_start_intensity[start]
        rung0 = np.broadcast_to(initial, (n, A))
        self.rung = rung0.astype(np.int64).copy()
        self.apparent = self.rung.copy()
        self.incident = np.zeros((n, A), dtype=np.int64)
        self.intended_move = np.zeros((n, A), dtype=np.int64)
        # What each actor deliberately did last: its choice after friction, without
        # implementation error (the "true move" perfect information attributes correctly).
        self.deliberate_change = np.zeros((n, A), dtype=np.int64)
        self.last_move = np.zeros((n, A), dtype=np.int64)
        # Beliefs are [rep, holder, about]: actor i's view of j is at [:, i, j].
        self.perceived = np.broadcast_to(initial, (n, A, A)).astype(np.int64).copy()
        self.perceived_move = np.zeros((n, A, A), dtype=np.int64)
        # The truth of what was last perceived: the rungs and deliberate moves as they stood at
        # the last perception phase. The truth-based observation reads them, so that in the
        # talks phase (before this round's perception) the truth is as old as what is seen, and
        # a run without noise offers exactly what its perfect-information twin offers.
        self.rung_at_perception = self.rung.copy()
        self.move_at_perception = np.zeros((n, A), dtype=np.int64)
        self.committed = np.zeros((n, A), dtype=bool)
        self.cumulative_risk = np.zeros((n, A))
        self.adversary_resolve = np.full((n, A, A), np.nan)
        self.alignment_a = np.broadcast_to(p.alignment_a, (n, A)).astype(float).copy()
        self.joined = np.zeros((n, A), dtype=bool)
        #: What each LLM actor last said in this run: (twin, replication, actor) -> (round, text)
        #: (docs/llm.md; a run's own, so no other run, condition or twin hears it).
        self.llm_said: dict[tuple[bool, int, str], tuple[int, str]] = {}
        self.memory: list[tuple[NDArray[Any], ...]] = [
            tuple(np.full(n, m) for m in POLICIES[p.policies[i].name].initial_memory())
            for i in range(A)
        ]
        self.channel_open = np.broadcast_to(p.channel_open0, (n, C)).copy()
        self.channel_up = self.channel_open.copy()
        self.summits: list[tuple[int, int, float]] = []  # channel, end round, boost
        self.before_summit = np.zeros((n, C), dtype=bool)
        self.has_before: list[int] = []
        self.channel_paths = ChannelPaths(*paths, n) if paths is not None else None
        self.agreed = np.full((n, G), -1, dtype=np.int64)  # round reached; -1 not, -2 broken
        self.agreement_rungs = np.zeros((n, G, 2), dtype=np.int64)
        self.deconfliction_bonus = np.zeros((n, C))
        self.incident_factor = np.ones((n, A))
        self.red_lines_clear = np.zeros(n, dtype=bool)
        # Messages in flight, in a ring over the round they were sent (slot ``s % ring``): a
        # message is delivered at most ``max_latency`` rounds after it was sent, so a slot is
        # free again when it comes round. Arrival round (-1: none), the claim as sent and as
        # read, the resolve claimed. ``perceived_log`` keeps the moves perceived in the same
        # rounds, for checking a delayed claim against the deed it describes.
        # Only pairs joined by a private channel (in some round) ever exchange messages: the
        # message arrays hold those K ordered pairs (sender ``send[k]``, receiver ``recv[k]``)
        # in (sender, receiver) order, the order messages are sent and logged in.
        linked = linked_pairs(sched)
        self.send = np.array([i for i, _ in linked], dtype=np.int64)
        self.recv = np.array([j for _, j in linked], dtype=np.int64)
        # The linked pairs between the two powers, whose messages are claims about types where
        # the powers bargain (step 5c of docs/decision-v2.md §12).
        self.power_link = np.array(
            [{i, j} == {p.power_a, p.power_b} for i, j in linked], dtype=bool
        )
        # Version 1's messages go only where something reads them (docs/decision-v2.md §12, step
        # 6c): what they carry is the sender's resolve, read only as ``adversary_resolve``, the
        # resolve of the power a receiver faces; so a linked pair carries them where, in some
        # round, the sender is the receiver's adversary and the receiver's policy reads it (the
        # brinkmanship policy, and a player, who is shown everything).
        self.message_read = np.array(
            [
                any(
                    int(q.adversary[j]) == i
                    and "adversary_resolve" in POLICIES[q.policies[j].name].information
                    for q in sched.params_at
                )
                for i, j in linked
            ],
            dtype=bool,
        )
        # The observed pairs: every actor's view of each power, and each receiver's view of its
        # senders. Perceptions and beliefs of other pairs (a third party's view of another)
        # never reach a decision, a metric or a frame, so the ensembles do not compute them
        # (``all_pairs`` does). The block has no slots for them: the mesa face draws them from
        # the display stream, so the round stream stays in step either way.
        observed = sorted(
            {(a, b) for a in range(A) for b in range(A) if a != b and (all_pairs or p.is_power[b])}
            | {(b, a) for a, b in linked}
        )
        self.obs_i = np.array([a for a, _ in observed], dtype=np.int64)
        self.obs_j = np.array([b for _, b in observed], dtype=np.int64)
        in_block = self._at["noise"][self.obs_i, self.obs_j] >= 0
        self.obs_drawn = np.flatnonzero(in_block)
        self.obs_display = np.flatnonzero(~in_block)  # only with all_pairs (bind checked)
        self.display = (
            DisplayStreams(streams.seed, streams.reps, 2 * len(self.obs_display))
            if len(self.obs_display)
            else None
        )
        # Observed pairs a private channel may join: the only ones an incident can be explained
        # to (deconfliction).
        linked_set = set(linked)
        self.obs_linked = np.array(
            [k for k, pair in enumerate(observed) if pair in linked_set], dtype=np.int64
        )
        self.power_pairs = [
            k for k, (a, b) in enumerate(observed) if {a, b} == {p.power_a, p.power_b}
        ]
        self.diag = np.arange(A)
        K = len(linked)  # noqa: N806
        rounds = sched.params_at + (paths[0].params_at if paths is not None else [])
        self.max_latency = max(int(q.latency.max()) for q in rounds)
        ring = self.ring = self.max_latency + 1
        self.inbox_arrival = np.full((n, ring, K), -1, dtype=np.int32)
        self.inbox_sent = np.zeros((n, ring, K), dtype=bool)
        self.inbox_read = np.zeros((n, ring, K), dtype=bool)
        self.inbox_resolve = np.zeros((n, ring, K))
        # The receiver's perception of the sender's move in those rounds, per pair.
        self.perceived_log = np.zeros((n, ring, K), dtype=np.int8)
        # A prompt claim waiting to be checked in phase 5: -1 none, 0 hostile, 1 benign.
        self.last_claim = np.full((n, K), -1, dtype=np.int8)
        # A core agreement reached this round settles the crisis at its end; calm rounds count.
        self.pending_settlement = np.zeros(n, dtype=bool)
        self.settled_streak = np.zeros(n, dtype=np.int64)
        self.peak_rung = np.maximum(self.rung[:, p.power_a], self.rung[:, p.power_b])
        self.nuclear = np.zeros(n, dtype=bool)
        self.counts = {name: np.zeros(n, dtype=np.int64) for name in COUNTS}
        self.path = np.full((n, A, A), p.public, dtype=np.int64)
        # Per-replication results of runs that ended.
        self.ended = np.zeros(n, dtype=bool)
        # Ended and already summarised; dropped from the arrays at the next compaction. Until
        # then such a replication keeps stepping, unseen: it logs nothing, cannot end again,
        # and its outcome row was written when it ended. (Its state drifts meanwhile: a face
        # that shows rows, the mesa model, detaches ended rows and compacts them at once.)
        self.finished = np.zeros(n, dtype=bool)
        self.outcome_code = np.full(n, -1, dtype=np.int64)
        self.end_round = np.zeros(n, dtype=np.int64)
        self.war_cause = np.full(n, None, dtype=object)
        # Wars that last (``war.ends_run: false``; docs/pair-wars.md §3): whether the powers are
        # at war with each other (the one record: their rungs are at or above the war rung
        # exactly then), the front (``power_a``'s share of the stakes held: the status quo
        # until a war moves it), the round of the first onset (0: none), onsets, rounds of
        # battle, ceasefires, and whether a strategic exchange ended the run.
        self.at_war = np.full(n, start is not None)
        self.front = np.full(
            n, float(p.status_quo[0] if start is None else p.at_start_front[start, 0])
        )
        # The war's state and front when the other power last decided (its situation, §3.4).
        self.at_war_then = self.at_war.copy()
        self.front_then = self.front.copy()
        self.war_start = np.zeros(n, dtype=np.int64)
        self.war_onsets = np.zeros(n, dtype=np.int64)
        self.war_rounds = np.zeros(n, dtype=np.int64)
        self.ceasefires = np.zeros(n, dtype=np.int64)
        self.strategic = np.zeros(n, dtype=bool)
        # At the first nuclear step of a run: the stepping side's assumed chance of an exchange
        # before the horizon (NaN: none yet; docs/pair-wars.md §4, assumed and simulated risk).
        self.assumed_exchange = np.full(n, np.nan)
        # The listed pairs' wars (docs/pair-wars.md §5, §6): ``escalsim.model.pair_wars``.
        self.pair_war: NDArray[np.bool_]
        self.pair_front: NDArray[np.float64]
        self.pair_quo: NDArray[np.float64]
        self.pair_intensity: NDArray[np.int64]
        self.pair_peak: NDArray[np.int64]
        self.pair_rounds: NDArray[np.int64]
        self.pair_onsets: NDArray[np.int64]
        self.pair_start: NDArray[np.int64]
        self.pair_cause: NDArray[Any]
        self.pair_ceasefires: NDArray[np.int64]
        self.pair_intervened: NDArray[np.bool_]
        self.pair_surprise: NDArray[np.float64]
        self.spill_now: NDArray[np.bool_]
        self.spill_from_power: NDArray[np.bool_]
        self.spillovers: NDArray[np.int64]
        self.spillovers_explained: NDArray[np.int64]
        self.spillovers_misattributed: NDArray[np.int64]
        pair_wars.init(self, p, n)
        # The powers' crisis ended while the run goes on for its listed pairs: the first such
        # outcome's code, else -1 (``_end``).
        self.pending_outcome = np.full(n, -1, dtype=np.int64)
        self._done: list[dict[str, Any]] = []
        self._events: list[tuple[NDArray[np.int64], str, dict[str, Any]]] = []
        self._series: list[dict[str, Any]] = []
        self._capability: dict[int, NDArray[np.float64]] = {}
        self._kept_thirds: dict[int, tuple[Params, NDArray[np.int64]]] = {}  # _thirds
        # The round's chances of winning (``_win_probabilities``): (params, key, [R, 2]); each
        # power's war value and resolve at them (``_type_values``).
        self._wins: tuple[Params, tuple[int, int], NDArray[np.float64]] | None = None
        self._valued: dict[int, tuple[NDArray[np.float64], ...]] = {}
        self._draw_types(sched.params_at[0])
        self._moves_read = self._reads_moves()
        self.data_collection()

    # -- bookkeeping -------------------------------------------------------------------------
    _PER_REP: ClassVar[tuple[str, ...]] = (
        "reps",
        "detail",
        "rung",
        "apparent",
        "incident",
        "intended_move",
        "deliberate_change",
        "last_move",
        "perceived",
        "perceived_move",
        "perceived_log",
        "rung_at_perception",
        "move_at_perception",
        "last_claim",
        "committed",
        "cumulative_risk",
        "adversary_resolve",
        "alignment_a",
        "joined",
        "channel_open",
        "channel_up",
        "before_summit",
        "agreed",
        "agreement_rungs",
        "deconfliction_bonus",
        "incident_factor",
        "red_lines_clear",
        "inbox_arrival",
        "inbox_sent",
        "inbox_read",
        "inbox_resolve",
        "pending_settlement",
        "settled_streak",
        "peak_rung",
        "nuclear",
        "path",
        "ended",
        "outcome_code",
        "end_round",
        "war_cause",
        "at_war",
        "front",
        "at_war_then",
        "front_then",
        "war_start",
        "war_onsets",
        "war_rounds",
        "ceasefires",
        "strategic",
        "assumed_exchange",
        *pair_wars.STATE,
        "pending_outcome",
        "srow",
        "finished",
        "own_type",
        "war_cost",
        "posterior",
        "posterior_true",
        "other_rung_seen",
        "own_move_shown",
        "own_move_noise",
        "own_rung_then",
        "other_risk_then",
        "other_committed_then",
        "line_answered",
        "line_answered_then",
        "offer",
        "offer_read",
        "offer_read_true",
        "offer_read_sent",
        "offer_due",
        "offer_due_read",
        "offer_due_true",
        "public_demand",
        "settled_share",
        "offer_then",
        "offer_read_then",
        "public_demand_then",
        "claim_due",
        "claim_sent",
        "claim_read",
        "claim_lies",
        "claim_misread",
        "claim_lik",
        "claim_lik_true",
        "claim_got",
        "offer_due_types",
        "offer_due_mu",
        "offer_got",
    )

    def _retire(self) -> None:
        """Write the outcome rows of replications that ended this round; compact now and then.

        Compacting copies every state array, so it waits until a quarter of the working set
        has finished.
        """
        new = self.ended & ~self.finished
        if new.any():
            self._done.append(self._outcome_columns(new))
            self.finished |= new
            self.detail &= ~new
            self.logged = bool(self.detail.any())
        if self.compact and 4 * int(self.finished.sum()) >= len(self.reps):
            self._compact()

    def _compact(self) -> None:
        """Drop finished replications from the working set."""
        done = self.finished
        if not done.any():
            return
        keep = ~done
        self.in_order = False
        for name in self._PER_REP:
            setattr(self, name, getattr(self, name)[keep])
        self.logged = bool(self.detail.any())
        self.counts = {k: v[keep] for k, v in self.counts.items()}
        if self.channel_paths is not None:
            self.channel_paths = self.channel_paths.select(keep)
        self.memory = [tuple(m[keep] for m in mem) for mem in self.memory]
        self._capability = {k: v[keep] for k, v in self._capability.items()}
        self._wins, self._valued = None, {}

    def detach(self, rows: NDArray[np.bool_]) -> Crisis:
        """A copy of the state of ``rows``, frozen: it shares nothing with this crisis's arrays.

        The mesa face keeps the replications that ended this way (its agents show them as they
        were when the crisis ended) and compacts them out of the rows it steps on, because a
        finished row left in the arrays keeps being stepped (its state drifts, unseen, until the
        next compaction). The copy keeps the round's parameters and counters; it logs nothing
        and cannot be stepped.
        """
        frozen = copy.copy(self)
        for name in self._PER_REP:
            setattr(frozen, name, getattr(self, name)[rows].copy())
        frozen.counts = {k: v[rows].copy() for k, v in self.counts.items()}
        frozen.memory = [tuple(m[rows].copy() for m in mem) for mem in self.memory]
        frozen._capability = {k: v[rows].copy() for k, v in self._capability.items()}
        frozen._wins, frozen._valued = None, {}
        frozen.summits, frozen.has_before = list(self.summits), list(self.has_before)
        if self.channel_paths is not None:
            frozen.channel_paths = self.channel_paths.select(rows)
        frozen._done, frozen._events, frozen._series = [], [], []
        frozen._u, frozen.in_order, frozen.detached = None, False, True
        frozen.detail = np.zeros(len(frozen.reps), dtype=bool)
        frozen.logged = False
        return frozen

    def state_nbytes(self) -> int:
        """Bytes of the state arrays over the rows (what a replication costs, times R).

        Every array with a replication axis: the per-row state, the counters and the policies'
        memories (``experiment.limits`` measures this on a small crisis and scales it).
        """
        arrays = [getattr(self, name) for name in self._PER_REP]
        arrays += list(self.counts.values())
        arrays += [m for mem in self.memory for m in mem]
        return sum(int(a.nbytes) for a in arrays)

    @property
    def type_uniforms(self) -> NDArray[np.float64]:
        """Each row's draws from its replication's type stream: ``[R, 2, 2]``.

        Power A then power B, each its cost then its honesty draw (docs/decision-v2.md §3.3,
        §9): once per replication, from ``SeedSequence(seed, spawn_key=(r, 0))``, the same in
        every condition, twin, layout, chunk and process; :meth:`_draw_types` draws the powers'
        types from them when the crisis is built.
        """
        return self.streams.type_uniforms(2)[self.srow]

    def _draw_types(self, p: Params) -> None:
        """The powers' types and the posteriors over them (docs/decision-v2.md §3.3, §4).

        Per crisis, ``[P, K]`` with P = 2 (row 0 ``power_a``) and K = 2n joint types (cost of
        war, honest?), strategic first (:func:`escalsim.core.bargaining.joint_types`):
        ``type_grid`` (the costs), ``type_prior`` (the joint prior, normalised: the schema
        accepts weights that sum to 1 within 10⁻⁶) and ``type_honest``; a power with a shorter
        cost grid is padded with zero prior mass (``Params.cost_types``). Per row: ``own_type``
        (the drawn joint type's index, ``bg.draw_joint_type`` from the type stream's cost and
        honesty draws, :attr:`type_uniforms`) and ``war_cost`` (its cost), identical in every
        condition, twin and perfect-information run of a replication; ``posterior`` and
        ``posterior_true`` (``[R, P, K]``: power i's belief about the other power's type, on
        what it perceives and on the truth), each starting at the other's prior. The round-0
        priors hold throughout (``core.params.schedule``). In the complete-information twin
        each posterior is the point on the other's drawn type instead.
        """
        powers = np.array([p.power_a, p.power_b], dtype=np.int64)
        self.powers = powers
        self._dependent: dict[tuple[int, int], tuple[Params, bool]] = {}  # _type_dependent
        grid, honest, prior = zip(
            *(
                bg.joint_types(p.cost_types[k], p.cost_prior[k], float(p.honesty[i]))
                for k, i in enumerate(powers)
            ),
            strict=True,
        )
        self.type_grid = np.array(grid)
        self.type_honest = np.array(honest)
        weights = np.array(prior)
        self.type_prior = weights / weights.sum(axis=1, keepdims=True)
        # What each holder's posterior is redrawn from: the other power's prior.
        self.type_base = self.type_prior[::-1].copy()
        # Each base is a point mass that the redraw leaves as it is, to the bit
        # (``_move_update_fixed``): (1 - ε)·1 + ε·1 == 1 in floating point.
        base, redraw = self.type_base, bg.TYPE_REDRAW
        self._base_fixed = (
            bool(((base == 0.0) | (base == 1.0)).all() and (base.sum(axis=-1) == 1.0).all())
            and (1.0 - redraw) * 1.0 + redraw * 1.0 == 1.0
        )
        u = self.type_uniforms
        self.own_type = bg.draw_joint_type(
            p.cost_prior, p.honesty[powers], u[:, :, 0], u[:, :, 1]
        ).astype(np.int64)
        self.war_cost = np.take_along_axis(self.type_grid.T, self.own_type, axis=0)
        n = len(self.reps)
        self.posterior = np.broadcast_to(self.type_base, (n, *self.type_base.shape)).copy()
        if self.complete_information:
            # Types known too: each holder's belief is the point on the other's drawn type.
            self.posterior[...] = 0.0
            rows = np.arange(n)
            for h in range(2):
                self.posterior[rows, h, self.own_type[:, 1 - h]] = 1.0
        self.posterior_true = self.posterior.copy()
        # What the next update needs of the decision the other is about to make (set at the end
        # of phase 5, read in the next round's): the other's rung as the holder sees it (world
        # 0) and truly (world 1); the sign of the holder's own move the other has just seen, as
        # made (0) and as deliberate (1); the noise of the path it saw it through.
        rung0 = p.initial_rung[powers[::-1]]
        self.other_rung_seen = np.broadcast_to(rung0, (n, 2, 2)).astype(np.int64).copy()
        self.own_move_shown = np.zeros((n, 2, 2), dtype=np.int64)
        self.own_move_noise = np.zeros((n, 2))
        # The holder's own rung when the other decided (the other's situation, §3.4).
        self.own_rung_then = np.broadcast_to(p.initial_rung[powers], (n, 2)).astype(np.int64).copy()
        # The other's cumulative risk and commitment when it decided.
        self.other_risk_then = np.zeros((n, 2))
        self.other_committed_then = np.zeros((n, 2), dtype=bool)
        # Whether each power has answered the standing crossing of its red line (climbed since
        # it saw the other at or above it), and as it stood when the other power decided.
        self.line_answered = np.zeros((n, 2), dtype=bool)
        self.line_answered_then = np.zeros((n, 2), dtype=bool)
        self._init_offers(n)

    def _init_offers(self, n: int) -> None:
        """The state of offers (docs/decision-v2.md §3.6, §4), per row and power (0: ``power_a``).

        ``offer``: the standing offer to the other (the share offered; NaN: none).
        ``offer_read``: the other's offer as this power has read it, ``offer_read_true`` what
        its maker truly offered in it and ``offer_read_sent`` the round it was sent in (-1:
        none read yet). Offers in transit wait in a ring by the round sent, per maker:
        ``offer_due`` (the round it arrives, -1: none), ``offer_due_read``, ``offer_due_true``.
        Where offers are evidence about their maker's type (``offer_evidence``, §3.6), the ring
        also holds ``offer_due_types`` (``[R, ring, 2, 2, K]``: per maker, what each of its
        joint types would have offered as the other models it, perceived and true, NaN where
        not modelled), ``offer_due_mu`` (the read noise μ) and ``offer_got`` (delivered this
        round, folded in phase 5); without it their ring axis is empty.
        ``public_demand``: 1 - its last offer made in public (NaN: none), a commitment.
        ``settled_share``: ``power_a``'s share of the stakes in a settlement by an accepted
        offer (NaN: none). ``offer_then``: both powers' standing offers when the round's
        decisions were made (the other's situation in the next belief update, §3.4). Whether
        offers are made at all is fixed per crisis: ``bargaining``, some round's powers include
        a policy that opens the bargaining.
        """
        self.bargaining = any(q.opens_bargaining for q in self.sched.params_at)
        self.offer_settles = any(q.settles_by_offers for q in self.sched.params_at)
        # Claims about types replace version 1's messages between the powers (§3.5, step 5c)
        # where they bargain and neither power's policy reads what those messages inform (the
        # claimed resolve: brinkmanship), so that those policies keep version 1's messages. A
        # player is shown everything but decides what to claim (``human_claims``), so a
        # player's power does not keep them (step 10).
        self.claims = self.bargaining and not any(
            "adversary_resolve" in POLICIES[q.policies[int(i)].name].information
            for q in self.sched.params_at
            for i in self.powers
            if not POLICIES[q.policies[int(i)].name].needs_player
        )
        ring = self.ring
        self.offer = np.full((n, 2), np.nan)
        self.offer_read = np.full((n, 2), np.nan)
        self.offer_read_true = np.full((n, 2), np.nan)
        self.offer_read_sent = np.full((n, 2), -1, dtype=np.int64)
        self.offer_due = np.full((n, ring, 2), -1, dtype=np.int64)
        self.offer_due_read = np.full((n, ring, 2), np.nan)
        self.offer_due_true = np.full((n, ring, 2), np.nan)
        self.public_demand = np.full((n, 2), np.nan)
        self.settled_share = np.full(n, np.nan)
        self.offer_then = np.full((n, 2), np.nan)
        self.offer_read_then = np.full((n, 2), np.nan)
        self.public_demand_then = np.full((n, 2), np.nan)
        # Claims in transit (docs/decision-v2.md §3.5), per sender: the round each arrives (-1:
        # none), the claim sent and as read (a cost index of the sender's grid), which of the
        # sender's strategic types would lie (by their truthful claim) and the path's misread.
        c = self.type_grid.shape[1] // 2
        self.claim_due = np.full((n, ring, 2), -1, dtype=np.int64)
        self.claim_sent = np.zeros((n, ring, 2), dtype=np.int64)
        self.claim_read = np.zeros((n, ring, 2), dtype=np.int64)
        self.claim_lies = np.zeros((n, ring, 2, c), dtype=bool)
        self.claim_misread = np.zeros((n, ring, 2))
        # The likelihood of the claims each power received this round, over the other's joint
        # types (perceived, truth), applied with the move in phase 5 (one redraw a round).
        k = self.type_grid.shape[1]
        self.claim_lik = np.ones((n, 2, k))
        self.claim_lik_true = np.ones((n, 2, k))
        self.claim_got = np.zeros((n, 2), dtype=bool)
        # Offers are evidence about their maker's type (§3.6) where some round's maker offers
        # by a rule that reads its type, over a prior with more than one cost (not a player's).
        self.offer_evidence = self.bargaining and any(
            POLICIES[q.policies[int(i)].name].bargains and self._type_dependent(h, q)
            for q in self.sched.params_at
            for h, i in enumerate(self.powers)
        )
        typed = ring if self.offer_evidence else 0
        self.offer_due_types = np.full((n, typed, 2, 2, k), np.nan)
        self.offer_due_mu = np.zeros((n, typed, 2))
        self.offer_got = np.zeros((n, typed, 2), dtype=bool)

    def _log(self, mask: NDArray[np.bool_] | None, kind: str, **fields: Field) -> None:
        """Record an event for the replications in ``mask`` that are kept in detail.

        A field is a scalar, an array over the working set, or a function that gets the rows
        logged and returns their values (for strings that are costly to build for every run).
        """
        if not self.logged:  # no row kept in detail
            return
        rows = self.detail if mask is None else (mask & self.detail)
        if not rows.any():
            return
        idx = np.flatnonzero(rows)
        values: dict[str, Any] = {"round": self.round}
        for name, value in fields.items():
            if callable(value):
                values[name] = list(value(idx))
            elif isinstance(value, np.ndarray):
                values[name] = value[idx]
            else:
                values[name] = value
        self._events.append((self.reps[idx], kind, values))

    def _end(
        self, mask: NDArray[np.bool_], outcome: str, detail: Field = "", *, final: bool = False
    ) -> None:
        """End the runs in ``mask`` with ``outcome``, logged with ``detail``.

        Where the scenario lists pairs (``war.pairs``), the powers' crisis ending (a
        settlement, a ceasefire, a concession) does not end the run (docs/pair-wars.md §3.4):
        a pair at war fights on, and a pair at peace can still go to war (a settlement between
        the powers binds neither side of a pair: Fearon 1995's commitment problem). The first
        such outcome is kept as pending (logged once, as ``crisis_end``), the run goes on, and
        it ends with that outcome at the horizon (:meth:`_end_pending`), unless a war between
        the powers begins meanwhile (the crisis re-opened: the pending outcome is dropped). A
        strategic exchange and the horizon are ``final``.
        """
        mask = mask & ~self.ended
        if not mask.any():
            return
        if not final and self.pair_war.shape[1]:
            first = mask & (self.pending_outcome < 0)
            if first.any():
                at_war = self.pair_war.any(axis=1)
                code = OUTCOMES.index(outcome)
                self.pending_outcome = np.where(first, code, self.pending_outcome)
                self._log(
                    first,
                    "crisis_end",
                    detail=lambda idx: [
                        f"{outcome} while a pair is {'at war' if w else 'at peace'}"
                        for w in at_war[idx]
                    ],
                )
            return
        self.ended |= mask
        self.outcome_code[mask] = OUTCOMES.index(outcome)
        self.end_round[mask] = self.round
        if callable(detail):
            text: Field = lambda idx: [f"{outcome}: {d}" for d in detail(idx)]  # noqa: E731
        else:
            text = f"{outcome}: {detail}" if detail else outcome
        self._log(mask, "end", detail=text)

    def _end_pending(self, rows: NDArray[np.bool_]) -> None:
        """End, at the horizon, the runs in ``rows`` whose powers' crisis ended before it.

        Their kept outcome (``_end``) becomes the run's.
        """
        rows = rows & (self.pending_outcome >= 0) & ~self.ended
        for code in np.unique(self.pending_outcome[rows]):
            self._end(
                rows & (self.pending_outcome == code),
                OUTCOMES[int(code)],
                "the powers' crisis had ended; the pairs played to the horizon",
                final=True,
            )

    def data_collection(self) -> None:
        """Phase 9: a timeseries row per actor of the rows kept in detail.

        Events are logged as they happen, by the phases.
        """
        if not self.logged:
            return
        p = self.params
        idx = np.flatnonzero(self.detail)
        adv = p.adversary
        actors = np.arange(self.A)
        self._series.append(
            {
                "replication": np.repeat(self.reps[idx], self.A),
                "round": np.full(len(idx) * self.A, self.round, dtype=np.int64),
                "actor_index": np.tile(actors, len(idx)),
                "rung": self.rung[idx].ravel(),
                "apparent": self.apparent[idx].ravel(),
                "perceived_adversary": self.perceived[idx][:, actors, adv].ravel(),
                "trust": self._per_actor(self.trust()[idx]).ravel(),
                "posterior_mean_cost": self._posterior_mean_cost(idx).ravel(),
                "offer": self._per_actor(self.offer[idx]).ravel(),
                "offer_read": self._per_actor(self.offer_read[idx]).ravel(),
                "alignment_a": self.alignment_a[idx].ravel(),
                "committed": self.committed[idx].ravel(),
                "joined": self.joined[idx].ravel(),
            }
        )

    def _per_actor(self, per_power: NDArray[np.float64]) -> NDArray[np.float64]:
        """``[rows, actors]`` from ``[rows, 2]`` per power; NaN for the third parties."""
        out = np.full((len(per_power), self.A), np.nan)
        out[:, self.powers] = per_power
        return out

    def _posterior_mean_cost(self, idx: NDArray[np.int64]) -> NDArray[np.float64]:
        """``[rows, actors]``: each power's mean of the other's cost of war under its posterior.

        ``bg.posterior_mean`` of ``posterior`` over the other power's cost grid; NaN for a third
        party, which holds no posterior over types (part 2 of issue 17 gives them types).
        """
        return self._per_actor(bg.posterior_mean(self.posterior[idx], self.type_grid[::-1]))

    # -- lookups -------------------------------------------------------------------------------
    def _patron(self, k: int) -> NDArray[np.int64]:
        p = self.params
        return np.where(self.alignment_a[:, k] >= 0.5, p.power_a, p.power_b)

    def _side_capability(self, index: int) -> NDArray[np.float64]:
        """``EscalationModel.side_capability``; fixed from phase 1 to phase 7, so cached."""
        if index in self._capability:
            return self._capability[index]
        p = self.params
        total = np.full(len(self.reps), float(p.capability[index]))
        if p.is_power[index]:
            for k in range(self.A):
                if p.is_power[k]:
                    continue
                joined = self.joined[:, k] & (self._patron(k) == index)
                total = np.where(joined, total + float(p.capability[k]), total)
        self._capability[index] = total
        return total

    def _win_probabilities(self, q: Params | None = None) -> NDArray[np.float64]:
        """``[R, 2]``: each power's chance of winning a war this round (§3.1), ``power_a`` first.

        With ``q``, a later round's parameters: the chances with its capabilities and
        decisiveness, the third parties as they stand now.

        Side strength ``K_i = κ_i + Σ_k π_k κ_k`` (``bg.side_strength``): a third party that has
        joined i's side counts whole (π = 1), one that has joined the other side not at all, one
        that may join with ``may_join · a_k(i)``, its alignment share with i now (``alignment_a``
        for ``power_a``, ``1 − alignment_a`` for ``power_b``); then ``bg.win_probability`` with
        the round's decisiveness. At round 0 this is ``params.win_probabilities`` whenever each
        third party's alignments with the two powers sum to 1.
        """
        p = self.params if q is None else q
        n = len(self.reps)
        # Kept while their inputs stand (phases 1-7 of a round: as ``_side_capability``), and
        # from round to round without third parties, where they depend on ``p`` alone; read-only,
        # so that no reader can change the numbers kept.
        thirds = len(self._thirds(p)) > 0
        key = (self.round if thirds else -1, n)
        kept = self._wins
        if kept is not None and kept[0] is p and kept[1] == key:
            return kept[2]
        strengths = self._strengths(p)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            pa = bg.win_probability(strengths[0], strengths[1], p.decisiveness)
            pb = bg.win_probability(strengths[1], strengths[0], p.decisiveness)
        wins = _stack(pa, pb, axis=1)
        wins.flags.writeable = False
        self._wins = (p, key, wins)
        return wins

    def _strengths(self, p: Params) -> list[NDArray[np.float64]]:
        """Each power's side strength ``K_i`` ``[R]`` (:meth:`_win_probabilities`), a first."""
        thirds = self._thirds(p)
        strengths = []
        # Each third party's patron (:meth:`_patron`), all of them at once.
        now = self.params
        patrons = np.where(self.alignment_a[:, thirds] >= 0.5, now.power_a, now.power_b)
        for i in self.powers:
            if len(thirds):
                share = self.alignment_a[:, thirds]
                share = share if i == p.power_a else 1.0 - share
                joined = self.joined[:, thirds]
                mine = patrons == i
                may = np.asarray(p.may_join, dtype=float)[thirds] * share
                weight = np.where(joined, mine.astype(float), may)
                cap = np.asarray(p.capability, dtype=float)
                strengths.append(bg.side_strength(cap[i], cap[thirds], weight))
            else:
                strengths.append(np.full(len(self.reps), float(p.capability[i])))
        return strengths

    def _capability_shift(self, h: int, t: int) -> tuple[Any, float]:
        """Power h's chance of winning after the next scheduled change of power, and when.

        ``(p' [R], k)``: the first round ``t + k`` after round ``t`` (within the run) whose
        scheduled capabilities or decisiveness (``params_at``) differ from round t's, and power
        h's chance of winning with them (:meth:`_win_probabilities`). ``(NaN, NaN)`` without a
        commitment problem (``stakes.commitment_problem``) or without such a change: the
        observation's ``shift_win`` and ``shift_rounds`` (§3.9).
        """
        at = self.sched.params_at
        now = at[min(t, len(at) - 1)]
        if not now.commitment_problem:
            return math.nan, math.nan
        for s in range(t + 1, len(at)):
            q = at[s]
            if q.decisiveness != now.decisiveness or not np.array_equal(
                q.capability, now.capability
            ):
                return self._win_probabilities(q)[:, h], float(s - t)
        return math.nan, math.nan

    def _power_resolve(self, wins: NDArray[np.float64]) -> NDArray[np.float64]:
        """``[R, 2]``: each power's resolve, its drawn type's (§3.3), at the chances ``wins``.

        ``ρ = 1/(1 − (p − c))`` (``bg.resolve_from_values`` with the stakes worth 1 and the
        concession 0): the largest risk of war it runs rather than concede, at this round's
        chance of winning p and its drawn cost of war c; at round 0 the grid's resolve itself.
        """
        return np.asarray(bg.resolve_from_values(1.0, 0.0, wins - self.war_cost))

    def _pressure_on(self, index: int) -> NDArray[np.float64]:
        """Net third-party pressure on actor ``index``, per replication (0 on a third party)."""
        p = self.params
        if not p.is_power[index]:
            return np.zeros(len(self.reps))
        other = p.power_b if index == p.power_a else p.power_a
        column = 0 if index == p.power_a else 1
        total = np.zeros(len(self.reps))
        thirds = self._thirds(p)
        if not len(thirds):
            return total
        # Every third party's direction at once (elementwise: :meth:`_patron` of each), then
        # summed one third party at a time, in order, as the pressure always was.
        mine, theirs = self.perceived[:, thirds, index], self.perceived[:, thirds, other]
        patron = np.where(self.alignment_a[:, thirds] >= 0.5, p.power_a, p.power_b)
        direction = np.where(
            mine > theirs, 1.0, np.where((theirs > mine) & (patron == index), -1.0, 0.0)
        )
        for column_k, k in enumerate(thirds):
            total = total + float(p.influence[k, column]) * direction[:, column_k]
        return total

    def _thirds(self, p: Params) -> NDArray[np.int64]:
        """The third parties of round parameters ``p`` (their indices), kept per parameters."""
        kept = self._kept_thirds.get(id(p))
        if kept is None or kept[0] is not p:
            thirds = np.flatnonzero(~np.asarray(p.is_power, dtype=bool))
            thirds.flags.writeable = False
            kept = self._kept_thirds[id(p)] = (p, thirds)
        return kept[1]

    def _refresh_incident_factor(self) -> None:
        p = self.params
        factor = np.ones(len(self.reps))
        for g in range(self.G):
            factor = np.where(
                self.agreed[:, g] >= 0, factor * p.agreement_incident_factor[g], factor
            )
        self.incident_factor[:] = 1.0
        self.incident_factor[:, p.power_a] = factor
        self.incident_factor[:, p.power_b] = factor

    # -- the round -----------------------------------------------------------------------------
    @property
    def over(self) -> bool:
        """Every replication has ended."""
        return bool(self.finished.all()) or self.round >= self.horizon

    def step(self) -> None:
        """Run one round: :meth:`begin_round`, then :meth:`finish_round`."""
        self.begin_round()
        self.finish_round()

    def begin_round(self) -> None:
        """Phases 1-5 of the next round: up to the moment the actors decide.

        Seminar mode stops here, so that a player decides on the same information as a policy
        (what they perceive this round); :meth:`finish_round` runs phases 6-9.

        Raises
        ------
        RuntimeError
            When a round is already under way.
        """
        if self._u is not None:
            raise RuntimeError("begin_round: a round is under way (call finish_round first)")
        if self.detached:
            raise RuntimeError("begin_round: a detached crisis is a record; it is not stepped")
        self.round += 1
        t = self.round
        self.params = self.sched.params_at[t]
        if self.solo and self.streams.due(t):
            self.streams.refill(t, self.srow)
            self.in_order = True
        block = self.streams.block(t, self.srow, self.in_order)
        self._capability = {}
        self._wins = None if self._wins is None or self._wins[1][0] >= 0 else self._wins
        u = self._u = Draws(block, self._at)
        if self.channel_paths is not None:
            self.channel_paths.params = self.channel_paths.other.params_at[t]
        self.scheduled_events(t)
        self.accidents(u, t)
        self.talks_and_messages(u, t)
        with self._reading("perception"):
            self.perception(u, t)
            self.beliefs_and_trust()

    def finish_round(self) -> None:
        """Phases 6-9 of the round that :meth:`begin_round` started: decide, move, record.

        Raises
        ------
        RuntimeError
            When no round is under way.
        """
        u = self._u
        if u is None:
            raise RuntimeError("finish_round: no round under way (call begin_round first)")
        t = self.round
        move, deciding, cause = self.decisions(u, t)
        self._u = None
        alive = self.moves(move, deciding, cause, u)
        alive = pair_wars.play(self, alive, u)
        self.third_parties(alive)
        self.data_collection()
        if t >= self.horizon:
            live = ~self.ended
            self._end_pending(live)
            self._end(
                live & self.at_war, "war", "the powers still at war at the horizon", final=True
            )
            self._end(live, "unresolved", final=True)
        self._retire()

    # -- phase 1 -------------------------------------------------------------------------------
    def scheduled_events(self, t: int) -> None:
        """Phase 1: channels opened or closed, summits started or ended, scenario events.

        The round's parameters (``set`` and ``election`` events) were compiled once by
        :func:`escalsim.core.params.schedule`; :meth:`begin_round` takes ``params_at[t]``.
        Overlapping summits on one channel: the state before the first returns when the last
        ends. With the Shapley paths, the other condition's channel state follows its own
        channel and summit events (unlogged).
        """
        self._channel_events(self.sched, t, self._log)
        if self.channel_paths is not None:
            with self._reading(None):
                self._channel_events(self.channel_paths.other, t, _unlogged)
        for text in self.sched.descriptions.get(t, []):
            self._log(None, "scheduled", detail=text)

    def _channel_events(self, sched: Schedule, t: int, log: Any) -> None:
        """The channel and summit events of ``sched`` in round ``t``, logged with ``log``."""
        p = self.params
        ended = [s for s in self.summits if s[1] == t]
        self.summits = [s for s in self.summits if s[1] != t]
        for channel, _end, _boost in ended:
            if any(s[0] == channel for s in self.summits):
                continue  # another summit on this channel still runs
            if channel in self.has_before:
                self.has_before.remove(channel)
                self.channel_open[:, channel] = self.before_summit[:, channel]
                log(None, "summit_end", channel=p.channel_ids[channel])
        for channel, is_open in sched.channel_events.get(t, []):
            self.channel_open[:, channel] = is_open
            kind = "channel_open" if is_open else "channel_closed"
            log(None, kind, channel=p.channel_ids[channel])
        for channel, duration, boost in sched.summits.get(t, []):
            if channel not in self.has_before:
                self.has_before.append(channel)
                self.before_summit[:, channel] = self.channel_open[:, channel]
            self.summits.append((channel, t + duration, boost))
            self.channel_open[:, channel] = True
            log(None, "summit", channel=p.channel_ids[channel])

    def _reading(self, path: str | None) -> AbstractContextManager[None]:
        """The phases inside read path ``path``'s channel state (docs/decision-v2.md §8).

        Where the switch set sends ``path`` (one of ``bg.PATHS``; None: always) to the other
        condition, its channel state (:data:`ChannelPaths.STATE` and the round's parameters,
        which differ from this condition's only in channel values) is swapped into this
        crisis's attributes for the duration, and back after; otherwise nothing happens (a
        context that does nothing, made once).
        """
        other = self.channel_paths
        if other is None or (path is not None and not other.reads_other(path)):
            return _UNCHANGED
        return self._swapped(other)

    @contextmanager
    def _swapped(self, other: ChannelPaths) -> Iterator[None]:
        """Read the other condition's channel state for the duration (:meth:`_reading`)."""
        self._swap_channels(other)
        try:
            yield
        finally:
            self._swap_channels(other)

    def _swap_channels(self, other: ChannelPaths) -> None:
        for name in (*ChannelPaths.STATE, "params"):
            mine = getattr(self, name)
            setattr(self, name, getattr(other, name))
            setattr(other, name, mine)

    # -- phase 2 -------------------------------------------------------------------------------
    def accidents(self, u: Draws, t: int) -> None:
        """Phase 2: incidents make an actor's observable posture jump although it did not move."""
        p = self.params
        forced = dict(self.sched.incidents.get(t, []))
        # Every actor at once (elementwise per actor, so the same numbers as actor by actor);
        # an actor with a scheduled incident this round draws nothing.
        drawn = [i for i in range(self.A) if not forced.get(i, 0)]
        jump = np.zeros((len(self.reps), self.A), dtype=np.int64)
        if len(drawn) == self.A:
            jump[:] = dx.incident_occurs(
                p.incident_risk[self.rung],
                p.incident_scale,
                self.incident_factor,
                u.take("incident", np.arange(self.A)),
            )
        elif drawn:
            jump[:, drawn] = dx.incident_occurs(
                p.incident_risk[self.rung[:, drawn]],
                p.incident_scale,
                self.incident_factor[:, drawn],
                u.take("incident", np.array(drawn)),
            )
        for i in range(self.A):
            if forced.get(i, 0):
                jump[:, i] = forced[i]
        self.incident = np.minimum(jump, p.n_rungs - 1 - self.rung)
        self.apparent = self.rung + self.incident
        for i in range(self.A) if self.logged else ():  # the records, actor by actor
            self._log(
                jump[:, i] != 0,
                "incident",
                actor=p.ids[i],
                rung=self.apparent[:, i],
                cause="scheduled" if i in forced else "accident",
            )
        pair_wars.spillovers(self, u)

    # -- phase 3 -------------------------------------------------------------------------------
    def talks_and_messages(self, u: Draws, t: int) -> None:
        """Phase 3: channels are up or down, the powers talk, every actor sends its messages.

        Over the best private channel between the powers, agenda talks may yield agreements;
        each actor sends each actor it reaches privately one message, delivered after the
        channel's latency and received at once.
        """
        self._channels(u)
        if self.channel_paths is not None:
            with self._reading(None):
                self._channels(u)  # the same channel_up draws, the other condition's values
        with self._reading("messages_and_offers"):
            self._offers(u, t)
        with self._reading("agreements"):
            self._talks(u, t)
        with self._reading("messages_and_offers"):
            self._messages(u, t)

    def _channels(self, u: Draws) -> None:
        """Channels up with their reliability; each linked pair's path is its best one up.

        The public channel is always up (it draws nothing).
        """
        p = self.params
        private = np.flatnonzero(np.arange(self.C) != p.public)
        self.channel_up = np.ones((len(self.reps), self.C), dtype=bool)
        if len(private):  # else the public channel alone, always up
            self.channel_up[:, private] = dx.channel_up(
                self.channel_open[:, private], p.reliability[private], u.take("channel_up", private)
            )
        path = np.full((len(self.reps), self.A, self.A), p.public, dtype=np.int64)
        for (i, j), chans in p.private_links.items():
            best = np.full(len(self.reps), p.public, dtype=np.int64)
            for c in reversed(chans):
                best = np.where(self.channel_up[:, c], c, best)
            path[:, i, j] = best
            path[:, j, i] = best
        self.path = path

    def _offers(self, u: Draws, t: int) -> None:
        """Each power's policy posts or revises its standing offer (docs/decision-v2.md §3.6).

        Both post at once, each on what it knows at the start of the round
        (:meth:`observation`, perceived; the truth in the perfect-information twin), with
        :meth:`Policy.offer`. An offer that changed is sent to the other over their path (the
        best private channel up, else public statements) and read after the path's latency:
        over a private path exactly; in public with noise, ``ô = clip(o + μ(2u - 1), 0, 1)``
        with ``μ`` the public channel's ``misread`` and ``u`` the ``offer_read`` slot of the
        ordered pair (maker, reader), and it commits its maker: its public demand becomes
        ``1 - o`` (audience costs, Fearon 1994). The twin reads every offer exactly. What is
        read stands until a later-sent offer arrives (a withdrawal, NaN, included); what it says
        about its maker's type is folded in phase 5 (:meth:`_offer_evidence`). Runs only where
        some power's policy opens the bargaining (``bargaining``). A player's offer
        (``human_offers``, :meth:`_human_offer`) stands in for :meth:`Policy.offer`; the rest
        (sending, reading, commitment, delivery) is the same for every maker.
        """
        if not self.bargaining:
            return
        p = self.params
        if not p.talks_open:
            # Closed talks: nobody posts or revises; what stands or travels stays as it is.
            # Deliveries go on (a later ``set`` event may close talks already open).
            self.offer_due[:, t % self.ring, :] = -1
            self._deliver_offers(t)
            return
        made = []
        for i in self.powers:
            spec = p.policies[int(i)]
            policy = POLICIES[spec.name]
            if policy.needs_player:
                made.append(np.full(len(self.reps), self._human_offer(int(i), t)))
                continue
            if not policy.bargains:
                made.append(np.full(len(self.reps), np.nan))
                continue
            seen = self.observation(
                int(i), truth=self.perfect_information, pressure=self._pressure_on(int(i))
            )
            offered = policy.offer(seen, self._traits(int(i)), p, spec, self.memory[int(i)])
            made.append(np.broadcast_to(np.asarray(offered, dtype=float), (len(self.reps),)))
        slot = t % self.ring
        for h, i in enumerate(self.powers):
            j = int(self.powers[1 - h])
            new = np.where(self.ended, self.offer[:, h], made[h])
            changed = ~((new == self.offer[:, h]) | (np.isnan(new) & np.isnan(self.offer[:, h])))
            self.offer[:, h] = new
            path = self.path[:, i, j]
            public = path == p.public
            noisy = public & (not self.perfect_information)
            shift = p.misread[p.public] * (2.0 * u.take("offer_read", i, j) - 1.0)
            read = np.where(noisy, np.clip(new + shift, 0.0, 1.0), new)
            self.offer_due[:, slot, h] = np.where(changed, t + p.latency[path], -1)
            self.offer_due_read[:, slot, h] = read
            self.offer_due_true[:, slot, h] = new
            if self.offer_evidence:
                self.offer_due_mu[:, slot, h] = np.where(noisy, p.misread[p.public], 0.0)
            posted = changed & ~np.isnan(new)
            self.public_demand[:, h] = np.where(
                posted & public, 1.0 - new, self.public_demand[:, h]
            )
            self._log(
                posted,
                "offer",
                actor=p.ids[i],
                target=p.ids[j],
                channel=lambda idx, path=path: [p.channel_ids[c] for c in path[idx]],
                detail=lambda idx, o=new, r=read: [
                    f"offers {a:.3f} of the stakes" + (f", read as {b:.3f}" if b != a else "")
                    for a, b in zip(o[idx], r[idx], strict=True)
                ],
            )
        self._deliver_offers(t)

    def _deliver_offers(self, t: int) -> None:
        """Offers due in round ``t``, in the order sent: a later-sent one replaces one read."""
        for s in self._in_transit(t):
            k = s % self.ring
            for h in range(2):
                due = (self.offer_due[:, k, h] == t) & (s > self.offer_read_sent[:, 1 - h])
                self.offer_read[:, 1 - h] = np.where(
                    due, self.offer_due_read[:, k, h], self.offer_read[:, 1 - h]
                )
                self.offer_read_true[:, 1 - h] = np.where(
                    due, self.offer_due_true[:, k, h], self.offer_read_true[:, 1 - h]
                )
                self.offer_read_sent[:, 1 - h] = np.where(due, s, self.offer_read_sent[:, 1 - h])
                if self.offer_evidence:
                    self.offer_got[:, k, h] |= due

    def _in_transit(self, t: int) -> range:
        """The rounds whose messages, claims or offers may arrive in round ``t``, in sent order.

        The rings of things in transit hold ``max_latency + 1`` rounds.
        """
        return range(max(1, t - self.max_latency), t + 1)

    def _traits(self, i: int, q: Params | None = None) -> Actor:
        """Actor ``i``'s fixed traits as the policies read them (``q``: this round's params)."""
        p = self.params if q is None else q
        return Actor(
            index=i,
            resolve=float(p.resolve[i]),
            red_line=int(p.red_line[i]),
        )

    def _talks(self, u: Draws, t: int) -> None:
        if self.G == 0:  # nothing to talk about
            return
        p = self.params
        a, b = p.power_a, p.power_b
        talking = self.path[:, a, b] != p.public
        if not talking.any():
            return
        # A summit between the powers intensifies talks whichever channel carries them.
        has = np.zeros(len(self.reps), dtype=bool)
        top = np.full(len(self.reps), -np.inf)
        between = p.private_channels(a, b)
        for channel, _end, boost in self.summits:
            if channel in between:
                up = self.channel_up[:, channel]
                top = np.where(up, np.maximum(top, boost), top)
                has |= up
        boost_now = np.where(has, top, 1.0)
        trust = self.trust().mean(axis=1)
        share = 0.5 * (self.rung[:, a] + self.rung[:, b]) / (p.n_rungs - 1)
        for g in range(self.G):
            # Where an offer can settle, the core item is settled only by an accepted offer
            # (docs/decision-v2.md §5, phase 3); version 1's route stays where no offer can
            # settle (no power's policy opens the bargaining, or the other cannot accept).
            if p.agreement_base[g] == 0 or (self.offer_settles and p.agenda_core[g]):
                continue
            prob = dx.agreement_probability(p.agreement_base[g], trust, share, boost_now)
            hit = talking & (self.agreed[:, g] == -1) & (u.take("agreement", g) < prob)
            if hit.any():
                self._agree(g, hit, t)

    def _agree(self, g: int, hit: NDArray[np.bool_], t: int) -> None:
        p = self.params
        a, b = p.power_a, p.power_b
        self.agreed[hit, g] = t
        self.agreement_rungs[hit, g, 0] = self.rung[hit, a]
        self.agreement_rungs[hit, g, 1] = self.rung[hit, b]
        self.counts["agreements"] += hit
        self._word_evidence(hit, np.array([True, True]), float(p.agreement_trust[g]))
        self._refresh_incident_factor()
        for c in p.private_channels(a, b):
            bonus = self.deconfliction_bonus[:, c]
            self.deconfliction_bonus[:, c] = np.where(
                hit, bonus + p.agreement_deconfliction[g], bonus
            )
        if p.agreement_clarifies[g]:
            self.red_lines_clear |= hit
        self._log(hit, "agreement", detail=f"{p.agreement_kind[g]} on {p.agenda_ids[g]}")
        if p.agenda_core[g] and p.core_settles:
            self.pending_settlement |= hit

    def _messages(self, u: Draws, t: int) -> None:
        """Every actor tells each partner it reaches privately, and that reads it, its resolve.

        A message is sent over a linked pair's private path only where the receiver reads it
        (``message_read``: the sender is the power the receiver faces and the receiver's policy
        reads ``adversary_resolve``). It claims benign intent or not, and states a resolve. The
        truth is "benign" unless the sender's last deliberate move was a step up. An honest
        sender, one whose drawn honesty type (the type stream, once per replication) is honest,
        tells the truth and its drawn resolve; a strategic one claims to be benign and bluffs
        maximal resolve (Fearon 1995: the incentive to misrepresent). A player
        (``human_messages``) says what they chose instead: a reassurance claims benign intent
        with the actor's true resolve, a warning hostile intent and full resolve, honest exactly
        when the claim matches the last deliberate move; ``'none'`` sends nothing. A message is
        misread (its claim flipped) with the path's misread probability and arrives after the
        path's latency. The claim is checked against the deed it describes
        (:meth:`_check_word`, the outcome's ``signal_action_divergence``). Arrays are
        ``[rep, pair]`` over the linked pairs, in sender-then-receiver order.
        """
        p = self.params
        send, recv = self.send, self.recv
        if self.claims:
            self._claims(u, t)
        if len(send) == 0:
            return
        path = self.path[:, send, recv]
        sending = (path != p.public) & self.message_read  # public statements assure nothing
        if self.claims:  # between the powers, claims about types replace these messages
            sending = sending & ~self.power_link
        truth = self.deliberate_change[:, send] <= 0
        # A read message's sender is a power (the receiver's adversary): its honesty type.
        honest = np.zeros((len(self.reps), len(send)), dtype=bool)
        for h, i in enumerate(self.powers):
            honest[:, send == i] = self.type_honest[h][self.own_type[:, h]][:, None]
        sent = np.where(honest, truth, True)
        # An honest sender states its resolve: a power its drawn type's (docs/decision-v2.md §12,
        # step 5: an honest message states the drawn resolve), a third party its own.
        own = np.broadcast_to(p.resolve, (len(self.reps), self.A)).astype(float)
        own[:, self.powers] = self._power_resolve(self._win_probabilities())
        true_resolve = own[:, send]
        resolve = np.where(honest, true_resolve, 1.0)
        if self.human_messages:
            chosen = [self._human_message(int(i), t) for i in send]
            said = np.array([c is not None and c != "none" for c in chosen])
            silent = np.array([c == "none" for c in chosen])
            claim = np.array([c == "reassure" for c in chosen])
            sending = sending & ~silent
            sent = np.where(said, claim, sent)
            honest = np.where(said, claim == truth, honest)
            resolve = np.where(said, np.where(claim, true_resolve, 1.0), resolve)
        misread = u.take("misread", send, recv) < p.misread[path]
        read = np.where(misread, ~sent, sent)
        self.counts["messages_sent"] += sending.sum(axis=1)
        self.counts["messages_misread"] += (sending & misread).sum(axis=1)
        slot = t % self.ring
        self.inbox_arrival[:, slot] = np.where(sending, t + p.latency[path], -1)
        self.inbox_sent[:, slot] = sent
        self.inbox_read[:, slot] = read
        self.inbox_resolve[:, slot] = resolve
        if (self.detail[:, None] & sending).any():
            for k in range(len(send)):
                self._log_message(k, sending, path, read, misread, honest)
        for s in self._in_transit(t):
            due = self.inbox_arrival[:, s % self.ring] == t
            if due.any():
                self._receive(due, s, t)

    def _claims(self, u: Draws, t: int) -> None:
        """Each power claims a cost of war to the other over a private path (§3.5, step 5c).

        A claim is a cost type of the sender's grid. The sender's joint type (drawn once per
        replication) decides what it sends: an honest type its true cost; a strategic type the
        claim most favourable to it (the lowest cost its prior allows) when the lie pays
        (``bg.lie_pays``: ``gain > detection · reputation`` with the gain the rise in the offer
        the receiver would make if it believed the favourable claim rather than the true one,
        ``best_offer`` under the receiver's posterior updated at face value, one level; the
        reputation ``δ/(1 - δ) · gain``; detection ``1 - noise`` of the private path, where
        deeds are checked against words), else the truth. It is misread, as any other claim
        with equal probability, with the path's misread probability (the ``misread`` slot of
        the ordered pair; the perfect-information twin reads it as sent), and arrives after
        the path's latency; then the receiver's posterior over the sender's joint types is
        updated by ``bg.message_likelihood``, which knows which strategic types would lie, and
        its truth posterior on the claim as sent, in phase 5 together with the move
        (:meth:`_update_posteriors`: one Bayes step and one redraw a round). Public statements
        carry no claims: nothing checks them against a private record, so every strategic type
        would lie and only honest types inform (departure: not modelled; in public only offers
        speak, §3.6). A sender whose prior has a single cost claims nothing that could inform.
        A player (``human_claims``) sends the cost they chose instead of the rule's (the nearest
        cost its prior allows; none: nothing is sent); the receiver reads it as any claim, not
        knowing who chose it.
        """
        p = self.params
        n = len(self.reps)
        c = self.type_grid.shape[1] // 2
        slot = t % self.ring
        rows = np.arange(n)
        for h, i in enumerate(self.powers):
            j = int(self.powers[1 - h])
            costs = self.type_grid[h][:c]
            possible, favourable = self._claimable(h, c)
            if possible.sum() < 2:
                continue
            path = self.path[:, i, j]
            private = (path != p.public) & ~self.ended
            if not private.any():
                continue
            truthful = self.own_type[:, h] % c
            honest = self.type_honest[h][self.own_type[:, h]]
            lies = self._lie_incentive(h, path, favourable)
            lie = ~honest & lies[rows, truthful]
            sent = np.where(lie, favourable, truthful)
            chosen = self._human_claim(int(i), t, costs, possible)
            if chosen is not None:
                private &= chosen >= 0
                sent = np.full(n, max(chosen, 0), dtype=np.int64)
            mu = np.where(self.perfect_information, 0.0, p.misread[path])
            draw = u.take("misread", i, j)
            flip = draw < mu
            other = np.minimum(
                # Only where flipped (draw < mu, so the ratio is below 1): a tiny mu elsewhere
                # would overflow the cast (found by test_posteriors' generated scenarios).
                (np.divide(draw, mu, out=np.zeros(n), where=flip) * (c - 1)).astype(np.int64),
                c - 2,
            )
            read = np.where(flip, np.where(other >= sent, other + 1, other), sent)
            self.claim_due[:, slot, h] = np.where(private, t + p.latency[path], -1)
            self.claim_sent[:, slot, h] = sent
            self.claim_read[:, slot, h] = read
            self.claim_lies[:, slot, h] = lies
            self.claim_misread[:, slot, h] = mu
            self.counts["messages_sent"] += private
            self.counts["messages_misread"] += private & flip
            self._log(
                private,
                "claim",
                actor=p.ids[i],
                target=p.ids[j],
                channel=lambda idx, path=path: [p.channel_ids[x] for x in path[idx]],
                detail=lambda idx, s=sent, r=read, tr=truthful, costs=costs: [
                    f"claims a cost of war of {costs[a]:.3g}"
                    + ("" if a == b else f" (a lie: it is {costs[b]:.3g})")
                    + ("" if a == z else f", misread as {costs[z]:.3g}")
                    for a, b, z in zip(s[idx], tr[idx], r[idx], strict=True)
                ],
            )
        for s in self._in_transit(t):
            k = s % self.ring
            for h in range(2):
                due = self.claim_due[:, k, h] == t
                if due.any():
                    self._receive_claim(due, k, h, c)

    def _receive_claim(self, due: NDArray[np.bool_], k: int, h: int, c: int) -> None:
        """The other power updates its posteriors on sender ``h``'s claims arriving now."""
        grid = np.arange(self.type_grid.shape[1]) % c  # each joint type's truthful claim
        honest = self.type_honest[h]
        _, favourable = self._claimable(h, c)
        lies = self.claim_lies[:, k, h][:, grid]  # [R, K]: would this joint type lie?

        def likelihood(claim: NDArray[np.int64], mu: Any) -> NDArray[np.float64]:
            return bg.message_likelihood(claim, grid, honest, lies, favourable, mu, c)

        seen = likelihood(self.claim_read[:, k, h], self.claim_misread[:, k, h])
        sent = likelihood(self.claim_sent[:, k, h], 0.0)
        self._evidence(1 - h, due, seen, sent)
        self.counts["messages_delivered"] += due

    def _evidence(
        self,
        receiver: int,
        due: NDArray[np.bool_],
        seen: NDArray[np.float64],
        sent: NDArray[np.float64],
    ) -> None:
        """Power ``receiver`` got evidence about the other's type in rows ``due``.

        ``seen`` and ``sent`` are its likelihoods over the other's joint types ``[R, K]``, as
        read (the perceived posterior) and as sent (the truth); they multiply this round's
        likelihood, folded into the posteriors in phase 5 (:meth:`_fold_claims`).
        """
        mask = due[:, None]
        lik = self.claim_lik[:, receiver]
        self.claim_lik[:, receiver] = np.where(mask, lik * seen, lik)
        lik = self.claim_lik_true[:, receiver]
        self.claim_lik_true[:, receiver] = np.where(mask, lik * sent, lik)
        self.claim_got[:, receiver] |= due

    def _claimable(self, h: int, c: int) -> tuple[NDArray[np.bool_], int]:
        """The costs power h may have, and the claim most favourable to it.

        ``[C]``: prior mass, honest or strategic; the favourable claim is the lowest of those
        costs (its index).
        """
        prior = self.type_prior[h]
        possible = (prior[:c] + prior[c:]) > 0
        return possible, int(np.argmin(np.where(possible, self.type_grid[h][:c], np.inf)))

    def _lie_incentive(self, h: int, path: NDArray[np.int64], favourable: int) -> NDArray[np.bool_]:
        """``[R, C]``: whether power h, if strategic with truthful claim c, lies (§3.5).

        ``bg.lie_pays(gain, δ/(1 - δ) · gain, 1 - noise)`` with the gain the share the other
        would offer after believing the favourable claim minus after believing claim c, each
        by ``bg.best_offer`` against its posterior updated at face value (every type truthful:
        the sender does not model the receiver's inference about lying, one level). Only a
        receiver whose offers follow its beliefs (``bargaining``) gives a gain; against any
        other policy no lie gains anything, and every type tells the truth.
        """
        p = self.params
        n = len(self.reps)
        c = self.type_grid.shape[1] // 2
        j = int(self.powers[1 - h])
        spec = p.policies[j]
        if spec.name != Bargaining.name:
            return np.zeros((n, c), dtype=bool)
        policy = POLICIES[spec.name]
        assert isinstance(policy, Bargaining)
        delta = float(p.discount)
        detection = 1.0 - p.noise[path]
        # With the reputation δ/(1 - δ) · gain, lie_pays(gain, reputation, detection) holds
        # exactly when gain > 0 and detection · δ/(1 - δ) < 1: the offers are computed only for
        # the rows where a lie could pay (over a private path, a noise above 1 - (1 - δ)/δ).
        out = np.zeros((n, c), dtype=bool)
        rows = np.flatnonzero(detection * delta < 1.0 - delta)
        if not len(rows):
            return out
        seen = self.observation(j, truth=self.perfect_information, pressure=self._pressure_on(j))
        seen = Observation(
            **{f.name: _rows(getattr(seen, f.name), rows, n) for f in dataclasses.fields(seen)}
        )
        reservation, fallback = policy.reservations(seen, self._traits(j), p)
        grid = np.arange(self.type_grid.shape[1]) % c
        honest = np.ones(len(grid), dtype=bool)
        m = len(rows)
        face = bg.message_likelihood(
            np.broadcast_to(np.arange(c), (m, c)),
            grid,
            honest,
            False,
            favourable,
            p.misread[path[rows]][:, None],
            c,
        )  # [rows, C, K]
        believed = bg.bayes_types(
            self.posterior[rows, 1 - h][:, None, :], face, self.type_base[1 - h], redraw=0.0
        )
        offers = bg.best_offer(
            np.broadcast_to(reservation[:, None, :], believed.shape),
            np.broadcast_to(fallback[:, None], believed.shape[:-1]),
            believed,
        ).share  # [rows, C]
        gain = offers[:, favourable, None] - offers
        reputation = delta / (1.0 - delta) * gain
        out[rows] = bg.lie_pays(gain, reputation, detection[rows, None])
        return out

    def _human_offer(self, i: int, t: int) -> float:
        """The standing offer a player chose with their move of round ``t - 1`` (NaN: none).

        Chosen when they decided (after this round's perception, as a policy's offer of the
        next round is made on that perception) and posted in the next round's talks, as a
        message is sent. A standing offer stands: past the end of the list the last one
        chosen stands; before any, none.
        """
        offered = self.human_offers.get(self.params.ids[i], [])
        if not offered or t < 2:
            return math.nan
        return float(offered[min(t - 2, len(offered) - 1)])

    def _human_claim(
        self, i: int, t: int, costs: NDArray[np.float64], possible: NDArray[np.bool_]
    ) -> int | None:
        """The claim a player chose with their move of round ``t - 1``, as a cost index.

        The nearest of the costs its prior allows to the cost chosen (ties to the lower); -1
        when the player claims nothing (NaN, nothing chosen for that round, or no
        ``human_claims`` for it); None when ``i`` is not a player.
        """
        if not POLICIES[self.params.policies[i].name].needs_player:
            return None
        said = self.human_claims.get(self.params.ids[i], [])
        if not 0 <= t - 2 < len(said) or math.isnan(said[t - 2]):
            return -1
        distance = np.where(possible, np.abs(costs - said[t - 2]), np.inf)
        return int(np.argmin(distance))

    def _human_message(self, i: int, t: int) -> str | None:
        """The message a player chose with their move of round ``t - 1`` (None: not a player)."""
        said = self.human_messages.get(self.params.ids[i])
        if said is None:
            return None
        return said[t - 2] if 0 <= t - 2 < len(said) else "none"

    def _log_message(
        self,
        k: int,
        sending: NDArray[np.bool_],
        path: NDArray[np.int64],
        read: NDArray[np.bool_],
        misread: NDArray[np.bool_],
        honest: NDArray[np.bool_],
    ) -> None:
        p = self.params

        def text(idx: NDArray[np.int64]) -> list[str]:
            return [
                ("benign" if r else "hostile")
                + (", misread" if m else "")
                + ("" if h else ", dishonest")
                for r, m, h in zip(read[idx, k], misread[idx, k], honest[idx, k], strict=True)
            ]

        self._log(
            sending[:, k],
            "message",
            actor=p.ids[self.send[k]],
            target=p.ids[self.recv[k]],
            channel=lambda idx: [p.channel_ids[c] for c in path[idx, k]],
            detail=text,
        )

    def _receive(self, due: NDArray[np.bool_], s: int, t: int) -> None:
        """Apply the messages sent in round ``s`` that arrive now (``StateAgent.receive``).

        Beliefs are ``[rep, holder, about]``: the receiver's belief about the sender is at
        ``[:, recv, send]``.
        """
        slot = s % self.ring
        send, recv = self.send, self.recv
        sent = self.inbox_sent[:, slot]
        read = sent if self.perfect_information else self.inbox_read[:, slot]
        resolve = self.adversary_resolve[:, recv, send]
        self.adversary_resolve[:, recv, send] = np.where(due, self.inbox_resolve[:, slot], resolve)
        if s < t:
            self._check_word(due, read, self.perceived_log[:, slot])
        else:
            self.last_claim = np.where(due, read.astype(np.int8), self.last_claim)
        self.counts["messages_delivered"] += due.sum(axis=1)

    def _check_word(
        self, mask: NDArray[np.bool_], claim: NDArray[np.bool_], deed: NDArray[Any]
    ) -> None:
        """Words against deeds, for the linked pairs in ``mask`` ([rep, pair]).

        A claim of benign intent is contradicted when the receiver saw the sender step up. Only
        counted (the outcome's ``signal_action_divergence``): trust is the posterior's honest
        mass (:meth:`trust`), which these messages do not move.
        """
        consistent = ~(claim & (deed > 0))
        self.counts["claims_checked"] += mask.sum(axis=1)
        self.counts["claims_contradicted"] += (mask & ~consistent).sum(axis=1)

    # -- phase 4 -------------------------------------------------------------------------------
    def perception(self, u: Draws, t: int) -> None:
        """Phase 4: each actor observes others through the best path available.

        An observation is one rung off with the path's noise (:func:`dynamics.observe_rung`);
        another actor's incident seen over a private channel is explained with that channel's
        deconfliction probability (raised by agreements) and taken out of the perceived rung;
        a clarified red line is never misread, and neither is war
        (:func:`dynamics.war_not_misread`). With perfect information every observation is
        the truth: the true rung and the move the other intended. Computed for the observed
        pairs (``obs_i`` sees ``obs_j``); then the perception counters and misperceptions.
        """
        p = self.params
        i, j = self.obs_i, self.obs_j
        before = self.perceived[:, i, j]
        if self.perfect_information:
            seen = self.rung[:, j]
            move = np.sign(self.deliberate_change[:, j])
            pair_wars.count_explained(self, None)
        else:
            path = self.path[:, i, j]
            incident = self.incident[:, j]
            u_noise, u_dir = self._noise_draws(u)
            seen = dx.observe_rung(self.apparent[:, j], p.noise[path], u_noise, u_dir, p.n_rungs)
            # An incident can be explained only over a private channel: between linked pairs.
            explained = np.zeros(seen.shape, dtype=bool)
            lk = self.obs_linked
            if len(lk):
                on = path[:, lk]
                bonus = np.take_along_axis(self.deconfliction_bonus, on, axis=1)
                deconf = np.minimum(1.0, p.deconfliction[on] + bonus)
                u_deconf = u.take("deconfliction", i[lk], j[lk])
                explained[:, lk] = (incident[:, lk] > 0) & (on != p.public) & (u_deconf < deconf)
                seen = np.where(explained, np.maximum(seen - incident, 0), seen)
            pair_wars.count_explained(self, explained)
            if self.red_lines_clear.any():
                # A clarified red line: whether it is crossed is never misread.
                for k in self.power_pairs:
                    line = int(p.red_line[i[k]])
                    truth = self.rung[:, j[k]]
                    wrong = self.red_lines_clear & ((seen[:, k] >= line) != (truth >= line))
                    seen[:, k] = np.where(wrong, truth, seen[:, k])
            seen = dx.war_not_misread(seen, self.rung[:, j], p.war_rung)
            move = dx.perceived_move(seen, before)
        self.perceived[:, i, j] = seen
        self.perceived[:, self.diag, self.diag] = self.rung
        self.perceived_move[:, i, j] = move
        self.perceived_log[:, t % self.ring] = self.perceived_move[:, self.recv, self.send]
        self.rung_at_perception = self.rung.copy()
        self.move_at_perception = np.sign(self.deliberate_change)
        self._count_perception()

    def _noise_draws(self, u: Draws) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The perception noise and its direction of each observed pair: ``[R, pairs]`` each.

        From the round's block; the pairs only the mesa face computes and the block laid out by
        structure does not draw (a third party's view of another) from the display stream.
        """
        i, j = self.obs_i, self.obs_j
        if self.display is None:
            return u.take("noise", i, j), u.take("noise_direction", i, j)
        d, s = self.obs_drawn, self.obs_display
        noise = np.empty((len(self.reps), len(i)))
        direction = np.empty_like(noise)
        noise[:, d] = u.take("noise", i[d], j[d])
        direction[:, d] = u.take("noise_direction", i[d], j[d])
        shown = self.display.draw(self.srow)
        noise[:, s], direction[:, s] = shown[:, : len(s)], shown[:, len(s) :]
        return noise, direction

    def _count_perception(self) -> None:
        p = self.params
        # Every actor's view of its adversary at once (the counters are integers: the same sums
        # as actor by actor); the records actor by actor.
        actors, adv = np.arange(self.A), np.asarray(p.adversary, dtype=np.int64)
        decides = self.joined | np.asarray(p.is_power, dtype=bool)
        seen = self.perceived[:, actors, adv]
        truth = self.rung[:, adv]
        error = decides & (seen != truth)
        alarm = (
            decides
            & (self.perceived_move[:, actors, adv] > 0)
            & (self.deliberate_change[:, adv] <= 0)
        )
        self.counts["observations"] += decides.sum(axis=1)
        self.counts["perception_errors"] += error.sum(axis=1)
        self.counts["false_alarms"] += alarm.sum(axis=1)
        for i in range(self.A) if self.logged else ():
            j = int(p.adversary[i])
            self._log(
                error[:, i],
                "misperception",
                actor=p.ids[i],
                target=p.ids[j],
                rung=seen[:, i],
                detail=lambda idx, truth=truth[:, i]: [f"true rung {v}" for v in truth[idx]],
            )

    # -- phase 5 -------------------------------------------------------------------------------
    def beliefs_and_trust(self) -> None:
        """Phase 5: each power's posterior over the other's types; words against deeds.

        Each power updates its posterior over the other's types on its move and on the claims
        and offers delivered (:meth:`_update_posteriors`); trust is its honest mass
        (:meth:`trust`). A prompt message's claim is checked against the deed it describes,
        perceived now (a delayed one was checked on arrival; :meth:`_check_word`).
        """
        has = self.last_claim >= 0
        if has.any():
            deed = self.perceived_move[:, self.recv, self.send]
            self._check_word(has, self.last_claim == 1, deed)
            self.last_claim = np.where(has, np.int8(-1), self.last_claim)
        self._update_posteriors()

    def move_choice(self, seen: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
        """P_j(m | θ, s): the other power's choice probabilities per type, as a holder models them.

        Shape broadcastable to ``[W, R, P, S, K, 3]``: world (perceived, truth; the truth only
        under perfect information), row, holder, what the other saw of the holder's move (down,
        hold, up), the other's joint type, its intended move (down, hold, up). docs/decision-v2.md
        §3.4: the other's policy (``Policy.choice_probabilities``) on its situation as the holder
        models it when it decided, one level deep (:meth:`_other_situation`), with ``war_cost``,
        ``war_value`` and ``resolve`` set to each type's. The six options become three moves:
        ``jump`` is up; ``accept`` (available only with an offer standing) would have ended the
        crisis, and so would a concession under ``endings.capitulation`` (else a concession is
        the move to rung 0 it makes: down, or a hold at the bottom): the crisis went on, so each
        move's probability is that of the move and of not ending it, ``P(m, not ended | θ)``,
        not renormalised: a type likely to have accepted is made less likely by the crisis
        going on (a type that would surely have accepted gets likelihood 0 before the floor η).

        A policy whose information names none of :data:`TYPE_FIELDS` chooses alike for every
        type, and so does any policy when the other's types with prior mass share one cost (point
        types: they differ only in honesty); a type-independent distribution cancels in Bayes'
        rule, so such a holder gets the uniform one without calling the policy (as in step 4),
        and so does a player's policy (not modelled, §6).

        ``seen``: what each holder believes the other saw of its move (``[W, R, P, 3]``,
        ``bg.attribution_weights``), by which the update weighs the moves seen. Where a holder's
        weights are one-hot in every world and row (naïve attribution, and the truth world),
        the policy is evaluated at the move seen alone and the other two moves keep the
        uniform 1/3, which the update multiplies by 0: the same likelihood to the bit, for a
        third of the work (issue 20).
        """
        informative = [self._type_dependent(1 - h) for h in range(2)]
        if not any(informative):
            return np.full((3, 1, 3), 1.0 / 3.0)
        worlds = [1] if self.perfect_information else [0, 1]
        n, k = len(self.reps), self.type_grid.shape[1]
        n_costs = k // 2
        out = np.full((len(worlds), n, 2, 3, k, 3), 1.0 / 3.0)
        for h in range(2):
            if not informative[h]:
                continue
            j = int(self.powers[1 - h])
            q = self.sched.params_at[self.round - 1]  # the round the other decided in
            spec = q.policies[j]
            policy = POLICIES[spec.name]
            # A joint type differs from its twin of the other honesty in no field of the
            # situation (honesty is read by no observation field, as in _offers_per_type):
            # the policy is evaluated once per cost of the grid and spread over the joint types.
            weights = None if seen is None else seen[:, :, h]  # [W, R, 3]
            one_hot = weights is not None and bool(
                ((weights == 0.0) | (weights == 1.0)).all() and (weights.sum(-1) == 1.0).all()
            )
            # [W, R]: the move seen
            picked = np.argmax(weights, axis=-1) if one_hot and weights is not None else None
            obs, shape = self._other_situation(
                h,
                worlds,
                self.type_grid[1 - h][:n_costs],
                None if picked is None else picked - 1,
            )
            memory = self._modelled_memory(j, shape)
            probs = policy.choice_probabilities(obs, self._traits(j, q), q, spec, memory)
            concede = probs[..., bg.CONCEDE_OPTION]
            x = np.asarray(obs.x)
            # A concession that would have ended the crisis was not made: conditioned out.
            kept = 0.0 if q.concessions else 1.0
            concede_down = kept * np.where(x > 0, concede, 0.0)
            concede_hold = kept * concede - concede_down
            # An acceptance would have ended the crisis (settled): conditioned out likewise.
            moves = np.stack(
                [
                    probs[..., 2] + concede_down,
                    probs[..., 3] + concede_hold,
                    probs[..., 4] + probs[..., 5],
                ],
                axis=-1,
            )
            # Not renormalised: the likelihood of a move is that of the move *and* of the crisis
            # going on, so a type likelier to have accepted or conceded is less likely now.
            if picked is not None:  # the move seen alone; the others stay 1/3, weighed by 0
                every = np.full((*moves.shape[:2], 3, *moves.shape[3:]), 1.0 / 3.0)
                np.put_along_axis(every, picked[:, :, None, None, None], moves, axis=2)
                moves = every
            out[:, :, h] = moves[..., np.arange(k) % n_costs, :]
        return out

    def _type_dependent(self, other: int, q: Params | None = None) -> bool:
        """Whether the other power (0: ``power_a``) may choose differently per type (§3.4).

        Under round ``q``'s policies (default: those of the round it last decided in): a policy
        that reads a type field (:data:`TYPE_FIELDS`), not a player's, and types with prior
        mass that differ in cost.
        """
        if q is None:
            q = self.sched.params_at[max(self.round - 1, 0)]
        # Fixed per round's parameters and crisis (its types): kept by the parameters' object.
        kept = self._dependent.get((other, id(q)))
        if kept is not None and kept[0] is q:
            return kept[1]
        policy = POLICIES[q.policies[int(self.powers[other])].name]
        if policy.needs_player or not set(policy.information) & set(TYPE_FIELDS):
            dependent = False
        else:
            costs = self.type_grid[other][self.type_prior[other] > 0]
            dependent = bool(np.ptp(costs) > 0)
        self._dependent[(other, id(q))] = (q, dependent)
        return dependent

    def _other_situation(
        self,
        h: int,
        worlds: list[int],
        costs: NDArray[np.float64] | None = None,
        seen_moves: NDArray[np.int64] | None = None,
    ) -> tuple[Observation, tuple[int, ...]]:
        """The other power's observation when it decided, as holder ``h`` models it (§3.4).

        Shape ``[W, R, S, K]``: per world (0 perceived, 1 truth), row, what it saw of the
        holder's move (``y_move`` −1, 0, +1), its joint type (:meth:`_modelled_situation`;
        ``costs``: the type axis over these costs instead). Its
        rung as the holder saw it then (the truth world: its true rung); the holder's rung as it
        saw it, given what it saw of the holder's move: the holder's rung then, off by the
        difference between the move seen and the move shown (made in the perceived world,
        deliberate in the truth), clipped to the ladder, so that under noisy attribution a
        move misread is also a rung misread (one rung, as perception errs, §3.4); its
        cumulative risk and commitment then, in the round it decided in. ``seen_moves``
        (``[W, R]``, −1, 0, +1): only that move seen per world and row (S = 1).
        """
        shown = self.own_move_shown[:, worlds, h].T  # [W, R]
        if seen_moves is None:
            seen: NDArray[np.int64] = np.arange(3) - 1
            y_move: NDArray[np.int64] = (np.arange(3) - 1)[:, None]
        else:  # one move seen per world and row: S = 1
            seen, y_move = seen_moves[:, :, None], seen_moves[:, :, None, None]
        y = np.clip(
            self.own_rung_then[None, :, h, None] + seen - shown[:, :, None],
            0,
            self.params.n_rungs - 1,
        )  # [W, R, S]
        obs = self._modelled_situation(
            h,
            worlds,
            x=self.other_rung_seen[:, worlds, h].T,
            y=y,
            y_move=y_move,
            risk=self.other_risk_then[:, h],
            committed=self.other_committed_then[:, h],
            decided=self.round - 1,
            costs=costs,
            war=(self.at_war_then, self.front_then),
        )
        return obs, np.shape(obs.war_cost)

    def _modelled_situation(
        self,
        h: int,
        worlds: list[int],
        *,
        x: NDArray[np.int64],
        y: NDArray[np.int64],
        y_move: Any,
        risk: NDArray[np.float64],
        committed: NDArray[np.bool_],
        decided: int,
        costs: NDArray[np.float64] | None = None,
        war: tuple[NDArray[np.bool_], NDArray[np.float64]] | None = None,
    ) -> Observation:
        """The other power's observation in round ``decided``, per type, as holder ``h`` models it.

        One level deep (§3.4, §3.6), shape ``[W, R, S, K]``: per world, row, what it saw of the
        holder's move (``y_move``, broadcast to ``[W, R, S, 1]``) and its joint type. Its rung ``x``
        (``[W, R]``: as the holder saw it, and true), the holder's rung ``y`` as it saw it (``[R]``:
        the holder's true rung, or ``[W, R, S]``: per world and move seen), its red line crossed by
        ``y``, its cumulative ``risk`` and ``committed``; its type's ``war_cost``, ``war_value``
        (§3.1, with this round's side strengths: an approximation when allies join between the two
        rounds) and ``resolve``; as its ``posterior`` its *prior* over the holder's types (the
        holder does not model the other's posterior); the offers and the public demand as they stood
        when it decided (those recorded at the end of the last phase 5, unchanged until this round's
        offers): its own offer, and the holder's offer as far as it had arrived, as the holder made
        it (the holder does not model the noise of the other's reading). The fields no
        type-dependent policy reads (its beliefs of version 1, its last move) are taken as they
        stand now; pressure is 0; the parameters are round ``decided``'s. ``costs``: the type axis
        over these costs instead of its joint types. ``war``: whether the powers were at war and
        ``power_a``'s front when it decided (docs/pair-wars.md §3.1; default: as they stand).
        """
        p = self.params
        q = self.sched.params_at[decided]
        j = int(self.powers[1 - h])
        n, k = len(self.reps), self.type_grid.shape[1]
        s = np.broadcast_shapes(np.shape(y_move), (1, 1, 1, 1))[2]
        types = self.type_grid[1 - h] if costs is None else costs
        shape = (len(worlds), n, s, len(types))

        def full(value: Any) -> NDArray[Any]:
            # np.broadcast_to(value, shape).copy(), without broadcast_to's Python overhead.
            value = np.asarray(value)
            out = np.empty(shape, dtype=value.dtype)
            out[...] = value
            return out

        def per_row(value: Any) -> NDArray[Any]:
            return full(np.asarray(value)[None, :, None, None])

        y_then = per_row(y) if np.ndim(y) == 1 else full(np.asarray(y)[..., None])
        cost = full(types)
        win = per_row(self._win_probabilities()[:, 1 - h])
        annuity = win - cost
        at_war, front_a = war if war is not None else (self.at_war, self.front)
        shift_win, shift_rounds = self._capability_shift(1 - h, decided)
        return Observation(
            round=decided,
            x=full(np.asarray(x)[:, :, None, None]),
            y=y_then,
            y_move=full(y_move),
            own_move=per_row(self.last_move[:, j]),
            trust=full(bg.honest_mass(self.type_base[1 - h], self.type_honest[h])),
            committed=per_row(committed),
            capability_ratio=per_row(
                self._side_capability(int(self.powers[h])) / self._side_capability(j)
            ),
            cumulative_risk=per_row(risk),
            adversary_resolve=per_row(self.adversary_resolve[:, j, self.powers[h]]),
            pressure=full(0.0),
            audience=full(float(dx.effective_audience_cost(q.audience_cost[j], q.domestic[j]))),
            posterior=np.broadcast_to(self.type_base[1 - h], (*shape, k)).copy(),
            offer_received=per_row(self.offer_read_then[:, 1 - h]),
            own_offer=per_row(self.offer_then[:, 1 - h]),
            public_demand=per_row(self.public_demand_then[:, 1 - h]),
            war_value=bg.war_value(win, cost, float(p.discount)),
            resolve=bg.resolve_from_values(1.0, 0.0, annuity),
            war_cost=cost,
            line_crossed=(y_then >= int(q.red_line[j]))
            & ~per_row(self.line_answered_then[:, 1 - h]),
            shift_win=per_row(shift_win) if np.ndim(shift_win) else shift_win,
            shift_rounds=shift_rounds,
            at_war=per_row(at_war),
            front=per_row(front_a if 1 - h == 0 else 1.0 - front_a),
            win=win,
        )

    def _modelled_memory(
        self, j: int, shape: tuple[int, ...], rows: Any = slice(None)
    ) -> tuple[NDArray[Any], ...]:
        """Actor j's policy memory broadcast over a modelled situation ``[W, R, S, K]``.

        ``rows``: the situation's rows, when it covers only some.
        """
        return tuple(
            np.broadcast_to(np.asarray(m)[rows][None, :, None, None], shape)
            if np.ndim(m) == 1
            else m
            for m in self.memory[j]
        )

    def _update_posteriors(self) -> None:
        """Each power's posterior over the other's joint types, on the other's move (§3.4).

        ``posterior`` on the move as perceived: the likelihood runs the other's choice
        probabilities (:meth:`move_choice`) through what the holder believes the other saw of
        its own move before deciding (``bg.attribution_weights``, naïve or noisy by
        the holder's ``attribution``, with the noise of the path it saw it through), the other's
        implementation error and friction of the round it moved in, with the ladder's ends at
        its rung as the holder saw it then (``bg.implementation_matrix``), and the path's noise
        and the other's rate of incidents the holder cannot explain this round
        (``bg.observation_matrix``, ``bg.incident_rate``), then the floor η and the redraw ε
        (``bg.update_on_move``). ``posterior_true`` on the other's deliberate move with no
        implementation error, noise or incident (friction stays: the deliberate move is the
        choice after friction) and the holder's own deliberate move as seen. Perfect
        information (the twin) perceives the truth: both are the truth update. The claims
        (§3.5) and offers (§3.6, :meth:`_offer_evidence`) delivered this round are folded in
        first (:meth:`_fold_claims`). Round 1 updates nothing on moves (nobody has moved yet);
        every round ends by recording what the next update needs of the decision about to be
        made. Elementwise over rows (a row's posterior does
        not depend on the others beside it).
        """
        p = self.params
        t = self.round
        ab = self.powers
        ba = ab[::-1]
        if self.complete_information:
            # Types known: nothing to learn; the evidence of the round is dropped unread.
            self.offer_got[...] = False
            self.claim_lik[...] = 1.0
            self.claim_lik_true[...] = 1.0
            self.claim_got[...] = False
        if self.offer_evidence and not self.complete_information:
            self._offer_evidence()
        if self.claim_got.any():
            self._fold_claims(redraw=t < 2)
        if t >= 2 and not self.complete_information and self._move_update_fixed():
            # The update would give back each posterior to the bit (``_move_update_fixed``):
            # fresh copies stand for its result, as the update's arrays are fresh.
            self.posterior_true = self.posterior_true.copy()
            self.posterior = self.posterior.copy()
        elif t >= 2 and not self.complete_information:
            if not self._moves_read:  # its context was not recorded (``_reads_moves``)
                raise RuntimeError("an update on moves where none was foreseen")
            q = self.sched.params_at[t - 1]  # the round the other decided and moved in
            zeros = np.zeros((len(self.reps), 2))
            # The truth: the deliberate move, seen exactly, made without error.
            worlds = [
                {
                    "prior": self.posterior_true,
                    "observed": np.sign(self.deliberate_change[:, ba]),
                    "own": self.own_move_shown[:, 1],
                    "own_noise": zeros,
                    "noisy": np.zeros(2, dtype=bool),
                    "rung": self.other_rung_seen[:, 1],
                    "error": 0.0,
                    "noise": zeros,
                    "incident": zeros,
                }
            ]
            if not self.perfect_information:
                path = self.path[:, ab, ba]
                # The other's incidents this round, at its rung as last seen, that the holder
                # cannot explain (only a private path explains, with its deconfliction, as in
                # Crisis.perception).
                bonus = np.take_along_axis(self.deconfliction_bonus, path, 1)
                deconf = np.minimum(1.0, p.deconfliction[path] + bonus)
                explained = np.where(path != p.public, deconf, 0.0)
                rung = self.other_rung_seen[:, 0]
                incident = bg.incident_rate(
                    p.incident_risk[rung], p.incident_scale, self.incident_factor[:, ba], explained
                )
                perceived = {
                    "prior": self.posterior,
                    "observed": self.perceived_move[:, ab, ba],
                    "own": self.own_move_shown[:, 0],
                    "own_noise": self.own_move_noise,
                    # Each holder's own attribution (its actor's, else the scenario's).
                    "noisy": np.array([p.attribution[int(i)] == "noisy" for i in ab]),
                    "rung": rung,
                    "error": q.implementation_error,
                    "noise": p.noise[path],
                    "incident": incident,
                }
                worlds.insert(0, perceived)

            def stacked(name: str) -> NDArray[Any]:
                return np.stack([np.asarray(w[name]) for w in worlds])

            rung_then = stacked("rung")
            seen = bg.attribution_weights(
                stacked("own"), stacked("own_noise"), stacked("noisy")[:, None, :]
            )
            updated = bg.update_on_move(
                stacked("prior"),
                self.type_base,
                self.move_choice(seen),
                seen,
                stacked("observed"),
                error=stacked("error")[:, None, None],
                noise=stacked("noise"),
                incident=stacked("incident"),
                friction=q.friction,
                at_bottom=rung_then == 0,
                at_top=rung_then == p.n_rungs - 1,
            )
            self.posterior_true = updated[-1]
            # Perfect information perceives the truth: its two beliefs are one.
            self.posterior = updated[-1].copy() if self.perfect_information else updated[0]
        if not self._moves_read:
            return  # no later update reads the context below (``_moves_read``)
        # The context of the decision the other makes this round, for the next update.
        own_made = np.sign(self.rung[:, ab] - self.other_rung_seen[:, 1, ::-1])
        self.own_move_shown = _stack(own_made, np.sign(self.deliberate_change[:, ab]), axis=1)
        self.own_move_noise = p.noise[self.path[:, ba, ab]]
        self.other_rung_seen = _stack(self.perceived[:, ab, ba], self.rung[:, ba], axis=1)
        self.own_rung_then = self.rung[:, ab].copy()
        self.at_war_then = self.at_war.copy()
        self.front_then = self.front.copy()
        self.other_risk_then = self.cumulative_risk[:, ba].copy()
        self.other_committed_then = self.committed[:, ba].copy()
        self.line_answered_then = self.line_answered.copy()
        self.offer_then = self.offer.copy()
        self.offer_read_then = self.offer_read_true.copy()
        self.public_demand_then = self.public_demand.copy()

    def _reads_moves(self) -> bool:
        """Whether an update on moves may ever run in this crisis, and read what it records.

        The context ``_update_posteriors`` records at the end of each round (``own_move_shown``,
        ``other_rung_seen``, ``offer_then`` and the others of the other's situation) is read only
        by the next round's update on moves (its general path, :meth:`move_choice`) and by the
        offers modelled as evidence (:meth:`_offers_per_type`, ``offer_evidence``). Neither runs
        in the complete-information twin, nor where, in every round, no holder models a
        type-dependent policy, each base prior is a point mass the redraw keeps
        (:meth:`_move_update_fixed`) and nothing else moves a posterior off it (no claims, no
        offers as evidence, no agenda whose agreements are evidence): every update is then
        skipped, so the context is never read, and not recorded.
        """
        if self.complete_information:
            return False
        informative = any(
            self._type_dependent(h, q) for q in self.sched.params_at for h in range(2)
        )
        moved = self.claims or self.offer_evidence or self.G > 0
        return informative or moved or not self._base_fixed

    def _move_update_fixed(self) -> bool:
        """Whether this round's update on moves would leave every posterior as it is, to the bit.

        So where the other's moves carry nothing about its type (:meth:`move_choice` gives the
        uniform distribution: no holder models a type-dependent policy) and every posterior is
        the point mass its base prior is (a known type: ipd-noise's powers). Then the likelihood
        is one positive number over the types (η > 0), Bayes' rule gives ``0·L/L = 0`` and
        ``1·L/L = 1`` exactly, and the redraw ``(1 - ε)·π + ε·π⁰`` with ``π = π⁰`` gives
        ``(1 - ε) + ε``, which is 1 in floating point (checked here, with ε itself):
        :func:`escalsim.core.bargaining.update_on_move` returns its prior. A shortcut where the
        update's work is a no-op, not another rule: ``tests/test_perf_engine.py`` pins it to the
        update's result.
        """
        if self._type_dependent(0) or self._type_dependent(1) or not self._base_fixed:
            return False
        base = self.type_base
        return bool((self.posterior_true == base).all() and (self.posterior == base).all())

    def _offer_evidence(self) -> None:
        """The offers delivered this round as evidence about their makers' types (§3.6).

        First the offers sent this round: where the maker's policy offers and reads its type
        (:meth:`_type_dependent` under this round's policies), what each of its joint types
        would have offered (:meth:`_offers_per_type`), kept in the offer ring for delivery.
        They are modelled here, in phase 5, not when posted in phase 3: the receiver's view of
        the maker's rung is then this round's perception (in phase 3 it is a round old), and
        the offers standing when the maker posted are still those recorded at the end of the
        last phase 5 (``offer_then``). Then each offer delivered this round (``offer_got``)
        gives the receiver ``bg.offer_likelihood`` over the maker's joint types with prior
        mass: as read with the public read noise μ (0 over a private path and in the
        perfect-information twin) for the perceived posterior, as sent (μ = 0) for the truth;
        where it varies over the types it is multiplied into the round's evidence
        (:meth:`_evidence`), folded with the claims (:meth:`_fold_claims`: one Bayes step and
        one redraw a round). An offer that every possible type would have made says nothing
        and folds nothing, so a rule-based maker's offers leave the posteriors as they are, to
        the bit. An offer that did not change is not sent again, and says nothing new.
        """
        t, p = self.round, self.params
        slot = t % self.ring
        worlds = [1] if self.perfect_information else [0, 1]
        self.offer_due_types[:, slot] = np.nan
        for h in range(2):
            policy = POLICIES[p.policies[int(self.powers[h])].name]
            posted = np.flatnonzero(self.offer_due[:, slot, h] >= 0)
            if len(posted) and policy.bargains and self._type_dependent(h, p):
                made = self._offers_per_type(h, worlds, posted)  # [W, posted, K]
                # Perceived, truth (the twin models the truth alone: both are the truth's).
                self.offer_due_types[posted, slot, h] = made[[0, -1]].transpose(1, 0, 2)
        possible = self.type_prior > 0
        for s in self._in_transit(t):
            k = s % self.ring
            for h in range(2):
                got = self.offer_got[:, k, h]
                if not got.any():
                    continue
                types = self.offer_due_types[:, k, h]
                seen = bg.offer_likelihood(
                    self.offer_due_read[:, k, h],
                    types[:, 0],
                    self.offer_due_mu[:, k, h],
                    possible[h],
                )
                sent = bg.offer_likelihood(
                    self.offer_due_true[:, k, h], types[:, 1], 0.0, possible[h]
                )
                varies = (np.ptp(seen[:, possible[h]], axis=-1) > 0) | (
                    np.ptp(sent[:, possible[h]], axis=-1) > 0
                )
                self._evidence(1 - h, got & varies, seen, sent)
        self.offer_got[...] = False

    def _offers_per_type(
        self, h: int, worlds: list[int], rows: NDArray[np.int64]
    ) -> NDArray[np.float64]:
        """``[W, rows, K]``: what power h would have offered this round per joint type (§3.6).

        Its policy's ``offers_per_type`` (``offer`` per type) on its situation when it posted,
        as the other power models it one level deep (:meth:`_modelled_situation`, as for its
        moves): its rung as the other sees it this round (the truth world: its true rung), the
        other's true rung, what it had seen of the other's last move, its cumulative risk and
        commitment, the offers standing when it posted; each type's cost, war value and
        resolve; its prior over the other as its posterior. A type's offer depends on its cost
        alone (no observation field carries honesty), so the policy is evaluated once per cost
        of the grid and spread over the joint types; only for the ``rows`` that posted an
        offer; and in the perceived world only where its situation differs from the truth's
        (its rung or what it saw, the builder's two inputs per world).
        """
        p = self.params
        i, j = int(self.powers[h]), int(self.powers[1 - h])
        spec = p.policies[i]
        policy = POLICIES[spec.name]
        n_costs = self.type_grid.shape[1] // 2
        x = np.stack([self.perceived[:, j, i], self.rung[:, i]])
        seen = self.own_move_shown[:, :, 1 - h].T

        def evaluate(world: int, at: NDArray[np.int64]) -> NDArray[np.float64]:
            whole = self._modelled_situation(
                1 - h,
                [world],
                x=x[[world]],
                y=self.rung[:, j],
                y_move=seen[[world], :, None, None],
                risk=self.cumulative_risk[:, i],
                committed=self.committed[:, i],
                decided=self.round,
                costs=self.type_grid[h][:n_costs],
            )
            picked: dict[str, Any] = {}
            for f in dataclasses.fields(whole):
                value = getattr(whole, f.name)
                picked[f.name] = value[:, at] if isinstance(value, np.ndarray) else value
            obs = Observation(**picked)
            shape = np.shape(obs.war_cost)
            memory = self._modelled_memory(i, shape, at)
            offers = policy.offers_per_type(obs, self._traits(i, p), p, spec, memory)
            per_cost = np.broadcast_to(np.asarray(offers, dtype=float), shape)[0, :, 0]
            return per_cost[:, np.arange(self.type_grid.shape[1]) % n_costs]

        truth = evaluate(1, rows)
        if worlds == [1]:
            return truth[None]
        perceived = truth.copy()
        differs = (x[0, rows] != x[1, rows]) | (seen[0, rows] != seen[1, rows])
        if differs.any():
            perceived[differs] = evaluate(0, rows[differs])
        return np.stack([perceived, truth])

    def _fold_claims(self, redraw: bool) -> None:
        """Bayes on the claims and offers received this round (§3.5, §3.6), before the move's.

        Each posterior times the evidence's likelihood, normalised; the move's update then applies
        the round's redraw ε. In round 1 nobody has moved: the redraw is applied here
        (``redraw``), so a claim's update is Bayes then the redraw either way, and a type the
        base prior allows stays at least ε times its base mass.
        """
        got = self.claim_got[:, :, None]

        def fold(post: NDArray[np.float64], lik: NDArray[np.float64]) -> NDArray[np.float64]:
            out = post * lik
            out = out / out.sum(axis=-1, keepdims=True)
            if redraw:
                out = (1.0 - bg.TYPE_REDRAW) * out + bg.TYPE_REDRAW * self.type_base[None]
            return np.where(got, out, post)

        self.posterior_true = fold(self.posterior_true, self.claim_lik_true)
        self.posterior = (
            self.posterior_true.copy()
            if self.perfect_information
            else fold(self.posterior, self.claim_lik)
        )
        self.claim_lik[...] = 1.0
        self.claim_lik_true[...] = 1.0
        self.claim_got[...] = False

    def trust(self) -> NDArray[np.float64]:
        """Each power's trust in the other, ``[rows, 2]`` (0: ``power_a``'s): one definition.

        Trust is a belief about the other's type (Kydd 2005): the posterior probability that
        the other is an honest type (``bg.honest_mass`` of the perceived posterior). It moves
        with the posterior: on claims, offers and moves (phase 5) and on agreements concluded
        and broken (:meth:`_word_evidence`). The agenda talks (``_talks``), the observation's
        ``trust`` and the outputs (``trust``, ``final_trust``) read it.
        """
        return np.stack(
            [bg.honest_mass(self.posterior[:, h], self.type_honest[1 - h]) for h in range(2)],
            axis=1,
        )

    def _word_evidence(self, rows: NDArray[np.bool_], about: NDArray[np.bool_], tau: float) -> None:
        """Agreements concluded or broken as evidence about honesty types (``bg.word_evidence``).

        In ``rows``, the holder of each posterior about a power marked in ``about`` (0:
        ``power_a``) folds in evidence of strength ``tau``: an agreement's ``effects.trust``
        about both, minus its ``breach_trust_cost`` about the power that broke it. Both
        posteriors (perceived and true) update: the event is seen as it is.
        """
        if tau == 0.0 or not rows.any():
            return
        for about_h in np.flatnonzero(about):
            h = 1 - int(about_h)  # the holder
            for state in (self.posterior, self.posterior_true):
                updated = bg.word_evidence(state[:, h], self.type_honest[about_h], tau)
                state[:, h] = np.where(rows[:, None], updated, state[:, h])

    # -- phase 6 -------------------------------------------------------------------------------
    def observation(self, i: int, truth: bool | None, pressure: Any) -> Observation:
        """What actor ``i`` knows now: perceived, true, or (``truth=None``) both, stacked.

        The truth uses the adversary's true rung and its true last deliberate move (incidents and
        implementation errors correctly attributed) as they stood when the actor last perceived
        it (``rung_at_perception``, ``move_at_perception``: in the decision phase the current
        ones; in the talks phase, before this round's perception, last round's, as old as what
        it sees), and beliefs updated on those truths.
        Resolve stays private even in the truth: perfect information is about postures, moves
        and accidents (DESIGN.md §2); only messages reveal it, in both evaluations alike.

        Stacked, the fields that differ between the two (the adversary's rung, its move and
        the belief) have shape ``[2, R]``, perceived first; the others ``[R]``. A policy is
        elementwise, so one call on the stack decides on both, with the same draws.
        """
        p = self.params
        j = int(p.adversary[i])
        true_y, true_move = self.rung_at_perception[:, j], self.move_at_perception[:, j]
        if truth:
            y, y_move = true_y, true_move
        elif truth is None:
            y = _stack(self.perceived[:, i, j], true_y)
            y_move = _stack(self.perceived_move[:, i, j], true_move)
        else:
            y, y_move = self.perceived[:, i, j], self.perceived_move[:, i, j]
        # Trust is a power's (the honest mass of its posterior); no third party's policy reads
        # it, and a third party holds no posterior: NaN.
        extra: dict[str, Any] = {}
        if not p.is_power[i]:
            trust = np.full(len(self.reps), np.nan)
        else:
            # The bargaining fields (docs/decision-v2.md §3.1, §3.3, §3.4, §3.6, §3.7): the
            # posterior (the truth's in the truth), the offers (the other's as read; in the
            # truth, what its maker offered in it), the public demand, the drawn type as cost,
            # war value and resolve, and the red line crossed. Third parties keep the defaults.
            h = 0 if i == p.power_a else 1
            wins = self._win_probabilities()
            win = wins[:, h]
            cost = self.war_cost[:, h]
            war_value, resolve = self._type_values(h, wins)
            if truth:
                posterior = self.posterior_true[:, h]
                received = self.offer_read_true[:, h]
            elif truth is None:
                posterior = _stack(self.posterior[:, h], self.posterior_true[:, h])
                received = _stack(self.offer_read[:, h], self.offer_read_true[:, h])
            else:
                posterior = self.posterior[:, h]
                received = self.offer_read[:, h]
            front = self.front if h == 0 else 1.0 - self.front
            extra = {
                "offer_received": received,
                "own_offer": self.offer[:, h],
                "public_demand": self.public_demand[:, h],
                "posterior": posterior,
                "war_value": war_value,
                "at_war": self.at_war,
                "front": front,
                "win": win,
                "war_cost": cost,
                "resolve": resolve,
                # Crossed and not yet answered (a climb since it was seen): not answering
                # costs the audience cost once per crossing, not every round it stands.
                "line_crossed": (np.asarray(y) >= int(p.red_line[i])) & ~self.line_answered[:, h],
            }
            extra["shift_win"], extra["shift_rounds"] = self._capability_shift(h, self.round)
            # Column h of ``trust()`` (elementwise over the powers: the same numbers).
            trust = bg.honest_mass(self.posterior[:, h], self.type_honest[1 - h])
        return Observation(
            **extra,
            round=self.round,
            x=self.rung[:, i],
            y=y,
            y_move=y_move,
            own_move=self.last_move[:, i],
            trust=trust,
            committed=self.committed[:, i],
            capability_ratio=self._side_capability(j) / self._side_capability(i),
            cumulative_risk=self.cumulative_risk[:, i],
            adversary_resolve=self.adversary_resolve[:, i, j],
            pressure=pressure,
            audience=float(dx.effective_audience_cost(p.audience_cost[i], p.domestic[i])),
        )

    def _type_values(
        self, h: int, wins: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Power h's drawn type's war value and resolve at the chances ``wins`` (``[R]`` each).

        ``bg.war_value`` of its chance and cost with this round's discount, and column h of
        :meth:`_power_resolve` (elementwise over the powers: the same numbers). Kept, read-only,
        while ``wins`` is the array the chances are kept in (``_win_probabilities``: the same
        round's parameters, and so the same discount).
        """
        kept = self._valued.get(h)
        if kept is not None and kept[0] is wins:
            return kept[1], kept[2]
        cost = self.war_cost[:, h]
        value = np.asarray(bg.war_value(wins[:, h], cost, float(self.params.discount)))
        resolve = np.asarray(bg.resolve_from_values(1.0, 0.0, wins[:, h] - cost))
        value.flags.writeable = resolve.flags.writeable = False
        self._valued[h] = (wins, value, resolve)
        return value, resolve

    def _raises(self, rung: NDArray[np.int64], move: NDArray[np.int64]) -> NDArray[np.bool_]:
        p = self.params
        return dx.target_rung(rung, move, p.jump, p.n_rungs) > rung

    def decisions(
        self, u: Draws, t: int
    ) -> tuple[NDArray[np.int64], NDArray[np.bool_], NDArray[np.int64]]:
        """Phase 6: each deciding actor's policy chooses, on what it perceives and on the truth.

        Both evaluations use the same draw; where they differ the actor miscalculated. A step up
        is attributed to miscalculation, to third-party pressure (a policy that reads its
        patrons' pressure and would not have climbed without it; any climb of a third party),
        or else to deliberate choice.

        Returns
        -------
        move, deciding, cause : numpy.ndarray
            ``[R, actors]``: the move chosen, whether the actor decides, the cause code.
        """
        p = self.params
        n = len(self.reps)
        moves = np.zeros((n, self.A), dtype=np.int64)
        deciding = np.zeros((n, self.A), dtype=bool)
        causes = np.zeros((n, self.A), dtype=np.int64)
        for i in range(self.A):
            decides = self.joined[:, i] | bool(p.is_power[i])
            if not decides.any():
                continue
            spec = p.policies[i]
            policy = POLICIES[spec.name]
            x = self.rung[:, i]
            pressure = self._pressure_on(i)
            if policy.needs_player:
                move = np.full(n, self._human_move(i, t))
                truth_move = move
            else:
                traits = self._traits(i)
                draw = u.take("choice", i)
                if self.perfect_information:
                    # The twin sees the truth: its choice is the truth-based one.
                    seen = self.observation(i, truth=True, pressure=pressure)
                    with self._briefed(policy, i):
                        chosen, memory = policy.decide(seen, traits, p, spec, self.memory[i], draw)
                    move = np.broadcast_to(chosen, (n,)).astype(np.int64)
                    truth_move = move
                else:
                    both = self.observation(i, truth=None, pressure=pressure)
                    with self._briefed(policy, i):
                        chosen, memory = policy.decide(both, traits, p, spec, self.memory[i], draw)
                    chosen = np.broadcast_to(chosen, (2, n)).astype(np.int64)
                    move, truth_move = chosen[0], chosen[1]
                    memory = tuple(np.broadcast_to(m, (2, n))[0] for m in memory)
                self.memory[i] = tuple(
                    np.where(decides, new, old)
                    for new, old in zip(memory, self.memory[i], strict=True)
                )
            # Both moves' raises in one call (elementwise: the same answers as two calls).
            raises, truth_raises = self._raises(x, _stack(move, truth_move))
            miscalc = decides & (move != truth_move)
            self.counts["decisions"] += decides
            self.counts["miscalculations"] += miscalc
            cause = np.full(n, DELIBERATE)
            wrong = raises & ~truth_raises
            cause[wrong] = MISCALCULATED
            self.counts["miscalculated_escalations"] += decides & wrong
            rest = raises & ~wrong
            if not p.is_power[i]:
                cause[rest] = THIRD_PARTY
            elif "pressure" in policy.information and not policy.needs_player:
                # A policy that reads its patrons' pressure: was the climb theirs?
                pushed = np.flatnonzero(rest & (np.asarray(pressure) != 0))
                if len(pushed):
                    # Would it have climbed without the pressure? Asked only where it matters
                    # (the policy is elementwise, so a subset gives the same answers).
                    seen = self.observation(i, truth=self.perfect_information, pressure=0.0)
                    calm = Observation(
                        **{
                            f.name: _rows(getattr(seen, f.name), pushed, n)
                            for f in dataclasses.fields(seen)
                        }
                    )
                    memory_now = tuple(m[pushed] for m in self.memory[i])
                    with self._briefed(policy, i, pushed, "calm"):
                        calm_move, _ = policy.decide(
                            calm, traits, p, spec, memory_now, draw[pushed]
                        )
                    calm_move = np.broadcast_to(calm_move, (len(pushed),))
                    cause[pushed[~self._raises(x[pushed], calm_move)]] = THIRD_PARTY
            self._log(
                miscalc,
                "miscalculation",
                actor=p.ids[i],
                move=lambda idx, move=move: _move_names(move[idx]),
                detail=lambda idx, tm=truth_move: [
                    f"with perfect information: {name}" for name in _move_names(tm[idx])
                ],
            )
            moves[:, i] = move
            deciding[:, i] = decides
            causes[:, i] = cause
        return moves, deciding, causes

    def _briefed(
        self, policy: Any, i: int, rows: NDArray[np.int64] | None = None, phase: str = "decide"
    ) -> AbstractContextManager[None]:
        """Brief a :attr:`Policy.briefed` policy (``llm``) on actor ``i``'s decision.

        Other policies are not touched (a context that does nothing, made once). ``rows``: the
        working set's rows the call decides for (default: all).
        """
        if not policy.briefed:
            return _UNCHANGED
        return self._briefing(i, rows, phase)

    @contextmanager
    def _briefing(self, i: int, rows: NDArray[np.int64] | None, phase: str) -> Iterator[None]:
        """The briefing of :meth:`_briefed`, for the duration."""
        n = len(self.reps)
        idx = np.arange(n) if rows is None else np.asarray(rows)
        p = self.params
        j = int(p.adversary[i])

        def log(sub: NDArray[np.int64], kind: str, fields: dict[str, Any]) -> None:
            at = idx[np.asarray(sub, dtype=np.int64)]
            mask = np.zeros(n, dtype=bool)
            mask[at] = True
            columns: dict[str, Any] = {}
            for name, values in fields.items():
                column = np.empty(n, dtype=object)
                column[at] = list(values)
                columns[name] = column
            self._log(mask, kind, **columns)

        token = BRIEFING.set(
            Briefing(
                scenario=self.spec,
                actor=p.ids[i],
                replications=self.reps[idx],
                twin=self.perfect_information,
                phase=phase,
                private=(self.path[:, i, j] != p.public)[idx],
                log=log,
                seed=int(self.streams.seed),
                said=self.llm_said,
            )
        )
        try:
            yield
        finally:
            BRIEFING.reset(token)

    def _human_move(self, i: int, t: int) -> int:
        actor_id = self.params.ids[i]
        moves = self.human_moves.get(actor_id, [])
        if t > len(moves):
            raise HumanMoveRequiredError(f"round {t}: no move given for {actor_id} (policy human)")
        return dx.MOVE_CODES[moves[t - 1]]

    # -- phase 7 -------------------------------------------------------------------------------
    def moves(
        self,
        move: NDArray[np.int64],
        deciding: NDArray[np.bool_],
        cause: NDArray[np.int64],
        u: Draws,
    ) -> NDArray[np.bool_]:
        """Phase 7: implementation errors and friction, every move at once, then the endings.

        A concession ends the crisis at once (both conceding: a settlement); otherwise war comes
        at the war rung or by the brinkmanship risk of the rungs held, and a core agreement or a
        streak of calm rounds settles it (none is calm while a power's red line stands
        crossed). Agreements broken by the moves are found after all moves apply. Returns the
        replications still running.
        """
        p = self.params
        a, b = p.power_a, p.power_b
        rung = self.rung
        # Over the actors that can decide (the others' moves are holds, masked below).
        d = self.deciders
        u_fric = u.take("friction", d)
        x, chosen = rung[:, d], move[:, d]
        # What it deliberately did: its choice after friction, without implementation error.
        dchange = np.zeros_like(rung)
        deliberate = dx.friction(chosen, u_fric, p.friction)
        dchange[:, d] = dx.target_rung(x, deliberate, p.jump, p.n_rungs) - x
        made = move.copy()
        made_d = dx.implementation_error(
            chosen,
            x,
            u.take("implementation", d),
            p.implementation_error,
            u.take("direction", d),
            p.n_rungs,
        )
        cause = cause.copy()
        cause[:, d] = np.where(made_d != chosen, ACCIDENT, cause[:, d])
        made[:, d] = dx.friction(made_d, u_fric, p.friction)
        self.intended_move = np.where(deciding, move, dx.HOLD)
        self.deliberate_change = np.where(deciding, dchange, 0)
        self.last_move = np.where(deciding, made, dx.HOLD)
        conceded = deciding & (made == dx.CONCEDE)
        before = rung
        self.rung = np.where(
            deciding, dx.target_rung(rung, self.last_move, p.jump, p.n_rungs), rung
        )
        lasting = not p.ends_run and p.war_rung is not None
        if lasting:
            intent = dx.target_rung(rung, np.where(deciding, move, dx.HOLD), p.jump, p.n_rungs)
            self._war_bounds(before, intent)
            # What the side deliberately did is bounded alike (a step up from the war rung
            # before a war is a hold): the truth-based observation reads the move as made, as
            # perception does (a quiet run equals its twin).
            meant = self._war_bounds(before, intent, (before + self.deliberate_change).copy())
            self.deliberate_change = np.where(deciding, meant - before, 0)
        change = self.rung - before
        # A climb answers the crossing of a power's red line as it saw it this round; the flag
        # clears when the other is no longer seen across the line (a new crossing asks anew).
        for h, power in enumerate(self.powers):
            k = int(power)
            seen_across = self.perceived[:, k, int(p.adversary[k])] >= int(p.red_line[k])
            self.line_answered[:, h] = seen_across & (self.line_answered[:, h] | (change[:, k] > 0))
        # Every actor at once (elementwise per actor; the counters are integers): a power's
        # climb counts and commits it, any step down uncommits.
        ups, downs = change > 0, change < 0
        powers = np.asarray(p.is_power, dtype=bool)
        self.counts["escalations"] += ups[:, powers].sum(axis=1)
        self.counts["deescalations"] += downs[:, powers].sum(axis=1)
        self.committed |= ups & powers
        self.committed &= ~downs
        for i in range(self.A) if self.logged else ():  # the records, actor by actor
            up, down = ups[:, i], downs[:, i]
            last = self.last_move[:, i]
            self._log(
                up,
                "escalation",
                actor=p.ids[i],
                rung=self.rung[:, i],
                move=lambda idx, last=last: _move_names(last[idx]),
                cause=lambda idx, c=cause[:, i]: list(_CAUSES[c[idx]]),
            )
            accident = self.intended_move[:, i] != last
            self._log(
                down,
                "deescalation",
                actor=p.ids[i],
                rung=self.rung[:, i],
                move=lambda idx, last=last: _move_names(last[idx]),
                cause=lambda idx, acc=accident: [
                    "accident" if x else "deliberate" for x in acc[idx]
                ],
            )
        self._check_breaches(deciding & (self.rung > before))
        ra, rb = self.rung[:, a], self.rung[:, b]
        top = np.maximum(ra, rb)
        self.peak_rung = np.maximum(self.peak_rung, top)
        if p.nuclear_rung is not None:
            if lasting:
                self._assume_exchange(~self.nuclear & ~self.ended & (top >= p.nuclear_rung))
            self.nuclear |= top >= p.nuclear_rung
        alive = ~self.ended
        # Rows whose crisis ended (a settlement, a ceasefire): not those of a scenario with
        # listed pairs, whose outcome is kept pending (``_end``) and which go on to this round's
        # war draw.
        self._settle_accepted(move, deciding, alive)
        alive &= ~self.ended
        # A concession ends the crisis at once, before this round's war draw.
        if p.concessions:
            ca, cb = conceded[:, a], conceded[:, b]
            if lasting:
                self._end_war(alive & (ca | cb))
            self._end(ca & cb, "settlement", "both powers backed down")
            self._end(ca & ~cb, "capitulation_a", f"{p.ids[a]} conceded")
            self._end(cb & ~ca, "capitulation_b", f"{p.ids[b]} conceded")
            alive &= ~self.ended
        risk = dx.war_probability(p.war_risk, ra, rb, p.war_rung)
        for i in (a, b):
            self.cumulative_risk[:, i] = np.where(
                alive,
                dx.cumulative_risk(self.cumulative_risk[:, i], risk),
                self.cumulative_risk[:, i],
            )
        fighting = alive & self.at_war  # at war since an earlier round
        # One onset draw per round; a pair already at war draws none (its rungs' risk is 1).
        war = alive & ~self.at_war & (u.take("war") < risk)
        if war.any():
            at_war_rung = (
                top >= p.war_rung if p.war_rung is not None else np.zeros(len(top), dtype=bool)
            )
            climber = np.where(ra >= rb, a, b)
            rows = np.arange(len(top))
            war_cause = np.where(at_war_rung, _CAUSES[cause[rows, climber]], "brinkmanship")
            self._direct_onset(war, climber, war_cause)
            if not lasting:
                self._end(war, "war")
                alive &= ~war
        if lasting:
            alive &= ~self._fight(fighting, u)
        # A core agreement settles a crisis, not a war: while the powers fight, only an accepted
        # offer (a ceasefire) or a concession ends their war (docs/pair-wars.md §3.4).
        # Nor while a listed pair fights (docs/pair-wars.md §3.4): a crisis beside a war is not
        # settled by an item agreed or by quiet rounds (only the kept outcome would change: the
        # run goes on either way).
        pair_fighting = self.pair_war.any(axis=1)
        settled = alive & self.pending_settlement & ~self.at_war & ~pair_fighting
        self._end(settled, "settlement", "agreement on a core agenda item")
        alive &= ~settled
        # At war (a war begun this round: ``top`` was taken before it moved the rungs) no round
        # is calm; nor while a power's declared red line stands crossed (the other at or above
        # it): a challenge left standing is not a settled crisis, even at rungs below the
        # settlement rung (hotline-1963: the missiles in Cuba, at the US red line).
        crossed = (self.rung[:, b] >= p.red_line[a]) | (self.rung[:, a] >= p.red_line[b])
        low = (top <= p.settlement_rung) & ~self.at_war & ~pair_fighting & ~crossed
        self.settled_streak = np.where(
            alive, np.where(low, self.settled_streak + 1, 0), self.settled_streak
        )
        if p.settlement_rounds is not None:
            calm = alive & (self.settled_streak >= p.settlement_rounds)
            streak = self.settled_streak
            self._end(
                calm,
                "settlement",
                lambda idx: [f"{s} rounds at the lowest rungs" for s in streak[idx]],
            )
            alive &= ~calm
        return alive

    def _direct_onset(
        self, war: NDArray[np.bool_], climber: NDArray[np.int64], war_cause: NDArray[Any]
    ) -> None:
        """A war between the powers begins in the rows ``war``, started by ``climber``.

        The first onset's round and cause are kept; every onset is counted and logged. Where
        wars last the war begins (:meth:`_begin_war`); where the first war ends the run the
        caller ends it.
        """
        p = self.params
        rows = np.arange(len(war))
        first = war & (self.war_onsets == 0)
        self.war_cause = np.where(first, war_cause, self.war_cause)
        self.war_start = np.where(first, self.round, self.war_start)
        self.war_onsets += war
        self.pending_outcome = np.where(war, -1, self.pending_outcome)
        self._log(
            war,
            "war",
            actor=lambda idx: [p.ids[c] for c in climber[idx]],
            rung=self.rung[rows, climber],
            cause=war_cause,
        )
        if not p.ends_run and p.war_rung is not None:
            self._begin_war(war)

    def _war_bounds(
        self,
        before: NDArray[np.int64],
        intent: NDArray[np.int64],
        rung: NDArray[np.int64] | None = None,
    ) -> NDArray[np.int64]:
        """Where the powers' rungs can go when wars last (docs/pair-wars.md §3.1, §3.2, §4).

        Not at war, a move onto or over the war rung lands on it: a war starts at intensity 0.
        At war, a power's rung stays at or above the war rung (leaving a war needs a ceasefire
        or a concession) and goes no higher than the side chose (an implementation error never
        raises an intensity: a nuclear intensity is a choice). A side that is not nuclear-armed
        never holds a rung at or above the nuclear rung. A third party's rung is its posture,
        not a war (docs/pair-wars.md §3.1: its wars are pair wars, step 3): it stays below the
        war rung.

        Bounds ``rung`` (default: the rungs after this round's moves, in place) and returns it.
        """
        p = self.params
        w = int(p.war_rung)  # type: ignore[arg-type]  # lasting wars need a war rung
        rungs = self.rung if rung is None else rung
        for i in (p.power_a, p.power_b):
            r = rungs[:, i]
            chosen = np.maximum(before[:, i], intent[:, i])
            r = np.where(self.at_war, np.maximum(np.minimum(r, chosen), w), np.minimum(r, w))
            if p.nuclear_rung is not None and not p.nuclear[i]:
                r = np.minimum(r, max(w, p.nuclear_rung - 1))
            rungs[:, i] = r
        for k in range(self.A):
            if not p.is_power[k]:
                rungs[:, k] = np.minimum(rungs[:, k], w - 1)
        return rungs

    def _begin_war(self, war: NDArray[np.bool_]) -> None:
        """The powers' war begins in the rows ``war``: both sides at the war rung at least.

        ``at_war`` is set, and the other power's rung moved onto the war rung (it is at war
        whether it chose it or not); the front starts where it stands (the status quo). That
        move is no one's choice and everyone knows of it (the war is common knowledge): every
        actor's perception of the side moved is set to the war rung, so that it is not read
        next round as a step up (a false alarm, or evidence about a type); it is not counted as
        an escalation; nor, in the truth, is the side's own step this round (its deliberate change
        is set to 0). The peak rung counts it.
        """
        p = self.params
        w = int(p.war_rung)  # type: ignore[arg-type]
        self.at_war |= war
        for i in (p.power_a, p.power_b):
            moved = war & (self.rung[:, i] < w)
            self.rung[:, i] = np.where(moved, w, self.rung[:, i])
            self.apparent[:, i] = np.where(
                moved, np.maximum(self.apparent[:, i], w), self.apparent[:, i]
            )
            self.perceived[:, :, i] = np.where(moved[:, None], w, self.perceived[:, :, i])
            # The truth as of the last perception, which the truth-based observation reads in
            # the next talks phase, knows it too.
            self.rung_at_perception[:, i] = np.where(moved, w, self.rung_at_perception[:, i])
            # Nor in the truth: the move onto the war rung supersedes the side's own step this
            # round, so the truth-based observation reads a hold as perception does (a quiet
            # run equals its perfect-information twin; found by the validation check
            # quiet-equals-twin once a patron's intervention could move a power mid-phase).
            self.deliberate_change[:, i] = np.where(moved, 0, self.deliberate_change[:, i])
        top = np.maximum(self.rung[:, p.power_a], self.rung[:, p.power_b])
        self.peak_rung = np.where(war, np.maximum(self.peak_rung, top), self.peak_rung)

    def _end_war(self, ended: NDArray[np.bool_]) -> None:
        """The powers' war ends in the rows ``ended``: a ceasefire or a concession.

        Both sides step back to the rung below the war rung (docs/pair-wars.md §3.4) and
        ``at_war`` is cleared, so that the single record holds in the state the run ends in;
        everyone sees the step back (it is not read as a move next round).
        """
        p = self.params
        ended = ended & self.at_war
        if not ended.any():
            return
        w = int(p.war_rung)  # type: ignore[arg-type]
        for i in (p.power_a, p.power_b):
            self.rung[:, i] = np.where(ended, w - 1, self.rung[:, i])
            # As at the onset (``_begin_war``): the step back is common knowledge and no one's
            # move, so neither perception nor the truth reads it as a step down next round (a
            # run goes on after a ceasefire while a listed pair fights).
            self.apparent[:, i] = np.where(ended, w - 1, self.apparent[:, i])
            self.perceived[:, :, i] = np.where(ended[:, None], w - 1, self.perceived[:, :, i])
            self.rung_at_perception[:, i] = np.where(ended, w - 1, self.rung_at_perception[:, i])
            self.deliberate_change[:, i] = np.where(ended, 0, self.deliberate_change[:, i])
        self.at_war &= ~ended

    def _battle_chances(self) -> NDArray[np.float64]:
        """``power_a``'s chance of winning this round's battle, at the intensities held (§4).

        Each side's strength (:meth:`_strengths`) times ``1 + a(z)``, its rung's
        ``war_advantage``: ``bg.win_probability`` of the boosted strengths with the round's
        decisiveness, ``p_a = (K_a(1 + a_a))^m / ((K_a(1 + a_a))^m + (K_b(1 + a_b))^m)``.
        """
        p = self.params
        k_a, k_b = self._strengths(p)
        k_a = k_a * (1.0 + p.war_advantage[self.rung[:, p.power_a]])
        k_b = k_b * (1.0 + p.war_advantage[self.rung[:, p.power_b]])
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            return np.asarray(bg.win_probability(k_a, k_b, p.decisiveness))

    def _assume_exchange(self, first: NDArray[np.bool_]) -> None:
        """Record, in the rows ``first`` (a run's first nuclear step), the risk its taker assumed.

        ``bg.assumed_exchange_probability`` of the hazard of the intensities now held, as the
        side that holds the nuclear rung assumes it (``exchange_hazard`` times its
        ``exchange_risk_scale``, 0 unless both powers are nuclear-armed), over the rounds left
        including this one (the exchange draw comes after the moves): ``1 - (1 - s h)^T``, the
        chance the actor gives an exchange if the intensities were held to the horizon. The
        higher of the two when both step at once. Reported beside the simulated frequency of an
        exchange given nuclear use (docs/pair-wars.md §4).
        """
        if not first.any():
            return
        p = self.params
        a, b = p.power_a, p.power_b
        possible = exchange_possible(p)
        left = self.horizon - self.round + 1
        ra, rb = self.rung[:, a], self.rung[:, b]
        nuclear = int(p.nuclear_rung)  # type: ignore[arg-type]
        assumed = np.zeros(len(first))
        for i, own in ((a, ra), (b, rb)):
            hazard = bg.exchange_hazard_held(
                p.exchange_hazard,
                ra,
                rb,
                nuclear,
                float(p.exchange_risk_scale[i]),
                possible,
                p.strategic_rung,
            )
            mine = np.asarray(bg.assumed_exchange_probability(hazard, left))
            assumed = np.where(own >= nuclear, np.maximum(assumed, mine), assumed)
        self.assumed_exchange = np.where(first, assumed, self.assumed_exchange)

    def _fight(self, fighting: NDArray[np.bool_], u: Draws) -> NDArray[np.bool_]:
        """A round of the powers' war in the rows ``fighting`` (docs/pair-wars.md §3.3, §4).

        A battle moves the front (``bg.front_step`` with ``war.front_step``), won by
        ``power_a`` with :meth:`_battle_chances`; then a strategic exchange comes with the
        hazard of the highest intensity held (``exchange_hazard``; only between two
        nuclear-armed sides), or at once when a side holds the strategic rung, and ends the run.
        Both draws are made every round whatever the state (``battle`` and ``exchange`` slots).
        Returns the rows ended by an exchange.
        """
        p = self.params
        a, b = p.power_a, p.power_b
        u_battle, u_exchange = u.take("battle"), u.take("exchange")
        if not fighting.any():
            return np.zeros(len(fighting), dtype=bool)
        won = u_battle < self._battle_chances()
        self.front = np.where(fighting, bg.front_step(self.front, won, p.front_step), self.front)
        self.war_rounds += fighting
        ra, rb = self.rung[:, a], self.rung[:, b]
        # The hazard the policies assume at scale 1 (one formula): the highest intensity's, at
        # the nuclear rung or above, certain at the strategic rung, between two nuclear-armed
        # powers only.
        hazard = bg.exchange_hazard_held(
            p.exchange_hazard, ra, rb, p.nuclear_rung, 1.0, exchange_possible(p), p.strategic_rung
        )
        top = np.maximum(ra, rb)
        exchange = fighting & (u_exchange < hazard)
        if exchange.any():
            self.strategic |= exchange
            self._log(exchange, "exchange", rung=top, cause="strategic")
            self._end(exchange, "exchange", "a strategic nuclear exchange", final=True)
        return exchange

    def _settle_accepted(
        self, move: NDArray[np.int64], deciding: NDArray[np.bool_], alive: NDArray[np.bool_]
    ) -> NDArray[np.bool_]:
        """An accepted offer ends the crisis in a settlement, before the war draw (§3.6, §5).

        A power accepts the other's offer as it read it; the settlement is at what its maker
        truly offered in it (``offer_read_true``), and ``settled_share`` records
        ``power_a``'s share. Both accepting in the same round: ``power_a``'s offer (the one
        ``power_b`` accepted), a documented tie rule. An ``ACCEPT`` with no offer read is a
        hold (the rung is kept; no policy chooses it). Returns the rows settled.
        """
        if not self.bargaining:
            # No offer is ever made (``_offers``), so none stands to be accepted: an ``ACCEPT``
            # is a hold, as below where no offer was read.
            return np.zeros(len(move), dtype=bool)
        p = self.params
        a, b = p.power_a, p.power_b
        # Closed talks (stakes.talks_open: false): no offer is accepted, by any policy.
        standing = ~np.isnan(self.offer_read) & p.talks_open
        acc_a = alive & deciding[:, a] & (move[:, a] == dx.ACCEPT) & standing[:, 0]
        acc_b = alive & deciding[:, b] & (move[:, b] == dx.ACCEPT) & standing[:, 1]
        accepted = acc_a | acc_b
        if not accepted.any():
            return accepted
        share_a = np.where(acc_b, 1.0 - self.offer_read_true[:, 1], self.offer_read_true[:, 0])
        self.settled_share = np.where(accepted, share_a, self.settled_share)
        for who, acc in ((a, acc_a & ~acc_b), (b, acc_b)):
            self._log(
                acc,
                "accept",
                actor=p.ids[who],
                target=p.ids[b if who == a else a],
                detail=lambda idx: [f"{p.ids[a]} gets {x:.3f} of the stakes" for x in share_a[idx]],
            )
        ceasefire = accepted & self.at_war
        self.ceasefires += ceasefire
        self._end_war(ceasefire)

        def terms(idx: NDArray[np.int64]) -> list[str]:
            return [f"an offer accepted: {p.ids[a]} gets {x:.3f}" for x in share_a[idx]]

        self._end(ceasefire, "ceasefire", terms)
        self._end(accepted & ~ceasefire, "settlement", terms)
        return accepted

    def _check_breaches(self, climbed: NDArray[np.bool_]) -> None:
        """Agreements broken this round, found after every move is applied.

        A power that climbed to more than one rung above its rung at the agreement breaks it;
        the other side reads it as evidence of strength ``-breach_trust_cost`` about the
        breaker's honesty type (:meth:`_word_evidence`; both, when both break it). The
        agreement's incident-risk effect ends, and a broken core item no longer settles.
        """
        if self.G == 0:
            # No agreement to break; the incident factor (a product over agreements) stays 1.
            return
        p = self.params
        a, b = p.power_a, p.power_b
        for g in range(self.G):
            in_force = self.agreed[:, g] >= 0
            breakers = [
                in_force
                & climbed[:, i]
                & (self.rung[:, i] > self.agreement_rungs[:, g, column] + 1)
                for column, i in enumerate((a, b))
            ]
            broken = breakers[0] | breakers[1]
            if not broken.any():
                continue
            self.agreed[broken, g] = -2  # broken: never again in this crisis
            self.counts["agreements_broken"] += broken
            for i, brk in zip((a, b), breakers, strict=True):
                about = np.array([i == a, i == b])
                self._word_evidence(brk, about, -float(p.agreement_breach_cost[g]))
                self._log(brk, "agreement_broken", actor=p.ids[i], detail=p.agenda_ids[g])
            if p.agenda_core[g]:
                self.pending_settlement &= ~broken
        self._refresh_incident_factor()

    # -- phase 8 -------------------------------------------------------------------------------
    def third_parties(self, alive: NDArray[np.bool_]) -> None:
        """Phase 8: re-alignment, mediation offers, involvement beside a patron.

        A third party played by a person (``human_joins``, ``human_mediations``) joins and
        offers its mediation when the player chose to, instead of by the rules.
        """
        p = self.params
        a, b = p.power_a, p.power_b
        rows = np.arange(len(self.reps))
        for k in range(self.A):
            if p.is_power[k]:
                continue
            gap = (self.perceived[:, k, b] - self.perceived[:, k, a]).astype(float)
            self.alignment_a[:, k] = np.where(
                alive, dx.realign(self.alignment_a[:, k], gap), self.alignment_a[:, k]
            )
            if p.may_mediate[k]:
                hot = alive & (np.maximum(self.rung[:, a], self.rung[:, b]) >= 2)
                chose = self._human_third(self.human_mediations, k)
                if chose is not None:
                    hot = alive & chose
                for c in range(self.C):
                    if p.channel_via[c] == k:
                        opening = hot & ~self.channel_open[:, c]
                        self.channel_open[:, c] |= opening
                        if self.channel_paths is not None:  # mediation opens it in both
                            self.channel_paths.channel_open[:, c] |= hot
                        self._log(opening, "mediation", actor=p.ids[k], channel=p.channel_ids[c])
            patron = self._patron(k)
            foe = np.where(patron == a, b, a)
            if p.may_join[k]:
                joins = alive & ~self.joined[:, k] & (self.perceived[rows, k, foe] >= p.red_line[k])
                chose = self._human_third(self.human_joins, k)
                if chose is not None:
                    joins = alive & ~self.joined[:, k] & chose
                self.joined[:, k] |= joins
                self._log(
                    joins,
                    "involvement",
                    actor=p.ids[k],
                    target=lambda idx, patron=patron: [p.ids[c] for c in patron[idx]],
                    cause="third_party",
                )

    def _human_third(self, chosen: dict[str, list[bool]], k: int) -> bool | None:
        """A third party's player's choice this round (``human_joins``, ``human_mediations``).

        None when ``k`` is not played by a person or has no such list (the rule decides).
        """
        said = chosen.get(self.params.ids[k])
        if said is None or not POLICIES[self.params.policies[k].name].needs_player:
            return None
        t = self.round
        return bool(said[t - 1]) if 0 <= t - 1 < len(said) else False

    # -- results -------------------------------------------------------------------------------
    def _outcome_columns(self, rows: NDArray[np.bool_]) -> dict[str, Any]:
        p = self.params
        a, b = p.power_a, p.power_b
        c = {k: v[rows] for k, v in self.counts.items()}
        thirds = [k for k in range(self.A) if not p.is_power[k]]
        rung = self.rung[rows]

        def ratio(num: NDArray[np.int64], den: NDArray[np.int64]) -> NDArray[np.float64]:
            safe = np.where(den > 0, den, 1)
            return np.where(den > 0, num / safe, 0.0)

        outcome = np.array(OUTCOMES, dtype=object)[self.outcome_code[rows]]
        trust = self.trust()[rows]
        held: dict[str, Any] = {}
        if p.held_by >= 0:
            # A fait accompli (stakes.held_at): whether the holder stood on its rung at the end,
            # so that its share in a run not divided by an offer is the stakes it still held
            # (batch.shares.run_shares; docs/decision-v2.md §3.10).
            holder = a if p.held_by == 0 else b
            held = {"stakes_held": rung[:, holder] >= p.held_rung}
        return {
            "replication": self.reps[rows],
            "outcome": outcome,
            "end_round": self.end_round[rows],
            # War between the powers began in the run (where the first war ends the run, its
            # outcome is war; where wars last, it may end in a ceasefire, a concession or an
            # exchange, or go on past the horizon: outcome war).
            "war": self.war_onsets[rows] > 0,
            "war_cause": self.war_cause[rows],
            "nuclear": self.nuclear[rows],
            "peak_rung": self.peak_rung[rows],
            "final_rung": np.maximum(rung[:, a], rung[:, b]),
            "escalations": c["escalations"],
            "deescalations": c["deescalations"],
            "decisions": c["decisions"],
            "miscalculations": c["miscalculations"],
            "miscalculation_rate": ratio(c["miscalculations"], c["decisions"]),
            "miscalculated_escalations": c["miscalculated_escalations"],
            "perception_errors": c["perception_errors"],
            "perception_error_rate": ratio(c["perception_errors"], c["observations"]),
            "false_alarms": c["false_alarms"],
            "messages_sent": c["messages_sent"],
            "messages_delivered": c["messages_delivered"],
            "messages_misread": c["messages_misread"],
            "agreements": c["agreements"],
            "agreements_broken": c["agreements_broken"],
            "signal_action_divergence": ratio(c["claims_contradicted"], c["claims_checked"]),
            "final_trust": trust.mean(axis=1),
            "polarisation": dx.polarisation(self.alignment_a[rows][:, thirds]),
            "settled_share_a": self.settled_share[rows],
            **(self._war_columns(rows) if self.layout.structure.lasting else {}),
            **(pair_wars.columns(self, rows) if self.layout.structure.war_pairs else {}),
            **held,
        }

    def _war_columns(self, rows: NDArray[np.bool_]) -> dict[str, Any]:
        """The outcome columns of wars that last (docs/pair-wars.md §8), where they can.

        Only a scenario some condition of which lets a war last has them (as only a run with
        twins has the twins' columns): ``war_start_round`` (the round the powers' first war
        began in the run; 0: none, and a war under way at round 1 is not an onset),
        ``war_rounds_direct`` (rounds of battle between them), ``ceasefire`` (their war ended
        in an accepted offer), ``strategic`` (a strategic exchange),
        ``front_a`` (``power_a``'s share of the stakes held on the front at the end),
        ``assumed_exchange`` (at the run's first nuclear step, the chance of an exchange before
        the horizon its taker assumed; NaN: no nuclear use) and ``exchange_given_nuclear``
        (``strategic`` where a nuclear intensity was used, NaN elsewhere).
        """
        nuclear = self.nuclear[rows]
        return {
            "assumed_exchange": self.assumed_exchange[rows],
            "exchange_given_nuclear": np.where(nuclear, self.strategic[rows].astype(float), np.nan),
            "front_a": self.front[rows],
            "war_start_round": self.war_start[rows],
            "war_rounds_direct": self.war_rounds[rows],
            "ceasefire": self.ceasefires[rows] > 0,
            "strategic": self.strategic[rows],
        }


def events_frame(
    records: list[tuple[NDArray[np.int64], str, dict[str, Any]]], condition: str
) -> pd.DataFrame:
    """The events frame of a crisis's event records (``Crisis._events``), by replication."""
    columns: dict[str, list[Any]] = {name: [] for name in ("replication", *EVENT_COLUMNS)}
    for reps, kind, values in records:
        n = len(reps)
        columns["replication"].extend(reps.tolist())
        columns["kind"].extend([kind] * n)
        for name in EVENT_COLUMNS:
            if name == "kind":
                continue
            value = values.get(name)
            if isinstance(value, (list, np.ndarray)):
                columns[name].extend(value.tolist() if isinstance(value, np.ndarray) else value)
            else:
                columns[name].extend([value] * n)
    frame = pd.DataFrame({name: columns[name] for name in ("replication", *EVENT_COLUMNS)})
    frame = typed_events(frame.astype({"replication": "int64", "round": "int64"}))
    frame = frame.sort_values("replication", kind="stable", ignore_index=True)
    frame.insert(0, "condition", condition)
    return frame


def outcome_frame(
    outcomes: list[dict[str, Any]], cond: str, root: int, perfect_information: bool
) -> pd.DataFrame:
    """The outcome frame of finished replications' outcome columns, in the order given."""
    out = {k: np.concatenate([o[k] for o in outcomes]) for k in outcomes[0]}
    n = len(out["replication"])
    frame = pd.DataFrame(
        {
            "condition": [cond] * n,
            "replication": out["replication"].astype(np.int64),
            "seed": np.full(n, root, dtype=np.int64),
            "perfect_information": np.full(n, perfect_information),
            **{k: v for k, v in out.items() if k != "replication"},
        }
    )
    int_columns = [
        "end_round",
        "peak_rung",
        "final_rung",
        *(c for c in frame.columns if frame[c].dtype.kind == "i"),
    ]
    frame = frame.astype(
        {"condition": "str", "outcome": "str", "war_cause": "str"}
        # A listed pair's first onset's cause (pair_wars.columns): "None" where none, as war_cause.
        | {c: "str" for c in frame.columns if c.startswith("cause_")}
        | dict.fromkeys(int_columns, "int64")
        | {"war": bool, "nuclear": bool, "polarisation": float}
        | {c: bool for c in ("ceasefire", "strategic") if c in frame.columns}
    )
    return frame


def series_frame(parts: list[dict[str, Any]], p: Params, condition: str) -> pd.DataFrame:
    """The timeseries frame of a crisis's collected rows (``Crisis._series``), by replication."""
    columns = [
        "replication",
        "round",
        "actor_index",
        "rung",
        "apparent",
        "perceived_adversary",
        "trust",
        "posterior_mean_cost",
        "offer",
        "offer_read",
        "alignment_a",
        "committed",
        "joined",
    ]
    if not parts:
        return pd.DataFrame()
    data = {c: np.concatenate([part[c] for part in parts]) for c in columns}
    order = np.argsort(data["replication"], kind="stable")
    data = {c: v[order] for c, v in data.items()}
    ids = np.array(p.ids, dtype=object)
    roles = np.where(p.is_power, "power", "third_party").astype(object)
    index = data.pop("actor_index")
    frame = pd.DataFrame(
        {
            "condition": condition,
            "replication": data["replication"].astype(np.int64),
            "round": data["round"],
            "actor": ids[index],
            "role": roles[index],
            "rung": data["rung"].astype(np.int64),
            "apparent": data["apparent"].astype(np.int64),
            "perceived_adversary": data["perceived_adversary"].astype(np.int64),
            "trust": data["trust"],
            "posterior_mean_cost": data["posterior_mean_cost"],
            "offer": data["offer"],
            "offer_read": data["offer_read"],
            "alignment_a": data["alignment_a"],
            "committed": data["committed"],
            "joined": data["joined"],
        }
    )
    return frame


__all__ = [
    "Crisis",
    "Streams",
    "events_frame",
    "linked_pairs",
    "outcome_frame",
    "series_frame",
    "window_rounds",
]
