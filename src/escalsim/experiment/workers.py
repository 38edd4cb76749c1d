"""Worker processes for runs and sweeps: they leave signals to their parent and die with it.

This module imports nothing heavy, so a worker sets itself up (:func:`_worker_init`) before it
imports the model: a worker whose parent is killed while it starts exits at once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import types
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.context import SpawnContext, SpawnProcess
from typing import Any


def _worker_init(parent: int) -> None:
    """Set a worker process up: it leaves Ctrl-C to its parent, dies with it, keeps freed memory.

    Freed memory is kept for the model's next round
    (:func:`escalsim.allocator.keep_freed_memory`: the worker is escalsim's own process).
    Ctrl-C reaches the whole process group; the parent stops the run cleanly and then kills its
    workers (:func:`stop_pool`). SIGTERM keeps its default action (the pool terminates its
    workers with it when one of them dies; a SIGTERM to the group reaches the parent's handler
    first). Should the parent itself be killed (SIGKILL), Linux's parent-death signal kills the
    workers too, so none is left behind.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # pragma: no cover - no prctl
            pass
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)
    from escalsim.allocator import keep_freed_memory

    keep_freed_memory()


class _WorkerProcess(SpawnProcess):
    """A 'spawn' process that does not import the parent's ``__main__`` module.

    multiprocessing starts a spawned child by running the parent's main script again (as
    ``__mp_main__``), so that functions defined there can be unpickled. A worker of escalsim
    runs only escalsim's own functions and needs none of the script; running it again is what
    breaks a script without ``if __name__ == "__main__":`` (it starts an experiment, and a
    pool, while it is being imported: BrokenProcessPool). So the child is described from a
    blank ``__main__``: it gets the parent's ``sys.path`` and working folder, not its script.
    """

    def run(self) -> None:
        """The pool's worker loop; when the pool lets the worker go, it leaves at once.

        The loop returns once the pool has sent its stop (its last result is in the pipe by
        then: a synchronous write). A normal exit would then free every module and object one
        by one, 0.1-0.15 s that the run's process waits for when it shuts the pool down
        (docs/performance.md, "The main job's wall time"); the worker has nothing else to
        finish (it starts no process, and a file it writes, a run's figure, is flushed, synced
        and renamed before its task returns), so its streams are flushed and it ends with
        :func:`os._exit`. A loop that raises ends as multiprocessing ends it (exit code 1,
        the traceback on stderr).
        """
        super().run()
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(0)

    @staticmethod
    def _Popen(process_obj: Any) -> Any:  # noqa: N802 (multiprocessing's name)
        main = sys.modules["__main__"]
        sys.modules["__main__"] = _BLANK_MAIN
        try:
            return SpawnProcess._Popen(process_obj)
        finally:
            sys.modules["__main__"] = main


_BLANK_MAIN = types.ModuleType("__main__")


class _WorkerContext(SpawnContext):
    Process = _WorkerProcess


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` fresh ('spawn') processes set up by :func:`_worker_init`.

    The workers do not run the caller's main script (:class:`_WorkerProcess`), so
    ``escalsim.run(...)`` works from a script without a ``__main__`` guard.
    """
    # 'spawn' starts clean interpreters: the same behaviour on every platform and no inherited
    # state (mesa's batch_run forces it anyway when imported).
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=_WorkerContext(),
        initializer=_worker_init,
        initargs=(os.getpid(),),
    )


def pool_processes(pool: ProcessPoolExecutor) -> list[Any]:
    """The worker processes a pool has registered (none once it is shut down).

    Read from the pool's private ``_processes`` (CPython keeps no public list of them).
    """
    return list((getattr(pool, "_processes", None) or {}).values())


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now: drop the tasks not started and kill the workers running one.

    Used when a run is interrupted or fails: the running chunks' results would be thrown away,
    so the workers are killed rather than waited for, and none outlives the run.

    The pool registers a worker only after starting it, so a Ctrl-C that lands while a worker is
    being started can leave one that the pool does not know; multiprocessing's exit handler
    would then wait for it to finish its task (minutes). Every live worker process of escalsim
    (:class:`_WorkerProcess`) that this process started is killed too.
    """
    import multiprocessing

    processes = pool_processes(pool)
    processes += [
        child
        for child in multiprocessing.active_children()
        if isinstance(child, _WorkerProcess) and child not in processes
    ]
    for process in processes:
        if process.is_alive():
            process.kill()
    for process in processes:
        # SIGKILL cannot be caught: each dies, and its ends of the pipes close. A worker stuck
        # in uninterruptible I/O may not die at once: then the pool is left to exit's cleanup.
        process.join(timeout=60)
    if any(process.is_alive() for process in processes):
        pool.shutdown(wait=False, cancel_futures=True)
        return
    # A worker killed while writing a result leaves part of a message in the result pipe, and
    # the pool's manager thread, having read its header, waits for the rest, which no process
    # will write; shutdown(wait=True) would join that thread for ever (found by
    # tests/test_faults.py: a SIGTERM 1.6 s into a 2-worker run never exited). With the
    # workers dead, this process holds the pipe's last writer: closing it gives the thread
    # end-of-file, so it marks the pool broken and stops. (The parent never writes results.)
    result_queue = getattr(pool, "_result_queue", None)
    writer = getattr(result_queue, "_writer", None)
    if writer is not None and not writer.closed:
        writer.close()
    pool.shutdown(wait=True, cancel_futures=True)
