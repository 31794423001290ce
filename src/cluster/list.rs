//! One-shot listing of kolla-dash's objects by label, for the headless `status` command
//! (the dashboard and the workflow watch instead).

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{
    ConfigMap, PersistentVolume, PersistentVolumeClaim, Pod, Secret, Service,
};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::ListParams;
use kube::{Api, Client};

use super::summarize::Summarize;
use crate::labels;
use crate::summary::ObjectSummary;

async fn list<K>(api: Api<K>, selector: &str) -> anyhow::Result<Vec<ObjectSummary>>
where
    K: Summarize + kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let objects = api
        .list(&ListParams::default().labels(selector))
        .await
        .map_err(|e| match e {
            kube::Error::Api(s) if s.is_forbidden() => anyhow::anyhow!(
                "forbidden: your credentials may not list {} (RBAC): {}",
                K::KIND,
                s.message
            ),
            other => anyhow::Error::new(other).context(format!("cannot list {}", K::KIND)),
        })?;
    Ok(objects.items.iter().map(Summarize::summarize).collect())
}

/// Every object of every watched kind matching `selector`: namespaced kinds in `namespace`,
/// cluster-scoped ones labelled as belonging to it.
pub async fn list_matching(
    client: &Client,
    namespace: &str,
    selector: &str,
) -> anyhow::Result<Vec<ObjectSummary>> {
    let (c, n) = (client.clone(), namespace);
    let shared = format!("{selector},{}={namespace}", labels::NAMESPACE);
    let parts = futures::try_join!(
        list(Api::<Pod>::namespaced(c.clone(), n), selector),
        list(Api::<Job>::namespaced(c.clone(), n), selector),
        list(Api::<Deployment>::namespaced(c.clone(), n), selector),
        list(Api::<StatefulSet>::namespaced(c.clone(), n), selector),
        list(Api::<Service>::namespaced(c.clone(), n), selector),
        list(Api::<EndpointSlice>::namespaced(c.clone(), n), selector),
        list(Api::<ConfigMap>::namespaced(c.clone(), n), selector),
        list(Api::<Secret>::namespaced(c.clone(), n), selector),
        list(
            Api::<PersistentVolumeClaim>::namespaced(c.clone(), n),
            selector
        ),
        list(Api::<PersistentVolume>::all(c.clone()), &shared),
        list(Api::<StorageClass>::all(c), &shared),
    )?;
    let (a, b, cc, d, e, f, g, h, i, j, k) = parts;
    Ok([a, b, cc, d, e, f, g, h, i, j, k]
        .into_iter()
        .flatten()
        .collect())
}
