//! The case-link graph: who or what is linked to whom, how strongly, by what, and when.

use aluna_core::ids::{IdMap, Key};
use aluna_core::table::TimeKind;
use aluna_core::{ensure, Error, Result};
use rayon::prelude::*;

use crate::csr::{Csr, Layout};
use crate::role::Role;

/// Edge rows in index space: one row per observed link, before parallel links are merged.
///
/// `count` says how many observations a row stands for (1 when `None`); `link_type` holds codes
/// into the graph's link-type levels.
#[derive(Debug, Clone, Default)]
pub struct EdgeRows {
    /// Source node index per row.
    pub source: Vec<u32>,
    /// Target node index per row.
    pub target: Vec<u32>,
    /// Weight per row (finite, non-negative).
    pub weight: Option<Vec<f64>>,
    /// Observations per row (1 when `None`).
    pub count: Option<Vec<u32>>,
    /// Link-type code per row.
    pub link_type: Option<Vec<u32>>,
    /// Time per row (when the link was first seen).
    pub time: Option<Vec<i64>>,
    /// Last time per row (inclusive): with it a row stands for a link seen over the span
    /// `[time, until]`, e.g. the first and last co-occurrence behind a shared identifier.
    /// Needs `time`; `until >= time` on every row.
    pub until: Option<Vec<i64>>,
}

impl EdgeRows {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.source.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.source.is_empty()
    }
}

/// How rows become a graph.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GraphOptions {
    /// Links have a direction (`source -> target`).
    pub directed: bool,
    /// Keep parallel links as separate edges in [`CaseGraph::edge_rows`], degrees and edge
    /// counts. Path-based measures always see one link per pair, as networkx's do on multigraphs.
    pub multigraph: bool,
}

/// The observations behind each merged edge, kept when links carry a type or a time or the
/// graph is a multigraph, so that subgraphs by type or time are exact.
#[derive(Debug, Clone)]
pub(crate) struct Events {
    /// Per edge, the range of its observations.
    pub(crate) offsets: Vec<u64>,
    pub(crate) weight: Option<Vec<f64>>,
    pub(crate) count: Option<Vec<u32>>,
    pub(crate) link_type: Option<Vec<u32>>,
    pub(crate) time: Option<Vec<i64>>,
    /// Last time of each observation, when observations are spans.
    pub(crate) until: Option<Vec<i64>>,
}

/// A case-link graph in compact storage: nodes are persons or cases keyed by the user's ids,
/// edges are links merged per pair (weights summed, link types and times kept).
///
/// Storage is CSR with 32-bit indices: 8 bytes per edge for the adjacency (both directions),
/// 8 more for a weight, 16 per node; no allocation per node. Edge ids are implicit: edges are
/// numbered in `(source, target)` order (`(min, max)` when undirected), so no slot stores one.
#[derive(Debug, Clone)]
pub struct CaseGraph {
    pub(crate) nodes: IdMap,
    pub(crate) options: GraphOptions,
    /// Out-adjacency (undirected: the full adjacency).
    pub(crate) out: Csr,
    /// In-adjacency of a directed graph.
    pub(crate) incoming: Option<Csr>,
    /// Undirected: per node, the id of the first edge listed under it (edges `(v, w)` with
    /// `w >= v` are listed under `v`, in the suffix of its row). Directed graphs list edges under
    /// their source, in out-slot order, so their ids are the out-slots.
    pub(crate) first_edge: Option<Vec<u64>>,
    pub(crate) edge_total: usize,
    pub(crate) weight: Option<Vec<f64>>,
    pub(crate) count: Option<Vec<u32>>,
    pub(crate) events: Option<Events>,
    pub(crate) link_types: Option<IdMap>,
    pub(crate) time_kind: Option<TimeKind>,
    pub(crate) roles: Option<Vec<Role>>,
}

