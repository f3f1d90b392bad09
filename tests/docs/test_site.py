"""The documentation site builds in strict mode, and what it shows is what the code makes.

One ``mkdocs build --strict`` (warnings fail: a broken link, a nav entry without a page, a
docstring mkdocstrings cannot parse) into a temporary folder; then the built site is checked
against the library: every figure was drawn by the build (none is committed), every image a page
shows exists, every registered World has a page with its graph and frames, and every public name
of the documented packages has an entry in the API reference.
"""

from __future__ import annotations

import html
import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

import causalworld as cw

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}
API_PAGES = {
    "causalworld.scm": "api/causalworld.scm",
    "causalworld.discovery": "api/causalworld.discovery",
    "causalworld.encoders": "api/causalworld.encoders",
    "causalworld.envs": "api/causalworld.envs",
    "causalworld.viz": "api/causalworld.viz",
    "causalworld.errors": "api/causalworld.errors",
    "causalworld.episodes": "api/causalworld.episodes",
    "causalworld.metrics": "api/causalworld.metrics",
    "causalworld.datasets": "api/causalworld.datasets",
    "interventions": "api/interventions",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout[-4000:]}\n{done.stderr[-8000:]}"
    return out


def page(site: Path, path: str) -> str:
    return (site / path / "index.html").read_text()


def images_of(text: str) -> list[str]:
    return [html.unescape(src) for src in re.findall(r'<img[^>]*\ssrc="([^"]+)"', text)]


def test_no_figure_is_committed_under_docs():
    found = [p.relative_to(ROOT) for p in DOCS.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES]
    assert not found, f"figures are drawn by the docs build (docs/_scripts/); delete {found}"


def test_every_image_a_page_shows_was_drawn_by_the_build(site):
    shown = 0
    for html_file in site.rglob("*.html"):
        for src in images_of(html_file.read_text()):
            if src.startswith(("http:", "https:", "data:")):
                continue
            target = (html_file.parent / src).resolve()
            assert target.is_file(), f"{html_file.relative_to(site)} shows {src}, which the build did not make"
            with Image.open(target) as im:
                pixels = np.asarray(im.convert("RGB"), dtype=float)
            # a real picture: not blank, not a sliver
            assert min(pixels.shape[:2]) >= 100 and pixels.std() > 10, f"{src} looks empty"
            shown += 1
    assert shown >= 20


def test_every_world_has_a_page_with_its_graph_and_frames(site):
    worlds = cw.list_worlds()
    assert worlds
    for world_id in worlds:
        name = world_id.split("-v")[0]
        shown = {Path(src).name for src in images_of(page(site, f"worlds/{name}"))}
        assert {f"{name}_graph.png", f"{name}_strip.png"} <= shown, f"worlds/{name}.md shows {sorted(shown)}"


def test_api_reference_has_every_public_name(site):
    for module, path in API_PAGES.items():
        text = page(site, path)
        public = importlib.import_module(module).__all__
        missing = [name for name in public if f'id="{module}.{name}"' not in text]
        assert not missing, f"{path} lacks {missing} of {module}.__all__"
        # Sphinx roles in docstrings are shown as the name alone, not as ":class:`~...`"
        assert not re.search(r":(class|meth|func|data|attr|mod|exc):<code>", text), f"{path} shows a raw Sphinx role"


def test_top_level_page_names_every_name_of_the_short_api(site):
    text = page(site, "api/causalworld")
    names = [n for n in cw.__all__ if n != "__version__"] + sorted(cw._LAZY)
    missing = [n for n in names if f"<code>{n}</code>" not in text]
    assert not missing, f"api/causalworld.md does not name {missing} (import causalworld as cw gives them)"


def test_every_page_is_in_the_nav():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())

    def pages(node):
        if isinstance(node, str):
            yield node
        elif isinstance(node, list):
            for item in node:
                yield from pages(item)
        elif isinstance(node, dict):
            for item in node.values():
                yield from pages(item)

    in_nav = set(pages(config["nav"]))
    on_disk = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md") if "_scripts" not in p.parts}
    assert on_disk - in_nav == set(), f"pages not in the nav of mkdocs.yml: {sorted(on_disk - in_nav)}"
    assert in_nav - on_disk == set(), f"nav entries without a page: {sorted(in_nav - on_disk)}"
