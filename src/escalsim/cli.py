"""The ``escalsim`` command line.

Data goes to stdout; messages, errors and progress go to stderr. The exit codes are
:data:`escalsim.errors.EXIT_CODES` (``escalsim --help`` and the README quote it); every error
a user caused is an :class:`escalsim.errors.EscalsimError`, mapped to its message and exit code
in one place (:func:`_main`). ``run`` and ``sweep`` save every finished part of their work as
they go; after an interruption or a full disk, the message gives the command that finishes the
work (``--resume``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, NoReturn

import click

from escalsim.errors import (
    EXIT_BAD_INPUT,
    EXIT_CHECKS_FAILED,
    EXIT_CODES,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_NO_SPACE,
    EXIT_OK,
    EXIT_TERMINATED,
    EscalsimError,
    exit_codes_text,
)

__all__ = ["EXIT_CHECKS_FAILED", "EXIT_CODES", "cli", "exit_codes_text", "main"]

#: The arguments of this invocation (for the command printed to resume an interrupted one).
_ARGV: list[str] = []


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that it stops a command as Ctrl-C does."""

    signum = signal.SIGTERM


def _on_sigterm(_signum: int, _frame: Any) -> None:
    raise Terminated


def _interrupt_code(exc: BaseException) -> int:
    """130 for Ctrl-C (SIGINT), 143 for SIGTERM."""
    return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED


def _interrupt_name(exc: BaseException) -> str:
    return "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted (SIGINT)"


def _resume_command(out: Path, seed: int | None = None) -> str:
    """The invocation as a command that finishes its work: with --out, --seed and --resume."""
    args = list(_ARGV)
    if not any(a == "--out" or a.startswith("--out=") for a in args):
        args += ["--out", str(out)]
    if seed is not None and not any(a == "--seed" or a.startswith("--seed=") for a in args):
        args += ["--seed", str(seed)]
    if "--resume" not in args:
        args.append("--resume")
    return shlex.join(["escalsim", *args])


def _worker_died(saved: str, command: str) -> NoReturn:
    """Report a worker process that died (killed, or out of memory) and exit 1."""
    click.echo(
        "escalsim: a worker process died (killed, or out of memory?); "
        f"{saved}; to finish, run: {command}",
        err=True,
    )
    sys.exit(EXIT_NO_SPACE)


def _no_space(exc: OSError, saved: str, command: str) -> NoReturn:
    """Report a write that found no space left (naming the file) and exit 1."""
    click.echo(
        f"escalsim: no space left to write {exc.filename or 'a file'} ({exc.strerror}); "
        f"{saved}; free some space, then run: {command}",
        err=True,
    )
    sys.exit(EXIT_NO_SPACE)


