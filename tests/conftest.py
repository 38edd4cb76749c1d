"""Shared fixtures, and the one way the tests start processes.

Every test that starts a process does it through :func:`run_process` (run to the end) or the
:func:`spawn` fixture (started, watched, signalled). Both give the child a generous timeout
(:data:`TIMEOUT`, so a machine loaded by other work slows a test down instead of failing it)
and kill the child's whole process group when the test fails or the time runs out, so no
worker is left behind. A test that signals a command waits for it to say it is ready (the file
named by ``ESCALSIM_READY_FILE``, written by ``escalsim.cli.main`` once its signal handlers are
in place) or for a file the command writes, never for a fixed time.

A test that checks what a command prints, writes or exits with, and not the process itself,
runs it in-process instead (:func:`cli_in_process`, :func:`run_cli_in_process`: the same
command line, seen as a child would see it, without a second or two of imports per command).
A process is kept where it is what is tested: signals, process groups, resource limits, a
terminal, a script's ``__main__`` guard, the README's commands as typed.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Seconds a child may take before it is taken for hung and killed. Generous: a command that
#: takes 5 s alone can take ten times that on a machine whose cores are busy with other work.
TIMEOUT = float(os.environ.get("TEST_PROCESS_TIMEOUT", "600"))
ESCALSIM = (sys.executable, "-m", "escalsim")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def geneva_short(weeks: int = 8) -> Any:
    """geneva-2022 over its first ``weeks`` weeks, for tests of machinery (sweeps, chunking, the
    path decomposition) that do not depend on the horizon: since its version 3 every run plays
    all 26 weeks (a settlement no longer ends it: docs/pair-wars.md §3.4)."""
    from escalsim.scenario import load_scenario
    from escalsim.scenario.transforms import with_rounds

    return with_rounds(load_scenario("geneva-2022"), weeks)


def with_policy_text(text: str, actor: str, policy: str) -> str:
    """A scenario's YAML ``text`` with actor ``actor``'s policy replaced by ``policy`` (YAML
    lines indented as an actor's keys, ``"    policy: ..."``, ending in a newline), whether the
    actor had a policy (a flow map on one line or a block below it) or none: the rest of the
    file is left as written, so positions in the file still mean what they did."""
    head, marker, body = text.partition("\nactors:\n")
    assert marker, "the text has no actors: section"
    lines = body.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.startswith("  - ")]
    first = next(i for i in starts if line_id(lines[i]) == actor)
    ends = [i for i in starts if i > first]
    # The actors section ends at the first line that starts at the margin (the next section).
    margin = next((i for i in range(first + 1, len(lines)) if lines[i][:1] not in " \n#"), None)
    end = min([*ends, *([margin] if margin is not None else []), len(lines)])
    kept: list[str] = []
    dropping = False
    for line in lines[first:end]:
        if line.startswith("    policy:"):
            dropping = True  # and its continuation (block style or a flow map over lines)
            continue
        if dropping and line.startswith("      "):
            continue
        dropping = False
        kept.append(line)
    # Right after the actor's first line (its id), so the policy is a key of this actor.
    out = [*lines[:first], kept[0], policy, *kept[1:], *lines[end:]]
    return head + marker + "".join(out)


def line_id(line: str) -> str:
    """The id an actor's first line ``  - id: X`` gives (empty if it gives none)."""
    rest = line[4:].strip()
    return rest[len("id:") :].split("#")[0].strip() if rest.startswith("id:") else ""


def numerics_not_checked(why: str) -> None:
    """Say that this machine's numerics are not those a test's exact numbers hold on.

    numpy computes ``exp``, ``tanh``, ``log1p`` and ``power`` otherwise on other CPUs, and the
    same seed then gives other last bits (docs/reliability.md, "Reproducibility across
    machines"). Under ``ESCALSIM_GOLDEN_REQUIRED=1`` (CI's ``.ci/run``) this fails, so that CI
    cannot stop checking them unnoticed; elsewhere it returns, and the caller skips or checks
    less, saying ``why``.
    """
    if os.environ.get("ESCALSIM_GOLDEN_REQUIRED") == "1":
        pytest.fail(f"{why}; ESCALSIM_GOLDEN_REQUIRED=1 asks for them to be checked")


def cli_env(**extra: str) -> dict[str, str]:
    """This environment without ``ESCALSIM_*`` settings (a test states its own), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESCALSIM_")}
    env.update(extra)
    return env


def kill_group(proc: subprocess.Popen[Any]) -> None:
    """Kill ``proc`` and everything in its process group (its workers), and reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=30)


