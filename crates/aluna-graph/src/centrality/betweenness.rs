//! Exact shortest-path betweenness of nodes and edges (Brandes 2001, 2008).

use aluna_core::parallel::{ordered_fold, Cancel};
use aluna_core::Result;

use super::paths::{Dijkstra, UNSEEN};
use super::slot_lengths;
use crate::{CaseGraph, Csr};

/// How [`betweenness`] counts and scales.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BetweennessOptions {
    /// Divide by the number of pairs that could route through a node: `(n-1)(n-2)`, or
    /// `n(n-1)` with `endpoints` (networkx's normalisation, the same for directed and
    /// undirected graphs). Unnormalised undirected values count unordered pairs.
    pub normalized: bool,
    /// Count the endpoints of each path as lying on it.
    pub endpoints: bool,
    /// Read the graph's weights as link lengths (they must be positive) and follow the
    /// shortest weighted paths (Dijkstra); otherwise count hops.
    pub weighted: bool,
}

impl Default for BetweennessOptions {
    fn default() -> Self {
        Self {
            normalized: true,
            endpoints: false,
            weighted: false,
        }
    }
}

/// How [`edge_betweenness`] scales and measures paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdgeBetweennessOptions {
    /// Divide by `n(n-1)`, as networkx does; unnormalised undirected values count unordered
    /// pairs.
    pub normalized: bool,
    /// Read the graph's weights as positive link lengths.
    pub weighted: bool,
}

impl Default for EdgeBetweennessOptions {
    fn default() -> Self {
        Self {
            normalized: true,
            weighted: false,
        }
    }
}

/// One node's state in the unweighted sweep, packed so that a neighbour costs one cache line:
/// its hops from the source, and `value`, which holds the shortest-path count `sigma` during
/// the forward search and the coefficient `(1 + delta) / sigma` once the backward sweep has
/// passed it (successors are always passed before their predecessors read them).
#[derive(Debug, Clone, Copy)]
#[repr(C)]
struct Node {
    hops: u32,
    value: f64,
}

/// Marks a node left out of the search (see [`Scratch::block`]): neither [`UNSEEN`] nor a hop
/// count, so the breadth-first search never enters it.
const BLOCKED: u32 = UNSEEN - 1;

/// Per-chunk scratch of Brandes' algorithm, reused across sources: nothing is allocated per
/// source.
struct Scratch {
    /// Unweighted: per-node state.
    nodes: Vec<Node>,
    /// Visiting order (unweighted); the Dijkstra scratch keeps its own.
    order: Vec<u32>,
    /// Unweighted: the out-slots of the shortest-path DAG, grouped by tail in visiting order,
    /// so the backward sweep reads only DAG links, sequentially.
    successors: Vec<usize>,
    /// Unweighted: where each visited node's run of `successors` ends, in visiting order.
    ends: Vec<usize>,
    /// Weighted: shortest-path counts from the source.
    sigma: Vec<f64>,
    /// Weighted: `(1 + delta[v]) / sigma[v]` once `v`'s dependency is known.
    coef: Vec<f64>,
    /// Weighted search.
    dijkstra: Option<Dijkstra>,
}

impl Scratch {
    fn new(n: usize, weighted: bool) -> Self {
        if weighted {
            Self {
                nodes: Vec::new(),
                order: Vec::new(),
                successors: Vec::new(),
                ends: Vec::new(),
                sigma: vec![0.0; n],
                coef: vec![0.0; n],
                dijkstra: Some(Dijkstra::new(n)),
            }
        } else {
            Self {
                nodes: vec![
                    Node {
                        hops: UNSEEN,
                        value: 0.0
                    };
                    n
                ],
                order: Vec::with_capacity(n),
                successors: Vec::new(),
                ends: Vec::with_capacity(n),
                sigma: Vec::new(),
                coef: Vec::new(),
                dijkstra: None,
            }
        }
    }

    /// Leave the `removed` nodes out of every later search: their hop count is [`BLOCKED`],
    /// which the search never resets, so they are never reached. The inner loop is unchanged.
    fn block(&mut self, removed: &[bool]) {
        for (node, &r) in self.nodes.iter_mut().zip(removed) {
            if r {
                node.hops = BLOCKED;
            }
        }
    }

