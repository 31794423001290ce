//! Converging on the config, on a real local control plane through the real binary: `diff`
//! says what differs from the config (exit 0/1, `-o json`), `deploy` applies it and waits
//! for the rollout, a further deploy touches nothing; the dashboard shows drift made behind
//! kolla-dash's back and follows the config file as it is edited.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, Patch, PatchParams};
use serde_json::Value;
use support::cluster::{Kolla, TestCluster};
use support::pty::{PtyApp, grid_row};

const WAIT: Duration = Duration::from_secs(60);

/// A copy of the crate's operator config the test may edit.
fn config_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for file in ["kolla-kubernetes.yml", "globals.yml"] {
        std::fs::copy(
            support::cluster::config_dir().join(file),
            dir.path().join(file),
        )
        .unwrap_or_else(|e| panic!("copy {file}: {e}"));
    }
    dir
}

/// Replaces `from` by `to` in `dir/file` (which must contain it).
fn edit(dir: &Path, file: &str, from: &str, to: &str) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).expect("read config");
    assert!(text.contains(from), "{file} has no `{from}`");
    std::fs::write(&path, text.replacen(from, to, 1)).expect("write config");
}

/// `diff ARGS`: its exit code and stdout.
fn diff(kolla: &Kolla, args: &str) -> (Option<i32>, String) {
    let run = kolla.run(&format!("diff {args}"));
    (run.code, format!("{}{}", run.stdout, run.stderr))
}

fn deployment(cluster: &TestCluster, ns: &str, name: &str) -> Deployment {
    let api: Api<Deployment> = Api::namespaced(cluster.client(), ns);
    cluster
        .block_on(api.get(name))
        .unwrap_or_else(|e| panic!("get Deployment/{name}: {e}"))
}

/// (replicas asked, updated, ready, image of the first container)
fn rollout(d: &Deployment) -> (i32, i32, i32, String) {
    let status = d.status.clone().unwrap_or_default();
    let image = d
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .and_then(|s| s.containers.first())
        .and_then(|c| c.image.clone())
        .unwrap_or_default();
    (
        d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
        status.updated_replicas.unwrap_or(0),
        status.ready_replicas.unwrap_or(0),
        image,
    )
}

