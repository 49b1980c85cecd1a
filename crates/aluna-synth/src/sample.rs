//! Draws from the distributions the generating processes use, on one unit's random stream.

use rand::Rng;
use rand_distr::{Distribution, Exp1, Gamma, Poisson, StandardNormal};

/// Uniform on `[0, 1)`.
pub(crate) fn uniform<R: Rng>(rng: &mut R) -> f64 {
    rng.random::<f64>()
}

/// `true` with probability `p`.
pub(crate) fn bernoulli<R: Rng>(rng: &mut R, p: f64) -> bool {
    uniform(rng) < p
}

/// Standard normal.
pub(crate) fn normal<R: Rng>(rng: &mut R) -> f64 {
    StandardNormal.sample(rng)
}

/// Standard exponential (rate 1).
pub(crate) fn exponential<R: Rng>(rng: &mut R) -> f64 {
    Exp1.sample(rng)
}

/// Poisson with mean `lambda` (0 when `lambda` is not positive), capped at `cap`.
pub(crate) fn poisson<R: Rng>(rng: &mut R, lambda: f64, cap: u64) -> u64 {
    if lambda.is_nan() || lambda <= 0.0 {
        return 0;
    }
    match Poisson::new(lambda) {
        // Poisson draws are whole numbers held in a float; the cap keeps them small.
        Ok(d) => (d.sample(rng) as u64).min(cap),
        Err(_) => 0,
    }
}

/// Gamma with `shape` and `scale` (mean `shape * scale`).
pub(crate) fn gamma<R: Rng>(rng: &mut R, shape: f64, scale: f64) -> f64 {
    Gamma::new(shape, scale).map_or(shape * scale, |d| d.sample(rng))
}

/// Normal with `mean` and `sd`, redrawn until it falls in `[low, high]`.
pub(crate) fn truncated_normal<R: Rng>(
    rng: &mut R,
    mean: f64,
    sd: f64,
    low: f64,
    high: f64,
) -> f64 {
    for _ in 0..1000 {
        let x = mean + sd * normal(rng);
        if (low..=high).contains(&x) {
            return x;
        }
    }
    mean.clamp(low, high)
}

/// Index `k` with probability `weights[k] / sum(weights)`.
pub(crate) fn categorical<R: Rng>(rng: &mut R, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut u = uniform(rng) * total;
    for (k, w) in weights.iter().enumerate() {
        if u < *w {
            return k;
        }
        u -= w;
    }
    weights.len().saturating_sub(1)
}

/// Uniform integer in `0..n` (`n` > 0).
pub(crate) fn below<R: Rng>(rng: &mut R, n: u64) -> u64 {
    if n <= 1 {
        0
    } else {
        rng.random_range(0..n)
    }
}

/// The logistic function `1 / (1 + exp(-x))`.
pub(crate) fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aluna_core::random::stream;

    #[test]
    fn draws_have_the_stated_means() {
        let mut r = stream(1, 0);
        let n = 20_000;
        let mean = |xs: Vec<f64>| xs.iter().sum::<f64>() / xs.len() as f64;
        assert!((mean((0..n).map(|_| normal(&mut r)).collect()) - 0.0).abs() < 0.03);
        assert!((mean((0..n).map(|_| exponential(&mut r)).collect()) - 1.0).abs() < 0.03);
        assert!(
            (mean((0..n).map(|_| poisson(&mut r, 2.5, 100) as f64).collect()) - 2.5).abs() < 0.05
        );
        assert!((mean((0..n).map(|_| gamma(&mut r, 2.0, 0.5)).collect()) - 1.0).abs() < 0.03);
        let counts = (0..n).fold([0usize; 3], |mut c, _| {
            c[categorical(&mut r, &[1.0, 2.0, 1.0])] += 1;
            c
        });
        assert!((counts[1] as f64 / n as f64 - 0.5).abs() < 0.02);
        let t: Vec<f64> = (0..n)
            .map(|_| truncated_normal(&mut r, 0.0, 1.0, -0.5, 2.0))
            .collect();
        assert!(t.iter().all(|x| (-0.5..=2.0).contains(x)));
    }
}
