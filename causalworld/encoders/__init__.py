"""From pixels to causal variables: a video encoder that predicts in representation space.

``VideoEncoder`` maps frames to latents, trained JEPA-style (a context encoder, an EMA target
encoder and an intervention-conditioned predictor; no pixel reconstruction), with latents named
after the variables an agent set. ``enc.latents(episodes)`` is what the learners read.
"""

from causalworld.encoders.encoder import VideoEncoder

__all__ = ["VideoEncoder"]