#[test]
fn diff_names_config_changes_and_deploy_converges_then_touches_nothing() {
    let cluster = TestCluster::shared();
    let ns = "drift-cli";
    let config = config_copy();
    let kolla = cluster.kolla(ns).with_config_dir(config.path());
    kolla.ok("deploy");

    let (code, out) = diff(&kolla, "");
    assert_eq!(code, Some(0), "diff right after deploy:\n{out}");
    assert!(out.contains("nothing to change"), "{out}");

    edit(
        config.path(),
        "kolla-kubernetes.yml",
        "keystone_replicas: \"3\"",
        "keystone_replicas: \"2\"",
    );
    edit(
        config.path(),
        "globals.yml",
        "# openstack_tag: 2025.1-ubuntu-noble",
        "openstack_tag: 2025.2-ubuntu-noble",
    );
    let started = Instant::now();
    let (code, out) = diff(&kolla, "");
    println!("diff on the full stack took {:.2?}", started.elapsed());
    assert_eq!(code, Some(1), "diff after the edit:\n{out}");
    assert!(out.contains("keystone pod"), "{out}");
    assert!(out.contains("spec.replicas: 3 → 2"), "{out}");
    assert!(
        out.contains("2025.1-ubuntu-noble → …:2025.2-ubuntu-noble"),
        "{out}"
    );
    // A bootstrap Job whose rendering changed is reported, never run again.
    assert!(out.contains("keystone bootstrap (reported only)"), "{out}");
    assert!(out.contains("a bootstrap runs once"), "{out}");
    // The passwords Secret never shows a value, changed or not.
    let passwords = cluster.passwords(ns).expect("passwords Secret");
    for value in passwords.values() {
        assert!(!out.contains(value.as_str()), "a password in:\n{out}");
    }
    let (code, json) = diff(&kolla, "keystone -o json");
    assert_eq!(code, Some(1), "{json}");
    let cells: Vec<Value> = serde_json::from_str(&json).expect("diff -o json is JSON");
    let pod = cells
        .iter()
        .find(|c| c["service"] == "keystone" && c["kind"] == "pod")
        .unwrap_or_else(|| panic!("no keystone pod cell in {json}"));
    let fields: Vec<&str> = pod["objects"][0]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|c| c["path"].as_str())
        .collect();
    assert!(fields.contains(&"spec.replicas"), "{json}");
    // The dry run shows the same change under keystone's pod step.
    let plan = kolla.ok("deploy --dry-run");
    assert!(plan.contains("spec.replicas: 3 → 2"), "{plan}");

    let before = cluster.versions(ns);
    let started = Instant::now();
    kolla.ok("deploy");
    println!(
        "deploy of keystone's new replicas and tag, rollout included, took {:.2?}",
        started.elapsed()
    );
    let (replicas, updated, ready, image) = rollout(&deployment(&cluster, ns, "keystone"));
    assert_eq!((replicas, updated, ready), (2, 2, 2), "keystone's rollout");
    assert!(image.ends_with(":2025.2-ubuntu-noble"), "{image}");
    // Only what the config changed was touched (horizon's image comes from globals too).
    let after = cluster.versions(ns);
    let touched: Vec<&String> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(v))
        .map(|(k, _)| k)
        .collect();
    println!("objects the converging deploy changed: {touched:?}");
    assert!(
        touched.contains(&&"Deployment/keystone".to_string()),
        "{touched:?}"
    );
    assert!(
        !touched
            .iter()
            .any(|k| k.starts_with("PersistentVolume") || k.starts_with("Job/")),
        "data and bootstrap Jobs are left as they are: {touched:?}"
    );

    let (code, out) = diff(&kolla, "");
    assert_eq!(code, Some(0), "diff after the converging deploy:\n{out}");
    let settled = cluster.versions(ns);
    kolla.ok("deploy");
    assert_eq!(
        settled,
        cluster.versions(ns),
        "a deploy with nothing to change changed a resourceVersion"
    );

    // A change that cannot be made in place on what holds data: named, never forced.
    let embedded = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/templates/storage/pvc.yml.j2"),
    )
    .expect("the embedded claim template");
    let bigger = embedded.replacen("{{ volume.size | tojson }}", "\"20Gi\"", 1);
    assert_ne!(bigger, embedded, "the template names the claim's size");
    let overrides = config.path().join("templates/storage");
    std::fs::create_dir_all(&overrides).expect("override directory");
    std::fs::write(overrides.join("pvc.yml.j2"), bigger).expect("write the override");
    let (code, out) = diff(&kolla, "mariadb");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("mariadb pvc (not applied)"), "{out}");
    assert!(
        out.contains("spec.resources.requests.storage: 10Gi → 20Gi"),
        "{out}"
    );
    assert!(out.contains("never recreates what holds data"), "{out}");
    let run = kolla.run("deploy");
    assert!(
        !run.success,
        "deploy must not call a held change done:\n{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("still differs from the config")
            && run.stderr.contains("PersistentVolumeClaim/mariadb"),
        "{}",
        run.stderr
    );
    assert_eq!(
        settled,
        cluster.versions(ns),
        "the held claim (or anything else) was changed"
    );
}

/// Whether `text` has `file` followed by `LINE:COL`.
fn names_line_and_column(text: &str, file: &str) -> bool {
    text.match_indices(file).any(|(at, _)| {
        let rest = &text[at + file.len()..];
        let mut parts = rest.splitn(3, ':');
        let number = |p: Option<&str>| {
            p.is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        };
        number(parts.next()) && number(parts.next())
    })
}

