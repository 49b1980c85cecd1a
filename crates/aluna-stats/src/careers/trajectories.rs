//! Group-based trajectory models fitted by EM (Nagin 2005; zero-inflated Poisson as in
//! crimCV, Nielsen et al. 2014).
//!
//! The population is a mixture of `J` latent groups with shares `π_j`; within a group a
//! person's counts are independent over periods with a polynomial trajectory in time
//! ([`crate::careers::model`]). The log-likelihood is
//! `ℓ = Σ_i log Σ_j π_j Π_t p_j(y_it)`.
//!
//! **EM.** The E-step gives each person's posterior group probabilities `w_ij`; the M-step
//! maximises the expected complete-data log-likelihood exactly: `π_j = Σ_i w_ij / N`, and per
//! group a weighted Poisson (or logistic) regression over the distinct periods, solved by
//! Newton's method with step halving to convergence. For the zero-inflated Poisson the zeros'
//! structural probabilities `z = ω / P(y = 0)` are part of the E-step (Lambert 1992), so the
//! M-step splits into a Poisson and a logistic regression. Each iteration therefore cannot
//! lower `ℓ`; the trace of `ℓ` is kept.
//!
//! **Starts.** Each start seeds k-means++ (Arthur & Vassilvitskii 2007) on each person's
//! log rate in early, middle and late periods with its own random stream
//! `aluna_core::random::stream(seed, groups << 32 | start)`, runs Lloyd's iterations, turns the
//! clusters into soft posteriors and runs a short EM; the start with the highest
//! log-likelihood is run to convergence (the "emEM" strategy of Biernacki, Celeux & Govaert
//! 2003). On panels of more than `start_persons` persons the short runs use a seeded random
//! subsample of that many persons.
//!
//! **Convergence.** EM is accelerated by SQUAREM (Varadhan & Roland 2008) with a monotone
//! safeguard, and finished by Newton–Raphson steps on the observed information (with step
//! halving, so `ℓ` never falls), which converge quickly where EM crawls along flat ridges
//! (zero inflation against a low rate).
//!
//! **Layout.** Persons with identical data are one weighted unit, and a person's likelihood is
//! the all-zero likelihood of their pattern of periods plus a term per non-zero count
//! ([`crate::careers::panel::Units`]).
//!
//! **Parallelism.** Fits for the numbers of groups and their starts run in parallel; within a
//! fit, sweeps over persons run in fixed blocks whose sums are added in block order. Results are
//! identical for any number of threads.

use aluna_core::parallel::Cancel;
use aluna_core::random::stream;
use aluna_core::{ensure, Error, Result};
use rand::Rng;
use rayon::prelude::*;

use crate::careers::inference::{boundary, complete, invert_free, score_information};
use crate::careers::model::{
    maximise_group, newton, start_coefficients, GroupParameters, GroupStatistics, Parameters,
    PeriodTable, Polynomial,
};
use crate::careers::panel::{CountModel, Panel, Units};
use crate::design::block_fold;

/// Persons per block in the E-step.
const PERSON_BLOCK: usize = 1024;
/// A group whose share falls below this has emptied; its start is abandoned.
const EMPTY_SHARE: f64 = 1e-10;

/// Settings of [`fit_trajectories`].
#[derive(Debug, Clone, PartialEq)]
pub struct TrajectoryOptions {
    /// The within-group model.
    pub model: CountModel,
    /// Degree of the trajectory polynomial.
    pub order: usize,
    /// Degree of the zero-inflation polynomial (zero-inflated Poisson only).
    pub zero_order: usize,
    /// The numbers of groups to fit (each from 1 to 20).
    pub groups: Vec<usize>,
    /// Random starts per number of groups (one for a single group).
    pub starts: usize,
    /// EM iterations run from every start before the best one is run to convergence.
    pub start_iterations: usize,
    /// Most EM iterations in all.
    pub max_iterations: usize,
    /// Converged when `ℓ` rises by less than `tolerance · |ℓ|` in an iteration.
    pub tolerance: f64,
    /// Seed of the starts.
    pub seed: u64,
    /// Accelerate EM with SQUAREM (Varadhan & Roland 2008), keeping `ℓ` non-decreasing.
    pub accelerate: bool,
    /// The starts' short EM runs on a seeded random subsample of this many persons (all
    /// persons if there are no more); the best start then continues on everyone.
    pub start_persons: usize,
}

impl Default for TrajectoryOptions {
    fn default() -> Self {
        Self {
            model: CountModel::ZeroInflatedPoisson,
            order: 2,
            zero_order: 0,
            groups: (1..=6).collect(),
            starts: 10,
            start_iterations: 25,
            max_iterations: 2000,
            tolerance: 1e-8,
            seed: 0,
            accelerate: true,
            start_persons: 5000,
        }
    }
}

/// What became of one start.
#[derive(Debug, Clone, PartialEq)]
pub struct StartOutcome {
    /// The log-likelihood after the start's short EM, or `None` if a group emptied.
    pub log_likelihood: Option<f64>,
    /// EM iterations it ran.
    pub iterations: usize,
}

/// A fitted trajectory model with `groups` groups.
#[derive(Debug, Clone)]
pub struct TrajectoryFit {
    /// Number of groups.
    pub groups: usize,
    /// The within-group model.
    pub model: CountModel,
    /// The maximised log-likelihood (with all constants).
    pub log_likelihood: f64,
    /// Number of free parameters.
    pub parameters: usize,
    /// Number of persons.
    pub persons: usize,
    /// `−2ℓ + k log N`, `N` persons (Nagin 2005; PROC TRAJ reports `−BIC/2`).
    pub bic: f64,
    /// `−2ℓ + 2k`.
    pub aic: f64,
    /// Relative entropy of the posteriors, `1 − Σ_ij −w_ij log w_ij / (N log J)` (`None` for
    /// one group).
    pub entropy: Option<f64>,
    /// EM iterations of the best start (short phase included).
    pub iterations: usize,
    /// Whether EM met the tolerance.
    pub converged: bool,
    /// `ℓ` after each EM iteration of the best start (first entry: at its initial values).
    pub trace: Vec<f64>,
    /// Every start.
    pub starts: Vec<StartOutcome>,
    /// The start that won.
    pub best_start: usize,
    /// The time map and polynomial design.
    pub polynomial: Polynomial,
    /// Estimates on the internal time scale; groups ordered by mean expected count.
    pub estimates: Parameters,
    /// Group shares `π_j`.
    pub shares: Vec<f64>,
    /// Posterior group probabilities, `units × groups`, row-major (persons map to units by
    /// `Panel::person_unit`).
    pub posterior: Vec<f64>,
    /// Persons per unit.
    pub multiplicity: Vec<f64>,
    /// Posterior-weighted observed mean per unit exposure, `groups × times`.
    pub observed: Vec<f64>,
    /// Inverse observed information of (per group β, γ; then log-share contrasts
    /// `log π_j − log π_1`, j ≥ 2), or `None` with the reason in `covariance_note`.
    pub covariance: Option<ndarray::Array2<f64>>,
    /// Why there is no covariance.
    pub covariance_note: Option<String>,
    /// Parameters on the boundary (zero-inflation probability 0 at every period): held at
    /// their last value, with no standard error (zero rows and columns in `covariance`).
    pub fixed: Vec<usize>,
}

