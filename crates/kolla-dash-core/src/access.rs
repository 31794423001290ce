//! What kolla-dash needs from RBAC, derived from what it does: the objects the catalog's
//! templates render under the config (applied, deleted), the kinds each grid column is
//! computed from (listed and watched), the passwords Secret, events, pod logs and node
//! actions. `kolla-dash rbac` prints these needs as a Role and a ClusterRole, and the engine
//! checks the same needs before it acts, so what is granted and what is checked cannot drift.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::{Value, json};

use crate::catalog::Catalog;
use crate::config::{Config, StorageProvider};
use crate::kind::Kind;
use crate::labels;
use crate::render::{RenderError, Renderer};
use crate::status;
use crate::summary::ObjKind;

/// An RBAC verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verb {
    Get,
    List,
    Watch,
    Create,
    Patch,
    Delete,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::List => "list",
            Verb::Watch => "watch",
            Verb::Create => "create",
            Verb::Patch => "patch",
            Verb::Delete => "delete",
        }
    }

    /// Whether the verb changes the cluster.
    pub fn writes(self) -> bool {
        matches!(self, Verb::Create | Verb::Patch | Verb::Delete)
    }
}

/// Something RBAC grants rights on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    Obj(ObjKind),
    /// events.k8s.io Events: the log pane.
    Events,
    /// A pod's container logs (`l` in the dashboard).
    PodLogs,
    /// The Eviction subresource: drain.
    PodEvictions,
    /// The namespace itself.
    Namespace,
}

impl Resource {
    /// The API group ("" is the core group).
    pub fn group(self) -> &'static str {
        match self {
            Resource::Obj(kind) => kind.api_group(),
            Resource::Events => "events.k8s.io",
            Resource::PodLogs | Resource::PodEvictions | Resource::Namespace => "",
        }
    }

    /// The resource as an RBAC rule names it, subresource included (`pods/eviction`).
    pub fn rule_name(self) -> String {
        match self.subresource() {
            Some(sub) => format!("{}/{sub}", self.plural()),
            None => self.plural().to_string(),
        }
    }

    pub fn plural(self) -> &'static str {
        match self {
            Resource::Obj(kind) => kind.plural(),
            Resource::Events => "events",
            Resource::PodLogs | Resource::PodEvictions => "pods",
            Resource::Namespace => "namespaces",
        }
    }

    pub fn subresource(self) -> Option<&'static str> {
        match self {
            Resource::PodLogs => Some("log"),
            Resource::PodEvictions => Some("eviction"),
            _ => None,
        }
    }
}

/// Where a right must hold: in kolla-dash's namespace (a Role) or cluster-wide (a
/// ClusterRole).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    Namespace,
    Cluster,
}

/// One right kolla-dash needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Need {
    pub scope: Scope,
    pub resource: Resource,
    pub verb: Verb,
}

impl Need {
    /// `verb` on objects of `kind`, where kolla-dash keeps them.
    pub fn on(verb: Verb, kind: ObjKind) -> Need {
        let scope = if kind.cluster_scoped() {
            Scope::Cluster
        } else {
            Scope::Namespace
        };
        Need {
            scope,
            resource: Resource::Obj(kind),
            verb,
        }
    }

    fn namespaced(verb: Verb, resource: Resource) -> Need {
        Need {
            scope: Scope::Namespace,
            resource,
            verb,
        }
    }

    fn cluster(verb: Verb, resource: Resource) -> Need {
        Need {
            scope: Scope::Cluster,
            resource,
            verb,
        }
    }
}

/// Server-side apply is a patch, and a create when the object does not exist yet; first
/// the object at that name is read, to judge whose it is (`ownership`).
pub fn to_apply(kind: ObjKind) -> [Need; 3] {
    [Verb::Get, Verb::Create, Verb::Patch].map(|v| Need::on(v, kind))
}

/// Deleting reads the object first too: only kolla-dash's own is deleted, by its uid.
pub fn to_delete(kind: ObjKind) -> [Need; 2] {
    [Need::on(Verb::Get, kind), Need::on(Verb::Delete, kind)]
}

