//! Building Arrow record batches column by column, and calendar dates.

use std::sync::Arc;

use aluna_core::{Error, Result};
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray,
};
use arrow_schema::{Field, Schema};

use crate::cohort::Term;

/// A record batch under construction: named columns added in order. Every field is nullable, so
/// batches of one table share one schema whether or not a batch happens to hold a null.
#[derive(Debug, Default)]
pub struct Columns {
    fields: Vec<Field>,
    arrays: Vec<ArrayRef>,
}

impl Columns {
    /// No columns yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn push(&mut self, name: &str, array: ArrayRef) {
        self.fields
            .push(Field::new(name, array.data_type().clone(), true));
        self.arrays.push(array);
    }

    /// A string column.
    pub fn strings<S: AsRef<str>>(
        &mut self,
        name: &str,
        values: impl IntoIterator<Item = Option<S>>,
    ) -> &mut Self {
        self.push(name, Arc::new(StringArray::from_iter(values)));
        self
    }

    /// A 64-bit integer column.
    pub fn ints(&mut self, name: &str, values: impl IntoIterator<Item = Option<i64>>) -> &mut Self {
        self.push(name, Arc::new(Int64Array::from_iter(values)));
        self
    }

    /// A 64-bit float column.
    pub fn floats(
        &mut self,
        name: &str,
        values: impl IntoIterator<Item = Option<f64>>,
    ) -> &mut Self {
        self.push(name, Arc::new(Float64Array::from_iter(values)));
        self
    }

    /// A boolean column.
    pub fn bools(
        &mut self,
        name: &str,
        values: impl IntoIterator<Item = Option<bool>>,
    ) -> &mut Self {
        self.push(name, Arc::new(BooleanArray::from_iter(values)));
        self
    }

    /// A date column, from days since 1970-01-01.
    pub fn dates(
        &mut self,
        name: &str,
        values: impl IntoIterator<Item = Option<i32>>,
    ) -> &mut Self {
        self.push(name, Arc::new(Date32Array::from_iter(values)));
        self
    }

    /// The finished record batch.
    pub fn finish(&mut self) -> Result<RecordBatch> {
        let schema = Arc::new(Schema::new(std::mem::take(&mut self.fields)));
        RecordBatch::try_new(schema, std::mem::take(&mut self.arrays)).map_err(|e| {
            Error::NotDefined {
                what: "a synthetic table",
                reason: format!("its columns do not fit together: {e}"),
            }
        })
    }
}

/// A table of true coefficients: columns `term`, `coefficient`, `ratio_name` (the coefficient's
/// exponential: a hazard ratio or a rate ratio) and `description`.
pub fn coefficients_table(terms: &[Term], ratio_name: &str) -> Result<RecordBatch> {
    Columns::new()
        .strings("term", terms.iter().map(|t| Some(t.name)))
        .floats("coefficient", terms.iter().map(|t| Some(t.coefficient)))
        .floats(ratio_name, terms.iter().map(|t| Some(t.coefficient.exp())))
        .strings("description", terms.iter().map(|t| Some(t.description)))
        .finish()
}

/// A table of named numeric parameters of a generating process: columns `name`, `value`,
/// `description`.
pub fn parameters_table(rows: &[(&str, f64, &str)]) -> Result<RecordBatch> {
    Columns::new()
        .strings("name", rows.iter().map(|r| Some(r.0)))
        .floats("value", rows.iter().map(|r| Some(r.1)))
        .strings("description", rows.iter().map(|r| Some(r.2)))
        .finish()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's `days_from_civil`).
pub(crate) const fn days_from_civil(year: i64, month: i64, day: i64) -> i32 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468) as i32
}

/// The year, month and day of a day count since 1970-01-01 (Hinnant's `civil_from_days`).
pub(crate) const fn civil_from_days(days: i32) -> (i64, i64, i64) {
    let z = days as i64 + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + if month <= 2 { 1 } else { 0 };
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_round_trips() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        for d in [-800_000, -1, 0, 59, 60, 11_016, 20_000, 2_000_000] {
            let (y, m, day) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, day), d);
        }
    }

    #[test]
    fn batches_are_built_in_order() {
        let batch = Columns::new()
            .ints("a", [Some(1), None])
            .strings("b", [Some("x"), Some("y")])
            .finish()
            .unwrap();
        assert_eq!(batch.num_rows(), 2);
        assert_eq!(batch.schema().field(1).name(), "b");
        assert!(Columns::new()
            .ints("a", [Some(1)])
            .ints("b", [])
            .finish()
            .is_err());
    }
}
