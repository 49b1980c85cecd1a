//! Small dense linear algebra for the `p × p` matrices of regression models.
//!
//! Regression here has few covariates (`p` up to a few hundred) and many rows (`n` up to
//! millions): the work is in the `O(n p²)` passes that build information matrices, not in the
//! `O(p³)` factorisations of this module. A hand-written Cholesky factorisation on `ndarray`
//! with explicit pivot checks is therefore enough, costs no compile time, and lets the caller say
//! *which* covariate made a matrix singular (see [`collinear_columns`]). `faer` or `nalgebra`
//! would add dozens of crates for no measurable gain at these sizes.
//!
//! Matrices are symmetric and stored in full (both triangles) as `Array2<f64>`.

use ndarray::{Array1, Array2};

/// Relative size below which a Cholesky pivot counts as zero.
pub const PIVOT_TOLERANCE: f64 = 1e-11;

/// The Cholesky factor `L` (lower triangular, `A = L Lᵀ`) of a symmetric positive-definite
/// matrix.
///
/// # Example
/// ```
/// use aluna_stats::linalg::Cholesky;
/// use ndarray::array;
/// let a = array![[4.0, 2.0], [2.0, 3.0]];
/// let chol = Cholesky::new(&a).unwrap();
/// let x = chol.solve(&[2.0, 1.0]);
/// assert!((4.0 * x[0] + 2.0 * x[1] - 2.0).abs() < 1e-12);
/// assert!((chol.inverse()[[0, 0]] - 0.375).abs() < 1e-12);
/// ```
#[derive(Debug, Clone)]
pub struct Cholesky {
    lower: Array2<f64>,
}

impl Cholesky {
    /// Factor `a`; `Err(j)` names the first column whose pivot is not clearly positive
    /// (relative to the diagonal entry, [`PIVOT_TOLERANCE`]), i.e. a column that is a linear
    /// combination of the columns before it, or a matrix that is not positive definite.
    pub fn new(a: &Array2<f64>) -> Result<Self, usize> {
        let p = a.nrows();
        let mut lower = Array2::<f64>::zeros((p, p));
        for j in 0..p {
            let mut d = a[[j, j]];
            for k in 0..j {
                d -= lower[[j, k]] * lower[[j, k]];
            }
            let scale = a[[j, j]].abs().max(f64::MIN_POSITIVE);
            if d.is_nan() || d <= PIVOT_TOLERANCE * scale || !d.is_finite() {
                return Err(j);
            }
            let ljj = d.sqrt();
            lower[[j, j]] = ljj;
            for i in j + 1..p {
                let mut s = a[[i, j]];
                for k in 0..j {
                    s -= lower[[i, k]] * lower[[j, k]];
                }
                lower[[i, j]] = s / ljj;
            }
        }
        Ok(Self { lower })
    }

    /// The dimension `p`.
    pub fn dim(&self) -> usize {
        self.lower.nrows()
    }

    /// Solve `A x = b`.
    pub fn solve(&self, b: &[f64]) -> Vec<f64> {
        let p = self.dim();
        let l = &self.lower;
        let mut y = b.to_vec();
        for i in 0..p {
            let mut s = y[i];
            for k in 0..i {
                s -= l[[i, k]] * y[k];
            }
            y[i] = s / l[[i, i]];
        }
        for i in (0..p).rev() {
            let mut s = y[i];
            for k in i + 1..p {
                s -= l[[k, i]] * y[k];
            }
            y[i] = s / l[[i, i]];
        }
        y
    }

    /// `A⁻¹`, symmetric.
    pub fn inverse(&self) -> Array2<f64> {
        let p = self.dim();
        let mut inv = Array2::<f64>::zeros((p, p));
        let mut e = vec![0.0; p];
        for j in 0..p {
            e.iter_mut().for_each(|v| *v = 0.0);
            e[j] = 1.0;
            let col = self.solve(&e);
            for i in 0..p {
                inv[[i, j]] = col[i];
            }
        }
        // Symmetrise away rounding.
        for i in 0..p {
            for j in 0..i {
                let m = 0.5 * (inv[[i, j]] + inv[[j, i]]);
                inv[[i, j]] = m;
                inv[[j, i]] = m;
            }
        }
        inv
    }

    /// `log det A`.
    pub fn log_det(&self) -> f64 {
        (0..self.dim()).map(|i| 2.0 * self.lower[[i, i]].ln()).sum()
    }
}

/// `xᵀ A x` for a symmetric `A`.
pub fn quadratic_form(a: &Array2<f64>, x: &[f64]) -> f64 {
    let p = x.len();
    let mut s = 0.0;
    for i in 0..p {
        for j in 0..p {
            s += x[i] * a[[i, j]] * x[j];
        }
    }
    s
}

