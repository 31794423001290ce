use std::path::Path;

use serde_json::{Map, Value, json};

use super::*;
use crate::catalog::Catalog;
use crate::config::Config;
use crate::kind::Kind;
use crate::render::Renderer;
use crate::summary::ObjKind;

/// keystone's Deployment as the default config renders it, with `kk` over the defaults.
fn keystone(kk: &str) -> Value {
    let catalog = Catalog::builtin().expect("catalog");
    let file = ("kolla-kubernetes.yml".to_string(), kk.to_string());
    let config = Config::parse(Some(&file), None, Path::new("."), &catalog).expect("config");
    let renderer = Renderer::new(&config, &catalog).expect("templates");
    let manifests = renderer.render("keystone", Kind::Pod).expect("renders");
    manifests[0].object.clone()
}

/// The FieldsV1 set an apply of `obj` records, as the API server writes it: `f:` keys,
/// keyed list items as `k:{...}` owned with `.`, other lists whole.
fn fields_v1(obj: &Value, field: &str) -> Value {
    match obj {
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                out.insert(format!("f:{k}"), fields_v1(v, k));
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            let key = match field {
                "containers" | "env" | "volumes" => Some("name"),
                "ports" => Some("containerPort"),
                "volumeMounts" => Some("mountPath"),
                _ => None,
            };
            let Some(key) = key else {
                return json!({});
            };
            let mut out = Map::new();
            for item in items {
                let mut id = Map::new();
                id.insert(key.to_string(), item[key].clone());
                if key == "containerPort" {
                    id.insert("protocol".into(), "TCP".into());
                }
                let mut owned = fields_v1(item, "").as_object().cloned().unwrap_or_default();
                owned.insert(".".into(), json!({}));
                out.insert(format!("k:{}", Value::Object(id)), Value::Object(owned));
            }
            Value::Object(out)
        }
        _ => json!({}),
    }
}

/// `desired` as the API server returns it after kolla-dash applied it: defaults filled in,
/// a status, bookkeeping and managedFields (kolla-dash's, a controller's status writes).
fn served(desired: &Value) -> Value {
    let mut obj = desired.clone();
    let meta = obj["metadata"].as_object_mut().expect("metadata");
    meta.insert("uid".into(), "0a1b".into());
    meta.insert("resourceVersion".into(), "4711".into());
    meta.insert("generation".into(), 3.into());
    meta.insert("creationTimestamp".into(), "2026-01-02T03:04:05Z".into());
    meta.insert(
        "annotations".into(),
        json!({"deployment.kubernetes.io/revision": "2"}),
    );
    let mut owned = fields_v1(desired, "");
    owned.as_object_mut().expect("fields").remove("f:status");
    meta.insert(
        "managedFields".into(),
        json!([
            {"manager": "kolla-dash", "operation": "Apply", "apiVersion": "apps/v1",
             "fieldsType": "FieldsV1", "fieldsV1": owned},
            {"manager": "kube-controller-manager", "operation": "Update", "subresource": "status",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {"f:replicas": {}}}},
            {"manager": "kube-controller-manager", "operation": "Update",
             "fieldsType": "FieldsV1",
             "fieldsV1": {"f:metadata": {"f:annotations": {"f:deployment.kubernetes.io/revision": {}}}}},
        ]),
    );
    let spec = obj["spec"].as_object_mut().expect("spec");
    spec.insert("revisionHistoryLimit".into(), 10.into());
    spec.insert("progressDeadlineSeconds".into(), 600.into());
    spec.insert(
        "strategy".into(),
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}),
    );
    let pod = obj["spec"]["template"]["spec"]
        .as_object_mut()
        .expect("pod spec");
    pod.insert("restartPolicy".into(), "Always".into());
    pod.insert("dnsPolicy".into(), "ClusterFirst".into());
    pod.insert("schedulerName".into(), "default-scheduler".into());
    pod.insert("securityContext".into(), json!({}));
    let container = &mut obj["spec"]["template"]["spec"]["containers"][0];
    container["imagePullPolicy"] = "IfNotPresent".into();
    container["terminationMessagePath"] = "/dev/termination-log".into();
    container["resources"] = json!({});
    container["ports"][0]["protocol"] = "TCP".into();
    container["readinessProbe"]["timeoutSeconds"] = 1.into();
    container["readinessProbe"]["failureThreshold"] = 3.into();
    container["volumeMounts"][0]["mountPropagation"] = "None".into();
    obj["status"] = json!({"replicas": 3, "readyReplicas": 3, "observedGeneration": 3});
    obj
}

