//! One row per group of a partition: size, ties inside and out, density, central members.

use aluna_core::{ensure, Error, Result};

use crate::{CaseGraph, TargetFilter};

/// Options of [`group_summary`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupSummaryOptions {
    /// Also sum link weights inside and out, and rank members by internal strength.
    pub weighted: bool,
    /// How many central members to name per group.
    pub top: usize,
}

impl Default for GroupSummaryOptions {
    fn default() -> Self {
        Self {
            weighted: false,
            top: 3,
        }
    }
}

/// The facts of one group.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSummary {
    /// Members.
    pub size: usize,
    /// Linked pairs inside the group (self-loops are not ties).
    pub internal_ties: u64,
    /// Linked pairs with one member inside and one outside.
    pub external_ties: u64,
    /// Summed weight of the internal ties, when weighted.
    pub internal_weight: Option<f64>,
    /// Summed weight of the external ties, when weighted.
    pub external_weight: Option<f64>,
    /// Internal ties over possible ones (`s(s−1)/2`, or `s(s−1)` when directed); `None` for a
    /// group of one.
    pub density: Option<f64>,
    /// Up to `top` members with the most ties inside the group (the largest internal strength
    /// when weighted), ties broken by node index; members the filter leaves out are never named.
    pub central_members: Vec<u32>,
}

/// Summarise each group of a partition (`membership[v]` in `0..groups`).
///
/// Counts run over merged links (linked pairs). Central members are ranked by internal degree
/// (or strength), which is what "central in the group" means to an analyst; victims are left
/// out through `filter` ([`TargetFilter::default`]). Linear in nodes plus links; sequential.
///
/// # Example
/// ```
/// use aluna_core::ids::{IdMap, Key};
/// use aluna_graph::{group_summary, CaseGraph, EdgeRows, GraphOptions, GroupSummaryOptions,
///                   TargetFilter};
/// let mut ids = IdMap::new_int();
/// for v in 0..4 { ids.intern(Key::Int(v))?; }
/// let rows = EdgeRows { source: vec![0, 0, 1, 2], target: vec![1, 2, 2, 3], ..Default::default() };
/// let g = CaseGraph::build(ids, rows, None, None, GraphOptions::default())?;
/// let rows = group_summary(&g, &[0, 0, 0, 1], 2, &GroupSummaryOptions::default(),
///                          &TargetFilter::everyone())?;
/// assert_eq!((rows[0].size, rows[0].internal_ties, rows[0].external_ties), (3, 3, 1));
/// assert_eq!(rows[0].density, Some(1.0));
/// assert_eq!(rows[1].density, None);
/// assert_eq!(rows[0].central_members, vec![0, 1, 2]);
/// # Ok::<(), aluna_core::Error>(())
/// ```
pub fn group_summary(
    graph: &CaseGraph,
    membership: &[u32],
    groups: usize,
    options: &GroupSummaryOptions,
    filter: &TargetFilter,
) -> Result<Vec<GroupSummary>> {
    let n = graph.number_of_nodes();
    ensure!(
        membership.len() == n && membership.iter().all(|&c| (c as usize) < groups),
        Error::argument(
            "partition",
            "one group code below the number of groups per node"
        )
    );
    let weights = if options.weighted {
        Some(graph.edge_weights().ok_or_else(|| {
            Error::argument(
                "weight",
                "the graph has no weights; build it with weight=<column>",
            )
        })?)
    } else {
        None
    };
    let mut size = vec![0usize; groups];
    for &c in membership {
        size[c as usize] += 1;
    }
    let mut internal = vec![0u64; groups];
    let mut external = vec![0u64; groups];
    let mut internal_w = vec![0.0; groups];
    let mut external_w = vec![0.0; groups];
    let mut score = vec![0.0; n];
    for (e, a, b) in graph.edges() {
        if a == b {
            continue;
        }
        let w = weights.map_or(1.0, |w| w[e as usize]);
        let (ca, cb) = (
            membership[a as usize] as usize,
            membership[b as usize] as usize,
        );
        if ca == cb {
            internal[ca] += 1;
            internal_w[ca] += w;
            score[a as usize] += w;
            score[b as usize] += w;
        } else {
            external[ca] += 1;
            external[cb] += 1;
            external_w[ca] += w;
            external_w[cb] += w;
        }
    }
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); groups];
    for v in 0..n as u32 {
        if filter.allows(graph, v) {
            members[membership[v as usize] as usize].push(v);
        }
    }
    let pairs = |s: usize| {
        let s = s as f64;
        if graph.is_directed() {
            s * (s - 1.0)
        } else {
            s * (s - 1.0) / 2.0
        }
    };
    Ok((0..groups)
        .map(|c| {
            let mut central = std::mem::take(&mut members[c]);
            central.sort_by(|&a, &b| {
                score[b as usize]
                    .total_cmp(&score[a as usize])
                    .then(a.cmp(&b))
            });
            central.truncate(options.top);
            GroupSummary {
                size: size[c],
                internal_ties: internal[c],
                external_ties: external[c],
                internal_weight: weights.map(|_| internal_w[c]),
                external_weight: weights.map(|_| external_w[c]),
                density: (size[c] > 1).then(|| internal[c] as f64 / pairs(size[c])),
                central_members: central,
            }
        })
        .collect())
}
