//! Approximate betweenness by sampling shortest paths (Riondato & Kornaropoulos 2016).

use aluna_core::parallel::{ordered_map, Cancel};
use aluna_core::random::{stream, ChaCha8Rng};
use aluna_core::{ensure, Error, Result};
use rand::Rng;

use super::paths::{Bfs, Dijkstra, UNSEEN};
use super::slot_lengths;
use crate::{connected_components, CaseGraph, Csr};

/// Accuracy, confidence and randomness of [`approximate_betweenness`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SamplingOptions {
    /// Largest error allowed on normalised betweenness (networkx's scale), in `(0, 1)`.
    pub epsilon: f64,
    /// Probability that some node's error exceeds `epsilon`, in `(0, 1)`.
    pub delta: f64,
    /// Seed of the random streams: sample `i` draws from stream `(seed, i)`.
    pub seed: u64,
    /// Scale as networkx's normalised betweenness; otherwise count pairs as exact
    /// [`betweenness`](super::betweenness) does with `normalized: false`.
    pub normalized: bool,
    /// Read the graph's weights as positive link lengths.
    pub weighted: bool,
}

impl Default for SamplingOptions {
    fn default() -> Self {
        Self {
            epsilon: 0.01,
            delta: 0.1,
            seed: 0,
            normalized: true,
            weighted: false,
        }
    }
}

/// Estimated betweenness with the facts behind its guarantee.
#[derive(Debug, Clone, PartialEq)]
pub struct ApproximateBetweenness {
    /// Estimated betweenness per node index, on the scale asked for.
    pub values: Vec<f64>,
    /// Shortest paths sampled.
    pub samples: usize,
    /// The upper bound on the vertex diameter (nodes on a shortest path) the sample size rests
    /// on.
    pub vertex_diameter: usize,
}

/// An upper bound on the number of nodes on any shortest path.
///
/// Unweighted undirected graphs: per component, `2 e + 1` from the eccentricity `e` of its
/// first node (a shortest path has at most `2e` links), capped by the component's size.
/// Directed or weighted graphs have no such 2-approximation, so the component size is used.
fn vertex_diameter(graph: &CaseGraph, weighted: bool) -> usize {
    let n = graph.number_of_nodes();
    let component = connected_components(graph);
    let k = component.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
    let mut size = vec![0usize; k];
    let mut first = vec![u32::MAX; k];
    for (v, &c) in component.iter().enumerate() {
        size[c as usize] += 1;
        if first[c as usize] == u32::MAX {
            first[c as usize] = v as u32;
        }
    }
    if weighted || graph.is_directed() {
        return size.into_iter().max().unwrap_or(0);
    }
    let mut bfs = Bfs::new(n);
    (0..k)
        .map(|c| {
            bfs.run(graph.out_adjacency(), first[c]);
            let eccentricity = bfs.order.last().map_or(0, |&v| bfs.hops[v as usize]) as usize;
            (2 * eccentricity + 1).min(size[c])
        })
        .max()
        .unwrap_or(0)
}

/// Bidirectional breadth-first search scratch for sampling one shortest path between two nodes.
struct Bidirectional {
    hops: [Vec<u32>; 2],
    sigma: [Vec<f64>; 2],
    touched: [Vec<u32>; 2],
    frontier: [Vec<u32>; 2],
    next: Vec<u32>,
    /// Meeting links as (node reached from the source, node reached from the target).
    meeting: Vec<(u32, u32)>,
}

impl Bidirectional {
    fn new(n: usize) -> Self {
        Self {
            hops: [vec![UNSEEN; n], vec![UNSEEN; n]],
            sigma: [vec![0.0; n], vec![0.0; n]],
            touched: [Vec::new(), Vec::new()],
            frontier: [Vec::new(), Vec::new()],
            next: Vec::new(),
            meeting: Vec::new(),
        }
    }

