//! Whose object is it: the one rule deciding whether an existing object with a name
//! kolla-dash renders is kolla-dash's to change or delete, and the sentences that say so.
//! Every create, apply and delete (the engine), the foreign watch (the grid's "foreign"
//! cells) and the reattaching of kept volumes ask this rule and nothing else.

use std::collections::BTreeMap;
use std::fmt;

use crate::labels;
use crate::summary::{ObjRef, Owner};

/// What kolla-dash expects of an object it may touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim<'a> {
    /// The deployment's namespace (for cluster-scoped objects, their namespace label).
    pub namespace: &'a str,
    /// The catalog service it belongs to; `None` for objects of the whole deployment (the
    /// passwords Secret), which carry only the managed-by label.
    pub service: Option<&'a str>,
    pub cluster_scoped: bool,
}

/// Who manages an object that is not kolla-dash's, as far as it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Manager {
    /// kolla-dash's label, for another namespace's deployment or another service.
    KollaDash {
        namespace: Option<String>,
        service: Option<String>,
    },
    /// The `app.kubernetes.io/managed-by` label.
    Labelled(String),
    /// The field managers of its managedFields, in the order the server lists them.
    Fields(Vec<String>),
    /// Neither a label nor managedFields name anyone.
    Unknown,
}

impl fmt::Display for Manager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Manager::KollaDash { namespace, service } => {
                f.write_str("kolla-dash")?;
                if let Some(ns) = namespace {
                    write!(f, " for namespace {ns}")?;
                }
                if let Some(s) = service {
                    write!(f, " as service {s}")?;
                }
                Ok(())
            }
            Manager::Labelled(who) => write!(f, "{who}, by its {} label", labels::MANAGED_BY),
            Manager::Fields(who) => write!(f, "{}, by its managedFields", who.join(", ")),
            Manager::Unknown => f.write_str("someone else: no label or managedFields name them"),
        }
    }
}

/// Decides whether an object with `labels` (and `managers`, the field managers of its
/// managedFields) is kolla-dash's under `claim`: `Ok` when it is, else who manages it.
/// kolla-dash's own objects carry its managed-by label, the claimed service and, when
/// cluster-scoped, the claimed namespace; nothing else counts (a field manager named
/// kolla-dash alone does not: labels are what the watchers select on).
pub fn judge(
    claim: Claim<'_>,
    labels: &BTreeMap<String, String>,
    managers: &[String],
) -> Result<(), Manager> {
    let label = |key: &str| labels.get(key).map(String::as_str);
    let ours = label(labels::MANAGED_BY) == Some(labels::MANAGED_BY_VALUE);
    let service_ok = claim
        .service
        .is_none_or(|s| label(labels::SERVICE) == Some(s));
    let namespace_ok = !claim.cluster_scoped || label(labels::NAMESPACE) == Some(claim.namespace);
    if ours && service_ok && namespace_ok {
        return Ok(());
    }
    if ours {
        return Err(Manager::KollaDash {
            namespace: (!namespace_ok).then(|| label(labels::NAMESPACE).unwrap_or("?").into()),
            service: (!service_ok).then(|| label(labels::SERVICE).unwrap_or("?").into()),
        });
    }
    if let Some(who) = label(labels::MANAGED_BY) {
        return Err(Manager::Labelled(who.to_string()));
    }
    let mut named: Vec<String> = Vec::new();
    for m in managers {
        if !named.contains(m) {
            named.push(m.clone());
        }
    }
    Err(if named.is_empty() {
        Manager::Unknown
    } else {
        Manager::Fields(named)
    })
}

/// An object with a name kolla-dash renders for a grid cell that is not kolla-dash's.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Foreign {
    pub obj: ObjRef,
    /// `None` for cluster-scoped objects.
    pub namespace: Option<String>,
    /// The grid cell it stands in; `None` for the deployment's shared objects (the
    /// passwords Secret).
    pub cell: Option<Owner>,
    #[serde(serialize_with = "as_text")]
    pub manager: Manager,
}

fn as_text<S: serde::Serializer>(manager: &Manager, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(manager)
}

/// What kolla-dash was about to do when it met a foreign object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meeting {
    /// Creating (applying) its cell: refused unless adopting.
    Create,
    /// Deleting its cell: never.
    Delete,
    /// Showing the cell (why-line, `resource status`).
    Show,
}

