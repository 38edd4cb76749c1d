"""Run a scenario's conditions over N replications with common random numbers.

Every condition runs over the same replication indices 0..N-1 of the same root seed, so
replication r of every condition draws the same random numbers (:mod:`escalsim.core.streams`)
and differences between conditions are paired. Work is split into chunks of replications that
run in worker processes (or in this process for small runs); results are gathered in
(condition, replication) order, so they are identical whatever the number of workers.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import json
import math
import os
import secrets
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from typing import Any

import pandas as pd

from escalsim.experiment.workers import stop_pool, worker_pool
from escalsim.scenario import Scenario, ScenarioError, load_scenario, load_text, with_condition
from escalsim.scenario.errors import Problem, did_you_mean

#: Replications of each condition whose timeseries and events are kept (all runs are always
#: summarised): enough for fan charts and event analysis, bounded in memory and on disk.
DEFAULT_KEEP = 200
#: Replications per task sent to a worker, by engine: the batch engine gains from large
#: tasks (its per-round overhead is shared by every replication in them).
CHUNK = 25
BATCH_CHUNK = 1000
#: The drivers ``run`` accepts; "auto" picks the batch engine for ensembles.
ENGINES = ("auto", "agents", "batch")


@dataclass(frozen=True)
class Task:
    """A chunk of replications of one condition."""

    scenario: Scenario
    condition: str
    replications: tuple[int, ...]
    seed: int
    twin: bool
    keep: int
    engine: str = "agents"


def with_rounds(spec: Scenario, rounds: int) -> Scenario:
    """The scenario with a different horizon; events after the new horizon are dropped.

    Summits are cut at the horizon, and conditions no longer remove events that are gone.
    """
    raw = copy.deepcopy(spec._raw if spec._raw is not None else spec.model_dump(mode="json"))
    raw["run"]["rounds"] = rounds
    kept, dropped = [], set()
    for event in raw.get("events") or []:
        if event.get("round", 0) > rounds:
            if event.get("id"):
                dropped.add(f"events.{event['id']}")
            continue
        if event.get("kind") == "summit":
            event["duration"] = min(event.get("duration", 1), rounds - event["round"] + 1)
        kept.append(event)
    raw["events"] = kept
    for cond in (raw.get("conditions") or {}).values():
        if isinstance(cond, dict) and cond.get("remove"):
            cond["remove"] = [p for p in cond["remove"] if p not in dropped]
    try:
        return load_text(json.dumps(raw), "--rounds")
    except ScenarioError as exc:
        raise ScenarioError(
            [Problem(0, 0, p.loc, p.message, "--rounds") for p in exc.problems]
        ) from None


def run_chunk(task: Task) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Run one chunk: the per-run rows, and the kept timeseries and events."""
    spec = (
        with_condition(task.scenario, task.condition) if task.scenario.conditions else task.scenario
    )
    if task.engine == "batch":
        return _run_chunk_batch(spec, task)
    from escalsim.agents import EscalationModel  # mesa: only workers of the mesa face pay it

    runs, series, events = [], [], []
    for r in task.replications:
        model = EscalationModel(scenario=spec, seed=task.seed, replication=r).run()
        row = model.outcome
        row["condition"] = task.condition
        if task.twin:
            twin = EscalationModel(
                scenario=spec, seed=task.seed, replication=r, perfect_information=True
            ).run()
            row["twin_outcome"] = twin.outcome_name
            row["war_attributable"] = bool(
                model.outcome_name == "war" and twin.outcome_name != "war"
            )
        runs.append(row)
        if r < task.keep:
            series.append(model.timeseries.assign(condition=task.condition))
            events.append(model.events.assign(condition=task.condition))
    empty = pd.DataFrame()
    return (
        pd.concat(runs, ignore_index=True),
        pd.concat(series, ignore_index=True) if series else empty,
        pd.concat(events, ignore_index=True) if events else empty,
    )


def _run_chunk_batch(spec: Scenario, task: Task) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """:func:`run_chunk` with the batch engine: the same three frames, equal row for row."""
    from escalsim.batch import run_batch

    main = run_batch(
        spec, seed=task.seed, replications=task.replications, keep=task.keep, twin=task.twin
    )
    runs = main.runs().assign(condition=task.condition)
    series, events = main.timeseries, main.events
    return (
        runs,
        series.assign(condition=task.condition) if not series.empty else series,
        events.assign(condition=task.condition) if not events.empty else events,
    )


def _tasks(
    spec: Scenario,
    conditions: list[str],
    n: int,
    seed: int,
    twin: bool,
    keep: int,
    chunk: int,
    engine: str = "agents",
) -> list[Task]:
    return [
        Task(spec, c, tuple(range(start, min(start + chunk, n))), seed, twin, keep, engine)
        for c in conditions
        for start in range(0, n, chunk)
    ]


