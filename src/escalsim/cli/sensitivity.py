"""The ``sensitivity`` command: how robust a scenario's channel effect is to its guessed values.

A thin layer over :mod:`escalsim.experiment.sensitivity`: it defines the analysis
(:func:`~escalsim.experiment.sensitivity.define`), runs it into a resumable folder with the
sweep machinery (:func:`~escalsim.experiment.sensitivity.run`) and writes the indices, the
per-point effects, the summary and the figure
(:func:`~escalsim.experiment.sensitivity.analyze_folder`).
Nothing heavy is imported before the command runs.
"""

from __future__ import annotations

import shlex
import sys
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import click

from escalsim.cli import lifecycle
from escalsim.cli.options import (
    dry_run_option,
    option_errors,
    out_option,
    quiet_option,
    scheduler_option,
    seed_option,
    workers_option,
)


@click.command("sensitivity")
@click.argument("scenario", metavar="SCENARIO")
@click.option(
    "--open",
    "open_condition",
    default=None,
    metavar="NAME",
    help="The condition with the channels open [default: the condition with the most channels "
    "open at round 1].",
)
@click.option(
    "--closed",
    "closed_condition",
    default=None,
    metavar="NAME",
    help="The condition with the channels closed; the effect is closed − open [default: the "
    "condition with the fewest channels open at round 1].",
)
@click.option(
    "--group",
    "groups",
    multiple=True,
    metavar="NAME=PATH[,PATH...]:LOW:HIGH[:SCALE]",
    help="A group of fields moved together, replacing the default groups (repeat for more; at "
    "most 12). PATH may use * (every item) and {power}; LOW:HIGH is the factor's range; SCALE "
    "is log, odds, shadow, temper or switch (then LOW and HIGH are the two options) [default "
    "scale: odds for probabilities, else log]. E.g. noise=channels.*.noise:0.5:2:odds.",
)
@click.option(
    "--sampler",
    type=click.Choice(["morris", "sobol"]),
    default="morris",
    show_default=True,
    help="morris: screening (μ*, σ per group); sobol: Saltelli's design for S1 and ST per "
    "group (the longer recipe).",
)
@click.option(
    "--trajectories",
    "--samples",
    "trajectories",
    type=click.IntRange(2, 100_000),
    default=None,
    help="Morris trajectories (G + 1 points each), or Sobol' base samples N, a power of two "
    "(N (G + 2) points) [default: 10 for morris, 64 for sobol].",
)
@click.option(
    "--levels",
    type=click.IntRange(2, 100),
    default=4,
    show_default=True,
    help="Levels of the Morris grid (even).",
)
@click.option(
    "--replications",
    "-n",
    type=click.IntRange(2, 9_999_999),
    default=300,
    show_default=True,
    help="Paired replications per point and condition (the same indices everywhere).",
)
@seed_option("the scenario's run.seed", of=" of the replications and of the design")
@click.option(
    "--chunk",
    type=click.IntRange(1, 1_000_000),
    default=300,
    show_default=True,
    help="Replications per task (the results do not depend on it).",
)
@workers_option()
@scheduler_option()
@out_option("sensitivity")
@click.option("--resume", is_flag=True, help="Finish the analysis in --out: run the missing parts.")
@dry_run_option("Print the groups, the number of points and runs and an estimated time, and exit.")
@quiet_option()
def sensitivity(
    scenario: str,
    open_condition: str | None,
    closed_condition: str | None,
    groups: tuple[str, ...],
    sampler: str,
    trajectories: int | None,
    levels: int,
    replications: int,
    seed: int | None,
    chunk: int,
    workers: int | None,
    scheduler: str | None,
    out: Path | None,
    resume: bool,
    dry_run: bool,
    quiet: bool,
) -> None:
    """How robust is SCENARIO's channel effect (closed − open) to its guessed values.

    Morris screening over at most 12 groups of guessed values (policy precision, type grids
    and priors, posture costs, per-rung war risks, accidents, channel noise and service,
    honesty, friction, discounting, attribution), each within a documented range around the
    scenario's own value (docs/sensitivity.md). At every point both conditions run over the
    same replications, and the effect on P(direct war), P(any war) and the miscalculation rate
    is a paired difference with its 95% CI.

    Writes OUT/points.csv (the effect at every point), OUT/sensitivity.csv (μ*, μ, σ or S1,
    ST per group, with bootstrap CIs), OUT/summary.json (the share of points keeping the
    baseline's sign, among those whose CI excludes 0; seed, versions, command) and
    OUT/sensitivity.png. Ctrl-C exits 130 and leaves a folder that --resume finishes.
    """
    import time

    from escalsim.experiment import sensitivity as sa
    from escalsim.scenario import load_scenario

    spec = load_scenario(scenario)
    parsed = [sa.parse_group(g) for g in groups] if groups else None
    design = sa.define(
        spec,
        groups=parsed,
        open_condition=open_condition,
        closed_condition=closed_condition,
        sampler=sampler,
        trajectories=trajectories,
        levels=levels,
        replications=replications,
        seed=seed,
    )
    folder = out or sa.default_folder(design)
    if dry_run:
        from escalsim.experiment.executors import default_workers, scheduler_address

        click.echo(sa.describe(design))
        per_run = sa.seconds_per_run(design)
        n = 1 if scheduler_address(scheduler) else (workers or default_workers())
        seconds = design.runs * per_run / max(1, n)
        click.echo(
            f"about {per_run * 1000:.1f} ms per run on one core (measured on the baseline): "
            f"about {seconds / 60:.1f} min on {n} worker(s)"
        )
        click.echo(f"would write to {folder}")
        return
    with option_errors():
        from escalsim.experiment.folders import prepare_sweep_folder

        prepare_sweep_folder(folder, resume=resume)
    if not quiet:
        for group, why in design.expansion.dropped.items():
            click.echo(f"sensitivity: group '{group}' dropped: {why}", err=True)
        click.echo(
            f"sensitivity: {design.closed} − {design.open}, {len(design.expansion.groups)} "
            f"groups, {design.n_points} points + baseline × 2 conditions × "
            f"{design.replications} replications, seed {design.seed} -> {folder}",
            err=True,
        )
    command = shlex.join(["escalsim", *(lifecycle.ARGV or sys.argv[1:])])
    resume_cmd = lifecycle.resume_command(folder, design.seed)

    def saved() -> str:
        return f"finished parts are saved in {folder}"

    started = time.perf_counter()
    try:
        report = sa.run(
            design,
            folder,
            chunk=chunk,
            workers=workers,
            scheduler=scheduler,
            resume=resume,
            progress=not quiet,
        )
    except KeyboardInterrupt as exc:
        lifecycle.interrupted(exc, f"{saved()}; to finish, run: {resume_cmd}")
    except OSError as exc:
        lifecycle.write_failed(exc, folder, saved, resume_cmd)
    except BrokenProcessPool:
        lifecycle.worker_died(saved(), resume_cmd)
    summary = sa.analyze_folder(folder, command=command, seconds=time.perf_counter() - started)
    if not quiet:
        _show(summary)
        click.echo(
            f"done: {report.ran} tasks run, {report.tasks - report.ran} already done "
            f"({report.executor}, {report.seconds:.1f} s); wrote {folder}/points.csv, "
            "sensitivity.csv, summary.json, sensitivity.png",
            err=True,
        )


