"""Model evaluation: discrimination, accuracy, calibration, validation and recalibration.

Re-exported by :mod:`aluna.risk`. The heavy kernels (sorting, Fenwick sweeps, bootstraps,
lowess) run in Rust (``aluna_stats::metrics``); this module checks arguments, shapes tables
and draws plots.

Conventions: a ``score`` is larger for rows more likely to have the outcome (a probability, a
points total, a linear predictor); for survival data a larger score means an earlier event.
Every resampling routine takes ``seed`` and gives the same result for the same seed, whatever
the number of threads.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import polars as pl

from aluna import _native, _results
from aluna._interop import to_polars
from aluna._survival_args import as_frame
from aluna.exceptions import (
    AlunaError,
    ArgumentError,
    BadValueError,
    ColumnError,
    NotDefinedError,
)

__all__ = [
    "AreaUnderCurve",
    "BootstrapValidation",
    "BrierScore",
    "Calibration",
    "Concordance",
    "CrossValidation",
    "Recalibrated",
    "bootstrap_validation",
    "brier_score",
    "calibration",
    "concordance_index",
    "cross_validate",
    "recalibrate",
    "roc_auc",
    "roc_curve",
    "time_dependent_auc",
    "time_dependent_brier",
]


# ------------------------------------------------------------------------------ helpers


def _select(df: Any, columns: Sequence[str | None], *, what: str) -> pl.DataFrame:
    frame = as_frame(df, what=what)
    wanted = [c for c in dict.fromkeys(columns) if c is not None]
    for c in wanted:
        if not isinstance(c, str):
            raise ArgumentError(f"{what}: expected a column name, got {type(c).__name__}")
        if c not in frame.columns:
            raise ColumnError(f"column `{c}` not found; the table has: {', '.join(frame.columns)}")
    return frame.select(wanted)


def _binary(frame: pl.DataFrame, column: str) -> np.ndarray:
    s = frame.get_column(column)
    if s.null_count():
        row = int(s.is_null().arg_max() or 0)
        raise BadValueError(
            f"column `{column}`, row {row}: null where an outcome of 0 or 1 is required"
        )
    if not (s.dtype.is_numeric() or s.dtype == pl.Boolean):
        raise ColumnError(f"column `{column}`: expected 0/1 outcomes, found {s.dtype}")
    v = s.cast(pl.Float64).to_numpy()
    bad = np.flatnonzero((v != 0) & (v != 1))
    if bad.size:
        raise BadValueError(f"column `{column}`, row {bad[0]}: expected 0 or 1, found {v[bad[0]]}")
    return v


def _finite(frame: pl.DataFrame, column: str, expected: str = "a finite score") -> np.ndarray:
    s = frame.get_column(column)
    if s.null_count():
        row = int(s.is_null().arg_max() or 0)
        raise BadValueError(f"column `{column}`, row {row}: null where {expected} is required")
    if not (s.dtype.is_numeric() or s.dtype == pl.Boolean):
        raise ColumnError(f"column `{column}`: expected {expected}, found {s.dtype}")
    v = s.cast(pl.Float64).to_numpy()
    bad = np.flatnonzero(~np.isfinite(v))
    if bad.size:
        raise BadValueError(
            f"column `{column}`, row {bad[0]}: expected {expected}, found {v[bad[0]]}"
        )
    return v


def _probability(frame: pl.DataFrame, column: str, *, open_interval: bool = False) -> np.ndarray:
    p = _finite(frame, column, "a predicted probability")
    bad = (
        np.flatnonzero((p <= 0) | (p >= 1)) if open_interval else np.flatnonzero((p < 0) | (p > 1))
    )
    if bad.size:
        expected = (
            "a probability strictly between 0 and 1" if open_interval else "a probability in [0, 1]"
        )
        raise BadValueError(
            f"column `{column}`, row {bad[0]}: expected {expected}, found {p[bad[0]]}"
        )
    return p


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ArgumentError(f"seed: expected a non-negative integer, got {seed!r}")
    return int(seed)


def _check_replicates(replicates: Any, *, minimum: int = 1) -> int:
    if isinstance(replicates, bool) or not isinstance(replicates, (int, np.integer)):
        raise ArgumentError(f"replicates: expected an integer, got {replicates!r}")
    if replicates < minimum:
        raise ArgumentError(f"replicates: expected at least {minimum}, got {replicates}")
    return int(replicates)


def _percentile_ci(values: np.ndarray, level: float) -> tuple[float, float]:
    _results.z_value(level)
    lo, hi = np.quantile(values, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p) - np.log1p(-p)


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


# ------------------------------------------------------------------------------ ROC AUC


@dataclass(frozen=True, repr=False)
class AreaUnderCurve:
    """The area under the ROC curve, with its confidence interval.

    Attributes
    ----------
    estimate
        :math:`P(s_+ > s_-) + \\tfrac12 P(s_+ = s_-)` over pairs of a row with the outcome
        and one without.
    std_error
        DeLong's standard error (``method="delong"``) or the bootstrap standard deviation;
        None with fewer than two rows in a class.
    ci_low, ci_high
        The interval (None when it cannot be formed; see ``note``).
    level, method
        Confidence level; ``"delong"`` or ``"bootstrap"``.
    positives, negatives
        Rows with outcome 1 and 0.
    summary
        The same as a one-row table (term ``auc``).
    roc
        The ROC curve (``threshold``, ``false_positive_rate``, ``true_positive_rate``).
    note
        Why an interval is missing, else "".
    """

    estimate: float
    std_error: float | None
    ci_low: float | None
    ci_high: float | None
    level: float
    method: str
    positives: int
    negatives: int
    summary: pl.DataFrame
    roc: pl.DataFrame
    note: str = ""

    def plot(self, ax: Any = None) -> Any:
        """The ROC curve, with the chance diagonal."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(4.5, 4.5))
        ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
        ax.step(
            self.roc["false_positive_rate"].to_numpy(),
            self.roc["true_positive_rate"].to_numpy(),
            where="post",
            label=f"AUC {self.estimate:.3f}",
        )
        ax.set_xlabel("false positive rate (1 - specificity)")
        ax.set_ylabel("true positive rate (sensitivity)")
        ax.legend(loc="lower right")
        return ax

    def _facts(self) -> list[tuple[str, Any]]:
        facts: list[tuple[str, Any]] = [
            ("AUC", self.estimate),
            ("interval", f"{self.method}, level {self.level}"),
            ("outcome = 1", self.positives),
            ("outcome = 0", self.negatives),
        ]
        if self.note:
            facts.append(("note", self.note))
        return facts

    def _repr_html_(self) -> str:
        return _results.facts_html("ROC AUC", self._facts()) + _results.table_html(self.summary)

    def __repr__(self) -> str:
        ci = (
            f", ci=({self.ci_low:.4f}, {self.ci_high:.4f})"
            if self.ci_low is not None and self.ci_high is not None
            else ""
        )
        return f"AreaUnderCurve(estimate={self.estimate:.4f}{ci}, method={self.method!r})"


def _one_row(
    term: str, estimate: float, se: float | None, lo: float | None, hi: float | None
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "term": [term],
            "estimate": [estimate],
            "std_error": [se],
            "ci_low": [lo],
            "ci_high": [hi],
        },
        schema={
            "term": pl.String,
            "estimate": pl.Float64,
            "std_error": pl.Float64,
            "ci_low": pl.Float64,
            "ci_high": pl.Float64,
        },
    )


