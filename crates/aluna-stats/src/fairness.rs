//! Per-group confusion counts for fairness audits, and their seeded bootstrap.
//!
//! For each group the audit needs the counts behind base rate, selection rate, FPR, FNR, PPV,
//! NPV, AUC and calibration-in-the-large; the rates themselves are ratios the Python layer
//! forms (and reports as undefined where a denominator is 0). Bootstrap replicate `b`
//! resamples every group's rows among themselves (group sizes are kept) from
//! `stream(seed, b)`, so the result is the same for any thread count.

use aluna_core::parallel::{ordered_map, Cancel};
use aluna_core::{ensure, Error, Result};

use crate::metrics::{auc_with_counts, resample, rows_by_code, BootstrapOptions, Ranked};

/// Number of values in [`GroupCounts::to_vec`].
pub const COUNTS: usize = 9;

/// The counts behind a group's fairness measures (weighted by resampling multiplicities).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct GroupCounts {
    /// Rows.
    pub n: f64,
    /// Rows with outcome 1.
    pub positives: f64,
    /// Rows predicted 1.
    pub selected: f64,
    /// Outcome 1, predicted 1.
    pub true_positives: f64,
    /// Outcome 0, predicted 1.
    pub false_positives: f64,
    /// Outcome 0, predicted 0.
    pub true_negatives: f64,
    /// Outcome 1, predicted 0.
    pub false_negatives: f64,
    /// Sum of the scores (the expected number of outcomes when scores are probabilities).
    pub score_sum: f64,
    /// The group's ROC AUC (`None` without scores or without both outcomes).
    pub auc: Option<f64>,
}

impl GroupCounts {
    /// The counts as a vector in field order (AUC as NaN when absent; internal use).
    pub fn to_vec(&self) -> [Option<f64>; COUNTS] {
        [
            Some(self.n),
            Some(self.positives),
            Some(self.selected),
            Some(self.true_positives),
            Some(self.false_positives),
            Some(self.true_negatives),
            Some(self.false_negatives),
            Some(self.score_sum),
            self.auc,
        ]
    }
}

/// The audit's inputs: outcomes, 0/1 predictions, optional scores, group codes `0..k`.
#[derive(Debug, Clone, Copy)]
pub struct AuditData<'a> {
    /// Outcomes.
    pub outcome: &'a [bool],
    /// Predictions (selected for the intervention, flagged high risk).
    pub predicted: &'a [bool],
    /// Risk scores (probabilities for calibration-in-the-large).
    pub score: Option<&'a [f64]>,
    /// Group codes.
    pub group: &'a [u32],
}

struct Prepared {
    rows: Vec<Vec<usize>>,
    ranked: Option<Vec<(Ranked, Vec<usize>)>>,
}

fn prepare(data: &AuditData<'_>) -> Result<Prepared> {
    let n = data.outcome.len();
    ensure!(
        data.predicted.len() == n
            && data.group.len() == n
            && data.score.is_none_or(|s| s.len() == n),
        Error::argument(
            "group",
            "outcome, prediction, score and group need one value per row"
        )
    );
    let rows = rows_by_code(data.group);
    let ranked = data.score.map(|s| {
        rows.iter()
            .map(|r| {
                let scores: Vec<f64> = r.iter().map(|&i| s[i]).collect();
                (Ranked::new(&scores), r.clone())
            })
            .collect()
    });
    Ok(Prepared { rows, ranked })
}

fn tally(
    data: &AuditData<'_>,
    prepared: &Prepared,
    counts: &[u32],
    scratch: &mut Vec<u32>,
) -> Vec<GroupCounts> {
    let mut out = Vec::with_capacity(prepared.rows.len());
    for (g, rows) in prepared.rows.iter().enumerate() {
        let mut c = GroupCounts::default();
        for &i in rows {
            let m = f64::from(counts[i]);
            if m == 0.0 {
                continue;
            }
            let (y, p) = (data.outcome[i], data.predicted[i]);
            c.n += m;
            if y {
                c.positives += m;
            }
            if p {
                c.selected += m;
            }
            match (y, p) {
                (true, true) => c.true_positives += m,
                (false, true) => c.false_positives += m,
                (false, false) => c.true_negatives += m,
                (true, false) => c.false_negatives += m,
            }
            if let Some(s) = data.score {
                c.score_sum += m * s[i];
            }
        }
        if let Some(ranked) = &prepared.ranked {
            let (r, members) = &ranked[g];
            scratch.clear();
            scratch.extend(members.iter().map(|&i| counts[i]));
            let labels: Vec<bool> = members.iter().map(|&i| data.outcome[i]).collect();
            c.auc = auc_with_counts(r, &labels, scratch);
        }
        out.push(c);
    }
    out
}

