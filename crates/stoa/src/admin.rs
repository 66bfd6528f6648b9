//! `stoa admin ...`: works directly on the metadata database, before the server has ever run
//! and while it runs (SQLite in WAL mode allows both).

use std::sync::Arc;

use anyhow::{Context as _, anyhow, bail};
use stoa_core::identity::orgs::CreateOrg;
use stoa_core::identity::tokens::NewToken;
use stoa_core::identity::{Entity, FineGrained, OrgRole, ScopedPermissions};
use stoa_core::ports::TokenRole;
use stoa_core::signing::UrlSigner;
use stoa_core::{Hub, HubSettings};
use stoa_git::GixStore;

use crate::backends::{Blobs, Meta};
use crate::cli::{
    AdminCommand, AuditCommand, AuditExportArgs, DataArgs, OrgCommand, OrgCreateArgs, ScanCommand, TokenCommand,
    TokenCreateArgs, TokenListArgs, TokenRevokeArgs, UserCommand, UserCreateArgs, XetCommand, XetGcArgs,
};
use crate::config::{FileConfig, data_dir};

async fn open_store(data: &DataArgs) -> anyhow::Result<Meta> {
    let file = FileConfig::load(data.config.as_deref())?;
    let dir = data_dir(data.data_dir.as_deref(), &file);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating data dir {}", dir.display()))?;
    Meta::open(&dir, &file).await
}

/// The domain over the data dir, for commands that go through its rules (validation, audit).
pub(crate) async fn open_hub(data: &DataArgs) -> anyhow::Result<(Hub, Meta)> {
    let file = FileConfig::load(data.config.as_deref())?;
    let dir = data_dir(data.data_dir.as_deref(), &file);
    let store = open_store(data).await?;
    let git = GixStore::open(&dir.join("git")).context("opening git store")?;
    // Attach without the start-up cleanup: a running server's temp files must stay.
    let blobs = Blobs::open(&dir, &file, false)?;
    let signer = UrlSigner::new(crate::serve::signing_key(&dir)?);
    let hub = Hub::new(store.shared(), Arc::new(git), blobs.store, signer, HubSettings::default());
    Ok((hub, store))
}

pub(crate) async fn run(command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::User(UserCommand::Create(args)) => create_user(args).await,
        AdminCommand::Token(TokenCommand::Create(args)) => create_token(args).await,
        AdminCommand::Token(TokenCommand::List(args)) => list_tokens(args).await,
        AdminCommand::Token(TokenCommand::Revoke(args)) => revoke_token(args).await,
        AdminCommand::Org(OrgCommand::Create(args)) => create_org(args).await,
        AdminCommand::Audit(AuditCommand::Export(args)) => export_audit(args).await,
        AdminCommand::Xet(XetCommand::Gc(args)) => xet_gc(args).await,
        AdminCommand::Org(OrgCommand::ScanPolicy(args)) => crate::admin_scan::set_scan_policy(args).await,
        AdminCommand::Scan(ScanCommand::Release(args)) => crate::admin_scan::release(args).await,
        AdminCommand::Scan(ScanCommand::File(args)) => crate::admin_scan::scan_files(&args),
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
    let (hub, store) = open_hub(&args.data).await?;
    let user =
        hub.create_user_account(&args.name, args.fullname, args.email).await.map_err(|error| anyhow!("{error}"))?;
    println!("created user {}", user.name);
    store.close().await;
    Ok(())
}

/// `ENTITY:NAME:PERMISSION[+PERMISSION...]`.
fn parse_scope(text: &str) -> anyhow::Result<ScopedPermissions> {
    let mut parts = text.splitn(3, ':');
    let (Some(kind), Some(name), Some(permissions)) = (parts.next(), parts.next(), parts.next()) else {
        bail!("--scope must look like ENTITY:NAME:PERMISSION[+PERMISSION...], got '{text}'");
    };
    Ok(ScopedPermissions {
        entity: Entity { kind: kind.to_owned(), name: name.to_owned() },
        permissions: permissions.split('+').map(str::to_owned).collect(),
    })
}

