"""Commands about scenario files: ``validate``, ``schema`` and ``scenarios``."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from escalsim.cli.lifecycle import atomic_write
from escalsim.cli.options import format_option, out_file_option
from escalsim.errors import EXIT_BAD_INPUT


@click.command()
@click.argument("scenarios", nargs=-1, required=True, metavar="SCENARIO...")
@format_option(
    "text", "json", text="text: problems on stderr as file:line:col; json: a report on stdout."
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


@click.command()
@out_file_option("the schema")
def schema(out_file: Path | None) -> None:
    """Print the JSON Schema (draft-07) of scenario files, for editors.

    Point an editor at it with a first line `# yaml-language-server: $schema=PATH` in the YAML
    file; the shipped scenarios do this with the copy shipped beside them.
    """
    from escalsim.scenario.jsonschema import schema_text

    text = schema_text()
    if out_file is None:
        click.echo(text, nl=False)
        return
    write_file(out_file, text)
    click.echo(f"wrote {out_file}", err=True)


def write_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole (a temporary file renamed); a failure is bad --out."""
    try:
        atomic_write(path, text)
    except OSError as exc:
        raise click.BadParameter(
            f"cannot write {path}: {exc.strerror}", param_hint="--out"
        ) from None


@click.command()
@format_option("table", "json", text="A table, or JSON.")
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
        table.add_row(str(row["name"]), str(row["title"]), ", ".join(row["conditions"]))
    Console(highlight=False).print(table)
