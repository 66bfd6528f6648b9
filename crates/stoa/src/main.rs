//! The `stoa` binary: parses the command line and hands over to a role. Kept thin on purpose.

mod admin;
mod cli;
mod config;
mod serve;

use clap::Parser;

fn main() -> anyhow::Result<()> {
    let cli = cli::Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        match cli.command {
            cli::Command::Serve(args) => serve::run(args).await,
            cli::Command::Admin(admin) => admin::run(admin).await,
        }
    })
}
