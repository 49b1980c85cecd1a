//! Bindings of groups and brokers: communities, modularity, group summaries, structural holes,
//! Gould–Fernandez brokerage, key players, and the ranking of targets that leaves victims out.

use std::sync::Arc;

use aluna_core::ids::{IdMap, Key, KeyKind};
use aluna_core::Error;
use aluna_graph::{
    brokerage, communities, constraint, effective_size, group_summary, key_players, modularity,
    BrokerageRole, CaseGraph, CommunityMethod, CommunityOptions, GroupSummaryOptions,
    KeyPlayerMove, KeyPlayerObjective, KeyPlayerOptions, Partition, StructuralHoleOptions,
    TargetFilter,
};
use arrow_array::builder::{Int64Builder, LargeStringBuilder, ListBuilder};
use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array};
use pyo3::prelude::*;
use pyo3_arrow::PyTable;

use crate::convert::{output, table};
use crate::errors::IntoPy;
use crate::graph::PyGraph;
use crate::run::run_detached;

fn filter(exclude_roles: &[String]) -> PyResult<TargetFilter> {
    TargetFilter::from_names(exclude_roles).py_err()
}

fn partition(g: &CaseGraph, frame: PyTable, node: &str, group: &str) -> PyResult<Partition> {
    Partition::from_table(g, &table(frame), node, group).py_err()
}

fn ints(values: impl IntoIterator<Item = i64>) -> ArrayRef {
    Arc::new(Int64Array::from_iter_values(values))
}

fn floats(values: impl IntoIterator<Item = Option<f64>>) -> ArrayRef {
    Arc::new(values.into_iter().collect::<Float64Array>())
}

/// A list column of node ids per row.
fn id_lists(ids: &IdMap, rows: &[Vec<u32>]) -> ArrayRef {
    match ids.kind() {
        KeyKind::Str => {
            let mut b = ListBuilder::new(LargeStringBuilder::new());
            for row in rows {
                for &v in row {
                    if let Key::Str(s) = ids.key(v as usize) {
                        b.values().append_value(s);
                    }
                }
                b.append(true);
            }
            Arc::new(b.finish())
        }
        KeyKind::Int => {
            let mut b = ListBuilder::new(Int64Builder::new());
            for row in rows {
                for &v in row {
                    if let Key::Int(x) = ids.key(v as usize) {
                        b.values().append_value(x);
                    }
                }
                b.append(true);
            }
            Arc::new(b.finish())
        }
    }
}

/// Community per node (`node`, `community`).
#[pyfunction]
#[pyo3(signature = (graph, method="leiden", resolution=1.0, weighted=false, seed=0, threads=None))]
fn communities_of(
    py: Python<'_>,
    graph: &PyGraph,
    method: &str,
    resolution: f64,
    weighted: bool,
    seed: u64,
    threads: Option<usize>,
) -> PyResult<PyTable> {
    let method = match method {
        "leiden" => CommunityMethod::Leiden,
        "louvain" => CommunityMethod::Louvain,
        other => {
            return Err(Error::argument(
                "method",
                format!("expected \"leiden\" or \"louvain\", got {other:?}"),
            ))
            .py_err()
        }
    };
    let options = CommunityOptions {
        method,
        resolution,
        weighted,
        seed,
        ..Default::default()
    };
    let g = Arc::clone(&graph.inner);
    let labels = run_detached(py, threads, move |cancel| communities(&g, &options, cancel))?;
    output(vec![
        ("node", graph.inner.node_ids().to_arrow(None)),
        ("community", ints(labels.into_iter().map(i64::from))),
    ])
}

/// Modularity of the partition in `frame` (columns `node` and `group`).
#[pyfunction]
#[pyo3(signature = (graph, frame, node, group, resolution=1.0, weighted=false))]
fn modularity_of(
    graph: &PyGraph,
    frame: PyTable,
    node: &str,
    group: &str,
    resolution: f64,
    weighted: bool,
) -> PyResult<f64> {
    let p = partition(&graph.inner, frame, node, group)?;
    modularity(&graph.inner, &p.membership, resolution, weighted).py_err()
}

