//! Differentially private counts: discrete Laplace and discrete Gaussian noise, drawn with
//! exact samplers, and their privacy accounting.
//!
//! # Mechanisms
//!
//! If one person changes the counts by at most `Δ₁` in total (L1) or `Δ₂` (L2; a person in at
//! most `m` cells, by at most 1 each, gives `Δ₁ = m`, `Δ₂ = √m`):
//!
//! - **discrete Laplace** with scale `b` (probability of `x` proportional to `exp(-|x| / b)`;
//!   the geometric mechanism of Ghosh, Roughgarden & Sundararajan [1]) is `ε`-differentially
//!   private with `ε = Δ₁ / b`;
//! - **discrete Gaussian** with scale `σ` (probability of `x` proportional to
//!   `exp(-x² / 2σ²)`) satisfies `ρ`-zero-concentrated differential privacy with
//!   `ρ = Δ₂² / 2σ²` (Canonne, Kamath & Steinke [2]; zCDP: Bun & Steinke [3]), hence
//!   `(ε, δ)`-differential privacy with
//!   `ε = min over α > 1 of αρ + (ln(1/δ) + (α − 1) ln(1 − 1/α) − ln α) / (α − 1)`
//!   ([2], Corollary 13), the conversion OpenDP uses.
//!
//! Given a target `ε` (and `δ`), the scale is calibrated and then rounded up to a dyadic
//! rational (`b = n / 2²⁰`, `σ² = n / 2¹⁰`) so that the samplers can work in exact integer
//! arithmetic ([2], Algorithms 1-3); the budget reported is the one spent at the rounded scale,
//! never more than the target.
//!
//! # Randomness
//!
//! Noise comes from a ChaCha20 generator seeded with 32 bytes of operating-system randomness
//! (`getrandom`) per call. A `seed` replaces that with ChaCha8 streams keyed by `(seed, cell)`
//! for reproducible tests; such output is **not private** (anyone who knows the seed can
//! subtract the noise) and [`Budget::private`] says so.
//!
//! # References
//! 1. Ghosh, A., Roughgarden, T. & Sundararajan, M. (2012). Universally utility-maximizing
//!    privacy mechanisms. SIAM Journal on Computing 41(6), 1673-1693.
//!    <https://doi.org/10.1137/09076828X>
//! 2. Canonne, C. L., Kamath, G. & Steinke, T. (2020). The discrete Gaussian for differential
//!    privacy. Advances in Neural Information Processing Systems 33.
//!    <https://arxiv.org/abs/2004.00010>
//! 3. Bun, M. & Steinke, T. (2016). Concentrated differential privacy: simplifications,
//!    extensions, and lower bounds. Theory of Cryptography (TCC 2016-B), 635-658.
//!    <https://arxiv.org/abs/1605.02065>

use aluna_core::random::stream;
use aluna_core::{Error, Result};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

/// Denominator of the Laplace scale: `b = n / 2^20`.
const LAPLACE_DENOMINATOR: u64 = 1 << 20;
/// Denominator of the Gaussian variance: `σ² = n / 2^10`.
const GAUSSIAN_DENOMINATOR: u64 = 1 << 10;
/// Largest Gaussian scale accepted (keeps every sampler quantity inside 128-bit integers).
pub const MAX_GAUSSIAN_SCALE: f64 = 1_048_576.0;
/// Largest Laplace scale accepted.
pub const MAX_LAPLACE_SCALE: f64 = 1e12;

/// The noise distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    /// Discrete Laplace (geometric) noise: pure `ε`-differential privacy.
    Laplace,
    /// Discrete Gaussian noise: `ρ`-zCDP, reported also as `(ε, δ)`.
    DiscreteGaussian,
}

impl Mechanism {
    /// The name used in the Python API.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Laplace => "laplace",
            Mechanism::DiscreteGaussian => "discrete_gaussian",
        }
    }
}

/// Settings of [`calibrate`] and [`noisy_counts`].
#[derive(Debug, Clone, Copy)]
pub struct NoiseOptions {
    /// The noise distribution.
    pub mechanism: Mechanism,
    /// The target `ε` (positive, finite).
    pub epsilon: f64,
    /// The target `δ` for the discrete Gaussian (in `(0, 1)`); ignored for Laplace.
    pub delta: f64,
    /// Cells one person can appear in, by at most 1 each (`Δ₁ = m`, `Δ₂ = √m`).
    pub cells_per_person: u32,
    /// Reproducible, **not private** noise for tests; `None` uses operating-system randomness.
    pub seed: Option<u64>,
}

