//! A prevention programme evaluation: confounded participation and a known effect on
//! re-offending, both as a two-year binary outcome and as a time to event.
//!
//! Participation depends on measured covariates (motivation, risk score, employment, substance
//! misuse, age) that also drive re-offending, so a naive comparison is confounded; there is no
//! unmeasured confounding. Re-offending follows a Weibull proportional-hazards model with the
//! programme's log hazard ratio [`LOG_HAZARD_RATIO`]. Both potential outcomes of every person are
//! drawn with common random numbers (one exponential draw), so individual effects are known.
//!
//! With `delayed_entry`, people who would join do so at a start day after release; whoever
//! re-offends before it never joins and is recorded as a non-participant. Counting participants
//! as treated from release credits the programme with their event-free wait (immortal time).

use std::ops::Range;

use aluna_core::parallel::Cancel;
use aluna_core::Result;
use rand::Rng;

use crate::cohort::Term;
use crate::columns::{days_from_civil, parameters_table, Columns};
use crate::ids::{id_width, person_id, rng};
use crate::sample::{bernoulli, exponential, logistic, normal, poisson, truncated_normal};
use crate::{check_n, check_range, generate, Part};

const DOMAIN: u64 = 0x9409_4A33;

/// Options of the programme evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgrammeOptions {
    /// Number of people.
    pub n: u64,
    /// Seed of the random streams.
    pub seed: u64,
    /// Participants join at a start day after release (the immortal-time design).
    pub delayed_entry: bool,
}

/// The programme's true log hazard ratio of re-offending, ln 0.70 (from the start day on).
pub const LOG_HAZARD_RATIO: f64 = -0.356_674_943_938_732_4;
/// Intercept of the participation model (logit scale).
pub const PROPENSITY_INTERCEPT: f64 = -2.26;
/// Shape of the Weibull baseline hazard of re-offending.
pub const WEIBULL_SHAPE: f64 = 0.9;
/// Scale of the Weibull baseline in days: `H0(t) = (t / scale)^shape`.
pub const WEIBULL_SCALE_DAYS: f64 = 1500.0;
/// Days that make the binary outcome (two years).
pub const TWO_YEARS_DAYS: f64 = 730.0;
/// First release date, 2016-01-01, in days since 1970-01-01.
pub const FIRST_RELEASE: i32 = days_from_civil(2016, 1, 1);
/// Days over which release dates are spread (2016–2021).
pub const RELEASE_SPAN_DAYS: i32 = 2192;
/// End of follow-up, 2024-12-31, in days since 1970-01-01.
pub const STUDY_END: i32 = days_from_civil(2024, 12, 31);

/// The covariates' true coefficients: on the log hazard of re-offending (`OUTCOME`) and on the
/// log odds of participation (`PROPENSITY`), in the same order.
pub const OUTCOME: [Term; 7] = [
    Term {
        name: "motivation",
        coefficient: -1.2,
        description: "per unit of motivation (0 to 1)",
    },
    Term {
        name: "risk_score",
        coefficient: 0.15,
        description: "per point of the risk score (0 to 10)",
    },
    Term {
        name: "prior_convictions",
        coefficient: 0.08,
        description: "per prior conviction",
    },
    Term {
        name: "employed",
        coefficient: -0.35,
        description: "employed at release",
    },
    Term {
        name: "substance_misuse",
        coefficient: 0.40,
        description: "substance misuse at release",
    },
    Term {
        name: "age",
        coefficient: -0.025,
        description: "per year of age at release",
    },
    Term {
        name: "group_b",
        coefficient: 0.0,
        description: "group == \"B\"; no effect",
    },
];

/// The covariates' true coefficients on the log odds of participation (intercept
/// [`PROPENSITY_INTERCEPT`]).
pub const PROPENSITY: [Term; 7] = [
    Term {
        name: "motivation",
        coefficient: 3.0,
        description: "per unit of motivation (0 to 1)",
    },
    Term {
        name: "risk_score",
        coefficient: 0.15,
        description: "per point of the risk score (0 to 10)",
    },
    Term {
        name: "prior_convictions",
        coefficient: 0.0,
        description: "per prior conviction",
    },
    Term {
        name: "employed",
        coefficient: 0.5,
        description: "employed at release",
    },
    Term {
        name: "substance_misuse",
        coefficient: -0.4,
        description: "substance misuse at release",
    },
    Term {
        name: "age",
        coefficient: -0.01,
        description: "per year of age at release",
    },
    Term {
        name: "group_b",
        coefficient: 0.0,
        description: "group == \"B\"; no effect",
    },
];