fn lines(changes: &[Change]) -> Vec<String> {
    changes.iter().map(ToString::to_string).collect()
}

#[test]
fn defaults_status_bookkeeping_and_managed_fields_never_count() {
    let desired = keystone("");
    let live = Live::new(ObjKind::Deployment, served(&desired));
    assert_eq!(
        lines(&compare(ObjKind::Deployment, &desired, &live)),
        Vec::<String>::new()
    );
    // What the model keeps holds neither status nor managedFields.
    assert!(live.object.get("status").is_none());
    assert!(live.object["metadata"].get("managedFields").is_none());
    assert!(!live.owned.is_empty());
}

#[test]
fn keyed_lists_are_matched_by_key_so_their_order_never_counts() {
    let desired = keystone("");
    let mut live = served(&desired);
    let container = &mut live["spec"]["template"]["spec"]["containers"][0];
    container["env"].as_array_mut().expect("env").reverse();
    let live = Live::new(ObjKind::Deployment, live);
    assert_eq!(
        lines(&compare(ObjKind::Deployment, &desired, &live)),
        Vec::<String>::new()
    );
}

#[test]
fn replicas_and_image_tag_read_as_a_compact_diff() {
    let live = Live::new(
        ObjKind::Deployment,
        served(&keystone("keystone_replicas: 3\n")),
    );
    // The tag is a globals.yml setting; here it is changed where it lands.
    let mut desired = keystone("keystone_replicas: 2\n");
    let image = &mut desired["spec"]["template"]["spec"]["containers"][0]["image"];
    let tagged = image.as_str().expect("image").replace("2025.1", "2025.2");
    *image = tagged.into();
    assert_eq!(
        lines(&compare(ObjKind::Deployment, &desired, &live)),
        vec![
            "spec.replicas: 3 → 2",
            "spec.template.spec.containers[keystone].image: …:2025.1-ubuntu-noble → \
             …:2025.2-ubuntu-noble",
        ]
    );
}

