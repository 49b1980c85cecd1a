//! Burt's structural holes: constraint and effective size (Burt 1992).

use aluna_core::parallel::{ordered_map, Cancel};
use aluna_core::Result;

use crate::community::network::edge_values;
use crate::CaseGraph;

/// Options of [`constraint`] and [`effective_size`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StructuralHoleOptions {
    /// Use the graph's link weights (otherwise each linked pair weighs 1, or its number of links
    /// in a multigraph).
    pub weighted: bool,
}

/// Mutual weights `M_uv = A_uv + A_vu` per node (self-loops included), rows sorted.
struct Mutual {
    offsets: Vec<usize>,
    neighbours: Vec<u32>,
    weights: Vec<f64>,
    /// Row sums `Σ_v M_uv`.
    sum: Vec<f64>,
    /// Row maxima `max_v M_uv`.
    max: Vec<f64>,
    /// Whether some other node has positive mutual weight with `u`.
    defined: Vec<bool>,
}

impl Mutual {
    fn new(graph: &CaseGraph, weighted: bool) -> Result<Self> {
        let values = edge_values(graph, weighted)?;
        let n = graph.number_of_nodes();
        let out = graph.out_adjacency();
        let uniform = !weighted && !graph.is_multigraph();
        let out_edges = (!uniform).then(|| graph.out_slot_edges());
        let slot_value = |edges: &Option<Vec<u32>>, s: usize| match edges {
            Some(e) => values[e[s] as usize],
            None => 1.0,
        };
        let mut offsets = Vec::with_capacity(n + 1);
        offsets.push(0);
        let mut neighbours = Vec::with_capacity(out.slots());
        let mut weights = Vec::with_capacity(out.slots());
        if graph.is_directed() {
            let inc = graph.in_adjacency();
            let in_edges = (!uniform).then(|| graph.in_slot_edges());
            for v in 0..n as u32 {
                // Merge the sorted out- and in-rows.
                let (ro, ri) = (out.range(v), inc.range(v));
                let (no, ni) = (out.neighbours(v), inc.neighbours(v));
                let (mut i, mut j) = (0, 0);
                while i < no.len() || j < ni.len() {
                    let take_out = j >= ni.len() || (i < no.len() && no[i] <= ni[j]);
                    let take_in = i >= no.len() || (j < ni.len() && ni[j] <= no[i]);
                    let mut x = 0.0;
                    let u = if take_out { no[i] } else { ni[j] };
                    if take_out {
                        x += slot_value(&out_edges, ro.start + i);
                        i += 1;
                    }
                    if take_in {
                        x += slot_value(&in_edges, ri.start + j);
                        j += 1;
                    }
                    neighbours.push(u);
                    weights.push(x);
                }
                offsets.push(neighbours.len());
            }
        } else {
            for v in 0..n as u32 {
                for (k, &u) in out.neighbours(v).iter().enumerate() {
                    neighbours.push(u);
                    weights.push(2.0 * slot_value(&out_edges, out.range(v).start + k));
                }
                offsets.push(neighbours.len());
            }
        }
        let mut sum = vec![0.0; n];
        let mut max = vec![0.0f64; n];
        let mut defined = vec![false; n];
        for v in 0..n {
            for s in offsets[v]..offsets[v + 1] {
                sum[v] += weights[s];
                max[v] = max[v].max(weights[s]);
                if neighbours[s] as usize != v && weights[s] > 0.0 {
                    defined[v] = true;
                }
            }
        }
        Ok(Self {
            offsets,
            neighbours,
            weights,
            sum,
            max,
            defined,
        })
    }

    #[inline]
    fn row(&self, v: usize) -> (&[u32], &[f64]) {
        let r = self.offsets[v]..self.offsets[v + 1];
        (&self.neighbours[r.clone()], &self.weights[r])
    }

