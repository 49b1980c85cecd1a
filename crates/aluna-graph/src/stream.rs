//! Building a graph from an edge table that arrives in batches.

use aluna_core::ids::{IdMap, KeyKind};
use aluna_core::table::{Table, TimeKind};
use aluna_core::{ensure, Error, Result};

use crate::tables::{for_each_id, read_roles};
use crate::{
    CaseGraph, EdgeColumns, EdgeRows, GraphOptions, NodeColumns, ObservationColumns, Role,
};

/// Owned column names of the edge table (see [`EdgeColumns`] and [`ObservationColumns`]).
#[derive(Debug, Clone)]
struct Names {
    source: String,
    target: String,
    weight: Option<String>,
    link_type: Option<String>,
    time: Option<String>,
    count: Option<String>,
    until: Option<String>,
}

/// Builds a [`CaseGraph`] from an edge table read batch by batch, so that the table never has
/// to be held whole: each batch's ids are interned and its weights read, then the batch can
/// be dropped. [`CaseGraph::from_tables`] is this builder given one batch.
///
/// Memory while pushing: 8 bytes per row for the endpoints (two `u32` node indices), 8 more
/// with a weight (4 with a count, 4 with a link type, 8 with a time, 8 with an until), plus the
/// ids. [`GraphBuilder::finish`] then builds the graph; without link types, times or
/// `multigraph` it does so in place (see [`CaseGraph::build`]), so the peak is the rows' size
/// plus 16 bytes per node.
///
/// Node indices follow the node table (if given), then first appearance batch by batch: a
/// batch's source column, then its target column. Errors name the row of the whole stream.
///
/// # Example
/// ```
/// use std::sync::Arc;
/// use aluna_core::table::Table;
/// use aluna_graph::{EdgeColumns, GraphBuilder, GraphOptions, ObservationColumns};
/// use arrow_array::{Float64Array, Int64Array, RecordBatch};
/// use arrow_schema::{DataType, Field, Schema};
/// let schema = Arc::new(Schema::new(vec![
///     Field::new("source", DataType::Int64, false),
///     Field::new("target", DataType::Int64, false),
///     Field::new("w", DataType::Float64, false),
/// ]));
/// let batch = |s: Vec<i64>, t: Vec<i64>, w: Vec<f64>| {
///     let b = RecordBatch::try_new(schema.clone(), vec![
///         Arc::new(Int64Array::from(s)), Arc::new(Int64Array::from(t)),
///         Arc::new(Float64Array::from(w)),
///     ]).unwrap();
///     Table::new(schema.clone(), vec![b])
/// };
/// let columns = EdgeColumns { weight: Some("w"), ..Default::default() };
/// let mut builder = GraphBuilder::new(&columns, &ObservationColumns::default(), GraphOptions::default());
/// builder.push(&batch(vec![1, 2], vec![2, 3], vec![1.0, 2.0]))?;
/// builder.push(&batch(vec![2], vec![1], vec![0.5]))?;
/// let g = builder.finish()?;
/// assert_eq!((g.number_of_nodes(), g.number_of_edges()), (3, 2));
/// assert_eq!(g.edge_weights(), Some(&[1.5, 2.0][..]));
/// # Ok::<(), aluna_core::Error>(())
/// ```
#[derive(Debug)]
pub struct GraphBuilder {
    names: Names,
    options: GraphOptions,
    kind: Option<KeyKind>,
    ids: Option<IdMap>,
    roles: Option<Vec<Role>>,
    has_nodes: bool,
    rows: EdgeRows,
    levels: Option<IdMap>,
    time_kind: Option<TimeKind>,
    seen: usize,
    failed: bool,
}

impl GraphBuilder {
    /// A builder reading `columns` (and the `extra` observation columns; their link-type
    /// levels are given with [`GraphBuilder::link_type_levels`]).
    pub fn new(
        columns: &EdgeColumns<'_>,
        extra: &ObservationColumns<'_>,
        options: GraphOptions,
    ) -> Self {
        let own = |s: Option<&str>| s.map(str::to_string);
        Self {
            names: Names {
                source: columns.source.to_string(),
                target: columns.target.to_string(),
                weight: own(columns.weight),
                link_type: own(columns.link_type),
                time: own(columns.time),
                count: own(extra.count),
                until: own(extra.until),
            },
            options,
            kind: None,
            ids: None,
            roles: None,
            has_nodes: false,
            rows: EdgeRows {
                weight: columns.weight.map(|_| Vec::new()),
                count: extra.count.map(|_| Vec::new()),
                link_type: columns.link_type.map(|_| Vec::new()),
                time: columns.time.map(|_| Vec::new()),
                until: extra.until.map(|_| Vec::new()),
                ..Default::default()
            },
            levels: None,
            time_kind: None,
            seen: 0,
            failed: false,
        }
    }

