//! `aluna._native.Graph`: the binding of [`aluna_graph::CaseGraph`].

use std::sync::Arc;

use aluna_core::ids::{IdMap, Key, KeyKind};
use aluna_core::Error;
use aluna_graph::centrality::{self, node_values};
use aluna_graph::{
    connected_components, degree, strength, strongly_connected_components, CaseGraph, Direction,
    EdgeColumns, GraphOptions, NodeColumns, SubgraphFilter,
};
use arrow_array::builder::{Int64Builder, LargeStringBuilder, ListBuilder};
use arrow_array::{ArrayRef, Float64Array, Int64Array, UInt32Array};
use pyo3::prelude::*;
use pyo3_arrow::PyTable;

use crate::convert::{output, table};
use crate::errors::IntoPy;
use crate::run::run_detached;

/// A case-link graph held in Rust (see `aluna.CaseGraph` for the documented API).
#[pyclass(name = "Graph", module = "aluna._native", frozen)]
pub struct PyGraph {
    pub(crate) inner: Arc<CaseGraph>,
}

impl PyGraph {
    fn wrap(graph: CaseGraph) -> Self {
        Self {
            inner: Arc::new(graph),
        }
    }

    /// A node table: `node` (the user's ids) and one measure column.
    fn node_measure(&self, name: &str, values: Vec<f64>) -> PyResult<PyTable> {
        output(vec![
            ("node", self.inner.node_ids().to_arrow(None)),
            (name, Arc::new(Float64Array::from(values))),
        ])
    }

    /// An edge table of the edges `ids` (ascending), with an optional measure column.
    fn edge_table(
        &self,
        ids: Option<&[u32]>,
        measure: Option<(&str, Vec<f64>)>,
    ) -> PyResult<PyTable> {
        let g = &self.inner;
        let (source, target): (Vec<u32>, Vec<u32>) = match ids {
            None => g.edges().map(|(_, a, b)| (a, b)).unzip(),
            Some(ids) => {
                let mut wanted = ids.iter().peekable();
                g.edges()
                    .filter(|&(e, _, _)| {
                        let hit = wanted.peek() == Some(&&e);
                        if hit {
                            wanted.next();
                        }
                        hit
                    })
                    .map(|(_, a, b)| (a, b))
                    .unzip()
            }
        };
        let mut columns: Vec<(&str, ArrayRef)> = vec![
            ("source", g.node_ids().to_arrow(Some(&source))),
            ("target", g.node_ids().to_arrow(Some(&target))),
        ];
        if let Some((name, values)) = measure {
            columns.push((name, Arc::new(Float64Array::from(values))));
        }
        output(columns)
    }
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

/// A list column of link-type names per edge.
fn link_type_lists(levels: &IdMap, per_edge: impl Iterator<Item = Vec<u32>>) -> ArrayRef {
    match levels.kind() {
        KeyKind::Str => {
            let mut b = ListBuilder::new(LargeStringBuilder::new());
            for codes in per_edge {
                for c in codes {
                    if let Key::Str(s) = levels.key(c as usize) {
                        b.values().append_value(s);
                    }
                }
                b.append(true);
            }
            Arc::new(b.finish())
        }
        KeyKind::Int => {
            let mut b = ListBuilder::new(Int64Builder::new());
            for codes in per_edge {
                for c in codes {
                    if let Key::Int(v) = levels.key(c as usize) {
                        b.values().append_value(v);
                    }
                }
                b.append(true);
            }
            Arc::new(b.finish())
        }
    }
}

#[pymethods]
impl PyGraph {
    /// Build from an edge table and an optional node table.
    #[staticmethod]
    #[pyo3(signature = (edges, source, target, weight=None, link_type=None, time=None, directed=false, multigraph=false, nodes=None, node="node", role=None))]
    #[allow(clippy::too_many_arguments)]
    fn from_tables(
        py: Python<'_>,
        edges: PyTable,
        source: &str,
        target: &str,
        weight: Option<&str>,
        link_type: Option<&str>,
        time: Option<&str>,
        directed: bool,
        multigraph: bool,
        nodes: Option<PyTable>,
        node: &str,
        role: Option<&str>,
    ) -> PyResult<Self> {
        let edges = table(edges);
        let nodes = nodes.map(table);
        let columns = EdgeColumns {
            source,
            target,
            weight,
            link_type,
            time,
        };
        let node_columns = NodeColumns { node, role };
        let options = GraphOptions {
            directed,
            multigraph,
        };
        run_detached(py, None, |_| {
            CaseGraph::from_tables(
                &edges,
                &columns,
                nodes.as_ref().map(|t| (t, &node_columns)),
                options,
            )
        })
        .map(Self::wrap)
    }

