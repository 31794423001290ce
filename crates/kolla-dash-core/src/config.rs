//! The operator's config: etc/kolla-kubernetes.yml and etc/globals.yml (the guide's option
//! names) read into a typed, checked `Config`. Keys a file leaves out take the built-in
//! defaults (this crate's own etc/ files); errors say file:line:column and what is allowed.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use crate::catalog::{Catalog, Role};
use crate::values;
use crate::yaml::{self, YamlError};

pub const KOLLA_KUBERNETES_FILE: &str = "kolla-kubernetes.yml";
pub const GLOBALS_FILE: &str = "globals.yml";
const DEFAULT_KOLLA_KUBERNETES: &str = include_str!("../../../etc/kolla-kubernetes.yml");
const DEFAULT_GLOBALS: &str = include_str!("../../../etc/globals.yml");
/// What messages call the built-in defaults.
const BUILTIN: &str = "<built-in etc>";

/// Why the config could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Invalid(#[from] YamlError),
    #[error("cannot read {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Where persistent volumes come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageProvider {
    /// A directory on the node, /var/lib/kolla/volumes/<name>, as a hostPath PV.
    Host,
    /// An RBD image, as a static PV of the ceph CSI driver.
    Ceph,
    /// A GCE persistent disk, provisioned through a CSI StorageClass.
    Gce,
    /// An AWS EBS volume, provisioned through a CSI StorageClass.
    Aws,
}

impl StorageProvider {
    pub const ALL: [StorageProvider; 4] = [
        StorageProvider::Host,
        StorageProvider::Ceph,
        StorageProvider::Gce,
        StorageProvider::Aws,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StorageProvider::Host => "host",
            StorageProvider::Ceph => "ceph",
            StorageProvider::Gce => "gce",
            StorageProvider::Aws => "aws",
        }
    }
}

/// Filesystem put on block volumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Fstype {
    Ext4,
    Xfs,
}

/// `storage_ceph`: read only when storage_provider is ceph. Every value is checked where it
/// is written (`CephFile`), so none can change a manifest's shape.
#[derive(Debug, Clone, Serialize)]
pub struct CephConfig {
    /// The client keyring; its key goes into the ceph secret. Relative paths are relative
    /// to the config directory.
    pub keyring: PathBuf,
    pub monitors: Vec<String>,
    pub pool: String,
    #[serde(rename = "secretName")]
    pub secret_name: String,
    /// The ceph user (client.<user>) the driver and the rbd Jobs act as.
    pub user: String,
    /// The cluster id the ceph CSI driver knows this cluster by.
    #[serde(rename = "clusterID")]
    pub cluster_id: String,
    /// The key read from `keyring` when storage_provider is ceph.
    pub key: Option<CephKey>,
}

/// `storage_ceph` as written, with each value's place for error messages.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CephFile {
    keyring: PathBuf,
    monitors: Vec<Spanned<String>>,
    pool: Spanned<String>,
    #[serde(rename = "secretName")]
    secret_name: Spanned<String>,
    user: Spanned<String>,
    #[serde(rename = "clusterID")]
    cluster_id: Spanned<String>,
    /// Accepted because the guide's files carry it; unused, as rbd runs in a Job, not ssh.
    #[serde(default, rename = "ssh_user")]
    _ssh_user: Option<de::IgnoredAny>,
}

impl CephFile {
    /// The checked config, or the first value that fails its grammar and where it is.
    fn check(self) -> Result<CephConfig, (serde_saphyr::Location, String)> {
        let at = |v: &Spanned<String>, check: values::Check, key| {
            check(key, &v.value).map_err(|m| (v.referenced, m))
        };
        for m in &self.monitors {
            at(m, values::check_monitor, "storage_ceph.monitors")?;
        }
        at(&self.pool, values::check_ceph_name, "storage_ceph.pool")?;
        at(
            &self.secret_name,
            values::check_object_name,
            "storage_ceph.secretName",
        )?;
        at(&self.user, values::check_ceph_name, "storage_ceph.user")?;
        at(
            &self.cluster_id,
            values::check_ceph_name,
            "storage_ceph.clusterID",
        )?;
        Ok(CephConfig {
            keyring: self.keyring,
            monitors: self.monitors.into_iter().map(|m| m.value).collect(),
            pool: self.pool.value,
            secret_name: self.secret_name.value,
            user: self.user.value,
            cluster_id: self.cluster_id.value,
            key: None,
        })
    }
}

