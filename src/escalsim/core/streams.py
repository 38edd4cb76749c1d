"""Random streams: per-replication ``SeedSequence`` streams, and the layout of a round's block.

Replication ``r`` of a run with root seed ``s`` draws from three streams, each its own
``Generator(PCG64(SeedSequence(s, spawn_key=key)))``, so a replication's numbers do not depend on
how many replications run, in which order, on which worker or in which chunk:

* the **round stream**, key ``(r,)`` (the same stream as ``SeedSequence(s).spawn(n)[r]`` for any
  ``n > r``): each round, one block of ``BlockLayout.size`` uniforms on [0, 1), whatever happens
  in that round; every random decision of the round reads its own slot of the block, by name
  (:class:`Draws`). Both faces (the mesa agents and the ensembles) and a run's twin therefore
  consume exactly the same numbers;
* the **type stream**, key ``(r, 0)`` (the first child of the round stream's sequence): draws
  made once per replication, the actors' types (docs/decision-v2.md §3.3), identical across
  conditions, twins, layouts and path switches (:func:`type_uniforms`);
* the **display stream**, key ``(r, 1)``: what only the mesa face shows a student and nothing
  decides on (one third party's view of another), so that drawing it never moves the round
  stream (:class:`DisplayStreams`).

**The block's layout** (docs/decision-v2.md §9) is by structure: a slot is drawn only if some
condition of the scenario could read it, over the union of its conditions, its scheduled events
and the boolean fields its sweep varies (:func:`scenario_structure`), never by values, so that
every condition, twin and sweep point consumes the same numbers for the same slots (common
random numbers). (Version 1's layout, 6 slots per actor, one per channel and agenda item and 5
per ordered pair, sized by the condition that ran, went with version 1's decision rule: every
number it published was drawn in it, at commit 75ff556 and before.)

Slots are keyed by ids (an actor's, a channel's, an agenda item's, an ordered pair of actors'),
not by index, so a condition that drops an actor keeps every other
actor's draws.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from escalsim.core.params import Params, Schedule
    from escalsim.scenario import Scenario

#: What each slot is drawn over: an actor, a channel, an agenda item, an ordered pair of actors
#: (the first sees, sends to or talks with the second), or the round itself.
SLOT_KIND: dict[str, str] = {
    "incident": "actor",
    "implementation": "actor",
    "direction": "actor",
    "friction": "actor",
    "choice": "actor",
    "channel_up": "channel",
    "agreement": "agenda",
    "misread": "pair",
    "noise": "pair",
    "noise_direction": "pair",
    "deconfliction": "pair",
    "offer_read": "pair",
    "war": "round",
    "battle": "round",
    "exchange": "round",
    "pair_battle": "pair",
    "pair_exchange": "pair",
    "spillover": "pair",
    "spillover_source": "pair",
}

#: Uniforms per actor in the type stream, in order (docs/decision-v2.md §3.3).
TYPE_DRAWS = ("cost", "honesty")

Slot = tuple[str, tuple[str, ...]]
Pair = tuple[str, str]


def _merge(lists: Iterable[Sequence[str]]) -> tuple[str, ...]:
    """The ids of several lists, each once, in the order first seen."""
    return tuple(dict.fromkeys(x for ids in lists for x in ids))


@dataclass(frozen=True)
class Structure:
    """What the random block is laid out by: the ids that exist and the roles they can take.

    Values never enter (a noise of 0 or 0.1, a channel open or closed, a policy's name): only
    which actors, channels and agenda items exist and what can read a draw about them. The
    structure of several scenarios (conditions, rounds, sweep points) is their
    :meth:`union`.

    Attributes
    ----------
    actors, channels, agenda : tuple of str
        Every actor, channel and agenda item, in file order.
    deciders : tuple of str
        Actors that can decide: the powers, and third parties that may join.
    private : tuple of str
        Channels other than the public one (the public channel is always up).
    agreements : tuple of str
        Agenda items with an agreement to reach.
    linked : tuple of (str, str)
        Ordered pairs (sender, receiver) that a private channel joins.
    observed : tuple of (str, str)
        Ordered pairs (observer, observed) whose perception reaches a decision, a metric or a
        frame: every actor's view of each power, and each linked receiver's view of its sender.
    offers : tuple of (str, str)
        Ordered pairs (maker, reader) whose offers may be read: the two orders of the powers
        (whatever their policies, so that a condition or sweep point that gives a power a
        policy that opens the bargaining keeps every other draw).
    lasting : bool
        A war between the powers can last (``war.ends_run: false`` somewhere): its battles and
        the chance of a strategic exchange are drawn each round (docs/pair-wars.md §9).
    war_pairs : tuple of (str, str)
        The listed pairs (``war.pairs``; the power first) where wars can last: each draws a
        battle, an exchange, a spillover incident and its source per round (docs/pair-wars.md
        §9, steps 3 and 4).
    """

    actors: tuple[str, ...]
    deciders: tuple[str, ...]
    channels: tuple[str, ...]
    private: tuple[str, ...]
    agenda: tuple[str, ...]
    agreements: tuple[str, ...]
    linked: tuple[Pair, ...]
    observed: tuple[Pair, ...]
    offers: tuple[Pair, ...] = ()
    lasting: bool = False
    war_pairs: tuple[Pair, ...] = ()

    @classmethod
    def of_params(cls, p: Params) -> Structure:
        """The structure of one round's parameters."""
        ids, n = p.ids, p.n_actors
        powers = [b for b in range(n) if p.is_power[b]]
        linked = {(i, j) for i, j in p.private_links} | {(j, i) for i, j in p.private_links}
        observed = {(a, b) for a in range(n) for b in powers if a != b} | linked
        a, b = sorted((p.power_a, p.power_b))
        offers = ((ids[a], ids[b]), (ids[b], ids[a]))
        return cls(
            actors=tuple(ids),
            deciders=tuple(ids[i] for i in range(n) if p.is_power[i] or p.may_join[i]),
            channels=tuple(p.channel_ids),
            private=tuple(c for k, c in enumerate(p.channel_ids) if k != p.public),
            agenda=tuple(p.agenda_ids),
            agreements=tuple(
                g for k, g in enumerate(p.agenda_ids) if p.agreement_kind[k] != "none"
            ),
            linked=tuple((ids[i], ids[j]) for i, j in sorted(linked)),
            observed=tuple((ids[i], ids[j]) for i, j in sorted(observed)),
            offers=offers,
            lasting=not p.ends_run and p.war_rung is not None,
            war_pairs=(
                tuple((ids[int(i)], ids[int(j)]) for i, j in p.pair_sides)
                if not p.ends_run and p.war_rung is not None
                else ()
            ),
        )

    @classmethod
    def of_schedule(cls, sched: Schedule) -> Structure:
        """The union over every round of a compiled schedule (``set`` events included)."""
        distinct = list({id(q): q for q in sched.params_at}.values())
        first, *rest = [cls.of_params(q) for q in distinct]
        return first.union(*rest)

    def union(self, *others: Structure) -> Structure:
        """The structure of which each of these is a part: ids in the order first seen."""
        parts = (self, *others)
        actors = _merge(s.actors for s in parts)
        channels = _merge(s.channels for s in parts)
        agenda = _merge(s.agenda for s in parts)
        rank = {a: k for k, a in enumerate(actors)}

        def subset(ids: tuple[str, ...], chosen: Iterable[Sequence[str]]) -> tuple[str, ...]:
            keep = set(itertools.chain.from_iterable(chosen))
            return tuple(x for x in ids if x in keep)

        def pairs(chosen: Iterable[tuple[Pair, ...]]) -> tuple[Pair, ...]:
            every = set(itertools.chain.from_iterable(chosen))
            return tuple(sorted(every, key=lambda ab: (rank[ab[0]], rank[ab[1]])))

        return Structure(
            actors=actors,
            deciders=subset(actors, (s.deciders for s in parts)),
            channels=channels,
            private=subset(channels, (s.private for s in parts)),
            agenda=agenda,
            agreements=subset(agenda, (s.agreements for s in parts)),
            linked=pairs(s.linked for s in parts),
            observed=pairs(s.observed for s in parts),
            offers=pairs(s.offers for s in parts),
            lasting=any(s.lasting for s in parts),
            war_pairs=pairs(s.war_pairs for s in parts),
        )


def structure_slots(s: Structure) -> tuple[Slot, ...]:
    """The slots of a block laid out for ``s``, in block order.

    By structure (docs/decision-v2.md §9), a slot is drawn only where some phase can read it:

    ============================================  ===========================================
    slot                                          drawn for
    ============================================  ===========================================
    incident                                      every actor
    implementation, direction, friction, choice   actors that can decide
    channel_up                                    every channel but the public one
    agreement                                     agenda items with an agreement
    misread, deconfliction                        ordered pairs joined by a private channel
    noise, noise_direction                        the observed pairs
    offer_read                                    the two ordered pairs of powers
    war                                           once
    battle, exchange                              once, where a war between the powers can
                                                  last (``Structure.lasting``)
    pair_battle, pair_exchange, spillover,        each listed pair where wars can last
    spillover_source                              (``Structure.war_pairs``)
    ============================================  ===========================================

    A message's honesty is its sender's honesty type, drawn once per replication from the
    type stream (:func:`type_uniforms`), not a slot. Version 1's ``honesty`` and
    ``third_party`` slots, the diagonal pairs and the public channel's
    ``channel_up`` are not drawn.
    """
    out: list[Slot] = [("incident", (a,)) for a in s.actors]
    out += [
        (n, (a,)) for n in ("implementation", "direction", "friction", "choice") for a in s.deciders
    ]
    out += [("channel_up", (c,)) for c in s.private]
    out += [("agreement", (g,)) for g in s.agreements]
    out += [(n, ab) for n in ("misread", "deconfliction") for ab in s.linked]
    out += [(n, ab) for n in ("noise", "noise_direction") for ab in s.observed]
    out += [("offer_read", ab) for ab in s.offers]
    out.append(("war", ()))
    if s.lasting:  # after every part-1 slot: a scenario whose wars end the run draws as before
        out += [("battle", ()), ("exchange", ())]
    out += [
        (n, ab)
        for ab in s.war_pairs
        for n in ("pair_battle", "pair_exchange", "spillover", "spillover_source")
    ]
    return tuple(out)


@dataclass(frozen=True, eq=False)
class BlockLayout:
    """Where each random decision of a round reads its uniform in the round's block.

    Build it with :meth:`of` (a scenario) or from a :class:`Structure`. Two layouts are equal
    when they have the same slots in the same order: then they draw the same numbers for the
    same decisions.

    Attributes
    ----------
    structure : Structure
        What it is laid out for.
    """

    structure: Structure

    @classmethod
    def of(cls, scenario: Scenario, *, vary: Iterable[str] = ()) -> BlockLayout:
        """The layout runs of ``scenario`` draw their blocks in.

        Parameters
        ----------
        scenario : Scenario
            The scenario as loaded, with its conditions (a condition already applied works too,
            see :func:`scenario_structure`).
        vary : iterable of str
            Field paths a sweep varies over booleans, beside those of the scenario's ``sweep:``
            block.
        """
        key = (_canonical_hash(scenario), tuple(sorted(set(vary))))
        cached = _BY_STRUCTURE.get(key)
        if cached is None:
            cached = cls(scenario_structure(scenario, key[1]))
            if len(_BY_STRUCTURE) >= _CACHE_SIZE:
                _BY_STRUCTURE.pop(next(iter(_BY_STRUCTURE)))
            _BY_STRUCTURE[key] = cached
        return cached

    # -- what it draws -----------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BlockLayout):
            return NotImplemented
        return self.slots == other.slots

    def __hash__(self) -> int:
        return hash(self.slots)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without its caches (an experiment sends its layout with every task)."""
        return {"structure": self.structure}

    @cached_property
    def slots(self) -> tuple[Slot, ...]:
        """``(name, key)`` per uniform of the block, in block order.

        The key is an actor id, a channel id, an agenda item id, an ordered pair of actor ids,
        or empty (``war``).
        """
        return structure_slots(self.structure)

    @cached_property
    def _position(self) -> dict[Slot, int]:
        position = {slot: k for k, slot in enumerate(self.slots)}
        if len(position) != len(self.slots):
            raise ValueError("a slot is laid out twice")
        return position

    @property
    def size(self) -> int:
        """Uniforms per round."""
        return len(self.slots)

    @property
    def names(self) -> list[str]:
        """Slot names, in block order."""
        return list(dict.fromkeys(name for name, _ in self.slots))

    def count(self, name: str) -> int:
        """Uniforms of slot ``name`` per round."""
        return sum(1 for n, _ in self.slots if n == name)

    def offset(self, name: str) -> int:
        """Where slot ``name`` starts in the block (its uniforms are contiguous)."""
        return next(k for k, (n, _) in enumerate(self.slots) if n == name)

    def position(self, name: str, *key: str) -> int | None:
        """Where slot ``(name, key)`` is in the block (None: not drawn)."""
        return self._position.get((name, tuple(key)))

    def missing(self, needs: Structure) -> list[Slot]:
        """The slots a crisis of structure ``needs`` may read that this layout does not draw."""
        return [slot for slot in structure_slots(needs) if slot not in self._position]

    def bind(self, needs: Structure, p: Params) -> dict[str, NDArray[np.int64]]:
        """Each slot's positions in the block, over the index space of ``p``.

        Per-actor slots are arrays ``[actors]``, ``channel_up`` ``[channels]``, ``agreement``
        ``[agenda]``, per-pair slots ``[actors, actors]`` (``[i, j]``: i sees, sends to or talks
        with j), ``war`` a 0-d array; -1 where nothing is drawn.

        Raises
        ------
        ValueError
            When a crisis of structure ``needs`` (its own, over its schedule) could read a slot
            this layout does not draw: the layout was made for another scenario.
        """
        lost = self.missing(needs)
        if lost:
            shown = ", ".join(f"{n}{list(k)}" for n, k in lost[:4])
            raise ValueError(
                f"the random block's layout does not draw {len(lost)} slot(s) this scenario may "
                f"read ({shown}{', …' if len(lost) > 4 else ''}); it was laid out for another "
                "scenario (build it with BlockLayout.of on the scenario with its conditions)"
            )
        a = p.n_actors
        shapes = {
            "actor": (a,),
            "channel": (p.n_channels,),
            "agenda": (p.n_agenda,),
            "pair": (a, a),
            "round": (),
        }
        at = {name: np.full(shapes[kind], -1, dtype=np.int64) for name, kind in SLOT_KIND.items()}
        index = {
            "actor": {x: k for k, x in enumerate(p.ids)},
            "channel": {x: k for k, x in enumerate(p.channel_ids)},
            "agenda": {x: k for k, x in enumerate(p.agenda_ids)},
        }
        for k, (name, key) in enumerate(self.slots):
            kind = SLOT_KIND[name]
            ids = index["actor" if kind == "pair" else kind] if key else {}
            where = tuple(ids.get(x, -1) for x in key)
            if all(w >= 0 for w in where):  # an id of another condition: not this crisis's
                at[name][where] = k
        return at


class Draws:
    """One round's uniforms of a crisis's rows, read by slot name.

    ``take(name, *index)`` gives the uniforms of slot ``name`` at ``index`` in the crisis's index
    space (an actor, channel or agenda item index, or arrays of them; ``i, j`` for a pair), with
    the rows first: no phase indexes the block by hand.
    """

    __slots__ = ("at", "block")

    def __init__(self, block: NDArray[np.float64], at: dict[str, NDArray[np.int64]]) -> None:
        self.block, self.at = block, at

    def take(self, name: str, *index: Any) -> NDArray[np.float64]:
        """The uniforms of slot ``name`` at ``index``: shape ``[rows, *index's shape]``.

        Raises
        ------
        LookupError
            When one of them is not drawn in this layout (a phase reading a slot that the
            layout's table says nothing reads).
        """
        pos = self.at[name][index]
        missing = pos < 0
        if missing if pos.ndim == 0 else missing.any():  # one position: no reduction needed
            raise LookupError(f"slot {name}{list(index)} is not drawn in this block layout")
        return self.block[..., pos]


def scenario_structure(scenario: Scenario, vary: Iterable[str] = ()) -> Structure:
    """The union of a scenario's structure over its conditions, events and varied booleans.

    Each condition applied to ``scenario``, each round of its schedule (``set`` events), and
    every combination of values of the boolean fields its ``sweep:`` block varies and of the
    field paths ``vary`` (a sweep's own booleans), False and True.

    Given a scenario with a condition already applied, the other conditions are applied on top
    of it and any that no longer applies (it removes an event removed already) is left out: for
    every shipped scenario this gives the base's structure (tested), since their conditions
    change values, not structure. A condition that changes structure (drops an actor, adds an
    agreement) is only seen from the scenario as loaded: experiments build the layout there
    and hand it to every run (``Job.layout``).
    """
    from escalsim.core.params import schedule
    from escalsim.errors import ScenarioError
    from escalsim.scenario import with_condition

    variants = [scenario]
    for name in scenario.conditions:
        try:
            variants.append(with_condition(scenario, name))
        except (ScenarioError, KeyError):
            continue
    paths = sorted(set(_boolean_paths(scenario)) | set(vary))
    parts = [Structure.of_schedule(schedule(w)) for v in variants for w in _with_booleans(v, paths)]
    first, *rest = parts
    return first.union(*rest)


def _boolean_paths(scenario: Scenario) -> list[str]:
    """The paths a scenario's ``sweep:`` block varies over booleans."""
    block = scenario.sweep
    if block is None:
        return []
    return [
        path
        for path, values in block.vary.items()
        if isinstance(values, list) and values and all(isinstance(v, bool) for v in values)
    ]


def _with_booleans(scenario: Scenario, paths: Sequence[str]) -> list[Scenario]:
    """``scenario`` under every combination of False and True at ``paths`` that is valid."""
    if not paths:
        return [scenario]
    from escalsim.scenario import Scenario as Model
    from escalsim.scenario.paths import PathError, resolve

    data = scenario.model_dump(mode="python")
    out = []
    for values in itertools.product((False, True), repeat=len(paths)):
        variant = copy.deepcopy(data)
        try:
            for path, value in zip(paths, values, strict=True):
                target = resolve(variant, path)
                target.container[target.key] = value  # type: ignore[index]
            out.append(Model.model_validate(variant))
        except (PathError, ValueError):  # a path of a dropped item, an invalid combination
            continue
    return out or [scenario]


def _canonical_hash(scenario: Scenario) -> str:
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


#: Layouts by structure, by scenario and varied paths (building one validates every condition).
_BY_STRUCTURE: dict[tuple[str, tuple[str, ...]], BlockLayout] = {}
_CACHE_SIZE = 32


def replication_generator(root_seed: int, replication: int) -> np.random.Generator:
    """The round stream of one replication.

    Parameters
    ----------
    root_seed : int
        The run's root seed (non-negative).
    replication : int
        The replication's index (non-negative).

    Returns
    -------
    numpy.random.Generator
        PCG64 seeded by ``SeedSequence(root_seed, spawn_key=(replication,))``.
    """
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(root_seed, spawn_key=(replication,)))
    )


def type_generator(root_seed: int, replication: int) -> np.random.Generator:
    """The type stream of one replication: ``SeedSequence(root_seed, spawn_key=(r, 0))``."""
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(root_seed, spawn_key=(replication, 0)))
    )


