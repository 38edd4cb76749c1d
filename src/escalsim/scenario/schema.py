"""Typed scenario models (pydantic v2).

A scenario file is validated into :class:`Scenario`. Every model forbids unknown keys, refuses
NaN and infinities, and is strict about types (a string is never silently read as a number or a
boolean). Units and ranges are in each field's description, which is also what the JSON Schema
export (``escalsim schema``) shows in an editor.

Cross-references between parts of the scenario (actor ids, channel endpoints, rung names,
schedules within the horizon) are checked in :mod:`escalsim.scenario.checks`, which reports each
problem at the exact position of the offending value.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any, Literal, override

from pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    model_validator,
)

from escalsim.policies.base import STRICT, NonNegative, PolicySpec, Probability
from escalsim.policies.registry import (
    DEFAULT_POLICY,
    default_policies_text,
    default_policy,
    spec_models,
    spec_union,
)

__all__ = [
    "DEFAULT_DISCOUNT",
    "MAX_TYPES",
    "MAX_WAR_COST",
    "READ_VERSIONS",
    "REMOVED",
    "SCHEMA_VERSION",
    "Accidents",
    "Actor",
    "AgendaItem",
    "Agreement",
    "Beliefs",
    "Channel",
    "Condition",
    "CostTypes",
    "Endings",
    "Event",
    "Ladder",
    "PairStakes",
    "Policy",
    "ResolveTypes",
    "RunSettings",
    "Rung",
    "Scenario",
    "Spillover",
    "Stakes",
    "War",
    "WarAtStart",
    "WarPair",
]

#: Version of the scenario format; a file states it as ``schema_version``.
SCHEMA_VERSION = 3
#: The versions the loader reads: a version-1 file is migrated to the current version as it is
#: read (:mod:`escalsim.scenario.migrate`), with one notice listing what changed; a version-2
#: file reads unchanged and silently (version 3's defaults are exactly version 2's meaning).
READ_VERSIONS = (1, 2, 3)

#: What version 2 of the format removed, with what replaced it: the hint of the error a file
#: that still uses it gets (a version-1 file's actors and doctrines are migrated instead,
#: :mod:`escalsim.scenario.migrate`).
REMOVED: dict[str, str] = {
    "risk_tolerance": "risk_tolerance was removed in schema_version 2: the risk of war an actor "
    "will run is its type, given by resolve or war_cost (docs/decision-v2.md §3.3)",
    "quantal": "the quantal policy was removed in schema_version 2: a power's default is "
    "bargaining (docs/decision-v2.md §3.7), a third party's reciprocal",
}

#: The discount factor δ per round when ``stakes.discount`` is not given, by ``run.time_unit``
#: (docs/decision-v2.md §10). ``1/(1 - δ)`` rounds is the crisis's shadow of the future: about
#: 42 days for hourly rounds, 100 days for daily ones, 20 weeks for weekly ones and 10 months for
#: monthly ones. Design values, not estimates.
DEFAULT_DISCOUNT: dict[str, float] = {"hour": 0.999, "day": 0.99, "week": 0.95, "month": 0.9}
#: How many days one round of each ``run.time_unit`` lasts (a month is a twelfth of a Julian
#: year, 30.44 days, so 4.348 weeks): converting a scenario's rates and lengths between time
#: units (scripts/port_generic.py) and measuring a historical scenario's length in weeks
#: against the record's exposure (:mod:`escalsim.validation.record`).
DAYS_PER_UNIT: dict[str, float] = {
    "hour": 1.0 / 24.0,
    "day": 1.0,
    "week": 7.0,
    "month": 365.25 / 12.0,
}
#: The most types a prior may have (a grid or a uniform's ``types``): the model keeps, per
#: replication and power, a posterior over 2n joint types (cost of war, honest or not).
MAX_TYPES = 100
#: The largest cost of war, per round and relative to the stakes' flow (1). A resolve near 0
#: maps to about this (``escalsim.core.params.RESOLVE_FLOOR``): war is then never worth it.
MAX_WAR_COST = 1000.0

Identifier = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z][A-Za-z0-9_\-]{0,63}$",
        description="An identifier: a letter, then letters, digits, '_' or '-' (at most 64).",
    ),
]
#: A rung, by its name or by its 0-based index on the ladder.
RungRef = Annotated[
    Identifier | Annotated[int, Field(ge=0)],
    Field(description="A rung of the ladder, by name or 0-based index."),
]


class _Model(BaseModel):
    model_config = STRICT  # shared with the policies' parameter models


# ------------------------------------------------------------------------------------------------
# Run settings and ladder
# ------------------------------------------------------------------------------------------------
class RunSettings(_Model):
    """How long a crisis runs and how it is replicated."""

    rounds: int = Field(
        ge=1,
        le=10_000,
        description="Horizon: rounds per run (1 to 10,000: each round costs the batch engine "
        "0.5-3 ms whatever the replications, and the kept timeseries grow with it; "
        "docs/reliability/limits.md).",
    )
    time_unit: Literal["hour", "day", "week", "month"] = Field(
        description="What one round stands for."
    )
    replications: int = Field(
        default=1000,
        ge=1,
        le=10_000_000,
        description="Default number of Monte Carlo replications (1 to 10,000,000: a run keeps "
        "about 1 KB per replication and condition at its peak; docs/reliability/limits.md).",
    )
    seed: int = Field(
        default=0, ge=0, lt=2**63, description="Default root seed (a non-negative integer)."
    )


class Rung(_Model):
    """One rung of the escalation ladder (Kahn 1965)."""

    name: Identifier = Field(description="Short name used to refer to the rung.")
    label: str = Field(default="", max_length=200, description="Human-readable label.")
    cost: NonNegative = Field(description="Per-round cost of holding this posture (utility units).")
    imposed_cost: NonNegative = Field(
        default=0.0,
        description="Per-round cost this posture imposes on the other power while a power holds "
        "it, in the same units (a blockade, sanctions: coercion by cost, not by the risk of "
        "war; docs/decision-v2.md §3.11). Default 0.",
    )
    incident_risk: Probability = Field(
        default=0.0,
        description="Per-round probability that an actor holding this rung has an incident "
        "(an accident that looks like a deliberate step up).",
    )
    war_risk: Probability = Field(
        default=0.0,
        description="Per-round probability of war by accident while a power holds this rung "
        "(Schelling's threat that leaves something to chance).",
    )
    mid_level: int | None = Field(
        default=None,
        ge=1,
        le=5,
        description="Correlates of War MID hostility level this rung maps to (1 no militarised "
        "action, 2 threat, 3 display, 4 use of force, 5 war); used for calibration.",
    )
    icb_violence: int | None = Field(
        default=None,
        ge=1,
        le=4,
        description="International Crisis Behavior violence level this rung maps to (1 no "
        "violence, 2 minor clashes, 3 serious clashes, 4 full-scale war); used for calibration "
        "against ICB (docs/calibration.md).",
    )
    war_advantage: Annotated[float, Field(ge=0.0, le=10.0)] = Field(
        default=0.0,
        description="Version 3: a side's strength in a war at this intensity is its capability "
        "times (1 + war_advantage), 0 to 10; only rungs above the war rung (intensities in a "
        "war) may have one (docs/pair-wars.md §4).",
    )
    exchange_hazard: Probability = Field(
        default=0.0,
        description="Version 3: per-round probability that a war in which a side holds this "
        "intensity (its highest) ends in a strategic exchange; only rungs above the war rung "
        "(docs/pair-wars.md §4). Needs war.exchange_value when above 0.",
    )


class Ladder(_Model):
    """The ordered escalation ladder: rung 0 is normal relations."""

    rungs: list[Rung] = Field(min_length=2, max_length=50, description="Rungs, lowest first.")
    war_rung: RungRef | None = Field(
        description="The rung at which a power is at war. Required; write null for a repeated "
        "game with no war (the prisoner's dilemma special case)."
    )
    nuclear_rung: RungRef | None = Field(default=None, description="The nuclear-use rung, if any.")
    strategic_rung: RungRef | None = Field(
        default=None,
        description="Version 3: reaching this rung is a strategic exchange; above the nuclear "
        "rung (above the war rung when there is none). Needs war.exchange_value "
        "(docs/pair-wars.md §4).",
    )
    crisis_rung: RungRef | None = Field(
        default=None,
        description="The rung at which a run becomes an international crisis in the sense of "
        "the ICB data (a heightened probability of military hostilities): a run in which either "
        "power reaches it; used for calibration against ICB (docs/calibration.md).",
    )
    crisis_basic_values: bool = Field(
        default=False,
        description="With a crisis_rung: a run is a crisis only if, besides, some power's drawn "
        "cost of war is below its chance of winning, so that it would rather fight than give "
        "the issue up (a threat to basic values, the first element of ICB's definition; "
        "docs/calibration.md).",
    )
    jump: int = Field(default=2, ge=1, le=10, description="Rungs climbed by a 'jump' move.")
    deescalation_friction: Probability = Field(
        default=0.0,
        description="Probability that a chosen step down does not happen this round "
        "(bureaucratic and domestic inertia).",
    )


class Endings(_Model):
    """How a crisis ends without war (otherwise it is unresolved at the horizon)."""

    settlement_rung: RungRef = Field(
        default=0, description="Both powers at or below this rung count as settled."
    )
    settlement_rounds: int | None = Field(
        default=3,
        ge=1,
        description="Consecutive settled rounds that end the crisis; null: a crisis never "
        "ends by settlement.",
    )
    core_agreement_settles: bool = Field(
        default=True, description="An agreement on a core agenda item ends the crisis."
    )
    capitulation: bool = Field(
        default=True,
        description="A power may concede (a policy's 'concede' move), ending the crisis.",
    )


class Accidents(_Model):
    """Implementation noise: moves that nobody intended."""

    implementation_error: Annotated[float, Field(ge=0.0, le=0.5)] = Field(
        default=0.0,
        description="Per-decision probability that an actor's intended move comes out as its "
        "opposite: a step up as a step down and the reverse; a hold as a step (up or down, "
        "equally likely; at an end of the ladder, the one step possible). On two rungs this is "
        "the implementation noise of Wu & Axelrod (1995): the played choice is flipped.",
    )
    incident_scale: NonNegative = Field(
        default=1.0, description="Multiplier on every rung's incident_risk."
    )


class Stakes(_Model):
    """What the crisis is about: the disputed stakes, a flow of 1 per round to whoever holds them.

    Version 2 of the format (docs/decision-v2.md §2, §10); the simulation does not read these
    fields yet (docs/scenario-format.md, "Version 2").
    """

    status_quo: dict[Identifier, Probability] | None = Field(
        default=None,
        description="Each power's share of the stakes while the crisis is unresolved, by power "
        "id; the shares sum to 1, and a power not named gets the rest. Default: 0.5 each.",
    )
    discount: Annotated[float, Field(ge=0.0, lt=1.0)] | None = Field(
        default=None,
        description="Discount factor δ per round, in [0, 1): a value is a discounted sum of "
        "flows. Default by run.time_unit: hour 0.999, day 0.99, week 0.95, month 0.9.",
    )
    divisible: bool = Field(
        default=True,
        description="Offers are any division of the stakes; false: offers are bundles of whole "
        "agenda items (each item's own 'divisible' then says whether it can be split).",
    )
    talks_open: bool = Field(
        default=True,
        description="Whether the powers bargain in a round: false, no power posts or revises an "
        "offer, none is accepted and none concedes (the crisis goes on on the ladder). A 'set' "
        "event on stakes.talks_open opens the talks at the round the record dates the first "
        "proposal (docs/decision-v2.md §3.6).",
    )
    commitment_problem: bool = Field(
        default=False,
        description="The powers anticipate scheduled shifts in capabilities ('set' events on a "
        "power's capability), as in a commitment problem (Fearon 1995; Powell 2006).",
    )
    held_at: dict[Identifier, RungRef] | None = Field(
        default=None,
        description="A fait accompli: one power whose status-quo share is held by a posture, and "
        "the rung of that posture, e.g. {SUN: deployment}. While the power stands below the "
        "rung it holds none of the stakes and the other power holds them all; stepping down "
        "gives them up (Tarar 2016; Altman 2017; docs/decision-v2.md §3.10). Default: none, "
        "the shares do not depend on the postures.",
    )


#: Two actor ids: a pair of actors (version 3).
ActorPair = Annotated[
    list[Identifier],
    Field(min_length=2, max_length=2, description="Two actor ids, e.g. [RUS, UKR]."),
]
#: A date written YYYY-MM-DD (checked to be a calendar date by the cross-field checks).
IsoDate = Annotated[
    str,
    Field(
        max_length=40,
        description="A date, YYYY-MM-DD.",
        json_schema_extra={"pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
    ),
]


class PairStakes(_Model):
    """A listed pair's own stakes (version 3; docs/pair-wars.md §5)."""

    status_quo: dict[Identifier, Probability] | None = Field(
        default=None,
        description="Each side's share of the pair's stakes, by actor id; the shares sum to 1, "
        "and a side not named gets the rest. Default: 0.5 each.",
    )


