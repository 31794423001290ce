//! The engine against a real local control plane: every template passes server-side
//! dry-run for every storage provider, and the guide's create, status and delete sequences
//! run through the real binary, re-runnable, keeping data unless told, never printing
//! passwords. Bad input is refused with the valid names.

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use kolla_dash::catalog::Catalog;
use kolla_dash::cluster::apply::Applier;
use kolla_dash::config::{Config, StorageProvider};
use kolla_dash::render::Renderer;
use kube::api::{Api, ListParams};
use support::cluster::{Kolla, StatusRow, TestCluster};

const SERVICES: [&str; 4] = ["mariadb", "memcached", "keystone", "horizon"];
const DATA_KINDS: [&str; 3] = ["disk", "pv", "pvc"];

fn is_data(row: &StatusRow) -> bool {
    DATA_KINDS.contains(&row.kind.as_str())
}

fn provider_config(catalog: &Catalog, provider: StorageProvider) -> Config {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut config = match provider {
        StorageProvider::Ceph => Config::load(Some(&fixtures.join("ceph")), catalog).unwrap(),
        other => {
            let kk = (
                "kolla-kubernetes.yml".to_string(),
                format!("storage_provider: {}\n", other.as_str()),
            );
            Config::parse(Some(&kk), None, Path::new("."), catalog).unwrap()
        }
    };
    config
        .set_namespace(&format!("dry-{}", provider.as_str()))
        .unwrap();
    config
}

#[test]
fn every_template_passes_server_side_dry_run_for_every_storage_provider() {
    let cluster = TestCluster::start();
    let catalog = Catalog::builtin().unwrap();
    let providers = [
        StorageProvider::Host,
        StorageProvider::Ceph,
        StorageProvider::Gce,
        StorageProvider::Aws,
    ];
    let mut failures = Vec::new();
    // Templates that rendered at least one object with some provider.
    let mut exercised = BTreeSet::new();
    for provider in providers {
        let config = provider_config(&catalog, provider);
        let ns = config.namespace.clone();
        let applier = Applier::new(cluster.client(), ns.clone());
        let namespace = serde_json::json!({
            "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns},
        });
        cluster.block_on(applier.apply(&namespace, false)).unwrap();

        let renderer = Renderer::new(&config, &catalog).unwrap();
        for service in catalog.services() {
            for kind in service.kinds() {
                for m in renderer.render(&service.name, kind).unwrap() {
                    exercised.insert(service.template(kind).unwrap());
                    if let Err(e) = cluster.block_on(applier.apply(&m.object, true)) {
                        failures.push(format!(
                            "{provider:?} {} {kind} {}/{}: {e:#}",
                            service.name, m.obj_kind, m.name
                        ));
                    }
                }
            }
        }
        // A dry run persists nothing.
        let configmaps: Api<k8s_openapi::api::core::v1::ConfigMap> =
            Api::namespaced(cluster.client(), &ns);
        let managed = ListParams::default().labels(kolla_dash::labels::SELECTOR);
        let left = cluster.block_on(configmaps.list(&managed)).unwrap();
        assert!(
            left.items.is_empty(),
            "{provider:?}: dry run created objects"
        );
    }
    assert!(
        failures.is_empty(),
        "server-side dry run refused:\n{}",
        failures.join("\n")
    );
    let all: BTreeSet<&str> = catalog.templates().map(|(name, _)| name).collect();
    assert_eq!(exercised, all, "some templates never rendered an object");
}

/// Waits until every kind of every service is present and ready, except `gone` kinds
/// (service, kind) which must be absent.
fn wait_all_ready(kolla: &Kolla, gone: &[(&str, &str)]) {
    kolla.wait_until("every kind present and ready", &SERVICES, |service, row| {
        if gone.contains(&(service, row.kind.as_str())) {
            row.absent()
        } else {
            row.present_and_ready()
        }
    });
}

/// Waits until only the data kinds are left, still bound.
fn wait_only_data_left(kolla: &Kolla) {
    kolla.wait_until("only data kinds left", &SERVICES, |_, row| {
        if is_data(row) {
            row.present_and_ready()
        } else {
            row.absent()
        }
    });
}

fn wait_all_absent(kolla: &Kolla) {
    kolla.wait_until("everything removed", &SERVICES, |_, row| row.absent());
}

