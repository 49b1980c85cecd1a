//! A cohort of people released after a sexual offence, with actuarial-tool-shaped items and
//! re-offending times from a known proportional-hazards model.
//!
//! Each person carries static items in the shape of published actuarial tools (age, prior
//! criminal history, failure on conditional release, contact offending, victim characteristics,
//! after Static-99R and CPORT), dynamic factors, programme participation, and a group attribute
//! with differing base rates. The time to sexual re-offending follows a Weibull proportional
//! hazards model on the *time at risk* (days in the community): custody periods stop the clock.
//! Death and deportation compete with it; follow-up ends at a study end date (administrative
//! censoring) or at loss to follow-up (random censoring). Missing values are planted at random
//! (MAR, depending on observed columns) and not at random (MNAR, depending on the hidden value).
//!
//! The true log hazard ratios are [`TERMS`]; with them the true linear predictor reaches an AUC
//! of about 0.73 for sexual re-offending within five years, inside the 0.70–0.75 published for
//! Static-99R and CPORT.

use std::ops::Range;

use aluna_core::parallel::Cancel;
use aluna_core::Result;
use rand::Rng;

use crate::columns::{coefficients_table, days_from_civil, parameters_table, Columns};
use crate::ids::{id_width, person_id, rng};
use crate::sample::{bernoulli, categorical, exponential, logistic, poisson, truncated_normal};
use crate::{check_n, check_range, generate, Part};

/// Random-stream domain of this generator.
const DOMAIN: u64 = 0x0C04_0810;

/// Options of the offender cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CohortOptions {
    /// Number of people.
    pub n: u64,
    /// Seed of the random streams.
    pub seed: u64,
}

/// One term of a true model: the covariate (a column of the data, or an indicator of one), its
/// true coefficient and what one unit means.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Term {
    /// The covariate's name.
    pub name: &'static str,
    /// The true coefficient (a log hazard ratio or log rate ratio).
    pub coefficient: f64,
    /// What the covariate is and what one unit means.
    pub description: &'static str,
}

/// The true log hazard ratios of sexual re-offending (per unit of each covariate).
pub const TERMS: [Term; 17] = [
    Term { name: "age_at_release", coefficient: -0.045, description: "per year of age at release" },
    Term { name: "ever_lived_with_partner", coefficient: -0.30, description: "ever lived with an intimate partner for two years or more" },
    Term { name: "prior_sex_offences", coefficient: 0.30, description: "per prior sexual offence (charges or convictions, 0 to 8)" },
    Term { name: "prior_sentencing_dates", coefficient: 0.10, description: "per prior sentencing date (0 to 15)" },
    Term { name: "prior_nonsexual_violence", coefficient: 0.30, description: "any prior non-sexual violence" },
    Term { name: "index_nonsexual_violence", coefficient: 0.25, description: "non-sexual violence in the index offence" },
    Term { name: "failed_conditional_release", coefficient: 0.45, description: "any failure on conditional release" },
    Term { name: "contact_offence", coefficient: 0.25, description: "the index offence involved contact (not only online or image offences)" },
    Term { name: "victim_unrelated", coefficient: 0.40, description: "any unrelated victim" },
    Term { name: "victim_stranger", coefficient: 0.30, description: "any stranger victim" },
    Term { name: "victim_male", coefficient: 0.45, description: "any male victim" },
    Term { name: "substance_misuse", coefficient: 0.40, description: "substance misuse at release (dynamic)" },
    Term { name: "employed", coefficient: -0.30, description: "employed at release (dynamic)" },
    Term { name: "stable_accommodation", coefficient: -0.25, description: "stable accommodation at release (dynamic)" },
    Term { name: "sexual_preoccupation", coefficient: 0.40, description: "per level of sexual preoccupation, 0 to 2 (dynamic)" },
    Term { name: "programme", coefficient: -0.25, description: "took part in a treatment programme before release" },
    Term { name: "group_b", coefficient: 0.0, description: "group == \"B\"; no effect of its own: base rates differ between groups only through the other items" },
];

