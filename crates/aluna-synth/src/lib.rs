//! Synthetic benchmark datasets with known ground truth: offender cohorts, case networks,
//! programme evaluations, victims, offending careers and agency record pairs.
//!
//! Every record is made up. Each generator draws unit `i`'s randomness (a person, a victim, a
//! record) from its own ChaCha8 stream, [`aluna_core::random::stream`] keyed by a per-generator
//! key derived from the seed and by `i`, so the content is the same for any thread count and any
//! cut of the rows into batches: rows `a..b` generated alone equal rows `a..b` of the whole.
//!
//! The record-level generators ([`cohort`], [`programme`], [`victims`], [`careers`],
//! [`linkage`]) produce one Arrow [`RecordBatch`] per requested row range, so callers can stream
//! any number of rows to disk in bounded memory; the case network ([`network`]) is built whole.
//! Each returns its data together with its ground truth (true coefficients, planted groups,
//! potential outcomes, true matches) as further named tables ([`Part`]).
//!
//! Identifier columns hold pseudonyms in one recognisable form, `kind:` followed by 16 lowercase
//! hexadecimal digits (see [`ids::PSEUDONYM_PATTERN`]); person ids are `P` and a zero-padded
//! number.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]
#![warn(missing_docs)]

pub mod careers;
pub mod cohort;
mod columns;
pub mod ids;
pub mod linkage;
pub mod network;
pub mod programme;
mod sample;
pub mod victims;

use std::ops::Range;

use aluna_core::parallel::{ordered_map, Cancel};
use aluna_core::{ensure, Error, Result};
use arrow_array::RecordBatch;

pub use columns::{parameters_table, Columns};

/// Version of the generating processes. It changes whenever a call with the same arguments would
/// produce different content, so files record which process made them.
pub const GENERATOR_VERSION: u32 = 1;

/// One generated table: `data`, a further data table (`links`, `persons`, `agency_b`), or a
/// ground-truth table whose name starts with `truth.` (`truth.persons`, `truth.coefficients`).
#[derive(Debug, Clone)]
pub struct Part {
    /// The table's name.
    pub name: &'static str,
    /// Its rows.
    pub batch: RecordBatch,
}

impl Part {
    /// A named table.
    pub fn new(name: &'static str, batch: RecordBatch) -> Self {
        Self { name, batch }
    }
}

/// Check that a requested row range lies inside `0..n`.
pub(crate) fn check_range(rows: &Range<u64>, n: u64, unit: &'static str) -> Result<()> {
    ensure!(
        rows.start <= rows.end && rows.end <= n,
        Error::argument(
            "rows",
            format!(
                "the range {}..{} is not within the {n} {unit} of the dataset",
                rows.start, rows.end
            )
        )
    );
    Ok(())
}

/// Generate units `rows` in parallel, in unit order (the same for any thread count).
pub(crate) fn generate<T, F>(rows: &Range<u64>, cancel: &Cancel, unit: F) -> Result<Vec<T>>
where
    T: Send,
    F: Fn(u64) -> T + Sync,
{
    let start = rows.start;
    let count = usize::try_from(rows.end - rows.start)
        .map_err(|_| Error::argument("rows", "the range is too long for this machine"))?;
    ordered_map(count, cancel, || (), |i, _| unit(start + i as u64))
}

/// Check that `n` is at least one.
pub(crate) fn check_n(name: &'static str, n: u64) -> Result<()> {
    ensure!(n >= 1, Error::argument(name, "must be at least 1"));
    Ok(())
}

/// Check that a fraction lies in `[0, 1]`.
pub(crate) fn check_fraction(name: &'static str, value: f64) -> Result<()> {
    ensure!(
        value.is_finite() && (0.0..=1.0).contains(&value),
        Error::argument(name, format!("must be between 0 and 1, got {value}"))
    );
    Ok(())
}
