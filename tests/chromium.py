"""How the browser tests and benchmarks start Debian's Chromium: one home for its flags.

Also the two helpers every served-app test and benchmark needs: where Chromium is
(:func:`chromium_path`) and a free port on this machine (:func:`free_port`).
"""

from __future__ import annotations

import os
import shutil
import socket

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
