//! kolla-dash: deploy and watch a kolla OpenStack control plane on Kubernetes.
//!
//! Layout: `model` is pure state updated by messages; `cluster` is the only code that talks
//! to Kubernetes; `ui` draws from the model; `tui` owns the terminal and the event loop;
//! `devcluster` runs a local control plane for the demo and the tests.

pub mod app;
pub mod catalog;
pub mod cli;
pub mod cluster;
pub mod commands;
pub mod config;
pub mod devcluster;
pub mod engine;
pub mod kind;
pub mod labels;
pub mod model;
pub mod render;
pub mod tui;
pub mod ui;
pub mod workflow;
pub mod yaml;
