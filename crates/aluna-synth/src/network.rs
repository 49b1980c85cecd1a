//! A case network: case records with pseudonymised identifiers, planted organised groups, lone
//! offenders, victims, witnesses and hub identifiers, and the links they imply.
//!
//! People fall into planted organised groups (offenders and suspects), lone offenders, victims
//! and witnesses. Groups have sizes from a log-normal spread (at least three members) and crime
//! profiles: about half take part in child sexual exploitation, most of those also in drug
//! trafficking, fraud or trafficking in persons; the others only in the latter. Crime types carry
//! the codes of the UN International Classification of Crime for Statistical Purposes (ICCS
//! 1.0, UNODC 2015).
//!
//! Identifiers are pseudonyms (see [`crate::ids::PSEUDONYM_PATTERN`]): every person has a
//! phone, many a device or an account; group members share burner phones, devices, accounts,
//! payment accounts and (in exploitation groups) matches of the same image hash; victims of a
//! group share its phones and accounts, and a lone offender's victims share his phone or
//! account. Hub identifiers link unrelated people: public IP addresses (about 16 users each)
//! and six platforms (each used by about an eighth of everyone). Cases are dated within each
//! group's active period; every person appears in at least one case. Records say which
//! identifiers were seen with whom in which case; links join two people who share an
//! identifier (all kinds but platforms) or a case.

use std::collections::BTreeSet;

use aluna_core::parallel::Cancel;
use aluna_core::{ensure, Error, Result};
use rand::Rng;

use crate::columns::{days_from_civil, Columns};
use crate::ids::{id_width, person_id, pseudonym, rng, Permutation};
use crate::sample::{below, bernoulli, categorical, normal, poisson};
use crate::{generate, Part};

const DOMAIN_GROUP: u64 = 0x4E70_0001;
const DOMAIN_PERSON: u64 = 0x4E70_0002;
const DOMAIN_VICTIM: u64 = 0x4E70_0003;
const DOMAIN_CASE: u64 = 0x4E70_0004;
const DOMAIN_COVER: u64 = 0x4E70_0005;
const DOMAIN_LONE: u64 = 0x4E70_0006;
const DOMAIN_WITNESS: u64 = 0x4E70_0007;
const DOMAIN_RECORD: u64 = 0x4E70_0008;
const DOMAIN_ORDER: u64 = 0x4E70_0009;

/// Options of the case network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetworkOptions {
    /// Number of people (at least 20).
    pub n_persons: u64,
    /// Number of planted organised groups (at least 1, three members each at least).
    pub n_groups: u64,
    /// Seed of the random streams.
    pub seed: u64,
}

/// Share of people who are victims.
pub const SHARE_VICTIMS: f64 = 0.25;
/// Share of people who are witnesses.
pub const SHARE_WITNESSES: f64 = 0.08;
/// Share of people who are lone offenders.
pub const SHARE_LONE: f64 = 0.15;
/// Smallest group.
pub const MIN_GROUP: u64 = 3;
/// Number of platforms (hub identifiers kept out of the links).
pub const PLATFORMS: u64 = 6;
/// First day of the period covered, 2019-01-01.
pub const FIRST_DAY: i32 = days_from_civil(2019, 1, 1);
/// Last day of the period covered, 2024-12-31.
pub const LAST_DAY: i32 = days_from_civil(2024, 12, 31);

/// The ICCS crime types that appear: (code, readable label, ICCS name).
pub const CRIME_TYPES: [(&str, &str, &str); 7] = [
    ("03022", "sexual exploitation of children", "Sexual exploitation of children"),
    ("030221", "child sexual abuse material", "Child pornography"),
    ("030223", "sexual grooming of children", "Sexual grooming of children"),
    ("06012", "drug trafficking", "Unlawful trafficking, cultivation or production of controlled drugs or precursors not for personal consumption"),
    ("0701", "fraud", "Fraud"),
    ("02041", "trafficking in persons for sexual exploitation", "Trafficking in persons for sexual exploitation"),
    ("02042", "trafficking in persons for forced labour", "Trafficking in persons for forced labour or services"),
];

const CSE: usize = 0;
const CSAM: usize = 1;
const GROOMING: usize = 2;
const DRUGS: usize = 3;
const FRAUD: usize = 4;
const TIP_SEXUAL: usize = 5;
const TIP_LABOUR: usize = 6;