/// What a watcher does: list, then watch.
pub fn to_watch(kind: ObjKind) -> [Need; 2] {
    [Need::on(Verb::List, kind), Need::on(Verb::Watch, kind)]
}

/// Watching every kind a grid column's status is computed from.
pub fn to_judge(kind: Kind) -> Vec<Need> {
    status::sources(kind)
        .iter()
        .flat_map(|k| to_watch(*k))
        .collect()
}

/// The passwords Secret: read its key names, create it, add missing keys.
pub fn for_passwords() -> [Need; 3] {
    [Verb::Get, Verb::Create, Verb::Patch].map(|v| Need::on(v, ObjKind::Secret))
}

/// Cordoning and uncordoning a node.
pub fn to_cordon() -> Vec<Need> {
    vec![Need::on(Verb::Patch, ObjKind::Node)]
}

/// Draining a node: cordon it, list the pods on it in every namespace, evict each.
pub fn to_drain() -> Vec<Need> {
    let mut needs = to_cordon();
    needs.push(Need::cluster(Verb::List, Resource::Obj(ObjKind::Pod)));
    needs.push(Need::cluster(Verb::Create, Resource::PodEvictions));
    needs
}

/// Creating what a (service, kind) renders: applying each object, after making sure the
/// passwords Secret is complete.
pub fn to_create(rendered: &[ObjKind]) -> Vec<Need> {
    let mut needs: Vec<Need> = rendered.iter().flat_map(|k| to_apply(*k)).collect();
    needs.extend(for_passwords());
    needs
}

/// Deleting what a (service, kind) renders.
pub fn to_remove(rendered: &[ObjKind]) -> Vec<Need> {
    rendered.iter().flat_map(|k| to_delete(*k)).collect()
}

/// What the rights are wanted for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Wanted {
    /// Only reading: the dashboard with `--readonly`, `resource status`, `incidents`.
    pub readonly: bool,
    /// The nodes view's cordon, uncordon and drain.
    pub node_actions: bool,
}

/// Everything kolla-dash needs with this catalog and config: watching every column that
/// renders objects (and the nodes, events and pod logs), and unless read-only, applying and
/// deleting what the templates render plus the passwords Secret.
pub fn needs(catalog: &Catalog, config: &Config, wanted: Wanted) -> Result<Vec<Need>, RenderError> {
    let renderer = Renderer::new(config, catalog)?;
    let mut needs = BTreeSet::new();
    needs.extend(to_watch(ObjKind::Node));
    needs.extend([Verb::List, Verb::Watch].map(|v| Need::namespaced(v, Resource::Events)));
    needs.insert(Need::namespaced(Verb::Get, Resource::PodLogs));
    // Only to learn whether it exists; refused, kolla-dash works in it anyway.
    needs.insert(Need::cluster(Verb::Get, Resource::Namespace));
    for service in catalog.services() {
        for kind in service.kinds() {
            let manifests = renderer.render(&service.name, kind)?;
            if manifests.is_empty() {
                continue;
            }
            needs.extend(to_judge(kind));
            if !wanted.readonly {
                for m in &manifests {
                    needs.extend(to_apply(m.obj_kind));
                    needs.extend(to_delete(m.obj_kind));
                }
            }
        }
    }
    if !wanted.readonly && !catalog.password_keys().is_empty() {
        needs.extend(for_passwords());
    }
    if wanted.node_actions && !wanted.readonly {
        needs.extend(to_drain());
    }
    Ok(needs.into_iter().collect())
}

/// The rights that change something: what a read-only grant lacks.
pub fn writes(catalog: &Catalog, config: &Config) -> Result<Vec<Need>, RenderError> {
    Ok(needs(catalog, config, Wanted::default())?
        .into_iter()
        .filter(|n| n.verb.writes())
        .collect())
}

/// One RBAC rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub group: &'static str,
    pub resources: Vec<String>,
    pub verbs: Vec<Verb>,
    /// Limits the rule to these object names (empty: any).
    pub names: Vec<String>,
}

