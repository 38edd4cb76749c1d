"""The prompt an LLM actor is asked, and the answer it must give.

The actor's view of one replication (:class:`View`) is rendered into a user message by a
template (:data:`DEFAULT_TEMPLATE`, or the scenario's ``template``, inline or from a file); the
system message states the answer's JSON schema (:data:`ANSWER_SCHEMA`). The answer is parsed and
checked by :func:`parse_answer`: it is data, never executed; a move the actor may not make now
(``accept`` without an offer standing, ``concede`` where the scenario does not let a concession
end the crisis) is as invalid as malformed JSON.

Templates use :class:`string.Template` placeholders (``$round``, ``${state}``): substitution of
text only, no expressions, so a template or a scenario's text cannot run code.
"""

from __future__ import annotations

import json
import math
import string
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ANSWER_SCHEMA",
    "DEFAULT_TEMPLATE",
    "PLACEHOLDERS",
    "SYSTEM_PROMPT",
    "Answer",
    "InvalidAnswerError",
    "View",
    "parse_answer",
    "render",
]

#: The moves by name, in the order the prompt lists them.
LADDER_MOVES = ("step_down", "hold", "step_up", "jump")

#: The JSON schema of an answer (sent in the system message; checked by :func:`parse_answer`).
ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "move": {
            "type": "string",
            "enum": ["step_down", "hold", "step_up", "jump", "concede", "accept"],
            "description": "One of the moves listed as available this round.",
        },
        "offer": {
            "type": ["number", "null"],
            "minimum": 0,
            "maximum": 1,
            "description": "The share of the stakes you offer the other power from next round "
            "(null: keep your standing offer; a power only).",
        },
        "withdraw_offer": {"type": "boolean", "description": "Withdraw your standing offer."},
        "message": {
            "type": "string",
            "maxLength": 500,
            "description": "What you say to the other power (may be empty).",
        },
        "rationale": {"type": "string", "maxLength": 1000, "description": "Why, briefly."},
    },
    "required": ["move", "rationale"],
    "additionalProperties": False,
}

SYSTEM_PROMPT = (
    "You are the leadership of a state in an international crisis simulation. Each round you "
    "choose one move on an escalation ladder. Answer with one JSON object only, no other text, "
    "matching this JSON schema:\n" + json.dumps(ANSWER_SCHEMA, sort_keys=True)
)

#: The shipped template. Placeholders: :data:`PLACEHOLDERS`.
DEFAULT_TEMPLATE = """\
Scenario: $scenario_name
$scenario_description

You lead $actor_name ($actor_id), a $role. The other power is $adversary_name ($adversary_id).
One round is one $time_unit. This is round $round of at most $horizon.

The escalation ladder, lowest first (a war starts at $war_rung):
$ladder

What you know now (what you perceive, which may be wrong):
$state

Messages received:
$messages

Your recent decisions:
$history

Moves available this round: $options.
(step_down/step_up move one rung; jump climbs $jump rungs; concede gives in and ends the crisis;
accept takes the other power's standing offer and ends the crisis.)
Answer with the JSON object only."""

#: Every placeholder a template may use.
PLACEHOLDERS = (
    "scenario_name",
    "scenario_description",
    "actor_id",
    "actor_name",
    "role",
    "adversary_id",
    "adversary_name",
    "time_unit",
    "round",
    "horizon",
    "war_rung",
    "ladder",
    "state",
    "messages",
    "history",
    "options",
    "jump",
)


@dataclass(frozen=True)
class View:
    """One replication's view of one actor, as the prompt shows it.

    ``fields`` are the observation's values for this row (scalars; NaN: not known), ``context``
    the scenario's text (:data:`PLACEHOLDERS` other than those computed here).
    """

    fields: dict[str, Any]
    context: dict[str, str]
    rungs: tuple[str, ...]
    options: tuple[str, ...]
    messages: str
    history: str


def _known(value: Any) -> bool:
    return not (isinstance(value, float) and math.isnan(value))


def _state(view: View) -> str:
    f, rungs = view.fields, view.rungs

    def rung(k: Any) -> str:
        k = int(k)
        return f"{rungs[k]} (rung {k})" if 0 <= k < len(rungs) else f"rung {k}"

    moved = {-1: "stepped down", 0: "held", 1: "stepped up"}
    own = {-1: "step_down", 0: "hold", 1: "step_up", 2: "jump"}
    lines = [
        f"- Your posture: {rung(f['x'])}; your last move: {own.get(int(f['own_move']), 'none')}.",
        f"- The other power's posture as you perceive it: {rung(f['y'])}; its last move as you "
        f"perceive it: {moved.get(int(f['y_move']), 'unclear')}.",
        f"- The other side's capability relative to yours: {f['capability_ratio']:.2f}.",
        f"- The risk of war you have run so far: {f['cumulative_risk']:.3f}.",
        f"- Audience cost of backing down from a public commitment: {f['audience']:.2f}"
        + (" (you have committed publicly)." if bool(f["committed"]) else "."),
    ]
    if _known(f["trust"]):
        lines.append(f"- Your trust that the other power is honest: {f['trust']:.2f}.")
    pressure = float(f["pressure"])
    if pressure:
        lines.append(
            f"- Third parties press you to {'restrain' if pressure > 0 else 'stand firm'} "
            f"(strength {abs(pressure):.2f})."
        )
    if bool(f["line_crossed"]):
        lines.append("- The other power has crossed your red line and you have not answered.")
    if _known(f["war_cost"]):
        lines.append(
            f"- Your cost of a war, relative to the value of the stakes: {f['war_cost']:.2f}; "
            f"your chance of winning one now: {f['win']:.2f}."
        )
    if _known(f["front"]):
        lines.append(f"- Your share of the stakes held now: {f['front']:.2f}.")
    if bool(f["at_war"]):
        lines.append("- You are at war with the other power.")
    if _known(f["offer_received"]):
        lines.append(
            f"- The other power's standing offer gives you {f['offer_received']:.3f} of the "
            "stakes (accept ends the crisis on it)."
        )
    if _known(f["own_offer"]):
        lines.append(f"- Your standing offer gives the other power {f['own_offer']:.3f}.")
    if _known(f["public_demand"]):
        lines.append(f"- You have demanded {f['public_demand']:.3f} of the stakes in public.")
    if _known(f["shift_win"]) and _known(f["shift_rounds"]):
        lines.append(
            f"- In {int(f['shift_rounds'])} rounds the balance of power shifts: your chance of "
            f"winning a war will be {f['shift_win']:.2f}."
        )
    return "\n".join(lines)


