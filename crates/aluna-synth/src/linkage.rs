//! Two agencies' records about partly the same people, with realistic errors and the true
//! matches, for record linkage and privacy-preserving linkage.
//!
//! Made-up people (first name, last name, date of birth, sex, postcode) are drawn with
//! Zipf-like name frequencies, so common names collide as in real registers. Agency A holds
//! `n` of them and agency B `n`, `round(overlap * n)` in both. Each agency's copy of a field is
//! corrupted independently with probability `corruption`: typing errors (substitution,
//! deletion, insertion, transposition; Christen 2012), nicknames, name changes, day–month swaps
//! and off-by-one dates, moves to another postcode, or a missing value; first and last names are
//! swapped in a record with probability `corruption / 5`. Agency B writes names in upper case.
//! With `duplicates > 0`, a share of each agency's records are further records of people the
//! agency already holds (each corrupted on its own), so matches are many-to-many.
//! Row order in each agency is a seeded shuffle, so position says nothing about matches.
//! Postcodes use the area `ZZ`, which no real postcode has.

use std::ops::Range;

use aluna_core::parallel::Cancel;
use aluna_core::Result;
use rand::Rng;

use crate::columns::{civil_from_days, days_from_civil, parameters_table, Columns};
use crate::ids::{id_width, person_id, rng, Permutation};
use crate::sample::{below, bernoulli, uniform};
use crate::{check_fraction, check_n, check_range, generate, Part};

const DOMAIN_PERSON: u64 = 0x114C_0001;
const DOMAIN_A: u64 = 0x114C_000A;
const DOMAIN_B: u64 = 0x114C_000B;
const DOMAIN_ORDER_A: u64 = 0x114C_00AA;
const DOMAIN_ORDER_B: u64 = 0x114C_00BB;
const DOMAIN_DUPLICATE_A: u64 = 0x114C_0DDA;
const DOMAIN_DUPLICATE_B: u64 = 0x114C_0DDB;

/// Options of the linkage pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkageOptions {
    /// Records per agency.
    pub n: u64,
    /// Share of agency A's people who are also in agency B, in `[0, 1]`.
    pub overlap: f64,
    /// Probability that an agency's copy of a field is corrupted, in `[0, 1]`.
    pub corruption: f64,
    /// Share of each agency's records that are further records of a person the agency already
    /// holds, in `[0, 1)`: 0 gives one record per person (one-to-one matches); above 0 each
    /// agency holds `n - round(duplicates * n)` people, and every extra record belongs to one of
    /// them drawn uniformly, so some people have several records (many-to-many matches).
    pub duplicates: f64,
    /// Seed of the random streams.
    pub seed: u64,
}

impl LinkageOptions {
    /// One record per person (`duplicates = 0`).
    ///
    /// # Example
    /// ```
    /// use aluna_synth::linkage::LinkageOptions;
    /// assert_eq!(LinkageOptions::new(100, 0.5, 0.1, 7).duplicates, 0.0);
    /// ```
    pub fn new(n: u64, overlap: f64, corruption: f64, seed: u64) -> Self {
        Self {
            n,
            overlap,
            corruption,
            duplicates: 0.0,
            seed,
        }
    }
}

/// Which agency's records to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agency {
    /// Agency A (mixed-case names).
    A,
    /// Agency B (names in upper case).
    B,
}

const FEMALE: [&str; 60] = [
    "Olivia",
    "Amelia",
    "Isla",
    "Ava",
    "Mia",
    "Ivy",
    "Lily",
    "Isabella",
    "Rosie",
    "Sophia",
    "Grace",
    "Freya",
    "Willow",
    "Florence",
    "Emily",
    "Ella",
    "Poppy",
    "Evie",
    "Elsie",
    "Charlotte",
    "Evelyn",
    "Sienna",
    "Sofia",
    "Daisy",
    "Phoebe",
    "Sophie",
    "Alice",
    "Harper",
    "Matilda",
    "Ruby",
    "Emilia",
    "Maya",
    "Millie",
    "Isabelle",
    "Eva",
    "Luna",
    "Jessica",
    "Aisha",
    "Hannah",
    "Layla",
    "Zara",
    "Fatima",
    "Maryam",
    "Amira",
    "Chloe",
    "Mary",
    "Sarah",
    "Elizabeth",
    "Catherine",
    "Margaret",
    "Katie",
    "Rebecca",
    "Laura",
    "Emma",
    "Rachel",
    "Amy",
    "Joanne",
    "Nicola",
    "Priya",
    "Agnieszka",
];