impl Rule {
    fn to_json(&self) -> Value {
        let mut rule = json!({
            "apiGroups": [self.group],
            "resources": self.resources,
            "verbs": self.verbs.iter().map(|v| v.as_str()).collect::<Vec<_>>(),
        });
        if !self.names.is_empty() {
            rule["resourceNames"] = json!(self.names);
        }
        rule
    }
}

/// The needs of one scope as compact rules: the verbs of each resource, then resources
/// with the same group and verbs in one rule. The namespace may only be read by name.
pub fn rules(needs: &[Need], scope: Scope, namespace: &str) -> Vec<Rule> {
    let mut verbs: BTreeMap<Resource, BTreeSet<Verb>> = BTreeMap::new();
    for need in needs.iter().filter(|n| n.scope == scope) {
        verbs.entry(need.resource).or_default().insert(need.verb);
    }
    // (group, verbs, names) -> resources
    type Key = (&'static str, Vec<Verb>, Vec<String>);
    let mut merged: BTreeMap<Key, Vec<String>> = BTreeMap::new();
    for (resource, verbs) in verbs {
        let names = match resource {
            Resource::Namespace => vec![namespace.to_string()],
            _ => Vec::new(),
        };
        merged
            .entry((resource.group(), verbs.into_iter().collect(), names))
            .or_default()
            .push(resource.rule_name());
    }
    merged
        .into_iter()
        .map(|((group, verbs, names), resources)| Rule {
            group,
            resources,
            verbs,
            names,
        })
        .collect()
}

/// Who `kolla-dash rbac` prints rights for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub namespace: String,
    pub readonly: bool,
    /// Also bind the roles to this user.
    pub user: Option<String>,
}

impl Grant {
    /// The Role's name (in the namespace).
    pub fn role(&self) -> &'static str {
        if self.readonly {
            "kolla-dash-readonly"
        } else {
            "kolla-dash"
        }
    }

    /// The ClusterRole's name: per namespace, as each may use another storage provider.
    pub fn cluster_role(&self) -> String {
        format!("{}-{}", self.role(), self.namespace)
    }
}

/// The objects `kolla-dash rbac` prints: the namespace (a Role lives in it), the Role and
/// the ClusterRole, and with a user, their bindings.
pub fn manifests(needs: &[Need], grant: &Grant) -> Vec<Value> {
    let ns = grant.namespace.as_str();
    let labels = json!({labels::MANAGED_BY: labels::MANAGED_BY_VALUE});
    let rules =
        |scope| -> Vec<Value> { rules(needs, scope, ns).iter().map(Rule::to_json).collect() };
    let rbac = "rbac.authorization.k8s.io/v1";
    let mut out = vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
        json!({
            "apiVersion": rbac, "kind": "Role",
            "metadata": {"name": grant.role(), "namespace": ns, "labels": labels},
            "rules": rules(Scope::Namespace),
        }),
    ];
    let cluster_rules = rules(Scope::Cluster);
    let cluster_role = grant.cluster_role();
    if !cluster_rules.is_empty() {
        out.push(json!({
            "apiVersion": rbac, "kind": "ClusterRole",
            "metadata": {"name": cluster_role, "labels": labels},
            "rules": cluster_rules,
        }));
    }
    if let Some(user) = &grant.user {
        let subjects =
            json!([{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}]);
        out.push(json!({
            "apiVersion": rbac, "kind": "RoleBinding",
            "metadata": {"name": grant.role(), "namespace": ns, "labels": labels},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": grant.role()},
            "subjects": subjects,
        }));
        if !cluster_rules.is_empty() {
            out.push(json!({
                "apiVersion": rbac, "kind": "ClusterRoleBinding",
                "metadata": {"name": cluster_role, "labels": labels},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": cluster_role},
                "subjects": subjects,
            }));
        }
    }
    out
}

