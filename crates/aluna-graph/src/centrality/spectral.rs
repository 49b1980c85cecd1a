//! Spectral centralities: eigenvector, PageRank and Katz, by power iteration.
//!
//! Each iteration pulls, for every node, the scores of the nodes linking to it (its in-slots,
//! every slot when undirected); each node's new score is summed by one thread in slot order and
//! sums over nodes use [`ordered_sum`], so results are identical for any thread count.
//!
//! Link values: the graph's merged weight when `weighted`; otherwise 1 per linked pair, or the
//! number of links in a multigraph (its adjacency matrix counts links, as networkx's
//! `pagerank` and `eigenvector_centrality_numpy` do).

use aluna_core::parallel::Cancel;
use aluna_core::{ensure, Error, Result};
use rayon::prelude::*;

use super::{ordered_sum, require_weights};
use crate::{connected_components, CaseGraph, Csr};

/// Power-iteration settings of [`eigenvector`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpectralOptions {
    /// Use the graph's weights as tie strengths.
    pub weighted: bool,
    /// Stop when the L1 change of the score vector falls below `n * tol` (networkx's rule).
    pub tol: f64,
    /// Iterations before giving up with `NotConverged`.
    pub max_iter: usize,
}

impl Default for SpectralOptions {
    fn default() -> Self {
        Self {
            weighted: false,
            tol: 1e-10,
            max_iter: 1000,
        }
    }
}

/// Settings of [`pagerank`].
#[derive(Debug, Clone, PartialEq)]
pub struct PageRankOptions {
    /// Damping: the probability of following a link rather than jumping.
    pub alpha: f64,
    /// Use the graph's weights as tie strengths.
    pub weighted: bool,
    /// Where jumps (and walks stuck at nodes without out-links) land, per node index
    /// (non-negative, not all zero; normalised to sum 1). Uniform when `None`.
    pub personalization: Option<Vec<f64>>,
    /// Stop when the L1 change falls below `n * tol`.
    pub tol: f64,
    /// Iterations before giving up with `NotConverged`.
    pub max_iter: usize,
}

impl Default for PageRankOptions {
    fn default() -> Self {
        Self {
            alpha: 0.85,
            weighted: false,
            personalization: None,
            tol: 1e-10,
            max_iter: 1000,
        }
    }
}

/// Settings of [`katz`].
#[derive(Debug, Clone, PartialEq)]
pub struct KatzOptions {
    /// Attenuation per step; the series converges only for `alpha < 1 / lambda_max`.
    pub alpha: f64,
    /// Score every node gets before counting walks: one value for all.
    pub beta: f64,
    /// Per-node `beta`, by node index, overriding `beta` when set.
    pub node_beta: Option<Vec<f64>>,
    /// Scale the result to unit Euclidean norm (networkx's default).
    pub normalized: bool,
    /// Use the graph's weights as tie strengths.
    pub weighted: bool,
    /// Stop when the L1 change falls below `n * tol`.
    pub tol: f64,
    /// Iterations before giving up with `NotConverged`.
    pub max_iter: usize,
}

impl Default for KatzOptions {
    fn default() -> Self {
        Self {
            alpha: 0.1,
            beta: 1.0,
            node_beta: None,
            normalized: true,
            weighted: false,
            tol: 1e-10,
            max_iter: 1000,
        }
    }
}

/// The value of each edge as a tie, or `None` when every tie counts 1.
fn edge_values(graph: &CaseGraph, weighted: bool) -> Result<Option<Vec<f64>>> {
    if weighted {
        return Ok(Some(require_weights(graph)?.to_vec()));
    }
    if graph.is_multigraph() && graph.multiplicities().any(|c| c != 1) {
        return Ok(Some(graph.multiplicities().map(f64::from).collect()));
    }
    Ok(None)
}

/// The links into each node with their values, for pull iterations.
struct Pull<'a> {
    adjacency: &'a Csr,
    values: Option<Vec<f64>>,
}

