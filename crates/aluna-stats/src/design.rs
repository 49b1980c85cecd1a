//! The numeric design matrix every model reads, and the checks every model needs.
//!
//! Covariates are expanded into numeric columns (dummies for categories, spline bases,
//! interactions) by the design-matrix layer of the Python package (`aluna._design`), which
//! counts the rows its missing-data policy drops. What arrives here is one finite `f64` per row
//! and column, with the columns' names, stored row-major (`n × p`) because every model sweeps
//! the rows and needs each row's covariates together.

use aluna_core::table::Table;
use aluna_core::{Error, Result};
use ndarray::{s, Array2, ArrayView2};
use rayon::prelude::*;

use crate::linalg::{collinear_columns, Dependency};

/// Rows per block in the parallel passes over a design (a fixed size, so sums are the same for
/// any number of threads).
pub const BLOCK: usize = 4096;

/// A numeric design matrix: `n` rows, `p` named columns, row-major.
#[derive(Debug, Clone)]
pub struct Design {
    x: Array2<f64>,
    names: Vec<String>,
}

impl Design {
    /// A design from a row-major matrix and its column names; every value must be finite.
    ///
    /// # Example
    /// ```
    /// use aluna_stats::design::Design;
    /// use ndarray::array;
    /// let d = Design::new(array![[1.0, 2.0], [3.0, 4.0]], vec!["a".into(), "b".into()]).unwrap();
    /// assert_eq!((d.rows(), d.cols()), (2, 2));
    /// assert!(Design::new(array![[f64::NAN]], vec!["a".into()]).is_err());
    /// ```
    pub fn new(x: Array2<f64>, names: Vec<String>) -> Result<Self> {
        if names.len() != x.ncols() {
            return Err(Error::argument(
                "covariates",
                format!("{} names for {} columns", names.len(), x.ncols()),
            ));
        }
        for (row, values) in x.rows().into_iter().enumerate() {
            if let Some((j, v)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return Err(Error::bad_value(
                    names[j].clone(),
                    row,
                    "a finite number",
                    v,
                ));
            }
        }
        let x = if x.is_standard_layout() {
            x
        } else {
            x.as_standard_layout().to_owned()
        };
        Ok(Self { x, names })
    }

    /// The columns `columns` of a table, read as finite floats (integers and booleans
    /// convert), optionally after a leading column of ones named `intercept`.
    pub fn from_table(table: &Table, columns: &[String], intercept: bool) -> Result<Self> {
        let n = table.num_rows();
        let p = columns.len() + usize::from(intercept);
        let mut x = Array2::<f64>::zeros((n, p));
        let mut names = Vec::with_capacity(p);
        if intercept {
            x.column_mut(0).fill(1.0);
            names.push("intercept".to_string());
        }
        for (k, name) in columns.iter().enumerate() {
            let j = k + usize::from(intercept);
            let values = table
                .column(name)?
                .finite_f64(f64::NEG_INFINITY, "a finite number")?;
            for (i, v) in values.into_iter().enumerate() {
                x[[i, j]] = v;
            }
            names.push(name.clone());
        }
        Ok(Self { x, names })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.x.nrows()
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.x.ncols()
    }

    /// The column names.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The matrix.
    pub fn matrix(&self) -> &Array2<f64> {
        &self.x
    }

    /// Row `i` as a slice.
    pub fn row(&self, i: usize) -> &[f64] {
        let p = self.cols();
        // Standard layout is guaranteed by the constructors.
        &self.x.as_slice().unwrap_or(&[])[i * p..(i + 1) * p]
    }

    /// The weighted column means.
    pub fn means(&self, weights: Option<&[f64]>) -> Vec<f64> {
        let p = self.cols();
        let sums = block_fold(self.rows(), p + 1, |range, acc| {
            for i in range {
                let w = weights.map_or(1.0, |w| w[i]);
                for (a, x) in acc.iter_mut().zip(self.row(i)) {
                    *a += w * x;
                }
                acc[p] += w;
            }
        });
        let total = sums[p].max(f64::MIN_POSITIVE);
        sums[..p].iter().map(|s| s / total).collect()
    }