impl Foreign {
    /// `ConfigMap/keystone in namespace ns`.
    pub fn what(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}/{} in namespace {ns}", self.obj.kind, self.obj.name),
            None => format!("{}/{}", self.obj.kind, self.obj.name),
        }
    }

    /// `ConfigMap/keystone in namespace ns is not kolla-dash's (managed by ...)`.
    pub fn whose(&self) -> String {
        format!(
            "{} is not kolla-dash's (managed by {})",
            self.what(),
            self.manager
        )
    }

    /// The one line saying whose it is and what kolla-dash does about it.
    pub fn sentence(&self, meeting: Meeting) -> String {
        let whose = self.whose();
        match meeting {
            Meeting::Create => {
                format!("{whose}: left unchanged; pass --adopt to take it over")
            }
            Meeting::Delete => format!("{whose}: left alone, not deleted"),
            Meeting::Show => format!("{whose}; creating it would need --adopt"),
        }
    }
}

/// What taking an object over changed, for the operator.
pub fn adopted_sentence(foreign: &Foreign, overwrote: &[String]) -> String {
    let fields = if overwrote.is_empty() {
        "no field another manager owned".to_string()
    } else {
        overwrote.join(", ")
    };
    format!(
        "adopted {} (was managed by {}); overwrote {fields}",
        foreign.what(),
        foreign.manager
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::ObjKind;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const KEYSTONE: Claim<'static> = Claim {
        namespace: "ns",
        service: Some("keystone"),
        cluster_scoped: false,
    };

    #[test]
    fn ours_needs_the_label_the_service_and_for_volumes_the_namespace() {
        let own = labels(&[
            (labels::MANAGED_BY, "kolla-dash"),
            (labels::SERVICE, "keystone"),
        ]);
        assert_eq!(judge(KEYSTONE, &own, &[]), Ok(()));
        let pv = Claim {
            cluster_scoped: true,
            ..KEYSTONE
        };
        assert_eq!(
            judge(pv, &own, &[]),
            Err(Manager::KollaDash {
                namespace: Some("?".into()),
                service: None
            })
        );
        let mut other_ns = own.clone();
        other_ns.insert(labels::NAMESPACE.into(), "prod".into());
        let err = judge(pv, &other_ns, &[]).unwrap_err();
        assert_eq!(err.to_string(), "kolla-dash for namespace prod");
        other_ns.insert(labels::NAMESPACE.into(), "ns".into());
        assert_eq!(judge(pv, &other_ns, &[]), Ok(()));
        let passwords = Claim {
            service: None,
            ..KEYSTONE
        };
        assert_eq!(
            judge(
                passwords,
                &labels(&[(labels::MANAGED_BY, "kolla-dash")]),
                &[]
            ),
            Ok(())
        );
    }

    #[test]
    fn foreign_objects_name_their_manager() {
        let helm = labels(&[(labels::MANAGED_BY, "Helm")]);
        assert_eq!(
            judge(KEYSTONE, &helm, &["helm".into()]),
            Err(Manager::Labelled("Helm".into()))
        );
        let managers = [
            "kubectl-create".to_string(),
            "kubectl-create".into(),
            "x".into(),
        ];
        let err = judge(KEYSTONE, &BTreeMap::new(), &managers).unwrap_err();
        assert_eq!(err.to_string(), "kubectl-create, x, by its managedFields");
        // kolla-dash's field manager without its labels is not enough.
        let err = judge(KEYSTONE, &BTreeMap::new(), &["kolla-dash".into()]).unwrap_err();
        assert_eq!(err, Manager::Fields(vec!["kolla-dash".into()]));
        assert_eq!(
            judge(KEYSTONE, &BTreeMap::new(), &[]),
            Err(Manager::Unknown)
        );
        let wrong_service = labels(&[
            (labels::MANAGED_BY, "kolla-dash"),
            (labels::SERVICE, "horizon"),
        ]);
        assert_eq!(
            judge(KEYSTONE, &wrong_service, &[])
                .unwrap_err()
                .to_string(),
            "kolla-dash as service horizon"
        );
    }

    #[test]
    fn sentences_name_the_object_and_its_manager_on_one_line() {
        let foreign = Foreign {
            obj: ObjRef {
                kind: ObjKind::ConfigMap,
                name: "keystone".into(),
            },
            namespace: Some("ns".into()),
            cell: Some(Owner {
                service: "keystone".into(),
                kind: crate::kind::Kind::Configmap,
            }),
            manager: Manager::Fields(vec!["kubectl-create".into()]),
        };
        let create = foreign.sentence(Meeting::Create);
        assert_eq!(
            create,
            "ConfigMap/keystone in namespace ns is not kolla-dash's (managed by \
             kubectl-create, by its managedFields): left unchanged; pass --adopt to take it over"
        );
        for meeting in [Meeting::Create, Meeting::Delete, Meeting::Show] {
            assert!(!foreign.sentence(meeting).contains('\n'));
        }
        assert!(adopted_sentence(&foreign, &[".data.x".into()]).ends_with("overwrote .data.x"));
    }
}
