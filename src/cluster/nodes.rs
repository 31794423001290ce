//! Node actions: cordon, uncordon and drain on any cluster (drain evicts through the
//! Eviction API, so PodDisruptionBudgets are respected).

use std::time::Duration;

use anyhow::Context as _;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{EvictParams, ListParams, Patch, PatchParams};
use kube::{Api, Client};

/// How long a drain keeps retrying evictions a PodDisruptionBudget refuses.
const DRAIN_PATIENCE: Duration = Duration::from_secs(60);
const RETRY: Duration = Duration::from_secs(2);

/// Marks a node (un)schedulable.
pub async fn cordon(client: &Client, node: &str, unschedulable: bool) -> anyhow::Result<()> {
    let patch = serde_json::json!({"spec": {"unschedulable": unschedulable}});
    Api::<Node>::all(client.clone())
        .patch(node, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(|e| match e {
            kube::Error::Api(s) if s.is_not_found() => anyhow::anyhow!("no node named {node}"),
            kube::Error::Api(s) if s.is_forbidden() => {
                anyhow::anyhow!("forbidden: your credentials may not patch node {node} (RBAC)")
            }
            other => anyhow::Error::new(other).context(format!("cannot cordon {node}")),
        })?;
    Ok(())
}

/// Cordons the node and evicts every pod on it except DaemonSet and mirror pods. Returns
/// the number of pods evicted. Evictions a PodDisruptionBudget refuses (HTTP 429) are
/// retried for a while, then reported.
pub async fn drain(client: &Client, node: &str) -> anyhow::Result<usize> {
    cordon(client, node, true).await?;
    let pods: Api<Pod> = Api::all(client.clone());
    let on_node = pods
        .list(&ListParams::default().fields(&format!("spec.nodeName={node}")))
        .await
        .with_context(|| format!("cannot list the pods on {node}"))?;
    let mut evicted = 0;
    for pod in on_node.items.iter().filter(|p| evictable(p)) {
        let (Some(name), Some(ns)) = (&pod.metadata.name, &pod.metadata.namespace) else {
            continue;
        };
        let api: Api<Pod> = Api::namespaced(client.clone(), ns);
        let deadline = tokio::time::Instant::now() + DRAIN_PATIENCE;
        loop {
            match api.evict(name, &EvictParams::default()).await {
                Ok(_) => break,
                Err(kube::Error::Api(s)) if s.is_not_found() => break,
                Err(kube::Error::Api(s)) if s.code == 429 => {
                    if tokio::time::Instant::now() > deadline {
                        anyhow::bail!(
                            "drain of {node} stopped: a PodDisruptionBudget keeps refusing to evict {ns}/{name} ({})",
                            s.message
                        );
                    }
                    tokio::time::sleep(RETRY).await;
                }
                Err(e) => return Err(e).with_context(|| format!("cannot evict {ns}/{name}")),
            }
        }
        evicted += 1;
    }
    Ok(evicted)
}

/// DaemonSet pods come back on the same node, and mirror pods belong to the kubelet.
fn evictable(pod: &Pod) -> bool {
    let owned_by_daemonset = pod
        .metadata
        .owner_references
        .iter()
        .flatten()
        .any(|o| o.kind == "DaemonSet");
    let mirror = pod
        .metadata
        .annotations
        .as_ref()
        .is_some_and(|a| a.contains_key("kubernetes.io/config.mirror"));
    !owned_by_daemonset && !mirror
}
