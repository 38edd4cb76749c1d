"""Resource limits: estimate what a run or a sweep needs before allocating it; chunk or refuse.

A run keeps every outcome row (one per condition and replication) and the timeseries and events
of the first ``keep`` replications of each condition; its replications run in *tasks* of a few
hundred, each task's state held as arrays ``[replications, actors, actors, ...]`` by the batch
engine. So its peak memory is

    base process + workers × (worker process + one task's working set)
    + outcome rows × bytes per row + kept detail,

and only the middle term depends on how the replications are chunked. :func:`plan_run` and
:func:`plan_sweep` estimate each term from the scenario's shape (actors, channels, agenda items,
linked pairs, message latency, horizon) with the coefficients below, compare the total with the
memory available (``MemAvailable`` in ``/proc/meminfo``, or a cgroup's limit, times
:data:`BUDGET_FRACTION`), lower the task size until it fits, and refuse (a
:class:`LimitError`, exit 2 in the CLI) when even tasks of one replication do not fit: the
message gives the estimate, what is available, what to change and the override
(``--max-memory`` or ``--force``). Chunking never changes results: replication r draws from its
own stream whatever task it runs in (``tests/test_limits.py`` checks it).

Time is estimated from the replication-rounds the run will step: per replication-round and per
round of a task, coefficients that grow with the number of actors. How long a crisis lasts is
not known before it runs: the estimate takes the horizon (an upper bound) unless a *pilot* of
:data:`PILOT_REPLICATIONS` replications (the run's own first ones) measured the mean.

Every coefficient was measured on the reference machine class (2 cores, 24 GB, Python 3.12,
numpy 2, pandas 2); ``docs/reliability/limits.md`` gives the measurements, the limits derived
from them and how accurate the estimates are. The coefficients are deliberately on the high
side: the memory estimate is meant to be an upper bound within a factor of about two.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from escalsim.errors import LimitError
from escalsim.scenario import Scenario
from escalsim.scenario.errors import Problem

if TYPE_CHECKING:
    from escalsim.core.streams import BlockLayout

MiB = 2**20
GiB = 2**30

# -- the cost model: memory ---------------------------------------------------------------------
#: The main process after importing escalsim, numpy, pandas, pyarrow and mesa, with the
#: scenario loaded (measured 165-170 MB) and matplotlib for the figures (about 30 MB), plus
#: 16 MiB of margin: the peak of one and the same run varies by about 3% between processes
#: (allocator arenas), and an estimate is meant to bound the peak, not to split it.
BASE_BYTES = 216 * MiB
#: A worker process (spawned, the same imports but no figures; measured 165-210 MB with the
#: scenario it was sent).
WORKER_BYTES = 220 * MiB
#: The state of a replication is not restated here: :meth:`Shape.of` builds the model's state
#: (:class:`escalsim.model.rounds.Crisis`) for :data:`MEASURE_REPLICATIONS` replications and
#: measures its arrays' ``nbytes``, which grow linearly with the replications.
MEASURE_REPLICATIONS = 8
#: Peak working set of a task ÷ (its state + its window of random numbers): temporaries, the
#: compaction copies and the outcome columns. Measured 1.20-1.25 for 2 to 80 actors (geneva-2022
#: and synthetic scenarios, 500-2,000 replications per task); rounded up.
TEMP_FACTOR = 1.35
#: A task's fixed cost: the schedule, the frames it builds (measured 8.6-9.1 MB at 16 reps).
TASK_BYTES = 10 * MiB
#: An outcome row is 245 bytes (30 columns); at the end of a saved run each row costs about
#: 990 bytes at the peak: the tasks' parts and their concatenation, the Arrow table written to
#: Parquet and the summary (measured: 300,000 rows of brinkmanship, +297 MB). 610 without saving.
RUN_ROW_BYTES = 1000
#: An outcome row in a sweep's part (the varied values add a few columns) and in flight.
SWEEP_ROW_BYTES = 400
#: Timeseries: 1.03-1.10 rows per actor-round of a kept replication, 110-117 bytes each.
SERIES_ROWS_PER_ACTOR_ROUND, SERIES_ROW_BYTES = 1.1, 120
#: Events: rows per replication-round, about 0.6 per actor + 0.7 per linked pair (measured
#: 0.69 on ipd-noise, 1.9 on generic-dispute, 4.0 on hotline-1963, 5.6 on geneva-2022 and 35 on
#: a 20-actor scenario with 38 linked pairs), 124-141 bytes each.
EVENTS_PER_ACTOR, EVENTS_PER_LINK, EVENT_ROW_BYTES = 0.6, 0.7, 145
#: decision-v2's temporaries, per run, bargaining power, cost type of the powers and decider:
#: a task's peak above the state and window (``task_bytes``) measured 42-88 kB per replication
#: with twins on generic-crisis, geneva-2022 and ukraine-talks-2022 (1.2-1.4 kB per power, type
#: and decider with twins; 1,000 replications against 8, ``/usr/bin/time``'s peak, 5 December
#: 2026); hotline-1963 needs more, its held stake's withdrawal (``HELD_TEMP_BYTES``).
BARGAIN_TEMP_BYTES = 500
#: The temporaries of a held stake's withdrawal (docs/decision-v2.md §3.10): where a power holds
#: the stakes (a fait accompli, ``held_at``) and the look-ahead counts the other's best way of
#: going on, the quit term values the holder's staying and its withdrawing apart, arrays of
#: [worlds, moves seen, types, joint types, moves] in the other's modelled decision, several at
#: once (tracemalloc, 5 December 2026). Per run and pair of types: hotline-1963, the only such
#: scenario, rises 255 kB a replication with twins above its state and window at 1,000
#: replications (``ru_maxrss`` before and after one batch, after a warm-up), 183 kB more
#: than the bargaining term's 72; the same measurement gives geneva-2022 96 kB (the term:
#: 96), ukraine-talks-2022 87 (96) and generic-crisis 62 (48). Measured on one scenario: its
#: scaling in the types is the arrays', not a fit.
HELD_TEMP_BYTES = 950
#: Kept detail is held twice at the peak: the tasks' parts and their concatenation (the Arrow
#: table written to Parquet comes after the parts are freed).
DETAIL_FACTOR = 2.0

# -- the cost model: time -----------------------------------------------------------------------
#: Runs per replication with twins: the run, its perception twin and its complete-information
#: twin (docs/decision-v2.md §7), stepped in lockstep; the time model counts each.
TWIN_RUNS = 3
#: The time model's terms, fitted together by ``benchmarks/bench_time_model.py`` (5 December
#: 2026, eighth session): the CPU time of 32 batches (every shipped scenario at 100 and 1,000
#: replications with twins; bench_limits' synthetic scenarios of 10 to 200 actors at 100 and
#: 1,000: tasks of 1,000 replications of 200 actors cost 2.5 times as much a run-round as tasks
#: of 100, their [replications, A, A] arrays far beyond the caches)
#: against the steps and run-rounds each took, by non-negative least squares of the relative
#: errors weighted by CPU^(1/4), after the measured cost per replication; the model is within
#: 0.56-1.76 of every batch and 0.85-1.02 of the six longest (the model of the fourth to
#: seventh sessions, fitted on bargaining scenarios alone: 0.07-19.6;
#: docs/reliability/limits.md).
#: Terms the fit sets to 0 are kept at 0, so that a refit may bring them back.
#:
#: Seconds per replication-round of one run (each twin is a run) of the batch engine:
#: BATCH_U0 + BATCH_U1·A + BATCH_U2·A² + BATCH_U3·A³, plus, per power of the ``bargaining``
#: policy, BARGAIN_U + BARGAIN_UD·D + BARGAIN_UT2·T², with D the deciders (``Shape.deciders``:
#: its look-ahead values each decider's part in a war) and T the cost-of-war types
#: (``Shape.types``: its posterior over the other's types, each valued against its own; fearon's
#: 100 types cost 0.73 ms a run-round, the rebuilt scenarios' 8 about 5 µs). A scenario of 200
#: actors, neutral third parties but two: 1.0 ms a run-round and 5.9 ms a round of a task.
BATCH_U0, BATCH_U1, BATCH_U2, BATCH_U3 = 0.0, 0.106e-6, 23.7e-9, 0.0
BARGAIN_U, BARGAIN_UD, BARGAIN_UT2 = 0.0, 6.96e-6, 0.0731e-6
#: Seconds per round of a task per run, whatever its size (numpy's per-call floor over the
#: phases' loops over actors, channels and agenda items): BATCH_O0 + BATCH_O1·A, plus
#: BARGAIN_OD·D per power of the bargaining policy (its decision's calls per decider: the
#: synthetic scenarios' 10 to 200 actors with 2 deciders cost what a 2-actor scenario does).
BATCH_O0, BATCH_O1 = 0.238e-3, 0.0143e-3
BARGAIN_OD = 0.706e-3
#: Seconds per replication of a condition, measured, not fitted: its two generators (the round
#: stream, 14 µs, and the type stream with its draws, 9 µs; ``SeedSequence``, ``PCG64`` and
#: ``Generator`` built in Python, timed over 1,000 replications at load 1.6, 5 December 2026),
#: shared by the run and its twins; a quarter of brinkmanship's CPU, whose crises last five
#: rounds, and too small beside the other scenarios' costs for the fit to find. Seconds per
#: task (the condition applied, the arrays allocated, the frames built), fitted.
PER_REPLICATION_SECONDS, PER_TASK_SECONDS = 23e-6, 0.0074
#: Loading, summarising and saving a run (Parquet, summary.csv, manifest; figures excluded),
#: in the command's own process: a fixed part, and a part per outcome row (a replication of a
#: condition: the parts concatenated, the twins' columns, the summary and the Parquet file;
#: measured 7.7 and 8.3 µs a row on 80,000 and 200,000 rows of brinkmanship, a run of one
#: process against its batches alone, 5 December 2026). :func:`run_overhead_seconds`.
RUN_FIXED_SECONDS, RUN_ROW_SECONDS = 1.0, 8e-6
#: Drawing a run folder's five figures (``escalsim run`` without ``--no-plots``): matplotlib
#: and scipy.special imported, then the figures, two of them by the run's helper process where
#: it has one (``results.HELPER_FIGURES``). Measured on geneva-2022 at 200 replications, 6
#: December 2026 (idle 2-core machine, main at 9d4cbb3): the main job 4.17 s of wall time
#: against 3.53 s with ``--no-plots`` (``benchmarks/bench_main_job.py --base-commit 50cdce6``,
#: medians of 5 and 3, alternating with the session's start, where they were 5.41 and 4.07:
#: 1.34 s then); the figures' phase 0.57-0.70 s (``benchmarks/bench_timeline.py``). The figures
#: draw a fixed number of artists whatever the replications (:func:`with_figures`).
FIGURES_SECONDS = 0.65
#: The agent driver (mesa): seconds per replication-round of one run, AGENT_U0 + AGENT_U2·A²
#: (measured 0.83 ms at 2 actors, 5.5 at 9, 27.6 at 20).
AGENT_U0, AGENT_U2 = 0.6e-3, 0.067e-3
#: Starting a worker process (spawn, imports, the first task's warm-up): 0.8-0.9 s of CPU and
#: 1.0-1.2 s of wall time at load 2 (a pool of one process, its first task importing the batch
#: engine; 5 December 2026, issue 20). It also decides when a run is worth more than one process
#: (:func:`escalsim.experiment.runner.worth_starting`).
WORKER_START_SECONDS = 1.0

# -- budget -------------------------------------------------------------------------------------
#: The share of the available memory a run may plan to use (the rest is head room for the
#: estimate's error and for the rest of the machine).
BUDGET_FRACTION = 0.8
#: The pilot that measures how long crises last: replications, and rounds (longer crises are
#: extrapolated from the share still running).
PILOT_REPLICATIONS, PILOT_ROUNDS = 64, 100
#: The batch engine's task size when memory allows (as escalsim.experiment.runner.BATCH_CHUNK).
MAX_TASK = 1000

# -- limits (docs/reliability/limits.md derives them) -------------------------------------------
#: Actors in a scenario: the batch engine's cost per replication-round grows with the square of
#: the number of actors and faster (perceptions and beliefs of every ordered pair, five uniforms
#: per pair per round); at 200 it is 4.6 ms and 8.4 MB per replication in a task (a
#: 1,000-replication, 26-round ensemble with twins takes about four minutes per condition on
#: one core; the agent driver would take hours).
MAX_ACTORS = 200
#: Rounds per run: each round of a task costs 0.5-3 ms whatever its size, and the kept detail
#: grows with the horizon (200 replications × 10,000 rounds of 9 actors ≈ 4.4 GB per condition).
MAX_ROUNDS = 10_000
#: Replications per condition of a run: at about 1 KB per outcome row at the peak, 10 million
#: rows of one condition fit a 24 GB machine (more conditions are refused with the estimate).
MAX_REPLICATIONS = 10_000_000
#: A sweep's part is named ``point-NNNNNN_reps-NNNNNNN-NNNNNNN.parquet`` (six and seven digits):
#: a sweep has at most 999,999 points and 9,999,999 replications per point.
MAX_SWEEP_POINTS = 999_999
MAX_SWEEP_REPLICATIONS = 9_999_999


@dataclass(frozen=True)
class Shape:
    """The sizes of a scenario that its cost depends on.

    Attributes
    ----------
    actors, channels, agenda : int
        Counts of the scenario's actors, channels and agenda items.
    links : int
        Ordered pairs of actors joined by a private channel (messages travel between them).
    ring : int
        Rounds a message can be in flight, plus one (the longest latency + 1).
    block : int
        Uniforms drawn per replication-round (``core.streams.BlockLayout.size``).
    rounds : int
        The horizon.
    state : int
        Bytes of the model's state per replication (one run, no twin), measured.
    bargainers : int
        Actors with the ``bargaining`` policy (0-2: the powers), in any round of the schedule.
    types : int
        The powers' cost-of-war types (``Params.cost_types``' columns, the larger grid of the
        two; 1 for known costs).
    deciders : int
        Actors that can decide (the powers, and third parties that may join a war:
        ``core.streams.Structure.deciders``, over the schedule). A bargaining power values the
        other's decision against each one's part in a war.
    held : bool
        A power holds the stakes and may quit by withdrawing (docs/decision-v2.md §3.10:
        ``held_at``, with a look-ahead that counts the other's best way of going on).
    """

    actors: int
    channels: int
    agenda: int
    links: int
    ring: int
    block: int
    rounds: int
    state: int
    bargainers: int = 0
    deciders: int = 2
    types: int = 1
    held: bool = False

    @classmethod
    def of(cls, spec: Scenario, layout: BlockLayout | None = None) -> Shape:
        """The shape of a validated scenario (over its whole schedule of ``set`` events).

        ``layout`` is the random block's (default: ``BlockLayout.of(spec)``, as the runs get
        it).
        """
        import numpy as np

        from escalsim.core.params import schedule
        from escalsim.core.streams import BlockLayout, Structure
        from escalsim.model.rounds import Crisis, Streams
        from escalsim.policies.bargaining import LOOKING_BEYOND

        sched = schedule(spec)
        p = sched.params_at[0]
        layout = layout if layout is not None else BlockLayout.of(spec)
        # The model's own state for a few replications (no detail, so nothing is collected):
        # its arrays are what a task holds per replication, whatever the model keeps.
        reps = np.arange(MEASURE_REPLICATIONS, dtype=np.int64)
        streams = Streams(0, reps, layout, spec.run.rounds)
        crisis = Crisis(spec, sched, streams, reps, np.zeros(len(reps), dtype=bool), False)
        state = math.ceil(crisis.state_nbytes() / len(reps))
        links = len(crisis.send)
        return cls(
            p.n_actors,
            p.n_channels,
            p.n_agenda,
            links,
            crisis.ring,
            layout.size,
            spec.run.rounds,
            state,
            max(sum(s.name == "bargaining" for s in q.policies) for q in sched.params_at),
            len(Structure.of_schedule(sched).deciders),
            int(np.shape(p.cost_types)[-1]),
            any(q.held_by >= 0 and q.continuation in LOOKING_BEYOND for q in sched.params_at),
        )

    def state_bytes(self) -> int:
        """Bytes of the model's state per replication (one run, no twin)."""
        return self.state

    def window_bytes(self, n: int) -> int:
        """Bytes of random numbers a task of ``n`` replications draws ahead (as the engine)."""
        from escalsim.model.rounds import window_rounds

        per_round = 8 * self.block * max(n, 1)
        return window_rounds(self.rounds, n, self.block) * per_round

    def events_per_round(self) -> float:
        """Event rows per replication-round of a kept replication."""
        return EVENTS_PER_ACTOR * self.actors + EVENTS_PER_LINK * self.links


