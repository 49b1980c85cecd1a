//! Specialisation, versatility and escalation in offending.
//!
//! * [`diversity`]: Blau's (1977) index, Simpson's index of diversity, per person:
//!   `D = 1 − Σ_k p_k²` over the shares `p_k` of a person's offences in each type.
//! * [`forward_specialisation`]: Farrington's (1986) forward specialisation coefficient per
//!   type from the transitions between successive offences, with adjusted residuals, and its
//!   pooled form (Cohen's κ of the transition table).
//! * [`escalation`]: the trend of a seriousness score over each person's offences and the
//!   pooled within-person trend with a cluster-robust test.

use aluna_core::ids::{IdMap, Key};
use aluna_core::table::Table;
use aluna_core::{ensure, Error, Result};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// Level indices ordered by label (numbers numerically, strings lexicographically), and each
/// level's rank in that order.
pub fn sorted_levels(levels: &IdMap) -> (Vec<u32>, Vec<u32>) {
    let mut order: Vec<u32> = (0..levels.len() as u32).collect();
    order.sort_by(
        |&a, &b| match (levels.key(a as usize), levels.key(b as usize)) {
            (Key::Int(x), Key::Int(y)) => x.cmp(&y),
            (Key::Str(x), Key::Str(y)) => x.cmp(y),
            (Key::Int(_), Key::Str(_)) => std::cmp::Ordering::Less,
            (Key::Str(_), Key::Int(_)) => std::cmp::Ordering::Greater,
        },
    );
    let mut rank = vec![0u32; levels.len()];
    for (r, &level) in order.iter().enumerate() {
        rank[level as usize] = r as u32;
    }
    (order, rank)
}

/// A column that orders events in time: numbers, dates or datetimes, as floats.
fn order_key(table: &Table, name: &str) -> Result<Vec<f64>> {
    let column = table.column(name)?;
    if column.time_kind().is_ok() {
        let (_, values) = column.time_values("a time")?;
        return Ok(values.into_iter().map(|v| v as f64).collect());
    }
    column
        .finite_f64(f64::NEG_INFINITY, "a finite number (a time)")
        .map_err(|err| match err {
            Error::WrongType { column, found, .. } => Error::WrongType {
                column,
                expected: "numbers, dates or datetimes (a time)",
                found,
            },
            other => other,
        })
}

/// Row indices grouped by person (in order of first appearance) and ordered by time within a
/// person; rows at the same time keep their order in the table.
fn sequences(person: &[u32], n_persons: usize, time: &[f64]) -> (Vec<usize>, Vec<usize>) {
    let mut offsets = vec![0usize; n_persons + 1];
    for &p in person {
        offsets[p as usize + 1] += 1;
    }
    for i in 0..n_persons {
        offsets[i + 1] += offsets[i];
    }
    let mut order = vec![0usize; person.len()];
    let mut fill = offsets.clone();
    for (row, &p) in person.iter().enumerate() {
        order[fill[p as usize]] = row;
        fill[p as usize] += 1;
    }
    for i in 0..n_persons {
        order[offsets[i]..offsets[i + 1]]
            .sort_by(|&a, &b| time[a].total_cmp(&time[b]).then(a.cmp(&b)));
    }
    (offsets, order)
}

/// The columns of the specialisation measures: one row per offence (or per person and type
/// with a count).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffenceColumns {
    /// Person ids.
    pub person: String,
    /// Offence type (categories: strings or integers).
    pub offence_type: String,
    /// When the offence happened (numbers, dates or datetimes); needed for sequences.
    pub time: Option<String>,
    /// How many offences the row stands for (default 1).
    pub count: Option<String>,
}

/// One person's offence mix.
#[derive(Debug, Clone, PartialEq)]
pub struct Diversity {
    /// Number of offences.
    pub offences: f64,
    /// Number of types with at least one offence.
    pub types: usize,
    /// `1 − Σ p_k²` (`None` without offences).
    pub diversity: Option<f64>,
    /// The index over its maximum `1 − 1/K`, `K` the types in the data (`None` if `K = 1`).
    pub normalised: Option<f64>,
}

