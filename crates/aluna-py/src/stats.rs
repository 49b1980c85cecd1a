//! Bindings of `aluna_stats`: regression and survival analysis (documented in `aluna.risk`).
//!
//! Python builds the model frame (design columns named by term, plus the user's outcome or
//! survival columns) with its design-matrix layer; these functions read it through the one
//! ingestion layer, fit in Rust with the GIL released, and return plain numbers or tables.

use std::sync::{Arc, OnceLock};

use aluna_core::table::Table;
use aluna_core::Error;
use aluna_stats::columns::Columns;
use aluna_stats::competing::{
    cumulative_incidence, fine_gray_robust_covariance, fit_fine_gray, gray_test_stratified,
    FineGrayOptions,
};
use aluna_stats::cox::{
    fit_cox_columns, predict_survival, proportional_hazards_test, CoxFit, CoxOptions, Fitted, Ties,
};
use aluna_stats::design::Design;
use aluna_stats::logistic::{
    fit_logistic_columns, logistic_terms, predict_proba, sandwich_covariance, LogisticOptions,
    Penalty, Sandwich,
};
use aluna_stats::survival::{
    kaplan_meier, kaplan_meier_in_place, logrank, mean_cumulative_function, nelson_aalen,
    nelson_aalen_in_place, sorted_codes, Curve, CurveOptions, EventCodes, SurvivalColumns,
    SurvivalData,
};
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

fn codes_of(t: &Table, column: &str) -> aluna_core::Result<Vec<u32>> {
    let (levels, codes) = t.column(column)?.categories("a cluster or id")?;
    Ok(sorted_codes(&levels, codes).0)
}

fn optional_f64(t: &Table, column: Option<&str>) -> aluna_core::Result<Option<Vec<f64>>> {
    match column {
        Some(c) => Ok(Some(
            t.column(c)?
                .finite_f64(0.0, "a finite, non-negative weight")?,
        )),
        None => Ok(None),
    }
}

/// Fit a logistic regression; returns a dict of plain numbers.
#[pyfunction]
#[pyo3(signature = (frame, covariates, outcome, weights=None, cluster=None, intercept=true,
    penalty="none", alpha=0.0, robust=false, max_iter=100, threads=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn logistic_fit<'py>(
    py: Python<'py>,
    frame: PyTable,
    covariates: Vec<String>,
    outcome: String,
    weights: Option<String>,
    cluster: Option<String>,
    intercept: bool,
    penalty: &str,
    alpha: f64,
    robust: bool,
    max_iter: usize,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    let penalty = match penalty {
        "none" => Penalty::None,
        "l2" => Penalty::L2(alpha),
        "l1" => Penalty::L1(alpha),
        "firth" => Penalty::Firth,
        other => {
            return Err(Error::argument(
                "penalty",
                format!("expected None, \"l2\", \"l1\" or \"firth\", got {other:?}"),
            ))
            .py_err()
        }
    };
    let t = table(frame);
    let (fit, robust_cov) = run_detached(py, threads, move |_| {
        let design = Columns::from_table(&t, &covariates, intercept)?;
        let y = t.column(&outcome)?.f64_values("an outcome of 0 or 1")?;
        let w = optional_f64(&t, weights.as_deref())?;
        let options = LogisticOptions {
            penalty,
            intercept,
            max_iterations: max_iter,
            ..Default::default()
        };
        let fit = fit_logistic_columns(&design, &y, w.as_deref(), &options)?;
        let robust_cov = match (&cluster, robust) {
            (Some(c), _) => {
                let codes = codes_of(&t, c)?;
                Some(sandwich_covariance(
                    &design,
                    &y,
                    w.as_deref(),
                    &fit,
                    Sandwich::Cluster(&codes),
                )?)
            }
            (None, true) => Some(sandwich_covariance(
                &design,
                &y,
                w.as_deref(),
                &fit,
                Sandwich::Robust,
            )?),
            (None, false) => None,
        };
        Ok((fit, robust_cov))
    })?;
    let d = PyDict::new(py);
    d.set_item("coef", fit.coef)?;
    d.set_item("covariance", fit.covariance.as_ref().map(matrix_rows))?;
    d.set_item("robust_covariance", robust_cov.as_ref().map(matrix_rows))?;
    d.set_item("log_likelihood", fit.log_likelihood)?;
    d.set_item("penalised_log_likelihood", fit.penalised_log_likelihood)?;
    d.set_item("null_log_likelihood", fit.null_log_likelihood)?;
    d.set_item("iterations", fit.iterations)?;
    d.set_item("converged", fit.converged)?;
    d.set_item("separated", fit.separated)?;
    d.set_item("weight_total", fit.weight_total)?;
    Ok(d)
}

