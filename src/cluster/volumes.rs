//! Kept data: finding a service's Released PersistentVolumes (their claim was deleted, e.g.
//! with its namespace) so the new claim can bind to them again, and reading whether a
//! service's bootstrap Jobs completed, for the record kept on its data.

use anyhow::Context as _;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim};
use kube::api::{ListParams, ObjectMeta, Patch};
use kube::{Api, Client};

use super::apply::{as_kolla_dash, explain_what};
use crate::record::BootstrapRecord;

/// A PersistentVolume still reserved for a claim that no longer exists.
#[derive(Debug, Clone)]
pub struct Released {
    pub name: String,
    pub meta: ObjectMeta,
}

/// The PVs whose claimRef names `namespace`/`claim` but not the claim that exists now
/// (another uid, or none): released by a deleted claim, with the data kept (Retain).
/// `None` when RBAC forbids listing PersistentVolumes.
pub async fn released_for(
    client: &Client,
    namespace: &str,
    claim: &str,
) -> anyhow::Result<Option<Vec<Released>>> {
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), namespace);
    let live = claims
        .get_opt(claim)
        .await
        .map_err(|e| explain_what(e, "read", &format!("PersistentVolumeClaim/{claim}")))?;
    let live_uid = live.and_then(|c| c.metadata.uid);
    let volumes: Api<PersistentVolume> = Api::all(client.clone());
    let all = match volumes.list(&ListParams::default()).await {
        Ok(all) => all,
        Err(kube::Error::Api(s)) if s.is_forbidden() => return Ok(None),
        Err(e) => return Err(explain_what(e, "list", "PersistentVolumes")),
    };
    Ok(Some(
        all.items
            .into_iter()
            .filter(|pv| {
                let Some(r) = pv.spec.as_ref().and_then(|s| s.claim_ref.as_ref()) else {
                    return false;
                };
                r.namespace.as_deref() == Some(namespace)
                    && r.name.as_deref() == Some(claim)
                    && r.uid.is_some()
                    && r.uid != live_uid
            })
            .map(|pv| Released {
                name: pv.metadata.name.clone().unwrap_or_default(),
                meta: pv.metadata,
            })
            .collect(),
    ))
}

/// Forgets the deleted claim a PV was bound to (its uid), so the claim of the same name
/// that exists now can bind it. Only at the resourceVersion it was read at: a PV changed
/// since is left for the next look.
pub async fn clear_stale_claim(client: &Client, pv: &Released) -> anyhow::Result<()> {
    let patch = serde_json::json!({
        "metadata": {"resourceVersion": pv.meta.resource_version},
        "spec": {"claimRef": {"uid": null, "resourceVersion": null}},
    });
    let what = format!("PersistentVolume/{}", pv.name);
    Api::<PersistentVolume>::all(client.clone())
        .patch(&pv.name, &as_kolla_dash(), &Patch::Merge(&patch))
        .await
        .map_err(|e| explain_what(e, "update", &what))?;
    Ok(())
}

/// When every one of `jobs` (in `namespace`) completed, the record of that bootstrap:
/// the last completion time and the Jobs. `None` while any is missing or not complete.
pub async fn completed_bootstrap(
    client: &Client,
    namespace: &str,
    jobs: &[String],
) -> anyhow::Result<Option<BootstrapRecord>> {
    let api: Api<Job> = Api::namespaced(client.clone(), namespace);
    let mut last = None;
    for name in jobs {
        let job = api
            .get_opt(name)
            .await
            .with_context(|| format!("cannot read Job/{name}"))?;
        let Some(done) = job
            .and_then(|j| j.status)
            .filter(|s| {
                s.conditions
                    .iter()
                    .flatten()
                    .any(|c| c.type_ == "Complete" && c.status == "True")
            })
            .and_then(|s| s.completion_time)
        else {
            return Ok(None);
        };
        last = last.max(Some(done.0));
    }
    Ok(last.map(|at| BootstrapRecord {
        at: at.to_string(),
        jobs: jobs.iter().map(|j| format!("Job/{j}")).collect(),
    }))
}