    fn number_of_nodes(&self) -> usize {
        self.inner.number_of_nodes()
    }

    fn number_of_edges(&self) -> usize {
        self.inner.number_of_edges()
    }

    fn is_directed(&self) -> bool {
        self.inner.is_directed()
    }

    fn is_multigraph(&self) -> bool {
        self.inner.is_multigraph()
    }

    fn is_weighted(&self) -> bool {
        self.inner.edge_weights().is_some()
    }

    fn has_link_types(&self) -> bool {
        self.inner.link_types().is_some()
    }

    fn has_time(&self) -> bool {
        self.inner.time_kind().is_some()
    }

    fn has_roles(&self) -> bool {
        self.inner.roles().is_some()
    }

    /// How link times are stored: `("integer", None, None)`, `("date", None, None)` or
    /// `("datetime", unit, time zone)`; `None` when links have no time.
    fn time_kind(&self) -> Option<(&'static str, Option<&'static str>, Option<String>)> {
        use aluna_core::table::TimeKind;
        use arrow_schema::TimeUnit;
        Some(match self.inner.time_kind()? {
            TimeKind::Integer => ("integer", None, None),
            TimeKind::Date => ("date", None, None),
            TimeKind::Timestamp(unit, tz) => (
                "datetime",
                Some(match unit {
                    TimeUnit::Second => "s",
                    TimeUnit::Millisecond => "ms",
                    TimeUnit::Microsecond => "us",
                    TimeUnit::Nanosecond => "ns",
                }),
                tz.clone(),
            ),
        })
    }

    /// Approximate heap bytes of the graph's storage.
    fn heap_bytes(&self) -> usize {
        self.inner.heap_bytes()
    }

    /// Node ids (and roles, when set) in index order.
    fn nodes(&self) -> PyResult<PyTable> {
        let g = &self.inner;
        let mut columns = vec![("node", g.node_ids().to_arrow(None))];
        if let Some(roles) = g.roles() {
            let mut b = LargeStringBuilder::new();
            roles.iter().for_each(|r| b.append_value(r.name()));
            columns.push(("role", Arc::new(b.finish()) as ArrayRef));
        }
        output(columns)
    }

    /// Edges, one row per merged edge (or per observed link when `per_link`).
    #[pyo3(signature = (per_link=false))]
    fn edges(&self, py: Python<'_>, per_link: bool) -> PyResult<PyTable> {
        let g = Arc::clone(&self.inner);
        let columns = run_detached(py, None, move |_| {
            let ids = g.node_ids();
            let mut columns: Vec<(&str, ArrayRef)> = Vec::new();
            if per_link {
                let rows = g.edge_rows();
                columns.push(("source", ids.to_arrow(Some(&rows.source))));
                columns.push(("target", ids.to_arrow(Some(&rows.target))));
                if let Some(w) = rows.weight {
                    columns.push(("weight", Arc::new(Float64Array::from(w))));
                }
                if let (Some(codes), Some(levels)) = (rows.link_type, g.link_types()) {
                    columns.push(("link_type", levels.to_arrow(Some(&codes))));
                }
                if let (Some(t), Some(kind)) = (rows.time, g.time_kind()) {
                    columns.push(("time", kind.to_arrow(t)?));
                }
                if let (Some(u), Some(kind)) = (rows.until, g.time_kind()) {
                    columns.push(("until", kind.to_arrow(u)?));
                }
                return Ok(columns);
            }
            let (source, target): (Vec<u32>, Vec<u32>) = g.edges().map(|(_, a, b)| (a, b)).unzip();
            columns.push(("source", ids.to_arrow(Some(&source))));
            columns.push(("target", ids.to_arrow(Some(&target))));
            if let Some(w) = g.edge_weights() {
                columns.push(("weight", Arc::new(Float64Array::from(w.to_vec()))));
            }
            if let Some(levels) = g.link_types() {
                let per_edge = (0..g.number_of_pairs()).map(|e| g.edge_link_types(e));
                columns.push(("link_types", link_type_lists(levels, per_edge)));
            }
            if let Some(kind) = g.time_kind() {
                let spans: Vec<(i64, i64)> = (0..g.number_of_pairs())
                    .map(|e| g.edge_time_span(e).unwrap_or((0, 0)))
                    .collect();
                columns.push((
                    "first_seen",
                    kind.to_arrow(spans.iter().map(|s| s.0).collect())?,
                ));
                columns.push((
                    "last_seen",
                    kind.to_arrow(spans.iter().map(|s| s.1).collect())?,
                ));
            }
            let counts: Vec<i64> = g.multiplicities().map(i64::from).collect();
            columns.push(("links", Arc::new(Int64Array::from(counts))));
            Ok(columns)
        })?;
        output(columns)
    }

