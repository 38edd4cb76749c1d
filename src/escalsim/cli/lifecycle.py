"""How a command starts and ends: signals, exit codes, and the messages of a stopped command.

Every way a command ends goes through here. :func:`main` installs the SIGTERM handler (SIGTERM
stops a command as Ctrl-C does: :class:`Terminated`), writes the readiness file, runs the click
group and maps what escapes it to an exit code (:func:`run_group`, the one place that does):
click's usage errors and every :class:`escalsim.errors.EscalsimError` to their message and
code, Ctrl-C to 130, SIGTERM to 143, anything else to 1 ("This is a bug"). The codes are
:data:`escalsim.errors.EXIT_CODES`. It also prints the notice of a scenario file migrated as it
was read (a :class:`escalsim.errors.ScenarioMigrationWarning`) on stderr, as a message.

A command that stops with work saved (``run``, ``sweep``) says what is saved and the command that
finishes it (:func:`resume_command`): after Ctrl-C or SIGTERM (:func:`interrupted`), a worker
that died (:func:`worker_died`) or a full disk (:func:`write_failed`).

Nothing heavy is imported here: ``escalsim --version`` and ``--help`` stay fast.
"""

from __future__ import annotations

import os
import shlex
import signal
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from escalsim.errors import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_NO_SPACE,
    EXIT_OK,
    EXIT_TERMINATED,
    EscalsimError,
    ScenarioMigrationWarning,
)

#: The arguments of this invocation (for the command printed to resume an interrupted one).
ARGV: list[str] = []
#: Set to a file name, the command writes that file once its signal handlers are in place: a
#: test or a supervisor that means to stop it waits for the file instead of a fixed time.
READY_FILE_ENV = "ESCALSIM_READY_FILE"
#: The warning filter (``-W``) that multiprocessing passes on to the processes it starts.
TRACKER_WARNING = "ignore:resource_tracker:UserWarning:multiprocessing.resource_tracker"