/// A ceph key: serialised for the ceph secret's template, never shown by `Debug`.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct CephKey(String);

impl fmt::Debug for CephKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CephKey(<redacted>)")
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Storage {
    pub provider: StorageProvider,
    pub fstype: Fstype,
    /// `storage_class` (gce, aws): an existing StorageClass the claims use, so kolla-dash
    /// creates none (a cluster-scoped object a namespace's operator may not create).
    pub class: Option<String>,
    pub ceph: CephConfig,
}

/// globals.yml: where images come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Images {
    pub registry: String,
    pub namespace: String,
    /// The image tag, e.g. 2025.1-ubuntu-noble.
    pub tag: String,
}

impl Images {
    /// The full reference of one kolla image, e.g. quay.io/openstack.kolla/keystone:2025.1-ubuntu-noble.
    pub fn reference(&self, image: &str) -> String {
        let repo = [self.registry.as_str(), self.namespace.as_str(), image]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join("/");
        format!("{repo}:{}", self.tag)
    }
}

/// The node label keys (set to "true" on a node) that place each role's pods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeLabels {
    pub controller: String,
    pub compute: String,
}

/// The whole operator config.
#[derive(Debug, Clone, Serialize)]
pub struct Config {
    pub namespace: String,
    pub dns_domain_name: String,
    pub node_labels: NodeLabels,
    /// `<service>_replicas` by service; services not named run one replica.
    pub replicas: BTreeMap<String, u32>,
    pub storage: Storage,
    pub images: Images,
}

