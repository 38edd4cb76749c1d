"""The fuzzing machinery shared by tests/test_fuzz.py and benchmarks/bench_fuzz.py.

* the hand-written hostile corpus (tests/corpus/hostile, MANIFEST.tsv);
* inputs made at run time (a 100 MB file, random bytes, a FIFO...), never committed;
* mutations of valid scenarios: a field dropped, renamed, retyped, set out of range, a broken
  cross-reference, wrong nesting -- applied to the parsed data and written back as block YAML
  by a small emitter, so the mutated field's line and column are known;
* an in-process CLI runner (exit code, stdout, stderr) and a subprocess runner with a memory
  limit and a timeout that reports the child's peak RSS.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import math
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from escalsim.scenario.errors import Loc
from escalsim.scenario.yamlio import parse_yaml

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
HOSTILE = CORPUS / "hostile"
#: Valid scenarios the mutations start from (the small ones: each mutant is loaded in full).
SEEDS = [
    CORPUS / "base.yaml",
    CORPUS / "types.yaml",
    ROOT / "src" / "escalsim" / "scenarios" / "brinkmanship.yaml",
    ROOT / "src" / "escalsim" / "scenarios" / "ipd-noise.yaml",
    ROOT / "src" / "escalsim" / "scenarios" / "generic-dispute.yaml",
]
MUTATIONS = ("drop", "rename", "retype", "out_of_range", "break_ref", "nesting")


# -- the hand-written corpus ----------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One hostile input and where its error must be."""

    name: str
    cls: str
    path: Path
    line: int
    column: int
    fragment: str


