"""Policies: one base test class every policy's test class inherits (the Axelrod library's
``TestPlayer``), then each policy's own known behaviour, then the registry against the schema,
the JSON Schema and the docs.

:class:`PolicyTest` checks the classifier a policy declares against what it does, on 2,000
observations drawn from a fixed seed and evaluated at once (the policies are elementwise):

- ``stochastic``: a deterministic policy decides the same under any draw ``u``; a stochastic
  one decides differently under another draw for at least one observation.
- ``information``: redrawing an input it does not list never changes its decision or its
  memory; redrawing one it lists changes its decision for at least one observation.
- ``memory_depth`` (Axelrod's ``test_memory_depth_upper_bound``): two histories of six rounds
  that agree on the last ``memory_depth`` observations (and the current draw) end in the same
  decision; and the depth is not overstated: histories that agree on one round fewer (for
  ``math.inf``, on the last two) end in different decisions for at least one observation.

The "at least one" checks are existence claims over 2,000 independent cases. Measured over
them, every declared input, draw and memory depth matters in 2% of cases or more (40 expected,
so a seed misses one with probability about e^-40; the rarest, version 1's quantal policy's risk
tolerance at 0.6%, went with that policy). So the fixed seed is not a seed found to pass: any
seed passes, and the seed only keeps the run reproducible (tier 2 of DESIGN.md §4, invariants).
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import re
import typing
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from escalsim.core import bargaining as bg
from escalsim.core import dynamics as dx
from escalsim.core.params import Params, compile_params
from escalsim.policies import (
    LLM,
    POLICIES,
    Actor,
    Bargaining,
    Brinkmanship,
    Deterrer,
    Generous,
    Grit,
    Hardliner,
    Human,
    HumanMoveRequiredError,
    MemoryOne,
    Observation,
    Policy,
    PolicySpec,
    Reciprocal,
    Scripted,
    register,
)
from escalsim.policies.base import ACTOR_TRAITS, INFORMATION, OBSERVATION_FIELDS
from escalsim.scenario import Scenario, load_scenario
from escalsim.scenario import schema as scenario_schema
from escalsim.scenario.jsonschema import scenario_schema as json_schema
from escalsim.scenario.load import with_settings

GENERIC, IPD, BRINKMANSHIP = (
    load_scenario(n) for n in ("generic-dispute", "ipd-noise", "brinkmanship")
)
PARAMS = compile_params(GENERIC)  # 5 rungs, war rung 4, jump 2
TWO = compile_params(IPD)  # 2 rungs, no war rung
BRINK = compile_params(BRINKMANSHIP)  # 3 rungs, brink risk 0.05, war above
#: generic-dispute with two cost types per power (so the drawn posteriors' TYPES = 4 joint
#: types fit) and both powers bargaining (so each models the other's quitting with λ = 20).
BARGAIN = with_settings(
    GENERIC,
    {
        "id": "generic-dispute-bargaining",
        **{f"actors.{a}.resolve": None for a in ("A", "B")},
        **{f"actors.{a}.war_cost": {"uniform": [0.1, 0.9], "types": 2} for a in ("A", "B")},
        **{f"actors.{a}.policy": {"name": "bargaining"} for a in ("A", "B")},
    },
)
COMPILED = {
    GENERIC.id: PARAMS,
    IPD.id: TWO,
    BRINKMANSHIP.id: BRINK,
    BARGAIN.id: compile_params(BARGAIN),
}
ACTOR = Actor(index=0, resolve=0.3, red_line=2)
ROOT = Path(__file__).resolve().parents[1]

N = 2000  # observations per check
ROUNDS = 6  # length of the histories of the memory-depth checks
#: A different value of each actor trait, for the information checks.
OTHER_TRAITS = {"resolve": 0.8, "red_line": 1}


def obs(**kw: object) -> Observation:
    """One observation (scalars): a calm middle of a crisis, changed by ``kw``."""
    base: dict[str, Any] = dict(
        round=1,
        x=1,
        y=1,
        y_move=0,
        own_move=0,
        trust=0.5,
        committed=False,
        capability_ratio=1.0,
        cumulative_risk=0.0,
        adversary_resolve=math.nan,
        pressure=0.0,
        audience=0.0,
    )
    base.update(kw)
    return Observation(**base)


def draw_field(name: str, n: int, rng: np.random.Generator, n_rungs: int) -> np.ndarray:
    """``n`` independent values of one observation field, over its whole range."""
    if name in ("x", "y"):
        return rng.integers(0, n_rungs, n)
    if name == "y_move":
        return rng.integers(-1, 2, n)
    if name == "own_move":
        return rng.integers(-1, 3, n)
    if name == "trust":
        return rng.uniform(0.01, 0.99, n)
    if name == "committed":
        return rng.random(n) < 0.5
    if name == "capability_ratio":
        return np.exp(rng.uniform(np.log(0.2), np.log(5.0), n))
    if name == "cumulative_risk":
        return rng.uniform(0.0, 1.0, n)
    if name == "adversary_resolve":
        return np.where(rng.random(n) < 0.5, np.nan, rng.uniform(0.0, 1.0, n))
    if name == "pressure":
        return rng.uniform(-1.0, 1.0, n)
    if name == "audience":
        return rng.uniform(0.0, 3.0, n)
    if name == "posterior":  # over TYPES joint types, a trailing axis
        return rng.dirichlet(np.ones(TYPES), n)
    if name in ("offer_received", "own_offer", "public_demand"):
        return np.where(rng.random(n) < 0.3, np.nan, rng.uniform(0.0, 1.0, n))
    if name == "war_value":
        return rng.uniform(-10.0, 10.0, n)
    if name == "resolve":
        return rng.uniform(0.0, 1.0, n)
    if name == "war_cost":
        return rng.uniform(0.0, 2.0, n)
    if name == "line_crossed":
        return rng.random(n) < 0.5
    if name == "shift_win":  # NaN: no shift scheduled (or no commitment problem)
        return np.where(rng.random(n) < 0.3, np.nan, rng.uniform(0.0, 1.0, n))
    if name == "shift_rounds":
        return np.where(rng.random(n) < 0.3, np.nan, rng.integers(1, 4, n).astype(float))
    if name == "at_war":
        return rng.random(n) < 0.5
    if name in ("front", "win"):
        return rng.uniform(0.0, 1.0, n)
    raise KeyError(name)


#: Joint types of the drawn posteriors (two cost types, honest or strategic).
TYPES = 4


def _element(value: np.ndarray, k: int) -> Any:
    """Replication ``k`` of a field as the agents pass it: a scalar (a vector for a field
    with a trailing axis, the posterior)."""
    return value[k] if value.ndim > 1 else value[k].item()


def _halves(value: np.ndarray, half: int) -> np.ndarray:
    """A field shaped ``[2, half]`` (perceived and true stacked), a trailing axis kept."""
    return value.reshape(2, half, *value.shape[1:])


def draw_observations(
    n: int, rng: np.random.Generator, n_rungs: int, round_: int = 1
) -> Observation:
    """``n`` observations as arrays (``round`` is a scalar, as the drivers pass it)."""
    fields = {f: draw_field(f, n, rng, n_rungs) for f in OBSERVATION_FIELDS if f != "round"}
    return Observation(round=round_, **fields)


def same(a: Any, b: Any) -> np.ndarray:
    """Elementwise equality of two moves or two memories."""
    if isinstance(a, tuple):
        out = np.ones(np.shape(a[0]) if a else (), dtype=bool)
        for left, right in zip(a, b, strict=True):
            out &= np.asarray(left) == np.asarray(right)
        return out
    return np.asarray(a) == np.asarray(b)


class PolicyTest:
    """What every policy owes; each policy's test class inherits it and sets the attributes.

    Attributes
    ----------
    policy : type[Policy]
        The class under test.
    expected_classifier : dict
        What the test expects it to declare: ``stochastic``, ``memory_depth``,
        ``information`` (as a set) and ``needs_player``.
    spec : dict
        Its parameters for the checks (the required ones, and values under which every
        declared input and the draw can matter).
    scenario : Scenario
        The scenario whose ladder the checks run on (compiled: ``self.params``).
    """

    policy: ClassVar[type[Policy]]
    expected_classifier: ClassVar[dict[str, Any]]
    spec: ClassVar[dict[str, Any]] = {}
    scenario: ClassVar[Scenario] = GENERIC

    @property
    def params(self) -> Params:
        return COMPILED[self.scenario.id]

    # -- helpers ---------------------------------------------------------------------------
    @property
    def instance(self) -> Policy:
        return POLICIES[self.policy.name]

    def make_spec(self, **kw: Any) -> PolicySpec:
        return self.policy.Spec(name=self.policy.name, **{**self.spec, **kw})

    def decide(
        self,
        o: Observation,
        u: Any = 0.5,
        memory: tuple[Any, ...] | None = None,
        actor: Actor = ACTOR,
        spec: PolicySpec | None = None,
        params: Params | None = None,
    ) -> tuple[Any, tuple[Any, ...]]:
        if memory is None:
            memory = tuple(np.full(np.shape(o.x), m) for m in self.instance.initial_memory())
        return self.instance.decide(
            o, actor, params or self.params, spec or self.make_spec(), memory, u
        )

    def skip_if_played_by_person(self) -> None:
        if self.policy.needs_player:
            pytest.skip("a person chooses: decide() raises (tested in the policy's own class)")

    def cases(self, seed: int = 0) -> tuple[Observation, np.ndarray, np.random.Generator, Any]:
        """``N`` observations of round ``ROUNDS``, their draws, and the memory the policy has
        reached after ``ROUNDS - 1`` random rounds (so a stateful policy is checked in every
        state it can reach, not only its first)."""
        rng = np.random.default_rng(seed)
        memory = tuple(np.full(N, m) for m in self.instance.initial_memory())
        if not self.policy.needs_player:
            for t in range(1, ROUNDS):
                o = draw_observations(N, rng, self.params.n_rungs, round_=t)
                _, memory = self.decide(o, rng.random(N), memory)
        o = draw_observations(N, rng, self.params.n_rungs, round_=ROUNDS)
        return o, rng.random(N), rng, memory

    # -- the classifier and the registry ---------------------------------------------------
    def test_is_registered_under_its_name(self):
        assert type(POLICIES[self.policy.name]) is self.policy
        assert scenario_schema.POLICY_MODELS[self.policy.name] is self.policy.Spec

    def test_classifier(self):
        got = {**self.policy.classifier(), "information": set(self.policy.information)}
        assert got == self.expected_classifier
        assert set(self.policy.information) <= set(INFORMATION)

    def test_docstring_cites_its_source(self):
        doc = inspect.getdoc(self.policy) or ""
        assert "References\n----------" in doc  # numpy style
        assert self.policy.citation.strip()
        assert (self.policy.Spec.__doc__ or "").strip()  # the schema's description

    def test_spec_validates_the_check_parameters(self):
        spec = self.make_spec()
        assert spec.name == self.policy.name
        assert type(spec).model_validate(spec.model_dump()) == spec

    def test_works_with_the_scenario_of_its_checks(self):
        """Its scenario checks find nothing in the scenario its behaviour checks run on."""
        assert list(self.instance.problems(self.make_spec(), self.scenario)) == []

    # -- behaviour every policy owes -------------------------------------------------------
    def test_moves_are_valid_and_shaped_like_the_observation(self):
        self.skip_if_played_by_person()
        o, u, _, m = self.cases()
        move, memory = self.decide(o, u, m)
        assert np.shape(move) == (N,)
        assert np.isin(move, list(dx.MOVE_NAMES)).all()
        assert len(memory) == len(self.instance.initial_memory())

    def test_is_pure(self):
        """The same inputs give the same decision, and the inputs are left as they were."""
        self.skip_if_played_by_person()
        o, u, _, m = self.cases()
        before = {f: np.copy(getattr(o, f)) for f in OBSERVATION_FIELDS}
        first = self.decide(o, u, m)
        again = self.decide(o, u, m)
        assert same(first[0], again[0]).all()
        assert same(first[1], again[1]).all()
        for f in OBSERVATION_FIELDS:
            np.testing.assert_array_equal(getattr(o, f), before[f])

    def test_arrays_decide_as_scalars_do(self):
        """The drivers' contract: the agents pass scalars, the ensembles arrays over
        replications, or ``[2, R]`` (perceived and true observations stacked) with ``[R]``
        memory and draws; every element decides as it would alone."""
        self.skip_if_played_by_person()
        o, u, _, m = self.cases()
        batch, reached = self.decide(o, u, m)

        def rows(index: Any) -> Observation:
            return Observation(
                round=o.round, **{f: getattr(o, f)[index] for f in OBSERVATION_FIELDS[1:]}
            )

        for k in range(40):
            one = Observation(
                round=o.round, **{f: _element(getattr(o, f), k) for f in OBSERVATION_FIELDS[1:]}
            )
            move, memory = self.decide(one, float(u[k]), tuple(x[k].item() for x in m))
            assert int(move) == batch[k]
            assert same(memory, tuple(x[k] for x in reached))
        half = N // 2
        stacked = Observation(
            round=o.round,
            **{f: _halves(getattr(o, f), half) for f in OBSERVATION_FIELDS[1:]},
        )
        ours = tuple(x[:half] for x in m)
        both = np.broadcast_to(self.decide(stacked, u[:half], ours)[0], (2, half))
        np.testing.assert_array_equal(both[0], self.decide(rows(slice(0, half)), u[:half], ours)[0])
        np.testing.assert_array_equal(both[1], self.decide(rows(slice(half, N)), u[:half], ours)[0])

    def test_choice_probabilities_are_a_distribution_that_puts_decide_in_its_support(self):
        """Over the options, shaped like the observation; every move ``decide`` makes on a
        draw has positive probability; a deterministic policy's is the one-hot of its move."""
        self.skip_if_played_by_person()
        o, u, _, m = self.cases()
        probs = self.instance.choice_probabilities(o, ACTOR, self.params, self.make_spec(), m)
        assert probs.shape == (N, len(bg.OPTIONS))
        assert (probs >= 0).all()
        np.testing.assert_allclose(probs.sum(axis=-1), 1.0, rtol=0, atol=1e-12)
        move, _ = self.decide(o, u, m)
        chosen = np.take_along_axis(probs, bg.option_of(move)[:, None], axis=-1)[:, 0]
        if self.policy.stochastic:
            # The default averages 64 evenly spaced draws: a move made on some draw can fall
            # between them only if its band of draws is narrower than 1/64.
            assert (chosen > 0).mean() > 0.9
        else:
            np.testing.assert_array_equal(chosen, 1.0)

    def test_offers_only_if_it_bargains(self):
        self.skip_if_played_by_person()
        o, _, _, m = self.cases()
        offer = np.asarray(self.instance.offer(o, ACTOR, self.params, self.make_spec(), m))
        assert offer.shape == (N,)
        if not self.policy.bargains:
            assert np.isnan(offer).all()
        else:
            made = offer[~np.isnan(offer)]
            assert ((made >= 0) & (made <= 1)).all()

    def test_stochastic_as_declared(self):
        self.skip_if_played_by_person()
        o, u, rng, m = self.cases()
        differs = ~same(self.decide(o, u, m)[0], self.decide(o, rng.random(N), m)[0])
        assert differs.any() == self.policy.stochastic

    def test_reads_only_its_information(self):
        """Redrawing any input it does not list changes neither its move nor its memory."""
        self.skip_if_played_by_person()
        o, u, rng, m = self.cases()
        move, memory = self.decide(o, u, m)
        unused = [f for f in INFORMATION if f not in self.policy.information]
        for field, (other_move, other_memory) in self._redrawn(o, u, m, rng, unused):
            unchanged = same(move, other_move) & same(memory, other_memory)
            assert unchanged.all(), f"{field} is not declared but changes the decision"

    def test_uses_all_its_information(self):
        """Each input it lists changes its decision for some observation."""
        self.skip_if_played_by_person()
        o, u, rng, m = self.cases()
        move, _ = self.decide(o, u, m)
        matters = dict.fromkeys(self.policy.information, False)
        for field, (other_move, _) in self._redrawn(o, u, m, rng, self.policy.information):
            matters[field] |= bool((~same(move, other_move)).any())
        assert all(matters.values()), f"declared but never matters: {matters}"

    def _redrawn(
        self, o: Observation, u: np.ndarray, m: Any, rng: np.random.Generator, fields: Any
    ) -> typing.Iterator[tuple[str, tuple[Any, tuple[Any, ...]]]]:
        for field in fields:
            if field == "round":
                for r in (1, 2, 3, 4, 5, 9):  # against round ROUNDS (a script's turns, say)
                    yield field, self.decide(dataclasses.replace(o, round=r), u, m)
                continue
            # A name may be both a trait and a field (``resolve``: the trait of version 1 and
            # the drawn type): both are redrawn.
            if field in ACTOR_TRAITS:
                actor = dataclasses.replace(ACTOR, **{field: OTHER_TRAITS[field]})
                yield field, self.decide(o, u, m, actor=actor)
            if field in OBSERVATION_FIELDS:
                value = draw_field(field, N, rng, self.params.n_rungs)
                yield field, self.decide(dataclasses.replace(o, **{field: value}), u, m)

    # -- memory depth ----------------------------------------------------------------------
    def _history_pair(self, agree: int, seed: int = 1) -> tuple[Any, Any]:
        """The last decisions after two histories that agree on the last ``agree`` rounds.

        Every round has its own observations and draws; the current draw is always shared (it
        is not history). The memory is carried from round to round as the drivers carry it.
        """
        rng = np.random.default_rng(seed)
        n_rungs = self.params.n_rungs
        memories = [tuple(np.full(N, m) for m in self.instance.initial_memory())] * 2
        moves: list[Any] = [None, None]
        for t in range(1, ROUNDS + 1):
            shared = t > ROUNDS - agree
            o_a, u_a = draw_observations(N, rng, n_rungs, round_=t), rng.random(N)
            o_b = o_a if shared else draw_observations(N, rng, n_rungs, round_=t)
            u_b = u_a if shared or t == ROUNDS else rng.random(N)
            moves[0], memories[0] = self.decide(o_a, u_a, memories[0])
            moves[1], memories[1] = self.decide(o_b, u_b, memories[1])
        return moves[0], moves[1]

    def test_memory_depth_upper_bound(self):
        """Histories that agree on the last ``memory_depth`` rounds end in the same decision."""
        self.skip_if_played_by_person()
        depth = self.policy.memory_depth
        if depth == math.inf:
            return
        a, b = self._history_pair(agree=int(depth))
        assert same(a, b).all()

    def test_memory_depth_is_not_overstated(self):
        """Histories that agree on one round fewer (on two, for an unbounded memory) differ."""
        self.skip_if_played_by_person()
        depth = self.policy.memory_depth
        if depth == 0:
            return
        a, b = self._history_pair(agree=2 if depth == math.inf else int(depth) - 1)
        assert (~same(a, b)).any()