struct Person {
    group_b: bool,
    age: i64,
    prior_convictions: i64,
    risk_score: i64,
    motivation: f64,
    employed: bool,
    substance_misuse: bool,
    release_day: i32,
    propensity: f64,
    intended: bool,
    planned_start: f64,
    participated: bool,
    t0: f64,
    t1: f64,
    linear_predictor: f64,
    observed: f64,
    available: f64,
}

fn baseline(t: f64) -> f64 {
    (t / WEIBULL_SCALE_DAYS).powf(WEIBULL_SHAPE)
}

fn baseline_inverse(h: f64) -> f64 {
    WEIBULL_SCALE_DAYS * h.powf(1.0 / WEIBULL_SHAPE)
}

impl Person {
    fn covariates(&self) -> [f64; 7] {
        let b = |x: bool| f64::from(u8::from(x));
        [
            self.motivation,
            self.risk_score as f64,
            self.prior_convictions as f64,
            b(self.employed),
            b(self.substance_misuse),
            self.age as f64,
            b(self.group_b),
        ]
    }

    fn start_day(&self) -> Option<i64> {
        self.participated.then(|| self.planned_start.ceil() as i64)
    }

    /// Risk of re-offending within two years under each regime (unconditional, from release).
    fn risks(&self, delayed: bool) -> (f64, f64) {
        let e = self.linear_predictor.exp();
        let h = baseline(TWO_YEARS_DAYS);
        let r0 = 1.0 - (-h * e).exp();
        let h1 = if !delayed {
            h * e * LOG_HAZARD_RATIO.exp()
        } else if self.planned_start >= TWO_YEARS_DAYS {
            h * e
        } else {
            let hs = baseline(self.planned_start);
            hs * e + (h - hs) * e * LOG_HAZARD_RATIO.exp()
        };
        (r0, 1.0 - (-h1).exp())
    }
}

fn person(seed: u64, index: u64, delayed: bool) -> Person {
    let r = &mut rng(seed, DOMAIN, index);
    let group_b = bernoulli(r, 0.30);
    let age = truncated_normal(r, 34.0, 10.0, 18.0, 70.0).round() as i64;
    let prior_convictions = poisson(r, 2.0, 20) as i64;
    let risk_score = (2.0 + 0.5 * prior_convictions as f64 + 1.5 * normal(r))
        .round()
        .clamp(0.0, 10.0) as i64;
    let motivation = logistic(normal(r));
    let substance_misuse = bernoulli(r, 0.30);
    let employed = bernoulli(
        r,
        logistic(
            0.3 + (motivation - 0.5)
                - 0.1 * prior_convictions as f64
                - 0.5 * f64::from(u8::from(substance_misuse)),
        ),
    );
    let release_day = FIRST_RELEASE + r.random_range(0..RELEASE_SPAN_DAYS);
    let mut p = Person {
        group_b,
        age,
        prior_convictions,
        risk_score,
        motivation,
        employed,
        substance_misuse,
        release_day,
        propensity: 0.0,
        intended: false,
        planned_start: 0.0,
        participated: false,
        t0: 0.0,
        t1: 0.0,
        linear_predictor: 0.0,
        observed: 0.0,
        available: f64::from(STUDY_END - release_day),
    };
    let x = p.covariates();
    let logit: f64 = PROPENSITY_INTERCEPT
        + PROPENSITY
            .iter()
            .zip(x)
            .map(|(t, v)| t.coefficient * v)
            .sum::<f64>();
    p.propensity = logistic(logit);
    p.linear_predictor = OUTCOME.iter().zip(x).map(|(t, v)| t.coefficient * v).sum();
    p.intended = bernoulli(r, p.propensity);
    let start_draw = (30.0 + 120.0 * exponential(r)).min(540.0);
    p.planned_start = if delayed { start_draw } else { 0.0 };

    // Common random numbers: one draw gives both potential times.
    let target = exponential(r) * (-p.linear_predictor).exp();
    p.t0 = baseline_inverse(target);
    p.t1 = if !delayed {
        baseline_inverse(target * (-LOG_HAZARD_RATIO).exp())
    } else if p.t0 <= p.planned_start {
        p.t0
    } else {
        let hs = baseline(p.planned_start);
        baseline_inverse(hs + (target - hs) * (-LOG_HAZARD_RATIO).exp())
    };
    // A would-be participant joins only if still in the community at the start day.
    p.participated = p.intended && (!delayed || p.t0 > p.planned_start);
    p.observed = if p.participated { p.t1 } else { p.t0 };
    p
}

