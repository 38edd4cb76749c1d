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
from typing import Any, NoReturn

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


def _fail(problems: Any) -> NoReturn:
    """Print scenario problems and exit 2."""
    for problem in problems:
        click.echo(str(problem), err=True)
    sys.exit(EXIT_BAD_INPUT)


@cli.command(name="run")
@click.argument("scenario", metavar="SCENARIO")
@click.option(
    "--replications",
    "-n",
    type=click.IntRange(1, 10_000_000),
    default=None,
    help="Replications per condition [default: the scenario's run.replications].",
)
@click.option(
    "--rounds",
    type=click.IntRange(1, 10_000),
    default=None,
    help="A different horizon; events after it are dropped.",
)
@click.option(
    "--seed",
    type=click.IntRange(0, 2**63 - 1),
    default=None,
    help="Root seed [default: drawn at random, printed and recorded].",
)
@click.option(
    "--condition",
    "conditions",
    multiple=True,
    metavar="NAME",
    help="Run only this condition (repeatable) [default: all].",
)
@click.option(
    "--baseline",
    default=None,
    metavar="NAME",
    help="Condition to compare against [default: the first].",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Run folder [default: results/<scenario>/<run-id>/].",
)
@click.option(
    "--engine",
    type=click.Choice(["auto", "agents", "batch"]),
    default="auto",
    show_default=True,
    help="The driver: the mesa agent model or the vectorised batch engine (identical results; "
    "auto picks the batch engine for more than one replication).",
)
@click.option(
    "--twin/--no-twin",
    default=True,
    show_default=True,
    help="Run each replication's perfect-information twin too.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 1024),
    default=None,
    help="Worker processes [default: the machine's cores].",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="What stdout gets.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no messages on stderr.")
@click.option("--no-plots", is_flag=True, help="Do not draw the figures.")
@click.option(
    "--all-metrics",
    is_flag=True,
    help="Show every metric in the table (the JSON, CSV and summary.csv always do).",
)
def run_command(
    scenario: str,
    replications: int | None,
    rounds: int | None,
    seed: int | None,
    conditions: tuple[str, ...],
    baseline: str | None,
    out: Path | None,
    engine: str,
    twin: bool,
    workers: int | None,
    fmt: str,
    quiet: bool,
    no_plots: bool,
    all_metrics: bool,
) -> None:
    """Run every condition of SCENARIO over the same replications and summarise them.

    Prints each metric per condition with its 95% CI and the paired difference of each
    condition against the baseline, and writes a run folder (parquet tables, summary, manifest,
    figures).
    """
    import secrets
    from datetime import UTC, datetime

    from escalsim.experiment.runner import run as run_experiment
    from escalsim.scenario import ScenarioError, load_scenario

    try:
        spec = load_scenario(scenario)
    except ScenarioError as exc:
        _fail(exc.problems)
    if seed is None:
        seed = secrets.randbits(63)
        if not quiet:
            click.echo(f"seed: {seed} (drawn; pass --seed {seed} to repeat this run)", err=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = out or Path("results") / spec.id / f"{stamp}-s{seed}"
    if folder.exists():
        raise click.BadParameter(f"{folder} exists; choose another folder", param_hint="--out")
    try:
        results = run_experiment(
            spec,
            replications=replications,
            seed=seed,
            conditions=list(conditions) or None,
            rounds=rounds,
            baseline=baseline,
            twin=twin,
            engine=engine,
            workers=workers,
            progress=not quiet,
        )
    except ScenarioError as exc:
        _fail(exc.problems)
    results.manifest["command"] = " ".join(["escalsim", *sys.argv[1:]])
    results.manifest["created"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        results.save(folder, plots=not no_plots)
    except OSError as exc:
        raise click.BadParameter(f"cannot write {folder}: {exc}", param_hint="--out") from None
    _report(results, fmt, quiet, all_metrics=all_metrics)
    if not quiet:
        click.echo(f"wrote {folder}", err=True)


def _report(results: Any, fmt: str, quiet: bool, *, all_metrics: bool = False) -> None:
    """Print the summary (stdout) and unresolved-difference warnings (stderr)."""
    from escalsim.experiment.report import render_table, unresolved_warnings

    if fmt == "json":
        click.echo(json.dumps(results.contract(), indent=2))
    elif fmt == "csv":
        click.echo(results.summary().to_csv(index=False), nl=False)
    else:
        render_table(results, all_metrics=all_metrics)
    if not quiet:
        for line in unresolved_warnings(results):
            click.echo(f"warning: {line}", err=True)


def _load_run(folder: Path) -> Any:
    from escalsim.experiment.results import MANIFEST, Results

    if not (folder / MANIFEST).is_file():
        raise click.BadParameter(
            f"{folder} is not a run folder (no {MANIFEST})", param_hint="RUN_DIR"
        )
    try:
        return Results.load(folder)
    except (OSError, ValueError, KeyError) as exc:
        raise click.BadParameter(
            f"{folder}: cannot read the run: {exc}", param_hint="RUN_DIR"
        ) from None


@cli.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
def show(run_dir: Path, fmt: str) -> None:
    """Print the summary of a run folder again."""
    _report(_load_run(run_dir), fmt, quiet=False)


@cli.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
def plot(run_dir: Path) -> None:
    """Redraw the figures of a run folder."""
    results = _load_run(run_dir)
    for path in results.save_figures(run_dir):
        click.echo(f"wrote {path}", err=True)


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
