use clap::Parser;
use kolla_dash::cli::Cli;

fn main() -> std::process::ExitCode {
    // A shell asking for completion candidates gets them and nothing else.
    kolla_dash::complete::answer_if_asked();
    kolla_dash::app::main(Cli::parse())
}
