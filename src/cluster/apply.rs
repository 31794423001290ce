//! Server-side apply, dry-run and delete of rendered manifests (any kind, via discovery).

use std::collections::HashMap;
use std::sync::Mutex;

use anyhow::Context as _;
use kube::Client;
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams, PropagationPolicy};
use kube::core::GroupVersionKind;
use kube::discovery::{ApiCapabilities, ApiResource, Scope};

use super::client::no_answer;
use crate::labels;

/// What a delete found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    Deleted,
    Absent,
}

/// Applies and deletes arbitrary objects, caching API discovery per kind.
pub struct Applier {
    client: Client,
    namespace: String,
    discovered: Mutex<HashMap<GroupVersionKind, (ApiResource, ApiCapabilities)>>,
}

/// A short label for messages: `Kind/name`.
pub fn describe(obj: &serde_json::Value) -> String {
    format!(
        "{}/{}",
        obj["kind"].as_str().unwrap_or("?"),
        obj["metadata"]["name"].as_str().unwrap_or("?")
    )
}

impl Applier {
    pub fn new(client: Client, namespace: impl Into<String>) -> Self {
        Applier {
            client,
            namespace: namespace.into(),
            discovered: Mutex::new(HashMap::new()),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    async fn api_for(
        &self,
        obj: &serde_json::Value,
    ) -> anyhow::Result<(Api<DynamicObject>, String)> {
        let api_version = obj["apiVersion"]
            .as_str()
            .with_context(|| format!("{} has no apiVersion", describe(obj)))?;
        let kind = obj["kind"]
            .as_str()
            .with_context(|| format!("manifest without kind: {obj}"))?;
        let name = obj["metadata"]["name"]
            .as_str()
            .with_context(|| format!("{kind} without metadata.name"))?
            .to_string();
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        let gvk = GroupVersionKind::gvk(group, version, kind);
        let cached = self
            .discovered
            .lock()
            .map_err(|_| anyhow::anyhow!("discovery cache poisoned"))?
            .get(&gvk)
            .cloned();
        let (resource, caps) = match cached {
            Some(found) => found,
            None => {
                let found = kube::discovery::pinned_kind(&self.client, &gvk)
                    .await
                    .map_err(|e| match no_answer(&e) {
                        Some(deadline) => {
                            anyhow::anyhow!("cannot look up {api_version} {kind}: {deadline}")
                        }
                        None => anyhow::Error::new(e)
                            .context(format!("the cluster does not serve {api_version} {kind}")),
                    })?;
                self.discovered
                    .lock()
                    .map_err(|_| anyhow::anyhow!("discovery cache poisoned"))?
                    .insert(gvk, found.clone());
                found
            }
        };
        let api = match caps.scope {
            Scope::Namespaced => {
                let ns = obj["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or(&self.namespace);
                Api::namespaced_with(self.client.clone(), ns, &resource)
            }
            Scope::Cluster => Api::all_with(self.client.clone(), &resource),
        };
        Ok((api, name))
    }

    /// Server-side apply (forced: kolla-dash owns the fields it renders). Re-applying the
    /// same manifest changes nothing. With `dry_run` the server validates and admits
    /// without persisting.
    pub async fn apply(&self, obj: &serde_json::Value, dry_run: bool) -> anyhow::Result<()> {
        let (api, name) = self.api_for(obj).await?;
        let mut params = PatchParams::apply(labels::FIELD_MANAGER).force();
        if dry_run {
            params = params.dry_run();
        }
        api.patch(&name, &params, &Patch::Apply(obj))
            .await
            .map_err(|e| explain(e, "apply", obj))?;
        Ok(())
    }

    /// Deletes in the foreground, so a Job's pods (and a workload's) go with it.
    pub async fn delete(&self, obj: &serde_json::Value) -> anyhow::Result<Deleted> {
        let (api, name) = self.api_for(obj).await?;
        let params = DeleteParams {
            propagation_policy: Some(PropagationPolicy::Foreground),
            ..DeleteParams::default()
        };
        match api.delete(&name, &params).await {
            Ok(_) => Ok(Deleted::Deleted),
            Err(kube::Error::Api(s)) if s.is_not_found() => Ok(Deleted::Absent),
            Err(e) => Err(explain(e, "delete", obj)),
        }
    }

    /// Whether the object exists (for create-if-absent objects such as passwords).
    pub async fn get(&self, obj: &serde_json::Value) -> anyhow::Result<Option<DynamicObject>> {
        let (api, name) = self.api_for(obj).await?;
        api.get_opt(&name).await.map_err(|e| explain(e, "get", obj))
    }
}

/// Turns an API error into one line naming the verb and the object; RBAC refusals say so.
pub fn explain(err: kube::Error, verb: &str, obj: &serde_json::Value) -> anyhow::Error {
    explain_what(err, verb, &describe(obj))
}

/// [`explain`] for an object named as `Kind/name`.
pub fn explain_what(err: kube::Error, verb: &str, what: &str) -> anyhow::Error {
    if let Some(deadline) = no_answer(&err) {
        return anyhow::anyhow!("cannot {verb} {what}: {deadline}");
    }
    match err {
        kube::Error::Api(s) if s.is_forbidden() => anyhow::anyhow!(
            "forbidden: your credentials may not {verb} {what} (RBAC): {}; `kolla-dash rbac` \
             prints the rights kolla-dash needs",
            s.message
        ),
        kube::Error::Api(s) if s.is_invalid() => {
            anyhow::anyhow!("the API server rejected {what} as invalid: {}", s.message)
        }
        other => anyhow::Error::new(other).context(format!("cannot {verb} {what}")),
    }
}
