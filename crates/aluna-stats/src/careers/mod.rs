//! Offending careers: group-based trajectory models, career parameters, specialisation and
//! escalation.
//!
//! * [`panel`]: a person-period panel of counts, checked and laid out for trajectory models.
//! * [`trajectories`]: group-based trajectory models (Poisson, zero-inflated Poisson, logit)
//!   fitted by EM with seeded starts (Nagin 2005); [`inference`]: their covariance, fitted
//!   trajectories with intervals and adequacy criteria; [`model`]: the within-group models.
//! * [`parameters`]: career parameters per person (onset, last offence, length, frequency λ,
//!   sexual and other offences).
//! * [`specialisation`]: diversity (Blau), forward specialisation (Farrington) and escalation
//!   in seriousness.

pub mod inference;
pub mod model;
pub mod panel;
pub mod parameters;
pub mod specialisation;
pub mod trajectories;