/// The counts of every group on the data as given.
///
/// # Example
/// ```
/// use aluna_stats::fairness::{group_counts, AuditData};
/// let data = AuditData {
///     outcome: &[true, false, true, false],
///     predicted: &[true, true, false, false],
///     score: None,
///     group: &[0, 0, 1, 1],
/// };
/// let counts = group_counts(&data).unwrap();
/// assert_eq!(counts[0].false_positives, 1.0);
/// assert_eq!(counts[1].false_negatives, 1.0);
/// ```
pub fn group_counts(data: &AuditData<'_>) -> Result<Vec<GroupCounts>> {
    let prepared = prepare(data)?;
    let ones = vec![1u32; data.outcome.len()];
    Ok(tally(data, &prepared, &ones, &mut Vec::new()))
}

/// Bootstrap replicates of every group's counts: `out[b][g]`. Each replicate resamples each
/// group's rows among themselves (a stratified bootstrap), in parallel; the result does not
/// depend on the thread count.
///
/// # Example
/// ```
/// use aluna_core::parallel::Cancel;
/// use aluna_stats::fairness::{bootstrap_group_counts, AuditData};
/// use aluna_stats::metrics::BootstrapOptions;
/// let data = AuditData {
///     outcome: &[true, false, true, false, true, true],
///     predicted: &[true, true, false, false, true, false],
///     score: Some(&[0.9, 0.4, 0.3, 0.2, 0.8, 0.6]),
///     group: &[0, 0, 0, 1, 1, 1],
/// };
/// let options = BootstrapOptions { replicates: 20, seed: 3 };
/// let reps = bootstrap_group_counts(&data, &options, &Cancel::new()).unwrap();
/// assert_eq!(reps.len(), 20);
/// assert!(reps.iter().all(|r| r[0].n == 3.0 && r[1].n == 3.0));
/// ```
pub fn bootstrap_group_counts(
    data: &AuditData<'_>,
    options: &BootstrapOptions,
    cancel: &Cancel,
) -> Result<Vec<Vec<GroupCounts>>> {
    let prepared = prepare(data)?;
    let n = data.outcome.len();
    ordered_map(
        options.replicates,
        cancel,
        || (vec![0u32; n], Vec::new()),
        |b, (counts, scratch)| {
            counts.iter_mut().for_each(|c| *c = 0);
            resample(n, Some(&prepared.rows), options.seed, b, |i| counts[i] += 1);
            tally(data, &prepared, counts, scratch)
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use aluna_core::parallel::install;

    #[test]
    fn bootstrap_is_identical_for_any_thread_count() {
        let n = 3000;
        let outcome: Vec<bool> = (0..n).map(|i| i % 3 == 0).collect();
        let predicted: Vec<bool> = (0..n).map(|i| i % 5 < 2).collect();
        let score: Vec<f64> = (0..n).map(|i| ((i * 7919) % 101) as f64 / 101.0).collect();
        let group: Vec<u32> = (0..n).map(|i| (i % 4) as u32).collect();
        let data = AuditData {
            outcome: &outcome,
            predicted: &predicted,
            score: Some(&score),
            group: &group,
        };
        let options = BootstrapOptions {
            replicates: 70,
            seed: 9,
        };
        let run = |t| {
            install(Some(t), || {
                bootstrap_group_counts(&data, &options, &Cancel::new())
            })
            .unwrap()
            .unwrap()
        };
        assert_eq!(run(1), run(2));
    }
}
