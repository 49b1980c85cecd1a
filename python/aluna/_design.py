"""The one design-matrix layer: covariates in the user's words to numeric model columns.

Every model in aluna reads its covariates through :func:`build`: numeric columns as they are,
categorical columns as indicator columns against a reference level, interactions as products,
restricted (natural) cubic splines; and one missing-data policy (``missing="error"`` or
``"drop"``) whose dropped rows are counted, never hidden. The fitted :class:`Design` remembers
levels and knots, so new data (``predict_*``) is encoded exactly as the training data was.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl

from aluna.exceptions import (
    AlunaWarning,
    ArgumentError,
    BadValueError,
    ColumnError,
    SingularError,
)

__all__ = [
    "Categorical",
    "Design",
    "EventsPerVariableWarning",
    "Interaction",
    "Missing",
    "Numeric",
    "Spline",
    "build",
    "categorical",
    "interaction",
    "spline",
]

Missing = Literal["error", "drop"]
ROW = "__aluna_row"


class EventsPerVariableWarning(AlunaWarning):
    """Too few events per model column for stable estimates."""


@dataclass(frozen=True)
class Numeric:
    """A numeric covariate used as it is (booleans become 0/1)."""

    column: str


@dataclass(frozen=True)
class Categorical:
    """A categorical covariate: one indicator column per level except the reference.

    ``reference=None`` takes the first level in sorted order (R's and patsy's habit).
    """

    column: str
    reference: Any = None


@dataclass(frozen=True)
class Spline:
    """A restricted (natural) cubic spline of a numeric covariate.

    ``knots`` is the number of knots (placed at Harrell's quantiles) or their positions. The
    basis has ``len(knots) - 1`` columns: the covariate itself, then ``len(knots) - 2``
    nonlinear terms, linear beyond the outer knots.
    """

    column: str
    knots: int | tuple[float, ...] = 4


@dataclass(frozen=True)
class Interaction:
    """The product of two or more covariates (every pair of their model columns)."""

    terms: tuple[Numeric | Categorical | Spline, ...]


Term = Numeric | Categorical | Spline | Interaction


def categorical(column: str, *, reference: Any = None) -> Categorical:
    """Treat ``column`` as categorical, with ``reference`` as the baseline level.

    Examples
    --------
    >>> categorical("race", reference="white")
    Categorical(column='race', reference='white')
    """
    return Categorical(column, reference)


def spline(column: str, *, knots: int | Sequence[float] = 4) -> Spline:
    """A restricted cubic spline of ``column`` (Harrell's ``rcs``), linear in the tails.

    Examples
    --------
    >>> spline("age", knots=3)
    Spline(column='age', knots=3)
    """
    k = knots if isinstance(knots, int) else tuple(float(v) for v in knots)
    return Spline(column, k)


def interaction(*terms: str | Numeric | Categorical | Spline) -> Interaction:
    """The interaction of two or more covariates; ``"a:b"`` in a covariate list is the same.

    Examples
    --------
    >>> interaction("fin", "age")
    Interaction(terms=(Numeric(column='fin'), Numeric(column='age')))
    """
    parts = tuple(Numeric(t) if isinstance(t, str) else t for t in terms)
    if len(parts) < 2:
        raise ArgumentError("interaction: needs at least two covariates")
    return Interaction(parts)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- fitted pieces


@dataclass(frozen=True)
class _Encoded:
    """A term resolved against the training data: its columns, levels or knots."""

    term: Term
    name: str
    columns: tuple[str, ...]
    levels: tuple[Any, ...] = ()
    knots: tuple[float, ...] = ()
    parts: tuple[_Encoded, ...] = ()


@dataclass(frozen=True)
class Design:
    """A fitted design: how covariates became model columns, and what the policy dropped.

    Attributes
    ----------
    names
        The model columns, in order (what ``.summary`` calls ``term``).
    terms
        For each covariate term, the indices of its model columns.
    rows_used, rows_dropped
        Rows that entered the model, rows the missing-data policy removed.
    """

    encoded: tuple[_Encoded, ...]
    names: tuple[str, ...]
    terms: tuple[tuple[str, tuple[int, ...]], ...]
    source_columns: tuple[str, ...]
    missing: Missing
    rows_used: int
    rows_dropped: int
    extra: dict[str, str] = field(default_factory=dict)

    def transform(self, df: pl.DataFrame, *, what: str) -> pl.DataFrame:
        """The model columns for new rows, encoded as in training (no rows may be missing)."""
        for c in self.source_columns:
            if c not in df.columns:
                raise ColumnError(
                    f"{what}: column `{c}` not found; the table has: {', '.join(df.columns)}"
                )
        _check_missing(df, self.source_columns, what=what)
        cols: dict[str, pl.Series] = {}
        for enc in self.encoded:
            cols.update(_materialise(enc, df, what=what))
        return pl.DataFrame([cols[n] for n in self.names]) if self.names else pl.DataFrame()


def _as_term(spec: Any, df: pl.DataFrame) -> Term:
    if isinstance(spec, (Numeric, Categorical, Spline, Interaction)):
        return spec
    if isinstance(spec, str):
        if ":" in spec:
            return interaction(*[_as_term(p.strip(), df) for p in spec.split(":")])  # type: ignore[arg-type]
        if spec not in df.columns:
            raise ColumnError(
                f"covariate `{spec}` not found; the table has: {', '.join(df.columns)}"
            )
        dtype = df.get_column(spec).dtype
        if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
            return Categorical(spec)
        if dtype.is_numeric() or dtype == pl.Boolean:
            return Numeric(spec)
        raise ColumnError(
            f"covariate `{spec}`: expected numbers, booleans or categories, found {dtype}"
        )
    raise ArgumentError(
        f"covariates: expected column names, categorical(), spline() or interaction(), got {spec!r}"
    )


def _sources(term: Term) -> list[str]:
    if isinstance(term, Interaction):
        return [c for t in term.terms for c in _sources(t)]
    return [term.column]


def _sort_key(v: Any) -> tuple[int, Any]:
    return (0, v) if isinstance(v, (int, float, bool)) else (1, str(v))


def _rcs_knots(x: np.ndarray, k: int, column: str) -> tuple[float, ...]:
    """Harrell's default knot quantiles for k knots (rms::rcspline.eval)."""
    table = {
        3: (0.10, 0.5, 0.90),
        4: (0.05, 0.35, 0.65, 0.95),
        5: (0.05, 0.275, 0.5, 0.725, 0.95),
        6: (0.05, 0.23, 0.41, 0.59, 0.77, 0.95),
        7: (0.025, 0.1833, 0.3417, 0.5, 0.6583, 0.8167, 0.975),
    }
    if k not in table:
        raise ArgumentError(f"spline(`{column}`): knots must be 3 to 7, or positions; got {k}")
    knots = tuple(float(v) for v in np.quantile(x, table[k]))
    if len(set(knots)) < k:
        raise SingularError(
            f"spline(`{column}`): the {k} knots are not distinct ({knots}); "
            f"use fewer knots or give their positions"
        )
    return knots


def _rcs_basis(x: np.ndarray, knots: Sequence[float]) -> list[np.ndarray]:
    """Restricted cubic spline basis (Harrell 2015, eq. 2.25), scaled by (t_k - t_1)^2."""
    t = np.asarray(knots, dtype=float)
    k = len(t)
    norm = (t[-1] - t[0]) ** 2
    out = [x.astype(float)]
    for j in range(k - 2):
        term = (
            np.maximum(x - t[j], 0) ** 3
            - np.maximum(x - t[k - 2], 0) ** 3 * (t[k - 1] - t[j]) / (t[k - 1] - t[k - 2])
            + np.maximum(x - t[k - 1], 0) ** 3 * (t[k - 2] - t[j]) / (t[k - 1] - t[k - 2])
        )
        out.append(term / norm)
    return out


def _encode(term: Term, df: pl.DataFrame) -> _Encoded:
    if isinstance(term, Numeric):
        dtype = df.get_column(term.column).dtype
        if not (dtype.is_numeric() or dtype == pl.Boolean):
            raise ColumnError(
                f"covariate `{term.column}`: expected numbers, found {dtype}; "
                f"use categorical({term.column!r}) for categories"
            )
        return _Encoded(term, term.column, (term.column,))
    if isinstance(term, Categorical):
        values = df.get_column(term.column)
        levels = sorted(values.unique().to_list(), key=_sort_key)
        reference = levels[0] if term.reference is None else term.reference
        if reference not in levels:
            raise ArgumentError(
                f"categorical(`{term.column}`): reference level {reference!r} does not occur; "
                f"levels are {levels}"
            )
        if len(levels) < 2:
            raise SingularError(
                f"covariate `{term.column}` is constant (only level {levels[0]!r}); drop it"
            )
        others = tuple(v for v in levels if v != reference)
        cols = tuple(f"{term.column}[{v}]" for v in others)
        return _Encoded(term, term.column, cols, levels=(reference, *others))
    if isinstance(term, Spline):
        x = df.get_column(term.column).cast(pl.Float64).to_numpy()
        if isinstance(term.knots, int):
            knots = _rcs_knots(x, term.knots, term.column)
        else:
            knots = tuple(sorted(term.knots))
            if len(knots) < 3 or len(set(knots)) < len(knots):
                raise ArgumentError(
                    f"spline(`{term.column}`): needs at least 3 distinct knots, got {knots}"
                )
        cols = (term.column, *(f"{term.column}[rcs{j}]" for j in range(1, len(knots) - 1)))
        return _Encoded(term, f"spline({term.column})", cols, knots=knots)
    parts = tuple(_encode(t, df) for t in term.terms)
    cols: list[str] = [""]
    for p in parts:
        cols = [f"{a}:{b}" if a else b for a in cols for b in p.columns]
    name = ":".join(p.name for p in parts)
    return _Encoded(term, name, tuple(cols), parts=parts)


def _materialise(enc: _Encoded, df: pl.DataFrame, *, what: str) -> dict[str, pl.Series]:
    term = enc.term
    if isinstance(term, Numeric):
        name = enc.columns[0]
        return {name: df.get_column(term.column).cast(pl.Float64).alias(name)}
    if isinstance(term, Categorical):
        values = df.get_column(term.column)
        known = set(enc.levels)
        unknown = [v for v in values.unique().to_list() if v not in known]
        if unknown:
            raise BadValueError(
                f"{what}: column `{term.column}` has level {unknown[0]!r} not seen in fitting; "
                f"known levels are {list(enc.levels)}"
            )
        return {
            c: (values == lvl).cast(pl.Float64).alias(c)
            for c, lvl in zip(enc.columns, enc.levels[1:], strict=True)
        }
    if isinstance(term, Spline):
        x = df.get_column(term.column).cast(pl.Float64).to_numpy()
        return {
            c: pl.Series(c, b) for c, b in zip(enc.columns, _rcs_basis(x, enc.knots), strict=True)
        }
    out: dict[str, pl.Series] = {"": pl.Series("", [1.0] * df.height)}
    for part in enc.parts:
        cols = _materialise(part, df, what=what)
        out = {
            (f"{a}:{b}" if a else b): (va * vb).alias(f"{a}:{b}" if a else b)
            for a, va in out.items()
            for b, vb in cols.items()
        }
    return out


def _null_mask(df: pl.DataFrame, columns: Sequence[str]) -> pl.Series:
    exprs = []
    for c in columns:
        e = pl.col(c).is_null()
        if df.get_column(c).dtype.is_float():
            e = e | pl.col(c).is_nan()
        exprs.append(e)
    if not exprs:
        return pl.Series([False] * df.height)
    return df.select(pl.any_horizontal(exprs)).to_series()


def _check_missing(df: pl.DataFrame, columns: Sequence[str], *, what: str) -> None:
    # Null counts are stored; NaN is looked for in every float column at once (one polars
    # query, run in parallel), and only flagged columns are examined row by row.
    flagged = {c for c in columns if df.get_column(c).null_count()}
    floats = [c for c in columns if df.get_column(c).dtype.is_float()]
    if floats:
        has_nan = df.select([pl.col(c).is_nan().any().alias(c) for c in floats]).row(0)
        flagged.update(c for c, bad in zip(floats, has_nan, strict=True) if bad)
    for c in columns:
        if c not in flagged:
            continue
        col = df.get_column(c)
        has_nan = col.dtype.is_float() and bool(col.is_nan().any())
        bad = col.is_null()
        if has_nan:
            bad = bad | col.is_nan()
        if bad.any():
            row = int(bad.arg_true()[0])
            found = "null" if col[row] is None else "NaN"
            raise BadValueError(
                f"{what}: column `{c}`, row {row}: {found} where a value is required; "
                f'pass missing="drop" to leave such rows out (they are counted)'
            )


def build(
    df: pl.DataFrame,
    covariates: Sequence[Any],
    *,
    missing: Missing = "error",
    required: Sequence[str] = (),
    what: str = "model",
) -> tuple[Design, pl.DataFrame]:
    """Encode ``covariates`` of ``df`` into model columns.

    Returns the fitted :class:`Design` and the model frame: the model columns, then the
    ``required`` columns (outcome, duration, weights, ...) and, when rows were dropped, a
    ``__aluna_row`` column holding each kept row's original number (so errors name the row the
    user sees; pass :func:`row_number` of the design to the native call).
    """
    if missing not in ("error", "drop"):
        raise ArgumentError(f'missing: expected "error" or "drop", got {missing!r}')
    if isinstance(covariates, (str, bytes)):
        raise ArgumentError(
            f"covariates: expected a list of columns, got the string {covariates!r}"
        )
    terms = [_as_term(c, df) for c in covariates]
    sources: list[str] = []
    for t in terms:
        for c in _sources(t):
            if c not in df.columns:
                raise ColumnError(
                    f"covariate `{c}` not found; the table has: {', '.join(df.columns)}"
                )
            if c not in sources:
                sources.append(c)
    for c in required:
        if c not in df.columns:
            raise ColumnError(f"column `{c}` not found; the table has: {', '.join(df.columns)}")
    used = list(dict.fromkeys([*sources, *required]))
    frame = df.select(used)
    if missing == "drop":
        mask = _null_mask(frame, used)
        dropped = int(mask.sum())
        if dropped:
            frame = frame.with_row_index(ROW).filter(~mask)
    else:
        _check_missing(frame, used, what=what)
        dropped = 0
    if frame.height == 0:
        from aluna.exceptions import EmptyInputError

        raise EmptyInputError(
            f"{what}: no rows left"
            + (f" after dropping {dropped} with missing values" if dropped else "")
        )
    encoded = tuple(_encode(t, frame) for t in terms)
    names: list[str] = []
    spans: list[tuple[str, tuple[int, ...]]] = []
    for enc in encoded:
        idx = tuple(range(len(names), len(names) + len(enc.columns)))
        names.extend(enc.columns)
        spans.append((enc.name, idx))
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise ArgumentError(f"covariates: the model column `{dup}` appears twice")
    design = Design(
        encoded=encoded,
        names=tuple(names),
        terms=tuple(spans),
        source_columns=tuple(sources),
        missing=missing,
        rows_used=frame.height,
        rows_dropped=dropped,
    )
    columns: dict[str, pl.Series] = {}
    for enc in encoded:
        columns.update(_materialise(enc, frame, what=what))
    model = pl.DataFrame([columns[n] for n in names]) if names else pl.DataFrame()
    # Row numbers travel only when rows were dropped (otherwise a row's number is its position).
    keep = [*required, ROW] if dropped else list(required)
    kept = [c for c in keep if c not in names]
    rest = frame if kept == frame.columns else frame.select(kept)
    model = pl.concat([model, rest], how="horizontal") if names else rest
    return design, model


def row_number(design: Design) -> str | None:
    """The row-number column of a model frame, if it has one."""
    return ROW if design.rows_dropped else None


def warn_events_per_variable(events: float, columns: int, *, model: str, what: str) -> None:
    """Warn when there are fewer than 10 events per model column (Peduzzi et al. 1996)."""
    if columns == 0:
        return
    epv = events / columns
    if epv < 10:
        warnings.warn(
            f"{model}: {events:g} {what} for {columns} model columns "
            f"({epv:.1f} per column, below 10); estimates and standard errors may be biased. "
            f"Use fewer covariates, or penalise (penalty='firth' / penalizer=...). "
            f"See Peduzzi et al. (1996), https://doi.org/10.1016/S0895-4356(96)00236-3",
            EventsPerVariableWarning,
            stacklevel=3,
        )


def finite_or_none(v: float) -> float | None:
    return v if math.isfinite(v) else None
