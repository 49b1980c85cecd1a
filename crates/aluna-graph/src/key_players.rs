//! Key players (Borgatti 2006): the set of `k` people whose removal fragments the network most,
//! or who reach most of it.

use std::collections::VecDeque;

use aluna_core::parallel::{ordered_map, Cancel};
use aluna_core::random::stream;
use aluna_core::{ensure, Error, Result};
use rand::seq::SliceRandom;

use crate::community::network::Network;
use crate::csr::Rows;
use crate::distances::{inverse_distance_sum, BitBfs, BLOCK_WORDS};
use crate::{CaseGraph, TargetFilter};

/// What a key-player set should achieve. Links are taken as undirected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPlayerObjective {
    /// KPP-Neg: maximise the fragmentation `F = 1 − Σ_c s_c(s_c − 1) / (n(n − 1))` of the graph
    /// left after removing the set (`s_c` component sizes, `n` nodes left): the share of pairs
    /// that can no longer reach each other.
    Fragmentation,
    /// KPP-Neg, distance-weighted: maximise `1 − Σ_{i≠j} (1/d_ij) / (n(n − 1))` on the graph
    /// left (`1/d = 0` for pairs cut apart): also rewards lengthening paths.
    DistanceFragmentation,
    /// KPP-Pos: maximise the share of the other nodes within `distance` links of the set.
    Reach {
        /// How many links away still counts as reached (Borgatti's `m`; 1 = direct contacts).
        distance: u32,
    },
}

/// Options of [`key_players`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPlayerOptions {
    /// Size of the set.
    pub k: usize,
    /// What the set should achieve.
    pub objective: KeyPlayerObjective,
    /// Seed of the tie-breaking order between candidates of equal value.
    pub seed: u64,
    /// Improving swaps made at most, per start.
    pub max_swaps: usize,
    /// Random starts searched after the greedy one (each followed by swaps); the best set of all
    /// starts wins.
    pub restarts: usize,
}

impl Default for KeyPlayerOptions {
    fn default() -> Self {
        Self {
            k: 3,
            objective: KeyPlayerObjective::Fragmentation,
            seed: 0,
            max_swaps: 1000,
            restarts: 10,
        }
    }
}

/// How a set changed during the search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPlayerMove {
    /// A node added by the greedy start.
    Greedy,
    /// A member of a random start.
    Random,
    /// A member exchanged for an outsider.
    Swap,
}

/// One accepted step of the search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeyPlayerStep {
    /// Which start the step belongs to: 0 is the greedy one, then the random ones.
    pub start: u32,
    /// Greedy addition, member of a random start, or swap.
    pub kind: KeyPlayerMove,
    /// The node that entered the set.
    pub added: u32,
    /// The node that left it (swaps only).
    pub removed: Option<u32>,
    /// The objective after the step.
    pub value: f64,
}

/// The outcome of [`key_players`].
#[derive(Debug, Clone, PartialEq)]
pub struct KeyPlayers {
    /// The set, in the order its members were chosen (a swap takes the place of the member
    /// it replaced).
    pub set: Vec<u32>,
    /// The objective achieved.
    pub value: f64,
    /// The start that found the set (0: the greedy one).
    pub start: u32,
    /// Every accepted step of every start, in search order.
    pub trace: Vec<KeyPlayerStep>,
}

/// Ties at most this far apart count as equal.
const TIE: f64 = 1e-12;

