"""Wars between a power and a third party: step 3 of docs/pair-wars.md (§5, §6; ODD §7.9b).

A listed pair (``war.pairs``: a power i and a third party j, perhaps with a patron P, the other
power, backing j) is at war or at peace in each replication. This module holds its state and
the part of phase 7 that plays it, once per round after the powers' moves
(:func:`play`), for both faces of the model (the :class:`~escalsim.model.rounds.Crisis` runs
it). Every value is a pure function of :mod:`escalsim.core.bargaining`:

* **attack** (a pair at peace): i starts the war at intensity 0 where
  ``bg.pair_war_value`` at the pair's status quo strictly beats the settlement it holds there,
  ``x/(1 - δ)``: the patron's intervention π (``bg.intervention_probability`` over i's belief
  about the patron's types, with ``bg.patron_values``) weighs the war against the client
  supplied (``K_j + s K_P``) and the war against client and patron (``K_j + K_P``) with the
  direct war's value ``D``; cause ``deliberate``, or ``miscalculated`` where the same choice on
  the truth (i's belief the truth's: the patron's true type known) would not attack;
* **conduct** (at war): i holds its intensity, moves one rung up or down (not below the war
  rung), or jumps ``ladder.jump`` rungs up (nuclear rungs only for a nuclear-armed i; never
  onto the strategic rung), whichever
  ``bg.pair_war_value`` values highest (a move only where strictly better than holding); the
  client fights at intensity 0 (a third party has no ladder above war here);
* **battle**: i wins with ``bg.boosted_win_probability``'s contest at the strengths
  ``K_i (1 + a(z))`` against the client's (``K_j + s K_P``, or ``K_j + K_P`` while the patron is
  at war with i), and the front moves by ``bg.front_step``; an exchange comes with the hazard of
  i's intensity (``bg.exchange_hazard_held``) only while the patron fights i (both
  nuclear-armed), and ends the run;
* **ceasefire**: a freeze at the front, when each side prefers it to fighting on
  (``bg.settlement_value`` of its share on the front at least its value of the war), and a
  route is open this round: a private channel on the pair's path, or an agreement in force on
  an agenda item that ends the pair's war (``agenda[].ends_war``, reached in the powers' talks:
  the named belligerent's acceptance is the same preference). The frozen line becomes the
  pair's status quo;
* **intervention**: the patron joins where ``bg.patron_values`` gives ``V_int > V_out`` with its
  own type's direct-war value: a direct war between the powers begins, cause ``third_party``.

*Departures*, stated in docs/pair-wars.md "As built: step 3": a third party draws no types
and makes no offers (it accepts the freeze or not); a pair's ceasefire is a freeze at the
front, not a division bargained over; the powers' decisions on their own ladder do not read
their pair wars; the patron's intervention, once made, is the powers' war, which ends as any.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from escalsim.core import bargaining as bg
from escalsim.core.params import Params
from escalsim.core.streams import Draws
from escalsim.policies.bargaining import exchange_state, terms

if TYPE_CHECKING:
    from escalsim.model.rounds import Crisis

#: The per-replication state of the listed pairs, ``[R, P]`` each (added to ``Crisis._PER_REP``).
STATE = (
    "pair_war",
    "pair_front",
    "pair_quo",
    "pair_intensity",
    "pair_peak",
    "pair_rounds",
    "pair_onsets",
    "pair_start",
    "pair_cause",
    "pair_ceasefires",
    "pair_intervened",
    "pair_surprise",
    "spill_now",
    "spill_from_power",
    "spillovers",
    "spillovers_explained",
    "spillovers_misattributed",
)


def active(p: Params) -> bool:
    """Listed pairs can fight under these parameters: some pair, and wars that last."""
    return len(p.pair_sides) > 0 and not p.ends_run and p.war_rung is not None


def init(c: Crisis, p: Params, n: int) -> None:
    """The pairs' state at round 0: at peace at the status quo, or at war as ``war.at_start``.

    ``pair_front`` and ``pair_quo`` are the pair's power's share (the front held, and the line
    a ceasefire froze or the status quo); ``pair_intensity`` the power's rung in the pair's war
    (the war rung at peace: a war starts at intensity 0).
    """
    count = len(p.pair_sides)
    w = int(p.war_rung) if p.war_rung is not None else 0
    quo = np.broadcast_to(p.pair_status_quo[:, 0], (n, count)).astype(float)
    c.pair_war = np.zeros((n, count), dtype=bool)
    c.pair_quo = quo.copy()
    c.pair_front = quo.copy()
    c.pair_intensity = np.full((n, count), w, dtype=np.int64)
    for s, sides in enumerate(p.at_start_sides):
        match = [
            k
            for k, pair in enumerate(p.pair_sides)
            if (int(pair[0]), int(pair[1])) == (int(sides[0]), int(sides[1]))
        ]
        if not match:
            continue  # the powers' pair: Crisis sets it
        k = match[0]
        c.pair_war[:, k] = True
        c.pair_front[:, k] = float(p.at_start_front[s, 0])
        c.pair_intensity[:, k] = int(p.at_start_intensity[s, 0])
    c.pair_peak = c.pair_intensity.copy()
    c.pair_rounds = np.zeros((n, count), dtype=np.int64)
    c.pair_onsets = np.zeros((n, count), dtype=np.int64)
    c.pair_start = np.zeros((n, count), dtype=np.int64)
    c.pair_cause = np.full((n, count), None, dtype=object)
    c.pair_ceasefires = np.zeros((n, count), dtype=np.int64)
    c.pair_intervened = np.zeros((n, count), dtype=bool)
    # The power's battles won less their chances, summed (its learning, bg.believed_chance).
    c.pair_surprise = np.zeros((n, count))
    c.spill_now = np.zeros((n, count), dtype=bool)
    c.spill_from_power = np.zeros((n, count), dtype=bool)
    c.spillovers = np.zeros(n, dtype=np.int64)
    c.spillovers_explained = np.zeros(n, dtype=np.int64)
    c.spillovers_misattributed = np.zeros(n, dtype=np.int64)


def _watcher(c: Crisis, k: int) -> NDArray[np.int64]:
    """Who reads pair k's spillover incidents: the touched actor if a power, else its patron."""
    p = c.params
    touched = int(p.pair_spillover_touches[k])
    if p.is_power[touched]:
        return np.full(len(c.reps), touched, dtype=np.int64)
    return c._patron(touched)