/// Blau's diversity index per person, in order of first appearance.
///
/// `D = 1 − Σ_k p_k²`, `p_k` the share of the person's offences of type `k`: 0 for a
/// specialist, approaching `1 − 1/K` for someone whose offences spread evenly over all `K`
/// types in the data; the normalised index divides by `1 − 1/K` (Mazerolle et al. 2000).
/// Counts must be whole numbers of at least 0. One pass plus a sort of the rows.
///
/// # Example
/// ```
/// # use std::sync::Arc;
/// # use aluna_core::table::Table;
/// # use arrow_array::{Int64Array, RecordBatch, StringArray};
/// # use arrow_schema::{DataType, Field, Schema};
/// use aluna_stats::careers::specialisation::{diversity, OffenceColumns};
/// # let schema = Arc::new(Schema::new(vec![Field::new("id", DataType::Int64, false),
/// #     Field::new("type", DataType::Utf8, false)]));
/// # let batch = RecordBatch::try_new(schema.clone(), vec![
/// #     Arc::new(Int64Array::from(vec![1, 1, 2, 2])),
/// #     Arc::new(StringArray::from(vec!["theft", "sexual", "theft", "theft"]))]).unwrap();
/// let columns = OffenceColumns { person: "id".into(), offence_type: "type".into(),
///     time: None, count: None };
/// let (_, d, k) = diversity(&Table::new(schema, vec![batch]), &columns).unwrap();
/// assert_eq!((d[0].diversity, d[1].diversity, k), (Some(0.5), Some(0.0), 2));
/// ```
pub fn diversity(
    table: &Table,
    columns: &OffenceColumns,
) -> Result<(IdMap, Vec<Diversity>, usize)> {
    ensure!(
        table.num_rows() > 0,
        Error::Empty {
            what: "the table has no offences".into()
        }
    );
    let (persons, person) = table.column(&columns.person)?.categories("a person id")?;
    let (types, offence_type) = table
        .column(&columns.offence_type)?
        .categories("an offence type")?;
    let count = counts(table, columns.count.as_deref())?;
    let mut cells: Vec<(u32, u32, f64)> = (0..person.len())
        .filter(|&r| count[r] > 0.0)
        .map(|r| (person[r], offence_type[r], count[r]))
        .collect();
    cells.sort_by_key(|&(p, t, _)| (p, t));
    let mut present = vec![false; types.len()];
    let mut by_person: Vec<Vec<f64>> = vec![Vec::new(); persons.len()];
    let mut at = 0;
    while at < cells.len() {
        let (p, t, _) = cells[at];
        let mut n = 0.0;
        while at < cells.len() && cells[at].0 == p && cells[at].1 == t {
            n += cells[at].2;
            at += 1;
        }
        present[t as usize] = true;
        by_person[p as usize].push(n);
    }
    let k = present.iter().filter(|&&x| x).count();
    let out = by_person
        .iter()
        .map(|n| {
            let total: f64 = n.iter().sum();
            let d = (total > 0.0).then(|| 1.0 - n.iter().map(|x| (x / total).powi(2)).sum::<f64>());
            Diversity {
                offences: total,
                types: n.len(),
                diversity: d,
                normalised: d.filter(|_| k > 1).map(|d| d / (1.0 - 1.0 / k as f64)),
            }
        })
        .collect();
    Ok((persons, out, k))
}

fn counts(table: &Table, column: Option<&str>) -> Result<Vec<f64>> {
    match column {
        Some(name) => {
            let values = table.column(name)?.f64_values("a count")?;
            if let Some((row, v)) = values
                .iter()
                .enumerate()
                .find(|(_, v)| !(v.is_finite() && **v >= 0.0 && v.fract() == 0.0))
            {
                return Err(Error::bad_value(
                    name,
                    row,
                    "a whole number of at least 0 (a count)",
                    v,
                ));
            }
            Ok(values)
        }
        None => Ok(vec![1.0; table.num_rows()]),
    }
}

