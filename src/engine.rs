//! The engine behind every verb, shared by the CLI, the dashboard and the workflow:
//! render a (service, kind) and apply or delete it, with the safety rules: only
//! kolla-dash's own objects are changed or deleted, data kinds only with consent.

use std::path::Path;

use tokio::sync::OnceCell;

use crate::access::{self, Need};
use crate::catalog::{Catalog, LookupError, Verb};
use crate::cli::GlobalArgs;
use crate::cluster::access::Access;
use crate::cluster::apply::{Applier, Deleted, Found};
use crate::cluster::client::{Cluster, connect};
use crate::cluster::namespace;
use crate::config::{self, Config};
use crate::kind::Kind;
use crate::model::Consent;
use crate::overrides;
use crate::ownership::{self, Meeting};
use crate::render::{Manifest, PASSWORDS_SECRET, Renderer};
use crate::workflow::plan::StepAction;

mod changes;
mod data;

/// One thing the engine did, for the status line, the log pane and the CLI's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Applied(String),
    /// A foreign object taken over (`--adopt`): the sentence says whose it was and which
    /// fields were overwritten.
    Adopted(String),
    Deleted(String),
    AlreadyGone(String),
    /// A foreign object a service-wide delete (kill, teardown) left alone: the sentence.
    LeftAlone(String),
    /// A Released PV of the service's, freed for its new claim: the sentence.
    Reattached(String),
    /// Something worth knowing that changed nothing (a Released PV that is not
    /// kolla-dash's): the sentence.
    Noted(String),
    /// A completed bootstrap written on the service's data: the sentence.
    Recorded(String),
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

