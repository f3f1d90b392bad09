"""Figures for people: frame strips and animations of episodes, and causal graphs.

The last stage of the loop in ``DESIGN.md``: pictures of what a world showed, what an
intervention or a counterfactual changed, and the graph behind it. Everything draws on
``matplotlib.figure.Figure`` objects (no pyplot state) and saves with ``path=...``.
"""

from causalworld.viz.frames import animate, frame_strip
from causalworld.viz.graphs import draw_graph

__all__ = ["frame_strip", "animate", "draw_graph"]
