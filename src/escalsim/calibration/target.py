"""Calibration targets: a distribution over MID hostility or ICB violence levels, from a CSV.

A target file has one row per level, a header naming the columns, and either counts, shares or
both::

    hostility_level,label,disputes,share
    2,threat to use force,74,0.030
    3,display of force,653,0.268
    4,use of force,1603,0.658
    5,war,106,0.044

Columns (case-insensitive, in any order; other columns are ignored):

- ``level`` or ``hostility_level``: a Correlates of War MID hostility level, 1-5; or
  ``violence``: an International Crisis Behavior violence level, 1-4 (one of them required; it
  decides the target's coding, ``"mid"`` or ``"icb"``);
- ``label``: what the level is (optional; the MID name of the level by default);
- ``count``, ``disputes`` or ``crises``: how many cases peaked at the level, a whole number >= 0;
- ``share``: the share of cases at the level, in [0, 1].

At least one of count and share is required. With counts, shares are the counts over their
total; a share given beside a count must agree with it to the decimals written. With shares
only, they must sum to 1 to the decimals written, and the chi-square test is not available.
Blank lines and lines starting with ``#`` are skipped. Every problem is reported at once, as
``file:line:column: column: what was expected`` (a :class:`escalsim.scenario.ScenarioError`).
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from escalsim.scenario.errors import Problem, ScenarioError

#: The MID hostility levels (Jones, Bremer & Singer 1996; Palmer et al. 2022).
MID_LEVELS: dict[int, str] = {
    1: "no militarized action",
    2: "threat to use force",
    3: "display of force",
    4: "use of force",
    5: "war",
}
#: The ICB violence levels of a crisis (ICB codebook v14, variable ``viol``; Brecher &
#: Wilkenfeld 2000).
ICB_LEVELS: dict[int, str] = {
    1: "no violence",
    2: "minor clashes",
    3: "serious clashes",
    4: "full-scale war",
}
#: The codings a target can have: its levels and what a level is called in messages.
CODINGS: dict[str, tuple[dict[int, str], str]] = {
    "mid": (MID_LEVELS, "a MID hostility level"),
    "icb": (ICB_LEVELS, "an ICB violence level"),
}
#: Targets shipped with escalsim, by name: the file in ``escalsim/calibration/data``.
NAMED_TARGETS: dict[str, str] = {
    "mid5": "mid5_highest_hostility.csv",
    "icb14": "icb14_violence.csv",
    "superpowers12": "superpowers12_highest_hostility.csv",
    "superpowers12-alternative": "superpowers12_alternative.csv",
}
#: Accepted names of each column (the first is the canonical one).
LEVEL_COLUMNS = ("level", "hostility_level", "violence")
COUNT_COLUMNS = ("count", "disputes", "crises")
SHARE_COLUMN = "share"
LABEL_COLUMN = "label"
#: Files larger than this are refused (a target has a handful of rows).
MAX_BYTES = 1_000_000
#: Rows (header included) beyond which a file is refused before the rest is checked.
MAX_ROWS = 1_000


@dataclass(frozen=True, eq=False)
class Target:
    """A target distribution over MID hostility levels or ICB violence levels.

    Attributes
    ----------
    levels : numpy.ndarray of int
        The levels, ascending and distinct (each in 1-5 for MID, 1-4 for ICB).
    labels : list of str
        What each level is.
    counts : numpy.ndarray of int or None
        Cases at each level; None when the file gives shares only.
    shares : numpy.ndarray of float
        Share of cases at each level (sums to 1).
    source : str
        Where the target came from (the file as given, or the shipped file of a named target).
    sha256 : str
        SHA-256 of the file's bytes (empty for a target built in memory).
    coding : {"mid", "icb"}
        What a level is: a run's highest MID hostility level (every run), or its ICB violence
        level (only the runs that are ICB crises; ``docs/calibration.md``).
    """

    levels: NDArray[np.int64]
    labels: list[str]
    counts: NDArray[np.int64] | None
    shares: NDArray[np.float64]
    source: str
    sha256: str = ""
    coding: str = "mid"

    @property
    def n(self) -> int | None:
        """Total number of cases (None without counts)."""
        return None if self.counts is None else int(self.counts.sum())

    def share_by_level(self) -> dict[int, float]:
        """The shares as ``{level: share}``."""
        return {int(k): float(s) for k, s in zip(self.levels, self.shares, strict=True)}

    @classmethod
    def from_counts(
        cls,
        counts: dict[int, int],
        source: str = "<counts>",
        labels: dict[int, str] | None = None,
        coding: str = "mid",
    ) -> Target:
        """A target from ``{level: count}`` (levels of the coding, counts >= 0, not all zero).

        Raises
        ------
        ValueError
            For an unknown coding, a level outside it, a negative count or no cases at all.
        """
        if coding not in CODINGS:
            raise ValueError(f"coding must be one of {sorted(CODINGS)}, got {coding!r}")
        known = CODINGS[coding][0]
        levels = np.array(sorted(int(k) for k in counts), dtype=np.int64)
        if len(levels) == 0 or not set(levels.tolist()) <= set(known):
            raise ValueError(f"levels must be in {sorted(known)}, got {sorted(counts)}")
        values = np.array([int(counts[int(k)]) for k in levels], dtype=np.int64)
        if (values < 0).any() or values.sum() == 0:
            raise ValueError("counts must be >= 0 and not all zero")
        names = labels or {}
        return cls(
            levels=levels,
            labels=[names.get(int(k), known[int(k)]) for k in levels],
            counts=values,
            shares=values / values.sum(),
            source=source,
            coding=coding,
        )


def _fields(line: str) -> list[tuple[str, int]] | str:
    """Split one CSV line into (text, 1-based column) pairs, or return an error message.

    Fields are separated by commas; a field in double quotes may contain commas and ``""`` for
    a quote. Spaces around a field are dropped; its column is where its text starts.
    """
    out: list[tuple[str, int]] = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in " \t":
            i += 1
        start = i
        if i < n and line[i] == '"':
            text, i = "", i + 1
            while True:
                if i >= n:
                    return f"{start + 1}:unterminated quoted field (a field cannot span lines)"
                if line[i] == '"':
                    if i + 1 < n and line[i + 1] == '"':
                        text, i = text + '"', i + 2
                        continue
                    i += 1
                    break
                text, i = text + line[i], i + 1
            while i < n and line[i] in " \t":
                i += 1
            if i < n and line[i] != ",":
                return f"{i + 1}:expected a comma after the quoted field"
        else:
            j = line.find(",", i)
            j = n if j < 0 else j
            text, i = line[i:j].rstrip(" \t"), j
        out.append((text, start + 1))
        if i >= n:
            return out
        i += 1  # the comma


def _decimals(text: str) -> int:
    """Decimals written in a number (``0.030`` has 3; ``3e-2`` counts as exact)."""
    m = re.fullmatch(r"[-+]?\d*\.(\d+)", text.strip())
    return len(m[1]) if m else 12


def _read(path: Path, display: str) -> tuple[str, str]:
    def fail(message: str, line: int = 0, column: int = 0) -> ScenarioError:
        return ScenarioError([Problem(line, column, (), message, display)])

    try:
        if path.is_dir():
            raise fail("is a folder; expected a CSV file")
        if path.exists() and not path.is_file():
            # found by fuzzing: a FIFO blocked open() until a writer came
            raise fail("is not a regular file (a pipe, socket or device?)")
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        names = ", ".join(NAMED_TARGETS)
        raise fail(f"no such file; expected a CSV file or a named target ({names})") from None
    except OSError as exc:
        raise fail(f"cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise fail(f"larger than {MAX_BYTES:,} bytes; a target file has one row per level")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        raise fail("not UTF-8 text", line, column) from None
    return text, hashlib.sha256(data).hexdigest()


def load_target(path_or_name: str | Path) -> Target:
    """Read a target distribution over MID hostility levels from a CSV file.

    Parameters
    ----------
    path_or_name : str or pathlib.Path
        A CSV file (see the module docstring for its columns), or the name of a shipped target:
        ``"mid5"`` is MID 5.0's 2,436 disputes (1816-2014) by highest hostility level (Palmer et
        al. 2022), as derived counts; ``"icb14"`` is ICB version 14's 486 crises (1918-2017)
        with violence coded, by violence level (Brecher & Wilkenfeld 2000).

    Returns
    -------
    Target
        Levels ascending, with counts (when given) and shares.

    Raises
    ------
    escalsim.scenario.ScenarioError
        With every problem of the file, each as ``file:line:column: column: what was expected``.
    """
    text_name = str(path_or_name)
    path = Path(path_or_name)
    if isinstance(path_or_name, str) and not path.exists() and text_name in NAMED_TARGETS:
        file = NAMED_TARGETS[text_name]
        path = Path(str(resources.files("escalsim.calibration") / "data")) / file
        display = f"{text_name} (escalsim/calibration/data/{file})"
    else:
        display = text_name
    text, digest = _read(path, display)
    problems: list[Problem] = []

    def problem(line: int, column: int, message: str, where: str = "") -> None:
        problems.append(Problem(line, column, (where,) if where else (), message, display))

    rows: list[tuple[int, list[tuple[str, int]]]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        parsed = _fields(raw)
        if isinstance(parsed, str):
            at, message = parsed.split(":", 1)
            problem(number, int(at), message)
            continue
        rows.append((number, parsed))
        if len(rows) > MAX_ROWS:  # found by fuzzing: 100,000 rows took 3 s to refuse
            problem(number, 1, f"more than {MAX_ROWS:,} rows; a target has one row per level")
            break
    if problems:
        raise ScenarioError(problems)
    if not rows:
        raise ScenarioError(
            [Problem(0, 0, (), "is empty; expected a header and one row per level", display)]
        )
    header_line, header = rows[0]
    names = [name.strip().lower() for name, _ in header]
    seen: dict[str, int] = {}
    for k, (name, column) in enumerate(zip(names, (c for _, c in header), strict=True)):
        if name in seen:
            problem(header_line, column, f"column '{name}' appears twice")
        seen.setdefault(name, k)

    def column_of(options: tuple[str, ...], what: str) -> int | None:
        present = [o for o in options if o in seen]
        if len(present) > 1:
            problem(
                header_line,
                header[seen[present[1]]][1],
                f"two {what} columns ({' and '.join(present)}); expected one",
            )
        return seen[present[0]] if present else None

    level_col = column_of(LEVEL_COLUMNS, "level")
    coding = "icb" if level_col is not None and names[level_col] == "violence" else "mid"
    known, level_what = CODINGS[coding]
    count_col = column_of(COUNT_COLUMNS, "count")
    share_col = seen.get(SHARE_COLUMN)
    label_col = seen.get(LABEL_COLUMN)
    columns = ", ".join(names)
    if level_col is None:
        problem(
            header_line,
            1,
            f"no level column; expected a header with 'level' (or 'hostility_level', or "
            f"'violence' for ICB levels), and 'count' (or 'disputes' or 'crises') and/or "
            f"'share'; found: {columns}",
        )
    if count_col is None and share_col is None:
        problem(
            header_line,
            1,
            f"no count or share column; expected 'count' (or 'disputes' or 'crises') and/or "
            f"'share'; found: {columns}",
        )
    if problems:
        raise ScenarioError(problems)
    assert level_col is not None
    levels: list[int] = []
    labels: list[str] = []
    counts: list[int] = []
    shares: list[float] = []
    share_text: list[tuple[str, int, int]] = []  # the share as written, line, column
    first_line: dict[int, int] = {}
    level_name = names[level_col]
    for number, fields in rows[1:]:
        if len(fields) != len(header):
            end = fields[-1][1] + len(fields[-1][0])
            problem(
                number,
                end if len(fields) < len(header) else fields[len(header)][1],
                f"expected {len(header)} fields like the header ({columns}), got {len(fields)}",
            )
            continue
        text_level, column = fields[level_col]
        ok = True
        if not re.fullmatch(r"[-+]?[0-9]{1,9}", text_level):  # ASCII digits: int('٣') is 3
            problem(
                number,
                column,
                f"expected a whole number, {level_what} {min(known)}-{max(known)}, "
                f"got '{text_level}'",
                level_name,
            )
            ok = False
        else:
            level = int(text_level)
            if level not in known:
                listed = ", ".join(f"{k} {v}" for k, v in known.items())
                problem(
                    number,
                    column,
                    f"unknown level {level}; expected {level_what} ({listed})",
                    level_name,
                )
                ok = False
            elif level in first_line:
                problem(
                    number,
                    column,
                    f"level {level} appears twice (first at line {first_line[level]})",
                    level_name,
                )
                ok = False
            else:
                first_line[level] = number
        if count_col is not None:
            text_count, column = fields[count_col]
            # At most 15 digits: found by fuzzing, a 400-digit count overflowed int64 (exit 1).
            if re.fullmatch(r"\+?[0-9]{1,15}", text_count):
                counts.append(int(text_count))
            else:
                what = (
                    "a count cannot be negative"
                    if re.fullmatch(r"-[0-9]+(\.[0-9]*)?", text_count)
                    else "too large"
                    if re.fullmatch(r"\+?[0-9]+", text_count)
                    else "not a whole number"
                )
                problem(
                    number,
                    column,
                    f"expected a count, a whole number >= 0, got '{text_count}' ({what})",
                    names[count_col],
                )
                ok = False
        if share_col is not None:
            text_share, column = fields[share_col]
            try:
                value = float(text_share)
            except ValueError:
                value = math.nan
            if not (math.isfinite(value) and 0.0 <= value <= 1.0) or "_" in text_share:
                problem(
                    number,
                    column,
                    f"expected a share, a number in [0, 1], got '{text_share}'",
                    SHARE_COLUMN,
                )
                ok = False
            else:
                shares.append(value)
                share_text.append((text_share, number, column))
        if ok:
            levels.append(int(text_level))
            label = fields[label_col][0].strip() if label_col is not None else ""
            labels.append(label or known[int(text_level)])
    if problems:
        raise ScenarioError(problems)
    if not levels:
        raise ScenarioError(
            [
                Problem(
                    header_line, 1, (), "has a header but no rows; expected one per level", display
                )
            ]
        )
    order = np.argsort(levels, kind="stable")
    count_array: NDArray[np.int64] | None = None
    if count_col is not None:
        count_array = np.array(counts, dtype=np.int64)
        total = int(count_array.sum())
        if total == 0:
            raise ScenarioError(
                [
                    Problem(
                        header_line,
                        header[count_col][1],
                        (names[count_col],),
                        "every count is 0; expected at least one case",
                        display,
                    )
                ]
            )
        share_array = count_array / total
        for (written, number, column), value, expected in zip(
            share_text, shares, share_array, strict=False
        ):
            tolerance = 0.5 * 10.0 ** -_decimals(written) + 1e-9
            if abs(value - expected) > tolerance:
                problem(
                    number,
                    column,
                    f"{written} does not agree with the counts ({expected:.4f} of {total:,} "
                    f"cases); expected it to within {tolerance:.2g}",
                    SHARE_COLUMN,
                )
    else:
        share_array = np.array(shares, dtype=np.float64)
        tolerance = sum(0.5 * 10.0 ** -_decimals(t) for t, _, _ in share_text) + 1e-9
        total_share = float(share_array.sum())
        if abs(total_share - 1.0) > tolerance:
            problem(
                header_line,
                header[share_col][1] if share_col is not None else 1,
                f"the shares sum to {total_share:.6g}; expected 1 (to within {tolerance:.2g}, "
                "the rounding of the shares as written)",
                SHARE_COLUMN,
            )
        share_array = share_array / total_share if total_share > 0 else share_array
    if problems:
        raise ScenarioError(problems)
    return Target(
        levels=np.asarray(levels, dtype=np.int64)[order],
        labels=[labels[i] for i in order],
        counts=None if count_array is None else count_array[order],
        shares=np.asarray(share_array, dtype=np.float64)[order],
        source=display,
        sha256=digest,
        coding=coding,
    )