    /// Reserve room for `rows` more edge rows (e.g. the row count of a Parquet file's
    /// metadata), so that the row vectors are not grown by doubling.
    pub fn reserve(&mut self, rows: usize) {
        let r = &mut self.rows;
        r.source.reserve(rows);
        r.target.reserve(rows);
        if let Some(v) = r.weight.as_mut() {
            v.reserve(rows);
        }
        for v in [r.time.as_mut(), r.until.as_mut()].into_iter().flatten() {
            v.reserve(rows);
        }
        for v in [r.count.as_mut(), r.link_type.as_mut()]
            .into_iter()
            .flatten()
        {
            v.reserve(rows);
        }
        if let Some(ids) = &mut self.ids {
            ids.reserve(rows / 8);
        }
    }

    /// Edge rows pushed so far.
    pub fn rows(&self) -> usize {
        self.seen
    }

    fn ids_of_kind(&mut self, kind: KeyKind) -> &mut IdMap {
        self.ids.get_or_insert_with(|| IdMap::new(kind))
    }

    /// Check that `table` has the named columns with usable types, and fix the id kind from
    /// its source column when it is not yet known.
    pub fn check_schema(&mut self, table: &Table) -> Result<()> {
        let source = table.column(&self.names.source)?;
        let kind = source.key_kind()?;
        let expected = self.kind.unwrap_or(kind);
        let wrong = |name: &str, col: &aluna_core::table::Column<'_>| Error::WrongType {
            column: name.to_string(),
            expected: match expected {
                KeyKind::Int => "integer ids, like the source column",
                KeyKind::Str => "string ids, like the source column",
            },
            found: col.data_type().to_string(),
        };
        ensure!(kind == expected, wrong(&self.names.source, &source));
        let target = table.column(&self.names.target)?;
        ensure!(
            target.key_kind()? == expected,
            wrong(&self.names.target, &target)
        );
        self.kind = Some(expected);
        for name in [&self.names.weight, &self.names.count]
            .into_iter()
            .flatten()
        {
            table.column(name)?;
        }
        if let Some(name) = &self.names.link_type {
            table.column(name)?.key_kind()?;
        }
        if let Some(name) = &self.names.time {
            table.column(name)?.time_kind()?;
        }
        if let Some(name) = &self.names.until {
            ensure!(
                self.names.time.is_some(),
                Error::argument("until", "link spans need a start time column (`time`) too")
            );
            table.column(name)?.time_kind()?;
        }
        Ok(())
    }

    /// Declare every node (isolated ones too) and, optionally, its role, before any edges.
    /// Duplicate node rows are errors naming both rows.
    pub fn nodes(&mut self, table: &Table, columns: &NodeColumns<'_>) -> Result<()> {
        ensure!(
            self.seen == 0 && !self.has_nodes,
            Error::argument("nodes", "give the node table once, before the edges")
        );
        let col = table.column(columns.node)?;
        let kind = col.key_kind()?;
        if let Some(expected) = self.kind {
            ensure!(
                kind == expected,
                Error::WrongType {
                    column: columns.node.to_string(),
                    expected: match expected {
                        KeyKind::Int => "integer ids, like the source column",
                        KeyKind::Str => "string ids, like the source column",
                    },
                    found: col.data_type().to_string(),
                }
            );
        }
        self.kind = Some(kind);
        let ids = self.ids_of_kind(kind);
        ids.reserve(table.num_rows());
        let mut first_row: Vec<usize> = Vec::with_capacity(table.num_rows());
        for_each_id(table, columns.node, |row, key| {
            let before = ids.len();
            let index = ids.intern(key)?;
            if (index as usize) < before {
                return Err(Error::Duplicate {
                    column: columns.node.to_string(),
                    row,
                    first_row: first_row[index as usize],
                    value: key.to_string(),
                });
            }
            first_row.push(row);
            Ok(())
        })?;
        if let Some(role) = columns.role {
            self.roles = Some(read_roles(table, role)?);
        }
        self.has_nodes = true;
        Ok(())
    }

    /// The link-type levels in their order (interned before any link-type value), so that a
    /// graph's level order survives a round trip. Duplicates are errors.
    pub fn link_type_levels(&mut self, table: &Table, name: &str) -> Result<()> {
        let given = table.column(name)?;
        let kind = given.key_kind()?;
        let levels = self.levels.get_or_insert_with(|| IdMap::new(kind));
        ensure!(
            kind == levels.kind(),
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
        })
    }

    /// Add the rows of one batch (any number of chunks). After an error the builder refuses
    /// further batches: start again.
    pub fn push(&mut self, batch: &Table) -> Result<()> {
        self.check_usable()?;
        let offset = self.seen;
        if let Err(e) = self.push_rows(batch) {
            self.failed = true;
            return Err(e.with_row_offset(offset));
        }
        self.seen += batch.num_rows();
        Ok(())
    }

    fn check_usable(&self) -> Result<()> {
        ensure!(
            !self.failed,
            Error::argument(
                "edges",
                "an earlier batch was refused; fix it and build the graph again"
            )
        );
        Ok(())
    }

    fn push_rows(&mut self, edges: &Table) -> Result<()> {
        self.check_schema(edges)?;
        let kind = self.kind.unwrap_or(KeyKind::Int);
        let names = self.names.clone();
        let m = edges.num_rows();
        let ids = self.ids.get_or_insert_with(|| IdMap::new(kind));
        let rows = &mut self.rows;
        rows.source.reserve(m);
        rows.target.reserve(m);
        for_each_id(edges, &names.source, |_, key| {
            rows.source.push(ids.intern(key)?);
            Ok(())
        })?;
        for_each_id(edges, &names.target, |_, key| {
            rows.target.push(ids.intern(key)?);
            Ok(())
        })?;
        if let (Some(w), Some(out)) = (&names.weight, rows.weight.as_mut()) {
            let values = edges
                .column(w)?
                .finite_f64(0.0, "a finite, non-negative weight")?;
            out.extend_from_slice(&values);
        }
        if let (Some(c), Some(out)) = (&names.link_type, rows.link_type.as_mut()) {
            let col = edges.column(c)?;
            let levels = self
                .levels
                .get_or_insert_with(|| IdMap::new(col.key_kind().unwrap_or(KeyKind::Str)));
            ensure!(
                col.key_kind()? == levels.kind(),
                Error::WrongType {
                    column: c.to_string(),
                    expected: "link types of the same kind as the given levels",
                    found: col.data_type().to_string(),
                }
            );
            out.reserve(m);
            col.for_each_key(|row, key| {
                let key = key.ok_or_else(|| Error::NullValue {
                    column: c.to_string(),
                    row,
                    expected: "a link type",
                })?;
                out.push(levels.intern(key)?);
                Ok(())
            })?;
        }
        if let (Some(c), Some(out)) = (&names.time, rows.time.as_mut()) {
            let col = edges.column(c)?;
            let (kind, values) = col.time_values("a time")?;
            match &self.time_kind {
                Some(k) => ensure!(
                    *k == kind,
                    Error::WrongType {
                        column: c.to_string(),
                        expected: "the same time type in every batch",
                        found: col.data_type().to_string(),
                    }
                ),
                None => self.time_kind = Some(kind),
            }
            out.extend_from_slice(&values);
        }
        if let (Some(c), Some(out)) = (&names.count, rows.count.as_mut()) {
            let values = edges.column(c)?.f64_values("an observation count")?;
            out.reserve(m);
            for (row, &v) in values.iter().enumerate() {
                if v.fract() == 0.0 && (1.0..=f64::from(u32::MAX)).contains(&v) {
                    out.push(v as u32);
                } else {
                    return Err(Error::bad_value(
                        c.as_str(),
                        row,
                        "a whole number of at least 1",
                        v,
                    ));
                }
            }
        }
        if let (Some(c), Some(out)) = (&names.until, rows.until.as_mut()) {
            let col = edges.column(c)?;
            let (kind, values) = col.time_values("a last time")?;
            ensure!(
                Some(&kind) == self.time_kind.as_ref(),
                Error::WrongType {
                    column: c.to_string(),
                    expected: "the same time type as the time column",
                    found: col.data_type().to_string(),
                }
            );
            out.extend_from_slice(&values);
        }
        Ok(())
    }

    /// Build the graph from every row pushed.
    pub fn finish(self) -> Result<CaseGraph> {
        self.check_usable()?;
        ensure!(
            self.has_nodes || self.seen > 0,
            Error::Empty {
                what: "the edge table has no rows (pass a node table to build a graph of isolated nodes)"
                    .into()
            }
        );
        let ids = self
            .ids
            .unwrap_or_else(|| IdMap::new(self.kind.unwrap_or(KeyKind::Int)));
        // Roles cover the node table; nodes first seen in the edge table have unknown roles.
        let roles = self.roles.map(|mut r| {
            r.resize(ids.len(), Role::Unknown);
            r
        });
        let levels = self
            .names
            .link_type
            .as_ref()
            .map(|_| self.levels.unwrap_or_else(|| IdMap::new(KeyKind::Str)));
        let time_kind = self
            .names
            .time
            .as_ref()
            .map(|_| self.time_kind.unwrap_or(TimeKind::Integer));
        CaseGraph::build(ids, self.rows, levels, time_kind, self.options)?.with_roles(roles)
    }
}
