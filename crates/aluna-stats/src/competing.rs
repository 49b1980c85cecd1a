//! Competing risks: cumulative incidence (Aalen–Johansen) with Gray's variance, Gray's test
//! comparing groups, and the Fine–Gray subdistribution hazards model.
//!
//! Event codes: 0 = censored, 1, 2, … = the cause (e.g. 1 = re-arrest, 2 = death or
//! deportation before any re-arrest).

use aluna_core::{ensure, Error, Result};
use ndarray::Array2;

use crate::cox::CoxFit;
use crate::design::{symmetric_from_upper, weighted_cross_rows, Design};
use crate::linalg::{collinear_columns, Cholesky};
use crate::survival::{argsort, chi2_sf, SurvivalData};

/// A cumulative incidence curve for one cause.
#[derive(Debug, Clone, Default)]
pub struct Incidence {
    /// Distinct times (events of any cause or censoring), ascending.
    pub time: Vec<f64>,
    /// Number at risk just before each time.
    pub at_risk: Vec<f64>,
    /// Events of the cause at each time.
    pub events: Vec<f64>,
    /// Events of other causes at each time.
    pub other_events: Vec<f64>,
    /// Censored at each time.
    pub censored: Vec<f64>,
    /// The cumulative incidence `F_k(t)`.
    pub estimate: Vec<f64>,
    /// Its variance (Gray's delta-method estimator, as R `cmprsk::cuminc`; with entry
    /// times, weights or subjects the infinitesimal jackknife of R `survfit`).
    pub variance: Vec<f64>,
}

/// [`Error::InvalidArgument`] unless `cause` is a code 1, 2, … that some row has.
pub fn require_cause(data: &SurvivalData, cause: u32) -> Result<()> {
    ensure!(
        cause >= 1,
        Error::argument(
            "cause",
            format!("must be a cause code 1, 2, …, got {cause}")
        )
    );
    let max = data.event.iter().copied().max().unwrap_or(0);
    ensure!(
        data.event.contains(&cause),
        Error::argument(
            "cause",
            format!(
                "no row has event = {cause}; the event codes present run 0..={max} \
                 (0 = censored)"
            )
        )
    );
    Ok(())
}

/// The Aalen–Johansen estimate of the cumulative incidence of `cause` among `rows`:
/// `F_k(t) = Σ_{t_j ≤ t} Ŝ(t_j−) d_kj / n_j` with `Ŝ` the all-cause Kaplan–Meier estimate,
/// `n_j` the (weighted) rows with `entry < t_j ≤ duration` and `d_kj` their (weighted) events
/// of the cause at `t_j`.
///
/// The variance: without entry times, weights or subjects, Gray's (1988) delta-method
/// estimator as R `cmprsk::cuminc` computes it (updated at the cause's event times, carried
/// between them). With entry times, weights or subjects (which `cuminc` does not take), the
/// infinitesimal jackknife `Σ_people (Σ_their rows w_r ∂F̂_k(t)/∂w_r)²` of R
/// `survival::survfit` for multi-state data with `id` (each row its own person without
/// `data.subjects`; a person's rows must not overlap in time), computed in one sweep with
/// running moments of the people at risk and of those who left, `O(n log n)`. Sequential.
///
/// References: Kalbfleisch & Prentice (1980); Gray, R. J. (1988),
/// <https://doi.org/10.1214/aos/1176350951>; Aalen, O. O. & Johansen, S. (1978),
/// <https://www.jstor.org/stable/4615704>.
///
/// # Example
/// ```
/// use aluna_stats::competing::cumulative_incidence;
/// use aluna_stats::survival::SurvivalData;
/// let data = SurvivalData::new(vec![1.0, 2.0, 3.0, 4.0], vec![1, 2, 0, 1]).unwrap();
/// let f = cumulative_incidence(&data, &[0, 1, 2, 3], 1).unwrap();
/// assert_eq!(f.estimate, vec![0.25, 0.25, 0.25, 0.75]);
/// // Case weights: the row failing from cause 2 counts twice.
/// let mut weighted = data.clone();
/// weighted.weights = Some(vec![1.0, 2.0, 1.0, 1.0]);
/// let f = cumulative_incidence(&weighted, &[0, 1, 2, 3], 1).unwrap();
/// assert!((f.estimate[3] - 0.6).abs() < 1e-15);
/// ```
pub fn cumulative_incidence(data: &SurvivalData, rows: &[usize], cause: u32) -> Result<Incidence> {
    require_cause(data, cause)?;
    if data.entry.is_some() || data.weights.is_some() || data.subjects.is_some() {
        return aalen_johansen_ij(data, rows, cause);
    }
    let order = argsort(&data.time, rows);
    let mut out = Incidence::default();
    let mut at_risk = rows.len() as f64;
    let (mut s, mut f) = (1.0f64, 0.0f64);
    let (mut v1, mut v2, mut v3, mut var) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    let mut k = 0;
    while k < order.len() {
        let t = data.time[order[k]];
        let (mut d1, mut d2, mut c) = (0.0f64, 0.0f64, 0.0f64);
        while k < order.len() && data.time[order[k]] == t {
            match data.event[order[k]] {
                0 => c += 1.0,
                e if e == cause => d1 += 1.0,
                _ => d2 += 1.0,
            }
            k += 1;
        }
        let n = at_risk;
        let d = d1 + d2;
        if d > 0.0 {
            let s_next = s * (n - d) / n;
            if d1 > 0.0 {
                f += s * d1 / n;
            }
            if d2 > 0.0 && s_next > 0.0 {
                let ties = if d2 > 1.0 {
                    1.0 - (d2 - 1.0) / (n - 1.0)
                } else {
                    1.0
                };
                let w = s * s * ties * d2 / (n * n);
                let a = 1.0 / s_next;
                let b = f / s_next;
                v1 += b * b * w;
                v2 += a * b * w;
                v3 += a * a * w;
            }
            if d1 > 0.0 {
                let ties = if d1 > 1.0 {
                    1.0 - (d1 - 1.0) / (n - 1.0)
                } else {
                    1.0
                };
                let w = s * s * ties * d1 / (n * n);
                let a = if s_next > 0.0 { 1.0 / s_next } else { 0.0 };
                let b = 1.0 + a * f;
                v1 += b * b * w;
                v2 += a * b * w;
                v3 += a * a * w;
                var = v1 + f * f * v3 - 2.0 * f * v2;
            }
            s = s_next;
        }
        out.time.push(t);
        out.at_risk.push(n);
        out.events.push(d1);
        out.other_events.push(d2);
        out.censored.push(c);
        out.estimate.push(f);
        out.variance.push(var.max(0.0));
        at_risk -= d + c;
    }
    Ok(out)
}

/// Second moments of the weighted influences `z = Σ_rows w_r (∂Ŝ/∂w_r, ∂F̂_k/∂w_r)` of a set
/// of people: `q = Σ z zᵀ` (symmetric: `[SS, SF, FF]`), and for people at risk
/// `m = Σ w z` and `w2 = Σ w²` with `w` the weight of the row at risk.
#[derive(Debug, Clone, Copy, Default)]
struct Moments {
    q: [f64; 3],
    m: [f64; 2],
    w2: f64,
}