def display_generator(root_seed: int, replication: int) -> np.random.Generator:
    """The display stream of one replication: ``SeedSequence(root_seed, spawn_key=(r, 1))``."""
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(root_seed, spawn_key=(replication, 1)))
    )


def type_uniforms(
    root_seed: int, replications: NDArray[np.int64] | Sequence[int], actors: int
) -> NDArray[np.float64]:
    """The once-per-replication draws: shape ``[len(replications), actors, len(TYPE_DRAWS)]``.

    Per replication, in stream order: each actor's cost then honesty draw, power A, power B,
    then (part 2 of issue 17) the third parties in file order. Drawn in that order, the first
    actors' draws do not depend on how many actors draw after them, so adding draws later never
    changes the powers'.
    """
    k = len(TYPE_DRAWS)
    out = np.empty((len(replications), actors, k))
    for row, r in enumerate(replications):
        type_generator(root_seed, int(r)).random(out=out[row])
    return out


class DisplayStreams:
    """Display streams of a crisis's replications: ``size`` uniforms per row and round.

    Stream ``s`` belongs to replication ``reps[s]`` (as ``Streams``); a crisis draws for its rows
    (their streams ``srow``) once in each round it computes what it displays.
    """

    def __init__(self, seed: int, reps: NDArray[np.int64], size: int) -> None:
        self.gens = [display_generator(seed, int(r)) for r in reps]
        self.size = size

    def draw(self, streams: NDArray[np.int64]) -> NDArray[np.float64]:
        """The display uniforms of ``streams`` for the round under way: ``[streams, size]``."""
        out = np.empty((len(streams), self.size))
        for row, s in enumerate(streams):
            self.gens[int(s)].random(out=out[row])
        return out


def draw_blocks(
    root_seed: int, replications: NDArray[np.int64] | list[int], rounds: int, size: int
) -> NDArray[np.float64]:
    """All blocks of several replications: shape ``[len(replications), rounds, size]``.

    Drawing ``rounds × size`` at once gives the same numbers as drawing ``size`` per round in
    turn, which is what the agent driver does.
    """
    return np.stack(
        [replication_generator(root_seed, int(r)).random((rounds, size)) for r in replications]
    )
