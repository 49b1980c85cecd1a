//! Model evaluation: discrimination (ROC AUC with DeLong's variance, ROC curves, Harrell's and
//! Uno's concordance, cumulative/dynamic time-dependent AUC), accuracy (Brier scores at a time
//! τ with inverse-probability-of-censoring weights), calibration-in-the-large, and the seeded
//! bootstrap that the Python layer uses for every resampled interval.
//!
//! Conventions: a *score* (or *risk*) is larger for rows more likely to have the outcome, or to
//! have the event earlier. Inputs are checked by the callers' ingestion (finite values, 0/1
//! outcomes); what is not defined for the data (one outcome class, no comparable pair,
//! vanishing censoring weights) is an [`Error::NotDefined`], never a NaN.
//!
//! Resampling: replicate `b` draws its rows from `aluna_core::random::stream(seed, b)` and
//! replicates run through [`ordered_map`], so bootstraps are identical for any thread count.

use aluna_core::parallel::{ordered_map, Cancel};
use aluna_core::random::stream;
use aluna_core::{ensure, Error, Result};
use rand::Rng;

/// Row indices sorted by score (ascending) with runs of equal scores, computed once and reused
/// by every replicate of a bootstrap.
#[derive(Debug, Clone)]
pub struct Ranked {
    /// Row indices in ascending order of score (ties in row order).
    pub order: Vec<usize>,
    /// `[start, end)` ranges of `order` holding equal scores, ascending.
    pub runs: Vec<(usize, usize)>,
}

impl Ranked {
    /// Rank `scores` (which must be free of NaN; callers check).
    pub fn new(scores: &[f64]) -> Self {
        let mut order: Vec<usize> = (0..scores.len()).collect();
        order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]).then(a.cmp(&b)));
        let mut runs = Vec::new();
        let mut start = 0;
        while start < order.len() {
            let mut end = start + 1;
            while end < order.len() && scores[order[end]] == scores[order[start]] {
                end += 1;
            }
            runs.push((start, end));
            start = end;
        }
        Self { order, runs }
    }
}

/// The area under the ROC curve with DeLong's standard error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Auc {
    /// `P(score₊ > score₋) + ½ P(score₊ = score₋)` over all positive–negative pairs.
    pub estimate: f64,
    /// DeLong, DeLong & Clarke-Pearson's (1988) standard error; `None` with fewer than two
    /// positives or two negatives.
    pub std_error: Option<f64>,
    /// Rows with outcome 1.
    pub positives: usize,
    /// Rows with outcome 0.
    pub negatives: usize,
}

fn both_classes(positives: f64, negatives: f64, what: &'static str) -> Result<()> {
    ensure!(
        positives > 0.0 && negatives > 0.0,
        Error::NotDefined {
            what,
            reason: format!(
                "it needs rows of both outcomes, found {positives} with outcome 1 and \
                 {negatives} with outcome 0"
            ),
        }
    );
    Ok(())
}

/// The ROC AUC (the Mann–Whitney statistic scaled to [0, 1]) and DeLong's variance.
///
/// With the placement values `V₁₀(i) = (#{negatives below sᵢ} + ½ #{negatives at sᵢ}) / N` of the
/// positives and `V₀₁(j)` likewise for negatives, `AUC = mean V₁₀` and
/// `Var = S₁₀/P + S₀₁/N` with `S` the sample variances (DeLong, DeLong & Clarke-Pearson 1988,
/// <https://doi.org/10.2307/2531595>; computed from one sort as in Sun & Xu 2014,
/// <https://doi.org/10.1109/LSP.2014.2337313>). `O(n log n)`, single-threaded.
///
/// # Example
/// ```
/// use aluna_stats::metrics::roc_auc;
/// let auc = roc_auc(&[false, false, true, true], &[0.1, 0.4, 0.35, 0.8]).unwrap();
/// assert_eq!(auc.estimate, 0.75);
/// assert_eq!((auc.positives, auc.negatives), (2, 2));
/// ```
pub fn roc_auc(labels: &[bool], scores: &[f64]) -> Result<Auc> {
    ensure!(
        labels.len() == scores.len(),
        Error::argument("score", "one score per outcome is needed")
    );
    let ranked = Ranked::new(scores);
    let positives = labels.iter().filter(|&&l| l).count();
    let negatives = labels.len() - positives;
    both_classes(positives as f64, negatives as f64, "the ROC AUC")?;
    let (p, n) = (positives as f64, negatives as f64);
    // Per run: positives, negatives, and the counts below it.
    let mut runs = Vec::with_capacity(ranked.runs.len());
    let (mut neg_below, mut pos_below) = (0.0, 0.0);
    for &(start, end) in &ranked.runs {
        let pos = ranked.order[start..end]
            .iter()
            .filter(|&&i| labels[i])
            .count() as f64;
        let neg = (end - start) as f64 - pos;
        runs.push((pos, neg, pos_below, neg_below));
        pos_below += pos;
        neg_below += neg;
    }
    let mut auc = 0.0;
    for &(pos, neg, _, below) in &runs {
        auc += pos * (below + 0.5 * neg);
    }
    auc /= p * n;
    let std_error = if positives >= 2 && negatives >= 2 {
        let (mut s10, mut s01) = (0.0, 0.0);
        for &(pos, neg, pos_below, neg_below) in &runs {
            let v10 = (neg_below + 0.5 * neg) / n;
            let v01 = ((p - pos_below - pos) + 0.5 * pos) / p;
            s10 += pos * (v10 - auc).powi(2);
            s01 += neg * (v01 - auc).powi(2);
        }
        let var = s10 / (p - 1.0) / p + s01 / (n - 1.0) / n;
        Some(var.max(0.0).sqrt())
    } else {
        None
    };
    Ok(Auc {
        estimate: auc,
        std_error,
        positives,
        negatives,
    })
}

