"""The results of a run: tidy frames, statistics, figures, and a self-describing folder."""

from __future__ import annotations

import contextlib
import errno
import gc
import json
import os
import re
import secrets
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from escalsim.experiment.provenance import canonical_scenario, versions
from escalsim.scenario import Scenario

#: Files of a run folder.
RUNS, TIMESERIES, EVENTS, SUMMARY, MANIFEST = (
    "runs.parquet",
    "timeseries.parquet",
    "events.parquet",
    "summary.csv",
    "manifest.json",
)
#: The Shapley paths table of a run made with ``paths=True`` (``run --paths``).
PATHS = "paths.csv"
#: The metrics the forest plot shows where the run has them (all of them are in summary.csv and
#: the JSON): the pairs' metrics only where listed pairs can fight.
KEY_METRICS = (
    "p_war",
    "p_war_attributable",
    "p_war_any",
    "p_nuclear",
    "mean_peak_rung",
    "miscalculation_rate",
    "miscalculated_escalations_per_run",
    "perception_error_rate",
    "spillovers_misattributed_per_run",
    "final_trust",
)
#: Figure file names, by the Results method that draws them.
FIGURES = {
    "plot_fan": "ladder_fan.png",
    "plot_war": "war_by_round.png",
    "plot_forest": "condition_effects.png",
    "plot_network": "channel_network.png",
    "plot_causes": "escalation_causes.png",
}
#: The figures a run's helper process may draw while this process draws the others
#: (:meth:`Results.save_figures`): their data is small whatever the run (the differences
#: table, the scenario), and they are about half of the drawing: the forest plot 0.28-0.32 s
#: and the network 0.11 s of CPU against 0.14-0.23 s for the fan and 0.07 s each for the
#: other two (geneva-2022, 200 replications, in one warm process, 6 December 2026). The
#: others read the runs, timeseries and events, which grow with the replications.
HELPER_FIGURES = ("plot_forest", "plot_network")


# -- durable writing ----------------------------------------------------------------------------
#: errno values that mean the disk (or a quota, or a file-size limit) has no room for a write.
NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


class WriteError(OSError):
    """Writing ``filename`` failed; ``errno`` is the cause's (recovered from pyarrow's text).

    Raised by :func:`write_atomic`; nothing is left under the file's name or its temporary one.
    """

    def __init__(self, path: str | os.PathLike[str], cause: OSError) -> None:
        code = cause.errno
        if code is None:  # pyarrow: "... Detail: [errno 28] No space left on device"
            found = re.search(r"\[errno (\d+)\]", str(cause), re.IGNORECASE)
            code = int(found[1]) if found else None
        text = os.strerror(code) if code else str(cause)
        super().__init__(code, text, str(path))

    @property
    def no_space(self) -> bool:
        """The write failed for want of space (a full disk, a quota, a file-size limit)."""
        return self.errno in NO_SPACE


def is_no_space(exc: BaseException) -> bool:
    """Whether ``exc`` is a write that failed for want of space."""
    if not isinstance(exc, OSError):
        return False
    return exc.errno in NO_SPACE or WriteError(exc.filename or "", exc).no_space


