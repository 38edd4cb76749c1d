"""Commands about runs: ``run``, ``show`` and ``plot``.

``run`` parses its options and calls :func:`escalsim.run` with ``out=``: the folder, the seed and
the resume rules are the API's (:mod:`escalsim.experiment.folders`); this module decides them
first only to print the drawn seed and, when the run stops, what is saved and how to finish it.
"""

from __future__ import annotations

import json
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import click

from escalsim.cli import lifecycle
from escalsim.cli.options import (
    expect_folder,
    format_option,
    limits_options,
    option_errors,
    out_option,
    quiet_option,
    scheduler_option,
    seed_option,
    twin_option,
    workers_option,
)
from escalsim.errors import LLMError


@click.command(name="run")
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
@seed_option("drawn at random, printed and recorded")
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
@out_option("run")
@click.option(
    "--engine",
    type=click.Choice(["auto", "agents", "batch"]),
    default="auto",
    show_default=True,
    help="The driver: the mesa agent model or the vectorised batch engine (identical results; "
    "auto picks the batch engine for more than one replication).",
)
@twin_option()
@workers_option()
@scheduler_option()
@format_option("table", "json", "csv")
@quiet_option()
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
@limits_options("run")
@click.option(
    "--chunk",
    type=click.IntRange(1, 10_000_000),
    default=None,
    help="Replications per part; each finished part is saved at once [default: by engine and "
    "workers]. The results do not depend on it.",
)
@click.option(
    "--paths",
    is_flag=True,
    help="Also split the difference between the baseline and the first other condition run "
    "into its Shapley paths (perception, messages and offers, agreements): 8 more runs of the "
    "replications, printed under the differences and carried by --format json and paths.csv.",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Finish the interrupted run into --out: run only its missing parts (its seed is "
    "reused when --seed is not given).",
)
@click.option(
    "--llm-dry-run",
    is_flag=True,
    help="Print the first prompt of each LLM actor (docs/llm.md) and exit; nothing is called.",
)
@click.option(
    "--llm-replay",
    "llm_replay",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    metavar="RUN_DIR",
    help="Answer the LLM actors from this run's recording (llm/calls.jsonl, or the file), "
    "with the network off: a question it lacks is an error (repeatable).",
)
@click.option(
    "--llm-max-calls",
    type=click.IntRange(0, None),
    default=None,
    help="Each LLM actor's budget of chat requests for the run, instead of the scenario's.",
)
@click.option(
    "--llm-max-tokens",
    type=click.IntRange(0, None),
    default=None,
    help="Each LLM actor's budget of tokens for the run, instead of the scenario's.",
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
    max_memory: int | None = None,
    force: bool = False,
    dry_run: bool = False,
    chunk: int | None = None,
    resume: bool = False,
    scheduler: str | None = None,
    paths: bool = False,
    llm_dry_run: bool = False,
    llm_replay: tuple[Path, ...] = (),
    llm_max_calls: int | None = None,
    llm_max_tokens: int | None = None,
) -> None:
    """Run every condition of SCENARIO over the same replications and summarise them.

    Prints each metric per condition with its 95% CI and the paired difference of each
    condition against the baseline, and writes a run folder (parquet tables, summary, manifest,
    figures). Each finished part is saved at once in the hidden .OUT.partial beside it; the run
    folder appears complete or not at all. Ctrl-C (exit 130) or SIGTERM (143) leaves a run that
    --resume finishes. With --paths, the baseline's difference to the first other condition
    is split into its Shapley paths (docs/decision-v2.md §8), at the cost of 8 more runs.
    """
    from escalsim.experiment.folders import is_run_folder, run_target
    from escalsim.experiment.results import RunParts
    from escalsim.experiment.runner import run as run_experiment
    from escalsim.scenario import load_scenario

    spec = load_scenario(scenario)
    if llm_dry_run:
        _llm_dry_run(spec, seed)
        return
    llm = {
        "replay": list(llm_replay),
        "max_calls": llm_max_calls,
        "max_tokens": llm_max_tokens,
    }
    if paths:
        from escalsim.experiment.paths import paths_pair

        with option_errors():
            paths_pair(spec, list(conditions) or None, baseline)  # refused before the run
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
        max_memory=max_memory,
        force=force,
    )
    if dry_run:
        from escalsim.experiment.runner import estimate_run

        with option_errors():
            estimate = estimate_run(spec, seed=seed, paths=paths, plots=not no_plots, **common)
        click.echo(estimate.describe())
        if paths:
            click.echo("paths: 8 more runs of the replications, in this process (included)")
        return
    # The folder and the seed, by the rules escalsim.run(out=) applies again below: decided
    # here first so that the drawn seed is printed before the run, and the messages of a run
    # that stops can name them.
    with option_errors():
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
            provenance={"command": " ".join(["escalsim", *lifecycle.ARGV])},
            paths=paths,
            llm=llm,
            **common,
        )
    except KeyboardInterrupt as exc:
        if is_run_folder(folder):
            lifecycle.interrupted(exc, f"the run is complete in {folder}")
        lifecycle.interrupted(
            exc,
            f"{parts.saved()}; to finish the run: {lifecycle.resume_command(folder, seed)}",
        )
    except OSError as exc:
        lifecycle.write_failed(exc, folder, parts.saved, lifecycle.resume_command(folder, seed))
    except BrokenProcessPool:
        lifecycle.worker_died(parts.saved(), lifecycle.resume_command(folder, seed))
    except LLMError as exc:
        # The answers received are in the work folder's recording: a resume pays for no call
        # twice. The message never holds the key (escalsim.llm builds it).
        raise LLMError(
            f"{exc}\n{parts.saved()}; to finish the run: {lifecycle.resume_command(folder, seed)}"
        ) from None
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
        lifecycle.interrupted(exc, f"the run is complete in {folder}")
    if not quiet:
        click.echo(f"wrote {folder}", err=True)


def _llm_dry_run(spec: Any, seed: int | None) -> None:
    """Print the first prompt of each LLM actor (``--llm-dry-run``)."""
    from escalsim.llm.run import dry_run_prompts

    prompts = dry_run_prompts(spec, seed=0 if seed is None else seed)
    if not prompts:
        click.echo(f"{spec.id}: no actor has the llm policy; nothing would be asked", err=True)
        return
    for actor, prompt in prompts:
        click.echo(f"--- first prompt of {actor} ---")
        click.echo(prompt)


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


def _load_run(folder: Path, command: str = "show") -> Any:
    from escalsim.experiment.results import MANIFEST, Results

    expect_folder(folder, "run", command, "RUN_DIR")
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


@click.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@format_option("table", "json", "csv")
def show(run_dir: Path, fmt: str) -> None:
    """Print the summary of a run folder again."""
    _report(_load_run(run_dir), fmt, quiet=False)


@click.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
def plot(run_dir: Path) -> None:
    """Redraw the figures of a run folder."""
    results = _load_run(run_dir, "plot")
    for path in results.save_figures(run_dir):
        click.echo(f"wrote {path}", err=True)


__all__ = ["plot", "run_command", "show"]