/// One number of groups: its fit, or why none could be made.
pub type GroupsFit = (usize, Result<TrajectoryFit>);

/// The machinery shared by all fits on one panel.
pub(crate) struct Fitter<'a> {
    pub units: &'a Units,
    pub poly: Polynomial,
    pub model: CountModel,
    accelerate: bool,
    features: Vec<[f64; 3]>,
}

impl<'a> Fitter<'a> {
    pub fn new(units: &'a Units, times: &[f64], options: &TrajectoryOptions) -> Self {
        let zero_order =
            (options.model == CountModel::ZeroInflatedPoisson).then_some(options.zero_order);
        let poly = Polynomial::new(times, options.order, zero_order);
        let features = unit_features(units, times.len(), options.model);
        Self {
            units,
            poly,
            model: options.model,
            accelerate: options.accelerate,
            features,
        }
    }

    pub fn p(&self) -> usize {
        self.poly.x.ncols()
    }

    pub fn q(&self) -> usize {
        self.poly.z.ncols()
    }

    pub fn t(&self) -> usize {
        self.poly.x.nrows()
    }

    /// The E-step: posteriors into `posterior` (`units × J`), returns `ℓ`.
    pub fn e_step(&self, params: &Parameters, posterior: &mut [f64]) -> Result<f64> {
        let units = self.units;
        let j_n = params.groups.len();
        let t = self.t();
        let table = PeriodTable::new(self.model, &self.poly, params);
        let mut base = vec![0.0; units.patterns() * j_n];
        base.par_chunks_mut(j_n).enumerate().for_each(|(b, out)| {
            for (k, e) in units.pattern(b) {
                for (j, o) in out.iter_mut().enumerate() {
                    *o += table.base(j * t + k, e);
                }
            }
        });
        let parts: Vec<f64> = posterior
            .par_chunks_mut(j_n * PERSON_BLOCK)
            .enumerate()
            .map(|(c, chunk)| {
                let mut total = 0.0;
                for (r, w) in chunk.chunks_mut(j_n).enumerate() {
                    let i = c * PERSON_BLOCK + r;
                    let b = units.unit_pattern[i] as usize;
                    for j in 0..j_n {
                        w[j] = params.log_share[j] + base[b * j_n + j];
                    }
                    for (k, y, e) in units.nonzero(i) {
                        for (j, a) in w.iter_mut().enumerate() {
                            *a += table.excess(j * t + k, y, e);
                        }
                    }
                    let top = w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let mut sum = 0.0;
                    for a in w.iter_mut() {
                        *a = (*a - top).exp();
                        sum += *a;
                    }
                    for a in w.iter_mut() {
                        *a /= sum;
                    }
                    total += units.multiplicity[i] * (top + sum.ln());
                }
                total
            })
            .collect();
        let ll = parts.iter().sum::<f64>() + units.constant;
        ensure!(
            ll.is_finite(),
            Error::NotDefined {
                what: "the trajectory model's log-likelihood",
                reason: "it is not finite at these parameters".into(),
            }
        );
        Ok(ll)
    }

    /// `V_bj = Σ_{units u with pattern b} m_u w_uj`, `patterns × J`.
    fn pattern_weights(&self, posterior: &[f64], j_n: usize) -> Vec<f64> {
        let units = self.units;
        let mut v = vec![0.0; units.patterns() * j_n];
        v.par_chunks_mut(j_n).enumerate().for_each(|(b, out)| {
            for &u in units.units_of_pattern(b) {
                let u = u as usize;
                let m = units.multiplicity[u];
                let w = &posterior[u * j_n..(u + 1) * j_n];
                out.iter_mut().zip(w).for_each(|(o, x)| *o += m * x);
            }
        });
        v
    }

    /// `Σ_i w_ij Σ_{rows of i at period k} f(row)` over persons `i` (units weighted by their
    /// multiplicity) per group and period, `M` quantities each:
    /// `base(j·T + k, e)` is `f` of a zero, `excess(j·T + k, y, e)` the difference a count
    /// `y > 0` makes. Returns `(sums [J·T·M], V [patterns·J])`.
    pub fn aggregate<const M: usize>(
        &self,
        posterior: &[f64],
        j_n: usize,
        base: impl Fn(usize, f64) -> [f64; M] + Sync,
        excess: impl Fn(usize, f64, f64) -> [f64; M] + Sync,
    ) -> (Vec<f64>, Vec<f64>) {
        let units = self.units;
        let t = self.t();
        let v = self.pattern_weights(posterior, j_n);
        let len = j_n * t * M;
        let zeros = block_fold(units.patterns(), len, |range, acc| {
            for b in range {
                for (k, e) in units.pattern(b) {
                    for j in 0..j_n {
                        let weight = v[b * j_n + j];
                        let f = base(j * t + k, e);
                        let at = (j * t + k) * M;
                        for m in 0..M {
                            acc[at + m] += weight * f[m];
                        }
                    }
                }
            }
        });
        let nonzero = block_fold(units.len(), len, |range, acc| {
            for u in range {
                let m_u = units.multiplicity[u];
                let w = &posterior[u * j_n..(u + 1) * j_n];
                for (k, y, e) in units.nonzero(u) {
                    for (j, &wj) in w.iter().enumerate() {
                        let f = excess(j * t + k, y, e);
                        let at = (j * t + k) * M;
                        for m in 0..M {
                            acc[at + m] += m_u * wj * f[m];
                        }
                    }
                }
            }
        });
        let sums = zeros.iter().zip(&nonzero).map(|(a, b)| a + b).collect();
        (sums, v)
    }

