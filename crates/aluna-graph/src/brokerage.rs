//! Gould–Fernandez brokerage roles on directed graphs.

use aluna_core::parallel::{ordered_map, Cancel};
use aluna_core::{ensure, Error, Result};

use crate::CaseGraph;

/// The five brokerage roles of Gould & Fernandez (1989), for a broker `b` on a two-step path
/// `a → b → c` where `a` has no direct link to `c`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BrokerageRole {
    /// `a`, `b`, `c` all in one group (sna's `w_I`).
    Coordinator,
    /// `a` and `c` in one group, `b` outside it: consultant (sna's `w_O`).
    Itinerant,
    /// `a` in `b`'s group, `c` outside: `b` speaks for its group (sna's `b_IO`).
    Representative,
    /// `c` in `b`'s group, `a` outside: `b` controls what enters its group (sna's `b_OI`).
    Gatekeeper,
    /// `a`, `b`, `c` in three different groups (sna's `b_O`).
    Liaison,
}

impl BrokerageRole {
    /// The roles in sna's column order.
    pub const ALL: [BrokerageRole; 5] = [
        BrokerageRole::Coordinator,
        BrokerageRole::Itinerant,
        BrokerageRole::Representative,
        BrokerageRole::Gatekeeper,
        BrokerageRole::Liaison,
    ];

    /// The role's name as users write it.
    pub fn name(self) -> &'static str {
        match self {
            BrokerageRole::Coordinator => "coordinator",
            BrokerageRole::Itinerant => "itinerant",
            BrokerageRole::Representative => "representative",
            BrokerageRole::Gatekeeper => "gatekeeper",
            BrokerageRole::Liaison => "liaison",
        }
    }

    /// The role of `b` on `a → b → c`, given the three groups.
    #[inline]
    pub fn of(a: u32, b: u32, c: u32) -> Self {
        if a == b {
            if b == c {
                BrokerageRole::Coordinator
            } else {
                BrokerageRole::Representative
            }
        } else if b == c {
            BrokerageRole::Gatekeeper
        } else if a == c {
            BrokerageRole::Itinerant
        } else {
            BrokerageRole::Liaison
        }
    }
}

/// One node's brokerage: counts per role and in total (index 5), with their expected values and
/// standard deviations under sna's null model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BrokerageScores {
    /// Two-step paths brokered, per role in [`BrokerageRole::ALL`] order, then the total.
    pub count: [u64; 6],
    /// Expected counts if links fell at random with the graph's density.
    pub expected: [f64; 6],
    /// Standard deviations of the counts under that model.
    pub std_dev: [f64; 6],
}

impl BrokerageScores {
    /// `(count − expected) / std_dev`, or `None` where the deviation is 0.
    pub fn z(&self, i: usize) -> Option<f64> {
        let sd = self.std_dev[i];
        (sd > 0.0 && sd.is_finite()).then(|| (self.count[i] as f64 - self.expected[i]) / sd)
    }
}

