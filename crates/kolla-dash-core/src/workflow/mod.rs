//! The workflow's pure half: the deploy/teardown plan, its schedule, and whether a step's
//! condition holds (judged by the same status rules as the grid). The executor that acts on
//! a cluster lives in the binary crate (`executor.rs`).

pub mod plan;
pub mod readiness;
pub mod schedule;
