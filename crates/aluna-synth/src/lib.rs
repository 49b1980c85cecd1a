//! Synthetic benchmark datasets with known ground truth: offender cohorts, case networks,
//! programme evaluations, victims, offending careers and agency record pairs.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]
#![warn(missing_docs)]