    fn reset(&mut self) {
        for side in 0..2 {
            for &v in &self.touched[side] {
                self.hops[side][v as usize] = UNSEEN;
            }
            self.touched[side].clear();
            self.frontier[side].clear();
        }
        self.meeting.clear();
    }

    fn visit(&mut self, side: usize, v: u32, hops: u32, sigma: f64) {
        self.hops[side][v as usize] = hops;
        self.sigma[side][v as usize] = sigma;
        self.touched[side].push(v);
    }

    /// The interior nodes of a shortest path from `s` to `t` drawn uniformly at random, or
    /// `None` when `t` cannot be reached from `s`. Side 0 searches forward from `s` along
    /// `out`, side 1 backward from `t` along `inc`, always expanding the side whose frontier
    /// has fewer links, one whole level at a time.
    fn sample(
        &mut self,
        out: &Csr,
        inc: &Csr,
        s: u32,
        t: u32,
        rng: &mut impl Rng,
    ) -> Option<Vec<u32>> {
        self.reset();
        self.visit(0, s, 0, 1.0);
        self.visit(1, t, 0, 1.0);
        self.frontier[0].push(s);
        self.frontier[1].push(t);
        let adjacency = [out, inc];
        let mut level = [0u32, 0u32];
        while self.meeting.is_empty() {
            if self.frontier[0].is_empty() || self.frontier[1].is_empty() {
                return None;
            }
            let cost = |side: usize| -> usize {
                self.frontier[side]
                    .iter()
                    .map(|&v| adjacency[side].range(v).len())
                    .sum()
            };
            let side = if cost(0) <= cost(1) { 0 } else { 1 };
            let other = 1 - side;
            let next_level = level[side] + 1;
            let mut next = std::mem::take(&mut self.next);
            next.clear();
            let frontier = std::mem::take(&mut self.frontier[side]);
            for &x in &frontier {
                let sigma_x = self.sigma[side][x as usize];
                for &y in adjacency[side].neighbours(x) {
                    if self.hops[other][y as usize] != UNSEEN {
                        self.meeting.push(if side == 0 { (x, y) } else { (y, x) });
                        continue;
                    }
                    if !self.meeting.is_empty() {
                        continue;
                    }
                    let hy = self.hops[side][y as usize];
                    if hy == UNSEEN {
                        self.visit(side, y, next_level, sigma_x);
                        next.push(y);
                    } else if hy == next_level {
                        self.sigma[side][y as usize] += sigma_x;
                    }
                }
            }
            self.frontier[side] = next;
            self.next = frontier;
            level[side] = next_level;
        }
        // Every shortest path crosses exactly one meeting link; pick one by its path count.
        let weight = |&(a, b): &(u32, u32)| self.sigma[0][a as usize] * self.sigma[1][b as usize];
        let total: f64 = self.meeting.iter().map(weight).sum();
        let mut draw = rng.random::<f64>() * total;
        let mut chosen = *self.meeting.last()?;
        for link in &self.meeting {
            draw -= weight(link);
            if draw < 0.0 {
                chosen = *link;
                break;
            }
        }
        let mut interior = Vec::new();
        // Walk back to s along links into the forward tree, then on to t along links out.
        let walks = [(chosen.0, inc, 0usize), (chosen.1, out, 1usize)];
        for (start, along, side) in walks {
            let mut z = start;
            while self.hops[side][z as usize] > 0 {
                interior.push(z);
                let want = self.hops[side][z as usize] - 1;
                let step = pick(along.neighbours(z), rng, |p| {
                    (self.hops[side][p as usize] == want).then(|| self.sigma[side][p as usize])
                });
                match step {
                    Some(p) => z = p,
                    None => break,
                }
            }
        }
        Some(interior)
    }
}

