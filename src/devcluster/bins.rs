//! Where the control-plane binaries live: the versioned cache that `scripts/k8s-bins` fills.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use super::component::Component;

/// The same file `scripts/k8s-bins` sources, so both agree on the cache key.
const VERSIONS_ENV: &str = include_str!("../../scripts/k8s/versions.env");

/// Component versions, as pinned in `scripts/k8s/versions.env`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Versions {
    pub kube: String,
    pub etcd: String,
    pub kwok: String,
}

impl Versions {
    /// The versions this build of kolla-dash was compiled against.
    pub fn pinned() -> anyhow::Result<Self> {
        parse_versions(VERSIONS_ENV).context("scripts/k8s/versions.env")
    }

    /// Directory name inside the cache; must match `scripts/k8s-bins`.
    fn cache_key(&self) -> String {
        format!("kube-{}-etcd-{}-kwok-{}", self.kube, self.etcd, self.kwok)
    }
}

fn parse_versions(text: &str) -> anyhow::Result<Versions> {
    let value = |key: &str| -> anyhow::Result<String> {
        text.lines()
            .filter_map(|line| line.trim().strip_prefix(key)?.strip_prefix('='))
            .map(|v| v.trim().trim_matches('"').to_owned())
            .next()
            .with_context(|| format!("no {key}= line"))
    };
    Ok(Versions {
        kube: value("KUBE_VERSION")?,
        etcd: value("ETCD_VERSION")?,
        kwok: value("KWOK_VERSION")?,
    })
}

/// A complete set of binaries for one version triple.
#[derive(Debug, Clone)]
pub struct Binaries {
    pub dir: PathBuf,
    pub versions: Versions,
}

impl Binaries {
    /// Finds the binaries: `KOLLA_DASH_K8S_BIN_DIR` if set, else the cache directory
    /// `scripts/k8s-bins` builds into. Fails naming the build command when one is missing.
    pub fn locate() -> anyhow::Result<Self> {
        let versions = Versions::pinned()?;
        let dir = match std::env::var_os("KOLLA_DASH_K8S_BIN_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => cache_root()?
                .join("k8s")
                .join(versions.cache_key())
                .join("bin"),
        };
        // /proc/<pid>/exe shows resolved paths; `down` compares against this directory.
        let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
        let missing: Vec<&str> = Component::ALL
            .iter()
            .map(|c| c.binary())
            .filter(|b| !is_executable(&dir.join(b)))
            .collect();
        if !missing.is_empty() {
            bail!(
                "control-plane binaries missing in {} ({}): build them with `scripts/k8s-bins` \
                 (takes ~20 min cold), or point KOLLA_DASH_K8S_BIN_DIR at a directory holding them",
                dir.display(),
                missing.join(", ")
            );
        }
        Ok(Self { dir, versions })
    }

    pub fn path(&self, component: Component) -> PathBuf {
        self.dir.join(component.binary())
    }
}

/// `KOLLA_DASH_CACHE_DIR`, else `$XDG_CACHE_HOME/kolla-dash`, else `~/.cache/kolla-dash`.
fn cache_root() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("KOLLA_DASH_CACHE_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let base = match std::env::var_os("XDG_CACHE_HOME") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => home_dir()?.join(".cache"),
    };
    Ok(base.join("kolla-dash"))
}

pub(super) fn home_dir() -> anyhow::Result<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .context("HOME is not set")
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_pinned_versions_file() {
        let v = Versions::pinned().expect("versions.env parses");
        assert!(v.kube.starts_with("v1."), "{v:?}");
        assert_eq!(
            v.cache_key(),
            format!("kube-{}-etcd-{}-kwok-{}", v.kube, v.etcd, v.kwok)
        );
    }

    #[test]
    fn versions_need_every_key() {
        let err = parse_versions("KUBE_VERSION=v1\nETCD_VERSION=v3\n").unwrap_err();
        assert!(err.to_string().contains("KWOK_VERSION"), "{err}");
    }
}