/// The privacy budget spent by one release.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    /// The mechanism.
    pub mechanism: Mechanism,
    /// The scale used: `b` for Laplace, `σ` for the discrete Gaussian.
    pub scale: f64,
    /// `ε` spent (at most the target).
    pub epsilon: f64,
    /// `δ` spent (0 for Laplace).
    pub delta: f64,
    /// `ρ` (zCDP) spent by the discrete Gaussian; `None` for Laplace.
    pub rho: Option<f64>,
    /// L1 (Laplace) or L2 (Gaussian) sensitivity the scale was set for.
    pub sensitivity: f64,
    /// `false` when the noise came from a seed: then the output is not private.
    pub private: bool,
    /// The exact scale as a rational: `scale = numerator / denominator` for Laplace,
    /// `scale² = numerator / denominator` for the Gaussian.
    pub numerator: u64,
    /// See `numerator`.
    pub denominator: u64,
}

/// `ε` of `ρ`-zCDP at `δ` ([2], Corollary 13): the bound minimised over the Rényi order `α`.
///
/// # Example
/// ```
/// use aluna_privacy::noise::zcdp_epsilon;
/// let eps = zcdp_epsilon(0.5, 1e-6);
/// // Tighter than the classic rho + 2 sqrt(rho ln(1/delta)).
/// assert!(eps < 0.5 + 2.0 * (0.5f64 * (1e6f64).ln()).sqrt());
/// assert!(eps > 0.5);
/// ```
pub fn zcdp_epsilon(rho: f64, delta: f64) -> f64 {
    if rho <= 0.0 {
        return 0.0;
    }
    if delta <= 0.0 || !rho.is_finite() {
        return f64::INFINITY;
    }
    if delta >= 1.0 {
        return 0.0;
    }
    let bound = |a: f64| -> f64 {
        let am1 = a - 1.0;
        a * rho + ((1.0 / delta).ln() + am1 * (am1 / a).ln() - a.ln()) / am1
    };
    // The bound is convex in α on (1, ∞); bracket the minimum, then golden-section search.
    let mut lo = 1.0 + 1e-9;
    let mut hi = 2.0;
    while bound(hi * 2.0) < bound(hi) && hi < 1e15 {
        lo = hi / 2.0;
        hi *= 2.0;
    }
    hi *= 2.0;
    let phi = (5f64.sqrt() - 1.0) / 2.0;
    let (mut a, mut b) = (lo, hi);
    let mut c = b - phi * (b - a);
    let mut d = a + phi * (b - a);
    let (mut fc, mut fd) = (bound(c), bound(d));
    for _ in 0..200 {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - phi * (b - a);
            fc = bound(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + phi * (b - a);
            fd = bound(d);
        }
        if (b - a) <= 1e-12 * a {
            break;
        }
    }
    fc.min(fd).max(0.0)
}

