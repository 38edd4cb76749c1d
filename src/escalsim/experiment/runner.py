"""Run a scenario's conditions over N replications with common random numbers.

A run is an experiment whose points are the scenario's conditions: every condition runs over
the same replication indices 0..N-1 of the same root seed (:mod:`escalsim.core.streams`), so
replication r of every condition draws the same random numbers and differences between
conditions are paired. It goes through the same pipeline as a sweep — the tasks of
:mod:`~escalsim.experiment.tasks`, an executor of :mod:`~escalsim.experiment.executors`
(this process, local worker processes or Dask), the loop of :mod:`~escalsim.experiment.loop`
and, with a checkpoint, the part store of :mod:`~escalsim.experiment.store` — and its results
are gathered in (condition, replication) order, so they are identical whatever the executor,
the number of workers or the chunk size.
"""

from __future__ import annotations

import dataclasses
import math
import os
import secrets
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from escalsim.core.streams import BlockLayout
from escalsim.errors import UsageError
from escalsim.experiment.executors import (
    HeldExecutor,
    default_workers,
    make_executor,
    scheduler_address,
)
from escalsim.experiment.loop import Progress, run_tasks
from escalsim.experiment.provenance import scenario_hash
from escalsim.experiment.tasks import Frames, Job, Point, Task
from escalsim.llm.run import active_llm_session, with_llm_session
from escalsim.scenario import Scenario, load_scenario
from escalsim.scenario.errors import Problem, did_you_mean
from escalsim.scenario.transforms import with_rounds

#: Replications of each condition whose timeseries and events are kept (all runs are always
#: summarised): enough for fan charts and event analysis, bounded in memory and on disk.
DEFAULT_KEEP = 200
#: Replications per task sent to a worker, by engine: the batch engine gains from large
#: tasks (its per-round overhead is shared by every replication in them).
CHUNK = 25
BATCH_CHUNK = 1000
#: The drivers ``run`` accepts; "auto" picks the batch engine for ensembles.
ENGINES = ("auto", "agents", "batch")
#: The kind of a run's store.
KIND = "escalsim-run"

__all__ = [
    "BATCH_CHUNK",
    "CHUNK",
    "DEFAULT_KEEP",
    "ENGINES",
    "choose_engine",
    "default_workers",
    "estimate_run",
    "resolve_conditions",
    "run",
    "stored_seed",
    "with_rounds",
]


def choose_engine(engine: str, replications: int) -> str:
    """The driver that runs: "auto" is the batch engine for an ensemble, the agents for one run.

    Both give identical results (``tests/test_batch.py``); the choice is only about speed.
    """
    if engine != "auto":
        return engine
    return "agents" if replications <= 1 else "batch"


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
        raise UsageError(problems)
    return list(dict.fromkeys(wanted))


