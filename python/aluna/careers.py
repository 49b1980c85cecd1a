"""Offending careers: trajectory groups, career parameters, specialisation and escalation.

The study of criminal careers asks when offending starts and stops, how often people offend
while active, whether they specialise in sexual offences or are versatile, whether the
seriousness of their offences escalates, and which latent groups of offending trajectories a
population holds. This module answers those questions on pseudonymised person-level data:

=============================  ======================================================================
:func:`trajectories`           group-based trajectory models (Nagin 2005): Poisson, zero-inflated
                               Poisson (as crimCV) or logit trajectories, fitted by EM from seeded
                               starts for several numbers of groups, chosen by BIC, with Nagin's
                               adequacy criteria
:func:`career_parameters`      per person: age at onset, age at the last recorded offence, career
                               length, frequency λ, numbers and shares of sexual and other offences
:func:`diversity`              per person: Blau's (Simpson's) diversity index of offence types
:func:`forward_specialisation` Farrington's forward specialisation coefficient per offence type,
                               from the transitions between successive offences
:func:`escalation`             the trend of a seriousness score over each person's sequence of
                               offences, with a test of the average within-person trend
=============================  ======================================================================

Everything is computed in Rust (``aluna_stats::careers``); results are polars DataFrames keyed
by your own person ids.
"""

from __future__ import annotations

import dataclasses
import html
import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import polars as pl

from aluna import _native, _results
from aluna._interop import to_polars
from aluna._survival_args import as_frame
from aluna.exceptions import (
    ArgumentError,
    BadValueError,
    ColumnError,
    ConvergenceWarning,
)

__all__ = [
    "Trajectories",
    "TrajectoryModel",
    "trajectories",
]

Model = Literal["zip", "poisson", "logit"]
Missing = Literal["error", "drop"]


# ------------------------------------------------------------------------------ inputs


def _column_name(value: Any, argument: str) -> str:
    if not isinstance(value, str):
        raise ArgumentError(f"{argument}: expected a column name, got {type(value).__name__}")
    return value


def _select(
    df: Any,
    columns: Sequence[str],
    *,
    missing: Missing,
    what: str,
) -> tuple[pl.DataFrame, int]:
    """The named columns of ``df``, with rows holding a null or NaN removed (``missing="drop"``)
    or reported (``"error"``); returns the frame and the number of rows dropped."""
    if missing not in ("error", "drop"):
        raise ArgumentError(f"missing: expected 'error' or 'drop', got {missing!r}")
    frame = as_frame(df, what=what)
    for c in columns:
        if c not in frame.columns:
            raise ColumnError(
                f"{what}: column `{c}` not found; the table has: {', '.join(frame.columns)}"
            )
    frame = frame.select(list(dict.fromkeys(columns)))
    bad = pl.any_horizontal(
        [
            pl.col(c).is_null() | (pl.col(c).is_nan() if frame.schema[c].is_float() else False)
            for c in frame.columns
        ]
    )
    flags = frame.select(bad.alias("bad"))["bad"]
    n_bad = int(flags.sum())
    if n_bad and missing == "error":
        row = int(flags.arg_true()[0])
        column = next(
            c
            for c in frame.columns
            if frame[c][row] is None
            or (frame.schema[c].is_float() and math.isnan(frame[c][row]))
        )
        raise BadValueError(
            f"{what}: column `{column}`, row {row}: missing value (null or NaN); "
            "remove such rows or pass missing='drop'"
        )
    if n_bad:
        frame = frame.filter(~flags)
    return frame, n_bad


def _groups_argument(groups: int | Iterable[int]) -> list[int]:
    values = [groups] if isinstance(groups, (int, np.integer)) else list(groups)
    if not values:
        raise ArgumentError("groups: give at least one number of groups")
    out = []
    for g in values:
        if isinstance(g, bool) or not isinstance(g, (int, np.integer)) or g < 1:
            raise ArgumentError(f"groups: expected whole numbers of at least 1, got {g!r}")
        out.append(int(g))
    return out