impl Config {
    /// Reads `dir`/kolla-kubernetes.yml and `dir`/globals.yml. `None` reads ./etc when it
    /// exists, else only the built-in defaults. A file missing from the directory means its
    /// built-in defaults; keys a file leaves out take theirs too.
    pub fn load(dir: Option<&Path>, catalog: &Catalog) -> Result<Config, ConfigError> {
        let Some(dir) = config_dir(dir) else {
            return Config::parse(None, None, Path::new("."), catalog);
        };
        if !dir.is_dir() {
            return Err(ConfigError::Read {
                path: dir,
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "not a directory"),
            });
        }
        let kk = read_if_present(&dir.join(KOLLA_KUBERNETES_FILE))?;
        let globals = read_if_present(&dir.join(GLOBALS_FILE))?;
        Config::parse(kk.as_ref(), globals.as_ref(), &dir, catalog)
    }

    /// Builds the config from file contents, each given as (name for messages, text);
    /// `None` takes the built-in defaults. `dir` anchors relative paths in the config.
    pub fn parse(
        kolla_kubernetes: Option<&(String, String)>,
        globals: Option<&(String, String)>,
        dir: &Path,
        catalog: &Catalog,
    ) -> Result<Config, ConfigError> {
        let scalable: Vec<String> = catalog
            .services()
            .iter()
            .filter(|s| s.replicas)
            .map(|s| s.name.clone())
            .collect();
        let builtin_kk = format!("{BUILTIN}/{KOLLA_KUBERNETES_FILE}");
        let mut kk = parse_kolla_kubernetes(&builtin_kk, DEFAULT_KOLLA_KUBERNETES, &scalable)?;
        // The defaults were written for the built-in catalog: another catalog keeps only
        // the replica counts of its own services.
        kk.replicas.retain(|service, _| scalable.contains(service));
        if let Some((file, text)) = kolla_kubernetes {
            kk = parse_kolla_kubernetes(file, text, &scalable)?.over(kk);
        }
        let builtin_globals = format!("{BUILTIN}/{GLOBALS_FILE}");
        let mut gl = GlobalsFile::parse(&builtin_globals, DEFAULT_GLOBALS)?;
        if let Some((file, text)) = globals {
            gl = GlobalsFile::parse(file, text)?.over(gl);
        }
        let value = |v: Option<Spanned<String>>| v.map(|v| v.value);
        let mut config = Config {
            namespace: required(kk.namespace, "kolla_kubernetes_namespace")?,
            dns_domain_name: required(kk.dns_domain_name, "dns_domain_name")?,
            node_labels: NodeLabels {
                controller: required(kk.controller_label, "kolla_controller_label")?,
                compute: required(kk.compute_label, "kolla_compute_label")?,
            },
            replicas: kk.replicas,
            storage: Storage {
                provider: required(
                    kk.storage_provider.as_ref().map(|p| p.value),
                    "storage_provider",
                )?,
                fstype: required(kk.fstype, "storage_provider_fstype")?,
                class: None,
                ceph: required(kk.ceph, "storage_ceph")?,
            },
            images: Images {
                registry: required(value(gl.docker_registry), "docker_registry")?,
                namespace: required(value(gl.docker_namespace), "docker_namespace")?,
                tag: match value(gl.openstack_tag).filter(|t| !t.is_empty()) {
                    Some(tag) => tag,
                    None => composed_tag(
                        &required(value(gl.openstack_release), "openstack_release")?,
                        &required(value(gl.kolla_base_distro), "kolla_base_distro")?,
                        &required(
                            value(gl.kolla_base_distro_version),
                            "kolla_base_distro_version",
                        )?,
                    )?,
                },
            },
        };
        if let Some(class) = kk.storage_class.filter(|c| !c.value.is_empty()) {
            if matches!(
                config.storage.provider,
                StorageProvider::Host | StorageProvider::Ceph
            ) {
                return Err(YamlError {
                    file: kk.class_file.unwrap_or(builtin_kk),
                    line: class.referenced.line(),
                    column: class.referenced.column(),
                    message: format!(
                        "storage_class is for the gce and aws providers; storage_provider {} \
                         binds each claim to its own PersistentVolume",
                        config.storage.provider.as_str()
                    ),
                }
                .into());
            }
            config.storage.class = Some(class.value);
        }
        if config.storage.provider == StorageProvider::Ceph {
            let at = kk.storage_provider.map(|p| p.referenced);
            let file = kk.provider_file.unwrap_or(builtin_kk);
            config.storage.ceph.key = Some(read_ceph_key(&config.storage.ceph, dir, &file, at)?);
        }
        Ok(config)
    }

    /// Replaces the namespace (the `--namespace` flag), checked as the config's would be.
    pub fn set_namespace(&mut self, namespace: &str) -> Result<(), ConfigError> {
        check_dns_label(namespace, "--namespace").map_err(|message| YamlError {
            file: "command line".into(),
            line: 0,
            column: 0,
            message,
        })?;
        self.namespace = namespace.to_string();
        Ok(())
    }

    /// The replica count of a service's pods.
    pub fn replicas(&self, service: &str) -> u32 {
        self.replicas.get(service).copied().unwrap_or(1)
    }

    /// The node label key that places pods of `role`.
    pub fn node_label(&self, role: Role) -> &str {
        match role {
            Role::Controller => &self.node_labels.controller,
            Role::Compute => &self.node_labels.compute,
        }
    }
}

/// The config directory: `dir` when given (`--config-dir`), else ./etc when it exists;
/// `None` means the built-in defaults alone. The operator's overrides live there too.
pub fn config_dir(dir: Option<&Path>) -> Option<PathBuf> {
    match dir {
        Some(dir) => Some(dir.to_path_buf()),
        None => Some(PathBuf::from("etc")).filter(|d| d.is_dir()),
    }
}

fn read_if_present(path: &Path) -> Result<Option<(String, String)>, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some((path.display().to_string(), text))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ConfigError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// `<openstack_release>-<kolla_base_distro>-<kolla_base_distro_version>`: each part was
/// checked where it was written; only the whole tag's length is left to check.
fn composed_tag(release: &str, distro: &str, version: &str) -> Result<String, YamlError> {
    let tag = format!("{release}-{distro}-{version}");
    values::check_tag(
        "the tag <openstack_release>-<kolla_base_distro>-<kolla_base_distro_version>",
        &tag,
    )
    .map_err(|message| YamlError {
        file: GLOBALS_FILE.to_string(),
        line: 0,
        column: 0,
        message,
    })?;
    Ok(tag)
}

/// A key the built-in defaults must set; missing means a broken build, still no panic.
fn required<T>(value: Option<T>, key: &str) -> Result<T, YamlError> {
    value.ok_or_else(|| YamlError {
        file: format!("{BUILTIN}/{KOLLA_KUBERNETES_FILE} or {GLOBALS_FILE}"),
        line: 0,
        column: 0,
        message: format!("no value for `{key}`"),
    })
}

