//! Sums of inverse distances over all pairs of nodes (global efficiency, Borgatti's
//! distance-weighted fragmentation), by breadth-first searches from many sources at once.
//!
//! Distances are hop counts on an undirected view ([`Rows`]); some nodes may be left out
//! (`removed`): they are neither sources nor passed through. Pairs are counted per distance as
//! integers, so sums do not depend on the order in which sources are searched, and the result is
//! the same for any number of threads.

use aluna_core::parallel::Cancel;
use aluna_core::Result;
use rayon::prelude::*;

use crate::csr::Rows;

/// Sources searched together by [`BitBfs`], in 64-bit words.
pub(crate) const BLOCK_WORDS: usize = 4;
/// Sources searched together by [`BitBfs`].
const BLOCK: usize = 64 * BLOCK_WORDS;
/// Above this eccentricity (of some node, found by one search per component) the graph has long
/// paths, and one search per source beats the bit-parallel search, whose every level sweeps all
/// nodes.
const LONG_PATHS: u32 = 32;

/// Scratch of the bit-parallel breadth-first search: per node, which sources of the current block
/// have reached it, which reached it at the last level, and which reach it at the next.
pub(crate) struct BitBfs {
    visited: Vec<u64>,
    frontier: Vec<u64>,
    next: Vec<u64>,
}

impl BitBfs {
    pub(crate) fn new(n: usize) -> Self {
        Self {
            visited: vec![0; n * BLOCK_WORDS],
            frontier: vec![0; n * BLOCK_WORDS],
            next: vec![0; n * BLOCK_WORDS],
        }
    }

    /// Breadth-first searches from up to 256 `sources` at once, one bit per source (multi-source
    /// BFS with bit sets), over the nodes `alive`: level `d` finds, for every node, the sources
    /// first reaching it at distance `d`; their number is added to `per_level[d - 1]`.
    pub(crate) fn add_levels<R: Rows>(
        &mut self,
        rows: &R,
        alive: &[u32],
        sources: &[u32],
        per_level: &mut Vec<u64>,
    ) {
        const W: usize = BLOCK_WORDS;
        debug_assert!(sources.len() <= BLOCK);
        self.visited.fill(0);
        self.frontier.fill(0);
        for (bit, &s) in sources.iter().enumerate() {
            let word = s as usize * W + bit / 64;
            self.visited[word] |= 1 << (bit % 64);
            self.frontier[word] |= 1 << (bit % 64);
        }
        let mut level = 0usize;
        loop {
            let mut joined = 0u64;
            for &v in alive {
                let vi = v as usize * W;
                let mut acc = [0u64; W];
                for &u in rows.contacts(v as usize) {
                    let ui = u as usize * W;
                    for (a, f) in acc.iter_mut().zip(&self.frontier[ui..ui + W]) {
                        *a |= f;
                    }
                }
                let seen = &self.visited[vi..vi + W];
                for ((next, a), old) in self.next[vi..vi + W].iter_mut().zip(acc).zip(seen) {
                    let fresh = a & !old;
                    *next = fresh;
                    joined += u64::from(fresh.count_ones());
                }
            }
            if joined == 0 {
                break;
            }
            if per_level.len() == level {
                per_level.push(0);
            }
            per_level[level] += joined;
            level += 1;
            for &v in alive {
                let vi = v as usize * W;
                for w in 0..W {
                    self.visited[vi + w] |= self.next[vi + w];
                }
            }
            std::mem::swap(&mut self.frontier, &mut self.next);
        }
    }
}

/// `Σ_d count_d / d` over levels `d = 1, 2, …`, summed in level order (0, not `-0.0`, when
/// empty: `Iterator::sum` of floats starts from `-0.0`).
pub(crate) fn inverse_distance_sum(per_level: &[u64]) -> f64 {
    per_level
        .iter()
        .enumerate()
        .fold(0.0, |acc, (d, &count)| acc + count as f64 / (d + 1) as f64)
}

/// Add `count` to `per_level[level - 1]`, growing it as needed.
fn bump(per_level: &mut Vec<u64>, level: usize, count: u64) {
    if per_level.len() < level {
        per_level.resize(level, 0);
    }
    per_level[level - 1] += count;
}

/// Add two per-level counts.
fn add_counts(mut a: Vec<u64>, b: Vec<u64>) -> Vec<u64> {
    if a.len() < b.len() {
        a.resize(b.len(), 0);
    }
    a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
    a
}

/// One plain breadth-first search from `source` skipping `removed`, adding how many nodes it
/// reaches at each distance; returns the largest distance.
fn plain_levels<R: Rows>(
    rows: &R,
    removed: &[bool],
    source: u32,
    hops: &mut [u32],
    queue: &mut Vec<u32>,
    per_level: &mut Vec<u64>,
) -> u32 {
    queue.clear();
    queue.push(source);
    hops[source as usize] = 0;
    let mut head = 0;
    let mut far = 0;
    while head < queue.len() {
        let v = queue[head];
        head += 1;
        let next = hops[v as usize] + 1;
        for &u in rows.contacts(v as usize) {
            let ui = u as usize;
            if !removed[ui] && hops[ui] == u32::MAX {
                hops[ui] = next;
                far = next;
                bump(per_level, next as usize, 1);
                queue.push(u);
            }
        }
    }
    for &v in queue.iter() {
        hops[v as usize] = u32::MAX;
    }
    far
}

