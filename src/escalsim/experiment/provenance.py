"""Provenance: the one scenario hash and the one record of versions, for runs, sweeps and fits.

Every output of escalsim (a run folder, a sweep folder, a calibration) names the scenario it
ran by the same hash, so two outputs of the same scenario can be matched by it whatever
command made them.
"""

from __future__ import annotations

import hashlib
import json
import platform
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from escalsim.scenario import Scenario

#: The packages whose versions an output records (read from their metadata: importing mesa
#: here would cost every worker a second and is not needed to know its version).
PACKAGES = ("escalsim", "mesa", "numpy", "pandas", "pyarrow")


def canonical_scenario(spec: Scenario) -> tuple[dict[str, Any], str]:
    """The validated scenario as canonical JSON data, and its sha256.

    The data is the validated model (defaults filled in), not the file's text, so that the
    hash depends on what runs and not on how the file spells it (comments, key order,
    defaults written out or left implicit). A version-3 scenario whose version-3 fields are all
    at their defaults means what a version-2 scenario means: its canonical data is the version-2
    form (:func:`escalsim.scenario.migrate.v2_form`), so a version-2 file and its migration by
    ``escalsim migrate`` have one hash, the one the version-2 file had before version 3.
    """
    from escalsim.scenario.migrate import v2_form

    data = spec.model_dump(mode="json")
    v2_form(data)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return data, hashlib.sha256(text.encode("utf-8")).hexdigest()


def scenario_hash(spec: Scenario) -> str:
    """The sha256 of the scenario's canonical JSON (:func:`canonical_scenario`)."""
    return canonical_scenario(spec)[1]


def versions() -> dict[str, str]:
    """Versions of escalsim, its main dependencies, and Python."""
    out = {}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:  # pragma: no cover - a source tree without install
            out[name] = "unknown"
    out["python"] = platform.python_version()
    return out


def request_hash(request: dict[str, Any]) -> str:
    """The sha256 of a request (what determines an experiment's results), as canonical JSON."""
    text = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