def stop_group(proc: subprocess.Popen[Any], grace: float = 15.0) -> None:
    """Ask ``proc``'s process group to stop (SIGTERM), then kill it if ``grace`` s pass."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        kill_group(proc)


def run_process(
    argv: Sequence[str | os.PathLike[str]],
    *,
    input_text: str | None = None,
    timeout: float = TIMEOUT,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    text: bool = True,
    capture: bool = True,
    stdin: Any = None,
) -> subprocess.CompletedProcess[Any]:
    """Run ``argv`` to its end in its own process group; kill the group if it outlives ``timeout``.

    Like :func:`subprocess.run` with ``capture_output=True`` and ``check=False``, except that a
    timeout (or any other failure while waiting) kills the child's workers too.
    """
    pipe = subprocess.PIPE if capture else None
    with subprocess.Popen(
        [os.fspath(a) for a in argv],
        stdin=subprocess.PIPE if input_text is not None else stdin,
        stdout=pipe,
        stderr=pipe,
        cwd=cwd or ROOT,
        env=env,
        text=text,
        start_new_session=True,
    ) as proc:
        try:
            out, err = proc.communicate(input_text, timeout=timeout)
        except BaseException:
            kill_group(proc)
            raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def run_cli(
    *args: str, cwd: Path | None = None, input_text: str | None = None, timeout: float = TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m escalsim ARGS`` in a subprocess, as a user would."""
    return run_process(
        [*ESCALSIM, *args], cwd=cwd, input_text=input_text, env=cli_env(), timeout=timeout
    )


