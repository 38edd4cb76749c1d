"""The model's vocabulary: outcomes, causes, counters, message choices and the events frame.

Mesa-free on purpose: the ensembles, the CLI and every worker import these without paying for
mesa (about a second per process).
"""

from __future__ import annotations

import pandas as pd

#: Crisis outcomes. ``war``: the powers went to war and the run ended there (``war.ends_run``,
#: part 1's ending) or were still at war at the horizon (lasting wars); ``ceasefire``: a war
#: between the powers ended by an accepted offer; ``exchange``: a strategic nuclear exchange
#: (docs/pair-wars.md §3.4, §3.5). The last two occur only with ``war.ends_run: false``.
OUTCOMES = (
    "war",
    "settlement",
    "capitulation_a",
    "capitulation_b",
    "unresolved",
    "ceasefire",
    "exchange",
)
#: Causes of an escalation step in the event log.
CAUSES = ("deliberate", "miscalculated", "accident", "third_party")
#: Per-run counters behind the outcome metrics.
COUNTS = (
    "decisions",
    "miscalculations",
    "miscalculated_escalations",
    "perception_errors",
    "observations",
    "false_alarms",
    "messages_sent",
    "messages_delivered",
    "messages_misread",
    "agreements",
    "agreements_broken",
    "claims_checked",
    "claims_contradicted",
    "escalations",
    "deescalations",
)
#: What a player (``human`` policy) can say with a move: claim benign intent, warn, or nothing.
MESSAGE_CHOICES = ("reassure", "warn", "none")
#: Columns of the events frame, after ``condition`` and ``replication``.
EVENT_COLUMNS = ("round", "kind", "actor", "target", "channel", "move", "rung", "cause", "detail")


def typed_events(frame: pd.DataFrame) -> pd.DataFrame:
    """The events frame with stable dtypes whatever its content.

    Text columns become strings (a missing value reads "None") and ``rung`` a nullable
    integer, so frames concatenate and round-trip through parquet unchanged.
    """
    frame = frame.astype({c: "str" for c in EVENT_COLUMNS if c not in ("round", "rung")})
    frame["rung"] = frame["rung"].astype("Int64")
    return frame


__all__ = ["CAUSES", "COUNTS", "EVENT_COLUMNS", "MESSAGE_CHOICES", "OUTCOMES", "typed_events"]
