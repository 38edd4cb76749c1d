"""A validated scenario compiled into numpy arrays, and its deterministic schedule.

Both drivers read parameters from :class:`Params`, never from the pydantic models, so they see
the same numbers. Scheduled parameter changes (``set`` and ``election`` events) are the same in
every replication, so :func:`schedule` compiles them once: ``params_at[t]`` is what holds in
round ``t``. Whatever is random or depends on the replication (channel states, agreements,
beliefs) is state, kept by the drivers.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from escalsim.policies.quantal import WEIGHTS
from escalsim.scenario.paths import resolve
from escalsim.scenario.schema import Scenario

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: Parameter order of the quantal policy's weights (defined with the policy).
QUANTAL_WEIGHTS = WEIGHTS


@dataclass(frozen=True)
class Params:
    """Everything the model equations need, as arrays (read-only by convention).

    Actor arrays are indexed in file order, channel arrays likewise. ``power_a`` and ``power_b``
    are the indices of the two powers; ``adversary[i]`` is the power that actor i faces (for a
    power: the other power; for a third party: the power it is less aligned with).
    """

    n_rungs: int
    rung_names: tuple[str, ...]
    costs: FloatArray
    incident_risk: FloatArray
    war_risk: FloatArray
    war_rung: int | None
    nuclear_rung: int | None
    jump: int
    friction: float
    settlement_rung: int
    settlement_rounds: int | None
    core_settles: bool
    capitulation: bool
    implementation_error: float
    incident_scale: float
    # actors
    ids: tuple[str, ...]
    is_power: BoolArray
    power_a: int
    power_b: int
    adversary: IntArray
    capability: FloatArray
    resolve: FloatArray
    risk_tolerance: FloatArray
    audience_cost: FloatArray
    honesty: FloatArray
    domestic: FloatArray
    red_line: IntArray
    initial_rung: IntArray
    alignment_a: FloatArray
    influence: FloatArray
    may_mediate: BoolArray
    may_join: BoolArray
    policies: tuple[Any, ...]
    # channels
    channel_ids: tuple[str, ...]
    channel_kind: tuple[str, ...]
    channel_ends: IntArray
    channel_via: IntArray
    noise: FloatArray
    misread: FloatArray
    latency: IntArray
    reliability: FloatArray
    deconfliction: FloatArray
    channel_open0: BoolArray
    public: int
    # agenda
    agenda_ids: tuple[str, ...]
    agenda_core: BoolArray
    agreement_base: FloatArray
    agreement_trust: FloatArray
    agreement_deconfliction: FloatArray
    agreement_incident_factor: FloatArray
    agreement_clarifies: BoolArray
    agreement_breach_cost: FloatArray
    agreement_kind: tuple[str, ...]

    @property
    def n_actors(self) -> int:
        """Number of actors."""
        return len(self.ids)

    @property
    def n_channels(self) -> int:
        """Number of channels."""
        return len(self.channel_ids)

    @property
    def n_agenda(self) -> int:
        """Number of agenda items."""
        return len(self.agenda_ids)

    @cached_property
    def private_links(self) -> dict[tuple[int, int], tuple[int, ...]]:
        """The private channels of every pair ``i < j`` that has one, best first.

        Best: the least noisy, then the fastest, then the first in the file. The public channel
        and channels with a missing or single end are no pair's. Cached: ``Params`` is frozen.
        """
        pairs: dict[tuple[int, int], list[int]] = {}
        for c in range(self.n_channels):
            if c == self.public:
                continue
            a, b = sorted(int(x) for x in self.channel_ends[c])
            if a < 0 or a == b:
                continue
            pairs.setdefault((a, b), []).append(c)
        return {
            pair: tuple(sorted(chans, key=lambda c: (float(self.noise[c]), float(self.latency[c]))))
            for pair, chans in pairs.items()
        }

    def private_channels(self, i: int, j: int) -> tuple[int, ...]:
        """The private channels between actors ``i`` and ``j``, best first (none: empty).

        The one definition of "the private channels between i and j": the path two actors talk
        and see each other through is the first of these that is up, else the public channel.
        """
        return self.private_links.get((min(i, j), max(i, j)), ())


def compile_params(s: Scenario) -> Params:
    """Compile a validated scenario into :class:`Params`.

    Parameters
    ----------
    s : Scenario
        A scenario that passed :func:`escalsim.scenario.load_text` (with its condition applied).

    Returns
    -------
    Params
    """
    rungs = s.ladder.rungs
    ids = tuple(a.id for a in s.actors)
    index = {a: i for i, a in enumerate(ids)}
    powers = [i for i, a in enumerate(s.actors) if a.role == "power"]
    pa, pb = powers
    alignment_a = np.array(
        [
            1.0 if i == pa else 0.0 if i == pb else (a.alignment or {}).get(ids[pa], 0.0)
            for i, a in enumerate(s.actors)
        ]
    )
    adversary = np.array(
        [
            pb if i == pa else pa if i == pb else (pb if alignment_a[i] >= 0.5 else pa)
            for i in range(len(ids))
        ],
        dtype=np.int64,
    )
    influence = np.array(
        [
            [(a.influence or {}).get(ids[pa], 0.0), (a.influence or {}).get(ids[pb], 0.0)]
            for a in s.actors
        ]
    )
    war = None if s.ladder.war_rung is None else s.rung_index(s.ladder.war_rung)
    top = len(rungs) - 1 if war is None else war
    red = np.array(
        [s.rung_index(a.red_line) if a.red_line is not None else top for a in s.actors],
        dtype=np.int64,
    )
    channels = s.channels
    ends = np.array(
        [[index[c.between[0]], index[c.between[1]]] if c.between else [-1, -1] for c in channels],
        dtype=np.int64,
    ).reshape(len(channels), 2)
    agenda = s.agenda
    agr = [item.agreement for item in agenda]

    def agr_field(getter: Any, default: Any) -> list[Any]:
        return [getter(a) if a is not None else default for a in agr]

    return Params(
        n_rungs=len(rungs),
        rung_names=tuple(r.name for r in rungs),
        costs=np.array([r.cost for r in rungs]),
        incident_risk=np.array([r.incident_risk for r in rungs]),
        war_risk=np.array([r.war_risk for r in rungs]),
        war_rung=war,
        nuclear_rung=None if s.ladder.nuclear_rung is None else s.rung_index(s.ladder.nuclear_rung),
        jump=s.ladder.jump,
        friction=s.ladder.deescalation_friction,
        settlement_rung=s.rung_index(s.endings.settlement_rung),
        settlement_rounds=s.endings.settlement_rounds,
        core_settles=s.endings.core_agreement_settles,
        capitulation=s.endings.capitulation,
        implementation_error=s.accidents.implementation_error,
        incident_scale=s.accidents.incident_scale,
        ids=ids,
        is_power=np.array([a.role == "power" for a in s.actors]),
        power_a=pa,
        power_b=pb,
        adversary=adversary,
        capability=np.array([a.capability for a in s.actors]),
        resolve=np.array([a.resolve for a in s.actors]),
        risk_tolerance=np.array([a.risk_tolerance for a in s.actors]),
        audience_cost=np.array([a.audience_cost for a in s.actors]),
        honesty=np.array([a.honesty for a in s.actors]),
        domestic=np.array([a.domestic_pressure for a in s.actors]),
        red_line=red,
        initial_rung=np.array([s.rung_index(a.initial_rung) for a in s.actors], dtype=np.int64),
        alignment_a=alignment_a,
        influence=influence,
        may_mediate=np.array([a.may_mediate for a in s.actors]),
        may_join=np.array([a.may_join for a in s.actors]),
        policies=tuple(a.policy for a in s.actors),
        channel_ids=tuple(c.id for c in channels),
        channel_kind=tuple(c.kind for c in channels),
        channel_ends=ends,
        channel_via=np.array([index[c.via] if c.via else -1 for c in channels], dtype=np.int64),
        noise=np.array([c.noise for c in channels]),
        misread=np.array([c.misread for c in channels]),
        latency=np.array([c.latency for c in channels], dtype=np.int64),
        reliability=np.array([c.reliability for c in channels]),
        deconfliction=np.array([c.deconfliction for c in channels]),
        channel_open0=np.array([c.open for c in channels]),
        public=next(i for i, c in enumerate(channels) if c.kind == "public"),
        agenda_ids=tuple(item.id for item in agenda),
        agenda_core=np.array([item.core for item in agenda], dtype=bool),
        agreement_base=np.array(agr_field(lambda a: a.base_probability, 0.0)),
        agreement_trust=np.array(agr_field(lambda a: a.effects.trust, 0.0)),
        agreement_deconfliction=np.array(agr_field(lambda a: a.effects.deconfliction, 0.0)),
        agreement_incident_factor=np.array(
            agr_field(lambda a: a.effects.incident_risk_factor, 1.0)
        ),
        agreement_clarifies=np.array(
            agr_field(lambda a: a.effects.clarifies_red_lines, False), dtype=bool
        ),
        agreement_breach_cost=np.array(agr_field(lambda a: a.breach_trust_cost, 0.0)),
        agreement_kind=tuple(agr_field(lambda a: a.kind, "none")),
    )


@dataclass(frozen=True)
class Schedule:
    """What the scenario's events do, round by round, identical in every replication.

    Attributes
    ----------
    params_at : list of Params
        ``params_at[t]`` holds in round t (index 0 is the initial state).
    channel_events : dict
        Round -> list of (channel index, open?) applied at the start of the round.
    summits : dict
        Round -> list of (channel index, duration, boost).
    incidents : dict
        Round -> list of (actor index, rungs).
    descriptions : dict
        Round -> list of plain-language descriptions of what the scenario makes happen.
    """

    params_at: list[Params]
    channel_events: dict[int, list[tuple[int, bool]]]
    summits: dict[int, list[tuple[int, int, float]]]
    incidents: dict[int, list[tuple[int, int]]]
    descriptions: dict[int, list[str]]


def schedule(s: Scenario) -> Schedule:
    """Compile the scenario's events into a :class:`Schedule`.

    ``set`` and ``election`` events change parameters from their round on; they are applied to
    the scenario itself and recompiled, so a parameter has one meaning wherever it is set.
    """
    rounds = s.run.rounds
    base = compile_params(s)
    channel_index = {c: i for i, c in enumerate(base.channel_ids)}
    actor_index = {a: i for i, a in enumerate(base.ids)}
    changes: dict[int, list[tuple[str, Any]]] = {}
    channel_events: dict[int, list[tuple[int, bool]]] = {}
    summits: dict[int, list[tuple[int, int, float]]] = {}
    incidents: dict[int, list[tuple[int, int]]] = {}
    descriptions: dict[int, list[str]] = {}
    for e in s.events:
        if e.description:
            descriptions.setdefault(e.round, []).append(e.description)
        if e.kind == "channel":
            channel_events.setdefault(e.round, []).append((channel_index[e.channel], e.open))
        elif e.kind == "summit":
            summits.setdefault(e.round, []).append(
                (channel_index[e.channel], e.duration, e.talks_boost)
            )
        elif e.kind == "incident":
            incidents.setdefault(e.round, []).append((actor_index[e.actor], e.rungs))
        elif e.kind == "election":
            changes.setdefault(e.round, []).append(
                (f"actors.{e.actor}.domestic_pressure", e.domestic_pressure)
            )
        elif e.kind == "set":
            changes.setdefault(e.round, []).append((e.path, e.value))
    params_at = [base]
    current = base
    data: dict[str, Any] | None = None
    for t in range(1, rounds + 1):
        if t in changes:
            if data is None:
                data = copy.deepcopy(s.model_dump(mode="python"))
            for path, value in changes[t]:
                target = resolve(data, path)
                target.container[target.key] = value  # type: ignore[index]
            current = compile_params(Scenario.model_validate(data))
        params_at.append(current)
    return Schedule(params_at, channel_events, summits, incidents, descriptions)