class Spillover(_Model):
    """Incidents a listed pair's war causes outside it (version 3; docs/pair-wars.md §7)."""

    rate: Probability = Field(
        description="Per-round probability of a spillover incident at intensity 0 (scaled by "
        "the intensity rung's incident_risk)."
    )
    touches: Identifier = Field(description="The actor an incident touches (not in the pair).")
    description: str = Field(default="", max_length=500, description="What happens, in words.")
    from_power: Probability = Field(
        default=0.5,
        description="The chance that an incident came from the pair's power (else from its "
        "other side, e.g. air defence); the touched actor's patron suspects the power either "
        "way, unless a private channel to it explains the incident.",
    )


class WarPair(_Model):
    """A pair that may fight besides the powers (version 3; docs/pair-wars.md §3.6, §5)."""

    pair: ActorPair = Field(
        description="The two actors: exactly one of them a power, not the powers' pair. "
        "Conditions and sweeps address the item as 'war.pairs.A-B'."
    )
    stakes: PairStakes = Field(default_factory=PairStakes, description="The pair's own stakes.")
    patron: dict[Identifier, Identifier] | None = Field(
        default=None,
        min_length=1,
        max_length=1,
        description="{client id: patron id}: the pair's non-power side and the power outside "
        "the pair that backs it.",
    )
    support: Probability = Field(
        default=0.0,
        description="s in [0, 1]: the client fights with its capability plus s times the "
        "patron's while the patron supplies it without fighting; needs a patron.",
    )
    spillover: Spillover | None = Field(
        default=None, description="Incidents the pair's war causes outside it."
    )
    cost: dict[Identifier, Annotated[float, Field(ge=0.0, le=10.0)]] | None = Field(
        default=None,
        description="Each side's cost of the pair's war per round, by actor id, in units of "
        "the pair's stakes per round (c in V = (p - c)/(1 - delta) + ...). Default: 0.1 for a "
        "side not named.",
    )
    optimism: dict[Identifier, Annotated[float, Field(ge=-1.0, le=1.0)]] | None = Field(
        default=None,
        description="Each side's overestimate of its chance of winning a battle of the pair's "
        "war, by actor id, before any battle (mutual optimism: Blainey 1973; learned away by "
        "fighting, Smith & Stam 2004). Default: 0, the side knows the chances.",
    )
    prior_battles: Annotated[float, Field(gt=0.0, le=1000.0)] = Field(
        default=10.0,
        description="How many battles' worth of evidence a side's prior belief about its chances "
        "weighs: its optimism fades as it fights (after n battles, by kappa/(kappa + n) in "
        "expectation).",
    )
    patron_stake: Annotated[float, Field(ge=0.0, le=10.0)] = Field(
        default=0.0,
        description="How much the patron values its client's holdings: the weight, in the "
        "patron's payoff per round, of the client's share of the pair's stakes held on the "
        "front. 0: the patron gains nothing by intervening.",
    )