/// The log-likelihood, score and information of a block of rows at `coef` (for fits whose
/// rows are spread over machines: the blocks' terms add up); a dict of plain numbers.
#[pyfunction]
#[pyo3(signature = (frame, covariates, outcome, coef, weights=None, intercept=true, meat=false, threads=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn logistic_terms_of<'py>(
    py: Python<'py>,
    frame: PyTable,
    covariates: Vec<String>,
    outcome: String,
    coef: Vec<f64>,
    weights: Option<String>,
    intercept: bool,
    meat: bool,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    let t = table(frame);
    let terms = run_detached(py, threads, move |_| {
        let design = Columns::from_table(&t, &covariates, intercept)?;
        let y = t.column(&outcome)?.f64_values("an outcome of 0 or 1")?;
        let w = optional_f64(&t, weights.as_deref())?;
        logistic_terms(&design, &y, w.as_deref(), &coef, meat)
    })?;
    let d = PyDict::new(py);
    d.set_item("log_likelihood", terms.log_likelihood)?;
    d.set_item("score", terms.score)?;
    d.set_item("information", matrix_rows(&terms.information))?;
    d.set_item("meat", terms.meat.as_ref().map(matrix_rows))?;
    d.set_item("extreme", terms.extreme)?;
    d.set_item("weight_total", terms.weight_total)?;
    d.set_item("weighted_events", terms.weighted_events)?;
    Ok(d)
}

/// Fitted probabilities for the rows of a model frame.
#[pyfunction]
#[pyo3(signature = (frame, covariates, coef, intercept=true, threads=None))]
pub(crate) fn logistic_predict(
    py: Python<'_>,
    frame: PyTable,
    covariates: Vec<String>,
    coef: Vec<f64>,
    intercept: bool,
    threads: Option<usize>,
) -> PyResult<PyTable> {
    let t = table(frame);
    let p = run_detached(py, threads, move |_| {
        let design = Columns::from_table(&t, &covariates, intercept)?;
        predict_proba(&design, &coef)
    })?;
    output(vec![(
        "probability",
        Arc::new(Float64Array::from(p)) as ArrayRef,
    )])
}

fn survival_columns(
    duration: String,
    event: String,
    entry: Option<String>,
    weights: Option<String>,
    strata: Option<String>,
    row_number: Option<String>,
) -> SurvivalColumns {
    SurvivalColumns {
        duration,
        event,
        entry,
        weights,
        strata,
        id: None,
        row_number,
    }
}

/// A fitted Cox model held in Rust, for post-fit computations.
#[pyclass(name = "CoxModel", module = "aluna._native", frozen)]
pub struct PyCoxModel {
    /// The covariates, read from `table` when a post-fit computation first needs them.
    design: OnceLock<Design>,
    table: Table,
    covariates: Vec<String>,
    data: SurvivalData,
    fit: CoxFit,
    clusters: Option<Vec<u32>>,
}

