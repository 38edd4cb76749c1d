"""Fuzzing the scenario loader, --vary specs and CLI options: a clean error, exit 2, no hang.

Three sources of hostile input (docs/reliability/fuzz.md has the census and the figures):

* the hand-written corpus, tests/corpus/hostile (made by tests/corpus/make_hostile.py), each file
  with the line, column and message its error must have;
* files made at run time in tmp_path: a 100 MB file, random bytes, a FIFO, ...;
* mutations of valid scenarios drawn by hypothesis (derandomized, no example database, so CI
  sees the same inputs every run): a field dropped, renamed, retyped, out of range, a broken
  cross-reference, wrong nesting.

Every input is loaded in this process (the error's position is checked), and goes through
``escalsim validate`` and ``escalsim run`` in this process (cli.main: exit 2, ``FILE:LINE:COL`` on
stderr, no traceback, no "internal error"). One input of each class also runs as a real
subprocess under a 2 GB address-space limit and a timeout, which reports its peak RSS.
Time limits here are hang detectors (10 s of CPU time), not speed targets:
benchmarks/bench_fuzz.py measures.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuzzkit
from conftest import thread_seconds
from escalsim.experiment.sweep import parse_vary
from escalsim.scenario import Scenario, ScenarioError, load_scenario, load_text

#: Seconds of CPU time (this thread's: a loaded machine does not stretch it, as it does the wall
#: clock) after which an input is a hang, not a slow answer.
HANG = 10.0
CASES = fuzzkit.hostile_cases()
BY_NAME = {c.name: c for c in CASES}


def _check_cli(path: Path, outcome: fuzzkit.Outcome, line: int, column: int) -> None:
    """Exit 2, the file's position on stderr, nothing on stdout, no traceback."""
    assert outcome.code == 2, f"exit {outcome.code}: {outcome.stderr}"
    assert outcome.stdout == ""
    assert "Traceback" not in outcome.stderr
    assert "internal error" not in outcome.stderr
    where = f"{path}:{line}:{column}: " if line else f"{path}: "
    assert where in outcome.stderr, outcome.stderr
    assert outcome.seconds < HANG


# ------------------------------------------------------------------------------------------------
# The hand-written corpus
# ------------------------------------------------------------------------------------------------
def test_corpus_is_large_and_covers_every_class():
    classes = {c.cls for c in CASES}
    assert len(CASES) >= 140
    assert {
        "syntax",
        "tabs",
        "duplicate-keys",
        "aliases",
        "tags",
        "empty",
        "nesting",
        "encoding",
        "numbers",
        "structure",
        "references",
        "sweep-specs",
        "versions",
        "types",
    } <= classes
    listed = {c.name for c in CASES}
    on_disk = {p.name for p in fuzzkit.HOSTILE.glob("*.yaml")}
    assert listed == on_disk
    assert all(p.stat().st_size < 100_000 for p in fuzzkit.HOSTILE.iterdir())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_file(case: fuzzkit.Case):
    start = thread_seconds()
    with pytest.raises(ScenarioError) as info:
        load_scenario(case.path)
    assert thread_seconds() - start < HANG
    problems = info.value.problems
    report = str(info.value)
    for p in problems:
        assert p.line >= 1, report
        assert p.column >= 1, report
        assert p.source == str(case.path)
        assert "\n" not in p.message
    at = [p for p in problems if (p.line, p.column) == (case.line, case.column)]
    assert at, f"expected a problem at {case.line}:{case.column}; got:\n{report}"
    assert any(case.fragment in p.message for p in at), report
    _check_cli(case.path, fuzzkit.invoke(["validate", str(case.path)]), case.line, case.column)


# The run command loads the file the same way; one file of each class is enough to show it.
RUN_SAMPLE = sorted({c.cls: c.name for c in CASES}.values())


@pytest.mark.parametrize("name", RUN_SAMPLE)
def test_hostile_file_through_run(name: str, tmp_path: Path):
    case = BY_NAME[name]
    out = fuzzkit.invoke(["run", str(case.path), "-q", "--out", str(tmp_path / "run")])
    _check_cli(case.path, out, case.line, case.column)
    assert not (tmp_path / "run").exists()