/// Shape of the Weibull baseline hazard of sexual re-offending (below 1: the hazard falls with
/// time at risk).
pub const WEIBULL_SHAPE: f64 = 0.8;
/// Scale of the Weibull baseline, in days at risk: `H0(t) = (t / scale)^shape`.
pub const WEIBULL_SCALE_DAYS: f64 = 18_000.0;
/// Yearly death rate at age 40.
pub const DEATH_RATE_AT_40: f64 = 0.004;
/// Log-rate of death per year of age at release.
pub const DEATH_AGE_SLOPE: f64 = 0.085;
/// Yearly deportation rate of foreign nationals.
pub const DEPORTATION_RATE: f64 = 0.15;
/// Yearly rate of loss to follow-up (random censoring).
pub const LOSS_RATE: f64 = 0.02;
/// Days at risk that make the five-year outcome.
pub const FIVE_YEARS_DAYS: i64 = 1826;
/// First release date, 2012-01-01, in days since 1970-01-01.
pub const FIRST_RELEASE: i32 = days_from_civil(2012, 1, 1);
/// Days over which release dates are spread (2012–2019).
pub const RELEASE_SPAN_DAYS: i32 = 2922;
/// End of follow-up, 2024-12-31, in days since 1970-01-01.
pub const STUDY_END: i32 = days_from_civil(2024, 12, 31);

const DAYS_PER_YEAR: f64 = 365.25;

struct Person {
    group_b: bool,
    age_at_index_offence: i64,
    sentence_months: i64,
    age_at_release: i64,
    release_day: i32,
    ever_lived_with_partner: bool,
    prior_sex_offences: i64,
    prior_sentencing_dates: i64,
    prior_nonsexual_violence: bool,
    index_nonsexual_violence: bool,
    failed_conditional_release: bool,
    contact_offence: bool,
    victim_unrelated: bool,
    victim_stranger: bool,
    victim_male: bool,
    substance_misuse: bool,
    employed: bool,
    stable_accommodation: bool,
    sexual_preoccupation: i64,
    programme: bool,
    foreign_national: bool,
    linear_predictor: f64,
    latent_reoffence_days: f64,
    custody: Option<(i64, i64)>,
    followup_days: i64,
    time_at_risk_days: i64,
    event: i64,
    missing_employed: bool,
    missing_accommodation: bool,
    missing_substance: bool,
    missing_preoccupation: bool,
    missing_victim_male: bool,
}

impl Person {
    fn covariates(&self) -> [f64; 17] {
        let b = |x: bool| f64::from(u8::from(x));
        [
            self.age_at_release as f64,
            b(self.ever_lived_with_partner),
            self.prior_sex_offences as f64,
            self.prior_sentencing_dates as f64,
            b(self.prior_nonsexual_violence),
            b(self.index_nonsexual_violence),
            b(self.failed_conditional_release),
            b(self.contact_offence),
            b(self.victim_unrelated),
            b(self.victim_stranger),
            b(self.victim_male),
            b(self.substance_misuse),
            b(self.employed),
            b(self.stable_accommodation),
            self.sexual_preoccupation as f64,
            b(self.programme),
            b(self.group_b),
        ]
    }

    /// Points of a Static-99R-shaped total score from the recorded (possibly missing) items;
    /// a missing item scores 0, as in practice.
    fn tool_score(&self) -> i64 {
        let age = match self.age_at_release {
            ..=34 => 1,
            35..=39 => 0,
            40..=59 => -1,
            _ => -3,
        };
        let priors = match self.prior_sex_offences {
            0 => 0,
            1..=2 => 1,
            3..=5 => 2,
            _ => 3,
        };
        let b = |x: bool| i64::from(x);
        age + b(!self.ever_lived_with_partner)
            + b(self.index_nonsexual_violence)
            + b(self.prior_nonsexual_violence)
            + priors
            + b(self.prior_sentencing_dates >= 4)
            + b(!self.contact_offence)
            + b(self.victim_unrelated)
            + b(self.victim_stranger)
            + b(self.victim_male && !self.missing_victim_male)
    }

