//! Bindings of the record builders (`aluna_graph::link_records`, `co_offending`), the multiplex
//! layer measures and the graph's observation table for the Parquet exchange layout.

use std::sync::Arc;

use aluna_core::Error;
use aluna_graph::{
    co_offending, layer_degrees, layer_overlap, layer_summary, link_records, CaseGraph, Direction,
    EdgeColumns, GraphOptions, LinkColumns, LinkOptions, NodeColumns, ObservationColumns,
    ParticipationColumns, Weighting,
};
use arrow_array::builder::LargeStringBuilder;
use arrow_array::{ArrayRef, Float64Array, Int64Array};
use pyo3::prelude::*;
use pyo3_arrow::PyTable;

use crate::convert::{output, table};
use crate::errors::IntoPy;
use crate::graph::PyGraph;
use crate::run::run_detached;

fn wrap(graph: CaseGraph) -> PyGraph {
    PyGraph {
        inner: Arc::new(graph),
    }
}

fn strings<S: AsRef<str>>(values: impl Iterator<Item = S>) -> ArrayRef {
    let mut b = LargeStringBuilder::new();
    values.for_each(|s| b.append_value(s.as_ref()));
    Arc::new(b.finish())
}

fn counts(values: impl Iterator<Item = usize>) -> ArrayRef {
    Arc::new(Int64Array::from_iter_values(values.map(|v| v as i64)))
}

fn direction(name: &str) -> PyResult<Direction> {
    match name {
        "all" => Ok(Direction::All),
        "out" => Ok(Direction::Out),
        "in" => Ok(Direction::In),
        other => Err(Error::argument(
            "direction",
            format!("expected \"all\", \"in\" or \"out\", got {other:?}"),
        ))
        .py_err(),
    }
}

/// Graph, per-identifier report, dropped values, rows read, entities.
type Linked = (PyGraph, PyTable, PyTable, usize, usize);

/// Link entities of `records` that share identifier values.
#[pyfunction]
#[pyo3(name = "link_records", signature = (records, entity, identifiers, time=None, weighting="inverse_frequency", max_identifier_degree=None, window=None, threads=None))]
#[allow(clippy::too_many_arguments)]
fn link_records_native(
    py: Python<'_>,
    records: PyTable,
    entity: &str,
    identifiers: Vec<String>,
    time: Option<&str>,
    weighting: &str,
    max_identifier_degree: Option<usize>,
    window: Option<i64>,
    threads: Option<usize>,
) -> PyResult<Linked> {
    let weighting = match weighting {
        "inverse_frequency" => Weighting::InverseFrequency,
        "count" => Weighting::Count,
        "jaccard" => Weighting::Jaccard,
        other => {
            return Err(Error::argument(
                "weighting",
                format!("expected \"inverse_frequency\", \"count\" or \"jaccard\", got {other:?}"),
            ))
            .py_err()
        }
    };
    let records = table(records);
    let names: Vec<&str> = identifiers.iter().map(String::as_str).collect();
    let columns = LinkColumns {
        entity,
        identifiers: &names,
        time,
    };
    let options = LinkOptions {
        weighting,
        max_identifier_degree,
        window,
    };
    let (graph, report) = run_detached(py, threads, |cancel| {
        link_records(&records, &columns, &options, cancel)
    })?;
    let ids = &report.identifiers;
    let per_column = output(vec![
        ("column", strings(ids.iter().map(|r| &r.column))),
        ("null_values", counts(ids.iter().map(|r| r.nulls))),
        ("values", counts(ids.iter().map(|r| r.values))),
        ("shared_values", counts(ids.iter().map(|r| r.shared_values))),
        (
            "dropped_values",
            counts(ids.iter().map(|r| r.dropped_values)),
        ),
        ("pairs", counts(ids.iter().map(|r| r.pairs))),
    ])?;
    let d = &report.dropped;
    let dropped = output(vec![
        ("column", strings(d.iter().map(|r| &r.column))),
        ("value", strings(d.iter().map(|r| &r.value))),
        ("entities", counts(d.iter().map(|r| r.entities))),
    ])?;
    Ok((
        wrap(graph),
        per_column,
        dropped,
        report.rows,
        report.entities,
    ))
}

