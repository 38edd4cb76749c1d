"""The LLM actors of a run: which there are, their session, their recording, the dry run.

:func:`escalsim.run` calls :func:`llm_session` around a run of a scenario with an ``llm`` actor
(and does nothing more for any other scenario), and :func:`attach` before the run folder is
assembled: the recording is copied in as ``llm/calls.jsonl`` and the manifest's ``llm`` entry
records the counts, the spending and that the run is reproducible from the recording.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from escalsim.llm.session import RECORDING, Session, activate, active

if TYPE_CHECKING:
    from escalsim.scenario import Scenario

__all__ = [
    "active_llm_session",
    "attach",
    "check_key_hosts",
    "dry_run_prompts",
    "has_llm",
    "llm_actors",
    "llm_policies",
    "llm_session",
    "refuse_llm",
    "with_llm_session",
]


def llm_policies(scenario: Any) -> list[tuple[str, Any]]:
    """(actor id, policy spec) of every ``llm`` policy in any condition of ``scenario``."""
    from escalsim.scenario import Scenario, load_scenario
    from escalsim.scenario.load import with_condition

    spec = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    found: list[tuple[str, Any]] = []
    for variant in [spec, *(with_condition(spec, str(c)) for c in spec.conditions)]:
        found += [
            (a.id, a.policy)
            for a in variant.actors
            if a.policy is not None and a.policy.name == "llm" and (a.id, a.policy) not in found
        ]
    return found


def llm_actors(scenario: Any) -> list[str]:
    """The ids of the actors with the ``llm`` policy in any condition of ``scenario``."""
    return list(dict.fromkeys(a for a, _ in llm_policies(scenario)))


def refuse_llm(scenario: Any, command: str) -> None:
    """Refuse a scenario with LLM actors in a driver that runs many models outside a run.

    Sweeps, sensitivity analyses, calibrations and the app's ensembles run the model outside
    :func:`escalsim.run`: their LLM actors would have no recording, no per-run budget and no
    single process. LLM actors run with ``escalsim run`` (docs/llm.md).

    Raises
    ------
    LLMError
        Naming the scenario, the actors and ``escalsim run`` (exit code 2).
    """
    from escalsim.errors import LLMError

    actors = llm_actors(scenario)
    if not actors:
        return
    name = getattr(scenario, "id", None) or str(scenario)
    raise LLMError(
        f"scenario {name}: {', '.join(actors)} "
        f"{'is' if len(actors) == 1 else 'are'} played by a language model (policy llm), and "
        f"{command} does not run language-model actors (no recording, no budget per run): run "
        "the scenario with 'escalsim run'"
    )


def check_key_hosts(scenario: Any) -> None:
    """Refuse, before any request, an LLM actor whose key would go to a host not allowed.

    Raises
    ------
    LLMError
        Naming the actor, the variable and the host (:func:`escalsim.llm.client.check_key_host`).
    """
    from escalsim.errors import LLMError
    from escalsim.llm.client import check_key_host

    for actor, policy in llm_policies(scenario):
        try:
            check_key_host(policy.base_url, policy.api_key_env)
        except LLMError as exc:
            raise LLMError(f"actor {actor}: {exc}") from None


def has_llm(scenario: Any) -> bool:
    """Whether some actor of ``scenario`` (a Scenario, a file, a shipped name) is an LLM's."""
    return bool(llm_actors(scenario))


@contextlib.contextmanager
def llm_session(
    scenario: Any, work: str | os.PathLike[str] | None, options: Mapping[str, Any] | None
) -> Iterator[Session | None]:
    """The session of a run's LLM actors while the block runs (None: the scenario has none).

    Parameters
    ----------
    scenario : Scenario
        The scenario.
    work : path or None
        The run's work folder: the recording is ``work/llm/calls.jsonl`` (kept there until the
        run folder is assembled, so a stopped run keeps every answer and ``--resume`` replays
        them). None: record nothing (a run in memory), or take the session already active.
    options : mapping, optional
        ``replay`` (run folders or recordings whose answers come first), ``offline`` (never
        send a request), ``max_calls``, ``max_tokens`` (budget overrides), ``cache`` (the
        shared cache folder; False: none), ``sleep`` (tests).
    """
    if not has_llm(scenario):
        yield None
        return
    if work is None and active() is not None:
        yield active()
        return
    opts = dict(options or {})
    replay = [Path(p) for p in opts.get("replay") or []]
    if not (opts.get("offline") or replay):
        check_key_hosts(scenario)
    session = Session(
        None if work is None else Path(work) / RECORDING,
        replay=list(replay),
        offline=bool(opts.get("offline")) or bool(replay),
        # A replay answers from its recordings alone, never from the shared cache.
        cache=False if replay else opts.get("cache"),
        max_calls=opts.get("max_calls"),
        max_tokens=opts.get("max_tokens"),
        sleep=opts.get("sleep"),
    )
    with activate(session):
        yield session


def active_llm_session(spec: Scenario) -> Session | None:
    """The session a run of ``spec`` asks through (None: no LLM actor, or none active)."""
    session = active()
    return session if session is not None and has_llm(spec) else None


def with_llm_session[F: Callable[..., Any]](run: F) -> F:
    """Decorate :func:`escalsim.run` so that a run in memory of LLM actors has a session.

    A run without ``out`` of a scenario with LLM actors, and no session active, gets one for
    its duration (no recording), with the ``llm`` options it is called with.
    """

    @functools.wraps(run)
    def wrapper(scenario: Any, *args: Any, **kwargs: Any) -> Any:
        if (
            active() is not None
            or kwargs.get("out") is not None
            or kwargs.get("checkpoint") is not None
        ):
            return run(scenario, *args, **kwargs)
        if kwargs.get("resume") or not has_llm(scenario):
            return run(scenario, *args, **kwargs)
        with llm_session(scenario, None, kwargs.get("llm")):
            return run(scenario, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def attach(results: Any, session: Session | None, work: str | os.PathLike[str]) -> None:
    """Attach the recording to ``results`` and say in the manifest how the run reproduces."""
    if session is None:
        return
    results.manifest["llm"] = session.manifest()
    recording = Path(work) / RECORDING
    if recording.is_file():
        results.attachments[str(RECORDING)] = recording


def dry_run_prompts(scenario: Any, seed: int = 0) -> list[tuple[str, str]]:
    """The first prompt of each LLM actor, without calling anything.

    One replication of the scenario's first condition is run to each LLM actor's first decision
    with a session that answers nothing: the prompt it would send is captured, and the actor
    then holds (nothing is recorded or cached).

    Returns
    -------
    list of (str, str)
        (actor id, the first user message it would send), in the order the actors decide.
    """
    from escalsim.batch import run_batch
    from escalsim.llm.client import Reply
    from escalsim.llm.session import Answered, Question

    wanted = set(llm_actors(scenario))
    seen: dict[str, str] = {}

    class Capture(Session):
        def ask(self, questions: list[Question], **_: Any) -> list[Answered]:
            for q in questions:
                if q.actor not in seen:
                    seen[q.actor] = q.body["messages"][-1]["content"]
            hold = '{"move": "hold", "rationale": "dry run"}'
            return [Answered(Reply(content=hold), "dry-run") for _ in questions]

    from escalsim.scenario import Scenario, load_scenario

    spec = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    with activate(Capture(cache=False)):
        run_batch(spec, seed=seed, replications=1, twin=False)
    return [(a, seen[a]) for a in seen if a in wanted]
