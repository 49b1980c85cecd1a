//! Keyed pseudonymisation, disclosure control (k-anonymity, small-cell suppression, noisy counts)
//! and privacy-preserving record linkage between agencies.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]
#![warn(missing_docs)]
