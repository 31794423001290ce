//! `kolla-dash rbac`: the Role and ClusterRole kolla-dash needs, printed as YAML for
//! `kubectl apply -f -`. Derived from the catalog and config (the core's `access`), the
//! same needs the engine checks before acting. No cluster needed.

use anyhow::Context as _;

use crate::access::{self, Grant, Wanted};
use crate::catalog::Catalog;
use crate::cli::{GlobalArgs, RbacArgs};
use crate::config::{Config, StorageProvider};
use crate::engine::load_config;

pub fn rbac(global: &GlobalArgs, args: &RbacArgs) -> anyhow::Result<()> {
    let (catalog, mut config) = load_config(global)?;
    if let Some(name) = &args.storage_provider {
        let provider = StorageProvider::ALL
            .into_iter()
            .find(|p| p.as_str() == name)
            .with_context(|| format!("unknown storage provider '{name}'"))?;
        // Only the kinds rendered matter here, so ceph's keyring need not be readable.
        config.storage.provider = provider;
        if matches!(provider, StorageProvider::Host | StorageProvider::Ceph) {
            config.storage.class = None;
        }
    }
    let wanted = Wanted {
        readonly: args.readonly,
        node_actions: args.node_actions,
    };
    print!(
        "{}",
        rbac_text(&catalog, &config, wanted, args.user.clone())?
    );
    Ok(())
}

/// What `kolla-dash rbac` prints: a comment saying what it is and how to use it, then the
/// namespace, the Role, the ClusterRole and, for a user, their bindings.
pub fn rbac_text(
    catalog: &Catalog,
    config: &Config,
    wanted: Wanted,
    user: Option<String>,
) -> anyhow::Result<String> {
    let needs = access::needs(catalog, config, wanted)?;
    let grant = Grant {
        namespace: config.namespace.clone(),
        readonly: wanted.readonly,
        user,
    };
    let mut command = access::rbac_command(
        &grant.namespace,
        config.storage.provider,
        wanted.node_actions,
    );
    if wanted.readonly {
        command.push_str(" --readonly");
    }
    let mut out = format!(
        "# What kolla-dash needs in namespace {}, from `{command}`.\n\
         # Role {}: kolla's objects in the namespace. ClusterRole {}: nodes and\n\
         # cluster-scoped storage. A cluster admin applies it: ... | kubectl apply -f -\n",
        grant.namespace,
        grant.role(),
        grant.cluster_role(),
    );
    if grant.user.is_none() {
        out.push_str(
            "# Then bind both to the operator, or print the bindings too with --user NAME.\n",
        );
    }
    let docs = access::manifests(&needs, &grant)
        .iter()
        .map(|doc| serde_saphyr::to_string(doc).context("cannot write the roles as YAML"))
        .collect::<anyhow::Result<Vec<String>>>()?;
    out.push_str(&docs.join("---\n"));
    Ok(out)
}
