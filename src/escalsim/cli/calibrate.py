"""The ``calibrate`` command: fit scenario parameters to a target distribution.

The seed, the replications and the folder follow the API's rules
(:func:`escalsim.calibration.calibrate`, :mod:`escalsim.experiment.folders`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from escalsim.cli import lifecycle
from escalsim.cli.options import (
    fail,
    format_option,
    option_errors,
    out_option,
    quiet_option,
    seed_option,
)


@click.command(name="calibrate")
@click.argument("scenario", metavar="SCENARIO")
@click.option(
    "--target",
    "target_files",
    required=True,
    multiple=True,
    metavar="FILE",
    help="The target distribution: a CSV file with columns level (or hostility_level, or "
    "violence for ICB levels), label, count (or disputes, crises) and/or share, or a shipped "
    "one: 'mid5' (MID 5.0), 'icb14' (ICB v14, conditional on a crisis) or 'superpowers12' (the "
    "12 US-Soviet/Russian crises; 'superpowers12-alternative' codes its ambiguous ones the "
    "other way). Repeat it with a "
    "target of the other coding to fit both jointly (the largest TVD is minimised).",
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
    type=click.IntRange(0, 1_000_000),
    default=200,
    show_default=True,
    help="The most candidates the search simulates: a space-filling design (40%), then "
    "Nelder-Mead from the best design points. 0: no search; the values the scenario's file "
    "gives the fields (each inside its box) are measured as the fit, with their fresh-run TVD "
    "and bootstrap intervals.",
)
@seed_option("the scenario's run.seed", of=" of the replications, the design and the bootstrap")
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
@out_option("calibration")
@format_option("text", "json", text="What stdout gets: a summary, or fit.json.")
@quiet_option()
def calibrate_command(
    scenario: str,
    target_files: tuple[str, ...],
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
    targets = []
    loaded: list[Any] = []
    for target_file in target_files:
        try:
            targets.append(load_target(target_file))
        except ScenarioError as exc:
            loaded.extend(exc.problems)
    problems = [*loaded, *problems]
    codings = [t.coding for t in targets]
    if not problems and len(set(codings)) != len(codings):
        raise click.BadParameter(
            f"two targets of the same coding ({', '.join(codings)}); expected at most one MID "
            "target and one ICB target",
            param_hint="--target",
        )
    if problems:
        fail(problems)
    if budget != 0 and budget < len(params) + 2:
        raise click.BadParameter(
            f"{budget} is too small for {len(params)} parameters; expected 0 (no search) or "
            f"at least {len(params) + 2}",
            param_hint="--budget",
        )
    root = spec.run.seed if seed is None else seed
    reps = replications or spec.run.replications
    folder = out or default_folder(spec.id, root, "calibration")
    with option_errors():
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
        targets,
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
        "command": " ".join(["escalsim", *lifecycle.ARGV]),
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
    for path in fit.unmoved:
        say(
            f"warning: {path} changed no run at the fitted values (both ends of the central "
            "difference gave the same runs): the scenario may not read it, and its fitted value "
            "and interval mean nothing; drop it from --params"
        )
    for path in fit.outside():
        say(
            f"warning: the fitted {path} lies outside its bootstrap interval: the search may "
            "not have converged (raise --budget or --replications)"
        )
    say(f"done in {seconds:.0f} s; wrote {folder}")


def _calibration_lines(fit: Any) -> list[str]:
    """The summary of a calibration, as lines of text."""
    import math

    described = []
    for target in fit.targets or [fit.target]:
        n = target.n
        cases = f"{n:,} cases" if n is not None else "shares only"
        described.append(f"{target.source.split(' (')[0]} ({cases})")
    lines = [
        f"{fit.scenario_id}: {len(fit.params)} parameters fitted to "
        f"{' and '.join(described)}; seed {fit.seed}, "
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
    if math.isfinite(fit.chi2):
        chi2 = f"Pearson chi-square {fit.chi2:.1f} on {fit.dof} dof, p = {fit.p_value:.2g}"
    elif math.isinf(fit.chi2):
        chi2 = (
            f"Pearson chi-square infinite on {fit.dof} dof, p = 0: the simulation never reached "
            "a level the target has"
        )
    else:
        chi2 = "no chi-square (the target has shares only)"
    joint = len(fit.targets) > 1
    lines.append(
        f"fit on {fit.holdout['runs']:,} fresh replications: TVD {fit.tvd:.4f} (the search's "
        f"minimum on its own replications: {max(q['tvd'] for q in fit.searches):.4f})"
        + ("; the largest of the targets' TVDs" if joint else f"; {chi2}")
    )
    for k, (target, holdout) in enumerate(zip(fit.targets, fit.holdouts, strict=True)):
        if joint:
            lo, hi = holdout["case_share_ci"]
            cases = (
                f"{holdout['n']:,} runs are crises, {holdout['case_share']:.3f} [{lo:.3f}, "
                f"{hi:.3f}] of all"
                if target.coding == "icb"
                else f"{holdout['n']:,} runs"
            )
            lines.append(f"{target.source.split(' (')[0]}: TVD {holdout['tvd']:.4f} ({cases})")
        lines.append(f"{'level':<6} {'label':<24} {'observed':>9} {'simulated':>10}  95% CI")
        for row in fit.share_table(k).itertuples(index=False):
            lines.append(
                f"{row.level:<6} {row.label[:24]:<24} {row.observed:>9.3f} "
                f"{row.simulated:>10.3f}  [{row.lo:.3f}, {row.hi:.3f}]"
            )
    return lines
