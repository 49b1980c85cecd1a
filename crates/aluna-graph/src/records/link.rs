//! Entities (persons or cases) linked when their records share an identifier value.

use aluna_core::ids::{IdMap, Key};
use aluna_core::parallel::{ordered_map, Cancel};
use aluna_core::table::Table;
use aluna_core::{ensure, Error, Result};
use rayon::prelude::*;

use aluna_core::table::Groups;

use super::group::{check_rows, group_text, intern_column};
use crate::{CaseGraph, EdgeRows, GraphOptions};

/// Identifier values handled per unit of parallel work.
const BLOCK: usize = 1024;

/// How the values two entities share weigh their link.
///
/// Each weighting is the weight of a projection of the bipartite graph of entities and
/// identifier values (one value node per identifier column and value, hub values removed):
///
/// * `InverseFrequency`: `w(u, v) = Σ_k 1 / (d_k − 1)` over the values `k` both hold, `d_k` the
///   number of entities holding `k`: a value shared by two entities adds 1, one shared by 101
///   adds 0.01. Newman's collaboration weighting (Newman 2001, Phys. Rev. E 64, 016132,
///   <https://doi.org/10.1103/PhysRevE.64.016132>); networkx's
///   `bipartite.collaboration_weighted_projected_graph`.
/// * `Count`: the number of shared values; networkx's `bipartite.weighted_projected_graph`.
/// * `Jaccard`: shared values over the values either holds, `|K(u) ∩ K(v)| / |K(u) ∪ K(v)|`;
///   networkx's `bipartite.overlap_weighted_projected_graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Weighting {
    /// `Σ 1 / (d_k − 1)` over shared values (damps values many entities share).
    #[default]
    InverseFrequency,
    /// Number of shared values.
    Count,
    /// Shared values over the union of both entities' values.
    Jaccard,
}

/// Which columns of the records hold what.
#[derive(Debug, Clone, Copy)]
pub struct LinkColumns<'a> {
    /// The entity each record is about (a person or a case): the graph's nodes.
    pub entity: &'a str,
    /// Identifier columns (pseudonymised phone numbers, devices, accounts, payment
    /// instruments, image-hash matches ...); a value links the entities that share it, within
    /// its own column only.
    pub identifiers: &'a [&'a str],
    /// When each record was made (date, datetime or integer); needed for `window` and for
    /// first and last times seen.
    pub time: Option<&'a str>,
}

/// How records become links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkOptions {
    /// How shared values weigh a link.
    pub weighting: Weighting,
    /// Values held by more than this many entities are dropped (and reported): a value shared
    /// by `d` entities would make `d(d − 1)/2` links. `None` keeps every value.
    pub max_identifier_degree: Option<usize>,
    /// Link only records made at most this far apart (in the time column's units: days for
    /// dates, the timestamp's unit for datetimes); `None` links whatever the distance.
    pub window: Option<i64>,
}

impl Default for LinkOptions {
    fn default() -> Self {
        Self {
            weighting: Weighting::InverseFrequency,
            max_identifier_degree: Some(1000),
            window: None,
        }
    }
}

/// What happened to one identifier column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentifierReport {
    /// The column.
    pub column: String,
    /// Rows with a null in it (ignored).
    pub nulls: usize,
    /// Distinct non-null values.
    pub values: usize,
    /// Values held by two or more entities and kept.
    pub shared_values: usize,
    /// Values dropped for being held by more than `max_identifier_degree` entities.
    pub dropped_values: usize,
    /// Entity pairs linked through this column.
    pub pairs: usize,
}

/// A value dropped for being held by too many entities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedValue {
    /// Its identifier column.
    pub column: String,
    /// The value, as text.
    pub value: String,
    /// How many entities hold it.
    pub entities: usize,
}

/// What [`link_records`] read, ignored and dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkReport {
    /// Record rows read.
    pub rows: usize,
    /// Distinct entities (nodes of the graph).
    pub entities: usize,
    /// One report per identifier column, in the order given.
    pub identifiers: Vec<IdentifierReport>,
    /// Dropped hub values, most entities first (then by column and value).
    pub dropped: Vec<DroppedValue>,
}

