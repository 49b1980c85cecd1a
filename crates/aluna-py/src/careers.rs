//! Bindings of `aluna_stats::careers` (documented in `aluna.careers`): trajectory models,
//! career parameters, specialisation and escalation.

use std::sync::Arc;

use aluna_core::Error;
use aluna_stats::careers::model::{GroupParameters, Parameters};
use aluna_stats::careers::panel::{CountModel, Panel, PanelColumns};
use aluna_stats::careers::parameters::{career_parameters, Career, CareerColumns};
use aluna_stats::careers::specialisation::{
    diversity, escalation, forward_specialisation, OffenceColumns, TrendOver,
};
use aluna_stats::careers::trajectories::{
    em_step, fit_trajectories, TrajectoryFit, TrajectoryOptions,
};
use arrow_array::{ArrayRef, Float64Array, Int64Array};
use ndarray::Array2;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use pyo3_arrow::PyTable;

use crate::convert::{output, table};
use crate::errors::IntoPy;
use crate::run::run_detached;

fn matrix_rows(m: &Array2<f64>) -> Vec<Vec<f64>> {
    m.rows().into_iter().map(|r| r.to_vec()).collect()
}

fn floats(values: Vec<f64>) -> ArrayRef {
    Arc::new(Float64Array::from(values))
}

fn optional_floats(values: Vec<Option<f64>>) -> ArrayRef {
    Arc::new(Float64Array::from(values))
}

fn ints(values: Vec<i64>) -> ArrayRef {
    Arc::new(Int64Array::from(values))
}

fn count_model(model: &str) -> aluna_core::Result<CountModel> {
    match model {
        "zip" => Ok(CountModel::ZeroInflatedPoisson),
        "poisson" => Ok(CountModel::Poisson),
        "logit" => Ok(CountModel::Logit),
        other => Err(Error::argument(
            "model",
            format!("expected \"zip\", \"poisson\" or \"logit\", got {other:?}"),
        )),
    }
}

fn fit_dict<'py>(
    py: Python<'py>,
    panel: &Panel,
    fit: &TrajectoryFit,
    person: &str,
    z_value: f64,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("groups", fit.groups)?;
    d.set_item("log_likelihood", fit.log_likelihood)?;
    d.set_item("parameters", fit.parameters)?;
    d.set_item("persons", fit.persons)?;
    d.set_item("bic", fit.bic)?;
    d.set_item("aic", fit.aic)?;
    d.set_item("entropy", fit.entropy)?;
    d.set_item("iterations", fit.iterations)?;
    d.set_item("converged", fit.converged)?;
    d.set_item("trace", fit.trace.clone())?;
    let starts: Vec<(Option<f64>, usize)> = fit
        .starts
        .iter()
        .map(|s| (s.log_likelihood, s.iterations))
        .collect();
    d.set_item("starts", starts)?;
    d.set_item("best_start", fit.best_start)?;
    d.set_item("shares", fit.shares.clone())?;
    d.set_item("share_std_errors", fit.share_errors())?;
    let (coef, cov) = fit.coefficients();
    d.set_item("coefficients", coef)?;
    d.set_item("covariance", cov.as_ref().map(matrix_rows))?;
    d.set_item("covariance_note", fit.covariance_note.clone())?;
    d.set_item("fixed", fit.fixed.clone())?;
    d.set_item("degree", fit.polynomial.x.ncols())?;
    d.set_item("zero_degree", fit.polynomial.z.ncols())?;

    let points = fit.trajectory(z_value);
    let zip = fit.model == CountModel::ZeroInflatedPoisson;
    let mut columns: Vec<(&str, ArrayRef)> = vec![
        (
            "group",
            ints(points.iter().map(|p| p.group as i64 + 1).collect()),
        ),
        (
            "time",
            floats(points.iter().map(|p| panel.times[p.time]).collect()),
        ),
        (
            "expected",
            floats(points.iter().map(|p| p.expected).collect()),
        ),
        (
            "ci_low",
            optional_floats(points.iter().map(|p| p.ci.map(|c| c.0)).collect()),
        ),
        (
            "ci_high",
            optional_floats(points.iter().map(|p| p.ci.map(|c| c.1)).collect()),
        ),
        (
            "observed",
            floats(points.iter().map(|p| p.observed).collect()),
        ),
    ];
    if zip {
        columns.push((
            "rate",
            optional_floats(points.iter().map(|p| p.rate).collect()),
        ));
        columns.push((
            "zero_probability",
            optional_floats(points.iter().map(|p| p.zero_probability).collect()),
        ));
    }
    d.set_item("trajectory", output(columns)?)?;

    let assigned = fit.assigned();
    let names: Vec<String> = (1..=fit.groups).map(|j| format!("posterior_{j}")).collect();
    let units = &panel.person_unit;
    let mut columns: Vec<(&str, ArrayRef)> = vec![
        (person, panel.persons.to_arrow(None)),
        (
            "group",
            ints(
                units
                    .iter()
                    .map(|&u| assigned[u as usize] as i64 + 1)
                    .collect(),
            ),
        ),
    ];
    for (j, name) in names.iter().enumerate() {
        let values = units
            .iter()
            .map(|&u| fit.posterior[u as usize * fit.groups + j])
            .collect();
        columns.push((name.as_str(), floats(values)));
    }
    d.set_item("membership", output(columns)?)?;

    let adequacy: Vec<(usize, Option<f64>, Option<f64>)> = fit
        .adequacy()
        .into_iter()
        .map(|a| {
            (
                a.assigned,
                a.average_posterior,
                a.odds_correct_classification,
            )
        })
        .collect();
    d.set_item("adequacy", adequacy)?;
    Ok(d)
}

