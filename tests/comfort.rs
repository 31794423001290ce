//! At home for a k9s and kubectl user (issue 13): shell completion of the catalog's names,
//! the man page, the version's commit, and a screen without colours under NO_COLOR. None of
//! it needs a cluster.

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