/// One shared value behind one pair.
#[derive(Debug, Clone, Copy)]
struct Shared {
    a: u32,
    b: u32,
    value: u32,
    first: i64,
    last: i64,
}

/// The evidence of one identifier column for one pair.
#[derive(Debug, Clone, Copy)]
struct PairColumn {
    a: u32,
    b: u32,
    column: u32,
    shared: u32,
    weight: f64,
    first: i64,
    last: i64,
}

/// What a block of values yields.
#[derive(Default)]
struct Block {
    degree: Vec<u32>,
    shared: Vec<Shared>,
    holders: Vec<u32>,
}

#[derive(Default)]
struct Scratch {
    rows: Vec<(u32, i64)>,
    distinct: Vec<(u32, i64, i64)>,
    recent: Vec<(u32, i64)>,
    hits: Vec<(u32, u32, i64)>,
}

/// Settings one column's pass needs.
struct Pass<'a> {
    entity: &'a [u32],
    time: Option<&'a [i64]>,
    window: Option<i64>,
    cap: Option<usize>,
    keep_holders: bool,
}

impl Pass<'_> {
    /// The pairs linked by value `v`, held in `rows`.
    fn share_value(&self, v: u32, rows: &[u32], s: &mut Scratch, out: &mut Block) {
        s.rows.clear();
        s.rows.extend(rows.iter().map(|&r| {
            (
                self.entity[r as usize],
                self.time.map_or(0, |t| t[r as usize]),
            )
        }));
        s.rows.sort_unstable();
        // Distinct entities with their first and last record of this value.
        s.distinct.clear();
        for &(e, t) in &s.rows {
            match s.distinct.last_mut() {
                Some(last) if last.0 == e => last.2 = t,
                _ => s.distinct.push((e, t, t)),
            }
        }
        let d = s.distinct.len();
        out.degree.push(d as u32);
        if self.cap.is_some_and(|k| d > k) {
            return;
        }
        if self.keep_holders {
            out.holders.extend(s.distinct.iter().map(|x| x.0));
        }
        if d < 2 {
            return;
        }
        match self.window {
            None => {
                // The pair co-occurs whenever the later of two records is made: first at the
                // later of the two first records, last at the later of the two last ones.
                for i in 0..d {
                    let (ea, fa, la) = s.distinct[i];
                    for &(eb, fb, lb) in &s.distinct[i + 1..] {
                        out.shared.push(Shared {
                            a: ea,
                            b: eb,
                            value: v,
                            first: fa.max(fb),
                            last: la.max(lb),
                        });
                    }
                }
            }
            Some(w) => {
                // Sweep the records in time order; each meets the latest record of every other
                // entity within `w` before it.
                s.rows.sort_unstable_by_key(|&(e, t)| (t, e));
                s.recent.clear();
                s.hits.clear();
                for &(e, t) in &s.rows {
                    let mut mine = None;
                    for (k, &(e2, t2)) in s.recent.iter().enumerate() {
                        if e2 == e {
                            mine = Some(k);
                        } else if t.saturating_sub(t2) <= w {
                            s.hits.push((e.min(e2), e.max(e2), t));
                        }
                    }
                    match mine {
                        Some(k) => s.recent[k].1 = t,
                        None => s.recent.push((e, t)),
                    }
                }
                s.hits.sort_unstable();
                let mut i = 0;
                while i < s.hits.len() {
                    let (a, b, first) = s.hits[i];
                    let mut j = i;
                    while j + 1 < s.hits.len() && s.hits[j + 1].0 == a && s.hits[j + 1].1 == b {
                        j += 1;
                    }
                    out.shared.push(Shared {
                        a,
                        b,
                        value: v,
                        first,
                        last: s.hits[j].2,
                    });
                    i = j + 1;
                }
            }
        }
    }
}

/// One identifier column's links, its report and the values each entity holds.
struct ColumnLinks {
    pairs: Vec<PairColumn>,
    report: IdentifierReport,
    dropped: Vec<DroppedValue>,
    holders: Vec<u32>,
}

