"""Provenance: the one scenario hash and the one record of versions, for runs, sweeps and fits.

Every output of escalsim (a run folder, a sweep folder, a calibration) names the scenario it
ran by the same hash, so two outputs of the same scenario can be matched by it whatever
command made them. It also records the machine's *numerics* (:func:`numerics`): the same seed
gives the same numbers bit for bit only on machines whose numpy evaluates the model's
elementary functions alike (docs/reliability.md, "Reproducibility across machines").
"""

from __future__ import annotations

import functools
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
    """Versions of escalsim, its main dependencies, and Python; and the machine's numerics."""
    out = {}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:  # pragma: no cover - a source tree without install
            out[name] = "unknown"
    out["python"] = platform.python_version()
    out["numerics"] = numerics()
    return out


#: numpy's lower regimes on x86-64, as ``NPY_DISABLE_CPU_FEATURES`` values (numpy 2.5's names):
#: a process started with one computes as a machine of that regime would (docs/reliability.md,
#: "Reproducibility across machines"). Above them, AVX-512 (``X86_V4``).
LOWER_REGIMES = {"avx2": "AVX512_ICL X86_V4", "baseline": "AVX512_ICL X86_V4 X86_V3"}


@functools.cache
def numerics() -> str:
    """A fingerprint of how this process's numpy evaluates the model's elementary functions.

    The model's equations (:mod:`escalsim.core`) call ``tanh`` (the logit), ``exp`` (the war
    value's weights), ``log1p`` and ``power``. numpy computes them with code chosen for the CPU
    when it is imported: on x86-64, its AVX-512 code for ``exp``, ``log1p`` and ``power`` (and its
    AVX2 code for ``tanh``) gives results that differ from the C library's in the last bit for a
    few percent of arguments (docs/reliability.md). A last bit can move a choice between two
    nearly equal options, so the same seed gives the same numbers bit for bit only on machines
    with the same numerics. Everything else the model computes (arithmetic, ``sqrt``, sums in a
    fixed order, the generators' uniforms) is the same on every IEEE 754 machine.

    Returns
    -------
    str
        The first 16 hex digits of the sha256 of those functions (and a sum, in case numpy's
        summation order ever depends on the machine) evaluated on a fixed vector of 64
        arguments: long enough for every SIMD width, so each code path numpy may take is used.
        Computed once per process (about 0.3 ms).
    """
    import numpy as np

    x = np.linspace(-19.7, 23.3, 64) + np.sin(np.arange(64.0)) * 0.0123
    a = np.abs(x)
    probes = (
        np.tanh(x),
        np.tanh(0.5 * x),
        np.exp(x),
        np.log1p(a),
        np.power(a + 0.37, x / 7.0),
        np.power(0.973, np.arange(64)),
        np.add.reduce(1.0 / (1.0 + a)),
    )
    digest = hashlib.sha256()
    for probe in probes:
        digest.update(np.ascontiguousarray(probe, dtype="<f8").tobytes())
    return digest.hexdigest()[:16]


def check_numerics(expected: str | None, what: str, loc: str, where: str = "this machine") -> None:
    """Refuse to mix numbers computed with other numerics than this process's.

    Parameters
    ----------
    expected : str or None
        The numerics the numbers already computed were computed with (None or empty: not
        recorded, as in folders written before escalsim recorded them; nothing is checked).
    what : str
        Who computed those numbers, for the message, ending before "numerics X" ("the parts
        in FOLDER were computed with", "the client computes with").
    loc : str
        The option the mismatch is reported on (``--resume``, ``--scheduler``).
    where : str
        This process, for the message ("this machine", "worker HOST").

    Raises
    ------
    NumericsError
        When ``expected`` differs from :func:`numerics`.
    """
    here = numerics()
    if not expected or expected == here:
        return
    from escalsim.errors import NumericsError

    raise NumericsError(
        f"{what} numerics {expected}, and {where} computes numpy's "
        f"exp, log1p, tanh and power differently (numerics {here}): the same seed gives "
        "different last bits on the two, so they must not be mixed; use machines with the "
        "same CPU features and numpy version, or give them common numerics with numpy's "
        'NPY_DISABLE_CPU_FEATURES (docs/reliability.md, "Reproducibility across machines")',
        loc,
    )


def request_hash(request: dict[str, Any]) -> str:
    """The sha256 of a request (what determines an experiment's results), as canonical JSON."""
    text = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
