//! Communities: Louvain and Leiden modularity optimisation, modularity of a partition, and
//! per-group summaries.

mod moves;
pub(crate) mod network;
mod summary;

use aluna_core::ids::IdMap;
use aluna_core::parallel::Cancel;
use aluna_core::random::stream;
use aluna_core::table::Table;
use aluna_core::{ensure, Error, Result};

use crate::CaseGraph;
use network::{canonical, densify, edge_values, Network};

pub use summary::{group_summary, GroupSummary, GroupSummaryOptions};

/// Which modularity optimiser [`communities`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CommunityMethod {
    /// Leiden (Traag, Waltman & van Eck 2019): Louvain with a refinement step that guarantees
    /// connected communities, repeated until the partition is stable.
    #[default]
    Leiden,
    /// Louvain (Blondel, Guillaume, Lambiotte & Lefebvre 2008).
    Louvain,
}

/// Options of [`communities`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CommunityOptions {
    /// The optimiser.
    pub method: CommunityMethod,
    /// Resolution γ of modularity: above 1 favours smaller communities, below 1 larger ones.
    pub resolution: f64,
    /// Use the graph's link weights (otherwise each linked pair weighs 1, or its number of links
    /// in a multigraph).
    pub weighted: bool,
    /// Seed of the random node orders and of Leiden's refinement.
    pub seed: u64,
    /// Leiden's refinement randomness θ, in units of link weight (igraph's `beta`).
    pub randomness: f64,
    /// Passes at most, each starting from the previous pass's partition; the search stops
    /// earlier once a pass changes nothing.
    pub max_passes: usize,
}

impl Default for CommunityOptions {
    fn default() -> Self {
        Self {
            method: CommunityMethod::Leiden,
            resolution: 1.0,
            weighted: false,
            seed: 0,
            randomness: 0.01,
            max_passes: 10,
        }
    }
}

fn check_resolution(resolution: f64) -> Result<()> {
    ensure!(
        resolution.is_finite() && resolution >= 0.0,
        Error::argument(
            "resolution",
            format!("must be a finite number >= 0, got {resolution}")
        )
    );
    Ok(())
}

/// Community of every node by modularity optimisation, numbered 0, 1, … by size, largest first
/// (ties: the community holding the earlier node comes first).
///
/// Modularity `Q = (1/2m) Σ_ij (A_ij − γ k_i k_j / 2m) δ(c_i, c_j)` (Newman & Girvan 2004;
/// resolution γ after Reichardt & Bornholdt 2006); on a directed graph its directed form
/// `Q = (1/m) Σ_ij (A_ij − γ k_i^out k_j^in / m) δ(c_i, c_j)` (Leicht & Newman 2008), as networkx
/// defines both. Louvain (Blondel et al. 2008) moves nodes to the neighbouring community of
/// largest gain until none can improve (visiting them from a queue, Traag et al. 2019's fast
/// local moving, which stops where repeated sweeps stop), then aggregates communities into
/// nodes and repeats; whole passes repeat from the previous result
/// until it is stable (iterated Louvain). Leiden (Traag, Waltman & van Eck 2019,
/// doi:10.1038/s41598-019-41695-z) moves nodes from a queue, refines each community into
/// well-connected parts before aggregating, and repeats whole passes until the partition is
/// stable (at most `max_passes`); its communities are connected.
///
/// Node moves are sequential, so the result depends on `seed` only; aggregation runs in parallel
/// with a fixed order, so it is identical for any thread count.
///
/// # Example
/// ```
/// use aluna_core::ids::{IdMap, Key};
/// use aluna_core::parallel::Cancel;
/// use aluna_graph::{communities, CaseGraph, CommunityOptions, EdgeRows, GraphOptions};
/// // Two triangles joined by one link.
/// let mut ids = IdMap::new_int();
/// for v in 0..6 { ids.intern(Key::Int(v))?; }
/// let rows = EdgeRows {
///     source: vec![0, 0, 1, 3, 3, 4, 2],
///     target: vec![1, 2, 2, 4, 5, 5, 3],
///     ..Default::default()
/// };
/// let g = CaseGraph::build(ids, rows, None, None, GraphOptions::default())?;
/// let labels = communities(&g, &CommunityOptions::default(), &Cancel::new())?;
/// assert_eq!(labels, vec![0, 0, 0, 1, 1, 1]);
/// # Ok::<(), aluna_core::Error>(())
/// ```
pub fn communities(
    graph: &CaseGraph,
    options: &CommunityOptions,
    cancel: &Cancel,
) -> Result<Vec<u32>> {
    check_resolution(options.resolution)?;
    ensure!(
        options.randomness.is_finite() && options.randomness > 0.0,
        Error::argument(
            "randomness",
            format!("must be a finite number > 0, got {}", options.randomness)
        )
    );
    ensure!(
        options.max_passes >= 1,
        Error::argument("max_passes", "must be at least 1")
    );
    let values = edge_values(graph, options.weighted)?;
    let net = Network::from_graph(graph, &values);
    let refine = matches!(options.method, CommunityMethod::Leiden);
    let membership = repeat_passes(&net, options, refine, cancel)?;
    Ok(canonical(&membership))
}

