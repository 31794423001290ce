//! The service catalog (assets/catalog.yml, embedded): services in deployment order, their
//! resource kinds in creation order, the template of each kind, dependencies, node role and
//! password keys. Data only; this module parses and checks it and answers lookups.

use std::collections::BTreeSet;
use std::fmt;

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::kind::Kind;
use crate::yaml;

/// Where the built-in catalog comes from, for messages.
pub const CATALOG_FILE: &str = "assets/catalog.yml";
const CATALOG_SOURCE: &str = include_str!("../../../assets/catalog.yml");

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/templates.rs"));
}

/// The node role a service runs on; it picks the node label its pods select.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Controller,
    Compute,
}

/// The guide's service verbs, each a fixed selection of a service's kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// disk, pv, pvc, configmap, bootstrap: what a service needs before it runs.
    Bootstrap,
    /// configmap, svc, pod.
    Run,
    /// Every kind, in reverse creation order.
    Kill,
}

impl Verb {
    /// The CLI's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Bootstrap => "bootstrap",
            Verb::Run => "run",
            Verb::Kill => "kill",
        }
    }
}

/// One kind of a service and the template that renders its objects.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindDef {
    pub kind: Kind,
    /// Path under assets/templates/.
    pub template: String,
}

/// One service of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceDef {
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// Keys of the `kolla-passwords` Secret this service reads.
    #[serde(default)]
    pub passwords: Vec<String>,
    /// Whether the operator may set `<name>_replicas`.
    #[serde(default)]
    pub replicas: bool,
    /// Size of the service's disk (a Kubernetes quantity), for services with data kinds.
    #[serde(default)]
    pub volume_size: Option<String>,
    kinds: Vec<KindDef>,
}

impl ServiceDef {
    /// The service's kinds in creation order.
    pub fn kinds(&self) -> impl DoubleEndedIterator<Item = Kind> + '_ {
        self.kinds.iter().map(|k| k.kind)
    }

    pub fn has_kind(&self, kind: Kind) -> bool {
        self.kinds().any(|k| k == kind)
    }

    /// The template (path under assets/templates/) of one of the service's kinds.
    pub fn template(&self, kind: Kind) -> Option<&str> {
        self.kinds
            .iter()
            .find(|k| k.kind == kind)
            .map(|k| k.template.as_str())
    }

    /// The kinds a verb acts on for this service, in the order it acts.
    pub fn verb_kinds(&self, verb: Verb) -> Vec<Kind> {
        let pick = |order: &[Kind]| {
            order
                .iter()
                .copied()
                .filter(|k| self.has_kind(*k))
                .collect()
        };
        match verb {
            Verb::Bootstrap => pick(&[
                Kind::Disk,
                Kind::Pv,
                Kind::Pvc,
                Kind::Configmap,
                Kind::Bootstrap,
            ]),
            Verb::Run => pick(&[Kind::Configmap, Kind::Svc, Kind::Pod]),
            Verb::Kill => self.kinds().rev().collect(),
        }
    }

    /// The service's kinds that hold data (deleting them needs `--delete-data`).
    pub fn data_kinds(&self) -> impl Iterator<Item = Kind> + '_ {
        self.kinds().filter(|k| k.holds_data())
    }
}

/// A name that is neither a catalog service nor one of the service's kinds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    #[error("unknown service '{name}'; valid services: {}", .valid.join(", "))]
    UnknownService { name: String, valid: Vec<String> },
    #[error("service '{service}' has no kind '{kind}'; its kinds: {}", join_kinds(.kinds))]
    NoSuchKind {
        service: String,
        kind: Kind,
        kinds: Vec<Kind>,
    },
    #[error(
        "expected a service and a kind, got '{first}' and '{second}'; valid services: {}; valid kinds: {}",
        .services.join(", "),
        join_kinds(&Kind::ALL)
    )]
    Unresolved {
        first: String,
        second: String,
        services: Vec<String>,
    },
}

fn join_kinds(kinds: &[Kind]) -> String {
    kinds
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    services: Vec<ServiceDef>,
}

/// The parsed, checked catalog and the templates it names.
#[derive(Debug, Clone)]
pub struct Catalog {
    services: Vec<ServiceDef>,
    templates: Vec<(String, String)>,
}

impl Catalog {
    /// The catalog and templates built into the binary.
    pub fn builtin() -> anyhow::Result<Catalog> {
        let templates = embedded::TEMPLATES
            .iter()
            .map(|(name, src)| (name.to_string(), src.to_string()))
            .collect();
        Catalog::parse(CATALOG_FILE, CATALOG_SOURCE, templates)
    }

