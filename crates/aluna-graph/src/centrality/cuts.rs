//! Articulation points and bridges: the people and links whose removal splits the network.

use aluna_core::{Error, Result};

use crate::CaseGraph;

const UNSEEN: u32 = u32::MAX;

/// The articulation-point mask and the bridges as `(parent, child)` pairs of the search tree.
type Cuts = (Vec<bool>, Vec<(u32, u32)>);

/// Depth-first search of an undirected graph (Hopcroft & Tarjan 1973), iterative so that long
/// chains cannot overflow the stack.
fn lowpoints(graph: &CaseGraph, what: &'static str) -> Result<Cuts> {
    if graph.is_directed() {
        return Err(Error::NotDefined {
            what,
            reason: "it is defined for undirected graphs (as in networkx); build the graph with \
                     directed=False to use its links regardless of direction"
                .into(),
        });
    }
    let n = graph.number_of_nodes();
    let adjacency = graph.out_adjacency();
    let mut discovered = vec![UNSEEN; n];
    let mut low = vec![0u32; n];
    let mut cut = vec![false; n];
    let mut bridges = Vec::new();
    // Frames of (node, its parent in the tree, next slot to look at).
    let mut stack: Vec<(u32, u32, usize)> = Vec::new();
    let mut time = 0u32;
    for root in 0..n as u32 {
        if discovered[root as usize] != UNSEEN {
            continue;
        }
        discovered[root as usize] = time;
        low[root as usize] = time;
        time += 1;
        let mut root_children = 0;
        stack.push((root, UNSEEN, adjacency.range(root).start));
        while let Some(frame) = stack.last_mut() {
            let (v, parent, slot) = *frame;
            if slot < adjacency.range(v).end {
                frame.2 += 1;
                let w = adjacency.neighbours[slot];
                // Merged edges: one slot per neighbour, so skipping the parent skips exactly
                // the tree edge.
                if w == v || w == parent {
                    continue;
                }
                if discovered[w as usize] == UNSEEN {
                    discovered[w as usize] = time;
                    low[w as usize] = time;
                    time += 1;
                    stack.push((w, v, adjacency.range(w).start));
                } else {
                    low[v as usize] = low[v as usize].min(discovered[w as usize]);
                }
                continue;
            }
            stack.pop();
            if parent == UNSEEN {
                continue;
            }
            low[parent as usize] = low[parent as usize].min(low[v as usize]);
            if parent == root {
                root_children += 1;
            } else if low[v as usize] >= discovered[parent as usize] {
                cut[parent as usize] = true;
            }
            if low[v as usize] > discovered[parent as usize] {
                bridges.push((parent, v));
            }
        }
        if root_children >= 2 {
            cut[root as usize] = true;
        }
    }
    Ok((cut, bridges))
}

/// Which nodes are articulation points (cut vertices), by node index, as networkx's
/// `articulation_points`: removing such a node leaves more connected components than before.
/// In a criminal network these are the people who alone connect otherwise separate groups.
///
/// Hopcroft & Tarjan's depth-first search, O(n + m). Self-loops and parallel links do not
/// matter.
///
/// # Errors
/// `NotDefined` for a directed graph.
///
/// # References
/// Hopcroft, J., & Tarjan, R. (1973). Algorithm 447: efficient algorithms for graph
/// manipulation. Communications of the ACM 16(6), 372-378.
/// <https://doi.org/10.1145/362248.362272>.
///
/// # Example
/// ```
/// use aluna_core::ids::{IdMap, Key};
/// use aluna_graph::centrality::articulation_points;
/// use aluna_graph::{CaseGraph, EdgeRows, GraphOptions};
/// let mut ids = IdMap::new_int();
/// for v in 0..3 { ids.intern(Key::Int(v))?; }
/// let rows = EdgeRows { source: vec![0, 1], target: vec![1, 2], ..Default::default() };
/// let g = CaseGraph::build(ids, rows, None, None, GraphOptions::default())?;
/// assert_eq!(articulation_points(&g)?, vec![false, true, false]);
/// # Ok::<(), aluna_core::Error>(())
/// ```
pub fn articulation_points(graph: &CaseGraph) -> Result<Vec<bool>> {
    Ok(lowpoints(graph, "articulation points")?.0)
}

/// The bridges of an undirected graph, as ascending edge ids (see [`CaseGraph::edges`]), as
/// networkx's `bridges`: links whose removal leaves more connected components. In a multigraph a
/// pair joined by more than one link is not a bridge; self-loops never are.
///
/// # Errors
/// `NotDefined` for a directed graph.
///
/// # References
/// Tarjan, R. E. (1974). A note on finding the bridges of a graph. Information Processing
/// Letters 2(6), 160-161. <https://doi.org/10.1016/0020-0190(74)90003-9>.
///
/// # Example
/// ```
/// use aluna_core::ids::{IdMap, Key};
/// use aluna_graph::centrality::bridges;
/// use aluna_graph::{CaseGraph, EdgeRows, GraphOptions};
/// let mut ids = IdMap::new_int();
/// for v in 0..4 { ids.intern(Key::Int(v))?; }
/// // A triangle 0-1-2 and a pendant link 2-3 (edge id 3, in (min, max) order).
/// let rows = EdgeRows { source: vec![0, 1, 2, 2], target: vec![1, 2, 0, 3], ..Default::default() };
/// let g = CaseGraph::build(ids, rows, None, None, GraphOptions::default())?;
/// assert_eq!(bridges(&g)?, vec![3]);
/// # Ok::<(), aluna_core::Error>(())
/// ```
pub fn bridges(graph: &CaseGraph) -> Result<Vec<u32>> {
    let (_, pairs) = lowpoints(graph, "bridges")?;
    let multi = graph.is_multigraph();
    let mut edges: Vec<u32> = pairs
        .into_iter()
        .filter_map(|(a, b)| graph.edge_between(a, b))
        .filter(|&e| !multi || graph.count.as_ref().is_none_or(|c| c[e as usize] <= 1))
        .collect();
    edges.sort_unstable();
    Ok(edges)
}
