"""The one task type of every experiment: a chunk of replications at one point.

An experiment — a run or a sweep — is a list of *points* run over the same replication
indices 0..N-1 of one root seed (common random numbers: replication r draws the same random
numbers at every point). A run's points are the scenario's conditions; a sweep's are its
sampled settings (under one condition). A :class:`Task` is one point and a chunk of
replications ``[start, stop)``; :func:`run_task` runs it in whatever process an executor
chooses, given the :class:`Job` every task of the experiment shares.

This module imports neither mesa nor the batch engine at import time: a worker loads the
engine the task asks for when it runs the first one.
"""

from __future__ import annotations

import dataclasses
import platform
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from escalsim.experiment.provenance import check_numerics, numerics
from escalsim.scenario import Scenario, with_condition, with_settings

if TYPE_CHECKING:
    from escalsim.core.streams import BlockLayout

#: The three frames a task returns: the per-run rows, and the kept timeseries and events.
Frames = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]

_PART = re.compile(r"point-(\d{6})_reps-(\d{7})-(\d{7})\.parquet")


@dataclass(frozen=True, order=True)
class Task:
    """One point and a chunk of replications ``[start, stop)``."""

    point: int
    start: int
    stop: int

    @property
    def name(self) -> str:
        """The part's file name."""
        return f"point-{self.point:06d}_reps-{self.start:07d}-{self.stop:07d}.parquet"

    @property
    def size(self) -> int:
        """Replications in the task."""
        return self.stop - self.start

    @classmethod
    def parse(cls, name: str) -> Task | None:
        """The task of a part's file name (None for any other name)."""
        found = _PART.fullmatch(name)
        return cls(*(int(g) for g in found.groups())) if found else None


@dataclass(frozen=True)
class Point:
    """What runs at one point: a condition of the scenario and/or field settings."""

    condition: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Job:
    """What every task of one experiment shares.

    Attributes
    ----------
    scenario : Scenario
        The scenario the points start from (a sweep's has its condition applied already).
    points : tuple of Point
        The points, in order.
    seed : int
        The root seed.
    twin : bool
        Also run each replication's perfect-information twin.
    keep : int
        Replications per point whose timeseries and events are kept (0: none).
    engine : {"agents", "batch"}
        The driver (identical results; the batch engine is faster for ensembles).
    labels : {"condition", "point"}
        How rows say where they come from: a run's by a ``condition`` column (last), a
        sweep's by ``point`` and the varied fields' values (first).
    key : str
        A name for the job, unique to its definition (it keys a worker's cache of scenarios).
    condition : str or None
        A sweep's condition, written into its rows' ``condition`` column.
    first : int
        The index of ``points[0]`` (a job cut down to one point by :meth:`only`).
    layout : BlockLayout or None
        The random block's layout at every point (``BlockLayout.of`` the scenario as loaded,
        with the booleans a sweep varies), built where the experiment is defined so that every
        task, in any process, draws the same numbers for the same slots. None: each task's
        own scenario's.
    numerics : str
        The numerics of the process that defined the job
        (:func:`escalsim.experiment.provenance.numerics`); a worker whose numpy computes the
        model's elementary functions differently refuses its tasks (:func:`run_task`), so that
        a Dask cluster of mixed machines cannot mix their numbers. Empty: not checked.
    """

    scenario: Scenario
    points: tuple[Point, ...]
    seed: int
    twin: bool = True
    keep: int = 0
    engine: Literal["agents", "batch"] = "batch"
    labels: Literal["condition", "point"] = "condition"
    key: str = ""
    condition: str | None = None
    first: int = 0
    layout: BlockLayout | None = None
    numerics: str = field(default_factory=numerics)

    def point(self, index: int) -> Point:
        """The point of index ``index``."""
        return self.points[index - self.first]

    def only(self, index: int) -> Job:
        """The job cut down to one point: what a task is sent with.

        A sweep may have 100,000 points; sending all of them with every task would make the
        traffic to the workers grow with the square of the points.
        """
        return dataclasses.replace(self, points=(self.point(index),), first=index)

    def tasks(self, replications: int, chunk: int) -> list[Task]:
        """Every task, point by point, in chunks of ``chunk`` replications."""
        return [
            Task(p, start, min(start + chunk, replications))
            for p in range(len(self.points))
            for start in range(0, replications, chunk)
        ]

    def scenario_at(self, point: int) -> Scenario:
        """The scenario that runs at ``point`` (cached per worker: building it costs ~50 ms)."""
        cached = _AT_POINT.get((self.key, point)) if self.key else None
        if cached is not None:
            return cached
        at = self.point(point)
        spec = self.scenario
        if at.condition is not None and spec.conditions:
            # Settings are validated again with the scenario: its other conditions (a
            # ``remove:`` list among them) no longer apply to the changed one, so they go.
            spec = self._under(at.condition) if at.settings else with_condition(spec, at.condition)
        if at.settings:
            spec = with_settings(spec, at.settings, source="sweep")
        if self.key:
            if len(_AT_POINT) >= _AT_POINT_SIZE:
                _AT_POINT.pop(next(iter(_AT_POINT)))
            _AT_POINT[(self.key, point)] = spec
        return spec

    def _under(self, condition: str) -> Scenario:
        """The scenario under ``condition``, its conditions block dropped (cached per worker)."""
        from escalsim.scenario.transforms import under_condition

        key = (self.key, condition)
        cached = _UNDER.get(key) if self.key else None
        if cached is None:
            cached = under_condition(self.scenario, condition)
            if self.key:
                if len(_UNDER) >= _AT_POINT_SIZE:
                    _UNDER.pop(next(iter(_UNDER)))
                _UNDER[key] = cached
        return cached