impl<'a> Pull<'a> {
    fn new(graph: &'a CaseGraph, edge_values: Option<&[f64]>) -> Self {
        let values = edge_values.map(|ev| {
            graph
                .in_slot_edges()
                .into_iter()
                .map(|e| ev[e as usize])
                .collect()
        });
        Self {
            adjacency: graph.in_adjacency(),
            values,
        }
    }

    /// `sum over u -> v of value(u, v) * x[u]`.
    #[inline]
    fn gather(&self, v: usize, x: &[f64]) -> f64 {
        let range = self.adjacency.range(v as u32);
        let sources = &self.adjacency.neighbours[range.clone()];
        match &self.values {
            None => sources.iter().map(|&u| x[u as usize]).sum(),
            Some(values) => sources
                .iter()
                .zip(&values[range])
                .map(|(&u, &a)| a * x[u as usize])
                .sum(),
        }
    }
}

fn check_iteration(tol: f64, max_iter: usize) -> Result<()> {
    ensure!(
        tol.is_finite() && tol > 0.0,
        Error::argument("tol", format!("must be a positive number, got {tol}"))
    );
    ensure!(
        max_iter >= 1,
        Error::argument("max_iter", "must be at least 1")
    );
    Ok(())
}

/// L1 distance between two vectors, summed in fixed order.
fn l1_change(a: &[f64], b: &[f64]) -> f64 {
    ordered_sum(a.len(), |i| (a[i] - b[i]).abs())
}

/// Whether every node reaches every other along links of positive value (strong connectivity
/// when directed).
fn irreducible(graph: &CaseGraph, values: Option<&[f64]>) -> bool {
    let n = graph.number_of_nodes();
    let reaches_all = |csr: &Csr, slot_edges: Option<Vec<u32>>| {
        let mut seen = vec![false; n];
        let mut stack = vec![0u32];
        seen[0] = true;
        let mut count = 1;
        while let Some(v) = stack.pop() {
            for slot in csr.range(v) {
                let w = csr.neighbours[slot];
                let positive = match (values, &slot_edges) {
                    (Some(val), Some(edges)) => val[edges[slot] as usize] > 0.0,
                    _ => true,
                };
                if positive && !seen[w as usize] {
                    seen[w as usize] = true;
                    count += 1;
                    stack.push(w);
                }
            }
        }
        count == n
    };
    let edges = |out: bool| {
        values.map(|_| {
            if out {
                graph.out_slot_edges()
            } else {
                graph.in_slot_edges()
            }
        })
    };
    reaches_all(graph.out_adjacency(), edges(true))
        && (!graph.is_directed() || reaches_all(graph.in_adjacency(), edges(false)))
}

