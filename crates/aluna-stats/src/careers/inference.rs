//! What a fitted trajectory model reports: the observed information (Louis 1982) and the
//! covariance of the estimates, coefficients on the user's time scale, trajectories with
//! delta-method intervals, and Nagin's adequacy criteria.

use aluna_core::Result;
use ndarray::Array2;
use rayon::prelude::*;

use crate::careers::model::{sigmoid, Parameters, PeriodTable};
use crate::careers::panel::CountModel;
use crate::careers::trajectories::{Fitter, StartOutcome, TrajectoryFit};
use crate::design::BLOCK;
use crate::linalg::Cholesky;

/// Per group and period, the expected count per unit exposure: `(1 − ω) λ`, `λ` or `p`.
fn expected(table: &PeriodTable, idx: usize) -> f64 {
    match table.model {
        CountModel::ZeroInflatedPoisson => table.mean[idx] * (1.0 - table.omega[idx]),
        _ => table.mean[idx],
    }
}

/// Finish a fit: groups in canonical order, posteriors, observed means, covariance.
pub(crate) fn complete(
    fitter: &Fitter<'_>,
    j_n: usize,
    params: Parameters,
    trace: Vec<f64>,
    converged: bool,
    starts: Vec<StartOutcome>,
    best_start: usize,
) -> Result<TrajectoryFit> {
    let units = fitter.units;
    let t = fitter.t();
    let table = PeriodTable::new(fitter.model, &fitter.poly, &params);
    let mut order: Vec<usize> = (0..j_n).collect();
    let level: Vec<f64> = (0..j_n)
        .map(|j| (0..t).map(|k| expected(&table, j * t + k)).sum::<f64>() / t as f64)
        .collect();
    order.sort_by(|&a, &b| level[a].total_cmp(&level[b]).then(a.cmp(&b)));
    let params = Parameters {
        groups: order.iter().map(|&j| params.groups[j].clone()).collect(),
        log_share: order.iter().map(|&j| params.log_share[j]).collect(),
    };
    let n = units.persons;
    let mut posterior = vec![0.0; units.len() * j_n];
    let log_likelihood = fitter.e_step(&params, &mut posterior)?;
    let (_, exposure) = fitter.statistics(&params, &posterior);
    let (sums, _) = fitter.aggregate::<1>(&posterior, j_n, |_, _| [0.0], |_, y, _| [y]);
    let observed = sums
        .iter()
        .zip(&exposure)
        .map(|(y, e)| if *e > 0.0 { y / e } else { 0.0 })
        .collect();
    let shares: Vec<f64> = params.log_share.iter().map(|l| l.exp()).collect();
    let d = fitter.p() + fitter.q();
    let parameters = j_n * d + j_n - 1;
    let entropy = (j_n > 1).then(|| {
        let h: f64 = posterior
            .chunks(j_n)
            .zip(&units.multiplicity)
            .map(|(w, m)| {
                m * w
                    .iter()
                    .filter(|&&w| w > 0.0)
                    .map(|&w| -w * w.ln())
                    .sum::<f64>()
            })
            .sum();
        1.0 - h / (n as f64 * (j_n as f64).ln())
    });
    let (_, info) = score_information(fitter, &params, &posterior);
    let fixed = boundary(fitter, &params);
    let (covariance, covariance_note) = match invert_free(&info, &fixed) {
        Ok(inverse) => (Some(inverse), None),
        Err(col) => (
            None,
            Some(format!(
                "the observed information is singular at the {} (a rate or probability at 0 \
                 or 1, or two groups alike); standard errors are not available, try fewer \
                 groups or a lower order",
                parameter_name(col, j_n, fitter.p(), fitter.q())
            )),
        ),
    };
    let k = parameters as f64;
    Ok(TrajectoryFit {
        groups: j_n,
        model: fitter.model,
        log_likelihood,
        parameters,
        persons: n,
        bic: -2.0 * log_likelihood + k * (n as f64).ln(),
        aic: -2.0 * log_likelihood + 2.0 * k,
        entropy,
        iterations: trace.len() - 1,
        converged,
        trace,
        starts,
        best_start,
        polynomial: fitter.poly.clone(),
        estimates: params,
        shares,
        posterior,
        multiplicity: units.multiplicity.clone(),
        observed,
        covariance,
        covariance_note,
        fixed,
    })
}

fn parameter_name(col: usize, j_n: usize, p: usize, q: usize) -> String {
    let d = p + q;
    if col < j_n * d {
        let (g, r) = (col / d + 1, col % d);
        if r < p {
            format!("group {g} trajectory coefficient of degree {r}")
        } else {
            format!("group {g} zero-inflation coefficient of degree {}", r - p)
        }
    } else {
        format!("share of group {}", col - j_n * d + 2)
    }
}

