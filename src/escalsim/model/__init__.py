"""The escalation model, written once: the nine phases of a round over replications.

:mod:`escalsim.model.rounds` holds the rules (:class:`~escalsim.model.rounds.Crisis`),
:mod:`escalsim.model.constants` the vocabulary (outcomes, causes, counters, event columns).
Neither imports mesa; the mesa face is :mod:`escalsim.agents`, the ensembles :mod:`escalsim.batch`.
"""

from escalsim.model.constants import (
    CAUSES,
    COUNTS,
    EVENT_COLUMNS,
    MESSAGE_CHOICES,
    OUTCOMES,
    typed_events,
)
from escalsim.model.rounds import Crisis, Streams

__all__ = [
    "CAUSES",
    "COUNTS",
    "EVENT_COLUMNS",
    "MESSAGE_CHOICES",
    "OUTCOMES",
    "Crisis",
    "Streams",
    "typed_events",
]
