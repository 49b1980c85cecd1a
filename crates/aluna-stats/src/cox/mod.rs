//! The Cox proportional hazards model for `(start, stop]` counting-process data, with Efron or
//! Breslow ties, strata, case weights, a ridge penalty, robust (cluster) variances, concordance,
//! baseline hazards and the proportional-hazards test of R `survival` ≥ 3.0 (`cox.zph`).
//!
//! The hazard of row `i` at time `t` is `h_s(t) exp(x_iᵀβ)` with a baseline `h_s` per stratum
//! `s`. Row `i` is at risk at `t` when `entry_i < t ≤ duration_i` (Andersen & Gill 1982,
//! <https://doi.org/10.1214/aos/1176345976>), which covers delayed entry, time-varying
//! covariates (one row per interval) and time at risk in the community (custody removed).
//!
//! At each distinct event time with `d` tied events, Efron's approximation (Efron 1977,
//! <https://doi.org/10.1080/01621459.1977.10480613>) removes the tied rows from the risk set in
//! `d` equal steps; Breslow's keeps them all. With weights, the tied events share their mean
//! weight, as in R `survival`. Covariates are centred before fitting (the estimates do not
//! change; `exp` does not overflow).
//!
//! A fit sorts and centres the design once, by column ([`likelihood`]); each Newton step is then
//! two parallel passes over the rows and a sequential sweep of scalars down the tie groups of
//! each stratum, adding rows to the risk sets as their stop passes and removing them as their
//! start passes: `O(n p²)` per step after one sort. The post-fit computations (residuals,
//! baseline hazards, `cox.zph`) sweep a row-major copy with full risk-set sums.

use aluna_core::{ensure, Error, Result};
use ndarray::Array2;
use rayon::prelude::*;

use crate::columns::Columns;
use crate::design::{
    add_outer_upper, check_gram, describe_dependencies, dot4, symmetric_from_upper, Design, BLOCK,
};
use likelihood::{Evaluation, PartialLikelihood};

mod likelihood;

use crate::linalg::{collinear_columns, quadratic_form, Cholesky};
use crate::survival::{argsort, chi2_sf, SurvivalData};

/// How tied event times are handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ties {
    /// Efron's approximation (R's default).
    #[default]
    Efron,
    /// Breslow's approximation.
    Breslow,
}

/// Settings of [`fit_cox`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoxOptions {
    /// Tie handling.
    pub ties: Ties,
    /// Ridge penalty `λ`: the log partial likelihood minus `(n λ / 2) Σ (σ_j β_j)²`, with `σ_j`
    /// the standard deviation of covariate `j` (lifelines' convention, so the penalty does not
    /// depend on the covariates' units).
    pub penalizer: f64,
    /// Newton iterations allowed.
    pub max_iterations: usize,
    /// Converged when every step satisfies `|Δβ_j| ≤ tolerance · (1 + |β_j|)`.
    pub tolerance: f64,
}

impl Default for CoxOptions {
    fn default() -> Self {
        Self {
            ties: Ties::Efron,
            penalizer: 0.0,
            max_iterations: 50,
            tolerance: 1e-10,
        }
    }
}

/// The fitted Cox model.
#[derive(Debug, Clone)]
pub struct CoxFit {
    /// Coefficients (log hazard ratios), in the design's column order.
    pub coef: Vec<f64>,
    /// Model-based covariance: the inverse of the (penalised) information.
    pub covariance: Array2<f64>,
    /// The (penalised) information matrix at the estimate.
    pub information: Array2<f64>,
    /// Log partial likelihood at the estimate (without the penalty).
    pub log_likelihood: f64,
    /// Log partial likelihood at `β = 0`.
    pub null_log_likelihood: f64,
    /// Score test of `β = 0`: `U(0)ᵀ I(0)⁻¹ U(0)`.
    pub score_statistic: f64,
    /// Newton iterations run.
    pub iterations: usize,
    /// Whether the steps became small.
    pub converged: bool,
    /// Columns whose coefficients run off to infinity (monotone likelihood).
    pub diverging: Vec<usize>,
    /// The column means the design was centred on.
    pub means: Vec<f64>,
    /// Tie handling used.
    pub ties: Ties,
    /// Number of events (rows with event > 0 and positive weight).
    pub events: usize,
}

/// Risk-set sums `S0 = Σ w r`, `S1 = Σ w r x`, `S2 = Σ w r x xᵀ` (upper triangle).
#[derive(Clone)]
struct Sums {
    s0: f64,
    s1: Vec<f64>,
    s2: Vec<f64>,
}

impl Sums {
    fn new(p: usize, second: bool) -> Self {
        Self {
            s0: 0.0,
            s1: vec![0.0; p],
            s2: if second { vec![0.0; p * p] } else { Vec::new() },
        }
    }
    fn clear(&mut self) {
        self.s0 = 0.0;
        self.s1.iter_mut().for_each(|v| *v = 0.0);
        self.s2.iter_mut().for_each(|v| *v = 0.0);
    }
    #[inline]
    fn add(&mut self, x: &[f64], wr: f64) {
        self.s0 += wr;
        for (s, v) in self.s1.iter_mut().zip(x) {
            *s += wr * v;
        }
        if !self.s2.is_empty() {
            add_outer_upper(&mut self.s2, x, wr);
        }
    }
}

/// What the sweep hands to its visitor at each distinct event time of a stratum.
struct Tie<'a> {
    stratum: usize,
    time: f64,
    deaths: &'a [usize],
    risk: &'a Sums,
    dead: &'a Sums,
    /// Σ w over the tied events.
    weight: f64,
}