/// Gould–Fernandez brokerage of every node of a directed graph, with `group[v]` a group code per
/// node.
///
/// A node `b` brokers each ordered pair `(a, c)` with links `a → b → c`, `a ≠ c`, and no link
/// `a → c`; the pair's groups decide the role ([`BrokerageRole`]). Self-loops are ignored.
/// Expected counts and standard deviations follow R `sna::brokerage` (Butts), which treats
/// links as independent with probability `d` = the density (arcs without self-loops over
/// `N(N−1)`): for a node in a group of `n_g` members, e.g. coordinator `E = d²(1−d)(n_g−1)(n_g−2)`.
///
/// Gould, R. V. & Fernandez, R. M. (1989). Structures of mediation: a formal approach to brokerage
/// in transaction networks. *Sociological Methodology* 19:89–126, doi:10.2307/270949.
/// Parallel over brokers; identical for any thread count.
///
/// # Errors
/// [`Error::NotDefined`] on an undirected graph (brokerage roles need the direction of flow;
/// constraint and betweenness are the brokerage measures for undirected links).
///
/// # Example
/// ```
/// use aluna_core::ids::{IdMap, Key};
/// use aluna_core::parallel::Cancel;
/// use aluna_graph::{brokerage, CaseGraph, EdgeRows, GraphOptions};
/// // 0 → 1 → 2 with 0, 1 in group 0 and 2 in group 1: node 1 is a representative.
/// let mut ids = IdMap::new_int();
/// for v in 0..3 { ids.intern(Key::Int(v))?; }
/// let rows = EdgeRows { source: vec![0, 1], target: vec![1, 2], ..Default::default() };
/// let g = CaseGraph::build(ids, rows, None, None, GraphOptions { directed: true, ..Default::default() })?;
/// let b = brokerage(&g, &[0, 0, 1], &Cancel::new())?;
/// assert_eq!(b[1].count, [0, 0, 1, 0, 0, 1]);
/// # Ok::<(), aluna_core::Error>(())
/// ```
pub fn brokerage(
    graph: &CaseGraph,
    group: &[u32],
    cancel: &Cancel,
) -> Result<Vec<BrokerageScores>> {
    ensure!(
        graph.is_directed(),
        Error::NotDefined {
            what: "Gould–Fernandez brokerage",
            reason: "its roles need the direction of flow (who passes to whom) and this graph is \
                     undirected; use constraint() or betweenness(), the brokerage measures for \
                     undirected links, or build the graph with directed=True"
                .into(),
        }
    );
    let n = graph.number_of_nodes();
    ensure!(
        group.len() == n,
        Error::argument("group", "one group per node is needed")
    );
    let out = graph.out_adjacency();
    let inc = graph.in_adjacency();
    let arcs = graph.edges().filter(|&(_, a, b)| a != b).count();
    let counts: Vec<[u64; 6]> = ordered_map(
        n,
        cancel,
        || (),
        |b, _| {
            let b = b as u32;
            let mut count = [0u64; 6];
            for &a in inc.neighbours(b) {
                if a == b {
                    continue;
                }
                let reach = out.neighbours(a);
                for &c in out.neighbours(b) {
                    if c == b || c == a || reach.binary_search(&c).is_ok() {
                        continue;
                    }
                    let role =
                        BrokerageRole::of(group[a as usize], group[b as usize], group[c as usize]);
                    count[role as usize] += 1;
                    count[5] += 1;
                }
            }
            count
        },
    )?;
    let groups = group.iter().map(|&g| g as usize + 1).max().unwrap_or(0);
    let mut size = vec![0f64; groups];
    for &g in group {
        size[g as usize] += 1.0;
    }
    let model = NullModel::new(n as f64, arcs as f64, &size);
    let per_group: Vec<([f64; 6], [f64; 6])> = (0..groups).map(|g| model.moments(g)).collect();
    Ok(counts
        .into_iter()
        .zip(group)
        .map(|(count, &g)| {
            let (expected, variance) = per_group[g as usize];
            BrokerageScores {
                count,
                expected,
                std_dev: variance.map(|v| v.max(0.0).sqrt()),
            }
        })
        .collect())
}

/// sna's null model: links independent with probability `d`.
struct NullModel<'a> {
    n: f64,
    d: f64,
    size: &'a [f64],
}

fn choose2(x: f64) -> f64 {
    x * (x - 1.0) / 2.0
}

impl<'a> NullModel<'a> {
    fn new(n: f64, arcs: f64, size: &'a [f64]) -> Self {
        let d = if n > 1.0 { arcs / (n * (n - 1.0)) } else { 0.0 };
        Self { n, d, size }
    }