/// The AUC of a resample: row `i` counted `counts[i]` times. `None` when a class is absent.
pub fn auc_with_counts(ranked: &Ranked, labels: &[bool], counts: &[u32]) -> Option<f64> {
    let (mut num, mut neg_below, mut pos_total) = (0.0, 0.0, 0.0);
    for &(start, end) in &ranked.runs {
        let (mut pos, mut neg) = (0.0, 0.0);
        for &i in &ranked.order[start..end] {
            let c = f64::from(counts[i]);
            if labels[i] {
                pos += c;
            } else {
                neg += c;
            }
        }
        num += pos * (neg_below + 0.5 * neg);
        neg_below += neg;
        pos_total += pos;
    }
    (pos_total > 0.0 && neg_below > 0.0).then(|| num / (pos_total * neg_below))
}

/// A ROC curve: one point per distinct score, from the highest threshold down.
#[derive(Debug, Clone, PartialEq)]
pub struct RocCurve {
    /// Thresholds (`score >= threshold` is called positive), starting at +∞.
    pub thresholds: Vec<f64>,
    /// False positive rates.
    pub false_positive_rate: Vec<f64>,
    /// True positive rates.
    pub true_positive_rate: Vec<f64>,
}

/// The ROC curve at every distinct score (scikit-learn's `roc_curve` with
/// `drop_intermediate=False`), with optional case weights.
///
/// # Example
/// ```
/// use aluna_stats::metrics::roc_curve;
/// let roc = roc_curve(&[false, true, true], &[0.2, 0.5, 0.9], None).unwrap();
/// assert_eq!(roc.true_positive_rate, vec![0.0, 0.5, 1.0, 1.0]);
/// assert_eq!(roc.false_positive_rate, vec![0.0, 0.0, 0.0, 1.0]);
/// ```
pub fn roc_curve(labels: &[bool], scores: &[f64], weights: Option<&[f64]>) -> Result<RocCurve> {
    let ranked = Ranked::new(scores);
    let w = |i: usize| weights.map_or(1.0, |w| w[i]);
    let p: f64 = (0..labels.len()).filter(|&i| labels[i]).map(w).sum();
    let n: f64 = (0..labels.len()).filter(|&i| !labels[i]).map(w).sum();
    both_classes(p, n, "the ROC curve")?;
    let mut out = RocCurve {
        thresholds: vec![f64::INFINITY],
        false_positive_rate: vec![0.0],
        true_positive_rate: vec![0.0],
    };
    let (mut tp, mut fp) = (0.0, 0.0);
    for &(start, end) in ranked.runs.iter().rev() {
        for &i in &ranked.order[start..end] {
            if labels[i] {
                tp += w(i);
            } else {
                fp += w(i);
            }
        }
        out.thresholds.push(scores[ranked.order[start]]);
        out.false_positive_rate.push(fp / n);
        out.true_positive_rate.push(tp / p);
    }
    Ok(out)
}

/// Settings of the seeded bootstraps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootstrapOptions {
    /// Number of replicates.
    pub replicates: usize,
    /// The seed; replicate `b` draws from `stream(seed, b)`.
    pub seed: u64,
}

/// Draw one bootstrap resample of `n` rows: `visit(row)` is called once per draw, in draw
/// order. With `strata` (codes `0..k`), each stratum's rows are resampled among themselves
/// (stratum sizes are kept), strata in code order; otherwise rows are drawn from all `n`.
///
/// The same `(seed, replicate)` always gives the same draws.
///
/// # Example
/// ```
/// use aluna_stats::metrics::resample;
/// let mut a = Vec::new();
/// resample(5, None, 7, 0, |i| a.push(i));
/// let mut b = Vec::new();
/// resample(5, None, 7, 0, |i| b.push(i));
/// assert_eq!(a, b);
/// assert_eq!(a.len(), 5);
/// ```
pub fn resample(
    n: usize,
    strata: Option<&[Vec<usize>]>,
    seed: u64,
    replicate: usize,
    mut visit: impl FnMut(usize),
) {
    let mut rng = stream(seed, replicate as u64);
    match strata {
        None => {
            if n == 0 {
                return;
            }
            for _ in 0..n {
                visit(rng.random_range(0..n));
            }
        }
        Some(groups) => {
            for rows in groups {
                if rows.is_empty() {
                    continue;
                }
                for _ in 0..rows.len() {
                    visit(rows[rng.random_range(0..rows.len())]);
                }
            }
        }
    }
}

/// Rows of each code `0..k` of `codes`, in row order.
pub fn rows_by_code(codes: &[u32]) -> Vec<Vec<usize>> {
    let k = codes.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
    let mut out = vec![Vec::new(); k];
    for (i, &c) in codes.iter().enumerate() {
        out[c as usize].push(i);
    }
    out
}

