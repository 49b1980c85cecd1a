"""Re-offending risk: regression and survival analysis with full inference.

Models are estimators (``Model(settings).fit(df, ...)`` returns the model) and read covariates
through one design-matrix layer: numeric columns, categories (``categorical("race",
reference="white")``), interactions (``"fin:age"`` or :func:`interaction`) and restricted cubic
splines (:func:`spline`), with ``missing="error"`` (the default) or ``"drop"``, whose dropped
rows are counted in every summary. Survival functions share one keyword-only vocabulary:
``duration``, ``event`` (0 = censored, 1 = event), ``entry`` (start of a ``(start, stop]``
interval), ``id``, ``weights``, ``group`` / ``strata``.

Everything is computed in Rust (``aluna_stats``); the numbers agree with statsmodels,
lifelines and R ``survival`` to 1e-6 or better (see ``python/tests/test_risk*.py``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import polars as pl

from aluna import _design, _native, _results
from aluna._design import (
    EventsPerVariableWarning,
    categorical,
    interaction,
    spline,
)
from aluna._evaluation import (
    AreaUnderCurve,
    BootstrapValidation,
    BrierScore,
    Calibration,
    Concordance,
    CrossValidation,
    Recalibrated,
    bootstrap_validation,
    brier_score,
    calibration,
    concordance_index,
    cross_validate,
    recalibrate,
    roc_auc,
    roc_curve,
    time_dependent_auc,
    time_dependent_brier,
)
from aluna._fairness import FairnessAudit, SmallGroupWarning, fairness_audit
from aluna._interop import to_polars
from aluna._meta import MetaAnalysis, meta_analysis
from aluna._scales import ActuarialScale, ScaleValidation
from aluna._survival_args import as_frame, model_frame, survival_args
from aluna.exceptions import (
    AlunaWarning,
    ArgumentError,
    ColumnError,
    ConvergenceWarning,
    NotFittedError,
)
from aluna.privacy import ModelCard

__all__ = [
    "ActuarialScale",
    "AreaUnderCurve",
    "BootstrapValidation",
    "BrierScore",
    "Calibration",
    "Concordance",
    "CoxPH",
    "CrossValidation",
    "CumulativeHazard",
    "CumulativeIncidence",
    "EventsPerVariableWarning",
    "FairnessAudit",
    "FineGray",
    "LogRankTest",
    "LogisticRegression",
    "MeanCumulativeFunction",
    "MetaAnalysis",
    "Recalibrated",
    "RecurrentCox",
    "ScaleValidation",
    "SeparationWarning",
    "SmallGroupWarning",
    "SurvivalCurve",
    "bootstrap_validation",
    "brier_score",
    "calibration",
    "categorical",
    "concordance_index",
    "cross_validate",
    "cumulative_incidence",
    "fairness_audit",
    "interaction",
    "kaplan_meier",
    "logrank",
    "mean_cumulative_function",
    "meta_analysis",
    "nelson_aalen",
    "recalibrate",
    "roc_auc",
    "roc_curve",
    "spline",
    "time_dependent_auc",
    "time_dependent_brier",
]


class SeparationWarning(AlunaWarning):
    """A covariate separates the outcome: its estimate runs off to infinity."""


def _not_fitted(model: object) -> NotFittedError:
    return NotFittedError(f"{type(model).__name__} is not fitted yet: call .fit(df, ...) first")


class _Estimator:
    """get_params / set_params as scikit-learn expects (no runtime import of it)."""

    _params: tuple[str, ...] = ()

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The settings given to ``__init__``."""
        return {k: getattr(self, k) for k in self._params}

    def set_params(self, **params: Any) -> _Estimator:
        """Change settings; returns the estimator (unfitted settings take effect at ``fit``)."""
        for k, v in params.items():
            if k not in self._params:
                raise ArgumentError(
                    f"{type(self).__name__}: unknown parameter {k!r}; "
                    f"valid: {', '.join(self._params)}"
                )
            setattr(self, k, v)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._params)
        return f"{type(self).__name__}({args})"


class _CardedModel(_Estimator):
    """An estimator whose fit can be written up as a model card (logistic and Cox)."""

    def card(self, df: Any, *, name: str, purpose: str, **details: Any) -> ModelCard:
        """A model card (:class:`aluna.privacy.ModelCard`) filled from this fitted model.

        Fills in the data (rows, outcomes, rows dropped), the outcome (with the label bias of
        re-arrest outcomes, :data:`aluna.privacy.REARREST_LABEL_BIAS`, unless
        ``label_bias=False``), the model, validation figures (Harrell's bootstrap
        optimism-corrected measures on ``df``; AUC or C with intervals and, for logistic models,
        calibration intercept and slope on ``validation`` when given), a fairness audit by
        ``group`` and the standing limitations.

        Parameters
        ----------
        df
            The development data (the data the model was fitted on).
        name, purpose
            The card's name and intended use.
        **details
            ``data`` and ``outcome`` (descriptions prepended / replacing the defaults),
            ``validation`` (an external sample), ``group`` (column for the fairness audit),
            ``threshold`` (logistic: risk above which a person counts as flagged; default the
            development base rate), ``time`` (Cox: horizon for observed/expected risk by
            group), ``replicates`` and ``seed`` (bootstraps), ``label_bias``,
            ``limitations`` (added to the defaults), and any :class:`ModelCard` field.

        Returns
        -------
        aluna.privacy.ModelCard
        """
        from aluna._model_card import model_card

        return model_card(self, df, name=name, purpose=purpose, **details)


# ============================================================================ logistic


