//! Multiplex views of a typed graph: each link type (a crime type, an identifier column) is a
//! layer over the same nodes.
//!
//! Measures follow Battiston, Nicosia & Latora (2014), Structural measures for multiplex
//! networks, Phys. Rev. E 89, 032804, <https://doi.org/10.1103/PhysRevE.89.032804>.

use aluna_core::{Error, Result};
use rayon::prelude::*;

use crate::{CaseGraph, Direction};

/// Every merged edge's layers with their observation counts, in layer order:
/// `f(edge, a, b, &[(layer, observations)])`.
fn for_each_typed_edge(
    graph: &CaseGraph,
    mut f: impl FnMut(u32, u32, u32, &[(u32, u64)]),
) -> Result<()> {
    let (ev, types) = match graph.events.as_ref() {
        Some(ev) => match ev.link_type.as_ref() {
            Some(types) => (ev, types),
            None => return Err(untyped()),
        },
        None => return Err(untyped()),
    };
    let mut per: Vec<(u32, u64)> = Vec::new();
    for (e, a, b) in graph.edges() {
        let range = ev.offsets[e as usize] as usize..ev.offsets[e as usize + 1] as usize;
        per.clear();
        for i in range {
            let c = ev.count.as_ref().map_or(1, |c| u64::from(c[i]));
            per.push((types[i], c));
        }
        per.sort_unstable();
        // Merge observations of the same layer.
        let mut k = 0;
        for i in 0..per.len() {
            if k > 0 && per[k - 1].0 == per[i].0 {
                per[k - 1].1 += per[i].1;
            } else {
                per[k] = per[i];
                k += 1;
            }
        }
        per.truncate(k);
        f(e, a, b, &per);
    }
    Ok(())
}

fn untyped() -> Error {
    Error::argument(
        "layers",
        "the graph's links have no type, so it has no layers; build it with link_type=<column> \
         (for example a crime type)",
    )
}

fn layer_count(graph: &CaseGraph) -> Result<usize> {
    graph.link_types().map(|l| l.len()).ok_or_else(untyped)
}

/// Degree of every node in every layer, stored sparsely: node `v`'s layers are
/// `layer[offsets[v]..offsets[v + 1]]` (ascending) with their degrees beside them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerDegrees {
    /// Row offsets, one per node plus one.
    pub offsets: Vec<u64>,
    /// Layer codes (indices into the graph's link types).
    pub layer: Vec<u32>,
    /// Degree in that layer.
    pub degree: Vec<u64>,
    /// Number of layers the graph declares.
    pub layers: usize,
}

impl LayerDegrees {
    /// Overlapping degree of every node, `o_v = Σ_α k_v^[α]` (Battiston et al. 2014).
    pub fn overlapping(&self) -> Vec<u64> {
        (0..self.offsets.len() - 1)
            .map(|v| {
                self.degree[self.offsets[v] as usize..self.offsets[v + 1] as usize]
                    .iter()
                    .sum()
            })
            .collect()
    }

    /// Number of layers in which each node has a link.
    pub fn active_layers(&self) -> Vec<u64> {
        self.offsets.windows(2).map(|w| w[1] - w[0]).collect()
    }

    /// Multiplex participation coefficient of every node,
    /// `P_v = M / (M − 1) · (1 − Σ_α (k_v^[α] / o_v)²)` over the `M` layers (Battiston et al.
    /// 2014, eq. 11): 0 when all of a node's links lie in one layer, 1 when they are spread
    /// evenly over all layers. `None` for a node without links. Needs `M ≥ 2`.
    pub fn participation(&self) -> Result<Vec<Option<f64>>> {
        let m = self.layers;
        if m < 2 {
            return Err(Error::NotDefined {
                what: "the multiplex participation coefficient",
                reason: format!("it needs at least two layers; the graph has {m}"),
            });
        }
        let scale = m as f64 / (m - 1) as f64;
        Ok((0..self.offsets.len() - 1)
            .map(|v| {
                let row = &self.degree[self.offsets[v] as usize..self.offsets[v + 1] as usize];
                let o: u64 = row.iter().sum();
                (o > 0).then(|| {
                    let o = o as f64;
                    let concentration: f64 = row.iter().map(|&k| (k as f64 / o).powi(2)).sum();
                    scale * (1.0 - concentration)
                })
            })
            .collect())
    }
}

