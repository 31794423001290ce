//! What a namespace needs before kolla-dash creates anything in it: the namespace itself and
//! the Secret of generated passwords. Existing passwords are never changed or read back
//! (only the Secret's key names are looked at).

use std::collections::BTreeMap;

use anyhow::Context as _;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt as _};
use rand::distr::{Alphanumeric, SampleString};

use super::apply::{Applier, explain_what};
use crate::labels;

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

/// Makes sure the Secret `name` has a generated password under every key in `wanted`.
/// Keys that exist keep their values: a key is added only with the resourceVersion it was
/// read at, so a concurrent writer's passwords are never overwritten (the add is redone
/// from a fresh read instead).
pub async fn ensure_passwords(
    client: &Client,
    ns: &str,
    name: &str,
    wanted: &[&str],
) -> anyhow::Result<()> {
    let api: Api<Secret> = Api::namespaced(client.clone(), ns);
    let what = format!("Secret/{name}");
    for _ in 0..PASSWORD_ATTEMPTS {
        let existing = api
            .get_opt(name)
            .await
            .map_err(|e| explain_what(e, "read", &what))?;
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
        if missing.is_empty() {
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
            Some(secret) => {
                // A merge patch that only adds keys; the resourceVersion makes it fail
                // rather than race with a concurrent writer.
                let patch = serde_json::json!({
                    "metadata": {"resourceVersion": secret.resource_version()},
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
