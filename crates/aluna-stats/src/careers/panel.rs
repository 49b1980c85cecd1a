//! A person-period panel of counts, validated and laid out for trajectory models.
//!
//! Rows are grouped by person and ordered by time. Most cells of an offending panel are zero,
//! so the layout keeps two things per person: the *pattern* of periods observed (time and
//! exposure, shared by every person observed at the same periods: in a balanced panel one
//! pattern serves everyone) and the few rows with a non-zero count. A trajectory model's
//! log-likelihood of a person is then the pattern's all-zero log-likelihood (computed once per
//! pattern) plus a correction for each non-zero row, and its sufficient statistics are
//! gathered the same way.

use aluna_core::ids::{IdMap, Key};
use aluna_core::table::Table;
use aluna_core::{ensure, Error, Result};
use hashbrown::HashMap;

/// What the counts are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountModel {
    /// Counts, Poisson within a group.
    Poisson,
    /// Counts, zero-inflated Poisson within a group.
    ZeroInflatedPoisson,
    /// 0/1 outcomes, logistic within a group.
    Logit,
}

impl CountModel {
    /// The name used in the Python API.
    pub fn name(self) -> &'static str {
        match self {
            CountModel::Poisson => "poisson",
            CountModel::ZeroInflatedPoisson => "zip",
            CountModel::Logit => "logit",
        }
    }
}

/// The columns of a panel, as the user named them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelColumns {
    /// Person ids (integers or strings).
    pub person: String,
    /// Time of the period (age, year): a finite number.
    pub time: String,
    /// The count (or 0/1 outcome) in the period.
    pub count: String,
    /// Exposure: time at risk in the period (e.g. the share of a year not in custody).
    pub exposure: Option<String>,
}

/// A validated panel: the user's persons, each mapped to a unit of the compressed layout.
#[derive(Debug, Clone)]
pub struct Panel {
    /// The user's person ids; person `i` is index `i`, in order of first appearance.
    pub persons: IdMap,
    /// The unit (in [`Panel::units`]) of each person.
    pub person_unit: Vec<u32>,
    /// The distinct times, ascending.
    pub times: Vec<f64>,
    /// Rows used (exposure above zero).
    pub rows: usize,
    /// Rows skipped because their exposure is zero (they carry no information).
    pub rows_without_exposure: usize,
    /// The compressed layout the models sweep.
    pub units: Units,
}

/// Persons with identical data collapsed into weighted units, with their periods patterns and
/// non-zero rows.
///
/// Two persons observed at the same periods with the same exposures and the same counts have
/// the same likelihood and posteriors, so they form one unit of multiplicity 2 (in offending
/// data, everyone who never offends is one unit).
#[derive(Debug, Clone, Default)]
pub struct Units {
    /// Number of persons (the sum of the multiplicities).
    pub persons: usize,
    /// Persons per unit.
    pub multiplicity: Vec<f64>,
    /// The periods pattern of each unit.
    pub unit_pattern: Vec<u32>,
    /// Pattern `b`'s periods are `pattern_time[pattern_offsets[b]..pattern_offsets[b + 1]]`.
    pub pattern_offsets: Vec<usize>,
    /// Time index of each period of each pattern.
    pub pattern_time: Vec<u32>,
    /// Exposure of each period of each pattern.
    pub pattern_exposure: Vec<f64>,
    /// Units with pattern `b`: `pattern_units[pattern_unit_offsets[b]..[b + 1]]`.
    pub pattern_unit_offsets: Vec<usize>,
    /// Units grouped by pattern, ascending within a pattern.
    pub pattern_units: Vec<u32>,
    /// Unit `u`'s non-zero rows are `nonzero_*[nonzero_offsets[u]..nonzero_offsets[u + 1]]`.
    pub nonzero_offsets: Vec<usize>,
    /// Time index of each non-zero row.
    pub nonzero_time: Vec<u32>,
    /// Count of each non-zero row.
    pub nonzero_count: Vec<f64>,
    /// Exposure of each non-zero row.
    pub nonzero_exposure: Vec<f64>,
    /// `Σ y log e − log y!` over a unit's rows (zero for 0/1 outcomes).
    pub unit_constant: Vec<f64>,
    /// `Σ_u multiplicity · unit_constant`: the part of the log-likelihood no parameter touches.
    pub constant: f64,
}

fn describe(key: Key<'_>) -> String {
    match key {
        Key::Int(v) => v.to_string(),
        Key::Str(s) => format!("{s:?}"),
    }
}