const MALE: [&str; 60] = [
    "Muhammad",
    "Noah",
    "Oliver",
    "George",
    "Arthur",
    "Leo",
    "Harry",
    "Oscar",
    "Archie",
    "Henry",
    "Theodore",
    "Freddie",
    "Jack",
    "Charlie",
    "Theo",
    "Alfie",
    "Jacob",
    "Thomas",
    "Finley",
    "Arlo",
    "William",
    "Lucas",
    "Roman",
    "Tommy",
    "Isaac",
    "Teddy",
    "Alexander",
    "Luca",
    "Edward",
    "James",
    "Joshua",
    "Albie",
    "Elijah",
    "Max",
    "Mohammed",
    "Reuben",
    "Mason",
    "Sebastian",
    "Rory",
    "Jude",
    "Louie",
    "Benjamin",
    "Ethan",
    "Adam",
    "Daniel",
    "David",
    "Michael",
    "Paul",
    "Mark",
    "Andrew",
    "Richard",
    "Robert",
    "John",
    "Peter",
    "Christopher",
    "Matthew",
    "Ahmed",
    "Omar",
    "Tomasz",
    "Piotr",
];

const SURNAMES: [&str; 110] = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Thomas",
    "Clarke",
    "Jackson",
    "Wood",
    "Harris",
    "Edwards",
    "Turner",
    "Martin",
    "Cooper",
    "Hill",
    "Ward",
    "Hughes",
    "Moore",
    "Clark",
    "King",
    "Harrison",
    "Lewis",
    "Baker",
    "Lee",
    "Allen",
    "Morris",
    "Khan",
    "Scott",
    "Watson",
    "Davis",
    "Parker",
    "James",
    "Bennett",
    "Young",
    "Phillips",
    "Richardson",
    "Mitchell",
    "Bailey",
    "Carter",
    "Cook",
    "Singh",
    "Shaw",
    "Bell",
    "Collins",
    "Morgan",
    "Kelly",
    "Begum",
    "Miller",
    "Cox",
    "Hussain",
    "Marshall",
    "Simpson",
    "Price",
    "Anderson",
    "Adams",
    "Wilkinson",
    "Ali",
    "Ahmed",
    "Foster",
    "Ellis",
    "Murphy",
    "Chapman",
    "Mason",
    "Gray",
    "Richards",
    "Webb",
    "Griffiths",
    "Hunt",
    "Palmer",
    "Campbell",
    "Holmes",
    "Mills",
    "Rogers",
    "Barnes",
    "Knight",
    "Matthews",
    "Barker",
    "Powell",
    "Stevens",
    "Kaur",
    "Fisher",
    "Butler",
    "Dixon",
    "Russell",
    "Harvey",
    "Pearson",
    "Graham",
    "Nowak",
    "Kowalski",
    "Okafor",
    "Mensah",
    "Nguyen",
    "Chen",
    "O'Brien",
    "Murray",
    "Fitzgerald",
    "Da Silva",
];

const NICKNAMES: [(&str, &str); 22] = [
    ("Elizabeth", "Liz"),
    ("Catherine", "Kate"),
    ("Margaret", "Maggie"),
    ("Rebecca", "Becky"),
    ("Isabella", "Bella"),
    ("Charlotte", "Lottie"),
    ("Jessica", "Jess"),
    ("Nicola", "Nicky"),
    ("Matilda", "Tilly"),
    ("Florence", "Flo"),
    ("William", "Bill"),
    ("Robert", "Bob"),
    ("Richard", "Rick"),
    ("Christopher", "Chris"),
    ("Matthew", "Matt"),
    ("Michael", "Mike"),
    ("Alexander", "Alex"),
    ("Benjamin", "Ben"),
    ("Thomas", "Tom"),
    ("James", "Jim"),
    ("Daniel", "Dan"),
    ("Joshua", "Josh"),
];

