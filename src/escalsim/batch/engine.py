"""The batch engine: the escalation model vectorised over replications.

It runs the same model as :class:`escalsim.agents.EscalationModel`, phase by phase and in the
same order (docs/ODD.md, "Process overview and scheduling"), on state arrays shaped
``[R, actors, ...]``: R replications advance together, round by round. Every equation is the
same function of :mod:`escalsim.core.dynamics`, and every decision rule the same
:mod:`escalsim.core.policies` class, called with arrays instead of scalars. Each replication
draws from its own ``SeedSequence`` stream one fixed-shape block per round, in the layout of
:class:`escalsim.core.streams.BlockLayout`, so replication r gives *exactly* the outcome,
timeseries and events of the agent model's replication r (``tests/test_batch.py`` proves it).

How the agent model's sequential parts become array operations:

* loops over actors, channels and agenda items stay Python loops (they are short), each step
  acting on all replications at once; anything that happens only in some replications is an
  ``np.where`` under a mask;
* the message inbox is an array indexed by the round a message was sent: messages due in a
  round are applied in the order they were sent, which is the agent model's order (messages
  between different pairs touch different state, so only the order within a pair matters);
* replications that have ended are dropped from the working set at the end of each round;
* events are recorded in the order the agent model logs them (one record per log call, over
  the replications it concerns) and sorted stably by replication at the end.

Memory is bounded by running replications in chunks (:data:`CHUNK`), each with its own arrays.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from escalsim.agents.model import CAUSES, COUNTS, EVENT_COLUMNS, OUTCOMES, typed_events
from escalsim.core import dynamics as dx
from escalsim.core.params import Params, schedule
from escalsim.core.policies import POLICIES, Actor, HumanMoveRequiredError, Observation, Quantal
from escalsim.core.streams import BlockLayout, replication_generator
from escalsim.scenario import Scenario, load_scenario, with_condition

#: Replications that run together in one set of arrays; bounds memory whatever R is.
CHUNK = 4000
#: Random numbers are drawn ahead, up to this many bytes per chunk and WINDOW_ROUNDS rounds at a
#: time: one generator call per replication per window instead of per round. Numbers drawn for
#: rounds after a replication ends are never used (its stream is its own).
WINDOW_BYTES = 16 * 2**20
WINDOW_ROUNDS = 8

_CAUSES = np.array(CAUSES, dtype=object)
DELIBERATE, MISCALCULATED, ACCIDENT, THIRD_PARTY = range(4)

Field = Any  # a scalar, an array over the working set, or a function of the rows logged


def _rows(value: Any, rows: NDArray[np.int64], n: int) -> Any:
    """``value[rows]`` for an array over the ``n`` replications; scalars pass through."""
    if isinstance(value, np.ndarray) and value.shape[:1] == (n,):
        return value[rows]
    return value


def _move_names(moves: NDArray[np.int64]) -> list[str]:
    return [dx.MOVE_NAMES[int(m)] for m in moves]


@dataclass
class BatchRun:
    """The three tidy frames of R replications, as the agent model gives them one by one.

    Attributes
    ----------
    outcome : pandas.DataFrame
        One row per replication, in the order the replications were given.
    timeseries, events : pandas.DataFrame
        Rows of the replications kept in detail, replication by replication.
    twin_outcome : pandas.DataFrame or None
        With ``twin=True``: the perfect-information twins' outcome rows, in the same order.
    """

    outcome: pd.DataFrame
    timeseries: pd.DataFrame
    events: pd.DataFrame
    twin_outcome: pd.DataFrame | None = None

    def runs(self) -> pd.DataFrame:
        """The outcome rows, with ``twin_outcome`` and ``war_attributable`` when twins ran.

        ``war_attributable``: war in the run but not in its perfect-information twin.
        """
        rows = self.outcome.copy()
        if self.twin_outcome is not None:
            twin = self.twin_outcome["outcome"].to_numpy()
            rows["twin_outcome"] = twin
            rows["war_attributable"] = (rows["outcome"] == "war") & (twin != "war")
        return rows


class _Streams:
    """The random streams of a chunk's replications, shared by the runs and their twins.

    Stream ``s`` is replication ``reps[s]``'s generator. Blocks are drawn a window of rounds
    at a time into one buffer (fresh memory costs a page fault per 4 KB on first touch, more
    than drawing the numbers), for the streams some run still needs; a run reads its rows.
    A stream gives the same numbers whether drawn round by round or rounds at a time, and a
    stream left out of a window is never needed again (runs only ever finish).
    """

    def __init__(
        self, seed: int, reps: NDArray[np.int64], layout: BlockLayout, horizon: int
    ) -> None:
        self.gens = [replication_generator(seed, int(r)) for r in reps]
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
        rounds = max(
            1,
            min(self.horizon - t + 1, WINDOW_ROUNDS, WINDOW_BYTES // (8 * self.size * max(n, 1))),
        )
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


class _Chunk:
    """The state of a set of replications advancing together (one chunk)."""

    def __init__(
        self,
        spec: Scenario,
        sched: Any,
        streams: _Streams,
        reps: NDArray[np.int64],
        detail: NDArray[np.bool_],
        perfect_information: bool,
        human_moves: dict[str, list[str]],
    ) -> None:
        p: Params = sched.params_at[0]
        self.spec, self.sched, self.p = spec, sched, p
        self.pi = perfect_information
        self.human_moves = human_moves
        self.horizon = spec.run.rounds
        A, C, G = p.n_actors, p.n_channels, p.n_agenda  # noqa: N806 - sizes
        self.A, self.C, self.G = A, C, G
        self.layout = BlockLayout(A, C, G)
        self.reps = reps.copy()
        self.detail = detail.copy()
        n = len(reps)
        self.streams = streams
        self.srow = np.arange(len(reps))  # each row's stream
        self.in_order = False  # rows are the window's first rows, in order (the lead run)
        self.t = 0
        rung0 = np.broadcast_to(p.initial_rung, (n, A))
        self.rung = rung0.astype(np.int64).copy()
        self.apparent = self.rung.copy()
        self.incident = np.zeros((n, A), dtype=np.int64)
        self.intended = np.zeros((n, A), dtype=np.int64)
        self.dchange = np.zeros((n, A), dtype=np.int64)
        self.last_move = np.zeros((n, A), dtype=np.int64)
        self.perceived = np.broadcast_to(p.initial_rung, (n, A, A)).astype(np.int64).copy()
        self.pmove = np.zeros((n, A, A), dtype=np.int64)
        self.hostility = np.full((n, A, A), 0.5)
        self.hostility_true = np.full((n, A, A), 0.5)
        self.trust = np.full((n, A, A), 0.5)
        self.committed = np.zeros((n, A), dtype=bool)
        self.cumrisk = np.zeros((n, A))
        self.adv_resolve = np.full((n, A, A), np.nan)
        self.alignment = np.broadcast_to(p.alignment_a, (n, A)).astype(float).copy()
        self.joined = np.zeros((n, A), dtype=bool)
        self.memory: list[tuple[NDArray[Any], ...]] = [
            tuple(np.full(n, m) for m in POLICIES[p.policies[i].name].initial_memory())
            for i in range(A)
        ]
        self.chan_open = np.broadcast_to(p.channel_open0, (n, C)).copy()
        self.chan_up = self.chan_open.copy()
        self.summits: list[tuple[int, int, float]] = []
        self.before_summit = np.zeros((n, C), dtype=bool)
        self.has_before: list[int] = []
        self.agreed = np.full((n, G), -1, dtype=np.int64)
        self.agr_rungs = np.zeros((n, G, 2), dtype=np.int64)
        self.bonus = np.zeros((n, C))
        self.inc_factor = np.ones((n, A))
        self.red_clear = np.zeros(n, dtype=bool)
        # Messages in flight, in a ring over the round they were sent (slot ``s % ring``): a
        # message is delivered at most ``max_latency`` rounds after it was sent, so a slot is
        # free again when it comes round. Arrival round (-1: none), the claim as sent and as
        # read, the resolve claimed. ``plog`` keeps the moves perceived in the same rounds, for
        # checking a delayed claim against the deed it describes.
        # Only pairs joined by a private channel ever exchange messages: the message arrays
        # hold those K ordered pairs (sender ``send[k]``, receiver ``recv[k]``) in the agent
        # model's (sender, receiver) order.
        linked = sorted(
            {
                (int(a), int(b))
                for q in sched.params_at
                for c, (a, b) in enumerate(q.channel_ends)
                if c != q.public and a >= 0 and a != b
            }
            | {
                (int(b), int(a))
                for q in sched.params_at
                for c, (a, b) in enumerate(q.channel_ends)
                if c != q.public and a >= 0 and a != b
            }
        )
        self.send = np.array([i for i, _ in linked], dtype=np.int64)
        self.recv = np.array([j for _, j in linked], dtype=np.int64)
        # The observed pairs: every actor's view of each power, and each receiver's view of its
        # senders. Perceptions and beliefs of other pairs (a third party's view of another)
        # never reach a decision, a metric or a frame, so they are not computed; their random
        # slots are drawn all the same, so every stream stays in step with the agent model.
        observed = sorted(
            {(a, b) for a in range(A) for b in range(A) if a != b and p.is_power[b]}
            | {(b, a) for a, b in linked}
        )
        self.obs_i = np.array([a for a, _ in observed], dtype=np.int64)
        self.obs_j = np.array([b for _, b in observed], dtype=np.int64)
        self.power_pairs = [
            k for k, (a, b) in enumerate(observed) if {a, b} == {p.power_a, p.power_b}
        ]
        self.diag = np.arange(A)
        K = len(linked)  # noqa: N806
        self.max_latency = max(int(q.latency.max()) for q in sched.params_at)
        ring = self.ring = self.max_latency + 1
        self.m_arrival = np.full((n, ring, K), -1, dtype=np.int32)
        self.m_sent = np.zeros((n, ring, K), dtype=bool)
        self.m_read = np.zeros((n, ring, K), dtype=bool)
        self.m_resolve = np.zeros((n, ring, K))
        # The receiver's perception of the sender's move in those rounds, per pair.
        self.plog = np.zeros((n, ring, K), dtype=np.int8)
        # A prompt claim waiting to be checked in phase 5: -1 none, 0 hostile, 1 benign.
        self.last_claim = np.full((n, K), -1, dtype=np.int8)
        # Random blocks are drawn a few rounds at a time (the same numbers as round by round).
        self.pending = np.zeros(n, dtype=bool)
        self.streak = np.zeros(n, dtype=np.int64)
        self.peak = np.maximum(self.rung[:, p.power_a], self.rung[:, p.power_b])
        self.nuclear = np.zeros(n, dtype=bool)
        self.counts = {name: np.zeros(n, dtype=np.int64) for name in COUNTS}
        self.path = np.full((n, A, A), p.public, dtype=np.int64)
        # Per-replication results of runs that ended.
        self.ended = np.zeros(n, dtype=bool)
        # Ended and already summarised; dropped from the arrays at the next compaction. Until
        # then such a replication keeps stepping, unseen: it logs nothing, cannot end again,
        # and its outcome row was written when it ended.
        self.finished = np.zeros(n, dtype=bool)
        self.outcome_code = np.full(n, -1, dtype=np.int64)
        self.end_round = np.zeros(n, dtype=np.int64)
        self.war_cause = np.full(n, None, dtype=object)
        self._done: list[dict[str, Any]] = []
        self._events: list[tuple[NDArray[np.int64], str, dict[str, Any]]] = []
        self._series: list[dict[str, Any]] = []
        self._pairs_cache: dict[int, dict[tuple[int, int], list[int]]] = {}
        self.eye = np.eye(A, dtype=bool)
        self._capability: dict[int, NDArray[np.float64]] = {}
        self._collect()

    # -- bookkeeping -------------------------------------------------------------------------
    _PER_REP: ClassVar[tuple[str, ...]] = (
        "reps",
        "detail",
        "rung",
        "apparent",
        "incident",
        "intended",
        "dchange",
        "last_move",
        "perceived",
        "pmove",
        "plog",
        "hostility",
        "hostility_true",
        "trust",
        "last_claim",
        "committed",
        "cumrisk",
        "adv_resolve",
        "alignment",
        "joined",
        "chan_open",
        "chan_up",
        "before_summit",
        "agreed",
        "agr_rungs",
        "bonus",
        "inc_factor",
        "red_clear",
        "m_arrival",
        "m_sent",
        "m_read",
        "m_resolve",
        "pending",
        "streak",
        "peak",
        "nuclear",
        "path",
        "ended",
        "outcome_code",
        "end_round",
        "war_cause",
        "srow",
        "finished",
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
        if 4 * int(self.finished.sum()) >= len(self.reps):
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
        self.counts = {k: v[keep] for k, v in self.counts.items()}
        self.memory = [tuple(m[keep] for m in mem) for mem in self.memory]

    def _log(self, mask: NDArray[np.bool_] | None, kind: str, **fields: Field) -> None:
        """Record an event for the replications in ``mask`` that are kept in detail.

        A field is a scalar, an array over the working set, or a function that gets the rows
        logged and returns their values (for strings that are costly to build for every run).
        """
        rows = self.detail if mask is None else (mask & self.detail)
        if not rows.any():
            return
        idx = np.flatnonzero(rows)
        values: dict[str, Any] = {"round": self.t}
        for name, value in fields.items():
            if callable(value):
                values[name] = list(value(idx))
            elif isinstance(value, np.ndarray):
                values[name] = value[idx]
            else:
                values[name] = value
        self._events.append((self.reps[idx], kind, values))

    def _end(self, mask: NDArray[np.bool_], outcome: str, detail: Field = "") -> None:
        mask = mask & ~self.ended
        if not mask.any():
            return
        self.ended |= mask
        self.outcome_code[mask] = OUTCOMES.index(outcome)
        self.end_round[mask] = self.t
        if callable(detail):
            text: Field = lambda idx: [f"{outcome}: {d}" for d in detail(idx)]  # noqa: E731
        else:
            text = f"{outcome}: {detail}" if detail else outcome
        self._log(mask, "end", detail=text)

    def _collect(self) -> None:
        if not self.detail.any():
            return
        p = self.p
        idx = np.flatnonzero(self.detail)
        adv = p.adversary
        actors = np.arange(self.A)
        self._series.append(
            {
                "replication": np.repeat(self.reps[idx], self.A),
                "round": np.full(len(idx) * self.A, self.t, dtype=np.int64),
                "actor_index": np.tile(actors, len(idx)),
                "rung": self.rung[idx].ravel(),
                "apparent": self.apparent[idx].ravel(),
                "perceived_adversary": self.perceived[idx][:, actors, adv].ravel(),
                "hostility": self.hostility[idx][:, actors, adv].ravel(),
                "trust": self.trust[idx][:, actors, adv].ravel(),
                "alignment_a": self.alignment[idx].ravel(),
                "committed": self.committed[idx].ravel(),
                "joined": self.joined[idx].ravel(),
            }
        )

    # -- lookups -------------------------------------------------------------------------------
    def _pair_channels(self) -> dict[tuple[int, int], list[int]]:
        """For each pair i < j, its private channels, best first: by noise, latency, file order."""
        p = self.p
        key = id(p)
        if key not in self._pairs_cache:
            pairs: dict[tuple[int, int], list[int]] = {}
            for c in range(p.n_channels):
                if c == p.public:
                    continue
                a, b = sorted(int(x) for x in p.channel_ends[c])
                if a < 0 or a == b:
                    continue
                pairs.setdefault((a, b), []).append(c)
            for pair, chans in pairs.items():
                pairs[pair] = sorted(chans, key=lambda c: (float(p.noise[c]), float(p.latency[c])))
            self._pairs_cache[key] = pairs
        return self._pairs_cache[key]

    def _patron(self, k: int) -> NDArray[np.int64]:
        p = self.p
        return np.where(self.alignment[:, k] >= 0.5, p.power_a, p.power_b)

    def _side_capability(self, index: int) -> NDArray[np.float64]:
        """``EscalationModel.side_capability``; fixed from phase 1 to phase 7, so cached."""
        if index in self._capability:
            return self._capability[index]
        p = self.p
        total = np.full(len(self.reps), float(p.capability[index]))
        if p.is_power[index]:
            for k in range(self.A):
                if p.is_power[k]:
                    continue
                joined = self.joined[:, k] & (self._patron(k) == index)
                total = np.where(joined, total + float(p.capability[k]), total)
        self._capability[index] = total
        return total

    def _pressure_on(self, index: int) -> NDArray[np.float64] | float:
        p = self.p
        if not p.is_power[index]:
            return 0.0
        other = p.power_b if index == p.power_a else p.power_a
        column = 0 if index == p.power_a else 1
        total = np.zeros(len(self.reps))
        for k in range(self.A):
            if p.is_power[k]:
                continue
            mine, theirs = self.perceived[:, k, index], self.perceived[:, k, other]
            direction = np.where(
                mine > theirs,
                1.0,
                np.where((theirs > mine) & (self._patron(k) == index), -1.0, 0.0),
            )
            total = total + float(p.influence[k, column]) * direction
        return total

    def _refresh_incident_factor(self) -> None:
        p = self.p
        factor = np.ones(len(self.reps))
        for g in range(self.G):
            factor = np.where(
                self.agreed[:, g] >= 0, factor * p.agreement_incident_factor[g], factor
            )
        self.inc_factor[:] = 1.0
        self.inc_factor[:, p.power_a] = factor
        self.inc_factor[:, p.power_b] = factor

    # -- the round -----------------------------------------------------------------------------
    @property
    def over(self) -> bool:
        """Every replication has ended."""
        return bool(self.finished.all()) or self.t >= self.horizon

    def step(self) -> None:
        self.t += 1
        t = self.t
        self.p = self.sched.params_at[t]
        layout = self.layout
        block = self.streams.block(t, self.srow, self.in_order)
        self._capability = {}
        u = {name: layout.view(block, name) for name in layout.names}
        self._scheduled_events(t)
        self._accidents(u["incident"], t)
        self._channels(u["channel_up"])
        self._talks(u["agreement"], t)
        self._messages(u["honesty"], u["misread"], t)
        self._perceive(u["noise"], u["noise_direction"], u["deconfliction"], t)
        self._count_perception()
        self._update_beliefs()
        move, deciding, cause = self._decide(u["choice"], t)
        alive = self._move(
            move, deciding, cause, u["implementation"], u["direction"], u["friction"], u["war"]
        )
        self._third_parties(alive)
        self._collect()
        if t >= self.horizon:
            self._end(alive, "unresolved")
        self._retire()

    # -- phase 1 -------------------------------------------------------------------------------
    def _scheduled_events(self, t: int) -> None:
        sched, p = self.sched, self.p
        ended = [s for s in self.summits if s[1] == t]
        self.summits = [s for s in self.summits if s[1] != t]
        for channel, _end, _boost in ended:
            if any(s[0] == channel for s in self.summits):
                continue  # another summit on this channel still runs
            if channel in self.has_before:
                self.has_before.remove(channel)
                self.chan_open[:, channel] = self.before_summit[:, channel]
                self._log(None, "summit_end", channel=p.channel_ids[channel])
        for channel, is_open in sched.channel_events.get(t, []):
            self.chan_open[:, channel] = is_open
            kind = "channel_open" if is_open else "channel_closed"
            self._log(None, kind, channel=p.channel_ids[channel])
        for channel, duration, boost in sched.summits.get(t, []):
            if channel not in self.has_before:
                self.has_before.append(channel)
                self.before_summit[:, channel] = self.chan_open[:, channel]
            self.summits.append((channel, t + duration, boost))
            self.chan_open[:, channel] = True
            self._log(None, "summit", channel=p.channel_ids[channel])
        for text in sched.descriptions.get(t, []):
            self._log(None, "scheduled", detail=text)

    # -- phase 2 -------------------------------------------------------------------------------
    def _accidents(self, u_incident: NDArray[np.float64], t: int) -> None:
        p = self.p
        forced = dict(self.sched.incidents.get(t, []))
        for i in range(self.A):
            rung = self.rung[:, i]
            if forced.get(i, 0):
                jump = np.full(len(self.reps), forced[i], dtype=np.int64)
            else:
                jump = dx.incident_occurs(
                    p.incident_risk[rung], p.incident_scale, self.inc_factor[:, i], u_incident[:, i]
                ).astype(np.int64)
            self.incident[:, i] = np.minimum(jump, p.n_rungs - 1 - rung)
            self.apparent[:, i] = rung + self.incident[:, i]
            self._log(
                jump != 0,
                "incident",
                actor=p.ids[i],
                rung=self.apparent[:, i],
                cause="scheduled" if i in forced else "accident",
            )

    # -- phase 3 -------------------------------------------------------------------------------
    def _channels(self, u_up: NDArray[np.float64]) -> None:
        p = self.p
        self.chan_up = dx.channel_up(self.chan_open, p.reliability, u_up)
        self.chan_up[:, p.public] = True
        path = np.full((len(self.reps), self.A, self.A), p.public, dtype=np.int64)
        for (i, j), chans in self._pair_channels().items():
            best = np.full(len(self.reps), p.public, dtype=np.int64)
            for c in reversed(chans):
                best = np.where(self.chan_up[:, c], c, best)
            path[:, i, j] = best
            path[:, j, i] = best
        self.path = path

    def _talks(self, u_agree: NDArray[np.float64], t: int) -> None:
        p = self.p
        a, b = p.power_a, p.power_b
        talking = self.path[:, a, b] != p.public
        if not talking.any() or self.G == 0:
            return
        # A summit between the powers intensifies talks whichever channel carries them.
        has = np.zeros(len(self.reps), dtype=bool)
        top = np.full(len(self.reps), -np.inf)
        for channel, _end, boost in self.summits:
            if {int(x) for x in p.channel_ends[channel]} == {a, b}:
                up = self.chan_up[:, channel]
                top = np.where(up, np.maximum(top, boost), top)
                has |= up
        boost_now = np.where(has, top, 1.0)
        trust = 0.5 * (self.trust[:, a, b] + self.trust[:, b, a])
        share = 0.5 * (self.rung[:, a] + self.rung[:, b]) / (p.n_rungs - 1)
        for g in range(self.G):
            if p.agreement_base[g] == 0:
                continue
            prob = dx.agreement_probability(p.agreement_base[g], trust, share, boost_now)
            hit = talking & (self.agreed[:, g] == -1) & (u_agree[:, g] < prob)
            if hit.any():
                self._agree(g, hit, t)

    def _agree(self, g: int, hit: NDArray[np.bool_], t: int) -> None:
        p = self.p
        a, b = p.power_a, p.power_b
        self.agreed[hit, g] = t
        self.agr_rungs[hit, g, 0] = self.rung[hit, a]
        self.agr_rungs[hit, g, 1] = self.rung[hit, b]
        self.counts["agreements"] += hit
        for i, j in ((a, b), (b, a)):
            shifted = dx.shift_trust(self.trust[:, i, j], p.agreement_trust[g])
            self.trust[:, i, j] = np.where(hit, shifted, self.trust[:, i, j])
        self._refresh_incident_factor()
        for c in range(self.C):
            if {int(x) for x in p.channel_ends[c]} == {a, b}:
                self.bonus[:, c] = np.where(
                    hit, self.bonus[:, c] + p.agreement_deconfliction[g], self.bonus[:, c]
                )
        if p.agreement_clarifies[g]:
            self.red_clear |= hit
        self._log(hit, "agreement", detail=f"{p.agreement_kind[g]} on {p.agenda_ids[g]}")
        if p.agenda_core[g] and p.core_settles:
            self.pending |= hit

    def _messages(
        self, u_honest: NDArray[np.float64], u_misread: NDArray[np.float64], t: int
    ) -> None:
        """Every actor tells each partner it reaches privately whether it is benign.

        As ``EscalationModel._messages``, for every linked pair at once (arrays ``[rep, pair]``,
        pairs in the agent model's sender-then-receiver order).
        """
        p = self.p
        send, recv = self.send, self.recv
        if len(send) == 0:
            return
        path = self.path[:, send, recv]
        sending = path != p.public  # public statements carry no private assurances
        truth = self.dchange[:, send] <= 0
        honest = u_honest[:, send, recv] < p.honesty[send]
        sent = np.where(honest, truth, True)
        resolve = np.where(honest, p.resolve[send], 1.0)
        misread = u_misread[:, send, recv] < p.misread[path]
        read = np.where(misread, ~sent, sent)
        self.counts["messages_sent"] += sending.sum(axis=1)
        self.counts["messages_misread"] += (sending & misread).sum(axis=1)
        slot = t % self.ring
        self.m_arrival[:, slot] = np.where(sending, t + p.latency[path], -1)
        self.m_sent[:, slot] = sent
        self.m_read[:, slot] = read
        self.m_resolve[:, slot] = resolve
        if (self.detail[:, None] & sending).any():
            for k in range(len(send)):
                self._log_message(k, sending, path, read, misread, honest)
        for s in range(max(1, t - self.max_latency), t + 1):
            due = self.m_arrival[:, s % self.ring] == t
            if due.any():
                self._receive(due, s, t)

    def _log_message(
        self,
        k: int,
        sending: NDArray[np.bool_],
        path: NDArray[np.int64],
        read: NDArray[np.bool_],
        misread: NDArray[np.bool_],
        honest: NDArray[np.bool_],
    ) -> None:
        p = self.p

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
        sent = self.m_sent[:, slot]
        read = sent if self.pi else self.m_read[:, slot]
        trust = self.trust[:, recv, send]
        hostility = self.hostility[:, recv, send]
        self.hostility[:, recv, send] = np.where(
            due, dx.message_update(hostility, read, trust), hostility
        )
        truth = self.hostility_true[:, recv, send]
        self.hostility_true[:, recv, send] = np.where(
            due, dx.message_update(truth, sent, trust), truth
        )
        resolve = self.adv_resolve[:, recv, send]
        self.adv_resolve[:, recv, send] = np.where(due, self.m_resolve[:, slot], resolve)
        if s < t:
            self._check_word(due, read, self.plog[:, slot])
        else:
            self.last_claim = np.where(due, read.astype(np.int8), self.last_claim)
        self.counts["messages_delivered"] += due.sum(axis=1)

    def _check_word(
        self, mask: NDArray[np.bool_], claim: NDArray[np.bool_], deed: NDArray[Any]
    ) -> None:
        """Trust from words against deeds, for the linked pairs in ``mask`` ([rep, pair])."""
        send, recv = self.send, self.recv
        consistent = ~(claim & (deed > 0))
        trust = self.trust[:, recv, send]
        self.trust[:, recv, send] = np.where(mask, dx.trust_update(trust, consistent), trust)
        self.counts["claims_checked"] += mask.sum(axis=1)
        self.counts["claims_contradicted"] += (mask & ~consistent).sum(axis=1)

    # -- phase 4 -------------------------------------------------------------------------------
    def _perceive(
        self,
        u_noise: NDArray[np.float64],
        u_dir: NDArray[np.float64],
        u_deconf: NDArray[np.float64],
        t: int,
    ) -> None:
        """Phase 4 (``StateAgent.perceive``) for the observed pairs (``obs_i`` sees ``obs_j``)."""
        p = self.p
        i, j = self.obs_i, self.obs_j
        before = self.perceived[:, i, j]
        if self.pi:
            seen = self.rung[:, j]
            move = np.sign(self.dchange[:, j])
        else:
            path = self.path[:, i, j]
            incident = self.incident[:, j]
            seen = dx.observe_rung(
                self.apparent[:, j], p.noise[path], u_noise[:, i, j], u_dir[:, i, j], p.n_rungs
            )
            deconf = np.minimum(
                1.0, p.deconfliction[path] + np.take_along_axis(self.bonus, path, axis=1)
            )
            explained = (incident > 0) & (path != p.public) & (u_deconf[:, i, j] < deconf)
            seen = np.where(explained, np.maximum(seen - incident, 0), seen)
            if self.red_clear.any():
                # A clarified red line: whether it is crossed is never misread.
                for k in self.power_pairs:
                    line = int(p.red_line[i[k]])
                    truth = self.rung[:, j[k]]
                    wrong = self.red_clear & ((seen[:, k] >= line) != (truth >= line))
                    seen[:, k] = np.where(wrong, truth, seen[:, k])
            move = dx.perceived_move(seen, before)
        self.perceived[:, i, j] = seen
        self.perceived[:, self.diag, self.diag] = self.rung
        self.pmove[:, i, j] = move
        self.plog[:, t % self.ring] = self.pmove[:, self.recv, self.send]

    def _count_perception(self) -> None:
        p = self.p
        for i in range(self.A):
            decides = self.joined[:, i] | bool(p.is_power[i])
            j = int(p.adversary[i])
            self.counts["observations"] += decides
            seen = self.perceived[:, i, j]
            error = decides & (seen != self.rung[:, j])
            self.counts["perception_errors"] += error
            truth = self.rung[:, j]
            self._log(
                error,
                "misperception",
                actor=p.ids[i],
                target=p.ids[j],
                rung=seen,
                detail=lambda idx, truth=truth: [f"true rung {v}" for v in truth[idx]],
            )
            alarm = decides & (self.pmove[:, i, j] > 0) & (self.dchange[:, j] <= 0)
            self.counts["false_alarms"] += alarm

    # -- phase 5 -------------------------------------------------------------------------------
    def _update_beliefs(self) -> None:
        """Phase 5 (``StateAgent.update_beliefs``) for the observed pairs."""
        i, j = self.obs_i, self.obs_j
        self.hostility[:, i, j] = dx.bayes_hostility(self.hostility[:, i, j], self.pmove[:, i, j])
        self.hostility_true[:, i, j] = dx.bayes_hostility(
            self.hostility_true[:, i, j], np.sign(self.dchange[:, j])
        )
        has = self.last_claim >= 0
        if has.any():
            deed = self.pmove[:, self.recv, self.send]
            self._check_word(has, self.last_claim == 1, deed)
            self.last_claim = np.where(has, np.int8(-1), self.last_claim)

    # -- phase 6 -------------------------------------------------------------------------------
    def _observation(self, i: int, truth: bool | None, pressure: Any) -> Observation:
        """``StateAgent.observation``: perceived, true, or (``truth=None``) both, stacked.

        Stacked, the fields that differ between the two (the adversary's rung, its move and
        the belief) have shape ``[2, R]``, perceived first; the others ``[R]``. A policy is
        elementwise, so one call on the stack decides on both, with the same draws.
        """
        p = self.p
        j = int(p.adversary[i])
        if truth:
            y, y_move = self.rung[:, j], np.sign(self.dchange[:, j])
            hostility = self.hostility_true[:, i, j]
        elif truth is None:
            y = np.stack([self.perceived[:, i, j], self.rung[:, j]])
            y_move = np.stack([self.pmove[:, i, j], np.sign(self.dchange[:, j])])
            hostility = np.stack([self.hostility[:, i, j], self.hostility_true[:, i, j]])
        else:
            y, y_move = self.perceived[:, i, j], self.pmove[:, i, j]
            hostility = self.hostility[:, i, j]
        return Observation(
            round=self.t,
            x=self.rung[:, i],
            y=y,
            y_move=y_move,
            own_move=self.last_move[:, i],
            hostility=hostility,
            trust=self.trust[:, i, j],
            committed=self.committed[:, i],
            capability_ratio=self._side_capability(j) / self._side_capability(i),
            cumulative_risk=self.cumrisk[:, i],
            adversary_resolve=self.adv_resolve[:, i, j],
            pressure=pressure,
            audience=float(dx.effective_audience_cost(p.audience_cost[i], p.domestic[i])),
        )

    def _raises(self, rung: NDArray[np.int64], move: NDArray[np.int64]) -> NDArray[np.bool_]:
        p = self.p
        return dx.target_rung(rung, move, p.jump, p.n_rungs) > rung

    def _decide(
        self, u_choice: NDArray[np.float64], t: int
    ) -> tuple[NDArray[np.int64], NDArray[np.bool_], NDArray[np.int64]]:
        p = self.p
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
            if spec.name == "human":
                move = np.full(n, self._human_move(i, t))
                truth_move = move
            else:
                traits = Actor(
                    index=i,
                    resolve=float(p.resolve[i]),
                    risk_tolerance=float(p.risk_tolerance[i]),
                    red_line=int(p.red_line[i]),
                )
                u = u_choice[:, i]
                if self.pi:
                    # The twin sees the truth: its choice is the truth-based one.
                    seen = self._observation(i, truth=True, pressure=pressure)
                    chosen, memory = policy.decide(seen, traits, p, spec, self.memory[i], u)
                    move = np.broadcast_to(chosen, (n,)).astype(np.int64)
                    truth_move = move
                else:
                    both = self._observation(i, truth=None, pressure=pressure)
                    chosen, memory = policy.decide(both, traits, p, spec, self.memory[i], u)
                    chosen = np.broadcast_to(chosen, (2, n)).astype(np.int64)
                    move, truth_move = chosen[0], chosen[1]
                    memory = tuple(np.broadcast_to(m, (2, n))[0] for m in memory)
                self.memory[i] = tuple(
                    np.where(decides, new, old)
                    for new, old in zip(memory, self.memory[i], strict=True)
                )
            raises = self._raises(x, move)
            miscalc = decides & (move != truth_move)
            self.counts["decisions"] += decides
            self.counts["miscalculations"] += miscalc
            cause = np.full(n, DELIBERATE)
            wrong = raises & ~self._raises(x, truth_move)
            cause[wrong] = MISCALCULATED
            self.counts["miscalculated_escalations"] += decides & wrong
            rest = raises & ~wrong
            if not p.is_power[i]:
                cause[rest] = THIRD_PARTY
            elif isinstance(policy, Quantal) and spec.name != "human":
                pushed = np.flatnonzero(rest & (np.asarray(pressure) != 0))
                if len(pushed):
                    # Would it have climbed without the pressure? Asked only where it matters
                    # (the policy is elementwise, so a subset gives the same answers).
                    seen = self._observation(i, truth=self.pi, pressure=0.0)
                    calm = Observation(
                        **{
                            f.name: _rows(getattr(seen, f.name), pushed, n)
                            for f in dataclasses.fields(seen)
                        }
                    )
                    memory_now = tuple(m[pushed] for m in self.memory[i])
                    calm_move, _ = policy.decide(calm, traits, p, spec, memory_now, u[pushed])
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

    def _human_move(self, i: int, t: int) -> int:
        actor_id = self.p.ids[i]
        moves = self.human_moves.get(actor_id, [])
        if t > len(moves):
            raise HumanMoveRequiredError(f"round {t}: no move given for {actor_id} (policy human)")
        return dx.MOVE_CODES[moves[t - 1]]

    # -- phase 7 -------------------------------------------------------------------------------
    def _move(
        self,
        move: NDArray[np.int64],
        deciding: NDArray[np.bool_],
        cause: NDArray[np.int64],
        u_impl: NDArray[np.float64],
        u_dir: NDArray[np.float64],
        u_fric: NDArray[np.float64],
        u_war: NDArray[np.float64],
    ) -> NDArray[np.bool_]:
        p = self.p
        a, b = p.power_a, p.power_b
        rung = self.rung
        # What it deliberately did: its choice after friction, without implementation error.
        deliberate = dx.friction(move, u_fric, p.friction)
        dchange = dx.target_rung(rung, deliberate, p.jump, p.n_rungs) - rung
        made = dx.implementation_error(move, rung, u_impl, p.implementation_error, u_dir, p.n_rungs)
        cause = np.where(made != move, ACCIDENT, cause)
        made = dx.friction(made, u_fric, p.friction)
        self.intended = np.where(deciding, move, dx.HOLD)
        self.dchange = np.where(deciding, dchange, 0)
        self.last_move = np.where(deciding, made, dx.HOLD)
        conceded = deciding & (made == dx.CONCEDE)
        before = rung
        self.rung = np.where(
            deciding, dx.target_rung(rung, self.last_move, p.jump, p.n_rungs), rung
        )
        change = self.rung - before
        for i in range(self.A):
            up, down = change[:, i] > 0, change[:, i] < 0
            if p.is_power[i]:
                self.counts["escalations"] += up
                self.counts["deescalations"] += down
                self.committed[:, i] |= up
            self.committed[:, i] &= ~down
            last = self.last_move[:, i]
            self._log(
                up,
                "escalation",
                actor=p.ids[i],
                rung=self.rung[:, i],
                move=lambda idx, last=last: _move_names(last[idx]),
                cause=lambda idx, c=cause[:, i]: list(_CAUSES[c[idx]]),
            )
            accident = self.intended[:, i] != last
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
        self.peak = np.maximum(self.peak, top)
        if p.nuclear_rung is not None:
            self.nuclear |= top >= p.nuclear_rung
        alive = ~self.ended
        # A concession ends the crisis at once, before this round's war draw.
        if p.capitulation:
            ca, cb = conceded[:, a], conceded[:, b]
            self._end(ca & cb, "settlement", "both powers backed down")
            self._end(ca & ~cb, "capitulation_a", f"{p.ids[a]} conceded")
            self._end(cb & ~ca, "capitulation_b", f"{p.ids[b]} conceded")
            alive &= ~(ca | cb)
        risk = dx.war_probability(p.war_risk, ra, rb, p.war_rung)
        for i in (a, b):
            self.cumrisk[:, i] = np.where(
                alive, dx.cumulative_risk(self.cumrisk[:, i], risk), self.cumrisk[:, i]
            )
        war = alive & (u_war < risk)
        if war.any():
            at_war_rung = (
                top >= p.war_rung if p.war_rung is not None else np.zeros(len(top), dtype=bool)
            )
            climber = np.where(ra >= rb, a, b)
            rows = np.arange(len(top))
            war_cause = np.where(at_war_rung, _CAUSES[cause[rows, climber]], "brinkmanship")
            self.war_cause = np.where(war, war_cause, self.war_cause)
            self._log(
                war,
                "war",
                actor=lambda idx: [p.ids[c] for c in climber[idx]],
                rung=self.rung[rows, climber],
                cause=war_cause,
            )
            self._end(war, "war")
            alive &= ~war
        settled = alive & self.pending
        self._end(settled, "settlement", "agreement on a core agenda item")
        alive &= ~settled
        low = top <= p.settlement_rung
        self.streak = np.where(alive, np.where(low, self.streak + 1, 0), self.streak)
        if p.settlement_rounds is not None:
            calm = alive & (self.streak >= p.settlement_rounds)
            streak = self.streak
            self._end(
                calm,
                "settlement",
                lambda idx: [f"{s} rounds at the lowest rungs" for s in streak[idx]],
            )
            alive &= ~calm
        return alive

    def _check_breaches(self, climbed: NDArray[np.bool_]) -> None:
        """Agreements broken this round (agent: ``EscalationModel._check_breaches``)."""
        p = self.p
        a, b = p.power_a, p.power_b
        for g in range(self.G):
            in_force = self.agreed[:, g] >= 0
            breakers = [
                in_force & climbed[:, i] & (self.rung[:, i] > self.agr_rungs[:, g, column] + 1)
                for column, i in enumerate((a, b))
            ]
            broken = breakers[0] | breakers[1]
            if not broken.any():
                continue
            self.agreed[broken, g] = -2  # broken: never again in this crisis
            self.counts["agreements_broken"] += broken
            for i, brk in zip((a, b), breakers, strict=True):
                other = b if i == a else a
                lowered = dx.shift_trust(self.trust[:, other, i], -p.agreement_breach_cost[g])
                self.trust[:, other, i] = np.where(brk, lowered, self.trust[:, other, i])
                self._log(brk, "agreement_broken", actor=p.ids[i], detail=p.agenda_ids[g])
            if p.agenda_core[g]:
                self.pending &= ~broken
        self._refresh_incident_factor()

    # -- phase 8 -------------------------------------------------------------------------------
    def _third_parties(self, alive: NDArray[np.bool_]) -> None:
        p = self.p
        a, b = p.power_a, p.power_b
        rows = np.arange(len(self.reps))
        for k in range(self.A):
            if p.is_power[k]:
                continue
            gap = (self.perceived[:, k, b] - self.perceived[:, k, a]).astype(float)
            self.alignment[:, k] = np.where(
                alive, dx.realign(self.alignment[:, k], gap), self.alignment[:, k]
            )
            if p.may_mediate[k]:
                hot = alive & (np.maximum(self.rung[:, a], self.rung[:, b]) >= 2)
                for c in range(self.C):
                    if p.channel_via[c] == k:
                        opening = hot & ~self.chan_open[:, c]
                        self.chan_open[:, c] |= opening
                        self._log(opening, "mediation", actor=p.ids[k], channel=p.channel_ids[c])
            patron = self._patron(k)
            foe = np.where(patron == a, b, a)
            if p.may_join[k]:
                joins = alive & ~self.joined[:, k] & (self.perceived[rows, k, foe] >= p.red_line[k])
                self.joined[:, k] |= joins
                self._log(
                    joins,
                    "involvement",
                    actor=p.ids[k],
                    target=lambda idx, patron=patron: [p.ids[c] for c in patron[idx]],
                    cause="third_party",
                )

    # -- results -------------------------------------------------------------------------------
    def _outcome_columns(self, rows: NDArray[np.bool_]) -> dict[str, Any]:
        p = self.p
        a, b = p.power_a, p.power_b
        c = {k: v[rows] for k, v in self.counts.items()}
        thirds = [k for k in range(self.A) if not p.is_power[k]]
        rung = self.rung[rows]

        def ratio(num: NDArray[np.int64], den: NDArray[np.int64]) -> NDArray[np.float64]:
            safe = np.where(den > 0, den, 1)
            return np.where(den > 0, num / safe, 0.0)

        outcome = np.array(OUTCOMES, dtype=object)[self.outcome_code[rows]]
        trust = self.trust[rows]
        return {
            "replication": self.reps[rows],
            "outcome": outcome,
            "end_round": self.end_round[rows],
            "war": outcome == "war",
            "war_cause": self.war_cause[rows],
            "nuclear": self.nuclear[rows],
            "peak_rung": self.peak[rows],
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
            "final_trust": 0.5 * (trust[:, a, b] + trust[:, b, a]),
            "polarisation": dx.polarisation(self.alignment[rows][:, thirds]),
        }


def _events_frame(
    records: list[tuple[NDArray[np.int64], str, dict[str, Any]]], condition: str
) -> pd.DataFrame:
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


def run_batch(
    scenario: Scenario | str,
    *,
    seed: int | None = None,
    replications: int | Sequence[int] = 1,
    condition: str | None = None,
    perfect_information: bool = False,
    human_moves: dict[str, list[str]] | None = None,
    keep: int | None = None,
    chunk: int = CHUNK,
    twin: bool = False,
) -> BatchRun:
    """Run replications of a scenario with the batch engine.

    Parameters
    ----------
    scenario : Scenario or str
        A validated scenario, a scenario file, or the name of a shipped scenario.
    seed : int, optional
        Root seed (default: the scenario's ``run.seed``).
    replications : int or sequence of int
        How many replications (0..R-1), or which replication indices.
    condition : str, optional
        A condition of the scenario to apply (default: the base scenario).
    perfect_information : bool
        Run the perfect-information twins.
    human_moves : dict, optional
        For actors with the ``human`` policy: actor id -> list of move names by round, the
        same in every replication.
    keep : int, optional
        Keep timeseries and events of replications with index below ``keep`` (default: all).
    chunk : int
        Replications that run together; bounds memory.
    twin : bool
        Also run each replication's perfect-information twin, in lockstep with it and on the
        same random blocks (drawn once for both); its outcome rows are ``twin_outcome``.

    Returns
    -------
    BatchRun
        The frames the agent model gives, replication by replication, concatenated: equal to
        ``EscalationModel(..., replication=r).run()`` for every r. Outcome rows come in the
        order of ``replications``; timeseries and events in increasing replication index.

    Raises
    ------
    ValueError
        For no replications, or indices that repeat or are negative, or ``twin`` with
        ``perfect_information``.
    HumanMoveRequiredError
        When an actor has the ``human`` policy and ``human_moves`` runs out.
    """
    spec = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if condition is not None:
        spec = with_condition(spec, condition)
    cond = condition or spec.condition_names[0]
    root = spec.run.seed if seed is None else int(seed)
    reps = (
        np.arange(replications, dtype=np.int64)
        if isinstance(replications, (int, np.integer))
        else np.asarray(list(replications), dtype=np.int64)
    )
    if len(reps) == 0:
        raise ValueError("run_batch needs at least one replication")
    if (reps < 0).any() or len(np.unique(reps)) != len(reps):
        raise ValueError("replication indices must be distinct and non-negative")
    sched = schedule(spec)
    p0 = sched.params_at[0]
    if twin and perfect_information:
        raise ValueError("twin=True adds the perfect-information twins to a run that has noise")
    layout = BlockLayout(p0.n_actors, p0.n_channels, p0.n_agenda)
    outcomes: list[dict[str, Any]] = []
    twins: list[dict[str, Any]] = []
    series: list[dict[str, Any]] = []
    events: list[tuple[NDArray[np.int64], str, dict[str, Any]]] = []
    for start in range(0, len(reps), max(1, int(chunk))):
        part = reps[start : start + max(1, int(chunk))]
        detail = part < keep if keep is not None else np.ones(len(part), dtype=bool)
        streams = _Streams(root, part, layout, spec.run.rounds)
        moves = human_moves or {}
        runs = [_Chunk(spec, sched, streams, part, detail, perfect_information, moves)]
        if twin:
            hidden = np.zeros(len(part), dtype=bool)
            runs.append(_Chunk(spec, sched, streams, part, hidden, True, moves))
        _advance(runs, streams)
        outcomes.append(_ordered(runs[0], part))
        if twin:
            twins.append(_ordered(runs[1], part))
        series.extend(runs[0]._series)
        events.extend(runs[0]._events)
    frame = _outcome_frame(outcomes, cond, root, perfect_information)
    return BatchRun(
        outcome=frame,
        timeseries=_series_frame(series, p0, cond),
        events=_events_frame(events, cond),
        twin_outcome=_outcome_frame(twins, cond, root, True) if twin else None,
    )


def _advance(runs: list[_Chunk], streams: _Streams) -> None:
    """Step the runs of a chunk in lockstep, drawing their shared random blocks."""
    lead = runs[0]
    t = 0
    while not all(run.over for run in runs):
        t += 1
        if streams.due(t):
            # The lead run's rows first, in order (it reads its blocks without copying), then
            # the streams only the other runs still need.
            order = lead.srow
            others = [run.srow[~run.finished] for run in runs[1:] if not run.over]
            if others:
                extra = np.setdiff1d(np.concatenate(others), order)
                order = np.concatenate([order, extra])
            streams.refill(t, order)
            lead.in_order = True
            for run in runs[1:]:
                run.in_order = False
        for run in runs:
            if not run.over:
                run.step()


def _ordered(run: _Chunk, part: NDArray[np.int64]) -> dict[str, Any]:
    """A finished run's outcome columns, in the order of ``part``."""
    done = {k: np.concatenate([d[k] for d in run._done]) for k in run._done[0]}
    order = np.argsort(done["replication"], kind="stable")
    position = np.searchsorted(done["replication"][order], part)
    return {k: v[order][position] for k, v in done.items()}


def _outcome_frame(
    outcomes: list[dict[str, Any]], cond: str, root: int, perfect_information: bool
) -> pd.DataFrame:
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
        | dict.fromkeys(int_columns, "int64")
        | {"war": bool, "nuclear": bool, "polarisation": float}
    )
    return frame


def _series_frame(parts: list[dict[str, Any]], p: Params, condition: str) -> pd.DataFrame:
    columns = [
        "replication",
        "round",
        "actor_index",
        "rung",
        "apparent",
        "perceived_adversary",
        "hostility",
        "trust",
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
            "hostility": data["hostility"],
            "trust": data["trust"],
            "alignment_a": data["alignment_a"],
            "committed": data["committed"],
            "joined": data["joined"],
        }
    )
    return frame


__all__ = ["CHUNK", "BatchRun", "run_batch"]
