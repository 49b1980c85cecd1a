"""The `aluna` command: the main job and the graph summary."""

from __future__ import annotations

import json

import polars as pl
from aluna.cli import main


def test_demo_writes_summary(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "case-links-summary.json").read_text())
    truth = pl.read_parquet(__import__("aluna").datasets.directory() / "case_links_truth.parquet")
    assert summary["nodes"] <= truth.height
    assert summary["edges"] > 0
    assert "synthetic" in capsys.readouterr().out


def test_summary_of_a_csv(tmp_path, capsys):
    path = tmp_path / "links.csv"
    pl.DataFrame({"a": ["x", "y", "z"], "b": ["y", "z", "x"]}).write_csv(path)
    assert main(["summary", str(path), "--source", "a", "--target", "b"]) == 0
    out = capsys.readouterr().out
    assert "nodes:             3" in out


def test_bad_input_is_a_clean_error(tmp_path, capsys):
    path = tmp_path / "links.csv"
    pl.DataFrame({"a": ["x"], "b": ["y"]}).write_csv(path)
    assert main(["summary", str(path)]) == 2
    assert "column `source` not found" in capsys.readouterr().err