class WarAtStart(_Model):
    """A pair at war at round 1 (version 3; docs/pair-wars.md §6)."""

    pair: ActorPair = Field(
        description="The powers' pair or a listed pair (war.pairs). Conditions and sweeps "
        "address the item as 'war.at_start.A-B'."
    )
    intensity: dict[Identifier, RungRef] = Field(
        min_length=2,
        max_length=2,
        description="Each side's intensity, by actor id: a rung at or above the war rung (at or "
        "above the nuclear rung only for a side with nuclear: true).",
    )
    front: dict[Identifier, Probability] | None = Field(
        default=None,
        description="Each side's share of the pair's stakes held at round 1 (the front line); a "
        "side not named gets the rest. Default: the pair's status quo.",
    )
    since: IsoDate | None = Field(
        default=None, description="The date the war began, YYYY-MM-DD (for reporting)."
    )


class War(_Model):
    """How a war between the powers is valued (docs/decision-v2.md §3.1). Version 2.

    Version 3 adds how wars end and which pairs may fight (docs/pair-wars.md §3.6, §4, §10); the
    simulation reads the powers' war (``ends_run``, ``front_step``, ``exchange_value``, the
    powers' ``at_start``) and, since step 3 of docs/pair-wars.md §12, the listed pairs too.
    """

    decisiveness: Annotated[float, Field(ge=0.0, le=10.0)] = Field(
        default=1.0,
        description="m of the contest success function p = K_a^m / (K_a^m + K_b^m): 1 is the "
        "ratio of capabilities (Fearon 1995), 0 a coin toss, 10 nearly a sure win for the "
        "stronger side.",
    )
    ends_run: bool = Field(
        default=True,
        description="Version 3: the first war between the powers ends the run, as in version 2 "
        "(true, the default); false: wars last, and listed pairs may fight.",
    )
    front_step: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        default=0.1,
        description="Version 3: σ, how far one battle moves the front line, in (0, 1].",
    )
    exchange_value: float | None = Field(
        default=None,
        description="Version 3: the value of the state after a strategic exchange to every "
        "actor, in units of 1/(1 - δ); below every power's value of war (p - c). Required when "
        "a rung has an exchange_hazard or the ladder a strategic_rung.",
    )
    pairs: list[WarPair] = Field(
        default_factory=list,
        max_length=100,
        description="Version 3: pairs that may fight besides the powers, each with its stakes.",
    )
    at_start: list[WarAtStart] = Field(
        default_factory=list,
        max_length=101,
        description="Version 3: pairs at war at round 1.",
    )


