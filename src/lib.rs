//! kolla-dash: deploy and watch a kolla OpenStack control plane on Kubernetes.
//!
//! Layout: `model` is pure state updated by messages; `cluster` is the only code that talks
//! to Kubernetes; `ui` draws from the model; `tui` owns the terminal and the event loop;
//! `devcluster` runs a local control plane for the demo and the tests.

pub mod cli;
pub mod kind;
pub mod model;
pub mod app;
pub mod commands;
pub mod devcluster;
pub mod labels;
pub mod ui;