def _version_text() -> str:
    import platform
    from importlib.metadata import version

    import numpy

    from escalsim import __version__

    return (
        f"escalsim {__version__}\n"
        f"mesa {version('mesa')}, numpy {numpy.__version__}, pydantic {version('pydantic')}, "
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
    """The ``escalsim`` command group (its help text is built from :data:`EXIT_CODES`)."""


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
        table.add_row(str(row["name"]), str(row["title"]), ", ".join(row["conditions"]))
    Console(highlight=False).print(table)


def _fail(problems: Any) -> NoReturn:
    """Print scenario problems and exit 2."""
    for problem in problems:
        click.echo(str(problem), err=True)
    sys.exit(EXIT_BAD_INPUT)


def _size(text: str | None) -> int | None:
    """--max-memory: a size such as 8G, 500MB or 2GiB."""
    from escalsim.experiment.limits import parse_size

    if text is None:
        return None
    try:
        return parse_size(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--max-memory") from None


_MAX_MEMORY_HELP = (
    "Memory budget, e.g. 8G or 500MB [default: 80% of the memory available]; a run that does "
    "not fit is refused (docs/reliability/limits.md)."
)
_FORCE_HELP = "Run even when the memory estimate exceeds the budget."


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
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="A Dask scheduler (e.g. tcp://host:8786) to run the tasks on "
    "[default: $DASK_SCHEDULER_ADDRESS].",
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
@click.option(
    "--keep",
    type=click.IntRange(0, 10_000_000),
    default=200,
    show_default=True,
    help="Replications per condition whose timeseries and events are kept.",
)
@click.option("--max-memory", "max_memory", default=None, metavar="SIZE", help=_MAX_MEMORY_HELP)
@click.option("--force", is_flag=True, help=_FORCE_HELP)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print the memory and time the run would need, and exit (2 if it would be refused).",
)
@click.option(
    "--chunk",
    type=click.IntRange(1, 10_000_000),
    default=None,
    help="Replications per part; each finished part is saved at once [default: by engine and "
    "workers]. The results do not depend on it.",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Finish the interrupted run into --out: run only its missing parts (its seed is "
    "reused when --seed is not given).",
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
    keep: int = 200,
    max_memory: str | None = None,
    force: bool = False,
    dry_run: bool = False,
    chunk: int | None = None,
    resume: bool = False,
    scheduler: str | None = None,
) -> None:
    """Run every condition of SCENARIO over the same replications and summarise them.

    Prints each metric per condition with its 95% CI and the paired difference of each
    condition against the baseline, and writes a run folder (parquet tables, summary, manifest,
    figures). Each finished part is saved at once in the hidden .OUT.partial beside it; the run
    folder appears complete or not at all. Ctrl-C (exit 130) or SIGTERM (143) leaves a run that
    --resume finishes.
    """
    from escalsim.experiment.folders import is_run_folder, run_target
    from escalsim.experiment.results import RunParts, is_no_space
    from escalsim.experiment.runner import run as run_experiment
    from escalsim.scenario import load_scenario

    budget = _size(max_memory)
    spec = load_scenario(scenario)
    # What both the dry run and the run itself are given (the run adds seed, output, progress).
    common: dict[str, Any] = dict(
        replications=replications,
        conditions=list(conditions) or None,
        rounds=rounds,
        baseline=baseline,
        twin=twin,
        engine=engine,
        workers=workers,
        keep=keep,
        max_memory=budget,
        force=force,
    )
    if dry_run:
        from escalsim.experiment.runner import estimate_run

        estimate = estimate_run(spec, seed=seed, **common)
        click.echo(estimate.describe())
        return
    # The folder, the seed and whether the folder may be used: the rules of escalsim.run(out=)
    # (escalsim.experiment.folders), decided first so that the messages below can name them.
    with _option_errors():
        target = run_target(spec.id, out=out, seed=seed, resume=resume)
    folder, seed = target.folder, target.seed
    if target.drawn and not quiet:
        click.echo(f"seed: {seed} (drawn; pass --seed {seed} to repeat this run)", err=True)
    parts = RunParts(folder)
    try:
        results = run_experiment(
            spec,
            seed=seed,
            progress=not quiet,
            chunk=chunk,
            out=folder,
            resume=resume,
            scheduler=scheduler,
            plots=not no_plots,
            provenance={"command": " ".join(["escalsim", *_ARGV])},
            **common,
        )
    except KeyboardInterrupt as exc:
        if is_run_folder(folder):
            click.echo(
                f"escalsim: {_interrupt_name(exc)}; the run is complete in {folder}", err=True
            )
        else:
            click.echo(
                f"escalsim: {_interrupt_name(exc)}; {parts.saved()}; to finish the run: "
                f"{_resume_command(folder, seed)}",
                err=True,
            )
        sys.exit(_interrupt_code(exc))
    except OSError as exc:
        if is_no_space(exc):
            _no_space(exc, parts.saved(), _resume_command(folder, seed))
        raise click.BadParameter(f"cannot write {folder}: {exc}", param_hint="--out") from None
    except BrokenProcessPool:
        _worker_died(parts.saved(), _resume_command(folder, seed))
    if target.complete:
        if not quiet:
            click.echo(f"{folder} is complete already: nothing to resume", err=True)
        _report(results, fmt, quiet, all_metrics=all_metrics)
        return
    if not quiet:
        for note in results.manifest.get("estimate", {}).get("notes", []):
            click.echo(f"limits: {note}", err=True)
    try:
        _report(results, fmt, quiet, all_metrics=all_metrics)
    except KeyboardInterrupt as exc:
        click.echo(f"escalsim: {_interrupt_name(exc)}; the run is complete in {folder}", err=True)
        sys.exit(_interrupt_code(exc))
    if not quiet:
        click.echo(f"wrote {folder}", err=True)


@contextlib.contextmanager
def _option_errors() -> Iterator[None]:
    """Show a refused folder (escalsim.experiment.folders) as click shows a bad option value."""
    from escalsim.errors import UsageError

    try:
        yield
    except UsageError as exc:
        problem = exc.problems[0]
        raise click.BadParameter(problem.message, param_hint=str(problem.loc[0])) from None


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


#: What reads each kind of folder, for a folder given to a command that does not read it.
_FOLDER_READERS = {
    "run": "written by `escalsim run`; `escalsim show {f}` prints its summary and "
    "`escalsim plot {f}` redraws its figures",
    "sweep": "written by `escalsim sweep`; `escalsim analyze {f}` summarises it",
    "calibration": "written by `escalsim calibrate`; its summary is {f}/fit.json (and "
    "calibration.png)",
}


def _expect_folder(folder: Path, kind: str, command: str, param: str) -> None:
    """Refuse (exit 2) a folder that another command wrote, naming the one that reads it."""
    from escalsim.experiment.folders import folder_kind

    found = folder_kind(folder)
    if found is not None and found != kind:
        article = "an" if kind[0] in "aeiou" else "a"
        readers = _FOLDER_READERS[found].format(f=shlex.quote(str(folder)))
        raise click.BadParameter(
            f"{folder} is {'an' if found[0] in 'aeiou' else 'a'} {found} folder ({readers}); "
            f"`escalsim {command}` reads {article} {kind} folder",
            param_hint=param,
        )


def _load_run(folder: Path, command: str = "show") -> Any:
    from escalsim.experiment.results import MANIFEST, Results

    _expect_folder(folder, "run", command, "RUN_DIR")
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
    results = _load_run(run_dir, "plot")
    for path in results.save_figures(run_dir):
        click.echo(f"wrote {path}", err=True)


@cli.command()
@click.argument("scenario", metavar="SCENARIO")
@click.option(
    "--vary",
    "varies",
    multiple=True,
    metavar="PATH=SPEC",
    help="A field to vary: START:STOP:COUNT, LOW:HIGH, uniform(LOW,HIGH) or V1,V2,... "
    "(repeat for more fields), e.g. channels.hotline.noise=0:0.5:11 [default: the scenario's "
    "sweep: block].",
)
@click.option(
    "--sampler",
    type=click.Choice(["grid", "lhs", "sobol", "morris"]),
    default=None,
    help="grid: every combination; lhs: --samples points within the bounds; sobol, morris: "
    "designs for sensitivity indices (the 'sa' extra) [default: the sweep block's, else grid].",
)
@click.option(
    "--samples",
    type=click.IntRange(1, 10_000_000),
    default=None,
    help="Points (lhs), base samples (sobol) or trajectories (morris) [default: the sweep "
    "block's, else 16].",
)
@click.option(
    "--replications",
    "-n",
    type=click.IntRange(1, 9_999_999),
    default=None,
    help="Replications per point, the same indices at every point (common random numbers) "
    "[default: the sweep block's, else 200].",
)
@click.option(
    "--seed",
    type=click.IntRange(0, 2**63 - 1),
    default=None,
    help="Root seed [default: the scenario's run.seed].",
)
@click.option("--condition", default=None, help="Run under this condition of the scenario.")
@click.option(
    "--chunk",
    type=click.IntRange(1, 1_000_000),
    default=None,
    help="Replications per task [default: the sweep block's, else 250].",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 4096),
    default=None,
    help="Local worker processes [default: the machine's cores; 1 runs in this process].",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="A Dask scheduler (e.g. tcp://host:8786) [default: $DASK_SCHEDULER_ADDRESS].",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Sweep folder [default: results/<scenario>/sweep-<time>-s<seed>/].",
)
@click.option("--resume", is_flag=True, help="Finish the sweep in --out: run the missing parts.")
@click.option("--twin/--no-twin", default=True, show_default=True)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or messages.")
@click.option("--max-memory", "max_memory", default=None, metavar="SIZE", help=_MAX_MEMORY_HELP)
@click.option("--force", is_flag=True, help=_FORCE_HELP)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print the memory and time the sweep would need, and exit (2 if it would be refused).",
)
def sweep(
    scenario: str,
    varies: tuple[str, ...],
    sampler: str | None,
    samples: int | None,
    replications: int | None,
    seed: int | None,
    condition: str | None,
    chunk: int | None,
    workers: int | None,
    scheduler: str | None,
    out: Path | None,
    resume: bool,
    twin: bool,
    quiet: bool,
    max_memory: str | None = None,
    force: bool = False,
    dry_run: bool = False,
) -> None:
    """Run SCENARIO at many parameter points into a resumable sweep folder.

    The points come from --vary options, or from the scenario's sweep: block.

    Each finished task is one Parquet part under OUT/runs/; OUT/manifest.json holds the
    canonical sweep and its hash. Ctrl-C exits 130 (SIGTERM 143) and leaves a sweep that
    --resume finishes.
    """
    from escalsim.experiment.folders import prepare_sweep_folder
    from escalsim.experiment.sweep import default_sweep_folder, define_sweep, plan, run_sweep
    from escalsim.scenario import load_scenario

    spec = load_scenario(scenario)
    definition, chunk = define_sweep(
        spec,
        varies,
        sampler=sampler,
        samples=samples,
        replications=replications,
        seed=seed,
        condition=condition,
        chunk=chunk,
        twin=twin,
    )
    root = definition.seed
    budget = _size(max_memory)
    # run_sweep plans again for callers from Python; here the plan comes first so that a sweep
    # that cannot fit is refused (or dry-run) before any folder is made
    planned = plan(
        definition,
        chunk=chunk,
        workers=workers,
        scheduler=scheduler,
        out=out if resume else None,
        max_memory=budget,
        force=force,
    )
    if dry_run:
        click.echo(
            f"sweep: {len(definition.points)} points × {definition.replications} replications "
            f"({definition.sampler})"
        )
        click.echo(planned.describe())
        return
    folder = out or default_sweep_folder(definition)
    with _option_errors():
        prepare_sweep_folder(folder, resume=resume)
    if not quiet:
        for note in planned.notes:
            click.echo(f"limits: {note}", err=True)
    if not quiet:
        click.echo(
            f"sweep: {len(definition.points)} points × {definition.replications} replications "
            f"({definition.sampler}), seed {root} -> {folder}",
            err=True,
        )
    try:
        report = run_sweep(
            definition,
            folder,
            chunk=chunk,
            workers=workers,
            scheduler=scheduler,
            resume=resume,
            progress=not quiet,
            max_memory=budget,
            force=force,
        )
    except KeyboardInterrupt as exc:
        click.echo(
            f"escalsim: {_interrupt_name(exc)}; finished parts are saved in {folder}; "
            f"to finish the sweep, run the same command with --resume: "
            f"{_resume_command(folder, root)}",
            err=True,
        )
        sys.exit(_interrupt_code(exc))
    except OSError as exc:
        from escalsim.experiment.results import is_no_space

        if is_no_space(exc):
            _no_space(exc, f"finished parts are saved in {folder}", _resume_command(folder, root))
        raise click.BadParameter(f"cannot write {folder}: {exc}", param_hint="--out") from None
    except BrokenProcessPool:
        _worker_died(f"finished parts are saved in {folder}", _resume_command(folder, root))
    if not quiet and report.damaged:
        click.echo(
            f"{len(report.damaged)} damaged part(s) were run again: {', '.join(report.damaged)}",
            err=True,
        )
    if not quiet:
        click.echo(
            f"done: {report.ran} tasks run, {report.done_before} already done "
            f"({report.executor}, {report.seconds:.1f} s); analyse with: escalsim analyze {folder}",
            err=True,
        )