/// Bootstrap replicates of the ROC AUC, resampling positives and negatives separately (as R
/// `pROC`'s default, so every replicate has both classes) or all rows together.
///
/// Scores are sorted once; a replicate counts how often each row was drawn and sweeps the
/// sorted rows once, so a replicate costs `O(n)`. Replicates run in parallel through
/// [`ordered_map`]; the result is the same for any thread count.
///
/// # Example
/// ```
/// use aluna_core::parallel::Cancel;
/// use aluna_stats::metrics::{bootstrap_auc, BootstrapOptions};
/// let labels = [false, false, true, true, false, true];
/// let scores = [0.1, 0.3, 0.2, 0.9, 0.4, 0.7];
/// let options = BootstrapOptions { replicates: 50, seed: 1 };
/// let aucs = bootstrap_auc(&labels, &scores, true, &options, &Cancel::new()).unwrap();
/// assert_eq!(aucs.len(), 50);
/// assert!(aucs.iter().all(|a| (0.0..=1.0).contains(a)));
/// ```
pub fn bootstrap_auc(
    labels: &[bool],
    scores: &[f64],
    stratified: bool,
    options: &BootstrapOptions,
    cancel: &Cancel,
) -> Result<Vec<f64>> {
    let positives = labels.iter().filter(|&&l| l).count();
    both_classes(
        positives as f64,
        (labels.len() - positives) as f64,
        "the ROC AUC",
    )?;
    let ranked = Ranked::new(scores);
    let strata: Option<Vec<Vec<usize>>> =
        stratified.then(|| rows_by_code(&labels.iter().map(|&l| u32::from(l)).collect::<Vec<_>>()));
    let n = labels.len();
    let out = ordered_map(
        options.replicates,
        cancel,
        || vec![0u32; n],
        |b, counts| {
            counts.iter_mut().for_each(|c| *c = 0);
            resample(n, strata.as_deref(), options.seed, b, |i| counts[i] += 1);
            auc_with_counts(&ranked, labels, counts)
        },
    )?;
    let missing = out.iter().filter(|a| a.is_none()).count();
    ensure!(
        missing == 0,
        Error::NotDefined {
            what: "the bootstrap AUC",
            reason: format!(
                "{missing} of {} replicates drew only one outcome class; use the stratified \
                 bootstrap",
                options.replicates
            ),
        }
    );
    Ok(out.into_iter().flatten().collect())
}

// ------------------------------------------------------------------------------ concordance

/// Harrell's or Uno's concordance, with its pair counts (weighted when weights are used).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Concordance {
    /// `(concordant + ½ tied_risk) / comparable`.
    pub estimate: f64,
    /// Comparable pairs where the earlier event has the higher risk.
    pub concordant: f64,
    /// Comparable pairs where it has the lower risk.
    pub discordant: f64,
    /// Comparable pairs with equal risks.
    pub tied_risk: f64,
    /// Comparable pairs.
    pub comparable: f64,
}

/// The sort orders behind [`concordance`], computed once and reused across bootstrap
/// replicates.
#[derive(Debug, Clone)]
pub struct ConcordancePlan {
    /// Per stratum: rows in descending time, and the rank of each row's risk within it.
    strata: Vec<(Vec<usize>, Vec<usize>, usize)>,
}

impl ConcordancePlan {
    /// Sort rows by time (descending) and rank the risks, per stratum (codes `0..k`).
    pub fn new(time: &[f64], risk: &[f64], strata: Option<&[u32]>) -> Self {
        let groups = match strata {
            Some(codes) => rows_by_code(codes),
            None => vec![(0..time.len()).collect()],
        };
        let strata = groups
            .into_iter()
            .filter(|rows| !rows.is_empty())
            .map(|rows| {
                let mut values: Vec<f64> = rows.iter().map(|&i| risk[i]).collect();
                values.sort_by(f64::total_cmp);
                values.dedup();
                let mut order = rows;
                order.sort_by(|&a, &b| time[b].total_cmp(&time[a]).then(a.cmp(&b)));
                let ranks = order
                    .iter()
                    .map(|&i| values.partition_point(|v| *v < risk[i]))
                    .collect();
                (order, ranks, values.len())
            })
            .collect();
        Self { strata }
    }

    /// The concordance with row multiplicities `counts` (a bootstrap resample; `None`: 1 each)
    /// and per-row weights `weights` on pairs whose earlier member is that row (Uno's
    /// `1/Ĝ(Tᵢ)²`; `None`: 1).
    pub fn evaluate(
        &self,
        time: &[f64],
        event: &[bool],
        counts: Option<&[u32]>,
        weights: Option<&[f64]>,
    ) -> Concordance {
        let count = |i: usize| counts.map_or(1.0, |c| f64::from(c[i]));
        let (mut concordant, mut tied, mut comparable) = (0.0, 0.0, 0.0);
        for (order, ranks, m) in &self.strata {
            let mut tree = Fenwick::new(*m);
            let mut inserted = 0.0;
            let mut k = 0;
            while k < order.len() {
                let t = time[order[k]];
                let mut j = k;
                while j < order.len() && time[order[j]] == t {
                    j += 1;
                }
                // Censored rows at t outlive events at t: insert them first.
                for q in k..j {
                    let i = order[q];
                    if !event[i] {
                        let c = count(i);
                        tree.add(ranks[q], c);
                        inserted += c;
                    }
                }
                for q in k..j {
                    let i = order[q];
                    if event[i] {
                        let w = count(i) * weights.map_or(1.0, |w| w[i]);
                        if w != 0.0 {
                            let lower = tree.below(ranks[q]);
                            let not_higher = tree.below(ranks[q] + 1);
                            concordant += w * lower;
                            tied += w * (not_higher - lower);
                            comparable += w * inserted;
                        }
                    }
                }
                for q in k..j {
                    let i = order[q];
                    if event[i] {
                        let c = count(i);
                        tree.add(ranks[q], c);
                        inserted += c;
                    }
                }
                k = j;
            }
        }
        Concordance {
            estimate: if comparable > 0.0 {
                (concordant + 0.5 * tied) / comparable
            } else {
                0.5
            },
            concordant,
            discordant: comparable - concordant - tied,
            tied_risk: tied,
            comparable,
        }
    }
}