impl CaseGraph {
    /// A graph of the integer nodes `0..n` (each id equal to its index) from `(source, target)`
    /// index pairs: the short way to a small graph in examples and tests.
    ///
    /// # Errors
    /// As [`CaseGraph::build`].
    ///
    /// # Example
    /// ```
    /// use aluna_graph::{CaseGraph, GraphOptions};
    /// let g = CaseGraph::from_index_pairs(4, &[(0, 1), (1, 2)], GraphOptions::default())?;
    /// assert_eq!((g.number_of_nodes(), g.number_of_edges()), (4, 2));
    /// # Ok::<(), aluna_core::Error>(())
    /// ```
    pub fn from_index_pairs(n: u32, pairs: &[(u32, u32)], options: GraphOptions) -> Result<Self> {
        let rows = EdgeRows {
            source: pairs.iter().map(|p| p.0).collect(),
            target: pairs.iter().map(|p| p.1).collect(),
            ..Default::default()
        };
        Self::from_index_rows(n, rows, options)
    }

    /// A graph of the integer nodes `0..n` (each id equal to its index) from edge rows whose
    /// endpoints are those indices (with weights or times as the rows carry them).
    ///
    /// # Errors
    /// As [`CaseGraph::build`].
    pub fn from_index_rows(n: u32, rows: EdgeRows, options: GraphOptions) -> Result<Self> {
        let mut ids = IdMap::new_int();
        for v in 0..n {
            ids.intern(Key::Int(i64::from(v)))?;
        }
        Self::build(ids, rows, None, None, options)
    }

    /// Build a graph over `nodes` from edge rows.
    ///
    /// Rows are sorted by endpoints (and time), parallel rows merge into one edge whose weight is
    /// their sum; with link types, times or `multigraph`, the rows themselves are kept.
    ///
    /// # Example
    /// ```
    /// use aluna_core::ids::{IdMap, Key};
    /// use aluna_graph::{CaseGraph, EdgeRows, GraphOptions};
    /// let mut ids = IdMap::new_str();
    /// let (a, b, c) = (ids.intern(Key::Str("a"))?, ids.intern(Key::Str("b"))?, ids.intern(Key::Str("c"))?);
    /// let rows = EdgeRows { source: vec![a, b, b], target: vec![b, a, c], ..Default::default() };
    /// let g = CaseGraph::build(ids, rows, None, None, GraphOptions::default())?;
    /// assert_eq!((g.number_of_nodes(), g.number_of_edges()), (3, 2));
    /// # Ok::<(), aluna_core::Error>(())
    /// ```
    pub fn build(
        nodes: IdMap,
        rows: EdgeRows,
        link_types: Option<IdMap>,
        time_kind: Option<TimeKind>,
        options: GraphOptions,
    ) -> Result<Self> {
        let n = nodes.len();
        let m = rows.len();
        ensure!(
            rows.target.len() == m
                && rows.weight.as_ref().is_none_or(|w| w.len() == m)
                && rows.count.as_ref().is_none_or(|c| c.len() == m)
                && rows.link_type.as_ref().is_none_or(|c| c.len() == m)
                && rows.time.as_ref().is_none_or(|t| t.len() == m)
                && rows.until.as_ref().is_none_or(|u| u.len() == m),
            Error::argument("edges", "edge columns differ in length")
        );
        if let Some(until) = &rows.until {
            let time = rows.time.as_ref().ok_or_else(|| {
                Error::argument("until", "link spans need a start time (`time`) too")
            })?;
            if let Some(row) = (0..m).find(|&i| until[i] < time[i]) {
                return Err(Error::bad_value(
                    "until",
                    row,
                    "a last time at or after the first time",
                    format!("{} before {}", until[row], time[row]),
                ));
            }
        }
        ensure!(
            rows.source
                .iter()
                .chain(&rows.target)
                .all(|&v| (v as usize) < n),
            Error::argument(
                "edges",
                "an edge refers to a node index outside the node table"
            )
        );
        ensure!(
            rows.link_type.is_some() == link_types.is_some(),
            Error::argument("link_type", "link-type codes and levels go together")
        );
        ensure!(
            rows.time.is_some() == time_kind.is_some(),
            Error::argument("time", "times and their kind go together")
        );
        let keep_events = options.multigraph || rows.link_type.is_some() || rows.time.is_some();
        if !keep_events {
            return crate::build::build_merged(nodes, rows, options);
        }
        let directed = options.directed;
        let pair = |i: usize| {
            let (a, b) = (rows.source[i], rows.target[i]);
            if !directed && a > b {
                (b, a)
            } else {
                (a, b)
            }
        };
        let mut order: Vec<u32> = (0..m as u32).collect();
        match &rows.time {
            Some(t) => order.par_sort_unstable_by_key(|&i| (pair(i as usize), t[i as usize], i)),
            None => order.par_sort_unstable_by_key(|&i| (pair(i as usize), i)),
        }
        let mut ends: Vec<(u32, u32)> = Vec::new();
        let mut event_offsets: Vec<u64> = Vec::new();
        for (k, &i) in order.iter().enumerate() {
            let p = pair(i as usize);
            if ends.last() != Some(&p) {
                ends.push(p);
                event_offsets.push(k as u64);
            }
        }
        event_offsets.push(m as u64);
        let edge_count = ends.len();
        ensure!(
            edge_count < u32::MAX as usize,
            Error::argument("edges", "more than 4,294,967,294 distinct links")
        );
        let permute_f64 = |v: &Vec<f64>| order.iter().map(|&i| v[i as usize]).collect::<Vec<_>>();
        let permute_u32 = |v: &Vec<u32>| order.iter().map(|&i| v[i as usize]).collect::<Vec<_>>();
        let sorted_weight = rows.weight.as_ref().map(permute_f64);
        let sorted_count = rows.count.as_ref().map(permute_u32);
        let ranges = |e: usize| event_offsets[e] as usize..event_offsets[e + 1] as usize;
        let weight = sorted_weight
            .as_ref()
            .map(|w| (0..edge_count).map(|e| w[ranges(e)].iter().sum()).collect());
        let count: Vec<u32> = (0..edge_count)
            .map(|e| match &sorted_count {
                Some(c) => c[ranges(e)].iter().sum(),
                None => ranges(e).len() as u32,
            })
            .collect();
        let count = count.iter().any(|&c| c != 1).then_some(count);
        let events = keep_events.then(|| Events {
            offsets: event_offsets.clone(),
            weight: sorted_weight,
            count: sorted_count,
            link_type: rows.link_type.as_ref().map(permute_u32),
            time: rows
                .time
                .as_ref()
                .map(|t| order.iter().map(|&i| t[i as usize]).collect()),
            until: rows
                .until
                .as_ref()
                .map(|u| order.iter().map(|&i| u[i as usize]).collect()),
        });
        let (out, incoming, first_edge) = if directed {
            (
                Csr::from_sorted_edges(n, &ends, Layout::Out),
                Some(Csr::from_sorted_edges(n, &ends, Layout::In)),
                None,
            )
        } else {
            let mut first = vec![0u64; n + 1];
            ends.iter().for_each(|&(a, _)| first[a as usize + 1] += 1);
            (1..=n).for_each(|v| first[v] += first[v - 1]);
            (
                Csr::from_sorted_edges(n, &ends, Layout::Symmetric),
                None,
                Some(first),
            )
        };
        drop(ends);
        Ok(Self {
            nodes,
            options,
            out,
            incoming,
            first_edge,
            edge_total: edge_count,
            weight,
            count,
            events,
            link_types,
            time_kind,
            roles: None,
        })
    }