/// Fit group-based trajectory models for several numbers of groups.
#[pyfunction]
#[pyo3(signature = (frame, person, time, count, exposure=None, model="zip", order=2,
    zero_order=0, groups=vec![1, 2, 3, 4, 5, 6], starts=10, start_iterations=25,
    max_iter=2000, tolerance=1e-8, seed=0, accelerate=true, z_value=1.959963984540054,
    threads=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn trajectories_fit<'py>(
    py: Python<'py>,
    frame: PyTable,
    person: String,
    time: String,
    count: String,
    exposure: Option<String>,
    model: &str,
    order: usize,
    zero_order: usize,
    groups: Vec<usize>,
    starts: usize,
    start_iterations: usize,
    max_iter: usize,
    tolerance: f64,
    seed: u64,
    accelerate: bool,
    z_value: f64,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    let model = count_model(model).py_err()?;
    let t = table(frame);
    let columns = PanelColumns {
        person: person.clone(),
        time,
        count,
        exposure,
    };
    let options = TrajectoryOptions {
        model,
        order,
        zero_order,
        groups,
        starts,
        start_iterations,
        max_iterations: max_iter,
        tolerance,
        seed,
        accelerate,
        ..TrajectoryOptions::default()
    };
    let (panel, fits) = run_detached(py, threads, move |cancel| {
        let panel = Panel::from_table(&t, &columns, model)?;
        let fits = fit_trajectories(&panel, &options, cancel)?;
        Ok((panel, fits))
    })?;
    let out = PyDict::new(py);
    out.set_item("persons", panel.units.persons)?;
    out.set_item("rows", panel.rows)?;
    out.set_item("rows_without_exposure", panel.rows_without_exposure)?;
    out.set_item("times", panel.times.clone())?;
    let list = PyList::empty(py);
    for (j, fit) in &fits {
        match fit {
            Ok(fit) => list.append(fit_dict(py, &panel, fit, &person, z_value)?)?,
            Err(err) => {
                let d = PyDict::new(py);
                d.set_item("groups", j)?;
                d.set_item("error", err.to_string())?;
                list.append(d)?;
            }
        }
    }
    out.set_item("fits", list)?;
    Ok(out)
}

