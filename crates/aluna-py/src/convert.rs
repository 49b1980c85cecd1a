//! Conversions at the boundary: Arrow streams in, Arrow tables out.
//!
//! Any object with `__arrow_c_stream__` (polars, pyarrow, pandas via pyarrow, duckdb) arrives as a
//! [`PyTable`] and becomes an [`aluna_core::table::Table`]; results leave as a [`PyTable`], which
//! the Python layer turns into a `polars.DataFrame`.

use std::sync::Arc;

use aluna_core::table::Table;
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{Field, Schema};
use pyo3::prelude::*;
use pyo3_arrow::PyTable;

use crate::errors::InternalError;

/// An incoming Arrow table as the core's [`Table`].
pub(crate) fn table(input: PyTable) -> Table {
    let (batches, schema) = input.into_inner();
    Table::new(schema, batches)
}

/// Named columns as an outgoing table.
pub(crate) fn output(columns: Vec<(&str, ArrayRef)>) -> PyResult<PyTable> {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(name, array)| Field::new(*name, array.data_type().clone(), array.null_count() > 0))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), columns.into_iter().map(|c| c.1).collect())
        .map_err(|e| InternalError::new_err(format!("building a result table: {e}")))?;
    PyTable::try_new(vec![batch], schema)
}