const POSTCODE_LETTERS: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";
const FIRST_BIRTH: i32 = days_from_civil(1960, 1, 1);
const BIRTH_SPAN_DAYS: u64 = 45 * 365;

/// Draw from a Zipf-like law over `len` ranks: weight `1 / (rank + 1)^0.8`.
fn zipf<R: Rng>(rng: &mut R, len: usize) -> usize {
    let weights: Vec<f64> = (0..len).map(|k| 1.0 / ((k + 1) as f64).powf(0.8)).collect();
    crate::sample::categorical(rng, &weights)
}

#[derive(Debug, Clone)]
struct Identity {
    first_name: String,
    last_name: String,
    birth_day: i32,
    male: bool,
    postcode: String,
}

fn postcode<R: Rng>(rng: &mut R) -> String {
    let district = 1 + below(rng, 60);
    let sector = below(rng, 10);
    let a = POSTCODE_LETTERS[below(rng, POSTCODE_LETTERS.len() as u64) as usize] as char;
    let b = POSTCODE_LETTERS[below(rng, POSTCODE_LETTERS.len() as u64) as usize] as char;
    format!("ZZ{district} {sector}{a}{b}")
}

fn identity(seed: u64, person: u64) -> Identity {
    let r = &mut rng(seed, DOMAIN_PERSON, person);
    let male = bernoulli(r, 0.5);
    let names: &[&str] = if male { &MALE } else { &FEMALE };
    let first_name = names[zipf(r, names.len())].to_string();
    let last_name = SURNAMES[zipf(r, SURNAMES.len())].to_string();
    let birth_day = FIRST_BIRTH + below(r, BIRTH_SPAN_DAYS) as i32;
    Identity {
        first_name,
        last_name,
        birth_day,
        male,
        postcode: postcode(r),
    }
}

/// One typing error: substitute, delete, insert or transpose a letter.
fn typo<R: Rng>(rng: &mut R, text: &str) -> (String, &'static str) {
    let mut chars: Vec<char> = text.chars().collect();
    let letter = |rng: &mut R| (b'a' + below(rng, 26) as u8) as char;
    let pos = below(rng, chars.len().max(1) as u64) as usize;
    let kind = below(rng, 4);
    match kind {
        0 if !chars.is_empty() => {
            let c = letter(rng);
            chars[pos] = if chars[pos].is_uppercase() {
                c.to_ascii_uppercase()
            } else {
                c
            };
            (chars.into_iter().collect(), "substitution")
        }
        1 if chars.len() > 1 => {
            chars.remove(pos);
            (chars.into_iter().collect(), "deletion")
        }
        2 if chars.len() > 1 && pos + 1 < chars.len() => {
            chars.swap(pos, pos + 1);
            (chars.into_iter().collect(), "transposition")
        }
        _ => {
            let c = letter(rng);
            chars.insert(pos.min(chars.len()), c);
            (chars.into_iter().collect(), "insertion")
        }
    }
}

#[derive(Debug, Clone)]
struct Record {
    person: u64,
    first_name: Option<String>,
    last_name: Option<String>,
    birth_day: Option<i32>,
    sex: Option<&'static str>,
    postcode: Option<String>,
    corruptions: Vec<String>,
}

