//! Survival data and the nonparametric estimators: Kaplan–Meier, Nelson–Aalen, log-rank.
//!
//! Every survival routine in aluna reads its data through [`SurvivalData`], validated once:
//! `duration` (the end of follow-up, or the stop of a `(start, stop]` interval), `event`
//! (0 = censored, 1, 2, … = the cause), optional `entry` (the start: delayed entry, time-varying
//! covariates, time at risk in the community), `weights` and `strata`. Errors name the user's
//! column and the row as the user numbers it.

use aluna_core::table::Table;
use aluna_core::{ensure, Error, Result};
use ndarray::Array2;
use statrs::distribution::{ChiSquared, ContinuousCDF};

use crate::linalg::{collinear_columns, Cholesky};

/// The column names of a survival analysis, as the user gave them.
#[derive(Debug, Clone, Default)]
pub struct SurvivalColumns {
    /// Time at the end of follow-up (the stop of a `(start, stop]` interval).
    pub duration: String,
    /// 0 = censored; 1, 2, … = the event (cause) observed at `duration`.
    pub event: String,
    /// Start of the interval at risk (delayed entry); `None`: at risk from time 0.
    pub entry: Option<String>,
    /// Case weights (finite, non-negative).
    pub weights: Option<String>,
    /// Strata or groups (integers or strings).
    pub strata: Option<String>,
    /// The subject (person) of each row, for recurrent events.
    pub id: Option<String>,
    /// A column holding each row's original row number, used in error messages (rows dropped
    /// by a missing-data policy do not shift the numbers the user sees).
    pub row_number: Option<String>,
}

/// Validated survival data.
#[derive(Debug, Clone)]
pub struct SurvivalData {
    /// Start of each row's interval at risk (`None`: 0 for every row).
    pub entry: Option<Vec<f64>>,
    /// End of each row's interval.
    pub time: Vec<f64>,
    /// 0 = censored, k = cause k.
    pub event: Vec<u32>,
    /// Case weights (`None`: 1 for every row).
    pub weights: Option<Vec<f64>>,
    /// Stratum codes `0..n_strata` (`None`: one stratum).
    pub strata: Option<Vec<u32>>,
    /// Number of strata.
    pub n_strata: usize,
    /// Stratum labels as the user wrote them, by code.
    pub strata_labels: Vec<String>,
    /// Subject codes `0..` (`None`: each row its own subject).
    pub subjects: Option<Vec<u32>>,
}

/// Which event codes a routine accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventCodes {
    /// 0 = censored, 1 = event.
    Binary,
    /// 0 = censored, 1, 2, … = competing causes.
    Causes,
}

impl SurvivalData {
    /// Read and validate survival data from a table.
    ///
    /// Checks, with the first offending row named: durations finite and non-negative; entries
    /// finite, non-negative and below the duration (`stop > start`); events whole numbers 0/1
    /// (or 0, 1, 2, … for [`EventCodes::Causes`]); weights finite and non-negative; no nulls.
    ///
    /// # Example
    /// ```
    /// use aluna_stats::survival::{EventCodes, SurvivalColumns, SurvivalData};
    /// # use std::sync::Arc;
    /// # use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch};
    /// # use arrow_schema::{Field, Schema, DataType};
    /// # let schema = Arc::new(Schema::new(vec![Field::new("weeks", DataType::Float64, false),
    /// #     Field::new("arrest", DataType::Int64, false)]));
    /// # let cols: Vec<ArrayRef> = vec![Arc::new(Float64Array::from(vec![3.0, -1.0])),
    /// #     Arc::new(Int64Array::from(vec![1, 0]))];
    /// # let table = aluna_core::table::Table::new(schema.clone(),
    /// #     vec![RecordBatch::try_new(schema, cols).unwrap()]);
    /// let columns = SurvivalColumns { duration: "weeks".into(), event: "arrest".into(),
    ///     ..Default::default() };
    /// let err = SurvivalData::from_table(&table, &columns, EventCodes::Binary).unwrap_err();
    /// assert_eq!(err.to_string(),
    ///     "column `weeks`, row 1: expected a finite, non-negative duration, found -1");
    /// ```
    pub fn from_table(table: &Table, columns: &SurvivalColumns, codes: EventCodes) -> Result<Self> {
        let rows: Option<Vec<f64>> = match &columns.row_number {
            Some(c) => Some(table.column(c)?.f64_values("a row number")?),
            None => None,
        };
        let row_of = |i: usize| rows.as_ref().map_or(i, |r| r[i] as usize);
        let remap = |err: Error| match err {
            Error::BadValue {
                column,
                row,
                expected,
                found,
            } => Error::BadValue {
                column,
                row: row_of(row),
                expected,
                found,
            },
            Error::NullValue {
                column,
                row,
                expected,
            } => Error::NullValue {
                column,
                row: row_of(row),
                expected,
            },
            other => other,
        };
        let time = table
            .column(&columns.duration)?
            .finite_f64(0.0, "a finite, non-negative duration")
            .map_err(remap)?;
        let expected = match codes {
            EventCodes::Binary => "0 (censored) or 1 (event)",
            EventCodes::Causes => "0 (censored) or a cause 1, 2, …",
        };
        // Whole numbers in range: `v as u32` saturates, so the round trip is exact only for
        // 0, 1, 2, … (NaN and negatives fail it or the range check).
        let ok = |v: f64| {
            v >= 0.0
                && (v as u32) as f64 == v
                && (codes == EventCodes::Causes || v <= 1.0)
                && v < u32::MAX as f64
        };
        let bad_event =
            |row: usize, v: f64| Error::bad_value(columns.event.clone(), row_of(row), expected, v);
        let event_column = table.column(&columns.event)?;
        let event: Vec<u32> = match event_column.i64_slices() {
            // Integer codes (the usual case) are checked and narrowed in place.
            Some(slices) => {
                let mut offset = 0;
                for slice in &slices {
                    if let Some(i) = aluna_core::parallel::first_position(slice, |&v| !ok(v as f64))
                    {
                        return Err(bad_event(offset + i, slice[i] as f64));
                    }
                    offset += slice.len();
                }
                slices
                    .iter()
                    .flat_map(|s| s.iter().map(|&v| v as u32))
                    .collect()
            }
            None => {
                let raw = event_column.f64_values("an event code").map_err(remap)?;
                if let Some(i) = aluna_core::parallel::first_position(&raw, |&v| !ok(v)) {
                    return Err(bad_event(i, raw[i]));
                }
                raw.iter().map(|&v| v as u32).collect()
            }
        };
        let entry = match &columns.entry {
            Some(c) => {
                let e = table
                    .column(c)?
                    .finite_f64(0.0, "a finite, non-negative entry time")
                    .map_err(remap)?;
                if let Some((i, (s, t))) = e
                    .iter()
                    .zip(&time)
                    .enumerate()
                    .find(|(_, (s, t))| **t <= **s)
                {
                    return Err(Error::BadValue {
                        column: c.clone(),
                        row: row_of(i),
                        expected: "an entry time before the duration (stop > start)",
                        found: format!("entry {s} with {} {t}", columns.duration),
                    });
                }
                Some(e)
            }
            None => None,
        };
        let weights = match &columns.weights {
            Some(c) => Some(
                table
                    .column(c)?
                    .finite_f64(0.0, "a finite, non-negative weight")
                    .map_err(remap)?,
            ),
            None => None,
        };
        let (strata, n_strata, strata_labels) = match &columns.strata {
            Some(c) => {
                let (levels, codes) = table
                    .column(c)?
                    .categories("a stratum or group")
                    .map_err(remap)?;
                let (codes, labels) = sorted_codes(&levels, codes);
                let k = labels.len();
                (Some(codes), k, labels)
            }
            None => (None, 1, vec![String::new()]),
        };
        let subjects = match &columns.id {
            Some(c) => Some(
                table
                    .column(c)?
                    .categories("a subject id")
                    .map_err(remap)?
                    .1,
            ),
            None => None,
        };
        ensure!(
            !time.is_empty(),
            Error::Empty {
                what: "the survival table has no rows".into()
            }
        );
        Ok(Self {
            entry,
            time,
            event,
            weights,
            strata,
            n_strata,
            strata_labels,
            subjects,
        })
    }

