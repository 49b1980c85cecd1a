//! Case-link graphs built from case records: entities linked by shared identifiers
//! ([`link_records`]) and persons linked by shared cases ([`co_offending`]).
//!
//! Both read an Arrow [`Table`](aluna_core::table::Table) of records, group rows by the value
//! they share (a counting sort, linear in the rows), and emit one observation per linked pair
//! and evidence kind, so the resulting [`CaseGraph`](crate::CaseGraph) carries its evidence:
//! which identifier columns (or which crime types) link a pair, how many values, and when.

mod co_offending;
mod group;
mod link;

pub use co_offending::{co_offending, CoOffendingReport, ParticipationColumns};
pub use link::{
    link_records, DroppedValue, IdentifierReport, LinkColumns, LinkOptions, LinkReport, Weighting,
};
