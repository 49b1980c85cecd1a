"""The user guide in ``docs/guide/`` runs as written: its examples are doctests."""

from __future__ import annotations

import doctest
from pathlib import Path

import matplotlib
import pytest

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guide"
PAGES = sorted(p for p in GUIDE.glob("*.md") if p.name != "README.md")

matplotlib.use("Agg")


def test_every_story_page_is_checked():
    assert {p.stem for p in PAGES} >= {
        "network-report",
        "reoffending-risk",
        "revictimisation",
        "linking-agencies",
        "programme-evaluation",
    }


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_guide_page_runs_as_written(page):
    result = doctest.testfile(
        str(page),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        verbose=False,
        raise_on_error=False,
    )
    assert result.attempted >= 5, f"{page.name}: only {result.attempted} examples"
    assert result.failed == 0, f"{page.name}: {result.failed} of {result.attempted} failed"


def test_the_index_links_every_page():
    index = (GUIDE / "README.md").read_text(encoding="utf-8")
    for page in PAGES:
        assert f"({page.name})" in index, page.name