/// The forward specialisation of one offence type.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeSpecialisation {
    /// Transitions from this type (offences of this type followed by another offence), `R_a`.
    pub transitions: f64,
    /// Transitions from this type to this type, `O_aa`.
    pub repeats: f64,
    /// Repeats expected without specialisation, `E_aa = R_a C_a / N`.
    pub expected: f64,
    /// `(O_aa − E_aa) / (R_a − E_aa)` (`None` where `R_a = E_aa`).
    pub coefficient: Option<f64>,
    /// `(O_aa − E_aa) / √(E_aa (1 − R_a/N)(1 − C_a/N))` (`None` where that is 0).
    pub adjusted_residual: Option<f64>,
}

/// Forward specialisation in a set of offence sequences.
#[derive(Debug, Clone, PartialEq)]
pub struct Specialisation {
    /// The types, in sorted order: indices into the type levels.
    pub types: Vec<u32>,
    /// Transition counts `O[a][b]` from type `a` to type `b`, in sorted type order.
    pub transitions: Vec<Vec<f64>>,
    /// Per type, in sorted order.
    pub by_type: Vec<TypeSpecialisation>,
    /// Cohen's κ of the transition table, `(Σ O_aa − Σ E_aa) / (N − Σ E_aa)`: the pooled
    /// forward specialisation coefficient.
    pub overall: Option<f64>,
    /// Number of transitions `N`.
    pub total: f64,
    /// Persons with at least one transition.
    pub persons: usize,
}

/// Farrington's forward specialisation coefficient from the transitions between each person's
/// successive offences.
///
/// Offences of a person are ordered by `time` (rows at the same time keep their table order,
/// so give a finer time or sort within ties yourself); each pair of successive offences is a
/// transition from the first type to the second, and rows with a count of `c` stand for `c`
/// offences of that type at that time (`c − 1` repeats). With `O` the transition table, row
/// totals `R`, column totals `C` and `N` transitions, the coefficient of type `a` is
/// `(O_aa − E_aa) / (R_a − E_aa)`, `E_aa = R_a C_a / N`: 0 when the next offence's type is
/// independent of this one, 1 when type `a` is always followed by type `a` (Farrington 1986;
/// Farrington, Snyder & Finnegan 1988). The adjusted residual tests `O_aa = E_aa` (Haberman
/// 1973). One pass plus a sort of the rows.
///
/// # Example
/// ```
/// # use std::sync::Arc;
/// # use aluna_core::table::Table;
/// # use arrow_array::{Int64Array, RecordBatch, StringArray};
/// # use arrow_schema::{DataType, Field, Schema};
/// use aluna_stats::careers::specialisation::{forward_specialisation, OffenceColumns};
/// # let schema = Arc::new(Schema::new(vec![Field::new("id", DataType::Int64, false),
/// #     Field::new("t", DataType::Int64, false), Field::new("type", DataType::Utf8, false)]));
/// # let batch = RecordBatch::try_new(schema.clone(), vec![
/// #     Arc::new(Int64Array::from(vec![1, 1, 1, 2, 2, 2])),
/// #     Arc::new(Int64Array::from(vec![1, 2, 3, 1, 2, 3])),
/// #     Arc::new(StringArray::from(vec!["a", "a", "a", "b", "b", "b"]))]).unwrap();
/// // Two complete specialists: every transition repeats the type.
/// let columns = OffenceColumns { person: "id".into(), offence_type: "type".into(),
///     time: Some("t".into()), count: None };
/// let (_, s) = forward_specialisation(&Table::new(schema, vec![batch]), &columns).unwrap();
/// assert_eq!(s.by_type[0].coefficient, Some(1.0));
/// assert_eq!(s.overall, Some(1.0));
/// ```
pub fn forward_specialisation(
    table: &Table,
    columns: &OffenceColumns,
) -> Result<(IdMap, Specialisation)> {
    let time_column = columns
        .time
        .as_deref()
        .ok_or_else(|| Error::argument("time", "a time column is needed to order offences"))?;
    ensure!(
        table.num_rows() > 0,
        Error::Empty {
            what: "the table has no offences".into()
        }
    );
    let (persons, person) = table.column(&columns.person)?.categories("a person id")?;
    let (types, offence_type) = table
        .column(&columns.offence_type)?
        .categories("an offence type")?;
    let time = order_key(table, time_column)?;
    let count = counts(table, columns.count.as_deref())?;
    let (order, rank) = sorted_levels(&types);
    let k = types.len();
    let (offsets, rows) = sequences(&person, persons.len(), &time);
    let mut o = vec![vec![0.0; k]; k];
    let mut with_transition = 0;
    for i in 0..persons.len() {
        let mut previous: Option<usize> = None;
        let mut any = false;
        for &row in &rows[offsets[i]..offsets[i + 1]] {
            let c = count[row];
            if c == 0.0 {
                continue;
            }
            let t = rank[offence_type[row] as usize] as usize;
            if let Some(p) = previous {
                o[p][t] += 1.0;
                any = true;
            }
            if c > 1.0 {
                o[t][t] += c - 1.0;
                any = true;
            }
            previous = Some(t);
        }
        with_transition += usize::from(any);
    }
    let total: f64 = o.iter().flatten().sum();
    ensure!(
        total > 0.0,
        Error::NotDefined {
            what: "forward specialisation",
            reason: "no person has two offences, so there are no transitions".into(),
        }
    );
    let row_sum: Vec<f64> = o.iter().map(|r| r.iter().sum()).collect();
    let col_sum: Vec<f64> = (0..k).map(|b| o.iter().map(|r| r[b]).sum()).collect();
    let by_type: Vec<TypeSpecialisation> = (0..k)
        .map(|a| {
            let (r, c, n) = (row_sum[a], col_sum[a], total);
            let e = r * c / n;
            let denominator = r - e;
            let v = e * (1.0 - r / n) * (1.0 - c / n);
            TypeSpecialisation {
                transitions: r,
                repeats: o[a][a],
                expected: e,
                coefficient: (denominator > 0.0).then(|| (o[a][a] - e) / denominator),
                adjusted_residual: (v > 0.0).then(|| (o[a][a] - e) / v.sqrt()),
            }
        })
        .collect();
    let observed: f64 = (0..k).map(|a| o[a][a]).sum();
    let expected: f64 = by_type.iter().map(|t| t.expected).sum();
    Ok((
        types,
        Specialisation {
            types: order,
            transitions: o,
            by_type,
            overall: (total > expected).then(|| (observed - expected) / (total - expected)),
            total,
            persons: with_transition,
        },
    ))
}

