//! Bindings of `aluna_stats::metrics` and `aluna_stats::fairness`: model evaluation and fairness
//! audits (documented in `aluna.risk`).
//!
//! Python passes the user's table (or a frame it built) and column names; columns are read
//! through the one ingestion layer, so a NaN score or an outcome that is not 0/1 is an error
//! naming the column and row.

use std::sync::Arc;

use aluna_core::table::Table;
use aluna_core::{Error, Result};
use aluna_stats::fairness::{bootstrap_group_counts, group_counts, AuditData, GroupCounts};
use aluna_stats::metrics::{
    bootstrap_auc, bootstrap_concordance, calibration_intercept, censoring_survival, concordance,
    lowess, resample, roc_auc, roc_curve, rows_by_code, time_dependent_auc, time_dependent_brier,
    uno_concordance, BootstrapOptions, Concordance, StepFunction,
};
use arrow_array::{ArrayRef, Float64Array};
use pyo3::prelude::*;
use pyo3_arrow::PyTable;

use crate::convert::{output, table};
use crate::run::run_detached;

fn finite(t: &Table, column: &str, expected: &'static str) -> Result<Vec<f64>> {
    t.column(column)?.finite_f64(f64::NEG_INFINITY, expected)
}

fn binary(t: &Table, column: &str, expected: &'static str) -> Result<Vec<bool>> {
    let values = t.column(column)?.f64_values(expected)?;
    values
        .iter()
        .enumerate()
        .map(|(row, &v)| {
            if v == 0.0 {
                Ok(false)
            } else if v == 1.0 {
                Ok(true)
            } else {
                Err(Error::bad_value(column, row, expected, v))
            }
        })
        .collect()
}

fn codes(t: &Table, column: &str) -> Result<Vec<u32>> {
    let values = t.column(column)?.f64_values("a group code")?;
    values
        .iter()
        .enumerate()
        .map(|(row, &v)| {
            if v >= 0.0 && v.fract() == 0.0 && v < f64::from(u32::MAX) {
                Ok(v as u32)
            } else {
                Err(Error::bad_value(column, row, "a group code", v))
            }
        })
        .collect()
}

fn survival(t: &Table, duration: &str, event: &str) -> Result<(Vec<f64>, Vec<bool>)> {
    let time = t
        .column(duration)?
        .finite_f64(0.0, "a finite, non-negative duration")?;
    let event = binary(t, event, "an event indicator of 0 or 1")?;
    Ok((time, event))
}

fn censoring_of(
    t: &Table,
    censoring: Option<&Table>,
    duration: &str,
    event: &str,
) -> Result<StepFunction> {
    let (time, status) = survival(censoring.unwrap_or(t), duration, event)?;
    Ok(censoring_survival(&time, &status))
}

fn concordance_tuple(c: Concordance) -> (f64, f64, f64, f64, f64) {
    (
        c.estimate,
        c.concordant,
        c.discordant,
        c.tied_risk,
        c.comparable,
    )
}

/// ROC AUC and DeLong's standard error: (estimate, std_error, positives, negatives).
#[pyfunction]
pub(crate) fn roc_auc_delong(
    py: Python<'_>,
    frame: PyTable,
    outcome: String,
    score: String,
) -> PyResult<(f64, Option<f64>, usize, usize)> {
    let t = table(frame);
    let auc = run_detached(py, Some(1), move |_| {
        let y = binary(&t, &outcome, "an outcome of 0 or 1")?;
        let s = finite(&t, &score, "a finite score")?;
        roc_auc(&y, &s)
    })?;
    Ok((auc.estimate, auc.std_error, auc.positives, auc.negatives))
}

/// The ROC curve as a table: threshold, false_positive_rate, true_positive_rate.
#[pyfunction]
#[pyo3(signature = (frame, outcome, score, weights=None))]
pub(crate) fn roc_curve_table(
    py: Python<'_>,
    frame: PyTable,
    outcome: String,
    score: String,
    weights: Option<String>,
) -> PyResult<PyTable> {
    let t = table(frame);
    let roc = run_detached(py, Some(1), move |_| {
        let y = binary(&t, &outcome, "an outcome of 0 or 1")?;
        let s = finite(&t, &score, "a finite score")?;
        let w = match &weights {
            Some(c) => Some(
                t.column(c)?
                    .finite_f64(0.0, "a finite, non-negative weight")?,
            ),
            None => None,
        };
        roc_curve(&y, &s, w.as_deref())
    })?;
    output(vec![
        (
            "threshold",
            Arc::new(Float64Array::from(roc.thresholds)) as ArrayRef,
        ),
        (
            "false_positive_rate",
            Arc::new(Float64Array::from(roc.false_positive_rate)) as ArrayRef,
        ),
        (
            "true_positive_rate",
            Arc::new(Float64Array::from(roc.true_positive_rate)) as ArrayRef,
        ),
    ])
}