fn link_column(
    table: &Table,
    name: &str,
    column: u32,
    groups: Groups,
    pass: &Pass<'_>,
    weighting: Weighting,
    cancel: &Cancel,
) -> Result<ColumnLinks> {
    let levels = groups.len();
    let (offsets, rows) = (&groups.offsets, &groups.rows);
    let blocks = levels.div_ceil(BLOCK);
    let parts = ordered_map(blocks, cancel, Scratch::default, |b, scratch| {
        let mut out = Block::default();
        for v in b * BLOCK..((b + 1) * BLOCK).min(levels) {
            let held = &rows[offsets[v] as usize..offsets[v + 1] as usize];
            pass.share_value(v as u32, held, scratch, &mut out);
        }
        out
    })?;
    let mut degree = Vec::with_capacity(levels);
    let mut shared = Vec::with_capacity(parts.iter().map(|p| p.shared.len()).sum());
    let mut holders = Vec::new();
    for part in parts {
        degree.extend(part.degree);
        shared.extend(part.shared);
        holders.extend(part.holders);
    }
    // (a, b, value) is unique, so the order, and every sum below, is the same on any pool.
    shared.par_sort_unstable_by_key(|s| (s.a, s.b, s.value));
    let mut pairs = Vec::new();
    let mut i = 0;
    while i < shared.len() {
        let (a, b) = (shared[i].a, shared[i].b);
        let mut j = i;
        let mut weight = 0.0;
        let (mut first, mut last) = (i64::MAX, i64::MIN);
        while j < shared.len() && shared[j].a == a && shared[j].b == b {
            let s = shared[j];
            if weighting == Weighting::InverseFrequency {
                weight += 1.0 / f64::from(degree[s.value as usize] - 1);
            }
            first = first.min(s.first);
            last = last.max(s.last);
            j += 1;
        }
        let count = (j - i) as u32;
        if weighting != Weighting::InverseFrequency {
            weight = f64::from(count);
        }
        pairs.push(PairColumn {
            a,
            b,
            column,
            shared: count,
            weight,
            first,
            last,
        });
        i = j;
    }
    let over = |d: u32| pass.cap.is_some_and(|k| d as usize > k);
    let dropped: Vec<DroppedValue> = degree
        .iter()
        .enumerate()
        .filter(|(_, &d)| over(d))
        .map(|(v, &d)| DroppedValue {
            column: name.to_string(),
            value: group_text(table, name, &groups, v),
            entities: d as usize,
        })
        .collect();
    let report = IdentifierReport {
        column: name.to_string(),
        nulls: groups.nulls,
        values: levels,
        shared_values: degree.iter().filter(|&&d| d >= 2 && !over(d)).count(),
        dropped_values: dropped.len(),
        pairs: pairs.len(),
    };
    Ok(ColumnLinks {
        pairs,
        report,
        dropped,
        holders,
    })
}

