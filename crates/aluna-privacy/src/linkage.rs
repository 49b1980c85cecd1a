//! Privacy-preserving record linkage with keyed Bloom-filter encodings.
//!
//! # Encoding
//!
//! Each record becomes a bit vector of `bits` bits (a cryptographic long-term key, CLK, in
//! Schnell, Bachteler & Reiher's terms [1, 2]). Fields are grouped; a group is one column or
//! several columns whose values are pooled (put first and last name in one group and a swap of
//! the two costs nothing). Every value is normalised (Unicode lowercase, letters and digits
//! only), padded with a blank on each side and cut into character bigrams (`" ann "` gives
//! ` a`, `an`, `nn`, `n `). Each bigram `g` of group `f` sets `k_f` bits, drawn by
//! "random hashing" [3]: a ChaCha8 generator seeded with
//! `HMAC-SHA256(key_f, g)` draws `k_f` positions uniformly in `0..bits`, where
//! `key_f = HMAC-SHA256(key, "aluna linkage v1 field " ‖ f)` separates the groups and
//! `k_f = max(1, round(hashes × weight_f))` carries the field weight. Missing or empty values
//! set no bits. Without the key, the positions of a bigram cannot be computed.
//!
//! Bit `i` of a filter is bit `i mod 8` of byte `i div 8` of its binary form.
//!
//! # Comparison
//!
//! Two filters with `a` and `b` bits set and `c` in common have Dice coefficient
//! `2c / (a + b)` (0 when both are empty). [`link`] returns every pair at or above a threshold,
//! either among all pairs (pruned by the bound `2 min(a, b) / (a + b)`, exact) or among pairs
//! that share a blocking key in at least one blocking pass; optionally the pairs are reduced to a
//! one-to-one assignment by the greedy rule (highest score first).
//!
//! # References
//! 1. Schnell, R., Bachteler, T. & Reiher, J. (2009). Privacy-preserving record linkage using
//!    Bloom filters. BMC Medical Informatics and Decision Making 9, 41.
//!    <https://doi.org/10.1186/1472-6947-9-41>
//! 2. Schnell, R., Bachteler, T. & Reiher, J. (2011). A novel error-tolerant anonymous linking
//!    code. German Record Linkage Center, Working Paper WP-GRLC-2011-02.
//! 3. Niedermeyer, F., Steinmetzer, S., Kroll, M. & Schnell, R. (2014). Cryptanalysis of basic
//!    Bloom filters used for privacy preserving record linkage. Journal of Privacy and
//!    Confidentiality 6(2). <https://doi.org/10.29012/jpc.v6i2.640>

use std::sync::Arc;

use aluna_core::ids::{IdMap, Key, KeyKind};
use aluna_core::parallel::{chunks, ordered_map, Cancel};
use aluna_core::table::{Column, Table};
use aluna_core::{Error, Result};
use arrow_array::{ArrayRef, BinaryArray};
use foldhash::fast::FixedState;
use hashbrown::HashMap;
use hmac::Mac;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::key::SecretKey;
use crate::text::TextColumn;

/// Records encoded per parallel work item (each item keeps its own bigram cache).
const ENCODE_CHUNK: usize = 2048;

/// One group of columns encoded with its own key and weight.
#[derive(Debug, Clone)]
pub struct FieldGroup {
    /// The columns whose bigrams are pooled.
    pub columns: Vec<String>,
    /// Relative weight: the group sets `max(1, round(hashes × weight))` bits per bigram.
    pub weight: f64,
}

impl FieldGroup {
    /// The group's label in key derivation: its columns joined by `+`.
    pub fn label(&self) -> String {
        self.columns.join("+")
    }
}

/// Settings of [`encode`].
#[derive(Debug, Clone, Copy)]
pub struct EncodingOptions {
    /// Filter length in bits: a multiple of 64 between 64 and 65,536. Default 1024.
    pub bits: usize,
    /// Bits set per bigram at weight 1. Default 10.
    pub hashes: usize,
}

impl Default for EncodingOptions {
    fn default() -> Self {
        Self {
            bits: 1024,
            hashes: 10,
        }
    }
}

/// Bloom-filter encodings of `n` records, `bits / 64` words each, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encodings {
    bits: usize,
    words: Vec<u64>,
}

impl Encodings {
    /// Encodings from their words (`bits / 64` per record).
    pub fn from_words(bits: usize, words: Vec<u64>) -> Result<Self> {
        check_bits(bits)?;
        if !words.len().is_multiple_of(bits / 64) {
            return Err(Error::argument(
                "encodings",
                format!("{} words do not make whole {bits}-bit filters", words.len()),
            ));
        }
        Ok(Self { bits, words })
    }

    /// Read encodings from a binary column (all values of one length, a multiple of 8 bytes).
    pub fn from_column(column: &Column<'_>) -> Result<Self> {
        let mut bytes_per: Option<usize> = None;
        let mut words = Vec::new();
        column.for_each_binary(|row, value| {
            let value = value.ok_or_else(|| Error::NullValue {
                column: column.name().to_string(),
                row,
                expected: "a linkage encoding",
            })?;
            let expected = *bytes_per.get_or_insert(value.len());
            if value.len() != expected || expected == 0 || !expected.is_multiple_of(8) {
                return Err(Error::bad_value(
                    column.name(),
                    row,
                    "an encoding as long as the first one (a multiple of 8 bytes)",
                    format!("{} bytes", value.len()),
                ));
            }
            words.extend(value.chunks_exact(8).map(|w| {
                let mut b = [0u8; 8];
                b.copy_from_slice(w);
                u64::from_le_bytes(b)
            }));
            Ok(())
        })?;
        let bits = bytes_per.map_or(64, |b| b * 8);
        if bits > 65_536 {
            return Err(Error::bad_value(
                column.name(),
                0,
                "an encoding of at most 8192 bytes",
                format!("{} bytes", bits / 8),
            ));
        }
        Self::from_words(bits, words)
    }