/// Eigenvector centrality of every node, by node index, as networkx's
/// `eigenvector_centrality`.
///
/// The positive eigenvector `x` of the largest eigenvalue `lambda` of the adjacency matrix,
/// `lambda x_v = sum over u -> v of a_uv x_u` (Bonacich 1972), scaled to unit Euclidean norm:
/// a node is central when its contacts are. Directed graphs use incoming links (the left
/// eigenvector). Power iteration on `A + I` from the uniform vector, stopping when the L1 change
/// is below `n * tol`.
///
/// Well posed only when the Perron-Frobenius theorem gives a unique positive eigenvector: the
/// graph (its links of positive weight) must be connected, strongly connected when directed.
///
/// # Errors
/// `NotDefined` for a disconnected (or not strongly connected) graph; `NotConverged` after
/// `max_iter` iterations; `InvalidArgument` for bad settings or `weighted` without weights.
///
/// # References
/// Bonacich, P. (1972). Factoring and weighting approaches to status scores and clique
/// identification. Journal of Mathematical Sociology 2(1), 113-120.
/// <https://doi.org/10.1080/0022250X.1972.9989806>.
/// Newman, M. E. J. (2010). Networks: An Introduction, section 7.2. Oxford University Press.
/// <https://doi.org/10.1093/acprof:oso/9780199206650.001.0001>.
///
/// # Example
/// ```
/// use aluna_core::ids::{IdMap, Key};
/// use aluna_core::parallel::Cancel;
/// use aluna_graph::centrality::{eigenvector, SpectralOptions};
/// use aluna_graph::{CaseGraph, EdgeRows, GraphOptions};
/// let mut ids = IdMap::new_int();
/// for v in 0..3 { ids.intern(Key::Int(v))?; }
/// let rows = EdgeRows { source: vec![0, 1, 2], target: vec![1, 2, 0], ..Default::default() };
/// let g = CaseGraph::build(ids, rows, None, None, GraphOptions::default())?;
/// let x = eigenvector(&g, &SpectralOptions::default(), &Cancel::new())?;
/// assert!(x.iter().all(|v| (v - 1.0 / 3f64.sqrt()).abs() < 1e-12));
/// # Ok::<(), aluna_core::Error>(())
/// ```
pub fn eigenvector(
    graph: &CaseGraph,
    options: &SpectralOptions,
    cancel: &Cancel,
) -> Result<Vec<f64>> {
    check_iteration(options.tol, options.max_iter)?;
    let n = graph.number_of_nodes();
    if n == 0 {
        return Ok(Vec::new());
    }
    let values = edge_values(graph, options.weighted)?;
    if !irreducible(graph, values.as_deref()) {
        let reason = if graph.is_directed() {
            "the graph is not strongly connected, so the leading eigenvector is not unique or \
             not positive; compute it on one strongly connected component (subgraph), or use \
             pagerank or katz, which are defined on any graph"
                .to_string()
        } else {
            let k = connected_components(graph)
                .iter()
                .max()
                .map_or(0, |&c| c + 1);
            format!(
                "the graph has {k} connected components (counting isolated nodes), so the \
                 leading eigenvector is not unique; compute it per component (subgraph), or \
                 use pagerank or katz, which are defined on any graph"
            )
        };
        return Err(Error::NotDefined {
            what: "eigenvector centrality",
            reason,
        });
    }
    let pull = Pull::new(graph, values.as_deref());
    let mut x = vec![1.0 / n as f64; n];
    let mut next = vec![0.0; n];
    for _ in 0..options.max_iter {
        cancel.check()?;
        next.par_iter_mut()
            .enumerate()
            .for_each(|(v, out)| *out = x[v] + pull.gather(v, &x));
        let norm = ordered_sum(n, |v| next[v] * next[v]).sqrt();
        let norm = if norm > 0.0 { norm } else { 1.0 };
        next.par_iter_mut().for_each(|value| *value /= norm);
        let change = l1_change(&next, &x);
        std::mem::swap(&mut x, &mut next);
        if change < n as f64 * options.tol {
            return Ok(x);
        }
    }
    Err(Error::NotConverged {
        model: "eigenvector centrality",
        iterations: options.max_iter,
        hint: "raise max_iter or loosen tol; a small gap between the two largest eigenvalues \
               makes power iteration slow"
            .into(),
    })
}

