//! Disclosure risk of microdata: equivalence classes of quasi-identifiers, k-anonymity,
//! l-diversity and record-level re-identification risk.
//!
//! Records that agree on every quasi-identifier (age band, sex, region ...) form an equivalence
//! class. A table is k-anonymous when every class has at least k records (Sweeney 2002 [1]);
//! l-diverse when every class holds at least l distinct values of a sensitive attribute
//! (Machanavajjhala et al. 2007 [2]). The individual risk of a record in a class of `f` sample
//! records that stand for `F` population records follows Benedetti & Franconi [3] in the
//! approximation sdcMicro uses [4]: with `p = f / F`,
//!
//! ```text
//! f = 1:  r = p / (1 - p) · ln(1 / p)
//! f = 2:  r = p / (1 - p) − (p / (1 - p))² · ln(1 / p)
//! f ≥ 3:  r = p / (f − (1 − p))
//! ```
//!
//! and `r = 1 / f` when `F = f` (no sampling weights). A null is a value of its own.
//!
//! # References
//! 1. Sweeney, L. (2002). k-anonymity: a model for protecting privacy. International Journal of
//!    Uncertainty, Fuzziness and Knowledge-Based Systems 10(5), 557-570.
//!    <https://doi.org/10.1142/S0218488502001648>
//! 2. Machanavajjhala, A., Kifer, D., Gehrke, J. & Venkitasubramaniam, M. (2007). l-diversity:
//!    privacy beyond k-anonymity. ACM Transactions on Knowledge Discovery from Data 1(1), 3.
//!    <https://doi.org/10.1145/1217299.1217302>
//! 3. Benedetti, R. & Franconi, L. (1998). Statistical and technological solutions for
//!    controlled data dissemination. Pre-proceedings of New Techniques and Technologies for
//!    Statistics, 225-232.
//! 4. Templ, M., Kowarik, A. & Meindl, B. (2015). Statistical disclosure control for
//!    micro-data using the R package sdcMicro. Journal of Statistical Software 67(4), 1-36.
//!    <https://doi.org/10.18637/jss.v067.i04>

use aluna_core::ids::IdMap;
use aluna_core::table::{Column, Table};
use aluna_core::{Error, Result};
use foldhash::fast::FixedState;
use hashbrown::HashMap;

/// The equivalence classes of a table's quasi-identifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classes {
    /// Per row, its class (classes numbered in order of first appearance).
    pub class_of_row: Vec<u32>,
    /// Per class, its number of rows.
    pub sizes: Vec<u64>,
    /// Per class, its first row.
    pub first_row: Vec<u32>,
}

impl Classes {
    /// The smallest class size (`k`); `None` for an empty table.
    pub fn k(&self) -> Option<u64> {
        self.sizes.iter().copied().min()
    }

    /// Number of classes.
    pub fn len(&self) -> usize {
        self.sizes.len()
    }

    /// Whether there are no classes.
    pub fn is_empty(&self) -> bool {
        self.sizes.is_empty()
    }
}

/// Per row, a dense code of the column's value (null is a code of its own).
fn codes(column: &Column<'_>) -> Result<Vec<u32>> {
    let mut ids = IdMap::new(column.key_kind()?);
    let mut raw: Vec<Option<u32>> = Vec::with_capacity(column.len());
    column.for_each_key(|_, key| {
        raw.push(match key {
            Some(k) => Some(ids.intern(k)?),
            None => None,
        });
        Ok(())
    })?;
    let null = ids.len() as u32;
    Ok(raw.into_iter().map(|c| c.unwrap_or(null)).collect())
}

/// Group the rows of `table` by the values of `columns` (integers or strings; dictionaries
/// count as their values; null is a value of its own).
///
/// Runs one hashing pass per column, refining the classes of the previous columns. Serial; the
/// result depends only on the data.
///
/// # Example
/// ```
/// use std::sync::Arc;
/// use aluna_core::table::Table;
/// use aluna_privacy::disclosure::equivalence_classes;
/// use arrow_array::{Int64Array, RecordBatch, StringArray};
/// use arrow_schema::{DataType, Field, Schema};
/// let schema = Arc::new(Schema::new(vec![
///     Field::new("sex", DataType::Utf8, true),
///     Field::new("age", DataType::Int64, true),
/// ]));
/// let sex = StringArray::from(vec![Some("f"), Some("f"), Some("m"), None]);
/// let age = Int64Array::from(vec![30, 30, 30, 30]);
/// let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(sex), Arc::new(age)]).unwrap();
/// let classes = equivalence_classes(&Table::new(schema, vec![batch]), &["sex", "age"]).unwrap();
/// assert_eq!(classes.class_of_row, vec![0, 0, 1, 2]);
/// assert_eq!(classes.sizes, vec![2, 1, 1]);
/// assert_eq!(classes.k(), Some(1));
/// ```
pub fn equivalence_classes(table: &Table, columns: &[&str]) -> Result<Classes> {
    if columns.is_empty() {
        return Err(Error::argument(
            "quasi_identifiers",
            "name at least one quasi-identifier column",
        ));
    }
    let n = table.num_rows();
    let mut class_of_row = vec![0u32; n];
    for name in columns {
        let column_codes = codes(&table.column(name)?)?;
        let mut seen: HashMap<(u32, u32), u32, FixedState> =
            HashMap::with_hasher(FixedState::with_seed(0));
        for (row, class) in class_of_row.iter_mut().enumerate() {
            let next = seen.len() as u32;
            *class = *seen.entry((*class, column_codes[row])).or_insert(next);
        }
    }
    let n_classes = class_of_row.iter().max().map_or(0, |&m| m as usize + 1);
    let mut sizes = vec![0u64; n_classes];
    let mut first_row = vec![u32::MAX; n_classes];
    for (row, &c) in class_of_row.iter().enumerate() {
        sizes[c as usize] += 1;
        if first_row[c as usize] == u32::MAX {
            first_row[c as usize] = row as u32;
        }
    }
    Ok(Classes {
        class_of_row,
        sizes,
        first_row,
    })
}

