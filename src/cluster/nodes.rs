//! Node actions: cordon, uncordon and drain on any cluster (drain evicts through the
//! Eviction API, so PodDisruptionBudgets are respected, and refuses, before cordoning, to
//! lose what `drain::verdict` says would be lost unless forced).

use std::time::Duration;

use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{EvictParams, ListParams, Patch, PatchParams};
use kube::{Api, Client};

use super::apply::explain_what;
use crate::drain::{self, NodePod, Verdict};

/// How long the dashboard's drain keeps retrying evictions a PodDisruptionBudget refuses.
pub const DRAIN_PATIENCE: Duration = Duration::from_secs(60);
const RETRY: Duration = Duration::from_secs(1);

/// Marks a node (un)schedulable.
pub async fn cordon(client: &Client, node: &str, unschedulable: bool) -> anyhow::Result<()> {
    let patch = serde_json::json!({"spec": {"unschedulable": unschedulable}});
    Api::<Node>::all(client.clone())
        .patch(node, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(|e| match e {
            kube::Error::Api(s) if s.is_not_found() => anyhow::anyhow!("no node named {node}"),
            kube::Error::Api(s) if s.is_forbidden() => {
                anyhow::anyhow!(
                    "forbidden: your credentials may not patch node {node} (RBAC); \
                     `kolla-dash rbac --node-actions` prints the rights node actions need"
                )
            }
            other => explain_what(other, "cordon", &format!("node {node}")),
        })?;
    Ok(())
}

/// A drain refused because it would lose pods: each one and why (`drain::losses`).
#[derive(Debug, thiserror::Error)]
#[error("{}", drain::refusal(.node, .losses))]
pub struct WouldLose {
    pub node: String,
    pub losses: Vec<String>,
}

/// Cordons the node and evicts every pod on it except DaemonSet and mirror pods. Returns
/// the number of pods evicted. Unless `force`, a node with pods that would be lost (no
/// controller, emptyDir data, outside kolla's `namespace`) is left as it was, uncordoned,
/// with a [`WouldLose`] error. Evictions a PodDisruptionBudget refuses (HTTP 429) are
/// retried for `patience`, then reported.
pub async fn drain(
    client: &Client,
    node: &str,
    namespace: &str,
    force: bool,
    patience: Duration,
) -> anyhow::Result<usize> {
    let pods: Api<Pod> = Api::all(client.clone());
    let on_node = pods
        .list(&ListParams::default().fields(&format!("spec.nodeName={node}")))
        .await
        .map_err(|e| explain_what(e, "list the pods on", &format!("node {node}")))?;
    let judged: Vec<(&Pod, NodePod)> = on_node.items.iter().map(|p| (p, node_pod(p))).collect();
    let described: Vec<NodePod> = judged.iter().map(|(_, d)| d.clone()).collect();
    let losses = drain::losses(&described, namespace);
    if !force && !losses.is_empty() {
        return Err(WouldLose {
            node: node.to_string(),
            losses,
        }
        .into());
    }
    cordon(client, node, true).await?;
    let mut evicted = 0;
    let leaving = judged
        .iter()
        .filter(|(_, d)| drain::verdict(d, namespace) != Verdict::Stays)
        .map(|(p, _)| *p);
    for pod in leaving {
        let (Some(name), Some(ns)) = (&pod.metadata.name, &pod.metadata.namespace) else {
            continue;
        };
        let api: Api<Pod> = Api::namespaced(client.clone(), ns);
        let deadline = tokio::time::Instant::now() + patience;
        // A refused eviction is HTTP 429 (our client does not retry it): retried here
        // until the deadline, then reported with the last refusal's reason.
        let mut why = "no answer".to_string();
        let refused = |why: &str| {
            anyhow::anyhow!(
                "drain of {node} stopped after {} s: evicting {ns}/{name} is still refused \
                 ({why})",
                patience.as_secs()
            )
        };
        loop {
            match tokio::time::timeout_at(deadline, api.evict(name, &EvictParams::default())).await
            {
                Err(_) => return Err(refused(&why)),
                Ok(Ok(_)) => break,
                Ok(Err(kube::Error::Api(s))) if s.is_not_found() => break,
                Ok(Err(kube::Error::Api(s))) if s.code == 429 => {
                    why = eviction_refusal(&s);
                    if tokio::time::Instant::now() + RETRY > deadline {
                        return Err(refused(&why));
                    }
                    tokio::time::sleep(RETRY).await;
                }
                Ok(Err(e)) => return Err(explain_what(e, "evict", &format!("pod {ns}/{name}"))),
            }
        }
        evicted += 1;
    }
    Ok(evicted)
}

/// Why the API server refused an eviction with 429: a PodDisruptionBudget says so in the
/// answer's causes (`DisruptionBudget`: how many healthy pods it needs, how many there
/// are); any other 429 is the server asking clients to slow down.
fn eviction_refusal(status: &kube::core::Status) -> String {
    let budget = status
        .details
        .iter()
        .flat_map(|d| &d.causes)
        .find(|c| c.reason == "DisruptionBudget");
    match budget {
        Some(cause) => format!("by a PodDisruptionBudget: {}", cause.message),
        None => format!(
            "the API server answers 429 Too Many Requests: {}",
            status.message
        ),
    }
}

/// What draining judges a pod by.
fn node_pod(pod: &Pod) -> NodePod {
    let controller = pod
        .metadata
        .owner_references
        .iter()
        .flatten()
        .find(|o| o.controller == Some(true))
        .map(|o| o.kind.clone());
    let empty_dir = pod
        .spec
        .iter()
        .flat_map(|s| s.volumes.iter().flatten())
        .any(|v| v.empty_dir.is_some());
    let mirror = pod
        .metadata
        .annotations
        .as_ref()
        .is_some_and(|a| a.contains_key("kubernetes.io/config.mirror"));
    NodePod {
        namespace: pod.metadata.namespace.clone().unwrap_or_default(),
        name: pod.metadata.name.clone().unwrap_or_default(),
        controller,
        empty_dir,
        mirror,
    }
}
