"""Census of the hostile inputs: how many per class, clean errors, crashes, time and memory.

Usage::

    .venv/bin/python benchmarks/bench_fuzz.py            # the table in docs/reliability/fuzz.md
    .venv/bin/python benchmarks/bench_fuzz.py --quick    # a smoke run

Every input is loaded in this process (``load_scenario``, after a warm-up load, so imports are not
counted) and timed; a *clean error* is a ScenarioError whose problems all have a position (line
and column >= 1, or line 0 for a file that cannot be opened at all); anything else raised is a
*crash*. The mutations are the ones tests/test_fuzz.py draws with hypothesis, drawn here with
``random.Random(SEED)`` so the census needs no hypothesis run. Peak memory is measured on real
``escalsim validate`` processes (RLIMIT_AS 2 GB) for the inputs built to exhaust it, against a
valid file.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from source_trees import machine

import fuzzkit
from escalsim.experiment.sweep import parse_vary
from escalsim.scenario import ScenarioError, load_scenario, load_text

SEED = 2026
MEMORY_INPUTS = [
    "alias-billion-laughs.yaml",
    "alias-merge-bomb.yaml",
    "nest-flow-20000-unclosed.yaml",
    "nest-block-mappings.yaml",
    "sweep-count-billion.yaml",
]


class Tally:
    """Inputs, clean errors, accepted, crashes and times of one class."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = defaultdict(
            lambda: {"n": 0, "clean": 0, "accepted": 0, "crash": 0, "times": [], "crashes": []}
        )

    def add(self, cls: str, outcome: str, seconds: float, what: str = "") -> None:
        row = self.rows[cls]
        row["n"] += 1
        row[outcome] += 1
        row["times"].append(seconds)
        if outcome == "crash":
            row["crashes"].append(what)

    def table(self) -> str:
        lines = [
            "| class | inputs | clean errors | accepted (valid) | crashes | median ms | max ms |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        total = defaultdict(int)
        times: list[float] = []
        for cls, row in self.rows.items():
            t = row["times"]
            lines.append(
                f"| {cls} | {row['n']} | {row['clean']} | {row['accepted']} | {row['crash']} | "
                f"{1000 * statistics.median(t):.1f} | {1000 * max(t):.0f} |"
            )
            for key in ("n", "clean", "accepted", "crash"):
                total[key] += row[key]
            times += t
        lines.append(
            f"| **all** | **{total['n']}** | **{total['clean']}** | {total['accepted']} | "
            f"**{total['crash']}** | {1000 * statistics.median(times):.1f} | "
            f"{1000 * max(times):.0f} |"
        )
        return "\n".join(lines)


def _clean(exc: ScenarioError, opened: bool = True) -> bool:
    return bool(exc.problems) and all(
        (p.line >= 1 and p.column >= 1) if opened else p.line >= 0 for p in exc.problems
    )


def load_file(tally: Tally, cls: str, path: Path, opened: bool = True) -> None:
    start = time.perf_counter()
    try:
        load_scenario(path)
    except ScenarioError as exc:
        outcome = "clean" if _clean(exc, opened) else "crash"
    except Exception as exc:  # a crash: counted, never expected
        outcome = f"crash:{exc!r}"
    else:
        outcome = "accepted"
    what = outcome.partition(":")[2]
    tally.add(cls, outcome.partition(":")[0], time.perf_counter() - start, f"{path.name}: {what}")


def mutants(per_kind: int) -> list[fuzzkit.Mutant]:
    rng = random.Random(SEED)
    seeds = fuzzkit.seed_data()
    out = []
    for kind in fuzzkit.MUTATIONS:
        for i in range(per_kind):
            name, data = seeds[i % len(seeds)]
            mutant = fuzzkit.mutate(data, name, kind, rng.choice)
            if mutant is not None:
                out.append(mutant)
    return out


def vary_specs(count: int) -> list[str]:
    rng = random.Random(SEED)
    paths = ["channels.hotline.noise", "actors.A.resolve", "run.rounds", "actors.A.red_line", ""]
    atoms = ["0", "1", "0.5", "-1", "1e999", "nan", "inf", "1000000000", "０", "", "x", "1e-400"]
    out = []
    for _ in range(count):
        a, b, c = (rng.choice(atoms) for _ in range(3))
        spec = rng.choice(
            [f"{a}:{b}:{c}", f"{a}:{b}", f"uniform({a},{b})", f"{a},{b},{c}", f"{a}={b}"]
        )
        out.append(f"{rng.choice(paths)}={spec}")
    return out


def target_csv(tally: Tally, folder: Path, count: int) -> None:
    """``calibrate --target`` files: the shipped MID target with one to three characters edited."""
    from escalsim.calibration import load_target

    text = (
        fuzzkit.ROOT / "src" / "escalsim" / "calibration" / "data" / "mid5_highest_hostility.csv"
    ).read_text(encoding="utf-8")
    edits = [",", "", "x", '"', "-", "1e309", " ", ",,", "\t", "nan", "inf", "0x1", "٣", "9" * 400]
    rng = random.Random(SEED)
    path = folder / "target.csv"
    for _ in range(count):
        lines = text.splitlines()
        for _ in range(rng.randint(1, 3)):
            j = rng.randrange(len(lines))
            k = rng.randrange(len(lines[j]) + 1)
            lines[j] = lines[j][:k] + rng.choice(edits) + lines[j][k + 1 :]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        start = time.perf_counter()
        try:
            load_target(path)
        except ScenarioError as exc:
            outcome = "clean" if _clean(exc, opened=False) else "crash"
        except Exception:
            outcome = "crash"
        else:
            outcome = "accepted"
        tally.add("calibrate --target CSV", outcome, time.perf_counter() - start)


def main() -> None:
    """Print the census table and the memory table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer inputs, no 100 MB file")
    args = parser.parse_args()
    print(f"{machine()}\n")
    load_scenario(fuzzkit.CORPUS / "base.yaml")  # warm-up: imports are not the loader's time
    tally = Tally()
    cases = fuzzkit.hostile_cases()
    for case in cases[:: 10 if args.quick else 1]:
        load_file(tally, case.cls, case.path)
    with tempfile.TemporaryDirectory() as tmp:
        made = fuzzkit.made_files(Path(tmp))
        for case in made:
            if args.quick and case.name.startswith("huge"):
                continue
            load_file(tally, "files (made at run time)", case.path, opened=case.line > 0)
        for mutant in mutants(2 if args.quick else 40):
            start = time.perf_counter()
            try:
                load_text(mutant.text, "mutant.yaml")
            except ScenarioError as exc:
                outcome = "clean" if _clean(exc) else "crash"
            except Exception:
                outcome = "crash"
            else:
                outcome = "accepted"
            tally.add(f"mutation: {mutant.kind}", outcome, time.perf_counter() - start)
        base = load_scenario(fuzzkit.CORPUS / "base.yaml")
        for spec in vary_specs(10 if args.quick else 200):
            start = time.perf_counter()
            try:
                parse_vary(spec, base)
            except ScenarioError as exc:
                ok = all(p.loc[:1] == ("--vary",) for p in exc.problems)
                outcome = "clean" if ok else "crash"
            except Exception:
                outcome = "crash"
            else:
                outcome = "accepted"
            tally.add("--vary specs", outcome, time.perf_counter() - start, spec)
        target_csv(tally, Path(tmp), 10 if args.quick else 200)
        print(tally.table())
        for row in tally.rows.values():
            for crash in row["crashes"]:
                print(f"CRASH: {crash}")

        print("\npeak RSS of `escalsim validate` (RLIMIT_AS 2 GB):\n")
        print("| input | exit | seconds | peak RSS MB | growth over a valid file MB |")
        print("|---|---:|---:|---:|---:|")
        baseline = fuzzkit.run_process(["validate", str(fuzzkit.CORPUS / "base.yaml")])
        print(
            f"| base.yaml (valid) | {baseline.code} | {baseline.seconds:.2f} | "
            f"{baseline.peak_rss_mb:.0f} | 0 |"
        )
        by_name = {c.name: c.path for c in cases} | {c.name: c.path for c in made}
        names = MEMORY_INPUTS[:1] if args.quick else [*MEMORY_INPUTS, "huge-100MB.yaml"]
        for name in names:
            out = fuzzkit.run_process(["validate", str(by_name[name])])
            print(
                f"| {name} | {out.code} | {out.seconds:.2f} | {out.peak_rss_mb:.0f} | "
                f"{out.peak_rss_mb - baseline.peak_rss_mb:+.0f} |"
            )


if __name__ == "__main__":
    main()