class LogisticRegression(_CardedModel):
    r"""Logistic regression with standard errors: plain, ridge, lasso or Firth-penalised.

    :math:`P(y=1 \mid x) = 1 / (1 + e^{-x^\top\beta})`, fitted by Newton–Raphson on
    :math:`\ell(\beta) = \sum_i w_i [y_i\eta_i - \log(1+e^{\eta_i})]` minus a penalty (the
    intercept is never penalised):

    - ``penalty=None``: maximum likelihood; covariance :math:`I(\beta)^{-1}`.
    - ``"l2"``: :math:`-\tfrac{\alpha}{2}\sum_j \beta_j^2`; covariance :math:`(I+\alpha)^{-1}`.
    - ``"l1"``: :math:`-\alpha\sum_j|\beta_j|`; no standard errors or p-values, because Wald
      inference is not valid after the lasso has selected covariates.
    - ``"firth"``: :math:`+\tfrac12\log\det I(\beta)` (Firth 1993): finite estimates under
      separation and less bias for rare outcomes such as sexual re-offending.

    Parameters
    ----------
    penalty
        ``None``, ``"l2"``, ``"l1"`` or ``"firth"``.
    alpha
        Penalty strength for ``"l2"``/``"l1"`` (on the log-likelihood's scale, not divided by n).
    fit_intercept
        Add an intercept (term ``intercept``).
    missing
        ``"error"``: a null or NaN in a used column is an error naming it; ``"drop"``: such rows
        are left out and counted in ``rows_dropped``.
    level
        Confidence level of ``ci_low``/``ci_high``.
    max_iter
        Newton iterations allowed.
    threads
        Threads for the row sweeps (``None``: all cores). Results do not depend on it.

    References
    ----------
    .. [1] Firth, D. (1993). Bias reduction of maximum likelihood estimates. Biometrika 80(1),
       27-38. https://doi.org/10.1093/biomet/80.1.27
    .. [2] Heinze, G. & Schemper, M. (2002). A solution to the problem of separation in
       logistic regression. Statistics in Medicine 21, 2409-2419.
       https://doi.org/10.1002/sim.1047

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.risk import LogisticRegression
    >>> df = pl.DataFrame({
    ...     "treated": [0] * 30 + [1] * 30,
    ...     "reoffended": [1] * 10 + [0] * 20 + [1] * 20 + [0] * 10,
    ... })
    >>> model = LogisticRegression().fit(df, outcome="reoffended", covariates=["treated"])
    >>> round(model.summary.filter(term="treated")["odds_ratio"].item(), 6)
    4.0
    """

    _params = ("penalty", "alpha", "fit_intercept", "missing", "level", "max_iter", "threads")

    def __init__(
        self,
        *,
        penalty: Literal["l2", "l1", "firth"] | None = None,
        alpha: float = 0.0,
        fit_intercept: bool = True,
        missing: _design.Missing = "error",
        level: float = 0.95,
        max_iter: int = 100,
        threads: int | None = None,
    ) -> None:
        self.penalty = penalty
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.missing = missing
        self.level = level
        self.max_iter = max_iter
        self.threads = threads
        self._fit: dict[str, Any] | None = None

    def fit(
        self,
        df: Any,
        *,
        outcome: str,
        covariates: Sequence[Any],
        weights: str | None = None,
        cluster: str | None = None,
        robust: bool = False,
    ) -> LogisticRegression:
        """Fit the model.

        Parameters
        ----------
        df
            The data (polars, pandas, pyarrow or any Arrow table).
        outcome
            Column of 0/1 (or booleans): 1 = the outcome happened (e.g. re-offended).
        covariates
            Column names, ``"a:b"`` interactions, :func:`categorical`, :func:`spline`,
            :func:`interaction`. String and categorical columns become indicators against the
            first level in sorted order.
        weights
            Column of case weights (finite, non-negative), treated as frequency weights.
        cluster
            Column of cluster ids (person, family, area): cluster-robust standard errors with
            the small-sample factor :math:`G/(G-1)\\cdot(n-1)/(n-p)`, as statsmodels and Stata.
        robust
            Heteroscedasticity-robust (HC0 sandwich) standard errors.

        Returns
        -------
        LogisticRegression
            ``self``, fitted.

        Raises
        ------
        ColumnError, BadValueError
            A missing column; an outcome that is not 0/1; a null or NaN (with ``missing="error"``).
        SingularError
            Constant or collinear covariates (named).
        ArgumentError
            An unknown penalty, a negative ``alpha``, or robust errors with ``"l1"``.

        Warns
        -----
        SeparationWarning
            A covariate separates the outcome (named); try ``penalty="firth"``.
        EventsPerVariableWarning
            Fewer than 10 of the rarer outcome per model column.
        """
        penalty = "none" if self.penalty is None else self.penalty
        if penalty not in ("none", "l2", "l1", "firth"):
            raise ArgumentError(
                f'penalty: expected None, "l2", "l1" or "firth", got {self.penalty!r}'
            )
        if not (isinstance(self.alpha, (int, float)) and math.isfinite(self.alpha)) or (
            self.alpha < 0
        ):
            raise ArgumentError(f"alpha: must be finite and non-negative, got {self.alpha!r}")
        if penalty in ("l1",) and (robust or cluster):
            raise ArgumentError(
                'robust/cluster: no standard errors for penalty="l1" (inference after lasso '
                "selection is not valid with sandwich formulas)"
            )
        frame = as_frame(df, what="LogisticRegression.fit")
        required = [c for c in (outcome, weights, cluster) if c is not None]
        design, model = _design.build(
            frame, covariates, missing=self.missing, required=required, what="LogisticRegression"
        )
        out = model.get_column(outcome)
        if out.dtype == pl.Boolean:
            model = model.with_columns(pl.col(outcome).cast(pl.Float64))
        elif not out.dtype.is_numeric():
            raise ColumnError(f"column `{outcome}`: expected 0/1 outcomes, found {out.dtype}")
        result = _native.logistic_fit(
            model,
            list(design.names),
            outcome,
            weights=weights,
            cluster=cluster,
            intercept=self.fit_intercept,
            penalty=penalty,
            alpha=float(self.alpha),
            robust=robust,
            max_iter=self.max_iter,
            threads=self.threads,
        )
        names = (["intercept"] if self.fit_intercept else []) + list(design.names)
        y = model.get_column(outcome).cast(pl.Float64)
        w = model.get_column(weights).cast(pl.Float64) if weights else None
        positives = float((y * w).sum() if w is not None else y.sum())
        total = float(w.sum()) if w is not None else float(model.height)
        if penalty == "none":
            _design.warn_events_per_variable(
                min(positives, total - positives),
                len(design.names),
                model="LogisticRegression",
                what="rows with the rarer outcome",
            )
        if result["separated"]:
            named = ", ".join(f"`{names[j]}`" for j in result["separated"])
            warnings.warn(
                f"LogisticRegression: {named} separates the outcome: fitted probabilities "
                f"reach 0 or 1 and the estimate runs off to infinity, so it and its standard "
                f'error are unreliable. Try penalty="firth", or merge sparse levels.',
                SeparationWarning,
                stacklevel=2,
            )
        cov = result["robust_covariance"] or result["covariance"]
        self._fit = {
            "result": result,
            "names": names,
            "design": design,
            "outcome": outcome,
            "weights": weights,
            "cluster": cluster,
            "se_type": "cluster-robust"
            if cluster
            else ("robust (HC0)" if robust else "model-based"),
            "summary": _results.summary_frame(
                names, result["coef"], cov, level=self.level, ratio="odds_ratio"
            ),
            "n": model.height,
            "events": positives,
            "total": total,
            "penalty": penalty,
            "fit_args": {
                "outcome": outcome,
                "covariates": list(covariates),
                "weights": weights,
                "cluster": cluster,
                "robust": robust,
            },
        }
        return self

    def _fitted(self) -> dict[str, Any]:
        if self._fit is None:
            raise _not_fitted(self)
        return self._fit

    @property
    def summary(self) -> pl.DataFrame:
        """Per-term table: term, estimate, std_error, statistic, p_value, ci_low, ci_high,
        odds_ratio. For ``penalty="l1"`` the inference columns are null."""
        return self._fitted()["summary"]

    @property
    def coef_(self) -> np.ndarray:
        """The coefficients (intercept first when fitted)."""
        return np.asarray(self._fitted()["result"]["coef"])

    @property
    def covariance_(self) -> np.ndarray | None:
        """The covariance used for the summary (robust or cluster-robust when asked)."""
        r = self._fitted()["result"]
        cov = r["robust_covariance"] or r["covariance"]
        return None if cov is None else np.asarray(cov)

    @property
    def log_likelihood(self) -> float:
        """The log-likelihood at the estimate (without the penalty)."""
        return float(self._fitted()["result"]["log_likelihood"])

    @property
    def log_likelihood_null(self) -> float:
        """The log-likelihood of the intercept-only model."""
        return float(self._fitted()["result"]["null_log_likelihood"])

    @property
    def aic(self) -> float:
        """Akaike's criterion :math:`-2\\ell + 2k` (k coefficients)."""
        return -2 * self.log_likelihood + 2 * len(self._fitted()["names"])

    @property
    def bic(self) -> float:
        """Schwarz's criterion :math:`-2\\ell + k\\log n` (n: sum of the weights)."""
        f = self._fitted()
        return -2 * self.log_likelihood + len(f["names"]) * math.log(f["total"])

    @property
    def rows_dropped(self) -> int:
        """Rows left out by ``missing="drop"``."""
        return self._fitted()["design"].rows_dropped

    @property
    def n_obs(self) -> int:
        """Rows used in the fit."""
        return int(self._fitted()["n"])

    @property
    def converged(self) -> bool:
        """Whether Newton's method converged (False under separation)."""
        return bool(self._fitted()["result"]["converged"])

    def predict_proba(self, df: Any) -> pl.Series:
        """Fitted probability of the outcome for each row of ``df`` (encoded as in ``fit``).

        Returns
        -------
        polars.Series
            ``probability``, one value per row, in the order of ``df``.
        """
        f = self._fitted()
        frame = as_frame(df, what="predict_proba")
        x = f["design"].transform(frame, what="predict_proba")
        table = _native.logistic_predict(
            x if x.width else pl.DataFrame({_design.ROW: np.zeros(frame.height)}),
            list(f["design"].names),
            list(f["result"]["coef"]),
            intercept=self.fit_intercept,
            threads=self.threads,
        )
        return to_polars(table).get_column("probability")

    def plot(self, ax: Any = None) -> Any:
        """Odds ratios with confidence intervals (log scale), intercept left out."""
        s = self.summary.filter(pl.col("term") != "intercept")
        return _results.forest_plot(s, ratio="odds_ratio", ax=ax)

    def _facts(self) -> list[tuple[str, Any]]:
        f = self._fitted()
        facts: list[tuple[str, Any]] = [
            ("outcome", f["outcome"]),
            (
                "penalty",
                f"{f['penalty']} (alpha={self.alpha})"
                if f["penalty"] in ("l1", "l2")
                else f["penalty"],
            ),
            ("rows used", f["n"]),
            ("rows dropped (missing)", f["design"].rows_dropped),
            ("outcome = 1", f["events"]),
            ("standard errors", f["se_type"]),
            ("log-likelihood", self.log_likelihood),
            ("AIC", self.aic),
            ("BIC", self.bic),
        ]
        if f["weights"]:
            facts.insert(1, ("weights", f["weights"]))
        if f["cluster"]:
            facts.insert(1, ("cluster", f["cluster"]))
        if f["penalty"] == "l1":
            facts.append(("note", "no standard errors or p-values after L1 selection (not valid)"))
        return facts

    def _repr_html_(self) -> str:
        if self._fit is None:
            return f"<p>{self!r} (not fitted)</p>"
        return _results.facts_html("LogisticRegression", self._facts()) + _results.table_html(
            self.summary
        )

    def __str__(self) -> str:
        if self._fit is None:
            return repr(self)
        return _results.facts_text("LogisticRegression", self._facts()) + "\n" + str(self.summary)


# ============================================================================ Cox


