//! The local cluster's simulated nodes (kwok's): creating them, reading their readiness,
//! failing and restoring them. Only kolla-dash's own dev cluster has such nodes.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, bail};
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{ListParams, ObjectMeta, Patch, PatchParams, PostParams};
use kube::{Api, Client};

use super::apply::explain_what;

/// Label kwok selects the nodes it manages by (`--manage-nodes-with-label-selector`).
pub const KWOK_NODE_LABEL: &str = "kolla-dash.dev/kwok";
const NAME_PREFIX: &str = "kolla-node-";
/// Node label (value [`NOT_READY`]) that drives kwok's not-ready stage, and pod annotation
/// (value `fail`) that makes a pod end Failed; see assets/kwok/stages.yaml.
pub const SIMULATE: &str = "kolla-dash.dev/simulate";
pub const NOT_READY: &str = "not-ready";
/// Pod annotation (value: the node) that fail-node puts on the pods of the node it fails:
/// kwok's pod-recover stage leaves them alone, so a pod on a dead node that something
/// marked not ready stays so, as with a real kubelet that is down; restore-node lifts it.
pub const NODE_FAILED: &str = "kolla-dash.dev/node-failed";
/// The labels the kolla guide's node selectors use.
const KOLLA_ROLES: [&str; 2] = ["kolla_controller", "kolla_compute"];

pub fn node_name(index: u32) -> String {
    format!("{NAME_PREFIX}{index}")
}

/// Creates nodes `kolla-node-1..=count`; ones that exist already are left alone.
pub async fn create(client: &Client, count: u32) -> anyhow::Result<()> {
    let api: Api<Node> = Api::all(client.clone());
    for index in 1..=count {
        let name = node_name(index);
        let mut labels: BTreeMap<String, String> = [
            (KWOK_NODE_LABEL, "true"),
            ("kubernetes.io/hostname", name.as_str()),
            ("kubernetes.io/os", "linux"),
            ("kubernetes.io/arch", "amd64"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        labels.extend(KOLLA_ROLES.map(|role| (role.to_owned(), "true".to_owned())));
        let node = Node {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                labels: Some(labels),
                ..ObjectMeta::default()
            },
            ..Node::default()
        };
        match api.create(&PostParams::default(), &node).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.is_already_exists() => {}
            Err(e) => return Err(explain_what(e, "create", &format!("node {name}"))),
        }
    }
    Ok(())
}

/// Ready condition of every kwok-managed node, by name.
pub async fn readiness(client: &Client) -> anyhow::Result<BTreeMap<String, bool>> {
    Ok(list(client)
        .await?
        .iter()
        .filter_map(|n| Some((n.metadata.name.clone()?, is_ready(n))))
        .collect())
}

/// Names of nodes that are Ready and that the node lifecycle controller has seen so: until
/// it lifts the `node.kubernetes.io/not-ready` taint a new node gets no pods, and a workload
/// created at once would pile onto whichever node was cleared first.
pub async fn schedulable(client: &Client) -> anyhow::Result<BTreeSet<String>> {
    Ok(list(client)
        .await?
        .iter()
        .filter(|n| is_ready(n) && !has_condition_taint(n))
        .filter_map(|n| n.metadata.name.clone())
        .collect())
}

async fn list(client: &Client) -> anyhow::Result<Vec<Node>> {
    list_labelled(client, &format!("{KWOK_NODE_LABEL}=true")).await
}

async fn list_labelled(client: &Client, selector: &str) -> anyhow::Result<Vec<Node>> {
    let api: Api<Node> = Api::all(client.clone());
    let nodes = api
        .list(&ListParams::default().labels(selector))
        .await
        .map_err(|e| explain_what(e, "list", "nodes"))?;
    Ok(nodes.items)
}

/// Every simulated node, failed ones too, in name order (`fail-node --all`).
pub async fn node_names(client: &Client) -> anyhow::Result<Vec<String>> {
    let mut names: Vec<String> = list_labelled(client, KWOK_NODE_LABEL)
        .await?
        .into_iter()
        .filter_map(|n| n.metadata.name)
        .collect();
    names.sort();
    Ok(names)
}

fn has_condition_taint(node: &Node) -> bool {
    node.spec
        .as_ref()
        .and_then(|s| s.taints.as_ref())
        .is_some_and(|ts| ts.iter().any(|t| t.key.starts_with("node.kubernetes.io/")))
}

pub fn is_ready(node: &Node) -> bool {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// How a node fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The kubelet reports Ready=False but keeps working (kwok's not-ready stage): pods
    /// are evicted and their deletion confirmed.
    NotReady,
    /// The kubelet disappears (kwok stops managing the node): its lease lapses, the node
    /// goes Unknown, and evicted pods stay Terminating because nothing confirms deletion.
    Vanished,
}

/// Fails naming the nodes there are when `name` is not one of them.
async fn ensure_node(client: &Client, name: &str) -> anyhow::Result<()> {
    let found = Api::<Node>::all(client.clone())
        .get_opt(name)
        .await
        .map_err(|e| explain_what(e, "read", &format!("node {name}")))?;
    if found.is_none() {
        let names = node_names(client).await?;
        bail!("no node named {name:?}; nodes: {}", names.join(", "));
    }
    Ok(())
}