class Beliefs(_Model):
    """How the powers read each other's moves (docs/decision-v2.md §3.4). Version 2."""

    attribution: Literal["naive", "noisy"] = Field(
        default="naive",
        description="naive: a power assumes the other saw its own moves as they were, so an "
        "answer to them looks unprovoked (Jervis 1976); noisy: through the channel's noise.",
    )
    continuation: Literal["hold", "best", "mutual", "mixed"] = Field(
        default="best",
        description="What a bargaining power, looking a round ahead, expects the other to do "
        "instead of quitting: best (the default): its best way of going on, any rung or war, "
        "under the risk of the higher posture (docs/decision-v2.md §3.7); mutual: the same, "
        "with the other counting on this power's quitting in turn (a level-2 model of the "
        "other); mixed: the other is the second kind with probability mutual_share and the "
        "first otherwise (a cognitive hierarchy of the two); hold: hold its current rung for "
        "ever (version 2 as first built, kept to reproduce results made before the default "
        "changed).",
    )
    mutual_share: Probability = Field(
        default=0.5,
        description="With continuation: mixed, the probability that the other counts on this "
        "power's quitting in turn (mutual) rather than not (best): the quit chance is "
        "(1 - w) Q_best + w Q_mutual (Camerer, Ho & Chong 2004). Not read otherwise.",
    )


