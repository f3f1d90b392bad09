"""Figures for people: frame strips and animations of episodes, causal graphs, latents against truth.

The last stage of the loop: pictures of what a world showed, what an
intervention or a counterfactual changed, and the graph behind it. Everything draws on
``matplotlib.figure.Figure`` objects (no pyplot state) and saves with ``path=...``.
"""

from causalworld.viz.frames import animate, frame_strip
from causalworld.viz.graphs import draw_graph
from causalworld.viz.latents import latents_vs_truth

__all__ = ["frame_strip", "animate", "draw_graph", "latents_vs_truth"]