@cli.command()
@click.argument("sweep_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--metric",
    "metrics",
    multiple=True,
    help="Metrics of the table [default: all]; the figures show p_war and miscalculation_rate.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option(
    "--discover",
    "condition",
    default=None,
    metavar="CONDITION",
    help="Scenario discovery with PRIM for a condition on each point, e.g. 'p_war > 0.05' "
    "(needs the 'discovery' extra).",
)
def analyze(sweep_dir: Path, metrics: tuple[str, ...], fmt: str, condition: str | None) -> None:
    """Summarise a sweep: the tidy (point, metric, estimate, CI) table and figures.

    Writes SWEEP_DIR/analysis/summary.csv, a heatmap per metric for two varied fields on a
    grid, else the metric against each varied field with its CI; sensitivity indices for a
    sobol or morris sweep; PRIM boxes with --discover.
    """
    from escalsim.experiment.stats import METRICS
    from escalsim.experiment.sweep import analyze as analyze_sweep

    _expect_folder(sweep_dir, "sweep", "analyze", "SWEEP_DIR")
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise click.BadParameter(
            f"unknown metric {', '.join(unknown)}; expected some of: {', '.join(METRICS)}",
            param_hint="--metric",
        )
    table, figures = analyze_sweep(sweep_dir, list(metrics) or None, discover_condition=condition)
    if fmt == "csv":
        click.echo(table.to_csv(index=False), nl=False)
    elif fmt == "json":
        click.echo(table.to_json(orient="records", indent=2))
    else:
        from rich.console import Console
        from rich.table import Table

        view = Table(show_lines=False)
        columns = [c for c in table.columns if c not in ("kind", "mc_se")]
        for c in columns:
            view.add_column(c, justify="right" if c not in ("metric",) else "left")
        for row in table[columns].itertuples(index=False):
            view.add_row(*[f"{v:.3f}" if isinstance(v, float) else str(v) for v in row])
        Console(width=200).print(view)
    for path in figures:
        click.echo(f"wrote {path}", err=True)
    click.echo(f"wrote {sweep_dir / 'analysis' / 'summary.csv'}", err=True)


