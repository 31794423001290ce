//! Config + catalog -> Kubernetes manifests, through the minijinja templates. Pure: no I/O.
//!
//! Every object leaves here labelled with managed-by, service and kind (src/labels.rs) and
//! placed in the config's namespace unless it is cluster-scoped; templates need not do it.

use std::collections::BTreeMap;

use minijinja::value::{Kwargs, Serde, Value};
use minijinja::{AutoEscape, Environment, UndefinedBehavior, context};
use serde_json::Map;

use crate::catalog::{Catalog, LookupError, ServiceDef};
use crate::config::Config;
use crate::kind::Kind;
use crate::labels;
use crate::summary::ObjKind;
use crate::values;
use crate::yaml::{self, YamlError};

/// The Secret holding every password; pods read it through secretKeyRef.
pub const PASSWORDS_SECRET: &str = "kolla-passwords";
/// Where host storage keeps each namespace's service data directories (`<dir>/<namespace>/<service>`).
pub const HOST_VOLUMES_DIR: &str = "/var/lib/kolla/volumes";

/// The object kinds a template may produce (all of them watched by the dashboard): what
/// kolla-dash applies.
pub const MANIFEST_KINDS: [ObjKind; 9] = [
    ObjKind::Job,
    ObjKind::Deployment,
    ObjKind::StatefulSet,
    ObjKind::Service,
    ObjKind::ConfigMap,
    ObjKind::Secret,
    ObjKind::PersistentVolume,
    ObjKind::PersistentVolumeClaim,
    ObjKind::StorageClass,
];

/// One rendered object, ready for server-side apply.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// The catalog service and kind it was rendered for.
    pub service: String,
    pub kind: Kind,
    pub api_version: String,
    pub obj_kind: ObjKind,
    pub name: String,
    /// `None` for cluster-scoped objects (PersistentVolume, StorageClass).
    pub namespace: Option<String>,
    /// The whole object, labels and namespace included.
    pub object: serde_json::Value,
    /// `object` as YAML.
    pub yaml: String,
}

/// Why a (service, kind) could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Lookup(#[from] LookupError),
    /// `file` is the template's file (the operator's override, or under assets/templates/);
    /// line and column count from 1, 0 when unknown.
    #[error("{file}:{line}{}: {message}", column_suffix(*.column))]
    Template {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{0}")]
    Yaml(YamlError),
    #[error("{file}: document {index}: {message}")]
    Object {
        file: String,
        index: usize,
        message: String,
    },
}

/// Renders the catalog's templates with one config.
pub struct Renderer<'a> {
    config: &'a Config,
    catalog: &'a Catalog,
    env: Environment<'a>,
}