/// Find a set of `k` key players (Borgatti 2006): a greedy start adds, one at a time, the node
/// that improves the objective most; then a swap search exchanges a member for an outsider
/// while the best exchange improves the objective (steepest ascent, at most `max_swaps`). The
/// swap search then runs again from `restarts` random sets, as Borgatti's own search does, since
/// one-for-one swaps can stall on a plateau (fragmentation often has them); the best set of all
/// starts wins. Candidates of equal value are ordered by a random permutation drawn from `seed`;
/// random start `r` is drawn from stream `(seed, r)`.
///
/// Only nodes the `filter` allows can be chosen (victims are left out by default); every node
/// stays in the graph. Fragmentation scores every candidate in one depth-first search
/// (Tarjan's articulation points with subtree sizes), `O(n + m)` per greedy step and `O(k(n + m))`
/// per swap round; distance fragmentation runs breadth-first searches from every node for each
/// candidate, 256 sources at a time as bit sets, `O(n · d · (n + m) · ⌈n/256⌉)` per step with `d`
/// the diameter; reach `O(n + m)` plus the candidates' neighbourhoods. Each of the `restarts`
/// random starts costs its own swap rounds. Candidates are scored in parallel (distance
/// fragmentation) and chosen in a fixed order: identical for any thread count.
///
/// Borgatti, S. P. (2006). Identifying sets of key players in a social network.
/// *Computational and Mathematical Organization Theory* 12:21–34, doi:10.1007/s10588-006-7084-x.
///
/// # Example
/// ```
/// use aluna_core::ids::{IdMap, Key};
/// use aluna_core::parallel::Cancel;
/// use aluna_graph::{key_players, CaseGraph, EdgeRows, GraphOptions, KeyPlayerOptions, TargetFilter};
/// // Two stars whose centres 0 and 4 are joined through node 8.
/// let mut ids = IdMap::new_int();
/// for v in 0..9 { ids.intern(Key::Int(v))?; }
/// let rows = EdgeRows {
///     source: vec![0, 0, 0, 4, 4, 4, 0, 8],
///     target: vec![1, 2, 3, 5, 6, 7, 8, 4],
///     ..Default::default()
/// };
/// let g = CaseGraph::build(ids, rows, None, None, GraphOptions::default())?;
/// let kp = key_players(&g, &KeyPlayerOptions { k: 2, ..Default::default() },
///                      &TargetFilter::default(), &Cancel::new())?;
/// let mut set = kp.set.clone();
/// set.sort();
/// assert_eq!(set, vec![0, 4]);
/// assert!((kp.value - 1.0).abs() < 1e-15); // seven isolated nodes left
/// # Ok::<(), aluna_core::Error>(())
/// ```
pub fn key_players(
    graph: &CaseGraph,
    options: &KeyPlayerOptions,
    filter: &TargetFilter,
    cancel: &Cancel,
) -> Result<KeyPlayers> {
    let n = graph.number_of_nodes();
    let candidates = filter.candidates(graph);
    let k = options.k;
    ensure!(k >= 1, Error::argument("k", "must be at least 1"));
    ensure!(
        k <= candidates.len(),
        Error::argument(
            "k",
            format!(
                "asks for {k} key players but only {} nodes may be chosen (roles {:?} are left out)",
                candidates.len(),
                filter.excluded_role_names()
            )
        )
    );
    if let KeyPlayerObjective::Reach { distance } = options.objective {
        ensure!(
            distance >= 1,
            Error::argument("distance", "must be at least 1 link")
        );
        ensure!(
            k < n,
            Error::argument(
                "k",
                format!("must leave some of the {n} nodes outside the set")
            )
        );
    } else {
        ensure!(
            k + 2 <= n,
            Error::argument(
                "k",
                format!("fragmentation needs at least two of the {n} nodes left after removal")
            )
        );
    }
    let net = Network::from_graph(graph, &vec![1.0; graph.number_of_pairs()]);
    let mut priority = candidates.clone();
    priority.shuffle(&mut stream(options.seed, 0));
    let mut rank = vec![u32::MAX; n];
    for (i, &v) in priority.iter().enumerate() {
        rank[v as usize] = i as u32;
    }
    let search = Search {
        net: &net,
        objective: options.objective,
        candidates: &candidates,
        rank: &rank,
        cancel,
    };
    search.run(k, options)
}

struct Search<'a> {
    net: &'a Network,
    objective: KeyPlayerObjective,
    candidates: &'a [u32],
    rank: &'a [u32],
    cancel: &'a Cancel,
}