/// Fold `0..n` in fixed blocks of `block` items, in parallel, adding block results in block
/// order.
fn bounded_fold<F>(n: usize, block: usize, len: usize, fold: F) -> Vec<f64>
where
    F: Fn(std::ops::Range<usize>, &mut [f64]) + Sync,
{
    let parts: Vec<Vec<f64>> = aluna_core::parallel::chunks(n, block)
        .into_par_iter()
        .map(|r| {
            let mut acc = vec![0.0; len];
            fold(r, &mut acc);
            acc
        })
        .collect();
    let mut total = vec![0.0; len];
    for part in &parts {
        total.iter_mut().zip(part).for_each(|(t, x)| *t += x);
    }
    total
}

/// Scores (η, ζ) and second derivatives (ηη, ηζ, ζζ) of a row's log-likelihood: of a zero
/// (`full = false`) or of a count `y > 0`.
fn derivatives(table: &PeriodTable, idx: usize, y: f64, e: f64, full: bool) -> [f64; 5] {
    match table.model {
        CountModel::Poisson => {
            let mu = e * table.mean[idx];
            [if full { y - mu } else { -mu }, 0.0, -mu, 0.0, 0.0]
        }
        CountModel::Logit => {
            let p = table.mean[idx];
            [
                if full { 1.0 - p } else { -p },
                0.0,
                -p * (1.0 - p),
                0.0,
                0.0,
            ]
        }
        CountModel::ZeroInflatedPoisson => {
            let mu = e * table.mean[idx];
            let omega = table.omega[idx];
            if full {
                [y - mu, -omega, -mu, 0.0, -omega * (1.0 - omega)]
            } else {
                let z = table.structural(idx, e);
                [
                    -mu * (1.0 - z),
                    z - omega,
                    -mu * (1.0 - z) * (1.0 - mu * z),
                    mu * z * (1.0 - z),
                    z * (1.0 - z) - omega * (1.0 - omega),
                ]
            }
        }
    }
}

fn excess(table: &PeriodTable, idx: usize, y: f64, e: f64) -> [f64; 5] {
    let a = derivatives(table, idx, y, e, true);
    let b = derivatives(table, idx, y, e, false);
    std::array::from_fn(|m| a[m] - b[m])
}

