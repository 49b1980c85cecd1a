//! Bindings of programme evaluation (`aluna_stats::{causal, matching, panel}`), documented in
//! `aluna.evaluate`.
//!
//! Python builds the model frame with its design-matrix layer (model columns named by term,
//! the user's treatment, outcome, weight and grouping columns); these functions read it through
//! the one ingestion layer, compute with the GIL released and return numbers or tables.

use std::sync::Arc;

use aluna_core::table::Table;
use aluna_core::Error;
use aluna_stats::causal::{
    bootstrap_effect, weighting_effect, EffectData, EffectOptions, Estimand, OutcomeModel,
};
use aluna_stats::design::Design;
use aluna_stats::linear::{fit_linear, linear_covariance, LinearCovariance};
use aluna_stats::matching::{nearest_neighbour, Distance, MatchOptions, MatchOrder};
use aluna_stats::panel::{absorbed_parameters, two_way_demean, DemeanOptions};
use aluna_stats::survival::sorted_codes;
use arrow_array::{ArrayRef, Float64Array, Int64Array};
use ndarray::Array2;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3_arrow::PyTable;

use crate::convert::{output, table};
use crate::errors::IntoPy;
use crate::run::run_detached;

fn matrix_rows(m: &Array2<f64>) -> Vec<Vec<f64>> {
    m.rows().into_iter().map(|r| r.to_vec()).collect()
}

fn codes_of(t: &Table, column: &str, expected: &'static str) -> aluna_core::Result<Vec<u32>> {
    let (levels, codes) = t.column(column)?.categories(expected)?;
    Ok(sorted_codes(&levels, codes).0)
}

fn optional_weights(t: &Table, column: Option<&str>) -> aluna_core::Result<Option<Vec<f64>>> {
    match column {
        Some(c) => Ok(Some(
            t.column(c)?
                .finite_f64(0.0, "a finite, non-negative weight")?,
        )),
        None => Ok(None),
    }
}

fn estimand_of(estimand: &str) -> PyResult<Estimand> {
    match estimand {
        "ATE" => Ok(Estimand::Ate),
        "ATT" => Ok(Estimand::Att),
        other => Err(Error::argument(
            "estimand",
            format!("expected \"ATE\" or \"ATT\", got {other:?}"),
        ))
        .py_err(),
    }
}

/// IPW or AIPW effect with its influence function, and optional bootstrap replicates.
///
/// Returns (dict of numbers, table of per-row `propensity`, `weight`, `influence`).
#[pyfunction]
#[pyo3(signature = (frame, covariates, treatment, outcome, weights=None,
    outcome_covariates=None, outcome_model=None, estimand="ATE", normalised=true, trim=None,
    bootstrap=0, seed=0, max_iter=100, threads=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn effect_weighting<'py>(
    py: Python<'py>,
    frame: PyTable,
    covariates: Vec<String>,
    treatment: String,
    outcome: String,
    weights: Option<String>,
    outcome_covariates: Option<Vec<String>>,
    outcome_model: Option<String>,
    estimand: &str,
    normalised: bool,
    trim: Option<(f64, f64)>,
    bootstrap: usize,
    seed: u64,
    max_iter: usize,
    threads: Option<usize>,
) -> PyResult<(Bound<'py, PyDict>, PyTable)> {
    let estimand = estimand_of(estimand)?;
    let model = match outcome_model.as_deref() {
        None => None,
        Some("linear") => Some(OutcomeModel::Linear),
        Some("logistic") => Some(OutcomeModel::Logistic),
        Some(other) => {
            return Err(Error::argument(
                "outcome_model",
                format!("expected \"linear\" or \"logistic\", got {other:?}"),
            ))
            .py_err()
        }
    };
    let t = table(frame);
    let (fit, replicates) = run_detached(py, threads, move |cancel| {
        let ps = Design::from_table(&t, &covariates, true)?;
        let out_design = match &outcome_covariates {
            Some(c) => Some(Design::from_table(&t, c, true)?),
            None => None,
        };
        let tr = t.column(&treatment)?.f64_values("a treatment of 0 or 1")?;
        let y = t.column(&outcome)?.f64_values("an outcome")?;
        let w = optional_weights(&t, weights.as_deref())?;
        let data = EffectData {
            propensity: &ps,
            treatment: &tr,
            outcome: &y,
            weights: w.as_deref(),
            outcome_model: out_design.as_ref().zip(model),
        };
        let options = EffectOptions {
            estimand,
            normalised,
            trim,
            max_iterations: max_iter,
        };
        let fit = weighting_effect(&data, &options)?;
        let replicates = if bootstrap > 0 {
            bootstrap_effect(&data, &options, bootstrap, seed, cancel)?
        } else {
            Vec::new()
        };
        Ok((fit, replicates))
    })?;
    let d = PyDict::new(py);
    d.set_item("estimate", fit.estimate)?;
    d.set_item("std_error", fit.std_error)?;
    d.set_item("mean_treated", fit.mean_treated)?;
    d.set_item("mean_comparison", fit.mean_comparison)?;
    d.set_item("n_treated", fit.n_treated)?;
    d.set_item("n_comparison", fit.n_comparison)?;
    d.set_item("trimmed", fit.trimmed)?;
    d.set_item("propensity_coef", fit.propensity_fit.coef.clone())?;
    d.set_item(
        "propensity_covariance",
        fit.propensity_fit.covariance.as_ref().map(matrix_rows),
    )?;
    d.set_item("bootstrap", replicates)?;
    let rows = output(vec![
        (
            "propensity",
            Arc::new(Float64Array::from(fit.propensity)) as ArrayRef,
        ),
        ("weight", Arc::new(Float64Array::from(fit.weights))),
        ("influence", Arc::new(Float64Array::from(fit.influence))),
    ])?;
    Ok((d, rows))
}