    /// The weighted Gram matrix `Σ w (x - c)(x - c)ᵀ`, centred on the weighted means if
    /// `centred`.
    pub fn gram(&self, weights: Option<&[f64]>, centred: bool) -> Array2<f64> {
        let p = self.cols();
        let centre = if centred {
            self.means(weights)
        } else {
            vec![0.0; p]
        };
        let sums = block_fold(self.rows(), p * p, |range, acc| {
            let mut z = self.x.slice(s![range.clone(), ..]).to_owned();
            for mut row in z.rows_mut() {
                for (v, c) in row.iter_mut().zip(&centre) {
                    *v -= c;
                }
            }
            let w: Vec<f64> = range.map(|i| weights.map_or(1.0, |w| w[i])).collect();
            add_cross(acc, z.view(), &w);
        });
        full_matrix(sums, p)
    }

    /// `Σ_i u_i x_i x_iᵀ` over all rows, for per-row weights `u` (any sign), by blocked matrix
    /// products, in parallel with a fixed block order.
    pub fn weighted_cross(&self, u: &[f64]) -> Array2<f64> {
        let p = self.cols();
        let sums = block_fold(self.rows(), p * p, |range, acc| {
            let xb = self.x.slice(s![range.clone(), ..]);
            add_cross(acc, xb, &u[range]);
        });
        full_matrix(sums, p)
    }

    /// Check that no column is constant or a linear combination of others, naming them.
    ///
    /// `centred`: compare columns after removing their means, for models with an intercept (in
    /// the first column, `intercept_first`) or with none at all (Cox), where a constant column
    /// is singular. Without centring (a logistic model without intercept) only all-zero columns
    /// and exact combinations are.
    ///
    /// # Example
    /// ```
    /// use aluna_stats::design::Design;
    /// use ndarray::array;
    /// let x = array![[1.0, 5.0, 2.0], [2.0, 5.0, 4.0], [3.0, 5.0, 6.0]];
    /// let d = Design::new(x, vec!["age".into(), "flag".into(), "age2".into()]).unwrap();
    /// let err = d.check_rank(None, false, true, "CoxPH").unwrap_err().to_string();
    /// assert!(err.contains("`flag` is constant"));
    /// assert!(err.contains("`age2` is collinear with `age`"));
    /// ```
    pub fn check_rank(
        &self,
        weights: Option<&[f64]>,
        intercept_first: bool,
        centred: bool,
        model: &'static str,
    ) -> Result<()> {
        let gram = self.gram(weights, centred);
        let skip = usize::from(intercept_first && centred);
        let p = self.cols();
        let sub = Array2::from_shape_fn((p - skip, p - skip), |(a, b)| gram[[a + skip, b + skip]]);
        let deps: Vec<Dependency> = collinear_columns(&sub, 1e-10)
            .into_iter()
            .map(|d| Dependency {
                column: d.column + skip,
                on: d.on.into_iter().map(|j| j + skip).collect(),
            })
            .collect();
        if deps.is_empty() {
            return Ok(());
        }
        Err(Error::Singular {
            model,
            detail: describe_dependencies(&deps, &self.names),
        })
    }
}

/// A readable account of dependent columns, e.g. "`flag` is constant; `b` is collinear with `a`".
pub fn describe_dependencies(deps: &[Dependency], names: &[String]) -> String {
    let parts: Vec<String> = deps
        .iter()
        .map(|d| {
            let on: Vec<&String> =
                d.on.iter()
                    .map(|&j| &names[j])
                    .filter(|n| n.as_str() != "intercept")
                    .collect();
            if on.is_empty() {
                format!("`{}` is constant", names[d.column])
            } else {
                let list: Vec<String> = on.iter().map(|n| format!("`{n}`")).collect();
                format!(
                    "`{}` is collinear with {}",
                    names[d.column],
                    list.join(", ")
                )
            }
        })
        .collect();
    format!("{}; drop or combine these covariates", parts.join("; "))
}