/// Repeated multilevel passes, each starting from the partition the last one reached, until a
/// pass changes nothing or `max_passes` is reached.
fn repeat_passes(
    base: &Network,
    options: &CommunityOptions,
    refine: bool,
    cancel: &Cancel,
) -> Result<Vec<u32>> {
    let mut membership: Vec<u32> = (0..base.len() as u32).collect();
    for pass in 0..options.max_passes as u64 {
        let next = multilevel_pass(base, &membership, pass, options, refine, cancel)?;
        let changed = !same_partition(&membership, &next);
        membership = next;
        if !changed {
            break;
        }
    }
    Ok(membership)
}

/// One multilevel pass from `initial` (a partition of the base network's nodes): local moving,
/// then aggregation, until a level leaves every node alone.
///
/// Louvain (`refine = false`) aggregates the communities found and restarts from singletons.
/// Leiden (`refine = true`, Traag, Waltman & van Eck 2019) first refines each community into
/// well-connected parts, aggregates the parts, and starts the next level with each part inside
/// the community that holds it.
fn multilevel_pass(
    base: &Network,
    initial: &[u32],
    pass: u64,
    options: &CommunityOptions,
    refine: bool,
    cancel: &Cancel,
) -> Result<Vec<u32>> {
    let mut membership = initial.to_vec();
    densify(&mut membership);
    let mut node_to_agg: Vec<u32> = (0..base.len() as u32).collect();
    let mut aggregated: Option<Network> = None;
    for level in 0u64.. {
        let net = aggregated.as_ref().unwrap_or(base);
        let mut rng = stream(options.seed, (pass << 32) | level);
        moves::fast_local_move(
            net,
            &mut membership,
            options.resolution,
            refine,
            &mut rng,
            cancel,
        )?;
        let k = densify(&mut membership);
        if k == net.len() {
            break;
        }
        let (parts, count, next) = if refine {
            let mut refined = moves::refine(
                net,
                &membership,
                options.resolution,
                options.randomness,
                &mut rng,
                cancel,
            )?;
            let kr = densify(&mut refined);
            if kr == net.len() {
                break;
            }
            let mut next = vec![0u32; kr];
            for (v, &r) in refined.iter().enumerate() {
                next[r as usize] = membership[v];
            }
            (refined, kr, next)
        } else {
            (membership, k, (0..k as u32).collect())
        };
        node_to_agg.iter_mut().for_each(|a| *a = parts[*a as usize]);
        aggregated = Some(net.aggregate(&parts, count, cancel)?);
        membership = next;
    }
    Ok(node_to_agg
        .iter()
        .map(|&a| membership[a as usize])
        .collect())
}

