//! The one ingestion layer: Arrow record batches in, the core's plain types out.
//!
//! Tables arrive from Python as Arrow streams (polars, pyarrow, pandas, duckdb). Their columns
//! come in many physical shapes for the same logical thing: strings as `Utf8`, `LargeUtf8` or
//! `Utf8View`; categoricals as dictionaries; integers of every width; several chunks. Every
//! crate reads columns through [`Column`] so each shape is handled, and each error named, once.

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{
    Array, ArrayRef, Date32Array, Int64Array, RecordBatch, TimestampMicrosecondArray,
    TimestampMillisecondArray, TimestampNanosecondArray, TimestampSecondArray,
};
use arrow_schema::{DataType, SchemaRef, TimeUnit};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::ids::{IdMap, Key, KeyKind};

mod group;
pub use group::Groups;

/// A table: a schema and its record batches (chunks).
#[derive(Debug, Clone)]
pub struct Table {
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
    rows: usize,
}

impl Table {
    /// A table from its schema and batches.
    pub fn new(schema: SchemaRef, batches: Vec<RecordBatch>) -> Self {
        let rows = batches.iter().map(RecordBatch::num_rows).sum();
        Self {
            schema,
            batches,
            rows,
        }
    }

    /// Number of rows over all batches.
    pub fn num_rows(&self) -> usize {
        self.rows
    }

    /// The schema.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// The record batches.
    pub fn batches(&self) -> &[RecordBatch] {
        &self.batches
    }

    /// Column names, in order.
    pub fn column_names(&self) -> Vec<&str> {
        self.schema
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect()
    }

    /// Whether the table has a column `name`.
    pub fn has_column(&self, name: &str) -> bool {
        self.schema.index_of(name).is_ok()
    }

    /// The column `name`, or [`Error::MissingColumn`] listing the columns there are.
    pub fn column(&self, name: &str) -> Result<Column<'_>> {
        let index = self
            .schema
            .index_of(name)
            .map_err(|_| Error::MissingColumn {
                column: name.to_string(),
                available: self.column_names().join(", "),
            })?;
        Ok(Column {
            name: self.schema.field(index).name().clone(),
            data_type: self.schema.field(index).data_type().clone(),
            chunks: self.batches.iter().map(|b| b.column(index)).collect(),
            rows: self.rows,
        })
    }
}

/// How a time column is stored; comparisons need the same kind on both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeKind {
    /// Plain integers (days since an origin, weeks, years…).
    Integer,
    /// Calendar dates, as days since 1970-01-01.
    Date,
    /// Instants, in the given unit since 1970-01-01, with an optional time zone.
    Timestamp(TimeUnit, Option<String>),
}

impl TimeKind {
    /// Times of this kind as an Arrow array (the inverse of [`Column::time_values`]).
    pub fn to_arrow(&self, values: Vec<i64>) -> Result<ArrayRef> {
        Ok(match self {
            TimeKind::Integer => Arc::new(Int64Array::from(values)),
            TimeKind::Date => {
                let days = values
                    .iter()
                    .map(|&d| {
                        i32::try_from(d).map_err(|_| Error::argument("time", "a date out of range"))
                    })
                    .collect::<Result<Vec<i32>>>()?;
                Arc::new(Date32Array::from(days))
            }
            TimeKind::Timestamp(unit, tz) => {
                let tz = tz.clone();
                match unit {
                    TimeUnit::Second => {
                        Arc::new(TimestampSecondArray::from(values).with_timezone_opt(tz))
                    }
                    TimeUnit::Millisecond => {
                        Arc::new(TimestampMillisecondArray::from(values).with_timezone_opt(tz))
                    }
                    TimeUnit::Microsecond => {
                        Arc::new(TimestampMicrosecondArray::from(values).with_timezone_opt(tz))
                    }
                    TimeUnit::Nanosecond => {
                        Arc::new(TimestampNanosecondArray::from(values).with_timezone_opt(tz))
                    }
                }
            }
        })
    }