# ------------------------------------------------------------------------------------------------
# One test class per policy: its classifier, the parameters the checks use, its own behaviour
# ------------------------------------------------------------------------------------------------
class TestBargaining(PolicyTest):
    """The classifier checks; its known answers and invariants are in
    tests/test_bargaining_policy.py."""

    policy = Bargaining
    scenario = BARGAIN
    expected_classifier: ClassVar[dict[str, Any]] = {
        "stochastic": True,
        "memory_depth": 1,
        "information": {
            "x",
            "y",
            "posterior",
            "offer_received",
            "own_offer",
            "public_demand",
            "war_value",
            "war_cost",
            "committed",
            "audience",
            "line_crossed",
            "shift_win",
            "shift_rounds",
        },
        "needs_player": False,
        "bargains": True,
    }

    def test_every_move_it_makes_has_positive_probability(self):
        """Its ``choice_probabilities`` are exact, not the default's 64-draw average, so every
        move ``decide`` makes has positive probability (the base class asks it of 90%);
        tests/test_bargaining_policy.py compares them with ``decide`` draw by draw."""
        o, u, _, m = self.cases()
        probs = self.instance.choice_probabilities(o, ACTOR, self.params, self.make_spec(), m)
        move, _ = self.decide(o, u, m)
        chosen = np.take_along_axis(probs, bg.option_of(move)[:, None], axis=-1)[:, 0]
        assert (chosen > 0).all()