    /// `measure(u, marks)` for every node with a positive tie (else `None`), in parallel and in
    /// node order; before each call `marks` holds `p_uv = M_uv / Σ_x M_ux` for `u`'s contacts `v`
    /// (stamped with `u`) and zeros in `extra`.
    fn per_ego(
        &self,
        cancel: &Cancel,
        measure: impl Fn(usize, &mut Marks) -> f64 + Sync,
    ) -> Result<Vec<Option<f64>>> {
        let n = self.sum.len();
        ordered_map(
            n,
            cancel,
            || Marks::new(n),
            |u, s| {
                if !self.defined[u] {
                    return None;
                }
                s.now = u as u32;
                let (nu, wu) = self.row(u);
                for (&v, &x) in nu.iter().zip(wu) {
                    s.stamp[v as usize] = s.now;
                    s.value[v as usize] = x / self.sum[u];
                    s.extra[v as usize] = 0.0;
                }
                Some(measure(u, s))
            },
        )
    }
}

/// Scratch per chunk: a value per node and a stamp saying which entries belong to the current ego.
struct Marks {
    value: Vec<f64>,
    extra: Vec<f64>,
    stamp: Vec<u32>,
    now: u32,
}

impl Marks {
    fn new(n: usize) -> Self {
        Self {
            value: vec![0.0; n],
            extra: vec![0.0; n],
            stamp: vec![u32::MAX; n],
            now: 0,
        }
    }
}

/// Burt's constraint of every node: `c(u) = Σ_{v ∈ N(u)} (p_uv + Σ_w p_uw p_wv)²`, where
/// `p_uv = M_uv / Σ_x M_ux` is the share of `u`'s mutual weight `M_uv = A_uv + A_vu` that goes to
/// `v`, and `N(u)` are the nodes with positive mutual weight to `u` (links either way count).
/// High constraint: the contacts are tied to each other, so the node spans no structural hole.
///
/// Burt, R. S. (1992). *Structural Holes: The Social Structure of Competition*. Harvard University
/// Press; Burt (2004), doi:10.1086/421787. Values equal networkx's `constraint` (self-loops
/// included as networkx includes them). `None` where the node has no positive link to another
/// node (networkx returns NaN there). Parallel over nodes; identical for any thread count.
///
/// # Example
/// ```
/// use aluna_core::ids::{IdMap, Key};
/// use aluna_core::parallel::Cancel;
/// use aluna_graph::{constraint, CaseGraph, EdgeRows, GraphOptions, StructuralHoleOptions};
/// // A star: the centre's contacts are not tied to each other.
/// let mut ids = IdMap::new_int();
/// for v in 0..5 { ids.intern(Key::Int(v))?; }
/// let rows = EdgeRows { source: vec![0, 0, 0], target: vec![1, 2, 3], ..Default::default() };
/// let g = CaseGraph::build(ids, rows, None, None, GraphOptions::default())?;
/// let c = constraint(&g, &StructuralHoleOptions::default(), &Cancel::new())?;
/// assert!((c[0].unwrap() - 1.0 / 3.0).abs() < 1e-15); // 3 × (1/3)²
/// assert_eq!(c[1], Some(1.0));
/// assert_eq!(c[4], None); // isolated
/// # Ok::<(), aluna_core::Error>(())
/// ```
pub fn constraint(
    graph: &CaseGraph,
    options: &StructuralHoleOptions,
    cancel: &Cancel,
) -> Result<Vec<Option<f64>>> {
    let m = Mutual::new(graph, options.weighted)?;
    m.per_ego(cancel, |u, s| {
        let (nu, wu) = m.row(u);
        for (&w, &x) in nu.iter().zip(wu) {
            let p_uw = x / m.sum[u];
            if p_uw <= 0.0 {
                continue;
            }
            let w = w as usize;
            let (nw, ww) = m.row(w);
            for (&v, &y) in nw.iter().zip(ww) {
                if s.stamp[v as usize] == s.now {
                    s.extra[v as usize] += p_uw * (y / m.sum[w]);
                }
            }
        }
        nu.iter()
            .zip(wu)
            .filter(|(_, &x)| x > 0.0)
            .map(|(&v, _)| {
                let l = s.value[v as usize] + s.extra[v as usize];
                l * l
            })
            .sum()
    })
}

