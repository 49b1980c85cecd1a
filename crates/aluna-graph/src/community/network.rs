//! The weighted network the community algorithms move nodes on, and its aggregation.
//!
//! Directed and undirected graphs share one form: every link is seen as arcs, so that
//! modularity is `Q = (1/M) Σ_c [W_c − γ Out_c In_c / M]` with `M` the total arc weight, `W_c` the
//! arc weight inside `c`, and `Out_c`, `In_c` the summed out- and in-strengths of its nodes
//! (Leicht & Newman 2008). An undirected link of weight `w` is two arcs of weight `w` (a self-loop
//! too, as networkx counts it twice in a degree), which makes `Q` Newman's undirected modularity.

use aluna_core::parallel::Cancel;
use aluna_core::Result;

use crate::csr::Rows;
use crate::CaseGraph;

/// Per merged edge, the value community and structural-hole measures use: its weight when
/// `weighted`, otherwise its number of links in a multigraph, otherwise 1.
pub(crate) fn edge_values(graph: &CaseGraph, weighted: bool) -> Result<Vec<f64>> {
    if weighted {
        let w = graph.edge_weights().ok_or_else(|| {
            aluna_core::Error::argument(
                "weight",
                "the graph has no weights; build it with weight=<column>",
            )
        })?;
        return Ok(w.to_vec());
    }
    Ok(if graph.is_multigraph() {
        graph.multiplicities().map(f64::from).collect()
    } else {
        vec![1.0; graph.number_of_pairs()]
    })
}

/// A network in CSR form without self-loops in the rows: `weights[s]` is the arc weight both
/// ways between a node and its neighbour, `A_ij + A_ji`.
#[derive(Debug, Clone)]
pub(crate) struct Network {
    pub(crate) offsets: Vec<usize>,
    pub(crate) neighbours: Vec<u32>,
    pub(crate) weights: Vec<f64>,
    /// Arc weight of each node's self-loops (an undirected loop of weight `w` counts `2w`).
    pub(crate) self_weight: Vec<f64>,
    pub(crate) out_strength: Vec<f64>,
    pub(crate) in_strength: Vec<f64>,
    /// Total arc weight `M`.
    pub(crate) total: f64,
}

impl Rows for Network {
    #[inline]
    fn node_count(&self) -> usize {
        self.len()
    }

    #[inline]
    fn contacts(&self, v: usize) -> &[u32] {
        &self.neighbours[self.offsets[v]..self.offsets[v + 1]]
    }
}

impl Network {
    pub(crate) fn len(&self) -> usize {
        self.self_weight.len()
    }

    #[inline]
    pub(crate) fn row(&self, v: usize) -> (&[u32], &[f64]) {
        let r = self.offsets[v]..self.offsets[v + 1];
        (&self.neighbours[r.clone()], &self.weights[r])
    }

    /// The network of a case graph, with `values` per merged edge.
    pub(crate) fn from_graph(graph: &CaseGraph, values: &[f64]) -> Self {
        let n = graph.number_of_nodes();
        let mut self_weight = vec![0.0; n];
        let mut out_strength = vec![0.0; n];
        let mut in_strength = vec![0.0; n];
        let directed = graph.is_directed();
        // Per node, its neighbours (both directions, without itself) and the arc weight to each.
        let mut degree = vec![0usize; n + 1];
        for (e, a, b) in graph.edges() {
            let x = values[e as usize];
            out_strength[a as usize] += x;
            in_strength[b as usize] += x;
            if !directed {
                out_strength[b as usize] += x;
                in_strength[a as usize] += x;
            }
            if a == b {
                self_weight[a as usize] += if directed { x } else { 2.0 * x };
            } else {
                degree[a as usize + 1] += 1;
                degree[b as usize + 1] += 1;
            }
        }
        for v in 0..n {
            degree[v + 1] += degree[v];
        }
        let slots = degree[n];
        let mut cursor = degree.clone();
        let mut neighbours = vec![0u32; slots];
        let mut weights = vec![0.0; slots];
        // Undirected: each edge gives `2x` both ways; directed: `x` per arc, merged per pair below.
        let scale = if directed { 1.0 } else { 2.0 };
        for (e, a, b) in graph.edges() {
            if a == b {
                continue;
            }
            let x = values[e as usize] * scale;
            for (from, to) in [(a, b), (b, a)] {
                let s = cursor[from as usize];
                neighbours[s] = to;
                weights[s] = x;
                cursor[from as usize] += 1;
            }
        }
        let total: f64 = out_strength.iter().sum();
        let mut net = Self {
            offsets: degree,
            neighbours,
            weights,
            self_weight,
            out_strength,
            in_strength,
            total,
        };
        if directed {
            net.merge_duplicate_neighbours();
        }
        net
    }

    /// Sort every row and merge repeated neighbours (a directed pair linked both ways).
    fn merge_duplicate_neighbours(&mut self) {
        let n = self.len();
        let mut offsets = Vec::with_capacity(n + 1);
        offsets.push(0);
        let mut neighbours = Vec::with_capacity(self.neighbours.len());
        let mut weights = Vec::with_capacity(self.weights.len());
        let mut row: Vec<(u32, f64)> = Vec::new();
        for v in 0..n {
            row.clear();
            let (nb, w) = self.row(v);
            row.extend(nb.iter().copied().zip(w.iter().copied()));
            row.sort_by_key(|&(u, _)| u);
            for &(u, x) in &row {
                if neighbours.len() > offsets[v] && neighbours.last() == Some(&u) {
                    if let Some(last) = weights.last_mut() {
                        *last += x;
                    }
                } else {
                    neighbours.push(u);
                    weights.push(x);
                }
            }
            offsets.push(neighbours.len());
        }
        self.offsets = offsets;
        self.neighbours = neighbours;
        self.weights = weights;
    }