@cli.command(name="calibrate")
@click.argument("scenario", metavar="SCENARIO")
@click.option(
    "--target",
    "target_file",
    required=True,
    metavar="FILE",
    help="The target distribution: a CSV file with columns level (or hostility_level), label, "
    "count (or disputes) and/or share, or 'mid5' (MID 5.0, shipped with escalsim).",
)
@click.option(
    "--params",
    "param_specs",
    multiple=True,
    required=True,
    metavar="PATH=LOW:HIGH",
    help="A field to fit and its box: LOW:HIGH, uniform(LOW,HIGH) or loguniform(LOW,HIGH) "
    "(repeat for more fields), e.g. ladder.rungs.display.cost=0:1.",
)
@click.option(
    "--budget",
    type=click.IntRange(3, 1_000_000),
    default=200,
    show_default=True,
    help="The most candidates the search simulates: a space-filling design (40%), then "
    "Nelder-Mead from the best design points.",
)
@click.option(
    "--seed",
    type=click.IntRange(0, 2**63 - 1),
    default=None,
    help="Root seed of the replications, the design and the bootstrap [default: the scenario's "
    "run.seed].",
)
@click.option(
    "--replications",
    "-n",
    type=click.IntRange(1, 10_000_000),
    default=None,
    help="Replications per candidate, the same indices for every candidate (common random "
    "numbers) [default: the scenario's run.replications].",
)
@click.option("--condition", default=None, metavar="NAME", help="Fit under this condition.")
@click.option(
    "--bootstrap",
    type=click.IntRange(0, 1_000_000),
    default=1000,
    show_default=True,
    help="Bootstrap replicates for the 95% intervals (each resamples the target's counts and "
    "the replications and refits on the shares' local linear model; 0: no intervals).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder [default: results/<scenario>/calibrate-<time>-s<seed>/].",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="What stdout gets: a summary, or fit.json.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress or messages on stderr.")