def wait_until(
    predicate: Callable[[], bool],
    what: str,
    proc: subprocess.Popen[Any] | None = None,
    timeout: float = TIMEOUT,
) -> None:
    """Poll ``predicate`` until it holds; fail if ``proc`` ends first or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the process ended (exit {proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not after {timeout:.0f} s")
        time.sleep(0.01)


class Child:
    """A started ``escalsim`` command (or other program) that a test watches and signals."""

    def __init__(self, proc: subprocess.Popen[Any], ready_file: Path | None) -> None:
        self.proc = proc
        self.ready_file = ready_file

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(self, timeout: float = TIMEOUT) -> None:
        """Wait until the command says it is running, its signal handlers in place."""
        assert self.ready_file is not None, "started with ready=False"
        ready = self.ready_file
        wait_until(ready.exists, "the command said it was ready", self.proc, timeout)

    def wait_for(self, predicate: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
        """Wait until ``predicate`` holds (a file the command writes, say)."""
        wait_until(predicate, what, self.proc, timeout)

    def send(self, sig: int, *, group: bool = False) -> None:
        """Send ``sig`` to the command, or to its whole process group (as a terminal does)."""
        with contextlib.suppress(ProcessLookupError):
            if group:
                os.killpg(self.proc.pid, sig)
            else:
                os.kill(self.proc.pid, sig)

    def communicate(self, timeout: float = TIMEOUT) -> tuple[Any, Any]:
        """Wait for the end; return (stdout, stderr)."""
        return self.proc.communicate(timeout=timeout)

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode

    def kill(self) -> None:
        """Kill the command and its workers (at the end of the test, whatever its outcome)."""
        if self.proc.poll() is None:
            kill_group(self.proc)
        for stream in (self.proc.stdout, self.proc.stderr, self.proc.stdin):
            if stream is not None:
                stream.close()


@contextlib.contextmanager
def sigint_as_at_a_terminal() -> Iterator[None]:
    """Start children with Ctrl-C at its default action, as a terminal's foreground job has it.

    A shell without job control (a script, ``cmd &``, ``nohup``) starts its background commands
    with SIGINT *ignored*; a suite started that way passes the ignored SIGINT on to every process
    it starts, Python keeps an ignored SIGINT ignored (as it should: that is how a background
    job is kept out of a terminal's Ctrl-C), and a test that plays a Ctrl-C then sees a command
    run to its end. So around the start of a child the handler is the default one, which a child
    gets back as the default action (a caught signal is reset by exec).
    """
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        yield
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.fixture
def spawn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Child]]:
    """Start processes that are killed (with their process group) when the test ends.

    ``spawn(*args)`` starts ``python -m escalsim ARGS`` with ``ESCALSIM_READY_FILE`` set, so
    that :meth:`Child.wait_ready` can wait for it; ``spawn(*argv, escalsim=False)`` starts any
    program. Keyword arguments go to :class:`subprocess.Popen` (stdout and stderr default to
    pipes, text mode; ``env`` defaults to :func:`cli_env`).
    """
    children: list[Child] = []
    folder = tmp_path_factory.mktemp("ready")

    def start(*args: str | os.PathLike[str], escalsim: bool = True, **kwargs: Any) -> Child:
        ready = folder / f"ready-{len(children)}" if escalsim else None
        env = kwargs.pop("env", None) or cli_env()
        if ready is not None:
            env = {**env, "ESCALSIM_READY_FILE": str(ready)}
        kwargs.setdefault("stdout", subprocess.PIPE)
        kwargs.setdefault("stderr", subprocess.PIPE)
        kwargs.setdefault("text", True)
        kwargs.setdefault("cwd", ROOT)
        argv = [*(ESCALSIM if escalsim else ()), *(os.fspath(a) for a in args)]
        with sigint_as_at_a_terminal():
            proc = subprocess.Popen(argv, env=env, start_new_session=True, **kwargs)
        child = Child(proc, ready)
        children.append(child)
        return child

    yield start
    for child in children:
        child.kill()


def thread_seconds() -> float:
    """CPU time of this thread: what a "does not hang" bound measures, unlike the wall clock,
    which a loaded machine stretches without the code doing any more work."""
    return time.thread_time()


class _Captured(io.TextIOWrapper):
    """A text stream over bytes, as a pipe is to a child: ``.buffer`` for binary output, no tty."""

    def __init__(self, errors: str = "strict") -> None:
        super().__init__(io.BytesIO(), encoding="utf-8", errors=errors, write_through=True)

    def text(self) -> str:
        self.flush()
        raw = self.buffer
        assert isinstance(raw, io.BytesIO)
        return raw.getvalue().decode("utf-8", errors="replace")


@contextlib.contextmanager
def _as_a_child(cwd: Path | None, env: dict[str, str] | None) -> Iterator[None]:
    """What :func:`run_cli` gives a child, in this process, and put back afterwards: the
    working folder (``ROOT`` unless given), an environment without ``ESCALSIM_*`` settings
    (plus ``env``), the signal handlers, ``sys.argv`` and the interpreter's warning options."""
    saved_env = dict(os.environ)
    saved_argv, saved_warnoptions = list(sys.argv), list(sys.warnoptions)
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for key in [k for k in os.environ if k.startswith("ESCALSIM_")]:
        del os.environ[key]
    os.environ.update(env or {})
    try:
        with contextlib.chdir(cwd or ROOT):
            yield
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        sys.argv[:], sys.warnoptions[:] = saved_argv, saved_warnoptions
        left = {sig: signal.getsignal(sig) for sig in handlers}
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    # escalsim.cli.main(argv) promises to put the handlers it installs back: hold it to that.
    assert left == handlers, f"the command left its signal handlers installed: {left}"


def cli_in_process(
    *args: str,
    cwd: Path | None = None,
    input_text: str | None = None,
    env: dict[str, str] | None = None,
) -> tuple[int, str, str]:
    """Run the command line in this process; return (exit code, stdout, stderr).

    The same command as :func:`run_cli` runs, seen the same way (stdout and stderr are pipes,
    stdin is ``input_text`` or empty, the working folder is ``cwd`` or the repository, no
    ``ESCALSIM_*`` settings but ``env``), without the second or two a child spends importing
    numpy, pandas and pyarrow. Use :func:`run_cli` where the process itself is under test
    (signals, process groups, limits, a terminal, interpreter shutdown).
    """
    from escalsim.cli import main

    out, err = _Captured(), _Captured(errors="backslashreplace")
    stdin = io.TextIOWrapper(io.BytesIO((input_text or "").encode("utf-8")), encoding="utf-8")
    with (
        _as_a_child(cwd, env),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        _stdin(stdin),
    ):
        try:
            main(list(args))
        except SystemExit as exc:
            if exc.code is None or isinstance(exc.code, int):
                code = exc.code or 0
            else:  # sys.exit("message"): Python prints it and exits 1
                print(exc.code, file=sys.stderr)
                code = 1
        else:
            code = 0
    return code, out.text(), err.text()


@contextlib.contextmanager
def _stdin(stream: Any) -> Iterator[None]:
    saved = sys.stdin
    sys.stdin = stream
    try:
        yield
    finally:
        sys.stdin = saved


def run_cli_in_process(
    *args: str,
    cwd: Path | None = None,
    input_text: str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """:func:`cli_in_process` with :func:`run_cli`'s result, so a test can use either."""
    code, out, err = cli_in_process(*args, cwd=cwd, input_text=input_text, env=env)
    return subprocess.CompletedProcess(["escalsim", *args], code, out, err)