/// The largest eccentricity among one node per component (the first left in each): a lower
/// bound of the diameter and at least half of it.
fn eccentricity_bound<R: Rows>(rows: &R, removed: &[bool], alive: &[u32]) -> u32 {
    let n = rows.node_count();
    let mut hops = vec![u32::MAX; n];
    let mut done = vec![false; n];
    let mut queue = Vec::new();
    let mut scratch = Vec::new();
    let mut far = 0;
    for &s in alive {
        if done[s as usize] {
            continue;
        }
        let e = plain_levels(rows, removed, s, &mut hops, &mut queue, &mut scratch);
        queue.iter().for_each(|&v| done[v as usize] = true);
        far = far.max(e);
    }
    far
}

/// `Σ_{i ≠ j} 1 / d(i, j)` over ordered pairs of nodes not `removed` (pairs without a path add 0),
/// and the number of nodes left.
///
/// Bit-parallel breadth-first searches from 256 sources at a time, `O(⌈n/256⌉ · D · (n + m))`
/// with `D` the diameter, in parallel over blocks of sources; graphs with long paths (some
/// node's eccentricity above 32) use one plain search per source instead, `O(n (n + m))`, in
/// parallel over sources. Pairs are counted per distance as integers: identical for any thread
/// count.
pub(crate) fn inverse_distances<R: Rows>(
    rows: &R,
    removed: &[bool],
    cancel: &Cancel,
) -> Result<(f64, usize)> {
    let n = rows.node_count();
    let alive: Vec<u32> = (0..n as u32).filter(|&v| !removed[v as usize]).collect();
    if alive.len() < 2 {
        return Ok((0.0, alive.len()));
    }
    let parts: Vec<Vec<u64>> = if eccentricity_bound(rows, removed, &alive) > LONG_PATHS {
        alive
            .par_chunks(64)
            .map_init(
                || (vec![u32::MAX; n], Vec::new()),
                |(hops, queue), sources| {
                    let mut per_level = Vec::new();
                    for &s in sources {
                        if cancel.is_cancelled() {
                            break;
                        }
                        plain_levels(rows, removed, s, hops, queue, &mut per_level);
                    }
                    per_level
                },
            )
            .collect()
    } else {
        alive
            .par_chunks(BLOCK)
            .map_init(
                || BitBfs::new(n),
                |bfs, sources| {
                    let mut per_level = Vec::new();
                    if !cancel.is_cancelled() {
                        bfs.add_levels(rows, &alive, sources, &mut per_level);
                    }
                    per_level
                },
            )
            .collect()
    };
    cancel.check()?;
    let per_level = parts.into_iter().fold(Vec::new(), add_counts);
    Ok((inverse_distance_sum(&per_level), alive.len()))
}

/// Global efficiency (Latora & Marchiori 2001) of the network without `removed`:
/// `E = Σ_{i ≠ j} (1 / d(i, j)) / (n (n − 1))` over the `n` nodes left, 0 when fewer than two are
/// left, as networkx's `global_efficiency`.
pub(crate) fn global_efficiency<R: Rows>(
    rows: &R,
    removed: &[bool],
    cancel: &Cancel,
) -> Result<f64> {
    let (sum, left) = inverse_distances(rows, removed, cancel)?;
    if left < 2 {
        return Ok(0.0);
    }
    let left = left as f64;
    Ok(sum / (left * (left - 1.0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::{Csr, Layout};

    fn path(n: u32) -> Csr {
        let ends: Vec<(u32, u32)> = (1..n).map(|v| (v - 1, v)).collect();
        Csr::from_sorted_edges(n as usize, &ends, Layout::Symmetric)
    }

    /// The sum one BFS at a time, in floats.
    fn by_plain_search(rows: &Csr, removed: &[bool]) -> f64 {
        let n = rows.node_count();
        let mut total = 0.0;
        for s in 0..n as u32 {
            if removed[s as usize] {
                continue;
            }
            let mut per_level = Vec::new();
            let mut hops = vec![u32::MAX; n];
            plain_levels(rows, removed, s, &mut hops, &mut Vec::new(), &mut per_level);
            total += inverse_distance_sum(&per_level);
        }
        total
    }

    #[test]
    fn short_and_long_paths_agree_with_plain_search() {
        // A path of 100 nodes has long paths (plain search), a path of 20 short ones.
        for n in [20u32, 100, 600] {
            let rows = path(n);
            let mut removed = vec![false; n as usize];
            removed[7] = true;
            let (sum, left) = inverse_distances(&rows, &removed, &Cancel::new()).unwrap();
            assert_eq!(left, n as usize - 1);
            let expected = by_plain_search(&rows, &removed);
            assert!((sum - expected).abs() < 1e-9 * expected, "{sum} {expected}");
        }
    }

    #[test]
    fn efficiency_of_a_triangle_and_of_too_few_nodes() {
        let rows = Csr::from_sorted_edges(3, &[(0, 1), (0, 2), (1, 2)], Layout::Symmetric);
        let cancel = Cancel::new();
        assert_eq!(global_efficiency(&rows, &[false; 3], &cancel).unwrap(), 1.0);
        assert_eq!(
            global_efficiency(&rows, &[true, true, false], &cancel)
                .unwrap()
                .to_bits(),
            0f64.to_bits()
        );
        // Two nodes left without a link: exactly 0, not -0.
        let apart = Csr::from_sorted_edges(3, &[(0, 1)], Layout::Symmetric);
        assert_eq!(
            global_efficiency(&apart, &[true, false, false], &cancel)
                .unwrap()
                .to_bits(),
            0f64.to_bits()
        );
        let cancelled = Cancel::new();
        cancelled.cancel();
        assert!(global_efficiency(&rows, &[false; 3], &cancelled).is_err());
    }
}
