"""A fake OpenAI-compatible chat server for the tests: scripted answers, in a thread.

``FakeServer`` listens on 127.0.0.1 (or another loopback address: ``host``, so that a test can
reach it under a name that is not a local host's), on port 0 (the system picks a free one) or a
given one, and answers ``POST /v1/chat/completions`` with what its ``script`` says. A script
is a function of the request (its JSON body, headers and the request's number) that returns
one of:

- a string: the assistant's content (with usage counts);
- ``("refusal", text)``: a message with ``refusal`` set and no content;
- ``(status, body, headers)``: that HTTP status, JSON body and headers (429 with Retry-After,
  500, 401, ...);
- ``"hang"``: never answer (the client's timeout is tested against it);
- ``"close"``: drop the connection without an answer.

Every request is kept (``requests``), with its headers, so tests can check what was sent. The
server says it is ready by setting an event once it listens; :meth:`start` waits for it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Script = Callable[[dict[str, Any], dict[str, str], int], Any]


def move_answer(move: str = "hold", **extra: Any) -> str:
    """A valid answer's content."""
    return json.dumps({"move": move, "rationale": f"I {move}.", **extra})


class FakeServer:
    """A scripted OpenAI-compatible endpoint (see the module docstring)."""

    def __init__(self, script: Script, port: int = 0, host: str = "127.0.0.1") -> None:
        self.script = script
        self.requests: list[dict[str, Any]] = []
        self.ready = threading.Event()
        self.release = threading.Event()  # set at stop: hanging handlers return
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                headers = {k.lower(): v for k, v in self.headers.items()}
                with server._lock:
                    number = len(server.requests)
                    server.requests.append({"path": self.path, "body": body, "headers": headers})
                if self.path != "/v1/chat/completions":
                    self._send(404, {"error": {"message": "not found"}}, {})
                    return
                out = server.script(body, headers, number)
                if out == "hang":
                    server.release.wait(30)
                    return
                if out == "close":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if isinstance(out, tuple) and out and out[0] == "refusal":
                    message = {"role": "assistant", "content": None, "refusal": out[1]}
                    self._send(200, _completion(message), {})
                    return
                if isinstance(out, tuple):
                    status, payload, extra = out
                    self._send(status, payload, extra)
                    return
                self._send(200, _completion({"role": "assistant", "content": out}), {})

            def _send(self, status: int, payload: Any, headers: dict[str, str]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        self.ready.set()
        self.httpd.serve_forever(poll_interval=0.05)

    @property
    def base_url(self) -> str:
        """The API root to configure (``.../v1``)."""
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def start(self) -> FakeServer:
        """Start serving; return once it listens (the socket is bound in ``__init__``)."""
        self.thread.start()
        if not self.ready.wait(10):
            raise RuntimeError("the fake server did not start")
        return self

    def stop(self) -> None:
        """Stop serving and release hanging handlers."""
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def _completion(message: dict[str, Any]) -> dict[str, Any]:
    content = message.get("content") or ""
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "model": "fake",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": max(1, len(content) // 4)},
    }
