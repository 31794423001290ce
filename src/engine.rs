//! The engine behind every verb, shared by the CLI, the dashboard and the workflow:
//! render a (service, kind) and apply or delete it, with the data-safety rules.

use std::collections::BTreeMap;

use anyhow::Context as _;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::api::{Api, Patch, PatchParams, PostParams};
use rand::distr::{Alphanumeric, SampleString};
use tokio::sync::OnceCell;

use crate::catalog::{Catalog, LookupError, Verb};
use crate::cli::GlobalArgs;
use crate::cluster::apply::{Applier, Deleted, explain_what};
use crate::cluster::client::{Connection, connect};
use crate::config::Config;
use crate::kind::Kind;
use crate::labels;
use crate::render::{Manifest, PASSWORDS_SECRET, Renderer};

const PASSWORD_LEN: usize = 32;

/// One thing the engine did, for the status line, the log pane and the CLI's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Applied(String),
    Deleted(String),
    AlreadyGone(String),
    /// A data kind left in place because deleting data was not asked for.
    KeptData {
        service: String,
        kind: Kind,
    },
    /// The (service, kind) renders no objects with this config (e.g. ceph's secret when
    /// storage is not ceph).
    NothingToDo {
        service: String,
        kind: Kind,
    },
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Applied(what) => write!(f, "applied {what}"),
            Outcome::Deleted(what) => write!(f, "deleted {what}"),
            Outcome::AlreadyGone(what) => write!(f, "{what} already absent"),
            Outcome::KeptData { service, kind } => write!(
                f,
                "kept {service} {kind}: it holds data (pass --delete-data to delete it)"
            ),
            Outcome::NothingToDo { service, kind } => {
                write!(f, "{service} {kind}: nothing to do with this configuration")
            }
        }
    }
}

/// Refusal to delete a data kind without consent.
#[derive(Debug, thiserror::Error)]
#[error(
    "refusing to delete {service} {kind}: it holds the service's data. \
     Pass --delete-data to delete it and lose that data"
)]
pub struct DataProtected {
    pub service: String,
    pub kind: Kind,
}

pub struct Engine {
    pub config: Config,
    pub catalog: Catalog,
    pub applier: Applier,
    pub connection: Connection,
    prepared: OnceCell<()>,
}

/// Reads the catalog and the operator config, with `--namespace` applied.
pub fn load_config(global: &GlobalArgs) -> anyhow::Result<(Catalog, Config)> {
    let catalog = Catalog::builtin().context("the built-in service catalog is invalid")?;
    let mut config = Config::load(global.config_dir.as_deref(), &catalog)?;
    if let Some(ns) = &global.namespace {
        config.set_namespace(ns)?;
    }
    Ok((catalog, config))
}

impl Engine {
    /// Loads the config and connects to the cluster like kubectl.
    pub async fn connect(global: &GlobalArgs) -> anyhow::Result<Engine> {
        Ok(Engine::connect_checked(global, |_| Ok(())).await?.0)
    }

    /// Like [`Engine::connect`], but first checks the user's names against the catalog
    /// with `check`, so bad input is reported without needing a cluster.
    pub async fn connect_checked<T>(
        global: &GlobalArgs,
        check: impl FnOnce(&Catalog) -> Result<T, LookupError>,
    ) -> anyhow::Result<(Engine, T)> {
        let (catalog, config) = load_config(global)?;
        let checked = check(&catalog)?;
        let connection = connect(global.context.as_deref()).await?;
        Ok((Engine::new(catalog, config, connection), checked))
    }

    pub fn new(catalog: Catalog, config: Config, connection: Connection) -> Engine {
        let applier = Applier::new(connection.client.clone(), config.namespace.clone());
        Engine {
            config,
            catalog,
            applier,
            connection,
            prepared: OnceCell::new(),
        }
    }

    pub fn namespace(&self) -> &str {
        &self.config.namespace
    }

    /// Renders one (service, kind); accepts either argument order for the CLI's sake.
    pub fn render(&self, service: &str, kind: Kind) -> anyhow::Result<Vec<Manifest>> {
        let renderer = Renderer::new(&self.config, &self.catalog)?;
        Ok(renderer.render(service, kind)?)
    }

    /// The service's kinds that render at least one object with this config (ceph's
    /// secret only exists when storage is ceph).
    pub fn active_kinds(&self, service: &str) -> anyhow::Result<Vec<Kind>> {
        let renderer = Renderer::new(&self.config, &self.catalog)?;
        let def = self.catalog.service(service)?;
        let mut kinds = Vec::new();
        for kind in def.kinds() {
            if !renderer.render(service, kind)?.is_empty() {
                kinds.push(kind);
            }
        }
        Ok(kinds)
    }

    /// Creates (server-side applies) every object of one kind. Idempotent.
    pub async fn create(&self, service: &str, kind: Kind) -> anyhow::Result<Vec<Outcome>> {
        let manifests = self.render(service, kind)?;
        if manifests.is_empty() {
            return Ok(vec![Outcome::NothingToDo {
                service: service.into(),
                kind,
            }]);
        }
        self.prepare().await?;
        let mut done = Vec::new();
        for m in &manifests {
            self.applier.apply(&m.object, false).await?;
            done.push(Outcome::Applied(format!("{}/{}", m.obj_kind, m.name)));
        }
        Ok(done)
    }

