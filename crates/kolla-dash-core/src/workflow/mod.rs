//! The workflow's pure half: the deploy/teardown plan and its schedule. Whether a step's
//! condition holds is the store's call (`Store::condition`), by the grid's own status rules.
//! The executor that acts on a cluster lives in the binary crate (`executor.rs`).

pub mod plan;
pub mod schedule;