def task_bytes(shape: Shape, n: int, twin: bool, engine: str = "batch") -> int:
    """Peak bytes of one task of ``n`` replications, above its process's base."""
    rows = n * SWEEP_ROW_BYTES
    if engine == "agents":  # one replication at a time: its model is small
        return TASK_BYTES + rows + 50 * shape.state_bytes()
    # Memory counts the twins as one more run's state, as when it was measured (with the
    # perception twin only); the peaks measured since, with both twins, stay below the estimate
    # (docs/reliability/limits.md), so it is left so.
    runs = 2 if twin else 1
    working = runs * n * shape.state_bytes() + shape.window_bytes(n)
    # decision-v2's temporaries, per run (the twins each): each bargaining power's view of the
    # other's types, per decider, and a held stake's withdrawal per pair of types
    per_run = BARGAIN_TEMP_BYTES * shape.bargainers * shape.types * shape.deciders
    if shape.held and shape.bargainers:
        per_run += HELD_TEMP_BYTES * shape.types**2
    bargaining = (TWIN_RUNS if twin else 1) * n * per_run
    return int(TASK_BYTES + TEMP_FACTOR * working + bargaining + rows)


def rep_round_terms(shape: Shape) -> dict[str, float]:
    """The batch engine's cost per replication-round of one run, term by term.

    ``{constant: multiplier}``: the seconds are the sum of each constant of this module times
    its multiplier (:func:`rep_round_seconds`); ``benchmarks/bench_time_model.py`` fits the
    constants on these multipliers, so the model and its fit have one definition.
    """
    a, k = shape.actors, shape.bargainers
    return {
        "BATCH_U0": 1.0,
        "BATCH_U1": a,
        "BATCH_U2": a * a,
        "BATCH_U3": a**3,
        "BARGAIN_U": k,
        "BARGAIN_UD": k * shape.deciders,
        "BARGAIN_UT2": k * shape.types**2,
    }


