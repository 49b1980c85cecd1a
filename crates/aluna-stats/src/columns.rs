//! A column-major design read in place, and the blocked kernels of models that sweep it.
//!
//! [`Design`] holds a row-major copy of the covariates. Generalised linear models only need, per
//! block of rows, the linear predictor `Xβ`, score sums `Σ r_i x_i` and the weighted Gram matrix
//! `Σ h_i x_i x_iᵀ`, all of which read columns just as well: [`Columns`] borrows the table's
//! `Float64` columns without copying them (other types are converted once) and the kernels below
//! work on fixed blocks of [`BLOCK`] rows, column by column.
//!
//! The Gram kernel computes the upper triangle only (`p (p + 1) / 2` dot products), in tiles of
//! two by four columns with four lanes per accumulator (eight with AVX-512), so that each loaded
//! value serves several products, and prefetches the next rows' columns as it goes. On x86-64
//! CPUs with AVX-512F, or AVX2 and FMA, vector code is chosen at run time; the lanes, the tiles
//! and the order of every sum are fixed, so results are the same for any number of threads
//! (blocks are summed in block order by the callers). The paths differ in their last bits: on
//! CPUs without FMA the products are rounded before they are added, and AVX-512 adds eight
//! lanes instead of four.

use std::borrow::Cow;
use std::ops::Range;

use aluna_core::table::Table;
use aluna_core::{Error, Result};
use rayon::prelude::*;

use crate::design::{Design, BLOCK};

/// Lanes per accumulator in the kernels.
const LANES: usize = 4;

/// A column of ones as long as a block (the intercept's values).
static ONES: [f64; BLOCK] = [1.0; BLOCK];

#[derive(Debug, Clone)]
enum Source<'a> {
    Ones,
    Values(Cow<'a, [f64]>),
}

/// A numeric design stored by column: `n` rows, `p` named columns, each a contiguous slice
/// (borrowed from the table when it is a `Float64` column without nulls in one chunk).
///
/// # Example
/// ```
/// use aluna_stats::columns::Columns;
/// use aluna_stats::design::Design;
/// use ndarray::array;
/// let d = Design::new(array![[1.0, 2.0], [1.0, 4.0]], vec!["intercept".into(), "a".into()]).unwrap();
/// let c = Columns::from_design(&d);
/// assert_eq!((c.rows(), c.cols()), (2, 2));
/// assert_eq!(c.block(1, 0..2), &[2.0, 4.0]);
/// ```
#[derive(Debug, Clone)]
pub struct Columns<'a> {
    sources: Vec<Source<'a>>,
    names: Vec<String>,
    n: usize,
}

impl<'a> Columns<'a> {
    /// The columns `columns` of a table, after a leading column of ones named `intercept` if
    /// `intercept`; every value must be finite (integers and booleans convert).
    ///
    /// # Errors
    /// A missing column, a null, or a non-finite value (naming the first offending column, in
    /// the order given, and its first bad row), as [`Design::from_table`].
    pub fn from_table(table: &'a Table, columns: &[String], intercept: bool) -> Result<Self> {
        let n = table.num_rows();
        let mut sources = Vec::with_capacity(columns.len() + 1);
        let mut names = Vec::with_capacity(columns.len() + 1);
        if intercept {
            sources.push(Source::Ones);
            names.push("intercept".to_string());
        }
        for name in columns {
            let column = table.column(name)?;
            let values = match column.f64_slices() {
                Some(slices) if slices.len() == 1 => Cow::Borrowed(slices[0]),
                _ => Cow::Owned(column.f64_values("a finite number")?),
            };
            if values.len() != n {
                return Err(Error::argument(
                    "covariates",
                    format!("column `{name}` has {} rows, not {n}", values.len()),
                ));
            }
            sources.push(Source::Values(values));
            names.push(name.clone());
        }
        let out = Self { sources, names, n };
        out.check_finite()?;
        Ok(out)
    }

