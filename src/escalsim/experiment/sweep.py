"""Parameter sweeps: define, sample, execute through any executor, store crash-safely, resume.

A sweep varies scenario fields (addressed by the same field paths as conditions and ``set``
events, e.g. ``channels.hotline.noise``) over a set of *points*, and runs the same replication
indices 0..R-1 at every point, so common random numbers hold across points: replication r sees
the same random stream at every point, and differences between points are paired.

A sweep runs through the same pipeline as a run: the tasks of :mod:`escalsim.experiment.tasks`
(one point and a chunk of replications), an executor of :mod:`escalsim.experiment.executors`
(this process, local worker processes, or a Dask cluster), the loop of
:mod:`escalsim.experiment.loop`, and the part store of :mod:`escalsim.experiment.store`: each
finished task becomes one Parquet part under ``DIR/runs/``, whole or absent;
``DIR/manifest.json`` holds the canonical sweep and its hash; ``DIR/.lock`` keeps a second
process out. ``resume`` runs only the parts that are missing (or damaged), and refuses a sweep
whose definition changed. The result set — every part, sorted by point and replication — is
identical whatever the executor, the number of workers, the chunk size, and however often the
sweep was interrupted.
"""

from __future__ import annotations

import copy
import math
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from escalsim.core.streams import BlockLayout
from escalsim.errors import StoreError, UsageError
from escalsim.experiment.executors import (  # noqa: F401 (re-exported: the sweep API)
    ExecutorChoice,
    InProcessExecutor,
    make_executor,
    scheduler_address,
)
from escalsim.experiment.loop import Progress, run_tasks
from escalsim.experiment.provenance import request_hash, scenario_hash
from escalsim.experiment.store import PartStore, locked, read_manifest, read_part
from escalsim.experiment.tasks import Frames, Job, Point, Task
from escalsim.scenario import Scenario, ScenarioError
from escalsim.scenario.errors import Problem
from escalsim.scenario.load import check_values, with_settings
from escalsim.scenario.paths import PathError, resolve
from escalsim.scenario.sweepspec import (  # noqa: F401 (re-exported: the sweep API)
    _NUMBER,
    MAX_POINTS,
    MAX_VALUES,
    Vary,
    _parse_spec,
    _problem,
    _scalar,
    block_spec,
    check_size,
    spec_values,
)
from escalsim.scenario.transforms import under_condition

#: Samplers a sweep may use.
SAMPLERS = ("grid", "lhs", "sobol", "morris")
#: Replications per task by default (hundreds per task keep the per-task overhead small).
DEFAULT_CHUNK = 250


# -- defining a sweep ---------------------------------------------------------------------------
def parse_vary(text: str, scenario: Scenario, condition: str | None = None) -> Vary:
    """Parse ``PATH=SPEC`` and check it against the scenario.

    ``SPEC`` is ``START:STOP:COUNT`` (COUNT evenly spaced values, both ends included),
    ``LOW:HIGH`` or ``uniform(LOW,HIGH)`` (bounds for the lhs, sobol and morris samplers), or a
    comma-separated list of values. The path must name a field of the scenario, and every
    value (or both bounds) must be valid there: the errors are the scenario's own. A sweep's
    points set their values in the scenario under its condition
    (:meth:`~escalsim.experiment.tasks.Job.scenario_at`), so that is the scenario to give
    (:func:`~escalsim.scenario.transforms.under_condition`), and ``condition`` its name, for
    the messages: a condition may remove what the path names (an event), or change what a
    value must satisfy.

    Raises
    ------
    ScenarioError
        With the problem located at ``--vary`` and the path (its message naming the
        condition where the scenario's checks found it).
    """
    if "=" not in text:
        raise _problem(
            f"'{text}': expected PATH=SPEC, e.g. channels.hotline.noise=0:0.5:11, "
            "actors.USA.resolve=0.2,0.5,0.8 or channels.hotline.noise=uniform(0,0.5)"
        )
    under = "" if condition is None else f"under --condition {condition}: "
    path, spec = (part.strip() for part in text.split("=", 1))
    raw = scenario._raw if scenario._raw is not None else scenario.model_dump(mode="json")
    try:
        # resolve() fills absent sub-mappings in, so it works on a copy of the scenario's data
        target = resolve(copy.deepcopy(raw), path)
    except PathError as exc:
        raise _problem(under + str(exc), ("--vary", path)) from None
    integer = target.integer
    vary = _parse_spec(path, spec, integer)
    probes = list(vary.values) or [vary.low, vary.high]
    # Every value through the schema and the cross-field checks (fast), then the first and the
    # last through the whole loader, conditions included (about 0.1 s each).
    found = check_values(scenario, path, probes)
    if found:
        raise UsageError(
            [Problem(0, 0, ("--vary", *p.loc), under + p.message, "sweep") for p in found]
        ) from None
    for value in probes if len(probes) <= 2 else [probes[0], probes[-1]]:
        try:
            with_settings(scenario, {path: value}, source="--vary")
        except ScenarioError as exc:
            raise UsageError(
                [
                    Problem(0, 0, ("--vary", *p.loc), under + p.message, "sweep")
                    for p in exc.problems
                ]
            ) from None
    return vary


