//! Locality-sensitive blocking keys for Bloom-filter encodings (MinHash bands), and Dice
//! coefficients of aligned pairs of encodings.
//!
//! Comparing every record of one agency with every record of another costs `n x m` Dice
//! coefficients; at national scale that is out of reach, and blocking on a recorded field (a
//! year of birth) loses every pair whose field is mistyped. MinHash bands block on the
//! encodings themselves: for a random permutation `π` of the filter's bit positions, the
//! first set bit of a filter in `π`'s order is the same for two filters with probability equal
//! to the Jaccard similarity `J` of their sets of set bits (Broder 1997). A band combines `r`
//! such values into one key; two filters share a band's key with probability `J^r`, and at
//! least one of `b` bands with probability `1 − (1 − J^r)^b`, an S-curve in `J` (Leskovec,
//! Rajaraman & Ullman, *Mining of Massive Datasets*, ch. 3). Dice `D` and Jaccard are tied by
//! `J = D / (2 − D)`: at the default threshold `D = 0.78`, `J = 0.64`. Bands of encodings are
//! the blocking of Karapiperis & Verykios (2015) for privacy-preserving linkage.
//!
//! The permutations are drawn from the seeded streams `(seed, hash)` and are not secret: the
//! encodings are already keyed. Both sides must use the same `bits`, `bands`, `rows` and seed.

use aluna_core::parallel::{ordered_map, Cancel};
use aluna_core::random::stream;
use aluna_core::{Error, Result};
use rand::Rng;

use crate::linkage::{dice, Encodings};

/// How many MinHash bands, of how many values each, and the seed of their permutations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BandOptions {
    /// Number of bands `b` (blocking keys per record).
    pub bands: usize,
    /// MinHash values per band `r`.
    pub rows: usize,
    /// Seed of the permutations: hash `h` is drawn from stream `(seed, h)`.
    pub seed: u64,
}

impl Default for BandOptions {
    fn default() -> Self {
        Self {
            bands: 24,
            rows: 4,
            seed: 0,
        }
    }
}

/// SplitMix64's finaliser: a fixed, portable 64-bit mix.
#[inline]
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A random permutation of `0..bits` (Fisher–Yates) from the given stream.
fn permutation(bits: usize, seed: u64, hash: u64) -> Vec<u16> {
    let mut rng = stream(seed, hash);
    let mut p: Vec<u16> = (0..bits as u32).map(|i| i as u16).collect();
    for i in (1..bits).rev() {
        let j = rng.random_range(0..=i);
        p.swap(i, j);
    }
    p
}

/// MinHash band keys of every record: `bands` keys per record, row-major (record `i`'s keys
/// are `keys[i * bands..(i + 1) * bands]`); `None` for a record with no bit set, which shares
/// no key with anything.
///
/// Key `k` of a record is a 63-bit hash of `k` and the record's `rows` MinHash values
/// `h = k · rows .. (k + 1) · rows`, each the position, in permutation `h`'s order, of the
/// first set bit. Records are processed in parallel in fixed chunks; the keys depend only on
/// the encodings and the options.
///
/// # Errors
/// `InvalidArgument` for zero bands or rows, or filters longer than 65,536 bits; `Cancelled`.
///
/// # Example
/// ```
/// use aluna_core::parallel::Cancel;
/// use aluna_privacy::bands::{band_keys, BandOptions};
/// use aluna_privacy::linkage::Encodings;
/// // Records 0 and 1 are equal, record 2 shares nothing with them, record 3 is empty.
/// let enc = Encodings::from_words(64, vec![0b1011, 0b1011, 0b1_0000_0000, 0]).unwrap();
/// let options = BandOptions { bands: 3, rows: 2, seed: 1 };
/// let keys = band_keys(&enc, &options, &Cancel::new()).unwrap();
/// assert_eq!(keys[0..3], keys[3..6]);
/// assert!((0..3).all(|k| keys[k] != keys[6 + k]));
/// assert_eq!(keys[9..12], [None, None, None]);
/// # Ok::<(), aluna_core::Error>(())
/// ```
pub fn band_keys(
    encodings: &Encodings,
    options: &BandOptions,
    cancel: &Cancel,
) -> Result<Vec<Option<i64>>> {
    let BandOptions { bands, rows, seed } = *options;
    if bands == 0 || rows == 0 {
        return Err(Error::argument(
            "bands",
            format!("bands and rows per band must be at least 1, got {bands} and {rows}"),
        ));
    }
    let bits = encodings.bits();
    if bits > 1 << 16 {
        return Err(Error::argument(
            "bits",
            format!("encodings of at most 65536 bits, got {bits}"),
        ));
    }
    let hashes = bands * rows;
    let perms: Vec<Vec<u16>> = (0..hashes as u64)
        .map(|h| permutation(bits, seed, h))
        .collect();
    let per_record = ordered_map(
        encodings.len(),
        cancel,
        Vec::new,
        |i, out: &mut Vec<u64>| {
            let record = encodings.record(i);
            let mut keys = vec![None; bands];
            if record.iter().all(|&w| w == 0) {
                return keys;
            }
            out.clear();
            for perm in &perms {
                // The first position, in this permutation's order, whose bit is set.
                let first = perm
                    .iter()
                    .position(|&p| record[p as usize >> 6] >> (p & 63) & 1 == 1)
                    .unwrap_or(bits);
                out.push(first as u64);
            }
            for (k, key) in keys.iter_mut().enumerate() {
                let mut h = mix(k as u64 ^ 0xA1A5_0000_0000_0000);
                for &v in &out[k * rows..(k + 1) * rows] {
                    h = mix(h ^ v);
                }
                *key = Some((h >> 1) as i64);
            }
            keys
        },
    )?;
    Ok(per_record.into_iter().flatten().collect())
}