def round_terms(shape: Shape) -> dict[str, float]:
    """The batch engine's cost per round of a task, per run, term by term.

    As :func:`rep_round_terms`, for :func:`round_seconds`.
    """
    return {
        "BATCH_O0": 1.0,
        "BATCH_O1": shape.actors,
        "BARGAIN_OD": shape.bargainers * shape.deciders,
    }


def _priced(terms: dict[str, float]) -> float:
    """The sum of each named constant of this module (read now) times its multiplier."""
    return sum(float(globals()[name]) * multiplier for name, multiplier in terms.items())


def rep_round_seconds(shape: Shape, engine: str) -> float:
    """Seconds per replication-round of one run (each twin is a run)."""
    a = shape.actors
    if engine == "agents":
        return AGENT_U0 + AGENT_U2 * a * a
    return _priced(rep_round_terms(shape))


def run_overhead_seconds(rows: int) -> float:
    """Seconds a run spends in the command's process beside its tasks, for ``rows`` outcome rows.

    ``RUN_FIXED_SECONDS + RUN_ROW_SECONDS · rows`` (a row: a replication of a condition). It is
    not shared with helper processes, so it is not divided among them.
    """
    return RUN_FIXED_SECONDS + RUN_ROW_SECONDS * rows


def round_seconds(shape: Shape) -> float:
    """Seconds per round of a task of the batch engine, per run, whatever the task's size."""
    return _priced(round_terms(shape))