    /// Filter length in bits.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.words.len() / (self.bits / 64)
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Record `i`'s words.
    pub fn record(&self, i: usize) -> &[u64] {
        let w = self.bits / 64;
        &self.words[i * w..(i + 1) * w]
    }

    /// Bits set in each record.
    pub fn counts(&self) -> Vec<u32> {
        self.words
            .chunks_exact(self.bits / 64)
            .map(|r| r.iter().map(|w| w.count_ones()).sum())
            .collect()
    }

    /// The encodings as a `Binary` array (little-endian words).
    pub fn to_arrow(&self) -> ArrayRef {
        let w = self.bits / 64;
        let rows: Vec<Vec<u8>> = self
            .words
            .chunks_exact(w)
            .map(|r| r.iter().flat_map(|x| x.to_le_bytes()).collect())
            .collect();
        Arc::new(BinaryArray::from_iter_values(rows.iter()))
    }
}

fn check_bits(bits: usize) -> Result<()> {
    if !(64..=65_536).contains(&bits) || !bits.is_multiple_of(64) {
        return Err(Error::argument(
            "bits",
            format!("must be a multiple of 64 between 64 and 65536, got {bits}"),
        ));
    }
    Ok(())
}

/// Normalise a value for bigrams: Unicode lowercase, letters and digits only.
pub fn normalise(value: &str) -> Vec<char> {
    value
        .chars()
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Per group: the derived key's MAC template and the bits per bigram.
struct GroupHasher {
    mac: crate::key::HmacSha256,
    k: usize,
}

/// Encode each record of `table` into a Bloom filter (see the module documentation).
///
/// Records are encoded in parallel in chunks of 2048, each with its own cache of bigram
/// positions; the result is the same for any thread count.
///
/// # Example
/// ```
/// use std::sync::Arc;
/// use aluna_core::{parallel::Cancel, table::Table};
/// use aluna_privacy::key::SecretKey;
/// use aluna_privacy::linkage::{encode, dice, EncodingOptions, FieldGroup};
/// use arrow_array::{RecordBatch, StringArray};
/// use arrow_schema::{DataType, Field, Schema};
/// let schema = Arc::new(Schema::new(vec![Field::new("name", DataType::Utf8, true)]));
/// let names = StringArray::from(vec!["Maria Garcia", "maria garcía", "Jan de Vries"]);
/// let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(names)]).unwrap();
/// let table = Table::new(schema, vec![batch]);
/// let key = SecretKey::new(b"a synthetic key, not secret".to_vec()).unwrap();
/// let fields = [FieldGroup { columns: vec!["name".into()], weight: 1.0 }];
/// let enc = encode(&table, &fields, &key, EncodingOptions::default(), &Cancel::new()).unwrap();
/// assert!(dice(enc.record(0), enc.record(1)) > 0.8);
/// assert!(dice(enc.record(0), enc.record(2)) < 0.5);
/// ```
pub fn encode(
    table: &Table,
    fields: &[FieldGroup],
    key: &SecretKey,
    options: EncodingOptions,
    cancel: &Cancel,
) -> Result<Encodings> {
    check_bits(options.bits)?;
    if options.hashes == 0 || options.hashes > 1000 {
        return Err(Error::argument(
            "hashes",
            format!("must be between 1 and 1000, got {}", options.hashes),
        ));
    }
    if fields.is_empty() {
        return Err(Error::argument(
            "fields",
            "name at least one column to encode",
        ));
    }
    let mut hashers = Vec::with_capacity(fields.len());
    let mut columns: Vec<(usize, TextColumn)> = Vec::new();
    for (g, group) in fields.iter().enumerate() {
        if !(group.weight.is_finite() && group.weight > 0.0) {
            return Err(Error::argument(
                "fields",
                format!(
                    "the weight of {} must be a positive number, got {}",
                    group.label(),
                    group.weight
                ),
            ));
        }
        if group.columns.is_empty() {
            return Err(Error::argument("fields", "a field group has no columns"));
        }
        let label = format!("aluna linkage v1 field {}", group.label());
        let k = ((options.hashes as f64 * group.weight).round() as usize).clamp(1, 10_000);
        hashers.push(GroupHasher {
            mac: key.derive(label.as_bytes()).mac(),
            k,
        });
        for name in &group.columns {
            columns.push((g, TextColumn::read(&table.column(name)?)?));
        }
    }
    let n = table.num_rows();
    let words_per = options.bits / 64;
    let ranges = chunks(n, ENCODE_CHUNK);
    let parts: Vec<Vec<u64>> = ranges
        .par_iter()
        .map(|range| {
            let mut words = vec![0u64; range.len() * words_per];
            if cancel.is_cancelled() {
                return words;
            }
            let mut cache: HashMap<u64, (u32, u32), FixedState> =
                HashMap::with_hasher(FixedState::with_seed(0));
            let mut arena: Vec<u32> = Vec::new();
            let mut chars: Vec<char> = Vec::new();
            for (slot, row) in range.clone().enumerate() {
                let record = &mut words[slot * words_per..(slot + 1) * words_per];
                for (g, column) in &columns {
                    let Some(value) = column.get(row) else {
                        continue;
                    };
                    chars.clear();
                    chars.push(' ');
                    chars.extend(normalise(&String::from_utf8_lossy(value)));
                    if chars.len() == 1 {
                        continue;
                    }
                    chars.push(' ');
                    for pair in chars.windows(2) {
                        let id = ((*g as u64) << 42) | ((pair[0] as u64) << 21) | pair[1] as u64;
                        let (start, len) = *cache.entry(id).or_insert_with(|| {
                            let start = arena.len() as u32;
                            let hasher = &hashers[*g];
                            let mut mac = hasher.mac.clone();
                            let mut buf = [0u8; 8];
                            let a = pair[0].encode_utf8(&mut buf).len();
                            let b = pair[1].encode_utf8(&mut buf[a..]).len();
                            mac.update(&buf[..a + b]);
                            let seed: [u8; 32] = mac.finalize().into_bytes().into();
                            let mut rng = ChaCha8Rng::from_seed(seed);
                            for _ in 0..hasher.k {
                                arena.push(rng.random_range(0..options.bits as u32));
                            }
                            (start, hasher.k as u32)
                        });
                        for &p in &arena[start as usize..(start + len) as usize] {
                            record[(p / 64) as usize] |= 1u64 << (p % 64);
                        }
                    }
                }
            }
            words
        })
        .collect();
    cancel.check()?;
    Encodings::from_words(options.bits, parts.concat())
}

/// The Dice coefficient `2|a ∧ b| / (|a| + |b|)` of two filters (0 when both are empty).
pub fn dice(a: &[u64], b: &[u64]) -> f64 {
    let common = and_count(a, b);
    let total: u32 = a.iter().chain(b).map(|w| w.count_ones()).sum();
    if total == 0 {
        0.0
    } else {
        2.0 * common as f64 / total as f64
    }
}

#[inline(always)]
fn and_count(a: &[u64], b: &[u64]) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x & y).count_ones()).sum()
}

