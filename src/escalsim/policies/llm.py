"""The llm policy: a language model plays the actor (docs/llm.md).

Each decision renders the actor's view of each replication into a prompt
(:mod:`escalsim.llm.prompt`), asks an OpenAI-compatible chat endpoint through the run's session
(:mod:`escalsim.llm.session`: the recording, the shared cache, the budget), validates the JSON
answer, asks again with the reason (at most ``max_repairs`` times) when it is invalid, and
otherwise plays the ``fallback`` move, counted and logged.
"""

from __future__ import annotations

import json
import math
import re
from typing import TYPE_CHECKING, Any, Literal, override

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, Field, field_validator, model_validator

from escalsim.core import bargaining as bg
from escalsim.core import dynamics as dx
from escalsim.policies.base import (
    BRIEFING,
    STRICT,
    Actor,
    Briefing,
    Memory,
    Move,
    Observation,
    Policy,
    PolicySpec,
)
from escalsim.policies.registry import register

if TYPE_CHECKING:
    from collections.abc import Iterable

    from escalsim.core.params import Params
    from escalsim.llm.prompt import Answer
    from escalsim.llm.session import Answered, Question, Session
    from escalsim.scenario.schema import Scenario

#: Keys that would put a credential in a scenario file: refused, with the reason.
_SECRET_KEYS = re.compile(r"(api_?key|token|secret|password|authori[sz]ation|bearer)$", re.I)
_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
#: A host name or an IPv4 address (letters, digits, dots, hyphens, underscores).
_HOST_NAME = re.compile(r"^[A-Za-z0-9._-]+$")