@dataclass(frozen=True)
class Estimate:
    """What a run or a sweep is expected to need.

    Attributes
    ----------
    memory_bytes : int
        Peak resident memory of this process and its local workers together.
    seconds : float
        Wall time.
    task : int
        Replications per task (the chunking the estimate assumes).
    workers : int
        Worker processes (1: this process).
    parts : dict
        The memory by term: ``base``, ``workers``, ``tasks``, ``outcomes``, ``detail`` (and
        ``paths`` with ``run --paths``, :func:`with_paths`).
    rounds_alive : dict
        Mean rounds a replication runs, by condition.
    measured : bool
        Whether ``rounds_alive`` comes from a pilot (else it is the horizon: an upper bound).
    replication_rounds : float
        Replication-rounds stepped (twins included).
    disk_bytes : int
        Rough size of what is written (Parquet compresses the outcome rows about fourfold).
    """

    memory_bytes: int
    seconds: float
    task: int
    workers: int
    parts: dict[str, int]
    rounds_alive: dict[str, float]
    measured: bool
    replication_rounds: float
    disk_bytes: int = 0
    notes: tuple[str, ...] = field(default=())

    def describe(self) -> str:
        """The estimate in one paragraph of plain text."""
        parts = ", ".join(f"{k} {human_bytes(v)}" for k, v in self.parts.items() if v)
        basis = (
            f"crises measured by a pilot of {PILOT_REPLICATIONS} replications"
            if self.measured
            else "every crisis running to the horizon (an upper bound)"
        )
        lines = [
            f"estimate: peak memory {human_bytes(self.memory_bytes)} ({parts}); "
            f"time {human_seconds(self.seconds)}; {self.replication_rounds:,.0f} "
            f"replication-rounds, tasks of {self.task} replications on {self.workers} "
            f"worker{'s' if self.workers != 1 else ''}; {basis}",
        ]
        if self.disk_bytes:
            lines.append(f"disk: about {human_bytes(self.disk_bytes)}")
        lines.extend(self.notes)
        return "\n".join(lines)