    /// The Arrow type that holds this kind.
    pub fn data_type(&self) -> DataType {
        match self {
            TimeKind::Integer => DataType::Int64,
            TimeKind::Date => DataType::Date32,
            TimeKind::Timestamp(unit, tz) => {
                DataType::Timestamp(*unit, tz.as_deref().map(Into::into))
            }
        }
    }
}

/// One column of a [`Table`], seen across all its chunks.
#[derive(Debug)]
pub struct Column<'a> {
    name: String,
    data_type: DataType,
    chunks: Vec<&'a ArrayRef>,
    rows: usize,
}

/// Integers of every Arrow width, read as `i64` (`None` when a `u64` does not fit).
trait AsI64: Copy + std::fmt::Display {
    fn as_i64(self) -> Option<i64>;
}

macro_rules! as_i64 {
    ($($t:ty),*) => {$(
        impl AsI64 for $t {
            #[allow(clippy::unnecessary_fallible_conversions, clippy::useless_conversion)]
            fn as_i64(self) -> Option<i64> {
                i64::try_from(self).ok()
            }
        }
    )*};
}
as_i64!(i8, i16, i32, i64, u8, u16, u32, u64);

/// Integers of every Arrow width, read as `f64` (rounded above 2^53).
trait AsF64: Copy {
    fn as_f64(self) -> f64;
}

macro_rules! as_f64 {
    ($($t:ty),*) => {$(
        impl AsF64 for $t {
            #[allow(clippy::cast_lossless)]
            fn as_f64(self) -> f64 {
                self as f64
            }
        }
    )*};
}
as_f64!(i8, i16, i32, i64, u8, u16, u32, u64);

macro_rules! each_int {
    ($array:expr, $dt:expr, |$arr:ident| $to_i64:expr, $fallback:expr) => {
        match $dt {
            DataType::Int8 => {
                let $arr = $array.as_primitive::<Int8Type>();
                $to_i64
            }
            DataType::Int16 => {
                let $arr = $array.as_primitive::<Int16Type>();
                $to_i64
            }
            DataType::Int32 => {
                let $arr = $array.as_primitive::<Int32Type>();
                $to_i64
            }
            DataType::Int64 => {
                let $arr = $array.as_primitive::<Int64Type>();
                $to_i64
            }
            DataType::UInt8 => {
                let $arr = $array.as_primitive::<UInt8Type>();
                $to_i64
            }
            DataType::UInt16 => {
                let $arr = $array.as_primitive::<UInt16Type>();
                $to_i64
            }
            DataType::UInt32 => {
                let $arr = $array.as_primitive::<UInt32Type>();
                $to_i64
            }
            DataType::UInt64 => {
                let $arr = $array.as_primitive::<UInt64Type>();
                $to_i64
            }
            _ => $fallback,
        }
    };
}

fn is_int(dt: &DataType) -> bool {
    dt.is_integer()
}

fn is_string(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    )
}

/// A dictionary column decoded: its values and, per row, the index of the value.
fn dictionary_keys(array: &dyn Array) -> Option<(Vec<Option<usize>>, ArrayRef)> {
    let DataType::Dictionary(key_type, _) = array.data_type() else {
        return None;
    };
    macro_rules! keys {
        ($t:ty) => {{
            let d = array.as_dictionary::<$t>();
            let keys = d.keys();
            let idx = (0..keys.len())
                .map(|i| keys.is_valid(i).then(|| keys.value(i) as usize))
                .collect();
            Some((idx, d.values().clone()))
        }};
    }
    match key_type.as_ref() {
        DataType::Int8 => keys!(Int8Type),
        DataType::Int16 => keys!(Int16Type),
        DataType::Int32 => keys!(Int32Type),
        DataType::Int64 => keys!(Int64Type),
        DataType::UInt8 => keys!(UInt8Type),
        DataType::UInt16 => keys!(UInt16Type),
        DataType::UInt32 => keys!(UInt32Type),
        DataType::UInt64 => keys!(UInt64Type),
        _ => None,
    }
}

