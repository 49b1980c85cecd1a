//! Bindings of `aluna_privacy`: keys, pseudonymisation, disclosure control, linkage.
//!
//! The documented API is `aluna.privacy`. Key bytes live only in Rust ([`SecretKey`], wiped on
//! drop); no binding returns them.

use std::sync::Arc;

use aluna_core::Error;
use aluna_privacy::bands::{self, band_keys, BandOptions};
use aluna_privacy::disclosure::{equivalence_classes, l_diversity, reidentification_risk};
use aluna_privacy::key::SecretKey;
use aluna_privacy::linkage::{self, Blocks, EncodingOptions, Encodings, FieldGroup, LinkOptions};
use aluna_privacy::noise::{self, Mechanism, NoiseOptions};
use aluna_privacy::pseudonym::{self, PseudonymOptions, TokenForm, PSEUDONYM_PATTERN};
use aluna_privacy::suppression::{self, Reason, SuppressionOptions};
use arrow_array::{ArrayRef, Float64Array, Int64Array, UInt32Array};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3_arrow::PyTable;

use crate::convert::{output, table};
use crate::errors::IntoPy;
use crate::run::run_detached;

/// A secret key held in Rust memory (see `aluna.privacy.Key` for the documented API).
#[pyclass(name = "PrivacyKey", module = "aluna._native", frozen)]
pub struct PyKey {
    inner: Arc<SecretKey>,
}

/// Strip one trailing line ending (`\n` or `\r\n`) that editors and `echo` add to key files.
fn strip_line_end(mut bytes: Vec<u8>) -> Vec<u8> {
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
    }
    bytes
}

#[pymethods]
impl PyKey {
    /// The key in environment variable `name` (its bytes as they are).
    #[staticmethod]
    fn from_env(name: &str) -> PyResult<Self> {
        let value = std::env::var_os(name).ok_or_else(|| {
            Error::argument(
                "name",
                format!("the environment variable {name} is not set; set it outside the notebook (e.g. in the shell that starts Jupyter)"),
            )
        });
        let value = value.py_err()?;
        #[cfg(unix)]
        let bytes = std::os::unix::ffi::OsStringExt::into_vec(value);
        #[cfg(not(unix))]
        let bytes = value.to_string_lossy().into_owned().into_bytes();
        Ok(Self {
            inner: Arc::new(SecretKey::new(bytes).py_err()?),
        })
    }

    /// The key in file `path` (one trailing line ending removed).
    #[staticmethod]
    fn from_file(path: &str) -> PyResult<Self> {
        let bytes = std::fs::read(path)
            .map_err(|e| Error::Io {
                path: path.to_string(),
                message: format!("cannot read the key file: {e}"),
            })
            .py_err()?;
        Ok(Self {
            inner: Arc::new(SecretKey::new(strip_line_end(bytes)).py_err()?),
        })
    }

    /// The key from bytes typed at a hidden prompt (used by `Key.prompt`).
    #[staticmethod]
    fn from_prompt(data: &[u8]) -> PyResult<Self> {
        Ok(Self {
            inner: Arc::new(SecretKey::new(data.to_vec()).py_err()?),
        })
    }

    /// The public fingerprint (16 hex digits).
    fn fingerprint(&self) -> String {
        self.inner.fingerprint()
    }

    fn __repr__(&self) -> String {
        format!("PrivacyKey(fingerprint={:?})", self.inner.fingerprint())
    }
}

/// Pseudonymise one column; returns a one-column table of the same name.
#[pyfunction]
#[pyo3(signature = (data, column, key, kind, integer=false, threads=None))]
fn pseudonymise(
    py: Python<'_>,
    data: PyTable,
    column: &str,
    key: &PyKey,
    kind: &str,
    integer: bool,
    threads: Option<usize>,
) -> PyResult<PyTable> {
    let data = table(data);
    let key = Arc::clone(&key.inner);
    let options = PseudonymOptions {
        kind,
        form: if integer {
            TokenForm::Integer
        } else {
            TokenForm::Hex
        },
    };
    let array = run_detached(py, threads, |cancel| {
        pseudonym::pseudonymise(&data.column(column)?, &key, options, cancel)
    })?;
    output(vec![(column, array)])
}

