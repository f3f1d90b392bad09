"""``python -m causalworld``: the ``causalworld`` command (see :mod:`causalworld.cli`)."""

from causalworld.cli import main

if __name__ == "__main__":
    main()
