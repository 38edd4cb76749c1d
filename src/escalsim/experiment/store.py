"""The one part store of runs and sweeps: a manifest, one Parquet part per task, a lock.

A store is a folder holding ``manifest.json`` (what is being computed, its hash, the chunk
size, provenance) and one part per finished task: ``runs/<task>.parquet`` and, for the
replications whose timeseries and events are kept, ``timeseries/<task>.parquet`` and
``events/<task>.parquet``. A sweep folder is a store; a run is computed in the store
``.NAME.partial`` beside its run folder, which is assembled from it at the end.

Every file is written to a temporary name, flushed and renamed, so it is whole or absent; a
part's ``runs`` file is written last, so a part is done exactly when that file is there. A
resume takes up the manifest in force (refusing a different request, naming what changed),
clears what an interrupted write left, and redoes any part that cannot be read. ``.lock``
(``fcntl.flock``) keeps a second process off a store in use; the kernel drops the lock of a
process that dies, so a killed run never blocks its resume.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from escalsim.errors import StoreError
from escalsim.experiment.provenance import check_numerics, request_hash, versions
from escalsim.experiment.tasks import Frames, Task

MANIFEST = "manifest.json"
LOCK = ".lock"
#: What clearing a work folder keeps: its lock, and the language-model actors' recording
#: (``llm/calls.jsonl``: answers paid for, which a run holds only once written, so a resume
#: stopped again before its first new answer must not lose them; docs/llm.md).
KEPT = frozenset({LOCK, "llm"})
#: The folders of a part's three frames (``runs`` last: its file marks the part done).
FRAMES = ("runs", "timeseries", "events")
#: The manifest format this version writes (sweep folders before it had no ``format``).
FORMAT = 2


# -- the lock -----------------------------------------------------------------------------------
#: Locks this process holds, by folder: (file descriptor, depth). A run's API call and the CLI
#: around it both take the folder's lock; flock would refuse the second open of the same file.
_HELD: dict[Path, list[int]] = {}


@contextlib.contextmanager
def locked(folder: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold ``folder``'s lock (creating the folder): refuse when another process holds it.

    Raises
    ------
    StoreError
        When another process holds the lock.
    """
    path = Path(folder).absolute()
    held = _HELD.get(path)
    if held is not None:
        held[1] += 1
        try:
            yield path
        finally:
            held[1] -= 1
        return
    created = not path.exists()
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd = os.open(path / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        from escalsim.experiment.results import WriteError

        raise WriteError(path, exc) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        os.close(fd)
        who = f" (process {holder})" if holder.isdigit() else ""
        raise StoreError(
            f"{folder} is in use by another escalsim process{who}; wait for it to finish, or "
            "stop it first"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    _HELD[path] = [fd, 1]
    try:
        yield path
    finally:
        del _HELD[path]
        if created and path.is_dir() and [p.name for p in path.iterdir()] == [LOCK]:
            # Made here and left with nothing in it (the command failed before it stored
            # anything): leave no trace.
            with contextlib.suppress(OSError):
                (path / LOCK).unlink()
                path.rmdir()
        os.close(fd)  # releases the lock


# -- the store ----------------------------------------------------------------------------------
class PartStore:
    """A folder of parts of one experiment (see the module's description).

    Parameters
    ----------
    root : path
        The folder (a sweep folder, or a run's work folder).
    kind : {"escalsim-run", "escalsim-sweep"}
        What the manifest must say it holds.
    hint : str
        The command that finishes the experiment, for messages about damaged parts.
    """

    def __init__(self, root: str | os.PathLike[str], kind: str, hint: str = "--resume") -> None:
        self.root = Path(root)
        self.kind = kind
        self.hint = hint
        #: Parts found unreadable by :meth:`begin` (removed: they are run again).
        self.damaged: list[str] = []

    @property
    def manifest_path(self) -> Path:
        """The manifest's path."""
        return self.root / MANIFEST

    def folder(self, frame: str) -> Path:
        """Where a frame's parts go (``runs``, ``timeseries`` or ``events``)."""
        return self.root / frame

    def manifest(self) -> dict[str, Any] | None:
        """The stored manifest, or None when there is none.

        Raises
        ------
        StoreError
            When it exists but cannot be read, is not a manifest, or is of another kind.
        """
        return read_manifest(self.root, self.kind)

    def begin(self, request: dict[str, Any], chunk: int, resume: bool, **extra: Any) -> int:
        """Start the experiment, or take up the one stored; return the chunk size in force.

        A stored manifest with no finished part is replaced (a retry loses nothing).

        Raises
        ------
        StoreError
            When a manifest is stored and ``resume`` is off (at ``--out``), when it holds a
            different request (at ``--resume``, naming what changed), when it is damaged, or
            when ``resume`` finds nothing to resume in a folder that holds something else.
        NumericsError
            When the stored parts were computed with other numerics than this process's
            (:func:`~escalsim.experiment.provenance.check_numerics`) and some are left to
            compute.
        WriteError
            When the folder cannot be written.
        """
        old = self.manifest()
        digest = request_hash(request)
        if old is not None and self.done():
            if not resume:
                raise StoreError(
                    f"{self.root} already holds a {_what(self.kind)} "
                    f"({len(self.done())} of {old.get('parts', '?')} parts done); add --resume "
                    "to finish it, or choose another --out (or remove that folder to start "
                    "again)"
                )
            if old.get("request_sha256") != digest:
                raise StoreError(
                    f"{self.root} holds a different {_what(self.kind)} (changed: "
                    f"{', '.join(changed_fields(old.get('request') or {}, request))}); it "
                    "cannot be resumed with these options",
                    "--resume",
                )
            # Parts computed here would not be those the first machine computes for the same
            # seed: refuse to mix them (folders written before numerics were recorded pass, and
            # so does a store with nothing left to compute).
            parts = old.get("parts")
            if not (isinstance(parts, int) and len(self.done()) >= parts):
                check_numerics(
                    old.get("versions", {}).get("numerics"),
                    f"the parts in {self.root} were computed with",
                    "--resume",
                )
            self._clear_temporaries()
            self.damaged = self._drop_unreadable()
            return int(old["chunk"])
        if old is None and resume and _has_content(self.root):
            raise StoreError(f"{self.root} has no {MANIFEST}: nothing to resume", "--resume")
        self._clear()
        from escalsim.experiment.results import write_json_atomic

        for frame in FRAMES:
            self.folder(frame).mkdir(parents=True, exist_ok=True)
        write_json_atomic(
            self.manifest_path,
            {
                "kind": self.kind,
                "format": FORMAT,
                "request": request,
                "request_sha256": digest,
                "chunk": int(chunk),
                **extra,
                "versions": versions(),
                "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
            indent=2,
            sort_keys=True,
        )
        return int(chunk)

    def done(self) -> set[str]:
        """Names of the parts written (their ``runs`` file is there)."""
        runs = self.folder("runs")
        if not runs.is_dir():
            return set()
        return {p.name for p in runs.iterdir() if Task.parse(p.name) is not None}

    def write(self, task: Task, frames: Frames) -> None:
        """Write one part: timeseries and events first, ``runs`` last (it marks it done).

        Raises
        ------
        WriteError
            When it cannot be written (``.no_space`` for a full disk); the part is not done.
        """
        from escalsim.experiment.results import write_parquet_atomic

        for frame, data in reversed(list(zip(FRAMES, frames, strict=True))):
            if frame == "runs" or not data.empty:
                write_parquet_atomic(self.folder(frame) / task.name, data)

    def read(self, tasks: list[Task], kept: Mapping[str, Frames] | None = None) -> Frames:
        """The three frames of ``tasks``' parts, concatenated in that order.

        Parameters
        ----------
        tasks : list of Task
            The parts, in the order their rows are wanted.
        kept : mapping of str to Frames, optional
            Frames of parts this process wrote (by part name), used instead of reading their
            files back: the same frames (a part's files round-trip its frames exactly, dtypes
            and index included: ``tests/test_experiment.py``), without 0.04-0.2 s of reading
            at the end of a small run.

        Raises
        ------
        StoreError
            When a part is missing or cannot be read (naming its file).
        """
        frames: list[list[pd.DataFrame]] = [[], [], []]
        for task in tasks:
            here = None if kept is None else kept.get(task.name)
            if here is not None:
                for k, data in enumerate(here):
                    frames[k].append(data)
                continue
            for k, frame in enumerate(FRAMES):
                path = self.folder(frame) / task.name
                if frame != "runs" and not path.exists():
                    continue  # no replication of this part was kept
                frames[k].append(read_part(path, self.hint))
        return (
            _concat(frames[0]),
            _concat(frames[1]),
            _concat(frames[2]),
        )

    def withdraw(self) -> None:
        """Take back what :meth:`begin` wrote, where no part is stored yet.

        For a command stopped before its first task could run (its Dask scheduler refused it,
        its workers could not start): the folder is emptied but for :data:`KEPT`, and a folder
        the command's lock made is removed when the lock is released (:func:`locked`). A store
        with parts is left alone: :meth:`begin` took it up without writing, and its parts wait
        for ``--resume``.
        """
        if not self.done():
            self._clear()

    def discard(self) -> None:
        """Remove the store (its manifest last, so a half-removed one is still recognised)."""
        for frame in FRAMES:
            shutil.rmtree(self.folder(frame), ignore_errors=True)
        shutil.rmtree(self.root, ignore_errors=True)

    # -- housekeeping --------------------------------------------------------------------------
    def _clear_temporaries(self) -> None:
        """Remove what an interrupted write left (hidden temporary files)."""
        for folder in (self.root, *(self.folder(f) for f in FRAMES)):
            if folder.is_dir():
                for stray in folder.glob(".*.tmp"):
                    with contextlib.suppress(OSError):
                        stray.unlink()
            else:
                folder.mkdir(parents=True, exist_ok=True)

    def _drop_unreadable(self) -> list[str]:
        """Remove parts that cannot be read (damaged from outside): they run again."""
        import pyarrow.parquet as pq

        bad = []
        for name in sorted(self.done()):
            for frame in FRAMES:
                path = self.folder(frame) / name
                if not path.exists():
                    continue
                try:
                    pq.read_metadata(path)
                except Exception:
                    bad.append(name)
                    break
        for name in bad:
            for frame in ("runs", "timeseries", "events"):  # runs first: not done any more
                with contextlib.suppress(OSError):
                    (self.folder(frame) / name).unlink()
        return bad

    def _clear(self) -> None:
        """Empty the folder (everything but :data:`KEPT`: the lock, the LLM recording)."""
        if not self.root.exists():
            self.root.mkdir(parents=True)
            return
        for item in self.root.iterdir():
            if item.name in KEPT:
                continue
            if item.is_dir() and not item.is_symlink():
                shutil.rmtree(item)
            else:
                item.unlink()


def _what(kind: str) -> str:
    known = {"escalsim-run": "run", "escalsim-sweep": "sweep"}
    return known.get(kind, kind.removeprefix("escalsim-") + " analysis")


def _has_content(folder: Path) -> bool:
    return folder.is_dir() and any(not p.name.startswith(".") for p in folder.iterdir())


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    kept = [f for f in frames if not f.empty]
    return pd.concat(kept, ignore_index=True) if kept else pd.DataFrame()


def changed_fields(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The keys whose values differ between two requests (as canonical JSON)."""
    keys = list(dict.fromkeys([*new, *old]))
    return [
        k
        for k in keys
        if json.dumps(old.get(k), sort_keys=True) != json.dumps(new.get(k), sort_keys=True)
    ] or ["definition"]


def read_manifest(root: str | os.PathLike[str], kind: str | None = None) -> dict[str, Any] | None:
    """The manifest of a store (None when there is none); a sweep's of format 1 is read too.

    Raises
    ------
    StoreError
        When it cannot be read or parsed, is not an object, is of another ``kind``, or lacks
        what it must hold (a request, a chunk size; versions, where it has them, a mapping).
    """
    path = Path(root) / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"{path} cannot be read: {exc}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise StoreError(
            f"{path} is damaged (not valid JSON: {exc}); remove the folder to start again"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("kind"), str):
        raise StoreError(f"{path} is not an escalsim manifest")
    if "request" not in data and isinstance(data.get("sweep"), dict):  # format 1 (a sweep)
        data["request"] = data["sweep"]
        data["request_sha256"] = data.get("sweep_sha256")
    if kind is not None and data["kind"] != kind:
        raise StoreError(f"{path} is the manifest of an {data['kind']}, not of an {kind}")
    versions = data.get("versions", {})
    if not isinstance(versions, dict) or not isinstance(versions.get("numerics", ""), str):
        raise StoreError(
            f"{path} is damaged: its 'versions' is not a mapping of names to strings; remove "
            "the folder to start again"
        )
    need = ("request", "chunk")
    if not isinstance(data.get("request"), dict) or not isinstance(data.get("chunk"), int):
        raise StoreError(
            f"{path} is damaged (it lacks {' or '.join(need)}); remove the folder to start again"
        )
    return data


def read_part(path: Path, hint: str = "--resume") -> pd.DataFrame:
    """One part file.

    Raises
    ------
    StoreError
        When it is missing or cannot be read (naming it, and how to redo it).
    """
    try:
        return pd.read_parquet(path)
    except FileNotFoundError:
        raise StoreError(f"{path} is missing; {hint} runs it again", str(path.parent)) from None
    except Exception as exc:
        raise StoreError(
            f"{path} is damaged ({type(exc).__name__}: {exc}); {hint} runs it again",
            str(path.parent),
        ) from None