#[test]
fn a_field_no_longer_rendered_is_removed_unless_someone_else_also_set_it() {
    let before = keystone("");
    let mut desired = before.clone();
    let env = desired["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array_mut()
        .expect("env");
    env.retain(|e| e["name"] != "KOLLA_CONFIG_STRATEGY");
    let live = Live::new(ObjKind::Deployment, served(&before));
    assert_eq!(
        lines(&compare(ObjKind::Deployment, &desired, &live)),
        vec![
            "spec.template.spec.containers[keystone].env[KOLLA_CONFIG_STRATEGY]: \
             {\"name\":\"KOLLA_CONFIG_STRATEGY\",\"value\":\"COPY_ALWAYS\"} → (none)"
        ]
    );
    // Another manager set it too: the next apply leaves it, so nothing would change.
    let mut shared = served(&before);
    shared["metadata"]["managedFields"]
        .as_array_mut()
        .expect("managed fields")
        .push(
            json!({"manager": "kubectl", "operation": "Apply", "fieldsV1": {
            "f:spec": {"f:template": {"f:spec": {"f:containers": {
                "k:{\"name\":\"keystone\"}": {"f:env": {
                    "k:{\"name\":\"KOLLA_CONFIG_STRATEGY\"}": {".": {}, "f:name": {}, "f:value": {}}
                }}}}}}}}),
        );
    let live = Live::new(ObjKind::Deployment, shared);
    assert_eq!(
        lines(&compare(ObjKind::Deployment, &desired, &live)),
        Vec::<String>::new()
    );
}

#[test]
fn a_field_someone_else_changed_is_drift_whoever_owns_it_now() {
    let desired = keystone("");
    let mut live = served(&desired);
    live["spec"]["replicas"] = 1.into();
    // kubectl scale took spec.replicas over from kolla-dash.
    let live = Live::new(ObjKind::Deployment, live);
    assert_eq!(
        lines(&compare(ObjKind::Deployment, &desired, &live)),
        vec!["spec.replicas: 1 → 3"]
    );
}

#[test]
fn zero_values_the_server_leaves_out_and_quantities_written_otherwise_are_equal() {
    let desired = json!({"kind": "Pod", "spec": {"containers": [{"name": "a", "env": [
        {"name": "KOLLA_BOOTSTRAP", "value": ""}],
        "resources": {"requests": {"memory": "1Gi", "cpu": "1"}}}]}});
    let live = json!({"kind": "Pod", "spec": {"containers": [{"name": "a", "env": [
        {"name": "KOLLA_BOOTSTRAP"}],
        "resources": {"requests": {"memory": "1024Mi", "cpu": "1000m"}}}]}});
    let live = Live::new(ObjKind::Job, live);
    assert_eq!(
        lines(&compare(ObjKind::Job, &desired, &live)),
        Vec::<String>::new()
    );
    // Outside resources a string is a string: "1" is not "1000m".
    let desired = json!({"data": {"a": "1"}});
    let live = Live::new(ObjKind::ConfigMap, json!({"data": {"a": "1000m"}}));
    assert_eq!(
        lines(&compare(ObjKind::ConfigMap, &desired, &live)),
        vec!["data.a: 1000m → 1"]
    );
}

#[test]
fn a_secrets_values_are_compared_as_digests_and_never_shown() {
    let desired = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "ceph-secret"},
        "type": "Opaque", "stringData": {"userID": "admin", "userKey": "AQBnew=="}});
    // What the server stores: data, base64 ("admin", "AQBold=="), no stringData.
    let served = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "ceph-secret",
        "managedFields": [{"manager": "kolla-dash", "operation": "Apply",
            "fieldsV1": {"f:stringData": {"f:userID": {}, "f:userKey": {}}, "f:type": {}}}]},
        "type": "Opaque", "data": {"userID": "YWRtaW4=", "userKey": "QVFCb2xkPT0="}});
    let live = Live::new(ObjKind::Secret, served);
    assert!(
        !live.object.to_string().contains("QVFCb2xkPT0="),
        "{}",
        live.object
    );
    let changes = compare(ObjKind::Secret, &desired, &live);
    assert_eq!(
        lines(&changes),
        vec!["data.userKey: differs (a Secret's value: not shown)"]
    );
    let drift = CellDrift::judge(
        "ceph",
        Kind::Bootstrap,
        vec![ObjectDrift {
            obj: crate::summary::ObjRef {
                kind: ObjKind::Secret,
                name: "ceph-secret".into(),
            },
            difference: Difference::Changed(changes),
        }],
        |_| true,
    )
    .expect("drifts");
    let json = drift.to_json().to_string();
    assert!(!json.contains("AQB") && !json.contains("digest"), "{json}");
    assert!(json.contains("\"secret\":true"), "{json}");
    assert!(drift.applies());
}

fn one(kind: ObjKind, name: &str, changes: Vec<Change>) -> Vec<ObjectDrift> {
    vec![ObjectDrift {
        obj: crate::summary::ObjRef {
            kind,
            name: name.into(),
        },
        difference: Difference::Changed(changes),
    }]
}

fn change(path: &[&str], live: Value, desired: Value) -> Change {
    Change {
        path: FieldPath(path.iter().map(|s| Seg::Field(s.to_string())).collect()),
        live: Some(live),
        desired: Some(desired),
        secret: false,
    }
}