/// PageRank of every node, by node index, as networkx's `pagerank`.
///
/// The stationary distribution of a random walk that follows a link with probability `alpha`
/// (choosing among a node's out-links in proportion to their value) and otherwise jumps to a
/// node drawn from the personalisation vector `p`; walks at nodes without out-links jump by `p`
/// too (Brin & Page 1998). Power iteration
/// `x' = alpha (x P + (sum of x over dangling nodes) p) + (1 - alpha) p` from the uniform
/// vector until the L1 change is below `n * tol`. Scores sum to 1. Undirected links count both
/// ways, self-loops once.
///
/// # Errors
/// `InvalidArgument` for `alpha` outside `[0, 1]`, a personalisation of the wrong length,
/// negative or all zero, or `weighted` without weights; `NotConverged`; `Cancelled`.
///
/// # References
/// Brin, S., & Page, L. (1998). The anatomy of a large-scale hypertextual Web search engine.
/// Computer Networks and ISDN Systems 30(1-7), 107-117.
/// <https://doi.org/10.1016/S0169-7552(98)00110-X>.
///
/// # Example
/// ```
/// use aluna_core::ids::{IdMap, Key};
/// use aluna_core::parallel::Cancel;
/// use aluna_graph::centrality::{pagerank, PageRankOptions};
/// use aluna_graph::{CaseGraph, EdgeRows, GraphOptions};
/// let mut ids = IdMap::new_int();
/// for v in 0..3 { ids.intern(Key::Int(v))?; }
/// // A star: the centre collects the walk from both leaves.
/// let rows = EdgeRows { source: vec![0, 0], target: vec![1, 2], ..Default::default() };
/// let g = CaseGraph::build(ids, rows, None, None, GraphOptions::default())?;
/// let x = pagerank(&g, &PageRankOptions::default(), &Cancel::new())?;
/// assert!((x.iter().sum::<f64>() - 1.0).abs() < 1e-12);
/// assert!(x[0] > x[1] && (x[1] - x[2]).abs() < 1e-15);
/// # Ok::<(), aluna_core::Error>(())
/// ```
pub fn pagerank(graph: &CaseGraph, options: &PageRankOptions, cancel: &Cancel) -> Result<Vec<f64>> {
    check_iteration(options.tol, options.max_iter)?;
    let alpha = options.alpha;
    ensure!(
        (0.0..=1.0).contains(&alpha),
        Error::argument("alpha", format!("must lie in [0, 1], got {alpha}"))
    );
    let n = graph.number_of_nodes();
    if n == 0 {
        return Ok(Vec::new());
    }
    let p: Vec<f64> = match &options.personalization {
        None => vec![1.0 / n as f64; n],
        Some(raw) => {
            ensure!(
                raw.len() == n,
                Error::argument(
                    "personalization",
                    format!("expected {n} values, one per node, got {}", raw.len())
                )
            );
            ensure!(
                raw.iter().all(|v| v.is_finite() && *v >= 0.0),
                Error::argument("personalization", "values must be finite and non-negative")
            );
            let total: f64 = raw.iter().sum();
            ensure!(
                total > 0.0,
                Error::argument(
                    "personalization",
                    "at least one node needs a positive value"
                )
            );
            raw.iter().map(|v| v / total).collect()
        }
    };
    let values = edge_values(graph, options.weighted)?;
    // Out-strength of every node.
    let mut strength = vec![0.0; n];
    let directed = graph.is_directed();
    for (e, a, b) in graph.edges() {
        let value = values.as_ref().map_or(1.0, |v| v[e as usize]);
        strength[a as usize] += value;
        if !directed && a != b {
            strength[b as usize] += value;
        }
    }
    let inverse: Vec<f64> = strength
        .iter()
        .map(|&s| if s > 0.0 { 1.0 / s } else { 0.0 })
        .collect();
    let dangling: Vec<usize> = (0..n).filter(|&v| strength[v] == 0.0).collect();
    let pull = Pull::new(graph, values.as_deref());
    let walk = Walk {
        pull: &pull,
        inverse: &inverse,
        dangling: &dangling,
        jump: &p,
        alive: None,
        left: n,
    };
    walk.iterate(alpha, options.tol, options.max_iter, cancel)
}

/// The random walk of [`pagerank`], over the nodes `alive` (all when `None`; `left` of them).
struct Walk<'a> {
    pull: &'a Pull<'a>,
    /// `1 / out-strength`, 0 for nodes without out-links and for nodes not alive.
    inverse: &'a [f64],
    /// Alive nodes without out-links.
    dangling: &'a [usize],
    /// The jump distribution (0 on nodes not alive).
    jump: &'a [f64],
    alive: Option<&'a [bool]>,
    left: usize,
}