/// The scale and budget for `options`: the smallest dyadic scale whose privacy loss is at most
/// the target.
///
/// # Example
/// ```
/// use aluna_privacy::noise::{calibrate, Mechanism, NoiseOptions};
/// let options = NoiseOptions {
///     mechanism: Mechanism::Laplace, epsilon: 0.5, delta: 0.0, cells_per_person: 1, seed: None,
/// };
/// let budget = calibrate(&options).unwrap();
/// assert_eq!(budget.scale, 2.0);
/// assert_eq!(budget.epsilon, 0.5);
/// ```
pub fn calibrate(options: &NoiseOptions) -> Result<Budget> {
    if !(options.epsilon.is_finite() && options.epsilon > 0.0) {
        return Err(Error::argument(
            "epsilon",
            format!("must be a positive number, got {}", options.epsilon),
        ));
    }
    if options.cells_per_person == 0 {
        return Err(Error::argument("cells_per_person", "must be at least 1"));
    }
    let m = options.cells_per_person as f64;
    let private = options.seed.is_none();
    match options.mechanism {
        Mechanism::Laplace => {
            let scale = m / options.epsilon;
            if scale > MAX_LAPLACE_SCALE {
                return Err(Error::argument(
                    "epsilon",
                    format!(
                        "{} is too small: the noise scale would exceed 1e12",
                        options.epsilon
                    ),
                ));
            }
            let numerator = (scale * LAPLACE_DENOMINATOR as f64).ceil().max(1.0) as u64;
            let scale = numerator as f64 / LAPLACE_DENOMINATOR as f64;
            Ok(Budget {
                mechanism: Mechanism::Laplace,
                scale,
                epsilon: m / scale,
                delta: 0.0,
                rho: None,
                sensitivity: m,
                private,
                numerator,
                denominator: LAPLACE_DENOMINATOR,
            })
        }
        Mechanism::DiscreteGaussian => {
            if !(options.delta > 0.0 && options.delta < 1.0) {
                return Err(Error::argument(
                    "delta",
                    format!(
                        "the discrete Gaussian needs 0 < delta < 1, got {}",
                        options.delta
                    ),
                ));
            }
            let l2_squared = m;
            let spent = |numerator: u64| -> f64 {
                let variance = numerator as f64 / GAUSSIAN_DENOMINATOR as f64;
                zcdp_epsilon(l2_squared / (2.0 * variance), options.delta)
            };
            let max_numerator =
                (MAX_GAUSSIAN_SCALE * MAX_GAUSSIAN_SCALE * GAUSSIAN_DENOMINATOR as f64) as u64;
            if spent(max_numerator) > options.epsilon {
                return Err(Error::argument(
                    "epsilon",
                    format!(
                        "{} is too small at delta {}: the noise scale would exceed {}",
                        options.epsilon, options.delta, MAX_GAUSSIAN_SCALE
                    ),
                ));
            }
            // Smallest variance numerator with spent(n) <= epsilon (spent falls as n grows).
            let (mut lo, mut hi) = (1u64, max_numerator);
            if spent(lo) <= options.epsilon {
                hi = lo;
            }
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if spent(mid) <= options.epsilon {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            let variance = hi as f64 / GAUSSIAN_DENOMINATOR as f64;
            let rho = l2_squared / (2.0 * variance);
            Ok(Budget {
                mechanism: Mechanism::DiscreteGaussian,
                scale: variance.sqrt(),
                epsilon: zcdp_epsilon(rho, options.delta),
                delta: options.delta,
                rho: Some(rho),
                sensitivity: m.sqrt(),
                private,
                numerator: hi,
                denominator: GAUSSIAN_DENOMINATOR,
            })
        }
    }
}

/// A source of uniform random bits.
trait Bits {
    fn next(&mut self) -> u64;
}

impl<R: RngCore> Bits for R {
    fn next(&mut self) -> u64 {
        self.next_u64()
    }
}

/// Uniform integer in `0..m` (`m > 0`) by rejection: exact.
fn uniform_below(rng: &mut impl Bits, m: u128) -> u128 {
    if m <= 1 {
        return 0;
    }
    let bits = 128 - (m - 1).leading_zeros();
    let mask = if bits == 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    };
    loop {
        let x = (((rng.next() as u128) << 64) | rng.next() as u128) & mask;
        if x < m {
            return x;
        }
    }
}

/// Bernoulli(`n / d`), exact (`n ≤ d`, `d > 0`).
fn bernoulli(rng: &mut impl Bits, n: u128, d: u128) -> bool {
    uniform_below(rng, d) < n
}

/// Bernoulli(`exp(-n / d)`), exact ([2], Algorithm 1). `None` when an intermediate quantity
/// would not fit in 128 bits (callers then draw again).
fn bernoulli_exp(rng: &mut impl Bits, n: u128, d: u128) -> Option<bool> {
    if n <= d {
        let mut k: u128 = 1;
        loop {
            let dk = d.checked_mul(k)?;
            if !bernoulli(rng, n, dk) {
                return Some(k % 2 == 1);
            }
            k += 1;
        }
    }
    for _ in 0..n / d {
        if !bernoulli_exp(rng, 1, 1)? {
            return Some(false);
        }
    }
    bernoulli_exp(rng, n % d, d)
}

/// Discrete Laplace with scale `t / s` ([2], Algorithm 2), exact. `None` on overflow.
fn discrete_laplace(rng: &mut impl Bits, t: u128, s: u128) -> Option<i128> {
    loop {
        let u = uniform_below(rng, t);
        if !bernoulli_exp(rng, u, t)? {
            continue;
        }
        let mut v: u128 = 0;
        while bernoulli_exp(rng, 1, 1)? {
            v += 1;
        }
        let x = u.checked_add(t.checked_mul(v)?)?;
        let y = (x / s) as i128;
        let negative = bernoulli(rng, 1, 2);
        if negative && y == 0 {
            continue;
        }
        return Some(if negative { -y } else { y });
    }
}