/// Graph and (rows, persons, cases, rows without a case, joint cases).
type Projected = (PyGraph, (usize, usize, usize, usize, usize));

/// The co-offending projection of a participation table.
#[pyfunction]
#[pyo3(name = "co_offending", signature = (participation, person, case, crime_type=None, time=None, threads=None))]
fn co_offending_native(
    py: Python<'_>,
    participation: PyTable,
    person: &str,
    case: &str,
    crime_type: Option<&str>,
    time: Option<&str>,
    threads: Option<usize>,
) -> PyResult<Projected> {
    let participation = table(participation);
    let columns = ParticipationColumns {
        person,
        case,
        crime_type,
        time,
    };
    let (graph, r) = run_detached(py, threads, |cancel| {
        co_offending(&participation, &columns, cancel)
    })?;
    Ok((
        wrap(graph),
        (r.rows, r.persons, r.cases, r.null_cases, r.joint_cases),
    ))
}

/// The graph's observations as stored: one row per kept link (or per merged edge), with
/// `count` and `until` when the graph has them.
#[pyfunction]
fn graph_observations(py: Python<'_>, graph: &Bound<'_, PyGraph>) -> PyResult<PyTable> {
    let g = Arc::clone(&graph.get().inner);
    let columns = run_detached(py, None, move |_| {
        let rows = g.edge_rows();
        let ids = g.node_ids();
        let mut columns: Vec<(&str, ArrayRef)> = vec![
            ("source", ids.to_arrow(Some(&rows.source))),
            ("target", ids.to_arrow(Some(&rows.target))),
        ];
        if let Some(w) = rows.weight {
            columns.push(("weight", Arc::new(Float64Array::from(w))));
        }
        if let Some(c) = rows.count {
            columns.push(("count", counts(c.into_iter().map(|c| c as usize))));
        }
        if let (Some(codes), Some(levels)) = (rows.link_type, g.link_types()) {
            columns.push(("link_type", levels.to_arrow(Some(&codes))));
        }
        if let Some(kind) = g.time_kind() {
            if let Some(t) = rows.time {
                columns.push(("time", kind.to_arrow(t)?));
            }
            if let Some(u) = rows.until {
                columns.push(("until", kind.to_arrow(u)?));
            }
        }
        Ok(columns)
    })?;
    output(columns)
}

/// Rebuild a graph from its node table and observation table (the inverse of
/// `graph_observations`).
#[pyfunction]
#[pyo3(signature = (nodes, links, weight=None, count=None, link_type=None, time=None, until=None, directed=false, multigraph=false, role=None, link_type_levels=None))]
#[allow(clippy::too_many_arguments)]
fn graph_from_observations(
    py: Python<'_>,
    nodes: PyTable,
    links: PyTable,
    weight: Option<&str>,
    count: Option<&str>,
    link_type: Option<&str>,
    time: Option<&str>,
    until: Option<&str>,
    directed: bool,
    multigraph: bool,
    role: Option<&str>,
    link_type_levels: Option<PyTable>,
) -> PyResult<PyGraph> {
    let nodes = table(nodes);
    let links = table(links);
    let levels = link_type_levels.map(table);
    let columns = EdgeColumns {
        source: "source",
        target: "target",
        weight,
        link_type,
        time,
    };
    let extra = ObservationColumns {
        count,
        until,
        link_type_levels: levels.as_ref().map(|t| (t, "link_type")),
    };
    let node_columns = NodeColumns { node: "node", role };
    let options = GraphOptions {
        directed,
        multigraph,
    };
    run_detached(py, None, |_| {
        CaseGraph::from_observations(
            &links,
            &columns,
            &extra,
            Some((&nodes, &node_columns)),
            options,
        )
    })
    .map(wrap)
}