/// Link the entities of case records that share an identifier value.
///
/// Every distinct entity becomes a node (in first-seen order), also one with no shared value.
/// Two entities are linked when some identifier column holds the same value in a record of each
/// (values are compared within a column: a phone number never matches an account number).
/// Nulls are ignored and counted. A value held by more than `max_identifier_degree` entities is
/// dropped and reported, as if it were absent (a shared public Wi-Fi address must not link
/// everyone). With `window`, two records link only if made at most `window` apart.
///
/// The graph keeps the evidence as one observation per pair and identifier column: its link
/// type is the column, its count the number of values shared through it, its weight that
/// column's share of the [`Weighting`], and, with a time column, its span runs from the first to
/// the last co-occurrence (a co-occurrence happens when the later of two records is made). So
/// the graph's edges say which columns link a pair, through how many values, since and until
/// when; merged over columns, the weight is the weighting's.
///
/// Work is linear in the records plus the pairs made; values are processed in parallel in
/// fixed blocks and every sum runs in a fixed order, so results are identical on any number
/// of threads. Memory: the interned columns, then about 32 bytes per (pair, shared value) of
/// one column at a time.
///
/// # Example
/// ```
/// use std::sync::Arc;
/// use aluna_core::{parallel::Cancel, table::Table};
/// use aluna_graph::{link_records, LinkColumns, LinkOptions, Weighting};
/// use arrow_array::{RecordBatch, StringArray};
/// use arrow_schema::{DataType, Field, Schema};
/// let schema = Arc::new(Schema::new(vec![
///     Field::new("person", DataType::Utf8, false),
///     Field::new("phone", DataType::Utf8, true),
/// ]));
/// let batch = RecordBatch::try_new(schema.clone(), vec![
///     Arc::new(StringArray::from(vec!["ann", "bo", "cy", "cy"])),
///     Arc::new(StringArray::from(vec![Some("p1"), Some("p1"), Some("p2"), None])),
/// ]).unwrap();
/// let table = Table::new(schema, vec![batch]);
/// let columns = LinkColumns { entity: "person", identifiers: &["phone"], time: None };
/// let options = LinkOptions { weighting: Weighting::Count, ..Default::default() };
/// let (graph, report) = link_records(&table, &columns, &options, &Cancel::new())?;
/// assert_eq!((graph.number_of_nodes(), graph.number_of_edges()), (3, 1));
/// assert_eq!(report.identifiers[0].nulls, 1);
/// # Ok::<(), aluna_core::Error>(())
/// ```
pub fn link_records(
    table: &Table,
    columns: &LinkColumns<'_>,
    options: &LinkOptions,
    cancel: &Cancel,
) -> Result<(CaseGraph, LinkReport)> {
    ensure!(
        !columns.identifiers.is_empty(),
        Error::argument("identifiers", "name at least one identifier column")
    );
    for (k, name) in columns.identifiers.iter().enumerate() {
        ensure!(
            *name != columns.entity,
            Error::argument(
                "identifiers",
                format!("`{name}` is the entity column; an entity cannot be its own identifier")
            )
        );
        ensure!(
            !columns.identifiers[..k].contains(name),
            Error::argument("identifiers", format!("`{name}` is named twice"))
        );
    }
    if let Some(k) = options.max_identifier_degree {
        ensure!(
            k >= 2,
            Error::argument(
                "max_identifier_degree",
                format!("must be at least 2 (a value held by one entity links nobody), got {k}")
            )
        );
    }
    if let Some(w) = options.window {
        ensure!(
            w > 0,
            Error::argument("window", format!("must be positive, got {w}"))
        );
        ensure!(
            columns.time.is_some(),
            Error::argument("window", "a time window needs a time column (time=...)")
        );
    }
    // Name every missing or mistyped column before reading any.
    table.column(columns.entity)?.key_kind()?;
    for name in columns.identifiers {
        table.column(name)?.key_kind()?;
    }
    if let Some(t) = columns.time {
        table.column(t)?.time_kind()?;
    }
    check_rows(table, "records")?;
    let (time_kind, time) = match columns.time {
        Some(c) => {
            let (kind, values) = table.column(c)?.time_values("a time")?;
            (Some(kind), Some(values))
        }
        None => (None, None),
    };
    let (entities, identifiers) = rayon::join(
        || intern_column(table, columns.entity, Some("an entity id"), true),
        || {
            columns
                .identifiers
                .par_iter()
                .map(|c| intern_column(table, c, None, false))
                .collect::<Vec<_>>()
        },
    );
    let entities = entities?;
    let identifiers = identifiers.into_iter().collect::<Result<Vec<_>>>()?;
    let ids = entities
        .levels
        .ok_or_else(|| Error::argument("entity", "internal: entity ids were not kept"))?;
    let n = ids.len();
    let jaccard = options.weighting == Weighting::Jaccard;
    let pass = Pass {
        entity: &entities.groups.codes,
        time: time.as_deref(),
        window: options.window,
        cap: options.max_identifier_degree,
        keep_holders: jaccard,
    };
    let mut held = if jaccard { vec![0u32; n] } else { Vec::new() };
    let mut pairs: Vec<PairColumn> = Vec::new();
    let mut reports = Vec::with_capacity(identifiers.len());
    let mut dropped = Vec::new();
    for (c, (name, codes)) in columns.identifiers.iter().zip(identifiers).enumerate() {
        cancel.check()?;
        let links = link_column(
            table,
            name,
            c as u32,
            codes.groups,
            &pass,
            options.weighting,
            cancel,
        )?;
        links.holders.iter().for_each(|&e| held[e as usize] += 1);
        pairs.extend(links.pairs);
        reports.push(links.report);
        dropped.extend(links.dropped);
    }
    cancel.check()?;
    pairs.par_sort_unstable_by_key(|p| (p.a, p.b, p.column));
    if jaccard {
        let mut i = 0;
        while i < pairs.len() {
            let (a, b) = (pairs[i].a, pairs[i].b);
            let mut j = i;
            while j < pairs.len() && pairs[j].a == a && pairs[j].b == b {
                j += 1;
            }
            let shared: u32 = pairs[i..j].iter().map(|p| p.shared).sum();
            let union = f64::from(held[a as usize] + held[b as usize] - shared);
            pairs[i..j]
                .iter_mut()
                .for_each(|p| p.weight = f64::from(p.shared) / union);
            i = j;
        }
    }
    dropped.sort_by(|x, y| {
        y.entities
            .cmp(&x.entities)
            .then_with(|| x.column.cmp(&y.column))
            .then_with(|| x.value.cmp(&y.value))
    });
    let mut link_types = IdMap::new_str();
    for name in columns.identifiers {
        link_types.intern(Key::Str(name))?;
    }
    let timed = time_kind.is_some();
    let rows = EdgeRows {
        source: pairs.iter().map(|p| p.a).collect(),
        target: pairs.iter().map(|p| p.b).collect(),
        weight: Some(pairs.iter().map(|p| p.weight).collect()),
        count: Some(pairs.iter().map(|p| p.shared).collect()),
        link_type: Some(pairs.iter().map(|p| p.column).collect()),
        time: timed.then(|| pairs.iter().map(|p| p.first).collect()),
        until: timed.then(|| pairs.iter().map(|p| p.last).collect()),
    };
    drop(pairs);
    let report = LinkReport {
        rows: table.num_rows(),
        entities: n,
        identifiers: reports,
        dropped,
    };
    let graph = CaseGraph::build(
        ids,
        rows,
        Some(link_types),
        time_kind,
        GraphOptions::default(),
    )?;
    Ok((graph, report))
}