class CoxPH(_CardedModel):
    r"""The Cox proportional hazards model, for re-offending times with censoring.

    The hazard of row :math:`i` is :math:`h_s(t)\exp(x_i^\top\beta)` with an unspecified
    baseline :math:`h_s` per stratum. Rows are at risk on ``(entry, duration]``, so one person
    can have several rows: time-varying covariates, delayed entry, or only the time at risk in
    the community (custody spells removed). Tied times use Efron's approximation (R's default)
    or Breslow's; with weights the tied events share their mean weight, as in R ``survival``.

    Parameters
    ----------
    ties
        ``"efron"`` or ``"breslow"``.
    penalizer
        Ridge penalty :math:`\lambda`: the log partial likelihood minus
        :math:`\tfrac{n\lambda}{2}\sum_j (\sigma_j\beta_j)^2` (:math:`\sigma_j` the standard
        deviation of covariate :math:`j`), lifelines' convention.
    missing
        ``"error"`` or ``"drop"`` (counted in ``rows_dropped``).
    level
        Confidence level.
    max_iter
        Newton iterations allowed.
    threads
        Threads (``None``: all cores); results do not depend on it.

    References
    ----------
    .. [1] Cox, D. R. (1972). Regression models and life-tables. JRSS B 34(2), 187-220.
       https://doi.org/10.1111/j.2517-6161.1972.tb00899.x
    .. [2] Efron, B. (1977). The efficiency of Cox's likelihood function for censored data.
       JASA 72, 557-565. https://doi.org/10.1080/01621459.1977.10480613
    .. [3] Andersen, P. K. & Gill, R. D. (1982). Cox's regression model for counting processes.
       Annals of Statistics 10(4), 1100-1120. https://doi.org/10.1214/aos/1176345976

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.risk import CoxPH
    >>> df = pl.DataFrame({
    ...     "weeks": [5, 8, 12, 20, 26, 30, 38, 52, 52, 52] * 2,
    ...     "arrested": [1, 1, 1, 1, 0, 1, 1, 0, 0, 0] * 2,
    ...     "aid": [0, 0, 1, 0, 1, 0, 1, 1, 0, 1] * 2,
    ... })
    >>> cox = CoxPH().fit(df, duration="weeks", event="arrested", covariates=["aid"])
    >>> cox.summary.select("term", pl.col("hazard_ratio").round(4)).rows()
    [('aid', 0.3124)]
    """

    _params = ("ties", "penalizer", "missing", "level", "max_iter", "threads")

    def __init__(
        self,
        *,
        ties: Literal["efron", "breslow"] = "efron",
        penalizer: float = 0.0,
        missing: _design.Missing = "error",
        level: float = 0.95,
        max_iter: int = 50,
        threads: int | None = None,
    ) -> None:
        self.ties = ties
        self.penalizer = penalizer
        self.missing = missing
        self.level = level
        self.max_iter = max_iter
        self.threads = threads
        self._fit: dict[str, Any] | None = None

    def fit(
        self,
        df: Any,
        *,
        duration: str,
        event: str,
        covariates: Sequence[Any],
        entry: str | None = None,
        strata: str | None = None,
        weights: str | None = None,
        robust: bool = False,
        cluster: str | None = None,
        id: str | None = None,
        cause: int | None = None,
    ) -> CoxPH:
        """Fit the model.

        Parameters
        ----------
        df
            The data (polars, pandas, pyarrow or any Arrow table).
        duration
            Time at the end of each row's interval at risk (e.g. weeks since release).
        event
            1 if the event (re-arrest) happened at ``duration``, 0 if censored.
        covariates
            As for :class:`LogisticRegression`.
        entry
            Start of each row's interval (``(entry, duration]``); ``None``: 0.
        strata
            Column whose levels get their own baseline hazard.
        weights
            Case weights.
        robust
            Robust (sandwich) standard errors from dfbeta residuals, summed by ``cluster``, or
            by ``id`` when given, else by row (Lin & Wei 1989), as R ``coxph(robust=TRUE)``.
        cluster
            Column of cluster ids for robust errors (implies ``robust=True``).
        id
            The person each row belongs to (several rows per person in counting-process data).
        cause
            For competing risks (``event`` codes 0, 1, 2, ...): fit the cause-specific hazard of
            this cause, other causes counting as censored.

        Returns
        -------
        CoxPH
            ``self``, fitted.

        Raises
        ------
        BadValueError
            Negative or NaN durations, ``entry >= duration``, events not 0/1 (row named).
        NotDefinedError
            All rows censored.
        SingularError
            Constant or collinear covariates (named).
        """
        if self.ties not in ("efron", "breslow"):
            raise ArgumentError(f'ties: expected "efron" or "breslow", got {self.ties!r}')
        args = survival_args(
            duration=duration,
            event=event,
            entry=entry,
            weights=weights,
            strata=strata,
            id=id,
            cluster=cluster,
        )
        design, model = model_frame(df, args, covariates, missing=self.missing, what="CoxPH")
        if not design.names:
            raise ArgumentError("covariates: CoxPH needs at least one covariate")
        cluster_column = cluster if cluster is not None else (id if robust else None)
        native = _native.CoxModel.fit(
            model,
            list(design.names),
            duration,
            event,
            entry=entry,
            weights=weights,
            strata=strata,
            cluster=cluster_column,
            row_number=_design.row_number(design),
            ties=self.ties,
            penalizer=float(self.penalizer),
            max_iter=self.max_iter,
            threads=self.threads,
            cause=cause,
        )
        result = native.results(robust=robust or cluster_column is not None)
        names = list(design.names)
        if self.penalizer == 0:
            _design.warn_events_per_variable(
                result["events"], len(names), model="CoxPH", what="events"
            )
        if result["diverging"]:
            named = ", ".join(f"`{names[j]}`" for j in result["diverging"])
            warnings.warn(
                f"CoxPH: the estimate for {named} runs off to infinity (monotone likelihood: "
                f"in some group every event or no event falls on one side); its estimate and "
                f"standard error are unreliable. Try penalizer=0.1 or merge sparse levels.",
                ConvergenceWarning,
                stacklevel=2,
            )
        cov = result["robust_covariance"] or result["covariance"]
        strata_labels = result["strata_labels"]
        self._fit = {
            "native": native,
            "result": result,
            "names": names,
            "design": design,
            "args": args,
            "robust": result["robust_covariance"] is not None,
            "cluster": cluster_column,
            "summary": _results.summary_frame(
                names, result["coef"], cov, level=self.level, ratio="hazard_ratio"
            ),
            "strata_labels": strata_labels if strata else None,
            "strata_dtype": model.schema[strata] if strata else None,
            "fit_args": {
                "duration": duration,
                "event": event,
                "covariates": list(covariates),
                "entry": entry,
                "strata": strata,
                "weights": weights,
                "robust": robust,
                "cluster": cluster,
                "id": id,
                "cause": cause,
            },
        }
        return self

    def _fitted(self) -> dict[str, Any]:
        if self._fit is None:
            raise _not_fitted(self)
        return self._fit

    @property
    def summary(self) -> pl.DataFrame:
        """Per-term table: term, estimate (log hazard ratio), std_error, statistic, p_value,
        ci_low, ci_high, hazard_ratio."""
        return self._fitted()["summary"]

    @property
    def coef_(self) -> np.ndarray:
        """The coefficients (log hazard ratios)."""
        return np.asarray(self._fitted()["result"]["coef"])

    @property
    def covariance_(self) -> np.ndarray:
        """The covariance behind the summary (robust when asked)."""
        r = self._fitted()["result"]
        return np.asarray(r["robust_covariance"] or r["covariance"])

    @property
    def log_likelihood(self) -> float:
        """The log partial likelihood at the estimate."""
        return float(self._fitted()["result"]["log_likelihood"])

    @property
    def log_likelihood_null(self) -> float:
        """The log partial likelihood at :math:`\\beta = 0`."""
        return float(self._fitted()["result"]["null_log_likelihood"])

    @property
    def aic(self) -> float:
        """Partial AIC, :math:`-2\\ell + 2p`."""
        return -2 * self.log_likelihood + 2 * len(self._fitted()["names"])

    @property
    def concordance(self) -> float:
        """Harrell's concordance of the risk score with the event order (within strata;
        entry times ignored, as lifelines)."""
        fit = self._fitted()
        if "concordance" not in fit:
            fit["concordance"] = float(fit["native"].concordance())
        return float(fit["concordance"])

    @property
    def rows_dropped(self) -> int:
        """Rows left out by ``missing="drop"``."""
        return self._fitted()["design"].rows_dropped

    @property
    def n_obs(self) -> int:
        """Rows used."""
        return int(self._fitted()["result"]["rows"])

    @property
    def events(self) -> int:
        """Number of events."""
        return int(self._fitted()["result"]["events"])

    @property
    def tests(self) -> pl.DataFrame:
        """Likelihood-ratio, Wald and score tests of all coefficients being 0.

        The Wald test uses the robust covariance when robust errors were asked for (as R).
        """
        r = self._fitted()["result"]
        p = len(r["coef"])
        rows = [
            ("likelihood_ratio", r["likelihood_ratio"]),
            ("wald", r["wald"]),
            ("score", r["score"]),
        ]
        return pl.DataFrame(
            {
                "test": [t for t, _ in rows],
                "statistic": [float(s) for _, s in rows],
                "df": [p] * 3,
                "p_value": [_results.chi2_p(s, p) for _, s in rows],
            }
        )

    def baseline_cumulative_hazard(self) -> pl.DataFrame:
        """Breslow's baseline cumulative hazard at covariates 0, per stratum.

        Returns
        -------
        polars.DataFrame
            ``time``, ``cumulative_hazard`` (and ``stratum`` when stratified).
        """
        f = self._fitted()
        base = to_polars(f["native"].baseline())
        if f["strata_labels"] is None:
            return base.drop("stratum")
        labels = pl.Series("stratum", f["strata_labels"])
        return base.with_columns(
            pl.col("stratum").map_elements(lambda k: labels[k], return_dtype=pl.String)
        )

    def _new_frame(self, df: Any, what: str) -> tuple[pl.DataFrame, pl.DataFrame]:
        f = self._fitted()
        frame = as_frame(df, what=what)
        x = f["design"].transform(frame, what=what)
        strata = f["args"].strata
        if strata is not None:
            if strata not in frame.columns:
                raise ColumnError(f"{what}: the strata column `{strata}` is needed")
            labels = f["strata_labels"]
            values = frame.get_column(strata).cast(pl.String)
            unknown = values.filter(~values.is_in(labels)).unique().to_list()
            if unknown:
                raise ArgumentError(
                    f"{what}: stratum {unknown[0]!r} in `{strata}` was not seen in fitting"
                )
            codes = values.replace_strict(labels, list(range(len(labels))), return_dtype=pl.Int64)
            x = x.with_columns(codes.alias("__aluna_stratum"))
        return frame, x

    def predict_survival(self, df: Any, times: Sequence[float]) -> pl.DataFrame:
        r"""Survival probabilities :math:`S(t\mid x) = \exp(-H_s(t)e^{x^\top\beta})` for each row
        of ``df`` at each of ``times`` (Breslow baseline, as lifelines).

        Returns
        -------
        polars.DataFrame
            Long format: ``row`` (position in ``df``), ``time``, ``survival``.
        """
        f = self._fitted()
        _, x = self._new_frame(df, "predict_survival")
        table = f["native"].predict_survival(
            x,
            list(f["design"].names),
            [float(t) for t in times],
            strata="__aluna_stratum" if f["args"].strata else None,
        )
        return to_polars(table)

    def predict_risk(self, df: Any) -> pl.Series:
        r"""Relative risk :math:`\exp((x - \bar x)^\top\beta)` of each row (lifelines'
        ``predict_partial_hazard``, R's ``predict(type="risk")``)."""
        f = self._fitted()
        _, x = self._new_frame(df, "predict_risk")
        beta = np.asarray(f["result"]["coef"])
        means = np.asarray(f["result"]["means"])
        xm = x.select(list(f["design"].names)).to_numpy()
        return pl.Series("risk", np.exp((xm - means) @ beta))

    def proportional_hazards_test(self) -> pl.DataFrame:
        """The test of proportional hazards of R ``survival`` >= 3.0 (``cox.zph``,
        ``transform="km"``): per covariate term and global.

        A small p-value says the term's effect changes over time (Grambsch & Therneau 1994,
        https://doi.org/10.1093/biomet/81.3.515). Categorical terms are tested jointly.

        Returns
        -------
        polars.DataFrame
            ``term``, ``statistic``, ``df``, ``p_value``; the last row is ``GLOBAL``.
        """
        f = self._fitted()
        terms = [list(idx) for _, idx in f["design"].terms]
        rows = f["native"].zph(terms)
        names = [name for name, _ in f["design"].terms] + ["GLOBAL"]
        return pl.DataFrame(
            {
                "term": names,
                "statistic": [r[0] for r in rows],
                "df": [r[1] for r in rows],
                "p_value": [r[2] for r in rows],
            }
        )

    def score_residuals(self) -> np.ndarray:
        """Score residuals (rows used x model columns), unweighted, as R's
        ``residuals(fit, type="score")``."""
        return np.asarray(self._fitted()["native"].score_residuals())

    def plot(self, ax: Any = None) -> Any:
        """Hazard ratios with confidence intervals (log scale)."""
        return _results.forest_plot(self.summary, ratio="hazard_ratio", ax=ax)

    def _facts(self) -> list[tuple[str, Any]]:
        f = self._fitted()
        a = f["args"]
        facts: list[tuple[str, Any]] = [
            ("duration", a.duration if a.entry is None else f"({a.entry}, {a.duration}]"),
            ("event", a.event),
            ("ties", self.ties),
            ("rows used", self.n_obs),
            ("rows dropped (missing)", f["design"].rows_dropped),
            ("events", self.events),
            (
                "standard errors",
                "robust" + (f" by `{f['cluster']}`" if f["cluster"] else "")
                if f["robust"]
                else "model-based",
            ),
            ("log partial likelihood", self.log_likelihood),
            ("concordance", self.concordance),
            ("partial AIC", self.aic),
        ]
        if a.strata:
            facts.insert(2, ("strata", a.strata))
        if a.weights:
            facts.insert(2, ("weights", a.weights))
        if self.penalizer:
            facts.insert(3, ("penalizer", self.penalizer))
        for row in self.tests.iter_rows(named=True):
            facts.append(
                (
                    f"{row['test'].replace('_', '-')} test",
                    f"{row['statistic']:.2f} on {row['df']} df, p={row['p_value']:.3g}",
                )
            )
        return facts

    def _repr_html_(self) -> str:
        if self._fit is None:
            return f"<p>{self!r} (not fitted)</p>"
        return _results.facts_html("CoxPH", self._facts()) + _results.table_html(self.summary)

    def __str__(self) -> str:
        if self._fit is None:
            return repr(self)
        return _results.facts_text("CoxPH", self._facts()) + "\n" + str(self.summary)