def test_python_tags_run_nothing_through_the_cli(tmp_path: Path):
    marker = tmp_path / "pwned"
    bad = tmp_path / "tag.yaml"
    text = (fuzzkit.CORPUS / "base.yaml").read_text(encoding="utf-8")
    bad.write_text(
        text.replace("name: Fuzz base", f'name: !!python/object/apply:os.system ["touch {marker}"]')
        .replace("name: Aland", f"name: !!python/object/new:subprocess.call [[touch, {marker}]]")
        .replace(
            "red_line: tense", f"red_line: !!python/object/apply:pathlib.Path.touch ['{marker}']"
        ),
        encoding="utf-8",
    )
    out = fuzzkit.run_process(["validate", str(bad)])
    assert out.code == 2, out.stderr
    assert len(re.findall(r"the tag '!!python/object", out.stderr)) == 3, out.stderr
    assert not marker.exists()


# ------------------------------------------------------------------------------------------------
# Files made at run time: too big, binary, not files at all
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, fuzzkit.Case]:
    return {c.name: c for c in fuzzkit.made_files(tmp_path_factory.mktemp("made"))}


MADE = [
    "huge-100MB.yaml",
    "just-over-1MB.yaml",
    "random-bytes.bin",
    "png-header.yaml",
    "gzip-of-base.yaml.gz",
    "elf-header",
    "many-lines.yaml",
    "many-flow-items.yaml",
    "long-line.yaml",
    "missing.yaml",
    "a-directory.yaml",
    "a-fifo.yaml",
]


@pytest.mark.parametrize("name", MADE)
def test_made_file(name: str, made: dict[str, fuzzkit.Case]):
    case = made[name]
    start = thread_seconds()
    with pytest.raises(ScenarioError) as info:
        load_scenario(case.path)
    assert thread_seconds() - start < HANG
    (problem, *_) = info.value.problems
    assert (problem.line, problem.column) == (case.line, case.column), str(info.value)
    assert case.fragment in problem.message, str(info.value)
    _check_cli(case.path, fuzzkit.invoke(["validate", str(case.path)]), case.line, case.column)


def test_made_files_are_all_listed(made: dict[str, fuzzkit.Case]):
    assert sorted(made) == sorted(MADE)
    assert made["huge-100MB.yaml"].path.stat().st_size >= 100_000_000


# ------------------------------------------------------------------------------------------------
# Real processes: one input per class, with a memory limit and a timeout
# ------------------------------------------------------------------------------------------------
# The inputs that threaten memory or time run in the default run; the ordinary mistakes (each
# also refused in-process above, with its location) run as real processes in the slow tier.
SUBPROCESS_SAMPLE = {
    "threats": [
        "alias-billion-laughs.yaml",
        "alias-merge-bomb.yaml",
        "nest-flow-20000-unclosed.yaml",
        "tag-python-apply-os-system.yaml",
        "sweep-count-billion.yaml",
    ],
    "mistakes": [
        "nest-block-mappings.yaml",
        "syntax-unclosed-bracket-eof.yaml",
        "tab-indent-run.yaml",
        "dup-top-level.yaml",
        "empty-file.yaml",
        "enc-latin1-byte.yaml",
        "num-nan-probability.yaml",
        "shape-top-level-list.yaml",
        "ref-channel-unknown-actor.yaml",
    ],
}


@pytest.mark.parametrize("group", ["threats", pytest.param("mistakes", marks=pytest.mark.slow)])
def test_real_processes_exit_2_with_bounded_memory(made: dict[str, fuzzkit.Case], group: str):
    """Each refused in a real ``escalsim validate`` (RLIMIT_AS 2 GB, 60 s timeout).

    The peak RSS of a refused input is compared with that of a valid file: an alias bomb, deep
    nesting or a 100 MB file must not grow memory (50 MB of slack for the interpreter's noise).
    """
    baseline = fuzzkit.run_process(["validate", str(fuzzkit.CORPUS / "base.yaml")])
    assert baseline.code == 0, baseline.stderr
    cases = [BY_NAME[n] for n in SUBPROCESS_SAMPLE[group]]
    if group == "threats":
        cases += [made["huge-100MB.yaml"], made["random-bytes.bin"]]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=3) as pool:
        outs = list(pool.map(lambda c: fuzzkit.run_process(["validate", str(c.path)]), cases))
    for case, out in zip(cases, outs, strict=True):
        assert out.code != -9, f"{case.name}: hang ({out.seconds:.0f} s)"
        _check_cli(case.path, out, case.line, case.column)
        assert out.peak_rss_mb < baseline.peak_rss_mb + 50, (case.name, out.peak_rss_mb)


