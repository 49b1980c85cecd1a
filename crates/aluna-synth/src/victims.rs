//! Children and young people after a first recorded sexual exploitation, followed for
//! re-victimisation: recurrent events with known risk and protective factors and support.
//!
//! Each victim's re-victimisations form a Poisson process with intensity
//! `Z * exp(lp) * d/dt (t / scale)^shape`, where `lp` is the linear predictor of [`TERMS`] and `Z`
//! a gamma frailty with mean 1 and variance [`FRAILTY_VARIANCE`]. Because the frailty has mean 1
//! and is independent of the covariates, the marginal rate is proportional too, so an
//! Andersen–Gill model with robust standard errors (Lin, Wei, Yang & Ying 2000) recovers the
//! terms' coefficients. Support is given more often to victims in care and with missing
//! episodes (confounding by indication) and protects (rate ratio 0.64).

use std::ops::Range;

use aluna_core::parallel::Cancel;
use aluna_core::Result;
use rand::Rng;

use crate::cohort::Term;
use crate::columns::{coefficients_table, days_from_civil, parameters_table, Columns};
use crate::ids::{id_width, person_id, rng};
use crate::sample::{below, bernoulli, exponential, gamma, logistic, poisson};
use crate::{check_n, check_range, generate, Part};

const DOMAIN: u64 = 0x51C7_1345;

/// Options of the victims dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VictimOptions {
    /// Number of victims.
    pub n: u64,
    /// Seed of the random streams.
    pub seed: u64,
}

/// The true log rate ratios of re-victimisation.
pub const TERMS: [Term; 9] = [
    Term {
        name: "age",
        coefficient: -0.05,
        description: "per year of age at the first recorded exploitation (10 to 17)",
    },
    Term {
        name: "male",
        coefficient: -0.20,
        description: "sex == \"male\"",
    },
    Term {
        name: "in_care",
        coefficient: 0.50,
        description: "looked after by the local authority (risk factor)",
    },
    Term {
        name: "missing_episodes",
        coefficient: 0.15,
        description: "per episode missing from home or care in the past year (risk factor)",
    },
    Term {
        name: "online_contact",
        coefficient: 0.30,
        description: "first contact with the exploiter was online (risk factor)",
    },
    Term {
        name: "prior_victimisations",
        coefficient: 0.25,
        description: "per earlier recorded victimisation (risk factor)",
    },
    Term {
        name: "trusted_adult",
        coefficient: -0.40,
        description: "has a trusted adult (protective factor)",
    },
    Term {
        name: "school_engaged",
        coefficient: -0.30,
        description: "engaged in school (protective factor)",
    },
    Term {
        name: "support_received",
        coefficient: -0.45,
        description: "received specialist support (protective)",
    },
];

/// Variance of the gamma frailty (its mean is 1).
pub const FRAILTY_VARIANCE: f64 = 0.6;
/// Shape of the Weibull-shaped cumulative baseline rate.
pub const WEIBULL_SHAPE: f64 = 0.85;
/// Scale of the baseline in days: cumulative rate `(t / scale)^shape`.
pub const WEIBULL_SCALE_DAYS: f64 = 300.0;
/// At most this many re-victimisations are recorded per victim.
pub const MAX_EVENTS: usize = 50;
/// First date of a first recorded exploitation, 2018-01-01, in days since 1970-01-01.
pub const FIRST_CONTACT: i32 = days_from_civil(2018, 1, 1);

struct Victim {
    age: i64,
    male: bool,
    in_care: bool,
    missing_episodes: i64,
    online_contact: bool,
    prior_victimisations: i64,
    trusted_adult: bool,
    school_engaged: bool,
    support_received: bool,
    first_contact_day: i32,
    followup_days: i64,
    frailty: f64,
    linear_predictor: f64,
    events: Vec<f64>,
}

impl Victim {
    fn covariates(&self) -> [f64; 9] {
        let b = |x: bool| f64::from(u8::from(x));
        [
            self.age as f64,
            b(self.male),
            b(self.in_care),
            self.missing_episodes as f64,
            b(self.online_contact),
            self.prior_victimisations as f64,
            b(self.trusted_adult),
            b(self.school_engaged),
            b(self.support_received),
        ]
    }

    fn expected_events(&self) -> f64 {
        self.frailty
            * self.linear_predictor.exp()
            * (self.followup_days as f64 / WEIBULL_SCALE_DAYS).powf(WEIBULL_SHAPE)
    }
}