@dataclass(frozen=True)
class Sweep:
    """A sweep: what varies, how it is sampled, and what runs at each point.

    Attributes
    ----------
    scenario : Scenario
        The base scenario, without its condition: :func:`run_sweep` applies ``condition`` at
        each point (after the point's values).
    varies : tuple of Vary
        The varied fields, in the order given.
    sampler : str
        ``grid`` (every combination of the values), ``lhs`` (Latin hypercube), ``sobol``
        (Saltelli's design for Sobol' indices, via SALib) or ``morris`` (Morris trajectories
        for elementary effects, via SALib).
    samples : int
        Points to draw (lhs), base samples N (sobol: N (d + 2) points; a power of two) or
        trajectories (morris: N (d + 1) points); ignored by grid.
    replications : int
        Replications per point; the same indices 0..R-1 at every point.
    seed : int
        Root seed of the replications (and of the sampler).
    condition : str or None
        The scenario condition the sweep runs under.
    twin : bool
        Also run each replication's perfect-information twin (for war attributable to
        miscalculation).
    """

    scenario: Scenario
    varies: tuple[Vary, ...]
    sampler: str = "grid"
    samples: int = 16
    replications: int = 200
    seed: int = 1
    condition: str | None = None
    twin: bool = True
    _points: list[dict[str, Any]] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.sampler not in SAMPLERS:
            raise _problem(
                f"unknown sampler '{self.sampler}'; expected one of: {', '.join(SAMPLERS)}",
                ("--sampler",),
            )
        if not self.varies:
            raise _problem(
                "a sweep needs at least one --vary PATH=SPEC (or a sweep: block in the scenario)"
            )
        paths = [v.path for v in self.varies]
        if len(set(paths)) != len(paths):
            raise _problem("a path is varied twice: " + ", ".join(sorted(paths)))
        if self.replications < 1:
            raise _problem("at least 1 replication per point is needed", ("--replications",))
        if self.samples < 1:
            raise _problem("at least 1 sample is needed", ("--samples",))
        object.__setattr__(self, "_points", self._sample())

    @property
    def points(self) -> list[dict[str, Any]]:
        """The points, in order: field path -> value."""
        assert self._points is not None
        return self._points

    def _sample(self) -> list[dict[str, Any]]:
        if self.sampler == "grid":
            missing = [v.path for v in self.varies if not v.values]
            if missing:
                raise _problem(
                    "the grid sampler needs values (START:STOP:COUNT or a list) for: "
                    + ", ".join(missing)
                    + "; bounds alone need --sampler lhs, sobol or morris"
                )
            grid = np.array(
                np.meshgrid(*[range(len(v.values)) for v in self.varies], indexing="ij")
            )
            combos = grid.reshape(len(self.varies), -1).T
            return [
                {v.path: v.values[k] for v, k in zip(self.varies, row, strict=True)}
                for row in combos
            ]
        lists = [v.path for v in self.varies if v.low is None]
        if lists:
            raise _problem(
                f"the {self.sampler} sampler needs bounds (LOW:HIGH or uniform(LOW,HIGH)), not a "
                "list, for: " + ", ".join(lists)
            )
        unit = self._unit_sample()
        points = []
        for row in unit:
            point: dict[str, float | int] = {}
            for v, u in zip(self.varies, row, strict=True):
                assert v.low is not None
                assert v.high is not None
                if v.integer:
                    lo, hi = math.ceil(v.low), math.floor(v.high)
                    point[v.path] = int(min(hi, lo + math.floor(u * (hi - lo + 1))))
                else:
                    point[v.path] = float(f"{v.low + u * (v.high - v.low):.12g}")
            points.append(point)
        return points

    def _unit_sample(self) -> np.ndarray:
        d = len(self.varies)
        if self.sampler == "lhs":
            from scipy.stats import qmc

            return qmc.LatinHypercube(d, seed=np.random.default_rng(self.seed)).random(self.samples)
        unit = {"num_vars": d, "names": [v.path for v in self.varies], "bounds": [[0.0, 1.0]] * d}
        if self.sampler == "sobol":
            # Saltelli's scheme as SALib implements it (Sobol' sequence, scrambled): N base
            # samples give N (d + 2) points, from which first- and total-order indices follow.
            m = round(math.log2(self.samples))
            if 2**m != self.samples:
                raise _problem(
                    f"the sobol sampler needs a power of two samples (got {self.samples}; "
                    f"nearest: {2 ** max(m, 0)})",
                    ("--samples",),
                )
            sobol = _salib("SALib.sample.sobol")
            return np.asarray(
                sobol.sample(unit, self.samples, calc_second_order=False, seed=self.seed)
            )
        morris = _salib("SALib.sample.morris")
        return np.asarray(morris.sample(unit, self.samples, num_levels=4, seed=self.seed))

    def salib_problem(self) -> dict[str, Any]:
        """The SALib problem definition of the varied fields."""
        return {
            "num_vars": len(self.varies),
            "names": [v.path for v in self.varies],
            "bounds": [
                [
                    v.low if v.low is not None else min(v.values),
                    v.high if v.high is not None else max(v.values),
                ]
                for v in self.varies
            ],
        }

    def canonical(self) -> dict[str, Any]:
        """Everything that determines the results, as JSON-able data (hashed for resume)."""
        return {
            "scenario_id": self.scenario.id,
            "scenario_sha256": scenario_hash(self.scenario),
            "condition": self.condition,
            "varies": [v.canonical() for v in self.varies],
            "sampler": self.sampler,
            "samples": self.samples if self.sampler != "grid" else None,
            "replications": self.replications,
            "seed": self.seed,
            "twin": self.twin,
            "points": self.points,
        }

    def digest(self) -> str:
        """sha256 of :meth:`canonical` (:func:`escalsim.experiment.provenance.request_hash`)."""
        return request_hash(self.canonical())

    def layout(self) -> BlockLayout:
        """The random block's layout, the same at every point.

        The scenario's (over all its conditions), with the boolean fields the sweep varies
        taken both ways, so that every point draws the same numbers for the same slots
        whatever its values.
        """
        booleans = [
            v.path for v in self.varies if v.values and all(isinstance(x, bool) for x in v.values)
        ]
        return BlockLayout.of(self.scenario, vary=booleans)

    def job(self) -> Job:
        """The job of the sweep's tasks: its points under its condition, with the batch engine.

        Raises
        ------
        ScenarioError
            For an unknown condition.
        """
        base = self.scenario
        if self.condition:
            base = under_condition(base, self.condition)
        return Job(
            base,
            tuple(Point(settings=p) for p in self.points),
            self.seed,
            twin=self.twin,
            keep=0,
            engine="batch",
            labels="point",
            key=self.digest(),
            condition=self.condition,
            layout=self.layout(),
        )


