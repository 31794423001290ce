//! Entry point behind `main`: tracing, the tokio runtime, and dispatch to each command.

use std::process::ExitCode;

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::cli::{Cli, Command};

/// Where the diagnostic log goes unless `--log-file` says otherwise.
pub fn default_log_file() -> PathBuf {
    let state = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(std::env::temp_dir);
    state.join("kolla-dash").join("kolla-dash.log")
}

/// Tracing always goes to a file: kube-client logs every failed connect, which would
/// corrupt the dashboard's screen and clutter scripts' stderr. `RUST_LOG` sets the filter.
fn init_tracing(
    file: Option<&Path>,
) -> anyhow::Result<tracing_appender::non_blocking::WorkerGuard> {
    let path = file.map_or_else(default_log_file, Path::to_path_buf);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the log directory {}", dir.display()))?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("cannot open the log file {}", path.display()))?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .init();
    Ok(guard)
}

pub fn main(cli: Cli) -> ExitCode {
    // Kept alive until exit so buffered log lines are flushed.
    let _log_guard = match init_tracing(cli.global.log_file.as_deref()) {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("kolla-dash: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kolla-dash: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // `diff` speaks like `kubectl diff`: 1 means "differs", so its errors exit 2.
    let diff = matches!(cli.command, Some(Command::Diff(_)));
    match runtime.block_on(dispatch(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is::<crate::commands::diff::Differs>() => ExitCode::from(1),
        Err(e) => {
            eprintln!("kolla-dash: {e:#}");
            ExitCode::from(if diff { 2 } else { 1 })
        }
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    use crate::catalog::Verb;
    use crate::cli::ResourceCommand;
    use crate::commands::{dash, diff, incidents, rbac, template, verbs, workflow};
    use crate::model::Consent;

    let global = cli.global;
    match cli.command {
        Some(Command::Completions(a)) => crate::complete::script(a.shell),
        Some(Command::Man) => crate::complete::man(),
        Some(Command::DevCluster(cmd)) => crate::devcluster::cli::run(cmd, &global).await,
        Some(Command::Bootstrap(a)) => {
            let consent = a.consent.consent();
            verbs::service_verb(&global, Verb::Bootstrap, &a.services, false, consent).await
        }
        Some(Command::Run(a)) => {
            let consent = a.adopt.consent();
            verbs::service_verb(&global, Verb::Run, &a.services, false, consent).await
        }
        Some(Command::Kill(a)) => {
            let consent = Consent::default();
            verbs::service_verb(&global, Verb::Kill, &a.services, a.delete_data, consent).await
        }
        Some(Command::Resource(cmd)) => match cmd {
            ResourceCommand::Create(a) => verbs::create(&global, &a).await,
            ResourceCommand::Delete(a) => verbs::delete(&global, &a.target, a.delete_data).await,
            ResourceCommand::Status(a) => verbs::status(&global, &a).await,
            ResourceCommand::Template(a) => template::template(&global, &a),
            ResourceCommand::Map => template::map(&global),
        },
        None => dash::dash(&global, &crate::cli::DashArgs::default()).await,
        Some(Command::Dash(a)) => dash::dash(&global, &a).await,
        Some(Command::Demo(a)) => dash::demo(&global, &a).await,
        Some(Command::Deploy(a)) => workflow::deploy(&global, &a).await,
        Some(Command::Diff(a)) => diff::diff(&global, &a).await,
        Some(Command::Incidents(a)) => incidents::incidents(&global, &a).await,
        Some(Command::Rbac(a)) => rbac::rbac(&global, &a),
        Some(Command::Teardown(a)) => workflow::teardown(&global, &a).await,
    }
}