async fn patch_labels(
    client: &Client,
    name: &str,
    labels: serde_json::Value,
) -> anyhow::Result<()> {
    let patch = serde_json::json!({ "metadata": { "labels": labels } });
    Api::<Node>::all(client.clone())
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(|e| explain_what(e, "label", &format!("node {name}")))?;
    Ok(())
}

/// Sets (`failed`) or lifts [`NODE_FAILED`] on the pods placed on `node`.
async fn mark_pods(client: &Client, node: &str, failed: bool) -> anyhow::Result<()> {
    let pods: Api<Pod> = Api::all(client.clone());
    let on_node = pods
        .list(&ListParams::default().fields(&format!("spec.nodeName={node}")))
        .await
        .map_err(|e| explain_what(e, "list the pods on", &format!("node {node}")))?;
    for pod in on_node.items {
        let (Some(name), Some(ns)) = (pod.metadata.name, pod.metadata.namespace) else {
            continue;
        };
        let marked = pod
            .metadata
            .annotations
            .is_some_and(|a| a.contains_key(NODE_FAILED));
        if marked == failed {
            continue;
        }
        let value = failed.then_some(node);
        let patch = serde_json::json!({ "metadata": { "annotations": { NODE_FAILED: value } } });
        match Api::<Pod>::namespaced(client.clone(), &ns)
            .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
        {
            Ok(_) => {}
            // Gone meanwhile: nothing left to mark.
            Err(kube::Error::Api(s)) if s.is_not_found() => {}
            Err(e) => return Err(explain_what(e, "annotate", &format!("pod {ns}/{name}"))),
        }
    }
    Ok(())
}

/// Makes a node fail the given way. Its pods are marked first, so nothing re-readies one
/// of them while the node is down.
pub async fn fail(client: &Client, name: &str, how: Failure) -> anyhow::Result<()> {
    let labels = match how {
        Failure::NotReady => serde_json::json!({ SIMULATE: NOT_READY }),
        Failure::Vanished => serde_json::json!({ KWOK_NODE_LABEL: "false" }),
    };
    ensure_node(client, name).await?;
    mark_pods(client, name, true).await?;
    patch_labels(client, name, labels).await
}

/// Undoes either failure: kwok manages the node again, it reports Ready, and its pods may
/// report Ready again.
pub async fn restore(client: &Client, name: &str) -> anyhow::Result<()> {
    let labels = serde_json::json!({ SIMULATE: null, KWOK_NODE_LABEL: "true" });
    ensure_node(client, name).await?;
    patch_labels(client, name, labels).await?;
    mark_pods(client, name, false).await
}

/// A way to make a pod go wrong (kwok's rehearsal stages act on the annotation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breakage {
    ImagePull,
    CrashLoop,
    Oom,
    Unready,
    Evicted,
}

impl Breakage {
    /// The `SIMULATE` annotation value assets/kwok/rehearsal.yaml reacts to.
    fn annotation(self) -> &'static str {
        match self {
            Breakage::ImagePull => "image-pull",
            Breakage::CrashLoop => "crash-loop",
            Breakage::Oom => "oom",
            Breakage::Unready => "unready",
            Breakage::Evicted => "evicted",
        }
    }

    /// What the operator will see, for the command's answer.
    pub fn what(self) -> &'static str {
        match self {
            Breakage::ImagePull => "its image cannot be pulled (ImagePullBackOff)",
            Breakage::CrashLoop => "its container crashes over and over (CrashLoopBackOff)",
            Breakage::Oom => "its container is OOMKilled over and over",
            Breakage::Unready => "it runs, but its readiness probe fails",
            Breakage::Evicted => "the kubelet evicts it",
        }
    }
}

/// Marks a pod to go wrong `how`. An image that cannot be pulled only matters before a
/// container starts, so that pod is also put back to Pending, as if it were just created.
pub async fn break_pod(
    client: &Client,
    namespace: &str,
    name: &str,
    how: Breakage,
) -> anyhow::Result<()> {
    let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let patch = serde_json::json!({"metadata": {"annotations": {SIMULATE: how.annotation()}}});
    api.patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(|e| match e {
            kube::Error::Api(s) if s.is_not_found() => {
                anyhow::anyhow!("no pod named {name} in namespace {namespace}")
            }
            other => anyhow::Error::new(other).context(format!("annotating pod {name}")),
        })?;
    if how == Breakage::ImagePull {
        let status = serde_json::json!({"status": {
            "phase": "Pending",
            "conditions": [{"type": "Ready", "status": "False", "reason": "ContainersNotReady"}],
            "containerStatuses": [],
        }});
        api.patch_status(name, &PatchParams::default(), &Patch::Merge(&status))
            .await
            .with_context(|| format!("putting pod {name} back to Pending"))?;
    }
    Ok(())
}
