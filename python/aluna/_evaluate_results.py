"""The result objects of programme evaluation (``aluna.evaluate``): what a fit returns, how it
prints, plots and shows in a notebook. The computations live in ``aluna.evaluate``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from aluna import _results


def effect_summary(
    term: str, estimate: float, std_error: float, *, level: float, ratio: str | None = None
) -> pl.DataFrame:
    """The one-row term table of an effect."""
    se = std_error if math.isfinite(std_error) else None
    cov = None if se is None else [[se * se]]
    return _results.summary_frame([term], [estimate], cov, level=level, ratio=ratio)


def _ax(ax: Any, figsize: tuple[float, float] = (6, 4)) -> Any:
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


# ============================================================================ balance


@dataclass(frozen=True, repr=False)
class Balance:
    """Covariate balance between the arms, before and (when weighted) after.

    Attributes
    ----------
    table
        One row per model column: ``covariate``, ``mean_treated``, ``mean_comparison``,
        ``smd_before``, ``variance_ratio_before`` and, with weights, ``mean_treated_after``,
        ``mean_comparison_after``, ``smd_after``, ``variance_ratio_after``.
    estimand
        ``"ATT"`` (differences standardised by the treated arm's standard deviation) or
        ``"ATE"`` (by the root mean of both arms' variances).
    weighted
        Whether an "after" column set is present.
    rows_dropped
        Rows left out by ``missing="drop"``.
    """

    table: pl.DataFrame
    estimand: str
    weighted: bool
    rows_dropped: int

    @property
    def max_smd_before(self) -> float:
        """Largest absolute standardised mean difference before weighting."""
        return float(self.table["smd_before"].abs().max() or 0.0)  # type: ignore[arg-type]

    @property
    def max_smd_after(self) -> float | None:
        """Largest absolute standardised mean difference after weighting (None unweighted)."""
        if not self.weighted:
            return None
        return float(self.table["smd_after"].abs().max() or 0.0)  # type: ignore[arg-type]

    def love_plot(self, ax: Any = None, *, threshold: float = 0.1) -> Any:
        """Absolute standardised mean differences per covariate, before (open) and after
        (filled) weighting or matching, with the usual 0.1 threshold."""
        ax = _ax(ax, (6, 0.35 * self.table.height + 1.2))
        rows = self.table.reverse()
        y = np.arange(rows.height)
        ax.scatter(
            rows["smd_before"].abs().to_numpy(),
            y,
            facecolors="none",
            edgecolors="tab:red",
            label="before",
        )
        if self.weighted:
            ax.scatter(rows["smd_after"].abs().to_numpy(), y, color="tab:blue", label="after")
        ax.axvline(threshold, color="grey", ls="--", lw=0.8)
        ax.set_yticks(y)
        ax.set_yticklabels(rows["covariate"].to_list())
        ax.set_xlabel("absolute standardised mean difference")
        ax.legend()
        return ax

    def plot(self, ax: Any = None) -> Any:
        """The love plot (see :meth:`love_plot`)."""
        return self.love_plot(ax)

    def _repr_html_(self) -> str:
        facts: list[tuple[str, Any]] = [
            ("estimand", self.estimand),
            ("max |SMD| before", self.max_smd_before),
        ]
        if self.weighted:
            facts.append(("max |SMD| after", self.max_smd_after))
        facts.append(("rows dropped (missing)", self.rows_dropped))
        return _results.facts_html("Covariate balance", facts) + _results.table_html(self.table)

    def __repr__(self) -> str:
        after = f", max_smd_after={self.max_smd_after:.3f}" if self.weighted else ""
        return (
            f"Balance({self.table.height} covariates, max_smd_before="
            f"{self.max_smd_before:.3f}{after})"
        )


# ============================================================================ effects


@dataclass(frozen=True, repr=False)
class Effect:
    """An estimated programme effect with its uncertainty and the sample it rests on.

    Attributes
    ----------
    estimate, std_error, ci_low, ci_high, p_value
        The effect, its standard error, confidence interval and two-sided p-value. For a
        hazard ratio these are on the log scale (``measure="log hazard ratio"``); see
        :attr:`hazard_ratio`.
    method
        How it was estimated (``"IPW"``, ``"AIPW"``, ``"difference in means"``, ...).
    n_treated, n_comparison
        Rows in each arm that the estimate uses.
    rows_dropped
        Rows left out by the missing-data policy.
    summary
        The same as a one-row term table (term, estimate, std_error, statistic, p_value,
        ci_low, ci_high; ``hazard_ratio`` for hazard ratios).
    estimand, measure, level
        ``"ATE"``/``"ATT"``; what the number is (``"risk difference"``, ``"mean
        difference"``, ``"log hazard ratio"``, ``"RMST difference"``); confidence level.
    rows_trimmed
        Rows left out by propensity trimming.
    standard_errors
        ``"influence function"``, ``"bootstrap (B replicates)"``, ``"HC1"``, ...
    treatment, outcome
        The columns.
    weights
        Per row (for weighting estimators): ``row``, ``propensity``, ``weight``.
    balance
        Covariate balance before and after weighting (weighting estimators).
    bootstrap
        The bootstrap replicates, when standard errors were bootstrapped.
    mean_treated, mean_comparison
        The two arm means whose difference is the estimate (outcome scale), when defined.
    model
        The fitted model behind a hazard ratio (a :class:`aluna.risk.CoxPH`).
    """

    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    method: str
    n_treated: int
    n_comparison: int
    rows_dropped: int
    summary: pl.DataFrame
    estimand: str = "ATE"
    measure: str = "difference"
    level: float = 0.95
    p_value: float = math.nan
    rows_trimmed: int = 0
    standard_errors: str = "influence function"
    treatment: str = ""
    outcome: str = ""
    weights: pl.DataFrame | None = None
    balance: Balance | None = None
    bootstrap: np.ndarray | None = None
    mean_treated: float = math.nan
    mean_comparison: float = math.nan
    model: Any = field(default=None, compare=False)

    @property
    def hazard_ratio(self) -> tuple[float, float, float]:
        """``(hazard ratio, ci_low, ci_high)`` for a log hazard ratio."""
        if self.measure != "log hazard ratio":
            from aluna.exceptions import ArgumentError

            raise ArgumentError(f"hazard_ratio: this effect is a {self.measure}")
        return (math.exp(self.estimate), math.exp(self.ci_low), math.exp(self.ci_high))

    def e_value(self, *, baseline_risk: float | None = None) -> Any:
        """The E-value of this effect (see :func:`aluna.evaluate.e_value`)."""
        from aluna.evaluate import e_value

        return e_value(self, baseline_risk=baseline_risk)

    def plot(self, ax: Any = None) -> Any:
        """The estimate with its confidence interval (hazard ratios on a log scale)."""
        ax = _ax(ax, (6, 1.6))
        est, lo, hi = self.estimate, self.ci_low, self.ci_high
        if self.measure == "log hazard ratio":
            est, lo, hi = math.exp(est), math.exp(lo), math.exp(hi)
            ax.set_xscale("log")
            ax.axvline(1.0, color="grey", ls="--", lw=0.8)
            ax.set_xlabel("hazard ratio")
        else:
            ax.axvline(0.0, color="grey", ls="--", lw=0.8)
            ax.set_xlabel(f"{self.measure} ({self.estimand})")
        ax.errorbar([est], [0], xerr=[[est - lo], [hi - est]], fmt="s", color="black", capsize=4)
        ax.set_yticks([0])
        ax.set_yticklabels([self.method])
        return ax

    def _facts(self) -> list[tuple[str, Any]]:
        return [
            ("method", self.method),
            ("estimand", self.estimand),
            ("measure", self.measure),
            ("treatment", self.treatment),
            ("outcome", self.outcome),
            ("treated rows", self.n_treated),
            ("comparison rows", self.n_comparison),
            ("rows dropped (missing)", self.rows_dropped),
            ("rows trimmed", self.rows_trimmed),
            ("standard errors", self.standard_errors),
            ("confidence level", self.level),
        ]

    def _repr_html_(self) -> str:
        out = _results.facts_html("Programme effect", self._facts())
        out += _results.table_html(self.summary)
        if self.balance is not None:
            out += "<p>Balance</p>" + _results.table_html(self.balance.table)
        return out

    def __str__(self) -> str:
        return _results.facts_text("Programme effect", self._facts()) + "\n" + str(self.summary)

    def __repr__(self) -> str:
        return (
            f"Effect(method={self.method!r}, estimand={self.estimand!r}, "
            f"estimate={self.estimate:.6g}, std_error={self.std_error:.4g}, "
            f"ci=({self.ci_low:.6g}, {self.ci_high:.6g}), n_treated={self.n_treated}, "
            f"n_comparison={self.n_comparison}, rows_dropped={self.rows_dropped})"
        )


# ============================================================================ propensity


@dataclass(frozen=True, repr=False)
class Propensity:
    """Propensity scores and the overlap of the arms.

    Attributes
    ----------
    scores
        Per row: ``row`` (or your ``id`` column), the treatment, ``propensity``.
    overlap
        Per arm: ``arm``, ``n``, ``min``, ``q01``, ``q05``, ``median``, ``q95``, ``q99``,
        ``max``, ``mean`` of the scores.
    common_support
        ``(low, high)``: the score range both arms reach.
    outside_support
        Rows whose score lies outside the common support.
    suggested_trim
        Crump et al.'s (2009) optimal bounds ``(alpha, 1 - alpha)`` (``(0, 1)``: no trimming
        needed), and :attr:`rows_trimmed` rows they would leave out.
    model
        The fitted :class:`aluna.risk.LogisticRegression`.
    summary
        The model's per-term table.
    advice
        A sentence on the overlap.
    rows_dropped
        Rows left out by ``missing="drop"``.
    """

    scores: pl.DataFrame
    overlap: pl.DataFrame
    common_support: tuple[float, float]
    outside_support: int
    suggested_trim: tuple[float, float]
    rows_trimmed: int
    model: Any
    treatment: str
    advice: str
    rows_dropped: int

    @property
    def summary(self) -> pl.DataFrame:
        """The propensity model's per-term table (log odds of participation)."""
        return self.model.summary

    def plot(self, ax: Any = None, *, bins: int = 30) -> Any:
        """Mirrored histograms of the scores by arm, with the common support marked."""
        ax = _ax(ax)
        p = self.scores["propensity"].to_numpy()
        t = self.scores[self.treatment].to_numpy().astype(bool)
        edges = np.linspace(0, 1, bins + 1)
        h1, _ = np.histogram(p[t], edges)
        h0, _ = np.histogram(p[~t], edges)
        width = edges[1] - edges[0]
        ax.bar(edges[:-1], h1, width=width, align="edge", color="tab:blue", label="treated")
        ax.bar(edges[:-1], -h0, width=width, align="edge", color="tab:orange", label="comparison")
        for v in self.common_support:
            ax.axvline(v, color="grey", ls="--", lw=0.8)
        ax.set_xlabel("propensity score")
        ax.set_ylabel("rows (comparison below)")
        ax.legend()
        return ax

    def _facts(self) -> list[tuple[str, Any]]:
        lo, hi = self.common_support
        a, b = self.suggested_trim
        return [
            ("treatment", self.treatment),
            ("rows", self.scores.height),
            ("rows dropped (missing)", self.rows_dropped),
            ("common support", f"{lo:.4f} to {hi:.4f}"),
            ("rows outside common support", self.outside_support),
            ("suggested trimming (Crump)", f"{a:.4f} to {b:.4f} ({self.rows_trimmed} rows)"),
            ("advice", self.advice),
        ]

    def _repr_html_(self) -> str:
        return (
            _results.facts_html("Propensity scores", self._facts())
            + _results.table_html(self.overlap)
            + _results.table_html(self.summary)
        )

    def __repr__(self) -> str:
        lo, hi = self.common_support
        return (
            f"Propensity({self.scores.height} rows, common_support=({lo:.4f}, {hi:.4f}), "
            f"outside_support={self.outside_support}, rows_dropped={self.rows_dropped})"
        )


# ============================================================================ matching


@dataclass(frozen=True, repr=False)
class MatchedSample:
    """A matched sample.

    Attributes
    ----------
    data
        The matched rows of your table, in its order, with ``weight`` (MatchIt's ATT
        weights) and ``match_id`` (the matched set, without replacement; null with
        replacement, where a comparison row can serve several sets).
    pairs
        One row per match: the treated and comparison row (``treated``, ``comparison``: your
        ``id`` values, or row numbers), ``distance`` and ``round`` (1 for the first match).
    method
        ``"nearest"`` (on the propensity score) or ``"mahalanobis"``.
    n_treated, n_treated_unmatched, n_comparison
        Treated rows matched and left unmatched; comparison rows used.
    caliper
        The caliper on the distance's scale (None without).
    balance
        Balance before and after matching (when covariates were given).
    treatment
        The treatment column.
    rows_dropped
        Rows left out by ``missing="drop"``.
    """

    data: pl.DataFrame
    pairs: pl.DataFrame
    method: str
    n_treated: int
    n_treated_unmatched: int
    n_comparison: int
    caliper: float | None
    replace: bool
    ratio: int
    balance: Balance | None
    treatment: str
    rows_dropped: int

    def effect(self, outcome: str, *, level: float = 0.95) -> Effect:
        """The ATT on the matched sample: the weighted difference in means of ``outcome``.

        Standard errors are cluster-robust by matched set (without replacement; Abadie &
        Spiess 2022, https://doi.org/10.1080/01621459.2020.1840383) or HC1 (with
        replacement, where they ignore that comparison rows are reused and are too small).
        """
        from aluna.evaluate import _matched_effect

        return _matched_effect(self, outcome, level=level)

    def rosenbaum_bounds(self, outcome: str, gamma: Any = (1, 1.5, 2, 3)) -> Any:
        """Rosenbaum bounds for 1:1 matched pairs (see :func:`aluna.evaluate.rosenbaum_bounds`)."""
        from aluna.evaluate import _pair_differences, rosenbaum_bounds

        return rosenbaum_bounds(_pair_differences(self, outcome), gamma=gamma)

    def plot(self, ax: Any = None) -> Any:
        """The love plot of balance before and after matching."""
        if self.balance is None:
            from aluna.exceptions import ArgumentError

            raise ArgumentError("plot: no covariates were given, so no balance was computed")
        return self.balance.love_plot(ax)

    def _facts(self) -> list[tuple[str, Any]]:
        return [
            ("method", self.method),
            ("ratio", self.ratio),
            ("replacement", "yes" if self.replace else "no"),
            ("caliper", "none" if self.caliper is None else self.caliper),
            ("treated matched", self.n_treated),
            ("treated unmatched", self.n_treated_unmatched),
            ("comparison rows used", self.n_comparison),
            ("rows dropped (missing)", self.rows_dropped),
        ]

    def _repr_html_(self) -> str:
        out = _results.facts_html("Matched sample", self._facts())
        if self.balance is not None:
            out += _results.table_html(self.balance.table)
        return out

    def __repr__(self) -> str:
        return (
            f"MatchedSample(method={self.method!r}, n_treated={self.n_treated}, "
            f"n_treated_unmatched={self.n_treated_unmatched}, n_comparison={self.n_comparison})"
        )


# ============================================================================ sensitivity


@dataclass(frozen=True, repr=False)
class EValue:
    """E-values (VanderWeele & Ding 2017): how strong an unmeasured confounder would have to
    be, on the risk-ratio scale with both treatment and outcome, to explain the estimate
    (``point``) or to move its confidence interval to include the null (``ci``).

    Attributes
    ----------
    point, ci
        The E-values of the estimate and of the interval limit closer to the null (1 when the
        interval already includes the null).
    risk_ratio, risk_ratio_ci
        The estimate and its interval as (approximate) risk ratios.
    measure
        The scale the estimate was given on.
    """

    point: float
    ci: float
    risk_ratio: float
    risk_ratio_ci: tuple[float, float]
    measure: str

    @property
    def table(self) -> pl.DataFrame:
        """One row: measure, risk_ratio, ci_low, ci_high, e_value, e_value_ci."""
        return pl.DataFrame(
            {
                "measure": [self.measure],
                "risk_ratio": [self.risk_ratio],
                "ci_low": [self.risk_ratio_ci[0]],
                "ci_high": [self.risk_ratio_ci[1]],
                "e_value": [self.point],
                "e_value_ci": [self.ci],
            }
        )

    def _repr_html_(self) -> str:
        return _results.facts_html(
            "E-value",
            [
                ("measure", self.measure),
                ("risk ratio", self.risk_ratio),
                ("E-value (estimate)", self.point),
                ("E-value (confidence limit)", self.ci),
            ],
        )

    def __repr__(self) -> str:
        return f"EValue(point={self.point:.4f}, ci={self.ci:.4f}, measure={self.measure!r})"


@dataclass(frozen=True, repr=False)
class RosenbaumBounds:
    """Rosenbaum's sensitivity bounds for the Wilcoxon signed-rank test of matched pairs.

    Attributes
    ----------
    table
        One row per Γ: ``gamma``, ``p_lower``, ``p_upper`` (the range of one-sided p-values
        for a positive effect when hidden bias may multiply the odds of treatment within a
        pair by up to Γ).
    statistic
        The signed-rank statistic :math:`T^+` (sum of the ranks of positive differences).
    pairs
        Pairs with a non-zero difference.
    """

    table: pl.DataFrame
    statistic: float
    pairs: int

    def sensitivity(self, alpha: float = 0.05) -> float | None:
        """The largest Γ in the table whose upper p-value is still below ``alpha``."""
        ok = self.table.filter(pl.col("p_upper") < alpha)
        return None if ok.height == 0 else float(ok["gamma"].max())  # type: ignore[arg-type]

    def plot(self, ax: Any = None) -> Any:
        """Upper and lower p-value bounds against Γ."""
        ax = _ax(ax)
        g = self.table["gamma"].to_numpy()
        ax.plot(g, self.table["p_upper"].to_numpy(), marker="o", label="upper bound")
        ax.plot(g, self.table["p_lower"].to_numpy(), marker="o", label="lower bound")
        ax.axhline(0.05, color="grey", ls="--", lw=0.8)
        ax.set_xlabel("Γ (hidden bias)")
        ax.set_ylabel("one-sided p-value")
        ax.legend()
        return ax

    def _repr_html_(self) -> str:
        return _results.facts_html(
            "Rosenbaum bounds (signed-rank test)",
            [("statistic T+", self.statistic), ("pairs", self.pairs)],
        ) + _results.table_html(self.table)

    def __repr__(self) -> str:
        return f"RosenbaumBounds(pairs={self.pairs}, statistic={self.statistic:g})"


# ============================================================================ survival


@dataclass(frozen=True, repr=False)
class SurvivalEffect:
    """A programme's effect on time to re-offending.

    Attributes
    ----------
    curves
        The (weighted) Kaplan–Meier curves by arm (:class:`aluna.risk.SurvivalCurve`).
    rmst
        Per arm: the arm, ``rmst`` (restricted mean time free of the event up to ``tau``),
        ``std_error``.
    rmst_difference
        Treated minus comparison RMST at ``tau``, an :class:`Effect`.
    hazard_ratio
        The treatment's log hazard ratio (Cox), an :class:`Effect`; ``.hazard_ratio`` gives
        the ratio.
    logrank
        The log-rank test between the arms (None when weighted).
    tau
        The horizon of the RMST.
    method
        ``"unadjusted"``, ``"weighting"``, ``"adjustment"`` or ``"landmark at L"``.
    summary
        The two effects as a term table.
    """

    curves: Any
    rmst: pl.DataFrame
    rmst_difference: Effect
    hazard_ratio: Effect
    logrank: Any
    tau: float
    method: str
    summary: pl.DataFrame

    def plot(self, ax: Any = None, *, ci: bool = True) -> Any:
        """The Kaplan–Meier curves by arm, with ``tau`` marked."""
        ax = self.curves.plot(ax, ci=ci)
        ax.axvline(self.tau, color="grey", ls=":", lw=0.8)
        return ax

    def _repr_html_(self) -> str:
        hr, lo, hi = self.hazard_ratio.hazard_ratio
        facts = [
            ("method", self.method),
            ("tau", self.tau),
            ("hazard ratio", f"{hr:.4f} ({lo:.4f} to {hi:.4f})"),
        ]
        if self.logrank is not None:
            facts.append(("log-rank p-value", self.logrank.p_value))
        return (
            _results.facts_html("Effect on time to event", facts)
            + _results.table_html(self.summary)
            + _results.table_html(self.rmst)
        )

    def __repr__(self) -> str:
        hr = self.hazard_ratio.hazard_ratio[0]
        return (
            f"SurvivalEffect(method={self.method!r}, hazard_ratio={hr:.4f}, "
            f"rmst_difference={self.rmst_difference.estimate:.4g}, tau={self.tau:g})"
        )
