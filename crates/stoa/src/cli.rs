//! The command line. Names and flags are a contract other tools rely on (issue #2).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "stoa", version, about = "A self-hostable hub for AI models, datasets and apps")]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the hub's HTTP server.
    Serve(ServeArgs),
    /// Administrative commands that work directly on a data dir (also while the server runs).
    #[command(subcommand)]
    Admin(AdminCommand),
}

/// Where the data lives. Shared by every role.
#[derive(Debug, Clone, Args)]
pub(crate) struct DataArgs {
    /// Data directory (metadata database, git repositories, large objects).
    #[arg(long, env = "STOA_DATA_DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// Optional TOML configuration file.
    #[arg(long, env = "STOA_CONFIG")]
    pub(crate) config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    pub(crate) data: DataArgs,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "STOA_LISTEN")]
    pub(crate) listen: Option<String>,
    /// Public base URL, exactly as users put it in HF_ENDPOINT [default: http://<listen>].
    #[arg(long, env = "STOA_PUBLIC_URL")]
    pub(crate) public_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AdminCommand {
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage access tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Maintain Xet storage.
    #[command(subcommand)]
    Xet(XetCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum XetCommand {
    /// Delete xorbs no file references and files no repo references (safe while serving).
    Gc(XetGcArgs),
}

#[derive(Debug, Args)]
pub(crate) struct XetGcArgs {
    #[command(flatten)]
    pub(crate) data: DataArgs,
    /// Report what would be deleted, change nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Keep unreferenced xorbs younger than this (uploads whose shard is still on its way).
    #[arg(long, default_value_t = 24)]
    pub(crate) grace_hours: i64,
    /// Drop upload grants that no commit used after this many days.
    #[arg(long, default_value_t = 7)]
    pub(crate) grant_days: i64,
}

#[derive(Debug, Subcommand)]
pub(crate) enum UserCommand {
    /// Create a user.
    Create(UserCreateArgs),
}

#[derive(Debug, Args)]
pub(crate) struct UserCreateArgs {
    /// User name (also the user's namespace).
    pub(crate) name: String,
    #[command(flatten)]
    pub(crate) data: DataArgs,
    /// Display name.
    #[arg(long)]
    pub(crate) fullname: Option<String>,
    #[arg(long)]
    pub(crate) email: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Create an access token and print it.
    Create(TokenCreateArgs),
}

#[derive(Debug, Args)]
pub(crate) struct TokenCreateArgs {
    /// Owner of the token.
    #[arg(long)]
    pub(crate) user: String,
    #[command(flatten)]
    pub(crate) data: DataArgs,
    /// What the token may do.
    #[arg(long, default_value = "write", value_parser = ["read", "write"])]
    pub(crate) role: String,
    /// Register this exact token string instead of generating one (to migrate existing tokens).
    #[arg(long)]
    pub(crate) value: Option<String>,
    /// A label shown in whoami.
    #[arg(long, default_value = "cli")]
    pub(crate) name: String,
}