def _show(summary: dict[str, object]) -> None:
    """The indices and the sign shares, on stderr."""
    rows = summary["indices"]
    assert isinstance(rows, list)
    main = "mu_star" if summary["sampler"] == "morris" else "ST"
    for sign in summary["sign"]:  # type: ignore[attr-defined]
        metric = sign["metric"]
        share = sign["share"]
        click.echo(
            f"{metric}: baseline effect {sign['baseline']:+.4f} "
            f"[{sign['baseline_lo']:+.4f}, {sign['baseline_hi']:+.4f}]; same sign at "
            f"{sign['same_sign']} of {sign['counted']} points whose CI excludes 0 "
            f"({'n/a' if share is None else f'{share:.0%}'}; {sign['points']} points, "
            f"{sign['positive']} resolved positive, {sign['negative']} negative)",
            err=True,
        )
        floor = (summary.get("noise_floor") or {}).get(metric)  # type: ignore[attr-defined]
        if floor is not None:
            click.echo(f"  (μ* from Monte Carlo noise alone: about {floor:.4f})", err=True)
        ranked = sorted(
            (r for r in rows if r["metric"] == metric and r["index"] == main),
            key=lambda r: -(r["estimate"] or 0.0),
        )
        for r in ranked:
            click.echo(
                f"  {r['group']:<16} {main} {r['estimate']:.4f} [{r['lo']:.4f}, {r['hi']:.4f}]",
                err=True,
            )