impl Moments {
    /// Add (`sign` = 1) or remove (`sign` = −1) a person with influence `z` whose row at risk
    /// has weight `w` (0 for people not at risk).
    fn add(&mut self, w: f64, z: [f64; 2], sign: f64) {
        self.q[0] += sign * z[0] * z[0];
        self.q[1] += sign * z[0] * z[1];
        self.q[2] += sign * z[1] * z[1];
        self.m[0] += sign * w * z[0];
        self.m[1] += sign * w * z[1];
        self.w2 += sign * w * w;
    }

    /// Every person's influence goes `z → M z + w c` with `M = [[a, 0], [b, 1]]`.
    fn step(&mut self, a: f64, b: f64, c: [f64; 2]) {
        let [ss, sf, ff] = self.q;
        // M q Mᵀ
        let (mut nss, mut nsf, mut nff) = (
            a * a * ss,
            a * (b * ss + sf),
            b * b * ss + 2.0 * b * sf + ff,
        );
        let mm = [a * self.m[0], b * self.m[0] + self.m[1]];
        // + (M m) cᵀ + c (M m)ᵀ + w2 c cᵀ
        nss += 2.0 * mm[0] * c[0] + self.w2 * c[0] * c[0];
        nsf += mm[0] * c[1] + c[0] * mm[1] + self.w2 * c[0] * c[1];
        nff += 2.0 * mm[1] * c[1] + self.w2 * c[1] * c[1];
        self.q = [nss, nsf, nff];
        self.m = [mm[0] + self.w2 * c[0], mm[1] + self.w2 * c[1]];
    }
}

/// Where the sweep stands, for carrying a person's influence forward: the product
/// `Ŝ_e` of `(1 − λ)` and the sum `F̂_e` of `Ŝ_e− λ_k` since the start of the current epoch
/// (a new epoch starts each time `Ŝ` reaches 0), and `U`, the influence of a row of weight 1
/// at risk since time 0.
#[derive(Debug, Clone, Copy)]
struct Mark {
    epoch: usize,
    s: f64,
    f: f64,
    u: [f64; 2],
}

/// One person in the sweep: their influence `z0` at `mark`, and the weight of their row at
/// risk (None: not at risk).
#[derive(Debug, Clone, Copy)]
struct Person {
    mark: Mark,
    z0: [f64; 2],
    at_risk: Option<f64>,
}

/// The Aalen–Johansen cumulative incidence of `cause` with entry times, weights and people
/// (`data.subjects`; each row its own person without), and its infinitesimal-jackknife
/// variance `Σ_people (Σ_their rows w_r ∂F̂_k(t)/∂w_r)²` (R `survfit` for multi-state data
/// with `id`).
///
/// At an event time the all-cause hazard `λ = d/n` and the cause's `λ_k = d_k/n` move a row's
/// derivatives `x = (∂Ŝ, ∂F̂_k)` by `x → M x + c + e`, `M = [[1 − λ, 0], [λ_k, 1]]`, with the
/// common term `c = Ŝ₋ (λ/n, −λ_k/n)` for every row at risk and `e = Ŝ₋ (−1/n, 1/n)` parts
/// for the rows failing then. A person's influence is carried by
/// `Φ(t, t₀) = [[Ŝ_e(t)/Ŝ_e(t₀), 0], [(F̂_e(t) − F̂_e(t₀))/Ŝ_e(t₀), 1]]`, the product of the
/// `M`s (within an epoch; across one, `Φ_SS = 0` and `F̂_e` stops at the epoch's end), so
/// at risk from `t₀` with influence `z₀` and a row of weight `w` it is
/// `Φ(t, t₀) z₀ + w (U(t) − Φ(t, t₀) U(t₀))`, and after leaving `Φ(t, t₀) z₀`. Only people
/// entering or leaving at `t` are computed one by one; the others enter the variance
/// through running moments. Sequential, `O(n log n)`.
fn aalen_johansen_ij(data: &SurvivalData, rows: &[usize], cause: u32) -> Result<Incidence> {
    let stops = argsort(&data.time, rows);
    let starts: Vec<usize> = match &data.entry {
        Some(entry) => argsort(entry, rows),
        None => Vec::new(),
    };
    let person_of = |i: usize| data.subjects.as_ref().map_or(i, |s| s[i] as usize);
    let people = rows.iter().map(|&i| person_of(i) + 1).max().unwrap_or(0);
    let mut person: Vec<Option<Person>> = vec![None; people];
    let mut epoch_end: Vec<f64> = Vec::new();
    let mut now = Mark {
        epoch: 0,
        s: 1.0,
        f: 0.0,
        u: [0.0; 2],
    };
    // Φ(now, from) z.
    let carry = |now: &Mark, epoch_end: &[f64], from: &Mark, z: [f64; 2]| {
        let (a, b) = if from.epoch == now.epoch {
            (now.s / from.s, (now.f - from.f) / from.s)
        } else {
            (0.0, (epoch_end[from.epoch] - from.f) / from.s)
        };
        [a * z[0], b * z[0] + z[1]]
    };
    // A person's influence now.
    let value = |now: &Mark, epoch_end: &[f64], p: &Person| {
        let z = carry(now, epoch_end, &p.mark, p.z0);
        match p.at_risk {
            Some(w) => {
                let back = carry(now, epoch_end, &p.mark, p.mark.u);
                [
                    z[0] + w * (now.u[0] - back[0]),
                    z[1] + w * (now.u[1] - back[1]),
                ]
            }
            None => z,
        }
    };
    let mut out = Incidence::default();
    let (mut risk, mut left) = (Moments::default(), Moments::default());
    // The estimates Ŝ and F̂ (`now` holds their epoch-relative versions).
    let (mut surv, mut f, mut at_risk) = (1.0f64, 0.0f64, 0.0f64);
    let enter = |i: usize,
                 now: &Mark,
                 epoch_end: &[f64],
                 person: &mut [Option<Person>],
                 risk: &mut Moments,
                 left: &mut Moments|
     -> Result<()> {
        let w = data.weight(i);
        let slot = &mut person[person_of(i)];
        let z = match slot {
            Some(p) if p.at_risk.is_some() => {
                return Err(Error::argument(
                    "id",
                    format!(
                        "the rows of one person overlap in time (a row entering at {} while \
                         another is at risk); give each person non-overlapping \
                         (entry, duration] rows",
                        data.start(i)
                    ),
                ));
            }
            Some(p) => {
                let z = value(now, epoch_end, p);
                left.add(0.0, z, -1.0);
                z
            }
            None => [0.0; 2],
        };
        risk.add(w, z, 1.0);
        *slot = Some(Person {
            mark: *now,
            z0: z,
            at_risk: Some(w),
        });
        Ok(())
    };
    if data.entry.is_none() {
        for &i in rows {
            at_risk += data.weight(i);
            enter(i, &now, &epoch_end, &mut person, &mut risk, &mut left)?;
        }
    }
    let (mut ip, mut is) = (0, 0);
    let mut leaving: Vec<(usize, [f64; 2])> = Vec::new();
    while ip < stops.len() {
        let t = data.time[stops[ip]];
        while is < starts.len() && data.start(starts[is]) < t {
            let i = starts[is];
            at_risk += data.weight(i);
            enter(i, &now, &epoch_end, &mut person, &mut risk, &mut left)?;
            is += 1;
        }
        let (mut d1, mut d2, mut c) = (0.0f64, 0.0f64, 0.0f64);
        leaving.clear();
        while ip < stops.len() && data.time[stops[ip]] == t {
            let i = stops[ip];
            let w = data.weight(i);
            match data.event[i] {
                0 => c += w,
                e if e == cause => d1 += w,
                _ => d2 += w,
            }
            // Take the person out of the running moments at their value before this step.
            if let Some(p) = &person[person_of(i)] {
                let z = value(&now, &epoch_end, p);
                risk.add(w, z, -1.0);
                leaving.push((i, z));
            }
            ip += 1;
        }
        let n = at_risk;
        let d = d1 + d2;
        let s = surv;
        if d > 0.0 && n > 0.0 {
            let (lambda, lambda_k) = (d / n, d1 / n);
            let (a, b) = (1.0 - lambda, lambda_k);
            let common = [s * lambda / n, -s * lambda_k / n];
            risk.step(a, b, common);
            left.step(a, b, [0.0, 0.0]);
            for (i, z) in &mut leaving {
                let w = data.weight(*i);
                let mut y = [a * z[0] + w * common[0], b * z[0] + z[1] + w * common[1]];
                let e = data.event[*i];
                if e > 0 {
                    y[0] -= w * s / n;
                    if e == cause {
                        y[1] += w * s / n;
                    }
                }
                *z = y;
            }
            now.u = [
                a * now.u[0] + common[0],
                b * now.u[0] + now.u[1] + common[1],
            ];
            f += s * lambda_k;
            surv *= a;
            now.f += now.s * lambda_k;
            now.s *= a;
            if now.s <= 0.0 {
                // Ŝ reached 0: later influences are carried within a new epoch.
                epoch_end.push(now.f);
                now.epoch += 1;
                now.s = 1.0;
                now.f = 0.0;
            }
        }
        for &(i, z) in &leaving {
            at_risk -= data.weight(i);
            left.add(0.0, z, 1.0);
            person[person_of(i)] = Some(Person {
                mark: now,
                z0: z,
                at_risk: None,
            });
        }
        out.time.push(t);
        out.at_risk.push(n);
        out.events.push(d1);
        out.other_events.push(d2);
        out.censored.push(c);
        out.estimate.push(f);
        out.variance.push((risk.q[2] + left.q[2]).max(0.0));
    }
    Ok(out)
}

