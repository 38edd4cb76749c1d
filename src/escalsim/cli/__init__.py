"""The ``escalsim`` command line.

Data goes to stdout; messages, errors and progress go to stderr. The exit codes are
:data:`escalsim.errors.EXIT_CODES` (``escalsim --help`` and the README quote it); every error
a user caused is an :class:`escalsim.errors.EscalsimError`, mapped to its message and exit code
in one place (:func:`escalsim.cli.lifecycle.run_group`). ``run`` and ``sweep`` save every
finished part of their work as they go; after an interruption or a full disk, the message gives
the command that finishes the work (``--resume``).

The package:

- :mod:`~escalsim.cli.lifecycle`: signals, exit codes, the messages of a stopped command;
- :mod:`~escalsim.cli.options`: the options several commands take, each declared once;
- one thin module per group of commands, which parses the options, calls the Python API and
  prints: :mod:`~escalsim.cli.scenarios` (``validate``, ``schema``, ``scenarios``),
  :mod:`~escalsim.cli.migrate` (``migrate``),
  :mod:`~escalsim.cli.run` (``run``, ``show``, ``plot``), :mod:`~escalsim.cli.sweep`
  (``sweep``, ``analyze``), :mod:`~escalsim.cli.sensitivity`, :mod:`~escalsim.cli.calibrate`,
  :mod:`~escalsim.cli.teaching` (``play``, ``app``, ``classroom``) and :mod:`~escalsim.cli.verify`.

The policy behind ``--out``, ``--seed`` and ``--resume`` (default folders, seeds, which folders
are taken) is the API's, :mod:`escalsim.experiment.folders`: ``escalsim run --out DIR`` and
``escalsim.run(..., out=DIR)`` decide alike. Nothing heavy is imported before a command runs,
so ``escalsim --version`` and ``--help`` are fast.
"""

from __future__ import annotations

from collections.abc import Sequence

import click

from escalsim.cli import lifecycle
from escalsim.cli.calibrate import calibrate_command
from escalsim.cli.migrate import migrate
from escalsim.cli.run import plot, run_command, show
from escalsim.cli.scenarios import scenarios, schema, validate
from escalsim.cli.sensitivity import sensitivity
from escalsim.cli.sweep import analyze, sweep
from escalsim.cli.teaching import app, classroom, play
from escalsim.cli.verify import verify
from escalsim.errors import EXIT_CHECKS_FAILED, EXIT_CODES, EXIT_OK, exit_codes_text

__all__ = ["EXIT_CHECKS_FAILED", "EXIT_CODES", "cli", "exit_codes_text", "main"]


def _version_text() -> str:
    """The versions, from the packages' metadata: nothing is imported (the command is instant)."""
    import platform
    from importlib.metadata import version

    from escalsim import __version__

    return (
        f"escalsim {__version__}\n"
        f"mesa {version('mesa')}, numpy {version('numpy')}, pydantic {version('pydantic')}, "
        f"Python {platform.python_version()} ({platform.python_implementation()})"
    )


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(_version_text())
        ctx.exit(EXIT_OK)


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    help="Simulate how communication between rival states changes miscalculation and "
    "escalation.\n\nA SCENARIO argument is a YAML file or the name of a shipped scenario (see "
    f"`escalsim scenarios`). {exit_codes_text()}",
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the escalsim, mesa, numpy and Python versions, then exit.",
)
def cli() -> None:
    """The ``escalsim`` command group (its help text is built from :data:`EXIT_CODES`).

    Before any command runs, it tunes this process's allocator for the model's rounds
    (:func:`escalsim.allocator.keep_freed_memory`): the process is escalsim's own.
    """
    from escalsim.allocator import keep_freed_memory

    keep_freed_memory()


for _command in (
    validate,
    migrate,
    schema,
    scenarios,
    run_command,
    show,
    plot,
    sweep,
    analyze,
    sensitivity,
    calibrate_command,
    play,
    app,
    classroom,
    verify,
):
    cli.add_command(_command)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command line; bad input exits 2 and never shows a traceback.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Notes
    -----
    SIGTERM stops a command as Ctrl-C does (exit 143 instead of 130); see
    :func:`escalsim.cli.lifecycle.main`.
    """
    lifecycle.main(cli, argv)
