//! Case-link graphs: compact CSR storage keyed by the user's ids, builders from edge and node
//! tables, subgraphs by node set, link type and time, and network algorithms.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]
#![warn(missing_docs)]

mod brokerage;
mod build;
pub mod centrality;
mod community;
mod components;
mod csr;
mod degree;
mod disruption;
mod distances;
mod features;
mod graph;
mod key_players;
mod layers;
mod layout;
mod records;
mod role;
mod stream;
mod structural_holes;
mod subgraph;
mod tables;
mod targets;

pub use brokerage::{brokerage, BrokerageRole, BrokerageScores};
pub use community::{
    communities, group_summary, modularity, CommunityMethod, CommunityOptions, GroupSummary,
    GroupSummaryOptions, Partition,
};
pub use components::{connected_components, strongly_connected_components};
pub use csr::Csr;
pub use degree::{degree, strength, Direction};
pub use disruption::{
    disruption, AddedLink, Disruption, DisruptionOptions, DisruptionStep, DisruptionStrategy,
    Recovery,
};
pub use features::{node_features, node_features_as_of, FeatureOptions, FeatureRow, NodeFeatures};
pub use graph::{CaseGraph, EdgeRows, GraphOptions};
pub use key_players::{
    key_players, KeyPlayerMove, KeyPlayerObjective, KeyPlayerOptions, KeyPlayerStep, KeyPlayers,
};
pub use layers::{
    layer_degrees, layer_overlap, layer_summary, LayerDegrees, LayerOverlap, LayerSummary,
};
pub use layout::{layout, LayoutOptions};
pub use records::{
    co_offending, link_records, CoOffendingReport, DroppedValue, IdentifierReport, LinkColumns,
    LinkOptions, LinkReport, ParticipationColumns, Weighting,
};
pub use role::Role;
pub use stream::GraphBuilder;
pub use structural_holes::{constraint, effective_size, StructuralHoleOptions};
pub use subgraph::SubgraphFilter;
pub use tables::{read_roles, EdgeColumns, NodeColumns, ObservationColumns};
pub use targets::TargetFilter;
