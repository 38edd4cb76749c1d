"""Sweep specs: ``START:STOP:COUNT``, ``LOW:HIGH``, ``uniform(LOW,HIGH)`` and value lists.

The one parser of the specs that ``--vary`` and a scenario's ``sweep:`` block give, kept free of
numpy and pandas so that loading a scenario does not import them. Sizes are bounded before any
value is made: a COUNT of 10**9 is refused, not allocated.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from escalsim.errors import UsageError
from escalsim.scenario.errors import Problem

_NUMBER = r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
#: Values one varied field may take (a COUNT or a list); checked before anything is allocated.
MAX_VALUES = 1_000
#: Points of a sweep (a grid's combinations, or what lhs, sobol and morris draw).
MAX_POINTS = 100_000


def _problem(message: str, loc: tuple[str | int, ...] = ("--vary",)) -> UsageError:
    """A bad sweep option (``--vary``, ``--sampler``, ...); a sweep: block's loader re-places it."""
    return UsageError([Problem(0, 0, loc, message, "sweep")])


@dataclass(frozen=True)
class Vary:
    """One varied field: a path and either explicit values or bounds to sample between.

    Attributes
    ----------
    path : str
        A field path of the scenario (``channels.hotline.noise``).
    values : tuple
        Explicit values (a range with a count, or a list); empty for bounds only.
    low, high : float or None
        Bounds, for the lhs, sobol and morris samplers (a range or ``uniform(LOW,HIGH)``).
    integer : bool
        The field holds integers: values are whole numbers, sampled ones are rounded down.
    """

    path: str
    values: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    integer: bool = False

    def canonical(self) -> dict[str, Any]:
        """A JSON-able description (part of the sweep's hash)."""
        return {
            "path": self.path,
            "values": list(self.values),
            "low": self.low,
            "high": self.high,
            "integer": self.integer,
        }


def _scalar(text: str) -> Any:
    """A list item: a number, true/false (YAML 1.2 spelling only), or a string."""
    text = text.strip()
    if re.fullmatch(r"[-+]?[0-9]+", text):
        return int(text)
    if re.fullmatch(_NUMBER, text):
        return float(text)
    if text in ("true", "false"):
        return text == "true"
    return text.strip("'\"")


def spec_values(path: str, spec: str | list[Any], integer: bool) -> list[Any]:
    """The values a spec (a string, or a list from a ``sweep:`` block) puts at ``path``.

    For bounds, the two bounds. Raises ScenarioError for a malformed spec.
    """
    if isinstance(spec, list):
        if not 1 <= len(spec) <= MAX_VALUES:
            raise _problem(
                f"expected 1 to {MAX_VALUES:,} values, got {len(spec):,}", ("--vary", path)
            )
        return list(spec)
    vary = _parse_spec(path, spec, integer)
    return list(vary.values) or [vary.low, vary.high]


def block_spec(value: str | list[Any]) -> str:
    """A ``sweep:`` block's value as the command line's SPEC."""
    if isinstance(value, str):
        return value
    return ",".join(("true" if v else "false") if isinstance(v, bool) else str(v) for v in value)


def _parse_spec(path: str, spec: str, integer: bool) -> Vary:
    where = ("--vary", path)
    number = f"({_NUMBER})"
    if m := re.fullmatch(rf"uniform\(\s*{number}\s*,\s*{number}\s*\)", spec):
        low, high = float(m[1]), float(m[2])
        _finite(spec, low, high, where)
        if not low < high:
            raise _problem(f"uniform({m[1]},{m[2]}): LOW must be below HIGH", where)
        return Vary(path, (), low, high, integer)
    if m := re.fullmatch(rf"{number}:{number}(?::([0-9]+))?", spec):
        low, high = float(m[1]), float(m[2])
        _finite(spec, low, high, where)
        if m[3] is None:
            if not low < high:
                raise _problem(f"{spec}: LOW must be below HIGH", where)
            return Vary(path, (), low, high, integer)
        # Refused before the values are made: '0:1:1000000000' must not allocate 8 GB.
        count = int(m[3]) if len(m[3]) <= 9 else MAX_VALUES + 1
        if not 1 <= count <= MAX_VALUES:
            raise _problem(f"{spec}: COUNT must be 1 to {MAX_VALUES:,}", where)
        values = _linspace(low, high, count)
        if integer:
            if not all(math.isclose(v, round(v), rel_tol=1e-5, abs_tol=1e-8) for v in values):
                raise _problem(
                    f"{spec}: {path} holds whole numbers, and {count} values from {m[1]} to "
                    f"{m[2]} are not whole",
                    where,
                )
            return Vary(path, tuple(round(v) for v in values), low, high, True)
        # Rounded to 12 significant digits, so 0:0.5:11 gives 0.05, not 0.05000000000000001.
        return Vary(path, tuple(float(f"{v:.12g}") for v in values), low, high, False)
    if spec and not spec.startswith(("uniform", "normal")) and "(" not in spec:
        if spec.count(",") >= MAX_VALUES:
            raise _problem(f"more than {MAX_VALUES:,} values", where)
        listed = tuple(_scalar(v) for v in spec.split(",") if v.strip() != "")
        if listed:
            return Vary(path, listed, None, None, integer)
    raise _problem(
        f"'{spec}': expected START:STOP:COUNT, LOW:HIGH, uniform(LOW,HIGH) or V1,V2,...", where
    )


def _finite(spec: str, low: float, high: float, where: tuple[str | int, ...]) -> None:
    if not (math.isfinite(low) and math.isfinite(high)):
        raise _problem(f"{spec}: the bounds must be finite numbers", where)


def check_size(
    counts: list[int], sampler: str, samples: int, loc: tuple[str | int, ...] = ("--vary",)
) -> None:
    """Refuse a sweep of more than :data:`MAX_POINTS` points before any point is made.

    Parameters
    ----------
    counts : list of int
        Values of each varied field (for the grid sampler).
    sampler : str
        The sampler.
    samples : int
        Its ``samples`` (lhs: points; sobol: N (d + 2) points; morris: N (d + 1) points).
    loc : tuple
        Where to report the problem.

    Raises
    ------
    ScenarioError
        When the sweep would have more than :data:`MAX_POINTS` points.
    """
    d = len(counts)
    if sampler == "grid":
        points = math.prod(counts)
    else:
        points = samples * {"lhs": 1, "sobol": d + 2, "morris": d + 1}.get(sampler, 1)
    if points > MAX_POINTS:
        raise _problem(
            f"the sweep would have {points:,} points ({sampler}); at most {MAX_POINTS:,}", loc
        )


def _linspace(low: float, high: float, count: int) -> list[float]:
    """numpy.linspace(low, high, count), bit for bit (start + i * step; the end exact)."""
    if count == 1:
        return [low]
    step = (high - low) / (count - 1)
    values = [i * step + low for i in range(count)]
    values[-1] = high
    return values