def _salib(module: str) -> Any:
    try:
        from importlib import import_module

        return import_module(module)
    except ImportError:
        raise _problem(
            "this needs SALib: install the 'sa' extra (pip install 'escalsim[sa]')",
            ("--sampler",),
        ) from None


# -- tasks --------------------------------------------------------------------------------------
#: A sweep's task is the one task type of every experiment (kept under its old name).
SweepTask = Task
#: The kind of a sweep's store.
KIND = "escalsim-sweep"


def define_sweep(
    scenario: Scenario,
    varies: Sequence[str] = (),
    *,
    sampler: str | None = None,
    samples: int | None = None,
    replications: int | None = None,
    seed: int | None = None,
    condition: str | None = None,
    chunk: int | None = None,
    twin: bool = True,
) -> tuple[Sweep, int]:
    """The sweep ``escalsim sweep`` runs for these options, and its chunk size.

    Without ``varies`` (``--vary PATH=SPEC`` texts), the scenario's ``sweep:`` block defines
    the sweep, any option given here taking precedence over the block's; what neither gives is
    ``grid``, 16 samples, 200 replications per point and 250 replications per task. The root
    seed is ``seed``, else the scenario's ``run.seed``.

    Returns
    -------
    (Sweep, int)
        The sweep and the replications per task.

    Raises
    ------
    UsageError
        An unknown condition, a bad ``--vary``, a sweep beyond the documented size, or no
        field to vary.
    LLMError
        A scenario with language-model actors (they run with ``escalsim run``).
    """
    from escalsim.experiment.runner import resolve_conditions
    from escalsim.llm.run import refuse_llm

    refuse_llm(scenario, "a sweep (escalsim sweep)")

    block = scenario.sweep
    if not varies and block is not None:
        # The scenario's sweep: block, with any option given here taking precedence.
        varies = tuple(f"{path}={block_spec(v)}" for path, v in block.vary.items())
        sampler = sampler or block.sampler
        samples = samples or block.samples
        replications = replications or block.replications
        condition = condition or block.condition
        chunk = chunk or block.chunk
    sampler, samples = sampler or "grid", samples or 16
    replications, chunk = replications or 200, chunk or DEFAULT_CHUNK
    if condition is not None:
        resolve_conditions(scenario, [condition])
    # The points set their values under the condition: checked there (built once).
    at = scenario
    if condition is not None and scenario.conditions:
        at = under_condition(scenario, condition)
    parsed = tuple(parse_vary(v, at, condition) for v in varies)
    check_size([len(v.values) for v in parsed], sampler, samples)
    definition = Sweep(
        scenario,
        parsed,
        sampler=sampler,
        samples=samples,
        replications=replications,
        seed=scenario.run.seed if seed is None else seed,
        condition=condition,
        twin=twin,
    )
    return definition, chunk


