"""The one loop of every experiment: submit tasks (a bounded number at a time), store results.

Tasks go to an executor (:mod:`escalsim.experiment.executors`) and each finished task's
frames go to ``on_done`` at once, in whatever order tasks finish; ``in_flight`` bounds the
tasks submitted but not stored, so memory does not grow with the experiment. On an
interruption (SIGINT, SIGTERM) or a dead worker, the tasks that finished but were not stored
yet are stored before the workers are killed: finished work is never thrown away. One
progress bar shows replications and points done, the rate and the time left.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any

from escalsim.experiment import tasks as _tasks
from escalsim.experiment.executors import ExecutorChoice
from escalsim.experiment.tasks import Frames, Job, Task

#: How long the loop waits for a task before it looks whether a worker died (seconds).
WATCH_SECONDS = 1.0


def run_tasks(
    job: Job,
    todo: list[Task],
    executor: ExecutorChoice,
    on_done: Callable[[Task, Frames], None],
    *,
    in_flight: int | None = None,
    progress: Progress | None = None,
    while_waiting: Callable[[], object] | None = None,
    keep_open: bool = False,
    when_drained: Callable[[], object] | None = None,
) -> None:
    """Run ``todo`` on ``executor``; hand each finished task's frames to ``on_done``.

    The executor is closed when the loop ends (its workers killed if it ends by an exception),
    unless ``keep_open`` and the loop ends with every task done: the caller then closes it.

    Parameters
    ----------
    job : Job
        What every task shares.
    todo : list of Task
        The tasks to run.
    executor : ExecutorChoice
        Where they run.
    on_done : callable
        ``on_done(task, frames)``, called in this process as each task finishes (it stores
        the part); an ``OSError`` from it (a full disk) stops the loop without storing more.
    in_flight : int, optional
        Tasks submitted at a time (default: twice the workers).
    progress : Progress, optional
        The bar to advance.
    while_waiting : callable, optional
        Called once, the first time this process has nothing to run but waits for workers
        (e.g. to import what comes after the tasks while a helper finishes its task).
    keep_open : bool
        Leave the executor open after the last task (its helper then draws some of a run's
        figures: :class:`escalsim.experiment.executors.HeldExecutor`).
    when_drained : callable, optional
        Once every task is submitted, handed to the executor's ``when_drained`` (a
        :class:`~escalsim.experiment.executors.SharedExecutor`'s; others have none): a helper
        runs it when it is idle with no task left to take (e.g. the imports of the figures it
        will draw).
    """
    limit = max(1, in_flight or 2 * executor.workers)
    # An executor that shares its queue with this process (SharedExecutor) runs a task here
    # each time the loop has nothing else to do; the others only run elsewhere.
    work_here: Callable[[], bool] | None = getattr(executor.executor, "work_here", None)
    pending: dict[Future[Frames], Task] = {}
    queue = iter(todo)
    try:
        while True:
            while len(pending) < limit:
                task = next(queue, None)
                if task is None:
                    drained = getattr(executor.executor, "when_drained", None)
                    if when_drained is not None and drained is not None:
                        drained(when_drained)
                    when_drained = None
                    break
                # Looked up at each call, so that tests can stand in for the task function.
                payload = job.only(task.point)
                pending[executor.executor.submit(_tasks.run_task, payload, task)] = task
            if not pending:
                break
            if work_here is not None and work_here():
                # This process ran a queued task (SharedExecutor): store whatever finished,
                # then refill the queue before it takes the next one.
                finished, _ = wait(list(pending), timeout=0, return_when=FIRST_COMPLETED)
            else:
                if while_waiting is not None and not any(f.done() for f in pending):
                    while_waiting()
                    while_waiting = None
                finished, _ = wait(
                    list(pending), timeout=WATCH_SECONDS, return_when=FIRST_COMPLETED
                )
            if not finished:
                # A worker killed mid-result can leave the pool unable to say it is broken:
                # look at the workers themselves (ExecutorChoice.check_workers).
                executor.check_workers()
            for future in sorted(finished, key=lambda f: pending[f]):
                task = pending[future]
                on_done(task, future.result())
                del pending[future]
                if progress is not None:
                    progress.advance(task)
    except BaseException as exc:
        if not isinstance(exc, OSError):  # interrupted, or a worker died: keep what finished
            _store_finished(pending, on_done)
        for future in pending:
            future.cancel()
        executor.close(cancel=True)
        raise
    if not keep_open:
        executor.close()


def _store_finished(
    pending: dict[Future[Frames], Task], on_done: Callable[[Task, Frames], None]
) -> None:
    """Store the tasks that finished but were not stored when the loop stopped."""
    for future, task in list(pending.items()):
        if future.done() and not future.cancelled() and future.exception() is None:
            try:
                on_done(task, future.result())
            except OSError:  # e.g. the disk is full: the interruption is what to report
                return


class Progress:
    """Replications and points done, rate and time left, on stderr (when it is a terminal).

    Parameters
    ----------
    tasks : list of Task
        Every task of the experiment.
    todo : list of Task
        Those still to run (the others count as done from the start).
    show : bool
        Whether to show anything.
    what : str
        The bar's name ("run", "sweep").
    points : str
        What the points are called ("conditions", "points").
    """

    def __init__(
        self,
        tasks: list[Task],
        todo: list[Task],
        show: bool,
        what: str = "sweep",
        points: str = "points",
    ) -> None:
        self.total_reps = sum(t.size for t in tasks)
        self.points_left: dict[int, int] = {}
        for t in todo:
            self.points_left[t.point] = self.points_left.get(t.point, 0) + t.size
        self.n_points = len({t.point for t in tasks})
        self.points_done = self.n_points - len(self.points_left)
        already = self.total_reps - sum(t.size for t in todo)
        self.bar: Any = None
        self.done_reps = 0
        self.started = time.perf_counter()
        if not show or not sys.stderr.isatty():
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as Bar

        self.bar = Bar(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(
                f"replications · {{task.fields[points]}} {points} · {{task.fields[rate]}}/s"
            ),
            TimeRemainingColumn(),
            transient=True,
        )
        self.bar.start()
        self.job = self.bar.add_task(
            what,
            total=self.total_reps,
            completed=already,
            points=f"{self.points_done}/{self.n_points}",
            rate="-",
        )

    def advance(self, task: Task) -> None:
        """Count a finished task."""
        self.done_reps += task.size
        self.points_left[task.point] -= task.size
        if self.points_left[task.point] == 0:
            self.points_done += 1
        if self.bar is not None:
            rate = self.done_reps / max(time.perf_counter() - self.started, 1e-9)
            self.bar.update(
                self.job,
                advance=task.size,
                points=f"{self.points_done}/{self.n_points}",
                rate=f"{rate:,.0f}",
            )

    def close(self) -> None:
        """Take the bar off the screen."""
        if self.bar is not None:
            self.bar.stop()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