/// Kinds of identifier, in the order of their pseudonym prefixes.
const KINDS: [&str; 7] = [
    "phone",
    "device",
    "account",
    "payment",
    "image_hash",
    "ip",
    "platform",
];
const PHONE: usize = 0;
const DEVICE: usize = 1;
const ACCOUNT: usize = 2;
const PAYMENT: usize = 3;
const IMAGE: usize = 4;
const IP: usize = 5;
const PLATFORM: usize = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Role {
    Offender,
    Suspect,
    Victim,
    Witness,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Offender => "offender",
            Role::Suspect => "suspect",
            Role::Victim => "victim",
            Role::Witness => "witness",
        }
    }
    fn offends(self) -> bool {
        matches!(self, Role::Offender | Role::Suspect)
    }
}

/// An identifier: kind and index within the kind.
type Ident = (usize, u64);

#[derive(Debug, Clone)]
struct Group {
    start: u64,
    size: u64,
    cse: bool,
    drugs: bool,
    fraud: bool,
    trafficking: bool,
    from: i32,
    to: i32,
    n_cases: u64,
    first_case: u64,
    /// First index and count of the group's shared identifiers, per kind.
    pools: [(u64, u64); 5],
    victims: Vec<u64>,
}

impl Group {
    fn exploits(&self) -> bool {
        self.cse || self.trafficking
    }

    fn crimes(&self) -> Vec<usize> {
        let mut c = Vec::new();
        if self.cse {
            c.push(CSE);
        }
        if self.drugs {
            c.push(DRUGS);
        }
        if self.fraud {
            c.push(FRAUD);
        }
        if self.trafficking {
            c.push(if self.cse { TIP_SEXUAL } else { TIP_LABOUR });
        }
        c
    }

    fn crime_codes(&self) -> String {
        let mut codes: Vec<&str> = self
            .crimes()
            .into_iter()
            .map(|c| CRIME_TYPES[c].0)
            .collect();
        if self.cse {
            codes.extend([CRIME_TYPES[CSAM].0, CRIME_TYPES[GROOMING].0]);
        }
        codes.sort_unstable();
        codes.join(";")
    }
}

#[derive(Debug, Clone, Copy)]
enum Owner {
    Group(usize),
    Lone(u64),
}

/// The layout of people into roles and groups, fixed before any record is drawn.
struct Plan {
    seed: u64,
    n: u64,
    n_grouped: u64,
    n_lone: u64,
    n_victims: u64,
    groups: Vec<Group>,
    victim_owner: Vec<Owner>,
    lone_first_case: Vec<u64>,
    n_cases: u64,
    n_hubs: u64,
    n_circulating: u64,
    order: Permutation,
    width: usize,
}

