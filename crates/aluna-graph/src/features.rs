//! Per-node network features for risk models: one row per person with the standard measures,
//! optionally computed only from the links seen before a cutoff (each person's own, if need be),
//! so that predictors never leak what happened after the prediction date.

use aluna_core::parallel::Cancel;
use aluna_core::{ensure, Error, Result};
use rayon::prelude::*;

use crate::centrality::{
    approximate_betweenness, articulation_points, betweenness, closeness, clustering, core_number,
    eigenvector, harmonic, pagerank, BetweennessOptions, ClosenessOptions, PageRankOptions,
    SamplingOptions, SpectralOptions,
};
use crate::{
    communities, connected_components, constraint, degree, effective_size, strength,
    strongly_connected_components, CaseGraph, CommunityOptions, Direction, EdgeRows, GraphOptions,
    StructuralHoleOptions, SubgraphFilter,
};

/// Options of [`node_features`] and [`node_features_as_of`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeatureOptions {
    /// Read the graph's weights as tie strengths: adds `strength` and weighs PageRank,
    /// eigenvector, clustering, constraint, effective size and communities. Path measures
    /// (betweenness, closeness, harmonic) always count links.
    pub weighted: bool,
    /// Exact betweenness (Brandes) up to this many nodes; above, Riondato–Kornaropoulos sampling
    /// with `epsilon` and `delta`.
    pub exact_betweenness_limit: usize,
    /// Accuracy of sampled betweenness (normalised scale).
    pub epsilon: f64,
    /// Probability that some sampled betweenness misses by more than `epsilon`.
    pub delta: f64,
    /// Seed of the communities and of sampled betweenness.
    pub seed: u64,
    /// Modularity resolution of the communities.
    pub resolution: f64,
}

impl Default for FeatureOptions {
    fn default() -> Self {
        Self {
            weighted: false,
            exact_betweenness_limit: 10_000,
            epsilon: 0.01,
            delta: 0.1,
            seed: 0,
            resolution: 1.0,
        }
    }
}

/// One person's features.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeatureRow {
    /// Node index.
    pub node: u32,
    /// Links (networkx's degree: a self-loop counts twice; every link of a multigraph).
    pub degree: u64,
    /// Summed link weight (when weighted).
    pub strength: Option<f64>,
    /// Normalised betweenness.
    pub betweenness: f64,
    /// Closeness (Wasserman–Faust corrected).
    pub closeness: f64,
    /// Harmonic centrality.
    pub harmonic: f64,
    /// Eigenvector centrality within the largest component; none outside it.
    pub eigenvector: Option<f64>,
    /// PageRank.
    pub pagerank: f64,
    /// Core number.
    pub core_number: u32,
    /// Local clustering coefficient.
    pub clustering: f64,
    /// Burt's constraint (none without contacts).
    pub constraint: Option<f64>,
    /// Burt's effective size (none without contacts).
    pub effective_size: Option<f64>,
    /// People in the node's connected component (weakly connected when directed).
    pub component_size: u64,
    /// Community label (0 = largest community of this graph).
    pub community: u32,
    /// People in the node's community.
    pub community_size: u64,
    /// Whether removing the node splits its component (links taken as undirected).
    pub articulation_point: bool,
}

/// The outcome of [`node_features`] and [`node_features_as_of`].
#[derive(Debug, Clone, PartialEq)]
pub struct NodeFeatures {
    /// One row per node (in node order), or per requested row.
    pub rows: Vec<FeatureRow>,
    /// Whether betweenness is exact (otherwise sampled).
    pub betweenness_exact: bool,
}

/// Sizes of the groups of `labels` (dense labels `0..k`), per node.
fn group_sizes(labels: &[u32]) -> Vec<u64> {
    let k = labels.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
    let mut size = vec![0u64; k];
    labels.iter().for_each(|&c| size[c as usize] += 1);
    labels.iter().map(|&c| size[c as usize]).collect()
}

