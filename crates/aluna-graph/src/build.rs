//! Building the CSR of a graph whose links carry no type, time or multiplicity, in place.
//!
//! [`CaseGraph::build`] keeps every observation of a typed, timed or multigraph's links, and
//! sorts an index vector to do so. A plain graph (optionally weighted) needs only its merged
//! edges, and at 100 million links the temporaries of that general path (an index vector, a
//! vector of endpoint pairs, event offsets, permuted copies of the weights) cost several times
//! the graph itself. This path works on the edge rows it is given, in place:
//!
//! 1. rows are bucketed by their first endpoint (the smaller one when undirected) with an
//!    in-place radix sort in two passes (American flag sort: every row is swapped straight to
//!    its bucket; McIlroy, Bostic & McIlroy 1993, Computing Systems 6(1), 5-27), the first on
//!    the top 10 bits of the endpoint, the second within each of those ranges in parallel,
//!    after which the source column is implied by the buckets and freed;
//! 2. each bucket is sorted by target (and, among parallel links, by weight, so that their sum
//!    is taken in an order that does not depend on the order of the input rows), in parallel
//!    over disjoint ranges of buckets, and parallel links are merged in place;
//! 3. the merged targets become the adjacency: for a directed graph they are the out-rows as
//!    they stand, for an undirected graph the vector is extended to both directions and every
//!    row's upper part is moved to its final place from the last row down, before the lower
//!    parts are filled in by one ascending sweep.
//!
//! Peak memory is that of the rows (4 + 4 bytes per link, 8 more for a weight, 4 for a count)
//! plus 16 bytes per node; the built graph holds 8 bytes per edge of adjacency and 8 per weight.
//! Every step is deterministic, so the graph is the same for any number of threads.

use aluna_core::ids::IdMap;
use aluna_core::{ensure, Error, Result};
use rayon::prelude::*;

use crate::csr::Csr;
use crate::{CaseGraph, EdgeRows, GraphOptions};

/// Rows of at most this many slots are sorted by one task of the parallel per-bucket sort.
const SORT_CHUNK: usize = 1 << 16;

/// Bits of the first-level digit of the in-place bucketing: at most 1024 buckets, so that the
/// write heads of one pass stay in cache.
const TOP_BITS: u32 = 10;

/// Mutable views of the columns of edge rows that move together, over one range of rows.
struct Rows<'a> {
    source: &'a mut [u32],
    target: &'a mut [u32],
    weight: Option<&'a mut [f64]>,
    count: Option<&'a mut [u32]>,
}

impl<'a> Rows<'a> {
    #[inline]
    fn swap(&mut self, i: usize, j: usize) {
        self.source.swap(i, j);
        self.target.swap(i, j);
        if let Some(w) = &mut self.weight {
            w.swap(i, j);
        }
        if let Some(c) = &mut self.count {
            c.swap(i, j);
        }
    }

    fn split_at(self, k: usize) -> (Rows<'a>, Rows<'a>) {
        let (s0, s1) = self.source.split_at_mut(k);
        let (t0, t1) = self.target.split_at_mut(k);
        let (w0, w1) = match self.weight {
            Some(w) => {
                let (a, b) = w.split_at_mut(k);
                (Some(a), Some(b))
            }
            None => (None, None),
        };
        let (c0, c1) = match self.count {
            Some(c) => {
                let (a, b) = c.split_at_mut(k);
                (Some(a), Some(b))
            }
            None => (None, None),
        };
        (
            Rows {
                source: s0,
                target: t0,
                weight: w0,
                count: c0,
            },
            Rows {
                source: s1,
                target: t1,
                weight: w1,
                count: c1,
            },
        )
    }

    /// Permute the rows in place so that `digit(source)` ascends, given where each digit's
    /// rows start (`starts`, one more than the digits): one pass of American flag sort, each
    /// row moved once.
    fn permute_by(&mut self, starts: &[u64], digit: impl Fn(u32) -> usize) {
        let buckets = starts.len() - 1;
        let mut next: Vec<u64> = starts[..buckets].to_vec();
        for b in 0..buckets {
            let end = starts[b + 1];
            while next[b] < end {
                let i = next[b] as usize;
                let d = digit(self.source[i]);
                if d == b {
                    next[b] += 1;
                } else {
                    let j = next[d] as usize;
                    self.swap(i, j);
                    next[d] += 1;
                }
            }
        }
    }
}