#[pymethods]
impl PyCoxModel {
    /// Fit a Cox model on a model frame.
    #[staticmethod]
    #[pyo3(signature = (frame, covariates, duration, event, entry=None, weights=None,
        strata=None, cluster=None, row_number=None, ties="efron", penalizer=0.0, max_iter=50,
        threads=None, cause=None))]
    #[allow(clippy::too_many_arguments)]
    fn fit(
        py: Python<'_>,
        frame: PyTable,
        covariates: Vec<String>,
        duration: String,
        event: String,
        entry: Option<String>,
        weights: Option<String>,
        strata: Option<String>,
        cluster: Option<String>,
        row_number: Option<String>,
        ties: &str,
        penalizer: f64,
        max_iter: usize,
        threads: Option<usize>,
        cause: Option<u32>,
    ) -> PyResult<Self> {
        let ties = match ties {
            "efron" => Ties::Efron,
            "breslow" => Ties::Breslow,
            other => {
                return Err(Error::argument(
                    "ties",
                    format!("expected \"efron\" or \"breslow\", got {other:?}"),
                ))
                .py_err()
            }
        };
        let t = table(frame);
        run_detached(py, threads, move |_| {
            let columns = survival_columns(duration, event, entry, weights, strata, row_number);
            let data = match cause {
                None => SurvivalData::from_table(&t, &columns, EventCodes::Binary)?,
                Some(c) => {
                    // Cause-specific hazards: events of the cause, others censored.
                    let mut data = SurvivalData::from_table(&t, &columns, EventCodes::Causes)?;
                    aluna_stats::competing::require_cause(&data, c)?;
                    data.event.iter_mut().for_each(|e| *e = u32::from(*e == c));
                    data
                }
            };
            let options = CoxOptions {
                ties,
                penalizer,
                max_iterations: max_iter,
                ..Default::default()
            };
            let fit = fit_cox_columns(
                &Columns::from_table(&t, &covariates, false)?,
                &data,
                &options,
            )?;
            let clusters = match &cluster {
                Some(c) => Some(codes_of(&t, c)?),
                None => None,
            };
            Ok(Self {
                design: OnceLock::new(),
                table: t,
                covariates,
                data,
                fit,
                clusters,
            })
        })
    }

    /// The fit's numbers as a dict.
    #[pyo3(signature = (robust=false))]
    fn results<'py>(&self, py: Python<'py>, robust: bool) -> PyResult<Bound<'py, PyDict>> {
        let robust_cov = if robust || self.clusters.is_some() {
            let fitted = Fitted {
                design: self.design()?,
                data: &self.data,
                fit: &self.fit,
            };
            Some(
                py.detach(|| fitted.robust_covariance(self.clusters.as_deref()))
                    .py_err()?,
            )
        } else {
            None
        };
        let wald_cov = robust_cov.as_ref().unwrap_or(&self.fit.covariance);
        let wald = self.fit.wald_statistic(wald_cov);
        let d = PyDict::new(py);
        d.set_item("coef", self.fit.coef.clone())?;
        d.set_item("covariance", matrix_rows(&self.fit.covariance))?;
        d.set_item("robust_covariance", robust_cov.as_ref().map(matrix_rows))?;
        d.set_item("log_likelihood", self.fit.log_likelihood)?;
        d.set_item("null_log_likelihood", self.fit.null_log_likelihood)?;
        d.set_item("likelihood_ratio", self.fit.likelihood_ratio())?;
        d.set_item("wald", wald)?;
        d.set_item("score", self.fit.score_statistic)?;
        d.set_item("iterations", self.fit.iterations)?;
        d.set_item("converged", self.fit.converged)?;
        d.set_item("diverging", self.fit.diverging.clone())?;
        d.set_item("means", self.fit.means.clone())?;
        d.set_item("events", self.fit.events)?;
        d.set_item("rows", self.data.len())?;
        d.set_item("strata_labels", self.data.strata_labels.clone())?;
        Ok(d)
    }

    /// Harrell's concordance of the fitted risk score (computed on demand: an `O(n log n)`
    /// pass that a fit does not need).
    fn concordance(&self, py: Python<'_>) -> PyResult<f64> {
        let fitted = Fitted {
            design: self.design()?,
            data: &self.data,
            fit: &self.fit,
        };
        Ok(py.detach(|| fitted.concordance()))
    }

    /// The baseline cumulative hazard per stratum: a table (stratum code, time, hazard).
    fn baseline(&self) -> PyResult<PyTable> {
        let fitted = Fitted {
            design: self.design()?,
            data: &self.data,
            fit: &self.fit,
        };
        let base = fitted.baseline_cumulative_hazard();
        let (mut s, mut t, mut h) = (vec![], vec![], vec![]);
        for (k, (times, haz)) in base.iter().enumerate() {
            for (a, b) in times.iter().zip(haz) {
                s.push(k as i64);
                t.push(*a);
                h.push(*b);
            }
        }
        output(vec![
            ("stratum", Arc::new(Int64Array::from(s)) as ArrayRef),
            ("time", Arc::new(Float64Array::from(t)) as ArrayRef),
            (
                "cumulative_hazard",
                Arc::new(Float64Array::from(h)) as ArrayRef,
            ),
        ])
    }

    /// Survival probabilities for new rows at `times` (long table: row, time, survival).
    #[pyo3(signature = (frame, covariates, times, strata=None))]
    fn predict_survival(
        &self,
        py: Python<'_>,
        frame: PyTable,
        covariates: Vec<String>,
        times: Vec<f64>,
        strata: Option<String>,
    ) -> PyResult<PyTable> {
        let t = table(frame);
        let fitted = Fitted {
            design: self.design()?,
            data: &self.data,
            fit: &self.fit,
        };
        let base = fitted.baseline_cumulative_hazard();
        let coef = self.fit.coef.clone();
        let (rows, time, surv) = run_detached(py, None, move |_| {
            let design = Design::from_table(&t, &covariates, false)?;
            let codes = match &strata {
                Some(c) => Some(
                    t.column(c)?
                        .f64_values("a stratum code")?
                        .into_iter()
                        .map(|v| v as u32)
                        .collect::<Vec<u32>>(),
                ),
                None => None,
            };
            let s = predict_survival(&base, &coef, &design, codes.as_deref(), &times)?;
            let mut rows = Vec::with_capacity(s.len());
            let mut time = Vec::with_capacity(s.len());
            for i in 0..s.nrows() {
                for &tk in &times {
                    rows.push(i as i64);
                    time.push(tk);
                }
            }
            Ok((rows, time, s.into_raw_vec_and_offset().0))
        })?;
        output(vec![
            ("row", Arc::new(Int64Array::from(rows)) as ArrayRef),
            ("time", Arc::new(Float64Array::from(time)) as ArrayRef),
            ("survival", Arc::new(Float64Array::from(surv)) as ArrayRef),
        ])
    }

    /// The proportional-hazards test: per term and global (statistic, df, p).
    fn zph(&self, py: Python<'_>, terms: Vec<Vec<usize>>) -> PyResult<Vec<(f64, usize, f64)>> {
        let fitted = Fitted {
            design: self.design()?,
            data: &self.data,
            fit: &self.fit,
        };
        let (rows, global) = py
            .detach(|| proportional_hazards_test(&fitted, &terms))
            .py_err()?;
        Ok(rows
            .iter()
            .chain(std::iter::once(&global))
            .map(|r| (r.statistic, r.df, r.p_value))
            .collect())
    }

    /// Score residuals (rows × p).
    fn score_residuals(&self) -> PyResult<Vec<Vec<f64>>> {
        let fitted = Fitted {
            design: self.design()?,
            data: &self.data,
            fit: &self.fit,
        };
        Ok(matrix_rows(&fitted.score_residuals()))
    }
}