class TestReciprocal(PolicyTest):
    policy = Reciprocal
    expected_classifier: ClassVar[dict[str, Any]] = {
        "stochastic": False,
        "memory_depth": 1,
        "information": {"x", "y", "offer_received"},
        "needs_player": False,
        "bargains": True,
    }

    def test_copies_the_adversary_on_two_rungs(self):
        """On two rungs this is tit-for-tat: its next rung is the adversary's."""
        for x in (0, 1):
            for y in (0, 1):
                move, _ = self.decide(obs(x=x, y=y), params=TWO)
                assert dx.target_rung(x, move, TWO.jump, 2) == y

    def test_closes_a_gap_of_a_jump_with_a_jump(self):
        assert self.decide(obs(x=0, y=2))[0] == dx.JUMP  # generic-dispute: jump 2
        assert self.decide(obs(x=0, y=1))[0] == dx.STEP_UP
        assert self.decide(obs(x=3, y=0))[0] == dx.STEP_DOWN

    def test_never_offers_first_and_answers_with_the_mirror_offer(self):
        """docs/decision-v2.md §6: no offer without one to answer; then it asks half-way between
        its status-quo share (generic-dispute's 0.4 for A) and the offer read, whatever its own
        standing offer, so against an offer that does not move its answer does not move."""
        spec, m = self.make_spec(), self.instance.initial_memory()
        assert np.isnan(self.instance.offer(obs(), ACTOR, self.params, spec, m))
        first = self.instance.offer(obs(offer_received=0.3), ACTOR, self.params, spec, m)
        assert first == pytest.approx(1 - (0.4 + 0.3) / 2)
        again = self.instance.offer(
            obs(offer_received=0.3, own_offer=first), ACTOR, self.params, spec, m
        )
        assert again == first

    def test_accepts_an_offer_that_keeps_its_status_quo_and_never_gives_in(self):
        assert self.decide(obs(offer_received=0.4))[0] == dx.ACCEPT  # the tie: q = 0.4
        assert self.decide(obs(offer_received=0.39))[0] == dx.HOLD
        assert self.decide(obs(offer_received=0.0, own_offer=0.99))[0] == dx.HOLD


