"""The process's memory allocator, tuned for the model's round temporaries (glibc only).

It imports nothing heavy (the command line calls it before a command imports numpy), and
changes nothing unless called: escalsim calls it in the processes that run its tasks, never in
its caller's: the command line's own (:func:`escalsim.cli.cli`), its local worker processes
(:func:`escalsim.experiment.workers.worker_pool`) and the workers of a Dask scheduler it is
given (:func:`escalsim.experiment.executors.make_executor`). A notebook or script that runs the
model in its own process (``run_batch``, ``EscalationModel``, ``escalsim.run(..., workers=1)``)
opts in by calling :func:`keep_freed_memory` once. ``docs/performance.md`` says why it is not
done inside ``run_batch``.
"""

from __future__ import annotations

import functools
import sys

#: glibc's ``mallopt`` parameters (``malloc.h``) and the values :func:`keep_freed_memory` sets.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD, TRIM_THRESHOLD = 32 * 2**20, 256 * 2**20


@functools.cache
def keep_freed_memory() -> bool:
    """Let glibc's ``malloc`` keep freed memory for the next round instead of returning it.

    A round of a chunk allocates and frees the same few-megabyte temporaries (numpy's results,
    ``[rows, ...]`` over the situation one power models for the other) again and again. By
    default glibc serves each from a fresh ``mmap`` once it passes its threshold, or trims the
    heap's top back to the system when the temporaries are freed, so the next round faults the
    pages in again, zeroed by the kernel: without this call, 1,000 replications of geneva-2022
    with twins spend 1.6-2.1 s of system time beside 5.4 s of user time (1.1 million page
    faults); with it, 0.03-0.04 s (16,000 faults), and the peak resident memory moves from 188
    to 196 MB (``docs/performance.md``). With the ``mmap`` threshold at 32 MiB (its largest)
    and the trim threshold at 256 MiB the freed blocks are reused; a process keeps up to 256
    MiB of freed heap instead of returning it. Numbers are untouched (where a result lives is
    not what it is).

    It changes the process's allocator for good (glibc has no way back to its adaptive
    thresholds), hence it is the caller's choice: see the module's docstring. Calling it again
    does nothing. Elsewhere than glibc on Linux it does nothing.

    Returns
    -------
    bool
        Whether both settings were made.
    """
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) & bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )


__all__ = ["MMAP_THRESHOLD", "TRIM_THRESHOLD", "keep_freed_memory"]
