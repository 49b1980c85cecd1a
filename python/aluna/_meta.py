"""Random-effects meta-analysis: pooling estimates across sites without sharing microdata."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import polars as pl

from aluna import _results
from aluna.exceptions import ArgumentError, BadValueError, ConvergenceError

__all__ = ["MetaAnalysis", "meta_analysis"]


@dataclass(frozen=True, repr=False)
class MetaAnalysis:
    """A random-effects meta-analysis.

    Attributes
    ----------
    estimate, std_error, ci_low, ci_high
        The pooled effect :math:`\\hat\\mu` and its interval.
    tau2, tau
        Between-site variance :math:`\\hat\\tau^2` and its square root.
    i2
        :math:`I^2`: the share of the total variability due to differences between sites
        rather than sampling error (0 to 1).
    h2
        :math:`H^2 = (\\hat\\tau^2 + \\tilde v)/\\tilde v`.
    q, q_df, q_p_value
        Cochran's heterogeneity statistic, its degrees of freedom and p-value.
    prediction_low, prediction_high
        Prediction interval: where the effect in a new site is expected to fall.
    method, level, k
        ``"DL"`` or ``"REML"``; confidence level; number of sites.
    summary
        One-row table (term ``pooled``).
    table
        Per site: ``study``, ``estimate``, ``std_error``, ``ci_low``, ``ci_high``, ``weight``
        (random-effects weight, share of 1).
    """

    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    tau2: float
    tau: float
    i2: float
    h2: float
    q: float
    q_df: int
    q_p_value: float
    prediction_low: float
    prediction_high: float
    method: str
    level: float
    k: int
    summary: pl.DataFrame
    table: pl.DataFrame

    def plot(self, ax: Any = None, *, ratio: bool = False) -> Any:
        """Forest plot: each site's estimate and interval (square sized by weight), the pooled
        estimate as a diamond and the prediction interval as a line. ``ratio=True`` shows
        ``exp`` of log-scale estimates (odds or hazard ratios) on a log axis."""
        import matplotlib.pyplot as plt

        k = self.table.height
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 0.35 * k + 1.6))
        f = np.exp if ratio else (lambda v: v)
        y = np.arange(k)[::-1] + 2
        est = self.table["estimate"].to_numpy()
        lo = self.table["ci_low"].to_numpy()
        hi = self.table["ci_high"].to_numpy()
        w = self.table["weight"].to_numpy()
        ax.hlines(y, f(lo), f(hi), color="black", lw=1)
        ax.scatter(f(est), y, marker="s", s=20 + 200 * w / w.max(), color="black")
        d_x = [f(self.ci_low), f(self.estimate), f(self.ci_high), f(self.estimate)]
        ax.fill(d_x, [0.5, 0.75, 0.5, 0.25], color="tab:blue")
        ax.hlines(
            0.5, f(self.prediction_low), f(self.prediction_high), color="tab:blue", lw=1, ls=":"
        )
        ax.axvline(f(0.0), color="grey", lw=0.8, ls="--")
        ax.set_yticks([*y, 0.5])
        ax.set_yticklabels(
            [*[str(s) for s in self.table["study"].to_list()], f"pooled ({self.method})"]
        )
        if ratio:
            ax.set_xscale("log")
        ax.set_xlabel("estimate" + (" (ratio, log scale)" if ratio else ""))
        ax.set_title(f"I² = {100 * self.i2:.0f}%, τ² = {self.tau2:.3g}", fontsize=9)
        return ax

    def _facts(self) -> list[tuple[str, Any]]:
        return [
            ("method", f"random effects, {self.method}"),
            ("sites", self.k),
            ("pooled estimate", self.estimate),
            ("interval", f"{self.ci_low:.4g} to {self.ci_high:.4g}"),
            ("prediction interval", f"{self.prediction_low:.4g} to {self.prediction_high:.4g}"),
            ("tau²", self.tau2),
            ("I²", self.i2),
            ("Q", f"{self.q:.3f} on {self.q_df} df, p={self.q_p_value:.3g}"),
        ]

    def _repr_html_(self) -> str:
        return (
            _results.facts_html("Meta-analysis", self._facts())
            + _results.table_html(self.summary)
            + _results.table_html(self.table)
        )

    def __repr__(self) -> str:
        return (
            f"MetaAnalysis(estimate={self.estimate:.4f}, ci=({self.ci_low:.4f}, "
            f"{self.ci_high:.4f}), tau2={self.tau2:.4g}, i2={self.i2:.3f}, method={self.method!r})"
        )


def _vector(values: Any, name: str) -> np.ndarray:
    try:
        v = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=float)
    except (TypeError, ValueError):
        raise ArgumentError(f"{name}: expected a sequence of numbers") from None
    if v.ndim != 1:
        raise ArgumentError(f"{name}: expected one value per site")
    bad = np.flatnonzero(~np.isfinite(v))
    if bad.size:
        raise BadValueError(f"{name}, site {bad[0]}: expected a finite number, found {v[bad[0]]}")
    return v


def _reml(y: np.ndarray, v: np.ndarray, start: float) -> float:
    tau2 = max(start, 0.0)
    for _ in range(200):
        w = 1.0 / (v + tau2)
        sw = w.sum()
        mu = (w * y).sum() / sw
        trace_p = sw - (w * w).sum() / sw
        trace_pp = (w * w).sum() - 2 * (w**3).sum() / sw + ((w * w).sum() / sw) ** 2
        score = (w * w * (y - mu) ** 2).sum() - trace_p
        step = score / trace_pp
        new = max(tau2 + step, 0.0)
        # Step halving keeps the restricted likelihood from falling.
        halvings = 0
        while _reml_loglik(y, v, new) < _reml_loglik(y, v, tau2) - 1e-12 and halvings < 30:
            step /= 2
            new = max(tau2 + step, 0.0)
            halvings += 1
        if abs(new - tau2) <= 1e-12 * (1 + tau2):
            return new
        tau2 = new
    raise ConvergenceError(
        'meta_analysis did not converge in 200 iterations (REML); try method="DL"'
    )


def _reml_loglik(y: np.ndarray, v: np.ndarray, tau2: float) -> float:
    w = 1.0 / (v + tau2)
    sw = w.sum()
    mu = (w * y).sum() / sw
    return float(-0.5 * (np.log(v + tau2).sum() + math.log(sw) + (w * (y - mu) ** 2).sum()))


def meta_analysis(
    estimates: Sequence[float] | Any,
    std_errors: Sequence[float] | Any,
    *,
    studies: Sequence[Any] | None = None,
    method: Literal["DL", "REML"] = "REML",
    level: float = 0.95,
) -> MetaAnalysis:
    r"""Pool per-site estimates by random-effects meta-analysis.

    Agencies that cannot share microdata can each fit the same model and share only an
    estimate and its standard error (a log hazard ratio, a calibration slope, an AUC); this
    pools them. Site *i* reports :math:`y_i` with variance :math:`v_i = \mathrm{se}_i^2`; the
    model is :math:`y_i = \mu + u_i + e_i`, :math:`u_i \sim N(0,\tau^2)` (true effects differ
    between sites), :math:`e_i\sim N(0, v_i)`.

    - ``"DL"``: DerSimonian & Laird's moment estimator
      :math:`\hat\tau^2 = \max(0, (Q-(k-1))/(\sum w_i - \sum w_i^2/\sum w_i))`,
      :math:`w_i = 1/v_i`, :math:`Q = \sum w_i(y_i-\hat\mu_{FE})^2`. Equal to statsmodels'
      ``combine_effects(method_re="dl")``.
    - ``"REML"``: restricted maximum likelihood by Fisher scoring (truncated at 0), as R
      ``metafor::rma(method="REML")``, whose estimates these equal; less biased than DL.

    Then :math:`\hat\mu = \sum w_i^*y_i/\sum w_i^*`, :math:`w_i^* = 1/(v_i+\hat\tau^2)`,
    :math:`\mathrm{se} = (\sum w_i^*)^{-1/2}`, Wald interval;
    :math:`I^2 = \hat\tau^2/(\hat\tau^2+\tilde v)` with
    :math:`\tilde v = (k-1)\sum w_i/((\sum w_i)^2-\sum w_i^2)` (Higgins & Thompson 2002), and
    the prediction interval :math:`\hat\mu \pm z\sqrt{\mathrm{se}^2+\hat\tau^2}` (metafor's
    default; with few sites Higgins et al. 2009 suggest a *t* quantile on *k* - 2 df, which
    widens it).

    Parameters
    ----------
    estimates, std_errors
        One estimate and standard error per site (on a scale where pooling is additive: log
        ratios, differences, logits).
    studies
        Site labels for the table and forest plot (default 1, 2, ...).
    method
        ``"REML"`` or ``"DL"``.
    level
        Confidence level.

    Returns
    -------
    MetaAnalysis

    Raises
    ------
    ArgumentError
        Fewer than two sites, lengths that differ, an unknown method.
    BadValueError
        A NaN estimate or a standard error that is not positive (site named).

    References
    ----------
    .. [1] DerSimonian, R. & Laird, N. (1986). Meta-analysis in clinical trials. Controlled
       Clinical Trials 7(3), 177-188. https://doi.org/10.1016/0197-2456(86)90046-2
    .. [2] Viechtbauer, W. (2005). Bias and efficiency of meta-analytic variance estimators in
       the random-effects model. Journal of Educational and Behavioral Statistics 30(3),
       261-293. https://doi.org/10.3102/10769986030003261
    .. [3] Higgins, J. P. T. & Thompson, S. G. (2002). Quantifying heterogeneity in a
       meta-analysis. Statistics in Medicine 21(11), 1539-1558. https://doi.org/10.1002/sim.1186

    Examples
    --------
    >>> from aluna.risk import meta_analysis
    >>> m = meta_analysis([0.10, 0.30, 0.35, 0.65], [0.10, 0.12, 0.15, 0.20], method="DL")
    >>> round(m.estimate, 4), round(m.tau2, 4), round(m.i2, 3)
    (0.3063, 0.0231, 0.561)
    """
    z = _results.z_value(level)
    if method not in ("DL", "REML"):
        raise ArgumentError(f'method: expected "DL" or "REML", got {method!r}')
    y = _vector(estimates, "estimates")
    se = _vector(std_errors, "std_errors")
    if y.size != se.size:
        raise ArgumentError(f"std_errors: {se.size} standard errors for {y.size} estimates")
    if y.size < 2:
        raise ArgumentError(f"estimates: a meta-analysis needs at least two sites, got {y.size}")
    bad = np.flatnonzero(se <= 0)
    if bad.size:
        raise BadValueError(
            f"std_errors, site {bad[0]}: expected a positive standard error, found {se[bad[0]]}"
        )
    labels = list(studies) if studies is not None else list(range(1, y.size + 1))
    if len(labels) != y.size:
        raise ArgumentError(f"studies: {len(labels)} labels for {y.size} sites")
    v = se**2
    k = y.size
    w = 1.0 / v
    sw = w.sum()
    mu_fe = (w * y).sum() / sw
    q = float((w * (y - mu_fe) ** 2).sum())
    c = sw - (w * w).sum() / sw
    tau2_dl = max(0.0, (q - (k - 1)) / c)
    tau2 = tau2_dl if method == "DL" else _reml(y, v, tau2_dl)
    ws = 1.0 / (v + tau2)
    mu = float((ws * y).sum() / ws.sum())
    mu_se = float(1.0 / math.sqrt(ws.sum()))
    typical = (k - 1) * sw / (sw**2 - (w * w).sum())
    i2 = tau2 / (tau2 + typical)
    h2 = (tau2 + typical) / typical
    pred = z * math.sqrt(mu_se**2 + tau2)
    summary = pl.DataFrame(
        {
            "term": ["pooled"],
            "estimate": [mu],
            "std_error": [mu_se],
            "statistic": [mu / mu_se],
            "p_value": [_results.normal_p(mu / mu_se)],
            "ci_low": [mu - z * mu_se],
            "ci_high": [mu + z * mu_se],
        }
    )
    table = pl.DataFrame(
        {
            "study": labels,
            "estimate": y,
            "std_error": se,
            "ci_low": y - z * se,
            "ci_high": y + z * se,
            "weight": ws / ws.sum(),
        }
    )
    return MetaAnalysis(
        mu,
        mu_se,
        mu - z * mu_se,
        mu + z * mu_se,
        float(tau2),
        math.sqrt(tau2),
        float(i2),
        float(h2),
        q,
        k - 1,
        _results.chi2_p(q, k - 1),
        mu - pred,
        mu + pred,
        method,
        level,
        k,
        summary,
        table,
    )