/// Gray's test that the cumulative incidence of `cause` is the same in every group
/// (`data.strata` codes are the groups): the score of Gray (1988) with weight
/// `(1 − F(t−))^ρ` and its variance, `sᵀ V⁻¹ s` on `groups − 1` degrees of freedom, as R
/// `cmprsk::cuminc(...)$Tests` (unstratified).
///
/// Returns `(statistic, df, p_value)`. Sequential.
///
/// # Example
/// ```
/// use aluna_stats::competing::gray_test;
/// use aluna_stats::survival::SurvivalData;
/// let mut data = SurvivalData::new(
///     vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
///     vec![1, 2, 1, 0, 2, 1, 0, 1],
/// ).unwrap();
/// data.strata = Some(vec![0, 1, 0, 1, 0, 1, 0, 1]);
/// data.n_strata = 2;
/// let (statistic, df, p) = gray_test(&data, 1, 0.0).unwrap();
/// assert_eq!(df, 1);
/// assert!(statistic >= 0.0 && p > 0.0 && p <= 1.0);
/// ```
pub fn gray_test(data: &SurvivalData, cause: u32, rho: f64) -> Result<(f64, usize, f64)> {
    gray_test_stratified(data, cause, rho, None)
}

/// Gray's test stratified on `strata` (a code per row; `None`: unstratified): the scores and
/// their variances are computed within each stratum, comparing the groups (`data.strata`
/// codes) there, and summed over strata before `sᵀ V⁻¹ s`, as R
/// `cmprsk::cuminc(..., strata = )$Tests`. Estimates do not depend on the strata.
///
/// Returns `(statistic, df, p_value)`. Sequential.
///
/// # Example
/// ```
/// use aluna_stats::competing::{gray_test, gray_test_stratified};
/// use aluna_stats::survival::SurvivalData;
/// let mut data = SurvivalData::new(
///     vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
///     vec![1, 2, 1, 0, 2, 1, 0, 1],
/// ).unwrap();
/// data.strata = Some(vec![0, 1, 0, 1, 0, 1, 0, 1]);
/// data.n_strata = 2;
/// // One stratum holding every row is the unstratified test.
/// let one = gray_test_stratified(&data, 1, 0.0, Some(&[0; 8])).unwrap();
/// assert_eq!(one, gray_test(&data, 1, 0.0).unwrap());
/// ```
pub fn gray_test_stratified(
    data: &SurvivalData,
    cause: u32,
    rho: f64,
    strata: Option<&[u32]>,
) -> Result<(f64, usize, f64)> {
    require_cause(data, cause)?;
    let ng = data.n_strata;
    ensure!(
        ng >= 2,
        Error::argument("group", "Gray's test needs at least two groups")
    );
    let g1 = ng - 1;
    let blocks: Vec<Vec<usize>> = match strata {
        None => vec![(0..data.len()).collect()],
        Some(codes) => {
            ensure!(
                codes.len() == data.len(),
                Error::argument(
                    "strata",
                    format!("{} codes for {} rows", codes.len(), data.len())
                )
            );
            let k = codes.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
            let mut out = vec![Vec::new(); k];
            for (i, &c) in codes.iter().enumerate() {
                out[c as usize].push(i);
            }
            out.retain(|rows| !rows.is_empty());
            out
        }
    };
    let mut score = vec![0.0f64; g1];
    let mut v = Array2::<f64>::zeros((g1, g1));
    for rows in &blocks {
        let (s, vs) = gray_parts(data, rows, cause, rho);
        for (a, b) in score.iter_mut().zip(&s) {
            *a += b;
        }
        v += &vs;
    }
    let chol = Cholesky::new(&v).map_err(|_| Error::NotDefined {
        what: "Gray's test",
        reason: "the scores have a singular variance (a group without events of this cause?)"
            .into(),
    })?;
    let x = chol.solve(&score);
    let statistic: f64 = x.iter().zip(&score).map(|(a, b)| a * b).sum();
    Ok((statistic, g1, chi2_sf(statistic, g1 as f64)))
}

