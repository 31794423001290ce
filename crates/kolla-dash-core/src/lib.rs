//! kolla-dash's pure core: everything that decides, nothing that does I/O on a cluster or a
//! terminal. Its manifest has no tokio, kube, ratatui, crossterm or clap dependency, so the
//! compiler keeps it that way.
//!
//! Layers, each using only those above it:
//! - `kind`, `labels`, `values`, `yaml`: names, value grammars and parsing shared by
//!   everything;
//! - `catalog`, `overrides`, `config`, `render`: services, the operator's overrides and config,
//!   manifests from templates;
//! - `summary`: the compact objects the cluster side hands in;
//! - `ownership`, `record`, `drain`: what is kolla-dash's to touch, the bootstrap record on
//!   a service's data, what draining a node would lose;
//! - `drift`: what deploy would change in the objects kolla-dash applies (desired vs live);
//! - `status`: the one set of rules from summaries to a cell's status;
//! - `diagnosis`: why a cell is not ready, one sentence per root cause;
//! - `workflow`: the deploy/teardown plan and its schedule;
//! - `access`: the RBAC rights all of the above needs (`kolla-dash rbac`, checks before acting);
//! - `model`: the dashboard's state, its keymap and the reducer `update(&mut Model, Msg)`.

pub mod access;
pub mod catalog;
pub mod config;
pub mod diagnosis;
pub mod drain;
pub mod drift;
pub mod kind;
pub mod labels;
pub mod model;
pub mod overrides;
pub mod ownership;
pub mod record;
pub mod render;
pub mod status;
pub mod summary;
pub mod values;
pub mod workflow;
pub mod yaml;
