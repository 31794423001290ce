//! The only code that talks to Kubernetes: connecting, asking what RBAC allows, applying,
//! watching, events and logs.

pub mod access;
pub mod apply;
pub mod client;
pub mod foreign;
pub mod kinds;
pub mod lean;
pub mod list;
pub mod liveness;
pub mod logs;
pub mod namespace;
pub mod nodes;
pub mod simulate;
pub mod summarize;
pub mod volumes;
pub mod watch;
