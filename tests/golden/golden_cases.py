"""The cases of the golden master and the digest of a frame (shared by the writer and the test)."""

from __future__ import annotations

import functools
import hashlib
from typing import Any

import pandas as pd

#: Replications per case: 16, as the equality test; ipd-noise runs 2,000 rounds, so 3.
REPS = 16
IPD_REPS = 3
#: Seeds: the equality test's (11 for the runs, 5 for the twins), 2 for the human player.
SEED_RUN = 11
SEED_TWIN = 5
#: Scenarios drawn by the hypothesis strategy (derandomised, so the same ones every time).
GENERATED = 40


def ipd_noise_beyond_the_first(case: dict[str, Any], cases: list[dict[str, Any]]) -> bool:
    """An ipd-noise case other than its first condition's run: the slow tier's on the ensembles.

    ipd-noise plays 1,000-round games (2-4 s a case); its other conditions change only the
    noise, and its twins are the machinery every other scenario's twin cases check.
    """
    first = next(c["condition"] for c in cases if c.get("scenario") == "ipd-noise")
    return case.get("scenario") == "ipd-noise" and (
        case["condition"] != first or case["mode"] != "run"
    )


def expected_digests(master: dict[str, Any], index: int) -> dict[str, str]:
    """The digests case ``index`` of the golden master must give on this machine.

    ``master`` is ``frames.json``: its digests were taken with its ``numerics``
    (:func:`escalsim.experiment.provenance.numerics`), and hold bit for bit only where numpy
    computes the model's elementary functions alike; its ``regimes`` keep, for numpy's lower
    regimes on x86-64 (AVX2, and neither AVX-512 nor AVX2), the digests that differ there
    (``make_golden.py``). On a machine of other numerics still (another numpy, another
    architecture) the comparison is skipped, saying why; the tests that compare two runs on
    one machine run everywhere (docs/reliability.md, "Reproducibility across machines"). CI
    sets ``ESCALSIM_GOLDEN_REQUIRED=1`` (``.ci/run``): there such a machine fails instead, so
    that the master cannot stop being checked unnoticed.
    """
    import pytest

    from conftest import numerics_not_checked
    from escalsim.experiment.provenance import numerics

    here = numerics()
    digests: dict[str, str] = master["cases"][index]["digests"]
    if here == master["numerics"]:
        return digests
    regime = master.get("regimes", {}).get(here)
    if regime is not None:
        return regime["cases"].get(str(index), digests)
    why = (
        f"the golden master holds the digests of numerics {master['numerics']} and "
        f"{', '.join(master.get('regimes', {})) or 'no other'}; this machine's are {here}, so "
        "they cannot match here (tests/golden/make_golden.py takes this machine's)"
    )
    numerics_not_checked(why)
    pytest.skip(why)


def frame_digest(frame: pd.DataFrame) -> str:
    """SHA-256 of a frame's columns, dtypes and values (floats at full precision, as repr)."""
    head = "|".join(
        f"{c}:{t}" for c, t in zip(frame.columns, frame.dtypes.astype(str), strict=True)
    )
    body = frame.to_csv(index=False, lineterminator="\n")
    return hashlib.sha256((head + "\n" + body).encode("utf-8")).hexdigest()


def shipped_cases() -> list[dict[str, Any]]:
    """Every shipped scenario × condition, the perfect-information run, twins beside the run."""
    from escalsim.scenario import load_scenario
    from escalsim.scenario.shipped import names

    cases: list[dict[str, Any]] = []
    for name in names():
        reps = IPD_REPS if name == "ipd-noise" else REPS
        for condition in load_scenario(name).condition_names:
            for mode in ("run", "perfect_information", "twin"):
                seed = SEED_RUN if mode == "run" else SEED_TWIN
                cases.append(
                    {
                        "scenario": name,
                        "condition": condition,
                        "mode": mode,
                        "seed": seed,
                        "replications": reps,
                    }
                )
    cases.append(
        {
            "scenario": "hotline-1963",
            "condition": None,
            "mode": "run",
            "seed": 2,
            "replications": 6,
            "settings": {"actors.USA.policy": {"name": "human"}},
            "human_moves": {"USA": ["step_up", "hold", "step_down"] * 20},
        }
    )
    return cases


def generated_cases() -> list[dict[str, Any]]:
    """Scenario dicts drawn by ``strategies.scenario_dicts`` with a seed and mode each."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from strategies import scenario_dicts

    drawn: list[dict[str, Any]] = []

    @settings(
        max_examples=GENERATED,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(raw=scenario_dicts(), seed=st.integers(0, 2**32 - 1), twin=st.booleans())
    def collect(raw: dict[str, Any], seed: int, twin: bool) -> None:
        if len(drawn) < GENERATED:
            drawn.append(
                {"raw": raw, "seed": seed, "mode": "twin" if twin else "run", "replications": 4}
            )

    collect()
    return drawn


@functools.cache
def _shipped(name: str) -> Any:
    """A shipped scenario, loaded once: ~50 ms of YAML each time, and 70 cases read 7 of them
    (a Scenario is a frozen model, so the cases can share it)."""
    from escalsim.scenario import load_scenario

    return load_scenario(name)


def build(case: dict[str, Any]) -> Any:
    """The scenario of a case, as the model reads it."""
    import json

    from escalsim.scenario import load_text, with_condition
    from escalsim.scenario.load import with_settings

    if "raw" in case:
        # The stored generated scenarios are schema_version 1 data, migrated as they are read:
        # that they still give the stored digests shows that migration keeps every number.
        import warnings

        from escalsim.errors import ScenarioMigrationWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ScenarioMigrationWarning)
            return load_text(json.dumps(case["raw"]), "generated.yaml")
    spec = _shipped(case["scenario"])
    if case.get("condition"):
        spec = with_condition(spec, case["condition"])
    if case.get("settings"):
        spec = with_settings(spec, case["settings"])
    return spec


def batch_digests(case: dict[str, Any]) -> dict[str, str]:
    """Digests of the ensembles' frames for a case."""
    from escalsim.batch import run_batch

    spec = build(case)
    reps = list(range(case["replications"]))
    kwargs: dict[str, Any] = {}
    if case.get("human_moves"):
        kwargs["human_moves"] = case["human_moves"]
    if case["mode"] == "twin":
        kwargs["twin"] = True
    if case["mode"] == "perfect_information":
        kwargs["perfect_information"] = True
    run = run_batch(spec, seed=case["seed"], replications=reps, **kwargs)
    out = {
        "outcome": frame_digest(run.outcome),
        "timeseries": frame_digest(run.timeseries),
        "events": frame_digest(run.events),
    }
    if case["mode"] == "twin":
        out["twin_outcome"] = frame_digest(run.twin_outcome)
        out["complete_twin_outcome"] = frame_digest(run.complete_twin_outcome)
    return out
