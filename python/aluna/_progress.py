"""Progress for long Python-side loops: a tqdm bar when tqdm is installed, else one line per
step on standard error.

``progress=None`` (the default of the public functions that take it) means *only in
interactive use*: on when standard error is a terminal or the code runs in a Jupyter kernel,
and never under pytest (tests, doctests and notebooks executed by ``make test`` stay quiet).
``True`` and ``False`` force it on or off.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sized
from typing import Any, TypeVar

T = TypeVar("T")


def _in_jupyter() -> bool:
    """Whether the code runs in an IPython kernel (a notebook, JupyterLab, VS Code)."""
    return "ipykernel" in sys.modules


def interactive() -> bool:
    """Whether progress should show when the caller did not say: a person is watching (a
    terminal on standard error, or a Jupyter kernel) and no test runner is."""
    if "PYTEST_CURRENT_TEST" in os.environ or "pytest" in sys.modules:
        return False
    try:
        tty = sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError):
        tty = False
    return tty or _in_jupyter()


def resolve(progress: bool | None) -> bool:
    """``progress`` resolved: ``None`` means :func:`interactive`."""
    return interactive() if progress is None else bool(progress)


def progress(
    items: Iterable[T],
    *,
    desc: str,
    enabled: bool | None,
    label: Callable[[T], str] | None = None,
    unit: str = "step",
) -> Iterator[T]:
    """Yield ``items``, showing progress when ``enabled`` (``None``: :func:`interactive`).

    ``label(item)`` names the step in progress (a section's title, a window's start).
    """
    if not resolve(enabled):
        yield from items
        return
    total = len(items) if isinstance(items, Sized) else None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        for i, item in enumerate(items, 1):
            name = f" {label(item)}" if label is not None else ""
            of = f"/{total}" if total is not None else ""
            print(f"{desc}: [{i}{of}]{name}", file=sys.stderr, flush=True)
            yield item
        return
    bar: Any = tqdm(items, desc=desc, unit=unit, total=total, leave=False)
    for item in bar:
        if label is not None:
            bar.set_postfix_str(label(item))
        yield item