async fn create_token(args: TokenCreateArgs) -> anyhow::Result<()> {
    let role = TokenRole::parse(&args.role).context("role must be read, write or fineGrained")?;
    let scopes = if role == TokenRole::FineGrained {
        let scoped = args.scopes.iter().map(|scope| parse_scope(scope)).collect::<anyhow::Result<Vec<_>>>()?;
        Some(FineGrained { global: Vec::new(), scoped, can_read_gated_repos: args.can_read_gated })
    } else {
        if !args.scopes.is_empty() || args.can_read_gated {
            bail!("--scope and --can-read-gated are for --role fineGrained");
        }
        None
    };
    if let Some(value) = &args.value
        && (value.len() < 8 || value.chars().any(char::is_whitespace))
    {
        bail!("--value must be at least 8 characters without whitespace");
    }
    let (hub, store) = open_hub(&args.data).await?;
    let Some(user) = store.as_dyn().user_by_name(&args.user).await? else {
        bail!("no user named '{}'", args.user);
    };
    let expires_at = args.expires_in_days.map(|days| stoa_types::time::now_unix() + i64::from(days) * 86_400);
    let new = NewToken { name: args.name, role, scopes, expires_at };
    let (_, secret) = hub.issue_token(None, &user, new, args.value).await.map_err(|error| anyhow!("{error}"))?;
    println!("{secret}");
    store.close().await;
    Ok(())
}

async fn list_tokens(args: TokenListArgs) -> anyhow::Result<()> {
    let store = open_store(&args.data).await?;
    let Some(user) = store.as_dyn().user_by_name(&args.user).await? else {
        bail!("no user named '{}'", args.user);
    };
    let when = |at: Option<i64>| at.map_or_else(|| "-".to_owned(), stoa_types::time::format_unix);
    for token in store.as_dyn().user_tokens(&user.id).await? {
        println!(
            "{}\t{}\t{}\tcreated {}\tlast used {}\texpires {}",
            token.id,
            token.name,
            token.role.as_str(),
            stoa_types::time::format_unix(token.created_at),
            when(token.last_used_at),
            when(token.expires_at)
        );
    }
    store.close().await;
    Ok(())
}

async fn revoke_token(args: TokenRevokeArgs) -> anyhow::Result<()> {
    let (hub, store) = open_hub(&args.data).await?;
    let Some(user) = store.as_dyn().user_by_name(&args.user).await? else {
        bail!("no user named '{}'", args.user);
    };
    hub.revoke_token_of(None, &user, &args.id).await.map_err(|error| anyhow!("{error}"))?;
    println!("revoked token {}", args.id);
    store.close().await;
    Ok(())
}

async fn export_audit(args: AuditExportArgs) -> anyhow::Result<()> {
    const PAGE: u64 = 1000;
    let store = open_store(&args.data).await?;
    let mut offset = 0;
    loop {
        let entries = store.as_dyn().all_audit_entries(offset, PAGE).await?;
        for entry in &entries {
            let mut value = serde_json::to_value(entry)?;
            value["createdAt"] = stoa_types::time::format_millis(entry.created_at).into();
            println!("{value}");
        }
        if (entries.len() as u64) < PAGE {
            break;
        }
        offset += PAGE;
    }
    store.close().await;
    Ok(())
}

/// `USER` or `USER:ROLE`.
fn parse_member(text: &str) -> anyhow::Result<(String, OrgRole)> {
    let (user, role) = text.split_once(':').unwrap_or((text, "read"));
    let role = OrgRole::parse(role)
        .with_context(|| format!("unknown role '{role}': use read, contributor, write or admin"))?;
    Ok((user.to_owned(), role))
}

async fn create_org(args: OrgCreateArgs) -> anyhow::Result<()> {
    let members = args.members.iter().map(|member| parse_member(member)).collect::<anyhow::Result<Vec<_>>>()?;
    let (hub, store) = open_hub(&args.data).await?;
    let request = CreateOrg {
        name: args.name.clone(),
        fullname: args.fullname,
        members,
        private_by_default: args.private_by_default,
    };
    let org = hub.create_org(request).await.map_err(|error| anyhow!("{error}"))?;
    println!("created organization {}", org.name);
    store.close().await;
    Ok(())
}