/// Rows of each stratum sorted by stop (descending) and, with entry times, by start.
struct Order {
    by_stop: Vec<Vec<usize>>,
    by_start: Vec<Vec<usize>>,
}

impl Order {
    fn new(data: &SurvivalData) -> Self {
        let strata = data.rows_by_stratum();
        let by_stop = strata
            .iter()
            .map(|rows| {
                let mut r = argsort(&data.time, rows);
                r.reverse();
                r
            })
            .collect();
        let by_start = strata
            .iter()
            .map(|rows| match &data.entry {
                Some(entry) => {
                    let mut r = argsort(entry, rows);
                    r.reverse();
                    r
                }
                None => Vec::new(),
            })
            .collect();
        Self { by_stop, by_start }
    }
}

/// The centred design and risk scores at `beta`.
struct Model<'a> {
    x: &'a Array2<f64>,
    p: usize,
    data: &'a SurvivalData,
    order: &'a Order,
}

impl<'a> Model<'a> {
    fn new(x: &'a Array2<f64>, data: &'a SurvivalData, order: &'a Order) -> Self {
        Self {
            x,
            p: x.ncols(),
            data,
            order,
        }
    }

    #[inline]
    fn row(&self, i: usize) -> &[f64] {
        &self.x.as_slice().unwrap_or(&[])[i * self.p..(i + 1) * self.p]
    }

    fn eta(&self, beta: &[f64]) -> Vec<f64> {
        self.scores(beta).0
    }

    /// The linear predictors `η = xᵀβ` and risk scores `exp(η)`, in parallel blocks (each value
    /// depends on its row alone: the same bits for any number of threads).
    fn scores(&self, beta: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let n = self.data.len();
        let (mut eta, mut risk) = (vec![0.0; n], vec![0.0; n]);
        eta.par_chunks_mut(BLOCK)
            .zip(risk.par_chunks_mut(BLOCK))
            .enumerate()
            .for_each(|(b, (e, r))| {
                for (k, (ek, rk)) in e.iter_mut().zip(r.iter_mut()).enumerate() {
                    *ek = dot4(self.row(b * BLOCK + k), beta);
                    *rk = ek.exp();
                }
            });
        (eta, risk)
    }