impl Search<'_> {
    fn run(&self, k: usize, options: &KeyPlayerOptions) -> Result<KeyPlayers> {
        let mut trace = Vec::new();
        let (mut set, mut value) = self.greedy(k, &mut trace)?;
        self.swaps(&mut set, &mut value, options.max_swaps, 0, &mut trace)?;
        let mut best = (set, value, 0u32);
        for start in 1..=options.restarts as u32 {
            self.cancel.check()?;
            let mut set = self.candidates.to_vec();
            set.shuffle(&mut stream(options.seed, u64::from(start)));
            set.truncate(k);
            let mut value = self.value_of(&set)?;
            for &v in &set {
                trace.push(KeyPlayerStep {
                    start,
                    kind: KeyPlayerMove::Random,
                    added: v,
                    removed: None,
                    value,
                });
            }
            self.swaps(&mut set, &mut value, options.max_swaps, start, &mut trace)?;
            if value > best.1 + TIE {
                best = (set, value, start);
            }
        }
        let (set, value, start) = best;
        Ok(KeyPlayers {
            set,
            value,
            start,
            trace,
        })
    }

    /// Greedy start: add the best candidate `k` times.
    fn greedy(&self, k: usize, trace: &mut Vec<KeyPlayerStep>) -> Result<(Vec<u32>, f64)> {
        let mut in_set = vec![false; self.net.len()];
        let mut set: Vec<u32> = Vec::with_capacity(k);
        let mut value = 0.0;
        for _ in 0..k {
            self.cancel.check()?;
            let scores = self.score_additions(&in_set)?;
            let Some((v, best)) = self.best(&scores, &in_set) else {
                break;
            };
            in_set[v as usize] = true;
            set.push(v);
            value = best;
            trace.push(KeyPlayerStep {
                start: 0,
                kind: KeyPlayerMove::Greedy,
                added: v,
                removed: None,
                value,
            });
        }
        Ok((set, value))
    }

    /// The objective of a whole set.
    fn value_of(&self, set: &[u32]) -> Result<f64> {
        let Some((&last, rest)) = set.split_last() else {
            return Ok(0.0);
        };
        let mut in_set = vec![false; self.net.len()];
        rest.iter().for_each(|&v| in_set[v as usize] = true);
        Ok(self.score_additions(&in_set)?[last as usize])
    }

    /// Steepest-ascent swaps: exchange the member and outsider that improve the objective most,
    /// while one does.
    fn swaps(
        &self,
        set: &mut [u32],
        value: &mut f64,
        max_swaps: usize,
        start: u32,
        trace: &mut Vec<KeyPlayerStep>,
    ) -> Result<()> {
        let mut in_set = vec![false; self.net.len()];
        set.iter().for_each(|&v| in_set[v as usize] = true);
        for _ in 0..max_swaps {
            self.cancel.check()?;
            // For each member, the objective of swapping it for each outsider.
            let rounds: Vec<Vec<f64>> = set
                .iter()
                .map(|&u| {
                    in_set[u as usize] = false;
                    let scores = self.score_additions(&in_set);
                    in_set[u as usize] = true;
                    scores
                })
                .collect::<Result<_>>()?;
            let mut choice: Option<(usize, u32, f64)> = None;
            for (i, scores) in rounds.iter().enumerate() {
                if let Some((v, s)) = self.best(scores, &in_set) {
                    let better = match choice {
                        None => true,
                        Some((j, w, t)) => {
                            s > t + TIE
                                || (s >= t - TIE
                                    && (self.rank[v as usize], set[i])
                                        < (self.rank[w as usize], set[j]))
                        }
                    };
                    if better {
                        choice = Some((i, v, s));
                    }
                }
            }
            match choice {
                Some((i, v, s)) if s > *value + TIE => {
                    let u = set[i];
                    in_set[u as usize] = false;
                    in_set[v as usize] = true;
                    set[i] = v;
                    *value = s;
                    trace.push(KeyPlayerStep {
                        start,
                        kind: KeyPlayerMove::Swap,
                        added: v,
                        removed: Some(u),
                        value: s,
                    });
                }
                _ => break,
            }
        }
        Ok(())
    }

    /// The candidate outside the set with the best score (ties by rank).
    fn best(&self, scores: &[f64], in_set: &[bool]) -> Option<(u32, f64)> {
        let mut best: Option<(u32, f64)> = None;
        for &v in self.candidates {
            if in_set[v as usize] {
                continue;
            }
            let s = scores[v as usize];
            let better = match best {
                None => true,
                Some((w, t)) => {
                    s > t + TIE || (s >= t - TIE && self.rank[v as usize] < self.rank[w as usize])
                }
            };
            if better {
                best = Some((v, s));
            }
        }
        best
    }

    /// For every node outside `in_set`, the objective of the set with it added.
    fn score_additions(&self, in_set: &[bool]) -> Result<Vec<f64>> {
        match self.objective {
            KeyPlayerObjective::Fragmentation => Ok(fragmentation_after_each(self.net, in_set)),
            KeyPlayerObjective::DistanceFragmentation => {
                let n = self.net.len();
                let eligible: Vec<bool> = {
                    let mut e = vec![false; n];
                    self.candidates.iter().for_each(|&v| e[v as usize] = true);
                    e
                };
                ordered_map(
                    n,
                    self.cancel,
                    || (vec![false; n], Bfs::new(n)),
                    |v, (removed, bfs)| {
                        if in_set[v] || !eligible[v] {
                            return 0.0;
                        }
                        removed.copy_from_slice(in_set);
                        removed[v] = true;
                        distance_fragmentation(self.net, removed, bfs)
                    },
                )
            }
            KeyPlayerObjective::Reach { distance } => Ok(reach_after_each(
                self.net,
                in_set,
                distance,
                self.candidates,
            )),
        }
    }
}

