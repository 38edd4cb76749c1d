"""A client of an OpenAI-compatible chat endpoint: one request, with timeouts and retries.

Any server that speaks ``POST {base_url}/chat/completions`` (OpenAI's API and the compatible
servers: Ollama, llama.cpp's ``llama-server``, vLLM, LM Studio, hosted gateways). The client
sends one chat request and returns the answer's text and token counts; it retries what may pass
(a connection refused or dropped, a timeout, ``429 Too Many Requests``, a ``5xx``) with
exponential backoff, honouring ``Retry-After``, and refuses at once what will not (any other
``4xx``: a wrong model name, a refused key).

The API key is read from the environment variable the policy names, when a request is made,
and sent only in the ``Authorization`` header, and only to a host the user allows outside the
scenario (:func:`check_key_host`: a local host, or one listed in ``$ESCALSIM_LLM_KEY_HOSTS``);
every message this module builds names the variable, never its value, and anything a server
sends back is redacted of the key before it goes anywhere (:func:`redact`).

``httpx`` is imported inside :meth:`ChatClient.send`, so importing :mod:`escalsim` never loads it;
it comes with the ``llm`` extra (``pip install 'escalsim[llm]'``), and its absence is an
:class:`~escalsim.errors.LLMError` saying so.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from escalsim.errors import LLMError

__all__ = [
    "KEY_HOSTS_ENV",
    "LOCAL_HOSTS",
    "ChatClient",
    "Endpoint",
    "Reply",
    "check_key_host",
    "redact",
]

#: The environment variable listing the hosts a key may be sent to (comma-separated names).
KEY_HOSTS_ENV = "ESCALSIM_LLM_KEY_HOSTS"
#: Hosts a key may always be sent to: this machine.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def _host(base_url: str) -> str:
    from urllib.parse import urlsplit

    try:
        return (urlsplit(base_url).hostname or "").lower()
    except ValueError:
        return ""


def key_hosts() -> frozenset[str]:
    """The hosts a key may be sent to: :data:`LOCAL_HOSTS` and ``$ESCALSIM_LLM_KEY_HOSTS``."""
    listed = os.environ.get(KEY_HOSTS_ENV, "")
    return LOCAL_HOSTS | {h.strip().lower().strip("[]") for h in listed.split(",") if h.strip()}


def check_key_host(base_url: str, api_key_env: str | None) -> None:
    """Refuse to send a key to a host the user has not allowed outside the scenario.

    A scenario chooses both ``base_url`` and ``api_key_env``, so a shared scenario could
    otherwise send any secret of the environment to any host. A key (``api_key_env`` set) is
    sent only to a local host (:data:`LOCAL_HOSTS`) or one listed, by the user, in the
    environment variable ``ESCALSIM_LLM_KEY_HOSTS``.

    Raises
    ------
    LLMError
        When a key is asked for and the host is not allowed; the message names the variable,
        the host and how to allow it, never the key.
    """
    if api_key_env is None:
        return
    host = _host(base_url)
    if host in key_hosts():
        return
    example = host or "api.openai.com"
    raise LLMError(
        f"the scenario asks to send the key in {api_key_env} to {host or base_url!r}, a host "
        "not allowed to receive keys: if you trust it, list it in the environment variable "
        f"{KEY_HOSTS_ENV} (comma-separated host names, e.g. export {KEY_HOSTS_ENV}={example}); "
        "a scenario cannot allow it itself"
    )


@dataclass(frozen=True)
class Endpoint:
    """Where and how to ask: an OpenAI-compatible endpoint and the client's settings.

    Attributes
    ----------
    base_url : str
        The API root, e.g. ``http://localhost:11434/v1`` (Ollama); requests go to
        ``{base_url}/chat/completions``.
    model : str
        The model name the server knows.
    api_key_env : str or None
        The environment variable holding the key (None: send no key, as local servers allow).
    timeout : float
        Seconds to wait for a connection and for the answer of one request.
    retries : int
        Further attempts after a failure that may pass (connection, timeout, 429, 5xx).
    backoff : float
        Seconds before the first retry; doubled at each further one (``Retry-After`` wins).
    max_wait : float
        The longest wait between two attempts, whatever ``Retry-After`` asks.
    """

    base_url: str
    model: str
    api_key_env: str | None = None
    timeout: float = 60.0
    retries: int = 4
    backoff: float = 1.0
    max_wait: float = 60.0

    @property
    def url(self) -> str:
        """The chat completions URL."""
        return self.base_url.rstrip("/") + "/chat/completions"

    def key(self) -> str | None:
        """The API key from the environment (None without ``api_key_env``).

        Raises
        ------
        LLMError
            When the host is not allowed to receive a key (:func:`check_key_host`), or the
            variable is named but not set.
        """
        if self.api_key_env is None:
            return None
        check_key_host(self.base_url, self.api_key_env)
        value = os.environ.get(self.api_key_env)
        if not value:
            raise LLMError(
                f"the environment variable {self.api_key_env} (the policy's api_key_env) is not "
                f"set: export the key of {self.base_url} in it, or remove api_key_env for a "
                "server that needs none"
            )
        return value


@dataclass(frozen=True)
class Reply:
    """A server's answer to one chat request.

    Attributes
    ----------
    content : str
        The assistant message's text ("" when there is none).
    refusal : str or None
        The message's ``refusal`` (OpenAI's structured outputs), when the model refused.
    finish_reason : str or None
        Why it stopped (``stop``, ``length``, ...).
    prompt_tokens, completion_tokens : int
        Token counts as the server reported them (estimated at 4 characters a token when it
        reports none).
    attempts : int
        Requests sent to get it (1 + retries used).
    """

    content: str
    refusal: str | None = None
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    attempts: int = 1
    usage_reported: bool = field(default=True, compare=False)

    @property
    def tokens(self) -> int:
        """Prompt and completion tokens together."""
        return self.prompt_tokens + self.completion_tokens


def redact(text: str, secret: str | None) -> str:
    """``text`` with every occurrence of ``secret`` replaced by ``[redacted]``."""
    if secret:
        return text.replace(secret, "[redacted]")
    return text


#: The most characters of a server's body quoted in a message.
EXCERPT = 120


def _excerpt(text: str, secret: str | None) -> str:
    """A server's body for a message: redacted, on one line, printable, at most EXCERPT long."""
    text = redact(text, secret)
    flat = redact(" ".join("".join(c if c.isprintable() else " " for c in text).split()), secret)
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 3] + "..."


