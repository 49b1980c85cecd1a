//! Programme effects by inverse probability weighting and augmented (doubly robust) weighting,
//! with influence-function standard errors and a seeded bootstrap.
//!
//! The propensity score `e(x) = P(T = 1 | x)` is a logistic regression ([`fit_logistic`]). Each
//! estimator is a difference of two arm means, `μ₁ − μ₀`; each arm mean is a weighted mean of a
//! pseudo-outcome `z` (the outcome `y` for IPW, the residual `y − m_a(x)` for AIPW, plus the mean
//! of the outcome model's prediction `m_a(x)`), with arm weights `q`:
//!
//! | estimand | treated arm `q` | comparison arm `q` |
//! |---|---|---|
//! | ATE | `1/e` | `1/(1−e)` |
//! | ATT | `1` | `e/(1−e)` |
//!
//! `normalised = true` divides by the sum of the arm's weights (Hájek); `false` divides by the
//! number of rows (ATE) or of treated rows (ATT) (Horvitz–Thompson). Standard errors come from
//! the influence function of the stacked estimating equations (propensity score equations and
//! arm means; Lunceford & Davidian 2004, <https://doi.org/10.1002/sim.1903>), so they carry the
//! estimation of the propensity score; the outcome models of AIPW enter through their
//! predictions only (their estimation does not change the first-order influence function when
//! the propensity model is right; Robins, Rotnitzky & Zhao 1994,
//! <https://doi.org/10.1080/01621459.1994.10476818>). Case weights `w` are sampling weights: the
//! variance is `Σ_i c_i²` with `c_i` the row's weighted contribution.
//!
//! Row passes run in fixed blocks summed in block order; bootstrap replicates run in parallel
//! with replicate `b` drawing from `stream(seed, b)`: results are identical for any number of
//! threads.

use aluna_core::parallel::{ordered_map, Cancel};
use aluna_core::random::stream;
use aluna_core::{ensure, Error, Result};
use rand::Rng;

use crate::design::{block_fold, Design};
use crate::linalg::mat_vec;
use crate::linear::fit_linear;
use crate::logistic::{fit_logistic, LogisticFit, LogisticOptions};

/// The population an effect is averaged over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Estimand {
    /// Average treatment effect: everyone.
    #[default]
    Ate,
    /// Average treatment effect on the treated: the participants.
    Att,
}

/// How the outcome models of AIPW are fitted (one per arm, on the outcome covariates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeModel {
    /// Least squares.
    Linear,
    /// Logistic regression, for 0/1 outcomes.
    Logistic,
}

/// Settings of [`weighting_effect`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EffectOptions {
    /// ATE or ATT.
    pub estimand: Estimand,
    /// Hájek (normalised) weights rather than Horvitz–Thompson.
    pub normalised: bool,
    /// Leave out rows whose propensity is outside `[trim.0, trim.1]`, then refit the
    /// propensity model on the rows kept.
    pub trim: Option<(f64, f64)>,
    /// Newton iterations allowed for each logistic fit.
    pub max_iterations: usize,
}

impl Default for EffectOptions {
    fn default() -> Self {
        Self {
            estimand: Estimand::Ate,
            normalised: true,
            trim: None,
            max_iterations: 100,
        }
    }
}

/// The data of an effect estimate.
#[derive(Debug, Clone, Copy)]
pub struct EffectData<'a> {
    /// Propensity covariates, first column the intercept.
    pub propensity: &'a Design,
    /// 0/1 treatment per row.
    pub treatment: &'a [f64],
    /// The outcome per row.
    pub outcome: &'a [f64],
    /// Case (sampling) weights, or `None` for 1.
    pub weights: Option<&'a [f64]>,
    /// For AIPW: the outcome covariates (first column the intercept) and the model.
    pub outcome_model: Option<(&'a Design, OutcomeModel)>,
}

