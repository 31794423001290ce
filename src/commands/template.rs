//! `resource template` and `resource map`: rendering only, no cluster.

use crate::cli::{GlobalArgs, ResourceArgs};

pub fn template(_global: &GlobalArgs, _args: &ResourceArgs) -> anyhow::Result<()> {
    anyhow::bail!("resource template is not implemented yet")
}

pub fn map(_global: &GlobalArgs) -> anyhow::Result<()> {
    anyhow::bail!("resource map is not implemented yet")
}