/// Re-runs `creates` on a settled namespace: each exits 0 and no object changes.
fn assert_rerun_changes_nothing(cluster: &TestCluster, kolla: &Kolla, ns: &str, creates: &[&str]) {
    let before = cluster.versions(ns);
    let passwords = cluster.passwords(ns);
    assert!(
        before.keys().any(|k| k.starts_with("Deployment/"))
            && before.keys().any(|k| k.starts_with("PersistentVolume/")),
        "too few objects to compare: {before:?}"
    );
    for args in creates {
        kolla.ok(args);
    }
    assert_eq!(
        cluster.versions(ns),
        before,
        "re-running creates changed objects"
    );
    assert_eq!(
        cluster.passwords(ns),
        passwords,
        "re-running creates changed passwords"
    );
}

/// The passwords exist, one per catalog key, and no command ever printed one.
fn assert_passwords_kept_secret(cluster: &TestCluster, kolla: &Kolla, ns: &str) {
    let passwords = cluster.passwords(ns).expect("the passwords secret exists");
    let catalog = Catalog::builtin().unwrap();
    let keys: Vec<&str> = passwords.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        catalog.password_keys().into_iter().collect::<Vec<_>>()
    );
    let transcript = kolla.transcript();
    for (key, value) in &passwords {
        assert!(value.len() >= 16, "{key} is too short to be generated");
        assert!(!transcript.contains(value.as_str()), "{key} was printed");
    }
}

fn refuses_without_delete_data(kolla: &Kolla, args: &str) {
    let reason = kolla.fails(args);
    assert!(reason.contains("--delete-data"), "{args}: {reason}");
}

#[test]
fn operator_create_status_and_kill_sequence() {
    let cluster = TestCluster::start();
    let ns = "operator";
    let kolla = cluster.kolla(ns);
    let ready = |what: &str, service: &'static str, kind: &'static str| {
        kolla.wait_until(what, &[service], |_, row| {
            row.kind != kind || row.present_and_ready()
        });
    };

    let out = kolla.ok("bootstrap ceph");
    assert!(out.contains("nothing to do"), "{out}");
    kolla.ok("bootstrap mariadb");
    let passwords = cluster
        .passwords(ns)
        .expect("bootstrap generated passwords");
    ready("mariadb's bootstrap to finish", "mariadb", "bootstrap");
    kolla.ok("resource delete mariadb bootstrap");
    kolla.ok("run mariadb");
    kolla.ok("run memcached");
    ready("mariadb to start", "mariadb", "pod");
    ready("memcached to start", "memcached", "pod");
    kolla.ok("bootstrap keystone");
    ready("keystone to bootstrap", "keystone", "bootstrap");
    kolla.ok("run keystone");
    ready("keystone to start", "keystone", "pod");
    kolla.ok("run horizon");
    wait_all_ready(&kolla, &[("mariadb", "bootstrap")]);

    // `bootstrap mariadb` is left out: it would bring back the Job the guide deleted.
    let reruns = [
        "bootstrap ceph",
        "run mariadb",
        "run memcached",
        "bootstrap keystone",
        "run keystone",
        "run horizon",
    ];
    assert_rerun_changes_nothing(&cluster, &kolla, ns, &reruns);
    assert_eq!(cluster.passwords(ns).as_ref(), Some(&passwords));

    let out = kolla.ok("kill horizon");
    assert!(out.contains("deleted Deployment/horizon"), "{out}");
    kolla.ok("kill keystone");
    kolla.ok("kill memcached");
    let out = kolla.ok("kill mariadb");
    for kind in DATA_KINDS {
        assert!(out.contains(&format!("kept mariadb {kind}")), "{out}");
    }
    kolla.ok("kill ceph");
    wait_only_data_left(&kolla);
    refuses_without_delete_data(&kolla, "resource delete mariadb pvc");

    // Killing services leaves the passwords alone.
    assert_eq!(cluster.passwords(ns).as_ref(), Some(&passwords));
    kolla.ok("kill mariadb --delete-data");
    wait_all_absent(&kolla);
    assert_passwords_kept_secret(&cluster, &kolla, ns);
}

