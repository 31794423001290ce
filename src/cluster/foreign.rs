//! The foreign watch: objects with the names kolla-dash renders that are not kolla-dash's.
//! The grid's watchers select on kolla-dash's labels, so they never see a ConfigMap someone
//! else made under kolla-dash's name; these metadata-only watches do (by name, one field
//! selector when a kind has one rendered name), judge each object by the ownership rule,
//! and report the foreign ones so their cells show "foreign" before anything is tried.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::StreamExt as _;
use futures::future::BoxFuture;
use kube::api::{ApiResource, DynamicObject, PartialObjectMeta};
use kube::runtime::watcher::{self, watcher};
use kube::{Api, Client};
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinSet;

use super::apply::owners_of;
use super::kinds::{self, ForKind, Readable};
use super::watch::{Backoff, is_forbidden};
use crate::model::Msg;
use crate::model::store::Sync;
use crate::ownership::{self, Claim, Foreign};
use crate::summary::{ObjKind, ObjRef, Owner};

/// The names the catalog renders, by kind, each with the cell it belongs to.
pub type Expected = BTreeMap<ObjKind, BTreeMap<String, Owner>>;

/// Starts one foreign watch per kind in `expected` into `set`; returns those kinds.
pub fn start(
    set: &mut JoinSet<()>,
    client: &Client,
    namespace: &str,
    expected: Expected,
    tx: &UnboundedSender<Msg>,
) -> Vec<ObjKind> {
    let mut kinds = Vec::new();
    for (kind, names) in expected {
        let watch = Watch {
            kind,
            namespace: namespace.to_string(),
            names: Arc::new(names),
            tx: tx.clone(),
        };
        set.spawn(kinds::with_type(kind, client, namespace, None, watch));
        kinds.push(kind);
    }
    kinds
}

/// One kind's foreign watch.
struct Watch {
    kind: ObjKind,
    namespace: String,
    names: Arc<BTreeMap<String, Owner>>,
    tx: UnboundedSender<Msg>,
}

impl ForKind for Watch {
    type Out = BoxFuture<'static, ()>;

    /// The selector is kolla-dash's label: exactly what this watch must not filter on.
    fn run<K: Readable>(self, api: Api<K>, _selector: Option<String>) -> Self::Out {
        Box::pin(self.watch(api))
    }
}

impl Watch {
    async fn watch<K: Readable>(self, api: Api<K>) {
        // Metadata only: labels and managedFields are all the rule reads. The kind's scope
        // is known here only at run time (from `api`), hence the dynamic resource.
        let resource = ApiResource::erase::<K>(&());
        let api: Api<PartialObjectMeta<DynamicObject>> = match api.namespace().map(str::to_string) {
            Some(ns) => Api::namespaced_with(api.into_client(), &ns, &resource),
            None => Api::all_with(api.into_client(), &resource),
        };
        let config = match self.names.keys().collect::<Vec<_>>().as_slice() {
            [only] => watcher::Config::default().fields(&format!("metadata.name={only}")),
            _ => watcher::Config::default(),
        };
        let mut backoff = Backoff::new();
        loop {
            let mut stream = watcher(api.clone(), config.clone()).boxed();
            let mut listing = Vec::new();
            let failure = loop {
                let msg = match stream.next().await {
                    Some(Ok(watcher::Event::Init)) => {
                        listing.clear();
                        continue;
                    }
                    Some(Ok(watcher::Event::InitApply(o))) => {
                        if let Judged::Foreign(foreign) = self.judge(&o.metadata) {
                            listing.push(foreign);
                        }
                        continue;
                    }
                    Some(Ok(watcher::Event::InitDone)) => {
                        backoff.reset();
                        Msg::ForeignResynced(self.kind, std::mem::take(&mut listing))
                    }
                    Some(Ok(watcher::Event::Apply(o))) => match self.judge(&o.metadata) {
                        Judged::Foreign(foreign) => Msg::ForeignSeen(foreign),
                        // Adopted: no longer foreign.
                        Judged::Ours(obj) => Msg::ForeignGone(obj),
                        Judged::Elsewhere => continue,
                    },
                    Some(Ok(watcher::Event::Delete(o))) => match self.judge(&o.metadata) {
                        Judged::Foreign(Foreign { obj, .. }) | Judged::Ours(obj) => {
                            Msg::ForeignGone(obj)
                        }
                        Judged::Elsewhere => continue,
                    },
                    Some(Err(e)) => break e,
                    None => return,
                };
                if self.tx.send(msg).is_err() {
                    return;
                }
            };
            tracing::warn!(kind = %self.kind, error = %failure, "foreign watch failed; relisting after backoff");
            let sync = if is_forbidden(&failure) {
                Sync::Forbidden
            } else {
                Sync::Lost
            };
            if self.tx.send(Msg::ForeignWatch(self.kind, sync)).is_err() {
                return;
            }
            backoff.wait().await;
        }
    }

    /// What an object seen by this watch is.
    fn judge(&self, meta: &kube::api::ObjectMeta) -> Judged {
        let Some(name) = meta.name.as_deref() else {
            return Judged::Elsewhere;
        };
        let Some(cell) = self.names.get(name) else {
            return Judged::Elsewhere;
        };
        let obj = ObjRef {
            kind: self.kind,
            name: name.to_string(),
        };
        let claim = Claim {
            namespace: &self.namespace,
            service: Some(&cell.service),
            cluster_scoped: self.kind.cluster_scoped(),
        };
        let (labels, managers) = owners_of(meta);
        match ownership::judge(claim, &labels, &managers) {
            Ok(()) => Judged::Ours(obj),
            Err(manager) => Judged::Foreign(Foreign {
                obj,
                namespace: (!self.kind.cluster_scoped()).then(|| self.namespace.clone()),
                cell: Some(cell.clone()),
                manager,
            }),
        }
    }
}

/// An object as the foreign watch sees it.
enum Judged {
    /// A name the catalog does not render (the watch lists the whole kind).
    Elsewhere,
    Ours(ObjRef),
    Foreign(Foreign),
}
