"""Events in plain language, for the app's feed, the terminal game and the debrief.

One function turns a row of the events frame (:attr:`EscalationModel.events`) into a sentence a
student can read: "Russia misread the United States: saw it at *mobilisation* when it was at
*signalling*." Names come from the scenario: actor names, rung names, channel ids and
kinds. The model's event kinds are listed in ``docs/ODD.md`` (section 7, output).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from escalsim.scenario import Scenario

__all__ = ["Narrator"]

_CAUSE_WORDS = {
    "deliberate": "",
    "miscalculated": " -- a miscalculation: with the true picture it would not have",
    "accident": " by accident (orders carried out otherwise than meant)",
    "third_party": " under pressure from a third party",
}
_CHANNEL_NOUNS = {
    "hotline": "hotline",
    "summit": "summit channel",
    "ministerial": "ministerial channel",
    "backchannel": "back-channel",
    "mediated": "mediated channel",
}
_MOVE_WORDS = {
    "step_down": "stepped down",
    "hold": "held",
    "step_up": "stepped up",
    "jump": "jumped two rungs",
    "concede": "conceded",
}


class Narrator:
    """Plain-language sentences for the events of one scenario.

    Parameters
    ----------
    scenario : Scenario
        The scenario the events come from (for names).
    emphasis : str
        Put around rung names: ``"*"`` (Markdown italics, the default) or ``""`` (plain text).
    """

    def __init__(
        self,
        scenario: Scenario,
        emphasis: str = "*",
    ) -> None:
        self.scenario = scenario
        self.emphasis = emphasis
        self.agenda_names = {g.id: g.name for g in scenario.agenda}
        self.actor_names = {a.id: a.name for a in scenario.actors}
        self.rung_names = [r.name for r in scenario.ladder.rungs]
        self.channel_kinds = {c.id: c.kind for c in scenario.channels}

    # -- names ------------------------------------------------------------------------------------
    def actor(self, actor_id: Any) -> str:
        """The actor's display name (its id when unknown)."""
        return self.actor_names.get(str(actor_id), str(actor_id))

    def rung(self, rung: Any) -> str:
        """A rung's name, in italics for Markdown (``*mobilisation*``)."""
        e = self.emphasis
        try:
            return f"{e}{self.rung_names[int(rung)]}{e}"
        except (ValueError, TypeError, IndexError):
            return str(rung)

    def channel(self, channel_id: Any) -> str:
        """``the hotline``, ``the ministerial channel 'ssd'``."""
        cid = str(channel_id)
        kind = self.channel_kinds.get(cid)
        if kind is None:
            return cid
        if kind == "public":
            return "public statements"
        noun = _CHANNEL_NOUNS.get(kind, f"{kind} channel")
        return f"the {noun}" if cid == kind else f"the {noun} '{cid}'"

    def outcome(self, name: str) -> str:
        """An outcome in words: ``capitulation_a`` -> "United States backed down"."""
        powers = [a.id for a in self.scenario.actors if a.role == "power"]
        if name == "capitulation_a":
            return f"{self.actor(powers[0])} backed down"
        if name == "capitulation_b":
            return f"{self.actor(powers[1])} backed down"
        return {
            "unresolved": "unresolved at the horizon",
            "war": "war",
            "ceasefire": "a ceasefire (an offer accepted while at war)",
            "exchange": "a strategic nuclear exchange",
        }.get(name, name.replace("_", " "))

    # -- sentences --------------------------------------------------------------------------------
    def sentence(self, event: Mapping[str, Any]) -> str:
        """One event as a sentence (rows of the events frame, or dicts with the same keys)."""
        kind = str(event.get("kind"))
        actor = self.actor(event.get("actor"))
        target = self.actor(event.get("target"))
        rung = event.get("rung")
        detail = event.get("detail")
        detail = None if detail is None or str(detail) in {"None", "nan", "<NA>"} else str(detail)
        cause = str(event.get("cause"))
        move = str(event.get("move"))
        raw_target = event.get("target")
        # A pair's war (docs/pair-wars.md §5) names its other side as the event's target.
        has_target = raw_target is not None and str(raw_target) not in {"None", "nan", "<NA>"}
        match kind:
            case "misperception":
                # What was seen against what was true, and nothing else: the channels closed at
                # that moment are not named beside it, which read as the misreading's cause
                # (issue 21; a misreading can come through an open channel as well).
                true = detail.removeprefix("true rung ") if detail else "?"
                return (
                    f"{actor} misread {target}: saw it at {self.rung(rung)} when it was at "
                    f"{self.rung(true)}."
                )
            case "miscalculation":
                better = detail.removeprefix("with perfect information: ") if detail else "?"
                return (
                    f"{actor} chose to {move.replace('_', ' ')}; with the true picture it "
                    f"would have chosen to {better.replace('_', ' ')} (a miscalculation)."
                )
            case "escalation" | "deescalation" if has_target and move in {"None", "nan"}:
                verb = "raised" if kind == "escalation" else "lowered"
                return f"{actor} {verb} its war against {target} to {self.rung(rung)}."
            case "escalation" | "deescalation":
                words = _MOVE_WORDS.get(move, move)
                why = _CAUSE_WORDS.get(cause, "") if kind == "escalation" else ""
                if kind == "deescalation" and cause == "accident":
                    why = _CAUSE_WORDS["accident"]
                return f"{actor} {words} to {self.rung(rung)}{why}."
            case "incident" if cause == "spillover":
                what = (detail or "an incident").split("; fired by ")
                fired = f" (fired by {self.actor(what[1])})" if len(what) > 1 else ""
                return (
                    f"A spillover of {actor}'s war touched {target}: {what[0]}{fired}; "
                    f"{actor} looked as if at {self.rung(rung)}."
                )
            case "incident":
                how = "a scheduled incident" if cause == "scheduled" else "an accident"
                return f"{how.capitalize()}: {actor} looked as if at {self.rung(rung)}."
            case "message":
                claim = (detail or "").split(",")[0].strip()
                says = "reassured" if claim == "benign" else "warned"
                extra = ""
                if detail and "misread" in detail:
                    extra = " -- and it was misread"
                return (
                    f"{actor} {says} {target} through {self.channel(event.get('channel'))}{extra}."
                )
            case "offer":
                # "offers 0.523 of the stakes[, read as 0.543]"
                offered = (detail or "").removeprefix("offers ")
                share, _, read = offered.partition(", read as ")
                share = share.removesuffix(" of the stakes")
                via = self.channel(event.get("channel"))
                text = (
                    f"{actor} offered {target} {_share(share)} of what is at stake, through {via}"
                )
                return text + (f" -- read as {_share(read)}." if read else ".")
            case "accept":
                # "A gets 0.700 of the stakes"
                return f"{actor} accepted {target}'s offer: the crisis is settled ({detail})."
            case "claim":
                # "claims a cost of war of 1.5[ (a lie: it is 0.4)][, misread as 2.1]"
                said = (detail or "").removeprefix("claims a cost of war of ")
                value = said.split(" ", 1)[0].rstrip(",")
                text = (
                    f"{actor} told {target} through {self.channel(event.get('channel'))} that a "
                    f"war would cost it {value} times the stakes"
                )
                if "(a lie" in said:
                    text += " -- a bluff"
                if "misread" in said:
                    text += " -- and it was misread"
                return text + "."
            case "channel_open":
                return f"{self.channel(event.get('channel')).capitalize()} opened."
            case "channel_closed":
                return f"{self.channel(event.get('channel')).capitalize()} closed."
            case "summit":
                return f"A summit: {self.channel(event.get('channel'))} opened for a while."
            case "summit_end":
                return f"The summit on {self.channel(event.get('channel'))} ended."
            case "agreement":
                kind_of, _, item = (detail or "").partition(" on ")
                name = self.agenda_names.get(item, item)
                return f"Agreement reached on {name} ({kind_of.replace('_', ' ')})."
            case "agreement_broken":
                # detail is the agenda item's id (the model always logs one); a row without it
                # reads "None", as before.
                broken = self.agenda_names.get(detail, detail) if detail is not None else None
                return f"{actor} broke the agreement on {broken}."
            case "mediation":
                return f"{actor} offered to mediate: {self.channel(event.get('channel'))} opened."
            case "involvement":
                return f"{actor} joined the crisis on the side of {target}."
            case "war" if has_target:
                return f"War: {actor} attacked {target} ({cause})."
            case "war" if cause == "third_party":
                return f"War between the powers: {actor} entered its client's war."
            case "war":
                return f"War: {actor} at {self.rung(rung)} ({cause})."
            case "ceasefire":
                return f"{actor} and {target} agreed a ceasefire ({detail or 'a freeze'})."
            case "crisis_end":
                said = (detail or "").replace("_", " ")
                return (
                    f"The powers' crisis ended ({said}); the run goes on to its last round, "
                    "since a war beside it can go on, begin or begin again."
                )
            case "exchange":
                return f"A strategic nuclear exchange, at {self.rung(rung)}."
            case "end":
                return f"The crisis ended: {(detail or '').replace('_', ' ')}."
            case "llm" | "llm_fallback":
                return _llm_sentence(actor, move, kind, detail)
            case "scheduled":
                return detail or "A scheduled event."
            case _:
                return f"{kind}: {actor} {detail or ''}".strip()


