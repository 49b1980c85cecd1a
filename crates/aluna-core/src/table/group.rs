//! Grouping a column's rows by value: in parallel, exactly, numbered in first-seen order.
//!
//! Interning ten million identifiers one by one into a hash map is bound by cache misses on
//! one core. Here each row's key is hashed in parallel, the `(hash, row)` pairs are sorted in
//! parallel, and runs of equal hash are checked key by key, so the grouping is exact even when
//! two values share a hash. Groups are then numbered by their first row, which is the numbering
//! an [`IdMap`] would give: the result does not depend on the number of threads.

use std::ops::Range;

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::Array;
use arrow_schema::DataType;
use rayon::prelude::*;

use super::Column;
use crate::error::{Error, Result};
use crate::ids::{hash_key, IdMap, Key, KeyKind};

/// Rows hashed per unit of parallel work.
const SPAN: usize = 1 << 15;

/// A column's rows grouped by equal value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Groups {
    /// Per row, its group (`u32::MAX` for a null). Groups are numbered in order of first
    /// appearance, as [`IdMap`] numbers interned ids.
    pub codes: Vec<u32>,
    /// The rows of group `g` are `rows[offsets[g]..offsets[g + 1]]`, ascending.
    pub rows: Vec<u32>,
    /// One offset per group, plus one.
    pub offsets: Vec<u64>,
    /// Rows holding a null.
    pub nulls: usize,
}

impl Groups {
    /// Number of groups (distinct non-null values).
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Whether there are no groups.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rows of group `g`, ascending.
    pub fn group(&self, g: usize) -> &[u32] {
        &self.rows[self.offsets[g] as usize..self.offsets[g + 1] as usize]
    }
}

type IntAt<'a> = Box<dyn Fn(usize) -> Option<i64> + Sync + 'a>;
type StrAt<'a> = Box<dyn Fn(usize) -> Option<&'a str> + Sync + 'a>;

/// Random access to the keys of one chunk.
enum View<'a> {
    Int(IntAt<'a>),
    Str(StrAt<'a>),
    Dict {
        keys: &'a dyn Array,
        index: Vec<usize>,
        values: Box<View<'a>>,
    },
}

impl<'a> View<'a> {
    fn key(&self, i: usize) -> Option<Key<'a>> {
        match self {
            View::Int(at) => at(i).map(Key::Int),
            View::Str(at) => at(i).map(Key::Str),
            View::Dict {
                keys,
                index,
                values,
            } => {
                if keys.is_null(i) {
                    None
                } else {
                    index.get(i).and_then(|&k| values.key(k))
                }
            }
        }
    }

    /// A view of `array`, whose first row is row `base` of column `name`.
    fn of(array: &'a dyn Array, name: &str, base: usize) -> Result<View<'a>> {
        macro_rules! ints {
            ($t:ty) => {{
                let a = array.as_primitive::<$t>();
                View::Int(Box::new(move |i| {
                    a.is_valid(i).then(|| i64::from(a.value(i)))
                }))
            }};
        }
        Ok(match array.data_type() {
            DataType::Int8 => ints!(Int8Type),
            DataType::Int16 => ints!(Int16Type),
            DataType::Int32 => ints!(Int32Type),
            DataType::Int64 => ints!(Int64Type),
            DataType::UInt8 => ints!(UInt8Type),
            DataType::UInt16 => ints!(UInt16Type),
            DataType::UInt32 => ints!(UInt32Type),
            DataType::UInt64 => {
                let a = array.as_primitive::<UInt64Type>();
                if let Some(i) =
                    (0..a.len()).find(|&i| a.is_valid(i) && i64::try_from(a.value(i)).is_err())
                {
                    return Err(Error::bad_value(
                        name,
                        base + i,
                        "an id below 2^63",
                        a.value(i),
                    ));
                }
                View::Int(Box::new(move |i| {
                    a.is_valid(i)
                        .then(|| i64::try_from(a.value(i)).unwrap_or(i64::MAX))
                }))
            }
            DataType::Utf8 => {
                let a = array.as_string::<i32>();
                View::Str(Box::new(move |i| a.is_valid(i).then(|| a.value(i))))
            }
            DataType::LargeUtf8 => {
                let a = array.as_string::<i64>();
                View::Str(Box::new(move |i| a.is_valid(i).then(|| a.value(i))))
            }
            DataType::Utf8View => {
                let a = array.as_string_view();
                View::Str(Box::new(move |i| a.is_valid(i).then(|| a.value(i))))
            }
            DataType::Dictionary(_, _) => {
                let d = array.as_any_dictionary();
                let values = d.values();
                View::Dict {
                    keys: d.keys(),
                    // `normalized_keys` asserts a non-empty dictionary; an empty one has only
                    // null keys.
                    index: if values.is_empty() {
                        Vec::new()
                    } else {
                        d.normalized_keys()
                    },
                    values: Box::new(View::of(values.as_ref(), name, 0).map_err(|e| match e {
                        // A bad dictionary value is reported at the first row using it.
                        Error::BadValue {
                            column,
                            expected,
                            found,
                            ..
                        } => Error::BadValue {
                            column,
                            row: base,
                            expected,
                            found,
                        },
                        other => other,
                    })?),
                }
            }
            other => {
                return Err(Error::WrongType {
                    column: name.to_string(),
                    expected: "integer or string ids",
                    found: other.to_string(),
                })
            }
        })
    }
}

/// Where a group's rows are: a run of the sorted pairs, or one part of a split run.
#[derive(Clone, Copy)]
enum Source {
    Run(u64, u64),
    Split(u32, u32),
}

/// The rows of one group, without allocating.
enum Members<'a> {
    Run(std::slice::Iter<'a, (u64, u32)>),
    Split(std::slice::Iter<'a, u32>),
}

impl Iterator for Members<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        match self {
            Members::Run(it) => it.next().map(|p| p.1),
            Members::Split(it) => it.next().copied(),
        }
    }
}