def human_bytes(n: float) -> str:
    """``1.2 GB``, ``12.5 GB``, ``340 MB``: decimal units, as memory is usually quoted.

    One decimal below 100 of a unit, none above; a size that rounds to 1000 of a unit is
    written in the next one (999.6 MB is ``1.0 GB``, where ``.3g`` gave ``1e+03 MB``).
    """
    units = (("B", 1.0), ("kB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12))
    index = 0
    while index + 1 < len(units) and abs(n) >= units[index + 1][1]:
        index += 1
    if index + 1 < len(units) and abs(n) / units[index][1] >= 999.5:
        index += 1
    unit, size = units[index]
    if unit == "B":
        return f"{int(n)} B"
    value = n / size
    return f"{value:.1f} {unit}" if abs(value) < 99.95 else f"{value:.0f} {unit}"


def human_seconds(s: float) -> str:
    """``45 s``, ``12 min``, ``3.4 h``."""
    if s < 90:
        return f"{s:.2g} s" if s < 10 else f"{s:.0f} s"
    if s < 5400:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.1f} h"


_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]i?[bB]?|[bB])?\s*")


def parse_size(text: str) -> int:
    """Parse ``8G``, ``500MB``, ``2GiB``, ``1e9`` or a number of bytes.

    Raises
    ------
    ValueError
        For anything else.
    """
    try:
        value = float(text)
        if value > 0 and math.isfinite(value):
            return int(value)
    except ValueError:
        pass
    m = _SIZE.fullmatch(text)
    if not m or float(m.group(1)) <= 0:
        raise ValueError(f"'{text}' is not a size; expected e.g. 8G, 500MB or 2GiB")
    unit = (m.group(2) or "b").lower()
    power = {"b": 0, "k": 1, "m": 2, "g": 3, "t": 4}[unit[0]]
    base = 1024 if "i" in unit else 1000
    return int(float(m.group(1)) * base**power)


def available_memory() -> int:
    """Bytes this process may still allocate: MemAvailable, within a cgroup's limit if any.

    Uses ``/proc/meminfo`` (Linux); elsewhere psutil when installed, else assumes 8 GB.
    """
    available = None
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) * 1024
                    break
    except OSError:
        pass
    if available is None:
        try:
            import psutil  # type: ignore[import-untyped]

            available = int(psutil.virtual_memory().available)
        except ImportError:
            available = 8 * 10**9
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes",
        ),
    ):
        try:
            with open(limit_file, encoding="ascii") as fh:
                text = fh.read().strip()
            if text == "max":
                continue
            with open(usage_file, encoding="ascii") as fh:
                used = int(fh.read().strip())
            limit = int(text)
            if limit < 2**60:
                available = min(available, max(0, limit - used))
        except (OSError, ValueError):
            continue
    return available


def memory_budget(max_memory: int | None = None) -> int:
    """The memory a run may plan to use: ``max_memory``, else a share of what is available."""
    if max_memory is not None:
        return int(max_memory)
    return int(BUDGET_FRACTION * available_memory())


# -- pilot ---------------------------------------------------------------------------------------
def rounds_alive(spec: Scenario, condition: str | None, seed: int) -> tuple[float, int]:
    """Mean and largest number of rounds a replication runs, from a short pilot.

    Runs replications 0..PILOT_REPLICATIONS-1 (the run's own first ones) with the batch engine
    for at most PILOT_ROUNDS rounds; replications still running then are counted as running to
    the horizon (an upper bound for them).
    """
    from escalsim.batch import run_batch
    from escalsim.core.streams import BlockLayout
    from escalsim.experiment.runner import with_rounds
    from escalsim.scenario import with_condition

    horizon = spec.run.rounds
    target = with_condition(spec, condition) if condition and spec.conditions else spec
    short = with_rounds(target, PILOT_ROUNDS) if horizon > PILOT_ROUNDS else target
    layout = BlockLayout.of(spec)  # the run's: the pilot's replications are its first ones
    frames = run_batch(short, seed=seed, replications=PILOT_REPLICATIONS, keep=0, layout=layout)
    ends = frames.outcome["end_round"].to_numpy()
    if horizon > PILOT_ROUNDS:
        ends = ends.copy()
        ends[ends >= PILOT_ROUNDS] = horizon
    return float(ends.mean()), int(ends.max())


# -- estimates -----------------------------------------------------------------------------------
def _detail_bytes(shape: Shape, kept: int, rounds: float) -> int:
    rows_series = kept * (rounds + 1) * shape.actors * SERIES_ROWS_PER_ACTOR_ROUND
    rows_events = kept * rounds * shape.events_per_round()
    return int(DETAIL_FACTOR * (rows_series * SERIES_ROW_BYTES + rows_events * EVENT_ROW_BYTES))


