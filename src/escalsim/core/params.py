"""A validated scenario compiled into numpy arrays, and its deterministic schedule.

Both drivers read parameters from :class:`Params`, never from the pydantic models, so they see
the same numbers. Scheduled parameter changes (``set`` and ``election`` events) are the same in
every replication, so :func:`schedule` compiles them once: ``params_at[t]`` is what holds in
round ``t``. Whatever is random or depends on the replication (channel states, agreements,
beliefs) is state, kept by the drivers.

The fields of version 2 of the format (:data:`V2_FIELDS`: the stakes, the discount, the powers'
cost-of-war types and their priors, ...) are compiled here too, with the equations of
:mod:`escalsim.core.bargaining` (one home for each). The round reads the stakes, the discount,
the decisiveness, the types, their priors and the attribution (the bargaining of
docs/decision-v2.md §3), and ``commitment_problem`` (§3.9: the observation's ``shift_win``
and ``shift_rounds`` are filled only where it is on); ``divisible`` and ``agenda_divisible`` are
not read until the bargaining policy's offers are bundles (step 7 of its §12). :func:`type_prior`,
:func:`win_probabilities` and :func:`cost_types` are the one way a scenario's types become
arrays, used by the checks as well.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from escalsim.core import bargaining as bg
from escalsim.scenario.paths import resolve
from escalsim.scenario.schema import DEFAULT_DISCOUNT, Actor, CostTypes, ResolveTypes, Scenario

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: The fields of :class:`Params` that version 2 of the format adds (docs/decision-v2.md §10).
#: The round reads them all but ``divisible`` and ``agenda_divisible`` (§3.9).
V2_FIELDS = (
    "discount",
    "imposed",
    "status_quo",
    "divisible",
    "agenda_divisible",
    "agenda_salience",
    "talks_open",
    "commitment_problem",
    "held_by",
    "held_rung",
    "decisiveness",
    "attribution",
    "continuation",
    "mutual_share",
    "cost_types",
    "cost_prior",
)
#: The fields of :class:`Params` that version 3 of the format adds (docs/pair-wars.md §10). The
#: simulation reads those of the powers' war (step 2: docs/ODD.md §7.9a) and refuses a run that
#: needs the pairs' and the agenda's (step 3 of docs/pair-wars.md §12). At their defaults
#: (every version-2 scenario) they describe exactly version 2's behaviour.
V3_FIELDS = (
    "ends_run",
    "front_step",
    "exchange_value",
    "nuclear",
    "exchange_risk_scale",
    "war_advantage",
    "exchange_hazard",
    "strategic_rung",
    "pair_sides",
    "pair_status_quo",
    "pair_patron",
    "pair_support",
    "pair_cost",
    "pair_patron_stake",
    "pair_optimism",
    "pair_prior_battles",
    "pair_spillover_rate",
    "pair_spillover_touches",
    "pair_spillover_description",
    "pair_spillover_from_power",
    "at_start_sides",
    "at_start_intensity",
    "at_start_front",
    "at_start_since",
    "agenda_names",
    "agenda_ends_war",
)
#: A resolve below this is read as this when it is mapped to a cost of war: ρ = 0 (run no risk
#: at all) would be an infinite cost; 10⁻³ is a cost of about 1,000 times the stakes' flow, so
#: war is never worth it, and every type stays a finite number.
RESOLVE_FLOOR = 1e-3
#: A prior's weights sum to 1 within this.
PRIOR_TOLERANCE = 1e-6
#: A side's cost of a listed pair's war per round when ``war.pairs[].cost`` does not name it.
PAIR_WAR_COST = 0.1

#: ``resolve`` and ``war_cost`` given together agree when each type's cost is within this.
COST_TOLERANCE = 1e-3

TypeSpec = float | ResolveTypes | CostTypes


@dataclass(frozen=True)
class Params:
    """Everything the model equations need, as arrays (read-only by convention).

    Actor arrays are indexed in file order, channel arrays likewise. ``power_a`` and ``power_b``
    are the indices of the two powers; ``adversary[i]`` is the power that actor i faces (for a
    power: the other power; for a third party: the power it is less aligned with).

    ``resolve[i]`` is the actor's resolve as version 1 reads it: the point value, or the mean of
    its prior over types (for a power given by ``war_cost`` only, the mean resolve of its types,
    :func:`escalsim.core.bargaining.resolve_from_values`).

    Version 2 (:data:`V2_FIELDS`; docs/decision-v2.md §10):
    ``imposed`` (``[n_rungs]``: each rung's ``imposed_cost``, the flow cost a power holding it
    imposes on the other; §3.11), ``discount`` (δ per round), ``status_quo`` (``[2]``: the
    shares of ``power_a`` and ``power_b``), ``divisible`` and ``agenda_divisible`` (per item),
    ``agenda_salience`` (``[A, m]``: each actor's salience per agenda item, 0 where it names
    none; the values of the items when offers are bundles, §3.9), ``talks_open``
    (``stakes.talks_open``: offers posted and accepted only in rounds where it holds;
    :attr:`concessions` joins it to ``capitulation``), ``commitment_problem``,
    ``held_by`` and ``held_rung`` (``stakes.held_at``, a fait accompli: the holder's row, 0
    ``power_a``, 1 ``power_b``, -1 none, and the rung below which it holds none of the stakes;
    :func:`escalsim.core.bargaining.held_stakes`), ``decisiveness`` (m), ``attribution``
    (per actor, ``"naive"`` or ``"noisy"``: its own, else the scenario's), ``continuation``
    (``beliefs.continuation``: ``"hold"``, ``"best"``, ``"mutual"`` or ``"mixed"``, with
    ``mutual_share`` the weight of ``"mutual"`` in the mix; what the look-ahead expects the
    other to do instead of quitting), and the powers' cost-of-war
    types ``cost_types`` and their prior ``cost_prior`` (``[2, n]``, row 0 ``power_a``; costs in
    increasing order; a power with fewer types is padded with its last cost at prior 0). The
    types are the round-0 ones in every ``params_at[t]``: they are drawn once per replication.

    Version 3 (:data:`V3_FIELDS`; docs/pair-wars.md §10): the powers' war is read (docs/ODD.md
    §7.9a), and the listed pairs' wars and the agenda's ``ends_war`` (§7.9b,
    ``escalsim.model.pair_wars``); a version-2 scenario compiles them to their defaults:

    * ``ends_run``: the first war between the powers ends the run (version 2's ending; default
      true); ``front_step``: σ, how far a battle moves the front (default 0.1);
      ``exchange_value``: the value after a strategic exchange, in units of 1/(1 - δ) (None when
      the scenario has no exchange).
    * ``nuclear[A]``: nuclear-armed (default false); ``exchange_risk_scale[A]``: how each actor
      scales the exchange hazard it assumes (default 1).
    * ``war_advantage[n_rungs]``, ``exchange_hazard[n_rungs]``: per rung, 0 at and below the war
      rung (default 0 everywhere); ``strategic_rung``: its index, or None.
    * The listed pairs ``war.pairs``, P of them in file order: ``pair_sides[P, 2]`` (actor
      indices: the pair's power, then its other side), ``pair_status_quo[P, 2]`` (the sides'
      shares, in that order; 0.5 each by default), ``pair_patron[P]`` (the patron power's
      index, -1 when none; its client is the pair's other side), ``pair_support[P]``,
      ``pair_cost[P, 2]`` (each side's cost of the pair's war per round, same order; default
      :data:`PAIR_WAR_COST`), ``pair_patron_stake[P]`` (0 by default),
      ``pair_optimism[P, 2]`` (each side's, same order; 0 by default), ``pair_prior_battles[P]``,
      ``pair_spillover_rate[P]`` (0 when none), ``pair_spillover_touches[P]`` (actor index, -1
      when none) and ``pair_spillover_description[P]`` and ``pair_spillover_from_power[P]``.
    * The wars at start ``war.at_start``, S of them in file order: ``at_start_sides[S, 2]``
      (actor indices; for the powers' pair ``power_a`` first, else the power first),
      ``at_start_intensity[S, 2]`` (rung indices, same order), ``at_start_front[S, 2]`` (the
      shares held at round 1; default the pair's status quo, for the powers' pair
      ``status_quo``) and ``at_start_since[S]`` (a date or None).
    * ``agenda_names[A, m]``: whether item k names actor i; ``agenda_ends_war[m, 2]``: the actor
      indices of the pair whose war item k ends (power first, as above), -1 when none.
    """

    n_rungs: int
    rung_names: tuple[str, ...]
    costs: FloatArray
    imposed: FloatArray
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
    talks_open: bool
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
    # version 2 (V2_FIELDS)
    discount: float
    status_quo: FloatArray
    divisible: bool
    agenda_divisible: BoolArray
    agenda_salience: FloatArray
    commitment_problem: bool
    held_by: int
    held_rung: int
    decisiveness: float
    attribution: tuple[str, ...]
    continuation: str
    mutual_share: float
    cost_types: FloatArray
    cost_prior: FloatArray
    # version 3 (V3_FIELDS)
    ends_run: bool
    front_step: float
    exchange_value: float | None
    nuclear: BoolArray
    exchange_risk_scale: FloatArray
    war_advantage: FloatArray
    exchange_hazard: FloatArray
    strategic_rung: int | None
    pair_sides: IntArray
    pair_status_quo: FloatArray
    pair_patron: IntArray
    pair_support: FloatArray
    pair_cost: FloatArray
    pair_patron_stake: FloatArray
    pair_optimism: FloatArray
    pair_prior_battles: FloatArray
    pair_spillover_rate: FloatArray
    pair_spillover_touches: IntArray
    pair_spillover_description: tuple[str, ...]
    pair_spillover_from_power: FloatArray
    at_start_sides: IntArray
    at_start_intensity: IntArray
    at_start_front: FloatArray
    at_start_since: tuple[str | None, ...]
    agenda_names: BoolArray
    agenda_ends_war: IntArray

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

    @cached_property
    def opens_bargaining(self) -> bool:
        """Whether a power's policy may post an offer before receiving one.

        ``Policy.opens_bargaining`` of each power's policy. When none may, no offer is ever
        made in this round's parameters (docs/decision-v2.md §12, step 5b). Cached: ``Params``
        is frozen.
        """
        from escalsim.policies import POLICIES

        return any(
            POLICIES[spec.name].opens_bargaining(spec)
            for spec in (self.policies[self.power_a], self.policies[self.power_b])
        )

    @property
    def concessions(self) -> bool:
        """Whether a concession ends the crisis this round (``endings.capitulation``).

        A concession is a bargaining move: with the talks closed (``stakes.talks_open: false``)
        none is made, whatever ``capitulation`` says.
        """
        return self.capitulation and self.talks_open

    @cached_property
    def settles_by_offers(self) -> bool:
        """Whether a power may open the bargaining and the other accept an offer.

        Where so, an accepted offer is how the core agenda item is settled (version 1's
        agreement route for it goes, docs/decision-v2.md §5, phase 3); elsewhere offers, if
        any, cannot settle anything and the route stays (until step 6 of §12). Cached.
        """
        from escalsim.policies import POLICIES

        a, b = self.policies[self.power_a], self.policies[self.power_b]
        pa, pb = POLICIES[a.name], POLICIES[b.name]
        return (pa.opens_bargaining(a) and pb.accepts_offers(b)) or (
            pb.opens_bargaining(b) and pa.accepts_offers(a)
        )

    @cached_property
    def derived(self) -> dict[Any, Any]:
        """A cache for values other modules derive from these fields alone, a key each.

        Valid for the object's life because ``Params`` is frozen and its arrays are never
        written (read-only by convention, as the cached properties above assume);
        ``dataclasses.replace`` makes a new object, with an empty cache. Filled through
        :meth:`once` by ``escalsim.policies.bargaining`` (its joint types' costs, the onset's
        rungs, V_ex) and directly by its memos of rows.
        """
        return {}

    def once(self, key: Any, compute: Callable[[], Any]) -> Any:
        """The value derived under ``key`` (:attr:`derived`), ``compute()`` the first time.

        ``compute`` must depend on these fields alone, and must not return None.
        """
        hit = self.derived.get(key)
        if hit is None:
            hit = self.derived[key] = compute()
        return hit

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
    p_win = win_probabilities(s)
    types = [cost_types(s.actors[i], p) for i, p in zip(powers, p_win, strict=True)]
    n_types = max(len(grid) for grid, _ in types)
    cost_grid = np.array([np.pad(g, (0, n_types - len(g)), mode="edge") for g, _ in types])
    cost_prior = np.array([np.pad(w, (0, n_types - len(w))) for _, w in types])
    p_of = dict(zip(powers, p_win, strict=True))
    quo = s.stakes.status_quo or {}
    if ids[pa] in quo:
        status_quo = (quo[ids[pa]], quo.get(ids[pb], 1.0 - quo[ids[pa]]))
    elif ids[pb] in quo:
        status_quo = (1.0 - quo[ids[pb]], quo[ids[pb]])
    else:
        status_quo = (0.5, 0.5)
    # A fait accompli (stakes.held_at): the holder's row among the powers (0 power_a, 1
    # power_b; -1 none) and the rung below which it holds none of the stakes.
    held_by, held_rung = -1, 0
    for holder, rung in (s.stakes.held_at or {}).items():
        held_by, held_rung = (0 if ids.index(holder) == pa else 1), s.rung_index(rung)

    def agr_field(getter: Any, default: Any) -> list[Any]:
        return [getter(a) if a is not None else default for a in agr]

    def ordered(pair: list[str]) -> tuple[int, int]:
        """A pair's actor indices: the powers' pair power_a first, else its power first."""
        i, j = index[pair[0]], index[pair[1]]
        if {i, j} == {pa, pb}:
            return pa, pb
        return (i, j) if i in (pa, pb) else (j, i)

    def shares(given: dict[str, float] | None, sides: tuple[int, int]) -> tuple[float, float]:
        """Two sides' shares from a mapping that names one or both (0.5 each when none)."""
        given = given or {}
        x, y = ids[sides[0]], ids[sides[1]]
        if x in given:
            return given[x], given.get(y, 1.0 - given[x])
        if y in given:
            return 1.0 - given[y], given[y]
        return 0.5, 0.5

    wp = s.war.pairs
    pair_sides = [ordered(p.pair) for p in wp]
    pair_quo = {
        tuple(sorted(sides)): shares(p.stakes.status_quo, sides)
        for p, sides in zip(wp, pair_sides, strict=True)
    }
    starts = s.war.at_start
    start_sides = [ordered(w.pair) for w in starts]

    def front(w: Any, sides: tuple[int, int]) -> tuple[float, float]:
        if w.front is not None:
            return shares(w.front, sides)
        if set(sides) == {pa, pb}:
            return status_quo
        return pair_quo[tuple(sorted(sides))]

    return Params(
        n_rungs=len(rungs),
        rung_names=tuple(r.name for r in rungs),
        costs=np.array([r.cost for r in rungs]),
        imposed=np.array([r.imposed_cost for r in rungs]),
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
        talks_open=s.stakes.talks_open,
        implementation_error=s.accidents.implementation_error,
        incident_scale=s.accidents.incident_scale,
        ids=ids,
        is_power=np.array([a.role == "power" for a in s.actors]),
        power_a=pa,
        power_b=pb,
        adversary=adversary,
        capability=np.array([a.capability for a in s.actors]),
        resolve=np.array([resolve_point(a, p_of.get(i, 0.5)) for i, a in enumerate(s.actors)]),
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
        discount=(
            s.stakes.discount
            if s.stakes.discount is not None
            else DEFAULT_DISCOUNT[s.run.time_unit]
        ),
        status_quo=np.array(status_quo),
        divisible=s.stakes.divisible,
        agenda_divisible=np.array(
            [s.stakes.divisible if i.divisible is None else i.divisible for i in agenda], dtype=bool
        ),
        agenda_salience=np.array(
            [[item.salience.get(a.id, 0.0) for item in agenda] for a in s.actors], dtype=float
        ).reshape(len(s.actors), len(agenda)),
        commitment_problem=s.stakes.commitment_problem,
        held_by=held_by,
        held_rung=held_rung,
        decisiveness=s.war.decisiveness,
        attribution=tuple(a.attribution or s.beliefs.attribution for a in s.actors),
        continuation=s.beliefs.continuation,
        mutual_share=s.beliefs.mutual_share,
        cost_types=cost_grid,
        cost_prior=cost_prior,
        ends_run=s.war.ends_run,
        front_step=s.war.front_step,
        exchange_value=s.war.exchange_value,
        nuclear=np.array([a.nuclear for a in s.actors], dtype=bool),
        exchange_risk_scale=np.array([a.exchange_risk_scale for a in s.actors], dtype=float),
        war_advantage=np.array([r.war_advantage for r in rungs], dtype=float),
        exchange_hazard=np.array([r.exchange_hazard for r in rungs], dtype=float),
        strategic_rung=(
            None if s.ladder.strategic_rung is None else s.rung_index(s.ladder.strategic_rung)
        ),
        pair_sides=np.array(pair_sides, dtype=np.int64).reshape(len(wp), 2),
        pair_status_quo=np.array(
            [pair_quo[tuple(sorted(sides))] for sides in pair_sides], dtype=float
        ).reshape(len(wp), 2),
        pair_patron=np.array(
            [index[next(iter(p.patron.values()))] if p.patron else -1 for p in wp], dtype=np.int64
        ),
        pair_support=np.array([p.support for p in wp], dtype=float),
        pair_cost=np.array(
            [
                [(p.cost or {}).get(ids[side], PAIR_WAR_COST) for side in sides]
                for p, sides in zip(wp, pair_sides, strict=True)
            ],
            dtype=float,
        ).reshape(len(wp), 2),
        pair_patron_stake=np.array([p.patron_stake for p in wp], dtype=float),
        pair_optimism=np.array(
            [
                [(p.optimism or {}).get(ids[side], 0.0) for side in sides]
                for p, sides in zip(wp, pair_sides, strict=True)
            ],
            dtype=float,
        ).reshape(len(wp), 2),
        pair_prior_battles=np.array([p.prior_battles for p in wp], dtype=float),
        pair_spillover_rate=np.array(
            [p.spillover.rate if p.spillover else 0.0 for p in wp], dtype=float
        ),
        pair_spillover_touches=np.array(
            [index[p.spillover.touches] if p.spillover else -1 for p in wp], dtype=np.int64
        ),
        pair_spillover_description=tuple(
            p.spillover.description if p.spillover else "" for p in wp
        ),
        pair_spillover_from_power=np.array(
            [p.spillover.from_power if p.spillover else 0.5 for p in wp], dtype=float
        ),
        at_start_sides=np.array(start_sides, dtype=np.int64).reshape(len(starts), 2),
        at_start_intensity=np.array(
            [
                [s.rung_index(w.intensity[ids[k]]) for k in sides]
                for w, sides in zip(starts, start_sides, strict=True)
            ],
            dtype=np.int64,
        ).reshape(len(starts), 2),
        at_start_front=np.array(
            [front(w, sides) for w, sides in zip(starts, start_sides, strict=True)], dtype=float
        ).reshape(len(starts), 2),
        at_start_since=tuple(w.since for w in starts),
        agenda_names=np.array(
            [[a.id in item.names for item in agenda] for a in s.actors], dtype=bool
        ).reshape(len(s.actors), len(agenda)),
        agenda_ends_war=np.array(
            [ordered(item.ends_war) if item.ends_war else (-1, -1) for item in agenda],
            dtype=np.int64,
        ).reshape(len(agenda), 2),
    )


# ------------------------------------------------------------------------------------------------
# Types (version 2): the one way a scenario's types become arrays
# ------------------------------------------------------------------------------------------------
def type_prior(spec: TypeSpec) -> tuple[FloatArray, FloatArray]:
    """The types and their prior weights of a point value or a prior over types.

    A point value is one type of weight 1 (a degenerate prior: the type is known to both);
    ``{uniform: [lo, hi], types: n}`` is :func:`escalsim.core.bargaining.type_grid` with
    :func:`~escalsim.core.bargaining.uniform_prior` (one type when lo = hi); ``{grid, prior}``
    is the grid with its weights (equal when not given). Values in the file's order.
    """
    if isinstance(spec, (ResolveTypes, CostTypes)):
        if spec.uniform is not None:
            lo, hi = spec.uniform
            grid = bg.type_grid(lo, hi, spec.types or 1)
            return grid, bg.uniform_prior(len(grid))
        assert spec.grid is not None  # the checks require one of the two
        grid = np.array(spec.grid, dtype=float)
        if spec.prior is None:
            return grid, bg.uniform_prior(len(grid))
        return grid, np.array(spec.prior, dtype=float)
    return np.array([float(spec)]), np.array([1.0])


def prior_mean(spec: TypeSpec) -> float:
    """The prior mean of a point value or a prior over types.

    A uniform's mean is ``(lo + hi)/2`` exactly (the midpoint grid has the continuous uniform's
    mean, :func:`escalsim.core.bargaining.type_grid`); a grid's is the correctly rounded sum
    ``Σ π_k θ_k`` (``math.fsum``), so that a symmetric prior around a value has that value.
    """
    if isinstance(spec, (ResolveTypes, CostTypes)) and spec.uniform is not None:
        return 0.5 * (spec.uniform[0] + spec.uniform[1])
    grid, prior = type_prior(spec)
    return math.fsum(float(w) * float(g) for w, g in zip(prior, grid, strict=True))


def win_probabilities(s: Scenario) -> tuple[float, float]:
    """Each power's chance of winning a war at round 0 (``power_a`` first).

    Side strength ``K_i = κ_i + Σ_k π_k κ_k`` (:func:`escalsim.core.bargaining.side_strength`)
    with each third party weighted by ``π_k = may_join_k · a_k(i)``, its alignment share with i
    when it may join and 0 otherwise (nobody has joined at round 0); then
    :func:`~escalsim.core.bargaining.win_probability` with ``war.decisiveness`` (docs/decision-v2.md
    §3.1).
    """
    powers = [a for a in s.actors if a.role == "power"]
    thirds = [a for a in s.actors if a.role != "power"]
    ally_cap = np.array([a.capability for a in thirds])
    strengths = []
    for power in powers:
        share = np.array([(a.alignment or {}).get(power.id, 0.0) for a in thirds])
        joins = np.array([float(a.may_join) for a in thirds])
        strengths.append(bg.side_strength(power.capability, ally_cap, joins * share))
    with np.errstate(over="ignore", divide="ignore"):  # a decisive war between unequal sides
        p_a = float(bg.win_probability(strengths[0], strengths[1], s.war.decisiveness))
        p_b = float(bg.win_probability(strengths[1], strengths[0], s.war.decisiveness))
    return p_a, p_b


def cost_types(actor: Actor, p: float) -> tuple[FloatArray, FloatArray]:
    """A power's cost-of-war types, in increasing order, and their prior weights.

    From ``war_cost`` when it is given, else from ``resolve`` (:func:`costs_of_resolve`).
    """
    if actor.war_cost is not None:
        grid, prior = type_prior(actor.war_cost)
        order = np.argsort(grid, kind="stable")
        return grid[order], prior[order]
    assert actor.resolve is not None  # the checks require one of the two for a power
    return costs_of_resolve(actor.resolve, p)


def costs_of_resolve(spec: float | ResolveTypes, p: float) -> tuple[FloatArray, FloatArray]:
    """The cost-of-war types that a resolve (a point or a prior) means, increasing, with weights.

    :func:`escalsim.core.bargaining.cost_from_resolve`, ``c = 1/ρ - 1 + p`` with ρ at least
    :data:`RESOLVE_FLOOR`, at the power's chance of winning ``p`` (docs/decision-v2.md §3.3).
    """
    rho, prior = type_prior(spec)
    costs = np.asarray(bg.cost_from_resolve(np.maximum(rho, RESOLVE_FLOOR), p), dtype=float)
    order = np.argsort(costs, kind="stable")
    return costs[order], prior[order]


def resolve_point(actor: Actor, p: float) -> float:
    """The resolve version 1 reads: the point value or the prior mean of ``resolve``.

    For a power given by ``war_cost`` only, the prior mean of its types' resolves
    ``ρ = 1/(1 - p + c)`` (:func:`escalsim.core.bargaining.resolve_from_values` with
    ``V_prevail = 1``, ``V_submit = 0``, ``V_war = p - c``).
    """
    if actor.resolve is not None:
        return prior_mean(actor.resolve)
    assert actor.war_cost is not None  # the checks require one of the two
    grid, prior = type_prior(actor.war_cost)
    with np.errstate(divide="ignore", invalid="ignore"):  # p = 1 and c = 0: resolve 1
        rho = np.nan_to_num(bg.resolve_from_values(1.0, 0.0, p - grid), nan=1.0)
    return math.fsum(float(w) * float(r) for w, r in zip(prior, rho, strict=True))


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
            # The types are drawn once per replication, from the round-0 priors.
            current = dataclasses.replace(
                current, cost_types=base.cost_types, cost_prior=base.cost_prior
            )
        params_at.append(current)
    return Schedule(params_at, channel_events, summits, incidents, descriptions)