@with_llm_session
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
    scheduler: str | None = None,
    keep: int = DEFAULT_KEEP,
    progress: bool = False,
    max_memory: int | None = None,
    force: bool = False,
    chunk: int | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    resume: bool = False,
    out: str | os.PathLike[str] | None = None,
    plots: bool = True,
    provenance: Mapping[str, Any] | None = None,
    paths: bool = False,
    llm: Mapping[str, Any] | None = None,
) -> Any:
    """Run every condition of a scenario over the same replications; return a Results object.

    Parameters
    ----------
    scenario : Scenario, str or path
        A validated scenario, a scenario file, or the name of a shipped scenario.
    replications : int, optional
        Replications per condition (default: the scenario's ``run.replications``).
    seed : int, optional
        Root seed (default: with ``out`` and ``resume``, the stored run's; else a fresh random
        seed, recorded in the results).
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
        Processes that run the tasks, this one among them: it works beside ``workers - 1``
        local processes (:class:`~escalsim.experiment.executors.SharedExecutor`). Default: the
        machine's cores. Either way no more than the run's estimated work is worth
        (:func:`worth_starting`); 1 runs in this process.
    scheduler : str, optional
        A Dask scheduler's address (default: ``$DASK_SCHEDULER_ADDRESS`` if set): the tasks
        run on its cluster instead of local processes.
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
        the store in its work folder ``.NAME.partial`` (:mod:`escalsim.experiment.store`,
        locked while the run lasts), and the results are read back from the parts;
        ``RunParts(checkpoint).finish(results)`` then writes the run folder. A run stopped at
        any point loses only its unfinished chunks.
    resume : bool
        With ``checkpoint`` or ``out``: take up an interrupted run of the same request (its
        chunk size too), running only the missing parts; when the run folder is complete
        already, return its results. Either way the request must be the stored one.
    out : path, optional
        Write the run folder ``out`` as ``escalsim run --out OUT`` does, by the same rules
        (:mod:`escalsim.experiment.folders`): ``out`` must be new or empty (with ``resume``:
        a run folder, or one whose run was interrupted); without ``seed``, ``resume`` reuses
        the stored seed; every finished chunk is saved at once in the work folder
        ``.OUT.partial`` (locked while the run lasts), and the run folder appears complete or
        not at all. Ctrl-C leaves a run that the same call with ``resume=True`` finishes.
        ``escalsim run`` without ``--out`` writes
        ``folders.default_folder(scenario_id, seed)``.
    plots : bool
        With ``out``: draw the figures into the run folder too.
    provenance : mapping, optional
        With ``out``: more fields for the run folder's manifest (the command line records its
        ``command``).
    paths : bool
        Also split the difference between the baseline and the first other condition run into
        its Shapley paths (docs/decision-v2.md §8; :func:`escalsim.experiment.paths.decompose`):
        8 more runs of the replications, in this process, checked against the run's own
        conditions. The table is ``Results.paths`` (``paths.csv`` in the run folder).
    llm : mapping, optional
        Options of the language-model actors' session (:func:`escalsim.llm.run.llm_session`:
        ``replay``, ``offline``, ``max_calls``, ``max_tokens``). A scenario with an ``llm``
        actor runs in this process; with ``out`` its answers are recorded in the run folder
        (``llm/calls.jsonl``) and the manifest's ``llm`` says the run is reproducible from that
        recording, not from the seed alone (docs/llm.md).

    Returns
    -------
    escalsim.experiment.results.Results

    Raises
    ------
    ScenarioError
        For an invalid scenario, condition, horizon or baseline; with ``paths``, a UsageError
        for fewer than two conditions or a pair that differs in more than channel state.
    escalsim.experiment.limits.LimitError
        When the run does not fit the memory budget (a ScenarioError: exit 2 in the CLI).
    escalsim.experiment.store.StoreError
        With ``checkpoint`` or ``out``: the folder is in use, holds another run, or is damaged.
    UsageError
        With ``out``: a folder that is refused (at ``--out``), or ``resume`` without one.
    """
    # What _run is given either way (it runs the conditions; with out, into a run folder).
    given: dict[str, Any] = dict(
        replications=replications,
        conditions=conditions,
        rounds=rounds,
        baseline=baseline,
        twin=twin,
        engine=engine,
        workers=workers,
        scheduler=scheduler,
        keep=keep,
        progress=progress,
        max_memory=max_memory,
        force=force,
        chunk=chunk,
        resume=resume,
        paths=paths,
        plots=plots,
    )
    if out is not None or (resume and checkpoint is None):
        if checkpoint is not None:
            raise UsageError([Problem(0, 0, ("--out",), "give out or checkpoint, not both", "run")])
        from escalsim.experiment.folders import run_target
        from escalsim.experiment.results import RunParts, work_folder
        from escalsim.experiment.store import locked
        from escalsim.llm.run import attach, llm_session

        spec = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        target = run_target(spec.id, out=out, seed=seed, resume=resume)
        stored = RunParts(target.folder)
        work = work_folder(target.folder)
        # The run's helper process, if it has one and draws figures, is held from its last
        # task to the figures, which it helps draw (HeldExecutor), then closed.
        with locked(work), llm_session(spec, work, llm) as session, HeldExecutor() as held:
            results = _run(
                spec,
                seed=target.seed,
                checkpoint=target.folder,
                held=held if plots else None,
                **given,
            )
            if target.complete:
                stored.discard()  # what a run stopped just after it finished left behind
            else:
                results.manifest.update(provenance or {})
                attach(results, session, work)
                stored.finish(results, plots=plots, helpers=held.executor)
        return results
    return _run(scenario, seed=seed, checkpoint=checkpoint, **given)