impl<'a> Column<'a> {
    /// The column's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The column's Arrow data type.
    pub fn data_type(&self) -> &DataType {
        &self.data_type
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The column's chunks.
    pub fn chunks(&self) -> &[&'a ArrayRef] {
        &self.chunks
    }

    fn wrong_type(&self, expected: &'static str) -> Error {
        Error::WrongType {
            column: self.name.clone(),
            expected,
            found: self.data_type.to_string(),
        }
    }

    fn null(&self, row: usize, expected: &'static str) -> Error {
        Error::NullValue {
            column: self.name.clone(),
            row,
            expected,
        }
    }

    /// The kind of id the column holds, or a [`Error::WrongType`] if it holds neither integers
    /// nor strings (dictionaries of either count as their values).
    pub fn key_kind(&self) -> Result<KeyKind> {
        let value_type = match &self.data_type {
            DataType::Dictionary(_, v) => v.as_ref(),
            other => other,
        };
        if is_int(value_type) {
            Ok(KeyKind::Int)
        } else if is_string(value_type) {
            Ok(KeyKind::Str)
        } else {
            Err(self.wrong_type("integer or string ids"))
        }
    }

    /// Visit every row's id (`None` for null), in row order.
    pub fn for_each_key(
        &self,
        mut visit: impl FnMut(usize, Option<Key<'_>>) -> Result<()>,
    ) -> Result<()> {
        self.key_kind()?;
        let mut row = 0usize;
        for chunk in &self.chunks {
            if let Some((idx, values)) = dictionary_keys(chunk.as_ref()) {
                let column = Column {
                    name: self.name.clone(),
                    data_type: values.data_type().clone(),
                    chunks: vec![&values],
                    rows: values.len(),
                };
                let decoded = column.keys_owned()?;
                for k in idx {
                    match k {
                        Some(k) => match decoded.get(k) {
                            Some(Some(OwnedKey::Int(v))) => visit(row, Some(Key::Int(*v)))?,
                            Some(Some(OwnedKey::Str(s))) => visit(row, Some(Key::Str(s)))?,
                            Some(None) => visit(row, None)?,
                            None => {
                                return Err(Error::bad_value(
                                    self.name.clone(),
                                    row,
                                    "a valid dictionary key",
                                    k,
                                ))
                            }
                        },
                        None => visit(row, None)?,
                    }
                    row += 1;
                }
                continue;
            }
            let dt = chunk.data_type();
            let array = chunk.as_ref();
            let err_row = row;
            each_int!(
                array,
                dt,
                |arr| {
                    for (i, v) in arr.iter().enumerate() {
                        match v {
                            Some(v) => {
                                let v = v.as_i64().ok_or_else(|| {
                                    Error::bad_value(
                                        self.name.clone(),
                                        err_row + i,
                                        "an id below 2^63",
                                        v,
                                    )
                                })?;
                                visit(err_row + i, Some(Key::Int(v)))?
                            }
                            None => visit(err_row + i, None)?,
                        }
                    }
                },
                {
                    match dt {
                        DataType::Utf8 => {
                            for (i, v) in array.as_string::<i32>().iter().enumerate() {
                                visit(err_row + i, v.map(Key::Str))?;
                            }
                        }
                        DataType::LargeUtf8 => {
                            for (i, v) in array.as_string::<i64>().iter().enumerate() {
                                visit(err_row + i, v.map(Key::Str))?;
                            }
                        }
                        DataType::Utf8View => {
                            for (i, v) in array.as_string_view().iter().enumerate() {
                                visit(err_row + i, v.map(Key::Str))?;
                            }
                        }
                        _ => return Err(self.wrong_type("integer or string ids")),
                    }
                }
            );
            row += array.len();
        }
        Ok(())
    }

    fn keys_owned(&self) -> Result<Vec<Option<OwnedKey>>> {
        let mut out = Vec::with_capacity(self.rows);
        self.for_each_key(|_, k| {
            out.push(k.map(|k| match k {
                Key::Int(v) => OwnedKey::Int(v),
                Key::Str(s) => OwnedKey::Str(s.to_string()),
            }));
            Ok(())
        })?;
        Ok(out)
    }

    /// Intern the column's values as categories: the distinct values in first-seen order and,
    /// per row, its value's index. Nulls are an error naming the first null row.
    pub fn categories(&self, expected: &'static str) -> Result<(IdMap, Vec<u32>)> {
        let mut levels = IdMap::new(self.key_kind()?);
        let mut codes = Vec::with_capacity(self.rows);
        self.for_each_key(|row, key| {
            let key = key.ok_or_else(|| self.null(row, expected))?;
            codes.push(levels.intern(key)?);
            Ok(())
        })?;
        Ok((levels, codes))
    }

    /// Visit every row as a float (`None` for null). Integers and floats of any width are read.
    pub fn for_each_f64(
        &self,
        mut visit: impl FnMut(usize, Option<f64>) -> Result<()>,
    ) -> Result<()> {
        let mut row = 0usize;
        for chunk in &self.chunks {
            let array = chunk.as_ref();
            let dt = array.data_type();
            macro_rules! floats {
                ($t:ty) => {
                    for (i, v) in array.as_primitive::<$t>().iter().enumerate() {
                        visit(row + i, v.map(f64::from))?;
                    }
                };
            }
            each_int!(
                array,
                dt,
                |arr| {
                    for (i, v) in arr.iter().enumerate() {
                        visit(row + i, v.map(|v| v.as_f64()))?;
                    }
                },
                {
                    match dt {
                        DataType::Float16 => {
                            for (i, v) in array.as_primitive::<Float16Type>().iter().enumerate() {
                                visit(row + i, v.map(f64::from))?;
                            }
                        }
                        DataType::Float32 => floats!(Float32Type),
                        DataType::Float64 => floats!(Float64Type),
                        DataType::Boolean => {
                            for (i, v) in array.as_boolean().iter().enumerate() {
                                visit(row + i, v.map(|b| if b { 1.0 } else { 0.0 }))?;
                            }
                        }
                        DataType::Null => {
                            for i in 0..array.len() {
                                visit(row + i, None)?
                            }
                        }
                        _ => return Err(self.wrong_type("numbers")),
                    }
                }
            );
            row += array.len();
        }
        Ok(())
    }

    /// The column's values as borrowed slices, one per chunk, when every chunk is `Float64`
    /// without nulls (the common case for model columns): no copy. `None` otherwise; read such
    /// columns with [`Column::f64_values`].
    pub fn f64_slices(&self) -> Option<Vec<&'a [f64]>> {
        self.chunks
            .iter()
            .map(|&chunk| {
                let array: &'a dyn Array = chunk.as_ref();
                (array.data_type() == &DataType::Float64 && array.null_count() == 0)
                    .then(|| array.as_primitive::<Float64Type>().values().as_ref())
            })
            .collect()
    }

    /// The column's values as borrowed slices, one per chunk, when every chunk is `Int64`
    /// without nulls (polars' default integer type): no copy. `None` otherwise.
    pub fn i64_slices(&self) -> Option<Vec<&'a [i64]>> {
        self.chunks
            .iter()
            .map(|&chunk| {
                let array: &'a dyn Array = chunk.as_ref();
                (array.data_type() == &DataType::Int64 && array.null_count() == 0)
                    .then(|| array.as_primitive::<Int64Type>().values().as_ref())
            })
            .collect()
    }

