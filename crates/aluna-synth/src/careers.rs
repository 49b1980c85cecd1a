//! Offending careers: yearly offence counts by type from age 12, with planted trajectory groups.
//!
//! Each person belongs to one of four latent trajectory groups ([`GROUPS`]), as in group-based
//! trajectory modelling (Nagin & Land 1993; Nagin 2005). In group `g` the yearly number of
//! offences at age `a` is Poisson with mean `exp(b0 + b1 x + b2 x^2)`, `x = (a - 20) / 10`,
//! split over five offence types by the group's fixed shares (independent Poisson counts
//! whose total is Poisson with the group's mean).

use std::ops::Range;

use aluna_core::parallel::Cancel;
use aluna_core::{ensure, Error, Result};

use crate::columns::Columns;
use crate::ids::{id_width, person_id, rng};
use crate::sample::{below, categorical, poisson, uniform};
use crate::{check_n, check_range, generate, Part};

const DOMAIN: u64 = 0xCA4E_E450;

/// Options of the careers panel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CareersOptions {
    /// Number of people.
    pub n: u64,
    /// Number of yearly periods, from age 12.
    pub periods: u32,
    /// Seed of the random streams.
    pub seed: u64,
    /// Probability that a person-year is a structural zero (no offences of any type, e.g. a
    /// year in custody or abroad), independently over person-years: a zero-inflated Poisson
    /// panel. 0 (the default) draws nothing extra, so the panel is as without the option.
    pub zero_inflation: f64,
}

impl CareersOptions {
    /// `n` people over `periods` years with seed `seed`, without zero inflation.
    pub fn new(n: u64, periods: u32, seed: u64) -> Self {
        Self {
            n,
            periods,
            seed,
            zero_inflation: 0.0,
        }
    }
}

/// One planted trajectory group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrajectoryGroup {
    /// Its name.
    pub label: &'static str,
    /// Share of the population in it.
    pub share: f64,
    /// Log-mean polynomial in `x = (age - 20) / 10`: intercept, slope, curvature.
    pub coefficients: [f64; 3],
    /// Shares of the offence types, in the order of [`OFFENCE_TYPES`].
    pub type_shares: [f64; 5],
}

/// The offence types, as data columns: (column, ICCS section(s), meaning).
pub const OFFENCE_TYPES: [(&str, &str, &str); 5] = [
    ("sexual_offences", "03", "injurious acts of a sexual nature"),
    (
        "violent_offences",
        "01, 02",
        "acts leading to death or harm to the person",
    ),
    (
        "theft_offences",
        "05",
        "acts against property only (theft, burglary)",
    ),
    ("drug_offences", "06", "acts involving controlled drugs"),
    (
        "fraud_offences",
        "07",
        "acts involving fraud, deception or corruption",
    ),
];

/// The planted trajectory groups.
pub const GROUPS: [TrajectoryGroup; 4] = [
    TrajectoryGroup {
        label: "rare",
        share: 0.55,
        coefficients: [-3.2, -0.2, 0.0],
        type_shares: [0.10, 0.25, 0.40, 0.15, 0.10],
    },
    TrajectoryGroup {
        label: "adolescence_limited",
        share: 0.25,
        coefficients: [-0.375, -1.8, -3.0],
        type_shares: [0.03, 0.30, 0.45, 0.15, 0.07],
    },
    TrajectoryGroup {
        label: "late_onset",
        share: 0.08,
        coefficients: [-1.357, 2.0, -1.0],
        type_shares: [0.45, 0.15, 0.10, 0.05, 0.25],
    },
    TrajectoryGroup {
        label: "chronic",
        share: 0.12,
        coefficients: [0.9, -0.4, -0.3],
        type_shares: [0.05, 0.30, 0.35, 0.20, 0.10],
    },
];

/// Age in the first period.
pub const START_AGE: i64 = 12;
/// Longest panel accepted.
pub const MAX_PERIODS: u32 = 60;

/// Mean yearly number of offences of trajectory group `group` at `age`.
///
/// ```
/// use aluna_synth::careers::mean_offences;
/// assert!(mean_offences(3, 20) > mean_offences(0, 20));
/// ```
pub fn mean_offences(group: usize, age: i64) -> f64 {
    let [b0, b1, b2] = GROUPS[group.min(GROUPS.len() - 1)].coefficients;
    let x = (age as f64 - 20.0) / 10.0;
    (b0 + b1 * x + b2 * x * x).exp()
}

struct Career {
    group: usize,
    birth_year: i64,
    counts: Vec<[i64; 5]>,
}

fn career(seed: u64, index: u64, periods: u32, zero_inflation: f64) -> Career {
    let r = &mut rng(seed, DOMAIN, index);
    let shares: Vec<f64> = GROUPS.iter().map(|g| g.share).collect();
    let group = categorical(r, &shares);
    let birth_year = 1990 + below(r, 10) as i64;
    let counts = (0..i64::from(periods))
        .map(|t| {
            let mut row = [0i64; 5];
            if zero_inflation > 0.0 && uniform(r) < zero_inflation {
                return row;
            }
            let mean = mean_offences(group, START_AGE + t);
            for (k, share) in GROUPS[group].type_shares.iter().enumerate() {
                row[k] = poisson(r, mean * share, 100) as i64;
            }
            row
        })
        .collect();
    Career {
        group,
        birth_year,
        counts,
    }
}

