//! Pods as the watchers read them: only the fields their summaries use. A namespace's pods
//! are by far its biggest list, and most of each pod's JSON (volumes, env, probes,
//! tolerations, managedFields) is never looked at: parsed into these types it is skipped
//! without being built, which makes the first list cheaper to read and to hold.

use std::borrow::Cow;
use std::collections::BTreeMap;

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::core::v1::PodStatus;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};
use serde::{Deserialize, Deserializer, Serialize};

/// A pod: its identity, where it runs and what runs in it, and its status. (Serialize
/// only because every summarized type can be; pods are not rendered, so drift never reads
/// one.)
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct LeanPod {
    #[serde(deserialize_with = "lean_meta")]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: Option<LeanPodSpec>,
    #[serde(default)]
    pub status: Option<PodStatus>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeanPodSpec {
    pub node_name: Option<String>,
    pub node_selector: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub containers: Vec<LeanContainer>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct LeanContainer {
    pub name: String,
    pub image: Option<String>,
    pub resources: Option<LeanResources>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct LeanResources {
    pub limits: Option<BTreeMap<String, Quantity>>,
}

/// The metadata a summary (and the watcher's bookkeeping) reads; managedFields, annotations
/// and the rest are skipped.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LeanMeta {
    name: Option<String>,
    namespace: Option<String>,
    uid: Option<String>,
    resource_version: Option<String>,
    labels: Option<BTreeMap<String, String>>,
    creation_timestamp: Option<Time>,
    deletion_timestamp: Option<Time>,
    owner_references: Option<Vec<OwnerReference>>,
}

fn lean_meta<'de, D: Deserializer<'de>>(deserializer: D) -> Result<ObjectMeta, D::Error> {
    let m = LeanMeta::deserialize(deserializer)?;
    Ok(ObjectMeta {
        name: m.name,
        namespace: m.namespace,
        uid: m.uid,
        resource_version: m.resource_version,
        labels: m.labels,
        creation_timestamp: m.creation_timestamp,
        deletion_timestamp: m.deletion_timestamp,
        owner_references: m.owner_references,
        ..ObjectMeta::default()
    })
}

impl kube::Resource for LeanPod {
    type DynamicType = ();
    type Scope = NamespaceResourceScope;

    fn kind(_: &()) -> Cow<'_, str> {
        Cow::Borrowed("Pod")
    }
    fn group(_: &()) -> Cow<'_, str> {
        Cow::Borrowed("")
    }
    fn version(_: &()) -> Cow<'_, str> {
        Cow::Borrowed("v1")
    }
    fn plural(_: &()) -> Cow<'_, str> {
        Cow::Borrowed("pods")
    }
    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pod_reads_lean_and_keeps_what_summaries_use() {
        let pod: LeanPod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "keystone-1", "namespace": "kolla", "uid": "u1",
                "resourceVersion": "42", "labels": {"a": "b"},
                "creationTimestamp": "2026-12-01T10:00:00Z",
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                    "name": "keystone-5d9f", "uid": "u2", "controller": true}],
                "annotations": {"big": "skipped"},
                "managedFields": [{"manager": "kube-controller-manager", "fieldsV1": {"f:x": {}}}]},
            "spec": {"nodeName": "node-1", "nodeSelector": {"kolla_controller": "true"},
                "volumes": [{"name": "config", "configMap": {"name": "keystone"}}],
                "containers": [{"name": "keystone", "image": "quay.io/k:1",
                    "env": [{"name": "X", "value": "y"}],
                    "resources": {"limits": {"memory": "512Mi"}}}]},
            "status": {"phase": "Running"}
        }))
        .expect("a pod reads");
        assert_eq!(pod.metadata.name.as_deref(), Some("keystone-1"));
        assert_eq!(pod.metadata.resource_version.as_deref(), Some("42"));
        assert!(pod.metadata.annotations.is_none() && pod.metadata.managed_fields.is_none());
        assert_eq!(pod.metadata.owner_references.map(|o| o.len()), Some(1));
        let spec = pod.spec.expect("spec");
        assert_eq!(spec.node_name.as_deref(), Some("node-1"));
        let limit = spec.containers[0]
            .resources
            .as_ref()
            .and_then(|r| r.limits.as_ref())
            .and_then(|l| l.get("memory"));
        assert_eq!(limit.map(|q| q.0.as_str()), Some("512Mi"));
        assert_eq!(pod.status.and_then(|s| s.phase).as_deref(), Some("Running"));
    }
}
