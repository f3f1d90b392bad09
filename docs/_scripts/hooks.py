"""The docs build's hook (``hooks:`` in ``mkdocs.yml``): every figure of the site is drawn here,
by the library, when the site builds, and handed to mkdocs as a generated file.

No figure is committed under ``docs/``: a page links ``img/name.png`` and this hook makes it from
the simulators (``world_figures``), the SCM core (``concept_figures``), the getting-started loop
(``start_figures``) and a small encoder run (``encoder_figures``). A committed image at a path
the hook makes fails the build, so a stale picture cannot hide behind a fresh one.

To add a figure: write a function returning ``{path under docs/: Figure}`` in the module for its
pages (or a new module whose makers join ``FIGURE_MAKERS``), and link the path from the page.
"""

from __future__ import annotations

import io
import logging
import re
import time

import matplotlib

matplotlib.use("Agg")

import torch  # noqa: E402
from mkdocs.exceptions import PluginError  # noqa: E402
from mkdocs.structure.files import File, Files  # noqa: E402

from concept_figures import CONCEPT_FIGURES  # noqa: E402
from encoder_figures import ENCODER_FIGURES  # noqa: E402
from start_figures import START_FIGURES  # noqa: E402
from world_figures import WORLD_FIGURES  # noqa: E402

log = logging.getLogger("mkdocs.hooks.causalworld")
DPI = 80
# each maker returns {path under docs/: Figure}
FIGURE_MAKERS = [*START_FIGURES.values(), *CONCEPT_FIGURES.values(), *WORLD_FIGURES.values(),
                 *ENCODER_FIGURES.values()]


# Sphinx roles in docstrings (":class:`~causalworld.SCM`") come out of mkdocstrings as a role name
# before the code; the reader wants the name alone, shortened where the role said "~".
SPHINX_ROLE = re.compile(r":(?:class|meth|func|data|attr|mod|exc|obj):<code>(~?)([\w.]+)</code>")


def render_figures() -> dict[str, bytes]:
    """``{path under docs/: PNG bytes}`` for every figure of the site, on one CPU thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the figures are small; one thread keeps the build's cost predictable
    try:
        out: dict[str, bytes] = {}
        for make in FIGURE_MAKERS:
            for path, fig in make().items():
                if path in out:
                    raise PluginError(f"two figure makers draw docs/{path}; give one of them another name")
                buf = io.BytesIO()
                fig.savefig(buf, format="png", dpi=DPI)
                out[path] = buf.getvalue()
        return out
    finally:
        torch.set_num_threads(threads)


def on_files(files: Files, config) -> Files:
    start = time.perf_counter()
    for path, png in render_figures().items():
        if files.get_file_from_path(path) is not None:
            raise PluginError(f"docs/{path} is committed, but the docs build draws it; delete the file "
                              f"(docs/_scripts/ makes every figure)")
        files.append(File.generated(config, path, content=png))
    log.info("causalworld: figures drawn in %.1f s", time.perf_counter() - start)
    return files


def on_page_content(html: str, page, config, files) -> str:
    return SPHINX_ROLE.sub(lambda m: f"<code>{m[2].rsplit('.', 1)[-1] if m[1] else m[2]}</code>", html)