/// People `rows` of `options.n`: the person-year `data` and `truth.persons`.
///
/// `data`: one row per person and year: `person_id`, `year`, `age` (12, 13, ...), the counts
/// `sexual_offences`, `violent_offences`, `theft_offences`, `drug_offences`, `fraud_offences`
/// and `total_offences`. `truth.persons`: `person_id`, `trajectory_group` (0–3) and
/// `trajectory` (its label).
///
/// People are generated in parallel, each from its own random stream: any thread count and
/// any cut into batches give the same content.
///
/// # Example
/// ```
/// use aluna_core::parallel::Cancel;
/// use aluna_synth::careers::{careers_rows, CareersOptions};
/// let options = CareersOptions::new(10, 5, 1);
/// let parts = careers_rows(&options, 0..10, &Cancel::new()).unwrap();
/// assert_eq!(parts[0].batch.num_rows(), 50);
/// ```
pub fn careers_rows(
    options: &CareersOptions,
    rows: Range<u64>,
    cancel: &Cancel,
) -> Result<Vec<Part>> {
    check_n("n", options.n)?;
    ensure!(
        (1..=MAX_PERIODS).contains(&options.periods),
        Error::argument(
            "periods",
            format!(
                "must be between 1 and {MAX_PERIODS}, got {}",
                options.periods
            )
        )
    );
    check_range(&rows, options.n, "people")?;
    ensure!(
        (0.0..1.0).contains(&options.zero_inflation),
        Error::argument(
            "zero_inflation",
            format!(
                "must be at least 0 and below 1, got {}",
                options.zero_inflation
            )
        )
    );
    let (seed, periods, zero) = (options.seed, options.periods, options.zero_inflation);
    let width = id_width(options.n);
    let careers = generate(&rows, cancel, |i| career(seed, i, periods, zero))?;
    let ids: Vec<String> = rows.clone().map(|i| person_id('P', i, width)).collect();
    let cells: Vec<(usize, i64)> = (0..careers.len())
        .flat_map(|k| (0..i64::from(periods)).map(move |t| (k, t)))
        .collect();
    let count = |k: usize, t: i64, c: usize| careers[k].counts[t as usize][c];
    let mut data = Columns::new();
    data.strings(
        "person_id",
        cells.iter().map(|&(k, _)| Some(ids[k].as_str())),
    )
    .ints(
        "year",
        cells
            .iter()
            .map(|&(k, t)| Some(careers[k].birth_year + START_AGE + t)),
    )
    .ints("age", cells.iter().map(|&(_, t)| Some(START_AGE + t)));
    for (c, (name, _, _)) in OFFENCE_TYPES.iter().enumerate() {
        data.ints(name, cells.iter().map(|&(k, t)| Some(count(k, t, c))));
    }
    data.ints(
        "total_offences",
        cells
            .iter()
            .map(|&(k, t)| Some(careers[k].counts[t as usize].iter().sum())),
    );
    let data = data.finish()?;
    let truth = Columns::new()
        .strings("person_id", ids.iter().map(|s| Some(s.as_str())))
        .ints(
            "trajectory_group",
            careers.iter().map(|c| Some(c.group as i64)),
        )
        .strings(
            "trajectory",
            careers.iter().map(|c| Some(GROUPS[c.group].label)),
        )
        .finish()?;
    Ok(vec![
        Part::new("data", data),
        Part::new("truth.persons", truth),
    ])
}

/// The planted groups: `truth.groups` with `trajectory_group`, `trajectory`, `share`, `b0`,
/// `b1`, `b2` (log-mean polynomial in `(age - 20) / 10`), `peak_age` (null for monotone
/// curves) and the share of each offence type (`share_sexual_offences`, ...).
///
/// # Example
/// ```
/// let parts = aluna_synth::careers::careers_truth().unwrap();
/// assert_eq!(parts[0].batch.num_rows(), 4);
/// ```
pub fn careers_truth() -> Result<Vec<Part>> {
    let mut groups = Columns::new();
    groups
        .ints("trajectory_group", (0..GROUPS.len() as i64).map(Some))
        .strings("trajectory", GROUPS.iter().map(|g| Some(g.label)))
        .floats("share", GROUPS.iter().map(|g| Some(g.share)));
    for (k, name) in ["b0", "b1", "b2"].iter().enumerate() {
        groups.floats(name, GROUPS.iter().map(|g| Some(g.coefficients[k])));
    }
    groups.floats(
        "peak_age",
        GROUPS.iter().map(|g| {
            let [_, b1, b2] = g.coefficients;
            (b2 < 0.0).then(|| 20.0 - 10.0 * b1 / (2.0 * b2))
        }),
    );
    for (c, (name, _, _)) in OFFENCE_TYPES.iter().enumerate() {
        groups.floats(
            &format!("share_{name}"),
            GROUPS.iter().map(|g| Some(g.type_shares[c])),
        );
    }
    Ok(vec![Part::new("truth.groups", groups.finish()?)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_sum_to_one() {
        assert!((GROUPS.iter().map(|g| g.share).sum::<f64>() - 1.0).abs() < 1e-12);
        for g in GROUPS {
            assert!((g.type_shares.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn adolescence_limited_peaks_in_adolescence() {
        let peak = (12..40).max_by(|a, b| mean_offences(1, *a).total_cmp(&mean_offences(1, *b)));
        assert!(matches!(peak, Some(16..=18)), "{peak:?}");
    }

    #[test]
    fn periods_are_checked() {
        let options = CareersOptions::new(3, 0, 1);
        assert!(careers_rows(&options, 0..3, &Cancel::new()).is_err());
        let options = CareersOptions {
            zero_inflation: 1.0,
            ..CareersOptions::new(3, 5, 1)
        };
        assert!(careers_rows(&options, 0..3, &Cancel::new()).is_err());
    }
}