impl PyCoxModel {
    /// The covariates as a row-major design, read from the table on first use (a fit reads
    /// them in place).
    fn design(&self) -> PyResult<&Design> {
        if let Some(design) = self.design.get() {
            return Ok(design);
        }
        let design = Design::from_table(&self.table, &self.covariates, false).py_err()?;
        Ok(self.design.get_or_init(|| design))
    }
}

/// Kaplan–Meier or Nelson–Aalen curves per group; returns (table, group labels).
#[pyfunction]
#[pyo3(signature = (frame, duration, event, entry=None, weights=None, group=None,
    row_number=None, level=0.95, estimator="kaplan_meier", id=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn survival_curve(
    py: Python<'_>,
    frame: PyTable,
    duration: String,
    event: String,
    entry: Option<String>,
    weights: Option<String>,
    group: Option<String>,
    row_number: Option<String>,
    level: f64,
    estimator: &str,
    id: Option<String>,
) -> PyResult<(PyTable, Vec<String>)> {
    let t = table(frame);
    let kind = match estimator {
        "kaplan_meier" => 0,
        "nelson_aalen" => 1,
        "mean_cumulative" => 2,
        other => return Err(Error::argument("estimator", format!("unknown {other:?}"))).py_err(),
    };
    let (columns, labels) = run_detached(py, None, move |_| {
        let mut cols = survival_columns(duration, event, entry, weights, group, row_number);
        cols.id = id;
        let options = CurveOptions { level };
        let mut g = vec![];
        let mut out: [Vec<f64>; 9] = Default::default();
        let mut push = |k: usize, c: Curve| {
            g.extend(std::iter::repeat_n(k as i64, c.time.len()));
            for (dst, src) in out.iter_mut().zip([
                c.time,
                c.at_risk,
                c.events,
                c.censored,
                c.entered,
                c.estimate,
                c.ci_low,
                c.ci_high,
                c.variance_sum,
            ]) {
                dst.extend(src);
            }
        };
        // Unweighted whole-number times without groups: read in place, no copy.
        let in_place = match kind {
            0 => kaplan_meier_in_place(&t, &cols, &options)?,
            1 => nelson_aalen_in_place(&t, &cols, &options)?,
            _ => None,
        };
        if let Some(c) = in_place {
            push(0, c);
            return Ok(((g, out), vec![String::new()]));
        }
        let data = SurvivalData::from_table(&t, &cols, EventCodes::Binary)?;
        for (k, rows) in data.rows_by_stratum().iter().enumerate() {
            let c = match kind {
                0 => kaplan_meier(&data, rows, &options)?,
                1 => nelson_aalen(&data, rows, &options)?,
                _ => mean_cumulative_function(&data.subset(rows), &options)?,
            };
            push(k, c);
        }
        Ok(((g, out), data.strata_labels))
    })?;
    let (g, out) = columns;
    let names = [
        "time",
        "at_risk",
        "events",
        "censored",
        "entered",
        ["survival", "cumulative_hazard", "mean_cumulative"][kind],
        "ci_low",
        "ci_high",
        "variance",
    ];
    let mut cols: Vec<(&str, ArrayRef)> = vec![("group", Arc::new(Int64Array::from(g)))];
    for (name, values) in names.into_iter().zip(out) {
        cols.push((name, Arc::new(Float64Array::from(values))));
    }
    Ok((output(cols)?, labels))
}

