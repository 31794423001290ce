//! Shared by every integration test and benchmark (benches include it with
//! `#[path = "../tests/support/mod.rs"] mod support;`): local clusters (one per test
//! binary, shared, or one of a test's own), the one launcher of the binary, the dashboard
//! core fed by hand, the binary in a pseudo-terminal, and waiting on conditions.

// Each test binary compiles this whole module and uses a different part of it.
#![allow(dead_code)]

pub mod cluster;
pub mod dash;
pub mod launch;
pub mod proxy;
pub mod pty;
mod shared;
pub mod wait;