    /// The column as floats; a null is an error naming its row. NaN is passed through:
    /// callers say what they accept with [`Column::finite_f64`] or their own checks.
    pub fn f64_values(&self, expected: &'static str) -> Result<Vec<f64>> {
        if let Some(slices) = self.f64_slices() {
            return Ok(slices.concat());
        }
        let mut out = Vec::with_capacity(self.rows);
        if self.chunks.iter().all(|c| c.null_count() == 0) {
            // Integers and booleans without nulls: convert without per-row null checks.
            let mut fast = true;
            for chunk in &self.chunks {
                let array = chunk.as_ref();
                let dt = array.data_type();
                each_int!(
                    array,
                    dt,
                    |arr| out.extend(arr.values().iter().map(|v| v.as_f64())),
                    match dt {
                        DataType::Float64 => out.extend_from_slice(
                            array.as_primitive::<Float64Type>().values().as_ref()
                        ),
                        DataType::Float32 => out.extend(
                            array
                                .as_primitive::<Float32Type>()
                                .values()
                                .iter()
                                .map(|v| f64::from(*v))
                        ),
                        _ => {
                            fast = false;
                            break;
                        }
                    }
                );
            }
            if fast {
                return Ok(out);
            }
            out.clear();
        }
        self.for_each_f64(|row, v| {
            out.push(v.ok_or_else(|| self.null(row, expected))?);
            Ok(())
        })?;
        Ok(out)
    }