def roc_auc(
    df: Any,
    *,
    outcome: str,
    score: str,
    level: float = 0.95,
    method: Literal["delong", "bootstrap"] = "delong",
    replicates: int = 2000,
    seed: int = 0,
    threads: int | None = None,
) -> AreaUnderCurve:
    r"""The area under the ROC curve (the c statistic), with a confidence interval.

    :math:`\mathrm{AUC} = \frac{1}{PN}\sum_{i:y_i=1}\sum_{j:y_j=0}
    [\mathbb 1(s_i > s_j) + \tfrac12\mathbb 1(s_i = s_j)]`: the probability that a random
    person who re-offended has a higher score than one who did not. 0.5 is chance; Static-99R
    and CPORT reach about 0.70 to 0.75.

    - ``method="delong"``: DeLong, DeLong & Clarke-Pearson's (1988) variance from the placement
      values, interval :math:`\hat A \pm z\,\mathrm{se}` cut to [0, 1] (as R ``pROC``).
    - ``method="bootstrap"``: percentile interval of ``replicates`` stratified bootstrap
      replicates (outcome classes resampled separately, as ``pROC``), seeded.

    Parameters
    ----------
    df
        The data.
    outcome
        Column of 0/1 outcomes.
    score
        Column of scores (higher = more likely the outcome). NaN is an error.
    level
        Confidence level.
    method
        ``"delong"`` or ``"bootstrap"``.
    replicates, seed, threads
        For the bootstrap; the result depends on ``seed`` only, not on ``threads``.

    Returns
    -------
    AreaUnderCurve

    Raises
    ------
    NotDefinedError
        The outcome has one class only.
    BadValueError
        A null or NaN score, an outcome not 0/1 (column and row named).

    References
    ----------
    .. [1] DeLong, E. R., DeLong, D. M. & Clarke-Pearson, D. L. (1988). Comparing the areas
       under two or more correlated receiver operating characteristic curves: a nonparametric
       approach. Biometrics 44(3), 837-845. https://doi.org/10.2307/2531595
    .. [2] Hanley, J. A. & McNeil, B. J. (1982). The meaning and use of the area under a
       receiver operating characteristic (ROC) curve. Radiology 143(1), 29-36.
       https://doi.org/10.1148/radiology.143.1.7063747

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.risk import roc_auc
    >>> df = pl.DataFrame({"reoffended": [0, 0, 1, 1], "score": [1, 4, 3, 8]})
    >>> auc = roc_auc(df, outcome="reoffended", score="score")
    >>> auc.estimate
    0.75
    """
    z = _results.z_value(level)
    frame = _select(df, [outcome, score], what="roc_auc")
    estimate, se, pos, neg = _native.roc_auc_delong(frame, outcome, score)
    roc = roc_curve(frame, outcome=outcome, score=score)
    note = ""
    if method == "delong":
        if se is None:
            lo = hi = None
            note = (
                f"no DeLong interval: it needs at least two rows of each outcome "
                f"(found {pos} and {neg})"
            )
        else:
            lo, hi = max(0.0, estimate - z * se), min(1.0, estimate + z * se)
    elif method == "bootstrap":
        reps = np.asarray(
            _native.roc_auc_bootstrap(
                frame,
                outcome,
                score,
                _check_replicates(replicates, minimum=2),
                _check_seed(seed),
                stratified=True,
                threads=threads,
            )
        )
        se = float(reps.std(ddof=1))
        lo, hi = _percentile_ci(reps, level)
    else:
        raise ArgumentError(f'method: expected "delong" or "bootstrap", got {method!r}')
    return AreaUnderCurve(
        float(estimate),
        None if se is None else float(se),
        lo,
        hi,
        level,
        method,
        int(pos),
        int(neg),
        _one_row("auc", float(estimate), se, lo, hi),
        roc,
        note,
    )


def roc_curve(df: Any, *, outcome: str, score: str, weights: str | None = None) -> pl.DataFrame:
    """The ROC curve at every distinct score, from the highest threshold down.

    The values equal scikit-learn's ``roc_curve(..., drop_intermediate=False)``.

    Returns
    -------
    polars.DataFrame
        ``threshold`` (a row is called positive when ``score >= threshold``; the first row is
        ``inf``), ``false_positive_rate``, ``true_positive_rate``.

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.risk import roc_curve
    >>> df = pl.DataFrame({"y": [0, 1, 1], "score": [0.2, 0.5, 0.9]})
    >>> roc_curve(df, outcome="y", score="score")["true_positive_rate"].to_list()
    [0.0, 0.5, 1.0, 1.0]
    """
    frame = _select(df, [outcome, score, weights], what="roc_curve")
    return to_polars(_native.roc_curve_table(frame, outcome, score, weights=weights))


# ------------------------------------------------------------------------- concordance


@dataclass(frozen=True, repr=False)
class Concordance:
    """A concordance index (Harrell's or Uno's), with its pair counts.

    Attributes
    ----------
    estimate
        The share of comparable pairs ordered correctly (ties in the score count ½).
    method
        ``"harrell"`` or ``"uno"``.
    concordant, discordant, tied_risk, comparable
        Pair counts (weighted by :math:`1/\\hat G(T_i)^2` for Uno's).
    ci_low, ci_high, std_error
        Bootstrap percentile interval and standard deviation when ``replicates`` > 0, else None.
    tau
        Uno's truncation time, or None.
    level
        Confidence level.
    """

    estimate: float
    method: str
    concordant: float
    discordant: float
    tied_risk: float
    comparable: float
    ci_low: float | None
    ci_high: float | None
    std_error: float | None
    tau: float | None
    level: float

    @property
    def summary(self) -> pl.DataFrame:
        """One-row table (term ``concordance``)."""
        return _one_row("concordance", self.estimate, self.std_error, self.ci_low, self.ci_high)

    def _repr_html_(self) -> str:
        facts = [
            ("method", self.method + (f" (tau = {self.tau})" if self.tau is not None else "")),
            ("concordance", self.estimate),
            ("comparable pairs", self.comparable),
            ("concordant", self.concordant),
            ("discordant", self.discordant),
            ("tied in score", self.tied_risk),
        ]
        return _results.facts_html("Concordance index", facts) + _results.table_html(self.summary)

    def __repr__(self) -> str:
        return f"Concordance(estimate={self.estimate:.4f}, method={self.method!r})"


