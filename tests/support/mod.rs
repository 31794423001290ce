//! Shared by the integration tests that drive the real binary.

#![allow(dead_code)] // each test binary uses a different part

pub mod pty;
