//! Greedy nearest-neighbour matching of participants to comparison units, on a propensity score
//! or on the Mahalanobis distance of covariates, as R `MatchIt::matchit(method = "nearest")`.
//!
//! Treated units are matched one at a time, in a chosen order (by default the largest score
//! first), in `ratio` rounds: in round `r` each treated unit takes the closest comparison unit
//! still available (without replacement: not yet used by anyone; with replacement: not yet used
//! by this treated unit), within the caliper and the exact-matching stratum. On the score, the
//! candidates are the nearest available units on either side in score order (ties go to the
//! earlier row), found in amortised near-constant time with path-compressed "next available" links, so
//! matching costs `O(n log n)`. The Mahalanobis distance uses the pooled within-arm covariance
//! (MatchIt's), and scans the available comparison units (`O(n₁ n₀ p)`; with replacement the
//! treated units run in parallel, output in order).
//!
//! Weights are MatchIt's for the ATT: 1 for matched treated units; each comparison unit gets
//! `Σ 1/kᵢ` over the treated units `i` it was matched to (`kᵢ` their number of matches), then the
//! comparison weights are scaled to sum to the number of matched comparison units.

use aluna_core::parallel::{ordered_map, Cancel};
use aluna_core::random::stream;
use aluna_core::{ensure, Error, Result};
use ndarray::Array2;
use rand::Rng;

use crate::design::Design;
use crate::linalg::Cholesky;

/// The order in which treated units pick their matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MatchOrder {
    /// Largest score first (MatchIt's default for a propensity score).
    #[default]
    Largest,
    /// Smallest score first.
    Smallest,
    /// The order of the rows.
    Data,
    /// A random order drawn from `stream(seed, 0)`.
    Random(u64),
}

/// What "near" means.
#[derive(Debug, Clone, Copy)]
pub enum Distance<'a> {
    /// Absolute difference of a score (propensity score, or its logit).
    Score(&'a [f64]),
    /// Mahalanobis distance of the design's columns, with the pooled within-arm covariance.
    Mahalanobis(&'a Design),
}

/// Settings of [`nearest_neighbour`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatchOptions {
    /// Comparison units per treated unit.
    pub ratio: usize,
    /// Largest distance allowed for a match (on the distance's own scale).
    pub caliper: Option<f64>,
    /// Whether a comparison unit may serve several treated units.
    pub replace: bool,
    /// Matching order of the treated units.
    pub order: MatchOrder,
}

impl Default for MatchOptions {
    fn default() -> Self {
        Self {
            ratio: 1,
            caliper: None,
            replace: false,
            order: MatchOrder::Largest,
        }
    }
}

/// The matches.
#[derive(Debug, Clone, PartialEq)]
pub struct Matches {
    /// The treated rows, in row order.
    pub treated: Vec<usize>,
    /// For each treated row (same order), its matched comparison rows in the order found.
    pub controls: Vec<Vec<usize>>,
    /// For each treated row, the distance to each of its matches.
    pub distances: Vec<Vec<f64>>,
    /// Matching weight of every row (0 = unmatched).
    pub weights: Vec<f64>,
    /// Without replacement: the match id of every matched row (1, 2, ... in the row order of
    /// the matched treated units, as MatchIt's `subclass`); `None` for unmatched rows.
    pub subclass: Option<Vec<Option<usize>>>,
}

/// "Next available position" links with path compression over `0..m` (plus sentinels).
struct Available {
    left: Vec<usize>,
    right: Vec<usize>,
}

impl Available {
    /// Positions are stored shifted by one: 0 and m + 1 are sentinels (never removed).
    fn new(m: usize) -> Self {
        Self {
            left: (0..m + 2).collect(),
            right: (0..m + 2).collect(),
        }
    }

    fn find(links: &mut [usize], k: usize) -> usize {
        let mut root = k;
        while links[root] != root {
            root = links[root];
        }
        let mut k = k;
        while links[k] != root {
            let next = links[k];
            links[k] = root;
            k = next;
        }
        root
    }

    /// The largest available position `≤ k` (shifted), 0 if none.
    fn at_or_left(&mut self, k: usize) -> usize {
        Self::find(&mut self.left, k)
    }

    /// The smallest available position `≥ k` (shifted), m + 1 if none.
    fn at_or_right(&mut self, k: usize) -> usize {
        Self::find(&mut self.right, k)
    }

