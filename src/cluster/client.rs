//! Connecting to a cluster the way kubectl does: KUBECONFIG or ~/.kube/config (with an
//! optional `--context`), else the in-cluster service account.

use anyhow::Context as _;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

/// A client plus the name the header shows for it.
#[derive(Clone)]
pub struct Cluster {
    pub client: Client,
    /// The kubeconfig context, or "in-cluster".
    pub context: String,
}

/// Connects like kubectl. `context` overrides the kubeconfig's current context.
pub async fn connect(context: Option<&str>) -> anyhow::Result<Cluster> {
    match Kubeconfig::read() {
        Ok(kubeconfig) => {
            let name = context
                .map(str::to_string)
                .or_else(|| kubeconfig.current_context.clone())
                .context("the kubeconfig has no current context; pass --context NAME")?;
            if !kubeconfig.contexts.iter().any(|c| c.name == name) {
                let known: Vec<&str> = kubeconfig
                    .contexts
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect();
                anyhow::bail!(
                    "context '{name}' is not in the kubeconfig; known contexts: {}",
                    known.join(", ")
                );
            }
            let options = KubeConfigOptions {
                context: Some(name.clone()),
                ..KubeConfigOptions::default()
            };
            let config = Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .with_context(|| format!("cannot use kubeconfig context '{name}'"))?;
            let client = Client::try_from(config).context("cannot build a Kubernetes client")?;
            Ok(Cluster {
                client,
                context: name,
            })
        }
        Err(kubeconfig_err) => {
            if context.is_some() {
                return Err(kubeconfig_err).context("--context needs a kubeconfig");
            }
            let config = Config::incluster().map_err(|e| {
                anyhow::anyhow!(
                    "no cluster to talk to: no kubeconfig ({kubeconfig_err}) and not in a pod ({e}). \
                     Set KUBECONFIG, or run `kolla-dash demo` for a local cluster"
                )
            })?;
            let client = Client::try_from(config).context("cannot build a Kubernetes client")?;
            Ok(Cluster {
                client,
                context: "in-cluster".into(),
            })
        }
    }
}
