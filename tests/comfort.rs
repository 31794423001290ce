//! At home for a k9s and kubectl user (issue 13): shell completion of the catalog's names,
//! the man page, the version's commit, a screen without colours under NO_COLOR, and the
//! operator's overrides as `resource map`, `resource template` and completion see them.
//! None of it needs a cluster (tests/overrides.rs and tests/switch.rs do).

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::launch::{self, BIN, unreachable_kubeconfig};
use support::pty::PtyApp;

/// What bash's completion offers for `line` (the word being completed is its last, possibly
/// empty), with kolla-dash's own script sourced the way the README says.
fn bash_completes(line: &str) -> Vec<String> {
    let dir = Path::new(BIN).parent().expect("binary directory");
    let path = format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let script = r#"
        source <(kolla-dash completions bash) || exit 3
        read -ra COMP_WORDS <<< "$LINE"
        [[ "$LINE" == *" " ]] && COMP_WORDS+=("")
        COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
        COMP_LINE="$LINE"; COMP_POINT=${#LINE}
        prev=""; (( COMP_CWORD > 0 )) && prev="${COMP_WORDS[COMP_CWORD-1]}"
        _clap_complete_kolla_dash kolla-dash "${COMP_WORDS[COMP_CWORD]}" "$prev"
        printf '%s\n' "${COMPREPLY[@]}"
    "#;
    let out = launch::command_for("bash")
        .arg("-c")
        .arg(script)
        .env("PATH", path)
        .env("LINE", line)
        .output()
        .expect("run bash (is it installed?)");
    assert!(
        out.status.success(),
        "bash completion failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_resource_create_with_the_catalogs_services_then_kinds() {
    let catalog = kolla_dash::catalog::Catalog::builtin().expect("built-in catalog");
    let offered = bash_completes("kolla-dash resource create ");
    for service in catalog.service_names() {
        assert!(
            offered.contains(&service),
            "{service} not offered: {offered:?}"
        );
    }
    let offered = bash_completes("kolla-dash resource create keystone ");
    for kind in ["disk", "pv", "pvc", "svc", "configmap", "bootstrap", "pod"] {
        assert!(
            offered.iter().any(|o| o == kind),
            "{kind} not offered: {offered:?}"
        );
    }
    assert_eq!(
        bash_completes("kolla-dash run key"),
        vec!["keystone".to_string()]
    );
}

#[test]
fn the_man_page_and_the_version_are_generated() {
    let man = launch::command()
        .arg("man")
        .output()
        .expect("run kolla-dash man");
    let page = String::from_utf8_lossy(&man.stdout);
    assert!(
        man.status.success() && page.starts_with(".ie") || page.contains(".TH kolla-dash"),
        "{page}"
    );
    for verb in ["deploy", "teardown", "completions", "dev\\-cluster"] {
        assert!(page.contains(verb), "the man page lists {verb}");
    }
    let version = launch::command()
        .arg("--version")
        .output()
        .expect("run --version");
    let version = String::from_utf8_lossy(&version.stdout);
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("git");
    let commit = String::from_utf8_lossy(&commit.stdout).trim().to_string();
    assert!(
        version.starts_with("kolla-dash ") && version.contains(&commit),
        "--version names the commit {commit}: {version}"
    );
}

fn screen_colours(no_color: Option<&str>) -> usize {
    let dir = tempfile::tempdir().expect("temp dir");
    // No cluster: the dashboard draws its screen (connecting, every cell unknown) anyway.
    let kubeconfig = unreachable_kubeconfig(dir.path());
    let log = dir.path().join("kolla-dash.log");
    let mut env = vec![("KUBECONFIG", kubeconfig.as_path())];
    if let Some(value) = no_color {
        env.push(("NO_COLOR", Path::new(value)));
    }
    let mut app = PtyApp::spawn(
        &["--log-file", log.to_str().expect("utf-8 path")],
        &env,
        100,
        30,
    );
    app.wait_for("the grid", Duration::from_secs(20), |s| {
        s.contains("services") && s.contains("mariadb")
    });
    // Help has coloured keys too.
    app.send("?");
    app.wait_for("the help", Duration::from_secs(5), |s| {
        s.contains("keys (Esc closes)")
    });
    let coloured = app.coloured_cells();
    // Esc then q at once would read as Alt-q: q closes the help, q again quits.
    app.send("q");
    app.wait_for("the help closed", Duration::from_secs(5), |s| {
        !s.contains("keys (Esc closes)")
    });
    app.send("q");
    assert!(
        app.wait_exit(Duration::from_secs(10)),
        "kolla-dash exits 0 on q"
    );
    coloured
}

#[test]
fn no_color_leaves_no_colour_on_screen() {
    assert!(
        screen_colours(None) > 0,
        "without NO_COLOR the screen has colours (else this test could not fail)"
    );
    assert_eq!(screen_colours(Some("1")), 0, "NO_COLOR=1: no coloured cell");
}

/// The README's worked example of overrides: rabbitmq added, memcached's pod changed.
fn example() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/overrides")
}

/// `kolla-dash ARGS` without a cluster: (success, stdout, stderr).
fn kolla(args: &[&str]) -> (bool, String, String) {
    let logs = tempfile::tempdir().expect("temp dir");
    let out = Command::new(BIN)
        .arg("--log-file")
        .arg(logs.path().join("kolla-dash.log"))
        .args(args)
        .env_remove("KOLLA_DASH_CONFIG_DIR")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run kolla-dash");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).trim().to_string(),
    )
}