def spillovers(c: Crisis, u: Draws) -> None:
    """Phase 2, the listed pairs' part: incidents of a pair's war outside it (pair-wars §7).

    A pair at war with a ``spillover`` has an incident with probability ``rate`` scaled by the
    power's intensity (``incident_risk[z] / incident_risk[war rung]``, 1 where the war rung's is
    0; clipped to 1; ``spillover`` slot); it came from the pair's power with probability
    ``from_power`` (``spillover_source`` slot), else from the other side. Either way the touched
    actor's patron (or the touched power) suspects the power: the incident is one rung on the
    power's apparent posture this round (today's incident mechanism, ``Crisis.accidents``),
    which an observer takes out where a private channel to the power explains it
    (deconfliction, ``Crisis.perception``; counted by :func:`count_explained`).
    """
    p = c.params
    c.spill_now[:] = False
    if not active(p) or not (p.pair_spillover_rate > 0).any():
        return
    sides = p.pair_sides
    u_spill = u.take("spillover", sides[:, 0], sides[:, 1])
    u_source = u.take("spillover_source", sides[:, 0], sides[:, 1])
    w = int(p.war_rung)  # type: ignore[arg-type]
    base = float(p.incident_risk[w])
    for k in range(len(sides)):
        rate = float(p.pair_spillover_rate[k])
        if rate <= 0:
            continue
        i = int(sides[k, 0])
        z = c.pair_intensity[:, k]
        scale = p.incident_risk[z] / base if base > 0 else np.ones(len(z))
        spill = ~c.ended & c.pair_war[:, k] & (u_spill[:, k] < np.clip(rate * scale, 0.0, 1.0))
        if not spill.any():
            continue
        fired = u_source[:, k] < float(p.pair_spillover_from_power[k])
        c.spill_now[:, k] = spill
        c.spill_from_power[:, k] = fired
        c.spillovers += spill
        top = p.n_rungs - 1 - c.rung[:, i]
        c.incident[:, i] = np.where(spill, np.minimum(c.incident[:, i] + 1, top), c.incident[:, i])
        c.apparent[:, i] = c.rung[:, i] + c.incident[:, i]
        touched = p.ids[int(p.pair_spillover_touches[k])]
        c._log(
            spill,
            "incident",
            actor=p.ids[i],
            target=touched,
            rung=c.apparent[:, i],
            cause="spillover",
            detail=lambda idx, fired=fired, k=k: [
                f"{p.pair_spillover_description[k] or 'a spillover incident'}; fired by "
                f"{p.ids[int(sides[k, 0]) if f else int(sides[k, 1])]}"
                for f in fired[idx]
            ],
        )


