//! k-core decomposition.

use crate::CaseGraph;

/// Core number of every node, by node index, as networkx's `core_number`.
///
/// The core number of `v` is the largest `k` such that `v` belongs to a subgraph in which every
/// node has degree at least `k` (Seidman 1983): the dense inner circle of a network has high
/// core numbers, its periphery low ones. Batagelj & Zaversnik's bucket algorithm, O(n + m).
/// Directed graphs use total degree (in plus out), so a reciprocated pair of links counts
/// twice, as in networkx. Parallel links count once; self-loops are ignored (networkx refuses
/// graphs with self-loops).
///
/// # References
/// Batagelj, V., & Zaversnik, M. (2003). An O(m) algorithm for cores decomposition of networks.
/// <https://arxiv.org/abs/cs/0310049>.
/// Seidman, S. B. (1983). Network structure and minimum degree. Social Networks 5(3), 269-287.
/// <https://doi.org/10.1016/0378-8733(83)90028-X>.
///
/// # Example
/// ```
/// use aluna_core::ids::{IdMap, Key};
/// use aluna_graph::centrality::core_number;
/// use aluna_graph::{CaseGraph, EdgeRows, GraphOptions};
/// let mut ids = IdMap::new_int();
/// for v in 0..4 { ids.intern(Key::Int(v))?; }
/// // A triangle 0-1-2 with a pendant node 3.
/// let rows = EdgeRows { source: vec![0, 1, 2, 2], target: vec![1, 2, 0, 3], ..Default::default() };
/// let g = CaseGraph::build(ids, rows, None, None, GraphOptions::default())?;
/// assert_eq!(core_number(&g), vec![2, 2, 2, 1]);
/// # Ok::<(), aluna_core::Error>(())
/// ```
pub fn core_number(graph: &CaseGraph) -> Vec<u32> {
    let n = graph.number_of_nodes();
    let out = graph.out_adjacency();
    let incoming = graph.is_directed().then(|| graph.in_adjacency());
    // Neighbours of v with multiplicity, self excluded.
    let rows = |v: u32| {
        let inc: &[u32] = incoming.map_or(&[], |c| c.neighbours(v));
        out.neighbours(v)
            .iter()
            .chain(inc)
            .copied()
            .filter(move |&w| w != v)
    };
    let mut degree: Vec<u32> = (0..n as u32).map(|v| rows(v).count() as u32).collect();
    let max_degree = degree.iter().copied().max().unwrap_or(0) as usize;
    // Bucket sort by degree: `start[d]` is where degree-d nodes begin in `order`.
    let mut start = vec![0usize; max_degree + 2];
    for &d in &degree {
        start[d as usize + 1] += 1;
    }
    for d in 0..=max_degree {
        start[d + 1] += start[d];
    }
    let mut order = vec![0u32; n];
    let mut position = vec![0usize; n];
    {
        let mut next = start.clone();
        for v in 0..n {
            let d = degree[v] as usize;
            position[v] = next[d];
            order[next[d]] = v as u32;
            next[d] += 1;
        }
    }
    for i in 0..n {
        let v = order[i];
        let dv = degree[v as usize];
        for u in rows(v) {
            let du = degree[u as usize];
            if du > dv {
                // Move u to the front of its bucket, then shrink the bucket past it.
                let pu = position[u as usize];
                let front = start[du as usize];
                let w = order[front];
                if w != u {
                    order[front] = u;
                    order[pu] = w;
                    position[u as usize] = front;
                    position[w as usize] = pu;
                }
                start[du as usize] += 1;
                degree[u as usize] = du - 1;
            }
        }
    }
    degree
}