/// Bloom-filter encodings of every record: a one-column table `encoding` (binary).
#[pyfunction]
#[pyo3(signature = (data, groups, key, bits=1024, hashes=10, threads=None))]
fn encode_for_linkage(
    py: Python<'_>,
    data: PyTable,
    groups: Vec<(Vec<String>, f64)>,
    key: &PyKey,
    bits: usize,
    hashes: usize,
    threads: Option<usize>,
) -> PyResult<PyTable> {
    let data = table(data);
    let key = Arc::clone(&key.inner);
    let fields: Vec<FieldGroup> = groups
        .into_iter()
        .map(|(columns, weight)| FieldGroup { columns, weight })
        .collect();
    let options = EncodingOptions { bits, hashes };
    let encodings = run_detached(py, threads, |cancel| {
        linkage::encode(&data, &fields, &key, options, cancel)
    })?;
    output(vec![("encoding", encodings.to_arrow())])
}

fn pairs_table(pairs: linkage::Pairs) -> PyResult<PyTable> {
    output(vec![
        (
            "left_index",
            Arc::new(UInt32Array::from(pairs.left)) as ArrayRef,
        ),
        ("right_index", Arc::new(UInt32Array::from(pairs.right))),
        ("score", Arc::new(Float64Array::from(pairs.score))),
    ])
}

/// Pairs of records at or above `threshold`: `left_index`, `right_index`, `score`.
#[pyfunction]
#[pyo3(signature = (left, right, encoding, threshold, one_to_one=false, blocking=None, threads=None))]
#[allow(clippy::too_many_arguments)]
fn link(
    py: Python<'_>,
    left: PyTable,
    right: PyTable,
    encoding: &str,
    threshold: f64,
    one_to_one: bool,
    blocking: Option<Vec<String>>,
    threads: Option<usize>,
) -> PyResult<PyTable> {
    let (left, right) = (table(left), table(right));
    let options = LinkOptions {
        threshold,
        one_to_one,
    };
    let pairs = run_detached(py, threads, |cancel| {
        let l = Encodings::from_column(&left.column(encoding)?)?;
        let r = Encodings::from_column(&right.column(encoding)?)?;
        let blocks = match &blocking {
            Some(columns) => {
                let names: Vec<&str> = columns.iter().map(String::as_str).collect();
                Some(Blocks::from_tables(&left, &right, &names)?)
            }
            None => None,
        };
        linkage::link(&l, &r, blocks.as_ref(), options, cancel)
    })?;
    pairs_table(pairs)
}

/// MinHash band keys of an encoding column: one `Int64` column per band (`{prefix}{k}`),
/// null for an empty encoding.
#[pyfunction]
#[pyo3(signature = (frame, encoding, bands, rows, seed=0, prefix="band_", threads=None))]
#[allow(clippy::too_many_arguments)]
fn linkage_bands(
    py: Python<'_>,
    frame: PyTable,
    encoding: &str,
    bands: usize,
    rows: usize,
    seed: u64,
    prefix: &str,
    threads: Option<usize>,
) -> PyResult<PyTable> {
    let t = table(frame);
    let options = BandOptions { bands, rows, seed };
    let keys = run_detached(py, threads, |cancel| {
        let enc = Encodings::from_column(&t.column(encoding)?)?;
        band_keys(&enc, &options, cancel)
    })?;
    let names: Vec<String> = (0..bands).map(|k| format!("{prefix}{k}")).collect();
    let columns: Vec<(&str, ArrayRef)> = names
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let values: Int64Array = keys.iter().skip(k).step_by(bands).copied().collect();
            (name.as_str(), Arc::new(values) as ArrayRef)
        })
        .collect();
    output(columns)
}

/// Dice coefficients of aligned pairs of encodings (two binary columns of one table): `score`.
#[pyfunction]
#[pyo3(signature = (frame, left, right, threads=None))]
fn dice_pairs(
    py: Python<'_>,
    frame: PyTable,
    left: &str,
    right: &str,
    threads: Option<usize>,
) -> PyResult<PyTable> {
    let t = table(frame);
    let scores = run_detached(py, threads, |_| {
        let l = Encodings::from_column(&t.column(left)?)?;
        let r = Encodings::from_column(&t.column(right)?)?;
        bands::dice_pairs(&l, &r)
    })?;
    output(vec![(
        "score",
        Arc::new(Float64Array::from(scores)) as ArrayRef,
    )])
}

