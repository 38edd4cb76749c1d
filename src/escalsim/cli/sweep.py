"""Commands about sweeps: ``sweep`` and ``analyze``.

``sweep`` defines the sweep as the API does (:func:`escalsim.experiment.sweep.define_sweep`: the
``--vary`` options, or the scenario's ``sweep:`` block), plans it before any folder is made,
and runs it with :func:`~escalsim.experiment.sweep.run_sweep`, whose folder rules
(:func:`escalsim.experiment.folders.prepare_sweep_folder`) it checks first.
"""

from __future__ import annotations

from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

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


@click.command()
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
@seed_option("the scenario's run.seed; with --resume, the stored sweep's")
@click.option("--condition", default=None, help="Run under this condition of the scenario.")
@click.option(
    "--chunk",
    type=click.IntRange(1, 1_000_000),
    default=None,
    help="Replications per task [default: the sweep block's, else 250].",
)
@workers_option()
@scheduler_option()
@out_option("sweep")
@click.option("--resume", is_flag=True, help="Finish the sweep in --out: run the missing parts.")
@twin_option()
@quiet_option()
@limits_options("sweep")
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
    max_memory: int | None = None,
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
    from escalsim.experiment.sweep import (
        default_sweep_folder,
        define_sweep,
        plan,
        run_sweep,
        stored_sweep_seed,
    )
    from escalsim.scenario import load_scenario

    spec = load_scenario(scenario)
    if resume and seed is None and out is not None:
        seed = stored_sweep_seed(out)
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
    folder = out or default_sweep_folder(definition)
    # The plan comes first so that a sweep that cannot fit is refused (or dry-run) before any
    # folder is made; run_sweep takes it instead of planning again
    planned = plan(
        definition,
        chunk=chunk,
        workers=workers,
        scheduler=scheduler,
        out=folder if resume else None,
        max_memory=max_memory,
        force=force,
    )
    if dry_run:
        click.echo(
            f"sweep: {len(definition.points)} points × {definition.replications} replications "
            f"({definition.sampler})"
        )
        click.echo(planned.describe())
        return
    with option_errors():
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

    def saved() -> str:
        return f"finished parts are saved in {folder}"

    try:
        report = run_sweep(
            definition,
            folder,
            chunk=chunk,
            workers=workers,
            scheduler=scheduler,
            resume=resume,
            progress=not quiet,
            max_memory=max_memory,
            force=force,
            planned=planned,
        )
    except KeyboardInterrupt as exc:
        lifecycle.interrupted(
            exc,
            f"{saved()}; to finish the sweep, run the same command with --resume: "
            f"{lifecycle.resume_command(folder, root)}",
        )
    except OSError as exc:
        lifecycle.write_failed(exc, folder, saved, lifecycle.resume_command(folder, root))
    except BrokenProcessPool:
        lifecycle.worker_died(saved(), lifecycle.resume_command(folder, root))
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


@click.command()
@click.argument("sweep_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--metric",
    "metrics",
    multiple=True,
    help="Metrics of the table [default: all]; the figures show p_war and miscalculation_rate.",
)
@format_option("table", "csv", "json")
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

    expect_folder(sweep_dir, "sweep", "analyze", "SWEEP_DIR")
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