/// Nearest-neighbour matching. Returns (per-row table: `weight`, `match_id` (nullable);
/// pairs table: `treated_row`, `control_row`, `distance`, `round`).
#[pyfunction]
#[pyo3(signature = (frame, treatment, score=None, covariates=None, exact=None, ratio=1,
    caliper=None, replace=false, order="largest", seed=0, threads=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn match_nearest(
    py: Python<'_>,
    frame: PyTable,
    treatment: String,
    score: Option<String>,
    covariates: Option<Vec<String>>,
    exact: Option<String>,
    ratio: usize,
    caliper: Option<f64>,
    replace: bool,
    order: &str,
    seed: u64,
    threads: Option<usize>,
) -> PyResult<(PyTable, PyTable)> {
    let order = match order {
        "largest" => MatchOrder::Largest,
        "smallest" => MatchOrder::Smallest,
        "data" => MatchOrder::Data,
        "random" => MatchOrder::Random(seed),
        other => {
            return Err(Error::argument(
                "order",
                format!(
                    "expected \"largest\", \"smallest\", \"data\" or \"random\", got {other:?}"
                ),
            ))
            .py_err()
        }
    };
    let t = table(frame);
    let matches = run_detached(py, threads, move |cancel| {
        let tr: Vec<bool> = t
            .column(&treatment)?
            .f64_values("a treatment of 0 or 1")?
            .into_iter()
            .map(|v| v == 1.0)
            .collect();
        let strata = match &exact {
            Some(c) => Some(codes_of(&t, c, "an exact-matching stratum")?),
            None => None,
        };
        let options = MatchOptions {
            ratio,
            caliper,
            replace,
            order,
        };
        match (&score, &covariates) {
            (Some(s), _) => {
                let values = t.column(s)?.f64_values("a propensity score")?;
                nearest_neighbour(
                    &tr,
                    Distance::Score(&values),
                    strata.as_deref(),
                    &options,
                    cancel,
                )
            }
            (None, Some(c)) => {
                let design = Design::from_table(&t, c, false)?;
                nearest_neighbour(
                    &tr,
                    Distance::Mahalanobis(&design),
                    strata.as_deref(),
                    &options,
                    cancel,
                )
            }
            (None, None) => Err(Error::argument(
                "propensity",
                "either a score column or covariates are needed",
            )),
        }
    })?;
    let subclass: Vec<Option<i64>> = match &matches.subclass {
        Some(s) => s.iter().map(|v| v.map(|k| k as i64)).collect(),
        None => vec![None; matches.weights.len()],
    };
    let rows = output(vec![
        (
            "weight",
            Arc::new(Float64Array::from(matches.weights.clone())) as ArrayRef,
        ),
        ("match_id", Arc::new(Int64Array::from(subclass))),
    ])?;
    let (mut tr, mut co, mut dist, mut round) = (vec![], vec![], vec![], vec![]);
    for ((t, cs), ds) in matches
        .treated
        .iter()
        .zip(&matches.controls)
        .zip(&matches.distances)
    {
        for (r, (c, d)) in cs.iter().zip(ds).enumerate() {
            tr.push(*t as i64);
            co.push(*c as i64);
            dist.push(*d);
            round.push(r as i64 + 1);
        }
    }
    let pairs = output(vec![
        ("treated_row", Arc::new(Int64Array::from(tr)) as ArrayRef),
        ("control_row", Arc::new(Int64Array::from(co))),
        ("distance", Arc::new(Float64Array::from(dist))),
        ("round", Arc::new(Int64Array::from(round))),
    ])?;
    Ok((rows, pairs))
}

