"""Policies: one base test every policy inherits (in the Axelrod library's style), then each
policy's own behaviour."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalsim.core import dynamics as dx
from escalsim.core.params import compile_params
from escalsim.core.policies import (
    POLICIES,
    Actor,
    HumanMoveRequiredError,
    Observation,
    Policy,
)
from escalsim.scenario import load_scenario
from escalsim.scenario.schema import POLICY_MODELS

PARAMS = compile_params(load_scenario("generic-dispute"))  # 5 rungs, war rung 4
TWO = compile_params(load_scenario("ipd-noise"))  # 2 rungs, no war rung
ACTOR = Actor(index=0, resolve=0.3, risk_tolerance=0.5, red_line=2)


def obs(**kw: object) -> Observation:
    base = dict(
        round=1,
        x=1,
        y=1,
        y_move=0,
        own_move=0,
        hostility=0.5,
        trust=0.5,
        committed=False,
        capability_ratio=1.0,
        cumulative_risk=0.0,
        adversary_resolve=math.nan,
        pressure=0.0,
        audience=0.0,
    )
    base.update(kw)
    return Observation(**base)  # type: ignore[arg-type]


def spec_for(name: str, **kw: object) -> object:
    model = POLICY_MODELS[name]
    defaults = {"memory_one": {"p": [1.0, 0.0, 1.0, 0.0]}, "scripted": {"moves": ["step_up"]}}
    return model(name=name, **{**defaults.get(name, {}), **kw})


def test_every_schema_policy_is_registered_and_vice_versa():
    assert set(POLICIES) == set(POLICY_MODELS)


@pytest.mark.parametrize("name", sorted(POLICIES))
class TestEveryPolicy:
    """What every policy owes: metadata, a reference, valid moves, purity."""

    def test_metadata_and_reference(self, name):
        policy = POLICIES[name]
        assert isinstance(policy, Policy)
        assert isinstance(policy.stochastic, bool)
        assert policy.memory_depth >= 0
        assert policy.information
        assert (type(policy).__doc__ or "").strip()

    @settings(max_examples=100, deadline=None, derandomize=True, database=None)
    @given(
        x=st.integers(0, 3),
        y=st.integers(0, 4),
        move=st.integers(-1, 1),
        mu=st.floats(0.01, 0.99),
        u=st.floats(0, 0.999),
        rho=st.floats(0, 1),
    )
    def test_returns_a_valid_move_and_is_pure(self, name, x, y, move, mu, u, rho):
        if name == "human":
            with pytest.raises(HumanMoveRequiredError):
                POLICIES[name].decide(obs(), ACTOR, PARAMS, spec_for(name), (), 0.5)
            return
        params = TWO if name == "memory_one" else PARAMS
        o = obs(
            x=min(x, params.n_rungs - 1),
            y=min(y, params.n_rungs - 1),
            y_move=move,
            hostility=mu,
            cumulative_risk=rho,
        )
        policy, spec = POLICIES[name], spec_for(name)
        memory = policy.initial_memory()
        first = policy.decide(o, ACTOR, params, spec, memory, u)
        assert first == policy.decide(o, ACTOR, params, spec, memory, u)  # pure
        assert int(first[0]) in dx.MOVE_NAMES
        if not policy.stochastic:
            assert first == policy.decide(o, ACTOR, params, spec, memory, 0.999 - u)


def test_reciprocal_copies_the_adversary_on_two_rungs():
    r = POLICIES["reciprocal"]
    for x in (0, 1):
        for y in (0, 1):
            move, _ = r.decide(obs(x=x, y=y), ACTOR, TWO, spec_for("reciprocal"), (), 0.5)
            assert dx.target_rung(x, move, TWO.jump, 2) == y


def test_generous_forgives_with_probability_g():
    g = POLICIES["generous"]
    spec = spec_for("generous", generosity=0.25)
    assert g.decide(obs(x=1, y=1), ACTOR, TWO, spec, (), 0.2)[0] == dx.STEP_DOWN
    assert g.decide(obs(x=1, y=1), ACTOR, TWO, spec, (), 0.3)[0] == dx.HOLD
    assert g.decide(obs(x=0, y=0), ACTOR, TWO, spec, (), 0.0)[0] == dx.HOLD


def test_grit_steps_down_on_schedule_and_answers_a_climb():
    grit, spec = POLICIES["grit"], spec_for("grit", step_down_every=2, patience=2)
    memory = grit.initial_memory()
    moves = []
    for _ in range(6):
        move, memory = grit.decide(obs(x=3, y=3), ACTOR, PARAMS, spec, memory, 0.5)
        moves.append(move)
    # every second round, until two steps went unreciprocated
    assert moves == [dx.HOLD, dx.STEP_DOWN, dx.HOLD, dx.STEP_DOWN, dx.HOLD, dx.HOLD]
    assert grit.decide(obs(x=2, y_move=1), ACTOR, PARAMS, spec, memory, 0.5)[0] == dx.STEP_UP


def test_hardliner_never_steps_down():
    h = POLICIES["hardliner"]
    assert h.decide(obs(x=3, y=0, y_move=-1), ACTOR, PARAMS, spec_for("hardliner"), (), 0)[0] == 0
    assert h.decide(obs(x=1, y=2), ACTOR, PARAMS, spec_for("hardliner"), (), 0)[0] == dx.STEP_UP


def test_deterrer_responds_at_its_red_line():
    d, spec = POLICIES["deterrer"], spec_for("deterrer", response="jump")
    assert d.decide(obs(x=1, y=1), ACTOR, PARAMS, spec, (), 0)[0] == dx.HOLD
    assert d.decide(obs(x=1, y=2), ACTOR, PARAMS, spec, (), 0)[0] == dx.JUMP
    assert d.decide(obs(x=3, y=1), ACTOR, PARAMS, spec, (), 0)[0] == dx.STEP_DOWN


def test_brinkmanship_holds_while_the_risk_is_bearable():
    b = POLICIES["brinkmanship"]
    params = compile_params(load_scenario("brinkmanship"))  # brink risk 0.05, war above
    spec = spec_for("brinkmanship")
    rho = 0.0
    rounds = 0
    x = 0
    while True:
        move, _ = b.decide(obs(x=x, y=x, cumulative_risk=rho), ACTOR, params, spec, (), 0)
        if move == dx.CONCEDE:
            break
        x = int(dx.target_rung(x, move, 1, params.n_rungs))
        rho = float(dx.cumulative_risk(rho, params.war_risk[x]))
        rounds += 1
    assert rounds == math.floor(math.log(1 - 0.3) / math.log(0.95))  # resolve 0.3: 6 rounds
    known = obs(x=1, adversary_resolve=0.9)
    assert b.decide(known, ACTOR, params, spec, (), 0)[0] == dx.CONCEDE


def test_memory_one_reads_its_vector():
    m = POLICIES["memory_one"]
    spec = spec_for("memory_one", p=[1.0, 0.0, 0.5, 0.0])
    assert m.decide(obs(x=0, y=0), ACTOR, TWO, spec, (), 0.9)[0] == dx.HOLD  # restrain
    assert m.decide(obs(x=0, y=1), ACTOR, TWO, spec, (), 0.1)[0] == dx.STEP_UP
    assert m.decide(obs(x=1, y=0), ACTOR, TWO, spec, (), 0.4)[0] == dx.STEP_DOWN
    assert m.decide(obs(x=1, y=0), ACTOR, TWO, spec, (), 0.6)[0] == dx.HOLD


def test_scripted_plays_its_list_then_the_default():
    s = POLICIES["scripted"]
    spec = spec_for("scripted", moves=["step_up", "jump"], then="step_down")
    got = [s.decide(obs(round=t), ACTOR, PARAMS, spec, (), 0)[0] for t in (1, 2, 3, 4)]
    assert got == [dx.STEP_UP, dx.JUMP, dx.STEP_DOWN, dx.STEP_DOWN]


def test_quantal_is_a_best_response_at_high_precision_and_uniform_at_zero():
    q = POLICIES["quantal"]
    sharp = spec_for("quantal", precision=1e6)
    flat = spec_for("quantal", precision=0.0)
    o = obs(x=1, y=3, hostility=0.9)
    utils = q.utilities(o, ACTOR, PARAMS, sharp)
    best = int(dx.CANDIDATE_MOVES[int(np.argmax(utils))])
    assert {q.decide(o, ACTOR, PARAMS, sharp, (), u)[0] for u in (0.01, 0.5, 0.99)} == {best}
    picks = [q.decide(o, ACTOR, PARAMS, flat, (), (k + 0.5) / 400)[0] for k in range(400)]
    assert [picks.count(m) for m in (-1, 0, 1, 2)] == [100, 100, 100, 100]
