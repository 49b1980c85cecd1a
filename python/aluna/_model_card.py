"""``model.card()``: a ModelCard filled from a fitted risk model and its validation."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import polars as pl

from aluna._evaluation import (
    _complete,
    _expit,
    _kind,
    _linear_predictor,
    bootstrap_validation,
    calibration,
    concordance_index,
    roc_auc,
)
from aluna._fairness import fairness_audit
from aluna._survival_args import as_frame
from aluna.exceptions import AlunaWarning, ArgumentError

DEFAULT_LIMITATIONS = (
    "Scores rank people by recorded risk in the population the model was developed on; "
    "absolute risks do not transport to another jurisdiction or period without "
    "recalibration (aluna.risk.recalibrate).",
    "Group-level accuracy says nothing certain about any one person; any use about an "
    "individual needs human judgement and review.",
    "Fairness criteria (calibration within groups, equal error rates) cannot all hold when "
    "base rates differ (Kleinberg et al. 2017; Chouldechova 2017); the audit shows which hold.",
)


def _fmt(estimate: float, lo: float | None, hi: float | None) -> str:
    if lo is None or hi is None:
        return f"{estimate:.3f}"
    return f"{estimate:.3f} ({lo:.3f} to {hi:.3f})"


def model_card(
    model: Any,
    df: Any,
    *,
    name: str,
    purpose: str,
    data: str = "",
    outcome: str = "",
    validation: Any = None,
    group: str | None = None,
    time: float | None = None,
    threshold: float | None = None,
    replicates: int = 200,
    seed: int = 0,
    label_bias: bool = True,
    limitations: Sequence[str] = (),
    **details: Any,
) -> Any:
    """Build the ModelCard of a fitted LogisticRegression or CoxPH (see their ``card``)."""
    from aluna.privacy import REARREST_LABEL_BIAS, ModelCard

    check_card_args(threshold)
    kind = _kind(model)
    f = model._fitted()
    fit_args = dict(f["fit_args"])
    development = _complete(model, as_frame(df, what=f"{type(model).__name__}.card"), fit_args)
    target = (
        _complete(model, as_frame(validation, what="card(validation=...)"), fit_args)
        if validation is not None
        else None
    )
    rows: list[tuple[str, str, str]] = []
    terms = ", ".join(name for name, _ in f["design"].terms)
    if kind == "logistic":
        y = fit_args["outcome"]
        method = (
            f"Logistic regression of `{y}` on {terms}; penalty {f['penalty']}; standard errors "
            f"{f['se_type']}."
        )
        dev_desc = (
            f"{f['n']:,} rows ({int(f['events']):,} with `{y}` = 1); "
            f"{f['design'].rows_dropped:,} rows dropped for missing values."
        )
        default_outcome = f"`{y}` = 1 (a 0/1 outcome)."
    else:
        a = f["args"]
        y = a.event
        method = (
            f"Cox proportional hazards model of `{a.duration}` / `{a.event}` on {terms}; ties "
            f"{model.ties}."
        )
        dev_desc = (
            f"{model.n_obs:,} rows ({model.events:,} events); {model.rows_dropped:,} rows "
            f"dropped for missing values."
        )
        default_outcome = f"Time `{a.duration}` to the event `{a.event}` = 1, with censoring."
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AlunaWarning)
        check = bootstrap_validation(
            model, development, replicates=replicates, seed=seed, **fit_args
        )
    for r in check.table.iter_rows(named=True):
        rows.append(
            (
                f"{r['measure']} (development, optimism-corrected)",
                f"{r['corrected']:.3f} (apparent {r['apparent']:.3f})",
                f"bootstrap, {r['replicates']} replicates, seed {seed}",
            )
        )
    audit_frame = target if target is not None else development
    where = "validation" if target is not None else "development"
    lp = _linear_predictor(model, audit_frame)
    fairness = None
    if kind == "logistic":
        scored = audit_frame.select(pl.col(y).cast(pl.Float64).alias("__y")).with_columns(
            __p=pl.Series(_expit(lp))
        )
        auc = roc_auc(scored, outcome="__y", score="__p")
        rows.append((f"AUC ({where})", _fmt(auc.estimate, auc.ci_low, auc.ci_high), "DeLong"))
        if target is not None:
            cal = calibration(scored, outcome="__y", score="__p", smooth=False)
            for term in ("calibration_intercept", "calibration_slope"):
                r = cal.summary.filter(pl.col("term") == term).row(0, named=True)
                rows.append(
                    (f"{term} ({where})", _fmt(r["estimate"], r["ci_low"], r["ci_high"]), "")
                )
        if group is not None:
            cut = threshold if threshold is not None else float(f["events"] / f["total"])
            scored = scored.with_columns(audit_frame.get_column(group).alias(group))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", AlunaWarning)
                audit = fairness_audit(
                    scored,
                    outcome="__y",
                    group=group,
                    score="__p",
                    threshold=cut,
                    replicates=replicates,
                    seed=seed,
                )
            fairness = audit.table.with_columns(pl.lit(cut).alias("threshold"))
    else:
        a = f["args"]
        scored = audit_frame.select(a.duration, a.event).with_columns(__lp=pl.Series(lp))
        c = concordance_index(
            scored,
            duration=a.duration,
            event=a.event,
            score="__lp",
            replicates=replicates,
            seed=seed,
        )
        rows.append((f"Harrell's C ({where})", _fmt(c.estimate, c.ci_low, c.ci_high), "bootstrap"))
        if group is not None:
            scored = scored.with_columns(audit_frame.get_column(group).alias(group))
            out = []
            for key in scored.get_column(group).unique().sort().to_list():
                part = scored.filter(pl.col(group) == key)
                cg = concordance_index(part, duration=a.duration, event=a.event, score="__lp")
                entry = {
                    group: key,
                    "n": part.height,
                    "events": int(part[a.event].sum()),
                    "concordance": cg.estimate,
                }
                if time is not None:
                    from aluna.risk import kaplan_meier

                    km = kaplan_meier(part, duration=a.duration, event=a.event)
                    observed = 1 - float(km.survival_at([time])["survival"][0])
                    expected = 1 - float(
                        model.predict_survival(audit_frame.filter(pl.col(group) == key), [time])[
                            "survival"
                        ].mean()
                    )
                    entry |= {
                        "observed_risk": observed,
                        "expected_risk": expected,
                        "observed_to_expected": observed / expected,
                    }
                out.append(entry)
            fairness = pl.DataFrame(out)
    validation_table = pl.DataFrame(
        {
            "measure": [r[0] for r in rows],
            "value": [r[1] for r in rows],
            "method": [r[2] for r in rows],
        }
    )
    notes = list(limitations) + list(DEFAULT_LIMITATIONS)
    if target is None:
        notes.insert(
            0,
            "Validated only internally (bootstrap on the development data); no "
            "external validation sample was given.",
        )
    caveats = [REARREST_LABEL_BIAS] if label_bias else []
    return ModelCard(
        name=name,
        purpose=purpose,
        data=(data + " " if data else "") + "Development data: " + dev_desc,
        outcome=outcome or default_outcome,
        model=method,
        validation=validation_table,
        fairness=fairness,
        outcome_caveats=caveats,
        limitations=notes,
        **details,
    )


def check_card_args(threshold: Any) -> None:
    if threshold is not None and not (isinstance(threshold, (int, float)) and 0 < threshold < 1):
        raise ArgumentError(f"threshold: expected a probability between 0 and 1, got {threshold!r}")
