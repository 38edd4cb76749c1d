"""What every policy is: its observation, its traits, its parameters and one decision.

A policy is a pure function of what the actor knows (an :class:`Observation`), its fixed traits
(an :class:`Actor`), the compiled scenario (:class:`escalsim.core.params.Params`), its own
parameters (an instance of its :attr:`Policy.Spec`, the pydantic model the scenario schema
validates), its own memory (a small tuple, returned updated) and one uniform draw ``u``. Purity
is what makes the *counterfactual decision* exact: the same policy is evaluated on the perceived
observation and on the true one, with the same memory and the same ``u``, and any difference is
a miscalculation.

Every rule is written with elementwise numpy operations, so one copy serves both faces of the
model: the mesa agents call it with scalars (one actor of one replication) and the ensembles
with arrays over replications (the fields of :class:`Observation`, the memory and ``u`` all
shaped ``[R]``, or ``[2, R]`` for the perceived and the true observation together); the move
comes back with the same shape. :class:`Actor` traits and ``round`` are scalars.

This module imports nothing from :mod:`escalsim.scenario` (the scenario schema imports the
policies to build its union), nor mesa.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from escalsim.core import bargaining as bg
from escalsim.core import dynamics as dx

if TYPE_CHECKING:
    from collections.abc import Iterable

    from escalsim.core.params import Params
    from escalsim.scenario.schema import Scenario

__all__ = [
    "ACTOR_TRAITS",
    "BRIEFING",
    "CHOICE_DRAWS",
    "INFORMATION",
    "OBSERVATION_FIELDS",
    "STRICT",
    "TIE",
    "TYPE_FIELDS",
    "Actor",
    "Briefing",
    "HumanMoveRequiredError",
    "Memory",
    "Move",
    "NonNegative",
    "Observation",
    "Policy",
    "PolicySpec",
    "Probability",
    "toward",
]

Memory = tuple[Any, ...]

#: Draws over which :meth:`Policy.choice_probabilities` averages a stochastic policy by default.
CHOICE_DRAWS = 64

#: Accepting wins a tie (Fearon 1995's convention, :func:`escalsim.core.bargaining.accepts`): the
#: bargaining policy accepts an offer worth within this of the annuity of its best other option,
#: when the offer is the best option. In units of the
#: stakes' flow per round: far below any difference the model means (a share of 10⁻⁹ of the
#: stakes), far above the rounding of a value recomputed from its annuity (10⁻¹⁵ relative).
TIE = 1e-9

#: The scenario format's model configuration (shared with :mod:`escalsim.scenario.schema`):
#: unknown keys are refused, NaN and infinities too, types are strict, models are frozen.
STRICT = ConfigDict(
    extra="forbid", strict=True, allow_inf_nan=False, frozen=True, validate_default=True
)
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
#: A move by name, as a scenario file writes it.
Move = Literal["step_down", "hold", "step_up", "jump", "concede"]


class PolicySpec(BaseModel):
    """Base of every policy's parameter model: a ``name`` literal and the policy's fields.

    A subclass narrows ``name`` to ``Literal["<its name>"]``, the tag of the schema's union.
    """

    model_config = STRICT

    name: str


#: A field of an observation: a scalar for one actor in one replication, or an array with one
#: value per replication (the model passes ``[R]`` arrays, and ``[2, R]`` for what is perceived
#: beside the truth); every policy is elementwise, so both forms decide alike.
Ints = int | NDArray[np.int64]
Floats = float | NDArray[np.float64]
Bools = bool | NDArray[np.bool_]


@dataclass(frozen=True)
class Observation:
    """What an actor knows when it decides (perceived, or the truth for the counterfactual).

    Each field is a scalar or an array over replications (:data:`Ints`, :data:`Floats`,
    :data:`Bools`).

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
    trust : float
        A power's trust in the other: the posterior probability that it is an honest type
        (docs/decision-v2.md §3.4); NaN for a third party.
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
    posterior : ndarray
        Belief over the other power's joint types (``[..., K]``, docs/decision-v2.md §3.4);
        NaN where the actor is not a power.
    offer_received : float
        The other's standing offer as read: the share of the stakes it offers this actor
        (NaN: none standing).
    own_offer : float
        Own standing offer: the share offered to the other (NaN: none).
    public_demand : float
        Own public demand ``1 − o`` after a public offer (NaN: none; §3.6).
    war_value : float
        ``W_i``, this round's value of war to the actor (§3.1).
    resolve : float
        The actor's drawn type as resolve, the largest risk of war it runs rather than concede
        (§3.3).
    war_cost : float
        The actor's drawn cost of war relative to its value for the stakes (§3.3).
    line_crossed : bool
        Its declared red line has been crossed and not answered (§3.7).
    shift_win : float
        The actor's chance of winning a war after the next scheduled change of capabilities
        (§3.9, the commitment problem): scheduled events are common knowledge, so the other
        power's is ``1 -`` this. NaN when the scenario has no commitment problem
        (``stakes.commitment_problem: false``) or no change is scheduled after this round.
    shift_rounds : float
        Rounds from this one until that change takes effect (k >= 1); NaN with ``shift_win``.
    at_war : bool
        The powers are at war with each other (wars that last, docs/pair-wars.md §3.1; both
        sides know it). False for a third party and where the first war ends the run.
    front : float
        The actor's share of the stakes held now (docs/pair-wars.md §3.3): the status quo until
        a war moves it. NaN for a third party.
    win : float
        The actor's chance of winning a war at intensity 0 this round (§3.1), the p of
        ``war_value``; NaN for a third party.
    """

    round: int
    x: Ints
    y: Ints
    y_move: Ints
    own_move: Ints
    trust: Floats
    committed: Bools
    capability_ratio: Floats
    cumulative_risk: Floats
    adversary_resolve: Floats
    pressure: Floats
    audience: Floats
    posterior: Floats = math.nan
    offer_received: Floats = math.nan
    own_offer: Floats = math.nan
    public_demand: Floats = math.nan
    war_value: Floats = math.nan
    resolve: Floats = math.nan
    war_cost: Floats = math.nan
    line_crossed: Bools = False
    shift_win: Floats = math.nan
    shift_rounds: Floats = math.nan
    at_war: Bools = False
    front: Floats = math.nan
    win: Floats = math.nan


@dataclass(frozen=True)
class Actor:
    """The fixed traits of the deciding actor that policies may use."""

    index: int
    resolve: float
    red_line: int


#: The names a policy's ``information`` may list: the fields of :class:`Observation` and the
#: traits of :class:`Actor` (``index`` is bookkeeping, not information).
OBSERVATION_FIELDS = tuple(f.name for f in dataclasses.fields(Observation))
ACTOR_TRAITS = tuple(f.name for f in dataclasses.fields(Actor) if f.name != "index")
INFORMATION = OBSERVATION_FIELDS + ACTOR_TRAITS
#: The fields of :class:`Observation` that carry the actor's drawn type (docs/decision-v2.md
#: §3.3-§3.4): a policy whose ``information`` names none of them chooses alike for every type,
#: so its moves say nothing about its type and the round need not evaluate it per type.
TYPE_FIELDS = ("posterior", "war_value", "resolve", "war_cost")


@dataclass(frozen=True)
class Briefing:
    """What the round tells a :attr:`Policy.briefed` policy beyond its observation.

    A policy that is not a function of numbers alone (the ``llm`` policy renders the scenario's
    text into a prompt and records each answer) needs to know which replications its rows are,
    whose turn it is and where to log; the round sets this in :data:`BRIEFING` around its
    ``decide`` call. Nothing else reads it, so the other policies stay pure functions.

    Attributes
    ----------
    scenario : Scenario
        The scenario (a condition applied).
    actor : str
        The deciding actor's id.
    replications : ndarray
        The replication of each row of the observation (its last axis).
    twin : bool
        The perfect-information twin is deciding (it sees the truth).
    phase : str
        ``"decide"``, or ``"calm"``: the counterfactual without third-party pressure.
    private : ndarray of bool
        Per row: a private channel to the adversary is up (words travel over it).
    log : callable
        ``log(rows, kind, fields)``: record an event for ``rows`` (positions in
        ``replications``), each field a list of values, one per row (only replications kept
        in detail are recorded).
    seed : int
        The run's root seed (with the replication, what a sampled answer is drawn for).
    said : dict
        What the LLM actors of this run last said, ``(twin, replication, actor) -> (round,
        text)``: the run's own (a new run, condition or chunk starts with none).
    """

    scenario: Scenario
    actor: str
    replications: NDArray[np.int64]
    twin: bool
    phase: str
    private: NDArray[np.bool_]
    log: Callable[[NDArray[np.int64], str, dict[str, Any]], None]
    seed: int = 0
    said: dict[tuple[bool, int, str], tuple[int, str]] = field(default_factory=dict)


#: The briefing of the decision being made (None outside a round, e.g. a policy called alone).
BRIEFING: ContextVar[Briefing | None] = ContextVar("escalsim_briefing", default=None)


class HumanMoveRequiredError(RuntimeError):
    """A policy played by a person was asked to decide without a move from its player."""


class Policy:
    """Base class: ``decide(obs, actor, params, spec, memory, u) -> (move, memory)``.

    A policy is one class with its parameter model and its classifier, in the style of the
    Axelrod library's strategies (Knight et al. 2016). The class attributes are its metadata;
    ``tests/test_policies.py::PolicyTest`` checks each of them against the policy's behaviour.

    Attributes
    ----------
    name : str
        The name a scenario file gives in ``policy: {name: ...}``; equal to the literal of
        ``Spec.name``.
    Spec : type[PolicySpec]
        The pydantic model of its parameters; the scenario schema's union of policies is built
        from these (:func:`escalsim.policies.registry.spec_union`).
    stochastic : bool
        Whether the decision depends on the draw ``u``.
    memory_depth : float
        Rounds of observations the decision depends on: 0, only the round number (no state of
        play); 1, the current observation (the model has already summarised the past in it:
        rungs, last moves, beliefs, cumulative risk); ``math.inf``, the policy keeps a memory
        of its own across rounds.
    information : tuple of str
        What it reads: names from :data:`INFORMATION` (observation fields and actor traits).
        Everything else may change without changing its decision.
    citation : str
        The literature the rule comes from.
    needs_player : bool
        A person chooses; the driver supplies the move and ``decide`` raises
        :class:`HumanMoveRequiredError`.
    bargains : bool
        Whether it makes offers (:meth:`offer`); a policy that does not bargain may still
        accept one (``decide`` returning ``dynamics.ACCEPT``). Whether it makes one before it
        has received one is :meth:`opens_bargaining`.
    powers_only : bool
        It decides on what only the two powers have (the posterior over the other power's
        types, the offers between them, a drawn cost of war), so a third party cannot have it:
        the scenario's checks refuse it at the actor's ``policy``.
    briefed : bool
        It reads a :class:`Briefing` (:data:`BRIEFING`) besides its inputs: which replications
        it decides for, the scenario's text, a log. The round sets one around its ``decide``
        calls for such a policy only.

    References
    ----------
    Knight, V., Campbell, O., Harper, M. et al. (2016). An open framework for the reproducible
    study of the iterated prisoner's dilemma. *Journal of Open Research Software* 4(1):e35.
    """

    name: ClassVar[str] = ""
    Spec: ClassVar[type[PolicySpec]] = PolicySpec
    stochastic: ClassVar[bool] = False
    memory_depth: ClassVar[float] = 1
    information: ClassVar[tuple[str, ...]] = ()
    citation: ClassVar[str] = ""
    needs_player: ClassVar[bool] = False
    bargains: ClassVar[bool] = False
    powers_only: ClassVar[bool] = False
    briefed: ClassVar[bool] = False

    @staticmethod
    def initial_memory() -> Memory:
        """The memory before the first decision."""
        return ()

    def problems(self, spec: Any, scenario: Scenario) -> Iterable[tuple[tuple[str, ...], str]]:
        """What this policy cannot work with in a scenario, beyond its own fields' ranges.

        The scenario's cross-checks (:mod:`escalsim.scenario.checks`) call it for every actor
        that has the policy, and report each finding at the actor's ``policy`` entry.

        Parameters
        ----------
        spec : PolicySpec
            The actor's policy parameters.
        scenario : Scenario
            The whole validated scenario.

        Returns
        -------
        iterable of (tuple of str, str)
            The field path below ``policy`` (e.g. ``("name",)``) and the message, per problem.
        """
        return ()

    def decide(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory, u: Any
    ) -> tuple[Any, Memory]:
        """Choose a move.

        Parameters
        ----------
        obs : Observation
            What the actor knows (scalars, or arrays over replications).
        actor : Actor
            Its fixed traits.
        params : Params
            The compiled scenario (ladder, costs, risks, jump).
        spec : PolicySpec
            The policy's parameters, an instance of :attr:`Spec`.
        memory : tuple
            Its memory, as returned by the previous decision (or :meth:`initial_memory`).
        u : float or ndarray
            One uniform draw in [0, 1) per decision.

        Returns
        -------
        move : int or ndarray
            A move code of :data:`escalsim.core.dynamics.MOVE_NAMES`, shaped like ``obs.x``.
        memory : tuple
            The updated memory.
        """
        raise NotImplementedError

    @classmethod
    def opens_bargaining(cls, spec: Any) -> bool:
        """Whether, with parameters ``spec``, it may post an offer before receiving one.

        When neither power's policy can, no offer is ever made: the round keeps version 1's
        agreement route for a core agenda item and the random block draws no ``offer_read``
        slot (docs/decision-v2.md §12, step 5b). The default: it does not.
        """
        return False

    @classmethod
    def accepts_offers(cls, spec: Any) -> bool:
        """Whether, with parameters ``spec``, its ``decide`` may accept an offer (``ACCEPT``).

        A crisis can be settled by an offer only if one power may open the bargaining and the
        other may accept; only then does an accepted offer replace version 1's agreement route
        for a core agenda item (docs/decision-v2.md §12, step 5b). The default: it may not.
        """
        return False

    def offer(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory
    ) -> Any:
        """The standing offer to post this round: the share of the stakes offered to the other.

        Called in the talks phase (docs/decision-v2.md §3.6), before ``decide``, on what the
        actor knows then (``obs.offer_received``: the other's offer as it has read it so far;
        ``obs.own_offer``: its own standing one). NaN: none (a standing offer is withdrawn).
        The default makes none (NaN, shaped like ``obs.x``); a policy with :attr:`bargains`
        overrides it.
        """
        return np.full(np.shape(obs.x), np.nan)

    def offers_per_type(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory
    ) -> Any:
        """:meth:`offer` for each of the actor's types, along the last axis of ``obs``.

        The round models a maker's offer per type to read its offer as evidence about its type
        (docs/decision-v2.md §3.6): every field of ``obs`` has the types as its last axis (the
        posterior, over the other's types, as its second to last), and only ``war_cost``,
        ``war_value`` and ``resolve`` vary along it. The default is :meth:`offer` on ``obs``; a
        policy whose offer is costly per type overrides this to compute what does not depend on
        its type once, with the same values to rounding.
        """
        return self.offer(obs, actor, params, spec, memory)

    def choice_probabilities(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory
    ) -> NDArray[np.float64]:
        """The probability of each option of ``bargaining.OPTIONS`` (last axis, 6) on ``obs``.

        What the other power's beliefs read as this policy's behaviour per type (the likelihood
        of a move, docs/decision-v2.md §3.4). The default is exact for a deterministic policy
        (the one-hot of ``decide``) and, for a stochastic one, the frequencies of ``decide``
        over :data:`CHOICE_DRAWS` evenly spaced draws ``(k + ½)/CHOICE_DRAWS`` (exact for a
        rule that compares ``u`` with thresholds on a grid of that step, an approximation
        within ``1/CHOICE_DRAWS`` per option otherwise); a policy with a closed form overrides
        it.
        """
        shape = np.shape(obs.x)
        draws = (np.arange(CHOICE_DRAWS) + 0.5) / CHOICE_DRAWS if self.stochastic else (0.5,)
        counts = np.zeros((*shape, len(bg.OPTIONS)))
        options = np.arange(len(bg.OPTIONS))
        for u in draws:
            move, _ = self.decide(obs, actor, params, spec, memory, np.full(shape, u))
            counts += bg.option_of(move)[..., None] == options
        return counts / len(draws)

    @classmethod
    def classifier(cls) -> dict[str, Any]:
        """The metadata as one mapping (Axelrod's ``classifier``)."""
        return {
            "stochastic": cls.stochastic,
            "memory_depth": cls.memory_depth,
            "information": cls.information,
            "needs_player": cls.needs_player,
            "bargains": cls.bargains,
        }


def status_quo_share(actor: Actor, params: Params) -> float:
    """``q_i``, the share of the stakes ``actor`` holds while the crisis is unresolved.

    ``Params.status_quo`` is per power (row 0: ``power_a``); a third party holds none (0).
    """
    if actor.index == params.power_a:
        return float(params.status_quo[0])
    if actor.index == params.power_b:
        return float(params.status_quo[1])
    return 0.0


def standing_demand(obs: Observation, actor: Actor, params: Params) -> Any:
    """What a conceding policy (``grit``) holds out for: ``1 -`` its standing offer, else ``q_i``.

    docs/decision-v2.md §6: an actor that has offered the other ``o`` keeps ``1 - o`` by it;
    without an offer of its own it asks for what it holds now, its status-quo share.
    """
    own = np.asarray(obs.own_offer, dtype=float)
    return np.where(np.isnan(own), status_quo_share(actor, params), 1.0 - own)


def accepting(obs: Observation, threshold: Any, move: Any) -> Any:
    """``ACCEPT`` where an offer stands that gives at least ``threshold``, else ``move``.

    A rule-based responder accepts ``s >= r`` (docs/decision-v2.md §3.6), ties included
    (:func:`escalsim.core.bargaining.accepts`, the rule the bargaining policy models it by);
    no offer (NaN) is never accepted.
    """
    received = np.asarray(obs.offer_received, dtype=float)
    if np.isnan(received).all():  # no offer anywhere (every scenario without an opener)
        return move
    return np.where(bg.accepts(received, threshold), dx.ACCEPT, move)


def mirror_offer(obs: Observation, actor: Actor, params: Params) -> Any:
    """The answer of a reciprocating policy to a standing offer: split the difference.

    Offered ``s``, it asks half-way between what it holds, its status-quo share ``q``, and the
    offer, ``(q + s)/2``, so it offers the other ``1 - (q + s)/2``; without an offer to answer
    it posts none (docs/decision-v2.md §6, ``reciprocal``). Its answer moves only when the
    offer moves, as tit-for-tat matches the other's last move: against a fixed offer it holds
    its answer, so it never gives in to an offer that does not move.
    """
    received = np.asarray(obs.offer_received, dtype=float)
    return np.where(
        np.isnan(received), np.nan, 1.0 - 0.5 * (status_quo_share(actor, params) + received)
    )


def toward(x: Any, target: Any, jump: int) -> Any:
    """The move that brings rung ``x`` toward ``target``: a jump for a gap of ``jump`` or more.

    Elementwise over arrays (the ensembles) as over scalars (the agents).

    Parameters
    ----------
    x, target : int or ndarray
        Current and target rungs.
    jump : int
        Rungs climbed by a jump (a jump is used only when ``jump > 1``).

    Returns
    -------
    int or ndarray
        Step down, hold, step up or jump.
    """
    x, target = np.asarray(x), np.asarray(target)
    up = np.where((jump > 1) & (target - x >= jump), dx.JUMP, dx.STEP_UP)
    return np.where(target > x, up, np.where(target < x, dx.STEP_DOWN, dx.HOLD))


def valid_memory_depth(depth: float) -> bool:
    """Whether ``depth`` is a memory depth: a non-negative integer or ``math.inf``."""
    return depth == math.inf or (depth >= 0 and float(depth).is_integer())