/// Eigenvector centrality of the nodes of the largest component (strongly connected when
/// directed; ties: the one holding the earliest node); none elsewhere, and none at all when that
/// component has fewer than two nodes or no positive links.
fn eigenvector_of_largest_component(
    graph: &CaseGraph,
    weighted: bool,
    cancel: &Cancel,
) -> Result<Vec<Option<f64>>> {
    let n = graph.number_of_nodes();
    let labels = if graph.is_directed() {
        strongly_connected_components(graph)?
    } else {
        connected_components(graph)
    };
    let members: Vec<u32> = (0..n as u32).filter(|&v| labels[v as usize] == 0).collect();
    let mut out = vec![None; n];
    if members.len() < 2 {
        return Ok(out);
    }
    let sub = graph.subgraph(&SubgraphFilter {
        nodes: Some(members.clone()),
        ..Default::default()
    })?;
    let options = SpectralOptions {
        weighted,
        ..Default::default()
    };
    match eigenvector(&sub, &options, cancel) {
        Ok(x) => {
            // The subgraph numbers its nodes in ascending order of the originals.
            for (&v, value) in members.iter().zip(x) {
                out[v as usize] = Some(value);
            }
            Ok(out)
        }
        // Weighted, the component may hold zero-weight links only in places.
        Err(Error::NotDefined { .. }) => Ok(vec![None; n]),
        Err(err) => Err(err),
    }
}

/// The graph with links taken as undirected and unweighted (for articulation points).
fn undirected(graph: &CaseGraph) -> Result<CaseGraph> {
    let (source, target) = graph.edges().map(|(_, a, b)| (a, b)).unzip();
    let rows = EdgeRows {
        source,
        target,
        ..Default::default()
    };
    CaseGraph::build(
        graph.node_ids().clone(),
        rows,
        None,
        None,
        GraphOptions::default(),
    )
}

/// The standard network features of every node, in node order: degree (and strength), normalised
/// betweenness, closeness, harmonic centrality, eigenvector centrality, PageRank, core number,
/// clustering, Burt's constraint and effective size, component size, community and community
/// size, and whether the node is an articulation point. Each equals the measure of the same name
/// (networkx's semantics), with these choices:
///
/// - betweenness is exact (Brandes 2001) up to `exact_betweenness_limit` nodes and sampled above
///   (Riondato & Kornaropoulos 2016, within `epsilon` of the exact value with probability
///   `1 − delta`, seeded);
/// - eigenvector centrality is well posed only on a connected graph (strongly connected when
///   directed): on a disconnected one the leading eigenvector is not unique, and values of
///   different components would not be comparable (each scaled to unit norm on its own). It is
///   computed on the largest component (ties: the one holding the earliest node) and is `None`
///   elsewhere, and everywhere when that component has fewer than two nodes;
/// - closeness and harmonic centrality are exact (one breadth-first search per node, `O(n m)`);
/// - communities are Leiden's (seeded), labelled 0 for the largest;
/// - articulation points take links as undirected.
///
/// Parallel inside each measure; identical for any number of threads.
///
/// # Errors
/// `InvalidArgument` when `weighted` and the graph has no weights, or for bad sampling or
/// resolution settings; `NotConverged` if an iterative measure fails to converge; `Cancelled`.
///
/// # Example
/// ```
/// use aluna_core::ids::{IdMap, Key};
/// use aluna_core::parallel::Cancel;
/// use aluna_graph::{node_features, CaseGraph, EdgeRows, FeatureOptions, GraphOptions};
/// // A path 0 - 1 - 2 and an isolated node 3.
/// let mut ids = IdMap::new_int();
/// for v in 0..4 { ids.intern(Key::Int(v))?; }
/// let rows = EdgeRows { source: vec![0, 1], target: vec![1, 2], ..Default::default() };
/// let g = CaseGraph::build(ids, rows, None, None, GraphOptions::default())?;
/// let f = node_features(&g, &FeatureOptions::default(), &Cancel::new())?;
/// assert_eq!(f.rows[1].degree, 2);
/// assert!(f.rows[1].articulation_point);
/// assert_eq!(f.rows[1].component_size, 3);
/// assert_eq!(f.rows[3].eigenvector, None); // outside the largest component
/// assert_eq!(f.rows[3].constraint, None); // no contacts
/// # Ok::<(), aluna_core::Error>(())
/// ```
pub fn node_features(
    graph: &CaseGraph,
    options: &FeatureOptions,
    cancel: &Cancel,
) -> Result<NodeFeatures> {
    let n = graph.number_of_nodes();
    let weighted = options.weighted;
    let degree = degree(graph, Direction::All)?;
    let strength = if weighted {
        Some(strength(graph, Direction::All)?)
    } else {
        None
    };
    let betweenness_exact = n <= options.exact_betweenness_limit;
    let betweenness = if betweenness_exact {
        betweenness(graph, &BetweennessOptions::default(), cancel)?
    } else {
        let sampling = SamplingOptions {
            epsilon: options.epsilon,
            delta: options.delta,
            seed: options.seed,
            normalized: true,
            weighted: false,
        };
        approximate_betweenness(graph, &sampling, cancel)?.values
    };
    let closeness = closeness(graph, &ClosenessOptions::default(), cancel)?;
    let harmonic = harmonic(graph, &ClosenessOptions::default(), cancel)?;
    let eigenvector = eigenvector_of_largest_component(graph, weighted, cancel)?;
    let pagerank = pagerank(
        graph,
        &PageRankOptions {
            weighted,
            ..Default::default()
        },
        cancel,
    )?;
    let core = core_number(graph);
    let clustering = clustering(graph, weighted, cancel)?;
    let holes = StructuralHoleOptions { weighted };
    let constraint = constraint(graph, &holes, cancel)?;
    let effective = effective_size(graph, &holes, cancel)?;
    let component_size = group_sizes(&connected_components(graph));
    let community = communities(
        graph,
        &CommunityOptions {
            resolution: options.resolution,
            weighted,
            seed: options.seed,
            ..Default::default()
        },
        cancel,
    )?;
    let community_size = group_sizes(&community);
    let cut = if graph.is_directed() {
        articulation_points(&undirected(graph)?)?
    } else {
        articulation_points(graph)?
    };
    cancel.check()?;
    let rows = (0..n)
        .map(|v| FeatureRow {
            node: v as u32,
            degree: degree[v],
            strength: strength.as_ref().map(|s| s[v]),
            betweenness: betweenness[v],
            closeness: closeness[v],
            harmonic: harmonic[v],
            eigenvector: eigenvector[v],
            pagerank: pagerank[v],
            core_number: core[v],
            clustering: clustering[v],
            constraint: constraint[v],
            effective_size: effective[v],
            component_size: component_size[v],
            community: community[v],
            community_size: community_size[v],
            articulation_point: cut[v],
        })
        .collect();
    Ok(NodeFeatures {
        rows,
        betweenness_exact,
    })
}