struct Fenwick(Vec<f64>);

impl Fenwick {
    fn new(m: usize) -> Self {
        Self(vec![0.0; m + 1])
    }
    fn add(&mut self, rank: usize, value: f64) {
        let mut k = rank + 1;
        while k < self.0.len() {
            self.0[k] += value;
            k += k & k.wrapping_neg();
        }
    }
    /// Sum over ranks `< rank`.
    fn below(&self, rank: usize) -> f64 {
        let mut k = rank.min(self.0.len() - 1);
        let mut s = 0.0;
        while k > 0 {
            s += self.0[k];
            k -= k & k.wrapping_neg();
        }
        s
    }
}

/// Harrell's concordance index (Harrell et al. 1982,
/// <https://doi.org/10.1001/jama.1982.03320430047030>), optionally within strata.
///
/// A pair is comparable when one row has an event before the other's time (or at the same
/// time, the other censored); it is concordant when the earlier event has the higher `risk`,
/// and ties in risk count ½. Events at the same time are not compared with each other. Equal
/// to lifelines' `concordance_index(time, -risk, event)`. `O(n log n)` (a Fenwick tree over
/// risk ranks, times swept downwards), single-threaded.
///
/// # Example
/// ```
/// use aluna_stats::metrics::concordance;
/// let c = concordance(&[1.0, 2.0, 3.0], &[true, true, false], &[3.0, 1.0, 2.0], None).unwrap();
/// assert_eq!((c.concordant, c.discordant, c.comparable), (2.0, 1.0, 3.0));
/// ```
pub fn concordance(
    time: &[f64],
    event: &[bool],
    risk: &[f64],
    strata: Option<&[u32]>,
) -> Result<Concordance> {
    let c = ConcordancePlan::new(time, risk, strata).evaluate(time, event, None, None);
    no_pairs(c, "the concordance index")
}

fn no_pairs(c: Concordance, what: &'static str) -> Result<Concordance> {
    ensure!(
        c.comparable > 0.0,
        Error::NotDefined {
            what,
            reason: "no pair is comparable (no event precedes another row's time)".into()
        }
    );
    Ok(c)
}

/// Uno's concordance (Uno et al. 2011, <https://doi.org/10.1002/sim.4154>): Harrell's pairs
/// weighted by `1/Ĝ(Tᵢ)²` of the earlier row, with `Ĝ` the Kaplan–Meier estimate of the
/// censoring distribution, counting only events before `tau`. Consistent for a concordance
/// that does not depend on the censoring. Equal to scikit-survival's `concordance_index_ipcw`.
///
/// # Errors
/// [`Error::NotDefined`] when `Ĝ` is 0 at an event time before `tau`, or no pair is comparable.
///
/// # Example
/// ```
/// use aluna_stats::metrics::{censoring_survival, uno_concordance};
/// let (time, event) = ([1.0, 2.0, 3.0, 4.0], [true, false, true, false]);
/// let g = censoring_survival(&time, &event);
/// let c = uno_concordance(&time, &event, &[4.0, 1.0, 2.0, 0.5], &g, None).unwrap();
/// assert!((0.0..=1.0).contains(&c.estimate));
/// ```
pub fn uno_concordance(
    time: &[f64],
    event: &[bool],
    risk: &[f64],
    censoring: &StepFunction,
    tau: Option<f64>,
) -> Result<Concordance> {
    let weights = uno_weights(time, event, censoring, tau)?;
    let c = ConcordancePlan::new(time, risk, None).evaluate(time, event, None, Some(&weights));
    no_pairs(c, "Uno's concordance index")
}

/// The weights `1/Ĝ(Tᵢ)²` of events before `tau` (0 for others).
pub fn uno_weights(
    time: &[f64],
    event: &[bool],
    censoring: &StepFunction,
    tau: Option<f64>,
) -> Result<Vec<f64>> {
    time.iter()
        .zip(event)
        .map(|(&t, &e)| {
            if !e || tau.is_some_and(|tau| t >= tau) {
                return Ok(0.0);
            }
            let g = censoring.positive_at(t)?;
            Ok(1.0 / (g * g))
        })
        .collect()
}

// ----------------------------------------------------------------------- censoring weights

