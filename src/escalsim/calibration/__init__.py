"""Calibration: fit scenario parameters to the distribution of the highest MID hostility level.

``escalsim calibrate`` and the functions below fit chosen fields of a scenario (rung costs,
risks, noise, policy weights...) so that the share of simulated runs peaking at each
Correlates of War MID hostility level matches a target such as MID 5.0's 2,436 disputes
(``load_target("mid5")``). ``docs/calibration.md`` describes the method.

- :func:`load_target`: a target distribution from a CSV file (or ``"mid5"``, ``"icb14"``),
  with positioned errors;
- :func:`simulated_levels`: the highest MID level (or ICB violence level) of each replication
  (batch engine); :func:`simulated_codes`: several codings from the same runs;
- :func:`fit_distance`: TVD, Pearson's chi-square and the simulated shares with CIs;
- :func:`calibrate`: the fit (design, local refinement, bootstrap), as a :class:`Fit`.
"""

from escalsim.calibration.distance import fit_distance, simulated_codes, simulated_levels
from escalsim.calibration.fit import Fit, Param, calibrate, check_params, parse_param
from escalsim.calibration.target import MID_LEVELS, NAMED_TARGETS, Target, load_target

__all__ = [
    "MID_LEVELS",
    "NAMED_TARGETS",
    "Fit",
    "Param",
    "Target",
    "calibrate",
    "check_params",
    "fit_distance",
    "load_target",
    "parse_param",
    "simulated_codes",
    "simulated_levels",
]