def estimate(
    spec: Scenario,
    replications: int,
    *,
    conditions: list[str] | None = None,
    engine: str = "batch",
    twin: bool = True,
    keep: int = 200,
    workers: int = 1,
    task: int | None = None,
    seed: int | None = None,
    pilot: bool = False,
) -> Estimate:
    """Estimate the peak memory and the time of ``escalsim run``.

    Parameters
    ----------
    spec : Scenario
        The scenario (with its horizon: apply ``--rounds`` first).
    replications : int
        Replications per condition.
    conditions : list of str, optional
        Conditions run (default: all of the scenario's).
    engine : {"batch", "agents"}
        The driver that runs (after "auto" is resolved).
    twin : bool
        Whether each replication's perfect-information twin runs too.
    keep : int
        Replications per condition whose timeseries and events are kept.
    workers : int
        Worker processes (1: this process).
    task : int, optional
        Replications per task (default: as the runner chooses).
    seed : int, optional
        Root seed, for the pilot (default: the scenario's).
    pilot : bool
        Measure how long crises last with a short pilot (about 0.1-1 s per condition) instead
        of assuming they all run to the horizon.

    Returns
    -------
    Estimate
    """
    shape = Shape.of(spec)
    names = conditions or spec.condition_names
    n = int(replications)
    workers = max(1, int(workers))
    if task is None:
        task = max(1, min(MAX_TASK if engine == "batch" else 25, math.ceil(n / workers)))
    task = max(1, min(int(task), n))
    alive: dict[str, float] = {}
    longest: dict[str, int] = {}
    for name in names:
        if pilot:
            mean, most = rounds_alive(
                spec,
                name if spec.conditions else None,
                spec.run.seed if seed is None else seed,
            )
        else:
            mean, most = float(shape.rounds), shape.rounds
        alive[name], longest[name] = mean, most
    runs = TWIN_RUNS if twin else 1
    kept = min(keep, n)
    tasks_per_condition = math.ceil(n / task)
    # memory
    in_parallel = max(1, min(workers, tasks_per_condition * len(names)))
    parts = {
        "base": BASE_BYTES,
        "workers": WORKER_BYTES * in_parallel if in_parallel > 1 else 0,
        "tasks": in_parallel * task_bytes(shape, task, twin, engine),
        "outcomes": RUN_ROW_BYTES * n * len(names),
        "detail": sum(_detail_bytes(shape, kept, alive[c]) for c in names),
    }
    # time
    per = rep_round_seconds(shape, engine)
    rep_rounds = sum(n * alive[c] * runs for c in names)
    seconds = rep_rounds * per + PER_REPLICATION_SECONDS * n * len(names)
    if engine == "batch":
        round_cost = round_seconds(shape) * runs
        seconds += sum(tasks_per_condition * longest[c] * round_cost for c in names)
        seconds += PER_TASK_SECONDS * tasks_per_condition * len(names)
    seconds = seconds / in_parallel + run_overhead_seconds(n * len(names))
    if in_parallel > 1:
        seconds += WORKER_START_SECONDS
    disk = int(n * len(names) * 60 + 0.25 * parts["detail"] / DETAIL_FACTOR)
    return Estimate(
        memory_bytes=int(sum(parts.values())),
        seconds=seconds,
        task=task,
        workers=in_parallel,
        parts=parts,
        rounds_alive=alive,
        measured=pilot,
        replication_rounds=rep_rounds,
        disk_bytes=disk,
    )


def with_figures(est: Estimate) -> Estimate:
    """``est`` with the run folder's figures drawn too: :data:`FIGURES_SECONDS` more, and a note."""
    note = f"figures: {human_seconds(FIGURES_SECONDS)} included (none with --no-plots)"
    return replace(est, seconds=est.seconds + FIGURES_SECONDS, notes=(*est.notes, note))


def with_paths(
    main: Estimate,
    spec: Scenario,
    replications: int,
    pair: tuple[str, str],
    *,
    task: int,
    seed: int | None = None,
) -> Estimate:
    """``main`` with the Shapley paths of ``pair`` added (``run --paths``, docs/decision-v2.md §8).

    The paths are 8 more runs of the replications of the base condition, each with some paths
    in the other condition's channel state (:func:`escalsim.experiment.paths.decompose`): batch
    engine, in this process, no twin, no detail kept, tasks of ``task`` replications, after the
    main run and while its frames are held. So the time adds 4 times that of the pair's two
    conditions run that way (their crises' lengths measured as ``main``'s are, by the pilot if
    it ran). The memory part ``paths`` is one such task and the 8 runs' outcome rows; they run
    after the main run's tasks and workers are done, so the peak is the larger of the main run's
    and the main run's without them plus ``paths``.
    """
    pair_run = estimate(
        spec,
        replications,
        conditions=list(pair),
        engine="batch",
        twin=False,
        keep=0,
        workers=1,
        task=task,
        pilot=main.measured,
        seed=seed,
    )
    switch_sets = 8
    pair_overhead = run_overhead_seconds(int(replications) * len(pair))
    extra = (
        task_bytes(Shape.of(spec), min(task, replications), False)
        + RUN_ROW_BYTES * int(replications) * switch_sets
    )
    parts = {**main.parts, "paths": extra}
    after = main.memory_bytes - main.parts.get("tasks", 0) - main.parts.get("workers", 0) + extra
    return replace(
        main,
        memory_bytes=max(main.memory_bytes, after),
        seconds=main.seconds + switch_sets / 2 * (pair_run.seconds - pair_overhead),
        parts=parts,
        replication_rounds=main.replication_rounds + switch_sets / 2 * pair_run.replication_rounds,
    )


def _refuse(loc: str, message: str, source: str) -> LimitError:
    return LimitError([Problem(0, 0, (loc,), message, source)])