def calibrate_command(
    scenario: str,
    target_file: str,
    param_specs: tuple[str, ...],
    budget: int,
    seed: int | None,
    replications: int | None,
    condition: str | None,
    bootstrap: int,
    out: Path | None,
    fmt: str,
    quiet: bool,
) -> None:
    """Fit parameters of SCENARIO to a target distribution of the highest MID level.

    Each candidate runs the same replications (common random numbers); the objective is the
    total variation distance between the simulated shares of runs by highest MID hostility
    level and the target's. A space-filling design over the box, then Nelder-Mead from the
    best points; the fit is measured again on fresh replications; intervals come from a
    bootstrap (resampled target counts and replications) refitted on the shares' local linear
    model. Writes fit.json, candidates.csv, bootstrap.csv and calibration.png
    (docs/calibration.md).
    """
    import time
    from datetime import UTC, datetime

    from escalsim.calibration import calibrate as fit_params
    from escalsim.calibration import load_target, parse_param
    from escalsim.experiment.folders import default_folder, prepare_calibration_folder
    from escalsim.scenario import ScenarioError, load_scenario

    problems: list[Any] = []
    params: dict[str, Any] = {}
    for text in param_specs:
        try:
            path, param = parse_param(text)
        except ScenarioError as exc:
            problems.extend(exc.problems)
            continue
        params[path] = param
    spec = load_scenario(scenario)
    try:
        target = load_target(target_file)
    except ScenarioError as exc:
        problems = [*exc.problems, *problems]
    if problems:
        _fail(problems)
    if budget < len(params) + 2:
        raise click.BadParameter(
            f"{budget} is too small for {len(params)} parameters; expected at least "
            f"{len(params) + 2}",
            param_hint="--budget",
        )
    root = spec.run.seed if seed is None else seed
    reps = replications or spec.run.replications
    folder = out or default_folder(spec.id, root, "calibration")
    with _option_errors():
        prepare_calibration_folder(folder)

    def say(line: str) -> None:
        if not quiet:
            click.echo(f"calibrate: {line}", err=True)

    say(
        f"{len(params)} parameters, budget {budget}, {reps} replications per candidate, "
        f"seed {root}, {bootstrap} bootstrap replicates -> {folder}"
    )
    start = time.perf_counter()
    fit = fit_params(
        spec,
        target,
        params,
        budget=budget,
        seed=root,
        replications=reps,
        condition=condition,
        bootstrap=bootstrap,
        progress=say,
    )
    seconds = time.perf_counter() - start
    extra = {
        "command": " ".join(["escalsim", *sys.argv[1:]]),
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seconds": round(seconds, 1),
    }
    try:
        fit.save(folder, extra)
    except OSError as exc:
        raise click.BadParameter(f"cannot write {folder}: {exc}", param_hint="--out") from None
    if fmt == "json":
        click.echo((folder / "fit.json").read_text(encoding="utf-8"), nl=False)
    else:
        for line in _calibration_lines(fit):
            click.echo(line)
    for path in fit.outside():
        say(
            f"warning: the fitted {path} lies outside its bootstrap interval: the search may "
            "not have converged (raise --budget or --replications)"
        )
    say(f"done in {seconds:.0f} s; wrote {folder}")