def _llm_sentence(actor: str, move: str, kind: str, detail: str | None) -> str:
    """A language model's answer (an ``llm`` or ``llm_fallback`` event: docs/llm.md) in words.

    The answer to what the state perceived is its decision; the one to the truth
    (``ask_truth``) is the counterfactual that miscalculation is measured against, and says so;
    the one asked without its patrons' pressure (view ``calm``: whether a climb was the third
    parties' doing) is a counterfactual too, named as such, and its message was never sent.
    """
    import json

    try:
        said = json.loads(detail or "{}")
    except json.JSONDecodeError:
        said = {}
    view = said.get("view", "perceived")
    what = move.replace("_", " ") if move not in {"None", "nan", "<NA>"} else "move"
    asked = {
        "truth": ", asked on the true picture,",
        "calm": ", asked what it would do without its patrons' pressure,",
    }.get(view, "")
    if kind == "llm_fallback":
        tries = int(said.get("repairs", 0)) + 1
        fallback = "would have played" if view == "calm" else "played"
        return (
            f"{actor}'s language model{asked} gave no valid answer in {tries} tries; it "
            f"{fallback} the fallback move, {what}."
        )
    chose = "would have chosen" if view == "calm" else "chose"
    text = f"{actor}'s language model{asked} {chose} to {what}"
    rationale = str(said.get("rationale") or "").strip().rstrip(".")
    if rationale:
        text += f' ("{rationale}")'
    message = str(said.get("message") or "").strip().rstrip(".")
    if message and view == "perceived":
        text += f' and said "{message}"'
    return text + "."


def _share(text: str) -> str:
    """A share of the stakes as a percentage ("0.523" → "52%"); the text itself if not a number."""
    try:
        return f"{float(text):.0%}"
    except ValueError:
        return text


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
