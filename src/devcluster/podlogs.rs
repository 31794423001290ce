//! Container logs on the local cluster. kwok's kubelet API (which the apiserver proxies
//! `pods/NAME/log` to) serves them from files named by a `ClusterLogs` config: one small
//! log per kolla service's container (and its "previous container" log), shared by every
//! replica, plus one for any other container. Files are in the kubelet's CRI log format;
//! appending a line to one shows up in a follower within about a second.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::catalog::Catalog;

/// The file every container not named by the catalog logs to.
const OTHER: &str = "other";

/// Where one container's log lives; `previous` is the log of its last terminated run.
pub fn file(dir: &Path, container: &str, previous: bool) -> PathBuf {
    let suffix = if previous { ".previous.log" } else { ".log" };
    dir.join(format!("{container}{suffix}"))
}

/// One log line in CRI format (the kubelet's own, which kwok reads back).
pub fn cri_line(at: jiff::Timestamp, text: &str) -> String {
    format!(
        "{} stdout F {text}\n",
        at.strftime("%Y-%m-%dT%H:%M:%S%.9fZ")
    )
}

/// Appends `text` as one line to `container`'s log in `dir`.
pub fn append(dir: &Path, container: &str, text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let path = file(dir, container, false);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    f.write_all(cri_line(jiff::Timestamp::now(), text).as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

/// Writes a starting log per catalog service (and a previous run's log ending in an error,
/// for crash rehearsals) into `dir`, and returns kwok's `ClusterLogs` config naming them.
pub fn write(dir: &Path) -> anyhow::Result<String> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let catalog = Catalog::builtin().context("the built-in service catalog is invalid")?;
    let now = jiff::Timestamp::now();
    let mut containers: Vec<String> = catalog.service_names();
    containers.push(OTHER.to_string());
    let mut config = String::from(
        "# Written by kolla-dash dev-cluster: container logs kwok serves.\n\
         apiVersion: kwok.x-k8s.io/v1alpha1\nkind: ClusterLogs\nmetadata:\n  name: kolla-dash\n\
         spec:\n  logs:\n",
    );
    for name in &containers {
        let current: String = [
            format!("{name}: simulated by kolla-dash's local cluster (kwok runs no images)"),
            format!("{name}: kolla_start: loading /var/lib/kolla/config_files/config.json"),
            format!("{name}: started"),
        ]
        .iter()
        .map(|l| cri_line(now, l))
        .collect();
        let previous: String = [
            format!("{name}: kolla_start: loading /var/lib/kolla/config_files/config.json"),
            format!("{name}: ERROR: cannot start: simulated failure of the previous run"),
        ]
        .iter()
        .map(|l| cri_line(now, l))
        .collect();
        for (previous_run, text) in [(false, current), (true, previous)] {
            let path = file(dir, name, previous_run);
            std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        }
        // An entry without `containers` is the default for every container not listed.
        if name != OTHER {
            writeln!(config, "  - containers: [{name:?}]").ok();
        } else {
            config.push_str("  - containers: []\n");
        }
        for (key, previous_run) in [("logsFile", false), ("previousLogsFile", true)] {
            let path = file(dir, name, previous_run);
            writeln!(config, "    {key}: {:?}", path.display().to_string()).ok();
        }
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_service_gets_a_log_and_the_config_names_them() {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = write(dir.path()).expect("logs written");
        for service in ["mariadb", "keystone", OTHER] {
            let text = std::fs::read_to_string(file(dir.path(), service, false)).expect("log");
            let first = text.lines().next().expect("a line");
            // CRI: RFC 3339 time, stream, full-line tag, text.
            let parts: Vec<&str> = first.splitn(4, ' ').collect();
            assert_eq!(&parts[1..3], ["stdout", "F"], "{first}");
            assert!(parts[0].parse::<jiff::Timestamp>().is_ok(), "{first}");
            assert!(
                config.contains(&format!("{service}.previous.log")),
                "{config}"
            );
        }
        append(dir.path(), "keystone", "a new line").expect("append");
        let text = std::fs::read_to_string(file(dir.path(), "keystone", false)).expect("log");
        assert!(text.ends_with(" stdout F a new line\n"), "{text}");
    }
}