    fn five_year_outcome(&self) -> Option<bool> {
        if self.event == 1 && self.time_at_risk_days <= FIVE_YEARS_DAYS {
            Some(true)
        } else if self.time_at_risk_days >= FIVE_YEARS_DAYS {
            Some(false)
        } else {
            None
        }
    }
}

/// The true probability of sexual re-offending within five years at risk, ignoring competing
/// events: `1 - exp(-(1826 / scale)^shape * exp(lp))`.
pub fn five_year_risk(linear_predictor: f64) -> f64 {
    let h0 = (FIVE_YEARS_DAYS as f64 / WEIBULL_SCALE_DAYS).powf(WEIBULL_SHAPE);
    1.0 - (-h0 * linear_predictor.exp()).exp()
}

fn person(seed: u64, index: u64) -> Person {
    let r = &mut rng(seed, DOMAIN, index);
    let group_b = bernoulli(r, 0.30);
    let age_mean = if group_b { 30.0 } else { 35.0 };
    let age_at_index_offence = truncated_normal(r, age_mean, 11.0, 16.0, 75.0).round() as i64;
    let sentence_months =
        ((24f64.ln() + 0.7 * crate::sample::normal(r)).exp().round() as i64).clamp(3, 180);
    let age_at_release = age_at_index_offence + (sentence_months + 6) / 12;
    let release_day = FIRST_RELEASE + r.random_range(0..RELEASE_SPAN_DAYS);
    let ever_lived_with_partner =
        bernoulli(r, logistic(-1.0 + 0.06 * (age_at_release as f64 - 25.0)));
    let prior_sex_offences = poisson(r, 0.45, 8) as i64;
    let prior_sentencing_dates = poisson(r, if group_b { 2.6 } else { 1.6 }, 15) as i64;
    let prior_nonsexual_violence = bernoulli(r, if group_b { 0.33 } else { 0.25 });
    let index_nonsexual_violence = bernoulli(r, 0.15);
    let failed_conditional_release = bernoulli(
        r,
        logistic(-1.6 + 0.25 * prior_sentencing_dates.min(6) as f64),
    );
    let contact_offence = bernoulli(r, 0.65);
    let victim_unrelated = bernoulli(r, 0.55);
    let victim_stranger = bernoulli(r, 0.40) && victim_unrelated;
    let victim_male = bernoulli(r, 0.25);
    let substance_misuse = bernoulli(r, if group_b { 0.38 } else { 0.30 });
    let employed = bernoulli(
        r,
        logistic(
            0.2 - 0.6 * f64::from(u8::from(substance_misuse)) - 0.4 * f64::from(u8::from(group_b)),
        ),
    );
    let stable_accommodation = bernoulli(
        r,
        logistic(1.0 - 0.5 * f64::from(u8::from(substance_misuse))),
    );
    let sexual_preoccupation = categorical(r, &[0.55, 0.30, 0.15]) as i64;
    let programme = bernoulli(
        r,
        logistic(
            -0.8 + 0.3 * prior_sex_offences.min(3) as f64
                + 0.3 * f64::from(u8::from(contact_offence)),
        ),
    );
    let foreign_national = bernoulli(r, 0.08);

    let mut p = Person {
        group_b,
        age_at_index_offence,
        sentence_months,
        age_at_release,
        release_day,
        ever_lived_with_partner,
        prior_sex_offences,
        prior_sentencing_dates,
        prior_nonsexual_violence,
        index_nonsexual_violence,
        failed_conditional_release,
        contact_offence,
        victim_unrelated,
        victim_stranger,
        victim_male,
        substance_misuse,
        employed,
        stable_accommodation,
        sexual_preoccupation,
        programme,
        foreign_national,
        linear_predictor: 0.0,
        latent_reoffence_days: 0.0,
        custody: None,
        followup_days: 0,
        time_at_risk_days: 0,
        event: 0,
        missing_employed: false,
        missing_accommodation: false,
        missing_substance: false,
        missing_preoccupation: false,
        missing_victim_male: false,
    };
    let x = p.covariates();
    let lp: f64 = TERMS.iter().zip(x).map(|(t, v)| t.coefficient * v).sum();
    p.linear_predictor = lp;

    // Latent times on the clock of days at risk.
    let t_reoffence = WEIBULL_SCALE_DAYS * (exponential(r) * (-lp).exp()).powf(1.0 / WEIBULL_SHAPE);
    let death_rate =
        DEATH_RATE_AT_40 / DAYS_PER_YEAR * (DEATH_AGE_SLOPE * (age_at_release as f64 - 40.0)).exp();
    let t_death = exponential(r) / death_rate;
    let deport_draw = exponential(r) / (DEPORTATION_RATE / DAYS_PER_YEAR);
    let t_deport = if foreign_national {
        deport_draw
    } else {
        f64::INFINITY
    };
    let t_loss = exponential(r) / (LOSS_RATE / DAYS_PER_YEAR);
    p.latent_reoffence_days = t_reoffence;

    // One custody spell (recall or remand), in calendar days after release.
    let custody_p = logistic(
        -1.5 + 0.8 * f64::from(u8::from(substance_misuse))
            + 0.6 * f64::from(u8::from(failed_conditional_release))
            + 0.1 * prior_sentencing_dates.min(6) as f64,
    );
    let in_custody = bernoulli(r, custody_p);
    let custody_start = 30.0 + 700.0 * exponential(r);
    let custody_end = custody_start + (30.0 + 180.0 * exponential(r)).min(1000.0);
    let spell = in_custody.then_some((custody_start, custody_end));

    let available = f64::from(STUDY_END - release_day);
    let at_risk_available = match spell {
        Some((s, _)) if available <= s => available,
        Some((s, e)) if available <= e => s,
        Some((s, e)) => available - (e - s),
        None => available,
    };
    let times = [t_reoffence, t_death, t_deport, t_loss, at_risk_available];
    let (first, tau) =
        times
            .iter()
            .copied()
            .enumerate()
            .fold(
                (4, f64::INFINITY),
                |best, (k, t)| if t < best.1 { (k, t) } else { best },
            );
    p.event = match first {
        0 => 1,
        1 => 2,
        2 => 3,
        _ => 0,
    };
    let calendar = if first == 4 {
        available
    } else {
        match spell {
            Some((s, e)) if tau > s => tau + (e - s),
            _ => tau,
        }
    };
    p.followup_days = (calendar.ceil() as i64).max(1);
    p.custody = spell.and_then(|(s, e)| {
        let start = s.ceil() as i64;
        (start < p.followup_days).then(|| (start, (e.ceil() as i64).min(p.followup_days)))
    });
    p.time_at_risk_days = p.followup_days - p.custody.map_or(0, |(s, e)| e - s);

    // Planted missing values: MAR on observed columns, MNAR on the hidden value, MCAR.
    p.missing_employed = bernoulli(r, if group_b { 0.16 } else { 0.04 });
    p.missing_accommodation = bernoulli(r, if age_at_release < 25 { 0.12 } else { 0.04 });
    p.missing_substance = bernoulli(r, if substance_misuse { 0.30 } else { 0.05 });
    p.missing_preoccupation = bernoulli(r, 0.05 + 0.10 * sexual_preoccupation as f64);
    p.missing_victim_male = bernoulli(r, 0.03);
    p
}

