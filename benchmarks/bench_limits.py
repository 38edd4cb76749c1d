"""How accurate the resource estimates are: estimate / measured, for memory and time.

Usage::

    .venv/bin/python benchmarks/bench_limits.py           # the table in docs/reliability/limits.md
    .venv/bin/python benchmarks/bench_limits.py --quick   # two small configurations
    .venv/bin/python benchmarks/bench_limits.py --config \
        '{"scenario": "geneva-2022", "n": 100000, "workers": 2}'  # one configuration

Each configuration runs ``escalsim.experiment.runner.run`` (and saves the run folder, without
figures) in a fresh Python process, which reports its peak resident memory (``ru_maxrss`` of
itself, plus the largest helper process's times the number of helpers: a run of N processes
is this one and N - 1 helpers) and its wall time. The parent
computes the estimate the run checks against (every crisis to the horizon: an upper bound) and
the one ``--dry-run`` prints (crisis lengths from a pilot), and prints both ratios.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from source_trees import machine

CONFIGS: list[dict[str, Any]] = [
    {"scenario": "geneva-2022", "n": 2000, "workers": 1},
    {"scenario": "generic-dispute", "n": 5000, "workers": 1},
    {"scenario": "hotline-1963", "n": 4000, "workers": 2},
    {"scenario": "brinkmanship", "n": 100_000, "workers": 2},
    {"scenario": "ipd-noise", "n": 200, "rounds": 500, "workers": 2},
    {"actors": 20, "rounds": 20, "n": 1000, "workers": 1},
    {"actors": 40, "rounds": 20, "n": 2000, "workers": 1, "max_memory": 600_000_000},
    {"scenario": "geneva-2022", "n": 10, "workers": 1, "engine": "agents"},
]
QUICK = [CONFIGS[0] | {"n": 500}, CONFIGS[5] | {"n": 300}]


def synthetic(actors: int, rounds: int | None = None) -> Any:
    """generic-dispute with ``actors - 2`` neutral third parties, each linked to A."""
    from ruamel.yaml import YAML

    from escalsim.scenario import load_text
    from escalsim.scenario.shipped import path_of

    data = YAML(typ="safe").load(path_of("generic-dispute").read_text(encoding="utf-8"))
    for k in range(actors - 2):
        data["actors"].append(
            {
                "id": f"T{k}",
                "name": f"Third party {k}",
                "role": "third_party",
                "doctrine": "pragmatist",
                "capability": 5.0,
                "resolve": 0.1,
                "alignment": {"A": 0.5, "B": 0.5},
                "influence": {"A": 0.05, "B": 0.05},
            }
        )
        data["channels"].append(
            {
                "id": f"c{k}",
                "kind": "ministerial",
                "between": ["A", f"T{k}"],
                "noise": 0.1,
                "misread": 0.1,
                "reliability": 0.9,
                "deconfliction": 0.2,
                "open": True,
            }
        )
    if rounds:
        data["run"]["rounds"] = rounds
    data["id"] = f"synthetic-{actors}"
    return load_text(json.dumps(data), f"synthetic-{actors}")


def scenario_of(cfg: dict[str, Any]) -> Any:
    from escalsim.experiment.runner import with_rounds
    from escalsim.scenario import load_scenario

    if "actors" in cfg:
        return synthetic(cfg["actors"], cfg.get("rounds"))
    spec = load_scenario(cfg["scenario"])
    return with_rounds(spec, cfg["rounds"]) if cfg.get("rounds") else spec


def one(cfg: dict[str, Any]) -> dict[str, Any]:
    """Run one configuration here; its peak memory and wall time."""
    import tempfile

    from source_trees import tune_allocator

    from escalsim.experiment.runner import run

    tune_allocator()  # as `escalsim run` does in this process (its workers tune themselves)
    spec = scenario_of(cfg)
    started = time.perf_counter()
    results = run(
        spec,
        replications=cfg["n"],
        seed=1,
        workers=cfg["workers"],
        engine=cfg.get("engine", "auto"),
        max_memory=cfg.get("max_memory"),
    )
    with tempfile.TemporaryDirectory() as tmp:
        results.save(Path(tmp) / "run", plots=False)
    seconds = time.perf_counter() - started
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    workers = int(results.manifest["workers"])
    return {
        # This process works too (SharedExecutor): a run of ``workers`` processes has
        # ``workers - 1`` helpers.
        "peak": (me.ru_maxrss + kids.ru_maxrss * (workers - 1)) * 1024,
        "seconds": seconds,
        # CPU seconds per worker: the wall time of an unloaded machine (other jobs sharing the
        # cores stretch the wall time, not the CPU time).
        "cpu": (me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime) / workers,
        "task": results.manifest["estimate"]["task_replications"],
        "workers": workers,
    }


def estimates(cfg: dict[str, Any]) -> tuple[Any, Any]:
    from escalsim.experiment.limits import estimate, plan_run
    from escalsim.experiment.runner import _setup

    spec, names, n, root, workers, driver, chunk = _setup(
        scenario_of(cfg), cfg["n"], 1, None, None, None, cfg.get("engine", "auto"), cfg["workers"]
    )
    kwargs: dict[str, Any] = dict(
        conditions=names, engine=driver, twin=True, keep=200, workers=workers, seed=root
    )
    static = plan_run(spec, n, task=chunk, max_memory=cfg.get("max_memory"), **kwargs)
    piloted = estimate(spec, n, task=static.task, pilot=True, **kwargs)
    return static, piloted


def label(cfg: dict[str, Any]) -> str:
    name = cfg.get("scenario") or f"synthetic, {cfg['actors']} actors"
    extra = [f"{cfg['n']:,} reps", f"{cfg['workers']} worker{'s' if cfg['workers'] > 1 else ''}"]
    if cfg.get("rounds"):
        extra.append(f"{cfg['rounds']} rounds")
    if cfg.get("engine"):
        extra.append(cfg["engine"])
    if cfg.get("max_memory"):
        extra.append(f"--max-memory {cfg['max_memory'] / 1e6:.0f}MB")
    return f"{name} ({', '.join(extra)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--config", help="one configuration, as JSON (keys as in CONFIGS)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(json.loads(args.one))))
        return
    print(machine())
    print(
        "| configuration | task | memory: measured | estimate | ratio "
        "| time: wall | CPU / workers | estimate (check) | ratio | estimate (dry run) | ratio |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    configs = [json.loads(args.config)] if args.config else QUICK if args.quick else CONFIGS
    for cfg in configs:
        out = subprocess.run(
            [sys.executable, __file__, "--one", json.dumps(cfg)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        got = json.loads(out.splitlines()[-1])
        static, piloted = estimates(cfg)
        print(
            f"| {label(cfg)} | {got['task']} | {got['peak'] / 1e6:.0f} MB "
            f"| {static.memory_bytes / 1e6:.0f} MB | {static.memory_bytes / got['peak']:.2f} "
            f"| {got['seconds']:.1f} s | {got['cpu']:.1f} s | {static.seconds:.1f} s "
            f"| {static.seconds / got['cpu']:.2f} | {piloted.seconds:.1f} s "
            f"| {piloted.seconds / got['cpu']:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