/// One plain EM iteration from given parameters (internal time scale), for tests.
#[pyfunction]
#[pyo3(signature = (frame, person, time, count, beta, gamma, shares, exposure=None,
    model="zip", zero_order=0))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn trajectory_em_step<'py>(
    py: Python<'py>,
    frame: PyTable,
    person: String,
    time: String,
    count: String,
    beta: Vec<Vec<f64>>,
    gamma: Vec<Vec<f64>>,
    shares: Vec<f64>,
    exposure: Option<String>,
    model: &str,
    zero_order: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let model = count_model(model).py_err()?;
    if beta.len() != shares.len() || gamma.len() != shares.len() || beta.is_empty() {
        return Err(Error::argument(
            "beta",
            "beta, gamma and shares need one entry per group",
        ))
        .py_err();
    }
    if shares.iter().any(|s| !s.is_finite() || *s <= 0.0) {
        return Err(Error::argument("shares", "must be positive")).py_err();
    }
    let total: f64 = shares.iter().sum();
    let order = beta[0].len().saturating_sub(1);
    let params = Parameters {
        groups: beta
            .into_iter()
            .zip(gamma)
            .map(|(beta, gamma)| GroupParameters { beta, gamma })
            .collect(),
        log_share: shares.iter().map(|s| (s / total).ln()).collect(),
    };
    let t = table(frame);
    let columns = PanelColumns {
        person,
        time,
        count,
        exposure,
    };
    let options = TrajectoryOptions {
        model,
        order,
        zero_order,
        ..TrajectoryOptions::default()
    };
    let (panel, step) = run_detached(py, None, move |_| {
        let panel = Panel::from_table(&t, &columns, model)?;
        let step = em_step(&panel, &options, &params)?;
        Ok((panel, step))
    })?;
    let j_n = step.parameters.groups.len();
    let posterior: Vec<Vec<f64>> = panel
        .person_unit
        .iter()
        .map(|&u| step.posterior[u as usize * j_n..(u as usize + 1) * j_n].to_vec())
        .collect();
    let d = PyDict::new(py);
    d.set_item("log_likelihood", step.log_likelihood)?;
    d.set_item("posterior", posterior)?;
    d.set_item("persons", panel.persons.to_arrow(None).len())?;
    let beta: Vec<Vec<f64>> = step
        .parameters
        .groups
        .iter()
        .map(|g| g.beta.clone())
        .collect();
    let gamma: Vec<Vec<f64>> = step
        .parameters
        .groups
        .iter()
        .map(|g| g.gamma.clone())
        .collect();
    let shares: Vec<f64> = step.parameters.log_share.iter().map(|l| l.exp()).collect();
    d.set_item("beta", beta)?;
    d.set_item("gamma", gamma)?;
    d.set_item("shares", shares)?;
    d.set_item("log_likelihood_after", step.log_likelihood_after)?;
    d.set_item("centre", step.centre)?;
    d.set_item("scale", step.scale)?;
    Ok(d)
}