# ------------------------------------------------------------------------------------------------
# Mutations of valid scenarios, drawn by hypothesis
# ------------------------------------------------------------------------------------------------
SEEDS = fuzzkit.seed_data()
FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
#: Outcomes by mutation kind, for the census (benchmarks/bench_fuzz.py prints the same).
OUTCOMES: dict[str, dict[str, int]] = {}


def _mutant(data: st.DataObject, kind: str) -> fuzzkit.Mutant:
    name, seed = data.draw(st.sampled_from(SEEDS), label="seed")

    def pick(options: list[Any]) -> Any:
        return data.draw(st.sampled_from(options))

    mutant = fuzzkit.mutate(seed, name, kind, pick)
    assert mutant is not None
    return mutant


def _check_mutant(mutant: fuzzkit.Mutant) -> str:
    """Load the mutant: a Scenario (the mutation left it valid), or an error at the mutation."""
    start = thread_seconds()
    try:
        result = load_text(mutant.text, "mutant.yaml")
    except ScenarioError as exc:
        error = exc
    else:
        assert isinstance(result, Scenario)
        return "accepted"
    finally:
        assert thread_seconds() - start < HANG
    lines = mutant.text.count("\n") + 1
    for p in error.problems:
        assert 1 <= p.line <= lines, str(error)
        assert p.column >= 1, str(error)
    # The error is at the mutated node (for a drop: at the mapping or list it was dropped from),
    # or, for a broken reference or renamed id, wherever the name is used.
    first, last = fuzzkit.span(mutant.text, mutant.loc)
    near = any(first <= p.line <= last for p in error.problems)
    if mutant.kind not in ("break_ref", "rename", "drop", "nesting"):
        assert near, f"{mutant.note} at {mutant.loc} (lines {first}-{last}):\n{error}"
    return "refused at the mutation" if near else "refused elsewhere"


def _tally(kind: str, outcome: str) -> None:
    OUTCOMES.setdefault(kind, {}).setdefault(outcome, 0)
    OUTCOMES[kind][outcome] += 1


def _mutation_test(kind: str) -> Callable[[], None]:
    @FUZZ
    @given(st.data())
    def test(data: st.DataObject) -> None:
        mutant = _mutant(data, kind)
        _tally(kind, _check_mutant(mutant))

    test.__name__ = f"test_mutation_{kind}"
    test.__doc__ = f"A valid scenario with one '{kind}' mutation: a clean error or a Scenario."
    return test


test_mutation_drop = _mutation_test("drop")
test_mutation_rename = _mutation_test("rename")
test_mutation_retype = _mutation_test("retype")
test_mutation_out_of_range = _mutation_test("out_of_range")
test_mutation_break_ref = _mutation_test("break_ref")
test_mutation_nesting = _mutation_test("nesting")


def test_mutants_through_the_cli(tmp_path: Path):
    """A few mutants of each kind as files, through ``escalsim validate`` in this process."""
    import random

    rng = random.Random(5)
    refused = 0
    for kind in fuzzkit.MUTATIONS:
        for i in range(3):
            name, seed = SEEDS[i % len(SEEDS)]
            mutant = fuzzkit.mutate(seed, name, kind, rng.choice)
            assert mutant is not None
            path = tmp_path / f"{kind}-{i}.yaml"
            path.write_text(mutant.text, encoding="utf-8")
            out = fuzzkit.invoke(["validate", str(path)])
            assert out.code in (0, 2), out.stderr
            assert "Traceback" not in out.stderr
            assert "internal error" not in out.stderr
            if out.code == 2:
                refused += 1
                assert re.search(rf"^{re.escape(str(path))}:\d+:\d+: ", out.stderr, re.M)
    assert refused >= 12


