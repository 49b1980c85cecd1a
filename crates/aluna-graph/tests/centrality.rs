//! Centralities on hand-checkable graphs: paths, stars, complete graphs, cycles and the
//! Krackhardt kite, plus thread-count invariance and the sampling guarantee.

use aluna_core::ids::{IdMap, Key};
use aluna_core::parallel::{install, Cancel};
use aluna_core::Error;
use aluna_graph::centrality::*;
use aluna_graph::{CaseGraph, EdgeRows, GraphOptions};
use proptest::prelude::*;

fn graph_with(
    n: u32,
    edges: &[(u32, u32)],
    weights: Option<Vec<f64>>,
    directed: bool,
) -> CaseGraph {
    let mut ids = IdMap::new_int();
    for v in 0..n {
        ids.intern(Key::Int(i64::from(v))).unwrap();
    }
    let rows = EdgeRows {
        source: edges.iter().map(|e| e.0).collect(),
        target: edges.iter().map(|e| e.1).collect(),
        weight: weights,
        ..Default::default()
    };
    let options = GraphOptions {
        directed,
        ..Default::default()
    };
    CaseGraph::build(ids, rows, None, None, options).unwrap()
}

fn graph(n: u32, edges: &[(u32, u32)]) -> CaseGraph {
    graph_with(n, edges, None, false)
}

fn path(n: u32) -> CaseGraph {
    graph(n, &(0..n - 1).map(|v| (v, v + 1)).collect::<Vec<_>>())
}

fn star(n: u32) -> CaseGraph {
    graph(n, &(1..n).map(|v| (0, v)).collect::<Vec<_>>())
}

fn complete(n: u32) -> CaseGraph {
    let edges: Vec<(u32, u32)> = (0..n)
        .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
        .collect();
    graph(n, &edges)
}

fn kite() -> CaseGraph {
    graph(
        10,
        &[
            (0, 1),
            (0, 2),
            (0, 3),
            (0, 5),
            (1, 3),
            (1, 4),
            (1, 6),
            (2, 3),
            (2, 5),
            (3, 4),
            (3, 5),
            (3, 6),
            (4, 6),
            (5, 6),
            (5, 7),
            (6, 7),
            (7, 8),
            (8, 9),
        ],
    )
}

fn close(a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol * (1.0 + y.abs()), "at {i}: {x} vs {y}");
    }
}

const RAW: BetweennessOptions = BetweennessOptions {
    normalized: false,
    endpoints: false,
    weighted: false,
};

#[test]
fn betweenness_of_paths_stars_and_complete_graphs() {
    let cancel = Cancel::new();
    let n = 7u32;
    let expected: Vec<f64> = (0..n).map(|i| f64::from(i * (n - 1 - i))).collect();
    close(
        &betweenness(&path(n), &RAW, &cancel).unwrap(),
        &expected,
        1e-12,
    );
    let centre = f64::from((n - 1) * (n - 2) / 2);
    let mut expected = vec![0.0; n as usize];
    expected[0] = centre;
    close(
        &betweenness(&star(n), &RAW, &cancel).unwrap(),
        &expected,
        1e-12,
    );
    // Normalised, the centre of a star is on every path.
    let normalised = betweenness(&star(n), &BetweennessOptions::default(), &cancel).unwrap();
    close(&normalised[..1], &[1.0], 1e-12);
    close(
        &betweenness(&complete(6), &RAW, &cancel).unwrap(),
        &[0.0; 6],
        0.0,
    );
    // With endpoints every node also gets the n-1 paths it starts or ends (unordered).
    let with_ends = BetweennessOptions {
        endpoints: true,
        ..RAW
    };
    close(
        &betweenness(&complete(4), &with_ends, &cancel).unwrap(),
        &[3.0; 4],
        1e-12,
    );
}

