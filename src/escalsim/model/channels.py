"""The other condition's channel state, and which path of a round reads it (decision-v2 §8).

A condition difference is split into three paths (:data:`escalsim.core.bargaining.PATHS`):
perception, messages and offers, agreements. :class:`ChannelPaths` holds, beside a crisis run in
its own (base) condition, the channel state of the *other* condition of the pair, computed each
round from the same ``channel_up`` draws; a switch set (bit k: path k reads the other
condition's state) says which state each phase reads. ``Crisis`` keeps its own channel state in
its own attributes and swaps this object's in for the phases of a switched path
(``Crisis._reading``), so every phase is still written once.

This module does not import mesa.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from numpy.typing import NDArray

from escalsim.core import bargaining as bg
from escalsim.core.params import Params, Schedule

#: The values of a channel a condition may change and the paths read (``Params`` fields); the
#: rest of the channel state is what the schedule's channel and summit events make of them.
CHANNEL_VALUES = ("noise", "misread", "latency", "reliability", "deconfliction", "channel_open0")


def _same(x: Any, y: Any) -> bool:
    """Whether two compiled values are equal (arrays elementwise, NaN equal to NaN)."""
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        a, b = np.asarray(x), np.asarray(y)
        if a.shape != b.shape:
            return False
        if a.dtype.kind in "fc" and b.dtype.kind in "fc":
            return bool(np.array_equal(a, b, equal_nan=True))
        return bool(np.array_equal(a, b))
    if isinstance(x, (tuple, list)) and isinstance(y, (tuple, list)):
        return len(x) == len(y) and all(_same(a, b) for a, b in zip(x, y, strict=True))
    return bool(x == y)


def beyond_channels(base: Schedule, other: Schedule) -> list[str]:
    """What two compiled conditions differ in besides their channels' state.

    The paths decomposition applies to two conditions that differ only in the values of
    :data:`CHANNEL_VALUES` and in their channel and summit events: then the run with every
    path switched is the other condition's run. Anything else (an actor's honesty, a policy,
    an incident, the horizon) would stay the base condition's in every switched run.

    Parameters
    ----------
    base, other : Schedule
        The two conditions, compiled (:func:`escalsim.core.params.schedule`).

    Returns
    -------
    list of str
        The ``Params`` fields (and ``incidents``, ``rounds``) that differ, in field order, each
        named once; empty when the pair differs only in channel state.
    """
    if len(base.params_at) != len(other.params_at):
        return ["rounds"]
    names = [f.name for f in dataclasses.fields(Params) if f.name not in CHANNEL_VALUES]
    differ = [
        name
        for name in names
        if not all(
            _same(getattr(p, name), getattr(q, name))
            for p, q in zip(base.params_at, other.params_at, strict=True)
        )
    ]
    if base.incidents != other.incidents:
        differ.append("incidents")
    return differ


class ChannelPaths:
    """The other condition's channel state over a crisis's rows, and the switch set.

    Its attributes mirror the ``Crisis`` attributes of the same names (:data:`STATE`, and
    ``params``, the other condition's parameters of the round under way), which the crisis
    swaps with them while a switched path reads.

    Parameters
    ----------
    other : Schedule
        The other condition, compiled; it must differ from the crisis's own only in channel
        state (:func:`beyond_channels`).
    switches : int
        The switch set, 0-7: bit k set means path ``bg.PATHS[k]`` reads the other condition's
        channel state (bit 0 perception, bit 1 messages and offers, bit 2 agreements).
    rows : int
        The crisis's rows.

    Raises
    ------
    ValueError
        For a switch set outside 0-7.
    """

    #: The per-row and per-crisis channel state a path reads (``Crisis`` attributes).
    STATE = ("channel_open", "channel_up", "path", "before_summit", "summits", "has_before")
    #: The per-row arrays among them (compacted with the crisis's rows).
    PER_REP = ("channel_open", "channel_up", "path", "before_summit")

    def __init__(self, other: Schedule, switches: int, rows: int) -> None:
        if not 0 <= int(switches) <= 7:
            raise ValueError(f"a switch set is a number from 0 to 7, got {switches!r}")
        p = other.params_at[0]
        self.other, self.switches = other, int(switches)
        self.params: Params = p
        n, a, c = rows, p.n_actors, p.n_channels
        self.channel_open: NDArray[np.bool_] = np.broadcast_to(p.channel_open0, (n, c)).copy()
        self.channel_up: NDArray[np.bool_] = self.channel_open.copy()
        self.path: NDArray[np.int64] = np.full((n, a, a), p.public, dtype=np.int64)
        self.before_summit: NDArray[np.bool_] = np.zeros((n, c), dtype=bool)
        self.summits: list[tuple[int, int, float]] = []
        self.has_before: list[int] = []

    def reads_other(self, path: str) -> bool:
        """Whether ``path`` (one of ``bg.PATHS``) reads the other condition's channel state."""
        return bool(self.switches >> bg.PATHS.index(path) & 1)

    def select(self, rows: NDArray[np.bool_]) -> ChannelPaths:
        """A copy holding only ``rows`` (the crisis's compaction and :meth:`Crisis.detach`)."""
        out = ChannelPaths.__new__(ChannelPaths)
        out.other, out.switches, out.params = self.other, self.switches, self.params
        for name in self.PER_REP:
            setattr(out, name, getattr(self, name)[rows].copy())
        out.summits, out.has_before = list(self.summits), list(self.has_before)
        return out


__all__ = ["CHANNEL_VALUES", "ChannelPaths", "beyond_channels"]
