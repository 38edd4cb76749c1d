"""The scenarios shipped inside the package (``escalsim/scenarios/*.yaml``)."""

from __future__ import annotations

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


def schema_path() -> Path:
    """The JSON Schema file shipped beside the scenarios (``escalsim schema`` writes the same)."""
    return _folder() / "scenario.schema.json"