/// One row per group of the partition in `frame`.
#[pyfunction]
#[pyo3(signature = (graph, frame, node, group, weighted=false, top=3, exclude_roles=Vec::new()))]
fn group_summary_of(
    graph: &PyGraph,
    frame: PyTable,
    node: &str,
    group: &str,
    weighted: bool,
    top: usize,
    exclude_roles: Vec<String>,
) -> PyResult<PyTable> {
    let g = &graph.inner;
    let p = partition(g, frame, node, group)?;
    let options = GroupSummaryOptions { weighted, top };
    let rows = group_summary(
        g,
        &p.membership,
        p.labels.len(),
        &options,
        &filter(&exclude_roles)?,
    )
    .py_err()?;
    let mut columns: Vec<(&str, ArrayRef)> = vec![
        ("group", p.labels.to_arrow(None)),
        ("size", ints(rows.iter().map(|r| r.size as i64))),
        (
            "internal_ties",
            ints(rows.iter().map(|r| r.internal_ties as i64)),
        ),
        (
            "external_ties",
            ints(rows.iter().map(|r| r.external_ties as i64)),
        ),
        ("density", floats(rows.iter().map(|r| r.density))),
    ];
    if weighted {
        columns.push((
            "internal_weight",
            floats(rows.iter().map(|r| r.internal_weight)),
        ));
        columns.push((
            "external_weight",
            floats(rows.iter().map(|r| r.external_weight)),
        ));
    }
    let members: Vec<Vec<u32>> = rows.into_iter().map(|r| r.central_members).collect();
    columns.push(("central_members", id_lists(g.node_ids(), &members)));
    output(columns)
}

/// Burt's constraint (`what="constraint"`) or effective size per node.
#[pyfunction]
#[pyo3(signature = (graph, what, weighted=false, threads=None))]
fn structural_holes(
    py: Python<'_>,
    graph: &PyGraph,
    what: &str,
    weighted: bool,
    threads: Option<usize>,
) -> PyResult<PyTable> {
    let options = StructuralHoleOptions { weighted };
    let g = Arc::clone(&graph.inner);
    let name = match what {
        "constraint" => "constraint",
        "effective_size" => "effective_size",
        other => {
            return Err(Error::argument(
                "what",
                format!("expected \"constraint\" or \"effective_size\", got {other:?}"),
            ))
            .py_err()
        }
    };
    let values = run_detached(py, threads, move |cancel| {
        if name == "constraint" {
            constraint(&g, &options, cancel)
        } else {
            effective_size(&g, &options, cancel)
        }
    })?;
    output(vec![
        ("node", graph.inner.node_ids().to_arrow(None)),
        (name, floats(values)),
    ])
}

/// Gould–Fernandez brokerage: one row per eligible node and role.
#[pyfunction]
#[pyo3(signature = (graph, frame, node, group, exclude_roles=Vec::new(), threads=None))]
fn brokerage_of(
    py: Python<'_>,
    graph: &PyGraph,
    frame: PyTable,
    node: &str,
    group: &str,
    exclude_roles: Vec<String>,
    threads: Option<usize>,
) -> PyResult<PyTable> {
    let g = Arc::clone(&graph.inner);
    let keep = filter(&exclude_roles)?;
    let p = partition(&g, frame, node, group)?;
    let membership = p.membership.clone();
    let scores = run_detached(py, threads, move |cancel| {
        brokerage(&g, &membership, cancel)
    })?;
    let g = &graph.inner;
    let roles: Vec<&str> = BrokerageRole::ALL
        .iter()
        .map(|r| r.name())
        .chain(["total"])
        .collect();
    let (mut nodes, mut groups, mut role, mut count) = (vec![], vec![], vec![], vec![]);
    let (mut expected, mut std_dev, mut z) = (vec![], vec![], vec![]);
    for (v, s) in scores.iter().enumerate() {
        if !keep.allows(g, v as u32) {
            continue;
        }
        for (i, name) in roles.iter().enumerate() {
            nodes.push(v as u32);
            groups.push(p.membership[v]);
            role.push(*name);
            count.push(s.count[i] as i64);
            expected.push(Some(s.expected[i]));
            std_dev.push(Some(s.std_dev[i]));
            z.push(s.z(i));
        }
    }
    let mut role_column = LargeStringBuilder::new();
    role.iter().for_each(|r| role_column.append_value(r));
    output(vec![
        ("node", g.node_ids().to_arrow(Some(&nodes))),
        ("group", p.labels.to_arrow(Some(&groups))),
        ("role", Arc::new(role_column.finish())),
        ("count", ints(count)),
        ("expected", floats(expected)),
        ("std_dev", floats(std_dev)),
        ("z", floats(z)),
    ])
}