    /// Survival data from vectors (validated as [`SurvivalData::from_table`] does).
    pub fn new(time: Vec<f64>, event: Vec<u32>) -> Result<Self> {
        let n = time.len();
        ensure!(
            event.len() == n,
            Error::argument("event", format!("{} events for {n} durations", event.len()))
        );
        if let Some((i, t)) = time
            .iter()
            .enumerate()
            .find(|(_, t)| !t.is_finite() || **t < 0.0)
        {
            return Err(Error::bad_value(
                "duration",
                i,
                "a finite, non-negative duration",
                t,
            ));
        }
        ensure!(
            n > 0,
            Error::Empty {
                what: "the survival table has no rows".into()
            }
        );
        Ok(Self {
            entry: None,
            time,
            event,
            weights: None,
            strata: None,
            n_strata: 1,
            strata_labels: vec![String::new()],
            subjects: None,
        })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.time.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.time.is_empty()
    }

    /// Row `i`'s weight.
    #[inline]
    pub fn weight(&self, i: usize) -> f64 {
        self.weights.as_ref().map_or(1.0, |w| w[i])
    }

    /// Row `i`'s entry time (0 without entry times).
    #[inline]
    pub fn start(&self, i: usize) -> f64 {
        self.entry.as_ref().map_or(f64::NEG_INFINITY, |e| e[i])
    }

    /// Row `i`'s stratum code.
    #[inline]
    pub fn stratum(&self, i: usize) -> usize {
        self.strata.as_ref().map_or(0, |s| s[i] as usize)
    }

    /// Number of rows with an event (any cause, positive weight).
    pub fn events(&self) -> usize {
        (0..self.len())
            .filter(|&i| self.event[i] > 0 && self.weight(i) > 0.0)
            .count()
    }

    /// [`Error::NotDefined`] when no row has an event.
    pub fn require_events(&self, what: &'static str) -> Result<()> {
        ensure!(
            self.events() > 0,
            Error::NotDefined {
                what,
                reason: format!(
                    "there are no events: all {} rows are censored (event = 0)",
                    self.len()
                ),
            }
        );
        Ok(())
    }

    /// Keep only the rows in `rows` (in that order).
    pub fn subset(&self, rows: &[usize]) -> Self {
        let pick = |v: &Vec<f64>| rows.iter().map(|&i| v[i]).collect::<Vec<_>>();
        Self {
            entry: self.entry.as_ref().map(pick),
            time: pick(&self.time),
            event: rows.iter().map(|&i| self.event[i]).collect(),
            weights: self.weights.as_ref().map(pick),
            strata: self
                .strata
                .as_ref()
                .map(|s| rows.iter().map(|&i| s[i]).collect()),
            n_strata: self.n_strata,
            strata_labels: self.strata_labels.clone(),
            subjects: self
                .subjects
                .as_ref()
                .map(|s| rows.iter().map(|&i| s[i]).collect()),
        }
    }

    /// The rows of each stratum.
    pub fn rows_by_stratum(&self) -> Vec<Vec<usize>> {
        if self.strata.is_none() {
            return vec![(0..self.len()).collect()];
        }
        let mut out = vec![Vec::new(); self.n_strata];
        for i in 0..self.len() {
            out[self.stratum(i)].push(i);
        }
        out
    }
}

/// The rows `rows` ordered by `values[row]`, ascending, ties in the given order (a stable LSD
/// radix sort on the floats' order-preserving bit patterns: `O(n)`, a few passes over 16-bit
/// digits, skipping digits all keys share).
///
/// # Example
/// ```
/// use aluna_stats::survival::argsort;
/// assert_eq!(argsort(&[3.0, -1.0, 2.0, 2.0], &[0, 1, 2, 3]), vec![1, 2, 3, 0]);
/// ```
pub fn argsort(values: &[f64], rows: &[usize]) -> Vec<usize> {
    let key = |v: f64| {
        let b = v.to_bits();
        if b >> 63 == 1 {
            !b
        } else {
            b | (1 << 63)
        }
    };
    if rows.len() < 256 {
        let mut out = rows.to_vec();
        out.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
        return out;
    }
    if let Some(out) = argsort_whole(values, rows) {
        return out;
    }
    let mut cur: Vec<(u64, usize)> = rows.iter().map(|&i| (key(values[i]), i)).collect();
    let mut next = vec![(0u64, 0usize); cur.len()];
    let (mut all_and, mut all_or) = (u64::MAX, 0u64);
    for &(k, _) in &cur {
        all_and &= k;
        all_or |= k;
    }
    let varying = all_and ^ all_or;
    let mut counts = vec![0usize; 1 << 16];
    for pass in 0..4 {
        let shift = 16 * pass;
        if (varying >> shift) & 0xffff == 0 {
            continue;
        }
        counts.iter_mut().for_each(|c| *c = 0);
        for &(k, _) in &cur {
            counts[((k >> shift) & 0xffff) as usize] += 1;
        }
        let mut sum = 0;
        for c in counts.iter_mut() {
            let v = *c;
            *c = sum;
            sum += v;
        }
        for &(k, i) in &cur {
            let d = ((k >> shift) & 0xffff) as usize;
            next[counts[d]] = (k, i);
            counts[d] += 1;
        }
        std::mem::swap(&mut cur, &mut next);
    }
    cur.into_iter().map(|(_, i)| i).collect()
}

/// [`argsort`] when every value is a whole number below [`WHOLE_TIMES`] (days, weeks): one
/// counting sort (stable); `None` at the first other value.
fn argsort_whole(values: &[f64], rows: &[usize]) -> Option<Vec<usize>> {
    let mut largest = 0;
    for &i in rows {
        let v = values[i];
        let k = v as usize;
        if k as f64 != v || k >= WHOLE_TIMES {
            return None;
        }
        largest = largest.max(k);
    }
    // `next[k]`: where the next row with value `k` goes.
    let mut next = vec![0usize; largest + 2];
    for &i in rows {
        next[values[i] as usize + 1] += 1;
    }
    for k in 1..next.len() {
        next[k] += next[k - 1];
    }
    let mut out = vec![0; rows.len()];
    for &i in rows {
        let slot = &mut next[values[i] as usize];
        out[*slot] = i;
        *slot += 1;
    }
    Some(out)
}

/// Recode categories so that codes follow the sorted order of the labels (numeric for integer
/// labels, lexicographic for strings): the same codes whatever the row order.
pub fn sorted_codes(levels: &aluna_core::ids::IdMap, codes: Vec<u32>) -> (Vec<u32>, Vec<String>) {
    use aluna_core::ids::Key;
    let mut order: Vec<usize> = (0..levels.len()).collect();
    order.sort_by(|&a, &b| match (levels.key(a), levels.key(b)) {
        (Key::Int(x), Key::Int(y)) => x.cmp(&y),
        (Key::Str(x), Key::Str(y)) => x.cmp(y),
        (Key::Int(_), Key::Str(_)) => std::cmp::Ordering::Less,
        (Key::Str(_), Key::Int(_)) => std::cmp::Ordering::Greater,
    });
    let mut new_code = vec![0u32; levels.len()];
    for (rank, &old) in order.iter().enumerate() {
        new_code[old] = rank as u32;
    }
    let labels = order
        .iter()
        .map(|&k| match levels.key(k) {
            Key::Int(v) => v.to_string(),
            Key::Str(s) => s.to_string(),
        })
        .collect();
    (
        codes.into_iter().map(|c| new_code[c as usize]).collect(),
        labels,
    )
}

/// One step of a survival curve: a distinct time at which something happened.
#[derive(Debug, Clone, Default)]
pub struct Curve {
    /// Distinct times of events or censoring, ascending.
    pub time: Vec<f64>,
    /// Weighted number at risk just before each time.
    pub at_risk: Vec<f64>,
    /// Weighted number of events at each time.
    pub events: Vec<f64>,
    /// Weighted number censored at each time.
    pub censored: Vec<f64>,
    /// Weighted number entering at each time (delayed entry).
    pub entered: Vec<f64>,
    /// The estimate (survival for Kaplan–Meier, cumulative hazard for Nelson–Aalen).
    pub estimate: Vec<f64>,
    /// Lower confidence limit.
    pub ci_low: Vec<f64>,
    /// Upper confidence limit.
    pub ci_high: Vec<f64>,
    /// Variance term: Greenwood's `Σ d/(n(n−d))` (KM) or `Σ d(n−d)/n³` (NA).
    pub variance_sum: Vec<f64>,
}

