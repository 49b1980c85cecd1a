"""Difference-in-differences for programmes observed before and after (public through
:mod:`aluna.evaluate`): two-way fixed effects with an event study, the Goodman-Bacon
decomposition, and Callaway & Sant'Anna's group-time effects for staggered adoption."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, Literal

import numpy as np
import polars as pl

from aluna import _native, _results
from aluna._evaluate_results import Effect, effect_summary
from aluna._survival_args import as_frame
from aluna.exceptions import (
    AlunaWarning,
    ArgumentError,
    BadValueError,
    ColumnError,
    DuplicateError,
    NotDefinedError,
)

_NORMAL = NormalDist()


class StaggeredAdoptionWarning(AlunaWarning):
    """Units adopt the programme at different times: two-way fixed effects is biased."""


def _z(level: float) -> float:
    if not 0 < level < 1:
        raise ArgumentError(f"level: must be between 0 and 1, got {level}")
    return _NORMAL.inv_cdf(0.5 + level / 2)


def _p(estimate: float, se: float) -> float:
    if not (math.isfinite(se) and se > 0):
        return math.nan
    return 2.0 * (1.0 - _NORMAL.cdf(abs(estimate / se)))


# ============================================================================ panel


@dataclass(frozen=True)
class _Panel:
    frame: pl.DataFrame  # unit, time, outcome, D, (weights, cluster) ; sorted by unit, time
    unit: str
    time: str
    outcome: str
    periods: np.ndarray  # sorted distinct periods
    cohort: dict[Any, float]  # unit -> first treated period (inf: never)
    absorbing: bool
    balanced: bool


def _binary(frame: pl.DataFrame, column: str, *, what: str) -> pl.Series:
    col = frame.get_column(column)
    if col.dtype == pl.Boolean:
        return col.cast(pl.Int64)
    if not col.dtype.is_numeric():
        raise ColumnError(
            f"{what}: column `{column}`: expected 0/1 or true/false, found {col.dtype}"
        )
    bad = ~col.is_in([0, 1])
    if bad.any():
        row = int(bad.arg_true()[0])
        raise BadValueError(
            f"{what}: column `{column}`, row {row}: expected 0 or 1, found {col[row]}"
        )
    return col.cast(pl.Int64)


def _panel(
    panel: Any,
    *,
    unit: str,
    time: str,
    outcome: str,
    treatment: pl.Series | None,
    treated: str | None,
    post: str | None,
    weights: str | None,
    cluster: str | None,
    what: str,
) -> _Panel:
    frame = as_frame(panel, what=what)
    needed = [c for c in (unit, time, outcome, treated, post, weights, cluster) if c is not None]
    for c in needed:
        if c not in frame.columns:
            raise ColumnError(
                f"{what}: column `{c}` not found; the table has: {', '.join(frame.columns)}"
            )
    for c in needed:
        col = frame.get_column(c)
        bad = col.is_null()
        if col.dtype.is_float():
            bad = bad | col.is_nan()
        if bad.any():
            row = int(bad.arg_true()[0])
            raise BadValueError(f"{what}: column `{c}`, row {row}: missing value")
    if not frame.schema[time].is_numeric():
        raise ColumnError(
            f"{what}: column `{time}`: expected numeric periods (years, months), found "
            f"{frame.schema[time]}"
        )
    if not frame.schema[outcome].is_numeric():
        raise ColumnError(
            f"{what}: column `{outcome}`: expected numbers, found {frame.schema[outcome]}"
        )
    if treatment is None:
        if treated is None or post is None:
            raise ArgumentError(f"{what}: give treated and post, or the treatment")
        d = _binary(frame, treated, what=what) * _binary(frame, post, what=what)
    else:
        d = treatment
    keep = [unit, time, outcome] + [c for c in (weights, cluster) if c and c not in (unit, time)]
    f = frame.select(keep).with_columns(d.alias("__aluna_d"))
    dup = f.select(unit, time).is_duplicated()
    if dup.any():
        row = int(dup.arg_true()[0])
        raise DuplicateError(
            f"{what}: unit {f[unit][row]!r} appears twice in period {f[time][row]!r} (row {row}); "
            f"a panel has one row per unit and period"
        )
    f = f.sort(unit, time)
    periods = np.sort(f.get_column(time).unique().cast(pl.Float64).to_numpy())
    first = (
        f.filter(pl.col("__aluna_d") == 1)
        .group_by(unit)
        .agg(pl.col(time).min().cast(pl.Float64).alias("g"))
    )
    cohort = dict(zip(first[unit].to_list(), first["g"].to_list(), strict=True))
    g = f.join(first, on=unit, how="left").with_columns(pl.col("g").fill_null(math.inf))
    absorbing = bool(
        (g.select(((pl.col(time) >= pl.col("g")) == (pl.col("__aluna_d") == 1)).all())).item()
    )
    counts = f.group_by(unit).len()
    balanced = bool((counts["len"] == periods.size).all())
    return _Panel(f, unit, time, outcome, periods, cohort, absorbing, balanced)


# ============================================================================ Bacon


@dataclass(frozen=True, repr=False)
class BaconDecomposition:
    """The two-way fixed-effects estimate as a weighted average of all 2x2 comparisons
    (Goodman-Bacon 2021).

    Attributes
    ----------
    table
        One row per comparison: ``type`` (``"treated vs never treated"``, ``"earlier vs later
        treated"``, ``"later vs earlier treated"``: the last uses already-treated units as
        controls, the "forbidden" comparison behind TWFE's bias), ``treated`` and ``control``
        cohorts (first treated period; ``inf`` for never treated), ``estimate``, ``weight``.
    summary
        Weight and weighted mean estimate per type.
    twfe_estimate
        :math:`\\sum w\\,\\hat\\beta`, which equals the TWFE estimate on a balanced panel.
    """

    table: pl.DataFrame
    summary: pl.DataFrame
    twfe_estimate: float

    def plot(self, ax: Any = None) -> Any:
        """Each 2x2 estimate against its weight, by comparison type."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        for (kind,), part in self.table.group_by("type", maintain_order=True):
            ax.scatter(part["weight"].to_numpy(), part["estimate"].to_numpy(), label=kind)
        ax.axhline(self.twfe_estimate, color="grey", ls="--", lw=0.8)
        ax.set_xlabel("weight")
        ax.set_ylabel("2x2 difference-in-differences")
        ax.legend()
        return ax

    def _repr_html_(self) -> str:
        return (
            _results.facts_html(
                "Goodman-Bacon decomposition", [("TWFE estimate", self.twfe_estimate)]
            )
            + _results.table_html(self.summary)
            + _results.table_html(self.table)
        )

    def __repr__(self) -> str:
        return f"BaconDecomposition({self.table.height} comparisons, twfe={self.twfe_estimate:.6g})"


def _bacon(p: _Panel) -> BaconDecomposition:
    if not p.balanced:
        raise NotDefinedError(
            "bacon_decomposition: needs a balanced panel (every unit in every period)"
        )
    if not p.absorbing:
        raise NotDefinedError("bacon_decomposition: needs treatment that, once started, stays on")
    y = p.frame.pivot(on=p.time, index=p.unit, values=p.outcome, sort_columns=True)
    units = y[p.unit].to_list()
    mat = y.drop(p.unit).to_numpy().astype(float)
    periods = p.periods
    t_count = periods.size
    g = np.array([p.cohort.get(u, math.inf) for u in units])
    n = len(units)
    groups = sorted({v for v in g.tolist() if math.isfinite(v)})
    share = {k: float((g == k).sum()) / n for k in [*groups, math.inf]}
    dbar = {k: float((periods >= k).sum()) / t_count for k in groups}
    col = {v: i for i, v in enumerate(periods.tolist())}

    def dd(k: float, ctrl: float, lo: float, hi: float, start: float) -> float:
        window = (periods >= lo) & (periods <= hi)
        pre = window & (periods < start)
        post = window & (periods >= start)
        a, b = mat[g == k], mat[g == ctrl]
        return float(
            (a[:, post].mean() - a[:, pre].mean()) - (b[:, post].mean() - b[:, pre].mean())
        )

    rows: list[tuple[str, float, float, float, float]] = []
    first, last = periods[0], periods[-1]
    if share[math.inf] > 0:
        for k in groups:
            d = dbar[k]
            if d in (0.0, 1.0):
                continue
            nu = share[math.inf]
            nk = share[k] / (share[k] + nu)
            s = (share[k] + nu) ** 2 * nk * (1 - nk) * d * (1 - d)
            rows.append(
                ("treated vs never treated", k, math.inf, dd(k, math.inf, first, last, k), s)
            )
    for i, k in enumerate(groups):
        for l_ in groups[i + 1 :]:
            dk, dl = dbar[k], dbar[l_]
            nkl = share[k] / (share[k] + share[l_])
            base = (share[k] + share[l_]) ** 2 * nkl * (1 - nkl)
            if dk < 1:
                s = base * (1 - dl) ** 2 * ((dk - dl) / (1 - dl)) * ((1 - dk) / (1 - dl))
                prev = periods[col[l_] - 1]
                rows.append(("earlier vs later treated", k, l_, dd(k, l_, first, prev, k), s))
            if dl > 0:
                s = base * dk**2 * (dl / dk) * ((dk - dl) / dk)
                rows.append(("later vs earlier treated", l_, k, dd(l_, k, k, last, l_), s))
    if not rows:
        raise NotDefinedError("bacon_decomposition: no 2x2 comparison can be formed")
    table = pl.DataFrame(
        rows, schema=["type", "treated", "control", "estimate", "weight"], orient="row"
    )
    table = table.with_columns(pl.col("weight") / pl.col("weight").sum())
    total = float((table["estimate"] * table["weight"]).sum())
    summary = table.group_by("type", maintain_order=True).agg(
        pl.col("weight").sum(),
        ((pl.col("estimate") * pl.col("weight")).sum() / pl.col("weight").sum()).alias("estimate"),
        pl.len().alias("comparisons"),
    )
    return BaconDecomposition(table, summary, total)


def bacon_decomposition(
    panel: Any,
    *,
    unit: str,
    time: str,
    treatment: str,
    outcome: str,
) -> BaconDecomposition:
    r"""The Goodman-Bacon (2021) decomposition of the two-way fixed-effects estimate.

    On a balanced panel with treatment that stays on once started, the TWFE coefficient is a
    weighted average of every 2x2 difference-in-differences between timing cohorts: each cohort
    against the never-treated, earlier against later adopters (before the later ones start), and
    later against earlier adopters (after the earlier ones started: already-treated units as
    controls, whose own changing effects bias TWFE). The weights (his eq. 10) grow with the
    cohorts' sizes and the variance of treatment in each comparison, and sum to one.

    Parameters
    ----------
    panel
        One row per unit and period.
    unit, time
        Unit ids and numeric periods.
    treatment
        0/1: treated in this period.
    outcome
        The outcome.

    Returns
    -------
    BaconDecomposition

    References
    ----------
    .. [1] Goodman-Bacon, A. (2021). Difference-in-differences with variation in treatment
       timing. Journal of Econometrics 225(2), 254-277.
       https://doi.org/10.1016/j.jeconom.2021.03.014

    Examples
    --------
    >>> import polars as pl
    >>> from aluna import evaluate
    >>> rows = [(u, t, int(g is not None and t >= g)) for u, g in
    ...         [("a", 2), ("b", 3), ("c", None)] for t in range(1, 5)]
    >>> df = pl.DataFrame(rows, schema=["area", "year", "on"], orient="row").with_columns(
    ...     y=pl.col("year") * 1.0 + 2.0 * pl.col("on"))
    >>> dec = evaluate.bacon_decomposition(df, unit="area", time="year", treatment="on",
    ...                                    outcome="y")
    >>> round(dec.twfe_estimate, 6), round(dec.table["weight"].sum(), 6)
    (2.0, 1.0)
    """
    frame = as_frame(panel, what="bacon_decomposition")
    if treatment not in frame.columns:
        raise ColumnError(f"bacon_decomposition: column `{treatment}` not found")
    d = _binary(frame, treatment, what="bacon_decomposition")
    p = _panel(
        frame,
        unit=unit,
        time=time,
        outcome=outcome,
        treatment=d,
        treated=None,
        post=None,
        weights=None,
        cluster=None,
        what="bacon_decomposition",
    )
    return _bacon(p)


# ============================================================================ Callaway–Sant'Anna


@dataclass(frozen=True, repr=False)
class GroupTimeEffects:
    """Callaway & Sant'Anna's group-time average treatment effects and their aggregations.

    Attributes
    ----------
    table
        One row per cohort ``group`` (first treated period) and ``time``: ``estimate``
        (ATT(g, t)), ``std_error``, ``ci_low``, ``ci_high``, ``post`` (``time >= group``).
    overall
        The average effect over all post-treatment cells, weighted by cohort size (``did``'s
        ``"simple"`` aggregation), an :class:`Effect`.
    event_study
        Per ``event_time`` (``time - group``): ``estimate``, ``std_error``, ``ci_low``,
        ``ci_high`` (``"dynamic"`` aggregation).
    groups
        Per cohort: the average post-treatment effect (``"group"`` aggregation).
    control
        ``"never"`` or ``"not_yet"`` treated controls.
    units_dropped
        Units treated in the first period (no pre-period; left out, as ``did`` does).
    """

    table: pl.DataFrame
    overall: Effect
    event_study: pl.DataFrame
    groups: pl.DataFrame
    control: str
    units_dropped: int

    def plot(self, ax: Any = None) -> Any:
        """The event study: effects by time since adoption, with confidence intervals."""
        return _event_plot(self.event_study, ax)

    def _repr_html_(self) -> str:
        return (
            _results.facts_html(
                "Group-time effects (Callaway & Sant'Anna)",
                [
                    ("control units", self.control),
                    ("overall ATT", self.overall.estimate),
                    ("standard error", self.overall.std_error),
                    ("units dropped (treated in the first period)", self.units_dropped),
                ],
            )
            + _results.table_html(self.event_study)
            + _results.table_html(self.table)
        )

    def __repr__(self) -> str:
        return (
            f"GroupTimeEffects({self.table.height} cells, overall={self.overall.estimate:.6g}, "
            f"control={self.control!r})"
        )


def _event_plot(table: pl.DataFrame, ax: Any) -> Any:
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    e = table["event_time"].to_numpy()
    est = table["estimate"].to_numpy()
    lo = table["ci_low"].to_numpy()
    hi = table["ci_high"].to_numpy()
    ax.errorbar(e, est, yerr=[est - lo, hi - est], fmt="o", capsize=3, color="black")
    ax.axhline(0, color="grey", lw=0.8)
    ax.axvline(-0.5, color="grey", ls="--", lw=0.8)
    ax.set_xlabel("periods since adoption")
    ax.set_ylabel("effect")
    return ax


def _aggregate(
    cells: list[int],
    weights_pg: np.ndarray,
    att: np.ndarray,
    psi: np.ndarray,
    member: np.ndarray,
) -> tuple[float, np.ndarray]:
    """A pg-weighted average of cells and its influence function, with the share of the
    estimated weights (``did``'s ``wif``)."""
    pg = weights_pg[cells]
    total = pg.sum()
    w = pg / total
    est = float(w @ att[cells])
    inf = psi[:, cells] @ w
    # member[:, c]: 1{G_i = g_c}
    centred = member[:, cells] - pg[None, :]
    if1 = centred / total
    if2 = centred.sum(axis=1, keepdims=True) @ (pg / total**2)[None, :]
    inf = inf + (if1 - if2) @ att[cells]
    return est, inf


def _callaway_santanna(p: _Panel, *, control: str, level: float) -> GroupTimeEffects:
    if control not in ("never", "not_yet"):
        raise ArgumentError(f'control: expected "never" or "not_yet", got {control!r}')
    if not p.balanced:
        raise NotDefinedError(
            "callaway_santanna: needs a balanced panel (every unit in every period)"
        )
    if not p.absorbing:
        raise NotDefinedError("callaway_santanna: needs treatment that, once started, stays on")
    z = _z(level)
    y = p.frame.pivot(on=p.time, index=p.unit, values=p.outcome, sort_columns=True)
    units = y[p.unit].to_list()
    mat = y.drop(p.unit).to_numpy().astype(float)
    periods = p.periods
    g_all = np.array([p.cohort.get(u, math.inf) for u in units])
    keep = g_all > periods[0]
    dropped = int((~keep).sum())
    mat, g = mat[keep], g_all[keep]
    n = g.size
    groups = sorted({v for v in g.tolist() if math.isfinite(v)})
    if not groups:
        raise NotDefinedError("callaway_santanna: no unit adopts the programme during the panel")
    if control == "never" and not np.isinf(g).any():
        raise NotDefinedError('callaway_santanna: no never-treated units; use control="not_yet"')
    idx = {v: i for i, v in enumerate(periods.tolist())}
    cells: list[tuple[float, float]] = []
    atts, psis = [], []
    for gg in groups:
        gi = idx[gg]
        for ti in range(1, periods.size):
            base = gi - 1 if ti >= gi else ti - 1
            dy = mat[:, ti] - mat[:, base]
            treat = g == gg
            # Not yet treated by max(t, base): their change over the window is untreated.
            late = (g > periods[max(ti, base)]) & (g != gg)
            ctrl = np.isinf(g) if control == "never" else late
            n1, n0 = int(treat.sum()), int(ctrl.sum())
            if n1 == 0 or n0 == 0:
                continue
            m1, m0 = dy[treat].mean(), dy[ctrl].mean()
            psi = np.where(treat, (dy - m1) * n / n1, 0.0) - np.where(ctrl, (dy - m0) * n / n0, 0.0)
            cells.append((gg, float(periods[ti])))
            atts.append(float(m1 - m0))
            psis.append(psi)
    if not cells:
        raise NotDefinedError("callaway_santanna: no group-time cell has treated and control units")
    att = np.asarray(atts)
    psi = np.column_stack(psis)
    se = np.sqrt((psi**2).sum(axis=0)) / n
    table = pl.DataFrame(
        {
            "group": [c[0] for c in cells],
            "time": [c[1] for c in cells],
            "estimate": att,
            "std_error": se,
            "ci_low": att - z * se,
            "ci_high": att + z * se,
            "post": [c[1] >= c[0] for c in cells],
        }
    )
    pg_group = {gg: float((g == gg).mean()) for gg in groups}
    pg = np.array([pg_group[c[0]] for c in cells])
    member = np.column_stack([(g == c[0]).astype(float) for c in cells])

    def effect_row(sel: list[int]) -> tuple[float, float, np.ndarray]:
        est, inf = _aggregate(sel, pg, att, psi, member)
        return est, float(np.sqrt((inf**2).sum()) / n), inf

    post = [k for k, c in enumerate(cells) if c[1] >= c[0]]
    est, s, _ = effect_row(post)
    overall = Effect(
        estimate=est,
        std_error=s,
        ci_low=est - z * s,
        ci_high=est + z * s,
        method=f"Callaway-Sant'Anna ({control} treated controls)",
        n_treated=int(np.isfinite(g).sum()),
        n_comparison=int(np.isinf(g).sum()),
        rows_dropped=0,
        summary=effect_summary("ATT (simple)", est, s, level=level),
        estimand="ATT",
        measure="difference in differences",
        level=level,
        p_value=_p(est, s),
        standard_errors="influence function",
        outcome=p.outcome,
    )
    event_times = sorted({c[1] - c[0] for c in cells})
    ev_rows = []
    for e in event_times:
        sel = [k for k, c in enumerate(cells) if c[1] - c[0] == e]
        est_e, se_e, _ = effect_row(sel)
        ev_rows.append((e, est_e, se_e, est_e - z * se_e, est_e + z * se_e))
    event_study = pl.DataFrame(
        ev_rows,
        schema=["event_time", "estimate", "std_error", "ci_low", "ci_high"],
        orient="row",
    )
    gr_rows = []
    for gg in groups:
        sel = [k for k in post if cells[k][0] == gg]
        if not sel:
            continue
        est_g = float(att[sel].mean())
        inf_g = psi[:, sel].mean(axis=1)
        se_g = float(np.sqrt((inf_g**2).sum()) / n)
        gr_rows.append((gg, est_g, se_g, est_g - z * se_g, est_g + z * se_g))
    groups_table = pl.DataFrame(
        gr_rows, schema=["group", "estimate", "std_error", "ci_low", "ci_high"], orient="row"
    )
    return GroupTimeEffects(table, overall, event_study, groups_table, control, dropped)


def callaway_santanna(
    panel: Any,
    *,
    unit: str,
    time: str,
    cohort: str,
    outcome: str,
    control: Literal["never", "not_yet"] = "never",
    level: float = 0.95,
) -> GroupTimeEffects:
    r"""Callaway & Sant'Anna's (2021) group-time average treatment effects for staggered
    adoption, without covariates.

    For the cohort :math:`g` first treated in period :math:`g` and each period :math:`t`,

    .. math::

        ATT(g,t) = E[Y_t - Y_{b} \mid G=g] - E[Y_t - Y_{b} \mid C],

    with base period :math:`b = g-1` for :math:`t \ge g` and :math:`b = t-1` before (``did``'s
    "varying" base), and controls :math:`C` the never-treated units or those not yet treated by
    :math:`\max(t, b)`. Only clean comparisons enter, so adoption at different times and
    effects that change over time do not bias it (unlike TWFE). Standard errors come from each
    unit's influence function, :math:`\sqrt{\sum_i\psi_i^2}/n`; aggregations (overall, by event
    time, by cohort) weight cells by cohort size and carry the estimation of those weights, as
    R ``did::aggte`` with ``bstrap=FALSE``. Units treated in the first period are left out.

    Parameters
    ----------
    panel
        A balanced panel: one row per unit and period.
    unit, time
        Unit ids and numeric periods.
    cohort
        The unit's first treated period; 0 or null for never treated.
    outcome
        The outcome.
    control
        ``"never"`` or ``"not_yet"`` treated controls.
    level
        Confidence level.

    Returns
    -------
    GroupTimeEffects

    References
    ----------
    .. [1] Callaway, B. & Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple
       time periods. Journal of Econometrics 225(2), 200-230.
       https://doi.org/10.1016/j.jeconom.2020.12.001

    Examples
    --------
    >>> import polars as pl
    >>> from aluna import evaluate
    >>> rows = [(u, t, g, t * 1.0 + (3.0 if g and t >= g else 0.0) + 0.1 * (u % 3))
    ...         for u, g in [(1, 3), (2, 3), (3, 0), (4, 0), (5, 4)] for t in range(1, 6)]
    >>> df = pl.DataFrame(rows, schema=["area", "year", "first", "y"], orient="row")
    >>> cs = evaluate.callaway_santanna(df, unit="area", time="year", cohort="first",
    ...                                 outcome="y")
    >>> round(cs.overall.estimate, 6)
    3.0
    """
    frame = as_frame(panel, what="callaway_santanna")
    if cohort not in frame.columns:
        raise ColumnError(f"callaway_santanna: column `{cohort}` not found")
    first = pl.col(cohort).fill_null(0)
    d = frame.select(((first > 0) & (pl.col(time) >= first)).cast(pl.Int64)).to_series()
    p = _panel(
        frame,
        unit=unit,
        time=time,
        outcome=outcome,
        treatment=d,
        treated=None,
        post=None,
        weights=None,
        cluster=None,
        what="callaway_santanna",
    )
    return _callaway_santanna(p, control=control, level=level)


# ============================================================================ TWFE


@dataclass(frozen=True, repr=False)
class DifferenceInDifferences:
    """A difference-in-differences estimate by two-way fixed effects, with its event study.

    Attributes
    ----------
    estimate, std_error, ci_low, ci_high, p_value
        The TWFE coefficient of treatment (treated x post), cluster-robust.
    summary
        The same as a one-row term table.
    event_study
        Per ``event_time`` (periods since adoption; -1 is the reference, fixed at 0):
        ``estimate``, ``std_error``, ``ci_low``, ``ci_high`` from the TWFE regression on lead
        and lag indicators. Leads (negative times) far from 0 cast doubt on parallel trends.
    staggered
        Whether units adopted at different times (then TWFE is biased: see ``bacon`` and
        ``group_time``).
    cohorts
        Per adoption cohort (``cohort``: first treated period, ``inf`` for never treated):
        ``units``.
    bacon
        The Goodman-Bacon decomposition (staggered, balanced, unweighted panels).
    group_time
        Callaway & Sant'Anna's group-time effects (staggered, balanced panels).
    n_units, n_periods, rows
        The panel's size.
    cluster
        The column standard errors are clustered by.
    """

    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    p_value: float
    summary: pl.DataFrame
    event_study: pl.DataFrame
    staggered: bool
    cohorts: pl.DataFrame
    bacon: BaconDecomposition | None
    group_time: GroupTimeEffects | None
    n_units: int
    n_periods: int
    rows: int
    cluster: str

    def plot(self, ax: Any = None) -> Any:
        """The event study plot (leads and lags with confidence intervals)."""
        return _event_plot(self.event_study, ax)

    def _repr_html_(self) -> str:
        facts = [
            ("estimator", "two-way fixed effects"),
            ("units", self.n_units),
            ("periods", self.n_periods),
            ("standard errors", f"cluster-robust by `{self.cluster}`"),
            (
                "staggered adoption",
                "yes: TWFE is biased, see group_time" if self.staggered else "no",
            ),
        ]
        out = _results.facts_html("Difference-in-differences", facts)
        out += _results.table_html(self.summary) + _results.table_html(self.event_study)
        if self.group_time is not None:
            out += "<p>Callaway & Sant'Anna</p>" + _results.table_html(
                self.group_time.overall.summary
            )
        return out

    def __repr__(self) -> str:
        return (
            f"DifferenceInDifferences(estimate={self.estimate:.6g}, std_error="
            f"{self.std_error:.4g}, staggered={self.staggered}, n_units={self.n_units})"
        )


def difference_in_differences(
    panel: Any,
    unit: str,
    time: str,
    treated: str,
    post: str,
    outcome: str,
    cluster: str | None = None,
    weights: str | None = None,
    *,
    leads: int | None = None,
    lags: int | None = None,
    control: Literal["never", "not_yet"] | None = None,
    level: float = 0.95,
) -> DifferenceInDifferences:
    r"""Difference-in-differences by two-way fixed effects, with an event study.

    The model is :math:`y_{it} = \alpha_i + \lambda_t + \beta D_{it} + \varepsilon_{it}`, with
    :math:`D_{it}` = ``treated`` x ``post`` (the unit is treated, and the period is after its
    adoption), unit effects :math:`\alpha_i` and period effects :math:`\lambda_t` swept out by
    alternating projections (in Rust). Standard errors are cluster-robust by ``cluster``
    (default: the unit), with the small-sample factor
    :math:`G/(G-1)\cdot(n-1)/(n-k)`, :math:`k` counting the unit and period effects as the
    dummy-variable regression does (statsmodels' ``OLS(...).fit(cov_type="cluster")``).
    The event study replaces :math:`D` by indicators of periods since adoption (the period
    before adoption is the reference; ``leads``/``lags`` bin the far ends).

    With staggered adoption (cohorts adopting in different periods), TWFE uses
    already-treated units as controls and is biased when effects change over time: a
    :class:`StaggeredAdoptionWarning` says so, the result carries the Goodman-Bacon
    decomposition (``bacon``) and Callaway & Sant'Anna's estimator (``group_time``).

    Parameters
    ----------
    panel
        One row per unit and period.
    unit, time
        Unit ids and numeric periods (years, quarters, months).
    treated
        0/1: the unit takes up the programme (at some point).
    post
        0/1: the period is at or after the unit's adoption (for staggered designs it varies by
        unit).
    outcome
        The outcome.
    cluster
        Column to cluster standard errors by (default: ``unit``).
    weights
        Column of analytic weights (e.g. population); the Bacon decomposition is then left
        out.
    leads, lags
        Bin event times below ``-leads`` and above ``lags`` into the end points.
    control
        Controls of the Callaway–Sant'Anna estimator: ``"never"`` (default when there are
        never-treated units) or ``"not_yet"``.
    level
        Confidence level.

    Returns
    -------
    DifferenceInDifferences

    Raises
    ------
    DuplicateError
        A unit appears twice in a period.
    BadValueError
        Missing values, or ``treated``/``post`` not 0/1.

    Warns
    -----
    StaggeredAdoptionWarning
        Units adopted at different times.

    References
    ----------
    .. [1] Angrist, J. D. & Pischke, J.-S. (2009). Mostly Harmless Econometrics, ch. 5.
       Princeton University Press.
    .. [2] Goodman-Bacon, A. (2021). https://doi.org/10.1016/j.jeconom.2021.03.014
    .. [3] Callaway, B. & Sant'Anna, P. H. C. (2021). https://doi.org/10.1016/j.jeconom.2020.12.001

    Examples
    --------
    >>> import polars as pl
    >>> from aluna import evaluate
    >>> rows = [(a, y, int(a < 3), int(a < 3 and y >= 2020),
    ...          10.0 + a + 0.5 * (y - 2018) - 2.0 * (a < 3 and y >= 2020) + 0.1 * ((a * y) % 3))
    ...         for a in range(6) for y in range(2018, 2022)]
    >>> df = pl.DataFrame(rows, schema=["area", "year", "pilot", "after", "offences"],
    ...                   orient="row")
    >>> did = evaluate.difference_in_differences(df, "area", "year", "pilot", "after", "offences")
    >>> round(did.estimate, 4), did.staggered
    (-2.0, False)
    """
    z = _z(level)
    p = _panel(
        panel,
        unit=unit,
        time=time,
        outcome=outcome,
        treatment=None,
        treated=treated,
        post=post,
        weights=weights,
        cluster=cluster,
        what="difference_in_differences",
    )
    cluster = cluster or unit
    f = p.frame
    if f["__aluna_d"].sum() == 0:
        raise NotDefinedError("difference_in_differences: no unit is ever treated")
    if (f["__aluna_d"] == 1).all():
        raise NotDefinedError("difference_in_differences: every row is treated")
    res = _native.panel_twfe(
        f, ["__aluna_d"], outcome, unit, time, weights=weights, cluster=cluster
    )
    est = float(res["coef"][0])
    se = math.sqrt(res["covariance"][0][0])
    summary = effect_summary(f"{treated} x {post}", est, se, level=level)
    # Event study: indicators of periods since adoption.
    idx = {v: i for i, v in enumerate(p.periods.tolist())}
    cohort_idx = {u: idx[g] for u, g in p.cohort.items()}
    units = f[unit].to_list()
    tix = np.array([idx[v] for v in f[time].cast(pl.Float64).to_list()])
    rel = np.array(
        [tix[k] - cohort_idx[u] if u in cohort_idx else np.nan for k, u in enumerate(units)]
    )
    if leads is not None:
        rel = np.where(rel < -leads, -float(leads), rel)
    if lags is not None:
        rel = np.where(rel > lags, float(lags), rel)
    present = sorted({int(v) for v in rel[np.isfinite(rel)]})
    refs = {-1}
    never = [u for u in set(units) if u not in cohort_idx]
    if not never and present:
        refs.add(present[0])
    times = [e for e in present if e not in refs]
    cols = {f"__aluna_rel{e}": (rel == e).astype(float) for e in times}
    es = _native.panel_twfe(
        f.with_columns([pl.Series(k, v) for k, v in cols.items()]),
        list(cols),
        outcome,
        unit,
        time,
        weights=weights,
        cluster=cluster,
    )
    ev_est = np.asarray(es["coef"])
    ev_se = np.sqrt(np.diag(np.asarray(es["covariance"])))
    ev = pl.DataFrame(
        {
            "event_time": times,
            "estimate": ev_est,
            "std_error": ev_se,
            "ci_low": ev_est - z * ev_se,
            "ci_high": ev_est + z * ev_se,
        }
    )
    ref_rows = pl.DataFrame(
        {
            "event_time": sorted(refs),
            "estimate": [0.0] * len(refs),
            "std_error": [0.0] * len(refs),
            "ci_low": [0.0] * len(refs),
            "ci_high": [0.0] * len(refs),
        },
    )
    event_study = pl.concat(
        [ev, ref_rows.filter(pl.col("event_time").is_in([*present, -1]))], how="vertical_relaxed"
    ).sort("event_time")
    cohort_values = [p.cohort.get(u, math.inf) for u in sorted(set(units), key=str)]
    cohorts = (
        pl.DataFrame({"cohort": cohort_values}).group_by("cohort").len(name="units").sort("cohort")
    )
    adopting = sorted({g for g in p.cohort.values()})
    staggered = len(adopting) > 1
    bacon = group_time = None
    if staggered:
        warnings.warn(
            f"difference_in_differences: units adopted the programme in {len(adopting)} "
            f"different periods ({', '.join(f'{g:g}' for g in adopting[:6])}"
            f"{', ...' if len(adopting) > 6 else ''}). Two-way fixed effects then compares "
            f"later adopters with units already treated, and is biased when effects change "
            f"over time (Goodman-Bacon 2021). See .bacon for the comparisons it averages and "
            f".group_time for Callaway & Sant'Anna's estimator, which avoids them",
            StaggeredAdoptionWarning,
            stacklevel=2,
        )
        if p.balanced and p.absorbing and weights is None:
            bacon = _bacon(p)
        if p.balanced and p.absorbing:
            ctrl = control or ("never" if never else "not_yet")
            group_time = _callaway_santanna(p, control=ctrl, level=level)
    return DifferenceInDifferences(
        estimate=est,
        std_error=se,
        ci_low=est - z * se,
        ci_high=est + z * se,
        p_value=_p(est, se),
        summary=summary,
        event_study=event_study,
        staggered=staggered,
        cohorts=cohorts,
        bacon=bacon,
        group_time=group_time,
        n_units=int(res["units"]),
        n_periods=int(res["periods"]),
        rows=int(res["rows"]),
        cluster=cluster,
    )