#[test]
fn workflow_engine_create_status_and_delete_sequence() {
    let cluster = TestCluster::start();
    let ns = "workflow";
    let kolla = cluster.kolla(ns);
    let ready = |what: &str, service: &'static str, kind: &'static str| {
        kolla.wait_until(what, &[service], |_, row| {
            row.kind != kind || row.present_and_ready()
        });
    };
    // Every create runs twice back to back: the second is harmless.
    let create = |service: &str, kind: &str| {
        for _ in 0..2 {
            kolla.ok(&format!("resource create {service} {kind}"));
        }
    };

    for kind in ["disk", "pv", "pvc", "svc", "configmap", "bootstrap"] {
        create("mariadb", kind);
    }
    ready("mariadb's bootstrap to finish", "mariadb", "bootstrap");
    kolla.ok("resource delete mariadb bootstrap");
    create("mariadb", "pod");
    for kind in ["svc", "configmap", "pod"] {
        create("memcached", kind);
    }
    create("keystone", "svc");
    create("keystone", "configmap");
    ready("mariadb to start", "mariadb", "pod");
    ready("memcached to start", "memcached", "pod");
    create("keystone", "bootstrap");
    ready("keystone to bootstrap", "keystone", "bootstrap");
    create("keystone", "pod");
    create("horizon", "svc");
    create("horizon", "configmap");
    ready("keystone to start", "keystone", "pod");
    create("horizon", "pod");
    wait_all_ready(&kolla, &[("mariadb", "bootstrap")]);

    // Once settled, every create again (the old kind-first order too) changes nothing.
    let mut reruns: Vec<String> = Vec::new();
    for (service, kinds) in [
        (
            "mariadb",
            &["disk", "pv", "pvc", "svc", "configmap", "pod"][..],
        ),
        ("memcached", &["svc", "configmap", "pod"]),
        ("keystone", &["svc", "configmap", "bootstrap", "pod"]),
        ("horizon", &["svc", "configmap", "pod"]),
    ] {
        for kind in kinds {
            reruns.push(format!("resource create {service} {kind}"));
        }
    }
    reruns.push("resource create configmap mariadb".into());
    let reruns: Vec<&str> = reruns.iter().map(String::as_str).collect();
    assert_rerun_changes_nothing(&cluster, &kolla, ns, &reruns);

    for (service, kinds) in [
        ("horizon", &["pod", "configmap", "svc"][..]),
        ("keystone", &["pod", "bootstrap", "configmap", "svc"]),
        ("memcached", &["pod", "configmap", "svc"]),
        ("mariadb", &["pod", "bootstrap", "configmap", "svc"]),
    ] {
        for kind in kinds {
            kolla.ok(&format!("resource delete {service} {kind}"));
        }
    }
    for kind in ["pvc", "pv", "disk"] {
        refuses_without_delete_data(&kolla, &format!("resource delete mariadb {kind}"));
    }
    wait_only_data_left(&kolla);
    for kind in ["pvc", "pv", "disk"] {
        kolla.ok(&format!("resource delete mariadb {kind} --delete-data"));
    }
    wait_all_absent(&kolla);
    assert_passwords_kept_secret(&cluster, &kolla, ns);
}

/// A kubeconfig whose only context points at a port nothing listens on: any attempt to
/// reach the cluster fails, so errors about names must come before it.
fn dead_kubeconfig(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("kubeconfig");
    std::fs::write(
        &path,
        "apiVersion: v1\nkind: Config\ncurrent-context: dead\n\
         clusters:\n- name: dead\n  cluster:\n    server: https://127.0.0.1:1\n\
         contexts:\n- name: dead\n  context:\n    cluster: dead\n    user: dead\n\
         users:\n- name: dead\n  user:\n    token: not-a-token\n",
    )
    .unwrap();
    path
}