    /// Breadth-first search from `s` counting shortest paths into `nodes[v].value` and
    /// recording the out-slots of the shortest-path DAG.
    #[inline]
    fn bfs(&mut self, adjacency: &Csr, s: u32) {
        let Self {
            nodes,
            order,
            successors,
            ends,
            ..
        } = self;
        for &v in order.iter() {
            nodes[v as usize].hops = UNSEEN;
        }
        order.clear();
        successors.clear();
        ends.clear();
        nodes[s as usize] = Node {
            hops: 0,
            value: 1.0,
        };
        order.push(s);
        let offsets = adjacency.offsets();
        let neighbours = &adjacency.neighbours;
        let mut head = 0;
        while head < order.len() {
            let v = order[head] as usize;
            head += 1;
            let Node {
                hops,
                value: sigma_v,
            } = nodes[v];
            let next = hops + 1;
            let (start, end) = (offsets[v] as usize, offsets[v + 1] as usize);
            for (slot, &w) in (start..end).zip(&neighbours[start..end]) {
                let node = &mut nodes[w as usize];
                if node.hops == UNSEEN {
                    *node = Node {
                        hops: next,
                        value: sigma_v,
                    };
                    order.push(w);
                    successors.push(slot);
                } else if node.hops == next {
                    node.value += sigma_v;
                    successors.push(slot);
                }
            }
            ends.push(successors.len());
        }
    }

    /// Brandes' backward sweep after [`Scratch::bfs`]: in reverse visiting order, each node's
    /// dependency `delta_w = sigma_w * sum over DAG successors v of (1 + delta_v) / sigma_v`.
    /// Calls `on_slot(slot, sigma_w (1 + delta_v) / sigma_v)` for every DAG link and
    /// `on_node(w, delta_w)` for every visited node, the source last.
    #[inline]
    fn dependencies(
        &mut self,
        neighbours: &[u32],
        mut on_slot: impl FnMut(usize, f64),
        mut on_node: impl FnMut(usize, f64),
    ) {
        let Self {
            nodes,
            order,
            successors,
            ends,
            ..
        } = self;
        let mut end = successors.len();
        for (i, &w) in order.iter().enumerate().rev() {
            let w = w as usize;
            let start = if i == 0 { 0 } else { ends[i - 1] };
            let sigma_w = nodes[w].value;
            let mut sum = 0.0;
            for &slot in &successors[start..end] {
                let coef = nodes[neighbours[slot] as usize].value;
                sum += coef;
                on_slot(slot, sigma_w * coef);
            }
            end = start;
            let delta = sigma_w * sum;
            nodes[w].value = (1.0 + delta) / sigma_w;
            on_node(w, delta);
        }
    }

    /// Dijkstra from `s` counting shortest paths; returns the search, the path counts and the
    /// coefficients to fill.
    fn dijkstra(
        &mut self,
        adjacency: &Csr,
        lengths: &[f64],
        s: u32,
    ) -> (&Dijkstra, &[f64], &mut [f64]) {
        let search = self
            .dijkstra
            .as_mut()
            .expect("invariant: weighted scratch holds a Dijkstra search");
        search.run(adjacency, lengths, s, Some(&mut self.sigma), None);
        (search, &self.sigma, &mut self.coef)
    }
}

/// The per-node factor networkx applies after summing over ordered pairs.
fn node_scale(n: usize, directed: bool, options: &BetweennessOptions) -> Option<f64> {
    let pairs = if options.endpoints {
        n
    } else {
        n.saturating_sub(1)
    };
    if pairs < 2 {
        return None;
    }
    if options.normalized {
        Some(1.0 / (pairs as f64 * (pairs - 1) as f64))
    } else if directed {
        None
    } else {
        Some(0.5)
    }
}

