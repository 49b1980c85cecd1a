//! Weighted least squares with classical, heteroscedasticity-robust and cluster-robust
//! covariances: the outcome models of doubly robust effects and the regressions of
//! difference-in-differences.
//!
//! The fit solves the normal equations `XᵀWX β = XᵀWy` by Cholesky (`p` is small, `n` large: the
//! cost is one `O(n p²)` pass, in fixed blocks of rows summed in block order, so results are the
//! same for any number of threads). Constant or collinear columns are named, as for every model.

use aluna_core::{ensure, Error, Result};
use ndarray::Array2;

use crate::design::{add_outer_upper, block_fold, symmetric_from_upper, Design};
use crate::linalg::{collinear_columns, sandwich, Cholesky};

/// A fitted weighted least-squares regression.
#[derive(Debug, Clone)]
pub struct LinearFit {
    /// Coefficients, in the design's column order.
    pub coef: Vec<f64>,
    /// `(XᵀWX)⁻¹`, the bread of every covariance.
    pub bread: Array2<f64>,
    /// Residuals `y − Xβ` (unweighted), one per row.
    pub residuals: Vec<f64>,
    /// `Σ w e²`, the weighted residual sum of squares.
    pub residual_sum_of_squares: f64,
    /// Rows with a positive weight.
    pub rows_used: usize,
}

/// Which covariance of a [`LinearFit`] to compute.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LinearCovariance<'a> {
    /// `σ² (XᵀWX)⁻¹` with `σ² = Σ w e² / (n − k)`.
    Classical,
    /// White's `(XᵀWX)⁻¹ (Σ w² e² x xᵀ) (XᵀWX)⁻¹` (HC0).
    Hc0,
    /// HC0 times `n / (n − k)` (HC1, Stata's `robust`, statsmodels' `HC1`).
    Hc1,
    /// Cluster-robust, clusters given as codes per row, times `G/(G−1) · (n−1)/(n−k)` (Stata,
    /// statsmodels).
    Cluster(&'a [u32]),
}

/// Fit `y` on the design's columns by weighted least squares.
///
/// Rows with weight 0 take no part (they are how bootstraps and arm-wise fits select rows).
///
/// # Errors
/// [`Error::Singular`] naming constant or collinear columns (`model` names the caller);
/// [`Error::Empty`] when no row has a positive weight.
///
/// # Example
/// ```
/// use aluna_stats::design::Design;
/// use aluna_stats::linear::fit_linear;
/// use ndarray::array;
/// let x = array![[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0]];
/// let d = Design::new(x, vec!["intercept".into(), "x".into()]).unwrap();
/// let fit = fit_linear(&d, &[1.0, 3.0, 5.0, 7.0], None, "LinearRegression").unwrap();
/// assert!((fit.coef[0] - 1.0).abs() < 1e-12 && (fit.coef[1] - 2.0).abs() < 1e-12);
/// ```
pub fn fit_linear(
    design: &Design,
    y: &[f64],
    weights: Option<&[f64]>,
    model: &'static str,
) -> Result<LinearFit> {
    let n = design.rows();
    let p = design.cols();
    ensure!(
        y.len() == n,
        Error::argument("outcome", format!("{} outcomes for {n} rows", y.len()))
    );
    let rows_used = weights.map_or(n, |w| w.iter().filter(|&&v| v > 0.0).count());
    ensure!(
        rows_used > 0,
        Error::Empty {
            what: format!("{model}: no rows to fit"),
        }
    );
    let sums = block_fold(n, p * p + p, |range, acc| {
        let (gram, xty) = acc.split_at_mut(p * p);
        for i in range {
            let w = weights.map_or(1.0, |w| w[i]);
            if w == 0.0 {
                continue;
            }
            let x = design.row(i);
            add_outer_upper(gram, x, w);
            for (a, v) in xty.iter_mut().zip(x) {
                *a += w * v * y[i];
            }
        }
    });
    let gram = symmetric_from_upper(&sums[..p * p], p);
    let chol = Cholesky::new(&gram).map_err(|_| {
        let deps = collinear_columns(&gram, 1e-10);
        Error::Singular {
            model,
            detail: if deps.is_empty() {
                "the cross-product matrix is not positive definite".into()
            } else {
                crate::design::describe_dependencies(&deps, design.names())
            },
        }
    })?;
    let coef = chol.solve(&sums[p * p..]);
    let residuals: Vec<f64> = (0..n)
        .map(|i| {
            y[i] - design
                .row(i)
                .iter()
                .zip(&coef)
                .map(|(a, b)| a * b)
                .sum::<f64>()
        })
        .collect();
    let rss = block_fold(n, 1, |range, acc| {
        for i in range {
            let w = weights.map_or(1.0, |w| w[i]);
            acc[0] += w * residuals[i] * residuals[i];
        }
    })[0];
    Ok(LinearFit {
        coef,
        bread: chol.inverse(),
        residuals,
        residual_sum_of_squares: rss,
        rows_used,
    })
}