/// Bootstrap replicates of the ROC AUC.
#[pyfunction]
#[pyo3(signature = (frame, outcome, score, replicates, seed, stratified=true, threads=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn roc_auc_bootstrap(
    py: Python<'_>,
    frame: PyTable,
    outcome: String,
    score: String,
    replicates: usize,
    seed: u64,
    stratified: bool,
    threads: Option<usize>,
) -> PyResult<Vec<f64>> {
    let t = table(frame);
    run_detached(py, threads, move |cancel| {
        let y = binary(&t, &outcome, "an outcome of 0 or 1")?;
        let s = finite(&t, &score, "a finite score")?;
        bootstrap_auc(
            &y,
            &s,
            stratified,
            &BootstrapOptions { replicates, seed },
            cancel,
        )
    })
}

/// Harrell's or Uno's concordance: (estimate, concordant, discordant, tied_risk, comparable).
#[pyfunction]
#[pyo3(signature = (frame, duration, event, score, strata=None, method="harrell", tau=None,
    censoring=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn concordance_counts(
    py: Python<'_>,
    frame: PyTable,
    duration: String,
    event: String,
    score: String,
    strata: Option<String>,
    method: &str,
    tau: Option<f64>,
    censoring: Option<PyTable>,
) -> PyResult<(f64, f64, f64, f64, f64)> {
    let t = table(frame);
    let censoring = censoring.map(table);
    let uno = match method {
        "harrell" => false,
        "uno" => true,
        other => {
            return Err(crate::errors::to_py_err(Error::argument(
                "method",
                format!("expected \"harrell\" or \"uno\", got {other:?}"),
            )))
        }
    };
    run_detached(py, Some(1), move |_| {
        let (time, status) = survival(&t, &duration, &event)?;
        let risk = finite(&t, &score, "a finite risk score")?;
        let c = if uno {
            let g = censoring_of(&t, censoring.as_ref(), &duration, &event)?;
            uno_concordance(&time, &status, &risk, &g, tau)?
        } else {
            let codes = strata.as_deref().map(|s| codes(&t, s)).transpose()?;
            concordance(&time, &status, &risk, codes.as_deref())?
        };
        Ok(concordance_tuple(c))
    })
}

/// Bootstrap replicates of Harrell's concordance.
#[pyfunction]
#[pyo3(signature = (frame, duration, event, score, replicates, seed, strata=None, threads=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn concordance_bootstrap(
    py: Python<'_>,
    frame: PyTable,
    duration: String,
    event: String,
    score: String,
    replicates: usize,
    seed: u64,
    strata: Option<String>,
    threads: Option<usize>,
) -> PyResult<Vec<f64>> {
    let t = table(frame);
    run_detached(py, threads, move |cancel| {
        let (time, status) = survival(&t, &duration, &event)?;
        let risk = finite(&t, &score, "a finite risk score")?;
        let codes = strata.as_deref().map(|s| codes(&t, s)).transpose()?;
        bootstrap_concordance(
            &time,
            &status,
            &risk,
            codes.as_deref(),
            &BootstrapOptions { replicates, seed },
            cancel,
        )
    })
}

/// Cumulative/dynamic AUC at each of `times`.
#[pyfunction]
#[pyo3(signature = (frame, duration, event, score, times, censoring=None))]
pub(crate) fn time_dependent_auc_values(
    py: Python<'_>,
    frame: PyTable,
    duration: String,
    event: String,
    score: String,
    times: Vec<f64>,
    censoring: Option<PyTable>,
) -> PyResult<Vec<f64>> {
    let t = table(frame);
    let censoring = censoring.map(table);
    run_detached(py, Some(1), move |_| {
        let (time, status) = survival(&t, &duration, &event)?;
        let risk = finite(&t, &score, "a finite risk score")?;
        let g = censoring_of(&t, censoring.as_ref(), &duration, &event)?;
        time_dependent_auc(&time, &status, &risk, &times, &g)
    })
}

/// IPCW Brier scores at each of `times`; `survival` names one column of predicted survival per
/// time.
#[pyfunction]
#[pyo3(signature = (frame, duration, event, survival, times, censoring=None))]
pub(crate) fn time_dependent_brier_values(
    py: Python<'_>,
    frame: PyTable,
    duration: String,
    event: String,
    survival: Vec<String>,
    times: Vec<f64>,
    censoring: Option<PyTable>,
) -> PyResult<Vec<f64>> {
    let t = table(frame);
    let censoring = censoring.map(table);
    run_detached(py, Some(1), move |_| {
        let (time, status) = self::survival(&t, &duration, &event)?;
        let m = times.len();
        if survival.len() != m {
            return Err(Error::argument(
                "survival",
                format!("{} survival columns for {m} times", survival.len()),
            ));
        }
        let mut matrix = vec![0.0; time.len() * m];
        for (k, column) in survival.iter().enumerate() {
            let values = finite(&t, column, "a predicted survival probability")?;
            for (i, v) in values.into_iter().enumerate() {
                matrix[i * m + k] = v;
            }
        }
        let g = censoring_of(&t, censoring.as_ref(), &duration, &event)?;
        time_dependent_brier(&time, &status, &matrix, &times, &g)
    })
}

