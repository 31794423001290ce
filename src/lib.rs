//! kolla-dash: deploy and watch a kolla OpenStack control plane on Kubernetes.
//!
//! This crate does the I/O around the pure core (`kolla-dash-core`, re-exported below so
//! `crate::model` reads the same on both sides): `cluster` is the only code that talks to
//! Kubernetes; `engine` composes it into the verbs; `executor` runs a workflow plan;
//! `ui` draws from the model; `tui` owns the terminal and the event loop; `devcluster` runs
//! a local control plane for the demo and the tests. See docs/architecture.md.

pub use kolla_dash_core::{
    access, catalog, config, diagnosis, drain, drift, kind, labels, model, overrides, ownership,
    record, render, status, summary, values, workflow, yaml,
};

pub mod app;
pub mod cli;
pub mod cluster;
pub mod commands;
pub mod complete;
pub mod devcluster;
pub mod engine;
pub mod executor;
pub mod tui;
pub mod ui;