fn victim(seed: u64, index: u64) -> Victim {
    let r = &mut rng(seed, DOMAIN, index);
    let age = 10 + below(r, 8) as i64;
    let male = bernoulli(r, 0.25);
    let in_care = bernoulli(r, 0.15);
    let care = f64::from(u8::from(in_care));
    let missing_episodes = poisson(r, 0.8 + 1.5 * care, 20) as i64;
    let online_contact = bernoulli(r, 0.5);
    let prior_victimisations = poisson(r, 0.4, 10) as i64;
    let trusted_adult = bernoulli(r, 0.6 - 0.2 * care);
    let school_engaged = bernoulli(r, 0.65 - 0.15 * care);
    let support_received = bernoulli(
        r,
        logistic(-0.3 + 0.8 * care + 0.2 * missing_episodes.min(5) as f64),
    );
    let first_contact_day = FIRST_CONTACT + r.random_range(0..1461);
    let followup_days = 365 + below(r, 3 * 365 + 1) as i64;
    let frailty = gamma(r, 1.0 / FRAILTY_VARIANCE, FRAILTY_VARIANCE);
    let mut v = Victim {
        age,
        male,
        in_care,
        missing_episodes,
        online_contact,
        prior_victimisations,
        trusted_adult,
        school_engaged,
        support_received,
        first_contact_day,
        followup_days,
        frailty,
        linear_predictor: 0.0,
        events: Vec::new(),
    };
    v.linear_predictor = TERMS
        .iter()
        .zip(v.covariates())
        .map(|(t, x)| t.coefficient * x)
        .sum();
    // Event times by inverting the cumulative intensity at unit-exponential arrivals.
    let rate = v.frailty * v.linear_predictor.exp();
    let mut arrival = 0.0;
    while v.events.len() < MAX_EVENTS {
        arrival += exponential(r);
        let t = WEIBULL_SCALE_DAYS * (arrival / rate).powf(1.0 / WEIBULL_SHAPE);
        if t >= followup_days as f64 {
            break;
        }
        v.events.push(t);
    }
    v
}