/// Rows per block of [`tally_by_time`] (fixed, so sums do not depend on the thread count).
const TALLY_BLOCK: usize = 1 << 16;

/// Events and censorings summed per distinct time, in time order, when the times repeat a lot
/// (whole days, weeks): hashed passes over fixed blocks of rows in parallel, merged in block
/// order, then a sort of the distinct times only. `None` when more than an eighth of the rows
/// have times of their own (sorting the rows is then cheaper). Sums run in row order within a
/// block and in block order across blocks, so results depend neither on hashing nor on the
/// number of threads.
fn tally_by_time(data: &SurvivalData, rows: &[usize]) -> Option<Vec<(f64, f64, f64)>> {
    use rayon::prelude::*;
    let limit = rows.len() / 8 + 64;
    let blocks: Vec<Option<Vec<(f64, f64, f64)>>> = rows
        .par_chunks(TALLY_BLOCK)
        .map(|block| {
            if let Some(tally) = tally_whole_times(data, block) {
                return Some(tally);
            }
            let mut tally = TimeTally::new(limit);
            for &i in block {
                let w = data.weight(i);
                let (d, c) = if data.event[i] > 0 {
                    (w, 0.0)
                } else {
                    (0.0, w)
                };
                tally.add(data.time[i], d, c)?;
            }
            Some(tally.sums)
        })
        .collect();
    let mut tally = TimeTally::new(limit);
    for block in blocks {
        for (t, d, c) in block? {
            tally.add(t, d, c)?;
        }
    }
    let mut sums = tally.sums;
    sums.sort_by(|a, b| a.0.total_cmp(&b.0));
    Some(sums)
}

/// Events and censorings per distinct time, in order of first sight, hashed on the time's bits.
struct TimeTally {
    index: hashbrown::HashMap<u64, usize, foldhash::fast::FixedState>,
    sums: Vec<(f64, f64, f64)>,
    limit: usize,
}

impl TimeTally {
    fn new(limit: usize) -> Self {
        Self {
            index: hashbrown::HashMap::with_hasher(foldhash::fast::FixedState::with_seed(7)),
            sums: Vec::new(),
            limit,
        }
    }

    /// Add `d` events and `c` censorings at `t`; `None` once there are more than `limit` times.
    fn add(&mut self, t: f64, d: f64, c: f64) -> Option<()> {
        let t = t + 0.0; // -0.0 and 0.0 are one time
        let sums = &mut self.sums;
        let slot = *self.index.entry(t.to_bits()).or_insert_with(|| {
            sums.push((t, 0.0, 0.0));
            sums.len() - 1
        });
        if sums.len() > self.limit {
            return None;
        }
        sums[slot].1 += d;
        sums[slot].2 += c;
        Some(())
    }
}

/// Largest whole-number time [`tally_whole_times`] indexes directly.
const WHOLE_TIMES: usize = 1 << 16;

/// [`tally_by_time`] for one block whose times are whole numbers below [`WHOLE_TIMES`] (days,
/// weeks): sums indexed by the time itself, no hashing; `None` at the first other time. The
/// sums run in row order, as in the hashed tally.
fn tally_whole_times(data: &SurvivalData, block: &[usize]) -> Option<Vec<(f64, f64, f64)>> {
    // Per time: events, censored, and whether a row had it (weights may all be zero).
    let mut sums: Vec<(f64, f64, bool)> = Vec::new();
    for &i in block {
        let t = data.time[i];
        let k = t as usize;
        if k as f64 != t || k >= WHOLE_TIMES {
            return None;
        }
        if k >= sums.len() {
            sums.resize(
                (k + 1).max(2 * sums.len()).min(WHOLE_TIMES),
                (0.0, 0.0, false),
            );
        }
        let w = data.weight(i);
        let slot = &mut sums[k];
        slot.2 = true;
        if data.event[i] > 0 {
            slot.0 += w;
        } else {
            slot.1 += w;
        }
    }
    Some(
        sums.iter()
            .enumerate()
            .filter(|(_, s)| s.2)
            .map(|(k, &(d, c, _))| (k as f64, d, c))
            .collect(),
    )
}

/// The risk-set table of one group: at each distinct time, weighted numbers at risk, events,
/// censored and entering.
fn risk_table(data: &SurvivalData, rows: &[usize]) -> Curve {
    if data.entry.is_none() {
        if let Some(tally) = tally_by_time(data, rows) {
            let mut curve = Curve::default();
            let mut at_risk: f64 = tally.iter().map(|(_, d, c)| d + c).sum();
            for (t, d, c) in tally {
                curve.time.push(t);
                curve.at_risk.push(at_risk);
                curve.events.push(d);
                curve.censored.push(c);
                curve.entered.push(0.0);
                at_risk -= d + c;
            }
            return curve;
        }
    }
    risk_table_sorted(data, rows)
}

/// [`risk_table`] by sorting the rows (any times, entry times).
fn risk_table_sorted(data: &SurvivalData, rows: &[usize]) -> Curve {
    let stops = argsort(&data.time, rows);
    let starts: Vec<usize> = match &data.entry {
        Some(entry) => argsort(entry, rows),
        None => Vec::new(),
    };
    let mut curve = Curve::default();
    let total: f64 = rows.iter().map(|&i| data.weight(i)).sum();
    // Without entry times everyone is at risk from the start.
    let mut at_risk = if data.entry.is_some() { 0.0 } else { total };
    let (mut ip, mut is) = (0, 0);
    while ip < stops.len() {
        let t = data.time[stops[ip]];
        // Rows entering strictly before t join the risk set.
        let mut entered = 0.0;
        while is < starts.len() && data.start(starts[is]) < t {
            let w = data.weight(starts[is]);
            at_risk += w;
            entered += w;
            is += 1;
        }
        let (mut d, mut c) = (0.0, 0.0);
        while ip < stops.len() && data.time[stops[ip]] == t {
            let i = stops[ip];
            if data.event[i] > 0 {
                d += data.weight(i);
            } else {
                c += data.weight(i);
            }
            ip += 1;
        }
        curve.time.push(t);
        curve.at_risk.push(at_risk);
        curve.events.push(d);
        curve.censored.push(c);
        curve.entered.push(entered);
        at_risk -= d + c;
    }
    curve
}

/// A column's values borrowed in place, one slice per Arrow chunk.
enum Slices<'a> {
    Float(Vec<&'a [f64]>),
    Int(Vec<&'a [i64]>),
}

impl<'a> Slices<'a> {
    /// `Float64` or `Int64` chunks without nulls; `None` for any other column.
    fn of(table: &'a Table, name: &str) -> Option<Self> {
        let column = table.column(name).ok()?;
        if let Some(s) = column.f64_slices() {
            return Some(Self::Float(s));
        }
        column.i64_slices().map(Self::Int)
    }

    /// Start of each chunk, and the total length at the end.
    fn bounds(&self) -> Vec<usize> {
        let lens: Vec<usize> = match self {
            Self::Float(s) => s.iter().map(|c| c.len()).collect(),
            Self::Int(s) => s.iter().map(|c| c.len()).collect(),
        };
        let mut out = vec![0];
        for l in lens {
            out.push(out[out.len() - 1] + l);
        }
        out
    }

    /// Rows `range` (inside one chunk starting at `start` of chunk `chunk`).
    fn piece(&self, chunk: usize, start: usize, range: std::ops::Range<usize>) -> Piece<'a> {
        let r = range.start - start..range.end - start;
        match self {
            Self::Float(s) => Piece::Float(&s[chunk][r]),
            Self::Int(s) => Piece::Int(&s[chunk][r]),
        }
    }
}