/// The Dice coefficient of each aligned pair `(left[i], right[i])`, as
/// [`crate::linkage::link`] scores pairs (0 when both filters are empty).
///
/// # Errors
/// `InvalidArgument` when the two sides differ in length or filter size.
///
/// # Example
/// ```
/// use aluna_privacy::bands::dice_pairs;
/// use aluna_privacy::linkage::Encodings;
/// let left = Encodings::from_words(64, vec![0b1111, 0]).unwrap();
/// let right = Encodings::from_words(64, vec![0b0111, 0]).unwrap();
/// assert_eq!(dice_pairs(&left, &right).unwrap(), vec![6.0 / 7.0, 0.0]);
/// ```
pub fn dice_pairs(left: &Encodings, right: &Encodings) -> Result<Vec<f64>> {
    if left.len() != right.len() {
        return Err(Error::argument(
            "right",
            format!(
                "{} left and {} right encodings: pairs must be aligned",
                left.len(),
                right.len()
            ),
        ));
    }
    if left.bits() != right.bits() {
        return Err(Error::argument(
            "right",
            format!(
                "the encodings have different lengths ({} and {} bits): encode both sides with \
                 the same key and settings",
                left.bits(),
                right.bits()
            ),
        ));
    }
    Ok((0..left.len())
        .map(|i| dice(left.record(i), right.record(i)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random_filters(n: usize, words: usize, density: f64, seed: u64) -> Vec<u64> {
        let mut rng = stream(seed, 0);
        (0..n * words)
            .map(|_| {
                (0..64).fold(0u64, |w, b| {
                    if rng.random::<f64>() < density {
                        w | (1 << b)
                    } else {
                        w
                    }
                })
            })
            .collect()
    }

    #[test]
    fn collision_rate_of_one_hash_is_the_jaccard_similarity() {
        // Pairs of filters with a known Jaccard similarity: a shares 3/5 of the union with b.
        let bits = 1024;
        let hashes = 2000;
        let a: Vec<u64> = random_filters(1, bits / 64, 0.3, 7);
        // b: keep a bit of a with probability 0.75, add new bits to match.
        let mut rng = stream(9, 0);
        let mut b = vec![0u64; bits / 64];
        for i in 0..bits {
            let in_a = a[i / 64] >> (i % 64) & 1 == 1;
            let set = if in_a {
                rng.random::<f64>() < 0.75
            } else {
                rng.random::<f64>() < 0.1
            };
            if set {
                b[i / 64] |= 1 << (i % 64);
            }
        }
        let inter: u32 = a.iter().zip(&b).map(|(x, y)| (x & y).count_ones()).sum();
        let union: u32 = a.iter().zip(&b).map(|(x, y)| (x | y).count_ones()).sum();
        let jaccard = f64::from(inter) / f64::from(union);
        let enc = Encodings::from_words(bits, [a, b].concat()).unwrap();
        let options = BandOptions {
            bands: hashes,
            rows: 1,
            seed: 3,
        };
        let keys = band_keys(&enc, &options, &Cancel::new()).unwrap();
        let same = (0..hashes).filter(|&k| keys[k] == keys[hashes + k]).count();
        let rate = same as f64 / hashes as f64;
        // 2000 draws: standard error about 0.011.
        assert!(
            (rate - jaccard).abs() < 0.05,
            "rate {rate}, Jaccard {jaccard}"
        );
    }

    #[test]
    fn keys_do_not_depend_on_the_thread_count_or_the_other_records() {
        let words = random_filters(300, 16, 0.2, 11);
        let enc = Encodings::from_words(1024, words.clone()).unwrap();
        let options = BandOptions::default();
        let one =
            aluna_core::parallel::install(Some(1), || band_keys(&enc, &options, &Cancel::new()))
                .unwrap()
                .unwrap();
        let two =
            aluna_core::parallel::install(Some(2), || band_keys(&enc, &options, &Cancel::new()))
                .unwrap()
                .unwrap();
        assert_eq!(one, two);
        let tail = Encodings::from_words(1024, words[16 * 100..].to_vec()).unwrap();
        let part = band_keys(&tail, &options, &Cancel::new()).unwrap();
        assert_eq!(part[..], one[100 * options.bands..]);
    }

    #[test]
    fn bad_options_and_misaligned_pairs_are_refused() {
        let enc = Encodings::from_words(64, vec![1, 2]).unwrap();
        let zero = BandOptions {
            bands: 0,
            ..Default::default()
        };
        assert!(matches!(
            band_keys(&enc, &zero, &Cancel::new()),
            Err(Error::InvalidArgument { name: "bands", .. })
        ));
        let one = Encodings::from_words(64, vec![1]).unwrap();
        assert!(dice_pairs(&enc, &one).is_err());
        let wide = Encodings::from_words(128, vec![1, 2]).unwrap();
        assert!(dice_pairs(&one, &wide).is_err());
    }
}