    /// Degree (or strength, when `weighted`) per node.
    #[pyo3(signature = (name, weighted=false, direction="all"))]
    fn degree(&self, name: &str, weighted: bool, direction: &str) -> PyResult<PyTable> {
        let d = self::direction(direction)?;
        let values: ArrayRef = if weighted {
            Arc::new(Float64Array::from(strength(&self.inner, d).py_err()?))
        } else {
            let counts = degree(&self.inner, d).py_err()?;
            Arc::new(Int64Array::from_iter_values(
                counts.into_iter().map(|c| c as i64),
            ))
        };
        output(vec![
            ("node", self.inner.node_ids().to_arrow(None)),
            (name, values),
        ])
    }

    /// Component label per node.
    #[pyo3(signature = (strong=false))]
    fn components(&self, py: Python<'_>, strong: bool) -> PyResult<PyTable> {
        let g = Arc::clone(&self.inner);
        let labels = run_detached(py, None, move |_| {
            if strong {
                strongly_connected_components(&g)
            } else {
                Ok(connected_components(&g))
            }
        })?;
        output(vec![
            ("node", self.inner.node_ids().to_arrow(None)),
            (
                "component",
                Arc::new(Int64Array::from_iter_values(
                    labels.into_iter().map(i64::from),
                )),
            ),
        ])
    }

    /// The subgraph of some nodes, link types and a time window `[start, end)`.
    #[pyo3(signature = (nodes=None, link_types=None, start=None, end=None))]
    fn subgraph(
        &self,
        py: Python<'_>,
        nodes: Option<PyTable>,
        link_types: Option<PyTable>,
        start: Option<i64>,
        end: Option<i64>,
    ) -> PyResult<Self> {
        let g = Arc::clone(&self.inner);
        let nodes = nodes.map(table);
        let link_types = link_types.map(table);
        run_detached(py, None, move |_| {
            let nodes = nodes.map(|t| g.lookup_nodes(&t, "node")).transpose()?;
            let link_types = match link_types {
                None => None,
                Some(t) => {
                    let levels = g.link_types().ok_or_else(|| {
                        Error::argument(
                            "link_types",
                            "the graph's links have no type; build it with link_type=<column>",
                        )
                    })?;
                    let mut codes = Vec::new();
                    t.column("link_type")?.for_each_key(|_, key| {
                        let key = key
                            .ok_or_else(|| Error::argument("link_types", "a link type is None"))?;
                        codes.push(levels.get(key).ok_or_else(|| {
                            Error::argument("link_types", format!("unknown link type {key}"))
                        })?);
                        Ok(())
                    })?;
                    Some(codes)
                }
            };
            g.subgraph(&SubgraphFilter {
                nodes,
                link_types,
                start,
                end,
            })
        })
        .map(Self::wrap)
    }

    /// Index of each row's node (for aligning node attributes); unknown ids and duplicates raise.
    fn align_nodes(&self, nodes: PyTable, column: &str) -> PyResult<PyTable> {
        let t = table(nodes);
        let index = self.inner.align_nodes(&t, column).py_err()?;
        output(vec![("index", Arc::new(UInt32Array::from(index)))])
    }

    /// A copy whose node roles come from `nodes` (columns `column` and `role`; nodes not listed
    /// are unknown).
    fn with_roles(&self, nodes: PyTable, column: &str, role: &str) -> PyResult<Self> {
        let t = table(nodes);
        let index = self.inner.align_nodes(&t, column).py_err()?;
        let given = aluna_graph::read_roles(&t, role).py_err()?;
        let mut roles = vec![aluna_graph::Role::Unknown; self.inner.number_of_nodes()];
        for (v, r) in index.into_iter().zip(given) {
            roles[v as usize] = r;
        }
        let graph = (*self.inner).clone().with_roles(Some(roles)).py_err()?;
        Ok(Self::wrap(graph))
    }