    /// Parses and checks a catalog; `templates` are (path under assets/templates/, source).
    pub fn parse(
        file: &str,
        text: &str,
        templates: Vec<(String, String)>,
    ) -> anyhow::Result<Catalog> {
        let parsed: CatalogFile = yaml::parse(file, text)?;
        let catalog = Catalog {
            services: parsed.services,
            templates,
        };
        catalog
            .check()
            .with_context(|| format!("invalid catalog {file}"))?;
        Ok(catalog)
    }

    fn check(&self) -> anyhow::Result<()> {
        let mut seen: Vec<&str> = Vec::new();
        for service in &self.services {
            let name = service.name.as_str();
            if seen.contains(&name) {
                bail!("service '{name}' is listed twice");
            }
            if name.parse::<Kind>().is_ok() {
                bail!(
                    "service '{name}' has the name of a kind; service and kind names must differ"
                );
            }
            for dep in &service.depends_on {
                if !seen.contains(&dep.as_str()) {
                    bail!(
                        "service '{name}' depends on '{dep}', which is not a service listed before it"
                    );
                }
            }
            let mut kinds: Vec<Kind> = Vec::new();
            for def in &service.kinds {
                if kinds.contains(&def.kind) {
                    bail!("service '{name}' lists kind '{}' twice", def.kind);
                }
                kinds.push(def.kind);
                if self.template_source(&def.template).is_none() {
                    bail!(
                        "service '{name}' kind '{}' names template '{}', which is not under assets/templates/",
                        def.kind,
                        def.template
                    );
                }
            }
            if service.data_kinds().next().is_some() && service.volume_size.is_none() {
                bail!("service '{name}' has data kinds but no volume_size");
            }
            seen.push(name);
        }
        Ok(())
    }

    /// Every service, in deployment order.
    pub fn services(&self) -> &[ServiceDef] {
        &self.services
    }

    pub fn service_names(&self) -> Vec<String> {
        self.services.iter().map(|s| s.name.clone()).collect()
    }

    /// Looks a service up by name.
    pub fn service(&self, name: &str) -> Result<&ServiceDef, LookupError> {
        self.services
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| LookupError::UnknownService {
                name: name.to_string(),
                valid: self.service_names(),
            })
    }

    /// Resolves `<service> <kind>` given in either order (the two name sets are disjoint).
    pub fn resolve(&self, first: &str, second: &str) -> Result<(&ServiceDef, Kind), LookupError> {
        let (service, kind) = match (first.parse::<Kind>(), second.parse::<Kind>()) {
            (Err(_), Ok(kind)) => (first, kind),
            (Ok(kind), Err(_)) => (second, kind),
            _ => {
                return Err(LookupError::Unresolved {
                    first: first.to_string(),
                    second: second.to_string(),
                    services: self.service_names(),
                });
            }
        };
        let def = self.service(service)?;
        if !def.has_kind(kind) {
            return Err(LookupError::NoSuchKind {
                service: def.name.clone(),
                kind,
                kinds: def.kinds().collect(),
            });
        }
        Ok((def, kind))
    }

    /// Every password key any service reads: the keys of the `kolla-passwords` Secret.
    pub fn password_keys(&self) -> BTreeSet<&str> {
        self.services
            .iter()
            .flat_map(|s| s.passwords.iter().map(String::as_str))
            .collect()
    }

    /// Every template, as (path under assets/templates/, source).
    pub fn templates(&self) -> impl Iterator<Item = (&str, &str)> {
        self.templates.iter().map(|(n, s)| (n.as_str(), s.as_str()))
    }

    fn template_source(&self, name: &str) -> Option<&str> {
        self.templates().find(|(n, _)| *n == name).map(|(_, s)| s)
    }
}