#[test]
fn bad_input_is_refused_with_the_valid_names() {
    let dir = tempfile::tempdir().unwrap();
    let services = "ceph, mariadb, memcached, keystone, horizon";
    for kubeconfig in [dead_kubeconfig(dir.path()), dir.path().join("missing")] {
        let kolla = Kolla::without_cluster(&kubeconfig, dir.path());
        for args in [
            "bootstrap nova",
            "kill nova",
            "resource status nova",
            "resource create nova pod",
        ] {
            let reason = kolla.fails(args);
            assert!(
                reason.contains("'nova'") && reason.contains(services),
                "{args}: {reason}"
            );
        }
        for args in [
            "resource create mariadb volume",
            "resource delete volume mariadb",
        ] {
            let reason = kolla.fails(args);
            assert!(
                reason.contains("'volume'")
                    && reason.contains(services)
                    && reason.contains("disk, pv, pvc, svc, configmap, bootstrap, pod"),
                "{args}: {reason}"
            );
        }
        let reason = kolla.fails("resource create memcached pvc");
        assert!(
            reason.contains("its kinds: svc, configmap, pod"),
            "{reason}"
        );

        // Rendering needs no cluster, in either argument order.
        let yaml = kolla.ok("resource template mariadb pod");
        assert!(yaml.contains("kind: StatefulSet"), "{yaml}");
        assert_eq!(kolla.ok("resource template pod mariadb"), yaml);
    }

    let kolla = Kolla::without_cluster(&dead_kubeconfig(dir.path()), dir.path());
    let reason = kolla.fails("--context nowhere resource status mariadb");
    assert!(
        reason.contains("'nowhere'") && reason.contains("known contexts: dead"),
        "{reason}"
    );
    let kolla = Kolla::without_cluster(&dir.path().join("missing"), dir.path());
    let reason = kolla.fails("--context nowhere resource status mariadb");
    assert!(reason.contains("--context needs a kubeconfig"), "{reason}");
}

#[test]
fn forbidden_operations_name_the_verb_and_the_resource() {
    use kolla_dash::cli::GlobalArgs;
    use kolla_dash::cluster::client::Cluster;
    use kolla_dash::devcluster::UNPRIVILEGED_CONTEXT;
    use kolla_dash::engine::{Engine, load_config};
    use kolla_dash::kind::Kind;
    use kolla_dash::model::CellStatus;
    use kolla_dash::tui::{DashOptions, Dashboard};
    use kube::config::{KubeConfigOptions, Kubeconfig};

    let cluster = TestCluster::start();
    let kolla = cluster.kolla("rbac");
    let nobody = format!("--context {UNPRIVILEGED_CONTEXT}");

    // Refused before anything is sent: the rights it lacks, and where to get them.
    let reason = kolla.fails(&format!("{nobody} resource create mariadb pvc"));
    assert!(
        reason.contains("forbidden: resource create mariadb pvc needs rights")
            // Applying reads the object first (whose is it?): get, like the passwords.
            && reason.contains("get, create, patch secrets, persistentvolumeclaims in namespace rbac")
            && reason.contains("kolla-dash rbac --namespace rbac"),
        "{reason}"
    );
    let reason = kolla.fails(&format!("{nobody} resource status mariadb"));
    assert!(
        reason.contains("forbidden") && reason.contains("may not list"),
        "{reason}"
    );
    let reason = kolla.fails(&format!("{nobody} deploy"));
    assert!(reason.contains("forbidden"), "{reason}");

    // The dashboard marks what it may not watch, once, and keeps running.
    cluster.block_on(async {
        let kubeconfig = Kubeconfig::read_from(cluster.kubeconfig_path()).expect("kubeconfig");
        let options = KubeConfigOptions {
            context: Some(UNPRIVILEGED_CONTEXT.into()),
            ..KubeConfigOptions::default()
        };
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .expect("unprivileged config");
        let client = kube::Client::try_from(config).expect("client");
        let global = GlobalArgs {
            config_dir: None,
            context: None,
            namespace: Some("rbac".into()),
            log_file: None,
            request_timeout: Default::default(),
            no_color: false,
        };
        let (catalog, config) = load_config(&global).expect("config");
        let engine = Engine::new(
            catalog,
            config,
            Cluster {
                client,
                context: "nobody".into(),
            },
        );
        let (mut dash, mut inbox) =
            Dashboard::start(engine, DashOptions::default()).expect("dashboard");
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        let forbidden = |d: &Dashboard| {
            let row = d
                .model
                .store()
                .row_of_service("mariadb")
                .expect("mariadb row");
            *d.model.status(row, Kind::Pvc) == CellStatus::Forbidden
        };
        while !forbidden(&dash) {
            let msg = tokio::time::timeout_at(deadline, inbox.msgs.recv())
                .await
                .expect("cells turn forbidden within 30 s")
                .expect("watchers run");
            dash.handle(vec![msg]);
        }
    });
}
