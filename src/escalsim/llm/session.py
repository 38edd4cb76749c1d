"""A run's language-model session: the clients, the recording, the shared cache and the budget.

Every question an LLM actor asks goes through the active :class:`Session`. A question is one
chat request (the endpoint, the model, the messages, the sampling settings) and a *draw*: the
run's root seed and the replication it is asked for, when the model samples
(``temperature > 0``; greedy decoding is taken as deterministic and shares its answer across
replications and seeds). Its key is the SHA-256 of all
of these (:func:`question_key`): the API key and the client's settings (timeouts, retries) are
not in it, as they do not change the answer.

An answer is looked up, in this order, in the recordings being replayed, in the run's own
recording (a resumed run), and in the shared cache (``$ESCALSIM_LLM_CACHE``, else
``$XDG_CACHE_HOME/escalsim/llm``, else ``~/.cache/escalsim/llm``); only a miss is sent, and only
a sent request costs budget. With ``offline``, a miss is an error naming the question, so a
replay never touches the network.

The recording is ``llm/calls.jsonl`` in the run folder: one JSON line per question answered
(its key, the actor, replication, round, view, the messages, the answer, the tokens, where the
answer came from), appended and flushed as each answer arrives, so a run that stops (a dead
server, a spent budget, Ctrl-C) loses nothing that was paid for, and ``--resume`` replays it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from escalsim.errors import LLMBudgetError, LLMError
from escalsim.llm.client import ChatClient, Endpoint, Reply, redact

__all__ = [
    "RECORDING",
    "Question",
    "Recording",
    "Session",
    "activate",
    "active",
    "cache_dir",
    "current",
    "question_key",
]

#: The recording's path inside a run folder.
RECORDING = Path("llm") / "calls.jsonl"


def cache_dir() -> Path:
    """The shared cache folder.

    ``$ESCALSIM_LLM_CACHE``, else ``$XDG_CACHE_HOME/escalsim/llm``, else
    ``~/.cache/escalsim/llm``.
    """
    if os.environ.get("ESCALSIM_LLM_CACHE"):
        return Path(os.environ["ESCALSIM_LLM_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "escalsim" / "llm"


def question_key(endpoint: Endpoint, body: dict[str, Any], draw: tuple[int, int] | None) -> str:
    """The SHA-256 of what determines an answer: endpoint, model, messages, sampling, draw."""
    canonical = json.dumps(
        {"base_url": endpoint.base_url.rstrip("/"), "body": body, "draw": draw},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Question:
    """One chat request an actor asks, with what the recording says about it."""

    actor: str
    endpoint: Endpoint
    body: dict[str, Any]
    draw: tuple[int, int] | None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Its cache key (:func:`question_key`)."""
        return question_key(self.endpoint, self.body, self.draw)


@dataclass(frozen=True)
class Answered:
    """A question's answer and where it came from (``live``, ``recording``, ``cache``)."""

    reply: Reply
    source: str


def _reply_of(entry: dict[str, Any]) -> Reply:
    return Reply(
        content=entry.get("content", ""),
        refusal=entry.get("refusal"),
        finish_reason=entry.get("finish_reason"),
        prompt_tokens=int(entry.get("prompt_tokens", 0)),
        completion_tokens=int(entry.get("completion_tokens", 0)),
    )