#[cfg(test)]
mod tests {
    use super::super::group::key_text;
    use super::*;
    use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
    use arrow_schema::{Field, Schema};
    use std::sync::Arc;

    fn table(columns: Vec<(&str, ArrayRef)>) -> Table {
        let fields: Vec<Field> = columns
            .iter()
            .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
            .collect();
        let schema = Arc::new(Schema::new(fields));
        let batch =
            RecordBatch::try_new(schema.clone(), columns.into_iter().map(|c| c.1).collect())
                .unwrap();
        Table::new(schema, vec![batch])
    }

    fn strs(v: &[Option<&str>]) -> ArrayRef {
        Arc::new(StringArray::from(v.to_vec()))
    }

    /// Edges as (a, b, weight) by the user's string ids, sorted.
    fn edges(g: &CaseGraph) -> Vec<(String, String, f64)> {
        let w = g.edge_weights().unwrap();
        let mut out: Vec<_> = g
            .edges()
            .map(|(e, a, b)| {
                let (a, b) = (
                    key_text(g.node_ids(), a as usize),
                    key_text(g.node_ids(), b as usize),
                );
                let (a, b) = if a <= b { (a, b) } else { (b, a) };
                (a, b, w[e as usize])
            })
            .collect();
        out.sort_by(|x, y| x.partial_cmp(y).unwrap());
        out
    }

    fn records() -> Table {
        // phone h is held by a, b, c, d (degree 4); phone p by a and b; device x by b and c.
        table(vec![
            (
                "person",
                strs(&[
                    Some("a"),
                    Some("b"),
                    Some("c"),
                    Some("d"),
                    Some("a"),
                    Some("b"),
                    Some("e"),
                ]),
            ),
            (
                "phone",
                strs(&[
                    Some("h"),
                    Some("h"),
                    Some("h"),
                    Some("h"),
                    Some("p"),
                    Some("p"),
                    None,
                ]),
            ),
            (
                "device",
                strs(&[None, Some("x"), Some("x"), None, None, None, Some("y")]),
            ),
            (
                "day",
                Arc::new(Int64Array::from(vec![1, 2, 3, 40, 5, 6, 7])),
            ),
        ])
    }