    /// Modularity of a partition given as a dense community index per node (`0..k`).
    pub(crate) fn modularity(&self, membership: &[u32], resolution: f64) -> f64 {
        if self.total <= 0.0 {
            return 0.0;
        }
        let k = membership
            .iter()
            .map(|&c| c as usize + 1)
            .max()
            .unwrap_or(0);
        let mut inside = vec![0.0; k];
        let mut out = vec![0.0; k];
        let mut inc = vec![0.0; k];
        for v in 0..self.len() {
            let c = membership[v] as usize;
            out[c] += self.out_strength[v];
            inc[c] += self.in_strength[v];
            let mut within = self.self_weight[v];
            let (nb, w) = self.row(v);
            for (&u, &x) in nb.iter().zip(w) {
                if membership[u as usize] as usize == c {
                    // Each pair is seen from both ends, each time with both arcs.
                    within += 0.5 * x;
                }
            }
            inside[c] += within;
        }
        let m = self.total;
        (0..k)
            .map(|c| inside[c] / m - resolution * (out[c] / m) * (inc[c] / m))
            .sum()
    }

    /// The network whose nodes are the communities of `membership` (dense, `0..k`): arcs between
    /// communities summed, arcs inside a community kept as its self-loop weight.
    ///
    /// Sequential, one pass over the arcs with one dense accumulator: `O(n + m)`.
    pub(crate) fn aggregate(&self, membership: &[u32], k: usize, cancel: &Cancel) -> Result<Self> {
        cancel.check()?;
        // Members per community, in node order.
        let mut start = vec![0usize; k + 1];
        for &c in membership {
            start[c as usize + 1] += 1;
        }
        for c in 0..k {
            start[c + 1] += start[c];
        }
        let mut fill = start.clone();
        let mut members = vec![0u32; membership.len()];
        for (v, &c) in membership.iter().enumerate() {
            members[fill[c as usize]] = v as u32;
            fill[c as usize] += 1;
        }
        let mut acc = vec![0.0; k];
        let mut seen = vec![false; k];
        let mut touched: Vec<u32> = Vec::new();
        let mut offsets = Vec::with_capacity(k + 1);
        offsets.push(0);
        let mut neighbours = Vec::new();
        let mut weights = Vec::new();
        let mut self_weight = vec![0.0; k];
        let mut out_strength = vec![0.0; k];
        let mut in_strength = vec![0.0; k];
        for c in 0..k {
            for &v in &members[start[c]..start[c + 1]] {
                let v = v as usize;
                self_weight[c] += self.self_weight[v];
                out_strength[c] += self.out_strength[v];
                in_strength[c] += self.in_strength[v];
                let (nb, w) = self.row(v);
                for (&u, &x) in nb.iter().zip(w) {
                    let d = membership[u as usize];
                    if d as usize == c {
                        self_weight[c] += 0.5 * x;
                    } else {
                        if !seen[d as usize] {
                            seen[d as usize] = true;
                            touched.push(d);
                        }
                        acc[d as usize] += x;
                    }
                }
            }
            for &d in &touched {
                neighbours.push(d);
                weights.push(acc[d as usize]);
                acc[d as usize] = 0.0;
                seen[d as usize] = false;
            }
            touched.clear();
            offsets.push(neighbours.len());
        }
        Ok(Self {
            offsets,
            neighbours,
            weights,
            self_weight,
            out_strength,
            in_strength,
            total: self.total,
        })
    }
}

/// Relabel a partition densely as `0..k` in order of first appearance; returns `k`.
pub(crate) fn densify(membership: &mut [u32]) -> usize {
    let k = membership
        .iter()
        .map(|&c| c as usize + 1)
        .max()
        .unwrap_or(0);
    let mut map = vec![u32::MAX; k];
    let mut next = 0u32;
    for c in membership.iter_mut() {
        let slot = &mut map[*c as usize];
        if *slot == u32::MAX {
            *slot = next;
            next += 1;
        }
        *c = *slot;
    }
    next as usize
}

/// Number communities canonically: by size, largest first, ties by their smallest node index.
pub(crate) fn canonical(membership: &[u32]) -> Vec<u32> {
    let k = membership
        .iter()
        .map(|&c| c as usize + 1)
        .max()
        .unwrap_or(0);
    let mut size = vec![0usize; k];
    let mut first = vec![u32::MAX; k];
    for (v, &c) in membership.iter().enumerate() {
        size[c as usize] += 1;
        first[c as usize] = first[c as usize].min(v as u32);
    }
    let mut order: Vec<usize> = (0..k).filter(|&c| size[c] > 0).collect();
    order.sort_by_key(|&c| (std::cmp::Reverse(size[c]), first[c]));
    let mut label = vec![0u32; k];
    for (new, &old) in order.iter().enumerate() {
        label[old] = new as u32;
    }
    membership.iter().map(|&c| label[c as usize]).collect()
}
