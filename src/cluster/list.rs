//! One-shot listing of kolla-dash's objects by label, for headless commands that report
//! once (`resource status`); the dashboard and the workflow watch instead.

use futures::future::BoxFuture;
use kube::api::ListParams;
use kube::{Api, Client};

use super::apply::explain_what;
use super::kinds::{self, ForKind, Readable};
use crate::summary::{ObjKind, ObjectSummary};

/// What listing one kind gave.
pub enum Listed {
    Objects(Vec<ObjectSummary>),
    /// RBAC refuses listing the kind.
    Forbidden,
}

struct List;

impl ForKind for List {
    type Out = BoxFuture<'static, anyhow::Result<Listed>>;

    fn run<K: Readable>(self, api: Api<K>, selector: Option<String>) -> Self::Out {
        Box::pin(async move {
            let params = match &selector {
                Some(s) => ListParams::default().labels(s),
                None => ListParams::default(),
            };
            match api.list(&params).await {
                Ok(list) => Ok(Listed::Objects(
                    list.items.iter().map(|o| o.summarize()).collect(),
                )),
                Err(kube::Error::Api(s)) if s.is_forbidden() => Ok(Listed::Forbidden),
                Err(e) => Err(explain_what(e, "list", &format!("{} objects", K::KIND))),
            }
        })
    }
}

/// Every watched kind, listed at once: kolla-dash's objects in `namespace` (narrowed by
/// the label selector `extra`), cluster-scoped ones labelled as belonging to it, all nodes.
pub async fn list_all(
    client: &Client,
    namespace: &str,
    extra: Option<&str>,
) -> anyhow::Result<Vec<(ObjKind, Listed)>> {
    let lists = ObjKind::WATCHED.map(|kind| async move {
        Ok((
            kind,
            kinds::with_type(kind, client, namespace, extra, List).await?,
        ))
    });
    futures::future::try_join_all(lists).await
}