/// Shortest-path betweenness of every node, by node index.
///
/// `c_B(v) = sum over s != v != t of sigma_st(v) / sigma_st`, where `sigma_st` counts the
/// shortest paths from `s` to `t` and `sigma_st(v)` those through `v` (Freeman 1977), over
/// ordered pairs when directed and unordered pairs when undirected, scaled as networkx's
/// `betweenness_centrality` (see [`BetweennessOptions`]). Brandes' algorithm (2001): one
/// breadth-first search (Dijkstra's algorithm when weighted) per source and a backward sweep
/// accumulating dependencies over successors, O(nm) (O(nm + n² log n) weighted); the
/// `endpoints` variant follows Brandes (2008).
///
/// Self-loops never lie on a shortest path; parallel links count once (a multigraph's links
/// merge into one edge whose weight is their sum). Disconnected graphs and isolates are fine:
/// pairs without a path add nothing.
///
/// Parallel over sources: chunks of 64 sources each sum into their own vector, and chunks are
/// added in order ([`ordered_fold`]), so results are bit-identical for any thread count.
///
/// # Errors
/// `InvalidArgument` when `weighted` and the graph has no weights or a link of weight 0;
/// `Cancelled` when `cancel` was set.
///
/// # References
/// Brandes, U. (2001). A faster algorithm for betweenness centrality. Journal of Mathematical
/// Sociology 25(2), 163-177. <https://doi.org/10.1080/0022250X.2001.9990249>.
/// Brandes, U. (2008). On variants of shortest-path betweenness centrality and their generic
/// computation. Social Networks 30(2), 136-145. <https://doi.org/10.1016/j.socnet.2007.11.001>.
///
/// # Example
/// ```
/// use aluna_core::ids::{IdMap, Key};
/// use aluna_core::parallel::Cancel;
/// use aluna_graph::centrality::{betweenness, BetweennessOptions};
/// use aluna_graph::{CaseGraph, EdgeRows, GraphOptions};
/// let mut ids = IdMap::new_int();
/// for v in 0..3 { ids.intern(Key::Int(v))?; }
/// // A path 0 - 1 - 2: node 1 lies on the one path between 0 and 2.
/// let rows = EdgeRows { source: vec![0, 1], target: vec![1, 2], ..Default::default() };
/// let g = CaseGraph::build(ids, rows, None, None, GraphOptions::default())?;
/// let raw = BetweennessOptions { normalized: false, ..Default::default() };
/// assert_eq!(betweenness(&g, &raw, &Cancel::new())?, vec![0.0, 1.0, 0.0]);
/// assert_eq!(betweenness(&g, &BetweennessOptions::default(), &Cancel::new())?, vec![0.0, 1.0, 0.0]);
/// # Ok::<(), aluna_core::Error>(())
/// ```
pub fn betweenness(
    graph: &CaseGraph,
    options: &BetweennessOptions,
    cancel: &Cancel,
) -> Result<Vec<f64>> {
    let n = graph.number_of_nodes();
    let adjacency = graph.out_adjacency();
    let extra = if options.endpoints { 1.0 } else { 0.0 };
    let mut total = if options.weighted {
        let lengths = slot_lengths(graph, &graph.out_slot_edges(), true, "betweenness")?;
        ordered_fold(
            n,
            n,
            cancel,
            || Scratch::new(n, true),
            |s, scratch, acc| {
                let s = s as u32;
                let (search, sigma, coef) = scratch.dijkstra(adjacency, &lengths, s);
                let (order, dist) = (&search.order, &search.dist);
                for &w in order.iter().rev() {
                    let range = adjacency.range(w);
                    let dw = dist[w as usize];
                    let mut sum = 0.0;
                    for (&v, &len) in adjacency.neighbours[range.clone()]
                        .iter()
                        .zip(&lengths[range])
                    {
                        if dist[v as usize] == dw + len {
                            sum += coef[v as usize];
                        }
                    }
                    let sigma_w = sigma[w as usize];
                    let delta = sigma_w * sum;
                    coef[w as usize] = (1.0 + delta) / sigma_w;
                    if w != s {
                        acc[w as usize] += delta + extra;
                    }
                }
                if options.endpoints {
                    acc[s as usize] += (order.len() - 1) as f64;
                }
            },
        )?
    } else {
        unweighted_sums(adjacency, None, options.endpoints, cancel)?
    };
    if let Some(scale) = node_scale(n, graph.is_directed(), options) {
        total.iter_mut().for_each(|x| *x *= scale);
    }
    Ok(total)
}

/// Brandes' dependency sums over ordered pairs, by hop count, with the `removed` nodes (if any)
/// left out: they are neither sources, nor targets, nor passed through.
fn unweighted_sums(
    adjacency: &Csr,
    removed: Option<&[bool]>,
    endpoints: bool,
    cancel: &Cancel,
) -> Result<Vec<f64>> {
    let n = adjacency.len();
    let neighbours = &adjacency.neighbours;
    let extra = if endpoints { 1.0 } else { 0.0 };
    ordered_fold(
        n,
        n,
        cancel,
        || {
            let mut scratch = Scratch::new(n, false);
            if let Some(removed) = removed {
                scratch.block(removed);
            }
            scratch
        },
        |s, scratch, acc| {
            if removed.is_some_and(|r| r[s]) {
                return;
            }
            scratch.bfs(adjacency, s as u32);
            scratch.dependencies(
                neighbours,
                |_, _| {},
                |w, delta| {
                    if w != s {
                        acc[w] += delta + extra;
                    }
                },
            );
            if endpoints {
                acc[s] += (scratch.order.len() - 1) as f64;
            }
        },
    )
}

