//! Server-side apply, dry-run and delete of rendered manifests (any kind, via discovery),
//! each after looking at what is there now: an object that is not kolla-dash's (judged by
//! `ownership::judge`) is reported, never changed unless adopted; deletes carry the uid
//! that was checked, so the object checked is the object deleted.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use anyhow::Context as _;
use kube::Client;
use kube::api::{
    Api, DeleteParams, DynamicObject, Patch, PatchParams, Preconditions, PropagationPolicy,
};
use kube::core::GroupVersionKind;
use kube::discovery::{ApiCapabilities, ApiResource, Scope};

use super::client::no_answer;
use crate::drift::Live;
use crate::labels;
use crate::ownership::{self, Claim, Foreign};
use crate::render::Manifest;
use crate::summary::{ObjRef, Owner};

/// What a delete found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    Deleted,
    Absent,
}

/// What is at a manifest's name now.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    Absent,
    /// kolla-dash's own object, as it was read.
    Ours {
        uid: String,
        resource_version: String,
        annotations: BTreeMap<String, String>,
        /// What drift compares with the rendering.
        live: Box<Live>,
        /// It reports the condition Complete (a Job that ran to the end).
        complete: bool,
    },
    Foreign(Foreign),
}

/// The labels and field managers of a live object, for the ownership rule.
pub fn owners_of(meta: &kube::api::ObjectMeta) -> (BTreeMap<String, String>, Vec<String>) {
    let managers = meta
        .managed_fields
        .iter()
        .flatten()
        .filter_map(|f| f.manager.clone())
        .collect();
    (meta.labels.clone().unwrap_or_default(), managers)
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

    /// Reads what is at `m`'s name and judges it by the ownership rule.
    pub async fn inspect(&self, m: &Manifest) -> anyhow::Result<Found> {
        let Some(live) = self.get(&m.object).await? else {
            return Ok(Found::Absent);
        };
        let claim = Claim {
            namespace: &self.namespace,
            service: Some(&m.service),
            cluster_scoped: m.obj_kind.cluster_scoped(),
        };
        let (labels, managers) = owners_of(&live.metadata);
        Ok(match ownership::judge(claim, &labels, &managers) {
            Ok(()) => Found::Ours {
                complete: complete(&live.data),
                live: Box::new(Live::new(
                    m.obj_kind,
                    serde_json::to_value(&live)
                        .with_context(|| format!("cannot read {}/{}", m.obj_kind, m.name))?,
                )),
                uid: live.metadata.uid.unwrap_or_default(),
                resource_version: live.metadata.resource_version.unwrap_or_default(),
                annotations: live.metadata.annotations.unwrap_or_default(),
            },
            Err(manager) => Found::Foreign(Foreign {
                obj: ObjRef {
                    kind: m.obj_kind,
                    name: m.name.clone(),
                },
                namespace: m.namespace.clone(),
                cell: Some(Owner {
                    service: m.service.clone(),
                    kind: m.kind,
                }),
                manager,
            }),
        })
    }

    /// Server-side apply of an object `inspect` found absent or kolla-dash's. Kolla-dash's
    /// own object is applied forced (it owns the fields it renders) with the
    /// resourceVersion it was read at, so an object replaced meanwhile is not taken over;
    /// a new one is applied unforced, so one that someone else created meanwhile conflicts
    /// instead of being taken over. `Ok(false)`: it changed since `found` was read (a
    /// controller's status update will do): inspect and apply again.
    pub async fn apply_checked(
        &self,
        obj: &serde_json::Value,
        found: &Found,
    ) -> anyhow::Result<bool> {
        let (api, name) = self.api_for(obj).await?;
        let mut obj = obj.clone();
        let params = match found {
            Found::Ours {
                resource_version, ..
            } => {
                obj["metadata"]["resourceVersion"] = resource_version.clone().into();
                PatchParams::apply(labels::FIELD_MANAGER).force()
            }
            Found::Absent | Found::Foreign(_) => PatchParams::apply(labels::FIELD_MANAGER),
        };
        match api.patch(&name, &params, &Patch::Apply(&obj)).await {
            Ok(_) => Ok(true),
            Err(kube::Error::Api(s)) if s.is_conflict() => Ok(false),
            Err(e) => Err(explain(e, "apply", &obj)),
        }
    }

    /// Takes a foreign object over: applies, and returns the fields it took from other
    /// managers (`.data.x (kubectl-create)`), which an unforced apply lists as conflicts.
    pub async fn adopt(&self, obj: &serde_json::Value) -> anyhow::Result<Vec<String>> {
        let (api, name) = self.api_for(obj).await?;
        let gentle = PatchParams::apply(labels::FIELD_MANAGER);
        let taken = match api.patch(&name, &gentle, &Patch::Apply(obj)).await {
            Ok(_) => return Ok(Vec::new()),
            Err(kube::Error::Api(s)) if s.is_conflict() => conflicts(&s),
            Err(e) => return Err(explain(e, "apply", obj)),
        };
        let forced = PatchParams::apply(labels::FIELD_MANAGER).force();
        api.patch(&name, &forced, &Patch::Apply(obj))
            .await
            .map_err(|e| explain(e, "apply", obj))?;
        Ok(taken)
    }

    /// Server-side apply without any check, for what is not a catalog object (the
    /// namespace, created only when absent) and for dry runs, which persist nothing.
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

    /// Deletes the object with `uid` in the foreground, so a Job's pods (and a workload's)
    /// go with it. An object replaced since it was checked (another uid) is not deleted.
    pub async fn delete_checked(
        &self,
        obj: &serde_json::Value,
        uid: &str,
    ) -> anyhow::Result<Deleted> {
        let (api, name) = self.api_for(obj).await?;
        let params = DeleteParams {
            propagation_policy: Some(PropagationPolicy::Foreground),
            preconditions: Some(Preconditions {
                uid: Some(uid.to_string()),
                resource_version: None,
            }),
            ..DeleteParams::default()
        };
        match api.delete(&name, &params).await {
            Ok(_) => Ok(Deleted::Deleted),
            Err(kube::Error::Api(s)) if s.is_not_found() => Ok(Deleted::Absent),
            Err(kube::Error::Api(s)) if s.is_conflict() => anyhow::bail!(
                "{} was replaced since kolla-dash checked it (another uid): not deleted; \
                 run again to judge the new one",
                describe(obj)
            ),
            Err(e) => Err(explain(e, "delete", obj)),
        }
    }

    /// Sets one annotation on an object `inspect` found kolla-dash's, at the
    /// resourceVersion it was read at.
    pub async fn annotate(
        &self,
        obj: &serde_json::Value,
        resource_version: &str,
        key: &str,
        value: &str,
    ) -> anyhow::Result<()> {
        let (api, name) = self.api_for(obj).await?;
        let patch = serde_json::json!({
            "metadata": {"resourceVersion": resource_version, "annotations": {key: value}},
        });
        api.patch(&name, &as_kolla_dash(), &Patch::Merge(&patch))
            .await
            .map_err(|e| explain(e, "annotate", obj))?;
        Ok(())
    }

    /// The live object, if it exists.
    pub async fn get(&self, obj: &serde_json::Value) -> anyhow::Result<Option<DynamicObject>> {
        let (api, name) = self.api_for(obj).await?;
        api.get_opt(&name).await.map_err(|e| explain(e, "get", obj))
    }
}

/// Whether an object's status reports the condition Complete (a finished Job).
fn complete(data: &serde_json::Value) -> bool {
    data["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Complete" && c["status"] == "True")
}

/// Plain (merge) patches made as kolla-dash's field manager.
pub fn as_kolla_dash() -> PatchParams {
    PatchParams {
        field_manager: Some(labels::FIELD_MANAGER.to_string()),
        ..PatchParams::default()
    }
}

/// The fields an unforced apply found owned by other managers: `.data.x (kubectl-create)`.
fn conflicts(status: &kube::core::Status) -> Vec<String> {
    let causes = status.details.iter().flat_map(|d| &d.causes);
    let listed: Vec<String> = causes
        .filter(|c| !c.field.is_empty())
        .map(|c| {
            // "conflict with \"kubectl-create\" using v1" -> kubectl-create
            let who = c.message.split('"').nth(1).unwrap_or(&c.message);
            format!("{} ({who})", c.field)
        })
        .collect();
    if listed.is_empty() {
        vec![status.message.clone()]
    } else {
        listed
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