impl Outcome {
    /// Whether it says more than "done": data kept or reattached, a record written, an
    /// object taken over or left alone.
    pub fn worth_telling(&self) -> bool {
        !matches!(
            self,
            Outcome::Applied(_)
                | Outcome::Deleted(_)
                | Outcome::AlreadyGone(_)
                | Outcome::NothingToDo { .. }
        )
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Applied(what) => write!(f, "applied {what}"),
            Outcome::Deleted(what) => write!(f, "deleted {what}"),
            Outcome::AlreadyGone(what) => write!(f, "{what} already absent"),
            Outcome::Adopted(sentence)
            | Outcome::LeftAlone(sentence)
            | Outcome::Reattached(sentence)
            | Outcome::Noted(sentence)
            | Outcome::Recorded(sentence) => f.write_str(sentence),
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

/// What a delete does about an object with a rendered name that is not kolla-dash's. It
/// is never deleted; the question is whether that stops the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForeignObjects {
    /// Fail before deleting anything (`resource delete`: the operator named the cell).
    Refuse,
    /// Delete kolla-dash's objects and report the foreign ones (kill, teardown).
    LeaveAlone,
}

/// Tries at applying an object that keeps changing between being judged and applied.
const APPLY_ATTEMPTS: usize = 5;

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

/// The catalog in use: the built-in one with the operator's overrides from the config
/// directory (`--config-dir`, else ./etc).
pub fn load_catalog(config_dir: Option<&Path>) -> anyhow::Result<Catalog> {
    overrides::load(config::config_dir(config_dir).as_deref())
}

/// Reads the catalog (with the operator's overrides) and the operator config, with
/// `--namespace` applied.
pub fn load_config(global: &GlobalArgs) -> anyhow::Result<(Catalog, Config)> {
    let catalog = load_catalog(global.config_dir.as_deref())?;
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

    /// Creates (server-side applies) every object of one kind. Idempotent. Every object is
    /// looked at first: one that is not kolla-dash's stops the create before anything
    /// changes, unless `consent.adopt` takes it over; so does a change that cannot be made
    /// in place (`judge_changes`), and a Job that ran with an earlier rendering is left.
    pub async fn create(
        &self,
        service: &str,
        kind: Kind,
        consent: Consent,
    ) -> anyhow::Result<Vec<Outcome>> {
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
        self.prepare(consent).await?;
        let mut done = Vec::new();
        match kind {
            Kind::Pv | Kind::Pvc => done.extend(self.reattach(service, kind).await?),
            Kind::Bootstrap => {
                done.extend(self.remember_bootstrap(service).await?);
                self.guard_bootstrap(service, &manifests, consent).await?;
            }
            // A bootstrap that completed before the pods start is remembered now, also
            // when nothing waited for it (`bootstrap`, then `run`).
            Kind::Pod => done.extend(self.remember_bootstrap(service).await?),
            _ => {}
        }
        let mut found = Vec::new();
        for m in &manifests {
            let f = self.applier.inspect(m).await?;
            if let Found::Foreign(foreign) = &f
                && !consent.adopt
            {
                anyhow::bail!("{}", foreign.sentence(Meeting::Create));
            }
            found.push(f);
        }
        let judged = self.judge_changes(service, kind, &manifests, &found)?;
        done.extend(judged.note);
        for (m, f) in manifests.iter().zip(found) {
            if !judged.leave.contains(&m.name) {
                done.push(self.apply_judged(m, f, consent).await?);
            }
        }
        Ok(done)
    }

    /// Applies `m` as `found` judged it (a foreign object only with `consent.adopt`); when
    /// it changed meanwhile (a controller updating its status, most often), judges it
    /// again and retries, so what is applied is always what was judged.
    async fn apply_judged(
        &self,
        m: &Manifest,
        mut found: Found,
        consent: Consent,
    ) -> anyhow::Result<Outcome> {
        for _ in 0..APPLY_ATTEMPTS {
            match &found {
                Found::Foreign(foreign) if !consent.adopt => {
                    anyhow::bail!("{}", foreign.sentence(Meeting::Create))
                }
                Found::Foreign(foreign) => {
                    let taken = self.applier.adopt(&m.object).await?;
                    return Ok(Outcome::Adopted(ownership::adopted_sentence(
                        foreign, &taken,
                    )));
                }
                Found::Absent | Found::Ours { .. } => {
                    if self.applier.apply_checked(&m.object, &found).await? {
                        return Ok(Outcome::Applied(format!("{}/{}", m.obj_kind, m.name)));
                    }
                }
            }
            found = self.applier.inspect(m).await?;
        }
        anyhow::bail!(
            "{}/{} kept changing while kolla-dash applied it ({APPLY_ATTEMPTS} attempts): \
             nothing was overwritten; run again",
            m.obj_kind,
            m.name
        )
    }

    /// Deletes every object of one kind that is kolla-dash's; a data kind only with
    /// `delete_data`. Objects that are not kolla-dash's are never deleted (`foreign` says
    /// whether meeting one fails the command); each delete names the uid it checked.
    pub async fn delete(
        &self,
        service: &str,
        kind: Kind,
        delete_data: bool,
        foreign: ForeignObjects,
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
        let manifests = self.render(service, kind)?;
        let mut done = Vec::new();
        if kind == Kind::Bootstrap {
            // Network storage deletes the Job after success: its record must be on the data
            // first.
            done.extend(self.remember_bootstrap(service).await?);
        }
        let mut found = Vec::new();
        for m in manifests.iter().rev() {
            let f = self.applier.inspect(m).await?;
            if let (Found::Foreign(x), ForeignObjects::Refuse) = (&f, foreign) {
                anyhow::bail!("{}", x.sentence(Meeting::Delete));
            }
            found.push((m, f));
        }
        for (m, f) in found {
            let what = format!("{}/{}", m.obj_kind, m.name);
            done.push(match f {
                Found::Absent => Outcome::AlreadyGone(what),
                Found::Foreign(x) => Outcome::LeftAlone(x.sentence(Meeting::Delete)),
                Found::Ours { uid, .. } => {
                    match self.applier.delete_checked(&m.object, &uid).await? {
                        Deleted::Deleted => Outcome::Deleted(what),
                        Deleted::Absent => Outcome::AlreadyGone(what),
                    }
                }
            });
        }
        Ok(done)
    }

    /// `bootstrap`, `run` or `kill` one service: its verb's kinds in order. `kill` keeps
    /// data kinds unless `delete_data`, and leaves objects that are not kolla-dash's.
    pub async fn verb(
        &self,
        verb: Verb,
        service: &str,
        delete_data: bool,
        consent: Consent,
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
                Verb::Bootstrap | Verb::Run => {
                    done.extend(self.create(service, kind, consent).await?);
                }
                Verb::Kill if kind.holds_data() && !delete_data => {
                    done.push(Outcome::KeptData {
                        service: service.into(),
                        kind,
                    });
                }
                Verb::Kill => done.extend(
                    self.delete(service, kind, delete_data, ForeignObjects::LeaveAlone)
                        .await?,
                ),
            }
        }
        Ok(done)
    }

    /// Once per engine: the namespace exists and the passwords Secret has every key the
    /// catalog needs. Existing passwords are never changed or read back; a passwords
    /// Secret that is not kolla-dash's is used only with `consent.adopt`.
    async fn prepare(&self, consent: Consent) -> anyhow::Result<()> {
        self.prepared
            .get_or_try_init(|| async {
                namespace::ensure_namespace(&self.applier, self.namespace()).await?;
                let keys: Vec<&str> = self.catalog.password_keys().into_iter().collect();
                let client = self.applier.client();
                let secret = namespace::Passwords {
                    namespace: self.namespace(),
                    name: PASSWORDS_SECRET,
                    adopt: consent.adopt,
                };
                namespace::ensure_passwords(client, &secret, &keys).await
            })
            .await
            .map(|_| ())
    }
}
