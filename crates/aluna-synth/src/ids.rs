//! Identifiers of synthetic records: person ids, pseudonyms, and seeded shuffles of row order.
//!
//! Person ids are a letter and a zero-padded number (`P000042`). Identifier columns (phones,
//! devices, accounts, payments, image hashes, addresses, platforms) hold pseudonyms of one
//! recognisable form, `kind:` and 16 lowercase hexadecimal digits, matching
//! [`PSEUDONYM_PATTERN`], so that identifier detection can tell them from direct identifiers.
//! The digits are a keyed bijection of the identifier's index, so two identifiers of one kind
//! never share a pseudonym.

use aluna_core::random::{stream, ChaCha8Rng};

/// The regular expression every synthetic pseudonym matches: a lowercase kind, a colon, and 16
/// lowercase hexadecimal digits, e.g. `phone:3fa94c0e12d87b55`.
pub const PSEUDONYM_PATTERN: &str = r"^[a-z][a-z_]*:[0-9a-f]{16}$";

/// The SplitMix64 finaliser (Steele, Lea & Flood 2014): a bijection of `u64` that mixes every
/// input bit into every output bit.
///
/// ```
/// use aluna_synth::ids::mix64;
/// assert_ne!(mix64(1), mix64(2));
/// assert_eq!(mix64(7), mix64(7));
/// ```
pub fn mix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The key of one generator (or one part of it) under `seed`: different domains give unrelated
/// random streams for the same seed.
pub fn key(seed: u64, domain: u64) -> u64 {
    mix64(seed ^ mix64(domain.wrapping_mul(0xD6E8_FEB8_6659_FD93)))
}

/// The random stream of unit `index` in `domain` under `seed` (ChaCha8, see
/// [`aluna_core::random::stream`]).
pub fn rng(seed: u64, domain: u64, index: u64) -> ChaCha8Rng {
    stream(key(seed, domain), index)
}

/// Digits of the zero-padded number in ids of a table with `n` units: at least 6.
///
/// ```
/// use aluna_synth::ids::id_width;
/// assert_eq!(id_width(600), 6);
/// assert_eq!(id_width(10_000_000), 7);
/// assert_eq!(id_width(10_000_001), 8);
/// ```
pub fn id_width(n: u64) -> usize {
    let largest = n.saturating_sub(1);
    let digits = largest.checked_ilog10().map_or(1, |d| d as usize + 1);
    digits.max(6)
}

/// A person (or record) id: `prefix` and `index` zero-padded to `width` digits.
///
/// ```
/// use aluna_synth::ids::person_id;
/// assert_eq!(person_id('P', 42, 6), "P000042");
/// ```
pub fn person_id(prefix: char, index: u64, width: usize) -> String {
    format!("{prefix}{index:0width$}")
}

/// The pseudonym of identifier `index` of `kind` under `seed`: `kind:` and 16 hex digits.
///
/// Within one kind and seed, distinct indices always give distinct pseudonyms (the digits are a
/// bijection of the index).
///
/// ```
/// use aluna_synth::ids::pseudonym;
/// let a = pseudonym("phone", 7, 0);
/// assert!(a.starts_with("phone:") && a.len() == 22);
/// assert_ne!(a, pseudonym("phone", 7, 1));
/// ```
pub fn pseudonym(kind: &str, seed: u64, index: u64) -> String {
    let kind_key = kind.bytes().fold(0xCBF2_9CE4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3)
    });
    format!(
        "{kind}:{:016x}",
        mix64(index.wrapping_add(key(seed, kind_key)))
    )
}

/// A seeded bijection of `0..n`: a four-round Feistel network on the smallest even number of
/// bits that covers `n`, with cycle walking to stay inside `0..n` (Black & Rogaway 2002).
///
/// It shuffles row order without holding the order in memory, so a generator can tell where
/// any unit lands, and which unit sits at any row, in constant time and memory.
///
/// ```
/// use aluna_synth::ids::Permutation;
/// let p = Permutation::new(1000, 7, 1);
/// let mut seen: Vec<u64> = (0..1000).map(|i| p.apply(i)).collect();
/// seen.sort();
/// assert_eq!(seen, (0..1000).collect::<Vec<_>>());
/// assert_eq!(p.invert(p.apply(123)), 123);
/// ```
#[derive(Debug, Clone)]
pub struct Permutation {
    n: u64,
    half_bits: u32,
    keys: [u64; 4],
}

impl Permutation {
    /// The permutation of `0..n` for `seed` and `domain`.
    pub fn new(n: u64, seed: u64, domain: u64) -> Self {
        let bits = u64::BITS - n.saturating_sub(1).leading_zeros();
        let half_bits = bits.div_ceil(2).max(1);
        let base = key(seed, domain);
        let keys = [
            mix64(base),
            mix64(base ^ 1),
            mix64(base ^ 2),
            mix64(base ^ 3),
        ];
        Self { n, half_bits, keys }
    }

    fn mask(&self) -> u64 {
        (1u64 << self.half_bits) - 1
    }

    fn round(&self, half: u64, k: u64) -> u64 {
        mix64(half ^ k) & self.mask()
    }

    fn encrypt(&self, x: u64) -> u64 {
        let mask = self.mask();
        let (mut left, mut right) = (x >> self.half_bits, x & mask);
        for &k in &self.keys {
            let next = left ^ self.round(right, k);
            left = right;
            right = next;
        }
        (left << self.half_bits) | right
    }

    fn decrypt(&self, y: u64) -> u64 {
        let mask = self.mask();
        let (mut left, mut right) = (y >> self.half_bits, y & mask);
        for &k in self.keys.iter().rev() {
            let previous = right ^ self.round(left, k);
            right = left;
            left = previous;
        }
        (left << self.half_bits) | right
    }

    /// Where unit `i` (< n) lands.
    pub fn apply(&self, i: u64) -> u64 {
        if self.n <= 1 {
            return i;
        }
        let mut y = self.encrypt(i);
        while y >= self.n {
            y = self.encrypt(y);
        }
        y
    }

    /// Which unit lands at `j` (< n): the inverse of [`Permutation::apply`].
    pub fn invert(&self, j: u64) -> u64 {
        if self.n <= 1 {
            return j;
        }
        let mut x = self.decrypt(j);
        while x >= self.n {
            x = self.decrypt(x);
        }
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutations_are_bijections_for_awkward_sizes() {
        for n in [1u64, 2, 3, 5, 17, 64, 65, 1000, 4097] {
            let p = Permutation::new(n, 11, 3);
            let mut image: Vec<u64> = (0..n).map(|i| p.apply(i)).collect();
            image.sort_unstable();
            assert_eq!(image, (0..n).collect::<Vec<_>>(), "n = {n}");
            for i in 0..n {
                assert_eq!(p.invert(p.apply(i)), i);
            }
        }
    }

    #[test]
    fn permutation_moves_most_items() {
        let p = Permutation::new(10_000, 1, 1);
        let fixed = (0..10_000).filter(|&i| p.apply(i) == i).count();
        assert!(fixed < 20, "{fixed} fixed points");
    }

    #[test]
    fn pseudonyms_match_the_pattern_and_differ() {
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..10_000 {
            let p = pseudonym("account", 5, i);
            let (kind, hex) = p.split_once(':').unwrap();
            assert_eq!(kind, "account");
            assert_eq!(hex.len(), 16);
            assert!(hex
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
            assert!(seen.insert(p));
        }
    }
}