/// Fragmentation of the graph without `removed`, one search per component (the reference the
/// one-pass scores are tested against).
#[cfg(test)]
fn fragmentation(net: &Network, removed: &[bool]) -> f64 {
    let n = net.len();
    let left = removed.iter().filter(|&&r| !r).count() as f64;
    if left < 2.0 {
        return 1.0;
    }
    let mut seen = removed.to_vec();
    let mut stack = Vec::new();
    let mut pairs = 0.0;
    for s in 0..n {
        if seen[s] {
            continue;
        }
        seen[s] = true;
        stack.push(s as u32);
        let mut size = 0.0;
        while let Some(v) = stack.pop() {
            size += 1.0;
            for &u in net.row(v as usize).0 {
                if !seen[u as usize] {
                    seen[u as usize] = true;
                    stack.push(u);
                }
            }
        }
        pairs += size * (size - 1.0);
    }
    1.0 - pairs / (left * (left - 1.0))
}

/// For every node `v` outside `removed`, the fragmentation after also removing `v`, from one
/// depth-first search: removing `v` splits its component into the subtrees of the DFS children
/// `c` with `low[c] >= disc[v]` and the rest.
pub(crate) fn fragmentation_after_each<R: Rows>(net: &R, removed: &[bool]) -> Vec<f64> {
    let n = net.node_count();
    let left = removed.iter().filter(|&&r| !r).count() as f64;
    const NONE: u32 = u32::MAX;
    let mut disc = vec![NONE; n];
    let mut low = vec![0u32; n];
    let mut size = vec![0f64; n];
    let mut parent = vec![NONE; n];
    // Per node: summed s(s−1) over the pieces split off, and their summed size.
    let mut split_pairs = vec![0f64; n];
    let mut split_size = vec![0f64; n];
    let mut component_of = vec![0f64; n];
    let mut roots: Vec<u32> = Vec::new();
    let mut next = 0u32;
    let mut calls: Vec<(u32, usize)> = Vec::new();
    let mut base_pairs = 0.0;
    for root in 0..n {
        if removed[root] || disc[root] != NONE {
            continue;
        }
        roots.push(root as u32);
        let first = next;
        disc[root] = next;
        low[root] = next;
        next += 1;
        calls.push((root as u32, 0));
        while let Some(&mut (v, ref mut pos)) = calls.last_mut() {
            let nb = net.contacts(v as usize);
            if *pos < nb.len() {
                let u = nb[*pos];
                *pos += 1;
                let ui = u as usize;
                if removed[ui] {
                    continue;
                }
                if disc[ui] == NONE {
                    disc[ui] = next;
                    low[ui] = next;
                    next += 1;
                    parent[ui] = v;
                    calls.push((u, 0));
                } else if u != parent[v as usize] {
                    low[v as usize] = low[v as usize].min(disc[ui]);
                }
                continue;
            }
            calls.pop();
            let vi = v as usize;
            size[vi] += 1.0;
            if let Some(&(p, _)) = calls.last() {
                let pi = p as usize;
                low[pi] = low[pi].min(low[vi]);
                size[pi] += size[vi];
                if low[vi] >= disc[pi] {
                    split_pairs[pi] += size[vi] * (size[vi] - 1.0);
                    split_size[pi] += size[vi];
                }
            }
        }
        let c = (next - first) as f64;
        base_pairs += c * (c - 1.0);
    }
    // Component size per node.
    for &r in &roots {
        let c = size[r as usize];
        let mut stack = vec![r];
        component_of[r as usize] = c;
        while let Some(v) = stack.pop() {
            for &u in net.contacts(v as usize) {
                if !removed[u as usize] && component_of[u as usize] == 0.0 {
                    component_of[u as usize] = c;
                    stack.push(u);
                }
            }
        }
    }
    let after = left - 1.0;
    (0..n)
        .map(|v| {
            if removed[v] {
                return 0.0;
            }
            if after < 2.0 {
                return 1.0;
            }
            let c = component_of[v];
            let rest = c - 1.0 - split_size[v];
            let pairs = base_pairs - c * (c - 1.0) + split_pairs[v] + rest * (rest - 1.0);
            1.0 - pairs / (after * (after - 1.0))
        })
        .collect()
}

