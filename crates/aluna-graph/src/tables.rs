//! Building graphs from tables: the edge table and, optionally, a node table.

use aluna_core::ids::{IdMap, Key, KeyKind};
use aluna_core::table::Table;
use aluna_core::{ensure, Error, Result};

use crate::{CaseGraph, EdgeRows, GraphOptions, Role};

/// Which columns of the edge table hold what.
#[derive(Debug, Clone, Copy)]
pub struct EdgeColumns<'a> {
    /// Where links start.
    pub source: &'a str,
    /// Where links end.
    pub target: &'a str,
    /// Link strength (finite, non-negative).
    pub weight: Option<&'a str>,
    /// Kind of link (shared phone, co-offending, payment…).
    pub link_type: Option<&'a str>,
    /// When the link was seen.
    pub time: Option<&'a str>,
}

impl Default for EdgeColumns<'_> {
    fn default() -> Self {
        Self {
            source: "source",
            target: "target",
            weight: None,
            link_type: None,
            time: None,
        }
    }
}

/// Columns of an edge table that say how many observations a row stands for and until when
/// it was seen: the extra columns of a graph's own observation table (see
/// [`CaseGraph::from_observations`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct ObservationColumns<'a> {
    /// Observations per row (an integer of at least 1; 1 when absent).
    pub count: Option<&'a str>,
    /// Last time each row's link was seen (inclusive; at or after the `time` column).
    pub until: Option<&'a str>,
    /// The link-type levels in their order (a table and its column), interned before the
    /// link-type column so that a graph's level order survives a round trip.
    pub link_type_levels: Option<(&'a Table, &'a str)>,
}

/// Which columns of a node table hold the id and the role.
#[derive(Debug, Clone, Copy)]
pub struct NodeColumns<'a> {
    /// The node id (same kind as the edge table's).
    pub node: &'a str,
    /// Optional role (offender, suspect, victim, witness, unknown; null means unknown).
    pub role: Option<&'a str>,
}