    /// The columns of a row-major design (copied); a column named `intercept` whose values are
    /// all one is kept as the implicit column of ones.
    pub fn from_design(design: &Design) -> Columns<'static> {
        let (n, p) = (design.rows(), design.cols());
        let x = design.as_slice();
        let sources = (0..p)
            .map(|j| {
                let values: Vec<f64> = (0..n).map(|i| x[i * p + j]).collect();
                if design.names()[j] == "intercept" && values.iter().all(|&v| v == 1.0) {
                    Source::Ones
                } else {
                    Source::Values(Cow::Owned(values))
                }
            })
            .collect();
        Columns {
            sources,
            names: design.names().to_vec(),
            n,
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.n
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.sources.len()
    }

    /// The column names.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Rows `range` of column `j` (at most [`BLOCK`] rows for the intercept).
    pub fn block(&self, j: usize, range: Range<usize>) -> &[f64] {
        match &self.sources[j] {
            Source::Ones => &ONES[..range.len().min(BLOCK)],
            Source::Values(v) => &v[range],
        }
    }

    /// All rows of column `j`, or `None` for the implicit column of ones.
    pub fn column(&self, j: usize) -> Option<&[f64]> {
        match &self.sources[j] {
            Source::Ones => None,
            Source::Values(v) => Some(v),
        }
    }

    /// The weighted mean of column `j`, `Σ w x / total` (`total`: [`weight_total`]), a
    /// four-lane sum.
    pub fn mean(&self, j: usize, weights: Option<&[f64]>, total: f64) -> f64 {
        match (self.column(j), weights) {
            (None, _) => 1.0,
            (Some(v), Some(w)) => dot(v, w) / total,
            (Some(v), None) => sum(v) / total,
        }
    }

    /// The value at row `i`, column `j`.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        match &self.sources[j] {
            Source::Ones => 1.0,
            Source::Values(v) => v[i],
        }
    }

    /// The rows `rows` (in that order), copied.
    pub fn take_rows(&self, rows: &[usize]) -> Columns<'static> {
        let sources = self
            .sources
            .iter()
            .map(|s| match s {
                Source::Ones => Source::Ones,
                Source::Values(v) => {
                    Source::Values(Cow::Owned(rows.iter().map(|&i| v[i]).collect()))
                }
            })
            .collect();
        Columns {
            sources,
            names: self.names.clone(),
            n: rows.len(),
        }
    }

    /// Rows `range` (at most [`BLOCK`]) of every column.
    pub fn blocks(&self, range: Range<usize>) -> Vec<&[f64]> {
        (0..self.cols())
            .map(|j| self.block(j, range.clone()))
            .collect()
    }

    fn check_finite(&self) -> Result<()> {
        let bad = self
            .sources
            .par_iter()
            .map(|s| match s {
                Source::Ones => true,
                Source::Values(v) => all_finite(v),
            })
            .collect::<Vec<bool>>();
        for (j, ok) in bad.into_iter().enumerate() {
            if ok {
                continue;
            }
            if let Source::Values(v) = &self.sources[j] {
                if let Some((row, v)) = v.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                    return Err(Error::bad_value(
                        self.names[j].clone(),
                        row,
                        "a finite number",
                        v,
                    ));
                }
            }
        }
        Ok(())
    }

    /// The weighted sum of squares of each column about its weighted mean,
    /// `Σ w_i (x_ij − x̄_j)²`, with the weighted total `Σ w_i`.
    pub fn centred_squares(&self, weights: Option<&[f64]>) -> (Vec<f64>, f64) {
        let total: f64 = weights.map_or(self.n as f64, |w| w.iter().sum());
        let denom = total.max(f64::MIN_POSITIVE);
        let out = (0..self.cols())
            .map(|j| {
                let column = |i: usize| self.get(i, j);
                let w = |i: usize| weights.map_or(1.0, |w| w[i]);
                let mean = (0..self.n).map(|i| w(i) * column(i)).sum::<f64>() / denom;
                (0..self.n)
                    .map(|i| w(i) * (column(i) - mean).powi(2))
                    .sum::<f64>()
            })
            .collect();
        (out, total)
    }
}

/// `Σ w` (`n` without weights), at least the smallest positive number: the denominator of
/// weighted means.
pub fn weight_total(n: usize, weights: Option<&[f64]>) -> f64 {
    weights
        .map_or(n as f64, |w| w.iter().sum::<f64>())
        .max(f64::MIN_POSITIVE)
}

