//! Entry point behind `main`: tracing, the tokio runtime, and dispatch to each command.

use std::process::ExitCode;

use crate::cli::{Cli, Command};

pub fn main(cli: Cli) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kolla-dash: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kolla-dash: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    let global = cli.global;
    match cli.command {
        Some(Command::DevCluster(cmd)) => crate::devcluster::cli::run(cmd).await,
        Some(Command::Resource(crate::cli::ResourceCommand::Template(args))) => {
            crate::commands::template::template(&global, &args)
        }
        Some(Command::Resource(crate::cli::ResourceCommand::Map)) => {
            crate::commands::template::map(&global)
        }
        _ => anyhow::bail!("this command is not implemented yet"),
    }
}