impl Column<'_> {
    /// Group the rows by value, in parallel: see [`Groups`]. Integers and strings of every
    /// Arrow shape are read; an unsigned id above 2^63 is an error naming its row.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use aluna_core::table::Table;
    /// use arrow_array::{RecordBatch, StringArray};
    /// use arrow_schema::{DataType, Field, Schema};
    /// let schema = Arc::new(Schema::new(vec![Field::new("phone", DataType::Utf8, true)]));
    /// let values = StringArray::from(vec![Some("b"), Some("a"), None, Some("b")]);
    /// let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(values)]).unwrap();
    /// let table = Table::new(schema, vec![batch]);
    /// let phone = table.column("phone")?;
    /// let groups = phone.group_rows()?;
    /// assert_eq!(groups.codes, vec![0, 1, u32::MAX, 0]);
    /// assert_eq!(groups.group(0), &[0, 3]);
    /// assert_eq!((groups.len(), groups.nulls), (2, 1));
    /// assert_eq!(phone.group_ids(&groups)?.len(), 2);
    /// assert_eq!(phone.key_text(1)?, Some("a".to_string()));
    /// # Ok::<(), aluna_core::Error>(())
    /// ```
    pub fn group_rows(&self) -> Result<Groups> {
        // Integers are their own exact sort key; strings are hashed and checked.
        let exact = self.key_kind()? == KeyKind::Int;
        let n = self.rows;
        if n >= u32::MAX as usize {
            return Err(Error::argument(
                "rows",
                format!("{n} rows; at most 4,294,967,294 are supported"),
            ));
        }
        let (views, starts) = self.views()?;
        let key_at = |row: u32| -> Option<Key<'_>> {
            let row = row as usize;
            let c = starts.partition_point(|&s| s <= row) - 1;
            views[c].key(row - starts[c])
        };
        let spans: Vec<(usize, Range<usize>)> = self
            .chunks
            .iter()
            .enumerate()
            .flat_map(|(c, chunk)| {
                let len = chunk.len();
                (0..len.div_ceil(SPAN)).map(move |s| (c, s * SPAN..((s + 1) * SPAN).min(len)))
            })
            .collect();
        let parts: Vec<Vec<(u64, u32)>> = spans
            .par_iter()
            .map(|(c, range)| {
                let view = &views[*c];
                range
                    .clone()
                    .filter_map(|i| {
                        view.key(i).map(|k| {
                            let sort_key = match k {
                                Key::Int(v) if exact => v as u64,
                                _ => hash_key(k),
                            };
                            (sort_key, (starts[*c] + i) as u32)
                        })
                    })
                    .collect()
            })
            .collect();
        let mut pairs: Vec<(u64, u32)> = Vec::with_capacity(parts.iter().map(Vec::len).sum());
        parts.into_iter().for_each(|p| pairs.extend(p));
        let nulls = n - pairs.len();
        // (hash, row) is unique, so the order is the same on any pool.
        pairs.par_sort_unstable();
        let mut bounds = Vec::new();
        for i in 0..pairs.len() {
            if i == 0 || pairs[i].0 != pairs[i - 1].0 {
                bounds.push(i);
            }
        }
        bounds.push(pairs.len());
        let runs = bounds.len() - 1;
        // Check every run key by key; split the rare runs whose values share a hash.
        let splits: Vec<Option<Vec<Vec<u32>>>> = (0..runs)
            .into_par_iter()
            .map(|r| {
                let rows = &pairs[bounds[r]..bounds[r + 1]];
                if exact || rows.len() == 1 {
                    return None;
                }
                let first = key_at(rows[0].1);
                if rows.iter().all(|&(_, row)| key_at(row) == first) {
                    return None;
                }
                let mut parts: Vec<(Option<Key<'_>>, Vec<u32>)> = Vec::new();
                for &(_, row) in rows {
                    let key = key_at(row);
                    match parts.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, members)) => members.push(row),
                        None => parts.push((key, vec![row])),
                    }
                }
                Some(parts.into_iter().map(|(_, members)| members).collect())
            })
            .collect();
        let mut groups: Vec<(u32, Source)> = Vec::with_capacity(runs);
        for (r, split) in splits.iter().enumerate() {
            match split {
                None => groups.push((
                    pairs[bounds[r]].1,
                    Source::Run(bounds[r] as u64, bounds[r + 1] as u64),
                )),
                Some(parts) => {
                    for (k, part) in parts.iter().enumerate() {
                        groups.push((part[0], Source::Split(r as u32, k as u32)));
                    }
                }
            }
        }
        // Number groups by their first row: IdMap's first-seen order.
        groups.par_sort_unstable_by_key(|g| g.0);
        let members = |source: Source| match source {
            Source::Run(a, b) => Members::Run(pairs[a as usize..b as usize].iter()),
            Source::Split(r, k) => Members::Split(
                splits[r as usize]
                    .as_ref()
                    .map_or(&[][..], |parts| &parts[k as usize][..])
                    .iter(),
            ),
        };
        let mut codes = vec![u32::MAX; n];
        let mut rows = Vec::with_capacity(pairs.len());
        let mut offsets = Vec::with_capacity(groups.len() + 1);
        offsets.push(0u64);
        for (g, &(_, source)) in groups.iter().enumerate() {
            for row in members(source) {
                codes[row as usize] = g as u32;
                rows.push(row);
            }
            offsets.push(rows.len() as u64);
        }
        Ok(Groups {
            codes,
            rows,
            offsets,
            nulls,
        })
    }

    /// Random-access views of the chunks and the first row of each.
    fn views(&self) -> Result<(Vec<View<'_>>, Vec<usize>)> {
        let mut views = Vec::with_capacity(self.chunks.len());
        let mut starts = Vec::with_capacity(self.chunks.len());
        let mut base = 0usize;
        for chunk in &self.chunks {
            views.push(View::of(chunk.as_ref(), &self.name, base)?);
            starts.push(base);
            base += chunk.len();
        }
        Ok((views, starts))
    }

    /// The ids of [`Column::group_rows`]' groups, in group order: the [`IdMap`] that interning
    /// the column row by row would build.
    pub fn group_ids(&self, groups: &Groups) -> Result<IdMap> {
        let (views, starts) = self.views()?;
        let mut ids = IdMap::new(self.key_kind()?);
        ids.reserve(groups.len());
        for g in 0..groups.len() {
            let row = groups.group(g)[0] as usize;
            let c = starts.partition_point(|&s| s <= row) - 1;
            if let Some(key) = views[c].key(row - starts[c]) {
                ids.intern(key)?;
            }
        }
        Ok(ids)
    }

    /// The id in `row` as plain text (integers in decimal), `None` for a null.
    pub fn key_text(&self, row: usize) -> Result<Option<String>> {
        let (views, starts) = self.views()?;
        if row >= self.rows {
            return Err(Error::argument("row", format!("row {row} is past the end")));
        }
        let c = starts.partition_point(|&s| s <= row) - 1;
        Ok(views[c].key(row - starts[c]).map(|k| match k {
            Key::Int(v) => v.to_string(),
            Key::Str(s) => s.to_string(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::super::Table;
    use super::*;
    use arrow_array::builder::{StringDictionaryBuilder, StringViewBuilder};
    use arrow_array::{ArrayRef, Int32Array, LargeStringArray, RecordBatch, UInt64Array};
    use arrow_schema::{Field, Schema};
    use proptest::prelude::*;
    use std::sync::Arc;

    fn table(chunks: Vec<ArrayRef>) -> Table {
        let schema = Arc::new(Schema::new(vec![Field::new(
            "id",
            chunks[0].data_type().clone(),
            true,
        )]));
        let batches = chunks
            .into_iter()
            .map(|c| RecordBatch::try_new(schema.clone(), vec![c]).unwrap())
            .collect();
        Table::new(schema, batches)
    }

    /// The reference: intern row by row.
    fn interned(t: &Table) -> (IdMap, Vec<u32>) {
        let col = t.column("id").unwrap();
        let mut ids = IdMap::new(col.key_kind().unwrap());
        let mut codes = Vec::new();
        col.for_each_key(|_, k| {
            codes.push(match k {
                Some(k) => ids.intern(k)?,
                None => u32::MAX,
            });
            Ok(())
        })
        .unwrap();
        (ids, codes)
    }

    fn check(t: &Table) {
        let (want_ids, want_codes) = interned(t);
        let col = t.column("id").unwrap();
        let groups = col.group_rows().unwrap();
        let ids = col.group_ids(&groups).unwrap();
        assert_eq!(groups.codes, want_codes);
        assert_eq!(ids.len(), want_ids.len());
        for g in 0..ids.len() {
            assert_eq!(ids.key(g), want_ids.key(g));
            let members: Vec<u32> = (0..want_codes.len() as u32)
                .filter(|&r| want_codes[r as usize] == g as u32)
                .collect();
            assert_eq!(groups.group(g), &members[..]);
        }
        assert_eq!(
            groups.nulls,
            want_codes.iter().filter(|&&c| c == u32::MAX).count()
        );
    }

    proptest! {
        #[test]
        fn equals_interning_for_every_shape(
            values in proptest::collection::vec(proptest::option::of(0i32..40), 1..300),
            cut in 0usize..300,
        ) {
            let cut = cut.min(values.len());
            let strings: Vec<Option<String>> =
                values.iter().map(|v| v.map(|v| format!("v{v}"))).collect();
            let ints = |r: &[Option<i32>]| Arc::new(Int32Array::from(r.to_vec())) as ArrayRef;
            check(&table(vec![ints(&values[..cut.max(1)]), ints(&values[cut.max(1)..])]));
            let large = |r: &[Option<String>]| Arc::new(LargeStringArray::from(r.to_vec())) as ArrayRef;
            check(&table(vec![large(&strings)]));
            let mut view = StringViewBuilder::new();
            strings.iter().for_each(|s| view.append_option(s.as_deref()));
            check(&table(vec![Arc::new(view.finish())]));
            let mut dict = StringDictionaryBuilder::<UInt32Type>::new();
            strings.iter().for_each(|s| match s { Some(s) => { dict.append_value(s); } None => dict.append_null() });
            check(&table(vec![Arc::new(dict.finish())]));
        }
    }

    #[test]
    fn huge_unsigned_is_a_bad_value() {
        let t = table(vec![Arc::new(UInt64Array::from(vec![1, u64::MAX]))]);
        assert!(matches!(
            t.column("id").unwrap().group_rows(),
            Err(Error::BadValue { row: 1, .. })
        ));
    }

    #[test]
    fn identical_on_any_pool() {
        let values: Vec<Option<String>> = (0..200_000)
            .map(|i| (i % 7 != 0).then(|| format!("x{}", (i * 7919) % 50_000)))
            .collect();
        let t = table(vec![Arc::new(LargeStringArray::from(values))]);
        let run = |n| {
            crate::parallel::install(Some(n), || t.column("id").unwrap().group_rows().unwrap())
                .unwrap()
        };
        assert_eq!(run(1), run(3));
    }
}