fn corrupt(seed: u64, domain: u64, row: u64, person: u64, corruption: f64) -> Record {
    let truth = identity(seed, person);
    let r = &mut rng(seed, domain, row);
    let mut notes = Vec::new();
    let mut first = Some(truth.first_name.clone());
    let mut last = Some(truth.last_name.clone());
    let mut birth = Some(truth.birth_day);
    let mut sex = Some(if truth.male { "male" } else { "female" });
    let mut post = Some(truth.postcode.clone());

    // Draw every decision in a fixed order, whether or not it applies.
    let (hit_first, kind_first) = (bernoulli(r, corruption), uniform(r));
    let (hit_last, kind_last) = (bernoulli(r, corruption), uniform(r));
    let (hit_birth, kind_birth) = (bernoulli(r, corruption), uniform(r));
    let (hit_sex, kind_sex) = (bernoulli(r, corruption), uniform(r));
    let (hit_post, kind_post) = (bernoulli(r, corruption), uniform(r));
    let swap = bernoulli(r, corruption / 5.0);

    if hit_first {
        let nickname = NICKNAMES.iter().find(|(full, _)| *full == truth.first_name);
        if kind_first < 0.25 {
            first = None;
            notes.push("first_name:missing".to_string());
        } else if let (true, Some((_, short))) = (kind_first < 0.45, nickname) {
            first = Some((*short).to_string());
            notes.push("first_name:nickname".to_string());
        } else {
            let (text, kind) = typo(r, &truth.first_name);
            first = Some(text);
            notes.push(format!("first_name:{kind}"));
        }
    }
    if hit_last {
        if kind_last < 0.15 {
            last = None;
            notes.push("last_name:missing".to_string());
        } else if kind_last < 0.40 {
            let other = SURNAMES[zipf(r, SURNAMES.len())];
            last = Some(other.to_string());
            notes.push("last_name:changed".to_string());
        } else {
            let (text, kind) = typo(r, &truth.last_name);
            last = Some(text);
            notes.push(format!("last_name:{kind}"));
        }
    }
    if hit_birth {
        let (y, m, d) = civil_from_days(truth.birth_day);
        if kind_birth < 0.15 {
            birth = None;
            notes.push("date_of_birth:missing".to_string());
        } else if kind_birth < 0.50 && d <= 12 && d != m {
            birth = Some(days_from_civil(y, d, m));
            notes.push("date_of_birth:day_month_swap".to_string());
        } else if kind_birth < 0.85 {
            birth = Some(truth.birth_day + if d > 1 { -1 } else { 1 });
            notes.push("date_of_birth:day_off_by_one".to_string());
        } else {
            let day = if m == 2 && d == 29 { 28 } else { d };
            birth = Some(days_from_civil(y + 1, m, day));
            notes.push("date_of_birth:year_off_by_one".to_string());
        }
    }
    if hit_sex {
        if kind_sex < 0.7 {
            sex = None;
            notes.push("sex:missing".to_string());
        } else {
            sex = Some(if truth.male { "female" } else { "male" });
            notes.push("sex:flipped".to_string());
        }
    }
    if hit_post {
        if kind_post < 0.2 {
            post = None;
            notes.push("postcode:missing".to_string());
        } else if kind_post < 0.6 {
            post = Some(postcode(r));
            notes.push("postcode:moved".to_string());
        } else {
            let mut chars: Vec<char> = truth.postcode.chars().collect();
            let pos = 2 + below(r, (chars.len() - 2) as u64) as usize;
            chars[pos] = if chars[pos].is_ascii_digit() {
                (b'0' + below(r, 10) as u8) as char
            } else if chars[pos] == ' ' {
                ' '
            } else {
                POSTCODE_LETTERS[below(r, POSTCODE_LETTERS.len() as u64) as usize] as char
            };
            post = Some(chars.into_iter().collect());
            notes.push("postcode:typo".to_string());
        }
    }
    if swap {
        std::mem::swap(&mut first, &mut last);
        notes.push("names:swapped".to_string());
    }
    Record {
        person,
        first_name: first,
        last_name: last,
        birth_day: birth,
        sex,
        postcode: post,
        corruptions: notes,
    }
}

struct Layout {
    n: u64,
    /// People per agency (`n` without duplicates).
    people: u64,
    shared: u64,
    seed: u64,
    order_a: Permutation,
    order_b: Permutation,
}

impl Layout {
    fn new(options: &LinkageOptions) -> Self {
        let n = options.n;
        let extra = ((options.duplicates * n as f64).round() as u64).min(n);
        let people = n - extra;
        let shared = ((options.overlap * people as f64).round() as u64).min(people);
        Self {
            n,
            people,
            shared,
            seed: options.seed,
            order_a: Permutation::new(n, options.seed, DOMAIN_ORDER_A),
            order_b: Permutation::new(n, options.seed, DOMAIN_ORDER_B),
        }
    }

    /// The agency's own index (`0..people`) of the person behind slot `slot` (`0..n`): slots
    /// below `people` hold each person's first record, the others a further record of a
    /// person drawn uniformly.
    fn local(&self, agency: Agency, slot: u64) -> u64 {
        if slot < self.people {
            return slot;
        }
        let domain = match agency {
            Agency::A => DOMAIN_DUPLICATE_A,
            Agency::B => DOMAIN_DUPLICATE_B,
        };
        below(&mut rng(self.seed, domain, slot), self.people)
    }