/// Gray's score and its variance over the rows `rows` (one stratum), groups `data.strata`.
fn gray_parts(
    data: &SurvivalData,
    rows: &[usize],
    cause: u32,
    rho: f64,
) -> (Vec<f64>, Array2<f64>) {
    let ng = data.n_strata;
    let all = rows;
    let order = argsort(&data.time, all);
    let g1 = ng - 1;
    let mut rs = vec![0.0f64; ng];
    for &i in all {
        rs[data.stratum(i)] += 1.0;
    }
    let mut f1m = vec![0.0f64; ng];
    let mut f1 = vec![0.0f64; ng];
    let mut skmm = vec![1.0f64; ng];
    let mut skm = vec![1.0f64; ng];
    let mut v3 = vec![0.0f64; ng];
    let mut v2 = Array2::<f64>::zeros((g1, ng));
    let mut c = Array2::<f64>::zeros((ng, ng));
    let mut a = Array2::<f64>::zeros((ng, ng));
    let mut v = Array2::<f64>::zeros((g1, g1));
    let mut score = vec![0.0f64; g1];
    let mut fm = 0.0f64;
    let mut f = 0.0f64;
    let mut d = vec![[0.0f64; 3]; ng];
    let mut k = 0;
    while k < order.len() {
        let t = data.time[order[k]];
        let first = k;
        d.iter_mut().for_each(|x| *x = [0.0; 3]);
        while k < order.len() && data.time[order[k]] == t {
            let i = order[k];
            let kind = match data.event[i] {
                0 => 0,
                e if e == cause => 1,
                _ => 2,
            };
            d[data.stratum(i)][kind] += 1.0;
            k += 1;
        }
        let nd1: f64 = d.iter().map(|x| x[1]).sum();
        let nd2: f64 = d.iter().map(|x| x[2]).sum();
        if nd1 > 0.0 || nd2 > 0.0 {
            let (mut tr, mut tq) = (0.0f64, 0.0f64);
            for i in 0..ng {
                if rs[i] <= 0.0 {
                    continue;
                }
                let td = d[i][1] + d[i][2];
                skm[i] = skmm[i] * (rs[i] - td) / rs[i];
                f1[i] = f1m[i] + skmm[i] * d[i][1] / rs[i];
                tr += rs[i] / skmm[i];
                tq += rs[i] * (1.0 - f1m[i]) / skmm[i];
            }
            f = fm + nd1 / tr;
            let fb = (1.0 - fm).powf(rho);
            a.fill(0.0);
            for i in 0..ng {
                if rs[i] <= 0.0 {
                    continue;
                }
                let t1 = rs[i] / skmm[i];
                a[[i, i]] = fb * t1 * (1.0 - t1 / tr);
                c[[i, i]] += a[[i, i]] * nd1 / (tr * (1.0 - fm));
                for j in i + 1..ng {
                    if rs[j] <= 0.0 {
                        continue;
                    }
                    a[[i, j]] = -fb * t1 * rs[j] / (skmm[j] * tr);
                    c[[i, j]] += a[[i, j]] * nd1 / (tr * (1.0 - fm));
                }
            }
            for i in 1..ng {
                for j in 0..i {
                    a[[i, j]] = a[[j, i]];
                    c[[i, j]] = c[[j, i]];
                }
            }
            for i in 0..g1 {
                if rs[i] > 0.0 {
                    score[i] += fb * (d[i][1] - nd1 * rs[i] * (1.0 - f1m[i]) / (skmm[i] * tq));
                }
            }
            if nd1 > 0.0 {
                for g in 0..ng {
                    if rs[g] <= 0.0 {
                        continue;
                    }
                    let t4 = if skm[g] > 0.0 {
                        1.0 - (1.0 - f) / skm[g]
                    } else {
                        1.0
                    };
                    let t5 = if nd1 > 1.0 {
                        1.0 - (nd1 - 1.0) / (tr * skmm[g] - 1.0)
                    } else {
                        1.0
                    };
                    let t3 = t5 * skmm[g] * nd1 / (tr * rs[g]);
                    v3[g] += t4 * t4 * t3;
                    for i in 0..g1 {
                        let t1 = a[[i, g]] - t4 * c[[i, g]];
                        v2[[i, g]] += t1 * t4 * t3;
                        for j in 0..=i {
                            let t2 = a[[j, g]] - t4 * c[[j, g]];
                            v[[i, j]] += t1 * t2 * t3;
                        }
                    }
                }
            }
            if nd2 > 0.0 {
                for g in 0..ng {
                    if skm[g] <= 0.0 || d[g][2] <= 0.0 {
                        continue;
                    }
                    let t4 = (1.0 - f) / skm[g];
                    let t5 = if d[g][2] > 1.0 {
                        1.0 - (d[g][2] - 1.0) / (rs[g] - 1.0)
                    } else {
                        1.0
                    };
                    let t3 = t5 * skmm[g] * skmm[g] * d[g][2] / (rs[g] * rs[g]);
                    v3[g] += t4 * t4 * t3;
                    for i in 0..g1 {
                        let t1 = t4 * c[[i, g]];
                        v2[[i, g]] -= t1 * t4 * t3;
                        for j in 0..=i {
                            let t2 = t4 * c[[j, g]];
                            v[[i, j]] += t1 * t2 * t3;
                        }
                    }
                }
            }
        }
        for &i in &order[first..k] {
            rs[data.stratum(i)] -= 1.0;
        }
        fm = f;
        f1m.copy_from_slice(&f1);
        skmm.copy_from_slice(&skm);
    }
    for i in 0..g1 {
        for j in 0..=i {
            for g in 0..ng {
                v[[i, j]] +=
                    c[[i, g]] * c[[j, g]] * v3[g] + c[[i, g]] * v2[[j, g]] + c[[j, g]] * v2[[i, g]];
            }
            v[[j, i]] = v[[i, j]];
        }
    }
    (score, v)
}

/// Settings of [`fit_fine_gray`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FineGrayOptions {
    /// The cause of interest.
    pub cause: u32,
    /// Newton iterations allowed.
    pub max_iterations: usize,
    /// Converged when every `|Δβ_j| ≤ tolerance · (1 + |β_j|)`.
    pub tolerance: f64,
}

impl Default for FineGrayOptions {
    fn default() -> Self {
        Self {
            cause: 1,
            max_iterations: 50,
            tolerance: 1e-10,
        }
    }
}

/// The censoring distribution `Ĝ(t−)` (Kaplan–Meier of censoring, left-continuous) at each
/// row's time, as R `cmprsk::crr` uses it.
fn censoring_left(data: &SurvivalData, order: &[usize]) -> Vec<f64> {
    let n = data.len();
    let mut g_left = vec![1.0f64; n];
    let mut g = 1.0f64;
    let mut at_risk = n as f64;
    let mut k = 0;
    while k < order.len() {
        let t = data.time[order[k]];
        let first = k;
        let mut censored = 0.0;
        while k < order.len() && data.time[order[k]] == t {
            if data.event[order[k]] == 0 {
                censored += 1.0;
            }
            k += 1;
        }
        for &i in &order[first..k] {
            g_left[i] = g;
        }
        if censored > 0.0 && at_risk > 0.0 {
            g *= 1.0 - censored / at_risk;
        }
        at_risk -= (k - first) as f64;
    }
    g_left
}

