"""The experimenter: intervention values, policies and the ``Experiment`` loop (see ROADMAP.md).

It stands on :mod:`causalworld` and is filled in by the experimenter issue.
"""

__all__: list[str] = []