#[test]
fn what_cannot_change_in_place_is_held_with_what_to_do_and_jobs_that_ran_are_only_reported() {
    let size = change(
        &["spec", "resources", "requests", "storage"],
        "10Gi".into(),
        "20Gi".into(),
    );
    let pvc = one(ObjKind::PersistentVolumeClaim, "mariadb", vec![size]);
    let held = CellDrift::judge("mariadb", Kind::Pvc, pvc, |_| true).expect("drifts");
    match &held.verdict {
        Verdict::Held(why) => {
            assert!(
                why.starts_with(
                    "PersistentVolumeClaim/mariadb spec.resources.requests.storage \
                                     cannot change in place"
                ),
                "{why}"
            );
            assert!(why.contains("never recreates what holds data"), "{why}");
        }
        other => panic!("{other:?}"),
    }
    assert!(held.shows() && !held.applies());

    let selector = change(
        &["spec", "selector", "matchLabels", "x"],
        "a".into(),
        "b".into(),
    );
    let deploy = one(ObjKind::Deployment, "keystone", vec![selector]);
    let held = CellDrift::judge("keystone", Kind::Pod, deploy, |_| true).expect("drifts");
    assert!(
        matches!(&held.verdict, Verdict::Held(why) if why.contains("`kolla-dash resource delete keystone pod`, then deploy")),
        "{held:?}"
    );

    let replicas = change(&["spec", "replicas"], 3.into(), 2.into());
    let deploy = one(ObjKind::Deployment, "keystone", vec![replicas]);
    let applied = CellDrift::judge("keystone", Kind::Pod, deploy, |_| true).expect("drifts");
    assert!(applied.applies());
    assert_eq!(
        applied.why(),
        "differs from the config: Deployment/keystone spec.replicas: 3 → 2; deploy applies it"
    );

    let image = change(
        &["spec", "template", "spec", "image"],
        "a:1".into(),
        "a:2".into(),
    );
    let job = one(ObjKind::Job, "keystone-manage-db", vec![image]);
    let ran = CellDrift::judge("keystone", Kind::Bootstrap, job.clone(), |_| true).expect("drifts");
    assert!(matches!(&ran.verdict, Verdict::Ran(why) if why.contains("a bootstrap runs once")));
    assert!(!ran.shows() && !ran.applies());
    let running = CellDrift::judge("keystone", Kind::Bootstrap, job, |_| false).expect("drifts");
    assert!(matches!(&running.verdict, Verdict::Held(why) if why.contains("did not complete")));
}

#[test]
fn field_sets_read_as_paths_with_keyed_items_and_set_members() {
    let set = json!({"f:metadata": {"f:labels": {".": {}, "f:app": {}}, "f:finalizers": {"v:\"x\"": {}}},
        "f:spec": {"f:ports": {"k:{\"port\":5000,\"protocol\":\"TCP\"}": {".": {}, "f:name": {}}}}});
    let mut paths: Vec<String> = path::fields_v1(&set)
        .iter()
        .map(ToString::to_string)
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        vec![
            "metadata.finalizers[x]",
            "metadata.labels",
            "metadata.labels.app",
            "spec.ports[port=5000,protocol=TCP]",
            "spec.ports[port=5000,protocol=TCP].name",
        ]
    );
    // An item whose key leaves out a defaulted field (the protocol) is still found.
    let rendered = json!({"spec": {"ports": [{"name": "public", "port": 5000}]}});
    let item = path::fields_v1(&set)
        .into_iter()
        .find(|p| p.to_string() == "spec.ports[port=5000,protocol=TCP].name")
        .expect("path");
    assert_eq!(path::lookup(&rendered, &item), Some(&json!("public")));
}

#[test]
fn a_changed_file_shows_its_first_differing_line() {
    let c = change(
        &["data", "keystone.conf"],
        "[DEFAULT]\nuse_stderr = true\n".into(),
        "[DEFAULT]\nuse_stderr = false\n".into(),
    );
    assert_eq!(
        c.to_string(),
        "data[\"keystone.conf\"]: line 2: use_stderr = true → use_stderr = false"
    );
}

#[test]
fn a_job_that_did_not_complete_takes_changes_in_place_but_not_to_its_template() {
    let limit = change(&["spec", "backoffLimit"], 0.into(), 10.into());
    let job = one(ObjKind::Job, "keystone-create-db", vec![limit]);
    let open = CellDrift::judge("keystone", Kind::Bootstrap, job.clone(), |_| false);
    assert!(open.expect("drifts").applies());
    // Once it completed it is left as it ran, whatever changed.
    let done = CellDrift::judge("keystone", Kind::Bootstrap, job.clone(), |_| true);
    assert!(matches!(done.expect("drifts").verdict, Verdict::Ran(_)));

    // A completed Job beside something deploy creates: the cell applies, the Job is left.
    let mut cell = job;
    cell.push(ObjectDrift {
        obj: crate::summary::ObjRef {
            kind: ObjKind::ConfigMap,
            name: "keystone".into(),
        },
        difference: Difference::Missing,
    });
    let mixed = CellDrift::judge("keystone", Kind::Bootstrap, cell, |o| {
        o.kind == ObjKind::Job
    });
    assert!(mixed.expect("drifts").applies());
}