    /// The column as floats, each finite and at least `min`; otherwise an error naming the
    /// first offending row and value.
    pub fn finite_f64(&self, min: f64, expected: &'static str) -> Result<Vec<f64>> {
        let values = self.f64_values(expected)?;
        if let Some(row) = crate::parallel::first_position(&values, |v| !v.is_finite() || *v < min)
        {
            return Err(Error::bad_value(
                self.name.clone(),
                row,
                expected,
                values[row],
            ));
        }
        Ok(values)
    }

    /// The column as nullable floats (`None` for null), for models with a missing-data policy.
    pub fn optional_f64(&self) -> Result<Vec<Option<f64>>> {
        let mut out = Vec::with_capacity(self.rows);
        self.for_each_f64(|_, v| {
            out.push(v);
            Ok(())
        })?;
        Ok(out)
    }

    /// Visit every row's bytes (`None` for null), in row order: `Binary`, `LargeBinary`,
    /// `BinaryView` and `FixedSizeBinary` columns (polars' `Binary` arrives as `BinaryView`).
    pub fn for_each_binary(
        &self,
        mut visit: impl FnMut(usize, Option<&[u8]>) -> Result<()>,
    ) -> Result<()> {
        let mut row = 0usize;
        for chunk in &self.chunks {
            let array = chunk.as_ref();
            match array.data_type() {
                DataType::Binary => {
                    for (i, v) in array.as_binary::<i32>().iter().enumerate() {
                        visit(row + i, v)?;
                    }
                }
                DataType::LargeBinary => {
                    for (i, v) in array.as_binary::<i64>().iter().enumerate() {
                        visit(row + i, v)?;
                    }
                }
                DataType::BinaryView => {
                    for (i, v) in array.as_binary_view().iter().enumerate() {
                        visit(row + i, v)?;
                    }
                }
                DataType::FixedSizeBinary(_) => {
                    for (i, v) in array.as_fixed_size_binary().iter().enumerate() {
                        visit(row + i, v)?;
                    }
                }
                _ => return Err(self.wrong_type("binary values")),
            }
            row += array.len();
        }
        Ok(())
    }

    /// How the column stores time, or a [`Error::WrongType`].
    pub fn time_kind(&self) -> Result<TimeKind> {
        match &self.data_type {
            dt if dt.is_integer() => Ok(TimeKind::Integer),
            DataType::Date32 | DataType::Date64 => Ok(TimeKind::Date),
            DataType::Timestamp(unit, tz) => Ok(TimeKind::Timestamp(
                *unit,
                tz.as_ref().map(|t| t.to_string()),
            )),
            _ => Err(self.wrong_type("a date, a datetime or integer times")),
        }
    }

    /// The column as times in the units of [`Column::time_kind`]; a null is an error.
    pub fn time_values(&self, expected: &'static str) -> Result<(TimeKind, Vec<i64>)> {
        let kind = self.time_kind()?;
        let mut out = Vec::with_capacity(self.rows);
        let mut row = 0usize;
        for chunk in &self.chunks {
            let array = chunk.as_ref();
            let dt = array.data_type();
            let mut push = |i: usize, v: Option<i64>| -> Result<()> {
                out.push(v.ok_or_else(|| self.null(row + i, expected))?);
                Ok(())
            };
            match dt {
                DataType::Date32 => {
                    for (i, v) in array.as_primitive::<Date32Type>().iter().enumerate() {
                        push(i, v.map(i64::from))?;
                    }
                }
                DataType::Date64 => {
                    for (i, v) in array.as_primitive::<Date64Type>().iter().enumerate() {
                        push(i, v.map(|ms| ms.div_euclid(86_400_000)))?;
                    }
                }
                DataType::Timestamp(unit, _) => {
                    macro_rules! ts {
                        ($t:ty) => {
                            for (i, v) in array.as_primitive::<$t>().iter().enumerate() {
                                push(i, v)?;
                            }
                        };
                    }
                    match unit {
                        TimeUnit::Second => ts!(TimestampSecondType),
                        TimeUnit::Millisecond => ts!(TimestampMillisecondType),
                        TimeUnit::Microsecond => ts!(TimestampMicrosecondType),
                        TimeUnit::Nanosecond => ts!(TimestampNanosecondType),
                    }
                }
                _ => each_int!(
                    array,
                    dt,
                    |arr| {
                        for (i, v) in arr.iter().enumerate() {
                            let v = v
                                .map(|v| {
                                    v.as_i64().ok_or_else(|| {
                                        Error::bad_value(
                                            self.name.clone(),
                                            row + i,
                                            "a time below 2^63",
                                            v,
                                        )
                                    })
                                })
                                .transpose()?;
                            push(i, v)?;
                        }
                    },
                    return Err(self.wrong_type("a date, a datetime or integer times"))
                ),
            }
            row += array.len();
        }
        Ok((kind, out))
    }
}