class Recording:
    """The answers of a run, one JSON line each (``llm/calls.jsonl``).

    Parameters
    ----------
    path : path
        The file; created (with its folder) at the first answer.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.answers: dict[str, dict[str, Any]] = {}
        self.spent: dict[str, list[int]] = {}  # actor -> [calls, tokens] paid for
        self._lock = threading.Lock()
        if self.path.is_file():
            self.answers.update(self.read(self.path, self.spent))
            self._trim()

    def _trim(self) -> None:
        """Cut a last line a hard stop left half-written, so that appending starts a new line."""
        try:
            with self.path.open("rb+") as f:
                data = f.read()
                if data and not data.endswith(b"\n"):
                    f.truncate(data.rfind(b"\n") + 1)
        except OSError as exc:
            why = exc.strerror or str(exc)
            raise LLMError(f"{self.path}: cannot open the recording ({why})") from None

    @staticmethod
    def read(
        path: str | os.PathLike[str], spent: dict[str, list[int]] | None = None
    ) -> dict[str, dict[str, Any]]:
        """The answers of a recording by key (``spent`` gets what its live calls cost).

        A last line cut short by a stop is skipped; any other unreadable line is an error. A
        file whose name ends in ``.gz`` is read through gzip (a recording shipped compressed:
        its prompts repeat, and gzip takes a recording to about a fortieth).

        Raises
        ------
        LLMError
            When the file cannot be read or a line is damaged.
        """
        out: dict[str, dict[str, Any]] = {}
        try:
            if str(path).endswith(".gz"):
                import gzip

                with gzip.open(path, "rt", encoding="utf-8") as f:
                    lines = f.read().splitlines()
            else:
                lines = Path(path).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            why = exc.strerror or str(exc)
            raise LLMError(f"{path}: cannot read the recording ({why})") from None
        except (EOFError, UnicodeDecodeError):
            raise LLMError(f"{path}: not a gzip-compressed recording, or cut short") from None
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                key = entry["key"]
            except (json.JSONDecodeError, KeyError, TypeError):
                if number == len(lines):
                    break  # the line being written when the run stopped
                raise LLMError(f"{path}:{number}: not a recorded answer") from None
            out[key] = entry
            if spent is not None and entry.get("source") == "live":
                paid = spent.setdefault(entry.get("actor", "?"), [0, 0])
                paid[0] += int(entry.get("calls", 1))
                paid[1] += int(entry.get("prompt_tokens", 0)) + int(
                    entry.get("completion_tokens", 0)
                )
        return out

    def append(self, entry: dict[str, Any]) -> None:
        """Write one answer and flush it (a stop after this loses nothing)."""
        line = json.dumps(entry, ensure_ascii=False, sort_keys=True)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # A work folder cleared under it (a retry of a run stopped before its first part was
            # saved) keeps the answers read at the start: they are written again first.
            earlier = [] if self.path.exists() else list(self.answers.values())
            with self.path.open("a", encoding="utf-8") as f:
                for old in earlier:
                    f.write(json.dumps(old, ensure_ascii=False, sort_keys=True) + "\n")
                f.write(line + "\n")
                f.flush()
                os.fsync(f.fileno())
            self.answers[entry["key"]] = entry


class Session:
    """The clients, answers, counters and budget of the LLM actors of one run.

    Parameters
    ----------
    recording : path, optional
        Where this run records its answers (``<run folder>/llm/calls.jsonl``); answers already
        there (a resumed run) are replayed and their cost counted against the budget.
    replay : list of path, optional
        Recordings whose answers are used first (``--llm-replay``).
    offline : bool
        Never send a request: a question without a recorded or cached answer is an error.
    cache : path or None or False
        The shared cache folder (default :func:`cache_dir`; False: none).
    max_calls, max_tokens : int, optional
        Override every actor's budget (``--llm-max-calls``, ``--llm-max-tokens``).
    sleep : callable, optional
        Waits between retries (tests pass a recorder).
    """

    def __init__(
        self,
        recording: str | os.PathLike[str] | None = None,
        *,
        replay: list[str | os.PathLike[str]] | None = None,
        offline: bool = False,
        cache: str | os.PathLike[str] | bool | None = None,
        max_calls: int | None = None,
        max_tokens: int | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.recording = Recording(recording) if recording is not None else None
        self.replayed: dict[str, dict[str, Any]] = {}
        for path in replay or []:
            source = Path(path)
            if source.is_dir():
                source = source / RECORDING
            if not source.is_file():
                raise LLMError(f"{path}: no recording to replay (expected {RECORDING} in a run)")
            self.replayed.update(Recording.read(source))
        self.offline = offline
        self.cache: Path | None = None
        if cache is not False:
            self.cache = cache_dir() if cache is None or cache is True else Path(str(cache))
        self.max_calls, self.max_tokens = max_calls, max_tokens
        self.sleep = sleep
        self._clients: dict[Endpoint, ChatClient] = {}
        self._lock = threading.Lock()
        self._held: dict[str, int] = {}  # actor -> tokens held by requests in flight
        self.spent: dict[str, list[int]] = (
            {a: list(v) for a, v in self.recording.spent.items()} if self.recording else {}
        )
        #: Per actor: questions, live calls, answers from a recording and from the cache,
        #: tokens, repairs, refusals, invalid answers, fallbacks.
        self.counts: dict[str, dict[str, int]] = {}

    # -- bookkeeping ---------------------------------------------------------------------------
    def count(self, actor: str, what: str, n: int = 1) -> None:
        """Add ``n`` to an actor's counter ``what``."""
        with self._lock:
            counts = self.counts.setdefault(actor, {})
            counts[what] = counts.get(what, 0) + n

    def summary(self) -> dict[str, Any]:
        """What the manifest records: the counters and the spending per actor."""
        return {
            "actors": {
                actor: {
                    **counts,
                    "calls_paid": self.spent.get(actor, [0, 0])[0],
                    "tokens_paid": self.spent.get(actor, [0, 0])[1],
                }
                for actor, counts in sorted(self.counts.items())
            },
            "recording": str(RECORDING),
            "offline": self.offline,
        }

    def manifest(self) -> dict[str, Any]:
        """The manifest's ``llm`` entry: :meth:`summary` and how the run reproduces."""
        return {
            **self.summary(),
            "reproducible": "from the recording (llm/calls.jsonl), not from the seed alone: "
            "replay it with `escalsim run SCENARIO --seed SEED --llm-replay RUN_DIR`",
        }

    def close(self) -> None:
        """Close every client."""
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    # -- answers -------------------------------------------------------------------------------
    def _lookup(self, key: str) -> Answered | None:
        for source, answers in (
            ("recording", self.replayed),
            ("recording", self.recording.answers if self.recording else {}),
        ):
            if key in answers:
                return Answered(_reply_of(answers[key]), source)
        if self.cache is not None:
            path = self.cache / key[:2] / f"{key}.json"
            try:
                entry = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                return None
            return Answered(_reply_of(entry), "cache")
        return None

    def _store_cache(self, key: str, entry: dict[str, Any]) -> None:
        if self.cache is None:
            return
        folder = self.cache / key[:2]
        try:
            folder.mkdir(parents=True, exist_ok=True)
            temp = folder / f".{key}.{os.getpid()}.{threading.get_ident()}.tmp"
            temp.write_text(json.dumps(entry, ensure_ascii=False, sort_keys=True), "utf-8")
            os.replace(temp, folder / f"{key}.json")
        except OSError:
            pass  # the cache is an economy: the recording is what a run relies on

    @staticmethod
    def _wait(future: Future[Any]) -> Any:
        """The result of a request sent (the tests replace it to interrupt the wait)."""
        return future.result()

    def _reserve(
        self,
        question: Question,
        budget: tuple[int | None, int | None],
        abort: threading.Event | None = None,
    ) -> int:
        """Count a request against its actor's budget before it is sent.

        A call is counted at once; its tokens are held at an estimate (the prompt at 4
        characters a token, plus ``max_tokens``) until the answer says what they were, so
        requests in flight at once cannot together overspend the budget by more than one.

        Returns
        -------
        int
            The tokens held (give them back with :meth:`_settle`).
        """
        calls = self.max_calls if self.max_calls is not None else budget[0]
        tokens = self.max_tokens if self.max_tokens is not None else budget[1]
        estimate = sum(
            _estimate_tokens(str(m.get("content", ""))) for m in question.body.get("messages", [])
        ) + int(question.body.get("max_tokens") or 0)
        with self._lock:
            if abort is not None and abort.is_set():
                raise _AbortedError
            paid = self.spent.setdefault(question.actor, [0, 0])
            held = self._held.get(question.actor, 0)
            if calls is not None and paid[0] >= calls:
                raise LLMBudgetError(
                    f"actor {question.actor}: its budget of {calls} calls is spent; what is done "
                    "is saved: resume the run with a larger --llm-max-calls"
                )
            if tokens is not None and paid[1] + held >= tokens:
                flight = f", {held} held by requests in flight" if held else ""
                raise LLMBudgetError(
                    f"actor {question.actor}: its budget of {tokens} tokens is spent "
                    f"({paid[1]} used{flight}); what is done is saved: resume the run with a "
                    "larger --llm-max-tokens"
                )
            paid[0] += 1
            self._held[question.actor] = held + estimate
        return estimate

    def _settle(self, actor: str, held: int, used: int) -> None:
        """Give back the tokens held for a request and count those it used."""
        with self._lock:
            self._held[actor] = self._held.get(actor, 0) - held
            self.spent.setdefault(actor, [0, 0])[1] += used

    def _send(self, question: Question) -> Reply:
        with self._lock:
            client = self._clients.get(question.endpoint)
            if client is None:
                client = self._clients[question.endpoint] = ChatClient(
                    question.endpoint, sleep=self.sleep
                )
        return client.send(question.body)

    def ask(
        self,
        questions: list[Question],
        *,
        concurrency: int = 4,
        budget: tuple[int | None, int | None] = (None, None),
    ) -> list[Answered]:
        """Answer ``questions`` (recorded or cached answers first), in their order.

        Misses are sent ``concurrency`` at a time; identical questions are asked once. Each
        answer is recorded as it arrives.

        Raises
        ------
        LLMError
            Offline with a question unanswered, or an endpoint that cannot be used.
        LLMBudgetError
            A question that would exceed its actor's budget (questions answered before it are
            recorded).
        """
        answers: dict[str, Answered] = {}
        missing: dict[str, Question] = {}
        for q in questions:
            key = q.key
            if key in answers or key in missing:
                continue
            found = self._lookup(key)
            if found is not None:
                answers[key] = found
            else:
                missing[key] = q
        if missing and self.offline:
            q = next(iter(missing.values()))
            raise LLMError(
                f"actor {q.actor}: no recorded answer for a question of round "
                f"{q.meta.get('round', '?')} (replication {q.meta.get('replication', '?')}, "
                f"key {q.key[:12]}) and the network is off (--llm-replay): the recording is of "
                "another scenario, seed or template"
            )

        abort = threading.Event()  # one failure, or Ctrl-C, stops the requests not yet sent

        def live(item: tuple[str, Question]) -> tuple[str, Answered] | None:
            key, q = item
            if abort.is_set():
                return None
            try:
                held = self._reserve(q, budget, abort)
            except _AbortedError:
                return None
            except BaseException:
                abort.set()
                raise
            try:
                reply = self._send(q)
            except BaseException:
                self._settle(q.actor, held, 0)
                abort.set()
                raise
            self._settle(q.actor, held, reply.tokens)
            return key, Answered(reply, "live")

        if missing:
            pool = ThreadPoolExecutor(
                max_workers=max(1, concurrency), thread_name_prefix="escalsim-llm"
            )
            futures = [pool.submit(live, item) for item in missing.items()]
            failure: BaseException | None = None
            try:
                for future in futures:
                    try:
                        done = self._wait(future)
                    except Exception as exc:  # a request failed: record what arrived, then stop
                        failure = failure or exc
                        continue
                    if done is None:
                        continue
                    key, got = done
                    answers[key] = got
                    self._record(missing[key], got)
            except BaseException:
                # Interrupted while waiting (Ctrl-C, SIGTERM): send nothing more, record the
                # answers already in, and do not wait for the requests in flight.
                abort.set()
                for future in futures:
                    future.cancel()
                for future in futures:
                    if future.done() and not future.cancelled() and future.exception() is None:
                        done = future.result()
                        if done is not None and done[0] not in answers:
                            answers[done[0]] = done[1]
                            self._record(missing[done[0]], done[1])
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            pool.shutdown(wait=True)
            if failure is not None:
                raise failure
        out = []
        seen: set[str] = set()
        for q in questions:
            got = answers[q.key]
            first = q.key not in seen
            seen.add(q.key)
            source = got.source if first else "repeat"
            self.count(q.actor, "questions")
            self.count(q.actor, {"live": "calls", "recording": "replayed"}.get(source, "cached"))
            recorded = self.recording is None or q.key in self.recording.answers
            if first and q.key not in missing and not recorded:
                self._record(q, got)
            out.append(got)
        return out

    def _record(self, q: Question, got: Answered) -> None:
        key = q.key
        reply = got.reply
        secret = _secret(q.endpoint)
        entry = {
            "key": key,
            "actor": q.actor,
            **q.meta,
            "draw": q.draw,
            "base_url": q.endpoint.base_url,
            "model": q.endpoint.model,
            "request": json.loads(redact(json.dumps(q.body), secret)),
            "content": redact(reply.content, secret),
            "refusal": reply.refusal,
            "finish_reason": reply.finish_reason,
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens,
            "source": got.source,
            "calls": 1 if got.source == "live" else 0,
            "attempts": reply.attempts if got.source == "live" else 0,
        }
        if self.recording is not None:
            self.recording.append(entry)
        if got.source == "live":
            self._store_cache(key, entry)