/// Rows of a pairs table kept by the greedy one-to-one rule: a one-column table `row`.
#[pyfunction]
#[pyo3(signature = (pairs, left, right, score, threads=None))]
fn one_to_one(
    py: Python<'_>,
    pairs: PyTable,
    left: &str,
    right: &str,
    score: &str,
    threads: Option<usize>,
) -> PyResult<PyTable> {
    let pairs = table(pairs);
    let kept = run_detached(py, threads, |cancel| {
        let l = linkage::record_codes(&pairs.column(left)?, "a left record id")?;
        let r = linkage::record_codes(&pairs.column(right)?, "a right record id")?;
        let s = pairs
            .column(score)?
            .finite_f64(0.0, "a finite, non-negative score")?;
        let p = linkage::Pairs {
            left: l,
            right: r,
            score: s,
        };
        linkage::greedy_assignment(&p, cancel)
    })?;
    let rows: Vec<u32> = kept.into_iter().map(|p| p as u32).collect();
    output(vec![("row", Arc::new(UInt32Array::from(rows)) as ArrayRef)])
}

/// Equivalence classes: per row `class` and `class_size`; per class `first_row`, `size`.
#[pyfunction]
#[pyo3(signature = (data, columns, sensitive=None, weights=None))]
fn equivalence_classes_table(
    py: Python<'_>,
    data: PyTable,
    columns: Vec<String>,
    sensitive: Option<&str>,
    weights: Option<&str>,
) -> PyResult<(PyTable, PyTable)> {
    let data = table(data);
    let (classes, diversity, risk) = run_detached(py, None, |_| {
        let names: Vec<&str> = columns.iter().map(String::as_str).collect();
        let classes = equivalence_classes(&data, &names)?;
        let diversity = match sensitive {
            Some(s) => Some(l_diversity(&data, &classes, s)?),
            None => None,
        };
        let w = match weights {
            Some(w) => Some(data.column(w)?.f64_values("a sampling weight")?),
            None => None,
        };
        let risk = reidentification_risk(&classes, w.as_deref())?;
        Ok((classes, diversity, risk))
    })?;
    let rows = output(vec![
        (
            "class",
            Arc::new(UInt32Array::from(classes.class_of_row.clone())) as ArrayRef,
        ),
        (
            "sample_frequency",
            Arc::new(Int64Array::from_iter_values(
                risk.sample_frequency.iter().map(|&f| f as i64),
            )),
        ),
        (
            "population_frequency",
            Arc::new(Float64Array::from(risk.population_frequency)),
        ),
        ("risk", Arc::new(Float64Array::from(risk.risk))),
    ])?;
    let mut per_class: Vec<(&str, ArrayRef)> = vec![
        (
            "first_row",
            Arc::new(UInt32Array::from(classes.first_row.clone())),
        ),
        (
            "size",
            Arc::new(Int64Array::from_iter_values(
                classes.sizes.iter().map(|&s| s as i64),
            )),
        ),
    ];
    if let Some(d) = diversity {
        per_class.push((
            "distinct",
            Arc::new(Int64Array::from_iter_values(
                d.distinct.iter().map(|&v| v as i64),
            )),
        ));
        per_class.push(("entropy", Arc::new(Float64Array::from(d.entropy))));
    }
    Ok((rows, output(per_class)?))
}