/// Per node and layer: the degree in that layer (only layers where it is positive).
#[pyfunction]
#[pyo3(signature = (graph, direction="all"))]
fn layer_degree_table(graph: &Bound<'_, PyGraph>, direction: &str) -> PyResult<PyTable> {
    let g = &graph.get().inner;
    let d = layer_degrees(g, self::direction(direction)?).py_err()?;
    let levels = g
        .link_types()
        .ok_or_else(|| Error::argument("layers", "the graph's links have no type"))
        .py_err()?;
    let node: Vec<u32> = (0..g.number_of_nodes() as u32)
        .flat_map(|v| {
            std::iter::repeat_n(
                v,
                (d.offsets[v as usize + 1] - d.offsets[v as usize]) as usize,
            )
        })
        .collect();
    output(vec![
        ("node", g.node_ids().to_arrow(Some(&node))),
        ("layer", levels.to_arrow(Some(&d.layer))),
        (
            "degree",
            Arc::new(Int64Array::from_iter_values(
                d.degree.iter().map(|&k| k as i64),
            )),
        ),
    ])
}

/// Per node: overlapping degree, layers with a link, multiplex participation coefficient.
#[pyfunction]
#[pyo3(signature = (graph, direction="all"))]
fn multiplex_table(graph: &Bound<'_, PyGraph>, direction: &str) -> PyResult<PyTable> {
    let g = &graph.get().inner;
    let d = layer_degrees(g, self::direction(direction)?).py_err()?;
    let participation = d.participation().py_err()?;
    output(vec![
        ("node", g.node_ids().to_arrow(None)),
        (
            "overlapping_degree",
            Arc::new(Int64Array::from_iter_values(
                d.overlapping().into_iter().map(|k| k as i64),
            )),
        ),
        (
            "layers",
            Arc::new(Int64Array::from_iter_values(
                d.active_layers().into_iter().map(|k| k as i64),
            )),
        ),
        ("participation", Arc::new(Float64Array::from(participation))),
    ])
}

/// Per layer: linked pairs, links and active nodes.
#[pyfunction]
fn layer_summary_table(graph: &Bound<'_, PyGraph>) -> PyResult<PyTable> {
    let g = &graph.get().inner;
    let s = layer_summary(g).py_err()?;
    let levels = g
        .link_types()
        .ok_or_else(|| Error::argument("layers", "the graph's links have no type"))
        .py_err()?;
    output(vec![
        ("layer", levels.to_arrow(None)),
        ("edges", counts(s.iter().map(|x| x.edges as usize))),
        ("links", counts(s.iter().map(|x| x.links as usize))),
        ("nodes", counts(s.iter().map(|x| x.nodes as usize))),
    ])
}

/// Per pair of layers: edges in each, shared, edge Jaccard.
#[pyfunction]
fn layer_overlap_table(graph: &Bound<'_, PyGraph>) -> PyResult<PyTable> {
    let g = &graph.get().inner;
    let o = layer_overlap(g).py_err()?;
    let levels = g
        .link_types()
        .ok_or_else(|| Error::argument("layers", "the graph's links have no type"))
        .py_err()?;
    let a: Vec<u32> = o.iter().map(|x| x.a).collect();
    let b: Vec<u32> = o.iter().map(|x| x.b).collect();
    output(vec![
        ("layer_a", levels.to_arrow(Some(&a))),
        ("layer_b", levels.to_arrow(Some(&b))),
        ("edges_a", counts(o.iter().map(|x| x.edges_a as usize))),
        ("edges_b", counts(o.iter().map(|x| x.edges_b as usize))),
        ("shared", counts(o.iter().map(|x| x.shared as usize))),
        (
            "jaccard",
            Arc::new(Float64Array::from(
                o.iter().map(|x| x.jaccard).collect::<Vec<_>>(),
            )),
        ),
    ])
}

/// Add this domain's functions to `aluna._native`.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(link_records_native, m)?)?;
    m.add_function(wrap_pyfunction!(co_offending_native, m)?)?;
    m.add_function(wrap_pyfunction!(graph_observations, m)?)?;
    m.add_function(wrap_pyfunction!(graph_from_observations, m)?)?;
    m.add_function(wrap_pyfunction!(layer_degree_table, m)?)?;
    m.add_function(wrap_pyfunction!(multiplex_table, m)?)?;
    m.add_function(wrap_pyfunction!(layer_summary_table, m)?)?;
    m.add_function(wrap_pyfunction!(layer_overlap_table, m)?)?;
    Ok(())
}
