"""What each power got out of a run: its realised share of the stakes (docs/decision-v2.md §2).

One number per run and power, in the model's unit (a share of the stakes' flow per round, the
annuity of a value, §2), so that runs that end differently can be averaged and compared:

============================  ===========================================  =====================
outcome                       ``power_a``'s share                          ``power_b``'s share
============================  ===========================================  =====================
settlement by an offer        ``settled_share_a``                          ``1 - settled_share_a``
other settlement              the status quo ``q_a``                       ``q_b = 1 - q_a``
``capitulation_b``            1                                            0
``capitulation_a``            0                                            1
war                           ``p_a - c_a``                                ``p_b - c_b``
unresolved                    the status quo ``q_a``                       ``q_b``
ceasefire (wars that last)    ``settled_share_a``                          ``1 - settled_share_a``
war at the horizon (lasting)  ``(1 - δ) V_a(q_end)``                       ``(1 - δ) V_b(q_end)``
exchange (lasting)            ``war.exchange_value``                       the same
============================  ===========================================  =====================

:func:`realised_shares` is the pure rule of the table; :func:`run_shares` applies it to an
outcome frame of :func:`escalsim.batch.run_batch` with what the frame does not record (the
status quo, the chances of winning and each run's drawn cost of war) recomputed from the
scenario and the run's seed, exactly as the round computes them.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from escalsim.core import bargaining as bg
from escalsim.core.params import compile_params, win_probabilities
from escalsim.core.streams import type_uniforms
from escalsim.model.constants import OUTCOMES
from escalsim.scenario import Scenario, with_condition

#: The columns :func:`run_shares` returns.
SHARE_COLUMNS = ("share_a", "share_b")


def realised_shares(
    outcome: ArrayLike,
    settled_share_a: ArrayLike,
    status_quo_a: ArrayLike,
    war_annuity_a: ArrayLike,
    war_annuity_b: ArrayLike,
    exchange_annuity: ArrayLike = np.nan,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Each power's realised share of the stakes in a run, by how the run ended.

    Parameters
    ----------
    outcome : array_like of str
        The runs' outcomes (``escalsim.model.OUTCOMES``: ``war``, ``settlement``,
        ``capitulation_a``, ``capitulation_b``, ``unresolved``).
    settled_share_a : array_like of float
        ``power_a``'s share in an accepted offer (the outcome frame's ``settled_share_a``), NaN
        where no offer was accepted.
    status_quo_a : array_like of float
        ``q_a``, ``power_a``'s status-quo share (``Params.status_quo[0]``); ``q_b = 1 - q_a``.
    war_annuity_a, war_annuity_b : array_like of float
        Each power's war payoff per round, ``p_i - c_i`` (``(1 - δ) bg.war_value``): its chance
        of winning the stakes less its drawn cost of war. Where wars last (docs/pair-wars.md
        §3.3) and the powers were still at war at the horizon, the annuity of the war's value
        from the front where it ended, ``(1 - δ) bg.front_war_value`` (per run).
    exchange_annuity : array_like of float
        The value after a strategic exchange per round, ``war.exchange_value`` (NaN: the
        scenario has none; an ``exchange`` outcome then raises).

    Returns
    -------
    share_a, share_b : numpy.ndarray
        Per run, in units of the stakes' flow per round (docs/decision-v2.md §2):

        - an offer accepted: ``settled_share_a`` and ``1 - settled_share_a`` (§3.6);
        - a settlement without an offer (both powers backed down, a core agreement by version 1's
          route, or ``settlement_rounds`` at the lowest rungs): the status quo ``q_a``, ``q_b``.
          Nothing was divided, so each keeps what it held;
        - a capitulation: the winner 1, the loser 0. This is the bargaining policy's value of
          conceding with no offer standing, ``(1 - d_j)/(1 - δ)`` with the other's demand
          ``d_j = 1`` (§3.7; the policy concedes only when no offer stands). *Departure:* a
          rule-based policy may concede to an adversary with an offer standing, whose demand
          was less than the whole; the outcome frame does not record it, and 1 is the bound;
        - war: the lottery's annuity ``p_i - c_i`` (Fearon 1995's war payoff; ``bg.war_value``
          times ``1 - δ``). The two sum to ``1 - c_a - c_b``: war wastes;
        - unresolved at the horizon: the status quo, the flow each held while the crisis ran
          (where a fait accompli holds the stakes, ``stakes.held_at``, the holder's share is 0
          in the runs that ended with it below its rung, the outcome frame's ``stakes_held``:
          the rung at the end, not the flows along the way; the same in a settlement without
          an offer)
          (the rungs' costs ``k(x)`` are not subtracted: they are paid in every outcome's
          run-up, and the share counts the stakes only);
        - a ceasefire (an offer accepted while the powers fight): as an offer accepted;
        - a strategic exchange: ``exchange_annuity`` to both.

        Valid for outcomes of a two-power crisis; an unknown outcome raises.

    Raises
    ------
    ValueError
        For an outcome not in ``escalsim.model.OUTCOMES``.
    """
    out = np.asarray(outcome, dtype=object)
    settled = np.broadcast_to(np.asarray(settled_share_a, dtype=float), out.shape)
    q_a = np.broadcast_to(np.asarray(status_quo_a, dtype=float), out.shape)
    war_a = np.broadcast_to(np.asarray(war_annuity_a, dtype=float), out.shape)
    war_b = np.broadcast_to(np.asarray(war_annuity_b, dtype=float), out.shape)
    known = set(OUTCOMES)
    unknown = sorted({str(o) for o in np.unique(out)} - known)
    if unknown:
        raise ValueError(f"unknown outcome(s) {unknown}; expected some of {sorted(known)}")
    exchange = out == "exchange"
    ex = np.broadcast_to(np.asarray(exchange_annuity, dtype=float), out.shape)
    if np.isnan(ex[exchange]).any():
        raise ValueError("an exchange outcome needs the value after an exchange (exchange_annuity)")
    offer = np.isin(out, ("settlement", "ceasefire")) & ~np.isnan(settled)
    share_a = np.where(offer, settled, q_a)
    share_b = np.where(offer, 1.0 - settled, 1.0 - q_a)
    won_a, won_b = out == "capitulation_b", out == "capitulation_a"
    share_a = np.where(won_a, 1.0, np.where(won_b, 0.0, share_a))
    share_b = np.where(won_b, 1.0, np.where(won_a, 0.0, share_b))
    war = out == "war"
    share_a, share_b = np.where(war, war_a, share_a), np.where(war, war_b, share_b)
    return np.where(exchange, ex, share_a), np.where(exchange, ex, share_b)


