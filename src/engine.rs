//! The engine behind every verb, shared by the CLI, the dashboard and the workflow:
//! render a (service, kind) and apply or delete it, with the data-safety rules.

use anyhow::Context as _;
use tokio::sync::OnceCell;

use crate::access::{self, Need};
use crate::catalog::{Catalog, LookupError, Verb};
use crate::cli::GlobalArgs;
use crate::cluster::access::Access;
use crate::cluster::apply::{Applier, Deleted};
use crate::cluster::client::{Cluster, connect};
use crate::cluster::namespace;
use crate::config::Config;
use crate::kind::Kind;
use crate::render::{Manifest, PASSWORDS_SECRET, Renderer};
use crate::workflow::plan::StepAction;

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
    pub cluster: Cluster,
    /// What the credentials may do: checked before acting, so a missing right stops a
    /// verb before it changes anything.
    pub access: Access,
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
        let cluster = connect(global.context.as_deref(), global.request_timeout).await?;
        Ok((Engine::new(catalog, config, cluster), checked))
    }

    pub fn new(catalog: Catalog, config: Config, cluster: Cluster) -> Engine {
        let applier = Applier::new(cluster.client.clone(), config.namespace.clone());
        let access = Access::new(
            cluster.client.clone(),
            &config.namespace,
            config.storage.provider,
        );
        Engine {
            config,
            catalog,
            applier,
            cluster,
            access,
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
        Ok(renderer.active_kinds(service)?)
    }

    /// The rights that creating or deleting one (service, kind) takes: none when it
    /// renders nothing with this config.
    pub fn needs_to(&self, service: &str, action: StepAction) -> anyhow::Result<Vec<Need>> {
        let rendered: Vec<_> = self
            .render(service, action.kind())?
            .iter()
            .map(|m| m.obj_kind)
            .collect();
        Ok(match action {
            StepAction::Create(_) if rendered.is_empty() => Vec::new(),
            StepAction::Create(_) => access::to_create(&rendered),
            StepAction::Delete(_) => access::to_remove(&rendered),
        })
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
        let needs = self.needs_to(service, StepAction::Create(kind))?;
        let what = format!("resource create {service} {kind}");
        self.access.require(&what, &needs).await?;
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
        let needs = self.needs_to(service, StepAction::Delete(kind))?;
        let what = format!("resource delete {service} {kind}");
        self.access.require(&what, &needs).await?;
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
        // Every right the verb takes, before its first object: no half-bootstrapped service.
        let mut needs = Vec::new();
        for &kind in &kinds {
            needs.extend(match verb {
                Verb::Bootstrap | Verb::Run => self.needs_to(service, StepAction::Create(kind))?,
                Verb::Kill if kind.holds_data() && !delete_data => Vec::new(),
                Verb::Kill => self.needs_to(service, StepAction::Delete(kind))?,
            });
        }
        let what = format!("{} {service}", verb.as_str());
        self.access.require(&what, &needs).await?;
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
                namespace::ensure_namespace(&self.applier, self.namespace()).await?;
                let keys: Vec<&str> = self.catalog.password_keys().into_iter().collect();
                let client = self.applier.client();
                namespace::ensure_passwords(client, self.namespace(), PASSWORDS_SECRET, &keys).await
            })
            .await
            .map(|_| ())
    }
}
