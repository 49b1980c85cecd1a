"""Offending careers: trajectory groups, career parameters, specialisation and escalation.

The study of criminal careers asks when offending starts and stops, how often people offend
while active, whether they specialise in sexual offences or are versatile, whether the
seriousness of their offences escalates, and which latent groups of offending trajectories a
population holds. This module answers those questions on pseudonymised person-level data:

=============================  =====================================================================
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
=============================  =====================================================================

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
    "Escalation",
    "Specialisation",
    "Trajectories",
    "TrajectoryModel",
    "career_parameters",
    "diversity",
    "escalation",
    "forward_specialisation",
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
            if frame[c][row] is None or (frame.schema[c].is_float() and math.isnan(frame[c][row]))
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
        shares = dict(zip(self.adequacy["group"], self.adequacy["share"], strict=True))
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
        note = f"<p>{html.escape(self.covariance_note)}</p>" if self.covariance_note else ""
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
        Numbers of groups to fit (an int or several, each from 1 to 20).
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
    for name, value, low in (
        ("order", order, 0),
        ("zero_order", zero_order, 0),
        ("starts", starts, 1),
        ("max_iter", max_iter, 1),
    ):
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


# ------------------------------------------------------------------------------ career parameters


def _names(value: str | Sequence[str] | None, argument: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    names = list(value)
    for v in names:
        _column_name(v, argument)
    return names


def career_parameters(
    df: Any,
    person: str,
    age: str,
    *,
    offences: str | Sequence[str] | None = None,
    sexual: str | None = None,
    period: float = 1.0,
    missing: Missing = "error",
) -> pl.DataFrame:
    r"""Career parameters per person: onset, last recorded offence, career length, frequency,
    and the numbers and shares of sexual and other offences.

    For each person, over their rows: ``onset_age`` is the youngest age with an offence,
    ``last_offence_age`` the oldest, ``career_length`` their difference, and ``frequency``
    Blumstein et al.'s individual offending frequency
    :math:`\lambda = \text{offences} / (\text{career length} + \text{period})`: offences per
    period of active career, counting the first and last periods in full (with yearly data, a
    person with 3 offences at ages 15 to 17 has :math:`\lambda = 1` a year). Persons without
    offences have nulls there. Ages are those recorded, so a career still running when
    observation stops is cut there (``observed_to`` says when).

    Parameters
    ----------
    df
        A panel (one row per person and period, e.g. ``careers_panel``) or one row per offence.
    person, age
        Columns: person ids, and the age (or any time) of the row.
    offences
        Count column(s) whose sum is the row's number of offences; None: each row is one
        offence.
    sexual
        Count (or boolean) column of the row's sexual offences, part of its offences; adds
        ``sexual_offences``, ``other_offences``, ``sexual_share`` and ``other_share``.
    period
        Length of one period in the units of ``age`` (1 for yearly data).
    missing
        ``"error"`` or ``"drop"`` rows with a null or NaN.

    Returns
    -------
    polars.DataFrame
        Per person, in order of first appearance: your person column, ``periods`` (rows),
        ``observed_from``, ``observed_to``, ``offences``, ``active_periods`` (rows with an
        offence), ``onset_age``, ``last_offence_age``, ``career_length``, ``frequency`` and,
        with ``sexual``, the sexual and other counts and shares. Ages keep an integer dtype.

    References
    ----------
    .. [1] Blumstein, A., Cohen, J., Roth, J. A., & Visher, C. A. (Eds.) (1986). Criminal
       Careers and "Career Criminals". National Academy Press. https://doi.org/10.17226/922
    .. [2] Piquero, A. R., Farrington, D. P., & Blumstein, A. (2003). The criminal career
       paradigm. Crime and Justice 30, 359-506. https://doi.org/10.1086/652234

    Examples
    --------
    >>> import polars as pl
    >>> from aluna import careers
    >>> panel = pl.DataFrame({"id": [7, 7, 7, 7, 8, 8], "age": [14, 15, 16, 17, 14, 15],
    ...                       "offences": [0, 2, 0, 1, 0, 0], "sexual": [0, 1, 0, 0, 0, 0]})
    >>> careers.career_parameters(panel, "id", "age", offences="offences",
    ...                           sexual="sexual").select(
    ...     "id", "onset_age", "career_length", "frequency", "sexual_share").rows()
    [(7, 15, 2, 1.0, 0.3333333333333333), (8, None, None, None, None)]
    """
    person = _column_name(person, "person")
    age = _column_name(age, "age")
    counts = _names(offences, "offences")
    if sexual is not None:
        sexual = _column_name(sexual, "sexual")
    if not (isinstance(period, (int, float)) and math.isfinite(period) and period > 0):
        raise ArgumentError(f"period: expected a positive number, got {period!r}")
    columns = [person, age, *counts] + ([sexual] if sexual else [])
    frame, _ = _select(df, columns, missing=missing, what="career_parameters")
    out = to_polars(
        _native.career_parameters_table(
            frame, person, age, counts, sexual=sexual, period=float(period)
        )
    )
    dtype = frame.schema[age]
    if dtype.is_integer() and float(period).is_integer():
        out = out.with_columns(
            pl.col(
                "observed_from", "observed_to", "onset_age", "last_offence_age", "career_length"
            ).cast(pl.Int64)
        )
    return out


# ------------------------------------------------------------------------------ specialisation


def _long_offences(
    df: Any,
    person: str,
    offence_type: str | None,
    types: Sequence[str] | None,
    count: str | None,
    extra: Sequence[str],
    *,
    missing: Missing,
    what: str,
) -> tuple[pl.DataFrame, str, str | None, int]:
    """One row per offence (or per person, type and count): the frame and its type and count
    columns; a wide table of count columns per type is unpivoted."""
    if types is not None:
        if offence_type is not None or count is not None:
            raise ArgumentError(
                f"{what}: give either offence_type (one row per offence, optionally with count) "
                "or types (one count column per type), not both"
            )
        wide = _names(types, "types")
        if not wide:
            raise ArgumentError(f"{what}: types: give at least one count column")
        frame, dropped = _select(df, [person, *extra, *wide], missing=missing, what=what)
        long = frame.unpivot(
            index=[person, *extra], on=wide, variable_name="type", value_name="__count"
        )
        return long, "type", "__count", dropped
    if offence_type is None:
        raise ArgumentError(f"{what}: give offence_type (a column) or types (count columns)")
    offence_type = _column_name(offence_type, "offence_type")
    if count is not None:
        count = _column_name(count, "count")
    columns = [person, *extra, offence_type] + ([count] if count else [])
    frame, dropped = _select(df, columns, missing=missing, what=what)
    return frame, offence_type, count, dropped


def diversity(
    offences: Any,
    person: str,
    offence_type: str | None = None,
    *,
    count: str | None = None,
    types: Sequence[str] | None = None,
    missing: Missing = "error",
) -> pl.DataFrame:
    r"""Blau's diversity index of each person's offences (versatility against specialisation).

    :math:`D = 1 - \sum_k p_k^2`, with :math:`p_k` the share of the person's offences of type
    :math:`k` (Simpson's index of diversity): 0 for someone whose offences are all of one type,
    up to :math:`1 - 1/K` when they spread evenly over all :math:`K` types in the data.
    ``diversity_normalised`` divides by :math:`1 - 1/K`, so 1 is the most versatile possible.

    Parameters
    ----------
    offences
        One row per offence (or per person and type, with ``count``), or a wide table with one
        count column per type (``types``), such as ``careers_panel``.
    person
        Column of person ids.
    offence_type
        Column of offence types (long form).
    count
        Column of how many offences a row stands for (long form; default 1).
    types
        Count columns, one per type (wide form); their names are the types.
    missing
        ``"error"`` or ``"drop"`` rows with a null or NaN.

    Returns
    -------
    polars.DataFrame
        Per person, in order of first appearance: your person column, ``offences``, ``types``
        (types with at least one offence), ``diversity`` and ``diversity_normalised`` (null
        without offences).

    References
    ----------
    .. [1] Blau, P. M. (1977). Inequality and Heterogeneity. Free Press.
    .. [2] Mazerolle, P., Brame, R., Paternoster, R., Piquero, A., & Dean, C. (2000). Onset age,
       persistence, and offending versatility: comparisons across gender. Criminology 38(4),
       1143-1172. https://doi.org/10.1111/j.1745-9125.2000.tb01417.x

    Examples
    --------
    >>> import polars as pl
    >>> from aluna import careers
    >>> records = pl.DataFrame({"id": [1, 1, 1, 1, 2, 2],
    ...                         "type": ["theft", "sexual", "theft", "drug", "sexual", "sexual"]})
    >>> careers.diversity(records, "id", "type").with_columns(pl.col(pl.Float64).round(4)).rows()
    [(1, 4, 3, 0.625, 0.9375), (2, 2, 1, 0.0, 0.0)]
    """
    person = _column_name(person, "person")
    frame, type_column, count_column, _ = _long_offences(
        offences, person, offence_type, types, count, (), missing=missing, what="diversity"
    )
    table, _ = _native.diversity_table(frame, person, type_column, count=count_column)
    return to_polars(table)


@dataclass(frozen=True, repr=False)
class Specialisation:
    """Forward specialisation in offence sequences (Farrington 1986).

    Attributes
    ----------
    table
        Per offence type: ``type``, ``transitions`` (offences of this type followed by another
        offence, :math:`R_a`), ``repeats`` (followed by one of the same type, :math:`O_{aa}`),
        ``expected`` (repeats expected without specialisation, :math:`R_a C_a / N`),
        ``forward_specialisation`` (:math:`(O_{aa} - E_{aa}) / (R_a - E_{aa})`),
        ``adjusted_residual`` and its two-sided normal ``p_value``.
    transitions
        The transition table, long: ``from``, ``to``, ``count``, ``expected``.
    overall
        The pooled coefficient :math:`(\\sum O_{aa} - \\sum E_{aa}) / (N - \\sum E_{aa})` (Cohen's
        kappa of the transition table).
    total
        Transitions :math:`N`.
    persons
        Persons with at least one transition.
    """

    table: pl.DataFrame
    transitions: pl.DataFrame
    overall: float | None
    total: int
    persons: int

    def plot(self, ax: Any = None) -> Any:
        """The transition table as row proportions (where each type's next offence goes), the
        diagonal being the repeats."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 4.5))
        labels = [str(t) for t in self.table["type"].to_list()]
        k = len(labels)
        counts = self.transitions["count"].to_numpy().reshape(k, k)
        rows = counts.sum(axis=1, keepdims=True)
        share = np.divide(counts, rows, out=np.zeros_like(counts), where=rows > 0)
        image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
        ax.set_xticks(range(k))
        ax.set_xticklabels(labels, rotation=45, ha="right")
        ax.set_yticks(range(k))
        ax.set_yticklabels(labels)
        ax.set_xlabel("next offence")
        ax.set_ylabel("offence")
        ax.figure.colorbar(image, ax=ax, label="share of transitions")
        return ax

    def _repr_html_(self) -> str:
        facts = [
            ("transitions", self.total),
            ("persons with a transition", self.persons),
            ("overall forward specialisation", self.overall if self.overall is not None else "—"),
        ]
        return _results.facts_html("Forward specialisation", facts) + _results.table_html(
            self.table
        )

    def __repr__(self) -> str:
        overall = "None" if self.overall is None else f"{self.overall:.4f}"
        return (
            f"Specialisation(types={self.table.height}, transitions={self.total}, "
            f"overall={overall})"
        )


def forward_specialisation(
    offences: Any,
    person: str,
    time: str,
    offence_type: str,
    *,
    count: str | None = None,
    missing: Missing = "error",
) -> Specialisation:
    r"""Farrington's forward specialisation coefficient per offence type.

    Each person's offences are put in time order; every pair of successive offences is a
    transition from the first one's type to the second's. With the transition counts
    :math:`O_{ab}`, row totals :math:`R_a`, column totals :math:`C_b` and :math:`N`
    transitions, the forward specialisation coefficient of type :math:`a` is

    .. math:: \text{FSC}_a = \frac{O_{aa} - E_{aa}}{R_a - E_{aa}}, \quad E_{aa} = R_a C_a / N,

    0 when the type of the next offence is independent of this one (versatility), 1 when an
    offence of type :math:`a` is always followed by another of type :math:`a` (complete
    specialisation), negative when it is followed by other types more than chance would have
    it. The adjusted residual :math:`(O_{aa} - E_{aa}) / \sqrt{E_{aa}(1 - R_a/N)(1 - C_a/N)}`
    tests :math:`O_{aa} = E_{aa}` (Haberman 1973); transitions of different persons are taken
    as independent.

    Parameters
    ----------
    offences
        One row per offence (or per person, time and type with ``count``).
    person, time, offence_type
        Columns: person ids, when the offence happened (numbers, dates or datetimes) and its
        type. Rows may come in any order; offences of a person at the same time keep the
        order of the rows (give a finer time if that order matters).
    count
        Column of how many offences of that type a row stands for (``c`` offences make
        ``c - 1`` repeats).
    missing
        ``"error"`` or ``"drop"`` rows with a null or NaN.

    Returns
    -------
    Specialisation
        ``.table`` per type, ``.transitions``, ``.overall``, ``.plot()``.

    References
    ----------
    .. [1] Farrington, D. P. (1986). Stepping stones to adult criminal careers. In D. Olweus,
       J. Block & M. Radke-Yarrow (Eds.), Development of Antisocial and Prosocial Behavior
       (pp. 359-384). Academic Press. https://doi.org/10.1016/B978-0-12-525570-3.50021-7
    .. [2] Farrington, D. P., Snyder, H. N., & Finnegan, T. A. (1988). Specialization in
       juvenile court careers. Criminology 26(3), 461-488.
       https://doi.org/10.1111/j.1745-9125.1988.tb00851.x
    .. [3] Haberman, S. J. (1973). The analysis of residuals in cross-classified tables.
       Biometrics 29(1), 205-220. https://doi.org/10.2307/2529686

    Examples
    --------
    >>> import polars as pl
    >>> from aluna import careers
    >>> records = pl.DataFrame({
    ...     "id": [1, 1, 1, 2, 2, 2, 3, 3],
    ...     "year": [2001, 2002, 2003, 2001, 2004, 2005, 2002, 2003],
    ...     "type": ["sexual", "sexual", "theft", "theft", "theft", "sexual", "theft", "theft"]})
    >>> s = careers.forward_specialisation(records, "id", "year", "type")
    >>> s.table.select("type", "repeats", pl.col("forward_specialisation").round(3)).rows()
    [('sexual', 1.0, 0.167), ('theft', 2.0, 0.167)]
    >>> round(s.overall, 3)
    0.167
    """
    person = _column_name(person, "person")
    time = _column_name(time, "time")
    frame, type_column, count_column, _ = _long_offences(
        offences,
        person,
        offence_type,
        None,
        count,
        (time,),
        missing=missing,
        what="forward_specialisation",
    )
    out = _native.forward_specialisation_tables(
        frame, person, time, type_column, count=count_column
    )
    table = to_polars(out["table"])
    table = table.with_columns(
        pl.col("adjusted_residual")
        .map_elements(_results.normal_p, return_dtype=pl.Float64)
        .alias("p_value")
    )
    transitions = to_polars(out["transitions"])
    dtype = frame.schema[type_column]
    if dtype.is_integer():
        table = table.with_columns(pl.col("type").cast(dtype))
        transitions = transitions.with_columns(pl.col("from", "to").cast(dtype))
    else:
        table = table.with_columns(pl.col("type").cast(pl.String))
        transitions = transitions.with_columns(pl.col("from", "to").cast(pl.String))
    return Specialisation(
        table=table,
        transitions=transitions,
        overall=out["overall"],
        total=int(out["total"]),
        persons=int(out["persons"]),
    )


# ------------------------------------------------------------------------------ escalation


@dataclass(frozen=True, repr=False)
class Escalation:
    """Escalation in seriousness over offending careers.

    Attributes
    ----------
    estimate, std_error, statistic, df, p_value, ci_low, ci_high
        The pooled within-person slope of seriousness per offence (or per unit of time), its
        cluster-robust standard error by person, the t statistic with ``df`` degrees of
        freedom (persons with a slope minus 1), the two-sided p-value and the interval.
    summary
        The same as a one-row term table.
    table
        Per person: your person column, ``offences``, ``mean_seriousness``,
        ``first_seriousness``, ``last_seriousness``, ``slope`` (null with fewer than two
        offences).
    persons, persons_excluded, offences
        Persons in the test (with a slope), persons left out (fewer than two offences or one
        distinct time), offences of the persons in the test.
    over, level
        ``"sequence"`` or ``"time"``; the confidence level.
    """

    estimate: float
    std_error: float
    statistic: float
    df: float
    p_value: float
    ci_low: float
    ci_high: float
    summary: pl.DataFrame
    table: pl.DataFrame
    persons: int
    persons_excluded: int
    offences: int
    over: str
    level: float

    def plot(self, ax: Any = None) -> Any:
        """The distribution of the persons' slopes, with the pooled slope and its interval."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        slopes = self.table["slope"].drop_nulls().to_numpy()
        ax.hist(slopes, bins=min(40, max(5, len(slopes) // 5)), color="0.75")
        ax.axvline(0.0, color="grey", lw=0.8, ls="--")
        ax.axvline(self.estimate, color="black", lw=1.5, label="pooled within-person slope")
        ax.axvspan(self.ci_low, self.ci_high, color="black", alpha=0.15)
        unit = "offence" if self.over == "sequence" else "unit of time"
        ax.set_xlabel(f"change in seriousness per {unit}")
        ax.set_ylabel("persons")
        ax.legend(frameon=False)
        return ax

    def _repr_html_(self) -> str:
        facts = [
            ("trend over", self.over),
            ("persons in the test", self.persons),
            ("persons left out (< 2 offences)", self.persons_excluded),
            ("offences", self.offences),
            ("df", self.df),
        ]
        return _results.facts_html("Escalation in seriousness", facts) + _results.table_html(
            self.summary
        )

    def __repr__(self) -> str:
        return (
            f"Escalation(estimate={self.estimate:.4g}, std_error={self.std_error:.4g}, "
            f"p_value={self.p_value:.4g}, persons={self.persons})"
        )


def escalation(
    offences: Any,
    person: str,
    time: str,
    seriousness: str | Mapping[Any, float],
    *,
    offence_type: str | None = None,
    over: Literal["sequence", "time"] = "sequence",
    level: float = 0.95,
    missing: Missing = "error",
) -> Escalation:
    r"""Escalation in seriousness: the trend of a seriousness score over each person's
    offences, and a test that the average within-person trend is zero.

    For each person, offences are put in time order and the least-squares slope of
    seriousness on the offence number :math:`k = 1, 2, \dots` (``over="sequence"``) or on time
    (``over="time"``) is computed. The pooled estimate is the within-person (fixed-effects)
    slope :math:`\hat\beta = \sum_i\sum_k \tilde x_{ik}\tilde s_{ik} / \sum_i\sum_k \tilde
    x_{ik}^2`, with :math:`\tilde x`, :math:`\tilde s` centred on each person's means, so
    differences in seriousness between persons do not count, only changes within careers.
    Its standard error is cluster-robust by person,
    :math:`\frac{G}{G-1}\sum_i(\sum_k \tilde x_{ik}\tilde e_{ik})^2 / (\sum \tilde x^2)^2`
    (:math:`G` persons in the test; person effects not counted as parameters, Cameron & Miller
    2015), equal to statsmodels' ``cov_type="cluster"`` on the centred data; the test uses
    Student's t with :math:`G - 1` degrees of freedom. A positive slope is escalation, a
    negative one de-escalation.

    Parameters
    ----------
    offences
        One row per offence.
    person, time
        Columns: person ids and when the offence happened (numbers, dates or datetimes). Rows
        may come in any order; offences of a person at the same time keep the order of the
        rows.
    seriousness
        A numeric column of seriousness scores, or a mapping from offence type to score (with
        ``offence_type``), e.g. ``{"sexual": 5, "violent": 4, "theft": 2}``.
    offence_type
        The type column that a seriousness mapping reads.
    over
        ``"sequence"`` (per offence) or ``"time"`` (per unit of time).
    level
        Confidence level.
    missing
        ``"error"`` or ``"drop"`` rows with a null or NaN.

    Returns
    -------
    Escalation

    Raises
    ------
    ArgumentError
        A seriousness mapping without ``offence_type``, or one missing a type in the data.
    NotDefinedError
        Fewer than two persons with two or more offences.

    References
    ----------
    .. [1] Liu, J., Francis, B., & Soothill, K. (2011). A longitudinal study of escalation in
       crime seriousness. Journal of Quantitative Criminology 27(2), 175-196.
       https://doi.org/10.1007/s10940-010-9102-6
    .. [2] Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to cluster-robust
       inference. Journal of Human Resources 50(2), 317-372.
       https://doi.org/10.3368/jhr.50.2.317

    Examples
    --------
    >>> import polars as pl
    >>> from aluna import careers
    >>> records = pl.DataFrame({
    ...     "id": [1, 1, 1, 2, 2, 2, 3],
    ...     "year": [2003, 2001, 2002, 2001, 2002, 2003, 2001],
    ...     "type": ["sexual", "theft", "violent", "theft", "sexual", "theft", "drug"]})
    >>> result = careers.escalation(records, "id", "year",
    ...     {"theft": 1, "drug": 2, "violent": 3, "sexual": 5}, offence_type="type")
    >>> round(result.estimate, 3), result.persons, result.persons_excluded
    (1.0, 2, 1)
    >>> result.table["slope"].to_list()
    [2.0, 0.0, None]
    """
    person = _column_name(person, "person")
    time = _column_name(time, "time")
    if over not in ("sequence", "time"):
        raise ArgumentError(f"over: expected 'sequence' or 'time', got {over!r}")
    _results.z_value(level)
    if isinstance(seriousness, Mapping):
        if offence_type is None:
            raise ArgumentError(
                "escalation: a seriousness mapping needs offence_type, the column it maps"
            )
        offence_type = _column_name(offence_type, "offence_type")
        frame, _ = _select(
            offences, [person, time, offence_type], missing=missing, what="escalation"
        )
        unmapped = sorted(set(frame[offence_type].unique().to_list()) - set(seriousness), key=str)
        if unmapped:
            raise ArgumentError(
                f"escalation: seriousness has no score for offence type(s) "
                f"{', '.join(map(repr, unmapped))} of column `{offence_type}`"
            )
        frame = frame.with_columns(
            pl.col(offence_type)
            .replace_strict(dict(seriousness), return_dtype=pl.Float64)
            .alias("__seriousness")
        )
        column = "__seriousness"
    else:
        column = _column_name(seriousness, "seriousness")
        frame, _ = _select(offences, [person, time, column], missing=missing, what="escalation")
    out = _native.escalation_test(frame, person, time, column, over=over, level=float(level))
    table = to_polars(out["table"])
    lo, hi = out["ci"]
    term = "offence number" if over == "sequence" else time
    summary = pl.DataFrame(
        {
            "term": [term],
            "estimate": [out["estimate"]],
            "std_error": [out["std_error"]],
            "statistic": [out["statistic"]],
            "p_value": [out["p_value"]],
            "ci_low": [lo],
            "ci_high": [hi],
        }
    )
    persons = int(out["clusters"])
    return Escalation(
        estimate=float(out["estimate"]),
        std_error=float(out["std_error"]),
        statistic=float(out["statistic"]),
        df=float(out["df"]),
        p_value=float(out["p_value"]),
        ci_low=float(lo),
        ci_high=float(hi),
        summary=summary,
        table=table,
        persons=persons,
        persons_excluded=table.height - persons,
        offences=int(out["offences"]),
        over=over,
        level=float(level),
    )
