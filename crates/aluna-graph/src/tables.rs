//! Building graphs from tables: the edge table and, optionally, a node table.

use aluna_core::ids::{Key, KeyKind};
use aluna_core::table::Table;
use aluna_core::{ensure, Error, Result};

use crate::{CaseGraph, GraphBuilder, GraphOptions, Role};

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
pub(crate) fn for_each_id(
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
        let mut builder = GraphBuilder::new(columns, extra, options);
        // Name a missing or mistyped edge column before reading the node table.
        builder.check_schema(edges)?;
        if let Some((table, cols)) = nodes {
            builder.nodes(table, cols)?;
        }
        if let Some((table, name)) = extra.link_type_levels {
            builder.link_type_levels(table, name)?;
        }
        builder.reserve(edges.num_rows());
        builder.push(edges)?;
        builder.finish()
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