/// Sort rows by source in place, given every source's first row (`bucket`, `n + 1` offsets):
/// a first pass on the top bits of the source, then, in parallel, one pass within each of the
/// resulting ranges. Each pass keeps at most 1024 (first pass) or `n / 1024` write heads, so
/// the swaps stay local; the result is the same for any number of threads.
fn bucket_by_source(rows: Rows<'_>, bucket: &[u64]) {
    let n = bucket.len() - 1;
    if n == 0 {
        return;
    }
    let bits = u32::BITS - ((n - 1) as u32).leading_zeros();
    let shift = bits.saturating_sub(TOP_BITS);
    let tops = ((n - 1) >> shift) + 1;
    let top_starts: Vec<u64> = (0..=tops).map(|k| bucket[(k << shift).min(n)]).collect();
    let mut rows = rows;
    rows.permute_by(&top_starts, |a| (a >> shift) as usize);
    if shift == 0 {
        return;
    }
    let mut parts = Vec::with_capacity(tops);
    let mut rest = rows;
    for k in 0..tops {
        let len = (top_starts[k + 1] - top_starts[k]) as usize;
        let (head, tail) = rest.split_at(len);
        parts.push((k, head));
        rest = tail;
    }
    parts.into_par_iter().for_each(|(k, mut part)| {
        let first = k << shift;
        let last = ((k + 1) << shift).min(n);
        let base = bucket[first];
        let starts: Vec<u64> = bucket[first..=last].iter().map(|&o| o - base).collect();
        part.permute_by(&starts, |a| a as usize - first);
    });
}

/// Exclusive prefix sums of `counts` (length `n + 1`).
fn offsets_from_counts(counts: &[u64]) -> Vec<u64> {
    let mut offsets = Vec::with_capacity(counts.len() + 1);
    let mut total = 0u64;
    offsets.push(0);
    for &c in counts {
        total += c;
        offsets.push(total);
    }
    offsets
}

/// Split `0..n` buckets into consecutive ranges of roughly `SORT_CHUNK` slots each.
fn bucket_ranges(offsets: &[u64]) -> Vec<std::ops::Range<usize>> {
    let n = offsets.len() - 1;
    let mut ranges = Vec::new();
    let mut start = 0;
    while start < n {
        let mut end = start + 1;
        while end < n && offsets[end + 1] - offsets[start] <= SORT_CHUNK as u64 {
            end += 1;
        }
        ranges.push(start..end);
        start = end;
    }
    ranges
}

/// Cut `data` into the slices `offsets[r.start]..offsets[r.end]` of consecutive ranges.
fn split_by<'a, T>(
    mut data: &'a mut [T],
    offsets: &[u64],
    ranges: &[std::ops::Range<usize>],
) -> Vec<&'a mut [T]> {
    let mut parts = Vec::with_capacity(ranges.len());
    for r in ranges {
        let len = (offsets[r.end] - offsets[r.start]) as usize;
        let (head, tail) = data.split_at_mut(len);
        parts.push(head);
        data = tail;
    }
    parts
}

/// Sort one bucket by `(target, weight bits, count)` and merge parallel links in place;
/// returns the number of distinct targets left at its front.
fn sort_and_merge(
    target: &mut [u32],
    mut weight: Option<&mut [f64]>,
    mut count: Option<&mut [u32]>,
    scratch: &mut Vec<(u32, u64, u32)>,
) -> usize {
    let len = target.len();
    if len == 0 {
        return 0;
    }
    scratch.clear();
    scratch.extend((0..len).map(|k| {
        (
            target[k],
            weight.as_ref().map_or(0, |w| w[k].to_bits()),
            count.as_ref().map_or(1, |c| c[k]),
        )
    }));
    scratch.sort_unstable();
    let mut kept = 0usize;
    let mut k = 0usize;
    while k < len {
        let t = scratch[k].0;
        let mut sum_w = 0.0f64;
        let mut sum_c = 0u64;
        while k < len && scratch[k].0 == t {
            sum_w += f64::from_bits(scratch[k].1);
            sum_c += u64::from(scratch[k].2);
            k += 1;
        }
        target[kept] = t;
        if let Some(w) = weight.as_deref_mut() {
            w[kept] = sum_w;
        }
        if let Some(c) = count.as_deref_mut() {
            c[kept] = u32::try_from(sum_c).unwrap_or(u32::MAX);
        }
        kept += 1;
    }
    kept
}

