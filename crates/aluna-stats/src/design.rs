//! The numeric design matrix every model reads, and the checks every model needs.
//!
//! Covariates are expanded into numeric columns (dummies for categories, spline bases,
//! interactions) by the design-matrix layer of the Python package (`aluna._design`), which
//! counts the rows its missing-data policy drops. What arrives here is one finite `f64` per row
//! and column, with the columns' names, stored row-major (`n × p`) because every model sweeps
//! the rows and needs each row's covariates together.

use aluna_core::table::Table;
use aluna_core::{Error, Result};
use ndarray::Array2;
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
    ///
    /// `Float64` columns without nulls are read in place (no copy); the row-major matrix is
    /// filled in tiles of rows, in parallel. A non-finite value is an error naming the first
    /// offending column (in the order given) and its first bad row.
    pub fn from_table(table: &Table, columns: &[String], intercept: bool) -> Result<Self> {
        let n = table.num_rows();
        let p = columns.len() + usize::from(intercept);
        let mut owned: Vec<Vec<f64>> = Vec::new();
        let mut borrowed: Vec<Option<&[f64]>> = Vec::with_capacity(columns.len());
        for name in columns {
            let column = table.column(name)?;
            match column.f64_slices() {
                Some(slices) if slices.len() == 1 => borrowed.push(Some(slices[0])),
                _ => {
                    owned.push(column.f64_values("a finite number")?);
                    borrowed.push(None);
                }
            }
        }
        let mut owned_iter = owned.iter();
        let sources: Vec<&[f64]> = borrowed
            .into_iter()
            .map(|b| b.unwrap_or_else(|| owned_iter.next().map_or(&[][..], |v| &v[..])))
            .collect();
        if let Some(k) = sources.iter().position(|s| s.len() != n) {
            return Err(Error::argument(
                "covariates",
                format!(
                    "column `{}` has {} rows, not {n}",
                    columns[k],
                    sources[k].len()
                ),
            ));
        }
        let mut data = vec![0.0f64; n * p];
        let finite = transpose_into(&mut data, &sources, p, intercept);
        if !finite {
            for (k, values) in sources.iter().enumerate() {
                if let Some((row, v)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                    return Err(Error::bad_value(
                        columns[k].clone(),
                        row,
                        "a finite number",
                        v,
                    ));
                }
            }
        }
        let mut names = Vec::with_capacity(p);
        if intercept {
            names.push("intercept".to_string());
        }
        names.extend(columns.iter().cloned());
        let x = Array2::from_shape_vec((n, p), data)
            .map_err(|e| Error::argument("covariates", e.to_string()))?;
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

    /// The matrix as one row-major slice (`n × p`).
    pub fn as_slice(&self) -> &[f64] {
        // Standard layout is guaranteed by the constructors.
        self.x.as_slice().unwrap_or(&[])
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
        let x = self.as_slice();
        let sums = block_fold(self.rows(), p * p, |range, acc| {
            let mut z = Vec::with_capacity(range.len() * p);
            for i in range.clone() {
                for (v, c) in x[i * p..(i + 1) * p].iter().zip(&centre) {
                    z.push(v - c);
                }
            }
            let w: Vec<f64> = range.map(|i| weights.map_or(1.0, |w| w[i])).collect();
            add_weighted_cross_upper(acc, &z, p, &w);
        });
        symmetric_from_upper(&sums, p)
    }

    /// `Σ_i u_i x_i x_iᵀ` over all rows, for per-row weights `u` (any sign), by blocked matrix
    /// products, in parallel with a fixed block order.
    pub fn weighted_cross(&self, u: &[f64]) -> Array2<f64> {
        weighted_cross_rows(self.as_slice(), self.cols(), u)
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
        self.check_gram(&gram, usize::from(intercept_first && centred), model)
    }

    /// [`Design::check_rank`] for a Gram matrix the caller already has (e.g. of a centred,
    /// reordered copy of the design), ignoring its first `skip` columns.
    pub fn check_gram(&self, gram: &Array2<f64>, skip: usize, model: &'static str) -> Result<()> {
        check_gram(gram, &self.names, skip, model)
    }
}

/// [`Design::check_gram`] for columns named `names`: [`Error::Singular`] naming constant and
/// collinear columns of `gram` (any positive semi-definite cross-product matrix of the
/// columns), ignoring its first `skip` columns.
pub fn check_gram(
    gram: &Array2<f64>,
    names: &[String],
    skip: usize,
    model: &'static str,
) -> Result<()> {
    let p = gram.nrows();
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
        detail: describe_dependencies(&deps, names),
    })
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

/// `Σ_i u_i x_i x_iᵀ` for a row-major `n × p` matrix `x` (a slice), in blocks of [`BLOCK`] rows
/// in parallel, summed in block order: the same bits for any number of threads.
pub fn weighted_cross_rows(x: &[f64], p: usize, u: &[f64]) -> Array2<f64> {
    let n = u.len();
    let sums = block_fold(n, p * p, |range, acc| {
        add_weighted_cross_upper(acc, &x[range.start * p..range.end * p], p, &u[range]);
    });
    symmetric_from_upper(&sums, p)
}

/// Rows per sub-block that [`add_weighted_cross_upper`] turns into columns (in L2 for the
/// `p` of regression models).
const SUB_BLOCK: usize = 512;

