//! `stoa admin ...`: works directly on the metadata database, before the server has ever run
//! and while it runs (SQLite in WAL mode allows both).

use anyhow::{Context as _, bail};
use stoa_core::ports::{NewUser, TokenRecord, TokenRole};
use stoa_core::tokens::{generate_token, hash_token, new_object_id};
use stoa_types::RepoId;

use crate::backends::{Blobs, Meta};
use crate::cli::{
    AdminCommand, DataArgs, TokenCommand, TokenCreateArgs, UserCommand, UserCreateArgs, XetCommand, XetGcArgs,
};
use crate::config::{FileConfig, data_dir};

async fn open_store(data: &DataArgs) -> anyhow::Result<Meta> {
    let file = FileConfig::load(data.config.as_deref())?;
    let dir = data_dir(data.data_dir.as_deref(), &file);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating data dir {}", dir.display()))?;
    Meta::open(&dir, &file).await
}

pub(crate) async fn run(command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::User(UserCommand::Create(args)) => create_user(args).await,
        AdminCommand::Token(TokenCommand::Create(args)) => create_token(args).await,
        AdminCommand::Xet(XetCommand::Gc(args)) => xet_gc(args).await,
    }
}

async fn xet_gc(args: XetGcArgs) -> anyhow::Result<()> {
    let file = FileConfig::load(args.data.config.as_deref())?;
    let dir = data_dir(args.data.data_dir.as_deref(), &file);
    let store = open_store(&args.data).await?;
    // Attach without the start-up cleanup: a running server's temp files must stay.
    let blobs = Blobs::open(&dir, &file, false)?;
    let report = stoa_core::xet::collect_garbage(
        store.as_dyn(),
        blobs.store.as_ref(),
        stoa_types::time::now_unix(),
        args.grace_hours * 3600,
        args.grant_days * 86_400,
        args.dry_run,
    )
    .await?;
    let verb = if args.dry_run { "would delete" } else { "deleted" };
    println!(
        "{verb} {} xorbs and {} files; {} unused upload grants expired",
        report.xorbs.len(),
        report.files.len(),
        report.expired_grants
    );
    for xorb in &report.xorbs {
        println!("xorb {xorb}");
    }
    store.close().await;
    Ok(())
}

async fn create_user(args: UserCreateArgs) -> anyhow::Result<()> {
    if !RepoId::is_valid_name(&args.name) {
        bail!("invalid user name '{}': use letters, digits, '-', '_' or '.', at most 96 characters", args.name);
    }
    if matches!(args.name.to_ascii_lowercase().as_str(), "api" | "datasets" | "spaces" | "models" | "lfs" | "xet") {
        bail!("'{}' is reserved for the hub's own URLs", args.name);
    }
    let store = open_store(&args.data).await?;
    let fullname = args.fullname.unwrap_or_else(|| args.name.clone());
    let user = NewUser { name: args.name.clone(), fullname, email: args.email };
    let now = stoa_types::time::now_unix();
    match store.as_dyn().create_user(user, new_object_id(), now).await {
        Ok(user) => println!("created user {}", user.name),
        Err(stoa_core::ports::StoreError::AlreadyExists) => {
            bail!("a user named '{}' already exists", args.name)
        }
        Err(error) => return Err(error.into()),
    }
    store.close().await;
    Ok(())
}

async fn create_token(args: TokenCreateArgs) -> anyhow::Result<()> {
    let store = open_store(&args.data).await?;
    let Some(user) = store.as_dyn().user_by_name(&args.user).await? else {
        bail!("no user named '{}'", args.user);
    };
    let role = TokenRole::parse(&args.role).context("role must be read or write")?;
    let secret = match args.value {
        Some(value) if value.len() < 8 || value.chars().any(char::is_whitespace) => {
            bail!("--value must be at least 8 characters without whitespace")
        }
        Some(value) => value,
        None => generate_token(),
    };
    let record = TokenRecord {
        id: new_object_id(),
        user_id: user.id,
        name: args.name,
        role,
        created_at: stoa_types::time::now_unix(),
    };
    match store.as_dyn().create_token(&record, &hash_token(&secret)).await {
        Ok(()) => println!("{secret}"),
        Err(stoa_core::ports::StoreError::AlreadyExists) => {
            bail!("this token value is already registered")
        }
        Err(error) => return Err(error.into()),
    }
    store.close().await;
    Ok(())
}