impl Panel {
    /// Read and check a panel: one row per person and period.
    ///
    /// Rows may come in any order; each person's rows are ordered by time. Errors name the
    /// column and row: a null or non-finite time, a count that is negative or not a whole number
    /// (not 0 or 1 for [`CountModel::Logit`]), a negative exposure, a positive count with zero
    /// exposure, two rows of one person at the same time ([`Error::Duplicate`]). Rows with zero
    /// exposure and count are skipped and counted in [`Panel::rows_without_exposure`].
    ///
    /// # Example
    /// ```
    /// use std::sync::Arc;
    /// use aluna_core::table::Table;
    /// use aluna_stats::careers::panel::{CountModel, Panel, PanelColumns};
    /// use arrow_array::{Int64Array, RecordBatch};
    /// use arrow_schema::{DataType, Field, Schema};
    /// let schema = Arc::new(Schema::new(vec![
    ///     Field::new("id", DataType::Int64, false),
    ///     Field::new("age", DataType::Int64, false),
    ///     Field::new("n", DataType::Int64, false),
    /// ]));
    /// let batch = RecordBatch::try_new(schema.clone(), vec![
    ///     Arc::new(Int64Array::from(vec![1, 1, 2, 2, 3, 3])),
    ///     Arc::new(Int64Array::from(vec![13, 12, 12, 13, 12, 13])),
    ///     Arc::new(Int64Array::from(vec![0, 2, 0, 0, 0, 0])),
    /// ]).unwrap();
    /// let columns = PanelColumns { person: "id".into(), time: "age".into(), count: "n".into(),
    ///     exposure: None };
    /// let panel = Panel::from_table(&Table::new(schema, vec![batch]), &columns,
    ///     CountModel::Poisson).unwrap();
    /// assert_eq!(panel.times, vec![12.0, 13.0]);
    /// assert_eq!(panel.units.pattern_offsets.len(), 2); // everyone seen at ages 12 and 13
    /// assert_eq!(panel.person_unit, vec![0, 1, 1]); // persons 2 and 3 never offend
    /// assert_eq!(panel.units.multiplicity, vec![1.0, 2.0]);
    /// ```
    pub fn from_table(table: &Table, columns: &PanelColumns, model: CountModel) -> Result<Self> {
        let n_rows = table.num_rows();
        ensure!(
            n_rows > 0,
            Error::Empty {
                what: "the panel has no rows".into()
            }
        );
        let (persons, person) = table.column(&columns.person)?.categories("a person id")?;
        let time = table
            .column(&columns.time)?
            .finite_f64(f64::NEG_INFINITY, "a finite number (a time)")?;
        let count = table.column(&columns.count)?.f64_values("a count")?;
        let (expected, valid): (&'static str, fn(f64) -> bool) = match model {
            CountModel::Logit => ("0 or 1", |y| y == 0.0 || y == 1.0),
            _ => ("a whole number of at least 0 (a count)", |y| {
                y.is_finite() && y >= 0.0 && y.fract() == 0.0
            }),
        };
        if let Some((row, y)) = count.iter().enumerate().find(|(_, y)| !valid(**y)) {
            return Err(Error::bad_value(columns.count.clone(), row, expected, y));
        }
        let exposure = match &columns.exposure {
            Some(name) => {
                ensure!(
                    model != CountModel::Logit,
                    Error::argument(
                        "exposure",
                        "applies to counts (model=\"poisson\" or \"zip\"), not to 0/1 outcomes"
                    )
                );
                let e = table
                    .column(name)?
                    .finite_f64(0.0, "a finite exposure of at least 0")?;
                if let Some(row) = (0..n_rows).find(|&r| e[r] == 0.0 && count[r] > 0.0) {
                    return Err(Error::bad_value(
                        columns.count.clone(),
                        row,
                        "0 where the exposure is 0",
                        count[row],
                    ));
                }
                Some(e)
            }
            None => None,
        };

        // Rows grouped by person (counting sort), then ordered by time within a person.
        let n = persons.len();
        let mut offsets = vec![0usize; n + 1];
        for &p in &person {
            offsets[p as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let mut order = vec![0usize; n_rows];
        let mut fill = offsets.clone();
        for (row, &p) in person.iter().enumerate() {
            order[fill[p as usize]] = row;
            fill[p as usize] += 1;
        }
        for i in 0..n {
            let rows = &mut order[offsets[i]..offsets[i + 1]];
            rows.sort_by(|&a, &b| time[a].total_cmp(&time[b]).then(a.cmp(&b)));
            if let Some(w) = rows.windows(2).find(|w| time[w[0]] == time[w[1]]) {
                return Err(Error::Duplicate {
                    column: format!("{}, {}", columns.person, columns.time),
                    row: w[1],
                    first_row: w[0],
                    value: format!("({}, {})", describe(persons.key(i)), time[w[0]]),
                });
            }
        }

        let mut times: Vec<f64> = time.clone();
        times.sort_by(f64::total_cmp);
        times.dedup();

        let unit_exposure = exposure.is_none();
        let mut builder = UnitsBuilder::new(unit_exposure);
        let mut person_unit = Vec::with_capacity(n);
        let mut rows_used = 0usize;
        let mut periods: Vec<(u32, f64, f64)> = Vec::new();
        for i in 0..n {
            periods.clear();
            for &row in &order[offsets[i]..offsets[i + 1]] {
                let e = exposure.as_ref().map_or(1.0, |e| e[row]);
                if e == 0.0 {
                    continue;
                }
                // Exact: the time is one of `times`.
                let k = times.partition_point(|&x| x < time[row]) as u32;
                periods.push((k, e, count[row]));
            }
            rows_used += periods.len();
            person_unit.push(builder.add(&periods, model));
        }
        Ok(Self {
            persons,
            person_unit,
            times,
            rows: rows_used,
            rows_without_exposure: n_rows - rows_used,
            units: builder.finish(),
        })
    }
}

/// Collapses persons into units and periods into patterns, in order of first appearance.
struct UnitsBuilder {
    unit_exposure: bool,
    patterns: HashMap<Vec<u64>, u32, foldhash::fast::FixedState>,
    units: HashMap<Vec<u64>, u32, foldhash::fast::FixedState>,
    out: Units,
    key: Vec<u64>,
}

impl UnitsBuilder {
    fn new(unit_exposure: bool) -> Self {
        let mut out = Units::default();
        out.pattern_offsets.push(0);
        out.nonzero_offsets.push(0);
        Self {
            unit_exposure,
            patterns: HashMap::with_hasher(foldhash::fast::FixedState::with_seed(11)),
            units: HashMap::with_hasher(foldhash::fast::FixedState::with_seed(13)),
            out,
            key: Vec::new(),
        }
    }

    /// Add a person's periods `(time index, exposure, count)`; returns its unit.
    fn add(&mut self, periods: &[(u32, f64, f64)], model: CountModel) -> u32 {
        let out = &mut self.out;
        self.key.clear();
        for &(k, e, _) in periods {
            self.key.push(u64::from(k));
            if !self.unit_exposure {
                self.key.push(e.to_bits());
            }
        }
        let next = self.patterns.len() as u32;
        let pattern = *self.patterns.entry(self.key.clone()).or_insert_with(|| {
            for &(k, e, _) in periods {
                out.pattern_time.push(k);
                out.pattern_exposure.push(e);
            }
            out.pattern_offsets.push(out.pattern_time.len());
            next
        });
        self.key.clear();
        self.key.push(u64::from(pattern));
        for &(k, e, y) in periods.iter().filter(|p| p.2 > 0.0) {
            self.key.extend([u64::from(k), y.to_bits(), e.to_bits()]);
        }
        out.persons += 1;
        let next = self.units.len() as u32;
        let unit = *self.units.entry(self.key.clone()).or_insert_with(|| {
            let mut constant = 0.0;
            for &(k, e, y) in periods.iter().filter(|p| p.2 > 0.0) {
                out.nonzero_time.push(k);
                out.nonzero_count.push(y);
                out.nonzero_exposure.push(e);
                if model != CountModel::Logit {
                    constant += y * e.ln() - statrs::function::gamma::ln_gamma(y + 1.0);
                }
            }
            out.nonzero_offsets.push(out.nonzero_time.len());
            out.unit_pattern.push(pattern);
            out.unit_constant.push(constant);
            out.multiplicity.push(0.0);
            next
        });
        out.multiplicity[unit as usize] += 1.0;
        out.constant += out.unit_constant[unit as usize];
        unit
    }

    fn finish(mut self) -> Units {
        self.out.group_by_pattern();
        self.out
    }
}

impl Units {
    /// Number of units.
    pub fn len(&self) -> usize {
        self.unit_pattern.len()
    }

    /// Whether there are no units.
    pub fn is_empty(&self) -> bool {
        self.unit_pattern.is_empty()
    }

    /// Number of distinct periods patterns.
    pub fn patterns(&self) -> usize {
        self.pattern_offsets.len() - 1
    }

    /// The periods of pattern `b`: (time index, exposure).
    pub fn pattern(&self, b: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let r = self.pattern_offsets[b]..self.pattern_offsets[b + 1];
        self.pattern_time[r.clone()]
            .iter()
            .zip(&self.pattern_exposure[r])
            .map(|(&k, &e)| (k as usize, e))
    }

    /// The non-zero rows of unit `u`: (time index, count, exposure).
    pub fn nonzero(&self, u: usize) -> impl Iterator<Item = (usize, f64, f64)> + '_ {
        let r = self.nonzero_offsets[u]..self.nonzero_offsets[u + 1];
        self.nonzero_time[r.clone()]
            .iter()
            .zip(&self.nonzero_count[r.clone()])
            .zip(&self.nonzero_exposure[r])
            .map(|((&k, &y), &e)| (k as usize, y, e))
    }

    /// The units with pattern `b`.
    pub fn units_of_pattern(&self, b: usize) -> &[u32] {
        &self.pattern_units[self.pattern_unit_offsets[b]..self.pattern_unit_offsets[b + 1]]
    }

    fn group_by_pattern(&mut self) {
        let n_patterns = self.patterns();
        let mut offsets = vec![0usize; n_patterns + 1];
        for &b in &self.unit_pattern {
            offsets[b as usize + 1] += 1;
        }
        for b in 0..n_patterns {
            offsets[b + 1] += offsets[b];
        }
        let mut units = vec![0u32; self.unit_pattern.len()];
        let mut fill = offsets.clone();
        for (u, &b) in self.unit_pattern.iter().enumerate() {
            units[fill[b as usize]] = u as u32;
            fill[b as usize] += 1;
        }
        self.pattern_unit_offsets = offsets;
        self.pattern_units = units;
    }

    /// The units of a random subsample of `size` of the persons (`person_unit` maps persons to
    /// units), drawn with stream `(seed, key)`; `None` if there are no more persons than that.
    pub fn subsample(
        &self,
        person_unit: &[u32],
        size: usize,
        seed: u64,
        key: u64,
    ) -> Option<Units> {
        use rand::Rng;
        let n = person_unit.len();
        if n <= size {
            return None;
        }
        // The first `size` places of a seeded Fisher–Yates shuffle.
        let mut rng = aluna_core::random::stream(seed, key);
        let mut order: Vec<u32> = (0..n as u32).collect();
        for i in 0..size {
            let j = rng.random_range(i..n);
            order.swap(i, j);
        }
        let mut count = vec![0.0; self.len()];
        for &i in &order[..size] {
            count[person_unit[i as usize] as usize] += 1.0;
        }
        let mut sub = Units {
            persons: size,
            pattern_offsets: self.pattern_offsets.clone(),
            pattern_time: self.pattern_time.clone(),
            pattern_exposure: self.pattern_exposure.clone(),
            nonzero_offsets: vec![0],
            ..Units::default()
        };
        for u in (0..self.len()).filter(|&u| count[u] > 0.0) {
            for (k, y, e) in self.nonzero(u) {
                sub.nonzero_time.push(k as u32);
                sub.nonzero_count.push(y);
                sub.nonzero_exposure.push(e);
            }
            sub.nonzero_offsets.push(sub.nonzero_time.len());
            sub.unit_pattern.push(self.unit_pattern[u]);
            sub.unit_constant.push(self.unit_constant[u]);
            sub.multiplicity.push(count[u]);
            sub.constant += count[u] * self.unit_constant[u];
        }
        sub.group_by_pattern();
        Some(sub)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    use std::sync::Arc;

    pub(crate) fn table(
        person: &[&str],
        time: &[f64],
        count: &[f64],
        exposure: Option<&[f64]>,
    ) -> Table {
        let mut fields = vec![
            Field::new("id", DataType::Utf8, false),
            Field::new("age", DataType::Float64, false),
            Field::new("n", DataType::Float64, false),
        ];
        let mut arrays: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(person.to_vec())),
            Arc::new(Float64Array::from(time.to_vec())),
            Arc::new(Float64Array::from(count.to_vec())),
        ];
        if let Some(e) = exposure {
            fields.push(Field::new("e", DataType::Float64, false));
            arrays.push(Arc::new(Float64Array::from(e.to_vec())));
        }
        let schema = Arc::new(Schema::new(fields));
        let batch = RecordBatch::try_new(schema.clone(), arrays).unwrap();
        Table::new(schema, vec![batch])
    }

