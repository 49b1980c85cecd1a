//! Bindings of disruption simulation and per-node features (as of a date).

use std::sync::Arc;

use aluna_core::Error;
use aluna_graph::{
    disruption, node_features, node_features_as_of, DisruptionOptions, DisruptionStrategy,
    FeatureOptions, NodeFeatures, Recovery, SubgraphFilter, TargetFilter,
};
use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array};
use pyo3::prelude::*;
use pyo3_arrow::PyTable;

use crate::convert::{output, table};
use crate::errors::IntoPy;
use crate::graph::PyGraph;
use crate::groups::optional_ids;
use crate::run::run_detached;

fn ints(values: impl IntoIterator<Item = i64>) -> ArrayRef {
    Arc::new(Int64Array::from_iter_values(values))
}

fn floats(values: impl IntoIterator<Item = Option<f64>>) -> ArrayRef {
    Arc::new(values.into_iter().collect::<Float64Array>())
}

/// A disruption simulation: (resilience curve, links added by the repair).
#[pyfunction]
#[pyo3(signature = (graph, strategy="degree", steps=10, recalculate=true, recovery="none", recovery_probability=0.5, seed=0, efficiency=true, exclude_roles=Vec::new(), threads=None))]
#[allow(clippy::too_many_arguments)]
fn disruption_of(
    py: Python<'_>,
    graph: &PyGraph,
    strategy: &str,
    steps: usize,
    recalculate: bool,
    recovery: &str,
    recovery_probability: f64,
    seed: u64,
    efficiency: bool,
    exclude_roles: Vec<String>,
    threads: Option<usize>,
) -> PyResult<(PyTable, PyTable)> {
    let strategy = DisruptionStrategy::parse(strategy).py_err()?;
    let recovery = match recovery {
        "none" => Recovery::None,
        "neighbours" => Recovery::Neighbours {
            probability: recovery_probability,
        },
        other => {
            return Err(Error::argument(
                "recovery",
                format!("expected \"none\" or \"neighbours\", got {other:?}"),
            ))
            .py_err()
        }
    };
    let options = DisruptionOptions {
        strategy,
        steps,
        recalculate,
        recovery,
        seed,
        efficiency,
    };
    let keep = TargetFilter::from_names(&exclude_roles).py_err()?;
    let g = Arc::clone(&graph.inner);
    let result = run_detached(py, threads, move |cancel| {
        disruption(&g, &options, &keep, cancel)
    })?;
    let ids = graph.inner.node_ids();
    let n = graph.inner.number_of_nodes() as f64;
    let s = &result.steps;
    let removed: Vec<Option<u32>> = s.iter().map(|x| x.removed).collect();
    let curve = output(vec![
        ("step", ints(s.iter().map(|x| x.step as i64))),
        ("node", optional_ids(ids, &removed)),
        ("score", floats(s.iter().map(|x| x.score))),
        ("nodes_left", ints(s.iter().map(|x| x.nodes_left as i64))),
        ("links", ints(s.iter().map(|x| x.links as i64))),
        ("links_added", ints(s.iter().map(|x| x.links_added as i64))),
        ("components", ints(s.iter().map(|x| x.components as i64))),
        (
            "largest_component",
            ints(s.iter().map(|x| x.largest_component as i64)),
        ),
        (
            "largest_component_fraction",
            floats(
                s.iter()
                    .map(|x| (n > 0.0).then(|| x.largest_component as f64 / n)),
            ),
        ),
        ("fragmentation", floats(s.iter().map(|x| x.fragmentation))),
        ("efficiency", floats(s.iter().map(|x| x.efficiency))),
    ])?;
    let a: Vec<u32> = result.added.iter().map(|l| l.a).collect();
    let b: Vec<u32> = result.added.iter().map(|l| l.b).collect();
    let added = output(vec![
        ("step", ints(result.added.iter().map(|l| l.step as i64))),
        ("source", ids.to_arrow(Some(&a))),
        ("target", ids.to_arrow(Some(&b))),
    ])?;
    Ok((curve, added))
}

