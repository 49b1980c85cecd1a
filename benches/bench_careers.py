"""Offending careers: trajectory-model BIC sweeps on 100k persons x 20 years.

No Python library fits group-based trajectory models (SAS PROC TRAJ, Stata traj and R crimCV
do); the one-group Poisson model is a Poisson GLM, timed beside statsmodels.

Run: python benches/bench_careers.py   (or `python benches/run.py --only careers`)
"""

from __future__ import annotations

import os
import time
import warnings

import numpy as np
import statsmodels.api as sm

from aluna import careers, synth

if __package__:
    from .harness import Case, markdown, median_seconds
else:  # run as a script
    from harness import Case, markdown, median_seconds

TITLE = "Offending careers (100k persons x 20 years)"
PACKAGES = ("statsmodels", "polars")
COMMAND = "python benches/run.py --only careers"

PERSON, TIME, COUNT = "person_id", "age", "total_offences"


def run(repeat: int = 2) -> list[Case]:
    warnings.simplefilter("ignore")
    dataset = synth.careers_panel(100_000, periods=20, seed=20261123)
    panel, planted = dataset.data, dataset.truth["groups"].height
    cases = []
    for model in ("zip", "poisson"):
        cpu = time.process_time()
        fits = careers.trajectories(panel, PERSON, TIME, COUNT, groups=range(1, 7), model=model)
        cpu = time.process_time() - cpu  # all threads: less sensitive to a busy machine
        case = Case(f"{model} trajectories, 1-6 groups (BIC sweep, 10 starts each)")
        case.timings["aluna"] = median_seconds(
            lambda m=model: careers.trajectories(
                panel, PERSON, TIME, COUNT, groups=range(1, 7), model=m
            ),
            repeat,
        )
        case.notes = (
            f"BIC selects {fits.selected} groups ({planted} planted); one sweep used "
            f"{cpu:.1f} s of CPU; machine load average {os.getloadavg()[0]:.1f}"
        )
        cases.append(case)

    age = panel[TIME].to_numpy().astype(float)
    x = np.column_stack([np.ones_like(age), age, age**2])
    y = panel[COUNT].to_numpy()
    case = Case("one-group Poisson trajectory = Poisson GLM, quadratic in age, with SEs")
    case.timings["aluna"] = median_seconds(
        lambda: careers.trajectories(panel, PERSON, TIME, COUNT, groups=1, model="poisson"),
        repeat,
    )
    case.timings["statsmodels"] = median_seconds(
        lambda: sm.GLM(y, x, family=sm.families.Poisson()).fit(), repeat
    )
    cases.append(case)

    events = panel.unpivot(
        index=[PERSON, TIME],
        on=[
            "sexual_offences",
            "violent_offences",
            "theft_offences",
            "drug_offences",
            "fraud_offences",
        ],
        variable_name="type",
        value_name="n",
    )
    events = events.filter(events["n"] > 0)
    case = Case(
        f"career parameters + diversity + forward specialisation ({events['n'].sum():,} offences)"
    )
    case.timings["aluna"] = median_seconds(
        lambda: (
            careers.career_parameters(
                panel, PERSON, TIME, offences=COUNT, sexual="sexual_offences"
            ),
            careers.diversity(events, PERSON, "type", count="n"),
            careers.forward_specialisation(events, PERSON, TIME, "type", count="n"),
        ),
        repeat,
    )
    cases.append(case)
    return cases


if __name__ == "__main__":
    print(markdown(TITLE, run(), COMMAND, PACKAGES))