def _estimate_tokens(text: str) -> int:
    return max(1, len(text) // 4)


class _AbortedError(Exception):
    """A request not sent: the question's batch was stopped before it went out."""


def _secret(endpoint: Endpoint) -> str | None:
    if endpoint.api_key_env is None:
        return None
    return os.environ.get(endpoint.api_key_env) or None


#: The session of the run in progress in this context (a ContextVar: a thread or task of its
#: own, e.g. an app's callback, does not see another's).
_ACTIVE: ContextVar[Session | None] = ContextVar("escalsim_llm_session", default=None)
_DEFAULT: list[Session] = []


def active() -> Session | None:
    """The session made active by :func:`activate` in this context (None: none)."""
    return _ACTIVE.get()


def current() -> Session:
    """The active session, else this process's default one.

    The default has the shared cache, no recording and live calls, so an LLM actor also runs
    from Python (``run_batch``, ``EscalationModel``) without :func:`activate`; the commands
    and :func:`escalsim.run` always activate one.
    """
    session = _ACTIVE.get()
    if session is not None:
        return session
    if not _DEFAULT:
        _DEFAULT.append(Session())
    return _DEFAULT[0]


@contextlib.contextmanager
def activate(session: Session) -> Iterator[Session]:
    """Make ``session`` the active one while the block runs (then close its clients)."""
    token = _ACTIVE.set(session)
    try:
        yield session
    finally:
        _ACTIVE.reset(token)
        session.close()