/// Whether every value is finite, eight at a time.
fn all_finite(v: &[f64]) -> bool {
    let mut chunks = v.chunks_exact(8);
    let ok = chunks
        .by_ref()
        .all(|c| c.iter().fold(true, |ok, x| ok & x.is_finite()));
    ok && chunks.remainder().iter().all(|x| x.is_finite())
}

/// `a · b + c`, fused when `FMA`.
#[inline(always)]
fn madd<const FMA: bool>(a: f64, b: f64, c: f64) -> f64 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// Whether the CPU has AVX2 and FMA (checked once per call of a kernel; the check is cached
/// by the standard library).
#[inline]
pub(crate) fn has_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `out[i] = Σ_j β_j x_j[i]` for one block (columns in order; `out` as long as the block).
#[inline(always)]
fn linear_predictor_impl<const FMA: bool>(x: &[&[f64]], beta: &[f64], out: &mut [f64]) {
    out.iter_mut().for_each(|v| *v = 0.0);
    for (col, &b) in x.iter().zip(beta) {
        if b == 0.0 {
            continue;
        }
        for (o, &v) in out.iter_mut().zip(col.iter()) {
            *o = madd::<FMA>(v, b, *o);
        }
    }
}

/// `Σ_i a_i b_i` in four lanes, added as `(l0 + l1) + (l2 + l3)` after the tail.
#[inline(always)]
fn dot_impl<const FMA: bool>(a: &[f64], b: &[f64]) -> f64 {
    let m = a.len().min(b.len());
    let (a, b) = (&a[..m], &b[..m]);
    let mut acc = [0.0f64; LANES];
    let mut ac = a.chunks_exact(LANES);
    let mut bc = b.chunks_exact(LANES);
    for (x, y) in (&mut ac).zip(&mut bc) {
        for l in 0..LANES {
            acc[l] = madd::<FMA>(x[l], y[l], acc[l]);
        }
    }
    for (l, (x, y)) in ac.remainder().iter().zip(bc.remainder()).enumerate() {
        acc[l] = madd::<FMA>(*x, *y, acc[l]);
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

/// `z[i] = h[i] x[i]` and `Σ_i r_i x_i` (four lanes) in one sweep of `x`.
#[inline(always)]
fn scale_dot_impl<const FMA: bool>(x: &[f64], h: &[f64], r: &[f64], z: &mut [f64]) -> f64 {
    let m = x.len().min(h.len()).min(r.len()).min(z.len());
    let (x, h, r, z) = (&x[..m], &h[..m], &r[..m], &mut z[..m]);
    let mut acc = [0.0f64; LANES];
    for (k, ((zo, xv), hv)) in z.iter_mut().zip(x).zip(h).enumerate() {
        *zo = xv * hv;
        acc[k % LANES] = madd::<FMA>(r[k], *xv, acc[k % LANES]);
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

/// [`scale_dot_impl`] with AVX2 vectors and FMA (the same bits as `scale_dot_impl::<true>`).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn scale_dot_avx2(x: &[f64], h: &[f64], r: &[f64], z: &mut [f64]) -> f64 {
    use std::arch::x86_64::{
        _mm256_fmadd_pd, _mm256_loadu_pd, _mm256_mul_pd, _mm256_setzero_pd, _mm256_storeu_pd,
    };
    let m = x.len().min(h.len()).min(r.len()).min(z.len());
    let body = m - m % LANES;
    let mut acc = _mm256_setzero_pd();
    let mut i = 0;
    while i < body {
        // SAFETY: `i + LANES <= m` and every slice holds at least `m` elements, so the loads
        // and the store of four doubles stay inside their slices.
        unsafe {
            let xv = _mm256_loadu_pd(x.as_ptr().add(i));
            let hv = _mm256_loadu_pd(h.as_ptr().add(i));
            let rv = _mm256_loadu_pd(r.as_ptr().add(i));
            _mm256_storeu_pd(z.as_mut_ptr().add(i), _mm256_mul_pd(xv, hv));
            acc = _mm256_fmadd_pd(rv, xv, acc);
        }
        i += LANES;
    }
    let mut lanes = to_array(acc);
    for i in body..m {
        z[i] = x[i] * h[i];
        lanes[i - body] = r[i].mul_add(x[i], lanes[i - body]);
    }
    (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
}

/// `z[i] = h[i] x[i]` for every row of a block, returning `Σ_i r_i x_i` (four lanes): the
/// scaled column for the Gram kernel and a score sum from one read of the column.
pub fn scale_dot(x: &[f64], h: &[f64], r: &[f64], z: &mut [f64]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if has_fma() {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above), the only requirements of
        // `scale_dot_avx2`.
        return unsafe { scale_dot_avx2(x, h, r, z) };
    }
    scale_dot_impl::<false>(x, h, r, z)
}

/// One tile of the Gram kernel: `Σ_i z_a[i] x_b[i]` for two `a` and four `b` columns.
#[inline(always)]
fn tile<const FMA: bool>(z: [&[f64]; 2], x: [&[f64]; 4]) -> [[f64; 4]; 2] {
    let m = z
        .iter()
        .map(|c| c.len())
        .chain(x.iter().map(|c| c.len()))
        .min()
        .unwrap_or(0);
    let body = m - m % LANES;
    let mut acc = [[[0.0f64; LANES]; 4]; 2];
    let (z0, z1) = (&z[0][..m], &z[1][..m]);
    let (x0, x1, x2, x3) = (&x[0][..m], &x[1][..m], &x[2][..m], &x[3][..m]);
    let mut i = 0;
    while i < body {
        let a0: &[f64] = &z0[i..i + LANES];
        let a1: &[f64] = &z1[i..i + LANES];
        let bs: [&[f64]; 4] = [
            &x0[i..i + LANES],
            &x1[i..i + LANES],
            &x2[i..i + LANES],
            &x3[i..i + LANES],
        ];
        for (k, b) in bs.iter().enumerate() {
            for l in 0..LANES {
                acc[0][k][l] = madd::<FMA>(a0[l], b[l], acc[0][k][l]);
                acc[1][k][l] = madd::<FMA>(a1[l], b[l], acc[1][k][l]);
            }
        }
        i += LANES;
    }
    for i in body..m {
        let l = i - body;
        let bs = [x0[i], x1[i], x2[i], x3[i]];
        for (k, b) in bs.iter().enumerate() {
            acc[0][k][l] = madd::<FMA>(z0[i], *b, acc[0][k][l]);
            acc[1][k][l] = madd::<FMA>(z1[i], *b, acc[1][k][l]);
        }
    }
    let mut out = [[0.0; 4]; 2];
    for r in 0..2 {
        for k in 0..4 {
            let a = &acc[r][k];
            out[r][k] = (a[0] + a[1]) + (a[2] + a[3]);
        }
    }
    out
}

/// [`tile`] with AVX2 vectors and FMA: the same lanes and order of operations, so the same
/// bits as `tile::<true>`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn tile_avx2(z: [&[f64]; 2], x: [&[f64]; 4], pre: &[f64]) -> [[f64; 4]; 2] {
    use std::arch::x86_64::{__m256d, _mm256_fmadd_pd, _mm256_loadu_pd, _mm256_setzero_pd};
    let m = z
        .iter()
        .map(|c| c.len())
        .chain(x.iter().map(|c| c.len()))
        .min()
        .unwrap_or(0);
    let body = m - m % LANES;
    let mut acc: [[__m256d; 4]; 2] = [[_mm256_setzero_pd(); 4]; 2];
    let (z0, z1) = (&z[0][..m], &z[1][..m]);
    let (x0, x1, x2, x3) = (&x[0][..m], &x[1][..m], &x[2][..m], &x[3][..m]);
    let mut i = 0;
    while i < body {
        // SAFETY: `i + LANES <= body <= m`, and every slice has at least `m` elements, so each
        // unaligned load of four doubles stays inside its slice.
        let (a0, a1, b0, b1, b2, b3) = unsafe {
            (
                _mm256_loadu_pd(z0.as_ptr().add(i)),
                _mm256_loadu_pd(z1.as_ptr().add(i)),
                _mm256_loadu_pd(x0.as_ptr().add(i)),
                _mm256_loadu_pd(x1.as_ptr().add(i)),
                _mm256_loadu_pd(x2.as_ptr().add(i)),
                _mm256_loadu_pd(x3.as_ptr().add(i)),
            )
        };
        acc[0][0] = _mm256_fmadd_pd(a0, b0, acc[0][0]);
        acc[1][0] = _mm256_fmadd_pd(a1, b0, acc[1][0]);
        acc[0][1] = _mm256_fmadd_pd(a0, b1, acc[0][1]);
        acc[1][1] = _mm256_fmadd_pd(a1, b1, acc[1][1]);
        acc[0][2] = _mm256_fmadd_pd(a0, b2, acc[0][2]);
        acc[1][2] = _mm256_fmadd_pd(a1, b2, acc[1][2]);
        acc[0][3] = _mm256_fmadd_pd(a0, b3, acc[0][3]);
        acc[1][3] = _mm256_fmadd_pd(a1, b3, acc[1][3]);
        if i % 8 == 0 {
            prefetch(pre, i);
        }
        i += LANES;
    }
    let mut lanes = [[[0.0f64; LANES]; 4]; 2];
    for r in 0..2 {
        for k in 0..4 {
            lanes[r][k] = to_array(acc[r][k]);
        }
    }
    for i in body..m {
        let l = i - body;
        let bs = [x0[i], x1[i], x2[i], x3[i]];
        for (k, b) in bs.iter().enumerate() {
            lanes[0][k][l] = z0[i].mul_add(*b, lanes[0][k][l]);
            lanes[1][k][l] = z1[i].mul_add(*b, lanes[1][k][l]);
        }
    }
    let mut out = [[0.0; 4]; 2];
    for r in 0..2 {
        for k in 0..4 {
            let a = &lanes[r][k];
            out[r][k] = (a[0] + a[1]) + (a[2] + a[3]);
        }
    }
    out
}

/// [`dot_impl`] with AVX2 vectors and FMA (the same bits as `dot_impl::<true>`).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn dot_avx2(a: &[f64], b: &[f64]) -> f64 {
    use std::arch::x86_64::{_mm256_fmadd_pd, _mm256_loadu_pd, _mm256_setzero_pd};
    let m = a.len().min(b.len());
    let body = m - m % LANES;
    let mut acc = _mm256_setzero_pd();
    let mut i = 0;
    while i < body {
        // SAFETY: `i + LANES <= m` and both slices hold at least `m` elements.
        let (x, y) = unsafe {
            (
                _mm256_loadu_pd(a.as_ptr().add(i)),
                _mm256_loadu_pd(b.as_ptr().add(i)),
            )
        };
        acc = _mm256_fmadd_pd(x, y, acc);
        i += LANES;
    }
    let mut lanes = to_array(acc);
    for i in body..m {
        lanes[i - body] = a[i].mul_add(b[i], lanes[i - body]);
    }
    (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn to_array(v: std::arch::x86_64::__m256d) -> [f64; 4] {
    let mut out = [0.0f64; 4];
    // SAFETY: `out` holds four doubles, the 32 bytes the unaligned store writes.
    unsafe { std::arch::x86_64::_mm256_storeu_pd(out.as_mut_ptr(), v) };
    out
}

/// [`tile`] with AVX-512 vectors of eight lanes and FMA (lanes added pairwise at the end).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
fn tile_avx512(z: [&[f64]; 2], x: [&[f64]; 4], pre: &[f64]) -> [[f64; 4]; 2] {
    use std::arch::x86_64::{__m512d, _mm512_fmadd_pd, _mm512_loadu_pd, _mm512_setzero_pd};
    const W: usize = 8;
    let m = z
        .iter()
        .map(|c| c.len())
        .chain(x.iter().map(|c| c.len()))
        .min()
        .unwrap_or(0);
    let body = m - m % W;
    let mut acc: [[__m512d; 4]; 2] = [[_mm512_setzero_pd(); 4]; 2];
    let (z0, z1) = (&z[0][..m], &z[1][..m]);
    let (x0, x1, x2, x3) = (&x[0][..m], &x[1][..m], &x[2][..m], &x[3][..m]);
    let mut i = 0;
    while i < body {
        // SAFETY: `i + W <= body <= m`, and every slice has at least `m` elements, so each
        // unaligned load of eight doubles stays inside its slice.
        let (a0, a1, b0, b1, b2, b3) = unsafe {
            (
                _mm512_loadu_pd(z0.as_ptr().add(i)),
                _mm512_loadu_pd(z1.as_ptr().add(i)),
                _mm512_loadu_pd(x0.as_ptr().add(i)),
                _mm512_loadu_pd(x1.as_ptr().add(i)),
                _mm512_loadu_pd(x2.as_ptr().add(i)),
                _mm512_loadu_pd(x3.as_ptr().add(i)),
            )
        };
        acc[0][0] = _mm512_fmadd_pd(a0, b0, acc[0][0]);
        acc[1][0] = _mm512_fmadd_pd(a1, b0, acc[1][0]);
        acc[0][1] = _mm512_fmadd_pd(a0, b1, acc[0][1]);
        acc[1][1] = _mm512_fmadd_pd(a1, b1, acc[1][1]);
        acc[0][2] = _mm512_fmadd_pd(a0, b2, acc[0][2]);
        acc[1][2] = _mm512_fmadd_pd(a1, b2, acc[1][2]);
        acc[0][3] = _mm512_fmadd_pd(a0, b3, acc[0][3]);
        acc[1][3] = _mm512_fmadd_pd(a1, b3, acc[1][3]);
        prefetch(pre, i);
        i += W;
    }
    let mut out = [[0.0; 4]; 2];
    for r in 0..2 {
        for k in 0..4 {
            let mut l = [0.0f64; W];
            // SAFETY: `l` holds eight doubles, the 64 bytes the unaligned store writes.
            unsafe { std::arch::x86_64::_mm512_storeu_pd(l.as_mut_ptr(), acc[r][k]) };
            for i in body..m {
                let zr = if r == 0 { z0[i] } else { z1[i] };
                let xk = [x0[i], x1[i], x2[i], x3[i]][k];
                l[i - body] = zr.mul_add(xk, l[i - body]);
            }
            out[r][k] = ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
        }
    }
    out
}

/// Ask for the cache line holding `pre[i]` (nothing if `i` is past the end): the kernels fetch
/// the next sub-block's columns while they compute on this one.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) fn prefetch(pre: &[f64], i: usize) {
    if let Some(v) = pre.get(i) {
        // SAFETY: a prefetch has no effect other than on the caches and cannot fault; the
        // address is that of an element of `pre`.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                (v as *const f64).cast::<i8>(),
            )
        };
    }
}