#[test]
fn betweenness_and_closeness_of_the_krackhardt_kite() {
    let cancel = Cancel::new();
    let g = kite();
    let b = betweenness(&g, &RAW, &cancel).unwrap();
    let expected = [
        5.0 / 6.0,
        5.0 / 6.0,
        0.0,
        11.0 / 3.0,
        0.0,
        25.0 / 3.0,
        25.0 / 3.0,
        14.0,
        8.0,
        0.0,
    ];
    close(&b, &expected, 1e-12);
    let c = closeness(&g, &ClosenessOptions::default(), &cancel).unwrap();
    let expected = [
        9.0 / 17.0,
        9.0 / 17.0,
        0.5,
        0.6,
        0.5,
        9.0 / 14.0,
        9.0 / 14.0,
        0.6,
        9.0 / 21.0,
        9.0 / 29.0,
    ];
    close(&c, &expected, 1e-12);
    assert_eq!(core_number(&g), vec![3, 3, 3, 3, 3, 3, 3, 2, 1, 1]);
    let cut: Vec<usize> = articulation_points(&g)
        .unwrap()
        .iter()
        .enumerate()
        .filter_map(|(v, &c)| c.then_some(v))
        .collect();
    assert_eq!(cut, vec![7, 8]);
    let ends: Vec<(u32, u32)> = g.edges().map(|(_, a, b)| (a, b)).collect();
    let bridge_ends: Vec<(u32, u32)> = bridges(&g)
        .unwrap()
        .iter()
        .map(|&e| ends[e as usize])
        .collect();
    assert_eq!(bridge_ends, vec![(7, 8), (8, 9)]);
    let cl = clustering(&g, false, &cancel).unwrap();
    close(
        &cl,
        &[
            2.0 / 3.0,
            2.0 / 3.0,
            1.0,
            8.0 / 15.0,
            1.0,
            0.5,
            0.5,
            1.0 / 3.0,
            0.0,
            0.0,
        ],
        1e-12,
    );
    let raw_edges = EdgeBetweennessOptions {
        normalized: false,
        weighted: false,
    };
    let eb = edge_betweenness(&g, &raw_edges, &cancel).unwrap();
    // The bridge 7-8 carries every pair split by it: 8 nodes on one side, 2 on the other.
    assert_eq!(eb[ends.iter().position(|&e| e == (7, 8)).unwrap()], 16.0);
    assert_eq!(eb[ends.iter().position(|&e| e == (8, 9)).unwrap()], 9.0);
}

#[test]
fn edge_betweenness_of_a_path() {
    let n = 6u32;
    let raw = EdgeBetweennessOptions {
        normalized: false,
        weighted: false,
    };
    let eb = edge_betweenness(&path(n), &raw, &Cancel::new()).unwrap();
    let expected: Vec<f64> = (0..n - 1)
        .map(|i| f64::from((i + 1) * (n - 1 - i)))
        .collect();
    close(&eb, &expected, 1e-12);
}

#[test]
fn weighted_betweenness_follows_lengths() {
    // A square 0-1-2-3-0 whose link 0-3 is long: the path 0-1-2-3 wins over 0-3.
    let g = graph_with(
        4,
        &[(0, 1), (1, 2), (2, 3), (0, 3)],
        Some(vec![1.0, 1.0, 1.0, 5.0]),
        false,
    );
    let weighted = BetweennessOptions {
        weighted: true,
        ..RAW
    };
    close(
        &betweenness(&g, &weighted, &Cancel::new()).unwrap(),
        &[0.0, 2.0, 2.0, 0.0],
        1e-12,
    );
    // A zero-length link makes shortest-path counts undefined: an error naming the link.
    let zero = graph_with(3, &[(0, 1), (1, 2)], Some(vec![1.0, 0.0]), false);
    let err = betweenness(&zero, &weighted, &Cancel::new()).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { name: "weight", .. }));
    assert!(err.to_string().contains("1 - 2"), "{err}");
    // Unweighted graphs have no weights to use.
    let err = betweenness(&path(3), &weighted, &Cancel::new()).unwrap_err();
    assert!(err.to_string().contains("no weights"), "{err}");
}

