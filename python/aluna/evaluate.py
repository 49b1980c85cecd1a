"""Programme evaluation: did the programme reduce re-offending, for whom, and how sure are we?

Participants in prevention programmes differ from non-participants, so their outcomes cannot
simply be compared. This module gives the evaluator one workflow:

1. :func:`propensity` — the probability of taking part given the covariates, and whether the
   arms overlap (common support, Crump's trimming rule).
2. :func:`match` (nearest neighbour, as R ``MatchIt``) or weighting, and :func:`balance` with a
   love plot to check that the arms became comparable.
3. :func:`ipw` and :func:`aipw` (doubly robust) effects on a yes/no or numeric outcome, with
   influence-function or bootstrap standard errors; :func:`difference_in_means` for
   randomised programmes.
4. :func:`survival_effect` for time to re-offending (weighted Kaplan–Meier by arm, restricted
   mean survival time, hazard ratio); :func:`landmark` and :func:`time_varying_cox` when people
   join the programme at different times (the immortal-time trap).
5. :func:`difference_in_differences` for area- or agency-level programmes observed before and
   after, with the event study, the Goodman-Bacon decomposition and Callaway & Sant'Anna's
   group-time effects (:func:`callaway_santanna`) under staggered adoption.
6. :func:`e_value` and :func:`rosenbaum_bounds`: how strong unmeasured confounding would have to
   be to explain the effect away.

Covariates go through the design-matrix layer of :mod:`aluna.risk` (categories, interactions,
splines; ``missing="error"`` or ``"drop"``, counted in ``rows_dropped``). The row-level work
(propensity and outcome models, influence functions, bootstraps, matching, two-way demeaning)
runs in Rust.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, Literal

import numpy as np
import polars as pl

from aluna import _design, _native
from aluna._did import (
    BaconDecomposition,
    DifferenceInDifferences,
    GroupTimeEffects,
    StaggeredAdoptionWarning,
    bacon_decomposition,
    callaway_santanna,
    difference_in_differences,
)
from aluna._evaluate_results import (
    Balance,
    Effect,
    EValue,
    MatchedSample,
    Propensity,
    RosenbaumBounds,
    SurvivalEffect,
    effect_summary,
)
from aluna._interop import to_polars
from aluna._survival_args import as_frame
from aluna.exceptions import (
    AlunaWarning,
    ArgumentError,
    BadValueError,
    ColumnError,
    NotDefinedError,
)

__all__ = [
    "BaconDecomposition",
    "Balance",
    "DifferenceInDifferences",
    "EValue",
    "Effect",
    "GroupTimeEffects",
    "ImmortalTimeWarning",
    "MatchedSample",
    "OverlapError",
    "Propensity",
    "RosenbaumBounds",
    "StaggeredAdoptionWarning",
    "SurvivalEffect",
    "aipw",
    "bacon_decomposition",
    "balance",
    "callaway_santanna",
    "difference_in_differences",
    "difference_in_means",
    "e_value",
    "ipw",
    "landmark",
    "love_plot",
    "match",
    "propensity",
    "rosenbaum_bounds",
    "survival_effect",
    "time_varying_cox",
]

_NORMAL = NormalDist()


class OverlapError(NotDefinedError):
    """The arms do not overlap on a covariate or on the propensity score: no comparison is
    possible there (the message names the covariate and both arms' ranges)."""


class ImmortalTimeWarning(AlunaWarning):
    """Treatment that starts after time zero is counted as if it started at time zero."""


# ============================================================================ input


@dataclass(frozen=True)
class _Prepared:
    """A model frame for a treatment contrast."""

    design: _design.Design
    model: pl.DataFrame
    rows: np.ndarray
    treatment: str
    t: np.ndarray

    @property
    def names(self) -> list[str]:
        return list(self.design.names)


def _z(level: float) -> float:
    if not 0 < level < 1:
        raise ArgumentError(f"level: must be between 0 and 1, got {level}")
    return _NORMAL.inv_cdf(0.5 + level / 2)


def _p_value(estimate: float, se: float) -> float:
    if not (math.isfinite(se) and se > 0):
        return math.nan
    return 2.0 * (1.0 - _NORMAL.cdf(abs(estimate / se)))


def _name(value: Any, argument: str) -> str:
    if not isinstance(value, str):
        raise ArgumentError(f"{argument}: expected a column name, got {type(value).__name__}")
    return value


def _treatment_values(frame: pl.DataFrame, treatment: str, *, what: str) -> np.ndarray:
    col = frame.get_column(treatment)
    if col.dtype == pl.Boolean:
        return col.cast(pl.Float64).to_numpy()
    if not col.dtype.is_numeric():
        raise ColumnError(
            f"{what}: column `{treatment}`: the treatment must be 0/1 or true/false, "
            f"found {col.dtype}"
        )
    values = col.cast(pl.Float64).to_numpy()
    bad = ~np.isin(values, (0.0, 1.0))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        levels = sorted(set(values[~np.isnan(values)].tolist()))[:6]
        raise BadValueError(
            f"{what}: column `{treatment}`, row {row}: the treatment must be 0 or 1 (or "
            f"true/false), found {values[row]:g}; its values are {levels}. Recode it to "
            f"participated yes/no"
        )
    return values


def _check_arms(t: np.ndarray, treatment: str, *, what: str) -> None:
    n1 = int(t.sum())
    n0 = int(t.size - n1)
    if n1 < 2 or n0 < 2:
        raise NotDefinedError(
            f"{what}: `{treatment}` has {n1} treated and {n0} comparison rows; an effect needs "
            f"at least two in each arm (a single treated unit cannot be compared)"
        )


def _prepare(
    df: Any,
    treatment: Any,
    covariates: Sequence[Any],
    *,
    required: Sequence[str | None] = (),
    missing: _design.Missing,
    what: str,
) -> _Prepared:
    treatment = _name(treatment, "treatment")
    frame = as_frame(df, what=what)
    if treatment not in frame.columns:
        raise ColumnError(
            f"{what}: treatment column `{treatment}` not found; the table has: "
            f"{', '.join(frame.columns)}"
        )
    if isinstance(covariates, str):
        raise ArgumentError(
            f"covariates: expected a list of columns, got the string {covariates!r}"
        )
    for c in covariates:
        if c == treatment:
            raise ArgumentError(f"covariates: the treatment `{treatment}` cannot be a covariate")
    need = [treatment, *[c for c in required if c is not None]]
    design, model = _design.build(
        frame, list(covariates), missing=missing, required=need, what=what
    )
    t = _treatment_values(model, treatment, what=what)
    model = model.with_columns(pl.Series(treatment, t))
    rows = (
        model.get_column(_design.ROW).to_numpy()
        if _design.ROW in model.columns
        else np.arange(model.height)
    )
    _check_arms(t, treatment, what=what)
    return _Prepared(design, model, rows, treatment, t)


def _check_overlap(p: _Prepared, *, what: str) -> None:
    """Raise OverlapError when a model column's ranges in the two arms do not meet."""
    if not p.names:
        return
    arm = pl.Series("__aluna_arm", p.t)
    stats = (
        p.model.select(p.names)
        .with_columns(arm)
        .group_by("__aluna_arm")
        .agg(
            [pl.col(n).min().alias(f"{n}\x00min") for n in p.names]
            + [pl.col(n).max().alias(f"{n}\x00max") for n in p.names]
        )
    )
    treated = stats.filter(pl.col("__aluna_arm") == 1.0).row(0, named=True)
    comparison = stats.filter(pl.col("__aluna_arm") == 0.0).row(0, named=True)
    for name in p.names:
        lo1, hi1 = treated[f"{name}\x00min"], treated[f"{name}\x00max"]
        lo0, hi0 = comparison[f"{name}\x00min"], comparison[f"{name}\x00max"]
        if hi1 < lo0 or hi0 < lo1:
            raise OverlapError(
                f"{what}: no overlap on `{name}`: it ranges {lo1:g} to {hi1:g} among the "
                f"treated (`{p.treatment}` = 1) and {lo0:g} to {hi0:g} in the comparison arm, "
                f"so no comparison is possible. Restrict the sample to a range both arms share, "
                f"or drop `{name}` from the covariates"
            )


def _ranges(p: _Prepared, name: str) -> str:
    t = p.t.astype(bool)
    x = p.model.get_column(name).to_numpy()
    return (
        f"`{name}` ranges {x[t].min():g} to {x[t].max():g} among the treated and "
        f"{x[~t].min():g} to {x[~t].max():g} in the comparison arm"
    )


def _fit_propensity(p: _Prepared, *, what: str) -> tuple[Any, np.ndarray]:
    """The logistic propensity model on the prepared frame, and the scores."""
    from aluna.risk import LogisticRegression, SeparationWarning

    _check_overlap(p, what=what)
    model = LogisticRegression()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(p.model, outcome=p.treatment, covariates=p.names)
    for w in caught:
        if issubclass(w.category, SeparationWarning):
            bad = [n for n in p.names if f"`{n}`" in str(w.message)]
            detail = "; ".join(_ranges(p, n) for n in bad) or str(w.message)
            raise OverlapError(
                f"{what}: the covariates separate the treated from the comparison arm "
                f"(propensity scores of 0 or 1), so the arms do not overlap: {detail}. Restrict "
                f"the sample to where both arms occur, or coarsen those covariates"
            )
        if not issubclass(w.category, _design.EventsPerVariableWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    scores = model.predict_proba(p.model).to_numpy()
    return model, scores


def _crump(scores: np.ndarray) -> float:
    """Crump, Hotz, Imbens & Mitnik's (2009) optimal trimming threshold alpha."""
    g = 1.0 / (scores * (1.0 - scores))
    if g.max() <= 2.0 * g.mean():
        return 0.0
    s = np.sort(g)
    cum = np.cumsum(s) / np.arange(1, s.size + 1)
    ok = np.flatnonzero(s <= 2.0 * cum)
    gamma = 2.0 * cum[ok[-1]] if ok.size else 2.0 * g.mean()
    return float(0.5 - math.sqrt(max(0.25 - 1.0 / gamma, 0.0)))


def _key(frame_rows: np.ndarray, df: Any, id: str | None, *, what: str) -> pl.Series:
    if id is None:
        return pl.Series("row", frame_rows.astype(np.int64))
    frame = as_frame(df, what=what)
    if id not in frame.columns:
        raise ColumnError(f"{what}: id column `{id}` not found")
    return frame.get_column(id).gather(frame_rows)


def propensity(
    df: Any,
    treatment: str,
    covariates: Sequence[Any],
    *,
    id: str | None = None,
    missing: _design.Missing = "error",
) -> Propensity:
    r"""Propensity scores :math:`e(x) = P(T=1 \mid x)` by logistic regression, with overlap
    diagnostics.

    Effects can only be estimated where both arms occur. The result gives the scores'
    distribution by arm, the common support (the score range both arms reach), the rows
    outside it, and Crump et al.'s (2009) optimal trimming bounds :math:`[\alpha, 1-\alpha]`
    (:math:`\alpha` solves :math:`1/(\alpha(1-\alpha)) = 2\,E[g \mid g \le 1/(\alpha(1-\alpha))]`,
    :math:`g = 1/(e(1-e))`), which minimise the variance of the trimmed ATE.

    Parameters
    ----------
    df
        The data (polars, pandas, pyarrow or any Arrow table).
    treatment
        0/1 or boolean column: took part in the programme.
    covariates
        The confounders (column names, ``categorical``, ``spline``, interactions).
    id
        Column of ids to key ``scores`` by (default: row numbers).
    missing
        ``"error"`` or ``"drop"`` (counted in ``rows_dropped``).

    Returns
    -------
    Propensity

    Raises
    ------
    OverlapError
        A covariate's ranges do not meet between the arms, or the covariates separate them;
        the message names the covariate and both ranges.
    BadValueError
        A treatment that is not 0/1; a missing covariate value (``missing="error"``).
    NotDefinedError
        Fewer than two rows in an arm (e.g. a single treated unit).

    References
    ----------
    .. [1] Rosenbaum, P. R. & Rubin, D. B. (1983). The central role of the propensity score in
       observational studies for causal effects. Biometrika 70(1), 41-55.
       https://doi.org/10.1093/biomet/70.1.41
    .. [2] Crump, R. K., Hotz, V. J., Imbens, G. W. & Mitnik, O. A. (2009). Dealing with
       limited overlap in estimation of average treatment effects. Biometrika 96(1), 187-199.
       https://doi.org/10.1093/biomet/asn055

    Examples
    --------
    >>> import polars as pl
    >>> from aluna import evaluate
    >>> df = pl.DataFrame({"joined": [1, 1, 1, 0, 0, 0, 1, 0],
    ...                    "motivation": [0.9, 0.7, 0.4, 0.2, 0.5, 0.1, 0.3, 0.6]})
    >>> ps = evaluate.propensity(df, "joined", ["motivation"])
    >>> ps.overlap.select("arm", "n").rows()
    [('treated', 4), ('comparison', 4)]
    >>> [round(v, 3) for v in ps.common_support]
    [0.338, 0.646]
    """
    p = _prepare(df, treatment, covariates, missing=missing, what="propensity")
    model, scores = _fit_propensity(p, what="propensity")
    t = p.t.astype(bool)
    rows = []
    for arm, mask in (("treated", t), ("comparison", ~t)):
        s = scores[mask]
        q = np.quantile(s, [0.01, 0.05, 0.5, 0.95, 0.99])
        rows.append(
            (arm, int(mask.sum()), float(s.min()), *map(float, q), float(s.max()), float(s.mean()))
        )
    overlap = pl.DataFrame(
        rows,
        schema=["arm", "n", "min", "q01", "q05", "median", "q95", "q99", "max", "mean"],
        orient="row",
    )
    low = max(float(scores[t].min()), float(scores[~t].min()))
    high = min(float(scores[t].max()), float(scores[~t].max()))
    if low >= high:
        raise OverlapError(
            f"propensity: the arms' propensity scores do not overlap (treated "
            f"{scores[t].min():.4g} to {scores[t].max():.4g}, comparison {scores[~t].min():.4g} "
            f"to {scores[~t].max():.4g}); no comparison is possible"
        )
    outside = int(((scores < low) | (scores > high)).sum())
    alpha = _crump(scores)
    trimmed = int(((scores < alpha) | (scores > 1 - alpha)).sum())
    share = outside / scores.size
    if alpha == 0 and share < 0.01:
        advice = "good overlap: no trimming needed"
    elif share < 0.05 and trimmed / scores.size < 0.05:
        advice = (
            f'limited overlap at the extremes: consider trim="crump" ({trimmed} rows) or the ATT'
        )
    else:
        advice = (
            f'poor overlap: {outside} rows outside the common support; trim ("crump" would '
            f"leave out {trimmed} rows), match with a caliper, or estimate the ATT"
        )
    key = _key(p.rows, df, id, what="propensity")
    frame = pl.DataFrame(
        [key, pl.Series(treatment, p.t.astype(np.int64)), pl.Series("propensity", scores)]
    )
    return Propensity(
        scores=frame,
        overlap=overlap,
        common_support=(low, high),
        outside_support=outside,
        suggested_trim=(alpha, 1.0 - alpha) if alpha > 0 else (0.0, 1.0),
        rows_trimmed=trimmed if alpha > 0 else 0,
        model=model,
        treatment=treatment,
        advice=advice,
        rows_dropped=p.design.rows_dropped,
    )


# ============================================================================ balance


def _arm_stats(x: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Column means and unbiased variances of ``x`` (rows x columns), weighted by ``w`` with
    the reliability form ``sum w (x - m)^2 * sum w / ((sum w)^2 - sum w^2)``."""
    if w is None:
        return x.mean(axis=0), x.var(axis=0, ddof=1) if x.shape[0] > 1 else np.zeros(x.shape[1])
    sw = w.sum()
    m = (w @ x) / sw
    denom = sw * sw - (w * w).sum()
    ss = w @ ((x - m) ** 2)
    return m, ss * sw / denom if denom > 0 else np.zeros(x.shape[1])


def _balance_table(
    model: pl.DataFrame,
    names: Sequence[str],
    t: np.ndarray,
    after: np.ndarray | None,
    estimand: str,
) -> pl.DataFrame:
    """Means, SMDs and variance ratios per model column, before and (weighted) after."""
    if not names:
        cols = ["mean_treated", "mean_comparison", "smd_before", "variance_ratio_before"]
        if after is not None:
            cols += [
                "mean_treated_after",
                "mean_comparison_after",
                "smd_after",
                "variance_ratio_after",
            ]
        return pl.DataFrame(schema={"covariate": pl.String, **dict.fromkeys(cols, pl.Float64)})
    x = model.select([pl.col(n).cast(pl.Float64) for n in names]).to_numpy()
    one, zero = np.flatnonzero(t == 1), np.flatnonzero(t == 0)
    x1, x0 = x[one], x[zero]
    m1, v1 = _arm_stats(x1, None)
    m0, v0 = _arm_stats(x0, None)
    sd = np.sqrt(v1) if estimand == "ATT" else np.sqrt((v1 + v0) / 2)
    safe = np.where(sd > 0, sd, 1.0)

    def ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.divide(a, b, out=np.full_like(a, np.nan), where=b > 0)

    out: dict[str, Any] = {
        "covariate": list(names),
        "mean_treated": m1,
        "mean_comparison": m0,
        "smd_before": np.where(sd > 0, (m1 - m0) / safe, 0.0),
        "variance_ratio_before": ratio(v1, v0),
    }
    if after is not None:
        a1, u1 = _arm_stats(x1, after[one])
        a0, u0 = _arm_stats(x0, after[zero])
        out |= {
            "mean_treated_after": a1,
            "mean_comparison_after": a0,
            "smd_after": np.where(sd > 0, (a1 - a0) / safe, 0.0),
            "variance_ratio_after": ratio(u1, u0),
        }
    return pl.DataFrame(out)


def balance(
    df: Any,
    treatment: str,
    covariates: Sequence[Any],
    weights: Any = None,
    *,
    estimand: Literal["ATT", "ATE"] = "ATT",
    missing: _design.Missing = "error",
) -> Balance:
    r"""Standardised mean differences and variance ratios of the covariates between the arms,
    before and after weighting or matching.

    :math:`\mathrm{SMD} = (\bar x_1 - \bar x_0)/s`, with :math:`s` the standard deviation in the
    treated arm (ATT) or :math:`\sqrt{(s_1^2 + s_0^2)/2}` (ATE), both before weighting, so the
    before and after columns share one yardstick (as ``MatchIt`` and ``cobalt``). After
    weighting the means are weighted; variances use the unbiased weighted form
    :math:`\sum w(x-\bar x_w)^2 \cdot \sum w / ((\sum w)^2 - \sum w^2)`. An absolute SMD below
    0.1 and a variance ratio between 0.5 and 2 are the usual marks of balance. Categorical
    covariates appear as their indicator columns.

    Parameters
    ----------
    df
        The data.
    treatment
        0/1 or boolean treatment column.
    covariates
        As for :func:`propensity`.
    weights
        A column name, or one weight per row (array or polars Series), e.g. matching or IPW
        weights; rows with weight 0 take no part after weighting.
    estimand
        ``"ATT"`` or ``"ATE"``: which standard deviation standardises.
    missing
        ``"error"`` or ``"drop"``.

    Returns
    -------
    Balance
        ``.table``, ``.love_plot()``.

    References
    ----------
    .. [1] Austin, P. C. (2009). Balance diagnostics for comparing the distribution of baseline
       covariates between treatment groups in propensity-score matched samples. Statistics in
       Medicine 28(25), 3083-3107. https://doi.org/10.1002/sim.3697

    Examples
    --------
    >>> import polars as pl
    >>> from aluna import evaluate
    >>> df = pl.DataFrame({"joined": [1, 1, 0, 0, 0], "age": [20, 30, 30, 40, 50],
    ...                    "w": [1.0, 1.0, 1.0, 0.0, 0.0]})
    >>> b = evaluate.balance(df, "joined", ["age"], weights="w")
    >>> b.table.select("covariate", pl.col("smd_before", "smd_after").round(4)).rows()
    [('age', -2.1213, -0.7071)]
    """
    if estimand not in ("ATT", "ATE"):
        raise ArgumentError(f'estimand: expected "ATT" or "ATE", got {estimand!r}')
    frame = as_frame(df, what="balance")
    wcol = None
    if isinstance(weights, str):
        wcol = weights
    elif weights is not None:
        values = np.asarray(weights, dtype=float)
        if values.shape != (frame.height,):
            raise ArgumentError(
                f"weights: expected {frame.height} weights (one per row), got {values.shape}"
            )
        wcol = "__aluna_weight"
        frame = frame.with_columns(pl.Series(wcol, values))
    p = _prepare(frame, treatment, covariates, required=[wcol], missing=missing, what="balance")
    after = None
    if wcol is not None:
        after = p.model.get_column(wcol).cast(pl.Float64).to_numpy()
        if (after < 0).any() or not np.isfinite(after).all():
            row = int(np.flatnonzero((after < 0) | ~np.isfinite(after))[0])
            raise BadValueError(
                f"balance: weights, row {int(p.rows[row])}: expected a finite, non-negative "
                f"weight, found {after[row]}"
            )
        for arm, label in ((1.0, "treated"), (0.0, "comparison")):
            if after[p.t == arm].sum() <= 0:
                raise NotDefinedError(f"balance: the {label} arm has no positive weight")
    table = _balance_table(p.model, p.names, p.t, after, estimand)
    return Balance(table, estimand, after is not None, p.design.rows_dropped)


def love_plot(result: Any, ax: Any = None, *, threshold: float = 0.1) -> Any:
    """The love plot of a :class:`Balance`, or of the balance an :class:`Effect` or
    :class:`MatchedSample` carries: absolute standardised mean differences per covariate before
    (open) and after (filled), with ``threshold`` marked.

    Examples
    --------
    >>> import polars as pl
    >>> from aluna import evaluate
    >>> df = pl.DataFrame({"joined": [1, 1, 0, 0, 0], "age": [20, 30, 30, 40, 50]})
    >>> ax = evaluate.love_plot(evaluate.balance(df, "joined", ["age"]))
    >>> ax.get_xlabel()
    'absolute standardised mean difference'
    """
    bal = result if isinstance(result, Balance) else getattr(result, "balance", None)
    if not isinstance(bal, Balance):
        raise ArgumentError(
            f"love_plot: expected a Balance, or an Effect or MatchedSample with one; got "
            f"{type(result).__name__}"
        )
    return bal.love_plot(ax, threshold=threshold)


# ============================================================================ weighting


def _trim_bounds(trim: Any, p: _Prepared) -> tuple[float, float] | None:
    if trim is None:
        return None
    if isinstance(trim, str):
        if trim != "crump":
            raise ArgumentError(
                f'trim: expected None, a number, (low, high) or "crump", got {trim!r}'
            )
        _, scores = _fit_propensity(p, what="trim")
        a = _crump(scores)
        return None if a == 0 else (a, 1 - a)
    if isinstance(trim, (int, float)):
        if not 0 < trim < 0.5:
            raise ArgumentError(f"trim: a single bound must be in (0, 0.5), got {trim}")
        return (float(trim), 1.0 - float(trim))
    try:
        lo, hi = (float(v) for v in trim)
    except (TypeError, ValueError) as err:
        raise ArgumentError(
            f'trim: expected None, a number, (low, high) or "crump", got {trim!r}'
        ) from err
    if not 0 <= lo < hi <= 1:
        raise ArgumentError(f"trim: expected 0 <= low < high <= 1, got ({lo}, {hi})")
    return (lo, hi)


def _names_design(p: _Prepared, names: list[str]) -> _design.Design:
    """A design that uses the model columns ``names`` of ``p`` as they are."""
    from dataclasses import replace

    return replace(p.design, names=tuple(names))


def _columns_of(p: _Prepared, all_terms: Sequence[Any], terms: Sequence[Any]) -> list[str]:
    """The model columns of ``terms``, a subset of the ``all_terms`` that built ``p``."""
    out: list[str] = []
    for term in terms:
        k = next(i for i, t in enumerate(all_terms) if t == term)
        out.extend(c for c in p.design.encoded[k].columns if c not in out)
    return out


def _outcome_kind(model: pl.DataFrame, outcome: str) -> str:
    y = model.get_column(outcome)
    binary = y.dtype == pl.Boolean or bool(y.cast(pl.Float64).is_in([0.0, 1.0]).all())
    return "logistic" if binary else "linear"


def _weighting(
    df: Any,
    treatment: str,
    outcome: str,
    covariates: Sequence[Any],
    *,
    estimand: str,
    stabilized: bool,
    trim: Any,
    weights: str | None,
    outcome_covariates: Sequence[Any] | None,
    outcome_model: str | None,
    se: str,
    n_bootstrap: int,
    seed: int,
    level: float,
    missing: _design.Missing,
    threads: int | None,
    id: str | None,
    method: str,
) -> Effect:
    what = method.lower()
    if estimand not in ("ATE", "ATT"):
        raise ArgumentError(f'estimand: expected "ATE" or "ATT", got {estimand!r}')
    if se not in ("influence", "bootstrap"):
        raise ArgumentError(f'se: expected "influence" or "bootstrap", got {se!r}')
    if se == "bootstrap" and (not isinstance(n_bootstrap, int) or n_bootstrap < 20):
        raise ArgumentError(f"n_bootstrap: expected at least 20 replicates, got {n_bootstrap!r}")
    z = _z(level)
    outcome = _name(outcome, "outcome")
    out_terms = list(covariates) if outcome_covariates is None else list(outcome_covariates)
    all_terms = list(covariates) + [c for c in out_terms if c not in covariates]
    p = _prepare(df, treatment, all_terms, required=[outcome, weights], missing=missing, what=what)
    frame = p.model
    y = frame.get_column(outcome)
    if y.dtype == pl.Boolean:
        frame = frame.with_columns(pl.col(outcome).cast(pl.Float64))
    elif not y.dtype.is_numeric():
        raise ColumnError(f"{what}: column `{outcome}`: expected numbers or 0/1, found {y.dtype}")
    # The propensity design is the covariates' own columns.
    ps_names = _columns_of(p, all_terms, list(covariates))
    ps_only = _Prepared(_names_design(p, ps_names), p.model, p.rows, p.treatment, p.t)
    _check_overlap(ps_only, what=what)
    bounds = _trim_bounds(trim, ps_only)
    out_names: list[str] | None = None
    kind = None
    if method == "AIPW":
        out_names = _columns_of(p, all_terms, out_terms)
        kind = (
            outcome_model if outcome_model not in (None, "auto") else _outcome_kind(frame, outcome)
        )
        if kind not in ("linear", "logistic"):
            raise ArgumentError(
                f'outcome_model: expected "auto", "linear" or "logistic", got {outcome_model!r}'
            )
    result, rows = _native.effect_weighting(
        frame,
        ps_names,
        treatment,
        outcome,
        weights=weights,
        outcome_covariates=out_names,
        outcome_model=kind,
        estimand=estimand,
        normalised=stabilized,
        trim=bounds,
        bootstrap=n_bootstrap if se == "bootstrap" else 0,
        seed=int(seed),
        threads=threads,
    )
    per_row = to_polars(rows)
    estimate = float(result["estimate"])
    std_error = float(result["std_error"])
    replicates = None
    se_text = "influence function (propensity model estimated)"
    if se == "bootstrap":
        values = [v for v in result["bootstrap"] if v is not None]
        failed = n_bootstrap - len(values)
        if len(values) < 20:
            raise NotDefinedError(
                f"{what}: only {len(values)} of {n_bootstrap} bootstrap replicates could be "
                f'fitted; use se="influence"'
            )
        if failed:
            warnings.warn(
                f"{method}: {failed} of {n_bootstrap} bootstrap replicates could not be fitted "
                f"(an arm or a category absent from the resample) and were left out; the "
                f"standard error rests on {len(values)}",
                AlunaWarning,
                stacklevel=3,
            )
        replicates = np.asarray(values)
        std_error = float(replicates.std(ddof=1))
        se_text = f"bootstrap ({len(values)} replicates, seed {seed})"
    weights_frame = pl.DataFrame(
        [_key(p.rows, df, id, what=what), per_row["propensity"], per_row["weight"]]
    )
    after = per_row["weight"].to_numpy()
    bal = Balance(
        _balance_table(p.model, ps_names, p.t, after, estimand),
        estimand,
        True,
        p.design.rows_dropped,
    )
    measure = (
        "risk difference" if _outcome_kind(frame, outcome) == "logistic" else "mean difference"
    )
    summary = effect_summary(f"{treatment} ({estimand})", estimate, std_error, level=level)
    return Effect(
        estimate=estimate,
        std_error=std_error,
        ci_low=estimate - z * std_error,
        ci_high=estimate + z * std_error,
        method=method,
        n_treated=int(result["n_treated"]),
        n_comparison=int(result["n_comparison"]),
        rows_dropped=p.design.rows_dropped,
        summary=summary,
        estimand=estimand,
        measure=measure,
        level=level,
        p_value=_p_value(estimate, std_error),
        rows_trimmed=int(result["trimmed"]),
        standard_errors=se_text,
        treatment=treatment,
        outcome=outcome,
        weights=weights_frame,
        balance=bal,
        bootstrap=replicates,
        mean_treated=float(result["mean_treated"]),
        mean_comparison=float(result["mean_comparison"]),
    )


_WEIGHTING_PARAMETERS = """
    Parameters
    ----------
    df
        The data (polars, pandas, pyarrow or any Arrow table).
    treatment
        0/1 or boolean column: took part in the programme.
    outcome
        The outcome: 0/1 or boolean (re-offended within two years: the effect is a risk
        difference) or a number (a mean difference).
    covariates
        The confounders of the propensity model (column names, ``categorical``, ``spline``,
        interactions).
    estimand
        ``"ATE"`` (everyone) or ``"ATT"`` (the participants).
    stabilized
        ``True``: normalised (Hájek) weights, each arm's weights summing to one, the stable
        choice; ``False``: Horvitz–Thompson sums divided by the number of rows (ATE) or of
        treated rows (ATT).
    trim
        ``None``; a number :math:`\\alpha` (leave out rows with a score outside
        :math:`[\\alpha, 1-\\alpha]`); ``(low, high)``; or ``"crump"`` (Crump et al.'s optimal
        :math:`\\alpha`). The propensity model is refitted on the rows kept; trimming changes
        the population the effect is about (counted in ``rows_trimmed``).
    weights
        Column of sampling or case weights.
    se
        ``"influence"``: the influence function of the stacked estimating equations, which
        carries the estimation of the propensity score; ``"bootstrap"``: ``n_bootstrap``
        resamples of the whole procedure, with ``seed``.
    n_bootstrap, seed
        Bootstrap replicates and their seed (the result is the same for any thread count).
    level
        Confidence level.
    id
        Column of ids for the per-row ``weights`` table (default: row numbers).
    missing
        ``"error"`` or ``"drop"`` (counted in ``rows_dropped``).
    threads
        Threads for the Rust kernels (``None``: all cores); results do not depend on it.
"""


def ipw(
    df: Any,
    treatment: str,
    outcome: str,
    covariates: Sequence[Any],
    estimand: Literal["ATE", "ATT"] = "ATE",
    stabilized: bool = True,
    trim: Any = None,
    *,
    weights: str | None = None,
    se: Literal["influence", "bootstrap"] = "influence",
    n_bootstrap: int = 500,
    seed: int = 0,
    level: float = 0.95,
    id: str | None = None,
    missing: _design.Missing = "error",
    threads: int | None = None,
) -> Effect:
    r"""The programme effect by inverse probability weighting.

    With propensity :math:`e(x)` from a logistic regression, the treated and comparison means
    are reweighted to the target population:

    - ATE: weights :math:`1/e` (treated) and :math:`1/(1-e)` (comparison);
    - ATT: weights 1 (treated) and :math:`e/(1-e)` (comparison).

    The effect is the difference of the weighted means. Its standard error is
    :math:`\sqrt{\sum_i c_i^2}` with :math:`c_i` the influence of row :math:`i` on the stacked
    estimating equations of the propensity model and the two means (Lunceford & Davidian
    2004), which is smaller than treating the scores as known for the ATE.
    {parameters}
    Returns
    -------
    Effect
        With ``weights`` (per row: propensity and weight) and ``balance`` (before and after).

    Raises
    ------
    OverlapError
        No overlap on a covariate (named, with both arms' ranges).
    BadValueError, NotDefinedError
        A treatment that is not 0/1; missing values; fewer than two rows in an arm.

    References
    ----------
    .. [1] Lunceford, J. K. & Davidian, M. (2004). Stratification and weighting via the
       propensity score in estimation of causal treatment effects: a comparative study.
       Statistics in Medicine 23(19), 2937-2960. https://doi.org/10.1002/sim.1903
    .. [2] Austin, P. C. & Stuart, E. A. (2015). Moving towards best practice when using inverse
       probability of treatment weighting (IPTW). Statistics in Medicine 34(28), 3661-3679.
       https://doi.org/10.1002/sim.6607

    Examples
    --------
    >>> import polars as pl
    >>> from aluna import evaluate
    >>> df = pl.DataFrame({"joined": [1, 1, 1, 0, 0, 0], "reoffended": [0, 0, 1, 1, 1, 0]})
    >>> eff = evaluate.ipw(df, "joined", "reoffended", [])
    >>> round(eff.estimate, 4), eff.measure
    (-0.3333, 'risk difference')
    """
    return _weighting(
        df,
        treatment,
        outcome,
        covariates,
        estimand=estimand,
        stabilized=stabilized,
        trim=trim,
        weights=weights,
        outcome_covariates=None,
        outcome_model=None,
        se=se,
        n_bootstrap=n_bootstrap,
        seed=seed,
        level=level,
        missing=missing,
        threads=threads,
        id=id,
        method="IPW",
    )


def aipw(
    df: Any,
    treatment: str,
    outcome: str,
    covariates: Sequence[Any],
    estimand: Literal["ATE", "ATT"] = "ATE",
    stabilized: bool = True,
    trim: Any = None,
    *,
    outcome_covariates: Sequence[Any] | None = None,
    outcome_model: Literal["auto", "linear", "logistic"] = "auto",
    weights: str | None = None,
    se: Literal["influence", "bootstrap"] = "influence",
    n_bootstrap: int = 500,
    seed: int = 0,
    level: float = 0.95,
    id: str | None = None,
    missing: _design.Missing = "error",
    threads: int | None = None,
) -> Effect:
    r"""The programme effect by augmented inverse probability weighting (doubly robust).

    An outcome model :math:`m_a(x)` per arm (least squares, or logistic regression for 0/1
    outcomes) predicts everyone's outcome under each regime; the weighted residuals correct it:

    .. math::

        \hat\mu_1 = \overline{m_1(x)} + \frac{\sum_i T_i (y_i - m_1(x_i))/e_i}{\sum_i T_i/e_i},

    and likewise for the comparison arm (ATE); for the ATT the comparison mean is
    :math:`\overline{m_0(x)}_{T=1} + \sum (1-T)\,r\,(y - m_0)/\sum (1-T)\,r`,
    :math:`r = e/(1-e)`. The estimate is consistent when either the propensity model or the
    outcome model is right. Standard errors come from the influence function (with the
    propensity model's share) or a bootstrap.
    {parameters}
    outcome_covariates
        Covariates of the outcome models (default: ``covariates``).
    outcome_model
        ``"auto"`` (logistic for 0/1 outcomes, otherwise linear), ``"linear"``, ``"logistic"``.

    Returns
    -------
    Effect

    References
    ----------
    .. [1] Robins, J. M., Rotnitzky, A. & Zhao, L. P. (1994). Estimation of regression
       coefficients when some regressors are not always observed. JASA 89(427), 846-866.
       https://doi.org/10.1080/01621459.1994.10476818
    .. [2] Glynn, A. N. & Quinn, K. M. (2010). An introduction to the augmented inverse
       propensity weighted estimator. Political Analysis 18(1), 36-56.
       https://doi.org/10.1093/pan/mpp036

    Examples
    --------
    >>> import polars as pl
    >>> from aluna import evaluate
    >>> df = pl.DataFrame({"joined": [1, 1, 1, 1, 0, 0, 0, 0],
    ...                    "age": [20, 30, 40, 50, 25, 35, 45, 55],
    ...                    "score": [12.0, 15.0, 17.0, 21.0, 6.0, 8.0, 11.0, 13.0]})
    >>> eff = evaluate.aipw(df, "joined", "score", ["age"])
    >>> eff.method, round(eff.estimate, 4)
    ('AIPW', 8.0844)
    """
    return _weighting(
        df,
        treatment,
        outcome,
        covariates,
        estimand=estimand,
        stabilized=stabilized,
        trim=trim,
        weights=weights,
        outcome_covariates=outcome_covariates,
        outcome_model=outcome_model,
        se=se,
        n_bootstrap=n_bootstrap,
        seed=seed,
        level=level,
        missing=missing,
        threads=threads,
        id=id,
        method="AIPW",
    )


ipw.__doc__ = (ipw.__doc__ or "").replace("{parameters}", _WEIGHTING_PARAMETERS)
aipw.__doc__ = (aipw.__doc__ or "").replace("{parameters}", _WEIGHTING_PARAMETERS)


def difference_in_means(
    df: Any,
    treatment: str,
    outcome: str,
    *,
    level: float = 0.95,
    missing: _design.Missing = "error",
) -> Effect:
    r"""The effect in a randomised programme: the difference in mean outcomes.

    With random assignment the arms are comparable without adjustment, and
    :math:`\bar y_1 - \bar y_0` estimates the ATE (= ATT). Its standard error is the HC1
    (Eicker–Huber–White with the :math:`n/(n-2)` factor) error of the regression of the
    outcome on the treatment, as statsmodels' ``OLS(...).fit(cov_type="HC1")`` and Stata's
    ``regress, robust``:
    :math:`\sqrt{\tfrac{n}{n-2}(\sum_{T=1}(y-\bar y_1)^2/n_1^2+\sum_{T=0}(y-\bar y_0)^2/n_0^2)}`.

    Returns
    -------
    Effect

    Examples
    --------
    >>> import polars as pl
    >>> from aluna import evaluate
    >>> df = pl.DataFrame({"aid": [1, 1, 1, 0, 0, 0], "earnings": [5.0, 7, 9, 1, 2, 3]})
    >>> eff = evaluate.difference_in_means(df, "aid", "earnings")
    >>> eff.estimate, round(eff.std_error, 4)
    (5.0, 1.291)
    """
    z = _z(level)
    outcome = _name(outcome, "outcome")
    p = _prepare(df, treatment, [], required=[outcome], missing=missing, what="difference_in_means")
    y = p.model.get_column(outcome)
    if not (y.dtype.is_numeric() or y.dtype == pl.Boolean):
        raise ColumnError(
            f"difference_in_means: column `{outcome}`: expected numbers, found {y.dtype}"
        )
    yv = y.cast(pl.Float64).to_numpy()
    tb = p.t.astype(bool)
    y1, y0 = yv[tb], yv[~tb]
    n = yv.size
    est = float(y1.mean() - y0.mean())
    hc0 = ((y1 - y1.mean()) ** 2).sum() / y1.size**2 + ((y0 - y0.mean()) ** 2).sum() / y0.size**2
    se = math.sqrt(hc0 * n / (n - 2))
    binary = bool(np.isin(yv, (0.0, 1.0)).all())
    return Effect(
        estimate=est,
        std_error=se,
        ci_low=est - z * se,
        ci_high=est + z * se,
        method="difference in means",
        n_treated=int(tb.sum()),
        n_comparison=int((~tb).sum()),
        rows_dropped=p.design.rows_dropped,
        summary=effect_summary(f"{treatment} (ATE)", est, se, level=level),
        estimand="ATE",
        measure="risk difference" if binary else "mean difference",
        level=level,
        p_value=_p_value(est, se),
        standard_errors="HC1",
        treatment=treatment,
        outcome=outcome,
        mean_treated=float(y1.mean()),
        mean_comparison=float(y0.mean()),
    )


# ============================================================================ matching


def match(
    df: Any,
    treatment: str,
    covariates: Sequence[Any] | None = None,
    propensity: str | None = None,
    method: Literal["nearest", "mahalanobis"] = "nearest",
    ratio: int = 1,
    caliper: float | None = None,
    replace: bool = False,
    exact: str | None = None,
    seed: int = 0,
    *,
    order: Literal["largest", "smallest", "data", "random"] = "largest",
    std_caliper: bool = True,
    id: str | None = None,
    missing: _design.Missing = "error",
    threads: int | None = None,
) -> MatchedSample:
    r"""Greedy nearest-neighbour matching of participants to comparison units, as R
    ``MatchIt::matchit(method = "nearest")``.

    Each treated unit, in ``order`` (largest propensity first by default), takes the
    ``ratio`` closest comparison units, one per round: on the propensity score
    (``method="nearest"``; estimated from ``covariates`` by logistic regression, or your own
    score column ``propensity``), or on the Mahalanobis distance of the covariates with the
    pooled within-arm covariance (``method="mahalanobis"``, in row order). Equally close
    comparison units go to the earlier row. Without replacement a comparison unit is used
    once; with replacement it can serve several treated units. ``exact`` restricts matches to
    rows sharing its value; ``caliper`` refuses matches farther apart than ``caliper``
    standard deviations of the score (``std_caliper=True``, MatchIt's default) or than
    ``caliper`` itself.

    Weights are MatchIt's ATT weights: 1 for matched treated units; a comparison unit gets
    :math:`\sum 1/k_i` over the treated units :math:`i` it serves (:math:`k_i` their numbers of
    matches), scaled so the comparison weights sum to the number of comparison units used.

    Parameters
    ----------
    df
        The data.
    treatment
        0/1 or boolean column.
    covariates
        Covariates of the propensity model (``method="nearest"`` without ``propensity``) or of
        the Mahalanobis distance; also used for the balance table.
    propensity
        A column holding your own scores (then ``covariates`` only serve balance).
    method
        ``"nearest"`` (on the score) or ``"mahalanobis"``.
    ratio
        Comparison units per treated unit.
    caliper
        Largest distance allowed (see ``std_caliper``).
    replace
        Match with replacement.
    exact
        Column whose values must agree within a match.
    seed
        Seed of ``order="random"``.
    order
        ``"largest"``, ``"smallest"`` (score order), ``"data"`` (row order) or ``"random"``.
        With replacement, or on the Mahalanobis distance, MatchIt uses row order.
    std_caliper
        The caliper is in standard deviations of the score.
    id
        Column of ids for ``pairs`` (default: row numbers).
    missing
        ``"error"`` or ``"drop"``.
    threads
        Threads (Mahalanobis matching with replacement runs in parallel).

    Returns
    -------
    MatchedSample
        ``data`` (the matched rows with ``weight`` and ``match_id``), ``pairs``, ``balance``,
        ``.effect(outcome)``, ``.rosenbaum_bounds(outcome)``.

    References
    ----------
    .. [1] Ho, D. E., Imai, K., King, G. & Stuart, E. A. (2011). MatchIt: nonparametric
       preprocessing for parametric causal inference. Journal of Statistical Software 42(8).
       https://doi.org/10.18637/jss.v042.i08
    .. [2] Austin, P. C. (2011). Optimal caliper widths for propensity-score matching.
       Pharmaceutical Statistics 10(2), 150-161. https://doi.org/10.1002/pst.433

    Examples
    --------
    >>> import polars as pl
    >>> from aluna import evaluate
    >>> df = pl.DataFrame({"joined": [1, 0, 0, 1, 0], "ps": [0.8, 0.75, 0.1, 0.3, 0.35]})
    >>> m = evaluate.match(df, "joined", propensity="ps")
    >>> m.pairs.select("treated", "comparison").rows()
    [(0, 1), (3, 4)]
    >>> m.data["match_id"].to_list()
    [1, 1, 2, 2]
    """
    if method not in ("nearest", "mahalanobis"):
        raise ArgumentError(f'method: expected "nearest" or "mahalanobis", got {method!r}')
    if isinstance(ratio, bool) or not isinstance(ratio, int) or ratio < 1:
        raise ArgumentError(f"ratio: expected a whole number of at least 1, got {ratio!r}")
    if caliper is not None and (not math.isfinite(caliper) or caliper <= 0):
        raise ArgumentError(f"caliper: expected a positive number, got {caliper!r}")
    covs = list(covariates or [])
    frame = as_frame(df, what="match")
    if method == "nearest" and propensity is None and not covs:
        raise ArgumentError("match: give covariates (for a propensity model) or propensity=")
    if method == "mahalanobis" and not covs:
        raise ArgumentError('match: method="mahalanobis" needs covariates')
    p = _prepare(
        frame, treatment, covs, required=[propensity, exact], missing=missing, what="match"
    )
    model = p.model
    if exact is not None and not (
        model.schema[exact].is_integer() or model.schema[exact] in (pl.String, pl.Categorical)
    ):
        model = model.with_columns(pl.col(exact).cast(pl.String))
    score_col = None
    cal = None
    if method == "nearest":
        if propensity is not None:
            score = model.get_column(propensity).cast(pl.Float64).to_numpy()
        else:
            _, score = _fit_propensity(p, what="match")
        score_col = "__aluna_score"
        model = model.with_columns(pl.Series(score_col, score))
        if caliper is not None:
            cal = float(caliper * score.std(ddof=1)) if std_caliper else float(caliper)
    elif caliper is not None:
        cal = float(caliper)
    effective_order = "data" if (replace or method == "mahalanobis") else order
    per_row, pairs = _native.match_nearest(
        model,
        treatment,
        score=score_col,
        covariates=p.names if method == "mahalanobis" else None,
        exact=exact,
        ratio=ratio,
        caliper=cal,
        replace=replace,
        order=effective_order,
        seed=int(seed),
        threads=threads,
    )
    rows_table = to_polars(per_row)
    pairs_table = to_polars(pairs)
    key = _key(p.rows, frame, id, what="match")
    pairs_out = pl.DataFrame(
        [
            key.gather(pairs_table["treated_row"]).alias("treated"),
            key.gather(pairs_table["control_row"]).alias("comparison"),
            pairs_table["distance"],
            pairs_table["round"],
        ]
    )
    weight = rows_table["weight"]
    kept = (weight > 0).to_numpy()
    data = frame[p.rows[kept].tolist()].with_columns(
        weight.filter(weight > 0).alias("weight"),
        rows_table["match_id"].filter(weight > 0).alias("match_id"),
    )
    treated_matched = int((kept & p.t.astype(bool)).sum())
    bal = None
    if covs:
        w = weight.to_numpy()
        bal = Balance(
            _balance_table(p.model, p.names, p.t, w, "ATT"), "ATT", True, p.design.rows_dropped
        )
    return MatchedSample(
        data=data,
        pairs=pairs_out,
        method=method,
        n_treated=treated_matched,
        n_treated_unmatched=int(p.t.sum()) - treated_matched,
        n_comparison=int((kept & ~p.t.astype(bool)).sum()),
        caliper=cal,
        replace=replace,
        ratio=ratio,
        balance=bal,
        treatment=treatment,
        rows_dropped=p.design.rows_dropped,
    )


def _matched_effect(m: MatchedSample, outcome: str, *, level: float) -> Effect:
    z = _z(level)
    d = m.data
    if outcome not in d.columns:
        raise ColumnError(f"effect: column `{outcome}` not found in the matched data")
    y = d.get_column(outcome).cast(pl.Float64).to_numpy()
    if not np.isfinite(y).all():
        raise BadValueError(f"effect: column `{outcome}` has missing values in the matched rows")
    t = d.get_column(m.treatment).cast(pl.Float64).to_numpy()
    w = d["weight"].to_numpy()
    x = np.column_stack([np.ones_like(t), t])
    xtwx = x.T @ (x * w[:, None])
    bread = np.linalg.inv(xtwx)
    beta = bread @ (x.T @ (w * y))
    e = y - x @ beta
    s = x * (w * e)[:, None]
    n = y.size
    if m.replace:
        meat = s.T @ s
        factor = n / (n - 2)
        se_text = "HC1 (ignores reuse of comparison rows)"
    else:
        ids = d["match_id"].to_numpy()
        groups, inv = np.unique(ids, return_inverse=True)
        sums = np.zeros((groups.size, 2))
        np.add.at(sums, inv, s)
        meat = sums.T @ sums
        g = groups.size
        factor = g / (g - 1) * (n - 1) / (n - 2)
        se_text = "cluster-robust by matched set"
    cov = bread @ meat @ bread * factor
    est = float(beta[1])
    se = math.sqrt(cov[1, 1])
    binary = bool(np.isin(y, (0.0, 1.0)).all())
    return Effect(
        estimate=est,
        std_error=se,
        ci_low=est - z * se,
        ci_high=est + z * se,
        method=f"matching ({m.method})",
        n_treated=m.n_treated,
        n_comparison=m.n_comparison,
        rows_dropped=m.rows_dropped,
        summary=effect_summary(f"{m.treatment} (ATT)", est, se, level=level),
        estimand="ATT",
        measure="risk difference" if binary else "mean difference",
        level=level,
        p_value=_p_value(est, se),
        standard_errors=se_text,
        treatment=m.treatment,
        outcome=outcome,
        balance=m.balance,
        mean_treated=float(beta[0] + beta[1]),
        mean_comparison=float(beta[0]),
    )


def _pair_differences(m: MatchedSample, outcome: str) -> np.ndarray:
    if m.replace or m.ratio != 1:
        raise ArgumentError("rosenbaum_bounds: needs 1:1 matching without replacement (pairs)")
    d = m.data
    if outcome not in d.columns:
        raise ColumnError(f"rosenbaum_bounds: column `{outcome}` not found in the matched data")
    frame = d.select(
        "match_id",
        pl.col(m.treatment).cast(pl.Float64).alias("t"),
        pl.col(outcome).cast(pl.Float64).alias("y"),
    )
    wide = (
        frame.group_by("match_id")
        .agg(
            (
                pl.col("y").filter(pl.col("t") == 1).first()
                - pl.col("y").filter(pl.col("t") == 0).first()
            ).alias("d")
        )
        .sort("match_id")
    )
    return wide["d"].to_numpy()


# ============================================================================ sensitivity


def _evalue_rr(rr: float) -> float:
    if rr < 1:
        rr = 1.0 / rr
    return rr + math.sqrt(rr * (rr - 1.0))


def e_value(
    estimate: Any,
    ci_low: float | None = None,
    ci_high: float | None = None,
    *,
    measure: Literal[
        "risk_ratio", "odds_ratio", "hazard_ratio", "risk_difference", "mean_difference"
    ] = "risk_ratio",
    rare: bool = False,
    baseline_risk: float | None = None,
    sd: float | None = None,
) -> EValue:
    r"""The E-value: the minimum strength of association, on the risk-ratio scale, that an
    unmeasured confounder would need with both the treatment and the outcome to fully explain
    away the estimate (VanderWeele & Ding 2017).

    For a risk ratio :math:`RR \ge 1`, :math:`E = RR + \sqrt{RR(RR-1)}` (for :math:`RR < 1` use
    :math:`1/RR`). The E-value of the interval uses the limit closer to 1, and is 1 when the
    interval includes 1. Other measures are first turned into risk ratios: odds ratios as
    :math:`RR \approx \sqrt{OR}` (or :math:`OR` when the outcome is rare, ``rare=True``); hazard
    ratios as :math:`(1-0.5^{\sqrt{HR}})/(1-0.5^{\sqrt{1/HR}})` (or :math:`HR` when rare); a
    risk difference with the comparison arm's risk :math:`p_0` as :math:`(p_0+RD)/p_0`; a mean
    difference :math:`d` with outcome standard deviation ``sd`` as :math:`\exp(0.91\,d/sd)`.

    Parameters
    ----------
    estimate
        The estimate on its scale, or an :class:`Effect` (its measure, interval and, for risk
        differences, comparison-arm risk are used).
    ci_low, ci_high
        Its confidence limits (optional).
    measure
        The scale of ``estimate``.
    rare
        The outcome is rare (below about 15%): odds and hazard ratios approximate risk ratios.
    baseline_risk
        The comparison arm's risk, for a risk difference.
    sd
        The outcome's standard deviation, for a mean difference.

    Returns
    -------
    EValue

    References
    ----------
    .. [1] VanderWeele, T. J. & Ding, P. (2017). Sensitivity analysis in observational research:
       introducing the E-value. Annals of Internal Medicine 167(4), 268-274.
       https://doi.org/10.7326/M16-2509

    Examples
    --------
    >>> from aluna import evaluate
    >>> ev = evaluate.e_value(3.9, 1.8, 8.7)
    >>> round(ev.point, 2), round(ev.ci, 2)
    (7.26, 3.0)
    """
    if isinstance(estimate, Effect):
        eff = estimate
        if eff.measure == "log hazard ratio":
            return e_value(
                math.exp(eff.estimate),
                math.exp(eff.ci_low),
                math.exp(eff.ci_high),
                measure="hazard_ratio",
                rare=rare,
            )
        if eff.measure == "risk difference":
            p0 = baseline_risk if baseline_risk is not None else eff.mean_comparison
            return e_value(
                eff.estimate, eff.ci_low, eff.ci_high, measure="risk_difference", baseline_risk=p0
            )
        if eff.measure == "mean difference":
            return e_value(eff.estimate, eff.ci_low, eff.ci_high, measure="mean_difference", sd=sd)
        raise ArgumentError(f"e_value: no E-value for a {eff.measure}")
    values = [v for v in (estimate, ci_low, ci_high) if v is not None]
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
        raise ArgumentError(f"e_value: expected finite numbers, got {values}")

    def to_rr(v: float) -> float:
        if measure == "risk_ratio":
            return v
        if measure == "odds_ratio":
            return v if rare else math.sqrt(v)
        if measure == "hazard_ratio":
            return v if rare else (1 - 0.5 ** math.sqrt(v)) / (1 - 0.5 ** math.sqrt(1 / v))
        if measure == "risk_difference":
            if baseline_risk is None or not 0 < baseline_risk < 1:
                raise ArgumentError(
                    "e_value: a risk difference needs baseline_risk (the comparison arm's "
                    "risk, between 0 and 1)"
                )
            return (baseline_risk + v) / baseline_risk
        if measure == "mean_difference":
            if sd is None or sd <= 0:
                raise ArgumentError("e_value: a mean difference needs sd, the outcome's SD")
            return math.exp(0.91 * v / sd)
        raise ArgumentError(f"e_value: unknown measure {measure!r}")

    for v in values:
        if measure in ("risk_ratio", "odds_ratio", "hazard_ratio") and v <= 0:
            raise ArgumentError(f"e_value: a {measure.replace('_', ' ')} must be positive, got {v}")
    rr = to_rr(float(estimate))
    if rr <= 0:
        raise ArgumentError(f"e_value: the estimate corresponds to a risk ratio of {rr:g}")
    lo = to_rr(float(ci_low)) if ci_low is not None else math.nan
    hi = to_rr(float(ci_high)) if ci_high is not None else math.nan
    point = _evalue_rr(rr)
    if ci_low is None and ci_high is None:
        ci = math.nan
    elif rr >= 1:
        ci = 1.0 if not (lo > 1) else _evalue_rr(lo)
    else:
        ci = 1.0 if not (hi < 1) else _evalue_rr(hi)
    return EValue(point, ci, rr, (lo, hi), measure)


def rosenbaum_bounds(differences: Any, gamma: Any = (1, 1.5, 2, 3)) -> RosenbaumBounds:
    r"""Rosenbaum's sensitivity bounds for the Wilcoxon signed-rank test of matched pairs.

    In a matched pair, hidden bias of size :math:`\Gamma` lets the odds that the treated member
    is the one treated range over :math:`[1/\Gamma, \Gamma]`. For the signed-rank statistic
    :math:`T^+` (sum of the ranks of :math:`|d_i|` over pairs with treated-minus-comparison
    difference :math:`d_i > 0`, zeros dropped, ties averaged), the upper bound on its null
    distribution has mean :math:`p^+\sum r_i` and variance :math:`p^+(1-p^+)\sum r_i^2` with
    :math:`p^+ = \Gamma/(1+\Gamma)` (the lower bound: :math:`p^- = 1/(1+\Gamma)`); the
    one-sided p-values come from the normal approximation (Rosenbaum 2002, ch. 4). If the upper
    p-value stays below 0.05 up to :math:`\Gamma`, the finding survives hidden bias that
    multiplies the odds of treatment by :math:`\Gamma`.

    Parameters
    ----------
    differences
        Treated-minus-comparison outcome differences, one per matched pair (or use
        :meth:`MatchedSample.rosenbaum_bounds`).
    gamma
        The values of :math:`\Gamma \ge 1` to report.

    Returns
    -------
    RosenbaumBounds

    References
    ----------
    .. [1] Rosenbaum, P. R. (2002). Observational Studies, 2nd ed., ch. 4. Springer.
       https://doi.org/10.1007/978-1-4757-3692-2

    Examples
    --------
    >>> from aluna import evaluate
    >>> rb = evaluate.rosenbaum_bounds([3.0, 5.0, -1.0, 4.0, 2.0, 6.0], gamma=[1, 2])
    >>> rb.statistic, rb.table["p_upper"].round(4).to_list()
    (20.0, [0.0232, 0.0911])
    """
    d = np.asarray(differences, dtype=float)
    if d.ndim != 1 or d.size == 0 or not np.isfinite(d).all():
        raise ArgumentError("rosenbaum_bounds: expected finite pair differences")
    g = np.atleast_1d(np.asarray(gamma, dtype=float))
    if (g < 1).any() or not np.isfinite(g).all():
        raise ArgumentError(f"gamma: every value must be at least 1, got {g.tolist()}")
    d = d[d != 0]
    if d.size == 0:
        raise NotDefinedError("rosenbaum_bounds: every pair difference is zero")
    a = np.abs(d)
    order = np.argsort(a, kind="stable")
    ranks = np.empty(a.size)
    sorted_a = a[order]
    i = 0
    while i < a.size:
        j = i
        while j + 1 < a.size and sorted_a[j + 1] == sorted_a[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    t_plus = float(ranks[d > 0].sum())
    s1, s2 = ranks.sum(), (ranks**2).sum()
    upper, lower = [], []
    for gm in g:
        for p, out in ((gm / (1 + gm), upper), (1 / (1 + gm), lower)):
            mean, var = p * s1, p * (1 - p) * s2
            out.append(1.0 - _NORMAL.cdf((t_plus - mean) / math.sqrt(var)))
    table = pl.DataFrame({"gamma": g, "p_lower": lower, "p_upper": upper})
    return RosenbaumBounds(table, t_plus, int(d.size))


# ============================================================================ survival


def _rmst(
    time: np.ndarray,
    event: np.ndarray,
    entry: np.ndarray,
    w: np.ndarray,
    tau: float,
    cluster: np.ndarray | None,
) -> tuple[float, float]:
    """Weighted Kaplan–Meier RMST up to tau, and its infinitesimal-jackknife standard error."""
    use = w > 0
    ev = np.unique(time[use & (event == 1) & (time <= tau)])
    if ev.size == 0:
        return float(tau), 0.0
    order_t = np.argsort(time)
    ts, wt = time[order_t], w[order_t]
    cum_t = np.concatenate([[0.0], np.cumsum(wt)])
    order_e = np.argsort(entry)
    es, we = entry[order_e], w[order_e]
    cum_e = np.concatenate([[0.0], np.cumsum(we)])
    total = w.sum()
    # at risk at t_k: time >= t_k and entry < t_k
    at_time = total - cum_t[np.searchsorted(ts, ev, side="left")]
    entered_late = total - cum_e[np.searchsorted(es, ev, side="left")]
    at_risk = at_time - entered_late
    dmask = use & (event == 1) & (time <= tau)
    d = np.bincount(np.searchsorted(ev, time[dmask]), weights=w[dmask], minlength=ev.size)
    surv = np.cumprod(1.0 - d / at_risk)
    edges = np.concatenate([ev, [tau]])
    widths = np.diff(edges)
    rmst = float(ev[0] + (surv * widths).sum())
    tail = np.cumsum((surv * widths)[::-1])[::-1]  # A_k = ∫_{t_k}^tau S
    left = at_risk - d
    b = np.divide(tail, left, out=np.zeros_like(tail), where=left > 0)
    hazard = d / at_risk
    cum_b = np.concatenate([[0.0], np.cumsum(b * hazard)])
    k_hi = np.searchsorted(ev, np.minimum(time, tau), side="right")
    k_lo = np.searchsorted(ev, entry, side="right")
    at_risk_part = cum_b[k_hi] - cum_b[np.minimum(k_lo, k_hi)]
    event_part = np.zeros(time.size)
    k_ev = np.searchsorted(ev, time[dmask])
    event_part[dmask] = b[k_ev]
    c = w * (at_risk_part - event_part)
    if cluster is not None:
        _, inv = np.unique(cluster, return_inverse=True)
        c = np.bincount(inv, weights=c)
    return rmst, float(math.sqrt((c**2).sum()))


def _survival_effect(
    frame: pl.DataFrame,
    arm: str,
    *,
    duration: str,
    event: str,
    entry: str | None,
    wcol: str | None,
    robust: bool,
    cluster: str | None,
    adjust: Sequence[str],
    tau: float | None,
    level: float,
    method: str,
    rows_dropped: int,
    logrank_test: bool,
    estimand: str = "ATE",
) -> SurvivalEffect:
    from aluna.risk import CoxPH, kaplan_meier, logrank

    z = _z(level)
    curves = kaplan_meier(
        frame, duration=duration, event=event, group=arm, entry=entry, weights=wcol
    )
    time = frame.get_column(duration).cast(pl.Float64).to_numpy()
    ev = frame.get_column(event).cast(pl.Float64).to_numpy()
    if not np.isin(ev, (0.0, 1.0)).all():
        raise BadValueError(f"{method}: column `{event}`: expected 0 (censored) or 1 (event)")
    start = frame.get_column(entry).cast(pl.Float64).to_numpy() if entry else np.zeros(time.size)
    w = frame.get_column(wcol).cast(pl.Float64).to_numpy() if wcol else np.ones(time.size)
    t = frame.get_column(arm).cast(pl.Float64).to_numpy().astype(bool)
    clus = frame.get_column(cluster).to_numpy() if cluster else None
    reach = min(time[t & (w > 0)].max(), time[~t & (w > 0)].max())
    if tau is None:
        tau = float(reach)
    elif not (math.isfinite(tau) and 0 < tau <= reach):
        raise ArgumentError(
            f"tau: must be positive and at most {reach:g}, the longest follow-up both arms reach; "
            f"got {tau}"
        )
    per_arm = []
    for mask in (t, ~t):
        per_arm.append(
            _rmst(
                time[mask],
                ev[mask],
                start[mask],
                w[mask],
                tau,
                None if clus is None else clus[mask],
            )
        )
    (r1, s1), (r0, s0) = per_arm
    diff, sdiff = r1 - r0, math.sqrt(s1 * s1 + s0 * s0)
    n1, n0 = int((t & (w > 0)).sum()), int((~t & (w > 0)).sum())
    rmst_table = pl.DataFrame(
        {arm: [1, 0], "rmst": [r1, r0], "std_error": [s1, s0], "tau": [tau, tau]}
    )
    rmst_effect = Effect(
        estimate=diff,
        std_error=sdiff,
        ci_low=diff - z * sdiff,
        ci_high=diff + z * sdiff,
        method=method,
        n_treated=n1,
        n_comparison=n0,
        rows_dropped=rows_dropped,
        summary=effect_summary(f"{arm} (RMST difference at {tau:g})", diff, sdiff, level=level),
        measure="RMST difference",
        estimand=estimand,
        level=level,
        p_value=_p_value(diff, sdiff),
        standard_errors="infinitesimal jackknife (weights taken as known)",
        treatment=arm,
        outcome=duration,
        mean_treated=r1,
        mean_comparison=r0,
    )
    cox = CoxPH(level=level).fit(
        frame,
        duration=duration,
        event=event,
        covariates=[arm, *adjust],
        entry=entry,
        weights=wcol,
        robust=robust,
        cluster=cluster,
    )
    row = cox.summary.filter(pl.col("term") == arm).row(0, named=True)
    hr_effect = Effect(
        estimate=row["estimate"],
        std_error=row["std_error"],
        ci_low=row["ci_low"],
        ci_high=row["ci_high"],
        method=method,
        n_treated=n1,
        n_comparison=n0,
        rows_dropped=rows_dropped,
        summary=cox.summary.filter(pl.col("term") == arm),
        measure="log hazard ratio",
        estimand=estimand,
        level=level,
        p_value=row["p_value"],
        standard_errors="robust (sandwich)" if (robust or cluster) else "model-based",
        treatment=arm,
        outcome=event,
        model=cox,
    )
    lr = None
    if logrank_test:
        lr = logrank(frame, duration=duration, event=event, group=arm, entry=entry)
    summary = pl.concat(
        [rmst_effect.summary, hr_effect.summary.drop("hazard_ratio")], how="vertical"
    )
    return SurvivalEffect(
        curves, rmst_table, rmst_effect, hr_effect, lr, float(tau), method, summary
    )


def _warn_immortal(
    frame: pl.DataFrame,
    rows: np.ndarray,
    t: np.ndarray,
    start: str,
    entry: str | None,
    stacklevel: int,
) -> None:
    if start not in frame.columns:
        raise ColumnError(f"treatment_start: column `{start}` not found")
    s = frame.get_column(start).cast(pl.Float64).to_numpy()[rows]
    e = frame.get_column(entry).cast(pl.Float64).to_numpy()[rows] if entry else np.zeros(rows.size)
    late = (t == 1) & np.isfinite(s) & (s > e)
    if late.any():
        warnings.warn(
            f"{int(late.sum())} of {int(t.sum())} treated rows started the programme after time "
            f"zero (median {np.median(s[late]):g} time units later, column `{start}`): comparing "
            f"'ever treated' with 'never treated' from time zero credits the programme with the "
            f"time they had to survive to start it (immortal-time bias, Suissa 2008), which "
            f"exaggerates its benefit. Use evaluate.time_varying_cox(...) or "
            f"evaluate.landmark(...) instead",
            ImmortalTimeWarning,
            stacklevel=stacklevel,
        )


def survival_effect(
    df: Any,
    treatment: str,
    *,
    duration: str,
    event: str,
    covariates: Sequence[Any] = (),
    method: Literal["weighting", "adjustment", "unadjusted"] | None = None,
    entry: str | None = None,
    id: str | None = None,
    weights: str | None = None,
    tau: float | None = None,
    estimand: Literal["ATE", "ATT"] = "ATE",
    stabilized: bool = True,
    trim: Any = None,
    treatment_start: str | None = None,
    level: float = 0.95,
    missing: _design.Missing = "error",
) -> SurvivalEffect:
    r"""The programme's effect on time to re-offending: Kaplan–Meier curves by arm, the
    difference in restricted mean survival time (RMST) up to :math:`\tau`, and the hazard ratio.

    - ``method="weighting"`` (default with covariates): propensity weights (ATE or ATT, as
      :func:`ipw`) make the arms comparable; the curves are weighted Kaplan–Meier curves and
      the hazard ratio comes from a weighted Cox model with robust errors (Cole & Hernán 2004).
    - ``"adjustment"``: unweighted curves; a Cox model adjusted for the covariates.
    - ``"unadjusted"`` (default without covariates, e.g. a randomised programme).

    :math:`\mathrm{RMST}(\tau) = \int_0^\tau \hat S(t)\,dt` is the mean time free of
    re-offending over the first :math:`\tau` time units (Royston & Parmar 2013); its standard
    error is the infinitesimal jackknife of the (weighted) Kaplan–Meier curve,
    :math:`\sqrt{\sum_i c_i^2}`, with propensity weights taken as known (conservative for
    estimated ATE weights). :math:`\tau` defaults to the longest follow-up both arms reach.

    The survival arguments (``duration``, ``event``, ``entry``, ``id``, ``weights``) are those
    of :mod:`aluna.risk`. If participants started the programme at different times after
    time zero, pass the start column as ``treatment_start``: the comparison is then naive, and
    an :class:`ImmortalTimeWarning` says so (use :func:`time_varying_cox` or :func:`landmark`).

    Returns
    -------
    SurvivalEffect
        ``curves``, ``rmst``, ``rmst_difference``, ``hazard_ratio``, ``logrank``, ``plot()``.

    Warns
    -----
    ImmortalTimeWarning
        ``treatment_start`` shows treatment beginning after time zero.

    References
    ----------
    .. [1] Cole, S. R. & Hernán, M. A. (2004). Adjusted survival curves with inverse probability
       weights. Computer Methods and Programs in Biomedicine 75(1), 45-49.
       https://doi.org/10.1016/j.cmpb.2003.10.004
    .. [2] Royston, P. & Parmar, M. K. B. (2013). Restricted mean survival time: an alternative
       to the hazard ratio for the design and analysis of randomized trials with a time-to-event
       outcome. BMC Medical Research Methodology 13, 152.
       https://doi.org/10.1186/1471-2288-13-152

    Examples
    --------
    >>> import polars as pl
    >>> from aluna import evaluate
    >>> df = pl.DataFrame({
    ...     "weeks": [5, 8, 12, 20, 26, 30, 38, 52, 52, 52] * 2,
    ...     "arrested": [1, 1, 1, 1, 0, 1, 1, 0, 0, 0] * 2,
    ...     "aid": [0, 0, 1, 0, 1, 0, 1, 1, 0, 1] * 2})
    >>> eff = evaluate.survival_effect(df, "aid", duration="weeks", event="arrested")
    >>> round(eff.hazard_ratio.hazard_ratio[0], 4), round(eff.rmst_difference.estimate, 2)
    (0.3124, 17.27)
    """
    if method is None:
        method = "weighting" if covariates else "unadjusted"
    if method not in ("weighting", "adjustment", "unadjusted"):
        raise ArgumentError(
            f'method: expected "weighting", "adjustment" or "unadjusted", got {method!r}'
        )
    if method != "unadjusted" and not covariates:
        raise ArgumentError(f'method="{method}" needs covariates')
    if estimand not in ("ATE", "ATT"):
        raise ArgumentError(f'estimand: expected "ATE" or "ATT", got {estimand!r}')
    frame = as_frame(df, what="survival_effect")
    covs = list(covariates) if method != "unadjusted" else []
    p = _prepare(
        frame,
        treatment,
        covs,
        required=[duration, event, entry, id, weights],
        missing=missing,
        what="survival_effect",
    )
    if treatment_start is not None:
        _warn_immortal(frame, p.rows, p.t, treatment_start, entry, stacklevel=2)
    model = p.model.with_columns(pl.Series(treatment, p.t.astype(np.int64)))
    wcol = weights
    if method == "weighting":
        _, scores = _fit_propensity(p, what="survival_effect")
        bounds = _trim_bounds(trim, p)
        keep = np.ones(scores.size, dtype=bool)
        if bounds is not None:
            keep = (scores >= bounds[0]) & (scores <= bounds[1])
        t = p.t
        if estimand == "ATE":
            q = t / scores + (1 - t) / (1 - scores)
            if stabilized:
                share = t[keep].mean()
                q = q * np.where(t == 1, share, 1 - share)
        else:
            q = t + (1 - t) * scores / (1 - scores)
        base = (
            model.get_column(weights).cast(pl.Float64).to_numpy()
            if weights
            else np.ones(scores.size)
        )
        wcol = "__aluna_weight"
        model = model.with_columns(pl.Series(wcol, base * q)).filter(pl.Series(keep))
    return _survival_effect(
        model,
        treatment,
        duration=duration,
        event=event,
        entry=entry,
        wcol=wcol,
        robust=wcol is not None,
        cluster=id,
        adjust=p.names if method == "adjustment" else (),
        tau=tau,
        level=level,
        method=method,
        rows_dropped=p.design.rows_dropped,
        logrank_test=wcol is None,
        estimand=estimand,
    )


def landmark(
    df: Any,
    treatment_start: str,
    *,
    landmark: float,
    duration: str,
    event: str,
    covariates: Sequence[Any] = (),
    entry: str | None = None,
    weights: str | None = None,
    tau: float | None = None,
    name: str = "treated",
    level: float = 0.95,
    missing: _design.Missing = "error",
) -> SurvivalEffect:
    r"""Landmark analysis of a programme that people join at different times.

    Everyone still at risk at the landmark time :math:`L` (``duration > L``) is classified by
    whether they had started the programme by then (``treatment_start <= L``; null: never), and
    followed from :math:`L`. Nobody is credited with event-free time before their exposure is
    known, so there is no immortal-time bias; those who start after :math:`L` count as
    untreated, which dilutes the effect towards no effect (Dafni 2011). The effect is estimated
    as :func:`survival_effect` does (``"adjustment"`` with covariates), on time since :math:`L`.

    Parameters
    ----------
    df
        One row per person.
    treatment_start
        Column: when the person started the programme (same clock as ``duration``); null for
        those who never did.
    landmark
        The landmark time :math:`L`.
    duration, event, covariates, entry, weights, tau, level, missing
        As for :func:`survival_effect` (``tau`` counts from :math:`L`).
    name
        Name of the exposure column in the result.

    Returns
    -------
    SurvivalEffect

    References
    ----------
    .. [1] Dafni, U. (2011). Landmark analysis at the 25-year landmark point. Circulation:
       Cardiovascular Quality and Outcomes 4(3), 363-371.
       https://doi.org/10.1161/CIRCOUTCOMES.110.957951

    Examples
    --------
    >>> import polars as pl
    >>> from aluna import evaluate
    >>> df = pl.DataFrame({"days": [50, 400, 300, 900, 120, 700, 800, 60] * 5,
    ...                    "reoffended": [1, 1, 0, 0, 1, 1, 0, 1] * 5,
    ...                    "start": [None, 60, 90, 30, None, None, 80, 20] * 5})
    >>> eff = evaluate.landmark(df, "start", landmark=100, duration="days", event="reoffended")
    >>> eff.rmst_difference.n_treated, eff.rmst_difference.n_comparison
    (20, 10)
    """
    frame = as_frame(df, what="landmark")
    for c in (treatment_start, duration, event, entry, weights):
        if c is not None and c not in frame.columns:
            raise ColumnError(
                f"landmark: column `{c}` not found; the table has: {', '.join(frame.columns)}"
            )
    if not (isinstance(landmark, (int, float)) and math.isfinite(landmark) and landmark >= 0):
        raise ArgumentError(f"landmark: expected a non-negative time, got {landmark!r}")
    if name in frame.columns:
        raise ArgumentError(f"name: the table already has a column `{name}`")
    at_risk = pl.col(duration) > landmark
    if entry is not None:
        at_risk = at_risk & (pl.col(entry) < landmark)
    start = pl.col(treatment_start)
    sub = frame.filter(at_risk).with_columns(
        (start.is_not_null() & (start <= landmark)).cast(pl.Int64).alias(name),
        (pl.col(duration) - landmark).alias(duration),
    )
    if sub.height == 0:
        raise NotDefinedError(f"landmark: nobody is still at risk at time {landmark:g}")
    covs = list(covariates)
    p = _prepare(
        sub, name, covs, required=[duration, event, weights], missing=missing, what="landmark"
    )
    model = p.model.with_columns(pl.Series(name, p.t.astype(np.int64)))
    return _survival_effect(
        model,
        name,
        duration=duration,
        event=event,
        entry=None,
        wcol=weights,
        robust=weights is not None,
        cluster=None,
        adjust=p.names,
        tau=tau,
        level=level,
        method=f"landmark at {landmark:g}",
        rows_dropped=p.design.rows_dropped,
        logrank_test=weights is None,
    )


def time_varying_cox(
    df: Any,
    *,
    treatment_start: str,
    duration: str,
    event: str,
    covariates: Sequence[Any] = (),
    entry: str | None = None,
    weights: str | None = None,
    name: str = "treated",
    level: float = 0.95,
    missing: _design.Missing = "error",
) -> Effect:
    r"""The programme's hazard ratio with treatment as a time-varying covariate.

    Each person's follow-up ``(entry, duration]`` is split at ``treatment_start``: before it
    they count as untreated, after it as treated (counting-process rows ``(start, stop]``), so
    the wait before joining is credited to the untreated, and a Cox model (adjusted for
    ``covariates``) compares the hazards of the two states at the same time since release
    (Andersen & Gill 1982; Suissa 2008). This removes the immortal-time bias of the naive
    "ever treated" comparison.

    Parameters
    ----------
    df
        One row per person.
    treatment_start
        When the person started the programme (null: never).
    duration, event, covariates, entry, weights, level, missing
        As for :func:`survival_effect`.
    name
        Name of the exposure term.

    Returns
    -------
    Effect
        A log hazard ratio (``.hazard_ratio`` gives the ratio); ``model`` is the fitted
        :class:`aluna.risk.CoxPH` on the split rows.

    References
    ----------
    .. [1] Suissa, S. (2008). Immortal time bias in pharmacoepidemiology. American Journal of
       Epidemiology 167(4), 492-499. https://doi.org/10.1093/aje/kwm324

    Examples
    --------
    >>> import polars as pl
    >>> from aluna import evaluate
    >>> df = pl.DataFrame({"days": [50, 400, 300, 900, 120, 700, 800, 60] * 3,
    ...                    "reoffended": [1, 1, 0, 0, 1, 1, 0, 1] * 3,
    ...                    "start": [None, 60, 90, 30, None, None, 80, 20] * 3})
    >>> eff = evaluate.time_varying_cox(df, treatment_start="start", duration="days",
    ...                                 event="reoffended")
    >>> eff.measure, eff.model.n_obs
    ('log hazard ratio', 39)
    """
    from aluna.risk import CoxPH

    z = _z(level)
    frame = as_frame(df, what="time_varying_cox")
    for c in (treatment_start, duration, event, entry, weights):
        if c is not None and c not in frame.columns:
            raise ColumnError(
                f"time_varying_cox: column `{c}` not found; the table has: "
                f"{', '.join(frame.columns)}"
            )
    if name in frame.columns:
        raise ArgumentError(f"name: the table already has a column `{name}`")
    lo = pl.col(entry).cast(pl.Float64) if entry else pl.lit(0.0)
    s = pl.col(treatment_start).cast(pl.Float64)
    base = frame.with_columns(lo.alias("__aluna_start"), pl.int_range(pl.len()).alias("__aluna_id"))
    never = base.filter(s.is_null() | (s >= pl.col(duration))).with_columns(pl.lit(0).alias(name))
    whole = base.filter(s.is_not_null() & (s <= pl.col("__aluna_start"))).with_columns(
        pl.lit(1).alias(name)
    )
    split = base.filter(s.is_not_null() & (s > pl.col("__aluna_start")) & (s < pl.col(duration)))
    before = split.with_columns(
        pl.lit(0).alias(name),
        s.alias(duration),
        pl.lit(0).cast(frame.schema[event]).alias(event),
    )
    after = split.with_columns(pl.lit(1).alias(name), s.alias("__aluna_start"))
    long = pl.concat(
        [x.with_columns(pl.col(duration).cast(pl.Float64)) for x in (never, whole, before, after)],
        how="vertical_relaxed",
    ).sort("__aluna_id", "__aluna_start")
    n_late = split.height
    cox = CoxPH(level=level, missing=missing).fit(
        long,
        duration=duration,
        event=event,
        covariates=[name, *covariates],
        entry="__aluna_start",
        weights=weights,
        robust=weights is not None,
        id="__aluna_id" if weights is not None else None,
    )
    row = cox.summary.filter(pl.col("term") == name).row(0, named=True)
    people = long.group_by("__aluna_id").agg(pl.col(name).max())
    n1 = int(people[name].sum())
    return Effect(
        estimate=row["estimate"],
        std_error=row["std_error"],
        ci_low=row["estimate"] - z * row["std_error"],
        ci_high=row["estimate"] + z * row["std_error"],
        method=f"time-varying Cox ({n_late} follow-ups split at the start)",
        n_treated=n1,
        n_comparison=people.height - n1,
        rows_dropped=cox.rows_dropped,
        summary=cox.summary.filter(pl.col("term") == name),
        measure="log hazard ratio",
        level=level,
        p_value=row["p_value"],
        standard_errors="robust (sandwich) by person" if weights else "model-based",
        treatment=name,
        outcome=event,
        model=cox,
    )