def choose_engine(engine: str, replications: int) -> str:
    """The driver that runs: "auto" is the batch engine for an ensemble, the agents for one run.

    Both give identical results (``tests/test_batch.py``); the choice is only about speed.
    """
    if engine != "auto":
        return engine
    return "agents" if replications <= 1 else "batch"


def default_workers() -> int:
    """Worker processes by default: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def execute(
    tasks: list[Task], workers: int, on_done: Callable[[Task], None] | None = None
) -> Iterator[tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]]:
    """Run tasks in order-preserving fashion: in this process, or in ``workers`` processes."""
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            result = run_chunk(task)
            if on_done:
                on_done(task)
            yield result
        return
    pool = worker_pool(workers)
    try:
        futures = [pool.submit(run_chunk, task) for task in tasks]
        for task, future in zip(tasks, futures, strict=True):
            result = future.result()
            if on_done:
                on_done(task)
            yield result
    except BaseException:
        # Ctrl-C, SIGTERM (or an error): drop the chunks not started and kill the workers.
        stop_pool(pool)
        raise
    pool.shutdown(wait=True)


def resolve_conditions(spec: Scenario, wanted: list[str] | None) -> list[str]:
    """Validate requested condition names (all of the scenario's when none are given)."""
    names = spec.condition_names
    if not wanted:
        return names
    problems = [
        Problem(
            0,
            0,
            ("--condition",),
            f"no condition '{w}'{did_you_mean(w, names)}; expected one of: {', '.join(names)}",
            spec.id,
        )
        for w in wanted
        if w not in names
    ]
    if problems:
        raise ScenarioError(problems)
    return list(dict.fromkeys(wanted))


def run(
    scenario: Scenario | str | os.PathLike[str],
    *,
    replications: int | None = None,
    seed: int | None = None,
    conditions: list[str] | None = None,
    rounds: int | None = None,
    baseline: str | None = None,
    twin: bool = True,
    engine: str = "auto",
    workers: int | None = None,
    keep: int = DEFAULT_KEEP,
    progress: bool = False,
    max_memory: int | None = None,
    force: bool = False,
    chunk: int | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    resume: bool = False,
) -> Any:
    """Run every condition of a scenario over the same replications; return a Results object.

    Parameters
    ----------
    scenario : Scenario, str or path
        A validated scenario, a scenario file, or the name of a shipped scenario.
    replications : int, optional
        Replications per condition (default: the scenario's ``run.replications``).
    seed : int, optional
        Root seed (default: a fresh random seed, recorded in the results).
    conditions : list of str, optional
        Conditions to run, in order (default: all of the scenario's).
    rounds : int, optional
        A different horizon (events after it are dropped).
    baseline : str, optional
        The condition differences are taken against (default: the first).
    twin : bool
        Also run each replication's perfect-information twin (for war attributable to
        miscalculation).
    engine : {"auto", "agents", "batch"}
        The driver: the mesa agent model or the vectorised batch engine, which give identical
        results; "auto" picks the batch engine unless there is a single replication.
    workers : int, optional
        Worker processes (default: the machine's cores; 1 runs in this process).
    keep : int
        Replications per condition whose timeseries and events are kept.
    progress : bool
        Show a progress bar on stderr.
    max_memory : int, optional
        Memory budget in bytes (default: 80% of the memory available;
        :mod:`escalsim.experiment.limits`). Tasks are made smaller to fit it; a run that does
        not fit even then is refused.
    force : bool
        Run even when the estimate exceeds the budget.
    chunk : int, optional
        Replications per task (default: by engine and workers); the results do not depend
        on it.
    checkpoint : path, optional
        The run folder this run is for: every finished chunk is written at once as a part of
        its work folder ``.NAME.partial`` (:class:`escalsim.experiment.results.RunParts`), and
        the results are read back from the parts; ``RunParts(checkpoint).finish(results)``
        then writes the run folder. A run stopped at any point loses only its unfinished chunks.
    resume : bool
        With ``checkpoint``: take up an interrupted run of the same plan (its chunk size too),
        running only the missing parts.

    Returns
    -------
    escalsim.experiment.results.Results

    Raises
    ------
    ScenarioError
        For an invalid scenario, condition, horizon or baseline.
    escalsim.experiment.limits.LimitError
        When the run does not fit the memory budget (a ScenarioError: exit 2 in the CLI).
    """
    from escalsim.experiment.limits import plan_run
    from escalsim.experiment.results import Results

    started = time.perf_counter()
    setup = _setup(scenario, replications, seed, conditions, rounds, baseline, engine, workers)
    spec, names, n, root, workers, driver, default_chunk = setup
    chunk = default_chunk if chunk is None else max(1, int(chunk))
    # Estimate before allocating: smaller tasks if they fit the budget, else refuse.
    plan = plan_run(
        spec,
        n,
        conditions=names,
        engine=driver,
        twin=twin,
        keep=keep,
        workers=workers,
        task=chunk,
        seed=root,
        max_memory=max_memory,
        force=force,
    )
    chunk = plan.task
    if checkpoint is not None:
        runs, series, events = _run_checkpointed(
            checkpoint, resume, spec, names, n, root, twin, keep, chunk, driver, workers, progress
        )
    else:
        tasks = _tasks(spec, names, n, root, twin, keep, chunk, driver)
        parts = list(_with_progress(tasks, workers, progress))
        runs = pd.concat([p[0] for p in parts], ignore_index=True)
        series = _concat([p[1] for p in parts])
        events = _concat([p[2] for p in parts])
    manifest = {
        "scenario_id": spec.id,
        "scenario_name": spec.name,
        "seed": root,
        "replications": n,
        "conditions": names,
        "baseline": baseline or names[0],
        "rounds": spec.run.rounds,
        "time_unit": spec.run.time_unit,
        "twin": twin,
        "engine": driver,
        "workers": workers,
        "kept_replications": min(keep, n),
        "wall_seconds": round(time.perf_counter() - started, 3),
        "estimate": {
            "memory_bytes": plan.memory_bytes,
            "seconds": round(plan.seconds, 3),
            "task_replications": plan.task,
            "notes": list(plan.notes),
        },
    }
    return Results(scenario=spec, runs=runs, timeseries=series, events=events, manifest=manifest)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The non-empty frames concatenated (an empty frame when no replication was kept)."""
    kept = [f for f in frames if not f.empty]
    return pd.concat(kept, ignore_index=True) if kept else pd.DataFrame()


def estimate_run(
    scenario: Scenario | str | os.PathLike[str],
    *,
    replications: int | None = None,
    seed: int | None = None,
    conditions: list[str] | None = None,
    rounds: int | None = None,
    baseline: str | None = None,
    twin: bool = True,
    engine: str = "auto",
    workers: int | None = None,
    keep: int = DEFAULT_KEEP,
    max_memory: int | None = None,
    force: bool = False,
) -> Any:
    """What :func:`run` with these arguments would need, without running it.

    A pilot of a few dozen replications per condition measures how long crises last, so the
    time is an expectation rather than the horizon's upper bound. The parameters are
    :func:`run`'s.

    Returns
    -------
    escalsim.experiment.limits.Estimate
        With the task size the run would use.

    Raises
    ------
    ScenarioError
        As :func:`run`, including a LimitError when the run would be refused.
    """
    from escalsim.experiment.limits import estimate, plan_run

    setup = _setup(scenario, replications, seed, conditions, rounds, baseline, engine, workers)
    spec, names, n, root, workers, driver, chunk = setup
    kwargs: dict[str, Any] = dict(
        conditions=names, engine=driver, twin=twin, keep=keep, workers=workers, seed=root
    )
    plan = plan_run(spec, n, task=chunk, max_memory=max_memory, force=force, **kwargs)
    measured = estimate(spec, n, task=plan.task, pilot=True, **kwargs)
    return dataclasses.replace(measured, notes=plan.notes)


def _setup(
    scenario: Scenario | str | os.PathLike[str],
    replications: int | None,
    seed: int | None,
    conditions: list[str] | None,
    rounds: int | None,
    baseline: str | None,
    engine: str,
    workers: int | None,
) -> tuple[Scenario, list[str], int, int, int, str, int]:
    """Validate run()'s arguments; the scenario, conditions, n, seed, workers, driver, chunk."""
    spec = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if engine not in ENGINES:
        raise ScenarioError(
            [
                Problem(
                    0,
                    0,
                    ("--engine",),
                    f"unknown engine '{engine}'; expected one of: {', '.join(ENGINES)}",
                    spec.id,
                )
            ]
        )
    if rounds is not None:
        spec = with_rounds(spec, rounds)
    names = resolve_conditions(spec, conditions)
    if baseline is not None and baseline not in names:
        raise ScenarioError(
            [
                Problem(
                    0,
                    0,
                    ("--baseline",),
                    f"the baseline '{baseline}' is not "
                    f"among the conditions run: {', '.join(names)}",
                    spec.id,
                )
            ]
        )
    n = spec.run.replications if replications is None else int(replications)
    root = secrets.randbits(63) if seed is None else int(seed)
    workers = default_workers() if workers is None else max(1, int(workers))
    total_runs = n * len(names)
    if total_runs < 4 * CHUNK:
        workers = 1  # starting processes would cost more than it saves
    driver = choose_engine(engine, n)
    size = BATCH_CHUNK if driver == "batch" else CHUNK
    if driver == "batch" and total_runs < 2 * BATCH_CHUNK:
        workers = 1  # a few seconds in one process: spawning workers would double that
    chunk = max(1, min(size, math.ceil(n / max(1, workers))))
    return spec, names, n, root, workers, driver, chunk


def _with_progress(
    tasks: list[Task], workers: int, show: bool
) -> Iterator[tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]]:
    if not show or not sys.stderr.isatty():
        yield from execute(tasks, workers)
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    total = sum(len(t.replications) for t in tasks)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
    ) as bar:
        job = bar.add_task("replications", total=total)
        yield from execute(tasks, workers, lambda t: bar.advance(job, len(t.replications)))