fn hide<T>(value: T, missing: bool) -> Option<T> {
    (!missing).then_some(value)
}

/// Rows `rows` of a cohort of `options.n` people: the `data` table and the per-person truth
/// (`truth.persons`).
///
/// `data` columns: `person_id`, `group` ("A" or "B"), `age_at_index_offence`,
/// `sentence_months`, `age_at_release`, `release_date`, the static items, the dynamic factors
/// (`substance_misuse`, `employed`, `stable_accommodation`, `sexual_preoccupation`, with planted
/// missing values), `programme`, `foreign_national`, `tool_score`, `custody_start_day` and
/// `custody_end_day` (calendar days after release; null without custody during follow-up),
/// `followup_days`, `time_at_risk_days` (follow-up less custody), `event` (0 censored,
/// 1 sexual re-offence, 2 death, 3 deportation), `end_date`, and `sexual_reoffence_5y` (null when
/// follow-up ended before five years at risk without a sexual re-offence).
///
/// `truth.persons`: `person_id`, `linear_predictor`, `risk_5y`, `latent_reoffence_days` (before
/// censoring and competing events) and the complete values of the columns with planted missing
/// values.
///
/// Rows are generated in parallel, each from its own random stream: any thread count and any
/// cut into batches give the same content.
///
/// # Example
/// ```
/// use aluna_core::parallel::Cancel;
/// use aluna_synth::cohort::{cohort_rows, CohortOptions};
/// let options = CohortOptions { n: 100, seed: 7 };
/// let parts = cohort_rows(&options, 0..100, &Cancel::new()).unwrap();
/// assert_eq!(parts[0].name, "data");
/// assert_eq!(parts[0].batch.num_rows(), 100);
/// let tail = cohort_rows(&options, 90..100, &Cancel::new()).unwrap();
/// assert_eq!(tail[0].batch, parts[0].batch.slice(90, 10));
/// ```
pub fn cohort_rows(
    options: &CohortOptions,
    rows: Range<u64>,
    cancel: &Cancel,
) -> Result<Vec<Part>> {
    check_n("n", options.n)?;
    check_range(&rows, options.n, "people")?;
    let seed = options.seed;
    let width = id_width(options.n);
    let people = generate(&rows, cancel, |i| person(seed, i))?;
    let ids: Vec<String> = rows.clone().map(|i| person_id('P', i, width)).collect();
    let ids = || ids.iter().map(|s| Some(s.as_str()));
    let col = |f: fn(&Person) -> Option<i64>| people.iter().map(f).collect::<Vec<_>>();
    let flag = |f: fn(&Person) -> Option<bool>| people.iter().map(f).collect::<Vec<_>>();

    let data = Columns::new()
        .strings("person_id", ids())
        .strings(
            "group",
            people
                .iter()
                .map(|p| Some(if p.group_b { "B" } else { "A" })),
        )
        .ints(
            "age_at_index_offence",
            col(|p| Some(p.age_at_index_offence)),
        )
        .ints("sentence_months", col(|p| Some(p.sentence_months)))
        .ints("age_at_release", col(|p| Some(p.age_at_release)))
        .dates("release_date", people.iter().map(|p| Some(p.release_day)))
        .bools(
            "ever_lived_with_partner",
            flag(|p| Some(p.ever_lived_with_partner)),
        )
        .ints("prior_sex_offences", col(|p| Some(p.prior_sex_offences)))
        .ints(
            "prior_sentencing_dates",
            col(|p| Some(p.prior_sentencing_dates)),
        )
        .bools(
            "prior_nonsexual_violence",
            flag(|p| Some(p.prior_nonsexual_violence)),
        )
        .bools(
            "index_nonsexual_violence",
            flag(|p| Some(p.index_nonsexual_violence)),
        )
        .bools(
            "failed_conditional_release",
            flag(|p| Some(p.failed_conditional_release)),
        )
        .bools("contact_offence", flag(|p| Some(p.contact_offence)))
        .bools("victim_unrelated", flag(|p| Some(p.victim_unrelated)))
        .bools("victim_stranger", flag(|p| Some(p.victim_stranger)))
        .bools(
            "victim_male",
            flag(|p| hide(p.victim_male, p.missing_victim_male)),
        )
        .bools(
            "substance_misuse",
            flag(|p| hide(p.substance_misuse, p.missing_substance)),
        )
        .bools("employed", flag(|p| hide(p.employed, p.missing_employed)))
        .bools(
            "stable_accommodation",
            flag(|p| hide(p.stable_accommodation, p.missing_accommodation)),
        )
        .ints(
            "sexual_preoccupation",
            col(|p| hide(p.sexual_preoccupation, p.missing_preoccupation)),
        )
        .bools("programme", flag(|p| Some(p.programme)))
        .bools("foreign_national", flag(|p| Some(p.foreign_national)))
        .ints("tool_score", col(|p| Some(p.tool_score())))
        .ints("custody_start_day", col(|p| p.custody.map(|c| c.0)))
        .ints("custody_end_day", col(|p| p.custody.map(|c| c.1)))
        .ints("followup_days", col(|p| Some(p.followup_days)))
        .ints("time_at_risk_days", col(|p| Some(p.time_at_risk_days)))
        .ints("event", col(|p| Some(p.event)))
        .dates(
            "end_date",
            people
                .iter()
                .map(|p| Some(p.release_day + p.followup_days as i32)),
        )
        .bools("sexual_reoffence_5y", flag(Person::five_year_outcome))
        .finish()?;

    let truth = Columns::new()
        .strings("person_id", ids())
        .floats(
            "linear_predictor",
            people.iter().map(|p| Some(p.linear_predictor)),
        )
        .floats(
            "risk_5y",
            people
                .iter()
                .map(|p| Some(five_year_risk(p.linear_predictor))),
        )
        .floats(
            "latent_reoffence_days",
            people.iter().map(|p| Some(p.latent_reoffence_days)),
        )
        .bools("victim_male", flag(|p| Some(p.victim_male)))
        .bools("substance_misuse", flag(|p| Some(p.substance_misuse)))
        .bools("employed", flag(|p| Some(p.employed)))
        .bools(
            "stable_accommodation",
            flag(|p| Some(p.stable_accommodation)),
        )
        .ints(
            "sexual_preoccupation",
            col(|p| Some(p.sexual_preoccupation)),
        )
        .finish()?;
    Ok(vec![
        Part::new("data", data),
        Part::new("truth.persons", truth),
    ])
}

