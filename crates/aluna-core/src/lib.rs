//! Foundations shared by every aluna crate: the error type, the mapping between the user's ids
//! and dense indices, Arrow ingestion, seeded random streams and deterministic parallel
//! reductions.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]
#![warn(missing_docs)]

pub mod error;
pub mod ids;
pub mod parallel;
pub mod random;
pub mod table;

pub use error::{Error, Result};