def _calibration_lines(fit: Any) -> list[str]:
    """The summary of a calibration, as lines of text."""
    import math

    n = fit.target.n
    cases = f"{n:,} cases" if n is not None else "shares only"
    lines = [
        f"{fit.scenario_id}: {len(fit.params)} parameters fitted to "
        f"{fit.target.source.split(' (')[0]} ({cases}); seed {fit.seed}, "
        f"{fit.replications:,} replications per candidate, {fit.evaluations} candidates "
        f"(budget {fit.budget}), "
        f"95% intervals from {len(fit.bootstrap)} bootstrap replicates",
    ]
    width = max(len(p.path) for p in fit.params)
    lines.append(f"{'parameter':<{width}}  {'fitted':>10}  {'95% interval':<22}  box")
    for p in fit.params:
        lo, hi = fit.intervals[p.path]
        interval = f"[{lo:.4g}, {hi:.4g}]" if math.isfinite(lo) else "-"
        lines.append(f"{p.path:<{width}}  {fit.values[p.path]:>10.4g}  {interval:<22}  {p.spec()}")
    chi2 = (
        f"Pearson chi-square {fit.chi2:.1f} on {fit.dof} dof, p = {fit.p_value:.2g}"
        if math.isfinite(fit.chi2)
        else "no chi-square (the target has shares only)"
    )
    lines += [
        f"fit on {fit.holdout['n']:,} fresh replications: TVD {fit.tvd:.4f} (the search's "
        f"minimum on its own replications: {fit.search['tvd']:.4f}); {chi2}",
        f"{'level':<6} {'label':<24} {'observed':>9} {'simulated':>10}  95% CI",
    ]
    for row in fit.share_table().itertuples(index=False):
        lines.append(
            f"{row.level:<6} {row.label[:24]:<24} {row.observed:>9.3f} {row.simulated:>10.3f}  "
            f"[{row.lo:.3f}, {row.hi:.3f}]"
        )
    return lines


@cli.command()
@click.argument("scenario", metavar="SCENARIO")
@click.option(
    "--as",
    "actor",
    default=None,
    metavar="ACTOR",
    help="The power you play (its id) [default: the moves file's actor].",
)
@click.option(
    "--seed",
    type=click.IntRange(0, 2**63 - 1),
    default=None,
    help="Root seed [default: the moves file's, else the scenario's run.seed].",
)
@click.option(
    "--condition",
    default=None,
    metavar="NAME",
    help="Play under this condition [default: the moves file's, else the baseline].",
)
@click.option(
    "--rounds",
    type=click.IntRange(1, 10_000),
    default=None,
    help="A shorter game: this many rounds [default: the moves file's, else the scenario's].",
)
@click.option(
    "--moves",
    "moves_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Replay a saved game: its moves are played first, then you are asked.",
)
@click.option(
    "--save",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Save the game as a moves file (after every round).",
)
def play(
    scenario: str,
    actor: str | None,
    seed: int | None,
    condition: str | None,
    rounds: int | None,
    moves_file: Path | None,
    save: Path | None,
) -> None:
    """Seminar mode in the terminal: play one power of SCENARIO, round by round.

    Each round you see what your state knows (your posture, the other side as you perceive it,
    your belief and trust, messages that arrived) and choose a move and, where a private
    channel is open, a message. The other actors follow their policies. At the end, a debrief:
    what each side intended, signalled and perceived, the miscalculations, and the same crisis
    with the channels the other way (same seed, your same moves).
    """
    from rich.console import Console

    from escalsim.scenario import load_scenario
    from escalsim.teaching.game import Game, GameError
    from escalsim.teaching.replay import load_moves
    from escalsim.teaching.terminal import play as play_game

    try:
        spec = load_scenario(scenario)
        saved = load_moves(moves_file) if moves_file is not None else None
        if saved is not None and saved.scenario not in (None, spec.id):
            raise saved.problem(
                "scenario", f"this game was played on {saved.scenario!r}, not {spec.id!r}"
            )
        actor = actor or (saved.actor if saved else None)
        if actor is None:
            raise click.UsageError("say which power you play with --as ACTOR")
        if saved is not None and saved.actor not in (None, actor):
            raise saved.problem(
                "actor", f"this game was played as {saved.actor!r}, not {actor!r} (--as)"
            )
        condition = condition or (saved.condition if saved else None)
        if condition is not None and condition not in spec.condition_names:
            raise click.BadParameter(
                f"no condition {condition!r}; expected one of {', '.join(spec.condition_names)}",
                param_hint="--condition",
            )
        game = Game(
            spec,
            actor,
            seed=seed if seed is not None else (saved.seed if saved else None),
            condition=condition,
            settings=saved.settings if saved else None,
            rounds=rounds if rounds is not None else (saved.rounds if saved else None),
            emphasis="",
        )
    except GameError as exc:
        # Game's refusal of --as names the option itself; shown as click shows option errors.
        raise click.BadParameter(
            str(exc).removeprefix(f"--as {actor}: "), param_hint="--as"
        ) from None
    console = Console(highlight=False)
    try:
        play_game(game, console, moves=iter(saved.moves) if saved else None, save=save)
    except EOFError:
        # stdin closed (Ctrl-D, or piped answers that ran out) before the last round: the game
        # is incomplete, so this is bad input (exit 2), not an interruption.
        kept = (
            f"the moves so far are saved in {save} (go on with --moves {shlex.quote(str(save))})"
            if save is not None and save.exists()
            else "no moves were saved"
        )
        click.echo(f"\nescalsim: end of input before the game ended; {kept}", err=True)
        sys.exit(EXIT_BAD_INPUT)