    #[test]
    fn inverse_frequency_by_hand() {
        let cols = LinkColumns {
            entity: "person",
            identifiers: &["phone", "device"],
            time: None,
        };
        let (g, report) =
            link_records(&records(), &cols, &LinkOptions::default(), &Cancel::new()).unwrap();
        assert_eq!(g.number_of_nodes(), 5);
        let third = 1.0 / 3.0;
        let e = edges(&g);
        let want = [
            ("a", "b", third + 1.0),
            ("a", "c", third),
            ("a", "d", third),
            ("b", "c", third + 1.0),
            ("b", "d", third),
            ("c", "d", third),
        ];
        assert_eq!(e.len(), want.len());
        for ((a, b, w), (wa, wb, ww)) in e.iter().zip(want) {
            assert_eq!((a.as_str(), b.as_str()), (wa, wb));
            assert!((w - ww).abs() < 1e-15);
        }
        assert_eq!(report.identifiers[0].nulls, 1);
        assert_eq!(report.identifiers[1].nulls, 4);
        assert_eq!(report.identifiers[0].shared_values, 2);
        assert_eq!(report.identifiers[1].shared_values, 1);
        assert!(report.dropped.is_empty());
    }

    #[test]
    fn hubs_are_dropped_and_reported() {
        let cols = LinkColumns {
            entity: "person",
            identifiers: &["phone", "device"],
            time: None,
        };
        let options = LinkOptions {
            weighting: Weighting::Count,
            max_identifier_degree: Some(3),
            window: None,
        };
        let (g, report) = link_records(&records(), &cols, &options, &Cancel::new()).unwrap();
        let e = edges(&g);
        assert_eq!(
            e,
            vec![("a".into(), "b".into(), 1.0), ("b".into(), "c".into(), 1.0)]
        );
        assert_eq!(
            report.dropped,
            vec![DroppedValue {
                column: "phone".into(),
                value: "h".into(),
                entities: 4
            }]
        );
        assert_eq!(report.identifiers[0].dropped_values, 1);
    }

    #[test]
    fn window_keeps_only_close_records_and_spans_them() {
        let cols = LinkColumns {
            entity: "person",
            identifiers: &["phone"],
            time: Some("day"),
        };
        let options = LinkOptions {
            weighting: Weighting::Count,
            max_identifier_degree: None,
            window: Some(2),
        };
        let (g, _) = link_records(&records(), &cols, &options, &Cancel::new()).unwrap();
        // h: a@1 b@2 c@3 d@40 → a-b (at 2), a-c (at 3), b-c (at 3); p: a@5 b@6 → a-b (at 6).
        let e = edges(&g);
        let pairs: Vec<(&str, &str, f64)> = e
            .iter()
            .map(|(a, b, w)| (a.as_str(), b.as_str(), *w))
            .collect();
        assert_eq!(
            pairs,
            vec![("a", "b", 2.0), ("a", "c", 1.0), ("b", "c", 1.0)]
        );
        let ab = g.edge_between(0, 1).unwrap();
        assert_eq!(g.edge_time_span(ab as usize), Some((2, 6)));
    }

    #[test]
    fn bad_arguments_name_themselves() {
        let cols = LinkColumns {
            entity: "person",
            identifiers: &["phone"],
            time: None,
        };
        let window = LinkOptions {
            window: Some(3),
            ..Default::default()
        };
        assert!(matches!(
            link_records(&records(), &cols, &window, &Cancel::new()),
            Err(Error::InvalidArgument { name: "window", .. })
        ));
        let missing = LinkColumns {
            entity: "nobody",
            ..cols
        };
        assert!(matches!(
            link_records(
                &records(),
                &missing,
                &LinkOptions::default(),
                &Cancel::new()
            ),
            Err(Error::MissingColumn { .. })
        ));
        let cap = LinkOptions {
            max_identifier_degree: Some(1),
            ..Default::default()
        };
        assert!(matches!(
            link_records(&records(), &cols, &cap, &Cancel::new()),
            Err(Error::InvalidArgument {
                name: "max_identifier_degree",
                ..
            })
        ));
    }

