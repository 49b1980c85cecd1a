//! Bindings of `aluna_synth`: synthetic dataset generators (see `aluna.synth`).
//!
//! Each generator returns its tables as a list of `(name, table)` pairs: `data`, further data
//! tables, and `truth.*` tables. The record-level generators take a row range, so the Python
//! layer can stream any number of rows to Parquet in batches.

use aluna_core::parallel::Cancel;
use aluna_core::Error;
use aluna_synth::careers::{careers_rows, careers_truth, CareersOptions};
use aluna_synth::cohort::{cohort_rows, cohort_truth, CohortOptions};
use aluna_synth::linkage::{linkage_rows, linkage_truth, Agency, LinkageOptions};
use aluna_synth::network::{case_network, NetworkOptions};
use aluna_synth::programme::{programme_rows, programme_truth, ProgrammeOptions};
use aluna_synth::victims::{victim_rows, victim_truth, VictimOptions};
use aluna_synth::Part;
use pyo3::prelude::*;
use pyo3_arrow::PyTable;

use crate::errors::IntoPy;
use crate::run::run_detached;

type Tables = Vec<(String, PyTable)>;

fn tables(parts: Vec<Part>) -> PyResult<Tables> {
    parts
        .into_iter()
        .map(|p| {
            let schema = p.batch.schema();
            Ok((p.name.to_string(), PyTable::try_new(vec![p.batch], schema)?))
        })
        .collect()
}

fn rows(
    py: Python<'_>,
    threads: Option<usize>,
    work: impl FnOnce(&Cancel) -> aluna_core::Result<Vec<Part>> + Send,
) -> PyResult<Tables> {
    tables(run_detached(py, threads, work)?)
}

/// Rows `start..stop` of the offender cohort.
#[pyfunction]
#[pyo3(signature = (n, seed, start, stop, threads=None))]
fn synth_offender_cohort(
    py: Python<'_>,
    n: u64,
    seed: u64,
    start: u64,
    stop: u64,
    threads: Option<usize>,
) -> PyResult<Tables> {
    let options = CohortOptions { n, seed };
    rows(py, threads, |cancel| {
        cohort_rows(&options, start..stop, cancel)
    })
}

/// The offender cohort's fixed truth tables.
#[pyfunction]
fn synth_offender_cohort_truth() -> PyResult<Tables> {
    tables(cohort_truth().py_err()?)
}

/// Rows `start..stop` of the programme evaluation.
#[pyfunction]
#[pyo3(signature = (n, seed, delayed_entry, start, stop, threads=None))]
fn synth_programme_evaluation(
    py: Python<'_>,
    n: u64,
    seed: u64,
    delayed_entry: bool,
    start: u64,
    stop: u64,
    threads: Option<usize>,
) -> PyResult<Tables> {
    let options = ProgrammeOptions {
        n,
        seed,
        delayed_entry,
    };
    rows(py, threads, |cancel| {
        programme_rows(&options, start..stop, cancel)
    })
}

/// The programme evaluation's fixed truth tables.
#[pyfunction]
fn synth_programme_evaluation_truth() -> PyResult<Tables> {
    tables(programme_truth().py_err()?)
}

/// Victims `start..stop` of the victims dataset.
#[pyfunction]
#[pyo3(signature = (n, seed, start, stop, threads=None))]
fn synth_victims(
    py: Python<'_>,
    n: u64,
    seed: u64,
    start: u64,
    stop: u64,
    threads: Option<usize>,
) -> PyResult<Tables> {
    let options = VictimOptions { n, seed };
    rows(py, threads, |cancel| {
        victim_rows(&options, start..stop, cancel)
    })
}

/// The victims dataset's fixed truth tables.
#[pyfunction]
fn synth_victims_truth() -> PyResult<Tables> {
    tables(victim_truth().py_err()?)
}

