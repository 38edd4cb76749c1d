"""The ``verify`` command: the known-answer and calibration checks, and the validation report."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

import click

from escalsim.cli.options import seed_option
from escalsim.errors import EXIT_CHECKS_FAILED


@click.command()
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
@seed_option("1", of="; every check derives its own seeds from it and its name", value=1)
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
    against the agent model), with the MID 5.0 data, or, for each historical scenario, with
    the historical record (no war between the powers in 12 comparable crises: a weak
    posterior-predictive check), at a tolerance stated in its section.
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
