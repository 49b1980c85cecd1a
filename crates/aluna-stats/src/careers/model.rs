//! The within-group models of a trajectory model: per-period log-likelihoods, their
//! derivatives, and the exact M-step of each group.
//!
//! Within group `j` the count at period `k` (time `t_k`, exposure `e`) has
//!
//! * Poisson: `y ~ Poisson(e λ_jk)`, `log λ_jk = x_kᵀ β_j`;
//! * zero-inflated Poisson (Lambert 1992): `y = 0` with probability `ω_jk`, else
//!   `Poisson(e λ_jk)`; `logit ω_jk = z_kᵀ γ_j`;
//! * logit: `P(y = 1) = p_jk`, `logit p_jk = x_kᵀ β_j`;
//!
//! with `x_k = (1, τ_k, τ_k², …)`, `z_k` the same up to the zero-inflation order, and
//! `τ_k = (t_k − centre) / scale` the time mapped onto `[−1, 1]` for numerical stability.

use aluna_core::Result;
use ndarray::Array2;

use crate::careers::panel::CountModel;
use crate::linalg::Cholesky;

/// `log(1 + exp(x))` without overflow.
#[inline]
pub(crate) fn softplus(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// `1 / (1 + exp(−x))`.
#[inline]
pub(crate) fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// `log(exp(a) + exp(b))`.
#[inline]
pub(crate) fn log_add_exp(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    if lo == f64::NEG_INFINITY {
        hi
    } else {
        hi + (lo - hi).exp().ln_1p()
    }
}

/// The polynomial design: the time map and `x_k`, `z_k` per distinct time.
#[derive(Debug, Clone)]
pub struct Polynomial {
    /// `τ = (t − centre) / scale`.
    pub centre: f64,
    /// See `centre`.
    pub scale: f64,
    /// `x_k`, `T × (order + 1)`.
    pub x: Array2<f64>,
    /// `z_k`, `T × (zero_order + 1)` (no columns unless zero-inflated).
    pub z: Array2<f64>,
}

impl Polynomial {
    /// The design of polynomials of degree `order` (and `zero_order` for zero inflation) over
    /// the distinct `times`.
    pub fn new(times: &[f64], order: usize, zero_order: Option<usize>) -> Self {
        let lo = times.first().copied().unwrap_or(0.0);
        let hi = times.last().copied().unwrap_or(0.0);
        let centre = 0.5 * (lo + hi);
        let scale = if hi > lo { 0.5 * (hi - lo) } else { 1.0 };
        let powers = |d: usize| {
            Array2::from_shape_fn((times.len(), d), |(k, m)| {
                ((times[k] - centre) / scale).powi(m as i32)
            })
        };
        Self {
            centre,
            scale,
            x: powers(order + 1),
            z: powers(zero_order.map_or(0, |q| q + 1)),
        }
    }

    /// Coefficients of a polynomial in `τ` re-expressed as one in `t` (the map is linear:
    /// `β_t = M β_τ`); returns `M`.
    pub fn to_time_scale(&self, degree_plus_one: usize) -> Array2<f64> {
        // Σ_k b_k ((t − c)/s)^k = Σ_m t^m Σ_{k ≥ m} b_k C(k, m) (−c)^{k−m} / s^k.
        let (c, s) = (self.centre, self.scale);
        Array2::from_shape_fn((degree_plus_one, degree_plus_one), |(m, k)| {
            if k < m {
                0.0
            } else {
                binomial(k, m) * (-c).powi((k - m) as i32) / s.powi(k as i32)
            }
        })
    }
}

fn binomial(n: usize, k: usize) -> f64 {
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

/// The parameters of one group.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupParameters {
    /// Trajectory polynomial (log rate, or logit), on the internal time scale.
    pub beta: Vec<f64>,
    /// Zero-inflation polynomial (logit), on the internal time scale; empty unless ZIP.
    pub gamma: Vec<f64>,
}

/// The parameters of a trajectory model.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameters {
    /// Per group.
    pub groups: Vec<GroupParameters>,
    /// Log group shares.
    pub log_share: Vec<f64>,
}

/// Per group and distinct time, everything a row's likelihood needs.
#[derive(Debug, Clone)]
pub(crate) struct PeriodTable {
    pub model: CountModel,
    /// `η_jk` (log rate or logit), index `j * T + k`.
    pub eta: Vec<f64>,
    /// `λ_jk = exp η_jk` (Poisson, ZIP) or `p_jk` (logit).
    pub mean: Vec<f64>,
    /// ZIP: `log ω_jk`.
    pub log_omega: Vec<f64>,
    /// ZIP: `log(1 − ω_jk)`.
    pub log_keep: Vec<f64>,
    /// ZIP: `ω_jk`.
    pub omega: Vec<f64>,
    /// Log-likelihood of a zero at unit exposure.
    pub base_unit: Vec<f64>,
    /// ZIP: probability that a zero at unit exposure is structural.
    pub structural_unit: Vec<f64>,
}