def stored_sweep_seed(folder: str | os.PathLike[str]) -> int | None:
    """The root seed of the sweep stored in ``folder``; None when none is (readably) stored.

    ``sweep --resume`` without ``--seed`` resumes with it, as ``run --resume`` resumes with the
    run's (:func:`escalsim.experiment.runner.stored_seed`): the scenario's ``run.seed`` is the
    default of a *new* sweep only.
    """
    try:
        stored = read_manifest(folder, KIND)
    except StoreError:
        return None  # the resume itself reports it
    seed = (stored or {}).get("request", {}).get("seed")
    return seed if isinstance(seed, int) else None


def default_sweep_folder(sweep: Sweep) -> Path:
    """Where a sweep goes without ``--out``: ``results/<scenario>/sweep-<time>-s<seed>``."""
    from escalsim.experiment.folders import default_folder

    return default_folder(sweep.scenario.id, sweep.seed, "sweep")


def tasks_of(sweep: Sweep, chunk: int) -> list[Task]:
    """Every task of the sweep, point by point."""
    return sweep.job().tasks(sweep.replications, chunk)


def plan(
    sweep: Sweep,
    *,
    chunk: int = DEFAULT_CHUNK,
    workers: int | None = None,
    scheduler: str | None = None,
    out: str | os.PathLike[str] | None = None,
    max_memory: int | None = None,
    force: bool = False,
) -> Any:
    """Estimate a sweep's memory and time and choose its chunk, before anything runs.

    The chunk is lowered until the estimate fits the memory budget (results do not depend on
    it); a sweep resumed from ``out`` keeps its manifest's chunk. See
    :func:`escalsim.experiment.limits.plan_sweep`.

    Returns
    -------
    escalsim.experiment.limits.Estimate
        Its ``task`` is the chunk to use.

    Raises
    ------
    escalsim.experiment.limits.LimitError
        Beyond a documented limit, or when the sweep does not fit the budget.
    escalsim.experiment.store.StoreError
        When ``out`` holds a damaged manifest.
    """
    from escalsim.experiment.executors import default_workers
    from escalsim.experiment.limits import plan_sweep

    n = default_workers() if workers is None else max(1, int(workers))
    stored = read_manifest(out, KIND) if out is not None else None
    if stored is not None:
        chunk = int(stored["chunk"])
    return plan_sweep(
        sweep,
        max(1, int(chunk)),
        n,
        local=not scheduler_address(scheduler),
        max_memory=max_memory,
        force=force,
        fixed_chunk=stored is not None,
    )


@dataclass
class SweepReport:
    """What a call to :func:`run_sweep` did."""

    out: Path
    points: int
    tasks: int
    done_before: int
    ran: int
    executor: str
    seconds: float
    damaged: list[str] = field(default_factory=list)


