//! Subgraphs by node set, link type and time window.

use aluna_core::ids::IdMap;
use aluna_core::{ensure, Error, Result};

use crate::{CaseGraph, EdgeRows};

/// What a [`CaseGraph::subgraph`] keeps. Unset fields keep everything.
#[derive(Debug, Clone, Default)]
pub struct SubgraphFilter {
    /// Node indices to keep (the subgraph they induce); order and repeats do not matter.
    pub nodes: Option<Vec<u32>>,
    /// Link-type codes to keep; an edge keeps only its links of these types.
    pub link_types: Option<Vec<u32>>,
    /// Keep links seen at or after this time.
    pub start: Option<i64>,
    /// Keep links seen before this time (the window is half-open, `[start, end)`).
    pub end: Option<i64>,
}

impl CaseGraph {
    /// The graph restricted to some nodes, link types and a time window.
    ///
    /// Links are filtered one observation at a time (an edge seen in March and in June keeps only
    /// its March links in a March window) and merged again; a link seen over a span
    /// `[time, until]` is kept whole when the span overlaps the window. Without `nodes`, every node is kept,
    /// isolated or not, so snapshots of one graph share their node set.
    pub fn subgraph(&self, filter: &SubgraphFilter) -> Result<CaseGraph> {
        let rows = self.edge_rows();
        if filter.link_types.is_some() {
            ensure!(
                rows.link_type.is_some(),
                Error::argument(
                    "link_types",
                    "the graph's links have no type; build it with link_type=<column>"
                )
            );
        }
        if filter.start.is_some() || filter.end.is_some() {
            ensure!(
                rows.time.is_some(),
                Error::argument(
                    "start",
                    "the graph's links have no time; build it with time=<column>"
                )
            );
        }
        if let (Some(s), Some(e)) = (filter.start, filter.end) {
            ensure!(
                s < e,
                Error::argument("end", "the window is empty: end must be after start")
            );
        }
        let n = self.number_of_nodes();
        // New index of each old node, or u32::MAX when dropped.
        let (nodes, remap, roles) = match &filter.nodes {
            None => (self.nodes.clone(), None, self.roles.clone()),
            Some(keep) => {
                let mut kept = vec![false; n];
                for &v in keep {
                    ensure!(
                        (v as usize) < n,
                        Error::argument("nodes", "a node index is out of range")
                    );
                    kept[v as usize] = true;
                }
                let mut ids = IdMap::new(self.nodes.kind());
                let mut remap = vec![u32::MAX; n];
                for v in (0..n).filter(|&v| kept[v]) {
                    remap[v] = ids.intern(self.nodes.key(v))?;
                }
                let roles = self
                    .roles
                    .as_ref()
                    .map(|r| (0..n).filter(|&v| kept[v]).map(|v| r[v]).collect());
                (ids, Some(remap), roles)
            }
        };
        let keep_type = filter.link_types.as_ref().map(|types| {
            let mut t = types.clone();
            t.sort_unstable();
            t
        });
        let keep = |i: usize| -> bool {
            if let Some(remap) = &remap {
                if remap[rows.source[i] as usize] == u32::MAX
                    || remap[rows.target[i] as usize] == u32::MAX
                {
                    return false;
                }
            }
            if let (Some(types), Some(codes)) = (&keep_type, &rows.link_type) {
                if types.binary_search(&codes[i]).is_err() {
                    return false;
                }
            }
            if let Some(t) = &rows.time {
                // A span [time, until] is kept when it overlaps the window.
                let last = rows.until.as_ref().map_or(t[i], |u| u[i]);
                if filter.start.is_some_and(|s| last < s) || filter.end.is_some_and(|e| t[i] >= e) {
                    return false;
                }
            }
            true
        };
        let kept: Vec<usize> = (0..rows.len()).filter(|&i| keep(i)).collect();
        let map = |v: u32| remap.as_ref().map_or(v, |r| r[v as usize]);
        let pick_u32 = |v: &Vec<u32>| kept.iter().map(|&i| v[i]).collect::<Vec<_>>();
        let sub = EdgeRows {
            source: kept.iter().map(|&i| map(rows.source[i])).collect(),
            target: kept.iter().map(|&i| map(rows.target[i])).collect(),
            weight: rows
                .weight
                .as_ref()
                .map(|w| kept.iter().map(|&i| w[i]).collect()),
            count: rows.count.as_ref().map(pick_u32),
            link_type: rows.link_type.as_ref().map(pick_u32),
            time: rows
                .time
                .as_ref()
                .map(|t| kept.iter().map(|&i| t[i]).collect()),
            until: rows
                .until
                .as_ref()
                .map(|u| kept.iter().map(|&i| u[i]).collect()),
        };
        CaseGraph::build(
            nodes,
            sub,
            self.link_types.clone(),
            self.time_kind.clone(),
            self.options,
        )?
        .with_roles(roles)
    }
}