/// The features of [`node_features`] for given people, each computed only from the links seen
/// before that person's own time (`times[i]` for `nodes[i]`, in the graph's time units): the
/// graph of [`CaseGraph::subgraph`] with `end = times[i]` (links first seen at or after the cutoff
/// are left out; a link seen over a span counts when it began before the cutoff), over all nodes.
/// Rows come in the order given.
///
/// People are grouped by their time: each distinct time costs one subgraph (`O(m log m)`) and one
/// run of every feature on it (dominated by betweenness, `O(n m)` exact), so the cost is that of
/// [`node_features`] times the number of distinct times; rounding times (to a month, say) bounds
/// it. Groups run in parallel (each measure parallel inside), the rows are assembled in the order
/// given: identical for any number of threads. Community labels come from each group's own graph,
/// so they identify groups only among people with the same time.
///
/// # Errors
/// `InvalidArgument` when the graph's links have no time, or `nodes` and `times` differ in length;
/// those of [`node_features`].
///
/// # Example
/// ```
/// use aluna_core::ids::{IdMap, Key};
/// use aluna_core::parallel::Cancel;
/// use aluna_core::table::TimeKind;
/// use aluna_graph::{node_features_as_of, CaseGraph, EdgeRows, FeatureOptions, GraphOptions};
/// // 0 - 1 seen at time 10, 1 - 2 at time 20.
/// let mut ids = IdMap::new_int();
/// for v in 0..3 { ids.intern(Key::Int(v))?; }
/// let rows = EdgeRows { source: vec![0, 1], target: vec![1, 2], time: Some(vec![10, 20]), ..Default::default() };
/// let g = CaseGraph::build(ids, rows, None, Some(TimeKind::Integer), GraphOptions::default())?;
/// // Node 1 as of time 15 knows only its link to 0; as of 25, both.
/// let f = node_features_as_of(&g, &[1, 1, 2], &[15, 25, 20], &FeatureOptions::default(), &Cancel::new())?;
/// assert_eq!(f.rows.iter().map(|r| r.degree).collect::<Vec<_>>(), vec![1, 2, 0]);
/// # Ok::<(), aluna_core::Error>(())
/// ```
pub fn node_features_as_of(
    graph: &CaseGraph,
    nodes: &[u32],
    times: &[i64],
    options: &FeatureOptions,
    cancel: &Cancel,
) -> Result<NodeFeatures> {
    ensure!(
        nodes.len() == times.len(),
        Error::argument("as_of", "one time per node is needed")
    );
    ensure!(
        graph.time_kind().is_some(),
        Error::argument(
            "as_of",
            "the graph's links have no time; build it with time=<column>"
        )
    );
    let n = graph.number_of_nodes();
    ensure!(
        nodes.iter().all(|&v| (v as usize) < n),
        Error::argument("nodes", "a node index is out of range")
    );
    // Rows grouped by time, ascending.
    let mut order: Vec<usize> = (0..nodes.len()).collect();
    order.sort_by_key(|&i| (times[i], i));
    let mut groups: Vec<(i64, Vec<usize>)> = Vec::new();
    for i in order {
        match groups.last_mut() {
            Some((t, rows)) if *t == times[i] => rows.push(i),
            _ => groups.push((times[i], vec![i])),
        }
    }
    let parts: Vec<Result<Vec<(usize, FeatureRow)>>> = groups
        .par_iter()
        .with_max_len(1)
        .map(|(t, rows)| {
            cancel.check()?;
            let before = graph.subgraph(&SubgraphFilter {
                end: Some(*t),
                ..Default::default()
            })?;
            let features = node_features(&before, options, cancel)?;
            Ok(rows
                .iter()
                .map(|&i| (i, features.rows[nodes[i] as usize]))
                .collect())
        })
        .collect();
    cancel.check()?;
    let placeholder = FeatureRow {
        node: 0,
        degree: 0,
        strength: None,
        betweenness: 0.0,
        closeness: 0.0,
        harmonic: 0.0,
        eigenvector: None,
        pagerank: 0.0,
        core_number: 0,
        clustering: 0.0,
        constraint: None,
        effective_size: None,
        component_size: 0,
        community: 0,
        community_size: 0,
        articulation_point: false,
    };
    let mut rows = vec![placeholder; nodes.len()];
    for part in parts {
        for (i, row) in part? {
            rows[i] = row;
        }
    }
    Ok(NodeFeatures {
        rows,
        betweenness_exact: n <= options.exact_betweenness_limit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aluna_core::ids::{IdMap, Key};
    use aluna_core::table::TimeKind;

    fn timed(edges: &[(u32, u32, i64)], n: i64, directed: bool) -> CaseGraph {
        let mut ids = IdMap::new_int();
        for v in 0..n {
            ids.intern(Key::Int(v)).unwrap();
        }
        let rows = EdgeRows {
            source: edges.iter().map(|e| e.0).collect(),
            target: edges.iter().map(|e| e.1).collect(),
            time: Some(edges.iter().map(|e| e.2).collect()),
            ..Default::default()
        };
        let options = GraphOptions {
            directed,
            ..Default::default()
        };
        CaseGraph::build(ids, rows, None, Some(TimeKind::Integer), options).unwrap()
    }

    #[test]
    fn per_node_cutoffs_equal_features_of_each_subgraph() {
        let edges = [
            (0, 1, 1),
            (1, 2, 2),
            (2, 3, 3),
            (3, 0, 4),
            (1, 3, 5),
            (4, 0, 6),
        ];
        let g = timed(&edges, 5, false);
        let options = FeatureOptions::default();
        let cancel = Cancel::new();
        let nodes = [3, 0, 4, 1, 2];
        let times = [4, 2, 7, 4, 100];
        let got = node_features_as_of(&g, &nodes, &times, &options, &cancel).unwrap();
        for (i, (&v, &t)) in nodes.iter().zip(&times).enumerate() {
            let sub = g
                .subgraph(&SubgraphFilter {
                    end: Some(t),
                    ..Default::default()
                })
                .unwrap();
            let expected = node_features(&sub, &options, &cancel).unwrap();
            assert_eq!(got.rows[i], expected.rows[v as usize]);
        }
    }

    #[test]
    fn directed_graphs_use_strong_components_and_undirected_cuts() {
        // 0 <-> 1 strongly connected, 1 -> 2 -> 3.
        let g = timed(&[(0, 1, 1), (1, 0, 1), (1, 2, 1), (2, 3, 1)], 4, true);
        let f = node_features(&g, &FeatureOptions::default(), &Cancel::new()).unwrap();
        let eig: Vec<bool> = f.rows.iter().map(|r| r.eigenvector.is_some()).collect();
        assert_eq!(eig, vec![true, true, false, false]);
        let cut: Vec<bool> = f.rows.iter().map(|r| r.articulation_point).collect();
        assert_eq!(cut, vec![false, true, true, false]);
    }

    #[test]
    fn graphs_without_time_refuse_as_of() {
        let mut ids = IdMap::new_int();
        ids.intern(Key::Int(0)).unwrap();
        let g = CaseGraph::build(
            ids,
            EdgeRows::default(),
            None,
            None,
            GraphOptions::default(),
        )
        .unwrap();
        let err = node_features_as_of(&g, &[0], &[1], &FeatureOptions::default(), &Cancel::new())
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { name: "as_of", .. }));
    }
}