def hostile_cases() -> list[Case]:
    """The committed corpus, from MANIFEST.tsv."""
    cases = []
    for row in (HOSTILE / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines():
        if row.startswith("#") or not row.strip():
            continue
        name, cls, where, fragment = row.split("\t")
        line, column = (int(x) for x in where.split(":"))
        cases.append(Case(name, cls, HOSTILE / name, line, column, fragment))
    return cases


# -- inputs made at run time ----------------------------------------------------------------------
def made_files(folder: Path) -> list[Case]:
    """Hostile files too big, binary or special to commit, made in ``folder``.

    These have no position inside them (the file as a whole is refused, or its first bad byte is
    at line 1); unreadable ones (missing, a directory, a FIFO) have none at all (line 0).
    """
    base = (CORPUS / "base.yaml").read_bytes()
    rng = random.Random(9)
    out: list[Case] = []

    def add(name: str, data: bytes | None, line: int, column: int, fragment: str) -> None:
        path = folder / name
        if data is not None:
            path.write_bytes(data)
        out.append(Case(name, "files", path, line, column, fragment))

    big = folder / "huge-100MB.yaml"  # a real 100 MB file: valid YAML lines, not a sparse hole
    with open(big, "wb") as fh:
        chunk = (
            b"# padding padding padding padding padding padding padding padding padding\n" * 14_000
        )
        for _ in range(100):
            fh.write(chunk)
    out.append(Case(big.name, "files", big, 1, 1, "larger than 1 MB"))
    add("just-over-1MB.yaml", base + b"#" * 1_000_001, 1, 1, "larger than 1 MB")
    add("random-bytes.bin", bytes([0xFF]) + rng.randbytes(65_536), 1, 1, "not UTF-8 text")
    add("png-header.yaml", b"\x89PNG\r\n\x1a\n" + rng.randbytes(512), 1, 1, "not UTF-8")
    add("gzip-of-base.yaml.gz", b"\x1f\x8b\x08\x00" + rng.randbytes(300), 1, 2, "byte 0x8b")
    add("elf-header", b"\x7fELF\x02\x01\x01\x00" + bytes(64), 1, 1, "U+007F")
    many = b"".join(b"k%d: %d\n" % (i, i) for i in range(13_000))
    add("many-lines.yaml", many, 12_001, 1, "12,000")
    add("many-flow-items.yaml", b"a: [" + b"1," * 13_000 + b"1]\n", 1, 24_002, "12,000")
    add("long-line.yaml", b"name: " + b"x" * 900_000 + b"\n", 1, 1, "missing required field")
    add("missing.yaml", None, 0, 0, "no such file")
    (folder / "a-directory.yaml").mkdir()
    out.append(Case("a-directory.yaml", "files", folder / "a-directory.yaml", 0, 0, "directory"))
    fifo = folder / "a-fifo.yaml"
    os.mkfifo(fifo)  # open() would block until a writer came
    out.append(Case(fifo.name, "files", fifo, 0, 0, "not a regular file"))
    return out


# -- mutations of valid scenarios ------------------------------------------------------------
def emit(value: Any, indent: int = 0) -> str:
    """Block-style YAML 1.2 for dicts, lists, str, int, float, bool and None."""
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return pad + "{}\n"
        lines = []
        for key, item in value.items():
            head = f"{pad}{_scalar(key)}:"
            if isinstance(item, (dict, list)) and item:
                lines.append(head + "\n" + emit(item, indent + 2))
            else:
                lines.append(f"{head} {_scalar(item)}\n")
        return "".join(lines)
    if isinstance(value, list):
        if not value:
            return pad + "[]\n"
        lines = []
        for item in value:
            if isinstance(item, (dict, list)) and item:
                body = emit(item, indent + 2)
                lines.append(f"{pad}- {body.lstrip()}")
            else:
                lines.append(f"{pad}- {_scalar(item)}\n")
        return "".join(lines)
    return pad + _scalar(value) + "\n"


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return json.dumps(str(value), ensure_ascii=False)  # a double-quoted YAML string


def seed_data() -> list[tuple[str, Any]]:
    """(name, parsed data) of each seed scenario."""
    return [(p.name, parse_yaml(p.read_text(encoding="utf-8"), p.name)[0]) for p in SEEDS]


def paths(data: Any, prefix: Loc = ()) -> Iterator[Loc]:
    """Every key and list item's path, depth first."""
    items = (
        data.items()
        if isinstance(data, dict)
        else enumerate(data)
        if isinstance(data, list)
        else ()
    )
    for key, value in items:
        here = (*prefix, key)
        yield here
        yield from paths(value, here)


def _get(data: Any, loc: Loc) -> Any:
    for part in loc:
        data = data[part]
    return data


def _ids(data: Any) -> set[str]:
    """Strings used as ids or names anywhere (targets of cross-references)."""
    found: set[str] = set()
    for loc in paths(data):
        if loc[-1] in ("id", "name") and isinstance(_get(data, loc), str):
            found.add(_get(data, loc))
    return found


@dataclass
class Mutant:
    """A mutated scenario: its text, what was done, and where (``loc``, in the mutated data)."""

    source: str
    kind: str
    loc: Loc
    text: str
    note: str


def mutate(data: Any, source: str, kind: str, pick: Callable[[list[Any]], Any]) -> Mutant | None:
    """Apply one mutation of ``kind`` to a copy of ``data``; ``pick`` chooses among options.

    Returns None when ``data`` offers no place for this kind of mutation.
    """
    data = copy.deepcopy(data)
    every = list(paths(data))
    if kind == "break_ref":
        names = _ids(data)
        every = [
            p
            for p in every
            if isinstance(_get(data, p), str)
            and _get(data, p) in names
            and p[-1] not in ("id", "name")
        ] + [p for p in every if isinstance(p[-1], str) and p[-1] in names]
    elif kind in ("rename",):
        every = [p for p in every if isinstance(p[-1], str)]
    elif kind == "out_of_range":
        every = [
            p
            for p in every
            if isinstance(_get(data, p), (int, float)) and not isinstance(_get(data, p), bool)
        ]
    if not every:
        return None
    loc = pick(every)
    parent = _get(data, loc[:-1])
    key = loc[-1]
    value = parent[key]
    note = ""
    if kind == "drop":
        del parent[key]
        note = f"dropped {loc}"
        loc = loc[:-1]
    elif kind == "rename":
        new = pick([key + "x", key[:-1], key.upper(), key.replace("_", ""), "zz_" + key])
        if new in parent or new == key:
            new = "zz_unknown"
        items = [(new if k == key else k, v) for k, v in parent.items()]
        parent.clear()
        parent.update(items)
        note = f"renamed {key} to {new}"
        loc = (*loc[:-1], new)
    elif kind == "retype":
        options: list[Any] = ["text", 7, 0.5, True, None, [1, 2], {"k": 1}]
        options = [o for o in options if type(o) is not type(value)]
        parent[key] = pick(options)
        note = f"{type(value).__name__} -> {parent[key]!r}"
    elif kind == "out_of_range":
        parent[key] = pick([-1, -1e308, 1e308, 10**12, math.nan, math.inf, -math.inf, 10**40])
        note = f"{value!r} -> {parent[key]!r}"
    elif kind == "break_ref":
        if isinstance(key, str) and key in _ids(data) and not isinstance(value, str):
            items = [("zz_missing" if k == key else k, v) for k, v in parent.items()]
            parent.clear()
            parent.update(items)
            loc = (*loc[:-1], "zz_missing")
        else:
            parent[key] = "zz_missing"
        note = f"reference to {key if isinstance(key, str) else value} broken"
    elif kind == "nesting":
        how = pick(["wrap_list", "wrap_map", "lift"])
        if how == "wrap_list":
            parent[key] = [value]
        elif how == "wrap_map":
            parent[key] = {"value": value}
        elif isinstance(value, dict) and value:  # lift: a mapping's first entry replaces it
            parent[key] = next(iter(value.values()))
        else:
            parent[key] = [[value]]
        note = how
    return Mutant(source, kind, loc, emit(data), note)


def span(text: str, loc: Loc) -> tuple[int, int]:
    """First and last line of the node at ``loc`` in ``text`` (its key's line first)."""
    from ruamel.yaml import YAML

    from escalsim.scenario.yamlio import _Builder

    yaml = YAML(typ="rt", pure=True)
    yaml.version = (1, 2)
    builder = _Builder("span")  # positions even where the values are refused
    builder.build(yaml.compose(text), ())
    pos = builder.pos
    first = pos.keys.get(loc, pos.value(loc))[0]
    last = first
    for other, (line, _) in pos.values.items():
        if other[: len(loc)] == loc:
            last = max(last, line)
    return first, last


# -- running the CLI ----------------------------------------------------------------------------
@dataclass
class Outcome:
    """What a command did."""

    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float = 0.0


def invoke(argv: list[str]) -> Outcome:
    """Run ``escalsim ARGV`` in this process (through ``cli.main``, as the console script)."""
    from escalsim.cli import main

    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        else:
            code = 0
    return Outcome(code, out.getvalue(), err.getvalue(), time.perf_counter() - start)


#: Runs ``python -m escalsim`` under an address-space limit (set in the child, so no preexec_fn,
#: which is unsafe when the parent has threads).
_LIMITED = (
    "import resource, runpy, sys; limit = int(sys.argv.pop(1)); "
    "resource.setrlimit(resource.RLIMIT_AS, (limit, limit)); sys.argv[0] = 'escalsim'; "
    "runpy.run_module('escalsim', run_name='__main__', alter_sys=True)"
)


def run_process(argv: list[str], *, memory_mb: int = 2048, timeout: float = 180.0) -> Outcome:
    """Run ``python -m escalsim ARGV`` under RLIMIT_AS with a timeout; report its peak RSS (VmHWM).

    A child that outlives ``timeout`` is killed and reported with code -9 (a hang).
    """
    import tempfile

    env = {k: v for k, v in os.environ.items() if not k.startswith("ESCALSIM_")}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", _LIMITED, str(memory_mb << 20), *argv],
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=ROOT,
        )
        code, peak = -9, 0.0
        while time.perf_counter() - start < timeout:
            peak = max(peak, _high_water_mb(proc.pid))
            pid, status, _ = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                code = os.waitstatus_to_exitcode(status)
                break
            time.sleep(0.005)
        else:
            proc.kill()
            os.wait4(proc.pid, 0)
        proc.returncode = code  # reaped here: keep Popen from waiting again
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    return Outcome(code, stdout, stderr, seconds, peak)


def _high_water_mb(pid: int) -> float:
    """The process's peak RSS so far (VmHWM), in MB; 0 once it has exited.

    Not wait4's ru_maxrss: that includes the memory of the parent it was forked from (the test
    runner's hundreds of MB), which would hide a child's growth below it. VmHWM belongs to the
    address space the child exec'd into. It is polled every 5 ms until the child exits.
    """
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0
