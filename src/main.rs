use clap::Parser;
use kolla_dash::cli::Cli;

fn main() -> std::process::ExitCode {
    kolla_dash::app::main(Cli::parse())
}