/// The command that prints what to grant, for messages about missing rights.
pub fn rbac_command(namespace: &str, provider: StorageProvider, node_actions: bool) -> String {
    let mut command = format!(
        "kolla-dash rbac --namespace {namespace} --storage-provider {}",
        provider.as_str()
    );
    if node_actions {
        command.push_str(" --node-actions");
    }
    command
}

/// Refusal before acting: `what` needs rights the credentials lack.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Denied {
    /// What was asked, as the CLI spells it (`deploy`, `resource create mariadb pv`).
    pub what: String,
    pub missing: Vec<Need>,
    pub namespace: String,
    pub provider: StorageProvider,
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        for scope in [Scope::Namespace, Scope::Cluster] {
            let rules = rules(&self.missing, scope, &self.namespace);
            if rules.is_empty() {
                continue;
            }
            let what: Vec<String> = rules
                .iter()
                .map(|r| {
                    let verbs: Vec<&str> = r.verbs.iter().map(|v| v.as_str()).collect();
                    format!("{} {}", verbs.join(", "), r.resources.join(", "))
                })
                .collect();
            let place = match scope {
                Scope::Namespace => format!("in namespace {} (the Role)", self.namespace),
                Scope::Cluster => "cluster-wide (the ClusterRole)".to_string(),
            };
            parts.push(format!("{} {place}", what.join("; ")));
        }
        let node_actions = self.missing.iter().any(|n| {
            n.resource == Resource::PodEvictions || *n == Need::on(Verb::Patch, ObjKind::Node)
        });
        write!(
            f,
            "forbidden: {} needs rights these credentials lack (RBAC): {}; nothing was changed. \
             `{}` prints what a cluster admin can grant",
            self.what,
            parts.join("; and "),
            rbac_command(&self.namespace, self.provider, node_actions)
        )
    }
}

