//! Disruption simulation: remove people one at a time by a targeting strategy and follow how the
//! network falls apart, or repairs itself.

use aluna_core::parallel::Cancel;
use aluna_core::random::stream;
use aluna_core::{ensure, Error, Result};
use rand::seq::SliceRandom;
use rand::Rng;

use crate::centrality::{betweenness_without, pagerank_without};
use crate::csr::Csr;
use crate::distances::global_efficiency;
use crate::key_players::fragmentation_after_each;
use crate::{key_players, CaseGraph, KeyPlayerObjective, KeyPlayerOptions, TargetFilter};

/// Which person a disruption strategy removes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisruptionStrategy {
    /// The most contacts (degree).
    Degree,
    /// The highest shortest-path betweenness (Freeman 1977).
    Betweenness,
    /// The highest PageRank (`alpha` 0.85).
    PageRank,
    /// The key player: the removal that fragments the network most (Borgatti 2006).
    KeyPlayers,
    /// A random eligible person (the baseline every targeted strategy should beat).
    Random,
}

impl DisruptionStrategy {
    /// Every strategy, in the order of their names.
    pub const ALL: [DisruptionStrategy; 5] = [
        DisruptionStrategy::Degree,
        DisruptionStrategy::Betweenness,
        DisruptionStrategy::PageRank,
        DisruptionStrategy::KeyPlayers,
        DisruptionStrategy::Random,
    ];

    /// The strategy's name as users write it.
    pub fn name(self) -> &'static str {
        match self {
            DisruptionStrategy::Degree => "degree",
            DisruptionStrategy::Betweenness => "betweenness",
            DisruptionStrategy::PageRank => "pagerank",
            DisruptionStrategy::KeyPlayers => "key_players",
            DisruptionStrategy::Random => "random",
        }
    }

    /// Parse a strategy name (`"degree"`, `"betweenness"`, `"pagerank"`, `"key_players"`,
    /// `"random"`).
    pub fn parse(text: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.name() == text)
            .ok_or_else(|| {
                Error::argument(
                    "strategy",
                    format!(
                        "expected \"degree\", \"betweenness\", \"pagerank\", \"key_players\" or \
                         \"random\", got {text:?}"
                    ),
                )
            })
    }
}

/// How the network repairs itself after a removal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Recovery {
    /// No repair: links of removed people are simply lost.
    None,
    /// The removed person's remaining contacts re-link among themselves: each pair of them that
    /// was not linked becomes linked with this probability (see [`disruption`] for the exact
    /// draw).
    Neighbours {
        /// Probability that a pair of contacts of the removed person links up, in `[0, 1]`.
        probability: f64,
    },
}

/// Options of [`disruption`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DisruptionOptions {
    /// Who is removed next.
    pub strategy: DisruptionStrategy,
    /// How many people to remove, one per step.
    pub steps: usize,
    /// Recompute the strategy's measure on the remaining network before every removal
    /// (otherwise rank once, on the network as given, and remove in that order).
    pub recalculate: bool,
    /// How the network repairs itself after each removal.
    pub recovery: Recovery,
    /// Seed of the random strategy, of the key-player tie-breaking order and search, and of the
    /// recovery draws.
    pub seed: u64,
    /// Compute global efficiency at every step (the costliest measure: one breadth-first search
    /// per node); otherwise it is left out.
    pub efficiency: bool,
}

impl Default for DisruptionOptions {
    fn default() -> Self {
        Self {
            strategy: DisruptionStrategy::Degree,
            steps: 10,
            recalculate: true,
            recovery: Recovery::None,
            seed: 0,
            efficiency: true,
        }
    }
}

