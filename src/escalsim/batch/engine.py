"""The ensembles: many replications of a crisis at once, in chunks.

The rules of a round are written once, in :class:`escalsim.model.rounds.Crisis`; this module
runs them over thousands of replications: it splits the replications into chunks (bounding
memory), steps each chunk with its perfect-information twin in lockstep on shared random
blocks, and concatenates the frames. Replication r's frames equal those of
``EscalationModel(..., replication=r)``, the mesa face of the same class.

Mesa is not imported here (nor by anything this module imports).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from escalsim.allocator import keep_freed_memory
from escalsim.core.bargaining import twin_split
from escalsim.core.params import schedule
from escalsim.core.streams import BlockLayout
from escalsim.model.channels import beyond_channels
from escalsim.model.rounds import Crisis, Streams, events_frame, outcome_frame, series_frame
from escalsim.scenario import Scenario, load_scenario, with_condition

#: Replications that run together in one set of arrays; bounds memory whatever R is.
CHUNK = 4000


@dataclass
class BatchRun:
    """The three tidy frames of R replications, as the mesa face gives them one by one.

    Attributes
    ----------
    outcome : pandas.DataFrame
        One row per replication, in the order the replications were given.
    timeseries, events : pandas.DataFrame
        Rows of the replications kept in detail, replication by replication.
    twin_outcome : pandas.DataFrame or None
        With ``twin=True``: the perfect-information (perception) twins' outcome rows, in the
        same order.
    complete_twin_outcome : pandas.DataFrame or None
        With ``twin=True``: the complete-information twins' outcome rows, in the same order.
    """

    outcome: pd.DataFrame
    timeseries: pd.DataFrame
    events: pd.DataFrame
    twin_outcome: pd.DataFrame | None = None
    complete_twin_outcome: pd.DataFrame | None = None

    def runs(self) -> pd.DataFrame:
        """The outcome rows, with the twins' outcomes and the split of war when twins ran.

        The columns of :func:`twin_columns`.
        """
        rows = self.outcome.copy()
        if self.twin_outcome is not None and self.complete_twin_outcome is not None:
            columns = twin_columns(rows, self.twin_outcome, self.complete_twin_outcome)
            for name, values in columns.items():
                rows[name] = values
        return rows


#: The per-run booleans split by the twins (docs/pair-wars.md §8): ``war`` (the powers' war,
#: ``war_direct``) always; ``war_any`` (any war began) where listed pairs can fight, and
#: ``nuclear`` where wars last (``strategic`` marks the columns of lasting wars).
SPLIT_COLUMNS = ("war", "war_any", "nuclear")


def twin_columns(run: Any, perception: Any, complete: Any) -> dict[str, Any]:
    """Per-run columns of the twins: their outcomes and the three-part split of war.

    ``run``, ``perception`` and ``complete`` are the outcome rows (frames, or mappings of
    arrays, with ``outcome`` and ``war`` columns) of each replication in the run, its
    perception twin and its complete-information twin. Columns: ``twin_outcome``,
    ``complete_twin_outcome``, and ``war_<part>`` for each part and flow of
    :func:`escalsim.core.bargaining.twin_split` of the ``war`` columns (war between the powers
    began in the run: ``war_attributable``, ``war_perception_twin_only``, ``war_private``,
    ``war_complete_twin_only``, ``war_misperception``, ``war_private_information``,
    ``war_residual``); the same parts of ``war_any`` where the rows have it (listed pairs), and
    of ``nuclear`` where they have ``strategic`` (wars that last): ``war_any_<part>``,
    ``nuclear_<part>``.
    """
    out = {
        "twin_outcome": np.asarray(perception["outcome"]),
        "complete_twin_outcome": np.asarray(complete["outcome"]),
    }
    for column in SPLIT_COLUMNS:
        if (
            column == "war"
            or (column == "war_any" and column in run)
            or (column == "nuclear" and "strategic" in run)
        ):
            parts = twin_split(
                *(np.asarray(x[column], dtype=bool) for x in (run, perception, complete))
            )
            out.update({f"{column}_{name}": values for name, values in parts.items()})
    return out


def run_batch(
    scenario: Scenario | str,
    *,
    seed: int | None = None,
    replications: int | Sequence[int] = 1,
    condition: str | None = None,
    perfect_information: bool = False,
    human_moves: dict[str, list[str]] | None = None,
    human_messages: dict[str, list[str]] | None = None,
    keep: int | None = None,
    chunk: int = CHUNK,
    twin: bool = False,
    layout: BlockLayout | None = None,
    paths: tuple[str, int] | None = None,
    human_offers: dict[str, list[float]] | None = None,
    human_claims: dict[str, list[float]] | None = None,
) -> BatchRun:
    """Run replications of a scenario with the batch engine.

    Parameters
    ----------
    scenario : Scenario or str
        A validated scenario, a scenario file, or the name of a shipped scenario.
    seed : int, optional
        Root seed (default: the scenario's ``run.seed``).
    replications : int or sequence of int
        How many replications (0..R-1), or which replication indices.
    condition : str, optional
        A condition of the scenario to apply (default: the base scenario).
    perfect_information : bool
        Run the perfect-information twins.
    human_moves : dict, optional
        For actors with the ``human`` policy: actor id -> list of move names by round, the
        same in every replication.
    human_messages : dict, optional
        For actors with the ``human`` policy: actor id -> list of messages by round
        (``'reassure'``, ``'warn'`` or ``'none'``), each sent in the next round's message phase
        instead of what its honesty type would send, the same in every replication.
    human_offers, human_claims : dict, optional
        For powers with the ``human`` policy: actor id -> the standing offer (a share, NaN:
        none) and the claimed cost of war (NaN: none) chosen with each round's move, posted in
        the next round's talks, the same in every replication
        (:class:`~escalsim.model.rounds.Crisis`).
    keep : int, optional
        Keep timeseries and events of replications with index below ``keep`` (default: all).
    chunk : int
        Replications that run together; bounds memory.
    twin : bool
        Also run each replication's two twins (docs/decision-v2.md §7), in lockstep with it and
        on the same random blocks (drawn once for all three) and type draws: the
        perfect-information twin (``twin_outcome``) and the complete-information twin
        (``complete_twin_outcome``).
    layout : BlockLayout, optional
        The random block's layout (default: ``BlockLayout.of(scenario)``, the scenario as given,
        before ``condition``). An experiment passes its own, so that every condition and sweep
        point draws the same numbers for the same slots.
    paths : tuple of (str, int), optional
        The Shapley paths (docs/decision-v2.md §8): the other condition of a pair and a switch
        set 0-7; the phases of each path whose bit is set read the other condition's channel
        state (:class:`escalsim.model.channels.ChannelPaths`). Switch set 0 is ``condition``'s
        run, 7 the other condition's (outcome and timeseries; the events log this condition's
        scheduled events).

    Returns
    -------
    BatchRun
        The frames the mesa face gives, replication by replication, concatenated: equal to
        ``EscalationModel(..., replication=r).run()`` for every r. Outcome rows come in the
        order of ``replications``; timeseries and events in increasing replication index.

    Raises
    ------
    ValueError
        For no replications, or indices that repeat or are negative, ``twin`` with
        ``perfect_information``, a message that is not one of ``MESSAGE_CHOICES``, or
        ``paths`` whose other condition differs from ``condition`` in more than channel state
        (:func:`escalsim.model.channels.beyond_channels`) or whose switch set is not 0-7.
    HumanMoveRequiredError
        When an actor has the ``human`` policy and ``human_moves`` runs out.

    Notes
    -----
    It does not tune the process's allocator: a process that runs many batches saves about a
    quarter of their CPU time (the kernel's page faults) by calling
    :func:`escalsim.allocator.keep_freed_memory` once first, as the command line and its
    workers do. It changes no number.
    """
    spec = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if layout is None:
        layout = BlockLayout.of(spec)
    other = None
    if paths is not None:
        other = schedule(with_condition(spec, paths[0]))
    if condition is not None:
        spec = with_condition(spec, condition)
    cond = condition or spec.condition_names[0]
    root = spec.run.seed if seed is None else int(seed)
    reps = (
        np.arange(replications, dtype=np.int64)
        if isinstance(replications, (int, np.integer))
        else np.asarray(list(replications), dtype=np.int64)
    )
    if len(reps) == 0:
        raise ValueError("run_batch needs at least one replication")
    if (reps < 0).any() or len(np.unique(reps)) != len(reps):
        raise ValueError("replication indices must be distinct and non-negative")
    sched = schedule(spec)
    p0 = sched.params_at[0]
    switched = None
    if paths is not None and other is not None:
        differ = beyond_channels(sched, other)
        if differ:
            raise ValueError(
                f"conditions {cond!r} and {paths[0]!r} differ in more than their channels "
                f"({', '.join(differ)}): the paths decomposition needs a pair that differs "
                "only in channel values and channel or summit events"
            )
        switched = (other, int(paths[1]))
    if twin and perfect_information:
        raise ValueError("twin=True adds the perfect-information twins to a run that has noise")
    outcomes: list[dict[str, Any]] = []
    twins: list[dict[str, Any]] = []
    completes: list[dict[str, Any]] = []
    series: list[dict[str, Any]] = []
    events: list[tuple[NDArray[np.int64], str, dict[str, Any]]] = []
    for start in range(0, len(reps), max(1, int(chunk))):
        part = reps[start : start + max(1, int(chunk))]
        detail = part < keep if keep is not None else np.ones(len(part), dtype=bool)
        streams = Streams(root, part, layout, spec.run.rounds)
        moves, said = human_moves or {}, human_messages or {}
        # A run and its twins differ only in what they show and know; the rest is the chunk's.
        crisis = functools.partial(
            Crisis,
            spec,
            sched,
            streams,
            part,
            human_offers=human_offers,
            human_claims=human_claims,
            paths=switched,
        )
        runs = [crisis(detail, perfect_information, moves, said)]
        if twin:
            hidden = np.zeros(len(part), dtype=bool)
            runs.append(crisis(hidden, True, moves, said))
            runs.append(crisis(hidden, True, moves, said, complete_information=True))
        _advance(runs, streams)
        outcomes.append(_ordered(runs[0], part))
        if twin:
            twins.append(_ordered(runs[1], part))
            completes.append(_ordered(runs[2], part))
        series.extend(runs[0]._series)
        events.extend(runs[0]._events)
    frame = outcome_frame(outcomes, cond, root, perfect_information)
    return BatchRun(
        outcome=frame,
        timeseries=series_frame(series, p0, cond),
        events=events_frame(events, cond),
        twin_outcome=outcome_frame(twins, cond, root, True) if twin else None,
        complete_twin_outcome=outcome_frame(completes, cond, root, True) if twin else None,
    )


def _advance(runs: list[Crisis], streams: Streams) -> None:
    """Step the runs of a chunk in lockstep, drawing their shared random blocks."""
    lead = runs[0]
    t = 0
    while not all(run.over for run in runs):
        t += 1
        if streams.due(t):
            # The lead run's rows first, in order (it reads its blocks without copying), then
            # the streams only the other runs still need.
            order = lead.srow
            others = [run.srow[~run.finished] for run in runs[1:] if not run.over]
            if others:
                extra = np.setdiff1d(np.concatenate(others), order)
                order = np.concatenate([order, extra])
            streams.refill(t, order)
            lead.in_order = True
            for run in runs[1:]:
                run.in_order = False
        for run in runs:
            if not run.over:
                run.step()


def _ordered(run: Crisis, part: NDArray[np.int64]) -> dict[str, Any]:
    """A finished run's outcome columns, in the order of ``part``."""
    done = {k: np.concatenate([d[k] for d in run._done]) for k in run._done[0]}
    order = np.argsort(done["replication"], kind="stable")
    position = np.searchsorted(done["replication"][order], part)
    return {k: v[order][position] for k, v in done.items()}


__all__ = ["CHUNK", "BatchRun", "keep_freed_memory", "run_batch", "twin_columns"]
