"""Where runs, sweeps and calibrations are written, with which seed, and which folders are taken.

The rules of ``--out``, ``--seed`` and ``--resume``, for the command line and the Python API
alike (``escalsim run --out DIR`` and ``escalsim.run(..., out=DIR)`` decide the same way,
because both call these functions):

- **The default folder** is ``results/<scenario id>/<prefix><UTC time>-s<seed>/``, the prefix
  being nothing for a run, ``sweep-`` for a sweep, ``calibrate-`` for a calibration and
  ``sensitivity-`` for a sensitivity analysis (:func:`default_folder`).
- **The seed** of a run is the one given; else, resuming, the seed stored in the folder;
  else one drawn from the operating system's entropy (63 bits), which the caller reports so
  that the run can be repeated (:func:`run_seed`). A sweep or a calibration without a seed
  takes its scenario's ``run.seed``.
- **A folder** must be creatable now, before hours of simulation (:func:`check_writable`). A
  folder that does not exist, or is empty, is taken. A run refuses any other folder, except a
  complete run folder with ``resume`` (which then checks that the folder holds this very run:
  same scenario, seed and options; :func:`prepare_run_folder`). A sweep takes a folder that
  holds a sweep (its store then refuses a finished one without ``resume``, or a different
  one); to start a sweep, it refuses any other folder, which it would empty
  (:func:`prepare_sweep_folder`). A calibration takes only a new or empty folder
  (:func:`prepare_calibration_folder`).
- **Resuming** needs the folder: ``resume`` without one is refused (:func:`run_seed`).

A refusal is a :class:`~escalsim.errors.UsageError` whose one problem names the option
(``--out`` or ``--resume``) and says what is wrong; the command line shows it as it shows any
bad option value (exit 2).

This module imports nothing heavy, so the command line can name the default folders in its help.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from escalsim.errors import UsageError

#: The kinds of output folder, and the prefix of each one's default name.
PREFIXES = {
    "run": "",
    "sweep": "sweep-",
    "calibration": "calibrate-",
    "sensitivity": "sensitivity-",
}
#: Where default folders go (relative to the working directory).
RESULTS = Path("results")
#: The file every run and sweep folder holds (and no calibration folder).
MANIFEST = "manifest.json"
#: The lock file of a store (``escalsim.experiment.store.LOCK``; that module imports pandas).
LOCK = ".lock"

__all__ = [
    "PREFIXES",
    "RunTarget",
    "check_writable",
    "default_folder",
    "default_folder_pattern",
    "draw_seed",
    "folder_kind",
    "is_empty_folder",
    "is_run_folder",
    "prepare_calibration_folder",
    "prepare_run_folder",
    "prepare_sweep_folder",
    "run_seed",
    "run_target",
    "stamp",
]


def _refuse(message: str, option: str = "--out", source: str = "out") -> UsageError:
    from escalsim.scenario.errors import Problem

    return UsageError([Problem(0, 0, (option,), message, source)])


# -- names and seeds ------------------------------------------------------------------------------
def stamp(now: datetime | None = None) -> str:
    """The UTC time in a folder's name: ``20250101T120000Z``."""
    return (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def default_folder(
    scenario_id: str, seed: int, kind: str = "run", *, now: datetime | None = None
) -> Path:
    """``results/<scenario id>/<prefix><UTC time>-s<seed>``: where output goes without --out.

    Parameters
    ----------
    scenario_id : str
        The scenario's ``id``.
    seed : int
        The root seed (in the name, so that folders of different seeds never collide).
    kind : {"run", "sweep", "calibration", "sensitivity"}
        What is written.
    now : datetime, optional
        The time in the name (default: now).
    """
    return RESULTS / scenario_id / f"{PREFIXES[kind]}{stamp(now)}-s{seed}"


def default_folder_pattern(kind: str = "run") -> str:
    """The default folder as the help text shows it: ``results/<scenario>/<time>-s<seed>/``."""
    return f"{RESULTS}/<scenario>/{PREFIXES[kind]}<time>-s<seed>/"


def draw_seed() -> int:
    """A root seed from the operating system's entropy (63 bits: it fits a signed int64)."""
    return secrets.randbits(63)


def run_seed(
    seed: int | None, *, out: str | os.PathLike[str] | None = None, resume: bool = False
) -> tuple[int, bool]:
    """The root seed of a run, and whether it was drawn at random (then report it).

    The seed given; else, with ``resume``, the seed of the run stored in ``out`` (complete, or
    interrupted in its work folder); else a drawn one.

    Raises
    ------
    UsageError
        ``resume`` without ``out`` (at ``--resume``).
    """
    if resume and out is None:
        raise _refuse("--resume needs --out: the folder of the run to finish", "--resume")
    if seed is None and resume and out is not None:
        from escalsim.experiment.runner import stored_seed

        seed = stored_seed(out)
    if seed is None:
        return draw_seed(), True
    return int(seed), False


# -- folders --------------------------------------------------------------------------------------
def is_run_folder(folder: str | os.PathLike[str]) -> bool:
    """Whether ``folder`` is a complete run folder (it has a manifest)."""
    return (Path(folder) / MANIFEST).is_file()


def is_empty_folder(folder: str | os.PathLike[str]) -> bool:
    """Whether ``folder`` is an existing folder with nothing in it."""
    path = Path(folder)
    return path.is_dir() and not any(path.iterdir())


def check_writable(folder: str | os.PathLike[str]) -> None:
    """Refuse a folder that cannot be created now, before hours of simulation, not after.

    Creates the folder's parents (as writing it would).

    Raises
    ------
    UsageError
        At ``--out``: a parent is a file, or the parent folder cannot be written.
    """
    folder = Path(folder)
    for parent in folder.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise _refuse(f"cannot write {folder}: {parent} is a file, not a folder")
            break
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        probe = folder.parent / f".{folder.name}.probe-{os.getpid()}"
        probe.mkdir()
        probe.rmdir()
    except OSError as exc:
        raise _refuse(f"cannot write {folder}: {exc.strerror or exc}") from None


def prepare_run_folder(folder: str | os.PathLike[str], *, resume: bool = False) -> bool:
    """Check that a run may be written into ``folder``; return whether it is complete already.

    A new or empty folder is taken; with ``resume``, so is a complete run folder (True: the
    run checks that it holds this very run, and returns its results) or one whose run was
    interrupted (its work folder ``.NAME.partial`` is beside it, not in it). Anything else is
    refused.

    Raises
    ------
    UsageError
        At ``--out``: the folder exists and is not empty (and, with ``resume``, is not a run
        folder), or cannot be written.
    """
    folder = Path(folder)
    # An empty folder is as good as none (sweeps and calibrations take one too); a complete
    # run folder is only for resume, which checks it holds this very run.
    complete = resume and is_run_folder(folder)
    if folder.exists() and not complete and not is_empty_folder(folder):
        if resume:
            raise _refuse(f"{folder} exists and is not a run folder")
        raise _refuse(f"{folder} exists; choose another folder")
    check_writable(folder)
    return complete


def prepare_sweep_folder(folder: str | os.PathLike[str], *, resume: bool = False) -> None:
    """Check that a sweep may be written into ``folder``.

    A new or empty folder is taken, and so is one holding a ``manifest.json``: the sweep's
    store then refuses it without ``resume`` once a part is finished, and with ``resume`` when
    it holds another sweep or something else. Without ``resume``, a folder with anything else
    in it is refused, since a new sweep empties its folder first (the lock file a killed sweep
    left is not counted). With ``resume``, the store refuses such a folder ("nothing to
    resume").

    Raises
    ------
    UsageError
        At ``--out``: without ``resume``, the folder exists and holds no sweep; or it cannot
        be written.
    """
    folder = Path(folder)
    taken = (
        not folder.exists()
        or (folder / MANIFEST).exists()
        or (folder.is_dir() and all(p.name == LOCK for p in folder.iterdir()))
    )
    if not resume and not taken:
        raise _refuse(f"{folder} exists; choose another folder")
    check_writable(folder)


def prepare_calibration_folder(folder: str | os.PathLike[str]) -> None:
    """Check that a calibration may be written into ``folder``: a new or empty one.

    Raises
    ------
    UsageError
        At ``--out``: the folder exists and is not empty, or cannot be written.
    """
    folder = Path(folder)
    if folder.exists() and not is_empty_folder(folder):
        raise _refuse(f"{folder} exists and is not empty")
    check_writable(folder)


@dataclass(frozen=True)
class RunTarget:
    """Where a run is written, with which seed: the decisions of :func:`run_target`.

    Attributes
    ----------
    folder : pathlib.Path
        The run folder.
    seed : int
        The root seed.
    drawn : bool
        The seed was drawn at random: report it, so that the run can be repeated.
    complete : bool
        ``resume`` of a complete run folder: nothing is run, its results are read back (after
        checking that it holds the same run).
    """

    folder: Path
    seed: int
    drawn: bool
    complete: bool


def run_target(
    scenario_id: str,
    *,
    out: str | os.PathLike[str] | None = None,
    seed: int | None = None,
    resume: bool = False,
) -> RunTarget:
    """The folder and seed of a run, and whether the folder may be used.

    :func:`run_seed`, then :func:`default_folder` (without ``out``), then
    :func:`prepare_run_folder`.

    Raises
    ------
    UsageError
        ``resume`` without ``out``, or a folder that is refused.
    """
    root, drawn = run_seed(seed, out=out, resume=resume)
    folder = Path(out) if out is not None else default_folder(scenario_id, root)
    complete = prepare_run_folder(folder, resume=resume)
    return RunTarget(folder, root, drawn, complete)


def folder_kind(folder: str | os.PathLike[str]) -> str | None:
    """Which command wrote ``folder``: 'run', 'sweep', 'calibration', or None if unknown.

    Only a guess from the files' names and the manifest's keys, to name the right command when
    a folder reaches the wrong one; a damaged manifest gives None, and the command's own
    reading reports the damage.
    """
    folder = Path(folder)
    manifest = folder / MANIFEST
    if manifest.is_file():
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict):
            return None
        if "kind" in data:  # a manifest that says what it is is taken at its word
            kind = str(data["kind"])
            return "sweep" if "sweep" in kind else "run" if "run" in kind else None
        if "sweep" in data:
            return "sweep"
        return "run" if "scenario_id" in data else None
    if (folder / "fit.json").is_file():
        return "calibration"
    return None