/// A right-continuous step function: `values[k]` on `[times[k], times[k+1])`, 1 before the
/// first time.
#[derive(Debug, Clone, PartialEq)]
pub struct StepFunction {
    /// Jump times, ascending.
    pub times: Vec<f64>,
    /// Values from each time on.
    pub values: Vec<f64>,
    /// The last time observed in the data the function was estimated from.
    pub last_time: f64,
}

impl StepFunction {
    /// The value at `t`.
    pub fn at(&self, t: f64) -> f64 {
        let k = self.times.partition_point(|&s| s <= t);
        if k == 0 {
            1.0
        } else {
            self.values[k - 1]
        }
    }

    /// The value at `t`, which must be positive and within the data's follow-up.
    pub fn positive_at(&self, t: f64) -> Result<f64> {
        let g = self.at(t);
        ensure!(
            t <= self.last_time || g == 0.0,
            Error::NotDefined {
                what: "the censoring weight",
                reason: format!(
                    "time {t} is beyond the last follow-up time {} of the data the censoring \
                     distribution was estimated from",
                    self.last_time
                ),
            }
        );
        ensure!(
            g > 0.0,
            Error::NotDefined {
                what: "the censoring weight",
                reason: format!(
                    "the censoring survival function Ĝ is 0 at time {t}: everyone still \
                     followed then was censored by then (as when all follow-up ends at one \
                     date), so no one represents the people event-free beyond it; choose a \
                     time before {}",
                    self.times
                        .iter()
                        .zip(&self.values)
                        .find(|(_, &v)| v == 0.0)
                        .map_or(t, |(s, _)| *s)
                ),
            }
        );
        Ok(g)
    }
}

/// The Kaplan–Meier estimate of the censoring distribution `Ĝ(t) = P(C > t)`: censorings are
/// the events, and events at a time leave the risk set before censorings at that time (as
/// scikit-survival's `CensoringDistributionEstimator`).
///
/// # Example
/// ```
/// use aluna_stats::metrics::censoring_survival;
/// let g = censoring_survival(&[1.0, 2.0, 3.0, 4.0], &[true, false, true, false]);
/// assert!((g.at(2.0) - 2.0 / 3.0).abs() < 1e-15);
/// assert_eq!(g.at(4.0), 0.0);
/// ```
pub fn censoring_survival(time: &[f64], event: &[bool]) -> StepFunction {
    let mut order: Vec<usize> = (0..time.len()).collect();
    order.sort_by(|&a, &b| time[a].total_cmp(&time[b]));
    let mut out = StepFunction {
        times: Vec::new(),
        values: Vec::new(),
        last_time: order.last().map_or(f64::NEG_INFINITY, |&i| time[i]),
    };
    let mut at_risk = time.len() as f64;
    let mut g = 1.0;
    let mut k = 0;
    while k < order.len() {
        let t = time[order[k]];
        let (mut d, mut c) = (0.0, 0.0);
        while k < order.len() && time[order[k]] == t {
            if event[order[k]] {
                d += 1.0;
            } else {
                c += 1.0;
            }
            k += 1;
        }
        if c > 0.0 {
            g *= 1.0 - c / (at_risk - d);
            out.times.push(t);
            out.values.push(g);
        }
        at_risk -= d + c;
    }
    out
}

fn check_time_points(times: &[f64]) -> Result<()> {
    ensure!(
        !times.is_empty(),
        Error::argument("times", "at least one time is needed")
    );
    if let Some(t) = times.iter().find(|t| !t.is_finite()) {
        return Err(Error::argument(
            "times",
            format!("times must be finite, got {t}"),
        ));
    }
    Ok(())
}

/// The cumulative/dynamic time-dependent AUC at each of `times` (Uno et al. 2007,
/// <https://doi.org/10.1198/016214507000000149>; Hung & Chiang 2010,
/// <https://doi.org/10.1002/cjs.10046>): cases are events by `t`, weighted by `1/Ĝ(Tᵢ)`,
/// controls everyone still event-free after `t`; the AUC is the weighted share of case–control
/// pairs where the case has the higher risk (ties ½). Equal to scikit-survival's
/// `cumulative_dynamic_auc`.
///
/// # Errors
/// [`Error::NotDefined`] when there is no case or no control at a time, or `Ĝ` vanishes at a
/// case's time.
///
/// # Example
/// ```
/// use aluna_stats::metrics::{censoring_survival, time_dependent_auc};
/// let (time, event) = ([1.0, 2.0, 3.0, 4.0, 5.0], [true, true, false, true, false]);
/// let g = censoring_survival(&time, &event);
/// let auc = time_dependent_auc(&time, &event, &[5.0, 4.0, 1.0, 2.0, 0.0], &[2.5], &g).unwrap();
/// assert_eq!(auc, vec![1.0]);
/// ```
pub fn time_dependent_auc(
    time: &[f64],
    event: &[bool],
    risk: &[f64],
    times: &[f64],
    censoring: &StepFunction,
) -> Result<Vec<f64>> {
    check_time_points(times)?;
    let ranked = Ranked::new(risk);
    let mut case_weight = vec![0.0; time.len()];
    let mut out = Vec::with_capacity(times.len());
    for &t in times {
        let mut controls = 0.0;
        let mut cases = 0.0;
        for i in 0..time.len() {
            case_weight[i] = 0.0;
            if event[i] && time[i] <= t {
                case_weight[i] = 1.0 / censoring.positive_at(time[i])?;
                cases += case_weight[i];
            } else if time[i] > t {
                controls += 1.0;
            }
        }
        ensure!(
            cases > 0.0 && controls > 0.0,
            Error::NotDefined {
                what: "the time-dependent AUC",
                reason: format!(
                    "at time {t} it needs events by then and people event-free after it; \
                     found {} and {controls}",
                    time.iter()
                        .zip(event)
                        .filter(|(&s, &e)| e && s <= t)
                        .count()
                ),
            }
        );
        let (mut num, mut below) = (0.0, 0.0);
        for &(start, end) in &ranked.runs {
            let (mut w, mut c) = (0.0, 0.0);
            for &i in &ranked.order[start..end] {
                w += case_weight[i];
                if time[i] > t {
                    c += 1.0;
                }
            }
            num += w * (below + 0.5 * c);
            below += c;
        }
        out.push(num / (cases * controls));
    }
    Ok(out)
}

