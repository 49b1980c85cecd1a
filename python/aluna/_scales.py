"""Actuarial risk scales: items scored into a total, validated with AUC and logistic norms."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import polars as pl

from aluna import _results
from aluna._evaluation import AreaUnderCurve, _binary, _expit, _select, roc_auc
from aluna._survival_args import as_frame
from aluna.exceptions import ArgumentError, BadValueError, ColumnError

__all__ = ["ActuarialScale", "ScaleValidation"]

Condition = pl.Expr | str | Callable[[pl.DataFrame], Any]


@dataclass(frozen=True, repr=False)
class ScaleValidation:
    """Validation of an actuarial scale on a sample: discrimination and logistic norms.

    Attributes
    ----------
    auc
        The AUC of the total with its DeLong interval.
    norms
        The logistic norms :math:`P(y=1\\mid s)=\\operatorname{logit}^{-1}(B_0+B_1 s)`: a
        summary table with terms ``B0`` and ``B1``.
    table
        Per score in the sample: ``score``, ``n``, ``events``, ``observed_rate``,
        ``expected_rate`` (from the norms) with ``ci_low``, ``ci_high`` (delta method on the
        log-odds scale).
    b0, b1
        The norms' coefficients.
    """

    auc: AreaUnderCurve
    norms: pl.DataFrame
    table: pl.DataFrame
    b0: float
    b1: float
    _covariance: np.ndarray
    level: float

    def expected_rate(self, scores: Sequence[float]) -> pl.DataFrame:
        """Expected outcome rates (with intervals) for any totals, from the norms."""
        z = _results.z_value(self.level)
        s = np.asarray([float(v) for v in scores])
        x = np.column_stack([np.ones_like(s), s])
        eta = x @ np.array([self.b0, self.b1])
        se = np.sqrt(np.einsum("ij,jk,ik->i", x, self._covariance, x))
        return pl.DataFrame(
            {
                "score": s,
                "expected_rate": _expit(eta),
                "ci_low": _expit(eta - z * se),
                "ci_high": _expit(eta + z * se),
            }
        )

    def plot(self, ax: Any = None) -> Any:
        """Observed rate per score (points sized by n) against the norms' expected rates."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        t = self.table
        s = t["score"].to_numpy()
        ax.fill_between(s, t["ci_low"].to_numpy(), t["ci_high"].to_numpy(), alpha=0.2)
        ax.plot(s, t["expected_rate"].to_numpy(), label="logistic norms")
        n = t["n"].to_numpy()
        ax.scatter(
            s,
            t["observed_rate"].to_numpy(),
            s=10 + 90 * n / n.max(),
            color="black",
            label="observed",
            zorder=3,
        )
        ax.set_xlabel("total score")
        ax.set_ylabel("outcome rate")
        ax.legend()
        return ax

    def _repr_html_(self) -> str:
        facts = [
            ("AUC", f"{self.auc.estimate:.3f} ({self.auc.ci_low:.3f} to {self.auc.ci_high:.3f})"),
            ("B0", self.b0),
            ("B1", self.b1),
        ]
        return (
            _results.facts_html("Scale validation", facts)
            + _results.table_html(self.norms)
            + _results.table_html(self.table)
        )

    def __repr__(self) -> str:
        return f"ScaleValidation(auc={self.auc.estimate:.4f}, b0={self.b0:.4f}, b1={self.b1:.4f})"


