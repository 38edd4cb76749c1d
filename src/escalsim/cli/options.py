"""The options several commands take, each declared once: same name, type, default and help.

A command takes one with its decorator (``@seed_option(...)``, ``@out_option("run")``, ...); a
test walks every command and checks that each of these options comes from here
(:class:`SharedOption`) and means the same everywhere. The defaults that are policy (the default
folder, the seed) are decided by :mod:`escalsim.experiment.folders`, whose rules the help quotes.

Also here: how the commands show a refused option value and scenario problems, and the check of
a folder argument that another command wrote (``show``, ``plot``, ``analyze``).
"""

from __future__ import annotations

import contextlib
import shlex
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from escalsim.errors import EXIT_BAD_INPUT
from escalsim.experiment.folders import default_folder_pattern

F = TypeVar("F", bound=Callable[..., Any])

#: Every root seed: a non-negative signed 64-bit integer (what numpy's SeedSequence and the
#: run's manifest take).
SEED = click.IntRange(0, 2**63 - 1)
#: Local worker processes.
WORKERS = click.IntRange(1, 4096)
#: The output folders of the commands that write one, by the kind of folder.
FOLDER_TITLES = {
    "run": "Run folder",
    "sweep": "Sweep folder",
    "calibration": "Output folder",
    "sensitivity": "Output folder",
}


class SharedOption(click.Option):
    """An option declared in this module (the tests tell shared options by their class)."""


def _option(*decls: str, **attrs: Any) -> Callable[[F], F]:
    return click.option(*decls, cls=SharedOption, **attrs)


def seed_option(default: str, *, of: str = "", value: int | None = None) -> Callable[[F], F]:
    """``--seed``: the root seed; ``default`` says what it is when not given.

    ``of`` follows "Root seed" in the help (what the seed seeds); ``value`` is the default,
    when the command has one (else None, and the command decides).
    """
    return _option(
        "--seed",
        type=SEED,
        default=value,
        help=f"Root seed{of} [default: {default}].",
    )


def out_option(kind: str) -> Callable[[F], F]:
    """``--out``: the folder a run, sweep or calibration is written to (``kind``)."""
    return _option(
        "--out",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help=f"{FOLDER_TITLES[kind]} [default: {default_folder_pattern(kind)}].",
    )


def out_file_option(what: str) -> Callable[[F], F]:
    """``--out FILE``: write ``what`` (one file of text) there instead of to stdout."""
    return _option(
        "--out",
        "out_file",
        type=click.Path(dir_okay=False, writable=True, path_type=Path),
        default=None,
        help=f"Write {what} to this file instead of stdout.",
    )


def format_option(*choices: str, text: str = "What stdout gets.") -> Callable[[F], F]:
    """``--format``: what stdout gets, one of ``choices`` (the first is the default).

    ``text`` is the help.
    """
    return _option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=choices[0],
        show_default=True,
        help=text,
    )


def workers_option() -> Callable[[F], F]:
    """``--workers``: local worker processes."""
    return _option(
        "--workers",
        type=WORKERS,
        default=None,
        help="Local worker processes [default: the machine's cores; 1 runs in this process].",
    )


def scheduler_option() -> Callable[[F], F]:
    """``--scheduler``: a Dask scheduler to run the tasks on."""
    return _option(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="A Dask scheduler (e.g. tcp://host:8786) to run the tasks on "
        "[default: $DASK_SCHEDULER_ADDRESS].",
    )


def _size(_ctx: click.Context, _param: click.Parameter, text: str | None) -> int | None:
    """--max-memory: a size such as 8G, 500MB or 2GiB, in bytes."""
    from escalsim.experiment.limits import parse_size

    if text is None:
        return None
    try:
        return parse_size(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--max-memory") from None


def limits_options(what: str) -> Callable[[F], F]:
    """``--max-memory`` (in bytes, or None), ``--force`` and ``--dry-run`` of a ``what``."""

    def apply(command: F) -> F:
        for option in reversed(
            [
                _option(
                    "--max-memory",
                    "max_memory",
                    default=None,
                    metavar="SIZE",
                    callback=_size,
                    help="Memory budget, e.g. 8G or 500MB [default: 80% of the memory "
                    f"available]; a {what} that does not fit is refused "
                    "(docs/reliability/limits.md).",
                ),
                _option(
                    "--force",
                    is_flag=True,
                    help="Run even when the memory estimate exceeds the budget.",
                ),
                dry_run_option(
                    f"Print the memory and time the {what} would need, and exit (2 if it "
                    "would be refused)."
                ),
            ]
        ):
            command = option(command)
        return command

    return apply


def dry_run_option(help_text: str) -> Callable[[F], F]:
    """``--dry-run``: say what the command would do (``help_text``), and exit."""
    return _option("--dry-run", is_flag=True, help=help_text)


def quiet_option() -> Callable[[F], F]:
    """``--quiet``/``-q``: no progress bar and no messages."""
    return _option("--quiet", "-q", is_flag=True, help="No progress bar and no messages on stderr.")


def twin_option() -> Callable[[F], F]:
    """``--twin/--no-twin``: run each replication's perfect-information twin."""
    return _option(
        "--twin/--no-twin",
        default=True,
        show_default=True,
        help="Run each replication's perfect-information twin too.",
    )


# -- errors ---------------------------------------------------------------------------------------
@contextlib.contextmanager
def option_errors() -> Iterator[None]:
    """Show a refused folder (:mod:`escalsim.experiment.folders`) as click shows a bad value.

    ``Error: Invalid value for --out: ...``, exit 2, as before the rules moved to the API.
    """
    from escalsim.errors import UsageError

    try:
        yield
    except UsageError as exc:
        problem = exc.problems[0]
        raise click.BadParameter(problem.message, param_hint=str(problem.loc[0])) from None


def fail(problems: Iterable[Any]) -> NoReturn:
    """Print scenario problems and exit 2."""
    for problem in problems:
        click.echo(str(problem), err=True)
    sys.exit(EXIT_BAD_INPUT)


# -- folder arguments -----------------------------------------------------------------------------
#: What reads each kind of folder, for a folder given to a command that does not read it.
FOLDER_READERS = {
    "run": "written by `escalsim run`; `escalsim show {f}` prints its summary and "
    "`escalsim plot {f}` redraws its figures",
    "sweep": "written by `escalsim sweep`; `escalsim analyze {f}` summarises it",
    "calibration": "written by `escalsim calibrate`; its summary is {f}/fit.json (and "
    "calibration.png)",
}


def expect_folder(folder: Path, kind: str, command: str, param: str) -> None:
    """Refuse (exit 2) a folder that another command wrote, naming the one that reads it."""
    from escalsim.experiment.folders import folder_kind

    found = folder_kind(folder)
    if found is not None and found != kind:
        article = "an" if kind[0] in "aeiou" else "a"
        readers = FOLDER_READERS[found].format(f=shlex.quote(str(folder)))
        raise click.BadParameter(
            f"{folder} is {'an' if found[0] in 'aeiou' else 'a'} {found} folder ({readers}); "
            f"`escalsim {command}` reads {article} {kind} folder",
            param_hint=param,
        )