/// A neighbour drawn with probability proportional to `weight` among those that have one.
fn pick(
    candidates: &[u32],
    rng: &mut impl Rng,
    weight: impl Fn(u32) -> Option<f64>,
) -> Option<u32> {
    let total: f64 = candidates.iter().filter_map(|&p| weight(p)).sum();
    let mut draw = rng.random::<f64>() * total;
    let mut last = None;
    for &p in candidates {
        if let Some(w) = weight(p) {
            last = Some(p);
            draw -= w;
            if draw < 0.0 {
                return last;
            }
        }
    }
    last
}

/// Betweenness of every node estimated from random shortest paths, with a guarantee: with
/// probability at least `1 - delta`, every node's estimate is within `epsilon` of its exact
/// normalised betweenness (networkx's scale, endpoints excluded).
///
/// Riondato & Kornaropoulos (2016): draw `r` ordered pairs `(s, t)` uniformly, sample one
/// shortest path from `s` to `t` uniformly at random (a balanced bidirectional breadth-first
/// search, or Dijkstra's algorithm when weighted), and credit `1/r` to each node inside it. By
/// VC-dimension theory,
/// `r = ceil((c / e^2) (floor(log2(VD - 2)) + 1 + ln(1 / delta)))` samples with `c = 0.5`
/// suffice for error `e` on betweenness normalised by `n(n-1)`, where `VD` bounds the number of
/// nodes on a shortest path (`2 x eccentricity + 1` for unweighted undirected graphs, the size
/// of the largest component otherwise). aluna takes `e = epsilon (n - 2) / n`, so the bound
/// holds on networkx's normalisation by `(n-1)(n-2)`; with `normalized: false` values (and
/// the error bound) are multiplied by `(n-1)(n-2)/2` (undirected) or `(n-1)(n-2)` (directed).
///
/// Sample `i` draws from the random stream `(seed, i)` and samples run in parallel in
/// fixed chunks, so the result depends on the seed only, never on the thread count.
///
/// # Errors
/// `InvalidArgument` for `epsilon` or `delta` outside `(0, 1)`, or as exact betweenness for
/// weights; `Cancelled`.
///
/// # References
/// Riondato, M., & Kornaropoulos, E. M. (2016). Fast approximation of betweenness centrality
/// through sampling. Data Mining and Knowledge Discovery 30(2), 438-475.
/// <https://doi.org/10.1007/s10618-015-0423-0>.
///
/// # Example
/// ```
/// use aluna_core::ids::{IdMap, Key};
/// use aluna_core::parallel::Cancel;
/// use aluna_graph::centrality::{approximate_betweenness, SamplingOptions};
/// use aluna_graph::{CaseGraph, EdgeRows, GraphOptions};
/// let mut ids = IdMap::new_int();
/// for v in 0..5 { ids.intern(Key::Int(v))?; }
/// // A star: every path between two leaves runs through the centre, whose betweenness is 1.
/// let rows = EdgeRows { source: vec![0, 0, 0, 0], target: vec![1, 2, 3, 4], ..Default::default() };
/// let g = CaseGraph::build(ids, rows, None, None, GraphOptions::default())?;
/// let options = SamplingOptions { epsilon: 0.1, ..Default::default() };
/// let estimate = approximate_betweenness(&g, &options, &Cancel::new())?;
/// assert!((estimate.values[0] - 1.0).abs() <= 0.1);
/// assert_eq!(estimate.values[1..], [0.0; 4]);
/// # Ok::<(), aluna_core::Error>(())
/// ```
pub fn approximate_betweenness(
    graph: &CaseGraph,
    options: &SamplingOptions,
    cancel: &Cancel,
) -> Result<ApproximateBetweenness> {
    let SamplingOptions { epsilon, delta, .. } = *options;
    ensure!(
        epsilon > 0.0 && epsilon < 1.0,
        Error::argument(
            "epsilon",
            format!("must lie strictly between 0 and 1, got {epsilon}")
        )
    );
    ensure!(
        delta > 0.0 && delta < 1.0,
        Error::argument(
            "delta",
            format!("must lie strictly between 0 and 1, got {delta}")
        )
    );
    let n = graph.number_of_nodes();
    let lengths = if options.weighted {
        Some(slot_lengths(
            graph,
            &graph.out_slot_edges(),
            true,
            "betweenness",
        )?)
    } else {
        None
    };
    let diameter = vertex_diameter(graph, options.weighted);
    if n < 3 || diameter < 3 {
        // No shortest path has an interior node.
        return Ok(ApproximateBetweenness {
            values: vec![0.0; n],
            samples: 0,
            vertex_diameter: diameter,
        });
    }
    let e = epsilon * (n - 2) as f64 / n as f64;
    let dimension = ((diameter - 2) as f64).log2().floor() + 1.0;
    let samples = (0.5 / (e * e) * (dimension + (1.0 / delta).ln())).ceil() as usize;
    let out = graph.out_adjacency();
    let inc = graph.in_adjacency();
    let in_lengths = match &lengths {
        Some(_) => Some(slot_lengths(
            graph,
            &graph.in_slot_edges(),
            true,
            "betweenness",
        )?),
        None => None,
    };
    let draw_pair = |rng: &mut ChaCha8Rng| {
        let s = rng.random_range(0..n as u32);
        let mut t = rng.random_range(0..n as u32 - 1);
        if t >= s {
            t += 1;
        }
        (s, t)
    };
    let paths: Vec<Option<Vec<u32>>> = match (&lengths, &in_lengths) {
        (Some(lengths), Some(in_lengths)) => ordered_map(
            samples,
            cancel,
            || (Dijkstra::new(n), vec![0.0; n]),
            |i, (search, sigma)| {
                let mut rng = stream(options.seed, i as u64);
                let (s, t) = draw_pair(&mut rng);
                search.run(out, lengths, s, Some(sigma), Some(t));
                let dist = &search.dist;
                if dist[t as usize] == f64::INFINITY {
                    return None;
                }
                let mut interior = Vec::new();
                let mut z = t;
                while z != s {
                    if z != t {
                        interior.push(z);
                    }
                    let range = inc.range(z);
                    let dz = dist[z as usize];
                    let slots: Vec<usize> = range
                        .filter(|&slot| {
                            let p = inc.neighbours[slot] as usize;
                            dist[p] + in_lengths[slot] == dz
                        })
                        .collect();
                    let total: f64 = slots
                        .iter()
                        .map(|&slot| sigma[inc.neighbours[slot] as usize])
                        .sum();
                    let mut draw = rng.random::<f64>() * total;
                    // invariant: a reached node other than the source has a predecessor.
                    let Some(&last) = slots.last() else { break };
                    let mut next = inc.neighbours[last];
                    for &slot in &slots {
                        let p = inc.neighbours[slot];
                        draw -= sigma[p as usize];
                        if draw < 0.0 {
                            next = p;
                            break;
                        }
                    }
                    z = next;
                }
                Some(interior)
            },
        )?,
        _ => ordered_map(
            samples,
            cancel,
            || Bidirectional::new(n),
            |i, search| {
                let mut rng = stream(options.seed, i as u64);
                let (s, t) = draw_pair(&mut rng);
                search.sample(out, inc, s, t, &mut rng)
            },
        )?,
    };
    let mut counts = vec![0u64; n];
    for path in paths.iter().flatten() {
        for &v in path {
            counts[v as usize] += 1;
        }
    }
    let nf = n as f64;
    let mut scale = nf / (nf - 2.0) / samples as f64;
    if !options.normalized {
        scale *= (nf - 1.0) * (nf - 2.0) * if graph.is_directed() { 1.0 } else { 0.5 };
    }
    Ok(ApproximateBetweenness {
        values: counts.iter().map(|&c| c as f64 * scale).collect(),
        samples,
        vertex_diameter: diameter,
    })
}