@cli.command()
@click.argument("scenario", metavar="[SCENARIO]", required=False, default="hotline-1963")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. The default serves this machine only; 0.0.0.0 serves a "
    "classroom network.",
)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="Port."
)
@click.option("--open/--no-open", "open_browser", default=False, help="Open a browser tab.")
def app(scenario: str, host: str, port: int, open_browser: bool) -> None:
    """Serve the teaching app for SCENARIO (default hotline-1963) in the browser.

    The explorer is at http://HOST:PORT/ and seminar mode at http://HOST:PORT/seminar; each
    browser tab is its own game. Needs the 'app' extra (pip install 'escalsim[app]').
    """
    import importlib.util

    from escalsim.scenario import load_scenario
    from escalsim.scenario import shipped as shipped_scenarios

    missing = [m for m in ("solara", "mesa.visualization") if importlib.util.find_spec(m) is None]
    if missing or importlib.util.find_spec("solara_assets") is None:
        click.echo(
            "escalsim app needs the 'app' extra: pip install 'escalsim[app]' "
            "(scripts/setup.sh installs it)",
            err=True,
        )
        sys.exit(EXIT_BAD_INPUT)
    load_scenario(scenario)
    name = scenario
    if not shipped_scenarios.is_shipped(scenario) or Path(scenario).exists():
        name = str(Path(scenario).resolve())
    env = {**os.environ, "ESCALSIM_APP_SCENARIO": name}
    args = [
        sys.executable,
        "-m",
        "solara",
        "run",
        "escalsim.teaching.app",
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--open" if open_browser else "--no-open",
    ]
    click.echo(
        f"escalsim app: serving {scenario} at http://{host}:{port}/ (Ctrl-C stops)", err=True
    )
    if not _is_loopback(host):
        click.echo(
            f"escalsim app: warning: --host {host} serves the app beyond this machine: anyone "
            f"who can reach port {port} can use it and upload scenarios (there is no login). "
            "Use it on a classroom network you trust; the default 127.0.0.1 serves this "
            "machine only.",
            err=True,
        )
    os.execve(sys.executable, args, env)


