//! The in-place builder of plain graphs against a reference built with ordered maps, and the
//! streaming builder against the one-table builder.

use std::collections::BTreeMap;
use std::sync::Arc;

use aluna_core::ids::{IdMap, Key};
use aluna_core::table::Table;
use aluna_core::Error;
use aluna_graph::*;
use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{Field, Schema};
use proptest::prelude::*;

fn ids(n: usize) -> IdMap {
    let mut ids = IdMap::new_int();
    for v in 0..n as i64 {
        ids.intern(Key::Int(v)).unwrap();
    }
    ids
}

/// An undirected weighted graph of the nodes `0..n` from `(source, target, weight)` rows.
fn weighted(n: u32, rows: &[(u32, u32, f64)]) -> CaseGraph {
    let rows = EdgeRows {
        source: rows.iter().map(|r| r.0).collect(),
        target: rows.iter().map(|r| r.1).collect(),
        weight: Some(rows.iter().map(|r| r.2).collect()),
        ..Default::default()
    };
    CaseGraph::from_index_rows(n, rows, GraphOptions::default()).unwrap()
}

/// Merged edges of the rows: `(a, b) -> (weights, links)`, with `a <= b` when undirected.
fn reference(rows: &[(u32, u32, f64)], directed: bool) -> BTreeMap<(u32, u32), (Vec<f64>, u32)> {
    let mut edges: BTreeMap<(u32, u32), (Vec<f64>, u32)> = BTreeMap::new();
    for &(a, b, w) in rows {
        let key = if directed || a <= b { (a, b) } else { (b, a) };
        let e = edges.entry(key).or_default();
        e.0.push(w);
        e.1 += 1;
    }
    edges
}

fn check_against_reference(n: usize, rows: &[(u32, u32, f64)], directed: bool, weighted: bool) {
    let edge_rows = EdgeRows {
        source: rows.iter().map(|r| r.0).collect(),
        target: rows.iter().map(|r| r.1).collect(),
        weight: weighted.then(|| rows.iter().map(|r| r.2).collect()),
        ..Default::default()
    };
    let options = GraphOptions {
        directed,
        multigraph: false,
    };
    let g = CaseGraph::build(ids(n), edge_rows, None, None, options).unwrap();
    let expected = reference(rows, directed);
    // Edges in (a, b) order, ids 0, 1, ...
    let edges: Vec<(u32, u32, u32)> = g.edges().collect();
    assert_eq!(edges.len(), expected.len());
    for (k, ((a, b), (weights, links))) in expected.iter().enumerate() {
        assert_eq!(edges[k], (k as u32, *a, *b));
        assert_eq!(g.edge_between(*a, *b), Some(k as u32));
        if !directed {
            assert_eq!(g.edge_between(*b, *a), Some(k as u32));
        }
        if weighted {
            // Parallel links are summed in ascending order of their weights.
            let mut sorted = weights.clone();
            sorted.sort_by(f64::total_cmp);
            let sum: f64 = sorted.iter().sum();
            assert_eq!(g.edge_weights().unwrap()[k].to_bits(), sum.to_bits());
        }
        assert_eq!(g.multiplicities().nth(k), Some(*links));
    }
    // Adjacency rows are sorted and list exactly the edges (both ways when undirected).
    let mut out_expected: Vec<Vec<u32>> = vec![Vec::new(); n];
    let mut in_expected: Vec<Vec<u32>> = vec![Vec::new(); n];
    for &(a, b) in expected.keys() {
        out_expected[a as usize].push(b);
        if directed {
            in_expected[b as usize].push(a);
        } else if a != b {
            out_expected[b as usize].push(a);
        }
    }
    for v in 0..n {
        out_expected[v].sort_unstable();
        in_expected[v].sort_unstable();
        assert_eq!(g.neighbours(v as u32), &out_expected[v][..], "row {v}");
        if directed {
            assert_eq!(g.in_adjacency().neighbours(v as u32), &in_expected[v][..]);
        }
    }
    // Per-slot views agree with the edge ids.
    let slots = g.out_slot_edges();
    let adj = g.out_adjacency();
    for v in 0..n as u32 {
        for (s, &w) in adj.range(v).zip(adj.neighbours(v)) {
            assert_eq!(Some(slots[s]), g.edge_between(v, w));
        }
    }
}