/// Nodes split into groups, as read from a table: the group labels as the user wrote them and a
/// group code per node.
#[derive(Debug, Clone)]
pub struct Partition {
    /// Group labels (integers or strings), by code.
    pub labels: IdMap,
    /// Code of each node's group, by node index.
    pub membership: Vec<u32>,
}

impl Partition {
    /// Read a partition from `table`: a row per node with its id in `node` and its group in
    /// `group`. Every node of the graph must appear exactly once.
    ///
    /// # Errors
    /// [`Error::UnknownNode`] for an id the graph does not hold, [`Error::Duplicate`] for a node
    /// listed twice, [`Error::NullValue`] for a missing group, and [`Error::InvalidArgument`]
    /// naming the first node that is not listed.
    pub fn from_table(graph: &CaseGraph, table: &Table, node: &str, group: &str) -> Result<Self> {
        let index = graph.align_nodes(table, node)?;
        let (labels, codes) = table.column(group)?.categories("a group label")?;
        let mut membership = vec![u32::MAX; graph.number_of_nodes()];
        for (&v, &c) in index.iter().zip(&codes) {
            membership[v as usize] = c;
        }
        if let Some(v) = membership.iter().position(|&c| c == u32::MAX) {
            return Err(Error::argument(
                "partition",
                format!(
                    "node {} has no `{group}`; every node of the graph needs one (the table \
                     lists {} of {} nodes)",
                    graph.node_ids().key(v),
                    index.len(),
                    graph.number_of_nodes()
                ),
            ));
        }
        Ok(Self { labels, membership })
    }
}

/// Whether two labelings describe the same partition.
fn same_partition(a: &[u32], b: &[u32]) -> bool {
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    densify(&mut a);
    densify(&mut b);
    a == b
}

