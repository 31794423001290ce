//! `kolla-dash dev-cluster ...`

use crate::cli::DevClusterCommand;

pub async fn run(_cmd: DevClusterCommand) -> anyhow::Result<()> {
    anyhow::bail!("dev-cluster is not implemented yet")
}