# ------------------------------------------------------------------------------------------------
# Policies: each policy's parameter model lives with its decision in escalsim.policies; the union
# is built from the registry, so adding a policy is one module there (and its tests).
# ------------------------------------------------------------------------------------------------
#: One actor's policy: a discriminated union (on ``name``) of the registered parameter models.
#: (A type checker sees their common base: the union is built at run time.)
if TYPE_CHECKING:
    Policy = PolicySpec
else:
    Policy = spec_union()

#: Policy name -> parameter model, in registry order, for error messages and the app.
POLICY_MODELS: dict[str, type[PolicySpec]] = spec_models()


# ------------------------------------------------------------------------------------------------
# Types: a prior over a power's private type (docs/decision-v2.md §3.3)
# ------------------------------------------------------------------------------------------------
Resolve = Annotated[float, Field(ge=0.0, le=1.0)]
WarCost = Annotated[float, Field(ge=0.0, le=MAX_WAR_COST)]


class ResolveTypes(_Model):
    """A prior over a power's resolve: {uniform: [lo, hi], types: n} or {grid: [...], prior: [...]}.

    ``uniform`` gives the midpoints of n equal cells of [lo, hi] with equal weights
    (``escalsim.core.bargaining.type_grid``); ``grid`` lists the types in increasing order, with
    their weights in ``prior`` (summing to 1; equal when omitted).
    """

    uniform: list[Resolve] | None = Field(
        default=None, min_length=2, max_length=2, description="[lo, hi], resolves in [0, 1]."
    )
    types: int | None = Field(
        default=None, ge=1, le=MAX_TYPES, description="With uniform: how many types (1 to 100)."
    )
    grid: list[Resolve] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_TYPES,
        description="The resolves, increasing, each in [0, 1] (1 to 100 of them).",
    )
    prior: list[Probability] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_TYPES,
        description="With grid: the weight of each type, summing to 1 [default: equal weights].",
    )


class CostTypes(_Model):
    """A prior over a power's cost of war: {uniform: [lo, hi], types: n} or {grid, prior}.

    As :class:`ResolveTypes`, with costs of war per round relative to the stakes' flow.
    """

    uniform: list[WarCost] | None = Field(
        default=None, min_length=2, max_length=2, description="[lo, hi], costs in [0, 1000]."
    )
    types: int | None = Field(
        default=None, ge=1, le=MAX_TYPES, description="With uniform: how many types (1 to 100)."
    )
    grid: list[WarCost] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_TYPES,
        description="The costs, increasing, each in [0, 1000] (1 to 100 of them).",
    )
    prior: list[Probability] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_TYPES,
        description="With grid: the weight of each type, summing to 1 [default: equal weights].",
    )


# ------------------------------------------------------------------------------------------------
# Actors
# ------------------------------------------------------------------------------------------------
def _no_default(schema: dict[str, Any]) -> None:
    """JSON Schema: no ``default`` for a field whose default depends on another field."""
    schema.pop("default", None)