    fn remove(&mut self, k: usize) {
        self.left[k] = k - 1;
        self.right[k] = k + 1;
    }
}

fn treated_order(rows: &[usize], score: Option<&[f64]>, order: MatchOrder) -> Vec<usize> {
    let mut out = rows.to_vec();
    match (order, score) {
        (MatchOrder::Largest, Some(s)) => out.sort_by(|&a, &b| s[b].total_cmp(&s[a])),
        (MatchOrder::Smallest, Some(s)) => out.sort_by(|&a, &b| s[a].total_cmp(&s[b])),
        (MatchOrder::Random(seed), _) => {
            let mut rng = stream(seed, 0);
            for i in (1..out.len()).rev() {
                let j = rng.random_range(0..=i);
                out.swap(i, j);
            }
        }
        _ => {}
    }
    out
}

/// Match on a score within one stratum; appends to `found[t]`.
fn match_score(
    rows: &[usize],
    treated: &[bool],
    score: &[f64],
    options: &MatchOptions,
    found: &mut [Vec<(usize, f64)>],
) {
    let mut sorted = rows.to_vec();
    sorted.sort_by(|&a, &b| score[a].total_cmp(&score[b]));
    let controls: Vec<usize> = sorted.iter().copied().filter(|&i| !treated[i]).collect();
    let m = controls.len();
    if m == 0 {
        return;
    }
    // split[i] = comparison units before treated row i in score order.
    let mut split = vec![0usize; score.len()];
    let mut seen = 0;
    for &i in &sorted {
        if treated[i] {
            split[i] = seen;
        } else {
            seen += 1;
        }
    }
    let treated_rows: Vec<usize> = rows.iter().copied().filter(|&i| treated[i]).collect();
    let order = treated_order(&treated_rows, Some(score), options.order);
    // block[pos]: the first (shifted) position holding the same score as `pos`, so that among
    // equally distant comparison units the earliest row wins.
    let mut block = vec![0usize; m + 2];
    for pos in 1..=m {
        block[pos] = if pos > 1 && score[controls[pos - 2]] == score[controls[pos - 1]] {
            block[pos - 1]
        } else {
            pos
        };
    }
    let mut avail = Available::new(m);
    let mut left_count = m;
    for _round in 0..options.ratio {
        for &t in &order {
            if left_count == 0 {
                return;
            }
            let mine = &found[t];
            let used = |pos: usize| mine.iter().any(|&(c, _)| c == controls[pos - 1]);
            let within = |pos: usize| {
                let d = (score[controls[pos - 1]] - score[t]).abs();
                options.caliper.is_none_or(|c| d <= c)
            };
            let mut left = avail.at_or_left(split[t]);
            while left > 0 && used(left) {
                left = avail.at_or_left(left - 1);
            }
            if left > 0 {
                // The earliest available row with the same score.
                let mut first = avail.at_or_right(block[left]);
                while first < left && used(first) {
                    first = avail.at_or_right(first + 1);
                }
                left = first;
            }
            let mut right = avail.at_or_right(split[t] + 1);
            while right <= m && used(right) {
                right = avail.at_or_right(right + 1);
            }
            let left = (left > 0 && within(left)).then_some(left);
            let right = (right <= m && within(right)).then_some(right);
            let pick = match (left, right) {
                (Some(l), Some(r)) => {
                    let dl = (score[controls[l - 1]] - score[t]).abs();
                    let dr = (score[controls[r - 1]] - score[t]).abs();
                    if dl < dr || (dl == dr && controls[l - 1] < controls[r - 1]) {
                        l
                    } else {
                        r
                    }
                }
                (Some(l), None) => l,
                (None, Some(r)) => r,
                (None, None) => continue,
            };
            let c = controls[pick - 1];
            found[t].push((c, (score[c] - score[t]).abs()));
            if !options.replace {
                avail.remove(pick);
                left_count -= 1;
            }
        }
    }
}

