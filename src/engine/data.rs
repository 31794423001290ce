//! The engine's care for kept data: the bootstrap record on a service's PVC and PV
//! (written once its Jobs complete, checked before Jobs are created anew) and the
//! reattaching of a service's Released volumes.

use super::{Engine, Found, Outcome};
use crate::cluster::apply::owners_of;
use crate::cluster::volumes;
use crate::kind::Kind;
use crate::model::Consent;
use crate::ownership::{self, Claim};
use crate::record::{self, BootstrapRecord};
use crate::render::Manifest;

impl Engine {
    /// The rendered objects holding the service's data that bootstraps are recorded on:
    /// its PVC and, for static volumes, its PV.
    fn data_objects(&self, service: &str) -> anyhow::Result<Vec<Manifest>> {
        let def = self.catalog.service(service)?;
        let mut out = Vec::new();
        for kind in [Kind::Pvc, Kind::Pv] {
            if def.has_kind(kind) {
                out.extend(self.render(service, kind)?);
            }
        }
        Ok(out)
    }

    /// Whether a completed bootstrap of the service is recorded on its data.
    pub fn keeps_bootstrap_record(&self, service: &str) -> anyhow::Result<bool> {
        let has_bootstrap = self.catalog.service(service)?.has_kind(Kind::Bootstrap);
        Ok(has_bootstrap && !self.data_objects(service)?.is_empty())
    }

    /// The bootstrap recorded on the service's data, and the object carrying it
    /// (`PersistentVolumeClaim/mariadb`). Only kolla-dash's own objects count.
    pub async fn bootstrap_record(
        &self,
        service: &str,
    ) -> anyhow::Result<Option<(BootstrapRecord, String)>> {
        for m in self.data_objects(service)? {
            if let Found::Ours { annotations, .. } = self.applier.inspect(&m).await?
                && let Some(value) = annotations.get(record::ANNOTATION)
            {
                let on = format!("{}/{}", m.obj_kind, m.name);
                return Ok(Some((BootstrapRecord::parse(value), on)));
            }
        }
        Ok(None)
    }

    /// Once the service's bootstrap Jobs all completed, writes when and which on its data
    /// (PVC and PV), unless already there. Nothing for services without data.
    pub async fn remember_bootstrap(&self, service: &str) -> anyhow::Result<Option<Outcome>> {
        if !self.keeps_bootstrap_record(service)? {
            return Ok(None);
        }
        let data = self.data_objects(service)?;
        let mut jobs = Vec::new();
        for m in self.render(service, Kind::Bootstrap)? {
            // Only kolla-dash's own Jobs say anything about kolla-dash's data.
            if !matches!(self.applier.inspect(&m).await?, Found::Ours { .. }) {
                return Ok(None);
            }
            jobs.push(m.name);
        }
        let client = self.applier.client();
        let Some(record) = volumes::completed_bootstrap(client, self.namespace(), &jobs).await?
        else {
            return Ok(None);
        };
        let value = record.value();
        let mut written = Vec::new();
        for m in &data {
            if let Found::Ours {
                resource_version,
                annotations,
                ..
            } = self.applier.inspect(m).await?
                && annotations.get(record::ANNOTATION) != Some(&value)
            {
                self.applier
                    .annotate(&m.object, &resource_version, record::ANNOTATION, &value)
                    .await?;
                written.push(format!("{}/{}", m.obj_kind, m.name));
            }
        }
        Ok((!written.is_empty()).then(|| {
            Outcome::Recorded(format!(
                "recorded {service}'s bootstrap ({record}) on {}",
                written.join(", ")
            ))
        }))
    }

    /// Refuses to create bootstrap Jobs anew over data that records a bootstrap, unless
    /// forced. Re-applying Jobs that all exist runs nothing again and is allowed.
    pub(super) async fn guard_bootstrap(
        &self,
        service: &str,
        jobs: &[Manifest],
        consent: Consent,
    ) -> anyhow::Result<()> {
        if consent.force_bootstrap {
            return Ok(());
        }
        let Some((rec, on)) = self.bootstrap_record(service).await? else {
            return Ok(());
        };
        for m in jobs {
            if self.applier.inspect(m).await? == Found::Absent {
                anyhow::bail!("{}", record::refusal(service, &rec, &on));
            }
        }
        Ok(())
    }

    /// Before a service's PV or PVC is created: each of its PVs left Released by a deleted
    /// claim of the same name is freed for the new claim when it is kolla-dash's (same
    /// namespace and service, by the ownership rule), and only reported when it is not.
    pub(super) async fn reattach(&self, service: &str, kind: Kind) -> anyhow::Result<Vec<Outcome>> {
        let def = self.catalog.service(service)?;
        let Some(claim) = self.render(service, Kind::Pvc)?.into_iter().next() else {
            return Ok(Vec::new());
        };
        let client = self.applier.client();
        let Some(released) = volumes::released_for(client, self.namespace(), &claim.name).await?
        else {
            return Ok(vec![Outcome::Noted(format!(
                "cannot list PersistentVolumes (RBAC): kept data of an earlier claim {}/{}, if \
                 any, was not looked for",
                self.namespace(),
                claim.name
            ))]);
        };
        let claim_of = Claim {
            namespace: self.namespace(),
            service: Some(&def.name),
            cluster_scoped: true,
        };
        let mut done = Vec::new();
        for pv in released {
            let (labels, managers) = owners_of(&pv.meta);
            match ownership::judge(claim_of, &labels, &managers) {
                Ok(()) => {
                    volumes::clear_stale_claim(client, &pv).await?;
                    done.push(Outcome::Reattached(format!(
                        "reattached kept data from PV {} (its claim {}/{} was deleted; the \
                         new claim binds to it)",
                        pv.name,
                        self.namespace(),
                        claim.name
                    )));
                }
                // Said once, when the claim is created.
                Err(_) if kind != Kind::Pvc => {}
                Err(manager) => done.push(Outcome::Noted(format!(
                    "PV {} holds data an earlier claim {}/{} left (Released) but is not \
                     kolla-dash's (managed by {manager}): left alone",
                    pv.name,
                    self.namespace(),
                    claim.name
                ))),
            }
        }
        Ok(done)
    }
}