/// Scratch of [`distance_fragmentation`]: the bit-parallel search and the nodes left.
struct Bfs {
    search: BitBfs,
    alive: Vec<u32>,
    per_level: Vec<u64>,
}

impl Bfs {
    fn new(n: usize) -> Self {
        Self {
            search: BitBfs::new(n),
            alive: Vec::with_capacity(n),
            per_level: Vec::new(),
        }
    }
}

/// Distance-weighted fragmentation of the graph without `removed`.
///
/// Breadth-first searches from 256 sources at once, one bit per source (multi-source BFS with
/// bit sets, [`BitBfs`]): level `d` adds, for every node, the sources first reaching it at
/// distance `d`, so `Σ 1/d_ij = Σ_d (pairs first joined at level d) / d`, with exact integer
/// counts per level.
fn distance_fragmentation<R: Rows>(net: &R, removed: &[bool], bfs: &mut Bfs) -> f64 {
    bfs.alive.clear();
    bfs.alive
        .extend((0..net.node_count() as u32).filter(|&v| !removed[v as usize]));
    let left = bfs.alive.len() as f64;
    if left < 2.0 {
        return 1.0;
    }
    bfs.per_level.clear();
    for block in bfs.alive.chunks(64 * BLOCK_WORDS) {
        bfs.search
            .add_levels(net, &bfs.alive, block, &mut bfs.per_level);
    }
    1.0 - inverse_distance_sum(&bfs.per_level) / (left * (left - 1.0))
}

/// Reach of `in_set` plus each candidate: the share of nodes outside the set within `distance`.
fn reach_after_each(net: &Network, in_set: &[bool], distance: u32, candidates: &[u32]) -> Vec<f64> {
    let n = net.len();
    let size = in_set.iter().filter(|&&s| s).count();
    // Distance from the current set (multi-source BFS, up to `distance`).
    let mut dist = vec![u32::MAX; n];
    let mut queue = VecDeque::new();
    for v in 0..n {
        if in_set[v] {
            dist[v] = 0;
            queue.push_back(v as u32);
        }
    }
    bounded_bfs(net, &mut dist, &mut queue, distance);
    let covered = (0..n)
        .filter(|&v| !in_set[v] && dist[v] <= distance)
        .count();
    let others = (n - size - 1) as f64;
    let mut out = vec![0.0; n];
    let mut local = vec![u32::MAX; n];
    let mut touched: Vec<u32> = Vec::new();
    for &v in candidates {
        let vi = v as usize;
        if in_set[vi] {
            continue;
        }
        // Nodes within `distance` of v not yet covered.
        local[vi] = 0;
        touched.push(v);
        queue.push_back(v);
        let mut gained = 0usize;
        while let Some(x) = queue.pop_front() {
            let d = local[x as usize];
            if d == distance {
                continue;
            }
            for &u in net.row(x as usize).0 {
                let ui = u as usize;
                if local[ui] == u32::MAX {
                    local[ui] = d + 1;
                    touched.push(u);
                    queue.push_back(u);
                    if !in_set[ui] && dist[ui] > distance && ui != vi {
                        gained += 1;
                    }
                }
            }
        }
        for &t in &touched {
            local[t as usize] = u32::MAX;
        }
        touched.clear();
        let was_covered = usize::from(dist[vi] <= distance);
        let reached = covered - was_covered + gained;
        out[vi] = if others > 0.0 {
            reached as f64 / others
        } else {
            1.0
        };
    }
    out
}