/// Degree of every node in every layer: the number of its links of that type, counted as
/// [`crate::degree`] counts them (a self-loop twice when undirected; every parallel link in a
/// multigraph). Equals `degree()` of the layer's own subgraph, node by node.
///
/// # Example
/// ```
/// use aluna_core::ids::{IdMap, Key};
/// use aluna_graph::{layer_degrees, CaseGraph, Direction, EdgeRows, GraphOptions};
/// let mut ids = IdMap::new_int();
/// for v in 0..3 { ids.intern(Key::Int(v))?; }
/// let mut types = IdMap::new_str();
/// types.intern(Key::Str("drugs"))?;
/// types.intern(Key::Str("fraud"))?;
/// let rows = EdgeRows { source: vec![0, 0, 1], target: vec![1, 1, 2],
///     link_type: Some(vec![0, 1, 1]), ..Default::default() };
/// let g = CaseGraph::build(ids, rows, Some(types), None, GraphOptions::default())?;
/// let d = layer_degrees(&g, Direction::All)?;
/// assert_eq!(d.overlapping(), vec![2, 3, 1]);
/// let p = d.participation()?;
/// assert_eq!((p[0], p[2]), (Some(1.0), Some(0.0)));
/// assert!((p[1].unwrap() - 8.0 / 9.0).abs() < 1e-12);
/// # Ok::<(), aluna_core::Error>(())
/// ```
pub fn layer_degrees(graph: &CaseGraph, direction: Direction) -> Result<LayerDegrees> {
    if direction != Direction::All && !graph.is_directed() {
        return Err(Error::argument(
            "direction",
            "in- and out-degree need a directed graph; this one is undirected",
        ));
    }
    let layers = layer_count(graph)?;
    let multi = graph.is_multigraph();
    let mut triples: Vec<(u32, u32, u64)> = Vec::new();
    for_each_typed_edge(graph, |_, a, b, per| {
        for &(t, c) in per {
            let c = if multi { c } else { 1 };
            if direction != Direction::In {
                triples.push((a, t, c));
            }
            if direction != Direction::Out {
                triples.push((b, t, c));
            }
        }
    })?;
    triples.par_sort_unstable_by_key(|&(v, t, _)| (v, t));
    let n = graph.number_of_nodes();
    let mut offsets = vec![0u64; n + 1];
    let mut layer = Vec::new();
    let mut degree = Vec::new();
    let mut previous = None;
    for &(v, t, c) in &triples {
        if previous == Some((v, t)) {
            if let Some(d) = degree.last_mut() {
                *d += c;
            }
            continue;
        }
        previous = Some((v, t));
        layer.push(t);
        degree.push(c);
        offsets[v as usize + 1] += 1;
    }
    for v in 0..n {
        offsets[v + 1] += offsets[v];
    }
    Ok(LayerDegrees {
        offsets,
        layer,
        degree,
        layers,
    })
}

/// Size of each layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerSummary {
    /// Linked pairs (merged edges) with at least one link of this type.
    pub edges: u64,
    /// Links (observations) of this type.
    pub links: u64,
    /// Nodes with at least one link of this type.
    pub nodes: u64,
}

/// Edges, links and active nodes of every layer, by layer code.
pub fn layer_summary(graph: &CaseGraph) -> Result<Vec<LayerSummary>> {
    let layers = layer_count(graph)?;
    let mut out = vec![
        LayerSummary {
            edges: 0,
            links: 0,
            nodes: 0
        };
        layers
    ];
    for_each_typed_edge(graph, |_, _, _, per| {
        for &(t, c) in per {
            out[t as usize].edges += 1;
            out[t as usize].links += c;
        }
    })?;
    let degrees = layer_degrees(graph, Direction::All)?;
    for &t in &degrees.layer {
        out[t as usize].nodes += 1;
    }
    Ok(out)
}

/// How much two layers overlap.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerOverlap {
    /// First layer code.
    pub a: u32,
    /// Second layer code (`a < b`).
    pub b: u32,
    /// Linked pairs in layer `a`.
    pub edges_a: u64,
    /// Linked pairs in layer `b`.
    pub edges_b: u64,
    /// Pairs linked in both.
    pub shared: u64,
    /// Edge Jaccard `|E_a ∩ E_b| / |E_a ∪ E_b|`; `None` when both layers are empty.
    pub jaccard: Option<f64>,
}