def run_sweep(
    sweep: Sweep,
    out: str | os.PathLike[str] | None = None,
    *,
    chunk: int = DEFAULT_CHUNK,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool = False,
    in_flight: int | None = None,
    on_part: Callable[[SweepTask], None] | None = None,
    max_memory: int | None = None,
    force: bool = False,
    planned: Any = None,
) -> SweepReport:
    """Run a sweep into ``out`` (``runs/`` parts and ``manifest.json``).

    Parameters
    ----------
    sweep : Sweep
        The sweep.
    out : path, optional
        Its folder (default: :func:`default_sweep_folder`), by the rules of
        :func:`escalsim.experiment.folders.prepare_sweep_folder`, as ``escalsim sweep --out``.
    chunk : int
        Replications per task (the manifest's, when resuming).
    workers : int, optional
        Local worker processes (default: the cores; 1 in this process).
    scheduler : str, optional
        A Dask scheduler address (or ``DASK_SCHEDULER_ADDRESS``).
    resume : bool
        Finish a sweep already in ``out``: only the missing parts run.
    progress : bool
        A progress bar on stderr: points and replications done, rate, time left.
    in_flight : int, optional
        Tasks submitted at a time (default: twice the workers).
    on_part : callable, optional
        Called after each part is written (used by tests).
    max_memory : int, optional
        Memory budget in bytes (default: 80% of the memory available); the chunk is lowered to
        fit it, and a sweep that cannot fit is refused (:func:`plan`).
    force : bool
        Run even when the estimate exceeds the budget.
    planned : escalsim.experiment.limits.Estimate, optional
        The sweep's :func:`plan` with these same arguments, made already (the command line
        plans first, to refuse or dry-run a sweep before any folder is made); not made again.

    Returns
    -------
    SweepReport

    Raises
    ------
    UsageError
        A folder that is refused (at ``--out``).
    """
    from escalsim.experiment.folders import prepare_sweep_folder

    started = time.perf_counter()
    folder = default_sweep_folder(sweep) if out is None else Path(out)
    prepare_sweep_folder(folder, resume=resume)
    with locked(folder):
        if planned is None:
            planned = plan(
                sweep,
                chunk=chunk,
                workers=workers,
                scheduler=scheduler,
                out=folder if resume else None,
                max_memory=max_memory,
                force=force,
            )
        chunk = planned.task
        job = sweep.job()
        # The first and the last point are built here, before the manifest is written: a
        # sweep whose points cannot be built fails now, and leaves nothing to block a retry.
        for point in {0, len(sweep.points) - 1}:
            job.scenario_at(point)
        done = run_parts(
            folder,
            job,
            kind=KIND,
            hint="escalsim sweep ... --resume",
            canonical=sweep.canonical(),
            replications=sweep.replications,
            seed=sweep.seed,
            chunk=chunk,
            resume=resume,
            workers=workers,
            scheduler=scheduler,
            progress=progress,
            label="sweep",
            on_part=on_part,
            in_flight=in_flight,
        )
    return SweepReport(
        folder,
        len(sweep.points),
        done.tasks,
        done.tasks - done.ran,
        done.ran,
        done.executor,
        time.perf_counter() - started,
        done.damaged,
    )


@dataclass(frozen=True)
class PartsRun:
    """What :func:`run_parts` did: the tasks in all, those it ran, the executor, damaged parts."""

    tasks: int
    ran: int
    executor: str
    damaged: list[str]


def run_parts(
    folder: Path,
    job: Job,
    *,
    kind: str,
    hint: str,
    canonical: dict[str, Any],
    replications: int,
    seed: int,
    chunk: int,
    resume: bool,
    workers: int | None,
    scheduler: str | None,
    progress: bool,
    label: str,
    on_part: Callable[[Task], None] | None = None,
    in_flight: int | None = None,
) -> PartsRun:
    """Run a job's points into a folder's part store, skipping the parts already there.

    The one loop of every resumable folder of points (a sweep, a sensitivity analysis): the
    store's manifest is begun (or checked on ``resume``), each point's replications are cut into
    tasks of ``chunk``, the tasks not yet stored run on the executor of ``workers`` /
    ``scheduler``, and every finished part is written at once. Call it with the folder locked.
    """
    store = PartStore(folder, kind, hint=hint)
    size = max(1, int(chunk))
    chunk = store.begin(
        canonical,
        size,
        resume,
        parts=len(job.points) * math.ceil(replications / size),
        seed=seed,
    )
    tasks = job.tasks(replications, chunk)
    done = store.done()
    todo = [t for t in tasks if t.name not in done]

    def on_done(task: Task, frames: Frames) -> None:
        store.write(task, frames)
        if on_part:
            on_part(task)

    try:
        choice = make_executor(workers, scheduler)
    except BaseException:
        store.withdraw()  # refused before any task ran: leave no half-begun folder
        raise
    with Progress(tasks, todo, progress, label, "points") as bar:
        run_tasks(job, todo, choice, on_done, in_flight=in_flight, progress=bar)
    return PartsRun(len(tasks), len(todo), choice.label, list(store.damaged))