/// The k-group log-rank test: (observed, expected, statistic, df, p, labels).
#[pyfunction]
#[pyo3(signature = (frame, duration, event, group, entry=None, weights=None, row_number=None))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
pub(crate) fn logrank_test(
    py: Python<'_>,
    frame: PyTable,
    duration: String,
    event: String,
    group: String,
    entry: Option<String>,
    weights: Option<String>,
    row_number: Option<String>,
) -> PyResult<(Vec<f64>, Vec<f64>, f64, usize, f64, Vec<String>)> {
    let t = table(frame);
    run_detached(py, None, move |_| {
        let cols = survival_columns(duration, event, entry, weights, Some(group), row_number);
        let data = SurvivalData::from_table(&t, &cols, EventCodes::Binary)?;
        let r = logrank(&data)?;
        Ok((
            r.observed,
            r.expected,
            r.statistic,
            r.df,
            r.p_value,
            data.strata_labels,
        ))
    })
}

/// Cumulative incidence per group and cause, with Gray's tests when grouped.
/// Returns (table, group labels, [(cause, statistic, df, p)]).
/// With `entry`, `weights` or `id` the variance is the infinitesimal jackknife (per person with
/// `id`) and no test is run (Gray's test is defined for one unweighted row per person).
#[pyfunction]
#[pyo3(signature = (frame, duration, event, group=None, row_number=None, rho=0.0,
    strata=None, entry=None, weights=None, id=None))]
#[allow(clippy::type_complexity, clippy::too_many_arguments)]
pub(crate) fn cumulative_incidence_table(
    py: Python<'_>,
    frame: PyTable,
    duration: String,
    event: String,
    group: Option<String>,
    row_number: Option<String>,
    rho: f64,
    strata: Option<String>,
    entry: Option<String>,
    weights: Option<String>,
    id: Option<String>,
) -> PyResult<(PyTable, Vec<String>, Vec<(u32, f64, usize, f64)>)> {
    let t = table(frame);
    let grouped = group.is_some() && entry.is_none() && weights.is_none() && id.is_none();
    let (cols, labels, tests) = run_detached(py, None, move |_| {
        let columns = SurvivalColumns {
            id,
            ..survival_columns(duration, event, entry, weights, group, row_number)
        };
        let data = SurvivalData::from_table(&t, &columns, EventCodes::Causes)?;
        let strata_codes = match &strata {
            Some(c) => {
                let (levels, codes) = t.column(c)?.categories("a stratum")?;
                Some(sorted_codes(&levels, codes).0)
            }
            None => None,
        };
        data.require_events("the cumulative incidence")?;
        let mut causes: Vec<u32> = data.event.iter().copied().filter(|&e| e > 0).collect();
        causes.sort_unstable();
        causes.dedup();
        let (mut g, mut cause_col) = (Vec::new(), Vec::new());
        let mut out: [Vec<f64>; 7] = Default::default();
        for (k, rows) in data.rows_by_stratum().iter().enumerate() {
            for &c in &causes {
                let inc = cumulative_incidence(&data, rows, c)?;
                g.extend(std::iter::repeat_n(k as i64, inc.time.len()));
                cause_col.extend(std::iter::repeat_n(i64::from(c), inc.time.len()));
                for (dst, src) in out.iter_mut().zip([
                    &inc.time,
                    &inc.at_risk,
                    &inc.events,
                    &inc.other_events,
                    &inc.censored,
                    &inc.estimate,
                    &inc.variance,
                ]) {
                    dst.extend_from_slice(src);
                }
            }
        }
        let mut tests = Vec::new();
        if grouped {
            for &c in &causes {
                let (s, df, p) = gray_test_stratified(&data, c, rho, strata_codes.as_deref())?;
                tests.push((c, s, df, p));
            }
        }
        Ok(((g, cause_col, out), data.strata_labels, tests))
    })?;
    let (g, cause_col, out) = cols;
    let names = [
        "time",
        "at_risk",
        "events",
        "other_events",
        "censored",
        "cumulative_incidence",
        "variance",
    ];
    let mut columns: Vec<(&str, ArrayRef)> = vec![
        ("group", Arc::new(Int64Array::from(g))),
        ("cause", Arc::new(Int64Array::from(cause_col))),
    ];
    for (name, values) in names.into_iter().zip(out) {
        columns.push((name, Arc::new(Float64Array::from(values))));
    }
    Ok((output(columns)?, labels, tests))
}

