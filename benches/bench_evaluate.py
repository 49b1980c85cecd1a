"""Programme evaluation: aluna's IPW beside DoWhy's propensity-score weighting estimator.

Run: python benches/bench_evaluate.py   (or `python benches/run.py --only evaluate`)
"""

from __future__ import annotations

import logging
import warnings

from dowhy import CausalModel
from sklearn.linear_model import LogisticRegression

from aluna import evaluate, synth

if __package__:
    from .harness import Case, markdown, median_seconds
else:  # run as a script
    from harness import Case, markdown, median_seconds

TITLE = "Programme evaluation"
PACKAGES = ("dowhy", "scikit-learn", "pandas", "polars")
COMMAND = "python benches/run.py --only evaluate"

COVARIATES = ["motivation", "risk_score", "employed", "substance_misuse", "age"]


def dowhy_ipw(pdf) -> float:  # type: ignore[no-untyped-def]
    """DoWhy's normalised IPW ATE with an unpenalised logistic propensity model, no clipping."""
    model = CausalModel(
        data=pdf, treatment="participated", outcome="reoffended_2y", common_causes=COVARIATES
    )
    estimand = model.identify_effect(proceed_when_unidentifiable=True)
    estimate = model.estimate_effect(
        estimand,
        method_name="backdoor.propensity_score_weighting",
        target_units="ate",
        method_params={
            "weighting_scheme": "ips_normalized_weight",
            "min_ps_score": 0.0,
            "max_ps_score": 1.0,
            "propensity_score_model": LogisticRegression(penalty=None, max_iter=1000, tol=1e-10),
        },
    )
    return float(estimate.value)


def run(repeat: int = 3) -> list[Case]:
    warnings.simplefilter("ignore")
    logging.getLogger("dowhy").setLevel(logging.ERROR)
    cases = []
    data = synth.programme_evaluation(1_000_000, seed=1).data.select(
        "participated", "reoffended_2y", *COVARIATES
    )
    pdf = data.with_columns(
        [
            data[c].cast(int)
            for c in ("participated", "reoffended_2y", "employed", "substance_misuse")
        ]
    ).to_pandas()
    ours = evaluate.ipw(data, "participated", "reoffended_2y", COVARIATES, estimand="ATE")
    theirs = dowhy_ipw(pdf.copy())
    case = Case(
        "IPW ATE on 1M people x 5 covariates (logistic propensity, normalised weights)",
        notes=(
            f"same estimate: aluna {ours.estimate:.6f} (with its influence-function SE "
            f"{ours.std_error:.5f} and a balance table), DoWhy {theirs:.6f} (no SE); "
            f"difference {abs(ours.estimate - theirs):.1e}"
        ),
    )
    assert abs(ours.estimate - theirs) < 1e-4, (ours.estimate, theirs)
    case.timings["aluna"] = median_seconds(
        lambda: evaluate.ipw(data, "participated", "reoffended_2y", COVARIATES), repeat
    )
    case.timings["DoWhy"] = median_seconds(lambda: dowhy_ipw(pdf.copy()), repeat)
    cases.append(case)

    small = data.head(20_000)
    small_pdf = pdf.head(20_000)
    case = Case(
        "IPW ATE with 200 bootstrap replicates, 20k people (aluna parallel in Rust; DoWhy's "
        "bootstrap confidence intervals)",
    )
    case.timings["aluna"] = median_seconds(
        lambda: evaluate.ipw(
            small,
            "participated",
            "reoffended_2y",
            COVARIATES,
            se="bootstrap",
            n_bootstrap=200,
            seed=1,
        ),
        repeat,
    )

    def dowhy_boot() -> None:
        model = CausalModel(
            data=small_pdf.copy(),
            treatment="participated",
            outcome="reoffended_2y",
            common_causes=COVARIATES,
        )
        estimand = model.identify_effect(proceed_when_unidentifiable=True)
        est = model.estimate_effect(
            estimand,
            method_name="backdoor.propensity_score_weighting",
            target_units="ate",
            confidence_intervals=True,
            method_params={
                "weighting_scheme": "ips_normalized_weight",
                "min_ps_score": 0.0,
                "max_ps_score": 1.0,
                "num_simulations": 200,
                "propensity_score_model": LogisticRegression(penalty=None, max_iter=1000),
            },
        )
        est.get_confidence_intervals()

    case.timings["DoWhy"] = median_seconds(dowhy_boot, 1)
    cases.append(case)
    return cases


if __name__ == "__main__":
    print(markdown(TITLE, run(), COMMAND, PACKAGES))