/// The network after one step of a simulation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DisruptionStep {
    /// 0 for the network as given, then 1, 2, ….
    pub step: usize,
    /// The person removed at this step (none at step 0).
    pub removed: Option<u32>,
    /// The strategy's score of the removed person when chosen: their degree, betweenness or
    /// PageRank in the network they were removed from (in the network as given, when not
    /// recalculated), or for key players the fragmentation their removal left (before any
    /// repair); none for the random strategy and at step 0.
    pub score: Option<f64>,
    /// People left in the network.
    pub nodes_left: usize,
    /// Links among the people left (after this step's repair).
    pub links: usize,
    /// Links added by this step's repair.
    pub links_added: usize,
    /// Connected components among the people left (isolated people count as components).
    pub components: usize,
    /// People in the largest component.
    pub largest_component: usize,
    /// Borgatti's fragmentation `1 − Σ_c s_c (s_c − 1) / (n (n − 1))` over the components of the
    /// `n` people left: the share of pairs that cannot reach each other; none when fewer than
    /// two people are left.
    pub fragmentation: Option<f64>,
    /// Global efficiency of the network left (none when not asked for).
    pub efficiency: Option<f64>,
}

/// A link added by the network's repair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddedLink {
    /// The step whose removal it repairs.
    pub step: usize,
    /// One end (the smaller node index).
    pub a: u32,
    /// The other end.
    pub b: u32,
}

/// The outcome of [`disruption`].
#[derive(Debug, Clone, PartialEq)]
pub struct Disruption {
    /// Step 0 (the network as given), then one entry per removal: the resilience curve.
    pub steps: Vec<DisruptionStep>,
    /// The links added by the repair, in the order they were added.
    pub added: Vec<AddedLink>,
}

/// The network as the simulation changes it: the undirected simple adjacency (rows sorted, no
/// self-loops) with removed people masked. Removals only set a flag; the rows are rebuilt only
/// when a repair adds links.
struct View {
    rows: Csr,
    removed: Vec<bool>,
    left: usize,
    links: usize,
}

impl View {
    /// Links taken as undirected: a directed pair linked either way (or both) is one contact.
    fn new(graph: &CaseGraph) -> Self {
        let n = graph.number_of_nodes();
        let out = graph.out_adjacency();
        let incoming = graph.is_directed().then(|| graph.in_adjacency());
        let mut offsets = Vec::with_capacity(n + 1);
        offsets.push(0u64);
        let mut neighbours =
            Vec::with_capacity(out.slots() * if incoming.is_some() { 2 } else { 1 });
        for v in 0..n as u32 {
            let a = out.neighbours(v);
            match incoming {
                None => neighbours.extend(a.iter().copied().filter(|&w| w != v)),
                Some(inc) => merge_into(&mut neighbours, a, inc.neighbours(v), v),
            }
            offsets.push(neighbours.len() as u64);
        }
        let links = neighbours.len() / 2;
        Self {
            rows: Csr {
                offsets,
                neighbours,
            },
            removed: vec![false; n],
            left: n,
            links,
        }
    }