/// Build a graph whose links carry no type, time or multigraph flag (see the module docs).
///
/// Called by [`CaseGraph::build`]; `rows` has been checked (lengths, node indices).
pub(crate) fn build_merged(
    nodes: IdMap,
    rows: EdgeRows,
    options: GraphOptions,
) -> Result<CaseGraph> {
    let n = nodes.len();
    let m = rows.len();
    let directed = options.directed;
    let EdgeRows {
        mut source,
        mut target,
        weight,
        count,
        ..
    } = rows;
    if !directed {
        source
            .par_iter_mut()
            .zip(target.par_iter_mut())
            .for_each(|(a, b)| {
                if *a > *b {
                    std::mem::swap(a, b);
                }
            });
    }
    // 1. Bucket rows by source, in place.
    let mut bucket_len = vec![0u64; n];
    source.iter().for_each(|&a| bucket_len[a as usize] += 1);
    let bucket = offsets_from_counts(&bucket_len);
    drop(bucket_len);
    let mut weight = weight;
    let mut count = count;
    bucket_by_source(
        Rows {
            source: &mut source,
            target: &mut target,
            weight: weight.as_deref_mut(),
            count: count.as_deref_mut(),
        },
        &bucket,
    );
    drop(source);
    // Without a count column, parallel links are counted only if there are any.
    let needs_count = count.is_none() && has_parallel_links(&target, &bucket);
    if needs_count {
        count = Some(vec![1u32; m]);
    }
    // 2. Sort each bucket by target and merge parallel links.
    let ranges = bucket_ranges(&bucket);
    let kept: Vec<u64> = {
        let targets = split_by(&mut target, &bucket, &ranges);
        let weights: Vec<Option<&mut [f64]>> = match weight.as_mut() {
            Some(w) => split_by(w, &bucket, &ranges)
                .into_iter()
                .map(Some)
                .collect(),
            None => ranges.iter().map(|_| None).collect(),
        };
        let counts: Vec<Option<&mut [u32]>> = match count.as_mut() {
            Some(c) => split_by(c, &bucket, &ranges)
                .into_iter()
                .map(Some)
                .collect(),
            None => ranges.iter().map(|_| None).collect(),
        };
        let per_range: Vec<Vec<u64>> = targets
            .into_par_iter()
            .zip(weights)
            .zip(counts)
            .zip(ranges.par_iter())
            .map_init(Vec::new, |scratch, (((t, mut w), mut c), r)| {
                let base = bucket[r.start];
                r.clone()
                    .map(|b| {
                        let lo = (bucket[b] - base) as usize;
                        let hi = (bucket[b + 1] - base) as usize;
                        sort_and_merge(
                            &mut t[lo..hi],
                            w.as_deref_mut().map(|w| &mut w[lo..hi]),
                            c.as_deref_mut().map(|c| &mut c[lo..hi]),
                            scratch,
                        ) as u64
                    })
                    .collect()
            })
            .collect();
        per_range.into_iter().flatten().collect()
    };
    // Close the gaps left by merged links: edges become contiguous, in (source, target) order.
    let first_edge = offsets_from_counts(&kept);
    drop(kept);
    let edge_count = first_edge[n] as usize;
    ensure!(
        edge_count < u32::MAX as usize,
        Error::argument("edges", "more than 4,294,967,294 distinct links")
    );
    if edge_count < m {
        for b in 0..n {
            let from = bucket[b] as usize;
            let to = first_edge[b] as usize;
            let len = (first_edge[b + 1] - first_edge[b]) as usize;
            if from != to {
                target.copy_within(from..from + len, to);
                if let Some(w) = weight.as_mut() {
                    w.copy_within(from..from + len, to);
                }
                if let Some(c) = count.as_mut() {
                    c.copy_within(from..from + len, to);
                }
            }
        }
        target.truncate(edge_count);
        target.shrink_to_fit();
        if let Some(w) = weight.as_mut() {
            w.truncate(edge_count);
            w.shrink_to_fit();
        }
        if let Some(c) = count.as_mut() {
            c.truncate(edge_count);
            c.shrink_to_fit();
        }
    }
    drop(bucket);
    let count = count.filter(|c| c.iter().any(|&k| k != 1));
    // 3. The adjacency.
    let (out, incoming, first_edge) = if directed {
        let mut in_len = vec![0u64; n];
        target.iter().for_each(|&b| in_len[b as usize] += 1);
        let in_offsets = offsets_from_counts(&in_len);
        drop(in_len);
        let mut cursor: Vec<u64> = in_offsets[..n].to_vec();
        let mut in_neighbours = vec![0u32; edge_count];
        for a in 0..n {
            for &b in &target[first_edge[a] as usize..first_edge[a + 1] as usize] {
                let slot = &mut cursor[b as usize];
                in_neighbours[*slot as usize] = a as u32;
                *slot += 1;
            }
        }
        let out = Csr {
            offsets: first_edge,
            neighbours: target,
        };
        let incoming = Csr {
            offsets: in_offsets,
            neighbours: in_neighbours,
        };
        (out, Some(incoming), None)
    } else {
        // Degrees: each edge (a, b) counts at a, and at b unless it is a self-loop.
        let mut degree = vec![0u64; n];
        for a in 0..n {
            let row = &target[first_edge[a] as usize..first_edge[a + 1] as usize];
            degree[a] += row.len() as u64;
            for &b in row {
                if b as usize != a {
                    degree[b as usize] += 1;
                }
            }
        }
        let offsets = offsets_from_counts(&degree);
        drop(degree);
        let slots = offsets[n] as usize;
        let mut neighbours = target;
        neighbours.resize(slots, 0);
        // Move each row's upper part (edges (v, w), w >= v) to the end of its final row, from
        // the last row down: a row only ever moves to higher positions, past rows not yet moved.
        for v in (0..n).rev() {
            let from = first_edge[v] as usize;
            let len = (first_edge[v + 1] - first_edge[v]) as usize;
            let to = offsets[v + 1] as usize - len;
            if from != to && len > 0 {
                neighbours.copy_within(from..from + len, to);
            }
        }
        // Lower parts: edge (v, w) with v < w lists v under w, in ascending v.
        let mut cursor: Vec<u64> = offsets[..n].to_vec();
        for v in 0..n {
            let len = (first_edge[v + 1] - first_edge[v]) as usize;
            let end = offsets[v + 1] as usize;
            for k in end - len..end {
                let w = neighbours[k] as usize;
                if w != v {
                    neighbours[cursor[w] as usize] = v as u32;
                    cursor[w] += 1;
                }
            }
        }
        let out = Csr {
            offsets,
            neighbours,
        };
        (out, None, Some(first_edge))
    };
    Ok(CaseGraph {
        nodes,
        options,
        out,
        incoming,
        first_edge,
        edge_total: edge_count,
        weight,
        count,
        events: None,
        link_types: None,
        time_kind: None,
        roles: None,
    })
}

/// Whether some bucket holds a target twice (a pair linked more than once).
fn has_parallel_links(target: &[u32], bucket: &[u64]) -> bool {
    let n = bucket.len() - 1;
    (0..n).into_par_iter().any(|b| {
        let row = &target[bucket[b] as usize..bucket[b + 1] as usize];
        if row.len() < 2 {
            return false;
        }
        if row.len() <= 32 {
            (1..row.len()).any(|i| row[..i].contains(&row[i]))
        } else {
            let mut sorted = row.to_vec();
            sorted.sort_unstable();
            sorted.windows(2).any(|w| w[0] == w[1])
        }
    })
}