# -- signals ------------------------------------------------------------------------------------
class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that it stops a command as Ctrl-C does."""

    signum = signal.SIGTERM


def _on_sigterm(_signum: int, _frame: Any) -> None:
    raise Terminated


def interrupt_code(exc: BaseException) -> int:
    """130 for Ctrl-C (SIGINT), 143 for SIGTERM."""
    return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED


def interrupt_name(exc: BaseException) -> str:
    """How the message of a stopped command names the signal."""
    return "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted (SIGINT)"


# -- the messages of a stopped command ----------------------------------------------------------
def resume_command(out: Path, seed: int | None = None) -> str:
    """The invocation as a command that finishes its work: with --out, --seed and --resume."""
    args = list(ARGV)
    if not any(a == "--out" or a.startswith("--out=") for a in args):
        args += ["--out", str(out)]
    if seed is not None and not any(a == "--seed" or a.startswith("--seed=") for a in args):
        args += ["--seed", str(seed)]
    if "--resume" not in args:
        args.append("--resume")
    return shlex.join(["escalsim", *args])


def interrupted(exc: BaseException, what: str) -> NoReturn:
    """Report a command stopped by Ctrl-C or SIGTERM and exit 130 or 143.

    ``what`` says what is saved, and how to go on.
    """
    click.echo(f"escalsim: {interrupt_name(exc)}; {what}", err=True)
    sys.exit(interrupt_code(exc))


def worker_died(saved: str, command: str) -> NoReturn:
    """Report a worker process that died (killed, or out of memory) and exit 1."""
    click.echo(
        "escalsim: a worker process died (killed, or out of memory?); "
        f"{saved}; to finish, run: {command}",
        err=True,
    )
    sys.exit(EXIT_NO_SPACE)


def no_space(exc: OSError, saved: str, command: str) -> NoReturn:
    """Report a write that found no space left (naming the file) and exit 1."""
    click.echo(
        f"escalsim: no space left to write {exc.filename or 'a file'} ({exc.strerror}); "
        f"{saved}; free some space, then run: {command}",
        err=True,
    )
    sys.exit(EXIT_NO_SPACE)


def write_failed(exc: OSError, folder: Path, saved: Callable[[], str], command: str) -> NoReturn:
    """Report a failed write into ``folder``.

    No space left: exit 1, saying what is saved (``saved()``) and the ``command`` that finishes
    the work. Anything else (permissions, a read-only disk): bad input, exit 2, naming --out.
    """
    from escalsim.experiment.results import is_no_space

    if is_no_space(exc):
        no_space(exc, saved(), command)
    raise click.BadParameter(f"cannot write {folder}: {exc}", param_hint="--out") from None


# -- the process ----------------------------------------------------------------------------------
def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path`` and rename it to ``path``."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def say_ready() -> None:
    """Write the file named by ``$ESCALSIM_READY_FILE``, if set.

    The command is running from now on, and a SIGINT or SIGTERM gets its documented exit code
    and message.
    """
    name = os.environ.get(READY_FILE_ENV)
    if name:
        # Written aside and renamed: the file appears whole, and only when the command is in
        # the try block whose handlers report a signal.
        atomic_write(Path(name), f"{os.getpid()}\n")


def quiet_resource_tracker() -> None:
    """Keep the resource tracker's "leaked semaphore objects" warning off the user's terminal.

    The worker pool's locks are registered with multiprocessing's resource tracker, a process of
    its own that outlives a command killed by SIGKILL (the OOM killer, ``kill -9``), frees what
    the command held, and warns about it on the terminal the command had: noise, after the
    fact, about a clean-up that worked. The tracker is started with this interpreter's warning
    options (``sys.warnoptions``), so one more option silences that warning, and only it, in
    the tracker alone; the command's own warnings are unchanged.
    """
    if TRACKER_WARNING not in sys.warnoptions:
        sys.warnoptions.append(TRACKER_WARNING)


def exit_now(code: int) -> NoReturn:
    """End the command with ``code``: the exit handlers, the streams flushed, then :func:`os._exit`.

    Two reasons to leave this way rather than by the interpreter's own shutdown:

    - CPython ends a process with SIGINT (exit status -2 to a parent) when it believes a
      KeyboardInterrupt went unhandled, and now and then it believes so after one that was
      handled here (seen about once in 30 interruptions while pyarrow was reading or writing).
    - The shutdown frees every module and object one by one: 0.2-0.3 s of wall time after
      ``escalsim run geneva-2022 -n 200`` (numpy, pandas, pyarrow, matplotlib and the run's
      frames), for nothing, since the process ends (docs/performance.md, "Small runs").

    The exit handlers (``atexit``: multiprocessing's, temporary folders, logging) run as they
    would at a normal exit; what they do not cover is every file the command wrote, which it
    closed (each is written to a temporary name, flushed and renamed:
    ``results.write_atomic``). ``concurrent.futures`` joins its pools' threads from
    ``threading``'s own exit hook, which this skips: a finished command leaves this way only
    once no such thread runs (:func:`_may_leave_now`; its pools are shut down by then).
    """
    import atexit

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def main(group: click.Group, argv: Sequence[str] | None = None) -> None:
    """Run the command line ``group``; bad input exits 2 and never shows a traceback.

    Parameters
    ----------
    group : click.Group
        The ``escalsim`` command group.
    argv : sequence of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Notes
    -----
    SIGTERM stops a command as Ctrl-C does (exit 143 instead of 130). A command started with
    SIGINT ignored (a script's background job, ``nohup``) keeps it ignored, as Python does, so
    that the terminal's Ctrl-C does not reach it; SIGTERM still stops it. Called as the program
    (``argv`` None), a command that has ended leaves by :func:`exit_now` (its exit handlers
    run, its streams flushed, the interpreter's teardown skipped) and signals are ignored from
    then on, so that one landing while it leaves cannot turn a finished command into noise or
    a wrong exit code; called with ``argv``, the previous SIGTERM handler is restored instead.
    """
    ARGV[:] = list(argv) if argv is not None else sys.argv[1:]
    quiet_resource_tracker()
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread: signals are not ours to handle
        run_group(group, argv)
        return
    try:
        run_group(group, argv)
    except SystemExit as exc:
        if argv is None and (
            exc.code in (EXIT_INTERRUPTED, EXIT_TERMINATED) or _may_leave_now(exc.code)
        ):
            exit_now(int(exc.code or 0))
        raise
    except KeyboardInterrupt as exc:  # landed after the command's own handling, while exiting
        if argv is None:
            exit_now(interrupt_code(exc))
        raise
    finally:
        if argv is None:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        else:
            signal.signal(signal.SIGTERM, previous)


def _may_leave_now(code: object) -> bool:
    """Whether a command that ended with ``code`` may leave by :func:`exit_now`.

    Yes for an integer code (every code :func:`run_group` gives) once no other thread that the
    interpreter would wait for is running: a non-daemon thread is left to the interpreter's
    shutdown, which joins it first.
    """
    import threading

    if code is not None and not isinstance(code, int):
        return False
    main_thread = threading.main_thread()
    return not any(t is not main_thread and not t.daemon for t in threading.enumerate())


def _show_notices(shown: Callable[..., None]) -> Callable[..., None]:
    """A ``warnings.showwarning`` that prints a migration notice as a message on stderr.

    A version-1 scenario read by any command gives one notice (what changed, and the command
    that rewrites the file), printed as it is, like a problem; other warnings go to ``shown``.
    """

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: Any = None,
        line: str | None = None,
    ) -> None:
        if issubclass(category, ScenarioMigrationWarning):
            from escalsim.scenario.errors import printable

            click.echo(printable(str(message)), err=True)
        else:
            shown(message, category, filename, lineno, file, line)

    return show


def run_group(group: click.Group, argv: Sequence[str] | None) -> NoReturn:
    """Run ``group`` and exit with the code of how it ended: the one mapping of errors to codes."""
    with warnings.catch_warnings():  # restores the filters and showwarning when the command ends
        warnings.simplefilter("always", ScenarioMigrationWarning)  # each file read: its notice
        warnings.showwarning = _show_notices(warnings.showwarning)
        _run_group(group, argv)


def _run_group(group: click.Group, argv: Sequence[str] | None) -> NoReturn:
    try:
        say_ready()
        group.main(
            args=list(argv) if argv is not None else None,
            prog_name="escalsim",
            standalone_mode=False,
        )
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        from escalsim.scenario.errors import printable

        # Option errors repeat what was typed: a bidirectional or control character in it is
        # shown escaped, so it cannot reorder or recolour the message (scenario problems are
        # escaped by Problem itself).
        # (click's stubs declare the attribute final; it is a plain attribute it reads in show())
        setattr(exc, "message", printable(exc.message))  # noqa: B010
        exc.show()
        sys.exit(EXIT_BAD_INPUT)  # every usage and option error is bad input
    except (KeyboardInterrupt, click.Abort) as exc:
        # click turns a KeyboardInterrupt (our SIGTERM's Terminated too) or an EOFError raised
        # inside a command into Abort, the original its __context__: tell them apart by it.
        cause = exc.__context__ if isinstance(exc, click.Abort) else exc
        if isinstance(cause, EOFError):
            click.echo("escalsim: end of input (stdin was closed)", err=True)
            sys.exit(EXIT_BAD_INPUT)
        click.echo(f"escalsim: {interrupt_name(cause or exc)}", err=True)
        sys.exit(interrupt_code(cause or exc))
    except EscalsimError as exc:
        # Every error a user caused (a scenario, an option, a limit, a folder, a game): its
        # message, escaped (idempotent: problems escape themselves), and its class's exit code
        # (escalsim.errors). The one place that maps them.
        from escalsim.scenario.errors import printable

        if exc.message:
            click.echo(printable(exc.message), err=True)
        sys.exit(exc.exit_code)
    except Exception as exc:
        if os.environ.get("ESCALSIM_DEBUG"):
            raise
        from escalsim.scenario.errors import printable

        click.echo(
            f"escalsim: internal error: {type(exc).__name__}: {printable(str(exc))}\n"
            "This is a bug; run again with ESCALSIM_DEBUG=1 for the traceback and report it.",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)
    sys.exit(EXIT_OK)