    /// Sweep every stratum from the last time to the first, calling `visit` at each event time.
    fn sweep(&self, risk_score: &[f64], second: bool, mut visit: impl FnMut(&Tie<'_>)) {
        let data = self.data;
        let mut risk = Sums::new(self.p, second);
        let mut dead = Sums::new(self.p, second);
        let mut deaths: Vec<usize> = Vec::new();
        for (s, rows) in self.order.by_stop.iter().enumerate() {
            risk.clear();
            let starts = &self.order.by_start[s];
            let (mut ip, mut is) = (0, 0);
            while ip < rows.len() {
                let t = data.time[rows[ip]];
                deaths.clear();
                dead.clear();
                let mut weight = 0.0;
                while ip < rows.len() && data.time[rows[ip]] == t {
                    let i = rows[ip];
                    let w = data.weight(i);
                    let wr = w * risk_score[i];
                    risk.add(self.row(i), wr);
                    if data.event[i] > 0 && w > 0.0 {
                        deaths.push(i);
                        dead.add(self.row(i), wr);
                        weight += w;
                    }
                    ip += 1;
                }
                while is < starts.len() && data.start(starts[is]) >= t {
                    let i = starts[is];
                    risk.add(self.row(i), -data.weight(i) * risk_score[i]);
                    is += 1;
                }
                if !deaths.is_empty() {
                    visit(&Tie {
                        stratum: s,
                        time: t,
                        deaths: &deaths,
                        risk: &risk,
                        dead: &dead,
                        weight,
                    });
                }
            }
        }
    }
}

/// Fit a Cox proportional hazards model.
///
/// Newton–Raphson from `β = 0` with step halving, until a step satisfies every
/// `|Δβ_j| ≤ tolerance · (1 + |β_j|)`. A step within `√tolerance / 100` (relatively) is the
/// last: by quadratic convergence the next would be below the tolerance, so it is taken without
/// evaluating the likelihood again (the information, and so the covariance, are those of the
/// iterate before it, relatively within `√tolerance / 100`; the log-likelihood is moved by
/// `½ gᵀ Δβ`). The
/// likelihood-ratio, Wald and score tests of `β = 0` follow from [`CoxFit`].
///
/// # Errors
/// [`Error::NotDefined`] when there are no events; [`Error::Singular`] naming constant or
/// collinear covariates; [`Error::NotConverged`] when Newton's method does not settle and no
/// covariate is diverging.
///
/// # Example
/// ```
/// use aluna_stats::cox::{fit_cox, CoxOptions};
/// use aluna_stats::design::Design;
/// use aluna_stats::survival::SurvivalData;
/// use ndarray::array;
/// let x = array![[0.0], [1.0], [0.0], [1.0], [0.0], [1.0]];
/// let design = Design::new(x, vec!["treated".into()]).unwrap();
/// let data = SurvivalData::new(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], vec![1, 1, 1, 0, 1, 1]).unwrap();
/// let fit = fit_cox(&design, &data, &CoxOptions::default()).unwrap();
/// assert!(fit.converged);
/// assert!(fit.log_likelihood >= fit.null_log_likelihood);
/// ```
pub fn fit_cox(design: &Design, data: &SurvivalData, options: &CoxOptions) -> Result<CoxFit> {
    fit_cox_columns(&Columns::from_design(design), data, options)
}

/// [`fit_cox`] on covariates stored by column (e.g. read in place from a table with
/// [`Columns::from_table`]).
///
/// # Errors
/// As [`fit_cox`].
pub fn fit_cox_columns(
    x: &Columns<'_>,
    data: &SurvivalData,
    options: &CoxOptions,
) -> Result<CoxFit> {
    let n = data.len();
    ensure!(
        x.rows() == n,
        Error::argument(
            "covariates",
            format!("{} design rows for {n} survival rows", x.rows())
        )
    );
    ensure!(
        options.penalizer.is_finite() && options.penalizer >= 0.0,
        Error::argument(
            "penalizer",
            format!("must be finite and non-negative, got {}", options.penalizer)
        )
    );
    data.require_events("a Cox model")?;
    let p = x.cols();
    let model = PartialLikelihood::new(x, data, options.ties);
    let singular = |information: &Array2<f64>| Error::Singular {
        model: "CoxPH",
        detail: describe_dependencies(&collinear_columns(information, 1e-10), x.names()),
    };
    // Penalty weights n λ σ_j² (σ_j: the unweighted sample standard deviation, as lifelines).
    let squares = if options.penalizer > 0.0 {
        model.sums_of_squares()
    } else {
        vec![0.0; p]
    };
    let ridge: Vec<f64> = squares
        .iter()
        .map(|s| n as f64 * options.penalizer * s / (n as f64 - 1.0).max(1.0))
        .collect();
    let penalised = |beta: &[f64], e: &mut Evaluation| -> f64 {
        let mut obj = e.log_likelihood;
        for j in 0..p {
            obj -= 0.5 * ridge[j] * beta[j] * beta[j];
            e.score[j] -= ridge[j] * beta[j];
            e.information[[j, j]] += ridge[j];
        }
        obj
    };
    let mut beta = vec![0.0; p];
    let mut at = model.evaluate(&beta);
    // Constant or collinear covariates leave the information at β = 0 (a weighted sum of the
    // risk sets' covariance matrices) singular.
    check_gram(&at.information, x.names(), 0, "CoxPH")?;
    let ll0 = at.log_likelihood;
    let score_statistic = match Cholesky::new(&at.information) {
        Ok(c) => {
            let s = c.solve(&at.score);
            s.iter().zip(&at.score).map(|(a, b)| a * b).sum()
        }
        Err(_) => f64::NAN,
    };
    let mut objective = penalised(&beta, &mut at);
    let mut converged = false;
    let mut stalled = false;
    let mut iterations = 0;
    while iterations < options.max_iterations {
        iterations += 1;
        let chol = match Cholesky::new(&at.information) {
            Ok(c) => c,
            Err(_) if iterations == 1 => return Err(singular(&at.information)),
            Err(_) => {
                stalled = true;
                break;
            }
        };
        let step = chol.solve(&at.score);
        let within = |t: f64, tolerance: f64| {
            step.iter()
                .zip(&beta)
                .all(|(s, b)| (t * s).abs() <= tolerance * (1.0 + (b + t * s).abs()))
        };
        let small = |t: f64| within(t, options.tolerance);
        if within(1.0, options.tolerance.sqrt() / 100.0) {
            // Newton's method converges quadratically: the step after this one would be of
            // the order of its square, below the tolerance. Take it without another pass over
            // the data; the information (and so the covariance) is that of the current
            // iterate, relatively within the step's size, and the objective moves by `½ gᵀ s`
            // (exact for the quadratic model, `H s = g`), the log-likelihood by that plus the
            // penalty's change.
            let gain: f64 = (0..p)
                .map(|j| {
                    let (s, b) = (step[j], beta[j]);
                    0.5 * s * at.score[j] + ridge[j] * (b * s + 0.5 * s * s)
                })
                .sum();
            at.log_likelihood += gain;
            beta.iter_mut().zip(&step).for_each(|(b, s)| *b += s);
            converged = true;
            break;
        }
        let mut t = 1.0;
        let (mut cand, mut next, mut c_obj);
        loop {
            cand = beta
                .iter()
                .zip(&step)
                .map(|(b, s)| b + t * s)
                .collect::<Vec<_>>();
            next = model.evaluate(&cand);
            c_obj = penalised(&cand, &mut next);
            if (c_obj.is_finite() && c_obj >= objective - 1e-12 * objective.abs().max(1.0))
                || t < 1e-10
            {
                break;
            }
            t *= 0.5;
        }
        let small = small(t);
        let change = c_obj - objective;
        beta = cand;
        at = next;
        objective = c_obj;
        if small {
            converged = true;
            break;
        }
        if iterations > 5 && change.abs() <= 1e-13 * objective.abs().max(1e-300) {
            // The objective no longer moves: either rounding limits the last digits (the step is
            // already tiny) or coefficients run off to infinity (separation).
            let settled = step
                .iter()
                .zip(&beta)
                .all(|(s, b)| (t * s).abs() <= 1e-6 * (1.0 + b.abs()));
            if settled {
                converged = true;
            } else {
                stalled = true;
            }
            break;
        }
    }
    let diverging = if converged && !stalled {
        Vec::new()
    } else {
        let squares = model.sums_of_squares();
        let scaled: Vec<(usize, f64)> = (0..p)
            .map(|j| (j, beta[j].abs() * (squares[j] / n as f64).sqrt()))
            .collect();
        let mut out: Vec<usize> = scaled
            .iter()
            .filter(|(_, s)| *s > 5.0)
            .map(|(j, _)| *j)
            .collect();
        if out.is_empty() {
            if let Some((j, _)) = scaled.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1)) {
                out.push(j);
            }
        }
        out
    };
    if !converged && diverging.is_empty() {
        return Err(Error::NotConverged {
            model: "CoxPH",
            iterations,
            hint: "try penalizer=0.1, or rescale or drop covariates".into(),
        });
    }
    let covariance = match Cholesky::new(&at.information) {
        Ok(c) => c.inverse(),
        Err(_) => return Err(singular(&at.information)),
    };
    Ok(CoxFit {
        coef: beta,
        covariance,
        information: at.information,
        log_likelihood: at.log_likelihood,
        null_log_likelihood: ll0,
        score_statistic,
        iterations,
        converged: converged && diverging.is_empty(),
        diverging,
        means: model.means().to_vec(),
        ties: options.ties,
        events: data.events(),
    })
}

