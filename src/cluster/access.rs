//! Asking the API server what these credentials may do (SelfSubjectAccessReview), so that
//! a verb needing a right it lacks says so before it changes anything. The rights asked
//! about are the core's (`access`), the same that `kolla-dash rbac` prints.

use std::collections::{BTreeSet, HashSet};
use std::sync::Mutex;

use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use kube::api::PostParams;
use kube::{Api, Client};

use crate::access::{Denied, Need, Resource, Scope};
use crate::config::StorageProvider;

/// The rights of one client in one namespace, asked lazily.
pub struct Access {
    client: Client,
    namespace: String,
    provider: StorageProvider,
    /// Rights seen granted. Refusals are asked again next time: an admin may grant them
    /// meanwhile.
    granted: Mutex<HashSet<Need>>,
}

impl Access {
    pub fn new(client: Client, namespace: &str, provider: StorageProvider) -> Access {
        Access {
            client,
            namespace: namespace.to_string(),
            provider,
            granted: Mutex::new(HashSet::new()),
        }
    }

    /// The needs RBAC refuses, each asked once, all at the same time. A review the API
    /// server does not answer counts as granted: the request itself will then say what is
    /// wrong, as precisely as without the check.
    pub async fn refused(&self, needs: &[Need]) -> Vec<Need> {
        let unknown: BTreeSet<Need> = match self.granted.lock() {
            Ok(granted) => needs
                .iter()
                .filter(|n| !granted.contains(n))
                .copied()
                .collect(),
            Err(_) => needs.iter().copied().collect(),
        };
        let answers = futures::future::join_all(
            unknown
                .iter()
                .map(|need| review(&self.client, &self.namespace, *need)),
        )
        .await;
        let mut refused = Vec::new();
        for (need, answer) in unknown.into_iter().zip(answers) {
            match answer {
                Ok(false) => refused.push(need),
                Ok(true) => {
                    if let Ok(mut granted) = self.granted.lock() {
                        granted.insert(need);
                    }
                }
                Err(e) => {
                    tracing::warn!(?need, error = %format!("{e:#}"), "access review failed");
                }
            }
        }
        refused
    }

    /// Whether RBAC grants at least one of `needs`, asked one at a time until one is (an
    /// unanswered review counts as granted).
    pub async fn allows_any(&self, needs: &[Need]) -> bool {
        for need in needs {
            if self.refused(std::slice::from_ref(need)).await.is_empty() {
                return true;
            }
        }
        false
    }

    /// Fails, naming `what` and every missing right, when RBAC refuses any of `needs`.
    pub async fn require(&self, what: &str, needs: &[Need]) -> anyhow::Result<()> {
        let missing = self.refused(needs).await;
        if missing.is_empty() {
            return Ok(());
        }
        Err(Denied {
            what: what.to_string(),
            missing,
            namespace: self.namespace.clone(),
            provider: self.provider,
        }
        .into())
    }
}

/// Whether RBAC allows `need` to these credentials.
async fn review(client: &Client, namespace: &str, need: Need) -> anyhow::Result<bool> {
    let resource = need.resource;
    let attributes = ResourceAttributes {
        group: Some(resource.group().to_string()),
        resource: Some(resource.plural().to_string()),
        subresource: resource.subresource().map(str::to_string),
        verb: Some(need.verb.as_str().to_string()),
        namespace: (need.scope == Scope::Namespace).then(|| namespace.to_string()),
        name: (resource == Resource::Namespace).then(|| namespace.to_string()),
        ..ResourceAttributes::default()
    };
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(attributes),
            ..SelfSubjectAccessReviewSpec::default()
        },
        ..SelfSubjectAccessReview::default()
    };
    let answer = Api::<SelfSubjectAccessReview>::all(client.clone())
        .create(&PostParams::default(), &review)
        .await?;
    Ok(answer.status.is_some_and(|s| s.allowed))
}