#[test]
fn the_dashboard_shows_drift_behind_its_back_and_follows_config_edits() {
    let cluster = TestCluster::shared();
    let ns = "drift-dash";
    let config = config_copy();
    let kolla = cluster.kolla(ns).with_config_dir(config.path());
    kolla.ok("deploy");

    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("kolla-dash.log");
    let kubeconfig = cluster.kubeconfig_path();
    let config_arg = config.path().to_str().expect("utf-8 path");
    let mut app = PtyApp::spawn(
        &[
            "--namespace",
            ns,
            "--config-dir",
            config_arg,
            "--log-file",
            log.to_str().expect("utf-8 path"),
        ],
        &[("KUBECONFIG", kubeconfig.as_path())],
        160,
        48,
    );
    app.wait_for("the deployed grid, nothing drifting", WAIT, |s| {
        s.contains("connected") && grid_row(s, "horizon").contains("3/3") && !s.contains('Δ')
    });

    // `kubectl scale deploy horizon --replicas=1`, as kubectl does it.
    let api: Api<Deployment> = Api::namespaced(cluster.client(), ns);
    let kubectl = PatchParams {
        field_manager: Some("kubectl".into()),
        ..PatchParams::default()
    };
    let scale = Patch::Merge(serde_json::json!({"spec": {"replicas": 1}}));
    cluster
        .block_on(api.patch_scale("horizon", &kubectl, &scale))
        .expect("scale horizon");
    app.wait_for("horizon's pod cell to drift", WAIT, |s| {
        grid_row(s, "horizon").contains("Δ")
    });
    // `=` on the cell shows the change; `D` shows the plan before anything runs.
    app.send("jjjj"); // ceph → horizon
    app.send("llllll"); // disk → pod
    app.send("=");
    app.wait_for("horizon's diff", WAIT, |s| {
        s.contains("horizon / pod: diff against the config") && s.contains("spec.replicas: 1 → 3")
    });
    app.send("q"); // closes the diff
    app.send("D");
    app.wait_for("the deploy plan in the dialog", WAIT, |s| {
        s.contains("1. horizon pod: Deployment/horizon spec.replicas: 1 → 3")
    });
    app.send("n");
    app.wait_for("the dialog to close", WAIT, |s| {
        !s.contains("1. horizon pod")
    });

    // A broken edit: its place is named, nothing else changes.
    let path = config.path().join("kolla-kubernetes.yml");
    let good = std::fs::read_to_string(&path).expect("read config");
    std::fs::write(&path, format!("{good}keystone_replicas: [2\n")).expect("write config");
    let screen = app.wait_for("the config error in the status line", WAIT, |s| {
        s.contains("config not applied") && names_line_and_column(s, "kolla-kubernetes.yml:")
    });
    assert!(!grid_row(&screen, "keystone").contains("Δ"), "{screen}");

    // A good edit: keystone drifts within a second of the save.
    std::fs::write(
        &path,
        good.replacen("keystone_replicas: \"3\"", "keystone_replicas: \"2\"", 1),
    )
    .expect("write config");
    let saved = Instant::now();
    let screen = app.wait_for("keystone's pod cell to drift after the edit", WAIT, |s| {
        grid_row(s, "keystone").contains("Δ")
    });
    let shown = saved.elapsed();
    println!("config save to drift shown: {shown:.2?}");
    assert!(
        screen.contains("keystone pod differs") || screen.contains("cells differ"),
        "the status line names what differs:\n{screen}"
    );

    app.send("q");
    assert!(
        app.wait_exit(Duration::from_secs(10)),
        "kolla-dash exits on q"
    );

    // deploy restores horizon and applies keystone's new count.
    let (code, out) = diff(&kolla, "");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("horizon pod") && out.contains("1 → 3"),
        "{out}"
    );
    kolla.ok("deploy");
    let (replicas, updated, ready, _) = rollout(&deployment(&cluster, ns, "horizon"));
    assert_eq!((replicas, updated, ready), (3, 3, 3), "horizon restored");
    let (replicas, _, ready, _) = rollout(&deployment(&cluster, ns, "keystone"));
    assert_eq!((replicas, ready), (2, 2), "keystone at the config's count");
    let (code, out) = diff(&kolla, "");
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn diff_names_a_foreign_object_as_refused_and_leaves_it() {
    use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
    use kube::api::PostParams;

    let cluster = TestCluster::shared();
    let ns = "drift-own";
    let someone = PostParams {
        field_manager: Some("someone-else".into()),
        ..PostParams::default()
    };
    let namespaces: Api<Namespace> = Api::all(cluster.client());
    let namespace =
        serde_json::from_value(serde_json::json!({"metadata": {"name": ns}})).expect("a Namespace");
    cluster
        .block_on(namespaces.create(&someone, &namespace))
        .expect("create the namespace");
    let configmaps: Api<ConfigMap> = Api::namespaced(cluster.client(), ns);
    let theirs = serde_json::from_value(
        serde_json::json!({"metadata": {"name": "memcached"}, "data": {"theirs": "1"}}),
    )
    .expect("a ConfigMap");
    let created = cluster
        .block_on(configmaps.create(&someone, &theirs))
        .expect("create someone else's ConfigMap");

    let kolla = cluster.kolla(ns);
    // It cannot tell: 2, not the 1 that means "differs".
    let (code, out) = diff(&kolla, "nosuchservice");
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("nosuchservice"), "{out}");
    let (code, out) = diff(&kolla, "memcached");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("memcached configmap (deploy refuses it)"),
        "{out}"
    );
    assert!(
        out.contains("ConfigMap/memcached") && out.contains("someone-else"),
        "{out}"
    );
    // What is not there yet is what deploy creates.
    assert!(out.contains("memcached pod (deploy creates it)"), "{out}");
    let after = cluster
        .block_on(configmaps.get("memcached"))
        .expect("the ConfigMap");
    assert_eq!(
        after.metadata.resource_version, created.metadata.resource_version,
        "diff changed someone else's ConfigMap"
    );
}
