//! Degree and strength.

use aluna_core::{Error, Result};

use crate::CaseGraph;

/// Which links of a node to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Incoming and outgoing (all links when undirected).
    #[default]
    All,
    /// Outgoing links (directed graphs).
    Out,
    /// Incoming links (directed graphs).
    In,
}

fn accumulate<T: Copy + std::ops::AddAssign + Default>(
    graph: &CaseGraph,
    direction: Direction,
    value: impl Fn(usize) -> T,
) -> Result<Vec<T>> {
    if direction != Direction::All && !graph.is_directed() {
        return Err(Error::argument(
            "direction",
            "in- and out-degree need a directed graph; this one is undirected",
        ));
    }
    let mut out = vec![T::default(); graph.number_of_nodes()];
    for (e, a, b) in graph.edges() {
        let c = value(e as usize);
        if direction != Direction::In {
            out[a as usize] += c;
        }
        if direction != Direction::Out {
            out[b as usize] += c;
        }
    }
    Ok(out)
}

/// Number of links at each node, by node index, as networkx counts them: a self-loop counts
/// twice in an undirected graph (and once each way in a directed one); in a multigraph every
/// parallel link counts.
///
/// # Example
/// ```
/// use aluna_core::ids::{IdMap, Key};
/// use aluna_graph::{degree, CaseGraph, Direction, EdgeRows, GraphOptions};
/// let mut ids = IdMap::new_int();
/// for v in 0..3 { ids.intern(Key::Int(v))?; }
/// let rows = EdgeRows { source: vec![0, 1, 2], target: vec![1, 2, 2], ..Default::default() };
/// let g = CaseGraph::build(ids, rows, None, None, GraphOptions::default())?;
/// assert_eq!(degree(&g, Direction::All)?, vec![1, 2, 3]);
/// # Ok::<(), aluna_core::Error>(())
/// ```
pub fn degree(graph: &CaseGraph, direction: Direction) -> Result<Vec<u64>> {
    let multi = graph.is_multigraph();
    let count = graph.count.as_deref();
    accumulate(graph, direction, |e| match (multi, count) {
        (true, Some(c)) => u64::from(c[e]),
        _ => 1,
    })
}

/// Sum of link weights at each node (networkx's weighted degree); a self-loop's weight counts
/// twice when undirected.
pub fn strength(graph: &CaseGraph, direction: Direction) -> Result<Vec<f64>> {
    let weight = graph.edge_weights().ok_or_else(|| {
        Error::argument(
            "weight",
            "the graph has no weights; build it with weight=<column>",
        )
    })?;
    accumulate(graph, direction, |e| weight[e])
}