/// Calibration-in-the-large: (intercept, std_error) of `logit P(y) = a + offset`.
#[pyfunction]
pub(crate) fn calibration_in_the_large(
    py: Python<'_>,
    frame: PyTable,
    outcome: String,
    offset: String,
) -> PyResult<(f64, f64)> {
    let t = table(frame);
    run_detached(py, Some(1), move |_| {
        let y = binary(&t, &outcome, "an outcome of 0 or 1")?;
        let y: Vec<f64> = y.into_iter().map(f64::from).collect();
        let o = finite(&t, &offset, "a finite linear predictor")?;
        calibration_intercept(&y, &o)
    })
}

/// Lowess of `y` on `x` evaluated at `at` (no robustness iterations).
#[pyfunction]
pub(crate) fn lowess_at(
    py: Python<'_>,
    frame: PyTable,
    x: String,
    y: String,
    frac: f64,
    at: Vec<f64>,
) -> PyResult<Vec<Option<f64>>> {
    let t = table(frame);
    run_detached(py, Some(1), move |_| {
        if !(frac > 0.0 && frac <= 1.0) {
            return Err(Error::argument(
                "frac",
                format!("must be in (0, 1], got {frac}"),
            ));
        }
        let xs = finite(&t, &x, "a finite number")?;
        let ys = finite(&t, &y, "a finite number")?;
        Ok(lowess(&xs, &ys, frac, &at))
    })
}

/// The rows of bootstrap replicate `replicate` (with `strata`: resampled within each code).
#[pyfunction]
#[pyo3(signature = (n, seed, replicate, strata=None))]
pub(crate) fn bootstrap_rows(
    n: usize,
    seed: u64,
    replicate: usize,
    strata: Option<Vec<u32>>,
) -> PyResult<Vec<u64>> {
    if let Some(s) = &strata {
        if s.len() != n {
            return Err(crate::errors::to_py_err(Error::argument(
                "strata",
                format!("{} codes for {n} rows", s.len()),
            )));
        }
    }
    let groups = strata.as_deref().map(rows_by_code);
    let mut rows = Vec::with_capacity(n);
    resample(n, groups.as_deref(), seed, replicate, |i| {
        rows.push(i as u64)
    });
    Ok(rows)
}

type Counts = Vec<[Option<f64>; aluna_stats::fairness::COUNTS]>;

fn as_rows(counts: &[GroupCounts]) -> Counts {
    counts.iter().map(GroupCounts::to_vec).collect()
}

/// Per-group confusion counts, and their within-group bootstrap replicates.
#[pyfunction]
#[pyo3(signature = (frame, outcome, predicted, group, score=None, replicates=0, seed=0,
    threads=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn fairness_counts(
    py: Python<'_>,
    frame: PyTable,
    outcome: String,
    predicted: String,
    group: String,
    score: Option<String>,
    replicates: usize,
    seed: u64,
    threads: Option<usize>,
) -> PyResult<(Counts, Vec<Counts>)> {
    let t = table(frame);
    run_detached(py, threads, move |cancel| {
        let y = binary(&t, &outcome, "an outcome of 0 or 1")?;
        let p = binary(&t, &predicted, "a prediction of 0 or 1")?;
        let g = codes(&t, &group)?;
        let s = score
            .as_deref()
            .map(|c| finite(&t, c, "a finite score"))
            .transpose()?;
        let data = AuditData {
            outcome: &y,
            predicted: &p,
            score: s.as_deref(),
            group: &g,
        };
        let point = as_rows(&group_counts(&data)?);
        let reps = if replicates > 0 {
            bootstrap_group_counts(&data, &BootstrapOptions { replicates, seed }, cancel)?
                .iter()
                .map(|r| as_rows(r))
                .collect()
        } else {
            Vec::new()
        };
        Ok((point, reps))
    })
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(roc_auc_delong, m)?)?;
    m.add_function(wrap_pyfunction!(roc_curve_table, m)?)?;
    m.add_function(wrap_pyfunction!(roc_auc_bootstrap, m)?)?;
    m.add_function(wrap_pyfunction!(concordance_counts, m)?)?;
    m.add_function(wrap_pyfunction!(concordance_bootstrap, m)?)?;
    m.add_function(wrap_pyfunction!(time_dependent_auc_values, m)?)?;
    m.add_function(wrap_pyfunction!(time_dependent_brier_values, m)?)?;
    m.add_function(wrap_pyfunction!(calibration_in_the_large, m)?)?;
    m.add_function(wrap_pyfunction!(lowess_at, m)?)?;
    m.add_function(wrap_pyfunction!(bootstrap_rows, m)?)?;
    m.add_function(wrap_pyfunction!(fairness_counts, m)?)?;
    Ok(())
}