class Actor(_Model):
    """A state: one of the two powers, or a third party."""

    id: Identifier = Field(description="Unique id, e.g. an ISO country code ('NO' stays a string).")
    name: str = Field(min_length=1, max_length=200, description="Display name.")
    role: Literal["power", "third_party"] = Field(description="Exactly two actors are powers.")
    capability: Annotated[float, Field(gt=0.0, le=1000.0)] = Field(
        description="Relative military and economic capability (positive)."
    )
    resolve: Resolve | ResolveTypes | None = Field(
        default=None,
        description="Resolve: the largest cumulative risk of war the actor will run rather than "
        "concede, in [0, 1]; required for a third party. A power's type (its private cost of "
        "war) may be given by resolve or by war_cost: a point value, or a prior over types "
        "({uniform: [lo, hi], types: n} or {grid: [...], prior: [...]}), mapped to a cost by "
        "c = 1/ρ - 1 + p with p the power's chance of winning at round 0. What a policy reads "
        "as resolve is the point value, or the prior's mean.",
    )
    war_cost: WarCost | CostTypes | None = Field(
        default=None,
        description="Powers only: the cost of war per round relative to the stakes' flow "
        "(docs/decision-v2.md §3.3), a point value in [0, 1000] or a prior over types, as for "
        "resolve. Given with resolve, the two must describe the same types.",
    )
    audience_cost: NonNegative = Field(
        default=0.0,
        description="Cost paid for backing down from a public commitment (Fearon 1994).",
    )
    honesty: Probability = Field(
        default=1.0,
        description="For a power, the prior probability that it is an honest type, drawn once "
        "per replication: an honest type's claims and messages tell the truth "
        "(docs/decision-v2.md §3.3). A third party's is not read.",
    )
    domestic_pressure: Annotated[float, Field(ge=-1.0, le=1.0)] = Field(
        default=0.0,
        description="-1 dovish to +1 hawkish; scales audience costs by (1 + domestic_pressure).",
    )
    red_line: RungRef | None = Field(
        default=None, description="The adversary's rung that triggers a response."
    )
    initial_rung: RungRef = Field(default=0, description="Posture at round 0.")
    alignment: dict[Identifier, Probability] | None = Field(
        default=None,
        description="Third parties only: share of alignment with each power (sums to 1).",
    )
    influence: dict[Identifier, Probability] | None = Field(
        default=None, description="Third parties only: influence on each power, 0 to 1."
    )
    may_mediate: bool = Field(default=False, description="Third parties: may offer mediation.")
    may_join: bool = Field(
        default=False,
        description="Third parties: may get involved beside a patron (chain-ganging).",
    )
    doctrine: Identifier | None = Field(
        default=None,
        description="A named preset (built in: hawk, dove, pragmatist; or from 'doctrines') "
        "whose values fill the fields this actor does not set.",
    )
    attribution: Literal["naive", "noisy"] | None = Field(
        default=None,
        description="How this actor reads the other power's moves (docs/decision-v2.md §3.4): "
        "naive, as if its own moves had been seen as they were (Jervis 1976), or noisy, "
        "through the channel's noise; null: the scenario's beliefs.attribution.",
    )
    nuclear: bool = Field(
        default=False,
        description="Version 3: nuclear-armed; intensities at or above the nuclear rung are "
        "open only to a nuclear-armed side (docs/pair-wars.md §4).",
    )
    exchange_risk_scale: NonNegative = Field(
        default=1.0,
        description="Version 3: how this actor scales the exchange hazard it assumes when it "
        "values a nuclear step (its assumed risk: exchange_hazard times this; "
        "docs/pair-wars.md §4).",
    )
    policy: Policy = Field(
        default_factory=lambda: POLICY_MODELS[DEFAULT_POLICY["power"]](
            name=DEFAULT_POLICY["power"]
        ),
        description=f"The decision rule and its parameters [default: by role, "
        f"{default_policies_text()}].",
        json_schema_extra=_no_default,
    )

    @model_validator(mode="before")
    @classmethod
    def _policy_by_role(cls, data: Any) -> Any:
        """An actor that names no policy gets its role's default (``DEFAULT_POLICY``)."""
        if isinstance(data, dict) and "policy" not in data:
            name = default_policy(data.get("role"))
            data = {**data, "policy": {"name": name}}
        return data


# ------------------------------------------------------------------------------------------------
# Channels
# ------------------------------------------------------------------------------------------------
ChannelKind = Literal["hotline", "summit", "ministerial", "backchannel", "mediated", "public"]


class Channel(_Model):
    """A dialogue channel between two actors (or, for ``public``, among all)."""

    id: Identifier = Field(description="Unique channel id.")
    kind: ChannelKind = Field(description="The kind of channel.")
    between: list[Identifier] | None = Field(
        default=None,
        min_length=2,
        max_length=2,
        description="The two endpoint actor ids; omitted for the public channel.",
    )
    via: Identifier | None = Field(
        default=None, description="For kind 'mediated': the third party that relays."
    )
    noise: Probability = Field(
        description="Perception noise: probability that an observed rung is off by at least one."
    )
    misread: Probability = Field(
        default=0.0, description="Probability that a message's meaning is flipped or shifted."
    )
    latency: int = Field(default=0, ge=0, le=100, description="Delay of a message, in rounds.")
    reliability: Probability = Field(
        default=1.0, description="Probability that the channel is up in a round when open."
    )
    deconfliction: Probability = Field(
        default=0.0,
        description="Probability that an accident is explained, not taken as deliberate.",
    )
    open: bool = Field(default=True, description="Open at round 0; events change it.")


# ------------------------------------------------------------------------------------------------
# Agenda
# ------------------------------------------------------------------------------------------------
class AgreementEffects(_Model):
    """What an agreement changes when it is reached."""

    trust: Annotated[float, Field(ge=-1.0, le=1.0)] = Field(
        default=0.1,
        description="Strength of the agreement as evidence that each party is an honest type: "
        "from an even belief, trust (the posterior probability of an honest type) moves by "
        "half of it (docs/decision-v2.md §12, step 6c).",
    )
    deconfliction: Annotated[float, Field(ge=-1.0, le=1.0)] = Field(
        default=0.0, description="Added to the deconfliction of the channels between the parties."
    )
    incident_risk_factor: Annotated[float, Field(ge=0.0, le=10.0)] = Field(
        default=1.0, description="Multiplies the parties' incident risk (below 1 lowers it)."
    )
    clarifies_red_lines: bool = Field(
        default=False, description="Each party then perceives the other's red line exactly."
    )


class Agreement(_Model):
    """A small practical step that talks on an agenda item can produce."""

    kind: Literal[
        "deconfliction", "prisoner_exchange", "arms_control", "red_line_clarification", "other"
    ] = Field(description="What kind of step.")
    base_probability: Probability = Field(
        description="Per-round probability of agreement at full trust, rung 0, open channel."
    )
    effects: AgreementEffects = Field(default_factory=AgreementEffects)
    breach_trust_cost: Probability = Field(
        default=0.2,
        description="Strength of a breach as evidence that the party that broke it is not an "
        "honest type: from an even belief, the other side's trust in it falls by half of it.",
    )


