//! Which people a ranking may name: the one place where victims are kept out of target lists.
//!
//! Victims and their relatives often share phones and accounts with offenders, so in a case-link
//! graph they can look like brokers or key players. Every ranking meant to point at people (key
//! players, brokers, the central members of a group, the "top" of a centrality, disruption
//! strategies) asks a [`TargetFilter`] which nodes it may name. Victims stay in the graph — they
//! still count as the ends of paths, the members of groups, the nodes a removal disconnects — they
//! are only never returned as targets.

use aluna_core::{ensure, Error, Result};

use crate::{CaseGraph, Role};

/// The roles a ranking meant to target people leaves out. The default leaves out victims.
///
/// A graph without roles has every node eligible.
///
/// # Example
/// ```
/// use aluna_core::ids::{IdMap, Key};
/// use aluna_graph::{CaseGraph, EdgeRows, GraphOptions, Role, TargetFilter};
/// let mut ids = IdMap::new_int();
/// for v in 0..3 { ids.intern(Key::Int(v))?; }
/// let rows = EdgeRows { source: vec![0, 1], target: vec![1, 2], ..Default::default() };
/// let g = CaseGraph::build(ids, rows, None, None, GraphOptions::default())?
///     .with_roles(Some(vec![Role::Offender, Role::Victim, Role::Suspect]))?;
/// let filter = TargetFilter::default();
/// assert_eq!(filter.eligible(&g), vec![true, false, true]);
/// // Rank by a score, highest first: the victim (node 1, score 9) is never named.
/// assert_eq!(filter.rank(&g, &[Some(1.0), Some(9.0), Some(2.0)], None)?, vec![2, 0]);
/// assert_eq!(TargetFilter::everyone().rank(&g, &[Some(1.0), Some(9.0), None], Some(1))?, vec![1]);
/// # Ok::<(), aluna_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetFilter {
    exclude: Vec<Role>,
}

impl Default for TargetFilter {
    fn default() -> Self {
        Self {
            exclude: vec![Role::Victim],
        }
    }
}

impl TargetFilter {
    /// Leave out nodes with any of these roles (order and repeats do not matter).
    pub fn excluding(roles: impl IntoIterator<Item = Role>) -> Self {
        let mut exclude: Vec<Role> = roles.into_iter().collect();
        exclude.sort_unstable();
        exclude.dedup();
        Self { exclude }
    }

    /// Leave nobody out.
    pub fn everyone() -> Self {
        Self::excluding([])
    }

    /// Parse role names as users write them (`"victim"`, `"Witness"` …).
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Result<Self> {
        let roles = names
            .iter()
            .map(|s| Role::parse(s.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self::excluding(roles))
    }

    /// The roles left out, ascending.
    pub fn excluded_roles(&self) -> &[Role] {
        &self.exclude
    }

    /// The names of the roles left out, ascending (for messages).
    pub fn excluded_role_names(&self) -> Vec<&'static str> {
        self.exclude.iter().map(|r| r.name()).collect()
    }

    /// Whether node `v` may be named.
    #[inline]
    pub fn allows(&self, graph: &CaseGraph, v: u32) -> bool {
        match graph.roles() {
            None => true,
            Some(roles) => !self.exclude.contains(&roles[v as usize]),
        }
    }

    /// Per node, whether it may be named.
    pub fn eligible(&self, graph: &CaseGraph) -> Vec<bool> {
        (0..graph.number_of_nodes() as u32)
            .map(|v| self.allows(graph, v))
            .collect()
    }

    /// The eligible nodes, ascending.
    pub fn candidates(&self, graph: &CaseGraph) -> Vec<u32> {
        (0..graph.number_of_nodes() as u32)
            .filter(|&v| self.allows(graph, v))
            .collect()
    }

    /// Eligible nodes ranked by `scores` (one per node; `None` is not ranked), highest first,
    /// ties by node index; at most `top` of them. A NaN score is an error naming the node.
    pub fn rank(
        &self,
        graph: &CaseGraph,
        scores: &[Option<f64>],
        top: Option<usize>,
    ) -> Result<Vec<u32>> {
        ensure!(
            scores.len() == graph.number_of_nodes(),
            Error::argument("scores", "one score per node is needed")
        );
        if let Some(v) = scores.iter().position(|s| s.is_some_and(f64::is_nan)) {
            return Err(Error::argument(
                "scores",
                format!(
                    "node {} has a NaN score; scores must be numbers",
                    graph.node_ids().key(v)
                ),
            ));
        }
        let mut order: Vec<(u32, f64)> = self
            .candidates(graph)
            .into_iter()
            .filter_map(|v| scores[v as usize].map(|s| (v, s)))
            .collect();
        order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        if let Some(k) = top {
            order.truncate(k);
        }
        Ok(order.into_iter().map(|(v, _)| v).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aluna_core::ids::{IdMap, Key};

    fn path(roles: Option<Vec<Role>>) -> CaseGraph {
        let mut ids = IdMap::new_int();
        for v in 0..4 {
            ids.intern(Key::Int(v)).unwrap();
        }
        let rows = crate::EdgeRows {
            source: vec![0, 1, 2],
            target: vec![1, 2, 3],
            ..Default::default()
        };
        CaseGraph::build(ids, rows, None, None, crate::GraphOptions::default())
            .unwrap()
            .with_roles(roles)
            .unwrap()
    }

    #[test]
    fn without_roles_everyone_is_eligible() {
        let g = path(None);
        assert_eq!(TargetFilter::default().candidates(&g), vec![0, 1, 2, 3]);
    }

    #[test]
    fn names_parse_and_rank_skips_excluded() {
        let g = path(Some(vec![
            Role::Victim,
            Role::Witness,
            Role::Offender,
            Role::Unknown,
        ]));
        let f = TargetFilter::from_names(&["victim", " WITNESS "]).unwrap();
        assert_eq!(f.excluded_roles(), &[Role::Victim, Role::Witness]);
        assert_eq!(
            f.rank(&g, &[Some(5.0), Some(4.0), Some(1.0), Some(1.0)], None)
                .unwrap(),
            vec![2, 3]
        );
        assert!(TargetFilter::from_names(&["boss"]).is_err());
        assert!(f
            .rank(&g, &[Some(f64::NAN), None, None, None], None)
            .is_err());
    }
}