/// Normalised betweenness of every node of the undirected network `adjacency` (symmetric rows)
/// without the `removed` nodes, as networkx's `betweenness_centrality` of the graph they leave:
/// ordered-pair sums divided by `(k − 1)(k − 2)` for the `k` nodes left; removed nodes score 0.
///
/// The search of [`betweenness`] with removed nodes blocked, so a simulation that removes nodes
/// one at a time ([`crate::disruption`]) never rebuilds the adjacency.
pub(crate) fn betweenness_without(
    adjacency: &Csr,
    removed: &[bool],
    cancel: &Cancel,
) -> Result<Vec<f64>> {
    let left = removed.iter().filter(|&&r| !r).count();
    let mut total = unweighted_sums(adjacency, Some(removed), false, cancel)?;
    if let Some(scale) = node_scale(left, false, &BetweennessOptions::default()) {
        total.iter_mut().for_each(|x| *x *= scale);
    } else {
        total.iter_mut().for_each(|x| *x = 0.0);
    }
    Ok(total)
}

/// Shortest-path betweenness of every edge, by edge id (see [`CaseGraph::edges`]).
///
/// `c_B(e) = sum over s != t of sigma_st(e) / sigma_st` (Anthonisse 1971; Girvan & Newman
/// 2002), over ordered pairs when directed and unordered pairs when undirected, computed with
/// Brandes' algorithm and scaled as networkx's `edge_betweenness_centrality`: normalised values
/// divide by `n(n-1)`. Parallel links count once; self-loops carry no shortest path.
///
/// Parallel over sources with [`ordered_fold`]: bit-identical for any thread count.
///
/// # Errors
/// As [`betweenness`].
///
/// # References
/// Brandes, U. (2008). On variants of shortest-path betweenness centrality and their generic
/// computation. Social Networks 30(2), 136-145. <https://doi.org/10.1016/j.socnet.2007.11.001>.
///
/// # Example
/// ```
/// use aluna_core::ids::{IdMap, Key};
/// use aluna_core::parallel::Cancel;
/// use aluna_graph::centrality::{edge_betweenness, EdgeBetweennessOptions};
/// use aluna_graph::{CaseGraph, EdgeRows, GraphOptions};
/// let mut ids = IdMap::new_int();
/// for v in 0..3 { ids.intern(Key::Int(v))?; }
/// let rows = EdgeRows { source: vec![0, 1], target: vec![1, 2], ..Default::default() };
/// let g = CaseGraph::build(ids, rows, None, None, GraphOptions::default())?;
/// let raw = EdgeBetweennessOptions { normalized: false, ..Default::default() };
/// // Each link of the path 0 - 1 - 2 carries two of the three pairs.
/// assert_eq!(edge_betweenness(&g, &raw, &Cancel::new())?, vec![2.0, 2.0]);
/// # Ok::<(), aluna_core::Error>(())
/// ```
pub fn edge_betweenness(
    graph: &CaseGraph,
    options: &EdgeBetweennessOptions,
    cancel: &Cancel,
) -> Result<Vec<f64>> {
    let n = graph.number_of_nodes();
    let m = graph.number_of_pairs();
    let adjacency = graph.out_adjacency();
    let slot_edges = graph.out_slot_edges();
    let mut total = if options.weighted {
        let lengths = slot_lengths(graph, &slot_edges, true, "edge betweenness")?;
        ordered_fold(
            n,
            m,
            cancel,
            || Scratch::new(n, true),
            |s, scratch, acc| {
                let (search, sigma, coef) = scratch.dijkstra(adjacency, &lengths, s as u32);
                let (order, dist) = (&search.order, &search.dist);
                for &w in order.iter().rev() {
                    let w = w as usize;
                    let (dw, sigma_w) = (dist[w], sigma[w]);
                    let mut sum = 0.0;
                    for slot in adjacency.range(w as u32) {
                        let v = adjacency.neighbours[slot] as usize;
                        if dist[v] == dw + lengths[slot] {
                            sum += coef[v];
                            acc[slot_edges[slot] as usize] += sigma_w * coef[v];
                        }
                    }
                    coef[w] = (1.0 + sigma_w * sum) / sigma_w;
                }
            },
        )?
    } else {
        ordered_fold(
            n,
            m,
            cancel,
            || Scratch::new(n, false),
            |s, scratch, acc| {
                scratch.bfs(adjacency, s as u32);
                scratch.dependencies(
                    &adjacency.neighbours,
                    |slot, share| acc[slot_edges[slot] as usize] += share,
                    |_, _| {},
                );
            },
        )?
    };
    let scale = if n < 2 {
        None
    } else if options.normalized {
        Some(1.0 / (n as f64 * (n - 1) as f64))
    } else if graph.is_directed() {
        None
    } else {
        Some(0.5)
    };
    if let Some(scale) = scale {
        total.iter_mut().for_each(|x| *x *= scale);
    }
    Ok(total)
}
