//! Stamps the git commit into the binary, for `--version`.

use std::process::Command;

fn main() {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let commit = match git(&["rev-parse", "--short=12", "HEAD"]) {
        Some(hash) => {
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{hash}, modified")
            } else {
                hash
            }
        }
        None => "commit unknown: not built from a git checkout".to_string(),
    };
    println!("cargo::rustc-env=KOLLA_DASH_COMMIT={commit}");
    // A new commit (or checkout) changes HEAD or the ref it names. `--git-path` finds each
    // where it really is: in a linked worktree HEAD and the index are the worktree's own,
    // the branch refs the main repository's.
    let path = |name: &str| git(&["rev-parse", "--git-path", name]);
    let mut watched = vec![path("HEAD"), path("index")];
    if let Some(head) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.push(path(&head));
    }
    for file in watched.into_iter().flatten() {
        println!("cargo::rerun-if-changed={file}");
    }
}