/// Modularity of a partition (`membership`: a community code per node), as networkx's
/// `modularity` computes it: `Σ_c [L_c/m − γ (d_c/2m)²]` undirected, `Σ_c [L_c/m − γ d_c^out
/// d_c^in / m²]` directed, where `L_c` is the link weight inside `c` and `d_c` its summed degree.
///
/// # Example
/// ```
/// use aluna_core::ids::{IdMap, Key};
/// use aluna_graph::{modularity, CaseGraph, EdgeRows, GraphOptions};
/// let mut ids = IdMap::new_int();
/// for v in 0..4 { ids.intern(Key::Int(v))?; }
/// let rows = EdgeRows { source: vec![0, 2], target: vec![1, 3], ..Default::default() };
/// let g = CaseGraph::build(ids, rows, None, None, GraphOptions::default())?;
/// // Two separate links, each its own community: Q = 2 (1/2 − 1/4) = 1/2.
/// assert!((modularity(&g, &[0, 0, 1, 1], 1.0, false)? - 0.5).abs() < 1e-15);
/// # Ok::<(), aluna_core::Error>(())
/// ```
pub fn modularity(
    graph: &CaseGraph,
    membership: &[u32],
    resolution: f64,
    weighted: bool,
) -> Result<f64> {
    check_resolution(resolution)?;
    ensure!(
        membership.len() == graph.number_of_nodes(),
        Error::argument("partition", "one community per node is needed")
    );
    let values = edge_values(graph, weighted)?;
    let net = Network::from_graph(graph, &values);
    ensure!(
        net.total > 0.0,
        Error::NotDefined {
            what: "modularity",
            reason: "the graph has no links (or all link weights are 0)".into(),
        }
    );
    let mut dense = membership.to_vec();
    densify(&mut dense);
    Ok(net.modularity(&dense, resolution))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GraphOptions;

    pub(crate) fn graph(n: i64, edges: &[(u32, u32)], directed: bool) -> CaseGraph {
        let options = GraphOptions {
            directed,
            ..Default::default()
        };
        CaseGraph::from_index_pairs(n as u32, edges, options).unwrap()
    }

    /// `k` cliques of `size` nodes in a ring, each joined to the next by one link.
    fn ring_of_cliques(k: u32, size: u32) -> CaseGraph {
        let mut edges = Vec::new();
        for c in 0..k {
            let base = c * size;
            for i in 0..size {
                for j in i + 1..size {
                    edges.push((base + i, base + j));
                }
            }
            edges.push((base, ((c + 1) % k) * size + 1));
        }
        graph((k * size) as i64, &edges, false)
    }

    #[test]
    fn ring_of_cliques_is_found_by_both_methods() {
        let g = ring_of_cliques(8, 5);
        for method in [CommunityMethod::Louvain, CommunityMethod::Leiden] {
            let options = CommunityOptions {
                method,
                ..Default::default()
            };
            let labels = communities(&g, &options, &Cancel::new()).unwrap();
            for c in 0..8 {
                let block = &labels[c * 5..(c + 1) * 5];
                assert!(
                    block.iter().all(|&l| l == block[0]),
                    "{method:?}: {labels:?}"
                );
            }
            let distinct: std::collections::BTreeSet<_> = labels.iter().collect();
            assert_eq!(distinct.len(), 8);
            // Canonical: equal sizes, so numbered by their first node.
            assert_eq!(labels[0], 0);
            assert_eq!(labels[5], 1);
        }
    }

    #[test]
    fn modularity_of_hand_checked_partitions() {
        // A triangle and a separate link, as one community each.
        let g = graph(5, &[(0, 1), (1, 2), (0, 2), (3, 4)], false);
        let q = modularity(&g, &[0, 0, 0, 1, 1], 1.0, false).unwrap();
        // m = 4: triangle 3/4 − (6/8)², link 1/4 − (2/8)².
        let expected = 0.75 - 0.5625 + 0.25 - 0.0625;
        assert!((q - expected).abs() < 1e-15);
        // Everything in one community: Q = 1 − γ.
        let q = modularity(&g, &[0; 5], 0.5, false).unwrap();
        assert!((q - 0.5).abs() < 1e-15);
        // Directed: 0→1, 1→0 in one, 2→3 in another.
        let d = graph(4, &[(0, 1), (1, 0), (2, 3)], true);
        let q = modularity(&d, &[0, 0, 1, 1], 1.0, false).unwrap();
        let expected = (2.0 / 3.0 - 4.0 / 9.0) + (1.0 / 3.0 - 1.0 / 9.0);
        assert!((q - expected).abs() < 1e-15);
    }

    #[test]
    fn modularity_without_links_is_not_defined() {
        let g = graph(3, &[], false);
        assert!(matches!(
            modularity(&g, &[0, 1, 2], 1.0, false),
            Err(Error::NotDefined { .. })
        ));
        // Communities of an empty graph are singletons.
        let labels = communities(&g, &CommunityOptions::default(), &Cancel::new()).unwrap();
        assert_eq!(labels, vec![0, 1, 2]);
    }

    #[test]
    fn bad_resolution_is_an_argument_error() {
        let g = ring_of_cliques(3, 3);
        let options = CommunityOptions {
            resolution: f64::NAN,
            ..Default::default()
        };
        assert!(matches!(
            communities(&g, &options, &Cancel::new()),
            Err(Error::InvalidArgument {
                name: "resolution",
                ..
            })
        ));
    }

    #[test]
    fn identical_for_any_thread_count() {
        let g = ring_of_cliques(40, 6);
        for method in [CommunityMethod::Louvain, CommunityMethod::Leiden] {
            let options = CommunityOptions {
                method,
                seed: 3,
                ..Default::default()
            };
            let run = |t| {
                aluna_core::parallel::install(Some(t), || {
                    communities(&g, &options, &Cancel::new()).unwrap()
                })
                .unwrap()
            };
            assert_eq!(run(1), run(3));
        }
    }
}
