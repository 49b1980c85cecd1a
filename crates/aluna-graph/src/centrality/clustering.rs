//! Local clustering and transitivity: how often a node's contacts are in contact themselves.

use aluna_core::parallel::{ordered_map, Cancel};
use aluna_core::{Error, Result};

use super::require_weights;
use crate::CaseGraph;

/// Each node's contacts (in- and out-neighbours merged when directed, itself left out) with
/// the value each tie carries in triangle counts: `s_ij = t_ij + t_ji` when directed, where
/// `t_ij` is 1 (or the cube root of the normalised weight) when `i -> j` is a link.
struct Contacts {
    offsets: Vec<usize>,
    neighbours: Vec<u32>,
    values: Vec<f64>,
    /// Links at each node, self-loops left out: degree, or in- plus out-degree when directed.
    degree: Vec<u64>,
    /// Reciprocated pairs at each node (directed graphs).
    reciprocal: Vec<u64>,
}

impl Contacts {
    fn new(graph: &CaseGraph, weighted: bool) -> Result<Self> {
        let n = graph.number_of_nodes();
        let (out_values, in_values) = if weighted {
            let w = require_weights(graph)?;
            let max = w.iter().copied().fold(0.0, f64::max);
            let scale = if max > 0.0 { max } else { 1.0 };
            let cube = |e: u32| (w[e as usize] / scale).cbrt();
            let out: Vec<f64> = graph.out_slot_edges().into_iter().map(cube).collect();
            let inc: Vec<f64> = if graph.is_directed() {
                graph.in_slot_edges().into_iter().map(cube).collect()
            } else {
                Vec::new()
            };
            (Some(out), Some(inc))
        } else {
            (None, None)
        };
        let out = graph.out_adjacency();
        let mut offsets = Vec::with_capacity(n + 1);
        offsets.push(0);
        let mut neighbours = Vec::with_capacity(out.slots());
        let mut values = Vec::with_capacity(out.slots());
        let mut degree = vec![0u64; n];
        let mut reciprocal = vec![0u64; n];
        let out_value = |slot: usize| out_values.as_ref().map_or(1.0, |v| v[slot]);
        if !graph.is_directed() {
            for v in 0..n as u32 {
                for slot in out.range(v) {
                    let w = out.neighbours[slot];
                    if w != v {
                        neighbours.push(w);
                        values.push(out_value(slot));
                    }
                }
                degree[v as usize] = (neighbours.len() - offsets[v as usize]) as u64;
                offsets.push(neighbours.len());
            }
        } else {
            let inc = graph.in_adjacency();
            let in_value = |slot: usize| in_values.as_ref().map_or(1.0, |v| v[slot]);
            for v in 0..n as u32 {
                let (mut a, mut b) = (out.range(v).peekable(), inc.range(v).peekable());
                loop {
                    let next_out = a.peek().map(|&s| out.neighbours[s]);
                    let next_in = b.peek().map(|&s| inc.neighbours[s]);
                    let (from_out, from_in) = match (next_out, next_in) {
                        (None, None) => break,
                        (Some(x), Some(y)) => (x <= y, y <= x),
                        (Some(_), None) => (true, false),
                        (None, Some(_)) => (false, true),
                    };
                    let mut w = v;
                    let mut value = 0.0;
                    let mut links = 0;
                    if from_out {
                        if let Some(slot) = a.next() {
                            w = out.neighbours[slot];
                            value += out_value(slot);
                            links += 1;
                        }
                    }
                    if from_in {
                        if let Some(slot) = b.next() {
                            w = inc.neighbours[slot];
                            value += in_value(slot);
                            links += 1;
                        }
                    }
                    if w == v {
                        continue;
                    }
                    degree[v as usize] += links;
                    if links == 2 {
                        reciprocal[v as usize] += 1;
                    }
                    neighbours.push(w);
                    values.push(value);
                }
                offsets.push(neighbours.len());
            }
        }
        Ok(Self {
            offsets,
            neighbours,
            values,
            degree,
            reciprocal,
        })
    }

    #[inline]
    fn row(&self, v: usize) -> (&[u32], &[f64]) {
        let r = self.offsets[v]..self.offsets[v + 1];
        (&self.neighbours[r.clone()], &self.values[r])
    }

    /// `sum over contacts j, k of i (j != k) of s_ij s_ik s_jk`: twice the (weighted) number of
    /// triangles at `i` when undirected; Fagiolo's directed count when directed.
    fn triangles(&self, i: usize, mark: &mut [f64]) -> f64 {
        let (row, values) = self.row(i);
        for (&k, &s) in row.iter().zip(values) {
            mark[k as usize] = s;
        }
        let mut total = 0.0;
        for (&j, &s_ij) in row.iter().zip(values) {
            let (row_j, values_j) = self.row(j as usize);
            let mut inner = 0.0;
            for (&k, &s_jk) in row_j.iter().zip(values_j) {
                inner += mark[k as usize] * s_jk;
            }
            total += s_ij * inner;
        }
        for &k in row {
            mark[k as usize] = 0.0;
        }
        total
    }
}

