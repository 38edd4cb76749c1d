"""The batch driver: the model vectorised over replications (:mod:`escalsim.batch.engine`)."""

from escalsim.batch.engine import CHUNK, BatchRun, run_batch, twin_columns

__all__ = ["CHUNK", "BatchRun", "run_batch", "twin_columns"]