    /// The observations of a graph as sorted (a, b, column, count, weight, first, last).
    type Obs = (u32, u32, u32, u32, f64, i64, i64);

    fn observations(g: &CaseGraph) -> Vec<Obs> {
        let r = g.edge_rows();
        let mut out: Vec<Obs> = (0..r.len())
            .map(|i| {
                (
                    r.source[i],
                    r.target[i],
                    r.link_type.as_ref().unwrap()[i],
                    r.count.as_ref().map_or(1, |c| c[i]),
                    r.weight.as_ref().unwrap()[i],
                    r.time.as_ref().map_or(0, |t| t[i]),
                    r.until.as_ref().map_or(0, |t| t[i]),
                )
            })
            .collect();
        out.sort_by(|x, y| x.partial_cmp(y).unwrap());
        out
    }

    /// Every rule of `link_records` spelled out over all pairs of rows: quadratic, obvious.
    fn brute_force(
        entity: &[i64],
        ids: &[Vec<Option<i64>>],
        time: Option<&[i64]>,
        options: &LinkOptions,
        order: &[i64],
    ) -> Vec<Obs> {
        use std::collections::{BTreeMap, BTreeSet};
        let index = |e: i64| order.iter().position(|&x| x == e).unwrap() as u32;
        let t = |i: usize| time.map_or(0, |t| t[i]);
        // (a, b, column, value) -> (first, last)
        let mut hits: BTreeMap<(u32, u32, u32, i64), (i64, i64)> = BTreeMap::new();
        let mut holders: BTreeMap<(u32, i64), BTreeSet<u32>> = BTreeMap::new();
        for (c, col) in ids.iter().enumerate() {
            for (i, v) in col.iter().enumerate() {
                if let Some(v) = v {
                    holders
                        .entry((c as u32, *v))
                        .or_default()
                        .insert(index(entity[i]));
                }
            }
        }
        let kept = |c: u32, v: i64| {
            options
                .max_identifier_degree
                .is_none_or(|k| holders[&(c, v)].len() <= k)
        };
        for (c, col) in ids.iter().enumerate() {
            for i in 0..col.len() {
                for j in 0..col.len() {
                    let (Some(vi), Some(vj)) = (col[i], col[j]) else {
                        continue;
                    };
                    let (ei, ej) = (index(entity[i]), index(entity[j]));
                    if vi != vj || ei >= ej || !kept(c as u32, vi) {
                        continue;
                    }
                    if options.window.is_some_and(|w| (t(i) - t(j)).abs() > w) {
                        continue;
                    }
                    let when = t(i).max(t(j));
                    let e = hits.entry((ei, ej, c as u32, vi)).or_insert((when, when));
                    e.0 = e.0.min(when);
                    e.1 = e.1.max(when);
                }
            }
        }
        let mut held: BTreeMap<u32, u32> = BTreeMap::new();
        for ((c, v), h) in &holders {
            if kept(*c, *v) {
                for e in h {
                    *held.entry(*e).or_default() += 1;
                }
            }
        }
        type Evidence = (u32, f64, i64, i64);
        let mut per: BTreeMap<(u32, u32, u32), Evidence> = BTreeMap::new();
        for ((a, b, c, v), (f, l)) in &hits {
            let d = holders[&(*c, *v)].len() as f64;
            let e = per
                .entry((*a, *b, *c))
                .or_insert((0, 0.0, i64::MAX, i64::MIN));
            e.0 += 1;
            e.1 += 1.0 / (d - 1.0);
            e.2 = e.2.min(*f);
            e.3 = e.3.max(*l);
        }
        let mut total: BTreeMap<(u32, u32), u32> = BTreeMap::new();
        for ((a, b, _), x) in &per {
            *total.entry((*a, *b)).or_default() += x.0;
        }
        let mut out: Vec<Obs> = per
            .iter()
            .map(|((a, b, c), (k, w, f, l))| {
                let weight = match options.weighting {
                    Weighting::InverseFrequency => *w,
                    Weighting::Count => f64::from(*k),
                    Weighting::Jaccard => {
                        let s = total[&(*a, *b)];
                        f64::from(*k) / f64::from(held[a] + held[b] - s)
                    }
                };
                let (f, l) = if time.is_some() { (*f, *l) } else { (0, 0) };
                (*a, *b, *c, *k, weight, f, l)
            })
            .collect();
        out.sort_by(|x, y| x.partial_cmp(y).unwrap());
        out
    }

