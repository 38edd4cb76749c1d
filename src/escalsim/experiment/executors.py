"""Where tasks run: in this process, in local worker processes, or on a Dask cluster.

Every executor is a :class:`concurrent.futures.Executor` (``submit`` returns a future), so the
one loop of :mod:`escalsim.experiment.loop` drives all three. :func:`make_executor` chooses
one from two questions only — how many local workers, and which scheduler if any; what the
tasks are and where their results go are the loop's and the store's business, not the
executor's (the EMA workbench's evaluators take all of that in one entry point).
"""

from __future__ import annotations

import functools
import os
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from escalsim.errors import UsageError
from escalsim.scenario.errors import Problem


def default_workers() -> int:
    """Worker processes by default: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class InProcessExecutor(Executor):
    """Runs each task when it is submitted, in this process (small runs, debugging, tests)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Run ``fn(*args, **kwargs)`` now; return a finished future."""
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the caller through the future
            if isinstance(exc, KeyboardInterrupt):
                raise
            future.set_exception(exc)
        return future


class SharedExecutor(Executor):
    """A pool of local processes and the calling process, sharing one queue of tasks (issue 20).

    ``submit`` queues a task and returns its future at once; an idle helper process takes the
    next queued task as soon as it is idle (when a task is submitted, and when its last task
    finishes), and the calling process takes one whenever the loop of
    :mod:`escalsim.experiment.loop` calls :meth:`work_here`. So this process does its share of
    the work while the pool's processes start (a spawned worker spends about a second of CPU
    importing numpy, pandas and the model before its first task: docs/performance.md), and no
    process waits while a task is left: a run of two tasks with one helper finishes in about
    half the time of one process once its work is a few times that start-up, and a run of many
    tasks keeps both busy. Where a task runs changes no number: every replication draws from
    its own stream.

    (The first version ran a task in this process whenever every helper was busy, at its
    ``submit``: a helper that finished while this process ran a task then waited for it, a
    whole task each time, since this process, not slowed by a result's way back through a pipe,
    usually finished first. A saved run of 100,000 replications of geneva-2022 kept its two
    cores 80% busy: 1,322 CPU-seconds in 828 s, docs/performance.md.)

    Parameters
    ----------
    pool : concurrent.futures.ProcessPoolExecutor
        The helper processes.
    helpers : int
        How many processes the pool has.
    """

    def __init__(self, pool: ProcessPoolExecutor, helpers: int) -> None:
        self.pool = pool
        self.helpers = max(1, int(helpers))
        self._busy = 0  # tasks sent to the pool and not finished
        self._queue: deque[_Queued] = deque()  # tasks submitted and not started anywhere
        self._drained: Callable[[], object] | None = None  # for an idle helper: when_drained
        self._closed = False
        self._lock = threading.Lock()  # the pool's thread hands out tasks too (_finished)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Queue ``fn(*args, **kwargs)``; an idle helper takes it at once, else it waits."""
        future: Future[Any] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot schedule new futures after shutdown")
            self._queue.append(_Queued(future, fn, args, kwargs))
        self._hand_out()
        return future

    def work_here(self) -> bool:
        """Run the next queued task in this process; False when none is queued."""
        with self._lock:
            item = self._queue.popleft() if self._queue else None
        if item is None:
            return False
        if item.future.set_running_or_notify_cancel():
            try:
                item.future.set_result(item.fn(*item.args, **item.kwargs))
            except BaseException as exc:  # handed to the caller through the future
                if isinstance(exc, KeyboardInterrupt):
                    raise  # the loop stores what finished and stops the helpers
                item.future.set_exception(exc)
        return True

    def when_drained(self, fn: Callable[[], object]) -> None:
        """Have a helper run ``fn`` once it is idle with no task queued (at once if it is now).

        For what a helper would otherwise do later, after its last task (import what drawing
        a run's figures needs while this process finishes the run: :class:`HeldExecutor`).
        Only a helper with nothing left to take runs it, so it never delays a task; one helper
        runs it, once. Its result is not looked at: a failure shows again where the work it
        prepares is done.
        """
        with self._lock:
            self._drained = fn
        self._hand_out()

    def _hand_out(self) -> None:
        """Send queued tasks to the pool while a helper is idle (then :meth:`when_drained`'s)."""
        while True:
            drained = None
            with self._lock:
                if self._closed or self._busy >= self.helpers:
                    return
                if self._queue:
                    item = self._queue.popleft()
                else:
                    drained, self._drained = self._drained, None
                    if drained is None:
                        return
                self._busy += 1
            if drained is not None:
                self._send_drained(drained)
                return
            if not item.future.set_running_or_notify_cancel():  # cancelled while queued
                with self._lock:
                    self._busy -= 1
                continue
            try:
                sent = self.pool.submit(item.fn, *item.args, **item.kwargs)
            except BaseException as exc:  # a broken or closed pool: the task's own error
                with self._lock:
                    self._busy -= 1
                item.future.set_exception(exc)
                continue
            sent.add_done_callback(functools.partial(self._finished, item.future))

    def _send_drained(self, fn: Callable[[], object]) -> None:
        """Send :meth:`when_drained`'s ``fn`` to the pool (counted busy until it ends)."""
        try:
            sent = self.pool.submit(fn)
        except BaseException:  # a broken or closed pool: the run's own tasks say so
            with self._lock:
                self._busy -= 1
            return
        sent.add_done_callback(self._drained_done)

    def _drained_done(self, sent: Future[Any]) -> None:
        """:meth:`when_drained`'s ``fn`` ended (in the pool's thread): the helper is idle again."""
        with self._lock:
            self._busy -= 1
        if not sent.cancelled() and sent.exception() is None:
            self._hand_out()

    def _finished(self, future: Future[Any], sent: Future[Any]) -> None:
        """A helper's task ended (in the pool's thread): pass its result on, hand out the next.

        Only after a result: the pool marks its futures failed while it holds its own lock
        (a dead worker: ``ProcessPoolExecutor``'s ``terminate_broken``), so sending it another
        task from here then would wait for that lock for ever; and after a failure the run stops.
        """
        with self._lock:
            self._busy -= 1
        if sent.cancelled():
            future.cancel()
        elif sent.exception() is not None:
            future.set_exception(sent.exception())
        else:
            future.set_result(sent.result())
            self._hand_out()

    def close_queue(self, cancel: bool = False) -> None:
        """Send nothing more to the pool; with ``cancel``, cancel the tasks still queued."""
        with self._lock:
            self._closed = True
            queued = list(self._queue) if cancel else []
            if cancel:
                self._queue.clear()
        for item in queued:
            item.future.cancel()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Shut the pool down (with ``cancel_futures``: the queued tasks are cancelled)."""
        self.close_queue(cancel=cancel_futures)
        self.pool.shutdown(wait=wait, cancel_futures=cancel_futures)


@dataclass(frozen=True)
class _Queued:
    """A task submitted to a :class:`SharedExecutor` and not started yet."""

    future: Future[Any]
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


@dataclass
class ExecutorChoice:
    """An executor, its number of workers (for how many tasks to keep in flight) and a label."""

    executor: Executor
    workers: int
    label: str
    client: Any = None

    @property
    def pool(self) -> ProcessPoolExecutor | None:
        """The local worker processes, if the tasks run on any."""
        if isinstance(self.executor, SharedExecutor):
            return self.executor.pool
        return self.executor if isinstance(self.executor, ProcessPoolExecutor) else None

    def check_workers(self) -> None:
        """Raise ``BrokenProcessPool`` if a local worker process has died.

        A worker killed while writing a result leaves part of a message in the result pipe; the
        pool's manager thread then waits for the rest and never marks the pool broken, so the
        caller's ``wait`` on the futures would block for ever (found by
        ``tests/test_faults.py::test_a_worker_that_dies_stops_the_run_with_its_parts_saved``,
        which hung in one of four default test runs on 5 December 2026). The loop calls this
        whenever a wait for the futures times out. The workers never exit on their own while
        tasks are pending (the pool does not recycle them), so any exit code is a death.
        """
        pool = self.pool
        if pool is None:
            return
        from concurrent.futures.process import BrokenProcessPool

        from escalsim.experiment.workers import pool_processes

        dead = [p for p in pool_processes(pool) if p.exitcode is not None]
        if dead:
            raise BrokenProcessPool(
                f"worker process {dead[0].pid} died (exit code {dead[0].exitcode})"
            )

    def close(self, cancel: bool = False) -> None:
        """Shut the executor down (with ``cancel``: kill local workers, drop queued tasks)."""
        if isinstance(self.executor, SharedExecutor):
            self.executor.close_queue(cancel=cancel)  # before the pool: nothing more is sent
        pool = self.pool
        if pool is not None:
            if cancel:
                from escalsim.experiment.workers import stop_pool

                stop_pool(pool)  # kill the workers: none outlives the experiment
            else:
                pool.shutdown(wait=True)
        if self.client is not None:
            self.client.close()


class HeldExecutor:
    """An executor kept open past the run's loop, for work after its tasks; closed at the end.

    ``escalsim.run(out=...)`` holds one from its run's last task to its figures: the loop
    leaves its executor open (``run_tasks(keep_open=True)``) when the run draws figures and has
    a helper process, which then draws some of them beside this process
    (:meth:`escalsim.experiment.results.Results.save_figures`). Used as a context manager:
    the executor adopted is closed when the block ends, its workers killed if it ends by an
    exception (as the loop closes it), so none outlives the run.
    """

    def __init__(self) -> None:
        self.choice: ExecutorChoice | None = None

    def adopt(self, choice: ExecutorChoice) -> None:
        """Hold ``choice`` (closing the one held before, if any)."""
        self.close()
        self.choice = choice

    @property
    def executor(self) -> Executor | None:
        """The executor held, if any: a :class:`SharedExecutor`, whose queue it shares."""
        return None if self.choice is None else self.choice.executor

    @property
    def pool(self) -> ProcessPoolExecutor | None:
        """The local helper processes held, if any."""
        return None if self.choice is None else self.choice.pool

    def close(self, cancel: bool = False) -> None:
        """Close the executor held (with ``cancel``: kill its workers)."""
        choice, self.choice = self.choice, None
        if choice is not None:
            choice.close(cancel=cancel)

    def __enter__(self) -> HeldExecutor:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        self.close(cancel=kind is not None)


def scheduler_address(scheduler: str | None) -> str | None:
    """The Dask scheduler to use: the one given, else ``$DASK_SCHEDULER_ADDRESS``, else none."""
    return scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS") or None


def make_executor(
    workers: int | None = None, scheduler: str | None = None, *, shared: bool = False
) -> ExecutorChoice:
    """The executor of an experiment: Dask when a scheduler is given, else processes or this one.

    Parameters
    ----------
    workers : int, optional
        Local worker processes (default: the machine's cores); 1 runs in this process.
    scheduler : str, optional
        Address of a Dask scheduler (default: ``DASK_SCHEDULER_ADDRESS`` if set).
    shared : bool
        With ``workers`` > 1 and no scheduler: this process works too, beside ``workers - 1``
        local processes (:class:`SharedExecutor`), instead of only waiting for ``workers`` of
        them. ``escalsim run`` does this: its runs are short enough that a worker's start-up
        is a large part of them.

    Raises
    ------
    ScenarioError
        At ``--scheduler``: Dask missing, the scheduler unreachable, or its workers running
        another escalsim.
    """
    address = scheduler_address(scheduler)
    if address:
        return _dask_executor(address)
    n = default_workers() if workers is None else max(1, int(workers))
    if n == 1:
        return ExecutorChoice(InProcessExecutor(), 1, "in-process")
    from escalsim.experiment.workers import worker_pool

    if shared:
        helpers = n - 1
        label = f"this process and {helpers} local process{'es' if helpers > 1 else ''}"
        return ExecutorChoice(SharedExecutor(worker_pool(helpers), helpers), n, label)
    return ExecutorChoice(worker_pool(n), n, f"{n} local processes")


def _problem(message: str) -> UsageError:
    return UsageError([Problem(0, 0, ("--scheduler",), message, "experiment")])


def _dask_executor(address: str) -> ExecutorChoice:
    try:
        from distributed import Client
    except ImportError:
        raise _problem(
            "a Dask scheduler needs the 'dask' extra (pip install 'escalsim[dask]')"
        ) from None
    import escalsim

    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise _problem(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    found = client.run(_escalsim_version)
    wrong = {w: v for w, v in found.items() if v != escalsim.__version__}
    if wrong:
        client.close()
        raise _problem(
            f"the Dask workers run another escalsim than this one ({escalsim.__version__}): "
            + ", ".join(f"{w}: {v}" for w, v in sorted(wrong.items()))
        )
    # A worker of other numerics would give other last bits for the same seed: refused before
    # anything is written (a worker that joins later refuses its tasks: tasks.run_task).
    from escalsim.errors import NumericsError
    from escalsim.experiment.provenance import check_numerics

    for worker, theirs in sorted(client.run(_numerics).items()):
        try:
            check_numerics(theirs, f"Dask worker {worker} computes with", "--scheduler")
        except NumericsError:
            client.close()
            raise
    client.run(_tune_worker)
    workers = max(1, sum(client.nthreads().values()))
    return ExecutorChoice(client.get_executor(), workers, f"Dask at {address}", client)


def _tune_worker() -> bool:
    """Tune a Dask worker's allocator for escalsim's tasks, as the local workers are.

    :func:`escalsim.allocator.keep_freed_memory`: a worker handed to escalsim runs its tasks
    with a quarter less CPU (docs/performance.md, "The allocator").
    """
    from escalsim.allocator import keep_freed_memory

    return keep_freed_memory()


def _numerics() -> str:
    """A Dask worker's numerics (:func:`escalsim.experiment.provenance.numerics`)."""
    from escalsim.experiment.provenance import numerics

    return numerics()


def _escalsim_version() -> str:
    try:
        import escalsim

        return escalsim.__version__
    except ImportError:  # pragma: no cover - a worker without escalsim
        return "not installed"