def concordance_index(
    df: Any,
    *,
    duration: str,
    event: str,
    score: str,
    method: Literal["harrell", "uno"] = "harrell",
    tau: float | None = None,
    strata: str | None = None,
    censoring: Any = None,
    level: float = 0.95,
    replicates: int = 0,
    seed: int = 0,
    threads: int | None = None,
) -> Concordance:
    r"""Harrell's or Uno's concordance index of a risk score with survival times.

    A pair of rows is *comparable* when one had the event before the other's time (or at the
    same time, the other censored); it is *concordant* when that earlier row has the higher
    ``score``. Harrell's C is the share of comparable pairs that are concordant (ties in score
    count ½). It depends on the censoring; Uno's C weights each pair by
    :math:`1/\hat G(T_i)^2` (the Kaplan–Meier estimate of the censoring distribution at the
    earlier time) and counts events before ``tau`` only, which makes it consistent for a
    concordance free of the censoring pattern (Uno et al. 2011).

    Harrell's C equals lifelines' ``concordance_index(duration, -score, event)`` and runs in
    :math:`O(n \log n)` (a Fenwick tree over score ranks); Uno's equals scikit-survival's
    ``concordance_index_ipcw``.

    Parameters
    ----------
    duration, event
        Time and 0/1 event (1 = re-offence observed).
    score
        Risk score: higher = earlier event (a linear predictor, a hazard ratio, a points
        total). For predicted survival times pass their negative.
    method
        ``"harrell"`` or ``"uno"``.
    tau
        Uno's truncation time (pairs whose earlier time is at or after ``tau`` are left out).
    strata
        Harrell's only: compare pairs within levels of this column.
    censoring
        Uno's only: a table (with the same ``duration`` and ``event`` columns) to estimate the
        censoring distribution from, such as the training data; default ``df``.
    level, replicates, seed, threads
        ``replicates`` > 0 adds a seeded bootstrap percentile interval (Harrell's only).

    Returns
    -------
    Concordance

    Raises
    ------
    NotDefinedError
        No comparable pair; a censoring weight of 0 at an event time (Uno's).

    References
    ----------
    .. [1] Harrell, F. E., Califf, R. M., Pryor, D. B., Lee, K. L. & Rosati, R. A. (1982).
       Evaluating the yield of medical tests. JAMA 247(18), 2543-2546.
       https://doi.org/10.1001/jama.1982.03320430047030
    .. [2] Uno, H., Cai, T., Pencina, M. J., D'Agostino, R. B. & Wei, L. J. (2011). On the
       C-statistics for evaluating overall adequacy of risk prediction procedures with censored
       survival data. Statistics in Medicine 30(10), 1105-1117. https://doi.org/10.1002/sim.4154

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.risk import concordance_index
    >>> df = pl.DataFrame({"weeks": [1, 2, 3], "arrested": [1, 1, 0], "risk": [3, 1, 2]})
    >>> c = concordance_index(df, duration="weeks", event="arrested", score="risk")
    >>> round(c.estimate, 4), c.comparable
    (0.6667, 3.0)
    """
    _results.z_value(level)
    if method not in ("harrell", "uno"):
        raise ArgumentError(f'method: expected "harrell" or "uno", got {method!r}')
    if method == "uno" and strata is not None:
        raise ArgumentError(
            'strata: Uno\'s concordance is not stratified here; use method="harrell"'
        )
    if method == "harrell" and (tau is not None or censoring is not None):
        raise ArgumentError('tau/censoring: only for method="uno"')
    frame = _select(df, [duration, event, score, strata], what="concordance_index")
    strata_col = None
    if strata is not None:
        values = frame.get_column(strata)
        if values.null_count():
            row = int(values.is_null().arg_max() or 0)
            raise BadValueError(f"column `{strata}`, row {row}: null stratum")
        levels = values.cast(pl.String).unique().sort()
        codes = values.cast(pl.String).replace_strict(
            levels, list(range(levels.len())), return_dtype=pl.Int64
        )
        frame = frame.with_columns(codes.alias("__aluna_stratum"))
        strata_col = "__aluna_stratum"
    cens = None
    if censoring is not None:
        cens = _select(censoring, [duration, event], what="concordance_index(censoring=...)")
    est, conc, disc, tied, comp = _native.concordance_counts(
        frame,
        duration,
        event,
        score,
        strata=strata_col,
        method=method,
        tau=None if tau is None else float(tau),
        censoring=cens,
    )
    lo = hi = se = None
    if replicates:
        if method != "harrell":
            raise ArgumentError('replicates: bootstrap intervals are for method="harrell"')
        reps = np.asarray(
            _native.concordance_bootstrap(
                frame,
                duration,
                event,
                score,
                _check_replicates(replicates, minimum=2),
                _check_seed(seed),
                strata=strata_col,
                threads=threads,
            )
        )
        lo, hi = _percentile_ci(reps, level)
        se = float(reps.std(ddof=1))
    return Concordance(est, method, conc, disc, tied, comp, lo, hi, se, tau, level)


# ------------------------------------------------------------------------------ Brier


@dataclass(frozen=True, repr=False)
class BrierScore:
    """The Brier score of predicted probabilities.

    Attributes
    ----------
    estimate
        :math:`\\frac1n\\sum (y_i - p_i)^2` (0 is perfect).
    scaled
        :math:`1 - \\mathrm{BS}/(\\bar y(1-\\bar y))`: the share of the error of always
        predicting the base rate that the model removes (1 is perfect, 0 no better).
    n
        Rows.
    """

    estimate: float
    scaled: float
    n: int

    def __repr__(self) -> str:
        return f"BrierScore(estimate={self.estimate:.5f}, scaled={self.scaled:.4f}, n={self.n})"

    def _repr_html_(self) -> str:
        return _results.facts_html(
            "Brier score",
            [("Brier score", self.estimate), ("scaled", self.scaled), ("rows", self.n)],
        )


def brier_score(df: Any, *, outcome: str, score: str) -> BrierScore:
    r"""The Brier score of predicted probabilities of a 0/1 outcome.

    :math:`\mathrm{BS} = \frac1n\sum_i (y_i - p_i)^2`, equal to scikit-learn's
    ``brier_score_loss``; ``scaled`` compares it with predicting the base rate for everyone.
    For survival outcomes at a time :math:`\tau` see :func:`time_dependent_brier`.

    References
    ----------
    .. [1] Brier, G. W. (1950). Verification of forecasts expressed in terms of probability.
       Monthly Weather Review 78(1), 1-3.
       https://doi.org/10.1175/1520-0493(1950)078%3C0001:VOFEIT%3E2.0.CO;2

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.risk import brier_score
    >>> df = pl.DataFrame({"y": [0, 1, 1, 0], "p": [0.1, 0.8, 0.6, 0.3]})
    >>> round(brier_score(df, outcome="y", score="p").estimate, 4)
    0.075
    """
    frame = _select(df, [outcome, score], what="brier_score")
    y = _binary(frame, outcome)
    p = _probability(frame, score)
    if y.size == 0:
        raise NotDefinedError("brier_score: the table has no rows")
    bs = float(np.mean((y - p) ** 2))
    base = float(y.mean())
    ref = base * (1 - base)
    if ref == 0:
        raise NotDefinedError(
            f"brier_score: column `{outcome}` has one outcome only, so the scaled Brier score "
            "is not defined"
        )
    return BrierScore(bs, 1 - bs / ref, int(y.size))


def _times(times: Any) -> list[float]:
    if isinstance(times, (int, float)):
        times = [times]
    out = [float(t) for t in times]
    if not out:
        raise ArgumentError("times: at least one time is needed")
    return out


def time_dependent_auc(
    df: Any,
    *,
    duration: str,
    event: str,
    score: str,
    times: float | Sequence[float],
    censoring: Any = None,
) -> pl.DataFrame:
    r"""The cumulative/dynamic AUC of a risk score at each of ``times``.

    At time :math:`\tau`, *cases* are rows with the event by :math:`\tau` and *controls* the
    rows still event-free after it:
    :math:`\mathrm{AUC}(\tau) = \sum_i\sum_j w_i\,\mathbb 1(s_i > s_j) / (\sum_i w_i \cdot
    n_{\text{controls}})` with :math:`w_i = 1/\hat G(T_i)` for cases (inverse probability of
    censoring, :math:`\hat G` the Kaplan–Meier estimate of the censoring distribution) and ties
    in score counting ½. "How well does the score separate those who re-offend within five
    years from those who do not", with censoring accounted for. Equal to scikit-survival's
    ``cumulative_dynamic_auc``.

    Parameters
    ----------
    duration, event, score
        As for :func:`concordance_index`.
    times
        One time or several.
    censoring
        Table to estimate :math:`\hat G` from (same column names); default ``df``.

    Returns
    -------
    polars.DataFrame
        ``time``, ``auc``.

    Raises
    ------
    NotDefinedError
        At a time with no case or no control, or where :math:`\hat G` is 0 at a case's time
        (e.g. data all censored at one follow-up date, asked at or past that date).

    References
    ----------
    .. [1] Uno, H., Cai, T., Tian, L. & Wei, L. J. (2007). Evaluating prediction rules for
       t-year survivors with censored regression models. JASA 102(478), 527-537.
       https://doi.org/10.1198/016214507000000149
    .. [2] Hung, H. & Chiang, C.-T. (2010). Estimation methods for time-dependent AUC models
       with survival data. Canadian Journal of Statistics 38(1), 8-26.
       https://doi.org/10.1002/cjs.10046

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.risk import time_dependent_auc
    >>> df = pl.DataFrame({"t": [1, 2, 3, 4, 5], "e": [1, 1, 0, 1, 0], "risk": [5, 4, 1, 2, 0]})
    >>> time_dependent_auc(df, duration="t", event="e", score="risk", times=[2.5]).rows()
    [(2.5, 1.0)]
    """
    ts = _times(times)
    frame = _select(df, [duration, event, score], what="time_dependent_auc")
    cens = None if censoring is None else _select(censoring, [duration, event], what="censoring")
    auc = _native.time_dependent_auc_values(frame, duration, event, score, ts, censoring=cens)
    return pl.DataFrame({"time": ts, "auc": auc})