impl CoxFit {
    /// The Wald test of `β = 0` with the given covariance: `βᵀ V⁻¹ β`.
    pub fn wald_statistic(&self, covariance: &Array2<f64>) -> f64 {
        match Cholesky::new(covariance) {
            Ok(c) => {
                let s = c.solve(&self.coef);
                s.iter().zip(&self.coef).map(|(a, b)| a * b).sum()
            }
            Err(_) => quadratic_form(&self.information, &self.coef),
        }
    }

    /// The likelihood-ratio statistic `2 (ℓ(β̂) − ℓ(0))`.
    pub fn likelihood_ratio(&self) -> f64 {
        2.0 * (self.log_likelihood - self.null_log_likelihood)
    }

    /// Upper-tail p-value of a chi-squared statistic with `p` degrees of freedom.
    pub fn p_value(&self, statistic: f64) -> f64 {
        chi2_sf(statistic, self.coef.len() as f64)
    }
}

/// Per-event-time quantities of a fitted model, shared by residuals and baseline hazards.
#[derive(Debug, Clone)]
struct EventTime {
    stratum: usize,
    time: f64,
    /// Σ_l meanw / den_l: the hazard increment at centred covariates (Breslow: Σw / S0).
    hazard: f64,
    /// Σ_l x̄_l meanw / den_l.
    xbar_hazard: Vec<f64>,
    /// Efron: Σ_l (l/d) meanw / den_l (0 for Breslow).
    tie_hazard: f64,
    /// Efron: Σ_l (l/d) x̄_l meanw / den_l.
    tie_xbar_hazard: Vec<f64>,
    /// (1/d) Σ_l x̄_l: the mean covariate an event is compared with.
    mean_xbar: Vec<f64>,
    /// Σ w over the events; the Breslow baseline hazard increment is `weight / S0`.
    weight: f64,
    s0: f64,
}

fn event_times(model: &Model<'_>, beta: &[f64], ties: Ties) -> Vec<EventTime> {
    let p = model.p;
    let (_, score) = model.scores(beta);
    let mut out = Vec::new();
    model.sweep(&score, false, |tie| {
        let d = tie.deaths.len();
        let mean_w = tie.weight / d as f64;
        let steps = match ties {
            Ties::Efron => d,
            Ties::Breslow => 1,
        };
        let scale = match ties {
            Ties::Efron => mean_w,
            Ties::Breslow => tie.weight,
        };
        let mut e = EventTime {
            stratum: tie.stratum,
            time: tie.time,
            hazard: 0.0,
            xbar_hazard: vec![0.0; p],
            tie_hazard: 0.0,
            tie_xbar_hazard: vec![0.0; p],
            mean_xbar: vec![0.0; p],
            weight: tie.weight,
            s0: tie.risk.s0,
        };
        for l in 0..steps {
            let f = match ties {
                Ties::Efron => l as f64 / d as f64,
                Ties::Breslow => 0.0,
            };
            let den = tie.risk.s0 - f * tie.dead.s0;
            let dh = scale / den;
            e.hazard += dh;
            e.tie_hazard += f * dh;
            for a in 0..p {
                let xb = (tie.risk.s1[a] - f * tie.dead.s1[a]) / den;
                e.xbar_hazard[a] += xb * dh;
                e.tie_xbar_hazard[a] += f * xb * dh;
                e.mean_xbar[a] += xb / steps as f64;
            }
        }
        out.push(e);
    });
    // Ascending time within each stratum, strata in order.
    out.sort_by(|a, b| a.stratum.cmp(&b.stratum).then(a.time.total_cmp(&b.time)));
    out
}

/// Inputs shared by the post-fit computations.
pub struct Fitted<'a> {
    /// The design the model was fitted on.
    pub design: &'a Design,
    /// The survival data it was fitted on.
    pub data: &'a SurvivalData,
    /// The fit.
    pub fit: &'a CoxFit,
}