    /// The user's ids, by node index.
    pub fn node_ids(&self) -> &IdMap {
        &self.nodes
    }

    /// Number of nodes.
    pub fn number_of_nodes(&self) -> usize {
        self.nodes.len()
    }

    /// Number of edges: distinct linked pairs, or observed links in a multigraph.
    pub fn number_of_edges(&self) -> usize {
        if self.options.multigraph {
            self.multiplicities().map(|m| m as usize).sum()
        } else {
            self.edge_total
        }
    }

    /// Number of distinct linked pairs (merged edges).
    pub fn number_of_pairs(&self) -> usize {
        self.edge_total
    }

    /// Whether links have a direction.
    pub fn is_directed(&self) -> bool {
        self.options.directed
    }

    /// Whether parallel links count separately.
    pub fn is_multigraph(&self) -> bool {
        self.options.multigraph
    }

    /// The options the graph was built with.
    pub fn options(&self) -> GraphOptions {
        self.options
    }

    /// Out-adjacency (the full adjacency when undirected).
    pub fn out_adjacency(&self) -> &Csr {
        &self.out
    }

    /// In-adjacency (the full adjacency when undirected).
    pub fn in_adjacency(&self) -> &Csr {
        self.incoming.as_ref().unwrap_or(&self.out)
    }