/// Reads `key = ...` from the `[client.<user>]` section of the ceph keyring.
fn read_ceph_key(
    ceph: &CephConfig,
    dir: &Path,
    config_file: &str,
    at: Option<serde_saphyr::Location>,
) -> Result<CephKey, ConfigError> {
    let (line, column) = at.map_or((0, 0), |l| (l.line(), l.column()));
    let here = |message: String| YamlError {
        file: config_file.to_string(),
        line,
        column,
        message,
    };
    if ceph.monitors.is_empty() {
        return Err(
            here("storage_provider is ceph but storage_ceph.monitors is empty".into()).into(),
        );
    }
    let path = dir.join(&ceph.keyring);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        here(format!(
            "storage_provider is ceph but the keyring {} cannot be read: {e}",
            path.display()
        ))
    })?;
    let section = format!("[client.{}]", ceph.user);
    let mut in_section = false;
    for raw in text.lines() {
        let line = raw.trim();
        if line.starts_with('[') {
            in_section = line == section;
        } else if in_section
            && let Some((name, value)) = line.split_once('=')
            && name.trim() == "key"
            && !value.trim().is_empty()
        {
            let key = value.trim();
            if !values::check_base64(key) {
                return Err(here(format!(
                    "the keyring {} has a key for {section} that is not base64",
                    path.display()
                ))
                .into());
            }
            return Ok(CephKey(key.to_string()));
        }
    }
    Err(here(format!(
        "the keyring {} has no `key = ...` in a {section} section (storage_ceph.user is {})",
        path.display(),
        ceph.user
    ))
    .into())
}

/// globals.yml as written: every key optional, laid over the defaults.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GlobalsFile {
    docker_registry: Option<Spanned<String>>,
    docker_namespace: Option<Spanned<String>>,
    openstack_release: Option<Spanned<String>>,
    kolla_base_distro: Option<Spanned<String>>,
    kolla_base_distro_version: Option<Spanned<String>>,
    openstack_tag: Option<Spanned<String>>,
}

impl GlobalsFile {
    /// Reads `text` and checks each value it sets against the OCI reference grammar, so an
    /// error names this file and the value's place.
    fn parse(file: &str, text: &str) -> Result<GlobalsFile, YamlError> {
        let globals: GlobalsFile = yaml::parse(file, text)?;
        let tag_part = values::check_tag;
        let checks: [(&Option<Spanned<String>>, &str, values::Check); 6] = [
            (
                &globals.docker_registry,
                "docker_registry",
                values::check_registry,
            ),
            (
                &globals.docker_namespace,
                "docker_namespace",
                values::check_repository_path,
            ),
            (&globals.openstack_release, "openstack_release", tag_part),
            (&globals.kolla_base_distro, "kolla_base_distro", tag_part),
            (
                &globals.kolla_base_distro_version,
                "kolla_base_distro_version",
                tag_part,
            ),
            // Empty means: built from the three above.
            (&globals.openstack_tag, "openstack_tag", |key, v| {
                if v.is_empty() {
                    Ok(())
                } else {
                    values::check_tag(key, v)
                }
            }),
        ];
        for (value, key, check) in checks {
            if let Some(v) = value {
                check(key, &v.value).map_err(|message| YamlError {
                    file: file.to_string(),
                    line: v.referenced.line(),
                    column: v.referenced.column(),
                    message,
                })?;
            }
        }
        Ok(globals)
    }

    fn over(self, base: GlobalsFile) -> GlobalsFile {
        GlobalsFile {
            docker_registry: self.docker_registry.or(base.docker_registry),
            docker_namespace: self.docker_namespace.or(base.docker_namespace),
            openstack_release: self.openstack_release.or(base.openstack_release),
            kolla_base_distro: self.kolla_base_distro.or(base.kolla_base_distro),
            kolla_base_distro_version: self
                .kolla_base_distro_version
                .or(base.kolla_base_distro_version),
            openstack_tag: self.openstack_tag.or(base.openstack_tag),
        }
    }
}