# ------------------------------------------------------------------------------------------------
# --vary specs
# ------------------------------------------------------------------------------------------------
BASE_SCENARIO = load_scenario(fuzzkit.CORPUS / "base.yaml")
VARY_PATHS = [
    "channels.hotline.noise",
    "actors.A.resolve",
    "run.rounds",
    "actors.B.doctrine",
    "actors.A.red_line",
    "events.cut.round",
    "channels.hotline.open",
    "nope",
    "",
]
_NUM = st.one_of(
    st.integers(-(10**12), 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(
        ["1e999", "-1e999", "nan", "inf", "０", "٣", "1_000", "0x10", "", " ", "1e-400"]
    ),
)
_SPEC = st.one_of(
    st.builds(lambda a, b, c: f"{a}:{b}:{c}", _NUM, _NUM, st.one_of(_NUM, st.just("1000000000"))),
    st.builds(lambda a, b: f"{a}:{b}", _NUM, _NUM),
    st.builds(lambda a, b: f"uniform({a},{b})", _NUM, _NUM),
    st.lists(_NUM, max_size=6).map(",".join),
    st.text(max_size=40),
)


def _check_vary(text: str) -> str:
    start = thread_seconds()
    error: ScenarioError | None = None
    try:
        parse_vary(text, BASE_SCENARIO)
    except ScenarioError as exc:
        error = exc
    assert thread_seconds() - start < HANG
    if error is None:
        return "accepted"
    for p in error.problems:
        assert p.loc[:1] == ("--vary",), str(error)
        assert p.message, str(error)
        assert "\n" not in p.message
    return "refused"


@FUZZ
@given(st.sampled_from(VARY_PATHS), _SPEC)
def test_vary_spec_fuzz(path: str, spec: str):
    _tally("vary", _check_vary(f"{path}={spec}"))


@FUZZ
@given(st.text(max_size=60))
def test_vary_random_text(text: str):
    _tally("vary-text", _check_vary(text))


VARY_HOSTILE = [
    "",
    "=",
    "==",
    "=1",
    "channels.hotline.noise",
    "channels.hotline.noise=",
    "channels.hotline.noise=0:1:1000000000",
    "channels.hotline.noise=0:1:" + "9" * 400,
    "channels.hotline.noise=0:1:0",
    "channels.hotline.noise=nan:1:3",
    "channels.hotline.noise=0:inf:3",
    "channels.hotline.noise=0:1e999:3",
    "channels.hotline.noise=uniform(0,1e999)",
    "channels.hotline.noise=uniform(nan,1)",
    "channels.hotline.noise=uniform(1,0)",
    "channels.hotline.noise=1:0",
    "channels.hotline.noise=０:１:３",
    "channels.hotline.noise=ä,ö",
    "channels.hotline.noise=" + ",".join(["0.1"] * 1001),
    "channels.hotline.noise=0.1\x00",
    "channels.hotline.noise=normal(0,1)",
    "channels.hotline.noise=2",
    "channels.hotlime.noise=0.1",
    "id=0:1:3",
    "run.rounds=0:1:3",
    "run.rounds=1:2:3",
    "actors.A.red_line=9",
    "actors.Z.resolve=0.5",
    "\u202echannels.hotline.noise=0.1",
]


@pytest.mark.parametrize("spec", VARY_HOSTILE, ids=range(len(VARY_HOSTILE)))
def test_vary_hostile_through_the_cli(spec: str, tmp_path: Path):
    out = fuzzkit.invoke(
        [
            "sweep",
            str(fuzzkit.CORPUS / "base.yaml"),
            "--vary",
            spec,
            "-q",
            "--out",
            str(tmp_path / "s"),
        ]
    )
    assert out.code == 2, out.stderr
    assert "--vary" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr
    assert "internal error" not in out.stderr
    assert out.seconds < HANG
    assert not (tmp_path / "s").exists()


def test_vary_grid_product_is_refused_before_it_is_made(tmp_path: Path):
    out = fuzzkit.invoke(
        [
            "sweep",
            str(fuzzkit.CORPUS / "base.yaml"),
            "--vary",
            "channels.hotline.noise=0:1:1000",
            "--vary",
            "actors.A.resolve=0:1:1000",
            "--out",
            str(tmp_path / "s"),
        ]
    )
    assert out.code == 2, out.stderr
    assert "1,000,000 points" in out.stderr
    assert out.seconds < HANG


# ------------------------------------------------------------------------------------------------
# CLI options
# ------------------------------------------------------------------------------------------------
def _options(tmp: Path) -> list[tuple[list[str], str]]:
    afile = tmp / "afile"
    afile.write_text("x", encoding="utf-8")
    base = str(fuzzkit.CORPUS / "base.yaml")
    run = ["run", base, "-q", "--no-plots"]
    sweep = ["sweep", base, "-q", "--vary", "channels.hotline.noise=0:0.5:2", "--workers", "1"]
    return [
        ([*run, "--replications", "-1"], "--replications"),
        ([*run, "--replications", "0"], "--replications"),
        ([*run, "--replications", "1" + "0" * 30], "--replications"),
        ([*run, "--replications", "nan"], "--replications"),
        ([*run, "--rounds", "0"], "--rounds"),
        ([*run, "--rounds", "-5"], "--rounds"),
        ([*run, "--rounds", "100001"], "--rounds"),
        ([*run, "--rounds", "1.5"], "--rounds"),
        ([*run, "--seed", "-1"], "--seed"),
        ([*run, "--seed", str(2**64)], "--seed"),
        ([*run, "--seed", "1e3"], "--seed"),
        ([*run, "--seed", "inf"], "--seed"),
        ([*run, "--condition", "nope"], "--condition"),
        ([*run, "--condition", ""], "--condition"),
        ([*run, "--baseline", "nope"], "--baseline"),
        ([*run, "--workers", "0"], "--workers"),
        ([*run, "--engine", "quantum"], "--engine"),
        ([*run, "--format", "xml"], "--format"),
        ([*run, "--out", str(afile)], "--out"),
        ([*run, "--out", str(afile / "sub")], "--out"),
        ([*run, "--out", "/proc/escalsim/run"], "--out"),
        ([*run, "--bogus"], "--bogus"),
        ([*sweep, "--samples", "0"], "--samples"),
        ([*sweep, "--replications", "-3"], "--replications"),
        ([*sweep, "--chunk", "0"], "--chunk"),
        ([*sweep, "--sampler", "magic"], "--sampler"),
        ([*sweep, "--sampler", "morris", "--samples", "9000000"], "--vary"),
        ([*sweep, "--condition", "nope"], "--condition"),
        ([*sweep, "--out", str(afile)], "--out"),
        ([*sweep, "--out", str(afile / "sub")], "--out"),
        (["validate", base, "--format", "yaml"], "--format"),
    ]


def test_option_table_is_large_enough(tmp_path: Path):
    assert len(_options(tmp_path)) >= 30


@pytest.mark.parametrize("index", range(31))
def test_bad_option_exits_2_naming_it(index: int, tmp_path: Path):
    argv, option = _options(tmp_path)[index]
    out = fuzzkit.invoke(argv)
    assert out.code == 2, (argv, out.stderr)
    assert option in out.stderr, (argv, out.stderr)
    assert "Traceback" not in out.stderr
    assert "internal error" not in out.stderr
    assert out.seconds < HANG


@pytest.mark.slow
def test_bench_fuzz_quick_prints_the_census(root: Path):
    """The census script runs (a smoke test; its figures are in docs/reliability/fuzz.md)."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, str(root / "benchmarks" / "bench_fuzz.py"), "--quick"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    assert "| **all** |" in out, out
    assert "CRASH" not in out, out
    total = next(line for line in out.splitlines() if line.startswith("| **all** |"))
    assert total.split("|")[5].strip() == "**0**", total  # no crashes
    assert "alias-billion-laughs.yaml | 2 |" in out, out


# ------------------------------------------------------------------------------------------------
# calibrate --target CSV files
# ------------------------------------------------------------------------------------------------
TARGET = (
    fuzzkit.ROOT / "src" / "escalsim" / "calibration" / "data" / "mid5_highest_hostility.csv"
).read_text(encoding="utf-8")
_CSV_EDITS = [",", "", "x", '"', "-", "1e309", " ", ",,", "\t", "nan", "inf", "0x1", "٣", "\x00"]


def _check_target(path: Path) -> str:
    from escalsim.calibration import load_target

    start = thread_seconds()
    error: ScenarioError | None = None
    try:
        load_target(path)
    except ScenarioError as exc:
        error = exc
    assert thread_seconds() - start < HANG
    if error is None:
        return "accepted"
    for p in error.problems:
        assert p.line >= 0, str(error)
        assert "\n" not in p.message
    return "refused"


@FUZZ
@given(st.data())
def test_target_csv_mutations(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject):
    lines = TARGET.splitlines()
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        j = data.draw(st.integers(0, len(lines) - 1), label="line")
        k = data.draw(st.integers(0, len(lines[j])), label="column")
        edit = data.draw(st.sampled_from(_CSV_EDITS), label="edit")
        lines[j] = lines[j][:k] + edit + lines[j][k + 1 :]
    path = tmp_path_factory.mktemp("target") / "t.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _tally("target-csv", _check_target(path))


def _targets(tmp: Path) -> list[tuple[Path, str]]:
    head = TARGET.splitlines()[0]
    made = {
        "empty.csv": "",
        "header-only.csv": head + "\n",
        "nan-count.csv": TARGET.replace(",74,", ",nan,"),
        "inf-count.csv": TARGET.replace(",74,", ",inf,"),
        "huge-count.csv": TARGET.replace(",74,", f",{'9' * 400},"),
        "negative-count.csv": TARGET.replace(",74,", ",-74,"),
        "level-99.csv": TARGET + "99,x,3,0.1\n",
        "many-rows.csv": TARGET + "5,war,1,0.0\n" * 20_000,
        "binary.csv": "\udcff\udcfe" + TARGET,
    }
    out = []
    for name, text in made.items():
        (tmp / name).write_text(text, encoding="utf-8", errors="surrogateescape")
        out.append((tmp / name, name))
    fifo = tmp / "fifo.csv"
    os.mkfifo(fifo)
    out.append((fifo, "fifo"))
    return out


def test_hostile_targets_through_calibrate(tmp_path: Path):
    """Each refused before any fit runs: exit 2, the file named on stderr."""
    for path, name in _targets(tmp_path):
        out = fuzzkit.invoke(
            [
                "calibrate",
                "generic-dispute",
                "--target",
                str(path),
                "--params",
                "ladder.rungs.use_of_force.cost=0.5:4",
                "--quiet",
                "--out",
                str(tmp_path / "fit"),
            ]
        )
        assert out.code == 2, (name, out.stderr)
        assert str(path) in out.stderr, (name, out.stderr)
        assert "Traceback" not in out.stderr
        assert "internal error" not in out.stderr
        assert out.seconds < HANG, name
        assert not (tmp_path / "fit").exists()


# ------------------------------------------------------------------------------------------------
# teaching moves files (read by the same YAML reader)
# ------------------------------------------------------------------------------------------------
def test_moves_files_never_crash(tmp_path: Path):
    """Every hostile scenario file, and mutants of a valid moves file, as a moves file."""
    import random

    from escalsim.teaching.replay import load_moves

    valid = {
        "scenario": "hotline-1963",
        "actor": "USA",
        "seed": 3,
        "rounds": 5,
        "settings": {"run.rounds": 5},
        "moves": ["hold", {"move": "step_up", "message": "none"}, "step_down"],
    }
    paths = [c.path for c in CASES]
    rng = random.Random(4)
    for i in range(60):
        mutant = fuzzkit.mutate(valid, "moves", fuzzkit.MUTATIONS[i % 6], rng.choice)
        if mutant is None:  # a moves file has no ids to break
            continue
        paths.append(tmp_path / f"m{i}.yaml")
        paths[-1].write_text(mutant.text, encoding="utf-8")
    refused = 0
    for path in paths:
        start = thread_seconds()
        error: ScenarioError | None = None
        try:
            load_moves(path)
        except ScenarioError as exc:
            error = exc
        assert thread_seconds() - start < HANG
        if error is not None:
            refused += 1
            assert all(p.line >= 1 for p in error.problems), str(error)
    assert refused >= len(CASES)