    /// Deletes every object of one kind; a data kind only with `delete_data`.
    pub async fn delete(
        &self,
        service: &str,
        kind: Kind,
        delete_data: bool,
    ) -> anyhow::Result<Vec<Outcome>> {
        if kind.holds_data() && !delete_data {
            return Err(DataProtected {
                service: service.into(),
                kind,
            }
            .into());
        }
        let mut done = Vec::new();
        for m in self.render(service, kind)?.iter().rev() {
            let what = format!("{}/{}", m.obj_kind, m.name);
            done.push(match self.applier.delete(&m.object).await? {
                Deleted::Deleted => Outcome::Deleted(what),
                Deleted::Absent => Outcome::AlreadyGone(what),
            });
        }
        Ok(done)
    }

    /// `bootstrap`, `run` or `kill` one service: its verb's kinds in order. `kill` keeps
    /// data kinds unless `delete_data`.
    pub async fn verb(
        &self,
        verb: Verb,
        service: &str,
        delete_data: bool,
    ) -> anyhow::Result<Vec<Outcome>> {
        let kinds = self.catalog.service(service)?.verb_kinds(verb);
        let mut done = Vec::new();
        for kind in kinds {
            match verb {
                Verb::Bootstrap | Verb::Run => done.extend(self.create(service, kind).await?),
                Verb::Kill if kind.holds_data() && !delete_data => {
                    done.push(Outcome::KeptData {
                        service: service.into(),
                        kind,
                    });
                }
                Verb::Kill => done.extend(self.delete(service, kind, delete_data).await?),
            }
        }
        Ok(done)
    }

    /// Once per engine: the namespace exists and the passwords Secret has every key the
    /// catalog needs. Existing passwords are never changed or read back.
    async fn prepare(&self) -> anyhow::Result<()> {
        self.prepared
            .get_or_try_init(|| async {
                self.ensure_namespace().await?;
                self.ensure_passwords().await
            })
            .await
            .map(|_| ())
    }

    async fn ensure_namespace(&self) -> anyhow::Result<()> {
        let api: Api<Namespace> = Api::all(self.applier.client().clone());
        let ns = self.namespace();
        match api.get_opt(ns).await {
            Ok(Some(_)) => return Ok(()),
            Ok(None) => {}
            // Without the right to read namespaces, try to work in it anyway.
            Err(kube::Error::Api(s)) if s.is_forbidden() => return Ok(()),
            Err(e) => return Err(e).with_context(|| format!("cannot read namespace {ns}")),
        }
        let obj = serde_json::json!({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": ns, "labels": {labels::MANAGED_BY: labels::MANAGED_BY_VALUE}},
        });
        self.applier.apply(&obj, false).await
    }

    async fn ensure_passwords(&self) -> anyhow::Result<()> {
        let api: Api<Secret> = Api::namespaced(self.applier.client().clone(), self.namespace());
        let wanted: Vec<&str> = self.catalog.password_keys().into_iter().collect();
        let what = format!("Secret/{PASSWORDS_SECRET}");
        let existing = api
            .get_opt(PASSWORDS_SECRET)
            .await
            .map_err(|e| explain_what(e, "read", &what))?;
        let have: Vec<String> = existing
            .as_ref()
            .and_then(|s| s.data.as_ref())
            .map(|d| d.keys().cloned().collect())
            .unwrap_or_default();
        let missing: BTreeMap<String, String> = wanted
            .iter()
            .filter(|k| !have.iter().any(|h| h == *k))
            .map(|k| {
                let value = Alphanumeric.sample_string(&mut rand::rng(), PASSWORD_LEN);
                ((*k).to_string(), value)
            })
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        if existing.is_none() {
            let secret: Secret = serde_json::from_value(serde_json::json!({
                "metadata": {"name": PASSWORDS_SECRET,
                    "labels": {labels::MANAGED_BY: labels::MANAGED_BY_VALUE}},
                "stringData": missing,
            }))
            .context("building the passwords secret")?;
            match api.create(&PostParams::default(), &secret).await {
                Ok(_) => return Ok(()),
                // Someone else created it meanwhile: fall through and add missing keys.
                Err(kube::Error::Api(s)) if s.is_already_exists() => {}
                Err(e) => return Err(explain_what(e, "create", &what)),
            }
        }
        // A merge patch that only adds keys leaves existing passwords untouched; the
        // resourceVersion makes it fail rather than race with a concurrent writer.
        let version = existing.and_then(|s| s.metadata.resource_version);
        let patch = serde_json::json!({
            "metadata": {"resourceVersion": version},
            "stringData": missing,
        });
        api.patch(
            PASSWORDS_SECRET,
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await
        .with_context(|| format!("cannot add passwords to secret {PASSWORDS_SECRET}"))?;
        Ok(())
    }
}