impl<'a> Renderer<'a> {
    /// Compiles every template; a syntax error names its file and line.
    pub fn new(config: &'a Config, catalog: &'a Catalog) -> Result<Self, RenderError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        // Errors say what was undefined in release builds too (the operator's overrides).
        env.set_debug(true);
        // Strict mode still hands an undefined value to a filter, and `tojson` would write
        // it as `null`: a misspelt name (`{{ selectr | tojson }}`) is an error instead.
        env.add_filter(
            "tojson",
            |value: &Value, indent: Option<Value>, args: Kwargs| {
                if value.is_undefined() {
                    return Err(minijinja::Error::new(
                        minijinja::ErrorKind::UndefinedError,
                        "tojson was given a name that is not defined",
                    ));
                }
                minijinja::filters::tojson(value, indent, args)
            },
        );
        // minijinja strips `.j2` and would JSON-escape `*.yml` output (`{{ x }}-disk` ->
        // `"x"-disk`); templates quote where YAML needs it and use `tojson` for structures.
        env.set_auto_escape_callback(|_| AutoEscape::None);
        for (name, source) in catalog.templates() {
            env.add_template(name, source)
                .map_err(|e| template_error(catalog, name, &e))?;
        }
        let images = config.images.clone();
        env.add_function("image", move |name: String| {
            // The registry, namespace and tag were checked with the config; the image name
            // comes from a template and is checked here.
            values::check_repository_path("image name", &name)
                .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e))?;
            Ok(images.reference(&name))
        });
        let (ns, domain) = (config.namespace.clone(), config.dns_domain_name.clone());
        env.add_function("host", move |service: String| {
            format!("{service}.{ns}.svc.{domain}")
        });
        env.add_function("password_env", |var: String, key: String| {
            Value::from(Serde(password_env(&var, &key)))
        });
        let mariadb = format!(
            "mariadb.{}.svc.{}",
            config.namespace, config.dns_domain_name
        );
        // oslo.config reads [database] connection from OS_DATABASE__CONNECTION, and
        // Kubernetes expands $(VAR) from the env entry before it, so the URL carries the
        // password without it ever being written into a manifest.
        env.add_function(
            "database_env",
            move |user: String, key: String, database: String| {
                let var = key.to_uppercase();
                let url = format!("mysql+pymysql://{user}:$({var})@{mariadb}:3306/{database}");
                Value::from(Serde([
                    password_env(&var, &key),
                    serde_json::json!({"name": "OS_DATABASE__CONNECTION", "value": url}),
                ]))
            },
        );
        Ok(Renderer {
            config,
            catalog,
            env,
        })
    }

    /// Renders every object of one kind of one service (possibly none, e.g. ceph's secret
    /// when storage is not ceph).
    pub fn render(&self, service: &str, kind: Kind) -> Result<Vec<Manifest>, RenderError> {
        let def = self.catalog.service(service)?;
        let template = def.template(kind).ok_or_else(|| LookupError::NoSuchKind {
            service: def.name.clone(),
            kind,
            kinds: def.kinds().collect(),
        })?;
        let text = self
            .env
            .get_template(template)
            .and_then(|t| t.render(self.context(def, kind)))
            .map_err(|e| template_error(self.catalog, template, &e))?;
        let file = template_file(self.catalog, template);
        let docs =
            yaml::parse_all(&format!("{file} (rendered)"), &text).map_err(RenderError::Yaml)?;
        docs.into_iter()
            .enumerate()
            .map(|(i, doc)| {
                self.finish(def, kind, doc)
                    .map_err(|message| RenderError::Object {
                        file: file.clone(),
                        index: i + 1,
                        message,
                    })
            })
            .collect()
    }

    /// The service's kinds that render at least one object with this config (ceph's
    /// secret only exists when storage is ceph): its grid row's cells.
    pub fn active_kinds(&self, service: &str) -> Result<Vec<Kind>, RenderError> {
        let mut kinds = Vec::new();
        for kind in self.catalog.service(service)?.kinds() {
            if !self.render(service, kind)?.is_empty() {
                kinds.push(kind);
            }
        }
        Ok(kinds)
    }

    fn context(&self, def: &ServiceDef, kind: Kind) -> Value {
        let config = self.config;
        let ns = &config.namespace;
        context! {
            service => &def.name,
            namespace => ns,
            labels => object_labels(&def.name, kind),
            selector => object_labels(&def.name, Kind::Pod),
            replicas => config.replicas(&def.name),
            node_selector => Value::from(Serde(BTreeMap::from([(config.node_label(def.role), "true")]))),
            storage => Value::from(Serde(&config.storage)),
            volume => context! {
                name => &def.name,
                size => &def.volume_size,
                // Per namespace: two deployments on one cluster never share a directory.
                dir => format!("{ns}/{}", def.name),
                path => format!("{HOST_VOLUMES_DIR}/{ns}/{}", def.name),
                pv => volume_name(ns, &def.name),
                // The operator's own class (storage_class), else one per namespace.
                class => config.storage.class.clone().unwrap_or_else(|| volume_name(ns, &def.name)),
                rbd_image => format!("{}/{}", config.storage.ceph.pool, volume_name(ns, &def.name)),
            },
            // What the rbd Jobs pass to ceph, built here so no template splices it into text.
            ceph_args => format!(
                "--id {} -m {} --key $(CEPH_KEY)",
                config.storage.ceph.user,
                config.storage.ceph.monitors.join(",")
            ),
        }
    }

    /// Checks one parsed document and stamps the labels and namespace on it.
    fn finish(
        &self,
        def: &ServiceDef,
        kind: Kind,
        mut doc: serde_json::Value,
    ) -> Result<Manifest, String> {
        let obj = doc.as_object_mut().ok_or("is not a mapping")?;
        let api_version = str_field(obj, "apiVersion")?.to_string();
        let kind_name = str_field(obj, "kind")?;
        let obj_kind = MANIFEST_KINDS
            .into_iter()
            .find(|k| k.as_str() == kind_name)
            .ok_or_else(|| format!("kind {kind_name} is not one kolla-dash manages"))?;
        let metadata = obj
            .get_mut("metadata")
            .and_then(|m| m.as_object_mut())
            .ok_or("has no metadata mapping")?;
        let name = str_field(metadata, "name")?.to_string();
        let namespace = (!obj_kind.cluster_scoped()).then(|| self.config.namespace.clone());
        match &namespace {
            Some(ns) => metadata.insert("namespace".into(), ns.clone().into()),
            None => metadata.remove("namespace"),
        };
        let labels = metadata
            .entry("labels")
            .or_insert_with(|| serde_json::Value::Object(Map::new()))
            .as_object_mut()
            .ok_or("metadata.labels is not a mapping")?;
        for (key, value) in object_labels(&def.name, kind) {
            labels.insert(key.to_string(), value.into());
        }
        if namespace.is_none() {
            // Cluster-scoped objects are shared by every namespace's deployment; this label
            // keeps one namespace's watchers from seeing another's volumes.
            labels.insert(
                labels::NAMESPACE.to_string(),
                self.config.namespace.clone().into(),
            );
        }
        let yaml = serde_saphyr::to_string(&doc).map_err(|e| format!("cannot write YAML: {e}"))?;
        Ok(Manifest {
            service: def.name.clone(),
            kind,
            api_version,
            obj_kind,
            name,
            namespace,
            object: doc,
            yaml,
        })
    }
}