impl Fitted<'_> {
    fn centred(&self) -> Array2<f64> {
        let mut x = self.design.matrix().clone();
        for mut row in x.rows_mut() {
            for (v, m) in row.iter_mut().zip(&self.fit.means) {
                *v -= m;
            }
        }
        x
    }

    /// Score residuals (one row per data row, unweighted), whose weighted sum is the score
    /// `U(β̂)` (Therneau, Grambsch & Fleming 1990, <https://doi.org/10.1093/biomet/77.1.147>;
    /// Efron ties as R's `residuals.coxph(type = "score")`).
    pub fn score_residuals(&self) -> Array2<f64> {
        let x = self.centred();
        let data = self.data;
        let p = self.design.cols();
        let order = Order::new(data);
        let model = Model::new(&x, data, &order);
        let times = event_times(&model, &self.fit.coef, self.fit.ties);
        // Cumulative sums per stratum over ascending event times.
        let mut bounds = vec![(0usize, 0usize); data.n_strata];
        let mut cum_h = Vec::with_capacity(times.len());
        let mut cum_xh: Vec<Vec<f64>> = Vec::with_capacity(times.len());
        let mut k = 0;
        while k < times.len() {
            let s = times[k].stratum;
            let start = k;
            let (mut h, mut xh) = (0.0, vec![0.0; p]);
            while k < times.len() && times[k].stratum == s {
                h += times[k].hazard;
                for (acc, v) in xh.iter_mut().zip(&times[k].xbar_hazard) {
                    *acc += v;
                }
                cum_h.push(h);
                cum_xh.push(xh.clone());
                k += 1;
            }
            bounds[s] = (start, k);
        }
        let eta = model.eta(&self.fit.coef);
        let mut out = Array2::<f64>::zeros((data.len(), p));
        for i in 0..data.len() {
            let (lo, hi) = bounds[data.stratum(i)];
            let slice = &times[lo..hi];
            // Index of the last event time ≤ t, as a count.
            let upto = |t: f64| slice.partition_point(|e| e.time <= t);
            let a = upto(data.time[i]);
            let b = if data.entry.is_some() {
                upto(data.start(i))
            } else {
                0
            };
            let (h_stop, xh_stop) = if a > 0 {
                (cum_h[lo + a - 1], &cum_xh[lo + a - 1][..])
            } else {
                (0.0, &[][..])
            };
            let (h_start, xh_start) = if b > 0 {
                (cum_h[lo + b - 1], &cum_xh[lo + b - 1][..])
            } else {
                (0.0, &[][..])
            };
            let r = eta[i].exp();
            let xi = model.row(i);
            let is_event = data.event[i] > 0 && data.weight(i) > 0.0;
            for j in 0..p {
                let xs = if xh_stop.is_empty() { 0.0 } else { xh_stop[j] };
                let xb = if xh_start.is_empty() {
                    0.0
                } else {
                    xh_start[j]
                };
                let mut v = -r * (xi[j] * (h_stop - h_start) - (xs - xb));
                if is_event {
                    // The event's own time is slice[a - 1].
                    let e = &slice[a - 1];
                    v += xi[j] - e.mean_xbar[j];
                    v += r * (xi[j] * e.tie_hazard - e.tie_xbar_hazard[j]);
                }
                out[[i, j]] = v;
            }
        }
        out
    }

    /// The robust (sandwich) covariance `Dᵀ D` where `D` sums the weighted dfbeta residuals
    /// `w_i r_i V` over clusters (`clusters`: a code per row; `None`: each row its own), as
    /// R's `coxph(robust = TRUE)` and lifelines (Lin & Wei 1989,
    /// <https://doi.org/10.1080/01621459.1989.10478874>).
    pub fn robust_covariance(&self, clusters: Option<&[u32]>) -> Result<Array2<f64>> {
        let n = self.data.len();
        let p = self.design.cols();
        if let Some(c) = clusters {
            ensure!(
                c.len() == n,
                Error::argument("cluster", format!("{} codes for {n} rows", c.len()))
            );
        }
        let resid = self.score_residuals();
        let v = &self.fit.covariance;
        let groups = clusters.map_or(n, |c| c.iter().map(|&g| g as usize + 1).max().unwrap_or(0));
        let mut sums = vec![0.0; groups * p];
        for i in 0..n {
            let g = clusters.map_or(i, |c| c[i] as usize);
            let w = self.data.weight(i);
            for a in 0..p {
                let mut s = 0.0;
                for b in 0..p {
                    s += resid[[i, b]] * v[[b, a]];
                }
                sums[g * p + a] += w * s;
            }
        }
        let mut upper = vec![0.0; p * p];
        for g in 0..groups {
            add_outer_upper(&mut upper, &sums[g * p..(g + 1) * p], 1.0);
        }
        Ok(symmetric_from_upper(&upper, p))
    }

    /// The Breslow estimate of each stratum's baseline cumulative hazard at `x = 0`:
    /// `H_s(t) = Σ_{t_k ≤ t} (Σ w events at t_k) / Σ_{risk set} w exp(xᵀβ)`, as lifelines'
    /// `baseline_cumulative_hazard_` (rescaled from its centred covariates).
    /// Returns, per stratum, the event times and `H` at them.
    pub fn baseline_cumulative_hazard(&self) -> Vec<(Vec<f64>, Vec<f64>)> {
        let x = self.centred();
        let data = self.data;
        let order = Order::new(data);
        let model = Model::new(&x, data, &order);
        let times = event_times(&model, &self.fit.coef, Ties::Breslow);
        // exp(-mean·β) moves the baseline from the centred covariates to x = 0.
        let shift: f64 = self
            .fit
            .means
            .iter()
            .zip(&self.fit.coef)
            .map(|(m, b)| m * b)
            .sum::<f64>();
        let shift = (-shift).exp();
        let mut out = vec![(Vec::new(), Vec::new()); data.n_strata];
        let mut h = vec![0.0; data.n_strata];
        for e in &times {
            h[e.stratum] += e.weight / e.s0;
            out[e.stratum].0.push(e.time);
            out[e.stratum].1.push(h[e.stratum] * shift);
        }
        out
    }

    /// Harrell's concordance of the linear predictor with the observed order of events (Harrell
    /// et al. 1982, <https://doi.org/10.1001/jama.1982.03320430047030>): over pairs in the same
    /// stratum where one row has an event at a time before the other's end of follow-up (or at
    /// the same time, the other censored), the share where the earlier event has the higher risk,
    /// ties in risk counting ½. Unweighted; entry times are ignored, as in lifelines.
    /// `O(n log n)` with a Fenwick tree.
    pub fn concordance(&self) -> f64 {
        let data = self.data;
        let eta: Vec<f64> = (0..data.len())
            .map(|i| {
                self.design
                    .row(i)
                    .iter()
                    .zip(&self.fit.coef)
                    .map(|(a, b)| a * b)
                    .sum()
            })
            .collect();
        concordance_index(&data.time, &data.event, &eta, data.strata.as_deref())
    }
}