/// `A x`.
pub fn mat_vec(a: &Array2<f64>, x: &[f64]) -> Vec<f64> {
    (0..a.nrows())
        .map(|i| (0..a.ncols()).map(|j| a[[i, j]] * x[j]).sum())
        .collect()
}

/// `A B C` for square matrices (used for sandwich variances `H⁻¹ M H⁻¹`).
pub fn sandwich(bread: &Array2<f64>, meat: &Array2<f64>) -> Array2<f64> {
    let left = bread.dot(meat);
    let mut out = left.dot(bread);
    let p = out.nrows();
    for i in 0..p {
        for j in 0..i {
            let m = 0.5 * (out[[i, j]] + out[[j, i]]);
            out[[i, j]] = m;
            out[[j, i]] = m;
        }
    }
    out
}

/// A column that is (numerically) a linear combination of other columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Dependency {
    /// The dependent column.
    pub column: usize,
    /// The earlier columns it is a combination of (empty: the column is zero, i.e. constant
    /// when the Gram matrix is centred).
    pub on: Vec<usize>,
}

/// The columns of a Gram matrix `G = Xᵀ W X` that are linear combinations of earlier columns.
///
/// Columns are taken in order and kept when their residual after projection on the kept columns
/// is larger than `tolerance` times their own norm (a relative test on the scale of each column,
/// so units do not matter). For each dropped column the kept columns with a non-negligible part
/// in the combination are named. With a centred `G` (`Σ w (x - x̄)(x - x̄)ᵀ`), a zero column is a
/// constant covariate.
///
/// # Example
/// ```
/// use aluna_stats::linalg::{collinear_columns, Dependency};
/// use ndarray::array;
/// // x2 = x0 + x1
/// let g = array![[2.0, 0.0, 2.0], [0.0, 1.0, 1.0], [2.0, 1.0, 3.0]];
/// assert_eq!(collinear_columns(&g, 1e-10), vec![Dependency { column: 2, on: vec![0, 1] }]);
/// ```
pub fn collinear_columns(gram: &Array2<f64>, tolerance: f64) -> Vec<Dependency> {
    let p = gram.nrows();
    let mut kept: Vec<usize> = Vec::new();
    let mut out = Vec::new();
    for j in 0..p {
        let gjj = gram[[j, j]];
        if gjj.is_nan() || gjj <= 0.0 || !gjj.is_finite() {
            out.push(Dependency {
                column: j,
                on: Vec::new(),
            });
            continue;
        }
        if kept.is_empty() {
            kept.push(j);
            continue;
        }
        let k = kept.len();
        let sub = Array2::from_shape_fn((k, k), |(a, b)| gram[[kept[a], kept[b]]]);
        let rhs: Vec<f64> = kept.iter().map(|&a| gram[[a, j]]).collect();
        let Ok(chol) = Cholesky::new(&sub) else {
            kept.push(j);
            continue;
        };
        let coef = chol.solve(&rhs);
        let explained: f64 = coef.iter().zip(&rhs).map(|(c, r)| c * r).sum();
        let residual = gjj - explained;
        if residual <= tolerance * gjj {
            let on = kept
                .iter()
                .zip(&coef)
                .filter(|(&a, c)| (c.abs() * gram[[a, a]].sqrt()) > 1e-6 * gjj.sqrt())
                .map(|(&a, _)| a)
                .collect();
            out.push(Dependency { column: j, on });
        } else {
            kept.push(j);
        }
    }
    out
}

/// The diagonal of a square matrix.
pub fn diagonal(a: &Array2<f64>) -> Array1<f64> {
    a.diag().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn factor_solve_inverse() {
        let a = array![[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]];
        let c = Cholesky::new(&a).unwrap();
        let inv = c.inverse();
        let eye = a.dot(&inv);
        for i in 0..3 {
            for j in 0..3 {
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((eye[[i, j]] - want).abs() < 1e-12);
            }
        }
        let det: f64 = 4.0 * (3.0 * 2.0 - 0.04) - 1.0 * (2.0 - 0.1) + 0.5 * (0.2 - 1.5);
        assert!((c.log_det() - det.ln()).abs() < 1e-12);
    }

    #[test]
    fn singular_pivot_is_named() {
        let a = array![[1.0, 1.0], [1.0, 1.0]];
        assert_eq!(Cholesky::new(&a).unwrap_err(), 1);
        let a = array![[0.0, 0.0], [0.0, 1.0]];
        assert_eq!(Cholesky::new(&a).unwrap_err(), 0);
    }

    #[test]
    fn zero_column_is_constant() {
        let g = array![[1.0, 0.0], [0.0, 0.0]];
        assert_eq!(
            collinear_columns(&g, 1e-10),
            vec![Dependency {
                column: 1,
                on: vec![]
            }]
        );
    }
}
