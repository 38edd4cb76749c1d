"""Figures for Monte Carlo results: fan charts, war survival, forest plots, channels, causes.

The functions live in :mod:`escalsim.viz.figures`; each returns a :class:`matplotlib.figure.Figure`
built with the object-oriented API on the Agg canvas (no pyplot state), and
:func:`escalsim.viz.figures.save_figure` writes one to a PNG atomically. Importing this package
imports nothing.
"""