impl Plan {
    fn new(options: &NetworkOptions) -> Result<Self> {
        let (n, seed) = (options.n_persons, options.seed);
        ensure!(
            n >= 20,
            Error::argument("n_persons", format!("must be at least 20, got {n}"))
        );
        ensure!(
            options.n_groups >= 1,
            Error::argument("n_groups", "must be at least 1")
        );
        let round = |share: f64| (share * n as f64).round() as u64;
        let (n_victims, n_witnesses, n_lone) = (
            round(SHARE_VICTIMS),
            round(SHARE_WITNESSES),
            round(SHARE_LONE),
        );
        let n_grouped = n - n_victims - n_witnesses - n_lone;
        ensure!(
            options.n_groups.saturating_mul(MIN_GROUP) <= n_grouped,
            Error::argument(
                "n_groups",
                format!(
                    "{} groups of at least {MIN_GROUP} need {} group members, but {n} people hold \
                     only {n_grouped} (the rest are victims, witnesses and lone offenders)",
                    options.n_groups,
                    options.n_groups * MIN_GROUP
                )
            )
        );
        let g_count = options.n_groups as usize;

        // Group sizes: MIN_GROUP each plus a log-normal share of the rest (largest remainders).
        let mut draws: Vec<_> = (0..g_count)
            .map(|g| {
                let r = &mut rng(seed, DOMAIN_GROUP, g as u64);
                let weight = (0.6 * normal(r)).exp();
                (weight, r.clone())
            })
            .collect();
        let total_weight: f64 = draws.iter().map(|d| d.0).sum();
        let extra = n_grouped - MIN_GROUP * options.n_groups;
        let exact: Vec<f64> = draws
            .iter()
            .map(|d| extra as f64 * d.0 / total_weight)
            .collect();
        let mut sizes: Vec<u64> = exact.iter().map(|x| MIN_GROUP + x.floor() as u64).collect();
        let mut left = n_grouped - sizes.iter().sum::<u64>();
        let mut by_remainder: Vec<usize> = (0..g_count).collect();
        by_remainder.sort_by(|&a, &b| {
            (exact[b] - exact[b].floor())
                .total_cmp(&(exact[a] - exact[a].floor()))
                .then(a.cmp(&b))
        });
        for &g in by_remainder.iter().cycle() {
            if left == 0 {
                break;
            }
            sizes[g] += 1;
            left -= 1;
        }

        let mut groups = Vec::with_capacity(g_count);
        let mut start = 0;
        let mut pool_next = [2 * n; 5];
        let mut first_case = 0;
        for (g, (_, r)) in draws.iter_mut().enumerate() {
            let size = sizes[g];
            let cse = bernoulli(r, 0.5);
            let drugs = bernoulli(r, 0.6);
            let fraud = bernoulli(r, 0.35);
            let trafficking = bernoulli(r, if cse { 0.3 } else { 0.25 });
            let from = FIRST_DAY + r.random_range(0..3 * 365);
            let to = (from + 180 + r.random_range(0..3 * 365)).min(LAST_DAY);
            let n_cases = 1 + poisson(r, size as f64 / 2.5, 1_000_000);
            groups.push(Group {
                start,
                size,
                cse,
                drugs,
                fraud,
                trafficking,
                from,
                to,
                n_cases,
                first_case,
                pools: [(0, 0); 5],
                victims: Vec::new(),
            });
            start += size;
            first_case += n_cases;
        }
        // Every network has an exploitation group, and one that also does something else.
        if !groups.iter().any(|g| g.cse) {
            groups[0].cse = true;
        }
        for g in &mut groups {
            if !(g.cse || g.drugs || g.fraud || g.trafficking) {
                g.drugs = true;
            }
        }
        if !groups
            .iter()
            .any(|g| g.cse && (g.drugs || g.fraud || g.trafficking))
        {
            if let Some(g) = groups.iter_mut().find(|g| g.cse) {
                g.drugs = true;
            }
        }
        for g in &mut groups {
            let s = g.size;
            let counts = [
                s.div_ceil(4),
                s.div_ceil(6),
                s.div_ceil(5),
                if g.drugs || g.fraud || g.trafficking {
                    s.div_ceil(5)
                } else {
                    0
                },
                if g.cse { s.div_ceil(3) } else { 0 },
            ];
            for k in 0..5 {
                g.pools[k] = (pool_next[k], counts[k]);
                pool_next[k] += counts[k];
            }
        }

        // Victims: most belong to exploiting groups (by size), the rest to lone offenders.
        let exploiting: Vec<usize> = (0..g_count).filter(|&g| groups[g].exploits()).collect();
        let weights: Vec<f64> = exploiting.iter().map(|&g| groups[g].size as f64).collect();
        let victim_owner: Vec<Owner> = (0..n_victims)
            .map(|v| {
                let r = &mut rng(seed, DOMAIN_VICTIM, v);
                let to_group = bernoulli(r, 0.7);
                let pick = categorical(r, &weights);
                let lone = below(r, n_lone);
                if (to_group || n_lone == 0) && !exploiting.is_empty() {
                    Owner::Group(exploiting[pick])
                } else {
                    Owner::Lone(lone)
                }
            })
            .collect();
        for (v, owner) in victim_owner.iter().enumerate() {
            if let Owner::Group(g) = owner {
                groups[*g].victims.push(n_grouped + n_lone + v as u64);
            }
        }
        let mut lone_first_case = Vec::with_capacity(n_lone as usize);
        let mut next = first_case;
        for l in 0..n_lone {
            lone_first_case.push(next);
            next += 1 + u64::from(bernoulli(&mut rng(seed, DOMAIN_LONE, l), 0.3));
        }
        Ok(Self {
            seed,
            n,
            n_grouped,
            n_lone,
            n_victims,
            groups,
            victim_owner,
            lone_first_case,
            n_cases: next,
            n_hubs: (n / 200).max(1),
            n_circulating: (n_lone / 4).max(5),
            order: Permutation::new(n, seed, DOMAIN_ORDER),
            width: id_width(n),
        })
    }

    fn group_of(&self, slot: u64) -> Option<usize> {
        if slot >= self.n_grouped {
            return None;
        }
        let k = self.groups.partition_point(|g| g.start <= slot);
        k.checked_sub(1)
    }

    fn role(&self, slot: u64) -> Role {
        if let Some(g) = self.group_of(slot) {
            let group = &self.groups[g];
            let core = (group.size / 5).max(1);
            if slot - group.start < core
                || bernoulli(&mut rng(self.seed, DOMAIN_PERSON ^ 1, slot), 0.6)
            {
                Role::Offender
            } else {
                Role::Suspect
            }
        } else if slot < self.n_grouped + self.n_lone {
            if bernoulli(&mut rng(self.seed, DOMAIN_PERSON ^ 1, slot), 0.7) {
                Role::Offender
            } else {
                Role::Suspect
            }
        } else if slot < self.n_grouped + self.n_lone + self.n_victims {
            Role::Victim
        } else {
            Role::Witness
        }
    }