/// The Brier score at each of `times` with inverse-probability-of-censoring weights (Graf et al.
/// 1999, <https://doi.org/10.1002/(SICI)1097-0258(19990915/30)18:17/18%3C2529::AID-SIM274%3E3.0.CO;2-5>):
/// `BS(t) = (1/n) Σ [Ŝᵢ(t)² 1(Tᵢ ≤ t, δᵢ = 1)/Ĝ(Tᵢ) + (1 − Ŝᵢ(t))² 1(Tᵢ > t)/Ĝ(t)]`, with
/// `survival[i * times.len() + k]` the predicted `Ŝᵢ(times[k])`. Equal to scikit-survival's
/// `brier_score` wherever the weights are defined.
///
/// # Errors
/// [`Error::NotDefined`] when `Ĝ(t)` or `Ĝ(Tᵢ)` of a case is 0 (scikit-survival then silently
/// drops those terms), or no one is followed beyond `t`.
///
/// # Example
/// ```
/// use aluna_stats::metrics::{censoring_survival, time_dependent_brier};
/// let (time, event) = ([1.0, 2.0, 3.0, 4.0], [true, false, true, false]);
/// let g = censoring_survival(&time, &event);
/// let bs = time_dependent_brier(&time, &event, &[0.5, 0.5, 0.5, 0.5], &[1.5], &g).unwrap();
/// assert_eq!(bs, vec![0.25]);
/// ```
pub fn time_dependent_brier(
    time: &[f64],
    event: &[bool],
    survival: &[f64],
    times: &[f64],
    censoring: &StepFunction,
) -> Result<Vec<f64>> {
    check_time_points(times)?;
    let m = times.len();
    ensure!(
        survival.len() == time.len() * m,
        Error::argument(
            "survival",
            "one predicted survival per row and time is needed"
        )
    );
    if let Some(k) = survival
        .iter()
        .position(|s| !(0.0..=1.0).contains(s) || s.is_nan())
    {
        return Err(Error::bad_value(
            "survival",
            k / m,
            "a survival probability in [0, 1]",
            survival[k],
        ));
    }
    let n = time.len() as f64;
    let mut out = Vec::with_capacity(m);
    for (k, &t) in times.iter().enumerate() {
        let g_t = censoring.positive_at(t)?;
        ensure!(
            time.iter().any(|&s| s > t),
            Error::NotDefined {
                what: "the Brier score",
                reason: format!("no one is followed beyond time {t}")
            }
        );
        let mut sum = 0.0;
        for i in 0..time.len() {
            let s = survival[i * m + k];
            if event[i] && time[i] <= t {
                sum += s * s / censoring.positive_at(time[i])?;
            } else if time[i] > t {
                sum += (1.0 - s) * (1.0 - s) / g_t;
            }
        }
        out.push(sum / n);
    }
    Ok(out)
}

/// Bootstrap replicates of Harrell's concordance (rows resampled with replacement; sorts done
/// once, each replicate one `O(n log n)` Fenwick sweep), in parallel with a result that does
/// not depend on the thread count.
///
/// # Errors
/// [`Error::NotDefined`] when a replicate has no comparable pair.
pub fn bootstrap_concordance(
    time: &[f64],
    event: &[bool],
    risk: &[f64],
    strata: Option<&[u32]>,
    options: &BootstrapOptions,
    cancel: &Cancel,
) -> Result<Vec<f64>> {
    let plan = ConcordancePlan::new(time, risk, strata);
    let groups = strata.map(rows_by_code);
    let n = time.len();
    let out = ordered_map(
        options.replicates,
        cancel,
        || vec![0u32; n],
        |b, counts| {
            counts.iter_mut().for_each(|c| *c = 0);
            resample(n, groups.as_deref(), options.seed, b, |i| counts[i] += 1);
            let c = plan.evaluate(time, event, Some(counts), None);
            (c.comparable > 0.0).then_some(c.estimate)
        },
    )?;
    let missing = out.iter().filter(|c| c.is_none()).count();
    ensure!(
        missing == 0,
        Error::NotDefined {
            what: "the bootstrap concordance",
            reason: format!(
                "{missing} of {} replicates had no comparable pair",
                options.replicates
            ),
        }
    );
    Ok(out.into_iter().flatten().collect())
}

// --------------------------------------------------------------------------- calibration