#: A worker's scenarios at recent points, by (job key, point): a worker often runs several
#: chunks of one point.
_AT_POINT: dict[tuple[str, int], Scenario] = {}
_AT_POINT_SIZE = 16
#: A worker's scenarios under a condition, by (job key, condition), for points that set fields
#: under a condition (building one costs about as much as the settings).
_UNDER: dict[tuple[str, str], Scenario] = {}


def run_task(job: Job, task: Task) -> Frames:
    """Run one task: the per-run rows, and the kept timeseries and events (maybe empty).

    Raises
    ------
    NumericsError
        When this process's numerics differ from the job's (a worker unlike the client: one
        that joined a Dask cluster after the client checked it, or a local one started after
        ``NPY_DISABLE_CPU_FEATURES`` was changed in the client).
    """
    check_numerics(job.numerics, "the client computes with", "worker", f"worker {platform.node()}")
    spec = job.scenario_at(task.point)
    if job.engine == "batch":
        runs, series, events = _run_batch(spec, job, task)
    else:
        runs, series, events = _run_agents(spec, job, task)
    return (
        _label(job, task.point, runs),
        _label(job, task.point, series),
        _label(job, task.point, events),
    )


def _label(job: Job, point: int, frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame
    at = job.point(point)
    if job.labels == "condition":
        return frame.assign(condition=at.condition)
    if job.condition is not None:
        frame = frame.assign(condition=job.condition)
    frame.insert(0, "point", point)
    for k, (path, value) in enumerate(at.settings.items()):
        frame.insert(1 + k, path, value)
    return frame


def _run_batch(spec: Scenario, job: Job, task: Task) -> Frames:
    from escalsim.batch import run_batch

    main = run_batch(
        spec,
        seed=job.seed,
        replications=range(task.start, task.stop),
        keep=job.keep,
        twin=job.twin,
        layout=job.layout,
    )
    return main.runs(), main.timeseries, main.events


def _run_agents(spec: Scenario, job: Job, task: Task) -> Frames:
    from escalsim.agents import EscalationModel
    from escalsim.batch import twin_columns

    runs, series, events = [], [], []
    for r in range(task.start, task.stop):
        model = EscalationModel(
            scenario=spec, seed=job.seed, replication=r, layout=job.layout
        ).run()
        row = model.outcome
        if job.labels == "condition":  # before the twin's columns, where it always was
            row["condition"] = job.point(task.point).condition
        if job.twin:
            twins = [
                EscalationModel(
                    scenario=spec,
                    seed=job.seed,
                    replication=r,
                    perfect_information=True,
                    complete_information=complete,
                    layout=job.layout,
                ).run()
                for complete in (False, True)
            ]
            frames = [model.outcome, *(t.outcome for t in twins)]
            for name, values in twin_columns(*frames).items():
                row[name] = values[0]
        runs.append(row)
        if r < job.keep:
            series.append(model.timeseries)
            events.append(model.events)
    empty = pd.DataFrame()
    return (
        pd.concat(runs, ignore_index=True),
        pd.concat(series, ignore_index=True) if series else empty,
        pd.concat(events, ignore_index=True) if events else empty,
    )