    /// Neighbours reached by following links out of `v` (all neighbours when undirected).
    #[inline]
    pub fn neighbours(&self, v: u32) -> &[u32] {
        self.out.neighbours(v)
    }

    /// The out-slots of `v` that list edges, and the id of the first.
    #[inline]
    fn listed(&self, v: u32) -> (std::ops::Range<usize>, u64) {
        let row = self.out.range(v);
        match &self.first_edge {
            None => (row.clone(), row.start as u64),
            Some(first) => {
                let k = (first[v as usize + 1] - first[v as usize]) as usize;
                (row.end - k..row.end, first[v as usize])
            }
        }
    }

    /// Every merged edge as `(edge, a, b)`, in edge order (`a <= b` when undirected).
    pub fn edges(&self) -> impl Iterator<Item = (u32, u32, u32)> + '_ {
        (0..self.nodes.len() as u32).flat_map(move |v| {
            let (slots, first) = self.listed(v);
            let start = slots.start;
            slots.map(move |s| {
                (
                    (first + (s - start) as u64) as u32,
                    v,
                    self.out.neighbours[s],
                )
            })
        })
    }

    /// The id of the edge between `a` and `b` (from `a` to `b` when directed), if any.
    pub fn edge_between(&self, a: u32, b: u32) -> Option<u32> {
        let (a, b) = if self.first_edge.is_some() && a > b {
            (b, a)
        } else {
            (a, b)
        };
        let (slots, first) = self.listed(a);
        self.out.neighbours[slots]
            .binary_search(&b)
            .ok()
            .map(|j| (first + j as u64) as u32)
    }

    /// For every out-slot (every slot when undirected), the id of its edge.
    pub fn out_slot_edges(&self) -> Vec<u32> {
        self.slot_edges(&self.out, false)
    }

    /// For every in-slot of a directed graph (every slot when undirected), the id of its edge.
    pub fn in_slot_edges(&self) -> Vec<u32> {
        match &self.incoming {
            Some(inc) => self.slot_edges(inc, true),
            None => self.out_slot_edges(),
        }
    }

    fn slot_edges(&self, csr: &Csr, reversed: bool) -> Vec<u32> {
        let mut out = vec![0u32; csr.slots()];
        let rows: Vec<(u32, &mut [u32])> = {
            let mut rest = out.as_mut_slice();
            let mut rows = Vec::with_capacity(csr.len());
            for v in 0..csr.len() as u32 {
                let (row, tail) = rest.split_at_mut(csr.range(v).len());
                rows.push((v, row));
                rest = tail;
            }
            rows
        };
        rows.into_par_iter().for_each(|(v, row)| {
            for (slot, &w) in row.iter_mut().zip(csr.neighbours(v)) {
                let (a, b) = if reversed { (w, v) } else { (v, w) };
                // invariant: every slot stands for an edge of this graph.
                *slot = self.edge_between(a, b).unwrap_or(u32::MAX);
            }
        });
        out
    }

    /// Weight of each out-slot (each slot when undirected), if the graph is weighted.
    pub fn out_slot_weights(&self) -> Option<Vec<f64>> {
        let w = self.weight.as_ref()?;
        Some(
            self.out_slot_edges()
                .into_iter()
                .map(|e| w[e as usize])
                .collect(),
        )
    }

    /// Weight of each in-slot of a directed graph (each slot when undirected), if weighted.
    pub fn in_slot_weights(&self) -> Option<Vec<f64>> {
        let w = self.weight.as_ref()?;
        Some(
            self.in_slot_edges()
                .into_iter()
                .map(|e| w[e as usize])
                .collect(),
        )
    }

    /// Merged weight per edge (the sum over its links), if the graph is weighted.
    pub fn edge_weights(&self) -> Option<&[f64]> {
        self.weight.as_deref()
    }

    /// Observed links per merged edge.
    pub fn multiplicities(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.edge_total).map(|e| self.count.as_ref().map_or(1, |c| c[e]))
    }

    /// Link-type levels, if links are typed.
    pub fn link_types(&self) -> Option<&IdMap> {
        self.link_types.as_ref()
    }

    /// How link times are stored, if links are timed.
    pub fn time_kind(&self) -> Option<&TimeKind> {
        self.time_kind.as_ref()
    }

    /// Roles of nodes, if set.
    pub fn roles(&self) -> Option<&[Role]> {
        self.roles.as_deref()
    }

    /// A copy with node roles set (one per node).
    pub fn with_roles(mut self, roles: Option<Vec<Role>>) -> Result<Self> {
        if let Some(r) = &roles {
            ensure!(
                r.len() == self.number_of_nodes(),
                Error::argument("role", "one role per node is needed")
            );
        }
        self.roles = roles;
        Ok(self)
    }

    /// The edge rows behind the graph: one per observed link when they were kept (typed, timed
    /// or multigraph), otherwise one per merged edge carrying its multiplicity.
    pub fn edge_rows(&self) -> EdgeRows {
        match &self.events {
            Some(ev) => {
                let mut source = Vec::with_capacity(ev.offsets[self.edge_total] as usize);
                let mut target = Vec::with_capacity(source.capacity());
                for (e, a, b) in self.edges() {
                    let e = e as usize;
                    let k = (ev.offsets[e + 1] - ev.offsets[e]) as usize;
                    source.extend(std::iter::repeat_n(a, k));
                    target.extend(std::iter::repeat_n(b, k));
                }
                EdgeRows {
                    source,
                    target,
                    weight: ev.weight.clone(),
                    count: ev.count.clone(),
                    link_type: ev.link_type.clone(),
                    time: ev.time.clone(),
                    until: ev.until.clone(),
                }
            }
            None => EdgeRows {
                source: self.edges().map(|(_, a, _)| a).collect(),
                target: self.edges().map(|(_, _, b)| b).collect(),
                weight: self.weight.clone(),
                count: self.count.clone(),
                link_type: None,
                time: None,
                until: None,
            },
        }
    }

    /// Per merged edge: its link-type codes (distinct, ascending) and first and last times.
    pub fn edge_link_types(&self, e: usize) -> Vec<u32> {
        let Some(ev) = &self.events else {
            return Vec::new();
        };
        let Some(types) = &ev.link_type else {
            return Vec::new();
        };
        let mut t: Vec<u32> = types[ev.offsets[e] as usize..ev.offsets[e + 1] as usize].to_vec();
        t.sort_unstable();
        t.dedup();
        t
    }

    /// First and last time an edge was seen, if links are timed (the last is the latest
    /// `until` when links are spans).
    pub fn edge_time_span(&self, e: usize) -> Option<(i64, i64)> {
        let ev = self.events.as_ref()?;
        let times = ev.time.as_ref()?;
        let range = ev.offsets[e] as usize..ev.offsets[e + 1] as usize;
        let span = &times[range.clone()];
        // Events of an edge are sorted by time.
        let first = *span.first()?;
        let last = match &ev.until {
            Some(until) => until[range].iter().copied().max()?,
            None => *span.last()?,
        };
        Some((first, last))
    }

    /// Whether links are spans `[time, until]` rather than instants.
    pub fn has_spans(&self) -> bool {
        self.events.as_ref().is_some_and(|ev| ev.until.is_some())
    }

    /// Approximate heap bytes held by the structure (adjacency, edges, attributes, ids).
    pub fn heap_bytes(&self) -> usize {
        let ev = self.events.as_ref().map_or(0, |ev| {
            ev.offsets.capacity() * 8
                + ev.weight.as_ref().map_or(0, |v| v.capacity() * 8)
                + ev.count.as_ref().map_or(0, |v| v.capacity() * 4)
                + ev.link_type.as_ref().map_or(0, |v| v.capacity() * 4)
                + ev.time.as_ref().map_or(0, |v| v.capacity() * 8)
                + ev.until.as_ref().map_or(0, |v| v.capacity() * 8)
        });
        self.out.heap_bytes()
            + self.incoming.as_ref().map_or(0, Csr::heap_bytes)
            + self.first_edge.as_ref().map_or(0, |f| f.capacity() * 8)
            + self.weight.as_ref().map_or(0, |w| w.capacity() * 8)
            + self.count.as_ref().map_or(0, |c| c.capacity() * 4)
            + ev
            + self.nodes.heap_bytes()
            + self.roles.as_ref().map_or(0, Vec::capacity)
    }
}
