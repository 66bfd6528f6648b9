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
    /// Manage organizations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Read the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Maintain Xet storage.
    #[command(subcommand)]
    Xet(XetCommand),
    /// Act on scan results (quarantined files).
    #[command(subcommand)]
    Scan(ScanCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum ScanCommand {
    /// Let a quarantined file be downloaded again.
    Release(ScanReleaseArgs),
    /// Scan local files as a commit would (no server, no data dir) and print one JSON report
    /// per file; exits 3 when one is dangerous or unscannable.
    File(ScanFileArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ScanFileArgs {
    /// Files to scan; their names matter (the format is chosen by extension and content).
    #[arg(required = true)]
    pub(crate) paths: Vec<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct ScanReleaseArgs {
    /// The repo, as TYPE/OWNER/NAME (TYPE: model, dataset or space).
    pub(crate) repo: String,
    /// The file's path in the repo.
    pub(crate) path: String,
    #[command(flatten)]
    pub(crate) data: DataArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ScanPolicyArgs {
    /// The organization (or user) the policy applies to.
    pub(crate) name: String,
    /// For dangerous or infected files: warn, quarantine or reject.
    #[arg(long, default_value = "warn")]
    pub(crate) dangerous: String,
    /// For pickle-bearing files that cannot be scanned: warn, quarantine or reject.
    #[arg(long, default_value = "warn")]
    pub(crate) unscannable: String,
    #[command(flatten)]
    pub(crate) data: DataArgs,
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
    /// List a user's live tokens (never their secrets).
    List(TokenListArgs),
    /// Revoke a token at once.
    Revoke(TokenRevokeArgs),
}

#[derive(Debug, Args)]
pub(crate) struct TokenListArgs {
    #[arg(long)]
    pub(crate) user: String,
    #[command(flatten)]
    pub(crate) data: DataArgs,
}

#[derive(Debug, Args)]
pub(crate) struct TokenRevokeArgs {
    #[arg(long)]
    pub(crate) user: String,
    /// The token's id (from `stoa admin token list`).
    #[arg(long)]
    pub(crate) id: String,
    #[command(flatten)]
    pub(crate) data: DataArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Print every audit entry, oldest first, one JSON object a line.
    Export(AuditExportArgs),
}

#[derive(Debug, Args)]
pub(crate) struct AuditExportArgs {
    #[command(flatten)]
    pub(crate) data: DataArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum OrgCommand {
    /// Create an organization.
    Create(OrgCreateArgs),
    /// Set what scanning does with the namespace's dangerous and unscannable files.
    ScanPolicy(ScanPolicyArgs),
}

#[derive(Debug, Args)]
pub(crate) struct OrgCreateArgs {
    /// Organization name (also its namespace).
    pub(crate) name: String,
    #[command(flatten)]
    pub(crate) data: DataArgs,
    /// Display name.
    #[arg(long)]
    pub(crate) fullname: Option<String>,
    /// A member, as USER or USER:ROLE (read, contributor, write, admin; default read). Repeatable.
    #[arg(long = "member", value_name = "USER[:ROLE]")]
    pub(crate) members: Vec<String>,
    /// New repos of the organization are private unless their creator says otherwise.
    #[arg(long)]
    pub(crate) private_by_default: bool,
}

#[derive(Debug, Args)]
pub(crate) struct TokenCreateArgs {
    /// Owner of the token.
    #[arg(long)]
    pub(crate) user: String,
    #[command(flatten)]
    pub(crate) data: DataArgs,
    /// What the token may do.
    #[arg(long, default_value = "write", value_parser = ["read", "write", "fineGrained"])]
    pub(crate) role: String,
    /// For fineGrained tokens: ENTITY:NAME:PERMISSION[+PERMISSION...], ENTITY one of user, org,
    /// model, dataset, space (e.g. `model:alice/bert:repo.write`). Repeatable.
    #[arg(long = "scope", value_name = "ENTITY:NAME:PERMISSIONS")]
    pub(crate) scopes: Vec<String>,
    /// For fineGrained tokens: may read gated repos the user was granted.
    #[arg(long)]
    pub(crate) can_read_gated: bool,
    /// The token stops working after this many days.
    #[arg(long)]
    pub(crate) expires_in_days: Option<u32>,
    /// Register this exact token string instead of generating one (to migrate existing tokens).
    #[arg(long)]
    pub(crate) value: Option<String>,
    /// A label shown in whoami.
    #[arg(long, default_value = "cli")]
    pub(crate) name: String,
}
