//! What a namespace needs before kolla-dash creates anything in it: the namespace itself and
//! the Secret of generated passwords. Existing passwords are never changed or read back
//! (only the Secret's key names are looked at). Also the namespaces `:ns` offers.

use std::collections::BTreeMap;

use anyhow::Context as _;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt as _};
use rand::distr::{Alphanumeric, SampleString};

use super::apply::{Applier, explain_what, owners_of};
use crate::labels;
use crate::model::switch::Choice;
use crate::ownership::{self, Claim, Foreign, Meeting};
use crate::summary::{ObjKind, ObjRef};

const PASSWORD_LEN: usize = 32;
/// Tries at adding keys while another writer changes the Secret at the same time.
const PASSWORD_ATTEMPTS: usize = 5;

/// Creates the namespace unless it exists (or may not be read: then work in it anyway).
pub async fn ensure_namespace(applier: &Applier, ns: &str) -> anyhow::Result<()> {
    let api: Api<Namespace> = Api::all(applier.client().clone());
    match api.get_opt(ns).await {
        Ok(Some(_)) => return Ok(()),
        Ok(None) => {}
        Err(kube::Error::Api(s)) if s.is_forbidden() => return Ok(()),
        Err(e) => return Err(explain_what(e, "read", &format!("namespace {ns}"))),
    }
    let obj = serde_json::json!({
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": ns, "labels": {labels::MANAGED_BY: labels::MANAGED_BY_VALUE}},
    });
    applier.apply(&obj, false).await
}

/// Every namespace these credentials may list, each marked when kolla-dash created it
/// (its managed-by label): what `:ns` offers. One list of names and labels, no watch.
pub async fn list(client: &Client) -> anyhow::Result<Vec<Choice>> {
    let api: Api<Namespace> = Api::all(client.clone());
    let list = match api.list_metadata(&ListParams::default()).await {
        Ok(list) => list,
        Err(kube::Error::Api(s)) if s.is_forbidden() => {
            anyhow::bail!("these credentials may not list namespaces (RBAC)")
        }
        Err(e) => return Err(explain_what(e, "list", "namespaces")),
    };
    Ok(list
        .items
        .into_iter()
        .map(|ns| Choice {
            kolla: ns.labels().get(labels::MANAGED_BY).map(String::as_str)
                == Some(labels::MANAGED_BY_VALUE),
            name: ns.name_any(),
        })
        .collect())
}

/// The passwords Secret of one deployment.
pub struct Passwords<'a> {
    pub namespace: &'a str,
    pub name: &'a str,
    /// Use (and label as kolla-dash's) a Secret of that name someone else made.
    pub adopt: bool,
}

/// Makes sure the passwords Secret has a generated password under every key in `wanted`.
/// Keys that exist keep their values: a key is added only with the resourceVersion it was
/// read at, so a concurrent writer's passwords are never overwritten (the add is redone
/// from a fresh read instead). A Secret of that name that is not kolla-dash's is refused
/// (by the ownership rule) unless adopted.
pub async fn ensure_passwords(
    client: &Client,
    secret: &Passwords<'_>,
    wanted: &[&str],
) -> anyhow::Result<()> {
    let (ns, name) = (secret.namespace, secret.name);
    let api: Api<Secret> = Api::namespaced(client.clone(), ns);
    let what = format!("Secret/{name}");
    for _ in 0..PASSWORD_ATTEMPTS {
        let existing = api
            .get_opt(name)
            .await
            .map_err(|e| explain_what(e, "read", &what))?;
        let mut adopting = false;
        if let Some(live) = &existing {
            let (labels, managers) = owners_of(&live.metadata);
            let claim = Claim {
                namespace: ns,
                service: None,
                cluster_scoped: false,
            };
            if let Err(manager) = ownership::judge(claim, &labels, &managers) {
                let foreign = Foreign {
                    obj: ObjRef {
                        kind: ObjKind::Secret,
                        name: name.to_string(),
                    },
                    namespace: Some(ns.to_string()),
                    cell: None,
                    manager,
                };
                if !secret.adopt {
                    anyhow::bail!("{}", foreign.sentence(Meeting::Create));
                }
                adopting = true;
            }
        }
        let have: Vec<String> = existing
            .as_ref()
            .and_then(|s| s.data.as_ref())
            .map(|d| d.keys().cloned().collect())
            .unwrap_or_default();
        let missing: BTreeMap<&str, String> = wanted
            .iter()
            .filter(|k| !have.iter().any(|h| h == *k))
            .map(|k| {
                (
                    *k,
                    Alphanumeric.sample_string(&mut rand::rng(), PASSWORD_LEN),
                )
            })
            .collect();
        if missing.is_empty() && !adopting {
            return Ok(());
        }
        let result = match existing {
            None => {
                let secret: Secret = serde_json::from_value(serde_json::json!({
                    "metadata": {"name": name,
                        "labels": {labels::MANAGED_BY: labels::MANAGED_BY_VALUE}},
                    "stringData": missing,
                }))
                .context("building the passwords secret")?;
                api.create(&PostParams::default(), &secret).await.map(drop)
            }
            Some(live) => {
                // A merge patch that only adds keys (and, when adopting, kolla-dash's
                // label); the resourceVersion makes it fail rather than race with a
                // concurrent writer.
                let patch = serde_json::json!({
                    "metadata": {
                        "resourceVersion": live.resource_version(),
                        "labels": {labels::MANAGED_BY: labels::MANAGED_BY_VALUE},
                    },
                    "stringData": missing,
                });
                api.patch(name, &PatchParams::default(), &Patch::Merge(&patch))
                    .await
                    .map(drop)
            }
        };
        match result {
            Ok(()) => return Ok(()),
            // Someone else created or changed it meanwhile: read again.
            Err(kube::Error::Api(s)) if s.is_already_exists() || s.code == 409 => continue,
            Err(e) => return Err(explain_what(e, "write", &what)),
        }
    }
    anyhow::bail!(
        "cannot add passwords to {what}: it kept changing under another writer \
         ({PASSWORD_ATTEMPTS} attempts); try again"
    )
}