/// Fit the Fine–Gray model; returns a dict of plain numbers (`covariance` model-based,
/// `robust_covariance` the Fine & Gray 1999 sandwich of `cmprsk::crr`).
#[pyfunction]
#[pyo3(signature = (frame, covariates, duration, event, cause=1, row_number=None,
    max_iter=50, threads=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn fine_gray_fit<'py>(
    py: Python<'py>,
    frame: PyTable,
    covariates: Vec<String>,
    duration: String,
    event: String,
    cause: u32,
    row_number: Option<String>,
    max_iter: usize,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    let t = table(frame);
    let (fit, robust) = run_detached(py, threads, move |_| {
        let columns = survival_columns(duration, event, None, None, None, row_number);
        let data = SurvivalData::from_table(&t, &columns, EventCodes::Causes)?;
        let design = Design::from_table(&t, &covariates, false)?;
        let options = FineGrayOptions {
            cause,
            max_iterations: max_iter,
            ..Default::default()
        };
        let fit = fit_fine_gray(&design, &data, &options)?;
        let robust = fine_gray_robust_covariance(&design, &data, &options, &fit)?;
        Ok((fit, robust))
    })?;
    let d = PyDict::new(py);
    d.set_item("coef", fit.coef.clone())?;
    d.set_item("covariance", matrix_rows(&fit.covariance))?;
    d.set_item("robust_covariance", matrix_rows(&robust))?;
    d.set_item("log_likelihood", fit.log_likelihood)?;
    d.set_item("null_log_likelihood", fit.null_log_likelihood)?;
    d.set_item("likelihood_ratio", fit.likelihood_ratio())?;
    d.set_item("wald", fit.wald_statistic(&fit.covariance))?;
    d.set_item("score", fit.score_statistic)?;
    d.set_item("iterations", fit.iterations)?;
    d.set_item("events", fit.events)?;
    Ok(d)
}

/// Upper-tail probability of a chi-squared statistic.
#[pyfunction]
pub(crate) fn chi2_sf(statistic: f64, df: f64) -> f64 {
    aluna_stats::survival::chi2_sf(statistic, df)
}

/// Add this domain's functions and classes to `aluna._native`.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(chi2_sf, m)?)?;
    m.add_function(wrap_pyfunction!(cumulative_incidence_table, m)?)?;
    m.add_function(wrap_pyfunction!(fine_gray_fit, m)?)?;
    m.add_function(wrap_pyfunction!(logistic_fit, m)?)?;
    m.add_function(wrap_pyfunction!(logistic_predict, m)?)?;
    m.add_function(wrap_pyfunction!(logistic_terms_of, m)?)?;
    m.add_function(wrap_pyfunction!(survival_curve, m)?)?;
    m.add_function(wrap_pyfunction!(logrank_test, m)?)?;
    m.add_class::<PyCoxModel>()?;
    Ok(())
}