    fn columns(exposure: bool) -> PanelColumns {
        PanelColumns {
            person: "id".into(),
            time: "age".into(),
            count: "n".into(),
            exposure: exposure.then(|| "e".into()),
        }
    }

    #[test]
    fn layout_groups_persons_and_patterns() {
        let t = table(
            &["a", "b", "a", "c", "b", "c"],
            &[2.0, 1.0, 1.0, 1.0, 2.0, 3.0],
            &[0.0, 3.0, 1.0, 0.0, 0.0, 2.0],
            None,
        );
        let panel = Panel::from_table(&t, &columns(false), CountModel::Poisson).unwrap();
        let p = &panel.units;
        assert_eq!(panel.times, vec![1.0, 2.0, 3.0]);
        assert_eq!((p.persons, p.len()), (3, 3));
        // a and b share periods {1, 2}; c has {1, 3}
        assert_eq!(p.unit_pattern, vec![0, 0, 1]);
        assert_eq!(p.pattern(1).collect::<Vec<_>>(), vec![(0, 1.0), (2, 1.0)]);
        assert_eq!(p.nonzero(0).collect::<Vec<_>>(), vec![(0, 1.0, 1.0)]);
        assert_eq!(p.nonzero(1).collect::<Vec<_>>(), vec![(0, 3.0, 1.0)]);
        assert_eq!(p.units_of_pattern(0), &[0, 1]);
        let want = -(6f64.ln()) - 2f64.ln();
        assert!((p.constant - want).abs() < 1e-12);
    }

