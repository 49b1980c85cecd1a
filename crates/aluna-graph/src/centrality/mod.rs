//! Node and edge centralities: who lies on the shortest paths, who is close to everyone, who is
//! tied to the well-tied, who sits in the dense core, and which people and links hold the
//! network together.
//!
//! Every function takes a [`CaseGraph`] and returns one value per node index (or per edge id),
//! with networkx's semantics and normalisation unless its documentation says otherwise. Long
//! computations take a [`Cancel`](aluna_core::parallel::Cancel) flag they poll between items,
//! run on the current rayon pool, and give the same bits for any number of threads: per-source
//! shares are summed with [`aluna_core::parallel::ordered_fold`], per-node values are computed
//! by one thread each, and sums over nodes are taken in fixed chunks combined in chunk order.
//!
//! Weights, when asked for (`weighted: true`), are the graph's merged edge weights (the sum over
//! parallel links). Path measures read them as lengths, as networkx does; spectral measures read
//! them as tie strengths.

mod betweenness;
mod clustering;
mod cores;
mod cuts;
mod distance;
mod paths;
mod sampling;
mod spectral;

pub(crate) use betweenness::betweenness_without;
pub use betweenness::{betweenness, edge_betweenness, BetweennessOptions, EdgeBetweennessOptions};
pub use clustering::{clustering, transitivity};
pub use cores::core_number;
pub use cuts::{articulation_points, bridges};
pub use distance::{closeness, harmonic, ClosenessOptions};
pub use sampling::{approximate_betweenness, ApproximateBetweenness, SamplingOptions};
pub(crate) use spectral::pagerank_without;
pub use spectral::{eigenvector, katz, pagerank, KatzOptions, PageRankOptions, SpectralOptions};

use aluna_core::table::Table;
use aluna_core::{Error, Result};
use rayon::prelude::*;

use crate::CaseGraph;

/// Items per chunk of [`ordered_sum`]: sums over nodes are fixed-size chunk sums added in order.
const SUM_CHUNK: usize = 4096;

/// `sum(f(i) for i in 0..n)` computed in parallel in fixed chunks and combined in chunk order,
/// so the result does not depend on the number of threads.
pub(crate) fn ordered_sum(n: usize, f: impl Fn(usize) -> f64 + Sync) -> f64 {
    let parts: Vec<f64> = (0..n.div_ceil(SUM_CHUNK))
        .into_par_iter()
        .map(|c| (c * SUM_CHUNK..((c + 1) * SUM_CHUNK).min(n)).map(&f).sum())
        .collect();
    parts.iter().sum()
}

/// The graph's edge weights, or an error saying how to give the graph weights.
pub(crate) fn require_weights(graph: &CaseGraph) -> Result<&[f64]> {
    graph.edge_weights().ok_or_else(|| {
        Error::argument(
            "weight",
            "the graph has no weights; build it with weight=<column>",
        )
    })
}

/// Per out-slot lengths for weighted path measures, checked to be positive when `positive`.
///
/// Shortest-path counts (betweenness) need strictly positive lengths: with zero-length links,
/// paths of equal length can run through cycles and the counts are not defined.
pub(crate) fn slot_lengths(
    graph: &CaseGraph,
    slots: &[u32],
    positive: bool,
    measure: &'static str,
) -> Result<Vec<f64>> {
    let weight = require_weights(graph)?;
    if positive {
        if let Some((_, a, b)) = graph.edges().find(|&(e, _, _)| weight[e as usize] <= 0.0) {
            let ids = graph.node_ids();
            return Err(Error::argument(
                "weight",
                format!(
                    "{measure} reads weights as lengths and needs them positive; the link \
                     {} - {} has weight 0 (drop it, or give it a small positive length)",
                    ids.key(a as usize),
                    ids.key(b as usize)
                ),
            ));
        }
    }
    Ok(slots.iter().map(|&e| weight[e as usize]).collect())
}

/// One value per node from a table with a node column and a value column.
///
/// Nodes not listed get `fill`; with `fill = None` every node must be listed. Values must be
/// finite and at least `min`. Unknown nodes and duplicates are errors naming the row.
///
/// # Example
/// ```
/// use std::sync::Arc;
/// use aluna_core::ids::{IdMap, Key};
/// use aluna_core::table::Table;
/// use aluna_graph::{centrality::node_values, CaseGraph, EdgeRows, GraphOptions};
/// use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch};
/// let mut ids = IdMap::new_int();
/// for v in 0..3 { ids.intern(Key::Int(v * 10))?; }
/// let rows = EdgeRows { source: vec![0, 1], target: vec![1, 2], ..Default::default() };
/// let g = CaseGraph::build(ids, rows, None, None, GraphOptions::default())?;
/// let batch = RecordBatch::try_from_iter([
///     ("node", Arc::new(Int64Array::from(vec![20])) as ArrayRef),
///     ("value", Arc::new(Float64Array::from(vec![2.5])) as ArrayRef),
/// ]).unwrap();
/// let table = Table::new(batch.schema(), vec![batch]);
/// assert_eq!(node_values(&g, &table, "node", "value", Some(0.0), 0.0, "a number >= 0")?, vec![0.0, 0.0, 2.5]);
/// # Ok::<(), aluna_core::Error>(())
/// ```
pub fn node_values(
    graph: &CaseGraph,
    table: &Table,
    node: &str,
    value: &str,
    fill: Option<f64>,
    min: f64,
    expected: &'static str,
) -> Result<Vec<f64>> {
    let index = graph.align_nodes(table, node)?;
    let values = table.column(value)?.finite_f64(min, expected)?;
    let n = graph.number_of_nodes();
    let mut out = vec![fill.unwrap_or(f64::NAN); n];
    for (&v, x) in index.iter().zip(values) {
        out[v as usize] = x;
    }
    if fill.is_none() && index.len() < n {
        let mut listed = vec![false; n];
        index.iter().for_each(|&v| listed[v as usize] = true);
        if let Some(v) = listed.iter().position(|&l| !l) {
            return Err(Error::argument(
                "values",
                format!(
                    "every node needs a value in column `{value}`; node {} is missing",
                    graph.node_ids().key(v)
                ),
            ));
        }
    }
    Ok(out)
}
