"""Progress bars for long calls: on only in interactive use (a terminal or a Jupyter kernel),
never under pytest unless asked for, and never changing a result."""

from __future__ import annotations

import sys

import polars as pl

import aluna
from aluna import _progress


class _Terminal:
    """A standard error that says whether it is a terminal and keeps what is written."""

    def __init__(self, tty: bool = True) -> None:
        self.text = ""
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty

    def write(self, s: str) -> int:
        self.text += s
        return len(s)

    def flush(self) -> None:
        pass


def leave_pytest(monkeypatch) -> None:
    """Pretend no test runner is watching (the checks ``interactive`` makes). Called in the test
    body: pytest sets ``PYTEST_CURRENT_TEST`` afresh for each phase of a test."""
    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)
    monkeypatch.delitem(sys.modules, "pytest")


def test_quiet_by_default_under_pytest(capfd):
    assert _progress.interactive() is False
    assert list(_progress.progress(range(3), desc="work", enabled=None)) == [0, 1, 2]
    captured = capfd.readouterr()
    assert captured.out == ""
    assert captured.err == ""


def test_off_when_asked_even_in_a_terminal(monkeypatch):
    leave_pytest(monkeypatch)
    term = _Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    assert list(_progress.progress("abc", desc="work", enabled=False)) == ["a", "b", "c"]
    assert term.text == ""


def test_on_in_a_terminal_outside_pytest(monkeypatch):
    leave_pytest(monkeypatch)
    term = _Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    assert _progress.interactive() is True
    assert _progress.resolve(None) is True
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # the plain fallback, easy to read
    out = list(_progress.progress([10, 20], desc="work", enabled=None, label=str))
    assert out == [10, 20]
    assert term.text == "work: [1/2] 10\nwork: [2/2] 20\n"


def test_off_when_standard_error_is_not_a_terminal(monkeypatch):
    leave_pytest(monkeypatch)
    monkeypatch.setattr(sys, "stderr", _Terminal(tty=False))  # a file or a pipe
    assert _progress.interactive() is False


def test_on_in_a_jupyter_kernel(monkeypatch):
    leave_pytest(monkeypatch)
    monkeypatch.setattr(sys, "stderr", _Terminal(tty=False))  # a kernel's stream
    monkeypatch.setitem(sys.modules, "ipykernel", sys)  # any module object will do
    assert _progress.interactive() is True


def test_tqdm_bar_when_asked(capsys):
    out = list(_progress.progress(range(4), desc="linking", enabled=True, unit="block"))
    assert out == [0, 1, 2, 3]
    err = capsys.readouterr().err
    assert "linking" in err
    assert "block" in err


def test_unsized_items_are_counted_without_a_total(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    out = list(_progress.progress(iter("xy"), desc="w", enabled=True))
    assert out == ["x", "y"]
    assert capsys.readouterr().err == "w: [1]\nw: [2]\n"


def test_persistence_progress_does_not_change_the_result(capsys):
    part = pl.DataFrame(
        {
            "person_id": [1, 2, 3, 1, 2, 4, 4, 5],
            "case_id": [7, 7, 7, 8, 8, 8, 9, 9],
            "year": [2020, 2020, 2020, 2021, 2021, 2021, 2022, 2022],
        }
    )
    snaps = aluna.co_offending(part, time="year").snapshots(1)

    def by_case(g):
        return g.components().rename({"component": "community"})

    quiet = snaps.persistence(by_case)
    assert capsys.readouterr().err == ""
    shown = snaps.persistence(by_case, progress=True)
    err = capsys.readouterr().err
    assert "persistence" in err
    assert "window" in err
    assert shown.table.equals(quiet.table)