# -- reading ------------------------------------------------------------------------------------
def load_sweep(out: str | os.PathLike[str]) -> tuple[dict[str, Any], pd.DataFrame]:
    """The manifest and every part of a sweep, sorted by point and replication.

    The frame is the same whatever executor, workers, chunking or interruptions produced it.

    Raises
    ------
    escalsim.experiment.store.StoreError
        When the folder is no sweep, or its manifest or a part is damaged (naming the file).
    """
    folder = Path(out)
    manifest = _manifest(folder)
    parts = sorted(p for p in (folder / "runs").glob("point-*.parquet") if Task.parse(p.name))
    if not parts:
        return manifest, pd.DataFrame()
    hint = f"escalsim sweep ... --out {folder} --resume"
    frame = pd.concat([read_part(p, hint) for p in parts], ignore_index=True)
    frame = frame.sort_values(["point", "replication"], kind="stable", ignore_index=True)
    return manifest, frame


def _manifest(folder: Path) -> dict[str, Any]:
    manifest = read_manifest(folder, KIND)
    if manifest is None:
        raise _problem(f"{folder} is not a sweep folder (no manifest.json)", ("SWEEP_DIR",))
    manifest.setdefault("sweep", manifest["request"])  # what the analysis reads
    return manifest


def missing_parts(out: str | os.PathLike[str]) -> list[str]:
    """Parts the manifest expects that are not (yet) in ``runs/``."""
    folder = Path(out)
    spec = _manifest(folder)["sweep"]
    chunk = int(_manifest(folder)["chunk"])
    expected = [
        Task(p, start, min(start + chunk, spec["replications"])).name
        for p in range(len(spec["points"]))
        for start in range(0, spec["replications"], chunk)
    ]
    have = {p.name for p in (folder / "runs").glob("point-*.parquet")}
    return [name for name in expected if name not in have]