#[test]
fn hand_checked_undirected_graph_with_loops_and_parallel_links() {
    let rows = [
        (2, 0, 1.0),
        (0, 2, 0.5),
        (1, 1, 2.0),
        (3, 1, 1.0),
        (0, 2, 0.25),
        (1, 0, 4.0),
    ];
    check_against_reference(5, &rows, false, true);
    let g = weighted(5, &rows);
    assert_eq!(g.neighbours(1), &[0, 1, 3]);
    assert_eq!(g.edge_weights().unwrap(), &[4.0, 1.75, 2.0, 1.0]);
    assert_eq!(g.multiplicities().collect::<Vec<_>>(), vec![1, 3, 1, 1]);
    assert_eq!(degree(&g, Direction::All).unwrap(), vec![2, 4, 1, 1, 0]);
}

#[test]
fn weights_of_parallel_links_sum_independently_of_row_order() {
    let a = [(0, 1, 0.1), (0, 1, 0.2), (1, 0, 0.3), (0, 1, 1e-17)];
    let b = [(1, 0, 1e-17), (0, 1, 0.3), (1, 0, 0.1), (0, 1, 0.2)];
    let build = |rows: &[(u32, u32, f64)]| weighted(2, rows);
    assert_eq!(
        build(&a).edge_weights().unwrap()[0].to_bits(),
        build(&b).edge_weights().unwrap()[0].to_bits()
    );
}

#[test]
fn same_graph_as_the_general_path() {
    // Typed links take the general path (they keep their observations); with one type the
    // merged adjacency and weights must be the same.
    let rows = [
        (0, 3, 1.0),
        (3, 0, 2.0),
        (2, 1, 0.5),
        (1, 1, 1.0),
        (4, 2, 3.0),
    ];
    let plain = EdgeRows {
        source: rows.iter().map(|r| r.0).collect(),
        target: rows.iter().map(|r| r.1).collect(),
        weight: Some(rows.iter().map(|r| r.2).collect()),
        ..Default::default()
    };
    let mut typed = plain.clone();
    typed.link_type = Some(vec![0; rows.len()]);
    let mut levels = IdMap::new_str();
    levels.intern(Key::Str("phone")).unwrap();
    for directed in [false, true] {
        let options = GraphOptions {
            directed,
            multigraph: false,
        };
        let a = CaseGraph::build(ids(5), plain.clone(), None, None, options).unwrap();
        let b =
            CaseGraph::build(ids(5), typed.clone(), Some(levels.clone()), None, options).unwrap();
        assert_eq!(a.edges().collect::<Vec<_>>(), b.edges().collect::<Vec<_>>());
        assert_eq!(a.edge_weights(), b.edge_weights());
        assert_eq!(
            a.multiplicities().collect::<Vec<_>>(),
            b.multiplicities().collect::<Vec<_>>()
        );
        for v in 0..5 {
            assert_eq!(a.neighbours(v), b.neighbours(v));
            assert_eq!(
                a.in_adjacency().neighbours(v),
                b.in_adjacency().neighbours(v)
            );
        }
        assert!(a.heap_bytes() < b.heap_bytes());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn in_place_build_matches_the_reference(
        n in 1usize..40,
        raw in proptest::collection::vec((0u32..40, 0u32..40, 0u32..8), 0..300),
        directed in any::<bool>(),
        weighted in any::<bool>(),
    ) {
        let rows: Vec<(u32, u32, f64)> = raw
            .iter()
            .map(|&(a, b, w)| (a % n as u32, b % n as u32, f64::from(w) * 0.1))
            .collect();
        check_against_reference(n, &rows, directed, weighted);
    }
}

fn batch(source: &[&str], target: &[&str], weight: &[f64]) -> Table {
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("s", Arc::new(StringArray::from(source.to_vec()))),
        ("t", Arc::new(StringArray::from(target.to_vec()))),
        ("w", Arc::new(Float64Array::from(weight.to_vec()))),
    ];
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
            .collect::<Vec<_>>(),
    ));
    let b =
        RecordBatch::try_new(schema.clone(), columns.into_iter().map(|c| c.1).collect()).unwrap();
    Table::new(schema, vec![b])
}

