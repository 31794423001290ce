//! Bad operator configs (tests/fixtures/bad_configs/<case>/) each fail with the file, line,
//! column and a message that says what is wrong and what is allowed.

use std::path::{Path, PathBuf};

use kolla_dash::catalog::Catalog;
use kolla_dash::config::{Config, StorageProvider};

fn fixture(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(case)
}

/// (case, file, line, column, words the message must contain)
const BAD_CONFIGS: &[(&str, &str, u64, u64, &[&str])] = &[
    (
        "unknown_key",
        "kolla-kubernetes.yml",
        3,
        1,
        &[
            "unknown option `storage_provder`",
            "did you mean `storage_provider`?",
        ],
    ),
    (
        "bad_provider",
        "kolla-kubernetes.yml",
        2,
        19,
        &["unknown variant `nfs`, expected one of host, ceph, gce, aws"],
    ),
    (
        "bad_replicas",
        "kolla-kubernetes.yml",
        1,
        20,
        &["invalid replica count `three`: expected a whole number such as 3 or \"3\""],
    ),
    (
        "unscalable_replicas",
        "kolla-kubernetes.yml",
        2,
        1,
        &[
            "unknown option `mariadb_replicas`",
            "'mariadb' is not a service whose replicas can be set",
            "keystone_replicas",
        ],
    ),
    (
        "bad_namespace",
        "kolla-kubernetes.yml",
        1,
        29,
        &["kolla_kubernetes_namespace \"Kolla_NS\" is not a DNS label"],
    ),
    (
        "bad_fstype",
        "kolla-kubernetes.yml",
        1,
        26,
        &["unknown variant `ntfs`, expected one of ext4, xfs"],
    ),
    (
        "ceph_field_typo",
        "kolla-kubernetes.yml",
        5,
        3,
        &["unknown field `secretname`", "did you mean `secretName`?"],
    ),
    (
        "ceph_no_keyring",
        "kolla-kubernetes.yml",
        1,
        19,
        &[
            "storage_provider is ceph but the keyring",
            "missing.keyring cannot be read",
        ],
    ),
    (
        "globals_typo",
        "globals.yml",
        2,
        1,
        &[
            "unknown field `docker_regsitry`",
            "did you mean `docker_registry`?",
        ],
    ),
    (
        "globals_syntax",
        "globals.yml",
        2,
        24,
        &["mapping values are not allowed in this context"],
    ),
    (
        "globals_type",
        "globals.yml",
        2,
        16,
        &[
            "expected string scalar",
            "this setting takes one value, not a list or a mapping",
        ],
    ),
    (
        "yaml_syntax",
        "kolla-kubernetes.yml",
        2,
        19,
        &["unclosed quote"],
    ),
];

#[test]
fn every_bad_config_names_file_line_column_and_the_problem() {
    let catalog = Catalog::builtin().unwrap();
    let mut cases: Vec<String> = std::fs::read_dir(fixture("bad_configs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    cases.sort();
    let mut listed: Vec<String> = BAD_CONFIGS.iter().map(|c| c.0.to_string()).collect();
    listed.sort();
    assert_eq!(
        cases, listed,
        "every fixture directory has a row in BAD_CONFIGS and back"
    );

    for (case, file, line, column, words) in BAD_CONFIGS {
        let dir = fixture("bad_configs").join(case);
        let err = Config::load(Some(&dir), &catalog)
            .map(|_| ())
            .expect_err(case)
            .to_string();
        let place = format!("{}:{line}:{column}: ", dir.join(file).display());
        assert!(
            err.starts_with(&place),
            "{case}: expected {place}..., got: {err}"
        );
        for word in *words {
            assert!(err.contains(word), "{case}: expected {word:?} in: {err}");
        }
    }
}

#[test]
fn a_config_dir_overrides_only_what_it_sets() {
    let catalog = Catalog::builtin().unwrap();
    let config = Config::load(Some(&fixture("ceph")), &catalog).unwrap();
    assert_eq!(config.storage.provider, StorageProvider::Ceph);
    assert_eq!(config.storage.ceph.monitors, ["192.0.2.10", "192.0.2.11"]);
    assert_eq!(config.storage.ceph.secret_name, "pkt-ceph-secret");
    // Not in the fixture: the built-in defaults.
    assert_eq!(config.namespace, "kolla");
    assert_eq!(config.replicas("keystone"), 3);
    assert_eq!(config.images.tag, "2025.1-ubuntu-noble");
}

#[test]
fn a_missing_config_dir_is_an_error() {
    let catalog = Catalog::builtin().unwrap();
    let err = Config::load(Some(Path::new("/nonexistent/kolla-etc")), &catalog).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot read /nonexistent/kolla-etc: not a directory"
    );
}