def _run(
    scenario: Scenario | str | os.PathLike[str],
    *,
    replications: int | None,
    seed: int | None,
    conditions: list[str] | None,
    rounds: int | None,
    baseline: str | None,
    twin: bool,
    engine: str,
    workers: int | None,
    scheduler: str | None,
    keep: int,
    progress: bool,
    max_memory: int | None,
    force: bool,
    chunk: int | None,
    checkpoint: str | os.PathLike[str] | None,
    resume: bool,
    paths: bool,
    plots: bool,
    held: HeldExecutor | None = None,
) -> Any:
    """:func:`run` without ``out``, by its parameters.

    ``held``: where the run's helper process is kept for the figures of its run folder
    (``run_tasks(keep_open=True)``, :class:`HeldExecutor`).
    """
    from escalsim.experiment.limits import plan_run

    started = time.perf_counter()
    setup = _setup(
        scenario, replications, seed, conditions, rounds, baseline, engine, workers, scheduler, twin
    )
    spec, names, n, root, workers, driver, default_chunk = setup
    asking = active_llm_session(spec)
    if asking is not None:
        # LLM actors ask through this process's session (its recording, cache and budget).
        workers, scheduler = 1, None
    pair = None
    if paths:
        from escalsim.experiment.paths import paths_pair

        pair = paths_pair(spec, names, baseline)  # refused before anything runs
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
        paths=pair,
    )
    job = Job(
        spec,
        tuple(Point(condition=c) for c in names),
        root,
        twin=twin,
        keep=keep,
        engine="agents" if driver == "agents" else "batch",
        labels="condition",
        layout=BlockLayout.of(spec),
    )
    request = run_request(spec, names, n, root, twin, driver, keep)
    if checkpoint is not None:
        from escalsim.experiment.results import Results

        final = Path(checkpoint)
        if resume and final.exists() and stored_request(final) is not None:
            check_request(final, request)
            return Results.load(final)
        runs, series, events = _run_checkpointed(
            final, resume, job, request, n, plan.task, workers, scheduler, progress, plots, held
        )
    else:
        tasks = job.tasks(n, plan.task)
        frames: dict[Task, Frames] = {}
        with Progress(tasks, tasks, progress, "run", "conditions") as bar:
            run_tasks(
                job,
                tasks,
                make_executor(workers, scheduler, shared=True),
                frames.__setitem__,
                progress=bar,
            )
        parts = [frames[t] for t in tasks]
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
    if asking is not None:
        manifest["llm"] = asking.manifest()
    from escalsim.experiment.results import Results

    table = None
    if pair is not None:
        from escalsim.experiment.paths import SWITCH_SETS, decompose

        shares = decompose(spec, *pair, seed=root, replications=n)
        shares.check(runs)
        table = shares.table
        manifest["paths"] = {
            "base": pair[0],
            "other": pair[1],
            "runs": SWITCH_SETS,
            "replications": n,
        }
    return Results(
        scenario=spec, runs=runs, timeseries=series, events=events, manifest=manifest, paths=table
    )


def run_request(
    spec: Scenario, names: list[str], n: int, seed: int, twin: bool, driver: str, keep: int
) -> dict[str, Any]:
    """What determines a run's results: the request its store and its resume compare."""
    return {
        "scenario_id": spec.id,
        "scenario_sha256": scenario_hash(spec),
        "seed": seed,
        "replications": n,
        "conditions": names,
        "rounds": spec.run.rounds,
        "twin": twin,
        "engine": driver,
        "keep": min(keep, n),
    }