#[test]
fn overrides_show_in_the_map_and_in_completion() {
    let dir = example();
    let dir_arg = dir.to_str().expect("utf-8 path");
    let (ok, map, err) = kolla(&["--config-dir", dir_arg, "resource", "map"]);
    assert!(ok, "{err}");
    let line = |template: &str| {
        map.lines()
            .find(|l| l.contains(template))
            .unwrap_or_default()
            .to_string()
    };
    let overridden = dir.join("templates/memcached/pod.yml.j2");
    assert!(
        line("memcached/pod.yml.j2").ends_with(&format!("override {}", overridden.display())),
        "{map}"
    );
    assert!(line("memcached/svc.yml.j2").ends_with("embedded"), "{map}");
    assert!(
        line("rabbitmq  [defined in ").contains("catalog.yml"),
        "{map}"
    );
    let (ok, yaml, err) = kolla(&[
        "--config-dir",
        dir_arg,
        "resource",
        "template",
        "memcached",
        "pod",
    ]);
    assert!(
        ok && yaml.contains("example.com/owner: cloud-team"),
        "{err}{yaml}"
    );

    let offered = bash_completes(&format!("kolla-dash --config-dir {dir_arg} run "));
    assert!(offered.contains(&"rabbitmq".to_string()), "{offered:?}");
    let offered = bash_completes("kolla-dash run ");
    assert!(
        !offered.contains(&"rabbitmq".to_string()),
        "./etc adds no service: {offered:?}"
    );
}

/// A copy of the worked example whose `file` reads `text`.
fn broken_example(file: &str, text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let copy = |rel: &str| {
        let to = dir.path().join(rel);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(example().join(rel), to).expect("copy the example");
    };
    for rel in [
        "catalog.yml",
        "templates/rabbitmq/svc.yml.j2",
        "templates/rabbitmq/configmap.yml.j2",
        "templates/rabbitmq/pod.yml.j2",
        "templates/memcached/pod.yml.j2",
    ] {
        copy(rel);
    }
    std::fs::write(dir.path().join(file), text).expect("break the file");
    dir
}

#[test]
fn a_broken_override_is_named_by_file_line_and_column() {
    let template = "templates/rabbitmq/svc.yml.j2";
    let dir = broken_example(
        template,
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: rabbitmq\nspec:\n  selector: {{ selector | tojson }\n",
    );
    let (ok, _, err) = kolla(&[
        "--config-dir",
        dir.path().to_str().expect("utf-8 path"),
        "resource",
        "template",
        "rabbitmq",
        "svc",
    ]);
    let file = dir.path().join(template).display().to_string();
    assert!(!ok, "a broken template is refused");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!("kolla-dash: {file}:6:")),
        "file:line:column: {err}"
    );
    let column: &str = err
        .trim_start_matches(&format!("kolla-dash: {file}:6:"))
        .split(':')
        .next()
        .unwrap_or_default();
    assert!(column.parse::<u32>().is_ok_and(|c| c > 0), "{err}");
    assert!(err.contains("syntax error"), "{err}");

    let dir = broken_example(
        "catalog.yml",
        "services:\n  - name: rabbitmq\n    role: controller\n    kinds:\n      - {kind: pods, template: rabbitmq/pod.yml.j2}\n",
    );
    let (ok, _, err) = kolla(&[
        "--config-dir",
        dir.path().to_str().expect("utf-8 path"),
        "resource",
        "map",
    ]);
    let file = dir.path().join("catalog.yml").display().to_string();
    assert!(!ok);
    assert!(
        err.starts_with(&format!("kolla-dash: {file}:5:16: unknown variant `pods`")),
        "{err}"
    );
}