/// The name of a service's cluster-wide storage objects (PV, StorageClass, rbd image):
/// prefixed with the namespace, so two namespaces' deployments never share one.
pub fn volume_name(namespace: &str, service: &str) -> String {
    format!("{namespace}-{service}")
}

/// An env entry that reads one key of the passwords Secret into `var`.
fn password_env(var: &str, key: &str) -> serde_json::Value {
    serde_json::json!({
        "name": var,
        "valueFrom": {"secretKeyRef": {"name": PASSWORDS_SECRET, "key": key}},
    })
}

/// The labels every object (and every pod template) of one service's kind carries.
pub fn object_labels(service: &str, kind: Kind) -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        (labels::MANAGED_BY, labels::MANAGED_BY_VALUE.to_string()),
        (labels::SERVICE, service.to_string()),
        (labels::KIND, kind.as_str().to_string()),
    ])
}

fn str_field<'m>(obj: &'m Map<String, serde_json::Value>, key: &str) -> Result<&'m str, String> {
    obj.get(key)
        .and_then(|v| v.as_str())
        .ok_or_else(|| format!("has no string `{key}`"))
}

/// The file messages name for a template: the operator's override, or its place under
/// assets/templates/.
fn template_file(catalog: &Catalog, name: &str) -> String {
    catalog
        .template(name)
        .map_or_else(|| name.to_string(), |t| t.file())
}

/// A minijinja error at file:line:column of the template it happened in (an included
/// template's own, if that is where).
fn template_error(catalog: &Catalog, template: &str, err: &minijinja::Error) -> RenderError {
    let message = match err.detail() {
        Some(detail) => format!("{}: {detail}", err.kind()),
        None => err.kind().to_string(),
    };
    let name = err.name().unwrap_or(template);
    let column = match (err.range(), catalog.template(name)) {
        (Some(range), Some(t)) => column_at(&t.source, range.start),
        _ => 0,
    };
    RenderError::Template {
        file: template_file(catalog, name),
        line: err.line().unwrap_or(0),
        column,
        message,
    }
}

/// The 1-based column (in characters) of byte `offset` in `source`; 0 if it is not a
/// character boundary of it.
fn column_at(source: &str, offset: usize) -> usize {
    let Some(before) = source.get(..offset) else {
        return 0;
    };
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    before[line_start..].chars().count() + 1
}

fn column_suffix(column: usize) -> String {
    if column == 0 {
        String::new()
    } else {
        format!(":{column}")
    }
}
