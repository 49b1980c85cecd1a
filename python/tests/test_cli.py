"""The `aluna` command: the main job and the graph summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import polars as pl
import pytest

import aluna
from aluna.cli import main
from aluna.exceptions import IdentifierWarning


def test_demo_writes_summary_and_report(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--quiet"]) == 0
    summary = json.loads((tmp_path / "case-links-summary.json").read_text())
    truth = aluna.datasets.load("case_links").truth["persons"]
    assert summary["nodes"] <= truth.height
    assert summary["edges"] > 0
    roles = dict(aluna.datasets.load("case_links").tables["persons"].iter_rows())
    ranked = [node for node, _degree in summary["top_degree"]]
    assert len(ranked) == 10
    assert all(roles[node] != "victim" for node in ranked)  # victims are never ranked
    out = capsys.readouterr().out
    assert "synthetic" in out
    report = tmp_path / "case-link-report.html"
    assert f"report: {report.resolve()}" in out
    html = report.read_text(encoding="utf-8")
    assert "PUBLISHABLE" in html
    assert "SYNTHETIC DATA" in html


def test_report_from_records(tmp_path, capsys):
    records = aluna.datasets.directory() / "case_links.records.parquet"
    out = tmp_path / "deep" / "report.html"
    code = main(["report", "--records", str(records), "--out", str(out), "--k", "3", "--quiet"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "network report (publishable, synthetic data)" in printed
    assert "omitted: Disruption" in printed or "12 of 12 sections" in printed
    assert out.exists()
    assert "removing 3 key players" in out.read_text(encoding="utf-8")


def test_restricted_report_with_a_key_from_the_environment(tmp_path, capsys):
    records = aluna.datasets.directory() / "case_links.records.parquet"
    out = tmp_path / "restricted.html"
    argv = ["report", "--records", str(records), "--out", str(out), "--mode", "restricted"]
    assert main([*argv, "--key-env", "ALUNA_TEST_KEY", "--quiet"]) == 0
    html = out.read_text(encoding="utf-8")
    assert "RESTRICTED" in html
    assert "person:" in html
    assert os.environ["ALUNA_TEST_KEY"] not in html


def test_report_needs_an_input(capsys):
    assert main(["report", "--out", "x.html"]) == 2
    assert "give --records FILE" in capsys.readouterr().err


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


PHONES = ["+44 20 7946 0018", "+44 20 7946 0019", "+44 20 7946 0020"]
NAMES = ["Anna Kowalska", "Jan de Vries", "Maria Garcia"]


def _identifying_links(tmp_path):
    path = tmp_path / "links.csv"
    pl.DataFrame(
        {
            "source": ["p1", "p2", "p3"],
            "target": ["p2", "p3", "p1"],
            "caller_phone": PHONES,
            "nombre": NAMES,
        }
    ).write_csv(path)
    return path


def test_summary_warns_about_identifier_columns_by_name_only(tmp_path, capsys):
    path = _identifying_links(tmp_path)
    with pytest.warns(IdentifierWarning) as seen:
        assert main(["summary", str(path)]) == 0
    message = str(seen[0].message)
    assert message.startswith("links.csv has columns that look like direct identifiers")
    assert "'caller_phone' (phone" in message
    assert "'nombre' (person_name" in message
    printed = capsys.readouterr()
    for value in [*PHONES, *NAMES, "7946", "Kowalska"]:
        assert value not in message
        assert value not in printed.out + printed.err


def test_summary_command_shows_the_warning_without_values(tmp_path):
    path = _identifying_links(tmp_path)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from aluna.cli import main; sys.exit(main())",
            "summary",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONWARNINGS": "default"},
    )
    assert "IdentifierWarning" in done.stderr
    assert "'caller_phone'" in done.stderr
    assert "nodes:             3" in done.stdout
    for value in [*PHONES, *NAMES, "7946", "Kowalska"]:
        assert value not in done.stdout + done.stderr