class TestGenerous(PolicyTest):
    policy = Generous
    expected_classifier: ClassVar[dict[str, Any]] = {
        "stochastic": True,
        "memory_depth": 1,
        "information": {"x", "y", "offer_received"},
        "needs_player": False,
        "bargains": True,
    }

    def test_forgives_with_probability_g(self):
        spec = self.make_spec(generosity=0.25)
        assert self.decide(obs(x=1, y=1), 0.2, spec=spec, params=TWO)[0] == dx.STEP_DOWN
        assert self.decide(obs(x=1, y=1), 0.3, spec=spec, params=TWO)[0] == dx.HOLD
        assert self.decide(obs(x=0, y=0), 0.0, spec=spec, params=TWO)[0] == dx.HOLD

    def test_forgives_a_stingy_offer_with_probability_g(self):
        """Status quo 0.4: with probability g (a draw below it) it accepts any offer of at least
        half its status-quo share, 0.2; otherwise only one of at least 0.4."""
        spec = self.make_spec(generosity=0.25)
        assert self.decide(obs(offer_received=0.2), 0.2, spec=spec)[0] == dx.ACCEPT
        assert self.decide(obs(offer_received=0.2), 0.3, spec=spec)[0] != dx.ACCEPT
        assert self.decide(obs(offer_received=0.19), 0.0, spec=spec)[0] != dx.ACCEPT
        assert self.decide(obs(offer_received=0.4), 0.9, spec=spec)[0] == dx.ACCEPT