#[test]
fn harmonic_of_a_path_and_a_directed_chain() {
    let h = harmonic(&path(4), &ClosenessOptions::default(), &Cancel::new()).unwrap();
    close(
        &h,
        &[1.0 + 0.5 + 1.0 / 3.0, 2.5, 2.5, 1.0 + 0.5 + 1.0 / 3.0],
        1e-12,
    );
    // Directed 0 -> 1 -> 2: distances *to* each node.
    let chain = graph_with(3, &[(0, 1), (1, 2)], None, true);
    let h = harmonic(&chain, &ClosenessOptions::default(), &Cancel::new()).unwrap();
    close(&h, &[0.0, 1.0, 1.5], 1e-12);
}

#[test]
fn spectral_measures_of_complete_graphs() {
    let cancel = Cancel::new();
    let n = 5;
    let g = complete(n);
    let x = eigenvector(&g, &SpectralOptions::default(), &cancel).unwrap();
    close(&x, &vec![1.0 / f64::from(n).sqrt(); n as usize], 1e-12);
    let p = pagerank(&g, &PageRankOptions::default(), &cancel).unwrap();
    close(&p, &vec![1.0 / f64::from(n); n as usize], 1e-12);
    let raw = KatzOptions {
        alpha: 0.1,
        normalized: false,
        tol: 1e-14,
        ..Default::default()
    };
    let k = katz(&g, &raw, &cancel).unwrap();
    close(&k, &vec![1.0 / (1.0 - 0.1 * 4.0); n as usize], 1e-9);
}

#[test]
fn eigenvector_is_not_defined_on_disconnected_graphs() {
    let g = graph(4, &[(0, 1), (2, 3)]);
    let err = eigenvector(&g, &SpectralOptions::default(), &Cancel::new()).unwrap_err();
    assert!(matches!(
        err,
        Error::NotDefined {
            what: "eigenvector centrality",
            ..
        }
    ));
    assert!(err.to_string().contains("2 connected components"), "{err}");
    let chain = graph_with(3, &[(0, 1), (1, 2)], None, true);
    let err = eigenvector(&chain, &SpectralOptions::default(), &Cancel::new()).unwrap_err();
    assert!(err.to_string().contains("not strongly connected"), "{err}");
}

#[test]
fn katz_with_too_large_alpha_does_not_converge() {
    let options = KatzOptions {
        alpha: 1.0,
        ..Default::default()
    };
    let err = katz(&complete(4), &options, &Cancel::new()).unwrap_err();
    assert!(matches!(err, Error::NotConverged { .. }), "{err}");
}

#[test]
fn pagerank_checks_its_settings() {
    let bad = PageRankOptions {
        alpha: 1.5,
        ..Default::default()
    };
    assert!(matches!(
        pagerank(&path(3), &bad, &Cancel::new()),
        Err(Error::InvalidArgument { name: "alpha", .. })
    ));
    let zero = PageRankOptions {
        personalization: Some(vec![0.0; 3]),
        ..Default::default()
    };
    assert!(matches!(
        pagerank(&path(3), &zero, &Cancel::new()),
        Err(Error::InvalidArgument {
            name: "personalization",
            ..
        })
    ));
}

#[test]
fn cores_and_cuts_of_paths_and_stars() {
    assert_eq!(core_number(&path(4)), vec![1; 4]);
    assert_eq!(core_number(&complete(5)), vec![4; 5]);
    assert_eq!(core_number(&graph(3, &[(0, 0)])), vec![0; 3]);
    assert_eq!(
        articulation_points(&star(5)).unwrap(),
        vec![true, false, false, false, false]
    );
    assert_eq!(bridges(&path(4)).unwrap(), vec![0, 1, 2]);
    let cycle = graph(4, &[(0, 1), (1, 2), (2, 3), (3, 0)]);
    assert!(bridges(&cycle).unwrap().is_empty());
    let directed = graph_with(2, &[(0, 1)], None, true);
    assert!(matches!(bridges(&directed), Err(Error::NotDefined { .. })));
    assert!(matches!(
        transitivity(&directed, &Cancel::new()),
        Err(Error::NotDefined { .. })
    ));
}

