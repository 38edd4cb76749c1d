"""How the browser tests and benchmarks start Debian's Chromium: one home for its flags.

Also the helpers every served-app test and benchmark needs: where Chromium is
(:func:`chromium_path`), a free port on this machine (:func:`free_port`), and waiting until a
started server answers (:func:`wait_served`).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from typing import Any

#: Flags for a headless Chromium on a machine with no network beyond localhost: without the
#: background-networking ones it keeps trying (and failing) to reach Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """Debian's Chromium (or ``$ESCALSIM_CHROMIUM``); fails the test with a sentence if absent."""
    import pytest

    found = os.environ.get("ESCALSIM_CHROMIUM") or shutil.which("chromium")
    if not found:
        pytest.fail(
            "Chromium is missing: the test command's `scripts/setup.sh --browser` installs "
            "Debian's chromium (or set ESCALSIM_CHROMIUM)"
        )
    return found


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the system picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_served(url: str, proc: subprocess.Popen[Any], timeout: float) -> bool:
    """Whether the server ``proc`` started answers ``url`` with 200 before it ends or ``timeout``.

    Waits for the server to say it is ready (an answer), however loaded the machine, never for
    a fixed time; False when the process ends first or ``timeout`` seconds pass.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.3)