def iter_points(manifest: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(index, settings) of every point of a sweep's manifest."""
    yield from enumerate(manifest["sweep"]["points"])


__all__ = [
    "DEFAULT_CHUNK",
    "SAMPLERS",
    "InProcessExecutor",
    "Sweep",
    "SweepReport",
    "SweepTask",
    "Vary",
    "analyze",
    "default_sweep_folder",
    "define_sweep",
    "discover",
    "load_sweep",
    "make_executor",
    "missing_parts",
    "parse_vary",
    "point_table",
    "run_sweep",
    "sensitivity",
]


# -- analysing ----------------------------------------------------------------------------------
def point_table(
    manifest: dict[str, Any], frame: pd.DataFrame, metrics: list[str] | None = None
) -> pd.DataFrame:
    """The tidy table of a sweep: one row per (point, metric) with its estimate and CI.

    Columns: ``point``, one column per varied path, then ``metric, kind, estimate, lo, hi,
    mc_se, n`` (:func:`escalsim.experiment.stats.summary`: Wilson intervals for proportions,
    Student t for means).
    """
    from escalsim.experiment import stats

    paths = [v["path"] for v in manifest["sweep"]["varies"]]
    runs = frame.assign(condition=frame["point"])
    table = stats.summary(runs, metrics=metrics).rename(columns={"condition": "point"})
    table["point"] = table["point"].astype(np.int64)
    points = pd.DataFrame(manifest["sweep"]["points"])
    points.insert(0, "point", np.arange(len(points), dtype=np.int64))
    table = points[["point", *paths]].merge(table, on="point", how="right")
    return table.sort_values(["point"], kind="stable", ignore_index=True)


def analyze(
    out: str | os.PathLike[str],
    metrics: list[str] | None = None,
    figure_metrics: tuple[str, ...] = ("p_war", "miscalculation_rate"),
    discover_condition: str | None = None,
) -> tuple[pd.DataFrame, list[Path]]:
    """Write ``DIR/analysis/``: ``summary.csv`` and figures (heatmaps or CI-band lines).

    Two varied numeric fields give a heatmap per metric; one gives a line with its CI band;
    more give a line per field against its own values (means over the other fields). A sweep
    sampled with ``sobol`` or ``morris`` also gets ``sensitivity.csv`` and a bar chart of its
    indices per metric (:func:`sensitivity`; needs SALib, the ``sa`` extra). With
    ``discover_condition`` (``p_war > 0.05``), PRIM's boxes: ``prim-trajectory.csv``,
    ``prim-box.csv`` and ``prim.png`` (:func:`discover`; the ``discovery`` extra).

    Returns
    -------
    (table, figure paths)
    """
    from escalsim.viz.figures import save_figure, sweep_heatmap, sweep_lines

    folder = Path(out)
    manifest, frame = load_sweep(folder)
    missing = missing_parts(folder)
    if frame.empty:
        raise _problem(f"{folder} has no finished parts yet", ("SWEEP_DIR",))
    table = point_table(manifest, frame, metrics)
    target = folder / "analysis"
    target.mkdir(exist_ok=True)
    tmp = target / f".summary.csv.{uuid.uuid4().hex}.tmp"
    table.to_csv(tmp, index=False)
    os.replace(tmp, target / "summary.csv")
    paths = [v["path"] for v in manifest["sweep"]["varies"]]
    # Numbers and true/false can be axes; other values (strings) only label lines.
    numeric = [p for p in paths if pd.api.types.is_numeric_dtype(table[p])]
    written = []
    spec = manifest["sweep"]
    title = f"{spec['scenario_id']}: {len(spec['points'])} points × {spec['replications']} runs"
    if missing:
        title += f" ({len(missing)} parts missing)"
    for metric in figure_metrics:
        rows = table[table["metric"] == metric]
        if rows.empty:
            continue
        grid = spec["sampler"] == "grid"
        if len(paths) == 2 and len(numeric) == 2 and grid:
            fig = sweep_heatmap(rows, paths[0], paths[1], metric, title)
            written.append(save_figure(fig, target / f"heatmap-{metric}.png"))
        else:
            for path in numeric or paths:
                # Off a grid, each point has its own values of the other fields: plot the
                # estimates against this field alone.
                part = rows if grid else rows[[path, "estimate", "lo", "hi"]]
                fig = sweep_lines(part, path, metric, title, connect=grid)
                safe = re.sub(r"[^A-Za-z0-9_.-]", "_", path)
                written.append(save_figure(fig, target / f"lines-{metric}-{safe}.png"))
    if spec["sampler"] in ("sobol", "morris"):
        from escalsim.viz.figures import sensitivity_bars

        indices = pd.concat(
            [sensitivity(manifest, frame, m) for m in figure_metrics], ignore_index=True
        )
        tmp = target / f".sensitivity.csv.{uuid.uuid4().hex}.tmp"
        indices.to_csv(tmp, index=False)
        os.replace(tmp, target / "sensitivity.csv")
        for metric in figure_metrics:
            fig = sensitivity_bars(indices[indices["metric"] == metric], title)
            written.append(save_figure(fig, target / f"sensitivity-{metric}.png"))
    if discover_condition:
        from escalsim.viz.figures import prim_figure

        found = discover(manifest, frame, discover_condition)
        for name in ("trajectory", "box"):
            tmp = target / f".prim-{name}.csv.{uuid.uuid4().hex}.tmp"
            found[name].to_csv(tmp, index=False)
            os.replace(tmp, target / f"prim-{name}.csv")
        written.append(save_figure(prim_figure(found, title), target / "prim.png"))
    return table, written


def sensitivity(
    manifest: dict[str, Any],
    frame: pd.DataFrame,
    metric: str,
    resamples: int = 1000,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Sobol' (first and total order) or Morris (μ*, σ) indices of one metric, with CIs.

    The metric is first averaged over each point's replications, so the indices describe the
    expected outcome and are not inflated by the model's own noise (Marrel et al. 2012 on
    stochastic simulators). CIs are SALib's bootstrap over points (``resamples``, seeded by the
    sweep's seed): ``lo, hi = estimate ∓ conf``.

    Returns
    -------
    pandas.DataFrame
        Columns ``metric, field, index, estimate, lo, hi``.

    Raises
    ------
    ScenarioError
        For a sweep that was not sampled for indices (grid, lhs), or SALib missing.
    """
    from escalsim.experiment import stats

    spec = manifest["sweep"]
    sampler = spec["sampler"]
    if sampler not in ("sobol", "morris"):
        raise _problem(
            f"sensitivity indices need a sweep sampled with --sampler sobol or morris "
            f"(this one: {sampler})",
            ("--sensitivity",),
        )
    points = pd.DataFrame(spec["points"])
    names = [v["path"] for v in spec["varies"]]
    values = stats.per_run_values(frame, metric)
    y = (
        pd.Series(values, index=frame.index)
        .groupby(frame["point"])
        .mean()
        .reindex(range(len(points)))
        .to_numpy()
    )
    if np.isnan(y).any():
        raise _problem("some points have no finished parts yet: resume the sweep first")
    problem = {
        "num_vars": len(names),
        "names": names,
        "bounds": [[v["low"], v["high"]] for v in spec["varies"]],
    }
    rows = []
    if sampler == "sobol":
        analyze_sobol = _salib("SALib.analyze.sobol")
        result = analyze_sobol.analyze(
            problem,
            y,
            calc_second_order=False,
            num_resamples=resamples,
            conf_level=confidence,
            seed=spec["seed"],
        )
        for index in ("S1", "ST"):
            for k, name in enumerate(names):
                est, conf = float(result[index][k]), float(result[f"{index}_conf"][k])
                rows.append((metric, name, index, est, est - conf, est + conf))
    else:
        analyze_morris = _salib("SALib.analyze.morris")
        x = points[names].to_numpy(dtype=float)
        result = analyze_morris.analyze(
            problem, x, y, num_resamples=resamples, conf_level=confidence, seed=spec["seed"]
        )
        for k, name in enumerate(names):
            est, conf = float(result["mu_star"][k]), float(result["mu_star_conf"][k])
            rows.append((metric, name, "mu_star", est, est - conf, est + conf))
            sigma = float(result["sigma"][k])
            rows.append((metric, name, "sigma", sigma, np.nan, np.nan))
    return pd.DataFrame(rows, columns=["metric", "field", "index", "estimate", "lo", "hi"])


_CONDITION = re.compile(rf"\s*([a-z_]+)\s*(>=|<=|>|<)\s*({_NUMBER})\s*")


def discover(
    manifest: dict[str, Any],
    frame: pd.DataFrame,
    condition: str,
    threshold: float = 0.8,
) -> dict[str, pd.DataFrame]:
    """Scenario discovery: PRIM boxes of the varied fields where ``condition`` holds.

    ``condition`` is ``METRIC OP VALUE`` (``p_war > 0.05``), judged on each point's estimate.
    PRIM (Friedman & Fisher 1999, in the EMA workbench; Bryant & Lempert 2010 for its use in
    scenario discovery) peels the space of the varied fields toward the points where it holds;
    every step of the peeling trajectory is a box with its *coverage* (share of the points
    where it holds that the box contains) and *density* (share of the box's points where it
    holds). The box chosen is the one of highest coverage with density at least ``threshold``
    (else the densest). Best with points spread over the space (``--sampler lhs``).

    Returns
    -------
    dict
        ``trajectory`` (step, coverage, density, mass, res_dim, chosen), ``box`` (field, min,
        max, restricted) and ``points`` (the varied fields, the estimate, whether it holds).
    """
    from escalsim.experiment.stats import METRICS

    match = _CONDITION.fullmatch(condition)
    if not match or match[1] not in METRICS:
        raise _problem(
            f"'{condition}': expected METRIC OP VALUE with OP one of > >= < <= and METRIC one "
            f"of: {', '.join(METRICS)}",
            ("--discover",),
        )
    metric, op, value = match[1], match[2], float(match[3])
    prim = _ema_prim()
    table = point_table(manifest, frame, [metric])
    names = [v["path"] for v in manifest["sweep"]["varies"]]
    x = table[names].copy()
    for name in names:
        if pd.api.types.is_bool_dtype(x[name]):
            x[name] = x[name].astype(int)
        elif not pd.api.types.is_numeric_dtype(x[name]):
            x[name] = x[name].astype("category")
    estimate = table["estimate"].to_numpy()
    holds = {">": estimate > value, ">=": estimate >= value, "<": estimate < value}.get(
        op, estimate <= value
    )
    if holds.all() or not holds.any():
        raise _problem(
            f"'{condition}' holds at {'every' if holds.all() else 'no'} point of the sweep: "
            "nothing to discover",
            ("--discover",),
        )
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        box = prim.Prim(x.reset_index(drop=True), holds).find_box()
    trajectory = box.peeling_trajectory[["coverage", "density", "mass", "res_dim"]].copy()
    trajectory.insert(0, "step", np.arange(len(trajectory)))
    dense = trajectory[trajectory["density"] >= threshold]
    chosen = (
        int(dense.sort_values(["coverage", "density"]).index[-1])
        if not dense.empty
        else int(trajectory["density"].idxmax())
    )
    trajectory["chosen"] = trajectory.index == chosen
    limits = box.box_lims[chosen]
    initial = box.box_lims[0]
    rows = []
    for name in names:
        low, high = limits[name].iloc[0], limits[name].iloc[1]
        rows.append(
            (
                name,
                low,
                high,
                bool(low != initial[name].iloc[0] or high != initial[name].iloc[1]),
            )
        )
    return {
        "trajectory": trajectory.reset_index(drop=True),
        "box": pd.DataFrame(rows, columns=["field", "min", "max", "restricted"]),
        "points": table[["point", *names, "estimate"]].assign(holds=holds),
        "condition": pd.DataFrame([{"condition": condition, "threshold": threshold}]),
    }


def _ema_prim() -> Any:
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # it warns that optional back-ends are missing
            from ema_workbench.analysis import prim
    except ImportError:
        raise _problem(
            "scenario discovery needs the EMA workbench: install the 'discovery' extra "
            "(pip install 'escalsim[discovery]')",
            ("--discover",),
        ) from None
    return prim