    /// Sufficient statistics of every group (and the observed exposure, for observed means).
    pub fn statistics(
        &self,
        params: &Parameters,
        posterior: &[f64],
    ) -> (Vec<GroupStatistics>, Vec<f64>) {
        let j_n = params.groups.len();
        let t = self.t();
        let table = PeriodTable::new(self.model, &self.poly, params);
        // [y, m, r, n, exposure]
        let (sums, v) = match self.model {
            CountModel::Poisson => self.aggregate::<5>(
                posterior,
                j_n,
                |_, e| [0.0, e, 0.0, 0.0, e],
                |_, y, _| [y, 0.0, 0.0, 0.0, 0.0],
            ),
            CountModel::ZeroInflatedPoisson => self.aggregate::<5>(
                posterior,
                j_n,
                |idx, e| {
                    let z = table.structural(idx, e);
                    [0.0, (1.0 - z) * e, z, 1.0, e]
                },
                |idx, y, e| {
                    let z = table.structural(idx, e);
                    [y, z * e, -z, 0.0, 0.0]
                },
            ),
            CountModel::Logit => self.aggregate::<5>(
                posterior,
                j_n,
                |_, _| [0.0, 0.0, 0.0, 1.0, 1.0],
                |_, _, _| [1.0, 0.0, 0.0, 0.0, 0.0],
            ),
        };
        let mut weights = vec![0.0; j_n];
        for b in 0..self.units.patterns() {
            for j in 0..j_n {
                weights[j] += v[b * j_n + j];
            }
        }
        let mut exposure = vec![0.0; j_n * t];
        let stats = (0..j_n)
            .map(|j| {
                let mut s = GroupStatistics {
                    y: vec![0.0; t],
                    m: vec![0.0; t],
                    r: vec![0.0; t],
                    n: vec![0.0; t],
                    weight: weights[j],
                };
                for k in 0..t {
                    let at = (j * t + k) * 5;
                    s.y[k] = sums[at];
                    s.m[k] = sums[at + 1].max(0.0);
                    s.r[k] = sums[at + 2].max(0.0);
                    s.n[k] = sums[at + 3];
                    exposure[j * t + k] = sums[at + 4];
                }
                s
            })
            .collect();
        (stats, exposure)
    }

    /// The M-step, in place.
    pub fn m_step(&self, stats: &[GroupStatistics], params: &mut Parameters) -> Result<()> {
        let total: f64 = stats.iter().map(|s| s.weight).sum();
        for (j, s) in stats.iter().enumerate() {
            let share = s.weight / total;
            ensure!(
                share > EMPTY_SHARE,
                Error::NotDefined {
                    what: "a trajectory model from this start",
                    reason: format!("group {} emptied", j + 1),
                }
            );
            params.log_share[j] = share.ln();
            maximise_group(self.model, &self.poly, s, &mut params.groups[j])?;
        }
        Ok(())
    }

    /// Start values from initial posteriors: per group the pooled polynomial fitted to its
    /// weighted counts (zero inflation starting at 10%).
    pub fn initial(&self, posterior: &[f64], j_n: usize) -> Result<Parameters> {
        let p = self.p();
        let q = self.q();
        let mut params = Parameters {
            groups: (0..j_n)
                .map(|_| GroupParameters {
                    beta: vec![0.0; p],
                    // Structural zeros start negligible, so the statistics are the Poisson ones.
                    gamma: start_coefficients(q, 1e-12, 1.0, true),
                })
                .collect(),
            log_share: vec![-(j_n as f64).ln(); j_n],
        };
        let (stats, _) = self.statistics(&params, posterior);
        let total: f64 = stats.iter().map(|s| s.weight).sum();
        for (j, s) in stats.iter().enumerate() {
            ensure!(
                s.weight / total > EMPTY_SHARE,
                Error::NotDefined {
                    what: "a trajectory model from this start",
                    reason: format!("group {} is empty at the start", j + 1),
                }
            );
            params.log_share[j] = (s.weight / total).ln();
            let g = &mut params.groups[j];
            match self.model {
                CountModel::Logit => {
                    g.beta = start_coefficients(p, s.y.iter().sum(), s.n.iter().sum(), true);
                    newton(&self.poly.x, &mut g.beta, |k, eta| {
                        let pr = crate::careers::model::sigmoid(eta);
                        let n = s.n[k];
                        (
                            s.y[k] * eta - n * crate::careers::model::softplus(eta),
                            s.y[k] - n * pr,
                            -n * pr * (1.0 - pr),
                        )
                    })?;
                }
                _ => {
                    g.beta = start_coefficients(p, s.y.iter().sum(), s.m.iter().sum(), false);
                    newton(&self.poly.x, &mut g.beta, |k, eta| {
                        let mu = s.m[k] * eta.exp();
                        (s.y[k] * eta - mu, s.y[k] - mu, -mu)
                    })?;
                    g.gamma = start_coefficients(q, 0.1, 1.0, true);
                }
            }
        }
        Ok(params)
    }

    /// Initial posteriors of start `start`: k-means++ seeding and Lloyd's iterations on the
    /// persons' features, clusters softened to posteriors `0.8` / `0.2 / (J − 1)`.
    pub fn start_posterior(&self, j_n: usize, seed: u64, start: usize) -> Vec<f64> {
        let n = self.features.len();
        let mut posterior = vec![0.0; n * j_n];
        if j_n == 1 {
            posterior.iter_mut().for_each(|w| *w = 1.0);
            return posterior;
        }
        let key = (j_n as u64) << 32 | start as u64;
        let labels = kmeans(&self.features, &self.units.multiplicity, j_n, seed, key);
        let soft = 0.2 / (j_n - 1) as f64;
        for (i, &l) in labels.iter().enumerate() {
            for j in 0..j_n {
                posterior[i * j_n + j] = if j == l { 0.8 } else { soft };
            }
        }
        posterior
    }

