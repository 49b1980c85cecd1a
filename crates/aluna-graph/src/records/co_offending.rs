//! The co-offending network: persons linked by the cases they share.

use aluna_core::parallel::{ordered_map, Cancel};
use aluna_core::table::{Table, TimeKind};
use aluna_core::{Error, Result};

use super::group::{check_rows, group_text, intern_column, key_text, NULL};
use crate::{CaseGraph, EdgeRows, GraphOptions};

/// Cases handled per unit of parallel work.
const BLOCK: usize = 1024;

/// Which columns of a participation table (one row per person and case) hold what.
#[derive(Debug, Clone, Copy)]
pub struct ParticipationColumns<'a> {
    /// The person taking part (the graph's nodes).
    pub person: &'a str,
    /// The case they take part in.
    pub case: &'a str,
    /// The case's crime type (one per case); links are typed by it, so crime types become
    /// the graph's layers.
    pub crime_type: Option<&'a str>,
    /// When the case happened; a case's time is the earliest over its rows.
    pub time: Option<&'a str>,
}

/// What [`co_offending`] read and ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoOffendingReport {
    /// Participation rows read.
    pub rows: usize,
    /// Distinct persons (nodes of the graph).
    pub persons: usize,
    /// Distinct cases.
    pub cases: usize,
    /// Rows without a case (ignored).
    pub null_cases: usize,
    /// Cases with two or more persons (the ones that make links).
    pub joint_cases: usize,
}