/// What the dashboard says when it finds it may change nothing.
pub fn readonly_note(namespace: &str) -> String {
    format!(
        "read-only: these credentials may not create, change or delete anything kolla-dash \
         manages in namespace {namespace} (RBAC); every action is refused here"
    )
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn config(provider: &str, extra: &str) -> Config {
        let kk = (
            "kk.yml".to_string(),
            format!("storage_provider: {provider}\n{extra}"),
        );
        let catalog = Catalog::builtin().unwrap();
        let mut config = Config::parse(Some(&kk), None, Path::new("."), &catalog).unwrap();
        config.set_namespace("t").unwrap();
        config
    }

    fn all(config: &Config, wanted: Wanted) -> Vec<Need> {
        needs(&Catalog::builtin().unwrap(), config, wanted).unwrap()
    }

    fn has(needs: &[Need], verb: Verb, kind: ObjKind) -> bool {
        needs.contains(&Need::on(verb, kind))
    }

    #[test]
    fn host_storage_needs_persistent_volumes_cluster_wide() {
        let needs = all(&config("host", ""), Wanted::default());
        for verb in [
            Verb::Create,
            Verb::Patch,
            Verb::Delete,
            Verb::List,
            Verb::Watch,
        ] {
            assert!(has(&needs, verb, ObjKind::PersistentVolume), "{verb:?}");
        }
        // The Jobs, workloads and claims are the namespace's.
        assert!(has(&needs, Verb::Create, ObjKind::Job));
        assert_eq!(
            Need::on(Verb::Create, ObjKind::PersistentVolumeClaim).scope,
            Scope::Namespace
        );
        // No StorageClass is rendered, so none is created; the disk column reads them.
        assert!(!has(&needs, Verb::Create, ObjKind::StorageClass));
        assert!(has(&needs, Verb::List, ObjKind::StorageClass));
    }

    #[test]
    fn an_existing_storage_class_needs_nothing_cluster_wide_but_node_reads() {
        let needs = all(
            &config("gce", "storage_class: standard-rwo\n"),
            Wanted::default(),
        );
        let cluster: Vec<&Need> = needs.iter().filter(|n| n.scope == Scope::Cluster).collect();
        assert!(cluster.iter().all(|n| !n.verb.writes()), "{cluster:?}");
        let cluster_kinds: BTreeSet<Resource> = cluster.iter().map(|n| n.resource).collect();
        assert_eq!(
            cluster_kinds,
            BTreeSet::from([Resource::Obj(ObjKind::Node), Resource::Namespace])
        );
        // Without it, kolla-dash creates a StorageClass per service.
        let needs = all(&config("gce", ""), Wanted::default());
        assert!(has(&needs, Verb::Create, ObjKind::StorageClass));
        assert!(!has(&needs, Verb::Create, ObjKind::PersistentVolume));
    }

    #[test]
    fn readonly_only_reads_and_node_actions_add_patch_and_evictions() {
        let config = config("host", "");
        let readonly = Wanted {
            readonly: true,
            node_actions: false,
        };
        let read = all(&config, readonly);
        assert!(read.iter().all(|n| !n.verb.writes()), "{read:?}");
        assert!(read.contains(&Need::namespaced(Verb::Get, Resource::PodLogs)));
        let full = all(&config, Wanted::default());
        assert!(!full.iter().any(|n| n.resource == Resource::PodEvictions));
        assert!(!has(&full, Verb::Patch, ObjKind::Node));
        let nodes = all(
            &config,
            Wanted {
                readonly: false,
                node_actions: true,
            },
        );
        assert!(nodes.contains(&Need::cluster(Verb::Create, Resource::PodEvictions)));
        assert!(has(&nodes, Verb::Patch, ObjKind::Node));
        assert_eq!(
            writes(&Catalog::builtin().unwrap(), &config).unwrap(),
            full.into_iter()
                .filter(|n| n.verb.writes())
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn rules_merge_resources_with_the_same_verbs_and_name_the_namespace() {
        let needs = [
            Need::on(Verb::List, ObjKind::Pod),
            Need::on(Verb::Watch, ObjKind::Pod),
            Need::on(Verb::List, ObjKind::ConfigMap),
            Need::on(Verb::Watch, ObjKind::ConfigMap),
            Need::on(Verb::Create, ObjKind::ConfigMap),
            Need::on(Verb::List, ObjKind::Job),
            Need::on(Verb::Watch, ObjKind::Job),
            Need::namespaced(Verb::Get, Resource::PodLogs),
            Need::cluster(Verb::Get, Resource::Namespace),
        ];
        let role = rules(&needs, Scope::Namespace, "t");
        assert_eq!(
            role,
            vec![
                Rule {
                    group: "",
                    resources: vec!["pods/log".into()],
                    verbs: vec![Verb::Get],
                    names: vec![],
                },
                Rule {
                    group: "",
                    resources: vec!["pods".into()],
                    verbs: vec![Verb::List, Verb::Watch],
                    names: vec![],
                },
                Rule {
                    group: "",
                    resources: vec!["configmaps".into()],
                    verbs: vec![Verb::List, Verb::Watch, Verb::Create],
                    names: vec![],
                },
                Rule {
                    group: "batch",
                    resources: vec!["jobs".into()],
                    verbs: vec![Verb::List, Verb::Watch],
                    names: vec![],
                },
            ]
        );
        let cluster = rules(&needs, Scope::Cluster, "t");
        assert_eq!(cluster[0].names, vec!["t".to_string()]);
    }

    #[test]
    fn a_refusal_names_what_was_asked_each_missing_right_and_the_command() {
        let denied = Denied {
            what: "deploy".into(),
            missing: vec![
                Need::on(Verb::Create, ObjKind::PersistentVolume),
                Need::on(Verb::Patch, ObjKind::PersistentVolume),
                Need::on(Verb::List, ObjKind::PersistentVolume),
            ],
            namespace: "t".into(),
            provider: StorageProvider::Host,
        };
        assert_eq!(
            denied.to_string(),
            "forbidden: deploy needs rights these credentials lack (RBAC): list, create, patch \
             persistentvolumes cluster-wide (the ClusterRole); nothing was changed. \
             `kolla-dash rbac --namespace t --storage-provider host` prints what a cluster \
             admin can grant"
        );
    }
}