/// Calibration-in-the-large: the intercept `a` of `logit P(y = 1) = a + offset`, with the
/// slope fixed at 1 (`offset` = the model's linear predictor), by Newton's method; returns the
/// estimate and its model-based standard error `1/√(Σ p(1−p))`. 0 means the mean predicted risk
/// is right; positive, that the model under-predicts (Van Calster et al. 2016,
/// <https://doi.org/10.1016/j.jclinepi.2015.12.005>).
///
/// # Errors
/// [`Error::NotDefined`] when all outcomes are equal.
///
/// # Example
/// ```
/// use aluna_stats::metrics::calibration_intercept;
/// let (a, _se) = calibration_intercept(&[1.0, 0.0, 0.0, 1.0], &[0.0, 0.0, 0.0, 0.0]).unwrap();
/// assert!(a.abs() < 1e-12);
/// ```
pub fn calibration_intercept(y: &[f64], offset: &[f64]) -> Result<(f64, f64)> {
    let events: f64 = y.iter().sum();
    both_classes(events, y.len() as f64 - events, "the calibration intercept")?;
    let mut a = 0.0;
    let mut info = 0.0;
    for _ in 0..100 {
        let (mut score, mut inf) = (0.0, 0.0);
        for (yi, oi) in y.iter().zip(offset) {
            let p = sigmoid(a + oi);
            score += yi - p;
            inf += p * (1.0 - p);
        }
        info = inf;
        ensure!(
            inf > 0.0,
            Error::NotDefined {
                what: "the calibration intercept",
                reason: "the predicted probabilities are all 0 or 1".into()
            }
        );
        let step = score / inf;
        a += step;
        if step.abs() <= 1e-12 * (1.0 + a.abs()) {
            break;
        }
    }
    Ok((a, 1.0 / info.sqrt()))
}

#[inline]
fn sigmoid(eta: f64) -> f64 {
    if eta >= 0.0 {
        1.0 / (1.0 + (-eta).exp())
    } else {
        let e = eta.exp();
        e / (1.0 + e)
    }
}

