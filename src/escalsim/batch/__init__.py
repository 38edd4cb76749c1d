"""The batch driver: the model vectorised over replications (:mod:`escalsim.batch.engine`).

:mod:`escalsim.batch.shares` says what each power got out of a run (its realised share of the
stakes).
"""

from escalsim.allocator import keep_freed_memory
from escalsim.batch.engine import CHUNK, BatchRun, run_batch, twin_columns
from escalsim.batch.shares import SHARE_COLUMNS, drawn_war_costs, realised_shares, run_shares

__all__ = [
    "CHUNK",
    "SHARE_COLUMNS",
    "BatchRun",
    "drawn_war_costs",
    "keep_freed_memory",
    "realised_shares",
    "run_batch",
    "run_shares",
    "twin_columns",
]
