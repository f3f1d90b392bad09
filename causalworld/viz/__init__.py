"""Figures for people: frame strips and animations of episodes, causal graphs, latents against truth.

The last stage of the loop: pictures of what a world showed, what an intervention or a
counterfactual changed, the graph behind it (true, learned, or a learner's equivalence class) and
how an experiment's model improved round by round. Everything draws on
``matplotlib.figure.Figure`` objects (no pyplot state, so any backend, Agg included) and saves with
``path=...``.
"""

from causalworld.viz.counterfactuals import counterfactual_strip
from causalworld.viz.frames import MissingFFmpegError, animate, find_ffmpeg, frame_strip
from causalworld.viz.graphs import draw_graph
from causalworld.viz.latents import latents_vs_truth
from causalworld.viz.layout import GraphLayout, edge_clearance, graph_layout
from causalworld.viz.rounds import plot_rounds

__all__ = [
    "frame_strip",
    "animate",
    "counterfactual_strip",
    "find_ffmpeg",
    "MissingFFmpegError",
    "draw_graph",
    "graph_layout",
    "edge_clearance",
    "GraphLayout",
    "latents_vs_truth",
    "plot_rounds",
]