/// The fixed ground truth of the cohort: `truth.coefficients` (`term`, `coefficient`,
/// `hazard_ratio`, `description`) and `truth.parameters` (`name`, `value`, `description`).
///
/// # Example
/// ```
/// let parts = aluna_synth::cohort::cohort_truth().unwrap();
/// assert_eq!(parts[0].name, "truth.coefficients");
/// assert_eq!(parts[0].batch.num_rows(), 17);
/// ```
pub fn cohort_truth() -> Result<Vec<Part>> {
    let coefficients = coefficients_table(&TERMS, "hazard_ratio")?;
    let parameters = parameters_table(&[
        (
            "weibull_shape",
            WEIBULL_SHAPE,
            "shape of the Weibull baseline hazard of sexual re-offending",
        ),
        (
            "weibull_scale_days",
            WEIBULL_SCALE_DAYS,
            "scale of the baseline, in days at risk: H0(t) = (t / scale)^shape",
        ),
        (
            "death_rate_at_40",
            DEATH_RATE_AT_40,
            "yearly death rate at age 40 (competing event 2)",
        ),
        (
            "death_age_slope",
            DEATH_AGE_SLOPE,
            "log death rate per year of age at release",
        ),
        (
            "deportation_rate",
            DEPORTATION_RATE,
            "yearly deportation rate of foreign nationals (competing event 3)",
        ),
        (
            "loss_rate",
            LOSS_RATE,
            "yearly rate of loss to follow-up (random censoring)",
        ),
        (
            "study_end_day",
            f64::from(STUDY_END),
            "end of follow-up, 2024-12-31, as days since 1970-01-01 (administrative censoring)",
        ),
        (
            "five_year_days",
            FIVE_YEARS_DAYS as f64,
            "days at risk that make the five-year outcome",
        ),
        (
            "auc_5y_low",
            0.70,
            "the AUC of the true linear predictor for sexual_reoffence_5y lies above this",
        ),
        ("auc_5y_high", 0.75, "and below this"),
        (
            "missing_employed_group_a",
            0.04,
            "P(employed missing | group A): MAR",
        ),
        (
            "missing_employed_group_b",
            0.16,
            "P(employed missing | group B): MAR",
        ),
        (
            "missing_accommodation_under_25",
            0.12,
            "P(stable_accommodation missing | age at release < 25): MAR",
        ),
        (
            "missing_accommodation_25_plus",
            0.04,
            "P(stable_accommodation missing | age at release >= 25): MAR",
        ),
        (
            "missing_substance_if_true",
            0.30,
            "P(substance_misuse missing | true value 1): MNAR",
        ),
        (
            "missing_substance_if_false",
            0.05,
            "P(substance_misuse missing | true value 0): MNAR",
        ),
        (
            "missing_preoccupation_base",
            0.05,
            "P(sexual_preoccupation missing) = base + slope * true level: MNAR",
        ),
        (
            "missing_preoccupation_slope",
            0.10,
            "increase of that probability per true level",
        ),
        ("missing_victim_male", 0.03, "P(victim_male missing): MCAR"),
    ])?;
    Ok(vec![
        Part::new("truth.coefficients", coefficients),
        Part::new("truth.parameters", parameters),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use aluna_core::parallel::install;
    use arrow_array::cast::AsArray;
    use arrow_array::types::Int64Type;
    use arrow_array::Array;

    fn rows(n: u64, seed: u64, threads: usize) -> Vec<Part> {
        install(Some(threads), || {
            cohort_rows(&CohortOptions { n, seed }, 0..n, &Cancel::new())
        })
        .unwrap()
        .unwrap()
    }

    #[test]
    fn same_content_for_any_thread_count() {
        let one = rows(3000, 3, 1);
        let two = rows(3000, 3, 2);
        for (a, b) in one.iter().zip(&two) {
            assert_eq!(a.batch, b.batch);
        }
        assert_ne!(one[0].batch, rows(3000, 4, 2)[0].batch);
    }

    #[test]
    fn follow_up_is_consistent() {
        let parts = rows(5000, 9, 2);
        let data = &parts[0].batch;
        let get = |name: &str| {
            data.column_by_name(name)
                .unwrap()
                .as_primitive::<Int64Type>()
                .clone()
        };
        let (follow, at_risk, event) =
            (get("followup_days"), get("time_at_risk_days"), get("event"));
        let (start, end) = (get("custody_start_day"), get("custody_end_day"));
        for i in 0..data.num_rows() {
            assert!(at_risk.value(i) >= 1 && at_risk.value(i) <= follow.value(i));
            assert!((0..=3).contains(&event.value(i)));
            if start.is_valid(i) {
                assert!(start.value(i) < end.value(i) || end.value(i) == follow.value(i));
                assert_eq!(
                    follow.value(i) - at_risk.value(i),
                    end.value(i) - start.value(i)
                );
            } else {
                assert_eq!(follow.value(i), at_risk.value(i));
            }
        }
        let events = (0..4)
            .map(|k| event.values().iter().filter(|&&e| e == k).count())
            .collect::<Vec<_>>();
        assert!(events.iter().all(|&c| c > 0), "{events:?}");
    }

    #[test]
    fn bad_arguments_are_errors() {
        let cancel = Cancel::new();
        assert!(cohort_rows(&CohortOptions { n: 0, seed: 1 }, 0..0, &cancel).is_err());
        assert!(cohort_rows(&CohortOptions { n: 10, seed: 1 }, 5..11, &cancel).is_err());
    }
}