# ============================================================================ curves


def _curve_table(
    df: Any,
    *,
    duration: str,
    event: str,
    group: str | None,
    entry: str | None,
    weights: str | None,
    level: float,
    missing: _design.Missing,
    estimator: str,
    what: str,
    id: str | None = None,
) -> tuple[pl.DataFrame, int, int]:
    args = survival_args(
        duration=duration, event=event, entry=entry, weights=weights, strata=group, id=id
    )
    _results.z_value(level)
    design, model = model_frame(df, args, (), missing=missing, what=what)
    table, labels = _native.survival_curve(
        model,
        duration,
        event,
        entry=entry,
        weights=weights,
        group=group,
        row_number=_design.row_number(design),
        level=float(level),
        estimator=estimator,
        id=id,
    )
    frame = to_polars(table)
    # One drop of the columns this call does not show (each polars call costs ~0.1 ms).
    unused = (["group"] if group is None else []) + (["entered"] if entry is None else [])
    if estimator == "mean_cumulative":
        frame = frame.with_columns(pl.col("variance").sqrt().alias("std_error"))
        frame = frame.select(
            [c for c in frame.columns if c not in ("ci_low", "ci_high", "variance", *unused)]
            + ["ci_low", "ci_high"]
        )
    else:
        frame = frame.drop("variance", *unused)
    if group is not None:
        dtype = model.schema[group]
        values = (
            pl.Series(group, labels).cast(dtype)
            if dtype != pl.Categorical
            else pl.Series(group, labels)
        )
        frame = frame.with_columns(
            pl.col("group").map_elements(lambda k: values[k], return_dtype=values.dtype)
        ).rename({"group": group})
    return frame, design.rows_used, design.rows_dropped


#: Title and estimator of each kind of curve, by its value column.
_ESTIMATORS = {
    "survival": ("Survival curve", "Kaplan–Meier"),
    "cumulative_hazard": ("Cumulative hazard", "Nelson–Aalen"),
    "mean_cumulative": ("Mean cumulative function", "Lawless–Nadeau (robust)"),
}