/// Career parameters per person.
#[pyfunction]
#[pyo3(signature = (frame, person, age, offences, sexual=None, period=1.0))]
pub(crate) fn career_parameters_table(
    py: Python<'_>,
    frame: PyTable,
    person: String,
    age: String,
    offences: Vec<String>,
    sexual: Option<String>,
    period: f64,
) -> PyResult<PyTable> {
    let t = table(frame);
    let has_sexual = sexual.is_some();
    let columns = CareerColumns {
        person: person.clone(),
        age,
        offences,
        sexual,
        period,
    };
    let (persons, careers) = run_detached(py, None, move |_| career_parameters(&t, &columns))?;
    let mut out: Vec<(&str, ArrayRef)> = vec![
        (person.as_str(), persons.to_arrow(None)),
        (
            "periods",
            ints(careers.iter().map(|c| c.rows as i64).collect()),
        ),
        (
            "observed_from",
            floats(careers.iter().map(|c| c.observed.0).collect()),
        ),
        (
            "observed_to",
            floats(careers.iter().map(|c| c.observed.1).collect()),
        ),
        (
            "offences",
            ints(careers.iter().map(|c| c.offences as i64).collect()),
        ),
        (
            "active_periods",
            ints(careers.iter().map(|c| c.active_periods as i64).collect()),
        ),
        (
            "onset_age",
            optional_floats(careers.iter().map(|c| c.onset).collect()),
        ),
        (
            "last_offence_age",
            optional_floats(careers.iter().map(|c| c.last).collect()),
        ),
        (
            "career_length",
            optional_floats(careers.iter().map(Career::length).collect()),
        ),
        (
            "frequency",
            optional_floats(careers.iter().map(|c| c.frequency(period)).collect()),
        ),
    ];
    if has_sexual {
        let share = |c: &Career, n: f64| (c.offences > 0.0).then(|| n / c.offences);
        out.push((
            "sexual_offences",
            ints(careers.iter().map(|c| c.sexual as i64).collect()),
        ));
        out.push((
            "other_offences",
            ints(
                careers
                    .iter()
                    .map(|c| (c.offences - c.sexual) as i64)
                    .collect(),
            ),
        ));
        out.push((
            "sexual_share",
            optional_floats(careers.iter().map(|c| share(c, c.sexual)).collect()),
        ));
        out.push((
            "other_share",
            optional_floats(
                careers
                    .iter()
                    .map(|c| share(c, c.offences - c.sexual))
                    .collect(),
            ),
        ));
    }
    output(out)
}

/// Blau's diversity index per person; also the number of types in the data.
#[pyfunction]
#[pyo3(signature = (frame, person, offence_type, count=None))]
pub(crate) fn diversity_table(
    py: Python<'_>,
    frame: PyTable,
    person: String,
    offence_type: String,
    count: Option<String>,
) -> PyResult<(PyTable, usize)> {
    let t = table(frame);
    let columns = OffenceColumns {
        person: person.clone(),
        offence_type,
        time: None,
        count,
    };
    let (persons, rows, k) = run_detached(py, None, move |_| diversity(&t, &columns))?;
    let table = output(vec![
        (person.as_str(), persons.to_arrow(None)),
        (
            "offences",
            ints(rows.iter().map(|r| r.offences as i64).collect()),
        ),
        ("types", ints(rows.iter().map(|r| r.types as i64).collect())),
        (
            "diversity",
            optional_floats(rows.iter().map(|r| r.diversity).collect()),
        ),
        (
            "diversity_normalised",
            optional_floats(rows.iter().map(|r| r.normalised).collect()),
        ),
    ])?;
    Ok((table, k))
}

