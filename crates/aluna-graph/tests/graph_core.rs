//! The graph core against hand-checkable cases and petgraph.

use aluna_core::ids::{IdMap, Key};
use aluna_core::table::TimeKind;
use aluna_core::Error;
use aluna_graph::*;
use proptest::prelude::*;

fn graph(n: i64, edges: &[(u32, u32)], options: GraphOptions) -> CaseGraph {
    CaseGraph::from_index_pairs(n as u32, edges, options).unwrap()
}

#[test]
fn parallel_links_merge_and_multigraph_counts_them() {
    let edges = [(0, 1), (1, 0), (1, 2), (2, 2)];
    let simple = graph(4, &edges, GraphOptions::default());
    assert_eq!(simple.number_of_edges(), 3);
    assert_eq!(degree(&simple, Direction::All).unwrap(), vec![1, 2, 3, 0]);
    let multi = graph(
        4,
        &edges,
        GraphOptions {
            multigraph: true,
            ..Default::default()
        },
    );
    assert_eq!(multi.number_of_edges(), 4);
    assert_eq!(degree(&multi, Direction::All).unwrap(), vec![2, 3, 3, 0]);
    // Path measures see one link per pair either way.
    assert_eq!(multi.neighbours(1), simple.neighbours(1));
}

#[test]
fn directed_degrees_and_edge_ids() {
    let g = graph(
        3,
        &[(0, 1), (1, 2), (2, 0), (2, 1)],
        GraphOptions {
            directed: true,
            ..Default::default()
        },
    );
    assert_eq!(degree(&g, Direction::Out).unwrap(), vec![1, 1, 2]);
    assert_eq!(degree(&g, Direction::In).unwrap(), vec![1, 2, 1]);
    assert_eq!(g.edge_between(2, 1), Some(3));
    assert_eq!(g.edge_between(1, 0), None);
    let ins = g.in_slot_edges();
    let inc = g.in_adjacency();
    for v in 0..3u32 {
        for (slot, &u) in inc.range(v).zip(inc.neighbours(v)) {
            assert_eq!(Some(ins[slot]), g.edge_between(u, v));
        }
    }
    assert!(degree(&graph(2, &[(0, 1)], GraphOptions::default()), Direction::In).is_err());
}

#[test]
fn weights_sum_and_strength_counts_self_loops_twice() {
    let mut ids = IdMap::new_str();
    for s in ["a", "b"] {
        ids.intern(Key::Str(s)).unwrap();
    }
    let rows = EdgeRows {
        source: vec![0, 1, 1],
        target: vec![1, 0, 1],
        weight: Some(vec![1.5, 2.0, 0.25]),
        ..Default::default()
    };
    let g = CaseGraph::build(ids, rows, None, None, GraphOptions::default()).unwrap();
    assert_eq!(g.edge_weights().unwrap(), &[3.5, 0.25]);
    assert_eq!(strength(&g, Direction::All).unwrap(), vec![3.5, 4.0]);
    assert_eq!(g.out_slot_weights().unwrap(), vec![3.5, 3.5, 0.25]);
}

#[test]
fn components_are_numbered_by_size() {
    let g = graph(
        7,
        &[(5, 6), (0, 1), (1, 2), (3, 3)],
        GraphOptions::default(),
    );
    assert_eq!(connected_components(&g), vec![0, 0, 0, 2, 3, 1, 1]);
}

#[test]
fn strong_components_of_a_long_chain_do_not_overflow() {
    let n = 200_000u32;
    let mut edges: Vec<(u32, u32)> = (0..n - 1).map(|v| (v, v + 1)).collect();
    edges.push((n - 1, 0));
    let g = graph(
        n as i64,
        &edges,
        GraphOptions {
            directed: true,
            ..Default::default()
        },
    );
    let scc = strongly_connected_components(&g).unwrap();
    assert!(scc.iter().all(|&c| c == 0));
}