/// Read a node-id column in row order, rejecting nulls.
fn for_each_id(
    table: &Table,
    column: &str,
    mut visit: impl FnMut(usize, Key<'_>) -> Result<()>,
) -> Result<()> {
    let col = table.column(column)?;
    col.for_each_key(|row, key| {
        let key = key.ok_or_else(|| Error::NullValue {
            column: column.to_string(),
            row,
            expected: "a node id",
        })?;
        visit(row, key)
    })
}

/// Per row of `table`, the role in `column` (null: unknown).
pub fn read_roles(table: &Table, column: &str) -> Result<Vec<Role>> {
    let col = table.column(column)?;
    ensure!(
        col.key_kind()? == KeyKind::Str,
        Error::WrongType {
            column: column.to_string(),
            expected: "role names (strings)",
            found: col.data_type().to_string(),
        }
    );
    let mut roles = Vec::with_capacity(col.len());
    col.for_each_key(|row, key| {
        roles.push(match key {
            None => Role::Unknown,
            Some(Key::Str(s)) => Role::parse(s).map_err(|_| {
                Error::bad_value(
                    column,
                    row,
                    "a role: offender, suspect, victim, witness or unknown",
                    format!("{s:?}"),
                )
            })?,
            Some(Key::Int(v)) => return Err(Error::bad_value(column, row, "a role name", v)),
        });
        Ok(())
    })?;
    Ok(roles)
}

impl CaseGraph {
    /// Build a graph from an edge table and, optionally, a node table listing every node
    /// (isolated ones too) with its role.
    ///
    /// Node indices follow the node table, then first appearance in the source column, then in
    /// the target column. Ids are
    /// integers or strings (the same kind in every id column); nulls, NaN or negative weights
    /// and duplicate node rows are errors naming the column and the first offending row.
    pub fn from_tables(
        edges: &Table,
        columns: &EdgeColumns<'_>,
        nodes: Option<(&Table, &NodeColumns<'_>)>,
        options: GraphOptions,
    ) -> Result<CaseGraph> {
        Self::from_observations(
            edges,
            columns,
            &ObservationColumns::default(),
            nodes,
            options,
        )
    }

    /// Build a graph from an observation table whose rows may stand for several observations
    /// (`count`) and for spans of time (`until`), as a graph's own
    /// [`CaseGraph::edge_rows`] are: the inverse of writing them out, so graphs round-trip.
    /// Otherwise as [`CaseGraph::from_tables`]; a count below 1 or a fraction, and an `until`
    /// before the row's time, are errors naming the row.
    pub fn from_observations(
        edges: &Table,
        columns: &EdgeColumns<'_>,
        extra: &ObservationColumns<'_>,
        nodes: Option<(&Table, &NodeColumns<'_>)>,
        options: GraphOptions,
    ) -> Result<CaseGraph> {
        let source_col = edges.column(columns.source)?;
        let kind = source_col.key_kind()?;
        let check_kind = |table: &Table, name: &str| -> Result<()> {
            let col = table.column(name)?;
            ensure!(
                col.key_kind()? == kind,
                Error::WrongType {
                    column: name.to_string(),
                    expected: match kind {
                        KeyKind::Int => "integer ids, like the source column",
                        KeyKind::Str => "string ids, like the source column",
                    },
                    found: col.data_type().to_string(),
                }
            );
            Ok(())
        };
        check_kind(edges, columns.target)?;
        if nodes.is_none() {
            ensure!(
                edges.num_rows() > 0,
                Error::Empty {
                    what: "the edge table has no rows (pass a node table to build a graph of isolated nodes)".into()
                }
            );
        }
        let mut ids = IdMap::new(kind);
        let mut roles = None;
        if let Some((table, cols)) = nodes {
            check_kind(table, cols.node)?;
            ids.reserve(table.num_rows());
            let mut first_row: Vec<usize> = Vec::with_capacity(table.num_rows());
            for_each_id(table, cols.node, |row, key| {
                let before = ids.len();
                let index = ids.intern(key)?;
                if (index as usize) < before {
                    return Err(Error::Duplicate {
                        column: cols.node.to_string(),
                        row,
                        first_row: first_row[index as usize],
                        value: key.to_string(),
                    });
                }
                first_row.push(row);
                Ok(())
            })?;
            if let Some(role) = cols.role {
                roles = Some(read_roles(table, role)?);
            }
        }
        let m = edges.num_rows();
        let mut source = Vec::with_capacity(m);
        let mut target = Vec::with_capacity(m);
        ids.reserve(m / 2);
        for_each_id(edges, columns.source, |_, key| {
            source.push(ids.intern(key)?);
            Ok(())
        })?;
        for_each_id(edges, columns.target, |_, key| {
            target.push(ids.intern(key)?);
            Ok(())
        })?;
        let weight = columns
            .weight
            .map(|w| {
                edges
                    .column(w)?
                    .finite_f64(0.0, "a finite, non-negative weight")
            })
            .transpose()?;
        let (link_types, link_type) = match columns.link_type {
            Some(c) => {
                let col = edges.column(c)?;
                let mut levels = IdMap::new(col.key_kind()?);
                if let Some((table, name)) = extra.link_type_levels {
                    let given = table.column(name)?;
                    ensure!(
                        given.key_kind()? == levels.kind(),
                        Error::WrongType {
                            column: name.to_string(),
                            expected: "link types of the same kind as the link-type column",
                            found: given.data_type().to_string(),
                        }
                    );
                    given.for_each_key(|row, key| {
                        let key = key.ok_or_else(|| Error::NullValue {
                            column: name.to_string(),
                            row,
                            expected: "a link type",
                        })?;
                        let before = levels.len();
                        if (levels.intern(key)? as usize) < before {
                            return Err(Error::Duplicate {
                                column: name.to_string(),
                                row,
                                first_row: levels.get(key).map_or(0, |i| i as usize),
                                value: key.to_string(),
                            });
                        }
                        Ok(())
                    })?;
                }
                let mut codes = Vec::with_capacity(m);
                col.for_each_key(|row, key| {
                    let key = key.ok_or_else(|| Error::NullValue {
                        column: c.to_string(),
                        row,
                        expected: "a link type",
                    })?;
                    codes.push(levels.intern(key)?);
                    Ok(())
                })?;
                (Some(levels), Some(codes))
            }
            None => (None, None),
        };
        let (time_kind, time) = match columns.time {
            Some(c) => {
                let (kind, values) = edges.column(c)?.time_values("a time")?;
                (Some(kind), Some(values))
            }
            None => (None, None),
        };
        let count = extra
            .count
            .map(|c| -> Result<Vec<u32>> {
                let col = edges.column(c)?;
                let values = col.f64_values("an observation count")?;
                values
                    .iter()
                    .enumerate()
                    .map(|(row, &v)| {
                        if v.fract() == 0.0 && (1.0..=f64::from(u32::MAX)).contains(&v) {
                            Ok(v as u32)
                        } else {
                            Err(Error::bad_value(c, row, "a whole number of at least 1", v))
                        }
                    })
                    .collect()
            })
            .transpose()?;
        let until = match extra.until {
            Some(c) => {
                ensure!(
                    columns.time.is_some(),
                    Error::argument("until", "link spans need a start time column (`time`) too")
                );
                let (kind, values) = edges.column(c)?.time_values("a last time")?;
                ensure!(
                    Some(&kind) == time_kind.as_ref(),
                    Error::WrongType {
                        column: c.to_string(),
                        expected: "the same time type as the time column",
                        found: edges.column(c)?.data_type().to_string(),
                    }
                );
                Some(values)
            }
            None => None,
        };
        // Roles cover the node table; nodes first seen in the edge table have unknown roles.
        let roles = roles.map(|mut r: Vec<Role>| {
            r.resize(ids.len(), Role::Unknown);
            r
        });
        let rows = EdgeRows {
            source,
            target,
            weight,
            count,
            link_type,
            time,
            until,
        };
        CaseGraph::build(ids, rows, link_types, time_kind, options)?.with_roles(roles)
    }

    /// Index of each row's node in `column` of `table`: for aligning node attributes.
    /// Unknown nodes, nulls and duplicates are errors naming the row.
    pub fn align_nodes(&self, table: &Table, column: &str) -> Result<Vec<u32>> {
        let mut index = Vec::with_capacity(table.num_rows());
        let mut seen_at = vec![usize::MAX; self.number_of_nodes()];
        for_each_id(table, column, |row, key| {
            let v = self.nodes.require(key)?;
            if seen_at[v as usize] != usize::MAX {
                return Err(Error::Duplicate {
                    column: column.to_string(),
                    row,
                    first_row: seen_at[v as usize],
                    value: key.to_string(),
                });
            }
            seen_at[v as usize] = row;
            index.push(v);
            Ok(())
        })?;
        Ok(index)
    }

    /// Indices of node ids given as a one-column table (for subgraphs and lookups).
    pub fn lookup_nodes(&self, table: &Table, column: &str) -> Result<Vec<u32>> {
        let mut index = Vec::with_capacity(table.num_rows());
        for_each_id(table, column, |_, key| {
            index.push(self.nodes.require(key)?);
            Ok(())
        })?;
        Ok(index)
    }
}