def plan_run(
    spec: Scenario,
    replications: int,
    *,
    conditions: list[str] | None = None,
    engine: str = "batch",
    twin: bool = True,
    keep: int = 200,
    workers: int = 1,
    task: int | None = None,
    seed: int | None = None,
    max_memory: int | None = None,
    force: bool = False,
    paths: tuple[str, str] | None = None,
) -> Estimate:
    """Choose a task size that fits the memory budget, or refuse the run.

    The estimate assumes every crisis runs to the horizon (an upper bound); when that does not
    fit, a pilot measures how long they last before deciding. Tasks shrink (down to one
    replication) until the estimate fits; results do not depend on the task size.

    Parameters
    ----------
    spec, replications, conditions, engine, twin, keep, workers, task, seed
        As :func:`estimate`.
    max_memory : int, optional
        The budget in bytes (default: :data:`BUDGET_FRACTION` of the available memory).
    force : bool
        Run even when the estimate exceeds the budget (tasks are still made to fit if they can).
    paths : (str, str), optional
        The pair of conditions ``run --paths`` splits: the estimate includes its 8 runs
        (:func:`with_paths`, in the runner's tasks of ``BATCH_CHUNK`` replications), and a run
        whose paths do not fit is refused.

    Returns
    -------
    Estimate
        With the task size to use.

    Raises
    ------
    LimitError
        When the run does not fit even in tasks of one replication, or its paths do not fit
        (and ``force`` is off).
    """
    budget = memory_budget(max_memory)
    kwargs: dict[str, Any] = dict(
        conditions=conditions, engine=engine, twin=twin, keep=keep, workers=workers, seed=seed
    )

    def with_its_paths(main: Estimate) -> Estimate:
        if paths is None:
            return main
        from escalsim.experiment.runner import BATCH_CHUNK

        both = with_paths(main, spec, replications, paths, task=BATCH_CHUNK, seed=seed)
        if both.memory_bytes <= budget or force:
            return both
        raise _refuse(
            "--paths",
            f"the paths' 8 runs need about {human_bytes(both.parts['paths'])} after the run "
            f"({human_bytes(both.memory_bytes)} at the peak), more than the budget of "
            f"{human_bytes(budget)} ({_budget_text(max_memory)}); run fewer replications with "
            "--paths, or override with --max-memory SIZE or --force",
            spec.id,
        )

    est = estimate(spec, replications, task=task, **kwargs)
    if est.memory_bytes <= budget:
        return with_its_paths(est)
    est = estimate(spec, replications, task=task, pilot=True, **kwargs)
    if est.memory_bytes <= budget:
        return with_its_paths(est)
    fitted = _fit_task(est, budget, lambda t: estimate_parts(spec, replications, t, est, kwargs))
    if fitted is not None:
        return with_its_paths(fitted)
    if force:
        return with_its_paths(est)
    fixed = estimate_parts(spec, replications, 1, est, kwargs).memory_bytes
    hints = []
    if est.parts["detail"] > budget / 4:
        hints.append(
            f"keep the detail of fewer replications (--keep; now {min(keep, replications)})"
        )
    if est.parts["outcomes"] > budget / 4:
        hints.append("run fewer replications or conditions at a time (--replications, --condition)")
    if engine == "batch" and workers > 1:
        hints.append("use fewer --workers")
    raise _refuse(
        "--replications",
        f"this run needs about {human_bytes(est.memory_bytes)} of memory "
        f"({', '.join(f'{k} {human_bytes(v)}' for k, v in est.parts.items() if v)}; even in "
        f"tasks of one replication at least {human_bytes(fixed)}), more than the budget of "
        f"{human_bytes(budget)} ({_budget_text(max_memory)}); "
        + ("; ".join(hints) + "; " if hints else "")
        + "or override with --max-memory SIZE (e.g. --max-memory 32G) or --force",
        spec.id,
    )


def _budget_text(max_memory: int | None) -> str:
    if max_memory is not None:
        return "--max-memory"
    return f"{BUDGET_FRACTION:.0%} of the {human_bytes(available_memory())} available now"


def estimate_parts(
    spec: Scenario, replications: int, task: int, base: Estimate, kwargs: dict[str, Any]
) -> Estimate:
    """``base`` recomputed for another task size (the pilot's crisis lengths are reused)."""
    shape = Shape.of(spec)
    engine = kwargs["engine"]
    n = int(replications)
    names = list(base.rounds_alive)
    tasks = math.ceil(n / task) * len(names)
    in_parallel = max(1, min(int(kwargs["workers"]), tasks))
    parts = dict(base.parts)
    parts["workers"] = WORKER_BYTES * in_parallel if in_parallel > 1 else 0
    parts["tasks"] = in_parallel * task_bytes(shape, task, kwargs["twin"], engine)
    extra = 0.0
    if engine == "batch":
        runs = TWIN_RUNS if kwargs["twin"] else 1
        round_cost = round_seconds(shape) * runs
        extra = (math.ceil(n / task) - math.ceil(n / base.task)) * (
            shape.rounds * round_cost + PER_TASK_SECONDS
        )
        extra *= len(names) / in_parallel
    return replace(
        base,
        memory_bytes=int(sum(parts.values())),
        seconds=base.seconds + max(0.0, extra),
        task=task,
        workers=in_parallel,
        parts=parts,
    )


