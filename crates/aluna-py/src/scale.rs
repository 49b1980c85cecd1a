//! `aluna._native.GraphBuilder`: the binding of [`aluna_graph::GraphBuilder`], which builds a
//! graph from an edge table streamed in batches (see `aluna.scale`).

use std::sync::{Arc, Mutex};

use aluna_core::Error;
use aluna_graph::{EdgeColumns, GraphBuilder, GraphOptions, NodeColumns, ObservationColumns};
use pyo3::prelude::*;
use pyo3_arrow::PyTable;

use crate::convert::table;
use crate::errors::IntoPy;
use crate::graph::PyGraph;
use crate::run::run_detached;

/// A graph under construction from batches of edge rows.
#[pyclass(name = "GraphBuilder", module = "aluna._native", frozen)]
pub struct PyGraphBuilder {
    inner: Mutex<Option<GraphBuilder>>,
}

impl PyGraphBuilder {
    fn with<T>(&self, f: impl FnOnce(&mut GraphBuilder) -> aluna_core::Result<T>) -> PyResult<T> {
        let mut guard = self
            .inner
            .lock()
            .map_err(|_| Error::argument("builder", "used from two threads at once"))
            .py_err()?;
        let builder = guard
            .as_mut()
            .ok_or_else(|| Error::argument("builder", "the graph was already built"))
            .py_err()?;
        f(builder).py_err()
    }
}

#[pymethods]
impl PyGraphBuilder {
    #[new]
    #[pyo3(signature = (source, target, weight=None, link_type=None, time=None, directed=false, multigraph=false))]
    fn new(
        source: &str,
        target: &str,
        weight: Option<&str>,
        link_type: Option<&str>,
        time: Option<&str>,
        directed: bool,
        multigraph: bool,
    ) -> Self {
        let columns = EdgeColumns {
            source,
            target,
            weight,
            link_type,
            time,
        };
        let options = GraphOptions {
            directed,
            multigraph,
        };
        Self {
            inner: Mutex::new(Some(GraphBuilder::new(
                &columns,
                &ObservationColumns::default(),
                options,
            ))),
        }
    }

    /// Declare every node (and roles) before the edges.
    #[pyo3(signature = (nodes, node="node", role=None))]
    fn nodes(&self, nodes: PyTable, node: &str, role: Option<&str>) -> PyResult<()> {
        let nodes = table(nodes);
        self.with(|b| b.nodes(&nodes, &NodeColumns { node, role }))
    }

    /// Reserve room for `rows` more edge rows.
    fn reserve(&self, rows: usize) -> PyResult<()> {
        self.with(|b| {
            b.reserve(rows);
            Ok(())
        })
    }

    /// Add one batch of edge rows; the batch is not kept.
    fn push(&self, py: Python<'_>, batch: PyTable) -> PyResult<()> {
        let batch = table(batch);
        let mut guard = self
            .inner
            .lock()
            .map_err(|_| Error::argument("builder", "used from two threads at once"))
            .py_err()?;
        let builder = guard
            .as_mut()
            .ok_or_else(|| Error::argument("builder", "the graph was already built"))
            .py_err()?;
        run_detached(py, None, |_| builder.push(&batch))
    }

    /// Edge rows pushed so far.
    fn rows(&self) -> PyResult<usize> {
        self.with(|b| Ok(b.rows()))
    }

    /// Build the graph (the builder cannot be used afterwards).
    fn finish(&self, py: Python<'_>) -> PyResult<PyGraph> {
        let builder = self
            .inner
            .lock()
            .map_err(|_| Error::argument("builder", "used from two threads at once"))
            .py_err()?
            .take()
            .ok_or_else(|| Error::argument("builder", "the graph was already built"))
            .py_err()?;
        let graph = run_detached(py, None, move |_| builder.finish())?;
        Ok(PyGraph {
            inner: Arc::new(graph),
        })
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyGraphBuilder>()
}
