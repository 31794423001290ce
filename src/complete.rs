//! Shell completion: clap's dynamic completion (the shell asks the binary itself), so
//! service names come from the catalog the binary really uses (the operator's overrides
//! included), and the man page.

use std::ffi::{OsStr, OsString};
use std::io::Write as _;
use std::path::PathBuf;

use clap::CommandFactory as _;
use clap_complete::engine::CompletionCandidate;
use clap_complete::env::{Bash, EnvCompleter, Fish, Zsh};

use crate::cli::{Cli, Shell};
use crate::engine::load_catalog;
use crate::kind::Kind;

/// The environment variable the registration script sets when it asks for candidates.
const VAR: &str = "COMPLETE";

/// Answers a completion request and exits, if this run is one (call before parsing).
pub fn answer_if_asked() {
    clap_complete::CompleteEnv::with_factory(Cli::command)
        .var(VAR)
        .complete();
}

/// Writes `shell`'s registration script: it calls `kolla-dash` for candidates.
pub fn script(shell: Shell) -> anyhow::Result<()> {
    let completer: &dyn EnvCompleter = match shell {
        Shell::Bash => &Bash,
        Shell::Zsh => &Zsh,
        Shell::Fish => &Fish,
    };
    let mut out = std::io::stdout().lock();
    completer.write_registration(VAR, "kolla-dash", "kolla-dash", "kolla-dash", &mut out)?;
    out.flush()?;
    Ok(())
}

/// The manual page, in roff.
pub fn man() -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    out.flush()?;
    Ok(())
}

fn matching<'a>(
    current: &OsStr,
    words: impl IntoIterator<Item = &'a str>,
) -> Vec<CompletionCandidate> {
    let prefix = current.to_string_lossy();
    words
        .into_iter()
        .filter(|w| w.starts_with(prefix.as_ref()))
        .map(CompletionCandidate::new)
        .collect()
}

/// The catalog's services as the command being completed would see them: with the
/// operator's overrides from its `--config-dir`, else `KOLLA_DASH_CONFIG_DIR`, else ./etc.
/// A broken override offers nothing (running the command then says what is wrong).
fn service_names() -> Vec<String> {
    let dir = config_dir_of(std::env::args_os()).or_else(|| {
        std::env::var_os("KOLLA_DASH_CONFIG_DIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
    });
    load_catalog(dir.as_deref())
        .map(|c| c.service_names())
        .unwrap_or_default()
}

/// `--config-dir DIR` (or `=DIR`) among the words of the command line being completed:
/// the arguments after the `--` the completion script passes.
fn config_dir_of(args: impl IntoIterator<Item = OsString>) -> Option<PathBuf> {
    let mut words = args.into_iter().skip_while(|a| a != "--").skip(1);
    let mut found = None;
    while let Some(word) = words.next() {
        let text = word.to_string_lossy();
        if text == "--config-dir" {
            found = words.next().map(PathBuf::from);
        } else if let Some(dir) = text.strip_prefix("--config-dir=") {
            found = Some(PathBuf::from(dir));
        }
    }
    found
}

/// The catalog's services.
pub fn services(current: &OsStr) -> Vec<CompletionCandidate> {
    let names = service_names();
    matching(current, names.iter().map(String::as_str))
}

/// The resource kinds.
pub fn kinds(current: &OsStr) -> Vec<CompletionCandidate> {
    matching(current, Kind::ALL.map(Kind::as_str))
}

/// Either, for `resource VERB` whose first word may be a service or (the guide's order) a
/// kind.
pub fn services_or_kinds(current: &OsStr) -> Vec<CompletionCandidate> {
    let mut all = services(current);
    all.extend(kinds(current));
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_dir_is_read_from_the_completed_line_only() {
        let args = |words: &[&str]| words.iter().map(OsString::from).collect::<Vec<_>>();
        let line = args(&[
            "kolla-dash",
            "--",
            "kolla-dash",
            "--config-dir",
            "/x",
            "run",
            "",
        ]);
        assert_eq!(config_dir_of(line), Some(PathBuf::from("/x")));
        let line = args(&["kolla-dash", "--", "kolla-dash", "--config-dir=/y", "run"]);
        assert_eq!(config_dir_of(line), Some(PathBuf::from("/y")));
        let line = args(&[
            "kolla-dash",
            "--config-dir",
            "/z",
            "--",
            "kolla-dash",
            "run",
        ]);
        assert_eq!(config_dir_of(line), None);
    }
}