    /// The person behind row `row` of an agency. A holds people `0..people`; B holds
    /// `people - shared .. 2 people - shared`.
    fn person(&self, agency: Agency, row: u64) -> u64 {
        match agency {
            Agency::A => self.local(Agency::A, self.order_a.apply(row)),
            Agency::B => self.people - self.shared + self.local(Agency::B, self.order_b.apply(row)),
        }
    }

    /// Agency B's further records (slots `people..n`) grouped by B's own person index:
    /// `(local person, row)` sorted.
    fn duplicates_b(&self, cancel: &Cancel) -> Result<Vec<(u64, u64)>> {
        let slots = self.people..self.n;
        let mut out = generate(&slots, cancel, |slot| {
            (self.local(Agency::B, slot), self.order_b.invert(slot))
        })?;
        out.sort_unstable();
        Ok(out)
    }

    /// The rows of agency B that hold agency A's row `row`, ascending (`duplicates_b` from
    /// [`Layout::duplicates_b`]).
    fn partners(&self, row: u64, duplicates_b: &[(u64, u64)]) -> Vec<u64> {
        let person = self.person(Agency::A, row);
        let offset = self.people - self.shared;
        if person < offset {
            return Vec::new();
        }
        let local = person - offset;
        let mut rows = vec![self.order_b.invert(local)];
        let from = duplicates_b.partition_point(|&(p, _)| p < local);
        rows.extend(
            duplicates_b[from..]
                .iter()
                .take_while(|&&(p, _)| p == local)
                .map(|&(_, r)| r),
        );
        rows.sort_unstable();
        rows
    }
}

fn check_duplicates(options: &LinkageOptions) -> Result<()> {
    check_fraction("duplicates", options.duplicates)?;
    let extra = (options.duplicates * options.n as f64).round() as u64;
    if extra >= options.n {
        return Err(aluna_core::Error::argument(
            "duplicates",
            format!(
                "must leave at least one person per agency (below 1), got {}",
                options.duplicates
            ),
        ));
    }
    Ok(())
}

