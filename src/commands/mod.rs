//! The headless commands: each turns parsed arguments into calls on the engine.

pub mod dash;
pub mod diff;
pub mod incidents;
pub mod rbac;
pub mod template;
pub mod verbs;
pub mod workflow;