/// Diversity of a sensitive attribute within each class.
#[derive(Debug, Clone, PartialEq)]
pub struct Diversity {
    /// Per class, the number of distinct non-null sensitive values (distinct l-diversity).
    pub distinct: Vec<u64>,
    /// Per class, `exp(H)` with `H` the Shannon entropy (natural log) of the non-null
    /// sensitive values' shares (entropy l-diversity); 0 for a class with none.
    pub entropy: Vec<f64>,
}

/// Distinct and entropy l-diversity of `sensitive` within `classes` (nulls are left out: an
/// unknown value discloses nothing).
///
/// # Example
/// ```
/// use std::sync::Arc;
/// use aluna_core::table::Table;
/// use aluna_privacy::disclosure::{equivalence_classes, l_diversity};
/// use arrow_array::{RecordBatch, StringArray};
/// use arrow_schema::{DataType, Field, Schema};
/// let schema = Arc::new(Schema::new(vec![
///     Field::new("region", DataType::Utf8, false),
///     Field::new("offence", DataType::Utf8, false),
/// ]));
/// let region = StringArray::from(vec!["a", "a", "b", "b"]);
/// let offence = StringArray::from(vec!["x", "y", "x", "x"]);
/// let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(region), Arc::new(offence)]).unwrap();
/// let table = Table::new(schema, vec![batch]);
/// let classes = equivalence_classes(&table, &["region"]).unwrap();
/// let d = l_diversity(&table, &classes, "offence").unwrap();
/// assert_eq!(d.distinct, vec![2, 1]);
/// assert!((d.entropy[0] - 2.0).abs() < 1e-12 && d.entropy[1] == 1.0);
/// ```
pub fn l_diversity(table: &Table, classes: &Classes, sensitive: &str) -> Result<Diversity> {
    let column = table.column(sensitive)?;
    let mut ids = IdMap::new(column.key_kind()?);
    let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(column.len());
    column.for_each_key(|row, key| {
        if let Some(k) = key {
            pairs.push((classes.class_of_row[row], ids.intern(k)?));
        }
        Ok(())
    })?;
    pairs.sort_unstable();
    let n_classes = classes.len();
    let mut distinct = vec![0u64; n_classes];
    let mut entropy = vec![0.0f64; n_classes];
    let mut totals = vec![0u64; n_classes];
    for &(c, _) in &pairs {
        totals[c as usize] += 1;
    }
    let mut start = 0;
    while start < pairs.len() {
        let mut end = start;
        while end < pairs.len() && pairs[end] == pairs[start] {
            end += 1;
        }
        let c = pairs[start].0 as usize;
        distinct[c] += 1;
        let share = (end - start) as f64 / totals[c] as f64;
        entropy[c] -= share * share.ln();
        start = end;
    }
    let entropy = entropy
        .iter()
        .zip(&totals)
        .map(|(h, &t)| if t == 0 { 0.0 } else { h.exp() })
        .collect();
    Ok(Diversity { distinct, entropy })
}

/// Record-level re-identification risk.
#[derive(Debug, Clone, PartialEq)]
pub struct Risk {
    /// Per row, its estimated probability of re-identification.
    pub risk: Vec<f64>,
    /// Per row, the size of its class in the sample (`f_k`).
    pub sample_frequency: Vec<u64>,
    /// Per row, the estimated size of its class in the population (`F_k`, the class's sum of
    /// weights; equal to `f_k` without weights).
    pub population_frequency: Vec<f64>,
}

impl Risk {
    /// The expected number of re-identifications: the sum of the individual risks.
    pub fn expected_reidentifications(&self) -> f64 {
        self.risk.iter().sum()
    }
}