/// What the seriousness trend runs over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrendOver {
    /// The offence number: 1, 2, ... in time order.
    Sequence,
    /// The time of the offence.
    Time,
}

/// One person's seriousness trend.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonTrend {
    /// Number of offences.
    pub offences: usize,
    /// Mean seriousness.
    pub mean: f64,
    /// Seriousness of the first and last offence.
    pub first: f64,
    /// See `first`.
    pub last: f64,
    /// Least-squares slope of seriousness on the offence number or time (`None` with fewer
    /// than two offences or a single distinct time).
    pub slope: Option<f64>,
}

/// The pooled within-person trend and its test.
#[derive(Debug, Clone, PartialEq)]
pub struct Escalation {
    /// Per person, in order of first appearance.
    pub persons: Vec<PersonTrend>,
    /// `β = Σ_i Σ_k (x_ik − x̄_i)(s_ik − s̄_i) / Σ_i Σ_k (x_ik − x̄_i)²`.
    pub estimate: f64,
    /// Cluster-robust standard error by person.
    pub std_error: f64,
    /// `β / se`.
    pub statistic: f64,
    /// Degrees of freedom of the t reference: persons with a slope minus 1.
    pub df: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// Confidence interval at the requested level.
    pub ci: (f64, f64),
    /// Persons with a slope (the clusters of the test).
    pub clusters: usize,
    /// Offences of those persons.
    pub offences: usize,
}