/// The feature columns of a features table (after `node`).
fn feature_columns(f: &NodeFeatures, weighted: bool) -> Vec<(&'static str, ArrayRef)> {
    let r = &f.rows;
    let mut columns: Vec<(&'static str, ArrayRef)> =
        vec![("degree", ints(r.iter().map(|x| x.degree as i64)))];
    if weighted {
        columns.push(("strength", floats(r.iter().map(|x| x.strength))));
    }
    columns.extend([
        ("betweenness", floats(r.iter().map(|x| Some(x.betweenness)))),
        ("closeness", floats(r.iter().map(|x| Some(x.closeness)))),
        ("harmonic", floats(r.iter().map(|x| Some(x.harmonic)))),
        ("eigenvector", floats(r.iter().map(|x| x.eigenvector))),
        ("pagerank", floats(r.iter().map(|x| Some(x.pagerank)))),
        (
            "core_number",
            ints(r.iter().map(|x| i64::from(x.core_number))),
        ),
        ("clustering", floats(r.iter().map(|x| Some(x.clustering)))),
        ("constraint", floats(r.iter().map(|x| x.constraint))),
        ("effective_size", floats(r.iter().map(|x| x.effective_size))),
        (
            "component_size",
            ints(r.iter().map(|x| x.component_size as i64)),
        ),
        ("community", ints(r.iter().map(|x| i64::from(x.community)))),
        (
            "community_size",
            ints(r.iter().map(|x| x.community_size as i64)),
        ),
        (
            "articulation_point",
            Arc::new(BooleanArray::from(
                r.iter().map(|x| x.articulation_point).collect::<Vec<_>>(),
            )) as ArrayRef,
        ),
    ]);
    columns
}

/// Per-node features: of the whole graph, of the links seen before `end`, or (with `nodes`, a
/// table of `node` and `as_of` in the graph's time units) of each listed node's own links before
/// its time, one row per listed node in the order given.
#[pyfunction]
#[pyo3(signature = (graph, end=None, nodes=None, weighted=false, exact_betweenness_limit=10_000, epsilon=0.01, delta=0.1, seed=0, resolution=1.0, threads=None))]
#[allow(clippy::too_many_arguments)]
fn node_features_of(
    py: Python<'_>,
    graph: &PyGraph,
    end: Option<i64>,
    nodes: Option<PyTable>,
    weighted: bool,
    exact_betweenness_limit: usize,
    epsilon: f64,
    delta: f64,
    seed: u64,
    resolution: f64,
    threads: Option<usize>,
) -> PyResult<PyTable> {
    let options = FeatureOptions {
        weighted,
        exact_betweenness_limit,
        epsilon,
        delta,
        seed,
        resolution,
    };
    let g = Arc::clone(&graph.inner);
    let rows = nodes.map(table);
    let (features, listed) = run_detached(py, threads, move |cancel| match rows {
        Some(t) => {
            if g.time_kind().is_none() {
                return Err(Error::argument(
                    "as_of",
                    "the graph's links have no time; build it with time=<column>",
                ));
            }
            let index = g.align_nodes(&t, "node")?;
            let (_, times) = t
                .column("as_of")?
                .time_values("a time (each node's cutoff)")?;
            let f = node_features_as_of(&g, &index, &times, &options, cancel)?;
            Ok((f, Some(index)))
        }
        None => {
            let f = match end {
                None => node_features(&g, &options, cancel)?,
                Some(end) => {
                    if g.time_kind().is_none() {
                        return Err(Error::argument(
                            "as_of",
                            "the graph's links have no time; build it with time=<column>",
                        ));
                    }
                    let before = g.subgraph(&SubgraphFilter {
                        end: Some(end),
                        ..Default::default()
                    })?;
                    node_features(&before, &options, cancel)?
                }
            };
            Ok((f, None))
        }
    })?;
    let ids = graph.inner.node_ids();
    let mut columns: Vec<(&str, ArrayRef)> = vec![("node", ids.to_arrow(listed.as_deref()))];
    columns.extend(feature_columns(&features, weighted));
    output(columns)
}

/// Add this domain's functions to `aluna._native`.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(disruption_of, m)?)?;
    m.add_function(wrap_pyfunction!(node_features_of, m)?)?;
    Ok(())
}
