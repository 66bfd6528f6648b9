//! The `stoa` binary: parses the command line and hands over to a role. Kept thin on purpose.

mod admin;
mod admin_scan;
mod backends;
mod cli;
mod config;
mod serve;

use clap::Parser;

fn main() -> anyhow::Result<()> {
    let cli = cli::Cli::parse();
    // Git reads, hashing and SQLite work go through the blocking pool; on small machines a few
    // dozen threads do that work with less switching than tokio's default of 512.
    let runtime = tokio::runtime::Builder::new_multi_thread().max_blocking_threads(32).enable_all().build()?;
    runtime.block_on(async move {
        match cli.command {
            cli::Command::Serve(args) => serve::run(args).await,
            cli::Command::Admin(admin) => admin::run(admin).await,
        }
    })
}