def _is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.0/8, ::1 or localhost)."""
    import ipaddress

    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@cli.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("results/validation"),
    show_default=True,
    help="A folder for the report (OUT/validation.md) and its figures (OUT/validation/*.png), "
    "or the report's file name (NAME.md, figures in NAME/). The committed report is written "
    "with --out docs.",
)
@click.option(
    "--quick",
    is_flag=True,
    help="Fewer replications and noise levels (under a minute; the subset the tests run).",
)
@click.option(
    "--seed",
    type=click.IntRange(0, 2**32 - 1),
    default=1,
    show_default=True,
    help="Root seed; every check derives its own seeds from it and its name.",
)
@click.option(
    "--check",
    "checks",
    multiple=True,
    metavar="NAME",
    help="Run only this check (repeatable) [default: all].",
)
def verify(out: Path, quick: bool, seed: int, checks: tuple[str, ...]) -> None:
    """Run the known-answer and calibration checks and write the validation report.

    Each check compares the model with a known answer (the noisy prisoner's dilemma under
    implementation and perception noise, brinkmanship, perfect information, the batch engine
    against the agent model) or with the MID 5.0 data, at a tolerance stated in its section.
    Prints one line per check and always writes the report (it says which checks fail and
    why); the exit code is 0 when every check passes and 3 when one fails, so a script or CI
    job that regenerates the report after a model change stops on a failed check.
    """
    import time

    from escalsim.validation import check_names, run_checks, write_report

    # A folder by default, not docs/: a run to try something must not overwrite the committed
    # report (whose regeneration is a deliberate `--out docs`).
    report = out if out.suffix == ".md" else out / "validation.md"
    if report.is_dir():
        raise click.BadParameter(f"{report} is a folder", param_hint="--out")
    unknown = [c for c in checks if c not in check_names()]
    if unknown:
        raise click.BadParameter(
            f"no check {', '.join(unknown)}; expected one of: {', '.join(check_names())}",
            param_hint="--check",
        )

    def progress(i: int, total: int, check: Any, result: Any) -> None:
        if result is None:
            click.echo(f"[{i}/{total}] {check.name} ...", err=True)
        else:
            verdict = "pass" if result.passed else "FAIL"
            click.echo(f"[{i}/{total}] {check.name}: {verdict} ({result.seconds:.1f} s)", err=True)

    start = time.perf_counter()
    outcomes = run_checks(list(checks) or None, seed=seed, quick=quick, progress=progress)
    seconds = time.perf_counter() - start
    command = " ".join(
        ["escalsim verify", f"--out {shlex.quote(out.as_posix())}", f"--seed {seed}"]
        + (["--quick"] if quick else [])
        + [f"--check {c}" for c in checks]
    )
    try:
        write_report(outcomes, report, seed=seed, quick=quick, command=command, seconds=seconds)
    except OSError as exc:
        raise click.BadParameter(f"cannot write {report}: {exc}", param_hint="--out") from None
    for o in outcomes:
        r = o.result
        click.echo(f"{'pass' if r.passed else 'FAIL'}  {o.check.name}")
    passed = sum(o.result.passed for o in outcomes)
    click.echo(
        f"{passed} of {len(outcomes)} checks pass ({seconds:.0f} s); wrote {report}", err=True
    )
    if passed < len(outcomes):
        sys.exit(EXIT_CHECKS_FAILED)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command line; bad input exits 2 and never shows a traceback.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Notes
    -----
    SIGTERM stops a command as Ctrl-C does (exit 143 instead of 130). Called as the program
    (``argv`` None), signals are ignored once the command has ended, so that one landing while
    Python shuts down cannot turn a finished command into noise or a wrong exit code; called
    with ``argv``, the previous SIGTERM handler is restored instead.
    """
    _ARGV[:] = list(argv) if argv is not None else sys.argv[1:]
    _quiet_resource_tracker()
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread: signals are not ours to handle
        _main(argv)
        return
    try:
        _main(argv)
    except SystemExit as exc:
        if argv is None and exc.code in (EXIT_INTERRUPTED, EXIT_TERMINATED):
            _exit_now(int(exc.code))
        raise
    except KeyboardInterrupt as exc:  # landed after the command's own handling, while exiting
        if argv is None:
            _exit_now(_interrupt_code(exc))
        raise
    finally:
        if argv is None:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        else:
            signal.signal(signal.SIGTERM, previous)


#: The warning filter (``-W``) that multiprocessing passes on to the processes it starts.
_TRACKER_WARNING = "ignore:resource_tracker:UserWarning:multiprocessing.resource_tracker"


def _quiet_resource_tracker() -> None:
    """Keep the resource tracker's "leaked semaphore objects" warning off the user's terminal.

    The worker pool's locks are registered with multiprocessing's resource tracker, a process of
    its own that outlives a command killed by SIGKILL (the OOM killer, ``kill -9``), frees what
    the command held, and warns about it on the terminal the command had: noise, after the
    fact, about a clean-up that worked. The tracker is started with this interpreter's warning
    options (``sys.warnoptions``), so one more option silences that warning, and only it, in
    the tracker alone; the command's own warnings are unchanged.
    """
    if _TRACKER_WARNING not in sys.warnoptions:
        sys.warnoptions.append(_TRACKER_WARNING)


#: Set to a file name, the command writes that file once its signal handlers are in place: a
#: test or a supervisor that means to stop it waits for the file instead of a fixed time.
READY_FILE_ENV = "ESCALSIM_READY_FILE"


def _say_ready() -> None:
    """Write the file named by ``$ESCALSIM_READY_FILE``, if set.

    The command is running from now on, and a SIGINT or SIGTERM gets its documented exit code
    and message.
    """
    name = os.environ.get(READY_FILE_ENV)
    if name:
        # Written aside and renamed: the file appears whole, and only when the command is in
        # the try block whose handlers report a signal.
        _atomic_write(Path(name), f"{os.getpid()}\n")


def _exit_now(code: int) -> NoReturn:
    """End an interrupted command with ``code``, whatever the interpreter's shutdown would do.

    CPython ends a process with SIGINT (exit status -2 to a parent) when it believes a
    KeyboardInterrupt went unhandled, and now and then it believes so after one that was
    handled here (seen about once in 30 interruptions while pyarrow was reading or writing).
    So an interrupted command runs the exit handlers (worker pools, temporary files), flushes
    its streams, and leaves with :func:`os._exit`.
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


def _main(argv: Sequence[str] | None) -> None:
    try:
        _say_ready()
        cli.main(
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
        click.echo(f"escalsim: {_interrupt_name(cause or exc)}", err=True)
        sys.exit(_interrupt_code(cause or exc))
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
