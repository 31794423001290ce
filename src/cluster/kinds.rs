//! The one mapping from each watched `ObjKind` (the core's list, `ObjKind::WATCHED`) to its
//! Kubernetes type and the selector it is read with. Watching and listing both go through
//! it, so a kind added to the core's list is watched, listed and counted everywhere; the
//! match below is exhaustive, so the compiler asks for its type.

use std::fmt::Debug;

use k8s_openapi::api::apps::v1::{ControllerRevision, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{
    ConfigMap, Node, PersistentVolume, PersistentVolumeClaim, Secret, Service,
};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::storage::v1::StorageClass;
use kube::{Api, Client, Resource};
use serde::de::DeserializeOwned;

use super::lean::LeanPod;
use super::summarize::Summarize;
use crate::labels;
use crate::summary::ObjKind;

/// A Kubernetes type kolla-dash reads and summarizes.
pub trait Readable:
    Summarize + Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static
{
}

impl<T> Readable for T where
    T: Summarize
        + Resource<DynamicType = ()>
        + Clone
        + DeserializeOwned
        + Debug
        + Send
        + Sync
        + 'static
{
}

/// Something to do with one kind's objects (watch them, list them).
pub trait ForKind {
    type Out;
    /// `api` reads the kind where kolla-dash's objects are; `selector` picks them.
    fn run<K: Readable>(self, api: Api<K>, selector: Option<String>) -> Self::Out;
}

/// Calls `f` with the API and label selector of `kind`: kolla-dash's objects in
/// `namespace`, cluster-scoped volumes labelled as that namespace's, every node. `extra`
/// narrows kolla's own objects further (one service, for `resource status`).
pub fn with_type<F: ForKind>(
    kind: ObjKind,
    client: &Client,
    namespace: &str,
    extra: Option<&str>,
    f: F,
) -> F::Out {
    let narrowed = |selector: String| {
        Some(match extra {
            Some(extra) => format!("{selector},{extra}"),
            None => selector,
        })
    };
    let managed = narrowed(labels::SELECTOR.to_string());
    let shared = narrowed(labels::cluster_scoped_selector(namespace));
    let c = client.clone();
    match kind {
        // Lean: the namespace's biggest list by far, read with only what summaries use.
        ObjKind::Pod => f.run::<LeanPod>(Api::namespaced(c, namespace), managed),
        ObjKind::Job => f.run::<Job>(Api::namespaced(c, namespace), managed),
        ObjKind::Deployment => f.run::<Deployment>(Api::namespaced(c, namespace), managed),
        ObjKind::StatefulSet => f.run::<StatefulSet>(Api::namespaced(c, namespace), managed),
        // Both carry their pod template's labels, so they land in the pod cell.
        ObjKind::ReplicaSet => f.run::<ReplicaSet>(Api::namespaced(c, namespace), managed),
        ObjKind::ControllerRevision => {
            f.run::<ControllerRevision>(Api::namespaced(c, namespace), managed)
        }
        ObjKind::Service => f.run::<Service>(Api::namespaced(c, namespace), managed),
        // The EndpointSlice controller copies the Service's labels onto its slices.
        ObjKind::EndpointSlice => f.run::<EndpointSlice>(Api::namespaced(c, namespace), managed),
        ObjKind::ConfigMap => f.run::<ConfigMap>(Api::namespaced(c, namespace), managed),
        ObjKind::Secret => f.run::<Secret>(Api::namespaced(c, namespace), managed),
        ObjKind::PersistentVolumeClaim => {
            f.run::<PersistentVolumeClaim>(Api::namespaced(c, namespace), managed)
        }
        ObjKind::PersistentVolume => f.run::<PersistentVolume>(Api::all(c), shared),
        ObjKind::StorageClass => f.run::<StorageClass>(Api::all(c), shared),
        ObjKind::Node => f.run::<Node>(Api::all(c), None),
    }
}