    /// Expected counts and variances for a broker in group `g`, per role and in total.
    fn moments(&self, g: usize) -> ([f64; 6], [f64; 6]) {
        let (n, d) = (self.n, self.d);
        let ng = self.size[g];
        let p2 = d * d * (1.0 - d);
        let p3 = d.powi(3) * (1.0 - d).powi(3);
        let others = || {
            self.size
                .iter()
                .enumerate()
                .filter(move |&(h, &s)| h != g && s > 0.0)
                .map(|(_, &s)| s)
        };
        let mut e = [0.0; 6];
        let mut v = [0.0; 6];
        e[0] = p2 * (ng - 1.0) * (ng - 2.0);
        v[0] = e[0] * (1.0 - p2) + 2.0 * (ng - 1.0) * (ng - 2.0) * (ng - 3.0) * p3;
        e[1] = p2 * others().map(|s| s * (s - 1.0)).sum::<f64>();
        v[1] =
            e[1] * (1.0 - p2) + 2.0 * others().map(|s| s * (s - 1.0) * (s - 2.0)).sum::<f64>() * p3;
        e[2] = p2 * (n - ng) * (ng - 1.0);
        v[2] = e[2] * (1.0 - p2)
            + 2.0 * ((ng - 1.0) * choose2(n - ng) + (n - ng) * choose2(ng - 1.0)) * p3;
        e[3] = e[2];
        v[3] = v[2];
        let sum: f64 = others().sum();
        let squares: f64 = others().map(|s| s * s).sum();
        e[4] = p2 * (sum * sum - squares);
        v[4] =
            e[4] * (1.0 - p2) + 4.0 * others().map(|s| s * choose2(n - s - ng)).sum::<f64>() * p3;
        e[5] = p2 * (n - 1.0) * (n - 2.0);
        v[5] = e[5] * (1.0 - p2) + 2.0 * (n - 1.0) * (n - 2.0) * (n - 3.0) * p3;
        (e, v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GraphOptions;

    fn digraph(n: i64, edges: &[(u32, u32)], directed: bool) -> CaseGraph {
        let options = GraphOptions {
            directed,
            ..Default::default()
        };
        CaseGraph::from_index_pairs(n as u32, edges, options).unwrap()
    }

    /// Gould & Fernandez's five configurations, one broker (node 0, group B) per role.
    #[test]
    fn five_configurations_of_gould_and_fernandez() {
        // Groups: 0 = B (broker's), 1 = A, 2 = C.
        // coordinator:    1(B) → 0 → 2(B)
        // itinerant:      3(A) → 0 → 4(A)
        // representative: 1(B) → 0 → 5(C)   (also 1 → 0 → 4: B → B → A, representative)
        // Keep it simple: count every pair and check against a hand tally.
        let groups = [0, 0, 0, 1, 1, 2];
        let edges = [(1, 0), (0, 2), (3, 0), (0, 4), (0, 5)];
        let g = digraph(6, &edges, true);
        let b = brokerage(&g, &groups, &Cancel::new()).unwrap();
        // In-neighbours of 0: 1 (B), 3 (A). Out-neighbours: 2 (B), 4 (A), 5 (C).
        // 1→0→2 coordinator; 1→0→4 representative; 1→0→5 representative;
        // 3→0→2 gatekeeper; 3→0→4 itinerant; 3→0→5 liaison.
        assert_eq!(b[0].count, [1, 1, 2, 1, 1, 6]);
        // A direct link 3 → 4 removes the itinerant path.
        let mut closed = edges.to_vec();
        closed.push((3, 4));
        let b = brokerage(&digraph(6, &closed, true), &groups, &Cancel::new()).unwrap();
        assert_eq!(b[0].count, [1, 0, 2, 1, 1, 5]);
    }

    #[test]
    fn undirected_graph_is_not_defined() {
        let g = digraph(3, &[(0, 1), (1, 2)], false);
        let err = brokerage(&g, &[0, 0, 0], &Cancel::new()).unwrap_err();
        assert!(err.to_string().contains("constraint() or betweenness()"));
    }
}