@dataclass(frozen=True, repr=False)
class SurvivalCurve:
    """A Kaplan–Meier survival curve (per group), with pointwise confidence intervals.

    Attributes
    ----------
    table
        One row per distinct time (per group): ``time``, ``at_risk``, ``events``,
        ``censored``, ``survival``, ``ci_low``, ``ci_high`` (``entered`` with ``entry``; the
        group column first when grouped).
    group
        The group column, or None.
    level
        Confidence level.
    rows_used, rows_dropped
        Rows in the estimate, rows left out by ``missing="drop"``.
    """

    table: pl.DataFrame
    group: str | None
    level: float
    rows_used: int
    rows_dropped: int
    _value: str = "survival"

    def _groups(self) -> list[tuple[Any, pl.DataFrame]]:
        if self.group is None:
            return [(None, self.table)]
        return [
            (key[0], part) for key, part in self.table.group_by(self.group, maintain_order=True)
        ]

    def survival_at(self, times: Sequence[float]) -> pl.DataFrame:
        """The estimate at each of ``times`` (right-continuous steps; 1 before the first
        time for survival, 0 for cumulative hazard).

        Returns
        -------
        polars.DataFrame
            (group,) ``time``, and the estimate column.
        """
        start = 1.0 if self._value == "survival" else 0.0
        query = np.asarray([float(t) for t in times])
        parts = []
        for key, part in self._groups():
            t = part.get_column("time").to_numpy()
            v = part.get_column(self._value).to_numpy()
            idx = np.searchsorted(t, query, side="right")
            vals = np.where(idx == 0, start, v[np.maximum(idx - 1, 0)])
            data: dict[str, Any] = {"time": query, self._value: vals}
            frame = pl.DataFrame(data)
            if self.group is not None:
                frame = frame.select(
                    pl.lit(key, dtype=self.table.schema[self.group]).alias(self.group), pl.all()
                )
            parts.append(frame)
        return pl.concat(parts)

    @property
    def median(self) -> float | pl.DataFrame:
        """Median survival time: the first time the curve is at or below 0.5 (``inf`` if it
        never gets there), per group as a table when grouped."""
        out = []
        for key, part in self._groups():
            below = part.filter(pl.col("survival") <= 0.5)
            out.append((key, float(below["time"][0]) if below.height else math.inf))
        if self.group is None:
            return out[0][1]
        return pl.DataFrame(
            {self.group: [k for k, _ in out], "median": [m for _, m in out]},
            schema={self.group: self.table.schema[self.group], "median": pl.Float64},
        )

    def plot(self, ax: Any = None, *, ci: bool = True) -> Any:
        """Step plot of the curve(s), with the confidence band shaded."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        start = 1.0 if self._value == "survival" else 0.0
        for key, part in self._groups():
            t = np.concatenate([[0.0], part.get_column("time").to_numpy()])
            v = np.concatenate([[start], part.get_column(self._value).to_numpy()])
            (line,) = ax.step(t, v, where="post", label=None if key is None else str(key))
            if ci:
                lo = np.concatenate([[start], part.get_column("ci_low").to_numpy()])
                hi = np.concatenate([[start], part.get_column("ci_high").to_numpy()])
                ax.fill_between(t, lo, hi, step="post", alpha=0.2, color=line.get_color())
        ax.set_xlabel("time")
        ax.set_ylabel(self._value.replace("_", " "))
        if self.group is not None:
            ax.legend(title=self.group)
        return ax

    def _facts(self) -> list[tuple[str, Any]]:
        return [
            ("estimator", _ESTIMATORS[self._value][1]),
            ("group", self.group or "—"),
            ("rows used", self.rows_used),
            ("rows dropped (missing)", self.rows_dropped),
            ("events", float(self.table["events"].sum())),
            ("confidence level", self.level),
        ]

    def _repr_html_(self) -> str:
        title = _ESTIMATORS[self._value][0]
        return _results.facts_html(title, self._facts()) + _results.table_html(self.table)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.table.height} times, group={self.group!r}, "
            f"rows_used={self.rows_used}, rows_dropped={self.rows_dropped})"
        )


@dataclass(frozen=True, repr=False)
class CumulativeHazard(SurvivalCurve):
    """A Nelson–Aalen cumulative hazard curve; ``table`` has ``cumulative_hazard``."""

    _value: str = "cumulative_hazard"

    @property
    def median(self) -> float | pl.DataFrame:  # type: ignore[override]
        raise ArgumentError("median: use kaplan_meier(...) for median survival times")


@dataclass(frozen=True, repr=False)
class MeanCumulativeFunction(SurvivalCurve):
    """The mean cumulative number of recurrent events per subject; ``table`` has
    ``mean_cumulative`` and its robust ``std_error``."""

    _value: str = "mean_cumulative"

    @property
    def median(self) -> float | pl.DataFrame:  # type: ignore[override]
        raise ArgumentError("median: not defined for a mean cumulative function")


def mean_cumulative_function(
    df: Any,
    *,
    duration: str,
    event: str,
    id: str,
    entry: str | None = None,
    group: str | None = None,
    level: float = 0.95,
    missing: _design.Missing = "error",
) -> MeanCumulativeFunction:
    r"""The mean cumulative function of recurrent events (re-victimisation, re-arrests).

    :math:`\hat M(t) = \sum_{t_k\le t} d_k/n_k`: events at :math:`t_k` over the subjects under
    observation then (rows ``(entry, duration]``; one row per interval between events). Its
    standard error is the robust one of Lawless & Nadeau (1995), summed over subjects ``id``,
    :math:`\sum_i(\sum_{s\le t}[dN_i(s) - Y_i(s)\,d\hat M(s)]/n(s))^2`, as R
    ``survfit(Surv(start, stop, event) ~ 1, id = id)``; intervals on the log scale. A subject's
    rows must not overlap in time.

    Returns
    -------
    MeanCumulativeFunction
        ``table``: (group,) ``time``, ``at_risk``, ``events``, ``censored``, (``entered``),
        ``mean_cumulative``, ``std_error``, ``ci_low``, ``ci_high``.

    References
    ----------
    .. [1] Lawless, J. F. & Nadeau, C. (1995). Some simple robust methods for the analysis of
       recurrent events. Technometrics 37(2), 158-168.
       https://doi.org/10.1080/00401706.1995.10485888

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.risk import mean_cumulative_function
    >>> df = pl.DataFrame({"person": [1, 1, 1, 2], "start": [0, 1, 3, 0],
    ...                    "stop": [1, 3, 4, 2], "victimised": [1, 1, 0, 0]})
    >>> mcf = mean_cumulative_function(df, duration="stop", event="victimised",
    ...                                entry="start", id="person")
    >>> mcf.table["mean_cumulative"].to_list()
    [0.5, 0.5, 1.5, 1.5]
    """
    table, used, dropped = _curve_table(
        df,
        duration=duration,
        event=event,
        group=group,
        entry=entry,
        weights=None,
        level=level,
        missing=missing,
        estimator="mean_cumulative",
        what="mean_cumulative_function",
        id=id,
    )
    return MeanCumulativeFunction(table, group, level, used, dropped)


class RecurrentCox(_Estimator):
    r"""Cox models for recurrent events, with robust standard errors by subject.

    Data come as one row per interval at risk: ``(entry, duration]`` for each subject ``id``,
    ``event`` = 1 if the interval ended in an event (a re-victimisation, a re-arrest).

    - ``"andersen_gill"``: one common baseline hazard; events are assumed to follow one
      intensity whatever happened before (Andersen & Gill 1982).
    - ``"pwp_total"``: Prentice, Williams & Peterson's conditional model in total time: a
      baseline per event number (stratum *k* holds the intervals after *k* - 1 events).
    - ``"pwp_gap"``: the same, in gap time: time since the previous event.

    Robust (sandwich) errors are summed by subject (Lin & Wei 1989), as R
    ``coxph(... + cluster(id))`` (``+ strata(enum)`` for PWP).

    Parameters
    ----------
    model
        ``"andersen_gill"``, ``"pwp_total"`` or ``"pwp_gap"``.
    ties, penalizer, missing, level, max_iter, threads
        As for :class:`CoxPH`.

    References
    ----------
    .. [1] Prentice, R. L., Williams, B. J. & Peterson, A. V. (1981). On the regression analysis
       of multivariate failure time data. Biometrika 68(2), 373-379.
       https://doi.org/10.1093/biomet/68.2.373
    .. [2] Amorim, L. D. & Cai, J. (2015). Modelling recurrent events: a tutorial for analysis in
       epidemiology. International Journal of Epidemiology 44(1), 324-333.
       https://doi.org/10.1093/ije/dyu222

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.risk import RecurrentCox
    >>> df = pl.DataFrame({
    ...     "person": [1, 1, 2, 3, 3, 3, 4, 5, 5, 6] * 3,
    ...     "start":  [0, 4, 0, 0, 2, 5, 0, 0, 6, 0] * 3,
    ...     "stop":   [4, 9, 7, 2, 5, 8, 9, 6, 9, 3] * 3,
    ...     "event":  [1, 0, 0, 1, 1, 0, 0, 1, 0, 1] * 3,
    ...     "prior":  [3, 3, 0, 5, 5, 5, 1, 2, 2, 4] * 3,
    ... }).with_columns(person=pl.col("person") + 10 * (pl.int_range(pl.len()) // 10))
    >>> m = RecurrentCox(model="andersen_gill").fit(
    ...     df, duration="stop", event="event", entry="start", id="person", covariates=["prior"])
    >>> m.summary["term"].to_list()
    ['prior']
    """

    _params = ("model", "ties", "penalizer", "missing", "level", "max_iter", "threads")

    def __init__(
        self,
        *,
        model: Literal["andersen_gill", "pwp_total", "pwp_gap"] = "andersen_gill",
        ties: Literal["efron", "breslow"] = "efron",
        penalizer: float = 0.0,
        missing: _design.Missing = "error",
        level: float = 0.95,
        max_iter: int = 50,
        threads: int | None = None,
    ) -> None:
        self.model = model
        self.ties = ties
        self.penalizer = penalizer
        self.missing = missing
        self.level = level
        self.max_iter = max_iter
        self.threads = threads
        self._cox: CoxPH | None = None

    def fit(
        self,
        df: Any,
        *,
        duration: str,
        event: str,
        id: str,
        covariates: Sequence[Any],
        entry: str | None = None,
        weights: str | None = None,
    ) -> RecurrentCox:
        """Fit the model (see the class docstring).

        Event numbers for the PWP strata are counted per ``id`` in order of ``entry`` (or
        ``duration``): stratum *k* holds the intervals after *k* - 1 events.

        Returns
        -------
        RecurrentCox
            ``self``, fitted.
        """
        if self.model not in ("andersen_gill", "pwp_total", "pwp_gap"):
            raise ArgumentError(
                f'model: expected "andersen_gill", "pwp_total" or "pwp_gap", got {self.model!r}'
            )
        frame = as_frame(df, what="RecurrentCox")
        for c in (duration, event, id, entry):
            if c is not None and c not in frame.columns:
                raise ColumnError(
                    f"column `{c}` not found; the table has: {', '.join(frame.columns)}"
                )
        cox = CoxPH(
            ties=self.ties,
            penalizer=self.penalizer,
            missing=self.missing,
            level=self.level,
            max_iter=self.max_iter,
            threads=self.threads,
        )
        strata = None
        start = entry
        stop = duration
        if self.model != "andersen_gill":
            order = [id, entry] if entry else [id, duration]
            frame = frame.with_row_index("__aluna_order").sort(order)
            frame = frame.with_columns(
                (pl.col(event).cum_sum().shift(1, fill_value=0).over(id) + 1)
                .cast(pl.Int64)
                .alias("__aluna_event_number")
            ).sort("__aluna_order")
            strata = "__aluna_event_number"
            if self.model == "pwp_gap":
                gap = pl.col(duration) - (pl.col(entry) if entry else pl.lit(0))
                frame = frame.with_columns(gap.alias("__aluna_gap"))
                stop, start = "__aluna_gap", None
        cox.fit(
            frame,
            duration=stop,
            event=event,
            covariates=covariates,
            entry=start,
            strata=strata,
            weights=weights,
            id=id,
            robust=True,
        )
        self._cox = cox
        return self

    def _fitted(self) -> CoxPH:
        if self._cox is None:
            raise _not_fitted(self)
        return self._cox

    @property
    def summary(self) -> pl.DataFrame:
        """Per-term table with robust standard errors and ``hazard_ratio``."""
        return self._fitted().summary

    @property
    def coef_(self) -> np.ndarray:
        """The coefficients."""
        return self._fitted().coef_

    @property
    def log_likelihood(self) -> float:
        """The log partial likelihood."""
        return self._fitted().log_likelihood

    @property
    def rows_dropped(self) -> int:
        """Rows left out by ``missing="drop"``."""
        return self._fitted().rows_dropped

    @property
    def tests(self) -> pl.DataFrame:
        """Likelihood-ratio, (robust) Wald and score tests."""
        return self._fitted().tests

    def plot(self, ax: Any = None) -> Any:
        """Hazard ratios with confidence intervals."""
        return self._fitted().plot(ax=ax)

    def _facts(self) -> list[tuple[str, Any]]:
        return [("model", self.model), *self._fitted()._facts()]

    def _repr_html_(self) -> str:
        if self._cox is None:
            return f"<p>{self!r} (not fitted)</p>"
        return _results.facts_html("RecurrentCox", self._facts()) + _results.table_html(
            self.summary
        )

    def __str__(self) -> str:
        if self._cox is None:
            return repr(self)
        return _results.facts_text("RecurrentCox", self._facts()) + "\n" + str(self.summary)


@dataclass(frozen=True, repr=False)
class CumulativeIncidence:
    """Cumulative incidence of each cause (per group), with Gray's tests between groups.

    Attributes
    ----------
    table
        (group,) ``cause``, ``time``, ``at_risk``, ``events`` (of the cause),
        ``other_events``, ``censored``, ``cumulative_incidence``, ``std_error``, ``ci_low``,
        ``ci_high``: one row per distinct time, per group and cause.
    tests
        Gray's test per cause (``cause``, ``statistic``, ``df``, ``p_value``) when grouped
        without ``entry``, ``weights`` or ``id``, else None.
    group, level, rows_used, rows_dropped
        As for :class:`SurvivalCurve`.
    variance
        ``"gray"`` (Gray's delta method, as ``cmprsk::cuminc``) or ``"jackknife"`` (the
        infinitesimal jackknife of R ``survfit``, used with ``entry``, ``weights`` or ``id``).
    """

    table: pl.DataFrame
    tests: pl.DataFrame | None
    group: str | None
    level: float
    rows_used: int
    rows_dropped: int
    variance: str = "gray"

    def _parts(self) -> list[tuple[tuple[Any, ...], pl.DataFrame]]:
        keys = ["cause"] if self.group is None else [self.group, "cause"]
        return [(tuple(k), part) for k, part in self.table.group_by(keys, maintain_order=True)]

    def incidence_at(self, times: Sequence[float]) -> pl.DataFrame:
        """The cumulative incidence (and its standard error) at each of ``times``, per
        (group and) cause, as ``cmprsk::timepoints``."""
        query = np.asarray([float(t) for t in times])
        parts = []
        keys = ["cause"] if self.group is None else [self.group, "cause"]
        for key, part in self._parts():
            t = part.get_column("time").to_numpy()
            idx = np.searchsorted(t, query, side="right")
            pick = np.maximum(idx - 1, 0)
            f = np.where(idx == 0, 0.0, part.get_column("cumulative_incidence").to_numpy()[pick])
            se = np.where(idx == 0, 0.0, part.get_column("std_error").to_numpy()[pick])
            frame = pl.DataFrame({"time": query, "cumulative_incidence": f, "std_error": se})
            frame = frame.select(
                *[
                    pl.lit(v, dtype=self.table.schema[k]).alias(k)
                    for k, v in zip(keys, key, strict=True)
                ],
                pl.all(),
            )
            parts.append(frame)
        return pl.concat(parts)

    def plot(self, ax: Any = None, *, ci: bool = True) -> Any:
        """Step plot of each cause's cumulative incidence (per group)."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        for key, part in self._parts():
            t = np.concatenate([[0.0], part.get_column("time").to_numpy()])
            f = np.concatenate([[0.0], part.get_column("cumulative_incidence").to_numpy()])
            label = ", ".join(f"{v}" for v in key)
            (line,) = ax.step(t, f, where="post", label=f"cause {label}")
            if ci:
                lo = np.concatenate([[0.0], part.get_column("ci_low").to_numpy()])
                hi = np.concatenate([[0.0], part.get_column("ci_high").to_numpy()])
                ax.fill_between(t, lo, hi, step="post", alpha=0.2, color=line.get_color())
        ax.set_xlabel("time")
        ax.set_ylabel("cumulative incidence")
        ax.legend()
        return ax

    def _repr_html_(self) -> str:
        variance = (
            "Gray's variance" if self.variance == "gray" else "infinitesimal-jackknife variance"
        )
        facts = [
            ("estimator", f"Aalen–Johansen ({variance})"),
            ("group", self.group or "—"),
            ("rows used", self.rows_used),
            ("rows dropped (missing)", self.rows_dropped),
        ]
        out = _results.facts_html("Cumulative incidence", facts)
        if self.tests is not None:
            out += "<p>Gray's test</p>" + _results.table_html(self.tests)
        elif self.group is not None:
            out += "<p>Gray's test: not defined with entry times, weights or id</p>"
        return out + _results.table_html(self.table)

    def __repr__(self) -> str:
        return (
            f"CumulativeIncidence({self.table.height} rows, group={self.group!r}, "
            f"rows_dropped={self.rows_dropped})"
        )


def cumulative_incidence(
    df: Any,
    *,
    duration: str,
    event: str,
    group: str | None = None,
    strata: str | None = None,
    entry: str | None = None,
    weights: str | None = None,
    id: str | None = None,
    level: float = 0.95,
    rho: float = 0.0,
    missing: _design.Missing = "error",
) -> CumulativeIncidence:
    r"""Cumulative incidence of competing causes (Aalen–Johansen), with Gray's test.

    With ``event`` coding 0 = censored and 1, 2, ... = the cause (re-arrest, death,
    deportation), :math:`F_k(t) = \sum_{t_j\le t}\hat S(t_j-)\,d_{kj}/n_j` is the probability of
    failing from cause *k* by *t* while every cause competes (one minus Kaplan–Meier would
    overstate it); :math:`\hat S` is the all-cause Kaplan–Meier estimate, :math:`n_j` the
    (weighted) number at risk (``entry < t_j <= duration``) and :math:`d_{kj}` the (weighted)
    events of cause *k* at :math:`t_j`.

    Without ``entry``, ``weights`` and ``id`` (one unweighted row per person), variances are
    Gray's delta-method estimator, as R ``cmprsk::cuminc``. With ``entry`` (delayed entry, or
    ``(entry, duration]`` rows), ``weights`` (non-negative case weights) or ``id`` (the
    person of each row; a person's rows must not overlap in time but may leave gaps, such as
    spells in custody, which R ``survfit`` refuses), which ``cuminc`` does not take,
    the estimate is the Aalen–Johansen estimate of R
    ``survival::survfit(Surv(entry, duration, factor(event)) ~ group, weights=, id=)`` and
    the variance its infinitesimal jackknife,
    :math:`\sum_i (\sum_{r\in i} w_r\,\partial\hat F_k(t)/\partial w_r)^2` over people
    *i* (each row its own person without ``id``). Each row counts with its own weight; R
    merges a person's contiguous censored rows and keeps the later row's weight, so the two
    agree when weights are constant within a person. Intervals are on the log(-log) scale,
    :math:`F^{\exp(\pm z\,\mathrm{se}/(F\log F))}`, in both cases.

    With ``group``, Gray's (1988) test compares each cause's incidence between groups (weight
    :math:`(1-F(t-))^\rho`); with ``strata`` the test compares groups within each stratum and
    sums the scores and their variances over strata, as R ``cmprsk::cuminc(strata=)`` (the
    curves do not depend on ``strata``). Gray's test is defined for one unweighted row per
    person: with ``entry``, ``weights`` or ``id`` the curves are still estimated per group but
    ``tests`` is None, and ``strata`` and a non-zero ``rho`` (which only shape the test) are
    refused.

    Parameters
    ----------
    df
        The data: one row per person, or with ``id`` one row per ``(entry, duration]``
        interval.
    duration, event, entry, weights, id
        The survival vocabulary (see :mod:`aluna.risk`); ``event`` codes the cause.
    group
        Column whose levels get one set of curves each (and Gray's test).
    strata
        Column stratifying Gray's test of ``group``.
    level
        Confidence level of the pointwise intervals.
    rho
        Gray's test weight exponent.
    missing
        ``"error"`` or ``"drop"`` (counted in ``rows_dropped``).

    Returns
    -------
    CumulativeIncidence

    References
    ----------
    .. [1] Gray, R. J. (1988). A class of K-sample tests for comparing the cumulative incidence
       of a competing risk. Annals of Statistics 16(3), 1141-1154.
       https://doi.org/10.1214/aos/1176350951
    .. [2] Aalen, O. O. & Johansen, S. (1978). An empirical transition matrix for
       non-homogeneous Markov chains based on censored observations. Scandinavian Journal of
       Statistics 5(3), 141-150. https://www.jstor.org/stable/4615704

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.risk import cumulative_incidence
    >>> df = pl.DataFrame({"months": [1, 2, 3, 4], "outcome": [1, 2, 0, 1]})
    >>> ci = cumulative_incidence(df, duration="months", event="outcome")
    >>> ci.table.filter(cause=1)["cumulative_incidence"].to_list()
    [0.25, 0.25, 0.25, 0.75]

    Delayed entry (people followed from their release, ``entered``) and case weights:

    >>> df = df.with_columns(entered=pl.Series([0.0, 0.0, 1.5, 0.5]), w=pl.Series([1, 2, 1, 1]))
    >>> ci = cumulative_incidence(
    ...     df, duration="months", event="outcome", entry="entered", weights="w"
    ... )
    >>> ones = ci.table.filter(cause=1)
    >>> ones.select("time", "at_risk", "cumulative_incidence").rows()
    [(1.0, 4.0, 0.25), (2.0, 4.0, 0.25), (3.0, 2.0, 0.25), (4.0, 1.0, 0.625)]
    >>> ones["std_error"].round(4).to_list()  # R survfit(..., weights = w, id = row)$std.err
    [0.2339, 0.2339, 0.2339, 0.2898]
    """
    if strata is not None and not isinstance(strata, str):
        raise ArgumentError(f"strata: expected a column name, got {type(strata).__name__}")
    if strata is not None and group is None:
        raise ArgumentError("strata: stratifies Gray's test of `group`; give group= too")
    # The strata column travels in the model frame as the `cluster` slot (a required column).
    args = survival_args(
        duration=duration,
        event=event,
        entry=entry,
        weights=weights,
        strata=group,
        id=id,
        cluster=strata,
    )
    given = [k for k, v in (("entry", entry), ("weights", weights), ("id", id)) if v is not None]
    for name, used in (("strata", strata is not None), ("rho", rho != 0.0)):
        if used and given:
            raise ArgumentError(
                f"{name}: only shapes Gray's test, which is not defined with {given[0]}= "
                f"(cmprsk::cuminc's test takes one unweighted row per person); drop {name}="
            )
    z = _results.z_value(level)
    design, model = model_frame(df, args, (), missing=missing, what="cumulative_incidence")
    table, labels, tests = _native.cumulative_incidence_table(
        model,
        duration,
        event,
        group=group,
        row_number=_design.row_number(design),
        rho=float(rho),
        strata=strata,
        entry=entry,
        weights=weights,
        id=id,
    )
    frame = to_polars(table)
    f = pl.col("cumulative_incidence")
    se = pl.col("variance").sqrt()
    # log(-log) interval; (0, 0) before the first event, (1, 1) at certainty.
    power = (z * se / (f * f.log())).exp()
    inside = (f > 0) & (f < 1) & (se > 0)
    frame = frame.with_columns(
        se.alias("std_error"),
        pl.when(inside).then(f.pow(power)).otherwise(f).alias("ci_low"),
        pl.when(inside).then(f.pow(1 / power)).otherwise(f).alias("ci_high"),
    ).drop("variance")
    if group is None:
        frame = frame.drop("group")
        test_frame = None
    else:
        jackknife = bool(given)
        dtype = model.schema[group]
        values = pl.Series(group, labels)
        if dtype != pl.Categorical and not isinstance(dtype, pl.Enum):
            values = values.cast(dtype)
        frame = frame.with_columns(
            pl.col("group").map_elements(lambda k: values[k], return_dtype=values.dtype)
        ).rename({"group": group})
        test_frame = (
            None
            if jackknife
            else pl.DataFrame(
                {
                    "cause": [t[0] for t in tests],
                    "statistic": [t[1] for t in tests],
                    "df": [t[2] for t in tests],
                    "p_value": [t[3] for t in tests],
                },
                schema={
                    "cause": pl.Int64,
                    "statistic": pl.Float64,
                    "df": pl.Int64,
                    "p_value": pl.Float64,
                },
            )
        )
    return CumulativeIncidence(
        frame,
        test_frame,
        group,
        level,
        design.rows_used,
        design.rows_dropped,
        variance="jackknife" if given else "gray",
    )


class FineGray(_Estimator):
    r"""The Fine–Gray proportional subdistribution hazards model for one competing cause.

    Models the cumulative incidence of ``cause`` directly: people who failed from another
    cause stay in the risk set, weighted by the inverse probability of censoring
    :math:`w_i(t) = \hat G(t-)/\hat G(T_i-)` (Fine & Gray 1999), with :math:`\hat G` the
    Kaplan–Meier estimate of the censoring distribution. ``exp(estimate)`` is a
    subdistribution hazard ratio. Estimates and log-likelihood agree with R ``cmprsk::crr``
    (Breslow ties).

    Standard errors (``variance="robust"``, the default) are ``crr``'s sandwich, Fine & Gray
    (1999, section 3 and appendix):

    .. math::

        \hat V = I^{-1} \Big[\sum_i (\eta_i + \psi_i)(\eta_i + \psi_i)^\top\Big] I^{-1},

    where :math:`I` is the information at :math:`\hat\beta`,
    :math:`\eta_i = \int (x_i - \bar x(t))\, w_i(t)\,[dN_i(t) - e^{x_i^\top\hat\beta}
    d\hat\Lambda(t)]` is person :math:`i`'s score residual under the weighted risk sets, and
    :math:`\psi_i = \int q(u)/n(u)\, d\hat M^c_i(u)` corrects for estimating :math:`G`
    (:math:`\hat M^c_i` the censoring martingale, :math:`n(u)` the number still followed,
    :math:`q(u) = \sum_{t_k \ge u} d\hat\Lambda(t_k) \sum_{j:\,T_j < u,\ \text{other cause}}
    w_j(t_k) e^{x_j^\top\hat\beta} (x_j - \bar x(t_k))`). ``variance="model"`` gives the
    model-based :math:`I^{-1}` (``solve(crr(...)$inf)`` in R), which treats the censoring
    weights as known and is not in general a consistent variance for this weighted score.

    Parameters
    ----------
    variance : {"robust", "model"}
        Which covariance the ``summary`` (standard errors, tests, intervals) uses: the sandwich
        above, as ``cmprsk::crr`` (default), or the inverse information.
    missing, level, max_iter, threads
        As for :class:`CoxPH`.

    References
    ----------
    .. [1] Fine, J. P. & Gray, R. J. (1999). A proportional hazards model for the subdistribution
       of a competing risk. JASA 94(446), 496-509.
       https://doi.org/10.1080/01621459.1999.10474144

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.risk import FineGray
    >>> df = pl.DataFrame({
    ...     "months": list(range(1, 41)),
    ...     "outcome": [1, 2, 0, 1, 1, 2, 1, 0, 1, 2] * 4,
    ...     "priors": [3, 0, 1, 4, 2, 0, 5, 1, 3, 1] * 4,
    ... })
    >>> fg = FineGray().fit(df, duration="months", event="outcome", cause=1, covariates=["priors"])
    >>> fg.summary["term"].to_list()
    ['priors']
    >>> model = FineGray(variance="model").fit(
    ...     df, duration="months", event="outcome", cause=1, covariates=["priors"]
    ... )
    >>> bool(model.summary["estimate"][0] == fg.summary["estimate"][0])
    True
    """

    _params = ("variance", "missing", "level", "max_iter", "threads")

    def __init__(
        self,
        *,
        variance: Literal["robust", "model"] = "robust",
        missing: _design.Missing = "error",
        level: float = 0.95,
        max_iter: int = 50,
        threads: int | None = None,
    ) -> None:
        self.variance = variance
        self.missing = missing
        self.level = level
        self.max_iter = max_iter
        self.threads = threads
        self._fit: dict[str, Any] | None = None

    def fit(
        self,
        df: Any,
        *,
        duration: str,
        event: str,
        covariates: Sequence[Any],
        cause: int = 1,
    ) -> FineGray:
        """Fit the model for ``cause`` (``event`` codes: 0 censored, 1, 2, ... causes).

        Returns
        -------
        FineGray
            ``self``, fitted.

        Raises
        ------
        ArgumentError
            ``cause`` is not a code present in ``event``.
        """
        if self.variance not in ("robust", "model"):
            raise ArgumentError(f'variance: expected "robust" or "model", got {self.variance!r}')
        if isinstance(cause, bool) or not isinstance(cause, int) or cause < 1:
            raise ArgumentError(f"cause: expected a cause code 1, 2, ..., got {cause!r}")
        args = survival_args(duration=duration, event=event)
        design, model = model_frame(df, args, covariates, missing=self.missing, what="FineGray")
        if not design.names:
            raise ArgumentError("covariates: FineGray needs at least one covariate")
        result = _native.fine_gray_fit(
            model,
            list(design.names),
            duration,
            event,
            cause=cause,
            row_number=_design.row_number(design),
            max_iter=self.max_iter,
            threads=self.threads,
        )
        names = list(design.names)
        _design.warn_events_per_variable(
            result["events"], len(names), model="FineGray", what=f"events of cause {cause}"
        )
        self._fit = {
            "result": result,
            "names": names,
            "design": design,
            "args": args,
            "cause": cause,
            "summary": _results.summary_frame(
                names,
                result["coef"],
                result["robust_covariance" if self.variance == "robust" else "covariance"],
                level=self.level,
                ratio="subdistribution_hazard_ratio",
            ),
        }
        return self

    def _fitted(self) -> dict[str, Any]:
        if self._fit is None:
            raise _not_fitted(self)
        return self._fit

    @property
    def summary(self) -> pl.DataFrame:
        """Per-term table with ``subdistribution_hazard_ratio``."""
        return self._fitted()["summary"]

    @property
    def coef_(self) -> np.ndarray:
        """The coefficients (log subdistribution hazard ratios)."""
        return np.asarray(self._fitted()["result"]["coef"])

    @property
    def log_likelihood(self) -> float:
        """The weighted log partial likelihood (``crr``'s ``loglik``)."""
        return float(self._fitted()["result"]["log_likelihood"])

    @property
    def log_likelihood_null(self) -> float:
        """The same at :math:`\\beta = 0` (``crr``'s ``loglik.null``)."""
        return float(self._fitted()["result"]["null_log_likelihood"])

    @property
    def rows_dropped(self) -> int:
        """Rows left out by ``missing="drop"``."""
        return self._fitted()["design"].rows_dropped

    def plot(self, ax: Any = None) -> Any:
        """Subdistribution hazard ratios with confidence intervals."""
        return _results.forest_plot(self.summary, ratio="subdistribution_hazard_ratio", ax=ax)

    def _facts(self) -> list[tuple[str, Any]]:
        f = self._fitted()
        r = f["result"]
        return [
            ("duration", f["args"].duration),
            ("event", f"{f['args'].event} (cause {f['cause']})"),
            ("rows used", f["design"].rows_used),
            ("rows dropped (missing)", f["design"].rows_dropped),
            ("events of the cause", r["events"]),
            (
                "standard errors",
                "robust sandwich (Fine & Gray 1999, as cmprsk::crr)"
                if self.variance == "robust"
                else "model-based (inverse information)",
            ),
            ("log partial likelihood", self.log_likelihood),
        ]

    def _repr_html_(self) -> str:
        if self._fit is None:
            return f"<p>{self!r} (not fitted)</p>"
        return _results.facts_html("FineGray", self._facts()) + _results.table_html(self.summary)

    def __str__(self) -> str:
        if self._fit is None:
            return repr(self)
        return _results.facts_text("FineGray", self._facts()) + "\n" + str(self.summary)


def kaplan_meier(
    df: Any,
    *,
    duration: str,
    event: str,
    group: str | None = None,
    entry: str | None = None,
    weights: str | None = None,
    level: float = 0.95,
    missing: _design.Missing = "error",
) -> SurvivalCurve:
    r"""The Kaplan–Meier estimate of survival, per group.

    :math:`\hat S(t) = \prod_{t_k \le t}(1 - d_k/n_k)`, with :math:`n_k` the (weighted) number at
    risk (``entry < t_k <= duration``) and :math:`d_k` the events at :math:`t_k`. Pointwise
    intervals use Greenwood's variance on the log-log scale (as lifelines):
    :math:`\exp(-\exp(\log(-\log\hat S) \pm z\sqrt{V}/\log\hat S))`,
    :math:`V=\sum d/(n(n-d))`.

    Parameters
    ----------
    df
        The data.
    duration, event, entry, weights
        The survival vocabulary (see :mod:`aluna.risk`).
    group
        Column whose levels get one curve each.
    level
        Confidence level.
    missing
        ``"error"`` or ``"drop"`` (counted in ``rows_dropped``).

    Returns
    -------
    SurvivalCurve

    References
    ----------
    .. [1] Kaplan, E. L. & Meier, P. (1958). Nonparametric estimation from incomplete
       observations. JASA 53, 457-481. https://doi.org/10.1080/01621459.1958.10501452

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.risk import kaplan_meier
    >>> df = pl.DataFrame({"weeks": [1, 2, 2, 3], "arrested": [1, 1, 0, 1]})
    >>> km = kaplan_meier(df, duration="weeks", event="arrested")
    >>> km.table.select("time", "at_risk", pl.col("survival").round(4)).rows()
    [(1.0, 4.0, 0.75), (2.0, 3.0, 0.5), (3.0, 1.0, 0.0)]
    >>> km.median
    2.0
    """
    table, used, dropped = _curve_table(
        df,
        duration=duration,
        event=event,
        group=group,
        entry=entry,
        weights=weights,
        level=level,
        missing=missing,
        estimator="kaplan_meier",
        what="kaplan_meier",
    )
    return SurvivalCurve(table, group, level, used, dropped)


def nelson_aalen(
    df: Any,
    *,
    duration: str,
    event: str,
    group: str | None = None,
    entry: str | None = None,
    weights: str | None = None,
    level: float = 0.95,
    missing: _design.Missing = "error",
) -> CumulativeHazard:
    r"""The Nelson–Aalen estimate of the cumulative hazard, per group.

    :math:`\hat H(t) = \sum_{t_k\le t} d_k/n_k`, variance :math:`\sum d_k(n_k-d_k)/n_k^3`,
    intervals on the log scale :math:`\hat H\exp(\pm z\sqrt V/\hat H)` (lifelines with
    ``nelson_aalen_smoothing=False``).

    Returns
    -------
    CumulativeHazard

    References
    ----------
    .. [1] Aalen, O. (1978). Nonparametric inference for a family of counting processes.
       Annals of Statistics 6(4), 701-726. https://doi.org/10.1214/aos/1176344247

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.risk import nelson_aalen
    >>> df = pl.DataFrame({"weeks": [1, 2, 2, 3], "arrested": [1, 1, 0, 1]})
    >>> nelson_aalen(df, duration="weeks", event="arrested").table[
    ...     "cumulative_hazard"].round(4).to_list()
    [0.25, 0.5833, 1.5833]
    """
    table, used, dropped = _curve_table(
        df,
        duration=duration,
        event=event,
        group=group,
        entry=entry,
        weights=weights,
        level=level,
        missing=missing,
        estimator="nelson_aalen",
        what="nelson_aalen",
    )
    return CumulativeHazard(table, group, level, used, dropped)


@dataclass(frozen=True, repr=False)
class LogRankTest:
    """The k-group log-rank test.

    Attributes
    ----------
    statistic, df, p_value
        The chi-squared statistic, its degrees of freedom (groups - 1) and p-value.
    summary
        Per group: the group, ``observed`` and ``expected`` events.
    rows_used, rows_dropped
        Rows in the test; rows left out by ``missing="drop"``.
    """

    statistic: float
    df: int
    p_value: float
    summary: pl.DataFrame
    rows_used: int
    rows_dropped: int

    def _repr_html_(self) -> str:
        facts = [
            ("statistic", self.statistic),
            ("df", self.df),
            ("p-value", self.p_value),
            ("rows used", self.rows_used),
            ("rows dropped (missing)", self.rows_dropped),
        ]
        return _results.facts_html("Log-rank test", facts) + _results.table_html(self.summary)

    def __repr__(self) -> str:
        return (
            f"LogRankTest(statistic={self.statistic:.4f}, df={self.df}, "
            f"p_value={self.p_value:.4g}, rows_dropped={self.rows_dropped})"
        )

    def plot(self, ax: Any = None) -> Any:
        """Observed against expected events per group."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        g = [str(v) for v in self.summary[:, 0].to_list()]
        x = np.arange(len(g))
        ax.bar(x - 0.2, self.summary["observed"].to_numpy(), 0.4, label="observed")
        ax.bar(x + 0.2, self.summary["expected"].to_numpy(), 0.4, label="expected")
        ax.set_xticks(x)
        ax.set_xticklabels(g)
        ax.legend()
        return ax


def logrank(
    df: Any,
    *,
    duration: str,
    event: str,
    group: str,
    entry: str | None = None,
    weights: str | None = None,
    missing: _design.Missing = "error",
) -> LogRankTest:
    r"""The log-rank test that k groups share one hazard.

    At each distinct event time, observed minus expected events per group, with the
    hypergeometric covariance :math:`V_{gh} = d\,(n_g/n)(\delta_{gh} - n_h/n)(n-d)/(n-1)`; the
    statistic :math:`(O-E)^\top V^{-1}(O-E)` over k-1 groups is chi-squared on k-1 df.

    References
    ----------
    .. [1] Mantel, N. (1966). Evaluation of survival data and two new rank order statistics
       arising in its consideration. Cancer Chemotherapy Reports 50(3), 163-170.

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.risk import logrank
    >>> df = pl.DataFrame({"weeks": [1, 2, 3, 4, 5, 6], "arrested": [1, 1, 1, 1, 1, 0],
    ...                    "aid": ["no", "no", "no", "yes", "yes", "yes"]})
    >>> test = logrank(df, duration="weeks", event="arrested", group="aid")
    >>> round(test.statistic, 4), test.df
    (5.0517, 1)
    """
    args = survival_args(duration=duration, event=event, entry=entry, weights=weights, strata=group)
    design, model = model_frame(df, args, (), missing=missing, what="logrank")
    observed, expected, stat, dof, p, labels = _native.logrank_test(
        model,
        duration,
        event,
        group,
        entry=entry,
        weights=weights,
        row_number=_design.row_number(design),
    )
    dtype = model.schema[group]
    values = pl.Series(group, labels)
    if dtype != pl.Categorical and not isinstance(dtype, pl.Enum):
        values = values.cast(dtype)
    summary = pl.DataFrame({group: values, "observed": observed, "expected": expected})
    return LogRankTest(
        float(stat), int(dof), float(p), summary, design.rows_used, design.rows_dropped
    )