def _fit_task(est: Estimate, budget: int, at: Any) -> Estimate | None:
    """The largest task size (halving from the estimate's) whose estimate fits the budget."""
    task = est.task
    while task > 1:
        task = max(1, task // 2)
        candidate = at(task)
        if candidate.memory_bytes <= budget:
            return replace(
                candidate,
                notes=(
                    *candidate.notes,
                    f"tasks of {task} replications (not {est.task}) to fit the budget of "
                    f"{human_bytes(budget)}; results do not depend on the task size",
                ),
            )
    return None


# -- sweeps --------------------------------------------------------------------------------------
def estimate_sweep(
    sweep: Any,
    chunk: int,
    workers: int,
    *,
    in_flight: int | None = None,
    local: bool = True,
) -> Estimate:
    """Estimate the peak memory and the time of a sweep (tasks of ``chunk`` replications).

    Parameters
    ----------
    sweep : escalsim.experiment.sweep.Sweep
        The sweep.
    chunk : int
        Replications per task.
    workers : int
        Workers (local processes, or a Dask cluster's threads).
    in_flight : int, optional
        Tasks submitted at a time (default: twice the workers), whose rows the main process
        may hold before writing them.
    local : bool
        Whether the workers are local processes (their memory counts here); False for Dask.

    Returns
    -------
    Estimate
        Crises are assumed to run to the horizon at every point (an upper bound).
    """
    spec = sweep.scenario
    shape = Shape.of(spec, sweep.layout())
    points = len(sweep.points)
    n = int(sweep.replications)
    given = max(1, int(chunk))
    chunk = min(given, n)
    workers = max(1, int(workers))
    flight = in_flight or 2 * workers
    tasks = points * math.ceil(n / chunk)
    in_parallel = max(1, min(workers, tasks))
    # run_batch runs a task in sub-chunks of the engine's CHUNK (4,000) replications.
    from escalsim.batch.engine import CHUNK

    inner = min(chunk, CHUNK)
    per_task = task_bytes(shape, inner, sweep.twin) + chunk * SWEEP_ROW_BYTES
    parts = {
        "base": BASE_BYTES,
        "workers": WORKER_BYTES * in_parallel if local and in_parallel > 1 else 0,
        "tasks": in_parallel * per_task if local else 0,
        "outcomes": min(flight, tasks) * chunk * SWEEP_ROW_BYTES + points * 200,
        "detail": 0,
    }
    runs = TWIN_RUNS if sweep.twin else 1
    rep_rounds = points * n * shape.rounds * runs
    seconds = rep_rounds * rep_round_seconds(shape, "batch")
    seconds += PER_REPLICATION_SECONDS * points * n
    round_cost = round_seconds(shape) * runs
    seconds += tasks * (math.ceil(chunk / inner) * shape.rounds * round_cost + PER_TASK_SECONDS)
    seconds = seconds / in_parallel + (WORKER_START_SECONDS if local and in_parallel > 1 else 0)
    return Estimate(
        memory_bytes=int(sum(parts.values())),
        seconds=seconds,
        task=given,  # the chunk as given: tasks are the same when it exceeds the replications
        workers=in_parallel,
        parts=parts,
        rounds_alive={"all points": float(shape.rounds)},
        measured=False,
        replication_rounds=float(rep_rounds),
        disk_bytes=int(points * n * 80),
    )


def plan_sweep(
    sweep: Any,
    chunk: int,
    workers: int,
    *,
    local: bool = True,
    max_memory: int | None = None,
    force: bool = False,
    fixed_chunk: bool = False,
) -> Estimate:
    """Check a sweep against the documented limits and the memory budget; lower its chunk.

    Parameters
    ----------
    sweep : escalsim.experiment.sweep.Sweep
        The sweep.
    chunk, workers, local
        As :func:`estimate_sweep`.
    max_memory : int, optional
        The budget in bytes (default: a share of the available memory).
    force : bool
        Run even when the estimate exceeds the budget.
    fixed_chunk : bool
        The chunk cannot change (a sweep being resumed keeps its manifest's).

    Returns
    -------
    Estimate
        With the chunk to use (results do not depend on it).

    Raises
    ------
    LimitError
        Beyond a documented limit, or when the sweep does not fit.
    """
    points = len(sweep.points)
    if points > MAX_SWEEP_POINTS:
        raise _refuse(
            "--samples",
            f"the sweep has {points:,} points; at most {MAX_SWEEP_POINTS:,} (a part's name "
            "holds six digits of the point): split it into several sweeps",
            sweep.scenario.id,
        )
    if sweep.replications > MAX_SWEEP_REPLICATIONS:
        raise _refuse(
            "--replications",
            f"{sweep.replications:,} replications per point; a sweep runs at most "
            f"{MAX_SWEEP_REPLICATIONS:,} (a part's name holds seven digits of the replication)",
            sweep.scenario.id,
        )
    budget = memory_budget(max_memory)
    est = estimate_sweep(sweep, chunk, workers, local=local)
    if est.memory_bytes <= budget or force:
        return est
    if not fixed_chunk:
        start = estimate_sweep(sweep, min(chunk, sweep.replications), workers, local=local)
        fitted = _fit_task(start, budget, lambda t: estimate_sweep(sweep, t, workers, local=local))
        if fitted is not None:
            return fitted
    least = estimate_sweep(sweep, 1, workers, local=local).memory_bytes
    raise _refuse(
        "--chunk",
        f"this sweep needs about {human_bytes(est.memory_bytes)} of memory "
        f"({', '.join(f'{k} {human_bytes(v)}' for k, v in est.parts.items() if v)}"
        + (
            "; it is being resumed, so its chunk is fixed"
            if fixed_chunk
            else f"; even in tasks of one replication at least {human_bytes(least)}"
        )
        + f"), more than the budget of {human_bytes(budget)} ({_budget_text(max_memory)}); "
        + ("use fewer --workers; " if local and workers > 1 else "")
        + "or override with --max-memory SIZE (e.g. --max-memory 32G) or --force",
        sweep.scenario.id,
    )


__all__ = [
    "MAX_ACTORS",
    "MAX_REPLICATIONS",
    "MAX_ROUNDS",
    "MAX_SWEEP_POINTS",
    "MAX_SWEEP_REPLICATIONS",
    "Estimate",
    "LimitError",
    "Shape",
    "available_memory",
    "estimate",
    "estimate_sweep",
    "human_bytes",
    "memory_budget",
    "parse_size",
    "plan_run",
    "plan_sweep",
]