/// Farrington's forward specialisation coefficients.
#[pyfunction]
#[pyo3(signature = (frame, person, time, offence_type, count=None))]
pub(crate) fn forward_specialisation_tables<'py>(
    py: Python<'py>,
    frame: PyTable,
    person: String,
    time: String,
    offence_type: String,
    count: Option<String>,
) -> PyResult<Bound<'py, PyDict>> {
    let t = table(frame);
    let columns = OffenceColumns {
        person,
        offence_type,
        time: Some(time),
        count,
    };
    let (types, s) = run_detached(py, None, move |_| forward_specialisation(&t, &columns))?;
    let k = s.types.len();
    let by = &s.by_type;
    let per_type = output(vec![
        ("type", types.to_arrow(Some(&s.types))),
        (
            "transitions",
            floats(by.iter().map(|b| b.transitions).collect()),
        ),
        ("repeats", floats(by.iter().map(|b| b.repeats).collect())),
        ("expected", floats(by.iter().map(|b| b.expected).collect())),
        (
            "forward_specialisation",
            optional_floats(by.iter().map(|b| b.coefficient).collect()),
        ),
        (
            "adjusted_residual",
            optional_floats(by.iter().map(|b| b.adjusted_residual).collect()),
        ),
    ])?;
    let from: Vec<u32> = (0..k)
        .flat_map(|a| std::iter::repeat_n(s.types[a], k))
        .collect();
    let to: Vec<u32> = (0..k).flat_map(|_| s.types.iter().copied()).collect();
    let row_sum: Vec<f64> = s.transitions.iter().map(|r| r.iter().sum()).collect();
    let col_sum: Vec<f64> = (0..k)
        .map(|b| s.transitions.iter().map(|r| r[b]).sum())
        .collect();
    let transitions = output(vec![
        ("from", types.to_arrow(Some(&from))),
        ("to", types.to_arrow(Some(&to))),
        (
            "count",
            floats(s.transitions.iter().flatten().copied().collect()),
        ),
        (
            "expected",
            floats(
                (0..k * k)
                    .map(|c| row_sum[c / k] * col_sum[c % k] / s.total)
                    .collect(),
            ),
        ),
    ])?;
    let d = PyDict::new(py);
    d.set_item("table", per_type)?;
    d.set_item("transitions", transitions)?;
    d.set_item("overall", s.overall)?;
    d.set_item("total", s.total)?;
    d.set_item("persons", s.persons)?;
    Ok(d)
}

/// Escalation in seriousness: per-person slopes and the pooled within-person test.
#[pyfunction]
#[pyo3(signature = (frame, person, time, seriousness, over="sequence", level=0.95))]
pub(crate) fn escalation_test<'py>(
    py: Python<'py>,
    frame: PyTable,
    person: String,
    time: String,
    seriousness: String,
    over: &str,
    level: f64,
) -> PyResult<Bound<'py, PyDict>> {
    let over = match over {
        "sequence" => TrendOver::Sequence,
        "time" => TrendOver::Time,
        other => {
            return Err(Error::argument(
                "over",
                format!("expected \"sequence\" or \"time\", got {other:?}"),
            ))
            .py_err()
        }
    };
    let t = table(frame);
    let p = person.clone();
    let (persons, e) = run_detached(py, None, move |_| {
        escalation(&t, &p, &time, &seriousness, over, level)
    })?;
    let rows = &e.persons;
    let per_person = output(vec![
        (person.as_str(), persons.to_arrow(None)),
        (
            "offences",
            ints(rows.iter().map(|r| r.offences as i64).collect()),
        ),
        (
            "mean_seriousness",
            floats(rows.iter().map(|r| r.mean).collect()),
        ),
        (
            "first_seriousness",
            floats(rows.iter().map(|r| r.first).collect()),
        ),
        (
            "last_seriousness",
            floats(rows.iter().map(|r| r.last).collect()),
        ),
        (
            "slope",
            optional_floats(rows.iter().map(|r| r.slope).collect()),
        ),
    ])?;
    let d = PyDict::new(py);
    d.set_item("table", per_person)?;
    d.set_item("estimate", e.estimate)?;
    d.set_item("std_error", e.std_error)?;
    d.set_item("statistic", e.statistic)?;
    d.set_item("df", e.df)?;
    d.set_item("p_value", e.p_value)?;
    d.set_item("ci", e.ci)?;
    d.set_item("clusters", e.clusters)?;
    d.set_item("offences", e.offences)?;
    Ok(d)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(career_parameters_table, m)?)?;
    m.add_function(wrap_pyfunction!(diversity_table, m)?)?;
    m.add_function(wrap_pyfunction!(forward_specialisation_tables, m)?)?;
    m.add_function(wrap_pyfunction!(escalation_test, m)?)?;
    m.add_function(wrap_pyfunction!(trajectories_fit, m)?)?;
    m.add_function(wrap_pyfunction!(trajectory_em_step, m)?)?;
    Ok(())
}
