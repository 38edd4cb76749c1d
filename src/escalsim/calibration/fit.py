"""Fitting scenario parameters to a target distribution of the highest MID level.

The method is simulated minimum distance (a likelihood-free simulated method of moments): the
moments are the shares of runs peaking at each MID level, the distance is their total variation
distance (TVD) to the target, and the search has three stages, all under common random numbers
(every candidate runs the same replication indices 0..R-1 of the same root seed, so two
candidates differ only by their parameters, and the objective changes with the parameters
rather than with the draws):

1. a space-filling design over the box of the parameters (a seeded Latin hypercube, or a
   scrambled Sobol' sequence), 40% of the budget by default;
2. local refinement: Nelder-Mead in the unit cube of the box (bounded, so every candidate is
   inside it) from the best few design points, then from the best point found, until the budget
   is spent;
3. the fit is the best candidate; it is measured again on R fresh replications (indices
   R..2R-1), because the minimum over many candidates on the same replications is biased low.

Uncertainty is a linearised bootstrap with refits: the shares' derivatives at the fit are
estimated by central differences under common random numbers (2d more simulations, whose
per-replication levels are kept); each of B replicates resamples the target's counts
(multinomial with the observed shares) and the replication indices (with replacement, the same
indices for the fit and the differences), and refits the parameters exactly on the local linear
model of the shares (minimum TVD within the box, a linear program). The interval of each
parameter is the 2.5-97.5 percentile range of the refitted values; it carries both sources of
error, the data's and the simulation's. ``docs/calibration.md`` explains why this and not a
refit by simulation (a derivative-free search with a small budget stalls on the piecewise-
constant objective and understates the uncertainty).
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from escalsim.calibration.distance import (
    LEVELS,
    Distance,
    fit_distance,
    level_map,
    level_shares,
    simulated_codes,
    target_vector,
    tvd,
)
from escalsim.calibration.target import CODINGS, Target
from escalsim.errors import UsageError
from escalsim.experiment.provenance import scenario_hash
from escalsim.scenario import Problem, Scenario, ScenarioError, load_scenario, with_settings
from escalsim.scenario.errors import did_you_mean
from escalsim.scenario.paths import PathError, numeric_kind, resolve

#: Where parameter problems are reported (``--params: PATH: what was expected``).
PARAMS_SOURCE = "--params"
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_SPEC_HELP = "LOW:HIGH, uniform(LOW,HIGH) or loguniform(LOW,HIGH)"


def _params_error(message: str, path: str = "") -> UsageError:
    return UsageError([Problem(0, 0, (path,) if path else (), message, PARAMS_SOURCE)])


@dataclass(frozen=True)
class Param:
    """A fitted parameter: a field path and the box it is searched in.

    Attributes
    ----------
    path : str
        A field path of the scenario (``ladder.rungs.display.cost``).
    low, high : float
        The box; ``low < high``.
    log : bool
        Search on a log scale (``loguniform``; needs ``low > 0``).
    integer : bool
        The field holds whole numbers: candidate values are rounded.
    """

    path: str
    low: float
    high: float
    log: bool = False
    integer: bool = False

    def value(self, u: float) -> float | int:
        """The value at position ``u`` in [0, 1] of the box (rounded to 10 significant digits)."""
        u = min(max(float(u), 0.0), 1.0)
        if self.log:
            v = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        else:
            v = self.low + u * (self.high - self.low)
        if self.integer:
            return int(min(math.floor(self.high), max(math.ceil(self.low), round(v))))
        return float(f"{min(max(v, self.low), self.high):.10g}")

    def unit(self, value: float) -> float:
        """Position of ``value`` in the box, in [0, 1]."""
        if self.log:
            u = (math.log(value) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        else:
            u = (value - self.low) / (self.high - self.low)
        return min(max(u, 0.0), 1.0)

    def spec(self) -> str:
        """The box as ``--params`` takes it."""
        return (
            f"loguniform({self.low:g},{self.high:g})" if self.log else f"{self.low:g}:{self.high:g}"
        )

    def canonical(self) -> dict[str, Any]:
        """A JSON-able description."""
        return {
            "path": self.path,
            "low": self.low,
            "high": self.high,
            "scale": "log" if self.log else "linear",
            "integer": self.integer,
        }


def parse_param(text: str) -> tuple[str, Param]:
    """Parse ``PATH=LOW:HIGH`` (or ``uniform(LOW,HIGH)``, ``loguniform(LOW,HIGH)``).

    Only the syntax is checked here; :func:`check_params` checks the path and the bounds against
    a scenario.

    Raises
    ------
    escalsim.scenario.ScenarioError
        At ``--params`` (and the path), saying what was expected.
    """
    if "=" not in text:
        raise _params_error(
            f"'{text}': expected PATH={_SPEC_HELP}, e.g. ladder.rungs.display.cost=0:1"
        )
    path, spec = (part.strip() for part in text.split("=", 1))
    if not path:
        raise _params_error(f"'{text}': expected a field path before '='")
    number = f"({_NUMBER})"
    log = False
    if m := re.fullmatch(rf"(log)?uniform\(\s*{number}\s*,\s*{number}\s*\)", spec):
        log, low_text, high_text = m[1] is not None, m[2], m[3]
    elif m := re.fullmatch(rf"{number}\s*:\s*{number}", spec):
        low_text, high_text = m[1], m[2]
    else:
        raise _params_error(f"'{spec}': expected {_SPEC_HELP} (numbers)", path)
    low, high = float(low_text), float(high_text)
    if not (math.isfinite(low) and math.isfinite(high)):
        raise _params_error(f"'{spec}': the bounds must be finite numbers", path)
    if not low < high:
        raise _params_error(f"'{spec}': LOW must be below HIGH", path)
    if log and low <= 0:
        raise _params_error(f"'{spec}': loguniform needs LOW > 0", path)
    return path, Param(path, low, high, log)


def check_params(
    params: Mapping[str, tuple[float, float] | Param] | Sequence[Param], scenario: Scenario
) -> list[Param]:
    """Check fitted parameters against a scenario.

    Each path must name a numeric field, and each box must be valid there: both bounds give a
    valid scenario.

    Parameters
    ----------
    params : mapping or sequence
        ``{path: (low, high)}`` or ``{path: Param}``, or a sequence of :class:`Param`.
    scenario : Scenario
        The scenario whose fields they are.

    Returns
    -------
    list of Param
        In the order given, with ``integer`` set for whole-number fields.

    Raises
    ------
    escalsim.scenario.ScenarioError
        Every problem at once, each at ``--params`` and its path.
    """
    items: list[tuple[float, float] | Param]
    paths: list[str]
    if isinstance(params, Mapping):
        items, paths = list(params.values()), list(params)
    else:
        items, paths = list(params), [p.path for p in params]
    if not items:
        raise _params_error(f"at least one parameter to fit is needed: PATH={_SPEC_HELP}")
    raw = scenario._raw if scenario._raw is not None else scenario.model_dump(mode="json")
    problems: list[Problem] = []
    out: list[Param] = []
    for path, item in zip(paths, items, strict=True):
        if isinstance(item, Param):
            param = Param(path, item.low, item.high, item.log)
        else:
            try:
                low, high = (float(v) for v in item)
            except (TypeError, ValueError):
                problems.append(
                    Problem(0, 0, (path,), "expected a pair of numbers (LOW, HIGH)", PARAMS_SOURCE)
                )
                continue
            param = Param(path, low, high)
        if not (math.isfinite(param.low) and math.isfinite(param.high)):
            problems.append(
                Problem(0, 0, (path,), "the bounds must be finite numbers", PARAMS_SOURCE)
            )
            continue
        if not param.low < param.high:
            problems.append(
                Problem(
                    0,
                    0,
                    (path,),
                    f"LOW must be below HIGH, got {param.low:g}:{param.high:g}",
                    PARAMS_SOURCE,
                )
            )
            continue
        if path in [p.path for p in out]:
            problems.append(Problem(0, 0, (path,), "is fitted twice", PARAMS_SOURCE))
            continue
        try:
            located = resolve(json.loads(json.dumps(raw)), path)
        except PathError as exc:
            problems.append(Problem(0, 0, (path,), str(exc), PARAMS_SOURCE))
            continue
        kind = numeric_kind(located.annotation)
        if kind == "other":
            problems.append(
                Problem(
                    0,
                    0,
                    (path,),
                    "is not a numeric field; expected a field that holds a number (a cost, a "
                    "risk, a weight, a noise level...)",
                    PARAMS_SOURCE,
                )
            )
            continue
        if kind == "int":
            if math.ceil(param.low) > math.floor(param.high):
                problems.append(
                    Problem(
                        0,
                        0,
                        (path,),
                        f"holds whole numbers, and there is none in {param.spec()}",
                        PARAMS_SOURCE,
                    )
                )
                continue
            param = Param(path, param.low, param.high, param.log, integer=True)
        bad = False
        for bound in {param.value(0.0), param.value(1.0)}:
            try:
                with_settings(scenario, {path: bound}, source=PARAMS_SOURCE)
            except ScenarioError as exc:
                problems.extend(
                    Problem(0, 0, (path,), f"{bound:g}: {p.message}", PARAMS_SOURCE)
                    for p in exc.problems[:1]
                )
                bad = True
                break
        if not bad:
            out.append(param)
    if problems:
        raise UsageError(problems)
    return out


class _SpentError(Exception):
    """The evaluation budget of a search stage is used up."""


@dataclass
class Fit:
    """The result of :func:`calibrate`.

    Attributes
    ----------
    values : dict
        Fitted value of each parameter, by path.
    intervals : dict
        95% bootstrap interval ``(lo, hi)`` of each parameter (nan without a bootstrap).
    tvd, chi2, dof, p_value : float, float, int, float
        The fit measured on R fresh replications at the fitted values (``holdout``).
    candidates : pandas.DataFrame
        Every simulated candidate on replications 0..R-1: ``evaluation``, ``stage`` (design,
        local, fit, difference), ``start`` (which local search, -1 otherwise), one column per
        parameter, ``tvd`` and ``share_1`` .. ``share_5``.
    holdout : dict
        :func:`fit_distance` at the fitted values on replications R..2R-1.
    search : dict
        :func:`fit_distance` at the fitted values on the search's replications 0..R-1 (its TVD
        is the minimum found, biased low).
    bootstrap : pandas.DataFrame
        One row per replicate: its refitted values and the TVD of its linear refit.
    jacobian : pandas.DataFrame
        The simulated shares' derivatives at the fit (central differences under common random
        numbers), level × parameter, per unit of each parameter (rows ``(coding, level)`` when
        several targets are fitted jointly).
    targets : list of Target
        Every target of a joint fit, the first being ``target``; ``tvd`` is then the largest of
        their holdout TVDs, and ``holdouts`` / ``searches`` hold each one's distance.
    unmoved : list of str
        Parameters that changed no run: at both ends of the central difference at the fit, every
        replication reached the same level under every target's coding (common random numbers
        make a field the model does not read give identical runs). Such a field was not fitted,
        whatever its "fitted" value: its interval is only the width of its box.
    """

    values: dict[str, float]
    intervals: dict[str, tuple[float, float]]
    tvd: float
    chi2: float
    dof: int
    p_value: float
    candidates: pd.DataFrame
    holdout: Distance
    search: Distance
    bootstrap: pd.DataFrame
    target: Target
    params: list[Param]
    scenario_id: str
    scenario_sha256: str
    condition: str | None
    budget: int
    seed: int
    replications: int
    jacobian: pd.DataFrame = field(default_factory=pd.DataFrame)
    settings: dict[str, Any] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    holdouts: list[Distance] = field(default_factory=list)
    searches: list[Distance] = field(default_factory=list)
    unmoved: list[str] = field(default_factory=list)

    @property
    def evaluations(self) -> int:
        """Candidates the search simulated (design and local; at most the budget)."""
        return int(self.candidates["stage"].isin(["design", "local"]).sum())

    def outside(self) -> list[str]:
        """Parameters whose fitted value lies outside its bootstrap interval.

        A sign that the search did not converge (the refits centre on a different minimum):
        raise the budget or the replications.
        """
        return [
            p
            for p, (lo, hi) in self.intervals.items()
            if math.isfinite(lo) and not lo - 1e-12 <= self.values[p] <= hi + 1e-12
        ]

    def share_table(self, which: int = 0) -> pd.DataFrame:
        """Observed against simulated shares by level, with 95% intervals.

        ``which`` picks the target of a joint fit (0: the first, ``target``). Columns:
        ``level``, ``label``, ``observed`` (the target's share), ``observed_lo``,
        ``observed_hi`` (Wilson intervals of the target's counts; nan without counts),
        ``simulated``, ``lo``, ``hi`` (Wilson intervals over the holdout runs that are cases).
        """
        from escalsim.experiment.stats import wilson_interval

        target = self.targets[which] if self.targets else self.target
        holdout = self.holdouts[which] if self.holdouts else self.holdout
        observed = target.share_by_level()
        labels = dict(zip(target.levels.tolist(), target.labels, strict=True))
        counts = target.counts
        rows = []
        for level in sorted(set(observed) | set(holdout["shares"])):
            if counts is not None and level in observed:
                k = int(counts[list(target.levels).index(level)])
                olo, ohi = wilson_interval(k, int(counts.sum()))
            elif counts is not None:
                olo, ohi = wilson_interval(0, int(counts.sum()))
            else:
                olo, ohi = math.nan, math.nan
            lo, hi = holdout["share_ci"][level]
            rows.append(
                {
                    "level": level,
                    "label": labels.get(level, CODINGS[target.coding][0][level]),
                    "observed": observed.get(level, 0.0),
                    "observed_lo": olo,
                    "observed_hi": ohi,
                    "simulated": holdout["shares"][level],
                    "lo": lo,
                    "hi": hi,
                }
            )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """Everything ``fit.json`` holds (NaN and infinity become null)."""
        from importlib.metadata import version

        from escalsim.experiment.provenance import versions

        def clean(value: Any) -> Any:
            if isinstance(value, dict):
                return {str(k): clean(v) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return [clean(v) for v in value]
            if isinstance(value, (np.integer,)):
                return int(value)
            if isinstance(value, (float, np.floating)):
                return float(value) if math.isfinite(value) else None
            return value

        boot = self.bootstrap
        return clean(
            {
                "scenario": self.scenario_id,
                "scenario_sha256": self.scenario_sha256,
                "condition": self.condition,
                "target": {
                    "source": self.target.source,
                    "sha256": self.target.sha256,
                    "levels": self.target.levels.tolist(),
                    "labels": self.target.labels,
                    "counts": None if self.target.counts is None else self.target.counts.tolist(),
                    "shares": self.target.shares.tolist(),
                },
                "params": [p.canonical() for p in self.params],
                "values": self.values,
                "intervals": {k: list(v) for k, v in self.intervals.items()},
                "confidence": 0.95,
                "tvd": self.tvd,
                "chi2": self.chi2,
                "dof": self.dof,
                "p_value": self.p_value,
                "holdout": {
                    **self.holdout,
                    "replications": [self.replications, 2 * self.replications - 1],
                },
                "search": {**self.search, "replications": [0, self.replications - 1]},
                # A joint fit: each target with its own distance at the fit (``tvd`` above is
                # the largest holdout TVD; ``target``, ``chi2``, ``holdout`` are the first's).
                "targets": [
                    {
                        "source": t.source,
                        "sha256": t.sha256,
                        "coding": t.coding,
                        "levels": t.levels.tolist(),
                        "counts": None if t.counts is None else t.counts.tolist(),
                        "shares": t.shares.tolist(),
                        "holdout": h,
                        "search": q,
                    }
                    for t, h, q in zip(self.targets, self.holdouts, self.searches, strict=True)
                ],
                "budget": self.budget,
                "evaluations": self.evaluations,
                "seed": self.seed,
                "replications": self.replications,
                "method": {
                    "objective": "total variation distance of the shares of runs by level (mass "
                    "off the target's levels counts in full); with several targets, the "
                    "largest of their distances",
                    "crn": "every candidate runs replications 0..R-1 of the same seed",
                    **self.settings,
                },
                "bootstrap": {
                    "replicates": len(boot),
                    "sd": {p.path: float(boot[p.path].std(ddof=1)) for p in self.params}
                    if len(boot) >= 2
                    else {},
                },
                "jacobian": {
                    path: {
                        (f"{k[0]}:{k[1]}" if isinstance(k, tuple) else str(k)): v
                        for k, v in column.items()
                    }
                    for path, column in self.jacobian.to_dict().items()
                },
                # Parameters that changed no run at the fit: not fitted, whatever their value.
                "unmoved": list(self.unmoved),
                # The versions every output records, and the fit's own dependencies.
                "versions": {
                    **versions(),
                    "scipy": version("scipy"),
                    "pydantic": version("pydantic"),
                },
            }
        )

    def figure(self) -> Any:
        """Simulated (on the holdout runs) against observed shares, with 95% intervals."""
        from escalsim.viz.figures import calibration_figure

        h = self.holdout
        chi2 = "" if not math.isfinite(self.chi2) else f", χ² {self.chi2:.1f} on {self.dof} dof"
        return calibration_figure(
            self.share_table(),
            f"{self.scenario_id}: highest MID level, simulated at the fit against the target",
            note=f"TVD {self.tvd:.3f}{chi2}; {h['n']:,} fresh runs; target "
            f"{self.target.source.split(' (')[0].split('/')[-1]}",
        )

    def save(self, folder: str | Path, extra: Mapping[str, Any] | None = None) -> list[Path]:
        """Write the output folder: fit.json, candidates.csv, bootstrap.csv, calibration.png.

        ``fit.json`` gets the ``extra`` keys too (e.g. the command); ``folder`` is created if
        needed.

        Returns
        -------
        list of pathlib.Path
            The files written.
        """
        from escalsim.viz.figures import save_figure

        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        data = {**self.to_dict(), **(extra or {})}
        written = [out / "fit.json", out / "candidates.csv", out / "bootstrap.csv"]
        written[0].write_text(json.dumps(data, indent=2, allow_nan=False) + "\n", encoding="utf-8")
        self.candidates.to_csv(written[1], index=False)
        self.bootstrap.to_csv(written[2], index=False)
        written.append(save_figure(self.figure(), out / "calibration.png"))
        return written

    def to_json(self) -> str:
        """The text of ``fit.json``.

        Fitted values, intervals, TVD, chi-square, budget, seed, replications, versions and the
        target file's hash; the same for the same seed on the same machine.
        """
        return json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n"


class _Search:
    """Candidates evaluated under common random numbers, with a budget and a record."""

    def __init__(
        self,
        spec: Scenario,
        params: list[Param],
        targets: list[Target],
        seed: int,
        replications: int,
        condition: str | None,
        progress: Callable[[str], None] | None,
    ) -> None:
        self.spec = spec
        self.params = params
        self.targets = targets
        self.codings = tuple(t.coding for t in targets)
        self.seed = seed
        self.replications = replications
        self.condition = condition
        self.progress = progress
        self.rows: list[dict[str, Any]] = []
        self.cache: dict[tuple[Any, ...], float] = {}
        self.limit = 0
        self.spent = 0  # search evaluations (the budget)

    def scenario_at(self, values: Sequence[float | int]) -> Scenario:
        settings = {p.path: v for p, v in zip(self.params, values, strict=True)}
        return with_settings(self.spec, settings, source=PARAMS_SOURCE)

    def run(self, values: Sequence[float | int], stage: str, start: int = -1) -> Any:
        """Simulate one candidate; record it; return its levels by coding (None if invalid).

        The distance is the largest of the targets' TVDs (one target: its TVD); a target
        without any case among the runs (no ICB crisis) is at distance 1.
        """
        begun = time.perf_counter()
        shares: list[NDArray[np.float64]] = []
        try:
            spec = self.scenario_at(values)
        except ScenarioError:
            codes = None
            shares = [np.full(len(LEVELS), np.nan) for _ in self.targets]
            distance = 1.0  # an invalid combination: the worst distance, so the search leaves it
        else:
            codes = simulated_codes(
                spec,
                seed=self.seed,
                replications=self.replications,
                condition=self.condition,
                codings=self.codings,
            )
            distances = []
            for t in self.targets:
                levels = codes[t.coding]
                shares.append(level_shares(levels))
                cases = bool((levels > 0).any())
                distances.append(tvd(shares[-1], target_vector(t)) if cases else 1.0)
            distance = max(distances)
        self.cache[tuple(values)] = distance
        joint = len(self.targets) > 1
        recorded: dict[str, float] = {}
        for t, x in zip(self.targets, shares, strict=True):
            prefix = f"{t.coding}_" if joint else ""
            if joint:
                recorded[f"tvd_{t.coding}"] = (
                    tvd(x, target_vector(t)) if np.isfinite(x).all() and x.sum() > 0 else 1.0
                )
            recorded.update(
                {f"{prefix}share_{k}": float(v) for k, v in zip(LEVELS, x, strict=True)}
            )
        self.rows.append(
            {
                "evaluation": len(self.rows),
                "stage": stage,
                "start": start,
                **{p.path: v for p, v in zip(self.params, values, strict=True)},
                "tvd": distance,
                **recorded,
                "seconds": time.perf_counter() - begun,
            }
        )
        return codes

    def evaluate(self, u: NDArray[np.float64], *, stage: str, start: int = -1) -> float:
        """The TVD of the candidate at ``u`` (unit coordinates), simulated once."""
        values = tuple(p.value(x) for p, x in zip(self.params, u, strict=True))
        if values in self.cache:
            return self.cache[values]
        if self.spent >= self.limit:
            raise _SpentError
        self.run(values, stage, start)
        self.spent += 1
        if self.progress is not None and self.spent % 50 == 0:
            self.progress(f"{self.spent} candidates, best TVD {self.best()[1]:.4f}")
        return self.cache[values]

    def best(self) -> tuple[NDArray[np.float64], float]:
        """The best candidate of the search so far, in unit coordinates, and its TVD."""
        rows = [r for r in self.rows if r["stage"] in ("design", "local")]
        row = min(rows, key=lambda r: (r["tvd"], r["evaluation"]))
        u = np.array([p.unit(row[p.path]) for p in self.params])
        return u, float(row["tvd"])

    def local(
        self,
        u0: NDArray[np.float64],
        step: float,
        limit: int,
        objective: Callable[[NDArray[np.float64]], float],
    ) -> None:
        """Nelder-Mead in the unit cube from ``u0``, until it converges or ``limit`` rows."""
        from scipy.optimize import minimize

        d = len(u0)
        simplex = [np.asarray(u0, dtype=float)]
        for i in range(d):
            vertex = simplex[0].copy()
            vertex[i] = vertex[i] + step if vertex[i] + step <= 1.0 else vertex[i] - step
            simplex.append(vertex)
        self.limit = limit
        with contextlib.suppress(_SpentError):
            minimize(
                objective,
                simplex[0],
                method="Nelder-Mead",
                bounds=[(0.0, 1.0)] * d,
                options={
                    "initial_simplex": np.array(simplex),
                    "maxfev": 100 * limit + 100,
                    "xatol": 1e-3,
                    "fatol": 1e-4,
                },
            )


def _design(kind: str, d: int, n: int, seed: int) -> NDArray[np.float64]:
    from scipy.stats import qmc

    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xDE5]))
    if kind == "sobol":
        m = max(0, math.floor(math.log2(max(n, 1))))
        return qmc.Sobol(d, scramble=True, seed=rng).random_base2(m)
    return qmc.LatinHypercube(d, seed=rng).random(n)


def _stacked(
    codes: dict[str, NDArray[np.int64]],
    targets: list[Target],
    weights: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """The targets' simulated shares, one block of 5 levels per target, end to end."""
    return np.concatenate([level_shares(codes[t.coding], weights) for t in targets])


def _l1_refit(
    shares: NDArray[np.float64],
    jacobian: NDArray[np.float64],
    wanted: NDArray[np.float64],
    low: NDArray[np.float64],
    high: NDArray[np.float64],
    blocks: int = 1,
) -> tuple[NDArray[np.float64], float]:
    """Minimise the largest ``½ Σ_block |shares + J Δ - wanted|`` over ``low ≤ Δ ≤ high``.

    ``shares``, ``wanted`` and the rows of ``J`` are ``blocks`` targets' shares end to end, in
    equal blocks; with one block this is ``½ Σ |shares + J Δ - wanted|``. A linear program:
    variables Δ (d), the absolute residuals r (k) and the bound t; minimise t subject to
    ``±(shares + J Δ - wanted) ≤ r`` and ``½ Σ_block r ≤ t``. Returns Δ and the minimum (the
    largest TVD).
    """
    from scipy.optimize import linprog

    k, d = jacobian.shape
    size = k // blocks
    cost = np.concatenate([np.zeros(d + k), [1.0]])
    residual = wanted - shares
    per_block = np.zeros((blocks, k))
    for j in range(blocks):
        per_block[j, j * size : (j + 1) * size] = 0.5
    a_ub = np.block(
        [
            [jacobian, -np.eye(k), np.zeros((k, 1))],
            [-jacobian, -np.eye(k), np.zeros((k, 1))],
            [np.zeros((blocks, d)), per_block, -np.ones((blocks, 1))],
        ]
    )
    b_ub = np.concatenate([residual, -residual, np.zeros(blocks)])
    bounds = (
        [(float(lo), float(hi)) for lo, hi in zip(low, high, strict=True)]
        + [(0, None)] * k
        + [(0, None)]
    )
    result = linprog(cost, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
    if not result.success:  # pragma: no cover - the problem is always feasible (Δ = 0)
        return np.zeros(d), max(
            tvd(shares[j * size : (j + 1) * size], wanted[j * size : (j + 1) * size])
            for j in range(blocks)
        )
    return np.asarray(result.x[:d]), float(result.x[-1])


def own_values(params: Sequence[Param], scenario: Scenario) -> list[float]:
    """The values the scenario's file gives the fitted fields, each inside its box.

    What ``budget=0`` measures as the fit (:func:`calibrate`).

    Raises
    ------
    escalsim.scenario.UsageError
        Every field the file does not set (a default is not a fitted value), or whose value
        lies outside its box, at ``--params`` and its path.
    """
    raw = scenario._raw if scenario._raw is not None else scenario.model_dump(mode="json")
    problems: list[Problem] = []
    values: list[float] = []
    for p in params:
        located = resolve(json.loads(json.dumps(raw)), p.path)
        container, key = located.container, located.key
        held = container.get(str(key)) if isinstance(container, dict) else container[int(key)]
        if not isinstance(held, int | float) or isinstance(held, bool):
            problems.append(
                Problem(
                    0,
                    0,
                    (p.path,),
                    "is not set to a number in the scenario; --budget 0 measures the "
                    "scenario's own values, so each fitted field must have one",
                    PARAMS_SOURCE,
                )
            )
        elif not p.low <= held <= p.high:
            problems.append(
                Problem(
                    0,
                    0,
                    (p.path,),
                    f"the scenario's value {held:g} lies outside the box {p.spec()}; "
                    "--budget 0 measures the scenario's own values, inside their boxes",
                    PARAMS_SOURCE,
                )
            )
        else:
            values.append(float(held))
    if problems:
        raise UsageError(problems)
    return values


def _search(
    search: _Search,
    budget: int,
    seed: int,
    design: Literal["lhs", "sobol"],
    design_share: float,
    starts: int,
    step: float,
    say: Callable[[str], None],
) -> tuple[NDArray[np.float64], int, int]:
    """Steps 1 and 2 of :func:`calibrate`: the design, then local refinement.

    Returns the best point (in unit coordinates of the box), the design's size and the number
    of local searches started from it.
    """
    fitted = search.params
    d = len(fitted)
    # 1. The design.
    n_design = min(budget - 1, max(d + 1, round(budget * design_share)))
    points = _design(design, d, n_design, seed)
    search.limit = budget
    for u in points:
        search.evaluate(u, stage="design")
    say(f"design: {len(points)} candidates, best TVD {search.best()[1]:.4f}")

    # 2. Local refinement from the best distinct design points, then from the best found.
    order = sorted(
        (r for r in search.rows if r["stage"] == "design"),
        key=lambda r: (r["tvd"], r["evaluation"]),
    )
    seeds: list[NDArray[np.float64]] = []
    for row in order:
        u = np.array([p.unit(row[p.path]) for p in fitted])
        if all(np.abs(u - v).max() > 1e-9 for v in seeds):
            seeds.append(u)
        if len(seeds) == starts:
            break
    size = step
    for k, u0 in enumerate(seeds):
        left = budget - search.spent
        if left <= d:
            break
        search.local(
            u0,
            size,
            search.spent + left // (len(seeds) - k),
            functools.partial(search.evaluate, stage="local", start=k),
        )
    k = len(seeds)
    while budget - search.spent > d + 1 and size > 1e-3:
        before = search.best()[1]
        search.local(
            search.best()[0],
            size,
            budget,
            functools.partial(search.evaluate, stage="local", start=k),
        )
        if search.best()[1] >= before:
            size /= 2
        k += 1
    u_best, best = search.best()
    say(f"local: {search.spent} candidates in all, best TVD {best:.4f}")
    return u_best, len(points), len(seeds)


def calibrate(
    scenario: Scenario | str,
    target: Target | Sequence[Target],
    params: Mapping[str, tuple[float, float] | Param] | Sequence[Param],
    *,
    budget: int,
    seed: int | None = None,
    replications: int | None = None,
    condition: str | None = None,
    bootstrap: int = 1000,
    difference: float = 0.02,
    starts: int = 3,
    step: float = 0.05,
    design: Literal["lhs", "sobol"] = "lhs",
    design_share: float = 0.4,
    progress: Callable[[str], None] | None = None,
) -> Fit:
    """Fit scenario parameters so that the simulated highest MID level matches a target.

    Parameters
    ----------
    scenario : Scenario or str
        The scenario (or a file, or a shipped name); every rung needs a ``mid_level``.
    target : Target or sequence of Target
        The target distribution (:func:`escalsim.calibration.load_target`), or several with
        different codings (MID and ICB) fitted jointly on the same runs: the objective is then
        the largest of their TVDs, and the bootstrap refits minimise it too.
    params : mapping or sequence
        ``{path: (low, high)}`` (or :class:`Param` objects, e.g. for a log scale): the fields
        to fit and the box to search.
    budget : int
        The most candidates the search simulates (design and local refinement; it stops early
        when a restart cannot build a simplex or the simplex has shrunk below 0.001 of the
        box); at least d + 2 for d parameters. The in-sample and holdout runs at the fit and
        the 2d finite differences come on top.
    seed : int, optional
        Root seed: of the replications (the same for every candidate), of the design and of the
        bootstrap (default: the scenario's ``run.seed``, as ``escalsim calibrate``).
    replications : int, optional
        Replications per candidate, R (default: the scenario's ``run.replications``).
    condition : str, optional
        Fit under this condition of the scenario (default: the base scenario).
    bootstrap : int
        Bootstrap replicates B for the intervals (0: none).
    difference : float
        Step of the central differences at the fit, as a share of each parameter's box.
    starts : int
        Local searches started from the best design points.
    step : float
        Initial simplex size of the local searches, as a share of each parameter's box; each
        restart from the best point that does not improve halves it.
    design : {"lhs", "sobol"}
        The space-filling design (Sobol' rounds the design size down to a power of two).
    design_share : float
        Share of the budget for the design, in (0, 1).
    progress : callable, optional
        Called with a line of text after each stage (and every 50 candidates).

    Returns
    -------
    Fit
        Fitted values, bootstrap intervals, the fit on fresh replications and every candidate.

    Raises
    ------
    escalsim.scenario.ScenarioError
        A bad scenario, condition or parameter (at ``--params``), or a rung without
        ``mid_level``.
    ValueError
        A budget, replication count, step or design share out of range.
    escalsim.errors.LLMError
        A scenario with language-model actors (they run with ``escalsim run``).
    """
    spec = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    from escalsim.llm.run import refuse_llm

    refuse_llm(spec, "a calibration (escalsim calibrate)")
    seed = spec.run.seed if seed is None else seed
    replications = spec.run.replications if replications is None else replications
    targets = [target] if isinstance(target, Target) else list(target)
    if not targets:
        raise ValueError("at least one target is needed")
    codings = [t.coding for t in targets]
    if len(set(codings)) != len(codings):
        raise ValueError(f"one target per coding, got codings {codings}")
    for t in targets:
        level_map(spec, t.coding)
    if condition is not None and condition not in spec.condition_names:
        names = spec.condition_names
        raise UsageError(
            [
                Problem(
                    0,
                    0,
                    ("--condition",),
                    f"no condition '{condition}'{did_you_mean(condition, names)}; expected one "
                    f"of: {', '.join(names)}",
                    spec.id,
                )
            ]
        )
    fitted = check_params(params, spec)
    d = len(fitted)
    if budget != 0 and budget < d + 2:
        raise ValueError(f"budget must be 0 or at least d + 2 = {d + 2} for {d} parameters")
    if replications < 1:
        raise ValueError("replications must be at least 1")
    if not 0.0 < design_share < 1.0:
        raise ValueError("design_share must be in (0, 1)")
    if not (0.0 < step <= 0.5 and 0.0 < difference <= 0.5):
        raise ValueError("step and difference must be in (0, 0.5]")
    if bootstrap < 0 or starts < 1:
        raise ValueError("bootstrap must be >= 0 and starts >= 1")
    say = progress or (lambda _line: None)
    search = _Search(spec, fitted, targets, seed, replications, condition, progress)
    if budget == 0:
        # No search: the scenario's own values are "the fit", measured like one (fresh runs,
        # derivatives, bootstrap intervals), so that a fit shipped in a file can be given its
        # intervals without searching again.
        own = own_values(fitted, spec)
        u_best = np.array([p.unit(v) for p, v in zip(fitted, own, strict=True)])
        say("budget 0: no search; the scenario's own values are measured as the fit")
        design_size = local_starts = 0
    else:
        u_best, design_size, local_starts = _search(
            search, budget, seed, design, design_share, starts, step, say
        )
    values = {p.path: p.value(x) for p, x in zip(fitted, u_best, strict=True)}

    # 3. The fit on the search's replications and on fresh ones.
    at_fit = list(values.values())
    levels = search.run(at_fit, "fit")
    assert levels is not None  # the best candidate is a valid scenario
    searches = [fit_distance(t, levels[t.coding]) for t in targets]
    fresh = simulated_codes(
        search.scenario_at(at_fit),
        seed=seed,
        replications=list(range(replications, 2 * replications)),
        condition=condition,
        codings=tuple(codings),
    )
    holdouts = [fit_distance(t, fresh[t.coding]) for t in targets]
    in_sample, holdout = searches[0], holdouts[0]
    worst = max(h["tvd"] for h in holdouts)
    say(
        f"fit on {replications} fresh replications: TVD {worst:.4f}"
        + (
            " ("
            + ", ".join(
                f"{t.coding} {h['tvd']:.4f}" for t, h in zip(targets, holdouts, strict=True)
            )
            + ")"
            if len(targets) > 1
            else ""
        )
    )

    # 4. The shares' derivatives at the fit: central differences under common random numbers.
    plus: list[dict[str, NDArray[np.int64]]] = []
    minus: list[dict[str, NDArray[np.int64]]] = []
    spans = np.zeros(d)
    for i in range(d):
        hi_u, lo_u = u_best.copy(), u_best.copy()
        hi_u[i], lo_u[i] = min(1.0, u_best[i] + difference), max(0.0, u_best[i] - difference)
        ends = []
        for u in (hi_u, lo_u):
            run = search.run(
                tuple(q.value(x) for q, x in zip(fitted, u, strict=True)), "difference"
            )
            ends.append(levels if run is None else run)
        plus.append(ends[0])
        minus.append(ends[1])
        spans[i] = hi_u[i] - lo_u[i]
    unmoved = [
        p.path
        for p, a, m in zip(fitted, plus, minus, strict=True)
        if all(np.array_equal(a[t.coding], m[t.coding]) for t in targets)
    ]
    for path in unmoved:
        say(f"{path}: changed no run at the fit (both ends of the difference give the same runs)")

    # A diagnostic: where the local linear model puts the minimum for the data as they are. Far
    # from the fit, it says the search has not converged (or the model is not linear there).
    blocks = len(targets)
    wanted_all = np.concatenate([target_vector(t) for t in targets])
    base_jac = np.column_stack(
        [
            (_stacked(a, targets) - _stacked(m, targets)) / w
            for a, m, w in zip(plus, minus, spans, strict=True)
        ]
    )
    delta0, linear_tvd = _l1_refit(
        _stacked(levels, targets), base_jac, wanted_all, -u_best, 1.0 - u_best, blocks
    )
    linear = {
        p.path: p.value(x) for p, x in zip(fitted, np.clip(u_best + delta0, 0.0, 1.0), strict=True)
    }

    # 5. The bootstrap: resample the target's counts and the replications, refit on the local
    # linear model of the shares (an exact L1 minimisation, a linear program).
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xB007]))
    refits: list[dict[str, Any]] = []
    for b in range(bootstrap):
        weights = np.bincount(
            rng.integers(0, replications, replications), minlength=replications
        ).astype(np.float64)
        wanted_parts = []
        for t in targets:
            if t.counts is not None:
                counts = rng.multinomial(int(t.counts.sum()), t.shares)
                wanted_parts.append(target_vector(t, counts / counts.sum()))
            else:
                wanted_parts.append(target_vector(t))
        wanted = np.concatenate(wanted_parts)
        jac_b = np.column_stack(
            [
                (_stacked(a, targets, weights) - _stacked(m, targets, weights)) / w
                for a, m, w in zip(plus, minus, spans, strict=True)
            ]
        )
        delta, distance = _l1_refit(
            _stacked(levels, targets, weights), jac_b, wanted, -u_best, 1.0 - u_best, blocks
        )
        refits.append(
            {
                "replicate": b,
                **{
                    p.path: p.value(x)
                    for p, x in zip(fitted, np.clip(u_best + delta, 0.0, 1.0), strict=True)
                },
                "tvd": distance,
            }
        )
    boot = pd.DataFrame(refits, columns=["replicate", *[p.path for p in fitted], "tvd"])
    intervals: dict[str, tuple[float, float]] = {}
    for p in fitted:
        if len(boot) >= 2:
            lo, hi = np.quantile(boot[p.path].to_numpy(dtype=float), [0.025, 0.975])
            intervals[p.path] = (float(lo), float(hi))
        else:
            intervals[p.path] = (math.nan, math.nan)
    if bootstrap:
        say(f"bootstrap: {bootstrap} replicates")

    # Derivatives in each parameter's own units (per unit of the field, not of the box).
    per_unit = {}
    for i, p in enumerate(fitted):
        a = p.value(min(1.0, u_best[i] + difference))
        z = p.value(max(0.0, u_best[i] - difference))
        change = _stacked(plus[i], targets) - _stacked(minus[i], targets)
        keys: list[Any] = (
            [int(k) for k in LEVELS]
            if blocks == 1
            else [(t.coding, int(k)) for t in targets for k in LEVELS]
        )
        per_unit[p.path] = {
            key: float(v / (a - z)) if a != z else math.nan
            for key, v in zip(keys, change, strict=True)
        }
    index = (
        pd.Index(LEVELS, name="level")
        if blocks == 1
        else pd.MultiIndex.from_tuples(
            [(t.coding, int(k)) for t in targets for k in LEVELS], names=["coding", "level"]
        )
    )
    return Fit(
        values=values,
        intervals=intervals,
        tvd=float(worst),
        chi2=float(holdout["chi2"]),
        dof=int(holdout["dof"]),
        p_value=float(holdout["p_value"]),
        candidates=pd.DataFrame(search.rows),
        holdout=holdout,
        search=in_sample,
        bootstrap=boot,
        target=targets[0],
        params=fitted,
        scenario_id=spec.id,
        scenario_sha256=scenario_hash(spec),  # the one hash of runs and sweeps too
        condition=condition,
        budget=budget,
        seed=seed,
        replications=replications,
        jacobian=pd.DataFrame(per_unit, index=index),
        settings={
            "design": design,
            "design_size": design_size,
            "starts": local_starts,
            "step": step,
            "difference": difference,
            "bootstrap": "linearised: resampled target counts and replications, L1 refit on "
            "the shares' central differences at the fit",
            "linear_refit": {"values": linear, "tvd": linear_tvd},
        },
        targets=targets,
        holdouts=holdouts,
        searches=searches,
        unmoved=unmoved,
    )