/// Local clustering coefficient of every node, by node index, as networkx's `clustering`.
///
/// Undirected: `c_v = 2 T(v) / (d_v (d_v - 1))`, the share of pairs of `v`'s contacts that are
/// linked (Watts & Strogatz 1998); weighted, each triangle counts the geometric mean of its
/// weights divided by the largest weight in the graph (Onnela et al. 2005). Directed:
/// `c_v = T(v) / (2 (d_v (d_v - 1) - 2 d_v^<->))`, counting every directed triangle through `v`
/// (Fagiolo 2007), `d_v` the in- plus out-degree and `d_v^<->` the reciprocated pairs.
/// Self-loops are left out; nodes with fewer than two contacts score 0.
///
/// Parallel over nodes, each computed by one thread: identical for any thread count.
///
/// # Errors
/// `InvalidArgument` when `weighted` and the graph has no weights; `Cancelled`.
///
/// # References
/// Watts, D. J., & Strogatz, S. H. (1998). Collective dynamics of 'small-world' networks.
/// Nature 393, 440-442. <https://doi.org/10.1038/30918>.
/// Onnela, J.-P., Saramäki, J., Kertész, J., & Kaski, K. (2005). Intensity and coherence of
/// motifs in weighted complex networks. Physical Review E 71, 065103.
/// <https://doi.org/10.1103/PhysRevE.71.065103>.
/// Fagiolo, G. (2007). Clustering in complex directed networks. Physical Review E 76, 026107.
/// <https://doi.org/10.1103/PhysRevE.76.026107>.
///
/// # Example
/// ```
/// use aluna_core::ids::{IdMap, Key};
/// use aluna_core::parallel::{ordered_map, Cancel};
/// use aluna_graph::centrality::clustering;
/// use aluna_graph::{CaseGraph, EdgeRows, GraphOptions};
/// let mut ids = IdMap::new_int();
/// for v in 0..4 { ids.intern(Key::Int(v))?; }
/// // A triangle 0-1-2 with node 3 hanging off node 2.
/// let rows = EdgeRows { source: vec![0, 1, 2, 2], target: vec![1, 2, 0, 3], ..Default::default() };
/// let g = CaseGraph::build(ids, rows, None, None, GraphOptions::default())?;
/// assert_eq!(clustering(&g, false, &Cancel::new())?, vec![1.0, 1.0, 1.0 / 3.0, 0.0]);
/// # Ok::<(), aluna_core::Error>(())
/// ```
pub fn clustering(graph: &CaseGraph, weighted: bool, cancel: &Cancel) -> Result<Vec<f64>> {
    let n = graph.number_of_nodes();
    let contacts = Contacts::new(graph, weighted)?;
    let directed = graph.is_directed();
    per_node(n, cancel, |v, mark| {
        let t = contacts.triangles(v, mark);
        if t == 0.0 {
            return 0.0;
        }
        let d = contacts.degree[v] as f64;
        if directed {
            t / ((d * (d - 1.0) - 2.0 * contacts.reciprocal[v] as f64) * 2.0)
        } else {
            t / (d * (d - 1.0))
        }
    })
}

/// `f(v, scratch)` for every node, in parallel, in node order, each chunk of nodes with one
/// zeroed scratch vector (each value is computed by one thread, so the result does not depend on
/// the thread count).
fn per_node(
    n: usize,
    cancel: &Cancel,
    f: impl Fn(usize, &mut [f64]) -> f64 + Sync,
) -> Result<Vec<f64>> {
    ordered_map(n, cancel, || vec![0.0; n], |v, mark| f(v, mark))
}

/// Transitivity of an undirected graph, as networkx's `transitivity`: three times the number of
/// triangles over the number of connected triples, `3 T / (sum over v of d_v (d_v - 1) / 2)`
/// (Newman, Strogatz & Watts 2001); 0 when there are no triangles. Self-loops are left out.
///
/// # Errors
/// `NotDefined` for a directed graph (networkx defines it for undirected graphs only);
/// `Cancelled`.
///
/// # References
/// Newman, M. E. J., Strogatz, S. H., & Watts, D. J. (2001). Random graphs with arbitrary
/// degree distributions and their applications. Physical Review E 64, 026118.
/// <https://doi.org/10.1103/PhysRevE.64.026118>.
///
/// # Example
/// ```
/// use aluna_core::ids::{IdMap, Key};
/// use aluna_core::parallel::{ordered_map, Cancel};
/// use aluna_graph::centrality::transitivity;
/// use aluna_graph::{CaseGraph, EdgeRows, GraphOptions};
/// let mut ids = IdMap::new_int();
/// for v in 0..4 { ids.intern(Key::Int(v))?; }
/// let rows = EdgeRows { source: vec![0, 1, 2, 2], target: vec![1, 2, 0, 3], ..Default::default() };
/// let g = CaseGraph::build(ids, rows, None, None, GraphOptions::default())?;
/// // One triangle; triples: one at 0, one at 1, three at 2.
/// assert_eq!(transitivity(&g, &Cancel::new())?, 3.0 / 5.0);
/// # Ok::<(), aluna_core::Error>(())
/// ```
pub fn transitivity(graph: &CaseGraph, cancel: &Cancel) -> Result<f64> {
    if graph.is_directed() {
        return Err(Error::NotDefined {
            what: "transitivity",
            reason: "it is defined for undirected graphs; build the graph with \
                     directed=False, or use clustering, which handles directed links"
                .into(),
        });
    }
    let n = graph.number_of_nodes();
    let contacts = Contacts::new(graph, false)?;
    let triangles = per_node(n, cancel, |v, mark| contacts.triangles(v, mark))?;
    let t: f64 = triangles.iter().sum();
    let triples: f64 = contacts
        .degree
        .iter()
        .map(|&d| d as f64 * (d as f64 - 1.0).max(0.0))
        .sum();
    Ok(if t == 0.0 { 0.0 } else { t / triples })
}