/// Benedetti–Franconi individual risk of a class of `f` sample records standing for `big_f`
/// population records (sdcMicro's `indivRisk(method = "approx")`).
pub fn individual_risk(f: u64, big_f: f64) -> f64 {
    let fk = f as f64;
    let p = fk / big_f;
    if p >= 1.0 {
        return 1.0 / fk;
    }
    let odds = p / (1.0 - p);
    match f {
        1 => odds * (1.0 / p).ln(),
        2 => odds - odds * odds * (1.0 / p).ln(),
        _ => p / (fk - (1.0 - p)),
    }
}

/// Individual re-identification risk of every record, its class's sample frequency and its
/// estimated population frequency (see the module documentation).
///
/// `weights` are sampling weights (how many population records each sample record stands
/// for: finite, at least 1); without them the sample is the population and the risk is
/// `1 / f`.
///
/// # Example
/// ```
/// use aluna_privacy::disclosure::{reidentification_risk, Classes};
/// let classes = Classes { class_of_row: vec![0, 0, 1], sizes: vec![2, 1], first_row: vec![0, 2] };
/// let r = reidentification_risk(&classes, None).unwrap();
/// assert_eq!(r.risk, vec![0.5, 0.5, 1.0]);
/// assert_eq!(r.expected_reidentifications(), 2.0);
/// ```
pub fn reidentification_risk(classes: &Classes, weights: Option<&[f64]>) -> Result<Risk> {
    let n = classes.class_of_row.len();
    let mut population = vec![0.0f64; classes.len()];
    match weights {
        Some(w) => {
            if w.len() != n {
                return Err(Error::argument(
                    "weights",
                    format!("{} weights for {n} rows", w.len()),
                ));
            }
            if let Some((row, v)) = w
                .iter()
                .enumerate()
                .find(|(_, v)| !(v.is_finite() && **v >= 1.0))
            {
                return Err(Error::bad_value(
                    "weights",
                    row,
                    "a finite sampling weight of at least 1",
                    v,
                ));
            }
            // Sum in row order: the same bits on every run.
            for (row, &c) in classes.class_of_row.iter().enumerate() {
                population[c as usize] += w[row];
            }
        }
        None => {
            for (c, &s) in classes.sizes.iter().enumerate() {
                population[c] = s as f64;
            }
        }
    }
    let class_risk: Vec<f64> = classes
        .sizes
        .iter()
        .zip(&population)
        .map(|(&f, &big_f)| individual_risk(f, big_f))
        .collect();
    Ok(Risk {
        risk: classes
            .class_of_row
            .iter()
            .map(|&c| class_risk[c as usize])
            .collect(),
        sample_frequency: classes
            .class_of_row
            .iter()
            .map(|&c| classes.sizes[c as usize])
            .collect(),
        population_frequency: classes
            .class_of_row
            .iter()
            .map(|&c| population[c as usize])
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// E[1/F | f] under the negative-binomial posterior F - f ~ NB(f, p), summed directly; the
    /// closed forms for f = 1, 2 are exact for it.
    fn posterior_mean_inverse(f: u64, p: f64) -> f64 {
        let mut total = 0.0;
        // P(F = f + m) = C(f + m - 1, m) p^f (1 - p)^m
        let mut log_c = 0.0f64;
        for m in 0..200_000u64 {
            if m > 0 {
                log_c += ((f + m - 1) as f64).ln() - (m as f64).ln();
            }
            let prob = (log_c + f as f64 * p.ln() + m as f64 * (1.0 - p).ln()).exp();
            total += prob / (f + m) as f64;
        }
        total
    }

    #[test]
    fn closed_forms_equal_the_posterior_mean_for_small_classes() {
        for f in [1u64, 2] {
            for p in [0.05, 0.3, 0.8] {
                let big_f = f as f64 / p;
                let exact = posterior_mean_inverse(f, p);
                assert!(
                    (individual_risk(f, big_f) - exact).abs() < 1e-9,
                    "f={f} p={p}"
                );
            }
        }
        assert_eq!(individual_risk(4, 4.0), 0.25);
        assert!((individual_risk(3, 30.0) - 0.1 / (3.0 - 0.9)).abs() < 1e-15);
    }

    #[test]
    fn weights_are_checked() {
        let classes = Classes {
            class_of_row: vec![0, 0],
            sizes: vec![2],
            first_row: vec![0],
        };
        assert!(matches!(
            reidentification_risk(&classes, Some(&[1.0, 0.5])),
            Err(Error::BadValue { row: 1, .. })
        ));
        assert!(reidentification_risk(&classes, Some(&[1.0])).is_err());
        let r = reidentification_risk(&classes, Some(&[10.0, 10.0])).unwrap();
        assert_eq!(r.population_frequency, vec![20.0, 20.0]);
    }
}
