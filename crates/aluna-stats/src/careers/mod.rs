//! Offending careers: group-based trajectory models, career parameters, specialisation and
//! escalation.
//!
//! * [`panel`]: a person-period panel of counts, checked and laid out for trajectory models.
//! * [`trajectories`]: group-based trajectory models (Poisson, zero-inflated Poisson, logit)
//!   fitted by EM with seeded starts (Nagin 2005); [`inference`]: their covariance, fitted
//!   trajectories with intervals and adequacy criteria; [`model`]: the within-group models.

pub mod inference;
pub mod model;
pub mod panel;
pub mod trajectories;