/// Log partial likelihood, score and information of the Fine–Gray model at `beta`.
///
/// At each event time `t` of the cause (Breslow ties, as `crr`), the risk set holds rows still
/// under follow-up (`T_i ≥ t`) and rows that failed from another cause before `t`, weighted
/// `Ĝ(t−)/Ĝ(T_i−)`. One sweep keeps the two kinds apart (the second as sums divided by
/// `Ĝ(T_i−)`, scaled by `Ĝ(t−)` when used); the information's second-moment part is one
/// weighted cross-product over the rows.
fn fine_gray_evaluate(
    x: &Array2<f64>,
    data: &SurvivalData,
    order: &[usize],
    g_left: &[f64],
    cause: u32,
    beta: &[f64],
) -> (f64, Vec<f64>, Array2<f64>) {
    let n = data.len();
    let p = x.ncols();
    let xs = x.as_slice().unwrap_or(&[]);
    let row = |i: usize| &xs[i * p..(i + 1) * p];
    let eta: Vec<f64> = (0..n)
        .map(|i| row(i).iter().zip(beta).map(|(a, b)| a * b).sum())
        .collect();
    let risk: Vec<f64> = eta.iter().map(|e| e.exp()).collect();
    // Ascending sweep: "still followed" sums start full and lose rows as time passes; "other
    // cause" sums gain rows (divided by Ĝ(T_i−)) after their time.
    let (mut f0, mut f1) = (0.0f64, vec![0.0f64; p]);
    for (i, &r) in risk.iter().enumerate() {
        f0 += r;
        for (a, v) in f1.iter_mut().zip(row(i)) {
            *a += r * v;
        }
    }
    let (mut o0, mut o1) = (0.0f64, vec![0.0f64; p]);
    let mut ll = 0.0;
    let mut grad = vec![0.0; p];
    let mut outer = vec![0.0; p * p];
    // Row coefficients for the second moments: followed rows Σ c_k over times ≤ T_i; other-cause
    // rows (1/Ĝ(T_i−)) Σ c_k Ĝ(t_k−) over times > T_i.
    let mut cum_c = 0.0f64; // Σ c_k so far
    let mut cum_cg = 0.0f64; // Σ c_k Ĝ(t_k−) so far
    let mut start_c = vec![0.0f64; n];
    let mut start_cg = vec![0.0f64; n];
    let mut xbar = vec![0.0; p];
    let mut k = 0;
    while k < order.len() {
        let t = data.time[order[k]];
        let first = k;
        while k < order.len() && data.time[order[k]] == t {
            k += 1;
        }
        let group = &order[first..k];
        let d = group.iter().filter(|&&i| data.event[i] == cause).count() as f64;
        if d > 0.0 {
            let gt = g_left[group[0]];
            let s0 = f0 + gt * o0;
            for a in 0..p {
                xbar[a] = (f1[a] + gt * o1[a]) / s0;
            }
            for &i in group {
                if data.event[i] == cause {
                    ll += eta[i];
                    for (g, v) in grad.iter_mut().zip(row(i)) {
                        *g += v;
                    }
                }
            }
            ll -= d * s0.ln();
            for a in 0..p {
                grad[a] -= d * xbar[a];
                for b in a..p {
                    outer[a * p + b] += d * xbar[a] * xbar[b];
                }
            }
            let ck = d / s0;
            cum_c += ck;
            cum_cg += ck * gt;
        }
        // Rows ending at t leave the followed set; other-cause failures join the other set.
        for &i in group {
            f0 -= risk[i];
            for (a, v) in f1.iter_mut().zip(row(i)) {
                *a -= risk[i] * v;
            }
            start_c[i] = cum_c; // Σ c over times ≤ T_i
            if data.event[i] != 0 && data.event[i] != cause {
                let w = risk[i] / g_left[i];
                o0 += w;
                for (a, v) in o1.iter_mut().zip(row(i)) {
                    *a += w * v;
                }
            }
        }
        // Remember, for other-cause rows, Σ c Ĝ up to their time (to subtract at the end).
        for &i in group {
            start_cg[i] = cum_cg;
        }
    }
    let u: Vec<f64> = (0..n)
        .map(|i| {
            let followed = start_c[i];
            if data.event[i] != 0 && data.event[i] != cause {
                risk[i] * (followed + (cum_cg - start_cg[i]) / g_left[i])
            } else {
                risk[i] * followed
            }
        })
        .collect();
    let rows = x.as_standard_layout();
    let mut hess = weighted_cross_rows(rows.as_slice().unwrap_or(&[]), p, &u);
    hess -= &symmetric_from_upper(&outer, p);
    (ll, grad, hess)
}

/// Fit the Fine–Gray proportional subdistribution hazards model for `cause` (Fine & Gray 1999,
/// <https://doi.org/10.1080/01621459.1999.10474144>): the Cox-type partial likelihood in which
/// rows that failed from another cause stay in the risk set with inverse-probability-of-
/// censoring weights `Ĝ(t−)/Ĝ(T_i−)`, Breslow ties, as R `cmprsk::crr`.
///
/// The returned covariance is the inverse information (model-based, which treats `Ĝ` as
/// known); [`fine_gray_robust_covariance`] gives `crr`'s sandwich, which also carries the
/// variability of `Ĝ`.
///
/// # Example
/// ```
/// use aluna_stats::competing::{fit_fine_gray, FineGrayOptions};
/// use aluna_stats::design::Design;
/// use aluna_stats::survival::SurvivalData;
/// use ndarray::array;
/// let x = array![[0.0], [1.0], [0.0], [1.0], [0.0], [1.0], [1.0], [0.0]];
/// let design = Design::new(x, vec!["treated".into()]).unwrap();
/// let data = SurvivalData::new(
///     vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], vec![1, 2, 1, 0, 2, 1, 0, 1]).unwrap();
/// let fit = fit_fine_gray(&design, &data, &FineGrayOptions::default()).unwrap();
/// assert!(fit.converged);
/// ```
pub fn fit_fine_gray(
    design: &Design,
    data: &SurvivalData,
    options: &FineGrayOptions,
) -> Result<CoxFit> {
    let cause = options.cause;
    require_cause(data, cause)?;
    ensure!(
        data.entry.is_none() && data.weights.is_none() && data.strata.is_none(),
        Error::argument(
            "entry",
            "the Fine–Gray model here takes neither entry times, weights nor strata"
        )
    );
    ensure!(
        design.rows() == data.len(),
        Error::argument("covariates", "design and survival rows differ")
    );
    design.check_rank(None, false, true, "FineGray")?;
    let p = design.cols();
    let means = design.means(None);
    let mut x = design.matrix().clone();
    for mut r in x.rows_mut() {
        for (v, m) in r.iter_mut().zip(&means) {
            *v -= m;
        }
    }
    let all: Vec<usize> = (0..data.len()).collect();
    let order = argsort(&data.time, &all);
    let g_left = censoring_left(data, &order);
    let mut beta = vec![0.0; p];
    let (ll0, mut grad, mut hess) = fine_gray_evaluate(&x, data, &order, &g_left, cause, &beta);
    let score_statistic = Cholesky::new(&hess)
        .map(|c| {
            let s = c.solve(&grad);
            s.iter().zip(&grad).map(|(a, b)| a * b).sum()
        })
        .unwrap_or(f64::NAN);
    let mut ll = ll0;
    let mut converged = false;
    let mut iterations = 0;
    while iterations < options.max_iterations {
        iterations += 1;
        let chol = Cholesky::new(&hess).map_err(|_| Error::Singular {
            model: "FineGray",
            detail: crate::design::describe_dependencies(
                &collinear_columns(&hess, 1e-10),
                design.names(),
            ),
        })?;
        let step = chol.solve(&grad);
        let mut t = 1.0;
        let (mut cand, mut c_ll, mut c_grad, mut c_hess);
        loop {
            cand = beta
                .iter()
                .zip(&step)
                .map(|(b, s)| b + t * s)
                .collect::<Vec<_>>();
            (c_ll, c_grad, c_hess) = fine_gray_evaluate(&x, data, &order, &g_left, cause, &cand);
            if (c_ll.is_finite() && c_ll >= ll - 1e-12 * ll.abs().max(1.0)) || t < 1e-10 {
                break;
            }
            t *= 0.5;
        }
        let small = step
            .iter()
            .zip(&cand)
            .all(|(s, b)| (t * s).abs() <= options.tolerance * (1.0 + b.abs()));
        beta = cand;
        ll = c_ll;
        grad = c_grad;
        hess = c_hess;
        if small {
            converged = true;
            break;
        }
    }
    if !converged {
        return Err(Error::NotConverged {
            model: "FineGray",
            iterations,
            hint: "rescale or drop covariates; check for a covariate that separates the cause"
                .into(),
        });
    }
    let covariance = Cholesky::new(&hess)
        .map_err(|_| Error::Singular {
            model: "FineGray",
            detail: "the information matrix is singular at the estimate".into(),
        })?
        .inverse();
    let events = data.event.iter().filter(|&&e| e == cause).count();
    Ok(CoxFit {
        coef: beta,
        covariance,
        information: hess,
        log_likelihood: ll,
        null_log_likelihood: ll0,
        score_statistic,
        iterations,
        converged,
        diverging: Vec::new(),
        means,
        ties: crate::cox::Ties::Breslow,
        events,
    })
}

