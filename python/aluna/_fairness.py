"""Fairness audits of risk scores and decisions across groups (re-exported by aluna.risk)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from aluna import _native, _results
from aluna._evaluation import _binary, _check_replicates, _check_seed, _finite, _select
from aluna.exceptions import AlunaWarning, ArgumentError, BadValueError

__all__ = ["FairnessAudit", "SmallGroupWarning", "fairness_audit"]

#: The measures of a fairness audit, in table order.
MEASURES = (
    "base_rate",
    "selection_rate",
    "false_positive_rate",
    "false_negative_rate",
    "positive_predictive_value",
    "negative_predictive_value",
    "auc",
    "observed_to_expected",
)

# Indices into the native count vectors (aluna_stats::fairness::GroupCounts).
_N, _POS, _SEL, _TP, _FP, _TN, _FN, _SCORE, _AUC = range(9)


class SmallGroupWarning(AlunaWarning):
    """A group is too small for stable figures or intervals (it is reported, not dropped)."""


def _rates(c: np.ndarray) -> np.ndarray:
    """Measures from counts; ``c`` has the 9 counts on its last axis. NaN where undefined."""
    with np.errstate(divide="ignore", invalid="ignore"):
        n, pos, sel = c[..., _N], c[..., _POS], c[..., _SEL]
        tp, fp, tn, fn = c[..., _TP], c[..., _FP], c[..., _TN], c[..., _FN]
        out = np.stack(
            [
                pos / n,
                sel / n,
                fp / (fp + tn),
                fn / (fn + tp),
                tp / (tp + fp),
                tn / (tn + fn),
                c[..., _AUC],
                pos / c[..., _SCORE],
            ],
            axis=-1,
        )
    out[~np.isfinite(out)] = np.nan
    return out


def _counts(rows: list[list[float | None]]) -> np.ndarray:
    return np.array([[np.nan if v is None else v for v in r] for r in rows], dtype=float)


@dataclass(frozen=True, repr=False)
class FairnessAudit:
    """A fairness audit: per-group error rates and calibration, with bootstrap intervals.

    Attributes
    ----------
    table
        One row per group: ``group`` value, ``n``, and each measure (null where undefined: no
        positives for the FNR, no one selected for the PPV, no score for the AUC ...), and
        ``note`` (why a figure or interval is missing).
    summary
        Long form: ``group``, ``measure``, ``estimate``, ``ci_low``, ``ci_high`` (percentile
        bootstrap intervals; null where not formed).
    disparities
        Per non-reference group and measure: ``difference`` (group minus reference) with its
        bootstrap interval, and ``ratio`` (group over reference).
    reference
        The reference group.
    threshold
        The score threshold used for the decisions, or None (given predictions).
    replicates, seed, level
        Bootstrap settings.
    """

    table: pl.DataFrame
    summary: pl.DataFrame
    disparities: pl.DataFrame
    group: str
    reference: Any
    threshold: float | None
    replicates: int
    seed: int
    level: float

    def plot(
        self,
        measures: tuple[str, ...] = (
            "false_positive_rate",
            "false_negative_rate",
            "positive_predictive_value",
        ),
        ax: Any = None,
    ) -> Any:
        """Per-group estimates with intervals for the chosen measures."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 0.5 * len(measures) * self.table.height + 1))
        rows = self.summary.filter(pl.col("measure").is_in(list(measures)))
        labels = [f"{m} · {g}" for g, m in zip(rows["group"], rows["measure"], strict=True)]
        y = np.arange(rows.height)[::-1]
        est = rows["estimate"].to_numpy().astype(float)
        lo = rows["ci_low"].to_numpy().astype(float)
        hi = rows["ci_high"].to_numpy().astype(float)
        ax.errorbar(
            est,
            y,
            xerr=[np.nan_to_num(est - lo), np.nan_to_num(hi - est)],
            fmt="o",
            capsize=3,
            color="black",
        )
        ax.set_yticks(y)
        ax.set_yticklabels(labels)
        ax.set_xlabel("estimate")
        return ax

    def _repr_html_(self) -> str:
        facts = [
            ("group", self.group),
            ("reference", self.reference),
            ("threshold", "given predictions" if self.threshold is None else self.threshold),
            ("bootstrap", f"{self.replicates} replicates, seed {self.seed}, level {self.level}"),
        ]
        return (
            _results.facts_html("Fairness audit", facts)
            + _results.table_html(self.table)
            + "<p>Disparities against the reference group</p>"
            + _results.table_html(self.disparities)
        )

    def __repr__(self) -> str:
        return (
            f"FairnessAudit(group={self.group!r}, groups={self.table.height}, "
            f"reference={self.reference!r})"
        )


