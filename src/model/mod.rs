//! The pure model: state plus `update(msg)`. No tokio, kube or ratatui imports here.

pub mod summary;
