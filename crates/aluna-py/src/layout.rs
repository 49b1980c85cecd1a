//! Binding of drawing positions (ForceAtlas2 with Barnes–Hut repulsion).

use std::sync::Arc;

use aluna_graph::{layout, LayoutOptions};
use arrow_array::Float64Array;
use pyo3::prelude::*;
use pyo3_arrow::PyTable;

use crate::convert::output;
use crate::graph::PyGraph;
use crate::run::run_detached;

/// Positions per node (`node`, `x`, `y`).
#[pyfunction]
#[pyo3(signature = (graph, iterations=None, scaling=None, gravity=1.0, strong_gravity=false, linlog=false, theta=None, jitter_tolerance=1.0, weighted=false, seed=0, pack_components=true, threads=None))]
#[allow(clippy::too_many_arguments)]
fn layout_of(
    py: Python<'_>,
    graph: &PyGraph,
    iterations: Option<usize>,
    scaling: Option<f64>,
    gravity: f64,
    strong_gravity: bool,
    linlog: bool,
    theta: Option<f64>,
    jitter_tolerance: f64,
    weighted: bool,
    seed: u64,
    pack_components: bool,
    threads: Option<usize>,
) -> PyResult<PyTable> {
    let options = LayoutOptions {
        iterations,
        scaling,
        gravity,
        strong_gravity,
        linlog,
        theta,
        jitter_tolerance,
        weighted,
        seed,
        pack_components,
    };
    let g = Arc::clone(&graph.inner);
    let xy = run_detached(py, threads, move |cancel| layout(&g, &options, cancel))?;
    output(vec![
        ("node", graph.inner.node_ids().to_arrow(None)),
        (
            "x",
            Arc::new(Float64Array::from_iter_values(xy.iter().map(|p| p[0]))),
        ),
        (
            "y",
            Arc::new(Float64Array::from_iter_values(xy.iter().map(|p| p[1]))),
        ),
    ])
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(layout_of, m)?)?;
    Ok(())
}