    fn position(&self, slot: u64) -> &'static str {
        match self.group_of(slot) {
            Some(g) if slot - self.groups[g].start < (self.groups[g].size / 5).max(1) => "core",
            Some(_) => "member",
            None if slot < self.n_grouped + self.n_lone => "lone",
            None if slot < self.n_grouped + self.n_lone + self.n_victims => "victim",
            None => "witness",
        }
    }

    /// The planted group of a person: their group, or for a victim the group that exploits them;
    /// -1 for lone offenders, their victims and witnesses.
    fn true_group(&self, slot: u64) -> i64 {
        if let Some(g) = self.group_of(slot) {
            return g as i64;
        }
        let first_victim = self.n_grouped + self.n_lone;
        if (first_victim..first_victim + self.n_victims).contains(&slot) {
            if let Owner::Group(g) = self.victim_owner[(slot - first_victim) as usize] {
                return g as i64;
            }
        }
        -1
    }

    fn is_image_offender(&self, lone: u64) -> bool {
        bernoulli(&mut rng(self.seed, DOMAIN_LONE ^ 1, lone), 0.5)
    }

    fn pool_pick<R: Rng>(&self, r: &mut R, g: usize, kinds: &[usize]) -> Option<Ident> {
        let group = &self.groups[g];
        let total: u64 = kinds.iter().map(|&k| group.pools[k].1).sum();
        if total == 0 {
            return None;
        }
        let mut pick = below(r, total);
        for &k in kinds {
            let (first, count) = group.pools[k];
            if pick < count {
                return Some((k, first + pick));
            }
            pick -= count;
        }
        None
    }

    /// The identifiers a person uses, in a fixed order without repeats.
    fn identifiers(&self, slot: u64) -> Vec<Ident> {
        let r = &mut rng(self.seed, DOMAIN_PERSON, slot);
        let role = self.role(slot);
        let mut ids = vec![(PHONE, slot)];
        let second_phone = bernoulli(r, 0.2);
        let has_device = bernoulli(r, 0.7);
        let has_account = bernoulli(r, 0.6);
        let uses_ip = bernoulli(r, 0.08);
        let hub = below(r, self.n_hubs);
        let platform_count = u64::from(bernoulli(r, 0.5)) + u64::from(bernoulli(r, 0.3));
        let first_platform = below(r, PLATFORMS);
        if role == Role::Witness {
            return ids;
        }
        if second_phone {
            ids.push((PHONE, self.n + slot));
        }
        if has_device && role.offends() {
            ids.push((DEVICE, slot));
        }
        if has_account {
            ids.push((ACCOUNT, slot));
        }
        if uses_ip {
            ids.push((IP, hub));
        }
        for p in 0..platform_count {
            ids.push((PLATFORM, (first_platform + p) % PLATFORMS));
        }
        if let Some(g) = self.group_of(slot) {
            let picks = 1 + poisson(r, 1.0, 10);
            for _ in 0..picks {
                if let Some(id) = self.pool_pick(r, g, &[PHONE, DEVICE, ACCOUNT, PAYMENT, IMAGE]) {
                    ids.push(id);
                }
            }
            if self.groups[g].cse && bernoulli(r, 0.2) {
                ids.push((IMAGE, below(r, self.n_circulating)));
            }
        }
        let lone_start = self.n_grouped;
        if (lone_start..lone_start + self.n_lone).contains(&slot)
            && self.is_image_offender(slot - lone_start)
        {
            for _ in 0..1 + poisson(r, 1.0, 10) {
                ids.push((IMAGE, below(r, self.n_circulating)));
            }
        }
        let victim_start = lone_start + self.n_lone;
        if (victim_start..victim_start + self.n_victims).contains(&slot) {
            match self.victim_owner[(slot - victim_start) as usize] {
                Owner::Group(g) => {
                    for _ in 0..1 + u64::from(bernoulli(r, 0.4)) {
                        if let Some(id) = self.pool_pick(r, g, &[PHONE, ACCOUNT]) {
                            ids.push(id);
                        }
                    }
                }
                Owner::Lone(l) => {
                    let offender = lone_start + l;
                    let offender_ids = self.identifiers(offender);
                    let shared = if bernoulli(r, 0.5) && offender_ids.contains(&(ACCOUNT, offender))
                    {
                        (ACCOUNT, offender)
                    } else {
                        (PHONE, offender)
                    };
                    ids.push(shared);
                }
            }
        }
        let mut seen = BTreeSet::new();
        ids.retain(|id| seen.insert(*id));
        ids
    }

    fn person_id(&self, slot: u64) -> String {
        person_id('P', self.order.apply(slot), self.width)
    }
}

/// One case: its crime type, date and people (by slot).
struct Case {
    crime: usize,
    day: i32,
    people: Vec<u64>,
}