def time_dependent_brier(
    df: Any,
    *,
    duration: str,
    event: str,
    times: float | Sequence[float],
    survival: str | Sequence[str] | Any,
    censoring: Any = None,
) -> pl.DataFrame:
    r"""The Brier score of predicted survival at each of ``times``, with censoring weights.

    :math:`\mathrm{BS}(\tau) = \frac1n\sum_i\big[\hat S_i(\tau)^2\,
    \mathbb 1(T_i\le\tau,\delta_i=1)/\hat G(T_i) + (1-\hat S_i(\tau))^2\,
    \mathbb 1(T_i>\tau)/\hat G(\tau)\big]` (Graf et al. 1999), equal to scikit-survival's
    ``brier_score`` where its weights are defined. Where :math:`\hat G` is 0 (everyone still
    followed was censored, as when all follow-up ends on one date) scikit-survival silently
    drops the terms; here it is an error.

    Parameters
    ----------
    duration, event
        The survival columns.
    times
        One time or several.
    survival
        The predicted survival :math:`\hat S_i(\tau)`: a column name per time, or a fitted model
        with ``predict_survival(df, times)`` (:class:`~aluna.risk.CoxPH`).
    censoring
        Table to estimate :math:`\hat G` from; default ``df``.

    Returns
    -------
    polars.DataFrame
        ``time``, ``brier_score``.

    Raises
    ------
    NotDefinedError
        :math:`\hat G` is 0 at :math:`\tau` or at a case's time, or no one is followed beyond
        :math:`\tau`.

    References
    ----------
    .. [1] Graf, E., Schmoor, C., Sauerbrei, W. & Schumacher, M. (1999). Assessment and
       comparison of prognostic classification schemes for survival data. Statistics in
       Medicine 18(17-18), 2529-2545.

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.risk import time_dependent_brier
    >>> df = pl.DataFrame({"t": [1, 2, 3, 4], "e": [1, 0, 1, 0], "s": [0.5, 0.5, 0.5, 0.5]})
    >>> time_dependent_brier(df, duration="t", event="e", times=1.5, survival="s").rows()
    [(1.5, 0.25)]
    """
    ts = _times(times)
    frame = _select(df, [duration, event], what="time_dependent_brier")
    if isinstance(survival, str):
        survival = [survival]
    if hasattr(survival, "predict_survival"):
        pred = survival.predict_survival(df, ts)
        columns = []
        for k, t in enumerate(ts):
            col = f"__aluna_s{k}"
            values = pred.filter(pl.col("time") == t).sort("row").get_column("survival")
            frame = frame.with_columns(values.alias(col))
            columns.append(col)
    else:
        columns = list(survival)
        source = as_frame(df, what="time_dependent_brier")
        for c in columns:
            if c not in source.columns:
                raise ColumnError(
                    f"column `{c}` not found; the table has: {', '.join(source.columns)}"
                )
        frame = frame.with_columns(source.select(columns))
    cens = None if censoring is None else _select(censoring, [duration, event], what="censoring")
    bs = _native.time_dependent_brier_values(frame, duration, event, columns, ts, censoring=cens)
    return pl.DataFrame({"time": ts, "brier_score": bs})


# ------------------------------------------------------------------------- calibration