/// Rows whitened so that Euclidean distance is the Mahalanobis distance with the pooled
/// within-arm covariance `Σ_g (n_g − 1) S_g / (n − 2)`.
fn whitened(design: &Design, treated: &[bool]) -> Result<Array2<f64>> {
    let n = design.rows();
    let p = design.cols();
    let mut means = [vec![0.0; p], vec![0.0; p]];
    let mut counts = [0.0f64; 2];
    for (i, &tr) in treated.iter().enumerate() {
        let g = usize::from(tr);
        counts[g] += 1.0;
        for (m, x) in means[g].iter_mut().zip(design.row(i)) {
            *m += x;
        }
    }
    for g in 0..2 {
        means[g].iter_mut().for_each(|m| *m /= counts[g].max(1.0));
    }
    let mut cov = Array2::<f64>::zeros((p, p));
    for (i, &tr) in treated.iter().enumerate() {
        let g = usize::from(tr);
        let z: Vec<f64> = design
            .row(i)
            .iter()
            .zip(&means[g])
            .map(|(x, m)| x - m)
            .collect();
        for a in 0..p {
            for b in 0..p {
                cov[[a, b]] += z[a] * z[b];
            }
        }
    }
    cov.mapv_inplace(|v| v / (n as f64 - 2.0));
    Cholesky::new(&cov).map_err(|j| Error::Singular {
        model: "Mahalanobis matching",
        detail: format!(
            "`{}` is constant within arms or collinear with earlier covariates; drop it",
            design.names()[j]
        ),
    })?;
    // z = L⁻¹ x by forward substitution, with cov = L Lᵀ.
    let l = chol_lower(&cov);
    let mut out = Array2::<f64>::zeros((n, p));
    for i in 0..n {
        let x = design.row(i);
        for a in 0..p {
            let mut s = x[a];
            for b in 0..a {
                s -= l[[a, b]] * out[[i, b]];
            }
            out[[i, a]] = s / l[[a, a]];
        }
    }
    Ok(out)
}

/// The lower Cholesky factor of a positive-definite matrix (checked by the caller).
fn chol_lower(a: &Array2<f64>) -> Array2<f64> {
    let p = a.nrows();
    let mut l = Array2::<f64>::zeros((p, p));
    for j in 0..p {
        let mut d = a[[j, j]];
        for k in 0..j {
            d -= l[[j, k]] * l[[j, k]];
        }
        let ljj = d.max(f64::MIN_POSITIVE).sqrt();
        l[[j, j]] = ljj;
        for i in j + 1..p {
            let mut s = a[[i, j]];
            for k in 0..j {
                s -= l[[i, k]] * l[[j, k]];
            }
            l[[i, j]] = s / ljj;
        }
    }
    l
}