/// Burt's effective size of every node: `e(u) = Σ_{v ∈ N(u)} (1 − Σ_w p_uw m_vw)`, the number of
/// contacts less their redundancy, where `p_uw` is as in [`constraint`] and
/// `m_vw = M_vw / max_x M_vx` is `v`'s tie to `w` relative to its strongest tie. Unweighted and
/// undirected, it is Borgatti's `n − 2t/n` (`n` contacts, `t` ties among them).
///
/// Burt (1992); Borgatti, S. P. (1997), *Connections* 20(1):35–38. Values equal networkx's
/// `effective_size`; `None` where the node has no positive link to another node. Parallel over
/// nodes; identical for any thread count.
///
/// # Example
/// ```
/// use aluna_core::ids::{IdMap, Key};
/// use aluna_core::parallel::Cancel;
/// use aluna_graph::{effective_size, CaseGraph, EdgeRows, GraphOptions, StructuralHoleOptions};
/// // Node 0 has three contacts, two of them tied: 3 − 2·1/3.
/// let mut ids = IdMap::new_int();
/// for v in 0..4 { ids.intern(Key::Int(v))?; }
/// let rows = EdgeRows { source: vec![0, 0, 0, 1], target: vec![1, 2, 3, 2], ..Default::default() };
/// let g = CaseGraph::build(ids, rows, None, None, GraphOptions::default())?;
/// let e = effective_size(&g, &StructuralHoleOptions::default(), &Cancel::new())?;
/// assert!((e[0].unwrap() - (3.0 - 2.0 / 3.0)).abs() < 1e-15);
/// # Ok::<(), aluna_core::Error>(())
/// ```
pub fn effective_size(
    graph: &CaseGraph,
    options: &StructuralHoleOptions,
    cancel: &Cancel,
) -> Result<Vec<Option<f64>>> {
    let m = Mutual::new(graph, options.weighted)?;
    m.per_ego(cancel, |u, s| {
        let (nu, wu) = m.row(u);
        let mut total = 0.0;
        for (&v, &x) in nu.iter().zip(wu) {
            if x <= 0.0 {
                continue;
            }
            let v = v as usize;
            let (nv, wv) = m.row(v);
            let mut redundancy = 0.0;
            for (&w, &y) in nv.iter().zip(wv) {
                if s.stamp[w as usize] == s.now {
                    redundancy += s.value[w as usize] * (y / m.max[v]);
                }
            }
            total += 1.0 - redundancy;
        }
        total
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EdgeRows, GraphOptions};

    fn graph(n: i64, edges: &[(u32, u32)], directed: bool, weight: Option<Vec<f64>>) -> CaseGraph {
        let rows = EdgeRows {
            source: edges.iter().map(|e| e.0).collect(),
            target: edges.iter().map(|e| e.1).collect(),
            weight,
            ..Default::default()
        };
        let options = GraphOptions {
            directed,
            ..Default::default()
        };
        CaseGraph::from_index_rows(n as u32, rows, options).unwrap()
    }

    #[test]
    fn triangle_and_pendant_by_hand() {
        // 0-1, 0-2, 1-2, 2-3: node 2 has contacts 0, 1, 3 (p = 1/3 each).
        let g = graph(4, &[(0, 1), (0, 2), (1, 2), (2, 3)], false, None);
        let c = constraint(&g, &StructuralHoleOptions::default(), &Cancel::new()).unwrap();
        // c(2): for 0: (1/3 + p_21 p_10 = 1/3 · 1/2)² twice; for 3: (1/3)².
        let expected = 2.0 * (1.0f64 / 3.0 + 1.0 / 6.0).powi(2) + (1.0f64 / 3.0).powi(2);
        assert!((c[2].unwrap() - expected).abs() < 1e-15);
        let e = effective_size(&g, &StructuralHoleOptions::default(), &Cancel::new()).unwrap();
        assert!((e[2].unwrap() - (3.0 - 2.0 / 3.0)).abs() < 1e-15);
        assert!((e[3].unwrap() - 1.0).abs() < 1e-15);
    }

    #[test]
    fn directed_links_either_way_are_contacts_and_weights_scale_out() {
        let d = graph(3, &[(0, 1), (2, 0)], true, Some(vec![2.0, 2.0]));
        let u = graph(3, &[(0, 1), (0, 2)], false, None);
        let opts = StructuralHoleOptions { weighted: true };
        let cd = constraint(&d, &opts, &Cancel::new()).unwrap();
        let cu = constraint(&u, &StructuralHoleOptions::default(), &Cancel::new()).unwrap();
        assert_eq!(cd, cu);
    }
}