impl fmt::Display for Catalog {
    /// The `resource map` tree: service -> kind -> template.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for service in &self.services {
            write!(f, "{}", service.name)?;
            if !service.depends_on.is_empty() {
                write!(f, " (after {})", service.depends_on.join(", "))?;
            }
            writeln!(f)?;
            let last = service.kinds.len().saturating_sub(1);
            for (i, def) in service.kinds.iter().enumerate() {
                let branch = if i == last { "└──" } else { "├──" };
                let data = if def.kind.holds_data() {
                    "  [data]"
                } else {
                    ""
                };
                writeln!(
                    f,
                    "  {branch} {:<9} {}{data}",
                    def.kind.as_str(),
                    def.template
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        Catalog::builtin().expect("the built-in catalog is valid")
    }

    #[test]
    fn builtin_has_the_guides_services_and_kinds() {
        let c = catalog();
        let kinds = |s: &str| c.service(s).unwrap().kinds().collect::<Vec<_>>();
        use Kind::*;
        assert_eq!(kinds("ceph"), vec![Bootstrap]);
        assert_eq!(
            kinds("mariadb"),
            vec![Disk, Pv, Pvc, Svc, Configmap, Bootstrap, Pod]
        );
        assert_eq!(kinds("memcached"), vec![Svc, Configmap, Pod]);
        assert_eq!(kinds("keystone"), vec![Svc, Configmap, Bootstrap, Pod]);
        assert_eq!(kinds("horizon"), vec![Svc, Configmap, Pod]);
        assert_eq!(&c.service_names()[..2], ["ceph", "mariadb"]);
    }

    #[test]
    fn resolve_accepts_both_orders_and_lists_valid_names() {
        let c = catalog();
        let (s, k) = c.resolve("mariadb", "pvc").unwrap();
        assert_eq!((s.name.as_str(), k), ("mariadb", Kind::Pvc));
        let (s, k) = c.resolve("pvc", "mariadb").unwrap();
        assert_eq!((s.name.as_str(), k), ("mariadb", Kind::Pvc));

        let err = c.resolve("mariadbb", "pvc").unwrap_err().to_string();
        assert!(
            err.contains("unknown service 'mariadbb'; valid services: ceph, mariadb"),
            "{err}"
        );
        let err = c.resolve("horizon", "pvc").unwrap_err().to_string();
        assert_eq!(
            err,
            "service 'horizon' has no kind 'pvc'; its kinds: svc, configmap, pod"
        );
        let err = c.resolve("horizon", "pods").unwrap_err().to_string();
        assert!(
            err.contains("valid kinds: disk, pv, pvc, svc, configmap, bootstrap, pod"),
            "{err}"
        );
    }

    #[test]
    fn verbs_pick_the_guides_kinds() {
        let c = catalog();
        let mariadb = c.service("mariadb").unwrap();
        use Kind::*;
        assert_eq!(
            mariadb.verb_kinds(Verb::Bootstrap),
            vec![Disk, Pv, Pvc, Configmap, Bootstrap]
        );
        assert_eq!(mariadb.verb_kinds(Verb::Run), vec![Configmap, Svc, Pod]);
        assert_eq!(
            mariadb.verb_kinds(Verb::Kill),
            vec![Pod, Bootstrap, Configmap, Svc, Pvc, Pv, Disk]
        );
        assert_eq!(
            mariadb.data_kinds().collect::<Vec<_>>(),
            vec![Disk, Pv, Pvc]
        );
        let ceph = c.service("ceph").unwrap();
        assert_eq!(ceph.verb_kinds(Verb::Bootstrap), vec![Bootstrap]);
        assert!(ceph.verb_kinds(Verb::Run).is_empty());
    }

    #[test]
    fn password_keys_are_the_union_of_every_service() {
        let c = catalog();
        let keys: Vec<&str> = c.password_keys().into_iter().collect();
        assert_eq!(
            keys,
            vec![
                "database_password",
                "horizon_secret_key",
                "keystone_admin_password",
                "keystone_database_password"
            ]
        );
    }

    #[test]
    fn bad_catalogs_are_refused_with_reasons() {
        let t = |name: &str| vec![(name.to_string(), String::new())];
        let cases = [
            (
                "services:\n- {name: a, role: controller, depends_on: [b], kinds: []}\n",
                "depends on 'b'",
            ),
            (
                "services:\n- {name: pod, role: controller, kinds: []}\n",
                "name of a kind",
            ),
            (
                "services:\n- {name: a, role: controller, kinds: [{kind: svc, template: nope.j2}]}\n",
                "not under assets/templates/",
            ),
            (
                "services:\n- {name: a, role: controller, kinds: [{kind: pv, template: x.j2}]}\n",
                "no volume_size",
            ),
        ];
        for (text, want) in cases {
            let err = format!(
                "{:#}",
                Catalog::parse("c.yml", text, t("x.j2")).unwrap_err()
            );
            assert!(err.contains(want), "{err}");
        }
        let err = Catalog::parse(
            "c.yml",
            "services:\n- {name: a, role: manager, kinds: []}\n",
            vec![],
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("c.yml:2:"), "{err}");
        assert!(err.contains("expected one of controller, compute"), "{err}");
    }
}
