//! `aluna._native`: the compiled core of aluna, seen from Python.
//!
//! Thin by design: each binding converts its input, leaves the GIL, calls a core crate, maps
//! the error and converts the output. The documented API is the Python package `aluna`.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]

mod careers;
mod convert;
mod disruption;
mod errors;
mod evaluate;
mod graph;
mod groups;
mod layout;
mod metrics;
mod privacy;
mod records;
mod run;
mod scale;
mod stats;
mod synth;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<graph::PyGraph>()?;
    evaluate::register(m)?;
    careers::register(m)?;
    groups::register(m)?;
    disruption::register(m)?;
    layout::register(m)?;
    privacy::register(m)?;
    records::register(m)?;
    scale::register(m)?;
    stats::register(m)?;
    metrics::register(m)?;
    synth::register(m)?;
    Ok(())
}

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
