//! Closeness and harmonic centrality: how near a node is to everyone else.

use aluna_core::parallel::{ordered_map, Cancel};
use aluna_core::Result;

use super::paths::{Bfs, Dijkstra};
use super::slot_lengths;
use crate::CaseGraph;

/// How [`closeness`] and [`harmonic`] measure distance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClosenessOptions {
    /// Read the graph's weights as link lengths (non-negative) and use weighted distances.
    pub weighted: bool,
    /// Scale closeness by the share of other nodes that can reach the node (Wasserman & Faust
    /// 1994), so that nodes in small components do not look central. Ignored by [`harmonic`].
    pub wf_improved: bool,
}

impl Default for ClosenessOptions {
    fn default() -> Self {
        Self {
            weighted: false,
            wf_improved: true,
        }
    }
}

/// Distances from every node to node `u` (along incoming links when directed), summarised by
/// `summary(sum over reached nodes of f(distance), reached)`.
fn per_node<F, S>(
    graph: &CaseGraph,
    weighted: bool,
    measure: &'static str,
    cancel: &Cancel,
    term: F,
    summary: S,
) -> Result<Vec<f64>>
where
    F: Fn(f64) -> f64 + Sync,
    S: Fn(f64, usize) -> f64 + Sync,
{
    let n = graph.number_of_nodes();
    // Distances *to* u are distances from u in the reversed graph: its in-adjacency.
    let adjacency = graph.in_adjacency();
    if weighted {
        let lengths = slot_lengths(graph, &graph.in_slot_edges(), false, measure)?;
        ordered_map(
            n,
            cancel,
            || Dijkstra::new(n),
            |u, search| {
                search.run(adjacency, &lengths, u as u32, None, None);
                let total: f64 = search
                    .order
                    .iter()
                    .map(|&v| term(search.dist[v as usize]))
                    .sum();
                summary(total, search.order.len())
            },
        )
    } else {
        ordered_map(
            n,
            cancel,
            || Bfs::new(n),
            |u, search| {
                search.run(adjacency, u as u32);
                let total: f64 = search
                    .order
                    .iter()
                    .map(|&v| term(f64::from(search.hops[v as usize])))
                    .sum();
                summary(total, search.order.len())
            },
        )
    }
}

/// Closeness centrality of every node, by node index, as networkx's `closeness_centrality`.
///
/// `C(u) = (r - 1) / sum of d(v, u)` over the `r - 1` other nodes `v` that can reach `u`
/// (Bavelas 1950; Freeman 1979); with `wf_improved` multiplied by `(r - 1) / (n - 1)`
/// (Wasserman & Faust 1994, eq. 5.12), which makes values comparable across components.
/// Directed graphs use distances *to* `u` (incoming paths). A node no one reaches scores 0.
/// One breadth-first search (Dijkstra's algorithm when weighted) per node, O(nm).
///
/// Parallel over nodes, each computed by one thread: identical for any thread count.
///
/// # Errors
/// `InvalidArgument` when `weighted` and the graph has no weights; `Cancelled`.
///
/// # References
/// Freeman, L. C. (1979). Centrality in networks: I. Conceptual clarification. Social Networks
/// 1(3), 215-239. <https://doi.org/10.1016/0378-8733(78)90021-7>.
/// Wasserman, S., & Faust, K. (1994). Social Network Analysis: Methods and Applications.
/// Cambridge University Press. <https://doi.org/10.1017/CBO9780511815478>.
///
/// # Example
/// ```
/// use aluna_core::ids::{IdMap, Key};
/// use aluna_core::parallel::Cancel;
/// use aluna_graph::centrality::{closeness, ClosenessOptions};
/// use aluna_graph::{CaseGraph, EdgeRows, GraphOptions};
/// let mut ids = IdMap::new_int();
/// for v in 0..3 { ids.intern(Key::Int(v))?; }
/// let rows = EdgeRows { source: vec![0, 1], target: vec![1, 2], ..Default::default() };
/// let g = CaseGraph::build(ids, rows, None, None, GraphOptions::default())?;
/// // The middle of a path is 1 step from both ends; the ends are 1 and 2 steps away.
/// assert_eq!(closeness(&g, &ClosenessOptions::default(), &Cancel::new())?, vec![2.0 / 3.0, 1.0, 2.0 / 3.0]);
/// # Ok::<(), aluna_core::Error>(())
/// ```
pub fn closeness(
    graph: &CaseGraph,
    options: &ClosenessOptions,
    cancel: &Cancel,
) -> Result<Vec<f64>> {
    let n = graph.number_of_nodes();
    let wf = options.wf_improved;
    per_node(
        graph,
        options.weighted,
        "closeness",
        cancel,
        |d| d,
        |total, reached| {
            if total > 0.0 && n > 1 {
                let others = (reached - 1) as f64;
                let c = others / total;
                if wf {
                    c * (others / (n - 1) as f64)
                } else {
                    c
                }
            } else {
                0.0
            }
        },
    )
}

/// Harmonic centrality of every node, by node index, as networkx's `harmonic_centrality`.
///
/// `H(u) = sum over v != u of 1 / d(v, u)`, with `1/inf = 0` for nodes that cannot reach `u`
/// (Marchiori & Latora 2000; Boldi & Vigna 2014): closeness that stays defined on disconnected
/// graphs. Directed graphs use distances *to* `u`. Not normalised; divide by `n - 1` for values
/// in `[0, 1]`. Zero distances (zero-length links) add nothing, as in networkx.
///
/// Parallel over nodes, each computed by one thread: identical for any thread count.
///
/// # Errors
/// `InvalidArgument` when `weighted` and the graph has no weights; `Cancelled`.
///
/// # References
/// Boldi, P., & Vigna, S. (2014). Axioms for centrality. Internet Mathematics 10(3-4), 222-262.
/// <https://doi.org/10.1080/15427951.2013.865686>.
/// Marchiori, M., & Latora, V. (2000). Harmony in the small-world. Physica A 285(3-4),
/// 539-546. <https://doi.org/10.1016/S0378-4371(00)00311-3>.
///
/// # Example
/// ```
/// use aluna_core::ids::{IdMap, Key};
/// use aluna_core::parallel::Cancel;
/// use aluna_graph::centrality::{harmonic, ClosenessOptions};
/// use aluna_graph::{CaseGraph, EdgeRows, GraphOptions};
/// let mut ids = IdMap::new_int();
/// for v in 0..3 { ids.intern(Key::Int(v))?; }
/// let rows = EdgeRows { source: vec![0, 1], target: vec![1, 2], ..Default::default() };
/// let g = CaseGraph::build(ids, rows, None, None, GraphOptions::default())?;
/// assert_eq!(harmonic(&g, &ClosenessOptions::default(), &Cancel::new())?, vec![1.5, 2.0, 1.5]);
/// # Ok::<(), aluna_core::Error>(())
/// ```
pub fn harmonic(
    graph: &CaseGraph,
    options: &ClosenessOptions,
    cancel: &Cancel,
) -> Result<Vec<f64>> {
    per_node(
        graph,
        options.weighted,
        "harmonic centrality",
        cancel,
        |d| if d == 0.0 { 0.0 } else { 1.0 / d },
        |total, _| total,
    )
}