/// Discrete Gaussian with variance `a / b` ([2], Algorithm 3), exact. `None` on overflow.
fn discrete_gaussian(rng: &mut impl Bits, a: u128, b: u128) -> Option<i128> {
    // t = floor(sigma) + 1, with sigma^2 = a / b.
    let mut t: u128 = ((a as f64 / b as f64).sqrt() as u128)
        .saturating_sub(1)
        .max(1);
    while t > 1 && (t * t) * b > a {
        t -= 1;
    }
    while (t * t) * b <= a {
        t += 1;
    }
    loop {
        let y = discrete_laplace(rng, t, 1)?;
        // C ~ Bernoulli(exp(-(|y| - sigma^2 / t)^2 / (2 sigma^2)))
        //   = Bernoulli(exp(-(|y| t b - a)^2 / (2 a b t^2))).
        let lhs = (y.unsigned_abs()).checked_mul(t)?.checked_mul(b)?;
        let diff = lhs.abs_diff(a);
        let numerator = diff.checked_mul(diff)?;
        let denominator = 2u128
            .checked_mul(a)?
            .checked_mul(b)?
            .checked_mul(t.checked_mul(t)?)?;
        if bernoulli_exp(rng, numerator, denominator)? {
            return Some(y);
        }
    }
}

/// One draw of the mechanism's noise; an overflow (only on events of probability below
/// `2^-1000` at the largest scales) draws again.
fn draw(rng: &mut impl Bits, budget: &Budget) -> i64 {
    loop {
        let x = match budget.mechanism {
            Mechanism::Laplace => {
                discrete_laplace(rng, budget.numerator as u128, budget.denominator as u128)
            }
            Mechanism::DiscreteGaussian => {
                discrete_gaussian(rng, budget.numerator as u128, budget.denominator as u128)
            }
        };
        if let Some(x) = x.and_then(|x| i64::try_from(x).ok()) {
            return x;
        }
    }
}