/// Lowess (Cleveland 1979, <https://doi.org/10.1080/01621459.1979.10481038>) without
/// robustness iterations: at each point of `at`, a local linear fit to the `⌊frac·n⌋` nearest
/// `(x, y)` with tricube weights. `None` where fewer than two points have weight. Equal to
/// statsmodels' `lowess(y, x, frac, it=0, xvals=at)`; `O(n log n + |at|·frac·n)`.
///
/// # Example
/// ```
/// use aluna_stats::metrics::lowess;
/// let x = [0.0, 1.0, 2.0, 3.0, 4.0];
/// let y = [0.0, 2.0, 4.0, 6.0, 8.0];
/// let fit = lowess(&x, &y, 0.8, &[2.5]);
/// assert!((fit[0].unwrap() - 5.0).abs() < 1e-12);
/// ```
pub fn lowess(x: &[f64], y: &[f64], frac: f64, at: &[f64]) -> Vec<Option<f64>> {
    let n = x.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let xs: Vec<f64> = order.iter().map(|&i| x[i]).collect();
    let ys: Vec<f64> = order.iter().map(|&i| y[i]).collect();
    let k = ((frac * n as f64 + 1e-10) as usize).clamp(2.min(n), n);
    let mut points: Vec<usize> = (0..at.len()).collect();
    points.sort_by(|&a, &b| at[a].total_cmp(&at[b]));
    let mut out = vec![None; at.len()];
    if n < 2 {
        return out;
    }
    let (mut left, mut right) = (0usize, k);
    let mut w = vec![0.0; k];
    for &p in &points {
        let x0 = at[p];
        // Slide the window of k points right while the next point is nearer than the first.
        while right < n && x0 > (xs[left] + xs[right]) / 2.0 {
            left += 1;
            right += 1;
        }
        let radius = (x0 - xs[left]).max(xs[right - 1] - x0);
        let mut total = 0.0;
        let mut nonzero = 0;
        for (j, wj) in (left..right).zip(w.iter_mut()) {
            let d = if radius > 0.0 {
                (xs[j] - x0).abs() / radius
            } else {
                0.0
            };
            let t = 1.0 - d * d * d;
            *wj = if t > 0.0 { t * t * t } else { 0.0 };
            total += *wj;
            if *wj > 1e-12 {
                nonzero += 1;
            }
        }
        if nonzero < 2 {
            continue;
        }
        let mut mean = 0.0;
        for (j, wj) in (left..right).zip(w.iter_mut()) {
            *wj /= total;
            mean += *wj * xs[j];
        }
        let mut spread = 0.0;
        for (j, wj) in (left..right).zip(&w) {
            spread += wj * (xs[j] - mean) * (xs[j] - mean);
        }
        let spread = spread.max(1e-12);
        let mut fit = 0.0;
        for (j, wj) in (left..right).zip(&w) {
            fit += wj * (1.0 + (x0 - mean) * (xs[j] - mean) / spread) * ys[j];
        }
        out[p] = Some(fit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use aluna_core::parallel::install;

    fn brute_auc(labels: &[bool], scores: &[f64]) -> f64 {
        let (mut num, mut pairs) = (0.0, 0.0);
        for i in 0..labels.len() {
            for j in 0..labels.len() {
                if labels[i] && !labels[j] {
                    pairs += 1.0;
                    if scores[i] > scores[j] {
                        num += 1.0;
                    } else if scores[i] == scores[j] {
                        num += 0.5;
                    }
                }
            }
        }
        num / pairs
    }

    fn data(n: usize, seed: u64) -> (Vec<bool>, Vec<f64>, Vec<f64>) {
        let mut rng = stream(seed, 0);
        let scores: Vec<f64> = (0..n)
            .map(|_| (rng.random_range(0..20) as f64) / 4.0)
            .collect();
        let labels = scores
            .iter()
            .map(|s| rng.random::<f64>() < 0.2 + 0.1 * s)
            .collect();
        let time = (0..n).map(|_| rng.random_range(1..30) as f64).collect();
        (labels, scores, time)
    }

    #[test]
    fn auc_equals_pair_count_with_ties() {
        let (labels, scores, _) = data(300, 3);
        let auc = roc_auc(&labels, &scores).unwrap();
        assert!((auc.estimate - brute_auc(&labels, &scores)).abs() < 1e-12);
        let ranked = Ranked::new(&scores);
        let ones = vec![1u32; labels.len()];
        let again = auc_with_counts(&ranked, &labels, &ones).unwrap();
        assert!((again - auc.estimate).abs() < 1e-12);
    }

    #[test]
    fn delong_matches_placement_values() {
        let (labels, scores, _) = data(200, 5);
        let auc = roc_auc(&labels, &scores).unwrap();
        let pos: Vec<usize> = (0..200).filter(|&i| labels[i]).collect();
        let neg: Vec<usize> = (0..200).filter(|&i| !labels[i]).collect();
        let psi = |a: f64, b: f64| {
            if a > b {
                1.0
            } else if a == b {
                0.5
            } else {
                0.0
            }
        };
        let v10: Vec<f64> = pos
            .iter()
            .map(|&i| {
                neg.iter().map(|&j| psi(scores[i], scores[j])).sum::<f64>() / neg.len() as f64
            })
            .collect();
        let v01: Vec<f64> = neg
            .iter()
            .map(|&j| {
                pos.iter().map(|&i| psi(scores[i], scores[j])).sum::<f64>() / pos.len() as f64
            })
            .collect();
        let var = |v: &[f64]| {
            let m = v.iter().sum::<f64>() / v.len() as f64;
            v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64
        };
        let expected = (var(&v10) / pos.len() as f64 + var(&v01) / neg.len() as f64).sqrt();
        assert!((auc.std_error.unwrap() - expected).abs() < 1e-12);
    }

    #[test]
    fn one_class_is_not_defined() {
        let err = roc_auc(&[true, true], &[0.1, 0.2]).unwrap_err();
        assert!(matches!(err, Error::NotDefined { .. }));
    }

    #[test]
    fn concordance_matches_brute_force() {
        let (event, risk, time) = data(250, 9);
        let c = concordance(&time, &event, &risk, None).unwrap();
        let (mut conc, mut tied, mut pairs) = (0.0, 0.0, 0.0);
        for i in 0..time.len() {
            for j in 0..time.len() {
                let comparable =
                    event[i] && (time[i] < time[j] || (time[i] == time[j] && !event[j]));
                if comparable {
                    pairs += 1.0;
                    if risk[i] > risk[j] {
                        conc += 1.0;
                    } else if risk[i] == risk[j] {
                        tied += 1.0;
                    }
                }
            }
        }
        assert_eq!(
            (c.concordant, c.tied_risk, c.comparable),
            (conc, tied, pairs)
        );
    }

    #[test]
    fn bootstrap_is_identical_for_any_thread_count() {
        let (labels, scores, time) = data(2000, 11);
        let options = BootstrapOptions {
            replicates: 130,
            seed: 42,
        };
        let run = |threads| {
            install(Some(threads), || {
                (
                    bootstrap_auc(&labels, &scores, true, &options, &Cancel::new()).unwrap(),
                    bootstrap_concordance(&time, &labels, &scores, None, &options, &Cancel::new())
                        .unwrap(),
                )
            })
            .unwrap()
        };
        let one = run(1);
        let two = run(2);
        assert_eq!(one, two);
        assert_eq!(one.0.len(), 130);
    }

    #[test]
    fn vanished_censoring_weight_is_an_error() {
        // Everyone without an event is censored at 10: Ĝ(10) = 0.
        let time = [2.0, 4.0, 10.0, 10.0, 10.0];
        let event = [true, true, false, false, false];
        let g = censoring_survival(&time, &event);
        let err = time_dependent_brier(&time, &event, &[0.5; 5], &[10.0], &g).unwrap_err();
        assert!(matches!(err, Error::NotDefined { .. }), "{err}");
        assert!(time_dependent_brier(&time, &event, &[0.5; 5], &[5.0], &g).is_ok());
    }

    #[test]
    fn lowess_reproduces_a_line() {
        let x: Vec<f64> = (0..50).map(|i| i as f64 / 7.0).collect();
        let y: Vec<f64> = x.iter().map(|v| 3.0 - 2.0 * v).collect();
        let fit = lowess(&x, &y, 0.3, &[0.5, 3.0, 6.9]);
        for (v, f) in [0.5, 3.0, 6.9].iter().zip(fit) {
            assert!((f.unwrap() - (3.0 - 2.0 * v)).abs() < 1e-9);
        }
    }
}