/// Rows `rows` of a programme evaluation of `options.n` people: `data` and `truth.persons`.
///
/// `data` columns: `person_id`, `group`, `age`, `prior_convictions`, `risk_score`, `motivation`,
/// `employed`, `substance_misuse`, `release_date`, `participated`, `programme_start_day` (days
/// after release; 0 without delayed entry; null for non-participants), `time_days` (to
/// re-offence or the end of follow-up), `event` (1 re-offence, 0 censored at 2024-12-31),
/// `end_date`, `reoffended_2y` (re-offence within 730 days; follow-up is complete for it).
///
/// `truth.persons`: `person_id`, `propensity`, `intended` (would join), `planned_start_day`,
/// `time0_days` and `time1_days` (potential re-offence times without and with the programme;
/// with delayed entry, "with" means joining at the planned start day if still at risk),
/// `reoffended0_2y`, `reoffended1_2y`, `individual_effect_2y` (their difference),
/// `risk0_2y` and `risk1_2y` (true two-year risks from release under each regime).
///
/// Rows are generated in parallel, each from its own random stream: any thread count and any
/// cut into batches give the same content.
///
/// # Example
/// ```
/// use aluna_core::parallel::Cancel;
/// use aluna_synth::programme::{programme_rows, ProgrammeOptions};
/// let options = ProgrammeOptions { n: 50, seed: 1, delayed_entry: true };
/// let parts = programme_rows(&options, 0..50, &Cancel::new()).unwrap();
/// assert_eq!(parts[1].name, "truth.persons");
/// assert_eq!(parts[1].batch.num_rows(), 50);
/// ```
pub fn programme_rows(
    options: &ProgrammeOptions,
    rows: Range<u64>,
    cancel: &Cancel,
) -> Result<Vec<Part>> {
    check_n("n", options.n)?;
    check_range(&rows, options.n, "people")?;
    let (seed, delayed) = (options.seed, options.delayed_entry);
    let width = id_width(options.n);
    let people = generate(&rows, cancel, |i| person(seed, i, delayed))?;
    let ids: Vec<String> = rows.clone().map(|i| person_id('P', i, width)).collect();
    let ids = || ids.iter().map(|s| Some(s.as_str()));
    let followed = |p: &Person| p.observed.min(p.available);
    let two_years = |t: f64| t <= TWO_YEARS_DAYS;

    let data = Columns::new()
        .strings("person_id", ids())
        .strings(
            "group",
            people
                .iter()
                .map(|p| Some(if p.group_b { "B" } else { "A" })),
        )
        .ints("age", people.iter().map(|p| Some(p.age)))
        .ints(
            "prior_convictions",
            people.iter().map(|p| Some(p.prior_convictions)),
        )
        .ints("risk_score", people.iter().map(|p| Some(p.risk_score)))
        .floats("motivation", people.iter().map(|p| Some(p.motivation)))
        .bools("employed", people.iter().map(|p| Some(p.employed)))
        .bools(
            "substance_misuse",
            people.iter().map(|p| Some(p.substance_misuse)),
        )
        .dates("release_date", people.iter().map(|p| Some(p.release_day)))
        .bools("participated", people.iter().map(|p| Some(p.participated)))
        .ints("programme_start_day", people.iter().map(Person::start_day))
        .ints(
            "time_days",
            people
                .iter()
                .map(|p| Some((followed(p).ceil() as i64).max(1))),
        )
        .ints(
            "event",
            people
                .iter()
                .map(|p| Some(i64::from(p.observed <= p.available))),
        )
        .dates(
            "end_date",
            people
                .iter()
                .map(|p| Some(p.release_day + (followed(p).ceil() as i32).max(1))),
        )
        .bools(
            "reoffended_2y",
            people.iter().map(|p| Some(two_years(p.observed))),
        )
        .finish()?;

    let truth = Columns::new()
        .strings("person_id", ids())
        .floats("propensity", people.iter().map(|p| Some(p.propensity)))
        .bools("intended", people.iter().map(|p| Some(p.intended)))
        .ints(
            "planned_start_day",
            people.iter().map(|p| Some(p.planned_start.ceil() as i64)),
        )
        .floats("time0_days", people.iter().map(|p| Some(p.t0)))
        .floats("time1_days", people.iter().map(|p| Some(p.t1)))
        .bools(
            "reoffended0_2y",
            people.iter().map(|p| Some(two_years(p.t0))),
        )
        .bools(
            "reoffended1_2y",
            people.iter().map(|p| Some(two_years(p.t1))),
        )
        .ints(
            "individual_effect_2y",
            people
                .iter()
                .map(|p| Some(i64::from(two_years(p.t1)) - i64::from(two_years(p.t0)))),
        )
        .floats("risk0_2y", people.iter().map(|p| Some(p.risks(delayed).0)))
        .floats("risk1_2y", people.iter().map(|p| Some(p.risks(delayed).1)))
        .finish()?;
    Ok(vec![
        Part::new("data", data),
        Part::new("truth.persons", truth),
    ])
}