/// kolla-kubernetes.yml as written: every key optional, laid over the defaults.
#[derive(Debug, Default)]
struct KollaKubernetesFile {
    namespace: Option<String>,
    dns_domain_name: Option<String>,
    controller_label: Option<String>,
    compute_label: Option<String>,
    replicas: BTreeMap<String, u32>,
    storage_provider: Option<Spanned<StorageProvider>>,
    /// The file that set storage_provider, for messages about it.
    provider_file: Option<String>,
    fstype: Option<Fstype>,
    /// `""` clears a class set by the defaults.
    storage_class: Option<Spanned<String>>,
    /// The file that set storage_class, for messages about it.
    class_file: Option<String>,
    ceph: Option<CephConfig>,
    /// The first key or value found wrong; reported once the file is read, as errors made
    /// in the visitor itself would lose their location.
    problem: Option<YamlError>,
}

impl KollaKubernetesFile {
    fn over(self, base: KollaKubernetesFile) -> KollaKubernetesFile {
        let mut replicas = base.replicas;
        replicas.extend(self.replicas);
        let provider_file = if self.storage_provider.is_some() {
            self.provider_file
        } else {
            base.provider_file
        };
        let class_file = if self.storage_class.is_some() {
            self.class_file
        } else {
            base.class_file
        };
        KollaKubernetesFile {
            namespace: self.namespace.or(base.namespace),
            dns_domain_name: self.dns_domain_name.or(base.dns_domain_name),
            controller_label: self.controller_label.or(base.controller_label),
            compute_label: self.compute_label.or(base.compute_label),
            replicas,
            storage_provider: self.storage_provider.or(base.storage_provider),
            provider_file,
            fstype: self.fstype.or(base.fstype),
            storage_class: self.storage_class.or(base.storage_class),
            class_file,
            ceph: self.ceph.or(base.ceph),
            problem: None,
        }
    }
}

/// The fixed keys of kolla-kubernetes.yml; `<service>_replicas` come on top.
const KK_KEYS: &[&str] = &[
    "kolla_kubernetes_namespace",
    "dns_domain_name",
    "kolla_controller_label",
    "kolla_compute_label",
    "storage_provider",
    "storage_provider_fstype",
    "storage_class",
    "storage_ceph",
];

fn parse_kolla_kubernetes(
    file: &str,
    text: &str,
    scalable: &[String],
) -> Result<KollaKubernetesFile, YamlError> {
    let seed = KollaKubernetesSeed {
        file,
        scalable,
        lenient_replicas: file.starts_with(BUILTIN),
    };
    let parsed =
        serde_saphyr::with_deserializer_from_str_with_options(text, yaml::options(), |d| {
            seed.deserialize(d)
        })
        .map_err(|e| YamlError::from_saphyr(file, &e))?;
    match parsed.problem {
        Some(problem) => Err(problem),
        None => Ok(parsed),
    }
}

/// Reads kolla-kubernetes.yml key by key: `<service>_replicas` keys depend on the catalog,
/// so serde's derive cannot list them, and checking each value here keeps its location.
struct KollaKubernetesSeed<'a> {
    file: &'a str,
    scalable: &'a [String],
    /// Accept `<service>_replicas` for any service (the built-in defaults).
    lenient_replicas: bool,
}