def _httpx() -> Any:
    """The httpx module, or an LLMError naming the extra that installs it."""
    try:
        import httpx
    except ImportError:
        raise LLMError(
            "the llm policy needs the httpx package, which is not installed: "
            "pip install 'escalsim[llm]'"
        ) from None
    return httpx


def _text(content: Any) -> str:
    """A message's content as text: a string, or the text parts of a list of parts joined.

    Some servers send ``content`` as a list of parts (``{"type": "text", "text": ...}``);
    anything else that is not text gives "" (an invalid answer, repaired).
    """
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return "".join(parts)
    return ""


def _count(value: Any) -> int:
    """A token count as the server reported it (0 when it is not a number)."""
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError, OverflowError):
        return 0


def _estimate(text: str) -> int:
    return max(1, len(text) // 4)


class _RetryableError(Exception):
    """A failure that may pass; ``wait`` is the server's Retry-After, if it gave one."""

    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.wait = reason, wait


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None  # an HTTP date: the backoff applies
    return max(0.0, seconds)


class ChatClient:
    """Sends chat requests to one endpoint, with retries and backoff.

    Parameters
    ----------
    endpoint : Endpoint
        Where and how.
    sleep : callable, optional
        Waits between attempts (default :func:`time.sleep`; the tests pass one that records the
        waits instead).
    """

    def __init__(self, endpoint: Endpoint, sleep: Callable[[float], None] | None = None) -> None:
        self.endpoint = endpoint
        self.sleep = time.sleep if sleep is None else sleep
        self._http: Any = None

    def close(self) -> None:
        """Close the connection pool."""
        if self._http is not None:
            self._http.close()
            self._http = None

    def _client(self) -> Any:
        if self._http is None:
            httpx = _httpx()
            # Redirects are not followed: a key goes only to the host allowed (check_key_host).
            self._http = httpx.Client(
                timeout=httpx.Timeout(self.endpoint.timeout), follow_redirects=False
            )
        return self._http

    def send(self, body: dict[str, Any]) -> Reply:
        """POST one chat request and return the answer.

        Parameters
        ----------
        body : dict
            The request's JSON body (``model``, ``messages``, sampling settings).

        Returns
        -------
        Reply
            The first choice's message and the token counts.

        Raises
        ------
        LLMError
            A refusal that will not pass (4xx other than 429, a body that is not a chat
            completion), or a failure that persisted through every retry. The message names the
            endpoint and the status, never the key.
        """
        ep = self.endpoint
        key = ep.key()
        headers = {"Content-Type": "application/json"}
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        last = ""
        for attempt in range(ep.retries + 1):
            try:
                reply = self._attempt(body, headers, key)
                return Reply(
                    content=reply.content,
                    refusal=reply.refusal,
                    finish_reason=reply.finish_reason,
                    prompt_tokens=reply.prompt_tokens,
                    completion_tokens=reply.completion_tokens,
                    attempts=attempt + 1,
                    usage_reported=reply.usage_reported,
                )
            except _RetryableError as failure:
                last = failure.reason
                if attempt == ep.retries:
                    break
                wait = ep.backoff * 2**attempt if failure.wait is None else failure.wait
                self.sleep(min(wait, ep.max_wait))
        raise LLMError(
            f"{ep.url} (model {ep.model}) did not answer after {ep.retries + 1} attempts: "
            f"{last}; the answers received so far are saved (--resume goes on from them)"
        )

    def _attempt(self, body: dict[str, Any], headers: dict[str, str], key: str | None) -> Reply:
        httpx = _httpx()
        ep = self.endpoint
        try:
            response = self._client().post(ep.url, json=body, headers=headers)
        except httpx.TimeoutException:
            raise _RetryableError(f"no answer within {ep.timeout:g} s") from None
        except httpx.TransportError as exc:
            # The exception's text names the URL at most; redacted all the same.
            raise _RetryableError(redact(f"cannot connect ({type(exc).__name__})", key)) from None
        status = response.status_code
        if status == 429 or status >= 500:
            raise _RetryableError(
                f"HTTP {status}", _retry_after(response.headers.get("Retry-After"))
            )
        text = _excerpt(response.text, key)
        if status >= 400:
            hint = (
                f"; check the key in {ep.api_key_env}"
                if status in (401, 403) and ep.api_key_env
                else ""
            )
            raise LLMError(f"{ep.url} refused the request (HTTP {status}): {text}{hint}")
        try:
            data = response.json()
            choice = data["choices"][0]
            message = choice["message"]
            if not isinstance(message, dict):
                raise TypeError
        except (ValueError, KeyError, IndexError, TypeError):
            raise LLMError(
                f"{ep.url} answered something that is not a chat completion: {text}"
            ) from None
        content = redact(_text(message.get("content")), key)
        refusal = message.get("refusal")
        usage = data.get("usage")
        usage = usage if isinstance(usage, dict) else {}
        reported = "prompt_tokens" in usage
        prompt_tokens = _count(usage.get("prompt_tokens"))
        completion_tokens = _count(usage.get("completion_tokens"))
        if not reported:
            prompt_tokens = sum(_estimate(str(m.get("content", ""))) for m in body["messages"])
            completion_tokens = _estimate(content)
        return Reply(
            content=content,
            refusal=redact(refusal, key) if isinstance(refusal, str) else None,
            finish_reason=finish
            if isinstance(finish := choice.get("finish_reason"), str)
            else None,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            usage_reported=reported,
        )
