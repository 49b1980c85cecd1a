"""Shared faces of fitted models and results: summary tables, HTML, plots."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from statistics import NormalDist
from typing import Any

import numpy as np
import polars as pl

from aluna import _native

_NORMAL = NormalDist()


def z_value(level: float) -> float:
    """The two-sided normal quantile for a confidence level."""
    if not 0 < level < 1:
        from aluna.exceptions import ArgumentError

        raise ArgumentError(f"level: must be between 0 and 1, got {level}")
    return _NORMAL.inv_cdf(0.5 + level / 2)


def normal_p(z: float) -> float:
    """Two-sided p-value of a standard normal statistic."""
    return 2.0 * (1.0 - _NORMAL.cdf(abs(z))) if math.isfinite(z) else 0.0


def chi2_p(statistic: float, df: float) -> float:
    """Upper-tail chi-squared p-value (computed in Rust with statrs)."""
    return float(_native.chi2_sf(float(statistic), float(df)))


def summary_frame(
    names: Sequence[str],
    estimate: Sequence[float],
    covariance: Sequence[Sequence[float]] | None,
    *,
    level: float,
    ratio: str | None = None,
) -> pl.DataFrame:
    """The per-term table: term, estimate, std_error, statistic, p_value, ci_low, ci_high, and
    ``ratio`` (``odds_ratio`` or ``hazard_ratio``: exp(estimate)) when given. Without a
    covariance, the inference columns are null."""
    z = z_value(level)
    est = np.asarray(estimate, dtype=float)
    if covariance is not None:
        se = np.sqrt(np.clip(np.diag(np.asarray(covariance, dtype=float)), 0, None))
        stat = np.divide(est, se, out=np.full_like(est, np.inf), where=se > 0)
        p = [normal_p(s) for s in stat]
        lo, hi = est - z * se, est + z * se
        data: dict[str, Any] = {
            "term": list(names),
            "estimate": est,
            "std_error": se,
            "statistic": stat,
            "p_value": p,
            "ci_low": lo,
            "ci_high": hi,
        }
    else:
        none = pl.Series([None] * len(est), dtype=pl.Float64)
        data = {
            "term": list(names),
            "estimate": est,
            "std_error": none,
            "statistic": none,
            "p_value": none,
            "ci_low": none,
            "ci_high": none,
        }
    frame = pl.DataFrame(data)
    if ratio:
        frame = frame.with_columns(pl.col("estimate").exp().alias(ratio))
    return frame


def _fmt(v: Any, digits: int = 4) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if not math.isfinite(v):
            return str(v)
        if v != 0 and (abs(v) < 10 ** (-digits) or abs(v) >= 1e6):
            return f"{v:.{digits - 1}e}"
        return f"{v:.{digits}f}"
    return html.escape(str(v))


def facts_html(title: str, facts: Sequence[tuple[str, Any]]) -> str:
    rows = "".join(
        f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{_fmt(v)}</td></tr>"
        for k, v in facts
    )
    return f"<div><strong>{html.escape(title)}</strong><table>{rows}</table></div>"


def table_html(frame: pl.DataFrame, max_rows: int = 40) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    body = []
    shown = frame.head(max_rows)
    for row in shown.iter_rows():
        body.append("<tr>" + "".join(f"<td>{_fmt(v)}</td>" for v in row) + "</tr>")
    more = f"<p>… {frame.height - max_rows} more rows</p>" if frame.height > max_rows else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"


def facts_text(title: str, facts: Sequence[tuple[str, Any]]) -> str:
    width = max((len(k) for k, _ in facts), default=0)
    lines = [title] + [
        f"  {k:<{width}}  {_fmt(v) if isinstance(v, float) else v}" for k, v in facts
    ]
    return "\n".join(lines)


def forest_plot(summary: pl.DataFrame, *, ratio: str | None, ax: Any = None) -> Any:
    """Estimates with confidence intervals, one line per term (matplotlib, imported lazily)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.4 * summary.height + 1))
    rows = summary.reverse()
    y = np.arange(rows.height)
    est = rows.get_column("estimate").to_numpy()
    lo = rows.get_column("ci_low").to_numpy()
    hi = rows.get_column("ci_high").to_numpy()
    if ratio:
        est, lo, hi = np.exp(est), np.exp(lo), np.exp(hi)
        ax.set_xscale("log")
        ax.axvline(1.0, color="grey", lw=0.8, ls="--")
        ax.set_xlabel(f"{ratio.replace('_', ' ')} (log scale)")
    else:
        ax.axvline(0.0, color="grey", lw=0.8, ls="--")
        ax.set_xlabel("estimate")
    ax.errorbar(est, y, xerr=[est - lo, hi - est], fmt="s", color="black", capsize=3)
    ax.set_yticks(y)
    ax.set_yticklabels(rows.get_column("term").to_list())
    return ax