    fn optional(v: Vec<Option<i64>>) -> ArrayRef {
        Arc::new(Int64Array::from(v))
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_brute_force(
            rows in proptest::collection::vec(
                (0i64..9, proptest::option::of(0i64..5), proptest::option::of(0i64..4), 0i64..30),
                1..60,
            ),
            weighting in 0usize..3,
            cap in proptest::option::of(2usize..6),
            window in proptest::option::of(1i64..10),
            timed in proptest::bool::ANY,
        ) {
            let entity: Vec<i64> = rows.iter().map(|r| r.0).collect();
            let ids = vec![
                rows.iter().map(|r| r.1).collect::<Vec<_>>(),
                rows.iter().map(|r| r.2).collect::<Vec<_>>(),
            ];
            let time: Vec<i64> = rows.iter().map(|r| r.3).collect();
            let t = table(vec![
                ("e", Arc::new(Int64Array::from(entity.clone())) as ArrayRef),
                ("x", optional(ids[0].clone())),
                ("y", optional(ids[1].clone())),
                ("t", Arc::new(Int64Array::from(time.clone())) as ArrayRef),
            ]);
            let options = LinkOptions {
                weighting: [Weighting::InverseFrequency, Weighting::Count, Weighting::Jaccard][weighting],
                max_identifier_degree: cap,
                window: if timed { window } else { None },
            };
            let cols = LinkColumns { entity: "e", identifiers: &["x", "y"], time: timed.then_some("t") };
            let (g, _) = link_records(&t, &cols, &options, &Cancel::new()).unwrap();
            let mut order = Vec::new();
            for e in &entity { if !order.contains(e) { order.push(*e); } }
            let want = brute_force(&entity, &ids, timed.then_some(&time[..]), &options, &order);
            let got = observations(&g);
            proptest::prop_assert_eq!(got.len(), want.len());
            for (x, y) in got.iter().zip(&want) {
                proptest::prop_assert_eq!((x.0, x.1, x.2, x.3, x.5, x.6), (y.0, y.1, y.2, y.3, y.5, y.6));
                proptest::prop_assert!((x.4 - y.4).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn identical_on_one_thread_or_many() {
        let n = 20_000i64;
        let entity: Vec<i64> = (0..n).map(|i| (i * 7919) % 5000).collect();
        let phone: Vec<Option<i64>> = (0..n)
            .map(|i| (i % 11 != 0).then_some((i * 31) % 3000))
            .collect();
        let time: Vec<i64> = (0..n).map(|i| (i * 13) % 365).collect();
        let t = table(vec![
            ("e", Arc::new(Int64Array::from(entity)) as ArrayRef),
            ("p", optional(phone)),
            ("t", Arc::new(Int64Array::from(time)) as ArrayRef),
        ]);
        let cols = LinkColumns {
            entity: "e",
            identifiers: &["p"],
            time: Some("t"),
        };
        let run = |threads| {
            aluna_core::parallel::install(Some(threads), || {
                link_records(
                    &t,
                    &cols,
                    &LinkOptions {
                        window: Some(100),
                        ..Default::default()
                    },
                    &Cancel::new(),
                )
            })
            .unwrap()
            .unwrap()
            .0
        };
        let (one, two) = (run(1), run(2));
        let bits = |g: &CaseGraph| {
            g.edge_weights()
                .unwrap()
                .iter()
                .map(|w| w.to_bits())
                .collect::<Vec<_>>()
        };
        assert!(one.number_of_edges() > 1000);
        assert_eq!(bits(&one), bits(&two));
        assert_eq!(observations(&one).len(), observations(&two).len());
    }
}