    // ------------------------------------------------------------ centrality (issue 5)

    /// Betweenness per node: exact (Brandes), or sampled when `epsilon` is given.
    #[pyo3(signature = (normalized=true, weighted=false, endpoints=false, epsilon=None, delta=0.1, seed=0, threads=None))]
    #[allow(clippy::too_many_arguments)]
    fn betweenness(
        &self,
        py: Python<'_>,
        normalized: bool,
        weighted: bool,
        endpoints: bool,
        epsilon: Option<f64>,
        delta: f64,
        seed: u64,
        threads: Option<usize>,
    ) -> PyResult<PyTable> {
        let g = Arc::clone(&self.inner);
        let values = run_detached(py, threads, move |cancel| match epsilon {
            None => centrality::betweenness(
                &g,
                &centrality::BetweennessOptions {
                    normalized,
                    endpoints,
                    weighted,
                },
                cancel,
            ),
            Some(epsilon) => {
                if endpoints {
                    return Err(Error::argument(
                        "endpoints",
                        "sampled betweenness (epsilon=...) counts interior nodes only; \
                         use endpoints=False or the exact computation",
                    ));
                }
                let options = centrality::SamplingOptions {
                    epsilon,
                    delta,
                    seed,
                    normalized,
                    weighted,
                };
                centrality::approximate_betweenness(&g, &options, cancel).map(|a| a.values)
            }
        })?;
        self.node_measure("betweenness", values)
    }

    /// Betweenness per edge, in edge order.
    #[pyo3(signature = (normalized=true, weighted=false, threads=None))]
    fn edge_betweenness(
        &self,
        py: Python<'_>,
        normalized: bool,
        weighted: bool,
        threads: Option<usize>,
    ) -> PyResult<PyTable> {
        let g = Arc::clone(&self.inner);
        let options = centrality::EdgeBetweennessOptions {
            normalized,
            weighted,
        };
        let values = run_detached(py, threads, move |cancel| {
            centrality::edge_betweenness(&g, &options, cancel)
        })?;
        self.edge_table(None, Some(("edge_betweenness", values)))
    }

    /// Closeness per node.
    #[pyo3(signature = (weighted=false, wf_improved=true, threads=None))]
    fn closeness(
        &self,
        py: Python<'_>,
        weighted: bool,
        wf_improved: bool,
        threads: Option<usize>,
    ) -> PyResult<PyTable> {
        let g = Arc::clone(&self.inner);
        let options = centrality::ClosenessOptions {
            weighted,
            wf_improved,
        };
        let values = run_detached(py, threads, move |cancel| {
            centrality::closeness(&g, &options, cancel)
        })?;
        self.node_measure("closeness", values)
    }

    /// Harmonic centrality per node.
    #[pyo3(signature = (weighted=false, threads=None))]
    fn harmonic(
        &self,
        py: Python<'_>,
        weighted: bool,
        threads: Option<usize>,
    ) -> PyResult<PyTable> {
        let g = Arc::clone(&self.inner);
        let options = centrality::ClosenessOptions {
            weighted,
            ..Default::default()
        };
        let values = run_detached(py, threads, move |cancel| {
            centrality::harmonic(&g, &options, cancel)
        })?;
        self.node_measure("harmonic", values)
    }

    /// Eigenvector centrality per node.
    #[pyo3(signature = (weighted=false, tol=1e-10, max_iter=1000, threads=None))]
    fn eigenvector(
        &self,
        py: Python<'_>,
        weighted: bool,
        tol: f64,
        max_iter: usize,
        threads: Option<usize>,
    ) -> PyResult<PyTable> {
        let g = Arc::clone(&self.inner);
        let options = centrality::SpectralOptions {
            weighted,
            tol,
            max_iter,
        };
        let values = run_detached(py, threads, move |cancel| {
            centrality::eigenvector(&g, &options, cancel)
        })?;
        self.node_measure("eigenvector", values)
    }