/// Add the upper triangle of `Σ_i u_i x_i x_iᵀ` over the rows of a row-major block `x` (`p`
/// columns) to a row-major `p × p` accumulator.
///
/// Sub-blocks of rows are turned into columns (and their `u`-scaled copies) in cache and handed
/// to [`crate::columns::cross_upper`], the one Gram kernel of the crate (upper triangle, vector
/// tiles): row-major designs and column-major ones share it.
///
/// # Example
/// ```
/// use aluna_stats::design::add_weighted_cross_upper;
/// let x = [1.0, 2.0, 3.0, 4.0]; // two rows, two columns
/// let mut acc = [0.0; 4];
/// add_weighted_cross_upper(&mut acc, &x, 2, &[1.0, 0.5]);
/// // The upper triangle (the lower one is left alone).
/// assert_eq!(acc, [1.0 + 4.5, 2.0 + 6.0, 0.0, 4.0 + 8.0]);
/// ```
pub fn add_weighted_cross_upper(acc: &mut [f64], x: &[f64], p: usize, u: &[f64]) {
    if p == 0 || u.is_empty() {
        return;
    }
    let mut cols = vec![0.0; p * SUB_BLOCK];
    let mut scaled = vec![0.0; p * SUB_BLOCK];
    for (rows, us) in x.chunks(SUB_BLOCK * p).zip(u.chunks(SUB_BLOCK)) {
        let m = us.len();
        // Column by column: sequential writes, reads strided through rows already in cache.
        for (j, (col, zcol)) in cols
            .chunks_exact_mut(m)
            .zip(scaled.chunks_exact_mut(m))
            .take(p)
            .enumerate()
        {
            for (((c, z), row), &w) in col
                .iter_mut()
                .zip(zcol.iter_mut())
                .zip(rows.chunks_exact(p))
                .zip(us)
            {
                *c = row[j];
                *z = w * row[j];
            }
        }
        let xs: Vec<&[f64]> = cols[..p * m].chunks_exact(m).collect();
        let zs: Vec<&[f64]> = scaled[..p * m].chunks_exact(m).collect();
        crate::columns::cross_upper(&zs, &xs, &[], acc);
    }
}

/// `x · β` for one row, with four partial sums (a short dependency chain; the same bits on
/// every call).
#[inline]
pub fn dot4(x: &[f64], beta: &[f64]) -> f64 {
    let mut s = [0.0f64; 4];
    let mut xc = x.chunks_exact(4);
    let mut bc = beta.chunks_exact(4);
    for (a, b) in (&mut xc).zip(&mut bc) {
        s[0] += a[0] * b[0];
        s[1] += a[1] * b[1];
        s[2] += a[2] * b[2];
        s[3] += a[3] * b[3];
    }
    let mut tail = 0.0;
    for (a, b) in xc.remainder().iter().zip(bc.remainder()) {
        tail += a * b;
    }
    (s[0] + s[1]) + (s[2] + s[3]) + tail
}

/// Rows per tile when a row-major matrix is filled from columns.
const TILE: usize = 64;

/// Fill the row-major `n × p` buffer `data` from columns (after a leading column of ones if
/// `intercept`), in tiles of rows, in parallel; returns whether every value was finite.
fn transpose_into(data: &mut [f64], sources: &[&[f64]], p: usize, intercept: bool) -> bool {
    if p == 0 {
        return true;
    }
    let lead = usize::from(intercept);
    data.par_chunks_mut(TILE * p)
        .enumerate()
        .map(|(t, tile)| {
            let first = t * TILE;
            let rows = tile.len() / p;
            let mut bad = 0usize;
            if intercept {
                for r in 0..rows {
                    tile[r * p] = 1.0;
                }
            }
            for (k, src) in sources.iter().enumerate() {
                let j = k + lead;
                for (r, &v) in src[first..first + rows].iter().enumerate() {
                    tile[r * p + j] = v;
                    bad += usize::from(!v.is_finite());
                }
            }
            bad == 0
        })
        .reduce(|| true, |a, b| a && b)
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
    add_in_order(&parts, len)
}

/// The element-wise sum of `parts` (each `len` long), added in order: the fixed order that
/// makes block-parallel sums the same for any number of threads.
pub(crate) fn add_in_order(parts: &[Vec<f64>], len: usize) -> Vec<f64> {
    let mut total = vec![0.0; len];
    for part in parts {
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
    fn weighted_cross_matches_the_sum_of_outer_products() {
        for p in 1..=26 {
            let n = 1301;
            let x: Vec<f64> = (0..n * p)
                .map(|k| ((k / p * 31 + k % p * 17) % 23) as f64 / 7.0 - 1.5)
                .collect();
            let u: Vec<f64> = (0..n).map(|i| ((i * 13) % 11) as f64 / 3.0 - 1.0).collect();
            let got = weighted_cross_rows(&x, p, &u);
            for a in 0..p {
                for b in 0..p {
                    let want: f64 = (0..n).map(|i| u[i] * x[i * p + a] * x[i * p + b]).sum();
                    assert!(
                        (got[[a, b]] - want).abs() <= 1e-12 * (1.0 + want.abs()),
                        "p {p} ({a}, {b}): {} vs {want}",
                        got[[a, b]]
                    );
                }
            }
        }
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