    fn contacts_left(&self, v: u32) -> impl Iterator<Item = u32> + '_ {
        self.rows
            .neighbours(v)
            .iter()
            .copied()
            .filter(|&w| !self.removed[w as usize])
    }

    fn remove(&mut self, v: u32) {
        let lost = self.contacts_left(v).count();
        self.links -= lost;
        self.removed[v as usize] = true;
        self.left -= 1;
    }

    fn linked(&self, a: u32, b: u32) -> bool {
        self.rows.neighbours(a).binary_search(&b).is_ok()
    }

    /// Add links (pairs not yet linked, each once): rows are merged with the additions, O(n + m).
    fn add_links(&mut self, pairs: &[(u32, u32)]) {
        if pairs.is_empty() {
            return;
        }
        let mut extra: Vec<(u32, u32)> =
            pairs.iter().flat_map(|&(a, b)| [(a, b), (b, a)]).collect();
        extra.sort_unstable();
        let n = self.rows.len();
        let mut offsets = Vec::with_capacity(n + 1);
        offsets.push(0u64);
        let mut neighbours = Vec::with_capacity(self.rows.slots() + extra.len());
        let mut k = 0;
        for v in 0..n as u32 {
            let start = k;
            while k < extra.len() && extra[k].0 == v {
                k += 1;
            }
            let added: Vec<u32> = extra[start..k].iter().map(|e| e.1).collect();
            merge_into(&mut neighbours, self.rows.neighbours(v), &added, v);
            offsets.push(neighbours.len() as u64);
        }
        self.rows = Csr {
            offsets,
            neighbours,
        };
        self.links += pairs.len();
    }

    /// Number of components, size of the largest, and `Σ_c s_c (s_c − 1)`, over the people left.
    fn components(&self) -> (usize, usize, u128) {
        let n = self.rows.len();
        let mut seen = self.removed.clone();
        let mut stack = Vec::new();
        let (mut count, mut largest, mut pairs) = (0usize, 0usize, 0u128);
        for s in 0..n {
            if seen[s] {
                continue;
            }
            seen[s] = true;
            stack.push(s as u32);
            let mut size = 0usize;
            while let Some(v) = stack.pop() {
                size += 1;
                for &w in self.rows.neighbours(v) {
                    if !seen[w as usize] {
                        seen[w as usize] = true;
                        stack.push(w);
                    }
                }
            }
            count += 1;
            largest = largest.max(size);
            pairs += size as u128 * (size as u128 - 1);
        }
        (count, largest, pairs)
    }

    fn record(
        &self,
        step: usize,
        removed: Option<u32>,
        score: Option<f64>,
        links_added: usize,
        efficiency: bool,
        cancel: &Cancel,
    ) -> Result<DisruptionStep> {
        let (components, largest_component, pairs) = self.components();
        let left = self.left as f64;
        let fragmentation = (self.left >= 2).then(|| 1.0 - pairs as f64 / (left * (left - 1.0)));
        let efficiency = if efficiency {
            Some(global_efficiency(&self.rows, &self.removed, cancel)?)
        } else {
            None
        };
        Ok(DisruptionStep {
            step,
            removed,
            score,
            nodes_left: self.left,
            links: self.links,
            links_added,
            components,
            largest_component,
            fragmentation,
            efficiency,
        })
    }
}

/// Append the union of the sorted, distinct lists `a` and `b` without `skip`, each value once.
fn merge_into(out: &mut Vec<u32>, a: &[u32], b: &[u32], skip: u32) {
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let x = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) if x == y => {
                i += 1;
                j += 1;
                x
            }
            (Some(&x), Some(&y)) if x < y => {
                i += 1;
                x
            }
            (Some(&x), None) => {
                i += 1;
                x
            }
            (_, Some(&y)) => {
                j += 1;
                y
            }
            (None, None) => break,
        };
        if x != skip {
            out.push(x);
        }
    }
}

/// Scores closer than this count as tied (so that ties do not depend on rounding).
const TIE: f64 = 1e-12;

/// Per node, the strategy's score on the network left (0 for removed nodes).
fn scores(view: &View, strategy: DisruptionStrategy, cancel: &Cancel) -> Result<Vec<f64>> {
    match strategy {
        DisruptionStrategy::Degree => Ok((0..view.rows.len() as u32)
            .map(|v| {
                if view.removed[v as usize] {
                    0.0
                } else {
                    view.contacts_left(v).count() as f64
                }
            })
            .collect()),
        DisruptionStrategy::Betweenness => betweenness_without(&view.rows, &view.removed, cancel),
        DisruptionStrategy::PageRank => pagerank_without(&view.rows, &view.removed, cancel),
        DisruptionStrategy::KeyPlayers => Ok(fragmentation_after_each(&view.rows, &view.removed)),
        DisruptionStrategy::Random => Ok(vec![0.0; view.rows.len()]),
    }
}