def render(template: str, view: View) -> str:
    """The user message: ``template`` with the view's placeholders substituted.

    Raises
    ------
    KeyError, ValueError
        A placeholder the template uses that is not in :data:`PLACEHOLDERS`, or a malformed
        ``$`` (the scenario's checks report it at ``template`` before any run).
    """
    values = {
        **view.context,
        "round": str(view.fields["round"]),
        "ladder": "\n".join(f"  {k}. {name}" for k, name in enumerate(view.rungs)),
        "state": _state(view),
        "messages": view.messages or "(none)",
        "history": view.history or "(none yet)",
        "options": ", ".join(view.options),
    }
    return string.Template(template).substitute(values)


def check_template(template: str) -> str | None:
    """What is wrong with a template (None: nothing): unknown or malformed placeholders."""
    try:
        names = string.Template(template).get_identifiers()
    except ValueError as exc:  # pragma: no cover - get_identifiers does not raise
        return str(exc)
    if not string.Template(template).is_valid():
        return "a '$' that starts no placeholder (write $$ for a dollar sign)"
    unknown = sorted(set(names) - set(PLACEHOLDERS))
    if unknown:
        return f"unknown placeholders {unknown}; a template may use {', '.join(PLACEHOLDERS)}"
    return None


class InvalidAnswerError(ValueError):
    """An answer that is not a valid decision; the message is what the repair request says."""


@dataclass(frozen=True)
class Answer:
    """A valid decision.

    ``offer``: the share offered to the other from the next round (None: keep the standing
    one; NaN: withdraw it).
    """

    move: str
    offer: float | None
    message: str
    rationale: str


def _json_object(text: str) -> Any:
    text = text.strip()
    if text.startswith("```"):  # a fenced block: ```json ... ```
        text = text.strip("`")
        text = text[4:] if text.lower().startswith("json") else text
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        start, end = text.find("{"), text.rfind("}")
        if 0 <= start < end:
            try:
                return json.loads(text[start : end + 1])
            except json.JSONDecodeError:
                pass
    raise InvalidAnswerError("the answer is not a JSON object")


def parse_answer(text: str, options: tuple[str, ...], bargains: bool) -> Answer:
    """Check an answer against :data:`ANSWER_SCHEMA` and the moves available.

    Parameters
    ----------
    text : str
        The assistant message.
    options : tuple of str
        The moves available this round.
    bargains : bool
        Whether the actor may make offers (a power).

    Raises
    ------
    InvalidAnswerError
        Saying what is wrong, in words the repair request sends back to the model.
    """
    data = _json_object(text)
    if not isinstance(data, dict):
        raise InvalidAnswerError("the answer must be one JSON object")
    extra = sorted(set(data) - set(ANSWER_SCHEMA["properties"]))
    if extra:
        raise InvalidAnswerError(f"unknown keys {extra}")
    move = data.get("move")
    if not isinstance(move, str) or move not in options:
        raise InvalidAnswerError(f"move must be one of {', '.join(options)}; got {move!r}")
    rationale = data.get("rationale")
    if not isinstance(rationale, str):
        raise InvalidAnswerError("rationale must be a string")
    message = data.get("message", "")
    if not isinstance(message, str):
        raise InvalidAnswerError("message must be a string")
    offer = data.get("offer")
    share: float | None = None
    if offer is not None:
        if isinstance(offer, bool) or not isinstance(offer, int | float):
            raise InvalidAnswerError(f"offer must be a number in [0, 1] or null; got {offer!r}")
        if not (0.0 <= float(offer) <= 1.0):
            raise InvalidAnswerError(f"offer must be in [0, 1]; got {offer!r}")
        share = float(offer)
    withdraw = data.get("withdraw_offer", False)
    if not isinstance(withdraw, bool):
        raise InvalidAnswerError("withdraw_offer must be true or false")
    if withdraw:
        share = math.nan
    if not bargains and share is not None:
        raise InvalidAnswerError("you cannot make offers (only the two powers bargain): offer null")
    return Answer(move=move, offer=share, message=message[:500], rationale=rationale[:1000])