/// The covariance of a linear fit's coefficients.
///
/// `absorbed` counts parameters swept out before the fit (fixed effects removed by demeaning),
/// so that the small-sample factors use `k = p + absorbed`, as a regression with the dummy
/// columns themselves would (statsmodels' OLS with unit and period dummies).
///
/// # Errors
/// [`Error::InvalidArgument`] for fewer than two clusters, or `n ≤ k`.
///
/// # Example
/// ```
/// use aluna_stats::design::Design;
/// use aluna_stats::linear::{fit_linear, linear_covariance, LinearCovariance};
/// use ndarray::array;
/// let x = array![[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0]];
/// let d = Design::new(x, vec!["intercept".into(), "x".into()]).unwrap();
/// let fit = fit_linear(&d, &[1.0, 3.5, 5.0, 7.5], None, "LinearRegression").unwrap();
/// let v = linear_covariance(&d, None, &fit, LinearCovariance::Hc1, 0).unwrap();
/// assert!(v[[1, 1]] > 0.0);
/// ```
pub fn linear_covariance(
    design: &Design,
    weights: Option<&[f64]>,
    fit: &LinearFit,
    kind: LinearCovariance<'_>,
    absorbed: usize,
) -> Result<Array2<f64>> {
    let p = design.cols();
    let n = fit.rows_used as f64;
    let k = (p + absorbed) as f64;
    ensure!(
        n > k,
        Error::argument(
            "covariates",
            format!("{n} rows for {k} parameters: no residual degrees of freedom")
        )
    );
    let score = |i: usize| weights.map_or(1.0, |w| w[i]) * fit.residuals[i];
    match kind {
        LinearCovariance::Classical => {
            let s2 = fit.residual_sum_of_squares / (n - k);
            Ok(fit.bread.mapv(|v| v * s2))
        }
        LinearCovariance::Hc0 | LinearCovariance::Hc1 => {
            let u: Vec<f64> = (0..design.rows()).map(|i| score(i).powi(2)).collect();
            let meat = design.weighted_cross(&u);
            let mut v = sandwich(&fit.bread, &meat);
            if kind == LinearCovariance::Hc1 {
                v.mapv_inplace(|x| x * n / (n - k));
            }
            Ok(v)
        }
        LinearCovariance::Cluster(codes) => {
            ensure!(
                codes.len() == design.rows(),
                Error::argument(
                    "cluster",
                    format!("{} codes for {} rows", codes.len(), design.rows())
                )
            );
            let groups = codes.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
            let mut sums = vec![0.0; groups * p];
            let mut seen = vec![false; groups];
            for (i, &g) in codes.iter().enumerate() {
                if weights.is_some_and(|w| w[i] == 0.0) {
                    continue;
                }
                let g = g as usize;
                seen[g] = true;
                let r = score(i);
                for (s, x) in sums[g * p..(g + 1) * p].iter_mut().zip(design.row(i)) {
                    *s += r * x;
                }
            }
            let used = seen.iter().filter(|&&s| s).count();
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
            let factor = g / (g - 1.0) * (n - 1.0) / (n - k);
            let mut v = sandwich(&fit.bread, &symmetric_from_upper(&upper, p));
            v.mapv_inplace(|x| x * factor);
            Ok(v)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn weights_equal_repeated_rows() {
        let x = array![[1.0, 0.5], [1.0, 1.5], [1.0, 2.0], [1.0, 4.0]];
        let d = Design::new(x, vec!["intercept".into(), "x".into()]).unwrap();
        let y = [1.0, 2.0, 2.5, 6.0];
        let fit = fit_linear(&d, &y, Some(&[2.0, 1.0, 0.0, 1.0]), "t").unwrap();
        let x2 = array![[1.0, 0.5], [1.0, 0.5], [1.0, 1.5], [1.0, 4.0]];
        let d2 = Design::new(x2, vec!["intercept".into(), "x".into()]).unwrap();
        let fit2 = fit_linear(&d2, &[1.0, 1.0, 2.0, 6.0], None, "t").unwrap();
        for j in 0..2 {
            assert!((fit.coef[j] - fit2.coef[j]).abs() < 1e-12);
        }
        assert_eq!(fit.rows_used, 3);
    }

    #[test]
    fn collinear_columns_are_named() {
        let x = array![[1.0, 1.0, 2.0], [1.0, 2.0, 4.0], [1.0, 3.0, 6.0]];
        let d = Design::new(x, vec!["intercept".into(), "a".into(), "b".into()]).unwrap();
        let err = fit_linear(&d, &[1.0, 2.0, 3.0], None, "t").unwrap_err();
        assert!(
            err.to_string().contains("`b` is collinear with `a`"),
            "{err}"
        );
    }

    #[test]
    fn cluster_needs_two_clusters() {
        let x = array![[1.0], [1.0], [1.0]];
        let d = Design::new(x, vec!["intercept".into()]).unwrap();
        let fit = fit_linear(&d, &[1.0, 2.0, 4.0], None, "t").unwrap();
        let err = linear_covariance(&d, None, &fit, LinearCovariance::Cluster(&[0, 0, 0]), 0);
        assert!(err.is_err());
        let v = linear_covariance(&d, None, &fit, LinearCovariance::Cluster(&[0, 1, 1]), 0);
        assert!(v.unwrap()[[0, 0]] > 0.0);
    }
}