/// Add `Σ_i w_i x_i x_iᵀ` over the rows of a block to a row-major `p × p` accumulator, as one
/// matrix product `Xᵀ (W X)` (`matrixmultiply`'s kernels through `ndarray`).
pub fn add_cross(acc: &mut [f64], xb: ArrayView2<'_, f64>, w: &[f64]) {
    let mut wx = xb.to_owned();
    for (mut row, &wi) in wx.rows_mut().into_iter().zip(w) {
        row.mapv_inplace(|v| v * wi);
    }
    let m = xb.t().dot(&wx);
    for (a, v) in acc.iter_mut().zip(m.iter()) {
        *a += v;
    }
}

/// A `p × p` matrix from a row-major buffer, symmetrised.
pub fn full_matrix(values: Vec<f64>, p: usize) -> Array2<f64> {
    let mut m = Array2::from_shape_vec((p, p), values).unwrap_or_else(|_| Array2::zeros((p, p)));
    for i in 0..p {
        for j in 0..i {
            let v = 0.5 * (m[[i, j]] + m[[j, i]]);
            m[[i, j]] = v;
            m[[j, i]] = v;
        }
    }
    m
}

/// Add `w z zᵀ` to the upper triangle of a `p × p` row-major accumulator.
#[inline]
pub fn add_outer_upper(acc: &mut [f64], z: &[f64], w: f64) {
    let p = z.len();
    for a in 0..p {
        let wa = w * z[a];
        if wa == 0.0 {
            continue;
        }
        let row = &mut acc[a * p..(a + 1) * p];
        for b in a..p {
            row[b] += wa * z[b];
        }
    }
}

/// A full symmetric matrix from the upper triangle of a row-major `p × p` buffer.
pub fn symmetric_from_upper(upper: &[f64], p: usize) -> Array2<f64> {
    Array2::from_shape_fn((p, p), |(i, j)| {
        if i <= j {
            upper[i * p + j]
        } else {
            upper[j * p + i]
        }
    })
}

/// Fold rows `0..n` into `len` floats in fixed blocks of [`BLOCK`] rows, in parallel, adding
/// block results in block order: the same bits for any number of threads.
pub fn block_fold<F>(n: usize, len: usize, fold: F) -> Vec<f64>
where
    F: Fn(std::ops::Range<usize>, &mut [f64]) + Sync,
{
    let ranges = aluna_core::parallel::chunks(n, BLOCK);
    let parts: Vec<Vec<f64>> = ranges
        .par_iter()
        .map(|r| {
            let mut acc = vec![0.0; len];
            fold(r.clone(), &mut acc);
            acc
        })
        .collect();
    let mut total = vec![0.0; len];
    for part in &parts {
        total.iter_mut().zip(part).for_each(|(t, x)| *t += x);
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn gram_centred() {
        let d = Design::new(array![[1.0], [3.0]], vec!["a".into()]).unwrap();
        assert_eq!(d.gram(None, true)[[0, 0]], 2.0);
        assert_eq!(d.gram(None, false)[[0, 0]], 10.0);
        assert_eq!(d.means(Some(&[1.0, 3.0])), vec![2.5]);
    }

    #[test]
    fn block_fold_is_thread_independent() {
        let n = 50_000;
        let f = |r: std::ops::Range<usize>, acc: &mut [f64]| {
            for i in r {
                acc[0] += 1.0 / (i as f64 + 1.0);
            }
        };
        let one = aluna_core::parallel::install(Some(1), || block_fold(n, 1, f)).unwrap();
        let two = aluna_core::parallel::install(Some(2), || block_fold(n, 1, f)).unwrap();
        assert_eq!(one[0].to_bits(), two[0].to_bits());
    }
}
