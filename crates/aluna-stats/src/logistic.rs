//! Logistic regression by Newton–Raphson (IRLS), unpenalised or with L2, L1 or Firth penalties,
//! with model-based, robust (HC0) and cluster-robust sandwich covariances.
//!
//! The model is `P(y = 1 | x) = 1 / (1 + exp(-xᵀβ))`; with case weights `w` the log-likelihood
//! is `ℓ(β) = Σ w_i [y_i η_i − log(1 + exp η_i)]`. Penalties (the intercept is never penalised):
//!
//! * L2: maximise `ℓ(β) − (α/2) Σ β_j²`; covariance `(I(β) + α)⁻¹`.
//! * L1: maximise `ℓ(β) − α Σ |β_j|` by proximal Newton steps (coordinate descent on the local
//!   quadratic, then a backtracking line search); no covariance (inference after L1 selection
//!   is not valid with these formulas).
//! * Firth: maximise `ℓ(β) + ½ log det I(β)` (Firth 1993, <https://doi.org/10.1093/biomet/80.1.27>;
//!   Heinze & Schemper 2002, <https://doi.org/10.1002/sim.1047>), finite under separation and
//!   less biased for rare outcomes; covariance `I(β)⁻¹`.
//!
//! Each Newton step makes one pass over the rows (two for Firth) in fixed blocks of rows, in
//! parallel, summed in block order: results are identical for any number of threads.

use aluna_core::{ensure, Error, Result};
use ndarray::Array2;

use std::ops::Range;

use rayon::prelude::*;

use crate::columns::{cross_upper, dot, linear_predictor, scale_dot, Columns};
use crate::design::{add_outer_upper, symmetric_from_upper, Design, BLOCK};
use crate::linalg::{sandwich, Cholesky};

/// The penalty of a logistic regression.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Penalty {
    /// Maximum likelihood.
    #[default]
    None,
    /// Ridge: `(α/2) Σ β_j²`.
    L2(f64),
    /// Lasso: `α Σ |β_j|`.
    L1(f64),
    /// Firth's bias-reducing penalty `½ log det I(β)`.
    Firth,
}

/// Settings of [`fit_logistic`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogisticOptions {
    /// The penalty.
    pub penalty: Penalty,
    /// Whether the design's first column is an intercept (never penalised).
    pub intercept: bool,
    /// Newton iterations allowed.
    pub max_iterations: usize,
    /// Converged when every step satisfies `|Δβ_j| ≤ tolerance · (1 + |β_j|)`.
    pub tolerance: f64,
}

impl Default for LogisticOptions {
    fn default() -> Self {
        Self {
            penalty: Penalty::None,
            intercept: true,
            max_iterations: 100,
            tolerance: 1e-10,
        }
    }
}