/// The fixed ground truth: `truth.coefficients` (`term`, `outcome_coefficient`,
/// `propensity_coefficient`, `description`; the term `programme` carries the true log hazard
/// ratio, `intercept` the participation model's intercept) and `truth.parameters`.
///
/// # Example
/// ```
/// let parts = aluna_synth::programme::programme_truth().unwrap();
/// assert_eq!(parts[0].batch.num_rows(), 9);
/// ```
pub fn programme_truth() -> Result<Vec<Part>> {
    let names: Vec<&str> = ["programme", "intercept"]
        .into_iter()
        .chain(OUTCOME.iter().map(|t| t.name))
        .collect();
    let outcome: Vec<Option<f64>> = [Some(LOG_HAZARD_RATIO), None]
        .into_iter()
        .chain(OUTCOME.iter().map(|t| Some(t.coefficient)))
        .collect();
    let propensity: Vec<Option<f64>> = [None, Some(PROPENSITY_INTERCEPT)]
        .into_iter()
        .chain(PROPENSITY.iter().map(|t| Some(t.coefficient)))
        .collect();
    let descriptions: Vec<&str> = [
        "took part in the programme (from its start day on): the true log hazard ratio",
        "intercept of the participation model",
    ]
    .into_iter()
    .chain(OUTCOME.iter().map(|t| t.description))
    .collect();
    let coefficients = Columns::new()
        .strings("term", names.iter().map(|s| Some(*s)))
        .floats("outcome_coefficient", outcome)
        .floats("propensity_coefficient", propensity)
        .strings("description", descriptions.iter().map(|s| Some(*s)))
        .finish()?;
    let parameters = parameters_table(&[
        (
            "log_hazard_ratio",
            LOG_HAZARD_RATIO,
            "the programme's true log hazard ratio of re-offending (ln 0.70)",
        ),
        (
            "hazard_ratio",
            LOG_HAZARD_RATIO.exp(),
            "the programme's true hazard ratio",
        ),
        (
            "weibull_shape",
            WEIBULL_SHAPE,
            "shape of the Weibull baseline hazard",
        ),
        (
            "weibull_scale_days",
            WEIBULL_SCALE_DAYS,
            "scale of the baseline: H0(t) = (t / scale)^shape",
        ),
        (
            "two_years_days",
            TWO_YEARS_DAYS,
            "days that make the binary outcome",
        ),
        (
            "study_end_day",
            f64::from(STUDY_END),
            "end of follow-up, 2024-12-31, as days since 1970-01-01",
        ),
        (
            "start_day_offset",
            30.0,
            "delayed entry: planned start day = min(540, offset + mean * Exp(1))",
        ),
        (
            "start_day_mean",
            120.0,
            "delayed entry: mean of the exponential part of the start day",
        ),
        ("start_day_max", 540.0, "delayed entry: latest start day"),
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
    fn delayed_participants_were_event_free_until_their_start() {
        for delayed in [false, true] {
            let options = ProgrammeOptions {
                n: 2000,
                seed: 5,
                delayed_entry: delayed,
            };
            let parts: Vec<Person> = (0..2000)
                .map(|i| person(options.seed, i, delayed))
                .collect();
            for p in &parts {
                assert!(p.t1 >= p.t0, "the programme never hastens re-offending");
                if p.participated {
                    assert!(p.observed > p.planned_start);
                }
                if !p.intended {
                    assert!(!p.participated);
                }
            }
            let lost = parts
                .iter()
                .filter(|p| p.intended && !p.participated)
                .count();
            assert_eq!(
                lost > 0,
                delayed,
                "only delayed entry loses would-be participants"
            );
        }
    }

    #[test]
    fn batches_equal_slices_of_the_whole() {
        let options = ProgrammeOptions {
            n: 300,
            seed: 2,
            delayed_entry: false,
        };
        let whole = programme_rows(&options, 0..300, &Cancel::new()).unwrap();
        let part = programme_rows(&options, 100..200, &Cancel::new()).unwrap();
        assert_eq!(part[0].batch, whole[0].batch.slice(100, 100));
        assert_eq!(part[1].batch, whole[1].batch.slice(100, 100));
    }
}