/// Harrell's concordance index (see [`Fitted::concordance`]); higher `risk` should mean an
/// earlier event. Returns 0.5 when no pair is comparable.
///
/// # Example
/// ```
/// use aluna_stats::cox::concordance_index;
/// let c = concordance_index(&[1.0, 2.0, 3.0], &[1, 1, 0], &[3.0, 2.0, 1.0], None);
/// assert_eq!(c, 1.0);
/// ```
pub fn concordance_index(time: &[f64], event: &[u32], risk: &[f64], strata: Option<&[u32]>) -> f64 {
    let events: Vec<bool> = event.iter().map(|&e| e > 0).collect();
    crate::metrics::ConcordancePlan::new(time, risk, strata)
        .evaluate(time, &events, None, None)
        .estimate
}

/// Survival `S(t | x) = exp(−H_s(t) exp(xᵀβ))` for every row of `design` (stratum codes in
/// `strata`) at each of `times`, row-major (`rows × times`), from the per-stratum baseline
/// of [`Fitted::baseline_cumulative_hazard`].
pub fn predict_survival(
    baseline: &[(Vec<f64>, Vec<f64>)],
    coef: &[f64],
    design: &Design,
    strata: Option<&[u32]>,
    times: &[f64],
) -> Result<Array2<f64>> {
    ensure!(
        coef.len() == design.cols(),
        Error::argument(
            "covariates",
            format!("{} coefficients for {} columns", coef.len(), design.cols())
        )
    );
    if let Some((k, t)) = times
        .iter()
        .enumerate()
        .find(|(_, t)| !t.is_finite() || **t < 0.0)
    {
        return Err(Error::bad_value(
            "times",
            k,
            "a finite, non-negative time",
            t,
        ));
    }
    let mut out = Array2::<f64>::zeros((design.rows(), times.len()));
    for i in 0..design.rows() {
        let s = strata.map_or(0, |s| s[i] as usize);
        let (bt, bh) = baseline.get(s).ok_or_else(|| {
            Error::argument("strata", format!("row {i}: a stratum not seen in fitting"))
        })?;
        let r: f64 = design
            .row(i)
            .iter()
            .zip(coef)
            .map(|(a, b)| a * b)
            .sum::<f64>()
            .exp();
        for (k, &t) in times.iter().enumerate() {
            let idx = bt.partition_point(|x| *x <= t);
            let h = if idx == 0 { 0.0 } else { bh[idx - 1] };
            out[[i, k]] = (-h * r).exp();
        }
    }
    Ok(out)
}

/// The proportional-hazards test of one term (or the global test).
#[derive(Debug, Clone)]
pub struct ZphRow {
    /// The chi-squared statistic.
    pub statistic: f64,
    /// Degrees of freedom (columns of the term).
    pub df: usize,
    /// Upper-tail p-value.
    pub p_value: f64,
}

