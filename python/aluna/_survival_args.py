"""The survival argument vocabulary, read in one place.

Every survival function and model in aluna takes the same keyword-only arguments:
``duration`` (end of follow-up, or the stop of a ``(start, stop]`` interval), ``event``
(0 = censored; 1, 2, ... = the cause), ``entry`` (the start of the interval: delayed entry,
time-varying covariates, time at risk in the community), ``id`` (the person, for recurrent
events and cluster-robust errors), ``weights``, and ``group`` or ``strata``. This module
checks the names and builds the model frame; the values are validated by the Rust core
(``aluna_stats::survival::SurvivalData``), whose errors name your column and your row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from aluna import _design
from aluna._interop import arrow_table
from aluna.exceptions import ArgumentError


@dataclass(frozen=True)
class SurvivalArgs:
    """The survival columns of one call, by the user's names."""

    duration: str
    event: str
    entry: str | None = None
    weights: str | None = None
    strata: str | None = None
    id: str | None = None
    cluster: str | None = None

    def columns(self) -> list[str]:
        named = [self.duration, self.event, self.entry, self.weights, self.strata, self.id]
        named.append(self.cluster)
        return list(dict.fromkeys(c for c in named if c is not None))


def _name(value: Any, argument: str, *, required: bool) -> str | None:
    if value is None:
        if required:
            raise ArgumentError(f"{argument}: a column name is required")
        return None
    if not isinstance(value, str):
        raise ArgumentError(f"{argument}: expected a column name, got {type(value).__name__}")
    return value


def survival_args(
    *,
    duration: Any,
    event: Any,
    entry: Any = None,
    weights: Any = None,
    strata: Any = None,
    id: Any = None,
    cluster: Any = None,
) -> SurvivalArgs:
    """Check that each argument is a column name (or None where optional)."""
    return SurvivalArgs(
        duration=_name(duration, "duration", required=True),  # type: ignore[arg-type]
        event=_name(event, "event", required=True),  # type: ignore[arg-type]
        entry=_name(entry, "entry", required=False),
        weights=_name(weights, "weights", required=False),
        strata=_name(strata, "strata", required=False),
        id=_name(id, "id", required=False),
        cluster=_name(cluster, "cluster", required=False),
    )


def as_frame(df: Any, *, what: str) -> pl.DataFrame:
    """Any Arrow-speaking table as a polars DataFrame."""
    if isinstance(df, pl.DataFrame):
        return df
    return pl.DataFrame(arrow_table(df, what=what))


def model_frame(
    df: Any,
    args: SurvivalArgs,
    covariates: Sequence[Any] = (),
    *,
    missing: _design.Missing,
    what: str,
) -> tuple[_design.Design, pl.DataFrame]:
    """Build the design and the model frame (model columns, survival columns, row numbers)."""
    frame = as_frame(df, what=what)
    return _design.build(frame, covariates, missing=missing, required=args.columns(), what=what)