/// The score `∂ℓ/∂θ` and observed information `−∂²ℓ/∂θ∂θᵀ` of the mixture log-likelihood, by
/// `∂ log Σ_j a_j = Σ_j w_j ∂ log a_j = s` and
/// `∂² log Σ_j a_j = Σ_j w_j (∂² log a_j + ∂ log a_j ∂ log a_jᵀ) − s sᵀ` per person (Louis 1982),
/// in the order of `to_vector`.
pub(crate) fn score_information(
    fitter: &Fitter<'_>,
    params: &Parameters,
    posterior: &[f64],
) -> (Vec<f64>, Array2<f64>) {
    let units = fitter.units;
    let (p, q, t) = (fitter.p(), fitter.q(), fitter.t());
    let d = p + q;
    let j_n = params.groups.len();
    let size = j_n * d + j_n - 1;
    let x = &fitter.poly.x;
    let z = &fitter.poly.z;
    let table = PeriodTable::new(fitter.model, &fitter.poly, params);
    let shares: Vec<f64> = params.log_share.iter().map(|l| l.exp()).collect();
    let mut h = Array2::<f64>::zeros((size, size));

    // Σ_i Σ_j w_ij ∂² log p_j(y_i): per group and period, then through the polynomials.
    let (sums, _) = fitter.aggregate::<3>(
        posterior,
        j_n,
        |idx, e| {
            let v = derivatives(&table, idx, 0.0, e, false);
            [v[2], v[3], v[4]]
        },
        |idx, y, e| {
            let v = excess(&table, idx, y, e);
            [v[2], v[3], v[4]]
        },
    );
    for j in 0..j_n {
        let off = j * d;
        for k in 0..t {
            let at = (j * t + k) * 3;
            let (hee, hez, hzz) = (sums[at], sums[at + 1], sums[at + 2]);
            for a in 0..p {
                for b in 0..p {
                    h[[off + a, off + b]] += hee * x[[k, a]] * x[[k, b]];
                }
                for b in 0..q {
                    h[[off + a, off + p + b]] += hez * x[[k, a]] * z[[k, b]];
                    h[[off + p + b, off + a]] += hez * x[[k, a]] * z[[k, b]];
                }
            }
            for a in 0..q {
                for b in 0..q {
                    h[[off + p + a, off + p + b]] += hzz * z[[k, a]] * z[[k, b]];
                }
            }
        }
    }
    // Σ_i Σ_j w_ij ∂² log π_j = −N (diag π − π πᵀ) over the contrasts j ≥ 2.
    let n = units.persons as f64;
    let alpha = j_n * d;
    for a in 1..j_n {
        for b in 1..j_n {
            let delta = if a == b { shares[a] } else { 0.0 };
            h[[alpha + a - 1, alpha + b - 1]] -= n * (delta - shares[a] * shares[b]);
        }
    }
    // Per person: Σ_j w_j g_j g_jᵀ − s sᵀ, g_j = ∂ log(π_j p_j(y_i)).
    let mut base_scores = vec![0.0; units.patterns() * j_n * d];
    base_scores
        .par_chunks_mut(j_n * d)
        .enumerate()
        .for_each(|(b, out)| {
            for (k, e) in units.pattern(b) {
                for j in 0..j_n {
                    let v = derivatives(&table, j * t + k, 0.0, e, false);
                    let u = &mut out[j * d..(j + 1) * d];
                    for a in 0..p {
                        u[a] += v[0] * x[[k, a]];
                    }
                    for a in 0..q {
                        u[p + a] += v[1] * z[[k, a]];
                    }
                }
            }
        });
    // At most 64 partial sums of `size²` floats, whatever the number of units (block bounds
    // depend on the data only, so the sum is the same for any number of threads).
    let block = units.len().div_ceil(64).max(BLOCK);
    let outer = bounded_fold(units.len(), block, size * size + size, |range, acc| {
        let mut u = vec![0.0; j_n * d];
        let mut s = vec![0.0; size];
        for i in range {
            let m_i = units.multiplicity[i];
            let w = &posterior[i * j_n..(i + 1) * j_n];
            let b = units.unit_pattern[i] as usize;
            u.copy_from_slice(&base_scores[b * j_n * d..(b + 1) * j_n * d]);
            for (k, y, e) in units.nonzero(i) {
                for j in 0..j_n {
                    let v = excess(&table, j * t + k, y, e);
                    let uj = &mut u[j * d..(j + 1) * d];
                    for a in 0..p {
                        uj[a] += v[0] * x[[k, a]];
                    }
                    for a in 0..q {
                        uj[p + a] += v[1] * z[[k, a]];
                    }
                }
            }
            // s = Σ_j w_j g_j
            for j in 0..j_n {
                for a in 0..d {
                    s[j * d + a] = w[j] * u[j * d + a];
                }
            }
            for a in 1..j_n {
                s[alpha + a - 1] = w[a] - shares[a];
            }
            // Σ_j w_j g_j g_jᵀ (g_j: u_j in block j, e_j − π in the contrasts)
            for j in 0..j_n {
                let wj = m_i * w[j];
                if wj == 0.0 {
                    continue;
                }
                let uj = &u[j * d..(j + 1) * d];
                let off = j * d;
                for a in 0..d {
                    let wa = wj * uj[a];
                    let row = (off + a) * size;
                    for bb in 0..d {
                        acc[row + off + bb] += wa * uj[bb];
                    }
                    for c in 1..j_n {
                        let g = f64::from(u8::from(c == j)) - shares[c];
                        acc[row + alpha + c - 1] += wa * g;
                        acc[(alpha + c - 1) * size + off + a] += wa * g;
                    }
                }
                for c in 1..j_n {
                    let gc = f64::from(u8::from(c == j)) - shares[c];
                    for e in 1..j_n {
                        let ge = f64::from(u8::from(e == j)) - shares[e];
                        acc[(alpha + c - 1) * size + alpha + e - 1] += wj * gc * ge;
                    }
                }
            }
            for a in 0..size {
                let sa = s[a];
                acc[size * size + a] += m_i * sa;
                if sa == 0.0 {
                    continue;
                }
                let row = a * size;
                let msa = m_i * sa;
                for bb in 0..size {
                    acc[row + bb] -= msa * s[bb];
                }
            }
        }
    });
    for a in 0..size {
        for b in 0..size {
            h[[a, b]] += outer[a * size + b];
        }
    }
    // Information = −H, symmetrised.
    let mut info = Array2::<f64>::zeros((size, size));
    for a in 0..size {
        for b in 0..size {
            info[[a, b]] = -0.5 * (h[[a, b]] + h[[b, a]]);
        }
    }
    (outer[size * size..].to_vec(), info)
}