/// The robust (sandwich) covariance of a Fine–Gray fit, as R `cmprsk::crr` reports it
/// (Fine & Gray 1999, section 3 and appendix, <https://doi.org/10.1080/01621459.1999.10474144>):
///
/// `V = I⁻¹ [Σ_i (η_i + ψ_i)(η_i + ψ_i)ᵀ] I⁻¹`
///
/// with `I` the information at `β̂` and, writing `w_i(t)` for row i's weight in the risk set at
/// `t` (1 while followed, `Ĝ(t−)/Ĝ(T_i−)` after a failure from another cause, 0 after
/// censoring), `x̄(t)` and `S0(t)` for the weighted risk-set mean and total, and
/// `dΛ̂(t) = d(t)/S0(t)` (Breslow):
///
/// - `η_i = ∫ (x_i − x̄(t)) w_i(t) [dN_i(t) − exp(x_iᵀβ̂) dΛ̂(t)]`, the score residual under the
///   weighted risk sets;
/// - `ψ_i = ∫ q(u)/n(u) dM^c_i(u)`, the correction for estimating `G` by Kaplan–Meier:
///   `dM^c_i(u) = dN^c_i(u) − Y_i(u) dN^c(u)/n(u)` with `n(u)` the number still followed at `u`,
///   and `q(u) = Σ_{t_k ≥ u} dΛ̂(t_k) Σ_{j: T_j < u, other cause} w_j(t_k) exp(x_jᵀβ̂)
///   (x_j − x̄(t_k))`.
///
/// One ascending sweep with prefix sums over the event times, `O(n p²)` in all. Sequential
/// (the same bits whatever the thread count).
///
/// `fit` must be the result of [`fit_fine_gray`] on the same `design`, `data` and `options`.
///
/// # Example
/// ```
/// use aluna_stats::competing::{fine_gray_robust_covariance, fit_fine_gray, FineGrayOptions};
/// use aluna_stats::design::Design;
/// use aluna_stats::survival::SurvivalData;
/// use ndarray::array;
/// let x = array![[0.0], [1.0], [0.0], [1.0], [0.0], [1.0], [1.0], [0.0]];
/// let design = Design::new(x, vec!["treated".into()]).unwrap();
/// let data = SurvivalData::new(
///     vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], vec![1, 2, 1, 0, 2, 1, 0, 1]).unwrap();
/// let options = FineGrayOptions::default();
/// let fit = fit_fine_gray(&design, &data, &options).unwrap();
/// let v = fine_gray_robust_covariance(&design, &data, &options, &fit).unwrap();
/// assert!(v[[0, 0]] > 0.0 && v[[0, 0]].is_finite());
/// ```
pub fn fine_gray_robust_covariance(
    design: &Design,
    data: &SurvivalData,
    options: &FineGrayOptions,
    fit: &CoxFit,
) -> Result<Array2<f64>> {
    let cause = options.cause;
    require_cause(data, cause)?;
    ensure!(
        data.entry.is_none() && data.weights.is_none() && data.strata.is_none(),
        Error::argument(
            "entry",
            "the Fine–Gray model here takes neither entry times, weights nor strata"
        )
    );
    let p = design.cols();
    ensure!(
        design.rows() == data.len() && fit.coef.len() == p && fit.means.len() == p,
        Error::argument(
            "fit",
            "the fit does not belong to this design and data (rows or columns differ)"
        )
    );
    let n = data.len();
    let beta = &fit.coef;
    // Centred rows (the residuals do not depend on the centring; it keeps exp() tame).
    let x: Vec<f64> = (0..n)
        .flat_map(|i| design.row(i).iter().zip(&fit.means).map(|(v, m)| v - m))
        .collect();
    let row = |i: usize| &x[i * p..(i + 1) * p];
    let risk: Vec<f64> = (0..n)
        .map(|i| {
            row(i)
                .iter()
                .zip(beta)
                .map(|(a, b)| a * b)
                .sum::<f64>()
                .exp()
        })
        .collect();
    let all: Vec<usize> = (0..n).collect();
    let order = argsort(&data.time, &all);
    let g_left = censoring_left(data, &order);
    let other = |i: usize| data.event[i] != 0 && data.event[i] != cause;

    // Followed sums start full; other-cause sums (divided by Ĝ(T_j−)) gain rows after T_j.
    let (mut f0, mut f1) = (0.0f64, vec![0.0f64; p]);
    for (i, &r) in risk.iter().enumerate() {
        f0 += r;
        for (a, v) in f1.iter_mut().zip(row(i)) {
            *a += r * v;
        }
    }
    let (mut o0, mut o1) = (0.0f64, vec![0.0f64; p]);
    // Prefix sums over event times so far: A = Σ dΛ, B = Σ dΛ x̄, AG = Σ dΛ Ĝ, BG = Σ dΛ Ĝ x̄.
    let (mut a_sum, mut b_sum) = (0.0f64, vec![0.0f64; p]);
    let (mut ag_sum, mut bg_sum) = (0.0f64, vec![0.0f64; p]);
    let mut resid = vec![0.0f64; n * p];
    // Per row: index into the prefix snapshots taken after its time group.
    let mut snap_a = Vec::new();
    let mut snap_b = Vec::new();
    let mut snap_ag = Vec::new();
    let mut snap_bg = Vec::new();
    let mut row_snap = vec![0usize; n];
    // Censoring times: (n(u), censored, O0(u), O1(u), AG(<u), BG(<u)); rows censored there.
    struct CensorTime {
        at_risk: f64,
        censored: f64,
        o0: f64,
        o1: Vec<f64>,
        ag_before: f64,
        bg_before: Vec<f64>,
    }
    let mut censor_times: Vec<CensorTime> = Vec::new();
    // Per row: the index of the last censoring time ≤ T_i (+1; 0 = none).
    let mut row_censor = vec![0usize; n];
    let mut at_risk = n as f64;
    let mut xbar = vec![0.0f64; p];
    let mut k = 0;
    while k < order.len() {
        let t = data.time[order[k]];
        let first = k;
        while k < order.len() && data.time[order[k]] == t {
            k += 1;
        }
        let group = &order[first..k];
        let censored = group.iter().filter(|&&i| data.event[i] == 0).count() as f64;
        if censored > 0.0 {
            censor_times.push(CensorTime {
                at_risk,
                censored,
                o0,
                o1: o1.clone(),
                ag_before: ag_sum,
                bg_before: bg_sum.clone(),
            });
        }
        let d = group.iter().filter(|&&i| data.event[i] == cause).count() as f64;
        if d > 0.0 {
            let gt = g_left[group[0]];
            let s0 = f0 + gt * o0;
            for a in 0..p {
                xbar[a] = (f1[a] + gt * o1[a]) / s0;
            }
            // dN part of η for the rows failing from the cause now.
            for &i in group {
                if data.event[i] == cause {
                    for (r, (v, m)) in resid[i * p..(i + 1) * p]
                        .iter_mut()
                        .zip(row(i).iter().zip(&xbar))
                    {
                        *r += v - m;
                    }
                }
            }
            let c = d / s0;
            a_sum += c;
            ag_sum += c * gt;
            for a in 0..p {
                b_sum[a] += c * xbar[a];
                bg_sum[a] += c * gt * xbar[a];
            }
        }
        snap_a.push(a_sum);
        snap_b.push(b_sum.clone());
        snap_ag.push(ag_sum);
        snap_bg.push(bg_sum.clone());
        for &i in group {
            row_snap[i] = snap_a.len() - 1;
            row_censor[i] = censor_times.len();
            f0 -= risk[i];
            for (a, v) in f1.iter_mut().zip(row(i)) {
                *a -= risk[i] * v;
            }
            if other(i) {
                let w = risk[i] / g_left[i];
                o0 += w;
                for (a, v) in o1.iter_mut().zip(row(i)) {
                    *a += w * v;
                }
            }
        }
        at_risk -= group.len() as f64;
    }
    // dΛ part of η: followed up to T_i, then (other cause only) weighted after T_i.
    for i in 0..n {
        let s = row_snap[i];
        let r = &mut resid[i * p..(i + 1) * p];
        for a in 0..p {
            let xi = x[i * p + a];
            r[a] -= risk[i] * (xi * snap_a[s] - snap_b[s][a]);
            if other(i) {
                r[a] -= risk[i] / g_left[i]
                    * (xi * (ag_sum - snap_ag[s]) - (bg_sum[a] - snap_bg[s][a]));
            }
        }
    }
    // q(u) at each censoring time, then ψ_i = δc_i q(T_i)/n(T_i) − Σ_{u ≤ T_i} c(u) q(u)/n(u)².
    let mut q = vec![0.0f64; censor_times.len() * p];
    let mut compensator = vec![0.0f64; (censor_times.len() + 1) * p];
    for (m, ct) in censor_times.iter().enumerate() {
        let later_ag = ag_sum - ct.ag_before;
        for a in 0..p {
            let later_bg = bg_sum[a] - ct.bg_before[a];
            q[m * p + a] = ct.o1[a] * later_ag - ct.o0 * later_bg;
            compensator[(m + 1) * p + a] =
                compensator[m * p + a] + ct.censored * q[m * p + a] / (ct.at_risk * ct.at_risk);
        }
    }
    let mut meat = vec![0.0f64; p * p];
    for i in 0..n {
        let m = row_censor[i];
        let r = &mut resid[i * p..(i + 1) * p];
        for a in 0..p {
            r[a] -= compensator[m * p + a];
            if data.event[i] == 0 && m > 0 {
                // Row i is censored at its own time, the m-th censoring time.
                r[a] += q[(m - 1) * p + a] / censor_times[m - 1].at_risk;
            }
        }
        crate::design::add_outer_upper(&mut meat, r, 1.0);
    }
    let meat = symmetric_from_upper(&meat, p);
    Ok(crate::linalg::sandwich(&fit.covariance, &meat))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Σ_people (Σ_their rows w_r ∂F/∂w_r)²` by central differences of the estimate in each
    /// weight, an independent check of the sweep.
    fn numeric_variance(data: &SurvivalData, cause: u32) -> Vec<f64> {
        let rows: Vec<usize> = (0..data.len()).collect();
        let people = data.subjects.as_ref().map_or(data.len(), |s| {
            s.iter().map(|&p| p as usize + 1).max().unwrap_or(0)
        });
        let len = cumulative_incidence(data, &rows, cause).unwrap().time.len();
        let mut sums = vec![vec![0.0f64; len]; people];
        let h = 1e-6;
        for i in 0..data.len() {
            let shifted = |delta: f64| {
                let mut d = data.clone();
                d.weights.as_mut().unwrap()[i] += delta;
                cumulative_incidence(&d, &rows, cause).unwrap().estimate
            };
            let (up, down) = (shifted(h), shifted(-h));
            let p = data.subjects.as_ref().map_or(i, |s| s[i] as usize);
            for k in 0..len {
                sums[p][k] += data.weight(i) * (up[k] - down[k]) / (2.0 * h);
            }
        }
        (0..len)
            .map(|k| sums.iter().map(|s| s[k] * s[k]).sum())
            .collect()
    }

    fn assert_close(ours: &[f64], numeric: &[f64]) {
        assert_eq!(ours.len(), numeric.len());
        for (a, b) in ours.iter().zip(numeric) {
            assert!((a - b).abs() < 1e-8, "{a} vs {b}");
        }
    }

    /// The jackknife variance is `Σ (w_i ∂F/∂w_i)²` (delayed entry, ties, weights, both
    /// causes).
    #[test]
    fn jackknife_variance_is_the_sum_of_squared_weight_derivatives() {
        let (_, base) = small();
        let n = base.len();
        let mut data = base.clone();
        data.entry = Some((0..n).map(|i| (i % 4) as f64 * 0.5).collect());
        data.weights = Some((0..n).map(|i| 0.5 + (i % 3) as f64 * 0.5).collect());
        let rows: Vec<usize> = (0..n).collect();
        for cause in [1, 2] {
            let fit = cumulative_incidence(&data, &rows, cause).unwrap();
            let numeric = numeric_variance(&data, cause);
            assert_close(&fit.variance, &numeric);
            assert!(numeric.iter().any(|&v| v > 1e-3));
        }
    }

    /// With people (`subjects`) of two rows each, gaps between them, ties and weights that
    /// vary between a person's rows, the variance sums the derivatives per person.
    #[test]
    fn jackknife_variance_sums_over_a_persons_rows() {
        let (mut entry, mut time, mut event, mut weights, mut subjects) =
            (vec![], vec![], vec![], vec![], vec![]);
        for p in 0..16u32 {
            let e = f64::from(p % 3) * 0.5;
            let t1 = e + 1.0 + f64::from(p % 5);
            let t2 = t1 + f64::from(p % 2) + 1.0 + f64::from(p * 7 % 4);
            for (j, (start, stop, ev)) in [(e, t1, 0), (t1 + f64::from(p % 2), t2, p % 3)]
                .into_iter()
                .enumerate()
            {
                entry.push(start);
                time.push(stop);
                event.push(ev);
                weights.push(0.5 + ((2 * p as usize + j) % 3) as f64 * 0.5);
                subjects.push(p);
            }
        }
        let mut data = SurvivalData::new(time, event).unwrap();
        data.entry = Some(entry);
        data.weights = Some(weights);
        data.subjects = Some(subjects);
        let rows: Vec<usize> = (0..data.len()).collect();
        for cause in [1, 2] {
            let fit = cumulative_incidence(&data, &rows, cause).unwrap();
            assert_close(&fit.variance, &numeric_variance(&data, cause));
        }
        // Overlapping rows of one person are refused.
        data.entry.as_mut().unwrap()[1] = 0.1;
        let err = cumulative_incidence(&data, &rows, 1).unwrap_err();
        assert!(err.to_string().contains("overlap"), "{err}");
    }

    /// Everyone at risk fails at t = 1 (Ŝ = 0), then people enter: their influence is 0 and
    /// the earlier ones' is carried across the epoch.
    #[test]
    fn jackknife_variance_after_survival_reaches_zero() {
        let mut data =
            SurvivalData::new(vec![1.0, 1.0, 3.0, 4.0, 5.0], vec![1, 2, 1, 0, 2]).unwrap();
        data.entry = Some(vec![0.0, 0.0, 2.0, 2.0, 3.5]);
        data.weights = Some(vec![1.0, 2.0, 1.0, 0.5, 1.5]);
        let rows: Vec<usize> = (0..5).collect();
        for cause in [1, 2] {
            let fit = cumulative_incidence(&data, &rows, cause).unwrap();
            assert_close(&fit.variance, &numeric_variance(&data, cause));
        }
        // F_1 = 1/3 for good: dF/dw = (2/9, -1/9) for the first two rows.
        let fit = cumulative_incidence(&data, &rows, 1).unwrap();
        assert!((fit.estimate[3] - 1.0 / 3.0).abs() < 1e-15);
        assert!((fit.variance[3] - (4.0 + 4.0) / 81.0).abs() < 1e-15);
    }

    /// Weights of one and entry times before every duration leave the estimate as cmprsk's.
    #[test]
    fn unit_weights_leave_the_estimate_unchanged() {
        let (_, base) = small();
        let rows: Vec<usize> = (0..base.len()).collect();
        let mut data = base.clone();
        data.weights = Some(vec![1.0; base.len()]);
        let plain = cumulative_incidence(&base, &rows, 1).unwrap();
        let weighted = cumulative_incidence(&data, &rows, 1).unwrap();
        for (a, b) in plain.estimate.iter().zip(&weighted.estimate) {
            assert!((a - b).abs() < 1e-14);
        }
        assert_eq!(plain.at_risk, weighted.at_risk);
    }

    /// 30 rows with tied times, censoring tied with events of both causes. Reference values
    /// from R 4.2.2, cmprsk 2.2.11: `set.seed(7); n <- 30; t <- sample(1:12, n, TRUE);
    /// e <- sample(0:2, n, TRUE, prob = c(0.3, 0.45, 0.25)); x1 <- round(rnorm(n), 2);
    /// x2 <- rbinom(n, 1, 0.4); f <- crr(t, e, cov1 = cbind(x1, x2), failcode = 1,
    /// cencode = 0, gtol = 1e-12, maxiter = 100)`, printed with `sprintf("%.17g", ...)` (shortest round-trip here) (`f$coef`, `f$var`,
    /// `sqrt(diag(solve(f$inf)))`). The Python test against the mgus2 fixture is the authority.
    fn small() -> (Design, SurvivalData) {
        let time = [
            10, 3, 12, 7, 2, 10, 6, 8, 8, 3, 8, 8, 6, 8, 11, 10, 12, 3, 4, 8, 2, 6, 6, 11, 5, 4,
            11, 6, 10, 7,
        ];
        let event = [
            0, 2, 2, 0, 2, 1, 2, 1, 2, 1, 1, 2, 2, 2, 0, 0, 2, 0, 0, 1, 1, 1, 1, 1, 1, 0, 2, 0, 0,
            0,
        ];
        let x1 = [
            -0.08, -0.42, -0.56, 1.0, -1.11, -0.14, 0.31, 1.22, -0.7, -0.29, -1.31, -0.39, -0.4,
            1.35, 0.59, 0.1, 0.93, -0.26, -0.01, 0.37, 1.71, 0.72, 0.48, -1.57, 0.32, 0.17, -0.9,
            0.08, 0.16, 0.54,
        ];
        let x2 = [
            1, 0, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0,
            1,
        ];
        let x = Array2::from_shape_fn((30, 2), |(i, j)| if j == 0 { x1[i] } else { x2[i] as f64 });
        let design = Design::new(x, vec!["x1".into(), "x2".into()]).unwrap();
        let data =
            SurvivalData::new(time.iter().map(|&t| t as f64).collect(), event.to_vec()).unwrap();
        (design, data)
    }

    #[test]
    fn sandwich_matches_crr() {
        let (design, data) = small();
        let options = FineGrayOptions::default();
        let fit = fit_fine_gray(&design, &data, &options).unwrap();
        let coef = [0.3420722167749576, -0.07060633360873542];
        let var = [
            [0.19495097545822898, 0.014416326667675894],
            [0.01441632666767588, 0.3551870507129642],
        ];
        let se_model = [0.4224833047807143, 0.6673984615218401];
        for j in 0..2 {
            assert!(
                (fit.coef[j] - coef[j]).abs() < 1e-8,
                "coef {j}: {}",
                fit.coef[j]
            );
            let se = fit.covariance[[j, j]].sqrt();
            assert!(
                (se - se_model[j]).abs() < 1e-8 * se_model[j],
                "model se {j}: {se}"
            );
        }
        let v = fine_gray_robust_covariance(&design, &data, &options, &fit).unwrap();
        for a in 0..2 {
            for b in 0..2 {
                let rel = (v[[a, b]] - var[a][b]).abs() / var[a][b].abs();
                assert!(
                    rel < 1e-9,
                    "var[{a}][{b}] = {} vs crr {}",
                    v[[a, b]],
                    var[a][b]
                );
            }
        }
    }

    #[test]
    fn sandwich_does_not_depend_on_row_order_or_location() {
        let (design, data) = small();
        let options = FineGrayOptions::default();
        let fit = fit_fine_gray(&design, &data, &options).unwrap();
        let v = fine_gray_robust_covariance(&design, &data, &options, &fit).unwrap();
        // Rows reversed and the covariates shifted: the same variance.
        let n = data.len();
        let x = Array2::from_shape_fn((n, 2), |(i, j)| {
            design.matrix()[[n - 1 - i, j]] + if j == 0 { 5.0 } else { -2.0 }
        });
        let moved = Design::new(x, design.names().to_vec()).unwrap();
        let reversed = SurvivalData::new(
            data.time.iter().rev().copied().collect(),
            data.event.iter().rev().copied().collect(),
        )
        .unwrap();
        let fit2 = fit_fine_gray(&moved, &reversed, &options).unwrap();
        let v2 = fine_gray_robust_covariance(&moved, &reversed, &options, &fit2).unwrap();
        for (a, b) in v.iter().zip(v2.iter()) {
            assert!((a - b).abs() <= 1e-9 * a.abs().max(1e-3), "{a} vs {b}");
        }
    }

    #[test]
    fn sandwich_rejects_a_foreign_fit() {
        let (design, data) = small();
        let options = FineGrayOptions::default();
        let mut fit = fit_fine_gray(&design, &data, &options).unwrap();
        fit.coef.pop();
        let err = fine_gray_robust_covariance(&design, &data, &options, &fit).unwrap_err();
        assert!(err.to_string().contains("does not belong"), "{err}");
    }
}
