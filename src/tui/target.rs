//! What `:ctx` and `:ns` need from the world, built off the event loop: the engine of the
//! target switched to, and the names a picker offers (one list each time it opens; nothing
//! is polled).

use crate::cli::RequestTimeout;
use crate::cluster::client::{self, connect};
use crate::cluster::namespace;
use crate::engine::Engine;
use crate::model::switch::{Choice, Pick, Target};

/// The engine for `target`, from the current one: the same catalog and config on another
/// kubeconfig context's cluster (the namespace kept), or in another namespace of the same
/// cluster (checked as `--namespace` is).
pub async fn engine_for(
    current: &Engine,
    target: &Target,
    timeout: RequestTimeout,
) -> anyhow::Result<Engine> {
    let mut config = current.config.clone();
    let cluster = match target.pick {
        Pick::Namespace => {
            config.set_namespace(&target.name)?;
            current.cluster.clone()
        }
        Pick::Context => connect(Some(&target.name), timeout).await?,
    };
    Ok(Engine::new(current.catalog.clone(), config, cluster))
}

/// What a picker offers: the kubeconfig's contexts, or the namespaces these credentials may
/// list (each marked when kolla-dash created it); the error is one sentence for the picker.
pub async fn choices(engine: &Engine, pick: Pick) -> Result<Vec<Choice>, String> {
    let listed = match pick {
        Pick::Context => client::contexts().map(|names| {
            names
                .into_iter()
                .map(|name| Choice { name, kolla: false })
                .collect()
        }),
        Pick::Namespace => namespace::list(&engine.cluster.client).await,
    };
    listed.map_err(|e| format!("{e:#}"))
}