    /// One EM step from `params`, whose posteriors are in `posterior`.
    pub(crate) fn em_map(&self, params: &Parameters, posterior: &[f64]) -> Result<Parameters> {
        let (stats, _) = self.statistics(params, posterior);
        let mut next = params.clone();
        self.m_step(&stats, &mut next)?;
        Ok(next)
    }

    /// EM from `params` for at most `iterations` iterations; `trace` gets `ℓ` after each.
    /// Returns whether the tolerance was met.
    ///
    /// With acceleration, an iteration is one SQUAREM cycle (Varadhan & Roland 2008, scheme
    /// S3): two EM steps `θ1 = F(θ0)`, `θ2 = F(θ1)`, the extrapolation
    /// `θ' = θ0 + 2αr + α²v` (`r = θ1 − θ0`, `v = θ2 − 2θ1 + θ0`, `α = ‖r‖/‖v‖` clamped to
    /// `[1, step_max]`), stabilised by one more EM step; the result is kept only if its
    /// log-likelihood is at least that of `θ2`, so `ℓ` never decreases.
    pub fn run(
        &self,
        params: &mut Parameters,
        posterior: &mut Vec<f64>,
        iterations: usize,
        tolerance: f64,
        trace: &mut Vec<f64>,
        cancel: &Cancel,
    ) -> Result<bool> {
        let mut ll = match trace.last() {
            Some(&ll) => ll,
            None => {
                let ll = self.e_step(params, posterior)?;
                trace.push(ll);
                ll
            }
        };
        let mut spare = vec![0.0; posterior.len()];
        let mut step_max = 4.0;
        for _ in 0..iterations {
            cancel.check()?;
            let p1 = self.em_map(params, posterior)?;
            let l1 = self.e_step(&p1, posterior)?;
            let (next, next_ll) = if self.accelerate {
                let p2 = self.em_map(&p1, posterior)?;
                let l2 = self.e_step(&p2, posterior)?;
                let (x0, x1, x2) = (to_vector(params), to_vector(&p1), to_vector(&p2));
                let r: Vec<f64> = x1.iter().zip(&x0).map(|(a, b)| a - b).collect();
                let v: Vec<f64> = (0..x0.len()).map(|i| x2[i] - 2.0 * x1[i] + x0[i]).collect();
                let (sr2, sv2): (f64, f64) =
                    (r.iter().map(|a| a * a).sum(), v.iter().map(|a| a * a).sum());
                let alpha = if sv2 > 0.0 {
                    (sr2 / sv2).sqrt().clamp(1.0, step_max)
                } else {
                    1.0
                };
                let mut kept = (p2, l2);
                if alpha > 1.01 {
                    let xs: Vec<f64> = (0..x0.len())
                        .map(|i| x0[i] + 2.0 * alpha * r[i] + alpha * alpha * v[i])
                        .collect();
                    let candidate = from_vector(&xs, params);
                    let stabilised = self
                        .e_step(&candidate, &mut spare)
                        .and_then(|_| self.em_map(&candidate, &spare))
                        .and_then(|p| self.e_step(&p, &mut spare).map(|l| (p, l)));
                    match stabilised {
                        Ok((p, l)) if l >= kept.1 => {
                            kept = (p, l);
                            std::mem::swap(posterior, &mut spare);
                            if alpha == step_max {
                                step_max *= 4.0;
                            }
                        }
                        Err(Error::Cancelled) => return Err(Error::Cancelled),
                        _ => {
                            if alpha == step_max {
                                step_max = (step_max / 4.0).max(4.0);
                            }
                        }
                    }
                }
                kept
            } else {
                (p1, l1)
            };
            *params = next;
            trace.push(next_ll);
            let gain = next_ll - ll;
            ll = next_ll;
            if gain <= tolerance * ll.abs() {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

impl Fitter<'_> {
    /// Newton–Raphson on the full log-likelihood from an EM solution: steps `I⁻¹ ∂ℓ` with the
    /// observed information (boundary parameters held; a Levenberg–Marquardt ridge where `I`
    /// is not positive definite), halved until `ℓ` does not fall. Returns `Some(converged)`,
    /// or `None` where no ridge makes `I` positive definite, leaving `params` as they were.
    fn polish(
        &self,
        params: &mut Parameters,
        posterior: &mut Vec<f64>,
        iterations: usize,
        tolerance: f64,
        trace: &mut Vec<f64>,
        cancel: &Cancel,
    ) -> Result<Option<bool>> {
        let mut ll = trace.last().copied().unwrap_or(f64::NEG_INFINITY);
        let mut spare = vec![0.0; posterior.len()];
        for _ in 0..iterations {
            cancel.check()?;
            let (score, info) = score_information(self, params, posterior);
            let fixed = boundary(self, params);
            // Levenberg–Marquardt: the least ridge on the diagonal that makes the information
            // positive definite (none near a proper maximum).
            let mut inverse = None;
            for mu in [0.0, 1e-8, 1e-6, 1e-4, 1e-2, 1.0] {
                let mut m = info.clone();
                for a in 0..m.nrows() {
                    m[[a, a]] += mu * info[[a, a]].abs().max(1e-12);
                }
                if let Ok(inv) = invert_free(&m, &fixed) {
                    inverse = Some(inv);
                    break;
                }
            }
            let Some(inverse) = inverse else {
                return Ok(None);
            };
            let step: Vec<f64> = (0..score.len())
                .map(|a| (0..score.len()).map(|b| inverse[[a, b]] * score[b]).sum())
                .collect();
            let x0 = to_vector(params);
            let mut scale = 1.0;
            let mut accepted = None;
            for _ in 0..30 {
                let x: Vec<f64> = x0.iter().zip(&step).map(|(v, d)| v + scale * d).collect();
                let candidate = from_vector(&x, params);
                if let Ok(l) = self.e_step(&candidate, &mut spare) {
                    if l >= ll {
                        accepted = Some((candidate, l));
                        break;
                    }
                }
                scale *= 0.5;
            }
            let Some((candidate, l)) = accepted else {
                // No ascent along the Newton direction: ℓ is at its maximum to rounding.
                return Ok(Some(true));
            };
            *params = candidate;
            std::mem::swap(posterior, &mut spare);
            trace.push(l);
            let gain = l - ll;
            ll = l;
            if gain <= tolerance * ll.abs() {
                return Ok(Some(true));
            }
        }
        Ok(Some(false))
    }

    /// EM (accelerated if asked) until `ℓ` rises by less than `100 · tolerance` relative, then
    /// Newton steps to `tolerance`; where Newton cannot start, EM continues to `tolerance`.
    /// `iterations` bounds the iterations of both.
    pub(crate) fn converge(
        &self,
        params: &mut Parameters,
        posterior: &mut Vec<f64>,
        iterations: usize,
        tolerance: f64,
        trace: &mut Vec<f64>,
        cancel: &Cancel,
    ) -> Result<bool> {
        let start = trace.len();
        let loose = (100.0 * tolerance).min(1e-6);
        self.run(params, posterior, iterations, loose, trace, cancel)?;
        let left = iterations.saturating_sub(trace.len() - start);
        if left == 0 {
            return Ok(false);
        }
        let polished = self.polish(params, posterior, left.min(50), tolerance, trace, cancel)?;
        if let Some(done) = polished {
            if done {
                return Ok(true);
            }
        }
        let left = iterations.saturating_sub(trace.len() - start);
        self.run(params, posterior, left, tolerance, trace, cancel)
    }
}

/// The parameters as one vector: per group β, γ; then `log π_j − log π_1`, `j ≥ 2`.
pub(crate) fn to_vector(params: &Parameters) -> Vec<f64> {
    let mut v: Vec<f64> = params
        .groups
        .iter()
        .flat_map(|g| g.beta.iter().chain(&g.gamma).copied())
        .collect();
    v.extend(
        params
            .log_share
            .iter()
            .skip(1)
            .map(|l| l - params.log_share[0]),
    );
    v
}

/// The inverse of [`to_vector`], shaped like `like`.
pub(crate) fn from_vector(v: &[f64], like: &Parameters) -> Parameters {
    let mut at = 0;
    let groups = like
        .groups
        .iter()
        .map(|g| {
            let beta = v[at..at + g.beta.len()].to_vec();
            at += g.beta.len();
            let gamma = v[at..at + g.gamma.len()].to_vec();
            at += g.gamma.len();
            GroupParameters { beta, gamma }
        })
        .collect();
    let mut contrasts = vec![0.0];
    contrasts.extend_from_slice(&v[at..]);
    let top = contrasts.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let norm = top + contrasts.iter().map(|c| (c - top).exp()).sum::<f64>().ln();
    Parameters {
        groups,
        log_share: contrasts.iter().map(|c| c - norm).collect(),
    }
}

/// Per unit: the log of 1 + the rate (or the share of 1s) in the early, middle and late
/// thirds of the distinct periods (the overall value where a third is not observed).
fn unit_features(units: &Units, t: usize, model: CountModel) -> Vec<[f64; 3]> {
    let bin = |k: usize| (3 * k / t.max(1)).min(2);
    let transform = |num: f64, den: f64| {
        let r = num / den;
        if model == CountModel::Logit {
            r
        } else {
            r.ln_1p()
        }
    };
    (0..units.len())
        .into_par_iter()
        .map(|u| {
            let mut num = [0.0; 3];
            let mut den = [0.0; 3];
            for (k, e) in units.pattern(units.unit_pattern[u] as usize) {
                den[bin(k)] += e;
            }
            for (k, y, _) in units.nonzero(u) {
                num[bin(k)] += y;
            }
            let all = transform(
                num.iter().sum(),
                den.iter().sum::<f64>().max(f64::MIN_POSITIVE),
            );
            let mut f = [all; 3];
            for c in 0..3 {
                if den[c] > 0.0 {
                    f[c] = transform(num[c], den[c]);
                }
            }
            f
        })
        .collect()
}

fn distance(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Weighted k-means: k-means++ seeding (points drawn with probability proportional to weight
/// times squared distance) with stream `(seed, key)`, then 10 Lloyd iterations; the label of
/// each point (ties to the lowest cluster).
fn kmeans(points: &[[f64; 3]], weights: &[f64], k: usize, seed: u64, key: u64) -> Vec<usize> {
    let n = points.len();
    let mut rng = stream(seed, key);
    let draw = |rng: &mut aluna_core::random::ChaCha8Rng, mass: &[f64]| -> usize {
        let total: f64 = mass.iter().sum();
        if total <= 0.0 {
            return rng.random_range(0..n);
        }
        let u = rng.random::<f64>() * total;
        let mut acc = 0.0;
        for (i, m) in mass.iter().enumerate() {
            acc += m;
            if acc > u {
                return i;
            }
        }
        n - 1
    };
    let mut centres: Vec<[f64; 3]> = Vec::with_capacity(k);
    centres.push(points[draw(&mut rng, weights)]);
    let mut d2: Vec<f64> = points.iter().map(|p| distance(p, &centres[0])).collect();
    while centres.len() < k {
        let mass: Vec<f64> = d2.iter().zip(weights).map(|(d, w)| d * w).collect();
        let c = points[draw(&mut rng, &mass)];
        centres.push(c);
        for (d, p) in d2.iter_mut().zip(points) {
            *d = d.min(distance(p, &c));
        }
    }
    let mut labels = vec![0usize; n];
    for _ in 0..10 {
        for (l, p) in labels.iter_mut().zip(points) {
            let mut best = (f64::INFINITY, 0);
            for (c, centre) in centres.iter().enumerate() {
                let d = distance(p, centre);
                if d < best.0 {
                    best = (d, c);
                }
            }
            *l = best.1;
        }
        let mut sums = vec![[0.0; 3]; k];
        let mut mass = vec![0.0; k];
        for ((&l, p), &w) in labels.iter().zip(points).zip(weights) {
            mass[l] += w;
            for d in 0..3 {
                sums[l][d] += w * p[d];
            }
        }
        for c in 0..k {
            if mass[c] > 0.0 {
                for d in 0..3 {
                    centres[c][d] = sums[c][d] / mass[c];
                }
            }
        }
    }
    labels
}

/// One start's short EM.
struct Started {
    params: Parameters,
    posterior: Vec<f64>,
    trace: Vec<f64>,
}

fn short_run(
    fitter: &Fitter<'_>,
    j_n: usize,
    start: usize,
    options: &TrajectoryOptions,
    cancel: &Cancel,
) -> Result<Started> {
    let mut posterior = fitter.start_posterior(j_n, options.seed, start);
    let mut params = fitter.initial(&posterior, j_n)?;
    let mut trace = Vec::new();
    let iterations = options.start_iterations.min(options.max_iterations);
    fitter.run(
        &mut params,
        &mut posterior,
        iterations,
        options.tolerance,
        &mut trace,
        cancel,
    )?;
    Ok(Started {
        params,
        posterior,
        trace,
    })
}

/// One plain EM iteration from given parameters, for checking the algorithm against an
/// independent implementation.
#[derive(Debug, Clone)]
pub struct EmStep {
    /// `ℓ` at the given parameters.
    pub log_likelihood: f64,
    /// Posteriors at the given parameters, `units × J`.
    pub posterior: Vec<f64>,
    /// The parameters after one E-step and exact M-step.
    pub parameters: Parameters,
    /// `ℓ` after the step.
    pub log_likelihood_after: f64,
    /// The time map `τ = (t − centre) / scale` of the polynomials.
    pub centre: f64,
    /// See `centre`.
    pub scale: f64,
}

/// One plain (unaccelerated) EM iteration from `params` on the internal time scale, with the
/// model, order and zero-inflation order of `options`.
///
/// # Example
/// ```
/// # use std::sync::Arc;
/// # use aluna_core::table::Table;
/// # use aluna_stats::careers::panel::{CountModel, Panel, PanelColumns};
/// # use arrow_array::{Float64Array, Int64Array, RecordBatch};
/// # use arrow_schema::{DataType, Field, Schema};
/// use aluna_stats::careers::model::{GroupParameters, Parameters};
/// use aluna_stats::careers::trajectories::{em_step, TrajectoryOptions};
/// # let schema = Arc::new(Schema::new(vec![Field::new("id", DataType::Int64, false),
/// #     Field::new("age", DataType::Float64, false), Field::new("n", DataType::Float64, false)]));
/// # let batch = RecordBatch::try_new(schema.clone(), vec![
/// #     Arc::new(Int64Array::from(vec![1, 1, 2, 2])),
/// #     Arc::new(Float64Array::from(vec![1.0, 2.0, 1.0, 2.0])),
/// #     Arc::new(Float64Array::from(vec![0.0, 1.0, 3.0, 4.0]))]).unwrap();
/// # let columns = PanelColumns { person: "id".into(), time: "age".into(), count: "n".into(),
/// #     exposure: None };
/// # let panel = Panel::from_table(&Table::new(schema, vec![batch]), &columns,
/// #     CountModel::Poisson).unwrap();
/// let options = TrajectoryOptions { model: CountModel::Poisson, order: 0, ..Default::default() };
/// let one = Parameters { groups: vec![GroupParameters { beta: vec![0.0], gamma: vec![] }],
///     log_share: vec![0.0] };
/// let step = em_step(&panel, &options, &one).unwrap();
/// // One group: the M-step is the Poisson MLE, log of the mean count 2.
/// assert!((step.parameters.groups[0].beta[0] - 2f64.ln()).abs() < 1e-10);
/// assert!(step.log_likelihood_after > step.log_likelihood);
/// ```
pub fn em_step(panel: &Panel, options: &TrajectoryOptions, params: &Parameters) -> Result<EmStep> {
    let options = TrajectoryOptions {
        accelerate: false,
        groups: vec![params.groups.len().max(1)],
        ..options.clone()
    };
    check_options(panel, &options)?;
    let fitter = Fitter::new(&panel.units, &panel.times, &options);
    let (p, q) = (fitter.p(), fitter.q());
    ensure!(
        !params.groups.is_empty() && params.log_share.len() == params.groups.len(),
        Error::argument("shares", "one share per group is needed")
    );
    for g in &params.groups {
        ensure!(
            g.beta.len() == p && g.gamma.len() == q,
            Error::argument(
                "parameters",
                format!("each group needs {p} trajectory and {q} zero-inflation coefficients")
            )
        );
    }
    let values = to_vector(params);
    if values
        .iter()
        .chain(&params.log_share)
        .any(|v| !v.is_finite())
    {
        return Err(Error::argument("parameters", "must be finite"));
    }
    let mut posterior = vec![0.0; panel.units.len() * params.groups.len()];
    let log_likelihood = fitter.e_step(params, &mut posterior)?;
    let next = fitter.em_map(params, &posterior)?;
    let mut after = vec![0.0; posterior.len()];
    let log_likelihood_after = fitter.e_step(&next, &mut after)?;
    Ok(EmStep {
        log_likelihood,
        posterior,
        parameters: next,
        log_likelihood_after,
        centre: fitter.poly.centre,
        scale: fitter.poly.scale,
    })
}

/// Stream key of the subsample the starts run on.
const SUBSAMPLE_KEY: u64 = 0x5355_4253_414D_504C;

/// Fit trajectory models for each number of groups in `options.groups`.
///
/// See the module documentation for the model, EM, starts and parallel behaviour. Each entry
/// of the result is the fit for one number of groups, or the reason none could be made (every
/// start emptied a group). Groups are numbered by their mean expected count over the periods,
/// lowest first.
///
/// # Example
/// ```
/// use aluna_core::parallel::Cancel;
/// use aluna_stats::careers::panel::CountModel;
/// use aluna_stats::careers::trajectories::{fit_trajectories, TrajectoryOptions};
/// # use std::sync::Arc;
/// # use aluna_core::table::Table;
/// # use aluna_stats::careers::panel::{Panel, PanelColumns};
/// # use arrow_array::{Float64Array, Int64Array, RecordBatch};
/// # use arrow_schema::{DataType, Field, Schema};
/// // Ten persons offending rarely, ten often, over five years.
/// let (mut id, mut age, mut n) = (vec![], vec![], vec![]);
/// for person in 0..20i64 {
///     for year in 0..5i64 {
///         id.push(person);
///         age.push(20.0 + year as f64);
///         let rare = ((person + year) % 5 == 0) as i64 as f64;
///         n.push(if person < 10 { rare } else { 4.0 + ((person + year) % 3) as f64 });
///     }
/// }
/// # let schema = Arc::new(Schema::new(vec![Field::new("id", DataType::Int64, false),
/// #     Field::new("age", DataType::Float64, false), Field::new("n", DataType::Float64, false)]));
/// # let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(id)),
/// #     Arc::new(Float64Array::from(age)), Arc::new(Float64Array::from(n))]).unwrap();
/// # let columns = PanelColumns { person: "id".into(), time: "age".into(), count: "n".into(),
/// #     exposure: None };
/// # let table = Table::new(schema, vec![batch]);
/// # let panel = Panel::from_table(&table, &columns, CountModel::Poisson).unwrap();
/// let options = TrajectoryOptions { model: CountModel::Poisson, order: 1, groups: vec![1, 2],
///     ..Default::default() };
/// let fits = fit_trajectories(&panel, &options, &Cancel::new()).unwrap();
/// let two = fits[1].1.as_ref().unwrap();
/// assert!(two.bic < fits[0].1.as_ref().unwrap().bic);
/// assert!((two.shares[0] - 0.5).abs() < 1e-6);
/// ```
pub fn fit_trajectories(
    panel: &Panel,
    options: &TrajectoryOptions,
    cancel: &Cancel,
) -> Result<Vec<GroupsFit>> {
    check_options(panel, options)?;
    let fitter = Fitter::new(&panel.units, &panel.times, options);
    let subsample = panel.units.subsample(
        &panel.person_unit,
        options.start_persons,
        options.seed,
        SUBSAMPLE_KEY,
    );
    let start_fitter = subsample
        .as_ref()
        .map(|units| Fitter::new(units, &panel.times, options));
    let starter = start_fitter.as_ref().unwrap_or(&fitter);
    let jobs: Vec<(usize, usize)> = options
        .groups
        .iter()
        .filter(|&&j| j > 1)
        .flat_map(|&j| (0..options.starts).map(move |s| (j, s)))
        .collect();
    let started: Vec<Result<Started>> = jobs
        .par_iter()
        .map(|&(j, s)| short_run(starter, j, s, options, cancel))
        .collect();
    cancel.check()?;
    let mut by_groups: Vec<(usize, Vec<Result<Started>>)> =
        options.groups.iter().map(|&j| (j, Vec::new())).collect();
    for (&(j, _), outcome) in jobs.iter().zip(started) {
        if let Some(entry) = by_groups.iter_mut().find(|(g, _)| *g == j) {
            entry.1.push(outcome);
        }
    }
    let subsampled = subsample.is_some();
    let fits: Vec<GroupsFit> = by_groups
        .into_par_iter()
        .map(|(j, outcomes)| (j, finish(&fitter, j, outcomes, subsampled, options, cancel)))
        .collect();
    cancel.check()?;
    Ok(fits)
}

fn check_options(panel: &Panel, options: &TrajectoryOptions) -> Result<()> {
    ensure!(
        !options.groups.is_empty(),
        Error::argument("groups", "give at least one number of groups")
    );
    if let Some(&j) = options.groups.iter().find(|&&j| j == 0 || j > 20) {
        return Err(Error::argument(
            "groups",
            format!("numbers of groups must be between 1 and 20, got {j}"),
        ));
    }
    let mut sorted = options.groups.clone();
    sorted.sort_unstable();
    sorted.dedup();
    ensure!(
        sorted.len() == options.groups.len(),
        Error::argument("groups", "a number of groups is given twice")
    );
    ensure!(
        options.order <= 6,
        Error::argument(
            "order",
            format!("must be between 0 and 6, got {}", options.order)
        )
    );
    ensure!(
        options.zero_order <= options.order,
        Error::argument(
            "zero_order",
            format!(
                "must be between 0 and order ({}), got {}",
                options.order, options.zero_order
            )
        )
    );
    let distinct = panel.times.len();
    ensure!(
        distinct > options.order,
        Error::argument(
            "order",
            format!(
                "a polynomial of degree {} needs at least {} distinct times; the panel has \
                 {distinct}",
                options.order,
                options.order + 1
            )
        )
    );
    ensure!(
        options.starts >= 1,
        Error::argument("starts", "must be at least 1")
    );
    ensure!(
        options.max_iterations >= 1,
        Error::argument("max_iter", "must be at least 1")
    );
    ensure!(
        options.tolerance > 0.0 && options.tolerance.is_finite(),
        Error::argument("tolerance", "must be a positive number")
    );
    let persons = panel.units.persons;
    if let Some(&j) = options.groups.iter().find(|&&j| j > persons) {
        return Err(Error::argument(
            "groups",
            format!("{j} groups for {persons} persons"),
        ));
    }
    Ok(())
}

fn finish(
    fitter: &Fitter<'_>,
    j_n: usize,
    outcomes: Vec<Result<Started>>,
    subsampled: bool,
    options: &TrajectoryOptions,
    cancel: &Cancel,
) -> Result<TrajectoryFit> {
    if j_n == 1 {
        // One group: every start is the same; fit it on all persons.
        let mut posterior = fitter.start_posterior(1, options.seed, 0);
        let mut params = fitter.initial(&posterior, 1)?;
        let mut trace = Vec::new();
        let converged = fitter.converge(
            &mut params,
            &mut posterior,
            options.max_iterations,
            options.tolerance,
            &mut trace,
            cancel,
        )?;
        let starts = vec![StartOutcome {
            log_likelihood: trace.last().copied(),
            iterations: trace.len() - 1,
        }];
        return complete(fitter, 1, params, trace, converged, starts, 0);
    }
    let starts: Vec<StartOutcome> = outcomes
        .iter()
        .map(|o| match o {
            Ok(s) => StartOutcome {
                log_likelihood: s.trace.last().copied(),
                iterations: s.trace.len() - 1,
            },
            Err(_) => StartOutcome {
                log_likelihood: None,
                iterations: 0,
            },
        })
        .collect();
    let mut best: Option<(usize, Started)> = None;
    let mut first_error = None;
    for (s, outcome) in outcomes.into_iter().enumerate() {
        match outcome {
            Ok(started) => {
                let ll = started.trace.last().copied().unwrap_or(f64::NEG_INFINITY);
                let better = best
                    .as_ref()
                    .is_none_or(|(_, b)| ll > b.trace.last().copied().unwrap_or(f64::NEG_INFINITY));
                if better {
                    best = Some((s, started));
                }
            }
            Err(Error::Cancelled) => return Err(Error::Cancelled),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    let Some((best_start, mut run)) = best else {
        return Err(first_error.unwrap_or(Error::NotDefined {
            what: "a trajectory model",
            reason: "no start succeeded".into(),
        }));
    };
    let used;
    if subsampled {
        // The starts ran on a subsample: continue from the best one's values on everyone.
        run.posterior = vec![0.0; fitter.units.len() * j_n];
        run.trace = Vec::new();
        used = 0;
    } else {
        used = run.trace.len() - 1;
    }
    let converged = fitter.converge(
        &mut run.params,
        &mut run.posterior,
        options.max_iterations.saturating_sub(used).max(1),
        options.tolerance,
        &mut run.trace,
        cancel,
    )?;
    complete(
        fitter, j_n, run.params, run.trace, converged, starts, best_start,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::careers::panel::PanelColumns;
    use aluna_core::table::Table;
    use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch};
    use arrow_schema::{DataType, Field, Schema};
    use std::sync::Arc;

    /// Two groups over 8 periods: rare and falling, frequent and peaking; Knuth's Poisson draws.
    fn simulated(n: i64, seed: u64) -> Panel {
        let mut rng = stream(seed, 0);
        let (mut id, mut age, mut count) = (vec![], vec![], vec![]);
        for person in 0..n {
            let frequent = rng.random::<f64>() < 0.3;
            for k in 0..8 {
                let tau = (k as f64 - 3.5) / 3.5;
                let rate = if frequent {
                    (0.8 - tau * tau).exp()
                } else {
                    (-2.0 - 0.5 * tau).exp()
                };
                let (limit, mut product, mut y) = ((-rate).exp(), rng.random::<f64>(), 0.0);
                while product > limit {
                    product *= rng.random::<f64>();
                    y += 1.0;
                }
                id.push(person);
                age.push(14.0 + k as f64);
                count.push(y);
            }
        }
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("age", DataType::Float64, false),
            Field::new("n", DataType::Float64, false),
        ]));
        let arrays: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(id)),
            Arc::new(Float64Array::from(age)),
            Arc::new(Float64Array::from(count)),
        ];
        let batch = RecordBatch::try_new(schema.clone(), arrays).unwrap();
        let columns = PanelColumns {
            person: "id".into(),
            time: "age".into(),
            count: "n".into(),
            exposure: None,
        };
        Panel::from_table(
            &Table::new(schema, vec![batch]),
            &columns,
            CountModel::Poisson,
        )
        .unwrap()
    }

    fn bits(fits: &[GroupsFit]) -> Vec<u64> {
        fits.iter()
            .flat_map(|(_, f)| {
                let f = f.as_ref().unwrap();
                std::iter::once(f.log_likelihood.to_bits())
                    .chain(f.posterior.iter().map(|w| w.to_bits()))
                    .chain(
                        f.estimates
                            .groups
                            .iter()
                            .flat_map(|g| g.beta.iter().map(|b| b.to_bits())),
                    )
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn identical_for_any_thread_count() {
        let panel = simulated(3000, 1);
        for model in [CountModel::Poisson, CountModel::ZeroInflatedPoisson] {
            let options = TrajectoryOptions {
                model,
                groups: vec![1, 2, 3],
                starts: 4,
                start_persons: 1000,
                ..Default::default()
            };
            let run = |threads| {
                aluna_core::parallel::install(Some(threads), || {
                    fit_trajectories(&panel, &options, &Cancel::new()).unwrap()
                })
                .unwrap()
            };
            let one = bits(&run(1));
            assert_eq!(one, bits(&run(2)));
            assert_eq!(one, bits(&run(4)));
        }
    }

    #[test]
    fn recovers_two_groups_and_never_lowers_the_likelihood() {
        let panel = simulated(2000, 2);
        for accelerate in [true, false] {
            let options = TrajectoryOptions {
                model: CountModel::Poisson,
                groups: vec![1, 2, 3],
                accelerate,
                ..Default::default()
            };
            let fits = fit_trajectories(&panel, &options, &Cancel::new()).unwrap();
            let bic: Vec<f64> = fits.iter().map(|(_, f)| f.as_ref().unwrap().bic).collect();
            assert!(bic[1] < bic[0] && bic[1] < bic[2], "{bic:?}");
            let two = fits[1].1.as_ref().unwrap();
            assert!((two.shares[1] - 0.3).abs() < 0.03, "{:?}", two.shares);
            for (_, fit) in &fits {
                let fit = fit.as_ref().unwrap();
                assert!(fit.converged);
                for w in fit.trace.windows(2) {
                    assert!(w[1] - w[0] >= -1e-9 * w[1].abs(), "{w:?}");
                }
            }
        }
    }

    #[test]
    fn bad_options_are_named() {
        let panel = simulated(20, 3);
        let check = |options: TrajectoryOptions, name: &str| {
            let err = fit_trajectories(&panel, &options, &Cancel::new()).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidArgument { name: n, .. } if *n == name),
                "{err}"
            );
        };
        check(
            TrajectoryOptions {
                groups: vec![],
                ..Default::default()
            },
            "groups",
        );
        check(
            TrajectoryOptions {
                groups: vec![2, 2],
                ..Default::default()
            },
            "groups",
        );
        check(
            TrajectoryOptions {
                groups: vec![21],
                ..Default::default()
            },
            "groups",
        );
        check(
            TrajectoryOptions {
                order: 8,
                ..Default::default()
            },
            "order",
        );
        check(
            TrajectoryOptions {
                zero_order: 3,
                ..Default::default()
            },
            "zero_order",
        );
        check(
            TrajectoryOptions {
                tolerance: 0.0,
                ..Default::default()
            },
            "tolerance",
        );
    }

    #[test]
    fn kmeans_separates_obvious_clusters() {
        let mut pts = vec![[0.0, 0.0, 0.0]; 50];
        pts.extend(vec![[5.0, 5.0, 5.0]; 50]);
        let labels = kmeans(&pts, &[1.0; 100], 2, 3, 0);
        assert!(labels[..50].iter().all(|&l| l == labels[0]));
        assert!(labels[50..].iter().all(|&l| l == labels[50]));
        assert_ne!(labels[0], labels[50]);
    }
}