class AgendaItem(_Model):
    """An issue area on the crisis agenda."""

    id: Identifier = Field(description="Unique id.")
    name: str = Field(min_length=1, max_length=200, description="Display name.")
    core: bool = Field(default=False, description="A core item; agreement on it may settle.")
    salience: dict[Identifier, Probability] = Field(
        description="Salience per actor id, 0 to 1 (actors not named: 0)."
    )
    agreement: Agreement | None = Field(default=None, description="What talks on it can produce.")
    divisible: bool | None = Field(
        default=None,
        description="Whether an offer can split this item, when stakes.divisible is false "
        "(offers are bundles of whole items) [default: stakes.divisible].",
    )
    names: list[Identifier] = Field(
        default_factory=list,
        max_length=200,
        description="Version 3: the third parties the item names; it is agreed only if every "
        "named party accepts (docs/pair-wars.md §5).",
    )
    ends_war: ActorPair | None = Field(
        default=None,
        description="Version 3: the pair whose war an agreement on this item ends: a listed "
        "pair or the powers' pair.",
    )


# ------------------------------------------------------------------------------------------------
# Scheduled events
# ------------------------------------------------------------------------------------------------
class _Event(_Model):
    id: Identifier | None = Field(
        default=None, description="Optional id, for conditions to address."
    )
    round: int = Field(ge=1, description="The round at whose start it happens (1-based).")
    description: str = Field(default="", max_length=500, description="What happens, in words.")


class ChannelEvent(_Event):
    """A channel opens or closes."""

    kind: Literal["channel"]
    channel: Identifier = Field(description="The channel id.")
    open: bool = Field(description="True opens it, false closes it.")


class SummitEvent(_Event):
    """A summit: a channel opens for some rounds, and talks on the agenda intensify."""

    kind: Literal["summit"]
    channel: Identifier = Field(description="The channel the summit uses (usually kind 'summit').")
    duration: int = Field(default=1, ge=1, description="Rounds it lasts.")
    talks_boost: Annotated[float, Field(ge=1.0, le=100.0)] = Field(
        default=2.0, description="Multiplies agreement probabilities while it lasts."
    )


class ElectionEvent(_Event):
    """Domestic politics shift: an election or a change of government."""

    kind: Literal["election"]
    actor: Identifier = Field(description="The actor id.")
    domestic_pressure: Annotated[float, Field(ge=-1.0, le=1.0)] = Field(
        description="The new domestic pressure, -1 dovish to +1 hawkish."
    )


class SetEvent(_Event):
    """A parameter changes, addressed by a field path (e.g. ``channels.hotline.noise``)."""

    kind: Literal["set"]
    path: str = Field(min_length=1, max_length=300, description="Field path of the parameter.")
    value: float | int | bool | str = Field(description="The new value.")


class IncidentEvent(_Event):
    """An injected incident: an actor's observable posture jumps although it did not intend it."""

    kind: Literal["incident"]
    actor: Identifier = Field(description="The actor whose posture appears to jump.")
    rungs: int = Field(default=1, ge=1, le=10, description="How far it appears to jump.")


Event = Annotated[
    ChannelEvent | SummitEvent | ElectionEvent | SetEvent | IncidentEvent,
    Field(discriminator="kind"),
]


# ------------------------------------------------------------------------------------------------
# Conditions and the scenario
# ------------------------------------------------------------------------------------------------
class SweepBlock(_Model):
    """A parameter sweep of this scenario, run by ``escalsim sweep SCENARIO`` (docs/sweeps.md).

    Options given on the command line take precedence over these.
    """

    vary: dict[str, str | list[float | int | bool | str]] = Field(
        min_length=1,
        max_length=50,
        description="Field path -> values: 'START:STOP:COUNT', 'LOW:HIGH', 'uniform(LOW,HIGH)', "
        "or a list of values, e.g. {'channels.hotline.noise': '0:0.5:11'}.",
    )
    sampler: Literal["grid", "lhs", "sobol", "morris"] = Field(
        default="grid", description="grid, lhs, sobol (Saltelli design) or morris."
    )
    samples: int = Field(
        default=16,
        ge=1,
        le=10_000_000,
        description="Points (lhs), base samples (sobol) or trajectories (morris).",
    )
    replications: int | None = Field(
        default=None,
        ge=1,
        le=9_999_999,
        description="Replications per point [default: 200] (at most 9,999,999: a part's file "
        "name holds seven digits of the replication).",
    )
    condition: Identifier | None = Field(
        default=None, description="The condition the sweep runs under [default: the base]."
    )
    chunk: int = Field(default=250, ge=1, le=1_000_000, description="Replications per task.")