#[derive(Debug)]
enum OwnedKey {
    Int(i64),
    Str(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::builder::{StringDictionaryBuilder, StringViewBuilder};
    use arrow_array::{
        Float32Array, Int32Array, LargeStringArray, StringArray, TimestampMicrosecondArray,
        UInt64Array,
    };
    use arrow_schema::{Field, Schema};

    fn table(name: &str, chunks: Vec<ArrayRef>) -> Table {
        let schema = Arc::new(Schema::new(vec![Field::new(
            name,
            chunks[0].data_type().clone(),
            true,
        )]));
        let batches = chunks
            .into_iter()
            .map(|c| RecordBatch::try_new(schema.clone(), vec![c]).unwrap())
            .collect();
        Table::new(schema, batches)
    }

    fn keys(t: &Table) -> Vec<Option<String>> {
        let mut out = vec![];
        t.column("id")
            .unwrap()
            .for_each_key(|_, k| {
                out.push(k.map(|k| k.to_string()));
                Ok(())
            })
            .unwrap();
        out
    }

    #[test]
    fn string_shapes_read_alike() {
        let plain: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), None, Some("b")]));
        let large: ArrayRef = Arc::new(LargeStringArray::from(vec![Some("a"), None, Some("b")]));
        let mut view = StringViewBuilder::new();
        view.append_value("a");
        view.append_null();
        view.append_value("b");
        let view: ArrayRef = Arc::new(view.finish());
        let mut dict = StringDictionaryBuilder::<UInt32Type>::new();
        dict.append_value("a");
        dict.append_null();
        dict.append_value("b");
        let dict: ArrayRef = Arc::new(dict.finish());
        for array in [plain, large, view, dict] {
            let t = table("id", vec![array]);
            assert_eq!(
                keys(&t),
                vec![Some("\"a\"".into()), None, Some("\"b\"".into())]
            );
        }
    }

    #[test]
    fn multi_chunk_rows_continue() {
        let t = table(
            "id",
            vec![
                Arc::new(Int32Array::from(vec![1, 2])),
                Arc::new(Int32Array::from(vec![Some(3), None])),
            ],
        );
        let err = t.column("id").unwrap().categories("an id").unwrap_err();
        assert_eq!(
            err,
            Error::NullValue {
                column: "id".into(),
                row: 3,
                expected: "an id"
            }
        );
    }

    #[test]
    fn huge_unsigned_is_a_bad_value() {
        let t = table("id", vec![Arc::new(UInt64Array::from(vec![1, u64::MAX]))]);
        let err = t.column("id").unwrap().categories("an id").unwrap_err();
        assert!(matches!(err, Error::BadValue { row: 1, .. }));
    }

    #[test]
    fn floats_and_checks() {
        let t = table("w", vec![Arc::new(Float32Array::from(vec![1.5, f32::NAN]))]);
        let col = t.column("w").unwrap();
        assert_eq!(col.f64_values("w").unwrap()[0], 1.5);
        let err = col.finite_f64(0.0, "a weight").unwrap_err();
        assert!(matches!(err, Error::BadValue { row: 1, .. }));
        assert!(matches!(
            t.column("nope"),
            Err(Error::MissingColumn { ref available, .. }) if available == "w"
        ));
        assert!(matches!(col.key_kind(), Err(Error::WrongType { .. })));
    }

    #[test]
    fn float_fast_paths_read_like_the_general_one() {
        use arrow_array::{BooleanArray, Float64Array, Int16Array};
        // Two Float64 chunks without nulls: borrowed, no copy.
        let t = table(
            "x",
            vec![
                Arc::new(Float64Array::from(vec![1.0, 2.5])),
                Arc::new(Float64Array::from(vec![-3.0])),
            ],
        );
        let col = t.column("x").unwrap();
        let slices = col.f64_slices().unwrap();
        assert_eq!(slices, vec![&[1.0, 2.5][..], &[-3.0][..]]);
        assert_eq!(col.f64_values("x").unwrap(), vec![1.0, 2.5, -3.0]);
        // Integers and booleans without nulls, mixed chunk widths.
        let t = table(
            "x",
            vec![
                Arc::new(Int16Array::from(vec![4, -2])),
                Arc::new(Int16Array::from(vec![7])),
            ],
        );
        let col = t.column("x").unwrap();
        assert!(col.f64_slices().is_none());
        assert_eq!(col.f64_values("x").unwrap(), vec![4.0, -2.0, 7.0]);
        let t = table("b", vec![Arc::new(BooleanArray::from(vec![true, false]))]);
        assert_eq!(
            t.column("b").unwrap().f64_values("b").unwrap(),
            vec![1.0, 0.0]
        );
        // A null in a later chunk: no slices, and the error names the row across chunks.
        let t = table(
            "x",
            vec![
                Arc::new(Float64Array::from(vec![1.0])),
                Arc::new(Float64Array::from(vec![Some(2.0), None])),
            ],
        );
        let col = t.column("x").unwrap();
        assert!(col.f64_slices().is_none());
        assert!(matches!(
            col.f64_values("a number"),
            Err(Error::NullValue { row: 2, .. })
        ));
    }

    #[test]
    fn binary_shapes_read_alike() {
        use arrow_array::builder::BinaryViewBuilder;
        use arrow_array::{BinaryArray, FixedSizeBinaryArray, LargeBinaryArray};
        let rows: Vec<Option<&[u8]>> = vec![Some(b"ab"), None, Some(b"cd")];
        let mut view = BinaryViewBuilder::new();
        rows.iter().for_each(|r| view.append_option(*r));
        let arrays: Vec<ArrayRef> = vec![
            Arc::new(BinaryArray::from(rows.clone())),
            Arc::new(LargeBinaryArray::from(rows.clone())),
            Arc::new(view.finish()),
            Arc::new(
                FixedSizeBinaryArray::try_from_sparse_iter_with_size(rows.clone().into_iter(), 2)
                    .unwrap(),
            ),
        ];
        for array in arrays {
            let t = table("b", vec![array]);
            let mut seen = vec![];
            t.column("b")
                .unwrap()
                .for_each_binary(|_, v| {
                    seen.push(v.map(<[u8]>::to_vec));
                    Ok(())
                })
                .unwrap();
            assert_eq!(seen, vec![Some(b"ab".to_vec()), None, Some(b"cd".to_vec())]);
        }
        let ints = table("i", vec![Arc::new(Int32Array::from(vec![1]))]);
        let err = ints
            .column("i")
            .unwrap()
            .for_each_binary(|_, _| Ok(()))
            .unwrap_err();
        assert!(matches!(err, Error::WrongType { .. }));
    }

    #[test]
    fn timestamps_keep_unit() {
        let t = table(
            "t",
            vec![Arc::new(TimestampMicrosecondArray::from(vec![5, 7]))],
        );
        let (kind, v) = t.column("t").unwrap().time_values("a time").unwrap();
        assert_eq!(kind, TimeKind::Timestamp(TimeUnit::Microsecond, None));
        assert_eq!(v, vec![5, 7]);
        let back = kind.to_arrow(v).unwrap();
        assert_eq!(back.data_type(), &kind.data_type());
    }
}
