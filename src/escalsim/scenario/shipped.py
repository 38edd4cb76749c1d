"""The scenarios shipped inside the package (``escalsim/scenarios/*.yaml``)."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path


def _folder() -> Path:
    return Path(str(resources.files("escalsim") / "scenarios"))


def names() -> list[str]:
    """Names of the shipped scenarios, sorted."""
    return sorted(p.stem for p in _folder().glob("*.yaml"))


def is_shipped(name: str) -> bool:
    """Whether ``name`` (with or without ``.yaml``) is a shipped scenario."""
    return name.removesuffix(".yaml") in names()


def path_of(name: str) -> Path:
    """The file of a shipped scenario.

    Raises
    ------
    KeyError
        When there is no shipped scenario of that name.
    """
    stem = name.removesuffix(".yaml")
    if stem not in names():
        raise KeyError(stem)
    return _folder() / f"{stem}.yaml"


def missing(name: str) -> str:
    """The message for ``name`` that is neither a file nor a shipped scenario.

    A bare name gets the closest shipped name (``geneva-2021`` -> ``geneva-2022``, ``hotline``
    -> ``hotline-1963``) and the command that lists them; a path (with a folder) is a file the
    user meant, and only "no such file".
    """
    import difflib

    if "/" in name or os.sep in name:
        return "no such file"
    stem = name.removesuffix(".yaml")
    close = difflib.get_close_matches(stem, names(), n=1, cutoff=0.6)
    if not close:  # a prefix of a name ('geneva') is as good a guess as a near spelling
        close = [n for n in names() if n.startswith(stem)][:1] if len(stem) >= 3 else []
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return (
        f"no such file, and no shipped scenario of that name{hint}; `escalsim scenarios` lists "
        "the shipped ones"
    )


def schema_path() -> Path:
    """The JSON Schema file shipped beside the scenarios (``escalsim schema`` writes the same)."""
    return _folder() / "scenario.schema.json"