/// Add `Σ_i z_a[i] x_b[i]` for `b ≥ a` to the row-major `p × p` accumulator `acc` (upper
/// triangle; the lower one is left alone), in tiles of two `a` by four `b` columns computed by
/// `tile`. `z` and `x` are the block's columns; tile number `t` also prefetches `next[t]`.
#[inline(always)]
fn cross_upper_with(
    z: &[&[f64]],
    x: &[&[f64]],
    next: &[&[f64]],
    acc: &mut [f64],
    tile: impl Fn([&[f64]; 2], [&[f64]; 4], &[f64]) -> [[f64; 4]; 2],
) {
    let p = x.len();
    let mut t = 0;
    let mut a = 0;
    while a < p {
        let a1 = (a + 1).min(p - 1);
        let mut b = a;
        while b < p {
            let bs = [
                b,
                (b + 1).min(p - 1),
                (b + 2).min(p - 1),
                (b + 3).min(p - 1),
            ];
            let pre = next.get(t).copied().unwrap_or(&[]);
            t += 1;
            let t = tile([z[a], z[a1]], [x[bs[0]], x[bs[1]], x[bs[2]], x[bs[3]]], pre);
            for (k, &bk) in bs.iter().enumerate() {
                if bk != b + k {
                    break;
                }
                acc[a * p + bk] += t[0][k];
                if a1 != a && bk >= a1 {
                    acc[a1 * p + bk] += t[1][k];
                }
            }
            b += 4;
        }
        a += 2;
    }
}