class Condition(_Model):
    """A named overlay on the base scenario, run with common random numbers."""

    description: str = Field(default="", max_length=500, description="What the condition means.")
    set: dict[str, Any] = Field(
        default_factory=dict,
        description="Field path -> new value, e.g. {'channels.hotline.open': false}. List items "
        "are addressed by id (rungs by name).",
    )
    remove: list[str] = Field(
        default_factory=list,
        description="Paths of list items to drop, e.g. 'events.hotline_installed'.",
    )


class Source(_Model):
    """A reference behind the scenario."""

    citation: str = Field(min_length=1, max_length=1000)
    url: str | None = Field(default=None, max_length=1000)


class Scenario(_Model):
    """A complete crisis scenario."""

    schema_version: Literal[2, 3] = Field(
        description="Version of the scenario format (3; 2 reads unchanged, with version 3's "
        "fields at their defaults); a version-1 file is migrated as it is read, with a notice "
        "(escalsim migrate FILE rewrites a version-1 or version-2 file as version 3)."
    )
    id: Identifier = Field(description="Short id, e.g. 'geneva-2022'.")
    name: str = Field(min_length=1, max_length=200, description="Title.")
    description: str = Field(default="", max_length=5000, description="One paragraph.")
    sources: list[Source] = Field(default_factory=list, description="References.")
    run: RunSettings
    ladder: Ladder
    endings: Endings = Field(default_factory=Endings)
    accidents: Accidents = Field(default_factory=Accidents)
    stakes: Stakes = Field(
        default_factory=Stakes,
        description="Version 2: what the crisis is about (status quo, discount, divisibility, "
        "commitment problem).",
    )
    war: War = Field(
        default_factory=War, description="Version 2: how a war between the powers is valued."
    )
    beliefs: Beliefs = Field(
        default_factory=Beliefs, description="Version 2: how the powers read each other's moves."
    )
    doctrines: dict[Identifier, dict[str, Any]] = Field(
        default_factory=dict,
        description="Named parameter presets for actors, beside the built-in hawk, dove and "
        "pragmatist.",
    )
    actors: list[Actor] = Field(
        min_length=2,
        max_length=200,
        description="The actors: two powers and any third parties (2 to 200: a "
        "replication-round costs time and memory in the square of their number; "
        "docs/reliability/limits.md).",
    )
    channels: list[Channel] = Field(min_length=1, max_length=2000)
    agenda: list[AgendaItem] = Field(default_factory=list, max_length=100)
    # 1,000: what the reader's size cap (yamlio.MAX_ITEMS) leaves room for in block style.
    events: list[Event] = Field(default_factory=list, max_length=1_000)
    conditions: dict[Identifier, Condition] = Field(
        default_factory=dict,
        description="Named overlays; the first is the baseline. An empty mapping means the base "
        "scenario is the only condition.",
    )
    sweep: SweepBlock | None = Field(
        default=None, description="An optional parameter sweep (escalsim sweep)."
    )

    #: The data the scenario was validated from, before doctrines (set by the loader), so that
    #: conditions re-run the same pipeline.
    _raw: dict[str, Any] | None = PrivateAttr(default=None)

    # A version-2 scenario dumps as version 2 did: without version 3's fields at their defaults,
    # so that its data reads back as a version-2 file (which may not use version 3's fields) and
    # its canonical hash is the one it had before version 3 existed. Done after pydantic's dump,
    # not in a model serializer: Python code that pydantic-core calls while it serializes turns
    # a Ctrl-C landing there into a PydanticSerializationError (an internal error, exit 1) or
    # loses it, where a dump without callbacks lets it arrive as KeyboardInterrupt (exit 130).
    @override
    def model_dump(self, **kwargs: Any) -> dict[str, Any]:
        """:meth:`pydantic.BaseModel.model_dump`, as version 2 wrote it for a version-2 scenario."""
        data: dict[str, Any] = super().model_dump(**kwargs)
        if self.schema_version == 2:
            from escalsim.scenario.migrate import strip_v3_defaults

            strip_v3_defaults(data)
        return data

    @override
    def model_dump_json(self, **kwargs: Any) -> str:
        """:meth:`pydantic.BaseModel.model_dump_json`, as version 2 wrote it (see model_dump)."""
        if self.schema_version != 2:
            return super().model_dump_json(**kwargs)
        indent = kwargs.pop("indent", None)
        data = self.model_dump(mode="json", **kwargs)
        compact = (",", ":") if indent is None else None
        return json.dumps(data, indent=indent, separators=compact, ensure_ascii=False)

    # -- convenient lookups --------------------------------------------------------------------
    def rung_index(self, ref: str | int) -> int:
        """Return the 0-based index of a rung given by name or index."""
        if isinstance(ref, int):
            return ref
        return [r.name for r in self.ladder.rungs].index(ref)

    @property
    def powers(self) -> list[Actor]:
        """The two powers, in file order."""
        return [a for a in self.actors if a.role == "power"]

    @property
    def condition_names(self) -> list[str]:
        """Condition names in file order (``['base']`` when none are given)."""
        return list(self.conditions) or ["base"]