impl Walk<'_> {
    /// Power iteration from the uniform vector on the alive nodes until the L1 change is below
    /// `left * tol`; nodes not alive keep 0.
    fn iterate(&self, alpha: f64, tol: f64, max_iter: usize, cancel: &Cancel) -> Result<Vec<f64>> {
        let n = self.inverse.len();
        let (p, alive) = (self.jump, self.alive);
        let start = 1.0 / self.left as f64;
        let mut x: Vec<f64> = match alive {
            None => vec![start; n],
            Some(a) => a.iter().map(|&on| if on { start } else { 0.0 }).collect(),
        };
        let mut share = vec![0.0; n];
        let mut next = vec![0.0; n];
        for _ in 0..max_iter {
            cancel.check()?;
            share
                .par_iter_mut()
                .enumerate()
                .for_each(|(u, out)| *out = x[u] * self.inverse[u]);
            let stuck = ordered_sum(self.dangling.len(), |i| x[self.dangling[i]]);
            next.par_iter_mut().enumerate().for_each(|(v, out)| {
                *out = if alive.is_none_or(|a| a[v]) {
                    alpha * (self.pull.gather(v, &share) + stuck * p[v]) + (1.0 - alpha) * p[v]
                } else {
                    0.0
                };
            });
            let change = l1_change(&next, &x);
            std::mem::swap(&mut x, &mut next);
            if change < self.left as f64 * tol {
                return Ok(x);
            }
        }
        Err(Error::NotConverged {
            model: "pagerank",
            iterations: max_iter,
            hint: "raise max_iter or loosen tol (convergence slows as alpha nears 1)".into(),
        })
    }
}

/// PageRank (networkx's defaults: `alpha` 0.85, uniform jumps, tol 1e-10) of every node of the
/// undirected network `adjacency` (symmetric rows without self-loops) without the `removed`
/// nodes, as networkx's `pagerank` of the graph they leave; removed nodes score 0.
///
/// The iteration of [`pagerank`] with removed nodes masked, so a simulation that removes nodes
/// one at a time ([`crate::disruption`]) never rebuilds the adjacency.
pub(crate) fn pagerank_without(
    adjacency: &Csr,
    removed: &[bool],
    cancel: &Cancel,
) -> Result<Vec<f64>> {
    let n = adjacency.len();
    let alive: Vec<bool> = removed.iter().map(|&r| !r).collect();
    let left = alive.iter().filter(|&&a| a).count();
    if left == 0 {
        return Ok(vec![0.0; n]);
    }
    let strength: Vec<f64> = (0..n as u32)
        .map(|v| {
            if alive[v as usize] {
                adjacency
                    .neighbours(v)
                    .iter()
                    .filter(|&&w| alive[w as usize])
                    .count() as f64
            } else {
                0.0
            }
        })
        .collect();
    let inverse: Vec<f64> = strength
        .iter()
        .map(|&s| if s > 0.0 { 1.0 / s } else { 0.0 })
        .collect();
    let dangling: Vec<usize> = (0..n).filter(|&v| alive[v] && strength[v] == 0.0).collect();
    let jump: Vec<f64> = alive
        .iter()
        .map(|&a| if a { 1.0 / left as f64 } else { 0.0 })
        .collect();
    let pull = Pull {
        adjacency,
        values: None,
    };
    let defaults = PageRankOptions::default();
    Walk {
        pull: &pull,
        inverse: &inverse,
        dangling: &dangling,
        jump: &jump,
        alive: Some(&alive),
        left,
    }
    .iterate(defaults.alpha, defaults.tol, defaults.max_iter, cancel)
}

