//! Bindings of `aluna_privacy`: pseudonymisation, disclosure control, linkage.

use pyo3::prelude::*;

/// Add this domain's functions and classes to `aluna._native`.
pub(crate) fn register(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    Ok(())
}
