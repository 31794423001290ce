//! The service catalog (assets/catalog.yml, embedded): services in deployment order, their
//! resource kinds in creation order, the template of each kind, dependencies, node role and
//! password keys. Data only; this module parses and checks it and answers lookups. The
//! operator's overrides (`overrides.rs`) are laid over it here: their services and templates
//! pass the same checks.

use std::collections::BTreeSet;
use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::kind::Kind;
use crate::yaml::{self, YamlError};

/// Where the built-in catalog comes from, for messages.
pub const CATALOG_FILE: &str = "assets/catalog.yml";
/// Where the built-in templates come from, for messages.
pub const TEMPLATES_DIR: &str = "assets/templates";
const CATALOG_SOURCE: &str = include_str!("../../../assets/catalog.yml");

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/templates.rs"));
}

/// Where a template or a service definition comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Origin {
    /// Built into the binary from assets/.
    #[default]
    Embedded,
    /// The operator's file beside the config, which takes precedence.
    Override(PathBuf),
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
    /// Path under a templates directory (the operator's, else assets/templates/).
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
    /// The catalog file that defines it and where, for messages and `resource map`.
    #[serde(skip)]
    defined: Defined,
}

/// Where a service is defined.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Defined {
    file: String,
    origin: Origin,
    line: u64,
    column: u64,
}

impl ServiceDef {
    /// The service's kinds in creation order.
    pub fn kinds(&self) -> impl DoubleEndedIterator<Item = Kind> + '_ {
        self.kinds.iter().map(|k| k.kind)
    }

    pub fn has_kind(&self, kind: Kind) -> bool {
        self.kinds().any(|k| k == kind)
    }

    /// The template (path under a templates directory) of one of the service's kinds.
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

    /// Whether the operator's catalog defines it (added, or replacing the built-in one).
    pub fn origin(&self) -> &Origin {
        &self.defined.origin
    }

    /// A problem with this service's definition, at its place in its catalog file.
    fn problem(&self, message: String) -> YamlError {
        YamlError {
            file: self.defined.file.clone(),
            line: self.defined.line,
            column: self.defined.column,
            message,
        }
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
    services: Vec<Spanned<ServiceDef>>,
}

/// One template: its path under a templates directory, its text, and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub name: String,
    pub source: String,
    pub origin: Origin,
}

impl Template {
    pub fn embedded(name: &str, source: &str) -> Template {
        Template {
            name: name.to_string(),
            source: source.to_string(),
            origin: Origin::Embedded,
        }
    }

    /// The file messages name: the operator's file, or its place under assets/templates/.
    pub fn file(&self) -> String {
        match &self.origin {
            Origin::Embedded => format!("{TEMPLATES_DIR}/{}", self.name),
            Origin::Override(path) => path.display().to_string(),
        }
    }
}

/// A catalog file's text, with its name for messages and where it comes from.
#[derive(Debug, Clone)]
pub struct CatalogText {
    pub file: String,
    pub text: String,
    pub origin: Origin,
}

/// The parsed, checked catalog and the templates it names.
#[derive(Debug, Clone)]
pub struct Catalog {
    services: Vec<ServiceDef>,
    templates: Vec<Template>,
}

impl Catalog {
    /// The catalog and templates built into the binary.
    pub fn builtin() -> anyhow::Result<Catalog> {
        Catalog::layered(None, Vec::new())
    }

    /// The built-in catalog with the operator's on top: `operator`'s services are added
    /// after the built-in ones, or replace the built-in service of the same name in its
    /// place; `templates` replace the embedded template of the same path, or add one. The
    /// result is checked as a whole, and a template no service uses is refused (a misspelt
    /// override would otherwise change nothing, silently).
    pub fn layered(
        operator: Option<CatalogText>,
        templates: Vec<Template>,
    ) -> anyhow::Result<Catalog> {
        let mut all: Vec<Template> = embedded::TEMPLATES
            .iter()
            .map(|(name, src)| Template::embedded(name, src))
            .collect();
        for template in templates {
            match all.iter_mut().find(|t| t.name == template.name) {
                Some(same) => *same = template,
                None => all.push(template),
            }
        }
        let builtin = CatalogText {
            file: CATALOG_FILE.to_string(),
            text: CATALOG_SOURCE.to_string(),
            origin: Origin::Embedded,
        };
        let mut services = parse_services(&builtin)?;
        if let Some(operator) = &operator {
            for service in parse_services(operator)? {
                match services.iter_mut().find(|s| s.name == service.name) {
                    Some(same) => *same = service,
                    None => services.push(service),
                }
            }
        }
        let catalog = Catalog {
            services,
            templates: all,
        };
        catalog.check()?;
        catalog.check_overrides_used()?;
        Ok(catalog)
    }

    /// Parses and checks one catalog; `templates` are (path under assets/templates/, source).
    pub fn parse(
        file: &str,
        text: &str,
        templates: Vec<(String, String)>,
    ) -> anyhow::Result<Catalog> {
        let source = CatalogText {
            file: file.to_string(),
            text: text.to_string(),
            origin: Origin::Embedded,
        };
        let catalog = Catalog {
            services: parse_services(&source)?,
            templates: templates
                .into_iter()
                .map(|(name, source)| Template::embedded(&name, &source))
                .collect(),
        };
        catalog.check()?;
        Ok(catalog)
    }