impl PeriodTable {
    pub fn new(model: CountModel, poly: &Polynomial, params: &Parameters) -> Self {
        let t = poly.x.nrows();
        let j_n = params.groups.len();
        let mut table = Self {
            model,
            eta: vec![0.0; j_n * t],
            mean: vec![0.0; j_n * t],
            log_omega: vec![f64::NEG_INFINITY; j_n * t],
            log_keep: vec![0.0; j_n * t],
            omega: vec![0.0; j_n * t],
            base_unit: vec![0.0; j_n * t],
            structural_unit: vec![0.0; j_n * t],
        };
        for (j, g) in params.groups.iter().enumerate() {
            for k in 0..t {
                let idx = j * t + k;
                let eta: f64 = poly.x.row(k).iter().zip(&g.beta).map(|(a, b)| a * b).sum();
                table.eta[idx] = eta;
                match model {
                    CountModel::Logit => {
                        table.mean[idx] = sigmoid(eta);
                        table.base_unit[idx] = -softplus(eta);
                    }
                    CountModel::Poisson => {
                        let lambda = eta.exp();
                        table.mean[idx] = lambda;
                        table.base_unit[idx] = -lambda;
                    }
                    CountModel::ZeroInflatedPoisson => {
                        let lambda = eta.exp();
                        let zeta: f64 =
                            poly.z.row(k).iter().zip(&g.gamma).map(|(a, b)| a * b).sum();
                        table.mean[idx] = lambda;
                        table.log_omega[idx] = -softplus(-zeta);
                        table.log_keep[idx] = -softplus(zeta);
                        table.omega[idx] = sigmoid(zeta);
                        table.base_unit[idx] =
                            log_add_exp(table.log_omega[idx], table.log_keep[idx] - lambda);
                        table.structural_unit[idx] =
                            (table.log_omega[idx] - table.base_unit[idx]).exp();
                    }
                }
            }
        }
        table
    }

    /// Log-likelihood of a zero in group `j` at period `k` with exposure `e`.
    #[inline]
    pub fn base(&self, idx: usize, e: f64) -> f64 {
        if e == 1.0 {
            return self.base_unit[idx];
        }
        match self.model {
            CountModel::Logit => self.base_unit[idx],
            CountModel::Poisson => -e * self.mean[idx],
            CountModel::ZeroInflatedPoisson => {
                log_add_exp(self.log_omega[idx], self.log_keep[idx] - e * self.mean[idx])
            }
        }
    }

    /// Log-likelihood of count `y > 0` minus that of a zero (without `y log e − log y!`).
    #[inline]
    pub fn excess(&self, idx: usize, y: f64, e: f64) -> f64 {
        match self.model {
            CountModel::Logit => self.eta[idx],
            CountModel::Poisson => y * self.eta[idx],
            CountModel::ZeroInflatedPoisson => {
                self.log_keep[idx] + y * self.eta[idx] - e * self.mean[idx] - self.base(idx, e)
            }
        }
    }

    /// ZIP: probability that a zero is a structural one, `z = ω / P(y = 0)`.
    #[inline]
    pub fn structural(&self, idx: usize, e: f64) -> f64 {
        if e == 1.0 {
            return self.structural_unit[idx];
        }
        (self.log_omega[idx] - self.base(idx, e)).exp()
    }
}

/// Sufficient statistics of one group for the M-step, per distinct time.
///
/// Poisson part: maximise `Σ_k [y_k η_k − m_k exp η_k]`; logistic part (ZIP zeros or logit):
/// maximise `Σ_k [r_k ζ_k − n_k log(1 + exp ζ_k)]`.
#[derive(Debug, Clone, Default)]
pub(crate) struct GroupStatistics {
    pub y: Vec<f64>,
    pub m: Vec<f64>,
    pub r: Vec<f64>,
    pub n: Vec<f64>,
    pub weight: f64,
}

