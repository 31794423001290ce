//! The pure model: state plus `update(msg) -> effects`. No tokio, kube, crossterm, ratatui
//! or I/O here; the event loop feeds messages in and carries effects out.

pub mod command;
pub mod grid;
pub mod incident;
pub mod log;
pub mod msg;
pub mod state;
pub mod status;
pub mod store;
pub mod summary;
mod update;
pub mod workflow;

pub use grid::Row;
pub use incident::{IncidentEvent, IncidentTracker};
pub use msg::{Action, Connection, Effect, Key, Msg, NodeOp};
pub use state::{Confirm, Header, Mode, Model, ModelConfig, Pane, StatusLine, Subject, Typed};
pub use status::CellStatus;
pub use update::update;

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_dash;