/// Two-way fixed-effects least squares of `outcome` on `regressors`, unit and period effects
/// swept out; cluster-robust (or HC1) and classical covariances.
#[pyfunction]
#[pyo3(signature = (frame, regressors, outcome, unit, time, weights=None, cluster=None,
    threads=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn panel_twfe<'py>(
    py: Python<'py>,
    frame: PyTable,
    regressors: Vec<String>,
    outcome: String,
    unit: String,
    time: String,
    weights: Option<String>,
    cluster: Option<String>,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    let t = table(frame);
    let result = run_detached(py, threads, move |_| {
        let units = codes_of(&t, &unit, "a unit id")?;
        let times = codes_of(&t, &time, "a period")?;
        let w = optional_weights(&t, weights.as_deref())?;
        let mut columns = Vec::with_capacity(regressors.len() + 1);
        columns.push(
            t.column(&outcome)?
                .finite_f64(f64::NEG_INFINITY, "a finite outcome")?,
        );
        for r in &regressors {
            columns.push(
                t.column(r)?
                    .finite_f64(f64::NEG_INFINITY, "a finite number")?,
            );
        }
        let iterations = two_way_demean(
            &mut columns,
            &units,
            &times,
            w.as_deref(),
            &DemeanOptions::default(),
        )?;
        let n = units.len();
        let p = regressors.len();
        let y = columns.remove(0);
        let x = Array2::from_shape_fn((n, p), |(i, j)| columns[j][i]);
        let design = Design::new(x, regressors.clone())?;
        let fit = fit_linear(&design, &y, w.as_deref(), "two-way fixed effects")?;
        let absorbed = absorbed_parameters(&units, &times);
        let robust = match &cluster {
            Some(c) => {
                let codes = codes_of(&t, c, "a cluster id")?;
                linear_covariance(
                    &design,
                    w.as_deref(),
                    &fit,
                    LinearCovariance::Cluster(&codes),
                    absorbed,
                )?
            }
            None => {
                linear_covariance(&design, w.as_deref(), &fit, LinearCovariance::Hc1, absorbed)?
            }
        };
        let classical = linear_covariance(
            &design,
            w.as_deref(),
            &fit,
            LinearCovariance::Classical,
            absorbed,
        )?;
        let n_units = units.iter().map(|&u| u as usize + 1).max().unwrap_or(0);
        let n_times = times.iter().map(|&u| u as usize + 1).max().unwrap_or(0);
        Ok((
            fit, robust, classical, iterations, absorbed, n_units, n_times,
        ))
    })?;
    let (fit, robust, classical, iterations, absorbed, n_units, n_times) = result;
    let d = PyDict::new(py);
    d.set_item("coef", fit.coef)?;
    d.set_item("covariance", matrix_rows(&robust))?;
    d.set_item("classical_covariance", matrix_rows(&classical))?;
    d.set_item("residual_sum_of_squares", fit.residual_sum_of_squares)?;
    d.set_item("rows", fit.rows_used)?;
    d.set_item("iterations", iterations)?;
    d.set_item("absorbed", absorbed)?;
    d.set_item("units", n_units)?;
    d.set_item("periods", n_times)?;
    Ok(d)
}

/// Add this domain's functions to `aluna._native`.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(effect_weighting, m)?)?;
    m.add_function(wrap_pyfunction!(match_nearest, m)?)?;
    m.add_function(wrap_pyfunction!(panel_twfe, m)?)?;
    Ok(())
}
