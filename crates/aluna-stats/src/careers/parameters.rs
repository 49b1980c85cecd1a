//! Career parameters per person (Blumstein, Cohen, Roth & Visher 1986): onset, the last
//! recorded offence, career length, offending frequency λ, and the counts and shares of sexual
//! and other offences.

use aluna_core::ids::IdMap;
use aluna_core::table::Table;
use aluna_core::{ensure, Error, Result};

/// The columns of [`career_parameters`].
#[derive(Debug, Clone, PartialEq)]
pub struct CareerColumns {
    /// Person ids.
    pub person: String,
    /// Age (or time) of the row.
    pub age: String,
    /// Count columns whose sum is the row's number of offences; empty: each row is one offence.
    pub offences: Vec<String>,
    /// Count (or 0/1) column of the row's sexual offences, part of its offences.
    pub sexual: Option<String>,
    /// Length of one period in the units of `age` (1 for yearly data).
    pub period: f64,
}

/// One person's career.
#[derive(Debug, Clone, PartialEq)]
pub struct Career {
    /// Rows of the person.
    pub rows: usize,
    /// Youngest and oldest age observed.
    pub observed: (f64, f64),
    /// Number of offences.
    pub offences: f64,
    /// Rows with at least one offence.
    pub active_periods: usize,
    /// Age at the first offence (`None` without offences).
    pub onset: Option<f64>,
    /// Age at the last recorded offence.
    pub last: Option<f64>,
    /// Number of sexual offences (0 without a `sexual` column).
    pub sexual: f64,
}

impl Career {
    /// `last − onset`.
    pub fn length(&self) -> Option<f64> {
        Some(self.last? - self.onset?)
    }

    /// Offences per period of active career, `offences / (length + period)`: Blumstein et
    /// al.'s λ, counting the first and last periods in full.
    pub fn frequency(&self, period: f64) -> Option<f64> {
        Some(self.offences / (self.length()? + period))
    }
}

fn whole(values: &[f64], column: &str) -> Result<()> {
    if let Some((row, v)) = values
        .iter()
        .enumerate()
        .find(|(_, v)| !(v.is_finite() && **v >= 0.0 && v.fract() == 0.0))
    {
        return Err(Error::bad_value(
            column,
            row,
            "a whole number of at least 0 (a count)",
            v,
        ));
    }
    Ok(())
}

/// Per person, in order of first appearance: the career parameters of their rows.
///
/// Rows may come in any order and need not be one per period (one row per offence works, with
/// `offences` empty). Counts must be whole numbers of at least 0, the sexual count no more than
/// the row's offences; ages finite. No parallelism: one pass over the rows.
///
/// # Example
/// ```
/// # use std::sync::Arc;
/// # use aluna_core::table::Table;
/// # use arrow_array::{Int64Array, RecordBatch};
/// # use arrow_schema::{DataType, Field, Schema};
/// use aluna_stats::careers::parameters::{career_parameters, CareerColumns};
/// # let schema = Arc::new(Schema::new(vec![Field::new("id", DataType::Int64, false),
/// #     Field::new("age", DataType::Int64, false), Field::new("n", DataType::Int64, false),
/// #     Field::new("sex", DataType::Int64, false)]));
/// # let batch = RecordBatch::try_new(schema.clone(), vec![
/// #     Arc::new(Int64Array::from(vec![7, 7, 7, 7])),
/// #     Arc::new(Int64Array::from(vec![14, 15, 16, 17])),
/// #     Arc::new(Int64Array::from(vec![0, 2, 0, 1])),
/// #     Arc::new(Int64Array::from(vec![0, 1, 0, 0]))]).unwrap();
/// // Person 7: ages 14-17 with 0, 2, 0 and 1 offences, one of them sexual.
/// let columns = CareerColumns { person: "id".into(), age: "age".into(),
///     offences: vec!["n".into()], sexual: Some("sex".into()), period: 1.0 };
/// let (_, careers) = career_parameters(&Table::new(schema, vec![batch]), &columns).unwrap();
/// let c = &careers[0];
/// assert_eq!((c.onset, c.last, c.length()), (Some(15.0), Some(17.0), Some(2.0)));
/// assert_eq!(c.frequency(1.0), Some(1.0)); // 3 offences over 3 years
/// assert_eq!((c.offences, c.sexual, c.active_periods), (3.0, 1.0, 2));
/// ```
pub fn career_parameters(table: &Table, columns: &CareerColumns) -> Result<(IdMap, Vec<Career>)> {
    ensure!(
        columns.period.is_finite() && columns.period > 0.0,
        Error::argument(
            "period",
            format!("must be a positive number, got {}", columns.period)
        )
    );
    let n_rows = table.num_rows();
    ensure!(
        n_rows > 0,
        Error::Empty {
            what: "the table has no rows".into()
        }
    );
    let (persons, person) = table.column(&columns.person)?.categories("a person id")?;
    let age = table
        .column(&columns.age)?
        .finite_f64(f64::NEG_INFINITY, "a finite number (an age)")?;
    let mut total = vec![
        if columns.offences.is_empty() {
            1.0
        } else {
            0.0
        };
        n_rows
    ];
    for name in &columns.offences {
        let values = table.column(name)?.f64_values("a count")?;
        whole(&values, name)?;
        total.iter_mut().zip(&values).for_each(|(t, v)| *t += v);
    }
    let sexual = match &columns.sexual {
        Some(name) => {
            let values = table.column(name)?.f64_values("a count")?;
            whole(&values, name)?;
            if let Some(row) = (0..n_rows).find(|&r| values[r] > total[r]) {
                return Err(Error::bad_value(
                    name.clone(),
                    row,
                    "no more sexual offences than offences in the row",
                    values[row],
                ));
            }
            values
        }
        None => vec![0.0; n_rows],
    };
    let mut careers: Vec<Career> = (0..persons.len())
        .map(|_| Career {
            rows: 0,
            observed: (f64::INFINITY, f64::NEG_INFINITY),
            offences: 0.0,
            active_periods: 0,
            onset: None,
            last: None,
            sexual: 0.0,
        })
        .collect();
    for row in 0..n_rows {
        let c = &mut careers[person[row] as usize];
        let a = age[row];
        c.rows += 1;
        c.observed = (c.observed.0.min(a), c.observed.1.max(a));
        if total[row] > 0.0 {
            c.offences += total[row];
            c.sexual += sexual[row];
            c.active_periods += 1;
            c.onset = Some(c.onset.map_or(a, |o| o.min(a)));
            c.last = Some(c.last.map_or(a, |l| l.max(a)));
        }
    }
    Ok((persons, careers))
}