def count_explained(c: Crisis, explained: NDArray[np.bool_] | None) -> None:
    """Count this round's spillover incidents explained to their watcher, or misattributed.

    ``explained`` is ``Crisis.perception``'s ``[R, observed pairs]`` (None: perfect
    information, where nothing is misread). Explained: the watcher's view of the power had the
    incident taken out by deconfliction. Misattributed: not explained, and the power did not
    fire (the watcher reads the other side's incident as the power's step up).
    """
    if not c.spill_now.any():
        return
    p = c.params
    index = {(int(a), int(b)): k for k, (a, b) in enumerate(zip(c.obs_i, c.obs_j, strict=True))}
    for k in range(len(p.pair_sides)):
        spill = c.spill_now[:, k]
        if not spill.any():
            continue
        i = int(p.pair_sides[k, 0])
        watcher = _watcher(c, k)
        seen = np.ones(len(spill), dtype=bool)
        if explained is not None:
            for w in np.unique(watcher[spill]):
                column = index.get((int(w), i))
                got = explained[:, column] if column is not None else np.zeros(len(spill), bool)
                seen = np.where(watcher == w, got, seen)
        c.spillovers_explained += spill & seen
        c.spillovers_misattributed += spill & ~seen & ~c.spill_from_power[:, k]


def _top_intensity(p: Params, i: int) -> int:
    """The highest rung power i can choose in a pair's war (never the strategic rung)."""
    top = p.n_rungs - 1 if p.strategic_rung is None else p.strategic_rung - 1
    if p.nuclear_rung is not None and not p.nuclear[i]:
        top = min(top, p.nuclear_rung - 1)
    return max(top, int(p.war_rung))  # type: ignore[arg-type]


class _Direct:
    """A power's direct-war values this round, perceived and true (``[2, R]``, ``[2, R, K]``).

    ``own``: its onset value of the war against the other power less its settlement there
    (``D``); ``other``: the same for the other power per type, as this power models it;
    ``posterior``: its belief over the other's types. 0 where the powers are at war.
    """

    def __init__(self, c: Crisis, i: int) -> None:
        p = c.params
        d = float(p.discount)
        obs = c.observation(i, truth=None, pressure=0.0)
        t = terms(obs, c._traits(i), p)
        war = np.broadcast_to(np.asarray(t.war, dtype=float), (2, len(c.reps)))
        war_j = np.asarray(t.war_j, dtype=float)
        post = np.asarray(obs.posterior, dtype=float)
        war_j = np.broadcast_to(war_j, post.shape)
        peace = ~c.at_war
        self.own = np.where(peace, war - bg.settlement_value(t.share, d), 0.0)
        # The other's share per row (``Terms.share_j``), read over its types (the last axis).
        share_j = np.asarray(t.share_j, dtype=float)[..., None]
        self.other = np.where(peace[:, None], war_j - bg.settlement_value(share_j, d), 0.0)
        self.posterior = post
        if c.perfect_information:
            # The twins decide on the truth (as ``Crisis.decisions`` does): both rows are it.
            self.own = np.broadcast_to(self.own[1], self.own.shape)
            self.other = np.broadcast_to(self.other[1], self.other.shape)
            self.posterior = np.broadcast_to(post[1], post.shape)


def _view(c: Crisis, i: int, views: dict[int, _Direct]) -> _Direct:
    """Power i's :class:`_Direct` of this round: the one in ``views``, else built and kept there.

    Built only when missing (``views.setdefault(i, _Direct(c, i))`` built one on every call and
    threw it away when one was kept, a policy's war values each time); building reads the
    crisis and changes nothing in it, so the values are those of the first build either way.
    """
    view = views.get(i)
    if view is None:
        view = views[i] = _Direct(c, i)
    return view


