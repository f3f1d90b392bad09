"""Every ```python block of the docs parses, and every causalworld or interventions name it uses exists.

The getting-started pages are run in full (``test_getting_started.py``); the other pages' blocks
would cost minutes to run, so here they are parsed and their names looked up in the library: a
renamed function or a removed import fails here instead of on a reader's screen.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
OURS = ("causalworld", "interventions")
PAGES = sorted(p for p in DOCS.rglob("*.md") if "_scripts" not in p.parts)


def source(block: str) -> str:
    """The code of a block; of a console transcript (``>>>`` prompts), the prompted lines only."""
    lines = block.splitlines()
    if not any(line.startswith(">>>") for line in lines):
        return block
    return "\n".join(line[4:] for line in lines if line.startswith((">>> ", "... ")) or line in (">>>", "..."))


def blocks(page: Path) -> list[str]:
    return [source(b) for b in BLOCK.findall(page.read_text())]


def names_used(tree: ast.AST) -> list[tuple[str, str]]:
    """``(module, name)`` for ``from ours import name`` and ``alias.name`` where ``alias`` is an
    ``import ours as alias`` (``cw.make``, ``gcm.SCM``)."""
    aliases: dict[str, str] = {}
    used: list[tuple[str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] in OURS:
                    aliases[a.asname or a.name] = a.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in OURS:
            used += [(node.module, a.name) for a in node.names]
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            used.append((aliases[node.value.id], node.attr))
    return used


def test_the_docs_have_python_blocks():
    assert sum(len(blocks(p)) for p in PAGES) >= 20


def test_a_console_transcript_is_read_as_its_prompted_lines():
    assert source('>>> import causalworld as cw\n>>> cw.mkae(\n...     "lights")\nTraceback ...\n') == (
        'import causalworld as cw\ncw.mkae(\n    "lights")')


def test_a_misspelt_name_is_caught():
    tree = ast.parse("import causalworld as cw\nfrom interventions import Experimnt\ncw.mkae('lights')")
    used = names_used(tree)
    assert ("interventions", "Experimnt") in used and ("causalworld", "mkae") in used


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_blocks_parse_and_name_what_exists(page):
    for i, block in enumerate(blocks(page)):
        tree = ast.parse(block, filename=f"{page.name} block {i + 1}")
        for module, name in names_used(tree):
            assert hasattr(importlib.import_module(module), name), (
                f"{page.relative_to(DOCS)} block {i + 1} uses {module}.{name}, which does not exist")