class TestGrit(PolicyTest):
    policy = Grit
    spec: ClassVar[dict[str, Any]] = {"step_down_every": 2, "patience": 2}
    expected_classifier: ClassVar[dict[str, Any]] = {
        "stochastic": False,
        "memory_depth": math.inf,
        "information": {"x", "y_move", "offer_received", "own_offer"},
        "needs_player": False,
        "bargains": True,
    }

    def test_steps_down_on_schedule_and_answers_a_climb(self):
        """Every second round, until two steps went unreciprocated; a climb is answered."""
        memory = self.instance.initial_memory()
        moves = []
        for _ in range(6):
            move, memory = self.decide(obs(x=3, y=3), memory=memory)
            moves.append(move)
        assert moves == [dx.HOLD, dx.STEP_DOWN, dx.HOLD, dx.STEP_DOWN, dx.HOLD, dx.HOLD]
        assert self.decide(obs(x=2, y_move=1), memory=memory)[0] == dx.STEP_UP

    def test_a_reciprocated_step_resumes_the_schedule(self):
        memory = (0, 2, 2)  # paused: two steps down went unanswered
        assert self.decide(obs(x=3, y_move=-1), memory=memory) == (dx.HOLD, (1, 0, 2))

    def test_each_conciliatory_step_raises_its_offer(self):
        """Status quo 0.4, offer_step 0.05: no offer before its first step down, then
        0.65, 0.70, ...; at the bottom rung no step and no new offer."""
        spec = self.make_spec(offer_step=0.05)
        memory = self.instance.initial_memory()
        offers = []
        for x in (3, 3, 3, 3, 0, 0):
            offers.append(float(self.instance.offer(obs(x=x), ACTOR, self.params, spec, memory)))
            _, memory = self.decide(obs(x=x, y_move=-1), spec=spec, memory=memory)
        assert np.isnan(offers[:2]).all()
        assert offers[2:] == pytest.approx([0.65, 0.65, 0.70, 0.70])
        assert self.decide(obs(offer_received=0.35, own_offer=0.65))[0] == dx.ACCEPT
        assert self.decide(obs(offer_received=0.34, own_offer=0.65))[0] != dx.ACCEPT


