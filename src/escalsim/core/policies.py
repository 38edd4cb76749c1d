"""Decision rules ("policies"): small classes behind one interface, registered by name.

In the style of the Axelrod library's strategies, each policy is a class with classifier
metadata and its literature in the docstring. A policy is a pure function of what the actor
knows (an :class:`Observation`), its parameters (the scenario's policy model), its own memory
(a small tuple, returned updated) and one uniform draw ``u``. Purity is what makes the
*counterfactual decision* exact: the same policy is evaluated on the perceived observation and
on the true one, with the same memory and the same ``u``, and any difference is a
miscalculation.

Every rule is written with elementwise numpy operations, so one copy serves both drivers: the
mesa agents call it with scalars (one actor of one replication) and the batch engine with
arrays over replications (the fields of :class:`Observation`, the memory and ``u`` all shaped
``[R]``); the move comes back with the same shape.

Parameters are validated by the scenario schema (``escalsim.scenario.schema``); this module
holds the behaviour. Every equation comes from :mod:`escalsim.core.dynamics`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, override

import numpy as np

from escalsim.core import dynamics as dx
from escalsim.core.params import QUANTAL_WEIGHTS, Params

Memory = tuple[int, ...]


@dataclass(frozen=True)
class Observation:
    """What an actor knows when it decides (perceived, or the truth for the counterfactual).

    Attributes
    ----------
    round : int
        The round being decided (1-based).
    x : int
        Own rung.
    y : int
        Adversary's rung as perceived.
    y_move : int
        Adversary's last move as perceived, -1/0/+1, with explained incidents discounted.
    own_move : int
        Own last move as made.
    hostility : float
        Belief that the adversary is hostile (intends to escalate).
    trust : float
        Trust in the adversary's words.
    committed : bool
        Whether the actor has publicly committed (backing down then costs audience costs).
    capability_ratio : float
        Adversary's capability over own (allies that joined count with their side).
    cumulative_risk : float
        Risk of war the actor has borne so far in this crisis.
    adversary_resolve : float
        The adversary's resolve as learnt from messages; NaN when unknown.
    pressure : float
        Net third-party pressure: > 0 asks for restraint, < 0 for firmness.
    audience : float
        Effective audience cost (audience cost scaled by domestic pressure).
    """

    round: int
    x: int
    y: int
    y_move: int
    own_move: int
    hostility: float
    trust: float
    committed: bool
    capability_ratio: float
    cumulative_risk: float
    adversary_resolve: float
    pressure: float
    audience: float


@dataclass(frozen=True)
class Actor:
    """The fixed traits of the deciding actor that policies may use."""

    index: int
    resolve: float
    risk_tolerance: float
    red_line: int


class Policy:
    """Base class: ``decide(obs, actor, params, spec, memory, u) -> (move, memory)``.

    Class attributes describe the rule, as Axelrod's classifiers do: ``stochastic`` (uses
    ``u``), ``memory_depth`` (rounds of history it uses; ``math.inf`` for unbounded),
    ``information`` (which observation fields it reads).
    """

    name: ClassVar[str] = ""
    stochastic: ClassVar[bool] = False
    memory_depth: ClassVar[float] = 1
    information: ClassVar[tuple[str, ...]] = ()

    @staticmethod
    def initial_memory() -> Memory:
        """The memory before the first decision."""
        return ()

    def decide(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory, u: float
    ) -> tuple[int, Memory]:
        """Choose a move; return it with the updated memory."""
        raise NotImplementedError


POLICIES: dict[str, Policy] = {}


def register(cls: type[Policy]) -> type[Policy]:
    """Class decorator: add a policy to :data:`POLICIES` under its ``name``."""
    POLICIES[cls.name] = cls()
    return cls


def toward(x: Any, target: Any, jump: int) -> Any:
    """The move that brings rung ``x`` toward ``target``: a jump for a gap of ``jump`` or more.

    Elementwise over arrays (the batch engine) as over scalars (the agents).
    """
    x, target = np.asarray(x), np.asarray(target)
    up = np.where((jump > 1) & (target - x >= jump), dx.JUMP, dx.STEP_UP)
    return np.where(target > x, up, np.where(target < x, dx.STEP_DOWN, dx.HOLD))


@register
class Quantal(Policy):
    """Utility-based quantal response: the default policy.

    Weighs the security deficit, the cost of the posture, the risk of war, audience costs,
    reciprocity and third-party pressure (:func:`dynamics.quantal_utilities`), and chooses by a
    logit of precision λ (:func:`dynamics.logit_choice`).

    References: McKelvey & Palfrey (1995), Quantal response equilibria for normal form games,
    *Games and Economic Behavior* 10:6-38; Jervis (1976); Fearon (1994); Schelling (1966).
    """

    name = "quantal"
    stochastic = True
    memory_depth = 1
    information = (
        "x",
        "y",
        "y_move",
        "hostility",
        "trust",
        "committed",
        "capability_ratio",
        "pressure",
        "audience",
    )

    def utilities(self, obs: Observation, actor: Actor, params: Params, spec: Any) -> np.ndarray:
        """Utilities of the four candidate moves (step down, hold, step up, jump)."""
        weights = np.array([getattr(spec, w) for w in QUANTAL_WEIGHTS])
        expected = dx.expected_adversary_rung(obs.y, obs.hostility, obs.trust)
        return dx.quantal_utilities(
            obs.x,
            expected,
            obs.capability_ratio,
            params.costs,
            params.war_risk,
            params.war_rung,
            actor.risk_tolerance,
            obs.audience,
            obs.committed,
            obs.y_move < 0,
            obs.pressure,
            params.jump,
            weights,
        )

    @override
    def decide(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory, u: float
    ) -> tuple[int, Memory]:
        index = dx.logit_choice(self.utilities(obs, actor, params, spec), spec.precision, u)
        return dx.CANDIDATE_MOVES[index], memory


@register
class Reciprocal(Policy):
    """Tit-for-tat on the ladder: move toward the adversary's perceived rung.

    On a two-rung ladder this is exactly tit-for-tat: restrain after restraint, escalate after
    escalation. Reference: Axelrod (1984), *The Evolution of Cooperation*.
    """

    name = "reciprocal"
    information = ("x", "y")

    @override
    def decide(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory, u: float
    ) -> tuple[int, Memory]:
        return toward(obs.x, obs.y, params.jump), memory


@register
class Generous(Policy):
    """Generous tit-for-tat: as :class:`Reciprocal`, but answers one rung lower with probability g.

    On two rungs: after the adversary escalated, restrain with probability g (Nowak & Sigmund
    1992); g = 1/3 is the value Wu & Axelrod (1995) study under noise.
    """

    name = "generous"
    stochastic = True
    information = ("x", "y")

    @override
    def decide(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory, u: float
    ) -> tuple[int, Memory]:
        forgive = (np.asarray(obs.y) > 0) & (np.asarray(u) < spec.generosity)
        return toward(obs.x, np.where(forgive, np.asarray(obs.y) - 1, obs.y), params.jump), memory


@register
class Grit(Policy):
    """GRIT: graduated reciprocation in tension reduction.

    Every ``step_down_every`` rounds it steps down unilaterally, announcing it; it answers a
    step up with a step up (no more), and after ``patience`` unreciprocated steps down it pauses
    until the adversary reciprocates. Reference: Osgood (1962), *An Alternative to War or
    Surrender*. Memory: (rounds since its last conciliatory step, unreciprocated steps).
    """

    name = "grit"
    memory_depth = math.inf
    information = ("x", "y_move")

    @staticmethod
    @override
    def initial_memory() -> Memory:
        return (0, 0)

    @override
    def decide(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory, u: float
    ) -> tuple[int, Memory]:
        since, unreciprocated = (np.asarray(m) for m in memory)
        y_move = np.asarray(obs.y_move)
        # Reciprocated: the count of unanswered steps down starts again.
        unreciprocated = np.where(y_move < 0, 0, unreciprocated)
        answer = y_move > 0  # a step up is answered with a step up, and the clock restarts
        since = since + 1
        conciliate = (
            ~answer
            & (since >= spec.step_down_every)
            & (unreciprocated < spec.patience)
            & (np.asarray(obs.x) > 0)
        )
        move = np.where(answer, dx.STEP_UP, np.where(conciliate, dx.STEP_DOWN, dx.HOLD))
        since = np.where(answer | conciliate, 0, since)
        unreciprocated = np.where(conciliate, unreciprocated + 1, unreciprocated)
        return move, (since, unreciprocated)


@register
class Hardliner(Policy):
    """Never steps down; answers a perceived step up, or a higher adversary, with a step up."""

    name = "hardliner"
    information = ("x", "y", "y_move")

    @override
    def decide(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory, u: float
    ) -> tuple[int, Memory]:
        up = (np.asarray(obs.y_move) > 0) | (np.asarray(obs.y) > np.asarray(obs.x))
        return np.where(up, dx.STEP_UP, dx.HOLD), memory


@register
class Deterrer(Policy):
    """Holds until the adversary crosses its red line, then responds; stands down after.

    Reference: Schelling (1966), *Arms and Influence*: deterrence by a clear commitment.
    """

    name = "deterrer"
    information = ("x", "y")

    @override
    def decide(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory, u: float
    ) -> tuple[int, Memory]:
        x, y = np.asarray(obs.x), np.asarray(obs.y)
        respond = dx.JUMP if spec.response == "jump" else dx.STEP_UP
        crossed = np.where(x > y, dx.HOLD, respond)
        below = np.where(x > y, dx.STEP_DOWN, dx.HOLD)
        return np.where(y >= actor.red_line, crossed, below), memory


@register
class Brinkmanship(Policy):
    """Raise the stakes while the risk stays bearable; hold while it does; then concede.

    Each round it steps up if the risk of war it has borne so far combined with next round's
    risk at the higher rung (:func:`dynamics.cumulative_risk`, :func:`dynamics.war_probability`)
    stays within its private resolve; otherwise it holds if holding stays within it; otherwise
    it concedes. It concedes at once if it has learnt that the adversary's resolve is higher.

    Closed form (the ``brinkmanship`` scenario, checked by the tests): two such powers start at
    rung 0 below a brink rung with per-round war risk r, the rung above it being war. Both step
    up to the brink in round 1 and hold it; the less resolved side, with resolve ρ_min,
    concedes in the first round n + 1 where ``1 - (1 - r)^(n+1) > ρ_min``, so war can break out
    in rounds 1..n* with ``n* = floor(log(1 - ρ_min) / log(1 - r))``, and
    ``P(war) = 1 - (1 - r)^n*`` when resolves stay private. A concession ends the crisis before
    that round's war draw. With an honest channel, resolves are known in round 1, the weaker
    side concedes at once and ``P(war) = 0``.

    References: Schelling (1960, 1966); Powell (1987), Crisis bargaining, escalation, and MAD,
    *APSR* 81:717-735; Fearon (1995) on private information and the incentive to misrepresent.
    """

    name = "brinkmanship"
    information = ("x", "cumulative_risk", "adversary_resolve")

    @override
    def decide(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory, u: float
    ) -> tuple[int, Memory]:
        known = np.asarray(obs.adversary_resolve)
        outmatched = ~np.isnan(known) & (known > actor.resolve)
        bearable = []
        for move in (dx.STEP_UP, dx.HOLD):
            rung = dx.target_rung(obs.x, move, params.jump, params.n_rungs)
            # The risk it runs by holding that rung itself: its own threat that leaves something
            # to chance. (A perceived adversary rung, possibly misperceived, plays no part, so
            # the closed form below holds whatever the perception noise.)
            risk = dx.war_probability(params.war_risk, rung, rung, params.war_rung)
            bearable.append(dx.cumulative_risk(obs.cumulative_risk, risk) <= actor.resolve)
        move = np.where(bearable[0], dx.STEP_UP, np.where(bearable[1], dx.HOLD, dx.CONCEDE))
        return np.where(outmatched, dx.CONCEDE, move), memory


@register
class MemoryOne(Policy):
    """Memory-one strategy on two rungs: restrain with probability p[own last, adversary last].

    ``p`` is ordered (restrained, restrained), (restrained, escalated), (escalated, restrained),
    (escalated, escalated), own rung first. References: Nowak & Sigmund (1993); Press & Dyson
    (2012), *PNAS* 109:10409.
    """

    name = "memory_one"
    stochastic = True
    information = ("x", "y")

    @override
    def decide(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory, u: float
    ) -> tuple[int, Memory]:
        cell = 2 * (np.asarray(obs.x) > 0) + (np.asarray(obs.y) > 0)
        restrain = np.asarray(u) < np.asarray(spec.p)[cell]
        return toward(obs.x, np.where(restrain, 0, 1), params.jump), memory


@register
class Scripted(Policy):
    """A fixed list of moves, then ``then`` for ever: for teaching and for tests."""

    name = "scripted"
    memory_depth = 0
    information = ("round",)

    @override
    def decide(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory, u: float
    ) -> tuple[int, Memory]:
        name = spec.moves[obs.round - 1] if obs.round <= len(spec.moves) else spec.then
        return np.full(np.shape(obs.x), dx.MOVE_CODES[name]), memory


class HumanMoveRequiredError(RuntimeError):
    """A ``human`` policy was asked to decide without a move from its player."""


@register
class Human(Policy):
    """A person chooses (seminar mode); the driver supplies the move."""

    name = "human"
    information = ("round",)

    @override
    def decide(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory, u: float
    ) -> tuple[int, Memory]:
        raise HumanMoveRequiredError(
            f"round {obs.round}: actor {actor.index} is played by a person; pass its moves"
        )
