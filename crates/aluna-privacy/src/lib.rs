//! Keyed pseudonymisation, disclosure control (k-anonymity, small-cell suppression, noisy counts)
//! and privacy-preserving record linkage between agencies.
//!
//! - [`key`]: secret keys held in wiped memory, HMAC-SHA256, public fingerprints.
//! - [`pseudonym`]: keyed tokens `kind:` + 16 hex digits (or 64-bit integers).
//! - [`linkage`]: Bloom-filter encodings of records, Dice comparisons, blocking, greedy
//!   one-to-one assignment.
//! - [`bands`]: MinHash band keys of encodings (locality-sensitive blocking), Dice of aligned
//!   pairs.
//! - [`disclosure`]: equivalence classes of quasi-identifiers, k-anonymity, l-diversity,
//!   record-level re-identification risk.
//! - [`suppression`]: primary and secondary suppression of small cells in tables of counts.
//! - [`noise`]: differentially private counts (discrete Laplace, discrete Gaussian) with exact
//!   samplers and their privacy accounting.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]
#![warn(missing_docs)]

pub mod bands;
pub mod disclosure;
pub mod key;
pub mod linkage;
pub mod noise;
pub mod pseudonym;
pub mod suppression;
pub mod text;
