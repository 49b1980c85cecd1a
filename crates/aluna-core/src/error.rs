//! One error type for every aluna crate.
//!
//! Each variant carries the facts its message needs, so the Python binding can pick the
//! exception class by variant and tests can match on the facts rather than on text.

/// Result alias used across aluna.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in aluna, with the facts a user needs to mend it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A column the caller named is not in the table.
    #[error("column `{column}` not found; the table has: {available}")]
    MissingColumn {
        /// The column asked for.
        column: String,
        /// The table's columns, comma-separated.
        available: String,
    },
    /// A column has a data type the operation cannot use.
    #[error("column `{column}`: expected {expected}, found {found}")]
    WrongType {
        /// The offending column.
        column: String,
        /// What the operation accepts.
        expected: &'static str,
        /// The column's Arrow data type.
        found: String,
    },
    /// A null where a value is required.
    #[error("column `{column}`, row {row}: null where {expected} is required")]
    NullValue {
        /// The offending column.
        column: String,
        /// The first offending row (0-based).
        row: usize,
        /// What should be there.
        expected: &'static str,
    },
    /// A value outside what the operation accepts (NaN, negative, out of range, not a known code).
    #[error("column `{column}`, row {row}: expected {expected}, found {found}")]
    BadValue {
        /// The offending column.
        column: String,
        /// The first offending row (0-based).
        row: usize,
        /// What the operation accepts.
        expected: &'static str,
        /// The value found.
        found: String,
    },
    /// Rows that must be unique are not.
    #[error(
        "column `{column}`, row {row}: duplicate value {value} (first seen in row {first_row})"
    )]
    Duplicate {
        /// The column (or columns, comma-separated) that must be unique.
        column: String,
        /// The duplicate row (0-based).
        row: usize,
        /// The row where the value was first seen.
        first_row: usize,
        /// The duplicated value.
        value: String,
    },
    /// Input with nothing in it where something is required.
    #[error("empty input: {what}")]
    Empty {
        /// What was empty, in the user's words.
        what: String,
    },
    /// A node id the graph does not hold.
    #[error("unknown node {node}: it is not in the graph")]
    UnknownNode {
        /// The id as the user wrote it.
        node: String,
    },
    /// An argument with a value the operation cannot use.
    #[error("argument `{name}`: {reason}")]
    InvalidArgument {
        /// The argument's name, as in the Python API.
        name: &'static str,
        /// What is wrong and what is expected.
        reason: String,
    },
    /// A quantity that is not defined for this input (e.g. eigenvector centrality of a
    /// disconnected graph).
    #[error("{what} is not defined here: {reason}")]
    NotDefined {
        /// The quantity.
        what: &'static str,
        /// Why, and what to use instead.
        reason: String,
    },
    /// A design matrix without full rank.
    #[error("{model}: the design is singular: {detail}")]
    Singular {
        /// The model being fitted.
        model: &'static str,
        /// Which covariates are constant or collinear.
        detail: String,
    },
    /// An iterative method that did not converge.
    #[error("{model} did not converge in {iterations} iterations; {hint}")]
    NotConverged {
        /// The model or algorithm.
        model: &'static str,
        /// Iterations run.
        iterations: usize,
        /// What to try.
        hint: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The caller cancelled the computation (Ctrl-C in Python).
    #[error("cancelled")]
    Cancelled,
}

impl Error {
    /// Shorthand for [`Error::InvalidArgument`].
    pub fn argument(name: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidArgument {
            name,
            reason: reason.into(),
        }
    }

    /// The same error with its row numbers moved on by `offset`: for errors found in one batch
    /// of a table that arrives in batches, so that they name the row of the whole table.
    ///
    /// ```
    /// use aluna_core::Error;
    /// let err = Error::bad_value("weight", 3, "a weight", "NaN").with_row_offset(1000);
    /// assert!(err.to_string().starts_with("column `weight`, row 1003"));
    /// ```
    pub fn with_row_offset(self, offset: usize) -> Self {
        match self {
            Error::NullValue {
                column,
                row,
                expected,
            } => Error::NullValue {
                column,
                row: row + offset,
                expected,
            },
            Error::BadValue {
                column,
                row,
                expected,
                found,
            } => Error::BadValue {
                column,
                row: row + offset,
                expected,
                found,
            },
            other => other,
        }
    }

    /// Shorthand for [`Error::BadValue`].
    pub fn bad_value(
        column: impl Into<String>,
        row: usize,
        expected: &'static str,
        found: impl ToString,
    ) -> Self {
        Error::BadValue {
            column: column.into(),
            row,
            expected,
            found: found.to_string(),
        }
    }
}

/// Return early with an error unless a condition holds, as `polars_ensure!` does.
///
/// ```
/// use aluna_core::{ensure, Error, Result};
/// fn positive(x: f64) -> Result<f64> {
///     ensure!(x > 0.0, Error::argument("x", format!("must be positive, got {x}")));
///     Ok(x)
/// }
/// assert!(positive(-1.0).is_err());
/// ```
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $err:expr $(,)?) => {
        if !$cond {
            return Err($err);
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_column_and_row() {
        let err = Error::bad_value("weight", 3, "a finite, non-negative number", "NaN");
        assert_eq!(
            err.to_string(),
            "column `weight`, row 3: expected a finite, non-negative number, found NaN"
        );
        let err = Error::MissingColumn {
            column: "src".into(),
            available: "source, target".into(),
        };
        assert!(err.to_string().contains("`src` not found"));
    }
}