/// Small-cell suppression: hidden cells as (row, column, reason, protected row, protected
/// column) and the unprotectable cells as (row, column).
#[pyfunction]
#[pyo3(signature = (data, columns, threshold=10, suppress_zeros=false, secondary=true))]
#[allow(clippy::type_complexity)]
fn suppress_small_cells(
    py: Python<'_>,
    data: PyTable,
    columns: Vec<String>,
    threshold: u64,
    suppress_zeros: bool,
    secondary: bool,
) -> PyResult<(
    Vec<(usize, usize, &'static str, Option<usize>, Option<usize>)>,
    Vec<(usize, usize)>,
)> {
    let data = table(data);
    let options = SuppressionOptions {
        threshold,
        suppress_zeros,
        secondary,
    };
    let result = run_detached(py, None, |_| {
        let names: Vec<&str> = columns.iter().map(String::as_str).collect();
        let counts = suppression::count_matrix(&data, &names)?;
        suppression::suppress(&counts, data.num_rows(), names.len(), options)
    })?;
    let hidden = result
        .hidden
        .iter()
        .map(|h| match h.reason {
            Reason::Primary => (h.row, h.column, "primary", None, None),
            Reason::Secondary { row, column } => {
                (h.row, h.column, "secondary", Some(row), Some(column))
            }
        })
        .collect();
    Ok((hidden, result.unprotected))
}

/// Noisy counts of the count columns and the budget spent (a dict).
#[pyfunction]
#[pyo3(signature = (data, columns, epsilon, mechanism="laplace", delta=None, cells_per_person=1, seed=None))]
#[allow(clippy::too_many_arguments)]
fn noisy_counts<'py>(
    py: Python<'py>,
    data: PyTable,
    columns: Vec<String>,
    epsilon: f64,
    mechanism: &str,
    delta: Option<f64>,
    cells_per_person: u32,
    seed: Option<u64>,
) -> PyResult<(PyTable, Bound<'py, PyDict>)> {
    let mechanism = match mechanism {
        "laplace" => Mechanism::Laplace,
        "discrete_gaussian" => Mechanism::DiscreteGaussian,
        other => {
            return Err(Error::argument(
                "mechanism",
                format!("expected \"laplace\" or \"discrete_gaussian\", got {other:?}"),
            ))
            .py_err()
        }
    };
    if mechanism == Mechanism::Laplace && delta.is_some_and(|d| d != 0.0) {
        return Err(Error::argument(
            "delta",
            "the Laplace mechanism is pure differential privacy (delta = 0); give delta only \
             with mechanism=\"discrete_gaussian\"",
        ))
        .py_err();
    }
    let data = table(data);
    let options = NoiseOptions {
        mechanism,
        epsilon,
        delta: delta.unwrap_or(1e-6),
        cells_per_person,
        seed,
    };
    let n_cols = columns.len();
    let (noisy, budget) = run_detached(py, None, |_| {
        let names: Vec<&str> = columns.iter().map(String::as_str).collect();
        let counts = suppression::count_matrix(&data, &names)?;
        let counts: Vec<i64> = counts.iter().map(|&c| c as i64).collect();
        noise::noisy_counts(&counts, &options)
    })?;
    let n_rows = data.num_rows();
    let arrays: Vec<(&str, ArrayRef)> = columns
        .iter()
        .enumerate()
        .map(|(c, name)| {
            let values: Vec<i64> = (0..n_rows).map(|r| noisy[r * n_cols + c]).collect();
            (
                name.as_str(),
                Arc::new(Int64Array::from(values)) as ArrayRef,
            )
        })
        .collect();
    let report = PyDict::new(py);
    report.set_item("mechanism", budget.mechanism.name())?;
    report.set_item("epsilon", budget.epsilon)?;
    report.set_item("delta", budget.delta)?;
    report.set_item("rho", budget.rho)?;
    report.set_item("scale", budget.scale)?;
    report.set_item("sensitivity", budget.sensitivity)?;
    report.set_item("cells_per_person", cells_per_person)?;
    report.set_item("private", budget.private)?;
    Ok((output(arrays)?, report))
}

/// `ε` of `ρ`-zCDP at `δ` (Canonne, Kamath & Steinke 2020, Corollary 13).
#[pyfunction]
fn zcdp_epsilon(rho: f64, delta: f64) -> f64 {
    noise::zcdp_epsilon(rho, delta)
}

/// Add this domain's functions and classes to `aluna._native`.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("PSEUDONYM_PATTERN", PSEUDONYM_PATTERN)?;
    m.add_class::<PyKey>()?;
    m.add_function(wrap_pyfunction!(pseudonymise, m)?)?;
    m.add_function(wrap_pyfunction!(encode_for_linkage, m)?)?;
    m.add_function(wrap_pyfunction!(link, m)?)?;
    m.add_function(wrap_pyfunction!(one_to_one, m)?)?;
    m.add_function(wrap_pyfunction!(linkage_bands, m)?)?;
    m.add_function(wrap_pyfunction!(dice_pairs, m)?)?;
    m.add_function(wrap_pyfunction!(equivalence_classes_table, m)?)?;
    m.add_function(wrap_pyfunction!(suppress_small_cells, m)?)?;
    m.add_function(wrap_pyfunction!(noisy_counts, m)?)?;
    m.add_function(wrap_pyfunction!(zcdp_epsilon, m)?)?;
    Ok(())
}