def _term_names(time: str, degree: int) -> list[str]:
    return ["intercept", time] + [f"{time}^{k}" for k in range(2, degree)]


# ------------------------------------------------------------------------------ trajectories


@dataclass(frozen=True, repr=False)
class TrajectoryModel:
    """A group-based trajectory model with a given number of groups.

    Attributes
    ----------
    groups
        Number of groups; groups are numbered 1, 2, ... by their mean expected count over the
        periods, lowest first.
    model
        ``"zip"``, ``"poisson"`` or ``"logit"``.
    order, zero_order
        Degrees of the trajectory and (ZIP) zero-inflation polynomials in time.
    log_likelihood, parameters, bic, aic
        The maximised log-likelihood, the number of free parameters ``k``, ``-2ℓ + k log N``
        (``N`` persons; PROC TRAJ reports ``-BIC/2``) and ``-2ℓ + 2k``.
    entropy
        Relative entropy of the posteriors, ``1 - Σ -w log w / (N log J)`` (1: every person
        classified with certainty; None for one group).
    converged, iterations
        Whether the log-likelihood stopped rising (relative change below the tolerance), and
        the iterations of the winning start.
    summary
        The coefficients on your time scale: ``group``, ``part`` (``trajectory`` or
        ``zero_inflation``), ``term`` (``intercept``, the time column, its powers),
        ``estimate``, ``std_error``, ``statistic``, ``p_value``, ``ci_low``, ``ci_high``.
        Trajectories are log rates (Poisson, ZIP) or log-odds (logit); zero inflation is the
        log-odds of a structural zero. Standard errors come from the observed information of
        the mixture likelihood (Louis 1982); they are null for zero-inflation probabilities
        estimated at 0 (the boundary) and everywhere if the information is singular
        (``covariance_note`` says why).
    adequacy
        Per group: ``share`` (estimated group probability) with ``std_error``, ``ci_low``,
        ``ci_high`` (delta method, logit scale), ``assigned`` and ``assigned_share`` (persons
        whose highest posterior is this group), ``average_posterior`` (AvePP) and
        ``odds_correct_classification`` (OCC) — Nagin's adequacy criteria: AvePP above 0.7 and
        OCC above 5 in every group, and assigned shares close to the estimated ones.
    table
        The trajectories: ``group``, the time column, ``expected`` (expected count per unit
        exposure, ``(1-ω)λ`` for ZIP; probability for logit) with pointwise ``ci_low`` and
        ``ci_high`` (delta method on the log or logit scale), ``observed`` (posterior-weighted
        observed mean per unit exposure), and for ZIP ``rate`` (λ) and ``zero_probability``
        (ω).
    membership
        Per person: your person column, ``group`` (highest posterior) and ``posterior_1`` ...
        ``posterior_J``.
    trace
        ``iteration``, ``log_likelihood`` of the winning start's final run: never decreasing
        (beyond rounding).
    starts
        Every random start: ``start``, ``log_likelihood`` after its short EM run (on the
        subsample of 5,000 persons when there are more; null if a group emptied),
        ``iterations``.
    best_start
        The start that won.
    covariance_note
        Why standard errors are missing, or None.
    """

    groups: int
    model: str
    order: int
    zero_order: int | None
    log_likelihood: float
    parameters: int
    bic: float
    aic: float
    entropy: float | None
    converged: bool
    iterations: int
    summary: pl.DataFrame
    adequacy: pl.DataFrame
    table: pl.DataFrame
    membership: pl.DataFrame
    trace: pl.DataFrame
    starts: pl.DataFrame
    best_start: int
    covariance_note: str | None
    person: str
    time: str
    level: float

    def plot(self, ax: Any = None, *, ci: bool = True, observed: bool = True) -> Any:
        """The expected trajectory of each group with its confidence band, and the
        posterior-weighted observed means as points; the legend gives the group shares."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4.5))
        shares = dict(zip(self.adequacy["group"], self.adequacy["share"]))
        for (g,), part in self.table.group_by("group", maintain_order=True):
            t = part[self.time].to_numpy()
            (line,) = ax.plot(
                t, part["expected"].to_numpy(), lw=2, label=f"group {g} ({100 * shares[g]:.1f}%)"
            )
            if ci and part["ci_low"].null_count() == 0:
                ax.fill_between(
                    t,
                    part["ci_low"].to_numpy(),
                    part["ci_high"].to_numpy(),
                    alpha=0.2,
                    color=line.get_color(),
                )
            if observed:
                ax.plot(t, part["observed"].to_numpy(), "o", ms=3, color=line.get_color())
        ax.set_xlabel(self.time)
        ax.set_ylabel("expected probability" if self.model == "logit" else "expected count")
        ax.set_title(f"{self.groups}-group {self.model} trajectories")
        ax.legend(frameon=False)
        return ax

    def _facts(self) -> list[tuple[str, Any]]:
        return [
            ("model", self.model),
            ("groups", self.groups),
            ("order", self.order),
            ("persons", self.membership.height),
            ("log-likelihood", self.log_likelihood),
            ("parameters", self.parameters),
            ("BIC", self.bic),
            ("AIC", self.aic),
            ("entropy", self.entropy if self.entropy is not None else "—"),
            ("converged", self.converged),
            ("iterations", self.iterations),
        ]

    def _repr_html_(self) -> str:
        note = (
            f"<p>{html.escape(self.covariance_note)}</p>" if self.covariance_note else ""
        )
        return (
            _results.facts_html("Group-based trajectory model", self._facts())
            + _results.table_html(self.adequacy)
            + _results.table_html(self.summary)
            + note
        )

    def __repr__(self) -> str:
        return (
            f"TrajectoryModel(groups={self.groups}, model={self.model!r}, order={self.order}, "
            f"log_likelihood={self.log_likelihood:.4f}, bic={self.bic:.4f})"
        )


@dataclass(frozen=True, repr=False)
class Trajectories:
    """Group-based trajectory models for several numbers of groups, one of them selected.

    Attributes
    ----------
    comparison
        One row per number of groups: ``groups``, ``log_likelihood``, ``parameters``, ``bic``,
        ``aic``, ``entropy``, ``smallest_share``, ``converged``, ``iterations``; null where no
        start succeeded.
    models
        The fitted models by number of groups.
    selected
        The number of groups with the lowest BIC (or the one chosen with :meth:`select`).
    persons, rows_dropped
        Persons in the models; rows left out by ``missing="drop"``.
    """

    comparison: pl.DataFrame
    models: dict[int, TrajectoryModel]
    selected: int
    persons: int
    rows_dropped: int

    @property
    def best(self) -> TrajectoryModel:
        """The selected model."""
        return self.models[self.selected]

    @property
    def summary(self) -> pl.DataFrame:
        """The selected model's coefficients (see :class:`TrajectoryModel`)."""
        return self.best.summary

    @property
    def table(self) -> pl.DataFrame:
        """The selected model's trajectories."""
        return self.best.table

    @property
    def membership(self) -> pl.DataFrame:
        """The selected model's posterior group membership per person."""
        return self.best.membership

    @property
    def adequacy(self) -> pl.DataFrame:
        """The selected model's group shares and Nagin's adequacy criteria."""
        return self.best.adequacy

    def select(self, groups: int) -> Trajectories:
        """The same fits with another number of groups selected (e.g. on substantive
        grounds, when BIC keeps falling)."""
        if groups not in self.models:
            raise ArgumentError(
                f"select: no fitted model with {groups} groups; fitted: {sorted(self.models)}"
            )
        return dataclasses.replace(self, selected=groups)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """The selected model's trajectories (see :meth:`TrajectoryModel.plot`)."""
        return self.best.plot(ax, **kwargs)

    def plot_selection(self, ax: Any = None) -> Any:
        """BIC and AIC against the number of groups, the selected one marked."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3.5))
        fitted = self.comparison.drop_nulls("bic")
        ax.plot(fitted["groups"], fitted["bic"], "o-", label="BIC")
        ax.plot(fitted["groups"], fitted["aic"], "s--", label="AIC")
        ax.axvline(self.selected, color="grey", lw=0.8, ls=":")
        ax.set_xlabel("groups")
        ax.set_ylabel("information criterion (lower is better)")
        ax.legend(frameon=False)
        return ax

    def _repr_html_(self) -> str:
        return (
            _results.facts_html(
                "Group-based trajectory models",
                [
                    ("model", self.best.model),
                    ("persons", self.persons),
                    ("rows dropped (missing)", self.rows_dropped),
                    ("selected groups (lowest BIC)", self.selected),
                ],
            )
            + _results.table_html(self.comparison)
            + self.best._repr_html_()
        )

    def __repr__(self) -> str:
        return (
            f"Trajectories(groups={sorted(self.models)}, selected={self.selected}, "
            f"model={self.best.model!r}, persons={self.persons})"
        )


def _model_from(
    fit: dict[str, Any],
    *,
    model: str,
    order: int,
    zero_order: int,
    person: str,
    time: str,
    time_dtype: pl.DataType,
    level: float,
) -> TrajectoryModel:
    z = _results.z_value(level)
    j_n = int(fit["groups"])
    p = int(fit["degree"])
    q = int(fit["zero_degree"])
    d = p + q
    names = _term_names(time, max(p, q))
    est = np.asarray(fit["coefficients"], dtype=float)
    cov = fit["covariance"]
    fixed = set(fit["fixed"])
    se: list[float | None] = [None] * len(est)
    if cov is not None:
        diag = np.sqrt(np.clip(np.diag(np.asarray(cov, dtype=float)), 0.0, None))
        se = [None if i in fixed else float(diag[i]) for i in range(len(est))]
    rows = []
    for j in range(j_n):
        for a in range(d):
            i = j * d + a
            part, k = ("trajectory", a) if a < p else ("zero_inflation", a - p)
            s = se[i]
            stat = None if s is None or s == 0 else float(est[i] / s)
            rows.append(
                {
                    "group": j + 1,
                    "part": part,
                    "term": names[k],
                    "estimate": float(est[i]),
                    "std_error": s,
                    "statistic": stat,
                    "p_value": None if stat is None else _results.normal_p(stat),
                    "ci_low": None if s is None else float(est[i] - z * s),
                    "ci_high": None if s is None else float(est[i] + z * s),
                }
            )
    schema = {
        "group": pl.Int64,
        "part": pl.String,
        "term": pl.String,
        "estimate": pl.Float64,
        "std_error": pl.Float64,
        "statistic": pl.Float64,
        "p_value": pl.Float64,
        "ci_low": pl.Float64,
        "ci_high": pl.Float64,
    }
    summary = pl.DataFrame(rows, schema=schema)

    shares = np.asarray(fit["shares"], dtype=float)
    share_se = fit["share_std_errors"]
    lo: list[float | None] = [None] * j_n
    hi: list[float | None] = [None] * j_n
    if share_se is not None and j_n > 1:
        for j in range(j_n):
            pj, sj = shares[j], share_se[j]
            logit = math.log(pj / (1 - pj))
            half = z * sj / (pj * (1 - pj))
            lo[j] = 1 / (1 + math.exp(-(logit - half)))
            hi[j] = 1 / (1 + math.exp(-(logit + half)))
    elif j_n == 1:
        share_se, lo, hi = [0.0], [1.0], [1.0]
    persons = int(fit["persons"])
    adequacy = pl.DataFrame(
        {
            "group": list(range(1, j_n + 1)),
            "share": shares,
            "std_error": share_se if share_se is not None else [None] * j_n,
            "ci_low": lo,
            "ci_high": hi,
            "assigned": [a[0] for a in fit["adequacy"]],
            "assigned_share": [a[0] / persons for a in fit["adequacy"]],
            "average_posterior": [a[1] for a in fit["adequacy"]],
            "odds_correct_classification": [a[2] for a in fit["adequacy"]],
        },
        schema={
            "group": pl.Int64,
            "share": pl.Float64,
            "std_error": pl.Float64,
            "ci_low": pl.Float64,
            "ci_high": pl.Float64,
            "assigned": pl.Int64,
            "assigned_share": pl.Float64,
            "average_posterior": pl.Float64,
            "odds_correct_classification": pl.Float64,
        },
    )
    table = to_polars(fit["trajectory"])
    if time_dtype.is_integer():
        table = table.with_columns(pl.col("time").cast(time_dtype))
    table = table.rename({"time": time})
    trace = fit["trace"]
    return TrajectoryModel(
        groups=j_n,
        model=model,
        order=order,
        zero_order=zero_order if model == "zip" else None,
        log_likelihood=float(fit["log_likelihood"]),
        parameters=int(fit["parameters"]),
        bic=float(fit["bic"]),
        aic=float(fit["aic"]),
        entropy=fit["entropy"],
        converged=bool(fit["converged"]),
        iterations=int(fit["iterations"]),
        summary=summary,
        adequacy=adequacy,
        table=table,
        membership=to_polars(fit["membership"]),
        trace=pl.DataFrame(
            {"iteration": list(range(len(trace))), "log_likelihood": trace},
            schema={"iteration": pl.Int64, "log_likelihood": pl.Float64},
        ),
        starts=pl.DataFrame(
            {
                "start": list(range(len(fit["starts"]))),
                "log_likelihood": [s[0] for s in fit["starts"]],
                "iterations": [s[1] for s in fit["starts"]],
            },
            schema={"start": pl.Int64, "log_likelihood": pl.Float64, "iterations": pl.Int64},
        ),
        best_start=int(fit["best_start"]),
        covariance_note=fit["covariance_note"],
        person=person,
        time=time,
        level=level,
    )


def trajectories(
    panel: Any,
    person: str,
    time: str,
    count: str,
    *,
    groups: int | Iterable[int] = range(1, 7),
    model: Model = "zip",
    order: int = 2,
    exposure: str | None = None,
    seed: int = 0,
    zero_order: int = 0,
    starts: int = 10,
    max_iter: int = 2000,
    tolerance: float = 1e-8,
    level: float = 0.95,
    missing: Missing = "error",
    accelerate: bool = True,
    threads: int | None = None,
) -> Trajectories:
    r"""Group-based trajectory models (Nagin 2005) for several numbers of groups.

    The population is a mixture of :math:`J` latent groups with shares :math:`\pi_j`; within a
    group, a person's yearly counts are independent with a polynomial trajectory in time:

    * ``"poisson"``: :math:`y_{it} \sim \text{Poisson}(e_{it}\lambda_{jt})`,
      :math:`\log\lambda_{jt} = \beta_{j0} + \beta_{j1} t + \dots + \beta_{jp} t^p`;
    * ``"zip"`` (zero-inflated Poisson, as crimCV): :math:`y_{it} = 0` with probability
      :math:`\omega_{jt}` (a structural zero: not offending that period), otherwise
      Poisson as above; :math:`\text{logit}\,\omega_{jt}` is a polynomial of degree
      ``zero_order``;
    * ``"logit"``: :math:`P(y_{it} = 1) = p_{jt}`, :math:`\text{logit}\,p_{jt}` a polynomial.

    The log-likelihood :math:`\ell = \sum_i \log \sum_j \pi_j \prod_t p_j(y_{it})` is
    maximised by EM: each iteration's M-step is solved exactly (Newton's method over the
    distinct times), so :math:`\ell` never falls; iterations are accelerated by SQUAREM and
    finished by Newton–Raphson steps on the observed information (each kept only if
    :math:`\ell` does not fall; the trace is in ``.models[J].trace``). Each number of groups
    is started from ``starts`` seeded k-means++ partitions of the persons' early, middle and
    late offending rates, run briefly (on a random subsample of 5,000 persons if there are
    more), and the best start is run to convergence. The model with the lowest
    :math:`\text{BIC} = -2\ell + k\log N` (:math:`N` persons) is selected; Nagin recommends
    weighing it with the adequacy criteria and the substance of the groups
    (:meth:`Trajectories.select`).

    Polynomials are fitted on time mapped onto :math:`[-1, 1]` for numerical stability and
    reported on your time scale (rescale time, e.g. age / 10, for readable coefficients).

    Parameters
    ----------
    panel
        One row per person and period (polars, pandas, pyarrow ...). Rows may come in any
        order; each person's rows are ordered by time. Persons observed at few periods (even
        one) are kept: they contribute what they show.
    person, time, count
        Columns: person ids (integers or strings), the period's time (a number: age or year)
        and the count in the period (whole numbers; 0/1 for ``model="logit"``).
    groups
        Numbers of groups to fit (an int or several).
    model
        ``"zip"``, ``"poisson"`` or ``"logit"``.
    order
        Degree of the trajectory polynomials (0 to 6; Nagin's usual choice is 2 or 3).
    exposure
        Column of time at risk in the period (e.g. the share of a year not in custody); the
        rate is per unit exposure. Rows with zero exposure (and a zero count) are skipped.
    seed
        Seed of the random starts: the same seed gives the same result on any number of
        threads.
    zero_order
        Degree of the zero-inflation polynomial (``model="zip"``; 0: a constant per group).
    starts
        Random starts per number of groups.
    max_iter, tolerance
        At most ``max_iter`` iterations; converged when :math:`\ell` rises by less than
        ``tolerance`` times :math:`|\ell|` in an iteration.
    level
        Confidence level of the intervals.
    missing
        ``"error"`` (default) or ``"drop"``: rows with a null or NaN in the used columns are
        removed and counted in ``rows_dropped``.
    accelerate
        Use SQUAREM (False: plain EM before the Newton steps).
    threads
        Threads to use (default: all cores); results do not depend on it.

    Returns
    -------
    Trajectories
        ``.comparison`` (log-likelihood, BIC, AIC, entropy per number of groups), ``.models``,
        ``.selected``; ``.summary``, ``.adequacy``, ``.table``, ``.membership`` and
        ``.plot()`` of the selected model.

    Raises
    ------
    ColumnError, BadValueError, DuplicateError, ArgumentError
        A missing column; a negative, fractional or missing count (the row is named); two
        rows of one person at the same time; a bad argument.

    Warns
    -----
    ConvergenceWarning
        A number of groups for which no start succeeded, a selected model that did not
        converge or whose standard errors are not available.

    References
    ----------
    .. [1] Nagin, D. S. (2005). Group-based Modeling of Development. Harvard University Press.
       https://doi.org/10.4159/9780674041318
    .. [2] Nagin, D. S., & Land, K. C. (1993). Age, criminal careers, and population
       heterogeneity. Criminology 31(3), 327-362.
       https://doi.org/10.1111/j.1745-9125.1993.tb01133.x
    .. [3] Nielsen, J. D., Rosenthal, J. S., Sun, Y., Day, D. M., Bevc, I., & Duchesne, T.
       (2014). Group-based criminal trajectory analysis using cross-validation criteria.
       Communications in Statistics - Theory and Methods 43(20), 4337-4356.
       https://doi.org/10.1080/03610926.2012.719986
    .. [4] Lambert, D. (1992). Zero-inflated Poisson regression. Technometrics 34(1), 1-14.
       https://doi.org/10.2307/1269547
    .. [5] Varadhan, R., & Roland, C. (2008). Simple and globally convergent methods for
       accelerating the convergence of any EM algorithm. Scandinavian Journal of Statistics
       35(2), 335-353. https://doi.org/10.1111/j.1467-9469.2007.00585.x
    .. [6] Louis, T. A. (1982). Finding the observed information matrix when using the EM
       algorithm. JRSS B 44(2), 226-233. https://doi.org/10.1111/j.2517-6161.1982.tb01203.x

    Examples
    --------
    >>> from aluna import careers, datasets
    >>> panel = datasets.load("careers_panel").data
    >>> fits = careers.trajectories(panel, "person_id", "age", "total_offences",
    ...                             groups=range(1, 6), model="poisson")
    >>> fits.selected
    4
    >>> fits.adequacy.select("group", pl.col("share").round(3)).rows()
    [(1, 0.533), (2, 0.089), (3, 0.26), (4, 0.118)]
    >>> fits.membership.columns
    ['person_id', 'group', 'posterior_1', 'posterior_2', 'posterior_3', 'posterior_4']
    """
    person = _column_name(person, "person")
    time = _column_name(time, "time")
    count = _column_name(count, "count")
    if exposure is not None:
        exposure = _column_name(exposure, "exposure")
    if model not in ("zip", "poisson", "logit"):
        raise ArgumentError(f"model: expected 'zip', 'poisson' or 'logit', got {model!r}")
    for name, value, low in (("order", order, 0), ("zero_order", zero_order, 0), ("starts", starts, 1), ("max_iter", max_iter, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ArgumentError(f"{name}: expected a whole number of at least {low}, got {value!r}")
    if not (isinstance(tolerance, (int, float)) and tolerance > 0 and math.isfinite(tolerance)):
        raise ArgumentError(f"tolerance: expected a positive number, got {tolerance!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**64:
        raise ArgumentError(f"seed: expected a whole number in [0, 2**64), got {seed!r}")
    z = _results.z_value(level)
    wanted = _groups_argument(groups)
    columns = [person, time, count] + ([exposure] if exposure else [])
    frame, dropped = _select(panel, columns, missing=missing, what="trajectories")
    time_dtype = frame.schema[time]
    out = _native.trajectories_fit(
        frame,
        person,
        time,
        count,
        exposure=exposure,
        model=model,
        order=int(order),
        zero_order=int(zero_order),
        groups=wanted,
        starts=int(starts),
        max_iter=int(max_iter),
        tolerance=float(tolerance),
        seed=int(seed),
        accelerate=bool(accelerate),
        z_value=z,
        threads=threads,
    )
    models: dict[int, TrajectoryModel] = {}
    rows = []
    for fit in out["fits"]:
        j = int(fit["groups"])
        if "error" in fit:
            warnings.warn(
                f"trajectories: no {j}-group model: {fit['error']}. Try other seeds, more "
                "starts, fewer groups or a lower order.",
                ConvergenceWarning,
                stacklevel=2,
            )
            rows.append({"groups": j})
            continue
        m = _model_from(
            fit,
            model=model,
            order=int(order),
            zero_order=int(zero_order),
            person=person,
            time=time,
            time_dtype=time_dtype,
            level=level,
        )
        models[j] = m
        rows.append(
            {
                "groups": j,
                "log_likelihood": m.log_likelihood,
                "parameters": m.parameters,
                "bic": m.bic,
                "aic": m.aic,
                "entropy": m.entropy,
                "smallest_share": float(m.adequacy["share"].min()),  # type: ignore[arg-type]
                "converged": m.converged,
                "iterations": m.iterations,
            }
        )
    comparison = pl.DataFrame(
        rows,
        schema={
            "groups": pl.Int64,
            "log_likelihood": pl.Float64,
            "parameters": pl.Int64,
            "bic": pl.Float64,
            "aic": pl.Float64,
            "entropy": pl.Float64,
            "smallest_share": pl.Float64,
            "converged": pl.Boolean,
            "iterations": pl.Int64,
        },
    )
    if not models:
        raise ArgumentError(
            "trajectories: no model could be fitted for any number of groups; see the warnings"
        )
    selected = min(models, key=lambda j: (models[j].bic, j))
    best = models[selected]
    if not best.converged:
        warnings.warn(
            f"trajectories: the selected {selected}-group model did not converge in "
            f"{max_iter} iterations; its estimates may be off. Raise max_iter or loosen "
            "tolerance.",
            ConvergenceWarning,
            stacklevel=2,
        )
    if best.covariance_note:
        warnings.warn(
            f"trajectories: the selected {selected}-group model has no standard errors: "
            f"{best.covariance_note}.",
            ConvergenceWarning,
            stacklevel=2,
        )
    return Trajectories(
        comparison=comparison,
        models=models,
        selected=selected,
        persons=int(out["persons"]),
        rows_dropped=dropped,
    )