/// A fitted logistic regression.
#[derive(Debug, Clone)]
pub struct LogisticFit {
    /// Coefficients, in the design's column order.
    pub coef: Vec<f64>,
    /// Model-based covariance of the coefficients (`None` for L1).
    pub covariance: Option<Array2<f64>>,
    /// Unpenalised log-likelihood at the estimate.
    pub log_likelihood: f64,
    /// The maximised objective (log-likelihood minus penalty, or plus Firth's term).
    pub penalised_log_likelihood: f64,
    /// Log-likelihood of the intercept-only model (or of `β = 0` without an intercept).
    pub null_log_likelihood: f64,
    /// Newton iterations run.
    pub iterations: usize,
    /// Whether the steps became small.
    pub converged: bool,
    /// Columns whose coefficients run off to infinity because they separate the outcome
    /// (fitted probabilities of 0 or 1); empty when there is no sign of separation.
    pub separated: Vec<usize>,
    /// Sum of the case weights (the number of rows without weights).
    pub weight_total: f64,
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

/// Rows per sub-block inside a block of [`BLOCK`] rows: the columns of a sub-block stay in the
/// core's cache while it is swept several times.
const SUB: usize = 512;

/// Per-block work space of the passes.
struct Scratch {
    eta: Vec<f64>,
    r: Vec<f64>,
    h: Vec<f64>,
    z: Vec<f64>,
}

impl Scratch {
    fn new(p: usize) -> Self {
        Self {
            eta: vec![0.0; BLOCK],
            r: vec![0.0; BLOCK],
            h: vec![0.0; BLOCK],
            z: vec![0.0; BLOCK * p],
        }
    }
}

/// Fold rows `0..n` into `len` floats in fixed blocks of [`BLOCK`] rows, in parallel, with
/// reusable scratch space; block results are added in block order (the same bits for any number
/// of threads).
fn fold_blocks<F>(n: usize, p: usize, len: usize, fold: F) -> Vec<f64>
where
    F: Fn(Range<usize>, &mut Scratch, &mut [f64]) + Sync,
{
    let ranges = aluna_core::parallel::chunks(n, BLOCK);
    let parts: Vec<Vec<f64>> = ranges
        .par_iter()
        .map_init(
            || Scratch::new(p),
            |scratch, r| {
                let mut acc = vec![0.0; len];
                fold(r.clone(), scratch, &mut acc);
                acc
            },
        )
        .collect();
    crate::design::add_in_order(&parts, len)
}

/// Add `Σ_i h_i x_i x_iᵀ` over one block (columns `x`, weights `h`) to the upper triangle of
/// the row-major `p × p` accumulator `acc`, using `z` as space for the scaled columns.
fn add_block_cross(x: &[&[f64]], h: &[f64], z: &mut [f64], acc: &mut [f64]) {
    let m = h.len();
    for (a, col) in x.iter().enumerate() {
        for ((o, v), w) in z[a * m..(a + 1) * m].iter_mut().zip(col.iter()).zip(h) {
            *o = v * w;
        }
    }
    let zs: Vec<&[f64]> = z[..x.len() * m].chunks_exact(m.max(1)).collect();
    cross_upper(&zs, x, &[], acc);
}

/// `Σ_i u_i x_i x_iᵀ` over all rows, for per-row weights `u` (any sign), in parallel blocks
/// summed in block order.
fn weighted_cross(columns: &Columns<'_>, u: &[f64]) -> Array2<f64> {
    let p = columns.cols();
    let sums = fold_blocks(columns.rows(), p, p * p, |range, s, acc| {
        let x = columns.blocks(range.clone());
        add_block_cross(&x, &u[range], &mut s.z, acc);
    });
    symmetric_from_upper(&sums, p)
}

/// Per-row values `f(i, η_i)` over all rows, computed in parallel blocks.
fn per_row(columns: &Columns<'_>, beta: &[f64], f: impl Fn(usize, f64) -> f64 + Sync) -> Vec<f64> {
    let ranges = aluna_core::parallel::chunks(columns.rows(), BLOCK);
    let parts: Vec<Vec<f64>> = ranges
        .par_iter()
        .map(|r| {
            let mut eta = vec![0.0; r.len()];
            linear_predictor(&columns.blocks(r.clone()), beta, &mut eta);
            eta.iter()
                .enumerate()
                .map(|(k, &e)| f(r.start + k, e))
                .collect()
        })
        .collect();
    parts.concat()
}

fn check_inputs(n: usize, y: &[f64], weights: Option<&[f64]>) -> Result<()> {
    ensure!(
        y.len() == n,
        Error::argument("outcome", format!("{} outcomes for {n} rows", y.len()))
    );
    ensure!(
        n > 0,
        Error::Empty {
            what: "no rows to fit".into()
        }
    );
    if let Some((row, v)) = y.iter().enumerate().find(|(_, v)| **v != 0.0 && **v != 1.0) {
        return Err(Error::bad_value("outcome", row, "0 or 1", v));
    }
    if let Some(w) = weights {
        ensure!(
            w.len() == n,
            Error::argument("weights", format!("{} weights for {n} rows", w.len()))
        );
        if let Some((row, v)) = w
            .iter()
            .enumerate()
            .find(|(_, v)| !v.is_finite() || **v < 0.0)
        {
            return Err(Error::bad_value(
                "weights",
                row,
                "a finite, non-negative weight",
                v,
            ));
        }
    }
    Ok(())
}

/// `ln(1 + z)` for `z` in `[0, 1]`, to a few ulps, from one `ln` (cheaper than `ln_1p`):
/// `ln(u) · z / (u − 1)` with `u = 1 + z` corrects the rounding of `u` (Goldberg 1991,
/// <https://doi.org/10.1145/103162.103163>, theorem 4).
#[inline]
fn log1p_unit(z: f64) -> f64 {
    let u = 1.0 + z;
    if u == 1.0 {
        z
    } else {
        u.ln() * z / (u - 1.0)
    }
}

/// One pass: log-likelihood, score and information at `beta`, and the number of rows whose
/// linear predictor exceeds 20 in size (fitted probabilities at 0 or 1).
///
/// Each block of rows is read column by column: the linear predictor, then `μ`, the residual
/// `w (y − μ)` and the weight `w μ (1 − μ)` per row, then the score (one dot product per column)
/// and the upper triangle of the information `Xᵀ W X`. Blocks are summed in block order.
fn pass(
    columns: &Columns<'_>,
    y: &[f64],
    weights: Option<&[f64]>,
    beta: &[f64],
) -> (f64, Vec<f64>, Array2<f64>, f64) {
    let p = columns.cols();
    let sums = fold_blocks(columns.rows(), p, 2 + p + p * p, |block, s, acc| {
        let (head, cross) = acc.split_at_mut(2 + p);
        let (totals, grad) = head.split_at_mut(2);
        // Sub-blocks small enough that their columns stay in cache between the steps.
        let subs = aluna_core::parallel::chunks(block.len(), SUB);
        for (k, range) in subs.iter().enumerate() {
            let range = block.start + range.start..block.start + range.end;
            let m = range.len();
            let x = columns.blocks(range.clone());
            let next = subs
                .get(k + 1)
                .map(|r| columns.blocks(block.start + r.start..block.start + r.end))
                .unwrap_or_default();
            let eta = &mut s.eta[..m];
            linear_predictor(&x, beta, eta);
            let (r, h) = (&mut s.r[..m], &mut s.h[..m]);
            let yb = &y[range.clone()];
            let (ll, extreme) = match weights {
                None => rows_unweighted(eta, yb, r, h),
                Some(w) => rows_weighted(eta, yb, &w[range.clone()], r, h),
            };
            totals[0] += ll;
            totals[1] += extreme;
            let z = &mut s.z[..p * m];
            for ((g, col), za) in grad.iter_mut().zip(&x).zip(z.chunks_exact_mut(m)) {
                *g += scale_dot(col, h, r, za);
            }
            let zs: Vec<&[f64]> = z.chunks_exact(m).collect();
            cross_upper(&zs, &x, &next, cross);
        }
    });
    let hess = symmetric_from_upper(&sums[2 + p..], p);
    (sums[0], sums[2..2 + p].to_vec(), hess, sums[1])
}

/// `μ`, the residual `y − μ` and the weight `μ (1 − μ)` of each row of a block from its linear
/// predictor (into `r` and `h`); returns the block's log-likelihood and its number of rows with
/// `|η| > 20`.
///
/// One `exp` per row: with `z = exp(−|η|)`, `μ` is `1/(1 + z)` or `z/(1 + z)`,
/// `μ (1 − μ) = z/(1 + z)²`, and `log(1 + e^η) = max(η, 0) + log(1 + z)`. The logarithms are
/// taken of products of up to 128 factors `1 + z ∈ [1, 2]` (four running products, one per
/// lane), which cannot overflow; terms with `z < 10⁻⁸`, which `1 + z` would round, are added
/// as `z − z²/2` instead.
fn rows_unweighted(eta: &[f64], y: &[f64], r: &mut [f64], h: &mut [f64]) -> (f64, f64) {
    let mut linear = 0.0;
    let mut extreme = 0.0;
    let mut small = 0.0;
    let mut logs = 0.0;
    for ((e, yv), (rv, hv)) in eta
        .chunks(4 * 128)
        .zip(y.chunks(4 * 128))
        .zip(r.chunks_mut(4 * 128).zip(h.chunks_mut(4 * 128)))
    {
        let mut prod = [1.0f64; 4];
        for (k, (((&e, &yk), rk), hk)) in e
            .iter()
            .zip(yv)
            .zip(rv.iter_mut())
            .zip(hv.iter_mut())
            .enumerate()
        {
            let z = (-e.abs()).exp();
            let d = 1.0 / (1.0 + z);
            let mu = if e >= 0.0 { d } else { z * d };
            *rk = yk - mu;
            *hk = z * d * d;
            linear += yk * e - e.max(0.0);
            if e.abs() > 20.0 {
                extreme += 1.0;
            }
            if z < 1e-8 {
                small += z - 0.5 * z * z;
            } else {
                prod[k % 4] *= 1.0 + z;
            }
        }
        logs += (prod[0].ln() + prod[1].ln()) + (prod[2].ln() + prod[3].ln());
    }
    (linear - (logs + small), extreme)
}

/// [`rows_unweighted`] with case weights `w`: residuals `w (y − μ)`, weights `w μ (1 − μ)`, and
/// one logarithm per row.
fn rows_weighted(eta: &[f64], y: &[f64], w: &[f64], r: &mut [f64], h: &mut [f64]) -> (f64, f64) {
    let mut ll = 0.0;
    let mut extreme = 0.0;
    for (k, &e) in eta.iter().enumerate() {
        let wk = w[k];
        let z = (-e.abs()).exp();
        let d = 1.0 / (1.0 + z);
        let mu = if e >= 0.0 { d } else { z * d };
        if wk != 0.0 {
            ll += wk * (y[k] * e - (e.max(0.0) + log1p_unit(z)));
            if e.abs() > 20.0 {
                extreme += 1.0;
            }
        }
        r[k] = wk * (y[k] - mu);
        h[k] = wk * (z * d * d);
    }
    (ll, extreme)
}

/// Firth's modified score `Σ w_i [y_i − μ_i + h_i (½ − μ_i)] x_i`, with `h_i` the leverages
/// `w_i μ_i (1 − μ_i) x_iᵀ I⁻¹ x_i`.
fn firth_score(
    columns: &Columns<'_>,
    y: &[f64],
    weights: Option<&[f64]>,
    beta: &[f64],
    inverse: &Array2<f64>,
) -> Vec<f64> {
    let p = columns.cols();
    let rows: Vec<Vec<f64>> = inverse.rows().into_iter().map(|r| r.to_vec()).collect();
    fold_blocks(columns.rows(), p, p, |range, s, acc| {
        let m = range.len();
        let x = columns.blocks(range.clone());
        let eta = &mut s.eta[..m];
        linear_predictor(&x, beta, eta);
        // q_i = x_iᵀ I⁻¹ x_i, from v_a = Σ_b (I⁻¹)_ab x_b.
        let q = &mut s.h[..m];
        q.iter_mut().for_each(|v| *v = 0.0);
        let v = &mut s.r[..m];
        for (a, xa) in x.iter().enumerate() {
            linear_predictor(&x, &rows[a], v);
            for ((qi, vi), xi) in q.iter_mut().zip(v.iter()).zip(xa.iter()) {
                *qi += vi * xi;
            }
        }
        let r = &mut s.z[..m];
        for k in 0..m {
            let w = weights.map_or(1.0, |w| w[range.start + k]);
            let mu = sigmoid(eta[k]);
            let h = w * mu * (1.0 - mu) * q[k];
            r[k] = w * (y[range.start + k] - mu) + h * (0.5 - mu);
        }
        for (g, col) in acc.iter_mut().zip(&x) {
            *g += dot(r, col);
        }
    })
}

fn penalty_mask(p: usize, intercept: bool) -> Vec<f64> {
    (0..p)
        .map(|j| if intercept && j == 0 { 0.0 } else { 1.0 })
        .collect()
}

/// The objective maximised and its pieces at `beta`.
struct Evaluation {
    objective: f64,
    log_likelihood: f64,
    grad: Vec<f64>,
    hess: Array2<f64>,
    chol: Option<Cholesky>,
    /// Rows with |η| > 20.
    extreme: f64,
}

fn evaluate(
    design: &Columns<'_>,
    y: &[f64],
    weights: Option<&[f64]>,
    beta: &[f64],
    options: &LogisticOptions,
    mask: &[f64],
) -> Evaluation {
    let sums = pass(design, y, weights, beta);
    finish_evaluation(design, y, weights, beta, options, mask, sums)
}

/// The penalised objective and its pieces from one [`pass`] at `beta`.
fn finish_evaluation(
    design: &Columns<'_>,
    y: &[f64],
    weights: Option<&[f64]>,
    beta: &[f64],
    options: &LogisticOptions,
    mask: &[f64],
    (ll, mut grad, mut hess, extreme): (f64, Vec<f64>, Array2<f64>, f64),
) -> Evaluation {
    let p = beta.len();
    let mut objective = ll;
    match options.penalty {
        Penalty::None => {}
        Penalty::L2(alpha) => {
            for j in 0..p {
                objective -= 0.5 * alpha * mask[j] * beta[j] * beta[j];
                grad[j] -= alpha * mask[j] * beta[j];
                hess[[j, j]] += alpha * mask[j];
            }
        }
        Penalty::L1(alpha) => {
            objective -= alpha * (0..p).map(|j| mask[j] * beta[j].abs()).sum::<f64>();
        }
        Penalty::Firth => {}
    }
    let chol = Cholesky::new(&hess).ok();
    if options.penalty == Penalty::Firth {
        match &chol {
            Some(c) => {
                objective += 0.5 * c.log_det();
                grad = firth_score(design, y, weights, beta, &c.inverse());
            }
            None => objective = f64::NEG_INFINITY,
        }
    }
    Evaluation {
        objective,
        log_likelihood: ll,
        grad,
        hess,
        chol,
        extreme,
    }
}

/// Soft thresholding `sign(z) max(|z| − t, 0)`.
fn soft(z: f64, t: f64) -> f64 {
    if z > t {
        z - t
    } else if z < -t {
        z + t
    } else {
        0.0
    }
}

/// The proximal Newton step for L1: minimise `½ (b−β)ᵀ H (b−β) − gᵀ(b−β) + α Σ m_j |b_j|` by
/// coordinate descent and return `b − β`.
fn l1_step(beta: &[f64], grad: &[f64], hess: &Array2<f64>, alpha: f64, mask: &[f64]) -> Vec<f64> {
    let p = beta.len();
    let mut b = beta.to_vec();
    for _sweep in 0..10_000 {
        let mut largest = 0.0f64;
        for j in 0..p {
            let hjj = hess[[j, j]].max(1e-12);
            let mut z = hjj * beta[j] + grad[j];
            for k in 0..p {
                if k != j {
                    z -= hess[[j, k]] * (b[k] - beta[k]);
                }
            }
            let new = soft(z, alpha * mask[j]) / hjj;
            largest = largest.max((new - b[j]).abs());
            b[j] = new;
        }
        if largest <= 1e-14 * (1.0 + b.iter().fold(0.0f64, |m, v| m.max(v.abs()))) {
            break;
        }
    }
    b.iter().zip(beta).map(|(b, a)| b - a).collect()
}

/// Fit a logistic regression of `y` (0/1) on the design's columns.
///
/// Newton–Raphson from `β = 0` with step halving whenever the objective falls; for L1 the step is
/// a proximal Newton step. Stops when every `|Δβ_j| ≤ tolerance · (1 + |β_j|)`. Under separation
/// (some fitted probabilities reach 0 or 1 while coefficients grow without bound) the fit stops
/// when the log-likelihood no longer moves and [`LogisticFit::separated`] names the columns that
/// diverge; Firth's penalty gives finite estimates there.
///
/// Rows are swept in parallel blocks summed in a fixed order (identical results for any number
/// of threads).
///
/// # Errors
/// [`Error::BadValue`] for an outcome that is not 0/1 or a negative or non-finite weight;
/// [`Error::Singular`] naming constant or collinear columns; [`Error::InvalidArgument`] for a
/// negative or non-finite `α`.
///
/// # Example
/// ```
/// use aluna_stats::design::Design;
/// use aluna_stats::logistic::{fit_logistic, LogisticOptions};
/// use ndarray::array;
/// let x = array![[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0]];
/// let design = Design::new(x, vec!["intercept".into(), "treated".into()]).unwrap();
/// let y = [0.0, 0.0, 1.0, 1.0, 1.0, 0.0];
/// let fit = fit_logistic(&design, &y, None, &LogisticOptions::default()).unwrap();
/// // log odds 1/3 → 2/3: the odds ratio is 4.
/// assert!((fit.coef[1].exp() - 4.0).abs() < 1e-9);
/// ```
pub fn fit_logistic(
    design: &Design,
    y: &[f64],
    weights: Option<&[f64]>,
    options: &LogisticOptions,
) -> Result<LogisticFit> {
    fit_logistic_columns(&Columns::from_design(design), y, weights, options)
}

/// [`fit_logistic`] on a design stored by column (for example read in place from a table with
/// [`Columns::from_table`]): the same fit, without a row-major copy of the data.
///
/// # Errors
/// As [`fit_logistic`].
///
/// # Example
/// ```
/// use aluna_stats::columns::Columns;
/// use aluna_stats::design::Design;
/// use aluna_stats::logistic::{fit_logistic, fit_logistic_columns, LogisticOptions};
/// use ndarray::array;
/// let x = array![[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0]];
/// let design = Design::new(x, vec!["intercept".into(), "treated".into()]).unwrap();
/// let y = [0.0, 0.0, 1.0, 1.0, 1.0, 0.0];
/// let options = LogisticOptions::default();
/// let a = fit_logistic_columns(&Columns::from_design(&design), &y, None, &options).unwrap();
/// let b = fit_logistic(&design, &y, None, &options).unwrap();
/// assert_eq!(a.coef, b.coef);
/// ```
pub fn fit_logistic_columns(
    design: &Columns<'_>,
    y: &[f64],
    weights: Option<&[f64]>,
    options: &LogisticOptions,
) -> Result<LogisticFit> {
    fit_from(design, y, weights, options, true)
}

/// Rows from which a fit starts from the estimate on a subsample (unpenalised or L2).
const WARM_ROWS: usize = 32 * BLOCK;

/// The subsample: every `WARM_EVERY`-th run of `WARM_RUN` consecutive rows.
const WARM_EVERY: usize = 16;
const WARM_RUN: usize = 256;

/// A starting point for Newton's method on many rows: the estimate on a fixed subsample (a
/// sixteenth of the rows, in runs of 256), to a loose tolerance. Newton's method then needs
/// fewer passes over all rows to reach the same tolerance. `None` when the subsample's fit is
/// not clean (it failed, did not converge, or shows separation): the fit then starts from the
/// intercept-only model as usual.
fn warm_start(
    design: &Columns<'_>,
    y: &[f64],
    weights: Option<&[f64]>,
    options: &LogisticOptions,
) -> Option<Vec<f64>> {
    let n = design.rows();
    let penalty = match options.penalty {
        Penalty::None => Penalty::None,
        Penalty::L2(alpha) => Penalty::L2(alpha / WARM_EVERY as f64),
        _ => return None,
    };
    if n < WARM_ROWS {
        return None;
    }
    let rows: Vec<usize> = (0..n)
        .filter(|i| (i / WARM_RUN).is_multiple_of(WARM_EVERY))
        .collect();
    let sub = design.take_rows(&rows);
    let ys: Vec<f64> = rows.iter().map(|&i| y[i]).collect();
    let ws: Option<Vec<f64>> = weights.map(|w| rows.iter().map(|&i| w[i]).collect());
    let opts = LogisticOptions {
        penalty,
        tolerance: 1e-4,
        ..*options
    };
    let fit = fit_from(&sub, &ys, ws.as_deref(), &opts, false).ok()?;
    (fit.converged && fit.separated.is_empty() && fit.coef.iter().all(|b| b.is_finite()))
        .then_some(fit.coef)
}

fn fit_from(
    design: &Columns<'_>,
    y: &[f64],
    weights: Option<&[f64]>,
    options: &LogisticOptions,
    warm: bool,
) -> Result<LogisticFit> {
    check_inputs(design.rows(), y, weights)?;
    let p = design.cols();
    match options.penalty {
        Penalty::L1(a) | Penalty::L2(a) => ensure!(
            a.is_finite() && a >= 0.0,
            Error::argument("alpha", format!("must be finite and non-negative, got {a}"))
        ),
        _ => {}
    }
    let mask = penalty_mask(p, options.intercept);
    let weight_total: f64 = weights.map_or(design.rows() as f64, |w| w.iter().sum());
    let mut beta = vec![0.0; p];
    if options.intercept {
        // Start from the intercept-only fit: one Newton step fewer.
        let (mut sy, mut sw) = (0.0, 0.0);
        for (i, v) in y.iter().enumerate() {
            let w = weights.map_or(1.0, |w| w[i]);
            sy += w * v;
            sw += w;
        }
        let m = (sy / sw).clamp(1e-6, 1.0 - 1e-6);
        beta[0] = (m / (1.0 - m)).ln();
    }
    // At the start every fitted probability is the same, so the information is a multiple of
    // Σ w x xᵀ: its rank is the design's, and constant or collinear columns are found (and
    // named) from the first pass, without another one. From a warm start the weights differ
    // between rows but are all positive, so the rank is the same; should the check fail there
    // (weights that underflow), it is made again from the intercept-only start.
    let mut first = None;
    if let Some(start) = warm
        .then(|| warm_start(design, y, weights, options))
        .flatten()
    {
        let sums = pass(design, y, weights, &start);
        if crate::linalg::collinear_columns(&sums.2, 1e-10).is_empty() {
            beta = start;
            first = Some(sums);
        }
    }
    let first = match first {
        Some(sums) => sums,
        None => {
            let sums = pass(design, y, weights, &beta);
            let deps = crate::linalg::collinear_columns(&sums.2, 1e-10);
            if !deps.is_empty() {
                return Err(Error::Singular {
                    model: "LogisticRegression",
                    detail: crate::design::describe_dependencies(&deps, design.names()),
                });
            }
            sums
        }
    };
    let mut current = finish_evaluation(design, y, weights, &beta, options, &mask, first);
    let mut converged = false;
    let mut stalled = false;
    let mut iterations = 0;
    while iterations < options.max_iterations {
        iterations += 1;
        let step = match options.penalty {
            Penalty::L1(alpha) => l1_step(&beta, &current.grad, &current.hess, alpha, &mask),
            _ => match &current.chol {
                Some(c) => c.solve(&current.grad),
                None => {
                    // Information singular at this β (fitted probabilities at 0 or 1).
                    stalled = true;
                    break;
                }
            },
        };
        if matches!(options.penalty, Penalty::None | Penalty::L2(_)) {
            let candidate: Vec<f64> = beta.iter().zip(&step).map(|(b, s)| b + s).collect();
            if step
                .iter()
                .zip(&candidate)
                .all(|(s, b)| s.abs() <= options.tolerance * (1.0 + b.abs()))
            {
                // The full Newton step is already below the tolerance: take it and keep the
                // information and log-likelihood of the current β (they differ from those at
                // the new β by a relative amount of the order of the step), saving a pass.
                beta = candidate;
                converged = true;
                break;
            }
        }
        let mut t = 1.0;
        let mut next;
        let mut candidate;
        loop {
            candidate = beta
                .iter()
                .zip(&step)
                .map(|(b, s)| b + t * s)
                .collect::<Vec<_>>();
            next = evaluate(design, y, weights, &candidate, options, &mask);
            let tolerance = 1e-12 * current.objective.abs().max(1.0);
            if next.objective >= current.objective - tolerance || t < 1e-10 {
                break;
            }
            t *= 0.5;
        }
        let small = step
            .iter()
            .zip(&candidate)
            .all(|(s, b)| (t * s).abs() <= options.tolerance * (1.0 + b.abs()));
        let change = next.objective - current.objective;
        beta = candidate;
        current = next;
        if small {
            converged = true;
            break;
        }
        if iterations > 5 && change.abs() <= 1e-13 * current.objective.abs().max(1e-300) {
            // The objective no longer moves: either rounding limits the last digits (the step is
            // already tiny) or coefficients run off to infinity (separation).
            let settled = step
                .iter()
                .zip(&beta)
                .all(|(s, b)| (t * s).abs() <= 1e-6 * (1.0 + b.abs()));
            if settled {
                converged = true;
            } else {
                stalled = true;
            }
            break;
        }
    }
    let separated = if options.penalty == Penalty::Firth {
        Vec::new()
    } else {
        separation(
            design,
            weights,
            &beta,
            options.intercept,
            converged && !stalled,
            current.extreme,
        )
    };
    let covariance = match options.penalty {
        Penalty::L1(_) => None,
        _ => match &current.chol {
            Some(c) => Some(c.inverse()),
            None => {
                if separated.is_empty() {
                    return Err(Error::NotConverged {
                        model: "LogisticRegression",
                        iterations,
                        hint: "the information matrix became singular; try penalty=\"firth\" or \
                               penalty=\"l2\""
                            .into(),
                    });
                }
                None
            }
        },
    };
    if !converged && separated.is_empty() && !stalled {
        return Err(Error::NotConverged {
            model: "LogisticRegression",
            iterations,
            hint: "raise max_iter, rescale covariates, or try penalty=\"l2\"".into(),
        });
    }
    let null_log_likelihood = null_log_likelihood(y, weights, options.intercept);
    Ok(LogisticFit {
        coef: beta,
        covariance,
        log_likelihood: current.log_likelihood,
        penalised_log_likelihood: current.objective,
        null_log_likelihood,
        iterations,
        converged: converged && separated.is_empty(),
        separated,
        weight_total,
    })
}

/// Columns whose coefficients diverge: fitted probabilities numerically 0 or 1 and large
/// standardised coefficients.
fn separation(
    design: &Columns<'_>,
    weights: Option<&[f64]>,
    beta: &[f64],
    intercept: bool,
    converged: bool,
    extreme: f64,
) -> Vec<usize> {
    let p = design.cols();
    if extreme == 0.0 && converged {
        return Vec::new();
    }
    let (squares, total) = design.centred_squares(weights);
    let scaled: Vec<(usize, f64)> = (0..p)
        .filter(|&j| !(intercept && j == 0))
        .map(|j| {
            let sd = (squares[j] / total.max(1.0)).sqrt();
            (j, beta[j].abs() * sd)
        })
        .collect();
    let mut out: Vec<usize> = scaled
        .iter()
        .filter(|(_, s)| *s > 5.0)
        .map(|(j, _)| *j)
        .collect();
    if out.is_empty() && extreme > 0.0 {
        if let Some((j, _)) = scaled.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1)) {
            out.push(j);
        }
    }
    out
}