/// Edge overlap of every pair of layers: pairs linked in both over pairs linked in either
/// (the Jaccard index of the layers' edge sets; Battiston et al. 2014 count the shared edges).
/// Edges are unordered pairs when the graph is undirected, ordered when directed.
///
/// # Example
/// ```
/// use aluna_core::ids::{IdMap, Key};
/// use aluna_graph::{layer_overlap, CaseGraph, EdgeRows, GraphOptions};
/// let mut ids = IdMap::new_int();
/// for v in 0..3 { ids.intern(Key::Int(v))?; }
/// let mut types = IdMap::new_str();
/// types.intern(Key::Str("drugs"))?;
/// types.intern(Key::Str("fraud"))?;
/// let rows = EdgeRows { source: vec![0, 0, 1], target: vec![1, 1, 2],
///     link_type: Some(vec![0, 1, 1]), ..Default::default() };
/// let g = CaseGraph::build(ids, rows, Some(types), None, GraphOptions::default())?;
/// let o = layer_overlap(&g)?;
/// assert_eq!((o[0].shared, o[0].jaccard), (1, Some(0.5)));
/// # Ok::<(), aluna_core::Error>(())
/// ```
pub fn layer_overlap(graph: &CaseGraph) -> Result<Vec<LayerOverlap>> {
    let layers = layer_count(graph)?;
    let mut edges = vec![0u64; layers];
    let mut keys: Vec<u64> = Vec::new();
    for_each_typed_edge(graph, |_, _, _, per| {
        for (i, &(t, _)) in per.iter().enumerate() {
            edges[t as usize] += 1;
            for &(u, _) in &per[i + 1..] {
                keys.push(u64::from(t) * layers as u64 + u64::from(u));
            }
        }
    })?;
    keys.par_sort_unstable();
    let mut out = Vec::with_capacity(layers * layers.saturating_sub(1) / 2);
    let mut cursor = 0usize;
    for a in 0..layers {
        for b in a + 1..layers {
            let key = (a * layers + b) as u64;
            let mut shared = 0u64;
            while cursor < keys.len() && keys[cursor] < key {
                cursor += 1;
            }
            while cursor < keys.len() && keys[cursor] == key {
                shared += 1;
                cursor += 1;
            }
            let union = edges[a] + edges[b] - shared;
            out.push(LayerOverlap {
                a: a as u32,
                b: b as u32,
                edges_a: edges[a],
                edges_b: edges[b],
                shared,
                jaccard: (union > 0).then(|| shared as f64 / union as f64),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{degree, EdgeRows, GraphOptions, SubgraphFilter};
    use aluna_core::ids::{IdMap, Key};

    fn typed(directed: bool, multigraph: bool) -> CaseGraph {
        let mut ids = IdMap::new_int();
        for v in 0..5 {
            ids.intern(Key::Int(v)).unwrap();
        }
        let mut types = IdMap::new_str();
        for t in ["a", "b", "c"] {
            types.intern(Key::Str(t)).unwrap();
        }
        let rows = EdgeRows {
            source: vec![0, 0, 1, 2, 2, 3, 3, 0],
            target: vec![1, 1, 2, 2, 3, 4, 4, 1],
            link_type: Some(vec![0, 1, 1, 0, 2, 0, 0, 0]),
            ..Default::default()
        };
        CaseGraph::build(
            ids,
            rows,
            Some(types),
            None,
            GraphOptions {
                directed,
                multigraph,
            },
        )
        .unwrap()
    }

    #[test]
    fn layer_degrees_equal_degrees_of_layer_subgraphs() {
        for directed in [false, true] {
            for multigraph in [false, true] {
                let g = typed(directed, multigraph);
                let directions: &[Direction] = if directed {
                    &[Direction::All, Direction::In, Direction::Out]
                } else {
                    &[Direction::All]
                };
                for &dir in directions {
                    let d = layer_degrees(&g, dir).unwrap();
                    for t in 0..3u32 {
                        let sub = g
                            .subgraph(&SubgraphFilter {
                                link_types: Some(vec![t]),
                                ..Default::default()
                            })
                            .unwrap();
                        let want = degree(&sub, dir).unwrap();
                        for (v, &expected) in want.iter().enumerate() {
                            let row = d.offsets[v] as usize..d.offsets[v + 1] as usize;
                            let got = d.layer[row.clone()]
                                .iter()
                                .zip(&d.degree[row])
                                .find(|(&l, _)| l == t)
                                .map_or(0, |(_, &k)| k);
                            assert_eq!(got, expected, "{directed} {multigraph} {dir:?} {t} {v}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn overlap_counts_pairs_in_both_layers() {
        let g = typed(false, false);
        let o = layer_overlap(&g).unwrap();
        // a: {01, 22, 34}, b: {01, 12}, c: {23}.
        assert_eq!((o[0].a, o[0].b, o[0].shared), (0, 1, 1));
        assert_eq!(o[0].jaccard, Some(1.0 / 4.0));
        assert_eq!((o[1].edges_a, o[1].edges_b, o[1].shared), (3, 1, 0));
        assert_eq!(o[2].jaccard, Some(0.0));
        let s = layer_summary(&g).unwrap();
        assert_eq!(s[0].edges, 3);
        assert_eq!(s[0].links, 5);
        assert_eq!(s[0].nodes, 5);
    }

    #[test]
    fn untyped_graphs_have_no_layers() {
        let mut ids = IdMap::new_int();
        ids.intern(Key::Int(0)).unwrap();
        ids.intern(Key::Int(1)).unwrap();
        let rows = EdgeRows {
            source: vec![0],
            target: vec![1],
            ..Default::default()
        };
        let g = CaseGraph::build(ids, rows, None, None, GraphOptions::default()).unwrap();
        assert!(matches!(
            layer_degrees(&g, Direction::All),
            Err(Error::InvalidArgument { name: "layers", .. })
        ));
    }
}
