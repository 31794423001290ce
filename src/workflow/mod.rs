//! The workflow engine: a plan of steps with real wait conditions, and its executor.

pub mod conditions;
pub mod plan;
pub mod run;
pub mod schedule;