fn bounded_bfs(net: &Network, dist: &mut [u32], queue: &mut VecDeque<u32>, limit: u32) {
    while let Some(x) = queue.pop_front() {
        let d = dist[x as usize];
        if d == limit {
            continue;
        }
        for &u in net.row(x as usize).0 {
            if dist[u as usize] == u32::MAX {
                dist[u as usize] = d + 1;
                queue.push_back(u);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{GraphOptions, Role};

    fn graph(n: i64, edges: &[(u32, u32)]) -> CaseGraph {
        CaseGraph::from_index_pairs(n as u32, edges, GraphOptions::default()).unwrap()
    }

    fn random_graph(n: u32, p: f64, seed: u64) -> CaseGraph {
        use rand::Rng;
        let mut rng = stream(seed, 99);
        let mut edges = Vec::new();
        for a in 0..n {
            for b in a + 1..n {
                if rng.random::<f64>() < p {
                    edges.push((a, b));
                }
            }
        }
        graph(i64::from(n), &edges)
    }

    #[test]
    fn one_dfs_scores_match_removal_one_by_one() {
        for seed in 0..20 {
            let g = random_graph(30, 0.08, seed);
            let net = Network::from_graph(&g, &vec![1.0; g.number_of_pairs()]);
            let mut removed = vec![false; 30];
            removed[(seed % 30) as usize] = true;
            let fast = fragmentation_after_each(&net, &removed);
            for v in 0..30 {
                if removed[v] {
                    continue;
                }
                let mut r = removed.clone();
                r[v] = true;
                assert!(
                    (fast[v] - fragmentation(&net, &r)).abs() < 1e-12,
                    "seed {seed} v {v}"
                );
            }
        }
    }

    /// Distance fragmentation one breadth-first search at a time.
    fn distance_fragmentation_by_bfs(net: &Network, removed: &[bool]) -> f64 {
        let n = net.len();
        let left = removed.iter().filter(|&&r| !r).count() as f64;
        let mut closeness = 0.0;
        for s in 0..n {
            if removed[s] {
                continue;
            }
            let mut dist = vec![u32::MAX; n];
            dist[s] = 0;
            let mut queue = VecDeque::from([s as u32]);
            while let Some(v) = queue.pop_front() {
                for &u in net.row(v as usize).0 {
                    if !removed[u as usize] && dist[u as usize] == u32::MAX {
                        dist[u as usize] = dist[v as usize] + 1;
                        closeness += 1.0 / f64::from(dist[u as usize]);
                        queue.push_back(u);
                    }
                }
            }
        }
        1.0 - closeness / (left * (left - 1.0))
    }

    #[test]
    fn bit_parallel_distance_fragmentation_matches_plain_bfs() {
        for (n, seed) in [(40u32, 1u64), (300, 2), (700, 3)] {
            let g = random_graph(n, 3.0 / f64::from(n), seed);
            let net = Network::from_graph(&g, &vec![1.0; g.number_of_pairs()]);
            let mut removed = vec![false; n as usize];
            removed[5] = true;
            removed[17] = true;
            let mut bfs = Bfs::new(n as usize);
            let fast = distance_fragmentation(&net, &removed, &mut bfs);
            let slow = distance_fragmentation_by_bfs(&net, &removed);
            assert!((fast - slow).abs() < 1e-12, "{fast} {slow}");
        }
    }

    #[test]
    fn reach_scores_match_direct_count() {
        let g = random_graph(25, 0.1, 4);
        let net = Network::from_graph(&g, &vec![1.0; g.number_of_pairs()]);
        let mut in_set = vec![false; 25];
        in_set[3] = true;
        let all: Vec<u32> = (0..25).collect();
        for distance in 1..3 {
            let fast = reach_after_each(&net, &in_set, distance, &all);
            for v in 0..25usize {
                if in_set[v] {
                    continue;
                }
                let mut s = in_set.clone();
                s[v] = true;
                let mut dist = vec![u32::MAX; 25];
                let mut q = VecDeque::new();
                for x in 0..25 {
                    if s[x] {
                        dist[x] = 0;
                        q.push_back(x as u32);
                    }
                }
                bounded_bfs(&net, &mut dist, &mut q, distance);
                let reached = (0..25).filter(|&x| !s[x] && dist[x] <= distance).count();
                assert!((fast[v] - reached as f64 / 23.0).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn victims_are_never_chosen() {
        // A star: the centre is the obvious key player, but it is a victim.
        let g = graph(5, &[(0, 1), (0, 2), (0, 3), (3, 4)])
            .with_roles(Some(vec![
                Role::Victim,
                Role::Offender,
                Role::Offender,
                Role::Offender,
                Role::Offender,
            ]))
            .unwrap();
        let options = KeyPlayerOptions {
            k: 1,
            ..Default::default()
        };
        let kp = key_players(&g, &options, &TargetFilter::default(), &Cancel::new()).unwrap();
        assert_eq!(kp.set, vec![3]);
        let kp = key_players(&g, &options, &TargetFilter::everyone(), &Cancel::new()).unwrap();
        assert_eq!(kp.set, vec![0]);
    }

    #[test]
    fn too_large_a_set_is_an_argument_error() {
        let g = graph(3, &[(0, 1), (1, 2)]);
        let options = KeyPlayerOptions {
            k: 2,
            ..Default::default()
        };
        assert!(matches!(
            key_players(&g, &options, &TargetFilter::default(), &Cancel::new()),
            Err(Error::InvalidArgument { name: "k", .. })
        ));
    }
}