/// A run of rows of one column, inside one chunk.
#[derive(Clone, Copy)]
enum Piece<'a> {
    Float(&'a [f64]),
    Int(&'a [i64]),
}

/// A time as a count slot: `(slot, ok)`, `ok` when the time is a whole number in
/// `0..WHOLE_TIMES`, and then `slot` is the time itself (always below `WHOLE_TIMES`).
trait WholeTime: Copy {
    fn slot(self) -> (usize, bool);
}

impl WholeTime for f64 {
    #[inline]
    fn slot(self) -> (usize, bool) {
        // Adding 2^52 moves a whole number in 0..2^52 into the mantissa's low bits exactly;
        // any fraction is rounded away, so the round trip fails. NaN fails every comparison.
        const SHIFT: f64 = 4_503_599_627_370_496.0;
        let y = self + SHIFT;
        let ok = (y - SHIFT == self) & (self >= 0.0) & (self < WHOLE_TIMES as f64);
        ((y.to_bits() as usize) & (WHOLE_TIMES - 1), ok)
    }
}

impl WholeTime for i64 {
    #[inline]
    fn slot(self) -> (usize, bool) {
        (
            (self as usize) & (WHOLE_TIMES - 1),
            (self as u64) < WHOLE_TIMES as u64,
        )
    }
}

/// An event code as `(1 for an event, ok)`, `ok` for 0 and 1 only.
trait BinaryCode: Copy {
    fn code(self) -> (usize, bool);
}

impl BinaryCode for f64 {
    #[inline]
    fn code(self) -> (usize, bool) {
        let event = self == 1.0;
        (usize::from(event), event | (self == 0.0))
    }
}

impl BinaryCode for i64 {
    #[inline]
    fn code(self) -> (usize, bool) {
        ((self & 1) as usize, (self as u64) < 2)
    }
}

/// Censoring and event counts per whole-number time of one run of rows (slot `2 t` censored,
/// `2 t + 1` events); `None` when a time is not a whole number in `0..WHOLE_TIMES` or an event
/// code is not 0 or 1. Per run of 1024 rows: branch-free checks and slots, then one counter
/// increment per row.
fn count_block(time: Piece<'_>, event: Piece<'_>) -> Option<Vec<u32>> {
    fn run<T: WholeTime, E: BinaryCode>(time: &[T], event: &[E]) -> Option<Vec<u32>> {
        const RUN: usize = 1024;
        let mut counts: Vec<u32> = Vec::new();
        let mut slots = [0u32; RUN];
        let mut ok = true;
        for (time, event) in time.chunks(RUN).zip(event.chunks(RUN)) {
            let mut top = 0;
            for ((slot, &t), &e) in slots.iter_mut().zip(time).zip(event) {
                let (k, t_ok) = t.slot();
                let (c, e_ok) = e.code();
                ok &= t_ok & e_ok;
                // Below 2 WHOLE_TIMES: `slot()` masks the time.
                *slot = (2 * k + c) as u32;
                top = top.max(*slot);
            }
            if top as usize >= counts.len() {
                counts.resize(
                    (top as usize + 1)
                        .max(2 * counts.len())
                        .min(2 * WHOLE_TIMES),
                    0,
                );
            }
            for &slot in &slots[..time.len()] {
                counts[slot as usize] += 1;
            }
        }
        ok.then_some(counts)
    }
    match (time, event) {
        (Piece::Float(t), Piece::Float(e)) => run(t, e),
        (Piece::Float(t), Piece::Int(e)) => run(t, e),
        (Piece::Int(t), Piece::Float(e)) => run(t, e),
        (Piece::Int(t), Piece::Int(e)) => run(t, e),
    }
}

/// The risk table of unweighted right-censored data read in place from `table` (no copy of
/// the columns, no row index): durations whole numbers in `0..WHOLE_TIMES` (days, weeks) as
/// `Float64` or `Int64`, events 0/1 as `Float64` or `Int64`, no nulls, and no entry times,
/// weights, strata or subjects. One pass over fixed blocks of rows in parallel checks each
/// value and counts events and censorings per time; the integer counts are merged exactly, so
/// the result is the same for any number of threads. `None` when the data are not of that
/// kind or a value is invalid: [`SurvivalData::from_table`] then reads them (and names the
/// offending row).
fn risk_table_in_place(table: &Table, columns: &SurvivalColumns) -> Option<Curve> {
    use rayon::prelude::*;
    if columns.entry.is_some()
        || columns.weights.is_some()
        || columns.strata.is_some()
        || columns.id.is_some()
    {
        return None;
    }
    let time = Slices::of(table, &columns.duration)?;
    let event = Slices::of(table, &columns.event)?;
    // Runs of at most TALLY_BLOCK rows that lie inside one chunk of both columns.
    let (tb, eb) = (time.bounds(), event.bounds());
    let n = tb[tb.len() - 1];
    if n == 0 || eb[eb.len() - 1] != n {
        return None;
    }
    let mut blocks = Vec::with_capacity(n / TALLY_BLOCK + tb.len() + eb.len());
    let (mut ti, mut ei, mut at) = (0, 0, 0);
    while at < n {
        while tb[ti + 1] <= at {
            ti += 1;
        }
        while eb[ei + 1] <= at {
            ei += 1;
        }
        let end = tb[ti + 1].min(eb[ei + 1]).min(at + TALLY_BLOCK);
        blocks.push((
            time.piece(ti, tb[ti], at..end),
            event.piece(ei, eb[ei], at..end),
        ));
        at = end;
    }
    // Blocks not yet started are skipped once one has failed (the result is `None` anyway).
    let failed = std::sync::atomic::AtomicBool::new(false);
    let counts: Vec<Option<Vec<u32>>> = blocks
        .par_iter()
        .map(|&(t, e)| {
            if failed.load(std::sync::atomic::Ordering::Relaxed) {
                return None;
            }
            let counts = count_block(t, e);
            if counts.is_none() {
                failed.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            counts
        })
        .collect();
    let mut total: Vec<u64> = Vec::new();
    for block in counts {
        let block = block?;
        if block.len() > total.len() {
            total.resize(block.len(), 0);
        }
        for (sum, &c) in total.iter_mut().zip(&block) {
            *sum += u64::from(c);
        }
    }
    total.resize(total.len().next_multiple_of(2), 0);
    let mut curve = Curve::default();
    let mut at_risk = n as f64;
    for (k, pair) in total.chunks_exact(2).enumerate() {
        let (censored, events) = (pair[0], pair[1]);
        if censored + events == 0 {
            continue;
        }
        let (d, c) = (events as f64, censored as f64);
        curve.time.push(k as f64);
        curve.at_risk.push(at_risk);
        curve.events.push(d);
        curve.censored.push(c);
        curve.entered.push(0.0);
        at_risk -= d + c;
    }
    Some(curve)
}

/// Settings of [`kaplan_meier`] and [`nelson_aalen`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurveOptions {
    /// Confidence level of the pointwise intervals, e.g. 0.95.
    pub level: f64,
}

impl Default for CurveOptions {
    fn default() -> Self {
        Self { level: 0.95 }
    }
}

fn z_of(level: f64) -> Result<f64> {
    ensure!(
        level > 0.0 && level < 1.0,
        Error::argument("level", format!("must be in (0, 1), got {level}"))
    );
    use statrs::distribution::Normal;
    let normal = Normal::standard();
    Ok(normal.inverse_cdf(0.5 + level / 2.0))
}

/// The Kaplan–Meier estimate of survival, `Ŝ(t) = Π_{t_k ≤ t} (1 − d_k / n_k)`, for the rows
/// `rows` of `data` (any event code counts as the event).
///
/// `n_k` counts rows with `entry < t_k ≤ duration` (weighted); pointwise intervals use
/// Greenwood's variance `Σ d/(n(n−d))` on the log–log scale (Kalbfleisch & Prentice 2002), as
/// lifelines does: `exp(−exp(log(−log Ŝ) ± z √V / log Ŝ))`. Where `Ŝ` is 1 (before the first
/// event) the interval is (1, 1); where it reaches 0 it is (0, 0).
///
/// References: Kaplan, E. L. & Meier, P. (1958). <https://doi.org/10.1080/01621459.1958.10501452>.
/// Sequential: one sort and one sweep, `O(n log n)`.
///
/// # Example
/// ```
/// use aluna_stats::survival::{kaplan_meier, CurveOptions, SurvivalData};
/// let data = SurvivalData::new(vec![1.0, 2.0, 2.0, 3.0], vec![1, 1, 0, 1]).unwrap();
/// let km = kaplan_meier(&data, &[0, 1, 2, 3], &CurveOptions::default()).unwrap();
/// assert_eq!(km.time, vec![1.0, 2.0, 3.0]);
/// assert!((km.estimate[1] - 0.75 * (2.0 / 3.0)).abs() < 1e-12);
/// assert_eq!(km.estimate[2], 0.0);
/// ```
pub fn kaplan_meier(data: &SurvivalData, rows: &[usize], options: &CurveOptions) -> Result<Curve> {
    let z = z_of(options.level)?;
    let mut curve = risk_table(data, rows);
    kaplan_meier_steps(&mut curve, z);
    Ok(curve)
}

/// The Kaplan–Meier estimate and its log–log Greenwood intervals over a risk table.
fn kaplan_meier_steps(curve: &mut Curve, z: f64) {
    let (mut s, mut v) = (1.0f64, 0.0f64);
    for k in 0..curve.time.len() {
        let (n, d) = (curve.at_risk[k], curve.events[k]);
        if d > 0.0 && n > 0.0 {
            s *= 1.0 - d / n;
            if n > d {
                v += d / (n * (n - d));
            } else {
                v = f64::INFINITY;
            }
        }
        let s_clamped = s.max(0.0);
        curve.estimate.push(s_clamped);
        curve.variance_sum.push(v);
        let (lo, hi) = if s_clamped >= 1.0 {
            (1.0, 1.0)
        } else if s_clamped <= 0.0 || !v.is_finite() {
            (0.0, 0.0)
        } else {
            let ls = s_clamped.ln();
            let centre = (-ls).ln();
            let half = z * v.sqrt() / ls;
            (
                (-(centre - half).exp()).exp(),
                (-(centre + half).exp()).exp(),
            )
        };
        curve.ci_low.push(lo.min(hi));
        curve.ci_high.push(lo.max(hi));
    }
}

/// The Nelson–Aalen estimate of the cumulative hazard, `Ĥ(t) = Σ_{t_k ≤ t} d_k / n_k`, with
/// the binomial-type variance `Σ d_k (n_k − d_k) / n_k³` (Klein & Moeschberger 2003, as
/// lifelines) and pointwise intervals on the log scale,
/// `Ĥ exp(± z √V / Ĥ)` (Aalen 1978, <https://doi.org/10.1214/aos/1176344076>).
///
/// # Example
/// ```
/// use aluna_stats::survival::{nelson_aalen, CurveOptions, SurvivalData};
/// let data = SurvivalData::new(vec![1.0, 2.0, 2.0, 3.0], vec![1, 1, 0, 1]).unwrap();
/// let na = nelson_aalen(&data, &[0, 1, 2, 3], &CurveOptions::default()).unwrap();
/// assert!((na.estimate[2] - (0.25 + 1.0 / 3.0 + 1.0)).abs() < 1e-12);
/// ```
pub fn nelson_aalen(data: &SurvivalData, rows: &[usize], options: &CurveOptions) -> Result<Curve> {
    let z = z_of(options.level)?;
    let mut curve = risk_table(data, rows);
    nelson_aalen_steps(&mut curve, z);
    Ok(curve)
}

/// The Nelson–Aalen estimate and its log-scale intervals over a risk table.
fn nelson_aalen_steps(curve: &mut Curve, z: f64) {
    let (mut h, mut v) = (0.0f64, 0.0f64);
    for k in 0..curve.time.len() {
        let (n, d) = (curve.at_risk[k], curve.events[k]);
        if d > 0.0 && n > 0.0 {
            h += d / n;
            v += d * (n - d) / (n * n * n);
        }
        curve.estimate.push(h);
        curve.variance_sum.push(v);
        if h > 0.0 {
            let f = (z * v.sqrt() / h).exp();
            curve.ci_low.push(h / f);
            curve.ci_high.push(h * f);
        } else {
            curve.ci_low.push(0.0);
            curve.ci_high.push(0.0);
        }
    }
}

/// [`kaplan_meier`] of a whole table, read in place: the fast path for the common case of
/// unweighted right-censored data with whole-number durations (days, weeks, below 65 536) and
/// 0/1 events, as `Float64` or `Int64` columns without nulls, and no entry times, weights,
/// strata or subjects. Durations and events are checked and counted per time in one parallel
/// pass over fixed blocks of rows, without copying the columns; the counts are integers, so
/// the result is the same for any number of threads, and equal to [`kaplan_meier`] on
/// [`SurvivalData::from_table`].
///
/// `Ok(None)` when the data are not of that kind or hold an invalid value: read them with
/// [`SurvivalData::from_table`], whose errors name the column and row.
///
/// # Example
/// ```
/// use aluna_stats::survival::{kaplan_meier_in_place, CurveOptions, SurvivalColumns};
/// # use std::sync::Arc;
/// # use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch};
/// # use arrow_schema::{Field, Schema, DataType};
/// # let schema = Arc::new(Schema::new(vec![Field::new("weeks", DataType::Float64, false),
/// #     Field::new("arrest", DataType::Int64, false)]));
/// # let cols: Vec<ArrayRef> = vec![Arc::new(Float64Array::from(vec![1.0, 2.0, 2.0, 3.0])),
/// #     Arc::new(Int64Array::from(vec![1, 1, 0, 1]))];
/// # let table = aluna_core::table::Table::new(schema.clone(),
/// #     vec![RecordBatch::try_new(schema, cols).unwrap()]);
/// let columns = SurvivalColumns { duration: "weeks".into(), event: "arrest".into(),
///     ..Default::default() };
/// let options = CurveOptions::default();
/// let km = kaplan_meier_in_place(&table, &columns, &options).unwrap().unwrap();
/// assert_eq!(km.time, vec![1.0, 2.0, 3.0]);
/// assert_eq!(km.at_risk, vec![4.0, 3.0, 1.0]);
/// assert!((km.estimate[1] - 0.75 * (2.0 / 3.0)).abs() < 1e-12);
/// // Weighted data take the general path.
/// let weighted = SurvivalColumns { weights: Some("w".into()), ..columns };
/// assert!(kaplan_meier_in_place(&table, &weighted, &options).unwrap().is_none());
/// ```
pub fn kaplan_meier_in_place(
    table: &Table,
    columns: &SurvivalColumns,
    options: &CurveOptions,
) -> Result<Option<Curve>> {
    let z = z_of(options.level)?;
    Ok(risk_table_in_place(table, columns).map(|mut curve| {
        kaplan_meier_steps(&mut curve, z);
        curve
    }))
}

/// [`nelson_aalen`] of a whole table, read in place: the fast path of
/// [`kaplan_meier_in_place`] (same data, same checks, `Ok(None)` off it).
///
/// # Example
/// ```
/// use aluna_stats::survival::{nelson_aalen_in_place, CurveOptions, SurvivalColumns};
/// # use std::sync::Arc;
/// # use arrow_array::{ArrayRef, Int64Array, RecordBatch};
/// # use arrow_schema::{Field, Schema, DataType};
/// # let schema = Arc::new(Schema::new(vec![Field::new("weeks", DataType::Int64, false),
/// #     Field::new("arrest", DataType::Int64, false)]));
/// # let cols: Vec<ArrayRef> = vec![Arc::new(Int64Array::from(vec![1, 2, 2, 3])),
/// #     Arc::new(Int64Array::from(vec![1, 1, 0, 1]))];
/// # let table = aluna_core::table::Table::new(schema.clone(),
/// #     vec![RecordBatch::try_new(schema, cols).unwrap()]);
/// let columns = SurvivalColumns { duration: "weeks".into(), event: "arrest".into(),
///     ..Default::default() };
/// let na = nelson_aalen_in_place(&table, &columns, &Default::default()).unwrap().unwrap();
/// assert!((na.estimate[2] - (0.25 + 1.0 / 3.0 + 1.0)).abs() < 1e-12);
/// ```
pub fn nelson_aalen_in_place(
    table: &Table,
    columns: &SurvivalColumns,
    options: &CurveOptions,
) -> Result<Option<Curve>> {
    let z = z_of(options.level)?;
    Ok(risk_table_in_place(table, columns).map(|mut curve| {
        nelson_aalen_steps(&mut curve, z);
        curve
    }))
}

/// The mean cumulative function of recurrent events (Nelson 1995; Lawless & Nadeau 1995,
/// <https://doi.org/10.1080/00401706.1995.10485888>): `M̂(t) = Σ_{t_k ≤ t} d_k / n_k`, with
/// `n_k` the subjects under observation (rows with `entry < t_k ≤ duration`) and `d_k` the
/// events at `t_k`, and the robust variance `Σ_i (Σ_{s ≤ t} [dN_i(s) − Y_i(s) dM̂(s)] / n(s))²`
/// summed over subjects (R `survfit(..., id = id)`'s infinitesimal jackknife). A subject's rows
/// must not overlap in time. Intervals on the log scale, `M̂ exp(± z se / M̂)`.
///
/// Unweighted; one sweep over the sorted times, `O(n log n)` with running sums per subject.
///
/// # Example
/// ```
/// use aluna_stats::survival::{mean_cumulative_function, CurveOptions, SurvivalData};
/// // Subject 0: events at 1 and 3, followed to 4; subject 1: followed to 2, no events.
/// let mut data = SurvivalData::new(vec![1.0, 3.0, 4.0, 2.0], vec![1, 1, 0, 0]).unwrap();
/// data.entry = Some(vec![0.0, 1.0, 3.0, 0.0]);
/// data.subjects = Some(vec![0, 0, 0, 1]);
/// let m = mean_cumulative_function(&data, &CurveOptions::default()).unwrap();
/// assert_eq!(m.time, vec![1.0, 2.0, 3.0, 4.0]);
/// assert_eq!(m.estimate, vec![0.5, 0.5, 1.5, 1.5]);
/// ```
pub fn mean_cumulative_function(data: &SurvivalData, options: &CurveOptions) -> Result<Curve> {
    let z = z_of(options.level)?;
    let n = data.len();
    let subject = |i: usize| data.subjects.as_ref().map_or(i, |s| s[i] as usize);
    let subjects = (0..n).map(subject).max().map_or(0, |m| m + 1);
    let all: Vec<usize> = (0..n).collect();
    let mut curve = risk_table(data, &all);
    // Per subject: frozen D_i while not at risk; base_i (D_i = base_i − C) while at risk.
    let mut frozen = vec![0.0f64; subjects];
    let mut base = vec![0.0f64; subjects];
    let mut at_risk = vec![0u32; subjects];
    let (mut f2, mut sb, mut sb2, mut m, mut c) = (0.0f64, 0.0f64, 0.0f64, 0.0f64, 0.0f64);
    let starts = match &data.entry {
        Some(e) => argsort(e, &all),
        None => all.clone(),
    };
    let stops = argsort(&data.time, &all);
    let (mut is, mut ip, mut ie) = (0, 0, 0);
    let events_sorted: Vec<usize> = stops
        .iter()
        .copied()
        .filter(|&i| data.event[i] > 0)
        .collect();
    let mut h = 0.0f64;
    for k in 0..curve.time.len() {
        let t = curve.time[k];
        // Leave: rows that stopped before t.
        while ip < n && data.time[stops[ip]] < t {
            let s = subject(stops[ip]);
            at_risk[s] -= 1;
            if at_risk[s] == 0 {
                let d = base[s] - c;
                sb -= base[s];
                sb2 -= base[s] * base[s];
                m -= 1.0;
                frozen[s] = d;
                f2 += d * d;
            }
            ip += 1;
        }
        // Enter: rows that started before t.
        while is < n && data.start(starts[is]) < t {
            let s = subject(starts[is]);
            if at_risk[s] == 0 {
                let d = frozen[s];
                f2 -= d * d;
                base[s] = d + c;
                sb += base[s];
                sb2 += base[s] * base[s];
                m += 1.0;
            }
            at_risk[s] += 1;
            is += 1;
        }
        let (nk, dk) = (curve.at_risk[k], curve.events[k]);
        if dk > 0.0 && nk > 0.0 {
            h += dk / nk;
            c += dk / (nk * nk);
            while ie < events_sorted.len() && data.time[events_sorted[ie]] == t {
                let s = subject(events_sorted[ie]);
                let old = base[s];
                base[s] += 1.0 / nk;
                sb += base[s] - old;
                sb2 += base[s] * base[s] - old * old;
                ie += 1;
            }
        }
        while ie < events_sorted.len() && data.time[events_sorted[ie]] <= t {
            ie += 1;
        }
        let var = (f2 + sb2 - 2.0 * c * sb + m * c * c).max(0.0);
        curve.estimate.push(h);
        curve.variance_sum.push(var);
        if h > 0.0 {
            let f = (z * var.sqrt() / h).exp();
            curve.ci_low.push(h / f);
            curve.ci_high.push(h * f);
        } else {
            curve.ci_low.push(0.0);
            curve.ci_high.push(0.0);
        }
    }
    Ok(curve)
}

/// A `k`-sample log-rank test.
#[derive(Debug, Clone)]
pub struct LogRank {
    /// Observed (weighted) events per group.
    pub observed: Vec<f64>,
    /// Expected events per group under the null hypothesis of equal hazards.
    pub expected: Vec<f64>,
    /// The chi-squared statistic `(O − E)ᵀ V⁻ (O − E)` over the first `k − 1` groups.
    pub statistic: f64,
    /// Degrees of freedom, `k − 1`.
    pub df: usize,
    /// Upper-tail chi-squared p-value.
    pub p_value: f64,
}

/// The log-rank test that `k` groups (`data.strata` codes) share one hazard (Mantel 1966,
/// <https://pubmed.ncbi.nlm.nih.gov/5910392/>; Peto & Peto 1972): at each distinct event time,
/// observed minus expected events per group and the hypergeometric covariance
/// `V_gh = d (n_g/n)(δ_gh − n_h/n)(n − d)/(n − 1)`, summed over time.
///
/// # Example
/// ```
/// use aluna_stats::survival::{logrank, SurvivalData};
/// let mut data = SurvivalData::new(vec![1.0, 2.0, 3.0, 4.0], vec![1, 1, 1, 1]).unwrap();
/// data.strata = Some(vec![0, 0, 1, 1]);
/// data.n_strata = 2;
/// let test = logrank(&data).unwrap();
/// assert_eq!(test.df, 1);
/// assert!((test.observed[0] - 2.0).abs() < 1e-12);
/// ```
pub fn logrank(data: &SurvivalData) -> Result<LogRank> {
    let k = data.n_strata;
    ensure!(
        k >= 2,
        Error::argument("group", "the log-rank test needs at least two groups")
    );
    data.require_events("the log-rank test")?;
    // Sweep times descending, adding rows as their stop passes and removing rows whose entry
    // is at or after the current time.
    let n = data.len();
    let all: Vec<usize> = (0..n).collect();
    let mut by_stop = argsort(&data.time, &all);
    by_stop.reverse();
    let by_start: Vec<usize> = match &data.entry {
        Some(entry) => {
            let mut s = argsort(entry, &all);
            s.reverse();
            s
        }
        None => Vec::new(),
    };
    let mut risk = vec![0.0; k];
    let mut observed = vec![0.0; k];
    let mut expected = vec![0.0; k];
    let mut cov = Array2::<f64>::zeros((k, k));
    let (mut ip, mut is) = (0, 0);
    let mut deaths = vec![0.0; k];
    while ip < n {
        let t = data.time[by_stop[ip]];
        deaths.iter_mut().for_each(|d| *d = 0.0);
        while ip < n && data.time[by_stop[ip]] == t {
            let i = by_stop[ip];
            let g = data.stratum(i);
            risk[g] += data.weight(i);
            if data.event[i] > 0 {
                deaths[g] += data.weight(i);
            }
            ip += 1;
        }
        while is < by_start.len() && data.start(by_start[is]) >= t {
            let i = by_start[is];
            risk[data.stratum(i)] -= data.weight(i);
            is += 1;
        }
        let d: f64 = deaths.iter().sum();
        let nt: f64 = risk.iter().sum();
        if d <= 0.0 || nt <= 0.0 {
            continue;
        }
        let factor = if nt > 1.0 { (nt - d) / (nt - 1.0) } else { 0.0 };
        for g in 0..k {
            observed[g] += deaths[g];
            expected[g] += d * risk[g] / nt;
            for h in 0..k {
                let delta = if g == h { 1.0 } else { 0.0 };
                cov[[g, h]] += d * (risk[g] / nt) * (delta - risk[h] / nt) * factor;
            }
        }
    }
    // Use the groups that can vary: drop one group (the last with a non-degenerate variance).
    let m = k - 1;
    let sub = Array2::from_shape_fn((m, m), |(a, b)| cov[[a, b]]);
    let u: Vec<f64> = (0..m).map(|g| observed[g] - expected[g]).collect();
    let deps = collinear_columns(&sub, 1e-12);
    let keep: Vec<usize> = (0..m)
        .filter(|j| !deps.iter().any(|d| d.column == *j))
        .collect();
    let statistic = if keep.is_empty() {
        0.0
    } else {
        let s = Array2::from_shape_fn((keep.len(), keep.len()), |(a, b)| sub[[keep[a], keep[b]]]);
        let uk: Vec<f64> = keep.iter().map(|&j| u[j]).collect();
        let chol = Cholesky::new(&s).map_err(|_| Error::NotDefined {
            what: "the log-rank statistic",
            reason: "the groups' event counts have no variance".into(),
        })?;
        let x = chol.solve(&uk);
        x.iter().zip(&uk).map(|(a, b)| a * b).sum::<f64>()
    };
    let df = keep.len().max(1);
    Ok(LogRank {
        observed,
        expected,
        statistic,
        df,
        p_value: chi2_sf(statistic, df as f64),
    })
}

/// Upper-tail probability of a chi-squared variable.
pub fn chi2_sf(x: f64, df: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return 1.0;
    }
    match ChiSquared::new(df) {
        Ok(d) => d.sf(x),
        Err(_) => f64::NAN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_argsort_path_sorts_stably() {
        // Whole days (counted), the same with a half (radix), and a short list (comparison);
        // -0.0 beside 0.0 and negatives; ties must keep the given row order.
        let days: Vec<f64> = (0..3000).map(|i| ((i * 7919) % 400) as f64).collect();
        let mut halves = days.clone();
        halves[17] = 3.5;
        let mut signed = days.clone();
        signed[5] = -0.0;
        signed[9] = -2.0;
        for values in [&days, &halves, &signed] {
            let rows: Vec<usize> = (0..values.len()).rev().collect();
            for rows in [&rows[..], &rows[..100]] {
                let got = argsort(values, rows);
                let mut want = rows.to_vec();
                want.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
                assert_eq!(got, want);
            }
        }
    }

    #[test]
    fn tallies_equal_the_sorted_sweep() {
        // Three blocks of TALLY_BLOCK rows and a part: whole days, then halves (hashed), then
        // whole days again; weights with zeros; -0.0 beside 0.0.
        let n = 3 * TALLY_BLOCK + 1234;
        let time: Vec<f64> = (0..n)
            .map(|i| match i / TALLY_BLOCK {
                1 => (i % 97) as f64 / 2.0,
                _ if i % 1000 == 0 => -0.0,
                _ => (i % 89) as f64,
            })
            .collect();
        let event: Vec<u32> = (0..n).map(|i| u32::from(i % 3 != 0)).collect();
        let mut data = SurvivalData::new(time, event).unwrap();
        data.weights = Some((0..n).map(|i| (i % 5) as f64 * 0.5).collect());
        let rows: Vec<usize> = (0..n).collect();
        let tally = tally_by_time(&data, &rows).unwrap();
        let sorted = risk_table_sorted(&data, &rows);
        assert_eq!(tally.len(), sorted.time.len());
        for (k, (t, d, c)) in tally.iter().enumerate() {
            assert_eq!(*t, sorted.time[k]);
            assert!((d - sorted.events[k]).abs() < 1e-9, "{t}");
            assert!((c - sorted.censored[k]).abs() < 1e-9, "{t}");
        }
        let fast = risk_table(&data, &rows);
        for k in 0..fast.time.len() {
            assert!((fast.at_risk[k] - sorted.at_risk[k]).abs() < 1e-6);
        }
        // The same bits with one thread and with two.
        let one = aluna_core::parallel::install(Some(1), || tally_by_time(&data, &rows)).unwrap();
        let two = aluna_core::parallel::install(Some(2), || tally_by_time(&data, &rows)).unwrap();
        assert_eq!(one, two);
    }

    #[test]
    fn curves_read_in_place_equal_the_general_path() {
        use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch};
        use arrow_schema::{DataType, Field, Schema};
        use std::sync::Arc;
        // Whole days with -0.0, 0/1 events, as floats and as integers, in three record
        // batches whose edges fall inside blocks.
        let n = 3 * TALLY_BLOCK + 1234;
        let days: Vec<f64> = (0..n)
            .map(|i| match i % 1000 {
                0 => -0.0,
                _ => ((i * 7919) % 731) as f64,
            })
            .collect();
        let events: Vec<i64> = (0..n).map(|i| i64::from(i % 3 != 0)).collect();
        let columns = SurvivalColumns {
            duration: "t".into(),
            event: "e".into(),
            ..Default::default()
        };
        let table = |t_type: DataType, e_type: DataType, t_cut: usize, e_cut: usize| {
            let array = |v: &[f64], dt: &DataType| -> ArrayRef {
                match dt {
                    DataType::Int64 => Arc::new(Int64Array::from(
                        v.iter().map(|&x| x as i64).collect::<Vec<_>>(),
                    )),
                    _ => Arc::new(Float64Array::from(v.to_vec())),
                }
            };
            let schema = Arc::new(Schema::new(vec![
                Field::new("t", t_type.clone(), false),
                Field::new("e", e_type.clone(), false),
            ]));
            let e: Vec<f64> = events.iter().map(|&x| x as f64).collect();
            let mut cuts = vec![0, t_cut.min(e_cut), t_cut.max(e_cut), n];
            cuts.dedup();
            let batches = cuts
                .windows(2)
                .map(|w| {
                    let cols = vec![
                        array(&days[w[0]..w[1]], &t_type),
                        array(&e[w[0]..w[1]], &e_type),
                    ];
                    RecordBatch::try_new(schema.clone(), cols).unwrap()
                })
                .collect();
            Table::new(schema, batches)
        };
        let options = CurveOptions::default();
        for (t_type, e_type) in [
            (DataType::Float64, DataType::Int64),
            (DataType::Float64, DataType::Float64),
            (DataType::Int64, DataType::Int64),
            (DataType::Int64, DataType::Float64),
        ] {
            let table = table(t_type, e_type, 100_000, TALLY_BLOCK + 17);
            let data = SurvivalData::from_table(&table, &columns, EventCodes::Binary).unwrap();
            let rows: Vec<usize> = (0..n).collect();
            for na in [false, true] {
                let in_place = if na {
                    nelson_aalen_in_place
                } else {
                    kaplan_meier_in_place
                };
                let fast = in_place(&table, &columns, &options).unwrap().unwrap();
                let slow = if na {
                    nelson_aalen(&data, &rows, &options).unwrap()
                } else {
                    kaplan_meier(&data, &rows, &options).unwrap()
                };
                assert_eq!(fast.time, slow.time);
                assert_eq!(fast.at_risk, slow.at_risk);
                assert_eq!(fast.events, slow.events);
                assert_eq!(fast.censored, slow.censored);
                assert_eq!(fast.estimate, slow.estimate);
                assert_eq!(fast.ci_low, slow.ci_low);
                assert_eq!(fast.variance_sum, slow.variance_sum);
                // The same bits with one thread and with two.
                let curve = |threads| {
                    aluna_core::parallel::install(Some(threads), || {
                        in_place(&table, &columns, &options)
                    })
                    .unwrap()
                    .unwrap()
                    .unwrap()
                };
                let (one, two) = (curve(1), curve(2));
                assert_eq!(one.estimate, two.estimate);
                assert_eq!(one.at_risk, two.at_risk);
            }
        }
    }

    #[test]
    fn data_off_the_fast_path_go_the_general_way() {
        use arrow_array::{ArrayRef, Float64Array, Int32Array, Int64Array, RecordBatch};
        use arrow_schema::{Field, Schema};
        use std::sync::Arc;
        let read = |t: ArrayRef, e: ArrayRef, columns: &SurvivalColumns| {
            let schema = Arc::new(Schema::new(vec![
                Field::new("t", t.data_type().clone(), true),
                Field::new("e", e.data_type().clone(), true),
            ]));
            let batch = RecordBatch::try_new(schema.clone(), vec![t, e]).unwrap();
            let table = Table::new(schema, vec![batch]);
            kaplan_meier_in_place(&table, columns, &CurveOptions::default()).unwrap()
        };
        let columns = SurvivalColumns {
            duration: "t".into(),
            event: "e".into(),
            ..Default::default()
        };
        let floats = |v: Vec<f64>| -> ArrayRef { Arc::new(Float64Array::from(v)) };
        let ints = |v: Vec<i64>| -> ArrayRef { Arc::new(Int64Array::from(v)) };
        assert!(read(floats(vec![1.0, 2.0]), ints(vec![1, 0]), &columns).is_some());
        let off: [(ArrayRef, ArrayRef); 11] = [
            (floats(vec![1.0, 2.5]), ints(vec![1, 0])),
            (floats(vec![1.0, -1.0]), ints(vec![1, 0])),
            (floats(vec![1.0, f64::NAN]), ints(vec![1, 0])),
            (floats(vec![1.0, f64::INFINITY]), ints(vec![1, 0])),
            (floats(vec![1.0, WHOLE_TIMES as f64]), ints(vec![1, 0])),
            (ints(vec![1, -3]), ints(vec![1, 0])),
            (ints(vec![1, WHOLE_TIMES as i64]), ints(vec![1, 0])),
            (floats(vec![1.0, 2.0]), ints(vec![1, 2])),
            (floats(vec![1.0, 2.0]), ints(vec![1, -1])),
            (floats(vec![1.0, 2.0]), floats(vec![1.0, 0.5])),
            (
                floats(vec![1.0, 2.0]),
                Arc::new(Int32Array::from(vec![1, 0])),
            ),
        ];
        for (t, e) in off {
            assert!(
                read(t.clone(), e.clone(), &columns).is_none(),
                "{t:?} {e:?}"
            );
        }
        let nulls: ArrayRef = Arc::new(Float64Array::from(vec![Some(1.0), None]));
        assert!(read(nulls, ints(vec![1, 0]), &columns).is_none());
        for with in [
            SurvivalColumns {
                entry: Some("t".into()),
                ..columns.clone()
            },
            SurvivalColumns {
                weights: Some("t".into()),
                ..columns.clone()
            },
            SurvivalColumns {
                strata: Some("e".into()),
                ..columns.clone()
            },
            SurvivalColumns {
                id: Some("e".into()),
                ..columns.clone()
            },
        ] {
            assert!(read(floats(vec![1.0, 2.0]), ints(vec![1, 0]), &with).is_none());
        }
        // An invalid value in a later block: no curve (the general path names the row).
        let n = 5 * TALLY_BLOCK;
        let mut t = vec![1.0; n];
        t[n - 1] = 0.5;
        assert!(read(floats(t), ints(vec![0; n]), &columns).is_none());
    }

    #[test]
    fn integer_event_codes_are_read_in_place_across_chunks() {
        use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch};
        use arrow_schema::{DataType, Field, Schema};
        use std::sync::Arc;
        let schema = Arc::new(Schema::new(vec![
            Field::new("t", DataType::Float64, false),
            Field::new("e", DataType::Int64, false),
        ]));
        let batch = |e: Vec<i64>| {
            let cols: Vec<ArrayRef> = vec![
                Arc::new(Float64Array::from(vec![1.0; e.len()])),
                Arc::new(Int64Array::from(e)),
            ];
            RecordBatch::try_new(schema.clone(), cols).unwrap()
        };
        let columns = SurvivalColumns {
            duration: "t".into(),
            event: "e".into(),
            ..Default::default()
        };
        let good = Table::new(schema.clone(), vec![batch(vec![0, 1]), batch(vec![1, 0])]);
        let data = SurvivalData::from_table(&good, &columns, EventCodes::Binary).unwrap();
        assert_eq!(data.event, vec![0, 1, 1, 0]);
        let bad = Table::new(schema.clone(), vec![batch(vec![0, 1]), batch(vec![1, 5])]);
        let err = SurvivalData::from_table(&bad, &columns, EventCodes::Binary).unwrap_err();
        assert_eq!(
            err.to_string(),
            "column `e`, row 3: expected 0 (censored) or 1 (event), found 5"
        );
        let causes = SurvivalData::from_table(&bad, &columns, EventCodes::Causes).unwrap();
        assert_eq!(causes.event, vec![0, 1, 1, 5]);
        let negative = Table::new(schema.clone(), vec![batch(vec![0, -1])]);
        assert!(SurvivalData::from_table(&negative, &columns, EventCodes::Causes).is_err());
    }

    #[test]
    fn event_codes_must_be_whole_and_known() {
        use arrow_array::{ArrayRef, Float64Array, RecordBatch};
        use arrow_schema::{DataType, Field, Schema};
        use std::sync::Arc;
        let read = |codes: Vec<f64>, kind: EventCodes| {
            let schema = Arc::new(Schema::new(vec![
                Field::new("t", DataType::Float64, false),
                Field::new("e", DataType::Float64, false),
            ]));
            let cols: Vec<ArrayRef> = vec![
                Arc::new(Float64Array::from(vec![1.0; codes.len()])),
                Arc::new(Float64Array::from(codes)),
            ];
            let batch = RecordBatch::try_new(schema.clone(), cols).unwrap();
            let table = Table::new(schema, vec![batch]);
            let columns = SurvivalColumns {
                duration: "t".into(),
                event: "e".into(),
                ..Default::default()
            };
            SurvivalData::from_table(&table, &columns, kind)
        };
        let ok = read(vec![0.0, 1.0, -0.0], EventCodes::Binary).unwrap();
        assert_eq!(ok.event, vec![0, 1, 0]);
        assert_eq!(
            read(vec![0.0, 3.0], EventCodes::Causes).unwrap().event,
            vec![0, 3]
        );
        for (bad, kind) in [
            (0.5, EventCodes::Binary),
            (2.0, EventCodes::Binary),
            (-1.0, EventCodes::Causes),
            (f64::NAN, EventCodes::Causes),
            (f64::INFINITY, EventCodes::Causes),
            (2.5, EventCodes::Causes),
            (u32::MAX as f64, EventCodes::Causes),
        ] {
            let err = read(vec![0.0, bad], kind).unwrap_err();
            assert!(
                matches!(err, Error::BadValue { row: 1, .. }),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn km_with_entry() {
        // Row 2 enters at 1.5, so at time 2 the risk set is rows 1, 2 (row 0 left at 1).
        let mut data = SurvivalData::new(vec![1.0, 2.0, 3.0], vec![1, 1, 0]).unwrap();
        data.entry = Some(vec![0.0, 0.0, 1.5]);
        let km = kaplan_meier(&data, &[0, 1, 2], &CurveOptions::default()).unwrap();
        assert_eq!(km.at_risk, vec![2.0, 2.0, 1.0]);
        assert!((km.estimate[1] - 0.25).abs() < 1e-12);
    }

    #[test]
    fn km_is_monotone_and_bounded() {
        let time: Vec<f64> = (0..200).map(|i| ((i * 37) % 101) as f64).collect();
        let event: Vec<u32> = (0..200).map(|i| (i % 3 != 0) as u32).collect();
        let data = SurvivalData::new(time, event).unwrap();
        let rows: Vec<usize> = (0..200).collect();
        let km = kaplan_meier(&data, &rows, &CurveOptions::default()).unwrap();
        for w in km.estimate.windows(2) {
            assert!(w[1] <= w[0]);
        }
        for k in 0..km.time.len() {
            assert!(km.ci_low[k] <= km.estimate[k] + 1e-12);
            assert!(km.estimate[k] <= km.ci_high[k] + 1e-12);
            assert!((0.0..=1.0).contains(&km.ci_low[k]));
        }
    }
}