def _odds(
    c: Crisis, k: int, z: NDArray[np.int64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Power i's chance of a battle against the client supplied and joined, at intensity z."""
    p = c.params
    i, j = int(p.pair_sides[k, 0]), int(p.pair_sides[k, 1])
    patron = int(p.pair_patron[k])
    k_p = float(p.capability[patron]) if patron >= 0 else 0.0
    k_i = float(p.capability[i]) * (1.0 + p.war_advantage[z])
    k_j = float(p.capability[j])
    m = p.decisiveness
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        supplied = np.asarray(bg.win_probability(k_i, k_j + float(p.pair_support[k]) * k_p, m))
        joined = np.asarray(bg.win_probability(k_i, k_j + k_p, m))
    return supplied, joined


def _armed(p: Params, k: int) -> bool:
    """Pair k's power and its client's patron are both nuclear-armed: an exchange can happen."""
    i, patron = int(p.pair_sides[k, 0]), int(p.pair_patron[k])
    return patron >= 0 and bool(p.nuclear[i]) and bool(p.nuclear[patron])


def _hazard(p: Params, k: int, z: Any, scale: float, possible: Any) -> NDArray[np.float64]:
    """The exchange hazard of the power's intensity ``z`` in pair k's war.

    ``bg.exchange_hazard_held`` with the client at the war rung, at ``scale``, an exchange
    possible with probability ``possible``.
    """
    w = int(p.war_rung)  # type: ignore[arg-type]
    return np.asarray(
        bg.exchange_hazard_held(
            p.exchange_hazard, z, w, p.nuclear_rung, scale, possible, p.strategic_rung
        ),
        dtype=float,
    )


def _believed(c: Crisis, k: int, side: int, chance: NDArray[np.float64]) -> NDArray[np.float64]:
    """What side ``side`` of pair k (0 the power, 1 the other) believes its chance ``chance`` is.

    ``chance`` is ``[R]`` or ``[R, m]``; ``bg.believed_chance`` with the side's optimism and what
    its battles so far taught it (the power's surprise, the other's its negative).
    """
    p = c.params
    optimism = float(p.pair_optimism[k, side])
    surprise = c.pair_surprise[:, k] if side == 0 else -c.pair_surprise[:, k]
    if optimism == 0.0:
        return chance  # it knows the chances (step 3's rule, exactly)
    extra = (slice(None),) + (None,) * (np.ndim(chance) - 1)
    return np.asarray(
        bg.believed_chance(
            chance,
            optimism,
            float(p.pair_prior_battles[k]),
            surprise[extra],
            c.pair_rounds[:, k][extra],
        ),
        dtype=float,
    )


def _values(
    c: Crisis,
    k: int,
    z: NDArray[np.int64],
    front: NDArray[np.float64],
    views: dict[int, _Direct],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Power i's value of the pair's war at intensities ``z`` ``[R, m]`` from ``front`` ``[R]``.

    Returns the values ``[2, R, m]`` (perceived, true) and π, the intervention it expects
    ``[2, R, m]`` (1 where the powers are at war).
    """
    p = c.params
    d, sigma = float(p.discount), p.front_step
    i = int(p.pair_sides[k, 0])
    patron = int(p.pair_patron[k])
    w = int(p.war_rung)  # type: ignore[arg-type]
    p_s, p_j = _odds(c, k, z)
    # The power values the war with its belief about its chances (bg.believed_chance: its
    # optimism, learned away as it fights); the patron's values use the true chances.
    p_s_seen, p_j_seen = (_believed(c, k, 0, chance) for chance in (p_s, p_j))
    q = front[:, None]
    view = _view(c, i, views)
    at_war = c.at_war[None, :, None]
    if patron >= 0 and p.pair_patron_stake[k] > 0:
        v_int, v_out = bg.patron_values(
            float(p.pair_patron_stake[k]),
            (1.0 - q)[None, ..., None],
            (1.0 - p_s)[None, ..., None],
            (1.0 - p_j)[None, ..., None],
            d,
            sigma,
            view.other[:, :, None, :],
        )
        pi = bg.intervention_probability(view.posterior[:, :, None, :], v_int, v_out)
    else:
        pi = np.zeros((2, *z.shape))
    pi = np.where(at_war, 1.0, pi)
    hazard = _hazard(p, k, z, float(p.exchange_risk_scale[i]), float(_armed(p, k)))
    value = bg.pair_war_value(
        q,
        p_s_seen,
        p_j_seen,
        float(p.pair_cost[k, 0]),
        p.costs[z] - p.costs[w],
        hazard,
        exchange_state(p),
        d,
        sigma,
        pi,
        view.own[:, :, None],
    )
    return np.asarray(value, dtype=float), np.asarray(pi, dtype=float)


def _route(c: Crisis, k: int) -> NDArray[np.bool_]:
    """Where a ceasefire of pair k can be concluded this round.

    A private path between the pair's sides, or an agreement in force on an item that ends the
    pair's war.
    """
    p = c.params
    i, j = int(p.pair_sides[k, 0]), int(p.pair_sides[k, 1])
    route = (c.path[:, i, j] != p.public) | (c.path[:, j, i] != p.public)
    for g in range(c.G):
        ends = p.agenda_ends_war[g]
        if (int(ends[0]), int(ends[1])) == (i, j):
            route |= c.agreed[:, g] >= 0
    return route


def play(c: Crisis, alive: NDArray[np.bool_], u: Draws) -> NDArray[np.bool_]:
    """Phase 7, the listed pairs' part: conduct, battles, ceasefires, interventions, attacks.

    In this order for each pair (docs/pair-wars.md "As built: step 3"), on the rows still
    running; a war begun this round fights from the next (as the powers' war). Returns the rows
    still running (an exchange ends a run).
    """
    p = c.params
    if not active(p):
        return alive
    # Every row still running, the powers' crisis ended this round or not (``Crisis._end``:
    # where pairs are listed, the run goes on to the horizon).
    alive = ~c.ended
    d = float(p.discount)
    w = int(p.war_rung)  # type: ignore[arg-type]
    sides = p.pair_sides
    u_battle = u.take("pair_battle", sides[:, 0], sides[:, 1])
    u_exchange = u.take("pair_exchange", sides[:, 0], sides[:, 1])
    views: dict[int, _Direct] = {}
    rows = np.arange(len(c.reps))
    for k in range(len(sides)):
        i, j = int(sides[k, 0]), int(sides[k, 1])
        patron = int(p.pair_patron[k])
        fighting = alive & c.pair_war[:, k]
        at_peace = alive & ~c.pair_war[:, k]
        if fighting.any():
            alive &= ~_fight(c, k, fighting, u_battle[:, k], u_exchange[:, k], views)
            fighting &= alive
            _ceasefire(c, k, fighting, views)
            if patron >= 0 and p.pair_patron_stake[k] > 0:
                _intervene(c, k, fighting & c.pair_war[:, k] & ~c.at_war, views)
        if at_peace.any():
            z0 = np.full((len(rows), 1), w, dtype=np.int64)
            quo = c.pair_quo[:, k]
            value, _ = _values(c, k, z0, quo, views)
            peace = bg.settlement_value(quo, d)
            attack = value[:, :, 0] > peace
            onset = at_peace & attack[0]
            if onset.any():
                cause = np.where(attack[1], "deliberate", "miscalculated")
                first = onset & (c.pair_onsets[:, k] == 0)
                c.pair_start[:, k] = np.where(first, c.round, c.pair_start[:, k])
                c.pair_cause[:, k] = np.where(first, cause, c.pair_cause[:, k])
                c.pair_onsets[:, k] += onset
                c.pair_war[:, k] |= onset
                c.pair_front[:, k] = np.where(onset, quo, c.pair_front[:, k])
                c.pair_intensity[:, k] = np.where(onset, w, c.pair_intensity[:, k])
                c._log(onset, "war", actor=p.ids[i], target=p.ids[j], rung=w, cause=cause)
    return alive


def _fight(
    c: Crisis,
    k: int,
    fighting: NDArray[np.bool_],
    u_battle: NDArray[np.float64],
    u_exchange: NDArray[np.float64],
    views: dict[int, _Direct],
) -> NDArray[np.bool_]:
    """The power's choice of intensity, the battle and the exchange draw; returns exchanges."""
    p = c.params
    i, j = int(p.pair_sides[k, 0]), int(p.pair_sides[k, 1])
    w = int(p.war_rung)  # type: ignore[arg-type]
    z0 = c.pair_intensity[:, k]
    top = _top_intensity(p, i)
    cand = np.stack(
        [
            np.maximum(z0 - 1, w),
            z0,
            np.minimum(z0 + 1, top),
            np.minimum(z0 + max(int(p.jump), 1), top),
        ],
        axis=1,
    )
    value, pi = _values(c, k, cand, c.pair_front[:, k], views)
    seen = value[0]
    rows = np.arange(len(z0))
    best = np.argmax(seen, axis=1)
    # The candidate taken: the best where strictly better than holding (column 1), else hold.
    taken = np.where(fighting & (seen[rows, best] > seen[:, 1]), best, 1)
    z = cand[rows, taken]
    moved = fighting & (z != z0)
    c._log(
        moved & (z > z0),
        "escalation",
        actor=p.ids[i],
        target=p.ids[j],
        rung=z,
        cause="deliberate",
    )
    c._log(moved & (z < z0), "deescalation", actor=p.ids[i], target=p.ids[j], rung=z)
    c.pair_intensity[:, k] = z
    c.pair_peak[:, k] = np.maximum(c.pair_peak[:, k], np.where(fighting, z, 0))
    if p.nuclear_rung is not None:
        first = fighting & ~c.nuclear & ~c.ended & (z >= p.nuclear_rung)
        if first.any():
            hazard = _hazard(p, k, z, float(p.exchange_risk_scale[i]), pi[0][rows, taken])
            left = c.horizon - c.round + 1
            assumed = np.asarray(bg.assumed_exchange_probability(hazard, left), dtype=float)
            c.assumed_exchange = np.where(first, assumed, c.assumed_exchange)
        c.nuclear |= fighting & (z >= p.nuclear_rung)
    p_s, p_j = _odds(c, k, z)
    chance = np.where(c.at_war, p_j, p_s)
    won = u_battle < chance
    c.pair_surprise[:, k] += np.where(fighting, won - chance, 0.0)
    c.pair_front[:, k] = np.where(
        fighting, bg.front_step(c.pair_front[:, k], won, p.front_step), c.pair_front[:, k]
    )
    c.pair_rounds[:, k] += fighting
    hazard = _hazard(p, k, z, 1.0, (c.at_war & _armed(p, k)).astype(float))
    exchange = fighting & (u_exchange < hazard)
    if exchange.any():
        c.strategic |= exchange
        c._log(exchange, "exchange", actor=p.ids[i], target=p.ids[j], rung=z, cause="strategic")
        c._end(exchange, "exchange", "a strategic nuclear exchange", final=True)
    return exchange


def _ceasefire(c: Crisis, k: int, fighting: NDArray[np.bool_], views: dict[int, _Direct]) -> None:
    """A freeze at the front where both sides prefer it and a route is open (module doc)."""
    p = c.params
    d, sigma = float(p.discount), p.front_step
    i, j = int(p.pair_sides[k, 0]), int(p.pair_sides[k, 1])
    w = int(p.war_rung)  # type: ignore[arg-type]
    z = c.pair_intensity[:, k]
    q = c.pair_front[:, k]
    value, _ = _values(c, k, z[:, None], q, views)
    p_s, p_j = _odds(c, k, z)
    chance = np.where(c.at_war, p_j, p_s)
    hazard = _hazard(p, k, z, 1.0, (c.at_war & _armed(p, k)).astype(float))
    client = bg.war_hold_value(
        1.0 - q,
        _believed(c, k, 1, 1.0 - chance),
        float(p.pair_cost[k, 1]),
        0.0,
        hazard,
        exchange_state(p),
        d,
        sigma,
    )
    power_yes = bg.settlement_value(q, d) >= value[0, :, 0]
    client_yes = bg.settlement_value(1.0 - q, d) >= client
    freeze = fighting & power_yes & client_yes & _route(c, k)
    if not freeze.any():
        return
    c.pair_war[:, k] &= ~freeze
    c.pair_quo[:, k] = np.where(freeze, q, c.pair_quo[:, k])
    c.pair_intensity[:, k] = np.where(freeze, w, c.pair_intensity[:, k])
    c.pair_ceasefires[:, k] += freeze
    # A powers' crisis that ended while this pair fought stays pending (``Crisis._end``): the
    # pair can go to war again, to the horizon.
    c._log(
        freeze,
        "ceasefire",
        actor=p.ids[i],
        target=p.ids[j],
        detail=lambda idx: [f"a freeze at the front: {p.ids[i]} holds {x:.3f}" for x in q[idx]],
    )


def _intervene(c: Crisis, k: int, rows: NDArray[np.bool_], views: dict[int, _Direct]) -> None:
    """The patron joins its client's war where its own values say so: a direct war begins."""
    if not rows.any():
        return
    p = c.params
    d, sigma = float(p.discount), p.front_step
    patron = int(p.pair_patron[k])
    z = c.pair_intensity[:, k]
    p_s, p_j = _odds(c, k, z)
    view = _view(c, patron, views)
    v_int, v_out = bg.patron_values(
        float(p.pair_patron_stake[k]),
        1.0 - c.pair_front[:, k],
        1.0 - p_s,
        1.0 - p_j,
        d,
        sigma,
        view.own[0],
    )
    joins = rows & (np.asarray(v_int) > np.asarray(v_out))
    if not joins.any():
        return
    c.pair_intervened[:, k] |= joins
    views.clear()  # the powers are now at war: every direct-war value changes
    c._direct_onset(joins, np.full(len(joins), patron), np.full(len(joins), "third_party"))


def columns(c: Crisis, rows: NDArray[np.bool_]) -> dict[str, NDArray[Any]]:
    """The outcome columns of the listed pairs' wars (docs/pair-wars.md §8), over ``rows``.

    ``war_direct`` (a war between the powers began in the run, an intervention included: the
    ``war`` column's meaning), ``war_any`` (a war began between the powers or in a listed
    pair; a war under way at round 1 is not an onset), ``wars`` (onsets) and
    ``war_rounds_any`` (rounds of battle in every war); and per listed pair ``I-J`` (its
    power first): ``war_I_J`` (a war began), ``cause_I_J`` (the first onset's cause, or
    None), ``start_round_I_J`` (the round the first onset came in, 0 if none),
    ``at_war_I_J`` (still at war when the run ended), ``war_rounds_I_J``, ``ceasefires_I_J``,
    ``front_I_J`` (the power's share held at the end), ``peak_I_J`` (the power's highest
    intensity, a rung index) and ``intervention_I_J`` (the patron joined).
    """
    p = c.params
    onsets = c.pair_onsets[rows]
    direct = c.war_onsets[rows] > 0
    out: dict[str, NDArray[Any]] = {
        "war_direct": direct,
        "war_any": direct | (onsets > 0).any(axis=1),
        "wars": c.war_onsets[rows] + onsets.sum(axis=1),
        "war_rounds_any": c.war_rounds[rows] + c.pair_rounds[rows].sum(axis=1),
    }
    for k, (i, j) in enumerate(p.pair_sides):
        name = f"{p.ids[int(i)]}_{p.ids[int(j)]}"
        out[f"war_{name}"] = onsets[:, k] > 0
        out[f"cause_{name}"] = c.pair_cause[rows, k]
        out[f"start_round_{name}"] = c.pair_start[rows, k]
        out[f"at_war_{name}"] = c.pair_war[rows, k]
        out[f"war_rounds_{name}"] = c.pair_rounds[rows, k]
        out[f"ceasefires_{name}"] = c.pair_ceasefires[rows, k]
        out[f"front_{name}"] = c.pair_front[rows, k]
        out[f"peak_{name}"] = c.pair_peak[rows, k]
        out[f"intervention_{name}"] = c.pair_intervened[rows, k]
    out["spillovers"] = c.spillovers[rows]
    out["spillovers_explained"] = c.spillovers_explained[rows]
    out["spillovers_misattributed"] = c.spillovers_misattributed[rows]
    return out