def drawn_war_costs(scenario: Scenario, seed: int, replications: ArrayLike) -> NDArray[np.float64]:
    """The powers' cost-of-war types drawn in the given replications, ``[R, 2]`` (A, B).

    The round draws them once per replication (``Crisis._draw_types``, docs/decision-v2.md
    §3.3): the cost index by inverse CDF (``bg.draw_type``) of the power's prior with its cost
    uniform from the replication's type stream (``core.streams.type_uniforms``), the same in
    every condition, twin and layout. This recomputes that draw from the scenario and the root
    seed (the outcome frame's ``seed`` column) without running the crisis.
    """
    params = compile_params(scenario)
    reps = np.asarray(replications, dtype=np.int64).reshape(-1)
    u = type_uniforms(int(seed), reps, 2)[:, :, 0]
    index = bg.draw_type(params.cost_prior, u)
    return np.take_along_axis(params.cost_types.T, index, axis=0)


def run_shares(outcome: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Each power's realised share of the stakes in each run of an outcome frame.

    Parameters
    ----------
    outcome : pandas.DataFrame
        Rows of ``run_batch(scenario, ...).outcome`` (columns ``condition``, ``replication``,
        ``seed``, ``outcome``, ``settled_share_a``), any conditions of ``scenario``.
    scenario : Scenario
        The scenario the runs were made from, before any condition (each row's ``condition``
        is applied to it, as ``run_batch`` does).

    Returns
    -------
    pandas.DataFrame
        ``share_a`` and ``share_b`` (:data:`SHARE_COLUMNS`), indexed like ``outcome``, by
        :func:`realised_shares`. The status quo and the chances of winning are the round-0 ones
        (``Params.status_quo``, ``core.params.win_probabilities``), each run's costs of war its
        drawn types (:func:`drawn_war_costs`). A war's ``p_i`` is therefore exact when no
        scheduled event changes the powers' capabilities and no third party can join; otherwise
        it is the round-0 expectation, not the chance at the war's onset. A war still on at
        the horizon is valued at intensity 0 (its continuation from the front, without the
        intensities held or their hazard).
    """
    shares = pd.DataFrame(index=outcome.index, columns=list(SHARE_COLUMNS), dtype=float)
    for key, rows in outcome.groupby(["condition", "seed"], sort=False):
        name, root = cast("tuple[Any, Any]", key)
        condition, seed = str(name), int(root)
        spec: Any = scenario
        if condition in scenario.condition_names:
            spec = with_condition(scenario, condition)
        params = compile_params(spec)
        p_a, p_b = win_probabilities(spec)
        cost = drawn_war_costs(spec, seed, rows["replication"].to_numpy())
        war_a, war_b = p_a - cost[:, 0], p_b - cost[:, 1]
        if not params.ends_run and "front_a" in rows.columns:
            # A war that lasts is worth its continuation from the front where it stood (§3.3).
            front = rows["front_a"].to_numpy(dtype=float)
            d, step = float(params.discount), params.front_step
            war_a = (1.0 - d) * bg.front_war_value(p_a, cost[:, 0], d, front, step)
            war_b = (1.0 - d) * bg.front_war_value(p_b, cost[:, 1], d, 1.0 - front, step)
        quo: Any = float(params.status_quo[0])
        if params.held_by >= 0 and "stakes_held" in rows.columns:
            # A fait accompli: a holder that ended below its rung held none of the stakes.
            given_up = 0.0 if params.held_by == 0 else 1.0
            quo = np.where(rows["stakes_held"].to_numpy(dtype=bool), quo, given_up)
        a, b = realised_shares(
            rows["outcome"].to_numpy(),
            rows["settled_share_a"].to_numpy(dtype=float),
            quo,
            war_a,
            war_b,
            np.nan if params.exchange_value is None else params.exchange_value,
        )
        shares.loc[rows.index, "share_a"] = a
        shares.loc[rows.index, "share_b"] = b
    return shares


__all__ = ["SHARE_COLUMNS", "drawn_war_costs", "realised_shares", "run_shares"]