/// Parameters on the boundary, held fixed by Newton steps and left out of the covariance: the
/// zero-inflation coefficients of groups whose zero-inflation probability is below `1e-8` at
/// every period (their MLE is `ω = 0`, at `γ = −∞`).
pub(crate) fn boundary(fitter: &Fitter<'_>, params: &Parameters) -> Vec<usize> {
    if fitter.model != CountModel::ZeroInflatedPoisson {
        return Vec::new();
    }
    let (p, q, t) = (fitter.p(), fitter.q(), fitter.t());
    let table = PeriodTable::new(fitter.model, &fitter.poly, params);
    let mut fixed = Vec::new();
    for j in 0..params.groups.len() {
        if (0..t).all(|k| table.omega[j * t + k] < 1e-8) {
            fixed.extend((0..q).map(|a| j * (p + q) + p + a));
        }
    }
    fixed
}

/// The inverse of the information over the parameters not in `fixed` (zero rows and columns
/// for those), or the first parameter at which it is singular.
pub(crate) fn invert_free(
    info: &Array2<f64>,
    fixed: &[usize],
) -> std::result::Result<Array2<f64>, usize> {
    let size = info.nrows();
    let free: Vec<usize> = (0..size).filter(|a| !fixed.contains(a)).collect();
    let sub = Array2::from_shape_fn((free.len(), free.len()), |(a, b)| info[[free[a], free[b]]]);
    let inv = Cholesky::new(&sub).map_err(|c| free[c])?.inverse();
    let mut full = Array2::<f64>::zeros((size, size));
    for (a, &fa) in free.iter().enumerate() {
        for (b, &fb) in free.iter().enumerate() {
            full[[fa, fb]] = inv[[a, b]];
        }
    }
    Ok(full)
}

/// One row of a fitted trajectory: group `group` (0-based) at the `time`-th distinct time.
#[derive(Debug, Clone, PartialEq)]
pub struct TrajectoryPoint {
    /// Group, 0-based.
    pub group: usize,
    /// Index into the panel's distinct times.
    pub time: usize,
    /// Expected count per unit exposure (`(1 − ω) λ` for ZIP, `λ` for Poisson, `p` for logit).
    pub expected: f64,
    /// Confidence interval of `expected` (delta method on the log or logit scale).
    pub ci: Option<(f64, f64)>,
    /// Posterior-weighted observed mean per unit exposure.
    pub observed: f64,
    /// `λ` (ZIP only).
    pub rate: Option<f64>,
    /// `ω` (ZIP only).
    pub zero_probability: Option<f64>,
}

/// Nagin's adequacy criteria for one group.
#[derive(Debug, Clone, PartialEq)]
pub struct Adequacy {
    /// Persons whose highest posterior is this group.
    pub assigned: usize,
    /// The average posterior probability of this group among them (`None` if none).
    pub average_posterior: Option<f64>,
    /// `[AvePP / (1 − AvePP)] / [π / (1 − π)]` (infinite when AvePP is 1; `None` for one
    /// group or no persons assigned).
    pub odds_correct_classification: Option<f64>,
}

impl TrajectoryFit {
    fn block(&self) -> usize {
        self.polynomial.x.ncols() + self.polynomial.z.ncols()
    }

    /// The coefficients on the user's time scale, per group: trajectory (degree 0, 1, ...),
    /// then zero inflation; and their covariance (if available).
    ///
    /// The internal polynomial in `τ = (t − centre)/scale` is re-expressed in `t` exactly; the
    /// covariance is transformed with the same linear map.
    pub fn coefficients(&self) -> (Vec<f64>, Option<Array2<f64>>) {
        let p = self.polynomial.x.ncols();
        let q = self.polynomial.z.ncols();
        let d = p + q;
        let n_coef = self.groups * d;
        let mx = self.polynomial.to_time_scale(p);
        let mz = self.polynomial.to_time_scale(q);
        let mut map = Array2::<f64>::zeros((n_coef, n_coef));
        for j in 0..self.groups {
            let off = j * d;
            for a in 0..p {
                for b in 0..p {
                    map[[off + a, off + b]] = mx[[a, b]];
                }
            }
            for a in 0..q {
                for b in 0..q {
                    map[[off + p + a, off + p + b]] = mz[[a, b]];
                }
            }
        }
        let internal: Vec<f64> = self
            .estimates
            .groups
            .iter()
            .flat_map(|g| g.beta.iter().chain(&g.gamma).copied())
            .collect();
        let estimates = (0..n_coef)
            .map(|a| (0..n_coef).map(|b| map[[a, b]] * internal[b]).sum())
            .collect();
        let covariance = self.covariance.as_ref().map(|c| {
            let sub = c.slice(ndarray::s![..n_coef, ..n_coef]).to_owned();
            map.dot(&sub).dot(&map.t())
        });
        (estimates, covariance)
    }

