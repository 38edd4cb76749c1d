"""Random streams: one ``SeedSequence`` stream per replication, fixed-shape blocks per round.

Replication ``r`` of a run with root seed ``s`` draws from
``Generator(PCG64(SeedSequence(s, spawn_key=(r,))))`` -- the same stream as
``SeedSequence(s).spawn(n)[r]`` for any ``n > r`` -- so a replication's numbers do not depend on
how many replications run, in which order, on which worker or in which chunk.

Each round, a replication draws one block of ``BlockLayout.size`` uniforms on [0, 1), whatever
happens in that round, and every random decision of the round reads its own slot of the block.
Both drivers (the mesa agents and the vectorised batch engine) therefore consume exactly the
same numbers, and a perfect-information twin run with the same seed sees the same draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

# Slots per actor, per channel, per agenda item, per ordered actor pair, and per round.
_PER_ACTOR = ("incident", "implementation", "direction", "friction", "choice", "third_party")
_PER_PAIR = ("honesty", "misread", "noise", "noise_direction", "deconfliction")
_PER_ROUND = ("war",)


@dataclass(frozen=True)
class BlockLayout:
    """Where each random decision of a round reads its uniform in the round's block.

    Parameters
    ----------
    n_actors, n_channels, n_agenda : int
        Sizes of the scenario.

    Notes
    -----
    Per actor: incident, implementation error, its direction, de-escalation friction, policy
    choice, third-party reaction. Per channel: whether it is up. Per agenda item: agreement. Per
    ordered pair (i, j), as ``[i, j]`` arrays: message honesty, misreading, perception noise, its
    direction, deconfliction. Per round: war by accident.
    """

    n_actors: int
    n_channels: int
    n_agenda: int
    _offsets: dict[str, tuple[int, tuple[int, ...]]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        a, c, g = self.n_actors, self.n_channels, self.n_agenda
        spec: list[tuple[str, tuple[int, ...]]] = [(name, (a,)) for name in _PER_ACTOR]
        spec += [("channel_up", (c,)), ("agreement", (g,))]
        spec += [(name, (a, a)) for name in _PER_PAIR]
        spec += [(name, ()) for name in _PER_ROUND]
        offsets: dict[str, tuple[int, tuple[int, ...]]] = {}
        start = 0
        for name, shape in spec:
            offsets[name] = (start, shape)
            start += int(np.prod(shape, dtype=np.int64))
        object.__setattr__(self, "_offsets", offsets)
        counts = {n: int(np.prod(shape, dtype=np.int64)) for n, (_, shape) in offsets.items()}
        object.__setattr__(self, "_counts", counts)
        object.__setattr__(self, "_size", start)

    @property
    def size(self) -> int:
        """Uniforms per round."""
        return int(self._size)  # type: ignore[attr-defined]

    @property
    def names(self) -> list[str]:
        """Slot names, in block order."""
        return list(self._offsets)

    def view(self, block: NDArray[np.float64], name: str) -> NDArray[np.float64]:
        """The uniforms of slot ``name`` in ``block`` (last axis = the block), reshaped.

        Works on one replication's block (shape ``[size]``) and on a batch (``[R, size]``).
        """
        start, shape = self._offsets[name]
        count = self._counts[name]  # type: ignore[attr-defined]
        flat = block[..., start : start + count]
        return flat.reshape(block.shape[:-1] + shape)


def replication_generator(root_seed: int, replication: int) -> np.random.Generator:
    """The random generator of one replication.

    Parameters
    ----------
    root_seed : int
        The run's root seed (non-negative).
    replication : int
        The replication's index (non-negative).

    Returns
    -------
    numpy.random.Generator
        PCG64 seeded by ``SeedSequence(root_seed, spawn_key=(replication,))``.
    """
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(root_seed, spawn_key=(replication,)))
    )


def draw_blocks(
    root_seed: int, replications: NDArray[np.int64] | list[int], rounds: int, size: int
) -> NDArray[np.float64]:
    """All blocks of several replications: shape ``[len(replications), rounds, size]``.

    Drawing ``rounds × size`` at once gives the same numbers as drawing ``size`` per round in
    turn, which is what the agent driver does.
    """
    return np.stack(
        [replication_generator(root_seed, int(r)).random((rounds, size)) for r in replications]
    )
