//! Models on tabular data: the design-matrix layer, regression and survival analysis shaped for
//! re-offending data, model evaluation and fairness, causal effects, offending careers.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]
#![warn(missing_docs)]

pub mod careers;
pub mod causal;
pub mod columns;
pub mod competing;
pub mod cox;
pub mod design;
pub mod fairness;
pub mod linalg;
pub mod linear;
pub mod logistic;
pub mod matching;
pub mod metrics;
pub mod panel;
pub mod survival;
