//! The dashboard's model: state plus `update(msg) -> effects`. The event loop feeds
//! messages in and carries effects out; nothing here waits, reads a clock or does I/O.

pub mod command;
pub mod confirm;
pub mod disruption;
pub mod grid;
pub mod incident;
pub mod input;
pub mod keymap;
pub mod log;
pub mod msg;
pub mod state;
pub mod store;
pub mod switch;
mod update;
pub mod workflow;

pub use grid::Row;
pub use incident::{IncidentEvent, IncidentTracker};
pub use input::TextInput;
pub use msg::{Action, Connection, Consent, Effect, Key, Liveness, Msg, NodeOp};
pub use state::{
    Confirm, Header, Mode, Model, ModelConfig, Pane, StatusLine, Subject, Tally, Typed,
};
pub use update::update;

pub use crate::status::CellStatus;

/// Hand-built summaries and models for tests (also the binary crate's, with the `fixtures`
/// feature).
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_consent;
#[cfg(test)]
mod tests_dash;
#[cfg(test)]
mod tests_drift;