class TestHardliner(PolicyTest):
    policy = Hardliner
    expected_classifier: ClassVar[dict[str, Any]] = {
        "stochastic": False,
        "memory_depth": 1,
        "information": {"x", "y", "y_move"},
        "needs_player": False,
        "bargains": False,
    }

    def test_never_steps_down(self):
        o, u, _, m = self.cases()
        assert (self.decide(o, u, m)[0] >= dx.HOLD).all()
        assert self.decide(obs(x=3, y=0, y_move=-1))[0] == dx.HOLD
        assert self.decide(obs(x=1, y=2))[0] == dx.STEP_UP


class TestDeterrer(PolicyTest):
    policy = Deterrer
    expected_classifier: ClassVar[dict[str, Any]] = {
        "stochastic": False,
        "memory_depth": 1,
        "information": {"x", "y", "red_line", "offer_received"},
        "needs_player": False,
        "bargains": False,
    }

    def test_accepts_an_offer_that_keeps_its_status_quo(self):
        assert self.decide(obs(x=1, y=2, offer_received=0.4))[0] == dx.ACCEPT  # q = 0.4
        assert self.decide(obs(x=1, y=2, offer_received=0.39))[0] == dx.STEP_UP

    def test_responds_at_its_red_line_and_stands_down_after(self):
        spec = self.make_spec(response="jump")  # ACTOR's red line: rung 2
        assert self.decide(obs(x=1, y=1), spec=spec)[0] == dx.HOLD
        assert self.decide(obs(x=1, y=2), spec=spec)[0] == dx.JUMP
        assert self.decide(obs(x=3, y=2), spec=spec)[0] == dx.HOLD
        assert self.decide(obs(x=3, y=1), spec=spec)[0] == dx.STEP_DOWN


class TestBrinkmanship(PolicyTest):
    policy = Brinkmanship
    expected_classifier: ClassVar[dict[str, Any]] = {
        "stochastic": False,
        "memory_depth": 1,
        "information": {"x", "cumulative_risk", "adversary_resolve", "resolve"},
        "needs_player": False,
        "bargains": False,
    }

    def test_holds_the_brink_while_the_risk_is_bearable(self):
        """Resolve 0.3 at a brink with risk 0.05: it holds ``floor(log(0.7) / log(0.95)) = 6``
        rounds, then concedes (the closed form in the class docstring)."""
        rho, rounds, x = 0.0, 0, 0
        while True:
            move, _ = self.decide(obs(x=x, y=x, cumulative_risk=rho), params=BRINK)
            if move == dx.CONCEDE:
                break
            x = int(dx.target_rung(x, move, 1, BRINK.n_rungs))
            rho = float(dx.cumulative_risk(rho, BRINK.war_risk[x]))
            rounds += 1
        assert rounds == math.floor(math.log(1 - 0.3) / math.log(0.95)) == 6

    def test_concedes_at_once_to_a_known_stronger_resolve(self):
        assert self.decide(obs(x=1, adversary_resolve=0.9), params=BRINK)[0] == dx.CONCEDE
        assert self.decide(obs(x=1, adversary_resolve=0.1), params=BRINK)[0] == dx.HOLD


class TestMemoryOne(PolicyTest):
    policy = MemoryOne
    spec: ClassVar[dict[str, Any]] = {"p": [0.9, 0.2, 0.6, 0.1]}
    scenario = IPD
    expected_classifier: ClassVar[dict[str, Any]] = {
        "stochastic": True,
        "memory_depth": 1,
        "information": {"x", "y"},
        "needs_player": False,
        "bargains": False,
    }

    def test_reads_its_vector(self):
        spec = self.make_spec(p=[1.0, 0.0, 0.5, 0.0])
        assert self.decide(obs(x=0, y=0), 0.9, spec=spec)[0] == dx.HOLD  # restrain
        assert self.decide(obs(x=0, y=1), 0.1, spec=spec)[0] == dx.STEP_UP
        assert self.decide(obs(x=1, y=0), 0.4, spec=spec)[0] == dx.STEP_DOWN
        assert self.decide(obs(x=1, y=0), 0.6, spec=spec)[0] == dx.HOLD

    def test_needs_two_rungs(self):
        """The scenario checks report it at the actor's policy name (tests/test_malformed.py
        checks the positioned message)."""
        found = list(self.instance.problems(self.make_spec(), GENERIC))
        assert found == [
            (("name",), "policy 'memory_one' needs a ladder of exactly two rungs; this one has 5")
        ]

    def test_tit_for_tat_is_one_zero_one_zero(self):
        tft = self.make_spec(p=[1.0, 0.0, 1.0, 0.0])
        o, u, _, _ = self.cases()
        # On the ladder: no offer stands (reciprocal accepts one; memory_one never does).
        o = dataclasses.replace(o, offer_received=np.full(N, np.nan))
        np.testing.assert_array_equal(
            self.decide(o, u, spec=tft)[0],
            POLICIES["reciprocal"].decide(o, ACTOR, TWO, None, (), u)[0],
        )