/// Add noise to every count; returns the noisy counts and the budget spent.
///
/// The same budget covers all counts together, given `cells_per_person` (see
/// [`NoiseOptions`]). Serial (tables of counts are small). Without a seed the noise is drawn
/// from operating-system randomness; with one, from ChaCha8 stream `(seed, i)` for cell `i`.
///
/// # Example
/// ```
/// use aluna_privacy::noise::{noisy_counts, Mechanism, NoiseOptions};
/// let options = NoiseOptions {
///     mechanism: Mechanism::DiscreteGaussian, epsilon: 1.0, delta: 1e-6,
///     cells_per_person: 1, seed: Some(7),
/// };
/// let (noisy, budget) = noisy_counts(&[120, 45, 3], &options).unwrap();
/// assert_eq!(noisy.len(), 3);
/// assert!(!budget.private);
/// assert!(budget.epsilon <= 1.0 && budget.rho.is_some());
/// assert_eq!(noisy, noisy_counts(&[120, 45, 3], &options).unwrap().0);
/// ```
pub fn noisy_counts(counts: &[i64], options: &NoiseOptions) -> Result<(Vec<i64>, Budget)> {
    let budget = calibrate(options)?;
    let noisy = match options.seed {
        Some(seed) => counts
            .iter()
            .enumerate()
            .map(|(i, &c)| c.saturating_add(draw(&mut stream(seed, i as u64), &budget)))
            .collect(),
        None => {
            let mut seed = zeroize::Zeroizing::new([0u8; 32]);
            getrandom::fill(seed.as_mut()).map_err(|e| Error::Io {
                path: "operating-system randomness".into(),
                message: e.to_string(),
            })?;
            let mut rng = ChaCha20Rng::from_seed(*seed);
            counts
                .iter()
                .map(|&c| c.saturating_add(draw(&mut rng, &budget)))
                .collect()
        }
    };
    Ok((noisy, budget))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(mechanism: Mechanism, epsilon: f64, seed: Option<u64>) -> NoiseOptions {
        NoiseOptions {
            mechanism,
            epsilon,
            delta: 1e-6,
            cells_per_person: 1,
            seed,
        }
    }

    #[test]
    fn bernoulli_exp_has_the_right_mean() {
        let mut rng = stream(1, 0);
        for (n, d) in [(1u128, 2u128), (3, 1), (7, 3)] {
            let draws = 200_000;
            let hits = (0..draws)
                .filter(|_| bernoulli_exp(&mut rng, n, d).unwrap())
                .count();
            let p = (-(n as f64) / d as f64).exp();
            let se = (p * (1.0 - p) / draws as f64).sqrt();
            assert!((hits as f64 / draws as f64 - p).abs() < 5.0 * se, "{n}/{d}");
        }
    }

    #[test]
    fn discrete_laplace_matches_its_pmf() {
        // scale 1.5 = 3 / 2
        let mut rng = stream(2, 0);
        let draws = 200_000;
        let mut counts = std::collections::BTreeMap::new();
        for _ in 0..draws {
            *counts
                .entry(discrete_laplace(&mut rng, 3, 2).unwrap())
                .or_insert(0) += 1;
        }
        let q: f64 = (-1.0f64 / 1.5).exp();
        for x in -3i128..=3 {
            let p = (1.0 - q) / (1.0 + q) * q.powi(x.unsigned_abs() as i32);
            let seen = *counts.get(&x).unwrap_or(&0) as f64 / draws as f64;
            let se = (p * (1.0 - p) / draws as f64).sqrt();
            assert!((seen - p).abs() < 5.0 * se, "x = {x}: {seen} vs {p}");
        }
    }

    #[test]
    fn discrete_gaussian_matches_its_pmf() {
        // variance 2.25 = 2304 / 1024
        let mut rng = stream(3, 0);
        let draws = 200_000;
        let mut counts = std::collections::BTreeMap::new();
        for _ in 0..draws {
            *counts
                .entry(discrete_gaussian(&mut rng, 2304, 1024).unwrap())
                .or_insert(0) += 1;
        }
        let weight = |x: i128| (-(x * x) as f64 / (2.0 * 2.25)).exp();
        let norm: f64 = (-60i128..=60).map(weight).sum();
        for x in -4i128..=4 {
            let p = weight(x) / norm;
            let seen = *counts.get(&x).unwrap_or(&0) as f64 / draws as f64;
            let se = (p * (1.0 - p) / draws as f64).sqrt();
            assert!((seen - p).abs() < 5.0 * se, "x = {x}: {seen} vs {p}");
        }
    }

    #[test]
    fn gaussian_calibration_is_tight_and_safe() {
        let budget = calibrate(&options(Mechanism::DiscreteGaussian, 1.0, None)).unwrap();
        assert!(budget.epsilon <= 1.0);
        // One step smaller would overspend.
        let smaller = (budget.numerator - 1) as f64 / GAUSSIAN_DENOMINATOR as f64;
        assert!(zcdp_epsilon(1.0 / (2.0 * smaller), 1e-6) > 1.0);
        assert!(budget.private);
    }

    #[test]
    fn zcdp_conversion_is_below_the_classic_bound() {
        for rho in [0.01, 0.1, 1.0, 5.0] {
            for delta in [1e-3, 1e-9] {
                let eps = zcdp_epsilon(rho, delta);
                let classic = rho + 2.0 * (rho * (1.0f64 / delta).ln()).sqrt();
                assert!(eps <= classic && eps > rho, "rho {rho} delta {delta}");
            }
        }
    }

    #[test]
    fn bad_arguments_are_refused() {
        assert!(calibrate(&options(Mechanism::Laplace, 0.0, None)).is_err());
        assert!(calibrate(&options(Mechanism::Laplace, f64::NAN, None)).is_err());
        let mut o = options(Mechanism::DiscreteGaussian, 1.0, None);
        o.delta = 0.0;
        assert!(matches!(
            calibrate(&o),
            Err(Error::InvalidArgument { name: "delta", .. })
        ));
        let mut o = options(Mechanism::Laplace, 1.0, None);
        o.cells_per_person = 0;
        assert!(calibrate(&o).is_err());
    }

    #[test]
    fn os_randomness_differs_between_calls() {
        let o = options(Mechanism::Laplace, 0.1, None);
        let counts = vec![100; 50];
        let (a, _) = noisy_counts(&counts, &o).unwrap();
        let (b, _) = noisy_counts(&counts, &o).unwrap();
        assert_ne!(a, b);
    }
}