/// A sparse random graph from a fixed linear congruential sequence.
fn random_graph(n: u32, m: usize, seed: u64, directed: bool) -> CaseGraph {
    let mut state = seed;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) % u64::from(n)) as u32
    };
    let edges: Vec<(u32, u32)> = (0..m).map(|_| (next(), next())).collect();
    graph_with(n, &edges, None, directed)
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn results_are_identical_for_any_thread_count() {
    for directed in [false, true] {
        let g = random_graph(300, 900, 11, directed);
        let run = |threads: usize| {
            install(Some(threads), || {
                let cancel = Cancel::new();
                let mut all = betweenness(&g, &BetweennessOptions::default(), &cancel).unwrap();
                all.extend(
                    edge_betweenness(&g, &EdgeBetweennessOptions::default(), &cancel).unwrap(),
                );
                all.extend(closeness(&g, &ClosenessOptions::default(), &cancel).unwrap());
                all.extend(pagerank(&g, &PageRankOptions::default(), &cancel).unwrap());
                all.extend(clustering(&g, false, &cancel).unwrap());
                let sampled = SamplingOptions {
                    epsilon: 0.05,
                    seed: 3,
                    ..Default::default()
                };
                all.extend(
                    approximate_betweenness(&g, &sampled, &cancel)
                        .unwrap()
                        .values,
                );
                all
            })
            .unwrap()
        };
        assert_eq!(bits(&run(1)), bits(&run(3)));
    }
}

#[test]
fn sampled_betweenness_is_within_epsilon() {
    let cancel = Cancel::new();
    for (seed, directed) in [(1u64, false), (2, true)] {
        let g = random_graph(120, 300, seed, directed);
        let exact = betweenness(&g, &BetweennessOptions::default(), &cancel).unwrap();
        let options = SamplingOptions {
            epsilon: 0.03,
            seed,
            ..Default::default()
        };
        let estimate = approximate_betweenness(&g, &options, &cancel).unwrap();
        assert!(estimate.samples > 0);
        let worst = exact
            .iter()
            .zip(&estimate.values)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(worst <= 0.03, "max error {worst}");
    }
}

#[test]
fn cancelled_work_stops() {
    let cancel = Cancel::new();
    cancel.cancel();
    let g = path(200);
    assert_eq!(
        betweenness(&g, &BetweennessOptions::default(), &cancel).unwrap_err(),
        Error::Cancelled
    );
    assert_eq!(
        pagerank(&g, &PageRankOptions::default(), &cancel).unwrap_err(),
        Error::Cancelled
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn relabelling_nodes_permutes_betweenness(
        n in 2u32..24,
        raw in proptest::collection::vec((0u32..24, 0u32..24), 0..60),
        shift in 1u32..23,
        directed in any::<bool>(),
    ) {
        let edges: Vec<(u32, u32)> = raw.into_iter().map(|(a, b)| (a % n, b % n)).collect();
        let relabel = |v: u32| (v * (2 * shift + 1) + shift) % n;
        // (2 shift + 1) is odd, so relabel is a bijection whenever n is a power of two; use
        // an explicit permutation instead to cover every n.
        let mut perm: Vec<u32> = (0..n).collect();
        perm.sort_by_key(|&v| (relabel(v), v));
        let moved: Vec<(u32, u32)> = edges.iter().map(|&(a, b)| (perm[a as usize], perm[b as usize])).collect();
        let g = graph_with(n, &edges, None, directed);
        let h = graph_with(n, &moved, None, directed);
        let cancel = Cancel::new();
        let bg = betweenness(&g, &BetweennessOptions::default(), &cancel).unwrap();
        let bh = betweenness(&h, &BetweennessOptions::default(), &cancel).unwrap();
        let cg = closeness(&g, &ClosenessOptions::default(), &cancel).unwrap();
        let ch = closeness(&h, &ClosenessOptions::default(), &cancel).unwrap();
        let kg = core_number(&g);
        let kh = core_number(&h);
        for v in 0..n as usize {
            let w = perm[v] as usize;
            prop_assert!((bg[v] - bh[w]).abs() <= 1e-9 * (1.0 + bg[v].abs()));
            prop_assert!((cg[v] - ch[w]).abs() <= 1e-12);
            prop_assert_eq!(kg[v], kh[w]);
        }
    }
}