class TestScripted(PolicyTest):
    policy = Scripted
    spec: ClassVar[dict[str, Any]] = {
        "moves": ["step_up", "jump", "hold"],
        "then": "step_down",
        "offers": [{"round": 2, "share": 0.3}, {"round": 4, "share": 0.4}],
        "accept_at_least": 0.6,
    }
    expected_classifier: ClassVar[dict[str, Any]] = {
        "stochastic": False,
        "memory_depth": 1,
        "information": {"round", "offer_received"},
        "needs_player": False,
        "bargains": True,
    }

    def test_posts_its_offers_from_their_rounds_and_accepts_at_least(self):
        spec, m = self.make_spec(), ()
        posted = [
            float(self.instance.offer(obs(round=t), ACTOR, self.params, spec, m))
            for t in (1, 2, 3, 4, 9)
        ]
        assert np.isnan(posted[0])
        assert posted[1:] == [0.3, 0.3, 0.4, 0.4]
        assert self.decide(obs(round=1, offer_received=0.6))[0] == dx.ACCEPT
        assert self.decide(obs(round=1, offer_received=0.59))[0] == dx.STEP_UP
        plain = self.make_spec(accept_at_least=None, offers=[])
        assert self.decide(obs(round=1, offer_received=1.0), spec=plain)[0] == dx.STEP_UP
        assert not Scripted.opens_bargaining(plain)
        assert Scripted.opens_bargaining(spec)

    def test_offers_must_be_in_round_order(self):
        with pytest.raises(ValueError, match="increasing round order"):
            self.make_spec(offers=[{"round": 3, "share": 0.3}, {"round": 3, "share": 0.4}])

    def test_plays_its_list_then_the_default(self):
        spec = self.make_spec(moves=["step_up", "jump"], then="step_down")
        got = [self.decide(obs(round=t), spec=spec)[0] for t in (1, 2, 3, 4)]
        assert got == [dx.STEP_UP, dx.JUMP, dx.STEP_DOWN, dx.STEP_DOWN]


class TestHuman(PolicyTest):
    policy = Human
    expected_classifier: ClassVar[dict[str, Any]] = {
        "stochastic": True,
        "memory_depth": math.inf,
        "information": set(OBSERVATION_FIELDS),
        "needs_player": True,
        "bargains": True,
    }

    def test_asks_the_driver_for_the_players_move(self):
        with pytest.raises(HumanMoveRequiredError, match="played by a person"):
            self.decide(obs(round=3))

    def test_asks_the_driver_for_the_players_offer(self):
        """A player makes, accepts and refuses offers: the round takes the player's offer."""
        assert Human.opens_bargaining(self.make_spec())
        assert Human.accepts_offers(self.make_spec())
        with pytest.raises(HumanMoveRequiredError, match="pass its offers"):
            self.instance.offer(obs(round=3), ACTOR, self.params, self.make_spec(), ())

    def test_a_players_move_is_not_modelled(self):
        """Every option equally likely: the other's belief learns nothing from it."""
        o, _, _, m = self.cases()
        probs = self.instance.choice_probabilities(o, ACTOR, self.params, self.make_spec(), m)
        np.testing.assert_array_equal(probs, np.full((N, len(bg.OPTIONS)), 1 / len(bg.OPTIONS)))


class TestLLM(PolicyTest):
    """A language model chooses. Classified as a person is (``human``): it may use anything
    shown, remembers, and is not a function of its inputs that 2,000 sampled observations
    could check without 2,000 chat requests each time. Its behaviour is checked against a fake
    OpenAI-compatible server in tests/test_llm.py; here, its classifier and what it does
    without asking anything."""

    policy = LLM
    spec: ClassVar[dict[str, Any]] = {"model": "m"}
    expected_classifier: ClassVar[dict[str, Any]] = {
        "stochastic": True,
        "memory_depth": math.inf,
        "information": set(LLM.information),
        "needs_player": False,
        "bargains": True,
    }

    def skip_if_played_by_person(self) -> None:
        pytest.skip("a language model chooses: checked against a fake server in test_llm.py")

    def test_posts_the_offer_its_last_answer_chose(self):
        o = obs(round=3)
        assert self.instance.offer(o, ACTOR, self.params, self.make_spec(), (0.3, "")) == 0.3
        assert math.isnan(
            self.instance.offer(o, ACTOR, self.params, self.make_spec(), (math.nan, ""))
        )

    def test_its_choices_are_not_modelled(self):
        """Every option equally likely, without asking the model anything."""
        o = draw_observations(N, np.random.default_rng(0), self.params.n_rungs)
        m = (np.full(N, np.nan), np.full(N, "", dtype=object))
        probs = self.instance.choice_probabilities(o, ACTOR, self.params, self.make_spec(), m)
        np.testing.assert_array_equal(probs, np.full((N, len(bg.OPTIONS)), 1 / len(bg.OPTIONS)))

    def test_an_unknown_placeholder_in_its_template_is_a_problem(self):
        found = list(self.instance.problems(self.make_spec(template="Hi $whoever"), GENERIC))
        assert found
        assert found[0][0] == ("template",)
        assert "whoever" in found[0][1]


# ------------------------------------------------------------------------------------------------
# The registry, the schema, the JSON Schema and the docs name the same policies
# ------------------------------------------------------------------------------------------------
def _test_classes() -> list[type[PolicyTest]]:
    """The test classes of this module that inherit the base (the base itself left out)."""
    return [
        c
        for c in globals().values()
        if isinstance(c, type) and issubclass(c, PolicyTest) and c is not PolicyTest
    ]