/// Add `Σ_i z_a[i] x_b[i]` for `b ≥ a` to the upper triangle of a row-major `p × p`
/// accumulator (`z` and `x` hold one block's columns; `z_a = h ∘ x_a` gives `Xᵀ H X`).
///
/// Uses eight-lane AVX-512 or four-lane AVX2 vectors with FMA when the CPU has them (the
/// lanes, and so the last bits, differ between the three paths; each is deterministic). The
/// columns `next` (the next rows to be swept, or none) are prefetched into the cache meanwhile.
pub fn cross_upper(z: &[&[f64]], x: &[&[f64]], next: &[&[f64]], acc: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") && has_fma() {
            // SAFETY: the CPU supports AVX-512F, AVX2 and FMA (checked just above), the only
            // requirements of `tile_avx512`.
            return cross_upper_with(z, x, next, acc, |zs, xs, pre| unsafe {
                tile_avx512(zs, xs, pre)
            });
        }
        if has_fma() {
            // SAFETY: the CPU supports AVX2 and FMA (checked just above), the only requirements
            // of `tile_avx2`.
            return cross_upper_with(z, x, next, acc, |zs, xs, pre| unsafe {
                tile_avx2(zs, xs, pre)
            });
        }
    }
    cross_upper_with(z, x, next, acc, |zs, xs, _| tile::<false>(zs, xs))
}

