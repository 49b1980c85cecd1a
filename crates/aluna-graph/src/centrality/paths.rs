//! Single-source shortest paths with reusable scratch: breadth-first search for hop counts and
//! Dijkstra's algorithm for positive lengths, each resetting only what it touched.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::Csr;

/// Marks a node not reached by a breadth-first search.
pub(crate) const UNSEEN: u32 = u32::MAX;

/// A heap entry: tentative distance and node, smallest distance first (ties: smaller node).
#[derive(Debug, Clone, Copy)]
struct Entry {
    dist: f64,
    node: u32,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed, so that std's max-heap pops the smallest distance.
        other
            .dist
            .total_cmp(&self.dist)
            .then_with(|| other.node.cmp(&self.node))
    }
}

/// Breadth-first search scratch: hop counts and the visiting order, reset per source.
#[derive(Debug)]
pub(crate) struct Bfs {
    /// Hops from the source, [`UNSEEN`] when not reached.
    pub(crate) hops: Vec<u32>,
    /// Nodes in the order reached (the source first).
    pub(crate) order: Vec<u32>,
}

impl Bfs {
    pub(crate) fn new(n: usize) -> Self {
        Self {
            hops: vec![UNSEEN; n],
            order: Vec::with_capacity(n),
        }
    }

    /// Search from `source` along `adjacency`, after undoing the previous search.
    pub(crate) fn run(&mut self, adjacency: &Csr, source: u32) {
        self.reset();
        self.hops[source as usize] = 0;
        self.order.push(source);
        let mut head = 0;
        while head < self.order.len() {
            let v = self.order[head];
            head += 1;
            let next = self.hops[v as usize] + 1;
            for &w in adjacency.neighbours(v) {
                if self.hops[w as usize] == UNSEEN {
                    self.hops[w as usize] = next;
                    self.order.push(w);
                }
            }
        }
    }

    fn reset(&mut self) {
        for &v in &self.order {
            self.hops[v as usize] = UNSEEN;
        }
        self.order.clear();
    }
}

/// Dijkstra scratch: distances, the settling order and the heap, reset per source.
#[derive(Debug)]
pub(crate) struct Dijkstra {
    /// Distance from the source, infinite when not reached.
    pub(crate) dist: Vec<f64>,
    /// Nodes in the order settled (the source first).
    pub(crate) order: Vec<u32>,
    settled: Vec<bool>,
    touched: Vec<u32>,
    heap: BinaryHeap<Entry>,
}

impl Dijkstra {
    pub(crate) fn new(n: usize) -> Self {
        Self {
            dist: vec![f64::INFINITY; n],
            order: Vec::with_capacity(n),
            settled: vec![false; n],
            touched: Vec::new(),
            heap: BinaryHeap::new(),
        }
    }

    /// Shortest distances from `source` along `adjacency` with non-negative per-slot
    /// `lengths`, after undoing the previous search.
    ///
    /// With `sigma`, also counts shortest paths: `sigma[v]` is the number of shortest paths from
    /// the source to `v` (exact float equality of path lengths decides ties, as in networkx).
    /// With `stop`, the search ends once that node is settled.
    pub(crate) fn run(
        &mut self,
        adjacency: &Csr,
        lengths: &[f64],
        source: u32,
        mut sigma: Option<&mut [f64]>,
        stop: Option<u32>,
    ) {
        self.reset();
        self.dist[source as usize] = 0.0;
        self.touched.push(source);
        if let Some(s) = sigma.as_deref_mut() {
            s[source as usize] = 1.0;
        }
        self.heap.push(Entry {
            dist: 0.0,
            node: source,
        });
        while let Some(Entry { dist, node: v }) = self.heap.pop() {
            if self.settled[v as usize] {
                continue;
            }
            self.settled[v as usize] = true;
            self.order.push(v);
            if stop == Some(v) {
                break;
            }
            let range = adjacency.range(v);
            let sigma_v = sigma.as_deref().map_or(0.0, |s| s[v as usize]);
            for (&w, &len) in adjacency.neighbours[range.clone()]
                .iter()
                .zip(&lengths[range])
            {
                if self.settled[w as usize] {
                    continue;
                }
                let candidate = dist + len;
                let current = self.dist[w as usize];
                if candidate < current {
                    if current == f64::INFINITY {
                        self.touched.push(w);
                    }
                    self.dist[w as usize] = candidate;
                    if let Some(s) = sigma.as_deref_mut() {
                        s[w as usize] = sigma_v;
                    }
                    self.heap.push(Entry {
                        dist: candidate,
                        node: w,
                    });
                } else if candidate == current {
                    if let Some(s) = sigma.as_deref_mut() {
                        s[w as usize] += sigma_v;
                    }
                }
            }
        }
    }

    fn reset(&mut self) {
        for &v in &self.touched {
            self.dist[v as usize] = f64::INFINITY;
            self.settled[v as usize] = false;
        }
        self.touched.clear();
        self.order.clear();
        self.heap.clear();
    }
}