fn euclid(z: &Array2<f64>, a: usize, b: usize) -> f64 {
    z.row(a)
        .iter()
        .zip(z.row(b))
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// The closest available control to `t` (first in row order on ties), not in `mine`.
fn closest(
    z: &Array2<f64>,
    t: usize,
    controls: &[usize],
    available: &[bool],
    mine: &[(usize, f64)],
    caliper: Option<f64>,
) -> Option<(usize, f64)> {
    let mut best: Option<(usize, f64)> = None;
    for (k, &c) in controls.iter().enumerate() {
        if !available[k] || mine.iter().any(|&(m, _)| m == c) {
            continue;
        }
        let d = euclid(z, t, c);
        if caliper.is_some_and(|cal| d > cal) {
            continue;
        }
        if best.is_none_or(|(_, bd)| d < bd) {
            best = Some((c, d));
        }
    }
    best
}

fn match_mahalanobis(
    rows: &[usize],
    treated: &[bool],
    z: &Array2<f64>,
    options: &MatchOptions,
    found: &mut [Vec<(usize, f64)>],
    cancel: &Cancel,
) -> Result<()> {
    let controls: Vec<usize> = rows.iter().copied().filter(|&i| !treated[i]).collect();
    let treated_rows: Vec<usize> = rows.iter().copied().filter(|&i| treated[i]).collect();
    if options.replace {
        // Independent per treated unit: in parallel, output in order.
        let all = vec![true; controls.len()];
        let picks = ordered_map(
            treated_rows.len(),
            cancel,
            || (),
            |k, ()| {
                let t = treated_rows[k];
                let mut mine: Vec<(usize, f64)> = Vec::new();
                for _ in 0..options.ratio {
                    match closest(z, t, &controls, &all, &mine, options.caliper) {
                        Some(hit) => mine.push(hit),
                        None => break,
                    }
                }
                mine
            },
        )?;
        for (t, mine) in treated_rows.iter().zip(picks) {
            found[*t] = mine;
        }
        return Ok(());
    }
    let order = treated_order(&treated_rows, None, options.order);
    let mut available = vec![true; controls.len()];
    let position: std::collections::BTreeMap<usize, usize> =
        controls.iter().enumerate().map(|(k, &c)| (c, k)).collect();
    for _round in 0..options.ratio {
        for &t in &order {
            cancel.check()?;
            if let Some((c, d)) = closest(z, t, &controls, &available, &found[t], options.caliper) {
                found[t].push((c, d));
                if let Some(&k) = position.get(&c) {
                    available[k] = false;
                }
            }
        }
    }
    Ok(())
}

/// Match every treated row to `ratio` comparison rows (see the module documentation).
///
/// `exact`: stratum codes; matches are made within strata only.
///
/// # Errors
/// [`Error::InvalidArgument`] for a ratio of 0, a negative caliper or inputs of different
/// lengths; [`Error::BadValue`] for a non-finite score; [`Error::NotDefined`] when nobody was
/// matched; [`Error::Singular`] for Mahalanobis covariates that are constant or collinear.
///
/// # Example
/// ```
/// use aluna_core::parallel::Cancel;
/// use aluna_stats::matching::{nearest_neighbour, Distance, MatchOptions};
/// let treated = [true, false, false, true, false];
/// let score = [0.8, 0.75, 0.1, 0.3, 0.35];
/// let m = nearest_neighbour(&treated, Distance::Score(&score), None,
///                           &MatchOptions::default(), &Cancel::new()).unwrap();
/// assert_eq!(m.controls, vec![vec![1], vec![4]]);
/// assert_eq!(m.weights, vec![1.0, 1.0, 0.0, 1.0, 1.0]);
/// ```
pub fn nearest_neighbour(
    treated: &[bool],
    distance: Distance<'_>,
    exact: Option<&[u32]>,
    options: &MatchOptions,
    cancel: &Cancel,
) -> Result<Matches> {
    let n = treated.len();
    ensure!(
        options.ratio >= 1,
        Error::argument("ratio", "must be at least 1")
    );
    if let Some(c) = options.caliper {
        ensure!(
            c.is_finite() && c >= 0.0,
            Error::argument(
                "caliper",
                format!("must be finite and non-negative, got {c}")
            )
        );
    }
    if let Some(e) = exact {
        ensure!(
            e.len() == n,
            Error::argument("exact", "one stratum code per row is needed")
        );
    }
    let mut strata: std::collections::BTreeMap<u32, Vec<usize>> = Default::default();
    for i in 0..n {
        strata.entry(exact.map_or(0, |e| e[i])).or_default().push(i);
    }
    let mut found: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    match distance {
        Distance::Score(score) => {
            ensure!(
                score.len() == n,
                Error::argument("propensity", "one score per row is needed")
            );
            if let Some((row, v)) = score.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return Err(Error::bad_value("propensity", row, "a finite score", v));
            }
            for rows in strata.values() {
                cancel.check()?;
                match_score(rows, treated, score, options, &mut found);
            }
        }
        Distance::Mahalanobis(design) => {
            ensure!(
                design.rows() == n,
                Error::argument("covariates", "one row of covariates per unit is needed")
            );
            let z = whitened(design, treated)?;
            for rows in strata.values() {
                match_mahalanobis(rows, treated, &z, options, &mut found, cancel)?;
            }
        }
    }
    let treated_rows: Vec<usize> = (0..n).filter(|&i| treated[i]).collect();
    let mut weights = vec![0.0; n];
    for &t in &treated_rows {
        let k = found[t].len();
        if k == 0 {
            continue;
        }
        weights[t] = 1.0;
        for &(c, _) in &found[t] {
            weights[c] += 1.0 / k as f64;
        }
    }
    let (mut total, mut used) = (0.0, 0usize);
    for i in 0..n {
        if !treated[i] && weights[i] > 0.0 {
            total += weights[i];
            used += 1;
        }
    }
    ensure!(
        used > 0,
        Error::NotDefined {
            what: "a matched sample",
            reason: "no treated unit found a comparison unit (within the caliper and the exact \
                     strata); widen the caliper or drop exact matching"
                .into(),
        }
    );
    for i in 0..n {
        if !treated[i] {
            weights[i] *= used as f64 / total;
        }
    }
    let subclass = (!options.replace).then(|| {
        let mut s = vec![None; n];
        let mut id = 0;
        for &t in &treated_rows {
            if found[t].is_empty() {
                continue;
            }
            id += 1;
            s[t] = Some(id);
            for &(c, _) in &found[t] {
                s[c] = Some(id);
            }
        }
        s
    });
    let controls = treated_rows
        .iter()
        .map(|&t| found[t].iter().map(|&(c, _)| c).collect())
        .collect();
    let distances = treated_rows
        .iter()
        .map(|&t| found[t].iter().map(|&(_, d)| d).collect())
        .collect();
    Ok(Matches {
        treated: treated_rows,
        controls,
        distances,
        weights,
        subclass,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(treated: &[bool], score: &[f64], options: &MatchOptions) -> Vec<Vec<usize>> {
        // Reference: for each treated unit in order, scan every comparison unit; the closest
        // eligible one wins, ties to the earliest row.
        let n = treated.len();
        let tr: Vec<usize> = (0..n).filter(|&i| treated[i]).collect();
        let order = treated_order(&tr, Some(score), options.order);
        let mut avail = vec![true; n];
        let mut found: Vec<Vec<usize>> = vec![vec![]; n];
        for _ in 0..options.ratio {
            for &t in &order {
                let mut best: Option<(usize, f64)> = None;
                for c in 0..n {
                    if treated[c] || !avail[c] || found[t].contains(&c) {
                        continue;
                    }
                    let d = (score[c] - score[t]).abs();
                    if options.caliper.is_some_and(|cal| d > cal) {
                        continue;
                    }
                    if best.is_none_or(|(_, bd)| d < bd) {
                        best = Some((c, d));
                    }
                }
                if let Some((c, _)) = best {
                    found[t].push(c);
                    if !options.replace {
                        avail[c] = false;
                    }
                }
            }
        }
        tr.iter().map(|&t| found[t].clone()).collect()
    }

    #[test]
    fn agrees_with_a_linear_scan() {
        let n = 300;
        let mut rng = stream(3, 0);
        let treated: Vec<bool> = (0..n).map(|_| rng.random::<f64>() < 0.3).collect();
        let score: Vec<f64> = (0..n)
            .map(|i| (rng.random::<f64>() * 50.0).round() / 50.0 + f64::from(treated[i]) * 0.05)
            .collect();
        for ratio in [1, 2, 3] {
            for replace in [false, true] {
                for caliper in [None, Some(0.02)] {
                    let options = MatchOptions {
                        ratio,
                        caliper,
                        replace,
                        order: MatchOrder::Largest,
                    };
                    let m = nearest_neighbour(
                        &treated,
                        Distance::Score(&score),
                        None,
                        &options,
                        &Cancel::new(),
                    )
                    .unwrap();
                    assert_eq!(m.controls, brute(&treated, &score, &options), "{options:?}");
                }
            }
        }
    }

    #[test]
    fn exact_strata_are_respected() {
        let treated = [true, false, true, false];
        let score = [0.5, 0.51, 0.5, 0.9];
        let exact = [0, 1, 1, 0];
        let m = nearest_neighbour(
            &treated,
            Distance::Score(&score),
            Some(&exact),
            &MatchOptions::default(),
            &Cancel::new(),
        )
        .unwrap();
        assert_eq!(m.controls, vec![vec![3], vec![1]]);
        assert_eq!(
            m.subclass.unwrap(),
            vec![Some(1), Some(2), Some(2), Some(1)]
        );
    }

    #[test]
    fn mahalanobis_parallel_is_thread_independent() {
        let n = 200;
        let mut rng = stream(5, 0);
        let treated: Vec<bool> = (0..n).map(|_| rng.random::<f64>() < 0.4).collect();
        let x = Array2::from_shape_fn((n, 2), |(i, j)| {
            (i as f64 * (0.3 + j as f64)).sin() + f64::from(treated[i]) * 0.2
        });
        let d = Design::new(x, vec!["a".into(), "b".into()]).unwrap();
        let options = MatchOptions {
            ratio: 2,
            replace: true,
            ..Default::default()
        };
        let run = |threads| {
            aluna_core::parallel::install(Some(threads), || {
                nearest_neighbour(
                    &treated,
                    Distance::Mahalanobis(&d),
                    None,
                    &options,
                    &Cancel::new(),
                )
            })
            .unwrap()
            .unwrap()
        };
        assert_eq!(run(1), run(2));
    }
}
