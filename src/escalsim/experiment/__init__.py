"""Experiments: conditions with common random numbers, statistics, results and their storage."""