/// The trend of a seriousness score over each person's offences, and a test that the average
/// within-person trend is zero.
///
/// Per person, the least-squares slope of seriousness on the offence number (1, 2, ... in time
/// order; rows at the same time keep their table order) or on time. The pooled estimate is the
/// within-person (fixed-effects) slope; its standard error is cluster-robust by person,
/// `V = G/(G−1) Σ_i (Σ_k x̃_ik ẽ_ik)² / (Σ x̃²)²` (`x̃`, `ẽ` centred on the person's means,
/// `G` persons with a slope; person effects are not counted as parameters, Cameron & Miller
/// 2015), and the test uses Student's t with `G − 1` degrees of freedom. Persons with fewer than
/// two offences (or a single distinct time) have no slope and are left out of the test.
///
/// # Example
/// ```
/// # use std::sync::Arc;
/// # use aluna_core::table::Table;
/// # use arrow_array::{Float64Array, Int64Array, RecordBatch};
/// # use arrow_schema::{DataType, Field, Schema};
/// use aluna_stats::careers::specialisation::{escalation, TrendOver};
/// # let schema = Arc::new(Schema::new(vec![Field::new("id", DataType::Int64, false),
/// #     Field::new("t", DataType::Int64, false), Field::new("s", DataType::Float64, false)]));
/// # let batch = RecordBatch::try_new(schema.clone(), vec![
/// #     Arc::new(Int64Array::from(vec![1, 1, 1, 2, 2, 2, 3])),
/// #     Arc::new(Int64Array::from(vec![3, 1, 2, 1, 2, 3, 1])),
/// #     Arc::new(Float64Array::from(vec![5.0, 1.0, 2.0, 2.0, 2.0, 5.0, 9.0]))]).unwrap();
/// let (_, e) = escalation(&Table::new(schema, vec![batch]), "id", "t", "s",
///     TrendOver::Sequence, 0.95).unwrap();
/// assert_eq!(e.persons[0].slope, Some(2.0)); // 1, 2, 5 in time order
/// assert_eq!(e.persons[2].slope, None); // one offence
/// assert_eq!((e.clusters, e.offences), (2, 6));
/// assert!((e.estimate - 1.75).abs() < 1e-12);
/// ```
pub fn escalation(
    table: &Table,
    person: &str,
    time: &str,
    seriousness: &str,
    over: TrendOver,
    level: f64,
) -> Result<(IdMap, Escalation)> {
    ensure!(
        level > 0.0 && level < 1.0,
        Error::argument("level", format!("must be between 0 and 1, got {level}"))
    );
    ensure!(
        table.num_rows() > 0,
        Error::Empty {
            what: "the table has no offences".into()
        }
    );
    let (persons, code) = table.column(person)?.categories("a person id")?;
    let t = order_key(table, time)?;
    let s = table
        .column(seriousness)?
        .finite_f64(f64::NEG_INFINITY, "a finite number (a seriousness score)")?;
    let (offsets, rows) = sequences(&code, persons.len(), &t);
    let mut trends = Vec::with_capacity(persons.len());
    let (mut sxx_total, mut sxy_total) = (0.0, 0.0);
    let mut used: Vec<(usize, f64, f64)> = Vec::new(); // (person, x̄, s̄)
    let mut offences = 0usize;
    for i in 0..persons.len() {
        let seq = &rows[offsets[i]..offsets[i + 1]];
        let n = seq.len();
        let x = |k: usize| match over {
            TrendOver::Sequence => (k + 1) as f64,
            TrendOver::Time => t[seq[k]],
        };
        let xm = (0..n).map(x).sum::<f64>() / n as f64;
        let sm = seq.iter().map(|&r| s[r]).sum::<f64>() / n as f64;
        let (mut sxx, mut sxy) = (0.0, 0.0);
        for (k, &r) in seq.iter().enumerate() {
            let dx = x(k) - xm;
            sxx += dx * dx;
            sxy += dx * (s[r] - sm);
        }
        let slope = (n >= 2 && sxx > 0.0).then(|| sxy / sxx);
        if slope.is_some() {
            sxx_total += sxx;
            sxy_total += sxy;
            used.push((i, xm, sm));
            offences += n;
        }
        trends.push(PersonTrend {
            offences: n,
            mean: sm,
            first: s[seq[0]],
            last: s[seq[n - 1]],
            slope,
        });
    }
    let g = used.len();
    ensure!(
        g >= 2,
        Error::NotDefined {
            what: "the escalation test",
            reason: format!(
                "it needs at least two persons with two or more offences at distinct times; \
                 there are {g}"
            ),
        }
    );
    let beta = sxy_total / sxx_total;
    let mut meat = 0.0;
    for &(i, xm, sm) in &used {
        let seq = &rows[offsets[i]..offsets[i + 1]];
        let mut score = 0.0;
        for (k, &r) in seq.iter().enumerate() {
            let dx = match over {
                TrendOver::Sequence => (k + 1) as f64,
                TrendOver::Time => t[r],
            } - xm;
            score += dx * ((s[r] - sm) - beta * dx);
        }
        meat += score * score;
    }
    let gf = g as f64;
    let variance = gf / (gf - 1.0) * meat / (sxx_total * sxx_total);
    let se = variance.sqrt();
    let df = gf - 1.0;
    let reference = StudentsT::new(0.0, 1.0, df).map_err(|e| Error::NotDefined {
        what: "the escalation test",
        reason: e.to_string(),
    })?;
    let statistic = if se > 0.0 {
        beta / se
    } else if beta == 0.0 {
        0.0
    } else {
        f64::INFINITY.copysign(beta)
    };
    let p_value = if statistic.is_finite() {
        2.0 * (1.0 - reference.cdf(statistic.abs()))
    } else {
        0.0
    };
    let quantile = reference.inverse_cdf(0.5 + level / 2.0);
    Ok((
        persons,
        Escalation {
            persons: trends,
            estimate: beta,
            std_error: se,
            statistic,
            df,
            p_value,
            ci: (beta - quantile * se, beta + quantile * se),
            clusters: g,
            offences,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    use std::sync::Arc;

    fn offences(id: &[i64], t: &[i64], kind: &[&str], n: &[f64]) -> Table {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("t", DataType::Int64, false),
            Field::new("type", DataType::Utf8, false),
            Field::new("n", DataType::Float64, false),
        ]));
        let arrays: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(id.to_vec())),
            Arc::new(Int64Array::from(t.to_vec())),
            Arc::new(StringArray::from(kind.to_vec())),
            Arc::new(Float64Array::from(n.to_vec())),
        ];
        Table::new(
            schema.clone(),
            vec![RecordBatch::try_new(schema, arrays).unwrap()],
        )
    }

    fn columns(time: bool, count: bool) -> OffenceColumns {
        OffenceColumns {
            person: "id".into(),
            offence_type: "type".into(),
            time: time.then(|| "t".into()),
            count: count.then(|| "n".into()),
        }
    }

    #[test]
    fn counts_stand_for_repeated_offences() {
        // Person 1: 3 x A at t=1, then B: A->A twice, A->B once.
        let t = offences(&[1, 1], &[1, 2], &["A", "B"], &[3.0, 1.0]);
        let (_, s) = forward_specialisation(&t, &columns(true, true)).unwrap();
        assert_eq!(s.transitions, vec![vec![2.0, 1.0], vec![0.0, 0.0]]);
        assert_eq!(s.total, 3.0);
        // B is never followed by anything: no coefficient.
        assert_eq!(s.by_type[1].coefficient, None);
    }

    #[test]
    fn persons_without_offences_have_no_diversity() {
        let t = offences(&[1, 2, 2], &[1, 1, 2], &["A", "A", "B"], &[0.0, 1.0, 1.0]);
        let (_, d, k) = diversity(&t, &columns(false, true)).unwrap();
        assert_eq!(d[0].diversity, None);
        assert_eq!(
            (d[1].diversity, d[1].normalised, k),
            (Some(0.5), Some(1.0), 2)
        );
    }

    #[test]
    fn sequences_need_a_time_and_tests_a_level() {
        let t = offences(&[1, 1], &[1, 2], &["A", "B"], &[1.0, 1.0]);
        assert!(matches!(
            forward_specialisation(&t, &columns(false, false)),
            Err(Error::InvalidArgument { name: "time", .. })
        ));
        assert!(matches!(
            escalation(&t, "id", "t", "n", TrendOver::Sequence, 1.0),
            Err(Error::InvalidArgument { name: "level", .. })
        ));
        // A person whose offences all share one time has no slope over time.
        let t = offences(
            &[1, 1, 2, 2, 3, 3],
            &[1, 1, 1, 2, 1, 3],
            &["A"; 6],
            &[1.0, 2.0, 1.0, 2.0, 3.0, 1.0],
        );
        let (_, e) = escalation(&t, "id", "t", "n", TrendOver::Time, 0.95).unwrap();
        assert_eq!(e.persons[0].slope, None);
        assert_eq!(e.clusters, 2);
    }
}