/// Settings of [`link`].
#[derive(Debug, Clone, Copy)]
pub struct LinkOptions {
    /// Keep pairs whose Dice coefficient is at least this (in `[0, 1]`).
    pub threshold: f64,
    /// Reduce the pairs to a one-to-one assignment, highest score first (greedy).
    pub one_to_one: bool,
}

/// Linked pairs: indices into the left and right encodings and their Dice coefficients.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pairs {
    /// Left record indices.
    pub left: Vec<u32>,
    /// Right record indices.
    pub right: Vec<u32>,
    /// Dice coefficients.
    pub score: Vec<f64>,
}

impl Pairs {
    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.left.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.left.is_empty()
    }
}

/// Blocking keys for several passes: per pass, a code per left and per right record (`None`
/// for a missing key); codes are shared between the sides, so equal codes mean equal keys.
#[derive(Debug, Clone, Default)]
pub struct Blocks {
    passes: Vec<BlockPass>,
}

/// One blocking pass: a code per left record and per right record (`None`: no key).
pub type BlockPass = (Vec<Option<u32>>, Vec<Option<u32>>);

impl Blocks {
    /// Blocking codes from columns present in both tables (one pass per column). A pair is a
    /// candidate when its records share a non-null key in at least one column.
    pub fn from_tables(left: &Table, right: &Table, columns: &[&str]) -> Result<Self> {
        let mut passes = Vec::with_capacity(columns.len());
        for name in columns {
            let (lc, rc) = (left.column(name)?, right.column(name)?);
            let kind = lc.key_kind()?;
            if rc.key_kind()? != kind {
                return Err(Error::WrongType {
                    column: name.to_string(),
                    expected: match kind {
                        KeyKind::Int => "integer keys on both sides",
                        KeyKind::Str => "string keys on both sides",
                    },
                    found: rc.data_type().to_string(),
                });
            }
            let mut ids = IdMap::new(kind);
            let mut codes = |column: &Column<'_>| -> Result<Vec<Option<u32>>> {
                let mut out = Vec::with_capacity(column.len());
                column.for_each_key(|_, key: Option<Key<'_>>| {
                    out.push(match key {
                        Some(k) => Some(ids.intern(k)?),
                        None => None,
                    });
                    Ok(())
                })?;
                Ok(out)
            };
            let l = codes(&lc)?;
            let r = codes(&rc)?;
            passes.push((l, r));
        }
        Ok(Self { passes })
    }

    /// Blocking codes given directly (one `(left, right)` pair of code vectors per pass).
    pub fn from_codes(passes: Vec<BlockPass>) -> Self {
        Self { passes }
    }
}

/// Per pass: right records grouped by code (CSR).
struct BlockIndex {
    offsets: Vec<u32>,
    members: Vec<u32>,
}