fn null_log_likelihood(y: &[f64], weights: Option<&[f64]>, intercept: bool) -> f64 {
    if !intercept {
        let total: f64 = weights.map_or(y.len() as f64, |w| w.iter().sum());
        return -total * std::f64::consts::LN_2;
    }
    let (mut sy, mut sw) = (0.0, 0.0);
    for (i, v) in y.iter().enumerate() {
        let w = weights.map_or(1.0, |w| w[i]);
        sy += w * v;
        sw += w;
    }
    let m = sy / sw;
    if m <= 0.0 || m >= 1.0 {
        return 0.0;
    }
    sy * m.ln() + (sw - sy) * (1.0 - m).ln()
}

/// Which sandwich covariance to compute.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sandwich<'a> {
    /// Heteroscedasticity-robust `H⁻¹ (Σ s_i s_iᵀ) H⁻¹` (HC0, White 1980).
    Robust,
    /// Cluster-robust `c · H⁻¹ (Σ_g s_g s_gᵀ) H⁻¹` with clusters given as codes per row and the
    /// small-sample factor `c = G/(G−1) · (n−1)/(n−p)` (as Stata and statsmodels).
    Cluster(&'a [u32]),
}

/// The sandwich covariance of a fitted model with scores `s_i = w_i (y_i − μ_i) x_i`.
///
/// # Example
/// ```
/// use aluna_stats::columns::Columns;
/// use aluna_stats::design::Design;
/// use aluna_stats::logistic::{fit_logistic, sandwich_covariance, LogisticOptions, Sandwich};
/// use ndarray::array;
/// let x = array![[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0]];
/// let design = Design::new(x, vec!["intercept".into(), "treated".into()]).unwrap();
/// let y = [0.0, 0.0, 1.0, 1.0, 1.0, 0.0];
/// let fit = fit_logistic(&design, &y, None, &LogisticOptions::default()).unwrap();
/// let columns = Columns::from_design(&design);
/// let v = sandwich_covariance(&columns, &y, None, &fit, Sandwich::Robust).unwrap();
/// assert!(v[[1, 1]] > 0.0);
/// ```
pub fn sandwich_covariance(
    design: &Columns<'_>,
    y: &[f64],
    weights: Option<&[f64]>,
    fit: &LogisticFit,
    kind: Sandwich<'_>,
) -> Result<Array2<f64>> {
    let bread = fit.covariance.as_ref().ok_or_else(|| {
        Error::argument(
            "robust",
            "sandwich standard errors need a model-based covariance (not available for L1 fits)",
        )
    })?;
    let p = design.cols();
    let n = design.rows();
    ensure!(
        fit.coef.len() == p,
        Error::argument(
            "coef",
            format!("{} coefficients for {p} columns", fit.coef.len())
        )
    );
    let scores = per_row(design, &fit.coef, |i, eta| {
        weights.map_or(1.0, |w| w[i]) * (y[i] - sigmoid(eta))
    });
    let meat = match kind {
        Sandwich::Robust => {
            let u: Vec<f64> = scores.iter().map(|r| r * r).collect();
            weighted_cross(design, &u)
        }
        Sandwich::Cluster(codes) => {
            ensure!(
                codes.len() == n,
                Error::argument("cluster", format!("{} codes for {n} rows", codes.len()))
            );
            let groups = codes.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
            let mut sums = vec![0.0; groups * p];
            for j in 0..p {
                let x = design.block(j, 0..n);
                if x.len() == n {
                    for ((&g, r), v) in codes.iter().zip(&scores).zip(x) {
                        sums[g as usize * p + j] += r * v;
                    }
                } else {
                    // The intercept: a column of ones.
                    for (&g, r) in codes.iter().zip(&scores) {
                        sums[g as usize * p + j] += r;
                    }
                }
            }
            let used = (0..groups)
                .filter(|g| codes.iter().any(|&c| c as usize == *g))
                .count();
            ensure!(
                used >= 2,
                Error::argument(
                    "cluster",
                    "cluster-robust errors need at least two clusters"
                )
            );
            let mut upper = vec![0.0; p * p];
            for g in 0..groups {
                add_outer_upper(&mut upper, &sums[g * p..(g + 1) * p], 1.0);
            }
            let g = used as f64;
            let factor = g / (g - 1.0) * (n as f64 - 1.0) / (n as f64 - p as f64);
            let mut m = symmetric_from_upper(&upper, p);
            m.mapv_inplace(|v| v * factor);
            m
        }
    };
    Ok(sandwich(bread, &meat))
}

