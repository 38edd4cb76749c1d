"""The app's controls as scenario settings, and the ensemble panel's numbers (no UI here).

The browser app (:mod:`escalsim.teaching.app`) shows a slider, checkbox or menu for each entry
of :func:`controls`; their values come back as keyword arguments, which :func:`settings_from`
turns into field-path settings (``channels.hotline.open: false``) applied with
:func:`escalsim.scenario.load.with_settings`, so every value the app can produce is validated
like a scenario file. :func:`ensemble` runs the batch engine for the current settings and for
the scenario's own conditions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from escalsim.experiment.stats import mean_interval, paired_difference, wilson_interval
from escalsim.policies import POLICIES
from escalsim.scenario import Scenario, with_condition
from escalsim.scenario.load import with_settings
from escalsim.scenario.schema import POLICY_MODELS

__all__ = ["APP_POLICIES", "controls", "ensemble", "settings_from"]

#: Policies an actor can be given from the app: those that need no parameters of their own
#: (memory_one needs its probabilities, scripted its moves) and no player (human is seminar
#: mode's).
APP_POLICIES = tuple(
    name
    for name, model in POLICY_MODELS.items()
    if not POLICIES[name].needs_player
    and not any(f.is_required() for key, f in model.model_fields.items() if key != "name")
)


def _private(spec: Scenario) -> list[Any]:
    return [c for c in spec.channels if c.kind != "public"]


def controls(spec: Scenario) -> dict[str, dict[str, Any]]:
    """The app's controls for a scenario, in mesa SolaraViz's ``model_params`` form.

    One checkbox per private channel (open at the start), a slider for the public channel's
    noise, sliders for the accident rates, a policy menu for each power (its scenario policy
    first), and the seed.
    """
    public = next(c for c in spec.channels if c.kind == "public")
    out: dict[str, dict[str, Any]] = {
        "seed": {
            "type": "SliderInt",
            "label": "Seed",
            "value": int(spec.run.seed) % 1000,
            "min": 0,
            "max": 999,
            "step": 1,
        },
        "public_noise": {
            "type": "SliderFloat",
            "label": "Noise of public statements",
            "value": float(public.noise),
            "min": 0.0,
            "max": 0.5,
            "step": 0.05,
        },
        "incident_scale": {
            "type": "SliderFloat",
            "label": "Accidents (incident scale)",
            "value": float(spec.accidents.incident_scale),
            "min": 0.0,
            "max": 3.0,
            "step": 0.25,
        },
        "implementation_error": {
            "type": "SliderFloat",
            "label": "Orders carried out otherwise (implementation error)",
            "value": float(spec.accidents.implementation_error),
            "min": 0.0,
            "max": 0.2,
            "step": 0.01,
        },
    }
    for channel in _private(spec):
        out[f"open_{channel.id}"] = {
            "type": "Checkbox",
            "label": f"{channel.id} ({channel.kind}) open",
            "value": bool(channel.open),
        }
    for actor in spec.actors:
        # Powers decide every round; a third party only once it has joined a side.
        deciding = actor.role == "power" or actor.may_join
        if not deciding or actor.policy is None:
            continue
        mine = actor.policy.name
        allowed = [p for p in APP_POLICIES if actor.role == "power" or not POLICIES[p].powers_only]
        values = [mine, *[p for p in allowed if p != mine]]
        out[f"policy_{actor.id}"] = {
            "type": "Select",
            "label": f"Policy of {actor.id}",
            "value": mine,
            "values": values,
        }
    return out


def settings_from(spec: Scenario, values: dict[str, Any]) -> dict[str, Any]:
    """Field-path settings for the controls' ``values`` (only those that differ from ``spec``).

    Raises
    ------
    KeyError
        For a control that :func:`controls` does not define for this scenario.
    """
    known = controls(spec)
    out: dict[str, Any] = {}
    public = next(c for c in spec.channels if c.kind == "public")
    actors = {a.id: a for a in spec.actors}
    channels = {c.id: c for c in spec.channels}
    for name, value in values.items():
        if name not in known:
            raise KeyError(f"no control {name!r}; expected one of {', '.join(known)}")
        if name == "seed":
            continue
        if name == "public_noise":
            if float(value) != float(public.noise):
                out[f"channels.{public.id}.noise"] = float(value)
        elif name in ("incident_scale", "implementation_error"):
            if float(value) != float(getattr(spec.accidents, name)):
                out[f"accidents.{name}"] = float(value)
        elif name.startswith("open_"):
            cid = name.removeprefix("open_")
            if bool(value) != bool(channels[cid].open):
                out[f"channels.{cid}.open"] = bool(value)
        elif name.startswith("policy_"):
            aid = name.removeprefix("policy_")
            current = actors[aid].policy
            if current is None or value != current.name:
                out[f"actors.{aid}.policy"] = {"name": str(value)}
    return out


def ensemble(variants: dict[str, Scenario], replications: int, seed: int) -> pd.DataFrame:
    """P(war) and the miscalculation rate, with 95% CIs, for each variant of a scenario.

    The variants run on the batch engine over the same replication seeds (common random
    numbers), so their differences are not noise between seeds.

    Parameters
    ----------
    variants : dict
        Label -> scenario (e.g. ``{"your settings": ..., "hotline": ...}``).
    replications : int
        Replications per variant.
    seed : int
        Root seed.

    Returns
    -------
    pandas.DataFrame
        ``variant, replications, p_war, p_war_low, p_war_high, miscalculation_rate,
        miscalculation_low, miscalculation_high, d_p_war, d_p_war_low, d_p_war_high`` (Wilson
        interval for the probability, Student's t for the mean rate, and the paired difference
        in P(war) from the first variant with Newcombe's interval for paired proportions).

    Raises
    ------
    escalsim.errors.LLMError
        A variant with language-model actors: the app runs no ensemble of them.
    """
    from escalsim.batch import run_batch
    from escalsim.llm.run import refuse_llm

    for spec in variants.values():
        refuse_llm(spec, "the app's ensemble")
    rows = []
    first: pd.DataFrame | None = None
    for label, spec in variants.items():
        out = run_batch(spec, seed=seed, replications=replications).outcome
        wars = out["war"].to_numpy(dtype=float)
        lo, hi = wilson_interval(int(wars.sum()), len(out))
        rate = out["miscalculation_rate"].to_numpy(dtype=float)
        if len(rate) > 1 and np.ptp(rate) > 0:
            m, mlo, mhi = mean_interval(rate)
        else:
            m = mlo = mhi = float(rate.mean()) if len(rate) else float("nan")
        if first is None:
            first = out
        # Paired with the first variant: the same replication seeds (common random numbers).
        d = paired_difference(wars, first["war"].to_numpy(dtype=float), "proportion")
        rows.append(
            {
                "variant": label,
                "replications": len(out),
                "p_war": float(wars.mean()),
                "p_war_low": lo,
                "p_war_high": hi,
                "miscalculation_rate": m,
                "miscalculation_low": mlo,
                "miscalculation_high": mhi,
                "d_p_war": d[0],
                "d_p_war_low": d[1],
                "d_p_war_high": d[2],
            }
        )
    return pd.DataFrame(rows)


def variants_for(spec: Scenario, settings: dict[str, Any]) -> dict[str, Scenario]:
    """The ensemble's variants: the current settings, then each of the scenario's conditions."""
    out = {"your settings": with_settings(spec, settings) if settings else spec}
    for name in spec.condition_names:
        if name == "base":
            continue
        out[f"condition {name}"] = with_condition(spec, name)
    return out
