//! Case-link graphs: compact CSR storage keyed by the user's ids, builders from edge and node
//! tables, subgraphs by node set, link type and time, and network algorithms.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]
#![warn(missing_docs)]

pub mod centrality;
mod components;
mod csr;
mod degree;
mod graph;
mod role;
mod subgraph;
mod tables;

pub use components::{connected_components, strongly_connected_components};
pub use csr::Csr;
pub use degree::{degree, strength, Direction};
pub use graph::{CaseGraph, EdgeRows, GraphOptions};
pub use role::Role;
pub use subgraph::SubgraphFilter;
pub use tables::{read_roles, EdgeColumns, NodeColumns};