def check_base_url(url: str) -> str:
    """``url`` if it is a plain http(s) API root, else a ValueError saying why.

    Refused: a scheme other than ``http`` or ``https`` (or none), no host, a user name or
    password (``user:pass@``), a query (``?key=...``), a fragment, a port that is not a number,
    a malformed IPv6 address (``http://[::1/v1``), blanks or control characters. Credentials
    belong in the environment variable named by ``api_key_env``.
    """
    from urllib.parse import urlsplit

    if any(not c.isprintable() or c.isspace() for c in url):
        raise ValueError("base_url must not contain blanks or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError as exc:
        raise ValueError(f"base_url is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError(
            "base_url must start with http:// or https:// (e.g. http://localhost:11434/v1)"
        )
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValueError(
            "base_url must not carry credentials (user:password@); put the key in the "
            "environment variable named by api_key_env"
        )
    if parts.query or url.rstrip().endswith("?"):
        raise ValueError(
            "base_url must not have a query (?...): a key goes in the environment variable "
            "named by api_key_env, and requests go to {base_url}/chat/completions"
        )
    if parts.fragment or "#" in url:
        raise ValueError("base_url must not have a fragment (#...)")
    if not host:
        raise ValueError("base_url must name a host (e.g. http://localhost:11434/v1)")
    bracketed = parts.netloc.rsplit("@", 1)[-1].startswith("[")
    if not bracketed and not _HOST_NAME.match(host):
        raise ValueError(f"base_url's host {host!r} is not a host name or an IP address")
    if bracketed:
        import ipaddress

        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            raise ValueError(f"base_url's host [{host}] is not an IPv6 address") from None
    del port  # read only to check it
    return url


class LLMBudget(BaseModel):
    """A budget per run: the most chat requests and tokens this actor may spend.

    Answers from a recording or the shared cache cost nothing; a resumed run counts what its
    recording says was paid.
    """

    model_config = STRICT

    calls: int | None = Field(
        default=1000, ge=0, description="Chat requests sent (null: no limit)."
    )
    tokens: int | None = Field(
        default=None, ge=0, description="Prompt and completion tokens (null: no limit)."
    )


class LLMPolicy(PolicySpec):
    """A language model plays the actor, through an OpenAI-compatible chat endpoint."""

    name: Literal["llm"]
    model: str = Field(min_length=1, max_length=200, description="The model name the server knows.")
    base_url: str = Field(
        default="http://localhost:11434/v1",
        max_length=500,
        description="The endpoint's API root (requests go to {base_url}/chat/completions); "
        "default: a local Ollama server.",
    )
    api_key_env: str | None = Field(
        default=None,
        pattern=_ENV_NAME,
        max_length=100,
        description="The environment variable holding the API key (null: send none). A "
        "scenario names the variable, never the key.",
    )
    template: str | None = Field(
        default=None,
        max_length=20_000,
        description="The prompt template ($placeholders, docs/llm.md); null: the shipped one.",
    )
    temperature: float = Field(default=0.0, ge=0.0, le=2.0, description="Sampling temperature.")
    max_tokens: int = Field(default=400, ge=16, le=8192, description="Longest answer, in tokens.")
    seed: int | None = Field(
        default=None, description="A sampling seed sent to the server (if it honours one)."
    )
    response_format: Literal["json_object", "none"] = Field(
        default="json_object",
        description="Ask the server for JSON mode (json_object) or not (none, for servers "
        "without it); the answer is validated either way.",
    )
    max_repairs: int = Field(
        default=2, ge=0, le=5, description="Requests again with the reason, for an invalid answer."
    )
    fallback: Move = Field(
        default="hold",
        description="The move played when no valid answer came (counted and logged as "
        "llm_fallback); hold where it is not available.",
    )
    ask_truth: bool = Field(
        default=False,
        description="Ask the same question on the truth too, so that the actor's decisions are "
        "checked for miscalculation (up to twice the calls; false: never counted as one).",
    )
    offers: bool = Field(
        default=True, description="A power may make and accept offers (its answer's offer)."
    )
    history: int = Field(
        default=5, ge=0, le=50, description="Past decisions of its own shown in the prompt."
    )
    timeout: float = Field(
        default=60.0, gt=0.0, le=3600.0, description="Seconds to wait for one answer."
    )
    retries: int = Field(
        default=4, ge=0, le=20, description="Retries of a failed request (timeouts, 429, 5xx)."
    )
    concurrency: int = Field(
        default=4, ge=1, le=64, description="Requests in flight at once for this actor."
    )
    budget: LLMBudget = Field(default_factory=LLMBudget, description="Its budget per run.")

    @model_validator(mode="before")
    @classmethod
    def _no_credentials(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in data:
                if isinstance(key, str) and _SECRET_KEYS.search(key) and key != "api_key_env":
                    raise ValueError(
                        f"'{key}': a scenario must not contain an API key; set api_key_env to "
                        "the name of the environment variable that holds it"
                    )
            env = data.get("api_key_env")
            if isinstance(env, str) and not re.match(_ENV_NAME, env):
                raise ValueError(
                    "api_key_env must name an environment variable (e.g. OPENAI_API_KEY), not "
                    "hold the key: a scenario file never contains one"
                )
        return data

    @field_validator("base_url")
    @classmethod
    def _plain_url(cls, url: str) -> str:
        return check_base_url(url)


#: The observation fields the prompt shows (docs/llm.md): everything a power is shown in
#: seminar mode but the posterior over types (summarised as trust) and the resolve messages of
#: version 1 (between powers, claims replace them; they feed trust).
SHOWN = (
    "round",
    "x",
    "y",
    "y_move",
    "own_move",
    "trust",
    "committed",
    "capability_ratio",
    "cumulative_risk",
    "pressure",
    "audience",
    "offer_received",
    "own_offer",
    "public_demand",
    "war_cost",
    "win",
    "line_crossed",
    "shift_win",
    "shift_rounds",
    "at_war",
    "front",
)


def _shape(obs: Observation) -> tuple[int, ...]:
    """The decision's shape: ``()``, ``[R]``, or ``[2, R]`` when the views are stacked.

    Only the fields that differ between the views have the leading 2.
    """
    return np.broadcast_shapes(*(np.shape(getattr(obs, f)) for f in SHOWN))


def _row(value: Any, index: tuple[int, ...]) -> Any:
    """Element ``index`` of a field, a field of fewer axes being the same in every view."""
    array = np.asarray(value)
    got = array[index[len(index) - array.ndim :]] if array.ndim else array
    return got.item() if isinstance(got, np.ndarray | np.generic) else got


@register
class LLM(Policy):
    """A language model plays the actor: its view rendered into a prompt, its answer validated.

    Per decision and replication, the actor's view (its posture, the other's as perceived, its
    beliefs, the offers standing, what the other LLM actor said over a private channel, its own
    recent decisions, the scenario's text) is rendered with the template and asked of the
    model, which answers a JSON object: a move, an offer, a message and a rationale
    (:data:`escalsim.llm.prompt.ANSWER_SCHEMA`). The answer is data: parsed and checked, never
    run. An invalid answer is asked again with the reason, ``max_repairs`` times, then the
    ``fallback`` move is played (counted, logged). Its offer is posted in the next round's talks,
    as a player's is (docs/ODD.md §7.14). With ``ask_truth`` the same question is asked on the
    truth, and a different answer is a miscalculation, exactly as for every policy; identical
    prompts are asked once (one answer per replication and prompt: the model's common random
    number). The draw ``u`` is not read: the model's sampling is not ours, and a run is
    reproducible from its recording (``llm/calls.jsonl``), not from the seed alone.

    Classified as ``human`` is: a model may use anything shown, remembers (its history and
    standing offer) and is not a function of its inputs that the checks of
    ``tests/test_policies.py`` could sample; its behaviour is tested against a fake server in
    ``tests/test_llm.py``.

    References
    ----------
    Rivera, J.-P., Mukobi, G., Reuel, A., Lamparth, M., Smith, C. & Schneider, J. (2024).
    Escalation risks from language models in military and diplomatic decision-making.
    *Proceedings of FAccT 2024*, 836-898.
    """

    name = "llm"
    Spec = LLMPolicy
    stochastic = True
    memory_depth = math.inf
    information = SHOWN
    citation = "Rivera et al. (2024), FAccT 2024, 836-898 (LLM nations on an escalation ladder)"
    bargains = True
    briefed = True

    @staticmethod
    @override
    def initial_memory() -> Memory:
        """No standing offer chosen, no history."""
        return (math.nan, "")

    @override
    def problems(self, spec: Any, scenario: Scenario) -> Iterable[tuple[tuple[str, ...], str]]:
        from escalsim.llm.prompt import check_template

        if spec.template is not None:
            wrong = check_template(spec.template)
            if wrong:
                yield ("template",), wrong

    @classmethod
    @override
    def opens_bargaining(cls, spec: Any) -> bool:
        return bool(spec.offers)

    @classmethod
    @override
    def accepts_offers(cls, spec: Any) -> bool:
        return bool(spec.offers)

    @override
    def offer(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory
    ) -> Any:
        """The offer its last answer chose (NaN: none), posted in this round's talks."""
        shape = _shape(obs)
        chosen = np.asarray(memory[0], dtype=float) if memory else np.nan
        return np.broadcast_to(chosen, shape).astype(float) if shape else float(chosen)

    @override
    def choice_probabilities(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory
    ) -> NDArray[np.float64]:
        """Not modelled, as a player's: every option equally likely (asks nothing)."""
        n = len(bg.OPTIONS)
        return np.full((*_shape(obs), n), 1.0 / n)

    # -- the decision ------------------------------------------------------------------------
    @override
    def decide(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory, u: Any
    ) -> tuple[Any, Memory]:
        from escalsim.llm.session import current

        briefing = BRIEFING.get()
        session = current()
        shape = _shape(obs)
        stacked = len(shape) == 2
        rows = shape[-1] if shape else 1
        views = ("perceived", "truth") if stacked else (self._view_name(briefing),)
        asked = views if (spec.ask_truth or not stacked) else views[:1]
        # (view index, row) -> prompt; the truth's question is asked where its prompt differs.
        prompts: dict[tuple[int, int], str] = {}
        for v in range(len(asked)):
            for r in range(rows):
                index = (v, r) if stacked else ((r,) if shape else ())
                prompts[(v, r)] = self._prompt(obs, index, r, actor, params, spec, memory, briefing)
        answers = self._answers(prompts, actor, spec, params, session, briefing, obs)
        moves = np.empty((len(views), rows), dtype=np.int64)
        for v in range(len(views)):
            for r in range(rows):
                got = answers[(v if v < len(asked) else 0, r)]
                moves[v, r] = dx.MOVE_CODES[got[0].move]
        self._log(answers, prompts, asked, briefing, session, obs)
        # Memory from the decision made (the perceived view; the twin's truth).
        own = np.broadcast_to(np.asarray(obs.own_offer, dtype=float), (rows,) if shape else (1,))
        offers = np.array(
            [self._next_offer(answers[(0, r)][0], float(own[r])) for r in range(rows)]
        )
        history = np.array(
            [self._history(answers[(0, r)][0], memory, r, obs.round, spec) for r in range(rows)],
            dtype=object,
        )
        if not shape:
            return int(moves[0, 0]), (float(offers[0]), str(history[0]))
        move = moves if stacked else moves[0]
        return move, (offers, history)

    @staticmethod
    def _view_name(briefing: Briefing | None) -> str:
        if briefing is None:
            return "perceived"
        if briefing.phase == "calm":
            return "calm"
        return "truth" if briefing.twin else "perceived"

    @staticmethod
    def _options(fields: dict[str, Any], params: Params, spec: Any) -> tuple[str, ...]:
        moves = ["step_down", "hold", "step_up"] + (["jump"] if params.jump > 1 else [])
        if params.concessions and params.is_power[_index(fields)]:
            moves.append("concede")
        if spec.offers and not math.isnan(float(fields["offer_received"])):
            moves.append("accept")
        return tuple(moves)

    def _prompt(
        self,
        obs: Observation,
        index: tuple[int, ...],
        row: int,
        actor: Actor,
        params: Params,
        spec: Any,
        memory: Memory,
        briefing: Briefing | None,
    ) -> str:
        from escalsim.llm.prompt import DEFAULT_TEMPLATE, View, render

        fields = {f: _row(getattr(obs, f), index) for f in SHOWN}
        fields["_index"] = actor.index
        context = _context(briefing, actor, params)
        said = ""
        if briefing is not None and bool(briefing.private[row]):
            other = context["adversary_id"]
            heard = briefing.said.get((briefing.twin, int(briefing.replications[row]), other))
            if heard is not None and heard[0] < int(fields["round"]) and heard[1]:
                said = f'Round {heard[0]}, {context["adversary_name"]} said: "{heard[1]}"'
        history = _row(memory[1], (row,)) if len(memory) > 1 else ""
        view = View(
            fields=fields,
            context=context,
            rungs=params.rung_names,
            options=self._options(fields, params, spec),
            messages=said,
            history=str(history),
        )
        return render(spec.template or DEFAULT_TEMPLATE, view)

    def _answers(
        self,
        prompts: dict[tuple[int, int], str],
        actor: Actor,
        spec: Any,
        params: Params,
        session: Session,
        briefing: Briefing | None,
        obs: Observation,
    ) -> dict[tuple[int, int], tuple[Answer, str, int, list[Answered]]]:
        """Ask every prompt, repair invalid answers, fall back.

        Per (view, row): the answer, its status (``ok``, ``repaired``, ``fallback``), the
        repairs used and the replies.
        """
        from escalsim.llm.client import Endpoint
        from escalsim.llm.prompt import SYSTEM_PROMPT, Answer, InvalidAnswerError, parse_answer

        endpoint = Endpoint(
            base_url=spec.base_url,
            model=spec.model,
            api_key_env=spec.api_key_env,
            timeout=spec.timeout,
            retries=spec.retries,
        )
        actor_id = briefing.actor if briefing is not None else f"actor{actor.index}"
        shape = _shape(obs)
        pending: dict[tuple[int, int], list[dict[str, str]]] = {
            key: [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": prompt},
            ]
            for key, prompt in prompts.items()
        }
        replies: dict[tuple[int, int], list[Answered]] = {key: [] for key in prompts}
        done: dict[tuple[int, int], tuple[Answer, str, int, list[Answered]]] = {}
        for attempt in range(spec.max_repairs + 1):
            keys = list(pending)
            questions = [
                self._question(actor_id, endpoint, spec, pending[k], k, briefing, obs, attempt)
                for k in keys
            ]
            got = session.ask(
                questions,
                concurrency=spec.concurrency,
                budget=(spec.budget.calls, spec.budget.tokens),
            )
            for key, answered in zip(keys, got, strict=True):
                replies[key].append(answered)
                fields = {f: _row(getattr(obs, f), _index_of(key, shape)) for f in SHOWN}
                fields["_index"] = actor.index
                options = self._options(fields, params, spec)
                reply = answered.reply
                try:
                    if reply.refusal:
                        session.count(actor_id, "refusals")
                        raise InvalidAnswerError(f"you refused ({reply.refusal[:200]})")
                    answer = parse_answer(
                        reply.content, options, bool(spec.offers and params.is_power[actor.index])
                    )
                except InvalidAnswerError as exc:
                    session.count(actor_id, "invalid")
                    if attempt == spec.max_repairs:
                        fallback = spec.fallback if spec.fallback in options else "hold"
                        session.count(actor_id, "fallbacks")
                        done[key] = (
                            Answer(fallback, None, "", f"fallback: {exc}"),
                            "fallback",
                            attempt,
                            replies[key],
                        )
                        del pending[key]
                        continue
                    session.count(actor_id, "repairs")
                    pending[key] = [
                        *pending[key],
                        {"role": "assistant", "content": reply.content},
                        {
                            "role": "user",
                            "content": f"That answer is invalid: {exc}. Answer again with only "
                            "the JSON object.",
                        },
                    ]
                    continue
                done[key] = (answer, "ok" if attempt == 0 else "repaired", attempt, replies[key])
                del pending[key]
            if not pending:
                break
        return done

    @staticmethod
    def _question(
        actor_id: str,
        endpoint: Any,
        spec: Any,
        messages: list[dict[str, str]],
        key: tuple[int, int],
        briefing: Briefing | None,
        obs: Observation,
        attempt: int,
    ) -> Question:
        from escalsim.llm.session import Question

        _v, r = key
        replication = int(briefing.replications[r]) if briefing is not None else r
        seed = int(briefing.seed) if briefing is not None else 0
        body: dict[str, Any] = {
            "model": spec.model,
            "messages": messages,
            "temperature": spec.temperature,
            "max_tokens": spec.max_tokens,
        }
        if spec.seed is not None:
            body["seed"] = spec.seed
        if spec.response_format == "json_object":
            body["response_format"] = {"type": "json_object"}
        return Question(
            actor=actor_id,
            endpoint=endpoint,
            body=body,
            # Greedy decoding shares its answer across replications and seeds; sampling draws
            # one per run seed and replication (the same for the twin and every condition).
            draw=(seed, replication) if spec.temperature > 0 else None,
            meta={
                "replication": replication,
                "round": int(obs.round),
                "twin": bool(briefing.twin) if briefing is not None else False,
                "attempt": attempt,
            },
        )

    def _log(
        self,
        answers: dict[tuple[int, int], tuple[Answer, str, int, list[Answered]]],
        prompts: dict[tuple[int, int], str],
        asked: tuple[str, ...],
        briefing: Briefing | None,
        session: Session,
        obs: Observation,
    ) -> None:
        """Log each answer (kind ``llm``, or ``llm_fallback``) and remember what was said."""
        if briefing is None:
            return
        rows = len(briefing.replications)
        for v, view in enumerate(asked):
            kinds: dict[str, list[int]] = {}
            details: dict[str, list[str]] = {}
            moves: dict[str, list[str]] = {}
            for r in range(rows):
                answer, status, repairs, replies = answers[(v, r)]
                if view in ("perceived", "truth") and briefing.phase == "decide" and v == 0:
                    briefing.said[
                        (briefing.twin, int(briefing.replications[r]), briefing.actor)
                    ] = (
                        int(obs.round),
                        answer.message,
                    )
                kind = "llm_fallback" if status == "fallback" else "llm"
                kinds.setdefault(kind, []).append(r)
                offer = None if answer.offer is None else answer.offer
                details.setdefault(kind, []).append(
                    json.dumps(
                        {
                            "view": view,
                            "status": status,
                            "repairs": repairs,
                            "rationale": answer.rationale,
                            "message": answer.message,
                            "offer": None if offer is None or math.isnan(offer) else offer,
                            "withdraw_offer": offer is not None and math.isnan(offer),
                            "prompt": prompts[(v, r)],
                            "answer": replies[-1].reply.content if replies else "",
                        },
                        ensure_ascii=False,
                    )
                )
                moves.setdefault(kind, []).append(answer.move)
            for kind, which in kinds.items():
                briefing.log(
                    np.array(which, dtype=np.int64),
                    kind,
                    {
                        "actor": [briefing.actor] * len(which),
                        "move": moves[kind],
                        "detail": details[kind],
                    },
                )

    @staticmethod
    def _next_offer(answer: Answer, standing: float) -> float:
        """The offer to post next round: the answer's, else the standing one kept."""
        return standing if answer.offer is None else answer.offer

    @staticmethod
    def _history(answer: Answer, memory: Memory, row: int, round_: int, spec: Any) -> str:
        if spec.history == 0:
            return ""
        past = str(_row(memory[1], (row,))) if len(memory) > 1 else ""
        line = f"Round {round_}: {answer.move}"
        if answer.offer is not None and not math.isnan(answer.offer):
            line += f", offered {answer.offer:.2f}"
        if answer.message:
            line += f', said "{answer.message[:200]}"'
        lines = [*(past.split("\n") if past else []), line]
        return "\n".join(lines[-spec.history :])


def _index(fields: dict[str, Any]) -> int:
    return int(fields["_index"])


def _index_of(key: tuple[int, int], shape: tuple[int, ...]) -> tuple[int, ...]:
    v, r = key
    if len(shape) == 2:
        return (v, r)
    return (r,) if shape else ()


def _context(briefing: Briefing | None, actor: Actor, params: Params) -> dict[str, str]:
    """The scenario's text the template shows (ids alone when no briefing names a scenario)."""
    me = params.ids[actor.index]
    other = params.ids[int(params.adversary[actor.index])]
    names = {me: me, other: other}
    description, title, unit, horizon = "", "(unnamed)", "round", "?"
    if briefing is not None:
        s = briefing.scenario
        names = {a.id: a.name for a in s.actors}
        description, title = s.description.strip(), s.name
        unit, horizon = s.run.time_unit, str(s.run.rounds)
    war = "none" if params.war_rung is None else params.rung_names[int(params.war_rung)]
    return {
        "scenario_name": title,
        "scenario_description": description,
        "actor_id": me,
        "actor_name": names.get(me, me),
        "role": "great power" if params.is_power[actor.index] else "third party",
        "adversary_id": other,
        "adversary_name": names.get(other, other),
        "time_unit": unit,
        "horizon": horizon,
        "war_rung": war,
        "jump": str(params.jump),
    }