class ActuarialScale:
    r"""An actuarial risk scale: items with points, summed into a total score.

    The shape of Static-99R, Static-2002R and CPORT: each item is a *condition* on the
    person's record worth some *points*; the total ranks people by risk, and *norms* turn a
    total into an expected rate in a given population. Items may share a name (the levels of
    one item, such as age bands worth +1, 0, -1, -3); their points add up, so make the levels
    of one item exclusive.

    Parameters
    ----------
    items
        ``(name, condition, points)`` triples. ``condition`` is a polars boolean expression
        (``pl.col("prior_sex_offences") >= 3``), a SQL string (``"age_at_release < 35"``), or
        a function of the frame returning a boolean Series.
    name
        The scale's name.
    missing
        ``"error"``: a condition that is null for a row (a missing item) is an error naming the
        item and row; ``"zero"``: it scores 0, as coding manuals often say to do when an item
        cannot be scored.

    References
    ----------
    .. [1] Helmus, L., Thornton, D., Hanson, R. K. & Babchishin, K. M. (2012). Improving the
       predictive accuracy of Static-99 and Static-2002 with older sex offenders: revised age
       weights. Sexual Abuse 24(1), 64-101. https://doi.org/10.1177/1079063211409951
    .. [2] Seto, M. C. & Eke, A. W. (2015). Predicting recidivism among adult male child
       pornography offenders: development of the Child Pornography Offender Risk Tool (CPORT).
       Law and Human Behavior 39(4), 416-429. https://doi.org/10.1037/lhb0000128

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.risk import ActuarialScale
    >>> scale = ActuarialScale([
    ...     ("young", pl.col("age") < 35, 1),
    ...     ("priors", "priors >= 2", 2),
    ... ], name="toy")
    >>> df = pl.DataFrame({"age": [25, 50, 30], "priors": [0, 3, 2]})
    >>> scale.score(df)["total"].to_list()
    [1, 2, 3]
    """

    def __init__(
        self,
        items: Sequence[tuple[str, Condition, float]],
        *,
        name: str = "scale",
        missing: Literal["error", "zero"] = "error",
    ) -> None:
        if missing not in ("error", "zero"):
            raise ArgumentError(f'missing: expected "error" or "zero", got {missing!r}')
        checked = []
        for k, item in enumerate(items):
            if not (isinstance(item, tuple) and len(item) == 3):
                raise ArgumentError(f"items[{k}]: expected (name, condition, points), got {item!r}")
            label, condition, points = item
            if not isinstance(label, str):
                raise ArgumentError(f"items[{k}]: the name must be a string, got {label!r}")
            if isinstance(points, bool) or not isinstance(points, (int, float)):
                raise ArgumentError(
                    f"items[{k}] ({label}): points must be a number, got {points!r}"
                )
            if isinstance(condition, str):
                condition = pl.sql_expr(condition)
            elif not (isinstance(condition, pl.Expr) or callable(condition)):
                raise ArgumentError(
                    f"items[{k}] ({label}): the condition must be a polars expression, a SQL "
                    f"string or a function, got {type(condition).__name__}"
                )
            checked.append((label, condition, points))
        if not checked:
            raise ArgumentError("items: a scale needs at least one item")
        self.items = checked
        self.name = name
        self.missing = missing

    @property
    def item_names(self) -> list[str]:
        """Item names in order (each once)."""
        return list(dict.fromkeys(label for label, _, _ in self.items))

    def score(self, df: Any) -> pl.DataFrame:
        """Each item's points and the ``total`` for every row of ``df``.

        Returns
        -------
        polars.DataFrame
            One column per item name (its points) and ``total``, in the order of ``df``.
        """
        frame = as_frame(df, what=f"{self.name}.score")
        points: dict[str, pl.Series] = {}
        for label, condition, value in self.items:
            try:
                hit = (
                    condition(frame)
                    if callable(condition) and not isinstance(condition, pl.Expr)
                    else frame.select(condition.alias("__c")).to_series()
                )  # type: ignore[union-attr]
            except pl.exceptions.ColumnNotFoundError as err:
                raise ColumnError(
                    f"{self.name}: item {label!r} uses a column not in the table ({err})"
                ) from None
            hit = pl.Series(hit)
            if hit.len() != frame.height:
                raise ArgumentError(
                    f"{self.name}: item {label!r} gave {hit.len()} values for {frame.height} rows"
                )
            if hit.dtype != pl.Boolean:
                raise ArgumentError(
                    f"{self.name}: item {label!r}: the condition must be boolean, got {hit.dtype}"
                )
            if hit.null_count():
                if self.missing == "error":
                    row = int(hit.is_null().arg_max() or 0)
                    raise BadValueError(
                        f"{self.name}: item {label!r}, row {row}: the condition is null (a missing "
                        'value); fill it in, or score missing items as 0 with missing="zero"'
                    )
                hit = hit.fill_null(False)
            add = hit.cast(pl.Int64 if isinstance(value, int) else pl.Float64) * value
            points[label] = points[label] + add if label in points else add
        out = pl.DataFrame({label: s for label, s in points.items()})
        return out.with_columns(total=pl.sum_horizontal(out.columns))

    def validate(self, df: Any, *, outcome: str, level: float = 0.95) -> ScaleValidation:
        r"""Validate the scale on a sample: AUC with DeLong interval and logistic norms.

        The norms are :math:`P(y=1\mid s) = \operatorname{logit}^{-1}(B_0 + B_1 s)` fitted by
        logistic regression of the outcome on the total (the form of Static-99R's published
        norms); the table compares each score's observed rate with the expected one.

        Parameters
        ----------
        df
            The sample, with the items' columns and the 0/1 ``outcome``.
        outcome
            0/1 outcome column (null rows are an error: drop them first, saying why).
        level
            Confidence level.

        Returns
        -------
        ScaleValidation
        """
        from aluna.risk import LogisticRegression

        z = _results.z_value(level)
        frame = as_frame(df, what=f"{self.name}.validate")
        y = _binary(_select(frame, [outcome], what=f"{self.name}.validate"), outcome)
        total = self.score(frame)["total"].cast(pl.Float64)
        data = pl.DataFrame({"y": y, "score": total})
        auc = roc_auc(data, outcome="y", score="score", level=level)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)
            fit = LogisticRegression(level=level).fit(data, outcome="y", covariates=["score"])
        norms = fit.summary.with_columns(pl.col("term").replace({"intercept": "B0", "score": "B1"}))
        cov = np.asarray(fit.covariance_)
        b0, b1 = (float(v) for v in fit.coef_)
        per = (
            data.group_by("score")
            .agg(n=pl.len().cast(pl.Int64), events=pl.col("y").sum().cast(pl.Int64))
            .sort("score")
            .with_columns(observed_rate=pl.col("events") / pl.col("n"))
        )
        s = per["score"].to_numpy()
        x = np.column_stack([np.ones_like(s), s])
        eta = b0 + b1 * s
        se = np.sqrt(np.einsum("ij,jk,ik->i", x, cov, x))
        per = per.with_columns(
            expected_rate=pl.Series(_expit(eta)),
            ci_low=pl.Series(_expit(eta - z * se)),
            ci_high=pl.Series(_expit(eta + z * se)),
        )
        return ScaleValidation(auc, norms, per, b0, b1, cov, level)

    def _repr_html_(self) -> str:
        items = pl.DataFrame(
            {
                "item": [label for label, _, _ in self.items],
                "condition": [
                    str(c) if isinstance(c, pl.Expr) else getattr(c, "__name__", "function")
                    for _, c, _ in self.items
                ],
                "points": [float(p) for _, _, p in self.items],
            }
        )
        facts = [("items", len(self.item_names)), ("missing items", self.missing)]
        return _results.facts_html(self.name, facts) + _results.table_html(items)

    def __repr__(self) -> str:
        return f"ActuarialScale(name={self.name!r}, items={len(self.item_names)})"