    /// Every service in an order its dependencies allow, kinds unique, templates present;
    /// a problem names the service's place in its catalog file.
    fn check(&self) -> Result<(), YamlError> {
        let mut seen: Vec<&str> = Vec::new();
        for service in &self.services {
            let name = service.name.as_str();
            let bad = |message: String| Err(service.problem(message));
            if seen.contains(&name) {
                return bad(format!("service '{name}' is listed twice"));
            }
            if name.parse::<Kind>().is_ok() {
                return bad(format!(
                    "service '{name}' has the name of a kind; service and kind names must differ"
                ));
            }
            for dep in &service.depends_on {
                if !seen.contains(&dep.as_str()) {
                    return bad(format!(
                        "service '{name}' depends on '{dep}', which is not a service listed before it"
                    ));
                }
            }
            let mut kinds: Vec<Kind> = Vec::new();
            for def in &service.kinds {
                if kinds.contains(&def.kind) {
                    return bad(format!("service '{name}' lists kind '{}' twice", def.kind));
                }
                kinds.push(def.kind);
                if self.template(&def.template).is_none() {
                    let mut message = format!(
                        "service '{name}' kind '{}' names template '{}', which is neither an \
                         override (templates/ beside the config) nor under {TEMPLATES_DIR}/",
                        def.kind, def.template
                    );
                    if let Some(near) = yaml::closest(&def.template, self.template_names()) {
                        message.push_str(&format!("; did you mean '{near}'?"));
                    }
                    return bad(message);
                }
            }
            if service.data_kinds().next().is_some() && service.volume_size.is_none() {
                return bad(format!(
                    "service '{name}' has data kinds but no volume_size"
                ));
            }
            seen.push(name);
        }
        Ok(())
    }

    /// Every operator template is named by some service's kind.
    fn check_overrides_used(&self) -> Result<(), YamlError> {
        let used: BTreeSet<&str> = self
            .services
            .iter()
            .flat_map(|s| s.kinds.iter().map(|k| k.template.as_str()))
            .collect();
        for template in &self.templates {
            if matches!(template.origin, Origin::Override(_))
                && !used.contains(template.name.as_str())
            {
                let mut message = format!(
                    "no service's kind uses the template '{}', so this file would change nothing",
                    template.name
                );
                match yaml::closest(&template.name, used.iter().copied()) {
                    Some(near) => message.push_str(&format!("; did you mean '{near}'?")),
                    None => message.push_str(
                        "; name it in a service's kinds in catalog.yml beside the config",
                    ),
                }
                return Err(YamlError {
                    file: template.file(),
                    line: 0,
                    column: 0,
                    message,
                });
            }
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

    /// Every template, as (path under its templates directory, source).
    pub fn templates(&self) -> impl Iterator<Item = (&str, &str)> {
        self.templates
            .iter()
            .map(|t| (t.name.as_str(), t.source.as_str()))
    }

    /// A template by its path under the templates directories.
    pub fn template(&self, name: &str) -> Option<&Template> {
        self.templates.iter().find(|t| t.name == name)
    }

    fn template_names(&self) -> impl Iterator<Item = &str> {
        self.templates.iter().map(|t| t.name.as_str())
    }
}

/// The services of one catalog file, each knowing where it is defined.
fn parse_services(source: &CatalogText) -> Result<Vec<ServiceDef>, YamlError> {
    let parsed: CatalogFile = yaml::parse(&source.file, &source.text)?;
    Ok(parsed
        .services
        .into_iter()
        .map(|spanned| {
            let mut service = spanned.value;
            service.defined = Defined {
                file: source.file.clone(),
                origin: source.origin.clone(),
                line: spanned.referenced.line(),
                column: spanned.referenced.column(),
            };
            service
        })
        .collect())
}

impl fmt::Display for Catalog {
    /// The `resource map` tree: service -> kind -> template, each template embedded or the
    /// operator's override, each service from the built-in catalog or the operator's.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .services
            .iter()
            .flat_map(|s| s.kinds.iter().map(|k| k.template.chars().count()))
            .max()
            .unwrap_or(0);
        for service in &self.services {
            write!(f, "{}", service.name)?;
            if !service.depends_on.is_empty() {
                write!(f, " (after {})", service.depends_on.join(", "))?;
            }
            if let Origin::Override(_) = service.origin() {
                write!(f, "  [defined in {}]", service.defined.file)?;
            }
            writeln!(f)?;
            let last = service.kinds.len().saturating_sub(1);
            for (i, def) in service.kinds.iter().enumerate() {
                let branch = if i == last { "└──" } else { "├──" };
                let origin = match self.template(&def.template).map(|t| &t.origin) {
                    Some(Origin::Override(path)) => format!("override {}", path.display()),
                    _ => "embedded".to_string(),
                };
                let data = if def.kind.holds_data() {
                    "  [data]"
                } else {
                    ""
                };
                writeln!(
                    f,
                    "  {branch} {:<9} {:<width$}  {origin}{data}",
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
                "neither an override (templates/ beside the config) nor under assets/templates/",
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
            assert!(err.starts_with("c.yml:2:3: service"), "{err}");
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