fn group_case(plan: &Plan, g: usize, k: u64) -> Case {
    let group = &plan.groups[g];
    let r = &mut rng(plan.seed, DOMAIN_CASE, group.first_case + k);
    let crimes = group.crimes();
    let mut crime = crimes[below(r, crimes.len() as u64) as usize];
    if crime == CSE {
        crime = [CSE, CSAM, GROOMING][categorical(r, &[0.6, 0.25, 0.15])];
    }
    let day = group.from + below(r, (group.to - group.from + 1) as u64) as i32;
    let wanted = (2 + poisson(r, 1.0, 20)).min(group.size);
    let mut people = BTreeSet::new();
    while (people.len() as u64) < wanted {
        people.insert(group.start + below(r, group.size));
    }
    let exploitation = matches!(crime, CSE | CSAM | GROOMING | TIP_SEXUAL | TIP_LABOUR);
    if exploitation && !group.victims.is_empty() {
        for _ in 0..1 + u64::from(bernoulli(r, 0.3)) {
            people.insert(group.victims[below(r, group.victims.len() as u64) as usize]);
        }
    }
    Case {
        crime,
        day,
        people: people.into_iter().collect(),
    }
}

fn lone_case(plan: &Plan, l: u64, k: u64) -> Case {
    let index = plan.lone_first_case[l as usize] + k;
    let r = &mut rng(plan.seed, DOMAIN_CASE, index);
    let crime = if plan.is_image_offender(l) {
        CSAM
    } else if bernoulli(r, 0.5) {
        GROOMING
    } else {
        CSE
    };
    let day = FIRST_DAY + below(r, (LAST_DAY - FIRST_DAY + 1) as u64) as i32;
    Case {
        crime,
        day,
        people: vec![plan.n_grouped + l],
    }
}

/// All cases in order: groups' cases, then lone offenders' cases; then every person who is in
/// no case is added to one (group members and their victims to one of their group's cases, a
/// lone offender's victims to his first case, witnesses to any case).
fn cases(plan: &Plan, cancel: &Cancel) -> Result<Vec<Case>> {
    let mut owners: Vec<(usize, u64, bool)> = Vec::with_capacity(plan.n_cases as usize);
    for (g, group) in plan.groups.iter().enumerate() {
        owners.extend((0..group.n_cases).map(|k| (g, k, true)));
    }
    for l in 0..plan.n_lone {
        let count = plan
            .lone_first_case
            .get(l as usize + 1)
            .copied()
            .unwrap_or(plan.n_cases)
            - plan.lone_first_case[l as usize];
        owners.extend((0..count).map(|k| (l as usize, k, false)));
    }
    let mut all = generate(&(0..owners.len() as u64), cancel, |c| {
        let (owner, k, grouped) = owners[c as usize];
        if grouped {
            group_case(plan, owner, k)
        } else {
            lone_case(plan, owner as u64, k)
        }
    })?;
    let mut covered = vec![false; plan.n as usize];
    for case in &all {
        for &p in &case.people {
            covered[p as usize] = true;
        }
    }
    let victim_start = plan.n_grouped + plan.n_lone;
    for slot in 0..plan.n {
        if covered[slot as usize] {
            continue;
        }
        let r = &mut rng(plan.seed, DOMAIN_COVER, slot);
        let target = if let Some(g) = plan.group_of(slot) {
            let group = &plan.groups[g];
            group.first_case + below(r, group.n_cases)
        } else if slot < victim_start {
            plan.lone_first_case[(slot - plan.n_grouped) as usize]
        } else if slot < victim_start + plan.n_victims {
            match plan.victim_owner[(slot - victim_start) as usize] {
                Owner::Group(g) => {
                    let group = &plan.groups[g];
                    group.first_case + below(r, group.n_cases)
                }
                Owner::Lone(l) => plan.lone_first_case[l as usize],
            }
        } else {
            below(&mut rng(plan.seed, DOMAIN_WITNESS, slot), plan.n_cases)
        };
        let people = &mut all[target as usize].people;
        if let Err(at) = people.binary_search(&slot) {
            people.insert(at, slot);
        }
    }
    Ok(all)
}

/// One record: case, person (slot), identifier seen (if any).
struct Observation {
    case: u64,
    slot: u64,
    ident: Option<Ident>,
}

