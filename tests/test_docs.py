"""The Python examples in README.md and docs/ run as written, and the docs site builds."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from conftest import has_cjk_font
from kamseg.errors import KamsegWarning

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
# inline links and images: [text](target) and ![alt](target); the target up to a space or ")"
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def _name(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_python_examples_run(page, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # files the examples write land in a temporary folder
    blocks = _BLOCK.findall(page.read_text(encoding="utf-8"))
    if not has_cjk_font():  # a fresh machine: Chinese plots draw boxes, and say so once
        warnings.filterwarnings(
            "ignore", message=".*no installed font has Chinese glyphs", category=KamsegWarning
        )
    namespace: dict[str, object] = {}
    for block in blocks:  # blocks of one page share a namespace, as in a notebook
        exec(compile(block, str(page), "exec"), namespace)


def _local_links(page: Path) -> list[str]:
    """Relative link targets of `page`, without their #anchor; web and mail links skipped."""
    text = _BLOCK.sub("", page.read_text(encoding="utf-8"))
    targets = [t.split("#", 1)[0] for t in _LINK.findall(text)]
    return [t for t in targets if t and ":" not in t]


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_pages_link_to_existing_files(page):
    for target in _local_links(page):
        assert (page.parent / target).exists(), f"{_name(page)} links to missing {target}"


@pytest.mark.parametrize("page", [p for p in PAGES if p.is_relative_to(DOCS)], ids=_name)
def test_docs_link_only_inside_docs(page):
    # the site is built from docs/ alone: a link to ../README.md or ../examples is broken there
    for target in _local_links(page):
        resolved = (page.parent / target).resolve()
        assert resolved.is_relative_to(DOCS), f"{_name(page)} links outside docs/: {target}"


def test_mkdocs_build_strict(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    pytest.importorskip("mkdocstrings_handlers.python")
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    assert (site / "index.html").is_file()
    # mkdocstrings rendered the API pages from the docstrings
    api = (site / "api" / "rfm" / "index.html").read_text(encoding="utf-8")
    assert 'id="kamseg.rfm.rfm_scores"' in api
