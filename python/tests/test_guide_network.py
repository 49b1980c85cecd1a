"""The user guide ``docs/network-analysis.md`` runs as written: its examples are doctests."""

from __future__ import annotations

import doctest
from pathlib import Path

import matplotlib

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "network-analysis.md"

matplotlib.use("Agg")


def test_network_analysis_guide_runs_as_written():
    result = doctest.testfile(
        str(GUIDE),
        module_relative=False,
        optionflags=doctest.ELLIPSIS,
        verbose=False,
        raise_on_error=False,
    )
    assert result.attempted > 20
    assert result.failed == 0