    #[test]
    fn bad_counts_and_duplicates_are_named() {
        let t = table(&["a", "a"], &[1.0, 2.0], &[0.0, 1.5], None);
        let err = Panel::from_table(&t, &columns(false), CountModel::Poisson).unwrap_err();
        assert!(matches!(err, Error::BadValue { row: 1, .. }), "{err}");
        let t = table(&["a", "a"], &[1.0, 2.0], &[0.0, 2.0], None);
        let err = Panel::from_table(&t, &columns(false), CountModel::Logit).unwrap_err();
        assert!(err.to_string().contains("expected 0 or 1"), "{err}");
        let t = table(&["a", "b", "a"], &[1.0, 1.0, 1.0], &[0.0, 0.0, 1.0], None);
        let err = Panel::from_table(&t, &columns(false), CountModel::Poisson).unwrap_err();
        assert_eq!(
            err,
            Error::Duplicate {
                column: "id, age".into(),
                row: 2,
                first_row: 0,
                value: "(\"a\", 1)".into()
            }
        );
    }

    #[test]
    fn identical_persons_share_a_unit_and_subsamples_keep_counts() {
        let mut ids = Vec::new();
        let mut ages = Vec::new();
        let mut counts = Vec::new();
        let names: Vec<String> = (0..40).map(|i| format!("p{i}")).collect();
        for (i, name) in names.iter().enumerate() {
            for age in [1.0, 2.0] {
                ids.push(name.as_str());
                ages.push(age);
                counts.push(if i % 4 == 0 && age == 2.0 { 1.0 } else { 0.0 });
            }
        }
        let t = table(&ids, &ages, &counts, None);
        let panel = Panel::from_table(&t, &columns(false), CountModel::Poisson).unwrap();
        assert_eq!(panel.units.multiplicity, vec![10.0, 30.0]);
        let sub = panel.units.subsample(&panel.person_unit, 12, 5, 1).unwrap();
        assert_eq!(sub.persons, 12);
        assert_eq!(sub.multiplicity.iter().sum::<f64>(), 12.0);
        assert!(panel
            .units
            .subsample(&panel.person_unit, 40, 5, 1)
            .is_none());
    }

    #[test]
    fn zero_exposure_rows_are_skipped() {
        let t = table(&["a", "a"], &[1.0, 2.0], &[0.0, 1.0], Some(&[0.0, 0.5]));
        let p = Panel::from_table(&t, &columns(true), CountModel::ZeroInflatedPoisson).unwrap();
        assert_eq!((p.rows, p.rows_without_exposure), (1, 1));
        assert!((p.units.constant - 0.5f64.ln()).abs() < 1e-12);
        let t = table(&["a"], &[1.0], &[1.0], Some(&[0.0]));
        assert!(Panel::from_table(&t, &columns(true), CountModel::Poisson).is_err());
    }
}
