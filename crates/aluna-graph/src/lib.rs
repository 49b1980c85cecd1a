//! Case-link graphs: compact CSR storage keyed by the user's ids, builders from edge and node
//! tables, subgraphs by node set, link type and time, and network algorithms.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]
#![warn(missing_docs)]

mod components;
mod csr;
mod degree;
mod graph;
mod layers;
mod records;
mod role;
mod subgraph;
mod tables;

pub use components::{connected_components, strongly_connected_components};
pub use csr::Csr;
pub use degree::{degree, strength, Direction};
pub use graph::{CaseGraph, EdgeRows, GraphOptions};
pub use layers::{
    layer_degrees, layer_overlap, layer_summary, LayerDegrees, LayerOverlap, LayerSummary,
};
pub use records::{
    co_offending, link_records, CoOffendingReport, DroppedValue, IdentifierReport, LinkColumns,
    LinkOptions, LinkReport, ParticipationColumns, Weighting,
};
pub use role::Role;
pub use subgraph::SubgraphFilter;
pub use tables::{read_roles, EdgeColumns, NodeColumns, ObservationColumns};