/// Simulate the disruption of a network (Albert, Jeong & Barabási 2000; Duijn, Kashirin & Sloot
/// 2014): remove `steps` people one at a time, each chosen by the strategy among the people the
/// `filter` allows (victims are never chosen by default; they stay in the network), and record
/// after each removal how many people are left, how many components they form, the size of the
/// largest, Borgatti's fragmentation and the global efficiency (Latora & Marchiori 2001)
/// `E = Σ_{i≠j} (1/d_ij) / (n(n−1))` of the network left.
///
/// Links are taken as undirected and unweighted (a directed pair linked either way is one
/// contact); self-loops and parallel links do not matter. Strategies: the most contacts left
/// (degree), the highest betweenness or PageRank of the network left (networkx's normalisation
/// and defaults), the removal that fragments the network most (key players), or a random order.
/// With `recalculate`, the measure is recomputed on the network left before every removal (the
/// adaptive attack, usually the most damaging); without, people are ranked once on the network
/// as given and removed in that order, and key players are Borgatti's set of size `steps`
/// ([`key_players`], greedy start then swaps, seeded), removed in the order chosen. Ties go to
/// the smaller node index (recalculated, scores within 1e-12 of each other tie, so rounding does
/// not decide; key players: the earlier in a random order drawn from `seed`, as in
/// [`key_players`]). The random strategy removes a permutation of the eligible people drawn from
/// stream `(seed, 0)`.
///
/// Recovery ([`Recovery::Neighbours`]) models the repair of a criminal network after an arrest,
/// which can leave it more efficient than before (Duijn et al. 2014): after the person removed at
/// step `t` leaves, every pair `{a, b}` of their remaining contacts, taken in ascending `(a, b)`
/// order, draws one uniform number `u` in `[0, 1)` from stream `(seed, t)`; if `a` and `b` are not
/// linked and `u < probability`, the link `a – b` is added. Added links count as any other from
/// then on (in measures, scores and later repairs). In Duijn et al.'s model, contacts of a removed
/// actor find a replacement for them through their own network, within a value-chain model of
/// roles and skills; this rule is a simpler, role-free form of that repair: triadic closure among
/// the removed person's contacts.
///
/// Cost per step: degree `O(n + m)`; betweenness `O(n m)` (Brandes, parallel over sources);
/// PageRank `O(m)` per iteration; key players `O(n + m)` (one depth-first search scores every
/// candidate); components `O(n + m)`; efficiency `O(⌈n/256⌉ D (n + m))` with `D` the diameter
/// (bit-parallel breadth-first searches, parallel over blocks). Removals only mask people: the
/// adjacency is rebuilt (`O(n + m)`) only when a repair adds links. Every measure is identical
/// for any number of threads, so the whole simulation is determined by `seed`.
///
/// # Errors
/// `Empty` for a graph without people; `InvalidArgument` when `steps` is 0 or larger than the number of people who may be removed,
/// for a recovery probability outside `[0, 1]`; `Cancelled`.
///
/// # References
/// Albert, R., Jeong, H. & Barabási, A.-L. (2000). Error and attack tolerance of complex
/// networks. *Nature* 406:378–382, doi:10.1038/35019019.
/// Duijn, P. A. C., Kashirin, V. & Sloot, P. M. A. (2014). The relative ineffectiveness of
/// criminal network disruption. *Scientific Reports* 4:4238, doi:10.1038/srep04238.
/// Latora, V. & Marchiori, M. (2001). Efficient behavior of small-world networks. *Physical
/// Review Letters* 87:198701, doi:10.1103/PhysRevLett.87.198701.
///
/// # Example
/// ```
/// use aluna_core::ids::{IdMap, Key};
/// use aluna_core::parallel::Cancel;
/// use aluna_graph::{disruption, CaseGraph, DisruptionOptions, EdgeRows, GraphOptions, TargetFilter};
/// // A star: removing the centre (the most contacts) leaves four isolated people.
/// let mut ids = IdMap::new_int();
/// for v in 0..5 { ids.intern(Key::Int(v))?; }
/// let rows = EdgeRows { source: vec![0, 0, 0, 0], target: vec![1, 2, 3, 4], ..Default::default() };
/// let g = CaseGraph::build(ids, rows, None, None, GraphOptions::default())?;
/// let options = DisruptionOptions { steps: 1, ..Default::default() };
/// let d = disruption(&g, &options, &TargetFilter::default(), &Cancel::new())?;
/// assert_eq!(d.steps[0].efficiency, Some(0.7)); // (8 × 1 + 12 × 1/2) / 20
/// assert_eq!(d.steps[1].removed, Some(0));
/// assert_eq!(d.steps[1].score, Some(4.0));
/// assert_eq!((d.steps[1].components, d.steps[1].largest_component), (4, 1));
/// assert_eq!(d.steps[1].efficiency, Some(0.0));
/// # Ok::<(), aluna_core::Error>(())
/// ```
pub fn disruption(
    graph: &CaseGraph,
    options: &DisruptionOptions,
    filter: &TargetFilter,
    cancel: &Cancel,
) -> Result<Disruption> {
    let n = graph.number_of_nodes();
    ensure!(
        n > 0,
        Error::Empty {
            what: "the graph has no people, so there is no one to remove".to_owned(),
        }
    );
    let candidates = filter.candidates(graph);
    let steps = options.steps;
    ensure!(
        steps >= 1,
        Error::argument("steps", "must be at least 1 removal")
    );
    ensure!(
        steps <= candidates.len(),
        Error::argument(
            "steps",
            format!(
                "asks for {steps} removal{} but only {} of the {n} people may be removed \
                 (roles {:?} are never removed)",
                if steps == 1 { "" } else { "s" },
                candidates.len(),
                filter.excluded_role_names()
            )
        )
    );
    if let Recovery::Neighbours { probability } = options.recovery {
        ensure!(
            (0.0..=1.0).contains(&probability),
            Error::argument(
                "recovery_probability",
                format!("must lie in [0, 1], got {probability}")
            )
        );
    }
    let strategy = options.strategy;
    let seed = options.seed;
    let mut view = View::new(graph);
    // Key players' tie-breaking order, as in `key_players`.
    let mut priority = candidates.clone();
    priority.shuffle(&mut stream(seed, 0));
    let mut rank = vec![u32::MAX; n];
    for (i, &v) in priority.iter().enumerate() {
        rank[v as usize] = i as u32;
    }
    // The removal order, fixed in advance unless recalculated.
    let fixed: Option<Vec<(u32, Option<f64>)>> = match strategy {
        DisruptionStrategy::Random => {
            Some(priority.iter().take(steps).map(|&v| (v, None)).collect())
        }
        DisruptionStrategy::KeyPlayers if !options.recalculate => {
            ensure!(
                steps + 2 <= n,
                Error::argument(
                    "steps",
                    format!(
                        "a key-player set of {steps} needs at least two of the {n} people left \
                         after removal (or use recalculate=True)"
                    )
                )
            );
            let kp_options = KeyPlayerOptions {
                k: steps,
                objective: KeyPlayerObjective::Fragmentation,
                seed,
                ..Default::default()
            };
            let found = key_players(graph, &kp_options, filter, cancel)?;
            Some(found.set.into_iter().map(|v| (v, None)).collect())
        }
        _ if !options.recalculate => {
            let initial = scores(&view, strategy, cancel)?;
            let wrapped: Vec<Option<f64>> = initial.iter().copied().map(Some).collect();
            let order = filter.rank(graph, &wrapped, Some(steps))?;
            Some(
                order
                    .into_iter()
                    .map(|v| (v, Some(initial[v as usize])))
                    .collect(),
            )
        }
        _ => None,
    };
    let mut out = Vec::with_capacity(steps + 1);
    let mut added = Vec::new();
    out.push(view.record(0, None, None, 0, options.efficiency, cancel)?);
    for t in 1..=steps {
        cancel.check()?;
        let (v, mut score) = match &fixed {
            Some(order) => order[t - 1],
            None => {
                let s = scores(&view, strategy, cancel)?;
                let mut best: Option<u32> = None;
                for &v in &candidates {
                    if view.removed[v as usize] {
                        continue;
                    }
                    // Candidates come in node order, so among ties the earlier node stays
                    // (key players: the earlier in the seeded order).
                    let better = match best {
                        None => true,
                        Some(b) => {
                            let (x, y) = (s[v as usize], s[b as usize]);
                            x > y + TIE
                                || (strategy == DisruptionStrategy::KeyPlayers
                                    && x >= y - TIE
                                    && rank[v as usize] < rank[b as usize])
                        }
                    };
                    if better {
                        best = Some(v);
                    }
                }
                // invariant: `steps` is at most the number of candidates, so one is left.
                let v = best.ok_or_else(|| Error::argument("steps", "no one left to remove"))?;
                (v, Some(s[v as usize]))
            }
        };
        if strategy == DisruptionStrategy::KeyPlayers && score.is_none() {
            score = Some(fragmentation_after_each(&view.rows, &view.removed)[v as usize]);
        }
        view.remove(v);
        let mut links_added = 0;
        if let Recovery::Neighbours { probability } = options.recovery {
            let contacts: Vec<u32> = view.contacts_left(v).collect();
            let mut rng = stream(seed, t as u64);
            let mut pairs = Vec::new();
            for (i, &a) in contacts.iter().enumerate() {
                for &b in &contacts[i + 1..] {
                    let u: f64 = rng.random();
                    if u < probability && !view.linked(a, b) {
                        pairs.push((a, b));
                    }
                }
            }
            view.add_links(&pairs);
            links_added = pairs.len();
            added.extend(pairs.into_iter().map(|(a, b)| AddedLink { step: t, a, b }));
        }
        out.push(view.record(t, Some(v), score, links_added, options.efficiency, cancel)?);
    }
    Ok(Disruption { steps: out, added })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{GraphOptions, Role};

    fn graph(n: i64, edges: &[(u32, u32)], directed: bool) -> CaseGraph {
        let options = GraphOptions {
            directed,
            ..Default::default()
        };
        CaseGraph::from_index_pairs(n as u32, edges, options).unwrap()
    }

    fn run(g: &CaseGraph, options: DisruptionOptions) -> Disruption {
        disruption(g, &options, &TargetFilter::default(), &Cancel::new()).unwrap()
    }

    #[test]
    fn path_by_hand() {
        // 0 - 1 - 2 - 3 - 4: betweenness takes the middle first.
        let g = graph(5, &[(0, 1), (1, 2), (2, 3), (3, 4)], false);
        let d = run(
            &g,
            DisruptionOptions {
                strategy: DisruptionStrategy::Betweenness,
                steps: 2,
                ..Default::default()
            },
        );
        assert_eq!(d.steps[1].removed, Some(2));
        // Pairs {0,1} x {3,4} run through 2: 4 of the 6 pairs of the other four nodes.
        assert!((d.steps[1].score.unwrap() - 4.0 / 6.0).abs() < 1e-15);
        assert_eq!(d.steps[1].components, 2);
        assert_eq!(d.steps[1].largest_component, 2);
        assert_eq!(d.steps[1].links, 2);
        // Left: 0 - 1 and 3 - 4; betweenness is 0 everywhere: the smaller index goes.
        assert_eq!(d.steps[2].removed, Some(0));
        assert_eq!(d.steps[2].fragmentation, Some(1.0 - 2.0 / 6.0));
    }

    #[test]
    fn a_cancelled_simulation_stops() {
        let g = graph(4, &[(0, 1), (1, 2), (2, 3)], false);
        let cancel = Cancel::new();
        cancel.cancel();
        for strategy in DisruptionStrategy::ALL {
            let options = DisruptionOptions {
                strategy,
                steps: 2,
                ..Default::default()
            };
            let err = disruption(&g, &options, &TargetFilter::default(), &cancel).unwrap_err();
            assert_eq!(err, Error::Cancelled, "{strategy:?}");
        }
    }

    #[test]
    fn identical_for_any_thread_count() {
        use aluna_core::parallel::install;
        use rand::Rng;
        let mut rng = stream(3, 99);
        let mut edges = Vec::new();
        for a in 0..200u32 {
            for b in a + 1..200 {
                if rng.random::<f64>() < 0.03 {
                    edges.push((a, b));
                }
            }
        }
        let g = graph(200, &edges, false);
        for strategy in DisruptionStrategy::ALL {
            let options = DisruptionOptions {
                strategy,
                steps: 5,
                recovery: Recovery::Neighbours { probability: 0.3 },
                seed: 4,
                ..Default::default()
            };
            let at = |threads| install(Some(threads), || run(&g, options)).unwrap();
            assert_eq!(at(1), at(3), "{strategy:?}");
        }
    }

    #[test]
    fn an_empty_graph_is_refused() {
        let g = graph(0, &[], false);
        let err = disruption(
            &g,
            &DisruptionOptions::default(),
            &TargetFilter::default(),
            &Cancel::new(),
        )
        .unwrap_err();
        assert!(matches!(err, Error::Empty { .. }), "{err}");
    }

    #[test]
    fn directed_links_are_contacts_either_way() {
        let g = graph(3, &[(0, 1), (1, 0), (2, 1)], true);
        let view = View::new(&g);
        assert_eq!(view.rows.neighbours(1), &[0, 2]);
        assert_eq!(view.links, 2);
    }

    #[test]
    fn merge_keeps_each_value_once_and_skips_the_node() {
        let mut out = vec![9];
        merge_into(&mut out, &[1, 3, 5], &[2, 3, 5, 7], 7);
        assert_eq!(out, vec![9, 1, 2, 3, 5]);
    }

    #[test]
    fn full_recovery_links_every_pair_of_contacts() {
        // A star of 4 leaves: removing the centre with probability 1 leaves a triangle + 1.
        let g = graph(5, &[(0, 1), (0, 2), (0, 3), (0, 4), (1, 2)], false);
        let d = run(
            &g,
            DisruptionOptions {
                steps: 1,
                recovery: Recovery::Neighbours { probability: 1.0 },
                ..Default::default()
            },
        );
        let pairs: Vec<(u32, u32)> = d.added.iter().map(|l| (l.a, l.b)).collect();
        assert_eq!(pairs, vec![(1, 3), (1, 4), (2, 3), (2, 4), (3, 4)]);
        assert_eq!(d.steps[1].links, 6);
        assert_eq!(d.steps[1].efficiency, Some(1.0));
    }

    #[test]
    fn victims_are_never_removed() {
        let g = graph(4, &[(0, 1), (0, 2), (0, 3)], false)
            .with_roles(Some(vec![
                Role::Victim,
                Role::Offender,
                Role::Offender,
                Role::Offender,
            ]))
            .unwrap();
        for strategy in DisruptionStrategy::ALL {
            for recalculate in [true, false] {
                let steps = if recalculate { 3 } else { 2 };
                let d = run(
                    &g,
                    DisruptionOptions {
                        strategy,
                        steps,
                        recalculate,
                        ..Default::default()
                    },
                );
                assert_eq!(d.steps.len(), steps + 1);
                assert!(d.steps.iter().all(|s| s.removed != Some(0)), "{strategy:?}");
            }
        }
        let err = disruption(
            &g,
            &DisruptionOptions {
                steps: 4,
                ..Default::default()
            },
            &TargetFilter::default(),
            &Cancel::new(),
        )
        .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { name: "steps", .. }));
    }
}