def fairness_audit(
    df: Any,
    *,
    outcome: str,
    group: str,
    score: str | None = None,
    prediction: str | None = None,
    threshold: float | None = None,
    reference: Any = None,
    replicates: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    min_group_size: int = 30,
    threads: int | None = None,
) -> FairnessAudit:
    r"""Audit a risk score or decision for fairness across groups.

    For each level of ``group``: ``n``, the **base rate** :math:`P(Y=1)`, the **selection
    rate** :math:`P(\hat Y=1)`, the **false positive rate** :math:`P(\hat Y=1\mid Y=0)`, the
    **false negative rate** :math:`P(\hat Y=0\mid Y=1)`, the **positive and negative
    predictive values** :math:`P(Y=1\mid\hat Y=1)`, :math:`P(Y=0\mid\hat Y=0)`, and with a
    ``score``, the group's **AUC** and **calibration-in-the-large** as observed over expected
    outcomes (:math:`\sum y/\sum s`; 1 is right, above 1 the score under-predicts for that
    group). Intervals are percentile intervals of a stratified bootstrap (each group resampled
    within itself, ``replicates`` times, with ``seed``). ``disparities`` compares each group
    with the ``reference`` group (difference with interval, and ratio); the ratio of selection
    rates is the "disparate impact" of US employment law's four-fifths rule.

    **Which parities can hold together.** When base rates differ between groups, no imperfect
    score or decision can satisfy all of these at once (Kleinberg, Mullainathan & Raghavan
    2017; Chouldechova 2017):

    - *calibration within groups* (a score of 30% means 30% in every group; for decisions,
      equal PPV — "predictive parity"), and
    - *balance of error rates* (equal FPR and equal FNR across groups — "equalised odds").

    Chouldechova's identity makes it concrete: with prevalence :math:`p`,
    :math:`\mathrm{FPR} = \frac{p}{1-p}\cdot\frac{1-\mathrm{PPV}}{\mathrm{PPV}}\cdot
    (1-\mathrm{FNR})`, so equal PPV and equal FNR force unequal FPR when :math:`p` differs.
    This is the COMPAS debate: the tool was roughly calibrated across Black and white
    defendants, and *therefore* had a higher false positive rate for the group with the higher
    recorded base rate. Equal selection rates ("demographic parity") conflict with
    calibration too. An audit cannot pick the right criterion; it shows which one holds, by
    how much the others fail, and with what uncertainty — and the outcome itself (a recorded
    re-arrest) may differ between groups in how it is recorded, which no audit on those
    labels can detect.

    Parameters
    ----------
    df
        The data: one row per person.
    outcome
        0/1 outcome column.
    group
        Group column (jurisdiction, sex, ethnicity ...). Nulls are an error.
    score
        Optional risk score (a probability for the calibration measure). NaN is an error.
    prediction
        Optional 0/1 decision column (flagged high risk). Give this or ``threshold``.
    threshold
        Call ``score >= threshold`` a positive decision (with ``score``).
    reference
        The reference group for disparities; default the largest group.
    replicates, seed, level
        Bootstrap settings (``replicates=0``: no intervals).
    min_group_size
        Groups with fewer rows are reported with their estimates but without intervals, with
        a note and a :class:`SmallGroupWarning` (never silently dropped).
    threads
        Threads for the bootstrap; results do not depend on it.

    Returns
    -------
    FairnessAudit

    Raises
    ------
    ArgumentError
        Neither ``prediction`` nor ``score`` with ``threshold``; both ``prediction`` and
        ``threshold``; an unknown ``reference``.
    BadValueError
        A NaN score, a null group, an outcome or prediction that is not 0/1.

    References
    ----------
    .. [1] Kleinberg, J., Mullainathan, S. & Raghavan, M. (2017). Inherent trade-offs in the
       fair determination of risk scores. ITCS 2017. https://doi.org/10.4230/LIPIcs.ITCS.2017.43
    .. [2] Chouldechova, A. (2017). Fair prediction with disparate impact: a study of bias in
       recidivism prediction instruments. Big Data 5(2), 153-163.
       https://doi.org/10.1089/big.2016.0047
    .. [3] Barocas, S., Hardt, M. & Narayanan, A. (2023). Fairness and Machine Learning. MIT
       Press. https://fairmlbook.org

    Examples
    --------
    >>> import polars as pl
    >>> from aluna.risk import fairness_audit
    >>> df = pl.DataFrame({
    ...     "area": ["north"] * 6 + ["south"] * 6,
    ...     "rearrested": [1, 1, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0],
    ...     "flagged": [1, 0, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0],
    ... })
    >>> audit = fairness_audit(df, outcome="rearrested", group="area", prediction="flagged",
    ...                        replicates=0, min_group_size=1)
    >>> audit.table.select("area", "false_positive_rate", "false_negative_rate").rows()
    [('north', 0.25, 0.5), ('south', 0.3333333333333333, 0.0)]
    """
    _results.z_value(level)
    if prediction is None and (score is None or threshold is None):
        raise ArgumentError(
            "fairness_audit: give `prediction` (a 0/1 decision column) or `score` with `threshold`"
        )
    if prediction is not None and threshold is not None:
        raise ArgumentError("fairness_audit: give `prediction` or `threshold`, not both")
    replicates = 0 if replicates == 0 else _check_replicates(replicates, minimum=2)
    seed = _check_seed(seed)
    frame = _select(df, [outcome, group, score, prediction], what="fairness_audit")
    g = frame.get_column(group)
    if g.null_count():
        raise BadValueError(f"column `{group}`, row {int(g.is_null().arg_max() or 0)}: null group")
    y = _binary(frame, outcome)
    s = _finite(frame, score) if score is not None else None
    if prediction is not None:
        decided = _binary(frame, prediction)
    else:
        assert s is not None
        assert threshold is not None
        decided = (s >= float(threshold)).astype(float)
    levels = g.unique().sort()
    codes = g.cast(pl.String).replace_strict(
        levels.cast(pl.String), list(range(levels.len())), return_dtype=pl.Int64
    )
    native = pl.DataFrame({"y": y, "p": decided, "g": codes})
    if s is not None:
        native = native.with_columns(s=pl.Series(s))
    point, reps = _native.fairness_counts(
        native,
        "y",
        "p",
        "g",
        score="s" if s is not None else None,
        replicates=replicates,
        seed=seed,
        threads=threads,
    )
    counts = _counts(point)
    estimates = _rates(counts)
    if s is None:
        estimates[:, MEASURES.index("auc")] = np.nan
        estimates[:, MEASURES.index("observed_to_expected")] = np.nan
    sizes = counts[:, _N].astype(int)
    names = levels.to_list()
    if reference is None:
        reference = names[int(np.argmax(sizes))]
    if reference not in names:
        raise ArgumentError(
            f"reference: {reference!r} is not a level of `{group}`; levels: {names}"
        )
    ref = names.index(reference)
    notes = []
    for k, name in enumerate(names):
        parts = []
        if sizes[k] < min_group_size:
            parts.append(f"{sizes[k]} rows (< {min_group_size}): no intervals")
            warnings.warn(
                f"fairness_audit: group {name!r} of `{group}` has {sizes[k]} rows, fewer than "
                f"min_group_size={min_group_size}; its estimates are reported without intervals "
                "and are unstable. Pool small groups or collect more data.",
                SmallGroupWarning,
                stacklevel=2,
            )
        undefined = [
            m
            for j, m in enumerate(MEASURES)
            if np.isnan(estimates[k, j])
            and (s is not None or m not in ("auc", "observed_to_expected"))
        ]
        if undefined:
            parts.append("undefined: " + ", ".join(undefined))
        notes.append("; ".join(parts))
    z_lo = (1 - level) / 2
    ci = np.full((*estimates.shape, 2), np.nan)
    diff_ci = np.full((*estimates.shape, 2), np.nan)
    if replicates:
        r = _rates(np.stack([_counts(rep) for rep in reps]))  # B x G x M
        for k in range(len(names)):
            if sizes[k] < min_group_size:
                continue
            for j in range(len(MEASURES)):
                v = r[:, k, j]
                if np.isnan(estimates[k, j]) or np.isnan(v).any():
                    continue
                ci[k, j] = np.quantile(v, [z_lo, 1 - z_lo])
                if k != ref and sizes[ref] >= min_group_size:
                    d = v - r[:, ref, j]
                    if not np.isnan(d).any():
                        diff_ci[k, j] = np.quantile(d, [z_lo, 1 - z_lo])
    dtype = g.dtype

    def col(values: np.ndarray) -> list[float | None]:
        return [None if np.isnan(v) else float(v) for v in values]

    table = pl.DataFrame({group: levels, "n": sizes.astype(np.int64)})
    table = table.with_columns(
        *[pl.Series(m, col(estimates[:, j]), dtype=pl.Float64) for j, m in enumerate(MEASURES)],
        pl.Series("note", notes, dtype=pl.String),
    )
    summary = pl.DataFrame(
        {
            "group": [n for n in names for _ in MEASURES],
            "measure": list(MEASURES) * len(names),
            "estimate": col(estimates.ravel()),
            "ci_low": col(ci[..., 0].ravel()),
            "ci_high": col(ci[..., 1].ravel()),
        },
        schema={
            "group": dtype,
            "measure": pl.String,
            "estimate": pl.Float64,
            "ci_low": pl.Float64,
            "ci_high": pl.Float64,
        },
    )
    others = [k for k in range(len(names)) if k != ref]
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = estimates[others] - estimates[ref]
        ratio = estimates[others] / estimates[ref]
    ratio[~np.isfinite(ratio)] = np.nan
    disparities = pl.DataFrame(
        {
            "group": [names[k] for k in others for _ in MEASURES],
            "measure": list(MEASURES) * len(others),
            "difference": col(diff.ravel()),
            "ci_low": col(diff_ci[others, :, 0].ravel()) if others else [],
            "ci_high": col(diff_ci[others, :, 1].ravel()) if others else [],
            "ratio": col(ratio.ravel()),
        },
        schema={
            "group": dtype,
            "measure": pl.String,
            "difference": pl.Float64,
            "ci_low": pl.Float64,
            "ci_high": pl.Float64,
            "ratio": pl.Float64,
        },
    )
    if s is None:
        keep = ~pl.col("measure").is_in(["auc", "observed_to_expected"])
        summary = summary.filter(keep)
        disparities = disparities.filter(keep)
        table = table.drop("auc", "observed_to_expected")
    return FairnessAudit(
        table,
        summary,
        disparities,
        group,
        reference,
        None if threshold is None else float(threshold),
        replicates,
        seed,
        level,
    )
