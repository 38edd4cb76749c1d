"""The two twins and the three-part split of P(war) (issue 17, wiring step 8).

docs/decision-v2.md §7. Every run can have two twins on its random numbers and type draws: the
perception twin (true postures, moves and incidents; types private) and the
complete-information twin (types known too). Per run, ``war = misperception + private
information + residual`` (``batch.twin_columns``). Three tiers:

* reproducibility: the twins share the run's type draws; a replication's columns are the same
  alone as in an ensemble and from either engine (tests/test_pipeline.py compares the engines'
  frames, these columns included);
* invariants: the split adds up to the run's war indicator in every run; in the complete twin
  each power's posterior is the point on the other's drawn type throughout; without noise or
  accidents, the complete twin of a scenario whose powers bargain never chooses war
  (hypothesis, over generated scenarios);
* known answers (slow tier): with the default policy, deliberate war in the complete twin is at
  most 1% in every shipped scenario whose powers use it (N = 2,000 per condition; measured: 0).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from escalsim.batch import run_batch, twin_columns
from escalsim.core import bargaining as bg
from escalsim.core.params import schedule
from escalsim.core.streams import BlockLayout
from escalsim.model.constants import OUTCOMES
from escalsim.model.rounds import Crisis, Streams
from escalsim.scenario import load_scenario, load_text
from strategies import scenario_dicts

#: The shipped scenarios whose powers both have the default policy (bargaining).
DEFAULT_POLICY_SCENARIOS = ("geneva-2022", "hotline-1963", "able-archer-1983", "generic-dispute")


def test_twin_columns_split_war_into_three_parts_with_both_flows():
    run = np.array(["war", "war", "settlement", "war", "settlement", "settlement"])
    perception = np.array(["war", "settlement", "war", "war", "settlement", "war"])
    complete = np.array(["settlement", "settlement", "war", "war", "war", "settlement"])
    w, p, k = (x == "war" for x in (run, perception, complete))
    c = twin_columns(*({"outcome": x, "war": x == "war"} for x in (run, perception, complete)))
    np.testing.assert_array_equal(
        c["war_misperception"] + c["war_private_information"] + c["war_residual"], w
    )
    np.testing.assert_array_equal(
        c["war_misperception"], c["war_attributable"].astype(int) - c["war_perception_twin_only"]
    )
    np.testing.assert_array_equal(
        c["war_private_information"], c["war_private"].astype(int) - c["war_complete_twin_only"]
    )
    split = bg.war_split(w, p, k)  # the means, as core.bargaining defines them
    assert split.misperception == pytest.approx(c["war_misperception"].mean())
    assert split.private_information == pytest.approx(c["war_private_information"].mean())
    assert split.residual == pytest.approx(c["war_residual"].mean())
    assert c["twin_outcome"].tolist() == perception.tolist()
    assert c["complete_twin_outcome"].tolist() == complete.tolist()


def test_the_split_adds_up_in_every_run_of_a_shipped_scenario():
    runs = run_batch("geneva-2022", seed=3, replications=300, twin=True).runs()
    total = runs.war_misperception + runs.war_private_information + runs.war_residual
    np.testing.assert_array_equal(total.to_numpy(), runs.war.astype(int).to_numpy())
    # geneva-2022's wars last (schema version 3): a war between the powers can end in a
    # ceasefire or an exchange as well.
    assert set(runs.complete_twin_outcome) <= set(OUTCOMES)


def test_the_complete_twin_knows_the_other_type_and_never_revises_it():
    spec = load_scenario("geneva-2022")
    sched = schedule(spec)
    reps = np.arange(40)
    streams = Streams(2, reps, BlockLayout.of(spec), spec.run.rounds)
    hidden = np.zeros(len(reps), dtype=bool)
    run = Crisis(spec, sched, streams, reps, hidden, False, solo=True)
    twin = Crisis(
        spec,
        sched,
        streams,
        reps,
        hidden,
        True,
        solo=True,
        compact=False,
        complete_information=True,
    )
    np.testing.assert_array_equal(twin.own_type, run.own_type)  # the same type draws
    point = np.zeros_like(twin.posterior)
    for h in range(2):
        point[np.arange(len(reps)), h, twin.own_type[:, 1 - h]] = 1.0
    while not twin.over:
        twin.step()
        np.testing.assert_array_equal(twin.posterior, point)
        np.testing.assert_array_equal(twin.posterior_true, point)
    with pytest.raises(ValueError, match="needs perfect_information"):
        Crisis(spec, sched, streams, reps, hidden, False, complete_information=True)


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=scenario_dicts(quiet=True))
def test_without_noise_or_accidents_the_complete_twin_never_chooses_war(data: dict[str, Any]):
    """docs/decision-v2.md §11: no noise, no accidents and complete information give no
    deliberate war, whatever the ladder, strengths, types and third parties; war can still come
    from the risk of the rungs held (cause 'brinkmanship')."""
    for actor in data["actors"]:
        if actor["role"] == "power":
            actor["policy"] = {"name": "bargaining", "precision": 20.0}
    data.pop("conditions", None)
    spec = load_text(json.dumps(data), "generated.yaml")
    out = run_batch(spec, seed=1, replications=10, twin=True)
    twin = out.complete_twin_outcome
    assert out.complete_twin_outcome is not None
    chosen = twin[(twin.outcome == "war") & (twin.war_cause != "brinkmanship")]
    assert chosen.empty, chosen[["replication", "war_cause", "end_round"]]


@pytest.mark.slow
@pytest.mark.parametrize("name", DEFAULT_POLICY_SCENARIOS)
def test_complete_information_rarely_fights_in_the_shipped_scenarios(name):
    """Issue 17's acceptance: with the default policy, divisible stakes and no power shift,
    deliberate direct war in the complete-information twin is at most 1% (N = 2,000 per
    condition; measured at step 8: 0 in every condition, so λ's first guess, 20, stays)."""
    spec = load_scenario(name)
    for condition in spec.condition_names:
        twin = run_batch(spec, condition=condition, seed=1, replications=2000, twin=True)
        ct = twin.complete_twin_outcome
        assert ct is not None
        deliberate = ((ct.outcome == "war") & (ct.war_cause == "deliberate")).mean()
        assert deliberate <= 0.01, (condition, deliberate)


def test_run_reports_the_split_in_its_summary():
    import escalsim

    results = escalsim.run("hotline-1963", replications=30, seed=2, workers=1, keep=0)
    metrics = set(results.summary().metric)
    assert {"p_war_misperception", "p_war_private_information", "p_war_residual"} <= metrics
    summary = results.summary().set_index(["condition", "metric"]).estimate
    for condition in results.runs.condition.unique():
        parts = sum(
            summary[(condition, m)]
            for m in ("p_war_misperception", "p_war_private_information", "p_war_residual")
        )
        assert parts == pytest.approx(summary[(condition, "p_war")], abs=1e-12)
    assert isinstance(results.runs, pd.DataFrame)
