//! Two-way fixed-effects regression on panels (units observed over periods), for
//! difference-in-differences and event studies.
//!
//! The unit and period effects are swept out of the outcome and the regressors by alternating
//! projections (subtract weighted unit means, then weighted period means, until nothing moves;
//! Guimarães & Portugal 2010, <https://doi.org/10.1177/1536867X1001000406>): one pass is exact on
//! a balanced panel, and unbalanced panels converge geometrically. By the Frisch–Waugh–Lovell
//! theorem, least squares on the demeaned columns gives the coefficients of the regression with
//! unit and period dummies; its covariances count the absorbed effects in their small-sample
//! factors, as that dummy regression would. Columns are demeaned in parallel, each on its own,
//! so results do not depend on the number of threads.

use aluna_core::{ensure, Error, Result};
use rayon::prelude::*;

/// Settings of [`two_way_demean`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DemeanOptions {
    /// Stop when no value moves by more than this (relative to the column's scale).
    pub tolerance: f64,
    /// Sweeps allowed.
    pub max_iterations: usize,
}

impl Default for DemeanOptions {
    fn default() -> Self {
        Self {
            tolerance: 1e-13,
            max_iterations: 10_000,
        }
    }
}

fn sweep(values: &mut [f64], codes: &[u32], groups: usize, weights: Option<&[f64]>) -> f64 {
    let mut sums = vec![0.0; groups];
    let mut totals = vec![0.0; groups];
    for (i, &g) in codes.iter().enumerate() {
        let w = weights.map_or(1.0, |w| w[i]);
        sums[g as usize] += w * values[i];
        totals[g as usize] += w;
    }
    let mut largest = 0.0f64;
    for (g, s) in sums.iter_mut().enumerate() {
        *s = if totals[g] > 0.0 { *s / totals[g] } else { 0.0 };
        largest = largest.max(s.abs());
    }
    for (v, &g) in values.iter_mut().zip(codes) {
        *v -= sums[g as usize];
    }
    largest
}

/// Sweep unit and period means out of every column, in place; returns the sweeps used.
///
/// `unit` and `time` are codes `0..` per row; `weights` are case weights (rows with weight 0 do
/// not shape the means, and come out demeaned too).
///
/// # Errors
/// [`Error::InvalidArgument`] for inputs of different lengths; [`Error::NotConverged`] when the
/// projections have not settled (a panel whose units and periods barely connect).
///
/// # Example
/// ```
/// use aluna_stats::panel::{two_way_demean, DemeanOptions};
/// // y = unit effect + period effect: nothing is left after demeaning.
/// let unit = [0, 0, 1, 1];
/// let time = [0, 1, 0, 1];
/// let mut y = vec![vec![1.0 + 10.0, 1.0 + 20.0, 2.0 + 10.0, 2.0 + 20.0]];
/// two_way_demean(&mut y, &unit, &time, None, &DemeanOptions::default()).unwrap();
/// assert!(y[0].iter().all(|v| v.abs() < 1e-12));
/// ```
pub fn two_way_demean(
    columns: &mut [Vec<f64>],
    unit: &[u32],
    time: &[u32],
    weights: Option<&[f64]>,
    options: &DemeanOptions,
) -> Result<usize> {
    let n = unit.len();
    ensure!(
        time.len() == n && columns.iter().all(|c| c.len() == n),
        Error::argument("time", "unit, period and value columns differ in length")
    );
    let units = unit.iter().map(|&u| u as usize + 1).max().unwrap_or(0);
    let times = time.iter().map(|&t| t as usize + 1).max().unwrap_or(0);
    let results: Vec<Option<usize>> = columns
        .par_iter_mut()
        .map(|values| {
            let scale = values.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1.0);
            for it in 1..=options.max_iterations {
                let a = sweep(values, unit, units, weights);
                let b = sweep(values, time, times, weights);
                if it > 1 && a.max(b) <= options.tolerance * scale {
                    return Some(it);
                }
            }
            None
        })
        .collect();
    let mut most = 0;
    for r in results {
        match r {
            Some(it) => most = most.max(it),
            None => {
                return Err(Error::NotConverged {
                    model: "two-way fixed effects",
                    iterations: options.max_iterations,
                    hint: "the panel's units and periods are barely connected; check for units \
                           observed in a single period"
                        .into(),
                })
            }
        }
    }
    Ok(most)
}

/// The number of fixed effects a two-way dummy regression estimates beyond an intercept
/// shared by all: `(units − 1) + (periods − 1) + 1` (the intercept counted here too).
pub fn absorbed_parameters(unit: &[u32], time: &[u32]) -> usize {
    let mut u: Vec<u32> = unit.to_vec();
    u.sort_unstable();
    u.dedup();
    let mut t: Vec<u32> = time.to_vec();
    t.sort_unstable();
    t.dedup();
    u.len() + t.len() - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unbalanced_panel_converges_to_the_projection() {
        // Unbalanced: unit 2 misses period 0.
        let unit = [0, 0, 0, 1, 1, 1, 2, 2];
        let time = [0, 1, 2, 0, 1, 2, 1, 2];
        let x = vec![1.0, 4.0, 2.0, 3.0, 7.0, 1.0, 5.0, 2.5];
        let mut cols = vec![x.clone()];
        two_way_demean(&mut cols, &unit, &time, None, &DemeanOptions::default()).unwrap();
        // Residuals are orthogonal to every unit and period dummy.
        for g in 0..3u32 {
            let s: f64 = (0..8).filter(|&i| unit[i] == g).map(|i| cols[0][i]).sum();
            assert!(s.abs() < 1e-10);
            let s: f64 = (0..8).filter(|&i| time[i] == g).map(|i| cols[0][i]).sum();
            assert!(s.abs() < 1e-10);
        }
        assert_eq!(absorbed_parameters(&unit, &time), 5);
    }
}