/// Rows `rows` of one agency's records.
///
/// For agency A the parts are `data` (the records), `truth.records_a` and `truth.matches` (the
/// true pairs among these rows); for agency B, `agency_b` and `truth.records_b`. Records have
/// `record_id` (`A000001`, `B000001`, ...), `first_name`, `last_name`, `date_of_birth`, `sex`,
/// `postcode`; truth records have `record_id`, `person` (the true person, `L` and a number) and
/// `corruptions` (what was changed, `field:kind` separated by `;`). Matches have `record_id_a`
/// and `record_id_b`: every pair of records of the same person, by A's row then B's row.
///
/// Records are generated in parallel, each from its own random stream: any thread count and
/// any cut into batches give the same content.
///
/// # Example
/// ```
/// use aluna_core::parallel::Cancel;
/// use aluna_synth::linkage::{linkage_rows, Agency, LinkageOptions};
/// let options = LinkageOptions::new(100, 0.4, 0.1, 2);
/// let a = linkage_rows(&options, Agency::A, 0..100, &Cancel::new()).unwrap();
/// assert_eq!(a[2].name, "truth.matches");
/// assert_eq!(a[2].batch.num_rows(), 40);
/// // A fifth of the records are further records of people already held: more true pairs.
/// let many = LinkageOptions { duplicates: 0.2, ..options };
/// let a = linkage_rows(&many, Agency::A, 0..100, &Cancel::new()).unwrap();
/// assert!(a[2].batch.num_rows() > 32);
/// ```
pub fn linkage_rows(
    options: &LinkageOptions,
    agency: Agency,
    rows: Range<u64>,
    cancel: &Cancel,
) -> Result<Vec<Part>> {
    check_n("n", options.n)?;
    check_fraction("overlap", options.overlap)?;
    check_fraction("corruption", options.corruption)?;
    check_duplicates(options)?;
    check_range(&rows, options.n, "records")?;
    let layout = Layout::new(options);
    let (seed, corruption) = (options.seed, options.corruption);
    let width = id_width(options.n);
    let (prefix, domain) = match agency {
        Agency::A => ('A', DOMAIN_A),
        Agency::B => ('B', DOMAIN_B),
    };
    let records = generate(&rows, cancel, |row| {
        corrupt(seed, domain, row, layout.person(agency, row), corruption)
    })?;
    let ids: Vec<String> = rows.clone().map(|i| person_id(prefix, i, width)).collect();
    let ids = || ids.iter().map(|s| Some(s.as_str()));
    let case = |name: &Option<String>| {
        name.as_ref().map(|s| match agency {
            Agency::A => s.clone(),
            Agency::B => s.to_uppercase(),
        })
    };
    let people_width = id_width(2 * options.n);
    let records_batch = Columns::new()
        .strings("record_id", ids())
        .strings("first_name", records.iter().map(|r| case(&r.first_name)))
        .strings("last_name", records.iter().map(|r| case(&r.last_name)))
        .dates("date_of_birth", records.iter().map(|r| r.birth_day))
        .strings("sex", records.iter().map(|r| r.sex))
        .strings("postcode", records.iter().map(|r| r.postcode.clone()))
        .finish()?;
    let truth = Columns::new()
        .strings("record_id", ids())
        .strings(
            "person",
            records
                .iter()
                .map(|r| Some(person_id('L', r.person, people_width))),
        )
        .strings(
            "corruptions",
            records.iter().map(|r| Some(r.corruptions.join(";"))),
        )
        .finish()?;
    Ok(match agency {
        Agency::A => {
            let duplicates_b = layout.duplicates_b(cancel)?;
            let pairs: Vec<(u64, u64)> = rows
                .clone()
                .flat_map(|row| {
                    layout
                        .partners(row, &duplicates_b)
                        .into_iter()
                        .map(move |b| (row, b))
                })
                .collect();
            let matches = Columns::new()
                .strings(
                    "record_id_a",
                    pairs.iter().map(|p| Some(person_id('A', p.0, width))),
                )
                .strings(
                    "record_id_b",
                    pairs.iter().map(|p| Some(person_id('B', p.1, width))),
                )
                .finish()?;
            vec![
                Part::new("data", records_batch),
                Part::new("truth.records_a", truth),
                Part::new("truth.matches", matches),
            ]
        }
        Agency::B => vec![
            Part::new("agency_b", records_batch),
            Part::new("truth.records_b", truth),
        ],
    })
}