/// Generate the case network: `data` (the links), `records`, `persons`, and the truth
/// `truth.persons`, `truth.groups`, `truth.identifiers`, `truth.crime_types`.
///
/// - `data`: `source`, `target` (person ids, `source < target`), `link_type` (`phone`,
///   `device`, `account`, `payment`, `image_hash`, `ip`, `co_offending` between offenders or
///   suspects in one case, `same_case` between one of them and a victim or witness of the
///   case), `seen` (the first date the link was evidenced), `weight` (how many shared
///   identifiers or cases evidence it). Sorted by `seen`, `source`, `target`, `link_type`.
/// - `records`: `record_id`, `case_id`, `person_id`, `role`, `crime_type` (ICCS code),
///   `crime_label`, `seen`, `identifier_type`, `identifier` (null when no identifier was seen).
/// - `persons`: `person_id`, `role` (offender, suspect, victim, witness).
/// - `truth.persons`: `person_id`, `role`, `group` (planted group; a victim's exploiting group;
///   -1 otherwise), `position` (core, member, lone, victim, witness).
/// - `truth.groups`: `group`, `members`, `victims`, `cases`, `child_sexual_exploitation`,
///   `drugs`, `fraud`, `trafficking`, `crime_types`, `active_from`, `active_to`.
/// - `truth.identifiers`: `identifier`, `identifier_type`, `hub`, `group` (-1 unless a group's
///   shared identifier), `users` (people seen with it).
///
/// Randomness is drawn per group, person, case and record from their own streams, so any
/// thread count gives the same content.
///
/// # Example
/// ```
/// use aluna_core::parallel::Cancel;
/// use aluna_synth::network::{case_network, NetworkOptions};
/// let options = NetworkOptions { n_persons: 200, n_groups: 4, seed: 1 };
/// let parts = case_network(&options, &Cancel::new()).unwrap();
/// assert_eq!(parts[0].name, "data");
/// assert_eq!(parts[2].batch.num_rows(), 200);
/// ```
pub fn case_network(options: &NetworkOptions, cancel: &Cancel) -> Result<Vec<Part>> {
    let plan = Plan::new(options)?;
    let n = plan.n;
    let slots = 0..n;
    let ids = generate(&slots, cancel, |slot| plan.person_id(slot))?;
    let roles = generate(&slots, cancel, |slot| plan.role(slot))?;
    let idents = generate(&slots, cancel, |slot| plan.identifiers(slot))?;
    let all_cases = cases(&plan, cancel)?;

    // Records: each person's identifiers seen in a case with probability 1/2 (hubs 1/2,
    // platforms 3/10), at least one identifier for people who have any.
    let per_case = generate(&(0..all_cases.len() as u64), cancel, |c| {
        let case = &all_cases[c as usize];
        let r = &mut rng(plan.seed, DOMAIN_RECORD, c);
        let mut people = case.people.clone();
        people.sort_by_key(|&p| (roles[p as usize], p));
        let mut out = Vec::new();
        for p in people {
            let own = &idents[p as usize];
            let before = out.len();
            for &id in own {
                let chance = if id.0 == PLATFORM { 0.3 } else { 0.5 };
                if bernoulli(r, chance) {
                    out.push(Observation {
                        case: c,
                        slot: p,
                        ident: Some(id),
                    });
                }
            }
            if out.len() == before {
                out.push(Observation {
                    case: c,
                    slot: p,
                    ident: own.first().copied(),
                });
            }
        }
        out
    })?;
    let observations: Vec<Observation> = per_case.into_iter().flatten().collect();

    // Links from shared identifiers: for each identifier, the first day each person was seen
    // with it; a pair's link is evidenced when the later of the two was first seen.
    let mut uses: Vec<(Ident, u64, i32)> = observations
        .iter()
        .filter_map(|o| {
            o.ident
                .map(|id| (id, o.slot, all_cases[o.case as usize].day))
        })
        .collect();
    uses.sort_unstable();
    uses.dedup_by(|b, a| a.0 == b.0 && a.1 == b.1); // keep each person's earliest day per identifier
    let mut raw: Vec<(u64, u64, usize, i32)> = Vec::new(); // (a, b, link type, day), a < b in id order
    let order = |a: u64, b: u64| {
        if plan.order.apply(a) < plan.order.apply(b) {
            (a, b)
        } else {
            (b, a)
        }
    };
    let mut users_of: Vec<(Ident, u64)> = Vec::new();
    let mut start = 0;
    while start < uses.len() {
        let mut end = start;
        while end < uses.len() && uses[end].0 == uses[start].0 {
            end += 1;
        }
        let ident = uses[start].0;
        users_of.push((ident, (end - start) as u64));
        if ident.0 != PLATFORM {
            for i in start..end {
                for j in i + 1..end {
                    let (a, b) = order(uses[i].1, uses[j].1);
                    raw.push((a, b, ident.0, uses[i].2.max(uses[j].2)));
                }
            }
        }
        start = end;
    }
    const CO_OFFENDING: usize = 7;
    const SAME_CASE: usize = 8;
    for case in &all_cases {
        for (i, &p) in case.people.iter().enumerate() {
            for &q in &case.people[i + 1..] {
                let (rp, rq) = (roles[p as usize], roles[q as usize]);
                let kind = match (rp.offends(), rq.offends()) {
                    (true, true) => CO_OFFENDING,
                    (false, false) => continue,
                    _ => SAME_CASE,
                };
                let (a, b) = order(p, q);
                raw.push((a, b, kind, case.day));
            }
        }
    }
    raw.sort_unstable_by_key(|&(a, b, kind, day)| (a, b, kind, day));
    let mut links: Vec<(u64, u64, usize, i32, f64)> = Vec::new();
    for (a, b, kind, day) in raw {
        match links.last_mut() {
            Some(last) if last.0 == a && last.1 == b && last.2 == kind => last.4 += 1.0,
            _ => links.push((a, b, kind, day, 1.0)),
        }
    }
    let link_names = [
        "phone",
        "device",
        "account",
        "payment",
        "image_hash",
        "ip",
        "platform",
        "co_offending",
        "same_case",
    ];
    links.sort_by(|x, y| {
        (x.3, &ids[x.0 as usize], &ids[x.1 as usize], link_names[x.2]).cmp(&(
            y.3,
            &ids[y.0 as usize],
            &ids[y.1 as usize],
            link_names[y.2],
        ))
    });
    let data = Columns::new()
        .strings(
            "source",
            links.iter().map(|l| Some(ids[l.0 as usize].as_str())),
        )
        .strings(
            "target",
            links.iter().map(|l| Some(ids[l.1 as usize].as_str())),
        )
        .strings("link_type", links.iter().map(|l| Some(link_names[l.2])))
        .dates("seen", links.iter().map(|l| Some(l.3)))
        .floats("weight", links.iter().map(|l| Some(l.4)))
        .finish()?;

    let case_width = id_width(all_cases.len() as u64);
    let record_width = id_width(observations.len() as u64);
    let pseudonyms: Vec<Option<String>> = observations
        .iter()
        .map(|o| o.ident.map(|(k, i)| pseudonym(KINDS[k], plan.seed, i)))
        .collect();
    let crime = |o: &Observation| all_cases[o.case as usize].crime;
    let records = Columns::new()
        .strings(
            "record_id",
            (0..observations.len() as u64).map(|i| Some(person_id('R', i, record_width))),
        )
        .strings(
            "case_id",
            observations
                .iter()
                .map(|o| Some(person_id('C', o.case, case_width))),
        )
        .strings(
            "person_id",
            observations
                .iter()
                .map(|o| Some(ids[o.slot as usize].as_str())),
        )
        .strings(
            "role",
            observations
                .iter()
                .map(|o| Some(roles[o.slot as usize].name())),
        )
        .strings(
            "crime_type",
            observations.iter().map(|o| Some(CRIME_TYPES[crime(o)].0)),
        )
        .strings(
            "crime_label",
            observations.iter().map(|o| Some(CRIME_TYPES[crime(o)].1)),
        )
        .dates(
            "seen",
            observations
                .iter()
                .map(|o| Some(all_cases[o.case as usize].day)),
        )
        .strings(
            "identifier_type",
            observations.iter().map(|o| o.ident.map(|(k, _)| KINDS[k])),
        )
        .strings("identifier", pseudonyms.iter().map(|p| p.as_deref()))
        .finish()?;

    // People in id order.
    let by_id: Vec<u64> = (0..n).map(|j| plan.order.invert(j)).collect();
    let persons = Columns::new()
        .strings(
            "person_id",
            by_id.iter().map(|&s| Some(ids[s as usize].as_str())),
        )
        .strings(
            "role",
            by_id.iter().map(|&s| Some(roles[s as usize].name())),
        )
        .finish()?;
    let truth_persons = Columns::new()
        .strings(
            "person_id",
            by_id.iter().map(|&s| Some(ids[s as usize].as_str())),
        )
        .strings(
            "role",
            by_id.iter().map(|&s| Some(roles[s as usize].name())),
        )
        .ints("group", by_id.iter().map(|&s| Some(plan.true_group(s))))
        .strings("position", by_id.iter().map(|&s| Some(plan.position(s))))
        .finish()?;
    let groups = &plan.groups;
    let truth_groups = Columns::new()
        .ints("group", (0..groups.len() as i64).map(Some))
        .ints("members", groups.iter().map(|g| Some(g.size as i64)))
        .ints(
            "victims",
            groups.iter().map(|g| Some(g.victims.len() as i64)),
        )
        .ints("cases", groups.iter().map(|g| Some(g.n_cases as i64)))
        .bools(
            "child_sexual_exploitation",
            groups.iter().map(|g| Some(g.cse)),
        )
        .bools("drugs", groups.iter().map(|g| Some(g.drugs)))
        .bools("fraud", groups.iter().map(|g| Some(g.fraud)))
        .bools("trafficking", groups.iter().map(|g| Some(g.trafficking)))
        .strings("crime_types", groups.iter().map(|g| Some(g.crime_codes())))
        .dates("active_from", groups.iter().map(|g| Some(g.from)))
        .dates("active_to", groups.iter().map(|g| Some(g.to)))
        .finish()?;
    let owner_group = |(k, i): Ident| -> i64 {
        if k >= IP || i < 2 * n {
            return -1;
        }
        groups
            .iter()
            .position(|g| {
                let (first, count) = g.pools[k];
                (first..first + count).contains(&i)
            })
            .map_or(-1, |g| g as i64)
    };
    let truth_identifiers = Columns::new()
        .strings(
            "identifier",
            users_of
                .iter()
                .map(|((k, i), _)| Some(pseudonym(KINDS[*k], plan.seed, *i))),
        )
        .strings(
            "identifier_type",
            users_of.iter().map(|((k, _), _)| Some(KINDS[*k])),
        )
        .bools("hub", users_of.iter().map(|((k, _), _)| Some(*k >= IP)))
        .ints(
            "group",
            users_of.iter().map(|(id, _)| Some(owner_group(*id))),
        )
        .ints("users", users_of.iter().map(|(_, u)| Some(*u as i64)))
        .finish()?;
    let crime_types = Columns::new()
        .strings("crime_type", CRIME_TYPES.iter().map(|c| Some(c.0)))
        .strings("crime_label", CRIME_TYPES.iter().map(|c| Some(c.1)))
        .strings("iccs_label", CRIME_TYPES.iter().map(|c| Some(c.2)))
        .finish()?;
    Ok(vec![
        Part::new("data", data),
        Part::new("records", records),
        Part::new("persons", persons),
        Part::new("truth.persons", truth_persons),
        Part::new("truth.groups", truth_groups),
        Part::new("truth.identifiers", truth_identifiers),
        Part::new("truth.crime_types", crime_types),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use aluna_core::parallel::install;
    use arrow_array::cast::AsArray;
    use arrow_array::types::Int64Type;

    fn network(n: u64, g: u64, seed: u64, threads: usize) -> Vec<Part> {
        install(Some(threads), || {
            case_network(
                &NetworkOptions {
                    n_persons: n,
                    n_groups: g,
                    seed,
                },
                &Cancel::new(),
            )
        })
        .unwrap()
        .unwrap()
    }

    #[test]
    fn same_content_for_any_thread_count() {
        let one = network(1500, 20, 3, 1);
        let two = network(1500, 20, 3, 2);
        for (a, b) in one.iter().zip(&two) {
            assert_eq!(a.batch, b.batch, "{}", a.name);
        }
    }

    #[test]
    fn group_sizes_add_up_and_everyone_is_in_a_case() {
        let parts = network(2000, 25, 7, 2);
        let plan = Plan::new(&NetworkOptions {
            n_persons: 2000,
            n_groups: 25,
            seed: 7,
        })
        .unwrap();
        let groups = &parts[4].batch;
        let members = groups
            .column_by_name("members")
            .unwrap()
            .as_primitive::<Int64Type>();
        assert_eq!(members.values().iter().sum::<i64>() as u64, plan.n_grouped);
        assert!(members.values().iter().all(|&m| m >= MIN_GROUP as i64));
        let records = &parts[1].batch;
        let people: BTreeSet<&str> = records
            .column_by_name("person_id")
            .unwrap()
            .as_string::<i32>()
            .iter()
            .flatten()
            .collect();
        assert_eq!(people.len(), 2000);
        let cse = groups
            .column_by_name("child_sexual_exploitation")
            .unwrap()
            .as_boolean();
        assert!(cse.true_count() > 0 && cse.true_count() < 25);
    }

    #[test]
    fn identifiers_are_pseudonyms() {
        let parts = network(300, 5, 1, 1);
        let ids = parts[1]
            .batch
            .column_by_name("identifier")
            .unwrap()
            .as_string::<i32>();
        for id in ids.iter().flatten() {
            let (kind, hex) = id.split_once(':').unwrap();
            assert!(KINDS.contains(&kind));
            assert_eq!(hex.len(), 16);
        }
    }

    #[test]
    fn too_many_groups_is_an_error() {
        let err = case_network(
            &NetworkOptions {
                n_persons: 100,
                n_groups: 40,
                seed: 1,
            },
            &Cancel::new(),
        )
        .unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidArgument {
                name: "n_groups",
                ..
            }
        ));
    }
}