impl BlockIndex {
    fn new(codes: &[Option<u32>], n_codes: usize) -> Self {
        let mut offsets = vec![0u32; n_codes + 1];
        for c in codes.iter().flatten() {
            offsets[*c as usize + 1] += 1;
        }
        for i in 0..n_codes {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let mut members = vec![0u32; offsets[n_codes] as usize];
        for (j, c) in codes.iter().enumerate() {
            if let Some(c) = c {
                members[fill[*c as usize] as usize] = j as u32;
                fill[*c as usize] += 1;
            }
        }
        Self { offsets, members }
    }

    fn members(&self, code: u32) -> &[u32] {
        let c = code as usize;
        if c + 1 >= self.offsets.len() {
            return &[];
        }
        &self.members[self.offsets[c] as usize..self.offsets[c + 1] as usize]
    }
}

/// Left records per parallel work item in the unblocked scan.
const LEFT_CHUNK: usize = 64;
/// Right records per cache tile in the unblocked scan (64 KiB of 1024-bit filters).
const RIGHT_TILE: usize = 512;

/// Push `(j, score)` when the Dice coefficient of `common` shared bits out of `total` reaches
/// `threshold`. The multiplication screens cheaply; the division decides exactly as [`dice`].
#[inline(always)]
fn keep(common: u32, total: u32, threshold: f64, j: usize, out: &mut Vec<(u32, f64)>) {
    if total == 0 {
        if threshold <= 0.0 {
            out.push((j as u32, 0.0));
        }
        return;
    }
    if 2.0 * common as f64 >= threshold * total as f64 * (1.0 - 1e-12) {
        let score = 2.0 * common as f64 / total as f64;
        if score >= threshold {
            out.push((j as u32, score));
        }
    }
}

/// Compare left filter `a` with right records `range` of `right` (`W` words each).
#[inline(always)]
fn scan_words<const W: usize>(
    a: &[u64],
    a_count: u32,
    right: &[u64],
    right_counts: &[u32],
    range: std::ops::Range<usize>,
    threshold: f64,
    out: &mut Vec<(u32, f64)>,
) {
    let (a, _) = a.as_chunks::<W>();
    let (records, _) = right[range.start * W..range.end * W].as_chunks::<W>();
    let (Some(a), counts) = (a.first(), &right_counts[range.clone()]) else {
        return;
    };
    for (k, (b, &b_count)) in records.iter().zip(counts).enumerate() {
        let mut common = 0u32;
        for w in 0..W {
            common += (a[w] & b[w]).count_ones();
        }
        keep(common, a_count + b_count, threshold, range.start + k, out);
    }
}

/// [`scan_words`] for any width.
#[inline(always)]
fn scan_any(
    a: &[u64],
    a_count: u32,
    right: &[u64],
    right_counts: &[u32],
    range: std::ops::Range<usize>,
    threshold: f64,
    out: &mut Vec<(u32, f64)>,
) {
    let w = a.len();
    for j in range {
        let common = and_count(a, &right[j * w..(j + 1) * w]);
        keep(common, a_count + right_counts[j], threshold, j, out);
    }
}

/// Pick the kernel for the filter width (fixed widths unroll completely).
#[inline(always)]
fn scan_dispatch(
    a: &[u64],
    a_count: u32,
    right: &[u64],
    right_counts: &[u32],
    range: std::ops::Range<usize>,
    threshold: f64,
    out: &mut Vec<(u32, f64)>,
) {
    match a.len() {
        8 => scan_words::<8>(a, a_count, right, right_counts, range, threshold, out),
        16 => scan_words::<16>(a, a_count, right, right_counts, range, threshold, out),
        32 => scan_words::<32>(a, a_count, right, right_counts, range, threshold, out),
        64 => scan_words::<64>(a, a_count, right, right_counts, range, threshold, out),
        _ => scan_any(a, a_count, right, right_counts, range, threshold, out),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
fn scan_popcnt(
    a: &[u64],
    a_count: u32,
    right: &[u64],
    right_counts: &[u32],
    range: std::ops::Range<usize>,
    threshold: f64,
    out: &mut Vec<(u32, f64)>,
) {
    scan_dispatch(a, a_count, right, right_counts, range, threshold, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vpopcntdq,popcnt")]
fn scan_avx512(
    a: &[u64],
    a_count: u32,
    right: &[u64],
    right_counts: &[u32],
    range: std::ops::Range<usize>,
    threshold: f64,
    out: &mut Vec<(u32, f64)>,
) {
    scan_dispatch(a, a_count, right, right_counts, range, threshold, out)
}

/// Compare one left filter with a range of right filters, using the CPU's vector or scalar
/// popcount instructions where it has them; pushes `(right index, score)` for pairs at the
/// threshold. Every path computes the same integers, so results do not depend on the CPU.
fn scan(
    a: &[u64],
    a_count: u32,
    right: &[u64],
    right_counts: &[u32],
    range: std::ops::Range<usize>,
    threshold: f64,
    out: &mut Vec<(u32, f64)>,
) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512vpopcntdq")
        && std::arch::is_x86_feature_detected!("avx512f")
    {
        // SAFETY: the CPU supports AVX-512F, AVX-512 VPOPCNTDQ and (implied) popcnt, checked
        // just above: the only requirements of `scan_avx512`.
        unsafe { scan_avx512(a, a_count, right, right_counts, range, threshold, out) };
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("popcnt") {
        // SAFETY: the CPU supports the popcnt instruction (checked just above), the only
        // requirement of `scan_popcnt`.
        unsafe { scan_popcnt(a, a_count, right, right_counts, range, threshold, out) };
        return;
    }
    scan_dispatch(a, a_count, right, right_counts, range, threshold, out)
}

/// Pairs of left and right records whose Dice coefficient is at least `options.threshold`.
///
/// Without `blocks`, all pairs are considered: the right records are sorted by bits set, and
/// for a left record with `a` bits only right records with `b` bits such that
/// `2 min(a, b) / (a + b)` can reach the threshold are compared (exact pruning). With
/// `blocks`, only pairs sharing a key in some pass are compared. Left records are processed in
/// parallel in chunks of 64; pairs come out sorted by left then right index, the same for any
/// thread count. With `options.one_to_one`, the pairs are then reduced by [`one_to_one`].
///
/// # Example
/// ```
/// use aluna_core::parallel::Cancel;
/// use aluna_privacy::linkage::{link, Encodings, LinkOptions};
/// let left = Encodings::from_words(64, vec![0b1111, 0b1100_0000]).unwrap();
/// let right = Encodings::from_words(64, vec![0b0111, 0b1111]).unwrap();
/// let options = LinkOptions { threshold: 0.8, one_to_one: false };
/// let pairs = link(&left, &right, None, options, &Cancel::new()).unwrap();
/// assert_eq!((pairs.left, pairs.right), (vec![0, 0], vec![0, 1]));
/// assert_eq!(pairs.score, vec![6.0 / 7.0, 1.0]);
/// let options = LinkOptions { threshold: 0.8, one_to_one: true };
/// let pairs = link(&left, &right, None, options, &Cancel::new()).unwrap();
/// assert_eq!((pairs.left, pairs.right), (vec![0], vec![1]));
/// ```
pub fn link(
    left: &Encodings,
    right: &Encodings,
    blocks: Option<&Blocks>,
    options: LinkOptions,
    cancel: &Cancel,
) -> Result<Pairs> {
    if !(0.0..=1.0).contains(&options.threshold) {
        return Err(Error::argument(
            "threshold",
            format!("must be between 0 and 1, got {}", options.threshold),
        ));
    }
    if left.bits != right.bits {
        return Err(Error::argument(
            "right",
            format!(
                "the encodings have different lengths ({} and {} bits): encode both sides with \
                 the same key and settings",
                left.bits, right.bits
            ),
        ));
    }
    let left_counts = left.counts();
    let right_counts = right.counts();
    let rows: Vec<Vec<(u32, f64)>> = match blocks {
        None => {
            // Right records sorted by bits set, copied into that order for locality.
            let mut order: Vec<u32> = (0..right.len() as u32).collect();
            order.sort_by_key(|&j| (right_counts[j as usize], j));
            let sorted_counts: Vec<u32> = order.iter().map(|&j| right_counts[j as usize]).collect();
            let mut sorted = Vec::with_capacity(right.words.len());
            for &j in &order {
                sorted.extend_from_slice(right.record(j as usize));
            }
            let t = options.threshold;
            // Right records a left record with `a` bits set can reach the threshold with.
            let span = |a: u32| -> (usize, usize) {
                if t <= 0.0 {
                    return (0, sorted_counts.len());
                }
                let lo = (a as f64 * t / (2.0 - t) - 1.0).floor().max(0.0) as u32;
                let hi = (a as f64 * (2.0 - t) / t + 1.0).ceil().min(u32::MAX as f64) as u32;
                (
                    sorted_counts.partition_point(|&b| b < lo),
                    sorted_counts.partition_point(|&b| b <= hi),
                )
            };
            let parts: Vec<Vec<Vec<(u32, f64)>>> = chunks(left.len(), LEFT_CHUNK)
                .par_iter()
                .map(|range| {
                    let mut found: Vec<Vec<(u32, f64)>> = vec![Vec::new(); range.len()];
                    if cancel.is_cancelled() {
                        return found;
                    }
                    let spans: Vec<(usize, usize)> =
                        range.clone().map(|i| span(left_counts[i])).collect();
                    let first = spans.iter().map(|s| s.0).min().unwrap_or(0);
                    let last = spans.iter().map(|s| s.1).max().unwrap_or(0);
                    // Tile the right side so that a tile stays in cache for the whole chunk.
                    let mut tile = first;
                    while tile < last {
                        let tile_end = (tile + RIGHT_TILE).min(last);
                        for (k, i) in range.clone().enumerate() {
                            let from = spans[k].0.max(tile);
                            let to = spans[k].1.min(tile_end);
                            if from < to {
                                scan(
                                    left.record(i),
                                    left_counts[i],
                                    &sorted,
                                    &sorted_counts,
                                    from..to,
                                    t,
                                    &mut found[k],
                                );
                            }
                        }
                        tile = tile_end;
                    }
                    for row in &mut found {
                        for pair in row.iter_mut() {
                            pair.0 = order[pair.0 as usize];
                        }
                        row.sort_unstable_by_key(|p| p.0);
                    }
                    found
                })
                .collect();
            cancel.check()?;
            parts.into_iter().flatten().collect()
        }
        Some(blocks) => {
            for (l, r) in &blocks.passes {
                if l.len() != left.len() || r.len() != right.len() {
                    return Err(Error::argument(
                        "blocking",
                        "blocking keys and encodings differ in length",
                    ));
                }
            }
            let indices: Vec<BlockIndex> = blocks
                .passes
                .iter()
                .map(|(l, r)| {
                    let n_codes = l
                        .iter()
                        .chain(r.iter())
                        .flatten()
                        .max()
                        .map_or(0, |&m| m as usize + 1);
                    BlockIndex::new(r, n_codes)
                })
                .collect();
            let t = options.threshold;
            ordered_map(
                left.len(),
                cancel,
                Vec::new,
                |i, candidates: &mut Vec<u32>| {
                    candidates.clear();
                    for ((codes, _), index) in blocks.passes.iter().zip(&indices) {
                        if let Some(code) = codes[i] {
                            candidates.extend_from_slice(index.members(code));
                        }
                    }
                    candidates.sort_unstable();
                    candidates.dedup();
                    let a = left.record(i);
                    let mut found = Vec::new();
                    for &j in candidates.iter() {
                        let j = j as usize;
                        scan(
                            a,
                            left_counts[i],
                            &right.words,
                            &right_counts,
                            j..j + 1,
                            t,
                            &mut found,
                        );
                    }
                    found
                },
            )?
        }
    };
    let total: usize = rows.iter().map(Vec::len).sum();
    let mut pairs = Pairs {
        left: Vec::with_capacity(total),
        right: Vec::with_capacity(total),
        score: Vec::with_capacity(total),
    };
    for (i, row) in rows.into_iter().enumerate() {
        for (j, s) in row {
            pairs.left.push(i as u32);
            pairs.right.push(j);
            pairs.score.push(s);
        }
    }
    if options.one_to_one {
        pairs = one_to_one(&pairs, cancel)?;
    }
    Ok(pairs)
}

/// Positions of the pairs kept by the greedy one-to-one rule: take pairs from the highest
/// score down (ties: the pair that comes first), keeping a pair when neither of its records is
/// already assigned. Positions come out in ascending order.
///
/// The pairs are not sorted whole: a counting pass drops each pair into one of up to 2^16
/// score buckets (`floor(2^16 · score / max score)`, monotone in the score, so buckets come in
/// score order); positions keep their order within a bucket. Buckets are then sorted by
/// (score descending, position ascending) in waves of about 2^20 pairs, from the highest
/// down, each wave in parallel, and scanned; the scan stops once every record of the smaller
/// side is assigned, so buckets below that point are never sorted. Every sort is on a total
/// order, so the result does not depend on the thread count. Scores must be finite and
/// non-negative (`-0.0` counts as `0.0`).
///
/// # Example
/// ```
/// use aluna_core::parallel::Cancel;
/// use aluna_privacy::linkage::{greedy_assignment, Pairs};
/// let pairs = Pairs { left: vec![0, 0, 1], right: vec![0, 1, 0], score: vec![0.9, 0.8, 0.95] };
/// assert_eq!(greedy_assignment(&pairs, &Cancel::new()).unwrap(), vec![1, 2]);
/// ```
pub fn greedy_assignment(pairs: &Pairs, cancel: &Cancel) -> Result<Vec<usize>> {
    if let Some(row) = pairs.score.iter().position(|s| !s.is_finite() || *s < 0.0) {
        return Err(Error::bad_value(
            "score",
            row,
            "a finite, non-negative score",
            pairs.score[row],
        ));
    }
    let n = pairs.len();
    if n > u32::MAX as usize {
        return Err(Error::argument(
            "pairs",
            format!("at most 4,294,967,295 pairs can be assigned, got {n}"),
        ));
    }
    let n_left = pairs.left.iter().max().map_or(0, |&m| m as usize + 1);
    let n_right = pairs.right.iter().max().map_or(0, |&m| m as usize + 1);
    let limit = n_left.min(n_right);
    let max = pairs.score.iter().copied().fold(0.0_f64, f64::max);
    let n_buckets = (n / 16).clamp(1, 1 << 16);
    let scale = if max > 0.0 {
        n_buckets as f64 / max
    } else {
        0.0
    };
    // Rank 0 is the highest bucket; `(s * scale) as usize` is monotone in `s`.
    let rank = |s: f64| n_buckets - 1 - ((s * scale) as usize).min(n_buckets - 1);
    let ranks: Vec<u32> = pairs.score.par_iter().map(|&s| rank(s) as u32).collect();
    let mut start = vec![0usize; n_buckets + 1];
    for &r in &ranks {
        start[r as usize + 1] += 1;
    }
    for b in 0..n_buckets {
        start[b + 1] += start[b];
    }
    let mut order = vec![0u32; n];
    let mut next = start.clone();
    for (p, &r) in ranks.iter().enumerate() {
        let slot = &mut next[r as usize];
        order[*slot] = p as u32;
        *slot += 1;
    }
    drop(ranks);
    cancel.check()?;
    // Non-negative floats order like their bit patterns (`+ 0.0` turns -0.0 into 0.0).
    let bits = |p: u32| (pairs.score[p as usize] + 0.0).to_bits();
    let mut left_used = vec![false; n_left];
    let mut right_used = vec![false; n_right];
    let mut kept: Vec<usize> = Vec::new();
    let mut rest: &mut [u32] = &mut order;
    let mut bucket = 0;
    const WAVE: usize = 1 << 20;
    while bucket < n_buckets && kept.len() < limit {
        // A wave: whole buckets from `bucket` on, at least WAVE pairs (or what is left).
        let first = bucket;
        while bucket < n_buckets && start[bucket] - start[first] < WAVE {
            bucket += 1;
        }
        let (wave, tail) = std::mem::take(&mut rest).split_at_mut(start[bucket] - start[first]);
        rest = tail;
        let mut slices: Vec<&mut [u32]> = Vec::with_capacity(bucket - first);
        let mut remaining = wave;
        for b in first..bucket {
            let (head, tail) = std::mem::take(&mut remaining).split_at_mut(start[b + 1] - start[b]);
            slices.push(head);
            remaining = tail;
        }
        slices.par_iter_mut().for_each(|slice| {
            slice.sort_unstable_by(|&a, &b| bits(b).cmp(&bits(a)).then(a.cmp(&b)));
        });
        cancel.check()?;
        for slice in slices {
            for &p in slice.iter() {
                let (l, r) = (
                    pairs.left[p as usize] as usize,
                    pairs.right[p as usize] as usize,
                );
                if !left_used[l] && !right_used[r] {
                    left_used[l] = true;
                    right_used[r] = true;
                    kept.push(p as usize);
                    if kept.len() == limit {
                        break;
                    }
                }
            }
            if kept.len() == limit {
                break;
            }
        }
    }
    kept.sort_unstable();
    Ok(kept)
}

/// Codes for the record ids of a pairs table, for [`greedy_assignment`], which depends only on
/// which ids are equal: integer ids between 0 and twice the number of rows (at least 1,024)
/// are their own codes; other ids are interned in order of appearance. `expected` names what
/// an id is in the error a null raises.
///
/// # Example
/// ```
/// use std::sync::Arc;
/// use aluna_core::table::Table;
/// use aluna_privacy::linkage::record_codes;
/// use arrow_array::{Int64Array, RecordBatch, StringArray};
/// let batch = RecordBatch::try_from_iter([
///     ("n", Arc::new(Int64Array::from(vec![7, 3, 7])) as _),
///     ("s", Arc::new(StringArray::from(vec!["b", "a", "b"])) as _),
/// ])
/// .unwrap();
/// let table = Table::new(batch.schema(), vec![batch]);
/// assert_eq!(record_codes(&table.column("n").unwrap(), "an id").unwrap(), vec![7, 3, 7]);
/// assert_eq!(record_codes(&table.column("s").unwrap(), "an id").unwrap(), vec![0, 1, 0]);
/// ```
pub fn record_codes(column: &Column<'_>, expected: &'static str) -> Result<Vec<u32>> {
    if column.key_kind()? == KeyKind::Int {
        let bound = (column.len() as i64)
            .saturating_mul(2)
            .clamp(1024, i64::from(u32::MAX - 1));
        let mut codes = Vec::with_capacity(column.len());
        let mut own = true;
        column.for_each_key(|_, key| {
            match key {
                Some(Key::Int(v)) if own && (0..=bound).contains(&v) => codes.push(v as u32),
                _ => own = false,
            }
            Ok(())
        })?;
        if own {
            return Ok(codes);
        }
    }
    Ok(column.categories(expected)?.1)
}

/// Reduce pairs to a one-to-one assignment by the greedy rule of [`greedy_assignment`]; for
/// pairs in left-then-right order (as [`link`] returns them) ties go to the lower left index,
/// then the lower right index.
///
/// # Example
/// ```
/// use aluna_core::parallel::Cancel;
/// use aluna_privacy::linkage::{one_to_one, Pairs};
/// let pairs = Pairs { left: vec![0, 0, 1], right: vec![0, 1, 0], score: vec![0.9, 0.8, 0.95] };
/// let kept = one_to_one(&pairs, &Cancel::new()).unwrap();
/// assert_eq!((kept.left, kept.right), (vec![0, 1], vec![1, 0]));
/// ```
pub fn one_to_one(pairs: &Pairs, cancel: &Cancel) -> Result<Pairs> {
    let kept = greedy_assignment(pairs, cancel)?;
    Ok(Pairs {
        left: kept.iter().map(|&p| pairs.left[p]).collect(),
        right: kept.iter().map(|&p| pairs.right[p]).collect(),
        score: kept.iter().map(|&p| pairs.score[p]).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aluna_core::parallel::install;
    use arrow_array::{RecordBatch, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    use rand::Rng;

    fn key() -> SecretKey {
        SecretKey::new(b"aluna-synthetic-test-key-not-secret".to_vec()).unwrap()
    }

    fn table(columns: &[(&str, Vec<Option<&str>>)]) -> Table {
        let schema = Arc::new(Schema::new(
            columns
                .iter()
                .map(|(n, _)| Field::new(*n, DataType::Utf8, true))
                .collect::<Vec<_>>(),
        ));
        let arrays: Vec<ArrayRef> = columns
            .iter()
            .map(|(_, v)| Arc::new(StringArray::from(v.clone())) as ArrayRef)
            .collect();
        let batch = RecordBatch::try_new(schema.clone(), arrays).unwrap();
        Table::new(schema, vec![batch])
    }

    fn group(columns: &[&str]) -> FieldGroup {
        FieldGroup {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            weight: 1.0,
        }
    }

    #[test]
    fn pooled_names_ignore_transposition() {
        let t = table(&[
            ("first", vec![Some("Anna"), Some("Kowalski")]),
            ("last", vec![Some("Kowalski"), Some("Anna")]),
        ]);
        let pooled = encode(
            &t,
            &[group(&["first", "last"])],
            &key(),
            EncodingOptions::default(),
            &Cancel::new(),
        )
        .unwrap();
        assert_eq!(pooled.record(0), pooled.record(1));
        let separate = encode(
            &t,
            &[group(&["first"]), group(&["last"])],
            &key(),
            EncodingOptions::default(),
            &Cancel::new(),
        )
        .unwrap();
        assert!(dice(separate.record(0), separate.record(1)) < 0.3);
    }

    #[test]
    fn missing_values_set_no_bits_and_keys_matter() {
        let t = table(&[("name", vec![None, Some(""), Some("Ann")])]);
        let enc = encode(
            &t,
            &[group(&["name"])],
            &key(),
            EncodingOptions::default(),
            &Cancel::new(),
        )
        .unwrap();
        assert_eq!(enc.counts()[..2], [0, 0]);
        assert!(enc.counts()[2] > 0);
        let other = SecretKey::new(b"another synthetic key, not secret".to_vec()).unwrap();
        let enc2 = encode(
            &t,
            &[group(&["name"])],
            &other,
            EncodingOptions::default(),
            &Cancel::new(),
        )
        .unwrap();
        assert_ne!(enc.record(2), enc2.record(2));
    }

    #[test]
    fn weights_scale_bits_per_bigram() {
        let t = table(&[("name", vec![Some("x")])]);
        let options = EncodingOptions {
            bits: 4096,
            hashes: 10,
        };
        let light = encode(&t, &[group(&["name"])], &key(), options, &Cancel::new()).unwrap();
        let mut heavy_group = group(&["name"]);
        heavy_group.weight = 3.0;
        let heavy = encode(&t, &[heavy_group], &key(), options, &Cancel::new()).unwrap();
        // Two bigrams (" x", "x "), k = 10 vs 30 positions each, few collisions in 4096 bits.
        assert!(light.counts()[0] <= 20 && light.counts()[0] >= 18);
        assert!(heavy.counts()[0] >= 55);
    }

    #[test]
    fn bad_settings_are_refused() {
        let t = table(&[("name", vec![Some("x")])]);
        let bad = EncodingOptions {
            bits: 100,
            hashes: 10,
        };
        assert!(matches!(
            encode(&t, &[group(&["name"])], &key(), bad, &Cancel::new()),
            Err(Error::InvalidArgument { name: "bits", .. })
        ));
        assert!(matches!(
            encode(
                &t,
                &[group(&["nope"])],
                &key(),
                EncodingOptions::default(),
                &Cancel::new()
            ),
            Err(Error::MissingColumn { .. })
        ));
        let mut g = group(&["name"]);
        g.weight = f64::NAN;
        assert!(encode(&t, &[g], &key(), EncodingOptions::default(), &Cancel::new()).is_err());
    }

    fn random_encodings(n: usize, bits: usize, seed: u64) -> Encodings {
        let mut rng = aluna_core::random::stream(seed, 0);
        let words = (0..n * bits / 64)
            .map(|_| rng.random::<u64>() & rng.random::<u64>())
            .collect();
        Encodings::from_words(bits, words).unwrap()
    }

    fn brute_force(left: &Encodings, right: &Encodings, t: f64) -> Vec<(u32, u32, f64)> {
        let mut out = vec![];
        for i in 0..left.len() {
            for j in 0..right.len() {
                let s = dice(left.record(i), right.record(j));
                if s >= t {
                    out.push((i as u32, j as u32, s));
                }
            }
        }
        out
    }

    fn triples(p: &Pairs) -> Vec<(u32, u32, f64)> {
        (0..p.len())
            .map(|k| (p.left[k], p.right[k], p.score[k]))
            .collect()
    }

    #[test]
    fn pruned_scan_equals_brute_force_at_any_thread_count() {
        for bits in [128, 512, 1024, 1088, 2048, 4096] {
            pruned_scan_case(bits);
        }
    }

    fn pruned_scan_case(bits: usize) {
        let left = random_encodings(300, bits, 1);
        let right = random_encodings(250, bits, 2);
        for t in [0.0, 0.3, 0.5, 0.55, 1.0] {
            let options = LinkOptions {
                threshold: t,
                one_to_one: false,
            };
            let expected = brute_force(&left, &right, t);
            for threads in [1, 3] {
                let pairs = install(Some(threads), || {
                    link(&left, &right, None, options, &Cancel::new())
                })
                .unwrap()
                .unwrap();
                assert_eq!(triples(&pairs), expected, "threshold {t}");
            }
        }
    }

    #[test]
    fn blocking_compares_only_shared_keys() {
        let left = random_encodings(40, 64, 3);
        let right = random_encodings(30, 64, 4);
        let lc: Vec<Option<u32>> = (0..40)
            .map(|i| if i % 7 == 0 { None } else { Some(i % 3) })
            .collect();
        let rc: Vec<Option<u32>> = (0..30).map(|j| Some(j % 3)).collect();
        let second_l: Vec<Option<u32>> = (0..40).map(|i| Some(i % 2)).collect();
        let second_r: Vec<Option<u32>> = (0..30).map(|j| Some(10 + j % 2)).collect();
        let blocks = Blocks::from_codes(vec![(lc.clone(), rc.clone()), (second_l, second_r)]);
        let options = LinkOptions {
            threshold: 0.0,
            one_to_one: false,
        };
        let pairs = link(&left, &right, Some(&blocks), options, &Cancel::new()).unwrap();
        let expected: Vec<(u32, u32, f64)> = brute_force(&left, &right, 0.0)
            .into_iter()
            .filter(|(i, j, _)| lc[*i as usize].is_some() && lc[*i as usize] == rc[*j as usize])
            .collect();
        assert_eq!(triples(&pairs), expected);
    }

    #[test]
    fn greedy_assignment_matches_a_naive_loop() {
        let left = random_encodings(60, 64, 5);
        let right = random_encodings(50, 64, 6);
        let all = link(
            &left,
            &right,
            None,
            LinkOptions {
                threshold: 0.3,
                one_to_one: false,
            },
            &Cancel::new(),
        )
        .unwrap();
        let mut sorted = triples(&all);
        sorted.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
        let (mut lu, mut ru) = (vec![false; 60], vec![false; 50]);
        let mut expected = vec![];
        for (i, j, s) in sorted {
            if !lu[i as usize] && !ru[j as usize] {
                lu[i as usize] = true;
                ru[j as usize] = true;
                expected.push((i, j, s));
            }
        }
        expected.sort_by_key(|p| (p.0, p.1));
        for threads in [1, 2] {
            let kept = install(Some(threads), || one_to_one(&all, &Cancel::new()))
                .unwrap()
                .unwrap();
            assert_eq!(triples(&kept), expected);
        }
    }

    /// The greedy rule by a full sort on (score descending, position ascending).
    fn greedy_by_full_sort(pairs: &Pairs) -> Vec<usize> {
        let mut order: Vec<usize> = (0..pairs.len()).collect();
        order.sort_by(|&a, &b| pairs.score[b].total_cmp(&pairs.score[a]).then(a.cmp(&b)));
        let n_left = pairs.left.iter().max().map_or(0, |&m| m as usize + 1);
        let n_right = pairs.right.iter().max().map_or(0, |&m| m as usize + 1);
        let (mut lu, mut ru) = (vec![false; n_left], vec![false; n_right]);
        let mut kept = vec![];
        for p in order {
            let (l, r) = (pairs.left[p] as usize, pairs.right[p] as usize);
            if !lu[l] && !ru[r] {
                lu[l] = true;
                ru[r] = true;
                kept.push(p);
            }
        }
        kept.sort_unstable();
        kept
    }

    #[test]
    fn bucketed_greedy_equals_a_full_sort() {
        let mut rng = aluna_core::random::stream(11, 0);
        // Many pairs (several waves), many ties (scores on a coarse grid), uneven sides, the
        // largest score repeated, zeros and -0.0.
        for (n, grid, n_left, n_right) in [
            (3_000_000usize, 50u32, 40_000u32, 30_000u32),
            (200_000, 1_000_000, 5_000, 9_000),
            (5_000, 3, 300, 300),
            (100, 1, 10, 10),
        ] {
            let mut pairs = Pairs::default();
            for _ in 0..n {
                pairs.left.push(rng.random_range(0..n_left));
                pairs.right.push(rng.random_range(0..n_right));
                let k = rng.random_range(0..=grid);
                pairs.score.push(k as f64 / grid as f64 * 0.9);
            }
            pairs.score[n / 2] = -0.0;
            let expected = greedy_by_full_sort(&pairs);
            for threads in [1, 2] {
                let kept = install(Some(threads), || greedy_assignment(&pairs, &Cancel::new()))
                    .unwrap()
                    .unwrap();
                assert_eq!(kept, expected, "n = {n}, threads = {threads}");
            }
        }
        let zeros = Pairs {
            left: vec![0, 1, 1],
            right: vec![0, 0, 1],
            score: vec![0.0; 3],
        };
        assert_eq!(
            greedy_assignment(&zeros, &Cancel::new()).unwrap(),
            vec![0, 2]
        );
        for bad in [f64::NAN, f64::INFINITY, -0.5] {
            let pairs = Pairs {
                left: vec![0],
                right: vec![0],
                score: vec![bad],
            };
            let err = greedy_assignment(&pairs, &Cancel::new()).unwrap_err();
            assert!(
                err.to_string().contains("finite, non-negative score"),
                "{err}"
            );
        }
    }

    #[test]
    fn encodings_round_trip_through_arrow() {
        let enc = random_encodings(5, 192, 7);
        let array = enc.to_arrow();
        let schema = Arc::new(Schema::new(vec![Field::new("e", DataType::Binary, false)]));
        let t = Table::new(
            schema.clone(),
            vec![RecordBatch::try_new(schema, vec![array]).unwrap()],
        );
        assert_eq!(
            Encodings::from_column(&t.column("e").unwrap()).unwrap(),
            enc
        );
    }

    #[test]
    fn encoding_is_identical_for_any_thread_count() {
        let names: Vec<String> = (0..5000).map(|i| format!("person {i} müller")).collect();
        let t = table(&[("name", names.iter().map(|s| Some(s.as_str())).collect())]);
        let one = install(Some(1), || {
            encode(
                &t,
                &[group(&["name"])],
                &key(),
                EncodingOptions::default(),
                &Cancel::new(),
            )
        })
        .unwrap()
        .unwrap();
        let two = install(Some(2), || {
            encode(
                &t,
                &[group(&["name"])],
                &key(),
                EncodingOptions::default(),
                &Cancel::new(),
            )
        })
        .unwrap()
        .unwrap();
        assert_eq!(one, two);
    }
}