/// The fixed parameters of the linkage pair: `truth.parameters`.
///
/// # Example
/// ```
/// use aluna_synth::linkage::{linkage_truth, LinkageOptions};
/// let options = LinkageOptions::new(10, 0.5, 0.2, 1);
/// assert_eq!(linkage_truth(&options).unwrap()[0].name, "truth.parameters");
/// ```
pub fn linkage_truth(options: &LinkageOptions) -> Result<Vec<Part>> {
    check_fraction("overlap", options.overlap)?;
    check_fraction("corruption", options.corruption)?;
    check_duplicates(options)?;
    let layout = Layout::new(options);
    let mut rows = vec![
        (
            "records_per_agency",
            options.n as f64,
            "records in each agency",
        ),
        (
            "shared_people",
            layout.shared as f64,
            if options.duplicates > 0.0 {
                "people in both agencies: round(overlap * people per agency)"
            } else {
                "people in both agencies: round(overlap * n)"
            },
        ),
        (
            "overlap",
            options.overlap,
            "share of agency A's people also in agency B",
        ),
        (
            "corruption",
            options.corruption,
            "probability that an agency's copy of a field is corrupted",
        ),
        (
            "name_swap",
            options.corruption / 5.0,
            "probability that a record's first and last names are swapped",
        ),
    ];
    // Only with duplicates, so that one-record-per-person data keep their content.
    if options.duplicates > 0.0 {
        rows.push((
            "duplicates",
            options.duplicates,
            "share of each agency's records that are further records of a person it holds",
        ));
        rows.push((
            "people_per_agency",
            layout.people as f64,
            "people in each agency: n - round(duplicates * n)",
        ));
    }
    let parameters = parameters_table(&rows)?;
    Ok(vec![Part::new("truth.parameters", parameters)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::cast::AsArray;

    #[test]
    fn matches_point_at_the_same_person() {
        let options = LinkageOptions::new(500, 0.3, 0.2, 4);
        let layout = Layout::new(&options);
        let mut partners = 0;
        for row in 0..500 {
            let found = layout.partners(row, &[]);
            assert!(found.len() <= 1);
            for b in found {
                assert_eq!(layout.person(Agency::A, row), layout.person(Agency::B, b));
                partners += 1;
            }
        }
        assert_eq!(partners, 150);
        let a = linkage_rows(&options, Agency::A, 0..500, &Cancel::new()).unwrap();
        assert_eq!(a[2].batch.num_rows(), 150);
    }

    #[test]
    fn no_corruption_copies_the_truth() {
        let options = LinkageOptions::new(200, 1.0, 0.0, 1);
        let a = linkage_rows(&options, Agency::A, 0..200, &Cancel::new()).unwrap();
        let notes = a[1]
            .batch
            .column_by_name("corruptions")
            .unwrap()
            .as_string::<i32>();
        assert!(notes.iter().all(|n| n == Some("")));
    }

    #[test]
    fn typos_change_the_text() {
        let r = &mut rng(1, 2, 3);
        for _ in 0..200 {
            let (text, _) = typo(r, "Margaret");
            assert!(!text.is_empty());
        }
    }

    #[test]
    fn fractions_are_checked() {
        let options = LinkageOptions::new(10, 1.5, 0.1, 1);
        assert!(linkage_rows(&options, Agency::A, 0..10, &Cancel::new()).is_err());
        for duplicates in [1.0, 0.96, -0.1, f64::NAN] {
            let options = LinkageOptions {
                duplicates,
                ..LinkageOptions::new(10, 0.5, 0.1, 1)
            };
            assert!(linkage_rows(&options, Agency::A, 0..10, &Cancel::new()).is_err());
            assert!(linkage_truth(&options).is_err());
        }
    }

    #[test]
    fn duplicates_give_every_pair_of_records_of_a_person() {
        let options = LinkageOptions {
            duplicates: 0.3,
            ..LinkageOptions::new(400, 0.5, 0.2, 9)
        };
        let layout = Layout::new(&options);
        assert_eq!((layout.people, layout.shared), (280, 140));
        let person = |agency, rows: u64| -> Vec<u64> {
            (0..rows).map(|r| layout.person(agency, r)).collect()
        };
        let (a, b) = (person(Agency::A, 400), person(Agency::B, 400));
        // Each agency holds exactly its `people` persons, some of them several times.
        let distinct = |p: &[u64]| p.iter().collect::<std::collections::BTreeSet<_>>().len();
        assert_eq!((distinct(&a), distinct(&b)), (280, 280));
        let mut expected = vec![];
        for (i, pa) in a.iter().enumerate() {
            for (j, pb) in b.iter().enumerate() {
                if pa == pb {
                    expected.push((i as u64, j as u64));
                }
            }
        }
        assert!(expected.len() > 140);
        // Matches from two row ranges equal the brute-force pairs.
        let mut found = vec![];
        for range in [0..150, 150..400] {
            let parts = linkage_rows(&options, Agency::A, range, &Cancel::new()).unwrap();
            let m = &parts[2].batch;
            let ids = |c: &str| -> Vec<u64> {
                m.column_by_name(c)
                    .unwrap()
                    .as_string::<i32>()
                    .iter()
                    .map(|s| s.unwrap()[1..].parse().unwrap())
                    .collect()
            };
            found.extend(ids("record_id_a").into_iter().zip(ids("record_id_b")));
        }
        assert_eq!(found, expected);
        let parameters = &linkage_truth(&options).unwrap()[0].batch;
        assert_eq!(parameters.num_rows(), 7);
    }

    #[test]
    fn no_duplicates_keep_the_one_to_one_layout() {
        // `duplicates = 0` is the original process: person of row r is the permutation of r.
        let options = LinkageOptions::new(300, 0.4, 0.1, 5);
        let layout = Layout::new(&options);
        for row in 0..300 {
            assert_eq!(layout.person(Agency::A, row), layout.order_a.apply(row));
            assert_eq!(
                layout.person(Agency::B, row),
                300 - 120 + layout.order_b.apply(row)
            );
        }
        assert_eq!(linkage_truth(&options).unwrap()[0].batch.num_rows(), 5);
    }
}