/// An estimated effect with its influence function.
#[derive(Debug, Clone)]
pub struct EffectFit {
    /// `μ₁ − μ₀`.
    pub estimate: f64,
    /// `sqrt(Σ c_i²)`.
    pub std_error: f64,
    /// The treated arm's mean `μ₁`.
    pub mean_treated: f64,
    /// The comparison arm's (weighted or model-completed) mean `μ₀`.
    pub mean_comparison: f64,
    /// Each row's contribution `c_i` to the influence function (0 for rows left out).
    pub influence: Vec<f64>,
    /// The propensity score of every row (from the model fitted on the rows kept).
    pub propensity: Vec<f64>,
    /// Each row's weight in its arm mean, `w · q` (0 for rows left out).
    pub weights: Vec<f64>,
    /// Treated and comparison rows used.
    pub n_treated: usize,
    /// Comparison rows used.
    pub n_comparison: usize,
    /// Rows left out by trimming.
    pub trimmed: usize,
    /// The propensity model fitted on the rows kept.
    pub propensity_fit: LogisticFit,
}

fn check(data: &EffectData<'_>) -> Result<()> {
    let n = data.propensity.rows();
    ensure!(
        data.treatment.len() == n && data.outcome.len() == n,
        Error::argument(
            "treatment",
            "treatment, outcome and covariates differ in length"
        )
    );
    if let Some((row, v)) = data
        .treatment
        .iter()
        .enumerate()
        .find(|(_, v)| **v != 0.0 && **v != 1.0)
    {
        return Err(Error::bad_value("treatment", row, "0 or 1", v));
    }
    if let Some((row, v)) = data
        .outcome
        .iter()
        .enumerate()
        .find(|(_, v)| !v.is_finite())
    {
        return Err(Error::bad_value("outcome", row, "a finite number", v));
    }
    if let Some(w) = data.weights {
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
    if let Some((d, _)) = data.outcome_model {
        ensure!(
            d.rows() == n,
            Error::argument("outcome_covariates", "outcome covariates differ in length")
        );
    }
    Ok(())
}

fn logistic_options(options: &EffectOptions) -> LogisticOptions {
    LogisticOptions {
        max_iterations: options.max_iterations,
        ..Default::default()
    }
}

fn predict(design: &Design, coef: &[f64], logistic: bool) -> Vec<f64> {
    (0..design.rows())
        .map(|i| {
            let eta: f64 = design.row(i).iter().zip(coef).map(|(a, b)| a * b).sum();
            if logistic {
                1.0 / (1.0 + (-eta).exp())
            } else {
                eta
            }
        })
        .collect()
}

/// Arm weights `q` and `∂q/∂η` at propensity `e`.
#[inline]
fn arm_weight(estimand: Estimand, treated_arm: bool, e: f64) -> (f64, f64) {
    match (estimand, treated_arm) {
        (Estimand::Ate, true) => (1.0 / e, -(1.0 - e) / e),
        (Estimand::Ate, false) => (1.0 / (1.0 - e), e / (1.0 - e)),
        (Estimand::Att, true) => (1.0, 0.0),
        (Estimand::Att, false) => (e / (1.0 - e), e / (1.0 - e)),
    }
}

/// Everything one estimate needs, fitted on base weights `w` (0 = left out).
struct Fitted {
    w: Vec<f64>,
    e: Vec<f64>,
    ps: LogisticFit,
    /// Outcome-model predictions under treatment and under comparison (AIPW).
    m: Option<(Vec<f64>, Vec<f64>)>,
    trimmed: usize,
}

fn fit_nuisance(data: &EffectData<'_>, w: Vec<f64>, options: &EffectOptions) -> Result<Fitted> {
    let lo = logistic_options(options);
    let mut w = w;
    let mut ps = fit_logistic(data.propensity, data.treatment, Some(&w), &lo)?;
    if !ps.separated.is_empty() {
        let names: Vec<String> = ps
            .separated
            .iter()
            .map(|&j| format!("`{}`", data.propensity.names()[j]))
            .collect();
        return Err(Error::NotDefined {
            what: "the programme effect",
            reason: format!(
                "{} separates participants from non-participants (propensity scores of 0 or \
                 1): the arms do not overlap; restrict the sample to where they do",
                names.join(", ")
            ),
        });
    }
    let mut e = predict(data.propensity, &ps.coef, true);
    let mut trimmed = 0;
    if let Some((a, b)) = options.trim {
        for (wi, ei) in w.iter_mut().zip(&e) {
            if *wi > 0.0 && (*ei < a || *ei > b) {
                *wi = 0.0;
                trimmed += 1;
            }
        }
        if trimmed > 0 {
            ps = fit_logistic(data.propensity, data.treatment, Some(&w), &lo)?;
            e = predict(data.propensity, &ps.coef, true);
        }
    }
    let (mut n1, mut n0) = (0usize, 0usize);
    for (wi, t) in w.iter().zip(data.treatment) {
        if *wi > 0.0 {
            if *t == 1.0 {
                n1 += 1;
            } else {
                n0 += 1;
            }
        }
    }
    ensure!(
        n1 >= 2 && n0 >= 2,
        Error::NotDefined {
            what: "the programme effect",
            reason: format!(
                "{n1} treated and {n0} comparison rows are left; each arm needs at least two"
            ),
        }
    );
    if let Some((e_bad, _)) = e
        .iter()
        .zip(&w)
        .find(|(e, w)| **w > 0.0 && (**e <= 0.0 || **e >= 1.0))
    {
        return Err(Error::NotDefined {
            what: "the programme effect",
            reason: format!("a propensity score of {e_bad} leaves an arm without weight"),
        });
    }
    let m = match data.outcome_model {
        None => None,
        Some((design, model)) => {
            let mut out = Vec::with_capacity(2);
            for arm in [1.0, 0.0] {
                let wa: Vec<f64> = w
                    .iter()
                    .zip(data.treatment)
                    .map(|(wi, t)| if *t == arm { *wi } else { 0.0 })
                    .collect();
                let pred = match model {
                    OutcomeModel::Linear => {
                        let fit = fit_linear(design, data.outcome, Some(&wa), "outcome model")?;
                        predict(design, &fit.coef, false)
                    }
                    OutcomeModel::Logistic => {
                        let fit = fit_logistic(design, data.outcome, Some(&wa), &lo)?;
                        predict(design, &fit.coef, true)
                    }
                };
                out.push(pred);
            }
            let m0 = out.pop().unwrap_or_default();
            let m1 = out.pop().unwrap_or_default();
            Some((m1, m0))
        }
    };
    Ok(Fitted {
        w,
        e,
        ps,
        m,
        trimmed,
    })
}

/// One arm's mean and (optionally) each row's influence contribution.
struct ArmMean {
    value: f64,
    influence: Option<Vec<f64>>,
}

fn arm_mean(
    data: &EffectData<'_>,
    f: &Fitted,
    options: &EffectOptions,
    treated_arm: bool,
    influence: bool,
) -> ArmMean {
    let n = f.w.len();
    let t = data.treatment;
    let arm = if treated_arm { 1.0 } else { 0.0 };
    let est = options.estimand;
    let pred =
        f.m.as_ref()
            .map(|(m1, m0)| if treated_arm { m1 } else { m0 });
    // The population the regression part and the HT denominator average over.
    let v = |i: usize| match est {
        Estimand::Ate => 1.0,
        Estimand::Att => t[i],
    };
    let z = |i: usize| data.outcome[i] - pred.map_or(0.0, |m| m[i]);
    // Sums: [Σ w v m, Σ w v, Σ w 1{arm} q z, Σ w 1{arm} q]
    let s = block_fold(n, 4, |range, acc| {
        for i in range {
            let w = f.w[i];
            if w == 0.0 {
                continue;
            }
            acc[0] += w * v(i) * pred.map_or(0.0, |m| m[i]);
            acc[1] += w * v(i);
            if t[i] == arm {
                let (q, _) = arm_weight(est, treated_arm, f.e[i]);
                acc[2] += w * q * z(i);
                acc[3] += w * q;
            }
        }
    });
    let regression = if pred.is_some() { s[0] / s[1] } else { 0.0 };
    let (denominator, augmentation) = if options.normalised {
        (s[3], s[2] / s[3])
    } else {
        (s[1], s[2] / s[1])
    };
    let value = regression + augmentation;
    if !influence {
        return ArmMean {
            value,
            influence: None,
        };
    }
    // g_i: the row's estimating function at the estimate; h_i x_i: its derivative in β.
    let p = data.propensity.cols();
    let g = |i: usize| -> (f64, f64) {
        let w = f.w[i];
        let in_arm = if t[i] == arm { 1.0 } else { 0.0 };
        let (q, dq) = arm_weight(est, treated_arm, f.e[i]);
        if options.normalised {
            let r = z(i) - augmentation;
            (w * in_arm * q * r, w * in_arm * dq * r)
        } else {
            (
                w * (in_arm * q * z(i) - v(i) * augmentation),
                w * in_arm * dq * z(i),
            )
        }
    };
    let h_sum = block_fold(n, p, |range, acc| {
        for i in range {
            if f.w[i] == 0.0 {
                continue;
            }
            let (_, h) = g(i);
            if h != 0.0 {
                for (a, x) in acc.iter_mut().zip(data.propensity.row(i)) {
                    *a += h * x;
                }
            }
        }
    });
    // a = I⁻¹ H / D: the propensity model's share, applied to each row's score w (T − e) x.
    let a: Vec<f64> = f.ps.covariance.as_ref().map_or(vec![0.0; p], |cov| {
        mat_vec(cov, &h_sum)
            .into_iter()
            .map(|v| v / denominator)
            .collect()
    });
    let contributions = (0..n)
        .map(|i| {
            let w = f.w[i];
            if w == 0.0 {
                return 0.0;
            }
            let (gi, _) = g(i);
            let score = w * (t[i] - f.e[i]);
            let ax: f64 = a
                .iter()
                .zip(data.propensity.row(i))
                .map(|(a, x)| a * x)
                .sum();
            let reg = if pred.is_some() {
                w * v(i) * (pred.map_or(0.0, |m| m[i]) - regression) / s[1]
            } else {
                0.0
            };
            reg + gi / denominator + ax * score
        })
        .collect();
    ArmMean {
        value,
        influence: Some(contributions),
    }
}

fn base_weights(data: &EffectData<'_>) -> Vec<f64> {
    data.weights
        .map_or_else(|| vec![1.0; data.propensity.rows()], <[f64]>::to_vec)
}

/// Estimate the effect `μ₁ − μ₀` by IPW (no outcome model) or AIPW (with one), with its
/// influence-function standard error.
///
/// # Errors
/// [`Error::BadValue`] for a treatment that is not 0/1, a non-finite outcome or a bad weight;
/// [`Error::NotDefined`] when a covariate separates the arms (no overlap) or an arm has fewer
/// than two rows; [`Error::Singular`] for collinear covariates.
///
/// # Example
/// ```
/// use aluna_stats::causal::{weighting_effect, EffectData, EffectOptions};
/// use aluna_stats::design::Design;
/// use ndarray::Array2;
/// // Without covariates the IPW effect is the difference in means.
/// let x = Array2::from_elem((6, 1), 1.0);
/// let d = Design::new(x, vec!["intercept".into()]).unwrap();
/// let t = [1.0, 1.0, 1.0, 0.0, 0.0, 0.0];
/// let y = [5.0, 6.0, 7.0, 1.0, 2.0, 3.0];
/// let data = EffectData { propensity: &d, treatment: &t, outcome: &y, weights: None,
///                         outcome_model: None };
/// let fit = weighting_effect(&data, &EffectOptions::default()).unwrap();
/// assert!((fit.estimate - 4.0).abs() < 1e-12);
/// ```
pub fn weighting_effect(data: &EffectData<'_>, options: &EffectOptions) -> Result<EffectFit> {
    check(data)?;
    let f = fit_nuisance(data, base_weights(data), options)?;
    let one = arm_mean(data, &f, options, true, true);
    let zero = arm_mean(data, &f, options, false, true);
    let c1 = one.influence.unwrap_or_default();
    let c0 = zero.influence.unwrap_or_default();
    let influence: Vec<f64> = c1.iter().zip(&c0).map(|(a, b)| a - b).collect();
    let var = block_fold(influence.len(), 1, |range, acc| {
        for i in range {
            acc[0] += influence[i] * influence[i];
        }
    })[0];
    let (mut n_treated, mut n_comparison) = (0, 0);
    let weights: Vec<f64> = (0..f.w.len())
        .map(|i| {
            if f.w[i] == 0.0 {
                return 0.0;
            }
            let treated = data.treatment[i] == 1.0;
            if treated {
                n_treated += 1;
            } else {
                n_comparison += 1;
            }
            f.w[i] * arm_weight(options.estimand, treated, f.e[i]).0
        })
        .collect();
    Ok(EffectFit {
        estimate: one.value - zero.value,
        std_error: var.sqrt(),
        mean_treated: one.value,
        mean_comparison: zero.value,
        influence,
        propensity: f.e,
        weights,
        n_treated,
        n_comparison,
        trimmed: f.trimmed,
        propensity_fit: f.ps,
    })
}

/// The effect re-estimated on `replicates` bootstrap resamples of the rows.
///
/// Replicate `b` draws `n` rows with replacement from `stream(seed, b)` and refits everything
/// (propensity model, trimming, outcome models) with the draw counts as frequency weights.
/// Replicates run in parallel; the output is in replicate order and the same for any number of
/// threads. A replicate whose fit fails (an arm drawn empty, a category absent) is returned as
/// `None`.
///
/// # Errors
/// As [`weighting_effect`] for the input checks; [`Error::Cancelled`] on interruption.
pub fn bootstrap_effect(
    data: &EffectData<'_>,
    options: &EffectOptions,
    replicates: usize,
    seed: u64,
    cancel: &Cancel,
) -> Result<Vec<Option<f64>>> {
    check(data)?;
    let n = data.propensity.rows();
    let base = base_weights(data);
    ordered_map(
        replicates,
        cancel,
        || vec![0.0; n],
        |b, counts| {
            counts.iter_mut().for_each(|c| *c = 0.0);
            let mut rng = stream(seed, b as u64);
            for _ in 0..n {
                counts[rng.random_range(0..n)] += 1.0;
            }
            let w: Vec<f64> = counts.iter().zip(&base).map(|(c, w)| c * w).collect();
            let f = fit_nuisance(data, w, options).ok()?;
            let one = arm_mean(data, &f, options, true, false);
            let zero = arm_mean(data, &f, options, false, false);
            let est = one.value - zero.value;
            est.is_finite().then_some(est)
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn toy(n: usize) -> (Design, Vec<f64>, Vec<f64>) {
        let mut x = Array2::<f64>::zeros((n, 2));
        let mut t = vec![0.0; n];
        let mut y = vec![0.0; n];
        for i in 0..n {
            let xi = (i as f64 * 0.37).sin() * 2.0;
            x[[i, 0]] = 1.0;
            x[[i, 1]] = xi;
            let e = 1.0 / (1.0 + (-0.8 * xi).exp());
            t[i] = f64::from(((i * 7919) % 1000) as f64 / 1000.0 < e);
            y[i] = 1.0 + 2.0 * t[i] + 1.5 * xi + ((i * 31) % 17) as f64 / 17.0;
        }
        let d = Design::new(x, vec!["intercept".into(), "x".into()]).unwrap();
        (d, t, y)
    }

    /// The contributions sum to zero at the estimate (every estimating equation is solved).
    #[test]
    fn influence_sums_to_zero() {
        let (d, t, y) = toy(400);
        for estimand in [Estimand::Ate, Estimand::Att] {
            for normalised in [true, false] {
                for aipw in [false, true] {
                    let data = EffectData {
                        propensity: &d,
                        treatment: &t,
                        outcome: &y,
                        weights: None,
                        outcome_model: aipw.then_some((&d, OutcomeModel::Linear)),
                    };
                    let opts = EffectOptions {
                        estimand,
                        normalised,
                        ..Default::default()
                    };
                    let fit = weighting_effect(&data, &opts).unwrap();
                    let s: f64 = fit.influence.iter().sum();
                    assert!(s.abs() < 1e-9, "{estimand:?} {normalised} {aipw}: {s}");
                    assert!((fit.estimate - 2.0).abs() < 0.3, "{}", fit.estimate);
                    assert!(fit.std_error > 0.0);
                }
            }
        }
    }

    /// The influence function is the derivative of the estimate in the weight of each row:
    /// compare with a numerical derivative (the estimate is a smooth function of the weights).
    #[test]
    fn influence_is_the_weight_derivative() {
        let (d, t, y) = toy(120);
        for estimand in [Estimand::Ate, Estimand::Att] {
            for normalised in [true, false] {
                let opts = EffectOptions {
                    estimand,
                    normalised,
                    ..Default::default()
                };
                let base = EffectData {
                    propensity: &d,
                    treatment: &t,
                    outcome: &y,
                    weights: None,
                    outcome_model: None,
                };
                let fit = weighting_effect(&base, &opts).unwrap();
                let h = 1e-5;
                for row in [0usize, 7, 55] {
                    let mut w = vec![1.0; 120];
                    w[row] += h;
                    let data = EffectData {
                        weights: Some(&w),
                        ..base
                    };
                    let up = weighting_effect(&data, &opts).unwrap().estimate;
                    w[row] -= 2.0 * h;
                    let data = EffectData {
                        weights: Some(&w),
                        ..base
                    };
                    let down = weighting_effect(&data, &opts).unwrap().estimate;
                    let numeric = (up - down) / (2.0 * h);
                    // d estimate / d w_i = c_i / w_i (w_i = 1), for HT up to the normaliser's
                    // own dependence on w, which the influence function also carries.
                    assert!(
                        (numeric - fit.influence[row]).abs() < 1e-6,
                        "{estimand:?} {normalised} row {row}: {numeric} vs {}",
                        fit.influence[row]
                    );
                }
            }
        }
    }

    #[test]
    fn bootstrap_is_thread_independent() {
        let (d, t, y) = toy(300);
        let data = EffectData {
            propensity: &d,
            treatment: &t,
            outcome: &y,
            weights: None,
            outcome_model: Some((&d, OutcomeModel::Linear)),
        };
        let cancel = Cancel::new();
        let opts = EffectOptions::default();
        let one = aluna_core::parallel::install(Some(1), || {
            bootstrap_effect(&data, &opts, 40, 7, &cancel)
        })
        .unwrap()
        .unwrap();
        let two = aluna_core::parallel::install(Some(2), || {
            bootstrap_effect(&data, &opts, 40, 7, &cancel)
        })
        .unwrap()
        .unwrap();
        assert_eq!(one, two);
        assert!(one.iter().all(Option::is_some));
    }

    #[test]
    fn bad_treatment_names_row() {
        let (d, mut t, y) = toy(50);
        t[4] = 2.0;
        let data = EffectData {
            propensity: &d,
            treatment: &t,
            outcome: &y,
            weights: None,
            outcome_model: None,
        };
        let err = weighting_effect(&data, &EffectOptions::default()).unwrap_err();
        assert!(matches!(err, Error::BadValue { row: 4, .. }));
    }
}