    /// Standard errors of the group shares (delta method through the log-share contrasts).
    pub fn share_errors(&self) -> Option<Vec<f64>> {
        let c = self.covariance.as_ref()?;
        let j_n = self.groups;
        let alpha = j_n * self.block();
        Some(
            (0..j_n)
                .map(|j| {
                    let pj = self.shares[j];
                    let grad: Vec<f64> = (1..j_n)
                        .map(|a| pj * (f64::from(u8::from(a == j)) - self.shares[a]))
                        .collect();
                    let mut v = 0.0;
                    for a in 0..j_n - 1 {
                        for b in 0..j_n - 1 {
                            v += grad[a] * c[[alpha + a, alpha + b]] * grad[b];
                        }
                    }
                    v.max(0.0).sqrt()
                })
                .collect(),
        )
    }

    /// The fitted trajectories at every distinct time, with intervals at normal quantile `z`.
    pub fn trajectory(&self, z_value: f64) -> Vec<TrajectoryPoint> {
        let poly = &self.polynomial;
        let (p, q) = (poly.x.ncols(), poly.z.ncols());
        let d = p + q;
        let t = poly.x.nrows();
        let table = PeriodTable::new(self.model, poly, &self.estimates);
        let mut out = Vec::with_capacity(self.groups * t);
        for j in 0..self.groups {
            for k in 0..t {
                let idx = j * t + k;
                let mean = expected(&table, idx);
                // Gradient of the link of `expected` in the group's block.
                let zip = self.model == CountModel::ZeroInflatedPoisson;
                let mut grad: Vec<f64> = poly.x.row(k).to_vec();
                grad.extend(poly.z.row(k).iter().map(|z| -table.omega[idx] * z));
                // log of the expected count (logit of p for the logit model).
                let link = table.eta[idx] + if zip { table.log_keep[idx] } else { 0.0 };
                let ci = self.covariance.as_ref().map(|c| {
                    let off = j * d;
                    let mut v = 0.0;
                    for a in 0..d {
                        for b in 0..d {
                            v += grad[a] * c[[off + a, off + b]] * grad[b];
                        }
                    }
                    let se = v.max(0.0).sqrt();
                    let (lo, hi) = (link - z_value * se, link + z_value * se);
                    match self.model {
                        CountModel::Logit => (sigmoid(lo), sigmoid(hi)),
                        _ => (lo.exp(), hi.exp()),
                    }
                });
                out.push(TrajectoryPoint {
                    group: j,
                    time: k,
                    expected: mean,
                    ci,
                    observed: self.observed[idx],
                    rate: zip.then_some(table.mean[idx]),
                    zero_probability: zip.then_some(table.omega[idx]),
                });
            }
        }
        out
    }

    /// Each unit's group of highest posterior probability (ties to the lower group).
    pub fn assigned(&self) -> Vec<usize> {
        self.posterior
            .chunks(self.groups)
            .map(|w| {
                let mut best = 0;
                for j in 1..w.len() {
                    if w[j] > w[best] {
                        best = j;
                    }
                }
                best
            })
            .collect()
    }

    /// Nagin's (2005) adequacy criteria per group: average posterior probability of those
    /// assigned, and the odds of correct classification.
    pub fn adequacy(&self) -> Vec<Adequacy> {
        let assigned = self.assigned();
        let j_n = self.groups;
        let mut count = vec![0usize; j_n];
        let mut sum = vec![0.0; j_n];
        for (i, &g) in assigned.iter().enumerate() {
            let m = self.multiplicity[i];
            count[g] += m as usize;
            sum[g] += m * self.posterior[i * j_n + g];
        }
        (0..j_n)
            .map(|j| {
                let average = (count[j] > 0).then(|| sum[j] / count[j] as f64);
                let odds = match average {
                    Some(a) if j_n > 1 => {
                        let pj = self.shares[j];
                        Some(if a >= 1.0 {
                            f64::INFINITY
                        } else {
                            (a / (1.0 - a)) / (pj / (1.0 - pj))
                        })
                    }
                    _ => None,
                };
                Adequacy {
                    assigned: count[j],
                    average_posterior: average,
                    odds_correct_classification: odds,
                }
            })
            .collect()
    }
}