const COLUMNS: EdgeColumns<'static> = EdgeColumns {
    source: "s",
    target: "t",
    weight: Some("w"),
    link_type: None,
    time: None,
};

#[test]
fn streamed_batches_build_the_same_graph_as_one_table() {
    let whole = batch(
        &["a", "b", "c", "a", "d"],
        &["b", "c", "a", "b", "a"],
        &[1.0, 2.0, 3.0, 0.5, 1.0],
    );
    let one = CaseGraph::from_tables(&whole, &COLUMNS, None, GraphOptions::default()).unwrap();
    let mut builder = GraphBuilder::new(
        &COLUMNS,
        &ObservationColumns::default(),
        GraphOptions::default(),
    );
    builder
        .push(&batch(&["a", "b"], &["b", "c"], &[1.0, 2.0]))
        .unwrap();
    builder
        .push(&batch(&["c", "a", "d"], &["a", "b", "a"], &[3.0, 0.5, 1.0]))
        .unwrap();
    assert_eq!(builder.rows(), 5);
    let streamed = builder.finish().unwrap();
    let named = |g: &CaseGraph| {
        let w = g.edge_weights().unwrap();
        let mut out: Vec<(String, String, f64)> = g
            .edges()
            .map(|(e, a, b)| {
                let name = |v: u32| g.node_ids().key(v as usize).to_string();
                let (a, b) = (name(a), name(b));
                let (a, b) = if a <= b { (a, b) } else { (b, a) };
                (a, b, w[e as usize])
            })
            .collect();
        out.sort_by(|x, y| x.partial_cmp(y).unwrap());
        out
    };
    assert_eq!(named(&one), named(&streamed));
    assert_eq!(streamed.number_of_nodes(), 4);
}

#[test]
fn streamed_errors_name_the_row_of_the_whole_stream() {
    let mut builder = GraphBuilder::new(
        &COLUMNS,
        &ObservationColumns::default(),
        GraphOptions::default(),
    );
    builder
        .push(&batch(&["a", "b"], &["b", "c"], &[1.0, 2.0]))
        .unwrap();
    let err = builder
        .push(&batch(
            &["c", "a", "d"],
            &["a", "b", "a"],
            &[3.0, f64::NAN, 1.0],
        ))
        .unwrap_err();
    assert!(
        matches!(&err, Error::BadValue { column, row: 3, .. } if column == "w"),
        "{err}"
    );
    // A refused batch leaves the builder unusable rather than half-filled.
    let err = builder.push(&batch(&["x"], &["y"], &[1.0])).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { name: "edges", .. }));
    assert!(builder.finish().is_err());
}

#[test]
fn streamed_batches_must_agree_on_the_id_kind() {
    let mut builder = GraphBuilder::new(
        &COLUMNS,
        &ObservationColumns::default(),
        GraphOptions::default(),
    );
    builder.push(&batch(&["a"], &["b"], &[1.0])).unwrap();
    let schema = Arc::new(Schema::new(vec![
        Field::new("s", arrow_schema::DataType::Int64, false),
        Field::new("t", arrow_schema::DataType::Int64, false),
        Field::new("w", arrow_schema::DataType::Float64, false),
    ]));
    let ints = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from(vec![1])),
            Arc::new(Int64Array::from(vec![2])),
            Arc::new(Float64Array::from(vec![1.0])),
        ],
    )
    .unwrap();
    let err = builder.push(&Table::new(schema, vec![ints])).unwrap_err();
    assert!(
        matches!(&err, Error::WrongType { column, .. } if column == "s"),
        "{err}"
    );
}

#[test]
fn an_empty_stream_without_nodes_is_an_error() {
    let builder = GraphBuilder::new(
        &COLUMNS,
        &ObservationColumns::default(),
        GraphOptions::default(),
    );
    assert!(matches!(builder.finish(), Err(Error::Empty { .. })));
}