    /// PageRank per node; `personalization` is a table with columns `node` and `value`.
    #[pyo3(signature = (alpha=0.85, weighted=false, personalization=None, tol=1e-10, max_iter=1000, threads=None))]
    #[allow(clippy::too_many_arguments)]
    fn pagerank(
        &self,
        py: Python<'_>,
        alpha: f64,
        weighted: bool,
        personalization: Option<PyTable>,
        tol: f64,
        max_iter: usize,
        threads: Option<usize>,
    ) -> PyResult<PyTable> {
        let g = Arc::clone(&self.inner);
        let personalization = personalization.map(table);
        let values = run_detached(py, threads, move |cancel| {
            let personalization = personalization
                .map(|t| {
                    node_values(
                        &g,
                        &t,
                        "node",
                        "value",
                        Some(0.0),
                        0.0,
                        "a finite number >= 0",
                    )
                })
                .transpose()?;
            let options = centrality::PageRankOptions {
                alpha,
                weighted,
                personalization,
                tol,
                max_iter,
            };
            centrality::pagerank(&g, &options, cancel)
        })?;
        self.node_measure("pagerank", values)
    }

    /// Katz centrality per node; `node_beta` is a table with columns `node` and `value`.
    #[pyo3(signature = (alpha=0.1, beta=1.0, node_beta=None, normalized=true, weighted=false, tol=1e-10, max_iter=1000, threads=None))]
    #[allow(clippy::too_many_arguments)]
    fn katz(
        &self,
        py: Python<'_>,
        alpha: f64,
        beta: f64,
        node_beta: Option<PyTable>,
        normalized: bool,
        weighted: bool,
        tol: f64,
        max_iter: usize,
        threads: Option<usize>,
    ) -> PyResult<PyTable> {
        let g = Arc::clone(&self.inner);
        let node_beta = node_beta.map(table);
        let values = run_detached(py, threads, move |cancel| {
            let node_beta = node_beta
                .map(|t| {
                    node_values(
                        &g,
                        &t,
                        "node",
                        "value",
                        None,
                        f64::NEG_INFINITY,
                        "a finite number",
                    )
                })
                .transpose()?;
            let options = centrality::KatzOptions {
                alpha,
                beta,
                node_beta,
                normalized,
                weighted,
                tol,
                max_iter,
            };
            centrality::katz(&g, &options, cancel)
        })?;
        self.node_measure("katz", values)
    }

    /// Core number per node.
    fn core_number(&self, py: Python<'_>) -> PyResult<PyTable> {
        let g = Arc::clone(&self.inner);
        let cores = run_detached(py, None, move |_| Ok(centrality::core_number(&g)))?;
        output(vec![
            ("node", self.inner.node_ids().to_arrow(None)),
            (
                "core_number",
                Arc::new(Int64Array::from_iter_values(
                    cores.into_iter().map(i64::from),
                )),
            ),
        ])
    }

    /// Local clustering coefficient per node.
    #[pyo3(signature = (weighted=false, threads=None))]
    fn clustering(
        &self,
        py: Python<'_>,
        weighted: bool,
        threads: Option<usize>,
    ) -> PyResult<PyTable> {
        let g = Arc::clone(&self.inner);
        let values = run_detached(py, threads, move |cancel| {
            centrality::clustering(&g, weighted, cancel)
        })?;
        self.node_measure("clustering", values)
    }

    /// Transitivity of the graph.
    #[pyo3(signature = (threads=None))]
    fn transitivity(&self, py: Python<'_>, threads: Option<usize>) -> PyResult<f64> {
        let g = Arc::clone(&self.inner);
        run_detached(py, threads, move |cancel| {
            centrality::transitivity(&g, cancel)
        })
    }

    /// The articulation points, in node order.
    fn articulation_points(&self, py: Python<'_>) -> PyResult<PyTable> {
        let g = Arc::clone(&self.inner);
        let mask = run_detached(py, None, move |_| centrality::articulation_points(&g))?;
        let points: Vec<u32> = (0..mask.len() as u32)
            .filter(|&v| mask[v as usize])
            .collect();
        output(vec![(
            "node",
            self.inner.node_ids().to_arrow(Some(&points)),
        )])
    }

    /// The bridges, in edge order.
    fn bridges(&self, py: Python<'_>) -> PyResult<PyTable> {
        let g = Arc::clone(&self.inner);
        let ids = run_detached(py, None, move |_| centrality::bridges(&g))?;
        self.edge_table(Some(&ids), None)
    }
}