def fsync_path(path: str | os.PathLike[str]) -> None:
    """Flush a file, or a directory's entries, to the disk (a no-op where unsupported)."""
    flags = os.O_RDONLY | (os.O_DIRECTORY if Path(path).is_dir() else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:  # some file systems cannot sync a directory
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def write_atomic(path: str | os.PathLike[str], write: Callable[[Path], Any]) -> Path:
    """Write a file so that its name only ever holds a complete file.

    ``write(tmp)`` writes a temporary file beside ``path``; it is flushed to the disk
    (fsync), renamed over ``path`` (:func:`os.replace`), and the directory is flushed. On any
    error or interruption the temporary file is removed and the old ``path`` (if any) stays.

    Raises
    ------
    WriteError
        For an ``OSError`` while writing (``.no_space`` for a full disk), naming ``path``.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        write(tmp)
        fsync_path(tmp)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError) and not isinstance(exc, WriteError):
            raise WriteError(path, exc) from exc
        raise
    fsync_path(path.parent)
    return path


def write_json_atomic(path: str | os.PathLike[str], data: Any, **dumps: Any) -> Path:
    """:func:`write_atomic` of ``data`` as JSON text (a trailing newline)."""
    text = json.dumps(data, **dumps) + "\n"
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_parquet_atomic(path: str | os.PathLike[str], frame: pd.DataFrame) -> Path:
    """:func:`write_atomic` of a frame as Parquet (no index)."""
    return write_atomic(path, lambda tmp: frame.to_parquet(tmp, index=False))


#: Threads inside :func:`_collecting_young`, and whether automatic collection was on when the
#: first of them entered (the switch is the process's, so it is turned off once and back on
#: when the last leaves).
_YOUNG_LOCK = threading.Lock()
_young = {"inside": 0, "was_enabled": False}


@contextlib.contextmanager
def _collecting_young() -> Iterator[Callable[[], None]]:
    """Automatic garbage collection off inside, across threads; yields a young collection.

    Collection is the process's switch: the first thread in turns it off, the last one out
    turns it back on if it was on (so a save in one thread does not turn it on under another's
    drawing, nor leave it off). The function yielded collects the youngest generation, and
    does nothing where collection was off before (the caller's choice).
    """
    with _YOUNG_LOCK:
        if _young["inside"] == 0:
            _young["was_enabled"] = gc.isenabled()
            gc.disable()
        _young["inside"] += 1
        enabled = bool(_young["was_enabled"])

    def collect() -> None:
        if enabled:
            gc.collect(0)

    try:
        yield collect
    finally:
        with _YOUNG_LOCK:
            _young["inside"] -= 1
            if _young["inside"] == 0 and _young["was_enabled"]:
                gc.enable()


def _draw(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The figure of :mod:`escalsim.viz.figures`'s function ``name`` on its data."""
    from escalsim.viz import figures

    return getattr(figures, name)(*args, **kwargs)


def draw_figure(
    name: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    path: str | os.PathLike[str],
    settings: dict[str, str] | None = None,
) -> Path:
    """Draw a figure (``Results._figure_call``'s) and write it to ``path``, in any process.

    What :meth:`Results.save_figures` sends a helper process: the same drawing and file as
    in this process (garbage collection off meanwhile, as there). ``settings``: the sending
    process's matplotlib settings (:func:`figure_settings`); where this process's differ (the
    caller set a style or an ``rcParams`` value, which a spawned helper does not have), it
    raises RuntimeError and draws nothing, and the sender draws the figure itself.
    """
    from escalsim.viz import figures

    if settings is not None and figure_settings() != settings:
        raise RuntimeError("matplotlib's settings differ from the sending process's")
    with _collecting_young():
        return figures.save_figure(_draw(name, args, kwargs), Path(path))


def figure_settings() -> dict[str, str]:
    """The matplotlib settings in force here (``rcParams``), each value as its ``repr``.

    What a figure's look depends on; compared between this process and a helper before the
    helper draws (:func:`draw_figure`).
    """
    import matplotlib

    return {key: repr(value) for key, value in matplotlib.rcParams.items()}


@dataclass
class Results:
    """What a run produced.

    Attributes
    ----------
    scenario : Scenario
        The scenario run (base; conditions are in it).
    runs : pandas.DataFrame
        One row per (condition, replication): outcome and every run metric.
    timeseries : pandas.DataFrame
        Round × actor rows of the kept replications (``manifest['kept_replications']`` per
        condition: the first ones).
    events : pandas.DataFrame
        Events of the kept replications.
    manifest : dict
        Seed, replications, conditions, engine, versions, wall time, ...; with the paths, the
        pair and cost under ``paths``.
    paths : pandas.DataFrame, optional
        With ``run(paths=True)``: the baseline's difference to the first other condition split
        into its Shapley paths (:class:`escalsim.experiment.paths.PathDecomposition`'s table;
        docs/decision-v2.md §8).
    attachments : dict
        Further files saved into the run folder: path inside it -> the file to copy (a run
        with LLM actors attaches its recording, ``llm/calls.jsonl``).
    """

    scenario: Scenario
    runs: pd.DataFrame
    timeseries: pd.DataFrame
    events: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)
    paths: pd.DataFrame | None = None
    attachments: dict[str, Path] = field(default_factory=dict)
    #: summary() and compare() of the runs as they were last asked for (see _memo).
    _memos: dict[tuple[Any, ...], tuple[Any, pd.DataFrame]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    # -- statistics ----------------------------------------------------------------------------
    @property
    def baseline(self) -> str:
        """The condition differences are taken against."""
        return str(self.manifest.get("baseline") or self.runs["condition"].iloc[0])

    def summary(self, confidence: float = 0.95) -> pd.DataFrame:
        """Each metric per condition with its confidence interval and Monte Carlo SE."""
        from escalsim.experiment import stats

        return self._memo(
            ("summary", confidence), lambda: stats.summary(self.runs, confidence=confidence)
        )

    def compare(self, baseline: str | None = None, confidence: float = 0.95) -> pd.DataFrame:
        """Paired differences of each condition against the baseline, with CIs."""
        from escalsim.experiment import stats

        against = baseline or self.baseline
        return self._memo(
            ("compare", against, confidence),
            lambda: stats.differences(self.runs, against, confidence=confidence),
        )

    def _memo(self, key: tuple[Any, ...], compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """``compute()``, or a copy of what it gave the last time for the same ``runs``.

        A saved run asks for its summary twice (summary.csv, the table) and its differences up
        to three times (the forest plot, the table, the warnings): 20 ms of CPU each for 400
        runs. The runs are recognised by their columns and a hash of their values (2 ms), so a
        frame changed in place or replaced is summarised again.
        """
        import numpy as np

        try:
            stamp = (tuple(self.runs.columns), pd.util.hash_pandas_object(self.runs).to_numpy())
        except TypeError:  # a column of values that cannot be hashed: no memo
            return compute()
        found = self._memos.get(key)
        if found is not None:
            (columns, hashes), value = found
            if columns == stamp[0] and np.array_equal(hashes, stamp[1]):
                return value.copy()
        value = compute()
        self._memos[key] = (stamp, value.copy())
        return value

    def contract(self) -> dict[str, Any]:
        """The JSON contract printed by ``escalsim run --format json``."""
        from escalsim.experiment import stats

        body = stats.to_contract(self.summary(), self.compare())
        head = {
            k: self.manifest.get(k)
            for k in ("scenario_id", "seed", "replications", "baseline", "twin", "engine")
        }
        if self.paths is not None:
            from escalsim.experiment.paths import paths_contract

            pair = self.manifest["paths"]
            body["paths"] = paths_contract(
                self.paths, pair["base"], pair["other"], pair["replications"]
            )
        return {**head, **body}

    # -- figures -------------------------------------------------------------------------------
    def plot_fan(self) -> Any:
        """Ladder trajectories per condition: median and 50/90% bands."""
        return _draw(*self._figure_call("plot_fan"))

    def plot_war(self) -> Any:
        """Cumulative P(war) by round per condition."""
        return _draw(*self._figure_call("plot_war"))

    def plot_forest(self) -> Any:
        """Paired condition effects with their CIs."""
        return _draw(*self._figure_call("plot_forest"))

    def plot_network(self) -> Any:
        """The channel network."""
        return _draw(*self._figure_call("plot_network"))

    def plot_causes(self) -> Any:
        """Escalation steps per run by cause."""
        return _draw(*self._figure_call("plot_causes"))

    def _figure_call(self, method: str) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        """The figure ``method`` draws: a function of :mod:`escalsim.viz.figures` and its data.

        Plain data (frames, the scenario), so that another process can draw it too
        (:func:`draw_figure`, :meth:`save_figures`).
        """
        if method == "plot_fan":
            replications = self.manifest.get("replications")
            return "fan_chart", (self.timeseries, self.scenario), {"replications": replications}
        if method == "plot_war":
            rounds = int(self.manifest.get("rounds") or self.scenario.run.rounds)
            return "war_survival", (self.runs, rounds), {"time_unit": self.scenario.run.time_unit}
        if method == "plot_forest":
            diffs = self.compare()
            wanted = [m for m in KEY_METRICS if m in set(diffs["metric"])]
            return "forest_plot", (diffs,), {"metrics": wanted}
        if method == "plot_network":
            return "channel_network", (self.scenario,), {}
        if method == "plot_causes":
            kept = (
                {
                    str(c): int(n)
                    for c, n in self.timeseries.groupby("condition")["replication"]
                    .nunique()
                    .items()
                }
                if len(self.timeseries)
                else None
            )
            total = self.manifest.get("replications")
            return (
                "escalation_causes",
                (self.events,),
                {
                    "replications": kept,
                    "total": dict.fromkeys(kept, int(total)) if kept and total else None,
                },
            )
        raise ValueError(f"no figure {method!r}; expected one of: {', '.join(FIGURES)}")

    def save_figures(
        self, folder: str | os.PathLike[str], helpers: Executor | None = None
    ) -> list[Path]:
        """Draw every figure into ``folder``; return the files written.

        Python's automatic garbage collection is off meanwhile (:func:`_collecting_young`: in
        the whole process, which is what the switch is), and each figure's garbage is collected
        as soon as it is written, while it is young: a figure is tens of thousands of objects in
        reference cycles, and their churn set off collections of every object in the process
        (about 0.05-0.15 s each, in one call in two), which found nothing old to free. Importing
        matplotlib, the first time, set one off too.

        Given ``helpers`` (the run's executor, kept open for this:
        :class:`escalsim.experiment.executors.HeldExecutor`), the figures of
        :data:`HELPER_FIGURES` are queued there (:func:`draw_figure`) while this process draws
        the others; a helper process takes them as soon as it is idle, and this process takes
        those still queued when it is done with its own (a
        :class:`~escalsim.experiment.executors.SharedExecutor`'s ``work_here``): the same
        files, byte for byte, wherever drawn. One that a helper fails to draw (it died, or
        its matplotlib settings are not this process's: :func:`draw_figure`) is drawn here.
        """
        with _collecting_young() as collect:
            from escalsim.viz import figures

            folder = Path(folder)
            folder.mkdir(parents=True, exist_ok=True)
            wanted = [
                (method, folder / name)
                for method, name in FIGURES.items()
                # no difference to show with one condition
                if method != "plot_forest" or len(self.runs["condition"].unique()) >= 2
            ]
            sent: dict[str, Future[Path]] = {}
            if helpers is not None:
                settings = figure_settings()  # a helper whose settings differ draws nothing
                for method, path in wanted:
                    if method in HELPER_FIGURES:
                        call = self._figure_call(method)
                        sent[method] = helpers.submit(draw_figure, *call, path, settings)
            written: dict[str, Path] = {}
            for method, path in wanted:
                if method not in sent:
                    written[method] = figures.save_figure(getattr(self, method)(), path)
                    collect()  # the figure, unreachable now, and young: a short collection
            work_here = getattr(helpers, "work_here", None)
            while work_here is not None and work_here():
                collect()  # a figure no helper had taken yet, drawn here
            for method, future in sent.items():
                try:
                    written[method] = future.result()
                except Exception:  # the helper failed (died): the figure is drawn here
                    path = dict(wanted)[method]
                    written[method] = figures.save_figure(getattr(self, method)(), path)
                    collect()
        return [written[method] for method, _ in wanted]

    # -- storage -------------------------------------------------------------------------------
    def save(
        self,
        folder: str | os.PathLike[str],
        *,
        plots: bool = True,
        work: str | os.PathLike[str] | None = None,
        helpers: Executor | None = None,
    ) -> Path:
        """Write the run folder atomically: it appears complete under its name, or not at all.

        Everything is written into a work folder (by default a hidden sibling
        ``.NAME.<pid>.<hex>.partial``), each file flushed to the disk, and the folder is then
        renamed to ``folder``; an interrupted save leaves at most the work folder behind.

        Parameters
        ----------
        folder : path
            The run folder; it must not exist, or be an empty folder.
        plots : bool
            Draw the figures too.
        work : path, optional
            The work folder (on the same file system as ``folder``; emptied first).
        helpers : concurrent.futures.Executor, optional
            Helper processes that draw some of the figures meanwhile (:meth:`save_figures`).

        Raises
        ------
        FileExistsError
            When ``folder`` exists and is not an empty folder.
        WriteError
            When a file cannot be written (``.no_space`` for a full disk); ``folder`` does not
            appear.
        """
        final = Path(folder)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists() and not _empty_folder(final):
            raise FileExistsError(f"{final} exists; choose another --out")
        # Not tempfile.mkdtemp: its 0700 mode would survive the rename; mkdir honours the umask.
        if work is None:
            temp = final.parent / f".{final.name}.{os.getpid()}.{secrets.token_hex(4)}.partial"
        else:
            temp = Path(work)
            shutil.rmtree(temp, ignore_errors=True)  # what an interrupted save left
        try:
            temp.mkdir()
        except OSError as exc:
            raise WriteError(temp, exc) from exc
        try:
            write_parquet_atomic(temp / RUNS, self.runs)
            write_parquet_atomic(temp / TIMESERIES, self.timeseries)
            write_parquet_atomic(temp / EVENTS, self.events)
            write_atomic(temp / SUMMARY, lambda tmp: self.summary().to_csv(tmp, index=False))
            files = {"runs": RUNS, "timeseries": TIMESERIES, "events": EVENTS, "summary": SUMMARY}
            if self.paths is not None:
                table = self.paths
                write_atomic(temp / PATHS, lambda tmp: table.to_csv(tmp, index=False))
                files["paths"] = PATHS
            for name, source in self.attachments.items():
                target = temp / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
                fsync_path(target)
                files[Path(name).stem] = name
            data, digest = canonical_scenario(self.scenario)
            manifest = {
                **self.manifest,
                "scenario_sha256": digest,
                "versions": versions(),
                "created": self.manifest.get("created")
                or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "files": files,
                "scenario": data,
            }
            write_json_atomic(temp / MANIFEST, manifest, indent=2, ensure_ascii=False)
            if plots:
                try:
                    written = self.save_figures(temp, helpers)
                except OSError as exc:
                    raise WriteError(exc.filename or temp, exc) from exc
                for path in written:
                    fsync_path(path)
            fsync_path(temp)
            os.replace(temp, final)  # POSIX renames a folder over an empty one
            fsync_path(final.parent)
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise
        return final

    @classmethod
    def load(cls, folder: str | os.PathLike[str]) -> Results:
        """Read a run folder written by :meth:`save`."""
        folder = Path(folder)
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        scenario = Scenario.model_validate(manifest["scenario"])
        meta = {k: v for k, v in manifest.items() if k != "scenario"}
        stored = manifest.get("files", {}).get("paths")
        return cls(
            scenario=scenario,
            runs=pd.read_parquet(folder / RUNS),
            timeseries=pd.read_parquet(folder / TIMESERIES),
            events=pd.read_parquet(folder / EVENTS),
            manifest=meta,
            paths=pd.read_csv(folder / stored) if stored else None,
        )


def _empty_folder(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink() and not any(path.iterdir())


# -- a run written in parts ---------------------------------------------------------------------
def work_folder(folder: str | os.PathLike[str]) -> Path:
    """Where the run folder ``folder`` is built: the hidden sibling ``.NAME.partial``."""
    final = Path(folder)
    return final.parent / f".{final.name}.partial"


class RunParts:
    """A run being computed into the part store of its work folder ``.NAME.partial``.

    The store (:class:`escalsim.experiment.store.PartStore`: ``manifest.json``, one part per
    finished chunk, a lock) is filled by :func:`escalsim.run` with ``checkpoint=NAME``; when
    every part is there, :meth:`finish` assembles the run folder in ``.NAME.partial/out/``,
    renames it to ``NAME`` and removes the work folder. So a run stopped at any point leaves
    nothing, a complete run folder, or a work folder that a resumed run finishes without
    recomputing its parts.

    Parameters
    ----------
    folder : path
        The run folder (``--out``).
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        from escalsim.experiment.store import PartStore

        self.final = Path(folder)
        self.root = work_folder(self.final)
        self.store = PartStore(self.root, "escalsim-run")

    def manifest(self) -> dict[str, Any] | None:
        """The work folder's manifest, or None when there is no readable one."""
        from escalsim.experiment.store import StoreError

        try:
            return self.store.manifest()
        except StoreError:
            return None

    def done(self) -> set[str]:
        """Names of the parts written."""
        return self.store.done()

    def saved(self) -> str:
        """What is saved, for the message of an interrupted run."""
        manifest = self.manifest()
        if manifest is None:
            return "nothing was saved"
        return f"{len(self.done())} of {manifest.get('parts', '?')} parts are saved in {self.root}"

    def finish(
        self, results: Results, *, plots: bool = True, helpers: Executor | None = None
    ) -> Path:
        """Assemble the run folder from ``results`` and remove the work folder.

        ``helpers``: the run's helper processes, which draw some of the figures
        (:meth:`Results.save_figures`).
        """
        from escalsim.experiment.store import locked

        with locked(self.root):
            final = results.save(self.final, plots=plots, work=self.root / "out", helpers=helpers)
            self.discard()
        return final

    def discard(self) -> None:
        """Remove the work folder (when no other process is using it)."""
        from escalsim.experiment.store import locked

        if not self.root.exists():
            return
        with locked(self.root):
            self.store.discard()