/// Key players: (set table, objective value, winning start, trace table).
#[pyfunction]
#[pyo3(signature = (graph, k, objective="fragmentation", distance=1, seed=0, max_swaps=1000, restarts=10, exclude_roles=Vec::new(), threads=None))]
#[allow(clippy::too_many_arguments)]
fn key_players_of(
    py: Python<'_>,
    graph: &PyGraph,
    k: usize,
    objective: &str,
    distance: u32,
    seed: u64,
    max_swaps: usize,
    restarts: usize,
    exclude_roles: Vec<String>,
    threads: Option<usize>,
) -> PyResult<(PyTable, f64, u32, PyTable)> {
    let objective = match objective {
        "fragmentation" => KeyPlayerObjective::Fragmentation,
        "distance_fragmentation" => KeyPlayerObjective::DistanceFragmentation,
        "reach" => KeyPlayerObjective::Reach { distance },
        other => {
            return Err(Error::argument(
                "objective",
                format!(
                    "expected \"fragmentation\", \"distance_fragmentation\" or \"reach\", got \
                     {other:?}"
                ),
            ))
            .py_err()
        }
    };
    let options = KeyPlayerOptions {
        k,
        objective,
        seed,
        max_swaps,
        restarts,
    };
    let keep = filter(&exclude_roles)?;
    let g = Arc::clone(&graph.inner);
    let found = run_detached(py, threads, move |cancel| {
        key_players(&g, &options, &keep, cancel)
    })?;
    let ids = graph.inner.node_ids();
    let set = output(vec![
        ("node", ids.to_arrow(Some(&found.set))),
        ("order", ints(1..=found.set.len() as i64)),
    ])?;
    let mut kind = LargeStringBuilder::new();
    for step in &found.trace {
        kind.append_value(match step.kind {
            KeyPlayerMove::Greedy => "greedy",
            KeyPlayerMove::Random => "random",
            KeyPlayerMove::Swap => "swap",
        });
    }
    let added: Vec<u32> = found.trace.iter().map(|s| s.added).collect();
    // Greedy steps remove nobody: a null in `removed`.
    let removed: Vec<Option<u32>> = found.trace.iter().map(|s| s.removed).collect();
    let trace = output(vec![
        (
            "start",
            ints(found.trace.iter().map(|s| i64::from(s.start))),
        ),
        ("step", ints(1..=found.trace.len() as i64)),
        ("move", Arc::new(kind.finish())),
        ("added", ids.to_arrow(Some(&added))),
        ("removed", optional_ids(ids, &removed)),
        ("value", floats(found.trace.iter().map(|s| Some(s.value)))),
    ])?;
    Ok((set, found.value, found.start, trace))
}

/// Node ids, null where `None`.
pub(crate) fn optional_ids(ids: &IdMap, rows: &[Option<u32>]) -> ArrayRef {
    match ids.kind() {
        KeyKind::Str => {
            let mut b = LargeStringBuilder::new();
            for row in rows {
                match row.map(|v| ids.key(v as usize)) {
                    Some(Key::Str(s)) => b.append_value(s),
                    _ => b.append_null(),
                }
            }
            Arc::new(b.finish())
        }
        KeyKind::Int => {
            let mut b = Int64Builder::new();
            for row in rows {
                match row.map(|v| ids.key(v as usize)) {
                    Some(Key::Int(x)) => b.append_value(x),
                    _ => b.append_null(),
                }
            }
            Arc::new(b.finish())
        }
    }
}

/// Per node, whether rankings meant to target people may name it.
#[pyfunction]
#[pyo3(signature = (graph, exclude_roles=Vec::new()))]
fn eligible_targets(graph: &PyGraph, exclude_roles: Vec<String>) -> PyResult<PyTable> {
    let keep = filter(&exclude_roles)?;
    let eligible = keep.eligible(&graph.inner);
    output(vec![
        ("node", graph.inner.node_ids().to_arrow(None)),
        ("eligible", Arc::new(BooleanArray::from(eligible))),
    ])
}

/// Row positions of `frame` ranked by `column`, highest first, leaving excluded roles out.
#[pyfunction]
#[pyo3(signature = (graph, frame, column, node="node", top=None, exclude_roles=Vec::new()))]
fn rank_targets(
    graph: &PyGraph,
    frame: PyTable,
    column: &str,
    node: &str,
    top: Option<usize>,
    exclude_roles: Vec<String>,
) -> PyResult<PyTable> {
    let g = &graph.inner;
    let t = table(frame);
    let index = g.align_nodes(&t, node).py_err()?;
    let values = t.column(column).py_err()?.optional_f64().py_err()?;
    let mut scores = vec![None; g.number_of_nodes()];
    let mut row_of = vec![0usize; g.number_of_nodes()];
    for (row, (&v, s)) in index.iter().zip(values).enumerate() {
        scores[v as usize] = s;
        row_of[v as usize] = row;
    }
    let order = filter(&exclude_roles)?.rank(g, &scores, top).py_err()?;
    output(vec![(
        "row",
        ints(order.iter().map(|&v| row_of[v as usize] as i64)),
    )])
}

/// Add this domain's functions to `aluna._native`.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(communities_of, m)?)?;
    m.add_function(wrap_pyfunction!(modularity_of, m)?)?;
    m.add_function(wrap_pyfunction!(group_summary_of, m)?)?;
    m.add_function(wrap_pyfunction!(structural_holes, m)?)?;
    m.add_function(wrap_pyfunction!(brokerage_of, m)?)?;
    m.add_function(wrap_pyfunction!(key_players_of, m)?)?;
    m.add_function(wrap_pyfunction!(eligible_targets, m)?)?;
    m.add_function(wrap_pyfunction!(rank_targets, m)?)?;
    Ok(())
}