@dataclass(frozen=True, repr=False)
class Calibration:
    """Calibration of predicted probabilities: intercept, slope, binned and smoothed curves.

    Attributes
    ----------
    summary
        (``group``,) ``term`` (``calibration_intercept``, ``calibration_slope``),
        ``estimate``, ``std_error``, ``statistic`` (against 0 for the intercept, 1 for the
        slope), ``p_value``, ``ci_low``, ``ci_high``.
    table
        Binned curve: (``group``,) ``bin``, ``n``, ``mean_predicted``, ``observed``,
        ``ci_low``, ``ci_high`` (Wilson interval of the observed rate).
    smooth
        Lowess curve of the outcome on the prediction: (``group``,) ``predicted``,
        ``observed``; None when ``smooth=False``.
    overall
        (``group``,) ``n``, ``events``, ``mean_predicted``, ``observed_rate``,
        ``observed_to_expected``.
    group
        The group column, or None.
    level
        Confidence level.
    """

    summary: pl.DataFrame
    table: pl.DataFrame
    smooth: pl.DataFrame | None
    overall: pl.DataFrame
    group: str | None
    level: float

    def _value(self, term: str, column: str) -> float:
        if self.group is not None:
            raise ArgumentError(
                f"calibration by `{self.group}`: read the per-group values from .summary"
            )
        return float(self.summary.filter(pl.col("term") == term)[column].item())

    @property
    def intercept(self) -> float:
        """Calibration-in-the-large (ungrouped): 0 is right, > 0 the model under-predicts."""
        return self._value("calibration_intercept", "estimate")

    @property
    def slope(self) -> float:
        """Calibration slope (ungrouped): 1 is right, < 1 predictions are too extreme
        (overfitting), > 1 too moderate."""
        return self._value("calibration_slope", "estimate")

    @property
    def slope_ci(self) -> tuple[float, float]:
        """The slope's confidence interval (ungrouped)."""
        return (
            self._value("calibration_slope", "ci_low"),
            self._value("calibration_slope", "ci_high"),
        )

    def plot(self, ax: Any = None) -> Any:
        """Observed against predicted: bins with intervals, the lowess curve, the diagonal."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 5))
        top = float(max(self.table["mean_predicted"].max(), self.table["ci_high"].max()))  # type: ignore[arg-type]
        ax.plot([0, top], [0, top], color="grey", lw=0.8, ls="--", label="ideal")
        parts = (
            [(None, self.table, self.smooth)]
            if self.group is None
            else [
                (
                    key,
                    self.table.filter(pl.col(self.group) == key),
                    None if self.smooth is None else self.smooth.filter(pl.col(self.group) == key),
                )
                for key in self.overall[self.group].to_list()
            ]
        )
        for key, bins, smooth in parts:
            x = bins["mean_predicted"].to_numpy()
            y = bins["observed"].to_numpy()
            err = [y - bins["ci_low"].to_numpy(), bins["ci_high"].to_numpy() - y]
            label = "bins" if key is None else f"{key}"
            line = ax.errorbar(x, y, yerr=err, fmt="o", capsize=2, label=label)
            if smooth is not None:
                ax.plot(
                    smooth["predicted"].to_numpy(),
                    smooth["observed"].to_numpy(),
                    color=line[0].get_color(),
                    lw=1.2,
                )
        ax.set_xlabel("predicted probability")
        ax.set_ylabel("observed proportion")
        ax.legend(title=self.group)
        return ax

    def _repr_html_(self) -> str:
        return (
            _results.facts_html(
                "Calibration", [("group", self.group or "—"), ("level", self.level)]
            )
            + _results.table_html(self.summary)
            + _results.table_html(self.overall)
            + _results.table_html(self.table)
        )

    def __repr__(self) -> str:
        if self.group is None:
            return f"Calibration(intercept={self.intercept:.4f}, slope={self.slope:.4f})"
        return f"Calibration(by {self.group!r}, {self.overall.height} groups)"


def _wilson(events: np.ndarray, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    p = events / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def _bins(p: np.ndarray, bins: int, strategy: str) -> np.ndarray:
    # scikit-learn's calibration_curve binning, so bins agree with it.
    if strategy == "quantile":
        edges = np.percentile(p, np.linspace(0, 100, bins + 1))
    elif strategy == "uniform":
        edges = np.linspace(0.0, 1.0, bins + 1)
    else:
        raise ArgumentError(f'strategy: expected "quantile" or "uniform", got {strategy!r}')
    return np.searchsorted(edges[1:-1], p)


def _calibration_one(
    y: np.ndarray,
    p: np.ndarray,
    *,
    outcome: str,
    score: str,
    level: float,
    bins: int,
    strategy: str,
    smooth: bool,
    frac: float,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame | None, pl.DataFrame]:
    from aluna.risk import LogisticRegression

    z = _results.z_value(level)
    events = float(y.sum())
    if events == 0 or events == y.size:
        raise NotDefinedError(
            f"calibration: column `{outcome}` has one outcome only ({int(events)} of {y.size} "
            "rows are 1); intercept and slope need both"
        )
    lp = _logit(p)
    frame = pl.DataFrame({"y": y, "lp": lp})
    a, a_se = _native.calibration_in_the_large(frame, "y", "lp")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = LogisticRegression(level=level).fit(frame, outcome="y", covariates=["lp"])
    row = fit.summary.filter(pl.col("term") == "lp")
    if not fit.converged or row["std_error"].item() is None:
        raise NotDefinedError(
            f"calibration: the scores in `{score}` separate `{outcome}` perfectly, so the "
            "calibration slope runs off to infinity"
        )
    b, b_se = float(row["estimate"].item()), float(row["std_error"].item())
    summary = pl.DataFrame(
        {
            "term": ["calibration_intercept", "calibration_slope"],
            "estimate": [a, b],
            "std_error": [a_se, b_se],
            "statistic": [a / a_se, (b - 1) / b_se],
            "p_value": [_results.normal_p(a / a_se), _results.normal_p((b - 1) / b_se)],
            "ci_low": [a - z * a_se, b - z * b_se],
            "ci_high": [a + z * a_se, b + z * b_se],
        }
    )
    ids = _bins(p, bins, strategy)
    table = (
        pl.DataFrame({"bin": ids, "y": y, "p": p})
        .group_by("bin")
        .agg(n=pl.len().cast(pl.Int64), mean_predicted=pl.col("p").mean(), events=pl.col("y").sum())
        .sort("bin")
    )
    n = table["n"].to_numpy().astype(float)
    ev = table["events"].to_numpy()
    lo, hi = _wilson(ev, n, z)
    table = table.with_columns(
        observed=pl.Series(ev / n),
        ci_low=pl.Series(lo),
        ci_high=pl.Series(hi),
    ).select("bin", "n", "mean_predicted", "observed", "ci_low", "ci_high")
    curve = None
    if smooth:
        grid = np.linspace(*np.quantile(p, [0.01, 0.99]), 100)
        fitted = _native.lowess_at(
            pl.DataFrame({"p": p, "y": y}), "p", "y", float(frac), list(grid)
        )
        curve = pl.DataFrame(
            {"predicted": grid, "observed": fitted},
            schema={"predicted": pl.Float64, "observed": pl.Float64},
        ).drop_nulls()
    overall = pl.DataFrame(
        {
            "n": [int(y.size)],
            "events": [int(events)],
            "mean_predicted": [float(p.mean())],
            "observed_rate": [events / y.size],
            "observed_to_expected": [events / float(p.sum())],
        }
    )
    return summary, table, curve, overall


def calibration(
    df: Any,
    *,
    outcome: str,
    score: str,
    group: str | None = None,
    bins: int = 10,
    strategy: Literal["quantile", "uniform"] = "quantile",
    smooth: bool = True,
    frac: float = 2 / 3,
    level: float = 0.95,
) -> Calibration:
    r"""How well predicted probabilities match observed rates, overall or per group.

    With :math:`\eta_i = \operatorname{logit} p_i` (the prediction on the log-odds scale):

    - **calibration intercept** (calibration-in-the-large): :math:`a` in
      :math:`\operatorname{logit} P(y_i=1) = a + \eta_i` (slope fixed at 1). 0 is right; a
      positive value means the model predicts too few outcomes here, the usual finding when a
      tool built in one jurisdiction meets a higher base rate in another.
    - **calibration slope**: :math:`b` in :math:`\operatorname{logit} P(y_i=1) = a' + b\,\eta_i`.
      1 is right; :math:`b<1` means predictions are too extreme (overfitting), :math:`b>1` too
      timid.
    - binned curve: the mean prediction and observed rate (Wilson interval) in ``bins`` bins
      (scikit-learn's ``calibration_curve`` binning), and a lowess curve of the outcome on the
      prediction (statsmodels' ``lowess(it=0)``, as ``rms::val.prob``) on 100 points from the
      1st to the 99th percentile of the predictions.

    Both are the estimates of a logistic recalibration, as statsmodels' ``GLM`` with an offset
    and ``Logit`` give them; standard errors are model-based.

    Parameters
    ----------
    df
        Data the model was not fitted on (a validation sample, another jurisdiction).
    outcome
        0/1 outcome column.
    score
        Predicted probabilities, strictly between 0 and 1.
    group
        Column whose levels (jurisdictions, sites, groups) get their own calibration.
    bins, strategy
        Number of bins; ``"quantile"`` (equal counts) or ``"uniform"`` (equal widths).
    smooth, frac
        Whether to add the lowess curve, and its span.
    level
        Confidence level.

    Returns
    -------
    Calibration

    Raises
    ------
    BadValueError
        A score of 0, 1, NaN or null (row named); an outcome not 0/1.
    NotDefinedError
        A group (or the data) with one outcome only.

    References
    ----------
    .. [1] Cox, D. R. (1958). Two further applications of a model for binary regression.
       Biometrika 45(3-4), 562-565. https://doi.org/10.1093/biomet/45.3-4.562
    .. [2] Van Calster, B., Nieboer, D., Vergouwe, Y., De Cock, B., Pencina, M. J. &
       Steyerberg, E. W. (2016). A calibration hierarchy for risk models was defined: from
       utopia to empirical data. Journal of Clinical Epidemiology 74, 167-176.
       https://doi.org/10.1016/j.jclinepi.2015.12.005

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.risk import calibration
    >>> df = pl.DataFrame({"y": [0, 1, 1, 0, 0, 1, 0, 1], "p": [0.2, 0.3, 0.6, 0.4, 0.7, 0.5,
    ...                                                         0.1, 0.8]})
    >>> cal = calibration(df, outcome="y", score="p", bins=2, smooth=False)
    >>> round(cal.intercept, 4), round(cal.slope, 4)
    (0.2556, 0.9882)
    """
    if not isinstance(bins, int) or bins < 1:
        raise ArgumentError(f"bins: expected a positive integer, got {bins!r}")
    frame = _select(df, [outcome, score, group], what="calibration")
    y = _binary(frame, outcome)
    p = _probability(frame, score, open_interval=True)
    kw = dict(
        outcome=outcome,
        score=score,
        level=level,
        bins=bins,
        strategy=strategy,
        smooth=smooth,
        frac=frac,
    )
    if group is None:
        summary, table, curve, overall = _calibration_one(y, p, **kw)  # type: ignore[arg-type]
        return Calibration(summary, table, curve, overall, None, level)
    g = frame.get_column(group)
    if g.null_count():
        raise BadValueError(f"column `{group}`, row {int(g.is_null().arg_max() or 0)}: null group")
    parts: dict[str, list[pl.DataFrame]] = {"summary": [], "table": [], "smooth": [], "overall": []}
    for key in g.unique().sort().to_list():
        mask = (g == key).to_numpy()
        try:
            out = _calibration_one(y[mask], p[mask], **kw)  # type: ignore[arg-type]
        except NotDefinedError as err:
            raise NotDefinedError(f"calibration in {group} = {key!r}: {err}") from None
        lit = pl.lit(key, dtype=g.dtype).alias(group)
        for name, part in zip(parts, out, strict=True):
            if part is not None:
                parts[name].append(part.select(lit, pl.all()))
    return Calibration(
        pl.concat(parts["summary"]),
        pl.concat(parts["table"]),
        pl.concat(parts["smooth"]) if smooth else None,
        pl.concat(parts["overall"]),
        group,
        level,
    )


# ------------------------------------------------------------------------ model plumbing


def _kind(model: Any) -> str:
    from aluna.risk import CoxPH, LogisticRegression

    if isinstance(model, LogisticRegression):
        return "logistic"
    if isinstance(model, CoxPH):
        return "cox"
    raise ArgumentError(
        f"model: expected a LogisticRegression or CoxPH, got {type(model).__name__}"
    )


def _clone(model: Any) -> Any:
    return type(model)(**model.get_params())


def _linear_predictor(model: Any, df: Any) -> np.ndarray:
    """The fitted model's linear predictor on ``df`` (log-odds, or log relative hazard)."""
    if _kind(model) == "logistic":
        f = model._fitted()
        frame = as_frame(df, what="predict")
        names = list(f["design"].names)
        beta = np.asarray(f["result"]["coef"], dtype=float)
        x = f["design"].transform(frame, what="predict").select(names).to_numpy()
        if model.fit_intercept:
            return beta[0] + x @ beta[1:]
        return x @ beta
    return np.log(model.predict_risk(df).to_numpy())


def _outcome_columns(model: Any, fit: dict[str, Any]) -> tuple[str, ...]:
    if _kind(model) == "logistic":
        if "outcome" not in fit:
            raise ArgumentError("fit arguments: `outcome` is required for LogisticRegression")
        return (fit["outcome"],)
    for k in ("duration", "event"):
        if k not in fit:
            raise ArgumentError(f"fit arguments: `{k}` is required for CoxPH")
    return (fit["duration"], fit["event"])


def _complete(model: Any, frame: pl.DataFrame, fit: dict[str, Any]) -> pl.DataFrame:
    """With ``missing="drop"``, the rows complete in every column the fit uses (so that
    resampling and prediction see the rows the model sees); otherwise ``frame``."""
    if getattr(model, "missing", "error") != "drop":
        return frame
    from aluna import _design

    used = [
        c
        for spec in fit.get("covariates", ())
        for c in _design._sources(_design._as_term(spec, frame))
    ]
    used += [
        fit[k]
        for k in ("outcome", "duration", "event", "entry", "strata", "weights", "cluster", "id")
        if fit.get(k) is not None
    ]
    return frame.drop_nulls(list(dict.fromkeys(used)))


def _measures(
    model: Any, df: pl.DataFrame, fit: dict[str, Any], lp: np.ndarray
) -> dict[str, float]:
    """Discrimination and calibration of a linear predictor ``lp`` on ``df``."""
    if _kind(model) == "logistic":
        outcome = fit["outcome"]
        frame = pl.DataFrame({"y": df.get_column(outcome).cast(pl.Float64), "lp": lp})
        auc, _, _, _ = _native.roc_auc_delong(frame, "y", "lp")
        a, _ = _native.calibration_in_the_large(frame, "y", "lp")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            slope = _logistic_slope(frame)
        p = _expit(lp)
        brier = float(np.mean((frame["y"].to_numpy() - p) ** 2))
        return {
            "auc": float(auc),
            "calibration_intercept": float(a),
            "calibration_slope": slope,
            "brier_score": brier,
        }
    duration, event = fit["duration"], fit["event"]
    frame = pl.DataFrame({"t": df.get_column(duration), "e": df.get_column(event), "lp": lp})
    c = _native.concordance_counts(frame, "t", "e", "lp")[0]
    from aluna.risk import CoxPH

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        slope = float(CoxPH().fit(frame, duration="t", event="e", covariates=["lp"]).coef_[0])
    return {"concordance": float(c), "calibration_slope": slope}


def _logistic_slope(frame: pl.DataFrame) -> float:
    from aluna.risk import LogisticRegression

    return float(LogisticRegression().fit(frame, outcome="y", covariates=["lp"]).coef_[1])


# -------------------------------------------------------------------- cross-validation


@dataclass(frozen=True, repr=False)
class CrossValidation:
    """Out-of-fold predictions of a k-fold cross-validation, and their evaluation.

    Attributes
    ----------
    predictions
        ``row`` (position in the data), ``fold``, ``linear_predictor`` and, for logistic
        models, ``probability``: each row predicted by the model fitted without its fold.
    table
        Per fold: ``fold``, ``n_train``, ``n_test``, and the fold's measures (``auc`` and
        ``calibration_slope``, or ``concordance`` and ``calibration_slope`` for Cox models).
    summary
        The same measures on the pooled out-of-fold predictions, with intervals (DeLong for the
        AUC; model-based for the slope).
    folds, seed
        The settings.
    """

    predictions: pl.DataFrame
    table: pl.DataFrame
    summary: pl.DataFrame
    folds: int
    seed: int

    def _repr_html_(self) -> str:
        facts = [("folds", self.folds), ("seed", self.seed), ("rows", self.predictions.height)]
        return (
            _results.facts_html("Cross-validation", facts)
            + _results.table_html(self.summary)
            + _results.table_html(self.table)
        )

    def __repr__(self) -> str:
        return f"CrossValidation(folds={self.folds}, rows={self.predictions.height})"


def _fold_ids(labels: np.ndarray | None, n: int, folds: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    ids = np.empty(n, dtype=np.int64)
    if labels is None:
        perm = rng.permutation(n)
        ids[perm] = np.arange(n) % folds
        return ids
    offset = 0
    for value in np.unique(labels):
        rows = np.flatnonzero(labels == value)
        perm = rng.permutation(rows)
        ids[perm] = (np.arange(rows.size) + offset) % folds
        offset += rows.size
    return ids


def cross_validate(
    model: Any,
    df: Any,
    *,
    folds: int = 5,
    seed: int = 0,
    stratify: bool = True,
    level: float = 0.95,
    **fit: Any,
) -> CrossValidation:
    r"""Stratified k-fold cross-validation, returning out-of-fold predictions.

    Rows are shuffled with ``seed`` and dealt to ``folds`` folds, within each outcome class
    (``outcome`` for logistic models, ``event`` for Cox models) so every fold keeps the base
    rate. Each fold is predicted by a copy of ``model`` (same settings) fitted on the others.
    The same seed gives the same folds.

    Parameters
    ----------
    model
        An unfitted (or fitted; it is not changed) :class:`~aluna.risk.LogisticRegression` or
        :class:`~aluna.risk.CoxPH`.
    df
        The data.
    folds
        Number of folds (at least 2).
    seed
        Seed of the shuffle.
    stratify
        Deal rows to folds within outcome classes.
    level
        Confidence level of the pooled summary.
    **fit
        The arguments of ``model.fit`` (``outcome=``, ``covariates=``, or ``duration=``,
        ``event=``, ``covariates=`` ...).

    Returns
    -------
    CrossValidation

    Raises
    ------
    NotDefinedError
        A fold whose test or training part holds one outcome class only (the message gives the
        counts; use fewer folds).

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.risk import LogisticRegression, cross_validate
    >>> df = pl.DataFrame({"x": list(range(40)), "y": [0, 1, 0, 0, 1, 1, 0, 1] * 5})
    >>> cv = cross_validate(LogisticRegression(), df, folds=4, seed=1, outcome="y",
    ...                     covariates=["x"])
    >>> cv.predictions.height, sorted(cv.predictions["fold"].unique().to_list())
    (40, [0, 1, 2, 3])
    """
    kind = _kind(model)
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
        raise ArgumentError(f"folds: expected an integer of at least 2, got {folds!r}")
    seed = _check_seed(seed)
    columns = _outcome_columns(model, fit)
    frame = _complete(
        model, as_frame(df, what="cross_validate").with_row_index("__aluna_position"), fit
    )
    for c in columns:
        if c not in frame.columns:
            raise ColumnError(f"column `{c}` not found; the table has: {', '.join(frame.columns)}")
    status_col = columns[-1]
    status = frame.get_column(status_col)
    if status.null_count():
        raise BadValueError(
            f"column `{status_col}`, row {int(status.is_null().arg_max() or 0)}: null outcome"
        )
    labels = (status.cast(pl.Float64).to_numpy() > 0).astype(np.int64)
    if folds > frame.height:
        raise ArgumentError(f"folds: {folds} folds for {frame.height} rows")
    ids = _fold_ids(labels if stratify else None, frame.height, folds, seed)
    what = "events" if kind == "cox" else "rows with outcome 1"
    for k in range(folds):
        for part, mask in (("test", ids == k), ("training", ids != k)):
            present = np.unique(labels[mask])
            if present.size < 2:
                raise NotDefinedError(
                    f"cross_validate: the {part} part of fold {k} holds only `{status_col}` = "
                    f"{present[0] if present.size else 'nothing'} ({int(mask.sum())} rows; the "
                    f"data have {int(labels.sum())} {what} and {int((1 - labels).sum())} others); "
                    f"use fewer folds"
                )
    lp = np.empty(frame.height)
    rows = []
    for k in range(folds):
        train = frame.filter(pl.Series(ids != k))
        test = frame.filter(pl.Series(ids == k))
        fitted = _clone(model).fit(train, **fit)
        lp_k = _linear_predictor(fitted, test)
        lp[ids == k] = lp_k
        rows.append(
            {"fold": k, "n_train": train.height, "n_test": test.height}
            | _measures(model, test, fit, lp_k)
        )
    predictions = pl.DataFrame(
        {
            "row": frame["__aluna_position"].cast(pl.Int64),
            "fold": ids,
            "linear_predictor": lp,
        }
    )
    if kind == "logistic":
        predictions = predictions.with_columns(probability=pl.Series(_expit(lp)))
    table = pl.DataFrame(rows)
    z = _results.z_value(level)
    if kind == "logistic":
        pooled = pl.DataFrame({"y": labels, "p": _expit(lp)})
        auc = roc_auc(pooled, outcome="y", score="p", level=level)
        cal = calibration(pooled, outcome="y", score="p", level=level, smooth=False)
        summary = pl.concat(
            [auc.summary, cal.summary.select("term", "estimate", "std_error", "ci_low", "ci_high")]
        )
    else:
        pooled = pl.DataFrame({"t": frame.get_column(columns[0]), "e": labels, "lp": lp})
        c = concordance_index(pooled, duration="t", event="e", score="lp")
        from aluna.risk import CoxPH

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            slope_fit = CoxPH(level=level).fit(pooled, duration="t", event="e", covariates=["lp"])
        s = slope_fit.summary
        summary = pl.concat(
            [
                _one_row("concordance", c.estimate, None, None, None),
                _one_row(
                    "calibration_slope",
                    float(s["estimate"][0]),
                    float(s["std_error"][0]),
                    float(s["estimate"][0]) - z * float(s["std_error"][0]),
                    float(s["estimate"][0]) + z * float(s["std_error"][0]),
                ),
            ]
        )
    return CrossValidation(predictions, table, summary, folds, seed)


# --------------------------------------------------------------- bootstrap validation


@dataclass(frozen=True, repr=False)
class BootstrapValidation:
    """Harrell's bootstrap estimate of optimism, and the optimism-corrected measures.

    Attributes
    ----------
    table
        ``measure``, ``apparent`` (on the data the model was fitted on), ``optimism`` (the mean
        over replicates of the measure on the bootstrap sample minus on the original data),
        ``corrected`` (apparent minus optimism), ``replicates`` (used).
    replicates, seed
        Replicates asked for and the seed.
    failed
        Replicates whose fit failed (singular design in a resample); left out and counted.
    """

    table: pl.DataFrame
    replicates: int
    seed: int
    failed: int

    def corrected(self, measure: str) -> float:
        """The optimism-corrected value of ``measure`` (``auc``, ``calibration_slope`` ...)."""
        row = self.table.filter(pl.col("measure") == measure)
        if row.height == 0:
            raise ArgumentError(
                f"measure: {measure!r} not validated; have {', '.join(self.table['measure'])}"
            )
        return float(row["corrected"].item())

    def _repr_html_(self) -> str:
        facts = [("replicates", self.replicates), ("failed", self.failed), ("seed", self.seed)]
        return _results.facts_html("Bootstrap validation", facts) + _results.table_html(self.table)

    def __repr__(self) -> str:
        return f"BootstrapValidation(replicates={self.replicates}, failed={self.failed})"


def bootstrap_validation(
    model: Any,
    df: Any,
    *,
    replicates: int = 200,
    seed: int = 0,
    **fit: Any,
) -> BootstrapValidation:
    r"""Optimism-corrected discrimination and calibration slope by the bootstrap.

    A model looks better on the data it was fitted on than it will on new data. Harrell's
    bootstrap (Efron 1983; Harrell, Lee & Mark 1996) estimates by how much: for each of
    ``replicates`` resamples (drawn with ``seed``; replicate *b* from stream *(seed, b)*), fit
    the model on the resample, measure it on the resample and on the original data; the mean
    difference is the *optimism*, and apparent minus optimism the *corrected* measure. The
    corrected calibration slope is a shrinkage factor: below 1, predictions should be pulled
    towards the mean (Steyerberg 2019, ch. 5).

    Measures: logistic models: ``auc``, ``calibration_intercept``, ``calibration_slope``,
    ``brier_score``; Cox models: ``concordance`` (Harrell's), ``calibration_slope`` (the Cox
    coefficient of the linear predictor). Like R ``rms::validate``.

    Parameters
    ----------
    model
        A :class:`~aluna.risk.LogisticRegression` or :class:`~aluna.risk.CoxPH` (its settings
        are used; it is not changed).
    df
        The data.
    replicates, seed
        Bootstrap replicates and seed.
    **fit
        The arguments of ``model.fit``.

    Returns
    -------
    BootstrapValidation

    References
    ----------
    .. [1] Harrell, F. E., Lee, K. L. & Mark, D. B. (1996). Multivariable prognostic models:
       issues in developing models, evaluating assumptions and adequacy, and measuring and
       reducing errors. Statistics in Medicine 15(4), 361-387.
       https://doi.org/10.1002/(SICI)1097-0258(19960229)15:4%3C361::AID-SIM168%3E3.0.CO;2-4
    .. [2] Efron, B. (1983). Estimating the error rate of a prediction rule: improvement on
       cross-validation. JASA 78(382), 316-331. https://doi.org/10.1080/01621459.1983.10477973

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.risk import LogisticRegression, bootstrap_validation
    >>> df = pl.DataFrame({"x": [i % 7 for i in range(60)],
    ...                    "y": [0, 1, 0, 0, 1, 1, 0, 1, 0, 0] * 6})
    >>> v = bootstrap_validation(LogisticRegression(), df, replicates=20, seed=1, outcome="y",
    ...                          covariates=["x"])
    >>> v.table["measure"].to_list()
    ['auc', 'calibration_intercept', 'calibration_slope', 'brier_score']
    """
    _kind(model)
    replicates = _check_replicates(replicates)
    seed = _check_seed(seed)
    _outcome_columns(model, fit)
    frame = _complete(model, as_frame(df, what="bootstrap_validation"), fit)
    full = _clone(model).fit(frame, **fit)
    apparent = _measures(model, frame, fit, _linear_predictor(full, frame))
    optimism: list[dict[str, float]] = []
    failed = 0
    for b in range(replicates):
        rows = _native.bootstrap_rows(frame.height, seed, b)
        sample = frame[rows]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fitted = _clone(model).fit(sample, **fit)
                on_sample = _measures(model, sample, fit, _linear_predictor(fitted, sample))
                on_original = _measures(model, frame, fit, _linear_predictor(fitted, frame))
        except AlunaError:
            failed += 1
            continue
        optimism.append({k: on_sample[k] - on_original[k] for k in apparent})
    if not optimism:
        raise NotDefinedError(
            f"bootstrap_validation: every one of {replicates} replicate fits failed"
        )
    names = list(apparent)
    opt = {k: float(np.mean([o[k] for o in optimism])) for k in names}
    table = pl.DataFrame(
        {
            "measure": names,
            "apparent": [apparent[k] for k in names],
            "optimism": [opt[k] for k in names],
            "corrected": [apparent[k] - opt[k] for k in names],
            "replicates": [len(optimism)] * len(names),
        }
    )
    return BootstrapValidation(table, replicates, seed, failed)


# -------------------------------------------------------------------- recalibration


class Recalibrated:
    """A model recalibrated to new data: its linear predictor, re-scaled and re-centred.

    Made by :func:`recalibrate`. ``summary`` holds the recalibration coefficients (``intercept``
    and ``slope`` for logistic models; ``slope`` for Cox models with ``method="logistic"``);
    ``predict_proba`` (logistic) or ``predict_survival`` (Cox) give the recalibrated
    predictions.
    """

    def __init__(
        self,
        model: Any,
        method: str,
        summary: pl.DataFrame,
        intercept: float,
        slope: float,
        baseline: tuple[np.ndarray, np.ndarray] | None,
    ) -> None:
        self.model = model
        self.method = method
        self.summary = summary
        self.intercept = intercept
        self.slope = slope
        self._baseline = baseline

    def linear_predictor(self, df: Any) -> np.ndarray:
        """The recalibrated linear predictor of each row."""
        return self.intercept + self.slope * _linear_predictor(self.model, df)

    def predict_proba(self, df: Any) -> pl.Series:
        """Recalibrated probabilities (logistic models)."""
        if self._baseline is not None:
            raise ArgumentError(
                "predict_proba: a recalibrated Cox model predicts with predict_survival"
            )
        return pl.Series("probability", _expit(self.linear_predictor(df)))

    def predict_survival(self, df: Any, times: Sequence[float]) -> pl.DataFrame:
        """Recalibrated survival probabilities (Cox models), in the long format of
        :meth:`~aluna.risk.CoxPH.predict_survival`."""
        if self._baseline is None:
            raise ArgumentError("predict_survival: only for a recalibrated CoxPH")
        bt, bh = self._baseline
        ts = np.asarray([float(t) for t in times])
        idx = np.searchsorted(bt, ts, side="right")
        h = np.where(idx == 0, 0.0, bh[np.maximum(idx - 1, 0)])
        risk = np.exp(self.linear_predictor(df))
        n = risk.size
        return pl.DataFrame(
            {
                "row": np.repeat(np.arange(n), ts.size),
                "time": np.tile(ts, n),
                "survival": np.exp(-np.outer(risk, h)).ravel(),
            }
        )

    def _repr_html_(self) -> str:
        return _results.facts_html(
            "Recalibrated model", [("model", type(self.model).__name__), ("method", self.method)]
        ) + _results.table_html(self.summary)

    def __repr__(self) -> str:
        return (
            f"Recalibrated({type(self.model).__name__}, method={self.method!r}, "
            f"intercept={self.intercept:.4f}, slope={self.slope:.4f})"
        )


def _breslow(
    time: np.ndarray, event: np.ndarray, risk: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Breslow's cumulative baseline hazard for fixed relative risks ``risk``."""
    order = np.argsort(time, kind="stable")
    t, e, r = time[order], event[order], risk[order]
    at_risk = np.cumsum(r[::-1])[::-1]  # sum of risks of rows with time >= t[k]
    uniq = np.unique(t[e > 0])
    first = np.searchsorted(t, uniq, side="left")
    deaths = np.array([e[t == u].sum() for u in uniq])
    return uniq, np.cumsum(deaths / at_risk[first])


def recalibrate(
    model: Any,
    df: Any,
    *,
    method: Literal["intercept", "logistic"] = "logistic",
    level: float = 0.95,
    **outcome: str,
) -> Recalibrated:
    r"""Transport a fitted model to a new jurisdiction by recalibrating it on local data.

    A model's ranking (its linear predictor :math:`\eta`) often transports well while its
    absolute risks do not: base rates differ between jurisdictions and periods (published
    five-year rates for Static-99R differ several-fold between samples). Keeping :math:`\eta`
    and re-estimating only how it maps to risk fixes that with few local events
    (Steyerberg et al. 2004):

    - logistic models: ``"intercept"`` re-estimates :math:`a` in
      :math:`\operatorname{logit}P = a + \eta` (calibration-in-the-large, the slope kept at 1);
      ``"logistic"`` re-estimates both: :math:`\operatorname{logit}P = a + b\eta`.
    - Cox models: ``"intercept"`` re-estimates the baseline hazard (Breslow) with :math:`\eta`
      fixed; ``"logistic"`` refits a Cox model on :math:`\eta` (slope :math:`b`) with its own
      baseline.

    Parameters
    ----------
    model
        A fitted :class:`~aluna.risk.LogisticRegression` or unstratified
        :class:`~aluna.risk.CoxPH`.
    df
        Local data.
    method
        ``"intercept"`` or ``"logistic"``.
    level
        Confidence level of the coefficients.
    **outcome
        ``outcome=`` (logistic) or ``duration=`` and ``event=`` (Cox).

    Returns
    -------
    Recalibrated

    References
    ----------
    .. [1] Steyerberg, E. W., Borsboom, G. J. J. M., van Houwelingen, H. C., Eijkemans, M. J.
       C. & Habbema, J. D. F. (2004). Validation and updating of predictive logistic regression
       models: a study on sample size and shrinkage. Statistics in Medicine 23(16), 2567-2586.
       https://doi.org/10.1002/sim.1844

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.risk import LogisticRegression, recalibrate
    >>> old = pl.DataFrame({"x": [0, 1, 2, 3] * 10, "y": [0, 0, 1, 1, 0, 1, 0, 1] * 5})
    >>> new = old.with_columns(y=pl.Series([1, 0, 1, 1, 1, 1, 0, 1] * 5))
    >>> model = LogisticRegression().fit(old, outcome="y", covariates=["x"])
    >>> r = recalibrate(model, new, method="intercept", outcome="y")
    >>> round(float(r.predict_proba(new).mean()), 4) == round(new["y"].mean(), 4)
    True
    """
    kind = _kind(model)
    z = _results.z_value(level)
    if method not in ("intercept", "logistic"):
        raise ArgumentError(f'method: expected "intercept" or "logistic", got {method!r}')
    frame = as_frame(df, what="recalibrate")
    lp = _linear_predictor(model, frame)
    if kind == "logistic":
        y_col = outcome.get("outcome")
        if y_col is None:
            raise ArgumentError("outcome: the 0/1 outcome column is required")
        y = _binary(_select(frame, [y_col], what="recalibrate"), y_col)
        f = pl.DataFrame({"y": y, "lp": lp})
        if method == "intercept":
            a, se = _native.calibration_in_the_large(f, "y", "lp")
            summary = _one_row("intercept", a, se, a - z * se, a + z * se)
            return Recalibrated(model, method, summary, a, 1.0, None)
        from aluna.risk import LogisticRegression

        fit = LogisticRegression(level=level).fit(f, outcome="y", covariates=["lp"])
        s = fit.summary.with_columns(pl.col("term").replace({"lp": "slope"})).select(
            "term", "estimate", "std_error", "ci_low", "ci_high"
        )
        a, b = (float(v) for v in fit.coef_)
        return Recalibrated(model, method, s, a, b, None)
    duration, event = outcome.get("duration"), outcome.get("event")
    if duration is None or event is None:
        raise ArgumentError("duration, event: both survival columns are required for CoxPH")
    if model._fitted()["args"].strata is not None:
        raise ArgumentError("recalibrate: stratified Cox models are not supported")
    sel = _select(frame, [duration, event], what="recalibrate")
    t = _finite(sel, duration, "a duration")
    e = _binary(sel, event)
    if method == "intercept":
        base = _breslow(t, e, np.exp(lp))
        summary = _one_row("slope", 1.0, None, None, None)
        return Recalibrated(model, method, summary, 0.0, 1.0, base)
    from aluna.risk import CoxPH

    fit = CoxPH(level=level).fit(
        pl.DataFrame({"t": t, "e": e, "lp": lp}), duration="t", event="e", covariates=["lp"]
    )
    b = float(fit.coef_[0])
    s = fit.summary.with_columns(pl.lit("slope").alias("term")).select(
        "term", "estimate", "std_error", "ci_low", "ci_high"
    )
    base = _breslow(t, e, np.exp(b * lp))
    return Recalibrated(model, method, s, 0.0, b, base)