/// The co-offending network: the projection of the two-mode person × case network onto
/// persons, with repeat ties counted.
///
/// Every distinct person becomes a node (in first-seen order), also one who offended alone.
/// Two persons are linked once per case they share: the graph keeps one observation per pair
/// and shared case, of weight 1, typed by the case's crime type and timed by the case's time,
/// so a pair's merged weight is the number of cases they share (networkx's
/// `bipartite.weighted_projected_graph`; Newman 2001, <https://doi.org/10.1103/PhysRevE.64.016131>)
/// and its crime types and first and last joint case are on its edge. A person listed twice in
/// a case counts once; rows without a case are ignored and counted; a null person, a case
/// recorded with two crime types, a null crime type on a row with a case and a null time are
/// errors naming the row.
///
/// Cases are processed in parallel in fixed blocks; the result is the same on any pool.
/// Memory: the interned columns and 24 bytes per (pair, shared case).
///
/// # Example
/// ```
/// use std::sync::Arc;
/// use aluna_core::{parallel::Cancel, table::Table};
/// use aluna_graph::{co_offending, ParticipationColumns};
/// use arrow_array::{Int64Array, RecordBatch};
/// use arrow_schema::{DataType, Field, Schema};
/// let schema = Arc::new(Schema::new(vec![
///     Field::new("person", DataType::Int64, false),
///     Field::new("case", DataType::Int64, false),
/// ]));
/// let batch = RecordBatch::try_new(schema.clone(), vec![
///     Arc::new(Int64Array::from(vec![1, 2, 1, 2, 3])),
///     Arc::new(Int64Array::from(vec![10, 10, 11, 11, 12])),
/// ]).unwrap();
/// let columns = ParticipationColumns { person: "person", case: "case", crime_type: None, time: None };
/// let (graph, report) = co_offending(&Table::new(schema, vec![batch]), &columns, &Cancel::new())?;
/// assert_eq!(graph.edge_weights(), Some(&[2.0][..]));
/// assert_eq!((report.persons, report.joint_cases), (3, 2));
/// # Ok::<(), aluna_core::Error>(())
/// ```
pub fn co_offending(
    table: &Table,
    columns: &ParticipationColumns<'_>,
    cancel: &Cancel,
) -> Result<(CaseGraph, CoOffendingReport)> {
    table.column(columns.person)?.key_kind()?;
    table.column(columns.case)?.key_kind()?;
    if let Some(c) = columns.crime_type {
        table.column(c)?.key_kind()?;
    }
    if let Some(t) = columns.time {
        table.column(t)?.time_kind()?;
    }
    check_rows(table, "participation")?;
    let persons = intern_column(table, columns.person, Some("a person id"), true)?;
    let cases = intern_column(table, columns.case, None, false)?;
    let k = cases.groups.len();
    let person_ids = persons
        .levels
        .ok_or_else(|| Error::argument("person", "internal: person ids were not kept"))?;
    // One crime type per case, checked row by row.
    let crime = match columns.crime_type {
        Some(c) => {
            let types = intern_column(table, c, None, true)?;
            let type_ids = types.levels.ok_or_else(|| {
                Error::argument("crime_type", "internal: crime types were not kept")
            })?;
            let mut per_case = vec![NULL; k];
            let mut first_row = vec![0usize; k];
            for (row, (&case, &t)) in cases
                .groups
                .codes
                .iter()
                .zip(&types.groups.codes)
                .enumerate()
            {
                if case == NULL {
                    continue;
                }
                if t == NULL {
                    return Err(Error::NullValue {
                        column: c.to_string(),
                        row,
                        expected: "the case's crime type",
                    });
                }
                let slot = &mut per_case[case as usize];
                if *slot == NULL {
                    *slot = t;
                    first_row[case as usize] = row;
                } else if *slot != t {
                    return Err(Error::BadValue {
                        column: c.to_string(),
                        row,
                        expected: "one crime type per case (choose the principal offence)",
                        found: format!(
                            "{} for case {}, recorded as {} in row {}",
                            key_text(&type_ids, t as usize),
                            group_text(table, columns.case, &cases.groups, case as usize),
                            key_text(&type_ids, *slot as usize),
                            first_row[case as usize]
                        ),
                    });
                }
            }
            Some((type_ids, per_case))
        }
        None => None,
    };
    let timing: Option<(TimeKind, Vec<i64>)> = match columns.time {
        Some(c) => {
            let (kind, values) = table.column(c)?.time_values("the case's time")?;
            let mut per_case = vec![i64::MAX; k];
            for (&case, &t) in cases.groups.codes.iter().zip(&values) {
                if case != NULL {
                    let slot = &mut per_case[case as usize];
                    *slot = (*slot).min(t);
                }
            }
            Some((kind, per_case))
        }
        None => None,
    };
    let (offsets, rows) = (&cases.groups.offsets, &cases.groups.rows);
    let person = &persons.groups.codes;
    let blocks = k.div_ceil(BLOCK);
    let parts = ordered_map(
        blocks,
        cancel,
        Vec::<u32>::new,
        |b, members| -> (Vec<(u32, u32, u32)>, usize) {
            let mut out = Vec::new();
            let mut joint = 0usize;
            for case in b * BLOCK..((b + 1) * BLOCK).min(k) {
                members.clear();
                members.extend(
                    rows[offsets[case] as usize..offsets[case + 1] as usize]
                        .iter()
                        .map(|&r| person[r as usize]),
                );
                members.sort_unstable();
                members.dedup();
                if members.len() >= 2 {
                    joint += 1;
                }
                for (i, &a) in members.iter().enumerate() {
                    for &b in &members[i + 1..] {
                        out.push((a, b, case as u32));
                    }
                }
            }
            (out, joint)
        },
    )?;
    let joint_cases = parts.iter().map(|p| p.1).sum();
    let m: usize = parts.iter().map(|p| p.0.len()).sum();
    let mut source = Vec::with_capacity(m);
    let mut target = Vec::with_capacity(m);
    let mut case_of = Vec::with_capacity(m);
    for (part, _) in parts {
        for (a, b, c) in part {
            source.push(a);
            target.push(b);
            case_of.push(c);
        }
    }
    let (link_types, link_type) = match crime {
        Some((levels, per_case)) => (
            Some(levels),
            Some(case_of.iter().map(|&c| per_case[c as usize]).collect()),
        ),
        None => (None, None),
    };
    let (time_kind, time) = match timing {
        Some((kind, per_case)) => (
            Some(kind),
            Some(case_of.iter().map(|&c| per_case[c as usize]).collect()),
        ),
        None => (None, None),
    };
    let report = CoOffendingReport {
        rows: table.num_rows(),
        persons: person_ids.len(),
        cases: k,
        null_cases: cases.groups.nulls,
        joint_cases,
    };
    let rows = EdgeRows {
        source,
        target,
        weight: Some(vec![1.0; m]),
        count: None,
        link_type,
        time,
        until: None,
    };
    let graph = CaseGraph::build(
        person_ids,
        rows,
        link_types,
        time_kind,
        GraphOptions::default(),
    )?;
    Ok((graph, report))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
    use arrow_schema::{Field, Schema};
    use std::sync::Arc;

    fn table(columns: Vec<(&str, ArrayRef)>) -> Table {
        let fields: Vec<Field> = columns
            .iter()
            .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
            .collect();
        let schema = Arc::new(Schema::new(fields));
        let batch =
            RecordBatch::try_new(schema.clone(), columns.into_iter().map(|c| c.1).collect())
                .unwrap();
        Table::new(schema, vec![batch])
    }

    #[test]
    fn repeat_ties_and_layers() {
        let t = table(vec![
            (
                "person",
                Arc::new(Int64Array::from(vec![1, 2, 3, 1, 2, 2, 4])),
            ),
            (
                "case",
                Arc::new(Int64Array::from(vec![
                    Some(10),
                    Some(10),
                    Some(10),
                    Some(11),
                    Some(11),
                    Some(11),
                    None,
                ])),
            ),
            (
                "crime",
                Arc::new(StringArray::from(vec![
                    "0302", "0302", "0302", "0601", "0601", "0601", "0601",
                ])),
            ),
            ("day", Arc::new(Int64Array::from(vec![5, 4, 6, 9, 9, 9, 1]))),
        ]);
        let cols = ParticipationColumns {
            person: "person",
            case: "case",
            crime_type: Some("crime"),
            time: Some("day"),
        };
        let (g, report) = co_offending(&t, &cols, &Cancel::new()).unwrap();
        assert_eq!(g.number_of_nodes(), 4);
        assert_eq!(g.number_of_edges(), 3);
        let e12 = g.edge_between(0, 1).unwrap() as usize;
        assert_eq!(g.edge_weights().unwrap()[e12], 2.0);
        assert_eq!(g.edge_link_types(e12), vec![0, 1]);
        assert_eq!(g.edge_time_span(e12), Some((4, 9)));
        assert_eq!(report.null_cases, 1);
        assert_eq!(report.joint_cases, 2);
    }

    #[test]
    fn two_crime_types_in_a_case_is_an_error() {
        let t = table(vec![
            ("person", Arc::new(Int64Array::from(vec![1, 2]))),
            ("case", Arc::new(Int64Array::from(vec![10, 10]))),
            ("crime", Arc::new(StringArray::from(vec!["0302", "0601"]))),
        ]);
        let cols = ParticipationColumns {
            person: "person",
            case: "case",
            crime_type: Some("crime"),
            time: None,
        };
        let err = co_offending(&t, &cols, &Cancel::new()).unwrap_err();
        assert!(matches!(err, Error::BadValue { row: 1, .. }));
        assert!(err.to_string().contains("recorded as 0302 in row 0"));
    }
}
