"""The ``escalsim`` command line.

Data goes to stdout; messages, errors and progress go to stderr. Exit codes: 0 success, 1 an
internal error (a bug: please report it), 2 bad input (a scenario, an option, a file), 130
interrupted.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


def _version_text() -> str:
    import platform
    from importlib.metadata import version

    import mesa
    import numpy

    from escalsim import __version__

    return (
        f"escalsim {__version__}\n"
        f"mesa {mesa.__version__}, numpy {numpy.__version__}, pydantic {version('pydantic')}, "
        f"Python {platform.python_version()} ({platform.python_implementation()})"
    )


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(_version_text())
        ctx.exit(EXIT_OK)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the escalsim, mesa, numpy and Python versions, then exit.",
)
def cli() -> None:
    """Simulate how communication between rival states changes miscalculation and escalation.

    A SCENARIO argument is a YAML file or the name of a shipped scenario (see `escalsim
    scenarios`). Exit codes: 0 success, 1 internal error, 2 bad input, 130 interrupted.
    """


@cli.command()
@click.argument("scenarios", nargs=-1, required=True, metavar="SCENARIO...")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: problems on stderr as file:line:col; json: a report on stdout.",
)
def validate(scenarios: Sequence[str], fmt: str) -> None:
    """Check scenario files (and every condition in them) against the scenario format.

    Every problem of every file is printed as `file:line:column: field.path: what was expected`.
    Exits 2 when any file has a problem.
    """
    from escalsim.scenario import ScenarioError, load_scenario

    report: list[dict[str, Any]] = []
    failed = False
    for name in scenarios:
        try:
            scenario = load_scenario(name)
        except ScenarioError as exc:
            failed = True
            if fmt == "text":
                for problem in exc.problems:
                    click.echo(str(problem), err=True)
            report.append(
                {
                    "file": exc.source,
                    "valid": False,
                    "problems": [
                        {
                            "line": p.line,
                            "column": p.column,
                            "path": _path(p.loc),
                            "message": p.message,
                        }
                        for p in exc.problems
                    ],
                }
            )
            continue
        if fmt == "text":
            conditions = ", ".join(scenario.condition_names)
            click.echo(f"ok: {name} ({scenario.id}; conditions: {conditions})", err=True)
        report.append(
            {
                "file": name,
                "valid": True,
                "id": scenario.id,
                "conditions": scenario.condition_names,
                "problems": [],
            }
        )
    if fmt == "json":
        click.echo(json.dumps(report, indent=2))
    if failed:
        sys.exit(EXIT_BAD_INPUT)


def _path(loc: tuple[str | int, ...]) -> str:
    from escalsim.scenario.errors import format_loc

    return format_loc(loc)


@cli.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Write the schema to this file instead of stdout.",
)
def schema(out: Path | None) -> None:
    """Print the JSON Schema (draft-07) of scenario files, for editors.

    Point an editor at it with a first line `# yaml-language-server: $schema=PATH` in the YAML
    file; the shipped scenarios do this with the copy shipped beside them.
    """
    from escalsim.scenario.jsonschema import schema_text

    text = schema_text()
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        _atomic_write(out, text)
    except OSError as exc:
        raise click.BadParameter(
            f"cannot write {out}: {exc.strerror}", param_hint="--out"
        ) from None
    click.echo(f"wrote {out}", err=True)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="A table, or JSON.",
)
def scenarios(fmt: str) -> None:
    """List the shipped scenarios; their names work wherever a scenario file is taken."""
    from escalsim.scenario import load_scenario, shipped

    rows = []
    for name in shipped.names():
        s = load_scenario(name)
        first = s.description.split(". ")[0].rstrip(".") if s.description else s.name
        rows.append(
            {
                "name": name,
                "title": s.name,
                "summary": first,
                "conditions": s.condition_names,
                "file": str(shipped.path_of(name)),
            }
        )
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Shipped scenarios", title_justify="left")
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("title")
    table.add_column("conditions")
    for row in rows:
        table.add_row(row["name"], row["title"], ", ".join(row["conditions"]))
    Console(highlight=False).print(table)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command line; bad input exits 2 and never shows a traceback.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default: ``sys.argv[1:]``).
    """
    try:
        cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="escalsim",
            standalone_mode=False,
        )
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_BAD_INPUT)  # every usage and option error is bad input
    except (KeyboardInterrupt, click.Abort):
        click.echo("escalsim: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:
        if os.environ.get("ESCALSIM_DEBUG"):
            raise
        click.echo(
            f"escalsim: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug; run again with ESCALSIM_DEBUG=1 for the traceback and report it.",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)
    sys.exit(EXIT_OK)