# -- a run written in parts as it goes -----------------------------------------------------------
def part_name(task: Task, conditions: list[str]) -> str:
    """The name of a task's part: its condition's index and its replications ``[start, stop)``."""
    start, stop = task.replications[0], task.replications[-1] + 1
    return f"c{conditions.index(task.condition):03d}_reps-{start:07d}-{stop:07d}"


def _run_checkpointed(
    folder: str | os.PathLike[str],
    resume: bool,
    spec: Scenario,
    names: list[str],
    n: int,
    root: int,
    twin: bool,
    keep: int,
    chunk: int,
    driver: str,
    workers: int,
    progress: bool,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Run the missing parts into the work folder of ``folder``; return the frames of all."""
    from escalsim.experiment.results import RunParts, canonical_scenario

    store = RunParts(folder)
    plan = {
        "scenario_id": spec.id,
        "scenario_sha256": canonical_scenario(spec)[1],
        "seed": root,
        "replications": n,
        "conditions": names,
        "rounds": spec.run.rounds,
        "twin": twin,
        "engine": driver,
        "keep": min(keep, n),
        "chunk": chunk,
        "parts": len(names) * math.ceil(n / chunk),
    }
    chunk = int(store.begin(plan, resume)["chunk"])  # a resumed run keeps its chunks
    tasks = _tasks(spec, names, n, root, twin, keep, chunk, driver)
    done = store.done()
    todo = [t for t in tasks if part_name(t, names) not in done]
    total = sum(len(t.replications) for t in tasks)
    with _bar(total, total - sum(len(t.replications) for t in todo), progress) as advance:
        _run_into(store, todo, names, workers, advance)
    return store.read([part_name(t, names) for t in tasks])


def _run_into(
    store: Any, todo: list[Task], names: list[str], workers: int, advance: Callable[[int], None]
) -> None:
    """Run tasks and write each one's part as soon as it finishes (in any order).

    On an interruption (SIGINT, SIGTERM), the chunks already finished are written before the
    workers are killed: finished work is never thrown away.
    """
    if workers <= 1 or len(todo) <= 1:
        for task in todo:
            store.write(part_name(task, names), run_chunk(task))
            advance(len(task.replications))
        return
    pool = worker_pool(workers)
    pending: dict[Future[Any], Task] = {}
    queue = iter(todo)
    try:
        while True:
            while len(pending) < 2 * workers:
                task = next(queue, None)
                if task is None:
                    break
                pending[pool.submit(run_chunk, task)] = task
            if not pending:
                break
            finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for future in finished:
                task = pending[future]
                store.write(part_name(task, names), future.result())
                del pending[future]
                advance(len(task.replications))
    except BaseException as exc:
        if not isinstance(exc, OSError):  # interrupted, or a worker died: keep what finished
            _save_finished(store, pending, names)
        stop_pool(pool)
        raise
    pool.shutdown(wait=True)


def _save_finished(store: Any, pending: dict[Future[Any], Task], names: list[str]) -> None:
    """Write the parts of the chunks that finished but were not written yet."""
    for future, task in list(pending.items()):
        if future.done() and not future.cancelled() and future.exception() is None:
            try:
                store.write(part_name(task, names), future.result())
            except OSError:  # e.g. the disk is full: the interruption is what to report
                return


@contextlib.contextmanager
def _bar(total: int, already: int, show: bool) -> Iterator[Callable[[int], None]]:
    """A progress bar of replications on stderr (when it is a terminal): yields ``advance``."""
    if not show or not sys.stderr.isatty():
        yield lambda _n: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
    ) as bar:
        job = bar.add_task("replications", total=total, completed=already)
        yield lambda n: bar.advance(job, n)
