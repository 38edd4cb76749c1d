"""How the browser tests and benchmarks start Debian's Chromium: one home for its flags."""

from __future__ import annotations

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