/// The sums one block of rows adds to a logistic fit at `β`: for distributed fitting, where each
/// partition of the data computes its terms and the driver adds them up and takes the Newton
/// step (a sum over blocks is the sum over all rows).
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticTerms {
    /// `Σ w_i [y_i η_i − log(1 + e^{η_i})]`.
    pub log_likelihood: f64,
    /// The score `Σ w_i (y_i − μ_i) x_i`.
    pub score: Vec<f64>,
    /// The information `Σ w_i μ_i (1 − μ_i) x_i x_iᵀ`.
    pub information: Array2<f64>,
    /// With `meat`: `Σ (w_i (y_i − μ_i))² x_i x_iᵀ`, the middle of the HC0 sandwich.
    pub meat: Option<Array2<f64>>,
    /// Rows whose linear predictor exceeds 20 in size (fitted probabilities at 0 or 1).
    pub extreme: f64,
    /// `Σ w_i` (the number of rows without weights).
    pub weight_total: f64,
    /// `Σ w_i y_i`.
    pub weighted_events: f64,
}

/// The log-likelihood, score and information of a block of rows at `beta` (and the robust
/// sandwich's middle term when `meat`), as one Newton step of [`fit_logistic`] sums them; rows
/// are swept in fixed blocks in parallel, summed in block order.
///
/// # Errors
/// As [`fit_logistic`] for outcomes and weights; `InvalidArgument` when `beta` does not have one
/// value per design column.
///
/// # Example
/// ```
/// use aluna_stats::columns::Columns;
/// use aluna_stats::design::Design;
/// use aluna_stats::logistic::{fit_logistic, logistic_terms, LogisticOptions};
/// use ndarray::array;
/// let x = array![[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0]];
/// let design = Design::new(x, vec!["intercept".into(), "treated".into()]).unwrap();
/// let y = [0.0, 0.0, 1.0, 1.0, 1.0, 0.0];
/// let fit = fit_logistic(&design, &y, None, &LogisticOptions::default()).unwrap();
/// let columns = Columns::from_design(&design);
/// let terms = logistic_terms(&columns, &y, None, &fit.coef, false).unwrap();
/// assert!(terms.score.iter().all(|g| g.abs() < 1e-9));
/// assert!((terms.log_likelihood - fit.log_likelihood).abs() < 1e-12);
/// ```
pub fn logistic_terms(
    design: &Columns<'_>,
    y: &[f64],
    weights: Option<&[f64]>,
    beta: &[f64],
    meat: bool,
) -> Result<LogisticTerms> {
    check_inputs(design.rows(), y, weights)?;
    ensure!(
        beta.len() == design.cols(),
        Error::argument(
            "coef",
            format!("{} coefficients for {} columns", beta.len(), design.cols())
        )
    );
    let (log_likelihood, score, information, extreme) = pass(design, y, weights, beta);
    let meat = meat.then(|| {
        let u = per_row(design, beta, |i, eta| {
            (weights.map_or(1.0, |w| w[i]) * (y[i] - sigmoid(eta))).powi(2)
        });
        weighted_cross(design, &u)
    });
    let (mut weight_total, mut weighted_events) = (0.0, 0.0);
    for (i, v) in y.iter().enumerate() {
        let w = weights.map_or(1.0, |w| w[i]);
        weight_total += w;
        weighted_events += w * v;
    }
    Ok(LogisticTerms {
        log_likelihood,
        score,
        information,
        meat,
        extreme,
        weight_total,
        weighted_events,
    })
}