def stored_request(folder: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The request of a complete run folder (read from its manifest; None when it has none).

    Run folders of every version of escalsim have these fields in their manifest.

    Raises
    ------
    StoreError
        When the manifest cannot be read.
    """
    from escalsim.experiment.results import MANIFEST
    from escalsim.experiment.store import StoreError

    path = Path(folder) / MANIFEST
    if not path.is_file():
        return None
    try:
        import json

        data = json.loads(path.read_text(encoding="utf-8"))
        return {
            "scenario_id": data["scenario_id"],
            "scenario_sha256": data["scenario_sha256"],
            "seed": data["seed"],
            "replications": data["replications"],
            "conditions": data["conditions"],
            "rounds": data["rounds"],
            "twin": data["twin"],
            "engine": data["engine"],
            "keep": data["kept_replications"],
        }
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StoreError(f"{path} cannot be read as a run's manifest ({exc})") from None


def check_request(folder: str | os.PathLike[str], request: dict[str, Any]) -> None:
    """Refuse to resume the complete run folder ``folder`` with another request.

    Raises
    ------
    StoreError
        At ``--resume``, naming the fields that differ.
    """
    from escalsim.experiment.store import StoreError, changed_fields

    stored = stored_request(folder)
    if stored is not None and stored != request:
        raise StoreError(
            f"{folder} holds a different run (changed: "
            f"{', '.join(changed_fields(stored, request))}); it cannot be resumed with these "
            "options",
            "--resume",
        )


def stored_seed(folder: str | os.PathLike[str]) -> int | None:
    """The seed of the run stored in ``folder`` (complete, or interrupted in its work folder).

    ``--resume`` without ``--seed`` resumes with it. None when nothing (readable) is stored.
    """
    from escalsim.experiment.results import work_folder
    from escalsim.experiment.store import StoreError, read_manifest

    try:
        done = stored_request(folder)
        if done is not None:
            return int(done["seed"])
        work = read_manifest(work_folder(folder), KIND)
    except StoreError:
        return None  # the resume itself reports it
    if work is None:
        return None
    seed = work["request"].get("seed")
    return int(seed) if isinstance(seed, int) else None


def _run_checkpointed(
    final: Path,
    resume: bool,
    job: Job,
    request: dict[str, Any],
    n: int,
    chunk: int,
    workers: int,
    scheduler: str | None,
    progress: bool,
    plots: bool = False,
    held: HeldExecutor | None = None,
) -> Frames:
    """Run the missing parts into the store of ``final``'s work folder; return all frames.

    With ``plots`` (the run folder gets figures), this process imports the figures' modules
    while it waits for a helper process's last task, instead of after it; given ``held`` too,
    the helper process is kept for the figures (``held`` closes it): it imports the same
    modules once it has no task left, and draws some of the figures
    (:meth:`escalsim.experiment.results.Results.save_figures`).
    """
    from escalsim.experiment.results import work_folder
    from escalsim.experiment.store import PartStore, locked

    work = work_folder(final)
    with locked(work):
        store = PartStore(work, KIND)
        parts = len(job.points) * math.ceil(n / chunk)
        chunk = store.begin(request, chunk, resume, parts=parts, seed=request["seed"])
        tasks = job.tasks(n, chunk)  # a resumed run keeps its chunks
        done = store.done()
        todo = [t for t in tasks if t.name not in done]
        try:
            executor = make_executor(workers, scheduler, shared=True) if todo else None
        except BaseException:
            store.withdraw()  # refused before any task ran: leave no half-begun run folder
            raise
        written: dict[str, Frames] = {}  # the parts written here are not read back

        def write(task: Task, frames: Frames) -> None:
            store.write(task, frames)
            written[task.name] = frames

        with Progress(tasks, todo, progress, "run", "conditions") as bar:
            if executor is not None:
                helped = plots and executor.pool is not None
                hold = helped and held is not None
                if hold and held is not None:
                    # Held before the loop: an interruption between the loop's end and here
                    # would otherwise leave the pool open (the loop closes it only on failure).
                    held.adopt(executor)
                run_tasks(
                    job,
                    todo,
                    executor,
                    write,
                    progress=bar,
                    while_waiting=_import_figures if helped else None,
                    keep_open=hold,
                    when_drained=_import_figures if hold else None,
                )
        return store.read(tasks, kept=written)


def _import_figures() -> None:
    """Import what drawing and summarising a run need (matplotlib, scipy.special): 0.3 s of CPU."""
    import scipy.special  # noqa: F401 (escalsim.experiment.stats's Student quantile)

    import escalsim.viz.figures  # noqa: F401


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
    paths: bool = False,
    plots: bool = False,
) -> Any:
    """What :func:`run` with these arguments would need, without running it.

    A pilot of a few dozen replications per condition measures how long crises last, so the
    time is an expectation rather than the horizon's upper bound. The parameters are
    :func:`run`'s; with ``paths`` the Shapley paths' 8 runs are included
    (:func:`escalsim.experiment.limits.with_paths`), with ``plots`` the run folder's figures
    (:func:`escalsim.experiment.limits.with_figures`: ``escalsim run`` draws them unless
    ``--no-plots``; ``run`` with ``out`` and ``plots``).

    Returns
    -------
    escalsim.experiment.limits.Estimate
        With the task size the run would use.

    Raises
    ------
    ScenarioError
        As :func:`run`, including a LimitError when the run would be refused, and with
        ``paths`` a UsageError for a pair the paths cannot split
        (:func:`escalsim.experiment.paths.paths_pair`).
    """
    from escalsim.experiment.limits import estimate, plan_run

    setup = _setup(
        scenario, replications, seed, conditions, rounds, baseline, engine, workers, None, twin
    )
    spec, names, n, root, workers, driver, chunk = setup
    kwargs: dict[str, Any] = dict(
        conditions=names, engine=driver, twin=twin, keep=keep, workers=workers, seed=root
    )
    pair = None
    if paths:
        from escalsim.experiment.paths import paths_pair

        pair = paths_pair(spec, names, baseline)
    plan = plan_run(
        spec,
        n,
        task=chunk,
        max_memory=max_memory,
        force=force,
        paths=pair,
        **kwargs,
    )
    measured = estimate(spec, n, task=plan.task, pilot=True, **kwargs)
    if pair is not None:
        from escalsim.experiment.limits import with_paths

        measured = with_paths(measured, spec, n, pair, task=BATCH_CHUNK, seed=root)
    measured = dataclasses.replace(measured, notes=plan.notes)
    if plots:
        from escalsim.experiment.limits import with_figures

        measured = with_figures(measured)
    return measured


def _setup(
    scenario: Scenario | str | os.PathLike[str],
    replications: int | None,
    seed: int | None,
    conditions: list[str] | None,
    rounds: int | None,
    baseline: str | None,
    engine: str,
    workers: int | None,
    scheduler: str | None = None,
    twin: bool = True,
) -> tuple[Scenario, list[str], int, int, int, str, int]:
    """Validate run()'s arguments; the scenario, conditions, n, seed, workers, driver, chunk."""
    spec = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if engine not in ENGINES:
        raise UsageError(
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
        raise UsageError(
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
    driver = choose_engine(engine, n)
    size = BATCH_CHUNK if driver == "batch" else CHUNK
    if scheduler_address(scheduler) is None:
        if total_runs < 4 * CHUNK:
            workers = 1  # starting processes would cost more than it saves
        if driver == "batch" and workers > 1:
            workers = worth_starting(spec, n, names, twin, workers)
    # As few tasks as keep every process busy (each task pays the engine's fixed cost per
    # round), at most one point's replications each.
    chunk = max(1, min(size, n, math.ceil(total_runs / max(1, workers))))
    return spec, names, n, root, workers, driver, chunk


def worth_starting(spec: Scenario, n: int, names: list[str], twin: bool, workers: int) -> int:
    """How many of ``workers`` processes a run of the batch engine should use (1: this one).

    The run's own process works too (:class:`~escalsim.experiment.executors.SharedExecutor`);
    each other process first spends
    :data:`~escalsim.experiment.limits.WORKER_START_SECONDS` starting. A process is worth
    starting when its share of the work would last longer than its start-up: with W the
    estimated CPU seconds of the run's tasks in one process (the ``--dry-run`` time model,
    :func:`escalsim.experiment.limits.estimate`), the run uses ``min(workers, W // S)``
    processes, S the start-up. W leaves out what the run does in this process whatever the
    helpers (:func:`~escalsim.experiment.limits.run_overhead_seconds`). geneva-2022's 200
    replications with twins (W about 3.1 s) use 2; 20 of them (1.2 s) run in this process.
    Results do not depend on it.

    S is :data:`~escalsim.experiment.limits.WORKER_START_SECONDS`, measured on the project's
    machines, unless ``$ESCALSIM_WORKER_START_SECONDS`` gives this machine's (a number > 0; a
    small one makes every run of more than one task use its workers, as the fault tests need).
    """
    from escalsim.experiment.limits import WORKER_START_SECONDS, estimate, run_overhead_seconds

    start = WORKER_START_SECONDS
    given = os.environ.get("ESCALSIM_WORKER_START_SECONDS")
    if given is not None:
        try:
            start = float(given)
        except ValueError:
            start = math.nan
        if not start > 0 or not math.isfinite(start):
            raise UsageError(
                [
                    Problem(
                        0,
                        0,
                        ("ESCALSIM_WORKER_START_SECONDS",),
                        f"the environment gives {given!r}; expected the seconds a worker "
                        "process takes to start, a number > 0 (or leave it unset)",
                        spec.id,
                    )
                ]
            )
    work = estimate(spec, n, conditions=names, twin=twin, workers=1, task=min(n, BATCH_CHUNK))
    seconds = work.seconds - run_overhead_seconds(n * len(names))
    return max(1, min(workers, int(seconds // start)))