/// Katz centrality of every node, by node index, as networkx's `katz_centrality`.
///
/// `x_v = alpha * sum over u -> v of a_uv x_u + beta_v`: walks of every length into `v`, a walk
/// of length `k` discounted by `alpha^k` (Katz 1953). Iterated from zero until the L1 change is
/// below `n * tol`, then (when `normalized`) scaled to unit Euclidean norm. The series converges
/// only when `alpha < 1 / lambda_max`, the largest eigenvalue of the adjacency matrix.
///
/// # Errors
/// `NotConverged` when the iteration diverges (alpha too large) or runs out of iterations;
/// `InvalidArgument` for non-finite settings, a `node_beta` of the wrong length, or `weighted`
/// without weights; `Cancelled`.
///
/// # References
/// Katz, L. (1953). A new status index derived from sociometric analysis. Psychometrika 18(1),
/// 39-43. <https://doi.org/10.1007/BF02289026>.
///
/// # Example
/// ```
/// use aluna_core::ids::{IdMap, Key};
/// use aluna_core::parallel::Cancel;
/// use aluna_graph::centrality::{katz, KatzOptions};
/// use aluna_graph::{CaseGraph, EdgeRows, GraphOptions};
/// let mut ids = IdMap::new_int();
/// for v in 0..2 { ids.intern(Key::Int(v))?; }
/// // One link: x = alpha x + 1 for both, so x = 1 / (1 - alpha) before normalising.
/// let rows = EdgeRows { source: vec![0], target: vec![1], ..Default::default() };
/// let g = CaseGraph::build(ids, rows, None, None, GraphOptions::default())?;
/// let options = KatzOptions { alpha: 0.5, normalized: false, ..Default::default() };
/// let x = katz(&g, &options, &Cancel::new())?;
/// assert!((x[0] - 2.0).abs() < 1e-9 && (x[1] - 2.0).abs() < 1e-9);
/// # Ok::<(), aluna_core::Error>(())
/// ```
pub fn katz(graph: &CaseGraph, options: &KatzOptions, cancel: &Cancel) -> Result<Vec<f64>> {
    check_iteration(options.tol, options.max_iter)?;
    let alpha = options.alpha;
    ensure!(
        alpha.is_finite(),
        Error::argument("alpha", format!("must be a finite number, got {alpha}"))
    );
    let n = graph.number_of_nodes();
    let beta: Vec<f64> = match &options.node_beta {
        None => {
            ensure!(
                options.beta.is_finite(),
                Error::argument(
                    "beta",
                    format!("must be a finite number, got {}", options.beta)
                )
            );
            vec![options.beta; n]
        }
        Some(b) => {
            ensure!(
                b.len() == n,
                Error::argument(
                    "beta",
                    format!("expected {n} values, one per node, got {}", b.len())
                )
            );
            ensure!(
                b.iter().all(|v| v.is_finite()),
                Error::argument("beta", "values must be finite")
            );
            b.clone()
        }
    };
    if n == 0 {
        return Ok(Vec::new());
    }
    let values = edge_values(graph, options.weighted)?;
    let pull = Pull::new(graph, values.as_deref());
    let mut x = vec![0.0; n];
    let mut next = vec![0.0; n];
    for iteration in 0..options.max_iter {
        cancel.check()?;
        next.par_iter_mut()
            .enumerate()
            .for_each(|(v, out)| *out = alpha * pull.gather(v, &x) + beta[v]);
        let change = l1_change(&next, &x);
        std::mem::swap(&mut x, &mut next);
        if !change.is_finite() {
            return Err(Error::NotConverged {
                model: "katz centrality",
                iterations: iteration + 1,
                hint: format!(
                    "the series diverges: alpha = {alpha} must be below 1 / (largest \
                     eigenvalue of the adjacency matrix)"
                ),
            });
        }
        if change < n as f64 * options.tol {
            if options.normalized {
                let norm = ordered_sum(n, |v| x[v] * x[v]).sqrt();
                if norm > 0.0 {
                    x.par_iter_mut().for_each(|value| *value /= norm);
                }
            }
            return Ok(x);
        }
    }
    Err(Error::NotConverged {
        model: "katz centrality",
        iterations: options.max_iter,
        hint: format!(
            "raise max_iter, or lower alpha = {alpha}: the series converges only for alpha \
             below 1 / (largest eigenvalue of the adjacency matrix)"
        ),
    })
}