/// Victims `rows` of `options.n`: `data` in counting-process form and `truth.persons`.
///
/// `data` has one row per victim and episode: `victim_id`, `episode` (1, 2, ...),
/// `start_day` and `stop_day` (days since the first recorded exploitation; the interval
/// `(start, stop]`), `event` (1 if a re-victimisation ends the interval, 0 at the end of
/// follow-up), then the victim's covariates `age`, `sex`, `in_care`, `missing_episodes`,
/// `online_contact`, `prior_victimisations`, `trusted_adult`, `school_engaged`,
/// `support_received`, `first_contact_date`, `followup_days`.
///
/// `truth.persons`: `victim_id`, `frailty`, `linear_predictor`, `expected_events` (given the
/// frailty), `events`.
///
/// Victims are generated in parallel, each from its own random stream: any thread count and
/// any cut into batches give the same content.
///
/// # Example
/// ```
/// use aluna_core::parallel::Cancel;
/// use aluna_synth::victims::{victim_rows, VictimOptions};
/// let parts = victim_rows(&VictimOptions { n: 20, seed: 3 }, 0..20, &Cancel::new()).unwrap();
/// assert!(parts[0].batch.num_rows() >= 20);
/// assert_eq!(parts[1].batch.num_rows(), 20);
/// ```
pub fn victim_rows(
    options: &VictimOptions,
    rows: Range<u64>,
    cancel: &Cancel,
) -> Result<Vec<Part>> {
    check_n("n", options.n)?;
    check_range(&rows, options.n, "victims")?;
    let seed = options.seed;
    let width = id_width(options.n);
    let victims = generate(&rows, cancel, |i| victim(seed, i))?;
    let ids: Vec<String> = rows.clone().map(|i| person_id('V', i, width)).collect();

    // One row per interval: (victim position, episode, start, stop, event).
    let mut intervals: Vec<(usize, i64, f64, f64, bool)> = Vec::new();
    for (k, v) in victims.iter().enumerate() {
        let mut start = 0.0;
        for (e, &t) in v.events.iter().enumerate() {
            intervals.push((k, e as i64 + 1, start, t, true));
            start = t;
        }
        let end = v.followup_days as f64;
        if start < end {
            intervals.push((k, v.events.len() as i64 + 1, start, end, false));
        }
    }
    let of = |k: usize| &victims[k];
    let data = Columns::new()
        .strings(
            "victim_id",
            intervals.iter().map(|r| Some(ids[r.0].as_str())),
        )
        .ints("episode", intervals.iter().map(|r| Some(r.1)))
        .floats("start_day", intervals.iter().map(|r| Some(r.2)))
        .floats("stop_day", intervals.iter().map(|r| Some(r.3)))
        .ints("event", intervals.iter().map(|r| Some(i64::from(r.4))))
        .ints("age", intervals.iter().map(|r| Some(of(r.0).age)))
        .strings(
            "sex",
            intervals
                .iter()
                .map(|r| Some(if of(r.0).male { "male" } else { "female" })),
        )
        .bools("in_care", intervals.iter().map(|r| Some(of(r.0).in_care)))
        .ints(
            "missing_episodes",
            intervals.iter().map(|r| Some(of(r.0).missing_episodes)),
        )
        .bools(
            "online_contact",
            intervals.iter().map(|r| Some(of(r.0).online_contact)),
        )
        .ints(
            "prior_victimisations",
            intervals.iter().map(|r| Some(of(r.0).prior_victimisations)),
        )
        .bools(
            "trusted_adult",
            intervals.iter().map(|r| Some(of(r.0).trusted_adult)),
        )
        .bools(
            "school_engaged",
            intervals.iter().map(|r| Some(of(r.0).school_engaged)),
        )
        .bools(
            "support_received",
            intervals.iter().map(|r| Some(of(r.0).support_received)),
        )
        .dates(
            "first_contact_date",
            intervals.iter().map(|r| Some(of(r.0).first_contact_day)),
        )
        .ints(
            "followup_days",
            intervals.iter().map(|r| Some(of(r.0).followup_days)),
        )
        .finish()?;

    let truth = Columns::new()
        .strings("victim_id", ids.iter().map(|s| Some(s.as_str())))
        .floats("frailty", victims.iter().map(|v| Some(v.frailty)))
        .floats(
            "linear_predictor",
            victims.iter().map(|v| Some(v.linear_predictor)),
        )
        .floats(
            "expected_events",
            victims.iter().map(|v| Some(v.expected_events())),
        )
        .ints(
            "events",
            victims.iter().map(|v| Some(v.events.len() as i64)),
        )
        .finish()?;
    Ok(vec![
        Part::new("data", data),
        Part::new("truth.persons", truth),
    ])
}

/// The fixed ground truth: `truth.coefficients` (`term`, `coefficient`, `rate_ratio`,
/// `description`) and `truth.parameters`.
///
/// # Example
/// ```
/// let parts = aluna_synth::victims::victim_truth().unwrap();
/// assert_eq!(parts[0].batch.num_rows(), 9);
/// ```
pub fn victim_truth() -> Result<Vec<Part>> {
    let coefficients = coefficients_table(&TERMS, "rate_ratio")?;
    let parameters = parameters_table(&[
        (
            "frailty_variance",
            FRAILTY_VARIANCE,
            "variance of the gamma frailty (mean 1)",
        ),
        (
            "weibull_shape",
            WEIBULL_SHAPE,
            "shape of the cumulative baseline rate (t / scale)^shape",
        ),
        (
            "weibull_scale_days",
            WEIBULL_SCALE_DAYS,
            "scale of the cumulative baseline rate, in days",
        ),
        ("followup_min_days", 365.0, "shortest follow-up"),
        ("followup_max_days", 1460.0, "longest follow-up"),
        (
            "max_events",
            MAX_EVENTS as f64,
            "re-victimisations recorded per victim at most",
        ),
    ])?;
    Ok(vec![
        Part::new("truth.coefficients", coefficients),
        Part::new("truth.parameters", parameters),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_tile_follow_up() {
        let options = VictimOptions { n: 500, seed: 8 };
        for i in 0..500 {
            let v = victim(options.seed, i);
            assert!(v.events.windows(2).all(|w| w[0] < w[1]));
            assert!(v
                .events
                .iter()
                .all(|&t| t > 0.0 && t < v.followup_days as f64));
        }
        let parts = victim_rows(&options, 0..500, &Cancel::new()).unwrap();
        let truth_events: i64 = (0..500).map(|i| victim(8, i).events.len() as i64).sum();
        assert_eq!(parts[0].batch.num_rows() as i64, truth_events + 500);
    }
}