/// People `start..stop` of the careers panel.
#[pyfunction]
#[pyo3(signature = (n, periods, seed, start, stop, threads=None, zero_inflation=0.0))]
#[allow(clippy::too_many_arguments)]
fn synth_careers_panel(
    py: Python<'_>,
    n: u64,
    periods: u32,
    seed: u64,
    start: u64,
    stop: u64,
    threads: Option<usize>,
    zero_inflation: f64,
) -> PyResult<Tables> {
    let options = CareersOptions {
        zero_inflation,
        ..CareersOptions::new(n, periods, seed)
    };
    rows(py, threads, |cancel| {
        careers_rows(&options, start..stop, cancel)
    })
}

/// The careers panel's planted groups.
#[pyfunction]
fn synth_careers_panel_truth() -> PyResult<Tables> {
    tables(careers_truth().py_err()?)
}

/// Rows `start..stop` of agency `"A"` or `"B"` of the linkage pair.
#[pyfunction]
#[pyo3(signature = (n, overlap, corruption, seed, agency, start, stop, threads=None, duplicates=0.0))]
#[allow(clippy::too_many_arguments)]
fn synth_linkage_pair(
    py: Python<'_>,
    n: u64,
    overlap: f64,
    corruption: f64,
    seed: u64,
    agency: &str,
    start: u64,
    stop: u64,
    threads: Option<usize>,
    duplicates: f64,
) -> PyResult<Tables> {
    let agency = match agency {
        "A" => Agency::A,
        "B" => Agency::B,
        other => {
            return Err(Error::argument(
                "agency",
                format!("expected \"A\" or \"B\", got {other:?}"),
            ))
            .py_err()
        }
    };
    let options = LinkageOptions {
        n,
        overlap,
        corruption,
        duplicates,
        seed,
    };
    rows(py, threads, |cancel| {
        linkage_rows(&options, agency, start..stop, cancel)
    })
}

/// The linkage pair's parameters.
#[pyfunction]
#[pyo3(signature = (n, overlap, corruption, seed, duplicates=0.0))]
fn synth_linkage_pair_truth(
    n: u64,
    overlap: f64,
    corruption: f64,
    seed: u64,
    duplicates: f64,
) -> PyResult<Tables> {
    let options = LinkageOptions {
        n,
        overlap,
        corruption,
        duplicates,
        seed,
    };
    tables(linkage_truth(&options).py_err()?)
}

/// The whole case network.
#[pyfunction]
#[pyo3(signature = (n_persons, n_groups, seed, threads=None))]
fn synth_case_network(
    py: Python<'_>,
    n_persons: u64,
    n_groups: u64,
    seed: u64,
    threads: Option<usize>,
) -> PyResult<Tables> {
    let options = NetworkOptions {
        n_persons,
        n_groups,
        seed,
    };
    rows(py, threads, |cancel| case_network(&options, cancel))
}

/// Add this domain's functions and classes to `aluna._native`.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("SYNTH_GENERATOR_VERSION", aluna_synth::GENERATOR_VERSION)?;
    m.add(
        "SYNTH_PSEUDONYM_PATTERN",
        aluna_synth::ids::PSEUDONYM_PATTERN,
    )?;
    m.add_function(wrap_pyfunction!(synth_offender_cohort, m)?)?;
    m.add_function(wrap_pyfunction!(synth_offender_cohort_truth, m)?)?;
    m.add_function(wrap_pyfunction!(synth_programme_evaluation, m)?)?;
    m.add_function(wrap_pyfunction!(synth_programme_evaluation_truth, m)?)?;
    m.add_function(wrap_pyfunction!(synth_victims, m)?)?;
    m.add_function(wrap_pyfunction!(synth_victims_truth, m)?)?;
    m.add_function(wrap_pyfunction!(synth_careers_panel, m)?)?;
    m.add_function(wrap_pyfunction!(synth_careers_panel_truth, m)?)?;
    m.add_function(wrap_pyfunction!(synth_linkage_pair, m)?)?;
    m.add_function(wrap_pyfunction!(synth_linkage_pair_truth, m)?)?;
    m.add_function(wrap_pyfunction!(synth_case_network, m)?)?;
    Ok(())
}