#[test]
fn subgraph_by_time_filters_observations() {
    let mut ids = IdMap::new_int();
    for v in 0..3 {
        ids.intern(Key::Int(v)).unwrap();
    }
    let mut types = IdMap::new_str();
    types.intern(Key::Str("phone")).unwrap();
    types.intern(Key::Str("payment")).unwrap();
    let rows = EdgeRows {
        source: vec![0, 0, 1],
        target: vec![1, 1, 2],
        weight: Some(vec![1.0, 2.0, 4.0]),
        count: None,
        link_type: Some(vec![0, 1, 1]),
        time: Some(vec![10, 20, 30]),
        until: None,
    };
    let g = CaseGraph::build(
        ids,
        rows,
        Some(types),
        Some(TimeKind::Integer),
        GraphOptions::default(),
    )
    .unwrap();
    assert_eq!(g.edge_time_span(0), Some((10, 20)));
    assert_eq!(g.edge_link_types(0), vec![0, 1]);
    let window = g
        .subgraph(&SubgraphFilter {
            start: Some(15),
            end: Some(30),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(window.number_of_nodes(), 3);
    assert_eq!(window.number_of_edges(), 1);
    assert_eq!(window.edge_weights().unwrap(), &[2.0]);
    let phones = g
        .subgraph(&SubgraphFilter {
            link_types: Some(vec![0]),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(phones.edge_weights().unwrap(), &[1.0]);
    let induced = g
        .subgraph(&SubgraphFilter {
            nodes: Some(vec![2, 1]),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(induced.number_of_nodes(), 2);
    assert_eq!(induced.node_ids().key(0), Key::Int(1));
    assert!(matches!(
        g.subgraph(&SubgraphFilter {
            start: Some(5),
            end: Some(5),
            ..Default::default()
        }),
        Err(Error::InvalidArgument { name: "end", .. })
    ));
}

fn arbitrary_edges() -> impl Strategy<Value = (u32, Vec<(u32, u32)>)> {
    (1u32..40).prop_flat_map(|n| (Just(n), proptest::collection::vec((0..n, 0..n), 0..120)))
}

proptest! {
    #[test]
    fn weak_components_agree_with_petgraph((n, edges) in arbitrary_edges(), directed in any::<bool>()) {
        let g = graph(n as i64, &edges, GraphOptions { directed, ..Default::default() });
        let ours = connected_components(&g);
        let mut pg = petgraph::graph::UnGraph::<(), ()>::new_undirected();
        for _ in 0..n { pg.add_node(()); }
        for &(a, b) in &edges { pg.add_edge(a.into(), b.into(), ()); }
        prop_assert_eq!(
            ours.iter().copied().max().map_or(0, |m| m as usize + 1),
            petgraph::algo::connected_components(&pg)
        );
        for &(a, b) in &edges { prop_assert_eq!(ours[a as usize], ours[b as usize]); }
    }

    #[test]
    fn strong_components_agree_with_petgraph((n, edges) in arbitrary_edges()) {
        let g = graph(n as i64, &edges, GraphOptions { directed: true, ..Default::default() });
        let ours = strongly_connected_components(&g).unwrap();
        let mut pg = petgraph::graph::DiGraph::<(), ()>::new();
        for _ in 0..n { pg.add_node(()); }
        for &(a, b) in &edges { pg.add_edge(a.into(), b.into(), ()); }
        let theirs = petgraph::algo::kosaraju_scc(&pg);
        prop_assert_eq!(theirs.len(), ours.iter().copied().max().map_or(0, |m| m as usize + 1));
        for comp in theirs {
            let label = ours[comp[0].index()];
            prop_assert!(comp.iter().all(|v| ours[v.index()] == label));
        }
    }

    #[test]
    fn every_slot_names_its_edge((n, edges) in arbitrary_edges(), directed in any::<bool>()) {
        let g = graph(n as i64, &edges, GraphOptions { directed, ..Default::default() });
        let listed: Vec<(u32, u32, u32)> = g.edges().collect();
        prop_assert_eq!(listed.len(), g.number_of_edges());
        for (k, &(e, a, b)) in listed.iter().enumerate() {
            prop_assert_eq!(e as usize, k);
            prop_assert_eq!(g.edge_between(a, b), Some(e));
            prop_assert!(directed || a <= b);
        }
        let out = g.out_slot_edges();
        let adj = g.out_adjacency();
        for v in 0..n {
            for (slot, &w) in adj.range(v).zip(adj.neighbours(v)) {
                let (_, x, y) = listed[out[slot] as usize];
                prop_assert!((x, y) == (v.min(w), v.max(w)) || (directed && (x, y) == (v, w)));
            }
        }
    }
}

#[test]
fn spans_keep_first_and_last_seen_and_overlap_windows() {
    let mut ids = IdMap::new_int();
    for v in 0..3 {
        ids.intern(Key::Int(v)).unwrap();
    }
    let rows = EdgeRows {
        source: vec![0, 1],
        target: vec![1, 2],
        count: Some(vec![3, 1]),
        time: Some(vec![10, 40]),
        until: Some(vec![30, 40]),
        ..Default::default()
    };
    let g = CaseGraph::build(
        ids.clone(),
        rows.clone(),
        None,
        Some(TimeKind::Integer),
        GraphOptions::default(),
    )
    .unwrap();
    assert!(g.has_spans());
    assert_eq!(g.edge_time_span(0), Some((10, 30)));
    assert_eq!(g.multiplicities().collect::<Vec<_>>(), vec![3, 1]);
    let back = g.edge_rows();
    assert_eq!(back.until, rows.until);
    assert_eq!(back.count, rows.count);
    // [20, 35) overlaps the span [10, 30] of the first link only.
    let window = g
        .subgraph(&SubgraphFilter {
            start: Some(20),
            end: Some(35),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(window.number_of_edges(), 1);
    assert_eq!(window.edge_time_span(0), Some((10, 30)));
    // A span ending before it starts is refused, naming the row.
    let bad = EdgeRows {
        until: Some(vec![5, 40]),
        ..rows
    };
    let err = CaseGraph::build(
        ids,
        bad,
        None,
        Some(TimeKind::Integer),
        GraphOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::BadValue { row: 0, .. }));
}