impl<'de> DeserializeSeed<'de> for KollaKubernetesSeed<'_> {
    type Value = KollaKubernetesFile;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for KollaKubernetesSeed<'_> {
    type Value = KollaKubernetesFile;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping of kolla-kubernetes options")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = KollaKubernetesFile::default();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            match key.value.as_str() {
                "kolla_kubernetes_namespace" => {
                    let ns = map.next_value()?;
                    out.namespace = self.checked(&mut out.problem, ns, |v| {
                        check_dns_label(v, "kolla_kubernetes_namespace")
                    });
                }
                "dns_domain_name" => {
                    let domain = map.next_value()?;
                    out.dns_domain_name = self.checked(&mut out.problem, domain, |v| {
                        v.split('.').try_for_each(|part| {
                            check_dns_label(part, "each part of dns_domain_name")
                        })
                    });
                }
                "kolla_controller_label" | "kolla_compute_label" => {
                    let label = map.next_value()?;
                    let label = self.checked(&mut out.problem, label, |v| {
                        values::check_label_key(&key.value, v)
                    });
                    if key.value == "kolla_controller_label" {
                        out.controller_label = label;
                    } else {
                        out.compute_label = label;
                    }
                }
                "storage_provider" => {
                    out.storage_provider = Some(map.next_value()?);
                    out.provider_file = Some(self.file.to_string());
                }
                "storage_provider_fstype" => out.fstype = Some(map.next_value()?),
                "storage_class" => {
                    let class: Spanned<String> = map.next_value()?;
                    match check_storage_class(&class.value) {
                        Ok(()) => out.storage_class = Some(class),
                        Err(message) => {
                            out.problem
                                .get_or_insert(self.problem(class.referenced, message));
                        }
                    }
                    out.class_file = Some(self.file.to_string());
                }
                "storage_ceph" => {
                    let ceph: CephFile = map.next_value()?;
                    match ceph.check() {
                        Ok(ceph) => out.ceph = Some(ceph),
                        Err((at, message)) => {
                            out.problem.get_or_insert(self.problem(at, message));
                        }
                    }
                }
                other => match other
                    .strip_suffix("_replicas")
                    .filter(|s| self.lenient_replicas || self.scalable.iter().any(|n| n == s))
                {
                    Some(service) => {
                        let Replicas(n) = map.next_value()?;
                        out.replicas.insert(service.to_string(), n);
                    }
                    None => {
                        map.next_value::<de::IgnoredAny>()?;
                        let message = self.unknown_key(other);
                        out.problem
                            .get_or_insert(self.problem(key.referenced, message));
                    }
                },
            }
        }
        Ok(out)
    }
}

impl KollaKubernetesSeed<'_> {
    fn problem(&self, at: serde_saphyr::Location, message: String) -> YamlError {
        YamlError {
            file: self.file.to_string(),
            line: at.line(),
            column: at.column(),
            message,
        }
    }

    /// The value if it passes `check`, else `None` with the first problem noted.
    fn checked(
        &self,
        problem: &mut Option<YamlError>,
        value: Spanned<String>,
        check: impl Fn(&str) -> Result<(), String>,
    ) -> Option<String> {
        match check(&value.value) {
            Ok(()) => Some(value.value),
            Err(message) => {
                problem.get_or_insert(self.problem(value.referenced, message));
                None
            }
        }
    }

    fn unknown_key(&self, key: &str) -> String {
        let replica_keys: Vec<String> = self
            .scalable
            .iter()
            .map(|s| format!("{s}_replicas"))
            .collect();
        let all = KK_KEYS
            .iter()
            .copied()
            .chain(replica_keys.iter().map(String::as_str));
        let mut message = format!(
            "unknown option `{key}`, expected one of {}",
            all.clone().collect::<Vec<_>>().join(", ")
        );
        // A replicas key is judged by its service name, so `mariadb_replicas` is not
        // mistaken for a typo of `horizon_replicas`.
        let hint = match key.strip_suffix("_replicas") {
            Some(service) => match yaml::closest(service, self.scalable.iter().map(String::as_str))
            {
                Some(near) => format!("did you mean `{near}_replicas`?"),
                None => format!("'{service}' is not a service whose replicas can be set"),
            },
            None => match yaml::closest(key, all) {
                Some(near) => format!("did you mean `{near}`?"),
                None => return message,
            },
        };
        message.push_str("; ");
        message.push_str(&hint);
        message
    }
}

/// Checks a DNS-1123 label: what Kubernetes demands of namespace names.
fn check_dns_label(value: &str, what: &str) -> Result<(), String> {
    let ok = !value.is_empty()
        && value.len() <= 63
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !value.starts_with('-')
        && !value.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what} {} is not a DNS label (lowercase letters, digits and '-', at most 63, \
             starting and ending with a letter or digit)",
            values::shown(value)
        ))
    }
}

/// A StorageClass name is a DNS subdomain; empty means none.
fn check_storage_class(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Ok(());
    }
    value
        .split('.')
        .try_for_each(|part| check_dns_label(part, "each part of storage_class"))
}

/// A replica count written as 3 or "3".
struct Replicas(u32);