def test_every_policy_has_a_test_class_that_inherits_the_base():
    classes = _test_classes()
    assert sorted(c.policy.name for c in classes) == sorted(POLICIES)
    assert all(c.__name__ == f"Test{c.policy.__name__}" for c in classes)


def test_the_schema_union_is_the_registry():
    union = typing.get_args(scenario_schema.Policy)[0]
    assert list(typing.get_args(union)) == [type(p).Spec for p in POLICIES.values()]
    assert list(scenario_schema.POLICY_MODELS) == list(POLICIES)


def test_the_json_schema_offers_the_registry():
    schema = json_schema()
    choices = schema["definitions"]["Actor"]["properties"]["policy"]["oneOf"]
    names = [c["$ref"].rsplit("/", 1)[-1] for c in choices]
    assert names == [type(p).Spec.__name__ for p in POLICIES.values()]
    for name, policy in POLICIES.items():
        assert schema["definitions"][type(policy).Spec.__name__]["properties"]["name"] == {
            "const": name,
            "title": "Name",
            "type": "string",
        }


def test_the_docs_list_the_registry():
    """The field reference has a section per parameter model; the scenario format names every
    policy; ODD §7.7 names each policy's module and test class, and its classifier."""
    reference = (ROOT / "docs" / "scenario-reference.md").read_text(encoding="utf-8")
    sections = re.findall(r"^## (\w+Policy)$", reference, flags=re.MULTILINE)
    assert sections == [type(p).Spec.__name__ for p in POLICIES.values()]
    fmt = (ROOT / "docs" / "scenario-format.md").read_text(encoding="utf-8")
    listed = fmt.split("chosen by `name` (", 1)[1].split(")", 1)[0]
    assert re.findall(r"`(\w+)`", listed) == list(POLICIES)
    odd = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
    table = odd.split("### 7.7 ", 1)[1].split("\n### ", 1)[0]
    rows = re.findall(
        r"^\| `(\w+)` \| `escalsim/policies/(\w+)\.py` \| `(\w+)` \| (yes|no) \| (0|1|∞) \|",
        table,
        re.M,
    )
    depth = {0: "0", 1: "1", math.inf: "∞"}
    assert rows == [
        (
            name,
            name,
            f"Test{type(p).__name__}",
            "yes" if p.stochastic else "no",
            depth[p.memory_depth],
        )
        for name, p in POLICIES.items()
    ]


def test_a_malformed_policy_is_refused_when_it_registers():
    class OtherSpec(PolicySpec):
        name: typing.Literal["other"]

    class Wrong(Policy):
        """A policy whose parameter model has another name and unknown inputs."""

        name = "wrong"
        Spec = OtherSpec
        information = ("mood",)
        citation = "none"

    with pytest.raises(TypeError, match=r"Literal\['wrong'\].*unknown inputs \['mood'\]"):
        register(Wrong)
    assert "wrong" not in POLICIES
    with pytest.raises(ValueError, match="already registered"):
        register(type("Again", (Reciprocal,), {"__doc__": "A second reciprocal."}))


NEW_POLICY = '''"""A policy written outside the package: one rung below the adversary."""

from typing import Literal

import numpy as np

from escalsim.policies import Policy, PolicySpec, register, toward


class YieldingPolicy(PolicySpec):
    """Stay one rung below the adversary."""

    name: Literal["yielding"]


@register
class Yielding(Policy):
    """Moves toward one rung below the adversary's perceived rung.

    References
    ----------
    None: the example of tests/test_policies.py.
    """

    name = "yielding"
    Spec = YieldingPolicy
    information = ("x", "y")
    citation = "tests/test_policies.py"

    def decide(self, obs, actor, params, spec, memory, u):
        return toward(obs.x, np.maximum(np.asarray(obs.y) - 1, 0), params.jump), memory
'''

NEW_POLICY_RUN = """
import sys
sys.path.insert(0, sys.argv[1])
import escalsim.policies
import yielding  # registered before the scenario schema builds its union
from escalsim.agents import EscalationModel
from escalsim.batch import run_batch
from escalsim.scenario import ScenarioError, load_scenario, with_settings
from escalsim.scenario.jsonschema import scenario_schema

s = load_scenario("generic-dispute")
s = with_settings(s, {f"actors.{s.powers[0].id}.policy": {"name": "yielding"}})
assert s.powers[0].policy.name == "yielding"
assert "YieldingPolicy" in scenario_schema()["definitions"]
run_batch(s, seed=1, replications=3)
EscalationModel(scenario=s, seed=1, replication=0).run()
try:
    with_settings(s, {f"actors.{s.powers[0].id}.policy": {"name": "yeilding"}})
except ScenarioError as exc:
    print(exc)
"""


def test_a_new_policy_is_one_module(tmp_path):
    """A policy written in a module of its own, imported before the scenario schema, is
    accepted by the schema, offered by the JSON Schema and the did-you-mean of a misspelt name,
    and run by both faces of the model (in a fresh interpreter, so the registry here stays
    as shipped)."""
    import subprocess
    import sys

    (tmp_path / "yielding.py").write_text(NEW_POLICY, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", NEW_POLICY_RUN, str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "did you mean 'yielding'" in done.stdout