/// The test of proportional hazards of R `survival` ≥ 3.0 (`cox.zph`, `transform = "km"`):
/// for each term, the score test of adding `x · g(t)` at `(β̂, 0)`, where `g(t)` is one minus
/// the left-continuous Kaplan–Meier estimate at the event time (unweighted, all strata pooled),
/// centred on its mean over events; and the global test over all terms (Grambsch & Therneau
/// 1994, <https://doi.org/10.1093/biomet/81.3.515>).
///
/// `terms` groups design columns into terms (e.g. the dummies of one categorical covariate).
pub fn proportional_hazards_test(
    fitted: &Fitted<'_>,
    terms: &[Vec<usize>],
) -> Result<(Vec<ZphRow>, ZphRow)> {
    let data = fitted.data;
    let p = fitted.design.cols();
    for term in terms {
        for &j in term {
            ensure!(
                j < p,
                Error::argument("terms", format!("column {j} out of range"))
            );
        }
    }
    // g(t): 1 − KM(t−), pooled and unweighted, on (entry, stop] data.
    let all: Vec<usize> = (0..data.len()).collect();
    let unweighted = SurvivalData {
        weights: None,
        strata: None,
        n_strata: 1,
        strata_labels: vec![String::new()],
        ..data.clone()
    };
    let km = crate::survival::kaplan_meier(&unweighted, &all, &Default::default())?;
    let g_raw = |t: f64| {
        // Left-continuous: the survival just before t.
        let idx = km.time.partition_point(|x| *x < t);
        1.0 - if idx == 0 { 1.0 } else { km.estimate[idx - 1] }
    };
    let (mut total, mut count) = (0.0f64, 0.0f64);
    for i in 0..data.len() {
        if data.event[i] > 0 {
            total += g_raw(data.time[i]);
            count += 1.0;
        }
    }
    let g_mean = total / count.max(1.0);
    // Score and information of the augmented model at (β̂, 0).
    let x = fitted.centred();
    let order = Order::new(data);
    let model = Model::new(&x, data, &order);
    let eta = model.eta(&fitted.fit.coef);
    let score: Vec<f64> = eta.iter().map(|e| e.exp()).collect();
    let ties = fitted.fit.ties;
    let mut u = vec![0.0; p];
    let mut i_bb = vec![0.0; p * p];
    let mut i_bg = vec![0.0; p * p];
    let mut i_gg = vec![0.0; p * p];
    let mut xbar = vec![0.0; p];
    model.sweep(&score, true, |tie| {
        let g = g_raw(tie.time) - g_mean;
        let d = tie.deaths.len();
        let mean_w = tie.weight / d as f64;
        let steps = match ties {
            Ties::Efron => d,
            Ties::Breslow => 1,
        };
        let scale = match ties {
            Ties::Efron => mean_w,
            Ties::Breslow => tie.weight,
        };
        for &i in tie.deaths {
            let w = data.weight(i);
            for (a, xv) in model.row(i).iter().enumerate() {
                u[a] += g * w * xv;
            }
        }
        for l in 0..steps {
            let f = match ties {
                Ties::Efron => l as f64 / d as f64,
                Ties::Breslow => 0.0,
            };
            let den = tie.risk.s0 - f * tie.dead.s0;
            for a in 0..p {
                xbar[a] = (tie.risk.s1[a] - f * tie.dead.s1[a]) / den;
                u[a] -= g * scale * xbar[a];
            }
            for a in 0..p {
                for b in a..p {
                    let s2 = tie.risk.s2[a * p + b] - f * tie.dead.s2[a * p + b];
                    let v = scale * (s2 / den - xbar[a] * xbar[b]);
                    i_bb[a * p + b] += v;
                    i_bg[a * p + b] += g * v;
                    i_gg[a * p + b] += g * g * v;
                }
            }
        }
    });
    let i_bb = symmetric_from_upper(&i_bb, p);
    let i_bg = symmetric_from_upper(&i_bg, p);
    let i_gg = symmetric_from_upper(&i_gg, p);
    let test = |cols: &[usize]| -> Result<ZphRow> {
        let m = p + cols.len();
        let full = Array2::from_shape_fn((m, m), |(a, b)| match (a < p, b < p) {
            (true, true) => i_bb[[a, b]],
            (true, false) => i_bg[[a, cols[b - p]]],
            (false, true) => i_bg[[cols[a - p], b]],
            (false, false) => i_gg[[cols[a - p], cols[b - p]]],
        });
        let mut vec_u = vec![0.0; m];
        for (k, &c) in cols.iter().enumerate() {
            vec_u[p + k] = u[c];
        }
        let chol = Cholesky::new(&full).map_err(|_| Error::NotDefined {
            what: "the proportional-hazards test",
            reason: "the information of the time-varying model is singular".into(),
        })?;
        let s = chol.solve(&vec_u);
        let statistic: f64 = s.iter().zip(&vec_u).map(|(a, b)| a * b).sum();
        Ok(ZphRow {
            statistic,
            df: cols.len(),
            p_value: chi2_sf(statistic, cols.len() as f64),
        })
    };
    let rows = terms.iter().map(|t| test(t)).collect::<Result<Vec<_>>>()?;
    let all_cols: Vec<usize> = (0..p).collect();
    let global = test(&all_cols)?;
    Ok((rows, global))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn toy() -> (Design, SurvivalData) {
        let x = array![
            [0.0, 1.2],
            [1.0, 0.3],
            [0.0, 2.2],
            [1.0, 1.1],
            [0.0, 0.7],
            [1.0, 1.9],
            [0.0, 0.2],
            [1.0, 1.5]
        ];
        let d = Design::new(x, vec!["a".into(), "b".into()]).unwrap();
        let s = SurvivalData::new(
            vec![2.0, 3.0, 3.0, 5.0, 6.0, 6.0, 6.0, 9.0],
            vec![1, 1, 1, 0, 1, 1, 0, 1],
        )
        .unwrap();
        (d, s)
    }

    #[test]
    fn score_residuals_sum_to_zero_and_ties_matter() {
        let (d, s) = toy();
        for ties in [Ties::Efron, Ties::Breslow] {
            let opts = CoxOptions {
                ties,
                ..Default::default()
            };
            let fit = fit_cox(&d, &s, &opts).unwrap();
            let f = Fitted {
                design: &d,
                data: &s,
                fit: &fit,
            };
            let r = f.score_residuals();
            for j in 0..2 {
                assert!(r.column(j).sum().abs() < 1e-9, "{ties:?}");
            }
        }
    }

    #[test]
    fn entry_at_zero_equals_no_entry() {
        let (d, s) = toy();
        let fit = fit_cox(&d, &s, &CoxOptions::default()).unwrap();
        let mut s2 = s.clone();
        s2.entry = Some(vec![0.0; 8]);
        let fit2 = fit_cox(&d, &s2, &CoxOptions::default()).unwrap();
        for j in 0..2 {
            assert!((fit.coef[j] - fit2.coef[j]).abs() < 1e-10);
        }
    }

    #[test]
    fn splitting_rows_leaves_the_fit_unchanged() {
        // Splitting (0, t] into (0, 1] and (1, t] with the same covariates is the same model.
        let (d, s) = toy();
        let fit = fit_cox(&d, &s, &CoxOptions::default()).unwrap();
        let mut rows = vec![];
        let (mut start, mut stop, mut event) = (vec![], vec![], vec![]);
        for i in 0..8 {
            rows.push(i);
            start.push(0.0);
            stop.push(1.0);
            event.push(0);
            rows.push(i);
            start.push(1.0);
            stop.push(s.time[i]);
            event.push(s.event[i]);
        }
        let x = Array2::from_shape_fn((16, 2), |(r, c)| d.matrix()[[rows[r], c]]);
        let d2 = Design::new(x, vec!["a".into(), "b".into()]).unwrap();
        let mut s2 = SurvivalData::new(stop, event).unwrap();
        s2.entry = Some(start);
        let fit2 = fit_cox(&d2, &s2, &CoxOptions::default()).unwrap();
        for j in 0..2 {
            assert!((fit.coef[j] - fit2.coef[j]).abs() < 1e-10);
        }
        assert!((fit.log_likelihood - fit2.log_likelihood).abs() < 1e-10);
    }

    /// `n` people, 3 covariates, whole-day times with a large group censored at the end
    /// (more rows than a block), weights and two strata; each person's `(0, t]` also split at
    /// day 40 into two rows.
    fn many_rows(n: usize) -> [(Design, SurvivalData); 2] {
        use rand::Rng;
        let mut rng = aluna_core::random::stream(5, 0);
        let x = Array2::from_shape_fn((n, 3), |_| rng.random::<f64>() * 2.0 - 1.0);
        let mut time = Vec::with_capacity(n);
        let mut event = Vec::with_capacity(n);
        for i in 0..n {
            let eta = 0.5 * x[[i, 0]] - 0.3 * x[[i, 1]];
            let t = (-rng.random::<f64>().ln() * 200.0 / eta.exp()).ceil();
            time.push(t.min(100.0));
            event.push(u32::from(t < 100.0));
        }
        let weights: Vec<f64> = (0..n).map(|_| 0.5 + rng.random::<f64>()).collect();
        let strata: Vec<u32> = (0..n).map(|i| (i % 2) as u32).collect();
        let with = |mut data: SurvivalData, rows: &[usize]| {
            data.weights = Some(rows.iter().map(|&i| weights[i]).collect());
            data.strata = Some(rows.iter().map(|&i| strata[i]).collect());
            data.n_strata = 2;
            data.strata_labels = vec!["a".into(), "b".into()];
            data
        };
        let names: Vec<String> = vec!["a".into(), "b".into(), "c".into()];
        let all: Vec<usize> = (0..n).collect();
        let whole = (
            Design::new(x.clone(), names.clone()).unwrap(),
            with(
                SurvivalData::new(time.clone(), event.clone()).unwrap(),
                &all,
            ),
        );
        let (mut rows, mut start, mut stop, mut status) = (vec![], vec![], vec![], vec![]);
        for i in 0..n {
            if time[i] > 40.0 {
                rows.push(i);
                start.push(0.0);
                stop.push(40.0);
                status.push(0);
            }
            rows.push(i);
            start.push(if time[i] > 40.0 { 40.0 } else { 0.0 });
            stop.push(time[i]);
            status.push(event[i]);
        }
        let xs = Array2::from_shape_fn((rows.len(), 3), |(r, c)| x[[rows[r], c]]);
        let mut split = with(SurvivalData::new(stop, status).unwrap(), &rows);
        split.entry = Some(start);
        [whole, (Design::new(xs, names).unwrap(), split)]
    }

    #[test]
    fn large_fits_do_not_depend_on_threads_or_on_splitting_rows() {
        for ties in [Ties::Efron, Ties::Breslow] {
            let options = CoxOptions {
                ties,
                ..Default::default()
            };
            let fits: Vec<Vec<CoxFit>> = many_rows(20_000)
                .iter()
                .map(|(d, s)| {
                    [1, 2]
                        .map(|threads| {
                            aluna_core::parallel::install(Some(threads), || {
                                fit_cox(d, s, &options).unwrap()
                            })
                            .unwrap()
                        })
                        .to_vec()
                })
                .collect();
            for pair in &fits {
                assert_eq!(pair[0].coef, pair[1].coef, "same bits for 1 and 2 threads");
                assert_eq!(pair[0].log_likelihood, pair[1].log_likelihood);
                assert_eq!(pair[0].covariance, pair[1].covariance);
            }
            let (whole, split) = (&fits[0][0], &fits[1][0]);
            for j in 0..3 {
                assert!((whole.coef[j] - split.coef[j]).abs() < 1e-9 * (1.0 + whole.coef[j].abs()));
                let (a, b) = (whole.covariance[[j, j]], split.covariance[[j, j]]);
                assert!((a - b).abs() < 1e-9 * a);
            }
            assert!((whole.log_likelihood - split.log_likelihood).abs() < 1e-8);
        }
    }

    #[test]
    fn all_censored_is_not_defined() {
        let (d, mut s) = toy();
        s.event = vec![0; 8];
        assert!(matches!(
            fit_cox(&d, &s, &CoxOptions::default()),
            Err(Error::NotDefined { .. })
        ));
    }
}
