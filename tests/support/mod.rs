//! Shared by the integration tests that drive the real binary.

// Each test binary compiles this whole module and uses a different part of it.
#![allow(dead_code)]

pub mod cluster;
pub mod dash;
pub mod pty;