/// Fitted probabilities `1 / (1 + exp(−xᵀβ))` for every row of a design (in parallel blocks).
pub fn predict_proba(design: &Columns<'_>, coef: &[f64]) -> Result<Vec<f64>> {
    ensure!(
        coef.len() == design.cols(),
        Error::argument(
            "covariates",
            format!("{} coefficients for {} columns", coef.len(), design.cols())
        )
    );
    Ok(per_row(design, coef, |_, eta| sigmoid(eta)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn log1p_unit_matches_ln_1p() {
        let mut z = 1.0f64;
        while z > 1e-300 {
            for v in [z, z * 0.7, z * 0.3] {
                let (a, b) = (log1p_unit(v), v.ln_1p());
                assert!((a - b).abs() <= 4.0 * f64::EPSILON * b, "{v}: {a} vs {b}");
            }
            z *= 0.5;
        }
        assert_eq!(log1p_unit(0.0), 0.0);
    }

    fn toy() -> (Design, Vec<f64>) {
        let x = array![
            [1.0, 0.5],
            [1.0, 1.5],
            [1.0, 2.0],
            [1.0, 3.0],
            [1.0, 3.5],
            [1.0, 4.0],
            [1.0, 1.0],
            [1.0, 2.5]
        ];
        let d = Design::new(x, vec!["intercept".into(), "x".into()]).unwrap();
        (d, vec![0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0])
    }

    #[test]
    fn score_is_zero_at_the_estimate() {
        let (d, y) = toy();
        let fit = fit_logistic(&d, &y, None, &LogisticOptions::default()).unwrap();
        let (_, g, _, _) = pass(&Columns::from_design(&d), &y, None, &fit.coef);
        assert!(g.iter().all(|v| v.abs() < 1e-9));
        assert!(fit.converged);
        assert!(fit.log_likelihood > fit.null_log_likelihood);
    }

    #[test]
    fn integer_weights_equal_repeated_rows() {
        let (d, y) = toy();
        let w = [2.0, 1.0, 1.0, 3.0, 1.0, 1.0, 1.0, 2.0];
        let fit = fit_logistic(&d, &y, Some(&w), &LogisticOptions::default()).unwrap();
        let mut rows = vec![];
        let mut ys = vec![];
        for (i, &k) in w.iter().enumerate() {
            for _ in 0..k as usize {
                rows.extend_from_slice(d.row(i));
                ys.push(y[i]);
            }
        }
        let big = Design::new(
            Array2::from_shape_vec((ys.len(), 2), rows).unwrap(),
            d.names().to_vec(),
        )
        .unwrap();
        let fit2 = fit_logistic(&big, &ys, None, &LogisticOptions::default()).unwrap();
        for j in 0..2 {
            assert!((fit.coef[j] - fit2.coef[j]).abs() < 1e-9);
        }
    }

    #[test]
    fn separation_is_reported_and_firth_is_finite() {
        let x = array![
            [1.0, 0.0],
            [1.0, 1.0],
            [1.0, 2.0],
            [1.0, 3.0],
            [1.0, 4.0],
            [1.0, 5.0]
        ];
        let d = Design::new(x, vec!["intercept".into(), "priors".into()]).unwrap();
        let y = [0.0, 0.0, 0.0, 1.0, 1.0, 1.0];
        let fit = fit_logistic(&d, &y, None, &LogisticOptions::default()).unwrap();
        assert_eq!(fit.separated, vec![1]);
        let firth = LogisticOptions {
            penalty: Penalty::Firth,
            ..Default::default()
        };
        let fit = fit_logistic(&d, &y, None, &firth).unwrap();
        assert!(
            fit.converged && fit.coef[1].is_finite() && fit.coef[1] > 0.0,
            "{fit:?}"
        );
    }

    #[test]
    fn l1_large_alpha_zeroes_slopes() {
        let (d, y) = toy();
        let opts = LogisticOptions {
            penalty: Penalty::L1(100.0),
            ..Default::default()
        };
        let fit = fit_logistic(&d, &y, None, &opts).unwrap();
        assert_eq!(fit.coef[1], 0.0);
        assert!(fit.covariance.is_none());
    }

    /// `n` rows of three covariates, deterministic.
    fn rows_of(n: usize) -> (Design, Vec<f64>) {
        let x = Array2::from_shape_fn((n, 4), |(i, j)| match j {
            0 => 1.0,
            _ => (((i * (2 * j + 5) + j * 17) % 101) as f64 - 50.0) / 25.0,
        });
        let y = (0..n)
            .map(|i| {
                let eta = 0.4 * x[[i, 1]] - 0.7 * x[[i, 2]] + 0.2 * x[[i, 3]] - 0.5;
                let u = ((i * 7919) % 1000) as f64 / 1000.0;
                f64::from(u8::from(u < 1.0 / (1.0 + (-eta).exp())))
            })
            .collect();
        let names = vec!["intercept".into(), "a".into(), "b".into(), "c".into()];
        (Design::new(x, names).unwrap(), y)
    }

    /// 20,000 rows (several blocks).
    fn many_rows() -> (Design, Vec<f64>) {
        rows_of(20_000)
    }

    #[test]
    fn warm_start_reaches_the_same_estimate() {
        let (d, y) = rows_of(WARM_ROWS + 10_000);
        let c = Columns::from_design(&d);
        let w: Vec<f64> = (0..y.len()).map(|i| 1.0 + (i % 3) as f64).collect();
        for weights in [None, Some(&w[..])] {
            for penalty in [Penalty::None, Penalty::L2(5.0)] {
                let opts = LogisticOptions {
                    penalty,
                    ..Default::default()
                };
                assert!(warm_start(&c, &y, weights, &opts).is_some());
                let warm = fit_from(&c, &y, weights, &opts, true).unwrap();
                let cold = fit_from(&c, &y, weights, &opts, false).unwrap();
                assert!(warm.iterations < cold.iterations, "{penalty:?}");
                let (vw, vc) = (warm.covariance.unwrap(), cold.covariance.unwrap());
                for j in 0..4 {
                    let rel = (warm.coef[j] - cold.coef[j]).abs() / cold.coef[j].abs();
                    assert!(rel < 1e-9, "{penalty:?} coef {j}: {rel}");
                    let rel = (vw[[j, j]].sqrt() - vc[[j, j]].sqrt()).abs() / vc[[j, j]].sqrt();
                    assert!(rel < 1e-9, "{penalty:?} se {j}: {rel}");
                }
                let rel =
                    (warm.log_likelihood - cold.log_likelihood).abs() / cold.log_likelihood.abs();
                assert!(rel < 1e-12, "{rel}");
            }
        }
    }

    #[test]
    fn same_bits_for_any_thread_count() {
        let (d, y) = many_rows();
        let fit = |t| {
            aluna_core::parallel::install(Some(t), || {
                fit_logistic(&d, &y, None, &LogisticOptions::default()).unwrap()
            })
            .unwrap()
        };
        let (one, two) = (fit(1), fit(2));
        assert_eq!(one.coef, two.coef);
        assert_eq!(one.covariance, two.covariance);
        assert_eq!(one.log_likelihood.to_bits(), two.log_likelihood.to_bits());
    }

    #[test]
    fn unit_weights_agree_with_no_weights() {
        // The weighted path takes one logarithm per row, the unweighted one of products.
        let (d, y) = many_rows();
        let opts = LogisticOptions::default();
        let plain = fit_logistic(&d, &y, None, &opts).unwrap();
        let ones = vec![1.0; y.len()];
        let weighted = fit_logistic(&d, &y, Some(&ones), &opts).unwrap();
        for j in 0..4 {
            assert!((plain.coef[j] - weighted.coef[j]).abs() < 1e-12);
        }
        let rel =
            (plain.log_likelihood - weighted.log_likelihood).abs() / plain.log_likelihood.abs();
        assert!(rel < 1e-14, "{rel}");
    }

    #[test]
    fn bad_outcome_names_row() {
        let (d, mut y) = toy();
        y[3] = 2.0;
        let err = fit_logistic(&d, &y, None, &LogisticOptions::default()).unwrap_err();
        assert!(matches!(err, Error::BadValue { row: 3, .. }));
    }
}