/// Newton's method with step halving for `max_b Σ_k f_k(x_kᵀ b)`, `f_k` concave; `f` returns
/// (value, first, second derivative) at `η` for period `k`. Returns the number of steps.
///
/// Where the curvature becomes singular the maximum lies at infinity (a rate or probability
/// tending to 0 or 1 at some periods, e.g. no offence at all at the youngest age): the method
/// stops there, having never lowered the objective.
pub(crate) fn newton(
    x: &Array2<f64>,
    b: &mut [f64],
    f: impl Fn(usize, f64) -> (f64, f64, f64),
) -> Result<usize> {
    let p = b.len();
    if p == 0 {
        return Ok(0);
    }
    let t = x.nrows();
    let eval = |b: &[f64]| -> f64 {
        (0..t)
            .map(|k| {
                let eta: f64 = x.row(k).iter().zip(b).map(|(a, c)| a * c).sum();
                f(k, eta).0
            })
            .sum()
    };
    let mut value = eval(b);
    for step in 1..=100 {
        let mut grad = vec![0.0; p];
        let mut info = Array2::<f64>::zeros((p, p));
        for k in 0..t {
            let xk = x.row(k);
            let eta: f64 = xk.iter().zip(b.iter()).map(|(a, c)| a * c).sum();
            let (_, d1, d2) = f(k, eta);
            for a in 0..p {
                grad[a] += d1 * xk[a];
                for c in 0..=a {
                    info[[a, c]] -= d2 * xk[a] * xk[c];
                }
            }
        }
        for a in 0..p {
            for c in 0..a {
                info[[c, a]] = info[[a, c]];
            }
        }
        let Ok(chol) = Cholesky::new(&info) else {
            return Ok(step);
        };
        let delta = chol.solve(&grad);
        let mut scale = 1.0;
        let mut accepted = None;
        for _ in 0..40 {
            let trial: Vec<f64> = b.iter().zip(&delta).map(|(v, d)| v + scale * d).collect();
            let v = eval(&trial);
            if v.is_finite() && v >= value - 1e-13 * value.abs() {
                accepted = Some((trial, v));
                break;
            }
            scale *= 0.5;
        }
        let Some((trial, v)) = accepted else {
            return Ok(step);
        };
        let small = delta
            .iter()
            .zip(b.iter())
            .all(|(d, v)| (scale * d).abs() <= 1e-10 * (1.0 + v.abs()));
        let gain = v - value;
        b.copy_from_slice(&trial);
        value = v;
        if small || gain <= 1e-15 * (1.0 + value.abs()) {
            return Ok(step);
        }
    }
    Ok(100)
}

/// Start values: intercept at the pooled rate (or log-odds), other coefficients zero.
pub(crate) fn start_coefficients(
    p: usize,
    numerator: f64,
    denominator: f64,
    logit: bool,
) -> Vec<f64> {
    let mut b = vec![0.0; p];
    if p > 0 {
        let rate = (numerator / denominator.max(f64::MIN_POSITIVE)).clamp(1e-8, 1e8);
        b[0] = if logit {
            let r = rate.min(1.0 - 1e-8);
            (r / (1.0 - r)).ln()
        } else {
            rate.ln()
        };
    }
    b
}

/// The exact M-step of one group: Newton to convergence from the current values.
pub(crate) fn maximise_group(
    model: CountModel,
    poly: &Polynomial,
    stats: &GroupStatistics,
    group: &mut GroupParameters,
) -> Result<()> {
    match model {
        CountModel::Poisson | CountModel::ZeroInflatedPoisson => {
            newton(&poly.x, &mut group.beta, |k, eta| {
                let mu = stats.m[k] * eta.exp();
                (stats.y[k] * eta - mu, stats.y[k] - mu, -mu)
            })?;
            if model == CountModel::ZeroInflatedPoisson {
                newton(&poly.z, &mut group.gamma, |k, zeta| {
                    logistic(stats.r[k], stats.n[k], zeta)
                })?;
            }
        }
        CountModel::Logit => {
            newton(&poly.x, &mut group.beta, |k, eta| {
                logistic(stats.y[k], stats.n[k], eta)
            })?;
        }
    }
    Ok(())
}

#[inline]
fn logistic(r: f64, n: f64, zeta: f64) -> (f64, f64, f64) {
    let p = sigmoid(zeta);
    (r * zeta - n * softplus(zeta), r - n * p, -n * p * (1.0 - p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_scale_map_reexpresses_polynomials() {
        let poly = Polynomial::new(&[12.0, 20.0, 31.0], 2, None);
        let b = [0.3, -1.2, 0.7];
        let m = poly.to_time_scale(3);
        let raw: Vec<f64> = (0..3)
            .map(|r| (0..3).map(|c| m[[r, c]] * b[c]).sum())
            .collect();
        for t in [12.0, 17.5, 31.0] {
            let tau = (t - poly.centre) / poly.scale;
            let want = b[0] + b[1] * tau + b[2] * tau * tau;
            let got = raw[0] + raw[1] * t + raw[2] * t * t;
            assert!((want - got).abs() < 1e-10);
        }
    }

    #[test]
    fn newton_fits_a_poisson_rate() {
        // Two periods, rates 2 and 8 -> log-linear exactly.
        let x = ndarray::array![[1.0, -1.0], [1.0, 1.0]];
        let mut b = vec![0.0, 0.0];
        newton(&x, &mut b, |k, eta| {
            let (y, m) = [(20.0, 10.0), (80.0, 10.0)][k];
            let mu = m * eta.exp();
            (y * eta - mu, y - mu, -mu)
        })
        .unwrap();
        assert!((b[0] - (4f64.ln())).abs() < 1e-10);
        assert!((b[1] - (2f64.ln())).abs() < 1e-10);
    }

    #[test]
    fn stable_helpers() {
        assert!((softplus(800.0) - 800.0).abs() < 1e-12);
        assert!(softplus(-800.0) >= 0.0);
        assert!((log_add_exp(0.0, 0.0) - 2f64.ln()).abs() < 1e-15);
        assert_eq!(log_add_exp(f64::NEG_INFINITY, -1.0), -1.0);
    }
}