macro_rules! dispatch {
    ($(#[$doc:meta])* $name:ident, $fast:ident, $imp:ident, ($($arg:ident: $ty:ty),*) -> $ret:ty) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        fn $fast($($arg: $ty),*) -> $ret {
            $imp::<true>($($arg),*)
        }

        $(#[$doc])*
        pub fn $name($($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            if has_fma() {
                // SAFETY: the CPU supports AVX2 and FMA (checked just above), the only
                // requirements of the function.
                return unsafe { $fast($($arg),*) };
            }
            $imp::<false>($($arg),*)
        }
    };
}

dispatch!(
    /// `out[i] = Σ_j β_j x_j[i]` for the columns `x` of a block of rows (in column order,
    /// skipping zero coefficients).
    linear_predictor,
    linear_predictor_fma,
    linear_predictor_impl,
    (x: &[&[f64]], beta: &[f64], out: &mut [f64]) -> ()
);

/// `Σ_i a_i` in four lanes, added as `(l0 + l1) + (l2 + l3)` after the tail.
pub fn sum(a: &[f64]) -> f64 {
    let mut acc = [0.0f64; LANES];
    let mut chunks = a.chunks_exact(LANES);
    for x in &mut chunks {
        for l in 0..LANES {
            acc[l] += x[l];
        }
    }
    for (l, x) in chunks.remainder().iter().enumerate() {
        acc[l] += x;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

/// `Σ_i a_i b_i` in four lanes (a fixed order of additions).
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if has_fma() {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above), the only requirements of
        // `dot_avx2`.
        return unsafe { dot_avx2(a, b) };
    }
    dot_impl::<false>(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn naive(x: &[Vec<f64>], h: &[f64]) -> Vec<f64> {
        let p = x.len();
        let mut out = vec![0.0; p * p];
        for a in 0..p {
            for b in a..p {
                out[a * p + b] = (0..h.len()).map(|i| h[i] * x[a][i] * x[b][i]).sum();
            }
        }
        out
    }

    #[test]
    fn cross_upper_matches_naive_for_odd_sizes() {
        for (p, m) in [(1, 3), (2, 5), (3, 8), (5, 13), (7, 33), (9, 4)] {
            let x: Vec<Vec<f64>> = (0..p)
                .map(|j| {
                    (0..m)
                        .map(|i| ((i * 7 + j * 3) % 11) as f64 - 5.0)
                        .collect()
                })
                .collect();
            let h: Vec<f64> = (0..m).map(|i| 0.5 + (i % 3) as f64).collect();
            let z: Vec<Vec<f64>> = x
                .iter()
                .map(|c| c.iter().zip(&h).map(|(v, w)| v * w).collect())
                .collect();
            let zs: Vec<&[f64]> = z.iter().map(|c| &c[..]).collect();
            let xs: Vec<&[f64]> = x.iter().map(|c| &c[..]).collect();
            let mut acc = vec![0.0; p * p];
            cross_upper(&zs, &xs, &xs, &mut acc);
            let expect = naive(&x, &h);
            for a in 0..p {
                for b in 0..p {
                    if b >= a {
                        assert_eq!(acc[a * p + b], expect[a * p + b], "p {p} m {m} ({a},{b})");
                    } else {
                        assert_eq!(acc[a * p + b], 0.0);
                    }
                }
            }
        }
    }

    /// Every tile path this CPU can run, not only the one `cross_upper` picks: the portable
    /// tiles with and without fused multiply-adds, AVX2+FMA and AVX-512 when present. Each
    /// agrees with the naive sum; AVX2 gives the same bits as the fused portable tile.
    #[test]
    fn every_tile_path_agrees_with_the_naive_sum() {
        let (p, m) = (11, 1037);
        let x: Vec<Vec<f64>> = (0..p)
            .map(|j| {
                (0..m)
                    .map(|i| ((i * 31 + j * 17) % 29) as f64 / 7.3 - 1.9)
                    .collect()
            })
            .collect();
        let h: Vec<f64> = (0..m).map(|i| 0.25 + (i % 7) as f64 / 3.0).collect();
        let z: Vec<Vec<f64>> = x
            .iter()
            .map(|c| c.iter().zip(&h).map(|(v, w)| v * w).collect())
            .collect();
        let zs: Vec<&[f64]> = z.iter().map(|c| &c[..]).collect();
        let xs: Vec<&[f64]> = x.iter().map(|c| &c[..]).collect();
        let expect = naive(&x, &h);
        let check = |acc: &[f64], path: &str| {
            for a in 0..p {
                for b in a..p {
                    let (got, want) = (acc[a * p + b], expect[a * p + b]);
                    assert!(
                        (got - want).abs() <= 1e-12 * (1.0 + want.abs()),
                        "{path} ({a},{b}): {got} vs {want}"
                    );
                }
            }
        };
        type TileFn = dyn Fn([&[f64]; 2], [&[f64]; 4], &[f64]) -> [[f64; 4]; 2];
        let run = |tile: &TileFn| {
            let mut acc = vec![0.0; p * p];
            cross_upper_with(&zs, &xs, &[], &mut acc, tile);
            acc
        };
        let plain = run(&|a, b, _| tile::<false>(a, b));
        check(&plain, "portable");
        let fused = run(&|a, b, _| tile::<true>(a, b));
        check(&fused, "portable, fused");
        #[cfg(target_arch = "x86_64")]
        if has_fma() {
            // SAFETY: AVX2 and FMA are present (checked just above).
            let avx2 = run(&|a, b, pre| unsafe { tile_avx2(a, b, pre) });
            check(&avx2, "AVX2");
            assert_eq!(avx2, fused, "AVX2 and the fused portable tile differ");
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: AVX-512F, AVX2 and FMA are present (checked just above).
                let avx512 = run(&|a, b, pre| unsafe { tile_avx512(a, b, pre) });
                check(&avx512, "AVX-512");
            }
        }
    }

    #[test]
    fn from_design_keeps_values_and_finds_the_intercept() {
        let x = Array2::from_shape_fn((5, 3), |(i, j)| if j == 0 { 1.0 } else { (i * j) as f64 });
        let d = Design::new(x, vec!["intercept".into(), "a".into(), "b".into()]).unwrap();
        let c = Columns::from_design(&d);
        assert!(matches!(c.sources[0], Source::Ones));
        assert_eq!(c.block(2, 1..4), &[2.0, 4.0, 6.0]);
        assert_eq!(c.get(4, 1), 4.0);
        let mut eta = vec![0.0; 5];
        linear_predictor(&c.blocks(0..5), &[1.0, 2.0, 0.5], &mut eta);
        assert_eq!(eta, vec![1.0, 4.0, 7.0, 10.0, 13.0]);
        assert_eq!(dot(&[1.0, 2.0, 3.0, 4.0, 5.0], &[1.0; 5]), 15.0);
    }
}