impl<'de> Deserialize<'de> for Replicas {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ReplicasVisitor;
        impl Visitor<'_> for ReplicasVisitor {
            type Value = Replicas;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a replica count such as 3 or \"3\"")
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Replicas, E> {
                u32::try_from(v)
                    .map(Replicas)
                    .map_err(|_| E::custom(format!("replica count {v} is too large")))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Replicas, E> {
                u64::try_from(v)
                    .map_err(|_| E::custom(format!("replica count {v} is negative")))
                    .and_then(|v| self.visit_u64(v))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Replicas, E> {
                v.trim().parse::<u32>().map(Replicas).map_err(|_| {
                    E::custom(format!(
                        "invalid replica count `{v}`: expected a whole number such as 3 or \"3\""
                    ))
                })
            }
        }
        deserializer.deserialize_any(ReplicasVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        Catalog::builtin().unwrap()
    }

    fn parse_kk(text: &str) -> Result<Config, ConfigError> {
        Config::parse(
            Some(&("kk.yml".into(), text.into())),
            None,
            Path::new("."),
            &catalog(),
        )
    }

    #[test]
    fn defaults_follow_the_guide_and_run_on_the_demo_cluster() {
        let c = Config::parse(None, None, Path::new("."), &catalog()).unwrap();
        assert_eq!(c.namespace, "kolla");
        assert_eq!(c.storage.provider, StorageProvider::Host);
        assert_eq!(
            (
                c.replicas("keystone"),
                c.replicas("horizon"),
                c.replicas("mariadb")
            ),
            (3, 3, 1)
        );
        assert_eq!(
            c.images.reference("keystone"),
            "quay.io/openstack.kolla/keystone:2025.1-ubuntu-noble"
        );
        assert_eq!(c.node_label(Role::Controller), "kolla_controller");
        assert!(c.storage.ceph.key.is_none());
    }

    #[test]
    fn replicas_accept_numbers_and_quoted_numbers_and_keep_defaults() {
        let c = parse_kk("keystone_replicas: 2\nhorizon_replicas: \"5\"\n").unwrap();
        assert_eq!(
            (
                c.replicas("keystone"),
                c.replicas("horizon"),
                c.replicas("memcached")
            ),
            (2, 5, 1)
        );
        assert_eq!(c.namespace, "kolla");
    }

    #[test]
    fn storage_class_is_for_dynamic_providers_only() {
        let c = parse_kk("storage_provider: gce\nstorage_class: standard-rwo\n").unwrap();
        assert_eq!(c.storage.class.as_deref(), Some("standard-rwo"));
        let c = parse_kk("storage_provider: aws\nstorage_class: \"\"\n").unwrap();
        assert_eq!(c.storage.class, None);
        let err = parse_kk("storage_provider: host\nstorage_class: standard\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("kk.yml:2:16: storage_class is for the gce and aws providers"),
            "{err}"
        );
        let err = parse_kk("storage_provider: gce\nstorage_class: Fast_Disks\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("kk.yml:2:16:"), "{err}");
        assert!(err.contains("not a DNS label"), "{err}");
    }

    #[test]
    fn globals_override_the_image_naming() {
        let globals = (
            "g.yml".to_string(),
            "docker_registry: \"\"\nopenstack_tag: master\n".to_string(),
        );
        let c = Config::parse(None, Some(&globals), Path::new("."), &catalog()).unwrap();
        assert_eq!(
            c.images.reference("horizon"),
            "openstack.kolla/horizon:master"
        );
    }

    #[test]
    fn ceph_reads_the_key_from_the_keyring_and_hides_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("k.keyring"),
            "[client.other]\n  key = nope\n[client.admin]\n  key = QVFEa2V5\n",
        )
        .unwrap();
        let kk = "storage_provider: ceph\nstorage_ceph:\n  keyring: k.keyring\n  monitors: [10.0.0.1]\n  \
                  pool: rbd\n  secretName: s\n  user: admin\n  clusterID: c\n  ssh_user: root\n";
        let c = Config::parse(
            Some(&("kk.yml".into(), kk.into())),
            None,
            dir.path(),
            &catalog(),
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&c.storage.ceph.key).unwrap(),
            "QVFEa2V5"
        );
        assert!(!format!("{c:?}").contains("QVFEa2V5"));

        let err = Config::parse(
            Some(&("kk.yml".into(), kk.replace("admin", "bob"))),
            None,
            dir.path(),
            &catalog(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("kk.yml:1:19: the keyring"), "{err}");
        assert!(err.contains("[client.bob]"), "{err}");
    }
}
